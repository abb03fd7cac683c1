# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Odoo's password hashes, shared by the odoo_config and odoo_tenant modules and the odoo_password_* filters.

Odoo keeps res_users.password and a hashed admin_passwd as passlib pbkdf2_sha512 text:
``$pbkdf2-sha512$<rounds>$<salt>$<checksum>``, salt and checksum in passlib's "adapted base64" (the standard
alphabet with '.' for '+', no padding). hashlib makes and checks them: passlib is not needed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import typing as t

SCHEME = "pbkdf2-sha512"
# Odoo's crypt_context since 17.0 (res_users.py: pbkdf2_sha512__rounds=600_000); 16.0 verifies it too.
ROUNDS = 600_000
SALT_BYTES = 16
HASH_RE = re.compile(r"^\$pbkdf2-sha512\$([1-9][0-9]*)\$([A-Za-z0-9./]+)\$([A-Za-z0-9./]+)$")


def ab64_encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=").replace("+", ".")


def ab64_decode(text: str) -> bytes:
    padded = text.replace(".", "+") + "=" * (-len(text) % 4)
    return base64.b64decode(padded.encode("ascii"), validate=True)


def is_hash(value: t.Any) -> bool:
    return isinstance(value, str) and HASH_RE.match(value) is not None


def make_hash(password: str, rounds: int = ROUNDS, salt: bytes | None = None) -> str:
    """A new hash of the password; a random salt unless one is given (tests and cross-checks only)."""
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    checksum = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, rounds)
    return f"${SCHEME}${rounds}${ab64_encode(salt)}${ab64_encode(checksum)}"


def hash_salt(stored: str) -> bytes | None:
    """The salt of a hash, or None when the text is not one."""
    match = HASH_RE.match(stored or "")
    if not match:
        return None
    try:
        return ab64_decode(match.group(2))
    except (ValueError, TypeError):
        return None


def verify(password: str, stored: str | None) -> bool:
    """Whether the hash `stored` is the password's (constant-time comparison)."""
    match = HASH_RE.match(stored or "")
    if not match:
        return False
    try:
        salt = ab64_decode(match.group(2))
        checksum = ab64_decode(match.group(3))
    except (ValueError, TypeError):
        return False
    if not checksum:
        return False
    computed = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, int(match.group(1)), len(checksum))
    return hmac.compare_digest(computed, checksum)


def keep_or_make(password: str, current: str | None, rounds: int = ROUNDS,
                 retired_salts: t.Iterable[bytes] = ()) -> str:
    """The current hash when it is still the password's, else a new one with a random salt.

    Keeping it is what makes a rerun with an unchanged password change nothing, without a salt anyone could
    predict. A hash whose salt is in `retired_salts` (made by an older release from a fixed salt) is replaced.
    """
    if current and hash_salt(current) not in set(retired_salts) and verify(password, current):
        return current
    return make_hash(password, rounds)
