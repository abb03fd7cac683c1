# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of the odoo_config module: the module runs for real on files under tmp_path."""

from __future__ import annotations

import base64
import configparser
import grp
import hashlib
import json
import os
import pwd
import re
import stat

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.odoo_cloud.platform.plugins.modules import odoo_config

SECRET = "S3nt1nel-Master-pw"
DB_SECRET = "S3nt1nel-db-pw"
FAST_ROUNDS = 1000


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch):
    """600000 PBKDF2 rounds take a second; tests that need the real count ask for it."""
    monkeypatch.setattr(odoo_config, "HASH_ROUNDS", FAST_ROUNDS)


@pytest.fixture
def conf(tmp_path):
    return tmp_path / "etc" / "odoo.conf"


@pytest.fixture(autouse=True)
def conf_dir(tmp_path):
    (tmp_path / "etc").mkdir()


def run_module(capsys, args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            odoo_config.main()
    out = capsys.readouterr().out
    return exc.value.code, json.loads(out), out


def args_for(conf, **overrides):
    args = {
        "path": str(conf),
        "version": "18.0",
        "options": {"db_host": "10.0.0.11", "db_user": "odoo", "workers": 4, "proxy_mode": True,
                    "list_db": False, "addons_path": ["/opt/odoo/addons", "/opt/custom"]},
        "secret_options": {"admin_passwd": SECRET, "db_password": DB_SECRET},
        "_ansible_diff": True,
    }
    args.update(overrides)
    return args


def read_options(conf):
    """The [options] section the way Odoo reads the file (RawConfigParser)."""
    parser = configparser.RawConfigParser()
    parser.read(conf)
    return dict(parser.items("options"))


def ab64_decode(text):
    return base64.b64decode(text.replace(".", "+") + "=" * (-len(text) % 4))


def independent_verify(password, stored):
    """passlib's pbkdf2_sha512 check, written from its format description with hashlib only."""
    match = re.fullmatch(r"\$pbkdf2-sha512\$(\d+)\$([./A-Za-z0-9]+)\$([./A-Za-z0-9]+)", stored)
    assert match, f"not a passlib pbkdf2-sha512 hash: {stored!r}"
    rounds, salt, checksum = int(match.group(1)), ab64_decode(match.group(2)), ab64_decode(match.group(3))
    assert len(checksum) == 64  # SHA-512 digest size, passlib's checksum size for pbkdf2_sha512
    return hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, rounds) == checksum


# --- writing and idempotence ----------------------------------------------------------------------

def test_writes_the_file_then_changes_nothing(capsys, conf):
    code, out, dummy = run_module(capsys, args_for(conf))
    assert code == 0, out
    assert out["changed"] is True
    values = read_options(conf)
    assert values["db_host"] == "10.0.0.11"
    assert values["workers"] == "4"
    assert values["proxy_mode"] == "True"
    assert values["list_db"] == "False"
    assert values["addons_path"] == "/opt/odoo/addons,/opt/custom"
    assert values["db_password"] == DB_SECRET
    assert independent_verify(SECRET, values["admin_passwd"])
    assert out["options"] == {"addons_path": "/opt/odoo/addons,/opt/custom", "db_host": "10.0.0.11",
                              "db_user": "odoo", "list_db": "False", "proxy_mode": "True", "workers": "4"}
    assert out["secret_options_set"] == ["admin_passwd", "db_password"]
    assert out["removed_options"] == []
    # Sorted, one section, nothing else.
    text = conf.read_text()
    keys = [line.split(" = ")[0] for line in text.splitlines() if " = " in line]
    assert keys == sorted(keys)
    assert re.findall(r"^\[.*\]$", text, re.M) == ["[options]"]

    before = os.stat(conf)
    code, out, dummy = run_module(capsys, args_for(conf))
    assert code == 0
    assert out["changed"] is False
    after = os.stat(conf)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_same_values_written_differently_are_not_rewritten(capsys, conf):
    # The comparison is on the parsed file: order, spacing and comments do not matter.
    conf.write_text("# by hand\n[options]\nworkers=4\ndb_host   =   10.0.0.11\n")
    conf.chmod(0o640)
    args = args_for(conf, options={"db_host": "10.0.0.11", "workers": "4"}, secret_options={})
    code, out, dummy = run_module(capsys, args)
    assert code == 0
    assert out["changed"] is False
    assert conf.read_text().startswith("# by hand")


def test_check_mode_writes_nothing(capsys, conf):
    code, out, dummy = run_module(capsys, args_for(conf, _ansible_check_mode=True))
    assert code == 0
    assert out["changed"] is True
    assert not conf.exists()
    assert out["diff"][0]["before"] == ""
    assert "db_host = 10.0.0.11" in out["diff"][0]["after"]

    conf.write_text("[options]\ndb_host = old\n")
    conf.chmod(0o600)
    code, out, dummy = run_module(capsys, args_for(conf, _ansible_check_mode=True, mode="0644"))
    assert code == 0
    assert out["changed"] is True
    assert conf.read_text() == "[options]\ndb_host = old\n"
    assert stat.S_IMODE(os.stat(conf).st_mode) == 0o600


def test_options_are_removed_and_other_sections_kept(capsys, conf):
    conf.write_text(
        "[options]\nlongpolling_port = 8072\ndb_host = old\nmy_addon_api_key = hunter2\n"
        "\n[queue_job]\nchannels = root:2\n"
    )
    code, out, dummy = run_module(capsys, args_for(conf))
    assert code == 0
    assert out["removed_options"] == ["longpolling_port", "my_addon_api_key"]
    parser = configparser.RawConfigParser()
    parser.read(conf)
    assert parser.sections() == ["options", "queue_job"]
    assert dict(parser.items("queue_job")) == {"channels": "root:2"}
    assert "longpolling_port" not in dict(parser.items("options"))
    # A removed key that looks like a credential is masked in the diff too.
    assert "hunter2" not in json.dumps(out)
    assert "my_addon_api_key = ********" in out["diff"][0]["before"]


def test_default_section_counts_as_options(capsys, conf):
    # configparser (hence Odoo) adds [DEFAULT] keys to [options].
    conf.write_text("[DEFAULT]\nworkers = 4\n[options]\ndb_host = 10.0.0.11\n")
    code, out, dummy = run_module(capsys, args_for(conf, options={"db_host": "10.0.0.11"}, secret_options={}))
    assert code == 0
    assert out["removed_options"] == ["workers"]
    assert "DEFAULT" not in conf.read_text()


def test_null_and_false_leave_options_out(capsys, conf):
    code, out, dummy = run_module(capsys, args_for(conf, options={"db_host": None, "email_from": False,
                                                                  "list_db": False}))
    assert code == 0
    assert read_options(conf).keys() >= {"list_db"}
    assert "db_host" not in read_options(conf)
    assert "email_from" not in read_options(conf)


def test_backup(capsys, conf):
    conf.write_text("[options]\ndb_host = old\n")
    code, out, dummy = run_module(capsys, args_for(conf, backup=True))
    assert code == 0
    assert out["changed"] is True
    with open(out["backup_file"]) as handle:
        assert handle.read() == "[options]\ndb_host = old\n"


def test_unreadable_file_is_not_overwritten(capsys, conf):
    conf.write_text(f"admin_passwd = {SECRET}\nno section header\n")
    code, out, raw = run_module(capsys, args_for(conf))
    assert code == 1
    assert "cannot be read" in out["msg"] and "fix or remove it first" in out["msg"]
    assert SECRET not in raw
    assert conf.read_text().startswith("admin_passwd")


def test_a_directory_is_refused(capsys, tmp_path):
    code, out, dummy = run_module(capsys, args_for(tmp_path / "etc"))
    assert code == 1
    assert "is a directory" in out["msg"]


def test_missing_directory(capsys, tmp_path):
    code, out, dummy = run_module(capsys, args_for(tmp_path / "nowhere" / "odoo.conf"))
    assert code == 1
    assert "does not exist" in out["msg"]


# --- refusals before anything is written ----------------------------------------------------------

def refused(capsys, conf, **overrides):
    code, out, raw = run_module(capsys, args_for(conf, **overrides))
    assert code == 1, out
    assert not conf.exists(), "nothing may be written when the options are refused"
    return out["msg"], raw


def test_unknown_option_with_suggestion(capsys, conf):
    msg, dummy = refused(capsys, conf, options={"db_hots": "10.0.0.11", "workers": 2})
    assert msg == "unknown option 'db_hots' for Odoo 18.0; did you mean 'db_host'?"


def test_unknown_secret_option_with_suggestion(capsys, conf):
    msg, raw = refused(capsys, conf, secret_options={"admin_passwd": SECRET, "db_pasword": DB_SECRET})
    assert msg == "unknown option 'db_pasword' for Odoo 18.0; did you mean 'db_password'?"
    assert DB_SECRET not in raw and SECRET not in raw


def test_option_of_another_version(capsys, conf):
    msg, dummy = refused(capsys, conf, version="17.0", options={"db_replica_host": "10.0.0.12"})
    assert msg == "option 'db_replica_host' does not exist in Odoo 17.0; it exists in Odoo 18.0, 19.0"


def test_renamed_option(capsys, conf):
    msg, dummy = refused(capsys, conf, version="17.0", options={"longpolling_port": 8072})
    assert msg == "option 'longpolling_port' is a deprecated alias of 'gevent_port' in Odoo 17.0; use 'gevent_port'"
    msg, dummy = refused(capsys, conf, version="19.0", options={"longpolling_port": 8072})
    assert "does not exist in Odoo 19.0" in msg and "use 'gevent_port'" in msg


def test_option_odoo_does_not_read_from_the_file(capsys, conf):
    msg, dummy = refused(capsys, conf, options={"init": "sale"})
    assert msg.startswith("option 'init' is not read from the configuration file by Odoo 18.0")


@pytest.mark.parametrize("name", ["admin_passwd", "db_password", "smtp_password"])
def test_secret_in_plain_options(capsys, conf, name):
    msg, raw = refused(capsys, conf, options={name: SECRET}, secret_options={})
    assert msg == f"option '{name}' is a credential: give it in secret_options, not in options"
    assert SECRET not in raw


def test_option_in_both(capsys, conf):
    msg, dummy = refused(capsys, conf, options={"db_user": "odoo"}, secret_options={"db_user": "odoo"})
    assert msg == "option 'db_user' is given in both options and secret_options"


@pytest.mark.parametrize("options, message", [
    ({"workers": "abc"}, "option 'workers' for Odoo 18.0 expects an integer, got 'abc'"),
    ({"proxy_mode": "maybe"}, "option 'proxy_mode' for Odoo 18.0 expects a boolean, got 'maybe'"),
    ({"db_sslmode": "sometimes"}, "option 'db_sslmode' for Odoo 18.0 expects one of disable, allow, prefer,"),
    ({"limit_time_real": [1]}, "option 'limit_time_real' for Odoo 18.0 expects an integer, got [1]"),
    ({"addons_path": {"a": "b"}}, "option 'addons_path' for Odoo 18.0 expects a list or a comma-separated string"),
])
def test_type_errors(capsys, conf, options, message):
    msg, dummy = refused(capsys, conf, options=options)
    assert msg.startswith(message)


def test_type_error_of_a_secret_hides_the_value(capsys, conf):
    msg, raw = refused(capsys, conf, secret_options={"admin_passwd": SECRET, "db_password": [DB_SECRET]})
    assert "option 'db_password' for Odoo 18.0 expects a string" in msg
    assert DB_SECRET not in raw


def test_every_problem_is_reported_at_once(capsys, conf):
    msg, dummy = refused(capsys, conf, options={"db_hots": "x", "workers": "abc"})
    assert msg.split(" | ") == [
        "unknown option 'db_hots' for Odoo 18.0; did you mean 'db_host'?",
        "option 'workers' for Odoo 18.0 expects an integer, got 'abc'",
    ]


def test_refusal_leaves_an_existing_file_alone(capsys, conf):
    conf.write_text("[options]\ndb_host = old\n")
    code, out, dummy = run_module(capsys, args_for(conf, options={"db_hots": "x"}))
    assert code == 1
    assert conf.read_text() == "[options]\ndb_host = old\n"


def test_version_must_be_supported(capsys, conf):
    msg, dummy = refused(capsys, conf, version="15.0")
    assert "version" in msg and "16.0" in msg


# --- secrets --------------------------------------------------------------------------------------

def test_diff_masks_secrets(capsys, conf):
    code, out, raw = run_module(capsys, args_for(conf))
    assert code == 0
    assert SECRET not in raw and DB_SECRET not in raw
    after = out["diff"][0]["after"]
    assert "admin_passwd = ******** (changed)" in after
    assert "db_password = ******** (changed)" in after
    assert "pbkdf2" not in raw  # not even the hash
    assert "admin_passwd" not in out["options"] and "db_password" not in out["options"]

    # Unchanged secrets: masked, not marked as changed.
    code, out, raw = run_module(capsys, args_for(conf, options={"db_host": "10.0.0.12"}))
    assert code == 0 and out["changed"] is True
    diff = out["diff"][0]
    assert "admin_passwd = ********\n" in diff["before"] and "admin_passwd = ********\n" in diff["after"]
    assert "db_host = 10.0.0.11" in diff["before"] and "db_host = 10.0.0.12" in diff["after"]
    assert SECRET not in raw and DB_SECRET not in raw and "pbkdf2" not in raw


def test_other_options_can_be_kept_secret(capsys, conf):
    code, out, raw = run_module(capsys, args_for(conf, secret_options={"admin_passwd": SECRET,
                                                                       "smtp_user": "mailer-S3cret"}))
    assert code == 0
    assert "mailer-S3cret" not in raw
    assert out["secret_options_set"] == ["admin_passwd", "smtp_user"]
    assert read_options(conf)["smtp_user"] == "mailer-S3cret"


def test_missing_admin_password_warns(capsys, conf, monkeypatch):
    # Spy on the call: how warnings reach the output depends on what else the test process imported.
    warned = []
    monkeypatch.setattr(odoo_config.AnsibleModule, "warn", lambda self, msg: warned.append(msg))
    code, out, dummy = run_module(capsys, args_for(conf, secret_options={}))
    assert code == 0
    assert any("admin_passwd is not set" in msg for msg in warned)
    warned.clear()
    run_module(capsys, args_for(conf))
    assert warned == []


# --- admin_passwd ---------------------------------------------------------------------------------

def test_admin_password_hash_round_trip_with_real_rounds(capsys, conf, monkeypatch):
    monkeypatch.setattr(odoo_config, "HASH_ROUNDS", 600_000)
    code, out, dummy = run_module(capsys, args_for(conf))
    assert code == 0
    stored = read_options(conf)["admin_passwd"]
    assert stored.startswith("$pbkdf2-sha512$600000$")
    salt = ab64_decode(stored.split("$")[3])
    assert len(salt) == 16
    assert independent_verify(SECRET, stored)
    assert not independent_verify(SECRET + "x", stored)
    # The module's own check agrees with the independent one.
    assert odoo_config.verify_admin_password(SECRET, stored)
    assert not odoo_config.verify_admin_password("admin", stored)


def test_module_hash_matches_an_independent_computation():
    salt = bytes(range(16))
    stored = odoo_config.hash_admin_password("admin", rounds=25000, salt=salt)
    expected = hashlib.pbkdf2_hmac("sha512", b"admin", salt, 25000)
    assert stored == "$pbkdf2-sha512$25000${}${}".format(
        base64.b64encode(salt).decode().rstrip("=").replace("+", "."),
        base64.b64encode(expected).decode().rstrip("=").replace("+", "."),
    )


def test_an_existing_hash_of_another_rounds_count_is_kept(capsys, conf):
    # For example the passlib default of Odoo 16.0 (25000 rounds): still valid, so no rewrite.
    stored = odoo_config.hash_admin_password(SECRET, rounds=25000)
    conf.write_text(f"[options]\nadmin_passwd = {stored}\n")
    conf.chmod(0o640)
    code, out, dummy = run_module(capsys, args_for(conf, options={}, secret_options={"admin_passwd": SECRET}))
    assert code == 0
    assert out["changed"] is False
    assert read_options(conf)["admin_passwd"] == stored


def test_password_change_rehashes(capsys, conf):
    run_module(capsys, args_for(conf))
    first = read_options(conf)["admin_passwd"]
    code, out, dummy = run_module(capsys, args_for(conf))
    assert out["changed"] is False
    assert read_options(conf)["admin_passwd"] == first

    new = "An0ther-master-pw"
    code, out, raw = run_module(capsys, args_for(conf, secret_options={"admin_passwd": new, "db_password": DB_SECRET}))
    assert code == 0 and out["changed"] is True
    assert new not in raw
    assert "admin_passwd = ******** (changed)" in out["diff"][0]["after"]
    second = read_options(conf)["admin_passwd"]
    assert second != first
    assert independent_verify(new, second)
    assert not independent_verify(SECRET, second)


def test_plain_password_in_the_file_is_hashed(capsys, conf):
    conf.write_text(f"[options]\nadmin_passwd = {SECRET}\n")
    code, out, dummy = run_module(capsys, args_for(conf, options={}, secret_options={"admin_passwd": SECRET}))
    assert code == 0 and out["changed"] is True
    assert independent_verify(SECRET, read_options(conf)["admin_passwd"])


def test_hashing_can_be_turned_off(capsys, conf):
    run_module(capsys, args_for(conf))
    code, out, dummy = run_module(capsys, args_for(conf, admin_passwd_hash=False))
    assert code == 0 and out["changed"] is True
    assert read_options(conf)["admin_passwd"] == SECRET
    code, out, dummy = run_module(capsys, args_for(conf, admin_passwd_hash=False))
    assert out["changed"] is False


def test_a_given_hash_is_written_as_is(capsys, conf):
    stored = odoo_config.hash_admin_password(SECRET, rounds=25000)
    code, out, raw = run_module(capsys, args_for(conf, secret_options={"admin_passwd": stored}))
    assert code == 0
    assert read_options(conf)["admin_passwd"] == stored
    assert stored not in raw


def test_empty_master_password_is_not_hashed(capsys, conf):
    code, out, dummy = run_module(capsys, args_for(conf, secret_options={"admin_passwd": ""}))
    assert code == 0
    assert read_options(conf)["admin_passwd"] == ""


# --- permissions ----------------------------------------------------------------------------------

def test_default_mode_is_0640(capsys, conf):
    run_module(capsys, args_for(conf))
    assert stat.S_IMODE(os.stat(conf).st_mode) == 0o640


def test_new_file_is_never_readable_by_others(capsys, conf, monkeypatch):
    seen = []
    real_move = odoo_config.AnsibleModule.atomic_move

    def spy(self, src, dest, *args, **kwargs):
        seen.append(stat.S_IMODE(os.stat(dest).st_mode))
        real_move(self, src, dest, *args, **kwargs)
        seen.append(stat.S_IMODE(os.stat(dest).st_mode))

    monkeypatch.setattr(odoo_config.AnsibleModule, "atomic_move", spy)
    monkeypatch.setattr(os, "umask", lambda mask: 0)  # the worst umask: 0666 for a created file
    run_module(capsys, args_for(conf))
    assert seen == [0o600, 0o600]
    assert stat.S_IMODE(os.stat(conf).st_mode) == 0o640


def test_mode_change_alone_is_a_change(capsys, conf):
    run_module(capsys, args_for(conf))
    code, out, dummy = run_module(capsys, args_for(conf, mode="0600"))
    assert code == 0 and out["changed"] is True
    assert stat.S_IMODE(os.stat(conf).st_mode) == 0o600
    assert {"before": {"path": str(conf), "mode": "0640"}, "after": {"path": str(conf), "mode": "0600"}} in out["diff"]
    code, out, dummy = run_module(capsys, args_for(conf, mode="0600"))
    assert out["changed"] is False


def test_owner_and_group(capsys, conf):
    me = pwd.getpwuid(os.geteuid()).pw_name
    my_group = grp.getgrgid(os.getegid()).gr_name
    code, out, dummy = run_module(capsys, args_for(conf, owner=me, group=my_group))
    assert code == 0
    assert (out["owner"], out["group"]) == (me, my_group)
    code, out, dummy = run_module(capsys, args_for(conf, owner=me, group=my_group))
    assert out["changed"] is False


@pytest.mark.skipif(os.geteuid() != 0, reason="changing the owner needs root")
def test_owner_change_as_root(capsys, conf):
    run_module(capsys, args_for(conf))
    code, out, dummy = run_module(capsys, args_for(conf, owner="nobody"))
    assert code == 0 and out["changed"] is True
    assert os.stat(conf).st_uid == pwd.getpwnam("nobody").pw_uid
    assert read_options(conf)["db_host"] == "10.0.0.11"


# --- state=absent ---------------------------------------------------------------------------------

def test_absent(capsys, conf):
    run_module(capsys, args_for(conf))
    code, out, raw = run_module(capsys, args_for(conf, state="absent", _ansible_check_mode=True))
    assert code == 0 and out["changed"] is True
    assert conf.exists()
    assert "admin_passwd = ********" in out["diff"][0]["before"]
    assert out["diff"][0]["after"] == ""
    assert "pbkdf2" not in raw and DB_SECRET not in raw

    code, out, dummy = run_module(capsys, args_for(conf, state="absent", backup=True))
    assert code == 0 and out["changed"] is True
    assert not conf.exists()
    assert os.path.exists(out["backup_file"])
    assert "admin_passwd" in out["removed_options"]

    code, out, dummy = run_module(capsys, args_for(conf, state="absent"))
    assert code == 0 and out["changed"] is False


def test_absent_removes_even_an_unreadable_file(capsys, conf):
    conf.write_text("no section\n")
    code, out, dummy = run_module(capsys, args_for(conf, state="absent"))
    assert code == 0 and out["changed"] is True
    assert not conf.exists()


# --- versions -------------------------------------------------------------------------------------

@pytest.mark.parametrize("version, options", [
    ("16.0", {"gevent_port": 8072, "geoip_database": "/usr/share/GeoIP/GeoLite2-City.mmdb", "without_demo": "all"}),
    ("17.0", {"gevent_port": 8072, "geoip_city_db": "/usr/share/GeoIP/GeoLite2-City.mmdb", "db_maxconn_gevent": 16}),
    ("18.0", {"db_replica_host": "10.0.0.12", "db_replica_port": 5432, "limit_time_worker_cron": 3600}),
    ("19.0", {"with_demo": False, "db_name": ["prod", "staging"], "db_app_name": "odoo-{pid}",
              "server_wide_modules": ["base", "rpc", "web"]}),
])
def test_version_specific_options_are_written(capsys, conf, version, options):
    code, out, dummy = run_module(capsys, args_for(conf, version=version, options=options))
    assert code == 0, out
    assert out["changed"] is True
    written = read_options(conf)
    for name in options:
        assert name in written
    assert f"Odoo {version}" in conf.read_text()
