# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: postgresql_primary
short_description: Decide which member of a PostgreSQL cluster is the primary now
version_added: 0.2.0
description:
  - Takes what each member answered (the registered loop result of
    M(odoo_cloud.platform.postgresql_replication_info), one item per member) and the inventory's
    primary group, and returns the member that is the primary now.
  - The members decide. One member answering as primary is the primary, whatever the inventory
    group says (after a switchover or a failover the group still names the old one), so a rerun of
    the site playbook with the unchanged inventory keeps the new primary.
  - The inventory group decides only while no member answers as primary (a new cluster, or a
    primary that is stopped and will be started). It is refused when that member answers as a
    standby (nothing would take writes), or when the group names no member or several.
  - Two members answering as primary is refused (a split brain, or a former primary started by hand);
    nothing may change until one of them is rejoined.
  - A member that does not answer (PostgreSQL not installed or stopped, the module failed, the host
    unreachable) counts as unknown, never as down.
options:
  _input:
    description:
      - The registered result of a loop over the members (a dict with V(results)), or its list of
        results. Each result carries the member's inventory name in V(item) and, when it answered,
        V(role) (V(primary) or V(standby)) and V(timeline).
    type: raw
    required: true
  members:
    description: The inventory names of the cluster's members.
    type: list
    elements: str
    required: true
  hint:
    description: The members of the inventory's primary group (the initial hint).
    type: list
    elements: str
    default: []
  cluster:
    description: The cluster's inventory group, named in messages.
    type: str
    default: postgresql
  hint_group:
    description: The inventory's primary group, named in messages.
    type: str
    default: postgresql_primary
"""

EXAMPLES = r"""
- name: Ask each member
  odoo_cloud.platform.postgresql_replication_info:
    login_unix_socket: /var/run/postgresql
  delegate_to: "{{ item }}"
  loop: "{{ groups['postgresql'] }}"
  run_once: true
  failed_when: false
  register: states

- name: Decide the primary
  ansible.builtin.set_fact:
    primary: "{{ states | odoo_cloud.platform.postgresql_primary(members=groups['postgresql'], hint=groups['postgresql_primary']) }}"
"""

RETURN = r"""
_value:
  description: The decision.
  type: dict
  contains:
    host:
      description: The inventory name of the primary.
      type: str
    source:
      description: V(members) when a member answered as primary, V(inventory) when the group decided.
      type: str
    hint:
      description: The member the inventory group names, or V(null).
      type: str
    states:
      description: Each member's answer, V(primary), V(standby) or V(unknown).
      type: dict
    message:
      description: One line saying which member is the primary and why.
      type: str
"""

import typing as t
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

ROLES = ("primary", "standby")


def _results(states: t.Any) -> list:
    if isinstance(states, Mapping):
        # A loop over no item (no member running yet) registers results: [].
        states = states.get("results", [])
    if not isinstance(states, list):
        raise AnsibleFilterError(
            "postgresql_primary: expected the registered result of a loop over the members (with 'results')"
        )
    return states


def _answers(states: t.Any, members: list[str]) -> dict[str, dict]:
    """Each member's answer: {'role': primary|standby|unknown, 'timeline': int|None}."""
    answers = {m: {"role": "unknown", "timeline": None} for m in members}
    for result in _results(states):
        if not isinstance(result, Mapping):
            continue
        host = result.get("item")
        if host not in answers:
            continue
        answered = not (result.get("failed") or result.get("unreachable") or result.get("skipped"))
        role = result.get("role")
        if answered and role in ROLES:
            answers[host] = {"role": role, "timeline": result.get("timeline")}
    return answers


def postgresql_primary(
    states: t.Any,
    members: list[str],
    hint: list[str] | None = None,
    cluster: str = "postgresql",
    hint_group: str = "postgresql_primary",
) -> dict[str, t.Any]:
    members = list(members or [])
    if not members:
        raise AnsibleFilterError(f"the inventory group '{cluster}' has no member: add the PostgreSQL hosts to it")
    named = [h for h in (hint or []) if h in members]
    if len(named) > 1:
        raise AnsibleFilterError(
            f"the inventory group '{hint_group}' names {len(named)} members of '{cluster}' ({', '.join(named)}):"
            " it must name one (the initial primary)"
        )
    hint_host = named[0] if named else None
    answers = _answers(states, members)
    roles = {h: a["role"] for h, a in answers.items()}
    primaries = [h for h in members if roles[h] == "primary"]

    if len(primaries) > 1:
        detail = ", ".join(f"{h} (timeline {answers[h]['timeline']})" for h in primaries)
        raise AnsibleFilterError(
            f"{cluster}: {len(primaries)} members answer as primary: {detail}. Nothing is changed while"
            " two primaries take writes. Stop the one whose writes must not count (usually the lower timeline)"
            " and rejoin it as a standby with playbooks/postgresql_rejoin.yml -e rejoin_host=<it>, then run again."
        )
    if primaries:
        host = primaries[0]
        if hint_host in (None, host):
            message = f"{cluster}: {host} is the primary (it answers as primary)."
        else:
            message = (
                f"{cluster}: {host} is the primary (it answers as primary; the inventory group '{hint_group}'"
                f" still names {hint_host}, as after a switchover or failover). Following the cluster;"
                f" move {host} into '{hint_group}' when convenient."
            )
        return {"host": host, "source": "members", "hint": hint_host, "states": roles, "message": message}

    if hint_host is None:
        raise AnsibleFilterError(
            f"{cluster}: no member answers as primary and the inventory group '{hint_group}' names none of"
            f" {', '.join(members)}: put the primary in '{hint_group}'"
        )
    if roles[hint_host] == "standby":
        raise AnsibleFilterError(
            f"{cluster}: no member answers as primary and {hint_host}, which '{hint_group}' names, is a standby."
            " Promote a standby with playbooks/postgresql_failover.yml (it checks the old primary is down),"
            f" or start the primary, then run again."
        )
    message = (
        f"{cluster}: {hint_host} is the primary (no member answers as primary yet: the inventory group"
        f" '{hint_group}' decides)."
    )
    return {"host": hint_host, "source": "inventory", "hint": hint_host, "states": roles, "message": message}


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"postgresql_primary": postgresql_primary}
