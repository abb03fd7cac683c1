# shellcheck shell=bash disable=SC2034
# Shared settings for the project's scripts. Source it; do not run it.
# (SC2034: the variables here are used by the scripts that source this file.)

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Everything built or downloaded lives outside the repository, keyed by version.
LAB_CACHE=${ODOO_CLOUD_LAB_CACHE:-/var/cache/odoo-cloud-lab}
VENV=${ODOO_CLOUD_VENV:-$REPO_ROOT/.venv}
VENV_COMPAT=${ODOO_CLOUD_VENV_COMPAT:-$REPO_ROOT/.venv-compat}
VENV_SANITY=${ODOO_CLOUD_VENV_SANITY:-$REPO_ROOT/.venv-sanity}

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# find_python 3.12 -> path of a working interpreter of that version (pyenv shims included).
find_python() {
  local want=$1 cand
  for cand in "$(command -v "python$want" 2>/dev/null)" \
              /usr/bin/python"$want" /usr/local/bin/python"$want" \
              "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$want"*/bin/python"$want"; do
    if [ -z "$cand" ] || [ ! -x "$cand" ]; then continue; fi
    # a real interpreter, not one of our virtualenvs that happens to be on PATH
    if "$cand" -c "import sys; assert sys.version_info[:2] == tuple(map(int, '$want'.split('.'))) and sys.prefix == sys.base_prefix" 2>/dev/null; then
      echo "$cand"
      return 0
    fi
  done
  return 1
}

# sha of files, to rebuild only what changed
files_sha() { cat "$@" | sha256sum | cut -c1-16; }

# pyenv's shims answer only for the version pyenv has activated, and ansible-test does not pass
# PYENV_VERSION on: expose every installed interpreter by its versioned name (python3.9 ...
# python3.13) in a directory of links, so ansible-test runs its per-version checks on each.
if [ -d "${PYENV_ROOT:-$HOME/.pyenv}/versions" ]; then
  _pybin="${TMPDIR:-/tmp}/odoo-cloud-python-bin"
  mkdir -p "$_pybin"
  for _py in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.*/bin/python3.[0-9]*; do
    [[ "$(basename "$_py")" =~ ^python3\.[0-9]+$ ]] || continue
    [ -x "$_py" ] && ln -sfn "$_py" "$_pybin/$(basename "$_py")"
  done
  case ":$PATH:" in *":$_pybin:"*) ;; *) PATH="$_pybin:$PATH" ;; esac
  export PATH
fi

# ensure_apt_packages PKG...: install the missing ones from Debian (needs root).
ensure_apt_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "missing Debian packages: ${missing[*]} (run as root, or install them)"
  log "installing ${missing[*]} from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
