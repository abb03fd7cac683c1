# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

# Documentation: postgresql_hba_rules.yml next to this file.
#
# Every pg_hba.conf line the postgresql role writes, from the platform model's slices: the members (replication
# and pg_rewind), each Odoo instance's role to its own databases from its host, and the named users from the
# client networks. Nothing else: no trust, no md5, no `all all` line.

import ipaddress
import typing as t
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

WHO = "postgresql_hba_rules"
STRONG_METHODS = ("scram-sha-256", "cert")


def host_cidr(address: t.Any, field: str) -> str:
    """One address as the network of that address alone (/32, /128)."""
    try:
        ip = ipaddress.ip_address(to_text(address).strip())
    except ValueError:
        raise AnsibleFilterError(f"{WHO}: {field}: {address!r} is not an IP address") from None
    return f"{ip}/{ip.max_prefixlen}"


def _network(cidr: t.Any, field: str) -> str:
    try:
        return str(ipaddress.ip_network(to_text(cidr).strip(), strict=False))
    except ValueError:
        raise AnsibleFilterError(f"{WHO}: {field}: {cidr!r} is not a CIDR (like 10.0.0.0/24 or 10.0.0.5/32)") from None


def _list(value: t.Any, field: str) -> list:
    if value is None:
        return []
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple)):
        raise AnsibleFilterError(f"{WHO}: {field} must be a list")
    return list(value)


def postgresql_hba_rules(members: t.Any, odoo_clients: t.Any = None, client_cidrs: t.Any = None,
                         users: t.Any = None, replication_user: str = "replicator", tls: bool = True,
                         extra: t.Any = None) -> list[dict[str, str]]:
    """The rules for community.postgresql.postgresql_pg_hba, in the order PostgreSQL matches them."""
    contype = "hostssl" if tls else "host"
    rules = [{"contype": "local", "databases": "all", "users": "all", "method": "peer"}]
    for address in _list(members, "members"):
        rules.append({"contype": contype, "databases": "replication,postgres", "users": to_text(replication_user),
                      "address": host_cidr(address, "members"), "method": "scram-sha-256"})
    for client in _list(odoo_clients, "odoo_clients"):
        if not isinstance(client, Mapping) or not client.get("user") or not client.get("databases"):
            raise AnsibleFilterError(f"{WHO}: odoo_clients: expects odoo_cluster_clients entries "
                                     f"(user, databases, address), got {client!r}")
        where = f"odoo_clients (host {client.get('host', '?')}, instance {client.get('instance', '?')})"
        databases = [to_text(db) for db in client["databases"]] + ["postgres"]
        rules.append({"contype": contype, "databases": ",".join(dict.fromkeys(databases)),
                      "users": to_text(client["user"]), "address": host_cidr(client.get("address"), where),
                      "method": "scram-sha-256"})
    names = [to_text(u["name"] if isinstance(u, Mapping) else u) for u in _list(users, "users")]
    if names:
        for cidr in _list(client_cidrs, "client_cidrs"):
            rules.append({"contype": contype, "databases": "all", "users": ",".join(names),
                          "address": _network(cidr, "client_cidrs"), "method": "scram-sha-256"})
    for rule in _list(extra, "extra"):
        if not isinstance(rule, Mapping):
            raise AnsibleFilterError(f"{WHO}: extra: each rule is a mapping, got {rule!r}")
        if rule.get("method") not in STRONG_METHODS:
            raise AnsibleFilterError(f"{WHO}: extra: rule {dict(rule)!r} uses method {rule.get('method')!r}; "
                                     f"use one of {', '.join(STRONG_METHODS)} (trust, md5 and password are refused)")
        rules.append(dict(rule))
    return rules


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"postgresql_hba_rules": postgresql_hba_rules}
