"""The staff's work on public reports: reading several at once (previews, duplicate
suggestions), classifying and assigning, forwarding what is out of scope, marking
duplicates, turning a report into a problem or clue, closing, exporting the list.

Every change is one transaction with its audit event and checks the policy first; every
decryption goes through a function here or in ``services`` that writes its audit event.
The submitter's identity is never read here and never copied into a problem or clue.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from xuncha.core import audit, policy
from xuncha.core.models import AuditEventType as E
from xuncha.core.models import Organisation, User
from xuncha.core.policy import Action
from xuncha.intake import permissions, selectors, services
from xuncha.intake.lib import sealing
from xuncha.intake.models import (
    CLOSED_STATUSES,
    Category,
    Kind,
    Report,
    ReportKey,
    Status,
)

PREVIEW_CHARS = 60


class Refused(ValidationError):
    """The change does not fit the report's state; the message says why, for the user."""


# --- reading several reports at once ---------------------------------------------------


@transaction.atomic
def contents_read(
    *, actor: User, reports: Iterable[Report], private_key: bytes | None, purpose: str
) -> dict[int, dict[str, Any]]:
    """The decrypted contents of the reports ``actor`` may view and can open, by id, with
    ONE audit event naming them all (``purpose``: "preview" or "duplicates")."""
    wanted = {r.pk: r for r in reports}
    if private_key is None or not wanted:
        return {}
    allowed = set(
        policy.scope(
            actor, permissions.INTAKE_VIEW, Report.objects.filter(pk__in=list(wanted))
        ).values_list("pk", flat=True)
    )
    shares = ReportKey.objects.filter(user=actor, report_id__in=allowed).values_list(
        "report_id", "sealed"
    )
    contents: dict[int, dict[str, Any]] = {}
    for report_id, sealed in shares:
        report = wanted[report_id]
        try:
            report_key = sealing.open_key(bytes(sealed), private_key)
            contents[report_id] = services.decrypt_content(report, report_key)
        except sealing.DecryptionFailed:
            continue
    if contents:
        ids = sorted(contents)
        audit.record(
            actor=actor,
            event_type=E.INTAKE_READ,
            object_type="intake.report",
            object_repr=", ".join(wanted[i].label for i in ids)[:200],
            extra={"ids": ids, purpose: True},
        )
    return contents


def main_text(kind: str, content: dict[str, Any]) -> str:
    """What the report says: the text of a report, the topic of a talk request."""
    key = "topic" if kind == Kind.TALK else "what"
    return str(content.get(key) or "").strip()


def preview_of(kind: str, content: dict[str, Any]) -> str:
    text = " ".join(main_text(kind, content).split())
    return text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "…"


def previews(
    *, actor: User, reports: Sequence[Report], private_key: bytes | None
) -> dict[int, str]:
    """Short previews for a page of the inbox (one audit event for the page)."""
    contents = contents_read(
        actor=actor, reports=reports, private_key=private_key, purpose="preview"
    )
    kinds = {r.pk: r.kind for r in reports}
    return {pk: preview_of(kinds[pk], content) for pk, content in contents.items()}


# --- duplicate suggestions ---------------------------------------------------------------


def dedup_text(kind: str, content: dict[str, Any]) -> str:
    """What the duplicate detector compares: the text, whom and which unit it is about."""
    parts = [main_text(kind, content)]
    parts += [str(content.get(k) or "").strip() for k in ("about", "organisation")]
    return "。".join(p for p in parts if p)


def _doc(key: Any, kind: str, content: dict[str, Any], target: str | None) -> Any:
    from xuncha.clues.lib import dedup

    about = str(content.get("about") or "").strip()
    return dedup.Doc(
        key=key,
        text=dedup_text(kind, content),
        # The same keys a record's unlinked subject has ("n" + the name as written).
        subjects=frozenset({f"n{about}"}) if about else frozenset(),
        target=target,
    )


def _unit(content: dict[str, Any]) -> str | None:
    return str(content.get("organisation") or "").strip() or None


@dataclass(frozen=True)
class ReportSuggestion:
    report: Report
    score: float
    same_subject: bool
    same_target: bool


@dataclass(frozen=True)
class RecordSuggestion:
    record: Any
    score: float
    same_subject: bool


def suggestions(
    *, actor: User, report: Report, private_key: bytes | None, limit: int = 5
) -> tuple[list[ReportSuggestion], list[RecordSuggestion]]:
    """The same team's reports and the round's open problems and clues most like
    ``report``, best first. The texts compared are read with ONE audit event."""
    candidates = list(selectors.duplicate_candidates(actor, report))
    contents = contents_read(
        actor=actor, reports=[report, *candidates], private_key=private_key, purpose="duplicates"
    )
    content = contents.pop(report.pk, None)
    if content is None:
        return [], []
    return (
        _similar_reports(report, content, candidates, contents, limit),
        _similar_records(actor, report, content, limit),
    )


def _similar_reports(
    report: Report,
    content: dict[str, Any],
    candidates: list[Report],
    contents: dict[int, dict[str, Any]],
    limit: int,
) -> list[ReportSuggestion]:
    from xuncha.clues import selectors as clue_selectors
    from xuncha.clues.lib import dedup

    if not contents:
        return []
    by_id: dict[Any, Report] = {r.pk: r for r in candidates}
    index = dedup.Index(threshold=clue_selectors.SUGGEST_THRESHOLD)
    index.add_many(_doc(pk, by_id[pk].kind, c, _unit(c)) for pk, c in contents.items())
    matches = index.similar(_doc(report.pk, report.kind, content, _unit(content)), limit=limit)
    return [
        ReportSuggestion(by_id[m.b], m.score, m.same_subject, m.same_target)
        for m in matches
        if m.b in by_id
    ]


def _similar_records(
    actor: User, report: Report, content: dict[str, Any], limit: int
) -> list[RecordSuggestion]:
    from xuncha.clues import selectors as clue_selectors
    from xuncha.clues.lib import dedup

    records = list(selectors.record_candidates(actor, report))
    if not records:
        return []
    # The report names its unit in words; a target of the team with that name counts as
    # the same target as a record's.
    organisation = _unit(content)
    target = next(
        (str(t.pk) for t in report.channel.team.targets.all() if organisation == t.name), None
    )
    index = dedup.Index(threshold=clue_selectors.SUGGEST_THRESHOLD)
    index.add_many(clue_selectors.as_doc(r) for r in records)
    doc = _doc(("report", report.pk), report.kind, content, target)
    by_id: dict[Any, Any] = {r.pk: r for r in records}
    return [
        RecordSuggestion(by_id[m.b], m.score, m.same_subject)
        for m in index.similar(doc, limit=limit)
        if m.b in by_id
    ]


# --- changes -----------------------------------------------------------------------------


def _locked(report: Report) -> Report:
    return (
        Report.objects.select_related("channel__team__round").select_for_update().get(pk=report.pk)
    )


def _refuse_if_done(report: Report) -> None:
    if report.status in CLOSED_STATUSES:
        raise Refused(
            _("This report is already handled (%(status)s).")
            % {"status": report.get_status_display()}
        )


_CLASSIFIED = ("discipline", "category", "assigned_to", "status")


def _classification(report: Report) -> dict[str, Any]:
    return {
        **audit.snapshot(report, _CLASSIFIED),
        "topics": sorted(report.topics.values_list("pk", flat=True)),
    }


@transaction.atomic
def classify(
    *,
    actor: User,
    report: Report,
    discipline: str,
    topics: Iterable[Any],
    category: str,
    assigned_to: User | None,
) -> Report:
    """Discipline, topic tags, the category (a correction of the submitter's choice) and
    whom it is assigned to; a new report is then under review."""
    from xuncha.clues.models import Discipline

    policy.require(actor, permissions.INTAKE_CHANGE, report)
    report = _locked(report)
    if discipline and discipline not in Discipline.values:
        raise Refused(_("Unknown discipline."))
    if category not in Category.values:
        raise Refused(_("Unknown category."))
    if (
        assigned_to is not None
        and not services.recipients(report.channel.team).filter(pk=assigned_to.pk).exists()
    ):
        raise Refused(_("A report can be assigned only to someone who can read it."))
    before = _classification(report)
    report.discipline = discipline
    report.category = category
    report.assigned_to = assigned_to
    if report.status == Status.NEW:
        report.status = Status.REVIEW
    report.save(update_fields=["discipline", "category", "assigned_to", "status", "updated_at"])
    report.topics.set(list(topics))
    after = _classification(report)
    changed = [k for k in after if after[k] != before[k]]
    audit.record(
        actor=actor,
        event_type=E.INTAKE_CLASSIFIED,
        obj=report,
        object_repr=report.label,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    return report


@transaction.atomic
def forward(
    *,
    actor: User,
    report: Report,
    organisation: Organisation,
    note: str,
    message: str = "",
    private_key: bytes | None = None,
) -> Report:
    """Out of scope: forwarded to the responsible department with a note; ``message``
    (optional) tells the submitter where to turn, through the receipt thread."""
    policy.require(actor, permissions.INTAKE_CHANGE, report)
    if not policy.allows_on_organisation(actor, Action.ORGANISATION_VIEW, organisation):
        raise PermissionDenied
    report = _locked(report)
    _refuse_if_done(report)
    if not note.strip():
        raise Refused(_("Write a note for the department."))
    if message.strip():
        services.staff_message(
            actor=actor, report=report, private_key=private_key, text=message, waiting=False
        )
    report.status = Status.FORWARDED
    report.forwarded_to = organisation
    report.forward_note = note.strip()
    report.save(update_fields=["status", "forwarded_to", "forward_note", "updated_at"])
    audit.record(
        actor=actor,
        event_type=E.INTAKE_FORWARDED,
        obj=report,
        object_repr=report.label,
        after={"status": report.status, "forwarded_to": organisation.pk},
        extra={"told_submitter": bool(message.strip())},
    )
    return report


@transaction.atomic
def mark_duplicate(*, actor: User, report: Report, original: Report) -> Report:
    """``report`` is the same matter as ``original`` (of the same team). Reports that
    were duplicates of ``report`` now point at ``original``."""
    policy.require(actor, permissions.INTAKE_CHANGE, report)
    if original.pk == report.pk:
        raise Refused(_("A report cannot be a duplicate of itself."))
    if original.channel_id != report.channel_id:
        raise Refused(_("Only a report of the same team can be the original."))
    policy.require(actor, permissions.INTAKE_VIEW, original)
    report = _locked(report)
    original = _locked(original)
    if original.status == Status.DUPLICATE and original.duplicate_of is not None:
        raise Refused(
            _(
                "%(label)s is itself a duplicate of %(original)s: mark this report as a "
                "duplicate of %(original)s."
            )
            % {"label": original.label, "original": original.duplicate_of.label}
        )
    _refuse_if_done(report)
    before = audit.snapshot(report, ("status", "duplicate_of"))
    report.status = Status.DUPLICATE
    report.duplicate_of = original
    report.save(update_fields=["status", "duplicate_of", "updated_at"])
    moved = list(Report.objects.filter(duplicate_of=report).values_list("pk", flat=True))
    if moved:
        Report.objects.filter(pk__in=moved).update(duplicate_of=original)
    audit.record(
        actor=actor,
        event_type=E.INTAKE_DUPLICATE,
        obj=report,
        object_repr=report.label,
        before=before,
        after=audit.snapshot(report, ("status", "duplicate_of")),
        extra={"original": original.label, "moved": moved},
    )
    return report


def _converted(actor: User, report: Report, record: Any, *, created: bool) -> None:
    locked = _locked(report)
    before = locked.status
    locked.status = Status.CONVERTED
    locked.save(update_fields=["status", "updated_at"])
    audit.record(
        actor=actor,
        event_type=E.INTAKE_CONVERTED,
        obj=locked,
        object_repr=report.label,
        before={"status": before},
        after={"status": locked.status, "record": record.pk},
        extra={"number": record.number, "created": created},
    )


def _convertible(actor: User, report: Report) -> Report:
    policy.require(actor, permissions.INTAKE_CHANGE, report)
    report = _locked(report)
    if report.status == Status.DUPLICATE:
        raise Refused(_("This report is a duplicate: turn its original into a record instead."))
    return report


@transaction.atomic
def convert(
    *,
    actor: User,
    report: Report,
    kind: str,
    title: str,
    description: str,
    target: Organisation,
    discipline: str = "",
    topics: Iterable[Any] = (),
    subjects: Sequence[Any] = (),
    credibility: str = "medium",
    priority: str = "medium",
) -> Any:
    """A new problem or clue of the team's round from the report, with the report as its
    evidence. What the record says is what the user wrote in the form: the submitter's
    identity is not copied."""
    from xuncha.clues import permissions as clue_permissions
    from xuncha.clues import services as clue_services
    from xuncha.clues.models import Source as ClueSource

    report = _convertible(actor, report)
    team = report.channel.team
    if not clue_permissions.may_record(actor, team.round, target):
        raise PermissionDenied
    record = clue_services.record_create(
        actor=actor,
        round_=team.round,
        target=target,
        team=team,
        kind=kind,
        title=title,
        description=description,
        source=ClueSource.PUBLIC,
        discipline=discipline,
        topics=topics,
        subjects=subjects,
        credibility=credibility,
        priority=priority,
    )
    clue_services.evidence_add(actor=actor, record=record, obj=report)
    _converted(actor, report, record, created=True)
    return record


@transaction.atomic
def add_to_record(*, actor: User, report: Report, record: Any) -> Any:
    """The report becomes evidence of an existing problem or clue of the team's round."""
    from django.contrib.contenttypes.models import ContentType

    from xuncha.clues import permissions as clue_permissions
    from xuncha.clues import services as clue_services

    report = _convertible(actor, report)
    policy.require(actor, clue_permissions.CLUE_CHANGE, record)
    if record.round_id != report.channel.team.round_id:
        raise Refused(_("The record belongs to another round."))
    if record.evidence.filter(
        content_type=ContentType.objects.get_for_model(Report), object_id=str(report.pk)
    ).exists():
        raise Refused(_("This report is already evidence of that record."))
    link = clue_services.evidence_add(actor=actor, record=record, obj=report)
    _converted(actor, report, record, created=False)
    return link


@transaction.atomic
def close(*, actor: User, report: Report, reason: str) -> Report:
    policy.require(actor, permissions.INTAKE_CHANGE, report)
    report = _locked(report)
    _refuse_if_done(report)
    reason = reason.strip()
    if not reason:
        raise Refused(_("Say why the report is closed."))
    before = report.status
    report.status = Status.CLOSED
    report.close_reason = reason[:2000]
    report.save(update_fields=["status", "close_reason", "updated_at"])
    audit.record(
        actor=actor,
        event_type=E.INTAKE_CLOSED,
        obj=report,
        object_repr=report.label,
        before={"status": before},
        after={"status": report.status},
        extra={"reason": reason[:500]},
    )
    return report


@transaction.atomic
def exported(*, actor: User, team: Any, count: int, filters: dict[str, Any]) -> None:
    """The inbox list was exported (metadata only: no content is decrypted for it)."""
    audit.record(
        actor=actor,
        event_type=E.INTAKE_EXPORTED,
        object_type="rounds.team",
        object_id=str(team.pk),
        object_repr=str(team)[:200],
        extra={"count": count, "filters": filters, "format": "xlsx"},
    )
