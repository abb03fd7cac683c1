"""Scheduled actions, run the way Odoo's cron workers run them (odoo/service/server.py, 16.0-19.0).

- Prefork mode (workers > 0), WorkerCron: max_cron_threads workers; each wakes every SLEEP_INTERVAL
  (60 s, plus an offset of its own) and processes ONE database per wake-up, round robin over
  `db_name`'s databases or, when db_name is empty, over every database the db_user owns
  (odoo.service.db.list_dbs(True)). This is why db_name decides which databases an instance's crons touch.
- Threaded mode, ThreadedServer.cron_thread: every database whose registry is loaded (db_name's, preloaded
  at start, and those HTTP requests have used).
- Each worker first connects to the `postgres` database (Odoo LISTENs on cron_trigger there): a role
  that may not connect to it gets no crons, as with Odoo.
- In a database, each active job whose nextcall is due runs and logs `Job 'name' (id) starting` and
  `... done`, with the database in the log line (the log format's %(dbname)s).
"""

from __future__ import annotations

import logging
import threading

from . import logs, pg

_logger = logging.getLogger("standin.cron")
SLEEP_INTERVAL = 60

_loaded: set[str] = set()
_loaded_lock = threading.Lock()


def mark_loaded(db: str) -> None:
    """A registry is ready for `db` (preloaded at start or built for a request)."""
    with _loaded_lock:
        _loaded.add(db)


def loaded() -> list[str]:
    with _loaded_lock:
        return sorted(_loaded)


def prefork_databases(cfg, owned) -> list[str]:
    """WorkerCron._db_list: db_name's names, else `owned()` (list_dbs(True): what the role owns)."""
    return cfg.db_names if cfg.db_names else owned()


def process_jobs(pool: pg.Pool, db: str) -> int:
    """ir_cron._process_jobs for one database; the number of jobs run."""
    logs.set_db(db)
    try:
        def work(cur):
            cur.execute("SELECT to_regclass('ir_cron') IS NOT NULL")
            if not cur.fetchone()[0]:
                return 0
            cur.execute("SELECT id, name, interval_minutes FROM ir_cron WHERE active AND"
                        " nextcall <= (now() at time zone 'UTC') ORDER BY id FOR UPDATE SKIP LOCKED")
            jobs = cur.fetchall()
            for job_id, name, interval in jobs:
                _logger.info("Job %r (%s) starting", name, job_id)
                cur.execute("UPDATE ir_cron SET lastcall = (now() at time zone 'UTC'), nextcall ="
                            " (now() at time zone 'UTC') + make_interval(mins => %s) WHERE id = %s", (interval, job_id))
                _logger.info("Job %r (%s) done", name, job_id)
            return len(jobs)

        return pool.run(db, work)
    except Exception:  # pylint: disable=broad-exception-caught  # Odoo logs it and goes on
        _logger.warning("Exception in cron:", exc_info=True)
        return 0
    finally:
        logs.set_db(None)


class CronWorker(threading.Thread):
    def __init__(self, number: int, cfg, pool: pg.Pool, stop: threading.Event):
        super().__init__(name=f"cron{number}", daemon=True)
        self.number, self.cfg, self.pool, self.stop = number, cfg, pool, stop
        self.db_index = 0

    def _owned(self) -> list[str]:
        return self.pool.run("postgres", pg.owned_databases)

    def run(self) -> None:
        while not self.stop.wait(SLEEP_INTERVAL + self.number):
            try:
                conn = pg.connect(self.cfg, "postgres", autocommit=True)  # Odoo's LISTEN cron_trigger
                conn.close()
            except Exception:  # pylint: disable=broad-exception-caught  # the worker dies; Odoo respawns it
                _logger.error("cron%s: cannot connect to the postgres database", self.number, exc_info=True)
                continue
            if self.cfg.prefork:
                try:
                    dbs = prefork_databases(self.cfg, self._owned)
                except Exception:  # pylint: disable=broad-exception-caught
                    _logger.warning("Exception in cron:", exc_info=True)
                    continue
                if dbs:
                    self.db_index = (self.db_index + 1) % len(dbs)
                    process_jobs(self.pool, dbs[self.db_index])
            else:
                for db in loaded():
                    process_jobs(self.pool, db)


def start(cfg, pool: pg.Pool, stop: threading.Event) -> list[CronWorker]:
    workers = [CronWorker(number, cfg, pool, stop) for number in range(int(cfg["max_cron_threads"] or 0))]
    for worker in workers:
        worker.start()
    return workers
