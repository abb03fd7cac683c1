# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this doc fragment is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

from __future__ import annotations


class ModuleDocFragment:

    # Session options our SQL modules add to community.postgresql's connection options
    # (module_utils/_pg_replication.py session_argument_spec() is the matching spec).
    DOCUMENTATION = r"""
options:
  login_db:
    description:
      - Name of the database to connect to.
    type: str
  session_role:
    description:
      - Switch to this role after connecting. The O(login_user) must be a member of it.
    type: str
  trust_input:
    description:
      - If V(false), refuse a O(session_role) that looks like SQL injection.
    type: bool
    default: true
"""
