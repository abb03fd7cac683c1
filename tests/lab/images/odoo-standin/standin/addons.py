"""Server-wide modules, loaded as Odoo loads them (odoo/service/server.py load_server_wide_modules).

Odoo imports each module of `server_wide_modules` at start; one it cannot find on the addons path is
logged ("Failed to load server-wide module `name`.", with a traceback) and the server keeps running:
/web/health and JSON-RPC still answer, but every page that loads an asset bundle (the login page, the
web client) answers 500, because ir.asset reads the manifest of every server-wide module and a missing
module has none (KeyError: 'assets'). The stand-in does the same.

The stand-in carries `base` and `web` itself (Odoo's own addons directory). Any other module is found
only as `<dir>/<name>/__manifest__.py` in a directory of addons_path; the stand-in implements the
behaviour of the few add-ons it knows (session_redis) and only when such a manifest is there.
"""

from __future__ import annotations

import os

BUILTIN = ("base", "web")


def addons_dirs(addons_path: str | None) -> list[str]:
    return [item.strip() for item in (addons_path or "").split(",") if item.strip()]


def find_module(name: str, addons_path: str | None) -> str | None:
    """Directory of module `name` (built-in ones: "<builtin>"), or None when Odoo would not find it."""
    if name in BUILTIN:
        return "<builtin>"
    for directory in addons_dirs(addons_path):
        if os.path.isfile(os.path.join(directory, name, "__manifest__.py")):
            return os.path.join(directory, name)
    return None


def load_server_wide(modules: list[str], addons_path: str | None, logger) -> tuple[list[str], list[str]]:
    """(loaded, missing) server-wide modules; each missing one is logged as Odoo logs it."""
    loaded, missing = [], []
    for name in modules:
        if find_module(name, addons_path):
            loaded.append(name)
        else:
            missing.append(name)
            logger.error("Failed to load server-wide module `%s`.\nTraceback (most recent call last):\n"
                         "ModuleNotFoundError: No module named 'odoo.addons.%s'", name, name)
    return loaded, missing
