#!/usr/bin/env bash
# Printed at the end of `make demo`: what was deployed into the lab and how to reach it.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"

secrets="$LAB_CACHE/secrets"
cat <<TXT

The lab stack is up. Hosts (containers with systemd, network odoo-cloud-lab 10.77.0.0/24):
$(sed -n 's/^# lab-host: */  /p' "$REPO_ROOT/inventories/lab/hosts.yml")

Redis (group redis): 10.77.0.31:6379, ACL users 'admin' and 'odoo' (the default user is disabled).
  Passwords are generated on first run into $secrets/ (never committed).
  Try it:  redis-cli -h 10.77.0.31 --user odoo --askpass PING < $secrets/redis_odoo

Lab registry: 127.0.0.1:5000 on this machine, 10.77.0.2:5000 from lab hosts.
Status: make lab-status    Shell on a host: docker exec -it lab-redis1 bash
Tear down: make lab-down   (make lab-purge also removes images and caches)
TXT
