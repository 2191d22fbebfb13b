"""The agreement levels of record linkage (``datacheck.lib.link.COMPARISONS``) as reasons a
reader understands: "姓名：相同", "出生：年龄相近", "住址：同镇" (the labels of
``datacheck.labels``, shared with the data comparison pages)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xuncha.datacheck.labels import COMPARISON_LABELS, comparison_label, level_label


@dataclass(frozen=True)
class Reason:
    field: str
    level: str
    field_label: Any
    label: Any
    agrees: bool


def reasons(levels: dict[str, str]) -> list[Reason]:
    """The readable reasons of a pair, field by field; fields one side lacks are left out."""
    found = []
    for field in COMPARISON_LABELS:
        level = levels.get(field, "missing")
        if level == "missing":
            continue
        found.append(
            Reason(
                field=field,
                level=level,
                field_label=comparison_label(field),
                label=level_label(field, level),
                agrees=level != "differ",
            )
        )
    return found
