#!/usr/bin/env bash
# Creates the development virtualenv(s) with pinned requirements and the dependency collections.
#   scripts/bootstrap-venv.sh          .venv        Python 3.12/3.13, ansible-core 2.21
#   scripts/bootstrap-venv.sh compat   .venv-compat Python 3.11, ansible-core 2.19
#   scripts/bootstrap-venv.sh sanity   .venv-sanity Python 3.12, ansible-core 2.21 for ansible-test sanity
# Reruns are no-ops unless a requirements file changed.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"

flavour=${1:-main}
case "$flavour" in
  main)   target=$VENV; reqs=$REPO_ROOT/tests/requirements.txt; pys="3.12 3.13" ;;
  compat) target=$VENV_COMPAT; reqs=$REPO_ROOT/tests/requirements-compat.txt; pys="3.11" ;;
  sanity) target=$VENV_SANITY; reqs=$REPO_ROOT/tests/requirements-sanity.txt; pys="3.12 3.13" ;;
  *) die "unknown flavour '$flavour' (main or compat)" ;;
esac
colls=$REPO_ROOT/tests/collections.txt
stamp="$target/.odoo-cloud-stamp"
want=$(files_sha "$reqs" "$colls" "$0")

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  log "$target is up to date"
else
  py=""
  for v in $pys; do py=$(find_python "$v") && break; done
  [ -n "$py" ] || die "no Python $pys found; install one (ansible-core 2.20+ needs Python >= 3.12)"
  log "creating $target with $py"
  rm -rf "$target"
  "$py" -m venv "$target"
  "$target/bin/pip" install --quiet --upgrade pip
  "$target/bin/pip" install --quiet -r "$reqs"

  # Galaxy is unreachable: unpack the needed collections from the `ansible` package on PyPI.
  pkg=$(grep -E '^ansible==' "$colls")
  wheels="$LAB_CACHE/wheels"
  mkdir -p "$wheels"
  whl=$(find "$wheels" -maxdepth 1 -name "ansible-${pkg#ansible==}-*.whl" | head -n1)
  if [ -z "$whl" ]; then
    # The wheel is only unzipped, never installed: fetch it whatever the venv's Python.
    "$target/bin/pip" download --quiet --no-deps --only-binary=:all: --python-version 3.12 -d "$wheels" "$pkg"
    whl=$(find "$wheels" -maxdepth 1 -name "ansible-${pkg#ansible==}-*.whl" | head -n1)
  fi
  site=$("$target/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  grep -vE '^(#|ansible==|$)' "$colls" | "$target/bin/python" "$REPO_ROOT/scripts/extract_collections.py" "$whl" "$site"
  echo "$want" >"$stamp"
fi

# Make this checkout importable as ansible_collections.odoo_cloud.platform (no copy to keep in sync).
site=$("$target/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
mkdir -p "$site/ansible_collections/odoo_cloud"
ln -sfn "$REPO_ROOT" "$site/ansible_collections/odoo_cloud/platform"
"$target/bin/python" -c "import ansible.release as r; print(\"ansible-core\", r.__version__)"
