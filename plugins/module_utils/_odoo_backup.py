# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One Odoo backup (database and filestore into one archive), for the odoo_backup module and the host program.

Needs no Ansible: the odoo_backup role runs it from a systemd timer through roles/odoo_backup/files/odoo_cloud_backup.py, with a
psycopg2 session of its own. ``params`` are the module's options (plugins/modules/odoo_backup.py).
"""

from __future__ import annotations

import os
import shutil
import string
import time
import typing as t

from ansible_collections.odoo_cloud.platform.plugins.module_utils import _backup_store as stores
from ansible_collections.odoo_cloud.platform.plugins.module_utils import _odoo_dump as dump

NAME_FIELDS = ("database", "timestamp")
MAX_IDENTIFIER = 63


class BackupError(Exception):
    """The backup was refused or failed; the message says why and holds no secret."""


def render_name(template: str, database: str, when: t.Any) -> str:
    try:
        fields = [field for dummy, field, dummy2, dummy3 in string.Formatter().parse(template) if field is not None]
    except ValueError as exc:
        raise BackupError(f"name: {exc} in {template!r}") from None
    unknown = sorted({field for field in fields if field not in NAME_FIELDS})
    if unknown:
        raise BackupError(f"name: unknown placeholder(s) {', '.join('{' + f + '}' for f in unknown)}; "
                          f"use {{database}} and {{timestamp}}")
    key = template.format(database=database, timestamp=when.strftime("%Y%m%dT%H%M%SZ"))
    try:
        return stores.check_key(key, "name")
    except stores.StoreError as exc:
        raise BackupError(str(exc)) from None


def check_database_name(name: str, field: str = "database") -> None:
    if not name or len(name.encode("utf-8")) > MAX_IDENTIFIER or "\x00" in name or "/" in name:
        raise BackupError(f"{field} must be a PostgreSQL database name of 1 to {MAX_IDENTIFIER} bytes without '/', got {name!r}")


class BackupManager:
    """Reads what the manifest needs, then (outside check mode) writes and verifies the archive."""

    def __init__(self, params: dict[str, t.Any], store: stores.Store, conn_params: dict[str, t.Any],
                 open_session: t.Callable[[dict[str, t.Any]], dump.PgSession], check_mode: bool = False,
                 clock: t.Callable[[], float] = time.monotonic) -> None:
        self.params = params
        self.store = store
        self.conn_params = conn_params
        self.open_session = open_session
        self.check_mode = check_mode
        self.clock = clock

    def _filestore(self) -> str | None:
        path = self.params["filestore_path"]
        if os.path.isdir(path):
            return path
        if os.path.exists(path):
            raise BackupError(f"filestore_path {path} is not a directory")
        if self.params["filestore_optional"]:
            return None
        raise BackupError(f"filestore_path {path} does not exist; set filestore_optional=true to back up a database "
                          "without a filestore")

    def _pg_dump(self) -> str:
        name = self.params["pg_dump_path"]
        found = shutil.which(name)
        if not found:
            raise BackupError(f"pg_dump_path: {name} is not an executable program (looked for in PATH: {os.environ.get('PATH', '')})")
        return found

    def run(self) -> dict[str, t.Any]:
        start = self.clock()
        params = self.params
        database = params["database"]
        check_database_name(database)
        if params["retention_days"] < 0:
            raise BackupError(f"retention_days must be 0 or more, got {params['retention_days']}")
        if params["retention_days"] and params["store_type"] != "s3":
            raise BackupError("retention_days needs store_type=s3 (object lock); a directory cannot lock files")
        key = render_name(params["name"], database, dump.utc_now())
        location = self.store.location(key)
        filestore = self._filestore()
        files = dump.filestore_files(filestore) if filestore else []
        pg_dump = None if self.check_mode else self._pg_dump()
        try:
            env = dump.libpq_environment({k: v for k, v in self.conn_params.items() if k != "dbname"})
        except ValueError as exc:
            raise BackupError(str(exc)) from None
        env["PGDATABASE"] = database  # not on the command line, where a name with '=' would be read as a conninfo
        result: dict[str, t.Any] = {"changed": True, "location": location, "name": key, "size": None, "sha256": None,
                                    "verification": None}
        session = self.open_session(self.conn_params)
        try:
            snapshot = session.export_snapshot() if params["snapshot"] else None
            modules = session.installed_modules()
            manifest = dump.odoo_manifest(database, session.server_version(), modules)
            rows = session.row_counts()
            if self.check_mode:
                manifest[dump.OUR_KEY] = {"format": dump.OUR_FORMAT, "rows": rows}
                result.update(manifest=manifest, filestore=self._sizes(files))
                result["duration"] = round(self.clock() - start, 3)
                return result
            if self.store.exists(key):
                raise BackupError(f"{location} exists already; archives are never overwritten (change name)")
            command = [pg_dump, "--no-owner", "--format=plain"]
            if snapshot:
                command.append(f"--snapshot={snapshot}")
            writer = dump.ArchiveWriter(params["compression"])
            lock = stores.object_lock_args(params["retention_days"], params["object_lock_mode"])

            def write(sink: t.BinaryIO) -> dict[str, t.Any]:
                return writer.write(sink, command, env, filestore, manifest, rows)

            stored = self.store.write(key, write, lock)
        finally:
            if params["snapshot"]:
                try:
                    session.end_transaction()
                finally:
                    session.close()
            else:
                session.close()
        written = stored.value
        result.update(
            location=stored.location, size=stored.size, sha256=stored.sha256,
            manifest=dump.summarize_manifest(written["manifest"]),
            filestore={"files": written["filestore_files"], "bytes": written["filestore_bytes"]},
        )
        if params["verify"]:
            result["verification"] = self._verify(key, stored.sha256)
        result["duration"] = round(self.clock() - start, 3)
        return result

    @staticmethod
    def _sizes(files: list[tuple[str, str]]) -> dict[str, int]:
        return {"files": len(files), "bytes": sum(os.path.getsize(path) for dummy, path in files)}

    def _verify(self, key: str, sha256: str) -> dict[str, t.Any]:
        with self.store.local_copy(key, self.params["work_dir"]) as path:
            read_back, dummy = stores.file_sha256(path)
            if read_back != sha256:
                raise BackupError(f"the archive read back from {self.store.location(key)} does not have the sha256 "
                                  f"that was written ({read_back} instead of {sha256})")
            verification = dump.verify_archive(path)
        verification.pop("manifest")
        return verification
