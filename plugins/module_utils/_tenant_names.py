# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The name rules of a tenant, one set for the tenants inventory plugin (the catalog) and the odoo_tenant
module (the objects it renders), so a catalog that parses always renders."""

from __future__ import annotations

import re

# Kubernetes' DNS-1123 label (namespaces, object names; the 63-character limit is checked by the callers).
DNS1123_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# An Odoo add-on (module) directory name.
ADDON_RE = re.compile(r"^[a-z0-9_]+$")
# A PostgreSQL database or role name the collection creates: an unquoted identifier.
DB_IDENTIFIER_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
