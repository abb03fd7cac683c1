#!/usr/bin/env bash
# served_cert.sh ADDRESS DOMAIN ROOT: connect to ADDRESS:443 with SNI DOMAIN, verify the served chain
# against ROOT (Pebble's root) and the name, and print the leaf's serial, fingerprint, dates, names
# and issuer. Fails when the chain or the name does not verify.
set -euo pipefail
addr=$1 domain=$2 root=$3
out=$(openssl s_client -connect "$addr:443" -servername "$domain" -verify_hostname "$domain" \
        -CAfile "$root" -verify_return_error -showcerts </dev/null 2>&1) || { echo "$out" | tail -n 5 >&2; exit 1; }
grep -q 'Verify return code: 0 (ok)' <<<"$out" || { grep 'Verify return code' <<<"$out" >&2; exit 1; }
openssl x509 -noout -serial -fingerprint -sha256 -startdate -enddate -issuer -ext subjectAltName -dateopt iso_8601 <<<"$out"
