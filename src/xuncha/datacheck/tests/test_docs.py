"""docs/formats/datasets.md says what the code does: its tables of kinds and of header
texts are the ones in ``headers`` and ``schema``; the rule table of docs/formats/rules.md
names every shipped rule with its parameters and defaults."""

from __future__ import annotations

import re
from pathlib import Path

from xuncha.datacheck.lib import rules
from xuncha.datacheck.lib.headers import FIELDS, KINDS
from xuncha.datacheck.lib.schema import FIELD_TYPES, SCHEMA

DOCS = Path(__file__).resolve().parents[4] / "docs" / "formats"


def _rows(text: str, heading: str) -> dict[str, list[str]]:
    """The rows of the first table under ``heading``, by their first cell (``|`` inside a
    cell is written ``\\|``)."""
    section = text.split(heading, 1)[1].split("\n#", 1)[0]
    out = {}
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        out[cells[0].strip("`")] = cells[1:]
    return out


def test_the_kinds_table_is_the_code():
    rows = _rows((DOCS / "datasets.md").read_text(encoding="utf-8"), "## Kinds and their columns")
    for kind, required in KINDS.items():
        cells = rows[kind]
        assert re.findall(r"`(\w+)`", cells[1]) == list(required), kind
        optional = [f for f in SCHEMA[kind] if f not in required]
        assert re.findall(r"`(\w+)`", cells[2]) == optional, kind


def test_the_header_table_is_the_code():
    rows = _rows((DOCS / "datasets.md").read_text(encoding="utf-8"), "## Fields, their types")
    for field, texts in FIELDS.items():
        cells = rows[field]
        assert cells[0] == FIELD_TYPES.get(field, "text"), field
        assert cells[1].split(" · ") == list(texts), field


def test_the_rule_table_names_every_shipped_rule_and_its_defaults():
    text = (DOCS / "rules.md").read_text(encoding="utf-8")
    rows = _rows(text, "## The shipped library")
    for spec in rules.builtin_rules():
        cells = rows[spec.code]
        for param in spec.params:
            assert f"`{param.name}`" in cells[-1], (spec.code, param.name)
            assert f"`{param.name}` = {param.default}" in cells[-1], (spec.code, param.name)
