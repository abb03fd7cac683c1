# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""python3 odoo_cloud_backup.py JOB.json: one Odoo backup (database and filestore, Odoo's dump layout) and its retention.

Installed by the odoo_cloud.platform.odoo_backup role and run by its systemd timers. The code is the collection's
own (module_utils _odoo_backup, _odoo_dump, _backup_store, _backup_retention), copied next to this program: the
same archive as the odoo_backup module writes, verified the same way. The job file (0600) holds the options of
the odoo_backup module, "connection" (libpq keywords) and "prune" (odoo_backup_prune's options, or null).
Prints one JSON line with the result; exits 1 with the error (which never holds a secret) on stderr.
"""

from __future__ import annotations

import json
import os
import sys

LIBRARY = os.environ.get("ODOO_CLOUD_BACKUP_LIBRARY", "/usr/local/lib/odoo-cloud")
sys.path.insert(0, LIBRARY)

# pylint: disable=wrong-import-position
from ansible_collections.odoo_cloud.platform.plugins.module_utils import _backup_retention as retention  # noqa: E402
from ansible_collections.odoo_cloud.platform.plugins.module_utils import _backup_store as stores  # noqa: E402
from ansible_collections.odoo_cloud.platform.plugins.module_utils import _odoo_backup as backup  # noqa: E402
from ansible_collections.odoo_cloud.platform.plugins.module_utils import _odoo_dump as dump  # noqa: E402

BACKUP_DEFAULTS = {
    "filestore_optional": False, "pg_dump_path": "pg_dump", "name": "{database}/{database}-{timestamp}.zip",
    "retention_days": 0, "object_lock_mode": "COMPLIANCE", "verify": True, "snapshot": True,
    "compression": "deflated",
}
STORE_DEFAULTS = {key: None for key in ("store_path", "s3_bucket", "s3_endpoint_url", "s3_region", "s3_ca_bundle",
                                        "s3_access_key", "s3_secret_key", "s3_session_token", "work_dir")}
STORE_DEFAULTS.update(store_type="path", s3_path_style=False)


def open_session(conn_params: dict) -> dump.PgSession:
    import psycopg2  # Debian: python3-psycopg2

    connection = psycopg2.connect(**{k: v for k, v in conn_params.items() if v not in (None, "")})
    connection.autocommit = True
    return dump.PgSession(connection)


def run(job: dict) -> dict:
    unknown = sorted(set(job) - set(BACKUP_DEFAULTS) - set(STORE_DEFAULTS)
                     - {"database", "filestore_path", "connection", "prune"})
    if unknown:
        raise backup.BackupError(f"job file: unknown key(s) {', '.join(unknown)}")
    params = {**BACKUP_DEFAULTS, **STORE_DEFAULTS, **{k: v for k, v in job.items() if k not in ("connection", "prune")}}
    for key in ("database", "filestore_path"):
        if not params.get(key):
            raise backup.BackupError(f"job file: {key} is missing")
    conn = {**(job.get("connection") or {}), "dbname": params["database"]}
    store = stores.make_store(params)
    result = {"backup": backup.BackupManager(params, store, conn, open_session).run()}
    if job.get("prune"):
        prune = {"keep_last": 1, **job["prune"]}
        result["prune"] = retention.PruneManager(prune, store).run()
    return result


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1], encoding="utf-8") as handle:
            job = json.load(handle)
        result = run(job)
    except (OSError, ValueError) as exc:
        print(f"odoo-cloud-backup: {sys.argv[1]}: {exc}", file=sys.stderr)
        return 1
    except (backup.BackupError, retention.PruneError, stores.StoreError, dump.DumpError, dump.ArchiveError) as exc:
        print(f"odoo-cloud-backup: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # pylint: disable=broad-exception-caught
        # psycopg2's errors (a refused connection, a failed query): their text names the server, never a password.
        print(f"odoo-cloud-backup: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    done = result["backup"]
    summary = {"location": done["location"], "size": done["size"], "sha256": done["sha256"],
               "duration": done["duration"], "verified": bool((done.get("verification") or {}).get("verified")),
               "filestore": done["filestore"]}
    if "prune" in result:
        summary["pruned"] = [item["name"] for item in result["prune"]["removed"]]
    print(json.dumps(summary, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
