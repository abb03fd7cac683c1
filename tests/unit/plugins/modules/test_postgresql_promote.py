# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.odoo_cloud.platform.plugins.module_utils import _pg_replication as repl
from ansible_collections.odoo_cloud.platform.plugins.modules import postgresql_promote as promote_module


class FakeServer:
    """A PostgreSQL server answering the module's SQL; pg_promote() finishes after `promote_polls` checks."""

    def __init__(self, in_recovery=True, receive="0/3000148", replay="0/3000148", latest_end=None,
                 promote_polls=0, read_only_after_promotion="off"):
        self.in_recovery = in_recovery
        self.receive = receive
        self.replay = replay
        self.latest_end = latest_end or receive
        self.promote_polls = promote_polls
        self.read_only_after_promotion = read_only_after_promotion
        self.promote_calls = []
        self.connections = []
        self.timeline = 1 if in_recovery else 2

    def answer(self, query):
        if query.startswith("SELECT pg_promote("):
            self.promote_calls.append(query)
            if self.promote_polls == 0:
                self._finish_promotion()
            return [{"pg_promote": not self.in_recovery}]
        if query == promote_module.IN_RECOVERY_QUERY:
            if self.in_recovery and self.promote_calls:
                if self.promote_polls <= 1:
                    self._finish_promotion()
                self.promote_polls -= 1
            return [{"in_recovery": self.in_recovery}]
        if query == promote_module.READ_ONLY_QUERY:
            return [{"transaction_read_only": "on" if self.in_recovery else self.read_only_after_promotion}]
        if query == promote_module.REPLAY_LSN_QUERY:
            return [{"promote_lsn": self.replay}]
        if query == repl.SERVER_QUERY:
            return [{"in_recovery": self.in_recovery, "server_version": 150014,
                     "system_identifier": "7440162348051898418", "checkpoint_timeline": 1,
                     "synchronous_standby_names": "", "synchronous_commit": "on"}]
        if query == repl.PRIMARY_QUERY:
            return [{"current_lsn": "0/4000000", "walfile": f"{self.timeline:08X}0000000000000004"}]
        if query == repl.STANDBY_QUERY:
            return [{"receive_lsn": self.receive, "replay_lsn": self.replay, "lag_seconds": 0.0}]
        if query == repl.WAL_RECEIVER_QUERY:
            return [{"status": "streaming", "sender_host": "10.77.0.161", "sender_port": 5432, "slot_name": None,
                     "conninfo": "host=10.77.0.161", "received_tli": 1, "latest_end_lsn": self.latest_end}]
        if "FROM pg_stat_replication" in query or "FROM pg_replication_slots" in query:
            return []
        raise AssertionError(f"unexpected query: {query}")

    def _finish_promotion(self):
        self.in_recovery = False
        self.timeline = 2

    def connect(self):
        conn = FakeConnection(self)
        self.connections.append(conn)
        return conn


class FakeCursor:
    def __init__(self, server):
        self.server = server
        self.rows = []

    def execute(self, query, params=None):
        self.rows = self.server.answer(query)

    def fetchall(self):
        return list(self.rows)

    def fetchone(self):
        return self.rows[0] if self.rows else None


class FakeConnection:
    def __init__(self, server):
        self.server = server
        self.closed = False

    def cursor(self, **kwargs):
        return FakeCursor(self.server)

    def close(self):
        self.closed = True


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def manager(server, check_mode=False, clock=None, **params):
    clock = clock or FakeClock()
    options = {"timeout": 60, "max_lag_bytes": None, "force": False}
    options.update(params)
    return promote_module.PromoteManager(
        FakeCursor(server), server.connect, options, check_mode, clock=clock, sleep=clock.sleep
    )


# The manager


def test_already_primary_is_unchanged():
    server = FakeServer(in_recovery=False)
    result = manager(server).run()
    assert result["changed"] is False
    assert result["promoted"] is False
    assert result["role"] == "primary"
    assert result["timeline"] == {"before": 2, "after": 2}
    assert result["promote_lsn"] is None
    assert result["seconds"] == 0.0
    assert result["diff"] == {"before": {"role": "primary"}, "after": {"role": "primary"}}
    assert not server.promote_calls


def test_check_mode_predicts_and_does_nothing():
    server = FakeServer()
    result = manager(server, check_mode=True).run()
    assert result["changed"] is True
    assert result["promoted"] is True
    assert result["role"] == "primary"
    assert result["timeline"] == {"before": 1, "after": None}
    assert result["diff"] == {"before": {"role": "standby"}, "after": {"role": "primary"}}
    assert not server.promote_calls
    assert server.in_recovery
    assert not server.connections
    assert not any("pg_promote" in q for q in result["queries"])


def test_promotes_and_waits_for_a_writable_session():
    server = FakeServer(promote_polls=3)
    clock = FakeClock()
    result = manager(server, clock=clock, timeout=30).run()
    assert server.promote_calls == ["SELECT pg_promote(true, 30)"]
    assert result["changed"] is True
    assert result["promoted"] is True
    assert result["role"] == "primary"
    assert result["timeline"] == {"before": 1, "after": 2}
    assert result["promote_lsn"] == "0/3000148"
    assert result["seconds"] == 1.0  # two polls of 0.5 s in recovery, the third saw it promoted
    # the write check used a fresh connection, closed afterwards
    assert len(server.connections) == 1 and server.connections[0].closed
    # polling SQL is listed once
    assert result["queries"].count(promote_module.IN_RECOVERY_QUERY) == 1
    assert result["queries"].count(promote_module.READ_ONLY_QUERY) == 1
    assert "SELECT pg_promote(true, 30)" in result["queries"]


def test_refuses_when_lag_exceeds_max_lag_bytes():
    server = FakeServer(receive="0/3000148", replay="0/3000000")
    with pytest.raises(promote_module.PromoteError) as exc:
        manager(server, max_lag_bytes=100).run()
    msg = str(exc.value)
    assert "328 bytes" in msg and "max_lag_bytes=100" in msg and "force=true" in msg
    assert not server.promote_calls


def test_lag_counts_what_the_primary_reported():
    server = FakeServer(receive="0/3000000", replay="0/3000000", latest_end="0/3000100")
    with pytest.raises(promote_module.PromoteError, match="256 bytes"):
        manager(server, max_lag_bytes=0).run()


def test_lag_refusal_applies_in_check_mode():
    server = FakeServer(receive="0/3000148", replay="0/3000000")
    with pytest.raises(promote_module.PromoteError):
        manager(server, check_mode=True, max_lag_bytes=0).run()


def test_force_promotes_despite_lag():
    server = FakeServer(receive="0/3000148", replay="0/3000000")
    result = manager(server, max_lag_bytes=0, force=True).run()
    assert result["promoted"] is True
    assert result["lag_bytes"] == 328


def test_lag_within_limit_promotes():
    server = FakeServer(receive="0/3000148", replay="0/3000000")
    assert manager(server, max_lag_bytes=328).run()["promoted"] is True


def test_timeout_when_still_in_recovery():
    server = FakeServer(promote_polls=1000)
    clock = FakeClock()
    with pytest.raises(promote_module.PromoteError) as exc:
        manager(server, clock=clock, timeout=5).run()
    assert "did not complete within timeout=5 seconds" in str(exc.value)
    assert "leave recovery" in str(exc.value)
    assert clock.now == 5.0


def test_timeout_when_sessions_stay_read_only():
    server = FakeServer(read_only_after_promotion="on")
    with pytest.raises(promote_module.PromoteError, match="default_transaction_read_only"):
        manager(server, timeout=2).run()
    assert all(conn.closed for conn in server.connections)


# The module


@pytest.fixture
def server(monkeypatch):
    srv = FakeServer()

    def fake_connect(module, conn_params, autocommit=False, fail_on_conn=True):
        assert autocommit
        return srv.connect(), None

    monkeypatch.setattr(promote_module, "connect_to_db", fake_connect)
    monkeypatch.setattr(promote_module, "POLL_INTERVAL", 0.01)
    return srv


def run_module(capsys, args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            promote_module.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


def test_module_check_mode_with_diff(capsys, server):
    code, out = run_module(capsys, {"_ansible_check_mode": True, "_ansible_diff": True})
    assert code == 0
    assert out["changed"] is True
    assert out["diff"] == {"before": {"role": "standby"}, "after": {"role": "primary"}}
    assert server.in_recovery and not server.promote_calls


def test_module_promotes_then_is_idempotent(capsys, server):
    code, out = run_module(capsys, {"timeout": 10})
    assert code == 0
    assert out["changed"] is True and out["role"] == "primary"
    assert "diff" not in out
    assert server.promote_calls == ["SELECT pg_promote(true, 10)"]
    assert all(conn.closed for conn in server.connections)

    code, out = run_module(capsys, {"timeout": 10})
    assert code == 0
    assert out["changed"] is False and out["promoted"] is False
    assert len(server.promote_calls) == 1


def test_module_lag_refusal_message(capsys, server):
    server.replay = "0/3000000"
    code, out = run_module(capsys, {"max_lag_bytes": 8})
    assert code == 1
    assert out["msg"].startswith("Refusing to promote: the standby has 328 bytes of WAL not replayed")
    assert "max_lag_bytes=8" in out["msg"]
    assert "exception" not in out
    assert out["queries"][0] == repl.SERVER_QUERY
    assert not server.promote_calls


def test_module_timeout_failure(capsys, server):
    server.promote_polls = 10 ** 6
    code, out = run_module(capsys, {"timeout": 1})
    assert code == 1
    assert "did not complete within timeout=1 seconds" in out["msg"]
    assert "SELECT pg_promote(true, 1)" in out["queries"]


def test_module_sql_error_is_reported(capsys, server, monkeypatch):
    def broken(query):
        raise RuntimeError("must be superuser to promote")

    monkeypatch.setattr(server, "answer", broken)
    code, out = run_module(capsys, {})
    assert code == 1
    assert out["msg"] == "Cannot promote: must be superuser to promote"


@pytest.mark.parametrize(
    "args, message",
    [
        ({"timeout": 0}, "timeout must be a positive number"),
        ({"max_lag_bytes": -1}, "max_lag_bytes must be 0 or more"),
        ({"timeout": "soon"}, "timeout"),
        ({"force": "maybe"}, "force"),
    ],
)
def test_module_rejects_bad_options(capsys, server, args, message):
    code, out = run_module(capsys, args)
    assert code == 1
    assert message in out["msg"]
    assert not server.connections
