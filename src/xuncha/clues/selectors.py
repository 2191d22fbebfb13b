"""Reads of the registry that respect the policy: lists, filters, duplicate suggestions,
statistics and the overdue list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from xuncha.clues import permissions
from xuncha.clues.lib import dedup
from xuncha.clues.models import NotDuplicate, Record, Status
from xuncha.core import policy

# Records that take part in duplicate detection: merged and closed ones do not.
DEDUP_STATUSES = (Status.NEW, Status.REVIEW, Status.CONFIRMED)
# Suggestions on a record's page are read by a person who decides: they reach further
# than the round-wide scan (the detector's default, where precision and recall are
# measured), so a freely reworded complaint is still put in front of the user.
SUGGEST_THRESHOLD = 0.45


def records_for(user: Any, action: str = permissions.CLUE_VIEW) -> QuerySet[Record]:
    return (
        policy.scope(user, action, Record.objects.all())
        .select_related("round", "team", "target", "merged_into", "transfer")
        .prefetch_related("topics", "subjects")
    )


def filter_records(qs: QuerySet[Record], filters: dict[str, Any]) -> QuerySet[Record]:
    for name in ("round", "team", "target", "kind", "status", "discipline", "source", "priority"):
        value = filters.get(name)
        if value:
            qs = qs.filter(**{name: value})
    if filters.get("topic"):
        qs = qs.filter(topics=filters["topic"])
    if filters.get("fast_track"):
        qs = qs.filter(fast_track=True)
    if filters.get("open_only"):
        qs = qs.filter(status__in=DEDUP_STATUSES)
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(
            Q(number__icontains=q)
            | Q(title__icontains=q)
            | Q(description__icontains=q)
            | Q(subjects__name__icontains=q)
        ).distinct()
    return qs


def as_doc(record: Record) -> dedup.Doc:
    return dedup.Doc(
        key=record.pk,
        text=f"{record.title}。{record.description}",
        subjects=frozenset(s.key for s in record.subjects.all()),
        target=str(record.target_id),
    )


def not_duplicate_pairs(record_ids: Iterable[int]) -> set[frozenset[Any]]:
    ids = list(record_ids)
    rows = NotDuplicate.objects.filter(Q(a_id__in=ids) | Q(b_id__in=ids)).values_list(
        "a_id", "b_id"
    )
    return {frozenset((a, b)) for a, b in rows}


@dataclass(frozen=True)
class Suggestion:
    record: Record
    match: dedup.Match


def _candidates(user: Any, record: Record) -> list[Record]:
    return list(
        records_for(user)
        .filter(round_id=record.round_id, status__in=DEDUP_STATUSES)
        .exclude(pk=record.pk)
    )


def suggestions(user: Any, record: Record, *, limit: int = 10) -> list[Suggestion]:
    """Likely duplicates of ``record`` among the open records of its round that the user
    may read, best first, without the pairs marked "not a duplicate"."""
    others = _candidates(user, record)
    if not others:
        return []
    index = dedup.Index(threshold=SUGGEST_THRESHOLD)
    index.add_many(as_doc(r) for r in others)
    exclude = not_duplicate_pairs([record.pk])
    by_id: dict[Any, Record] = {r.pk: r for r in others}
    matches = index.similar(as_doc(record), limit=limit, exclude=exclude)
    return [Suggestion(by_id[m.b], m) for m in matches if m.b in by_id]


def compare(a: Record, b: Record) -> dedup.Match:
    return dedup.compare(as_doc(a), as_doc(b))


def highlighted(record: Record, match: dedup.Match, side: str) -> list[tuple[str, bool]]:
    """The record's text cut into (segment, shared?) pieces for the template."""
    text = as_doc(record).text
    spans = [(p.a_start, p.a_end) if side == "a" else (p.b_start, p.b_end) for p in match.passages]
    return dedup.highlight(text, spans)


def round_scan(records: list[Record], progress: Any = None) -> list[dedup.Match]:
    """Every likely duplicate pair among a round's open records (the background scan)."""
    docs = [as_doc(r) for r in records]
    matches = dedup.find_duplicates(docs, exclude=not_duplicate_pairs([r.pk for r in records]))
    if progress is not None:
        progress(len(docs), len(docs))
    return matches


# -- statistics and deadlines ------------------------------------------------------------------


def statistics(qs: QuerySet[Record]) -> dict[str, Any]:
    """Counts by round, target, discipline, topic, status and kind, and the disposal rate
    (clues with a reported disposal or closed, over clues transferred)."""
    live = qs.exclude(status=Status.MERGED)

    def grouped(field: str) -> list[dict[str, Any]]:
        return list(
            live.order_by()
            .values(field, "kind")
            .annotate(n=Count("pk", distinct=True))
            .order_by(field, "kind")
        )

    clues = live.filter(kind="clue")
    transferred = clues.filter(transfer__isnull=False).count()
    disposed = clues.filter(
        transfer__isnull=False, status__in=(Status.DISPOSAL_REPORTED, Status.CLOSED)
    ).count()
    return {
        "by_round": grouped("round__name"),
        "by_target": grouped("target__name"),
        "by_discipline": grouped("discipline"),
        "by_topic": grouped("topics__name_zh"),
        "by_status": grouped("status"),
        "transferred": transferred,
        "disposed": disposed,
        "disposal_rate": (disposed / transferred) if transferred else None,
        "total": live.count(),
    }


def overdue(qs: QuerySet[Record], today: dt.date | None = None) -> QuerySet[Record]:
    """Transferred clues past a deadline today (whether or not the job flagged them yet)."""
    today = today or timezone.localdate()
    report = Q(status=Status.TRANSFERRED, transfer__report_due__lt=today)
    close = Q(
        status__in=(Status.TRANSFERRED, Status.DISPOSAL_REPORTED),
        transfer__close_due__lt=today,
    )
    return qs.filter(report | close).select_related("transfer__department")


def subject_candidates(user: Any, record: Record, limit: int = 8) -> dict[int, list[Any]]:
    """For each name on the record not yet linked: people of that name the user may see,
    those with a post in the target first."""
    from xuncha.core.models import Person
    from xuncha.core.policy import Action

    names = {s.pk: s.name for s in record.subjects.all() if s.person_id is None}
    if not names:
        return {}
    people = list(
        policy.scope(user, Action.PERSON_VIEW, Person.objects.all())
        .filter(name__in=set(names.values()))
        .prefetch_related("posts__organisation")
        .order_by("name", "pk")[: limit * len(names)]
    )

    def rank(person: Any) -> int:
        in_target = any(
            p.organisation.path.startswith(record.target.path) for p in person.posts.all()
        )
        return 0 if in_target else 1

    return {
        pk: sorted((p for p in people if p.name == name), key=rank)[:limit]
        for pk, name in names.items()
    }


# -- who an unresolved name may be (issue #9) --------------------------------------------------

CANDIDATE_LIMIT = 10


@dataclass(frozen=True)
class OrgIndex:
    """The organisations of a county by id: (name, kind, path), and names to find units by."""

    rows: dict[int, tuple[str, str, str]]

    def area(self, org_id: int) -> tuple[str | None, str | None]:
        """The township and the village (or community) an organisation lies in or is."""
        from xuncha.core.selectors import ancestor_ids

        row = self.rows.get(org_id)
        if row is None:
            return None, None
        township = village = None
        for ancestor in ancestor_ids(row[2]):
            name, kind, _path = self.rows.get(ancestor, ("", "", ""))
            if kind == "township":
                township = name
            elif kind in ("village", "community"):
                village = name
        return township, village

    def named_in(self, text: str, county_name: str) -> int | None:
        """The organisation whose name (or the name without the county's) the text
        contains, the longest first: "县财政局副局长" → 云溪县财政局."""
        text = (text or "").strip()
        if not text:
            return None
        best: tuple[int, int] | None = None
        stem = county_name[:-1] if county_name.endswith("县") else county_name
        for pk, (name, _kind, _path) in self.rows.items():
            for form in {name, name.removeprefix(county_name), name.removeprefix(stem)}:
                if len(form) >= 2 and form in text and (best is None or len(form) > best[0]):
                    best = (len(form), pk)
        return best[1] if best else None


def county_of(record: Record) -> Any:
    """The county whose registries a record's names are looked up in: the target's county,
    else the round's committee."""
    from xuncha.core.models import Organisation
    from xuncha.core.selectors import ancestor_ids

    found = (
        Organisation.objects.filter(pk__in=ancestor_ids(record.target.path), kind="county")
        .order_by("-depth")
        .first()
    )
    return found or record.round.committee


def org_index(county: Any) -> OrgIndex:
    from xuncha.core.models import Organisation

    rows = Organisation.objects.filter(path__startswith=county.path).values_list(
        "pk", "name", "kind", "path"
    )
    return OrgIndex({pk: (name, kind, path) for pk, name, kind, path in rows})


def household_version(user: Any, county: Any) -> Any:
    """The household register of the county the user may read (``datacheck.view``): the
    latest accepted version of its household datasets; None without the right or data."""
    from xuncha.datacheck import services as datacheck_services
    from xuncha.datacheck.permissions import DATACHECK_VIEW

    if not policy.allows_on_organisation(user, DATACHECK_VIEW, county):
        return None
    versions = [
        v
        for v in datacheck_services.current_versions(county)
        if v.dataset.kind == "household"
        and policy.allows_on_organisation(user, DATACHECK_VIEW, v.dataset.organisation)
    ]
    if not versions:
        return None
    return max(versions, key=lambda v: (v.accepted_at or v.created_at, v.pk))


HOUSEHOLD_COLUMNS = (
    "_row",
    "household",
    "id_number",
    "name",
    "gender",
    "birth_date",
    "township",
    "village",
    "address",
)


def household_table(version: Any) -> Any:
    """The version's rows (Parquet, ``datacheck.storage``); None when the file is gone."""
    import pyarrow.parquet as pq

    from xuncha.datacheck import storage

    path = storage.parquet_path(version)
    if not path.exists():
        return None
    present = set(pq.read_schema(path).names)
    return pq.read_table(path, columns=[c for c in HOUSEHOLD_COLUMNS if c in present])


def household_row(version: Any, row: int) -> dict[str, Any] | None:
    """One row of a household register version, by its row number."""
    import pyarrow.compute as pc

    table = household_table(version)
    if table is None or "_row" not in table.column_names:
        return None
    found = table.filter(pc.equal(table.column("_row"), row)).to_pylist()
    return found[0] if found else None


@dataclass
class Candidate:
    """A person the name may mean: a person of the registry or a row of the household
    register, with the match probability and the reasons."""

    key: str  # "p<person pk>" or "h<row>"
    probability: float
    reasons: list[Any]
    name: str
    gender: str = ""  # "M", "F" or ""
    birth_date: dt.date | None = None
    township: str = ""
    village: str = ""
    posts: list[str] = field(default_factory=list)
    id_number_masked: str = ""
    person: Any = None
    row: int | None = None
    age: int | None = None  # on the day of the search
    viewable: bool = False  # the user may open the person's page

    @property
    def percent(self) -> str:
        """The probability for the page: 97%, 3.2%, <0.1%."""
        value = self.probability * 100
        if value >= 99.5:
            return ">99%" if value < 100 else "100%"
        if value >= 10:
            return f"{value:.0f}%"
        if value >= 0.1:
            return f"{value:.1f}%"
        return "<0.1%"

    @property
    def source(self) -> str:
        return "registry" if self.person is not None else "household"


@dataclass
class CandidateSearch:
    subject: Any
    county: Any
    today: dt.date
    candidates: list[Candidate]
    compared: int  # records of the registries the name was compared with
    household: Any = None  # the household register version read, if any
    household_waiting: bool = False  # its features are not prepared yet: not searched
    query: dict[str, Any] = field(default_factory=dict)


def _masked(number: str | None) -> str:
    from xuncha.core.lib import idnumber

    if not number:
        return ""
    try:
        return idnumber.IdNumber(idnumber.normalise(number)).masked()
    except idnumber.InvalidIdNumber:
        return ""


def gender_code(raw: Any) -> str:
    text = str(raw or "").strip().upper()
    return {"男": "M", "女": "F", "M": "M", "F": "F"}.get(text, "")


def subject_query(subject: Any, county: Any, index: OrgIndex) -> dict[str, Any]:
    """What the record says of the person, as the query record of the linkage: the name,
    the age, the place as a township or village (or a unit), and the unit its post names."""
    from xuncha.clues.lib import candidates as lib

    place = lib.place_parts(subject.place)
    township, village, organisation = place.township, place.village, None
    unit_text = place.organisation or subject.post
    unit = index.named_in(unit_text, county.name) if unit_text else None
    if unit is not None:
        name, kind, _path = index.rows[unit]
        if kind in ("township", "village", "community"):
            unit_township, unit_village = index.area(unit)
            township = township or unit_township
            village = village or unit_village
        else:
            organisation = name
    elif place.organisation:
        organisation = place.organisation
    return lib.query_row(
        subject.name,
        age=subject.age,
        township=township,
        village=village,
        organisation=organisation,
    )


def _registry_rows(county: Any, index: OrgIndex) -> tuple[list[dict[str, Any]], list[str]]:
    """The county registry's people as linkage records (the place from their current
    posts), and their ID numbers."""
    from xuncha.core.models import Person, Post

    people = list(
        Person.objects.filter(registry=county)
        .order_by("pk")
        .values_list("pk", "name", "gender", "birth_date", "id_number")
    )
    posts: dict[int, list[int]] = {}
    for person_id, org_id in (
        Post.objects.filter(person__registry=county, end_date__isnull=True)
        .order_by("person_id", "-start_date", "pk")
        .values_list("person_id", "organisation_id")
    ):
        posts.setdefault(person_id, []).append(org_id)
    rows = []
    for pk, name, gender, birth_date, number in people:
        township = village = organisation = None
        for org_id in posts.get(pk, []):
            org_township, org_village = index.area(org_id)
            township = township or org_township
            village = village or org_village
            if organisation is None and org_id in index.rows:
                organisation = index.rows[org_id][0]
        rows.append(
            {
                "id": f"p{pk}",
                "name": name,
                "gender": gender,
                "birth_date": birth_date,
                "id_number": number,
                "township": township,
                "village": village,
                "organisation": organisation,
            }
        )
    return rows, [p[4] for p in people if p[4]]


def _household_rows(
    version: Any, query: Any, registered: list[str]
) -> tuple[Any, dict[str, dict[str, Any]], Any]:
    """The register's records the name can be matched with (``link.search_file`` over the
    features prepared at import), without the people the registry already holds (by ID
    number): their features (ids "h<row>"), their rows by that id, and the frequency
    columns of all the records searched."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from xuncha.datacheck import storage
    from xuncha.datacheck.lib import link

    data = storage.parquet_path(version)
    if not data.exists():  # the file is gone: nothing to search
        return pa.table({}), {}, pa.table({})
    kept, counted = link.search_file(
        query, storage.features_path(version), without_id_numbers=registered
    )
    ids = [int(i) for i in kept.column("unique_id").to_pylist()]
    if not ids:
        return pa.table({}), {}, counted
    kept = kept.set_column(
        kept.schema.get_field_index("unique_id"),
        "unique_id",
        pa.array([f"h{i}" for i in ids], pa.string()),
    )
    present = set(pq.read_schema(data).names)
    rows = pq.read_table(
        data,
        columns=[c for c in HOUSEHOLD_COLUMNS if c in present],
        filters=[("_row", "in", ids)],
    )
    found = {
        f"h{row['_row']}": {
            "id": f"h{row['_row']}",
            "name": row.get("name"),
            "gender": row.get("gender"),
            "birth_date": row.get("birth_date"),
            "id_number": row.get("id_number"),
            "township": row.get("township"),
            "village": row.get("village"),
        }
        for row in rows.to_pylist()
    }
    return kept, found, counted


def candidates_for(
    user: Any, subject: Any, *, today: dt.date | None = None, limit: int = CANDIDATE_LIMIT
) -> CandidateSearch:
    """The people a name on a record may mean, best first: the people registry of the
    record's county and, for a user who may read data comparison datasets, its household
    register. The caller has checked that the user may read the record."""
    import pyarrow as pa

    from xuncha.clues import reasons
    from xuncha.clues.lib import candidates as lib
    from xuncha.core.models import Person
    from xuncha.core.policy import Action
    from xuncha.core.selectors import current_posts_prefetch
    from xuncha.datacheck import linking
    from xuncha.datacheck.lib import link

    today = today or timezone.localdate()
    record = subject.record
    county = county_of(record)
    index = org_index(county)
    query = subject_query(subject, county, index)
    prepared = lib.prepared_query(query, on=today)
    people, registered = _registry_rows(county, index)
    registry, wholes = lib.registry_features(people, prepared, on=today)
    by_id = {r["id"]: r for r in people}
    wholes = [wholes, prepared]
    version = household_version(user, county)
    # A register whose features a job has not prepared yet is left out, not prepared here.
    waiting = version is not None and not linking.features_ready(version)
    if waiting:
        version = None
    household_total = 0
    if version is not None:
        residents, resident_rows, household = _household_rows(version, prepared, registered)
        if resident_rows:
            registry = pa.concat_tables([registry, residents])
            by_id.update(resident_rows)
        if household.num_rows:
            wholes.append(household)
            household_total = household.num_rows
    total = len(people) + household_total
    frequencies = link.frequencies(*wholes)
    ranked = lib.rank(prepared, registry, total=total, limit=limit, frequencies=frequencies)
    person_ids = [int(r.id[1:]) for r in ranked if r.id.startswith("p")]
    persons = {
        p.pk: p
        for p in Person.objects.filter(pk__in=person_ids).prefetch_related(current_posts_prefetch())
    }
    viewable = set(
        policy.scope(
            user, Action.PERSON_VIEW, Person.objects.filter(pk__in=person_ids)
        ).values_list("pk", flat=True)
    )
    found = []
    for r in ranked:
        source = by_id[r.id]
        candidate = Candidate(
            key=r.id,
            probability=r.probability,
            reasons=reasons.reasons(r.levels),
            name=str(source["name"]),
            gender=gender_code(source.get("gender")),
            birth_date=source.get("birth_date"),
            township=source.get("township") or "",
            village=source.get("village") or "",
            id_number_masked=_masked(source.get("id_number")),
        )
        if candidate.birth_date is not None:
            born = candidate.birth_date
            before_birthday = (today.month, today.day) < (born.month, born.day)
            candidate.age = today.year - born.year - before_birthday
        if r.id.startswith("p"):
            person = persons.get(int(r.id[1:]))
            if person is None:
                continue
            candidate.person = person
            candidate.viewable = person.pk in viewable
            candidate.posts = [
                f"{post.organisation.name} {post.title}"
                for post in getattr(person, "current_posts", [])
            ]
        else:
            candidate.row = int(r.id[1:])
        found.append(candidate)
    return CandidateSearch(
        subject=subject,
        county=county,
        today=today,
        candidates=found,
        compared=total,
        household=version,
        household_waiting=waiting,
        query=query,
    )
