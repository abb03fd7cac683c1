# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: tenant_hba_rules
short_description: pg_hba rules letting each shared tenant's role reach its own database from the cluster's pods
version_added: 0.1.0
description:
  - Takes one shared tenant record (the C(tenant) host variable of the P(odoo_cloud.platform.tenants#inventory)
    inventory plugin) or a list of them, and returns the pg_hba rules of the tenants placed on one database
    server, in the shape of the postgresql role's C(postgresql_hba_extra) (community.postgresql.postgresql_pg_hba
    rule dicts).
  - One rule per tenant and source network, C(scram-sha-256), naming the tenant's role (C(database.role)) and
    its database (C(database.name)) and C(postgres) only, never C(all); Odoo's server start (the official
    image's C(wait-for-psql.py)), its cron workers and its database list connect to C(postgres). Pods reach the database from the cluster's pod network
    (or the nodes' addresses when the CNI masquerades), given as O(sources).
  - Dedicated tenants and tenants with a dedicated database are left out. Nothing is guessed; a tenant
    without a database name or role, or a source that is not an address or a network, fails naming the
    tenant and the field.
options:
  _input:
    description: A tenant record or a list of them (C(name), C(tier), C(database.placement), C(database.server),
      C(database.name), C(database.role)).
    type: raw
    required: true
  sources:
    description: Networks (CIDR) or addresses the pods connect from; an address becomes a /32 or /128.
    type: list
    elements: str
    required: true
  server:
    description: Only the tenants placed on this database server (a name of the catalog's C(cluster.database_servers)).
      Default every shared-database tenant given.
    type: str
  contype:
    description: C(hostssl) (the postgresql role's type with TLS) or C(host) (with C(postgresql_tls=off)).
    type: str
    default: hostssl
    choices: [host, hostssl]
  extra_databases:
    description: More databases the tenant's role may connect to, besides its own and C(postgres).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
# group_vars of the shared database servers: the tenants of this server, from the cluster's pod network.
postgresql_hba_extra: >-
  {{ groups['tier_shared'] | map('extract', hostvars, 'tenant')
     | odoo_cloud.platform.tenant_hba_rules(sources=['10.244.0.0/16'], server='pg-shared-1') }}
"""

RETURN = r"""
_value:
  description: The rules, sorted by tenant then source.
  type: list
  elements: dict
  sample:
    - {contype: hostssl, databases: 'bakery_dupont,postgres', users: odoo_bakery_dupont, address: 10.244.0.0/16, method: scram-sha-256}
"""

import ipaddress
import typing as t

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

IDENT_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


def _source(value: t.Any) -> str:
    text = to_text(value).strip() if isinstance(value, str) else None
    if not text:
        raise AnsibleFilterError(f"tenant_hba_rules: sources: {value!r} is not an address or a CIDR network")
    try:
        net = ipaddress.ip_network(text, strict=True)
    except ValueError:
        raise AnsibleFilterError(
            f"tenant_hba_rules: sources: {text!r} is not an address or a CIDR network without host bits "
            "(for example 10.244.0.0/16)"
        ) from None
    if net.prefixlen == 0:
        raise AnsibleFilterError(
            f"tenant_hba_rules: sources: {text} is every address; give the cluster's pod network or node addresses"
        )
    return str(net)


def _ident(tenant: str, field: str, value: t.Any) -> str:
    if not isinstance(value, str) or not value or not set(value) <= IDENT_CHARS:
        raise AnsibleFilterError(
            f"tenant_hba_rules: tenant {tenant!r}: {field}: {value!r} is not a database identifier "
            "(lower-case letters, digits, _)"
        )
    return value


def tenant_hba_rules(tenants: t.Any, sources: t.Any = None, server: t.Any = None, contype: str = "hostssl",
                     extra_databases: t.Any = None) -> list[dict[str, str]]:
    if isinstance(tenants, dict):
        tenants = [tenants]
    if not isinstance(tenants, (list, tuple)):
        raise AnsibleFilterError(f"tenant_hba_rules: expects a tenant record or a list of them, got {type(tenants).__name__}")
    if isinstance(sources, str):
        sources = [sources]
    if not isinstance(sources, (list, tuple)) or not sources:
        raise AnsibleFilterError("tenant_hba_rules: sources: give the networks (CIDR) the cluster's pods connect from")
    nets = sorted({_source(s) for s in sources}, key=lambda n: (ipaddress.ip_network(n).version, ipaddress.ip_network(n)))
    if contype not in ("host", "hostssl"):
        raise AnsibleFilterError(f"tenant_hba_rules: contype: {contype!r} is not host or hostssl")
    extra = list(extra_databases or [])
    rules: list[dict[str, str]] = []
    seen: set[str] = set()
    for record in tenants:
        if not isinstance(record, dict) or not isinstance(record.get("name"), str):
            raise AnsibleFilterError(f"tenant_hba_rules: each tenant must be a record with a name, got {record!r}")
        name = record["name"]
        database = record.get("database")
        if record.get("tier") != "shared" or not isinstance(database, dict) or database.get("placement") != "shared":
            continue
        if server is not None and database.get("server") != server:
            continue
        if name in seen:
            raise AnsibleFilterError(f"tenant_hba_rules: tenant {name!r} is given twice")
        seen.add(name)
        db = _ident(name, "database.name", database.get("name"))
        role = _ident(name, "database.role", database.get("role"))
        # `postgres` too: Odoo's server start (the image's wait-for-psql), its cron workers and its database list
        # connect there, as the postgresql role's rules for VM instances allow.
        databases = list(dict.fromkeys([db, "postgres"] + [_ident(name, "extra_databases", d) for d in extra]))
        for net in nets:
            rules.append({"contype": contype, "databases": ",".join(databases), "users": role,
                          "address": net, "method": "scram-sha-256"})
    return sorted(rules, key=lambda r: r["users"])


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"tenant_hba_rules": tenant_hba_rules}
