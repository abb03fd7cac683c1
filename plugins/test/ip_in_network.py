# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: ip_in_network
short_description: Test whether an IP address lies inside a CIDR network
version_added: 0.1.0
description:
  - True when the input address belongs to the network given as argument (V(10.77.0.5) is in
    V(10.77.0.0/24)), using Python's C(ipaddress) module. Anything that does not parse is not inside.
options:
  _input:
    description: The address to test.
    type: raw
    required: true
  network:
    description: The network, in CIDR notation (host bits may be set).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Host addresses a Docker address pool would hide
  ansible.builtin.debug:
    msg: "{{ ansible_facts['all_ipv4_addresses'] | select('odoo_cloud.platform.ip_in_network', '172.17.0.0/16') | list }}"
"""

RETURN = r"""
_value:
  description: Whether the address is inside the network.
  type: bool
"""

import ipaddress
import typing as t


def ip_in_network(value: t.Any, network: t.Any) -> bool:
    try:
        return ipaddress.ip_address(str(value)) in ipaddress.ip_network(str(network), strict=False)
    except ValueError:
        return False


class TestModule:
    def tests(self) -> dict[str, t.Callable[..., bool]]:
        return {"ip_in_network": ip_in_network}
