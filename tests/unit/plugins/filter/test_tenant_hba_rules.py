from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.odoo_cloud.platform.plugins.filter.tenant_hba_rules import FilterModule, tenant_hba_rules


def tenant(tenant_name="bakery-dupont", tier="shared", placement="shared", server="pg-shared-1", **db):
    database = {"placement": placement, "server": server, "name": tenant_name.replace("-", "_"),
                "role": "odoo_" + tenant_name.replace("-", "_")}
    database.update(db)
    return {"name": tenant_name, "tier": tier, "database": database}


def test_one_tenant_its_role_to_its_database_only():
    assert tenant_hba_rules(tenant(), sources=["10.244.0.0/16"]) == [
        {"contype": "hostssl", "databases": "bakery_dupont,postgres", "users": "odoo_bakery_dupont",
         "address": "10.244.0.0/16", "method": "scram-sha-256"},
    ]


def test_rule_shape_is_what_postgresql_hba_extra_takes():
    # The postgresql role checks address (a network) and method (scram-sha-256 or cert) of postgresql_hba_extra.
    for rule in tenant_hba_rules(tenant(), sources=["10.244.0.0/16", "fd00:10::/56"]):
        assert set(rule) == {"contype", "databases", "users", "address", "method"}
        assert rule["method"] == "scram-sha-256"
        assert "all" not in (rule["databases"], rule["users"])


def test_addresses_become_host_networks_and_sources_are_deduplicated():
    rules = tenant_hba_rules(tenant(), sources=["10.0.0.5", "10.0.0.5/32", "fd00::1"])
    assert [r["address"] for r in rules] == ["10.0.0.5/32", "fd00::1/128"]


def test_list_filtered_by_server_and_tier():
    tenants = [tenant("studio-nord", name="studio_nord_prod"), tenant(), tenant("other", server="pg-shared-2"),
               tenant("acme", tier="dedicated", placement="dedicated"),
               tenant("ded-db", placement="dedicated")]
    rules = tenant_hba_rules(tenants, sources=["10.244.0.0/16"], server="pg-shared-1", contype="host")
    assert [(r["users"], r["databases"], r["contype"]) for r in rules] == [
        ("odoo_bakery_dupont", "bakery_dupont,postgres", "host"),
        ("odoo_studio_nord", "studio_nord_prod,postgres", "host"),
    ]
    assert len(tenant_hba_rules(tenants, sources=["10.244.0.0/16"])) == 3


def test_postgres_always_and_extra_databases_once():
    # Odoo's server start (the official image's wait-for-psql.py), its crons and its database list use `postgres`.
    assert tenant_hba_rules(tenant(), sources=["10.244.0.0/16"])[0]["databases"] == "bakery_dupont,postgres"
    rules = tenant_hba_rules(tenant(), sources=["10.244.0.0/16"], extra_databases=["postgres", "reports"])
    assert rules[0]["databases"] == "bakery_dupont,postgres,reports"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"sources": []}, "sources: give the networks"),
    ({"sources": ["10.244.0.1/16"]}, "'10.244.0.1/16' is not an address or a CIDR network without host bits"),
    ({"sources": ["0.0.0.0/0"]}, "is every address"),
    ({"sources": ["pods"]}, "'pods' is not an address"),
    ({"sources": ["10.244.0.0/16"], "contype": "local"}, "contype"),
])
def test_bad_arguments_name_the_field(kwargs, message):
    with pytest.raises(AnsibleFilterError, match=message):
        tenant_hba_rules(tenant(), **kwargs)


def test_bad_records_name_the_tenant_and_field():
    with pytest.raises(AnsibleFilterError, match=r"tenant 'bakery-dupont': database.role: 'odoo-bakery'"):
        tenant_hba_rules(tenant(role="odoo-bakery"), sources=["10.244.0.0/16"])
    with pytest.raises(AnsibleFilterError, match="given twice"):
        tenant_hba_rules([tenant(), tenant()], sources=["10.244.0.0/16"])
    with pytest.raises(AnsibleFilterError, match="expects a tenant record"):
        tenant_hba_rules("bakery-dupont", sources=["10.244.0.0/16"])


def test_registered():
    assert FilterModule().filters()["tenant_hba_rules"] is tenant_hba_rules
