# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Streaming replication state of a PostgreSQL server (13 to 17), and LSN helpers."""

from __future__ import annotations

import re
import time
import typing as t

from ansible_collections.community.postgresql.plugins.module_utils.postgres import postgres_common_argument_spec

# A pg_lsn is a 64-bit position in the write-ahead log, written as two hexadecimal halves 'X/Y'.
_LSN_RE = re.compile(r"^\s*([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})\s*$")
_LSN_MAX = (1 << 64) - 1
_PASSWORD_RE = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
MASKED_PASSWORD = "********"


def session_argument_spec() -> dict[str, t.Any]:
    """community.postgresql's connection options plus the session options of doc fragment _pg_session."""
    spec = postgres_common_argument_spec()
    spec.update(
        login_db={"type": "str"},
        session_role={"type": "str"},
        trust_input={"type": "bool", "default": True},
    )
    return spec


def parse_lsn(value: str | None) -> int | None:
    """Turn a pg_lsn text ('16/B374D848') into an int; None stays None. Raises ValueError if malformed."""
    if value is None:
        return None
    match = _LSN_RE.match(str(value))
    if not match:
        raise ValueError(f"invalid LSN {value!r}: expected two hexadecimal numbers separated by '/'")
    return (int(match.group(1), 16) << 32) | int(match.group(2), 16)


def format_lsn(value: int | None) -> str | None:
    """Turn an int into pg_lsn text the way PostgreSQL writes it (upper case, no leading zeros)."""
    if value is None:
        return None
    if not 0 <= value <= _LSN_MAX:
        raise ValueError(f"LSN {value} is outside 0..2^64-1")
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"


def lsn_diff(newer: str | int | None, older: str | int | None) -> int | None:
    """Bytes from older to newer (like pg_wal_lsn_diff); None if either is unknown."""
    newer_int = parse_lsn(newer) if isinstance(newer, str) else newer
    older_int = parse_lsn(older) if isinstance(older, str) else older
    if newer_int is None or older_int is None:
        return None
    return newer_int - older_int


def mask_conninfo(conninfo: str | None) -> str | None:
    """Mask a password in a libpq connection string (PostgreSQL masks it already; this is a safety net)."""
    if conninfo is None:
        return None
    return _PASSWORD_RE.sub(lambda m: m.group(1) + MASKED_PASSWORD, conninfo)


def timeline_from_walfile(walfile: str | None) -> int | None:
    """The timeline of a WAL segment file name (its first 8 hexadecimal digits)."""
    if not walfile or len(walfile) < 8:
        return None
    return int(walfile[:8], 16)


def wait_for(
    predicate: t.Callable[[], t.Any],
    timeout: float,
    interval: float,
    clock: t.Callable[[], float] = time.monotonic,
    sleep: t.Callable[[float], t.Any] = time.sleep,
) -> bool:
    """Call predicate until it returns a true value or timeout seconds have passed.

    The predicate is always called at least once, and once more at the deadline. Returns whether it
    succeeded.
    """
    deadline = clock() + max(timeout, 0)
    while True:
        if predicate():
            return True
        remaining = deadline - clock()
        if remaining <= 0:
            return False
        sleep(min(interval, remaining))


def _to_float(value: t.Any) -> float | None:
    return None if value is None else round(float(value), 3)


class _Runner:
    """Runs read-only SQL on a cursor whose rows can be read by column name, and records it."""

    def __init__(self, cursor: t.Any, queries: list[str]) -> None:
        self.cursor = cursor
        self.queries = queries

    def rows(self, query: str) -> list[dict[str, t.Any]]:
        self.queries.append(query)
        self.cursor.execute(query)
        return [dict(row) for row in self.cursor.fetchall()]

    def row(self, query: str) -> dict[str, t.Any] | None:
        result = self.rows(query)
        return result[0] if result else None


SERVER_QUERY = (
    "SELECT pg_is_in_recovery() AS in_recovery, "
    "current_setting('server_version_num')::int AS server_version, "
    "(SELECT system_identifier::text FROM pg_control_system()) AS system_identifier, "
    "(SELECT timeline_id FROM pg_control_checkpoint()) AS checkpoint_timeline, "
    "current_setting('synchronous_standby_names') AS synchronous_standby_names, "
    "current_setting('synchronous_commit') AS synchronous_commit"
)

PRIMARY_QUERY = "SELECT pg_current_wal_lsn()::text AS current_lsn, pg_walfile_name(pg_current_wal_lsn()) AS walfile"

STANDBY_QUERY = (
    "SELECT pg_last_wal_receive_lsn()::text AS receive_lsn, "
    "pg_last_wal_replay_lsn()::text AS replay_lsn, "
    "CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE greatest(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END::float8 AS lag_seconds"
)

WAL_RECEIVER_QUERY = (
    "SELECT status, sender_host, sender_port, slot_name, conninfo, received_tli, "
    "latest_end_lsn::text AS latest_end_lsn FROM pg_stat_wal_receiver"
)

# The position replicas and slots are measured against: the end of WAL on a primary, what a standby
# has received (or replayed, when it does not stream) on a standby.
PRIMARY_REFERENCE = "pg_current_wal_lsn()"
STANDBY_REFERENCE = "coalesce(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())"

REPLICAS_QUERY = (
    "SELECT application_name, host(client_addr) AS client_addr, state, sync_state, "
    "sent_lsn::text AS sent_lsn, write_lsn::text AS write_lsn, flush_lsn::text AS flush_lsn, "
    "replay_lsn::text AS replay_lsn, pg_wal_lsn_diff({ref}, replay_lsn)::bigint AS replay_lag_bytes, "
    "extract(epoch FROM write_lag)::float8 AS write_lag, extract(epoch FROM flush_lag)::float8 AS flush_lag, "
    "extract(epoch FROM replay_lag)::float8 AS replay_lag "
    "FROM pg_stat_replication ORDER BY application_name, client_addr"
)

SLOTS_QUERY = (
    "SELECT slot_name, slot_type, active, restart_lsn::text AS restart_lsn, wal_status, "
    "pg_wal_lsn_diff({ref}, restart_lsn)::bigint AS retained_bytes "
    "FROM pg_replication_slots ORDER BY slot_name"
)


def replication_state(cursor: t.Any) -> dict[str, t.Any]:
    """Gather the replication state of the server the cursor is connected to.

    The cursor must return rows readable by column name (community.postgresql's pg_cursor_args).
    Returns the values documented by odoo_cloud.platform.postgresql_replication_info, including
    C(queries), the SQL that was run. Database errors propagate to the caller.
    """
    queries: list[str] = []
    run = _Runner(cursor, queries)
    server = run.row(SERVER_QUERY) or {}
    in_recovery = bool(server.get("in_recovery"))
    state: dict[str, t.Any] = {
        "role": "standby" if in_recovery else "primary",
        "in_recovery": in_recovery,
        "server_version": server.get("server_version"),
        "system_identifier": server.get("system_identifier"),
        "timeline": server.get("checkpoint_timeline"),
        "current_lsn": None,
        "receive_lsn": None,
        "replay_lsn": None,
        "lag_bytes": None,
        "lag_seconds": None,
        "wal_receiver": None,
        "replicas": [],
        "slots": [],
        "synchronous_standby_names": server.get("synchronous_standby_names"),
        "synchronous_commit": server.get("synchronous_commit"),
        "queries": queries,
    }

    if in_recovery:
        reference = STANDBY_REFERENCE
        standby = run.row(STANDBY_QUERY) or {}
        state["receive_lsn"] = standby.get("receive_lsn")
        state["replay_lsn"] = standby.get("replay_lsn")
        state["lag_seconds"] = _to_float(standby.get("lag_seconds"))
        receiver = run.row(WAL_RECEIVER_QUERY)
        latest_end_lsn = None
        if receiver:
            latest_end_lsn = receiver.get("latest_end_lsn")
            if receiver.get("received_tli"):
                state["timeline"] = receiver["received_tli"]
            state["wal_receiver"] = {
                "status": receiver.get("status"),
                "sender_host": receiver.get("sender_host"),
                "sender_port": receiver.get("sender_port"),
                "slot_name": receiver.get("slot_name"),
                "conninfo": mask_conninfo(receiver.get("conninfo")),
            }
        state["lag_bytes"] = standby_lag_bytes(state["receive_lsn"], state["replay_lsn"], latest_end_lsn)
    else:
        reference = PRIMARY_REFERENCE
        primary = run.row(PRIMARY_QUERY) or {}
        state["current_lsn"] = primary.get("current_lsn")
        # The insert timeline changes at promotion; the checkpoint's only at the next checkpoint.
        state["timeline"] = timeline_from_walfile(primary.get("walfile")) or state["timeline"]

    for replica in run.rows(REPLICAS_QUERY.format(ref=reference)):
        for key in ("write_lag", "flush_lag", "replay_lag"):
            replica[key] = _to_float(replica[key])
        state["replicas"].append(replica)
    state["slots"] = run.rows(SLOTS_QUERY.format(ref=reference))
    return state


def standby_lag_bytes(receive_lsn: str | None, replay_lsn: str | None, latest_end_lsn: str | None = None) -> int | None:
    """WAL a standby has not replayed yet: up to what it received, or up to the end of WAL the primary
    last reported (pg_stat_wal_receiver.latest_end_lsn) when that is further."""
    replay = parse_lsn(replay_lsn)
    if replay is None:
        return None
    known = [lsn for lsn in (parse_lsn(receive_lsn), parse_lsn(latest_end_lsn)) if lsn is not None]
    return max([replay] + known) - replay
