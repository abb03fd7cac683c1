"""The stand-in's pure parts: configuration (and the entrypoint's rule), dbfilter, proxy headers,
websocket handshake and frames, password hashes, filestore paths, sessions, CSRF, log lines."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import subprocess

import pytest

from standin import auth, config, dbfilter, filestore, logs, models, passwords, proxy, sessions, websocket


# conftest.py puts this directory on sys.path.
STANDIN_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "lab", "images", "odoo-standin")


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return str(path)


# ------------------------------------------------------------------------------------- config


def test_file_options_are_cast(tmp_path):
    rc = write(tmp_path / "odoo.conf", "[options]\nhttp_port = 9069\nlist_db = False\nproxy_mode = True\n"
               "db_host = 10.0.0.1,10.0.0.2\nworkers = 3\nlongpolling_port = 9072\ndb_name = False\n")
    cfg = config.Config.load(["-c", rc], environ={}, home=str(tmp_path))
    assert cfg["http_port"] == 9069
    assert cfg["list_db"] is False
    assert cfg["proxy_mode"] is True
    assert cfg["db_host"] == "10.0.0.1,10.0.0.2"
    assert cfg["gevent_port"] == 9072  # the legacy name
    assert cfg["db_name"] is None
    assert cfg.prefork


def test_command_line_overrides_file(tmp_path):
    rc = write(tmp_path / "odoo.conf", "[options]\ndb_host = filehost\ndb_user = fileuser\nhttp_port = 9069\n")
    cfg = config.Config.load(["-c", rc, "--db_host", "clihost", "-p", "8000", "-dprod", "-i", "base,web",
                              "--stop-after-init", "--without-demo=all", "--proxy-mode", "--log-level=warn"],
                             environ={}, home=str(tmp_path))
    assert (cfg["db_host"], cfg["db_user"], cfg["http_port"]) == ("clihost", "fileuser", 8000)
    assert cfg.db_names == ["prod"]
    assert cfg.modules_to_init == ["base", "web"]
    assert cfg["stop_after_init"] and cfg["proxy_mode"]
    assert not cfg.demo_for("base")
    assert cfg["log_level"] == "warn"


def test_odoo_rc_and_defaults(tmp_path):
    rc = write(tmp_path / "rc.conf", "[options]\nworkers = 0\n")
    cfg = config.Config.load([], environ={"ODOO_RC": rc}, home=str(tmp_path))
    assert cfg.rcfile == rc
    assert not cfg.prefork
    assert (cfg["http_port"], cfg["gevent_port"], cfg["db_sslmode"], cfg["list_db"]) == (8069, 8072, "prefer", True)
    # Odoo's default data_dir is the user's data directory, not /var/lib/odoo.
    assert cfg["data_dir"] == os.path.join(str(tmp_path), ".local", "share", "Odoo")
    assert config.default_data_dir({"XDG_DATA_HOME": "/x"}, str(tmp_path)) == "/x/Odoo"
    assert config.default_data_dir({}, str(tmp_path / "missing")) == "/var/lib/odoo"


def test_unknown_options_warn_and_unreadable_file_is_skipped(tmp_path):
    cfg = config.Config.load(["--no-such-option", "-c", str(tmp_path / "absent.conf")], environ={}, home=str(tmp_path))
    assert any("--no-such-option" in warning for warning in cfg.warnings)
    assert any("absent.conf" in warning for warning in cfg.warnings)


def test_without_demo_variants():
    assert config.parse_args(["--without-demo", "--stop-after-init"])[0]["without_demo"] == "all"
    assert config.parse_args(["--without-demo", "sale,stock"])[0]["without_demo"] == "sale,stock"
    cfg = config.Config({"without_demo": "sale"}, "", [], [])
    assert cfg.demo_for("base") and not cfg.demo_for("sale")


def test_bad_values_are_refused():
    with pytest.raises(config.ConfigError):
        config.parse_args(["--http-port", "eighty"])
    with pytest.raises(config.ConfigError):
        config.parse_args(["-d"])


# ------------------------------------------------------------------ the entrypoint's rule


@pytest.fixture(name="entrypoint")
def fixture_entrypoint(tmp_path):
    """Run entrypoint.sh with stub `odoo` and `wait-for-psql.py` that print their arguments."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name in ("odoo", "wait-for-psql.py"):
        stub = bindir / name
        stub.write_text(f'#!/bin/sh\nprintf "{name}"; for a in "$@"; do printf "|%s" "$a"; done; echo\n')
        stub.chmod(0o755)

    def run(args, conf="[options]\n", **env):
        rc = write(tmp_path / "odoo.conf", conf)
        full_env = {"PATH": f"{bindir}:/usr/bin:/bin", "ODOO_RC": rc, **env}
        out = subprocess.run(["bash", os.path.join(STANDIN_DIR, "entrypoint.sh")] + args, env=full_env,
                             capture_output=True, text=True, check=True)
        return out.stdout.splitlines()

    return run


def test_entrypoint_defaults_and_environment(entrypoint):
    assert entrypoint(["odoo", "-d", "db1"]) == [
        "wait-for-psql.py|--db_host|db|--db_port|5432|--db_user|odoo|--db_password|odoo|--timeout=30",
        "odoo|-d|db1|--db_host|db|--db_port|5432|--db_user|odoo|--db_password|odoo",
    ]
    lines = entrypoint(["--stop-after-init"], HOST="pg", PORT="6432", USER="u", PASSWORD="p")
    assert lines[-1] == "odoo|--stop-after-init|--db_host|pg|--db_port|6432|--db_user|u|--db_password|p"


def test_entrypoint_takes_values_from_the_config_file(entrypoint):
    conf = "[options]\ndb_host = 10.77.0.81,10.77.0.82\ndb_password = s3cret\n; db_user = commented\n"
    lines = entrypoint(["odoo"], conf, HOST="ignored", PASSWORD="ignored")
    assert lines[-1] == "odoo|--db_host|10.77.0.81,10.77.0.82|--db_port|5432|--db_user|odoo|--db_password|s3cret"


def test_entrypoint_reads_the_third_field_like_the_official_one(entrypoint):
    # The official script cuts on spaces: `key=value` without spaces is passed whole.
    lines = entrypoint(["odoo"], "[options]\ndb_host=pg1\n")
    assert "--db_host|db_host=pg1|" in lines[-1]


def test_entrypoint_runs_other_commands_as_given(entrypoint):
    assert entrypoint(["echo", "hello"]) == ["hello"]
    assert entrypoint(["odoo", "scaffold", "x"]) == ["odoo|scaffold|x"]


# --------------------------------------------------------------------------------- dbfilter


@pytest.mark.parametrize("host, expected", [
    ("www.Shop.example.com:8069", ("Shop.example.com", "Shop")),
    ("erp.example.com", ("erp.example.com", "erp")),
    ("10.77.0.5:8069", ("10.77.0.5", "10")),
    ("", ("", "")),
])
def test_host_parts(host, expected):
    assert dbfilter.host_parts(host) == expected


def test_dbfilter_rules():
    dbs = ["erp", "erp_test", "shop"]
    assert dbfilter.db_filter(dbs, "erp.example.com", "^%d$", None) == ["erp"]
    assert dbfilter.db_filter(dbs, "erp.example.com", "%d", None) == ["erp", "erp_test"]  # re.match: prefix
    assert dbfilter.db_filter(dbs, "www.erp.example.com", "^%h$", None) == []
    assert dbfilter.db_filter(["erp.example.com"], "erp.example.com:443", "^%h$", None) == ["erp.example.com"]
    assert dbfilter.db_filter(dbs, "any", "", "shop, nope") == ["shop"]
    assert dbfilter.db_filter(dbs, "any", "", None) == dbs
    # dbfilter wins over db_name; db_name alone lists its names without asking PostgreSQL.
    assert dbfilter.db_filter(dbs, "shop.x", "^%d$", "erp") == ["shop"]
    assert dbfilter.listed_databases(["owned"], "", "a,b") == ["a", "b"]
    assert dbfilter.listed_databases(["owned"], "^%d$", "a,b") == ["owned"]


def test_choose_database():
    assert dbfilter.choose_database(None, "erp.x", ["erp", "shop"], "^%d$", None) == "erp"
    assert dbfilter.choose_database(None, "h", ["erp", "shop"], "", None) is None  # several: no monodb
    assert dbfilter.choose_database(None, "h", [], "", None) is None
    assert dbfilter.choose_database("shop", "h", ["erp", "shop"], "", None) == "shop"
    assert dbfilter.choose_database("shop", "erp.x", ["erp", "shop"], "^%d$", None) == "erp"


# ------------------------------------------------------------------------------------ proxy


def test_forwarded_headers_only_with_proxy_mode_and_forwarded_host():
    headers = {"Host": "10.0.0.5:8069", "X-Forwarded-For": "203.0.113.9, 10.0.0.1",
               "X-Forwarded-Host": "erp.example.com", "X-Forwarded-Proto": "https"}
    assert proxy.request_origin(headers, "10.0.0.1", False) == proxy.Origin("10.0.0.1", "10.0.0.5:8069", "http")
    # one trusted hop: the last address, the one the proxy appended
    assert proxy.request_origin(headers, "10.0.0.1", True) == proxy.Origin("10.0.0.1", "erp.example.com", "https")
    headers["X-Forwarded-For"] = "203.0.113.9"
    assert proxy.request_origin(headers, "10.0.0.1", True).remote_addr == "203.0.113.9"
    del headers["X-Forwarded-Host"]
    assert proxy.request_origin(headers, "10.0.0.1", True) == proxy.Origin("10.0.0.1", "10.0.0.5:8069", "http")


# -------------------------------------------------------------------------------- websocket


class Headers(dict):
    """Case-insensitive .get, like http.client.HTTPMessage."""

    def get(self, key, default=None):
        return next((value for name, value in self.items() if name.lower() == key.lower()), default)


def handshake(**overrides):
    base = {"Host": "erp", "Connection": "keep-alive, Upgrade", "Upgrade": "websocket", "Origin": "http://erp",
            "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    base.update(overrides)
    return Headers({key: value for key, value in base.items() if value is not None})


def test_accept_key_rfc6455_example():
    assert websocket.accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_handshake_checks():
    assert websocket.handshake_error(handshake()) is None
    assert websocket.handshake_error(handshake(Origin=None)) == (400, "Empty or missing header(s): origin")
    assert websocket.handshake_error(handshake(Upgrade="h2c"))[0] == 400
    assert websocket.handshake_error(handshake(Connection="close"))[0] == 400
    assert websocket.handshake_error(handshake(**{"Sec-WebSocket-Version": "8"}))[0] == 426
    assert websocket.handshake_error(handshake(**{"Sec-WebSocket-Key": "c2hvcnQ="}))[0] == 400
    assert websocket.handshake_error(handshake(**{"Sec-WebSocket-Key": "not base64!"}))[0] == 400


def client_frame(opcode, payload, fin=True, mask=b"\x01\x02\x03\x04"):
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    size = len(payload)
    length = struct.pack("!B", 0x80 | size) if size < 126 else struct.pack("!BH", 0x80 | 126, size)
    return struct.pack("!B", (0x80 if fin else 0) | opcode) + length + mask + masked


def test_frames_round_trip():
    assert websocket.read_frame(io.BytesIO(client_frame(websocket.TEXT, b"hello"))) == (True, websocket.TEXT, b"hello")
    big = b"x" * 300
    assert websocket.read_frame(io.BytesIO(client_frame(websocket.BINARY, big)))[2] == big
    assert websocket.encode_frame(websocket.TEXT, b"hi") == b"\x81\x02hi"
    assert websocket.encode_frame(websocket.TEXT, big)[:4] == b"\x81\x7e\x01\x2c"
    with pytest.raises(websocket.ConnectionClosed):
        websocket.read_frame(io.BytesIO(b"\x81\x02hi"))  # unmasked client frame


class FakeSocket:
    def __init__(self):
        self.sent = b""

    def sendall(self, data):
        self.sent += data


def test_echo_until_close():
    stream = io.BytesIO(client_frame(websocket.TEXT, b"par", fin=False) + client_frame(websocket.CONTINUATION, b"t")
                        + client_frame(websocket.PING, b"p") + client_frame(websocket.CLOSE, struct.pack("!H", 1000)))
    sock = FakeSocket()
    websocket.Connection(sock, stream).serve_echo()
    assert sock.sent == b"\x81\x04part" + b"\x8a\x01p" + b"\x88\x02\x03\xe8"


# -------------------------------------------------------------------------------- passwords


# Hashes made by passlib's pbkdf2_sha512 (published test vectors), one with "." in its ab64 text.
@pytest.mark.parametrize("password, stored", [
    ("hashsmith", "$pbkdf2-sha512$1000$c2FsdHk$46H1UX84CF/CtUdeJF51PxwS9GOLR2Gb0SCwA8og0Qvf0pRq7yqrNkP6oUwFADk3UU90M7IUXgwXJz2oFBfQug"),
    ("password", "$pbkdf2-sha512$1000$MDEyMzQ1Njc4OWFiY2RlZg$38DzhdBT7fPaUGBlsh42VTuuKSFAIYGZJ7l6feCDLIl.K3hdPFgxxu7xuUi4gIuH6cEIoODn18xH9Ig2ryNgUw"),
])
def test_passlib_hashes_verify(password, stored):
    assert passwords.verify_password(password, stored)
    assert not passwords.verify_password(password + "x", stored)


def test_hash_and_plain_admin_passwd():
    stored = passwords.hash_password("admin", rounds=1000, salt=b"0123456789abcdef")
    assert stored.startswith("$pbkdf2-sha512$1000$MDEyMzQ1Njc4OWFiY2RlZg$")
    assert passwords.verify_password("admin", stored)
    assert passwords.verify_password("plain", "plain") and not passwords.verify_password("plain", "other")
    assert not passwords.verify_password("x", "$pbkdf2-sha512$1000$bad")
    assert passwords.ab64_decode(passwords.ab64_encode(b"\xfb\xff\x00")) == b"\xfb\xff\x00"
    assert "+" not in passwords.ab64_encode(b"\xfb\xef\xbe") and "=" not in passwords.ab64_encode(b"a")


# -------------------------------------------------------------------------------- filestore


def test_filestore_layout(tmp_path):
    content = b"hello attachment"
    sha1 = hashlib.sha1(content).hexdigest()
    assert filestore.store_fname(sha1) == f"{sha1[:2]}/{sha1}"
    assert filestore.filestore_dir("/var/lib/odoo", "prod") == "/var/lib/odoo/filestore/prod"
    fname, checksum, size = filestore.write(str(tmp_path), "prod", content)
    assert (fname, checksum, size) == (f"{sha1[:2]}/{sha1}", sha1, len(content))
    path = tmp_path / "filestore" / "prod" / sha1[:2] / sha1
    assert path.read_bytes() == content
    assert filestore.write(str(tmp_path), "prod", content) == (fname, checksum, size)  # once per checksum


# --------------------------------------------------------------------------------- sessions


def test_redis_settings_follow_session_redis():
    assert sessions.redis_settings({}) is None
    assert sessions.redis_settings({"ODOO_SESSION_REDIS": "0"}) is None
    settings = sessions.redis_settings({"ODOO_SESSION_REDIS": "true", "ODOO_SESSION_REDIS_URL": "redis://odoo:pw@r:6379/0",
                                        "ODOO_SESSION_REDIS_EXPIRATION": "3600"})
    assert settings["url"] == "redis://odoo:pw@r:6379/0"
    assert (settings["prefix"], settings["expiration"], settings["anon_expiration"]) == ("session:", 3600, 10800)
    assert sessions.redis_key_prefix("prod") == "session::prod:"  # the add-on's exact key layout


def test_file_sessions_round_trip(tmp_path):
    store = sessions.FileStore(str(tmp_path))
    session = sessions.Session(sessions.new_sid())
    assert sessions.is_valid_sid(session.sid) and not sessions.is_valid_sid("../etc/passwd")
    session.set(db="prod", uid=2, login="admin")
    store.save(session)
    assert (tmp_path / session.sid[:2] / session.sid).exists()
    loaded = store.get(session.sid)
    assert (loaded["db"], loaded["uid"], loaded.new) == ("prod", 2, False)
    store.delete(session.sid)
    assert store.get(session.sid) is None


# ------------------------------------------------------------------------------------- auth


def test_csrf_tokens():
    token = auth.csrf_token("secret", "sid1", now=1000)
    assert auth.check_csrf("secret", "sid1", token, now=2000)
    assert not auth.check_csrf("secret", "sid2", token, now=2000)
    assert not auth.check_csrf("other", "sid1", token, now=2000)
    assert not auth.check_csrf("secret", "sid1", token, now=1000 + auth.CSRF_TOKEN_SALT + 1)
    assert not auth.check_csrf("secret", "sid1", None)


def test_login_cooldown():
    throttle = auth.LoginThrottle()
    for source in ["10.0.0.1"] * 5:
        throttle.failed(source)
    assert throttle.on_cooldown("10.0.0.1", 5, 60) == (True, 5)
    assert throttle.on_cooldown("10.0.0.2", 5, 60) == (False, 0)
    assert not throttle.on_cooldown("10.0.0.1", 0, 60)[0]  # base.login_cooldown_after = 0 disables it
    throttle.succeeded("10.0.0.1")
    assert not throttle.on_cooldown("10.0.0.1", 5, 60)[0]


# ------------------------------------------------------------------------------ logs, models


def test_access_line_masks_secrets():
    line = logs.access_line("203.0.113.9", "GET", "/web/login?redirect=/web&password=hunter2", "HTTP/1.1",
                            200, 2, 0.004, 0.010)
    assert line.startswith('203.0.113.9 - - [')
    assert '] "GET /web/login?redirect=/web&password=*** HTTP/1.1" 200 - 2 0.004 0.006' in line
    assert "hunter2" not in line


def test_domains():
    assert models.where_clause([]) == ("TRUE", [])
    assert models.where_clause([["name", "ilike", "ab"], ["id", "in", [1, 2]]]) == (
        "name ILIKE %s AND id IN %s", ["%ab%", (1, 2)])
    with pytest.raises(ValueError):
        models.where_clause([["name; DROP TABLE x", "=", 1]])


# ------------------------------------------------------------------------- server-wide modules


class _Log:
    def __init__(self):
        self.errors, self.warnings = [], []

    def error(self, msg, *args):
        self.errors.append(msg % args)

    def warning(self, msg, *args):
        self.warnings.append(msg % args)


def test_missing_server_wide_module_is_logged_like_odoo(tmp_path):
    from standin import addons  # pylint: disable=import-outside-toplevel

    log = _Log()
    loaded, missing = addons.load_server_wide(["base", "web", "session_redis"], str(tmp_path), log)
    assert (loaded, missing) == (["base", "web"], ["session_redis"])
    assert log.errors and log.errors[0].startswith("Failed to load server-wide module `session_redis`.")


def test_server_wide_module_found_only_with_its_manifest(tmp_path):
    from standin import addons  # pylint: disable=import-outside-toplevel

    (tmp_path / "session_redis").mkdir()
    assert addons.find_module("session_redis", f"/nonexistent,{tmp_path}") is None
    (tmp_path / "session_redis" / "__manifest__.py").write_text("{}", encoding="utf-8")
    assert addons.find_module("session_redis", f"/nonexistent, {tmp_path}") == str(tmp_path / "session_redis")
    assert addons.find_module("web", None) == "<builtin>"


def test_lab_addon_marker_is_a_manifest():
    from standin import addons  # pylint: disable=import-outside-toplevel

    assert addons.find_module("session_redis", os.path.join(STANDIN_DIR, "lab-addons"))


def test_redis_sessions_need_the_loaded_addon(tmp_path):
    env = {"ODOO_SESSION_REDIS": "1", "ODOO_SESSION_REDIS_HOST": "127.0.0.1"}
    log = _Log()
    store = sessions.make_store(str(tmp_path), ["base", "web"], env, log)
    assert isinstance(store, sessions.FileStore)
    assert "not a loaded server-wide module" in log.warnings[0]


def test_asset_pages_answer_500_while_a_module_is_missing():
    from standin import app as app_mod  # pylint: disable=import-outside-toplevel

    broken = app_mod.App(cfg=None, pool=None, store=None, missing_modules=["session_redis"])
    response = broken.assets_page()
    assert response is not None and response.status == 500
    assert app_mod.App(cfg=None, pool=None, store=None).assets_page() is None


# --- crons: which databases a cron worker touches (odoo/service/server.py WorkerCron._db_list) ------

import logging  # noqa: E402

from standin import cron  # noqa: E402


def _cfg(tmp_path, *args):
    return config.Config.load(["-c", str(tmp_path / "absent.conf"), *args], environ={}, home=str(tmp_path))


def test_prefork_cron_takes_db_name_and_does_not_ask_postgresql(tmp_path):
    asked = []
    cfg = _cfg(tmp_path, "--workers", "2", "-d", "prod,prod_archive")
    assert cron.prefork_databases(cfg, lambda: asked.append(1) or ["prod", "staging"]) == ["prod", "prod_archive"]
    assert not asked


def test_prefork_cron_without_db_name_runs_every_database_the_role_owns(tmp_path):
    cfg = _cfg(tmp_path, "--workers", "2")
    assert cron.prefork_databases(cfg, lambda: ["prod", "staging"]) == ["prod", "staging"]


class _Cursor:
    def __init__(self, jobs):
        self.jobs, self.result, self.updates = jobs, None, []

    def execute(self, query, args=None):
        if "to_regclass" in query:
            self.result = [(True,)]
        elif query.startswith("SELECT id"):
            self.result = self.jobs
        else:
            self.updates.append(args)

    def fetchone(self):
        return self.result[0]

    def fetchall(self):
        return self.result


class _Pool:
    def __init__(self, cursor, fail=None):
        self.cursor, self.fail, self.dbs = cursor, fail, []

    def run(self, db, work):
        self.dbs.append(db)
        if self.fail:
            raise self.fail
        return work(self.cursor)


def test_due_jobs_run_and_log_with_their_database(caplog):
    cur = _Cursor([(7, "Lab: heartbeat", 1)])
    pool = _Pool(cur)
    seen = []

    def note_db(_record):
        seen.append(logs.current_db())
        return True

    logger = logging.getLogger("standin.cron")
    logger.addFilter(note_db)
    try:
        with caplog.at_level("INFO", logger="standin.cron"):
            assert cron.process_jobs(pool, "prod") == 1
    finally:
        logger.removeFilter(note_db)
    assert cur.updates == [(1, 7)] and pool.dbs == ["prod"]
    assert [r.getMessage() for r in caplog.records] == ["Job 'Lab: heartbeat' (7) starting", "Job 'Lab: heartbeat' (7) done"]
    assert set(seen) == {"prod"}


def test_a_database_the_role_may_not_enter_is_a_warning_not_a_crash(caplog):
    with caplog.at_level("WARNING", logger="standin.cron"):
        assert cron.process_jobs(_Pool(None, fail=RuntimeError("permission denied for database staging")), "staging") == 0
    assert "Exception in cron:" in caplog.text


def test_threaded_crons_follow_loaded_registries():
    cron.mark_loaded("zz_loaded_by_test")
    assert "zz_loaded_by_test" in cron.loaded()
