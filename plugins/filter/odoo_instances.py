# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

# Documentation: odoo_instances.yml and odoo_routes.yml next to this file (one per filter).
import copy
import re
import typing as t

from ansible.errors import AnsibleFilterError
from ansible_collections.odoo_cloud.platform.plugins.filter.odoo_password_hash import odoo_url_host

NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
# Odoo's own rule for database names (odoo/service/db.py DBNAME_PATTERN).
DBNAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
# A host name: dot-separated labels of 1 to 63 lower-case letters, digits or "-", in one match (a 10,000-tenant catalog checks 10,000 of them).
HOST_NAME_RE = re.compile(r"(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+(?!-)[a-z0-9-]{1,63}(?<!-)\Z")
# PostgreSQL role names the collection creates: unquoted identifiers (no quoting anywhere), not pg_*.
ROLE_RE = re.compile(r"^(?!pg_)[a-z_][a-z0-9_]{0,62}$")
# The PostgreSQL role and the Redis ACL user of an instance when none is given: named after it.
ROLE_PREFIX = "odoo_"
REDIS_USER_PREFIX = "odoo-"
RESERVED_ROLES = {"postgres", "replicator", "public"}
DEFAULTS: dict[str, t.Any] = {
    "aliases": [],
    "list_db": False,
    "http_port": 8069,
    "gevent_port": 8072,
    "workers": "auto",
}

# odoo.conf options the role derives from sizing and routing (roles/odoo/vars/main.yml _odoo_conf_options,
# the odoo_workers filter's options): an instance's `options` or the host's odoo_options may not set
# them, since the proxy's routes, the connection budget, the CONNECTION LIMIT and the pg_hba.conf lines
# are computed from the same values. Option -> what to set instead.
OWNED_OPTIONS: dict[str, str] = {
    "workers": "the instance's workers",
    "max_cron_threads": "the instance's sizing.max_cron_threads",
    "limit_memory_soft": "the instance's sizing.limit_memory_soft",
    "limit_memory_hard": "the instance's sizing.limit_memory_hard",
    "limit_time_cpu": "the instance's sizing.limit_time_cpu",
    "limit_time_real": "the instance's sizing.limit_time_real",
    "limit_time_real_cron": "the instance's sizing.limit_time_real_cron",
    "limit_request": "the instance's sizing.limit_request",
    "db_maxconn": "the instance's sizing.db_maxconn",
    "db_maxconn_gevent": "the instance's sizing.db_maxconn_gevent",
    "http_port": "the instance's http_port",
    "xmlrpc_port": "the instance's http_port",
    "gevent_port": "the instance's gevent_port",
    "longpolling_port": "the instance's gevent_port",
    "proxy_mode": "nothing (always on: Traefik is in front of every instance)",
    "list_db": "the instance's list_db",
    "db_name": "the instance's databases",
    "dbfilter": "the instance's dbfilter",
    "db_user": "the instance's db_user (or odoo_db_user)",
    "db_password": "odoo_db_passwords (or odoo_db_password)",
    "db_host": "odoo_db_hosts (or odoo_postgresql_group)",
    "db_port": "odoo_db_port",
    "admin_passwd": "odoo_admin_password",
}


def _fail(host: str, where: str, message: str) -> t.NoReturn:
    raise AnsibleFilterError(f"odoo_instances on {host}: {where}: {message}")


def _domain_error(domain: t.Any) -> str | None:
    if not isinstance(domain, str) or not domain:
        return "must be a non-empty string"
    if domain != domain.lower():
        return "must be lower case"
    if len(domain) > 253 or "." not in domain:
        return "must be a fully qualified host name such as erp.example.com (at least two labels, at most 253 characters)"
    if not HOST_NAME_RE.match(domain):
        return ("is not a host name: each dot-separated label holds 1 to 63 lower-case letters, digits or '-', "
                "and does not start or end with '-' (no spaces, '_', '*', ports or URLs)")
    return None


def _port(host: str, where: str, value: t.Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        _fail(host, where, f"must be a port number, got {value!r}")
    port = int(value)
    if not 1 <= port <= 65535:
        _fail(host, where, f"{port} is not a port number (1-65535)")
    return port


def _workers(host: str, where: str, value: t.Any) -> int | str:
    if value == "auto":
        return value
    if isinstance(value, bool) or not str(value).isdigit():
        _fail(host, where, f"must be 'auto' or a number of worker processes (0 = threaded mode), got {value!r}")
    return int(value)


def _owned_options(host: str, where: str, options: t.Any) -> None:
    """Refuse options the role computes (OWNED_OPTIONS), naming the variable to use instead."""
    if options is None:
        return
    if not isinstance(options, dict):
        _fail(host, where, f"must be a mapping of odoo.conf option to value, got {type(options).__name__}")
    owned = [key for key in options if key in OWNED_OPTIONS]
    if owned:
        key = owned[0]
        others = f" (also {', '.join(map(repr, owned[1:]))})" if owned[1:] else ""
        _fail(host, f"{where} {key!r}",
              f"is computed by the role from sizing and routing{others}; set {OWNED_OPTIONS[key]} instead")


def normalize_instance(raw: t.Any, host: str) -> dict[str, t.Any]:
    if not isinstance(raw, dict):
        _fail(host, "odoo_instances", f"each instance must be a mapping, got {type(raw).__name__}")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        _fail(host, f"odoo_instances name {name!r}",
              "must start with a lower-case letter and hold only a-z, 0-9 and '-' (at most 31 characters)")
    where = f"instance {name!r}"
    inst = copy.deepcopy(DEFAULTS)
    inst.update({k: copy.deepcopy(v) for k, v in raw.items()})

    if "domain" not in raw:
        _fail(host, where, "'domain' is required (the public name, for example erp.example.com)")
    aliases = inst["aliases"]
    if not isinstance(aliases, list):
        _fail(host, f"{where} aliases", "must be a list of domain names")
    for domain in [inst["domain"], *aliases]:
        error = _domain_error(domain)
        if error:
            _fail(host, f"{where} domain {domain!r}", error)

    databases = inst.get("databases")
    if databases is None:
        databases = [name.replace("-", "_")]
    if isinstance(databases, str) or not isinstance(databases, list) or not databases:
        _fail(host, f"{where} databases", "must be a non-empty list of database names")
    for db in databases:
        if db in ("postgres", "template0", "template1"):
            _fail(host, f"{where} databases", f"{db!r} is one of PostgreSQL's own databases; give the instance a database of its own")
        if not isinstance(db, str) or not DBNAME_RE.match(db):
            _fail(host, f"{where} databases",
                  f"{db!r} is not a usable Odoo database name: Odoo wants at least two characters, the first a letter "
                  "or digit, the others letters, digits, '_', '.' or '-'")
    if len(set(databases)) != len(databases):
        _fail(host, f"{where} databases", "lists a database twice")
    inst["databases"] = databases

    db_user = inst.get("db_user")
    if db_user is not None and (not isinstance(db_user, str) or not ROLE_RE.match(db_user) or db_user in RESERVED_ROLES):
        _fail(host, f"{where} db_user",
              f"{db_user!r} is not a usable role name: lower-case letters, digits and '_', starting with a letter or "
              "'_', at most 63 characters, not pg_*, postgres or the replication role")

    if not isinstance(inst["list_db"], bool):
        _fail(host, f"{where} list_db", "must be true or false")
    dbfilter = inst.get("dbfilter")
    if dbfilter in (None, ""):
        if len(databases) > 1:
            hint = " and list_db is on, so any visitor could pick a database" if inst["list_db"] else ""
            _fail(host, f"{where} dbfilter",
                  f"the instance serves {len(databases)} databases{hint}; set dbfilter "
                  "(for example '^%d$' to pick the database from the first label of the domain)")
        dbfilter = "^" + re.escape(databases[0]) + "$"
    elif not isinstance(dbfilter, str):
        _fail(host, f"{where} dbfilter", "must be a regular expression string")
    else:
        try:
            re.compile(dbfilter.replace("%h", "h").replace("%d", "d"))
        except re.error as exc:
            _fail(host, f"{where} dbfilter", f"is not a valid regular expression: {exc}")
    inst["dbfilter"] = dbfilter

    inst["http_port"] = _port(host, f"{where} http_port", inst["http_port"])
    inst["gevent_port"] = _port(host, f"{where} gevent_port", inst["gevent_port"])
    if inst["http_port"] == inst["gevent_port"]:
        _fail(host, f"{where} gevent_port", "must differ from http_port")
    inst["workers"] = _workers(host, f"{where} workers", inst["workers"])
    _owned_options(host, f"{where} options", inst.get("options"))
    # odoo_workers never sizes 'auto' to 0: only an explicit 0 means threaded mode.
    inst["prefork"] = inst["workers"] != 0
    return inst


def odoo_instances(instances: t.Any, host: str = "this host", options: t.Any = None) -> list[dict[str, t.Any]]:
    # options: the host-wide odoo_options, checked against the same keys as each instance's options.
    _owned_options(host, "odoo_options", options)
    if instances is None:
        return []
    if not isinstance(instances, list):
        _fail(host, "odoo_instances", "must be a list of instances")
    result = [normalize_instance(raw, host) for raw in instances]
    seen: dict[t.Any, str] = {}
    for inst in result:
        for key, label in ((("name", inst["name"]), "name"),
                           (("port", inst["http_port"]), "http_port"),
                           (("port", inst["gevent_port"]), "gevent_port")):
            if key in seen:
                _fail(host, f"instance {inst['name']!r} {label}",
                      f"{key[1]!r} is already used by instance {seen[key]!r} on this host; give each instance its own")
            seen[key] = inst["name"]
        for db in inst["databases"]:
            if ("database", db) in seen:
                _fail(host, f"instance {inst['name']!r} databases",
                      f"{db!r} is already the database of instance {seen[('database', db)]!r} on this host; "
                      "each database belongs to one instance (its crons, its role, its filestore)")
            seen[("database", db)] = inst["name"]
        for domain in [inst["domain"], *inst["aliases"]]:
            if ("domain", domain) in seen:
                _fail(host, f"instance {inst['name']!r} domain",
                      f"{domain!r} is already served by instance {seen[('domain', domain)]!r}")
            seen[("domain", domain)] = inst["name"]
    return result


def odoo_routes(backends: t.Any) -> list[dict[str, t.Any]]:
    """One route per instance across hosts; each domain may appear only once in the inventory."""
    if not isinstance(backends, list):
        raise AnsibleFilterError("odoo_routes: expects a list of {host, address, instances}")
    routes: list[dict[str, t.Any]] = []
    owners: dict[str, str] = {}
    for backend in backends:
        host = backend.get("host", "?")
        address = backend.get("address")
        if not address:
            raise AnsibleFilterError(
                f"odoo_routes: host {host}: no address to reach it; set odoo_publish_address or private_address")
        for inst in odoo_instances(backend.get("instances"), host=host):
            ident = f"{host}/{inst['name']}"
            for domain in [inst["domain"], *inst["aliases"]]:
                if domain in owners:
                    raise AnsibleFilterError(
                        f"odoo_routes: domain {domain!r} is served by both {owners[domain]} and {ident}; "
                        "each domain must belong to one instance")
                owners[domain] = ident
            try:
                url_host = odoo_url_host(address)
            except AnsibleFilterError as exc:
                raise AnsibleFilterError(f"odoo_routes: host {host}: address {address!r}: {exc}") from exc
            http_url = f"http://{url_host}:{inst['http_port']}"
            routes.append({
                "name": f"{host}-{inst['name']}".replace(".", "-").replace("_", "-"),
                "host": host,
                "instance": inst["name"],
                "domains": [inst["domain"], *inst["aliases"]],
                "http_url": http_url,
                "websocket_url": f"http://{url_host}:{inst['gevent_port']}" if inst["prefork"] else http_url,
                "list_db": inst["list_db"],
            })
    return routes


def instance_db_user(inst: dict[str, t.Any], shared_user: str = "") -> str:
    """The instance's own role unless the host names one shared role (odoo_db_user, the old layout)."""
    return inst.get("db_user") or shared_user or ROLE_PREFIX + inst["name"].replace("-", "_")


def odoo_db_clients(backends: t.Any) -> list[dict[str, t.Any]]:
    """Who connects to which database as which role, across the Odoo hosts of one PostgreSQL cluster.

    The rules the odoo role (roles, ownership, CONNECT) and the postgresql role (pg_hba.conf) both apply.
    """
    if not isinstance(backends, list):
        raise AnsibleFilterError("odoo_db_clients: expects a list of {host, address, instances, db_user}")
    clients: list[dict[str, t.Any]] = []
    db_owner: dict[str, str] = {}
    role_owner: dict[str, tuple[str, bool]] = {}
    for backend in backends:
        host = backend.get("host", "?")
        address = backend.get("address")
        if not address:
            raise AnsibleFilterError(
                f"odoo_db_clients: host {host}: no address it connects from; set private_address")
        shared_user = backend.get("db_user") or ""
        if shared_user and (not ROLE_RE.match(str(shared_user)) or shared_user in RESERVED_ROLES):
            raise AnsibleFilterError(
                f"odoo_db_clients: host {host}: odoo_db_user {shared_user!r} is not a usable role name "
                "(lower-case letters, digits and '_'); leave it empty to give each instance its own role")
        for inst in odoo_instances(backend.get("instances"), host=host):
            ident = f"{host}/{inst['name']}"
            user = instance_db_user(inst, shared_user)
            shared = bool(shared_user) and not inst.get("db_user")
            for db in inst["databases"]:
                if db in db_owner and db_owner[db] != ident:
                    raise AnsibleFilterError(
                        f"odoo_db_clients: database {db!r} is given to both {db_owner[db]} and {ident} on the same "
                        "PostgreSQL cluster; each database belongs to one instance: rename one of them")
                db_owner[db] = ident
            if user in role_owner and role_owner[user][0] != ident and not (shared and role_owner[user][1]):
                raise AnsibleFilterError(
                    f"odoo_db_clients: instance {ident} would log in as role {user!r}, which already belongs to "
                    f"{role_owner[user][0]}; give each instance its own role (instance db_user, or rename the "
                    "instance), or set odoo_db_user on both hosts to share one role on purpose (not isolated)")
            role_owner.setdefault(user, (ident, shared))
            clients.append({
                "host": host,
                "instance": inst["name"],
                "user": user,
                "shared": shared,
                "databases": inst["databases"],
                "address": address,
            })
    return clients


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"odoo_instances": odoo_instances, "odoo_routes": odoo_routes, "odoo_db_clients": odoo_db_clients}
