#!/usr/bin/python
# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: odoo_config
short_description: Write an Odoo server configuration file (odoo.conf) checked against the options of an Odoo version
version_added: 0.1.0
description:
  - Writes the C([options]) section of an Odoo server configuration file from O(options) and O(secret_options).
  - Knows the options that C(odoo/tools/config.py) defines for Odoo 16.0, 17.0, 18.0 and 19.0, with their
    types. Before anything is written it refuses an unknown or misspelled option (naming the closest valid
    one), an option of another Odoo version (naming the versions that have it), an old name Odoo only keeps
    as a deprecated alias (naming the current one), an option Odoo never reads from the file, a credential
    given in O(options) instead of O(secret_options), and a value of the wrong type.
  - The module owns the whole C([options]) section. Keys of an existing file that the task does not set
    are removed and listed in RV(removed_options). Other sections (for example C([queue_job])) are kept
    with their keys and values; comments are not kept.
  - The existing file is compared with the wanted content after parsing it the way Odoo does, and written
    only when they differ, atomically, with the options sorted by name.
  - O(secret_options) values never appear in the result, the diff or an error message. C(admin_passwd) is
    stored as a PBKDF2-SHA512 hash in passlib's format, which Odoo checks the master password against.
options:
  path:
    description: Path of the configuration file, for example C(/etc/odoo/odoo.conf).
    type: path
    required: true
  version:
    description:
      - Odoo version the file is for. The options are checked against that version's C(odoo/tools/config.py).
      - Quote it in YAML (V("18.0")).
    type: str
    required: true
    choices: ["16.0", "17.0", "18.0", "19.0"]
  options:
    description:
      - Options of the C([options]) section, by the name they have in the file (C(db_host), C(http_port),
        C(gevent_port), C(workers)...), except credentials (see O(secret_options)).
      - "Values by type: booleans are written V(True) or V(False) (V(yes)/V(no) strings are accepted);
        integers and numbers as such, also from numeric strings; list options (C(addons_path),
        C(server_wide_modules), C(log_handler)...) take a YAML list or a comma-separated string and are
        written comma-joined; C(db_sslmode) and C(log_level) take one of Odoo's values; other options a
        string (numbers are converted)."
      - V(null) leaves an option out, so Odoo uses its default. V(false) does the same for an option that
        is not a boolean (Odoo 16.0 to 18.0 read C(False) there as not set; 19.0 ignores it with a warning).
      - Values cannot contain line breaks or start or end with spaces.
    type: dict
    default: {}
  secret_options:
    description:
      - Options whose values are credentials. C(admin_passwd), C(db_password), C(smtp_password) and (19.0)
        C(proxy_access_token) are only accepted here; any other option may be given here to hide its value.
      - Checked like O(options); an option cannot be in both.
      - Their values are replaced by C(********) in the diff and never returned; RV(secret_options_set)
        lists their names.
      - "Without C(admin_passwd), Odoo uses its default master password C(admin): the module warns."
    type: dict
    default: {}
  admin_passwd_hash:
    description:
      - Store C(admin_passwd) as a C($pbkdf2-sha512$<rounds>$<salt>$<checksum>) hash (600000 rounds, random
        16-byte salt), the format Odoo's C(crypt_context) verifies and writes itself.
      - An existing hash that matches the given password is kept, so a rerun changes nothing; a new hash
        is written only when the password changed.
      - A value that is already such a hash is written as given. An empty password is written empty
        (Odoo then refuses every master password).
      - When V(false), the password is written in clear text (Odoo accepts it and hashes it on the next
        password change).
    type: bool
    default: true
  state:
    description:
      - V(present) writes the file; V(absent) removes it.
    type: str
    default: present
    choices: [present, absent]
  backup:
    description: Keep a timestamped copy of the previous file before changing or removing it.
    type: bool
    default: false
  mode:
    description:
      - Permissions of the file, as for M(ansible.builtin.file).
      - The file holds credentials, so the default is V("0640"); let only the Odoo service user's group read it.
    type: raw
    default: "0640"
notes:
  - The catalog of options comes from C(odoo/tools/config.py) of each branch; options that add-ons read
    from C([options]) without declaring them there are not accepted. The sources are listed at the top of
    C(plugins/module_utils/_odoo_options.py).
  - A new file is created with mode 0600 before its content is moved in, then given O(mode), O(owner) and
    O(group), so the credentials are never readable by others, even briefly.
  - An existing file Python's C(configparser) cannot read is not overwritten; the module fails instead.
extends_documentation_fragment:
  - ansible.builtin.files
  - odoo_cloud.platform._attributes
  - odoo_cloud.platform._attributes.actiongroup_all
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows the C([options]) section before and after, with credentials replaced by C(********)
        (C(******** (changed)) when a credential changes), and the permissions that change.
  idempotent:
    support: full
seealso:
  - name: Odoo configuration file
    description: The options of odoo-bin, which the configuration file takes by their destination name.
    link: https://www.odoo.com/documentation/18.0/developer/reference/cli.html
  - name: Odoo deployment
    description: Settings for a production Odoo server.
    link: https://www.odoo.com/documentation/18.0/administration/on_premise/deploy.html
author:
  - odoo_cloud platform team (@odoo-cloud)
"""

EXAMPLES = r"""
- name: Configure Odoo 18 behind a reverse proxy
  odoo_cloud.platform.odoo_config:
    path: /etc/odoo/odoo.conf
    version: "18.0"
    owner: root
    group: odoo
    options:
      db_host: 10.0.0.11
      db_port: 5432
      db_user: odoo
      dbfilter: ^%d$
      list_db: false
      proxy_mode: true
      http_port: 8069
      gevent_port: 8072
      workers: 5
      max_cron_threads: 1
      limit_time_real: 1200
      addons_path:
        - /opt/odoo/odoo/addons
        - /opt/odoo/addons
        - /opt/odoo/custom
      server_wide_modules: base,web
      data_dir: /var/lib/odoo
    secret_options:
      admin_passwd: "{{ vault_odoo_master_password }}"
      db_password: "{{ vault_odoo_db_password }}"
  register: odoo_conf

- name: Restart Odoo when its configuration changed
  ansible.builtin.systemd_service:
    name: odoo
    state: restarted
  when: odoo_conf is changed

- name: Remove an old configuration file, keeping a copy
  odoo_cloud.platform.odoo_config:
    path: /etc/odoo/odoo-old.conf
    version: "17.0"
    state: absent
    backup: true
"""

RETURN = r"""
path:
  description: The configuration file.
  returned: always
  type: str
  sample: /etc/odoo/odoo.conf
options:
  description: The non-secret options as written in the file (or that would be, in check mode), by name.
  returned: always
  type: dict
  sample: {"db_host": "10.0.0.11", "list_db": "False", "workers": "5", "addons_path": "/opt/odoo/odoo/addons,/opt/odoo/addons"}
secret_options_set:
  description: Names of the secret options written in the file; their values are never returned.
  returned: always
  type: list
  elements: str
  sample: [admin_passwd, db_password]
removed_options:
  description:
    - Keys of the existing C([options]) section that the task does not set, unknown ones included, which
      the module removed (in check mode, would remove). Names only.
    - With O(state=absent), every key of the removed file.
  returned: always
  type: list
  elements: str
  sample: [longpolling_port, xmlrpc_port]
backup_file:
  description: The copy of the previous file made by O(backup=true).
  returned: when a backup was made
  type: str
  sample: /etc/odoo/odoo.conf.12345.2026-10-01@10:20:30~
diff:
  description:
    - The C([options]) section before and after (credentials masked); a second entry holds the
      permissions that change. Returned whatever the diff mode, so that check mode can be reviewed.
  returned: always
  type: list
  elements: dict
  sample:
    - before: "[options]\ndb_host = 10.0.0.11\n"
      after: "[options]\nadmin_passwd = ********\ndb_host = 10.0.0.12\n"
      before_header: /etc/odoo/odoo.conf (content)
      after_header: /etc/odoo/odoo.conf (content)
"""

import configparser
import os
import re
import tempfile
import typing as t

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.odoo_cloud.platform.plugins.module_utils import _odoo_options as catalog
from ansible_collections.odoo_cloud.platform.plugins.module_utils import _odoo_password as pw

# What Odoo's own crypt_context uses since 17.0 (pbkdf2_sha512__rounds=600_000); 16.0 verifies it too.
HASH_ROUNDS = pw.ROUNDS
MASK = "********"
SECTION = "options"
# Keys of an existing file whose values the diff hides even though the catalog does not know them.
SECRET_LOOKING = re.compile(r"passw|secret|token|key", re.IGNORECASE)


class ConfigError(Exception):
    """A refusal the user can act on; never carries a secret value."""


def hash_admin_password(password: str, rounds: int | None = None, salt: bytes | None = None) -> str:
    """A passlib pbkdf2_sha512 hash of the password, as Odoo's crypt_context writes it."""
    return pw.make_hash(password, rounds or HASH_ROUNDS, salt)


def is_admin_password_hash(value: str) -> bool:
    return pw.is_hash(value)


def verify_admin_password(password: str, stored: str) -> bool:
    """Whether a pbkdf2_sha512 hash (passlib format) is the hash of the password."""
    return pw.verify(password, stored)


def parse_config(text: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """The [options] keys and the other sections of a configuration file, as Odoo's parser reads them.

    Odoo reads the file with configparser.RawConfigParser: keys are lower-cased, values stripped, the
    last of repeated keys wins here (strict=False), and a [DEFAULT] section adds its keys to [options].
    """
    parser = configparser.RawConfigParser(strict=False, default_section="\x00no default section")
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        # The parser's message quotes the offending lines, which may hold a credential: give line numbers only.
        lines = [str(lineno) for lineno, dummy in getattr(exc, "errors", [])] or [str(getattr(exc, "lineno", "?"))]
        raise ConfigError(f"not an INI file ({type(exc).__name__} at line {', '.join(lines)})") from None
    options: dict[str, str] = {}
    others: dict[str, dict[str, str]] = {}
    for section in parser.sections():
        values = dict(parser.items(section))
        if section == "DEFAULT":
            options = {**values, **options}
        elif section == SECTION:
            options.update(values)
        else:
            others[section] = values
    return options, others


def _ini_line(key: str, value: str) -> str:
    # Continuation lines of a multi-line value (only possible in sections we keep) are indented.
    return f"{key} = {value}".replace("\n", "\n\t") + "\n"


def render_options(values: dict[str, str]) -> str:
    return f"[{SECTION}]\n" + "".join(_ini_line(key, values[key]) for key in sorted(values))


def render_config(version: str, options: dict[str, str], others: dict[str, dict[str, str]]) -> str:
    text = (
        f"; Odoo {version} server configuration, written by Ansible (odoo_cloud.platform.odoo_config).\n"
        "; The [options] section is managed as a whole: changes made here are overwritten.\n"
        + render_options(options)
    )
    for section, values in others.items():
        text += f"\n[{section}]\n" + "".join(_ini_line(key, value) for key, value in values.items())
    return text


class OdooConfig:
    """Computes the wanted file and the change; writes only outside check mode."""

    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        p = module.params
        self.path: str = p["path"]
        self.version: str = p["version"]
        self.options: dict[str, t.Any] = p["options"] or {}
        self.secret_options: dict[str, t.Any] = p["secret_options"] or {}
        self.hash_admin: bool = p["admin_passwd_hash"]
        self.check_mode = module.check_mode
        self.result: dict[str, t.Any] = {
            "changed": False, "path": self.path, "options": {}, "secret_options_set": [],
            "removed_options": [], "diff": [],
        }

    # --- what is wanted -------------------------------------------------------------------------
    def wanted(self) -> tuple[dict[str, str], dict[str, str]]:
        """The rendered plain and secret options; every problem is reported before anything is written."""
        errors: list[str] = []
        plain: dict[str, str] = {}
        secret: dict[str, str] = {}
        for name in sorted(self.options, key=str):
            if name in catalog.SECRET_OPTIONS:
                # Masked in everything the module returns, the echoed invocation included.
                if self.options[name] not in (None, ""):
                    self.module.no_log_values.add(str(self.options[name]))
                errors.append(f"option '{name}' is a credential: give it in secret_options, not in options")
                continue
            value = self._render(name, self.options[name], False, errors)
            if value is not None:
                plain[name] = value
        for name in sorted(self.secret_options, key=str):
            if name in self.options:
                errors.append(f"option '{name}' is given in both options and secret_options")
                continue
            value = self._render(name, self.secret_options[name], True, errors)
            if value is not None:
                secret[name] = value
        if errors:
            raise ConfigError(" | ".join(errors))
        return plain, secret

    def _render(self, name: t.Any, value: t.Any, secret: bool, errors: list[str]) -> str | None:
        if not isinstance(name, str):
            errors.append(f"option names must be strings, got {name!r}")
            return None
        problem = catalog.check_name(self.version, name)
        if problem:
            errors.append(problem)
            return None
        try:
            return catalog.render_value(self.version, name, value, secret)
        except catalog.OptionError as exc:
            errors.append(str(exc))
            return None

    def _admin_password(self, password: str, current: str | None) -> str:
        if not self.hash_admin or password == "" or is_admin_password_hash(password):
            return password
        if current is not None and verify_admin_password(password, current):
            return current
        return hash_admin_password(password)

    # --- the file -------------------------------------------------------------------------------
    def read(self, tolerate_errors: bool = False) -> tuple[bool, dict[str, str], dict[str, dict[str, str]]]:
        """Whether the file exists, its [options] and its other sections."""
        if os.path.isdir(self.path):
            raise ConfigError(f"{self.path} is a directory")
        if not os.path.exists(self.path):
            return False, {}, {}
        try:
            with open(self.path, "rb") as handle:
                text = handle.read().decode("utf-8")
            return (True, *parse_config(text))
        except (OSError, UnicodeDecodeError, ConfigError) as exc:
            if tolerate_errors:
                return True, {}, {}
            raise ConfigError(
                f"{self.path} exists but cannot be read: {to_native(exc)}; the module does not overwrite a file "
                "it cannot read: fix or remove it first"
            ) from exc

    def _masked(self, values: dict[str, str], secret_names: t.Collection[str],
                changed_secrets: t.Collection[str] = ()) -> dict[str, str]:
        masked = {}
        for key, value in values.items():
            unknown = key not in catalog.OPTIONS[self.version]
            if key in secret_names or key in catalog.SECRET_OPTIONS or (unknown and SECRET_LOOKING.search(key)):
                masked[key] = MASK + (" (changed)" if key in changed_secrets else "")
            else:
                masked[key] = value
        return masked

    def apply(self) -> dict[str, t.Any]:
        if self.module.params["state"] == "absent":
            return self._absent()
        plain, secret = self.wanted()
        exists, current, others = self.read()
        if "admin_passwd" in secret:
            secret["admin_passwd"] = self._admin_password(secret["admin_passwd"], current.get("admin_passwd"))
        else:
            self.module.warn(
                "admin_passwd is not set: Odoo falls back to its default master password 'admin'. "
                "Set it in secret_options."
            )
        wanted = {**plain, **secret}
        content_changed = not exists or wanted != current
        changed_secrets = [name for name in secret if current.get(name) != secret[name]]
        self.result.update(
            options=plain,
            secret_options_set=sorted(secret),
            removed_options=sorted(set(current) - set(wanted)),
        )
        header = f"{self.path} (content)"
        self.result["diff"].append({
            "before": render_options(self._masked(current, secret)) if exists else "",
            "after": render_options(self._masked(wanted, secret, changed_secrets)),
            "before_header": header,
            "after_header": header,
        })
        if content_changed:
            self.result["changed"] = True
            if not self.check_mode:
                self._write(render_config(self.version, wanted, others), exists)
        if exists or not self.check_mode:
            attr_diff: dict[str, t.Any] = {"before": {"path": self.path}, "after": {"path": self.path}}
            file_args = self.module.load_file_common_arguments(self.module.params)
            self.result["changed"] = self.module.set_fs_attributes_if_different(
                file_args, self.result["changed"], diff=attr_diff
            )
            if exists and (len(attr_diff["before"]) > 1 or len(attr_diff["after"]) > 1):
                self.result["diff"].append(attr_diff)
        return self.result

    def _write(self, content: str, exists: bool) -> None:
        directory = os.path.dirname(self.path) or "."
        if not os.path.isdir(directory):
            raise ConfigError(f"the directory of {self.path} does not exist")
        if exists and self.module.params["backup"]:
            self.result["backup_file"] = self.module.backup_local(self.path)
        fd, tmp_path = tempfile.mkstemp(dir=self.module.tmpdir, prefix=".odoo_config.")
        placeholder = False
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content.encode("utf-8"))
            if not exists:
                # An empty 0600 file first, so that atomic_move keeps that mode instead of applying the
                # umask to a file holding credentials before the final mode is set.
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
                placeholder = True
            self.module.atomic_move(tmp_path, self.path, unsafe_writes=self.module.params["unsafe_writes"])
        except Exception as exc:
            if placeholder and os.path.exists(self.path) and os.path.getsize(self.path) == 0:
                os.remove(self.path)
            raise ConfigError(f"cannot write {self.path}: {to_native(exc)}") from exc
        finally:
            if os.path.exists(tmp_path):
                os.remove(tmp_path)

    def _absent(self) -> dict[str, t.Any]:
        exists, current, dummy = self.read(tolerate_errors=True)
        secret_names = set(self.secret_options)
        self.result["removed_options"] = sorted(current)
        if exists:
            header = f"{self.path} (content)"
            self.result["diff"].append({
                "before": render_options(self._masked(current, secret_names)),
                "after": "",
                "before_header": header,
                "after_header": header,
            })
            self.result["changed"] = True
            if not self.check_mode:
                if self.module.params["backup"]:
                    self.result["backup_file"] = self.module.backup_local(self.path)
                try:
                    os.remove(self.path)
                except OSError as exc:
                    raise ConfigError(f"cannot remove {self.path}: {to_native(exc)}") from exc
        return self.result


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "version": {"type": "str", "required": True, "choices": list(catalog.VERSIONS)},
            "options": {"type": "dict", "default": {}},
            "secret_options": {"type": "dict", "default": {}, "no_log": True},
            "admin_passwd_hash": {"type": "bool", "default": True, "no_log": False},
            "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
            "backup": {"type": "bool", "default": False},
            "mode": {"type": "raw", "default": "0640"},
        },
        add_file_common_args=True,
        supports_check_mode=True,
    )
    try:
        result = OdooConfig(module).apply()
    except ConfigError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
