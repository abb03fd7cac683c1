"""Logins, CSRF tokens and session tokens, as Odoo checks them.

- res_users holds pbkdf2-sha512 hashes; only active users log in.
- After `base.login_cooldown_after` (5) failures from one address, logins from it are refused for
  `base.login_cooldown_duration` (60) seconds: behind a proxy without proxy_mode every user shares
  the proxy's address, which is how a misconfigured proxy shows.
- CSRF tokens (the login form) are an HMAC of the session id with the database secret, so any
  server of the same database accepts them.
- An authenticated session carries a token bound to the user's password hash: changing the
  password ends the user's sessions everywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time

from . import passwords, schema

CSRF_TOKEN_SALT = 60 * 60 * 24 * 365


class AccessDenied(Exception):
    def __init__(self, message: str = "Access Denied"):
        super().__init__(message)


def csrf_token(secret: str, sid: str, now: float | None = None) -> str:
    max_ts = int((time.time() if now is None else now) + CSRF_TOKEN_SALT)
    digest = hmac.new(secret.encode("utf-8"), f"{sid}{max_ts}".encode("utf-8"), hashlib.sha1).hexdigest()
    return f"{digest}o{max_ts}"


def check_csrf(secret: str, sid: str, token: str | None, now: float | None = None) -> bool:
    digest, sep, max_ts = (token or "").rpartition("o")
    if not sep or not max_ts.isdigit() or int(max_ts) < (time.time() if now is None else now):
        return False
    expected = hmac.new(secret.encode("utf-8"), f"{sid}{max_ts}".encode("utf-8"), hashlib.sha1).hexdigest()
    return hmac.compare_digest(digest, expected)


def session_token(secret: str, sid: str, uid: int, password_hash: str | None) -> str:
    message = f"{sid}:{uid}:{password_hash or ''}".encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


class LoginThrottle:
    """Failed logins per source address, in this process (as Odoo keeps them per registry)."""

    def __init__(self):
        self._failures: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def on_cooldown(self, source: str, after: int, duration: int) -> tuple[bool, int]:
        with self._lock:
            failures, last = self._failures.get(source, (0, 0.0))
        return (after > 0 and failures >= after and time.time() - last < duration), failures

    def failed(self, source: str) -> None:
        with self._lock:
            failures = self._failures.get(source, (0, 0.0))[0]
            self._failures[source] = (failures + 1, time.time())

    def succeeded(self, source: str) -> None:
        with self._lock:
            self._failures.pop(source, None)


def check_credentials(cur, login: str, password: str) -> tuple[int, str]:
    """(uid, password hash) of the active user `login` if `password` is right, else AccessDenied."""
    cur.execute("SELECT id, password FROM res_users WHERE login = %s AND active ORDER BY id LIMIT 1", (login,))
    row = cur.fetchone()
    if not row or not passwords.verify_password(password or "", row[1]):
        raise AccessDenied()
    return row[0], row[1]


def user_password_hash(cur, uid: int) -> str | None:
    cur.execute("SELECT password FROM res_users WHERE id = %s AND active", (uid,))
    row = cur.fetchone()
    return row[0] if row else None


def cooldown_settings(cur) -> tuple[int, int]:
    return (int(schema.get_param(cur, "base.login_cooldown_after", "5")),
            int(schema.get_param(cur, "base.login_cooldown_duration", "60")))
