from __future__ import annotations

import re

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.odoo_cloud.platform.plugins.filter.odoo_instances import (
    OWNED_OPTIONS,
    FilterModule,
    odoo_instances,
    odoo_routes,
)
from ansible_collections.odoo_cloud.platform.plugins.filter.odoo_workers import OVERRIDE_NAMES


def inst(**overrides):
    base = {"name": "prod", "domain": "erp.example.com"}
    base.update(overrides)
    return base


def test_defaults_filled():
    (result,) = odoo_instances([inst()], host="app1")
    assert result["databases"] == ["prod"]
    assert result["dbfilter"] == "^prod$"
    assert (result["http_port"], result["gevent_port"]) == (8069, 8072)
    assert result["list_db"] is False
    assert result["workers"] == "auto" and result["prefork"] is True
    assert result["aliases"] == []


def test_input_not_mutated_and_extra_keys_kept():
    raw = [inst(options={"log_level": "warn"})]
    result = odoo_instances(raw)
    assert "databases" not in raw[0]
    assert result[0]["options"] == {"log_level": "warn"}


# Options that sizing and routing own: refused in an instance's options and in the host's odoo_options
# (the messages name what to set instead: OWNED_OPTIONS' values).
OWNED = frozenset({
    "workers", "max_cron_threads", "limit_memory_soft", "limit_memory_hard", "limit_time_cpu", "limit_time_real",
    "limit_time_real_cron", "limit_request", "db_maxconn", "db_maxconn_gevent", "http_port", "xmlrpc_port",
    "gevent_port", "longpolling_port", "proxy_mode", "list_db", "db_name", "dbfilter", "db_user", "db_password",
    "db_host", "db_port", "admin_passwd",
})


def test_owned_options_list():
    assert set(OWNED_OPTIONS) == OWNED
    assert all(OWNED_OPTIONS.values())
    # Every option odoo_workers sizes is owned (roles/odoo/vars/main.yml merges its options into odoo.conf).
    assert set(OVERRIDE_NAMES) <= set(OWNED_OPTIONS)


@pytest.mark.parametrize(("key", "instead"), sorted(OWNED_OPTIONS.items()))
def test_instance_options_cannot_override_sizing_or_routing(key, instead):
    message = (
        rf"^odoo_instances on app1: instance 'prod' options '{key}': is computed by the role from sizing and routing;"
        rf" set {re.escape(instead)} instead$"
    )
    with pytest.raises(AnsibleFilterError, match=message):
        odoo_instances([inst(options={"log_level": "warn", key: 1})], host="app1")


@pytest.mark.parametrize(("key", "instead"), sorted(OWNED_OPTIONS.items()))
def test_host_options_cannot_override_sizing_or_routing(key, instead):
    message = (
        rf"^odoo_instances on app1: odoo_options '{key}': is computed by the role from sizing and routing;"
        rf" set {re.escape(instead)} instead$"
    )
    with pytest.raises(AnsibleFilterError, match=message):
        odoo_instances([inst()], host="app1", options={key: 1})
    with pytest.raises(AnsibleFilterError, match=message):
        odoo_instances([], host="app1", options={key: 1})  # checked on a host without instances too


def test_owned_options_all_named():
    with pytest.raises(AnsibleFilterError, match=r"'workers': is computed .* \(also 'gevent_port', 'list_db'\); set the instance's workers"):
        odoo_instances([inst(options={"workers": 4, "gevent_port": 9000, "list_db": True, "log_level": "info"})])


def test_other_options_pass():
    options = {"log_level": "debug", "data_dir": "/var/lib/odoo", "db_sslmode": "verify-full", "without_demo": "all"}
    assert odoo_instances([inst(options=options)], host="app1", options=options)[0]["options"] == options
    assert odoo_instances([inst(options=None)])[0]["options"] is None
    assert odoo_instances(None, options={}) == []


@pytest.mark.parametrize("options", [["workers"], "workers=4", 4])
def test_options_must_be_a_mapping(options):
    with pytest.raises(AnsibleFilterError, match=r"instance 'prod' options: must be a mapping of odoo.conf option to value"):
        odoo_instances([inst(options=options)])
    with pytest.raises(AnsibleFilterError, match=r"on this host: odoo_options: must be a mapping of odoo.conf option"):
        odoo_instances([], options=options)


def test_name_with_dash_gives_underscore_database():
    assert odoo_instances([inst(name="pre-prod")])[0]["databases"] == ["pre_prod"]


def test_database_name_is_escaped_in_dbfilter():
    assert odoo_instances([inst(databases=["acme.prod"])])[0]["dbfilter"] == r"^acme\.prod$"


def test_threaded_mode_only_with_explicit_zero():
    assert odoo_instances([inst(workers=0)])[0]["prefork"] is False
    assert odoo_instances([inst(workers="4")])[0]["workers"] == 4


def test_none_is_empty():
    assert odoo_instances(None) == []


@pytest.mark.parametrize(
    ("instance", "needle"),
    [
        (inst(name="Prod"), "name 'Prod'"),
        (inst(name="1prod"), "name '1prod'"),
        ({"name": "prod"}, "'domain' is required"),
        (inst(domain="ERP.example.com"), "lower case"),
        (inst(domain="localhost"), "fully qualified"),
        (inst(domain="bad_label.example.com"), "is not a host name: each dot-separated label"),
        (inst(domain="erp example.com"), "is not a host name"),
        (inst(domain="https://erp.example.com"), "is not a host name"),
        (inst(domain="erp.example.com:443"), "is not a host name"),
        (inst(aliases="www.example.com"), "aliases"),
        (inst(databases=[]), "databases"),
        (inst(databases="prod"), "databases"),
        (inst(databases=["postgres"]), "PostgreSQL's own databases"),
        (inst(databases=["a"]), "'a' is not a usable Odoo database name: Odoo wants at least two characters"),
        (inst(databases=["_x"]), "the first a letter or digit"),
        (inst(databases=["a b"]), "not a usable"),
        (inst(databases=["a1", "a1"]), "twice"),
        (inst(databases=["a1", "b1"]), "set dbfilter"),
        (inst(databases=["a1", "b1"], list_db=True), "list_db is on"),
        (inst(dbfilter="^(unclosed$"), "not a valid regular expression"),
        (inst(list_db="yes"), "list_db"),
        (inst(http_port=70000), "http_port"),
        (inst(http_port="x"), "http_port"),
        (inst(gevent_port=True), "gevent_port"),
        (inst(gevent_port=8069), "must differ"),
        (inst(workers=-1), "workers"),
        (inst(workers="many"), "workers"),
    ],
)
def test_bad_instance(instance, needle):
    with pytest.raises(AnsibleFilterError, match="app1") as err:
        odoo_instances([instance], host="app1")
    assert needle in str(err.value)


def test_several_databases_with_dbfilter_ok():
    result = odoo_instances([inst(databases=["a1", "b1"], dbfilter="^%d$", list_db=True)])
    assert result[0]["dbfilter"] == "^%d$"


@pytest.mark.parametrize(
    ("second", "needle"),
    [
        (inst(domain="staging.example.com", http_port=8169, gevent_port=8172), "name"),
        (inst(name="staging", domain="staging.example.com", gevent_port=8172), "http_port"),
        (inst(name="staging", domain="staging.example.com", http_port=8169), "gevent_port"),
        (inst(name="staging", domain="erp.example.com", http_port=8169, gevent_port=8172), "already served"),
        (inst(name="staging", domain="staging.example.com", http_port=8072, gevent_port=8172), "8072"),
    ],
)
def test_collisions_on_one_host(second, needle):
    with pytest.raises(AnsibleFilterError) as err:
        odoo_instances([inst(), second], host="app1")
    assert needle in str(err.value)


def test_two_instances_on_one_host():
    result = odoo_instances(
        [inst(), inst(name="staging", domain="staging.example.com", http_port=8169, gevent_port=8172)])
    assert [i["databases"] for i in result] == [["prod"], ["staging"]]


def backends():
    return [
        {"host": "app1", "address": "10.0.0.21", "instances": [
            inst(),
            inst(name="staging", domain="staging.example.com", http_port=8169, gevent_port=8172, workers=0),
        ]},
        {"host": "app2", "address": "10.0.0.22", "instances": [inst(name="demo", domain="demo.example.com",
                                                                    aliases=["www.demo.example.com"])]},
    ]


def test_routes():
    routes = odoo_routes(backends())
    assert [r["name"] for r in routes] == ["app1-prod", "app1-staging", "app2-demo"]
    prod, staging, demo = routes
    assert prod["http_url"] == "http://10.0.0.21:8069"
    assert prod["websocket_url"] == "http://10.0.0.21:8072"
    assert staging["websocket_url"] == staging["http_url"] == "http://10.0.0.21:8169"
    assert demo["domains"] == ["demo.example.com", "www.demo.example.com"]
    assert prod["list_db"] is False


def test_duplicate_domain_across_hosts_names_both():
    data = backends()
    data[1]["instances"][0]["aliases"] = ["erp.example.com"]
    with pytest.raises(AnsibleFilterError, match=r"app1/prod and app2/demo"):
        odoo_routes(data)


def test_route_needs_address():
    data = backends()
    data[0]["address"] = ""
    with pytest.raises(AnsibleFilterError, match="odoo_publish_address"):
        odoo_routes(data)


def test_routes_rejects_non_list():
    with pytest.raises(AnsibleFilterError):
        odoo_routes({"host": "x"})


def test_filter_module():
    assert set(FilterModule().filters()) == {"odoo_instances", "odoo_routes", "odoo_db_clients"}


def test_routes_bracket_ipv6_addresses():
    (route,) = odoo_routes([{"host": "app1", "address": "fd00::21", "instances": [inst()]}])
    assert route["http_url"] == "http://[fd00::21]:8069"
    assert route["websocket_url"] == "http://[fd00::21]:8072"


def test_routes_bad_address_named():
    with pytest.raises(AnsibleFilterError, match="host app1: address 'fd00::zz'"):
        odoo_routes([{"host": "app1", "address": "fd00::zz", "instances": [inst()]}])


def test_two_instances_on_one_port_named():
    with pytest.raises(AnsibleFilterError, match="instance 'staging' http_port: 8069 is already used by instance 'prod'"):
        odoo_instances([inst(), inst(name="staging", domain="staging.example.com", gevent_port=8172)], host="app1")


# --- isolation: one database per instance, one role per instance ---------------------------------

from ansible_collections.odoo_cloud.platform.plugins.filter.odoo_instances import odoo_db_clients  # noqa: E402


PORTS2 = {"http_port": 8169, "gevent_port": 8172}


def backend(host="app1", address="10.0.0.21", instances=None, db_user=""):
    return {"host": host, "address": address, "db_user": db_user,
            "instances": instances if instances is not None else [inst(name="prod", domain="erp.example.com"),
                                                                  inst(name="staging", domain="staging.example.com", **PORTS2)]}


def test_two_instances_of_a_host_cannot_share_a_database():
    with pytest.raises(AnsibleFilterError, match="'prod' is already the database of instance 'prod'"):
        odoo_instances([inst(name="prod", domain="a.example.com"),
                        inst(name="staging", domain="b.example.com", databases=["prod"], **PORTS2)])


def test_each_instance_gets_its_own_role_named_after_it():
    clients = odoo_db_clients([backend(instances=[inst(name="prod", domain="a.example.com"),
                                                  inst(name="my-staging", domain="b.example.com", **PORTS2)])])
    assert [(c["instance"], c["user"], c["databases"], c["shared"]) for c in clients] == [
        ("prod", "odoo_prod", ["prod"], False), ("my-staging", "odoo_my_staging", ["my_staging"], False)]
    assert {c["address"] for c in clients} == {"10.0.0.21"}


def test_instance_db_user_wins():
    clients = odoo_db_clients([backend(instances=[inst(name="prod", domain="a.example.com", db_user="erp_prod")])])
    assert clients[0]["user"] == "erp_prod"


def test_host_db_user_shares_one_role_and_says_so():
    clients = odoo_db_clients([backend(db_user="odoo")])
    assert {c["user"] for c in clients} == {"odoo"}
    assert all(c["shared"] for c in clients)


def test_shared_role_across_hosts_on_purpose_is_allowed():
    clients = odoo_db_clients([
        backend(db_user="odoo", instances=[inst(name="prod", domain="a.example.com")]),
        backend(host="app2", address="10.0.0.22", db_user="odoo", instances=[inst(name="test", domain="b.example.com")])])
    assert [c["user"] for c in clients] == ["odoo", "odoo"]


def test_database_shared_across_hosts_is_refused():
    with pytest.raises(AnsibleFilterError, match="database 'prod' is given to both app1/prod and app2/copy"):
        odoo_db_clients([
            backend(instances=[inst(name="prod", domain="a.example.com")]),
            backend(host="app2", address="10.0.0.22",
                    instances=[inst(name="copy", domain="b.example.com", databases=["prod"])])])


def test_same_instance_name_on_two_hosts_would_share_a_role_and_is_refused():
    with pytest.raises(AnsibleFilterError, match="would log in as role 'odoo_prod', which already belongs to app1/prod"):
        odoo_db_clients([
            backend(instances=[inst(name="prod", domain="a.example.com")]),
            backend(host="app2", address="10.0.0.22",
                    instances=[inst(name="prod", domain="b.example.com", databases=["prod2"])])])


def test_instance_role_reused_by_hand_is_refused():
    with pytest.raises(AnsibleFilterError, match="already belongs to app1/prod"):
        odoo_db_clients([backend(instances=[inst(name="prod", domain="a.example.com"),
                                            inst(name="staging", domain="b.example.com", db_user="odoo_prod", **PORTS2)])])


@pytest.mark.parametrize("user", ["Prod", "pg_odoo", "postgres", "replicator", "odoo-prod", "1odoo", "x" * 64])
def test_unusable_role_names_are_refused(user):
    with pytest.raises(AnsibleFilterError, match="db_user"):
        odoo_instances([inst(name="prod", domain="a.example.com", db_user=user)])


def test_unusable_host_role_is_refused():
    with pytest.raises(AnsibleFilterError, match="odoo_db_user 'Odoo'"):
        odoo_db_clients([backend(db_user="Odoo")])


def test_a_client_needs_an_address():
    with pytest.raises(AnsibleFilterError, match="host app1: no address"):
        odoo_db_clients([backend(address="")])
