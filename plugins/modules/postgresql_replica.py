#!/usr/bin/python
# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: postgresql_replica
short_description: Make this host a streaming standby of a PostgreSQL primary, idempotently
version_added: 0.1.0
description:
  - Runs on the standby host (as root) and brings its data directory to "streaming standby of
    O(primary_host)" by the least destructive way that works.
  - An absent or empty data directory is cloned with C(pg_basebackup) through a physical replication
    slot that the module creates on the primary.
  - A standby of the same cluster that follows another server is repointed (C(primary_conninfo),
    C(primary_slot_name)) and reloaded, without a new clone. This is what a switchover needs for the
    other replicas.
  - A former primary of the same cluster is rewound with C(pg_rewind) only when O(rewind=true), because
    that discards its transactions the new primary lacks.
  - A data directory holding another cluster (different system identifier), or files that are not a
    cluster, is never touched unless O(force_rebuild=true); even then it is moved aside, not deleted.
  - Before any change it connects to the primary over the replication protocol, checks the system
    identifier and the major version, and refuses a primary that resolves to this host.
  - The replication password is written only to a passfile (mode 0600, owned by O(os_user)) that
    C(primary_conninfo) references; it never appears in C(postgresql.auto.conf) or on a command line.
options:
  primary_host:
    description: Address or name of the primary, as this host reaches it.
    type: str
    required: true
  primary_port:
    description: Port of the primary.
    type: int
    default: 5432
  replication_user:
    description: Role with the C(REPLICATION) attribute on the primary.
    type: str
    required: true
  replication_password:
    description: Password of O(replication_user).
    type: str
    required: true
  application_name:
    description:
      - Name this standby reports to the primary (C(pg_stat_replication.application_name)), the name
        used in C(synchronous_standby_names).
      - Letters, digits and C(_) only.
    type: str
    required: true
  slot_name:
    description:
      - Physical replication slot on the primary (lower-case letters, digits and C(_)).
      - Defaults to O(application_name) in lower case.
    type: str
  data_dir:
    description: Data directory of the standby.
    type: path
    required: true
  config_file:
    description:
      - The cluster's C(postgresql.conf) when it lives outside O(data_dir) (Debian keeps it under
        C(/etc/postgresql)). Given to C(pg_rewind) for the crash recovery it may run first.
    type: path
  bin_dir:
    description: Directory of the server binaries. Defaults to C(/usr/lib/postgresql/<major>/bin) for the primary's major version.
    type: path
  service_name:
    description: systemd unit of the cluster, for example C(postgresql@15-main).
    type: str
    required: true
  os_user:
    description: Operating system user that owns the cluster.
    type: str
    default: postgres
  passfile:
    description: Passfile for the replication connection. Defaults to C(.pgpass_replication) in O(os_user)'s home.
    type: path
  ssl_mode:
    description: C(sslmode) of the replication connection.
    type: str
    default: prefer
    choices: [disable, allow, prefer, require, verify-ca, verify-full]
  rewind:
    description:
      - Allow C(pg_rewind) of a data directory that is a primary of the same cluster (a former primary).
      - Its transactions that did not reach the new primary are discarded.
    type: bool
    default: false
  force_rebuild:
    description:
      - Allow replacing a data directory that holds another cluster, a former primary, files that are
        not a cluster, or a standby that is not running and streaming. The old directory is renamed to
        C(<data_dir>.replaced-<timestamp>), never deleted. A healthy streaming standby is left alone.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for the standby to report C(streaming).
    type: int
    default: 120
notes:
  - The primary's C(pg_hba.conf) must allow O(replication_user) for the C(replication) database from this
    host; C(pg_rewind) also needs the C(postgres) database and execute rights on C(pg_ls_dir),
    C(pg_stat_file), C(pg_read_binary_file) (the C(odoo_cloud.platform.postgresql) role grants them).
  - Needs C(psycopg2) on the host, and C(runuser) (util-linux).
requirements:
  - psycopg2 >= 2.8
extends_documentation_fragment:
  - odoo_cloud.platform._attributes
attributes:
  check_mode:
    support: full
    details: Connects to the primary and reads the data directory; changes nothing.
  diff_mode:
    support: full
  idempotent:
    support: full
seealso:
  - module: odoo_cloud.platform.postgresql_replication_info
  - module: odoo_cloud.platform.postgresql_promote
  - name: Streaming replication
    description: PostgreSQL documentation.
    link: https://www.postgresql.org/docs/current/warm-standby.html#STREAMING-REPLICATION
  - name: pg_rewind
    description: PostgreSQL documentation.
    link: https://www.postgresql.org/docs/current/app-pgrewind.html
author:
  - odoo_cloud platform team (@odoo-cloud)
"""

EXAMPLES = r"""
- name: Follow the primary
  odoo_cloud.platform.postgresql_replica:
    primary_host: 10.0.0.11
    replication_user: replicator
    replication_password: "{{ vault_replication_password }}"
    application_name: pg2
    data_dir: /var/lib/postgresql/15/main
    config_file: /etc/postgresql/15/main/postgresql.conf
    service_name: postgresql@15-main

- name: Bring a failed former primary back as a standby of the new one
  odoo_cloud.platform.postgresql_replica:
    primary_host: 10.0.0.12
    replication_user: replicator
    replication_password: "{{ vault_replication_password }}"
    application_name: pg1
    data_dir: /var/lib/postgresql/15/main
    config_file: /etc/postgresql/15/main/postgresql.conf
    service_name: postgresql@15-main
    rewind: true
"""

RETURN = r"""
action:
  description: What was done (or, in check mode, would be done).
  returned: always
  type: str
  choices: [none, basebackup, repoint, rewind, rebuild, start]
  sample: basebackup
system_identifier:
  description: System identifier of the primary's cluster, which this standby now belongs to.
  returned: always
  type: str
  sample: "7312345678901234567"
primary_timeline:
  description: Timeline of the primary.
  returned: always
  type: int
  sample: 1
primary_version:
  description: C(server_version_num) of the primary.
  returned: always
  type: int
  sample: 150010
status:
  description: C(pg_stat_wal_receiver.status) at the end (empty in check mode).
  returned: always
  type: str
  sample: streaming
replaced_data_dir:
  description: Where the previous data directory was moved by O(force_rebuild=true).
  returned: when a rebuild moved a directory aside
  type: str
  sample: /var/lib/postgresql/15/main.replaced-20261122T071500
slot_created:
  description: Whether the replication slot was created on the primary.
  returned: always
  type: bool
commands:
  description: Commands run on this host (no secrets in them).
  returned: always
  type: list
  elements: str
"""

import ipaddress
import os
import pwd
import re
import shutil
import socket
import time
import typing as t

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    import psycopg2
    import psycopg2.errors
    import psycopg2.extras

    HAS_PSYCOPG2 = True
except ImportError:  # pragma: no cover - exercised only where psycopg2 is missing
    HAS_PSYCOPG2 = False

APP_NAME = re.compile(r"[A-Za-z0-9_]{1,63}")
SLOT_NAME = re.compile(r"[a-z0-9_]{1,63}")
AUTO_CONF = "postgresql.auto.conf"
MANAGED_KEYS = ("primary_conninfo", "primary_slot_name")


class ReplicaError(Exception):
    """A refusal or failure the user can act on."""


def quote_conninfo(value: str) -> str:
    """Quote a libpq conninfo value when it needs it."""
    if value and not re.search(r"[\s'\\]", value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def build_conninfo(params: dict[str, t.Any]) -> str:
    return " ".join(f"{key}={quote_conninfo(str(value))}" for key, value in params.items())


def parse_conninfo(conninfo: str) -> dict[str, str]:
    """Parse a libpq key=value conninfo string (the subset PostgreSQL writes)."""
    result: dict[str, str] = {}
    pattern = re.compile(r"\s*([A-Za-z_]+)\s*=\s*('((?:[^'\\]|\\.)*)'|\S+)")
    for match in pattern.finditer(conninfo):
        key, raw, quoted = match.group(1), match.group(2), match.group(3)
        result[key] = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else raw
    return result


def quote_auto_conf(value: str) -> str:
    """Quote a value the way ALTER SYSTEM does: the config parser reads backslash escapes and ''."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _unquote_auto_conf(body: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            out.append(body[i + 1])
            i += 2
        elif char == "'" and body[i + 1:i + 2] == "'":
            out.append("'")
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def parse_auto_conf(text: str) -> dict[str, str]:
    """Read key = 'value' lines as ALTER SYSTEM writes them."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        match = re.match(r"^\s*([A-Za-z_.]+)\s*=\s*'((?:[^'\\]|\\.|'')*)'\s*$", line)
        if match:
            values[match.group(1)] = _unquote_auto_conf(match.group(2))
    return values


def render_auto_conf(text: str, settings: dict[str, str]) -> str:
    """Replace or append the managed keys, keeping every other line as it is."""
    kept = [
        line for line in text.splitlines()
        if not re.match(r"^\s*(%s)\s*=" % "|".join(map(re.escape, settings)), line)
    ]
    kept.extend(f"{key} = {quote_auto_conf(value)}" for key, value in settings.items())
    return "\n".join(kept) + "\n"


def passfile_line(host: str, port: int, user: str, password: str) -> str:
    def esc(value: str) -> str:
        return value.replace("\\", "\\\\").replace(":", "\\:")

    return f"{esc(host)}:{port}:*:{esc(user)}:{esc(password)}\n"


def local_addresses() -> set[str]:
    addresses = {"127.0.0.1", "::1", "localhost", socket.gethostname()}
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            addresses.add(str(info[4][0]))
    except OSError:
        pass
    try:
        with open("/proc/net/fib_trie", encoding="ascii") as fib:
            previous = ""
            for line in fib:
                if "/32 host LOCAL" in line:
                    addresses.add(previous.split()[-1])
                previous = line
    except OSError:
        pass
    return addresses


def resolve(host: str) -> set[str]:
    try:
        return {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except OSError:
        return set()


class LocalCluster:
    """What the data directory on this host holds."""

    def __init__(self, data_dir: str) -> None:
        self.data_dir = data_dir
        self.exists = os.path.isdir(data_dir)
        self.entries = os.listdir(data_dir) if self.exists else []
        self.is_cluster = "PG_VERSION" in self.entries
        self.version = ""
        self.system_identifier = ""
        self.state = ""
        self.standby = "standby.signal" in self.entries
        self.auto_conf = ""
        if self.is_cluster:
            with open(os.path.join(data_dir, "PG_VERSION"), encoding="ascii") as handle:
                self.version = handle.read().strip()
            auto_path = os.path.join(data_dir, AUTO_CONF)
            if os.path.exists(auto_path):
                with open(auto_path, encoding="utf-8") as handle:
                    self.auto_conf = handle.read()

    @property
    def empty(self) -> bool:
        return not self.entries

    @property
    def settings(self) -> dict[str, str]:
        return parse_auto_conf(self.auto_conf)

    def summary(self) -> dict[str, t.Any]:
        conninfo = parse_conninfo(self.settings.get("primary_conninfo", ""))
        return {
            "data_dir": self.data_dir,
            "cluster": self.is_cluster,
            "system_identifier": self.system_identifier,
            "standby": self.standby,
            "primary_host": conninfo.get("host", ""),
            "primary_port": conninfo.get("port", ""),
            "slot_name": self.settings.get("primary_slot_name", ""),
        }


class ReplicaManager:
    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        p = module.params
        self.params = p
        self.check_mode = module.check_mode
        self.app_name: str = p["application_name"]
        # Slot names are lower case: CREATE_REPLICATION_SLOT folds them, primary_slot_name does not.
        self.slot_name: str = p["slot_name"] or self.app_name.lower()
        self.commands: list[str] = []
        self.result: dict[str, t.Any] = {"changed": False, "action": "none", "slot_created": False, "status": ""}
        try:
            self.os_user = pwd.getpwnam(p["os_user"])
        except KeyError as exc:
            raise ReplicaError(f"os_user '{p['os_user']}' does not exist on this host; install the PostgreSQL server first") from exc
        self.passfile = p["passfile"] or os.path.join(self.os_user.pw_dir, ".pgpass_replication")

    # --- primary side -----------------------------------------------------------------------
    def _replication_connection(self) -> t.Any:
        p = self.params
        try:
            return psycopg2.connect(
                host=p["primary_host"], port=p["primary_port"], user=p["replication_user"],
                password=p["replication_password"], sslmode=p["ssl_mode"], application_name=self.app_name,
                connect_timeout=10, connection_factory=psycopg2.extras.PhysicalReplicationConnection,
            )
        except psycopg2.Error as exc:
            raise ReplicaError(
                f"cannot reach the primary at {p['primary_host']}:{p['primary_port']} as '{p['replication_user']}' "
                f"over the replication protocol: {str(exc).strip()}. Check primary_host/primary_port, that the primary "
                "allows replication connections from this host in pg_hba.conf, and replication_password."
            ) from exc

    def inspect_primary(self) -> None:
        conn = self._replication_connection()
        try:
            cur = conn.cursor()
            cur.execute("IDENTIFY_SYSTEM")
            sysid, timeline, _xlogpos, _db = cur.fetchone()
            cur.execute("SHOW server_version_num")
            version = int(cur.fetchone()[0])
        finally:
            conn.close()
        self.result.update(system_identifier=str(sysid), primary_timeline=int(timeline), primary_version=version)

    def ensure_slot(self) -> None:
        if self.check_mode:
            self.result["slot_created"] = not self._slot_exists()
            return
        conn = self._replication_connection()
        try:
            cur = conn.cursor()
            try:
                cur.execute(f"CREATE_REPLICATION_SLOT {self.slot_name} PHYSICAL RESERVE_WAL")
                self.result["slot_created"] = True
                self.result["changed"] = True
            except psycopg2.errors.DuplicateObject:
                pass
        finally:
            conn.close()

    def _slot_exists(self) -> bool:
        if self.result["primary_version"] < 150000:
            return True  # READ_REPLICATION_SLOT is PostgreSQL 15+; creation is idempotent anyway.
        conn = self._replication_connection()
        try:
            cur = conn.cursor()
            cur.execute(f"READ_REPLICATION_SLOT {self.slot_name}")
            return cur.fetchone()[0] is not None
        finally:
            conn.close()

    # --- local side -------------------------------------------------------------------------
    def bin_dir(self) -> str:
        major = self.result["primary_version"] // 10000
        path = self.params["bin_dir"] or f"/usr/lib/postgresql/{major}/bin"
        if not os.path.exists(os.path.join(path, "pg_basebackup")):
            raise ReplicaError(
                f"the primary runs PostgreSQL {major} but {path} has no pg_basebackup: install the same major "
                "version on this host (or set bin_dir)"
            )
        return path

    def run(self, argv: list[str], env: dict[str, str] | None = None, as_owner: bool = True) -> str:
        command = ["runuser", "-u", self.os_user.pw_name, "--", *argv] if as_owner else argv
        self.commands.append(" ".join(argv))
        rc, out, err = self.module.run_command(command, environ_update=env or {})
        if rc != 0:
            raise ReplicaError(f"{argv[0]} failed (rc={rc}): {(err or out).strip()}")
        return out

    def controldata(self, local: LocalCluster, bin_dir: str) -> None:
        out = self.run([os.path.join(bin_dir, "pg_controldata"), "-D", local.data_dir])
        for line in out.splitlines():
            key, _sep, value = line.partition(":")
            if key.strip() == "Database system identifier":
                local.system_identifier = value.strip()
            elif key.strip() == "Database cluster state":
                local.state = value.strip()

    def desired_settings(self) -> dict[str, str]:
        p = self.params
        conninfo = build_conninfo({
            "host": p["primary_host"], "port": p["primary_port"], "user": p["replication_user"],
            "passfile": self.passfile, "application_name": self.app_name, "sslmode": p["ssl_mode"],
        })
        return {"primary_conninfo": conninfo, "primary_slot_name": self.slot_name}

    def plan(self, local: LocalCluster, healthy: bool = False) -> str:
        """Choose the action; `healthy` is whether a standby is already running and streaming."""
        p = self.params
        major = str(self.result["primary_version"] // 10000)
        if os.path.lexists(local.data_dir) and not os.path.isdir(local.data_dir):
            raise ReplicaError(f"data_dir {local.data_dir} exists and is not a directory; it was left untouched")
        if not local.exists or local.empty:
            return "basebackup"
        if not local.is_cluster:
            if p["force_rebuild"]:
                return "rebuild"
            raise ReplicaError(
                f"data_dir {local.data_dir} is not empty and holds no PostgreSQL cluster; it was left untouched. "
                "Empty it, or set force_rebuild: true to move it aside and clone the primary"
            )
        if local.version != major:
            if p["force_rebuild"]:
                return "rebuild"
            raise ReplicaError(
                f"data_dir {local.data_dir} holds a PostgreSQL {local.version} cluster but the primary runs {major}: "
                "major versions must match; it was left untouched. Set force_rebuild: true to replace it"
            )
        if local.system_identifier != self.result["system_identifier"]:
            if p["force_rebuild"]:
                return "rebuild"
            raise ReplicaError(
                f"data_dir {local.data_dir} holds another cluster (system identifier {local.system_identifier}, the "
                f"primary's is {self.result['system_identifier']}); it was left untouched. Set force_rebuild: true to "
                "move it aside and clone the primary"
            )
        if not local.standby:
            if p["rewind"]:
                return "rewind"
            if p["force_rebuild"]:
                return "rebuild"
            raise ReplicaError(
                f"data_dir {local.data_dir} is a primary of the same cluster (a former primary?) and may hold "
                "transactions the primary lacks; it was left untouched. Set rewind: true to rewind it with "
                "pg_rewind, or force_rebuild: true to re-clone it (both discard those transactions)"
            )
        if p["force_rebuild"] and not healthy:
            return "rebuild"
        current = {key: local.settings.get(key, "") for key in MANAGED_KEYS}
        if current != self.desired_settings():
            return "repoint"
        return "none"

    def write_passfile(self) -> bool:
        p = self.params
        content = passfile_line(p["primary_host"], p["primary_port"], p["replication_user"], p["replication_password"])
        if os.path.exists(self.passfile):
            with open(self.passfile, encoding="utf-8") as handle:
                if handle.read() == content and (os.stat(self.passfile).st_mode & 0o077) == 0:
                    return False
        if self.check_mode:
            return True
        tmp = f"{self.passfile}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.chown(tmp, self.os_user.pw_uid, self.os_user.pw_gid)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.passfile)
        return True

    def write_standby_config(self, data_dir: str) -> None:
        auto_path = os.path.join(data_dir, AUTO_CONF)
        text = ""
        if os.path.exists(auto_path):
            with open(auto_path, encoding="utf-8") as handle:
                text = handle.read()
        for path, content in ((auto_path, render_auto_conf(text, self.desired_settings())),
                              (os.path.join(data_dir, "standby.signal"), "")):
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(content)
            os.chown(path, self.os_user.pw_uid, self.os_user.pw_gid)
            os.chmod(path, 0o600)

    def service(self, verb: str) -> None:
        try:
            self.run(["systemctl", verb, self.params["service_name"]], as_owner=False)
        except ReplicaError as exc:
            raise ReplicaError(
                f"{exc}. The server's log (journalctl -u {self.params['service_name']}, /var/log/postgresql/) says why; "
                "if this standby's data directory is damaged, force_rebuild: true re-clones it (the old one is kept aside)"
            ) from exc

    def service_active(self) -> bool:
        rc, _out, _err = self.module.run_command(["systemctl", "is-active", "--quiet", self.params["service_name"]])
        return rc == 0

    def basebackup(self, bin_dir: str) -> None:
        p = self.params
        data_dir = p["data_dir"]
        if not os.path.isdir(data_dir):
            os.makedirs(data_dir, mode=0o700)
        os.chown(data_dir, self.os_user.pw_uid, self.os_user.pw_gid)
        os.chmod(data_dir, 0o700)
        self.run(
            [os.path.join(bin_dir, "pg_basebackup"), "-h", p["primary_host"], "-p", str(p["primary_port"]),
             "-U", p["replication_user"], "-D", data_dir, "-X", "stream", "-S", self.slot_name,
             "--checkpoint=fast", "--no-password"],
            env={"PGPASSFILE": self.passfile, "PGAPPNAME": self.app_name, "PGSSLMODE": p["ssl_mode"]},
        )

    def rewind(self, bin_dir: str) -> None:
        p = self.params
        source = build_conninfo({
            "host": p["primary_host"], "port": p["primary_port"], "user": p["replication_user"],
            "dbname": "postgres", "passfile": self.passfile, "sslmode": p["ssl_mode"],
        })
        argv = [os.path.join(bin_dir, "pg_rewind"), f"--target-pgdata={p['data_dir']}", f"--source-server={source}", "--progress"]
        if p["config_file"]:
            argv.append(f"--config-file={p['config_file']}")
        self.run(argv)

    def move_aside(self) -> str:
        target = f"{self.params['data_dir']}.replaced-{time.strftime('%Y%m%dT%H%M%S')}"
        shutil.move(self.params["data_dir"], target)
        self.commands.append(f"mv {self.params['data_dir']} {target}")
        return target

    def wal_receiver_status(self, bin_dir: str) -> str:
        rc, out, _err = self.module.run_command(
            ["runuser", "-u", self.os_user.pw_name, "--", os.path.join(bin_dir, "psql"), "-XAtq",
             "-p", str(self._local_port()), "-c", "SELECT status FROM pg_stat_wal_receiver"]
        )
        return out.strip() if rc == 0 else ""

    def _local_port(self) -> int:
        port = 5432
        if self.params["config_file"] and os.path.exists(self.params["config_file"]):
            with open(self.params["config_file"], encoding="utf-8") as handle:
                for line in handle:
                    match = re.match(r"^\s*port\s*=\s*'?(\d+)", line)
                    if match:
                        port = int(match.group(1))
        return port

    def wait_streaming(self, bin_dir: str) -> None:
        deadline = time.monotonic() + self.params["wait_timeout"]
        status = ""
        while time.monotonic() < deadline:
            status = self.wal_receiver_status(bin_dir)
            if status == "streaming":
                self.result["status"] = status
                return
            time.sleep(1)
        raise ReplicaError(
            f"the standby did not report 'streaming' within {self.params['wait_timeout']} s (last wal receiver "
            f"status: '{status or 'none'}'); see 'journalctl -u {self.params['service_name']}' and the primary's log"
        )

    # --- the run ----------------------------------------------------------------------------
    def apply(self) -> dict[str, t.Any]:
        p = self.params
        if p["rewind"] and p["force_rebuild"]:
            raise ReplicaError("rewind and force_rebuild exclude each other: rewind keeps the data directory, force_rebuild replaces it")
        if not APP_NAME.fullmatch(self.app_name):
            raise ReplicaError("application_name may hold only letters, digits and '_' (at most 63)")
        if not SLOT_NAME.fullmatch(self.slot_name):
            raise ReplicaError("slot_name may hold only lower-case letters, digits and '_' (at most 63)")
        own = local_addresses()
        resolved = resolve(p["primary_host"])
        if resolved & own or p["primary_host"] in own or any(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in resolved):
            raise ReplicaError(
                f"primary_host '{p['primary_host']}' is this host: a standby cannot follow itself. "
                "Point primary_host at the primary's address"
            )
        self.inspect_primary()
        bin_dir = self.bin_dir()
        local = LocalCluster(p["data_dir"])
        if local.is_cluster and local.version == str(self.result["primary_version"] // 10000):
            self.controldata(local, bin_dir)
        running = self.service_active()
        healthy = running and local.standby and self.wal_receiver_status(bin_dir) == "streaming"
        action = self.plan(local, healthy)
        before = local.summary()

        passfile_changed = self.write_passfile()
        self.ensure_slot()
        if action == "none" and not running:
            action = "start"
        self.result["action"] = action
        if action != "none" or passfile_changed or self.result["slot_created"]:
            self.result["changed"] = True

        if not self.check_mode:
            if action in ("basebackup", "rebuild"):
                if running:
                    self.service("stop")
                if action == "rebuild" and local.exists:
                    self.result["replaced_data_dir"] = self.move_aside()
                self.basebackup(bin_dir)
                self.write_standby_config(p["data_dir"])
                self.service("start")
            elif action == "rewind":
                if running:
                    self.service("stop")
                self.rewind(bin_dir)
                self.write_standby_config(p["data_dir"])
                self.service("start")
            elif action == "repoint":
                self.write_standby_config(p["data_dir"])
                self.service("restart" if running else "start")
            elif action == "start":
                self.service("start")
            self.wait_streaming(bin_dir)

        after = dict(before)
        after.update(
            cluster=True, standby=True, system_identifier=self.result["system_identifier"],
            primary_host=p["primary_host"], primary_port=str(p["primary_port"]), slot_name=self.slot_name,
        )
        if self.module._diff:
            self.result["diff"] = {"before": before, "after": after}
        self.result["commands"] = self.commands
        return self.result


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "primary_host": {"type": "str", "required": True},
            "primary_port": {"type": "int", "default": 5432},
            "replication_user": {"type": "str", "required": True},
            "replication_password": {"type": "str", "required": True, "no_log": True},
            "application_name": {"type": "str", "required": True},
            "slot_name": {"type": "str"},
            "data_dir": {"type": "path", "required": True},
            "config_file": {"type": "path"},
            "bin_dir": {"type": "path"},
            "service_name": {"type": "str", "required": True},
            "os_user": {"type": "str", "default": "postgres"},
            "passfile": {"type": "path", "no_log": False},
            "ssl_mode": {"type": "str", "default": "prefer",
                         "choices": ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]},
            "rewind": {"type": "bool", "default": False},
            "force_rebuild": {"type": "bool", "default": False},
            "wait_timeout": {"type": "int", "default": 120},
        },
        supports_check_mode=True,
    )
    if not HAS_PSYCOPG2:
        module.fail_json(msg=missing_required_lib("psycopg2"))
    try:
        result = ReplicaManager(module).apply()
    except ReplicaError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
