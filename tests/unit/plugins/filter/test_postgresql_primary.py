from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.odoo_cloud.platform.plugins.filter.postgresql_primary import FilterModule, postgresql_primary

MEMBERS = ["pg1", "pg2", "pg3"]


def answered(host, role, timeline=1):
    return {"item": host, "changed": False, "role": role, "timeline": timeline}


def failed(host, msg="could not connect"):
    return {"item": host, "failed": False, "failed_when_result": False, "msg": msg, "_module_failed": True}


def loop(*results):
    return {"results": list(results), "changed": False}


def test_no_member_running_yet():
    out = postgresql_primary({"results": [], "skipped": True, "changed": False}, members=MEMBERS, hint=["pg2"])
    assert (out["host"], out["source"]) == ("pg2", "inventory")


def test_new_cluster_the_inventory_decides():
    states = loop(*(
        {"item": h, "failed": True, "msg": "No module named psycopg2"} for h in MEMBERS
    ))
    out = postgresql_primary(states, members=MEMBERS, hint=["pg1"])
    assert out["host"] == "pg1"
    assert out["source"] == "inventory"
    assert out["states"] == {"pg1": "unknown", "pg2": "unknown", "pg3": "unknown"}
    assert "inventory group 'postgresql_primary' decides" in out["message"]


def test_the_members_decide_after_a_switchover():
    states = loop(answered("pg1", "standby", 2), answered("pg2", "primary", 2), answered("pg3", "standby", 2))
    out = postgresql_primary(states, members=MEMBERS, hint=["pg1"])
    assert out["host"] == "pg2"
    assert out["source"] == "members"
    assert out["hint"] == "pg1"
    assert "still names pg1" in out["message"]
    assert "move pg2 into 'postgresql_primary'" in out["message"]


def test_agreeing_inventory_says_so_plainly():
    states = loop(answered("pg1", "primary"), answered("pg2", "standby"), answered("pg3", "standby"))
    out = postgresql_primary(states, members=MEMBERS, hint=["pg1"])
    assert out == {
        "host": "pg1",
        "source": "members",
        "hint": "pg1",
        "states": {"pg1": "primary", "pg2": "standby", "pg3": "standby"},
        "message": "postgresql: pg1 is the primary (it answers as primary).",
    }


def test_after_a_failover_the_fenced_old_primary_is_unknown():
    # The old primary is stopped (start guard) and its host may be unreachable: the new one decides.
    states = loop(
        {"item": "pg1", "unreachable": True, "msg": "timed out"},
        answered("pg2", "primary", 3),
        answered("pg3", "standby", 3),
    )
    assert postgresql_primary(states, members=MEMBERS, hint=["pg1"])["host"] == "pg2"


def test_two_primaries_are_refused_with_their_timelines():
    states = loop(answered("pg1", "primary", 1), answered("pg2", "primary", 2), answered("pg3", "standby", 2))
    with pytest.raises(AnsibleFilterError) as err:
        postgresql_primary(states, members=MEMBERS, hint=["pg1"])
    text = str(err.value)
    assert "2 members answer as primary: pg1 (timeline 1), pg2 (timeline 2)" in text
    assert "postgresql_rejoin.yml" in text


def test_stopped_primary_is_started_not_replaced():
    # No primary answers, the hinted one is stopped (unknown): the inventory decides; the role starts it
    # (and its start guard refuses if another member turns out to be primary).
    states = loop(failed("pg1", "connection refused"), answered("pg2", "standby"), answered("pg3", "standby"))
    out = postgresql_primary(states, members=MEMBERS, hint=["pg1"])
    assert (out["host"], out["source"]) == ("pg1", "inventory")


def test_hinted_standby_without_a_primary_is_refused():
    states = loop(answered("pg1", "standby"), answered("pg2", "standby"), failed("pg3"))
    with pytest.raises(AnsibleFilterError, match="pg1, which 'postgresql_primary' names, is a standby"):
        postgresql_primary(states, members=MEMBERS, hint=["pg1"])


def test_no_hint_and_no_primary_is_refused():
    states = loop(failed("pg1"), failed("pg2"), failed("pg3"))
    with pytest.raises(AnsibleFilterError, match="names none of pg1, pg2, pg3: put the primary in 'db_primary'"):
        postgresql_primary(states, members=MEMBERS, hint=["app1"], hint_group="db_primary")


def test_no_hint_is_fine_when_a_member_answers():
    states = loop(answered("pg1", "standby"), answered("pg2", "primary"))
    assert postgresql_primary(states, members=["pg1", "pg2"], hint=[])["host"] == "pg2"


def test_two_hinted_members_are_refused():
    with pytest.raises(AnsibleFilterError, match="'postgresql_primary' names 2 members of 'db' \\(pg1, pg2\\)"):
        postgresql_primary(loop(), members=MEMBERS, hint=["pg1", "pg2"], cluster="db")


def test_hosts_outside_the_cluster_are_ignored():
    states = loop(answered("app1", "primary"), answered("pg1", "primary"))
    assert postgresql_primary(states, members=["pg1", "pg2"], hint=["pg2"])["host"] == "pg1"


def test_skipped_and_unexpected_answers_count_as_unknown():
    states = [
        {"item": "pg1", "skipped": True, "role": "primary"},
        {"item": "pg2", "role": "leader"},
        "garbage",
    ]
    out = postgresql_primary(states, members=["pg1", "pg2"], hint=["pg2"])
    assert out["states"] == {"pg1": "unknown", "pg2": "unknown"}
    assert out["host"] == "pg2"


def test_empty_cluster_and_bad_input():
    with pytest.raises(AnsibleFilterError, match="has no member"):
        postgresql_primary(loop(), members=[], hint=["pg1"])
    with pytest.raises(AnsibleFilterError, match="expected the registered result"):
        postgresql_primary("nope", members=MEMBERS)


def test_filter_is_registered():
    assert FilterModule().filters()["postgresql_primary"] is postgresql_primary
