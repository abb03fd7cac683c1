"""PostgreSQL HA benchmark on the lab: switchover, asynchronous and synchronous failover, repeated.

With tests/lab/pg_writer.py committing through host=10.77.0.41,10.77.0.42 target_session_attrs=read-write:
  switchover   lab-pg1 -> lab-pg2 -> lab-pg1 (playbooks/postgresql_switchover.yml): the writer's longest
               gap between two acknowledged commits, and acknowledged commits lost (must be 0);
  async        docker kill lab-pg1, then playbooks/postgresql_failover.yml: seconds from the playbook's
               start to the first commit acknowledged by the new primary, and commits lost; then
               lab-pg1 is restarted, rejoined (postgresql_rejoin.yml) and switched back;
  sync         the same after converging with postgresql_synchronous_mode=true (lost must be 0);
               asynchronous mode is restored at the end.
The cluster is put back to lab-pg1 primary, lab-pg2 streaming, asynchronous, whatever happens.
"""

from __future__ import annotations

import argparse
import sys
import time

import _lab
from _lab import PRIMARY, REPLICA, log, playbook

# metric -> target (operator, bound) or None; in the order printed.
METRICS: dict[str, tuple[str, float] | None] = {
    "switchover write unavailability (s)": ("<=", 5.0),
    "switchover lost commits": ("==", 0),
    "switchover runbook duration (s)": None,
    "async failover: runbook start -> first commit (s)": ("<=", 10.0),
    "async failover write unavailability (s)": None,
    "async failover runbook duration (s)": None,
    "async failover lost commits": None,
    "sync failover: runbook start -> first commit (s)": None,
    "sync failover write unavailability (s)": None,
    "sync failover runbook duration (s)": None,
    "sync failover lost commits": ("==", 0),
}


def switchover(samples: dict[str, list[float]], target: str, args: argparse.Namespace, name: str) -> None:
    writer = _lab.Writer(name, args.interval, args.writer_limit, args.dsn)
    try:
        seconds = playbook("postgresql_switchover.yml", "-e", f"switchover_to={target}")[0]
        writer.resumed(writer.count())
        result = writer.stop()
    finally:
        writer.kill()
    log(f"{name}: {result}")
    samples["switchover write unavailability (s)"].append(result["max_gap_s"])
    samples["switchover lost commits"].append(result["lost"])
    samples["switchover runbook duration (s)"].append(seconds)


def failover(samples: dict[str, list[float]], mode: str, args: argparse.Namespace, name: str) -> None:
    writer = _lab.Writer(name, args.interval, args.writer_limit, args.dsn)
    try:
        time.sleep(2)
        _lab.docker("kill", PRIMARY)
        start = time.time()
        # The primary was killed on purpose: the runbook needs the operator's confirmation for it.
        seconds = playbook("postgresql_failover.yml", "-e", f"failover_confirm_down={PRIMARY}")[0]
        if mode == "sync":
            # Two members: the new primary has no synchronous standby until the old one is back, so
            # its commits wait for the restart and the rejoin (the writer keeps running meanwhile).
            _lab.start_host(PRIMARY)
            playbook("postgresql_rejoin.yml", "-e", f"rejoin_host={PRIMARY}")
        writer.resumed(writer.count())
        result = writer.stop()
    finally:
        writer.kill()
    log(f"{name}: {result}")
    if not result["max_gap_start"] < start < result["max_gap_end"]:
        raise RuntimeError(f"{name}: the writer's longest gap is not the failover: {result}")
    samples[f"{mode} failover: runbook start -> first commit (s)"].append(result["max_gap_end"] - start)
    samples[f"{mode} failover write unavailability (s)"].append(result["max_gap_s"])
    samples[f"{mode} failover runbook duration (s)"].append(seconds)
    samples[f"{mode} failover lost commits"].append(result["lost"])
    if mode == "async":
        _lab.start_host(PRIMARY)
        playbook("postgresql_rejoin.yml", "-e", f"rejoin_host={PRIMARY}")
    playbook("postgresql_switchover.yml", "-e", f"switchover_to={PRIMARY}")


def report(samples: dict[str, list[float]], versions: dict[str, str], args: argparse.Namespace) -> bool:
    ok = True
    print(f"\nPostgreSQL HA on the lab ({args.rounds} rounds, writer interval {args.interval} s, "
          f"client options: {args.client_options or 'none'})")
    print(f"{'metric':<52} {'n':>2} {'median':>7} {'p95':>7} {'min':>7} {'max':>7}  {'target':<8} result")
    for metric, values in samples.items():
        if not values:
            continue
        s = _lab.summary(values)
        if METRICS[metric] is None:
            verdict, target = "-", "-"
        else:
            op, bound = METRICS[metric]
            worst = s["p95"] if op == "<=" else s["max"]
            passed = worst <= bound if op == "<=" else worst == bound
            ok &= passed
            verdict, target = ("pass" if passed else "FAIL"), f"{op} {bound:g}"
        print(f"{metric:<52} {len(values):>2} {s['median']:>7.2f} {s['p95']:>7.2f} {s['min']:>7.2f} {s['max']:>7.2f}"
              f"  {target:<8} {verdict}")
    print("pass/fail: p95 against '<=' targets, max against '== 0'. Samples in run order:")
    for metric, values in samples.items():
        if values:
            print(f"  {metric}: {' '.join(f'{v:.2f}' for v in values)}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="Run `bash scripts/demo.sh` first. Lab only: lab-pg1, lab-pg2.")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each drill (default 5)")
    parser.add_argument("--interval", type=float, default=0.005, help="writer's pause between commits (s)")
    parser.add_argument("--drills", default="switchover,async,sync", help="comma-separated subset of switchover,async,sync")
    parser.add_argument("--client-options", default="",
                        help="extra libpq options for the writer, e.g. 'tcp_user_timeout=2000'")
    parser.add_argument("--writer-limit", type=float, default=600, help="hard limit of one writer run (s)")
    args = parser.parse_args()
    args.dsn = f"{_lab.DSN} {args.client_options}".strip()
    drills = args.drills.split(",")
    samples: dict[str, list[float]] = {metric: [] for metric in METRICS}
    failed = False
    _lab.restore_cluster()
    versions = _lab.versions()
    _lab.ensure_bench_db()
    try:
        for i in range(1, args.rounds + 1):
            if "switchover" in drills:
                switchover(samples, REPLICA, args, f"switchover{i}a")
                switchover(samples, PRIMARY, args, f"switchover{i}b")
            if "async" in drills:
                failover(samples, "async", args, f"async{i}")
        if "sync" in drills:
            playbook("postgresql.yml", "-e", "postgresql_synchronous_mode=true")
            for i in range(1, args.rounds + 1):
                failover(samples, "sync", args, f"sync{i}")
    except (Exception, KeyboardInterrupt) as exc:  # pylint: disable=broad-exception-caught
        failed = True
        log(f"stopped: {exc!r}")
    finally:
        _lab.restore_cluster()
        _lab.drop_bench_db()
    ok = report(samples, versions, args)
    print(f"logs: {_lab.WORKDIR}")
    return 2 if failed else (0 if ok else 1)


if __name__ == "__main__":
    sys.exit(main())
