# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

# Documentation: one YAML file per filter next to this file (odoo_password_hash.yml, odoo_password_verify.yml,
# odoo_url_host.yml, odoo_redis_url.yml).
#
# Odoo stores res_users.password as a passlib pbkdf2_sha512 hash, made and checked by module_utils/_odoo_password.py
# (hashlib only: passlib is not needed on the controller).
import hmac
import ipaddress
import typing as t
from urllib.parse import quote

from ansible.errors import AnsibleFilterError
from ansible_collections.odoo_cloud.platform.plugins.module_utils import _odoo_password as pw

SCHEME = pw.SCHEME
DEFAULT_ROUNDS = pw.ROUNDS


def _text(value: t.Any, what: str) -> str:
    if not isinstance(value, str):
        raise AnsibleFilterError(f"{what}: expects a string, got {type(value).__name__}")
    return str(value)


def odoo_password_hash(password: t.Any, salt: t.Any = None, rounds: t.Any = DEFAULT_ROUNDS) -> str:
    """passlib pbkdf2_sha512 hash of `password`, as Odoo stores it in res_users.password."""
    password = _text(password, "odoo_password_hash")
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
        raise AnsibleFilterError(f"odoo_password_hash: rounds must be a positive whole number, got {rounds!r}")
    salt_bytes = None
    if salt is not None:
        # A fixed salt is for tests only: the same input then gives the same hash, and anyone who knows the salt
        # can precompute it.
        salt_bytes = _text(salt, "odoo_password_hash salt").encode("utf-8")
        if not salt_bytes:
            raise AnsibleFilterError("odoo_password_hash: salt must not be empty")
    return pw.make_hash(password, rounds, salt_bytes)


def odoo_password_verify(stored: t.Any, password: t.Any) -> bool:
    """Whether `password` logs in against `stored` (a pbkdf2_sha512 hash, or legacy plain text)."""
    password = _text(password, "odoo_password_verify")
    if stored is None or stored == "":
        return False
    stored = _text(stored, "odoo_password_verify stored value")
    if not stored.startswith(f"${SCHEME}$"):
        # Odoo's CryptContext keeps 'plaintext' as a deprecated scheme: a plain value still logs in.
        return hmac.compare_digest(stored.encode("utf-8"), password.encode("utf-8"))
    return pw.verify(password, stored)


def odoo_url_host(address: t.Any) -> str:
    """An address as the host part of a URL or a Docker published port: IPv6 in brackets."""
    address = _text(address, "odoo_url_host").strip()
    if not address:
        raise AnsibleFilterError("odoo_url_host: the address is empty")
    if address.startswith("[") and address.endswith("]"):
        address = address[1:-1]
    if ":" in address:
        try:
            ipaddress.IPv6Address(address.split("%", 1)[0])
        except ValueError as exc:
            raise AnsibleFilterError(
                f"odoo_url_host: {address!r} is neither a host name, an IPv4 address nor an IPv6 address") from exc
        return f"[{address}]"
    return address


def odoo_redis_url(host: t.Any, port: t.Any = 6379, user: t.Any = "", password: t.Any = "", db: t.Any = 0,
                   tls: t.Any = False) -> str:
    """redis:// (or rediss://) URL with user and password percent-encoded (every character but
    letters, digits and '-._~'), IPv6 hosts in brackets."""
    if isinstance(port, bool) or not str(port).isdigit() or not 1 <= int(port) <= 65535:
        raise AnsibleFilterError(f"odoo_redis_url: port must be a port number (1-65535), got {port!r}")
    if isinstance(db, bool) or not str(db).isdigit():
        raise AnsibleFilterError(f"odoo_redis_url: db must be a database number, got {db!r}")
    user = _text(user or "", "odoo_redis_url user")
    password = _text(password or "", "odoo_redis_url password")
    userinfo = ""
    if user or password:
        userinfo = quote(user, safe="") + (":" + quote(password, safe="") if password else "") + "@"
    scheme = "rediss" if tls else "redis"
    return f"{scheme}://{userinfo}{odoo_url_host(host)}:{int(port)}/{int(db)}"


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {
            "odoo_password_hash": odoo_password_hash,
            "odoo_password_verify": odoo_password_verify,
            "odoo_url_host": odoo_url_host,
            "odoo_redis_url": odoo_redis_url,
        }
