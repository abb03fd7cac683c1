#!/usr/bin/env bash
# The local lab: Debian 12 "hosts" (containers running systemd) on a dedicated Docker network,
# plus a private image registry. Built from Debian's archive; no image is ever pulled.
#
#   scripts/lab.sh up        install docker.io/debootstrap, start dockerd, build images, network, registry
#   scripts/lab.sh hosts     up + (re)create the hosts of inventories/lab
#   scripts/lab.sh status    what is running
#   scripts/lab.sh down      remove every lab container, the network and the registry's data
#   scripts/lab.sh purge     down + remove lab images and the download cache
#   scripts/lab.sh k8s-build|k8s-up|k8s-down|k8s-status|k8s-kwok|k8s-kwok-down   the Kubernetes lab (scripts/lab/k8s.sh)
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"

LAB_NET=${ODOO_CLOUD_LAB_NET:-odoo-cloud-lab}
LAB_SUBNET=${ODOO_CLOUD_LAB_SUBNET:-10.77.0.0/24}
LAB_GATEWAY=${ODOO_CLOUD_LAB_GATEWAY:-10.77.0.1}
REGISTRY_IP=${ODOO_CLOUD_LAB_REGISTRY_IP:-10.77.0.2}
REGISTRY_PORT=5000
BASE_IMAGE=odoo-cloud-lab/debian:bookworm
HOST_IMAGE=odoo-cloud-lab/host:bookworm
REGISTRY_IMAGE=odoo-cloud-lab/registry:bookworm
LABEL=io.odoo-cloud.lab
# The capability list from shared LAB.md: --privileged and --cap-add ALL fail here (no CAP_SYS_RESOURCE).
LAB_CAPS="CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE
NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT
SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE
AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ"

debian_mirror() {
  local m
  m=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -n1 || true)
  [ -n "$m" ] || m=$(grep -hsE '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v security | head -n1 || true)
  echo "${m:-http://deb.debian.org/debian}"
}

ensure_packages() {
  ensure_apt_packages docker.io debootstrap redis-tools postgresql-client rsync make curl
}

ensure_dockerd() {
  docker info >/dev/null 2>&1 && return 0
  if pidof dockerd >/dev/null 2>&1; then
    log "dockerd is starting"
  else
    log "starting dockerd (no systemd here), log in $LAB_CACHE/dockerd.log"
    mkdir -p "$LAB_CACHE"
    setsid nohup dockerd >"$LAB_CACHE/dockerd.log" 2>&1 </dev/null &
  fi
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return 0
    sleep 1
  done
  tail -n 20 "$LAB_CACHE/dockerd.log" >&2 || true
  die "dockerd did not answer within 60 s"
}

image_label() { docker image inspect -f "{{ index .Config.Labels \"$LABEL.sha\" }}" "$1" 2>/dev/null || true; }

build_base_image() {
  local mirror sha rootfs_tar
  mirror=$(debian_mirror)
  # "root-0755": the rootfs tar's top entry must not keep mktemp's 0700, which the vfs storage
  # driver (Docker inside lab hosts) applies to "/" and which then locks out non-root users.
  sha=$(echo "minbase bookworm $mirror root-0755" | sha256sum | cut -c1-16)
  [ "$(image_label "$BASE_IMAGE")" = "$sha" ] && return 0
  rootfs_tar="$LAB_CACHE/rootfs/bookworm-minbase-$sha.tar"
  if [ ! -s "$rootfs_tar" ]; then
    log "debootstrap bookworm from $mirror (about 30 s)"
    local dir
    dir=$(mktemp -d "$LAB_CACHE/rootfs-XXXX")
    debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$LAB_CACHE/debootstrap.log" 2>&1 \
      || { tail -n 20 "$LAB_CACHE/debootstrap.log" >&2; die "debootstrap failed"; }
    mkdir -p "$LAB_CACHE/rootfs"
    chmod 0755 "$dir"
    tar -C "$dir" -cf "$rootfs_tar.tmp" . && mv "$rootfs_tar.tmp" "$rootfs_tar"
    rm -rf "$dir"
  fi
  log "importing $BASE_IMAGE"
  docker import --change "LABEL $LABEL.sha=$sha" --change 'CMD ["/bin/bash"]' "$rootfs_tar" "$BASE_IMAGE" >/dev/null
}

# build_image NAME CONTEXT [extra file to copy into the context]
build_image() {
  local name=$1 context=$2 extra=${3:-} sha ctx buildlog
  sha=$( (cd "$context" && find . -type f -print0 | sort -z | xargs -0 cat; image_label "$BASE_IMAGE"; \
          [ -n "$extra" ] && cat "$extra"; debian_mirror) | sha256sum | cut -c1-16)
  [ "$(image_label "$name")" = "$sha" ] && return 0
  log "building $name"
  ctx=$(mktemp -d)
  cp -a "$context"/. "$ctx"/
  [ -n "$extra" ] && cp "$extra" "$ctx"/
  buildlog="$LAB_CACHE/build-$(echo "$name" | tr '/:' '__').log"
  docker build -q --label "$LABEL.sha=$sha" --build-arg BASE_IMAGE="$BASE_IMAGE" \
    --build-arg DEBIAN_MIRROR="$(debian_mirror)" -t "$name" "$ctx" >"$buildlog" 2>&1 \
    || { tail -n 30 "$buildlog" >&2; die "building $name failed"; }
  rm -rf "$ctx"
}

ensure_network() {
  docker network inspect "$LAB_NET" >/dev/null 2>&1 && return 0
  log "creating network $LAB_NET ($LAB_SUBNET)"
  docker network create --driver bridge --subnet "$LAB_SUBNET" --gateway "$LAB_GATEWAY" \
    --label "$LABEL=1" "$LAB_NET" >/dev/null
}

ensure_registry() {
  local name=odoo-cloud-lab-registry
  if [ "$(docker inspect -f '{{.State.Running}} {{.Config.Image}}' "$name" 2>/dev/null)" != "true $REGISTRY_IMAGE" ] \
     || [ "$(docker inspect -f '{{.Image}}' "$name" 2>/dev/null)" != "$(docker image inspect -f '{{.Id}}' "$REGISTRY_IMAGE")" ]; then
    docker rm -f "$name" >/dev/null 2>&1 || true
    log "starting the lab registry at $REGISTRY_IP:$REGISTRY_PORT (and 127.0.0.1:$REGISTRY_PORT)"
    docker run -d --name "$name" --label "$LABEL=1" --restart unless-stopped \
      --network "$LAB_NET" --ip "$REGISTRY_IP" -p "127.0.0.1:$REGISTRY_PORT:5000" \
      -v odoo-cloud-lab-registry-data:/var/lib/docker-registry "$REGISTRY_IMAGE" >/dev/null
  fi
  for _ in $(seq 1 30); do
    curl -fsS "http://127.0.0.1:$REGISTRY_PORT/v2/" >/dev/null 2>&1 && return 0
    sleep 1
  done
  docker logs --tail 20 "$name" >&2 || true
  die "the lab registry does not answer on 127.0.0.1:$REGISTRY_PORT"
}

# The lab hosts image is also served by the registry: proves push and pull work end to end.
publish_host_image() {
  local ref="127.0.0.1:$REGISTRY_PORT/lab/host:bookworm"
  docker tag "$HOST_IMAGE" "$ref"
  docker push -q "$ref" >/dev/null
}

cmd_up() {
  [ "$(id -u)" = 0 ] || die "the lab needs root (apt-get, dockerd, debootstrap)"
  mkdir -p "$LAB_CACHE"
  ensure_packages
  ensure_dockerd
  build_base_image
  build_image "$HOST_IMAGE" "$REPO_ROOT/tests/lab/images/host" /etc/ssl/certs/ca-certificates.crt
  build_image "$REGISTRY_IMAGE" "$REPO_ROOT/tests/lab/images/registry"
  ensure_network
  ensure_registry
  publish_host_image
  # Images the roles deploy (built here, pushed to the lab registry): one file per image.
  local image_script
  for image_script in "$REPO_ROOT"/scripts/lab/*.sh; do
    [ -e "$image_script" ] || continue
    # shellcheck source=/dev/null
    . "$image_script"
  done
  log "lab is up: network $LAB_NET $LAB_SUBNET, registry $REGISTRY_IP:$REGISTRY_PORT, host image $HOST_IMAGE"
}

# run_host NAME IP [GROUP]: a lab host, systemd as PID 1, on the lab network with a fixed address.
run_host() {
  local name=$1 ip=$2 caps=() c
  for c in $LAB_CAPS; do caps+=(--cap-add "$c"); done
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker run -d --name "$name" --hostname "$name" --label "$LABEL=1" --label "$LABEL.host=1" \
    "${caps[@]}" --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock \
    --network "$LAB_NET" --ip "$ip" "$HOST_IMAGE" >/dev/null
}

# Hosts come from inventories/lab/hosts.yml: one "name ip" per line on the `# lab-host:` comments.
cmd_hosts() {
  cmd_up
  local name ip
  while read -r name ip; do
    if [ "$(docker inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" != "true" ]; then
      log "starting lab host $name ($ip)"
      run_host "$name" "$ip"
    fi
  done < <(sed -n 's/^# lab-host: *//p' "$REPO_ROOT/inventories/lab/hosts.yml")
  while read -r name ip; do
    for _ in $(seq 1 60); do
      state=$(docker exec "$name" systemctl is-system-running 2>/dev/null || true)
      case "$state" in running|degraded) break ;; esac
      sleep 1
    done
    echo "$name $ip systemd:$state"
  done < <(sed -n 's/^# lab-host: *//p' "$REPO_ROOT/inventories/lab/hosts.yml")
}

cmd_status() {
  docker info >/dev/null 2>&1 || { echo "dockerd is not running"; return 0; }
  docker ps -a --filter "label=$LABEL=1" --format 'table {{.Names}}\t{{.Status}}\t{{.Image}}'
  docker network inspect -f '{{.Name}} {{range .IPAM.Config}}{{.Subnet}}{{end}}' "$LAB_NET" 2>/dev/null || echo "no network $LAB_NET"
}

cmd_down() {
  docker info >/dev/null 2>&1 || { log "dockerd is not running: nothing to tear down"; return 0; }
  local ids
  ids=$(docker ps -aq --filter "label=$LABEL=1")
  # Molecule's instances join the lab network too; take them with it.
  ids="$ids $(docker network inspect -f '{{range $id, $c := .Containers}}{{$id}} {{end}}' "$LAB_NET" 2>/dev/null || true)"
  # shellcheck disable=SC2086
  [ -n "${ids// /}" ] && docker rm -f -v $ids >/dev/null
  docker network rm "$LAB_NET" >/dev/null 2>&1 || true
  docker volume rm odoo-cloud-lab-registry-data >/dev/null 2>&1 || true
  log "lab torn down (images and caches kept; 'purge' removes them)"
}

cmd_purge() {
  cmd_down
  docker image ls --format '{{.Repository}}:{{.Tag}}' | grep -E '^(odoo-cloud-lab/|127.0.0.1:5000/)' | xargs -r docker rmi -f >/dev/null
  rm -rf "$LAB_CACHE"
  log "lab images and $LAB_CACHE removed"
}

case "${1:-up}" in
  up) cmd_up ;;
  hosts) cmd_hosts ;;
  status) cmd_status ;;
  down) cmd_down ;;
  purge) cmd_purge ;;
  k8s-build|k8s-up|k8s-down|k8s-status|k8s-kwok|k8s-kwok-down)
    # shellcheck source=scripts/lab/k8s.sh
    LAB_K8S_CMD=${1#k8s-} . "$REPO_ROOT/scripts/lab/k8s.sh" ;;
  *) die "usage: $0 up|hosts|status|down|purge|k8s-build|k8s-up|k8s-down|k8s-status|k8s-kwok|k8s-kwok-down" ;;
esac
