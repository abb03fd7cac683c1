from __future__ import annotations

import hashlib
from urllib.parse import unquote, urlsplit

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.odoo_cloud.platform.plugins.module_utils._odoo_password import ab64_decode as _ab64_decode
from ansible_collections.odoo_cloud.platform.plugins.filter.odoo_password_hash import (
    FilterModule,
    odoo_password_hash,
    odoo_password_verify,
    odoo_redis_url,
    odoo_url_host,
)

# Every printable ASCII character the role must carry: quotes, '/', '@', ':', '#', '%', spaces, braces.
NASTY = "a b'c\"d/e@f:g#h%i{j}k\\l&m?n=o+p~q!r$s^t*u(v)w[x]y|z<>;,`.-_"


# passlib's own documented examples (passlib.hash.pbkdf2_digest and the passlib front page), pbkdf2-sha256
# flavour of the same format: they pin the adapted base64 ('.' for '+', no padding) and the field order.
@pytest.mark.parametrize(("password", "stored"), [
    ("password", "$pbkdf2-sha256$6400$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0sUisdZd0Xr97KWoymNE0LNNrnEgY4H9M"),
    ("toomanysecrets", "$pbkdf2-sha256$29000$N2YMIWQsBWBMae09x1jrPQ$1t8iyB2A.WF/Z5JZv.lfCIhXXN33N23OSgQYThBYRfk"),
])
def test_adapted_base64_matches_passlib_documented_hashes(password, stored):
    scheme, rounds, salt, checksum = stored.split("$")[1:]
    assert scheme == "pbkdf2-sha256"
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), _ab64_decode(salt), int(rounds))
    assert digest == _ab64_decode(checksum)


def test_hash_known_vector():
    # PBKDF2-HMAC-SHA512("password", "salt", 1): the published test vector, in passlib's layout.
    assert odoo_password_hash("password", salt="salt", rounds=1) == (
        "$pbkdf2-sha512$1$c2FsdA$hn9wzxreAs/zdSWZo6U9xK80x6ZpgVrl1RNVThyM8lLALUcKKFoFAbrZmb/pQ8CPBQI119aLHaVeY/c7YKV/zg")


def test_hash_defaults_to_odoo_rounds_and_random_salt():
    first, second = odoo_password_hash("s3cret-value"), odoo_password_hash("s3cret-value")
    assert first.startswith("$pbkdf2-sha512$600000$") and len(first.split("$")) == 5
    assert first != second
    assert odoo_password_verify(first, "s3cret-value") and odoo_password_verify(second, "s3cret-value")


@pytest.mark.parametrize("password", [NASTY, "pässwörd ünïcode", " leading and trailing ", "%41%2F"])
def test_verify_round_trip_every_character(password):
    stored = odoo_password_hash(password, rounds=1000)
    assert odoo_password_verify(stored, password) is True
    assert odoo_password_verify(stored, password + "x") is False
    assert odoo_password_verify(stored, password.strip() + "!") is False


@pytest.mark.parametrize("stored", [None, "", "$pbkdf2-sha512$x$c2FsdA$AAAA", "$pbkdf2-sha512$1$***$AAAA",
                                    "$pbkdf2-sha512$1$c2FsdA", "$pbkdf2-sha512$0$c2FsdA$AAAA"])
def test_verify_refuses_malformed_or_empty(stored):
    assert odoo_password_verify(stored, "admin") is False


def test_verify_plaintext_legacy_value():
    # Odoo's CryptContext keeps 'plaintext' (deprecated): a plain stored value still logs in.
    assert odoo_password_verify("admin", "admin") is True
    assert odoo_password_verify("admin", "Admin") is False


def test_odoo_default_admin_hash_detected():
    assert odoo_password_verify(odoo_password_hash("admin", rounds=600_000), "admin") is True


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"password": 5}, "expects a string"),
    ({"password": "x", "rounds": 0}, "rounds"),
    ({"password": "x", "rounds": True}, "rounds"),
    ({"password": "x", "salt": ""}, "salt"),
])
def test_hash_bad_input(kwargs, needle):
    with pytest.raises(AnsibleFilterError, match=needle):
        odoo_password_hash(**kwargs)


@pytest.mark.parametrize(("address", "expected"), [
    ("10.0.0.5", "10.0.0.5"),
    ("app1.example.com", "app1.example.com"),
    ("fd00::21", "[fd00::21]"),
    ("[fd00::21]", "[fd00::21]"),
    ("2001:db8::1", "[2001:db8::1]"),
])
def test_url_host_brackets_ipv6_only(address, expected):
    assert odoo_url_host(address) == expected


@pytest.mark.parametrize("address", ["", "fd00::zz", 12])
def test_url_host_bad(address):
    with pytest.raises(AnsibleFilterError):
        odoo_url_host(address)


def test_redis_url_every_printable_character_survives():
    url = odoo_redis_url("10.0.0.31", 6379, "odoo", NASTY)
    parts = urlsplit(url)
    assert parts.scheme == "redis" and parts.hostname == "10.0.0.31" and parts.port == 6379 and parts.path == "/0"
    assert unquote(parts.username) == "odoo" and unquote(parts.password) == NASTY
    # Nothing of the password is left unencoded that a URL parser could take for a delimiter.
    userinfo = url[len("redis://"):url.rindex("@")]
    assert not set("/@#?[] ") & set(userinfo) and userinfo.count(":") == 1


def test_redis_url_as_redis_py_parses_it():
    redis = pytest.importorskip("redis")
    kwargs = redis.connection.parse_url(odoo_redis_url("fd00::31", 6380, "odo:o", NASTY, db=2))
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("fd00::31", 6380, 2)
    assert (kwargs["username"], kwargs["password"]) == ("odo:o", NASTY)


def test_redis_url_ipv6_and_tls_and_no_credentials():
    assert odoo_redis_url("fd00::31") == "redis://[fd00::31]:6379/0"
    assert odoo_redis_url("10.0.0.31", tls=True, password="p/w") == "rediss://:p%2Fw@10.0.0.31:6379/0"
    assert odoo_redis_url("10.0.0.31", user="odoo") == "redis://odoo@10.0.0.31:6379/0"


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"port": "x"}, "port"), ({"port": 0}, "port"), ({"port": True}, "port"), ({"db": -1}, "db"),
    ({"password": 123}, "password"),
])
def test_redis_url_bad_input(kwargs, needle):
    with pytest.raises(AnsibleFilterError, match=needle):
        odoo_redis_url("10.0.0.31", **kwargs)


def test_filters_registered():
    assert set(FilterModule().filters()) == {"odoo_password_hash", "odoo_password_verify", "odoo_url_host", "odoo_redis_url"}


@pytest.mark.parametrize("password", [NASTY, "admin"])
def test_agrees_with_the_odoo_config_module(password):
    # odoo_config hashes admin_passwd with its own copy of the format: both must read each other's hashes.
    from ansible_collections.odoo_cloud.platform.plugins.modules import odoo_config  # pylint: disable=import-outside-toplevel

    assert odoo_password_verify(odoo_config.hash_admin_password(password, rounds=1000), password)
    assert odoo_config.verify_admin_password(password, odoo_password_hash(password, rounds=1000))
    assert odoo_password_hash(password, salt="fixed-salt", rounds=1000) == odoo_config.hash_admin_password(
        password, rounds=1000, salt=b"fixed-salt")
