# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

# Documentation: platform_model.yml, postgresql_members.yml, odoo_cluster_clients.yml, odoo_redis_users.yml,
# peer_addresses.yml and redis_endpoint.yml next to this file.
#
# The platform model: every fact one role derives about another role's hosts is computed here, once, from
# the inventory (hostvars and groups). Each role reads its slice through one of these filters; no role
# reads another role's variables or raw hostvars in Jinja. platform_model returns every slice at once
# (playbooks/validate.yml keeps it as the fact odoo_cloud_platform and prints its summary).

import typing as t
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text
from ansible_collections.odoo_cloud.platform.plugins.filter.odoo_instances import REDIS_USER_PREFIX, odoo_db_clients, odoo_instances
from ansible_collections.odoo_cloud.platform.plugins.filter.odoo_workers import odoo_connections
from ansible_collections.odoo_cloud.platform.plugins.filter.traefik_dynamic import ADDRESS_VARS, traefik_routes

# The address a PostgreSQL member is reached at, first found wins, then the inventory name. The member's
# own published value (postgresql_member, set by the postgresql role's facts entry point from its
# postgresql_address, which may fall back to the host's default IPv4 fact) beats the inventory's.
MEMBER_ADDRESS_VARS = ("postgresql_address", "private_address", "ansible_host")
# The address an Odoo host connects from (pg_hba.conf, the firewall's peers): its private address only,
# never ansible_host (the address Ansible reaches it at may be a management or NAT address).
CLIENT_ADDRESS_VAR = "private_address"
DEFAULT_GROUPS = {
    "postgresql": "postgresql",
    "postgresql_primary": "postgresql_primary",
    "odoo": "odoo",
    "redis": "redis",
    "traefik": "traefik",
}
DEFAULT_PG_PORT = 5432
DEFAULT_REDIS_PORT = 6379


def _host_vars(hostvars: t.Any, host: t.Any, who: str) -> Mapping:
    if not isinstance(hostvars, Mapping) and not hasattr(hostvars, "__getitem__"):
        raise AnsibleFilterError(f"{who}: hostvars must be Ansible's hostvars")
    try:
        return hostvars[to_text(host)]
    except KeyError:
        raise AnsibleFilterError(f"{who}: host {host} is not in the inventory") from None


def _hosts(hosts: t.Any, who: str, example: str) -> list[str]:
    if hosts is None:
        return []
    if isinstance(hosts, (str, bytes, Mapping)) or not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError(f"{who}: expects a list of inventory host names, for example {example}")
    return [to_text(host) for host in hosts]


def _first(hv: Mapping, names: t.Iterable[str]) -> str | None:
    for name in names:
        if name in hv and hv[name] not in (None, ""):
            return to_text(hv[name])
    return None


def member_address(hv: Mapping, host: str) -> str:
    """Where the other members and the clients reach a PostgreSQL member."""
    published = hv["postgresql_member"] if "postgresql_member" in hv else None
    if isinstance(published, Mapping) and published.get("address"):
        return to_text(published["address"])
    return _first(hv, MEMBER_ADDRESS_VARS) or host


def postgresql_members(hostvars: t.Any, hosts: t.Any) -> list[dict[str, t.Any]]:
    """The members of a cluster: inventory name, address, port and application/slot name."""
    members = []
    for host in _hosts(hosts, "postgresql_members", "groups['postgresql']"):
        hv = _host_vars(hostvars, host, "postgresql_members")
        published = hv["postgresql_member"] if "postgresql_member" in hv else None
        port = published.get("port") if isinstance(published, Mapping) and published.get("port") else None
        if port is None:
            port = hv["postgresql_port"] if "postgresql_port" in hv else DEFAULT_PG_PORT
        try:
            port = int(port)
        except (TypeError, ValueError):
            raise AnsibleFilterError(f"postgresql_members: host {host}: postgresql_port {port!r} is not a port number") from None
        members.append({
            "host": host,
            "address": member_address(hv, host),
            "port": port,
            "name": "".join(c if c.isascii() and (c.isalnum() or c == "_") else "_" for c in host),
        })
    return members


def peer_addresses(names: t.Any, hostvars: t.Any, groups: t.Any = None, address_var: str = CLIENT_ADDRESS_VAR) -> list[str]:
    """The addresses of these hosts (or, with groups, of the hosts of these groups), each once, in order.
    A host without one yields the sentence 'host H has no VAR', which the firewall_rules filter refuses as a
    source, naming the field: a firewall rule never silently loses a peer."""
    hosts = _hosts(names, "peer_addresses", "groups['traefik']")
    if groups is not None:
        if not isinstance(groups, Mapping):
            raise AnsibleFilterError("peer_addresses: groups must be Ansible's groups")
        hosts = [h for g in hosts for h in _group(groups, g)]
    out: list[str] = []
    for host in hosts:
        address = _first(_host_vars(hostvars, host, "peer_addresses"), [address_var]) or f"host {host} has no {address_var}"
        if address not in out:
            out.append(address)
    return out


def redis_endpoint(hosts: t.Any, hostvars: t.Any) -> dict[str, t.Any] | None:
    """Where Odoo reaches Redis: the first of these hosts at its private address (else ansible_host, else its
    name) and its redis_port; None without a Redis host."""
    hosts = _hosts(hosts, "redis_endpoint", "groups['redis']")
    if not hosts:
        return None
    hv = _host_vars(hostvars, hosts[0], "redis_endpoint")
    port = hv["redis_port"] if "redis_port" in hv else DEFAULT_REDIS_PORT
    try:
        port = int(port)
    except (TypeError, ValueError):
        raise AnsibleFilterError(f"redis_endpoint: host {hosts[0]}: redis_port {port!r} is not a port number") from None
    return {"host": hosts[0], "address": _first(hv, [CLIENT_ADDRESS_VAR, "ansible_host"]) or hosts[0], "port": port}


def odoo_cluster_clients(hosts: t.Any, hostvars: t.Any, cluster_group: str = DEFAULT_GROUPS["postgresql"],
                         address_var: str = CLIENT_ADDRESS_VAR) -> list[dict[str, t.Any]]:
    """odoo_db_clients over the Odoo hosts (of these) whose odoo_postgresql_group is cluster_group."""
    backends = []
    for host in _hosts(hosts, "odoo_cluster_clients", "groups['odoo']"):
        hv = _host_vars(hostvars, host, "odoo_cluster_clients")
        if (hv["odoo_postgresql_group"] if "odoo_postgresql_group" in hv else DEFAULT_GROUPS["postgresql"]) != cluster_group:
            continue
        backends.append({
            "host": host,
            "address": _first(hv, [address_var]) or "",
            "instances": (hv["odoo_instances"] if "odoo_instances" in hv else None) or [],
            "db_user": (hv["odoo_db_user"] if "odoo_db_user" in hv else None) or "",
        })
    return odoo_db_clients(backends)


def odoo_redis_users(hosts: t.Any, hostvars: t.Any, rules: str = "") -> list[dict[str, t.Any]]:
    """The Redis ACL user of every Odoo instance (of these hosts) with a password in odoo_redis_passwords:
    odoo-<instance>, limited to its own session keys (the session add-on's prefix session::<instance>:)."""
    users: list[dict[str, t.Any]] = []
    owner: dict[str, str] = {}
    for host in _hosts(hosts, "odoo_redis_users", "groups['odoo']"):
        hv = _host_vars(hostvars, host, "odoo_redis_users")
        passwords = (hv["odoo_redis_passwords"] if "odoo_redis_passwords" in hv else None) or {}
        if not isinstance(passwords, Mapping):
            raise AnsibleFilterError(f"odoo_redis_users: host {host}: odoo_redis_passwords must map instance names to passwords")
        for inst in odoo_instances((hv["odoo_instances"] if "odoo_instances" in hv else None) or [], host=host):
            name = inst["name"]
            if name not in passwords:
                continue
            user = REDIS_USER_PREFIX + name
            if user in owner:
                raise AnsibleFilterError(
                    f"odoo_redis_users: instances {owner[user]}/{name} and {host}/{name} would share the Redis user {user}"
                    " (and each other's sessions); give the instances different names")
            owner[user] = host
            users.append({"name": user, "password": passwords[name],
                          "rules": f"resetkeys ~session::{name}:* resetchannels {rules}".rstrip()})
    return users


def _primary(members: list[dict[str, t.Any]], hint: list[str], decided: t.Any) -> dict[str, t.Any] | None:
    by_host = {m["host"]: m for m in members}
    if isinstance(decided, Mapping) and decided.get("host") in by_host:
        return {**by_host[decided["host"]], "source": to_text(decided.get("source") or "members")}
    hinted = [h for h in hint if h in by_host]
    if len(hinted) == 1:
        return {**by_host[hinted[0]], "source": "inventory"}
    return None


def _group(groups: Mapping, name: str) -> list[str]:
    return [to_text(h) for h in (groups.get(name) or [])] if isinstance(groups, Mapping) else []


def platform_model(hostvars: t.Any, groups: t.Any, primaries: t.Any = None, group_names: t.Any = None) -> dict[str, t.Any]:
    """Every slice at once, for one PostgreSQL cluster, its Odoo hosts, Redis and the proxies."""
    if not isinstance(groups, Mapping):
        raise AnsibleFilterError("platform_model: the first argument must be Ansible's groups")
    names = dict(DEFAULT_GROUPS)
    if group_names is not None:
        if not isinstance(group_names, Mapping) or any(k not in names for k in group_names):
            raise AnsibleFilterError(
                f"platform_model: group_names may name the groups {', '.join(sorted(names))}, got {group_names!r}")
        names.update({k: to_text(v) for k, v in group_names.items()})
    cluster = names["postgresql"]
    members = postgresql_members(hostvars, _group(groups, cluster))
    hint = _group(groups, names["postgresql_primary"])
    decided = primaries.get(cluster) if isinstance(primaries, Mapping) else None
    odoo_hosts = _group(groups, names["odoo"])

    odoo = []
    for host in odoo_hosts:
        hv = _host_vars(hostvars, host, "platform_model")
        odoo.append({
            "host": host,
            "client_address": _first(hv, [CLIENT_ADDRESS_VAR]),
            "publish_address": _first(hv, ADDRESS_VARS) or host,
            "cluster": (hv["odoo_postgresql_group"] if "odoo_postgresql_group" in hv else None) or DEFAULT_GROUPS["postgresql"],
            "instances": [i["name"] for i in odoo_instances((hv["odoo_instances"] if "odoo_instances" in hv else None) or [], host=host)],
        })

    redis = redis_endpoint(_group(groups, names["redis"]), hostvars)

    try:
        connections = odoo_connections(odoo_hosts, hostvars=hostvars, cluster_group=cluster)
    except AnsibleFilterError:
        connections = None  # the Odoo hosts' facts are not gathered yet: the postgresql role says so when it sizes

    clients = [o["host"] for o in odoo if o["cluster"] == cluster]
    model = {
        "groups": names,
        "postgresql": {
            "members": members,
            "hint": hint,
            "primary": _primary(members, hint, decided),
            "clients": odoo_cluster_clients(odoo_hosts, hostvars, cluster),
            "connections": connections,
        },
        "odoo": odoo,
        "redis": redis,
        "routes": traefik_routes(hostvars, odoo_hosts),
        "peers": {
            "postgresql": peer_addresses(clients, hostvars),
            "odoo": peer_addresses(_group(groups, names["traefik"]), hostvars),
            "redis": peer_addresses(odoo_hosts, hostvars),
        },
    }
    model["summary"] = summary(model)
    return model


def summary(model: Mapping) -> str:
    """One line an operator reads before the run builds on the model."""
    pg = model["postgresql"]
    members = ", ".join(f"{m['host']} at {m['address']}" for m in pg["members"]) or "no member"
    primary = (pg["primary"] or {}).get("host") or "undecided"
    pools = f"{pg['connections']} connections" if pg["connections"] is not None else "not sized (no facts)"
    odoo = ", ".join(f"{o['host']} {'+'.join(o['instances']) or 'no instance'}" for o in model["odoo"]) or "no host"
    routes = ", ".join(r["domains"][0] for r in model["routes"] if r.get("domains")) or "none"
    redis = f"{model['redis']['address']}:{model['redis']['port']}" if model["redis"] else "none"
    return (f"PostgreSQL {model['groups']['postgresql']}: {members}; primary {primary}; Odoo pools {pools}. "
            f"Odoo: {odoo}. Routes: {routes}. Redis: {redis}.")


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {
            "platform_model": platform_model,
            "postgresql_members": postgresql_members,
            "odoo_cluster_clients": odoo_cluster_clients,
            "odoo_redis_users": odoo_redis_users,
            "peer_addresses": peer_addresses,
            "redis_endpoint": redis_endpoint,
        }
