#!/usr/bin/python
# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: odoo_backup_prune
short_description: Remove the expired Odoo backup archives under a prefix, never a locked or a newest one
version_added: 0.1.0
description:
  - Lists the archives (C(*.zip)) whose name starts with O(prefix) in a directory or an S3 bucket, as
    M(odoo_cloud.platform.odoo_backup) writes them, and removes those that are expired - older than
    O(keep_days) - except the O(keep_last) newest, which are kept whatever their age.
  - In S3 every version of an object is an archive; a removal deletes that version (its data), not just the
    current name. A version whose object-lock retention has not passed is kept and reported as locked; the
    module never tries to delete it (the store would refuse a C(COMPLIANCE) lock anyway).
  - The age is the archive's modification time in the store (C(LastModified) in S3).
  - Nothing but C(*.zip) names under O(prefix) is ever touched.
options:
  prefix:
    description:
      - The archives' name prefix, for example V(acme/) for the archives of M(odoo_cloud.platform.odoo_backup)'s
        default name C({database}/{database}-{timestamp}.zip). Must not be empty.
    type: str
    required: true
  keep_days:
    description: Archives modified less than this many days ago are kept; older ones are expired.
    type: int
    required: true
  keep_last:
    description: The newest this many archives under O(prefix) are kept even when expired (at least 1).
    type: int
    default: 1
extends_documentation_fragment:
  - odoo_cloud.platform._attributes
  - odoo_cloud.platform._attributes.actiongroup_backup
  - odoo_cloud.platform._backup_store
attributes:
  check_mode:
    support: full
    details:
      - Lists the archives and reads their retention; reports what would be removed and removes nothing.
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - A second run finds nothing more to remove, unless more archives have expired meanwhile.
seealso:
  - module: odoo_cloud.platform.odoo_backup
  - module: odoo_cloud.platform.odoo_restore
requirements:
  - boto3 (with O(store_type=s3))
author:
  - odoo_cloud platform team (@odoo-cloud)
"""

EXAMPLES = r"""
- name: Keep 14 days of acme's backups (and always the newest)
  odoo_cloud.platform.odoo_backup_prune:
    prefix: acme/
    keep_days: 14
    store_type: s3
    s3_bucket: acme-odoo-backups
    s3_endpoint_url: https://s3.example.net
    s3_access_key: "{{ vault_backup_s3_access_key }}"
    s3_secret_key: "{{ vault_backup_s3_secret_key }}"
  register: pruned

- name: Same for a directory, keeping the newest three
  odoo_cloud.platform.odoo_backup_prune:
    prefix: acme/
    keep_days: 7
    keep_last: 3
    store_path: /srv/backups/odoo
"""

RETURN = r"""
removed:
  description: The archives removed (in check mode, that would be), oldest first.
  returned: success
  type: list
  elements: dict
  sample:
    - {name: acme/acme-20261101T020000Z.zip, location: s3://acme-odoo-backups/acme/acme-20261101T020000Z.zip,
       version: 3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY, modified: "2026-11-01T02:00:41Z", size: 73400320}
kept:
  description: The archives kept and why (C(newest), C(not expired), or C(locked until <time>)), newest first.
  returned: success
  type: list
  elements: dict
  sample:
    - {name: acme/acme-20261201T020000Z.zip, modified: "2026-12-01T02:00:39Z", reason: newest}
    - {name: acme/acme-20261115T020000Z.zip, modified: "2026-11-15T02:00:40Z", reason: "locked until 2026-12-15T02:00:40Z"}
removed_bytes:
  description: Bytes of the removed archives.
  returned: success
  type: int
  sample: 73400320
"""

import typing as t

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.odoo_cloud.platform.plugins.module_utils import _backup_store as stores
from ansible_collections.odoo_cloud.platform.plugins.module_utils._backup_retention import PruneError, PruneManager


def argument_spec() -> dict[str, t.Any]:
    spec = stores.backup_store_argument_spec()
    spec.update(
        prefix={"type": "str", "required": True},
        keep_days={"type": "int", "required": True},
        keep_last={"type": "int", "default": 1},
    )
    return spec


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_if=stores.STORE_REQUIRED_IF + [("store_type", "path", ["store_path"])],
        supports_check_mode=True,
    )
    try:
        store = stores.make_store(module.params)
        result = PruneManager(module.params, store, check_mode=module.check_mode).run()
    except (PruneError, stores.StoreError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
