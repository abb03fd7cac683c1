# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: ip_network
short_description: Test whether a string is a network in CIDR notation
version_added: 0.1.0
description:
  - True when the input is an IPv4 or IPv6 network written as C(address/prefix) with no host bits set
    (V(10.0.0.0/24), V(10.0.0.5/32), V(fd00::/64)), using Python's C(ipaddress) module.
  - A bare address without a prefix length is not accepted, so C(pg_hba.conf) entries stay explicit.
options:
  _input:
    description: The value to test.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Validate client networks
  ansible.builtin.assert:
    that: postgresql_client_cidrs | reject('odoo_cloud.platform.ip_network') | list | length == 0
"""

RETURN = r"""
_value:
  description: Whether the input is a CIDR network.
  type: bool
"""

import ipaddress
import typing as t


def ip_network(value: t.Any) -> bool:
    if not isinstance(value, str) or "/" not in value:
        return False
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError:
        return False
    return True


class TestModule:
    def tests(self) -> dict[str, t.Callable[..., bool]]:
        return {"ip_network": ip_network}
