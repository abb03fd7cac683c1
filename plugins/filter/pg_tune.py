# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: pg_tune
short_description: Compute PostgreSQL memory, WAL, planner, parallelism and autovacuum settings for a host
version_added: 0.1.0
description:
  - Takes a host's RAM and CPU count (a subset of C(ansible_facts)) and returns the PostgreSQL settings
    that depend on them, as a dict of setting name to value written the way C(postgresql.conf) and
    C(ALTER SYSTEM) expect them (V(2GB), V(64MB), V(0.9), V(200)).
  - Targets PostgreSQL 13 to 17 on Linux. The rules follow the PostgreSQL documentation and the
    conventions of pgtune (U(https://pgtune.leopard.in.ua/)); each returned setting documents its rule
    and source under RV(_value). The default profile V(erp) is tuned for Odoo.
  - Memory sizes are whole megabytes, written V(NGB) when they are an exact number of gigabytes and
    V(NMB) otherwise. Every value is a string.
  - The filter is pure, it reads nothing but its arguments, so the same host always gets the same
    settings.
options:
  _input:
    description:
      - The host, normally C(ansible_facts) gathered with at least the V(hardware) subset, or an
        explicit dict with O(_input.memtotal_mb) and O(_input.processor_vcpus).
      - Numbers may be given as strings of digits, as inventory variables often are.
    type: dict
    required: true
    suboptions:
      memtotal_mb:
        description: Total RAM of the host in MiB.
        type: int
        required: true
      processor_vcpus:
        description:
          - Number of virtual CPUs (hardware threads).
          - When absent, O(_input.processor_count) x O(_input.processor_cores) x
            O(_input.processor_threads_per_core) is used, a missing factor counting as 1.
        type: int
      processor_count:
        description: Number of CPU sockets; used only without O(_input.processor_vcpus).
        type: int
      processor_cores:
        description: Cores per socket; used only without O(_input.processor_vcpus).
        type: int
      processor_threads_per_core:
        description: Threads per core; used only without O(_input.processor_vcpus).
        type: int
  profile:
    description:
      - The workload.
      - V(erp) is Odoo, many short transactions plus some heavy reports.
      - V(oltp) is short transactions only; it keeps more WAL between checkpoints than V(erp).
      - V(mixed) has more reporting; queries get more C(work_mem) and up to 4 parallel workers.
      - V(dw) is a data warehouse, few large queries; it keeps the most WAL, raises the statistics
        target and lets a query use half of the CPUs.
    type: str
    default: erp
    choices: [erp, oltp, mixed, dw]
  storage:
    description:
      - The storage holding the data directory; V(ssd) also covers NVMe and SAN storage.
      - It sets RV(_value.random_page_cost), RV(_value.effective_io_concurrency) and
        RV(_value.autovacuum_vacuum_cost_limit).
    type: str
    default: ssd
    choices: [ssd, hdd]
  max_connections:
    description:
      - The PostgreSQL C(max_connections), from 4 to 5000. Above 5000, put a connection pooler
        such as PgBouncer in front of PostgreSQL and size this for the pool.
      - When not set, it is computed from O(odoo_connections), the peak pools of the Odoo instances that use
        this server, as C(odoo_connections + 13) rounded up to a multiple of 10. The V(13) is the 3
        C(superuser_reserved_connections) plus 10 for administration, monitoring and backups, the one reserve
        the P(odoo_cloud.platform.odoo_connections#filter) check keeps too (C(plugins/plugin_utils/_sizing.py)).
      - When not set and O(odoo_connections) is not given or V(0) (no Odoo instance uses the server), it is
        V(100), the PostgreSQL default.
      - When set (here or as C(max_connections) in O(overrides)) with O(odoo_connections) above V(0), it must
        be at least C(odoo_connections + 13); otherwise the filter fails, naming O(max_connections_name) and
        the figure needed.
      - Either way it is the value RV(_value.work_mem) is computed for.
    type: int
  odoo_connections:
    description:
      - The peak PostgreSQL connections of the Odoo instances that use this server, the sum of their pools
        as the P(odoo_cloud.platform.odoo_connections#filter) filter returns it (each instance's
        C(max_db_connections) from P(odoo_cloud.platform.odoo_workers#filter) plus its role's connection
        limit extra).
      - The options C(odoo_instances), C(odoo_workers), C(odoo_max_cron_threads) and
        C(odoo_db_maxconn_per_worker) (a worker count set by hand, 2 connections per process) were removed;
        passing one fails, saying to pass this instead.
    type: int
  max_connections_name:
    description:
      - What error messages call O(max_connections), for example the inventory variable that sets it
        (the postgresql role passes V(postgresql_max_connections)).
    type: str
    default: max_connections
  pg_share:
    description:
      - Fraction of the host's RAM given to PostgreSQL, above 0 and at most 1; for example V(0.5) when
        Odoo runs on the same host. Every memory setting is computed from C(memtotal_mb x pg_share).
      - PostgreSQL must get at least 256 MiB.
    type: float
    default: 1.0
  overrides:
    description:
      - Settings that replace the computed ones, or add others (any valid setting name, including
        custom ones such as V(pg_stat_statements.max)).
      - Names are lower-case letters, digits, V(_) and V(.). Values are strings, numbers or booleans
        (written V(on)/V(off)), on one line; they are returned as strings, otherwise unchanged.
      - Overrides replace values without recomputing the others, except for two. C(max_connections)
        here acts as O(max_connections). C(shared_buffers) here is the size RV(_value.work_mem) and
        RV(_value.wal_buffers) are computed from, and must be less than the RAM given to PostgreSQL; a
        bare number counts 8kB blocks, as in C(postgresql.conf).
    type: dict
    default: {}
notes:
  - The result is a starting point for a dedicated database host, not a substitute for measuring;
    check C(pg_stat_bgwriter)/C(pg_stat_checkpointer), temporary file usage and the autovacuum logs
    under real load.
  - Make sure the data disk can hold RV(_value.max_wal_size) of WAL in addition to the data.
  - RV(_value.huge_pages=try) only uses huge pages when the kernel has them reserved
    (C(vm.nr_hugepages)); otherwise PostgreSQL silently falls back to normal pages.
  - C(ansible_facts) describe the whole host; inside a container with a CPU or memory limit, pass the
    limits in an explicit dict instead.
seealso:
  - name: PostgreSQL resource consumption settings
    description: shared_buffers, work_mem, maintenance_work_mem, huge_pages, effective_io_concurrency, parallel workers.
    link: https://www.postgresql.org/docs/current/runtime-config-resource.html
  - name: PostgreSQL write ahead log settings
    description: wal_buffers, min_wal_size, max_wal_size, checkpoint_completion_target.
    link: https://www.postgresql.org/docs/current/runtime-config-wal.html
  - name: PostgreSQL query planning settings
    description: effective_cache_size, random_page_cost, default_statistics_target.
    link: https://www.postgresql.org/docs/current/runtime-config-query.html
  - name: PostgreSQL autovacuum settings
    description: The autovacuum settings and how they interact.
    link: https://www.postgresql.org/docs/current/runtime-config-autovacuum.html
  - name: PGTune
    description: The calculator whose conventions these rules follow.
    link: https://pgtune.leopard.in.ua/
  - plugin: odoo_cloud.platform.odoo_connections
    plugin_type: filter
  - name: Odoo deployment guide
    description: Worker count, max_cron_threads and db_maxconn.
    link: https://www.odoo.com/documentation/17.0/administration/on_premise/deploy.html
"""

EXAMPLES = r"""
- name: Settings for a dedicated Odoo database host
  ansible.builtin.set_fact:
    postgresql_settings: "{{ ansible_facts | odoo_cloud.platform.pg_tune }}"
  # 4 vCPUs, 16 GiB: shared_buffers 4GB, effective_cache_size 12GB, work_mem 40MB, max_connections 100 ...

- name: Size max_connections for the Odoo instances of the odoo group, on a host shared with Odoo
  ansible.builtin.set_fact:
    postgresql_settings: >-
      {{ ansible_facts | odoo_cloud.platform.pg_tune(
           odoo_connections=groups['odoo'] | odoo_cloud.platform.odoo_connections(hostvars=hostvars),
           pg_share=0.5) }}
  # pools of 26 and 18 connections: 44 + 13 = 57, rounded up to 60

- name: A reporting replica on spinning disks, with site-specific values on top
  ansible.builtin.set_fact:
    postgresql_settings: >-
      {{ {'memtotal_mb': 65536, 'processor_vcpus': 16}
         | odoo_cloud.platform.pg_tune(profile='dw', storage='hdd', max_connections=50,
                                       overrides={'shared_buffers': '16GB', 'pg_stat_statements.max': 10000}) }}

- name: Write them to a conf.d file, quoting each value
  ansible.builtin.copy:
    dest: /etc/postgresql/16/main/conf.d/50-tuning.conf
    content: |
      {% for name, value in postgresql_settings.items() %}
      {{ name }} = '{{ value | replace("'", "''") }}'
      {% endfor %}
    owner: postgres
    group: postgres
    mode: "0644"
"""

RETURN = r"""
_value:
  description: PostgreSQL settings, name to value; all values are strings. O(overrides) are applied last.
  type: dict
  contains:
    max_connections:
      description: O(max_connections), or the value computed from O(odoo_connections) (see there).
      type: str
      sample: "100"
    shared_buffers:
      description:
        - 25% of the PostgreSQL RAM, at most 8GB. The 25% is the starting point the PostgreSQL
          documentation gives for a dedicated server (runtime-config-resource) and pgtune's rule. The 8GB
          cap is ours; beyond it the operating system's page cache (see RV(_value.effective_cache_size))
          holds the rest of the working set, and checkpoints stay short.
      type: str
      sample: 4GB
    effective_cache_size:
      description: 75% of the PostgreSQL RAM (pgtune; PostgreSQL docs, runtime-config-query).
      type: str
      sample: 12GB
    maintenance_work_mem:
      description: The PostgreSQL RAM / 16 (V(dw) / 8), at most 2GB (pgtune, with a lower cap since up to
        RV(_value.autovacuum_max_workers) workers can each use this much).
      type: str
      sample: 1GB
    work_mem:
      description:
        - (PostgreSQL RAM - shared_buffers) / (max_connections x N), at least 4MB (pgtune's rule and floor).
        - N is the number of sort or hash operations a connection is assumed to run at once, V(3) for
          V(erp) and V(oltp), V(2) for V(mixed), and for V(dw) one per process of a parallel query, that is
          1 + RV(_value.max_parallel_workers_per_gather).
      type: str
      sample: 40MB
    huge_pages:
      description: V(try), use huge pages when the kernel provides them (PostgreSQL docs, runtime-config-resource).
      type: str
      sample: try
    wal_buffers:
      description: V(16MB) when shared_buffers is at least 512MB, else V(-1), the automatic size
        (1/32 of shared_buffers, which reaches 16MB at 512MB; PostgreSQL docs, runtime-config-wal).
      type: str
      sample: 16MB
    min_wal_size:
      description: V(1GB) for V(erp) and V(mixed), V(2GB) for V(oltp), V(4GB) for V(dw) (pgtune).
      type: str
      sample: 1GB
    max_wal_size:
      description: V(4GB) for V(erp) and V(mixed), V(8GB) for V(oltp), V(16GB) for V(dw) (pgtune).
      type: str
      sample: 4GB
    checkpoint_completion_target:
      description: V(0.9), the default since PostgreSQL 14, also set for 13.
      type: str
      sample: "0.9"
    random_page_cost:
      description: V(1.1) on V(ssd), V(4) (the PostgreSQL default) on V(hdd) (pgtune; PostgreSQL docs,
        runtime-config-query).
      type: str
      sample: "1.1"
    effective_io_concurrency:
      description: V(200) on V(ssd), V(2) on V(hdd) (pgtune; PostgreSQL docs, runtime-config-resource).
      type: str
      sample: "200"
    default_statistics_target:
      description: V(100), the PostgreSQL default; V(500) for V(dw) (pgtune).
      type: str
      sample: "100"
    max_worker_processes:
      description: The number of vCPUs (pgtune), at least V(8), the PostgreSQL default.
      type: str
      sample: "8"
    max_parallel_workers_per_gather:
      description: Half the vCPUs rounded down, at most 2 for V(erp) and V(oltp) and 4 for V(mixed), no cap for V(dw)
        (pgtune caps at 4 except for V(dw); short ERP transactions gain little from more).
      type: str
      sample: "2"
    max_parallel_workers:
      description: The number of vCPUs (pgtune).
      type: str
      sample: "4"
    max_parallel_maintenance_workers:
      description: Half the vCPUs rounded up, from 1 to 4 (pgtune).
      type: str
      sample: "2"
    autovacuum_max_workers:
      description: V(3), the PostgreSQL default; V(5) with 8 vCPUs or more, so that the many busy tables of an ERP
        are vacuumed in parallel.
      type: str
      sample: "3"
    autovacuum_naptime:
      description: V(10s) instead of the default V(1min), so busy tables are looked at more often.
      type: str
      sample: 10s
    autovacuum_vacuum_scale_factor:
      description: V(0.05) instead of V(0.2), vacuuming large tables after 5% instead of 20% of their rows changed.
      type: str
      sample: "0.05"
    autovacuum_vacuum_insert_scale_factor:
      description: V(0.1) instead of V(0.2) (PostgreSQL 13 and later), for the insert-mostly tables of an ERP
        such as mail messages and accounting lines.
      type: str
      sample: "0.1"
    autovacuum_analyze_scale_factor:
      description: V(0.02) instead of V(0.1), keeping planner statistics of large tables current.
      type: str
      sample: "0.02"
    autovacuum_vacuum_cost_limit:
      description: V(2000) on V(ssd), V(400) on V(hdd), instead of the default 200 that throttles autovacuum
        far below what the storage can do. It is shared among the running autovacuum workers.
      type: str
      sample: "2000"
"""

import math
import re
import typing as t
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.datatag import native_type_name
from ansible_collections.odoo_cloud.platform.plugins.plugin_utils import _sizing
from ansible_collections.odoo_cloud.platform.plugins.plugin_utils._numbers import at_least as _at_least
from ansible_collections.odoo_cloud.platform.plugins.plugin_utils._numbers import whole_number as _whole_number


class _Profile(t.NamedTuple):
    work_mem_ops: int | None  # sort/hash operations per connection; None: 1 + workers per gather
    min_wal_size_mb: int
    max_wal_size_mb: int
    statistics_target: int
    gather_cap: int | None  # cap of max_parallel_workers_per_gather; None: no cap
    maintenance_divisor: int


PROFILES: dict[str, _Profile] = {
    "erp": _Profile(3, 1024, 4096, 100, 2, 16),
    "oltp": _Profile(3, 2048, 8192, 100, 2, 16),
    "mixed": _Profile(2, 1024, 4096, 100, 4, 16),
    "dw": _Profile(None, 4096, 16384, 500, None, 8),
}
STORAGES: dict[str, dict[str, str]] = {
    "ssd": {"random_page_cost": "1.1", "effective_io_concurrency": "200", "autovacuum_vacuum_cost_limit": "2000"},
    "hdd": {"random_page_cost": "4", "effective_io_concurrency": "2", "autovacuum_vacuum_cost_limit": "400"},
}

SHARED_BUFFERS_CAP_MB = 8192
MAINTENANCE_WORK_MEM_CAP_MB = 2048
WORK_MEM_FLOOR_MB = 4
MIN_PG_RAM_MB = 256
DEFAULT_MAX_CONNECTIONS = _sizing.DEFAULT_MAX_CONNECTIONS
MIN_MAX_CONNECTIONS = 4  # must exceed superuser_reserved_connections (3)
MAX_MAX_CONNECTIONS = 5000
# superuser_reserved_connections (3) + administration, monitoring and backups (10): plugin_utils/_sizing.py
RESERVED_CONNECTIONS = _sizing.RESERVED_CONNECTIONS
# Options removed with issue 9 (the connection budget from a worker count set by hand): refused by name.
REMOVED_OPTIONS = ("odoo_instances", "odoo_workers", "odoo_max_cron_threads", "odoo_db_maxconn_per_worker")

SETTING_NAME = re.compile(r"^[a-z_][a-z0-9_.]*$")
MEMORY_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(B|kB|MB|GB|TB)?\s*$")
MEMORY_UNIT_MB = {"B": 1 / 1048576, "kB": 1 / 1024, "MB": 1, "GB": 1024, "TB": 1048576, None: 8 / 1024}
INPUT_HINT = (
    "pass ansible_facts (gathered with the hardware subset) or a dict such as {'memtotal_mb': 16384, 'processor_vcpus': 4}"
)


def format_mb(megabytes: int) -> str:
    """Write a size in MB the way postgresql.conf does: 'NGB' for whole gigabytes, else 'NMB'."""
    if megabytes >= 1024 and megabytes % 1024 == 0:
        return f"{megabytes // 1024}GB"
    return f"{megabytes}MB"


def memory_size_mb(value: t.Any, field: str) -> float:
    """Parse a PostgreSQL memory size (a bare number counts 8kB blocks, as for shared_buffers)."""
    match = MEMORY_SIZE.match(str(value)) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    if not match:
        raise AnsibleFilterError(
            f"{field} {value!r} is not a PostgreSQL memory size; write it like '4GB', '512MB' or '65536kB'"
        )
    return float(match.group(1)) * MEMORY_UNIT_MB[match.group(2)]


def _vcpus(facts: Mapping) -> int:
    if facts.get("processor_vcpus") is not None:
        return _at_least(facts["processor_vcpus"], 1, "processor_vcpus", "give the number of virtual CPUs of the host")
    factors = ("processor_count", "processor_cores", "processor_threads_per_core")
    if facts.get("processor_count") is None and facts.get("processor_cores") is None:
        raise AnsibleFilterError(
            f"the CPU count is missing: give processor_vcpus (or processor_count and processor_cores); {INPUT_HINT}"
        )
    vcpus = 1
    for factor in factors:
        if facts.get(factor) is not None:
            vcpus *= _at_least(facts[factor], 1, factor, "give processor_vcpus, the number of virtual CPUs, instead")
    return vcpus


def odoo_max_connections(pools: t.Any) -> int:
    """max_connections for these Odoo pools: _sizing's formula (sum + reserve, rounded up to a multiple of 10)."""
    return _sizing.max_connections_for([pools] if isinstance(pools, int) else pools)


def _override_value(name: str, value: t.Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise AnsibleFilterError(f"overrides.{name} is {value!r}; give a finite number")
        return str(value)
    if isinstance(value, str):
        if any(char in value for char in "\r\n\0"):
            raise AnsibleFilterError(f"overrides.{name} contains a line break or NUL character; give a single-line value")
        return str(value)
    raise AnsibleFilterError(f"overrides.{name} must be a string, a number or a boolean, got {native_type_name(value)}")


def _overrides(overrides: t.Any) -> tuple[dict[str, t.Any], dict[str, str]]:
    """Return the overrides as given (for the settings they feed) and as postgresql.conf strings."""
    if overrides is None:
        return {}, {}
    if not isinstance(overrides, Mapping):
        raise AnsibleFilterError(f"overrides must be a dict of setting name to value, got {native_type_name(overrides)}")
    given: dict[str, t.Any] = {}
    written: dict[str, str] = {}
    for name, value in overrides.items():
        if not isinstance(name, str) or not SETTING_NAME.match(name):
            raise AnsibleFilterError(
                f"overrides key {name!r} is not a PostgreSQL setting name; use lower-case letters, digits, '_' and '.',"
                " for example 'shared_buffers' or 'pg_stat_statements.max'"
            )
        given[str(name)] = value
        written[str(name)] = _override_value(name, value)
    return given, written


def _max_connections(
    max_connections: t.Any, overrides: dict[str, t.Any], odoo_connections: t.Any, name: str
) -> int:
    fix = f"give a number such as 200, or leave {name} unset to size it from the Odoo instances"
    pools = None
    if odoo_connections is not None:
        pools = _at_least(
            odoo_connections, 0, "odoo_connections",
            "give the peak connections of the Odoo instances using this server (the odoo_connections filter)",
        )
    if max_connections is not None:
        number = _whole_number(max_connections, name, fix)
        if "max_connections" in overrides:
            other = _whole_number(overrides["max_connections"], "overrides.max_connections", fix)
            if other != number:
                raise AnsibleFilterError(
                    f"max_connections is given both as {name} ({number}) and in overrides ({other}); keep only one"
                )
        field = name
    elif "max_connections" in overrides:
        number = _whole_number(overrides["max_connections"], "overrides.max_connections", fix)
        field = "overrides.max_connections"
    elif not pools:
        return _sizing.DEFAULT_MAX_CONNECTIONS
    else:
        number = odoo_max_connections(pools)
        field = (
            f"max_connections computed from the Odoo instances ({pools} + {_sizing.RESERVED_CONNECTIONS} reserved,"
            f" rounded up to a multiple of {_sizing.MAX_CONNECTIONS_STEP})"
        )
    if number < MIN_MAX_CONNECTIONS:
        raise AnsibleFilterError(
            f"{field} must be at least {MIN_MAX_CONNECTIONS} (more than superuser_reserved_connections), got {number}"
        )
    if number > MAX_MAX_CONNECTIONS:
        raise AnsibleFilterError(
            f"{field} is {number}, above {MAX_MAX_CONNECTIONS}: put a connection pooler such as PgBouncer in front of"
            " PostgreSQL (and Odoo) and size max_connections for the pool instead"
        )
    pinned = not field.startswith("max_connections computed")
    if pools and pinned and number < _sizing.needed_connections([pools]):
        needed = _sizing.needed_connections([pools])
        raise AnsibleFilterError(
            f"{field} is {number}, too small for the Odoo instances using this server: their pools hold up to"
            f" {pools} connections (each instance's max_db_connections + its connection limit extra) and"
            f" {_sizing.RESERVED_CONNECTIONS} are reserved (superusers, administration, monitoring, backups), so"
            f" {needed} are needed; raise {field} to at least {needed}, or leave it unset to compute it"
        )
    return number


def _pg_ram_mb(memtotal_mb: int, pg_share: t.Any) -> int:
    fix = "give a fraction above 0 and at most 1, such as 0.5 when Odoo runs on the same host"
    if isinstance(pg_share, bool) or not isinstance(pg_share, (int, float, str)):
        raise AnsibleFilterError(f"pg_share must be a number, got {native_type_name(pg_share)}; {fix}")
    try:
        share = float(pg_share)
    except ValueError:
        raise AnsibleFilterError(f"pg_share must be a number, got {pg_share!r}; {fix}") from None
    if not 0 < share <= 1:
        raise AnsibleFilterError(f"pg_share is {pg_share!r}, out of range; {fix}")
    pg_ram_mb = int(memtotal_mb * share)
    if pg_ram_mb < MIN_PG_RAM_MB:
        raise AnsibleFilterError(
            f"PostgreSQL would get {pg_ram_mb} MB of RAM (memtotal_mb {memtotal_mb} x pg_share {share:g});"
            f" it needs at least {MIN_PG_RAM_MB} MB: raise pg_share or give the host more RAM"
        )
    return pg_ram_mb


def pg_tune(
    host_facts: t.Any,
    profile: str = "erp",
    storage: str = "ssd",
    max_connections: t.Any = None,
    odoo_connections: t.Any = None,
    pg_share: t.Any = 1.0,
    overrides: t.Any = None,
    max_connections_name: t.Any = "max_connections",
    **removed: t.Any,
) -> dict[str, str]:
    if removed:
        unknown = sorted(set(removed) - set(REMOVED_OPTIONS))
        if unknown:
            raise AnsibleFilterError(f"pg_tune has no option {', '.join(unknown)}")
        raise AnsibleFilterError(
            f"pg_tune no longer takes {', '.join(sorted(removed))}: the connection budget follows from the Odoo"
            " instances' pools; pass odoo_connections=(sizings | odoo_cloud.platform.odoo_connections), the sum of"
            " their peak connections, or max_connections"
        )
    if not isinstance(max_connections_name, str) or not max_connections_name:
        raise AnsibleFilterError("max_connections_name must be a non-empty string, such as postgresql_max_connections")
    if not isinstance(host_facts, Mapping):
        raise AnsibleFilterError(
            f"pg_tune expects the host's facts as a dict, got {native_type_name(host_facts)}; {INPUT_HINT}"
        )
    if not isinstance(profile, str) or profile not in PROFILES:
        raise AnsibleFilterError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    if not isinstance(storage, str) or storage not in STORAGES:
        raise AnsibleFilterError(
            f"unknown storage {storage!r}; choose one of {', '.join(STORAGES)} (ssd also covers NVMe and SAN)"
        )
    rules = PROFILES[profile]

    if host_facts.get("memtotal_mb") is None:
        raise AnsibleFilterError(f"memtotal_mb is missing from the host facts; {INPUT_HINT}")
    memtotal_mb = _at_least(host_facts["memtotal_mb"], 1, "memtotal_mb", "give the host's total RAM in MiB")
    vcpus = _vcpus(host_facts)
    pg_ram_mb = _pg_ram_mb(memtotal_mb, pg_share)

    given, written = _overrides(overrides)
    connections = _max_connections(max_connections, given, odoo_connections, max_connections_name)

    shared_buffers_mb = min(pg_ram_mb // 4, SHARED_BUFFERS_CAP_MB)
    # What work_mem and wal_buffers are computed from: the override when there is one.
    actual_shared_buffers_mb: float = shared_buffers_mb
    if "shared_buffers" in given:
        actual_shared_buffers_mb = memory_size_mb(given["shared_buffers"], "overrides.shared_buffers")
        if actual_shared_buffers_mb >= pg_ram_mb:
            raise AnsibleFilterError(
                f"overrides.shared_buffers {given['shared_buffers']!r} is not less than the {pg_ram_mb} MB of RAM given"
                " to PostgreSQL; lower it (25% of that RAM is the usual start)"
            )

    gather = vcpus // 2 if rules.gather_cap is None else min(rules.gather_cap, vcpus // 2)
    work_mem_ops = rules.work_mem_ops if rules.work_mem_ops is not None else 1 + gather
    work_mem_mb = max(int((pg_ram_mb - actual_shared_buffers_mb) / (connections * work_mem_ops)), WORK_MEM_FLOOR_MB)

    settings = {
        "max_connections": str(connections),
        "shared_buffers": format_mb(shared_buffers_mb),
        "effective_cache_size": format_mb(pg_ram_mb * 3 // 4),
        "maintenance_work_mem": format_mb(min(pg_ram_mb // rules.maintenance_divisor, MAINTENANCE_WORK_MEM_CAP_MB)),
        "work_mem": format_mb(work_mem_mb),
        "huge_pages": "try",
        "wal_buffers": "16MB" if actual_shared_buffers_mb >= 512 else "-1",
        "min_wal_size": format_mb(rules.min_wal_size_mb),
        "max_wal_size": format_mb(rules.max_wal_size_mb),
        "checkpoint_completion_target": "0.9",
        "random_page_cost": STORAGES[storage]["random_page_cost"],
        "effective_io_concurrency": STORAGES[storage]["effective_io_concurrency"],
        "default_statistics_target": str(rules.statistics_target),
        "max_worker_processes": str(max(vcpus, 8)),
        "max_parallel_workers_per_gather": str(gather),
        "max_parallel_workers": str(vcpus),
        "max_parallel_maintenance_workers": str(min(4, max(1, math.ceil(vcpus / 2)))),
        "autovacuum_max_workers": "5" if vcpus >= 8 else "3",
        "autovacuum_naptime": "10s",
        "autovacuum_vacuum_scale_factor": "0.05",
        "autovacuum_vacuum_insert_scale_factor": "0.1",
        "autovacuum_analyze_scale_factor": "0.02",
        "autovacuum_vacuum_cost_limit": STORAGES[storage]["autovacuum_vacuum_cost_limit"],
    }
    settings.update(written)
    settings["max_connections"] = str(connections)  # an override of it is normalised ("0300" -> "300")
    return settings


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"pg_tune": pg_tune}
