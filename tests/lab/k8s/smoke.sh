#!/usr/bin/env bash
# Smoke test of the lab's real Kubernetes (scripts/lab.sh k8s-up), from outside, with kubectl only:
#   - the node lab-k8s-node1 is Ready;
#   - in a namespace enforcing pod-security "restricted", a pod of the Odoo stand-in image (not
#     Odoo: tests/lab/images/odoo-standin) as uid 101, all capabilities dropped, seccomp
#     RuntimeDefault, read-only root with emptyDirs at /var/lib/odoo and /tmp, becomes Ready on its
#     /web/health readiness probe and answers through a ClusterIP Service from another pod;
#   - a default-deny NetworkPolicy (kube-router) blocks a non-allowed pod while an allowed one
#     still gets through;
#   - a root pod is rejected by the API server (PodSecurity admission).
# Every wait is bounded; the namespace is removed at the end; timings are printed; the exit code is
# non-zero when any check failed.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/../../../scripts/common.sh"

K8S_VERSION=${ODOO_CLOUD_LAB_K8S_VERSION:-v1.37.2}
KUBECTL="$LAB_CACHE/k8s/$K8S_VERSION/kubectl"
KUBECONFIG_FILE="$LAB_CACHE/k8s/admin.kubeconfig"
NODE=lab-k8s-node1
NS=lab-k8s-smoke
IMAGE=${ODOO_CLOUD_LAB_STANDIN_IMAGE:-10.77.0.2:5000/lab/odoo-standin:18.0}
READY_TIMEOUT=${SMOKE_READY_TIMEOUT:-120}

[ -x "$KUBECTL" ] || die "$KUBECTL is missing: run scripts/lab.sh k8s-up first"
[ -s "$KUBECONFIG_FILE" ] || die "$KUBECONFIG_FILE is missing: run scripts/lab.sh k8s-up first"

k() { "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" --request-timeout=30s "$@"; }

failures=0
T0=$SECONDS
pass() { printf 'PASS  %-58s %4d s\n' "$1" "$2"; }
fail() { printf 'FAIL  %-58s %4d s  %s\n' "$1" "$2" "${3:-}"; failures=$((failures + 1)); }

cleanup() {
  local t=$SECONDS
  if k get namespace "$NS" >/dev/null 2>&1; then
    k delete namespace "$NS" --wait=true --timeout=120s >/dev/null 2>&1 \
      || echo "warning: namespace $NS still there after 120 s" >&2
    printf 'namespace %s removed in %d s\n' "$NS" "$((SECONDS - t))"
  fi
}

# The security context every pod here needs in a "restricted" namespace (the stand-in's user).
pod_yaml() {  # pod_yaml NAME LABELS_JSON COMMAND_JSON [probe]
  cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
  namespace: $NS
  labels: $2
spec:
  automountServiceAccountToken: false
  dnsPolicy: Default   # the lab cluster runs no DNS; every check uses addresses
  terminationGracePeriodSeconds: 2
  securityContext:
    runAsNonRoot: true
    runAsUser: 101
    runAsGroup: 101
    fsGroup: 101
    seccompProfile:
      type: RuntimeDefault
  containers:
  - name: main
    image: $IMAGE
    command: $3
    ports:
    - containerPort: 8069
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities:
        drop: [ALL]
$(if [ "${4:-}" = probe ]; then cat <<'PROBE'
    readinessProbe:
      httpGet:
        path: /web/health
        port: 8069
      periodSeconds: 2
      failureThreshold: 3
PROBE
fi)
    volumeMounts:
    - name: data
      mountPath: /var/lib/odoo
    - name: tmp
      mountPath: /tmp
  volumes:
  - name: data
    emptyDir: {}
  - name: tmp
    emptyDir: {}
EOF
}

# http_from POD URL: one GET from inside POD (the stand-in image has python3), 3 s timeout. Exit 3
# when the request itself failed (refused, timed out), so that a kubectl exec failure is not taken
# for a NetworkPolicy refusal.
http_from() {
  timeout 25 "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" --request-timeout=20s exec -n "$NS" "$1" -- \
    python3 -c '
import sys, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=3).read().decode())
except Exception as exc:
    print("request failed:", exc)
    sys.exit(3)
' "$2" 2>/dev/null
}

# retry_until SECONDS CMD...: run CMD every second until it succeeds or SECONDS have passed.
retry_until() {
  local limit=$1 t=$SECONDS
  shift
  while :; do
    "$@" && return 0
    [ $((SECONDS - t)) -lt "$limit" ] || return 1
    sleep 1
  done
}

trap cleanup EXIT

# 1. node Ready
t=$SECONDS
ready=$(k get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
if [ "$ready" = True ]; then pass "node $NODE Ready" $((SECONDS - t)); else fail "node $NODE Ready" $((SECONDS - t)) "Ready=$ready"; fi

# 2. a restricted namespace (removed first if a previous run left it)
t=$SECONDS
if k get namespace "$NS" >/dev/null 2>&1; then
  k delete namespace "$NS" --wait=true --timeout=120s >/dev/null
fi
k apply --server-side --field-manager=lab-k8s-smoke -f - >/dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $NS
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
EOF
pass "namespace $NS (pod-security enforce=restricted)" $((SECONDS - t))

# 3. a root pod is rejected by the API server
t=$SECONDS
out=$(k apply -f - 2>&1 <<EOF || true
apiVersion: v1
kind: Pod
metadata:
  name: root-pod
  namespace: $NS
spec:
  containers:
  - name: main
    image: $IMAGE
    command: ["sleep", "3600"]
    securityContext:
      runAsUser: 0
EOF
)
if grep -q 'violates PodSecurity "restricted' <<<"$out" && ! k get pod -n "$NS" root-pod >/dev/null 2>&1; then
  pass "root pod rejected by the API server" $((SECONDS - t))
  sed -n 's/.*violates PodSecurity "\([^"]*\)": /  rejected (\1): /p' <<<"$out" | cut -c1-200
else
  fail "root pod rejected by the API server" $((SECONDS - t)) "$(head -c 300 <<<"$out")"
fi

# 4. the stand-in pod, its Service and two client pods
t=$SECONDS
{
  pod_yaml odoo '{"app": "odoo-standin"}' '["/usr/bin/odoo"]' probe
  echo ---
  pod_yaml client-allowed '{"app": "client", "odoo-access": "allowed"}' '["sleep", "3600"]'
  echo ---
  pod_yaml client-other '{"app": "client"}' '["sleep", "3600"]'
  cat <<EOF
---
apiVersion: v1
kind: Service
metadata:
  name: odoo
  namespace: $NS
spec:
  type: ClusterIP
  selector:
    app: odoo-standin
  ports:
  - name: http
    port: 8069
    targetPort: 8069
EOF
} | k apply -f - >/dev/null
if k wait -n "$NS" --for=condition=Ready pod/odoo --timeout="${READY_TIMEOUT}s" >/dev/null 2>&1; then
  pass "stand-in pod Ready (readiness /web/health, restricted)" $((SECONDS - t))
else
  fail "stand-in pod Ready (readiness /web/health, restricted)" $((SECONDS - t)) \
    "$(k get pod -n "$NS" odoo -o jsonpath='{.status.containerStatuses[0].state}' 2>/dev/null)"
  k describe pod -n "$NS" odoo 2>/dev/null | tail -n 15 >&2 || true
fi
t=$SECONDS
if k wait -n "$NS" --for=condition=Ready pod/client-allowed pod/client-other --timeout="${READY_TIMEOUT}s" >/dev/null 2>&1; then
  pass "client pods Ready" $((SECONDS - t))
else
  fail "client pods Ready" $((SECONDS - t))
fi

if [ "$failures" -gt 0 ]; then
  printf 'the pods are not Ready: the Service and NetworkPolicy checks are skipped\n'
  printf '%d check(s) failed; checks took %d s\n' "$failures" "$((SECONDS - T0))"
  exit 1
fi

cluster_ip=$(k get service -n "$NS" odoo -o jsonpath='{.spec.clusterIP}')
url="http://$cluster_ip:8069/web/health"
health_ok() { http_from "$1" "$url" | grep -q '"status": *"pass"'; }
health_refused() {
  local rc=0
  http_from "$1" "$url" >/dev/null || rc=$?
  [ "$rc" = 3 ]
}

# 5. the ClusterIP Service answers from another pod (before any policy: from both clients)
t=$SECONDS
if retry_until 20 health_ok client-allowed; then
  pass "GET $url from client-allowed" $((SECONDS - t))
else
  fail "GET $url from client-allowed" $((SECONDS - t))
fi
t=$SECONDS
if retry_until 20 health_ok client-other; then
  pass "GET through the Service from client-other (no policy yet)" $((SECONDS - t))
else
  fail "GET through the Service from client-other (no policy yet)" $((SECONDS - t))
fi

# 6. default deny, then allow only pods labelled odoo-access=allowed to the stand-in's port
t=$SECONDS
k apply -f - >/dev/null <<EOF
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: $NS
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: odoo-from-allowed
  namespace: $NS
spec:
  podSelector:
    matchLabels:
      app: odoo-standin
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector:
        matchLabels:
          odoo-access: allowed
    ports:
    - protocol: TCP
      port: 8069
EOF
# kube-router needs a few seconds to program the policy.
if retry_until 45 health_refused client-other; then
  pass "NetworkPolicy: client-other refused" $((SECONDS - t))
else
  fail "NetworkPolicy: client-other refused" $((SECONDS - t)) "still answered after 45 s"
fi
t=$SECONDS
if retry_until 20 health_ok client-allowed; then
  pass "NetworkPolicy: client-allowed still gets through" $((SECONDS - t))
else
  fail "NetworkPolicy: client-allowed still gets through" $((SECONDS - t))
fi
# Still refused a moment later (not a transient failure).
t=$SECONDS
if health_refused client-other; then
  pass "NetworkPolicy: client-other refused again" $((SECONDS - t))
else
  fail "NetworkPolicy: client-other refused again" $((SECONDS - t))
fi

printf '%d check(s) failed; checks took %d s\n' "$failures" "$((SECONDS - T0))"
cleanup
trap - EXIT
[ "$failures" -eq 0 ]
