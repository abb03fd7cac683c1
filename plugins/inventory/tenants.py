# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: tenants
short_description: Odoo tenants from a tenant catalog
version_added: 0.1.0
description:
  - Reads a catalog of Odoo tenants (a YAML file named by O(catalog), or the inline O(tenants) list) and
    turns it into an inventory. The catalog's schema, the sizes and the groups are described in
    C(docs/tenants.md) of the collection.
  - The whole catalog is validated before anything is added to the inventory; every error names the tenant,
    the field and what to write instead. Tenant names are DNS-1123 labels, tenant names, host names and domains
    are unique across the catalog, addresses and CIDRs must parse and networks must not overlap, sizes and Odoo
    versions must be known ones.
  - A C(dedicated) tenant's hosts go into the groups C(playbooks/site.yml) plays on (C(docker_hosts),
    C(traefik), C(odoo), C(postgresql), C(postgresql_primary), C(postgresql_replicas), C(redis)) with the
    host variables the roles read (C(private_address), C(odoo_instances), C(odoo_version), C(odoo_image), and
    the roles' group variables pointing at the tenant's own groups, so two dedicated tenants in one inventory
    never see each other's hosts).
  - A C(shared) tenant becomes one host named after it, with C(ansible_connection=local), that targets the
    Kubernetes cluster API; a play over C(tier_shared) runs the tenants in parallel, up to C(forks).
  - A shared tenant without a C(network) gets a range of O(prefix_length) from O(pool). The first choice is a
    slot derived from a hash of the tenant's name; with O(allocations_file) every range given is recorded and
    kept, so adding or removing a tenant never renumbers another.
  - Requires C(netaddr); O(filter) requires C(jmespath).
author:
  - odoo_cloud platform team (@odoo-cloud)
requirements:
  - netaddr
  - jmespath (for O(filter))
extends_documentation_fragment:
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: The name of this plugin; the inventory source file must end in C(tenants.yml) or C(tenants.yaml).
    type: str
    required: true
    choices: [odoo_cloud.platform.tenants]
  catalog:
    description:
      - Path of the tenant catalog, a YAML file with a C(tenants) list and an optional C(cluster) mapping.
      - A file whose name ends in C(.json) is read as JSON (the same schema). For a catalog of thousands of
        tenants generated from another system, JSON loads many times faster than YAML (for 10,000 tenants on
        the 2-core lab, about 0.02 s against 0.9 s with libyaml's loader).
      - A relative path is relative to the directory of the inventory source file.
      - Exactly one of O(catalog) and O(tenants) is required.
    type: str
  tenants:
    description:
      - The tenants, inline in the inventory source file (same schema as the catalog's C(tenants)).
    type: list
    elements: dict
  cluster:
    description:
      - The shared Kubernetes cluster and database servers (same schema as the catalog's C(cluster)); merged
        over the catalog's C(cluster), key by key.
    type: dict
  pool:
    description: The network ranges of shared tenants without a C(network) are taken from this CIDR.
    type: str
    default: 10.240.0.0/16
  prefix_length:
    description: The prefix length of the range given to each shared tenant (C(28) is 16 addresses).
    type: int
    default: 28
  allocations_file:
    description:
      - A YAML file that records the ranges given from O(pool), so they stay the same whatever is added to or
        removed from the catalog (a removed tenant's range stays reserved until its line is deleted).
      - A relative path is relative to the directory of the inventory source file. It is written only when a
        tenant got a new range; keep it in version control next to the catalog.
      - Without it ranges are still derived from the tenant's name, but two names that hash to the same slot
        depend on each other.
    type: str
  namespace_prefix:
    description:
      - The Kubernetes namespace of a shared tenant is this prefix followed by the tenant's name. Tenant names may
        be at most 63 characters minus its length.
    type: str
    default: odoo-
  filter:
    description:
      - A JMESPath expression evaluated on each tenant (the normalised record, as in the C(tenant) host
        variable); only tenants for which it is true are added. The whole catalog is validated first.
      - 'For example C(tier == ''shared'' && environment == ''production'').'
    type: str
"""

EXAMPLES = r"""
# inventories/saas/platform.tenants.yml: the catalog in a file next to it
plugin: odoo_cloud.platform.tenants
catalog: catalog.yml
allocations_file: catalog.allocations.yml
pool: 10.240.0.0/16
prefix_length: 28
---
# inline tenants, production only, grouped by Odoo version
plugin: odoo_cloud.platform.tenants
filter: "environment == 'production'"
keyed_groups:
  - key: tenant.odoo_version
    prefix: odoo
tenants:
  - name: bakery
    tier: shared
    size: xs
    environment: production
    odoo_version: "18.0"
    domains: [erp.bakery.example]
---
# cached: the catalog is read and validated again when the cache expires or on --flush-cache
plugin: odoo_cloud.platform.tenants
catalog: /srv/catalog/tenants-catalog.yml
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: /var/cache/ansible/tenants
cache_timeout: 600
"""

import hashlib
import json
import os
import re
import tempfile
import typing as t

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible_collections.odoo_cloud.platform.plugins.filter.odoo_instances import _domain_error
from ansible_collections.odoo_cloud.platform.plugins.module_utils._tenant_names import ADDON_RE, DB_IDENTIFIER_RE, DNS1123_LABEL_RE
from ansible_collections.odoo_cloud.platform.plugins.module_utils._tenant_sizes import (
    DEFAULT_IMAGE,
    ODOO_VERSIONS,
    SIZES,
    tenant_size,
)

try:
    import netaddr
except ImportError:
    netaddr = None

try:
    import jmespath
except ImportError:
    jmespath = None

try:
    import yaml
except ImportError:  # ansible-core requires PyYAML; this only keeps the import sanity test quiet.
    yaml = None

TIERS = ("dedicated", "shared")
ENVIRONMENTS = ("production", "staging", "dev")
# The Odoo instance a dedicated tenant's environment runs as (odoo_instances names).
INSTANCE_NAMES = {"production": "prod", "staging": "staging", "dev": "dev"}
HOST_ROLES = ("traefik", "odoo", "postgresql_primary", "postgresql_replica", "redis")
PLACEMENTS = ("shared", "dedicated")
TENANT_KEYS = {"name", "tier", "size", "environment", "odoo_version", "image", "domains", "addons",
               "database", "backup", "network", "hosts", "vars"}
HOST_KEYS = {"name", "address", "ansible_host", "roles", "vars"}
DATABASE_KEYS = {"placement", "server", "name"}
BACKUP_KEYS = {"enabled", "schedule", "retention_days"}
LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
SPACE_RE = re.compile(r"\s")
VAR_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CRON_FIELD_RE = re.compile(r"^(\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?(,(\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?)*$")
CRON_MACROS = ("@hourly", "@daily", "@weekly", "@monthly", "@yearly")
# site.yml's groups and, per dedicated tenant, the role variables that name them.
STACK_GROUPS = ("docker_hosts", "traefik", "odoo", "postgresql", "postgresql_primary", "postgresql_replicas", "redis")


def group_name(text: str) -> str:
    """A group name Ansible accepts without warnings: '-' and '.' become '_'."""
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def _width(net: t.Any) -> int:
    return 32 if net.version == 4 else 128


class CatalogError(Exception):
    """Collects every problem of a catalog, so one run reports them all."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def _where(tenant: str | None, field: str) -> str:
    return f"tenant {tenant!r}: {field}" if tenant else field


class Catalog:
    """Validates a tenant catalog and allocates ranges; `tenants()` is JSON-safe (what the cache keeps)."""

    def __init__(self, raw_tenants: t.Any, cluster: t.Any, pool: str, prefix_length: int,
                 namespace_prefix: str = "odoo-", allocations: t.Any = None) -> None:
        if netaddr is None:
            raise AnsibleError("the odoo_cloud.platform.tenants inventory plugin requires the netaddr Python library "
                               "(pip install netaddr)")
        self.errors: list[str] = []
        self.namespace_prefix = namespace_prefix
        self.max_name = 63 - len(namespace_prefix)
        # One copy of each size for the whole catalog (10,000 tenants need no 10,000 copies).
        self.sizes = {name: tenant_size(name) for name in SIZES}
        self.cluster = self._cluster(cluster)
        self.pool, self.prefix_length = self._pool(pool, prefix_length)
        self.records: list[dict[str, t.Any]] = []
        self.new_allocations = False
        self.allocations: dict[str, str] = {}
        if not isinstance(raw_tenants, list):
            self._err(None, "tenants", f"must be a list of tenants, got {type(raw_tenants).__name__}")
        else:
            for index, raw in enumerate(raw_tenants):
                record = self._tenant(index, raw)
                if record is not None:
                    self.records.append(record)
        self._unique()
        previous = self._previous_allocations(allocations)
        self._networks()
        if not self.errors:
            self._allocate(previous)
        if self.errors:
            raise CatalogError(self.errors)

    # -- helpers ---------------------------------------------------------------------------------
    def _err(self, tenant: str | None, field: str, message: str) -> None:
        self.errors.append(f"{_where(tenant, field)}: {message}")

    def _cidr(self, tenant: str | None, field: str, value: t.Any) -> t.Any:
        if not isinstance(value, str) or "/" not in value:
            self._err(tenant, field, f"{value!r} is not a network in CIDR notation; write it as 10.20.0.0/24")
            return None
        try:
            net = netaddr.IPNetwork(value)
        except (netaddr.AddrFormatError, ValueError, TypeError) as exc:
            self._err(tenant, field, f"{value!r} is not a network in CIDR notation ({exc}); write it as 10.20.0.0/24")
            return None
        if net.ip != net.network:
            self._err(tenant, field, f"{value!r} has host bits set; write the network, {net.cidr}")
            return None
        return net

    def _address(self, tenant: str | None, field: str, value: t.Any) -> t.Any:
        if not isinstance(value, str) or "/" in value:
            self._err(tenant, field, f"{value!r} is not an IP address; write one address such as 10.20.0.21 (no prefix)")
            return None
        try:
            return netaddr.IPAddress(value)
        except (netaddr.AddrFormatError, ValueError, TypeError):
            self._err(tenant, field, f"{value!r} is not an IP address; write one address such as 10.20.0.21")
            return None

    def _choice(self, name: str, raw: dict, key: str, choices: t.Sequence[str], default: t.Any = None) -> t.Any:
        value = raw.get(key, default)
        if value is None:
            self._err(name, key, f"is required, one of {', '.join(choices)}")
            return None
        if value not in choices:
            self._err(name, key, f"{value!r} is not one of {', '.join(choices)}")
            return None
        return value

    def _unknown_keys(self, name: str, field: str, raw: dict, known: set[str]) -> None:
        if raw.keys() <= known:
            return
        unknown = sorted(str(k) for k in raw if k not in known)
        if unknown:
            self._err(name, field, f"unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")

    # -- catalog-wide settings -------------------------------------------------------------------
    def _cluster(self, cluster: t.Any) -> dict[str, t.Any]:
        if cluster is None:
            return {}
        if not isinstance(cluster, dict):
            self._err(None, "cluster", "must be a mapping (api_server, database_servers, ...)")
            return {}
        servers = cluster.get("database_servers", {})
        if not isinstance(servers, dict) or not all(isinstance(k, str) for k in servers):
            self._err(None, "cluster.database_servers", "must be a mapping of server name to its settings")
        return dict(cluster)

    def _pool(self, pool: t.Any, prefix_length: t.Any) -> tuple[t.Any, int]:
        net = self._cidr(None, "pool", pool)
        if isinstance(prefix_length, bool) or not isinstance(prefix_length, int):
            self._err(None, "prefix_length", f"must be a number, got {prefix_length!r}")
            return net, 0
        if net is not None and not net.prefixlen <= prefix_length <= _width(net):
            self._err(None, "prefix_length",
                      f"{prefix_length} does not fit the pool {pool}: choose {net.prefixlen} to {_width(net)}")
        return net, prefix_length

    # -- one tenant ------------------------------------------------------------------------------
    def _tenant(self, index: int, raw: t.Any) -> dict[str, t.Any] | None:
        if not isinstance(raw, dict):
            self._err(None, f"tenants[{index}]", f"each tenant must be a mapping, got {type(raw).__name__}")
            return None
        name = raw.get("name")
        if not isinstance(name, str) or not DNS1123_LABEL_RE.match(name) or len(name) > self.max_name:
            self._err(None, f"tenants[{index}].name",
                      f"{name!r} is not a tenant name: a DNS-1123 label (lower-case letters, digits and '-', starting "
                      f"and ending with a letter or digit) of at most {self.max_name} characters, for example acme-corp")
            return None
        self._unknown_keys(name, "keys", raw, TENANT_KEYS)
        tier = self._choice(name, raw, "tier", TIERS)
        size = self._choice(name, raw, "size", tuple(SIZES))
        environment = self._choice(name, raw, "environment", ENVIRONMENTS)

        version = raw.get("odoo_version")
        if isinstance(version, float):
            version = f"{version:.1f}"
        if version not in ODOO_VERSIONS:
            self._err(name, "odoo_version", f"{raw.get('odoo_version')!r} is not a known Odoo version; use one of "
                      f"{', '.join(ODOO_VERSIONS)} (quoted, as a string)")
        image = raw.get("image", DEFAULT_IMAGE)
        if not isinstance(image, str) or not image or SPACE_RE.search(image) or "@" in image:
            self._err(name, "image", f"{image!r} is not an image repository such as registry.example.com/acme/odoo")
        elif ":" in image.rsplit("/", 1)[-1]:
            self._err(name, "image", f"{image!r} carries a tag; give the repository only "
                      f"({image.rsplit(':', 1)[0]}): the tag is the tenant's odoo_version")

        domains = raw.get("domains")
        if not isinstance(domains, list) or not domains:
            self._err(name, "domains", "is required: a non-empty list of the tenant's public host names")
            domains = []
        for domain in domains:
            error = _domain_error(domain)
            if error:
                self._err(name, f"domains {domain!r}", error)

        addons = raw.get("addons", [])
        if not isinstance(addons, list):
            self._err(name, "addons", "must be a list of Odoo module names")
            addons = []
        for addon in addons:
            if not isinstance(addon, str) or not ADDON_RE.match(addon):
                self._err(name, f"addons {addon!r}", "is not an Odoo module name (lower-case letters, digits and '_')")
        if len(set(map(str, addons))) != len(addons):
            self._err(name, "addons", "lists a module twice")

        record: dict[str, t.Any] = {
            "name": name,
            "tier": tier,
            "size": size,
            "environment": environment,
            "odoo_version": version,
            "image": image,
            "domains": list(domains),
            "addons": list(addons),
            "namespace": f"{self.namespace_prefix}{name}" if tier == "shared" else None,
            "resources": self.sizes.get(size),
            "database": self._database(name, tier, raw.get("database", {})),
            "backup": self._backup(name, environment, raw.get("backup", {})),
            "network": None,
            "network_allocated": False,
            "hosts": [],
            "vars": self._vars(name, "vars", raw.get("vars", {})),
        }
        if "network" in raw:
            net = self._cidr(name, "network", raw["network"])
            record["network"] = str(net.cidr) if net is not None else None
        if tier == "shared" and raw.get("hosts"):
            self._err(name, "hosts", "a shared tenant runs on the cluster and has no hosts; remove them or set "
                      "tier: dedicated")
        if tier == "dedicated":
            record["hosts"] = self._hosts(name, raw.get("hosts"))
        return record

    def _vars(self, name: str, field: str, raw: t.Any) -> dict[str, t.Any]:
        if not isinstance(raw, dict):
            self._err(name, field, "must be a mapping of variable names to values")
            return {}
        for key in raw:
            if not isinstance(key, str) or not VAR_RE.match(key):
                self._err(name, f"{field} {key!r}", "is not a variable name (letters, digits and '_')")
        return dict(raw)

    def _database(self, name: str, tier: str | None, raw: t.Any) -> dict[str, t.Any]:
        if not isinstance(raw, dict):
            self._err(name, "database", "must be a mapping (placement, server, name)")
            raw = {}
        self._unknown_keys(name, "database", raw, DATABASE_KEYS)
        default = "dedicated" if tier == "dedicated" else "shared"
        placement = raw.get("placement", default)
        if placement not in PLACEMENTS:
            self._err(name, "database.placement", f"{placement!r} is not one of {', '.join(PLACEMENTS)}")
        elif tier == "dedicated" and placement != "dedicated":
            self._err(name, "database.placement", "a dedicated tenant's database is on its own postgresql_primary "
                      "host; set placement: dedicated (or make the tenant shared)")
        dbname = raw.get("name", name.replace("-", "_"))
        if not isinstance(dbname, str) or not DB_IDENTIFIER_RE.match(dbname) or dbname in ("postgres", "template0", "template1"):
            self._err(name, "database.name", f"{dbname!r} is not a usable database name: lower-case letters, digits "
                      "and '_', starting with a letter or '_', not one of PostgreSQL's own databases")
        server = raw.get("server")
        servers = self.cluster.get("database_servers") or {}
        if placement == "shared":
            if server is None and isinstance(servers, dict) and len(servers) == 1:
                server = next(iter(servers))
            if server is None:
                self._err(name, "database.server", "is required for a shared database: name one of the catalog's "
                          "cluster.database_servers" + (f" ({', '.join(servers)})" if isinstance(servers, dict) and servers
                                                        else " (the catalog has none: add cluster.database_servers)"))
            elif isinstance(servers, dict) and server not in servers:
                self._err(name, "database.server", f"{server!r} is not one of cluster.database_servers "
                          f"({', '.join(servers) or 'none defined'})")
        elif server is not None:
            self._err(name, "database.server", "a dedicated database lives on the tenant's postgresql_primary host; "
                      "remove server")
        return {"placement": placement, "server": server, "name": dbname, "role": f"odoo_{name.replace('-', '_')}"}

    def _backup(self, name: str, environment: str | None, raw: t.Any) -> dict[str, t.Any]:
        if not isinstance(raw, dict):
            self._err(name, "backup", "must be a mapping (enabled, schedule, retention_days)")
            raw = {}
        self._unknown_keys(name, "backup", raw, BACKUP_KEYS)
        enabled = raw.get("enabled", True)
        if not isinstance(enabled, bool):
            self._err(name, "backup.enabled", "must be true or false")
        elif not enabled and environment == "production":
            self._err(name, "backup.enabled", "a production tenant is always backed up; remove enabled: false")
        schedule = raw.get("schedule", "0 3 * * *")
        if not isinstance(schedule, str) or not (
                schedule in CRON_MACROS or (len(schedule.split()) == 5 and all(CRON_FIELD_RE.match(f) for f in schedule.split()))):
            self._err(name, "backup.schedule", f"{schedule!r} is not a cron schedule: five fields such as '0 3 * * *', "
                      f"or one of {', '.join(CRON_MACROS)}")
        retention = raw.get("retention_days", 14 if environment == "production" else 7)
        if isinstance(retention, bool) or not isinstance(retention, int) or not 1 <= retention <= 3650:
            self._err(name, "backup.retention_days", f"{retention!r} must be a number of days from 1 to 3650")
        return {"enabled": enabled, "schedule": schedule, "retention_days": retention}

    def _hosts(self, name: str, raw: t.Any) -> list[dict[str, t.Any]]:
        if not isinstance(raw, list) or not raw:
            self._err(name, "hosts", "a dedicated tenant needs its hosts: a list of {name, address, roles} with the "
                      f"roles {', '.join(HOST_ROLES)}")
            return []
        hosts = []
        counts = {role: 0 for role in HOST_ROLES}
        for index, host in enumerate(raw):
            field = f"hosts[{index}]"
            if not isinstance(host, dict):
                self._err(name, field, "each host must be a mapping {name, address, roles}")
                continue
            hostname = host.get("name")
            if (not isinstance(hostname, str) or len(hostname) > 253
                    or not all(LABEL_RE.match(label) for label in hostname.split("."))):
                self._err(name, f"{field}.name", f"{hostname!r} is not a host name (lower-case DNS labels, such as "
                          "app1.acme.example)")
                continue
            field = f"host {hostname!r}"
            self._unknown_keys(name, field, host, HOST_KEYS)
            address = self._address(name, f"{field} address", host.get("address"))
            ansible_host = host.get("ansible_host")
            if ansible_host is not None and (not isinstance(ansible_host, str) or not ansible_host
                                             or SPACE_RE.search(ansible_host)):
                self._err(name, f"{field} ansible_host", f"{ansible_host!r} is not an address or host name")
            roles = host.get("roles")
            if not isinstance(roles, list) or not roles:
                self._err(name, f"{field} roles", f"is required: a list of {', '.join(HOST_ROLES)}")
                roles = []
            for role in roles:
                if role not in HOST_ROLES:
                    self._err(name, f"{field} roles", f"{role!r} is not one of {', '.join(HOST_ROLES)}")
                else:
                    counts[role] += 1
            if "postgresql_primary" in roles and "postgresql_replica" in roles:
                self._err(name, f"{field} roles", "a host is either postgresql_primary or postgresql_replica, not both")
            hosts.append({
                "name": hostname,
                "address": str(address) if address is not None else None,
                "ansible_host": ansible_host,
                "roles": [r for r in HOST_ROLES if r in roles],
                "vars": self._vars(name, f"{field} vars", host.get("vars", {})),
            })
        for role in ("traefik", "odoo", "redis"):
            if not counts[role]:
                self._err(name, "hosts", f"no host has the role {role}; site.yml needs at least one")
        if counts["postgresql_primary"] != 1:
            self._err(name, "hosts", f"{counts['postgresql_primary']} hosts have the role postgresql_primary; "
                      "give it to exactly one (the others postgresql_replica)")
        return hosts

    # -- across the catalog ----------------------------------------------------------------------
    def _unique(self) -> None:
        seen: dict[tuple[str, str], str] = {}

        def claim(kind: str, value: str, owner: str, what: str) -> None:
            key = (kind, value)
            if key in seen:
                first = seen[key]
                self._err(owner, what, f"{value!r} is already {kind} of tenant {first!r}; give each tenant its own"
                          if first != owner else f"{value!r} is listed twice")
            else:
                seen[key] = owner

        for rec in self.records:
            name = rec["name"]
            if ("name", name) in seen:
                self._err(name, "name", "is used by two tenants of the catalog; tenant names are unique")
                continue
            seen[("name", name)] = name
        for rec in self.records:
            name = rec["name"]
            if rec["tier"] == "shared":
                claim("the inventory host", name, name, "name")
            for domain in rec["domains"]:
                claim("a domain", str(domain), name, f"domains {domain!r}")
            for host in rec["hosts"]:
                claim("the inventory host", host["name"], name, f"host {host['name']!r}")
                if host["address"]:
                    claim("the address", host["address"], name, f"host {host['name']!r} address")
            db = rec["database"]
            if db["placement"] == "shared" and db["server"]:
                claim(f"the database on {db['server']}", db["name"], name, "database.name")

    def _previous_allocations(self, allocations: t.Any) -> dict[str, t.Any]:
        if allocations is None:
            return {}
        if not isinstance(allocations, dict) or not isinstance(allocations.get("allocations", {}), dict):
            self._err(None, "allocations_file", "is not an allocations file (a mapping with 'allocations: "
                      "{tenant: network}'); fix or delete it")
            return {}
        previous = {}
        for tenant, value in (allocations.get("allocations") or {}).items():
            net = self._cidr(str(tenant), "allocations_file", value)
            if net is not None:
                previous[str(tenant)] = net
        return previous

    def _networks(self) -> None:
        """Networks given in the catalog must not overlap; hosts' addresses belong to their tenant's network."""
        spans = []
        for rec in self.records:
            if rec["network"]:
                net = netaddr.IPNetwork(rec["network"])
                spans.append((net.version, net.first, net.last, rec["name"], str(net.cidr)))
        spans.sort()
        for (v1, _f1, l1, t1, c1), (v2, f2, _l2, t2, c2) in zip(spans, spans[1:]):
            if v1 == v2 and f2 <= l1:
                self._err(t2, "network", f"{c2} overlaps {c1} of tenant {t1!r}; give each tenant its own range")
        self.spans = spans
        for rec in self.records:
            own = netaddr.IPNetwork(rec["network"]) if rec["network"] else None
            for host in rec["hosts"]:
                if not host["address"]:
                    continue
                address = netaddr.IPAddress(host["address"])
                if own is not None and address not in own:
                    self._err(rec["name"], f"host {host['name']!r} address",
                              f"{address} is outside the tenant's network {own}; fix the address or the network")
                for version, first, last, other, cidr in spans:
                    if other != rec["name"] and version == address.version and first <= int(address) <= last:
                        self._err(rec["name"], f"host {host['name']!r} address",
                                  f"{address} is inside {cidr}, the network of tenant {other!r}")

    def _allocate(self, previous: dict[str, t.Any]) -> None:
        """Ranges for shared tenants without a network: recorded ones first, then a slot from the name's hash."""
        pool, prefix = self.pool, self.prefix_length
        host_bits = _width(pool) - prefix
        slots = 1 << (prefix - pool.prefixlen)
        taken: dict[int, str] = {}

        def block(first: int, last: int, owner: str) -> None:
            if last < pool.first or first > pool.last:
                return
            lo = (max(first, pool.first) - pool.first) >> host_bits
            hi = (min(last, pool.last) - pool.first) >> host_bits
            for slot in range(lo, hi + 1):
                taken.setdefault(slot, owner)

        for version, first, last, owner, _cidr in self.spans:
            if version == pool.version:
                block(first, last, owner)
        for rec in self.records:
            for host in rec["hosts"]:
                if host["address"]:
                    addr = netaddr.IPAddress(host["address"])
                    if addr.version == pool.version:
                        block(int(addr), int(addr), rec["name"])

        pinned = {rec["name"] for rec in self.records if rec["network"]}
        wanted = sorted(rec["name"] for rec in self.records if rec["tier"] == "shared" and not rec["network"])
        wanted_set = set(wanted)
        # Recorded ranges are kept as they are, also those of tenants that left the catalog (reserved).
        for tenant, net in sorted(previous.items()):
            if tenant in pinned:
                self.new_allocations = True  # the catalog gives it a network now: its recorded range is released
                continue
            slot = (net.first - pool.first) >> host_bits if net.version == pool.version and net in pool else None
            if slot is None or net.prefixlen != prefix or slot in taken:
                if tenant in wanted_set:
                    self.new_allocations = True  # outside the pool now, or a network of the catalog covers it
                continue
            taken[slot] = tenant
            self.allocations[tenant] = str(net.cidr)
        for tenant in wanted:
            if tenant in self.allocations:
                continue
            start = int.from_bytes(hashlib.sha256(tenant.encode()).digest()[:8], "big") % slots
            for probe in range(slots):
                slot = (start + probe) % slots
                if slot not in taken:
                    break
            else:
                self._err(tenant, "network", f"the pool {pool} has no free /{prefix} left; give a larger pool, a "
                          "longer prefix_length, or the tenant a network")
                continue
            taken[slot] = tenant
            net = netaddr.IPNetwork(f"{netaddr.IPAddress(pool.first + (slot << host_bits), pool.version)}/{prefix}")
            self.allocations[tenant] = str(net.cidr)
            self.new_allocations = True
        for rec in self.records:
            if rec["name"] in wanted_set and rec["name"] in self.allocations:
                rec["network"] = self.allocations[rec["name"]]
                rec["network_allocated"] = True

    def tenants(self) -> list[dict[str, t.Any]]:
        return self.records


def _plain(value: t.Any) -> t.Any:
    """Options come as Ansible's tagged types; the catalog is plain data (JMESPath's functions check types)."""
    return json.loads(json.dumps(value))


def _read_yaml(path: str, what: str) -> t.Any:
    """YAML, or JSON for a file named *.json (a generated catalog: JSON loads many times faster)."""
    try:
        with open(path, encoding="utf-8") as handle:
            if path.endswith(".json"):
                return json.load(handle)
            # libyaml's loader when PyYAML has it: a 10,000-tenant catalog loads in a fraction of the time.
            return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # nosec B506: a safe loader
    except OSError as exc:
        raise AnsibleParserError(f"cannot read the {what} {path}: {to_native(exc)}") from exc
    except UnicodeDecodeError as exc:
        raise AnsibleParserError(f"the {what} {path} is not UTF-8 text: {to_native(exc)}") from exc
    except json.JSONDecodeError as exc:
        raise AnsibleParserError(f"the {what} {path} is not valid JSON: {to_native(exc)}") from exc
    except yaml.YAMLError as exc:
        raise AnsibleParserError(f"the {what} {path} is not valid YAML: {to_native(exc)}") from exc


def _write_allocations(path: str, pool: str, prefix_length: int, allocations: dict[str, str]) -> None:
    text = ("---\n# Written by the odoo_cloud.platform.tenants inventory plugin: the ranges it gave to shared tenants\n"
            "# without a network. Keep it with the catalog; a removed tenant's line reserves its range until deleted.\n"
            + yaml.safe_dump({"pool": str(pool), "prefix_length": int(prefix_length),
                              "allocations": {str(k): str(v) for k, v in sorted(allocations.items())}},
                             default_flow_style=False, sort_keys=False))
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tenants-allocations.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        raise AnsibleParserError(f"cannot write the allocations file {path}: {to_native(exc)}") from exc


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = "odoo_cloud.platform.tenants"

    def verify_file(self, path: str) -> bool:
        if super().verify_file(path):
            return path.endswith(("tenants.yml", "tenants.yaml"))
        return False

    def _relative(self, source: str, value: str) -> str:
        value = os.path.expanduser(value)
        return value if os.path.isabs(value) else os.path.join(os.path.dirname(os.path.abspath(source)), value)

    def _load(self, path: str) -> dict[str, t.Any]:
        """Reads and validates the catalog; the result is JSON-safe (it is what the cache keeps)."""
        catalog_path = self.get_option("catalog")
        inline = self.get_option("tenants")
        if (catalog_path is None) == (inline is None):
            raise AnsibleParserError(f"{path}: give exactly one of 'catalog' (a path) and 'tenants' (inline)")
        cluster: dict[str, t.Any] = {}
        if catalog_path is not None:
            catalog_path = self._relative(path, catalog_path)
            data = _read_yaml(catalog_path, "tenant catalog")
            if not isinstance(data, dict) or "tenants" not in data:
                raise AnsibleParserError(f"the tenant catalog {catalog_path} must be a mapping with a 'tenants' list "
                                         "(and optionally 'cluster')")
            unknown = sorted(str(k) for k in data if k not in ("tenants", "cluster"))
            if unknown:
                raise AnsibleParserError(f"the tenant catalog {catalog_path}: unknown top-level key(s) "
                                         f"{', '.join(unknown)}; known: tenants, cluster")
            raw_tenants = data["tenants"]
            cluster = data.get("cluster") or {}
            source = catalog_path
        else:
            raw_tenants = _plain(inline)
            source = path
        if isinstance(cluster, dict) and self.get_option("cluster"):
            cluster = {**cluster, **_plain(self.get_option("cluster"))}
        allocations_path = self.get_option("allocations_file")
        previous = None
        if allocations_path:
            allocations_path = self._relative(path, allocations_path)
            if os.path.exists(allocations_path):
                previous = _read_yaml(allocations_path, "allocations file") or {}
        try:
            catalog = Catalog(raw_tenants, cluster, self.get_option("pool"), self.get_option("prefix_length"),
                              self.get_option("namespace_prefix"), previous)
        except CatalogError as exc:
            raise AnsibleParserError(
                f"the tenant catalog {source} has {len(exc.errors)} error(s); nothing was added to the inventory:\n  - "
                + "\n  - ".join(exc.errors)) from None
        if allocations_path and catalog.new_allocations:
            _write_allocations(allocations_path, self.get_option("pool"), self.get_option("prefix_length"),
                               catalog.allocations)
        return {"tenants": catalog.tenants(), "cluster": catalog.cluster}

    def _selected(self, tenants: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
        expression = self.get_option("filter")
        if not expression:
            return tenants
        if jmespath is None:
            raise AnsibleParserError("the tenants inventory plugin's 'filter' option requires the jmespath Python "
                                     "library (pip install jmespath)")
        try:
            compiled = jmespath.compile(expression)
            return [tenant for tenant in tenants if compiled.search(tenant)]
        except jmespath.exceptions.JMESPathError as exc:
            raise AnsibleParserError(f"filter {expression!r} is not a usable JMESPath expression: {exc}") from exc

    def parse(self, inventory: t.Any, loader: t.Any, path: str, cache: bool = True) -> None:
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        cache_key = self.get_cache_key(path)
        user_cache_setting = self.get_option("cache")
        attempt_to_read_cache = user_cache_setting and cache
        cache_needs_update = user_cache_setting and not cache
        data = None
        if attempt_to_read_cache:
            try:
                data = self._cache[cache_key]
            except KeyError:
                cache_needs_update = True
            # Kept as one JSON text: a cache plugin decodes it as one string, not 60,000 objects through its
            # own (slower) decoder; an entry written as a structure by an earlier version is used as it is.
            if isinstance(data, str):
                data = json.loads(data)
        if data is None:
            data = self._load(path)
        if cache_needs_update:
            self._cache[cache_key] = json.dumps(data, separators=(",", ":"))
        self._populate(self._selected(data["tenants"]), data["cluster"])

    # -- inventory -------------------------------------------------------------------------------
    def _group(self, name: str, parent: str | None = None) -> str:
        self.inventory.add_group(name)
        if parent:
            self.inventory.add_group(parent)
            self.inventory.add_child(parent, name)
        return name

    def _host(self, host: str, hostvars: dict[str, t.Any], groups: list[str]) -> None:
        inventory = self.inventory
        inventory.add_host(host)
        for group in groups:
            inventory.add_child(group, host)
        for key, value in hostvars.items():
            inventory.set_variable(host, key, value)
        # Read once per parse (_populate): 10,000 hosts would read each option 10,000 times.
        compose, composed, keyed, strict = self._constructed
        if compose:
            self._set_composite_vars(compose, hostvars, host, strict=strict)
        if composed:
            self._add_host_to_composed_groups(composed, hostvars, host, strict=strict)
        if keyed:
            self._add_host_to_keyed_groups(keyed, hostvars, host, strict=strict)

    def _populate(self, tenants: list[dict[str, t.Any]], cluster: dict[str, t.Any]) -> None:
        self._constructed = (self.get_option("compose"), self.get_option("groups"), self.get_option("keyed_groups"),
                             self.get_option("strict"))
        for top in ("tier_dedicated", "tier_shared"):
            self._group(top)
        # site.yml's groups, shaped as in inventories/lab/hosts.yml.
        if any(tenant["tier"] == "dedicated" for tenant in tenants):
            self._group("docker_hosts")
            self._group("traefik", "docker_hosts")
            self._group("odoo", "docker_hosts")
            self._group("postgresql")
            self._group("postgresql_primary", "postgresql")
            self._group("postgresql_replicas", "postgresql")
            self._group("redis")
        for tenant in tenants:
            common = [
                self._group(f"tier_{tenant['tier']}"),
                self._group(f"size_{tenant['size']}"),
                self._group(f"env_{tenant['environment']}"),
                self._group(f"tenant_{group_name(tenant['name'])}"),
            ]
            if tenant["tier"] == "shared":
                self._shared(tenant, cluster, common)
            else:
                self._dedicated(tenant, common)

    def _tenant_vars(self, tenant: dict[str, t.Any]) -> dict[str, t.Any]:
        record = {k: v for k, v in tenant.items() if k != "vars"}
        if record["hosts"]:
            record["hosts"] = [{k: v for k, v in host.items() if k != "vars"} for host in record["hosts"]]
        return {"tenant": record, "tenant_name": tenant["name"], "tenant_environment": tenant["environment"],
                "tenant_size": tenant["size"], "tenant_resources": tenant["resources"],
                "tenant_network": tenant["network"]}

    def _shared(self, tenant: dict[str, t.Any], cluster: dict[str, t.Any], groups: list[str]) -> None:
        hostvars = self._tenant_vars(tenant)
        servers = cluster.get("database_servers") or {}
        hostvars.update({
            "ansible_connection": "local",
            "tenant_namespace": tenant["namespace"],
            "tenant_cluster": {k: v for k, v in cluster.items() if k != "database_servers"},
            "tenant_database_server": servers.get(tenant["database"]["server"]) if isinstance(servers, dict) else None,
        })
        hostvars.update(tenant["vars"])
        self._host(tenant["name"], hostvars, groups)

    def _dedicated(self, tenant: dict[str, t.Any], groups: list[str]) -> None:
        prefix = f"tenant_{group_name(tenant['name'])}"
        # The tenant's own copy of site.yml's groups, shaped the same way, under tenant_<name>.
        parents = {"traefik": "docker_hosts", "odoo": "docker_hosts",
                   "postgresql_primary": "postgresql", "postgresql_replicas": "postgresql"}
        own = {group: f"{prefix}_{group}" for group in STACK_GROUPS}
        for group in STACK_GROUPS:
            self._group(own[group], own[parents[group]] if group in parents else prefix)
        # The roles look for their peers in these groups: point them at the tenant's own.
        group_vars = {
            "odoo_group": own["odoo"],
            "odoo_postgresql_group": own["postgresql"],
            "odoo_postgresql_primary_group": own["postgresql_primary"],
            "odoo_redis_group": own["redis"],
            "postgresql_cluster_group": own["postgresql"],
            "postgresql_primary_group": own["postgresql_primary"],
            "postgresql_odoo_group": own["odoo"],
            "redis_odoo_group": own["odoo"],
            "traefik_odoo_group": own["odoo"],
            "host_firewall_proxy_group": own["traefik"],
            "host_firewall_odoo_group": own["odoo"],
            "host_firewall_postgresql_group": own["postgresql"],
            "host_firewall_redis_group": own["redis"],
            "host_firewall_redis_client_groups": [own["odoo"]],
        }
        size = tenant["resources"]
        instance = {
            "name": INSTANCE_NAMES[tenant["environment"]],
            "domain": tenant["domains"][0],
            "aliases": tenant["domains"][1:],
            "workers": size["workers"],
            "databases": [tenant["database"]["name"]],
        }
        role_groups = {"traefik": ["traefik"], "odoo": ["odoo"], "redis": ["redis"],
                       "postgresql_primary": ["postgresql_primary"], "postgresql_replica": ["postgresql_replicas"]}
        for host in tenant["hosts"]:
            hostvars = self._tenant_vars(tenant)
            hostvars.update(group_vars)
            hostvars["private_address"] = host["address"]
            if host["ansible_host"]:
                hostvars["ansible_host"] = host["ansible_host"]
            if "odoo" in host["roles"]:
                hostvars.update({"odoo_version": tenant["odoo_version"], "odoo_image": tenant["image"],
                                 "odoo_instances": [dict(instance)]})
            hostvars.update(tenant["vars"])
            hostvars.update(host["vars"])
            member = list(groups)
            for role in host["roles"]:
                for group in role_groups[role]:
                    member += [group, own[group]]
            self._host(host["name"], hostvars, member)
