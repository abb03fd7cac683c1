"""HTTP sessions: files under `<data_dir>/sessions/` (Odoo's default) or Redis, as camptocamp's
session_redis add-on stores them.

session_redis is configured by environment and acts only when loaded as a server-wide module
(`server_wide_modules = base,web,session_redis` or `--load`) AND found on the addons path (a
`session_redis/__manifest__.py` in a directory of addons_path; see addons.py), as with the real add-on:
ODOO_SESSION_REDIS=1, then ODOO_SESSION_REDIS_URL (redis://[user[:password]@]host[:port][/db],
rediss:// for TLS; takes precedence) or ODOO_SESSION_REDIS_HOST / _PORT / _PASSWORD;
ODOO_SESSION_REDIS_PREFIX, ODOO_SESSION_REDIS_EXPIRATION (default 7 days),
ODOO_SESSION_REDIS_EXPIRATION_ANONYMOUS (default 3 hours). Keys are `session:<sid>`, or with a prefix
`session::<prefix>:<sid>` (the add-on's exact spelling, double colon included).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile

SID_RE = re.compile(r"^[A-Za-z0-9_-]{84}$")
DEFAULT_EXPIRATION = 60 * 60 * 24 * 7
DEFAULT_EXPIRATION_ANONYMOUS = 60 * 60 * 3
TRUE_WORDS = ("y", "yes", "t", "true", "on", "1")


def new_sid() -> str:
    return secrets.token_urlsafe(63)  # 84 characters, like Odoo's


def is_valid_sid(sid: str | None) -> bool:
    return bool(sid) and SID_RE.match(sid) is not None


class Session(dict):
    """Odoo's session keys: db, login, uid, session_token, context, debug."""

    def __init__(self, sid: str, data: dict | None = None, new: bool = True):
        super().__init__({"db": None, "login": None, "uid": None, "session_token": None,
                          "context": {}, "debug": ""})
        self.update(data or {})
        self.sid = sid
        self.new = new
        self.dirty = False
        self.rotated_from: str | None = None

    def set(self, **values) -> None:
        for key, value in values.items():
            if self.get(key) != value:
                self[key] = value
                self.dirty = True

    def logout(self, keep_db: bool = True) -> None:
        self.set(uid=None, login=None, session_token=None)
        if not keep_db:
            self.set(db=None)

    def rotate(self) -> None:
        """A new id after login (the old key is deleted when saved)."""
        self.rotated_from = self.rotated_from or self.sid
        self.sid = new_sid()
        self.dirty = True


class FileStore:
    def __init__(self, path: str):
        self.path = path

    def _file(self, sid: str) -> str:
        return os.path.join(self.path, sid[:2], sid)

    def get(self, sid: str) -> Session | None:
        try:
            with open(self._file(sid), encoding="utf-8") as handle:
                return Session(sid, json.load(handle), new=False)
        except (OSError, ValueError):
            return None

    def save(self, session: Session) -> None:
        path = self._file(session.sid)
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(dict(session), handle)
        os.replace(tmp, path)

    def delete(self, sid: str) -> None:
        try:
            os.unlink(self._file(sid))
        except OSError:
            pass

    def describe(self) -> str:
        return f"files under {self.path}"


def redis_key_prefix(prefix: str | None) -> str:
    return f"session::{prefix}:" if prefix else "session:"


def redis_settings(environ: dict) -> dict | None:
    """session_redis's environment, or None when it is not switched on."""
    if (environ.get("ODOO_SESSION_REDIS") or "0").strip().lower() not in TRUE_WORDS:
        return None
    return {
        "url": environ.get("ODOO_SESSION_REDIS_URL") or None,
        "host": environ.get("ODOO_SESSION_REDIS_HOST") or "localhost",
        "port": int(environ.get("ODOO_SESSION_REDIS_PORT") or 6379),
        "password": environ.get("ODOO_SESSION_REDIS_PASSWORD") or None,
        "prefix": redis_key_prefix(environ.get("ODOO_SESSION_REDIS_PREFIX")),
        "expiration": int(environ.get("ODOO_SESSION_REDIS_EXPIRATION") or DEFAULT_EXPIRATION),
        "anon_expiration": int(environ.get("ODOO_SESSION_REDIS_EXPIRATION_ANONYMOUS")
                               or DEFAULT_EXPIRATION_ANONYMOUS),
    }


class RedisStore:
    def __init__(self, settings: dict):
        import redis  # pylint: disable=import-outside-toplevel  # only with session_redis on

        if settings["url"]:
            self.client = redis.Redis.from_url(settings["url"])
            where = self.client.connection_pool.connection_kwargs
            self.where = f"{where.get('host', '?')}:{where.get('port', 6379)}"
        else:
            self.client = redis.Redis(host=settings["host"], port=settings["port"],
                                      password=settings["password"])
            self.where = f"{settings['host']}:{settings['port']}"
        self.prefix = settings["prefix"]
        self.expiration = settings["expiration"]
        self.anon_expiration = settings["anon_expiration"]

    def get(self, sid: str) -> Session | None:
        saved = self.client.get(self.prefix + sid)
        if not saved:
            return None
        try:
            return Session(sid, json.loads(saved.decode("utf-8")), new=False)
        except ValueError:
            return Session(sid, {}, new=False)

    def save(self, session: Session) -> None:
        key = self.prefix + session.sid
        expiration = self.expiration if session.get("uid") else self.anon_expiration
        if self.client.set(key, json.dumps(dict(session)).encode("utf-8")):
            self.client.expire(key, expiration)

    def delete(self, sid: str) -> None:
        self.client.delete(self.prefix + sid)

    def describe(self) -> str:
        return f"Redis at {self.where}, keys {self.prefix}<sid>"


def make_store(data_dir: str, loaded_modules: list[str], environ: dict, logger):
    """`loaded_modules`: the server-wide modules that were found and loaded (addons.load_server_wide)."""
    settings = redis_settings(environ)
    if settings and "session_redis" not in loaded_modules:
        logger.warning("ODOO_SESSION_REDIS is set but session_redis is not a loaded server-wide module"
                       " (server_wide_modules / --load, and on the addons path): sessions stay on the filesystem")
        settings = None
    return RedisStore(settings) if settings else FileStore(os.path.join(data_dir, "sessions"))
