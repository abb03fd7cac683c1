# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of odoo_backup: the module runs with a fake pg_dump, a fake server session and a directory or fake S3."""

from __future__ import annotations

import json
import os
import zipfile

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.odoo_cloud.platform.plugins.module_utils import _backup_store as stores
from ansible_collections.odoo_cloud.platform.plugins.modules import odoo_backup

PASSWORD = "S3nt1nel-pg-password"
S3_SECRET = "S3nt1nel-s3-secret"


@pytest.fixture(autouse=True)
def fake_server(server, monkeypatch):
    monkeypatch.setattr(odoo_backup, "open_session", server.open)
    return server


def run_module(capsys, args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            odoo_backup.main()
    out = capsys.readouterr().out
    return exc.value.code, json.loads(out), out


def args_for(programs, filestore, store_root, **overrides):
    args = {
        "database": "acme", "filestore_path": filestore.root, "pg_dump_path": programs.pg_dump,
        "login_host": "10.77.0.151", "login_user": "odoo", "login_password": PASSWORD, "store_path": str(store_root),
    }
    args.update(overrides)
    return args


def archives(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, dummy, files in os.walk(root) for f in files)


def test_backup_to_a_directory(capsys, programs, filestore, tmp_path, fake_server):
    store = tmp_path / "backups"
    code, out, raw = run_module(capsys, args_for(programs, filestore, store))
    assert code == 0, out
    assert out["changed"] is True
    assert out["name"].startswith("acme/acme-") and out["name"].endswith("Z.zip")
    assert out["location"] == str(store / out["name"])
    assert archives(store) == [out["name"]]
    assert os.path.getsize(out["location"]) == out["size"]
    assert out["verification"] == {"verified": True, "members": 5, "filestore_files": 3, "dump_sql_bytes": out["verification"]["dump_sql_bytes"]}
    assert out["filestore"] == {"files": 3, "bytes": sum(len(d) for d in filestore.files.values())}
    manifest = out["manifest"]
    assert manifest["db_name"] == "acme" and manifest["major_version"] == "18.0" and manifest["pg_version"] == "16.0"
    assert manifest["modules"] == {"base": "18.0.1.3", "mail": "18.0.1.15", "web": "18.0.1.0"}
    assert manifest["odoo_cloud"]["rows"] == fake_server.ROWS
    with zipfile.ZipFile(out["location"]) as archive:
        assert archive.namelist()[0] == "dump.sql" and archive.namelist()[-1] == "manifest.json"
    # pg_dump: the snapshot of the manifest's reads, the password and database in its environment only.
    recorded = programs.recorded()
    assert recorded["argv"][1:] == ["--no-owner", "--format=plain", "--snapshot=00000003-00000002-1"]
    assert recorded["env"]["PGPASSWORD"] == PASSWORD and recorded["env"]["PGDATABASE"] == "acme"
    assert recorded["env"]["PGHOST"] == "10.77.0.151" and recorded["env"]["PGUSER"] == "odoo"
    assert fake_server.log == ["snapshot", "rollback"]
    assert all(session.closed for session in fake_server.sessions)
    assert PASSWORD not in raw


def test_check_mode_writes_nothing(capsys, programs, filestore, tmp_path, fake_server):
    store = tmp_path / "backups"
    code, out, raw = run_module(capsys, args_for(programs, filestore, store, _ansible_check_mode=True))
    assert code == 0, out
    assert out["changed"] is True
    assert out["size"] is None and out["sha256"] is None and out["verification"] is None
    assert out["filestore"]["files"] == 3
    assert out["manifest"]["odoo_cloud"] == {"format": 1, "rows": fake_server.ROWS}
    assert not store.exists()
    assert not programs.record.exists()  # pg_dump never ran
    assert PASSWORD not in raw


def test_missing_filestore_is_an_error_unless_optional(capsys, programs, filestore, tmp_path):
    store = tmp_path / "backups"
    code, out, dummy = run_module(capsys, args_for(programs, filestore, store, filestore_path=str(tmp_path / "nope")))
    assert code == 1
    assert "filestore_path" in out["msg"] and "does not exist" in out["msg"] and "filestore_optional" in out["msg"]
    assert not store.exists()
    code, out, dummy = run_module(capsys, args_for(programs, filestore, store, filestore_path=str(tmp_path / "nope"),
                                                   filestore_optional=True))
    assert code == 0, out
    assert out["filestore"] == {"files": 0, "bytes": 0}
    assert out["verification"]["members"] == 2


def test_pg_dump_failure_leaves_nothing_and_no_secret(capsys, programs, filestore, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_FAIL", "1")
    store = tmp_path / "backups"
    code, out, raw = run_module(capsys, args_for(programs, filestore, store))
    assert code == 1
    assert "exited with status 1" in out["msg"] and "pg_hba.conf" in out["msg"]
    assert archives(store) == []
    assert PASSWORD not in raw


@pytest.mark.parametrize(("overrides", "field"), [
    ({"name": "{database}/{host}.zip"}, "name"),
    ({"name": "../{database}.zip"}, "name"),
    ({"retention_days": 3}, "retention_days"),
    ({"retention_days": -1}, "retention_days"),
    ({"pg_dump_path": "/nonexistent/pg_dump"}, "pg_dump_path"),
    ({"database": "a" * 64}, "database"),
    ({"connect_params": {"keepalives": 1}}, "connect_params.keepalives"),
])
def test_bad_input_names_the_field(capsys, programs, filestore, tmp_path, overrides, field):
    code, out, raw = run_module(capsys, args_for(programs, filestore, tmp_path / "backups", **overrides))
    assert code == 1
    assert out["msg"].startswith(field) or f" {field}" in out["msg"] or f"{field} " in out["msg"], out["msg"]
    assert not (tmp_path / "backups").exists()
    assert PASSWORD not in raw


def test_store_path_is_required_for_a_directory(capsys, programs, filestore, tmp_path):
    args = args_for(programs, filestore, tmp_path)
    del args["store_path"]
    code, out, dummy = run_module(capsys, args)
    assert code == 1 and "store_path" in out["msg"]


def test_backup_to_s3_with_object_lock(capsys, programs, filestore, tmp_path, fake_s3, monkeypatch):
    made = []

    def client(params):
        made.append(params)
        return fake_s3

    monkeypatch.setattr(stores, "make_s3_client", client)
    work = tmp_path / "work"
    work.mkdir()
    code, out, raw = run_module(capsys, {
        "database": "acme", "filestore_path": filestore.root, "pg_dump_path": programs.pg_dump,
        "login_password": PASSWORD, "store_type": "s3", "s3_bucket": "lab-backups", "s3_path_style": True,
        "s3_endpoint_url": "https://10.77.0.50:9000", "s3_access_key": "AKIAEXAMPLE", "s3_secret_key": S3_SECRET,
        "retention_days": 30, "work_dir": str(work), "name": "odoo/{database}/{database}-{timestamp}.zip",
    })
    assert code == 0, out
    assert out["location"].startswith("s3://lab-backups/odoo/acme/acme-")
    key = out["name"]
    stored = fake_s3.objects[("lab-backups", key)]
    assert len(stored["data"]) == out["size"]
    assert stored["extra"]["ObjectLockMode"] == "COMPLIANCE"
    assert stored["extra"]["ObjectLockRetainUntilDate"] is not None
    assert ("download", "lab-backups", key) in fake_s3.calls  # read back for the verification
    assert out["verification"]["verified"] is True
    assert os.listdir(work) == []
    assert made[0]["s3_secret_key"] == S3_SECRET and made[0]["s3_path_style"] is True
    assert PASSWORD not in raw and S3_SECRET not in raw
