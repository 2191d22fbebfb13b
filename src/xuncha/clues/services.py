"""State changes of problems and clues; each one transaction with its audit event and an
entry on the record's timeline. Views check permissions first (``xuncha.clues.permissions``);
these functions check that the change makes sense for the record's state."""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xuncha.clues import evidence as evidence_registry
from xuncha.clues.models import (
    Discipline,
    Disposal,
    Document,
    EvidenceLink,
    HandoverSettings,
    Kind,
    NotDuplicate,
    Record,
    Reminder,
    Route,
    Status,
    Subject,
    TimelineEntry,
    Transfer,
)
from xuncha.clues.signals import record_saved
from xuncha.core import audit
from xuncha.core.models import AuditEventType as E
from xuncha.core.models import Organisation, Person, User
from xuncha.core.selectors import nearest_setting

RECORD_FIELDS = (
    "kind",
    "round",
    "team",
    "target",
    "title",
    "description",
    "source",
    "discipline",
    "credibility",
    "priority",
    "confidentiality",
    "fast_track",
    "status",
    "status_reason",
    "merged_into",
    "route",
    "transfer",
)
EDITABLE_FIELDS = (
    "title",
    "description",
    "source",
    "discipline",
    "credibility",
    "priority",
    "confidentiality",
    "fast_track",
    "team",
    "target",
)
OPEN = (Status.NEW, Status.REVIEW, Status.CONFIRMED)

# The status changes a user asks for by name; merging, transfer, disposal and closure have
# services of their own because they change more than the status.
TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {Status.REVIEW, Status.DISMISSED},
    Status.REVIEW: {Status.CONFIRMED, Status.DISMISSED, Status.NEW},
    Status.CONFIRMED: {Status.REVIEW},
    Status.DISMISSED: {Status.REVIEW},
}
NEEDS_REASON = {Status.DISMISSED}
# Moves that need the decide permission (confirm, dismiss, and undoing either).
DECISIONS = {Status.CONFIRMED, Status.DISMISSED}


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the last day of the month where it has fewer days)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last))


class Refused(ValidationError):
    """The change does not fit the record's state; the message says why, for the user."""


@dataclass(frozen=True)
class SubjectInput:
    name: str
    person: Person | None = None
    post: str = ""
    age: str = ""  # as the report says it: 约五十岁
    place: str = ""  # a township, village or unit named with the person


def subject_input(subject: Subject) -> SubjectInput:
    """A saved subject as the input that writes it again (merges, edits)."""
    return SubjectInput(
        name=subject.name,
        person=subject.person,
        post=subject.post,
        age=subject.age,
        place=subject.place,
    )


def _timeline(
    record: Record,
    actor: User | None,
    event_type: str,
    *,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
) -> None:
    TimelineEntry.objects.create(
        record=record,
        actor=actor,
        event_type=str(event_type),
        from_status=from_status,
        to_status=to_status,
        note=note[:500],
    )


def _snap(record: Record) -> dict[str, Any]:
    return audit.snapshot(record, RECORD_FIELDS)


def _set_subjects(record: Record, subjects: Sequence[SubjectInput]) -> None:
    record.subjects.all().delete()
    seen: set[str] = set()
    rows = []
    for s in subjects:
        name = (s.person.name if s.person is not None else s.name).strip()
        if not name:
            continue
        key = f"p{s.person.pk}" if s.person is not None else f"n{name}"
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            Subject(
                record=record,
                person=s.person,
                name=name,
                post=s.post.strip(),
                age=s.age.strip(),
                place=s.place.strip(),
            )
        )
    Subject.objects.bulk_create(rows)


def _validate_place(round_: Any, team: Any, target: Organisation) -> None:
    if team is not None and team.round_id != round_.pk:
        raise Refused(_("The team does not belong to this round."))
    if team is not None and not team.targets.filter(pk=target.pk).exists():
        raise Refused(_("The target is not one of the team's targets."))


@transaction.atomic
def record_create(
    *,
    actor: User,
    round_: Any,
    target: Organisation,
    kind: str,
    title: str,
    description: str,
    source: str,
    team: Any = None,
    discipline: str = "",
    topics: Iterable[Any] = (),
    credibility: str = "medium",
    priority: str = "medium",
    confidentiality: str = "ordinary",
    fast_track: bool = False,
    subjects: Sequence[SubjectInput] = (),
) -> Record:
    _validate_place(round_, team, target)
    record = Record(
        number=f"tmp{uuid.uuid4().hex[:24]}",  # replaced by the number below
        kind=kind,
        round=round_,
        team=team,
        target=target,
        title=title.strip(),
        description=description.strip(),
        source=source,
        discipline=discipline,
        credibility=credibility,
        priority=priority,
        confidentiality=confidentiality,
        fast_track=fast_track,
        created_by=actor,
    )
    record.full_clean(exclude=["number", "created_by", "topics"])
    record.save()
    record.number = f"{record.created_at:%Y}-{record.pk:06d}"
    record.save(update_fields=["number"])
    record.topics.set(list(topics))
    _set_subjects(record, subjects)
    audit.record(
        actor=actor,
        event_type=E.CLUE_CREATED,
        obj=record,
        after={**_snap(record), "topics": sorted(t.pk for t in record.topics.all())},
        extra={"subjects": record.subjects.count()},
    )
    _timeline(record, actor, E.CLUE_CREATED, to_status=record.status)
    record_saved.send(sender=Record, record=record, created=True)
    return record


@transaction.atomic
def record_update(
    *,
    actor: User,
    record: Record,
    values: dict[str, Any],
    topics: Iterable[Any] | None = None,
    subjects: Sequence[SubjectInput] | None = None,
) -> Record:
    record = Record.objects.select_for_update().get(pk=record.pk)
    if record.status not in OPEN:
        raise Refused(
            _("Only an open record can be edited; this one is %(status)s.")
            % {"status": record.get_status_display()}
        )
    before = {**_snap(record), "topics": sorted(record.topics.values_list("pk", flat=True))}
    for name, value in values.items():
        if name not in EDITABLE_FIELDS:
            raise ValueError(f"{name} is not editable")
        setattr(record, name, value)
    _validate_place(record.round, record.team, record.target)
    record.full_clean(exclude=["topics"])
    record.save()
    if topics is not None:
        record.topics.set(list(topics))
    if subjects is not None:
        _set_subjects(record, subjects)
    after = {**_snap(record), "topics": sorted(record.topics.values_list("pk", flat=True))}
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    audit.record(
        actor=actor,
        event_type=E.CLUE_UPDATED,
        obj=record,
        before={k: before[k] for k in changed},
        after=changed,
        extra={"subjects_replaced": subjects is not None},
    )
    _timeline(record, actor, E.CLUE_UPDATED, note=", ".join(sorted(changed)))
    record_saved.send(sender=Record, record=record, created=False)
    return record


@transaction.atomic
def status_change(*, actor: User, record: Record, to_status: str, reason: str = "") -> Record:
    record = Record.objects.select_for_update().get(pk=record.pk)
    allowed = TRANSITIONS.get(record.status, set())
    if to_status not in allowed:
        raise Refused(
            _("A record that is %(from)s cannot become %(to)s.")
            % {"from": record.get_status_display(), "to": Status(to_status).label}
        )
    reason = reason.strip()
    if to_status in NEEDS_REASON and not reason:
        raise Refused(_("Say why the record is dismissed."))
    before = _snap(record)
    from_status = record.status
    record.status = to_status
    record.status_reason = reason if to_status == Status.DISMISSED else ""
    if to_status == Status.CONFIRMED:
        record.route = route_for(record)
    record.save(update_fields=["status", "status_reason", "route", "updated_at"])
    audit.record(
        actor=actor,
        event_type=E.CLUE_STATUS,
        obj=record,
        before={"status": before["status"]},
        after={"status": record.status, "route": record.route},
        extra={"reason": reason},
    )
    _timeline(
        record, actor, E.CLUE_STATUS, from_status=from_status, to_status=to_status, note=reason
    )
    record_saved.send(sender=Record, record=record, created=False)
    return record


@transaction.atomic
def kind_change(*, actor: User, record: Record, kind: str, reason: str) -> Record:
    """Raise a problem to a clue, or lower a clue to a problem (history kept)."""
    record = Record.objects.select_for_update().get(pk=record.pk)
    if record.status not in OPEN:
        raise Refused(_("Only an open record can change kind."))
    if kind == record.kind:
        raise Refused(_("The record is already of that kind."))
    if not reason.strip():
        raise Refused(_("Say why the kind changes."))
    old = record.kind
    record.kind = kind
    if record.status == Status.CONFIRMED:
        record.route = route_for(record)
    record.save(update_fields=["kind", "route", "updated_at"])
    audit.record(
        actor=actor,
        event_type=E.CLUE_KIND,
        obj=record,
        before={"kind": old},
        after={"kind": kind, "route": record.route},
        extra={"reason": reason.strip()},
    )
    _timeline(record, actor, E.CLUE_KIND, note=f"{Kind(old).label} → {Kind(kind).label}: {reason}")
    record_saved.send(sender=Record, record=record, created=False)
    return record


# -- evidence ----------------------------------------------------------------------------------


@transaction.atomic
def evidence_add(
    *, actor: User, record: Record, obj: models.Model, excerpt: str = ""
) -> EvidenceLink:
    kind = evidence_registry.kind_of(type(obj))
    if kind is None:
        raise Refused(_("This kind of record cannot be linked as evidence."))
    if record.status not in OPEN:
        raise Refused(_("Evidence of a record that is no longer open is kept as it was."))
    if isinstance(obj, Record) and obj.pk == record.pk:
        raise Refused(_("A record cannot be its own evidence."))
    link = EvidenceLink.objects.create(
        record=record,
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=str(obj.pk),
        label=kind.name(obj)[:200],
        excerpt=excerpt.strip(),
        added_by=actor,
    )
    audit.record(
        actor=actor,
        event_type=E.CLUE_EVIDENCE_ADDED,
        obj=record,
        after={"link": link.pk, "type": link.content_type.model, "object_id": link.object_id},
    )
    _timeline(record, actor, E.CLUE_EVIDENCE_ADDED, note=link.label)
    return link


@transaction.atomic
def evidence_remove(*, actor: User, link: EvidenceLink) -> None:
    record = link.record
    if record.status not in OPEN:
        raise Refused(_("Evidence of a record that is no longer open is kept as it was."))
    audit.record(
        actor=actor,
        event_type=E.CLUE_EVIDENCE_REMOVED,
        obj=record,
        before={"link": link.pk, "type": link.content_type.model, "object_id": link.object_id},
    )
    _timeline(record, actor, E.CLUE_EVIDENCE_REMOVED, note=link.label)
    link.delete()


MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


@transaction.atomic
def document_upload(
    *, actor: User, record: Record, upload: UploadedFile, excerpt: str = ""
) -> EvidenceLink:
    if upload.size is None or upload.size > MAX_DOCUMENT_BYTES:
        raise Refused(_("The file is larger than 20 MB."))
    name = (upload.name or "document")[-200:]
    document = Document(
        round=record.round,
        target=record.target,
        name=name,
        size=upload.size,
        uploaded_by=actor,
    )
    document.file.save(name, upload, save=False)
    document.save()
    audit.record(
        actor=actor,
        event_type=E.CLUE_DOCUMENT_UPLOADED,
        obj=document,
        after={"name": name, "size": document.size, "record": record.pk},
    )
    return evidence_add(actor=actor, record=record, obj=document, excerpt=excerpt)


# -- duplicates --------------------------------------------------------------------------------


@transaction.atomic
def merge(*, actor: User, survivor: Record, others: Sequence[Record], note: str = "") -> Record:
    """Merge duplicates into ``survivor``: evidence and subjects are kept on it, and each
    merged record points to it and is itself linked as evidence (its text is not lost)."""
    ids = [survivor.pk, *[o.pk for o in others]]
    rows = {r.pk: r for r in Record.objects.select_for_update().filter(pk__in=ids)}
    survivor = rows[survivor.pk]
    if not others:
        raise Refused(_("Choose at least one record to merge."))
    if survivor.status not in OPEN:
        raise Refused(_("The record that survives must be open."))
    subjects = [subject_input(s) for s in survivor.subjects.all()]
    for other in (rows[o.pk] for o in others):
        if other.pk == survivor.pk:
            raise Refused(_("A record cannot be merged into itself."))
        if other.round_id != survivor.round_id:
            raise Refused(_("Only records of the same round can be merged."))
        if other.status not in OPEN:
            raise Refused(
                _("%(number)s is %(status)s and cannot be merged.")
                % {"number": other.number, "status": other.get_status_display()}
            )
        for link in other.evidence.all():
            EvidenceLink.objects.create(
                record=survivor,
                content_type_id=link.content_type_id,
                object_id=link.object_id,
                label=link.label,
                excerpt=link.excerpt,
                added_by=actor,
            )
        EvidenceLink.objects.create(
            record=survivor,
            content_type=ContentType.objects.get_for_model(Record),
            object_id=str(other.pk),
            label=str(other)[:200],
            excerpt=other.description,
            added_by=actor,
        )
        subjects.extend(subject_input(s) for s in other.subjects.all())
        topics = list(other.topics.all())
        if topics:
            survivor.topics.add(*topics)
        from_status = other.status
        other.status = Status.MERGED
        other.merged_into = survivor
        other.save(update_fields=["status", "merged_into", "updated_at"])
        _timeline(
            other,
            actor,
            E.CLUE_MERGED,
            from_status=from_status,
            to_status=Status.MERGED,
            note=survivor.number,
        )
        _timeline(survivor, actor, E.CLUE_MERGED, note=other.number)
    _set_subjects(survivor, subjects)
    Record.objects.filter(pk=survivor.pk).update(updated_at=timezone.now())
    audit.record(
        actor=actor,
        event_type=E.CLUE_MERGED,
        obj=survivor,
        after={"merged": [o.pk for o in others]},
        extra={"note": note.strip()},
    )
    record_saved.send(sender=Record, record=survivor, created=False)
    return survivor


@transaction.atomic
def not_duplicate(*, actor: User, a: Record, b: Record) -> NotDuplicate:
    if a.pk == b.pk:
        raise Refused(_("A record is always a duplicate of itself."))
    low, high = (a, b) if a.pk < b.pk else (b, a)
    pair, created = NotDuplicate.objects.get_or_create(
        a=low, b=high, defaults={"decided_by": actor}
    )
    if created:
        audit.record(
            actor=actor, event_type=E.CLUE_NOT_DUPLICATE, obj=low, after={"other": high.pk}
        )
        _timeline(low, actor, E.CLUE_NOT_DUPLICATE, note=high.number)
        _timeline(high, actor, E.CLUE_NOT_DUPLICATE, note=low.number)
    return pair


# -- routing, transfer, disposal ---------------------------------------------------------------

DEFAULT_ROUTES = {"topic:cadre-selection": Route.ORGANISATION_DEPARTMENT}


def settings_for(committee: Organisation) -> HandoverSettings:
    """The committee's settings, else the nearest ancestor's, else the defaults (unsaved)."""
    return nearest_setting(HandoverSettings, committee) or HandoverSettings(
        committee=committee, routes=dict(DEFAULT_ROUTES)
    )


def route_for(record: Record, settings: HandoverSettings | None = None) -> str:
    """Problems stay for rectification; a clue goes where its topics, else its discipline,
    say; a clue with no rule goes to the discipline commission."""
    if record.kind == Kind.PROBLEM:
        return Route.RECTIFICATION
    settings = settings or settings_for(record.round.committee)
    routes = settings.routes or {}
    if record.pk:
        for code in record.topics.order_by("code").values_list("code", flat=True):
            route = routes.get(f"topic:{code}")
            if route and route != Route.RECTIFICATION:
                return str(route)
    route = routes.get(f"discipline:{record.discipline}") if record.discipline else None
    if route and route != Route.RECTIFICATION:
        return str(route)
    return Route.DISCIPLINE_COMMISSION


def department_for(route: str, settings: HandoverSettings) -> Organisation | None:
    if route == Route.DISCIPLINE_COMMISSION:
        return settings.discipline_commission
    if route == Route.ORGANISATION_DEPARTMENT:
        return settings.organisation_department
    return None


@transaction.atomic
def handover_settings_set(
    *, actor: User, committee: Organisation, values: dict[str, Any]
) -> HandoverSettings:
    row = HandoverSettings.objects.filter(committee=committee).first()
    before = audit.snapshot(row, _SETTINGS_FIELDS) if row is not None else None
    if row is None:
        inherited = settings_for(committee)
        row = HandoverSettings(committee=committee, routes=dict(inherited.routes or {}))
    for name, value in values.items():
        setattr(row, name, value)
    if not (row.report_months <= row.close_months <= row.max_months):
        raise Refused(_("Deadlines must grow: report ≤ close ≤ the latest closure (in months)."))
    valid = {f"discipline:{d}" for d in Discipline.values} | {
        k for k in (row.routes or {}) if k.startswith("topic:")
    }
    row.routes = {k: v for k, v in (row.routes or {}).items() if k in valid and v in Route.values}
    row.save()
    audit.record(
        actor=actor,
        event_type=E.HANDOVER_SETTINGS_SET,
        obj=committee,
        before=before,
        after=audit.snapshot(row, _SETTINGS_FIELDS),
    )
    return row


_SETTINGS_FIELDS = (
    "discipline_commission",
    "organisation_department",
    "routes",
    "report_months",
    "close_months",
    "max_months",
)


@transaction.atomic
def transfer_create(
    *,
    actor: User,
    records: Sequence[Record],
    department: Organisation,
    route: str,
    note: str = "",
    today: dt.date | None = None,
) -> Transfer:
    """Send confirmed clues of one round to one department, with their deadlines."""
    if not records:
        raise Refused(_("Choose at least one clue to transfer."))
    if route == Route.RECTIFICATION:
        raise Refused(_("Problems for rectification are not transferred."))
    rows = list(Record.objects.select_for_update().filter(pk__in=[r.pk for r in records]))
    round_ids = {r.round_id for r in rows}
    if len(round_ids) != 1:
        raise Refused(_("A transfer carries the clues of one round."))
    for r in rows:
        if r.kind != Kind.CLUE:
            raise Refused(
                _("%(number)s is a problem: raise it to a clue before transferring it.")
                % {"number": r.number}
            )
        if r.status != Status.CONFIRMED:
            raise Refused(
                _("%(number)s is %(status)s; only confirmed clues are transferred.")
                % {"number": r.number, "status": r.get_status_display()}
            )
    round_ = rows[0].round
    settings = settings_for(round_.committee)
    start = today or timezone.localdate()
    transfer = Transfer.objects.create(
        number=f"tmp{uuid.uuid4().hex[:24]}",  # replaced by the number below
        round=round_,
        department=department,
        route=route,
        note=note.strip(),
        created_by=actor,
        sent_on=start,
        report_due=add_months(start, settings.report_months),
        close_due=add_months(start, settings.close_months),
        max_due=add_months(start, settings.max_months),
    )
    transfer.number = f"YJ{transfer.created_at:%Y}-{transfer.pk:04d}"
    transfer.save(update_fields=["number"])
    for r in rows:
        r.status = Status.TRANSFERRED
        r.route = route
        r.transfer = transfer
        r.save(update_fields=["status", "route", "transfer", "updated_at"])
        _timeline(
            r,
            actor,
            E.CLUE_TRANSFERRED,
            from_status=Status.CONFIRMED,
            to_status=Status.TRANSFERRED,
            note=f"{transfer.number} → {department.name}",
        )
    audit.record(
        actor=actor,
        event_type=E.CLUE_TRANSFERRED,
        obj=transfer,
        after={
            "department": department.pk,
            "route": route,
            "records": sorted(r.pk for r in rows),
            "report_due": transfer.report_due,
            "close_due": transfer.close_due,
        },
    )
    return transfer


@transaction.atomic
def transfer_receive(*, actor: User, transfer: Transfer) -> Transfer:
    transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
    if transfer.received_at is not None:
        raise Refused(_("Receipt of this transfer was already recorded."))
    transfer.received_at = timezone.now()
    transfer.received_by = actor
    transfer.save(update_fields=["received_at", "received_by"])
    for r in transfer.records.all():
        _timeline(r, actor, E.CLUE_RECEIVED, note=transfer.number)
    audit.record(actor=actor, event_type=E.CLUE_RECEIVED, obj=transfer)
    return transfer


@transaction.atomic
def disposal_record(
    *, actor: User, record: Record, method: str, result: str, decided_on: dt.date
) -> Disposal:
    record = (
        Record.objects.select_for_update(of=("self",)).select_related("transfer").get(pk=record.pk)
    )
    if record.status not in (Status.TRANSFERRED, Status.DISPOSAL_REPORTED):
        raise Refused(_("Only a transferred clue gets a disposal."))
    if record.transfer is None or record.transfer.received_at is None:
        raise Refused(_("Record the receipt of the transfer first."))
    if not result.strip():
        raise Refused(_("Say what the disposal found or decided."))
    if decided_on > timezone.localdate():
        raise Refused(_("The decision date cannot be in the future."))
    disposal = Disposal(
        record=record,
        method=method,
        result=result.strip(),
        decided_on=decided_on,
        recorded_by=actor,
    )
    disposal.full_clean(exclude=["record", "recorded_by"])
    disposal.save()
    from_status = record.status
    record.status = Status.DISPOSAL_REPORTED
    record.save(update_fields=["status", "updated_at"])
    audit.record(
        actor=actor,
        event_type=E.CLUE_DISPOSAL,
        obj=record,
        after={"method": method, "decided_on": decided_on, "disposal": disposal.pk},
    )
    _timeline(
        record,
        actor,
        E.CLUE_DISPOSAL,
        from_status=from_status,
        to_status=record.status,
        note=disposal.get_method_display(),
    )
    return disposal


@transaction.atomic
def record_close(*, actor: User, record: Record, reason: str) -> Record:
    """Close a clue whose disposal was reported, or a fast-track matter settled in the round."""
    record = Record.objects.select_for_update().get(pk=record.pk)
    settled = record.status == Status.CONFIRMED and record.fast_track
    if record.status != Status.DISPOSAL_REPORTED and not settled:
        raise Refused(
            _(
                "Only a clue whose disposal was reported, or a fast-track matter that was "
                "confirmed, can be closed."
            )
        )
    if not reason.strip():
        raise Refused(_("Say how the matter was concluded."))
    from_status = record.status
    record.status = Status.CLOSED
    record.status_reason = reason.strip()
    record.save(update_fields=["status", "status_reason", "updated_at"])
    audit.record(
        actor=actor,
        event_type=E.CLUE_CLOSED,
        obj=record,
        before={"status": from_status},
        after={"status": record.status},
        extra={"reason": reason.strip()},
    )
    _timeline(
        record, actor, E.CLUE_CLOSED, from_status=from_status, to_status=Status.CLOSED, note=reason
    )
    record_saved.send(sender=Record, record=record, created=False)
    return record


# -- deadlines ---------------------------------------------------------------------------------


def overdue_deadlines(record: Record, today: dt.date) -> list[tuple[str, dt.date]]:
    """Which of a transferred clue's deadlines have passed (none once closed)."""
    transfer = record.transfer
    if transfer is None or record.status == Status.CLOSED:
        return []
    found: list[tuple[str, dt.date]] = []
    if record.status == Status.TRANSFERRED and today > transfer.report_due:
        found.append((Reminder.Deadline.REPORT, transfer.report_due))
    if today > transfer.close_due:
        found.append((Reminder.Deadline.CLOSE, transfer.close_due))
    if today > transfer.max_due:
        found.append((Reminder.Deadline.MAX, transfer.max_due))
    return found


def check_deadlines(*, today: dt.date | None = None, progress: Any = None) -> dict[str, int]:
    """Flag every passed deadline once (the scheduled job). Each record is its own
    transaction, so a long run leaves finished work behind if it stops."""
    today = today or timezone.localdate()
    records = list(
        Record.objects.filter(status__in=(Status.TRANSFERRED, Status.DISPOSAL_REPORTED))
        .select_related("transfer")
        .order_by("pk")
    )
    flagged = 0
    for i, record in enumerate(records, start=1):
        for deadline, due in overdue_deadlines(record, today):
            with transaction.atomic():
                _, created = Reminder.objects.get_or_create(
                    record=record, deadline=deadline, defaults={"due": due}
                )
                if created:
                    flagged += 1
                    audit.record(
                        actor=None,
                        event_type=E.CLUE_OVERDUE,
                        obj=record,
                        after={"deadline": str(deadline), "due": due},
                    )
                    _timeline(
                        record,
                        None,
                        E.CLUE_OVERDUE,
                        note=f"{Reminder.Deadline(deadline).label} ({due:%Y-%m-%d})",
                    )
        if progress is not None:
            progress(i, len(records))
    return {"checked": len(records), "flagged": flagged}


# -- reads of protected data -------------------------------------------------------------------


@transaction.atomic
def record_read(*, actor: User, record: Record) -> None:
    """A clue names people and what they are said to have done: every read is logged."""
    audit.record(actor=actor, event_type=E.CLUE_READ, obj=record)


@transaction.atomic
def document_read(*, actor: User, document: Document, record: Record) -> None:
    audit.record(
        actor=actor, event_type=E.CLUE_DOCUMENT_READ, obj=document, extra={"record": record.pk}
    )


@transaction.atomic
def records_exported(*, actor: User, count: int, filters: dict[str, Any], fmt: str) -> None:
    audit.record(
        actor=actor,
        event_type=E.CLUE_EXPORTED,
        object_type="clues.record",
        extra={"count": count, "filters": filters, "format": fmt},
    )


def scan_start(*, actor: User, round_: Any) -> Any:
    """Queue the round-wide duplicate scan (a background job with progress)."""
    from xuncha.clues import tasks
    from xuncha.core import jobs

    job = jobs.job_start(
        actor=actor,
        kind="clue_scan",
        label=_("Find duplicates in %(round)s") % {"round": round_.name},
        task=tasks.scan_round,
        user_id=actor.pk,
        round_id=round_.pk,
    )
    # The round is known before the job finishes, so its page can show the progress.
    job.result = {"round": round_.pk}
    job.save(update_fields=["result"])
    return job


@transaction.atomic
def subject_link(
    *,
    actor: User,
    subject: Subject,
    person: Person,
    source: dict[str, Any] | None = None,
) -> Subject:
    """Link a name written on a record to the person of the registry it means.

    ``source`` says where the choice was made, for the audit log (the candidates page, or
    the row of the household register the person was found or created from)."""
    record = Record.objects.select_for_update().get(pk=subject.record_id)
    subject = Subject.objects.get(pk=subject.pk)
    if record.status not in OPEN:
        raise Refused(
            _("Only an open record can be edited; this one is %(status)s.")
            % {"status": record.get_status_display()}
        )
    if subject.person_id is not None:
        raise Refused(_("This name is already linked to a person."))
    if record.subjects.filter(person=person).exists():
        raise Refused(_("That person is already on the record."))
    subject.person = person
    subject.save(update_fields=["person"])
    audit.record(
        actor=actor,
        event_type=E.CLUE_UPDATED,
        obj=record,
        after={"subject": subject.pk, "person": person.pk},
        extra={"source": source} if source else None,
    )
    _timeline(record, actor, E.CLUE_UPDATED, note=f"{subject.name} → {person.name}")
    return subject


@dataclass(frozen=True)
class HouseholdPerson:
    """A person as a row of the household register gives them (``datacheck`` dataset)."""

    version_id: int
    row: int
    name: str
    gender: str = ""  # "M", "F" or ""
    birth_date: dt.date | None = None
    id_number: str | None = None


@transaction.atomic
def subject_link_household(
    *, actor: User, subject: Subject, registry: Organisation, resident: HouseholdPerson
) -> Subject:
    """Link a name to a resident of the household register: the person of the registry
    with that ID number if there is one, else a new person of ``registry`` made from the
    row (its own audit event), then linked as ``subject_link`` does."""
    from xuncha.core import services as core_services
    from xuncha.core.lib import idnumber

    source = {"household_version": resident.version_id, "row": resident.row}
    person = None
    if resident.id_number:
        try:
            number = idnumber.normalise(resident.id_number)
        except idnumber.InvalidIdNumber:
            raise Refused(_("The ID number in this row of the register is not valid.")) from None
        person = Person.objects.filter(id_number=number).first()
    if person is None:
        try:
            person = core_services.person_create(
                actor=actor,
                name=resident.name,
                registry=registry,
                gender=resident.gender,
                birth_date=resident.birth_date,
                id_number=resident.id_number,
            )
        except ValidationError as exc:
            raise Refused(exc.messages) from None
        source["created"] = True
    return subject_link(actor=actor, subject=subject, person=person, source=source)


@transaction.atomic
def subject_candidates_read(
    *,
    actor: User,
    subject: Subject,
    people: Sequence[int],
    household_version: int | None,
    rows: Sequence[int],
) -> None:
    """The candidates page shows people of the registry and rows of the household register
    next to a clue: the read is logged, with what was shown (ids, no names)."""
    audit.record(
        actor=actor,
        event_type=E.CLUE_READ,
        obj=subject.record,
        extra={
            "purpose": "subject_candidates",
            "subject": subject.pk,
            "people": list(people),
            "household_version": household_version,
            "household_rows": list(rows),
        },
    )
