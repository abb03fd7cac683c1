# shellcheck shell=bash
# Shared settings for the project's scripts. Source it; do not run it.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Everything built or downloaded lives outside the repository, keyed by version.
LAB_CACHE=${ODOO_CLOUD_LAB_CACHE:-/var/cache/odoo-cloud-lab}
VENV=${ODOO_CLOUD_VENV:-$REPO_ROOT/.venv}
VENV_COMPAT=${ODOO_CLOUD_VENV_COMPAT:-$REPO_ROOT/.venv-compat}

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# find_python 3.12 -> path of a working interpreter of that version (pyenv shims included).
find_python() {
  local want=$1 cand
  for cand in "$(command -v "python$want" 2>/dev/null)" \
              /usr/bin/python"$want" /usr/local/bin/python"$want" \
              "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$want"*/bin/python"$want"; do
    [ -n "$cand" ] && [ -x "$cand" ] || continue
    if "$cand" -c "import sys; assert sys.version_info[:2] == tuple(map(int, '$want'.split('.')))" 2>/dev/null; then
      echo "$cand"
      return 0
    fi
  done
  return 1
}

# sha of files, to rebuild only what changed
files_sha() { cat "$@" | sha256sum | cut -c1-16; }
