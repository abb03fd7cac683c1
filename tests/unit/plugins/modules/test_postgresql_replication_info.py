# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.odoo_cloud.platform.plugins.module_utils import _pg_replication as repl
from ansible_collections.odoo_cloud.platform.plugins.modules import postgresql_replication_info as info_module

STANDBY = {
    repl.SERVER_QUERY: [{
        "in_recovery": True, "server_version": 150014, "system_identifier": "7440162348051898418",
        "checkpoint_timeline": 1, "synchronous_standby_names": "", "synchronous_commit": "on",
    }],
    repl.STANDBY_QUERY: [{"receive_lsn": "0/3000148", "replay_lsn": "0/3000148", "lag_seconds": 0.0}],
    repl.WAL_RECEIVER_QUERY: [{
        "status": "streaming", "sender_host": "10.77.0.161", "sender_port": 5432, "slot_name": "pg2",
        "conninfo": "user=replicator password=******** host=10.77.0.161", "received_tli": 1,
        "latest_end_lsn": "0/3000148",
    }],
    repl.REPLICAS_QUERY.format(ref=repl.STANDBY_REFERENCE): [],
    repl.SLOTS_QUERY.format(ref=repl.STANDBY_REFERENCE): [],
}


class FakeCursor:
    def __init__(self, answers):
        self.answers = answers
        self.rows = []

    def execute(self, query, params=None):
        if isinstance(self.answers, Exception):
            raise self.answers
        self.rows = self.answers[query]

    def fetchall(self):
        return list(self.rows)


class FakeConnection:
    def __init__(self, answers):
        self.answers = answers
        self.closed = False

    def cursor(self, **kwargs):
        return FakeCursor(self.answers)

    def close(self):
        self.closed = True


@pytest.fixture
def connection(monkeypatch):
    """The connection the module gets; tests set .answers."""
    conn = FakeConnection(STANDBY)
    seen = {}

    def fake_connect(module, conn_params, autocommit=False, fail_on_conn=True):
        seen.update(conn_params)
        return conn, None

    monkeypatch.setattr(info_module, "connect_to_db", fake_connect)
    conn.params = seen
    return conn


def run_module(capsys, args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            info_module.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


def test_manager_never_changes():
    result = info_module.ReplicationInfo(FakeCursor(STANDBY)).run()
    assert result["changed"] is False
    assert result["role"] == "standby"
    assert result["queries"][0] == repl.SERVER_QUERY


def test_module_reports_standby(capsys, connection):
    code, out = run_module(capsys, {"login_host": "10.77.0.162", "login_password": "pw", "login_db": "postgres"})
    assert code == 0
    assert out["changed"] is False
    assert out["role"] == "standby"
    assert out["lag_bytes"] == 0
    assert out["lag_seconds"] == 0.0
    assert out["wal_receiver"]["sender_host"] == "10.77.0.161"
    assert out["wal_receiver"]["conninfo"] == "user=replicator password=******** host=10.77.0.161"
    assert len(out["queries"]) == 5
    assert connection.closed
    assert connection.params == {"host": "10.77.0.162", "user": "postgres", "password": "pw", "port": 5432,
                                 "sslmode": "prefer", "dbname": "postgres"}


def test_module_check_mode_is_the_same(capsys, connection):
    code, out = run_module(capsys, {"_ansible_check_mode": True})
    assert code == 0
    assert out["changed"] is False
    assert out["role"] == "standby"


def test_module_fails_cleanly_on_sql_error(capsys, connection):
    connection.answers = RuntimeError("permission denied for function pg_control_system")
    code, out = run_module(capsys, {})
    assert code == 1
    assert out["failed"] is True
    assert out["msg"] == "Cannot read the replication state: permission denied for function pg_control_system"
    assert connection.closed


def test_module_rejects_unknown_option(capsys, connection):
    code, out = run_module(capsys, {"timeout": 3})
    assert code == 1
    assert "Unsupported parameters" in out["msg"]


def test_module_checks_session_role_when_input_is_untrusted(capsys, connection):
    code, out = run_module(capsys, {"trust_input": False, "session_role": "x; DROP TABLE t"})
    assert code == 1
    assert "dangerous" in out["msg"]
