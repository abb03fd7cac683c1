#!/usr/bin/python
# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: postgresql_replication_info
short_description: Report the streaming replication state of a PostgreSQL server
version_added: 0.1.0
description:
  - Tells whether a PostgreSQL server is a primary or a standby and returns its WAL positions, its
    timeline, how far behind a standby is, the state of its WAL receiver, the standbys streaming from
    it and its replication slots.
  - Works with PostgreSQL 13 to 17. Only reads; never changes anything.
  - Run it as a superuser (or a member of C(pg_monitor)) to see the WAL receiver's connection details
    and the replicas' addresses; other users get V(null) for them.
  - Replication state is the same from every database, so O(login_db) may be any.
options: {}
extends_documentation_fragment:
  - odoo_cloud.platform._attributes
  - odoo_cloud.platform._attributes.actiongroup_all
  - community.postgresql.postgres
  - odoo_cloud.platform._pg_session
  - odoo_cloud.platform._attributes.info_module
seealso:
  - module: odoo_cloud.platform.postgresql_promote
  - module: community.postgresql.postgresql_info
  - name: Monitoring replication
    description: PostgreSQL's C(pg_stat_replication) and C(pg_stat_wal_receiver) views.
    link: https://www.postgresql.org/docs/current/monitoring-stats.html#MONITORING-PG-STAT-REPLICATION-VIEW
  - name: Replication slots view
    description: PostgreSQL's C(pg_replication_slots) view.
    link: https://www.postgresql.org/docs/current/view-pg-replication-slots.html
author:
  - odoo_cloud platform team (@odoo-cloud)
"""

EXAMPLES = r"""
- name: Read the replication state of the local server
  become: true
  become_user: postgres
  odoo_cloud.platform.postgresql_replication_info:
  register: pg_replication

- name: Fail when a standby is more than 16 MiB behind
  ansible.builtin.assert:
    that: pg_replication.lag_bytes <= 16777216
    fail_msg: "{{ inventory_hostname }} is {{ pg_replication.lag_bytes }} bytes behind"
  when: pg_replication.role == 'standby'

- name: Read it over the network
  odoo_cloud.platform.postgresql_replication_info:
    login_host: 10.77.0.162
    login_user: postgres
    login_password: "{{ vault_postgres_password }}"
    login_db: postgres
  register: pg_replication
"""

RETURN = r"""
role:
  description: V(primary), or V(standby) while the server is in recovery.
  returned: success
  type: str
  sample: standby
in_recovery:
  description: What C(pg_is_in_recovery()) returned.
  returned: success
  type: bool
  sample: true
server_version:
  description: The server version as a number (C(server_version_num)).
  returned: success
  type: int
  sample: 150014
system_identifier:
  description:
    - The cluster's system identifier (C(pg_control_system())), as text because it does not fit in
      every JSON parser's integers. A primary and its standbys share it.
  returned: success
  type: str
  sample: "7440162348051898418"
timeline:
  description:
    - The timeline the server is on.
    - On a primary, the timeline of the WAL being written (so it is already the new one right after a
      promotion, when C(pg_control_checkpoint()) still shows the old one until the next checkpoint).
    - On a standby, the C(received_tli) of its WAL receiver, else the timeline of its last restart point.
  returned: success
  type: int
  sample: 1
current_lsn:
  description: On a primary, the current WAL write position (C(pg_current_wal_lsn())); V(null) on a standby.
  returned: success
  type: str
  sample: 0/3000148
receive_lsn:
  description:
    - On a standby, the last WAL position received and flushed (C(pg_last_wal_receive_lsn())).
    - V(null) on a primary, and on a standby that has not streamed since it started.
  returned: success
  type: str
  sample: 0/3000148
replay_lsn:
  description: On a standby, the last WAL position replayed (C(pg_last_wal_replay_lsn())); V(null) on a primary.
  returned: success
  type: str
  sample: 0/3000148
lag_bytes:
  description:
    - On a standby, the WAL bytes it has not replayed yet, counted up to what it received or, when
      further, up to the end of WAL the primary last reported to its WAL receiver.
    - V(null) on a primary.
  returned: success
  type: int
  sample: 0
lag_seconds:
  description:
    - On a standby, V(0) when everything received is replayed, else the seconds since the last replayed
      transaction committed on the primary (V(null) if none was replayed since the standby started).
    - V(null) on a primary.
  returned: success
  type: float
  sample: 0.0
wal_receiver:
  description: On a standby, its WAL receiver (C(pg_stat_wal_receiver)); V(null) on a primary or when none is running.
  returned: success
  type: dict
  contains:
    status:
      description: Activity status of the WAL receiver.
      type: str
      sample: streaming
    sender_host:
      description: Host of the server it streams from.
      type: str
      sample: 10.77.0.161
    sender_port:
      description: Port of the server it streams from.
      type: int
      sample: 5432
    slot_name:
      description: Replication slot it uses, or V(null).
      type: str
      sample: pg2
    conninfo:
      description: Its connection string, with the password masked.
      type: str
      sample: user=replicator password=******** host=10.77.0.161 port=5432 sslmode=prefer
replicas:
  description:
    - The standbys streaming from this server (C(pg_stat_replication)); on a standby, its cascading standbys.
  returned: success
  type: list
  elements: dict
  contains:
    application_name:
      description: The standby's C(application_name) (what C(synchronous_standby_names) refers to).
      type: str
      sample: 15/main
    client_addr:
      description: Its IP address; V(null) over a Unix socket.
      type: str
      sample: 10.77.0.162
    state:
      description: Walsender state (V(startup), V(catchup), V(streaming), V(backup), V(stopping)).
      type: str
      sample: streaming
    sync_state:
      description: V(async), V(potential), V(sync) or V(quorum).
      type: str
      sample: async
    sent_lsn:
      description: Last WAL position sent.
      type: str
      sample: 0/3000148
    write_lsn:
      description: Last WAL position the standby wrote.
      type: str
      sample: 0/3000148
    flush_lsn:
      description: Last WAL position the standby flushed.
      type: str
      sample: 0/3000148
    replay_lsn:
      description: Last WAL position the standby replayed.
      type: str
      sample: 0/3000148
    replay_lag_bytes:
      description: Bytes between this server's current position and the standby's replay position.
      type: int
      sample: 0
    write_lag:
      description: Seconds the last flushed WAL took to be written on the standby, or V(null).
      type: float
      sample: 0.001
    flush_lag:
      description: Seconds the last flushed WAL took to be flushed on the standby, or V(null).
      type: float
      sample: 0.002
    replay_lag:
      description: Seconds the last flushed WAL took to be replayed on the standby, or V(null).
      type: float
      sample: 0.002
slots:
  description: The server's replication slots (C(pg_replication_slots)).
  returned: success
  type: list
  elements: dict
  contains:
    slot_name:
      description: Name of the slot.
      type: str
      sample: pg2
    slot_type:
      description: V(physical) or V(logical).
      type: str
      sample: physical
    active:
      description: Whether a client is using the slot.
      type: bool
      sample: true
    restart_lsn:
      description: Oldest WAL position the slot keeps, or V(null) if it reserves none.
      type: str
      sample: 0/3000148
    wal_status:
      description: V(reserved), V(extended), V(unreserved) or V(lost).
      type: str
      sample: reserved
    retained_bytes:
      description:
        - WAL bytes the slot holds back, from its C(restart_lsn) to the current position (on a standby,
          to what it received).
      type: int
      sample: 0
synchronous_standby_names:
  description: The C(synchronous_standby_names) setting (empty when replication is asynchronous).
  returned: success
  type: str
  sample: ""
synchronous_commit:
  description: The C(synchronous_commit) setting.
  returned: success
  type: str
  sample: "on"
queries:
  description: The SQL the module ran.
  returned: success
  type: list
  elements: str
  sample:
    - SELECT pg_is_in_recovery() AS in_recovery, current_setting('server_version_num')::int AS server_version, ...
"""

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
)


class ReplicationInfo:
    """Reads the replication state; nothing to compute or change."""

    def __init__(self, cursor: t.Any) -> None:
        self.cursor = cursor

    def run(self) -> dict[str, t.Any]:
        result: dict[str, t.Any] = {"changed": False}
        result.update(replication_state(self.cursor))
        return result


def argument_spec() -> dict[str, t.Any]:
    spec = session_argument_spec()
    spec.update(
    )
    return spec


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    if not module.params["trust_input"]:
        check_input(module, module.params["session_role"])
    ensure_required_libs(module)
    conn_params = get_conn_params(module, module.params, warn_db_default=False)
    db_connection, dummy = connect_to_db(module, conn_params, autocommit=True)
    error: Exception | None = None
    result: dict[str, t.Any] = {}
    try:
        result = ReplicationInfo(db_connection.cursor(**pg_cursor_args)).run()
    except Exception as e:  # pylint: disable=broad-exception-caught
        error = e
    finally:
        db_connection.close()
    if error is not None:
        module.fail_json(msg=f"Cannot read the replication state: {error}", exception=error)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
