"""Writing down what a team did: activities (one use of a method) with their register of
documents read, households visited and attachments; approving covert visits; reading an
attachment; the office's methods and coverage minimums.

Views check who may act (``permissions``); these functions check that the record makes
sense: an active method that is written here (talks are interview records), a target of
the team, enough team members taking part (the two-person rules of DOMAIN.md), only the
parts the method records, and files that are what their names say. Each change is one
transaction with its audit event; log and audit entries hold ids and counts, no names.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from xuncha.core import audit, policy
from xuncha.core.models import AuditEventType, Organisation, Person, User
from xuncha.fieldwork import common, permissions, uploads
from xuncha.fieldwork.models import (
    VISIT_GROUPS,
    Activity,
    ActivityFile,
    CoverageMinimum,
    DocumentRead,
    Group,
    HouseholdVisit,
    Method,
    Profile,
)
from xuncha.fieldwork.uploads import KINDS, FileKind
from xuncha.rounds.models import Team

TALK_METHOD = "individual_talk"
MAX_FILES = 10
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_TABLE_ROWS = 2000
MAX_CELL_CHARS = 2000

ACTIVITY_FIELDS = ("method", "target", "group", "date", "place", "title", "others", "attendees")


# -- files -----------------------------------------------------------------------------------


ACCEPT = ",".join(ext for kind in KINDS.values() for ext in kind.extensions)
TABLE_KINDS = ("xlsx", "csv")


def sniff(data: bytes, name: str) -> FileKind:
    """What a file is, by its bytes; the name's ending must agree. Raises ValidationError."""
    kind = uploads.sniff(data, name)
    if kind is None or not name.lower().endswith(kind.extensions):
        raise ValidationError(
            _(
                "%(name)s is not an allowed file, or its contents do not match its name "
                "(allowed: PDF, JPEG, PNG, XLSX, DOCX, CSV)."
            )
            % {"name": name}
        )
    return kind


def _cell(value: Any) -> str | int | float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)[:MAX_CELL_CHARS]


def _table(name: str, rows: Iterable[Sequence[Any]]) -> dict[str, Any]:
    """Headers (the first non-empty row) and rows; refuses what cannot be a table."""
    headers: list[str] | None = None
    out: list[list[Any]] = []
    for number, raw in enumerate(rows, start=1):
        values = [_cell(v) for v in raw]
        while values and values[-1] in (None, ""):
            values.pop()
        if not values:
            continue
        if headers is None:
            headers = ["" if v is None else str(v) for v in values]
            continue
        if len(values) > len(headers):
            raise ValidationError(
                _("%(name)s, row %(row)d: %(cells)d cells, but the header has %(header)d.")
                % {"name": name, "row": number, "cells": len(values), "header": len(headers)}
            )
        if len(out) >= MAX_TABLE_ROWS:
            raise ValidationError(
                _("%(name)s has more than %(max)d rows (row %(row)d).")
                % {"name": name, "max": MAX_TABLE_ROWS, "row": number}
            )
        out.append(values + [None] * (len(headers) - len(values)))
    if headers is None:
        raise ValidationError(_("%(name)s holds no table.") % {"name": name})
    return {"headers": headers, "rows": out}


def read_table(data: bytes, name: str, kind: str) -> dict[str, Any]:
    """A results table, xlsx (first sheet) or csv (UTF-8 or GB18030)."""
    if kind == "csv":
        text = uploads.decode_text(data)
        if text is None:
            raise ValidationError(_("%(name)s is neither UTF-8 nor GB18030 text.") % {"name": name})
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            return _table(name, list(reader))
        except csv.Error:
            raise ValidationError(
                _("%(name)s, row %(row)d: the row cannot be read as CSV.")
                % {"name": name, "row": reader.line_num}
            ) from None
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors on damaged files
        raise ValidationError(
            _("%(name)s cannot be read as a spreadsheet.") % {"name": name}
        ) from None
    try:
        sheet = workbook.worksheets[0]
        return _table(name, sheet.iter_rows(values_only=True))
    finally:
        workbook.close()


@dataclass(frozen=True)
class PreparedFile:
    name: str
    data: bytes
    sha256: str
    kind: FileKind
    table: dict[str, Any] | None


def prepare_files(files: Sequence[UploadedFile], method: Method) -> list[PreparedFile]:
    """Read, check and (for a method that records results) parse the uploads, before any
    write: a refused file leaves nothing behind."""
    out = []
    for upload in files:
        name = (upload.name or "file").replace("/", "_").replace("\\", "_")[-200:]
        if uploads.too_large(upload, MAX_FILE_BYTES):
            raise ValidationError(_("%(name)s is larger than 20 MB.") % {"name": name})
        upload.seek(0)
        data = upload.read()
        if not data:
            raise ValidationError(_("%(name)s is empty.") % {"name": name})
        kind = sniff(data, name)
        table = None
        if method.records_results and kind.kind in TABLE_KINDS:
            table = read_table(data, name, kind.kind)
        out.append(PreparedFile(name, data, uploads.sha256(data), kind, table))
    return out


def _store(activity: Activity, prepared: Sequence[PreparedFile]) -> list[ActivityFile]:
    rows = []
    for item in prepared:
        row = ActivityFile(
            activity=activity,
            name=item.name,
            size=len(item.data),
            sha256=item.sha256,
            is_results=item.table is not None,
            table=item.table,
        )
        row.file.save(
            f"{item.sha256[:16]}{item.kind.extensions[0]}", ContentFile(item.data), save=False
        )
        row.save()
        rows.append(row)
    return rows


# -- activities ------------------------------------------------------------------------------


def _str(value: Any) -> str:
    return str(value or "").strip()


def _documents(method: Method, documents: Sequence[dict[str, Any]]) -> list[DocumentRead]:
    if documents and not method.records_documents:
        raise ValidationError(
            _("%(method)s do not keep a register of documents read.") % {"method": method.name}
        )
    out = []
    for number, doc in enumerate(documents, start=1):
        title = _str(doc.get("title"))
        if not title:
            raise ValidationError(_("Document %(n)d of the register has no title.") % {"n": number})
        pages = doc.get("pages")
        if pages is not None and (not isinstance(pages, int) or pages < 0):
            raise ValidationError(
                _("Document %(n)d of the register: the pages must be a whole number.")
                % {"n": number}
            )
        out.append(
            DocumentRead(
                title=title[:200],
                reference=_str(doc.get("reference"))[:100],
                copied=bool(doc.get("copied")),
                pages=pages,
            )
        )
    return out


def _visit_group(method: Method, group: str, where: str) -> str:
    group = group or ""
    if not group:
        return ""
    if not method.records_households:
        raise ValidationError(
            _("%(method)s are not counted by group; leave the group empty.")
            % {"method": method.name}
        )
    if group not in {g.value for g in VISIT_GROUPS}:
        raise ValidationError(
            _("%(where)s: %(group)s is not one of the compulsory visits.")
            % {"where": where, "group": group}
        )
    return group


def _households(method: Method, households: Sequence[dict[str, Any]]) -> list[HouseholdVisit]:
    if households and not method.records_households:
        raise ValidationError(
            _("%(method)s do not record households visited.") % {"method": method.name}
        )
    out = []
    for number, item in enumerate(households, start=1):
        where = _("Household %(n)d") % {"n": number}
        household = _str(item.get("household"))
        if not household:
            raise ValidationError(_("%(where)s has no name.") % {"where": where})
        out.append(
            HouseholdVisit(
                household=household[:100],
                address=_str(item.get("address"))[:200],
                group=_visit_group(method, _str(item.get("group")), where),
                note=_str(item.get("note"))[:500],
            )
        )
    return out


@dataclass(frozen=True)
class Checked:
    fields: dict[str, Any]  # the activity's own fields, cleaned
    documents: list[DocumentRead]
    households: list[HouseholdVisit]
    participants: list[Person]

    def write_parts(self, activity: Activity) -> None:
        """Save the participants, the register of documents and the households of a saved
        ``activity`` (which has none of the last two)."""
        activity.participants.set(self.participants)
        for doc in self.documents:
            doc.activity = activity
        DocumentRead.objects.bulk_create(self.documents)
        for home in self.households:
            home.activity = activity
        HouseholdVisit.objects.bulk_create(self.households)


def _check(
    *,
    team: Team,
    target: Organisation | None,
    method: Method,
    group: str,
    date: dt.date,
    title: str,
    record: str,
    participants: Sequence[Person],
    documents: Sequence[dict[str, Any]],
    households: Sequence[dict[str, Any]],
    attendees: int | None,
    place: str,
    others: str,
) -> Checked:
    if method.code == TALK_METHOD:
        raise ValidationError(
            _(
                "Individual talks are written as interview records (the Interview records "
                "tab), not as activities."
            )
        )
    if not method.is_active:
        raise ValidationError(
            _("%(method)s is no longer in use; choose another method.") % {"method": method.name}
        )
    if target is None or not team.targets.filter(pk=target.pk).exists():
        raise ValidationError(_("Choose one of the team's targets."))
    if date > timezone.localdate():
        raise ValidationError(_("The date %(date)s lies in the future.") % {"date": date})
    if not title.strip():
        raise ValidationError(_("Give the activity a subject."))
    if not record.strip():
        raise ValidationError(_("Write down the record of what was done and found."))
    if attendees is not None and attendees < 0:
        raise ValidationError(_("The number of people met cannot be negative."))
    people = list({p.pk: p for p in participants}.values())
    members = common.member_ids(team)
    outsiders = [p for p in people if p.pk not in members]
    if outsiders:
        raise ValidationError(
            _("%(names)s is not a member of this team.")
            % {"names": "、".join(p.name for p in outsiders)}
        )
    if len(people) < method.min_participants:
        raise ValidationError(
            ngettext(
                "%(method)s need at least %(needed)d team member taking part; %(given)d given.",
                "%(method)s need at least %(needed)d team members taking part; %(given)d given.",
                method.min_participants,
            )
            % {"method": method.name, "needed": method.min_participants, "given": len(people)}
        )
    documents_read = _documents(method, documents)
    households_visited = _households(method, households)
    fields = {
        "method": method,
        "target": target,
        "group": _visit_group(method, group, _("The activity")),
        "date": date,
        "place": place.strip()[:200],
        "title": title.strip()[:200],
        "others": others.strip()[:300],
        "attendees": attendees,
        "record": record.strip(),
    }
    return Checked(
        fields=fields,
        documents=documents_read,
        households=households_visited,
        participants=people,
    )


def _after(activity: Activity) -> dict[str, Any]:
    data = audit.snapshot(activity, ACTIVITY_FIELDS)
    data.update(
        {
            "method_code": activity.method.code,
            "participants": sorted(p.pk for p in activity.participants.all()),
            "documents": activity.documents.count(),
            "households": activity.households.count(),
            "files": [f.sha256 for f in activity.files.all()],
            "approved": activity.approved_at is not None,
        }
    )
    return data


def _check_file_count(existing: int, added: int) -> None:
    if existing + added > MAX_FILES:
        raise ValidationError(
            _("An activity holds at most %(max)d files; this would make %(n)d.")
            % {"max": MAX_FILES, "n": existing + added}
        )


@transaction.atomic
def activity_create(
    *,
    actor: User,
    team: Team,
    target: Organisation | None,
    method: Method,
    date: dt.date,
    title: str,
    record: str,
    participants: Sequence[Person],
    group: str = "",
    place: str = "",
    others: str = "",
    attendees: int | None = None,
    documents: Sequence[dict[str, Any]] = (),
    households: Sequence[dict[str, Any]] = (),
    files: Sequence[UploadedFile] = (),
) -> Activity:
    checked = _check(
        team=team,
        target=target,
        method=method,
        group=group,
        date=date,
        title=title,
        record=record,
        participants=participants,
        documents=documents,
        households=households,
        attendees=attendees,
        place=place,
        others=others,
    )
    _check_file_count(0, len(files))
    prepared = prepare_files(files, method)
    activity = Activity.objects.create(team=team, created_by=actor, **checked.fields)
    checked.write_parts(activity)
    _store(activity, prepared)
    audit.record(
        actor=actor,
        event_type=AuditEventType.FIELDWORK_ACTIVITY_RECORDED,
        obj=activity,
        after=_after(activity),
    )
    if method.needs_approval:
        _ask_for_approval(activity)
    return activity


def _ask_for_approval(activity: Activity) -> None:
    """Tell the leader, the deputies and the office that a record waits for them."""
    from django.urls import reverse
    from django.utils.translation import gettext_noop

    from xuncha.core.lib.text import Text

    common.notify(
        common.leaders_and_office(activity.team),
        activity.team,
        Text(
            gettext_noop("%(method)s of %(date)s waits for your approval."),
            method=activity.method.name_zh,
            date=activity.date.isoformat(),
        ),
        url=reverse("fieldwork:activity", args=[activity.pk]),
    )


@transaction.atomic
def activity_update(
    *,
    actor: User,
    activity: Activity,
    target: Organisation | None,
    method: Method,
    date: dt.date,
    title: str,
    record: str,
    participants: Sequence[Person],
    group: str = "",
    place: str = "",
    others: str = "",
    attendees: int | None = None,
    documents: Sequence[dict[str, Any]] = (),
    households: Sequence[dict[str, Any]] = (),
    files: Sequence[UploadedFile] = (),
    remove_files: Sequence[ActivityFile] = (),
) -> Activity:
    """Replace the record, its register and households; add and remove files. A change to
    an approved covert visit needs approving again."""
    activity = (
        Activity.objects.select_for_update().select_related("team", "method").get(pk=activity.pk)
    )
    before = _after(activity)
    checked = _check(
        team=activity.team,
        target=target,
        method=method,
        group=group,
        date=date,
        title=title,
        record=record,
        participants=participants,
        documents=documents,
        households=households,
        attendees=attendees,
        place=place,
        others=others,
    )
    removing = [f for f in remove_files if f.activity_id == activity.pk]
    _check_file_count(activity.files.count() - len(removing), len(files))
    prepared = prepare_files(files, method)
    for name, value in checked.fields.items():
        setattr(activity, name, value)
    reapprove = method.needs_approval and activity.approved_at is not None
    if reapprove or not method.needs_approval:
        activity.approved_at = None
        activity.approved_by = None
    activity.save()
    activity.documents.all().delete()
    activity.households.all().delete()
    checked.write_parts(activity)
    stored_names = [item.file.name for item in removing if item.file]
    for item in removing:
        item.delete()
    transaction.on_commit(lambda: _delete_stored(stored_names))
    _store(activity, prepared)
    audit.record(
        actor=actor,
        event_type=AuditEventType.FIELDWORK_ACTIVITY_CHANGED,
        obj=activity,
        before=before,
        after=_after(activity),
    )
    if reapprove:
        _ask_for_approval(activity)
    return activity


def _delete_stored(names: Sequence[str]) -> None:
    """Remove the files of deleted attachments once the change is committed."""
    from django.core.files.storage import default_storage

    for name in names:
        default_storage.delete(name)


@transaction.atomic
def activity_approve(*, actor: User, activity: Activity) -> Activity:
    """The team leader, a deputy or the office approves a covert visit; it counts from now."""
    activity = Activity.objects.select_for_update().select_related("method").get(pk=activity.pk)
    if not activity.method.needs_approval:
        raise ValidationError(_("%(method)s need no approval.") % {"method": activity.method.name})
    if activity.approved_at is not None:
        raise ValidationError(_("This activity is already approved."))
    if not policy.allows(actor, permissions.FIELDWORK_LEAD, activity):
        raise ValidationError(_("Only the team leader, a deputy or the office may approve."))
    activity.approved_by = actor
    activity.approved_at = timezone.now()
    activity.save(update_fields=["approved_by", "approved_at"])
    audit.record(
        actor=actor,
        event_type=AuditEventType.FIELDWORK_ACTIVITY_APPROVED,
        obj=activity,
        after={"approved_by": actor.pk, "approved_at": activity.approved_at},
    )
    return activity


@transaction.atomic
def file_read(*, actor: User, file: ActivityFile) -> bytes:
    """An attachment's bytes; each read is audited."""
    with file.file.open("rb") as handle:
        data = handle.read()
    audit.record(
        actor=actor,
        event_type=AuditEventType.FIELDWORK_FILE_READ,
        obj=file,
        after={"activity": file.activity_id, "sha256": file.sha256},
    )
    return data


@transaction.atomic
def exported(*, actor: User, team: Team, what: str, count: int, filters: dict[str, str]) -> None:
    """A list of the team's fieldwork left the system as a spreadsheet."""
    common.audit_export(actor, team, extra={"list": what, "count": count, "filters": filters})


# -- the office's settings -------------------------------------------------------------------

METHOD_FIELDS = (
    "code",
    "number",
    "name_zh",
    "name_en",
    "min_participants",
    "needs_approval",
    "records_documents",
    "records_households",
    "records_results",
    "is_active",
    "order",
)


@transaction.atomic
def method_set(*, actor: User, method: Method | None, values: dict[str, Any]) -> Method:
    """Add a method or change one (the code of an existing method stays: counts and
    minimums refer to it)."""
    creating = method is None
    target = Method() if method is None else Method.objects.select_for_update().get(pk=method.pk)
    before = None if creating else audit.snapshot(target, METHOD_FIELDS)
    for name in METHOD_FIELDS:
        if name == "code" and not creating:
            continue
        if name in values:
            setattr(target, name, values[name])
    if not target.code:
        raise ValidationError(_("A method needs a code."))
    if not (target.name_zh or "").strip() or not (target.name_en or "").strip():
        raise ValidationError(_("A method needs its Chinese and English names."))
    if target.min_participants < 1:
        raise ValidationError(_("At least one team member takes part in any method."))
    if target.code == TALK_METHOD and target.min_participants < 2:
        raise ValidationError(_("Talks are two-to-one: at least 2 team members take part."))
    clash = Method.objects.filter(code=target.code).exclude(pk=target.pk)
    if clash.exists():
        raise ValidationError(
            _("Another method already has the code %(code)s.") % {"code": target.code}
        )
    target.save()
    audit.record(
        actor=actor,
        event_type=AuditEventType.FIELDWORK_SETTINGS_SET,
        obj=target,
        before=before,
        after=audit.snapshot(target, METHOD_FIELDS),
        extra={"setting": "method", "created": creating},
    )
    return target


@dataclass(frozen=True)
class MinimumInput:
    profile: str
    method: Method
    group: str
    minimum: int


def _minimum_row(committee: Organisation, item: MinimumInput, number: int) -> CoverageMinimum:
    where = _("Row %(n)d") % {"n": number}
    if item.profile not in Profile.values:
        raise ValidationError(_("%(where)s: choose the kind of target.") % {"where": where})
    if item.minimum < 0:
        raise ValidationError(_("%(where)s: the minimum cannot be negative.") % {"where": where})
    if item.group and item.group not in Group.values:
        raise ValidationError(_("%(where)s: unknown group.") % {"where": where})
    if item.group.startswith("visit_") and not item.method.records_households:
        raise ValidationError(
            _("%(where)s: %(method)s do not record households, so they have no visit groups.")
            % {"where": where, "method": item.method.name}
        )
    if item.group.startswith("talk_") and item.method.code != TALK_METHOD:
        raise ValidationError(
            _("%(where)s: talk groups belong to individual talks.") % {"where": where}
        )
    return CoverageMinimum(
        committee=committee,
        profile=item.profile,
        method=item.method,
        group=item.group,
        minimum=item.minimum,
    )


@transaction.atomic
def minimums_set(
    *, actor: User, committee: Organisation, rows: Sequence[MinimumInput]
) -> list[CoverageMinimum]:
    """Replace a committee's own minimums (its rounds, and those of committees below it
    without minimums of their own, then use these instead of the inherited ones). A minimum
    of 0 leaves the row out."""
    built: dict[tuple[str, int, str], CoverageMinimum] = {}
    for number, item in enumerate(rows, start=1):
        row = _minimum_row(committee, item, number)
        key = (row.profile, item.method.pk, row.group)
        if key in built:
            raise ValidationError(
                _("Row %(n)d repeats a method and group already given for these targets.")
                % {"n": number}
            )
        if row.minimum > 0:
            built[key] = row
    if not built:
        raise ValidationError(
            _(
                "Give at least one minimum, or go back to the minimums of the committee above "
                "instead."
            )
        )
    before = list(
        CoverageMinimum.objects.filter(committee=committee).values_list(
            "profile", "method__code", "group", "minimum"
        )
    )
    CoverageMinimum.objects.filter(committee=committee).delete()
    created = CoverageMinimum.objects.bulk_create(built.values())
    audit.record(
        actor=actor,
        event_type=AuditEventType.FIELDWORK_SETTINGS_SET,
        obj=committee,
        before={"minimums": [list(r) for r in before]},
        after={"minimums": [[r.profile, r.method.code, r.group, r.minimum] for r in created]},
        extra={"setting": "minimums"},
    )
    return created


@transaction.atomic
def minimums_inherit(*, actor: User, committee: Organisation) -> int:
    """Drop a committee's own minimums: those of the committee above (or the defaults)
    apply again."""
    rows = CoverageMinimum.objects.filter(committee=committee)
    before = list(rows.values_list("profile", "method__code", "group", "minimum"))
    if not before:
        raise ValidationError(_("This committee has no minimums of its own."))
    rows.delete()
    audit.record(
        actor=actor,
        event_type=AuditEventType.FIELDWORK_SETTINGS_SET,
        obj=committee,
        before={"minimums": [list(r) for r in before]},
        after={"minimums": "inherited"},
        extra={"setting": "minimums"},
    )
    return len(before)
