"""The tables the stand-in needs, named and shaped after Odoo's, created idempotently.

`-i base` leaves what a base install leaves that the roles and tests look at: ir_module_module with
base (and web, which base pulls in) installed, res_users with `admin`/`admin` (id 2; id 1 is the
inactive `__system__`), ir_config_parameter with database.uuid / database.secret, plus the
stand-in's own lab_record table, an ir_attachment table pointing into the filestore, and ir_cron with
one job due every minute (Odoo's installs have such jobs, e.g. the mail queue) so cron runs show in the log.
"""

from __future__ import annotations

import uuid

from . import passwords

# Taken for the whole initialisation, so two containers initialising one database take turns.
INIT_LOCK = 2207_1969

_NOW = "(now() at time zone 'UTC')"
TABLES = (
    f"""CREATE TABLE IF NOT EXISTS ir_module_module (
        id serial PRIMARY KEY, name varchar NOT NULL UNIQUE, state varchar NOT NULL,
        demo boolean NOT NULL DEFAULT false, latest_version varchar,
        create_date timestamp DEFAULT {_NOW}, write_date timestamp DEFAULT {_NOW})""",
    f"""CREATE TABLE IF NOT EXISTS res_users (
        id serial PRIMARY KEY, login varchar NOT NULL UNIQUE, password varchar,
        active boolean NOT NULL DEFAULT true, create_date timestamp DEFAULT {_NOW})""",
    f"""CREATE TABLE IF NOT EXISTS ir_config_parameter (
        id serial PRIMARY KEY, key varchar NOT NULL UNIQUE, value text NOT NULL,
        create_date timestamp DEFAULT {_NOW})""",
    f"""CREATE TABLE IF NOT EXISTS lab_record (
        id serial PRIMARY KEY, name varchar NOT NULL, create_uid integer,
        create_date timestamp DEFAULT {_NOW})""",
    f"""CREATE TABLE IF NOT EXISTS ir_attachment (
        id serial PRIMARY KEY, name varchar NOT NULL, store_fname varchar, checksum varchar(40),
        file_size integer, mimetype varchar, res_model varchar, res_id integer, create_uid integer,
        create_date timestamp DEFAULT {_NOW})""",
    f"""CREATE TABLE IF NOT EXISTS ir_cron (
        id serial PRIMARY KEY, name varchar NOT NULL UNIQUE, active boolean NOT NULL DEFAULT true,
        interval_minutes integer NOT NULL, nextcall timestamp NOT NULL DEFAULT {_NOW}, lastcall timestamp)""",
    "CREATE INDEX IF NOT EXISTS ir_attachment_checksum_index ON ir_attachment (checksum)",
    "CREATE INDEX IF NOT EXISTS ir_attachment_res_idx ON ir_attachment (res_model, res_id)",
)
BASE_MODULES = ("base", "web")


def is_initialized(cur) -> bool:
    cur.execute("SELECT to_regclass('ir_module_module') IS NOT NULL")
    if not cur.fetchone()[0]:
        return False
    cur.execute("SELECT 1 FROM ir_module_module WHERE name = 'base' AND state = 'installed'")
    return cur.fetchone() is not None


def installed_modules(cur) -> list[str]:
    cur.execute("SELECT name FROM ir_module_module WHERE state = 'installed' ORDER BY name")
    return [name for (name,) in cur.fetchall()]


def initialize(cur, modules: list[str], demo_for) -> list[str]:
    """Create what is missing and install `modules` (base first); the list of changes made."""
    cur.execute("SELECT pg_advisory_xact_lock(%s)", (INIT_LOCK,))
    changes = []
    cur.execute("SELECT to_regclass('ir_module_module') IS NOT NULL")
    if not cur.fetchone()[0]:
        changes.append("tables created")
    for statement in TABLES:
        cur.execute(statement)

    wanted = list(dict.fromkeys(list(BASE_MODULES) + list(modules)))
    for name in wanted:
        cur.execute(
            "INSERT INTO ir_module_module (name, state, demo) VALUES (%s, 'installed', %s)"
            " ON CONFLICT (name) DO UPDATE SET state = 'installed', write_date = now() at time zone 'UTC'"
            " WHERE ir_module_module.state <> 'installed' RETURNING id", (name, bool(demo_for(name))))
        if cur.fetchone():
            changes.append(f"module {name} installed")

    cur.execute("SELECT login FROM res_users WHERE id IN (1, 2) OR login IN ('__system__', 'admin')")
    present = {login for (login,) in cur.fetchall()}
    if "__system__" not in present:
        cur.execute("INSERT INTO res_users (id, login, password, active) VALUES (1, '__system__', NULL, false)")
        changes.append("user __system__ created")
    if "admin" not in present:
        cur.execute("INSERT INTO res_users (id, login, password, active) VALUES (2, 'admin', %s, true)",
                    (passwords.hash_password("admin"),))
        changes.append("user admin created")
    if changes:
        cur.execute("SELECT setval('res_users_id_seq', GREATEST((SELECT max(id) FROM res_users), 2))")

    for key, value in (("database.uuid", str(uuid.uuid1())), ("database.secret", str(uuid.uuid4())),
                       ("web.base.url", "http://localhost:8069")):
        cur.execute("INSERT INTO ir_config_parameter (key, value) VALUES (%s, %s)"
                    " ON CONFLICT (key) DO NOTHING RETURNING id", (key, value))
        if cur.fetchone():
            changes.append(f"parameter {key} set")
    cur.execute("INSERT INTO ir_cron (name, interval_minutes) VALUES ('Lab: heartbeat', 1) ON CONFLICT (name) DO NOTHING")
    cur.execute(f"INSERT INTO ir_config_parameter (key, value) VALUES ('database.create_date', {_NOW}::text)"
                " ON CONFLICT (key) DO NOTHING")
    return changes


def get_param(cur, key: str, default: str | None = None) -> str | None:
    cur.execute("SELECT value FROM ir_config_parameter WHERE key = %s", (key,))
    row = cur.fetchone()
    return row[0] if row else default
