"""The canonical schema of each dataset kind: its columns and their types (pure; no Django).

Issue #8 ("Dataset kinds with a canonical schema each"). A dataset version is stored as one
Parquet file whose columns are ``_row`` (the row number in the department's file, 1-based,
so every finding can point at the row that proves it) followed by the kind's columns in
the order below. ``headers.KINDS`` says which of them a file must have; the others may be
absent (stored as nulls).

Types: ``id`` (18-character citizen ID number), ``name`` (a person's name), ``text``,
``date``, ``month`` (a payment period, stored as the first day of the month), ``amount``
(yuan, two decimals) and ``number`` (a plain decimal number, such as an area in m²).
"""

from __future__ import annotations

import pyarrow as pa

from xuncha.datacheck.lib.headers import FIELDS, KINDS

FIELD_TYPES: dict[str, str] = {
    "id_number": "id",
    "legal_rep_id": "id",
    "shareholder_id": "id",
    "name": "name",
    "legal_rep": "name",
    "shareholder": "name",
    "birth_date": "date",
    "death_date": "date",
    "cremation_date": "date",
    "contract_date": "date",
    "period": "month",
    "amount": "amount",
    "area": "number",
}

SCHEMA: dict[str, tuple[str, ...]] = {
    "household": (
        "household",
        "id_number",
        "name",
        "relation",
        "gender",
        "birth_date",
        "township",
        "village",
        "address",
    ),
    "payroll": ("id_number", "name", "organisation", "post", "township"),
    "leading_cadre": ("id_number", "name", "organisation", "post"),
    "village_cadre": ("id_number", "name", "township", "village", "post"),
    "benefit": (
        "id_number",
        "name",
        "benefit_type",
        "period",
        "amount",
        "township",
        "village",
        "household",
    ),
    "death": ("id_number", "name", "death_date", "cremation_date"),
    "vehicle": ("id_number", "name", "plate", "vehicle_type"),
    "business": (
        "company",
        "credit_code",
        "legal_rep",
        "legal_rep_id",
        "shareholder",
        "shareholder_id",
    ),
    "real_estate": ("id_number", "name", "property", "area"),
    "tender": ("project", "company", "credit_code", "contract_date", "amount", "awarding"),
    # A village's list of people (村民花名册), often without ID numbers: linked to the
    # household registry (issue #9) to find them. Ages are kept as written (约50岁).
    "roster": (
        "name",
        "id_number",
        "gender",
        "birth_date",
        "age",
        "township",
        "village",
        "address",
        "phone",
        "household",
        "benefit_type",
        "amount",
    ),
}

ROW = "_row"


def field_type(field: str) -> str:
    return FIELD_TYPES.get(field, "text")


def columns(kind: str) -> tuple[str, ...]:
    return SCHEMA[kind]


ARROW_TYPES: dict[str, pa.DataType] = {
    "id": pa.string(),
    "name": pa.string(),
    "text": pa.string(),
    "date": pa.date32(),
    "month": pa.date32(),
    "amount": pa.decimal128(18, 2),
    "number": pa.float64(),
}


def arrow_schema(kind: str) -> pa.Schema:
    """The Parquet layout of a kind: ``_row`` then the kind's columns."""
    if kind not in SCHEMA:
        raise ValueError(f"unknown dataset kind {kind!r}")
    return pa.schema(
        [pa.field(ROW, pa.int64())]
        + [pa.field(f, ARROW_TYPES[field_type(f)]) for f in SCHEMA[kind]]
    )


def _consistent() -> None:
    for kind, required in KINDS.items():
        missing = [f for f in required if f not in SCHEMA[kind]]
        assert not missing, (kind, missing)  # noqa: S101 - a programming error, at import
    unknown = {f for cols in SCHEMA.values() for f in cols} - set(FIELDS)
    assert not unknown, unknown  # noqa: S101


_consistent()
