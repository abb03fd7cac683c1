# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The odoo_backup role's host program (roles/odoo_backup/files/odoo_cloud_backup.py) with a fake pg_dump and server."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os
import time
from pathlib import Path

import pytest

PROGRAM = Path(__file__).resolve().parents[4] / "roles" / "odoo_backup" / "files" / "odoo_cloud_backup.py"
PASSWORD = "S3nt1nel-pg-password"


@pytest.fixture
def program(server, monkeypatch):
    loader = importlib.machinery.SourceFileLoader("odoo_cloud_backup_program", str(PROGRAM))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    monkeypatch.setattr(module, "open_session", lambda conn: server.open(None, conn))
    return module


def job_file(tmp_path, programs, filestore, **overrides):
    connection = {"host": "10.77.0.151", "user": "odoo", "password": PASSWORD}
    job = {"database": "acme", "filestore_path": filestore.root, "pg_dump_path": programs.pg_dump,
           "store_path": str(tmp_path / "store"), "connection": connection}
    job.update(overrides)
    path = tmp_path / "job.json"
    path.write_text(json.dumps(job))
    return path


def run(program, monkeypatch, capsys, path):
    monkeypatch.setattr("sys.argv", ["odoo-cloud-backup", str(path)])
    code = program.main()
    out, err = capsys.readouterr()
    return code, out, err


def test_writes_the_modules_archive_and_prints_one_json_line(program, monkeypatch, capsys, tmp_path, programs,
                                                             filestore, server):
    code, out, err = run(program, monkeypatch, capsys, job_file(tmp_path, programs, filestore))
    assert code == 0, err
    result = json.loads(out)
    assert result["verified"] is True and result["filestore"]["files"] == 3
    assert result["location"].startswith(str(tmp_path / "store" / "acme" / "acme-"))
    assert os.path.getsize(result["location"]) == result["size"]
    assert server.conn_params[0]["dbname"] == "acme" and server.conn_params[0]["password"] == PASSWORD
    assert PASSWORD not in out + err


def test_retention_after_the_backup_keeps_the_newest(program, monkeypatch, capsys, tmp_path, programs, filestore):
    old = tmp_path / "store" / "acme" / "acme-20200101T000000Z.zip"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"old")
    os.utime(old, (time.time() - 40 * 86400,) * 2)
    path = job_file(tmp_path, programs, filestore, prune={"prefix": "acme/acme-", "keep_days": 30})
    code, out, err = run(program, monkeypatch, capsys, path)
    assert code == 0, err
    assert json.loads(out)["pruned"] == ["acme/acme-20200101T000000Z.zip"]
    assert not old.exists()


@pytest.mark.parametrize(("overrides", "message"), [
    ({"bogus": 1}, "job file: unknown key(s) bogus"),
    ({"database": ""}, "job file: database is missing"),
    ({"filestore_path": "/nonexistent/filestore"}, "filestore_path /nonexistent/filestore does not exist"),
    ({"prune": {"prefix": "", "keep_days": 1}}, "prefix is empty"),
])
def test_errors_go_to_stderr_with_status_1(program, monkeypatch, capsys, tmp_path, programs, filestore, overrides,
                                           message):
    code, out, err = run(program, monkeypatch, capsys, job_file(tmp_path, programs, filestore, **overrides))
    assert code == 1 and out == "" and message in err
    assert PASSWORD not in err


def test_an_unreadable_job_file(program, monkeypatch, capsys, tmp_path):
    code, out, err = run(program, monkeypatch, capsys, tmp_path / "missing.json")
    assert code == 1 and "missing.json" in err
