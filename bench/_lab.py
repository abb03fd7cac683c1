"""Shared helpers for the PostgreSQL benchmarks (lab only: lab-pg1, lab-pg2 on 10.77.0.0/24).

Runs playbooks and the docker CLI from the controller, drives tests/lab/pg_writer.py, and puts the
cluster back to the inventory's layout (lab-pg1 primary, lab-pg2 streaming, asynchronous).
Every wait is bounded.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
INVENTORY = REPO / "inventories" / "lab" / "hosts.yml"
WRITER = REPO / "tests" / "lab" / "pg_writer.py"
SECRETS = Path(os.environ.get("ODOO_CLOUD_LAB_CACHE", "/var/cache/odoo-cloud-lab")) / "secrets"
HOSTS = {"lab-pg1": "10.77.0.41", "lab-pg2": "10.77.0.42"}
PRIMARY, REPLICA = "lab-pg1", "lab-pg2"
PG_BIN = "/usr/lib/postgresql/15/bin"
SERVICE = "postgresql@15-main"
BENCH_DB = "bench"
# The application role of the lab inventory; the writer connects as it, the way Odoo would.
DSN = f"host={HOSTS[PRIMARY]},{HOSTS[REPLICA]} user=odoo dbname={BENCH_DB} sslmode=require"

WORKDIR = Path(tempfile.mkdtemp(prefix="odoo-cloud-bench."))


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _env() -> dict[str, str]:
    venv_bin = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": f"{venv_bin}:{os.environ.get('PATH', '')}", "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")}


def playbook(name: str, *extra: str, timeout: float = 900) -> tuple[float, dict[str, int]]:
    """Run playbooks/NAME against the lab; return (seconds, changed count per host). Raises on failure."""
    out = WORKDIR / f"{name}.{time.time():.0f}.log"
    cmd = ["ansible-playbook", "-i", str(INVENTORY), str(REPO / "playbooks" / name), *extra]
    start = time.monotonic()
    with out.open("w") as fh:
        rc = subprocess.run(cmd, cwd=REPO, env=_env(), stdout=fh, stderr=subprocess.STDOUT, timeout=timeout, check=False).returncode
    seconds = time.monotonic() - start
    text = out.read_text()
    if rc != 0:
        tail = "\n".join(text.splitlines()[-30:])
        raise RuntimeError(f"{name} {' '.join(extra)} failed (rc {rc}, log {out}):\n{tail}")
    changed = {m[0]: int(m[1]) for m in re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", text, re.M)}
    log(f"{name} {' '.join(extra)}: {seconds:.1f} s, changed {changed}")
    return seconds, changed


def docker(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=check)


def psql(host: str, sql: str, db: str = "postgres", timeout: float = 30) -> str | None:
    """Run SQL as postgres over the host's unix socket; None when the server does not answer."""
    res = docker("exec", "-u", "postgres", host, "psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql,
                 timeout=timeout, check=False)
    return res.stdout.strip() if res.returncode == 0 else None


def running(host: str) -> bool:
    res = docker("inspect", "-f", "{{.State.Running}}", host, check=False)
    return res.stdout.strip() == "true"


def role(host: str) -> str:
    """primary, standby (streaming or not), or down."""
    if not running(host):
        return "down"
    answer = psql(host, "SELECT pg_is_in_recovery()", timeout=10)
    return {"f": "primary", "t": "standby"}.get(answer or "", "down")


def streams_from(standby: str, primary: str) -> bool:
    answer = psql(standby, "SELECT status || ' ' || sender_host FROM pg_stat_wal_receiver", timeout=10)
    return answer == f"streaming {HOSTS[primary]}"


def wait_until(what: str, test, timeout: float, every: float = 1.0) -> None:
    deadline = time.monotonic() + timeout
    while not test():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def wait_systemd(host: str, timeout: float = 120) -> None:
    def booted() -> bool:
        res = docker("exec", host, "systemctl", "is-system-running", check=False, timeout=15)
        return res.stdout.strip() in ("running", "degraded")
    wait_until(f"systemd in {host}", booted, timeout)


def start_host(host: str) -> None:
    if not running(host):
        docker("start", host)
    wait_systemd(host)


def sync_mode(host: str) -> bool:
    return bool(psql(host, "SHOW synchronous_standby_names", timeout=10))


def ensure_bench_db() -> None:
    """The benchmarks' own database on the primary, owned by the application role (dropped by drop_bench_db)."""
    if psql(PRIMARY, f"SELECT 1 FROM pg_database WHERE datname = '{BENCH_DB}'") != "1":
        if psql(PRIMARY, f"CREATE DATABASE {BENCH_DB} OWNER odoo") is None:
            raise RuntimeError(f"cannot create database {BENCH_DB} on {PRIMARY}")


def drop_bench_db() -> None:
    psql(PRIMARY, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def restore_cluster() -> None:
    """Back to lab-pg1 primary, lab-pg2 streaming from it, asynchronous; raises if that cannot be reached."""
    for host in HOSTS:
        start_host(host)
    roles = {host: role(host) for host in HOSTS}
    log(f"restore: roles {roles}")
    if roles[REPLICA] == "primary":
        # lab-pg1 is down, a stale primary after a restart, or a standby of lab-pg2.
        if roles[PRIMARY] != "standby" or not streams_from(PRIMARY, REPLICA):
            playbook("postgresql_rejoin.yml", "-e", f"rejoin_host={PRIMARY}")
        playbook("postgresql_switchover.yml", "-e", f"switchover_to={PRIMARY}")
    elif roles[PRIMARY] == "primary" and not streams_from(REPLICA, PRIMARY):
        playbook("postgresql_rejoin.yml", "-e", f"rejoin_host={REPLICA}")
    if any(sync_mode(host) for host in HOSTS):
        playbook("postgresql.yml")
    if not (role(PRIMARY) == "primary" and streams_from(REPLICA, PRIMARY) and not sync_mode(PRIMARY)):
        raise RuntimeError("the cluster is not back to lab-pg1 primary, lab-pg2 streaming, async: check it by hand")
    tidy()
    log("restore: lab-pg1 primary, lab-pg2 streaming, asynchronous")


def tidy() -> None:
    """Remove what switchovers back to lab-pg1 leave behind (the runbooks do not, yet), and say so:
    the slot lab_pg1 on lab-pg2, made while lab-pg2 was the primary, which pins WAL on the standby;
    primary_conninfo/primary_slot_name in lab-pg1's postgresql.auto.conf (ignored on a primary)."""
    held = psql(REPLICA, "SELECT slot_name || ' ' || pg_size_pretty(pg_wal_lsn_diff(pg_last_wal_replay_lsn(), restart_lsn))"
                " FROM pg_replication_slots WHERE NOT active AND slot_name = 'lab_pg1'")
    if held:
        log(f"tidy: dropping the stale slot on {REPLICA} (pins {held.split(' ', 1)[1]} of WAL): {held.split()[0]}")
        psql(REPLICA, "SELECT pg_drop_replication_slot('lab_pg1')")
    if psql(PRIMARY, "SHOW primary_conninfo"):
        log(f"tidy: resetting primary_conninfo and primary_slot_name left in {PRIMARY}'s postgresql.auto.conf")
        for statement in ("ALTER SYSTEM RESET primary_conninfo", "ALTER SYSTEM RESET primary_slot_name", "SELECT pg_reload_conf()"):
            psql(PRIMARY, statement)


class Writer:
    """tests/lab/pg_writer.py in the background, committing through the multi-host DSN."""

    def __init__(self, name: str, interval: float, limit: float, dsn: str = DSN) -> None:
        self.acked = WORKDIR / f"{name}.acked"
        self.dsn = dsn
        self.env = {**os.environ, "PGPASSWORD": (SECRETS / "postgresql_odoo").read_text().split()[0], "PGCONNECT_TIMEOUT": "2"}
        self.limit = limit
        self.proc = subprocess.Popen(
            [sys.executable, str(WRITER), "--dsn", dsn, "--acked", str(self.acked), "--seconds", str(limit),
             "--interval", str(interval), "--reset"],
            env=self.env, stdout=subprocess.PIPE, text=True)
        wait_until("the writer's first commits", lambda: self.count() >= 10, 30, 0.1)

    def count(self) -> int:
        if self.proc.poll() is not None and not self.acked.exists():
            raise RuntimeError("the writer exited before committing")
        try:
            return self.acked.read_text().count("\n")
        except FileNotFoundError:
            return 0

    def resumed(self, after: int, commits: int = 100, timeout: float = 120) -> None:
        """Wait until COMMITS more commits are acknowledged after the first AFTER."""
        wait_until("writes to resume", lambda: self.count() >= after + commits, timeout, 0.1)

    def stop(self) -> dict:
        """SIGTERM (the writer finishes its transaction and prints its figures), then its --check."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            out = self.proc.communicate(timeout=60)[0]
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            raise RuntimeError("the writer did not stop (a commit blocked for 60 s)") from None
        result = json.loads(out)
        check = subprocess.run([sys.executable, str(WRITER), "--dsn", self.dsn, "--acked", str(self.acked), "--check"],
                               env=self.env, capture_output=True, text=True, timeout=60, check=True)
        return {**result, **json.loads(check.stdout)}

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "p95": percentile(values, 95), "min": min(values), "max": max(values)}


def versions() -> dict[str, str]:
    core = subprocess.run(["ansible-playbook", "--version"], env=_env(), capture_output=True, text=True, check=False)
    galaxy = (REPO / "galaxy.yml").read_text()
    return {
        "collection": "odoo_cloud.platform " + " ".join(re.findall(r"^version:\s*(\S+)", galaxy, re.M)[:1]),
        "ansible-core": core.stdout.split("[core ")[-1].split("]")[0] if "[core " in core.stdout else "?",
        "python": sys.version.split()[0],
        "postgresql": psql(PRIMARY, "SHOW server_version") or "?",
        "docker": docker("version", "-f", "{{.Server.Version}}", check=False).stdout.strip(),
        "kernel": os.uname().release,
        "cpus": str(os.cpu_count()),
    }
