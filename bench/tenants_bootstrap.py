"""Shared tenants on the lab's Kubernetes: N tenants bootstrapped to Ready, the no-change rerun, and a baseline.

  ours       playbooks/tenant.yml (the k8s_tenant role: one odoo_tenant call per tenant, server-side apply of
             every object, waiting for the rollouts) on N generated shared tenants, forks F; then the same
             playbook again (changed must be 0);
  baseline   the same objects for M other tenants (rendered by the role's GitOps mode, Secrets included) applied
             by a playbook with kubernetes.core.k8s, one object per call (server-side apply, wait on the
             Deployments); then again.
Both are measured side by side in one run; the ratio compares seconds per tenant (M is smaller than N: the
baseline makes about 20 calls per tenant). The tenants' pods run on kwok's simulated nodes (`scripts/lab.sh
k8s-kwok`): the real node is cordoned for the run and uncordoned after, and everything the run made (its
namespaces, volumes, kwok's nodes) is removed at the end. No database is created (k8s_tenant_manage_database
false): the figures are the Kubernetes side's. Needs `scripts/lab.sh k8s-up`; nothing leaves the lab network.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
LAB_CACHE = Path(os.environ.get("ODOO_CLOUD_LAB_CACHE", "/var/cache/odoo-cloud-lab"))
KUBECONFIG = LAB_CACHE / "k8s" / "admin.kubeconfig"
KUBECTL = LAB_CACHE / "k8s" / "v1.37.2" / "kubectl"
REAL_NODE = "lab-k8s-node1"
STORAGE_CLASS = "bench-static"
TARGETS = {"bootstrap": 60.0, "rerun": 15.0, "ratio": 5.0}  # issue: N = 100 on the 2-core lab

BASELINE_PLAYBOOK = """---
# The baseline: each rendered object applied by its own kubernetes.core.k8s call, in the kustomization's order.
- name: Apply the rendered objects one by one
  hosts: "{{ bench_hosts }}"
  gather_facts: false
  tasks:
    - name: Read the tenant's kustomization
      ansible.builtin.set_fact:
        bench_files: "{{ (lookup('ansible.builtin.file', render_dir ~ '/' ~ inventory_hostname ~ '/kustomization.yaml')
                          | from_yaml).resources }}"

    - name: Apply one object
      kubernetes.core.k8s:
        kubeconfig: "{{ kubeconfig }}"
        src: "{{ render_dir }}/{{ inventory_hostname }}/{{ item }}"
        state: present
        apply: true
        server_side_apply: {field_manager: bench-baseline, force_conflicts: true}
        wait: "{{ '-deployment-' in item }}"
        wait_timeout: 300
      loop: "{{ bench_files }}"
      no_log: true
"""


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def kubectl(*args: str, check: bool = True, stdin: str | None = None, timeout: float = 300) -> str:
    result = subprocess.run([str(KUBECTL), "--kubeconfig", str(KUBECONFIG), *args], input=stdin, text=True,
                            capture_output=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"kubectl {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def playbook(work: Path, playbook_path: Path, limit: str, forks: int, *extra: str) -> tuple[float, dict[str, int]]:
    env = {k: v for k, v in os.environ.items() if k != "ANSIBLE_CALLBACKS_ENABLED"}
    env.update({"ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"})
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(work / "bench.tenants.yml"),
           "-f", str(forks), "-l", limit, str(playbook_path), *extra]
    logfile = work / f"{playbook_path.stem}-{limit.strip('*')}-{int(time.time())}.log"
    start = time.perf_counter()
    with logfile.open("w", encoding="utf-8") as out:
        rc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, timeout=3600, check=False).returncode
    elapsed = time.perf_counter() - start
    text = logfile.read_text(encoding="utf-8")
    recap = re.findall(r"(?m)^\S+\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", text)
    totals = {"hosts": len(recap), "changed": sum(int(r[1]) for r in recap),
              "failed": sum(int(r[2]) + int(r[3]) for r in recap)}
    if rc != 0 or totals["failed"]:
        raise RuntimeError(f"{playbook_path.name} -l {limit} failed (rc {rc}); log {logfile}:\n{text[-3000:]}")
    log(f"  {playbook_path.name} -l {limit}: {elapsed:.1f} s, {totals}")
    return elapsed, totals


def write_inventory(work: Path, ours: int, baseline: int) -> None:
    names = [f"bench-{i:03d}" for i in range(ours)] + [f"base-{i:03d}" for i in range(baseline)]
    catalog = {"cluster": {"api_server": "https://10.77.0.60:6443",
                           "database_servers": {"bench": {"hosts": ["10.77.0.161"]}}},
               "tenants": [{"name": n, "tier": "shared", "size": "xs", "environment": "dev", "odoo_version": "18.0",
                            "domains": [f"{n}.tenants.odoo-lab.test"], "database": {"server": "bench"}}
                           for n in names]}
    (work / "catalog.yml").write_text(yaml.safe_dump(catalog), encoding="utf-8")
    (work / "bench.tenants.yml").write_text("plugin: odoo_cloud.platform.tenants\ncatalog: catalog.yml\n"
                                            "pool: 10.0.0.0/12\n", encoding="utf-8")
    group_vars = {
        "ansible_python_interpreter": sys.executable,
        "k8s_tenant_kubeconfig": str(KUBECONFIG),
        "k8s_tenant_manage_database": False,
        "k8s_tenant_init_database": False,
        "k8s_tenant_ingress": {"namespace": "traefik"},
        "k8s_tenant_filestore": {"storage_class": STORAGE_CLASS},
        "k8s_tenant_wait": True,
        "k8s_tenant_wait_timeout": 300,
        # Throw-away values for throw-away tenants (the bench removes them); never a pattern for real ones.
        "k8s_tenant_secret_source": "vault",
        "k8s_tenant_db_password": "bench-db-{{ tenant_name }}-0c5e2f",
        "k8s_tenant_admin_password": "bench-admin-{{ tenant_name }}-7a1d9b",
        "k8s_tenant_master_password": "bench-master-{{ tenant_name }}-3e8f41",
        "kubeconfig": str(KUBECONFIG),
        "render_dir": str(work / "rendered"),
    }
    (work / "group_vars").mkdir()
    (work / "group_vars" / "tier_shared.yml").write_text(yaml.safe_dump(group_vars), encoding="utf-8")
    (work / "baseline.yml").write_text(BASELINE_PLAYBOOK, encoding="utf-8")
    volumes = [{"apiVersion": "v1", "kind": "PersistentVolume",
                "metadata": {"name": f"bench-filestore-{n}", "labels": {"odoo-cloud.io/bench": "tenants"}},
                "spec": {"capacity": {"storage": "50Gi"}, "accessModes": ["ReadWriteOnce"],
                         "persistentVolumeReclaimPolicy": "Retain", "storageClassName": STORAGE_CLASS,
                         "claimRef": {"namespace": f"odoo-{n}", "name": "odoo-filestore"},
                         "hostPath": {"path": f"/srv/bench-pv/{n}"}}} for n in names]
    kubectl("apply", "-f", "-", stdin="\n---\n".join(yaml.safe_dump(v) for v in volumes))


def not_ready(prefix: str) -> list[str]:
    data = json.loads(kubectl("get", "deployments", "-A", "-o", "json"))
    return [f"{d['metadata']['namespace']}/{d['metadata']['name']}" for d in data["items"]
            if d["metadata"]["namespace"].startswith(prefix)
            and d.get("status", {}).get("readyReplicas", 0) < d["spec"].get("replicas", 1)]


def tidy() -> None:
    log("removing the bench's namespaces, volumes and kwok nodes")
    names = kubectl("get", "namespaces", "-o", "name", check=False).split()
    ours = [n for n in names if n.startswith(("namespace/odoo-bench-", "namespace/odoo-base-"))]
    if ours:
        kubectl("delete", "--wait=true", "--timeout=300s", *ours, check=False, timeout=400)
    kubectl("delete", "pv", "-l", "odoo-cloud.io/bench=tenants", "--wait=false", check=False)
    subprocess.run(["bash", str(REPO / "scripts" / "lab.sh"), "k8s-kwok-down"], check=False,
                   stdout=subprocess.DEVNULL)
    kubectl("uncordon", REAL_NODE, check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=100, help="tenants bootstrapped by ours (default 100)")
    parser.add_argument("--baseline-tenants", type=int, default=20, help="tenants of the baseline (default 20)")
    parser.add_argument("--forks", type=int, default=20, help="ansible-playbook forks for both (default 20)")
    parser.add_argument("--kwok-nodes", type=int, default=4, help="simulated nodes (default 4)")
    args = parser.parse_args()
    if not KUBECONFIG.is_file():
        parser.error(f"{KUBECONFIG} is missing: run scripts/lab.sh k8s-up first")
    work = Path(tempfile.mkdtemp(prefix="odoo-cloud-bench-tenants."))
    load_start = os.getloadavg()[0]
    rows: dict[str, tuple[float, dict[str, int]]] = {}
    try:
        log(f"kwok: {args.kwok_nodes} simulated nodes")
        subprocess.run(["bash", str(REPO / "scripts" / "lab.sh"), "k8s-kwok"], check=True, timeout=1800,
                       env={**os.environ, "ODOO_CLOUD_LAB_KWOK_NODES": str(args.kwok_nodes)})
        kubectl("cordon", REAL_NODE)
        write_inventory(work, args.tenants, args.baseline_tenants)
        tenant_yml = REPO / "playbooks" / "tenant.yml"
        log(f"ours: {args.tenants} tenants")
        rows["ours bootstrap"] = playbook(work, tenant_yml, "bench-*", args.forks)
        missing = not_ready("odoo-bench-")
        if missing:
            raise RuntimeError(f"not Ready after ours: {missing[:10]}")
        rows["ours rerun"] = playbook(work, tenant_yml, "bench-*", args.forks)
        log(f"baseline: {args.baseline_tenants} tenants rendered, then applied object by object")
        rows["baseline render"] = playbook(work, tenant_yml, "base-*", args.forks, "-e", "k8s_tenant_mode=render",
                                           "-e", f"k8s_tenant_render_dir={work / 'rendered'}",
                                           "-e", "k8s_tenant_render_secrets=true")
        rows["baseline bootstrap"] = playbook(work, work / "baseline.yml", "base-*", args.forks,
                                              "-e", "bench_hosts=base-*")
        missing = not_ready("odoo-base-")
        if missing:
            raise RuntimeError(f"not Ready after the baseline: {missing[:10]}")
        rows["baseline rerun"] = playbook(work, work / "baseline.yml", "base-*", args.forks, "-e", "bench_hosts=base-*")
    finally:
        tidy()
        shutil.rmtree(work, ignore_errors=True)
    n, m = args.tenants, args.baseline_tenants
    print(f"shared tenants on the lab's Kubernetes ({args.kwok_nodes} kwok nodes, forks {args.forks}; "
          f"load average {load_start:.2f} at start, {os.getloadavg()[0]:.2f} at the end)")
    print(f"{'run':<20} {'tenants':>7} {'seconds':>8} {'s/tenant':>9} {'changed':>8}")
    for name, (secs, totals) in rows.items():
        count = n if name.startswith("ours") else m
        print(f"{name:<20} {count:>7} {secs:>8.1f} {secs / count:>9.2f} {totals['changed']:>8}")
    ours_rate = rows["ours bootstrap"][0] / n
    base_rate = rows["baseline bootstrap"][0] / m
    ratio = base_rate / ours_rate
    rerun_ratio = (rows["baseline rerun"][0] / m) / (rows["ours rerun"][0] / n)
    boot, rerun = rows["ours bootstrap"][0], rows["ours rerun"][0]
    print(f"ours bootstrap {boot:.1f} s for {n} (target <= {TARGETS['bootstrap']:.0f} s at N = 100): "
          f"{'pass' if n >= 100 and boot <= TARGETS['bootstrap'] else 'miss' if n >= 100 else '-'}")
    print(f"ours rerun {rerun:.1f} s, changed {rows['ours rerun'][1]['changed']} (target <= {TARGETS['rerun']:.0f} s, "
          f"changed 0): {'pass' if n >= 100 and rerun <= TARGETS['rerun'] and not rows['ours rerun'][1]['changed'] else 'miss' if n >= 100 else '-'}")
    print(f"per tenant, baseline / ours: bootstrap {ratio:.1f}x, rerun {rerun_ratio:.1f}x "
          f"(target >= {TARGETS['ratio']:.0f}x): {'pass' if ratio >= TARGETS['ratio'] else 'miss'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
