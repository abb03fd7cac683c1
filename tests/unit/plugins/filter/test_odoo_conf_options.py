"""odoo_conf_options: odoo.conf's options per instance, in the odoo role's merge order."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.odoo_cloud.platform.plugins.filter.odoo_conf_options import FilterModule, odoo_conf_options
from ansible_collections.odoo_cloud.platform.plugins.filter.odoo_workers import odoo_instance_sizings

FACTS = {"cpus": 2, "memory_mb": 24105}
INSTANCES = [
    {"name": "prod", "domain": "erp.example.com", "options": {"log_level": "warn"}},
    {"name": "staging", "domain": "staging.example.com", "http_port": 8169, "gevent_port": 8172, "workers": 0,
     "databases": ["staging", "training"], "dbfilter": "^(staging|training)$"},
]
SETTINGS = {"db_host": ["10.0.0.31", "fd00::32"], "db_port": 5432, "db_sslmode": "require",
            "addons_path": ["/mnt/extra-addons", "/mnt/more"], "without_demo": "all",
            "server_wide_modules": ["base", "web"], "log_level": "info"}
USERS = {"prod": "odoo_prod", "staging": "odoo_staging"}


def conf(**kwargs):
    args = {"sizing": odoo_instance_sizings(FACTS, INSTANCES, host="app1"), "settings": SETTINGS, "db_users": USERS,
            "host": "app1", **kwargs}
    return odoo_conf_options(INSTANCES, **args)


def test_merge_order_and_container_contract():
    sizing = odoo_instance_sizings(FACTS, INSTANCES, host="app1")
    result = conf(options={"smtp_server": "mail.example.com", "log_level": "debug"})
    assert list(result) == ["prod", "staging"]
    prod = result["prod"]
    assert prod["db_host"] == "10.0.0.31,fd00::32"
    assert prod["addons_path"] == "/mnt/extra-addons,/mnt/more"
    assert prod["server_wide_modules"] == "base,web"
    assert (prod["db_user"], prod["db_name"], prod["dbfilter"], prod["list_db"]) == ("odoo_prod", "prod", "^prod$", False)
    # the container's ports and data directory, whatever the published ports are
    assert (prod["http_port"], prod["gevent_port"], prod["data_dir"], prod["proxy_mode"]) == (8069, 8072, "/var/lib/odoo", True)
    assert result["staging"]["http_port"] == 8069
    # the sizing's options are in, unchanged
    assert {k: prod[k] for k in sizing["prod"]["options"]} == sizing["prod"]["options"]
    assert result["staging"]["workers"] == 0
    # odoo_options over the settings, the instance's own options over odoo_options
    assert result["staging"]["log_level"] == "debug"
    assert prod["log_level"] == "warn"
    assert result["staging"]["smtp_server"] == "mail.example.com"
    assert result["staging"]["db_name"] == "staging,training"


@pytest.mark.parametrize("key", ["workers", "db_maxconn", "gevent_port", "list_db", "db_host", "admin_passwd"])
def test_odoo_options_cannot_set_an_owned_key(key):
    with pytest.raises(AnsibleFilterError, match=rf"odoo_options '{key}': is computed by the role"):
        conf(options={key: 1})


def test_settings_must_be_exact():
    with pytest.raises(AnsibleFilterError, match=r"missing: log_level; unknown: db_password"):
        conf(settings={**{k: v for k, v in SETTINGS.items() if k != "log_level"}, "db_password": "x"})


def test_every_instance_needs_sizing_and_a_role():
    with pytest.raises(AnsibleFilterError, match=r"instance app1/staging has no sizing"):
        conf(sizing={"prod": odoo_instance_sizings(FACTS, INSTANCES)["prod"]})
    with pytest.raises(AnsibleFilterError, match=r"instance app1/staging has no database role"):
        conf(db_users={"prod": "odoo_prod"})


def test_no_secret_in_the_options():
    assert not {"db_password", "admin_passwd"} & set(conf()["prod"])


def test_registered():
    assert FilterModule().filters() == {"odoo_conf_options": odoo_conf_options}
