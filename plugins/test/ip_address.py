# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: ip_address
short_description: Test whether a string is an IPv4 or IPv6 address
version_added: 0.1.0
description:
  - True when the input parses as a single IP address (no prefix length), using Python's
    C(ipaddress) module, so roles can validate address inputs without extra libraries.
options:
  _input:
    description: The value to test.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Validate listen addresses
  ansible.builtin.assert:
    that: item is odoo_cloud.platform.ip_address
  loop: "{{ redis_bind_addresses }}"
"""

RETURN = r"""
_value:
  description: Whether the input is an IP address.
  type: bool
"""

import ipaddress
import typing as t


def ip_address(value: t.Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


class TestModule:
    def tests(self) -> dict[str, t.Callable[..., bool]]:
        return {"ip_address": ip_address}
