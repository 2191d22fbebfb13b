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


def clauses(items: Iterable[object]) -> str:
    """Separate statements in one line: ……；…… or …; …"""
    return ("；" if _chinese() else "; ").join(str(i) for i in items)
