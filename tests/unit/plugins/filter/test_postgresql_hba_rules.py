"""postgresql_hba_rules: every pg_hba.conf rule the postgresql role writes."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.odoo_cloud.platform.plugins.filter.postgresql_hba_rules import FilterModule, postgresql_hba_rules

CLIENTS = [
    {"host": "app1", "instance": "prod", "user": "odoo_prod", "databases": ["prod"], "address": "10.0.0.21"},
    {"host": "app2", "instance": "shop", "user": "odoo_shop", "databases": ["shop", "shop_test"], "address": "fd00::22"},
]


def test_rules_in_matching_order():
    rules = postgresql_hba_rules(["10.0.0.31", "fd00::33"], odoo_clients=CLIENTS, client_cidrs=["10.0.5.0/24"],
                                 users=[{"name": "reporting"}, "backup"], replication_user="repl")
    assert rules == [
        {"contype": "local", "databases": "all", "users": "all", "method": "peer"},
        {"contype": "hostssl", "databases": "replication,postgres", "users": "repl", "address": "10.0.0.31/32",
         "method": "scram-sha-256"},
        {"contype": "hostssl", "databases": "replication,postgres", "users": "repl", "address": "fd00::33/128",
         "method": "scram-sha-256"},
        {"contype": "hostssl", "databases": "prod,postgres", "users": "odoo_prod", "address": "10.0.0.21/32",
         "method": "scram-sha-256"},
        {"contype": "hostssl", "databases": "shop,shop_test,postgres", "users": "odoo_shop", "address": "fd00::22/128",
         "method": "scram-sha-256"},
        {"contype": "hostssl", "databases": "all", "users": "reporting,backup", "address": "10.0.5.0/24",
         "method": "scram-sha-256"},
    ]


def test_no_weak_or_open_rule_by_default():
    rules = postgresql_hba_rules(["10.0.0.31"], odoo_clients=CLIENTS)
    assert all(r["method"] in ("peer", "scram-sha-256") for r in rules)
    assert not [r for r in rules if r["contype"] != "local" and r["users"] == "all"]


def test_client_cidrs_without_users_admit_nobody():
    assert len(postgresql_hba_rules(["10.0.0.31"], client_cidrs=["10.0.5.0/24"])) == 2


def test_tls_off_gives_host_lines():
    rules = postgresql_hba_rules(["10.0.0.31"], odoo_clients=CLIENTS, tls=False)
    assert {r["contype"] for r in rules[1:]} == {"host"}


def test_postgres_database_listed_once():
    clients = [{**CLIENTS[0], "databases": ["prod", "postgres"]}]
    assert postgresql_hba_rules([], odoo_clients=clients)[1]["databases"] == "prod,postgres"


def test_extra_rules_last_and_strong_only():
    extra = [{"contype": "hostssl", "databases": "t1", "users": "t1", "address": "10.244.0.0/16", "method": "scram-sha-256"}]
    assert postgresql_hba_rules(["10.0.0.31"], extra=extra)[-1] == extra[0]
    with pytest.raises(AnsibleFilterError, match="extra: .*method 'md5'.*scram-sha-256, cert"):
        postgresql_hba_rules([], extra=[{**extra[0], "method": "md5"}])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"members": ["10.0.0.300"]}, r"members: '10.0.0.300' is not an IP address"),
    ({"members": "10.0.0.31"}, "members must be a list"),
    ({"members": [], "odoo_clients": [{**CLIENTS[0], "address": None}]},
     r"odoo_clients \(host app1, instance prod\): None is not an IP address"),
    ({"members": [], "odoo_clients": [{"host": "app1"}]}, "expects odoo_cluster_clients entries"),
    ({"members": [], "users": ["u"], "client_cidrs": ["10.0.5.0/33"]}, "client_cidrs: '10.0.5.0/33' is not a CIDR"),
])
def test_bad_input_names_the_field(kwargs, message):
    with pytest.raises(AnsibleFilterError, match=message):
        postgresql_hba_rules(kwargs.pop("members"), **kwargs)


def test_registered():
    assert FilterModule().filters()["postgresql_hba_rules"] is postgresql_hba_rules
