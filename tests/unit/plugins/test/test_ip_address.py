from __future__ import annotations

import pytest

from ansible_collections.odoo_cloud.platform.plugins.test.ip_address import TestModule as IpAddressTests, ip_address


@pytest.mark.parametrize("value", ["127.0.0.1", "10.77.0.31", "::1", "fe80::1", "0.0.0.0"])
def test_addresses(value):
    assert ip_address(value) is True


@pytest.mark.parametrize("value", ["localhost", "10.0.0.0/24", "10.0.0.256", "", None, 10, ["127.0.0.1"]])
def test_not_addresses(value):
    assert ip_address(value) is False


def test_registered():
    assert IpAddressTests().tests()["ip_address"] is ip_address
