# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

# Documentation: odoo_conf_options.yml next to this file.

import typing as t
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.odoo_cloud.platform.plugins.filter.odoo_instances import _owned_options, odoo_instances

# Inside the container, per the official image's contract: the ports Odoo listens on and its data directory.
# The published host ports (the instance's http_port and gevent_port) map onto these.
CONTAINER_HTTP_PORT = 8069
CONTAINER_GEVENT_PORT = 8072
CONTAINER_DATA_DIR = "/var/lib/odoo"
# The role's production settings, the names the role passes them under.
SETTINGS = ("db_host", "db_port", "db_sslmode", "addons_path", "without_demo", "server_wide_modules", "log_level")


def _csv(value: t.Any) -> t.Any:
    return ",".join(str(v) for v in value) if isinstance(value, (list, tuple)) else value


def odoo_conf_options(instances: t.Any, sizing: t.Any, settings: t.Any, db_users: t.Any,
                      options: t.Any = None, host: str = "this host") -> dict[str, dict[str, t.Any]]:
    """odoo.conf's options per instance: the role's settings, the instance's routing and databases, the
    computed sizing, then odoo_options, then the instance's own options (neither may set an owned key)."""
    if not isinstance(settings, Mapping):
        raise AnsibleFilterError("odoo_conf_options: settings must be a mapping of the role's odoo.conf settings")
    missing = [name for name in SETTINGS if name not in settings]
    unknown = [name for name in settings if name not in SETTINGS]
    if missing or unknown:
        raise AnsibleFilterError(
            f"odoo_conf_options: settings must hold exactly {', '.join(SETTINGS)}"
            f" (missing: {', '.join(missing) or 'none'}; unknown: {', '.join(unknown) or 'none'})")
    if not isinstance(sizing, Mapping) or not isinstance(db_users, Mapping):
        raise AnsibleFilterError("odoo_conf_options: sizing and db_users must be mappings by instance name")
    _owned_options(host, "odoo_options", options)
    result: dict[str, dict[str, t.Any]] = {}
    for inst in odoo_instances(instances, host=host):
        name = inst["name"]
        if name not in sizing or not isinstance(sizing[name], Mapping) or "options" not in sizing[name]:
            raise AnsibleFilterError(f"odoo_conf_options: instance {host}/{name} has no sizing (the odoo_instance_sizings filter)")
        if name not in db_users:
            raise AnsibleFilterError(f"odoo_conf_options: instance {host}/{name} has no database role (the odoo_db_clients filter)")
        conf: dict[str, t.Any] = {key: _csv(settings[key]) for key in SETTINGS}
        conf.update({
            "db_user": db_users[name],
            "db_name": ",".join(inst["databases"]),
            "dbfilter": inst["dbfilter"],
            "list_db": inst["list_db"],
            "proxy_mode": True,
            "http_port": CONTAINER_HTTP_PORT,
            "gevent_port": CONTAINER_GEVENT_PORT,
            "data_dir": CONTAINER_DATA_DIR,
        })
        conf.update(sizing[name]["options"])
        conf.update(options or {})
        conf.update(inst.get("options") or {})
        result[name] = conf
    return result


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"odoo_conf_options": odoo_conf_options}
