# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: firewall_rules
short_description: Validate inbound firewall rules and split their sources by address family
version_added: 0.1.0
description:
  - Takes a list of inbound rules (ports, protocol, allowed sources) and returns them normalised for the
    nftables template of the C(odoo_cloud.platform.host_firewall) role, with ports as sorted whole
    numbers and sources split into IPv4 and IPv6 networks.
  - Each source is an IP address (taken as a single-host network) or a network in CIDR notation with
    no host bits set, the same rules as the P(odoo_cloud.platform.ip_address#test) and
    P(odoo_cloud.platform.ip_network#test) tests.
  - Every error names the rule's O(_input[].field) (the variable the rule came from) and says how to fix it.
  - With O(keep), the rule set must still admit the given connections (the SSH session Ansible uses);
    one that would cut them is refused before anything reaches a host.
options:
  _input:
    description: The rules.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Short name, used in comments of the rendered rule set and in messages.
        type: str
        required: true
      field:
        description: Where the rule came from (a variable name), used in error messages. Defaults to O(_input[].name).
        type: str
      ports:
        description: Destination ports, a number or a list of numbers (1-65535).
        type: raw
        required: true
      proto:
        description: Transport protocol.
        type: str
        choices: [tcp, udp]
        default: tcp
      sources:
        description: Allowed source addresses or CIDR networks. An empty list admits nobody.
        type: list
        elements: str
        required: true
      published:
        description:
          - Whether the ports are published by Docker (DNATed to a container). Such connections cross
            the C(forward) hook, not C(input), and the role filters them there too.
        type: bool
        default: false
  keep:
    description: Connections the rule set must admit, each C({address, port, proto, what, field}).
    type: list
    elements: dict
    default: []
"""

EXAMPLES = r"""
- name: Normalise the rules of this host
  ansible.builtin.set_fact:
    host_firewall_effective_rules: "{{ rules | odoo_cloud.platform.firewall_rules(keep=keep) }}"
  vars:
    rules:
      - {name: ssh, field: host_firewall_ssh_sources, ports: 22, sources: [192.0.2.0/24]}
      - {name: odoo, ports: [8069, 8072], sources: [10.0.0.11], published: true}
    keep:
      - {address: 192.0.2.7, port: 22, proto: tcp, what: the SSH connection Ansible uses, field: host_firewall_ssh_sources}
"""

RETURN = r"""
_value:
  description: The rules in input order.
  type: list
  elements: dict
  contains:
    name:
      description: The rule's name.
      type: str
    proto:
      description: V(tcp) or V(udp).
      type: str
    ports:
      description: Sorted unique ports.
      type: list
      elements: int
    ipv4:
      description: IPv4 sources as networks (V(10.0.0.11/32)), sorted, overlapping and adjacent ones merged.
      type: list
      elements: str
    ipv6:
      description: IPv6 sources as networks, sorted, overlapping and adjacent ones merged.
      type: list
      elements: str
    published:
      description: Whether the rule also applies to connections Docker DNATs to a container.
      type: bool
"""

import ipaddress
import re
import typing as t

from ansible.errors import AnsibleFilterError
from ansible_collections.odoo_cloud.platform.plugins.test.ip_address import ip_address
from ansible_collections.odoo_cloud.platform.plugins.test.ip_network import ip_network

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_. -]{0,62}$")
PROTOS = ("tcp", "udp")


def _fail(field: str, message: str) -> t.NoReturn:
    raise AnsibleFilterError(f"{field}: {message}")


def _port(field: str, value: t.Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
        _fail(field, f"port {value!r} is not a port number; give a whole number from 1 to 65535")
    port = int(str(value).strip())
    if not 1 <= port <= 65535:
        _fail(field, f"port {port} is out of range; give a whole number from 1 to 65535")
    return port


def _ports(field: str, value: t.Any) -> list[int]:
    values = value if isinstance(value, (list, tuple)) else [value]
    if not values:
        _fail(field, "ports is empty; give at least one port")
    return sorted({_port(field, v) for v in values})


def _network(field: str, value: t.Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    if isinstance(value, str) and ip_address(value):
        return ipaddress.ip_network(value)
    if isinstance(value, str) and ip_network(value):
        return ipaddress.ip_network(value)
    hint = ""
    if isinstance(value, str) and "/" in value:
        try:
            hint = f" (host bits set: did you mean {ipaddress.ip_network(value, strict=False)}?)"
        except ValueError:
            pass
    _fail(field, f"source {value!r} is not an IP address or a CIDR network such as 10.0.0.0/24{hint}")


def normalize_rule(raw: t.Any, index: int = 0) -> dict[str, t.Any]:
    if not isinstance(raw, dict):
        _fail(f"rule #{index + 1}", f"each rule must be a mapping, got {type(raw).__name__}")
    name = raw.get("name")
    field = raw.get("field") or (name if isinstance(name, str) and name else f"rule #{index + 1}")
    if not isinstance(field, str):
        _fail(f"rule #{index + 1}", "field must be a string")
    if not isinstance(name, str) or not NAME_RE.match(name):
        _fail(field, f"name {name!r} must be 1-63 letters, digits, '_', '.', '-' or spaces")
    unknown = sorted(set(raw) - {"name", "field", "ports", "proto", "sources", "published"})
    if unknown:
        _fail(field, f"unknown keys {unknown}; a rule has name, ports, proto, sources, published")
    if "ports" not in raw:
        _fail(field, "ports is required")
    ports = _ports(field, raw["ports"])
    proto = raw.get("proto", "tcp")
    if proto not in PROTOS:
        _fail(field, f"proto {proto!r} must be one of {', '.join(PROTOS)}")
    sources = raw.get("sources")
    if isinstance(sources, str) or not isinstance(sources, (list, tuple)):
        _fail(field, f"sources must be a list of addresses or CIDR networks, got {type(sources).__name__}")
    networks = [_network(field, s) for s in sources]
    published = raw.get("published", False)
    if not isinstance(published, bool):
        _fail(field, "published must be true or false")
    return {
        "name": name,
        "proto": proto,
        "ports": ports,
        # nftables refuses overlapping intervals in a set: merge them (10.0.0.0/8 swallows 10.1.0.0/16).
        "ipv4": [str(n) for n in ipaddress.collapse_addresses(n for n in networks if n.version == 4)],
        "ipv6": [str(n) for n in ipaddress.collapse_addresses(n for n in networks if n.version == 6)],
        "published": published,
    }


def _check_kept(rules: list[dict[str, t.Any]], keep: t.Any) -> None:
    if not isinstance(keep, (list, tuple)):
        raise AnsibleFilterError("firewall_rules: keep must be a list of {address, port, proto, what, field}")
    for conn in keep:
        if not isinstance(conn, dict):
            raise AnsibleFilterError("firewall_rules: each keep entry must be a mapping")
        what = conn.get("what", "a connection that must stay open")
        field = conn.get("field", "firewall rules")
        address = conn.get("address")
        if not isinstance(address, str) or not ip_address(address):
            _fail(field, f"{what} comes from {address!r}, which is not an IP address")
        port = _port(field, conn.get("port"))
        proto = conn.get("proto", "tcp")
        addr = ipaddress.ip_address(address)
        family = "ipv4" if addr.version == 4 else "ipv6"
        admitted = any(
            proto == rule["proto"] and port in rule["ports"]
            and any(addr in ipaddress.ip_network(net) for net in rule[family])
            for rule in rules
        )
        if not admitted:
            single = f"{address}/{addr.max_prefixlen}"
            _fail(field, f"this rule set would cut {what} (from {address} to {proto} port {port}); "
                         f"nothing was changed. Add {single} (or a network holding it) to {field}, "
                         "or run from an address it already allows")


def firewall_rules(rules: t.Any, keep: t.Any = None) -> list[dict[str, t.Any]]:
    if rules is None:
        rules = []
    if not isinstance(rules, (list, tuple)):
        raise AnsibleFilterError("firewall_rules: expects a list of rules")
    result = [normalize_rule(raw, i) for i, raw in enumerate(rules)]
    _check_kept(result, keep or [])
    return result


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"firewall_rules": firewall_rules}
