# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

# The documentation of both filters is in odoo_workers.yml and odoo_connections.yml next to this
# file: ansible-doc reads a sidecar only when the Python file has no DOCUMENTATION, and one
# DOCUMENTATION could not describe two filters.

# What Odoo's code says about the processes and their connections (odoo/odoo, 16.0 to 19.0):
# - odoo/service/server.py PreforkServer.process_spawn forks `workers` WorkerHTTP and
#   `max_cron_threads` WorkerCron processes and starts one gevent process (long_polling_spawn runs
#   `odoo-bin gevent`, a separate interpreter with odoo.evented set) when HTTP is enabled.
# - PreforkServer.run calls odoo.sql_db.close_all() after preloading the registries ("we dont want
#   them to be shared among forked workers"), so the master holds no connection while workers run.
# - odoo/sql_db.py db_connect creates the module-global _Pool once per process:
#   ConnectionPool(odoo.evented and config['db_maxconn_gevent'] or config['db_maxconn']). Every
#   process thus has its own pool of up to db_maxconn connections; the gevent process uses
#   db_maxconn_gevent when it is set (added in saas-16.4, odoo/odoo#125190, so 17.0 and later).
#   ConnectionPool.borrow raises PoolError('The Connection Pool Is Full') rather than waiting.
# - WorkerCron.start keeps a cursor on the 'postgres' database for LISTEN cron_trigger for the
#   worker's lifetime, from the same pool as the jobs; the threaded server's cron threads do the same.
# - 18.0 and later add a second, read-only pool per process (_Pool_readonly), used only when
#   db_replica_host is set.
# - memory_info() compares limit_memory_soft with the process's vms on Linux (rss on macOS only) and
#   set_limit_memory_hard() sets RLIMIT_AS; WorkerHTTP, WorkerCron, the gevent process and the
#   threaded server all apply them.
# - PreforkServer sets the cron watchdog to limit_time_real_cron, -1 meaning limit_time_real and
#   0 no limit.

import difflib
import math
import typing as t
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.datatag import native_type_name
from ansible_collections.odoo_cloud.platform.plugins.filter.odoo_instances import odoo_instances
from ansible_collections.odoo_cloud.platform.plugins.plugin_utils import _sizing
from ansible_collections.odoo_cloud.platform.plugins.plugin_utils._numbers import at_least as _at_least
from ansible_collections.odoo_cloud.platform.plugins.plugin_utils._numbers import whole_number as _whole_number

MIB = 1024 * 1024
# deploy.rst, "memory size calculation": 80% light requests at ~150 MB, 20% heavy ones at ~1 GB.
LIGHT_WORKER_MB = 150
HEAVY_WORKER_MB = 1024
HEAVY_RATIO = 0.2
WORKER_MB = math.ceil((1 - HEAVY_RATIO) * LIGHT_WORKER_MB + HEAVY_RATIO * HEAVY_WORKER_MB)  # 325
GEVENT_MB = LIGHT_WORKER_MB
USERS_PER_WORKER = 6  # deploy.rst: "1 worker ~= 6 concurrent users"
MIN_WORKERS_FOR_USERS = 2  # one long report must not hold back every user
OVERCOMMIT = 2  # explicit workers: at most twice the instance's share of the CPU rule
CRON_TWO_FROM_RULE = 13  # an instance share of the CPU rule of 13 is about 6 CPUs

# odoo/tools/config.py defaults, MiB
ODOO_LIMIT_MEMORY_SOFT_MIB = 2048
ODOO_LIMIT_MEMORY_HARD_MIB = 2560
MIN_LIMIT_MEMORY_SOFT_MIB = 512
MIN_LIMIT_MEMORY_HARD_MIB = 640  # 512 MiB x 2560 / 2048
LIMIT_STEP_MIB = 64

LIMIT_TIME_REAL = 600
LIMIT_TIME_REAL_CRON = 1200
LIMIT_REQUEST = 8192
DB_MAXCONN_PREFORK = 8
DB_MAXCONN_THREADED = 64  # Odoo's default
MIN_DB_MAXCONN = 2
DEFAULT_RESERVE_MB = 1024
# PostgreSQL's superuser_reserved_connections (3) + administration, monitoring and backups (10): the one
# constant of plugin_utils/_sizing.py, which pg_tune uses too.
DEFAULT_RESERVED_CONNECTIONS = _sizing.RESERVED_CONNECTIONS
# The odoo role's defaults, for Odoo hosts read from hostvars (role defaults are not host variables).
DEFAULT_CLUSTER_GROUP = "postgresql"

OPTION_NAMES = (
    "workers",
    "max_cron_threads",
    "limit_memory_soft",
    "limit_memory_hard",
    "limit_time_cpu",
    "limit_time_real",
    "limit_time_real_cron",
    "limit_request",
    "db_maxconn",
)
OVERRIDE_NAMES = (*OPTION_NAMES, "db_maxconn_gevent")
INPUT_HINT = (
    "pass a dict such as {'cpus': ansible_facts.processor_vcpus, 'memory_mb': ansible_facts.memtotal_mb}"
)


def _fact(facts: Mapping, name: str, fallback: str, fix: str) -> int:
    for key in (name, fallback):
        if facts.get(key) is not None:
            return _at_least(facts[key], 1, key, fix)
    raise AnsibleFilterError(f"{name} is missing from the host; {INPUT_HINT}")


def cpu_rule(cpus: int, instances: int) -> int:
    """The deployment guide's (CPU x 2) + 1, divided between the instances, at least 1."""
    return max(1, (cpus * 2 + 1) // instances)


def _mib(number_of_bytes: int) -> str:
    return f"{number_of_bytes / MIB:g} MiB" if number_of_bytes % MIB else f"{number_of_bytes // MIB} MiB"


def _overrides(overrides: t.Any) -> dict[str, int]:
    if overrides is None:
        return {}
    if not isinstance(overrides, Mapping):
        raise AnsibleFilterError(
            f"overrides must be a dict of odoo.conf option to value, got {native_type_name(overrides)}"
        )
    checked: dict[str, int] = {}
    for name, value in overrides.items():
        if name not in OVERRIDE_NAMES:
            close = difflib.get_close_matches(str(name), OVERRIDE_NAMES, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise AnsibleFilterError(
                f"overrides key {name!r} is not an option odoo_workers sizes; {hint}use one of {', '.join(OVERRIDE_NAMES)}"
                " (set other odoo.conf options where the configuration is written)"
            )
        checked[str(name)] = _override_value(str(name), value)
    return checked


def _override_value(name: str, value: t.Any) -> int:
    field = f"overrides.{name}"
    if name in ("workers", "max_cron_threads"):
        fix = "give 0 or more" + (" (0 selects Odoo's threaded server)" if name == "workers" else " (0 runs no cron jobs)")
        return _at_least(value, 0, field, fix)
    if name in ("limit_memory_soft", "limit_memory_hard"):
        floor = MIN_LIMIT_MEMORY_SOFT_MIB if name == "limit_memory_soft" else MIN_LIMIT_MEMORY_HARD_MIB
        number = _whole_number(value, field, "give a number of bytes such as 2147483648 (2048 MiB)")
        if number < floor * MIB:
            if number <= 0:
                hint = " (Odoo reads 0 as no limit, which a production instance must not run with)"
            elif number <= 65536:
                hint = f"; did you mean {number} MiB = {number * MIB}?"
            else:
                hint = f"; give at least {floor * MIB}"
            raise AnsibleFilterError(
                f"{field} is {number} bytes, below the {floor} MiB floor ({floor * MIB}); the value is in bytes{hint}"
            )
        return number
    if name == "limit_time_real_cron":
        number = _whole_number(value, field, "give seconds, 0 for no limit or -1 for limit_time_real")
        if number < -1:
            raise AnsibleFilterError(
                f"{field} must be seconds, 0 (no limit) or -1 (same as limit_time_real), got {number}"
            )
        return number
    if name in ("db_maxconn", "db_maxconn_gevent"):
        return _at_least(
            value,
            MIN_DB_MAXCONN,
            field,
            "an Odoo process keeps one connection listening for cron or bus notifications besides the one"
            f" it works with ({DB_MAXCONN_PREFORK} is the computed value with workers)",
        )
    unit = "seconds" if name.startswith("limit_time") else "requests"
    return _at_least(value, 1, field, f"give a number of {unit}")


def _ram_error(
    workers: int, cron: int, estimate: int, share_mb: int, memory_mb: int, reserve_mb: int, instances: int
) -> AnsibleFilterError:
    if workers:
        needed = f"(workers {workers} + max_cron_threads {cron}) x {WORKER_MB} MB + {GEVENT_MB} MB for the gevent process"
    else:
        needed = f"(1 threaded server + max_cron_threads {cron}) x {WORKER_MB} MB"
    return AnsibleFilterError(
        f"the Odoo instance needs about {estimate} MB of RAM ({needed}) but its share of the host is {share_mb} MB"
        f" ((memory_mb {memory_mb} - reserve_mb {reserve_mb}) / instances {instances}); lower workers or"
        " max_cron_threads in overrides, lower reserve_mb, run fewer instances on this host or give it more RAM"
    )


def _auto_workers(rule: int, cron: int, users: int | None, share_mb: int) -> tuple[int, bool]:
    """HTTP workers for the CPU rule, the users and the RAM share; and whether the RAM is what limits them."""
    cpu_cap = max(1, rule - cron)
    wanted = cpu_cap if users is None else max(MIN_WORKERS_FOR_USERS, math.ceil(users / USERS_PER_WORKER))
    # What the RAM allows: the guide's estimate, and limit_memory_hard no lower than its floor.
    ram_cap = min((share_mb - GEVENT_MB) // WORKER_MB - cron, share_mb // MIN_LIMIT_MEMORY_HARD_MIB)
    return min(wanted, cpu_cap, ram_cap), ram_cap < min(wanted, cpu_cap)


def odoo_workers(
    host: t.Any,
    instances: t.Any = 1,
    concurrent_users: t.Any = None,
    reserve_mb: t.Any = DEFAULT_RESERVE_MB,
    overrides: t.Any = None,
) -> dict[str, t.Any]:
    if not isinstance(host, Mapping):
        raise AnsibleFilterError(f"odoo_workers expects the host as a dict, got {native_type_name(host)}; {INPUT_HINT}")
    cpus = _fact(host, "cpus", "processor_vcpus", "give the number of virtual CPUs of the host")
    memory_mb = _fact(host, "memory_mb", "memtotal_mb", "give the host's total RAM in MiB")
    instances = _at_least(instances, 1, "instances", "give the number of Odoo instances sharing this host")
    users = None
    if concurrent_users is not None:
        users = _at_least(
            concurrent_users, 1, "concurrent_users", "give the expected concurrent users, or leave it unset to size from the CPUs"
        )
    reserve = _at_least(reserve_mb, 0, "reserve_mb", "give the MiB kept for the OS and the other services of the host")
    given = _overrides(overrides)

    if reserve >= memory_mb:
        raise AnsibleFilterError(
            f"reserve_mb {reserve} leaves no RAM for Odoo on a host with memory_mb {memory_mb}; lower reserve_mb"
            " or give the host more RAM"
        )
    share_mb = (memory_mb - reserve) // instances
    rule = cpu_rule(cpus, instances)
    rule_text = f"(cpus {cpus} x 2 + 1) / instances {instances} = {rule}"

    if "workers" in given:
        workers = given["workers"]
        if workers > OVERCOMMIT * rule:
            raise AnsibleFilterError(
                f"overrides.workers {workers} is more than {OVERCOMMIT} x the CPU rule of this instance"
                f" ({rule_text}), so at most {OVERCOMMIT * rule}; lower workers, run fewer instances on this host"
                " or give it more CPUs"
            )
        if "max_cron_threads" in given:
            cron = given["max_cron_threads"]
        else:  # as below: a second cron worker only where the RAM has room for it
            fits_two = (workers + 2) * WORKER_MB + GEVENT_MB <= share_mb
            cron = 2 if rule >= CRON_TWO_FROM_RULE and fits_two else 1
    elif "max_cron_threads" in given:
        cron = given["max_cron_threads"]
        workers = _auto_workers(rule, cron, users, share_mb)[0]
    else:
        cron = 1
        workers = _auto_workers(rule, cron, users, share_mb)[0]
        if rule >= CRON_TWO_FROM_RULE:
            # A second cron worker only where the RAM does not then cost an HTTP worker.
            more_cron_workers, ram_bound = _auto_workers(rule, 2, users, share_mb)
            if not ram_bound:
                cron, workers = 2, more_cron_workers
    # Never 0 from the computation: that would silently select the threaded server.
    if workers < 1 and "workers" not in given:
        if share_mb < MIN_LIMIT_MEMORY_HARD_MIB:
            raise AnsibleFilterError(
                f"the Odoo instance's share of the host is {share_mb} MB ((memory_mb {memory_mb} - reserve_mb"
                f" {reserve}) / instances {instances}), less than one worker's {MIN_LIMIT_MEMORY_HARD_MIB} MiB"
                " limit_memory_hard floor; lower reserve_mb, run fewer instances on this host or give it more RAM"
            )
        raise _ram_error(1, cron, (1 + cron) * WORKER_MB + GEVENT_MB, share_mb, memory_mb, reserve, instances)

    prefork = workers > 0
    if "limit_memory_hard" in given:
        hard = given["limit_memory_hard"]
    else:
        budget_mib = share_mb // workers if prefork else share_mb
        hard_mib = min(ODOO_LIMIT_MEMORY_HARD_MIB, budget_mib // LIMIT_STEP_MIB * LIMIT_STEP_MIB)
        if hard_mib < MIN_LIMIT_MEMORY_HARD_MIB:
            raise AnsibleFilterError(
                f"limit_memory_hard would be {budget_mib} MiB (the instance's RAM share {share_mb} MB"
                f"{f' / workers {workers}' if prefork else ''}), below its {MIN_LIMIT_MEMORY_HARD_MIB} MiB floor;"
                f"{' lower workers in overrides,' if prefork else ''} lower reserve_mb, run fewer instances on this"
                " host or give it more RAM"
            )
        hard = hard_mib * MIB
    soft = given.get(
        "limit_memory_soft", max(MIN_LIMIT_MEMORY_SOFT_MIB, min(ODOO_LIMIT_MEMORY_SOFT_MIB, hard // MIB * 4 // 5)) * MIB
    )
    time_real = given.get("limit_time_real", LIMIT_TIME_REAL)
    time_cpu = given.get("limit_time_cpu", max(1, time_real // 2))
    time_real_cron = given.get("limit_time_real_cron", max(LIMIT_TIME_REAL_CRON, time_real))
    db_maxconn = given.get("db_maxconn", DB_MAXCONN_PREFORK if prefork else DB_MAXCONN_THREADED)

    if soft > hard:
        raise AnsibleFilterError(
            f"limit_memory_soft ({soft}, {_mib(soft)}) is above limit_memory_hard ({hard}, {_mib(hard)}): the"
            " process would fail allocations before it is recycled; lower limit_memory_soft or raise"
            " limit_memory_hard in overrides"
        )
    if time_real < time_cpu:
        raise AnsibleFilterError(
            f"limit_time_real ({time_real} s) is below limit_time_cpu ({time_cpu} s): the CPU"
            " limit could never be reached; raise limit_time_real or lower limit_time_cpu in overrides"
        )
    if "db_maxconn_gevent" in given and not prefork:
        raise AnsibleFilterError(
            "overrides.db_maxconn_gevent only applies with workers (the gevent process); the threaded server"
            " (workers 0) uses db_maxconn alone: remove db_maxconn_gevent or set workers"
        )

    if prefork:
        estimate = (workers + cron) * WORKER_MB + GEVENT_MB
        processes = workers + cron + 1
        gevent_pool = given.get("db_maxconn_gevent", db_maxconn)
        max_db_connections = (processes - 1) * db_maxconn + gevent_pool
    else:
        estimate = (1 + cron) * WORKER_MB
        processes = 1
        max_db_connections = db_maxconn
    if estimate > share_mb:
        raise _ram_error(workers, cron, estimate, share_mb, memory_mb, reserve, instances)
    limited = max(workers, 1)
    if limited * hard > share_mb * MIB:
        fitting_mib = share_mb // limited // LIMIT_STEP_MIB * LIMIT_STEP_MIB
        if fitting_mib < MIN_LIMIT_MEMORY_HARD_MIB:
            fix = "lower workers in overrides, lower reserve_mb or run fewer instances on this host"
        else:
            fix = f"lower limit_memory_hard in overrides to at most {fitting_mib * MIB} ({fitting_mib} MiB)"
            fix += " or lower workers" if prefork else ""
        total = f"workers {workers} x limit_memory_hard {_mib(hard)} = {_mib(limited * hard)} is" if prefork else (
            f"limit_memory_hard {_mib(hard)} of the threaded server is"
        )
        raise AnsibleFilterError(
            f"{total} more than the instance's RAM share of {share_mb} MB"
            f" ((memory_mb {memory_mb} - reserve_mb {reserve}) / instances {instances}); {fix}"
        )

    options = {
        "workers": workers,
        "max_cron_threads": cron,
        "limit_memory_soft": soft,
        "limit_memory_hard": hard,
        "limit_time_cpu": time_cpu,
        "limit_time_real": time_real,
        "limit_time_real_cron": time_real_cron,
        "limit_request": given.get("limit_request", LIMIT_REQUEST),
        "db_maxconn": db_maxconn,
    }
    if "db_maxconn_gevent" in given:
        options["db_maxconn_gevent"] = given["db_maxconn_gevent"]
    return {
        "options": options,
        "processes": processes,
        "max_db_connections": max_db_connections,
        "memory_mb_estimate": estimate,
    }


def instance_sizings(
    facts: t.Any, instances: t.Any, host: str = "this host", reserve_mb: t.Any = DEFAULT_RESERVE_MB
) -> list[dict[str, t.Any]]:
    """Size every instance of one Odoo host as the odoo role does (roles/odoo/tasks/validate.yml).

    instances is the host's odoo_instances (normalised here with the odoo_instances filter); each result
    is odoo_workers' with the name host/instance added.
    """
    normalised = odoo_instances(instances, host=host)
    sizings = []
    for inst in normalised:
        overrides = dict(inst.get("sizing") or {})
        if inst["workers"] != "auto":
            overrides["workers"] = inst["workers"]
        try:
            sizing = odoo_workers(
                facts,
                instances=len(normalised),
                concurrent_users=inst.get("concurrent_users"),
                reserve_mb=reserve_mb,
                overrides=overrides,
            )
        except AnsibleFilterError as error:
            raise AnsibleFilterError(f"instance {host}/{inst['name']}: {error.message}") from None
        sizings.append({**sizing, "name": f"{host}/{inst['name']}"})
    return sizings


def odoo_instance_sizings(
    facts: t.Any, instances: t.Any, host: str = "this host", reserve_mb: t.Any = DEFAULT_RESERVE_MB,
    connection_limit_extra: t.Any = _sizing.CONNECTION_LIMIT_EXTRA,
) -> dict[str, dict[str, t.Any]]:
    """The odoo role's sizing of one host: {instance name: odoo_workers result, named host/instance}."""
    extra = _at_least(connection_limit_extra, 0, "connection_limit_extra",
                      "give the connections an instance's role may open above its pools (odoo_db_connection_limit_extra)")
    normalised = odoo_instances(instances, host=host)
    sizings = instance_sizings(facts, normalised, host=host, reserve_mb=reserve_mb)
    return {inst["name"]: {**sizing, "connection_limit_extra": extra} for inst, sizing in zip(normalised, sizings)}


def _hosts_sizings(hosts: t.Any, hostvars: t.Any, cluster_group: t.Any) -> list[dict[str, t.Any]]:
    """The sizings of every instance of these Odoo hosts (read from hostvars) that use cluster_group."""
    if isinstance(hosts, (str, bytes, Mapping)) or not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError(
            f"odoo_connections with hostvars expects a list of Odoo host names, got {native_type_name(hosts)};"
            " for example groups['odoo']"
        )
    if not isinstance(hostvars, Mapping):
        raise AnsibleFilterError(f"odoo_connections hostvars must be Ansible's hostvars, got {native_type_name(hostvars)}")
    if cluster_group is not None and (not isinstance(cluster_group, str) or not cluster_group):
        raise AnsibleFilterError("odoo_connections cluster_group must be the PostgreSQL cluster's inventory group name")
    sizings: list[dict[str, t.Any]] = []
    for name in hosts:
        host = str(name)
        if host not in hostvars:
            raise AnsibleFilterError(f"odoo_connections: {host} is not a host of the inventory (not in hostvars)")
        hvars = hostvars[host]
        if cluster_group is not None and hvars.get("odoo_postgresql_group", DEFAULT_CLUSTER_GROUP) != cluster_group:
            continue
        instances = hvars.get("odoo_instances") or []
        if not instances:
            continue
        facts = hvars.get("ansible_facts") or {}
        missing = [fact for fact in ("processor_vcpus", "memtotal_mb") if facts.get(fact) is None]
        if missing:
            raise AnsibleFilterError(
                f"the Odoo host {host} has no {' and no '.join(missing)} fact: the PostgreSQL connection budget"
                " follows from each Odoo host's sizing (its CPUs and RAM). Run playbooks/site.yml (its validate play"
                " gathers the facts of every host), or gather the Odoo hosts' facts earlier in the same run"
                " (ansible.builtin.setup with gather_subset [min, hardware] on the Odoo group)"
            )
        sizings.extend(
            {**sizing, "connection_limit_extra": hvars.get("odoo_db_connection_limit_extra", _sizing.CONNECTION_LIMIT_EXTRA)}
            for sizing in instance_sizings(
                {"cpus": facts["processor_vcpus"], "memory_mb": facts["memtotal_mb"]},
                instances,
                host=host,
                reserve_mb=hvars.get("odoo_reserve_mb", DEFAULT_RESERVE_MB),
            )
        )
    return sizings


def odoo_connections(
    sizings: t.Any,
    max_connections: t.Any = None,
    reserved: t.Any = DEFAULT_RESERVED_CONNECTIONS,
    extra: t.Any = _sizing.CONNECTION_LIMIT_EXTRA,
    hostvars: t.Any = None,
    cluster_group: t.Any = None,
) -> int:
    if hostvars is not None:
        sizings = _hosts_sizings(sizings, hostvars, cluster_group)
    elif cluster_group is not None:
        raise AnsibleFilterError("odoo_connections cluster_group needs hostvars (it selects Odoo hosts by their variables)")
    if isinstance(sizings, (str, bytes, Mapping)) or not isinstance(sizings, (list, tuple)):
        raise AnsibleFilterError(
            f"odoo_connections expects a list of odoo_workers results, got {native_type_name(sizings)};"
            " wrap a single result in a list"
        )
    default_extra = _at_least(
        extra, 0, "extra", "give the connections an instance's role may open above its pools (odoo_db_connection_limit_extra)"
    )
    shares: list[tuple[str, int, str]] = []
    for index, sizing in enumerate(sizings, start=1):
        if not isinstance(sizing, Mapping) or sizing.get("max_db_connections") is None:
            raise AnsibleFilterError(
                f"odoo_connections entry {index} has no max_db_connections; pass the results of the odoo_workers"
                " filter (with a name added by combine, if you like)"
            )
        name = sizing.get("name")
        if name is None:
            label = f"entry {index}"
        elif isinstance(name, str) and name:
            label = str(name)
        else:
            raise AnsibleFilterError(f"odoo_connections entry {index} name must be a non-empty string, got {name!r}")
        count = _at_least(
            sizing["max_db_connections"], 0, f"{label} max_db_connections", "pass the result of the odoo_workers filter"
        )
        own_extra = default_extra
        if sizing.get("connection_limit_extra") is not None:
            own_extra = _at_least(
                sizing["connection_limit_extra"], 0, f"{label} connection_limit_extra",
                "give the connections the instance's role may open above its pools",
            )
        detail = ""
        options = sizing.get("options")
        if isinstance(options, Mapping) and sizing.get("processes") is not None and options.get("db_maxconn") is not None:
            detail = f" ({sizing['processes']} processes, db_maxconn {options['db_maxconn']}, + {own_extra})"
        elif own_extra:
            detail = f" ({count} + {own_extra})"
        shares.append((label, _sizing.instance_pool(count, own_extra), detail))
    total = sum(count for _label, count, _detail in shares)
    if max_connections is None:
        return total
    limit = _at_least(max_connections, 1, "max_connections", "give PostgreSQL's max_connections")
    spare = _at_least(
        reserved, 0, "reserved", "give the connections kept for superusers, replication and other clients"
    )
    if spare >= limit:
        raise AnsibleFilterError(
            f"reserved {spare} leaves no connection for Odoo out of max_connections {limit}; lower reserved or raise"
            " PostgreSQL's max_connections"
        )
    if total > limit - spare:
        listed = ", ".join(f"{label} {count}{detail}" for label, count, detail in shares)
        raise AnsibleFilterError(
            f"the Odoo instances can open up to {total} PostgreSQL connections, more than max_connections {limit} -"
            f" reserved {spare} = {limit - spare}: {listed}; lower db_maxconn or workers in the odoo_workers"
            f" overrides, or raise PostgreSQL's max_connections to at least {_sizing.needed_connections([total], spare)}"
        )
    return total


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {
            "odoo_workers": odoo_workers,
            "odoo_connections": odoo_connections,
            "odoo_instance_sizings": odoo_instance_sizings,
        }
