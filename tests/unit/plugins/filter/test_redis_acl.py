from __future__ import annotations

import hashlib

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.odoo_cloud.platform.plugins.filter.redis_acl import FilterModule, redis_acl, rule_error

PASSWORD = "a-long-enough-password"
DIGEST = hashlib.sha256(PASSWORD.encode()).hexdigest()


def user(**overrides):
    base = {"name": "odoo", "password": PASSWORD, "rules": "~* &* +@all -@dangerous"}
    base.update(overrides)
    return base


def test_renders_hashed_line():
    assert redis_acl(user()) == f"user odoo on #{DIGEST} ~* &* +@all -@dangerous"


def test_password_never_in_line():
    assert PASSWORD not in redis_acl(user())


def test_disabled_user_and_rule_list():
    line = redis_acl(user(enabled=False, rules=["~session:*", "+get +set", "-@dangerous"]))
    assert line == f"user odoo off #{DIGEST} ~session:* +get +set -@dangerous"


@pytest.mark.parametrize(
    "rule",
    ["+get", "-flushall", "+client|setname", "+@read", "-@dangerous", "~*", "%R~cache:*", "%RW~x", "&*",
     "allkeys", "resetkeys", "allchannels", "resetchannels", "allcommands", "nocommands", "reset", "clearselectors"],
)
def test_valid_rules(rule):
    assert rule_error(rule) is None


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        ("+@nosuch", "unknown command category '@nosuch'"),
        (">secret", "password rules are not allowed"),
        ("#abcdef", "password rules are not allowed"),
        ("nopass", "password rules are not allowed"),
        ("on", "'enabled' field"),
        ("%X~keys", "a key rule is"),
        ("&", "a channel rule needs a pattern"),
        ("(~x +get)", "selectors"),
        ("get", "not an ACL rule"),
        ("+", "not an ACL rule"),
    ],
)
def test_invalid_rules_say_why(rule, why):
    assert why in rule_error(rule)


def test_invalid_rule_names_user_and_rule():
    with pytest.raises(AnsibleFilterError, match=r"user 'odoo': rule '\+@nosuch' is invalid"):
        redis_acl(user(rules="+@all +@nosuch"))


@pytest.mark.parametrize("password", ["", "tiny1", None, 12345678901234])
def test_bad_password_is_refused_without_echo(password):
    with pytest.raises(AnsibleFilterError) as exc:
        redis_acl(user(password=password))
    assert "password is empty or shorter than 12" in str(exc.value)
    if isinstance(password, str) and password:
        assert password not in str(exc.value)


def test_min_password_length_is_configurable():
    assert redis_acl(user(password="sixteen-chars-ok"), min_password_length=16).startswith("user odoo on #")
    with pytest.raises(AnsibleFilterError, match="shorter than 32"):
        redis_acl(user(), min_password_length=32)


@pytest.mark.parametrize("name", ["", "with space", None, "bad:name"])
def test_bad_user_name(name):
    with pytest.raises(AnsibleFilterError, match="user name"):
        redis_acl(user(name=name))


@pytest.mark.parametrize("rules", [None, 42, [1], "", []])
def test_bad_rules_type_or_empty(rules):
    with pytest.raises(AnsibleFilterError, match="user 'odoo'"):
        redis_acl(user(rules=rules))


def test_enabled_must_be_bool():
    with pytest.raises(AnsibleFilterError, match="'enabled' must be a boolean"):
        redis_acl(user(enabled="yes"))


def test_not_a_dict():
    with pytest.raises(AnsibleFilterError, match="expects a user dict"):
        redis_acl("odoo")


def test_filter_is_registered():
    assert FilterModule().filters()["redis_acl"] is redis_acl
