# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Retention of the Odoo backup archives under a prefix, for the odoo_backup_prune module and the host program.

Needs no Ansible. ``params`` are the module's options (plugins/modules/odoo_backup_prune.py).
"""

from __future__ import annotations

import datetime
import typing as t

from ansible_collections.odoo_cloud.platform.plugins.module_utils import _backup_store as stores


class PruneError(Exception):
    """A refusal the user can act on."""


def _iso(value: datetime.datetime) -> str:
    return value.astimezone(datetime.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


class PruneManager:
    """Works out what expired; removes it only outside check mode."""

    def __init__(self, params: dict[str, t.Any], store: t.Any, check_mode: bool = False,
                 now: t.Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.timezone.utc)) -> None:
        self.params = params
        self.store = store
        self.check_mode = check_mode
        self.now = now

    def check(self) -> None:
        p = self.params
        if not (p["prefix"] or "").strip():
            raise PruneError("prefix is empty: name the archives to prune (for example 'acme/'), never the whole store")
        if p["keep_days"] < 0:
            raise PruneError(f"keep_days must be 0 or more, got {p['keep_days']}")
        if p["keep_last"] < 1:
            raise PruneError(f"keep_last must be at least 1 (the newest archive is never removed), got {p['keep_last']}")

    def run(self) -> dict[str, t.Any]:
        self.check()
        now = self.now()
        cutoff = now - datetime.timedelta(days=self.params["keep_days"])
        entries = sorted(self.store.archives(self.params["prefix"]), key=lambda e: (e.modified, e.name), reverse=True)
        kept: list[dict[str, t.Any]] = []
        removed: list[dict[str, t.Any]] = []
        expired: list[stores.ArchiveEntry] = []
        for index, entry in enumerate(entries):
            info = {"name": entry.name, "location": entry.location, "version": entry.version,
                    "modified": _iso(entry.modified), "size": entry.size}
            if index < self.params["keep_last"]:
                kept.append({**info, "reason": "newest"})
                continue
            if entry.modified >= cutoff:
                kept.append({**info, "reason": "not expired"})
                continue
            until = self.store.locked_until(entry)
            if until is not None and until > now:
                kept.append({**info, "reason": f"locked until {_iso(until)}"})
                continue
            removed.append(info)
            expired.append(entry)
        removed.reverse()
        if not self.check_mode:
            for entry in reversed(expired):
                self.store.delete(entry)
        return {"changed": bool(removed), "removed": removed, "kept": kept,
                "removed_bytes": sum(int(i["size"]) for i in removed)}
