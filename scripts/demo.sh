#!/usr/bin/env bash
# The main job: set up everything on a Debian 12 machine (as root), bring up the lab hosts,
# deploy playbooks/site.yml into them and print where to look.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"
cd "$REPO_ROOT"

"$REPO_ROOT/scripts/lab.sh" hosts
"$REPO_ROOT/scripts/bootstrap-venv.sh" main
export PATH="$VENV/bin:$PATH" ANSIBLE_CONFIG="$REPO_ROOT/ansible.cfg"
# The lab's secrets, its own CA and the certificate of *.odoo-lab.test (kept outside the repository).
ansible-playbook -i inventories/lab/hosts.yml tests/lab/playbooks/lab_secrets.yml
ansible-playbook -i inventories/lab/hosts.yml tests/lab/playbooks/lab_ca.yml
ansible-playbook -i inventories/lab/hosts.yml playbooks/site.yml "$@"
"$REPO_ROOT/scripts/where-to-look.sh"
