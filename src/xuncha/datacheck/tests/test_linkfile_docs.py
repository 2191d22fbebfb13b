"""docs/formats/linkage.md says what the linkage code does: its roles, levels and blocking
rules are the ones in ``link``."""

from __future__ import annotations

import re
from pathlib import Path

from xuncha.datacheck.lib import link

DOC = Path(__file__).resolve().parents[4] / "docs" / "formats" / "linkage.md"


def _section(heading: str) -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| `")]


def test_the_roles_table_is_the_code():
    rows = {re.findall(r"`(\w+)`", line)[0]: line for line in _section("## Column roles")}
    assert list(rows) == list(link.ROLES)
    for role, meaning in link.ROLES.items():
        assert meaning in rows[role], role


def test_the_levels_table_is_the_code():
    rows = _section("## Comparisons and their levels")
    documented = {}
    for line in rows:
        field, levels = line.split("|")[1:3]
        documented[field.strip().strip("`")] = re.findall(r"`(\w+)`", levels)
    expected = {
        c.field: [lvl.code for lvl in c.levels if not lvl.null and lvl.sql != "ELSE"] + ["differ"]
        for c in link.COMPARISONS
    }
    assert documented == expected


def test_the_blocking_table_is_the_code():
    rows = _section("## Which pairs are compared")
    documented = [tuple(re.findall(r"`(\w+)`", line)) for line in rows]
    assert documented == list(link.BLOCKING)
