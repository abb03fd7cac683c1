from __future__ import annotations

import pytest

from ansible_collections.odoo_cloud.platform.plugins.test.ip_in_network import TestModule as IpInNetworkTests, ip_in_network


@pytest.mark.parametrize(
    ("address", "network", "expected"),
    [
        ("10.77.0.5", "10.77.0.0/24", True),
        ("10.77.1.5", "10.77.0.0/24", False),
        ("172.17.0.1", "172.16.0.0/12", True),
        ("10.77.0.5", "10.77.0.9/24", True),
        ("fd00::1", "fd00::/64", True),
        ("fd00::1", "10.0.0.0/8", False),
        ("not-an-ip", "10.0.0.0/8", False),
        ("10.0.0.1", "not-a-network", False),
        (None, "10.0.0.0/8", False),
    ],
)
def test_ip_in_network(address, network, expected):
    assert ip_in_network(address, network) is expected


def test_registered():
    assert IpInNetworkTests().tests()["ip_in_network"] is ip_in_network
