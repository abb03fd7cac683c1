# shellcheck shell=bash
# The lab's real Kubernetes: a control plane host and one real worker node, everything upstream and
# built from Go modules through the Go module proxy (no image registry, no release download).
#
#   scripts/lab.sh k8s-build    build the binaries into $LAB_CACHE/k8s (skips what is cached and
#                               reports the right version)
#   scripts/lab.sh k8s-up       lab up + k8s-build + PKI + the two hosts, waits for the node Ready
#   scripts/lab.sh k8s-status   hosts, units, nodes
#   scripts/lab.sh k8s-down     remove the two hosts (binaries, PKI and Go caches are kept)
#
#   lab-k8s-cp     10.77.0.60   etcd, kube-apiserver (:6443), kube-controller-manager, kube-scheduler
#   lab-k8s-node1  10.77.0.61   Debian's containerd, runc and CNI plugins; kubelet, kube-proxy
#                               (iptables), kube-router (NetworkPolicy only)
#
# Sourced by scripts/lab.sh (its functions and variables are in scope) for the k8s-* commands only:
# `lab.sh up` sources every scripts/lab/*.sh too, and this file then does nothing.
# Every workaround below is one shared LAB.md ("A real Kubernetes worker node inside a lab host")
# saw needed; the machine's own sysctls are never touched, only files bind-mounted inside the node.
# shellcheck disable=SC2154  # LAB_CACHE, REPO_ROOT, REGISTRY_*, LAB_* come from scripts/lab.sh

[ -n "${LAB_K8S_CMD:-}" ] || return 0
K8S_CMD=$LAB_K8S_CMD
LAB_K8S_CMD=   # cmd_up sources scripts/lab/*.sh again: this file must then stay quiet

K8S_VERSION=${ODOO_CLOUD_LAB_K8S_VERSION:-v1.37.2}
# k8s.io/kubernetes vX.Y.Z replaces its staging modules by ./staging/...; they are served as v0.Y.Z.
K8S_STAGING_VERSION=v0.${K8S_VERSION#v1.}
ETCD_VERSION=${ODOO_CLOUD_LAB_ETCD_VERSION:-v3.7.3}
KUBE_ROUTER_VERSION=${ODOO_CLOUD_LAB_KUBE_ROUTER_VERSION:-v2.1.0}
K8S_COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy)
K8S_DIR="$LAB_CACHE/k8s"
K8S_BIN="$K8S_DIR/$K8S_VERSION"
ETCD_BIN="$K8S_DIR/etcd-$ETCD_VERSION/etcd"
KUBE_ROUTER_BIN="$K8S_DIR/kube-router-$KUBE_ROUTER_VERSION/kube-router"
K8S_PKI="$K8S_DIR/pki"
K8S_ADMIN_KUBECONFIG="$K8S_DIR/admin.kubeconfig"
K8S_BUILD_TIMES="$K8S_DIR/build-times.log"
K8S_CP=lab-k8s-cp
K8S_CP_IP=${ODOO_CLOUD_LAB_K8S_CP_IP:-10.77.0.60}
K8S_NODE=lab-k8s-node1
K8S_NODE_IP=${ODOO_CLOUD_LAB_K8S_NODE_IP:-10.77.0.61}
K8S_SERVICE_CIDR=10.96.0.0/16
K8S_SERVICE_IP=10.96.0.1       # the `kubernetes` Service: first address of the range
K8S_CLUSTER_CIDR=10.244.0.0/16
K8S_PAUSE_TAG=3.10.2-$K8S_VERSION   # build/pause/Makefile's TAG, built from the module's pause.c
K8S_PAUSE_REF="$REGISTRY_IP:$REGISTRY_PORT/lab/pause:$K8S_PAUSE_TAG"
K8S_NODE_READY_TIMEOUT=${ODOO_CLOUD_LAB_K8S_READY_TIMEOUT:-240}

# go with the lab's caches (shared with the Traefik and Pebble builds), the machine's own toolchain,
# at low priority: the machine has 2 cores and other work to do.
k8s_go() {
  nice -n 10 env GOPATH="$LAB_CACHE/go" GOMODCACHE="$LAB_CACHE/go/mod" GOCACHE="$LAB_CACHE/go/cache" \
    GOTOOLCHAIN=local GOWORK=off GOFLAGS="-modcacherw -buildvcs=false" CGO_ENABLED=0 go "$@"
}

k8s_json() { python3 -c 'import json, sys; print(json.load(sys.stdin).get(sys.argv[1]) or "")' "$1"; }

# k8s_module_dir MODULE@VERSION: download it (if needed), print "DIR GOMOD TIME".
k8s_module() {
  local dl
  mkdir -p "$K8S_DIR"
  dl=$(k8s_go -C "$K8S_DIR" mod download -json "$1") \
    || die "cannot download $1 from the Go module proxy ($(k8s_go env GOPROXY))"
  printf '%s %s %s\n' "$(k8s_json Dir <<<"$dl")" "$(k8s_json GoMod <<<"$dl")" "$(k8s_json Time <<<"$dl")"
}

k8s_need_go() {  # k8s_need_go GOMOD WHAT: dies unless the machine's Go is new enough
  local need have
  need=$(k8s_go mod edit -json "$1" | k8s_json Go)
  have=$(k8s_go env GOVERSION)
  have=${have#go}
  [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n1)" = "$need" ] \
    || die "$2 needs Go >= $need, $(command -v go) is Go $have: install a newer Go (https://go.dev/dl/)"
  echo "$need"
}

k8s_record_time() {  # k8s_record_time NAME VERSION SECONDS
  mkdir -p "$K8S_DIR"
  printf '%s %s %s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "$2" "$3" >>"$K8S_BUILD_TIMES"
}

# The version a binary reports, or nothing.
k8s_binary_version() {  # k8s_binary_version NAME PATH
  [ -x "$2" ] || return 0
  case $1 in
    kubectl)
      timeout 20 "$2" version --client -o json 2>/dev/null \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])' 2>/dev/null || true ;;
    etcd)
      timeout 20 "$2" --version 2>/dev/null | sed -n 's/^etcd Version: */v/p' || true ;;
    kube-router)
      timeout 20 "$2" --version 2>&1 | sed -n 's/.* version \(v[^,]*\),.*/\1/p' || true ;;
    *)
      timeout 20 "$2" --version 2>/dev/null | sed -n 's/^Kubernetes //p' || true ;;
  esac
}

# The wrapper module: k8s.io/kubernetes's go.mod replaces its staging modules with ./staging/...,
# which its module zip lacks, so `go install k8s.io/kubernetes/cmd/...@v` refuses it. The wrapper
# requires it, replaces each staging module it requires with the served v0.Y.Z, and imports the
# commands in tools.go so that `go mod tidy` records every go.sum entry they need.
k8s_wrapper() {
  local build="$K8S_DIR/build-$K8S_VERSION" dir gomod _time need stamp cmd replaces r
  local -a edits
  read -r dir gomod _time < <(k8s_module "k8s.io/kubernetes@$K8S_VERSION")
  [ -f "$gomod" ] || die "go mod download gave no go.mod for k8s.io/kubernetes@$K8S_VERSION"
  stamp=$(printf '%s\n' "$K8S_VERSION" "$K8S_STAGING_VERSION" "${K8S_COMMANDS[@]}" | sha256sum | cut -c1-16)
  if [ "$(cat "$build/.tidy-ok" 2>/dev/null || true)" = "$stamp" ] && [ -s "$build/go.sum" ]; then
    return 0
  fi
  need=$(k8s_need_go "$gomod" "Kubernetes $K8S_VERSION")
  rm -rf "$build"
  mkdir -p "$build"
  printf 'module odoo-cloud-lab/k8s-build\n\ngo %s\n\nrequire k8s.io/kubernetes %s\n' \
    "$need" "$K8S_VERSION" >"$build/go.mod"
  # Its go.sum's hashes (authenticated with k8s.io/kubernetes itself) verify the downloads.
  if [ -f "$dir/go.sum" ]; then
    cp "$dir/go.sum" "$build/go.sum"
    chmod u+w "$build/go.sum"
  fi
  replaces=$(k8s_go mod edit -json "$gomod" | python3 -c '
import json, sys
mod = json.load(sys.stdin)
required = {r["Path"] for r in mod.get("Require") or []}
for r in mod.get("Replace") or []:
    if r["New"]["Path"].startswith("./staging/") and r["Old"]["Path"] in required:
        print(r["Old"]["Path"])
') || die "cannot read the replaces of $gomod"
  [ -n "$replaces" ] || die "k8s.io/kubernetes@$K8S_VERSION replaces no staging module: the wrapper does not fit it"
  edits=()
  for r in $replaces; do edits+=("-replace=$r=$r@$K8S_STAGING_VERSION"); done
  k8s_go -C "$build" mod edit "${edits[@]}" || die "cannot write $build/go.mod"
  {
    printf '//go:build tools\n\n// Package tools makes go mod tidy keep what the lab builds.\npackage tools\n\nimport (\n'
    for cmd in "${K8S_COMMANDS[@]}"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$cmd"; done
    printf ')\n'
  } >"$build/tools.go"
  log "resolving the Kubernetes $K8S_VERSION wrapper module (go mod tidy, $(wc -w <<<"$replaces") staging replaces)"
  k8s_go -C "$build" mod tidy >"$build/tidy.log" 2>&1 \
    || { tail -n 20 "$build/tidy.log" >&2; die "go mod tidy of the Kubernetes wrapper failed (log: $build/tidy.log)"; }
  echo "$stamp" >"$build/.tidy-ok"
}

k8s_build_kubernetes() {  # k8s_build_kubernetes NAME
  local name=$1 bin="$K8S_BIN/$1" build="$K8S_DIR/build-$K8S_VERSION" logfile start secs
  local minor ldflags date
  [ "$(k8s_binary_version "$name" "$bin")" = "$K8S_VERSION" ] && return 0
  k8s_wrapper
  date=$(k8s_json Time <"$LAB_CACHE/go/mod/cache/download/k8s.io/kubernetes/@v/$K8S_VERSION.info" 2>/dev/null || true)
  minor=${K8S_VERSION#v1.}
  minor=${minor%%.*}
  ldflags="-X k8s.io/component-base/version.gitVersion=$K8S_VERSION"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
  [ -z "$date" ] || ldflags+=" -X k8s.io/component-base/version.buildDate=$date"
  mkdir -p "$K8S_BIN"
  logfile="$K8S_DIR/build-$K8S_VERSION-$name.log"
  log "building $name $K8S_VERSION from source (log in $logfile)"
  start=$SECONDS
  k8s_go -C "$build" build -mod=mod -trimpath -ldflags "$ldflags" -o "$bin.tmp" "k8s.io/kubernetes/cmd/$name" \
    >"$logfile" 2>&1 || { tail -n 30 "$logfile" >&2; die "building $name $K8S_VERSION failed (log: $logfile)"; }
  secs=$((SECONDS - start))
  mv "$bin.tmp" "$bin"
  k8s_record_time "$name" "$K8S_VERSION" "$secs"
  log "$name built in $secs s ($(du -h "$bin" | cut -f1))"
  [ "$(k8s_binary_version "$name" "$bin")" = "$K8S_VERSION" ] \
    || die "$bin reports '$(k8s_binary_version "$name" "$bin")', not $K8S_VERSION"
}

# etcd: go.etcd.io/etcd/v3 (the repository's root) is not served; a wrapper main calls etcdmain.
k8s_build_etcd() {
  local build="$K8S_DIR/etcd-build-$ETCD_VERSION" dir gomod _time need logfile start secs
  [ "$(k8s_binary_version etcd "$ETCD_BIN")" = "$ETCD_VERSION" ] && return 0
  read -r dir gomod _time < <(k8s_module "go.etcd.io/etcd/server/v3@$ETCD_VERSION")
  [ -d "$dir" ] || die "go mod download gave no source for go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  need=$(k8s_need_go "$gomod" "etcd $ETCD_VERSION")
  rm -rf "$build"
  mkdir -p "$build" "${ETCD_BIN%/*}"
  printf 'module odoo-cloud-lab/etcd-build\n\ngo %s\n\nrequire go.etcd.io/etcd/server/v3 %s\n' \
    "$need" "$ETCD_VERSION" >"$build/go.mod"
  cat >"$build/main.go" <<'EOF'
// Command etcd is etcd's own main: go.etcd.io/etcd/v3 (the root module) is not served by the proxy.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
  logfile="$K8S_DIR/etcd-build-$ETCD_VERSION.log"
  log "building etcd $ETCD_VERSION from source (log in $logfile)"
  start=$SECONDS
  { k8s_go -C "$build" mod tidy && k8s_go -C "$build" build -mod=mod -trimpath -o "$ETCD_BIN.tmp" . ; } \
    >"$logfile" 2>&1 || { tail -n 30 "$logfile" >&2; die "building etcd $ETCD_VERSION failed (log: $logfile)"; }
  secs=$((SECONDS - start))
  mv "$ETCD_BIN.tmp" "$ETCD_BIN"
  k8s_record_time etcd "$ETCD_VERSION" "$secs"
  log "etcd built in $secs s ($(du -h "$ETCD_BIN" | cut -f1))"
  [ "$(k8s_binary_version etcd "$ETCD_BIN")" = "$ETCD_VERSION" ] \
    || die "$ETCD_BIN reports '$(k8s_binary_version etcd "$ETCD_BIN")', not $ETCD_VERSION"
}

# kube-router has no replace directives: `go install module/cmd@version` builds it.
k8s_build_kube_router() {
  local module=github.com/cloudnativelabs/kube-router/v2 dir _gomod time logfile start secs gobin
  [ "$(k8s_binary_version kube-router "$KUBE_ROUTER_BIN")" = "$KUBE_ROUTER_VERSION" ] && return 0
  read -r dir _gomod time < <(k8s_module "$module@$KUBE_ROUTER_VERSION")
  [ -d "$dir" ] || die "go mod download gave no source for $module@$KUBE_ROUTER_VERSION"
  gobin="${KUBE_ROUTER_BIN%/*}.tmp"
  rm -rf "$gobin"
  mkdir -p "$gobin"
  logfile="$K8S_DIR/kube-router-build-$KUBE_ROUTER_VERSION.log"
  log "building kube-router $KUBE_ROUTER_VERSION from source (log in $logfile)"
  start=$SECONDS
  (cd "$gobin" && GOBIN="$gobin" k8s_go install -trimpath \
     -ldflags "-X $module/pkg/version.Version=$KUBE_ROUTER_VERSION -X $module/pkg/version.BuildDate=$time" \
     "$module/cmd/kube-router@$KUBE_ROUTER_VERSION") >"$logfile" 2>&1 \
    || { tail -n 30 "$logfile" >&2; die "building kube-router $KUBE_ROUTER_VERSION failed (log: $logfile)"; }
  secs=$((SECONDS - start))
  mkdir -p "${KUBE_ROUTER_BIN%/*}"
  mv "$gobin/kube-router" "$KUBE_ROUTER_BIN"
  rm -rf "$gobin"
  k8s_record_time kube-router "$KUBE_ROUTER_VERSION" "$secs"
  log "kube-router built in $secs s ($(du -h "$KUBE_ROUTER_BIN" | cut -f1))"
  [ "$(k8s_binary_version kube-router "$KUBE_ROUTER_BIN")" = "$KUBE_ROUTER_VERSION" ] \
    || die "$KUBE_ROUTER_BIN reports '$(k8s_binary_version kube-router "$KUBE_ROUTER_BIN")', not $KUBE_ROUTER_VERSION"
}

k8s_cmd_build() {
  local name
  command -v go >/dev/null 2>&1 \
    || die "Go is not on PATH: the lab builds Kubernetes $K8S_VERSION from source and needs the Go its go.mod asks for (https://go.dev/dl/)"
  command -v python3 >/dev/null 2>&1 || die "python3 is needed to read go.mod files"
  # Cheapest first: with warm Go caches the small ones are done in seconds.
  for name in kubectl kube-scheduler kube-proxy kubelet kube-controller-manager kube-apiserver; do
    k8s_build_kubernetes "$name"
  done
  k8s_build_etcd
  k8s_build_kube_router
  for name in "${K8S_COMMANDS[@]}"; do
    printf '%-24s %s\n' "$name" "$(k8s_binary_version "$name" "$K8S_BIN/$name")"
  done
  printf '%-24s %s\n' etcd "$(k8s_binary_version etcd "$ETCD_BIN")" \
    kube-router "$(k8s_binary_version kube-router "$KUBE_ROUTER_BIN")"
}

case $K8S_CMD in
  build) k8s_cmd_build ;;
  *) die "unknown k8s command: $K8S_CMD" ;;
esac
