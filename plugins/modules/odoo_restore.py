#!/usr/bin/python
# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: odoo_restore
short_description: Restore an Odoo database and its filestore from an archive of odoo_backup
version_added: 0.1.0
description:
  - Restores an archive written by M(odoo_cloud.platform.odoo_backup) (Odoo's dump layout - C(dump.sql),
    C(filestore/), C(manifest.json)) into the database O(database) and the filestore directory
    O(filestore_root)/O(database).
  - The archive is verified first, whole (every member's CRC-32 and the sha256 the manifest lists, the end of
    C(dump.sql)); a damaged archive changes nothing and the error names the first bad member.
  - Nothing is lost. The module refuses a target database that exists or a target filestore directory that
    is not empty, unless O(overwrite=true). It refuses to restore into the database the archive was made
    from (the manifest's C(db_name)) unless O(allow_same_name=true).
  - "The restore goes into a new database, C(DATABASE__restore), first: created like Odoo creates its databases
    (C(template0), C(unicode), C(LC_COLLATE 'C')) and owned by O(owner), then fed C(dump.sql) through C(psql)
    as a stream (C(ON_ERROR_STOP=1), one transaction); the filestore goes into C(.DATABASE.restore-STAMP)
    under O(filestore_root). Only when both are complete and the row counts of C(res_users), C(res_partner),
    C(ir_attachment) and C(ir_module_module) equal the manifest's are they moved into place: with
    O(overwrite=true) the old filestore directory is moved aside to C(DATABASE.before-restore-STAMP) (never
    deleted) and the old database dropped, then the new one renamed to O(database)."
  - The archive's sha256 is recorded in a comment on the database (C(COMMENT ON DATABASE)). A rerun with the
    same archive finds it and changes nothing.
options:
  source:
    description:
      - The archive - its name in the store (relative to O(store_path), or the key in O(s3_bucket)), an
        absolute path with O(store_type=path), or V(latest) for the newest archive whose name starts with
        O(source_prefix).
    type: str
    required: true
  source_prefix:
    description:
      - With O(source=latest), the name prefix to look under, for example V(acme/). The newest archive is
        the one modified last (S3's C(LastModified)), then the greatest name.
    type: str
  database:
    description:
      - The database to restore into (created by the module). A name Odoo accepts - letters, digits,
        C(_), C(.) and C(-), starting with a letter or digit.
    type: str
    required: true
  filestore_root:
    description:
      - The directory that holds the filestores (Odoo's C(data_dir)/filestore). The archive's files go into
        its subdirectory O(database).
    type: path
    required: true
  filestore_owner:
    description:
      - User (name or number) to own the restored filestore files, usually the Odoo service user; the
        module's user when not set.
    type: str
  filestore_group:
    description:
      - Group (name or number) of the restored filestore files.
    type: str
  owner:
    description:
      - The role to own the new database and every object of the dump (the dump has no owners; the restore
        runs C(SET ROLE) to it). The login user must be a member of it. The login user when not set.
    type: str
  login_db:
    description:
      - The database to connect to for C(CREATE DATABASE).
    type: str
    default: postgres
  psql_path:
    description:
      - The C(psql) program, by name (looked for in C(PATH)) or by path. It must understand the C(dump.sql)
        (the version of the C(pg_dump) that wrote it, or newer).
      - It gets the connection, password included, through libpq's environment variables, never on its
        command line.
    type: str
    default: psql
  overwrite:
    description:
      - Replace an existing target database and filestore directory. The old filestore directory is moved
        aside to O(filestore_root)/C(DATABASE.before-restore-STAMP) and kept; the old database is dropped
        (its sessions are ended), but only once the restored copy is complete and checked.
    type: bool
    default: false
  allow_same_name:
    description:
      - Allow O(database) to be the database the archive was made from (its manifest's C(db_name)). Together
        with O(overwrite=true) this replaces that database.
    type: bool
    default: false
  check_rows:
    description:
      - Fail (and keep the old database and filestore in place) when the restored row counts differ from the
        manifest's.
    type: bool
    default: true
notes:
  - Stop the Odoo instances that use O(database) before overwriting it; the module ends their sessions when it
    drops the old database.
  - A copy restored under another name keeps the source's C(database.uuid) and its mail and cron settings;
    neutralize it before it runs next to the original.
  - With O(store_type=s3) the archive is downloaded into O(work_dir) first (ZIP archives are read from their
    end) and removed afterwards.
extends_documentation_fragment:
  - odoo_cloud.platform._attributes
  - odoo_cloud.platform._attributes.actiongroup_backup
  - community.postgresql.postgres
  - odoo_cloud.platform._backup_store
attributes:
  check_mode:
    support: full
    details:
      - Verifies the archive and checks the target, and reports what would be done.
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - A database whose comment records the archive's sha256 is left alone.
seealso:
  - module: odoo_cloud.platform.odoo_backup
  - name: psql
    description: The program that runs C(dump.sql).
    link: https://www.postgresql.org/docs/current/app-psql.html
author:
  - odoo_cloud platform team (@odoo-cloud)
"""

EXAMPLES = r"""
- name: Restore the latest backup of acme as acme_copy
  odoo_cloud.platform.odoo_restore:
    source: latest
    source_prefix: acme/
    database: acme_copy
    owner: odoo
    filestore_root: /var/lib/odoo/filestore
    filestore_owner: odoo
    filestore_group: odoo
    login_host: 10.77.0.151
    login_user: postgres
    login_password: "{{ vault_postgres_password }}"
    store_path: /srv/backups/odoo
  register: odoo_restored

- name: Replace acme itself with a given archive from S3
  odoo_cloud.platform.odoo_restore:
    source: acme/acme-20261201T020000Z.zip
    database: acme
    allow_same_name: true
    overwrite: true
    owner: odoo
    filestore_root: /var/lib/odoo/filestore
    login_host: 10.77.0.151
    login_user: postgres
    login_password: "{{ vault_postgres_password }}"
    store_type: s3
    s3_bucket: lab-backups
    s3_endpoint_url: https://10.77.0.50:9000
    s3_path_style: true
    s3_access_key: "{{ vault_s3_access_key }}"
    s3_secret_key: "{{ vault_s3_secret_key }}"
    work_dir: /srv/tmp
"""

RETURN = r"""
database:
  description: The database restored into.
  returned: success
  type: str
  sample: acme_copy
source:
  description: The archive, as a path or an C(s3://bucket/key) URL (O(source=latest) resolved).
  returned: success
  type: str
  sample: /srv/backups/odoo/acme/acme-20261201T020000Z.zip
sha256:
  description: The sha256 of the archive.
  returned: success
  type: str
  sample: 5d41402abc4b2a76b9719d911017c592ae4f0f1b7a9b1e8c3e1c6a5d2c9b8e7f
manifest:
  description: The archive's C(manifest.json); with more than 100 files, C(odoo_cloud.files) is their count.
  returned: success
  type: dict
  sample: {odoo_dump: "1", db_name: acme, version: "18.0", pg_version: "16.0", odoo_cloud: {files: {count: 2431}}}
rows:
  description:
    - Per table, the manifest's row count (C(archive)) and the restored one (C(restored), V(null) in check
      mode and when nothing was restored).
  returned: success
  type: dict
  sample: {res_users: {archive: 12, restored: 12}, ir_attachment: {archive: 2431, restored: 2431}}
actions:
  description: What the module did (in check mode, would do), in order.
  returned: success
  type: list
  elements: str
  sample:
    - create database acme_copy__restore owned by odoo
    - restore dump.sql into acme_copy__restore with psql
    - extract 2430 filestore files into /var/lib/odoo/filestore/.acme_copy.restore-20261201T080000Z
    - rename database acme_copy__restore to acme_copy
    - move /var/lib/odoo/filestore/.acme_copy.restore-20261201T080000Z to /var/lib/odoo/filestore/acme_copy
filestore:
  description: The restored filestore directory.
  returned: success
  type: str
  sample: /var/lib/odoo/filestore/acme_copy
filestore_moved_to:
  description: Where the old filestore directory was moved (O(overwrite=true)); V(null) when nothing was moved.
  returned: success
  type: str
  sample: /var/lib/odoo/filestore/acme.before-restore-20261201T080000Z
verification:
  description: The result of verifying the archive; V(null) when the database already held this archive.
  returned: success
  type: dict
  sample: {verified: true, members: 2433, filestore_files: 2431, dump_sql_bytes: 3355443}
duration:
  description: Seconds the task took.
  returned: success
  type: float
  sample: 63.2
"""

import contextlib
import grp
import os
import pwd
import re
import shutil
import subprocess
import time
import typing as t
import zipfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.community.postgresql.plugins.module_utils.postgres import (
    connect_to_db,
    ensure_required_libs,
    get_conn_params,
    postgres_common_argument_spec,
)
from ansible_collections.odoo_cloud.platform.plugins.module_utils import _backup_store as stores
from ansible_collections.odoo_cloud.platform.plugins.module_utils import _odoo_dump as dump

# Odoo's own rule for database names (odoo/service/db.py DBNAME_PATTERN).
DBNAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
MARKER = "odoo_cloud.platform.odoo_restore"
STAGING_SUFFIX = "__restore"
MAX_IDENTIFIER = 63


class RestoreError(Exception):
    """The restore was refused or failed; the message says why and holds no secret."""


def restore_comment(sha256: str, location: str, when: str) -> str:
    return f"{MARKER} sha256={sha256} source={location} restored={when}"


def comment_sha256(comment: str | None) -> str | None:
    match = re.search(r"\bsha256=([0-9a-f]{64})\b", comment or "")
    return match.group(1) if comment and comment.startswith(MARKER) and match else None


def open_session(module: AnsibleModule, conn_params: dict[str, t.Any]) -> dump.PgSession:
    """An autocommit session (the tests replace this function)."""
    connection, dummy = connect_to_db(module, dict(conn_params), autocommit=True)
    return dump.PgSession(connection)


def _owner_ids(owner: str | None, group: str | None) -> tuple[int, int]:
    def lookup(value: str | None, by_name: t.Callable[[str], t.Any], field: str) -> int:
        if value is None:
            return -1
        if value.isdigit():
            return int(value)
        try:
            return int(by_name(value)[2])
        except KeyError:
            raise RestoreError(f"{field}: no such {'user' if field == 'filestore_owner' else 'group'} {value!r}") from None
    return lookup(owner, pwd.getpwnam, "filestore_owner"), lookup(group, grp.getgrnam, "filestore_group")


def _chown_tree(root: str, uid: int, gid: int) -> None:
    if uid == -1 and gid == -1:
        return
    os.chown(root, uid, gid)
    for current, dirs, files in os.walk(root):
        for name in dirs + files:
            os.chown(os.path.join(current, name), uid, gid, follow_symlinks=False)


class RestoreManager:
    """Checks everything first, then restores beside the target and swaps it in only when complete."""

    def __init__(self, module: AnsibleModule, store: stores.Store, conn_params: dict[str, t.Any],
                 clock: t.Callable[[], float] = time.monotonic) -> None:
        self.module = module
        self.params = module.params
        self.store = store
        self.conn_params = conn_params
        self.clock = clock
        self.actions: list[str] = []

    def _conn(self, dbname: str) -> dict[str, t.Any]:
        params = dict(self.conn_params)
        params["dbname"] = dbname
        return params

    def _psql(self) -> str:
        found = shutil.which(self.params["psql_path"])
        if not found:
            raise RestoreError(f"psql_path: {self.params['psql_path']} is not an executable program "
                               f"(looked for in PATH: {os.environ.get('PATH', '')})")
        return found

    def _source_key(self) -> str:
        source = self.params["source"]
        if source != "latest":
            return source
        prefix = self.params["source_prefix"]
        if prefix is None:
            raise RestoreError("source_prefix is required with source=latest (for example 'acme/')")
        key = self.store.latest(prefix)
        if key is None:
            raise RestoreError(f"source=latest: no archive (*.zip) under {self.store.prefix_location(prefix)!r}")
        return key

    def check_params(self) -> None:
        database = self.params["database"]
        if not DBNAME_RE.match(database) or len(database.encode("utf-8")) > MAX_IDENTIFIER - len(STAGING_SUFFIX):
            raise RestoreError(
                f"database: {database!r} is not a name Odoo accepts (letters, digits, '_', '.', '-', starting with a "
                f"letter or digit, at most {MAX_IDENTIFIER - len(STAGING_SUFFIX)} bytes)"
            )
        if not os.path.isdir(self.params["filestore_root"]):
            raise RestoreError(f"filestore_root: {self.params['filestore_root']} is not a directory")

    def run(self) -> dict[str, t.Any]:
        start = self.clock()
        self.check_params()
        params = self.params
        database = params["database"]
        filestore = os.path.join(params["filestore_root"], database)
        key = self._source_key()
        location = self.store.location(key)
        result: dict[str, t.Any] = {
            "changed": False, "database": database, "source": location, "filestore": filestore,
            "filestore_moved_to": None, "verification": None, "actions": self.actions,
        }
        with self.store.local_copy(key, params["work_dir"]) as path:
            sha256, dummy = stores.file_sha256(path)
            result["sha256"] = sha256
            with contextlib.closing(dump.open_archive(path)) as archive:
                manifest = dump.read_manifest(archive)
            result["manifest"] = dump.summarize_manifest(manifest)
            archived_rows = manifest[dump.OUR_KEY].get("rows") or {}
            result["rows"] = {table: {"archive": count, "restored": None} for table, count in archived_rows.items()}
            if manifest["db_name"] == database and not params["allow_same_name"]:
                raise RestoreError(
                    f"database: {database} is the database this archive was made from; restoring into it would replace "
                    "the source. Restore under another name, or set allow_same_name=true (and overwrite=true)"
                )
            admin = open_session(self.module, self._conn(params["login_db"]))
            try:
                exists = admin.database_exists(database)
                if exists and comment_sha256(admin.database_comment(database)) == sha256:
                    result["duration"] = round(self.clock() - start, 3)
                    return result
                staging_db = database + STAGING_SUFFIX
                if admin.database_exists(staging_db):
                    raise RestoreError(f"database {staging_db} exists (left by an interrupted restore?); the module does not "
                                       "drop what it did not create in this run: drop it yourself")
                self._refuse_existing(exists, filestore)
                verification = dump.verify_archive(path)
                verification.pop("manifest")
                result["verification"] = verification
                result["changed"] = True
                if self.module.check_mode:
                    self._plan(exists, filestore, staging_db, verification["filestore_files"])
                else:
                    self._restore(admin, path, exists, filestore, staging_db, sha256, location, manifest, result)
            finally:
                admin.close()
        result["duration"] = round(self.clock() - start, 3)
        return result

    def _refuse_existing(self, exists: bool, filestore: str) -> None:
        if self.params["overwrite"]:
            return
        database = self.params["database"]
        if exists:
            raise RestoreError(f"database {database} exists; nothing was changed. Restore under another name, or set "
                               "overwrite=true to replace it (its filestore is moved aside, the database dropped)")
        if os.path.isdir(filestore) and os.listdir(filestore):
            raise RestoreError(f"filestore directory {filestore} exists and is not empty; nothing was changed. Set "
                               "overwrite=true to move it aside")
        if os.path.exists(filestore) and not os.path.isdir(filestore):
            raise RestoreError(f"{filestore} exists and is not a directory; nothing was changed")

    def _names(self, filestore: str) -> tuple[str, str]:
        stamp = dump.utc_now().strftime("%Y%m%dT%H%M%SZ")
        root = self.params["filestore_root"]
        database = self.params["database"]
        return os.path.join(root, f".{database}.restore-{stamp}"), os.path.join(root, f"{database}.before-restore-{stamp}")

    def _plan(self, exists: bool, filestore: str, staging_db: str, files: int) -> None:
        database = self.params["database"]
        staging_dir, aside = self._names(filestore)
        owner = self.params["owner"] or self.conn_params.get("user", "the login user")
        self.actions += [
            f"create database {staging_db} owned by {owner}",
            f"restore dump.sql into {staging_db} with psql",
            f"extract {files} filestore files into {staging_dir}",
        ]
        if exists:
            self.actions.append(f"drop database {database}")
        if os.path.exists(filestore):
            self.actions.append(f"move {filestore} to {aside}" if os.listdir(filestore) else f"remove the empty directory {filestore}")
        self.actions += [f"rename database {staging_db} to {database}", f"move {staging_dir} to {filestore}"]

    def _restore(self, admin: dump.PgSession, path: str, exists: bool, filestore: str, staging_db: str,
                 sha256: str, location: str, manifest: dict[str, t.Any], result: dict[str, t.Any]) -> None:
        params = self.params
        database = params["database"]
        psql = self._psql()
        uid, gid = _owner_ids(params["filestore_owner"], params["filestore_group"])
        staging_dir, aside = self._names(filestore)
        owner = params["owner"]
        created = False
        swapped = False
        try:
            admin.create_database(staging_db, owner)
            created = True
            self.actions.append(f"create database {staging_db} owned by {owner or self.conn_params.get('user', 'the login user')}")
            admin.comment_database(staging_db, f"{MARKER} restore in progress")
            with zipfile.ZipFile(path, "r") as archive:
                self._run_psql(psql, archive, staging_db, owner)
                self.actions.append(f"restore dump.sql into {staging_db} with psql")
                self._check_rows(staging_db, manifest, result)
                os.mkdir(staging_dir, 0o750)
                files = dump.extract_filestore(archive, staging_dir)
            self.actions.append(f"extract {files} filestore files into {staging_dir}")
            _chown_tree(staging_dir, uid, gid)
            admin.comment_database(staging_db, restore_comment(sha256, location, dump.utc_now().isoformat(timespec="seconds")))
            # Everything is in place beside the target: only now is anything of the old one touched.
            if exists:
                admin.drop_database(database)
                self.actions.append(f"drop database {database}")
            if os.path.isdir(filestore) and os.listdir(filestore):
                os.rename(filestore, aside)
                result["filestore_moved_to"] = aside
                self.actions.append(f"move {filestore} to {aside}")
            elif os.path.isdir(filestore):
                os.rmdir(filestore)
                self.actions.append(f"remove the empty directory {filestore}")
            swapped = True
            admin.rename_database(staging_db, database)
            self.actions.append(f"rename database {staging_db} to {database}")
            os.rename(staging_dir, filestore)
            self.actions.append(f"move {staging_dir} to {filestore}")
        except (OSError, subprocess.SubprocessError) as exc:
            self._clean(admin, created and not swapped, staging_db, staging_dir if not swapped else None)
            raise RestoreError(f"restore failed after: {'; '.join(self.actions) or 'nothing'}: {exc}") from exc
        except BaseException:
            self._clean(admin, created and not swapped, staging_db, staging_dir if not swapped else None)
            raise

    def _clean(self, admin: dump.PgSession, drop: bool, staging_db: str, staging_dir: str | None) -> None:
        """Remove what this run created and did not put in place (never anything that was there before)."""
        if drop:
            with contextlib.suppress(Exception):
                admin.drop_database(staging_db)
        if staging_dir and os.path.isdir(staging_dir):
            shutil.rmtree(staging_dir, ignore_errors=True)

    def _run_psql(self, psql: str, archive: zipfile.ZipFile, dbname: str, owner: str | None) -> None:
        try:
            env = dump.libpq_environment({k: v for k, v in self.conn_params.items() if k != "dbname"})
        except ValueError as exc:
            raise RestoreError(str(exc)) from None
        env["PGDATABASE"] = dbname
        command = [psql, "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1", "--file=-"]
        prologue = f"SET ROLE {dump.quote_ident(owner)};\n".encode("utf-8") if owner else b""
        code, message = dump.feed_program(command, env, prologue,
                                          lambda write: dump.stream_member(archive, dump.DUMP_MEMBER, write))
        if code != 0:
            raise RestoreError(f"psql exited with status {code} restoring dump.sql into {dbname}: {message or 'no message'}")

    def _check_rows(self, dbname: str, manifest: dict[str, t.Any], result: dict[str, t.Any]) -> None:
        archived = manifest[dump.OUR_KEY].get("rows") or {}
        session = open_session(self.module, self._conn(dbname))
        try:
            restored = session.row_counts(list(archived))
        finally:
            session.close()
        result["rows"] = {table: {"archive": archived[table], "restored": restored.get(table)} for table in archived}
        different = [f"{table} {archived[table]} in the archive, {restored.get(table)} restored"
                     for table in archived if archived[table] != restored.get(table)]
        if different and self.params["check_rows"]:
            raise RestoreError(f"the restored row counts differ from the manifest's ({'; '.join(different)}); the "
                               f"old database and filestore are untouched")


def argument_spec() -> dict[str, t.Any]:
    spec = postgres_common_argument_spec()
    spec.update(stores.backup_store_argument_spec())
    spec.update(
        source={"type": "str", "required": True},
        source_prefix={"type": "str"},
        database={"type": "str", "required": True},
        filestore_root={"type": "path", "required": True},
        filestore_owner={"type": "str"},
        filestore_group={"type": "str"},
        owner={"type": "str"},
        login_db={"type": "str", "default": "postgres"},
        psql_path={"type": "str", "default": "psql"},
        overwrite={"type": "bool", "default": False},
        allow_same_name={"type": "bool", "default": False},
        check_rows={"type": "bool", "default": True},
    )
    return spec


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_if=stores.STORE_REQUIRED_IF + [("source", "latest", ["source_prefix"])],
        supports_check_mode=True,
    )
    ensure_required_libs(module)
    try:
        store = stores.make_store(module.params)
        conn_params = get_conn_params(module, module.params, warn_db_default=False)
        result = RestoreManager(module, store, conn_params).run()
    except (RestoreError, stores.StoreError, dump.ArchiveError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
