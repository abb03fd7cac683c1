from __future__ import annotations

import copy

import pytest

from ansible.errors import AnsibleFilterError
from ansible.module_utils.datatag import deprecate_value
from ansible.template import trust_as_template
from ansible_collections.odoo_cloud.platform.plugins.filter.pg_tune import (
    RESERVED_CONNECTIONS,
    FilterModule,
    format_mb,
    memory_size_mb,
    odoo_max_connections,
    pg_tune,
)
from ansible_collections.odoo_cloud.platform.plugins.plugin_utils import _sizing

SMALL = {"memtotal_mb": 2048, "processor_vcpus": 2}
MEDIUM = {"memtotal_mb": 16384, "processor_vcpus": 4}
LARGE = {"memtotal_mb": 262144, "processor_vcpus": 32}

AUTOVACUUM_SSD = {
    "autovacuum_naptime": "10s",
    "autovacuum_vacuum_scale_factor": "0.05",
    "autovacuum_vacuum_insert_scale_factor": "0.1",
    "autovacuum_analyze_scale_factor": "0.02",
    "autovacuum_vacuum_cost_limit": "2000",
}

# Reference machines, erp profile, every setting.
SMALL_ERP = {
    "max_connections": "100",
    "shared_buffers": "512MB",
    "effective_cache_size": "1536MB",
    "maintenance_work_mem": "128MB",
    "work_mem": "5MB",  # (2048 - 512) / (100 x 3) = 5.12
    "huge_pages": "try",
    "wal_buffers": "16MB",
    "min_wal_size": "1GB",
    "max_wal_size": "4GB",
    "checkpoint_completion_target": "0.9",
    "random_page_cost": "1.1",
    "effective_io_concurrency": "200",
    "default_statistics_target": "100",
    "max_worker_processes": "8",
    "max_parallel_workers_per_gather": "1",
    "max_parallel_workers": "2",
    "max_parallel_maintenance_workers": "1",
    "autovacuum_max_workers": "3",
    **AUTOVACUUM_SSD,
}
MEDIUM_ERP = {
    "max_connections": "100",
    "shared_buffers": "4GB",
    "effective_cache_size": "12GB",
    "maintenance_work_mem": "1GB",
    "work_mem": "40MB",  # (16384 - 4096) / (100 x 3) = 40.96
    "huge_pages": "try",
    "wal_buffers": "16MB",
    "min_wal_size": "1GB",
    "max_wal_size": "4GB",
    "checkpoint_completion_target": "0.9",
    "random_page_cost": "1.1",
    "effective_io_concurrency": "200",
    "default_statistics_target": "100",
    "max_worker_processes": "8",
    "max_parallel_workers_per_gather": "2",
    "max_parallel_workers": "4",
    "max_parallel_maintenance_workers": "2",
    "autovacuum_max_workers": "3",
    **AUTOVACUUM_SSD,
}


def host(memtotal_mb, vcpus):
    return {"memtotal_mb": memtotal_mb, "processor_vcpus": vcpus}


@pytest.mark.parametrize(("facts", "expected"), [(SMALL, SMALL_ERP), (MEDIUM, MEDIUM_ERP)], ids=["2cpu-2GB", "4cpu-16GB"])
def test_reference_machines_erp(facts, expected):
    result = pg_tune(facts)
    assert result == expected
    assert list(result) == list(expected)  # stable order, handy in templates and diffs


# What changes between host sizes and profiles, with max_connections 100.
@pytest.mark.parametrize(
    ("facts", "profile", "expected"),
    [
        (SMALL, "erp", {"work_mem": "5MB", "maintenance_work_mem": "128MB", "max_parallel_workers_per_gather": "1"}),
        (SMALL, "oltp", {"work_mem": "5MB", "min_wal_size": "2GB", "max_wal_size": "8GB"}),
        (SMALL, "mixed", {"work_mem": "7MB", "max_parallel_workers_per_gather": "1"}),  # 1536 / 200
        (SMALL, "dw", {"work_mem": "7MB", "maintenance_work_mem": "256MB", "default_statistics_target": "500"}),  # 1536 / (100 x 2)
        (MEDIUM, "erp", {"work_mem": "40MB", "min_wal_size": "1GB", "max_wal_size": "4GB"}),
        (MEDIUM, "oltp", {"work_mem": "40MB", "min_wal_size": "2GB", "max_wal_size": "8GB", "default_statistics_target": "100"}),
        (MEDIUM, "mixed", {"work_mem": "61MB", "max_parallel_workers_per_gather": "2", "max_wal_size": "4GB"}),  # 12288 / 200
        (MEDIUM, "dw", {"work_mem": "40MB", "maintenance_work_mem": "2GB", "min_wal_size": "4GB", "max_wal_size": "16GB"}),
        (
            LARGE,
            "erp",
            {
                "shared_buffers": "8GB",
                "effective_cache_size": "192GB",
                "maintenance_work_mem": "2GB",
                "work_mem": "846MB",  # (262144 - 8192) / 300
                "max_worker_processes": "32",
                "max_parallel_workers_per_gather": "2",
                "max_parallel_workers": "32",
                "max_parallel_maintenance_workers": "4",
                "autovacuum_max_workers": "5",
            },
        ),
        (LARGE, "oltp", {"work_mem": "846MB", "max_parallel_workers_per_gather": "2", "max_wal_size": "8GB"}),
        (LARGE, "mixed", {"work_mem": "1269MB", "max_parallel_workers_per_gather": "4"}),  # 253952 / 200
        (
            LARGE,
            "dw",
            {
                "work_mem": "149MB",  # 253952 / (100 x (1 + 16))
                "max_parallel_workers_per_gather": "16",
                "default_statistics_target": "500",
                "min_wal_size": "4GB",
                "max_wal_size": "16GB",
            },
        ),
    ],
)
def test_hosts_by_profile(facts, profile, expected):
    result = pg_tune(facts, profile=profile)
    assert {name: result[name] for name in expected} == expected


@pytest.mark.parametrize("profile", ["erp", "oltp", "mixed", "dw"])
@pytest.mark.parametrize("facts", [SMALL, MEDIUM, LARGE], ids=["small", "medium", "large"])
def test_every_profile_returns_the_same_settings_as_strings(facts, profile):
    result = pg_tune(facts, profile=profile)
    assert list(result) == list(MEDIUM_ERP)
    assert all(value.__class__ is str for value in result.values())
    # Profiles change the workload settings, never the sizes of the shared caches.
    erp = pg_tune(facts)
    for name in ("shared_buffers", "effective_cache_size", "max_connections", "max_parallel_workers", "huge_pages"):
        assert result[name] == erp[name]


def test_storage_hdd():
    assert pg_tune(MEDIUM, storage="hdd") == {
        **MEDIUM_ERP,
        "random_page_cost": "4",
        "effective_io_concurrency": "2",
        "autovacuum_vacuum_cost_limit": "400",
    }


# Caps and floors


@pytest.mark.parametrize(("memtotal_mb", "expected"), [(1024, "256MB"), (32768, "8GB"), (40000, "8GB"), (1048576, "8GB")])
def test_shared_buffers_is_a_quarter_capped_at_8gb(memtotal_mb, expected):
    assert pg_tune(host(memtotal_mb, 4))["shared_buffers"] == expected


@pytest.mark.parametrize(
    ("memtotal_mb", "profile", "expected"),
    [(16384, "erp", "1GB"), (32768, "erp", "2GB"), (65536, "erp", "2GB"), (8192, "dw", "1GB"), (65536, "dw", "2GB")],
)
def test_maintenance_work_mem_capped_at_2gb(memtotal_mb, profile, expected):
    assert pg_tune(host(memtotal_mb, 4), profile=profile)["maintenance_work_mem"] == expected


def test_work_mem_floor_is_4mb():
    # (2048 - 512) / (1000 x 3) = 0.5 MB
    assert pg_tune(SMALL, max_connections=1000)["work_mem"] == "4MB"


def test_work_mem_follows_max_connections():
    assert pg_tune(MEDIUM, max_connections=200)["work_mem"] == "20MB"  # 12288 / 600
    assert pg_tune(MEDIUM, max_connections=30)["work_mem"] == "136MB"  # 12288 / 90


@pytest.mark.parametrize(
    ("vcpus", "workers", "gather_erp", "gather_mixed", "gather_dw", "maintenance", "autovacuum"),
    [
        (1, "8", "0", "0", "0", "1", "3"),
        (2, "8", "1", "1", "1", "1", "3"),
        (3, "8", "1", "1", "1", "2", "3"),
        (7, "8", "2", "3", "3", "4", "3"),
        (8, "8", "2", "4", "4", "4", "5"),
        (12, "12", "2", "4", "6", "4", "5"),
        (64, "64", "2", "4", "32", "4", "5"),
    ],
)
def test_cpu_settings(vcpus, workers, gather_erp, gather_mixed, gather_dw, maintenance, autovacuum):
    facts = host(16384, vcpus)
    erp = pg_tune(facts)
    assert erp["max_worker_processes"] == workers
    assert erp["max_parallel_workers"] == str(vcpus)
    assert erp["max_parallel_maintenance_workers"] == maintenance
    assert erp["autovacuum_max_workers"] == autovacuum
    assert erp["max_parallel_workers_per_gather"] == gather_erp
    assert pg_tune(facts, profile="oltp")["max_parallel_workers_per_gather"] == gather_erp
    assert pg_tune(facts, profile="mixed")["max_parallel_workers_per_gather"] == gather_mixed
    assert pg_tune(facts, profile="dw")["max_parallel_workers_per_gather"] == gather_dw


@pytest.mark.parametrize(("memtotal_mb", "expected"), [(1024, "-1"), (2044, "-1"), (2048, "16MB"), (65536, "16MB")])
def test_wal_buffers_auto_below_512mb_of_shared_buffers(memtotal_mb, expected):
    assert pg_tune(host(memtotal_mb, 2))["wal_buffers"] == expected


# Formatting


@pytest.mark.parametrize(
    ("megabytes", "text"),
    [(1, "1MB"), (4, "4MB"), (1023, "1023MB"), (1024, "1GB"), (1025, "1025MB"), (1536, "1536MB"), (2048, "2GB"), (196608, "192GB")],
)
def test_format_mb(megabytes, text):
    assert format_mb(megabytes) == text


def test_fact_sized_host_gets_whole_megabytes():
    # A "16 GB" VM reports a little less than 16384 MiB.
    result = pg_tune(host(15990, 4))
    assert result["shared_buffers"] == "3997MB"
    assert result["effective_cache_size"] == "11992MB"
    assert result["maintenance_work_mem"] == "999MB"
    assert result["work_mem"] == "39MB"  # (15990 - 3997) / 300 = 39.98


@pytest.mark.parametrize(
    ("value", "megabytes"),
    [("4GB", 4096), ("512MB", 512), ("65536kB", 64), ("1TB", 1048576), (" 2 GB ", 2048), ("1.5GB", 1536), ("131072", 1024), (131072, 1024)],
)
def test_memory_size_mb(value, megabytes):
    assert memory_size_mb(value, "x") == megabytes


# Inputs


def test_accepts_ansible_facts_with_other_keys():
    facts = {"memtotal_mb": 16384, "processor_vcpus": 4, "processor_count": 1, "memfree_mb": 100, "os_family": "Debian"}
    assert pg_tune(facts) == MEDIUM_ERP


@pytest.mark.parametrize(
    ("cpu_facts", "vcpus"),
    [
        ({"processor_count": 2, "processor_cores": 2}, "4"),
        ({"processor_count": 1, "processor_cores": 4, "processor_threads_per_core": 2}, "8"),
        ({"processor_cores": 6}, "6"),
        ({"processor_count": 3}, "3"),
        ({"processor_vcpus": 4, "processor_count": 99, "processor_cores": 99}, "4"),
    ],
)
def test_vcpus_from_sockets_and_cores(cpu_facts, vcpus):
    assert pg_tune({"memtotal_mb": 16384, **cpu_facts})["max_parallel_workers"] == vcpus


def test_inventory_strings_are_numbers():
    facts = {"memtotal_mb": "16384", "processor_vcpus": " 4 "}
    assert pg_tune(facts, max_connections="100", pg_share="1", odoo_connections="0") == MEDIUM_ERP


def test_integral_floats_are_numbers():
    assert pg_tune({"memtotal_mb": 16384.0, "processor_vcpus": 4.0}) == MEDIUM_ERP


def test_tagged_ansible_values():
    tagged = deprecate_value(
        {"memtotal_mb": deprecate_value(16384, "test", version="9.0.0"), "processor_vcpus": trust_as_template("4")},
        "test",
        version="9.0.0",
    )
    assert tagged.__class__ is not dict  # a dict subclass, as ansible-core 2.19+ hands to filters
    result = pg_tune(tagged, max_connections=trust_as_template("100"), overrides={trust_as_template("jit"): trust_as_template("off")})
    assert result == {**MEDIUM_ERP, "jit": "off"}
    assert all(key.__class__ is str and value.__class__ is str for key, value in result.items())


def test_pg_share_sizes_memory_from_the_share():
    shared = pg_tune(host(32768, 4), pg_share=0.5)
    assert shared == pg_tune(host(16384, 4))
    assert pg_tune(host(16384, 4), pg_share="0.25")["shared_buffers"] == "1GB"


def test_is_pure():
    facts = dict(MEDIUM)
    overrides = {"jit": False}
    before = (copy.deepcopy(facts), copy.deepcopy(overrides))
    first = pg_tune(facts, overrides=overrides)
    assert pg_tune(facts, overrides=overrides) == first
    assert (facts, overrides) == before
    first["work_mem"] = "1MB"
    assert pg_tune(facts)["work_mem"] == "40MB"


# max_connections


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, "100"),
        ({"odoo_connections": 0}, "100"),  # no Odoo instance uses the server: PostgreSQL's default
        ({"odoo_connections": 1}, "20"),  # 1 + 13 = 14
        ({"odoo_connections": 7}, "20"),  # 7 + 13 = 20 exactly
        ({"odoo_connections": 8}, "30"),  # 21
        ({"odoo_connections": 44}, "60"),  # the lab: 44 + 13 = 57
        ({"odoo_connections": 50}, "70"),  # one auto-sized instance on 2 vCPUs, 48 + 2: 63
        ({"odoo_connections": "76"}, "90"),  # the example inventory on 4 vCPUs: 89
        ({"odoo_connections": 4987}, "5000"),
        ({"max_connections": 250, "odoo_connections": 100}, "250"),  # pinned, and 113 fit
        ({"max_connections": 113, "odoo_connections": 100}, "113"),  # exactly
        ({"overrides": {"max_connections": 200}, "odoo_connections": 100}, "200"),
        ({"max_connections": 4}, "4"),
        ({"max_connections": 4, "odoo_connections": 0}, "4"),  # no Odoo pool to hold
        ({"max_connections": 5000}, "5000"),
    ],
)
def test_max_connections(options, expected):
    assert pg_tune(MEDIUM, **options)["max_connections"] == expected


def test_odoo_max_connections_formula():
    assert odoo_max_connections(44) == 60
    assert odoo_max_connections(7) == 20
    assert odoo_max_connections([30, 14]) == 60  # pools listed one by one
    assert odoo_max_connections([]) == 100
    assert RESERVED_CONNECTIONS == _sizing.RESERVED_CONNECTIONS == 13  # one constant


def test_odoo_sizing_feeds_work_mem():
    result = pg_tune(MEDIUM, odoo_connections=44)
    assert (result["max_connections"], result["work_mem"]) == ("60", "68MB")  # 12288 / 180


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"max_connections": 30, "odoo_connections": 44, "max_connections_name": "postgresql_max_connections"},
            r"^postgresql_max_connections is 30, too small for the Odoo instances using this server: their pools hold up"
            r" to 44 connections \(each instance's max_db_connections \+ its connection limit extra\) and 13 are reserved"
            r" \(superusers, administration, monitoring, backups\), so 57 are needed; raise postgresql_max_connections to"
            r" at least 57, or leave it unset to compute it$",
        ),
        ({"max_connections": 112, "odoo_connections": 100}, r"^max_connections is 112, too small .* so 113 are needed"),
        (
            {"overrides": {"max_connections": 50}, "odoo_connections": 44},
            r"^overrides.max_connections is 50, too small .* raise overrides.max_connections to at least 57",
        ),
    ],
)
def test_pinned_max_connections_too_small(options, message):
    with pytest.raises(AnsibleFilterError, match=message):
        pg_tune(MEDIUM, **options)


@pytest.mark.parametrize(
    "removed", ["odoo_workers", "odoo_instances", "odoo_max_cron_threads", "odoo_db_maxconn_per_worker"]
)
def test_removed_worker_count_options_are_refused(removed):
    message = (
        rf"^pg_tune no longer takes {removed}: the connection budget follows from the Odoo instances' pools; pass"
        r" odoo_connections=\(sizings \| odoo_cloud.platform.odoo_connections\)"
    )
    with pytest.raises(AnsibleFilterError, match=message):
        pg_tune(MEDIUM, **{removed: 4})


def test_unknown_option_is_refused():
    with pytest.raises(AnsibleFilterError, match=r"^pg_tune has no option odoo_wrokers$"):
        pg_tune(MEDIUM, odoo_wrokers=4)


# overrides


def test_overrides_replace_and_add():
    result = pg_tune(
        MEDIUM,
        overrides={
            "huge_pages": "on",
            "random_page_cost": 1.5,
            "effective_io_concurrency": 300,
            "jit": False,
            "track_io_timing": True,
            "pg_stat_statements.max": 10000,
            "shared_preload_libraries": "pg_stat_statements",
            "search_path": '"$user", public',
        },
    )
    assert result == {
        **MEDIUM_ERP,
        "huge_pages": "on",
        "random_page_cost": "1.5",
        "effective_io_concurrency": "300",
        "jit": "off",
        "track_io_timing": "on",
        "pg_stat_statements.max": "10000",
        "shared_preload_libraries": "pg_stat_statements",
        "search_path": '"$user", public',
    }


def test_every_computed_setting_can_be_overridden():
    overrides = {name: "x" for name in MEDIUM_ERP if name not in ("max_connections", "shared_buffers")}
    overrides["shared_buffers"] = "2GB"
    result = pg_tune(MEDIUM, overrides=overrides, max_connections=100)
    assert result == {**overrides, "max_connections": "100"}


def test_overrides_none_or_empty():
    assert pg_tune(MEDIUM, overrides=None) == pg_tune(MEDIUM, overrides={}) == MEDIUM_ERP


def test_override_of_max_connections_acts_as_the_option():
    result = pg_tune(MEDIUM, overrides={"max_connections": "0200"})
    assert (result["max_connections"], result["work_mem"]) == ("200", "20MB")
    assert pg_tune(MEDIUM, max_connections=200, overrides={"max_connections": 200}) == result


def test_override_of_shared_buffers_feeds_work_mem_and_wal_buffers():
    result = pg_tune(MEDIUM, overrides={"shared_buffers": "10GB"})
    assert (result["shared_buffers"], result["work_mem"], result["wal_buffers"]) == ("10GB", "20MB", "16MB")  # 6144 / 300
    result = pg_tune(MEDIUM, overrides={"shared_buffers": "256MB"})
    assert (result["shared_buffers"], result["work_mem"], result["wal_buffers"]) == ("256MB", "53MB", "-1")  # 16128 / 300
    # A bare number counts 8kB blocks, as in postgresql.conf: 131072 blocks = 1GB.
    assert pg_tune(MEDIUM, overrides={"shared_buffers": 131072})["work_mem"] == "51MB"  # 15360 / 300


# Errors: each names the field and says what to do.


@pytest.mark.parametrize(
    ("facts", "message"),
    [
        ("16384", r"pg_tune expects the host's facts as a dict, got str; pass ansible_facts"),
        ([16384, 4], r"expects the host's facts as a dict, got list"),
        (None, r"expects the host's facts as a dict, got NoneType"),
        ({"processor_vcpus": 4}, r"memtotal_mb is missing from the host facts; pass ansible_facts \(gathered with the hardware subset\)"),
        ({"memtotal_mb": None, "processor_vcpus": 4}, r"memtotal_mb is missing"),
        ({"memtotal_mb": 0, "processor_vcpus": 4}, r"memtotal_mb must be at least 1, got 0; give the host's total RAM in MiB"),
        ({"memtotal_mb": -5, "processor_vcpus": 4}, r"memtotal_mb must be at least 1, got -5"),
        ({"memtotal_mb": "16 GB", "processor_vcpus": 4}, r"memtotal_mb must be a whole number, got '16 GB' \(str\)"),
        ({"memtotal_mb": 1024.5, "processor_vcpus": 4}, r"memtotal_mb must be a whole number, got 1024.5 \(float\)"),
        ({"memtotal_mb": True, "processor_vcpus": 4}, r"memtotal_mb must be a whole number, got True \(bool\)"),
        ({"memtotal_mb": 16384}, r"the CPU count is missing: give processor_vcpus \(or processor_count and processor_cores\)"),
        ({"memtotal_mb": 16384, "processor_threads_per_core": 2}, r"the CPU count is missing"),
        ({"memtotal_mb": 16384, "processor_vcpus": 0}, r"processor_vcpus must be at least 1, got 0; give the number of virtual CPUs"),
        ({"memtotal_mb": 16384, "processor_vcpus": "four"}, r"processor_vcpus must be a whole number, got 'four'"),
        ({"memtotal_mb": 16384, "processor_count": 1, "processor_cores": "NA"}, r"processor_cores must be a whole number, got 'NA'"),
        ({"memtotal_mb": 16384, "processor_count": 0, "processor_cores": 4}, r"processor_count must be at least 1, got 0; give processor_vcpus"),
        ({"memtotal_mb": 200, "processor_vcpus": 1}, r"PostgreSQL would get 200 MB of RAM .* it needs at least 256 MB: raise pg_share"),
    ],
)
def test_bad_host_facts(facts, message):
    with pytest.raises(AnsibleFilterError, match=message):
        pg_tune(facts)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"profile": "web"}, r"unknown profile 'web'; choose one of erp, oltp, mixed, dw"),
        ({"profile": "ERP"}, r"unknown profile 'ERP'; choose one of erp, oltp, mixed, dw"),
        ({"profile": ["erp"]}, r"unknown profile \['erp'\]"),
        ({"storage": "nvme"}, r"unknown storage 'nvme'; choose one of ssd, hdd \(ssd also covers NVMe and SAN\)"),
        ({"max_connections": 0}, r"max_connections must be at least 4 \(more than superuser_reserved_connections\), got 0"),
        ({"max_connections": 3}, r"max_connections must be at least 4"),
        ({"max_connections": -10}, r"max_connections must be at least 4"),
        ({"max_connections": "lots"}, r"max_connections must be a whole number, got 'lots' \(str\); give a number such as 200"),
        ({"max_connections": 99.5}, r"max_connections must be a whole number, got 99.5"),
        ({"max_connections": True}, r"max_connections must be a whole number, got True"),
        ({"max_connections": 5001}, r"max_connections is 5001, above 5000: put a connection pooler such as PgBouncer"),
        (
            {"odoo_connections": 4988},
            r"max_connections computed from the Odoo instances \(4988 \+ 13 reserved, rounded up to a multiple of 10\)"
            r" is 5010, above 5000: put a connection pooler",
        ),
        ({"odoo_connections": -1}, r"odoo_connections must be at least 0, got -1; give the peak connections of the Odoo"),
        ({"odoo_connections": "many"}, r"odoo_connections must be a whole number"),
        ({"max_connections": 100, "odoo_connections": -1}, r"odoo_connections must be at least 0"),  # checked when pinned
        ({"max_connections_name": ""}, r"max_connections_name must be a non-empty string"),
        (
            {"max_connections": "x", "max_connections_name": "postgresql_max_connections"},
            r"postgresql_max_connections must be a whole number, got 'x' \(str\); give a number such as 200, or leave"
            r" postgresql_max_connections unset",
        ),
        ({"pg_share": 0}, r"pg_share is 0, out of range; give a fraction above 0 and at most 1, such as 0.5"),
        ({"pg_share": 1.5}, r"pg_share is 1.5, out of range"),
        ({"pg_share": -0.5}, r"pg_share is -0.5, out of range"),
        ({"pg_share": "nan"}, r"pg_share is 'nan', out of range"),
        ({"pg_share": "half"}, r"pg_share must be a number, got 'half'; give a fraction"),
        ({"pg_share": True}, r"pg_share must be a number, got bool"),
        ({"pg_share": None}, r"pg_share must be a number, got NoneType"),
        ({"pg_share": 0.01}, r"PostgreSQL would get 163 MB of RAM \(memtotal_mb 16384 x pg_share 0.01\); it needs at least 256 MB"),
    ],
)
def test_bad_options(options, message):
    with pytest.raises(AnsibleFilterError, match=message):
        pg_tune(MEDIUM, **options)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["work_mem=64MB"], r"overrides must be a dict of setting name to value, got list"),
        ("work_mem=64MB", r"overrides must be a dict of setting name to value, got str"),
        ({"Shared_Buffers": "1GB"}, r"overrides key 'Shared_Buffers' is not a PostgreSQL setting name; use lower-case letters"),
        ({"work-mem": "1GB"}, r"overrides key 'work-mem' is not a PostgreSQL setting name"),
        ({"1work_mem": "1GB"}, r"overrides key '1work_mem' is not a PostgreSQL setting name"),
        ({"work_mem = 1GB\nfsync": "off"}, r"is not a PostgreSQL setting name"),
        ({"": "x"}, r"overrides key '' is not a PostgreSQL setting name"),
        ({5: "x"}, r"overrides key 5 is not a PostgreSQL setting name"),
        ({"work_mem": None}, r"overrides.work_mem must be a string, a number or a boolean, got NoneType"),
        ({"work_mem": ["64MB"]}, r"overrides.work_mem must be a string, a number or a boolean, got list"),
        ({"work_mem": "64MB\nfsync = off"}, r"overrides.work_mem contains a line break or NUL character; give a single-line value"),
        ({"random_page_cost": float("inf")}, r"overrides.random_page_cost is inf; give a finite number"),
        ({"max_connections": "many"}, r"overrides.max_connections must be a whole number, got 'many'"),
        ({"max_connections": 2}, r"overrides.max_connections must be at least 4"),
        ({"max_connections": 9000}, r"overrides.max_connections is 9000, above 5000: put a connection pooler"),
        ({"shared_buffers": "25%"}, r"overrides.shared_buffers '25%' is not a PostgreSQL memory size; write it like '4GB'"),
        ({"shared_buffers": "4gb"}, r"overrides.shared_buffers '4gb' is not a PostgreSQL memory size"),  # units are case-sensitive
        ({"shared_buffers": 4.5}, r"overrides.shared_buffers 4.5 is not a PostgreSQL memory size"),
        ({"shared_buffers": "16GB"}, r"overrides.shared_buffers '16GB' is not less than the 16384 MB of RAM given to PostgreSQL"),
    ],
)
def test_bad_overrides(overrides, message):
    with pytest.raises(AnsibleFilterError, match=message):
        pg_tune(MEDIUM, overrides=overrides)


def test_max_connections_in_option_and_overrides_must_agree():
    message = r"max_connections is given both as max_connections \(100\) and in overrides \(200\); keep only one"
    with pytest.raises(AnsibleFilterError, match=message):
        pg_tune(MEDIUM, max_connections=100, overrides={"max_connections": 200})


def test_filter_is_registered():
    assert FilterModule().filters() == {"pg_tune": pg_tune}
