"""Requests and responses as the routes see them, and the session cookie Odoo sets."""

from __future__ import annotations

import json
import time
from email.utils import formatdate
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qsl, quote, urlsplit

from . import pages
from .proxy import Origin

SESSION_LIFETIME = 60 * 60 * 24 * 7


class Request:
    def __init__(self, method: str, target: str, version: str, headers, body: bytes, origin: Origin):
        self.method = method.upper()
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.origin = origin
        parts = urlsplit(target)
        self.path = parts.path or "/"
        self.query = dict(parse_qsl(parts.query, keep_blank_values=True))
        self.cookies = parse_cookies(headers.get("Cookie"))
        self._form = None
        self.replaced_session = None  # set when the route starts a fresh session (Odoo's ensure_db)

    @property
    def form(self) -> dict:
        if self._form is None:
            kind = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            text = self.body.decode("utf-8", "replace") if kind == "application/x-www-form-urlencoded" else ""
            self._form = dict(parse_qsl(text, keep_blank_values=True))
        return self._form

    def param(self, name: str, default: str | None = None) -> str | None:
        """A form field, else a query parameter (Odoo's request.params)."""
        return self.form.get(name, self.query.get(name, default))

    def json(self):
        return json.loads(self.body.decode("utf-8") or "null")


def parse_cookies(header: str | None) -> dict:
    cookie = SimpleCookie()
    try:
        cookie.load(header or "")
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in cookie.items()}


class Response:
    def __init__(self, body: bytes = b"", status: int = 200, content_type: str = "text/html; charset=utf-8",
                 headers: list[tuple[str, str]] | None = None):
        self.status = status
        self.body = body
        self.headers = list(headers or [])
        if content_type and status != 101:
            self.headers.append(("Content-Type", content_type))

    @property
    def upgrade(self) -> bool:
        return self.status == 101

    @classmethod
    def redirect(cls, location: str, status: int = 303) -> Response:
        return cls(b"", status, None, [("Location", location)])

    @classmethod
    def json(cls, data, status: int = 200) -> Response:
        return cls(json.dumps(data).encode("utf-8"), status, "application/json")

    @classmethod
    def error(cls, status: int, title: str, message: str, headers=None) -> Response:
        return cls(pages.error(status, title, message), status, headers=headers)

    def set_session_cookie(self, sid: str, secure: bool) -> None:
        expires = formatdate(time.time() + SESSION_LIFETIME, usegmt=True)
        value = f"session_id={sid}; Expires={expires}; Max-Age={SESSION_LIFETIME}; HttpOnly; Path=/; SameSite=Lax"
        self.headers.append(("Set-Cookie", value + ("; Secure" if secure else "")))


class HttpError(Exception):
    """Ends a route with this response."""

    def __init__(self, response: Response):
        super().__init__(response.status)
        self.response = response


def login_redirect_target(path: str, query: str = "") -> str:
    target = path + (f"?{query}" if query else "")
    return "/web/login?redirect=" + quote(target, safe="")
