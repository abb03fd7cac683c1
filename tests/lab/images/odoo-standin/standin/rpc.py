"""JSON-RPC 2.0 envelopes and errors in the shape Odoo's JSON routes return them (HTTP 200 either way)."""

from __future__ import annotations

import psycopg2

from . import auth, models
from .web import Response


class SessionExpired(Exception):
    pass


class AccessError(Exception):
    pass


# Exception class -> the `data.name` a client sees, as Odoo names them.
ERROR_NAMES = (
    (auth.AccessDenied, "odoo.exceptions.AccessDenied"),
    (AccessError, "odoo.exceptions.AccessError"),
    (models.MissingError, "odoo.exceptions.MissingError"),
    (models.UserError, "odoo.exceptions.UserError"),
)


def result(request_id, value) -> Response:
    return Response.json({"jsonrpc": "2.0", "id": request_id, "result": value})


def error_name(exc: BaseException) -> str:
    for cls, name in ERROR_NAMES:
        if isinstance(exc, cls):
            return name
    if isinstance(exc, psycopg2.Error):
        return f"psycopg2.{type(exc).__name__}"
    return f"{type(exc).__module__}.{type(exc).__name__}"


def error(request_id, exc: BaseException) -> Response:
    if isinstance(exc, SessionExpired):
        code, message, data = 100, "Odoo Session Expired", {
            "name": "odoo.http.SessionExpiredException", "message": "Session expired", "arguments": ["Session expired"]}
    else:
        text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        code, message, data = 200, "Odoo Server Error", {
            "name": error_name(exc), "message": text, "arguments": [text], "context": {}}
    return Response.json({"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message, "data": data}})
