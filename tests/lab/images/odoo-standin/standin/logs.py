"""Log lines shaped like Odoo's: `<date> <pid> <LEVEL> <db> <logger>: <message>`, on stderr or in logfile.

Requests are logged werkzeug-style by the `werkzeug` logger:
`<ip> - - [<date>] "<METHOD> <path> HTTP/1.1" <status> - <queries> <query time> <other time>`.
Query-string values of credential-looking parameters are masked; bodies and cookies are never logged.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
import threading
import time

FORMAT = "%(asctime)s %(pid)s %(levelname)s %(dbname)s %(name)s: %(message)s"
LEVELS = {
    "debug_rpc_answer": logging.DEBUG, "debug_rpc": logging.DEBUG, "debug": logging.DEBUG,
    "debug_sql": logging.DEBUG, "info": logging.INFO, "runbot": logging.INFO, "test": logging.INFO,
    "warn": logging.WARNING, "error": logging.ERROR, "critical": logging.CRITICAL, "notset": logging.NOTSET,
}
SECRET_PARAM = re.compile(r"(?i)((?:^|[?&;])[^=&;]*(?:pass|pwd|secret|token|key|session)[^=&;]*=)[^&;]*")

_context = threading.local()


def set_db(dbname: str | None) -> None:
    _context.dbname = dbname


def current_db() -> str:
    return getattr(_context, "dbname", None) or "?"


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.pid = os.getpid()
        record.dbname = current_db()
        return True


def setup(log_level: str = "info", logfile: str | None = None) -> None:
    handler: logging.Handler
    if logfile:
        os.makedirs(os.path.dirname(os.path.abspath(logfile)), exist_ok=True)
        handler = logging.handlers.WatchedFileHandler(logfile)
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(_ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(LEVELS.get((log_level or "info").lower(), logging.INFO))


def masked_path(path: str) -> str:
    """The request path with the values of password/token-like query parameters masked."""
    return SECRET_PARAM.sub(r"\1***", path)


def access_line(remote_addr: str, method: str, path: str, version: str, status: int,
                queries: int, query_time: float, total_time: float) -> str:
    date = time.strftime("%d/%b/%Y %H:%M:%S")
    other = max(total_time - query_time, 0.0)
    return (f'{remote_addr} - - [{date}] "{method} {masked_path(path)} {version}" {status} - '
            f"{queries} {query_time:.3f} {other:.3f}")
