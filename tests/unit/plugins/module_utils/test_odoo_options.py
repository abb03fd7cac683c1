# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The catalog of odoo.conf options per Odoo version, and how values are checked and written."""

from __future__ import annotations

import ast
import inspect

import pytest

from ansible_collections.odoo_cloud.platform.plugins.module_utils import _odoo_options as catalog

TYPES = {catalog.BOOL, catalog.INT, catalog.FLOAT, catalog.STR, catalog.LIST, catalog.CHOICE, catalog.STR_OR_BOOL}


# --- the catalog ----------------------------------------------------------------------------------

def test_versions():
    assert catalog.VERSIONS == ("16.0", "17.0", "18.0", "19.0")
    for table in (catalog.OPTIONS, catalog.NOT_READ_FROM_FILE, catalog.ALIASES):
        assert tuple(table) == catalog.VERSIONS


@pytest.mark.parametrize("version", catalog.VERSIONS)
@pytest.mark.parametrize("name", [
    "db_host", "http_port", "gevent_port", "workers", "list_db", "dbfilter", "proxy_mode", "admin_passwd",
    "db_port", "db_user", "db_password", "addons_path", "data_dir", "limit_time_real", "max_cron_threads",
    "server_wide_modules", "csv_internal_sep", "publisher_warranty_url", "reportgz", "log_level",
])
def test_every_version_has_the_common_options(version, name):
    assert name in catalog.OPTIONS[version]
    assert catalog.check_name(version, name) is None


def test_option_counts_per_version():
    # A change here means the catalog was edited: say why in the header of _odoo_options.py.
    assert {v: len(catalog.OPTIONS[v]) for v in catalog.VERSIONS} == {
        "16.0": 77, "17.0": 79, "18.0": 85, "19.0": 88,
    }


def test_no_duplicate_names_in_the_source():
    # A dict literal silently keeps the last of two equal keys: read the source to catch them.
    tree = ast.parse(inspect.getsource(catalog))
    dict_literals = [node for node in ast.walk(tree) if isinstance(node, ast.Dict)]
    assert dict_literals
    for node in dict_literals:
        keys = [key.value for key in node.keys if isinstance(key, ast.Constant)]
        assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
    for version, options in catalog.OPTIONS.items():
        assert list(options) == sorted(options), f"{version} is not sorted"


@pytest.mark.parametrize("version", catalog.VERSIONS)
def test_catalog_is_consistent(version):
    options = catalog.OPTIONS[version]
    assert set(options.values()) <= TYPES
    assert all(name == name.lower() and " " not in name for name in options)
    assert catalog.NOT_READ_FROM_FILE[version] <= set(options)
    for old, new in catalog.ALIASES[version].items():
        assert old not in options, f"{old} is both an option and an alias in {version}"
        assert new in options, f"alias {old} -> {new} points nowhere in {version}"
    for name, kind in options.items():
        assert (kind == catalog.CHOICE) == (name in catalog.CHOICES)
    for name in catalog.SECRET_OPTIONS & set(options):
        assert options[name] == catalog.STR


def test_every_secret_option_exists_somewhere():
    for name in catalog.SECRET_OPTIONS:
        assert catalog.versions_defining(name)


@pytest.mark.parametrize("name, versions", [
    ("db_replica_host", ["18.0", "19.0"]),
    ("db_replica_port", ["18.0", "19.0"]),
    ("geoip_city_db", ["17.0", "18.0", "19.0"]),
    ("geoip_database", ["16.0"]),
    ("db_maxconn_gevent", ["17.0", "18.0", "19.0"]),
    ("limit_time_worker_cron", ["18.0", "19.0"]),
    ("pre_upgrade_scripts", ["18.0", "19.0"]),
    ("with_demo", ["19.0"]),
    ("without_demo", ["16.0", "17.0", "18.0"]),
    ("root_path", ["16.0", "17.0", "18.0"]),
    ("translate_modules", ["16.0", "17.0", "18.0"]),
    ("db_app_name", ["19.0"]),
    ("proxy_access_token", ["19.0"]),
    ("websocket_rate_limit_delay", ["16.0", "17.0", "18.0", "19.0"]),
    ("longpolling_port", []),
])
def test_options_by_version(name, versions):
    assert catalog.versions_defining(name) == versions


def test_known_renames():
    assert catalog.ALIASES["16.0"]["longpolling_port"] == "gevent_port"
    assert catalog.ALIASES["17.0"]["longpolling_port"] == "gevent_port"
    assert "longpolling_port" not in catalog.ALIASES["18.0"]
    assert catalog.ALIASES["17.0"]["geoip_database"] == "geoip_city_db"
    assert catalog.ALIASES["18.0"]["xmlrpc_port"] == "http_port"
    assert catalog.ALIASES["19.0"]["without_demo"] == "with_demo"
    assert catalog.ALIASES["19.0"]["import_image_maxbytes"] == "import_file_maxbytes"


@pytest.mark.parametrize("version, name, kind", [
    ("16.0", "workers", catalog.INT),
    ("19.0", "workers", catalog.INT),
    ("18.0", "proxy_mode", catalog.BOOL),
    ("18.0", "list_db", catalog.BOOL),
    ("18.0", "transient_age_limit", catalog.FLOAT),
    ("18.0", "websocket_rate_limit_delay", catalog.FLOAT),
    ("18.0", "reportgz", catalog.BOOL),
    ("18.0", "addons_path", catalog.LIST),
    ("18.0", "server_wide_modules", catalog.LIST),
    ("18.0", "log_handler", catalog.LIST),
    ("18.0", "db_name", catalog.STR),
    ("19.0", "db_name", catalog.LIST),
    ("19.0", "with_demo", catalog.BOOL),
    ("17.0", "without_demo", catalog.STR_OR_BOOL),
    ("18.0", "db_sslmode", catalog.CHOICE),
    ("18.0", "admin_passwd", catalog.STR),
])
def test_types(version, name, kind):
    assert catalog.OPTIONS[version][name] == kind


# --- names ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("version, name, message", [
    ("18.0", "db_hots", "unknown option 'db_hots' for Odoo 18.0; did you mean 'db_host'?"),
    ("16.0", "workerz", "unknown option 'workerz' for Odoo 16.0; did you mean 'workers'?"),
    ("18.0", "DB_HOST", "unknown option 'DB_HOST' for Odoo 18.0; did you mean 'db_host'?"),
    ("18.0", "zzzzzz", "unknown option 'zzzzzz' for Odoo 18.0"),
    ("17.0", "db_replica_host", "option 'db_replica_host' does not exist in Odoo 17.0; it exists in Odoo 18.0, 19.0"),
    ("19.0", "root_path", "option 'root_path' does not exist in Odoo 19.0; it exists in Odoo 16.0, 17.0, 18.0"),
    ("17.0", "longpolling_port", "option 'longpolling_port' is a deprecated alias of 'gevent_port' in Odoo 17.0; use 'gevent_port'"),
    ("18.0", "longpolling_port",
     "option 'longpolling_port' does not exist in Odoo 18.0 (it was an alias of 'gevent_port' in Odoo 16.0, 17.0); "
     "use 'gevent_port'"),
    ("18.0", "init", "option 'init' is not read from the configuration file by Odoo 18.0"),
    ("19.0", "test_tags", "option 'test_tags' is not read from the configuration file by Odoo 19.0"),
])
def test_check_name(version, name, message):
    assert catalog.check_name(version, name).startswith(message)


def test_suggestions_never_propose_an_option_odoo_ignores():
    # 'init' is an option of config.py, but not one of the file.
    assert "'init'" not in catalog.check_name("18.0", "inti")


# --- values ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, value, text", [
    ("workers", 4, "4"),
    ("workers", " 4 ", "4"),
    ("workers", "-1", "-1"),
    ("proxy_mode", True, "True"),
    ("list_db", False, "False"),
    ("list_db", "no", "False"),
    ("proxy_mode", "YES", "True"),
    ("transient_age_limit", 1, "1.0"),
    ("websocket_rate_limit_delay", "0.2", "0.2"),
    ("addons_path", ["/opt/odoo/addons", " /opt/custom "], "/opt/odoo/addons,/opt/custom"),
    ("addons_path", "/a, /b,,", "/a,/b"),
    ("server_wide_modules", ["base", "web", "queue_job"], "base,web,queue_job"),
    ("log_handler", [":INFO", "werkzeug:WARNING"], ":INFO,werkzeug:WARNING"),
    ("db_sslmode", "verify-full", "verify-full"),
    ("db_host", "10.0.0.11", "10.0.0.11"),
    ("db_port", 5432, "5432"),
    ("dbfilter", "^%d$", "^%d$"),
    ("dbfilter", "", ""),
    ("db_user", 42, "42"),
    ("without_demo", True, "True"),
    ("without_demo", "all", "all"),
])
def test_render_value(name, value, text):
    assert catalog.render_value("18.0", name, value) == text


@pytest.mark.parametrize("name, value", [("db_host", None), ("db_host", False), ("workers", None), ("addons_path", False)])
def test_none_and_false_leave_non_boolean_options_out(name, value):
    assert catalog.render_value("18.0", name, value) is None


@pytest.mark.parametrize("name, value, message", [
    ("workers", "abc", "option 'workers' for Odoo 18.0 expects an integer, got 'abc'"),
    ("workers", 2.5, "option 'workers' for Odoo 18.0 expects an integer, got 2.5"),
    ("workers", True, "option 'workers' for Odoo 18.0 expects an integer, got True"),
    ("proxy_mode", "maybe", "option 'proxy_mode' for Odoo 18.0 expects a boolean, got 'maybe'"),
    ("proxy_mode", 1, "option 'proxy_mode' for Odoo 18.0 expects a boolean, got 1"),
    ("transient_age_limit", "soon", "option 'transient_age_limit' for Odoo 18.0 expects a number"),
    ("transient_age_limit", "nan", "option 'transient_age_limit' for Odoo 18.0 expects a number"),
    ("db_sslmode", "sometimes", "option 'db_sslmode' for Odoo 18.0 expects one of disable, allow, prefer"),
    ("addons_path", {"a": 1}, "option 'addons_path' for Odoo 18.0 expects a list or a comma-separated string"),
    ("addons_path", ["/a,/b"], "an element of the list cannot contain a comma"),
    ("addons_path", [["/a"]], "expects a list of strings"),
    ("db_host", ["a"], "option 'db_host' for Odoo 18.0 expects a string, got ['a']"),
    ("db_host", True, "option 'db_host' for Odoo 18.0 expects a string, got True"),
    ("db_host", "a\nb", "option 'db_host' cannot hold a line break"),
    ("db_host", " a", "option 'db_host' cannot start or end with spaces"),
])
def test_render_value_rejects(name, value, message):
    with pytest.raises(catalog.OptionError) as exc:
        catalog.render_value("18.0", name, value)
    assert message in str(exc.value)


def test_type_errors_of_secrets_hide_the_value():
    with pytest.raises(catalog.OptionError) as exc:
        catalog.render_value("18.0", "db_password", ["Sup3r-s3cret"], secret=True)
    assert "Sup3r-s3cret" not in str(exc.value)
    assert "db_password" in str(exc.value)
