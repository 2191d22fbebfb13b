"""Who a name in a clue may be: candidates from the registries (pure; no Django).

A report names someone the way people speak of them: "张卫东, 城关镇, 约五十岁". This module
turns what the report says into the query record of ``datacheck.lib.link`` (issue #9) and
ranks the records of a registry (the people registry, the household register) against it:

- ``query_row``: the name, the age as written, and the place split into township, village
  or work unit (``place_parts``);
- ``registry_features``: the features of the registry records that can be scored at all.
  ``link.candidates`` only scores pairs that agree on one of its blocking rules
  (``link.CANDIDATE_BLOCKING``); ``link.blocked`` applies those same rules first, on the
  few features they use, so that only the records worth it are prepared in full. A
  household register's features are prepared once, when it is imported
  (``datacheck.linking.features``), and filtered the same way;
- ``rank``: ``link.candidates`` over what is left. ``link.candidates`` takes the person
  named to be one of the records it is given (a prior of one in N); as it is given the
  filtered records only, each pair's weight is moved back to the prior of the whole
  registry (``with_prior``), so the probability is the one the unfiltered run gives.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from xuncha.datacheck.lib import link
from xuncha.datacheck.lib.normalise import BadValue

# The fields of ``link.COMPARISONS`` a candidate's reasons are shown for, in this order.
FIELDS = tuple(c.field for c in link.COMPARISONS)

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


# -- the records worth scoring ---------------------------------------------------------------


def prepared_query(query: Mapping[str, Any], *, on: dt.date) -> pa.Table:
    """The query record's features (``query_row``); no rows when its name is unreadable.
    ``on``: the day its age is counted on."""
    table = link.rows_table([query], list(QUERY_ROLES))
    prepared, _problems = link.prepare(table, QUERY_ROLES, on=on, side="query", max_problems=0)
    return prepared


def report_query(name: str, place: str = "", age: str = "", *, on: dt.date) -> pa.Table:
    """A name as a report gives it ("张卫东", "城关镇东风村", "约五十岁"), prepared."""
    parts = place_parts(place)
    row = query_row(name, age=age, township=parts.township, village=parts.village)
    return prepared_query(row, on=on)


BLOCKING_ROLES = link.roles_for_features(
    {column for rule in link.CANDIDATE_BLOCKING for column in rule}
)


def registry_features(
    rows: Sequence[Mapping[str, Any]], query: pa.Table, *, on: dt.date
) -> tuple[pa.Table, pa.Table]:
    """The features of the ``rows`` (dicts with any of ``REGISTRY_COLUMNS``, ``id``
    unique) that ``link``'s candidate blocking pairs with the prepared ``query``, and the
    blocking's own features of every row (enough for ``link.frequencies``): those first,
    for every row; the rest for the rows they keep."""
    table = link.rows_table(rows, list(REGISTRY_COLUMNS))
    narrow_roles = {r: c for r, c in REGISTRY_ROLES.items() if r in BLOCKING_ROLES}
    whole, _problems = link.prepare(table, narrow_roles, on=on, side="registry", max_problems=0)
    ids = whole.filter(link.blocked(query, whole)).column("unique_id")
    subset = table.filter(pc.is_in(table.column("id"), value_set=ids.combine_chunks()))
    kept, _problems = link.prepare(subset, REGISTRY_ROLES, on=on, side="registry", max_problems=0)
    return kept, whole


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
    query: pa.Table,
    registry: pa.Table,
    *,
    total: int,
    limit: int = 10,
    model: Mapping[str, Any] | None = None,
    frequencies: Mapping[str, pa.Table] | None = None,
) -> list[Ranked]:
    """The registry records most like the query record, best first (at most ``limit``).

    ``query``: ``prepared_query``; ``registry``: prepared records (``registry_features``,
    or any subset of a registry that keeps what ``link.blocked`` keeps); ``total``: how
    many records the whole registry holds (for the prior; at least ``registry``'s rows);
    ``frequencies``: the whole registry's name frequencies (``link.frequencies``)."""
    if not query.num_rows or not registry.num_rows:
        return []
    pairs = link.candidates(query, registry, model=model, limit=limit, frequencies=frequencies)
    scored = registry.num_rows
    result = [
        Ranked(
            id=row["left_id"],
            probability=with_prior(row["match_weight"], scored, max(total, scored)),
            levels={f: row[f] for f in FIELDS},
        )
        for row in pairs.to_pylist()
    ]
    # The cut ``link.candidates`` made with the prior of the records it was given, made
    # again with the whole registry's, as a search over all of it would have.
    lowest = link.CANDIDATE_THRESHOLDS.review
    result = [r for r in result if r.probability >= lowest]
    result.sort(key=lambda r: (-r.probability, r.id))
    return result[:limit]
