from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.odoo_cloud.platform.plugins.filter.firewall_rules import FilterModule, firewall_rules

SSH_KEEP = {"address": "192.0.2.7", "port": 22, "proto": "tcp", "what": "the SSH connection Ansible uses",
            "field": "host_firewall_ssh_sources"}


def rule(**overrides):
    base = {"name": "odoo", "field": "host_firewall_odoo_sources", "ports": [8072, 8069, 8069],
            "sources": ["10.0.1.12", "10.0.1.11", "fd00::1", "10.0.0.0/24"], "published": True}
    base.update(overrides)
    return base


def test_normalises_ports_and_splits_families():
    assert firewall_rules([rule()]) == [{
        "name": "odoo", "proto": "tcp", "ports": [8069, 8072],
        "ipv4": ["10.0.0.0/24", "10.0.1.11/32", "10.0.1.12/32"], "ipv6": ["fd00::1/128"], "published": True,
    }]


def test_defaults_and_single_port_as_string():
    result = firewall_rules([{"name": "dns", "ports": "53", "proto": "udp", "sources": ["::/0"]}])
    assert result == [{"name": "dns", "proto": "udp", "ports": [53], "ipv4": [], "ipv6": ["::/0"], "published": False}]


def test_overlapping_sources_are_merged():
    result = firewall_rules([rule(sources=["10.1.0.0/16", "10.0.0.0/8", "10.0.0.5", "192.0.2.0/25", "192.0.2.128/25",
                                           "0.0.0.0/0", "::/0", "fd00::/8"])])[0]
    assert result["ipv4"] == ["0.0.0.0/0"]
    assert result["ipv6"] == ["::/0"]
    assert firewall_rules([rule(sources=["192.0.2.0/25", "192.0.2.128/25", "10.1.0.0/16", "10.0.0.0/8"])])[0]["ipv4"] == [
        "10.0.0.0/8", "192.0.2.0/24"]


def test_empty_sources_admit_nobody_and_none_is_empty():
    assert firewall_rules([rule(sources=[])])[0]["ipv4"] == []
    assert firewall_rules(None) == []


@pytest.mark.parametrize("sources, fragment", [
    (["10.0.0.300"], "source '10.0.0.300' is not an IP address or a CIDR network"),
    (["10.0.0.1/24"], "did you mean 10.0.0.0/24?"),
    (["10.0.0.0/33"], "source '10.0.0.0/33'"),
    (["host edge1 has no private_address"], "source 'host edge1 has no private_address'"),
    ([""], "source ''"),
    ([24], "source 24"),
])
def test_bad_sources_name_the_field(sources, fragment):
    with pytest.raises(AnsibleFilterError) as err:
        firewall_rules([rule(sources=sources)])
    assert str(err.value).startswith("host_firewall_odoo_sources: ")
    assert fragment in str(err.value)


@pytest.mark.parametrize("ports, fragment", [
    (0, "port 0 is out of range"),
    (65536, "port 65536 is out of range"),
    ("http", "port 'http' is not a port number"),
    (True, "port True is not a port number"),
    ([], "ports is empty"),
    ([22, -1], "port -1 is not a port number"),
])
def test_bad_ports(ports, fragment):
    with pytest.raises(AnsibleFilterError, match="^host_firewall_allow\\[0\\]: ") as err:
        firewall_rules([rule(field="host_firewall_allow[0]", ports=ports)])
    assert fragment in str(err.value)


@pytest.mark.parametrize("overrides, fragment", [
    ({"proto": "icmp"}, "proto 'icmp' must be one of tcp, udp"),
    ({"sources": "10.0.0.0/8"}, "sources must be a list"),
    ({"published": "yes"}, "published must be true or false"),
    ({"name": "bad;name"}, "name 'bad;name' must be"),
    ({"port": 22}, "unknown keys ['port']"),
])
def test_bad_rule_shape(overrides, fragment):
    with pytest.raises(AnsibleFilterError) as err:
        firewall_rules([rule(**overrides)])
    assert fragment in str(err.value)


def test_missing_ports_and_not_a_mapping():
    with pytest.raises(AnsibleFilterError, match="^x: ports is required$"):
        firewall_rules([{"name": "x", "sources": []}])
    with pytest.raises(AnsibleFilterError, match="^rule #2: each rule must be a mapping"):
        firewall_rules([rule(), "22"])
    with pytest.raises(AnsibleFilterError, match="expects a list"):
        firewall_rules("22")


def test_keep_admitted_by_a_covering_network():
    rules = [{"name": "ssh", "field": "host_firewall_ssh_sources", "ports": 22, "sources": ["192.0.2.0/24"]}]
    assert firewall_rules(rules, keep=[SSH_KEEP])[0]["ipv4"] == ["192.0.2.0/24"]


@pytest.mark.parametrize("ssh_rule", [
    {"name": "ssh", "ports": 22, "sources": ["198.51.100.0/24"]},
    {"name": "ssh", "ports": 2222, "sources": ["192.0.2.0/24"]},
    {"name": "ssh", "ports": 22, "proto": "udp", "sources": ["192.0.2.0/24"]},
    {"name": "ssh", "ports": 22, "sources": ["::/0"]},
])
def test_keep_refuses_a_rule_set_that_cuts_the_connection(ssh_rule):
    with pytest.raises(AnsibleFilterError) as err:
        firewall_rules([ssh_rule], keep=[SSH_KEEP])
    message = str(err.value)
    assert message.startswith("host_firewall_ssh_sources: this rule set would cut the SSH connection Ansible uses")
    assert "from 192.0.2.7 to tcp port 22" in message
    assert "Add 192.0.2.7/32" in message


def test_keep_ipv6_source():
    keep = dict(SSH_KEEP, address="2001:db8::5")
    assert firewall_rules([{"name": "ssh", "ports": 22, "sources": ["2001:db8::/32"]}], keep=[keep])
    with pytest.raises(AnsibleFilterError, match="Add 2001:db8::5/128"):
        firewall_rules([{"name": "ssh", "ports": 22, "sources": ["0.0.0.0/0"]}], keep=[keep])


def test_keep_with_a_bad_address():
    with pytest.raises(AnsibleFilterError, match="comes from 'nowhere', which is not an IP address"):
        firewall_rules([], keep=[dict(SSH_KEEP, address="nowhere")])
    with pytest.raises(AnsibleFilterError, match="keep must be a list"):
        firewall_rules([], keep="192.0.2.7")


def test_registered():
    assert FilterModule().filters()["firewall_rules"] is firewall_rules
