"""Password hashes in passlib's pbkdf2_sha512 format, the one Odoo stores and accepts.

`$pbkdf2-sha512$<rounds>$<salt>$<checksum>`, salt and checksum in passlib's "adapted base64"
(ab64): standard base64 with `.` instead of `+` and no padding. Odoo hashes users' passwords this
way and accepts `admin_passwd` either in this form or in plain text.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

SCHEME = "pbkdf2-sha512"
ROUNDS = 600_000  # Odoo's CryptContext default since 16.0
SALT_BYTES = 16


def ab64_encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=").replace("+", ".")


def ab64_decode(text: str) -> bytes:
    text = text.replace(".", "+")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def hash_password(password: str, rounds: int = ROUNDS, salt: bytes | None = None) -> str:
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, rounds)
    return f"${SCHEME}${rounds}${ab64_encode(salt)}${ab64_encode(digest)}"


def is_hashed(stored: str) -> bool:
    return stored.startswith(f"${SCHEME}$")


def verify_password(password: str, stored: str | None) -> bool:
    """True when `password` matches `stored`: a pbkdf2-sha512 hash, or plain text (legacy)."""
    if not stored or password is None:
        return False
    if not is_hashed(stored):
        return hmac.compare_digest(password.encode("utf-8"), stored.encode("utf-8"))
    parts = stored.split("$")
    if len(parts) != 5:
        return False
    rounds, salt, checksum = parts[2:]
    try:
        expected = ab64_decode(checksum)
        digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), ab64_decode(salt), int(rounds))
    except ValueError:
        return False
    return hmac.compare_digest(digest, expected)
