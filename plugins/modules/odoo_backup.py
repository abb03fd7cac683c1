#!/usr/bin/python
# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: odoo_backup
short_description: Back up an Odoo database and its filestore into one archive in Odoo's dump format
version_added: 0.1.0
description:
  - Writes an archive in the layout of Odoo's database manager (the C(zip) backup format of
    C(odoo/service/db.py)), which Odoo's own restore and M(odoo_cloud.platform.odoo_restore) read -
    C(dump.sql), plain C(pg_dump --no-owner) output of O(database); C(filestore/), the database's filestore
    tree from O(filestore_path); and C(manifest.json), Odoo's manifest (C(odoo_dump), C(db_name), C(version),
    C(version_info) and C(major_version) from the installed C(base) module, C(pg_version), the installed
    C(modules) with their versions).
  - The manifest also holds verification data of ours under C(odoo_cloud) - the sha256 of every other
    member (C(files)), the row counts of C(res_users), C(res_partner), C(ir_attachment) and
    C(ir_module_module) (C(rows)) and the creation time (C(created)).
  - The archive is written as a stream. C(pg_dump)'s output goes into the C(dump.sql) member chunk by chunk
    and filestore files are read in chunks while they are hashed, so neither the dump nor the archive is
    ever held in memory or staged on disk whole.
  - The row counts and the module list are read in the same snapshot as the dump (C(pg_export_snapshot())
    and C(pg_dump --snapshot)). The database is dumped before the filestore is read, so every file the
    dump's attachments refer to is in the archive.
  - With O(verify=true), the archive is read back and verified as M(odoo_cloud.platform.odoo_restore) does
    before it restores.
  - A new archive is written on every run; the task reports a change whenever one was written.
options:
  database:
    description:
      - The Odoo database to back up. The login user must be able to read all of it (its owner, or a
        superuser).
    type: str
    required: true
  filestore_path:
    description:
      - The database's filestore directory on the host where the module runs, for example
        C(/var/lib/odoo/filestore/DATABASE) or a Docker volume's C(_data/filestore/DATABASE).
      - A directory that does not exist is an error unless O(filestore_optional=true).
    type: path
    required: true
  filestore_optional:
    description:
      - Write an archive without C(filestore/) members when O(filestore_path) does not exist (a database
        without attachments in files).
    type: bool
    default: false
  pg_dump_path:
    description:
      - The C(pg_dump) program, by name (looked for in C(PATH)) or by path. Its major version must be that
        of the server or newer.
      - It gets the connection, password included, through libpq's environment variables, never on its
        command line.
    type: str
    default: pg_dump
  name:
    description:
      - The archive's name in the store (relative to O(store_path), or the key in O(s3_bucket)).
      - "Placeholders: C({database}) and C({timestamp}) (UTC, C(20261201T020000Z))."
    type: str
    default: "{database}/{database}-{timestamp}.zip"
  retention_days:
    description:
      - Lock the S3 object for this many days (S3 Object Lock, C(ObjectLockRetainUntilDate)); the bucket
        must have object lock enabled. V(0) sets no lock. Only with O(store_type=s3).
    type: int
    default: 0
  object_lock_mode:
    description:
      - The lock mode with O(retention_days). In V(COMPLIANCE) mode nobody can delete the object or shorten
        its retention before the date, the root account included; V(GOVERNANCE) lets users with a special
        permission do so.
    type: str
    default: COMPLIANCE
    choices: [COMPLIANCE, GOVERNANCE]
  verify:
    description:
      - Read the archive back after writing it and verify it (every member's CRC-32 and sha256, the end of
        C(dump.sql)). For O(store_type=s3) it is downloaded into O(work_dir) for that.
    type: bool
    default: true
  snapshot:
    description:
      - Read the manifest's row counts and modules in the snapshot C(pg_dump) dumps (an exported snapshot).
        Set V(false) only for a server that cannot export snapshots; the counts may then differ from the dump
        of a busy database, and the row count check of M(odoo_cloud.platform.odoo_restore) fails then.
    type: bool
    default: true
  compression:
    description:
      - How members are stored. V(deflated) is what Odoo writes; V(stored) spends no CPU on compression.
    type: str
    default: deflated
    choices: [deflated, stored]
notes:
  - Stop nothing for a backup. Files Odoo adds to the filestore while the archive is written may be in the
    archive without being referenced by its dump; that is harmless (Odoo collects unreferenced files).
extends_documentation_fragment:
  - odoo_cloud.platform._attributes
  - odoo_cloud.platform._attributes.actiongroup_backup
  - community.postgresql.postgres
  - odoo_cloud.platform._backup_store
attributes:
  check_mode:
    support: full
    details:
      - Connects, reads the manifest's data and the filestore's file list, and reports what would be
        written; runs no C(pg_dump) and writes nothing.
  diff_mode:
    support: none
  idempotent:
    support: none
    details:
      - Every run writes a new archive.
seealso:
  - module: odoo_cloud.platform.odoo_restore
  - name: pg_dump
    description: The program that writes C(dump.sql).
    link: https://www.postgresql.org/docs/current/app-pgdump.html
  - name: S3 Object Lock
    description: Write-once retention of objects.
    link: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
author:
  - odoo_cloud platform team (@odoo-cloud)
"""

EXAMPLES = r"""
- name: Back up the database and filestore of tenant acme into a directory
  odoo_cloud.platform.odoo_backup:
    database: acme
    filestore_path: /var/lib/docker/volumes/odoo-acme-data/_data/filestore/acme
    login_host: 10.77.0.151
    login_user: odoo
    login_password: "{{ vault_odoo_db_password }}"
    store_path: /srv/backups/odoo
  register: odoo_backup

- name: Back up into S3 with a 30-day compliance lock
  odoo_cloud.platform.odoo_backup:
    database: acme
    filestore_path: /var/lib/odoo/filestore/acme
    login_host: 10.77.0.151
    login_user: odoo
    login_password: "{{ vault_odoo_db_password }}"
    store_type: s3
    s3_bucket: lab-backups
    s3_endpoint_url: https://10.77.0.50:9000
    s3_region: us-east-1
    s3_path_style: true
    s3_ca_bundle: /etc/ssl/certs/lab-ca.pem
    s3_access_key: "{{ vault_s3_access_key }}"
    s3_secret_key: "{{ vault_s3_secret_key }}"
    name: "odoo/{database}/{database}-{timestamp}.zip"
    retention_days: 30
    work_dir: /srv/tmp

- name: Show where it went
  ansible.builtin.debug:
    msg: "{{ odoo_backup.location }} ({{ odoo_backup.size }} bytes, sha256 {{ odoo_backup.sha256 }})"
"""

RETURN = r"""
location:
  description: The archive, as a path or an C(s3://bucket/key) URL (in check mode, where it would be written).
  returned: success
  type: str
  sample: s3://lab-backups/acme/acme-20261201T020000Z.zip
name:
  description: The archive's name in the store (O(name) with the placeholders filled in).
  returned: success
  type: str
  sample: acme/acme-20261201T020000Z.zip
size:
  description: Bytes of the archive; V(null) in check mode.
  returned: success
  type: int
  sample: 73400320
sha256:
  description: The sha256 of the archive as written; V(null) in check mode.
  returned: success
  type: str
  sample: 5d41402abc4b2a76b9719d911017c592ae4f0f1b7a9b1e8c3e1c6a5d2c9b8e7f
manifest:
  description:
    - The archive's C(manifest.json). When it lists more than 100 files, C(odoo_cloud.files) is replaced by
      their count (a dict with the one key C(count)).
    - In check mode, the manifest without C(odoo_cloud.files) and C(odoo_cloud.created).
  returned: success
  type: dict
  sample:
    odoo_dump: "1"
    db_name: acme
    version: "18.0"
    version_info: [18, 0, 0, final, 0, ""]
    major_version: "18.0"
    pg_version: "16.0"
    modules: {base: 18.0.1.3, web: 18.0.1.0}
    odoo_cloud: {format: 1, created: "2026-12-01T02:00:00Z", files: {count: 2431}, rows: {res_users: 12}}
filestore:
  description: The filestore files and bytes in the archive (in check mode, that would be).
  returned: success
  type: dict
  sample: {files: 2430, bytes: 70254592}
duration:
  description: Seconds the task took.
  returned: success
  type: float
  sample: 41.7
verification:
  description: The result of reading the archive back; V(null) with O(verify=false) and in check mode.
  returned: success
  type: dict
  contains:
    verified:
      description: Always V(true) (a failed verification fails the task).
      type: bool
    members:
      description: Members of the archive.
      type: int
    filestore_files:
      description: C(filestore/) members, each checked against its sha256.
      type: int
    dump_sql_bytes:
      description: Bytes of C(dump.sql).
      type: int
  sample: {verified: true, members: 2433, filestore_files: 2431, dump_sql_bytes: 3355443}
"""

import typing as t

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.community.postgresql.plugins.module_utils.postgres import (
    connect_to_db,
    ensure_required_libs,
    get_conn_params,
    postgres_common_argument_spec,
)
from ansible_collections.odoo_cloud.platform.plugins.module_utils import _backup_store as stores
from ansible_collections.odoo_cloud.platform.plugins.module_utils import _odoo_dump as dump
from ansible_collections.odoo_cloud.platform.plugins.module_utils._odoo_backup import BackupError, BackupManager


def open_session(module: AnsibleModule, conn_params: dict[str, t.Any]) -> dump.PgSession:
    """An autocommit session on the database (the tests replace this function)."""
    connection, dummy = connect_to_db(module, dict(conn_params), autocommit=True)
    return dump.PgSession(connection)


def argument_spec() -> dict[str, t.Any]:
    spec = postgres_common_argument_spec()
    spec.update(stores.backup_store_argument_spec())
    spec.update(
        database={"type": "str", "required": True},
        filestore_path={"type": "path", "required": True},
        filestore_optional={"type": "bool", "default": False},
        pg_dump_path={"type": "str", "default": "pg_dump"},
        name={"type": "str", "default": "{database}/{database}-{timestamp}.zip"},
        retention_days={"type": "int", "default": 0},
        object_lock_mode={"type": "str", "default": "COMPLIANCE", "choices": ["COMPLIANCE", "GOVERNANCE"]},
        verify={"type": "bool", "default": True},
        snapshot={"type": "bool", "default": True},
        compression={"type": "str", "default": "deflated", "choices": ["deflated", "stored"]},
    )
    return spec


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_if=stores.STORE_REQUIRED_IF + [("store_type", "path", ["store_path"])],
        supports_check_mode=True,
    )
    ensure_required_libs(module)
    try:
        store = stores.make_store(module.params)
        conn_params = get_conn_params(module, module.params, warn_db_default=False)
        result = BackupManager(module.params, store, conn_params, lambda conn: open_session(module, conn),
                               check_mode=module.check_mode).run()
    except (BackupError, stores.StoreError, dump.DumpError, dump.ArchiveError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
