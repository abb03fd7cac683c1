"""Configuration with Odoo's option names: the `[options]` section of the file, then the command line.

The file is `-c/--config`, else `$ODOO_RC`, else `~/.odoorc` (as Odoo). Command-line options override
it. Every standard option is accepted; the ones the stand-in does not act on are kept and ignored.
An unknown option is skipped with a warning (the real server would refuse to start).
"""

from __future__ import annotations

import configparser
import os

# (flags, option name, kind): kind "value" takes an argument; "true"/"false" store that boolean;
# "demo" (--without-demo) takes an optional argument.
CLI_OPTIONS = (
    (("-c", "--config"), "config", "value"),
    (("-s", "--save"), "save", "true"),
    (("-i", "--init"), "init", "value"),
    (("-u", "--update"), "update", "value"),
    (("--without-demo",), "without_demo", "demo"),
    (("--with-demo",), "with_demo", "true"),
    (("-P", "--import-partial"), "import_partial", "value"),
    (("--pidfile",), "pidfile", "value"),
    (("--addons-path",), "addons_path", "value"),
    (("--upgrade-path",), "upgrade_path", "value"),
    (("--pre-upgrade-scripts",), "pre_upgrade_scripts", "value"),
    (("--load",), "server_wide_modules", "value"),
    (("-D", "--data-dir"), "data_dir", "value"),
    (("--http-interface",), "http_interface", "value"),
    (("-p", "--http-port"), "http_port", "value"),
    (("--gevent-port", "--longpolling-port"), "gevent_port", "value"),
    (("--no-http",), "http_enable", "false"),
    (("--proxy-mode",), "proxy_mode", "true"),
    (("--x-sendfile",), "x_sendfile", "true"),
    (("--db-filter",), "dbfilter", "value"),
    (("--test-file",), "test_file", "value"),
    (("--test-enable",), "test_enable", "true"),
    (("--test-tags",), "test_tags", "value"),
    (("--screencasts",), "screencasts", "value"),
    (("--screenshots",), "screenshots", "value"),
    (("--logfile",), "logfile", "value"),
    (("--syslog",), "syslog", "true"),
    (("--log-handler",), "log_handler", "value"),
    (("--log-web",), "log_web", "true"),
    (("--log-sql",), "log_sql", "true"),
    (("--log-db",), "log_db", "value"),
    (("--log-db-level",), "log_db_level", "value"),
    (("--log-level",), "log_level", "value"),
    (("--email-from",), "email_from", "value"),
    (("--from-filter",), "from_filter", "value"),
    (("--smtp",), "smtp_server", "value"),
    (("--smtp-port",), "smtp_port", "value"),
    (("--smtp-ssl",), "smtp_ssl", "true"),
    (("--smtp-user",), "smtp_user", "value"),
    (("--smtp-password",), "smtp_password", "value"),
    (("--smtp-ssl-certificate-filename",), "smtp_ssl_certificate_filename", "value"),
    (("--smtp-ssl-private-key-filename",), "smtp_ssl_private_key_filename", "value"),
    (("-d", "--database"), "db_name", "value"),
    (("-r", "--db_user"), "db_user", "value"),
    (("-w", "--db_password"), "db_password", "value"),
    (("--pg_path",), "pg_path", "value"),
    (("--db_host",), "db_host", "value"),
    (("--db_port",), "db_port", "value"),
    (("--db_sslmode",), "db_sslmode", "value"),
    (("--db_maxconn",), "db_maxconn", "value"),
    (("--db_maxconn_gevent",), "db_maxconn_gevent", "value"),
    (("--db-template",), "db_template", "value"),
    (("--db_replica_host",), "db_replica_host", "value"),
    (("--db_replica_port",), "db_replica_port", "value"),
    (("--load-language",), "load_language", "value"),
    (("-l", "--language"), "language", "value"),
    (("--i18n-export",), "translate_out", "value"),
    (("--i18n-import",), "translate_in", "value"),
    (("--i18n-overwrite",), "overwrite_existing_translations", "true"),
    (("--modules",), "translate_modules", "value"),
    (("--no-database-list",), "list_db", "false"),
    (("--dev",), "dev_mode", "value"),
    (("--shell-interface",), "shell_interface", "value"),
    (("--stop-after-init",), "stop_after_init", "true"),
    (("--osv-memory-count-limit",), "osv_memory_count_limit", "value"),
    (("--transient-age-limit",), "transient_age_limit", "value"),
    (("--max-cron-threads",), "max_cron_threads", "value"),
    (("--unaccent",), "unaccent", "true"),
    (("--geoip-db", "--geoip-city-db"), "geoip_city_db", "value"),
    (("--geoip-country-db",), "geoip_country_db", "value"),
    (("--workers",), "workers", "value"),
    (("--limit-memory-soft",), "limit_memory_soft", "value"),
    (("--limit-memory-soft-gevent",), "limit_memory_soft_gevent", "value"),
    (("--limit-memory-hard",), "limit_memory_hard", "value"),
    (("--limit-memory-hard-gevent",), "limit_memory_hard_gevent", "value"),
    (("--limit-time-cpu",), "limit_time_cpu", "value"),
    (("--limit-time-real",), "limit_time_real", "value"),
    (("--limit-time-real-cron",), "limit_time_real_cron", "value"),
    (("--limit-request",), "limit_request", "value"),
    (("--version",), "version", "true"),
    (("-h", "--help"), "help", "true"),
)
FLAGS = {flag: (name, kind) for flags, name, kind in CLI_OPTIONS for flag in flags}

INT_OPTIONS = frozenset({
    "http_port", "gevent_port", "workers", "max_cron_threads", "db_port", "db_maxconn",
    "db_maxconn_gevent", "db_replica_port", "smtp_port", "osv_memory_count_limit",
    "limit_memory_soft", "limit_memory_soft_gevent", "limit_memory_hard", "limit_memory_hard_gevent",
    "limit_time_cpu", "limit_time_real", "limit_time_real_cron", "limit_request",
})
BOOL_OPTIONS = frozenset({
    "proxy_mode", "list_db", "stop_after_init", "http_enable", "x_sendfile", "test_enable",
    "unaccent", "syslog", "smtp_ssl", "log_web", "log_sql", "save", "with_demo",
    "overwrite_existing_translations", "version", "help",
})
# Names older configuration files still use.
RENAMED = {"longpolling_port": "gevent_port", "xmlrpc_port": "http_port",
           "xmlrpc_interface": "http_interface", "xmlrpc": "http_enable"}


class ConfigError(Exception):
    """A value the real server would refuse too."""


def default_data_dir(environ: dict | None = None, home: str | None = None) -> str:
    """Odoo's default: the user's data directory, `~/.local/share/Odoo` (not /var/lib/odoo)."""
    environ = os.environ if environ is None else environ
    home = os.path.expanduser("~") if home is None else home
    if not os.path.isdir(home):
        return "/var/lib/odoo"
    return os.path.join(environ.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share"), "Odoo")


def defaults(environ: dict | None = None, home: str | None = None) -> dict:
    return {
        "admin_passwd": "admin", "addons_path": None, "data_dir": default_data_dir(environ, home),
        "db_host": None, "db_port": None, "db_user": None, "db_password": None, "db_name": None,
        "db_sslmode": "prefer", "db_maxconn": 64, "db_template": "template0", "dbfilter": "",
        "list_db": True, "proxy_mode": False, "http_enable": True, "http_interface": "",
        "http_port": 8069, "gevent_port": 8072, "workers": 0, "max_cron_threads": 2,
        "server_wide_modules": "base,web", "without_demo": False, "with_demo": False,
        "log_level": "info", "logfile": None, "stop_after_init": False, "init": "", "update": "",
    }


def str2bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "t", "yes", "y", "on"):
        return True
    if lowered in ("0", "false", "f", "no", "n", "off", ""):
        return False
    raise ConfigError(f"invalid boolean value: {value!r}")


def cast(name: str, value):
    """Turn a string from the file or the command line into the option's type."""
    if not isinstance(value, str):
        return value
    if value in ("False", "false", "None"):
        return False if name in BOOL_OPTIONS else None
    if name in BOOL_OPTIONS:
        return str2bool(value)
    if name in INT_OPTIONS:
        try:
            return int(value)
        except ValueError:
            raise ConfigError(f"option {name}: invalid integer value: {value!r}") from None
    return value


def read_file(path: str) -> tuple[dict, list[str]]:
    """The `[options]` section of `path`, cast; an unreadable file is skipped, as Odoo does."""
    parser = configparser.RawConfigParser()
    warnings = []
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except OSError as exc:
        return {}, [f"configuration file {path} not read ({exc.strerror}): running on defaults"]
    options = {}
    if parser.has_section("options"):
        for name, value in parser.items("options"):
            name = RENAMED.get(name, name)
            options[name] = cast(name, value)
    return options, warnings


def parse_args(argv: list[str]) -> tuple[dict, list[str], list[str]]:
    """Command-line options, positional arguments and warnings about options skipped."""
    options: dict = {}
    positional: list[str] = []
    warnings: list[str] = []
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--":
            positional.extend(args)
            break
        if not arg.startswith("-") or arg == "-":
            positional.append(arg)
            continue
        flag, sep, inline = arg.partition("=") if arg.startswith("--") else (arg[:2], "", arg[2:])
        if not arg.startswith("--") and inline:
            sep = "="
        if flag not in FLAGS:
            warnings.append(f"unknown option {flag} ignored (the real server refuses unknown options)")
            continue
        name, kind = FLAGS[flag]
        if kind in ("true", "false"):
            options[name] = kind == "true"
        elif kind == "demo":
            if sep:
                options[name] = inline
            elif args and not args[0].startswith("-"):
                options[name] = args.pop(0)
            else:
                options[name] = "all"
        elif sep:
            options[name] = cast(name, inline)
        elif args:
            options[name] = cast(name, args.pop(0))
        else:
            raise ConfigError(f"{flag} option requires an argument")
    return options, positional, warnings


def config_path(cli: dict, environ: dict) -> str:
    path = cli.get("config") or environ.get("ODOO_RC") or environ.get("OPENERP_SERVER") or "~/.odoorc"
    return os.path.expanduser(path)


class Config:
    """Options merged in Odoo's order: defaults, then the file, then the command line."""

    def __init__(self, options: dict, rcfile: str, positional: list[str], warnings: list[str]):
        self.options = options
        self.rcfile = rcfile
        self.positional = positional
        self.warnings = warnings

    @classmethod
    def load(cls, argv: list[str], environ: dict | None = None, home: str | None = None) -> Config:
        environ = os.environ if environ is None else environ
        cli, positional, warnings = parse_args(argv)
        rcfile = config_path(cli, environ)
        from_file, file_warnings = read_file(rcfile)
        options = defaults(environ, home)
        options.update(from_file)
        options.update({name: value for name, value in cli.items() if name != "config"})
        return cls(options, rcfile, positional, warnings + file_warnings)

    def __getitem__(self, name: str):
        return self.options.get(name)

    def get(self, name: str, default=None):
        value = self.options.get(name)
        return default if value is None else value

    @staticmethod
    def _names(value) -> list[str]:
        return [item.strip() for item in (value or "").split(",") if item.strip()]

    @property
    def db_names(self) -> list[str]:
        return self._names(self["db_name"])

    @property
    def server_wide_modules(self) -> list[str]:
        return self._names(self["server_wide_modules"])

    @property
    def modules_to_init(self) -> list[str]:
        return self._names(self["init"])

    @property
    def modules_to_update(self) -> list[str]:
        return self._names(self["update"])

    @property
    def prefork(self) -> bool:
        """Odoo's multi-process mode: workers > 0 adds the evented (gevent) port."""
        return (self["workers"] or 0) > 0

    def demo_for(self, module: str) -> bool:
        """Whether demo data would be loaded for a module being installed."""
        without = self["without_demo"]
        if without in (None, False, "") or str(without).lower() in ("false", "0"):
            return True
        if without is True or str(without).lower() in ("all", "true", "1"):
            return False
        return module not in self._names(without)
