# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tenant sizes and Odoo versions of the tenant catalog: the one table the tenants inventory plugin
and the tenant module share (docs/tenants.md prints it)."""

from __future__ import annotations

import copy
import typing as t

# Odoo versions a tenant may run, and the image used when a tenant names none.
ODOO_VERSIONS = ("16.0", "17.0", "18.0")
DEFAULT_IMAGE = "docker.io/library/odoo"

# Per size: what one tenant gets. CPU in millicores, memory and storage in MiB / GiB.
#   workers              Odoo HTTP workers of the tenant (per web replica)
#   max_cron_threads     cron workers (the cron deployment / the instance)
#   web_replicas         web pods of a shared tenant
#   cpu_*_m, memory_*_mb requests and limits of one web pod
#   quota                the namespace's ResourceQuota (requests/limits over every pod, counts)
#   filestore_gb         the filestore volume
#   database_gb          the database's expected size (placement and backups)
#   db_connection_limit  CONNECTION LIMIT of the tenant's PostgreSQL role
#   db_maxconn           Odoo's db_maxconn per process: (workers x web_replicas + max_cron_threads) x
#                        db_maxconn stays within db_connection_limit
SIZES: dict[str, dict[str, t.Any]] = {
    "xs": {
        "workers": 2, "max_cron_threads": 1, "web_replicas": 1,
        "cpu_request_m": 250, "cpu_limit_m": 1000, "memory_request_mb": 768, "memory_limit_mb": 1536,
        "quota": {"requests_cpu_m": 1000, "limits_cpu_m": 2000, "requests_memory_mb": 2048,
                  "limits_memory_mb": 4096, "pods": 6, "persistentvolumeclaims": 2, "services": 4},
        "filestore_gb": 5, "database_gb": 5, "db_connection_limit": 12, "db_maxconn": 4,
    },
    "s": {
        "workers": 4, "max_cron_threads": 1, "web_replicas": 1,
        "cpu_request_m": 500, "cpu_limit_m": 2000, "memory_request_mb": 1536, "memory_limit_mb": 3072,
        "quota": {"requests_cpu_m": 2000, "limits_cpu_m": 4000, "requests_memory_mb": 4096,
                  "limits_memory_mb": 8192, "pods": 8, "persistentvolumeclaims": 2, "services": 4},
        "filestore_gb": 20, "database_gb": 20, "db_connection_limit": 24, "db_maxconn": 4,
    },
    "m": {
        "workers": 8, "max_cron_threads": 2, "web_replicas": 2,
        "cpu_request_m": 1000, "cpu_limit_m": 4000, "memory_request_mb": 3072, "memory_limit_mb": 6144,
        "quota": {"requests_cpu_m": 4000, "limits_cpu_m": 12000, "requests_memory_mb": 10240,
                  "limits_memory_mb": 20480, "pods": 12, "persistentvolumeclaims": 3, "services": 6},
        "filestore_gb": 50, "database_gb": 50, "db_connection_limit": 48, "db_maxconn": 2,
    },
    "l": {
        "workers": 16, "max_cron_threads": 2, "web_replicas": 3,
        "cpu_request_m": 2000, "cpu_limit_m": 8000, "memory_request_mb": 6144, "memory_limit_mb": 12288,
        "quota": {"requests_cpu_m": 8000, "limits_cpu_m": 32000, "requests_memory_mb": 25600,
                  "limits_memory_mb": 51200, "pods": 20, "persistentvolumeclaims": 4, "services": 8},
        "filestore_gb": 200, "database_gb": 100, "db_connection_limit": 128, "db_maxconn": 2,
    },
}


def size_names() -> list[str]:
    return list(SIZES)


def tenant_size(name: str) -> dict[str, t.Any]:
    """The resources of one size (a copy: callers may change it). KeyError for an unknown size."""
    return copy.deepcopy(SIZES[name])
