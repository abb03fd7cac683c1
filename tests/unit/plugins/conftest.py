# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fakes for the Odoo backup tests: pg_dump and psql programs written into tmp_path, a PostgreSQL server
answering odoo_backup's and odoo_restore's session methods, a filestore, and an S3 client without network."""

from __future__ import annotations

import datetime
import json
import os
import stat
import sys
import types

import pytest

DUMP_SQL = (
    "--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\n"
    "CREATE TABLE public.res_users (id integer);\nCOPY public.res_users (id) FROM stdin;\n1\n2\n\\.\n\n"
    "--\n-- PostgreSQL database dump complete\n--\n\n"
)

# The fake pg_dump: prints a dump (or what FAKE_DUMP_FILE holds), records its argv and PG* environment.
PG_DUMP = r'''
import json, os, sys
record = os.environ["FAKE_RECORD"]
with open(record, "w") as handle:
    json.dump({"argv": sys.argv, "env": {k: v for k, v in os.environ.items() if k.startswith("PG")}}, handle)
if os.environ.get("FAKE_FAIL"):
    sys.stderr.write("pg_dump: error: connection to server failed: FATAL: no pg_hba.conf entry\n")
    sys.exit(1)
source = os.environ.get("FAKE_DUMP_FILE")
data = open(source, "rb").read() if source else DUMP.encode()
out = sys.stdout.buffer
for start in range(0, len(data), 7000):
    out.write(data[start:start + 7000])
'''

# The fake psql: writes its stdin to FAKE_RESTORED, records argv and environment; fails on FAKE_FAIL.
PSQL = r'''
import json, os, sys
with open(os.environ["FAKE_RECORD"], "w") as handle:
    json.dump({"argv": sys.argv, "env": {k: v for k, v in os.environ.items() if k.startswith("PG")}}, handle)
data = sys.stdin.buffer.read()
with open(os.environ["FAKE_RESTORED"], "wb") as handle:
    handle.write(data)
if os.environ.get("FAKE_FAIL"):
    sys.stderr.write('psql:<stdin>:5: ERROR:  relation "res_users" already exists\n')
    sys.exit(3)
'''


def write_program(path, body, extra=""):
    path.write_text(f"#!{sys.executable}\n{extra}{body}")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.fixture
def programs(tmp_path, monkeypatch):
    """Fake pg_dump and psql, and the files they record into."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "record.json"
    restored = tmp_path / "restored.sql"
    monkeypatch.setenv("FAKE_RECORD", str(record))
    monkeypatch.setenv("FAKE_RESTORED", str(restored))
    monkeypatch.delenv("FAKE_FAIL", raising=False)
    monkeypatch.delenv("FAKE_DUMP_FILE", raising=False)
    return types.SimpleNamespace(
        pg_dump=write_program(bin_dir / "pg_dump", PG_DUMP, f"DUMP = {DUMP_SQL!r}\n"),
        psql=write_program(bin_dir / "psql", PSQL),
        record=record,
        restored=restored,
        recorded=lambda: json.loads(record.read_text()),
    )


@pytest.fixture
def filestore(tmp_path):
    """An Odoo filestore: content-addressed files in two-character directories."""
    root = tmp_path / "filestore" / "acme"
    files = {"ab/ab12cd": b"attachment one\n", "ab/ab99ee": b"\x00\x01binary" * 100, "f0/f0aa11": os.urandom(70000)}
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return types.SimpleNamespace(root=str(root), files=files)


class FakeSession:
    """One connection to a FakeServer (the methods of _odoo_dump.PgSession)."""

    def __init__(self, server, dbname):
        self.server = server
        self.dbname = dbname
        self.closed = False

    def close(self):
        self.closed = True

    def server_version(self):
        return self.server.version

    def export_snapshot(self):
        self.server.log.append("snapshot")
        return "00000003-00000002-1"

    def end_transaction(self):
        self.server.log.append("rollback")

    def installed_modules(self):
        return dict(self.server.modules)

    def row_counts(self, tables=("res_users", "res_partner", "ir_attachment", "ir_module_module")):
        rows = self.server.databases[self.dbname]["rows"]
        return {table: rows.get(table) for table in tables}

    def database_exists(self, name):
        return name in self.server.databases

    def database_comment(self, name):
        return self.server.databases.get(name, {}).get("comment")

    def create_database(self, name, owner):
        assert name not in self.server.databases
        self.server.log.append(f"create {name} owner {owner}")
        self.server.databases[name] = {"rows": dict(self.server.restored_rows), "comment": None, "owner": owner}

    def comment_database(self, name, text):
        self.server.databases[name]["comment"] = text

    def drop_database(self, name):
        self.server.log.append(f"drop {name}")
        del self.server.databases[name]

    def rename_database(self, old, new):
        self.server.log.append(f"rename {old} {new}")
        self.server.databases[new] = self.server.databases.pop(old)


class FakeServer:
    ROWS = {"res_users": 6, "res_partner": 42, "ir_attachment": 3, "ir_module_module": 120}

    def __init__(self):
        self.version = 160004
        self.modules = {"base": "18.0.1.3", "web": "18.0.1.0", "mail": "18.0.1.15"}
        self.databases = {"acme": {"rows": dict(self.ROWS), "comment": None, "owner": "odoo"}}
        self.restored_rows = dict(self.ROWS)  # what a restore produces
        self.log = []
        self.sessions = []
        self.conn_params = []

    def open(self, module, conn_params):
        self.conn_params.append(dict(conn_params))
        session = FakeSession(self, conn_params.get("dbname"))
        self.sessions.append(session)
        return session


@pytest.fixture
def server():
    return FakeServer()


class FakeS3:
    """The boto3 S3 client calls the store makes, in memory; upload_fileobj reads like s3transfer (in parts)."""

    def __init__(self, part=64 * 1024):
        self.objects = {}
        self.part = part
        self.calls = []
        self.fail_upload = None

    def head_object(self, Bucket, Key):
        if (Bucket, Key) not in self.objects:
            error = Exception("An error occurred (404) when calling the HeadObject operation: Not Found")
            error.response = {"Error": {"Code": "404"}}
            raise error
        return {}

    def upload_fileobj(self, Fileobj, Bucket, Key, ExtraArgs=None, Config=None):
        assert not Fileobj.seekable()
        self.calls.append(("upload", Bucket, Key, dict(ExtraArgs or {})))
        parts = []
        while True:
            chunk = Fileobj.read(self.part)
            if not chunk:
                break
            if self.fail_upload is not None and len(parts) >= self.fail_upload:
                raise Exception("An error occurred (InternalError) when calling the UploadPart operation")
            parts.append(chunk)
        self.objects[(Bucket, Key)] = {"data": b"".join(parts), "modified": datetime.datetime.now(datetime.timezone.utc),
                                       "extra": dict(ExtraArgs or {})}

    def download_fileobj(self, Bucket, Key, Fileobj):
        self.calls.append(("download", Bucket, Key))
        Fileobj.write(self.objects[(Bucket, Key)]["data"])

    def get_paginator(self, name):
        assert name == "list_objects_v2"
        client = self

        class Paginator:
            def paginate(self, Bucket, Prefix):
                keys = sorted(k for (b, k) in client.objects if b == Bucket and k.startswith(Prefix))
                yield {"Contents": [{"Key": k, "LastModified": client.objects[(Bucket, k)]["modified"]} for k in keys[:1]]}
                yield {"Contents": [{"Key": k, "LastModified": client.objects[(Bucket, k)]["modified"]} for k in keys[1:]]}

        return Paginator()


@pytest.fixture
def fake_s3():
    return FakeS3()
