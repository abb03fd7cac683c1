"""A probe writer for PostgreSQL drills and benchmarks (lab only).

Inserts one row per transaction into a probe table through a libpq multi-host connection string with
target_session_attrs=read-write (the way the collection's clients find the primary), and records
every sequence number whose COMMIT returned, with the wall-clock time (epoch seconds) and the address
of the server that acknowledged it (one line each: "SEQ EPOCH ADDRESS"). After the run it prints one
JSON line: acknowledged commits, attempts, errors, and the longest gap between two acknowledged commits
(the write unavailability a client saw), with the wall-clock times of the two commits around it.
`--check` compares the acknowledged log with the rows present on the current primary:
lost = acknowledged - present; with --since EPOCH and --server ADDRESS it also counts the commits that
ADDRESS acknowledged at or after EPOCH ("acked_since"): proof that writes resumed on a new primary.

Bounded: it stops after --seconds, when --stop-file exists, or on SIGTERM (after the transaction in
flight, still printing the figures), and only talks to the hosts given (lab addresses).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time

import psycopg2

DDL = """
CREATE TABLE IF NOT EXISTS probe (
    id bigserial PRIMARY KEY,
    client_seq bigint UNIQUE NOT NULL,
    t timestamptz NOT NULL DEFAULT clock_timestamp()
)
"""


def connect(dsn: str, timeout: float) -> psycopg2.extensions.connection:
    conn = psycopg2.connect(dsn, connect_timeout=max(1, int(timeout)), target_session_attrs="read-write")
    conn.autocommit = True
    return conn


def run(dsn: str, seconds: float, acked_path: str, interval: float, stop_file: str | None = None) -> dict:
    stop: list[bool] = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.append(True))
    acked: list[tuple[int, float, float]] = []
    attempts = errors = 0
    deadline = time.monotonic() + seconds
    conn = None
    seq = 0
    with open(acked_path, "w", encoding="ascii") as log:
        while time.monotonic() < deadline and not stop and not (stop_file and os.path.exists(stop_file)):
            try:
                if conn is None:
                    conn = connect(dsn, 2)
                    with conn.cursor() as cur:
                        cur.execute(DDL)
                seq += 1
                attempts += 1
                with conn.cursor() as cur:
                    cur.execute("INSERT INTO probe (client_seq) VALUES (%s) RETURNING host(inet_server_addr())", (seq,))
                    server = cur.fetchone()[0]
                acked.append((seq, time.monotonic(), time.time()))
                log.write(f"{seq} {acked[-1][2]:.3f} {server}\n")
                log.flush()
                if interval:
                    time.sleep(interval)
            except psycopg2.Error:
                errors += 1
                if conn is not None:
                    try:
                        conn.close()
                    except psycopg2.Error:
                        pass
                conn = None
                time.sleep(0.1)
    if conn is not None:
        conn.close()
    gaps = [(b[1] - a[1], a[2], b[2]) for a, b in zip(acked, acked[1:])]
    widest = max(gaps) if gaps else None
    return {
        "acked": len(acked),
        "attempts": attempts,
        "errors": errors,
        "max_gap_s": round(widest[0], 3) if widest else None,
        "max_gap_start": round(widest[1], 3) if widest else None,
        "max_gap_end": round(widest[2], 3) if widest else None,
    }


def read_acked(acked_path: str) -> list[tuple[int, float, str]]:
    entries = []
    with open(acked_path, encoding="ascii") as log:
        for line in log:
            fields = line.split()
            if len(fields) == 3:
                entries.append((int(fields[0]), float(fields[1]), fields[2]))
    return entries


def check(dsn: str, acked_path: str, since: float | None = None, server: str | None = None) -> dict:
    entries = read_acked(acked_path)
    acked = {seq for seq, _t, _server in entries}
    conn = connect(dsn, 5)
    with conn.cursor() as cur:
        cur.execute("SELECT client_seq FROM probe")
        present = {row[0] for row in cur.fetchall()}
    conn.close()
    result = {"acked": len(acked), "present": len(present), "lost": len(acked - present)}
    if since is not None or server is not None:
        result["acked_since"] = sum(
            1 for _seq, t, addr in entries if (since is None or t >= since) and (server is None or addr == server)
        )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", required=True, help="libpq connection string (multi-host); password from PGPASSWORD")
    parser.add_argument("--acked", required=True, help="file that receives acknowledged sequence numbers")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--interval", type=float, default=0.01, help="pause between commits")
    parser.add_argument("--stop-file", help="stop once this file exists")
    parser.add_argument("--check", action="store_true", help="compare the acknowledged log with the table")
    parser.add_argument("--since", type=float, help="with --check: count commits acknowledged at or after this epoch")
    parser.add_argument("--server", help="with --check: count only commits this server address acknowledged")
    parser.add_argument("--reset", action="store_true", help="empty the probe table first")
    args = parser.parse_args()
    if args.reset:
        conn = connect(args.dsn, 5)
        with conn.cursor() as cur:
            cur.execute(DDL)
            cur.execute("TRUNCATE probe")
        conn.close()
    if args.check:
        result = check(args.dsn, args.acked, args.since, args.server)
    else:
        result = run(args.dsn, args.seconds, args.acked, args.interval, args.stop_file)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
