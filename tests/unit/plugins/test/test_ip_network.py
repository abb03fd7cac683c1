from __future__ import annotations

import pytest

from ansible_collections.odoo_cloud.platform.plugins.test.ip_network import TestModule as IpNetworkTests, ip_network


@pytest.mark.parametrize("value", ["10.0.0.0/24", "10.77.0.31/32", "0.0.0.0/0", "fd00::/64", "::/0"])
def test_networks(value):
    assert ip_network(value) is True


@pytest.mark.parametrize("value", ["10.0.0.1/24", "10.0.0.0", "10.0.0.0/33", "nonsense/8", "", None, 24, ["10.0.0.0/8"]])
def test_not_networks(value):
    assert ip_network(value) is False


def test_registered():
    assert IpNetworkTests().tests()["ip_network"] is ip_network
