# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of odoo_restore: archives from the real writer, a fake psql and a fake server session."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.odoo_cloud.platform.plugins.module_utils import _backup_store as stores
from ansible_collections.odoo_cloud.platform.plugins.module_utils import _odoo_dump as dump
from ansible_collections.odoo_cloud.platform.plugins.modules import odoo_restore

PASSWORD = "S3nt1nel-pg-password"


@pytest.fixture(autouse=True)
def fake_server(server, monkeypatch):
    monkeypatch.setattr(odoo_restore, "open_session", server.open)
    return server


@pytest.fixture
def store(tmp_path):
    root = tmp_path / "backups"
    (root / "acme").mkdir(parents=True)
    return root


@pytest.fixture
def archive(programs, filestore, store, server):
    """An archive of database acme written by the module utils, as odoo_backup writes it."""
    manifest = dump.odoo_manifest("acme", 160004, server.modules)
    stored = stores.LocalStore(str(store)).write(
        "acme/acme-20261201T020000Z.zip",
        lambda sink: dump.ArchiveWriter().write(sink, [programs.pg_dump], dict(os.environ), filestore.root, manifest,
                                                dict(server.ROWS)),
    )
    return stored


@pytest.fixture
def root(tmp_path):
    path = tmp_path / "odoo-filestore"
    path.mkdir()
    return path


def run_module(capsys, args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            odoo_restore.main()
    out = capsys.readouterr().out
    return exc.value.code, json.loads(out), out


def args_for(programs, store, root, **overrides):
    args = {
        "source": "acme/acme-20261201T020000Z.zip", "database": "acme_copy", "filestore_root": str(root),
        "owner": "odoo", "psql_path": programs.psql, "login_user": "postgres", "login_password": PASSWORD,
        "store_path": str(store),
    }
    args.update(overrides)
    return args


def test_restore_into_a_new_database_then_nothing_changes(capsys, programs, filestore, store, root, archive, fake_server):
    code, out, raw = run_module(capsys, args_for(programs, store, root))
    assert code == 0, out
    assert out["changed"] is True
    assert out["sha256"] == archive.sha256 and out["source"] == archive.location
    assert out["rows"] == {table: {"archive": n, "restored": n} for table, n in fake_server.ROWS.items()}
    assert fake_server.log == ["create acme_copy__restore owner odoo", "rename acme_copy__restore acme_copy"]
    comment = fake_server.databases["acme_copy"]["comment"]
    assert comment.startswith(f"odoo_cloud.platform.odoo_restore sha256={archive.sha256} source={archive.location} ")
    assert odoo_restore.comment_sha256(comment) == archive.sha256
    # psql got dump.sql on its stdin, after SET ROLE, with ON_ERROR_STOP, the password in its environment.
    restored = programs.restored.read_bytes()
    assert restored.startswith(b'SET ROLE "odoo";\n--\n-- PostgreSQL database dump')
    assert restored.endswith(b"-- PostgreSQL database dump complete\n--\n\n")
    recorded = programs.recorded()
    assert "--set=ON_ERROR_STOP=1" in recorded["argv"] and "--single-transaction" in recorded["argv"]
    assert recorded["env"]["PGPASSWORD"] == PASSWORD and recorded["env"]["PGDATABASE"] == "acme_copy__restore"
    for rel, data in filestore.files.items():
        assert (root / "acme_copy" / rel).read_bytes() == data
    assert sorted(os.listdir(root)) == ["acme_copy"]
    assert out["filestore_moved_to"] is None
    assert PASSWORD not in raw

    code, out, raw = run_module(capsys, args_for(programs, store, root))
    assert code == 0, out
    assert out["changed"] is False
    assert out["verification"] is None
    assert len(fake_server.log) == 2


def test_latest(capsys, programs, store, root, archive):
    older = store / "acme" / "acme-20261101T020000Z.zip"
    older.write_bytes(b"not even a zip")
    os.utime(older, (1000, 1000))
    code, out, dummy = run_module(capsys, args_for(programs, store, root, source="latest", source_prefix="acme/"))
    assert code == 0, out
    assert out["source"] == archive.location


@pytest.mark.parametrize("prefix", ["nothing/", "acme/acme-1999"])
def test_latest_with_nothing_under_the_prefix_says_so(capsys, programs, store, root, archive, prefix):
    code, out, dummy = run_module(capsys, args_for(programs, store, root, source="latest", source_prefix=prefix))
    assert code == 1
    assert out["msg"] == f"source=latest: no archive (*.zip) under {os.path.join(str(store), prefix)!r}"


def test_latest_needs_a_prefix(capsys, programs, store, root, archive):
    code, out, dummy = run_module(capsys, args_for(programs, store, root, source="latest"))
    assert code == 1 and "source_prefix" in out["msg"]


def test_refuses_an_existing_database(capsys, programs, store, root, archive, fake_server):
    fake_server.databases["acme_copy"] = {"rows": {}, "comment": None, "owner": "odoo"}
    code, out, raw = run_module(capsys, args_for(programs, store, root))
    assert code == 1
    assert "database acme_copy exists" in out["msg"] and "overwrite=true" in out["msg"]
    assert fake_server.log == []
    assert not programs.restored.exists()  # psql never ran


def test_refuses_a_non_empty_filestore_directory(capsys, programs, store, root, archive, fake_server):
    (root / "acme_copy").mkdir()
    (root / "acme_copy" / "keep").write_text("mine")
    code, out, dummy = run_module(capsys, args_for(programs, store, root))
    assert code == 1 and "is not empty" in out["msg"]
    assert (root / "acme_copy" / "keep").read_text() == "mine"
    assert fake_server.log == []


def test_refuses_the_source_database_name(capsys, programs, store, root, archive, fake_server):
    code, out, dummy = run_module(capsys, args_for(programs, store, root, database="acme"))
    assert code == 1
    assert out["msg"].startswith("database: acme is the database this archive was made from") and "allow_same_name" in out["msg"]
    assert fake_server.log == []
    # Allowed, it still does not replace the existing database without overwrite.
    code, out, dummy = run_module(capsys, args_for(programs, store, root, database="acme", allow_same_name=True))
    assert code == 1 and "database acme exists" in out["msg"]


def test_overwrite_moves_the_filestore_aside_and_drops_only_after_the_restore(capsys, programs, store, root, archive, fake_server):
    fake_server.databases["acme_copy"] = {"rows": {}, "comment": "hand made", "owner": "odoo"}
    (root / "acme_copy" / "zz").mkdir(parents=True)
    (root / "acme_copy" / "zz" / "old").write_text("old file")
    code, out, dummy = run_module(capsys, args_for(programs, store, root, overwrite=True))
    assert code == 0, out
    assert fake_server.log == ["create acme_copy__restore owner odoo", "drop acme_copy", "rename acme_copy__restore acme_copy"]
    aside = out["filestore_moved_to"]
    assert os.path.basename(aside).startswith("acme_copy.before-restore-")
    assert (root / os.path.basename(aside) / "zz" / "old").read_text() == "old file"
    assert sorted(os.listdir(root / "acme_copy")) == ["ab", "f0"]
    assert out["actions"][-1].startswith("move ") and out["actions"][-1].endswith(str(root / "acme_copy"))


def test_a_failing_psql_changes_nothing_that_was_there(capsys, programs, store, root, archive, fake_server, monkeypatch):
    monkeypatch.setenv("FAKE_FAIL", "1")
    fake_server.databases["acme_copy"] = {"rows": {}, "comment": None, "owner": "odoo"}
    (root / "acme_copy").mkdir()
    (root / "acme_copy" / "old").write_text("old")
    code, out, raw = run_module(capsys, args_for(programs, store, root, overwrite=True))
    assert code == 1
    assert "psql exited with status 3" in out["msg"] and 'relation "res_users" already exists' in out["msg"]
    assert fake_server.log == ["create acme_copy__restore owner odoo", "drop acme_copy__restore"]
    assert "acme_copy" in fake_server.databases
    assert os.listdir(root) == ["acme_copy"] and (root / "acme_copy" / "old").read_text() == "old"
    assert PASSWORD not in raw


def test_row_counts_that_differ_stop_the_restore(capsys, programs, store, root, archive, fake_server):
    fake_server.restored_rows["res_partner"] = 41
    code, out, dummy = run_module(capsys, args_for(programs, store, root))
    assert code == 1
    assert "res_partner 42 in the archive, 41 restored" in out["msg"]
    assert "acme_copy" not in fake_server.databases and "acme_copy__restore" not in fake_server.databases
    assert os.listdir(root) == []


def test_check_mode_verifies_and_changes_nothing(capsys, programs, store, root, archive, fake_server):
    fake_server.databases["acme_copy"] = {"rows": {}, "comment": None, "owner": "odoo"}
    (root / "acme_copy").mkdir()
    (root / "acme_copy" / "old").write_text("old")
    code, out, dummy = run_module(capsys, args_for(programs, store, root, overwrite=True, _ansible_check_mode=True))
    assert code == 0, out
    assert out["changed"] is True
    assert out["verification"]["verified"] is True and out["verification"]["filestore_files"] == 3
    assert "drop database acme_copy" in out["actions"]
    assert any(action.startswith(f"move {root / 'acme_copy'} to ") for action in out["actions"])
    assert fake_server.log == []
    assert not programs.restored.exists()  # psql never ran
    assert os.listdir(root) == ["acme_copy"]


def test_a_damaged_archive_is_refused_before_anything(capsys, programs, store, root, archive, fake_server):
    data = bytearray(Path(archive.location).read_bytes())
    with zipfile.ZipFile(archive.location) as zipped:
        info = zipped.getinfo("filestore/ab/ab99ee")
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + 3] ^= 0xFF
    Path(archive.location).write_bytes(bytes(data))
    code, out, dummy = run_module(capsys, args_for(programs, store, root))
    assert code == 1
    assert "filestore/ab/ab99ee" in out["msg"]
    assert fake_server.log == [] and os.listdir(root) == []


@pytest.mark.parametrize(("overrides", "field"), [
    ({"database": "bad name;"}, "database"),
    ({"filestore_owner": "no-such-user-here"}, "filestore_owner"),
    ({"psql_path": "/nonexistent/psql"}, "psql_path"),
    ({"source": "../etc/x.zip"}, "the archive name"),
])
def test_bad_input_names_the_field(capsys, programs, store, root, archive, overrides, field):
    code, out, raw = run_module(capsys, args_for(programs, store, root, **overrides))
    assert code == 1
    assert field in out["msg"], out["msg"]
    assert PASSWORD not in raw


def test_restore_from_s3_downloads_into_work_dir(capsys, programs, store, root, archive, fake_s3, monkeypatch, tmp_path):
    fake_s3.objects[("lab-backups", "acme/a.zip")] = {"data": Path(archive.location).read_bytes(), "modified": None}
    monkeypatch.setattr(stores, "make_s3_client", lambda params: fake_s3)
    work = tmp_path / "work"
    work.mkdir()
    args = args_for(programs, store, root, source="acme/a.zip", store_type="s3", s3_bucket="lab-backups",
                    s3_secret_key="S3nt1nel-s3", work_dir=str(work))
    code, out, raw = run_module(capsys, args)
    assert code == 0, out
    assert out["source"] == "s3://lab-backups/acme/a.zip" and out["sha256"] == archive.sha256
    assert os.listdir(work) == []
    assert "S3nt1nel-s3" not in raw and PASSWORD not in raw
