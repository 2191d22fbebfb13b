"""Translated names of the canonical fields, for pages and messages."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xuncha.datacheck.lib.schema import FIELD_TYPES, SCHEMA


def field_label(field: str) -> Any:
    return FIELD_LABELS.get(field, field)


FIELD_LABELS: dict[str, Any] = {
    "id_number": _("ID number"),
    "name": pgettext_lazy("person", "Name"),
    "gender": _("Gender"),
    "birth_date": _("Date of birth"),
    "address": _("Address"),
    "township": _("Township"),
    "village": _("Village"),
    "household": _("Household number"),
    "relation": _("Relation to the head of household"),
    "organisation": _("Employer"),
    "post": _("Post"),
    "benefit_type": _("Benefit type"),
    "period": _("Payment period"),
    "amount": _("Amount"),
    "death_date": _("Date of death"),
    "cremation_date": _("Date of cremation"),
    "plate": _("Number plate"),
    "vehicle_type": _("Vehicle type"),
    "company": _("Company"),
    "credit_code": _("Unified social credit code"),
    "legal_rep": _("Legal representative"),
    "legal_rep_id": _("Legal representative's ID number"),
    "shareholder": _("Shareholder"),
    "shareholder_id": _("Shareholder's ID number"),
    "project": _("Project"),
    "contract_date": _("Contract date"),
    "awarding": _("Awarding organisation"),
    "property": _("Property"),
    "area": _("Floor area (m²)"),
    "phone": _("Phone"),
    "age": _("Age"),
}
assert set(FIELD_LABELS) >= set(FIELD_TYPES) | {f for c in SCHEMA.values() for f in c}  # noqa: S101


# -- record linkage (issue #9): the fields compared and the level each pair reached -----------

COMPARISON_LABELS: dict[str, Any] = {
    "name": pgettext_lazy("person", "Name"),
    "birth": _("Birth"),
    "gender": _("Gender"),
    "address": _("Address"),
    "phone": _("Phone"),
    "household": _("Household number"),
    "organisation": _("Work unit"),
    "id_number": _("ID number"),
}

_MISSING = pgettext_lazy("linkage level", "not given on one side")
_DIFFER = pgettext_lazy("linkage level", "different")
_AGREE = pgettext_lazy("linkage level", "the same")

# field -> level code (``lib.link.COMPARISONS``) -> what the level means.
LEVEL_LABELS: dict[str, dict[str, Any]] = {
    "name": {
        "missing": _MISSING,
        "exact": _AGREE,
        "homophone": pgettext_lazy("linkage level", "same sound"),
        "reordered": pgettext_lazy("linkage level", "same characters, another order"),
        "similar_shape": pgettext_lazy("linkage level", "similar-looking characters"),
        "one_character": pgettext_lazy("linkage level", "one character differs"),
        "initials": pgettext_lazy("linkage level", "same initials"),
        "differ": _DIFFER,
    },
    "birth": {
        "missing": _MISSING,
        "date": pgettext_lazy("linkage level", "same day"),
        "month": pgettext_lazy("linkage level", "same month"),
        "year": pgettext_lazy("linkage level", "same year"),
        "year_1": pgettext_lazy("linkage level", "one year apart"),
        "about": pgettext_lazy("linkage level", "about the same age"),
        "differ": _DIFFER,
    },
    "address": {
        "missing": _MISSING,
        "house": pgettext_lazy("linkage level", "same house"),
        "village": pgettext_lazy("linkage level", "same village"),
        "township": pgettext_lazy("linkage level", "same township"),
        "differ": _DIFFER,
    },
    **{
        field: {"missing": _MISSING, "agree": _AGREE, "differ": _DIFFER}
        for field in ("gender", "phone", "household", "organisation", "id_number")
    },
}


def comparison_label(field: str) -> Any:
    return COMPARISON_LABELS.get(field, field)


def level_label(field: str, code: str) -> Any:
    """A level in the user's language (the code itself for one this table lacks)."""
    return LEVEL_LABELS.get(field, {}).get(code, code)
