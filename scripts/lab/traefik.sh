# shellcheck shell=bash
# Traefik v3 for the lab. Sourced by `scripts/lab.sh up` (its functions and variables are in scope):
# builds the traefik binary from its Go module through the Go module proxy, bakes it into an image on
# the lab's base image (tests/lab/images/traefik) and pushes that to the lab registry.
#
# The version is pinned in ONE place, inventories/lab/group_vars/all/lab_images.yml
# (lab_traefik_image), which the roles read too: bump it there, nothing here needs editing.
#
# Traefik's go.mod has `replace` directives, so `go install ...@version` refuses it. A small wrapper
# module in $LAB_CACHE/traefik/build-<version>/ requires Traefik and repeats its replace, exclude and
# godebug directives, read from the go.mod the proxy serves. The binary is cached in
# $LAB_CACHE/traefik/<version>/traefik; Go's module and build caches in $LAB_CACHE/go.

TRAEFIK_IMAGES_FILE="$REPO_ROOT/inventories/lab/group_vars/all/lab_images.yml"
TRAEFIK_MODULE=github.com/traefik/traefik/v3

# go with the lab's caches, the machine's own toolchain (never a downloaded one), at low priority:
# the machine has 2 cores and other work to do.
traefik_go() {
  nice -n 10 env GOPATH="$LAB_CACHE/go" GOMODCACHE="$LAB_CACHE/go/mod" GOCACHE="$LAB_CACHE/go/cache" \
    GOTOOLCHAIN=local GOWORK=off GOFLAGS="-modcacherw -buildvcs=false" CGO_ENABLED=0 go "$@"
}

# traefik_json FIELD < JSON: one top-level string field of a JSON object.
traefik_json() { python3 -c 'import json, sys; print(json.load(sys.stdin).get(sys.argv[1]) or "")' "$1"; }

# Stand-ins for nested modules that Traefik wires with a relative `replace` (=> ./some/dir): the
# proxy's zip of a module leaves nested modules out, so their directory is missing from the download.
# traefik_standin MODULE DIR writes one into DIR; it fails for a module it does not know.
traefik_standin() {
  case $1 in
    github.com/traefik/traefik/dynamic/ext)
      # Since v3.7, pkg/config/dynamic embeds ext.HTTP and ext.Router: the extension point of the
      # commercial editions. In open-source Traefik these types are empty structs, as here.
      mkdir -p "$2"
      printf 'module %s\n\ngo 1.24.0\n' "$1" >"$2/go.mod"
      cat >"$2/ext.go" <<'EOF'
// Package ext stands in for Traefik's nested module github.com/traefik/traefik/dynamic/ext
// (pkg/config/dynamic/ext in its repository), which the Go module proxy does not serve.
package ext

// HTTP is embedded in dynamic.HTTP; empty in open-source Traefik.
type HTTP struct{}

// Router is embedded in dynamic.Router; empty in open-source Traefik.
type Router struct{}

// RouterIng extends the Kubernetes Ingress router annotations; empty in open-source Traefik.
type RouterIng struct{}

// ToRouter converts the annotation extension into the router extension.
func (RouterIng) ToRouter() Router { return Router{} }
EOF
      ;;
    *) return 1 ;;
  esac
}

# traefik_build VERSION BINARY: build Traefik VERSION into BINARY.
traefik_build() {
  local version=$1 out=$2 work="$LAB_CACHE/traefik" build dl dir gomod need have directives kind a b
  local -a edits
  local codename date ldflags start logfile refused
  command -v go >/dev/null 2>&1 \
    || die "Go is not on PATH: the lab builds Traefik $version from source and needs the Go version its go.mod asks for (install it from https://go.dev/dl/)"
  command -v python3 >/dev/null 2>&1 || die "python3 is needed to read Traefik's go.mod"
  mkdir -p "$work"
  dl=$(traefik_go -C "$work" mod download -json "$TRAEFIK_MODULE@$version") \
    || die "cannot download $TRAEFIK_MODULE@$version from the Go module proxy ($(traefik_go env GOPROXY))"
  dir=$(traefik_json Dir <<<"$dl")
  gomod=$(traefik_json GoMod <<<"$dl")
  if [ ! -d "$dir" ] || [ ! -f "$gomod" ]; then
    die "go mod download gave no source for $TRAEFIK_MODULE@$version"
  fi

  need=$(traefik_go mod edit -json "$gomod" | traefik_json Go)
  have=$(traefik_go env GOVERSION)
  have=${have#go}
  [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n1)" = "$need" ] \
    || die "Traefik $version needs Go >= $need, $(command -v go) is Go $have: install a newer Go (https://go.dev/dl/)"

  # The wrapper module requires Traefik and everything Traefik's go.mod requires (so each dependency
  # resolves to the version Traefik's own build uses), and repeats its replace, exclude and godebug
  # directives: those of a dependency are ignored, only the main module's count.
  build="$work/build-$version"
  rm -rf "$build"
  mkdir -p "$build"
  printf 'module odoo-cloud-lab/traefik-build\n\ngo %s\n\nrequire %s %s\n' \
    "$need" "$TRAEFIK_MODULE" "$version" >"$build/go.mod"
  # Traefik's go.sum too: its hashes (authenticated with Traefik's own module) verify the downloads.
  # The proxy here serves some dependencies whose checksum-database lookup it answers with 404;
  # with their hash in go.sum, Go never needs that lookup.
  if [ -f "$dir/go.sum" ]; then
    cp "$dir/go.sum" "$build/go.sum"
    chmod u+w "$build/go.sum"
  fi
  directives=$(traefik_go mod edit -json "$gomod" | python3 -c '
import json, sys
mod = json.load(sys.stdin)
for r in mod.get("Require") or []:
    print("require", r["Path"] + "@" + r["Version"], "", sep="\t")
for r in mod.get("Replace") or []:
    old, new = r["Old"], r["New"]
    o = old["Path"] + ("@" + old["Version"] if old.get("Version") else "")
    n = new["Path"] + ("@" + new["Version"] if new.get("Version") else "")
    print("replace" if new.get("Version") else "replace-dir", o, n, sep="\t")
for e in mod.get("Exclude") or []:
    print("exclude", e["Path"] + "@" + e["Version"], "", sep="\t")
for g in mod.get("Godebug") or []:
    print("godebug", g["Key"] + "=" + g["Value"], "", sep="\t")
') || die "cannot read the directives of $gomod"
  edits=()
  while IFS=$'\t' read -r kind a b; do
    case $kind in
      require) edits+=("-require=$a") ;;
      replace) edits+=("-replace=$a=$b") ;;
      replace-dir)
        # A directory, relative to Traefik's module directory; or a stand-in when the proxy's zip
        # does not carry it (nested modules are left out of module zips).
        case $b in /*) ;; *) b="$dir/$b" ;; esac
        if [ ! -f "$b/go.mod" ]; then
          b="$build/standin/${a%@*}"
          traefik_standin "${a%@*}" "$b" \
            || die "Traefik $version replaces ${a%@*} with a directory its module zip lacks, and scripts/lab/traefik.sh has no stand-in for it: add one to traefik_standin"
          log "Traefik $version: stand-in for ${a%@*} (a nested module the proxy does not serve)"
        fi
        edits+=("-replace=$a=$b") ;;
      exclude) edits+=("-exclude=$a") ;;
      godebug) edits+=("-godebug=$a") ;;
    esac
  done <<<"$directives"
  traefik_go -C "$build" mod edit "${edits[@]}" || die "cannot write $build/go.mod"

  # Version stamps as Traefik's release does; the build date is the release commit's date (from the
  # proxy), so a rebuild of the same version gives the same binary.
  codename=$(sed -n 's/^[[:space:]]*CODENAME:[[:space:]]*\([A-Za-z0-9_-]*\).*/\1/p' \
    "$dir/.github/workflows/release.yaml" 2>/dev/null | head -n1 || true)
  date=$(traefik_json Time <"$LAB_CACHE/go/mod/cache/download/$TRAEFIK_MODULE/@v/$version.info" 2>/dev/null || true)
  ldflags="-s -w -X $TRAEFIK_MODULE/pkg/version.Version=${version#v}"
  [ -z "$codename" ] || ldflags="$ldflags -X $TRAEFIK_MODULE/pkg/version.Codename=$codename"
  [ -z "$date" ] || ldflags="$ldflags -X $TRAEFIK_MODULE/pkg/version.BuildDate=$date"

  logfile="$work/build-$version.log"
  log "building Traefik $version from source with $(go version | cut -d' ' -f3): the first build takes a while (about 12 min on 2 cores), log in $logfile"
  start=$SECONDS
  if ! traefik_go -C "$build" build -mod=mod -trimpath -ldflags "$ldflags" -o "$out.tmp" \
         "$TRAEFIK_MODULE/cmd/traefik" >"$logfile" 2>&1; then
    tail -n 30 "$logfile" >&2
    refused=$(grep -oE 'https?://[^ ]*/@v/[^ ]*\.(mod|zip|info): 403' "$logfile" \
      | sed -E 's|^https?://[^/]*/||; s|/@v/|@|; s/\.(mod|zip|info): 403$//' | sort -u | tr '\n' ' ' || true)
    [ -z "$refused" ] || die "the Go module proxy refuses module versions Traefik $version needs: $refused- pick another version in $TRAEFIK_IMAGES_FILE (log: $logfile)"
    die "building Traefik $version failed (log: $logfile)"
  fi
  mv "$out.tmp" "$out"
  log "Traefik $version built in $((SECONDS - start)) s: $out ($(du -h "$out" | cut -f1))"
}

traefik_version_ok() {  # traefik_version_ok BINARY VERSION
  # grep without -q reads to the end: with -q it may exit first, traefik then dies of SIGPIPE and
  # pipefail turns the match into a failure (seen: a needless rebuild, then "does not report").
  [ -x "$1" ] && "$1" version 2>/dev/null | grep -E "^Version:[[:space:]]+${2#v}\$" >/dev/null
}

traefik_lab_main() {
  local ref version registry_path bin ctx image pushed
  [ -f "$TRAEFIK_IMAGES_FILE" ] || die "$TRAEFIK_IMAGES_FILE is missing (it pins lab_traefik_image)"
  ref=$(sed -n 's/^lab_traefik_image:[[:space:]]*["'\'']\{0,1\}\([^"'\'' ]*\).*/\1/p' "$TRAEFIK_IMAGES_FILE")
  version=${ref##*:}
  [[ "$version" =~ ^v3\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]] \
    || die "lab_traefik_image in $TRAEFIK_IMAGES_FILE must end in :v3.X.Y (a Traefik v3 tag), got '$ref'"
  [ "${ref%%/*}" = "$REGISTRY_IP:$REGISTRY_PORT" ] \
    || log "warning: lab_traefik_image points at ${ref%%/*}, the lab registry is $REGISTRY_IP:$REGISTRY_PORT"
  registry_path=${ref#*/}            # lab/traefik:v3.x.y

  bin="$LAB_CACHE/traefik/$version/traefik"
  if ! traefik_version_ok "$bin" "$version"; then
    mkdir -p "${bin%/*}"
    traefik_build "$version" "$bin"
    traefik_version_ok "$bin" "$version" || die "$bin does not report version ${version#v}"
  fi

  # build_image passes only BASE_IMAGE and DEBIAN_MIRROR: the version goes in as the default of the
  # Dockerfile's TRAEFIK_VERSION argument, in a copy of the context.
  ctx="$LAB_CACHE/traefik/image-$version"
  rm -rf "$ctx"
  mkdir -p "$ctx"
  cp -a "$REPO_ROOT/tests/lab/images/traefik/." "$ctx/"
  sed -i "s/^ARG TRAEFIK_VERSION=.*/ARG TRAEFIK_VERSION=$version/" "$ctx/Dockerfile"
  image="odoo-cloud-lab/traefik:$version"
  build_image "$image" "$ctx" "$bin"

  # Push only what the registry lacks (its data goes away with `lab.sh down`).
  pushed=$(curl -fsS -o /dev/null -w '%{http_code}' \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://127.0.0.1:$REGISTRY_PORT/v2/${registry_path%:*}/manifests/$version" 2>/dev/null || true)
  if [ "$pushed" != 200 ] \
     || [ "$(docker image inspect -f '{{.Id}}' "127.0.0.1:$REGISTRY_PORT/$registry_path" 2>/dev/null)" \
          != "$(docker image inspect -f '{{.Id}}' "$image")" ]; then
    log "pushing $image to the lab registry as $ref"
    docker tag "$image" "127.0.0.1:$REGISTRY_PORT/$registry_path"
    docker push -q "127.0.0.1:$REGISTRY_PORT/$registry_path" >/dev/null
  fi
}

traefik_lab_main
