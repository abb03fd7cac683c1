"""Which databases a request may use: Odoo's dbfilter / db_name rules, applied to the request host.

- `dbfilter` set: a regular expression matched (re.match, so anchored at the start only) against each
  database name, after replacing `%h` by the request host (port and a leading `www.` removed) and
  `%d` by its first label.
- else `db_name` set: only those databases (comma-separated), whether or not they exist.
- else every database the role owns.
A request uses the database of its session when the filter still accepts it, else the only database
left for its host ("monodb"); with none or several it has no database.
"""

from __future__ import annotations

import re


def host_parts(host: str) -> tuple[str, str]:
    """(host, first label) as Odoo's dbfilter sees them: no port, no leading `www.`."""
    host = (host or "").partition(":")[0]
    if host.startswith("www."):
        host = host[4:]
    return host, host.partition(".")[0]


def db_filter(dbs: list[str], host: str, dbfilter: str, db_name: str | None) -> list[str]:
    if dbfilter:
        full, domain = host_parts(host)
        pattern = re.compile(dbfilter.replace("%h", re.escape(full)).replace("%d", re.escape(domain)))
        return [db for db in dbs if pattern.match(db)]
    if db_name:
        exposed = {db.strip() for db in db_name.split(",") if db.strip()}
        return sorted(exposed.intersection(dbs))
    return list(dbs)


def listed_databases(owned: list[str], dbfilter: str, db_name: str | None) -> list[str]:
    """Odoo's list_dbs: db_name alone (no filter) lists those names without asking PostgreSQL."""
    if not dbfilter and db_name:
        return sorted(db.strip() for db in db_name.split(",") if db.strip())
    return list(owned)


def choose_database(session_db: str | None, host: str, candidates: list[str],
                    dbfilter: str, db_name: str | None) -> str | None:
    """The database for a request: the session's if still allowed, else the only one allowed."""
    if session_db and db_filter([session_db], host, dbfilter, db_name):
        return session_db
    allowed = db_filter(candidates, host, dbfilter, db_name)
    return allowed[0] if len(allowed) == 1 else None
