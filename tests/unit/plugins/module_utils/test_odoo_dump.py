# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of _odoo_dump (the archive) and _backup_store (where it goes), with a fake pg_dump."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import stat
import zipfile

import pytest

from ansible_collections.odoo_cloud.platform.plugins.module_utils import _backup_store as stores
from ansible_collections.odoo_cloud.platform.plugins.module_utils import _odoo_dump as dump

ROWS = {"res_users": 6, "res_partner": 42, "ir_attachment": 3, "ir_module_module": 120}


class Unseekable:
    """A pipe-like sink: write only, no seek, no tell."""

    def __init__(self):
        self.chunks = []

    def write(self, data):
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self):
        pass

    def data(self):
        return b"".join(self.chunks)


def manifest():
    return dump.odoo_manifest("acme", 160004, {"web": "18.0.1.0", "base": "18.0.1.3"})


def write_archive(programs, filestore_root, path, compression="deflated"):
    sink = Unseekable()
    summary = dump.ArchiveWriter(compression, chunk_size=4096).write(
        sink, [programs.pg_dump, "--no-owner"], dict(os.environ, PGPASSWORD="pw"), filestore_root, manifest(), dict(ROWS)
    )
    path.write_bytes(sink.data())
    return summary, sink


def rewrite(path, out, change):
    """Copy an archive member by member, letting change(name, data) return new data or None to leave it out."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = change(info.filename, source.read(info.filename))
            if data is not None:
                target.writestr(info.filename, data)
    return str(out)


def test_manifest_fields_are_odoos():
    assert manifest() == {
        "odoo_dump": "1", "db_name": "acme", "version": "18.0", "version_info": [18, 0, 0, "final", 0, ""],
        "major_version": "18.0", "pg_version": "16.0", "modules": {"base": "18.0.1.3", "web": "18.0.1.0"},
    }
    assert dump.pg_version_text(130012) == "13.0"
    # Without a readable base version, the version fields are left out rather than guessed.
    assert "version" not in dump.odoo_manifest("x", 170000, {"web": None})


def test_archive_layout_and_manifest(programs, filestore, tmp_path):
    archive_path = tmp_path / "a.zip"
    summary, sink = write_archive(programs, filestore.root, archive_path)
    with zipfile.ZipFile(archive_path) as archive:
        names = archive.namelist()
        assert names == ["dump.sql", "filestore/ab/ab12cd", "filestore/ab/ab99ee", "filestore/f0/f0aa11", "manifest.json"]
        # Written to an unseekable sink: every member has a data descriptor (general purpose flag bit 3).
        assert all(info.flag_bits & 0x08 for info in archive.infolist())
        assert archive.read("dump.sql").endswith(b"-- PostgreSQL database dump complete\n--\n\n")
        for rel, data in filestore.files.items():
            assert archive.read("filestore/" + rel) == data
        written = json.loads(archive.read("manifest.json"))
    ours = written.pop("odoo_cloud")
    assert written == manifest()
    assert ours["format"] == 1 and ours["rows"] == ROWS
    assert datetime.datetime.fromisoformat(ours["created"].replace("Z", "+00:00")).tzinfo is not None
    assert ours["files"] == {
        "dump.sql": hashlib.sha256(_dump_bytes(archive_path)).hexdigest(),
        **{"filestore/" + rel: hashlib.sha256(data).hexdigest() for rel, data in filestore.files.items()},
    }
    assert summary["filestore_files"] == 3
    assert summary["filestore_bytes"] == sum(len(d) for d in filestore.files.values())
    # pg_dump got the password from its environment only.
    recorded = programs.recorded()
    assert recorded["env"]["PGPASSWORD"] == "pw"
    assert not any("pw" == arg or "password" in arg for arg in recorded["argv"])


def _dump_bytes(path):
    with zipfile.ZipFile(path) as archive:
        return archive.read("dump.sql")


def test_large_dump_streams_through_in_chunks(programs, tmp_path, monkeypatch):
    big = tmp_path / "big.sql"
    with open(big, "wb") as handle:
        handle.write(b"-- PostgreSQL database dump\n")
        for number in range(20000):
            handle.write(f"INSERT INTO t VALUES ({number}, 'row {number}');\n".encode())
        handle.write(b"--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict abc\n")
    monkeypatch.setenv("FAKE_DUMP_FILE", str(big))
    sink = Unseekable()
    dump.ArchiveWriter("stored", chunk_size=8192).write(sink, [programs.pg_dump], dict(os.environ), None, manifest(), {})
    # Many small writes, none anywhere near the dump's size: it was never in memory whole.
    assert len(sink.chunks) > 50
    assert max(len(chunk) for chunk in sink.chunks) < 70000
    path = tmp_path / "big.zip"
    path.write_bytes(sink.data())
    result = dump.verify_archive(str(path))
    assert result["dump_sql_bytes"] == big.stat().st_size
    assert result["filestore_files"] == 0


def test_verify_accepts_a_good_archive(programs, filestore, tmp_path):
    path = tmp_path / "a.zip"
    write_archive(programs, filestore.root, path)
    result = dump.verify_archive(str(path))
    assert result["verified"] is True
    assert result["members"] == 5 and result["filestore_files"] == 3
    assert result["manifest"]["db_name"] == "acme"


def test_verify_names_the_member_where_a_truncated_archive_breaks_off(programs, filestore, tmp_path):
    path = tmp_path / "a.zip"
    write_archive(programs, filestore.root, path, compression="stored")
    data = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo("filestore/f0/f0aa11").header_offset
    cut = tmp_path / "cut.zip"
    cut.write_bytes(data[:offset + 5000])
    with pytest.raises(dump.ArchiveError, match=r"not a complete ZIP archive.*breaks off in member 'filestore/f0/f0aa11'"):
        dump.verify_archive(str(cut))


def test_verify_catches_a_flipped_byte_in_a_filestore_member(programs, filestore, tmp_path):
    path = tmp_path / "a.zip"
    write_archive(programs, filestore.root, path, compression="stored")
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("filestore/ab/ab99ee")
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data = bytearray(path.read_bytes())
    data[start + 10] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(dump.ArchiveError, match=r"member 'filestore/ab/ab99ee' is corrupted: Bad CRC-32"):
        dump.verify_archive(str(path))


def test_verify_catches_a_member_changed_with_a_valid_crc(programs, filestore, tmp_path):
    path = tmp_path / "a.zip"
    write_archive(programs, filestore.root, path)
    changed = rewrite(path, tmp_path / "b.zip", lambda name, data: b"other" if name == "filestore/ab/ab12cd" else data)
    with pytest.raises(dump.ArchiveError, match=r"member 'filestore/ab/ab12cd' does not match its sha256"):
        dump.verify_archive(changed)


def test_verify_catches_a_missing_member(programs, filestore, tmp_path):
    path = tmp_path / "a.zip"
    write_archive(programs, filestore.root, path)
    missing = rewrite(path, tmp_path / "b.zip", lambda name, data: None if name == "filestore/f0/f0aa11" else data)
    with pytest.raises(dump.ArchiveError, match=r"member 'filestore/f0/f0aa11' is missing"):
        dump.verify_archive(missing)
    no_dump = rewrite(path, tmp_path / "c.zip", lambda name, data: None if name == "dump.sql" else data)
    with pytest.raises(dump.ArchiveError, match=r"member 'dump.sql' is missing"):
        dump.verify_archive(no_dump)
    no_manifest = rewrite(path, tmp_path / "d.zip", lambda name, data: None if name == "manifest.json" else data)
    with pytest.raises(dump.ArchiveError, match=r"member 'manifest.json' is missing"):
        dump.verify_archive(no_manifest)


def test_verify_catches_a_dump_without_its_completion_line(programs, filestore, tmp_path):
    path = tmp_path / "a.zip"
    write_archive(programs, filestore.root, path)
    cut_sql = _dump_bytes(path).split(b"--\n-- PostgreSQL database dump complete")[0]

    def change(name, data):
        if name == "dump.sql":
            return cut_sql
        if name == "manifest.json":
            manifest_data = json.loads(data)
            manifest_data["odoo_cloud"]["files"]["dump.sql"] = hashlib.sha256(cut_sql).hexdigest()
            return json.dumps(manifest_data).encode()
        return data

    with pytest.raises(dump.ArchiveError, match=r"member 'dump.sql' does not end like a complete pg_dump"):
        dump.verify_archive(rewrite(path, tmp_path / "b.zip", change))


def test_verify_refuses_extra_and_unsafe_members(programs, filestore, tmp_path):
    path = tmp_path / "a.zip"
    write_archive(programs, filestore.root, path)
    extra = tmp_path / "extra.zip"
    shutil.copy(path, extra)
    with zipfile.ZipFile(extra, "a") as archive:
        archive.writestr("filestore/zz/new", b"x")
    with pytest.raises(dump.ArchiveError, match=r"member 'filestore/zz/new' is not listed in manifest.json"):
        dump.verify_archive(str(extra))
    unsafe = tmp_path / "unsafe.zip"
    shutil.copy(path, unsafe)
    with zipfile.ZipFile(unsafe, "a") as archive:
        archive.writestr("filestore/../../etc/passwd", b"x")
    with pytest.raises(dump.ArchiveError, match=r"unsafe name"):
        dump.verify_archive(str(unsafe))


def test_not_a_zip_at_all(tmp_path):
    path = tmp_path / "a.zip"
    path.write_bytes(b"hello")
    with pytest.raises(dump.ArchiveError, match=r"is not a ZIP archive"):
        dump.verify_archive(str(path))


def test_pg_dump_failure_and_incomplete_output(programs, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_FAIL", "1")
    with pytest.raises(dump.DumpError, match=r"exited with status 1: pg_dump: error: connection to server failed"):
        dump.ArchiveWriter().write(Unseekable(), [programs.pg_dump], dict(os.environ), None, manifest(), {})
    monkeypatch.delenv("FAKE_FAIL")
    half = tmp_path / "half.sql"
    half.write_text("--\n-- PostgreSQL database dump\n--\nCREATE TABLE t (id int);\n")
    monkeypatch.setenv("FAKE_DUMP_FILE", str(half))
    with pytest.raises(dump.DumpError, match=r"does not end like a complete dump"):
        dump.ArchiveWriter().write(Unseekable(), [programs.pg_dump], dict(os.environ), None, manifest(), {})


def test_filestore_symlink_is_refused(tmp_path):
    root = tmp_path / "fs"
    (root / "ab").mkdir(parents=True)
    (root / "ab" / "link").symlink_to("/etc/hostname")
    with pytest.raises(dump.DumpError, match=r"not a regular file"):
        dump.filestore_files(str(root))


def test_libpq_environment():
    env = dump.libpq_environment({"host": "db", "port": 5432, "user": "odoo", "password": "pw", "sslmode": "require",
                                  "sslrootcert": "/ca.pem", "connect_timeout": 5, "dbname": ""},
                                 base={"PATH": "/bin", "PGPASSWORD": "old"})
    assert env == {"PATH": "/bin", "PGHOST": "db", "PGPORT": "5432", "PGUSER": "odoo", "PGPASSWORD": "pw",
                   "PGSSLMODE": "require", "PGSSLROOTCERT": "/ca.pem", "PGCONNECT_TIMEOUT": "5"}
    with pytest.raises(ValueError, match=r"connect_params.keepalives has no libpq environment variable"):
        dump.libpq_environment({"keepalives": 1}, base={})


def test_summarize_manifest():
    big = {"odoo_dump": "1", "odoo_cloud": {"files": {f"filestore/{n}": "0" * 64 for n in range(101)}, "rows": {}}}
    assert dump.summarize_manifest(big)["odoo_cloud"]["files"] == {"count": 101}
    assert len(big["odoo_cloud"]["files"]) == 101
    small = {"odoo_dump": "1", "odoo_cloud": {"files": {"dump.sql": "0" * 64}}}
    assert dump.summarize_manifest(small) == small


def test_extract_filestore(programs, filestore, tmp_path):
    path = tmp_path / "a.zip"
    write_archive(programs, filestore.root, path)
    target = tmp_path / "restored"
    target.mkdir()
    with zipfile.ZipFile(path) as archive:
        assert dump.extract_filestore(archive, str(target)) == 3
    for rel, data in filestore.files.items():
        assert (target / rel).read_bytes() == data


# --- stores -------------------------------------------------------------------------------------

def test_local_store_writes_0600_via_a_temporary_file_and_never_overwrites(tmp_path):
    store = stores.LocalStore(str(tmp_path / "backups"))
    seen = {}

    def writer(sink):
        assert not sink.seekable()
        directory = tmp_path / "backups" / "acme"
        seen["during"] = sorted(os.listdir(directory))
        sink.write(b"x" * 1000)
        return "value"

    stored = store.write("acme/acme-1.zip", writer)
    final = tmp_path / "backups" / "acme" / "acme-1.zip"
    assert stored == stores.StoredArchive(str(final), "acme/acme-1.zip", 1000, hashlib.sha256(b"x" * 1000).hexdigest(), "value")
    assert len(seen["during"]) == 1 and seen["during"][0].startswith(".acme-1.zip.") and seen["during"][0].endswith(".partial")
    assert stat.S_IMODE(final.stat().st_mode) == 0o600
    assert os.listdir(final.parent) == ["acme-1.zip"]
    with pytest.raises(stores.StoreError, match=r"exists already"):
        store.write("acme/acme-1.zip", writer)


def test_local_store_removes_the_temporary_file_when_the_writer_fails(tmp_path):
    store = stores.LocalStore(str(tmp_path))

    def writer(sink):
        sink.write(b"partial")
        raise dump.DumpError("pg_dump exited with status 1")

    with pytest.raises(dump.DumpError):
        store.write("acme/a.zip", writer)
    assert os.listdir(tmp_path / "acme") == []


def test_local_store_latest(tmp_path):
    store = stores.LocalStore(str(tmp_path))
    for number, name in enumerate(["acme/acme-1.zip", "acme/acme-3.zip", "acme/acme-2.zip", "other/o.zip", "acme/.x.zip"]):
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"z")
        os.utime(path, (1000 + number, 1000 + number))
    assert store.latest("acme/") == "acme/acme-2.zip"
    assert store.latest("nothing/") is None


def test_keys_are_checked():
    for bad in ["/abs.zip", "a/../b.zip", "a//b.zip", "", "a\\b.zip", "./a.zip"]:
        with pytest.raises(stores.StoreError, match=r"must be a relative name"):
            stores.check_key(bad, "name")


def test_s3_store_streams_a_multipart_upload_with_object_lock(fake_s3):
    store = stores.S3Store(fake_s3, "bucket")
    now = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)
    lock = stores.object_lock_args(30, "COMPLIANCE", now)
    assert lock == {"ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": now + datetime.timedelta(days=30)}
    assert stores.object_lock_args(0, "COMPLIANCE") == {}
    payload = os.urandom(3 * 1024 * 1024 + 17)

    def writer(sink):
        for start in range(0, len(payload), 10000):
            sink.write(payload[start:start + 10000])
        return 42

    stored = store.write("acme/a.zip", writer, lock)
    assert stored.location == "s3://bucket/acme/a.zip" and stored.value == 42
    assert stored.sha256 == hashlib.sha256(payload).hexdigest() and stored.size == len(payload)
    assert fake_s3.objects[("bucket", "acme/a.zip")]["data"] == payload
    assert fake_s3.objects[("bucket", "acme/a.zip")]["extra"] == lock
    with pytest.raises(stores.StoreError, match=r"s3://bucket/acme/a.zip exists already"):
        store.write("acme/a.zip", writer)


def test_s3_store_a_failing_writer_leaves_no_object(fake_s3):
    store = stores.S3Store(fake_s3, "bucket")

    def writer(sink):
        sink.write(b"y" * (3 * 1024 * 1024))
        raise dump.DumpError("pg_dump exited with status 1: boom")

    with pytest.raises(dump.DumpError, match=r"boom"):
        store.write("acme/a.zip", writer)
    assert fake_s3.objects == {}


def test_s3_store_a_failing_upload_stops_the_writer(fake_s3):
    fake_s3.fail_upload = 2
    store = stores.S3Store(fake_s3, "bucket")

    def writer(sink):
        for dummy in range(200):  # far more than the pipe holds: the writer must be stopped, not hang
            sink.write(b"z" * 1024 * 1024)

    with pytest.raises(stores.StoreError, match=r"upload to s3://bucket/acme/a.zip failed: .*UploadPart"):
        store.write("acme/a.zip", writer)
    assert fake_s3.objects == {}


def test_s3_store_latest_and_download_into_work_dir(fake_s3, tmp_path):
    store = stores.S3Store(fake_s3, "bucket")
    base = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)
    for number, key in enumerate(["acme/acme-1.zip", "acme/acme-3.zip", "acme/acme-2.zip", "acme/notes.txt"]):
        fake_s3.objects[("bucket", key)] = {"data": key.encode(), "modified": base + datetime.timedelta(minutes=number)}
    assert store.latest("acme/") == "acme/acme-2.zip"
    work = tmp_path / "work"
    work.mkdir()
    with store.local_copy("acme/acme-2.zip", str(work)) as path:
        assert os.path.dirname(path) == str(work)
        with open(path, "rb") as handle:
            assert handle.read() == b"acme/acme-2.zip"
    assert os.listdir(work) == []


def test_boto3_missing_is_reported(monkeypatch):
    monkeypatch.setattr(stores, "HAS_BOTO3", False)
    params = {"s3_path_style": False}
    with pytest.raises(stores.StoreError, match=r"boto3"):
        stores.make_s3_client(params)


def test_incompressible_filestore_files_are_stored_and_the_rest_deflated(programs, tmp_path):
    root = tmp_path / "filestore"
    (root / "aa").mkdir(parents=True)
    noise = os.urandom(300 * 1024)           # like a PDF or a JPEG: deflate cannot shrink it
    text = b"<html><body>invoice line</body></html>\n" * 4000
    tiny = b"x" * 100                        # too small to judge: the archive's compression
    for name, data in (("noise", noise), ("text", text), ("tiny", tiny)):
        (root / "aa" / name).write_bytes(data)
    path = tmp_path / "a.zip"
    write_archive(programs, str(root), path)
    with zipfile.ZipFile(path) as archive:
        kinds = {info.filename: info.compress_type for info in archive.infolist()}
        assert archive.read("filestore/aa/noise") == noise and archive.read("filestore/aa/text") == text
    assert kinds["filestore/aa/noise"] == zipfile.ZIP_STORED
    assert kinds["filestore/aa/text"] == zipfile.ZIP_DEFLATED
    assert kinds["filestore/aa/tiny"] == zipfile.ZIP_DEFLATED
    assert kinds["dump.sql"] == zipfile.ZIP_DEFLATED
    assert dump.verify_archive(str(path))["filestore_files"] == 3


def test_stored_archives_store_every_member(programs, tmp_path):
    root = tmp_path / "filestore"
    (root / "aa").mkdir(parents=True)
    (root / "aa" / "text").write_bytes(b"compressible " * 10000)
    path = tmp_path / "a.zip"
    write_archive(programs, str(root), path, compression="stored")
    with zipfile.ZipFile(path) as archive:
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_STORED}
