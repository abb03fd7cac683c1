"""pgbench on lab-pg1: the role's computed settings against PostgreSQL's built-in defaults.

pgbench runs inside lab-pg1 as postgres over the unix socket (the controller is not in the path),
on a scratch database re-initialised before each configuration's runs. Rounds alternate the order of
the two configurations. "defaults" sets every
key of the role's "# Tuning" section to PostgreSQL's built-in value (boot_val, which is also what
Debian's stock postgresql.conf gives) with ALTER SYSTEM and restarts; max_connections and
max_worker_processes keep the role's value, because a hot standby stops replaying when the primary's
are higher. Afterwards the keys are RESET (postgresql.auto.conf is back to what it was), PostgreSQL
restarts, every tuned key is checked to come from postgresql.conf again and, unless
--no-converge-check, playbooks/postgresql.yml must report changed=0.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys

import _lab
from _lab import BENCH_DB, PG_BIN, PRIMARY, REPLICA, SERVICE, log

CONF = "/etc/postgresql/15/main/postgresql.conf"
AUTO_CONF = "/var/lib/postgresql/15/main/postgresql.auto.conf"
KEEP = {"max_connections", "max_worker_processes"}
GROUP_VARS = _lab.REPO / "inventories" / "lab" / "group_vars" / "postgresql" / "main.yml"


def tuned_keys() -> list[str]:
    text = _lab.docker("exec", PRIMARY, "cat", CONF).stdout
    section = text.split("\n# Tuning\n", 1)[1]
    return re.findall(r"^(\w+) = ", section, re.M)


def auto_conf() -> list[str]:
    text = _lab.docker("exec", PRIMARY, "cat", AUTO_CONF).stdout
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def restart() -> None:
    _lab.docker("exec", PRIMARY, "systemctl", "restart", SERVICE, timeout=120)
    _lab.wait_until("lab-pg1 to accept connections", lambda: _lab.role(PRIMARY) == "primary", 60)
    _lab.wait_until("lab-pg2 to stream again", lambda: _lab.streams_from(REPLICA, PRIMARY), 60)


def sql_ok(statement: str) -> None:
    if _lab.psql(PRIMARY, statement) is None:
        raise RuntimeError(f"failed on {PRIMARY}: {statement}")


def apply(config: str, keys: list[str], boot: dict[str, str]) -> dict[str, str]:
    """Set CONFIG (tuned or defaults), restart; return the keys' effective values."""
    for key in keys:
        if config == "tuned" or key in KEEP:
            sql_ok(f"ALTER SYSTEM RESET {key}")
        else:
            sql_ok(f"ALTER SYSTEM SET {key} = '{boot[key]}'")
    restart()
    rows = _lab.psql(PRIMARY, "SELECT name || '=' || current_setting(name) FROM pg_settings "
                     f"WHERE name IN ({', '.join(repr(k) for k in keys)}) ORDER BY name") or ""
    return dict(line.split("=", 1) for line in rows.splitlines())


def pgbench(*args: str, timeout: float) -> str:
    res = _lab.docker("exec", "-u", "postgres", PRIMARY, f"{PG_BIN}/pgbench", *args, BENCH_DB, timeout=timeout, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"pgbench {' '.join(args)} failed: {res.stderr.strip()[-500:]}")
    return res.stdout


def tps(output: str) -> float:
    return float(re.search(r"^tps = ([\d.]+)", output, re.M)[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="Run `bash scripts/demo.sh` first. Lab only: lab-pg1 (lab-pg2 keeps streaming).")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each runs both configurations (default 3)")
    parser.add_argument("--seconds", type=int, default=30, help="length of each pgbench run (default 30)")
    parser.add_argument("--scale", type=int, default=20, help="pgbench -i scale (default 20, about 300 MB)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=5, help="select-only seconds after each restart, not counted")
    parser.add_argument("--no-converge-check", action="store_true", help="skip running playbooks/postgresql.yml at the end")
    args = parser.parse_args()

    _lab.restore_cluster()
    versions = _lab.versions()
    keys = tuned_keys()
    before = auto_conf()
    if any(line.split("=")[0].strip() in keys for line in before):
        raise SystemExit(f"{AUTO_CONF} on {PRIMARY} already overrides a tuned key: {before}")
    boot = dict(line.split("|", 1) for line in (_lab.psql(
        PRIMARY, f"SELECT name, boot_val FROM pg_settings WHERE name IN ({', '.join(repr(k) for k in keys)})") or "").splitlines())
    share = float(re.search(r"^postgresql_ram_share:\s*(\S+)", GROUP_VARS.read_text(), re.M)[1])
    ram_mb = int(_lab.docker("exec", PRIMARY, "awk", "/MemTotal/ {print $2}", "/proc/meminfo").stdout) // 1024
    results: dict[tuple[str, str], list[float]] = {}
    values: dict[str, dict[str, str]] = {}
    run = ["-c", str(args.clients), "-j", str(args.threads), "-T", str(args.seconds)]
    failed = False
    _lab.ensure_bench_db()
    try:
        for i in range(args.rounds):
            for config in (("tuned", "defaults") if i % 2 == 0 else ("defaults", "tuned")):
                values[config] = apply(config, keys, boot)
                # Fresh tables and no checkpoint debt for every run: without it, later runs are slower
                # whatever the configuration (bloat, WAL to recycle).
                pgbench("-i", "-q", "-s", str(args.scale), timeout=900)
                sql_ok("CHECKPOINT")
                pgbench("-S", "-c", str(args.clients), "-j", str(args.threads), "-T", str(args.warmup), timeout=120)
                for mode, extra in (("read-write (TPC-B like)", []), ("select-only", ["-S"])):
                    value = tps(pgbench(*run, *extra, timeout=args.seconds + 300))
                    results.setdefault((config, mode), []).append(value)
                    log(f"round {i + 1} {config} {mode}: {value:.0f} tps")
    except (Exception, KeyboardInterrupt) as exc:  # pylint: disable=broad-exception-caught
        failed = True
        log(f"stopped: {exc!r}")
    finally:
        apply("tuned", keys, boot)
        _lab.drop_bench_db()
    after = auto_conf()
    sources = _lab.psql(PRIMARY, "SELECT count(*) FROM pg_settings WHERE sourcefile = '" + CONF + "' AND name IN ("
                        + ", ".join(repr(k) for k in keys) + ")")
    restored = after == before and sources == str(len(keys))
    converge = "skipped"
    if not args.no_converge_check:
        changed = _lab.playbook("postgresql.yml")[1]
        converge = ", ".join(f"{host} changed={n}" for host, n in changed.items())
        restored &= changed.get(PRIMARY) == 0 and changed.get(REPLICA) == 0

    print(f"\npgbench on {PRIMARY}: scale {args.scale}, -c {args.clients} -j {args.threads} -T {args.seconds}, "
          f"{args.rounds} rounds, order alternated")
    print(f"The lab gives PostgreSQL {share:.0%} of the machine's RAM (postgresql_ram_share {share:g} in "
          f"{GROUP_VARS.relative_to(_lab.REPO)}): the role tuned for {ram_mb * share:.0f} MB of {ram_mb} MB.")
    print(f"{'setting':<40} {'tuned':>10} {'defaults':>10}")
    for key in keys:
        print(f"{key:<40} {values.get('tuned', {}).get(key, '?'):>10} {values.get('defaults', {}).get(key, '?'):>10}")
    print(f"\n{'workload':<26} {'config':<9} {'median tps':>10}  runs")
    for mode in ("read-write (TPC-B like)", "select-only"):
        medians = {}
        for config in ("tuned", "defaults"):
            runs = results.get((config, mode), [])
            if runs:
                medians[config] = statistics.median(runs)
                print(f"{mode:<26} {config:<9} {medians[config]:>10.0f}  {' '.join(f'{v:.0f}' for v in runs)}")
        if len(medians) == 2:
            print(f"{mode:<26} {'ratio':<9} {medians['tuned'] / medians['defaults']:>10.2f}  (tuned / defaults)")
    print(f"\nrole settings restored: {'yes' if restored else 'NO'} (postgresql.auto.conf as before: {after == before}; "
          f"tuned keys from postgresql.conf: {sources}/{len(keys)}; converge: {converge})")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    return 2 if failed else (0 if restored else 1)


if __name__ == "__main__":
    sys.exit(main())
