"""The few HTML pages the stand-in serves, plain and escaped. Every title says "stand-in"."""

from __future__ import annotations

from html import escape

DISABLED_MANAGER = "The database manager has been disabled by the administrator"


def _page(title: str, body: str) -> bytes:
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"/><title>{escape(title)} | stand-in</title></head>\n'
            f"<body>\n{body}\n</body></html>\n").encode("utf-8")


def login(csrf_token: str, login_name: str = "", error: str | None = None, redirect: str = "",
          show_manager_link: bool = True) -> bytes:
    alert = f'<p class="alert alert-danger" role="alert">{escape(error)}</p>\n' if error else ""
    manager = '<p><a href="/web/database/manager">Manage Databases</a></p>\n' if show_manager_link else ""
    return _page("Login", (
        '<form class="oe_login_form" role="form" method="post" action="/web/login">\n'
        f'<input type="hidden" name="csrf_token" value="{escape(csrf_token)}"/>\n'
        f'<label for="login">Email</label><input type="text" name="login" id="login" value="{escape(login_name)}"'
        ' required="required" autocapitalize="off"/>\n'
        '<label for="password">Password</label><input type="password" name="password" id="password"'
        ' required="required" autocomplete="current-password"/>\n'
        f'<input type="hidden" name="redirect" value="{escape(redirect)}"/>\n'
        f'{alert}<button type="submit">Log in</button>\n</form>\n{manager}'))


def web_client(login_name: str, dbname: str) -> bytes:
    return _page("Web client", (
        f"<h1>stand-in web client</h1>\n<p>Logged in as {escape(login_name)} on {escape(dbname)}.</p>\n"
        '<p><a href="/web/session/logout">Log out</a></p>'))


def database_manager(list_db: bool, databases: list[str], manage: bool = True, error: str | None = None) -> bytes:
    parts = []
    if error:
        parts.append(f'<div class="alert alert-danger">{escape(error)}</div>')
    if not list_db:
        parts.append(f'<div class="alert alert-danger text-center">{DISABLED_MANAGER}</div>')
    else:
        items = "".join(f'<li><a href="/web?db={escape(db)}">{escape(db)}</a></li>' for db in databases)
        parts.append(f'<h1>{"Database manager" if manage else "Select a database"}</h1>\n<ul class="list-group">{items}</ul>')
        if manage:
            parts.append("<p>Create, duplicate, backup and restore are not implemented by the stand-in.</p>")
    return _page("Database manager" if manage else "Database selector", "\n".join(parts))


def error(status: int, title: str, message: str) -> bytes:
    return _page(f"{status} {title}", f"<h1>{escape(title)}</h1>\n<p>{escape(message)}</p>")
