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
}
assert set(FIELD_LABELS) >= set(FIELD_TYPES) | {f for c in SCHEMA.values() for f in c}  # noqa: S101
