"""The README's "What exists today" table names every role, plugin and playbook the collection ships."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _table() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^What exists today.*?\n((?:\|[^\n]*\n)+)", readme, re.M | re.S)
    assert match, "README.md has no 'What exists today' table"
    return match.group(1)


def _content() -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    items += [("role", p.name) for p in sorted((ROOT / "roles").iterdir()) if (p / "tasks").is_dir()]
    items += [("playbook", p.stem) for p in sorted((ROOT / "playbooks").glob("*.yml"))]
    for kind in ("modules", "inventory", "test", "lookup"):
        items += [(kind, p.stem) for p in sorted((ROOT / "plugins" / kind).glob("*.py")) if p.stem != "__init__"]
    # Filters: a file may hold several, each documented by a sidecar .yml of its name.
    filters = {p.stem for p in (ROOT / "plugins" / "filter").glob("*.yml")}
    filters |= {
        p.stem
        for p in (ROOT / "plugins" / "filter").glob("*.py")
        if p.stem != "__init__" and "DOCUMENTATION" in p.read_text(encoding="utf-8")
    }
    items += [("filter", name) for name in sorted(filters)]
    return items


@pytest.mark.parametrize(("kind", "name"), _content(), ids=lambda v: v)
def test_readme_table_names_it(kind: str, name: str) -> None:
    assert re.search(rf"`(odoo_cloud\.platform\.|playbooks/)?{re.escape(name)}(\.yml)?`", _table()), (
        f"{kind} '{name}' is missing from README.md's 'What exists today' table"
    )


def test_readme_table_names_nothing_that_is_gone() -> None:
    names = {item[1] for item in _content()}
    first_column = "\n".join(row.split("|")[1] for row in _table().splitlines())
    for named in re.findall(r"`(?:odoo_cloud\.platform\.|playbooks/)?([a-z0-9_]+)(?:\.yml)?`", first_column):
        assert named in names, f"README.md's table names '{named}', which the collection does not ship"
