"""Converge time of the five-host lab stack (playbooks/site.yml): fresh hosts, then the idempotent rerun.

Per round:
  fresh   docker rm -f lab-edge1 lab-app1 lab-redis1 lab-pg1 lab-pg2 (those five names only), then
          `bash scripts/lab.sh hosts` recreates them (timed apart: "hosts"), then site.yml is timed;
  rerun   site.yml again at once: its time (target <= 30 s) and the PLAY RECAP's changed counts
          (must be 0 on every host).
--skip-fresh leaves the hosts alone and times reruns only. --pipelining both adds, per round, a rerun
with ANSIBLE_PIPELINING=True (ansible.cfg turns pipelining on for ssh only; the lab connects with
community.docker.docker, which supports it too), order alternated, to see what the setting is worth. Each layer (the playbooks site.yml
imports) is timed from ansible.posix.profile_tasks' timestamps; its slowest tasks are listed too.
The lab CA (tests/lab/playbooks/lab_ca.yml) lives on the controller and survives the hosts; it is made
first if missing.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import _lab
import yaml
from _lab import REPO, WORKDIR, log

HOSTS = ["lab-edge1", "lab-app1", "lab-redis1", "lab-pg1", "lab-pg2"]
LAB_CA = Path(os.environ.get("ODOO_CLOUD_LAB_CACHE", "/var/cache/odoo-cloud-lab")) / "ca" / "lab-ca.crt"
RERUN_TARGET_S = 30.0
TOP_TASKS = 8

RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)"
                   r"\s+rescued=(\d+)\s+ignored=(\d+)", re.MULTILINE)
PLAY = re.compile(r"^PLAY \[(.*)\] \*+\s*$")
# profile_tasks: "<start> (<previous task's length>)       <elapsed since the playbook's start> ****"
STAMP = re.compile(r"\(\d+:\d\d:\d\d\.\d+\)\s+(\d+):(\d\d):(\d\d\.\d+) \*+\s*$")
TASK_TIME = re.compile(r"^(.*?)[ -]+(\d+\.\d\d)s$")


def env(pipelining: bool = False) -> dict[str, str]:
    venv_bin = str(Path(sys.executable).parent)
    extra = {"ANSIBLE_PIPELINING": "True"} if pipelining else {}
    return {**os.environ, **extra, "PATH": f"{venv_bin}:{os.environ.get('PATH', '')}", "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
            "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks", "PROFILE_TASKS_TASK_OUTPUT_LIMIT": str(TOP_TASKS),
            "PROFILE_TASKS_SORT_ORDER": "descending", "ANSIBLE_NOCOLOR": "1"}


def layers() -> dict[str, str]:
    """Play name -> the playbook site.yml imports it from (that playbook's name without .yml)."""
    found = {}
    for entry in yaml.safe_load((REPO / "playbooks" / "site.yml").read_text()):
        name = entry.get("ansible.builtin.import_playbook") or entry.get("import_playbook")
        for play in yaml.safe_load((REPO / "playbooks" / name).read_text()):
            found[play["name"]] = name.removesuffix(".yml")
    return found


def load1() -> float:
    return os.getloadavg()[0]


def molecule_containers() -> list[str]:
    """Running molecule-* containers: other work sharing the machine (only read)."""
    res = _lab.docker("ps", "--filter", "name=^molecule-", "--format", "{{.Names}}", check=False)
    return sorted(res.stdout.split())


def parse(text: str, play_layers: dict[str, str]) -> dict:
    """PLAY RECAP per host, seconds per layer, the slowest tasks (profile_tasks' summary)."""
    recap = {m[0]: dict(zip(("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored"), map(int, m[1:])))
             for m in RECAP.findall(text)}
    starts: list[tuple[str, float]] = []
    pending, last, tasks, in_summary = None, 0.0, [], False
    for line in text.splitlines():
        play = PLAY.match(line)
        if play:
            pending = play.group(1)
            continue
        stamp = STAMP.search(line)
        if stamp:
            last = int(stamp.group(1)) * 3600 + int(stamp.group(2)) * 60 + float(stamp.group(3))
            if pending is not None:
                starts.append((pending, last))
                pending = None
            continue
        if line.startswith("TASKS RECAP"):
            in_summary = True
        elif in_summary:
            task = TASK_TIME.match(line)
            if task and not line.startswith("="):
                tasks.append((task.group(1), float(task.group(2))))
    per_layer: dict[str, float] = {}
    for i, (play, start) in enumerate(starts):
        end = starts[i + 1][1] if i + 1 < len(starts) else last
        layer = play_layers.get(play, play)
        per_layer[layer] = per_layer.get(layer, 0.0) + end - start
    return {"recap": recap, "layers": per_layer, "tasks": tasks}


def site(label: str, play_layers: dict[str, str], timeout: float, pipelining: bool = False) -> dict:
    out = WORKDIR / f"site.{label}.log"
    cmd = ["ansible-playbook", "-i", str(_lab.INVENTORY), str(REPO / "playbooks" / "site.yml")]
    load = load1()
    log(f"{label}: site.yml (load {load:.2f}), log {out}")
    start = time.monotonic()
    with out.open("w") as fh:
        rc = subprocess.run(cmd, cwd=REPO, env=env(pipelining), stdout=fh, stderr=subprocess.STDOUT, timeout=timeout, check=False).returncode
    seconds = time.monotonic() - start
    text = out.read_text()
    result = {"label": label, "seconds": seconds, "load": load, "rc": rc, "log": str(out), **parse(text, play_layers)}
    result["changed"] = sum(h["changed"] for h in result["recap"].values())
    log(f"{label}: {seconds:.1f} s, rc {rc}, changed {({h: r['changed'] for h, r in result['recap'].items()})}")
    if rc != 0:
        tail = "\n".join(text.splitlines()[-30:])
        raise RuntimeError(f"site.yml ({label}) failed (rc {rc}, log {out}):\n{tail}")
    return result


def recreate_hosts(label: str) -> dict:
    """Remove the five lab hosts (by exact name) and let scripts/lab.sh hosts recreate them."""
    out = WORKDIR / f"hosts.{label}.log"
    load = load1()
    log(f"{label}: docker rm -f {' '.join(HOSTS)}")
    start = time.monotonic()
    _lab.docker("rm", "-f", *HOSTS, timeout=300)
    removed = time.monotonic() - start
    log(f"{label}: bash scripts/lab.sh hosts (load {load:.2f}), log {out}")
    start = time.monotonic()
    with out.open("w") as fh:
        rc = subprocess.run(["bash", str(REPO / "scripts" / "lab.sh"), "hosts"], cwd=REPO, env=env(), stdout=fh,
                            stderr=subprocess.STDOUT, timeout=1800, check=False).returncode
    seconds = time.monotonic() - start
    text = out.read_text()
    booted = re.findall(r"^(lab-\S+) \S+ systemd:(running|degraded)$", text, re.MULTILINE)
    if rc != 0 or sorted(name for name, _state in booted) != sorted(HOSTS):
        raise RuntimeError(f"scripts/lab.sh hosts failed (rc {rc}, log {out}):\n{text[-2000:]}")
    log(f"{label}: removed in {removed:.1f} s, hosts up in {seconds:.1f} s")
    return {"label": label, "seconds": seconds, "removed": removed, "load": load}


def versions() -> dict[str, str]:
    core = subprocess.run(["ansible-playbook", "--version"], env=env(), capture_output=True, text=True, check=False)
    galaxy = (REPO / "galaxy.yml").read_text()
    return {
        "collection": "odoo_cloud.platform " + " ".join(re.findall(r"^version:\s*(\S+)", galaxy, re.MULTILINE)[:1]),
        "ansible-core": core.stdout.split("[core ")[-1].split("]")[0] if "[core " in core.stdout else "?",
        "python": sys.version.split()[0],
        "docker": _lab.docker("version", "-f", "{{.Server.Version}}", check=False).stdout.strip(),
        "kernel": os.uname().release,
        "cpus": str(os.cpu_count()),
    }


def report(hosts: list[dict], runs: list[dict], order: list[str]) -> bool:
    print("\nConverge of the five-host lab stack (playbooks/site.yml; app: the Odoo stand-in)")
    print(f"{'run':<12} {'load1':>6} {'total s':>8} " + " ".join(f"{name:>12}" for name in order)
          + f" {'results':>8} {'changed':>8} {'failed':>7}")
    for h in hosts:
        print(f"{h['label'] + ' hosts':<12} {h['load']:>6.2f} {h['seconds']:>8.1f}  scripts/lab.sh hosts "
              f"(before it, docker rm -f of the old ones: {h['removed']:.1f} s)")
    for r in runs:
        failed = sum(h["failed"] + h["unreachable"] for h in r["recap"].values())
        results = sum(h["ok"] + h["skipped"] for h in r["recap"].values())
        print(f"{r['label']:<12} {r['load']:>6.2f} {r['seconds']:>8.1f} "
              + " ".join(f"{r['layers'].get(name, float('nan')):>12.1f}" for name in order)
              + f" {results:>8} {r['changed']:>8} {failed:>7}")
    print("layer seconds: from the first task of the layer's play to the first task of the next one (profile_tasks);"
          " results: task results summed over the hosts (ok + skipped); +pipe: ANSIBLE_PIPELINING=True")
    ok = True
    for suffix, label in (("", "idempotent rerun"), ("+pipe", "idempotent rerun, pipelining")):
        reruns = [r for r in runs if r["label"].startswith("rerun") and r["label"].endswith("+pipe") == bool(suffix)]
        if not reruns:
            continue
        slowest = max(r["seconds"] for r in reruns)
        changed = {h: n["changed"] for r in reruns for h, n in r["recap"].items() if n["changed"]}
        ok &= slowest <= RERUN_TARGET_S and not changed
        print(f"{label}: slowest of {len(reruns)} {slowest:.1f} s  target <= {RERUN_TARGET_S:g} s  "
              f"{'pass' if slowest <= RERUN_TARGET_S else 'FAIL'}")
        print(f"{label}: changed {sum(changed.values())} ({changed or 'on no host'})  target == 0  "
              f"{'pass' if not changed else 'FAIL'}")
    shown = [r for r in runs if r["label"].startswith("fresh")][-1:] + [r for r in runs if r["label"].startswith("rerun")][-1:]
    for r in shown:
        if r["tasks"]:
            print(f"slowest tasks of {r['label']}: " + "; ".join(f"{name} {sec:.1f} s" for name, sec in r["tasks"]))
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="Needs `bash scripts/lab.sh up`. Destroys and recreates the five lab hosts "
                                            "unless --skip-fresh; touches no other container.")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of fresh converge + rerun (default 1)")
    parser.add_argument("--skip-fresh", action="store_true", help="keep the hosts: time idempotent reruns only")
    parser.add_argument("--pipelining", choices=("off", "on", "both"), default="off",
                        help="ANSIBLE_PIPELINING for the runs; both: one rerun each way per round (default off)")
    parser.add_argument("--timeout", type=float, default=3600, help="limit of one site.yml run (s, default 3600)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be >= 1")
    start, load_start, molecule = time.monotonic(), os.getloadavg(), molecule_containers()
    log(f"load average {' '.join(f'{x:.2f}' for x in load_start)}; molecule containers running: {len(molecule)}")
    play_layers = layers()
    order = list(dict.fromkeys(play_layers.values()))
    if not LAB_CA.exists():
        log("lab CA missing: tests/lab/playbooks/lab_ca.yml (not timed)")
        subprocess.run(["ansible-playbook", "-i", str(_lab.INVENTORY), str(REPO / "tests/lab/playbooks/lab_ca.yml")],
                       cwd=REPO, env=env(), capture_output=True, timeout=600, check=True)
    hosts: list[dict] = []
    runs: list[dict] = []
    failed = False
    try:
        for i in range(1, args.rounds + 1):
            if not args.skip_fresh:
                hosts.append(recreate_hosts(f"fresh{i}"))
                runs.append(site(f"fresh{i}{'+pipe' if args.pipelining == 'on' else ''}", play_layers, args.timeout,
                                 args.pipelining == "on"))
            modes = {"off": [False], "on": [True], "both": [False, True] if i % 2 else [True, False]}[args.pipelining]
            for pipelining in modes:
                runs.append(site(f"rerun{i}{'+pipe' if pipelining else ''}", play_layers, args.timeout, pipelining))
    except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001  # pylint: disable=broad-exception-caught
        failed = True
        log(f"stopped: {exc!r}")
    ok = report(hosts, runs, order)
    molecule_end = molecule_containers()
    print(f"machine: load average {' '.join(f'{x:.2f}' for x in load_start)} at start, "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at end; molecule-* containers running: "
          f"{len(molecule)} at start, {len(molecule_end)} at end; {time.monotonic() - start:.0f} s in all")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()))
    print(f"logs: {WORKDIR}")
    return 2 if failed else (0 if ok else 1)


if __name__ == "__main__":
    sys.exit(main())
