"""PostgreSQL access the way Odoo connects: libpq keywords from the db_* options, a pool per process.

db_host goes to libpq as `host` untouched, so a comma-separated list is a multi-host connection and
libpq environment variables (PGTARGETSESSIONATTRS=read-write, PGCONNECT_TIMEOUT, ...) keep working;
db_sslmode is always passed (default `prefer`), as Odoo does. Listing and creating databases goes
through the `postgres` database, as Odoo does: the role must be allowed to connect to it.
A transaction that fails on a broken connection (a switchover, a restart) is retried once on a
fresh connection before the error reaches the client.
"""

from __future__ import annotations

import logging
import os
import threading
import time

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

_logger = logging.getLogger("standin.db")
_stats = threading.local()

# Not an answer from the server about the query but about the connection: worth one more try.
RETRY_PGCODES = {"25006", "57P01", "57P02", "57P03", "08000", "08003", "08006"}


class PoolFullError(Exception):
    pass


class _CountingCursor(psycopg2.extensions.cursor):
    """Counts queries and their time per thread, for the request log line."""

    def execute(self, query, vars=None):  # pylint: disable=redefined-builtin
        start = time.monotonic()
        try:
            return super().execute(query, vars)
        finally:
            _stats.count = getattr(_stats, "count", 0) + 1
            _stats.time = getattr(_stats, "time", 0.0) + time.monotonic() - start


def reset_stats() -> None:
    _stats.count, _stats.time = 0, 0.0


def stats() -> tuple[int, float]:
    return getattr(_stats, "count", 0), getattr(_stats, "time", 0.0)


def connection_kwargs(cfg, dbname: str, environ: dict | None = None) -> dict:
    """libpq keywords for `dbname`, as Odoo's sql_db.connection_info_for builds them."""
    environ = os.environ if environ is None else environ
    app_name = environ.get("ODOO_PGAPPNAME", "odoo-{pid}").replace("{pid}", str(os.getpid()))[:63]
    kwargs = {"dbname": dbname, "application_name": app_name}
    for key in ("host", "port", "user", "password", "sslmode"):
        value = cfg["db_" + key]
        if value:
            kwargs[key] = str(value)
    return kwargs


def connect(cfg, dbname: str, autocommit: bool = False):
    conn = psycopg2.connect(cursor_factory=_CountingCursor, **connection_kwargs(cfg, dbname))
    conn.autocommit = autocommit
    return conn


def is_connection_error(exc: BaseException) -> bool:
    if isinstance(exc, (psycopg2.OperationalError, psycopg2.InterfaceError)):
        return True
    return getattr(exc, "pgcode", None) in RETRY_PGCODES


class Pool:
    """At most db_maxconn connections in this process, idle ones kept per database."""

    def __init__(self, cfg):
        self.cfg = cfg
        self._idle: dict[str, list] = {}
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max(int(cfg.get("db_maxconn", 64)), 1))

    def borrow(self, dbname: str):
        if not self._slots.acquire(timeout=10):
            raise PoolFullError("The Connection Pool Is Full")
        with self._lock:
            idle = self._idle.get(dbname) or []
            conn = idle.pop() if idle else None
        if conn is not None and not conn.closed:
            return conn
        try:
            return connect(self.cfg, dbname)
        except BaseException:
            self._slots.release()
            raise

    def give_back(self, dbname: str, conn, broken: bool = False) -> None:
        try:
            if broken or conn.closed:
                conn.close()
                self.flush(dbname)  # its idle siblings most likely point at the same dead server
            else:
                with self._lock:
                    self._idle.setdefault(dbname, []).append(conn)
        finally:
            self._slots.release()

    def flush(self, dbname: str | None = None) -> None:
        with self._lock:
            names = [dbname] if dbname else list(self._idle)
            stale = [conn for name in names for conn in self._idle.pop(name, [])]
        for conn in stale:
            try:
                conn.close()
            except psycopg2.Error:
                pass

    def run(self, dbname: str, work):
        """Run `work(cursor)` in one transaction; once more on a fresh connection if it broke."""
        for attempt in (1, 2):
            conn = None
            try:
                conn = self.borrow(dbname)
                with conn.cursor() as cur:
                    result = work(cur)
                conn.commit()
            except Exception as exc:
                broken = is_connection_error(exc)
                if conn is not None:
                    try:
                        conn.rollback()
                    except psycopg2.Error:
                        broken = True
                    self.give_back(dbname, conn, broken=broken)
                if attempt == 1 and broken:
                    _logger.warning("database connection lost (%s), retrying on a fresh connection",
                                    str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
                    continue
                raise
            self.give_back(dbname, conn)
            return result
        raise AssertionError("unreachable")


def owned_databases(cur, template: str = "template0") -> list[str]:
    """Odoo's list_dbs, run in the `postgres` database: databases the db_user owns, not templates,
    neither `postgres` nor db_template."""
    cur.execute(
        "SELECT datname FROM pg_database WHERE datdba = (SELECT usesysid FROM pg_user WHERE"
        " usename = current_user) AND NOT datistemplate AND datallowconn AND datname NOT IN %s"
        " ORDER BY datname", (tuple({"postgres", template}),))
    return [name for (name,) in cur.fetchall()]


def create_empty_database(cfg, dbname: str) -> bool:
    """Odoo's auto-creation: True if created, False if it existed; errors from PostgreSQL propagate."""
    template = cfg.get("db_template", "template0")
    conn = connect(cfg, "postgres", autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT datname FROM pg_database WHERE datname = %s", (dbname,))
            if cur.fetchall():
                return False
            collate = sql.SQL("LC_COLLATE 'C'" if template == "template0" else "")
            cur.execute(sql.SQL("CREATE DATABASE {} ENCODING 'unicode' {} TEMPLATE {}").format(
                sql.Identifier(dbname), collate, sql.Identifier(template)))
            return True
    finally:
        conn.close()
