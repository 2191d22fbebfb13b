"""Punctuation that follows the language: Chinese enumerates with 、 and separates clauses
with ；, English with ", " and "; "."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import translation


def _chinese() -> bool:
    return (translation.get_language() or "").lower().startswith("zh")


def enumeration(items: Iterable[object]) -> str:
    """``items`` as a list in running text: 财务、审计 or Finance, Audit."""
    return ("、" if _chinese() else ", ").join(str(i) for i in items)


def alternatives(items: Iterable[object]) -> str:
    """``items`` as choices in running text: 组长或副组长 / 甲、乙或丙, leader or deputy
    leader / a, b or c."""
    parts = [str(i) for i in items]
    if len(parts) < 2:
        return "".join(parts)
    if _chinese():
        return "、".join(parts[:-1]) + "或" + parts[-1]
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def clauses(items: Iterable[object]) -> str:
    """Separate statements in one line: ……；…… or …; …"""
    return ("；" if _chinese() else "; ").join(str(i) for i in items)


_STOPS = "。．.！!？?"


def sentences(items: Iterable[object]) -> str:
    """Several messages (each a sentence of its own) on one line: the clauses separated the
    language's way and one full stop at the end (……；……。 or …; ….), never ".;"."""
    parts = [str(i).strip().rstrip(_STOPS) for i in items]
    parts = [p for p in parts if p]
    if not parts:
        return ""
    return clauses(parts) + ("。" if _chinese() else ".")


def labelled(label: object, text: object) -> str:
    """A label and what it introduces: 课程：必填 or Course: required."""
    return f"{label}：{text}" if _chinese() else f"{label}: {text}"


def sentence_gap() -> str:
    """What separates two whole sentences: nothing after a Chinese full stop, one space
    in English."""
    return "" if _chinese() else " "


def paragraph(items: Iterable[object]) -> str:
    """Whole sentences one after another: 甲。乙。 or "A. B."."""
    parts = [str(i).strip() for i in items]
    return sentence_gap().join(p for p in parts if p)
