# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of the postgresql_replica module.

No PostgreSQL server, no postgres user, no network: the primary is a fake replication connection,
the host (systemctl, runuser, pg_* tools) a fake run_command, name resolution a fixed table and the
cluster owner a fake passwd entry whose home is the test's tmp_path.
"""

from __future__ import annotations

import ipaddress
import json
import os
import pwd
import re
import socket
import stat
import time
import types

import psycopg2
import psycopg2.errors
import psycopg2.extras
import pytest

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args
from ansible_collections.odoo_cloud.platform.plugins.modules import postgresql_replica as replica

ReplicaError = replica.ReplicaError

SENTINEL = "S3NT1NEL-pass-123"
SYSID = "7312345678901234567"
OTHER_SYSID = "7000000000000000001"
VERSION = 150010
PRIMARY = "192.0.2.10"  # TEST-NET-1 (RFC 5737): never an address of this host
OTHER_PRIMARY = "192.0.2.20"
HOSTNAME = "standby-under-test"
OWN_ADDRESS = "10.99.0.5"
VALID_SLOT = re.compile(r"[a-z0-9_]{1,63}")  # what PostgreSQL accepts for a replication slot name

REQUIRED_ARGS = ("primary_host", "replication_user", "replication_password", "application_name", "data_dir",
                 "service_name")


# --- reference parsers (what PostgreSQL and libpq do with what the module writes) --------------------

def pg_config_value(line: str) -> str:
    """The value of a `key = '...'` line as PostgreSQL's configuration file scanner (guc-file.l) reads it.

    A quoted string is '([^'\\\\\\n]|\\\\.|'')*' and GUC_scanstr() turns '' into ' and processes backslash
    escapes (\\b \\f \\n \\r \\t, octal, any other escaped character stands for itself).
    """
    match = re.fullmatch(r"\s*[A-Za-z_.]+\s*=\s*'((?:[^'\\\n]|\\.|'')*)'\s*", line)
    if match is None:
        raise AssertionError(f"PostgreSQL reports a syntax error for {line!r}")
    raw, out, i = match.group(1), [], 0
    while i < len(raw):
        char = raw[i]
        if char == "\\":
            nxt = raw[i + 1]
            if nxt in "01234567":
                digits = re.match(r"[0-7]{1,3}", raw[i + 1:]).group(0)
                out.append(chr(int(digits, 8)))
                i += 1 + len(digits)
                continue
            out.append({"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}.get(nxt, nxt))
            i += 2
        elif char == "'":
            out.append("'")
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def pgpass_fields(line: str) -> list[str]:
    """Split a passfile line the way libpq does: ':' separates fields, '\\' makes the next character literal."""
    fields, current, i = [], [], 0
    text = line.rstrip("\n")
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            current.append(text[i + 1])
            i += 2
            continue
        if text[i] == ":":
            fields.append("".join(current))
            current = []
        else:
            current.append(text[i])
        i += 1
    fields.append("".join(current))
    return fields


# --- fakes ---------------------------------------------------------------------------------------------

class FakeCursor:
    def __init__(self, primary: FakePrimary) -> None:
        self.primary = primary
        self.row: tuple | None = None

    def execute(self, query: str) -> None:
        self.primary.executed.append(query)
        words = query.split()
        if query == "IDENTIFY_SYSTEM":
            self.row = (self.primary.sysid, self.primary.timeline, "0/3000148", None)
        elif query == "SHOW server_version_num":
            self.row = (str(self.primary.version),)
        elif words[0] == "CREATE_REPLICATION_SLOT":
            if words[1] in self.primary.slots:
                raise psycopg2.errors.DuplicateObject(f'replication slot "{words[1]}" already exists')
            self.primary.slots.add(words[1])
            self.row = (words[1], "0/3000148", None, None)
        elif words[0] == "READ_REPLICATION_SLOT":
            self.row = ("physical", "0/3000148", 1) if words[1] in self.primary.slots else (None, None, None)
        else:
            raise AssertionError(f"unexpected replication command: {query}")

    def fetchone(self) -> tuple | None:
        return self.row


class FakeConnection:
    def __init__(self, primary: FakePrimary) -> None:
        self.primary = primary

    def cursor(self) -> FakeCursor:
        return FakeCursor(self.primary)

    def close(self) -> None:
        self.primary.closed += 1


class FakePrimary:
    """The primary as seen over the replication protocol; `error` makes every connection attempt fail."""

    def __init__(self) -> None:
        self.sysid = SYSID
        self.timeline = 3
        self.version = VERSION
        self.slots: set[str] = set()
        self.connects: list[dict] = []
        self.executed: list[str] = []
        self.closed = 0
        self.error: Exception | None = None

    def connect(self, **kwargs) -> FakeConnection:
        self.connects.append(kwargs)
        if self.error is not None:
            raise self.error
        return FakeConnection(self)


class FakeHost:
    """What run_command reaches on the standby: systemctl, runuser and the PostgreSQL tools."""

    def __init__(self) -> None:
        self.active = True
        self.sysid = SYSID
        self.state = "in archive recovery"
        self.wal_status = "streaming"
        self.status_after_start: str | None = None  # wal receiver status once the service (re)starts
        self.fail: dict[str, tuple[int, str, str]] = {}
        self.calls: list[tuple[list[str], dict[str, str]]] = []

    def run_command(self, args, environ_update=None, **_kwargs):
        args = list(args)
        self.calls.append((args, dict(environ_update or {})))
        argv = args[4:] if args[:2] == ["runuser", "-u"] else args
        name = os.path.basename(argv[0])
        if name in self.fail:
            return self.fail[name]
        if name == "systemctl":
            if argv[1] == "is-active":
                return (0 if self.active else 3), "", ""
            self.active = argv[1] in ("start", "restart")
            if self.active and self.status_after_start:
                self.wal_status = self.status_after_start
            return 0, "", ""
        if name == "pg_controldata":
            return 0, (
                "pg_control version number:            1300\n"
                f"Database system identifier:           {self.sysid}\n"
                f"Database cluster state:               {self.state}\n"
                "Latest checkpoint's TimeLineID:       3\n"
            ), ""
        if name == "pg_basebackup":
            data_dir = argv[argv.index("-D") + 1]
            with open(os.path.join(data_dir, "PG_VERSION"), "w", encoding="ascii") as handle:
                handle.write("15\n")
            return 0, "", ""
        if name == "pg_rewind":
            return 0, "pg_rewind: Done!\n", ""
        if name == "psql":
            return 0, f"{self.wal_status}\n", ""
        raise AssertionError(f"unexpected command: {args}")

    def commands(self) -> list[list[str]]:
        return [args for args, _env in self.calls]


class FakeModule:
    """The part of AnsibleModule the manager uses."""

    def __init__(self, params: dict, check_mode: bool = False, diff: bool = False, host: FakeHost | None = None):
        self.params = params
        self.check_mode = check_mode
        self._diff = diff
        self.host = host or FakeHost()

    def run_command(self, args, environ_update=None, **kwargs):
        return self.host.run_command(args, environ_update=environ_update, **kwargs)


# --- fixtures ------------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    """The module's clock; sleeping fails the test (the tests never wait)."""

    def sleep(seconds):
        raise AssertionError(f"the module slept {seconds} s in a unit test")

    clock = types.SimpleNamespace(monotonic=time.monotonic, strftime=time.strftime, sleep=sleep)
    monkeypatch.setattr(replica, "time", clock)
    return clock


@pytest.fixture(autouse=True)
def resolver(monkeypatch):
    """A fixed name table instead of DNS; this host is HOSTNAME at OWN_ADDRESS."""
    table = {
        "localhost": ["127.0.0.1", "::1"],
        HOSTNAME: [OWN_ADDRESS],
        "alias-of-this-host.example": [OWN_ADDRESS],
        "primary.example": [PRIMARY],
    }

    def getaddrinfo(host, port, *args, **kwargs):
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            if host not in table:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
            addresses = table[host]
        return [(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 0))
                for address in addresses]

    monkeypatch.setattr(replica.socket, "gethostname", lambda: HOSTNAME)
    monkeypatch.setattr(replica.socket, "getaddrinfo", getaddrinfo)
    return table


@pytest.fixture
def passwd(monkeypatch, tmp_path):
    """A `postgres` passwd entry whose home is tmp_path; any other name does not exist."""
    entry = pwd.struct_passwd(("postgres", "x", os.getuid(), os.getgid(), "PostgreSQL administrator",
                               str(tmp_path), "/bin/sh"))

    def getpwnam(name):
        if name != "postgres":
            raise KeyError(f"getpwnam(): name not found: '{name}'")
        return entry

    monkeypatch.setattr(replica.pwd, "getpwnam", getpwnam)
    return entry


@pytest.fixture
def chowns(monkeypatch):
    """os.chown as a recorder: the tests may not run as the cluster owner."""
    calls = []
    monkeypatch.setattr(replica.os, "chown", lambda path, uid, gid: calls.append((str(path), uid, gid)))
    return calls


@pytest.fixture
def primary(monkeypatch):
    fake = FakePrimary()
    monkeypatch.setattr(replica.psycopg2, "connect", fake.connect)
    return fake


@pytest.fixture
def bin_dir(tmp_path):
    path = tmp_path / "bin"
    path.mkdir()
    (path / "pg_basebackup").touch()
    return path


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "15" / "main"


@pytest.fixture
def make_manager(passwd, chowns, data_dir, bin_dir):
    def make(check_mode=False, diff=False, host=None, known=True, **overrides):
        params = {
            "primary_host": PRIMARY, "primary_port": 5432, "replication_user": "replicator",
            "replication_password": SENTINEL, "application_name": "pg2", "slot_name": None,
            "data_dir": str(data_dir), "config_file": None, "bin_dir": str(bin_dir),
            "service_name": "postgresql@15-main", "os_user": "postgres", "passfile": None, "ssl_mode": "prefer",
            "rewind": False, "force_rebuild": False, "wait_timeout": 120,
        }
        params.update(overrides)
        manager = replica.ReplicaManager(FakeModule(params, check_mode=check_mode, diff=diff, host=host))
        if known:  # what inspect_primary() would have read
            manager.result["system_identifier"] = SYSID
            manager.result["primary_version"] = VERSION
        return manager

    return make


def make_cluster(path, version="15", standby=True, auto_conf=None, extra=()):
    path.mkdir(parents=True, exist_ok=True)
    (path / "PG_VERSION").write_text(f"{version}\n", encoding="ascii")
    for name in ("base", "global", "pg_wal"):
        (path / name).mkdir()
    if standby:
        (path / "standby.signal").write_text("", encoding="utf-8")
    if auto_conf is not None:
        (path / "postgresql.auto.conf").write_text(auto_conf, encoding="utf-8")
    for name in extra:
        (path / name).write_text("x", encoding="utf-8")
    return path


def local_cluster(path, system_identifier=SYSID) -> replica.LocalCluster:
    """LocalCluster as apply() sees it after pg_controldata."""
    local = replica.LocalCluster(str(path))
    local.system_identifier = system_identifier
    return local


def snapshot(path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): (p.read_bytes() if p.is_file() else b"<dir>") for p in sorted(path.rglob("*"))}


# --- conninfo ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["10.0.0.11", "replicator", "/var/lib/postgresql/.pgpass_replication",
                                   "verify-full", "5432", "db.internal.example"])
def test_quote_conninfo_leaves_plain_values_bare(value):
    assert replica.quote_conninfo(value) == value


@pytest.mark.parametrize("value, quoted", [
    ("", "''"),
    ("two words", "'two words'"),
    ("tab\there", "'tab\there'"),
    ("o'brien", r"'o\'brien'"),
    ("back\\slash", r"'back\\slash'"),
    ("ends\\", r"'ends\\'"),
    ("'\\'", r"'\'\\\''"),
])
def test_quote_conninfo_quotes_and_escapes(value, quoted):
    assert replica.quote_conninfo(value) == quoted


def test_build_conninfo_exact_string():
    conninfo = replica.build_conninfo({
        "host": "10.0.0.11", "port": 5432, "user": "replicator",
        "passfile": "/home/pg user/.pgpass", "application_name": "pg2", "sslmode": "prefer",
    })
    assert conninfo == ("host=10.0.0.11 port=5432 user=replicator passfile='/home/pg user/.pgpass' "
                        "application_name=pg2 sslmode=prefer")


@pytest.mark.parametrize("value", [
    "plain", "", "with space", "  leading and trailing  ", "o'brien", "'quoted'", "back\\slash", "ends\\",
    "\\'", "mixed 'q' \\ and\ttab", "a=b", "/path/with spaces/and'quote\\.pgpass", "ünïcödé", "new\nline",
])
def test_build_then_parse_conninfo_round_trips(value):
    params = {"host": "10.0.0.11", "port": "5432", "user": value, "passfile": value, "application_name": "pg2"}
    assert replica.parse_conninfo(replica.build_conninfo(params)) == params


def test_parse_conninfo_accepts_the_forms_postgresql_writes():
    text = "host = 10.0.0.11  port=5433 user='repl user' passfile='/x/o\\'b\\\\c' sslmode=require"
    assert replica.parse_conninfo(text) == {
        "host": "10.0.0.11", "port": "5433", "user": "repl user", "passfile": "/x/o'b\\c", "sslmode": "require",
    }


def test_parse_conninfo_of_nothing_is_empty():
    assert replica.parse_conninfo("") == {}
    assert replica.parse_conninfo("   ") == {}


# --- postgresql.auto.conf ------------------------------------------------------------------------------

AUTO_CONF_TEXT = (
    "# Do not edit this file manually!\n"
    "# It will be overwritten by the ALTER SYSTEM command.\n"
    "work_mem = '64MB'\n"
    "primary_conninfo = 'host=10.0.0.11 user=''repl user'' sslmode=prefer'\n"
    "# primary_slot_name = 'commented'\n"
    "primary_slot_name = 'old_slot'\n"
    "shared_preload_libraries = 'pg_stat_statements'\n"
    "not a setting line\n"
)


def test_parse_auto_conf_reads_alter_system_lines():
    assert replica.parse_auto_conf(AUTO_CONF_TEXT) == {
        "work_mem": "64MB",
        "primary_conninfo": "host=10.0.0.11 user='repl user' sslmode=prefer",
        "primary_slot_name": "old_slot",
        "shared_preload_libraries": "pg_stat_statements",
    }


def test_parse_auto_conf_of_nothing_is_empty():
    assert replica.parse_auto_conf("") == {}
    assert replica.parse_auto_conf("# only a comment\n") == {}


def test_render_auto_conf_replaces_managed_keys_and_keeps_other_lines():
    settings = {"primary_conninfo": "host=10.0.0.12 user=replicator", "primary_slot_name": "pg2"}
    rendered = replica.render_auto_conf(AUTO_CONF_TEXT + "  primary_slot_name='indented_old'\n", settings)
    assert rendered.splitlines() == [
        "# Do not edit this file manually!",
        "# It will be overwritten by the ALTER SYSTEM command.",
        "work_mem = '64MB'",
        "# primary_slot_name = 'commented'",
        "shared_preload_libraries = 'pg_stat_statements'",
        "not a setting line",
        "primary_conninfo = 'host=10.0.0.12 user=replicator'",
        "primary_slot_name = 'pg2'",
    ]
    assert rendered.endswith("'pg2'\n")
    assert replica.parse_auto_conf(rendered) == {
        "work_mem": "64MB", "shared_preload_libraries": "pg_stat_statements", **settings,
    }


def test_render_auto_conf_doubles_single_quotes():
    settings = {"primary_conninfo": "host=10.0.0.11 passfile='/home/pg user/.pgpass'", "primary_slot_name": "pg2"}
    rendered = replica.render_auto_conf("", settings)
    assert rendered == (
        "primary_conninfo = 'host=10.0.0.11 passfile=''/home/pg user/.pgpass'''\n"
        "primary_slot_name = 'pg2'\n"
    )
    assert replica.parse_auto_conf(rendered) == settings
    # ... and PostgreSQL reads back exactly the same values.
    assert [pg_config_value(line) for line in rendered.splitlines()] == list(settings.values())


def test_render_auto_conf_is_idempotent():
    settings = {"primary_conninfo": "host=a user='b c'", "primary_slot_name": "pg2"}
    once = replica.render_auto_conf(AUTO_CONF_TEXT, settings)
    assert replica.render_auto_conf(once, settings) == once


@pytest.mark.parametrize("user", ["o'brien", "back\\slash"])
def test_auto_conf_line_reads_back_in_postgresql(user):
    conninfo = replica.build_conninfo({"host": "10.0.0.11", "port": 5432, "user": user, "application_name": "pg2"})
    rendered = replica.render_auto_conf("", {"primary_conninfo": conninfo})
    assert pg_config_value(rendered.splitlines()[0]) == conninfo


def test_parse_auto_conf_reads_what_alter_system_writes():
    # Written by PostgreSQL 15.18 for ALTER SYSTEM SET primary_conninfo = $$user='o\'brien' passfile='/a b\\c'$$
    written = "primary_conninfo = 'user=''o\\\\''brien'' passfile=''/a b\\\\\\\\c'''\n"
    value = replica.parse_auto_conf(written)["primary_conninfo"]
    assert value == "user='o\\'brien' passfile='/a b\\\\c'"
    assert replica.parse_conninfo(value) == {"user": "o'brien", "passfile": "/a b\\c"}


# --- passfile ------------------------------------------------------------------------------------------

def test_passfile_line_plain():
    assert replica.passfile_line("10.0.0.11", 5432, "replicator", "secret") == "10.0.0.11:5432:*:replicator:secret\n"


def test_passfile_line_escapes_colons_and_backslashes():
    line = replica.passfile_line("fd00::1", 5433, "re:pl", "pa:ss\\word\\")
    assert line == "fd00\\:\\:1:5433:*:re\\:pl:pa\\:ss\\\\word\\\\\n"


@pytest.mark.parametrize("password", ["plain", "with:colon", "back\\slash", "\\:", "ends\\", "::\\\\::", "sp ace"])
def test_passfile_line_reads_back_in_libpq(password):
    line = replica.passfile_line("fd00::1", 5432, "us:er\\", password)
    assert line.endswith("\n") and line.count("\n") == 1
    assert pgpass_fields(line) == ["fd00::1", "5432", "*", "us:er\\", password]


# --- LocalCluster --------------------------------------------------------------------------------------

def test_local_cluster_absent(data_dir):
    local = replica.LocalCluster(str(data_dir))
    assert (local.exists, local.empty, local.is_cluster, local.standby) == (False, True, False, False)
    assert local.version == "" and local.auto_conf == "" and local.settings == {}
    assert local.summary() == {
        "data_dir": str(data_dir), "cluster": False, "system_identifier": "", "standby": False,
        "primary_host": "", "primary_port": "", "slot_name": "",
    }


def test_local_cluster_empty(data_dir):
    data_dir.mkdir(parents=True)
    local = replica.LocalCluster(str(data_dir))
    assert (local.exists, local.empty, local.is_cluster, local.standby) == (True, True, False, False)


def test_local_cluster_not_a_cluster(data_dir):
    data_dir.mkdir(parents=True)
    (data_dir / "notes.txt").write_text("hello", encoding="utf-8")
    (data_dir / "postgresql.auto.conf").write_text("primary_slot_name = 'x'\n", encoding="utf-8")
    local = replica.LocalCluster(str(data_dir))
    assert (local.exists, local.empty, local.is_cluster) == (True, False, False)
    assert local.version == "" and local.auto_conf == ""  # only a cluster's auto.conf is read
    assert sorted(local.entries) == ["notes.txt", "postgresql.auto.conf"]


def test_local_cluster_primary_with_auto_conf(data_dir):
    make_cluster(data_dir, version="15", standby=False, auto_conf=(
        "work_mem = '64MB'\n"
        "primary_conninfo = 'host=10.0.0.11 port=5433 user=replicator'\n"
        "primary_slot_name = 'pg2'\n"
    ))
    local = replica.LocalCluster(str(data_dir))
    assert (local.exists, local.empty, local.is_cluster, local.standby) == (True, False, True, False)
    assert local.version == "15"
    assert local.settings["primary_slot_name"] == "pg2"
    assert local.summary() == {
        "data_dir": str(data_dir), "cluster": True, "system_identifier": "", "standby": False,
        "primary_host": "10.0.0.11", "primary_port": "5433", "slot_name": "pg2",
    }


def test_local_cluster_standby_signal(data_dir):
    make_cluster(data_dir, version="14")
    local = replica.LocalCluster(str(data_dir))
    assert local.is_cluster and local.standby and local.version == "14"
    assert local.auto_conf == "" and local.settings == {}  # no postgresql.auto.conf


# --- ReplicaManager: construction and settings ---------------------------------------------------------

def test_manager_defaults_slot_and_passfile(make_manager, tmp_path, passwd):
    manager = make_manager()
    assert manager.slot_name == "pg2"
    assert manager.os_user is passwd
    assert manager.passfile == str(tmp_path / ".pgpass_replication")
    explicit = make_manager(slot_name="slot_b", passfile=str(tmp_path / "other.pgpass"))
    assert (explicit.slot_name, explicit.passfile) == ("slot_b", str(tmp_path / "other.pgpass"))


def test_manager_unknown_os_user(make_manager):
    with pytest.raises(ReplicaError, match="os_user 'nobody_here' does not exist"):
        make_manager(os_user="nobody_here")


def test_desired_settings_reference_the_passfile_not_the_password(make_manager, tmp_path):
    manager = make_manager(slot_name="slot_b", ssl_mode="verify-full", primary_port=5433)
    settings = manager.desired_settings()
    assert settings == {
        "primary_conninfo": (f"host={PRIMARY} port=5433 user=replicator passfile={tmp_path}/.pgpass_replication "
                             "application_name=pg2 sslmode=verify-full"),
        "primary_slot_name": "slot_b",
    }
    assert SENTINEL not in repr(settings)
    assert "password" not in replica.parse_conninfo(settings["primary_conninfo"])


# --- ReplicaManager.plan() -----------------------------------------------------------------------------

def test_plan_absent_is_basebackup(make_manager, data_dir):
    assert make_manager().plan(replica.LocalCluster(str(data_dir))) == "basebackup"


def test_plan_empty_is_basebackup(make_manager, data_dir):
    data_dir.mkdir(parents=True)
    assert make_manager().plan(replica.LocalCluster(str(data_dir))) == "basebackup"


def assert_refusal(exc_info, data_dir, *options):
    message = str(exc_info.value)
    assert str(data_dir) in message
    assert "left untouched" in message
    for option in options:
        assert f"{option}: true" in message
    assert SENTINEL not in message


def test_plan_refuses_files_that_are_not_a_cluster(make_manager, data_dir):
    data_dir.mkdir(parents=True)
    (data_dir / "important.sql").write_text("data", encoding="utf-8")
    before = snapshot(data_dir)
    with pytest.raises(ReplicaError, match="holds no PostgreSQL cluster") as exc_info:
        make_manager().plan(replica.LocalCluster(str(data_dir)))
    assert_refusal(exc_info, data_dir, "force_rebuild")
    assert snapshot(data_dir) == before


def test_plan_rewind_does_not_allow_replacing_files_that_are_not_a_cluster(make_manager, data_dir):
    data_dir.mkdir(parents=True)
    (data_dir / "important.sql").write_text("data", encoding="utf-8")
    with pytest.raises(ReplicaError, match="force_rebuild: true"):
        make_manager(rewind=True).plan(replica.LocalCluster(str(data_dir)))


def test_plan_force_rebuild_replaces_files_that_are_not_a_cluster(make_manager, data_dir):
    data_dir.mkdir(parents=True)
    (data_dir / "important.sql").write_text("data", encoding="utf-8")
    assert make_manager(force_rebuild=True).plan(replica.LocalCluster(str(data_dir))) == "rebuild"


def test_plan_refuses_another_major_version(make_manager, data_dir):
    make_cluster(data_dir, version="14")
    before = snapshot(data_dir)
    with pytest.raises(ReplicaError, match="holds a PostgreSQL 14 cluster but the primary runs 15") as exc_info:
        make_manager(rewind=True).plan(local_cluster(data_dir, system_identifier=""))
    assert_refusal(exc_info, data_dir, "force_rebuild")
    assert snapshot(data_dir) == before


def test_plan_force_rebuild_replaces_another_major_version(make_manager, data_dir):
    make_cluster(data_dir, version="14")
    assert make_manager(force_rebuild=True).plan(local_cluster(data_dir, system_identifier="")) == "rebuild"


def test_plan_refuses_another_cluster(make_manager, data_dir):
    make_cluster(data_dir)
    before = snapshot(data_dir)
    with pytest.raises(ReplicaError, match="holds another cluster") as exc_info:
        make_manager().plan(local_cluster(data_dir, system_identifier=OTHER_SYSID))
    assert_refusal(exc_info, data_dir, "force_rebuild")
    assert OTHER_SYSID in str(exc_info.value) and SYSID in str(exc_info.value)
    assert snapshot(data_dir) == before


def test_plan_rewind_does_not_allow_replacing_another_cluster(make_manager, data_dir):
    make_cluster(data_dir, standby=False)
    with pytest.raises(ReplicaError, match="holds another cluster"):
        make_manager(rewind=True).plan(local_cluster(data_dir, system_identifier=OTHER_SYSID))


def test_plan_force_rebuild_replaces_another_cluster(make_manager, data_dir):
    make_cluster(data_dir)
    assert make_manager(force_rebuild=True).plan(local_cluster(data_dir, system_identifier=OTHER_SYSID)) == "rebuild"


def test_plan_refuses_a_former_primary(make_manager, data_dir):
    make_cluster(data_dir, standby=False)
    before = snapshot(data_dir)
    with pytest.raises(ReplicaError, match="is a primary of the same cluster") as exc_info:
        make_manager().plan(local_cluster(data_dir))
    assert_refusal(exc_info, data_dir, "rewind", "force_rebuild")
    assert snapshot(data_dir) == before


def test_plan_rewinds_a_former_primary_when_allowed(make_manager, data_dir):
    make_cluster(data_dir, standby=False)
    assert make_manager(rewind=True).plan(local_cluster(data_dir)) == "rewind"


def test_plan_rebuilds_a_former_primary_when_forced(make_manager, data_dir):
    make_cluster(data_dir, standby=False)
    assert make_manager(force_rebuild=True).plan(local_cluster(data_dir)) == "rebuild"


def matching_auto_conf(manager, **changes) -> str:
    settings = dict(manager.desired_settings(), **changes)
    return replica.render_auto_conf("work_mem = '64MB'\n", settings)


def test_plan_none_when_the_standby_already_follows_the_primary(make_manager, data_dir):
    manager = make_manager()
    make_cluster(data_dir, auto_conf=matching_auto_conf(manager))
    assert manager.plan(local_cluster(data_dir)) == "none"
    assert manager.plan(local_cluster(data_dir), healthy=True) == "none"
    assert make_manager(rewind=True).plan(local_cluster(data_dir)) == "none"
    # force_rebuild leaves a healthy (running and streaming) standby alone.
    assert make_manager(force_rebuild=True).plan(local_cluster(data_dir), healthy=True) == "none"


def test_plan_force_rebuild_reclones_a_standby_that_is_not_healthy(make_manager, data_dir):
    make_cluster(data_dir, auto_conf=matching_auto_conf(make_manager()))
    assert make_manager(force_rebuild=True).plan(local_cluster(data_dir), healthy=False) == "rebuild"
    assert make_manager(force_rebuild=True).plan(local_cluster(data_dir)) == "rebuild"  # not healthy by default


def test_plan_force_rebuild_only_repoints_a_healthy_standby(make_manager, data_dir):
    make_cluster(data_dir, auto_conf=matching_auto_conf(
        make_manager(), primary_conninfo=f"host={OTHER_PRIMARY} port=5432 user=replicator"))
    assert make_manager(force_rebuild=True).plan(local_cluster(data_dir), healthy=True) == "repoint"


@pytest.mark.parametrize("overrides, auto_changes", [
    ({}, {"primary_conninfo": f"host={OTHER_PRIMARY} port=5432 user=replicator"}),
    ({}, {"primary_slot_name": "old_slot"}),
    ({"slot_name": "new_slot"}, {}),
    ({"primary_port": 5433}, {}),
    ({"ssl_mode": "require"}, {}),
    ({"application_name": "pg3", "slot_name": "pg2"}, {}),
    ({"passfile": "/etc/postgresql/replication.pgpass"}, {}),
])
def test_plan_repoints_a_standby_following_something_else(make_manager, data_dir, overrides, auto_changes):
    make_cluster(data_dir, auto_conf=matching_auto_conf(make_manager(), **auto_changes))
    assert make_manager(**overrides).plan(local_cluster(data_dir)) == "repoint"


def test_plan_repoints_a_standby_without_primary_settings(make_manager, data_dir):
    make_cluster(data_dir)  # standby.signal but no postgresql.auto.conf
    assert make_manager().plan(local_cluster(data_dir)) == "repoint"


def test_plan_refuses_a_data_dir_that_is_a_file(make_manager, data_dir):
    data_dir.parent.mkdir(parents=True)
    data_dir.write_text("not a directory", encoding="utf-8")
    try:
        action = make_manager().plan(replica.LocalCluster(str(data_dir)))
    except ReplicaError as exc:
        assert "left untouched" in str(exc)
    else:
        raise AssertionError(f"planned {action!r} for a data_dir that is a regular file")


# --- apply(): refusals before any connection -----------------------------------------------------------

@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", HOSTNAME, OWN_ADDRESS, "alias-of-this-host.example"])
def test_apply_refuses_a_primary_that_is_this_host(make_manager, primary, monkeypatch, host):
    calls = []
    original = replica.ReplicaManager._replication_connection
    monkeypatch.setattr(replica.ReplicaManager, "_replication_connection",
                        lambda self: calls.append(self) or original(self))
    manager = make_manager(primary_host=host, known=False)
    with pytest.raises(ReplicaError, match="is this host: a standby cannot follow itself") as exc_info:
        manager.apply()
    assert f"'{host}'" in str(exc_info.value) and "primary_host" in str(exc_info.value)
    assert calls == [] and primary.connects == []
    assert manager.module.host.calls == []


@pytest.mark.parametrize("host", [PRIMARY, "primary.example", "name-that-does-not-resolve.example"])
def test_apply_lets_a_remote_primary_through_to_the_connection(make_manager, primary, host):
    primary.error = psycopg2.OperationalError("could not connect to server: Connection refused")
    manager = make_manager(primary_host=host, known=False)
    with pytest.raises(ReplicaError, match="cannot reach the primary") as exc_info:
        manager.apply()
    assert len(primary.connects) == 1
    assert primary.connects[0]["host"] == host and primary.connects[0]["password"] == SENTINEL
    message = str(exc_info.value)
    assert f"{host}:5432 as 'replicator'" in message and "Connection refused" in message
    assert SENTINEL not in message


@pytest.mark.parametrize("overrides", [
    {"application_name": "pg-2"},
    {"application_name": "pg 2"},
    {"application_name": "pg2;drop"},
    {"application_name": ""},
    {"application_name": "a" * 64},
    {"application_name": "pgé"},
    {"slot_name": "slot-1"},
    {"slot_name": "slot name"},
])
def test_apply_refuses_a_bad_application_or_slot_name(make_manager, primary, overrides):
    manager = make_manager(known=False, **overrides)
    with pytest.raises(ReplicaError, match="(application_name|slot_name) may hold only (lower-case )?letters, digits and '_'"):
        manager.apply()
    assert primary.connects == []


def test_apply_accepts_a_63_character_application_name(make_manager, primary):
    primary.error = psycopg2.OperationalError("could not connect")
    with pytest.raises(ReplicaError, match="cannot reach the primary"):
        make_manager(application_name="a" * 63, known=False).apply()
    assert primary.connects[0]["application_name"] == "a" * 63


@pytest.mark.parametrize("overrides", [{"application_name": "pg2\n"}, {"slot_name": "pg2\n"}])
def test_apply_refuses_a_name_with_a_trailing_newline(make_manager, primary, overrides):
    primary.error = psycopg2.OperationalError("could not connect")
    manager = make_manager(known=False, **overrides)
    with pytest.raises(ReplicaError, match="(application_name|slot_name) may hold only"):
        manager.apply()
    assert primary.connects == []


@pytest.mark.parametrize("overrides", [{"slot_name": "Pg2"}, {"application_name": "PG2"}])
def test_apply_never_uses_a_slot_name_postgresql_rejects(make_manager, primary, overrides):
    primary.error = psycopg2.OperationalError("could not connect")
    manager = make_manager(known=False, **overrides)
    with pytest.raises(ReplicaError):
        manager.apply()
    refused_before_connecting = primary.connects == []
    assert refused_before_connecting or VALID_SLOT.fullmatch(manager.desired_settings()["primary_slot_name"])


# --- write_passfile() ----------------------------------------------------------------------------------

def passfile_mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_write_passfile_creates_it_0600_owned_by_the_os_user(make_manager, chowns, passwd, tmp_path):
    manager = make_manager()
    path = tmp_path / ".pgpass_replication"
    assert manager.write_passfile() is True
    assert path.read_text(encoding="utf-8") == f"{PRIMARY}:5432:*:replicator:{SENTINEL}\n"
    assert passfile_mode(path) == 0o600
    assert chowns == [(f"{path}.tmp", passwd.pw_uid, passwd.pw_gid)]
    assert not os.path.exists(f"{path}.tmp")


def test_write_passfile_unchanged_returns_false(make_manager, chowns, tmp_path):
    manager = make_manager()
    assert manager.write_passfile() is True
    stamp = os.stat(tmp_path / ".pgpass_replication")
    del chowns[:]
    assert manager.write_passfile() is False
    assert chowns == []
    assert os.stat(tmp_path / ".pgpass_replication").st_ino == stamp.st_ino


def test_write_passfile_fixes_a_readable_mode(make_manager, tmp_path):
    manager = make_manager()
    path = tmp_path / ".pgpass_replication"
    path.write_text(replica.passfile_line(PRIMARY, 5432, "replicator", SENTINEL), encoding="utf-8")
    path.chmod(0o644)
    assert manager.write_passfile() is True
    assert passfile_mode(path) == 0o600


def test_write_passfile_replaces_a_changed_password(make_manager, tmp_path):
    path = tmp_path / ".pgpass_replication"
    path.write_text(replica.passfile_line(PRIMARY, 5432, "replicator", "old-password"), encoding="utf-8")
    path.chmod(0o600)
    assert make_manager().write_passfile() is True
    assert path.read_text(encoding="utf-8") == f"{PRIMARY}:5432:*:replicator:{SENTINEL}\n"


def test_write_passfile_escapes_the_password(make_manager, tmp_path):
    make_manager(replication_password="a:b\\c").write_passfile()
    line = (tmp_path / ".pgpass_replication").read_text(encoding="utf-8")
    assert pgpass_fields(line) == [PRIMARY, "5432", "*", "replicator", "a:b\\c"]


def test_write_passfile_check_mode_writes_nothing(make_manager, chowns, tmp_path):
    manager = make_manager(check_mode=True)
    assert manager.write_passfile() is True
    assert sorted(os.listdir(tmp_path)) == ["bin"]
    assert chowns == []


def test_write_passfile_check_mode_keeps_an_outdated_file(make_manager, tmp_path):
    path = tmp_path / ".pgpass_replication"
    path.write_text("old\n", encoding="utf-8")
    path.chmod(0o600)
    assert make_manager(check_mode=True).write_passfile() is True
    assert path.read_text(encoding="utf-8") == "old\n"
    assert not os.path.exists(f"{path}.tmp")


def test_write_passfile_check_mode_unchanged_returns_false(make_manager, tmp_path):
    assert make_manager().write_passfile() is True
    assert make_manager(check_mode=True).write_passfile() is False


# --- local helpers -------------------------------------------------------------------------------------

def test_controldata_reads_identifier_and_state(make_manager, data_dir, bin_dir):
    make_cluster(data_dir)
    manager = make_manager()
    local = replica.LocalCluster(str(data_dir))
    manager.controldata(local, str(bin_dir))
    assert (local.system_identifier, local.state) == (SYSID, "in archive recovery")
    assert manager.module.host.commands() == [
        ["runuser", "-u", "postgres", "--", str(bin_dir / "pg_controldata"), "-D", str(data_dir)],
    ]
    assert manager.commands == [f"{bin_dir}/pg_controldata -D {data_dir}"]


def test_run_failure_names_the_tool_and_its_error(make_manager, bin_dir):
    host = FakeHost()
    host.fail["pg_controldata"] = (1, "", "pg_controldata: error: could not open file\n")
    manager = make_manager(host=host)
    with pytest.raises(ReplicaError, match=r"pg_controldata failed \(rc=1\): pg_controldata: error: could not open file$"):
        manager.controldata(replica.LocalCluster("/nonexistent"), str(bin_dir))


def test_bin_dir_without_pg_basebackup(make_manager, tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    with pytest.raises(ReplicaError, match=f"runs PostgreSQL 15 but {empty} has no pg_basebackup"):
        make_manager(bin_dir=str(empty)).bin_dir()
    manager = make_manager(bin_dir=None)
    manager.result["primary_version"] = 990003
    with pytest.raises(ReplicaError, match="/usr/lib/postgresql/99/bin has no pg_basebackup"):
        manager.bin_dir()


def test_local_port_from_config_file(make_manager, tmp_path):
    conf = tmp_path / "postgresql.conf"
    conf.write_text("#port = 5000\nport = 5433\t\t# (change requires restart)\n", encoding="utf-8")
    assert make_manager(config_file=str(conf))._local_port() == 5433
    assert make_manager(config_file=str(tmp_path / "missing.conf"))._local_port() == 5432
    assert make_manager()._local_port() == 5432


def test_write_standby_config_keeps_other_settings(make_manager, data_dir, chowns):
    make_cluster(data_dir, standby=False, auto_conf="work_mem = '64MB'\nprimary_slot_name = 'old'\n")
    manager = make_manager()
    manager.write_standby_config(str(data_dir))
    settings = replica.parse_auto_conf((data_dir / "postgresql.auto.conf").read_text(encoding="utf-8"))
    assert settings == {"work_mem": "64MB", **manager.desired_settings()}
    assert (data_dir / "standby.signal").read_text(encoding="utf-8") == ""
    assert passfile_mode(data_dir / "postgresql.auto.conf") == 0o600
    assert sorted(path for path, _uid, _gid in chowns) == [
        str(data_dir / "postgresql.auto.conf"), str(data_dir / "standby.signal")]
    assert SENTINEL not in (data_dir / "postgresql.auto.conf").read_text(encoding="utf-8")
    # What it wrote is what plan() calls up to date.
    assert manager.plan(local_cluster(data_dir)) == "none"


def test_wait_streaming_times_out_without_sleeping_for_real(make_manager, bin_dir, no_sleep):
    now = [1000.0]
    no_sleep.monotonic = lambda: now[0]
    no_sleep.sleep = lambda seconds: now.__setitem__(0, now[0] + seconds)
    host = FakeHost()
    host.wal_status = "waiting"
    manager = make_manager(host=host, wait_timeout=3)
    with pytest.raises(ReplicaError, match=r"did not report 'streaming' within 3 s \(last wal receiver status: "
                                           r"'waiting'\); see 'journalctl -u postgresql@15-main'"):
        manager.wait_streaming(str(bin_dir))
    assert len([args for args in host.commands() if args[4].endswith("psql")]) == 3


# --- apply(): whole runs against the fakes -------------------------------------------------------------

def everything_said(manager) -> str:
    return json.dumps([manager.result, manager.module.host.calls, manager.commands], default=str)


def test_apply_check_mode_on_an_absent_data_dir_changes_nothing(make_manager, primary, data_dir, tmp_path):
    host = FakeHost()
    host.active = False
    manager = make_manager(check_mode=True, diff=True, host=host, known=False)
    result = manager.apply()
    assert result["action"] == "basebackup" and result["changed"] is True
    assert result["slot_created"] is True  # it would be created
    assert (result["system_identifier"], result["primary_version"], result["primary_timeline"]) == (SYSID, VERSION, 3)
    assert result["status"] == "" and result["commands"] == []
    assert not data_dir.exists() and not (tmp_path / ".pgpass_replication").exists()
    assert host.commands() == [["systemctl", "is-active", "--quiet", "postgresql@15-main"]]
    assert not any(query.startswith("CREATE_REPLICATION_SLOT") for query in primary.executed)
    assert "READ_REPLICATION_SLOT pg2" in primary.executed
    assert primary.closed == len(primary.connects)
    assert result["diff"]["before"]["cluster"] is False
    assert result["diff"]["after"] == {
        "data_dir": str(data_dir), "cluster": True, "system_identifier": SYSID, "standby": True,
        "primary_host": PRIMARY, "primary_port": "5432", "slot_name": "pg2",
    }
    assert SENTINEL not in everything_said(manager)


def test_apply_basebackup(make_manager, primary, data_dir, tmp_path, bin_dir):
    host = FakeHost()
    host.active = False
    manager = make_manager(host=host, known=False)
    result = manager.apply()
    assert (result["action"], result["changed"], result["slot_created"], result["status"]) == (
        "basebackup", True, True, "streaming")
    assert "CREATE_REPLICATION_SLOT pg2 PHYSICAL RESERVE_WAL" in primary.executed
    assert primary.connects[0]["connection_factory"] is psycopg2.extras.PhysicalReplicationConnection
    basebackup = [(args, env) for args, env in host.calls if args[4:5] == [str(bin_dir / "pg_basebackup")]]
    assert len(basebackup) == 1
    args, env = basebackup[0]
    assert args[:4] == ["runuser", "-u", "postgres", "--"]
    assert args[args.index("-D") + 1] == str(data_dir) and args[args.index("-S") + 1] == "pg2"
    assert "--no-password" in args
    assert env == {"PGPASSFILE": str(tmp_path / ".pgpass_replication"), "PGAPPNAME": "pg2", "PGSSLMODE": "prefer"}
    assert ["systemctl", "start", "postgresql@15-main"] in host.commands()
    assert ["systemctl", "stop", "postgresql@15-main"] not in host.commands()
    assert (data_dir / "standby.signal").exists()
    assert replica.LocalCluster(str(data_dir)).settings["primary_slot_name"] == "pg2"
    assert passfile_mode(tmp_path / ".pgpass_replication") == 0o600
    assert SENTINEL not in everything_said(manager)
    assert "diff" not in result


def test_apply_again_changes_nothing(make_manager, primary, data_dir, tmp_path):
    primary.slots.add("pg2")
    make_manager().write_passfile()
    make_cluster(data_dir, auto_conf=matching_auto_conf(make_manager()))
    host = FakeHost()
    manager = make_manager(host=host, known=False)
    result = manager.apply()
    assert (result["action"], result["changed"], result["slot_created"], result["status"]) == (
        "none", False, False, "streaming")
    assert [args for args in host.commands() if args[0] == "systemctl" and args[1] != "is-active"] == []


def test_apply_starts_a_stopped_up_to_date_standby(make_manager, primary, data_dir):
    primary.slots.add("pg2")
    make_manager().write_passfile()
    make_cluster(data_dir, auto_conf=matching_auto_conf(make_manager()))
    host = FakeHost()
    host.active = False
    result = make_manager(host=host, known=False).apply()
    assert (result["action"], result["changed"]) == ("start", True)
    assert ["systemctl", "start", "postgresql@15-main"] in host.commands()


def test_apply_repoints_a_running_standby(make_manager, primary, data_dir):
    primary.slots.add("pg2")
    make_cluster(data_dir, auto_conf=matching_auto_conf(
        make_manager(), primary_conninfo=f"host={OTHER_PRIMARY} port=5432 user=replicator"))
    host = FakeHost()
    manager = make_manager(host=host, diff=True, known=False)
    result = manager.apply()
    assert (result["action"], result["changed"]) == ("repoint", True)
    assert ["systemctl", "restart", "postgresql@15-main"] in host.commands()
    assert replica.LocalCluster(str(data_dir)).settings["primary_conninfo"] == \
        manager.desired_settings()["primary_conninfo"]
    assert result["diff"]["before"]["primary_host"] == OTHER_PRIMARY
    assert result["diff"]["after"]["primary_host"] == PRIMARY


def test_apply_refuses_another_cluster_without_touching_it(make_manager, primary, data_dir, tmp_path):
    make_cluster(data_dir, auto_conf="primary_slot_name = 'x'\n")
    before = snapshot(data_dir)
    host = FakeHost()
    host.sysid = OTHER_SYSID
    with pytest.raises(ReplicaError, match="holds another cluster"):
        make_manager(host=host, known=False).apply()
    assert snapshot(data_dir) == before
    assert not (tmp_path / ".pgpass_replication").exists()
    assert [args for args in host.commands() if args[0] == "systemctl" and args[1] != "is-active"] == []
    assert not any(query.startswith("CREATE_REPLICATION_SLOT") for query in primary.executed)


def test_apply_rebuild_moves_the_old_directory_aside(make_manager, primary, data_dir):
    data_dir.mkdir(parents=True)
    (data_dir / "important.sql").write_text("keep me", encoding="utf-8")
    host = FakeHost()
    manager = make_manager(host=host, force_rebuild=True, known=False)
    result = manager.apply()
    assert result["action"] == "rebuild"
    moved = result["replaced_data_dir"]
    assert re.fullmatch(re.escape(str(data_dir)) + r"\.replaced-\d{8}T\d{6}", moved)
    assert (data_dir.parent / os.path.basename(moved) / "important.sql").read_text(encoding="utf-8") == "keep me"
    assert not (data_dir / "important.sql").exists() and (data_dir / "standby.signal").exists()
    systemctl = [args[1] for args in host.commands() if args[0] == "systemctl"]
    assert systemctl[:2] == ["is-active", "stop"] and "start" in systemctl
    assert f"mv {data_dir} {moved}" in result["commands"]


def test_apply_force_rebuild_leaves_a_healthy_standby_alone(make_manager, primary, data_dir, tmp_path):
    primary.slots.add("pg2")
    make_manager().write_passfile()
    make_cluster(data_dir, auto_conf=matching_auto_conf(make_manager()))
    before = snapshot(data_dir)
    host = FakeHost()
    result = make_manager(host=host, force_rebuild=True, known=False).apply()
    assert (result["action"], result["changed"]) == ("none", False)
    assert "replaced_data_dir" not in result and snapshot(data_dir) == before
    assert not list(tmp_path.glob("15/main.replaced-*"))
    assert [args for args in host.commands() if args[0] == "systemctl" and args[1] != "is-active"] == []


def test_apply_force_rebuild_reclones_a_stopped_standby(make_manager, primary, data_dir, tmp_path):
    primary.slots.add("pg2")
    make_cluster(data_dir, auto_conf=matching_auto_conf(make_manager()))
    host = FakeHost()
    host.active = False
    result = make_manager(host=host, force_rebuild=True, known=False).apply()
    assert result["action"] == "rebuild" and result["changed"] is True
    assert (tmp_path / "15" / os.path.basename(result["replaced_data_dir"]) / "PG_VERSION").exists()
    assert (data_dir / "standby.signal").exists()
    assert result["status"] == "streaming"


def test_apply_force_rebuild_reclones_a_running_standby_that_does_not_stream(make_manager, primary, data_dir):
    primary.slots.add("pg2")
    make_cluster(data_dir, auto_conf=matching_auto_conf(make_manager()))
    host = FakeHost()
    host.wal_status, host.status_after_start = "waiting", "streaming"
    result = make_manager(host=host, force_rebuild=True, known=False).apply()
    assert result["action"] == "rebuild" and result["status"] == "streaming"
    systemctl = [args[1] for args in host.commands() if args[0] == "systemctl"]
    assert systemctl == ["is-active", "stop", "start"]


def test_apply_never_reclones_a_standby_that_does_not_stream_unless_forced(make_manager, primary, data_dir, no_sleep):
    now = [0.0]
    no_sleep.monotonic = lambda: now[0]
    no_sleep.sleep = lambda seconds: now.__setitem__(0, now[0] + seconds)
    primary.slots.add("pg2")
    make_manager().write_passfile()
    make_cluster(data_dir, auto_conf=matching_auto_conf(make_manager()))
    before = snapshot(data_dir)
    host = FakeHost()
    host.wal_status = "waiting"
    with pytest.raises(ReplicaError, match="did not report 'streaming' within 5 s .*'waiting'"):
        make_manager(host=host, known=False, wait_timeout=5).apply()
    assert snapshot(data_dir) == before
    assert [args[1] for args in host.commands() if args[0] == "systemctl"] == ["is-active"]


def test_apply_service_failure_points_at_the_log_and_force_rebuild(make_manager, primary, data_dir):
    primary.slots.add("pg2")
    make_cluster(data_dir, auto_conf=matching_auto_conf(
        make_manager(), primary_conninfo=f"host={OTHER_PRIMARY} port=5432 user=replicator"))
    host = FakeHost()
    host.fail["systemctl"] = (1, "", "Job for postgresql@15-main.service failed because the control process exited")
    with pytest.raises(ReplicaError) as exc_info:
        make_manager(host=host, known=False).apply()
    message = str(exc_info.value)
    assert message.startswith("systemctl failed (rc=1): Job for postgresql@15-main.service failed")
    assert "journalctl -u postgresql@15-main" in message and "force_rebuild: true" in message
    assert SENTINEL not in message


def test_apply_rewinds_a_former_primary(make_manager, primary, data_dir, tmp_path, bin_dir):
    make_cluster(data_dir, standby=False)
    host = FakeHost()
    host.state = "shut down"
    conf = tmp_path / "postgresql.conf"
    conf.write_text("port = 5432\n", encoding="utf-8")
    manager = make_manager(host=host, rewind=True, config_file=str(conf), known=False)
    result = manager.apply()
    assert result["action"] == "rewind"
    rewinds = [args for args in host.commands() if args[4:5] == [str(bin_dir / "pg_rewind")]]
    assert len(rewinds) == 1
    argv = rewinds[0][4:]
    assert f"--target-pgdata={data_dir}" in argv and f"--config-file={conf}" in argv
    source = replica.parse_conninfo(next(arg for arg in argv if arg.startswith("--source-server=")).split("=", 1)[1])
    assert source == {"host": PRIMARY, "port": "5432", "user": "replicator", "dbname": "postgres",
                      "passfile": str(tmp_path / ".pgpass_replication"), "sslmode": "prefer"}
    systemctl = [args[1] for args in host.commands() if args[0] == "systemctl"]
    assert systemctl.index("stop") < systemctl.index("start")
    assert (data_dir / "standby.signal").exists()
    assert SENTINEL not in everything_said(manager)


# --- main() through the real AnsibleModule -------------------------------------------------------------

def run_main(capsys, args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            replica.main()
    out = capsys.readouterr().out
    assert SENTINEL not in out
    return exc.value.code, json.loads(out)


def module_args(path, **overrides):
    args = {
        "primary_host": PRIMARY, "replication_user": "replicator", "replication_password": SENTINEL,
        "application_name": "pg2", "data_dir": str(path), "service_name": "postgresql@15-main",
    }
    args.update(overrides)
    return {key: value for key, value in args.items() if value is not None}


@pytest.mark.parametrize("missing", [REQUIRED_ARGS[:1], REQUIRED_ARGS[2:3], ("application_name", "data_dir")])
def test_main_missing_required_arguments(capsys, data_dir, primary, missing):
    args = module_args(data_dir, **{name: None for name in missing})
    code, out = run_main(capsys, args)
    assert code == 1 and out["failed"] is True
    assert out["msg"].startswith("missing required arguments: ")
    for name in missing:
        assert name in out["msg"]
    for name in set(REQUIRED_ARGS) - set(missing):
        assert name not in out["msg"]
    assert primary.connects == []


def assert_exclusive_flags_message(message):
    assert "rewind" in message and "force_rebuild" in message
    assert "mutually exclusive" in message or "exclude each other" in message


def test_apply_refuses_rewind_and_force_rebuild_together(make_manager, primary, data_dir):
    make_cluster(data_dir, standby=False)
    before = snapshot(data_dir)
    with pytest.raises(ReplicaError) as exc_info:
        make_manager(rewind=True, force_rebuild=True, known=False).apply()
    assert_exclusive_flags_message(str(exc_info.value))
    assert primary.connects == [] and snapshot(data_dir) == before


@pytest.mark.parametrize("flags", [{"rewind": True, "force_rebuild": True}, {"rewind": "yes", "force_rebuild": "on"}])
def test_main_rewind_and_force_rebuild_are_mutually_exclusive(capsys, data_dir, passwd, primary, flags):
    code, out = run_main(capsys, module_args(data_dir, **flags))
    assert code == 1 and out["failed"] is True
    assert_exclusive_flags_message(out["msg"])
    assert primary.connects == []


@pytest.mark.parametrize("flags", [{"rewind": False, "force_rebuild": False}, {"rewind": True, "force_rebuild": False},
                                   {"rewind": False, "force_rebuild": True}])
def test_main_accepts_both_flags_when_at_most_one_is_true(capsys, data_dir, passwd, primary, flags):
    """The role passes both flags every time; only both true is a conflict."""
    primary.error = psycopg2.OperationalError("could not connect")
    code, out = run_main(capsys, module_args(data_dir, **flags))
    assert code == 1 and "cannot reach the primary" in out["msg"]


def test_main_rejects_an_unknown_ssl_mode(capsys, data_dir, primary):
    code, out = run_main(capsys, module_args(data_dir, ssl_mode="sometimes"))
    assert code == 1 and "ssl_mode" in out["msg"]
    assert primary.connects == []


def test_main_unknown_os_user(capsys, data_dir, passwd, primary):
    code, out = run_main(capsys, module_args(data_dir, os_user="nobody_here"))
    assert code == 1 and "os_user 'nobody_here' does not exist" in out["msg"]
    assert primary.connects == []


@pytest.mark.parametrize("error", [
    "could not connect",
    # Even a driver message that echoed the password would be masked (replication_password is no_log).
    f'connection to server failed: password "{SENTINEL}" rejected',
])
def test_main_unreachable_primary(capsys, data_dir, passwd, primary, error):
    primary.error = psycopg2.OperationalError(error)
    code, out = run_main(capsys, module_args(data_dir))
    assert code == 1 and out["failed"] is True
    assert "cannot reach the primary" in out["msg"]
    assert f"{PRIMARY}:5432 as 'replicator'" in out["msg"]
    assert len(primary.connects) == 1 and primary.connects[0]["password"] == SENTINEL
    assert not data_dir.exists()


def test_main_refuses_this_host_as_primary(capsys, data_dir, passwd, primary):
    code, out = run_main(capsys, module_args(data_dir, primary_host="127.0.0.1"))
    assert code == 1 and "a standby cannot follow itself" in out["msg"]
    assert primary.connects == []


def test_main_check_mode_reports_without_changing(capsys, monkeypatch, data_dir, tmp_path, passwd, chowns,
                                                  primary, bin_dir):
    host = FakeHost()
    host.active = False
    monkeypatch.setattr(AnsibleModule, "run_command", lambda self, args, **kwargs: host.run_command(args, **kwargs))
    code, out = run_main(capsys, module_args(data_dir, bin_dir=str(bin_dir), _ansible_check_mode=True,
                                             _ansible_diff=True))
    assert code == 0 and "failed" not in out
    assert (out["action"], out["changed"], out["system_identifier"], out["primary_version"]) == (
        "basebackup", True, SYSID, VERSION)
    assert out["diff"]["after"]["primary_host"] == PRIMARY
    assert not data_dir.exists() and not (tmp_path / ".pgpass_replication").exists()
    assert chowns == []


@pytest.mark.parametrize("host", ["127.0.0.2", "127.1.2.3", "::1"])
def test_apply_refuses_any_loopback_primary(make_manager, primary, host):
    manager = make_manager(primary_host=host, known=False)
    with pytest.raises(ReplicaError, match="is this host"):
        manager.apply()
    assert primary.connects == []
