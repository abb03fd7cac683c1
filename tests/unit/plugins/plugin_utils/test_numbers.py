from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.odoo_cloud.platform.plugins.plugin_utils._numbers import at_least, whole_number


@pytest.mark.parametrize(("value", "number"), [(5, 5), (5.0, 5), ("7", 7), (" -3 ", -3), ("+4", 4)])
def test_whole_number(value, number):
    assert whole_number(value, "field", "fix") == number


@pytest.mark.parametrize("value", [True, 5.5, "5.5", "five", None, [5], ""])
def test_not_a_whole_number(value):
    with pytest.raises(AnsibleFilterError, match=r"^field must be a whole number, got .*; give one$"):
        whole_number(value, "field", "give one")


def test_at_least():
    assert at_least("3", 3, "field", "fix") == 3
    with pytest.raises(AnsibleFilterError, match=r"^field must be at least 4, got 3; raise it$"):
        at_least(3, 4, "field", "raise it")
