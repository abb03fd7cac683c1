# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Whole numbers from inventory values, for the sizing filters (pg_tune, odoo_workers)."""

from __future__ import annotations

import re
import typing as t

from ansible.errors import AnsibleFilterError
from ansible.module_utils.datatag import native_type_name

WHOLE_NUMBER = re.compile(r"^\s*[+-]?[0-9]+\s*$")


def whole_number(value: t.Any, field: str, fix: str) -> int:
    """Return value as an int; accepts ints, integral floats and strings of digits (inventory values)."""
    if not isinstance(value, bool):
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and WHOLE_NUMBER.match(value):
            return int(value)
    raise AnsibleFilterError(f"{field} must be a whole number, got {value!r} ({native_type_name(value)}); {fix}")


def at_least(value: t.Any, minimum: int, field: str, fix: str) -> int:
    number = whole_number(value, field, fix)
    if number < minimum:
        raise AnsibleFilterError(f"{field} must be at least {minimum}, got {number}; {fix}")
    return number
