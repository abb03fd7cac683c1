# shellcheck shell=bash
# The lab's S3-compatible object store: versitygw (Apache-2.0) with its posix backend, on the lab
# network, for the pgbackrest role's repositories. Sourced by `scripts/lab.sh up` (its functions and
# variables are in scope); `scripts/lab.sh down` removes the container with the others (lab label).
#
#   versitygw   10.77.0.50   https://10.77.0.50:9000 (path-style; region us-east-1)
#               buckets lab-backups (versioning + object lock) and lab-backups-offsite
#
# The binary is built from the versitygw Go module through the Go module proxy with the machine's own
# Go toolchain (niced) and cached in $LAB_CACHE/s3/<version>/ (never in the repository). Its listener
# certificate is signed by the lab CA ($LAB_CACHE/ca/lab-ca.crt) with the SANs DNS:10.77.0.50 and
# IP:10.77.0.50: pgBackRest matches the certificate against host names only, so the address string
# must also be a DNS name. The access key and secret are generated once into
# $LAB_CACHE/secrets/s3_access_key and s3_secret_key (mode 0600, never printed); the data, with the
# versioning directory, lives in $LAB_CACHE/s3/data and survives a restart of the container.
# shellcheck disable=SC2154  # LAB_NET, LABEL, BASE_IMAGE come from scripts/lab.sh

S3_VERSION=${ODOO_CLOUD_LAB_S3_VERSION:-v1.8.0}
S3_MODULE=github.com/versity/versitygw
S3_IP=${ODOO_CLOUD_LAB_S3_IP:-10.77.0.50}
S3_PORT=9000
S3_REGION=us-east-1
S3_BUCKETS="lab-backups lab-backups-offsite"
S3_LOCKED_BUCKET=lab-backups
S3_CONTAINER=odoo-cloud-lab-s3

s3_go() {
  nice -n 10 env GOPATH="$LAB_CACHE/go" GOMODCACHE="$LAB_CACHE/go/mod" GOCACHE="$LAB_CACHE/go/cache" \
    GOTOOLCHAIN=local GOWORK=off GOFLAGS="-modcacherw -buildvcs=false" CGO_ENABLED=0 go "$@"
}

s3_build() {  # s3_build DIR: the versitygw binary into DIR
  local dir=$1 start
  command -v go >/dev/null 2>&1 || die "Go is not on PATH: the lab builds versitygw $S3_VERSION from its Go module"
  mkdir -p "$dir.tmp"
  log "building versitygw $S3_VERSION from the Go module (about 2 minutes), log in $dir.log"
  start=$SECONDS
  if ! (cd "$dir.tmp" && GOBIN="$dir.tmp" s3_go install "$S3_MODULE/cmd/versitygw@$S3_VERSION") >"$dir.log" 2>&1; then
    tail -n 20 "$dir.log" >&2
    die "building versitygw $S3_VERSION failed (log: $dir.log)"
  fi
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
  log "versitygw $S3_VERSION built in $((SECONDS - start)) s: $dir"
}

# The lab CA (the one tests/lab/playbooks/lab_ca.yml creates and reuses): made here with the same
# files and kind of key when `lab.sh up` runs before that playbook ever did.
s3_lab_ca() {
  local ca="$LAB_CACHE/ca"
  [ -s "$ca/lab-ca.crt" ] && [ -s "$ca/lab-ca.key" ] && return 0
  log "creating the lab CA in $ca"
  mkdir -p "$ca" && chmod 0700 "$ca"
  (umask 077 && openssl ecparam -name secp384r1 -genkey -noout -out "$ca/lab-ca.key")
  openssl req -new -x509 -key "$ca/lab-ca.key" -days 3650 -subj "/O=odoo_cloud lab/CN=odoo-cloud lab CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$ca/lab-ca.crt" 2>/dev/null || die "cannot create the lab CA"
  chmod 0644 "$ca/lab-ca.crt"
}

s3_tls() {  # s3_tls DIR: key and certificate for S3_IP, signed by the lab CA, renewed 30 days before expiry
  local dir=$1 ca="$LAB_CACHE/ca"
  mkdir -p "$dir"
  if [ -s "$dir/cert.pem" ] && openssl x509 -in "$dir/cert.pem" -noout -checkend 2592000 >/dev/null 2>&1 \
     && openssl verify -CAfile "$ca/lab-ca.crt" "$dir/cert.pem" >/dev/null 2>&1 \
     && openssl x509 -in "$dir/cert.pem" -noout -ext subjectAltName 2>/dev/null | grep -q "DNS:$S3_IP, IP Address:$S3_IP"; then
    return 0
  fi
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$S3_IP" \
    -keyout "$dir/key.pem" -out "$dir/cert.csr" 2>/dev/null
  openssl x509 -req -in "$dir/cert.csr" -CA "$ca/lab-ca.crt" -CAkey "$ca/lab-ca.key" \
    -CAcreateserial -CAserial "$dir/ca.srl" -days 365 -out "$dir/cert.pem" \
    -extfile <(printf 'subjectAltName=DNS:%s,IP:%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$S3_IP" "$S3_IP") \
    2>/dev/null || die "cannot sign the S3 store's certificate with the lab CA"
  rm -f "$dir/cert.csr"
  chmod 0644 "$dir/key.pem"   # read by versitygw in its container; a lab key on a lab address
}

s3_secret() {  # s3_secret NAME BYTES: generate once (hex) into $LAB_CACHE/secrets/NAME
  local f="$LAB_CACHE/secrets/$1"
  mkdir -p "$LAB_CACHE/secrets"
  [ -s "$f" ] && return 0
  (umask 077 && openssl rand -hex "$2" >"$f.tmp" && mv "$f.tmp" "$f")
}

# s3_curl METHOD PATH [curl args...]: a request signed with the lab's key (read from the secrets
# files through a curl config on stdin, so the secret is on no command line), CA-verified. A query
# names its empty value ("?versioning="): curl 7.88 signs "versioning" as is, versitygw as "versioning=".
s3_curl() {
  local method=$1 path=$2
  shift 2
  printf 'user = "%s:%s"\n' "$(cat "$LAB_CACHE/secrets/s3_access_key")" "$(cat "$LAB_CACHE/secrets/s3_secret_key")" \
    | curl -sS -K - --aws-sigv4 "aws:amz:$S3_REGION:s3" --cacert "$LAB_CACHE/ca/lab-ca.crt" \
        -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -X "$method" "$@" "https://$S3_IP:$S3_PORT$path"
}

s3_buckets() {
  local bucket body code
  for bucket in $S3_BUCKETS; do
    code=$(s3_curl HEAD "/$bucket" -o /dev/null -w '%{http_code}' -I || true)
    [ "$code" = 200 ] && continue
    log "creating bucket $bucket"
    if [ "$bucket" = "$S3_LOCKED_BUCKET" ]; then
      s3_curl PUT "/$bucket" -f -o /dev/null \
        -H "x-amz-bucket-object-lock-enabled: true" || die "cannot create bucket $bucket"
    else
      s3_curl PUT "/$bucket" -f -o /dev/null \
        || die "cannot create bucket $bucket"
    fi
  done
  # Versioning on the locked bucket (object lock needs it; both asked every time, both idempotent).
  body='<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>'
  if ! s3_curl GET "/$S3_LOCKED_BUCKET?versioning=" | grep -q '<Status>Enabled</Status>'; then
    s3_curl PUT "/$S3_LOCKED_BUCKET?versioning=" -f -o /dev/null \
      -H "Content-Type: application/xml" --data-binary "$body" || die "cannot enable versioning on $S3_LOCKED_BUCKET"
  fi
  s3_curl GET "/$S3_LOCKED_BUCKET?versioning=" | grep -q '<Status>Enabled</Status>' \
    || die "versioning is not enabled on $S3_LOCKED_BUCKET"
  s3_curl GET "/$S3_LOCKED_BUCKET?object-lock=" | grep -q '<ObjectLockEnabled>Enabled</ObjectLockEnabled>' \
    || die "object lock is not enabled on $S3_LOCKED_BUCKET"
}

s3_lab_main() {
  local dir="$LAB_CACHE/s3" bin sha
  bin="$dir/$S3_VERSION"
  [ -x "$bin/versitygw" ] || s3_build "$bin"
  s3_lab_ca
  s3_tls "$dir/tls"
  s3_secret s3_access_key 10
  s3_secret s3_secret_key 20
  mkdir -p "$dir/data/posix" "$dir/data/versions"
  # The credentials reach the container as environment variables (ROOT_ACCESS_KEY / ROOT_SECRET_KEY),
  # not arguments: `docker inspect` shows them to root only, `ps` in the lab shows nothing.
  sha=$(cat "$bin/versitygw" "$dir/tls/cert.pem" "$LAB_CACHE/secrets/s3_access_key" "$LAB_CACHE/secrets/s3_secret_key" \
          <(echo "$S3_IP $S3_PORT $S3_REGION v1") | sha256sum | cut -c1-16)
  if [ "$(docker inspect -f "{{.State.Running}} {{ index .Config.Labels \"$LABEL.sha\" }}" "$S3_CONTAINER" 2>/dev/null)" != "true $sha" ]; then
    docker rm -f "$S3_CONTAINER" >/dev/null 2>&1 || true
    log "starting versitygw $S3_VERSION at $S3_IP:$S3_PORT"
    ROOT_ACCESS_KEY=$(cat "$LAB_CACHE/secrets/s3_access_key") ROOT_SECRET_KEY=$(cat "$LAB_CACHE/secrets/s3_secret_key") \
      docker run -d --name "$S3_CONTAINER" --hostname "$S3_CONTAINER" --label "$LABEL=1" --label "$LABEL.sha=$sha" \
      --restart unless-stopped --network "$LAB_NET" --ip "$S3_IP" \
      -e ROOT_ACCESS_KEY -e ROOT_SECRET_KEY \
      -v "$bin:/opt/versitygw:ro" -v "$dir/tls:/etc/versitygw:ro" -v "$dir/data:/srv/s3" \
      --entrypoint /opt/versitygw/versitygw "$BASE_IMAGE" \
      --port ":$S3_PORT" --region "$S3_REGION" --cert /etc/versitygw/cert.pem --key /etc/versitygw/key.pem \
      posix --versioning-dir /srv/s3/versions /srv/s3/posix >/dev/null
  fi
  for _ in $(seq 1 30); do
    if curl -sS -o /dev/null --cacert "$LAB_CACHE/ca/lab-ca.crt" "https://$S3_IP:$S3_PORT/" 2>/dev/null; then
      s3_buckets
      log "S3 store versitygw $S3_VERSION: https://$S3_IP:$S3_PORT (trust $LAB_CACHE/ca/lab-ca.crt), buckets $S3_BUCKETS, keys in $LAB_CACHE/secrets/s3_*"
      return 0
    fi
    sleep 1
  done
  docker logs --tail 20 "$S3_CONTAINER" >&2 || true
  die "the S3 store does not answer https://$S3_IP:$S3_PORT/"
}

s3_lab_main
