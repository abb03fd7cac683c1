#!/usr/bin/python
# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: postgresql_promote
short_description: Promote a PostgreSQL standby to primary
version_added: 0.1.0
description:
  - Promotes a streaming replication standby with C(pg_promote()) and waits until it has left recovery
    and a new session can write (C(transaction_read_only) is C(off)).
  - Does nothing on a server that is already a primary.
  - Can refuse to promote a standby that has not replayed enough of the WAL (O(max_lag_bytes)).
  - Works with PostgreSQL 13 to 17. The login user must be a superuser or have been granted C(EXECUTE)
    on C(pg_promote()).
  - This module does not fence the old primary or repoint the other standbys; do that before and after.
options:
  timeout:
    description:
      - Seconds to wait for the promotion to complete (passed to C(pg_promote()) as its C(wait_seconds),
        then spent checking that a new session can write).
      - The module fails when the server is not a writable primary by then. PostgreSQL carries on with a
        promotion it has started, so check the server before retrying.
    type: int
    default: 60
  max_lag_bytes:
    description:
      - Refuse to promote when the standby has more than this many bytes of WAL it has not replayed
        (RV(odoo_cloud.platform.postgresql_replication_info#module:lag_bytes)), unless O(force=true).
      - The default V(null) does not check the lag.
    type: int
  force:
    description:
      - Promote even when the lag exceeds O(max_lag_bytes).
    type: bool
    default: false
extends_documentation_fragment:
  - odoo_cloud.platform._attributes
  - odoo_cloud.platform._attributes.actiongroup_all
  - community.postgresql.postgres
  - odoo_cloud.platform._pg_session
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows the role of the server before and after, for example V(standby) to V(primary).
  idempotent:
    support: full
seealso:
  - module: odoo_cloud.platform.postgresql_replication_info
  - name: pg_promote()
    description: PostgreSQL's recovery control functions.
    link: https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-RECOVERY-CONTROL
  - name: Failover
    description: What to do around a promotion.
    link: https://www.postgresql.org/docs/current/warm-standby-failover.html
author:
  - odoo_cloud platform team (@odoo-cloud)
"""

EXAMPLES = r"""
- name: Promote the standby unless it is more than 16 MiB behind
  become: true
  become_user: postgres
  odoo_cloud.platform.postgresql_promote:
    max_lag_bytes: 16777216
    timeout: 120
  register: pg_promotion

- name: Show the new timeline
  ansible.builtin.debug:
    msg: "Promoted to timeline {{ pg_promotion.timeline.after }} at {{ pg_promotion.promote_lsn }}"
  when: pg_promotion.promoted

- name: Promote over the network, whatever the lag
  odoo_cloud.platform.postgresql_promote:
    login_host: 10.77.0.162
    login_user: postgres
    login_password: "{{ vault_postgres_password }}"
    login_db: postgres
    max_lag_bytes: 0
    force: true
"""

RETURN = r"""
promoted:
  description: Whether the server was promoted (in check mode, whether it would be).
  returned: success
  type: bool
  sample: true
role:
  description: The role of the server after the task (in check mode, the role it would have).
  returned: success
  type: str
  sample: primary
timeline:
  description: The timeline of the server before and after the task.
  returned: success
  type: dict
  contains:
    before:
      description: Timeline before.
      type: int
      sample: 1
    after:
      description: Timeline after; V(null) in check mode when the server would be promoted.
      type: int
      sample: 2
  sample: {"before": 1, "after": 2}
lag_bytes:
  description: WAL bytes the standby had not replayed when the task started; V(null) on a primary.
  returned: success
  type: int
  sample: 0
promote_lsn:
  description: The WAL position where the new timeline starts (the last position replayed); V(null) when nothing was promoted.
  returned: success
  type: str
  sample: 0/3000148
seconds:
  description: Seconds the promotion took; V(0) when nothing was promoted.
  returned: success
  type: float
  sample: 1.204
queries:
  description: The SQL the module ran (polling queries are listed once).
  returned: success
  type: list
  elements: str
  sample:
    - SELECT pg_promote(true, 60)
    - SELECT pg_is_in_recovery() AS in_recovery
    - SHOW transaction_read_only
"""

import time
import typing as t

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.community.postgresql.plugins.module_utils.database import check_input
from ansible_collections.community.postgresql.plugins.module_utils.postgres import (
    connect_to_db,
    ensure_required_libs,
    get_conn_params,
    pg_cursor_args,
)
from ansible_collections.odoo_cloud.platform.plugins.module_utils._pg_replication import (
    replication_state,
    session_argument_spec,
    wait_for,
)

PROMOTE_QUERY = "SELECT pg_promote(true, {wait_seconds})"
IN_RECOVERY_QUERY = "SELECT pg_is_in_recovery() AS in_recovery"
READ_ONLY_QUERY = "SHOW transaction_read_only"
REPLAY_LSN_QUERY = "SELECT pg_last_wal_replay_lsn()::text AS promote_lsn"
POLL_INTERVAL = 0.5


class PromoteError(Exception):
    """The promotion was refused or did not complete; the message says why."""


class PromoteManager:
    """Decides whether to promote, and promotes outside check mode."""

    def __init__(
        self,
        cursor: t.Any,
        connect: t.Callable[[], t.Any],
        params: dict[str, t.Any],
        check_mode: bool,
        clock: t.Callable[[], float] = time.monotonic,
        sleep: t.Callable[[float], t.Any] = time.sleep,
    ) -> None:
        self.cursor = cursor
        self.connect = connect  # opens a new connection (autocommit), for the write check
        self.timeout = params["timeout"]
        self.max_lag_bytes = params["max_lag_bytes"]
        self.force = params["force"]
        self.check_mode = check_mode
        self.clock = clock
        self.sleep = sleep
        self.queries: list[str] = []
        self.waiting_for = "the server to leave recovery"

    def _record(self, query: str, once: bool = False) -> None:
        if not (once and query in self.queries):
            self.queries.append(query)

    def _value(self, query: str, column: str, once: bool = False) -> t.Any:
        self._record(query, once)
        self.cursor.execute(query)
        row = self.cursor.fetchone()
        return None if row is None else row[column]

    def _writable(self) -> bool:
        """Whether the server has left recovery and a new session is not read-only."""
        if self._value(IN_RECOVERY_QUERY, "in_recovery", once=True):
            self.waiting_for = "the server to leave recovery"
            return False
        self._record(READ_ONLY_QUERY, once=True)
        connection = self.connect()
        try:
            cursor = connection.cursor(**pg_cursor_args)
            cursor.execute(READ_ONLY_QUERY)
            read_only = cursor.fetchone()["transaction_read_only"]
        finally:
            connection.close()
        if read_only != "off":
            self.waiting_for = (
                f"new sessions to be writable (transaction_read_only is {read_only!r}; "
                "is default_transaction_read_only set?)"
            )
            return False
        return True

    def run(self) -> dict[str, t.Any]:
        before = replication_state(self.cursor)
        self.queries.extend(before["queries"])
        result: dict[str, t.Any] = {
            "changed": False,
            "promoted": False,
            "role": before["role"],
            "timeline": {"before": before["timeline"], "after": before["timeline"]},
            "lag_bytes": before["lag_bytes"],
            "promote_lsn": None,
            "seconds": 0.0,
            "queries": self.queries,
            "diff": {"before": {"role": before["role"]}, "after": {"role": before["role"]}},
        }
        if before["role"] == "primary":
            return result

        lag = before["lag_bytes"]
        if self.max_lag_bytes is not None and lag is not None and lag > self.max_lag_bytes and not self.force:
            raise PromoteError(
                f"Refusing to promote: the standby has {lag} bytes of WAL not replayed "
                f"(receive {before['receive_lsn']}, replay {before['replay_lsn']}), more than "
                f"max_lag_bytes={self.max_lag_bytes}. Wait for it to catch up, raise max_lag_bytes, "
                "or set force=true to promote anyway."
            )

        result.update(changed=True, promoted=True, role="primary")
        result["diff"]["after"] = {"role": "primary"}
        result["timeline"]["after"] = None
        if self.check_mode:
            return result

        start = self.clock()
        self._value(PROMOTE_QUERY.format(wait_seconds=int(self.timeout)), "pg_promote")
        remaining = self.timeout - (self.clock() - start)
        if not wait_for(self._writable, remaining, POLL_INTERVAL, clock=self.clock, sleep=self.sleep):
            raise PromoteError(
                f"Promotion did not complete within timeout={self.timeout} seconds: still waiting for "
                f"{self.waiting_for}. PostgreSQL carries on with a promotion it has started; check the "
                "server before retrying, or raise timeout."
            )
        result["seconds"] = round(self.clock() - start, 3)
        result["promote_lsn"] = self._value(REPLAY_LSN_QUERY, "promote_lsn")
        after = replication_state(self.cursor)
        self.queries.extend(after["queries"])
        result["role"] = after["role"]
        result["timeline"]["after"] = after["timeline"]
        return result


def argument_spec() -> dict[str, t.Any]:
    spec = session_argument_spec()
    spec.update(
        timeout={"type": "int", "default": 60},
        max_lag_bytes={"type": "int"},
        force={"type": "bool", "default": False},
    )
    return spec


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    if params["timeout"] <= 0:
        module.fail_json(msg=f"timeout must be a positive number of seconds, got {params['timeout']}")
    if params["max_lag_bytes"] is not None and params["max_lag_bytes"] < 0:
        module.fail_json(msg=f"max_lag_bytes must be 0 or more, got {params['max_lag_bytes']}")
    if not params["trust_input"]:
        check_input(module, params["session_role"])
    ensure_required_libs(module)
    conn_params = get_conn_params(module, params, warn_db_default=False)
    db_connection, dummy = connect_to_db(module, dict(conn_params), autocommit=True)

    def connect() -> t.Any:
        return connect_to_db(module, dict(conn_params), autocommit=True)[0]

    manager = PromoteManager(db_connection.cursor(**pg_cursor_args), connect, params, module.check_mode)
    error: Exception | None = None
    result: dict[str, t.Any] = {}
    try:
        result = manager.run()
    except Exception as e:  # pylint: disable=broad-exception-caught
        error = e
    finally:
        db_connection.close()
    if isinstance(error, PromoteError):
        module.fail_json(msg=str(error), queries=manager.queries)
    if error is not None:
        module.fail_json(msg=f"Cannot promote: {error}", exception=error, queries=manager.queries)
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
