"""Replication lag of lab-pg2 while pgbench writes on lab-pg1, sampled every 100 ms.

pgbench (read-write, TPC-B like) runs inside lab-pg1 as postgres on a scratch database. Meanwhile one
psql session on lab-pg1 reads pg_stat_replication for lab_pg2 at each tick:
  bytes not replayed   pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn): WAL written on the primary
                       that the replica has not applied yet (what a failover at that instant would lose
                       in asynchronous mode, at most);
  bytes sent, not replayed  pg_wal_lsn_diff(sent_lsn, replay_lsn);
  replay_lag (s)       PostgreSQL's own measure (NULL once the replica has caught up: counted as 0).
Prints p50, p99 and max of each, pgbench's tps and the WAL rate.
"""

from __future__ import annotations

import argparse
import re
import select
import subprocess
import sys
import time

import _lab
from _lab import BENCH_DB, PG_BIN, PRIMARY, log

QUERY = (
    "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint,"
    " pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn)::bigint,"
    " pg_wal_lsn_diff(r.sent_lsn, r.replay_lsn)::bigint,"
    " COALESCE(extract(epoch FROM r.replay_lag), 0)"
    " FROM (SELECT 1) one LEFT JOIN pg_stat_replication r ON r.application_name = 'lab_pg2';\n"
)

CAUGHT_UP = "SELECT replay_lsn = pg_current_wal_lsn() FROM pg_stat_replication WHERE application_name = 'lab_pg2'"


def sample(until: float, every: float) -> list[tuple[float, ...]]:
    """One psql session on the primary, one row per tick until the monotonic time UNTIL."""
    psql = subprocess.Popen(["docker", "exec", "-i", "-u", "postgres", PRIMARY, "psql", "-XAtq", "-F", "|"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    rows: list[tuple[float, ...]] = []
    try:
        tick = time.monotonic()
        while tick < until:
            psql.stdin.write(QUERY)
            psql.stdin.flush()
            if not select.select([psql.stdout], [], [], 5)[0]:
                raise TimeoutError("psql on lab-pg1 did not answer within 5 s")
            fields = psql.stdout.readline().strip().split("|")
            if "" in fields[:3]:
                raise RuntimeError("lab_pg2 is not in pg_stat_replication on lab-pg1")
            rows.append(tuple(float(f) for f in fields))
            tick += every
            time.sleep(max(0.0, tick - time.monotonic()))
    finally:
        psql.stdin.close()
        try:
            psql.wait(timeout=10)
        except subprocess.TimeoutExpired:
            psql.kill()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="Run `bash scripts/demo.sh` first. Lab only: lab-pg1, lab-pg2.")
    parser.add_argument("--seconds", type=int, default=30, help="pgbench -T (default 30)")
    parser.add_argument("--scale", type=int, default=20, help="pgbench -i scale (default 20)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--every", type=float, default=0.1, help="sampling interval in seconds (default 0.1)")
    args = parser.parse_args()

    _lab.restore_cluster()
    versions = _lab.versions()
    _lab.ensure_bench_db()
    bench = None
    try:
        log(f"pgbench -i -s {args.scale}")
        init = _lab.docker("exec", "-u", "postgres", PRIMARY, f"{PG_BIN}/pgbench", "-i", "-q", "-s", str(args.scale),
                           BENCH_DB, timeout=900, check=False)
        if init.returncode != 0:
            raise RuntimeError(f"pgbench -i failed: {init.stderr[-500:]}")
        _lab.wait_until("lab-pg2 to replay the initial load", lambda: _lab.psql(PRIMARY, CAUGHT_UP) == "t", 120)
        log(f"pgbench -c {args.clients} -j {args.threads} -T {args.seconds} while sampling")
        bench = subprocess.Popen(["docker", "exec", "-u", "postgres", PRIMARY, f"{PG_BIN}/pgbench", "-c", str(args.clients),
                                  "-j", str(args.threads), "-T", str(args.seconds), BENCH_DB],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        start = time.monotonic()
        rows = sample(start + args.seconds, args.every)
        out, err = bench.communicate(timeout=120)
        if bench.returncode != 0:
            raise RuntimeError(f"pgbench failed: {err[-500:]}")
    finally:
        if bench is not None and bench.poll() is None:
            bench.kill()
        _lab.drop_bench_db()

    tps = float(re.search(r"^tps = ([\d.]+)", out, re.M)[1])
    wal_rate = (rows[-1][0] - rows[0][0]) / args.seconds
    print(f"\nReplication lag of lab-pg2 during pgbench on lab-pg1 (-c {args.clients} -j {args.threads} -T {args.seconds}, "
          f"scale {args.scale}), {len(rows)} samples every {args.every * 1000:.0f} ms, asynchronous mode")
    print(f"pgbench: {tps:.0f} tps; WAL written: {wal_rate / 1e6:.2f} MB/s")
    print(f"{'measure':<28} {'p50':>10} {'p99':>10} {'max':>10}")
    for name, column, scale, fmt in (("bytes not replayed", 1, 1, ".0f"), ("bytes sent, not replayed", 2, 1, ".0f"),
                                     ("replay_lag (ms)", 3, 1000, ".1f")):
        values = [row[column] * scale for row in rows]
        cells = [format(_lab.percentile(values, p), fmt) for p in (50, 99, 100)]
        print(f"{name:<28} {cells[0]:>10} {cells[1]:>10} {cells[2]:>10}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
