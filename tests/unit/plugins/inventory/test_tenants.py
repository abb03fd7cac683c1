"""The odoo_cloud.platform.tenants inventory plugin: catalogs, validation, groups, allocation, options, cache."""

from __future__ import annotations

import copy
import json
import sys
import time
import typing as t
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader, inventory_loader

ROOT = Path(__file__).resolve().parents[4]
EXAMPLE = ROOT / "inventories" / "examples" / "tenants" / "platform.tenants.yml"
SIZES: dict[str, t.Any] = {}


def tenant_size(name: str) -> dict[str, t.Any]:
    return copy.deepcopy(SIZES[name])


@pytest.fixture(scope="module", autouse=True)
def _loader() -> t.Iterator[None]:
    """The plugin loader finds the plugin as ansible-inventory does, through Ansible's collection finder.

    The other test modules imported the collection as a plain namespace package; set their modules aside while
    the finder imports its own, and put them back afterwards.
    """
    saved = {k: v for k, v in sys.modules.items() if k == "ansible_collections" or k.startswith("ansible_collections.")}
    for key in saved:
        del sys.modules[key]
    init_plugin_loader([])
    from ansible_collections.odoo_cloud.platform.plugins.module_utils import _tenant_sizes

    SIZES.update(_tenant_sizes.SIZES)
    yield
    for key in [k for k in sys.modules if k == "ansible_collections" or k.startswith("ansible_collections.")]:
        del sys.modules[key]
    sys.modules.update(saved)


def _tenants_module() -> t.Any:
    return sys.modules["ansible_collections.odoo_cloud.platform.plugins.inventory.tenants"]


def dedicated(name: str = "acme", net: str = "10.20.0.0/24") -> dict[str, t.Any]:
    prefix = net.rsplit(".", 2)[0]
    return {
        "name": name,
        "tier": "dedicated",
        "size": "m",
        "environment": "production",
        "odoo_version": "18.0",
        "image": "registry.example.com/acme/odoo",
        "domains": [f"erp.{name}.example", f"www.{name}.example"],
        "network": net,
        "hosts": [
            {"name": f"edge1.{name}.example", "address": f"{prefix}.0.11", "ansible_host": "192.0.2.10", "roles": ["traefik"]},
            {"name": f"app1.{name}.example", "address": f"{prefix}.0.21", "roles": ["odoo"]},
            {"name": f"db1.{name}.example", "address": f"{prefix}.0.41", "roles": ["postgresql_primary"]},
            {"name": f"db2.{name}.example", "address": f"{prefix}.0.42", "roles": ["postgresql_replica"]},
            {"name": f"cache1.{name}.example", "address": f"{prefix}.0.31", "roles": ["redis"]},
        ],
    }


def shared(name: str, **extra: t.Any) -> dict[str, t.Any]:
    tenant = {"name": name, "tier": "shared", "size": "xs", "environment": "production", "odoo_version": "17.0",
              "domains": [f"erp.{name}.example"]}
    tenant.update(extra)
    return tenant


CLUSTER = {"api_server": "https://k8s.example:6443", "database_servers": {"pg1": {"hosts": ["10.30.0.41"]}}}


def catalog() -> dict[str, t.Any]:
    return {"cluster": copy.deepcopy(CLUSTER),
            "tenants": [dedicated(), shared("bakery"), shared("studio", size="s", environment="staging"),
                        shared("lab", environment="dev", network="10.241.0.0/28", backup={"enabled": False})]}


def parse(tmp_path: Path, config: dict[str, t.Any], cat: dict[str, t.Any] | None = None, cache: bool = True,
          name: str = "test.tenants.yml") -> InventoryData:
    if cat is not None:
        (tmp_path / "catalog.yml").write_text(yaml.safe_dump(cat), encoding="utf-8")
        config = {"catalog": "catalog.yml", **config}
    source = tmp_path / name
    source.write_text(yaml.safe_dump({"plugin": "odoo_cloud.platform.tenants", **config}), encoding="utf-8")
    plugin = inventory_loader.get("odoo_cloud.platform.tenants")
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), str(source), cache=cache)
    if config.get("cache"):
        plugin.update_cache_if_changed()  # what ansible-inventory does after parse
    return inventory


def hosts_of(inventory: InventoryData, group: str) -> list[str]:
    return sorted(h.name for h in inventory.groups[group].get_hosts())


def hostvars(inventory: InventoryData, host: str) -> dict[str, t.Any]:
    return inventory.get_host(host).get_vars()


# -- valid catalogs ------------------------------------------------------------------------------

def test_example_catalog_parses(tmp_path: Path) -> None:
    plugin = inventory_loader.get("odoo_cloud.platform.tenants")
    assert plugin.verify_file(str(EXAMPLE))
    inventory = InventoryData()
    before = (EXAMPLE.parent / "catalog.allocations.yml").read_text(encoding="utf-8")
    plugin.parse(inventory, DataLoader(), str(EXAMPLE), cache=False)
    assert (EXAMPLE.parent / "catalog.allocations.yml").read_text(encoding="utf-8") == before, "example allocations changed"
    for group in ("docker_hosts", "traefik", "odoo", "postgresql", "postgresql_primary", "postgresql_replicas", "redis",
                  "tier_dedicated", "tier_shared", "tenant_acme_manufacturing"):
        assert hosts_of(inventory, group), group
    assert len(hosts_of(inventory, "tier_shared")) == 4


def test_verify_file_wants_the_suffix(tmp_path: Path) -> None:
    plugin = inventory_loader.get("odoo_cloud.platform.tenants")
    for name, ok in (("a.tenants.yml", True), ("tenants.yaml", True), ("hosts.yml", False), ("a.tenants.json", False)):
        (tmp_path / name).write_text("plugin: odoo_cloud.platform.tenants\n", encoding="utf-8")
        assert plugin.verify_file(str(tmp_path / name)) is ok, name


def test_groups_of_a_catalog(tmp_path: Path) -> None:
    inv = parse(tmp_path, {}, catalog())
    assert hosts_of(inv, "tier_shared") == ["bakery", "lab", "studio"]
    assert hosts_of(inv, "tier_dedicated") == sorted(h["name"] for h in dedicated()["hosts"])
    assert hosts_of(inv, "size_xs") == ["bakery", "lab"]
    assert hosts_of(inv, "size_s") == ["studio"]
    assert hosts_of(inv, "env_staging") == ["studio"]
    assert hosts_of(inv, "env_dev") == ["lab"]
    assert hosts_of(inv, "tenant_bakery") == ["bakery"]
    assert hosts_of(inv, "traefik") == ["edge1.acme.example"]
    assert hosts_of(inv, "odoo") == ["app1.acme.example"]
    assert hosts_of(inv, "docker_hosts") == ["app1.acme.example", "edge1.acme.example"]
    assert hosts_of(inv, "postgresql") == ["db1.acme.example", "db2.acme.example"]
    assert hosts_of(inv, "postgresql_primary") == ["db1.acme.example"]
    assert hosts_of(inv, "postgresql_replicas") == ["db2.acme.example"]
    assert hosts_of(inv, "redis") == ["cache1.acme.example"]
    assert hosts_of(inv, "tenant_acme_postgresql_replicas") == ["db2.acme.example"]
    assert hosts_of(inv, "tenant_acme") == hosts_of(inv, "tier_dedicated")
    assert [g.name for g in inv.groups["tenant_acme_odoo"].parent_groups] == ["tenant_acme_docker_hosts"]


def test_dedicated_host_variables(tmp_path: Path) -> None:
    inv = parse(tmp_path, {}, catalog())
    app = hostvars(inv, "app1.acme.example")
    assert app["private_address"] == "10.20.0.21"
    assert app["odoo_version"] == "18.0"
    assert app["odoo_image"] == "registry.example.com/acme/odoo"
    assert app["odoo_instances"] == [{"name": "prod", "domain": "erp.acme.example", "aliases": ["www.acme.example"],
                                      "workers": SIZES["m"]["workers"], "databases": ["acme"]}]
    assert app["odoo_postgresql_group"] == "tenant_acme_postgresql"
    assert app["host_firewall_redis_client_groups"] == ["tenant_acme_odoo"]
    edge = hostvars(inv, "edge1.acme.example")
    assert edge["ansible_host"] == "192.0.2.10"
    assert "odoo_instances" not in edge
    assert edge["tenant"]["database"] == {"placement": "dedicated", "server": None, "name": "acme", "role": "odoo_acme"}


def test_the_instances_pass_the_odoo_instances_rules(tmp_path: Path) -> None:
    from ansible_collections.odoo_cloud.platform.plugins.filter.odoo_instances import odoo_instances

    inv = parse(tmp_path, {}, catalog())
    assert odoo_instances(hostvars(inv, "app1.acme.example")["odoo_instances"])[0]["databases"] == ["acme"]


def test_shared_host_variables(tmp_path: Path) -> None:
    inv = parse(tmp_path, {"namespace_prefix": "t-"}, catalog())
    bakery = hostvars(inv, "bakery")
    assert bakery["ansible_connection"] == "local"
    assert bakery["tenant_namespace"] == "t-bakery"
    assert bakery["tenant_resources"] == tenant_size("xs")
    assert bakery["tenant_cluster"] == {"api_server": "https://k8s.example:6443"}
    assert bakery["tenant_database_server"] == {"hosts": ["10.30.0.41"]}
    assert bakery["tenant"]["database"] == {"placement": "shared", "server": "pg1", "name": "bakery", "role": "odoo_bakery"}
    assert bakery["tenant"]["backup"] == {"enabled": True, "schedule": "0 3 * * *", "retention_days": 14}
    assert bakery["tenant"]["image"] == "docker.io/library/odoo"
    assert hostvars(inv, "studio")["tenant"]["backup"]["retention_days"] == 7
    assert hostvars(inv, "lab")["tenant_network"] == "10.241.0.0/28"
    assert hostvars(inv, "lab")["tenant"]["network_allocated"] is False


def test_inline_tenants_and_cluster_option(tmp_path: Path) -> None:
    inv = parse(tmp_path, {"tenants": [shared("one", odoo_version=16.0)], "cluster": CLUSTER})
    assert hosts_of(inv, "tier_shared") == ["one"]
    assert hostvars(inv, "one")["tenant"]["odoo_version"] == "16.0"
    assert "docker_hosts" not in inv.groups


def test_tenant_and_host_vars_are_applied(tmp_path: Path) -> None:
    cat = catalog()
    cat["tenants"][0]["vars"] = {"odoo_workers_reserve_mb": 512}
    cat["tenants"][0]["hosts"][1]["vars"] = {"odoo_publish_address": "10.20.0.21"}
    cat["tenants"][1]["vars"] = {"tenant_replicas_override": 1}
    inv = parse(tmp_path, {}, cat)
    assert hostvars(inv, "app1.acme.example")["odoo_publish_address"] == "10.20.0.21"
    assert hostvars(inv, "db1.acme.example")["odoo_workers_reserve_mb"] == 512
    assert hostvars(inv, "bakery")["tenant_replicas_override"] == 1


def test_two_dedicated_tenants_do_not_share_groups(tmp_path: Path) -> None:
    cat = catalog()
    cat["tenants"].append(dedicated("globex", "10.21.0.0/24"))
    inv = parse(tmp_path, {}, cat)
    assert hosts_of(inv, "odoo") == ["app1.acme.example", "app1.globex.example"]
    assert hosts_of(inv, "tenant_globex_odoo") == ["app1.globex.example"]
    assert hostvars(inv, "app1.globex.example")["odoo_redis_group"] == "tenant_globex_redis"


# -- validation ----------------------------------------------------------------------------------

def _set(path: str, value: t.Any) -> t.Callable[[dict[str, t.Any]], None]:
    def change(cat: dict[str, t.Any]) -> None:
        node: t.Any = cat
        keys = path.split("/")
        for key in keys[:-1]:
            node = node[int(key)] if isinstance(node, list) else node[key]
        last = keys[-1]
        if value is _DELETE:
            del node[last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return change


_DELETE = object()

ERRORS = [
    ("name-uppercase", _set("tenants/1/name", "Bakery"), "tenants[1].name: 'Bakery' is not a tenant name: a DNS-1123 label"),
    ("name-underscore", _set("tenants/1/name", "my_bakery"), "is not a tenant name"),
    ("name-too-long", _set("tenants/1/name", "a" * 59), "of at most 58 characters"),
    ("name-missing", _set("tenants/1/name", _DELETE), "tenants[1].name: None is not a tenant name"),
    ("tenant-not-mapping", _set("tenants/1", "bakery"), "tenants[1]: each tenant must be a mapping"),
    ("duplicate-name", _set("tenants/2/name", "bakery"), "tenant 'bakery': name: is used by two tenants"),
    ("unknown-key", _set("tenants/1/sise", "m"), "tenant 'bakery': keys: unknown key(s) sise"),
    ("tier", _set("tenants/1/tier", "premium"), "tenant 'bakery': tier: 'premium' is not one of dedicated, shared"),
    ("tier-missing", _set("tenants/1/tier", _DELETE), "tenant 'bakery': tier: is required"),
    ("size", _set("tenants/1/size", "xl"), "tenant 'bakery': size: 'xl' is not one of xs, s, m, l"),
    ("environment", _set("tenants/1/environment", "prod"), "environment: 'prod' is not one of production, staging, dev"),
    ("version", _set("tenants/1/odoo_version", "15.0"), "tenant 'bakery': odoo_version: '15.0' is not a known Odoo version"),
    ("version-missing", _set("tenants/1/odoo_version", _DELETE), "odoo_version: None is not a known Odoo version"),
    ("image-tag", _set("tenants/1/image", "odoo:17.0"), "image: 'odoo:17.0' carries a tag; give the repository only (odoo)"),
    ("image-space", _set("tenants/1/image", "my image"), "is not an image repository"),
    ("domains-missing", _set("tenants/1/domains", []), "tenant 'bakery': domains: is required"),
    ("domain-invalid", _set("tenants/1/domains", ["https://erp.bakery.example"]), "domains 'https://erp.bakery.example': is not a host name"),
    ("domain-upper", _set("tenants/1/domains", ["ERP.bakery.example"]), "must be lower case"),
    ("domain-duplicate", _set("tenants/2/domains", ["erp.bakery.example"]),
     "tenant 'studio': domains 'erp.bakery.example': 'erp.bakery.example' is already a domain of tenant 'bakery'"),
    ("domain-twice", _set("tenants/1/domains", ["erp.bakery.example", "erp.bakery.example"]), "is listed twice"),
    ("addon", _set("tenants/1/addons", ["Sale-Custom"]), "addons 'Sale-Custom': is not an Odoo module name"),
    ("addon-twice", _set("tenants/1/addons", ["sale", "sale"]), "addons: lists a module twice"),
    ("placement", _set("tenants/1/database", {"placement": "cloud"}), "database.placement: 'cloud' is not one of"),
    ("placement-dedicated-shared", _set("tenants/0/database", {"placement": "shared"}),
     "tenant 'acme': database.placement: a dedicated tenant's database is on its own postgresql_primary"),
    ("db-server", _set("tenants/1/database", {"server": "pg9"}), "database.server: 'pg9' is not one of cluster.database_servers (pg1)"),
    ("db-name", _set("tenants/1/database", {"name": "template1"}), "database.name: 'template1' is not a usable database name"),
    ("db-name-shared-twice", _set("tenants/2/database", {"name": "bakery"}),
     "tenant 'studio': database.name: 'bakery' is already the database on pg1 of tenant 'bakery'"),
    ("db-unknown", _set("tenants/1/database", {"size": 5}), "database: unknown key(s) size"),
    ("backup-prod-off", _set("tenants/1/backup", {"enabled": False}), "backup.enabled: a production tenant is always backed up"),
    ("backup-schedule", _set("tenants/1/backup", {"schedule": "daily"}), "backup.schedule: 'daily' is not a cron schedule"),
    ("backup-retention", _set("tenants/1/backup", {"retention_days": 0}), "backup.retention_days: 0 must be a number of days"),
    ("network-host-bits", _set("tenants/1/network", "10.242.0.5/28"), "network: '10.242.0.5/28' has host bits set; write the network, 10.242.0.0/28"),
    ("network-not-cidr", _set("tenants/1/network", "10.242.0.0"), "network: '10.242.0.0' is not a network in CIDR notation"),
    ("network-garbage", _set("tenants/1/network", "10.300.0.0/24"), "is not a network in CIDR notation"),
    ("network-overlap", _set("tenants/1/network", "10.20.0.128/25"), "overlaps"),
    ("network-overlap-shared", _set("tenants/1/network", "10.241.0.0/24"), "10.241.0.0/24 overlaps 10.241.0.0/28 of tenant 'lab'"),
    ("shared-with-hosts", _set("tenants/1/hosts", [{"name": "x", "address": "10.0.0.1", "roles": ["odoo"]}]),
     "tenant 'bakery': hosts: a shared tenant runs on the cluster and has no hosts"),
    ("dedicated-no-hosts", _set("tenants/0/hosts", _DELETE), "tenant 'acme': hosts: a dedicated tenant needs its hosts"),
    ("host-name", _set("tenants/0/hosts/0/name", "Edge_1"), "hosts[0].name: 'Edge_1' is not a host name"),
    ("host-address", _set("tenants/0/hosts/0/address", "10.20.0.300"), "host 'edge1.acme.example' address: '10.20.0.300' is not an IP address"),
    ("host-address-prefix", _set("tenants/0/hosts/0/address", "10.20.0.11/24"), "is not an IP address; write one address"),
    ("host-address-outside", _set("tenants/0/hosts/0/address", "10.99.0.11"), "10.99.0.11 is outside the tenant's network 10.20.0.0/24"),
    ("host-address-duplicate", _set("tenants/0/hosts/1/address", "10.20.0.11"), "'10.20.0.11' is listed twice"),
    ("host-address-in-other", _set("tenants/0/network", _DELETE), None),
    ("host-role", _set("tenants/0/hosts/0/roles", ["nginx"]), "roles: 'nginx' is not one of traefik"),
    ("host-no-traefik", _set("tenants/0/hosts/0/roles", ["odoo"]), "hosts: no host has the role traefik"),
    ("host-two-primaries", _set("tenants/0/hosts/3/roles", ["postgresql_primary"]), "2 hosts have the role postgresql_primary"),
    ("host-primary-and-replica", _set("tenants/0/hosts/2/roles", ["postgresql_primary", "postgresql_replica"]),
     "either postgresql_primary or postgresql_replica"),
    ("host-unknown-key", _set("tenants/0/hosts/0/ip", "1.2.3.4"), "host 'edge1.acme.example': unknown key(s) ip"),
    ("host-ansible-host", _set("tenants/0/hosts/0/ansible_host", "a b"), "ansible_host: 'a b' is not an address or host name"),
    ("vars-name", _set("tenants/1/vars", {"bad-name": 1}), "vars 'bad-name': is not a variable name"),
    ("host-clashes-tenant", _set("tenants/0/hosts/0/name", "bakery"), "'bakery' is already the inventory host of tenant"),
    ("tenants-not-list", _set("tenants", {"bakery": {}}), "tenants: must be a list of tenants"),
]


@pytest.mark.parametrize(("case", "change", "message"), [e for e in ERRORS if e[2]], ids=[e[0] for e in ERRORS if e[2]])
def test_every_validation_error(tmp_path: Path, case: str, change: t.Callable, message: str) -> None:
    cat = catalog()
    change(cat)
    with pytest.raises(AnsibleParserError) as error:
        parse(tmp_path, {}, cat)
    text = str(error.value)
    assert message in text, text
    assert "nothing was added to the inventory" in text or "unknown" in text


def test_an_address_inside_another_tenants_network(tmp_path: Path) -> None:
    cat = catalog()
    cat["tenants"][1]["network"] = "10.20.0.0/28"
    del cat["tenants"][0]["network"]
    with pytest.raises(AnsibleParserError, match=r"10.20.0.11 is inside 10.20.0.0/28, the network of tenant 'bakery'"):
        parse(tmp_path, {}, cat)


def test_every_error_is_reported_at_once_and_nothing_is_added(tmp_path: Path) -> None:
    cat = catalog()
    cat["tenants"][1]["size"] = "xxl"
    cat["tenants"][2]["odoo_version"] = "12.0"
    source = tmp_path / "x.tenants.yml"
    (tmp_path / "catalog.yml").write_text(yaml.safe_dump(cat), encoding="utf-8")
    source.write_text(yaml.safe_dump({"plugin": "odoo_cloud.platform.tenants", "catalog": "catalog.yml"}), encoding="utf-8")
    inventory = InventoryData()
    with pytest.raises(AnsibleParserError) as error:
        inventory_loader.get("odoo_cloud.platform.tenants").parse(inventory, DataLoader(), str(source), cache=False)
    assert "has 2 error(s)" in str(error.value)
    assert "tenant 'bakery': size" in str(error.value) and "tenant 'studio': odoo_version" in str(error.value)
    assert set(inventory.hosts) == set()


@pytest.mark.parametrize(("config", "message"), [
    ({}, "give exactly one of 'catalog' (a path) and 'tenants' (inline)"),
    ({"catalog": "c.yml", "tenants": []}, "give exactly one of"),
    ({"catalog": "missing.yml"}, "cannot read the tenant catalog"),
    ({"tenants": [shared("a")], "pool": "10.0.0.0/33"}, "pool: '10.0.0.0/33' is not a network"),
    ({"tenants": [shared("a")], "pool": "10.0.0.0/24", "prefix_length": 20}, "prefix_length: 20 does not fit the pool"),
    ({"tenants": [shared("a")], "cluster": {"database_servers": {}}}, "the catalog has none: add cluster.database_servers"),
    ({"tenants": [shared("a", database={"server": "x"})], "cluster": {"database_servers": ["x"]}},
     "cluster.database_servers: must be a mapping"),
])
def test_source_errors(tmp_path: Path, config: dict[str, t.Any], message: str) -> None:
    config.setdefault("cluster", CLUSTER)
    with pytest.raises(AnsibleParserError) as error:
        parse(tmp_path, config)
    assert message in str(error.value)


@pytest.mark.parametrize(("text", "message"), [
    ("tenants: [\n", "is not valid YAML"),
    ("- a\n", "must be a mapping with a 'tenants' list"),
    ("tenants: []\nclusters: {}\n", "unknown top-level key(s) clusters"),
])
def test_catalog_file_errors(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "bad.yml").write_text(text, encoding="utf-8")
    with pytest.raises(AnsibleParserError) as error:
        parse(tmp_path, {"catalog": str(tmp_path / "bad.yml")})
    assert message in str(error.value)


def test_a_json_catalog_gives_the_same_inventory(tmp_path: Path) -> None:
    from_yaml = parse(tmp_path, {}, catalog())
    (tmp_path / "catalog.json").write_text(json.dumps(catalog()), encoding="utf-8")
    from_json = parse(tmp_path, {"catalog": "catalog.json"}, name="json.tenants.yml")
    assert sorted(from_json.hosts) == sorted(from_yaml.hosts)
    for host in from_yaml.hosts:
        assert hostvars(from_json, host) == hostvars(from_yaml, host), host
    assert {g: hosts_of(from_json, g) for g in from_json.groups} == {g: hosts_of(from_yaml, g) for g in from_yaml.groups}


@pytest.mark.parametrize(("raw", "message"), [
    (b'{"tenants": [}', "is not valid JSON"),
    (b'{"tenants": ["' + bytes([0xFF]) + b'"]}', "is not UTF-8 text"),
])
def test_json_catalog_errors(tmp_path: Path, raw: bytes, message: str) -> None:
    (tmp_path / "bad.json").write_bytes(raw)
    with pytest.raises(AnsibleParserError) as error:
        parse(tmp_path, {"catalog": "bad.json"})
    assert message in str(error.value) and "bad.json" in str(error.value)


def test_a_full_pool(tmp_path: Path) -> None:
    tenants = [shared(f"t{i}") for i in range(5)]
    with pytest.raises(AnsibleParserError, match=r"the pool 10.9.0.0/26 has no free /28 left"):
        parse(tmp_path, {"tenants": tenants, "cluster": CLUSTER, "pool": "10.9.0.0/26"})


def test_a_bad_allocations_file(tmp_path: Path) -> None:
    (tmp_path / "alloc.yml").write_text("allocations: [1, 2]\n", encoding="utf-8")
    with pytest.raises(AnsibleParserError, match="is not an allocations file"):
        parse(tmp_path, {"tenants": [shared("a")], "cluster": CLUSTER, "allocations_file": "alloc.yml"})


def test_netaddr_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    inventory_loader.get("odoo_cloud.platform.tenants")
    tenants = _tenants_module()
    monkeypatch.setattr(tenants, "netaddr", None)
    with pytest.raises(AnsibleError, match="requires the netaddr Python library"):
        tenants.Catalog([], {}, "10.0.0.0/16", 28)


# -- allocation ----------------------------------------------------------------------------------

def _networks(inventory: InventoryData) -> dict[str, str]:
    return {h: hostvars(inventory, h)["tenant_network"] for h in hosts_of(inventory, "tier_shared")}


def test_allocation_is_in_the_pool_and_disjoint(tmp_path: Path) -> None:
    import netaddr

    tenants = [shared(f"t{i}") for i in range(40)] + [shared("pinned", network="10.8.0.0/26")]
    nets = _networks(parse(tmp_path, {"tenants": tenants, "cluster": CLUSTER, "pool": "10.8.0.0/22"}))
    assert nets["pinned"] == "10.8.0.0/26"
    allocated = [netaddr.IPNetwork(v) for k, v in nets.items() if k != "pinned"]
    assert all(n.prefixlen == 28 and n in netaddr.IPNetwork("10.8.0.0/22") for n in allocated)
    assert not any(n in netaddr.IPNetwork("10.8.0.0/26") for n in allocated)
    assert len(set(map(str, allocated))) == 40


def test_allocation_keeps_clear_of_dedicated_networks_and_hosts(tmp_path: Path) -> None:
    cat = {"cluster": CLUSTER, "tenants": [dedicated("acme", "10.8.0.0/24")] + [shared(f"t{i}") for i in range(16)]}
    nets = _networks(parse(tmp_path, {"pool": "10.8.0.0/23"}, cat))
    assert all(n.startswith("10.8.1.") for n in nets.values()), nets


def test_allocation_is_stable_when_tenants_come_and_go(tmp_path: Path) -> None:
    """A small pool forces hash collisions; the allocations file keeps every range where it was."""
    config = {"cluster": CLUSTER, "pool": "10.9.0.0/24", "allocations_file": "alloc.yml"}
    names = [f"tenant-{i}" for i in range(10)]
    first = _networks(parse(tmp_path, {**config, "tenants": [shared(n) for n in names]}))
    assert len(set(first.values())) == 10
    recorded = yaml.safe_load((tmp_path / "alloc.yml").read_text(encoding="utf-8"))
    assert recorded == {"pool": "10.9.0.0/24", "prefix_length": 28, "allocations": first}
    # Remove three, add four (in front of the others by name): nobody that stayed moves.
    changed = [n for n in names if n not in ("tenant-0", "tenant-3", "tenant-7")] + ["a-new", "b-new", "tenant-00", "z"]
    second = _networks(parse(tmp_path, {**config, "tenants": [shared(n) for n in changed]}))
    for name in changed:
        if name in first:
            assert second[name] == first[name], name
    # The removed tenants' ranges stay reserved: no newcomer got one.
    assert not set(second[n] for n in changed if n not in first) & {first["tenant-0"], first["tenant-3"], first["tenant-7"]}
    # The same catalog again: the same ranges, and the file is not rewritten.
    mtime = (tmp_path / "alloc.yml").stat().st_mtime_ns
    assert _networks(parse(tmp_path, {**config, "tenants": [shared(n) for n in changed]})) == second
    assert (tmp_path / "alloc.yml").stat().st_mtime_ns == mtime


def test_allocation_without_a_file_depends_on_the_name_only(tmp_path: Path) -> None:
    """In a roomy pool (no collisions), each range follows from the tenant's name alone."""
    config = {"cluster": CLUSTER, "pool": "10.64.0.0/12"}
    names = [f"shop-{i}" for i in range(30)]
    first = _networks(parse(tmp_path, {**config, "tenants": [shared(n) for n in names]}))
    changed = names[5:] + ["newcomer", "another"]
    second = _networks(parse(tmp_path, {**config, "tenants": [shared(n) for n in changed]}))
    assert all(second[n] == first[n] for n in names[5:])


def test_a_pinned_network_releases_the_recorded_range(tmp_path: Path) -> None:
    config = {"cluster": CLUSTER, "pool": "10.9.0.0/24", "allocations_file": "alloc.yml"}
    parse(tmp_path, {**config, "tenants": [shared("a"), shared("b")]})
    parse(tmp_path, {**config, "tenants": [shared("a", network="10.50.0.0/28"), shared("b")]})
    assert set(yaml.safe_load((tmp_path / "alloc.yml").read_text(encoding="utf-8"))["allocations"]) == {"b"}


def test_ten_thousand_tenants(tmp_path: Path) -> None:
    cat = {"cluster": CLUSTER, "tenants": [shared(f"tenant-{i:05d}") for i in range(10000)]}
    start = time.monotonic()
    inv = parse(tmp_path, {"pool": "10.0.0.0/12"}, cat)
    elapsed = time.monotonic() - start
    nets = _networks(inv)
    assert len(nets) == 10000 and len(set(nets.values())) == 10000
    assert elapsed < 60, elapsed  # a loose bound for a loaded CI machine; bench/ measures it


# -- options -------------------------------------------------------------------------------------

def test_filter_selects_tenants_after_validating_all(tmp_path: Path) -> None:
    inv = parse(tmp_path, {"filter": "tier == 'shared' && environment == 'production'"}, catalog())
    assert sorted(inv.hosts) == ["bakery"]
    cat = catalog()
    cat["tenants"][0]["size"] = "huge"
    with pytest.raises(AnsibleParserError, match="tenant 'acme': size"):
        parse(tmp_path, {"filter": "name == 'bakery'"}, cat)


def test_filter_on_nested_fields(tmp_path: Path) -> None:
    inv = parse(tmp_path, {"filter": "resources.workers >= `4`"}, catalog())
    assert sorted(inv.hosts) == sorted(["studio"] + [h["name"] for h in dedicated()["hosts"]])


def test_filter_functions_on_inline_tenants(tmp_path: Path) -> None:
    tenants = [shared("bakery"), shared("studio", addons=["website_sale"]), shared("bistro")]
    inv = parse(tmp_path, {"tenants": tenants, "cluster": CLUSTER, "filter": "starts_with(name, 'b')"})
    assert sorted(inv.hosts) == ["bakery", "bistro"]
    inv = parse(tmp_path, {"tenants": tenants, "cluster": CLUSTER, "filter": "contains(addons, 'website_sale')"})
    assert sorted(inv.hosts) == ["studio"]


def test_a_bad_filter(tmp_path: Path) -> None:
    with pytest.raises(AnsibleParserError, match="is not a usable JMESPath expression"):
        parse(tmp_path, {"filter": "tier == "}, catalog())


def test_filter_needs_jmespath(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inventory_loader.get("odoo_cloud.platform.tenants")
    monkeypatch.setattr(_tenants_module(), "jmespath", None)
    with pytest.raises(AnsibleParserError, match="requires the jmespath Python library"):
        parse(tmp_path, {"filter": "tier == 'shared'"}, catalog())


def test_constructable_options(tmp_path: Path) -> None:
    config = {
        "compose": {"tenant_upper": "tenant_name | upper"},
        "groups": {"big": "tenant_size in ['m', 'l']"},
        "keyed_groups": [{"key": "tenant.odoo_version", "prefix": "odoo"}],
    }
    inv = parse(tmp_path, config, catalog())
    assert hostvars(inv, "bakery")["tenant_upper"] == "BAKERY"
    assert hosts_of(inv, "big") == hosts_of(inv, "tier_dedicated")
    assert hosts_of(inv, "odoo_17_0") == ["bakery", "lab", "studio"]
    assert hosts_of(inv, "odoo_18_0") == hosts_of(inv, "tier_dedicated")


def test_constructable_strict(tmp_path: Path) -> None:
    config = {"compose": {"x": "no_such_variable.field"}}
    inv = parse(tmp_path, {**config, "strict": False}, catalog())
    assert "x" not in hostvars(inv, "bakery")
    with pytest.raises(AnsibleError):
        parse(tmp_path, {**config, "strict": True}, catalog())


# -- cache ---------------------------------------------------------------------------------------

def test_cache_serves_until_refreshed(tmp_path: Path) -> None:
    cache = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(tmp_path / "cache"),
             "cache_timeout": 3600}
    first = parse(tmp_path, cache, catalog(), cache=True)
    assert list((tmp_path / "cache").iterdir()), "nothing was cached"
    entry = json.loads(next((tmp_path / "cache").iterdir()).read_text(encoding="utf-8"))
    if isinstance(entry, dict) and "__payload__" in entry:  # ansible-core 2.19+ wraps each value
        entry = json.loads(entry["__payload__"])
    assert isinstance(entry, str) and json.loads(entry)["tenants"], "the cache holds the catalog as one JSON text"
    broken = catalog()
    broken["tenants"][1]["size"] = "huge"
    # From the cache: the broken catalog is not read.
    cached = parse(tmp_path, cache, broken, cache=True)
    assert sorted(cached.hosts) == sorted(first.hosts)
    assert hostvars(cached, "bakery")["tenant"] == hostvars(first, "bakery")["tenant"]
    # --flush-cache (cache=False): read again, and refused.
    with pytest.raises(AnsibleParserError, match="tenant 'bakery': size"):
        parse(tmp_path, cache, broken, cache=False)


def test_without_the_cache_option_the_catalog_is_read_every_time(tmp_path: Path) -> None:
    parse(tmp_path, {}, catalog())
    broken = catalog()
    broken["tenants"][1]["size"] = "huge"
    with pytest.raises(AnsibleParserError):
        parse(tmp_path, {}, broken)


# -- sizes ---------------------------------------------------------------------------------------

def test_sizes_grow_and_fit_their_connection_limit() -> None:
    assert list(SIZES) == ["xs", "s", "m", "l"]
    previous = None
    for name, size in SIZES.items():
        processes = size["workers"] * size["web_replicas"] + size["max_cron_threads"]
        assert processes * size["db_maxconn"] <= size["db_connection_limit"], name
        assert size["cpu_request_m"] <= size["cpu_limit_m"] and size["memory_request_mb"] <= size["memory_limit_mb"]
        pods = size["web_replicas"] + 1
        assert pods * size["memory_limit_mb"] <= size["quota"]["limits_memory_mb"], name
        assert pods * size["cpu_limit_m"] <= size["quota"]["limits_cpu_m"], name
        assert pods * size["memory_request_mb"] <= size["quota"]["requests_memory_mb"], name
        assert pods * size["cpu_request_m"] <= size["quota"]["requests_cpu_m"], name
        if previous:
            assert all(size[k] >= previous[k] for k in ("workers", "cpu_limit_m", "memory_limit_mb", "filestore_gb"))
        previous = size
    copy_of = tenant_size("m")
    copy_of["quota"]["pods"] = 0
    assert SIZES["m"]["quota"]["pods"] != 0
