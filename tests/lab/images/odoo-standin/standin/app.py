"""The routes, with Odoo's rules for choosing the database and handling the session.

Without a database (none or several allowed for the host, none in the session) the pages that need
one redirect to /web/database/selector, which lists databases only when list_db is on, as Odoo does.
"""

from __future__ import annotations

import logging

import psycopg2

from . import auth, cron, dbfilter, logs, models, pages, passwords, pg, rpc, schema, sessions, websocket
from .web import HttpError, Request, Response, login_redirect_target

_logger = logging.getLogger("standin.http")
_auth_logger = logging.getLogger("standin.auth")

MANAGER_ACTIONS = ("create", "duplicate", "drop", "backup", "restore", "rename", "change_password")


class App:
    def __init__(self, cfg, pool: pg.Pool, store, throttle: auth.LoginThrottle | None = None,
                 missing_modules: list[str] | None = None):
        self.cfg = cfg
        self.pool = pool
        self.store = store
        self.throttle = throttle or auth.LoginThrottle()
        # Server-wide modules that were not found: pages with asset bundles answer 500, as in Odoo.
        self.missing_modules = list(missing_modules or [])

    def assets_page(self) -> Response | None:
        """The 500 Odoo answers on a page that loads assets while a server-wide module is missing."""
        if not self.missing_modules:
            return None
        _logger.error("Exception during request handling.\nTraceback (most recent call last):\n"
                      "  File \"odoo/addons/base/models/ir_asset.py\", in _fill_asset_paths\nKeyError: 'assets'"
                      " (server-wide module %s has no manifest: it is not on the addons path)",
                      ", ".join(self.missing_modules))
        return Response.error(500, "Internal Server Error",
                              "The server encountered an internal error and was unable to complete your request.")

    # ----------------------------------------------------------------- databases

    def allowed(self, dbs: list[str], host: str) -> list[str]:
        return dbfilter.db_filter(dbs, host, self.cfg.get("dbfilter", ""), self.cfg["db_name"])

    def db_list(self, host: str) -> list[str]:
        """Databases this host may use (Odoo's http.db_list(force=True))."""
        dbfilter_expr, db_name = self.cfg.get("dbfilter", ""), self.cfg["db_name"]
        try:
            owned = [] if (db_name and not dbfilter_expr) else self.pool.run("postgres", self._owned)
        except psycopg2.OperationalError as exc:
            _logger.warning("could not list databases: %s", str(exc).strip())
            return []
        return self.allowed(dbfilter.listed_databases(owned, dbfilter_expr, db_name), host)

    def _owned(self, cur) -> list[str]:
        return pg.owned_databases(cur, self.cfg.get("db_template", "template0"))

    def resolve_db(self, req: Request, session: sessions.Session) -> str | None:
        host = req.origin.host
        current = session.get("db")
        db = dbfilter.choose_database(current, host, [] if current and self.allowed([current], host)
                                      else self.db_list(host), self.cfg.get("dbfilter", ""), self.cfg["db_name"])
        if current != db:
            if current:
                _logger.warning("Logged into database %r, but dbfilter rejects it; logging session out.", current)
                session.logout(keep_db=False)
            session["db"] = db  # not a change worth saving by itself, as in Odoo
        return db

    def ensure_db(self, req: Request, session: sessions.Session, db: str | None) -> str:
        """Odoo's ensure_db: ?db= switches to a fresh session; no database goes to the selector."""
        wanted = (req.query.get("db") or "").strip()
        if wanted and not self.allowed([wanted], req.origin.host):
            wanted = ""
        wanted = wanted or db
        if not wanted:
            raise HttpError(Response.redirect("/web/database/selector", 303))
        if wanted != session.get("db"):
            fresh = sessions.Session(sessions.new_sid())
            fresh.set(db=wanted)
            req.replaced_session = fresh
            raise HttpError(Response.redirect(req.target, 302))
        return wanted

    def secret(self, db: str) -> str:
        value = self.pool.run(db, lambda cur: schema.get_param(cur, "database.secret")
                              if schema.is_initialized(cur) else None)
        if not value:
            raise HttpError(Response.error(500, "Internal Server Error",
                                           f"Database {db} not initialized, you can force it with `-i base`"))
        return value

    # ------------------------------------------------------------------ sessions

    def load_session(self, req: Request) -> sessions.Session:
        sid = req.cookies.get("session_id")
        if not sessions.is_valid_sid(sid):
            return sessions.Session(sessions.new_sid())
        return self.store.get(sid) or sessions.Session(sid)

    def save_session(self, req: Request, session: sessions.Session, response: Response) -> None:
        if session.dirty:
            if session.rotated_from:
                self.store.delete(session.rotated_from)
            self.store.save(session)
        if session.dirty or req.cookies.get("session_id") != session.sid:
            response.set_session_cookie(session.sid, secure=req.origin.scheme == "https")

    def session_valid(self, session: sessions.Session, db: str) -> bool:
        """An authenticated session whose token still matches the user (Odoo's check_session)."""
        uid = session.get("uid")
        if not uid or session.get("db") != db:
            return False

        def check(cur):
            secret = schema.get_param(cur, "database.secret") or ""
            password_hash = auth.user_password_hash(cur, uid)
            return password_hash is not None and auth.session_token(
                secret, session.sid, uid, password_hash) == session.get("session_token")

        if self.pool.run(db, check):
            return True
        session.logout(keep_db=True)
        return False

    def authenticate(self, req: Request, session: sessions.Session, db: str, login: str, password: str) -> int:
        source = req.origin.remote_addr

        def check(cur):
            after, duration = auth.cooldown_settings(cur)
            blocked, failures = self.throttle.on_cooldown(source, after, duration)
            if blocked:
                _auth_logger.warning("Login attempt ignored for %s (user %r) on %s: %d failures since last success",
                                     source, login, db, failures)
                raise auth.AccessDenied("Too many login failures, please wait a bit before trying again.")
            try:
                uid, password_hash = auth.check_credentials(cur, login, password)
            except auth.AccessDenied:
                self.throttle.failed(source)
                _auth_logger.info("Login failed for db:%s login:%s from %s", db, login, source)
                raise
            self.throttle.succeeded(source)
            _auth_logger.info("Login successful for db:%s login:%s from %s", db, login, source)
            return uid, password_hash, schema.get_param(cur, "database.secret") or ""

        uid, password_hash, secret = self.pool.run(db, check)
        session.rotate()
        session.set(db=db, login=login, uid=uid,
                    session_token=auth.session_token(secret, session.sid, uid, password_hash))
        return uid

    # -------------------------------------------------------------------- routes

    def handle(self, req: Request, websocket_here: bool) -> Response:
        if req.path == "/web/health":
            return self.health(req)
        if req.path.startswith("/web/database/"):
            return self.database_manager(req)
        session = self.load_session(req)
        try:
            db = self.resolve_db(req, session)
            logs.set_db(db)
            if db:
                cron.mark_loaded(db)
            response = self.route(req, session, db, websocket_here)
        except HttpError as exc:
            response = exc.response
        if not response.upgrade:
            self.save_session(req, req.replaced_session or session, response)
        return response

    def route(self, req: Request, session: sessions.Session, db: str | None, websocket_here: bool) -> Response:
        path = req.path
        if path == "/websocket":
            return self.websocket(req, db, websocket_here)
        if path == "/":
            return Response.redirect("/web", 303)
        if path in ("/web", "/odoo") or path.startswith("/odoo/"):
            return self.web_client(req, session, db)
        if path == "/web/login":
            return self.login(req, session, db)
        if path == "/web/session/logout":
            session.logout(keep_db=True)
            session.rotate()
            return Response.redirect(req.query.get("redirect") or "/web", 303)
        if path == "/web/session/authenticate":
            return self.json_route(req, lambda params: self.rpc_authenticate(req, session, params))
        if db and path == "/web/session/get_session_info":
            return self.json_route(req, lambda params: self.session_info(session, db, required=True))
        if db and (path == "/web/dataset/call_kw" or path.startswith("/web/dataset/call_kw/")):
            return self.json_route(req, lambda params: self.call_kw(session, db, params))
        return Response.error(404, "Not Found", "The requested URL was not found on the server.")

    def health(self, req: Request) -> Response:
        info, status = {"status": "pass"}, 200
        if req.query.get("db_server_status"):
            try:
                pg.connect(self.cfg, "postgres").close()
                info["db_server_status"] = True
            except psycopg2.Error:
                info.update(status="fail", db_server_status=False)
                status = 500
        response = Response.json(info, status)
        response.headers.append(("Cache-Control", "no-store"))
        return response

    def websocket(self, req: Request, db: str | None, websocket_here: bool) -> Response:
        if not db:
            return Response.error(404, "Not Found", "The requested URL was not found on the server.")
        problem = websocket.handshake_error(req.headers)
        if problem:
            status, reason = problem
            extra = [("Sec-WebSocket-Version", "13")] if status == 426 else None
            return Response.error(status, "Bad Request" if status == 400 else "Upgrade Required", reason, extra)
        if not websocket_here:
            message = (f"Couldn't bind the websocket. Is the connection opened on the evented port"
                       f" ({self.cfg['gevent_port']})?")
            _logger.error("Exception during request handling. RuntimeError: %s", message)
            return Response.error(500, "Internal Server Error", message)
        return Response(b"", 101, None, [
            ("Upgrade", "websocket"), ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", websocket.accept_key(req.headers.get("Sec-WebSocket-Key")))])

    def web_client(self, req: Request, session: sessions.Session, db: str | None) -> Response:
        db = self.ensure_db(req, session, db)
        if not self.session_valid(session, db):
            return Response.redirect(login_redirect_target(req.path), 303)
        return self.assets_page() or Response(pages.web_client(session.get("login") or "", db))

    def login(self, req: Request, session: sessions.Session, db: str | None) -> Response:
        db = self.ensure_db(req, session, db)
        redirect = req.param("redirect") or ""
        if req.method == "GET" and redirect and session.get("uid"):
            return Response.redirect(redirect, 303)
        secret = self.secret(db)
        error, login_name = None, req.param("login") or ""
        if req.method == "POST":
            if not auth.check_csrf(secret, session.sid, req.form.get("csrf_token")):
                _logger.warning("CSRF validation failed on path '%s'", req.path)
                return Response.error(400, "Bad Request", "Session expired (invalid CSRF token)")
            try:
                self.authenticate(req, session, db, login_name, req.form.get("password") or "")
                return Response.redirect(redirect or "/web", 303)
            except auth.AccessDenied as exc:
                error = "Wrong login/password" if exc.args == auth.AccessDenied().args else exc.args[0]
        broken = self.assets_page()
        if broken:
            return broken
        body = pages.login(auth.csrf_token(secret, session.sid), login_name, error, redirect,
                           show_manager_link=bool(self.cfg["list_db"]))
        return Response(body, headers=[("X-Frame-Options", "SAMEORIGIN"),
                                       ("Content-Security-Policy", "frame-ancestors 'self'")])

    # -------------------------------------------------------------- JSON routes

    def json_route(self, req: Request, work) -> Response:
        if req.method != "POST":
            return Response.error(405, "Method Not Allowed", "The method is not allowed for the requested URL.")
        try:
            payload = req.json()
            params = payload.get("params") or {}
            request_id = payload.get("id")
        except (ValueError, AttributeError):
            return Response.error(400, "Bad Request", "Invalid JSON data")
        try:
            return rpc.result(request_id, work(params))
        except (rpc.SessionExpired, auth.AccessDenied, rpc.AccessError, models.UserError) as exc:
            return rpc.error(request_id, exc)
        except Exception as exc:  # pylint: disable=broad-exception-caught  # becomes a JSON-RPC error
            _logger.error("%s: %s", type(exc).__name__, str(exc).strip())
            return rpc.error(request_id, exc)

    def session_info(self, session: sessions.Session, db: str, required: bool = False) -> dict:
        if required and not self.session_valid(session, db):
            raise rpc.SessionExpired()
        uid = session.get("uid")
        return {"uid": uid, "is_admin": uid == 2, "is_system": uid == 2, "db": db,
                "username": session.get("login"), "name": session.get("login"),
                "user_context": {"lang": "en_US", "tz": "UTC", "uid": uid},
                "server_version": "stand-in", "server_version_info": [], "session_id_rotated": True}

    def rpc_authenticate(self, req: Request, session: sessions.Session, params: dict) -> dict:
        db, login, password = params.get("db"), params.get("login"), params.get("password")
        if not db or not self.allowed([db], req.origin.host):
            raise rpc.AccessError("Database not found.")
        logs.set_db(db)
        self.authenticate(req, session, db, login or "", password or "")
        return self.session_info(session, db)

    def call_kw(self, session: sessions.Session, db: str, params: dict):
        if not self.session_valid(session, db):
            raise rpc.SessionExpired()
        uid, data_dir = session["uid"], self.cfg.get("data_dir")

        def work(cur):
            env = models.Env(cur, uid, db, data_dir)
            return models.call_kw(env, params.get("model"), params.get("method"),
                                  params.get("args") or [], params.get("kwargs") or {})

        return self.pool.run(db, work)

    # --------------------------------------------------------- database manager

    def database_manager(self, req: Request) -> Response:
        action = req.path.rstrip("/").rsplit("/", 1)[-1]
        list_db = bool(self.cfg["list_db"])
        if action in ("selector", "manager"):
            databases = self.db_list(req.origin.host) if list_db else []
            return Response(pages.database_manager(list_db, databases, manage=action == "manager"))
        if action == "list":
            def listing(_params):
                if not list_db:
                    raise auth.AccessDenied()
                return self.db_list(req.origin.host)
            return self.json_route(req, listing)
        if action in MANAGER_ACTIONS and req.method == "POST":
            return self.manager_action(req, action, list_db)
        return Response.error(404, "Not Found", "The requested URL was not found on the server.")

    def manager_action(self, req: Request, action: str, list_db: bool) -> Response:
        verb = action.replace("_", " ")
        if not list_db:
            _logger.error("Database management functions blocked, admin disabled database listing")
            return Response(pages.database_manager(False, [], error=f"Database {verb} error: Access Denied"))
        if not passwords.verify_password(req.form.get("master_pwd") or "", str(self.cfg.get("admin_passwd", ""))):
            return Response(pages.database_manager(True, self.db_list(req.origin.host),
                                                   error=f"Database {verb} error: Access Denied"))
        return Response.error(501, "Not Implemented", f"Database {verb} is not implemented by the stand-in.")
