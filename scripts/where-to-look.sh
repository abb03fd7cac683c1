#!/usr/bin/env bash
# Printed at the end of `make demo`: what was deployed into the lab and how to reach it.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"

secrets="$LAB_CACHE/secrets"
cat <<TXT

The lab stack is up. Hosts (containers with systemd, network odoo-cloud-lab 10.77.0.0/24):
$(sed -n 's/^# lab-host: */  /p' "$REPO_ROOT/inventories/lab/hosts.yml")

Odoo over HTTPS through Traefik on lab-edge1 (10.77.0.11). The app is the lab's Odoo stand-in image
(tests/lab/images/odoo-standin; no reachable registry carries Odoo), run by the odoo role as it would
run the official image. Two instances on lab-app1 (10.77.0.21):
  https://erp.odoo-lab.test/web/login      instance prod (workers sized from the host, websocket on the gevent port)
  https://staging.odoo-lab.test/web/login  instance staging (threaded mode)
  The certificates come from the lab CA: $LAB_CACHE/ca/lab-ca.crt
  Try it:  curl --cacert $LAB_CACHE/ca/lab-ca.crt --resolve erp.odoo-lab.test:443:10.77.0.11 https://erp.odoo-lab.test/web/login
  In a browser on this machine: add "10.77.0.11 erp.odoo-lab.test staging.odoo-lab.test" to /etc/hosts
  and trust lab-ca.crt. Traefik's API listens on 127.0.0.1:8080 inside lab-edge1 only
  (user admin, password in $secrets/traefik_admin):
  docker exec -i lab-edge1 python3 -c "import base64,sys,urllib.request as u; r=u.Request('http://127.0.0.1:8080/api/overview'); r.add_header('Authorization','Basic '+base64.b64encode(b'admin:'+sys.stdin.read().strip().encode()).decode()); print(u.urlopen(r).read().decode())" < $secrets/traefik_admin

Redis (group redis): 10.77.0.31:6379, ACL users 'admin' and 'odoo' (the default user is disabled).
  Passwords are generated on first run into $secrets/ (never committed).
  Try it:  redis-cli -h 10.77.0.31 --user odoo --askpass PING < $secrets/redis_odoo

PostgreSQL (groups postgresql_primary, postgresql_replicas): primary 10.77.0.41, streaming replica 10.77.0.42.
  Clients use libpq multi-host and find the primary themselves (TLS and scram-sha-256 required):
  PGPASSWORD=\$(cat $secrets/postgresql_odoo) psql "host=10.77.0.41,10.77.0.42 target_session_attrs=read-write user=odoo dbname=odoo sslmode=require"
  Runbooks: playbooks/postgresql_switchover.yml -e switchover_to=lab-pg2, postgresql_failover.yml, postgresql_rejoin.yml

Lab registry: 127.0.0.1:5000 on this machine, 10.77.0.2:5000 from lab hosts.
Status: make lab-status    Shell on a host: docker exec -it lab-redis1 bash
Tear down: make lab-down   (make lab-purge also removes images and caches)
TXT
