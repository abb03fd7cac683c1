from __future__ import annotations

import copy
import itertools
import math

import pytest

from ansible.errors import AnsibleFilterError
from ansible.module_utils.datatag import deprecate_value
from ansible.template import trust_as_template
from ansible_collections.odoo_cloud.platform.plugins.filter.odoo_workers import (
    OPTION_NAMES,
    FilterModule,
    cpu_rule,
    instance_sizings,
    odoo_connections,
    odoo_instance_sizings,
    odoo_workers,
)
from ansible_collections.odoo_cloud.platform.plugins.filter.pg_tune import pg_tune
from ansible_collections.odoo_cloud.platform.plugins.plugin_utils import _sizing

MIB = 1024 * 1024
GIB_MB = 1024
SMALL = {"cpus": 2, "memory_mb": 4096}
MEDIUM = {"cpus": 4, "memory_mb": 16384}
LARGE = {"cpus": 8, "memory_mb": 32768}


def host(cpus, gib):
    return {"cpus": cpus, "memory_mb": gib * GIB_MB}


def sizing(workers, cron, hard_mib, soft_mib, processes, max_db, estimate, **options):
    return {
        "options": {
            "workers": workers,
            "max_cron_threads": cron,
            "limit_memory_soft": soft_mib * MIB,
            "limit_memory_hard": hard_mib * MIB,
            "limit_time_cpu": 300,
            "limit_time_real": 600,
            "limit_time_real_cron": 1200,
            "limit_request": 8192,
            "db_maxconn": 8,
            **options,
        },
        "processes": processes,
        "max_db_connections": max_db,
        "memory_mb_estimate": estimate,
    }


# Reference hosts, every output. The RAM share is (memory_mb - 1024) / instances.
@pytest.mark.parametrize(
    ("facts", "instances", "expected"),
    [
        # rule 5 - 1 cron = 4 workers; RAM 3072 / 4 = 768 MiB hard; 5 x 325 + 150 = 1775 MB
        (SMALL, 1, sizing(4, 1, 768, 614, 6, 48, 1775)),
        # rule 5 // 2 = 2, minus 1 cron: 1 worker; 1536 MiB share
        (SMALL, 2, sizing(1, 1, 1536, 1228, 3, 24, 800)),
        # the deployment guide's sample: 9 = 8 workers + 1 cron; 15360 / 8 = 1920 MiB
        (MEDIUM, 1, sizing(8, 1, 1920, 1536, 10, 80, 3075)),
        # rule 9 // 2 = 4: 3 workers + 1 cron; 7680 / 3 caps at Odoo's 2560 MiB
        (MEDIUM, 2, sizing(3, 1, 2560, 2048, 5, 40, 1450)),
        # rule 17: 15 workers + 2 cron; 31744 / 15 = 2116, down to 2112 MiB
        (LARGE, 1, sizing(15, 2, 2112, 1689, 18, 144, 5675)),
        # rule 17 // 2 = 8: 7 workers + 1 cron; 15872 / 7 = 2267, down to 2240 MiB
        (LARGE, 2, sizing(7, 1, 2240, 1792, 9, 72, 2750)),
    ],
    ids=["2cpu-4g-1", "2cpu-4g-2", "4cpu-16g-1", "4cpu-16g-2", "8cpu-32g-1", "8cpu-32g-2"],
)
def test_reference_hosts(facts, instances, expected):
    result = odoo_workers(facts, instances=instances)
    assert result == expected
    assert list(result["options"]) == list(OPTION_NAMES)  # stable order, handy in templates and diffs


def test_deployment_guide_sample():
    # deploy.rst: 4 CPU, 60 concurrent users -> 10 needed, 9 maximum, "8 workers + 1 for cron",
    # RAM = 9 * ((0.8*150) + (0.2*1024)) ~= 3GB.
    result = odoo_workers(host(4, 8), concurrent_users=60)
    assert (result["options"]["workers"], result["options"]["max_cron_threads"]) == (8, 1)
    assert result["memory_mb_estimate"] == 9 * 325 + 150


@pytest.mark.parametrize(
    ("users", "workers"),
    [(1, 2), (6, 2), (12, 2), (13, 3), (30, 5), (36, 6), (37, 7), (48, 8), (60, 8), (1000, 8)],
)
def test_concurrent_users(users, workers):
    # ceil(users / 6), at least 2, at most the CPU rule 9 - 1 cron
    assert odoo_workers(MEDIUM, concurrent_users=users)["options"]["workers"] == workers


def test_concurrent_users_capped_by_ram():
    # 2 GiB: 1024 MB share fits 1 worker (640 MiB hard floor), whatever the users
    assert odoo_workers(host(8, 2), concurrent_users=100)["options"]["workers"] == 1


@pytest.mark.parametrize(("cpus", "instances", "rule"), [(1, 1, 3), (1, 2, 1), (1, 4, 1), (2, 1, 5), (2, 2, 2), (4, 2, 4), (8, 3, 5), (16, 1, 33)])
def test_cpu_rule(cpus, instances, rule):
    assert cpu_rule(cpus, instances) == rule


@pytest.mark.parametrize(
    ("facts", "instances", "cron"),
    [
        (host(4, 64), 1, 1),  # rule 9
        (host(5, 64), 1, 1),  # rule 11
        (host(6, 64), 1, 2),  # rule 13
        (host(12, 64), 2, 1),  # 25 // 2 = 12
        (host(16, 64), 2, 2),  # 33 // 2 = 16
        (host(16, 2), 1, 1),  # rule 33, but the RAM would lose an HTTP worker to the second cron
    ],
)
def test_max_cron_threads(facts, instances, cron):
    assert odoo_workers(facts, instances=instances)["options"]["max_cron_threads"] == cron


def test_reserve_mb():
    # PostgreSQL on the same host with half of its 16 GiB: 7168 MB left for Odoo
    result = odoo_workers(MEDIUM, reserve_mb=1024 + 8192)
    assert result["options"]["workers"] == 8
    assert result["options"]["limit_memory_hard"] == 896 * MIB  # 7168 / 8
    assert odoo_workers({"cpus": 1, "memory_mb": 1024}, reserve_mb=200)["options"]["workers"] == 1  # 824 MB share


# Every host of the table: either a result that keeps every rule, or a RAM error naming the fields.

CPUS = (1, 2, 4, 8, 16)
GIBS = (1, 2, 4, 8, 32)
TABLE = list(itertools.product(CPUS, GIBS, (1, 2), (None, 25)))


@pytest.mark.parametrize(("cpus", "gib", "instances", "users"), TABLE)
def test_table(cpus, gib, instances, users):
    share = (gib * GIB_MB - 1024) // instances
    rule = cpu_rule(cpus, instances)
    if share < 1 * 325 + 325 + 150:  # one worker, one cron worker and the gevent process
        with pytest.raises(AnsibleFilterError) as error:
            odoo_workers(host(cpus, gib), instances=instances, concurrent_users=users)
        assert "memory_mb" in str(error.value) and "reserve_mb" in str(error.value)
        return
    result = odoo_workers(host(cpus, gib), instances=instances, concurrent_users=users)
    options = result["options"]
    workers, cron, hard, soft = (options[name] for name in ("workers", "max_cron_threads", "limit_memory_hard", "limit_memory_soft"))
    # workers: never 0, within the CPU rule (cron workers included), at most about users / 6
    assert workers >= 1
    assert workers + cron <= rule or workers == 1
    assert cron in (1, 2)
    if users is not None:
        assert workers <= max(2, math.ceil(users / 6))
    # memory: the estimate and the hard limits fit the share, the limits within Odoo's defaults and our floors
    assert result["memory_mb_estimate"] == (workers + cron) * 325 + 150 <= share
    assert workers * hard <= share * MIB
    assert 512 * MIB <= soft <= hard <= 2560 * MIB
    assert hard >= 640 * MIB and hard % (64 * MIB) == 0 and soft % MIB == 0
    # as many workers as allowed: one more would break the CPU rule, the users, or the RAM
    more = workers + 1
    assert (
        more + cron > max(rule, cron + 1)
        or (users is not None and more > max(2, math.ceil(users / 6)))
        or (more + cron) * 325 + 150 > share
        or more * 640 > share
    )
    # processes and connections
    assert result["processes"] == workers + cron + 1
    assert result["max_db_connections"] == result["processes"] * options["db_maxconn"] == result["processes"] * 8
    assert options["limit_time_real"] >= options["limit_time_cpu"]
    assert list(options) == list(OPTION_NAMES)
    assert all(value.__class__ is int for value in options.values())


def test_auto_never_returns_zero_workers():
    for cpus, memory_mb, instances in itertools.product((1, 2, 3, 64), (1800, 2048, 3000, 65536), (1, 2, 3)):
        try:
            result = odoo_workers({"cpus": cpus, "memory_mb": memory_mb}, instances=instances)
        except AnsibleFilterError:
            continue
        assert result["options"]["workers"] >= 1
        assert result["processes"] == result["options"]["workers"] + result["options"]["max_cron_threads"] + 1


def test_more_resources_never_fewer_workers():
    by_cpu = [odoo_workers(host(cpus, 64))["options"]["workers"] for cpus in range(1, 41)]
    assert by_cpu == sorted(by_cpu)
    by_ram = [odoo_workers({"cpus": 8, "memory_mb": mb})["options"]["workers"] for mb in range(1824, 40000, 256)]
    assert by_ram == sorted(by_ram)
    assert by_ram[0] == 1 and by_ram[-1] == 15


def test_fact_sized_host():
    # A "16 GB" VM reports a little less than 16384 MiB.
    result = odoo_workers({"cpus": 4, "memory_mb": 15990})
    assert result["options"]["limit_memory_hard"] == 1856 * MIB  # 14966 / 8 = 1870, down to 64 MiB
    assert result["options"]["limit_memory_soft"] == 1484 * MIB


# Inputs


def test_accepts_ansible_facts():
    facts = {"processor_vcpus": 4, "memtotal_mb": 16384, "processor_count": 1, "os_family": "Debian"}
    assert odoo_workers(facts) == odoo_workers(MEDIUM)
    # explicit keys win over the facts
    assert odoo_workers({**facts, "cpus": 2, "memory_mb": 4096}) == odoo_workers(SMALL)


def test_inventory_strings_are_numbers():
    result = odoo_workers(
        {"cpus": " 4 ", "memory_mb": "16384"}, instances="1", reserve_mb="1024", overrides={"limit_request": "65536"}
    )
    assert result == odoo_workers(MEDIUM, overrides={"limit_request": 65536})
    assert odoo_workers({"cpus": 4.0, "memory_mb": 16384.0}) == odoo_workers(MEDIUM)


def test_tagged_ansible_values():
    tagged = deprecate_value(
        {"cpus": deprecate_value(4, "test", version="9.0.0"), "memory_mb": trust_as_template("16384")},
        "test",
        version="9.0.0",
    )
    assert tagged.__class__ is not dict  # a dict subclass, as ansible-core 2.19+ hands to filters
    result = odoo_workers(tagged, instances=trust_as_template("1"), overrides={trust_as_template("db_maxconn"): trust_as_template("16")})
    assert result == odoo_workers(MEDIUM, overrides={"db_maxconn": 16})
    assert all(key.__class__ is str and value.__class__ is int for key, value in result["options"].items())


def test_is_pure():
    facts = dict(MEDIUM)
    overrides = {"workers": 4}
    before = (copy.deepcopy(facts), copy.deepcopy(overrides))
    first = odoo_workers(facts, overrides=overrides)
    assert odoo_workers(facts, overrides=overrides) == first
    assert (facts, overrides) == before
    first["options"]["workers"] = 99
    assert odoo_workers(facts, overrides=overrides)["options"]["workers"] == 4


# Overrides: each one wins, the options computed from it follow it, then everything is checked.


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"workers": 5}, {"workers": 5, "limit_memory_hard": 2560 * MIB, "limit_memory_soft": 2048 * MIB}),  # 15360 / 5
        ({"workers": 12}, {"workers": 12, "limit_memory_hard": 1280 * MIB, "limit_memory_soft": 1024 * MIB}),
        ({"workers": 18}, {"workers": 18, "limit_memory_hard": 832 * MIB}),  # twice the rule 9 is allowed
        ({"workers": "6"}, {"workers": 6}),
        ({"max_cron_threads": 0}, {"workers": 9, "max_cron_threads": 0}),  # the cron workers' CPU goes to HTTP
        ({"max_cron_threads": 3}, {"workers": 6, "max_cron_threads": 3}),
        ({"workers": 4, "max_cron_threads": 4}, {"workers": 4, "max_cron_threads": 4}),
        ({"limit_memory_hard": 1024 * MIB}, {"limit_memory_hard": 1024 * MIB, "limit_memory_soft": 819 * MIB}),
        ({"limit_memory_hard": 700 * MIB}, {"limit_memory_hard": 700 * MIB, "limit_memory_soft": 560 * MIB}),
        ({"limit_memory_soft": 1024 * MIB}, {"limit_memory_soft": 1024 * MIB, "limit_memory_hard": 1920 * MIB}),
        ({"limit_time_real": 1200}, {"limit_time_real": 1200, "limit_time_cpu": 600, "limit_time_real_cron": 1200}),
        ({"limit_time_real": 120}, {"limit_time_real": 120, "limit_time_cpu": 60, "limit_time_real_cron": 1200}),
        ({"limit_time_real": 3600}, {"limit_time_real": 3600, "limit_time_cpu": 1800, "limit_time_real_cron": 3600}),
        ({"limit_time_cpu": 100}, {"limit_time_cpu": 100, "limit_time_real": 600}),
        ({"limit_time_cpu": 600}, {"limit_time_cpu": 600, "limit_time_real": 600}),
        ({"limit_time_real_cron": -1}, {"limit_time_real_cron": -1}),
        ({"limit_time_real_cron": 0}, {"limit_time_real_cron": 0}),
        ({"limit_time_real_cron": 7200}, {"limit_time_real_cron": 7200}),
        ({"limit_request": 65536}, {"limit_request": 65536}),
        ({"db_maxconn": 16}, {"db_maxconn": 16}),
        ({"db_maxconn_gevent": 32}, {"db_maxconn_gevent": 32}),
    ],
)
def test_overrides(overrides, expected):
    result = odoo_workers(MEDIUM, overrides=overrides)
    assert {name: result["options"][name] for name in expected} == expected
    unchanged = {name for name in OPTION_NAMES if name not in expected and name not in overrides}
    untouched = odoo_workers(MEDIUM)["options"]
    derived = {"limit_memory_soft", "limit_memory_hard", "workers", "max_cron_threads", "limit_time_cpu", "limit_time_real_cron"}
    assert {name: result["options"][name] for name in unchanged - derived} == {name: untouched[name] for name in unchanged - derived}


def test_every_option_can_be_overridden():
    overrides = {
        "workers": 3,
        "max_cron_threads": 2,
        "limit_memory_soft": 1000 * MIB,
        "limit_memory_hard": 1200 * MIB,
        "limit_time_cpu": 90,
        "limit_time_real": 180,
        "limit_time_real_cron": 0,
        "limit_request": 100,
        "db_maxconn": 4,
    }
    result = odoo_workers(MEDIUM, overrides=overrides)
    assert result == {"options": overrides, "processes": 6, "max_db_connections": 24, "memory_mb_estimate": 5 * 325 + 150}


def test_overrides_none_or_empty():
    assert odoo_workers(MEDIUM, overrides=None) == odoo_workers(MEDIUM, overrides={}) == odoo_workers(MEDIUM)


def test_workers_override_wins_over_users():
    assert odoo_workers(MEDIUM, concurrent_users=6, overrides={"workers": 7})["options"]["workers"] == 7


def test_connections_follow_the_pools():
    assert odoo_workers(MEDIUM, overrides={"db_maxconn": 16})["max_db_connections"] == 10 * 16
    # the gevent process has its own pool size: 9 processes x 8 + 32
    result = odoo_workers(MEDIUM, overrides={"db_maxconn_gevent": 32})
    assert (result["processes"], result["max_db_connections"]) == (10, 9 * 8 + 32)
    assert list(result["options"]) == [*OPTION_NAMES, "db_maxconn_gevent"]


def test_explicit_workers_keep_a_second_cron_only_where_it_fits():
    assert odoo_workers(host(8, 32), overrides={"workers": 4})["options"]["max_cron_threads"] == 2
    # 1400 MB share: (2 + 2) x 325 + 150 = 1450 does not fit, (2 + 1) x 325 + 150 = 1125 does
    result = odoo_workers({"cpus": 8, "memory_mb": 2424}, overrides={"workers": 2})
    assert (result["options"]["max_cron_threads"], result["options"]["limit_memory_hard"]) == (1, 640 * MIB)


# Threaded mode: only ever from an explicit workers 0.


def test_threaded_mode():
    result = odoo_workers(MEDIUM, overrides={"workers": 0})
    assert result == {
        "options": {
            "workers": 0,
            "max_cron_threads": 1,
            "limit_memory_soft": 2048 * MIB,
            "limit_memory_hard": 2560 * MIB,
            "limit_time_cpu": 300,
            "limit_time_real": 600,
            "limit_time_real_cron": 1200,
            "limit_request": 8192,
            "db_maxconn": 64,  # one pool for every request and cron thread: Odoo's default
        },
        "processes": 1,
        "max_db_connections": 64,
        "memory_mb_estimate": 2 * 325,
    }


def test_threaded_mode_on_a_small_host():
    result = odoo_workers({"cpus": 1, "memory_mb": 2048}, overrides={"workers": 0, "max_cron_threads": 2})
    assert result["options"]["limit_memory_hard"] == 1024 * MIB  # the whole 1024 MB share
    assert (result["processes"], result["max_db_connections"], result["memory_mb_estimate"]) == (1, 64, 975)
    assert odoo_workers(SMALL, overrides={"workers": 0, "db_maxconn": 20})["max_db_connections"] == 20


# Errors: each names the field and says what to do.


@pytest.mark.parametrize(
    ("facts", "message"),
    [
        ("4", r"odoo_workers expects the host as a dict, got str; pass a dict such as \{'cpus'"),
        (None, r"expects the host as a dict, got NoneType"),
        ([4, 16384], r"expects the host as a dict, got list"),
        ({"memory_mb": 16384}, r"cpus is missing from the host; pass a dict such as"),
        ({"cpus": None, "memory_mb": 16384}, r"cpus is missing from the host"),
        ({"cpus": 4}, r"memory_mb is missing from the host"),
        ({"cpus": 0, "memory_mb": 16384}, r"cpus must be at least 1, got 0; give the number of virtual CPUs"),
        ({"cpus": "four", "memory_mb": 16384}, r"cpus must be a whole number, got 'four' \(str\)"),
        ({"cpus": True, "memory_mb": 16384}, r"cpus must be a whole number, got True \(bool\)"),
        ({"cpus": 4, "memory_mb": -1}, r"memory_mb must be at least 1, got -1; give the host's total RAM in MiB"),
        ({"cpus": 4, "memory_mb": 1024.5}, r"memory_mb must be a whole number, got 1024.5 \(float\)"),
        ({"processor_vcpus": 0, "memtotal_mb": 16384}, r"processor_vcpus must be at least 1, got 0"),
        ({"cpus": 4, "memory_mb": 1024}, r"reserve_mb 1024 leaves no RAM for Odoo on a host with memory_mb 1024; lower reserve_mb"),
    ],
)
def test_bad_host(facts, message):
    with pytest.raises(AnsibleFilterError, match=message):
        odoo_workers(facts)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"instances": 0}, r"instances must be at least 1, got 0; give the number of Odoo instances sharing this host"),
        ({"instances": "two"}, r"instances must be a whole number, got 'two'"),
        ({"concurrent_users": 0}, r"concurrent_users must be at least 1, got 0; give the expected concurrent users, or leave it unset"),
        ({"concurrent_users": "many"}, r"concurrent_users must be a whole number"),
        ({"reserve_mb": -1}, r"reserve_mb must be at least 0, got -1; give the MiB kept for the OS"),
        ({"reserve_mb": 16384}, r"reserve_mb 16384 leaves no RAM for Odoo on a host with memory_mb 16384"),
        ({"overrides": ["workers=4"]}, r"overrides must be a dict of odoo.conf option to value, got list"),
        ({"overrides": "workers=4"}, r"overrides must be a dict of odoo.conf option to value, got str"),
    ],
)
def test_bad_options(options, message):
    with pytest.raises(AnsibleFilterError, match=message):
        odoo_workers(MEDIUM, **options)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"worker": 4},
            "worker",
            r"overrides key 'worker' is not an option odoo_workers sizes; did you mean 'workers'\? use one "
            r"of workers,",
        ),
        ({"db_max_conn": 4}, "db_max_conn", r"did you mean 'db_maxconn'\?"),
        ({"limit_memory_hardd": 1}, "limit_memory_hardd", r"did you mean 'limit_memory_hard'\?"),
        ({"max_cron_thread": 1}, "max_cron_thread", r"did you mean 'max_cron_threads'\?"),
        ({"http_port": 8069}, "http_port", r"is not an option odoo_workers sizes; .*set other odoo.conf options where"),
        ({5: 1}, "5", r"overrides key 5 is not an option"),
        ({"workers": -1}, "overrides.workers", r"must be at least 0, got -1; give 0 or more \(0 selects Odoo's threaded server\)"),
        ({"workers": "many"}, "overrides.workers", r"must be a whole number, got 'many'"),
        ({"workers": None}, "overrides.workers", r"must be a whole number, got None \(NoneType\)"),
        (
            {"workers": 19},
            "overrides.workers",
            r"overrides.workers 19 is more than 2 x the CPU rule of this instance \(\(cpus 4 x 2 \+ 1\) / "
            r"instances 1 = 9\), so at most 18",
        ),
        ({"max_cron_threads": -1}, "overrides.max_cron_threads", r"must be at least 0, got -1; give 0 or more \(0 runs no cron jobs\)"),
        (
            {"limit_memory_hard": 2560},
            "overrides.limit_memory_hard",
            r"is 2560 bytes, below the 640 MiB floor \(671088640\); the value is in bytes; did you mean 2560 "
            r"MiB = 2684354560\?",
        ),
        ({"limit_memory_soft": 0}, "overrides.limit_memory_soft", r"is 0 bytes, below the 512 MiB floor .*Odoo reads 0 as no limit"),
        (
            {"limit_memory_hard": 500 * MIB},
            "overrides.limit_memory_hard",
            r"is 524288000 bytes, below the 640 MiB floor \(671088640\); the value is in bytes; give at "
            r"least 671088640$",
        ),
        (
            {"limit_memory_soft": "2GB"},
            "overrides.limit_memory_soft",
            r"must be a whole number, got '2GB' \(str\); give a number of bytes such as 2147483648 \(2048 "
            r"MiB\)",
        ),
        (
            {"limit_memory_soft": 2048 * MIB},
            "limit_memory_soft",
            r"limit_memory_soft \(2147483648, 2048 MiB\) is above limit_memory_hard \(2013265920, 1920 MiB\)",
        ),
        (
            {"limit_memory_soft": 1024 * MIB, "limit_memory_hard": 900 * MIB},
            "limit_memory_hard",
            r"lower limit_memory_soft or raise limit_memory_hard in overrides",
        ),
        ({"limit_time_cpu": 0}, "overrides.limit_time_cpu", r"must be at least 1, got 0; give a number of seconds"),
        ({"limit_time_real": 0}, "overrides.limit_time_real", r"must be at least 1, got 0"),
        (
            {"limit_time_cpu": 700},
            "limit_time_real",
            r"limit_time_real \(600 s\) is below limit_time_cpu \(700 s\): .* raise limit_time_real or lower "
            r"limit_time_cpu",
        ),
        ({"limit_time_real": 100, "limit_time_cpu": 120}, "limit_time_cpu", r"limit_time_real \(100 s\) is below limit_time_cpu \(120 s\)"),
        (
            {"limit_time_real_cron": -2},
            "overrides.limit_time_real_cron",
            r"must be seconds, 0 \(no limit\) or -1 \(same as limit_time_real\), got -2",
        ),
        ({"limit_request": 0}, "overrides.limit_request", r"must be at least 1, got 0; give a number of requests"),
        (
            {"db_maxconn": 1},
            "overrides.db_maxconn",
            r"must be at least 2, got 1; an Odoo process keeps one connection listening .* \(8 is the "
            r"computed value with workers\)",
        ),
        ({"db_maxconn_gevent": 0}, "overrides.db_maxconn_gevent", r"must be at least 2, got 0"),
        (
            {"workers": 0, "db_maxconn_gevent": 16},
            "db_maxconn_gevent",
            r"only applies with workers .* remove db_maxconn_gevent or set workers",
        ),
    ],
)
def test_bad_overrides(overrides, field, message):
    with pytest.raises(AnsibleFilterError, match=message) as error:
        odoo_workers(MEDIUM, overrides=overrides)
    assert field in str(error.value)


@pytest.mark.parametrize(
    ("facts", "options", "fields", "message"),
    [
        # auto: not even one worker fits
        (
            host(2, 2),
            {"instances": 2},
            ("memory_mb", "reserve_mb", "instances", "limit_memory_hard"),
            r"the Odoo instance's share of the host is 512 MB \(\(memory_mb 2048 - reserve_mb 1024\) / instances 2\),"
            r" less than one worker's 640 MiB limit_memory_hard floor",
        ),
        (
            {"cpus": 2, "memory_mb": 1800},
            {},
            ("workers", "max_cron_threads", "memory_mb", "reserve_mb"),
            r"the Odoo instance needs about 800 MB of RAM \(\(workers 1 \+ max_cron_threads 1\) x 325 MB \+ 150 MB for the"
            r" gevent process\) but its share of the host is 776 MB \(\(memory_mb 1800 - reserve_mb 1024\) / instances 1\);"
            r" lower workers or max_cron_threads in overrides, lower reserve_mb",
        ),
        # explicit workers whose limit_memory_hard would fall below the floor
        (
            SMALL,
            {"overrides": {"workers": 10}},
            ("limit_memory_hard", "workers", "reserve_mb"),
            r"limit_memory_hard would be 307 MiB \(the instance's RAM share 3072 MB / workers 10\), below its 640 MiB floor;"
            r" lower workers in overrides",
        ),
        # explicit values over the guide's estimate
        (
            host(4, 4),
            {"overrides": {"workers": 9, "limit_memory_hard": 640 * MIB}},
            ("workers", "max_cron_threads", "memory_mb", "reserve_mb"),
            r"needs about 3400 MB of RAM \(\(workers 9 \+ max_cron_threads 1\) x 325 MB \+ 150 MB for the gevent process\)"
            r" but its share of the host is 3072 MB",
        ),
        (
            host(4, 4),
            {"overrides": {"max_cron_threads": 10}},
            ("max_cron_threads", "memory_mb"),
            r"needs about 3725 MB of RAM \(\(workers 1 \+ max_cron_threads 10\)",
        ),
        # explicit hard limit over the share
        (
            MEDIUM,
            {"overrides": {"limit_memory_hard": 2560 * MIB}},
            ("workers", "limit_memory_hard"),
            r"workers 8 x limit_memory_hard 2560 MiB = 20480 MiB is more than the instance's RAM share of 15360 MB"
            r" \(\(memory_mb 16384 - reserve_mb 1024\) / instances 1\); lower limit_memory_hard in overrides to at most"
            r" 2013265920 \(1920 MiB\) or lower workers",
        ),
        (
            {"cpus": 4, "memory_mb": 2824},
            {"overrides": {"workers": 3, "limit_memory_hard": 700 * MIB}},
            ("workers", "limit_memory_hard", "reserve_mb"),
            r"workers 3 x limit_memory_hard 700 MiB = 2100 MiB is more than the instance's RAM share of 1800 MB .*;"
            r" lower workers in overrides, lower reserve_mb or run fewer instances on this host$",
        ),
        # threaded mode
        (
            host(4, 4),
            {"overrides": {"workers": 0, "limit_memory_hard": 4096 * MIB}},
            ("limit_memory_hard",),
            r"limit_memory_hard 4096 MiB of the threaded server is more than the instance's RAM share of 3072 MB"
            r" .*lower limit_memory_hard in overrides to at most 3221225472 \(3072 MiB\)$",
        ),
        (
            {"cpus": 1, "memory_mb": 1724},
            {"overrides": {"workers": 0, "max_cron_threads": 2}},
            ("max_cron_threads", "memory_mb"),
            r"needs about 975 MB of RAM \(\(1 threaded server \+ max_cron_threads 2\) x 325 MB\) but its share of the host is 700 MB",
        ),
        (
            {"cpus": 1, "memory_mb": 1300},
            {"overrides": {"workers": 0}},
            ("limit_memory_hard", "reserve_mb"),
            r"limit_memory_hard would be 276 MiB \(the instance's RAM share 276 MB\), below its 640 MiB floor; lower reserve_mb",
        ),
    ],
)
def test_does_not_fit(facts, options, fields, message):
    with pytest.raises(AnsibleFilterError, match=message) as error:
        odoo_workers(facts, **options)
    for field in fields:
        assert field in str(error.value)


# odoo_connections

PROD = {**odoo_workers(MEDIUM), "name": "lab-app1/prod"}  # 10 processes x 8 = 80
STAGING = {**odoo_workers(MEDIUM, instances=2), "name": "lab-app1/staging"}  # 5 x 8 = 40


def test_connections_sum():
    # Each instance's pool is max_db_connections + the connection limit extra (2): its role's CONNECTION LIMIT.
    assert odoo_connections([PROD, STAGING]) == 124
    assert odoo_connections([PROD, STAGING], max_connections=137) == 124  # 137 - 13 reserved = 124: fits exactly
    assert odoo_connections([PROD], max_connections="100") == 82  # pg_tune returns strings
    assert odoo_connections([PROD, STAGING], max_connections=134, reserved=10) == 124
    assert odoo_connections((odoo_workers(SMALL),), max_connections=100) == 50
    assert odoo_connections([]) == 0
    assert odoo_connections([{"max_db_connections": "7"}], max_connections=22) == 9
    assert odoo_connections([PROD, STAGING], extra=0) == 120
    assert odoo_connections([PROD, STAGING], extra="5") == 130
    # An entry's own connection_limit_extra (its host's odoo_db_connection_limit_extra) wins.
    assert odoo_connections([{**PROD, "connection_limit_extra": 0}, STAGING]) == 122
    assert odoo_connections([{**PROD, "connection_limit_extra": "4"}, STAGING], extra=0) == 124


def test_connections_threaded_instance():
    assert odoo_connections([odoo_workers(MEDIUM, overrides={"workers": 0})], max_connections=100) == 66


def test_connections_size_pg_tune():
    sizings = [PROD, STAGING]
    settings = pg_tune({"memtotal_mb": 16384, "processor_vcpus": 4}, odoo_connections=odoo_connections(sizings))
    assert settings["max_connections"] == "140"  # 124 + 13 = 137, rounded up
    assert odoo_connections(sizings, max_connections=settings["max_connections"]) == 124
    # The check and the computation are one formula: max_connections 137 fits, 136 fails both.
    assert odoo_connections(sizings, max_connections=_sizing.needed_connections([124])) == 124
    with pytest.raises(AnsibleFilterError, match=r"raise PostgreSQL's max_connections to at least 137$"):
        odoo_connections(sizings, max_connections=136)
    with pytest.raises(AnsibleFilterError, match=r"so 137 are needed"):
        pg_tune({"memtotal_mb": 16384, "processor_vcpus": 4}, max_connections=136, odoo_connections=124)


def test_one_auto_sized_instance_on_two_vcpus_fits_the_computed_max_connections():
    # The case: 48 connections of pools on 2 vCPUs used to meet a max_connections of 30.
    pools = odoo_connections([odoo_workers(SMALL)])
    assert pools == 50
    assert pg_tune({"memtotal_mb": 8192, "processor_vcpus": 2}, odoo_connections=pools)["max_connections"] == "70"


def test_connections_too_many():
    message = (
        r"the Odoo instances can open up to 124 PostgreSQL connections, more than max_connections 100 - reserved 13 = 87:"
        r" lab-app1/prod 82 \(10 processes, db_maxconn 8, \+ 2\), lab-app1/staging 42 \(5 processes, db_maxconn 8, \+ 2\);"
        r" lower db_maxconn or workers in the odoo_workers overrides, or raise PostgreSQL's max_connections to at least 137"
    )
    with pytest.raises(AnsibleFilterError, match=message):
        odoo_connections([PROD, STAGING], max_connections=100)


def test_connections_too_many_without_names():
    with pytest.raises(AnsibleFilterError, match=r"- reserved 13 = 4: entry 1 7 \(5 \+ 2\), entry 2 5; lower db_maxconn") as error:
        odoo_connections([{"max_db_connections": 5}, {"max_db_connections": 5, "connection_limit_extra": 0}], max_connections=17)
    assert "max_connections" in str(error.value)


# odoo_connections from the Odoo hosts' variables (what the postgresql role computes max_connections from)

LAB_INSTANCES = [
    {"name": "prod", "domain": "erp.odoo-lab.test"},
    {"name": "staging", "domain": "staging.odoo-lab.test", "http_port": 8169, "gevent_port": 8172, "workers": 0,
     "sizing": {"db_maxconn": 16}},
]
LAB_FACTS = {"processor_vcpus": 2, "memtotal_mb": 24105}


def odoo_host(instances, facts=None, **hostvars):
    return {"odoo_instances": instances, "ansible_facts": dict(LAB_FACTS if facts is None else facts), **hostvars}


def test_instance_sizings_as_the_odoo_role_sizes():
    sizings = instance_sizings({"cpus": 2, "memory_mb": 24105}, LAB_INSTANCES, host="lab-app1", reserve_mb=2048)
    assert [s["name"] for s in sizings] == ["lab-app1/prod", "lab-app1/staging"]
    # roles/odoo/tasks/validate.yml: instances = their count, overrides = sizing + workers unless auto
    assert sizings[0] == {**odoo_workers({"cpus": 2, "memory_mb": 24105}, instances=2, reserve_mb=2048), "name": "lab-app1/prod"}
    assert sizings[1] == {
        **odoo_workers({"cpus": 2, "memory_mb": 24105}, instances=2, reserve_mb=2048, overrides={"db_maxconn": 16, "workers": 0}),
        "name": "lab-app1/staging",
    }
    users = instance_sizings(MEDIUM, [{"name": "prod", "domain": "erp.example.com", "concurrent_users": 6}])
    assert users[0]["options"]["workers"] == 2  # MIN_WORKERS_FOR_USERS
    assert instance_sizings(MEDIUM, []) == []


def test_instance_sizings_errors_name_the_instance():
    with pytest.raises(AnsibleFilterError, match=r"^instance app1/prod: limit_memory_hard would be 238 MiB"):
        instance_sizings({"cpus": 2, "memory_mb": 1500}, [{"name": "prod", "domain": "erp.example.com", "workers": 2}], host="app1")
    with pytest.raises(AnsibleFilterError, match=r"odoo_instances on app1: instance 'prod' options 'workers'"):
        instance_sizings(MEDIUM, [{"name": "prod", "domain": "erp.example.com", "options": {"workers": 9}}], host="app1")


def test_odoo_instance_sizings_is_what_the_budget_counts():
    facts = {"cpus": 2, "memory_mb": 24105}
    sizing = odoo_instance_sizings(facts, LAB_INSTANCES, host="lab-app1", reserve_mb=2048, connection_limit_extra=3)
    assert list(sizing) == ["prod", "staging"]
    for inst, expected in zip(["prod", "staging"], instance_sizings(facts, LAB_INSTANCES, host="lab-app1", reserve_mb=2048)):
        assert sizing[inst] == {**expected, "connection_limit_extra": 3}
    # what the odoo role configures is what the postgresql role sizes max_connections for
    hostvars = {"lab-app1": odoo_host(LAB_INSTANCES, odoo_reserve_mb=2048, odoo_db_connection_limit_extra=3)}
    assert odoo_connections(list(sizing.values())) == odoo_connections(["lab-app1"], hostvars=hostvars)
    assert odoo_instance_sizings(facts, []) == {}
    with pytest.raises(AnsibleFilterError, match=r"connection_limit_extra"):
        odoo_instance_sizings(facts, LAB_INSTANCES, connection_limit_extra=-1)


def test_connections_from_hostvars_the_lab():
    hostvars = {"lab-app1": odoo_host(LAB_INSTANCES, odoo_reserve_mb=2048), "lab-edge1": {}}
    # prod: 1 worker + 1 cron + gevent = 3 x 8 = 24 + 2; staging threaded: 16 + 2
    assert odoo_connections(["lab-app1"], hostvars=hostvars, cluster_group="postgresql") == 44
    assert odoo_connections(["lab-app1"], hostvars=hostvars) == 44  # every host, whatever its cluster
    assert pg_tune(LAB_FACTS, pg_share=0.1, odoo_connections=44)["max_connections"] == "60"


def test_connections_from_hostvars_select_the_cluster():
    hostvars = {
        "app1": odoo_host(LAB_INSTANCES),  # odoo_postgresql_group unset: the odoo role's default, postgresql
        "app2": odoo_host([{"name": "erp", "domain": "erp.example.com"}], odoo_postgresql_group="pg_b"),
        "app3": odoo_host([], odoo_postgresql_group="postgresql"),  # no instance: no facts needed
        "app4": {"odoo_postgresql_group": "postgresql"},
    }
    hosts = ["app1", "app2", "app3", "app4"]
    app1 = odoo_connections(instance_sizings({"cpus": 2, "memory_mb": 24105}, LAB_INSTANCES, host="app1"))
    app2 = odoo_connections(instance_sizings({"cpus": 2, "memory_mb": 24105}, [{"name": "erp", "domain": "erp.example.com"}]))
    assert odoo_connections(hosts, hostvars=hostvars, cluster_group="postgresql") == app1
    assert odoo_connections(hosts, hostvars=hostvars, cluster_group="pg_b") == app2 == 50
    assert odoo_connections(hosts, hostvars=hostvars, cluster_group="nowhere") == 0
    assert odoo_connections([], hostvars=hostvars, cluster_group="postgresql") == 0


def test_connections_from_hostvars_read_the_hosts_sizing_variables():
    hostvars = {"app1": odoo_host(LAB_INSTANCES, odoo_db_connection_limit_extra=0, odoo_reserve_mb="2048")}
    assert odoo_connections(["app1"], hostvars=hostvars) == 40
    hostvars = {"app1": odoo_host(LAB_INSTANCES, odoo_db_connection_limit_extra="5")}
    assert odoo_connections(["app1"], hostvars=hostvars) == 50
    small = {"app1": odoo_host([{"name": "prod", "domain": "erp.example.com"}], facts={"processor_vcpus": 2, "memtotal_mb": 4096})}
    assert odoo_connections(["app1"], hostvars=small) == 50  # 6 processes x 8 + 2
    assert odoo_connections(["app1"], hostvars=small, max_connections=63) == 50
    with pytest.raises(AnsibleFilterError, match=r"app1/prod 50 \(6 processes, db_maxconn 8, \+ 2\);.* at least 63$"):
        odoo_connections(["app1"], hostvars=small, max_connections=62)


@pytest.mark.parametrize(
    ("facts", "missing"),
    [
        ({}, "processor_vcpus and no memtotal_mb"),
        ({"memtotal_mb": 4096}, "processor_vcpus"),
        ({"processor_vcpus": 2, "memtotal_mb": None}, "memtotal_mb"),
    ],
)
def test_connections_from_hostvars_without_facts(facts, missing):
    hostvars = {"app1": odoo_host(LAB_INSTANCES, facts=facts)}
    message = (
        rf"^the Odoo host app1 has no {missing} fact: the PostgreSQL connection budget follows from each Odoo host's"
        r" sizing \(its CPUs and RAM\). Run playbooks/site.yml \(its validate play gathers the facts of every host\), or"
        r" gather the Odoo hosts' facts earlier in the same run \(ansible.builtin.setup with gather_subset \[min,"
        r" hardware\] on the Odoo group\)$"
    )
    with pytest.raises(AnsibleFilterError, match=message):
        odoo_connections(["app1"], hostvars=hostvars, cluster_group="postgresql")


def test_connections_from_hostvars_without_facts_elsewhere():
    hostvars = {"app1": odoo_host(LAB_INSTANCES, facts={}, odoo_postgresql_group="other")}
    assert odoo_connections(["app1"], hostvars=hostvars, cluster_group="postgresql") == 0


@pytest.mark.parametrize(
    ("hosts", "options", "message"),
    [
        ("app1", {"hostvars": {}}, r"odoo_connections with hostvars expects a list of Odoo host names, got str"),
        ({"app1": 1}, {"hostvars": {}}, r"expects a list of Odoo host names, got dict"),
        (["app1"], {"hostvars": []}, r"odoo_connections hostvars must be Ansible's hostvars, got list"),
        (["app1"], {"hostvars": {}}, r"odoo_connections: app1 is not a host of the inventory \(not in hostvars\)"),
        (["app1"], {"hostvars": {}, "cluster_group": ""}, r"cluster_group must be the PostgreSQL cluster's inventory group"),
        ([PROD], {"cluster_group": "postgresql"}, r"odoo_connections cluster_group needs hostvars"),
        (["app1"], {"hostvars": {"app1": odoo_host("prod")}}, r"odoo_instances on app1: odoo_instances: must be a list"),
        (
            ["app1"],
            {"hostvars": {"app1": odoo_host(LAB_INSTANCES, odoo_db_connection_limit_extra=-1)}},
            r"app1/prod connection_limit_extra must be at least 0, got -1",
        ),
    ],
)
def test_connections_from_hostvars_bad_input(hosts, options, message):
    with pytest.raises(AnsibleFilterError, match=message):
        odoo_connections(hosts, **options)


@pytest.mark.parametrize(
    ("sizings", "options", "message"),
    [
        (PROD, {}, r"odoo_connections expects a list of odoo_workers results, got dict; wrap a single result in a list"),
        ("x", {}, r"expects a list of odoo_workers results, got str"),
        (None, {}, r"expects a list of odoo_workers results, got NoneType"),
        ([PROD, {"name": "x"}], {}, r"odoo_connections entry 2 has no max_db_connections; pass the results of the odoo_workers filter"),
        (["x"], {}, r"entry 1 has no max_db_connections"),
        ([{**PROD, "name": ""}], {}, r"odoo_connections entry 1 name must be a non-empty string, got ''"),
        ([{**PROD, "name": 5}], {}, r"entry 1 name must be a non-empty string, got 5"),
        ([{**PROD, "max_db_connections": -1}], {}, r"lab-app1/prod max_db_connections must be at least 0, got -1"),
        ([{**PROD, "max_db_connections": "many"}], {}, r"lab-app1/prod max_db_connections must be a whole number"),
        ([PROD], {"max_connections": 0}, r"max_connections must be at least 1, got 0; give PostgreSQL's max_connections"),
        ([PROD], {"max_connections": "lots"}, r"max_connections must be a whole number, got 'lots'"),
        ([PROD], {"max_connections": 100, "reserved": -1}, r"reserved must be at least 0, got -1; give the connections kept for superusers"),
        ([PROD], {"max_connections": 10, "reserved": 10}, r"reserved 10 leaves no connection for Odoo out of max_connections 10"),
        ([PROD], {"extra": -1}, r"extra must be at least 0, got -1; give the connections an instance's role may open"),
        ([{**PROD, "connection_limit_extra": "x"}], {}, r"lab-app1/prod connection_limit_extra must be a whole number"),
    ],
)
def test_connections_bad_input(sizings, options, message):
    with pytest.raises(AnsibleFilterError, match=message):
        odoo_connections(sizings, **options)


def test_filters_are_registered():
    assert FilterModule().filters() == {"odoo_workers": odoo_workers, "odoo_connections": odoo_connections,
                                        "odoo_instance_sizings": odoo_instance_sizings}
