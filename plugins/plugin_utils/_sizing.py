# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The PostgreSQL connection budget of Odoo instances: one formula for every filter and role.

Odoo instances are sized first (the odoo_workers filter). Each instance's peak pool is what its
PostgreSQL role's CONNECTION LIMIT allows (roles/odoo/tasks/database.yml): odoo_workers'
max_db_connections plus the connection limit extra (one-off runs: database initialisation, odoo
shell). PostgreSQL's max_connections follows from the sum of the pools of the instances that use
the server plus RESERVED_CONNECTIONS, rounded up to a multiple of MAX_CONNECTIONS_STEP; a pinned
max_connections must be at least that sum plus the reserve.
"""

from __future__ import annotations

import math
import typing as t
from collections.abc import Iterable

# PostgreSQL's superuser_reserved_connections (3) + administration, monitoring and backups (10). The
# only definition: pg_tune, odoo_connections and the roles use this one.
SUPERUSER_RESERVED_CONNECTIONS = 3
RESERVED_CONNECTIONS = SUPERUSER_RESERVED_CONNECTIONS + 10
# Connections an instance's role may open above its pools (the odoo role's odoo_db_connection_limit_extra
# default; tests/unit/plugins/plugin_utils/test_sizing.py checks the two agree).
CONNECTION_LIMIT_EXTRA = 2
# max_connections when no Odoo instance uses the server: PostgreSQL's own default.
DEFAULT_MAX_CONNECTIONS = 100
MAX_CONNECTIONS_STEP = 10


def instance_pool(max_db_connections: int, extra: int = CONNECTION_LIMIT_EXTRA) -> int:
    """The peak connections of one instance: its processes' pools plus the one-off runs (its CONNECTION LIMIT)."""
    return int(max_db_connections) + int(extra)


def needed_connections(pools: Iterable[int], reserved: int = RESERVED_CONNECTIONS) -> int:
    """The smallest max_connections that holds every pool and the reserve."""
    return sum(int(pool) for pool in pools) + int(reserved)


def max_connections_for(pools: Iterable[int], reserved: int = RESERVED_CONNECTIONS) -> int:
    """max_connections computed for these pools: their sum plus the reserve, rounded up to a multiple of 10.

    With no pool (no Odoo instance uses the server), PostgreSQL's default of 100.
    """
    listed: list[int] = [int(pool) for pool in pools]
    if not listed:
        return DEFAULT_MAX_CONNECTIONS
    return math.ceil(needed_connections(listed, reserved) / MAX_CONNECTIONS_STEP) * MAX_CONNECTIONS_STEP


def pools_text(shares: Iterable[tuple[str, t.Any]]) -> str:
    """'a 50, b 18' for error messages."""
    return ", ".join(f"{label} {count}" for label, count in shares)
