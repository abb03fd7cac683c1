"""platform_model and its slices (postgresql_members, odoo_cluster_clients, odoo_redis_users, peer_addresses,
redis_endpoint): the facts roles derive about each other's hosts."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.odoo_cloud.platform.plugins.filter.platform_model import (
    FilterModule,
    odoo_cluster_clients,
    odoo_redis_users,
    peer_addresses,
    platform_model,
    postgresql_members,
    redis_endpoint,
)

FACTS = {"processor_vcpus": 2, "memtotal_mb": 4096}


def stack() -> tuple[dict, dict]:
    """Two Odoo hosts, three members (one reached at a postgresql_address that is not its private one, one IPv6)."""
    hostvars = {
        "edge": {"private_address": "10.0.0.11"},
        "app1": {"private_address": "10.0.0.21", "ansible_facts": FACTS,
                 "odoo_instances": [{"name": "prod", "domain": "erp.example.com"},
                                    {"name": "staging", "domain": "staging.example.com", "http_port": 8169,
                                     "gevent_port": 8172, "workers": 0}]},
        "app2": {"private_address": "fd00::22", "odoo_publish_address": "10.1.0.22", "ansible_facts": FACTS,
                 "odoo_instances": [{"name": "shop", "domain": "shop.example.com"}]},
        "pg1": {"private_address": "10.0.0.31", "postgresql_address": "10.9.0.31"},
        "pg2": {"private_address": "10.0.0.32", "postgresql_port": 5433},
        "pg-3.b": {"ansible_host": "fd00::33"},
        "cache": {"private_address": "10.0.0.41", "redis_port": 6380},
    }
    groups = {
        "all": list(hostvars),
        "traefik": ["edge"],
        "odoo": ["app1", "app2"],
        "postgresql": ["pg1", "pg2", "pg-3.b"],
        "postgresql_primary": ["pg1"],
        "redis": ["cache"],
    }
    return hostvars, groups


def test_members_address_order_port_and_name():
    hostvars, groups = stack()
    assert postgresql_members(hostvars, groups["postgresql"]) == [
        # postgresql_address wins over private_address: Odoo and the other members reach it there
        {"host": "pg1", "address": "10.9.0.31", "port": 5432, "name": "pg1"},
        {"host": "pg2", "address": "10.0.0.32", "port": 5433, "name": "pg2"},
        {"host": "pg-3.b", "address": "fd00::33", "port": 5432, "name": "pg_3_b"},
    ]


def test_members_published_address_wins():
    hostvars, groups = stack()
    hostvars["pg2"]["postgresql_member"] = {"address": "192.0.2.32", "port": 6432}
    member = postgresql_members(hostvars, ["pg2"])[0]
    assert (member["address"], member["port"]) == ("192.0.2.32", 6432)


def test_members_fall_back_to_the_inventory_name():
    assert postgresql_members({"db.example.com": {}}, ["db.example.com"])[0]["address"] == "db.example.com"


@pytest.mark.parametrize("hosts, message", [
    ("pg1", "a list of inventory host names"),
    ({"pg1": {}}, "a list of inventory host names"),
    (["nowhere"], "host nowhere is not in the inventory"),
])
def test_members_refuse(hosts, message):
    hostvars, _groups = stack()
    with pytest.raises(AnsibleFilterError, match=message):
        postgresql_members(hostvars, hosts)


def test_members_refuse_a_bad_port():
    with pytest.raises(AnsibleFilterError, match="postgresql_port 'x' is not a port number"):
        postgresql_members({"pg": {"postgresql_port": "x"}}, ["pg"])


def test_cluster_clients_keep_the_cluster_hosts_only():
    hostvars, groups = stack()
    hostvars["app2"]["odoo_postgresql_group"] = "other_cluster"
    clients = odoo_cluster_clients(groups["odoo"], hostvars, "postgresql")
    assert [(c["host"], c["instance"], c["user"], c["address"]) for c in clients] == [
        ("app1", "prod", "odoo_prod", "10.0.0.21"),
        ("app1", "staging", "odoo_staging", "10.0.0.21"),
    ]
    assert [c["instance"] for c in odoo_cluster_clients(groups["odoo"], hostvars, "other_cluster")] == ["shop"]


def test_cluster_clients_ipv6_and_address_var():
    hostvars, groups = stack()
    clients = odoo_cluster_clients(["app2"], hostvars)
    assert clients[0]["address"] == "fd00::22"
    hostvars["app2"]["backend_address"] = "10.2.0.22"
    assert odoo_cluster_clients(["app2"], hostvars, address_var="backend_address")[0]["address"] == "10.2.0.22"


def test_cluster_clients_need_an_address():
    with pytest.raises(AnsibleFilterError, match="host app: no address it connects from; set private_address"):
        odoo_cluster_clients(["app"], {"app": {"odoo_instances": [{"name": "a", "domain": "a.example.com"}]}})


def test_model_slices():
    hostvars, groups = stack()
    model = platform_model(hostvars, groups)
    pg = model["postgresql"]
    assert [m["address"] for m in pg["members"]] == ["10.9.0.31", "10.0.0.32", "fd00::33"]
    assert pg["hint"] == ["pg1"]
    assert pg["primary"] == {"host": "pg1", "address": "10.9.0.31", "port": 5432, "name": "pg1", "source": "inventory"}
    assert [c["instance"] for c in pg["clients"]] == ["prod", "staging", "shop"]
    assert model["odoo"] == [
        {"host": "app1", "client_address": "10.0.0.21", "publish_address": "10.0.0.21", "cluster": "postgresql",
         "instances": ["prod", "staging"]},
        {"host": "app2", "client_address": "fd00::22", "publish_address": "10.1.0.22", "cluster": "postgresql",
         "instances": ["shop"]},
    ]
    assert model["redis"] == {"host": "cache", "address": "10.0.0.41", "port": 6380}
    assert [(r["name"], r["http_url"]) for r in model["routes"]] == [
        ("app1-prod", "http://10.0.0.21:8069"),
        ("app1-staging", "http://10.0.0.21:8169"),
        ("app2-shop", "http://10.1.0.22:8069"),
    ]
    assert model["peers"] == {"postgresql": ["10.0.0.21", "fd00::22"], "odoo": ["10.0.0.11"],
                              "redis": ["10.0.0.21", "fd00::22"]}


def test_model_summary_is_one_line():
    hostvars, groups = stack()
    model = platform_model(hostvars, groups)
    assert "\n" not in model["summary"]
    assert model["summary"] == (
        f"PostgreSQL postgresql: pg1 at 10.9.0.31, pg2 at 10.0.0.32, pg-3.b at fd00::33; primary pg1; "
        f"Odoo pools {model['postgresql']['connections']} connections. Odoo: app1 prod+staging, app2 shop. "
        "Routes: erp.example.com, staging.example.com, shop.example.com. Redis: 10.0.0.41:6380.")
    del hostvars["app1"]["ansible_facts"]
    empty = platform_model(hostvars, {"all": [], "postgresql": [], "odoo": ["app1"]})["summary"]
    assert empty == ("PostgreSQL postgresql: no member; primary undecided; Odoo pools not sized (no facts). "
                     "Odoo: app1 prod+staging. Routes: erp.example.com, staging.example.com. Redis: none.")


def test_model_connection_budget_follows_the_sizing():
    hostvars, groups = stack()
    model = platform_model(hostvars, groups)
    # the same total odoo_connections gives the postgresql role for this cluster
    from ansible_collections.odoo_cloud.platform.plugins.filter.odoo_workers import odoo_connections
    assert model["postgresql"]["connections"] == odoo_connections(groups["odoo"], hostvars=hostvars, cluster_group="postgresql")
    assert model["postgresql"]["connections"] > 0


def test_model_without_facts_has_no_budget():
    hostvars, groups = stack()
    del hostvars["app1"]["ansible_facts"]
    assert platform_model(hostvars, groups)["postgresql"]["connections"] is None


def test_model_primary_from_the_members():
    hostvars, groups = stack()
    model = platform_model(hostvars, groups, primaries={"postgresql": {"host": "pg2", "source": "members"}})
    assert (model["postgresql"]["primary"]["host"], model["postgresql"]["primary"]["source"]) == ("pg2", "members")
    # the members' answer is for this cluster only
    model = platform_model(hostvars, groups, primaries={"other": {"host": "pg2"}})
    assert model["postgresql"]["primary"]["host"] == "pg1"


def test_model_no_primary_when_the_group_names_several():
    hostvars, groups = stack()
    groups["postgresql_primary"] = ["pg1", "pg2"]
    assert platform_model(hostvars, groups)["postgresql"]["primary"] is None


def test_model_group_names():
    hostvars, groups = stack()
    groups["erp_db"] = groups.pop("postgresql")
    hostvars["app1"]["odoo_postgresql_group"] = "erp_db"
    model = platform_model(hostvars, groups, group_names={"postgresql": "erp_db"})
    assert len(model["postgresql"]["members"]) == 3
    assert [c["host"] for c in model["postgresql"]["clients"]] == ["app1", "app1"]
    assert model["peers"]["postgresql"] == ["10.0.0.21"]
    with pytest.raises(AnsibleFilterError, match="group_names may name the groups"):
        platform_model(hostvars, groups, group_names={"db": "erp_db"})


def test_model_without_redis_or_proxies():
    hostvars, groups = stack()
    del groups["redis"], groups["traefik"]
    model = platform_model(hostvars, groups)
    assert model["redis"] is None
    assert model["peers"]["odoo"] == []


def test_model_refuses_a_domain_served_twice():
    hostvars, groups = stack()
    hostvars["app2"]["odoo_instances"][0]["domain"] = "erp.example.com"
    with pytest.raises(AnsibleFilterError, match="erp.example.com"):
        platform_model(hostvars, groups)


def test_model_needs_groups():
    with pytest.raises(AnsibleFilterError, match="the first argument must be Ansible's groups"):
        platform_model({}, ["odoo"])


def test_model_holds_no_secret():
    hostvars, groups = stack()
    hostvars["app1"]["odoo_db_password"] = "s3cret-value-123"
    hostvars["app1"]["odoo_admin_password"] = "s3cret-value-456"
    assert "s3cret" not in repr(platform_model(hostvars, groups))


def test_filters_registered():
    assert set(FilterModule().filters()) == {"platform_model", "postgresql_members", "odoo_cluster_clients", "odoo_redis_users",
                                             "peer_addresses", "redis_endpoint"}


def test_redis_users_one_per_instance_with_a_password():
    hostvars, groups = stack()
    hostvars["app1"]["odoo_redis_passwords"] = {"prod": "p" * 16}
    hostvars["app2"]["odoo_redis_passwords"] = {"shop": "s" * 16, "gone": "x" * 16}
    users = odoo_redis_users(groups["odoo"], hostvars, rules="-@all +get +set")
    assert users == [
        {"name": "odoo-prod", "password": "p" * 16, "rules": "resetkeys ~session::prod:* resetchannels -@all +get +set"},
        {"name": "odoo-shop", "password": "s" * 16, "rules": "resetkeys ~session::shop:* resetchannels -@all +get +set"},
    ]
    assert odoo_redis_users(["edge"], hostvars) == []


def test_redis_users_refuse_one_user_for_two_instances():
    hostvars, groups = stack()
    hostvars["app1"]["odoo_redis_passwords"] = {"prod": "p" * 16}
    hostvars["app2"]["odoo_instances"] = [{"name": "prod", "domain": "shop.example.com"}]
    hostvars["app2"]["odoo_redis_passwords"] = {"prod": "q" * 16}
    with pytest.raises(AnsibleFilterError, match="instances app1/prod and app2/prod would share the Redis user odoo-prod"):
        odoo_redis_users(groups["odoo"], hostvars)
    hostvars["app2"]["odoo_redis_passwords"] = ["prod"]
    with pytest.raises(AnsibleFilterError, match="odoo_redis_passwords must map instance names to passwords"):
        odoo_redis_users(["app2"], hostvars)


def test_peer_addresses_of_hosts_and_of_groups():
    hostvars, groups = stack()
    assert peer_addresses(["edge"], hostvars) == ["10.0.0.11"]
    # groups: their hosts in order, an address shared by two hosts once
    hostvars["edge"]["private_address"] = "10.0.0.21"
    assert peer_addresses(["odoo", "traefik", "nosuchgroup"], hostvars, groups=groups) == ["10.0.0.21", "fd00::22"]


def test_peer_without_address_is_a_sentence_the_firewall_refuses():
    hostvars, groups = stack()
    # pg-3.b has only ansible_host: never admitted by the address Ansible reaches it at
    assert peer_addresses(["pg-3.b", "edge"], hostvars) == ["host pg-3.b has no private_address", "10.0.0.11"]
    assert peer_addresses(["pg1"], hostvars, address_var="postgresql_address") == ["10.9.0.31"]


@pytest.mark.parametrize("bad", ["edge", {"edge": 1}, 3])
def test_peer_addresses_wants_a_list(bad):
    hostvars = stack()[0]
    with pytest.raises(AnsibleFilterError, match="peer_addresses: expects a list"):
        peer_addresses(bad, hostvars)


def test_peer_addresses_unknown_host():
    hostvars = stack()[0]
    with pytest.raises(AnsibleFilterError, match="host ghost is not in the inventory"):
        peer_addresses(["ghost"], hostvars)


def test_redis_endpoint_address_port_and_fallbacks():
    hostvars, groups = stack()
    assert redis_endpoint(groups["redis"], hostvars) == {"host": "cache", "address": "10.0.0.41", "port": 6380}
    assert redis_endpoint([], hostvars) is None
    hostvars["cache"] = {"ansible_host": "10.0.0.99"}
    assert redis_endpoint(["cache"], hostvars) == {"host": "cache", "address": "10.0.0.99", "port": 6379}
    hostvars["cache"] = {"redis_port": "x"}
    with pytest.raises(AnsibleFilterError, match="redis_port 'x' is not a port number"):
        redis_endpoint(["cache"], hostvars)
