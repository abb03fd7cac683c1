# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The options of Odoo's server configuration file (odoo.conf, section [options]) per Odoo version.

Where the lists come from
-------------------------
Each list holds the ``dest`` names that Odoo's own ``odoo/tools/config.py`` defines for that branch
(``add_option(..., dest=...)`` calls, the file-only options of ``configmanager.__init__`` in 16.0-18.0,
the ``FileOnlyOption(dest=...)`` calls in 19.0), with the type config.py gives each one. They were
extracted with Python's ``ast`` module from these copies of the file, then reviewed by hand:

The odoo/odoo repository itself could not be read at these branches here: the only odoo/odoo version of
odoo/tools/config.py in the research index is a pre-16.0 one (11.0/12.0 era; commits 21bead4b5563,
00516f21dc07), and the odoo/odoo snapshot (19 GB) is beyond the size that can be fetched. So each branch
was read from repositories that carry a verbatim copy of the branch's source tree (odoo/release.py says
which version), identified below by repository, commit and the git blob id of odoo/tools/config.py. Where
a copy has local edits they are listed; none of them adds, removes or renames an option that we use.
Another copy of the same branch was compared option by option wherever one was found.

16.0  chfix/odoo-demo commit 3520dcdbf5fa5aaa07ea6b93a33afe8b54a1356c (2023-09-15), blob 4fadc0bf38fd,
      version_info (16, 0, 0, FINAL, 0, ''). Local edit: the --dev flag is spelled --dev_addons (dest
      dev_mode unchanged). Compared with alfarisye/odoo_16 commit 1be6a65ea8dd (blob 2b7000c759bd, an
      earlier 16.0 where the deprecated --longpolling-port alias had dest "gevent-port") and
      NguyenDanhBinhGiang/odoo-16-e commit 09ac4595d8f6 (blob 8edd55827b6a, an older 16.0): same names.
17.0  GG-Hung/Ticket commit 211c5b7b6990ea091d480d3224fe2418e3efc626 (2025-09-15), blob 728a674a4568,
      version_info (17, 0, 0, FINAL, 0, ''). Compared with ashkan-farivarmoheb/odoo-17.0 commit
      63ff2312d6ed (2024-01-27, blob 58a74917b78f): same names; the later copy adds the file aliases
      geoip_database and osv_memory_age_limit (below).
18.0  Momoz401/odooTX commit 614ac84396b9d91af2b2ec6e6d0c11c3f29bbd29 (2025-06-06), blob eba7e8a63c87,
      version_info (18, 0, 0, FINAL, 0, ''). Local edit: the default of publisher_warranty_url. Compared
      with Coolyce/neudibel_4levels_odoo_18ent commit 9c226f8e8448 (blob 531b9eab4026, an earlier 18.0
      with rebranded help texts): the later copy adds pre_upgrade_scripts and limit_time_worker_cron.
19.0  ShakaAccount/ShakaERP_Source commit 6017175b016d654503223e08ec3ebfe17fded81c (2026-08-08), blob
      5692c816d9cb, version_info (19, 0, 0, FINAL, 0, ''). Compared with an earlier 19.0 copy of the file
      in the research index (55230 characters, no repository named): same names except skip_auto_install,
      which only the later copy has.

Types: BOOL for store_true/store_false options and type='bool'; INT and FLOAT for type='int'/'float';
CHOICE for type='choice' (values in CHOICES); LIST for comma-separated lists (19.0: type='comma',
'addons_path', 'upgrade_path', 'pre_upgrade_scripts'; 16.0-18.0: the options config.py splits on commas,
and log_handler); STR for everything else. The file-only options of 16.0-18.0 take the type of their
default value. STR_OR_BOOL: without_demo before 19.0, a module list or True/False.
"""

from __future__ import annotations

import difflib
import math
import re
import typing as t

BOOL = "bool"
INT = "int"
FLOAT = "float"
STR = "str"
LIST = "list"
CHOICE = "choice"
STR_OR_BOOL = "str_or_bool"

VERSIONS = ("16.0", "17.0", "18.0", "19.0")

# type='choice' options: the same values in the four branches.
CHOICES: dict[str, tuple[str, ...]] = {
    "db_sslmode": ("disable", "allow", "prefer", "require", "verify-ca", "verify-full"),
    "log_level": (
        "info", "debug_rpc", "warn", "test", "critical", "runbot",
        "debug_sql", "error", "debug", "debug_rpc_answer", "notset",
    ),
}

# Options whose value is a credential: only accepted in secret_options, never shown.
SECRET_OPTIONS = frozenset({"admin_passwd", "db_password", "smtp_password", "proxy_access_token"})

# name -> type, per version (sorted by name). 16.0 in full; each later branch as what its config.py adds,
# changes the type of, and removes, against the branch before it.
_OPTIONS_16: dict[str, str] = {
    "addons_path": LIST,
    "admin_passwd": STR,
    "config": STR,
    "csv_internal_sep": STR,
    "data_dir": STR,
    "db_host": STR,
    "db_maxconn": INT,
    "db_name": STR,
    "db_password": STR,
    "db_port": INT,
    "db_sslmode": CHOICE,
    "db_template": STR,
    "db_user": STR,
    "dbfilter": STR,
    "dev_mode": LIST,
    "email_from": STR,
    "from_filter": STR,
    "geoip_database": STR,
    "gevent_port": INT,
    "http_enable": BOOL,
    "http_interface": STR,
    "http_port": INT,
    "import_partial": STR,
    "init": LIST,
    "language": STR,
    "limit_memory_hard": INT,
    "limit_memory_soft": INT,
    "limit_request": INT,
    "limit_time_cpu": INT,
    "limit_time_real": INT,
    "limit_time_real_cron": INT,
    "list_db": BOOL,
    "load_language": STR,
    "log_db": STR,
    "log_db_level": STR,
    "log_handler": LIST,
    "log_level": CHOICE,
    "logfile": STR,
    "max_cron_threads": INT,
    "osv_memory_count_limit": INT,
    "overwrite_existing_translations": BOOL,
    "pg_path": STR,
    "pidfile": STR,
    "proxy_mode": BOOL,
    "publisher_warranty_url": STR,
    "reportgz": BOOL,
    "root_path": STR,
    "save": BOOL,
    "screencasts": STR,
    "screenshots": STR,
    "server_wide_modules": LIST,
    "shell_interface": STR,
    "smtp_password": STR,
    "smtp_port": INT,
    "smtp_server": STR,
    "smtp_ssl": BOOL,
    "smtp_ssl_certificate_filename": STR,
    "smtp_ssl_private_key_filename": STR,
    "smtp_user": STR,
    "stop_after_init": BOOL,
    "syslog": BOOL,
    "test_enable": BOOL,
    "test_file": STR,
    "test_tags": STR,
    "transient_age_limit": FLOAT,
    "translate_in": STR,
    "translate_modules": LIST,
    "translate_out": STR,
    "unaccent": BOOL,
    "update": LIST,
    "upgrade_path": LIST,
    "websocket_keep_alive_timeout": INT,
    "websocket_rate_limit_burst": INT,
    "websocket_rate_limit_delay": FLOAT,
    "without_demo": STR_OR_BOOL,
    "workers": INT,
    "x_sendfile": BOOL,
}


def _branch(previous: dict[str, str], removed: frozenset[str], added: dict[str, str]) -> dict[str, str]:
    options = {**{name: kind for name, kind in previous.items() if name not in removed}, **added}
    return dict(sorted(options.items()))


# 17.0: geoip_database became geoip_city_db (the old name is an alias, below).
_OPTIONS_17 = _branch(_OPTIONS_16, frozenset({"geoip_database"}), {
    "db_maxconn_gevent": INT,
    "geoip_city_db": STR,
    "geoip_country_db": STR,
})
_OPTIONS_18 = _branch(_OPTIONS_17, frozenset(), {
    "db_replica_host": STR,
    "db_replica_port": INT,
    "limit_memory_hard_gevent": INT,
    "limit_memory_soft_gevent": INT,
    "limit_time_worker_cron": INT,
    "pre_upgrade_scripts": LIST,
})
# 19.0: db_name is a list; without_demo is read as the inverse of with_demo (an alias, below).
_OPTIONS_19 = _branch(_OPTIONS_18, frozenset({
    "language", "root_path", "shell_interface", "translate_in", "translate_modules", "translate_out", "without_demo",
}), {
    "bin_path": STR,
    "db_app_name": STR,
    "db_name": LIST,
    "default_productivity_apps": BOOL,
    "import_file_maxbytes": INT,
    "import_file_timeout": INT,
    "import_url_regex": STR,
    "proxy_access_token": STR,
    "reinit": LIST,
    "skip_auto_install": BOOL,
    "with_demo": BOOL,
})
OPTIONS: dict[str, dict[str, str]] = {"16.0": _OPTIONS_16, "17.0": _OPTIONS_17, "18.0": _OPTIONS_18, "19.0": _OPTIONS_19}


# Options config.py defines but never takes from the configuration file. 16.0-18.0: _parse_config()
# sets them from the command line only (config, save, init, update, translate_modules, dev_mode) or
# computes them (test_enable from test_tags, root_path from the location of the code). 19.0: the
# options declared with file_loadable=False.
NOT_READ_FROM_FILE: dict[str, frozenset[str]] = {
    "16.0": frozenset({"config", "dev_mode", "init", "root_path", "save", "test_enable", "translate_modules", "update"}),
    "17.0": frozenset({"config", "dev_mode", "init", "root_path", "save", "test_enable", "translate_modules", "update"}),
    "18.0": frozenset({"config", "dev_mode", "init", "root_path", "save", "test_enable", "translate_modules", "update"}),
    "19.0": frozenset({
        "config", "import_partial", "init", "reinit", "save", "stop_after_init", "test_enable", "test_file",
        "test_tags", "update",
    }),
}

# Old names Odoo still accepts in the configuration file with a deprecation warning, or maps on load:
# old name -> current name, per version.
#   longpolling_port: "Deprecated alias to the gevent-port option" (16.0, 17.0); gone in 18.0.
#   osv_memory_age_limit: "Deprecated alias to the transient-age-limit option" (16.0); 17.0 and 18.0 map
#     it, and geoip_database, in _warn_deprecated_options(); 19.0 knows neither.
#   xmlrpc_port, xmlrpc_interface, xmlrpc: load()'s outdated_options_map (16.0-18.0); 19.0 dropped it.
#   import_image_*: configmanager.aliases (19.0).
#   without_demo: 19.0 reads it as the inverse of with_demo (_load_file_options()).
ALIASES: dict[str, dict[str, str]] = {
    "16.0": {
        "longpolling_port": "gevent_port",
        "osv_memory_age_limit": "transient_age_limit",
        "xmlrpc": "http_enable",
        "xmlrpc_interface": "http_interface",
        "xmlrpc_port": "http_port",
    },
    "17.0": {
        "geoip_database": "geoip_city_db",
        "longpolling_port": "gevent_port",
        "osv_memory_age_limit": "transient_age_limit",
        "xmlrpc": "http_enable",
        "xmlrpc_interface": "http_interface",
        "xmlrpc_port": "http_port",
    },
    "18.0": {
        "geoip_database": "geoip_city_db",
        "osv_memory_age_limit": "transient_age_limit",
        "xmlrpc": "http_enable",
        "xmlrpc_interface": "http_interface",
        "xmlrpc_port": "http_port",
    },
    "19.0": {
        "import_image_maxbytes": "import_file_maxbytes",
        "import_image_regex": "import_url_regex",
        "import_image_timeout": "import_file_timeout",
        "without_demo": "with_demo",
    },
}

_ALIAS_NOTES = {
    ("19.0", "without_demo"): " (with the opposite meaning: without_demo = True is with_demo = False)",
}

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})
_INT_RE = re.compile(r"^[+-]?[0-9]+$")


class OptionError(ValueError):
    """An option name or value Odoo would not accept; the message never holds a secret value."""


def _versions_text(versions: list[str]) -> str:
    return ", ".join(versions)


def versions_defining(name: str) -> list[str]:
    """The versions whose config.py defines the option."""
    return [version for version in VERSIONS if name in OPTIONS[version]]


def check_name(version: str, name: str) -> str | None:
    """Why Odoo ``version`` would not take ``name`` from odoo.conf, or None when it does."""
    if name in OPTIONS[version]:
        if name in NOT_READ_FROM_FILE[version]:
            return (
                f"option '{name}' is not read from the configuration file by Odoo {version} "
                "(it comes from the command line or is computed at startup)"
            )
        return None
    if name in ALIASES[version]:
        new = ALIASES[version][name]
        note = _ALIAS_NOTES.get((version, name), "")
        return (
            f"option '{name}' is a deprecated alias of '{new}' in Odoo {version}{note}; use '{new}'"
        )
    elsewhere = versions_defining(name)
    if elsewhere:
        return f"option '{name}' does not exist in Odoo {version}; it exists in Odoo {_versions_text(elsewhere)}"
    renamed = {ALIASES[other][name] for other in VERSIONS if name in ALIASES[other]}
    renamed = {new for new in renamed if new in OPTIONS[version]}
    if renamed:
        was_in = [other for other in VERSIONS if name in ALIASES[other]]
        new = sorted(renamed)[0]
        return (
            f"option '{name}' does not exist in Odoo {version} (it was an alias of '{new}' in Odoo "
            f"{_versions_text(was_in)}); use '{new}'"
        )
    message = f"unknown option '{name}' for Odoo {version}"
    valid = sorted(n for n in OPTIONS[version] if n not in NOT_READ_FROM_FILE[version])
    close = difflib.get_close_matches(name.lower(), valid, n=1, cutoff=0.6)
    if close:
        message += f"; did you mean '{close[0]}'?"
    return message


def _describe(value: t.Any, secret: bool) -> str:
    if secret:
        return f"a {type(value).__name__} (value hidden)"
    return f"{value!r}"


def _single_line(name: str, text: str, secret: bool) -> str:
    if "\n" in text or "\r" in text:
        raise OptionError(f"option '{name}' cannot hold a line break")
    if text != text.strip():
        raise OptionError(
            f"option '{name}' cannot start or end with spaces (the configuration file parser strips them)"
            if not secret else f"option '{name}' cannot start or end with spaces"
        )
    return text


def render_value(version: str, name: str, value: t.Any, secret: bool = False) -> str | None:
    """The text Odoo ``version`` reads back as ``value`` for option ``name``, or None to leave it out.

    None leaves the option out (Odoo uses its default). False does the same for an option that is not a
    boolean: Odoo up to 18.0 reads "False" there as "not set", and 19.0 skips it with a warning.
    """
    kind = OPTIONS[version][name]
    if value is None:
        return None
    if value is False and kind not in (BOOL, STR_OR_BOOL):
        return None
    if kind in (BOOL, STR_OR_BOOL):
        if isinstance(value, bool):
            return "True" if value else "False"
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return "True" if value.strip().lower() in _TRUE else "False"
        if kind == BOOL or not isinstance(value, str):
            raise OptionError(
                f"option '{name}' for Odoo {version} expects a boolean, got {_describe(value, secret)}"
            )
        return _single_line(name, value, secret)
    if kind == INT:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str) and _INT_RE.match(value.strip()):
            return str(int(value.strip()))
        raise OptionError(f"option '{name}' for Odoo {version} expects an integer, got {_describe(value, secret)}")
    if kind == FLOAT:
        number: float | None = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                number = None
        if number is None or not math.isfinite(number):
            raise OptionError(f"option '{name}' for Odoo {version} expects a number, got {_describe(value, secret)}")
        return repr(number)
    if kind == CHOICE:
        if not isinstance(value, str) or value not in CHOICES[name]:
            raise OptionError(
                f"option '{name}' for Odoo {version} expects one of {', '.join(CHOICES[name])}, "
                f"got {_describe(value, secret)}"
            )
        return value
    if kind == LIST:
        if isinstance(value, str):
            items = value.split(",")
        elif isinstance(value, (list, tuple)):
            items = []
            for item in value:
                if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                    raise OptionError(
                        f"option '{name}' for Odoo {version} expects a list of strings, got an element "
                        f"{_describe(item, secret)}"
                    )
                if "," in str(item):
                    raise OptionError(
                        f"option '{name}' for Odoo {version}: an element of the list cannot contain a comma "
                        "(Odoo splits the value on commas)"
                    )
                items.append(str(item))
        else:
            raise OptionError(
                f"option '{name}' for Odoo {version} expects a list or a comma-separated string, "
                f"got {_describe(value, secret)}"
            )
        text = ",".join(item.strip() for item in items if item.strip())
        return _single_line(name, text, secret)
    # STR
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise OptionError(f"option '{name}' for Odoo {version} expects a string, got {_describe(value, secret)}")
    return _single_line(name, str(value), secret)
