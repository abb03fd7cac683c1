#!/usr/bin/env python
"""Wait until PostgreSQL accepts the odoo role, as the official image's wait-for-psql.py does.

Called by entrypoint.sh with --db_host/--db_port/--db_user/--db_password and --timeout=30. It
connects to the `postgres` database (so pg_hba.conf must let the role in there), retries once a
second and exits 1 with the last error when the time is up. libpq's environment (PGSSLMODE,
PGTARGETSESSIONATTRS, PGCONNECT_TIMEOUT, ...) applies.
"""

import argparse
import sys
import time

import psycopg2


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db_host", required=True)
    parser.add_argument("--db_port", required=True)
    parser.add_argument("--db_user", required=True)
    parser.add_argument("--db_password", required=True)
    parser.add_argument("--timeout", type=int, default=5)
    args = parser.parse_args()

    start = time.time()
    error = ""
    while (time.time() - start) < args.timeout:
        try:
            conn = psycopg2.connect(user=args.db_user, host=args.db_host, port=args.db_port,
                                    password=args.db_password, dbname="postgres")
        except psycopg2.OperationalError as exc:
            error = exc
        else:
            conn.close()
            error = ""
            break
        time.sleep(1)

    if error:
        print(f"Database connection failure: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
