"""The `odoo` command: configuration, database auto-creation and initialisation, then serving.

As Odoo's `odoo server` (the default command):
- refuses db_user `postgres`;
- for each database in db_name (-d): creates it if missing (through the `postgres` database; a role
  without CREATEDB only gets an INFO line) and then initialises it with `base`;
- loads each such database, installing the -i modules; a failure there is CRITICAL and, with
  --stop-after-init, the exit status is 255 (Odoo's -1);
- without --stop-after-init, serves HTTP until SIGTERM.
"""

from __future__ import annotations

import logging
import os
import sys

import psycopg2
import psycopg2.errorcodes

from . import SERVER_NAME, addons, app, auth, config, cron, filestore, logs, pg, schema, server, sessions

_logger = logging.getLogger("standin")

SUBCOMMANDS_NOT_IMPLEMENTED = ("shell", "scaffold", "db", "cloc", "deploy", "neutralize", "obfuscate",
                               "populate", "start", "tsconfig", "upgrade_code", "module", "i18n")
USAGE = "Usage: odoo [server] [options]   (stand-in: the options of the official image's odoo command)"


def preload(cfg, pool: pg.Pool, created: set[str]) -> int:
    """Initialise / check each db_name database; -1 on the first failure (Odoo's preload_registries)."""
    data_dir = cfg.get("data_dir")
    unknown = [m for m in cfg.modules_to_init if not addons.find_module(m, cfg["addons_path"])]
    if unknown:
        # As odoo/modules/loading.py load_modules: names not in ir_module_module are skipped (exit status 0).
        _logger.warning("invalid module names, ignored: %s", ", ".join(unknown))
    wanted = [m for m in cfg.modules_to_init if m not in unknown]
    for db in cfg.db_names:
        logs.set_db(db)
        init = wanted + (["base"] if db in created else [])
        try:
            def work(cur, init=init, db=db):
                if init:
                    return schema.initialize(cur, init, cfg.demo_for)
                if not schema.is_initialized(cur):
                    _logger.error("Database %s not initialized, you can force it with `-i base`", db)
                    return None
                return []

            changes = pool.run(db, work)
            if changes is not None:
                os.makedirs(filestore.filestore_dir(data_dir, db), exist_ok=True)
                cron.mark_loaded(db)
                _logger.info("Modules loaded%s", f" ({', '.join(changes)})" if changes else " (nothing to change)")
        except Exception:  # pylint: disable=broad-exception-caught  # reported as Odoo reports it
            _logger.critical("Failed to initialize database `%s`.", db, exc_info=True)
            return -1
        finally:
            logs.set_db(None)
    return 0


def auto_create(cfg) -> set[str]:
    created = set()
    for db in cfg.db_names:
        try:
            if pg.create_empty_database(cfg, db):
                _logger.info("database %s created", db)
                created.add(db)
        except psycopg2.ProgrammingError as exc:
            if exc.pgcode != psycopg2.errorcodes.INSUFFICIENT_PRIVILEGE:
                raise
            _logger.info("Could not determine if database %s exists, skipping auto-creation: %s",
                         db, str(exc).strip())
    return created


def report_start(cfg) -> None:
    _logger.info("%s server (official odoo image contract, 16.0-19.0)", SERVER_NAME)
    _logger.info("Using configuration file at %s", cfg.rcfile)
    _logger.info("database: %s@%s:%s", cfg["db_user"] or "default", cfg["db_host"] or "default",
                 cfg["db_port"] or "default")
    for warning in cfg.warnings:
        _logger.warning("%s", warning)
    if os.name == "posix" and os.getuid() == 0:
        _logger.warning("Running as user 'root' is a security risk.")
    data_dir = cfg.get("data_dir")
    if not os.access(data_dir if os.path.isdir(data_dir) else os.path.dirname(data_dir.rstrip("/")), os.W_OK):
        _logger.warning("data_dir %s is not writable by uid %s: sessions and the filestore will fail",
                        data_dir, os.getuid())


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and not argv[0].startswith("-"):
        command = argv.pop(0)
        if command != "server":
            print(f"the stand-in does not implement the '{command}' command" if command in SUBCOMMANDS_NOT_IMPLEMENTED
                  else f"Unknown command {command!r}", file=sys.stderr)
            return 1
    try:
        cfg = config.Config.load(argv)
    except config.ConfigError as exc:
        print(f"{USAGE}\n\nodoo: error: {exc}", file=sys.stderr)
        return 2
    if cfg["help"]:
        print(USAGE)
        return 0
    if cfg["version"]:
        print(f"{SERVER_NAME} server (official odoo image contract, 16.0-19.0)")
        return 0
    if (cfg["db_user"] or os.environ.get("PGUSER")) == "postgres":
        sys.stderr.write("Using the database user 'postgres' is a security risk, aborting.")
        return 1
    logs.setup(cfg["log_level"], cfg["logfile"])
    report_start(cfg)

    try:
        created = auto_create(cfg)
    except psycopg2.Error:
        _logger.critical("Could not reach PostgreSQL through the `postgres` database", exc_info=True)
        return 1
    pool = pg.Pool(cfg)
    rc = preload(cfg, pool, created)
    if cfg["stop_after_init"]:
        pool.flush()
        return rc & 0xFF
    loaded, missing = addons.load_server_wide(cfg.server_wide_modules, cfg["addons_path"], _logger)
    store = sessions.make_store(cfg.get("data_dir"), loaded, os.environ, _logger)
    _logger.info("HTTP sessions stored in %s", store.describe())
    return server.serve(cfg, app.App(cfg, pool, store, auth.LoginThrottle(), missing_modules=missing))
