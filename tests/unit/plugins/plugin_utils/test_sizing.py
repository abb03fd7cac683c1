from __future__ import annotations

import pathlib

import pytest
import yaml

from ansible_collections.odoo_cloud.platform.plugins.filter import odoo_workers as odoo_workers_filter
from ansible_collections.odoo_cloud.platform.plugins.filter import pg_tune as pg_tune_filter
from ansible_collections.odoo_cloud.platform.plugins.plugin_utils import _sizing

ROOT = pathlib.Path(__file__).resolve().parents[4]


def role_defaults(role):
    return yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text())


def test_one_reserve():
    assert _sizing.RESERVED_CONNECTIONS == 13  # superuser_reserved_connections 3 + 10
    assert pg_tune_filter.RESERVED_CONNECTIONS is _sizing.RESERVED_CONNECTIONS
    assert odoo_workers_filter.DEFAULT_RESERVED_CONNECTIONS is _sizing.RESERVED_CONNECTIONS
    assert pg_tune_filter.DEFAULT_MAX_CONNECTIONS is _sizing.DEFAULT_MAX_CONNECTIONS


def test_instance_pool_is_the_connection_limit():
    assert _sizing.instance_pool(48) == 50
    assert _sizing.instance_pool(48, 0) == 48
    assert _sizing.instance_pool("16", "2") == 18


@pytest.mark.parametrize(
    ("pools", "needed", "computed"),
    [
        ([], 13, 100),  # no Odoo instance: PostgreSQL's default
        ([0], 13, 20),
        ([7], 20, 20),
        ([26, 18], 57, 60),  # the lab
        ([50], 63, 70),  # one auto-sized instance on 2 vCPUs
        ([42, 34], 89, 90),  # the example inventory on 4 vCPUs
        ((p for p in (10, 10)), 33, 40),  # any iterable
    ],
)
def test_max_connections_for(pools, needed, computed):
    listed = list(pools)
    assert _sizing.needed_connections(listed) == needed
    assert _sizing.max_connections_for(listed) == computed
    assert _sizing.max_connections_for(listed) >= _sizing.needed_connections(listed) or not listed


def test_reserve_can_be_given():
    assert _sizing.needed_connections([10], reserved=0) == 10
    assert _sizing.max_connections_for([10], reserved=21) == 40


def test_pools_text():
    assert _sizing.pools_text([("a/prod", 26), ("a/staging", 18)]) == "a/prod 26, a/staging 18"


def test_the_odoo_role_defaults_agree_with_the_formula():
    # The postgresql role reads the Odoo hosts from hostvars, where the odoo role's defaults are not set: the
    # filter falls back to these constants, which must be the role's defaults.
    defaults = role_defaults("odoo")
    assert defaults["odoo_db_connection_limit_extra"] == _sizing.CONNECTION_LIMIT_EXTRA
    assert defaults["odoo_reserve_mb"] == odoo_workers_filter.DEFAULT_RESERVE_MB
    assert defaults["odoo_postgresql_group"] == odoo_workers_filter.DEFAULT_CLUSTER_GROUP
    # One reserve: the odoo role no longer has a reserve of its own.
    assert "odoo_postgresql_reserved_connections" not in defaults


def test_the_postgresql_role_has_no_worker_count():
    defaults = role_defaults("postgresql")
    assert defaults["postgresql_max_connections"] == 0
    assert not [name for name in defaults if name.startswith("postgresql_odoo_") and name not in (
        "postgresql_odoo_group", "postgresql_odoo_address_var")]


@pytest.mark.parametrize(
    "path",
    [
        "inventories/lab/group_vars/postgresql/main.yml",
        "inventories/examples/dedicated_manufacturer/group_vars/postgresql/main.yml",
    ],
)
def test_default_inventories_do_not_pin_max_connections(path):
    variables = yaml.safe_load((ROOT / path).read_text())
    assert "postgresql_max_connections" not in variables
    assert not {"postgresql_odoo_workers", "postgresql_odoo_instances", "postgresql_odoo_max_cron_threads"} & set(variables)
