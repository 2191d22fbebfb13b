"""Who a name in a clue may be: candidates from the registries (pure; no Django).

A report names someone the way people speak of them: "张卫东, 城关镇, 约五十岁". This module
turns what the report says into the query record of ``datacheck.lib.link`` (issue #9) and
ranks the records of a registry (the people registry, the household register) against it:

- ``query_row``: the name, the age as written, and the place split into township, village
  or work unit (``place_parts``);
- ``prefilter``: the registry records that can be scored at all. ``link.candidates`` only
  scores pairs that agree on one of its blocking rules (``link.CANDIDATE_BLOCKING``): the
  same toneless pinyin, the same characters in any order, the same similar-shape key, or
  the same family name and township or village. Each of those needs either a name of the
  same length whose every character is one of the query's characters, a homophone of one
  (any reading) or a character of the same shape group; or the same first character and
  place. Filtering on that first (in Arrow, over a million rows of a household register)
  leaves the few records worth preparing, and loses none that the blocking would score;
- ``rank``: ``link.prepare`` and ``link.candidates`` over what is left. ``link.candidates``
  takes the person named to be one of the records it is given (a prior of one in N); as it
  is given the filtered records only, each pair's weight is moved back to the prior of the
  whole registry (``with_prior``), so the probability is the one the unfiltered run gives.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from xuncha.datacheck.lib import link, names
from xuncha.datacheck.lib.normalise import BadValue
from xuncha.datacheck.lib.normalise import name as normalise_name

# The fields of ``link.COMPARISONS`` a candidate's reasons are shown for, in this order.
FIELDS = tuple(c.field for c in link.COMPARISONS)
NOT_HAN = r"[^\p{Han}]"

_TOWNSHIP_END = r"(?:街道办事处|街道|镇|乡)"
_VILLAGE_END = r"(?:村民委员会|居民委员会|村委会|居委会|社区|村)"
_TOWNSHIP = re.compile(f"{_TOWNSHIP_END}$")
_VILLAGE = re.compile(f"(?P<township>.+?{_TOWNSHIP_END})?(?P<village>.+?{_VILLAGE_END})")


@dataclass(frozen=True)
class Place:
    township: str | None = None
    village: str | None = None
    organisation: str | None = None


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def place_parts(place: str) -> Place:
    """A place as a report gives it: 城关镇 (a township), 东风村 or 城关镇东风村 (a village,
    with its township), 新华社区; anything else is taken for a work unit (县财政局)."""
    text = _compact(place)
    if not text:
        return Place()
    village = _VILLAGE.fullmatch(text)
    if village:
        return Place(township=village.group("township"), village=village.group("village"))
    if _TOWNSHIP.search(text):
        return Place(township=text)
    return Place(organisation=text)


def looks_like_age(text: str) -> bool:
    """约五十岁, 50岁左右, 五十多岁, 50: what ``link`` reads as an age."""
    try:
        return link.age_years(text) is not None
    except BadValue:
        return False


def looks_like_place(text: str) -> bool:
    """A township, village or community by its ending (units are not guessed)."""
    value = _compact(text)
    return bool(value) and bool(_TOWNSHIP.search(value) or _VILLAGE.fullmatch(value))


# -- the query ---------------------------------------------------------------------------------

QUERY_ROLES = {
    "id": "id",
    "name": "name",
    "age": "age",
    "township": "township",
    "village": "village",
    "organisation": "organisation",
}
REGISTRY_COLUMNS = (
    "id",
    "name",
    "gender",
    "birth_date",
    "id_number",
    "township",
    "village",
    "address",
    "household",
    "organisation",
)
REGISTRY_ROLES = {c: c for c in REGISTRY_COLUMNS}


def query_row(
    name: str,
    *,
    age: str = "",
    township: str | None = None,
    village: str | None = None,
    organisation: str | None = None,
) -> dict[str, Any]:
    return {
        "id": "q",
        "name": name,
        "age": age or None,
        "township": township,
        "village": village,
        "organisation": organisation,
    }


# -- the prefilter -----------------------------------------------------------------------------


def _toneless(reading: str) -> str:
    plain = unicodedata.normalize("NFKD", reading)
    return "".join(c for c in plain if not unicodedata.combining(c)).lower()


@functools.lru_cache(maxsize=1)
def _readings() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """Each character's toneless readings (all of them), and each reading's characters."""
    from pypinyin.pinyin_dict import pinyin_dict

    by_char: dict[str, frozenset[str]] = {}
    by_reading: dict[str, set[str]] = {}
    for code, text in pinyin_dict.items():
        char = chr(code)
        readings = frozenset(_toneless(r) for r in text.split(",") if r)
        by_char[char] = readings
        for reading in readings:
            by_reading.setdefault(reading, set()).add(char)
    return by_char, {r: frozenset(cs) for r, cs in by_reading.items()}


@functools.lru_cache(maxsize=1)
def _shapes() -> dict[str, frozenset[str]]:
    """Each shape group (``link.shape_key``) by its key, for the common CJK block."""
    groups: dict[str, set[str]] = {}
    for code in range(0x4E00, 0xA000):
        char = chr(code)
        key = link.shape_key(char)
        if key != char:
            groups.setdefault(key, {key}).add(char)
    return {k: frozenset(v) for k, v in groups.items()}


def allowed_characters(name: str) -> frozenset[str]:
    """The characters a name scored against ``name`` can be made of (see the module)."""
    by_char, by_reading = _readings()
    shapes = _shapes()
    allowed: set[str] = set()
    for char in name:
        allowed.add(char)
        for reading in by_char.get(char, ()):
            allowed |= by_reading.get(reading, frozenset())
        allowed |= shapes.get(link.shape_key(char), frozenset())
    return frozenset(allowed)


def _han(text: str) -> str:
    """The Han characters of a text, as the Arrow filter sees them."""
    value = pc.replace_substring_regex(pa.array([text], pa.string()), NOT_HAN, "")[0]
    return str(value.as_py() or "")


def plain_name(raw: Any) -> str | None:
    """A name as ``link`` normalises it (traditional to simplified …), None if unreadable."""
    try:
        return normalise_name(raw)
    except BadValue:
        return None


def prefilter(
    table: pa.Table,
    query_name: str,
    *,
    township: str | None = None,
    village: str | None = None,
) -> pa.Array:
    """A boolean mask of the rows of ``table`` (columns ``name`` and, when there,
    ``township``, ``village``, ``address``; names already normalised) that ``link``'s
    candidate blocking can pair with ``query_name``."""
    plain = plain_name(query_name)
    if plain is None or table.num_rows == 0:
        return pa.array([False] * table.num_rows, pa.bool_())
    query_han = _han(plain)
    family = names.split(plain)[0]
    allowed = pa.array(sorted(allowed_characters(query_han)), pa.string())
    raw = pc.fill_null(table.column("name"), "")
    han = pc.replace_substring_regex(raw, NOT_HAN, "")
    mask = pc.equal(pc.utf8_length(han), len(query_han))
    for position in range(len(query_han)):
        char = pc.utf8_slice_codeunits(han, position, position + 1)
        mask = pc.and_(mask, pc.is_in(char, value_set=allowed))
    places = [p for p in (township, village) if p]
    if places and family:
        same_family = pc.starts_with(pc.utf8_trim_whitespace(raw), family)
        near = pa.array([False] * table.num_rows, pa.bool_())
        for column in ("township", "village", "address"):
            if column not in table.column_names:
                continue
            values = pc.fill_null(pc.cast(table.column(column), pa.string()), "")
            for place in places:
                hit = (
                    pc.match_substring(values, place)
                    if column == "address"
                    else pc.equal(values, place)
                )
                near = pc.or_(near, hit)
        mask = pc.or_(mask, pc.and_(same_family, near))
    return pc.fill_null(mask, False)


# -- ranking -----------------------------------------------------------------------------------


def with_prior(weight: float, scored: int, total: int) -> float:
    """The match probability of a pair whose weight came from a prior of one in ``scored``
    records (``link.candidates``), for a prior of one in ``total``."""
    used = 1 / max(scored, 2)
    wanted = 1 / max(total, 2)
    moved = weight - math.log2(used / (1 - used)) + math.log2(wanted / (1 - wanted))
    if moved > 60:
        return 1.0
    odds = 2.0**moved
    return odds / (1 + odds)


@dataclass(frozen=True)
class Ranked:
    id: str  # the registry record's id
    probability: float
    levels: dict[str, str]  # field of ``link.COMPARISONS`` → level code (or "missing")


def rank(
    query: Mapping[str, Any],
    registry: Sequence[Mapping[str, Any]],
    *,
    on: dt.date,
    total: int,
    limit: int = 10,
    model: Mapping[str, Any] | None = None,
) -> list[Ranked]:
    """The registry records most like the query record, best first (at most ``limit``).

    ``registry``: dicts with any of ``REGISTRY_COLUMNS`` (``id`` unique); ``total``: how many
    records the whole registry holds (for the prior; at least ``len(registry)``); ``on``:
    the day the query's age is counted on."""
    if not registry:
        return []
    query_table = link.rows_table([query], list(QUERY_ROLES))
    registry_table = link.rows_table(registry, list(REGISTRY_COLUMNS))
    prepared_query, _problems = link.prepare(
        query_table, QUERY_ROLES, on=on, side="query", max_problems=0
    )
    prepared, _problems = link.prepare(
        registry_table, REGISTRY_ROLES, on=on, side="registry", max_problems=0
    )
    if not prepared_query.num_rows or not prepared.num_rows:
        return []
    pairs = link.candidates(prepared_query, prepared, model=model, limit=limit)
    scored = prepared.num_rows
    result = [
        Ranked(
            id=row["left_id"],
            probability=with_prior(row["match_weight"], scored, max(total, scored)),
            levels={f: row[f] for f in FIELDS},
        )
        for row in pairs.to_pylist()
    ]
    result.sort(key=lambda r: (-r.probability, r.id))
    return result[:limit]
