"""Reads of the registry that respect the policy: lists, filters, duplicate suggestions,
statistics and the overdue list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
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
