# shellcheck shell=bash
# Pebble (Let's Encrypt's test ACME server) and pebble-challtestsrv (the lab's DNS for the ACME test
# domains) on the lab network. Sourced by `scripts/lab.sh up` (its functions and variables are in
# scope); `scripts/lab.sh down` removes both containers with the others (they carry the lab label).
#
#   pebble          10.77.0.3   ACME directory https://10.77.0.3:14000/dir, management :15000
#                               (GET /roots/0: the root of what it issued since it started)
#   challtestsrv    10.77.0.4   DNS on :8053 (udp+tcp), management API on :8055 (POST /add-a ...)
#
# Both binaries are built from the Pebble Go module through the Go module proxy with the machine's own
# Go toolchain and cached in $LAB_CACHE/pebble/<version>/ (never in the repository). The containers
# run the lab's base image with the binaries and the generated configuration bind-mounted read-only.
# A container is recreated only when its settings change: Pebble makes a new root at every start,
# so a restart would orphan every certificate it issued before.
# shellcheck disable=SC2154  # REGISTRY_IP, LAB_NET, LABEL, BASE_IMAGE come from scripts/lab.sh

PEBBLE_VERSION=${ODOO_CLOUD_LAB_PEBBLE_VERSION:-v2.10.3}
PEBBLE_MODULE=github.com/letsencrypt/pebble/v2
PEBBLE_IP=${ODOO_CLOUD_LAB_PEBBLE_IP:-10.77.0.3}
CHALLTESTSRV_IP=${ODOO_CLOUD_LAB_CHALLTESTSRV_IP:-10.77.0.4}
# The profile certificates ask for decides their validity (Pebble picks a random one for an order
# that names none, so the lab's clients always name one). "shortlived" is squeezed to 21 minutes so
# that a client renewing 20 minutes before expiry renews about a minute after issuance.
PEBBLE_DEFAULT_VALIDITY=7776000
PEBBLE_SHORTLIVED_VALIDITY=1260
# Issuance for these (and their subdomains) is refused by policy (Pebble's domainBlocklist).
PEBBLE_BLOCKLIST='["blocked.acme-lab.test"]'

pebble_go() {
  nice -n 10 env GOPATH="$LAB_CACHE/go" GOMODCACHE="$LAB_CACHE/go/mod" GOCACHE="$LAB_CACHE/go/cache" \
    GOTOOLCHAIN=local GOWORK=off GOFLAGS="-modcacherw -buildvcs=false" CGO_ENABLED=0 go "$@"
}

pebble_build() {  # pebble_build DIR: both binaries into DIR
  local dir=$1 start
  command -v go >/dev/null 2>&1 || die "Go is not on PATH: the lab builds Pebble $PEBBLE_VERSION from its Go module"
  mkdir -p "$dir.tmp"
  log "building Pebble $PEBBLE_VERSION and pebble-challtestsrv from the Go module (about a minute), log in $dir.log"
  start=$SECONDS
  if ! (cd "$dir.tmp" && GOBIN="$dir.tmp" pebble_go install "$PEBBLE_MODULE/cmd/pebble@$PEBBLE_VERSION" \
          "$PEBBLE_MODULE/cmd/pebble-challtestsrv@$PEBBLE_VERSION") >"$dir.log" 2>&1; then
    tail -n 20 "$dir.log" >&2
    die "building Pebble $PEBBLE_VERSION failed (log: $dir.log)"
  fi
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
  log "Pebble $PEBBLE_VERSION built in $((SECONDS - start)) s: $dir"
}

# The configuration: the module's test configuration with the lab's addresses, ports 80/443 for the
# validations, the block list and the two profiles. Pebble's own listener certificate is signed by
# the module's test CA (test/certs/pebble.minica.pem, the bundle ACME clients trust) for its lab IP.
pebble_config() {  # pebble_config DIR
  local dir=$1 src
  src=$(pebble_go mod download -json "$PEBBLE_MODULE@$PEBBLE_VERSION" | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])') \
    || die "cannot read $PEBBLE_MODULE@$PEBBLE_VERSION from the module cache"
  mkdir -p "$dir"
  cp "$src/test/certs/pebble.minica.pem" "$dir/ca.pem"
  if [ ! -s "$dir/cert.pem" ] || ! openssl x509 -in "$dir/cert.pem" -noout -checkend 2592000 >/dev/null 2>&1 \
     || ! openssl verify -CAfile "$dir/ca.pem" "$dir/cert.pem" >/dev/null 2>&1 \
     || ! openssl x509 -in "$dir/cert.pem" -noout -ext subjectAltName 2>/dev/null | grep -q "IP Address:$PEBBLE_IP"; then
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=pebble \
      -keyout "$dir/key.pem" -out "$dir/cert.csr" 2>/dev/null
    openssl x509 -req -in "$dir/cert.csr" -CA "$dir/ca.pem" -CAkey "$src/test/certs/pebble.minica.key.pem" \
      -CAcreateserial -CAserial "$dir/ca.srl" -days 365 -out "$dir/cert.pem" \
      -extfile <(printf 'subjectAltName=IP:%s,DNS:pebble\nextendedKeyUsage=serverAuth\n' "$PEBBLE_IP") 2>/dev/null \
      || die "cannot sign Pebble's listener certificate"
    rm -f "$dir/cert.csr"
    chmod 0644 "$dir/key.pem"   # read by Pebble in its container; a throwaway lab key
  fi
  cat >"$dir/pebble-config.json" <<EOF
{
  "pebble": {
    "listenAddress": "0.0.0.0:14000",
    "managementListenAddress": "0.0.0.0:15000",
    "certificate": "/etc/pebble/cert.pem",
    "privateKey": "/etc/pebble/key.pem",
    "httpPort": 80,
    "tlsPort": 443,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false,
    "domainBlocklist": $PEBBLE_BLOCKLIST,
    "retryAfter": {"authz": 3, "order": 5},
    "keyAlgorithm": "ecdsa",
    "profiles": {
      "default": {"description": "90 days, as Let's Encrypt's classic profile", "validityPeriod": $PEBBLE_DEFAULT_VALIDITY},
      "shortlived": {"description": "21 minutes in the lab: renewal shows within the test", "validityPeriod": $PEBBLE_SHORTLIVED_VALIDITY}
    }
  }
}
EOF
}

# pebble_container NAME IP SHA ARGS...: (re)start a container when it is not running with SHA.
pebble_container() {
  local name=$1 ip=$2 sha=$3
  shift 3
  if [ "$(docker inspect -f "{{.State.Running}} {{ index .Config.Labels \"$LABEL.sha\" }}" "$name" 2>/dev/null)" = "true $sha" ]; then
    return 0
  fi
  docker rm -f "$name" >/dev/null 2>&1 || true
  log "starting $name at $ip"
  docker run -d --name "$name" --hostname "$name" --label "$LABEL=1" --label "$LABEL.sha=$sha" \
    --restart unless-stopped --network "$LAB_NET" --ip "$ip" \
    -v "$PEBBLE_DIR/$PEBBLE_VERSION:/opt/pebble:ro" -v "$PEBBLE_DIR/config:/etc/pebble:ro" \
    "$@" >/dev/null
}

pebble_lab_main() {
  PEBBLE_DIR="$LAB_CACHE/pebble"
  local bin="$PEBBLE_DIR/$PEBBLE_VERSION" sha
  if [ ! -x "$bin/pebble" ] || [ ! -x "$bin/pebble-challtestsrv" ]; then
    pebble_build "$bin"
  fi
  pebble_config "$PEBBLE_DIR/config"
  # Unmapped names get no address (not 127.0.0.1): only what a test maps through /add-a validates.
  sha=$(cat "$bin/pebble-challtestsrv" <(echo "$CHALLTESTSRV_IP v1") | sha256sum | cut -c1-16)
  pebble_container odoo-cloud-lab-challtestsrv "$CHALLTESTSRV_IP" "$sha" --entrypoint /opt/pebble/pebble-challtestsrv \
    "$BASE_IMAGE" -management :8055 -dnsserver :8053 -defaultIPv4 "" -defaultIPv6 "" \
    -http01 "" -https01 "" -tlsalpn01 "" -doh ""
  # PEBBLE_VA_NOSLEEP: no random 0-15 s pause before each validation (validation itself still runs;
  # PEBBLE_VA_ALWAYS_VALID is never set). PEBBLE_WFE_NONCEREJECT=0: no deliberately refused nonces.
  sha=$(cat "$bin/pebble" "$PEBBLE_DIR/config/pebble-config.json" "$PEBBLE_DIR/config/cert.pem" \
          <(echo "$PEBBLE_IP $CHALLTESTSRV_IP v1") | sha256sum | cut -c1-16)
  pebble_container odoo-cloud-lab-pebble "$PEBBLE_IP" "$sha" --entrypoint /opt/pebble/pebble \
    -e PEBBLE_VA_NOSLEEP=1 -e PEBBLE_WFE_NONCEREJECT=0 \
    "$BASE_IMAGE" -config /etc/pebble/pebble-config.json -dnsserver "$CHALLTESTSRV_IP:8053"
  for _ in $(seq 1 30); do
    if curl -fsS --cacert "$PEBBLE_DIR/config/ca.pem" "https://$PEBBLE_IP:14000/dir" >/dev/null 2>&1 \
       && curl -fsS "http://$CHALLTESTSRV_IP:8055/dns-request-history" -d '{"host":"pebble"}' >/dev/null 2>&1; then
      log "Pebble $PEBBLE_VERSION: https://$PEBBLE_IP:14000/dir (trust $PEBBLE_DIR/config/ca.pem), DNS $CHALLTESTSRV_IP:8053"
      return 0
    fi
    sleep 1
  done
  docker logs --tail 20 odoo-cloud-lab-pebble >&2 || true
  docker logs --tail 20 odoo-cloud-lab-challtestsrv >&2 || true
  die "Pebble does not answer https://$PEBBLE_IP:14000/dir"
}

pebble_lab_main
