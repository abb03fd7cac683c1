# shellcheck shell=bash
# The lab's real Kubernetes: a control plane host and one real worker node, everything upstream and
# built from Go modules through the Go module proxy (no image registry, no release download).
#
#   scripts/lab.sh k8s-build    build the binaries into $LAB_CACHE/k8s (skips what is cached and
#                               reports the right version)
#   scripts/lab.sh k8s-up       lab up + k8s-build + PKI + the two hosts, waits for the node Ready
#   scripts/lab.sh k8s-status   hosts, units, nodes
#   scripts/lab.sh k8s-down     remove the two hosts (binaries, PKI and Go caches are kept)
#   scripts/lab.sh k8s-kwok     builds kwok and runs it on the control plane host: N simulated nodes
#                               (ODOO_CLOUD_LAB_KWOK_NODES, default 4) for the benchmarks; k8s-kwok-down
#                               removes them. The tests never use it: their pods run on the real node.
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
KWOK_VERSION=${ODOO_CLOUD_LAB_KWOK_VERSION:-v0.8.0}
KWOK_NODES=${ODOO_CLOUD_LAB_KWOK_NODES:-4}
K8S_COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy)
K8S_DIR="$LAB_CACHE/k8s"
K8S_BIN="$K8S_DIR/$K8S_VERSION"
ETCD_BIN="$K8S_DIR/etcd-$ETCD_VERSION/etcd"
KUBE_ROUTER_BIN="$K8S_DIR/kube-router-$KUBE_ROUTER_VERSION/kube-router"
KWOK_BIN="$K8S_DIR/kwok-$KWOK_VERSION/kwok"
KWOK_LABEL=odoo-cloud-lab/kwok   # the nodes kwok plays the kubelet of carry this label, value "true"
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

# k8s_module MODULE@VERSION: download it (if needed), print "DIR GOMOD TIME".
k8s_module() {
  local dl
  mkdir -p "$K8S_DIR"
  dl=$(k8s_go -C "$K8S_DIR" mod download -json "$1") \
    || die "cannot download $1 from the Go module proxy ($(k8s_go env GOPROXY))"
  # (the release time is in the .info file, not in download's answer)
  printf '%s %s %s\n' "$(k8s_json Dir <<<"$dl")" "$(k8s_json GoMod <<<"$dl")" \
    "$(k8s_json Time <"$(k8s_json Info <<<"$dl")" 2>/dev/null || true)"
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

# ---------------------------------------------------------------------------------------------
# PKI (openssl), kept in $LAB_CACHE/k8s/pki: a certificate is reused while the CA verifies it, it has
# the subject and SANs asked for and 30 days left; else it is made again.

k8s_subject_rfc2253() {  # "/O=a/CN=b" -> "CN=b,O=a" (how openssl prints it)
  local IFS=/ parts=() out="" p
  read -ra parts <<<"${1#/}"
  for p in "${parts[@]}"; do out="$p${out:+,$out}"; done
  echo "$out"
}

k8s_pki_cert() {  # k8s_pki_cert NAME SUBJECT EXTENDED_KEY_USAGE [SAN,...]
  local name=$1 subj=$2 eku=$3 sans=${4:-} d=$K8S_PKI ok=1 san have
  if [ -s "$d/$name.crt" ] && [ -s "$d/$name.key" ] \
     && openssl verify -CAfile "$d/ca.crt" "$d/$name.crt" >/dev/null 2>&1 \
     && openssl x509 -in "$d/$name.crt" -noout -checkend 2592000 >/dev/null 2>&1 \
     && [ "$(openssl x509 -in "$d/$name.crt" -noout -subject -nameopt RFC2253)" = "subject=$(k8s_subject_rfc2253 "$subj")" ]; then
    have=$(openssl x509 -in "$d/$name.crt" -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr -d ' ')
    for san in ${sans//,/ }; do
      san=${san/#IP:/IPAddress:}
      case ",$have," in *",$san,"*) ;; *) ok=0 ;; esac
    done
    [ "$ok" = 1 ] && return 0
  fi
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [ -z "$sans" ] || echo "subjectAltName=$sans"
  } >"$d/$name.ext"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$d/$name.key" -out "$d/$name.csr" -subj "$subj" 2>/dev/null
  openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 825 \
    -extfile "$d/$name.ext" -out "$d/$name.crt" 2>/dev/null || die "cannot sign $name.crt"
  rm -f "$d/$name.csr" "$d/$name.ext"
  chmod 0600 "$d/$name.key"
}

k8s_pki() {
  local d=$K8S_PKI
  ensure_apt_packages openssl
  mkdir -p "$d"
  chmod 0700 "$d"
  if [ ! -s "$d/ca.key" ] || ! openssl x509 -in "$d/ca.crt" -noout -checkend 31536000 >/dev/null 2>&1; then
    log "making the lab Kubernetes CA in $d"
    find "$d" -maxdepth 1 -type f -delete
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" -days 3650 \
      -subj "/CN=odoo-cloud-lab-kubernetes-ca" -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null || die "cannot make the CA"
    chmod 0600 "$d/ca.key"
  fi
  if [ ! -s "$d/sa.key" ] || [ ! -s "$d/sa.pub" ]; then
    openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
    openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
    chmod 0600 "$d/sa.key"
  fi
  k8s_pki_cert apiserver "/CN=kube-apiserver" serverAuth \
    "IP:$K8S_CP_IP,IP:$K8S_SERVICE_IP,IP:127.0.0.1,DNS:$K8S_CP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  k8s_pki_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
  k8s_pki_cert admin "/O=system:masters/CN=admin" clientAuth
  k8s_pki_cert controller-manager "/CN=system:kube-controller-manager" clientAuth
  k8s_pki_cert scheduler "/CN=system:kube-scheduler" clientAuth
  k8s_pki_cert kube-proxy "/CN=system:kube-proxy" clientAuth
  k8s_pki_cert kube-router "/CN=system:kube-router" clientAuth
  # Serving (for the API server's logs/exec calls, checked against the CA) and client (Node authorizer).
  k8s_pki_cert "kubelet-$K8S_NODE" "/O=system:nodes/CN=system:node:$K8S_NODE" serverAuth,clientAuth \
    "IP:$K8S_NODE_IP,DNS:$K8S_NODE"
}

k8s_kubeconfig() {  # k8s_kubeconfig FILE SERVER USER CERT_NAME
  local b64='base64 -w0'
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: odoo-cloud-lab
  cluster:
    server: $2
    certificate-authority-data: $($b64 "$K8S_PKI/ca.crt")
users:
- name: $3
  user:
    client-certificate-data: $($b64 "$K8S_PKI/$4.crt")
    client-key-data: $($b64 "$K8S_PKI/$4.key")
contexts:
- name: $3@odoo-cloud-lab
  context:
    cluster: odoo-cloud-lab
    user: $3
current-context: $3@odoo-cloud-lab
EOF
  chmod 0600 "$1"
}

k8s_unit() {  # k8s_unit FILE DESCRIPTION AFTER EXEC... : a systemd unit restarting its command
  local file=$1 desc=$2 after=$3
  shift 3
  mkdir -p "${file%/*}"
  {
    printf '[Unit]\nDescription=%s (odoo-cloud lab)\n' "$desc"
    [ -z "$after" ] || printf 'After=%s\nWants=%s\n' "$after" "$after"
    printf '\n[Service]\nExecStart=%s' "$1"
    shift
    for a in "$@"; do printf ' \\\n  %s' "$a"; done
    printf '\nRestart=always\nRestartSec=2\nLimitNOFILE=1048576\n\n[Install]\nWantedBy=multi-user.target\n'
  } >"$file"
}

# ---------------------------------------------------------------------------------------------
# What goes into each host: a tree under $LAB_CACHE/k8s/stage/HOST, copied over / when it changed.

k8s_stage_cp() {
  local s="$K8S_DIR/stage/$K8S_CP" k=/etc/kubernetes p=/etc/kubernetes/pki f
  rm -rf "$s"
  mkdir -p "$s/usr/local/bin" "$s$p"
  for f in kube-apiserver kube-controller-manager kube-scheduler; do ln -f "$K8S_BIN/$f" "$s/usr/local/bin/$f"; done
  ln -f "$ETCD_BIN" "$s/usr/local/bin/etcd"
  for f in ca.crt ca.key sa.key sa.pub apiserver.crt apiserver.key apiserver-kubelet-client.crt apiserver-kubelet-client.key; do
    cp "$K8S_PKI/$f" "$s$p/$f"
  done
  k8s_kubeconfig "$s$k/controller-manager.kubeconfig" https://127.0.0.1:6443 system:kube-controller-manager controller-manager
  k8s_kubeconfig "$s$k/scheduler.kubeconfig" https://127.0.0.1:6443 system:kube-scheduler scheduler
  k8s_kubeconfig "$s$k/admin.kubeconfig" https://127.0.0.1:6443 admin admin
  local u="$s/etc/systemd/system"
  k8s_unit "$u/etcd.service" "etcd $ETCD_VERSION" "" /usr/local/bin/etcd \
    --name="$K8S_CP" --data-dir=/var/lib/etcd \
    --listen-client-urls=http://127.0.0.1:2379 --advertise-client-urls=http://127.0.0.1:2379 \
    --listen-peer-urls=http://127.0.0.1:2380 --initial-advertise-peer-urls=http://127.0.0.1:2380 \
    --initial-cluster="$K8S_CP=http://127.0.0.1:2380" --listen-metrics-urls=http://127.0.0.1:2381
  k8s_unit "$u/kube-apiserver.service" "kube-apiserver $K8S_VERSION" etcd.service /usr/local/bin/kube-apiserver \
    --advertise-address="$K8S_CP_IP" --bind-address=0.0.0.0 --secure-port=6443 \
    --etcd-servers=http://127.0.0.1:2379 \
    --tls-cert-file=$p/apiserver.crt --tls-private-key-file=$p/apiserver.key --client-ca-file=$p/ca.crt \
    --kubelet-client-certificate=$p/apiserver-kubelet-client.crt \
    --kubelet-client-key=$p/apiserver-kubelet-client.key \
    --kubelet-certificate-authority=$p/ca.crt --kubelet-preferred-address-types=InternalIP \
    --service-account-key-file=$p/sa.pub --service-account-signing-key-file=$p/sa.key \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range="$K8S_SERVICE_CIDR" --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,ResourceQuota,PodSecurity \
    --allow-privileged=false
  k8s_unit "$u/kube-controller-manager.service" "kube-controller-manager $K8S_VERSION" kube-apiserver.service \
    /usr/local/bin/kube-controller-manager \
    --kubeconfig=$k/controller-manager.kubeconfig \
    --authentication-kubeconfig=$k/controller-manager.kubeconfig \
    --authorization-kubeconfig=$k/controller-manager.kubeconfig \
    --bind-address=127.0.0.1 --leader-elect=false \
    --cluster-signing-cert-file=$p/ca.crt --cluster-signing-key-file=$p/ca.key --root-ca-file=$p/ca.crt \
    --service-account-private-key-file=$p/sa.key --use-service-account-credentials \
    --allocate-node-cidrs --cluster-cidr="$K8S_CLUSTER_CIDR" --node-cidr-mask-size=24 \
    --service-cluster-ip-range="$K8S_SERVICE_CIDR"
  k8s_unit "$u/kube-scheduler.service" "kube-scheduler $K8S_VERSION" kube-apiserver.service \
    /usr/local/bin/kube-scheduler \
    --kubeconfig=$k/scheduler.kubeconfig --authentication-kubeconfig=$k/scheduler.kubeconfig \
    --authorization-kubeconfig=$k/scheduler.kubeconfig --bind-address=127.0.0.1 --leader-elect=false
}

# The node's cgroup: kubelet's cgroupRoot is the lab host's own cgroup (cgroupfs driver, cgroup v1).
# (systemd inside moves itself to .../init.scope: the container's cgroup is Docker's /docker/<id>.)
k8s_node_cgroup() {
  local id
  id=$(docker inspect -f '{{.Id}}' "$K8S_NODE")
  [ -d "/sys/fs/cgroup/memory/docker/$id" ] || return 0
  echo "/docker/$id"
}

k8s_stage_node() {
  local s="$K8S_DIR/stage/$K8S_NODE" k=/etc/kubernetes p=/etc/kubernetes/pki f cg server="https://$K8S_CP_IP:6443"
  cg=$(k8s_node_cgroup)
  case $cg in /?*) ;; *) die "cannot read $K8S_NODE's cgroup (kubelet's cgroupRoot)" ;; esac
  rm -rf "$s"
  mkdir -p "$s/usr/local/bin" "$s/usr/local/sbin" "$s$p" "$s/var/lib/kubelet" "$s/var/lib/kube-proxy" \
    "$s/etc/containerd/certs.d/$REGISTRY_IP:$REGISTRY_PORT"
  for f in kubelet kube-proxy kubectl; do ln -f "$K8S_BIN/$f" "$s/usr/local/bin/$f"; done
  ln -f "$KUBE_ROUTER_BIN" "$s/usr/local/bin/kube-router"
  cp "$K8S_PKI/ca.crt" "$s$p/ca.crt"
  cp "$K8S_PKI/kubelet-$K8S_NODE.crt" "$s$p/kubelet.crt"
  cp "$K8S_PKI/kubelet-$K8S_NODE.key" "$s$p/kubelet.key"
  k8s_kubeconfig "$s$k/kubelet.kubeconfig" "$server" "system:node:$K8S_NODE" "kubelet-$K8S_NODE"
  k8s_kubeconfig "$s$k/kube-proxy.kubeconfig" "$server" system:kube-proxy kube-proxy
  k8s_kubeconfig "$s$k/kube-router.kubeconfig" "$server" system:kube-router kube-router

  # Before containerd and kubelet, every boot: what kubelet insists on and a lab host lacks. The
  # /proc/sys files are bind mounts inside this lab host only; the machine's values stay as they are.
  cat >"$s/usr/local/sbin/odoo-cloud-lab-k8s-prepare" <<EOF
#!/bin/sh
# kubelet checks these kernel settings and /proc/sys is read-only in a lab host: small files holding
# the values it wants are bind-mounted over them, inside this lab host only.
set -e
mkdir -p /run/odoo-cloud-lab-k8s/sysctl
for kv in vm/overcommit_memory=1 kernel/panic=10 kernel/panic_on_oops=1; do
  key=\${kv%%=*} value=\${kv#*=}
  [ "\$(cat /proc/sys/\$key)" = "\$value" ] && continue
  f=/run/odoo-cloud-lab-k8s/sysctl/\$(echo "\$key" | tr / .)
  echo "\$value" >"\$f"
  mount --bind "\$f" "/proc/sys/\$key"
done
# No /dev/kmsg in a container: kubelet's OOM watcher reads it (OOM events are then not reported).
[ -e /dev/kmsg ] || ln -s /dev/null /dev/kmsg
# Docker does not create the host's cgroup under the hugetlb controller; kubelet needs it.
[ ! -d /sys/fs/cgroup/hugetlb ] || mkdir -p "/sys/fs/cgroup/hugetlb$cg"
EOF
  chmod 0755 "$s/usr/local/sbin/odoo-cloud-lab-k8s-prepare"
  local u="$s/etc/systemd/system"
  mkdir -p "$u"
  cat >"$u/odoo-cloud-lab-k8s-prepare.service" <<'EOF'
[Unit]
Description=kernel settings, /dev/kmsg and cgroups kubelet needs in a lab host (odoo-cloud lab)
Before=containerd.service kubelet.service kube-proxy.service kube-router.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/odoo-cloud-lab-k8s-prepare

[Install]
WantedBy=multi-user.target
EOF
  k8s_unit "$u/kubelet.service" "kubelet $K8S_VERSION" "containerd.service odoo-cloud-lab-k8s-prepare.service" \
    /usr/local/bin/kubelet --config=/var/lib/kubelet/config.yaml --kubeconfig=$k/kubelet.kubeconfig \
    --hostname-override="$K8S_NODE" --node-ip="$K8S_NODE_IP"
  k8s_unit "$u/kube-proxy.service" "kube-proxy $K8S_VERSION" odoo-cloud-lab-k8s-prepare.service \
    /usr/local/bin/kube-proxy --config=/var/lib/kube-proxy/config.yaml
  k8s_unit "$u/kube-router.service" "kube-router $KUBE_ROUTER_VERSION (NetworkPolicy only)" kubelet.service \
    /usr/local/bin/kube-router --kubeconfig=$k/kube-router.kubeconfig --hostname-override="$K8S_NODE" \
    --run-firewall=true --run-router=false --run-service-proxy=false --metrics-port=0

  cat >"$s/var/lib/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: $p/ca.crt
authorization:
  mode: Webhook
tlsCertFile: $p/kubelet.crt
tlsPrivateKeyFile: $p/kubelet.key
containerRuntimeEndpoint: unix:///run/containerd/containerd.sock
# The machine has cgroup v1 (kubelet 1.37 refuses it unless told); containerd 1.6 reports no cgroup
# driver, kubelet falls back to this one (1.38 drops that fallback: keep 1.37 or move to containerd 2).
failCgroupV1: false
cgroupDriver: cgroupfs
# The lab host's own cgroup (Docker's cgroupfs driver).
cgroupRoot: $cg
clusterDomain: cluster.local
failSwapOn: false
resolvConf: /etc/resolv.conf
serializeImagePulls: false
EOF
  cat >"$s/var/lib/kube-proxy/config.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: $k/kube-proxy.kubeconfig
hostnameOverride: $K8S_NODE
mode: iptables
clusterCIDR: $K8S_CLUSTER_CIDR
# /proc/sys is read-only in a lab host: kube-proxy must write no sysctl.
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
iptables:
  localhostNodePorts: false
EOF
  cat >"$s/etc/containerd/config.toml" <<EOF
version = 2
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$K8S_PAUSE_REF"
  # Docker creates no cgroup for a container under the hugetlb controller.
  tolerate_missing_hugetlb_controller = true
  disable_hugetlb_controller = true
  # A lab host has no CAP_SYS_RESOURCE, so nothing in it may lower an oom_score_adj (the sandbox's
  # -998 failed: "nsexec: failed to update /proc/self/oom_score_adj: Permission denied"); this caps
  # every container's value at containerd's own.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    # overlayfs on the lab host's own overlay root fails ("invalid argument").
    snapshotter = "native"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "/etc/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "/etc/containerd/certs.d"
EOF
  cat >"$s/etc/containerd/certs.d/$REGISTRY_IP:$REGISTRY_PORT/hosts.toml" <<EOF
# The lab registry speaks plain HTTP.
server = "http://$REGISTRY_IP:$REGISTRY_PORT"

[host."http://$REGISTRY_IP:$REGISTRY_PORT"]
  capabilities = ["pull", "resolve"]
EOF
}

k8s_stage_sha() {  # content of the configuration files, size and time of the binaries
  (cd "$1" && find . -type f ! -path './usr/local/bin/*' -print0 | sort -z | xargs -0 sha256sum \
     && find ./usr/local/bin -type f -printf '%P %s %T@\n' | sort) | sha256sum | cut -c1-16
}

# k8s_install HOST UNIT...: copy the stage over / and (re)start the units when it changed.
k8s_install() {
  local host=$1 s="$K8S_DIR/stage/$1" sha
  shift
  sha=$(k8s_stage_sha "$s")
  K8S_CHANGED=0
  if [ "$(docker exec "$host" cat /etc/odoo-cloud-lab-k8s.sha 2>/dev/null || true)" = "$sha" ]; then
    docker exec "$host" systemctl start "$@"
    return 0
  fi
  K8S_CHANGED=1
  log "installing the Kubernetes files on $host"
  docker exec "$host" systemctl stop "$@" 2>/dev/null || true
  tar -C "$s" -cf - --owner=0 --group=0 . | docker exec -i "$host" tar -C / --no-overwrite-dir -xf -
  docker exec "$host" systemctl daemon-reload
  docker exec "$host" systemctl enable -q "$@"
  docker exec "$host" systemctl restart "$@"
  echo "$sha" | docker exec -i "$host" sh -c 'cat >/etc/odoo-cloud-lab-k8s.sha'
}

# ---------------------------------------------------------------------------------------------
# Hosts

k8s_host() {  # k8s_host NAME IP: a lab host (scripts/lab.sh's run_host), kept when it runs
  local state=""
  if [ "$(docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" != true ]; then
    log "starting lab host $1 ($2)"
    run_host "$1" "$2"
  fi
  for _ in $(seq 1 60); do
    state=$(docker exec "$1" systemctl is-system-running 2>/dev/null || true)
    case "$state" in running|degraded) return 0 ;; esac
    sleep 1
  done
  die "$1: systemd is '$state' after 60 s"
}

kubectl_admin() { "$K8S_BIN/kubectl" --kubeconfig "$K8S_ADMIN_KUBECONFIG" --request-timeout=20s "$@"; }

k8s_wait_api() {
  local t0=$SECONDS
  for _ in $(seq 1 90); do
    if [ "$(kubectl_admin get --raw /readyz 2>/dev/null)" = ok ]; then
      log "API server ready at https://$K8S_CP_IP:6443 ($((SECONDS - t0)) s)"
      return 0
    fi
    sleep 1
  done
  docker exec "$K8S_CP" journalctl -u kube-apiserver -n 30 --no-pager >&2 || true
  die "the API server at https://$K8S_CP_IP:6443 is not ready after 90 s"
}

# The sandbox image: build/pause/linux/pause.c of the k8s.io/kubernetes module, static, FROM scratch.
k8s_pause_image() {
  local dir _gomod _time ctx="$K8S_DIR/pause-image" image="odoo-cloud-lab/pause:$K8S_PAUSE_TAG" code
  read -r dir _gomod _time < <(k8s_module "k8s.io/kubernetes@$K8S_VERSION")
  mkdir -p "$ctx"
  if [ ! -x "$ctx/pause" ] || [ "$ctx/pause" -ot "$dir/build/pause/linux/pause.c" ]; then
    ensure_apt_packages gcc libc6-dev
    gcc -Os -Wall -Werror -static -DVERSION="v$K8S_PAUSE_TAG" -o "$ctx/pause" "$dir/build/pause/linux/pause.c" \
      || die "cannot compile pause.c"
    strip "$ctx/pause" 2>/dev/null || true
  fi
  printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' >"$ctx/Dockerfile"
  build_image "$image" "$ctx"
  code=$(curl -fsS -o /dev/null -w '%{http_code}' -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://127.0.0.1:$REGISTRY_PORT/v2/lab/pause/manifests/$K8S_PAUSE_TAG" 2>/dev/null || true)
  if [ "$code" != 200 ] || [ "$(docker image inspect -f '{{.Id}}' "127.0.0.1:$REGISTRY_PORT/lab/pause:$K8S_PAUSE_TAG" 2>/dev/null)" \
                            != "$(docker image inspect -f '{{.Id}}' "$image")" ]; then
    docker tag "$image" "127.0.0.1:$REGISTRY_PORT/lab/pause:$K8S_PAUSE_TAG"
    docker push -q "127.0.0.1:$REGISTRY_PORT/lab/pause:$K8S_PAUSE_TAG" >/dev/null
    log "pause image pushed as $K8S_PAUSE_REF"
  fi
}

k8s_node_packages() {
  local pkgs="containerd runc containernetworking-plugins iptables ipset conntrack kmod"
  # shellcheck disable=SC2086
  docker exec "$K8S_NODE" dpkg -s $pkgs >/dev/null 2>&1 && return 0
  log "installing $pkgs from Debian in $K8S_NODE"
  docker exec "$K8S_NODE" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs >/dev/null" \
    || die "apt-get install in $K8S_NODE failed"
}

# Bridge CNI with host-local IPAM on the podCIDR the controller-manager gave the node.
k8s_node_cni() {
  local cidr="" conf
  for _ in $(seq 1 60); do
    cidr=$(kubectl_admin get node "$K8S_NODE" -o jsonpath='{.spec.podCIDR}' 2>/dev/null || true)
    [ -n "$cidr" ] && break
    sleep 1
  done
  [ -n "$cidr" ] || die "$K8S_NODE got no podCIDR within 60 s (kube-controller-manager --allocate-node-cidrs)"
  conf=$(cat <<EOF
{
  "cniVersion": "0.4.0",
  "name": "lab-pods",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "$cidr"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
)
  if [ "$(docker exec "$K8S_NODE" cat /etc/cni/net.d/10-lab-bridge.conflist 2>/dev/null || true)" != "$conf" ]; then
    printf '%s\n' "$conf" | docker exec -i "$K8S_NODE" sh -c 'mkdir -p /etc/cni/net.d && cat >/etc/cni/net.d/10-lab-bridge.conflist'
    log "CNI: bridge cni0 on $cidr"
  fi
}

k8s_rbac() {
  kubectl_admin apply --server-side --field-manager=odoo-cloud-lab -f - >/dev/null <<'EOF'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: odoo-cloud-lab:kube-router
rules:
- apiGroups: [""]
  resources: [namespaces, pods, services, nodes, endpoints]
  verbs: [get, list, watch]
- apiGroups: [networking.k8s.io]
  resources: [networkpolicies]
  verbs: [get, list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [get, list, watch]
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [get, create, update]
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: odoo-cloud-lab:kube-router
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: odoo-cloud-lab:kube-router
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: system:kube-router
EOF
}

# Traefik's CRDs, from the Traefik module the lab builds (version pinned in lab_images.yml).
k8s_traefik_crds() {
  local ref version dir _gomod _time crds
  ref=$(sed -n 's/^lab_traefik_image:[[:space:]]*["'\'']\{0,1\}\([^"'\'' ]*\).*/\1/p' \
    "$REPO_ROOT/inventories/lab/group_vars/all/lab_images.yml")
  version=${ref##*:}
  read -r dir _gomod _time < <(k8s_module "github.com/traefik/traefik/v3@$version")
  crds="$dir/docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml"
  [ -f "$crds" ] || die "Traefik $version's module has no $crds"
  kubectl_admin apply --server-side --field-manager=odoo-cloud-lab -f "$crds" >/dev/null \
    || die "applying Traefik $version's CRDs failed"
  log "Traefik $version CRDs applied ($(kubectl_admin get crd -o name | grep -c '\.traefik\.io$') traefik.io CRDs)"
}

k8s_wait_node_ready() {  # k8s_wait_node_ready START_SECONDS
  local t0=$1 ready=""
  while [ $((SECONDS - t0)) -lt "$K8S_NODE_READY_TIMEOUT" ]; do
    ready=$(kubectl_admin get node "$K8S_NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
    [ "$ready" = True ] && return 0
    sleep 1
  done
  kubectl_admin describe node "$K8S_NODE" >&2 || true
  docker exec "$K8S_NODE" journalctl -u kubelet -n 40 --no-pager >&2 || true
  die "$K8S_NODE is not Ready after $K8S_NODE_READY_TIMEOUT s"
}

k8s_cmd_up() {
  local t0=$SECONDS t_kubelet
  cmd_up
  k8s_cmd_build
  k8s_pki
  k8s_kubeconfig "$K8S_ADMIN_KUBECONFIG" "https://$K8S_CP_IP:6443" admin admin
  k8s_pause_image
  k8s_host "$K8S_CP" "$K8S_CP_IP"
  k8s_host "$K8S_NODE" "$K8S_NODE_IP"
  k8s_stage_cp
  k8s_install "$K8S_CP" etcd kube-apiserver kube-controller-manager kube-scheduler
  k8s_wait_api
  k8s_rbac
  k8s_node_packages
  k8s_stage_node
  t_kubelet=$SECONDS
  k8s_install "$K8S_NODE" odoo-cloud-lab-k8s-prepare containerd kubelet kube-proxy kube-router
  k8s_node_cni
  k8s_wait_node_ready "$t_kubelet"
  if [ "$K8S_CHANGED" = 1 ]; then
    log "$K8S_NODE Ready $((SECONDS - t_kubelet)) s after its units were (re)started"
  else
    log "$K8S_NODE Ready (nothing changed on it)"
  fi
  k8s_traefik_crds
  log "Kubernetes lab up in $((SECONDS - t0)) s: kubectl --kubeconfig $K8S_ADMIN_KUBECONFIG get nodes"
  kubectl_admin get nodes -o wide
}

k8s_cmd_status() {
  local h units u
  docker info >/dev/null 2>&1 || { echo "dockerd is not running"; return 0; }
  for h in "$K8S_CP" "$K8S_NODE"; do
    if [ "$(docker inspect -f '{{.State.Running}}' "$h" 2>/dev/null)" = true ]; then
      case $h in
        "$K8S_CP") units="etcd kube-apiserver kube-controller-manager kube-scheduler" ;;
        *) units="containerd kubelet kube-proxy kube-router" ;;
      esac
      printf '%s:' "$h"
      for u in $units; do printf ' %s=%s' "$u" "$(docker exec "$h" systemctl is-active "$u" || true)"; done
      echo
    else
      echo "$h: not running"
    fi
  done
  if [ -s "$K8S_ADMIN_KUBECONFIG" ] && [ -x "$K8S_BIN/kubectl" ]; then
    kubectl_admin get nodes -o wide 2>/dev/null || true
  fi
}

k8s_cmd_down() {
  local h id c
  docker info >/dev/null 2>&1 || { log "dockerd is not running: nothing to tear down"; return 0; }
  for h in "$K8S_NODE" "$K8S_CP"; do
    id=$(docker inspect -f '{{.Id}}' "$h" 2>/dev/null || true)
    [ -n "$id" ] || continue
    # Stop the pods first: their cgroups sit under the host's own, which Docker then removes.
    [ "$h" != "$K8S_NODE" ] || docker exec "$h" systemctl stop kubelet kube-router kube-proxy containerd >/dev/null 2>&1 || true
    docker rm -f -v "$h" >/dev/null
    # Whatever kubelet and containerd left in the cgroup tree under this host's cgroup.
    for c in /sys/fs/cgroup/*/docker/"$id"; do
      if [ -d "$c" ]; then find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true; fi
    done
    log "removed $h"
  done
}
# ---------------------------------------------------------------------------------------------
# kwok: simulated nodes for the benchmarks (a hundred tenants' pods do not fit the real node). kwok
# watches the nodes labelled $KWOK_LABEL=true and plays their kubelet: node Ready, leases renewed,
# pods Running and Ready with an address from its own range, deleted pods removed.

k8s_build_kwok() {
  local logfile="$K8S_DIR/kwok-build-$KWOK_VERSION.log" start secs
  if [ -x "$KWOK_BIN" ] && "$KWOK_BIN" --version 2>/dev/null | grep -q "$KWOK_VERSION"; then return 0; fi
  mkdir -p "${KWOK_BIN%/*}"
  log "building kwok $KWOK_VERSION from its Go module (about 3 min on 2 cores; log in $logfile)"
  start=$SECONDS
  GOBIN="${KWOK_BIN%/*}" k8s_go install -trimpath "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" >"$logfile" 2>&1 \
    || { tail -n 30 "$logfile" >&2; die "building kwok $KWOK_VERSION failed (log: $logfile)"; }
  secs=$((SECONDS - start))
  k8s_record_time kwok "$KWOK_VERSION" "$secs"
  log "kwok built in $secs s"
}

# The stages kwok applies (its --config): without stages it does nothing.
k8s_kwok_stages() {
  cat <<'EOF'
# kwok stages for the odoo-cloud lab's simulated nodes: what a kubelet would report, at once.
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: lab-node-ready
spec:
  resourceRef: {apiGroup: v1, kind: Node}
  selector:
    matchExpressions:
      - {key: .status.phase, operator: NotIn, values: [Running]}
  next:
    statusTemplate: |
      {{ $now := Now }}
      phase: Running
      conditions:
        - type: Ready
          status: "True"
          reason: KubeletReady
          message: simulated by kwok (odoo-cloud lab)
          lastHeartbeatTime: {{ $now | Quote }}
          lastTransitionTime: {{ $now | Quote }}
      addresses:
        - {type: InternalIP, address: {{ NodeIP | Quote }}}
      capacity: {cpu: "16", memory: 64Gi, pods: "250"}
      allocatable: {cpu: "16", memory: 64Gi, pods: "250"}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: lab-pod-running
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
      - {key: .metadata.deletionTimestamp, operator: DoesNotExist}
      - {key: .status.podIP, operator: DoesNotExist}
  next:
    statusTemplate: |
      {{ $now := Now }}
      phase: Running
      startTime: {{ $now | Quote }}
      hostIP: {{ NodeIPWith .spec.nodeName | Quote }}
      podIP: {{ PodIPWith .spec.nodeName false .metadata.uid .metadata.name .metadata.namespace | Quote }}
      conditions:
        - {type: PodScheduled, status: "True", lastTransitionTime: {{ $now | Quote }}}
        - {type: Initialized, status: "True", lastTransitionTime: {{ $now | Quote }}}
        - {type: ContainersReady, status: "True", lastTransitionTime: {{ $now | Quote }}}
        - {type: Ready, status: "True", lastTransitionTime: {{ $now | Quote }}}
      containerStatuses:
      {{ range .spec.containers }}
        - name: {{ .name | Quote }}
          image: {{ .image | Quote }}
          ready: true
          started: true
          restartCount: 0
          state: {running: {startedAt: {{ $now | Quote }}}}
      {{ end }}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: lab-pod-gone
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
      - {key: .metadata.deletionTimestamp, operator: Exists}
  next:
    finalizers: {empty: true}
    delete: true
EOF
}

k8s_kwok_nodes() {  # k8s_kwok_nodes N: the Node objects kwok plays
  local i
  for i in $(seq 1 "$1"); do
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: lab-kwok-$i
  labels: {$KWOK_LABEL: "true", kubernetes.io/hostname: lab-kwok-$i, kubernetes.io/os: linux, kubernetes.io/arch: amd64}
  annotations: {node.alpha.kubernetes.io/ttl: "0"}
EOF
  done
}

k8s_cmd_kwok() {
  local s="$K8S_DIR/stage-kwok" n ready=0 t0=$SECONDS
  k8s_build_kwok
  kubectl_admin get --raw /readyz >/dev/null 2>&1 || die "the Kubernetes lab is not up: run scripts/lab.sh k8s-up first"
  rm -rf "$s" && mkdir -p "$s/usr/local/bin" "$s/etc/kwok" "$s/etc/systemd/system"
  ln -f "$KWOK_BIN" "$s/usr/local/bin/kwok"
  k8s_kwok_stages >"$s/etc/kwok/stages.yaml"
  # Pod addresses from a range of its own, and the nodes' address outside it (else a pod gets the node's).
  k8s_unit "$s/etc/systemd/system/kwok.service" "kwok $KWOK_VERSION (simulated nodes)" kube-apiserver.service \
    /usr/local/bin/kwok --kubeconfig=/etc/kubernetes/admin.kubeconfig --config=/etc/kwok/stages.yaml \
    --manage-all-nodes=false --manage-nodes-with-label-selector="$KWOK_LABEL=true" \
    --cidr=10.250.0.0/16 --node-ip=10.249.0.1 --node-lease-duration-seconds=40 \
    --server-address=127.0.0.1:10247
  tar -C "$s" -cf - --owner=0 --group=0 . | docker exec -i "$K8S_CP" tar -C / --no-overwrite-dir -xf -
  docker exec "$K8S_CP" systemctl daemon-reload
  docker exec "$K8S_CP" systemctl restart kwok
  k8s_kwok_nodes "$KWOK_NODES" | kubectl_admin apply -f - >/dev/null
  for n in $(seq 1 60); do
    ready=$(kubectl_admin get nodes -l "$KWOK_LABEL=true" \
              -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True || true)
    [ "$ready" -ge "$KWOK_NODES" ] && break
    sleep 1
  done
  if [ "$ready" -lt "$KWOK_NODES" ]; then
    docker exec "$K8S_CP" journalctl -u kwok -n 30 --no-pager >&2
    die "kwok nodes not Ready after $n s ($ready of $KWOK_NODES)"
  fi
  log "$KWOK_NODES kwok nodes Ready in $((SECONDS - t0)) s (label $KWOK_LABEL=true)"
}

k8s_cmd_kwok_down() {
  kubectl_admin delete nodes -l "$KWOK_LABEL=true" --wait=false >/dev/null 2>&1 || true
  docker exec "$K8S_CP" systemctl stop kwok 2>/dev/null || true
  log "kwok stopped and its nodes removed"
}

case $K8S_CMD in
  build) k8s_cmd_build ;;
  kwok) k8s_cmd_kwok ;;
  kwok-down) k8s_cmd_kwok_down ;;
  up) k8s_cmd_up ;;
  status) k8s_cmd_status ;;
  down) k8s_cmd_down ;;
  *) die "unknown k8s command: $K8S_CMD" ;;
esac
