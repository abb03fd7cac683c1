# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.odoo_cloud.platform.plugins.module_utils import _pg_replication as repl


class FakeCursor:
    """Answers each query from a dict {sql: rows}; unknown SQL fails the test."""

    def __init__(self, answers):
        self.answers = answers
        self.executed = []
        self.rows = []

    def execute(self, query, params=None):
        self.executed.append(query)
        if query not in self.answers:
            raise AssertionError(f"unexpected query: {query}")
        self.rows = self.answers[query]

    def fetchall(self):
        return list(self.rows)

    def fetchone(self):
        return self.rows[0] if self.rows else None


def server_row(in_recovery, **overrides):
    row = {
        "in_recovery": in_recovery,
        "server_version": 150014,
        "system_identifier": "7440162348051898418",
        "checkpoint_timeline": 1,
        "synchronous_standby_names": "",
        "synchronous_commit": "on",
    }
    row.update(overrides)
    return row


def primary_answers(replicas=(), slots=(), **overrides):
    ref = repl.PRIMARY_REFERENCE
    return {
        repl.SERVER_QUERY: [server_row(False, **overrides)],
        repl.PRIMARY_QUERY: [{"current_lsn": "0/5000148", "walfile": "000000020000000000000005"}],
        repl.REPLICAS_QUERY.format(ref=ref): list(replicas),
        repl.SLOTS_QUERY.format(ref=ref): list(slots),
    }


def standby_answers(receive="0/3000148", replay="0/3000060", lag_seconds=1.5, receiver=None):
    ref = repl.STANDBY_REFERENCE
    return {
        repl.SERVER_QUERY: [server_row(True)],
        repl.STANDBY_QUERY: [{"receive_lsn": receive, "replay_lsn": replay, "lag_seconds": lag_seconds}],
        repl.WAL_RECEIVER_QUERY: [] if receiver is None else [receiver],
        repl.REPLICAS_QUERY.format(ref=ref): [],
        repl.SLOTS_QUERY.format(ref=ref): [],
    }


def receiver_row(**overrides):
    row = {
        "status": "streaming",
        "sender_host": "10.77.0.161",
        "sender_port": 5432,
        "slot_name": "pg2",
        "conninfo": "user=replicator password=******** host=10.77.0.161 port=5432",
        "received_tli": 3,
        "latest_end_lsn": "0/3000148",
    }
    row.update(overrides)
    return row


# LSN helpers


@pytest.mark.parametrize(
    "text, value",
    [
        ("0/0", 0),
        ("0/3000148", 0x3000148),
        ("16/B374D848", (0x16 << 32) | 0xB374D848),
        ("FFFFFFFF/FFFFFFFF", (1 << 64) - 1),
    ],
)
def test_lsn_round_trip(text, value):
    assert repl.parse_lsn(text) == value
    assert repl.format_lsn(value) == text


def test_parse_lsn_accepts_lower_case_and_spaces():
    assert repl.parse_lsn(" 16/b374d848 ") == repl.parse_lsn("16/B374D848")


def test_none_passes_through():
    assert repl.parse_lsn(None) is None
    assert repl.format_lsn(None) is None
    assert repl.lsn_diff(None, "0/1") is None
    assert repl.lsn_diff("0/1", None) is None


@pytest.mark.parametrize("text", ["", "0", "0/", "/1", "G/1", "1/2/3", "123456789/0", "0x1/0"])
def test_parse_lsn_rejects_malformed(text):
    with pytest.raises(ValueError, match="invalid LSN"):
        repl.parse_lsn(text)


@pytest.mark.parametrize("value", [-1, 1 << 64])
def test_format_lsn_rejects_out_of_range(value):
    with pytest.raises(ValueError):
        repl.format_lsn(value)


def test_lsn_diff_crosses_the_high_word():
    assert repl.lsn_diff("1/0", "0/FFFFFFFF") == 1
    assert repl.lsn_diff("0/3000060", "0/3000148") == -0xE8
    assert repl.lsn_diff(0x100, "0/80") == 0x80


def test_standby_lag_bytes():
    assert repl.standby_lag_bytes("0/3000148", "0/3000060") == 0xE8
    # the primary reported more WAL than the standby received: count it too
    assert repl.standby_lag_bytes("0/3000148", "0/3000060", "0/4000000") == 0x4000000 - 0x3000060
    # a receive position behind replay (replay from pg_wal at startup) is not negative lag
    assert repl.standby_lag_bytes("0/2000000", "0/3000060") == 0
    assert repl.standby_lag_bytes(None, "0/3000060") == 0
    assert repl.standby_lag_bytes("0/3000148", None) is None


def test_mask_conninfo():
    assert repl.mask_conninfo("host=a password=secret port=5432") == "host=a password=******** port=5432"
    assert repl.mask_conninfo("password = 'se cret' host=a") == "password = ******** host=a"
    assert repl.mask_conninfo("host=a password=********") == "host=a password=********"
    assert repl.mask_conninfo(None) is None


def test_timeline_from_walfile():
    assert repl.timeline_from_walfile("0000000A0000000000000005") == 10
    assert repl.timeline_from_walfile(None) is None


# wait_for


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_for_returns_as_soon_as_true():
    clock = FakeClock()
    answers = iter([False, False, True])
    assert repl.wait_for(lambda: next(answers), 10, 1, clock=clock, sleep=clock.sleep)
    assert clock.sleeps == [1, 1]


def test_wait_for_times_out_and_checks_at_the_deadline():
    clock = FakeClock()
    calls = []

    def predicate():
        calls.append(clock.now)
        return False

    assert not repl.wait_for(predicate, 2.5, 1, clock=clock, sleep=clock.sleep)
    assert clock.sleeps == [1, 1, 0.5]
    assert calls == [100.0, 101.0, 102.0, 102.5]


def test_wait_for_zero_timeout_checks_once():
    clock = FakeClock()
    assert repl.wait_for(lambda: True, 0, 1, clock=clock, sleep=clock.sleep)
    assert not repl.wait_for(lambda: False, -5, 1, clock=clock, sleep=clock.sleep)
    assert clock.sleeps == []


# replication_state


def test_primary_state():
    replica = {
        "application_name": "pg2", "client_addr": "10.77.0.162", "state": "streaming", "sync_state": "async",
        "sent_lsn": "0/5000148", "write_lsn": "0/5000148", "flush_lsn": "0/5000148", "replay_lsn": "0/5000060",
        "replay_lag_bytes": 232, "write_lag": 0.0012345, "flush_lag": None, "replay_lag": 0.002,
    }
    slot = {"slot_name": "pg2", "slot_type": "physical", "active": True, "restart_lsn": "0/5000060",
            "wal_status": "reserved", "retained_bytes": 232}
    cursor = FakeCursor(primary_answers([replica], [slot], synchronous_standby_names="ANY 1 (pg2)"))
    state = repl.replication_state(cursor)
    assert state["role"] == "primary"
    assert state["in_recovery"] is False
    assert state["server_version"] == 150014
    assert state["system_identifier"] == "7440162348051898418"
    # the WAL being written is on timeline 2 even though the last checkpoint was on 1
    assert state["timeline"] == 2
    assert state["current_lsn"] == "0/5000148"
    assert state["receive_lsn"] is None and state["replay_lsn"] is None
    assert state["lag_bytes"] is None and state["lag_seconds"] is None
    assert state["wal_receiver"] is None
    assert state["replicas"] == [dict(replica, write_lag=0.001)]
    assert state["slots"] == [slot]
    assert state["synchronous_standby_names"] == "ANY 1 (pg2)"
    assert state["synchronous_commit"] == "on"
    assert state["queries"] == cursor.executed
    assert all("pg_last_wal" not in q for q in state["queries"])


def test_standby_state_streaming():
    cursor = FakeCursor(standby_answers(receiver=receiver_row(conninfo="host=a password=oops")))
    state = repl.replication_state(cursor)
    assert state["role"] == "standby"
    assert state["in_recovery"] is True
    assert state["timeline"] == 3  # received_tli wins over the checkpoint's
    assert state["current_lsn"] is None
    assert state["receive_lsn"] == "0/3000148"
    assert state["replay_lsn"] == "0/3000060"
    assert state["lag_bytes"] == 0xE8
    assert state["lag_seconds"] == 1.5
    assert state["wal_receiver"] == {
        "status": "streaming", "sender_host": "10.77.0.161", "sender_port": 5432, "slot_name": "pg2",
        "conninfo": "host=a password=********",
    }
    assert "pg_current_wal_lsn" not in " ".join(state["queries"])
    assert repl.STANDBY_REFERENCE in state["queries"][-1]


def test_standby_state_without_receiver():
    cursor = FakeCursor(standby_answers(receive=None, replay="0/3000060", lag_seconds=None))
    state = repl.replication_state(cursor)
    assert state["timeline"] == 1  # falls back to the checkpoint's
    assert state["wal_receiver"] is None
    assert state["lag_bytes"] == 0
    assert state["lag_seconds"] is None


def test_standby_lag_includes_what_the_primary_reported():
    cursor = FakeCursor(standby_answers(receiver=receiver_row(latest_end_lsn="0/3001000")))
    assert repl.replication_state(cursor)["lag_bytes"] == 0x3001000 - 0x3000060


def test_database_errors_propagate():
    class Boom(Exception):
        pass

    class FailingCursor(FakeCursor):
        def execute(self, query, params=None):
            raise Boom("permission denied for function pg_control_system")

    with pytest.raises(Boom):
        repl.replication_state(FailingCursor({}))
