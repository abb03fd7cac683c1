#!/usr/bin/env bash
# The project's test stages.
#   scripts/test.sh fast      lint + sanity + units (the quick loop while developing)
#   scripts/test.sh full      fast + ansible-core 2.19 compatibility + collection build + every Molecule scenario
#   scripts/test.sh STAGE...  lint | sanity | units | compat | build | molecule [scenario...]
# The last line is "summary: N passed, N failed" over the stages run.
set -uo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"
cd "$REPO_ROOT" || exit 1

passed=0
failed=0
failed_stages=()

stage_times=()

# record_stage NAME RC SECONDS: counts a stage and prints its result.
record_stage() {
  stage_times+=("$(printf '%-24s %-6s %6s s' "$1" "$([ "$2" = 0 ] && echo ok || echo FAILED)" "$3")")
  if [ "$2" = 0 ]; then
    passed=$((passed + 1)); log "stage $1 passed ($3 s)"
  else
    failed=$((failed + 1)); failed_stages+=("$1"); log "stage $1 FAILED ($3 s)"
  fi
}

# Each stage's output also goes to .build/stages/NAME.log: the end of a failed one is printed again
# at the very end, where a reader of only the last lines (CI) finds it.
STAGE_LOGS="$REPO_ROOT/.build/stages"
run_stage() {
  local name=$1; shift
  log "stage $name"
  local start=$SECONDS rc=0
  mkdir -p "$STAGE_LOGS"
  "$@" > >(tee "$STAGE_LOGS/$name.log") 2>&1 || rc=$?
  record_stage "$name" "$rc" "$((SECONDS - start))"
}

show_failed_stage_ends() {
  local s
  for s in "${failed_stages[@]}"; do
    case $s in molecule-*) continue ;; esac  # their failing tasks are printed by finish_molecule_lanes
    [ -s "$STAGE_LOGS/$s.log" ] || continue
    log "stage $s FAILED: its last 40 lines"
    tail -n 40 "$STAGE_LOGS/$s.log"
  done
}

# ansible-test needs the collection at .../ansible_collections/odoo_cloud/platform, outside the
# checkout (inside it, git reports the copy as ignored and ansible-test skips everything): mirror the
# files git knows (tracked and new, not ignored) into a fresh directory per run, next to the
# dependency collections its import checks need.
make_collection_copy() {
  local venv=$1 root site dep
  root=$(mktemp -d "${TMPDIR:-/tmp}/odoo-cloud-ansible-test.XXXXXX")
  mkdir -p "$root/ansible_collections/odoo_cloud/platform"
  git ls-files -co --exclude-standard -z | rsync -a --from0 --files-from=- ./ "$root/ansible_collections/odoo_cloud/platform/"
  site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  for dep in "$site"/ansible_collections/*/*; do
    case "$dep" in */odoo_cloud/platform) continue ;; esac
    mkdir -p "$root/ansible_collections/$(basename "$(dirname "$dep")")"
    cp -a "$dep" "$root/ansible_collections/$(basename "$(dirname "$dep")")/"
  done
  echo "$root/ansible_collections/odoo_cloud/platform"
}

stage_lint() {
  local inv group graph
  "$VENV/bin/ansible-lint" --profile production --strict -q . \
    && shellcheck -x scripts/*.sh scripts/lab/*.sh .ci/run || return 1
  # Every inventory parses, and site.yml's groups exist in it.
  for inv in inventories/*/hosts.yml inventories/examples/*/hosts.yml; do
    [ -f "$inv" ] || continue
    graph=$("$VENV/bin/ansible-inventory" -i "$inv" --graph 2>&1) || { echo "$graph"; return 1; }
    for group in docker_hosts traefik odoo postgresql_primary postgresql_replicas redis; do
      grep -q "@$group:" <<<"$graph" || { echo "$inv: no group $group"; return 1; }
    done
  done
  # The tenant catalogs (odoo_cloud.platform.tenants): they parse without a warning (a source that does not
  # parse is only a warning to ansible-inventory), with the tiers and site.yml's groups for the dedicated tenant.
  for inv in inventories/examples/tenants/*.tenants.yml; do
    [ -f "$inv" ] || continue
    graph=$("$VENV/bin/ansible-inventory" -i "$inv" --graph 2>&1) || { echo "$graph"; return 1; }
    if grep -qE 'WARNING|ERROR' <<<"$graph"; then echo "$graph"; return 1; fi
    for group in tier_dedicated tier_shared docker_hosts traefik odoo postgresql_primary postgresql_replicas redis; do
      grep -q "@$group:" <<<"$graph" || { echo "$inv: no group $group"; echo "$graph"; return 1; }
    done
  done
}

# ansible-test bootstraps pip in its test venvs with a script from a host we cannot reach; give it
# the offline equivalent at the cache path it documents for manual downloads.
provide_pip_bootstrap() {
  local venv=$1 v
  for v in $(grep -ho "pip='[0-9.]*'" "$venv"/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py | tr -dc '0-9.\n'); do
    mkdir -p "$HOME/.ansible/test/cache"
    cp "$REPO_ROOT/scripts/ansible_test_get_pip.py" "$HOME/.ansible/test/cache/get_pip_${v//./_}.py"
  done
}

stage_sanity() {
  local venv=${1:-$VENV_SANITY}
  [ -n "${1:-}" ] || "$REPO_ROOT/scripts/bootstrap-venv.sh" sanity || return 1
  provide_pip_bootstrap "$venv"
  local copy rc=0
  copy=$(make_collection_copy "$venv") || return 1
  (cd "$copy" && "$venv/bin/ansible-test" sanity --local --requirements --color no) || rc=$?
  rm -rf "${copy%/ansible_collections/odoo_cloud/platform}"
  return $rc
}

stage_units() {
  local venv=${1:-$VENV}
  local rc=0
  "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/unit || rc=$?
  # 5 = no tests collected: a stage that tests nothing has failed.
  [ "$rc" = 0 ]
}

stage_compat() {
  "$REPO_ROOT/scripts/bootstrap-venv.sh" compat \
    && stage_units "$VENV_COMPAT" \
    && stage_sanity "$VENV_COMPAT"
}

# The tarball installs into a clean virtualenv and ansible-doc renders every plugin and role from it.
stage_build() {
  local out="$REPO_ROOT/.build/dist" clean="$REPO_ROOT/.build/clean-venv"
  rm -rf "$out" && mkdir -p "$out"
  "$VENV/bin/ansible-galaxy" collection build --force --output-path "$out" . || return 1
  local tarball
  tarball=$(ls "$out"/odoo_cloud-platform-*.tar.gz)
  if [ ! -x "$clean/bin/ansible-doc" ]; then
    "$(find_python 3.12)" -m venv "$clean" && "$clean/bin/pip" install -q "$(grep -E '^ansible-core==' tests/requirements.txt)" || return 1
  fi
  rm -rf "$out/collections"
  # Away from the checkout and its ansible.cfg: only the installed tarball may be found.
  # Galaxy is unreachable here: install without resolving dependencies (users get them from galaxy.yml).
  (cd "$out" && env -u ANSIBLE_CONFIG ANSIBLE_COLLECTIONS_PATH="$out/collections" \
    "$clean/bin/ansible-galaxy" collection install --no-deps -p "$out/collections" "$tarball") || return 1
  # The dependencies, as `ansible-galaxy` would bring them from galaxy.yml, from the `ansible` wheel.
  local whl
  whl=$(find "$LAB_CACHE/wheels" -maxdepth 1 -name "ansible-$(sed -n 's/^ansible==//p' tests/collections.txt)-*.whl" | head -n1)
  grep -vE '^(#|ansible==|$)' tests/collections.txt \
    | "$clean/bin/python" scripts/extract_collections.py "$whl" "$out/collections" >/dev/null || return 1
  # One ansible-doc per kind (each start costs seconds on a loaded machine): every name must have its
  # own "> KIND name (path)" header, and nothing may be reported missing or in error.
  local docs_ok=0 kind name names doc
  for kind in $(list_plugins_and_roles | cut -d' ' -f1 | sort -u); do
    mapfile -t names < <(list_plugins_and_roles | awk -v k="$kind" '$1 == k {print $2}')
    doc="$out/doc-$kind.txt"
    if ! (cd "$out" && env -u ANSIBLE_CONFIG ANSIBLE_NOCOLOR=1 ANSIBLE_COLLECTIONS_PATH="$out/collections" \
            "$clean/bin/ansible-doc" -t "$kind" "${names[@]}") >"$doc" 2>&1 \
       || grep -qE '^(\[ERROR\]|ERROR!)|was not found|missing documentation' "$doc"; then
      echo "ansible-doc -t $kind failed:"; cat "$doc"; docs_ok=1; continue
    fi
    for name in "${names[@]}"; do
      grep -qE "^> [A-Z]+:? [*]?${name}[*]? [(]" "$doc" || { echo "ansible-doc -t $kind rendered no documentation for $name"; docs_ok=1; }
    done
  done
  grep -q 'redis_admin_password' "$out/doc-role.txt" || { echo "role argument spec missing from ansible-doc"; docs_ok=1; }
  echo "built $(basename "$tarball"); ansible-doc rendered $(list_plugins_and_roles | wc -l) plugins and roles from it"
  return $docs_ok
}

list_plugins_and_roles() {
  local f kind name
  # Plugin files, and the documentation files of filters that share a file with another filter.
  for f in plugins/modules/*.py plugins/inventory/*.py plugins/filter/*.py plugins/test/*.py plugins/lookup/*.py \
           plugins/filter/*.yml plugins/test/*.yml; do
    [ -f "$f" ] || continue
    case "$f" in */__init__.py) continue ;; esac
    kind=$(basename "$(dirname "$f")"); [ "$kind" = modules ] && kind=module
    name=$(basename "$(basename "$f" .py)" .yml)
    echo "$kind odoo_cloud.platform.$name"
  done | sort -u
  for f in roles/*/meta/argument_specs.yml; do
    [ -f "$f" ] && echo "role odoo_cloud.platform.$(basename "$(dirname "$(dirname "$f")")")"
  done
}

list_scenarios() {
  local f
  for f in molecule/*/molecule.yml; do [ -f "$f" ] && basename "$(dirname "$f")"; done
}

stage_molecule() {
  local scenarios=("$@") s rc=0
  [ ${#scenarios[@]} -gt 0 ] || mapfile -t scenarios < <(list_scenarios)
  "$REPO_ROOT/scripts/lab.sh" up || return 1
  if [[ " ${scenarios[*]} " == *" tenants "* ]]; then "$REPO_ROOT/scripts/lab.sh" k8s-up || return 1; fi
  for s in "${scenarios[@]}"; do
    log "molecule scenario $s"
    "$VENV/bin/molecule" test -s "$s" || { rc=1; log "molecule scenario $s FAILED"; }
  done
  return $rc
}

# Scenarios that share no host run side by side in three lanes: the five-host stack alone (the longest),
# PostgreSQL then the Kubernetes tenants, and every other scenario one after another (a scenario no lane
# names joins the last). The lanes start as soon as the lab is up, while the checks that need no lab host
# run niced beside them; a scenario in K8S_SCENARIOS first waits for the background Kubernetes lab.
# Each scenario's output goes to .build/molecule/NAME.log, its "rc seconds" to NAME.rc.
MOLECULE_LANES=("stack" "postgresql tenants")
K8S_SCENARIOS=" tenants "
MOLECULE_DIR="$REPO_ROOT/.build/molecule"
MOLECULE_PIDS=()
MOLECULE_ALL=()

run_lane() {
  local s start rc
  for s in "$@"; do
    if [[ "$K8S_SCENARIOS" == *" $s "* ]] && ! k8s_lab_ready; then
      echo "the Kubernetes lab did not come up (see the k8s-lab stage): scenario $s not run" >"$MOLECULE_DIR/$s.log"
      echo "1 0" >"$MOLECULE_DIR/$s.rc"
      continue
    fi
    start=$SECONDS
    # profile_tasks: each task's time in the log and the slowest ones at the end of each play run.
    ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks PROFILE_TASKS_TASK_OUTPUT_LIMIT=15 \
      "$VENV/bin/molecule" test -s "$s" >"$MOLECULE_DIR/$s.log" 2>&1
    rc=$?
    echo "$rc $((SECONDS - start))" >"$MOLECULE_DIR/$s.rc"
  done
}

start_molecule_lanes() {
  local s lane named=" " lanes=() rest=()
  rm -rf "$MOLECULE_DIR" && mkdir -p "$MOLECULE_DIR"
  for lane in "${MOLECULE_LANES[@]}"; do
    local present=()
    for s in $lane; do [ -f "molecule/$s/molecule.yml" ] && present+=("$s"); named+="$s "; done
    lanes+=("${present[*]}")
  done
  for s in $(list_scenarios); do [[ "$named" == *" $s "* ]] || rest+=("$s"); done
  lanes+=("${rest[*]}")
  log "molecule scenarios in ${#lanes[@]} lanes, started in the background: $(printf '[%s] ' "${lanes[@]}")"
  for lane in "${lanes[@]}"; do
    # shellcheck disable=SC2086 # a lane is a space-separated list of scenario names
    run_lane $lane & MOLECULE_PIDS+=($!)
    # shellcheck disable=SC2206
    MOLECULE_ALL+=($lane)
  done
}

# Waits for the lanes; passed scenarios first, failed ones last, each failure followed by its failing tasks,
# so the end of the output (what CI keeps) shows why.
finish_molecule_lanes() {
  local s rc secs ok=() bad=()
  wait "${MOLECULE_PIDS[@]}"
  for s in "${MOLECULE_ALL[@]}"; do
    read -r rc secs <"$MOLECULE_DIR/$s.rc" || { rc=1; secs=0; }
    if [ "$rc" = 0 ]; then ok+=("$s $secs"); else bad+=("$s $secs"); fi
  done
  for s in "${ok[@]}"; do
    read -r s secs <<<"$s"
    log "molecule scenario $s output"; cat "$MOLECULE_DIR/$s.log"
    record_stage "molecule-$s" 0 "$secs"
  done
  for s in "${bad[@]}"; do
    read -r s secs <<<"$s"
    log "molecule scenario $s output"; cat "$MOLECULE_DIR/$s.log"
    record_stage "molecule-$s" 1 "$secs"
  done
  for s in "${bad[@]}"; do
    read -r s secs <<<"$s"
    log "molecule scenario $s: failing tasks"
    grep -n -B 12 -A 25 -E 'fatal: |FAILED! =>|failed: \[|ERROR ' "$MOLECULE_DIR/$s.log" | tail -n 120
  done
}

K8S_LAB_PID=""
K8S_LAB_RC="$REPO_ROOT/.build/k8s-up.rc"
start_k8s_lab() {
  local dir="$REPO_ROOT/.build"
  mkdir -p "$dir" && rm -f "$K8S_LAB_RC"
  K8S_LAB_START=$SECONDS
  ( nice -n 10 "$REPO_ROOT/scripts/lab.sh" k8s-up >"$dir/k8s-up.log" 2>&1; echo $? >"$K8S_LAB_RC" ) &
  K8S_LAB_PID=$!
  log "Kubernetes lab: building and starting in the background (log in $dir/k8s-up.log)"
}

# Blocks until the background k8s-up has ended; true when it succeeded.
k8s_lab_ready() {
  while [ ! -s "$K8S_LAB_RC" ]; do sleep 5; done
  [ "$(cat "$K8S_LAB_RC")" = 0 ]
}

# The background k8s-up's result, its output, and the smoke test of the cluster (tests/lab/k8s/smoke.sh).
wait_k8s_lab() {
  local rc=0
  [ -n "$K8S_LAB_PID" ] || start_k8s_lab
  k8s_lab_ready || rc=1
  cat "$REPO_ROOT/.build/k8s-up.log"
  log "Kubernetes lab: k8s-up rc $(cat "$K8S_LAB_RC") after $((SECONDS - K8S_LAB_START)) s"
  [ "$rc" = 0 ] && bash "$REPO_ROOT/tests/lab/k8s/smoke.sh"
}

main() {
  local mode=${1:-fast}
  # Tools the stages call: shellcheck (lint), rsync and git (the ansible-test copy).
  ensure_apt_packages shellcheck rsync git
  "$REPO_ROOT/scripts/bootstrap-venv.sh" main || die "could not build the virtualenv"
  export PATH="$VENV/bin:$PATH"
  export ANSIBLE_CONFIG="$REPO_ROOT/ansible.cfg"
  # community.docker's API timeout (molecule's create and destroy): removing a Docker-host lab container (vfs
  # storage) took over the 60 s default on a loaded 2-core machine and failed a scenario whose tests had passed.
  export DOCKER_TIMEOUT="${DOCKER_TIMEOUT:-300}"
  case "$mode" in
    fast) run_stage lint stage_lint; run_stage sanity stage_sanity; run_stage units stage_units ;;
    full)
      # The lab needs root: set it up first so a missing install step fails early.
      run_stage lab "$REPO_ROOT/scripts/lab.sh" up
      # The Kubernetes lab (its binaries take most of the cold start) builds and starts in the background,
      # niced; the Molecule lanes start at once (the longest lane sets the suite's time), and the checks
      # that need no lab host run niced beside them.
      start_k8s_lab
      start_molecule_lanes
      renice -n 5 -p $$ >/dev/null
      run_stage lint stage_lint; run_stage sanity stage_sanity; run_stage units stage_units
      run_stage compat stage_compat; run_stage build stage_build
      run_stage k8s-lab wait_k8s_lab
      finish_molecule_lanes ;;
    molecule) shift; run_stage molecule stage_molecule "$@" ;;
    lint|sanity|units|compat|build) for s in "$@"; do run_stage "$s" "stage_$s"; done ;;
    *) die "unknown mode '$mode'" ;;
  esac
  show_failed_stage_ends
  if [ ${#stage_times[@]} -gt 1 ]; then
    log "stage times (total $SECONDS s)"; printf '  %s\n' "${stage_times[@]}"
  fi
  [ ${#failed_stages[@]} -eq 0 ] || log "failed stages: ${failed_stages[*]}"
  echo "summary: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

main "$@"
