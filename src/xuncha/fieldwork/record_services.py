"""Writes of interview records (谈话记录), working papers (底稿) and the interference register
(说情打招呼登记); each one transaction with its audit event.

Views check who may do what first (``common.team_or_404`` / ``common.object_or_404``);
these functions check that the change makes sense (two different team members at a talk,
a paper's workflow, …) and raise ``ValidationError`` with a message for the user.

Audit rows carry ids, states and field names, never the content of a record, a paper or
an interference: the register is confidential and the log is read by auditors.

Working papers: draft → submitted → signed, or submitted → returned → submitted again.
Only a draft or a returned paper may be changed; a signed paper is final. The issue has
the leader sign off: the team leader signs, and so may the office (which oversees the team,
e.g. when the leader is away), but not the office member who wrote the paper. Deputies
review (``FIELDWORK_LEAD``): they may return a paper with a reason, not sign it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from xuncha.core import audit
from xuncha.core.lib.text import Text, gettext_noop
from xuncha.core.models import AuditEventType as E
from xuncha.core.models import Organisation, Person, Post, User
from xuncha.fieldwork import common, permissions, uploads
from xuncha.fieldwork.lib import interviewees as lib_interviewees
from xuncha.fieldwork.models import (
    Activity,
    Interference,
    Interviewee,
    InterviewRecord,
    Talk,
    WorkingPaper,
)
from xuncha.rounds.models import Team

MAX_SCAN_BYTES = 20 * 1024 * 1024

# The formats a signed scan may have, by its content (the name and the browser's word are
# not trusted).
SCAN_KINDS = ("pdf", "jpeg", "png")

RECORD_FIELDS = (
    "interviewee_name",
    "interviewee_post",
    "held_at",
    "place",
    "asker",
    "recorder",
    "questions",
    "summary",
    "new_leads",
)


# -- scans ----------------------------------------------------------------------------------


def sniff(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a scan from its first bytes; None if not allowed."""
    kind = uploads.sniff(head, allowed=SCAN_KINDS)
    return None if kind is None else (kind.content_type, kind.extensions[0].lstrip("."))


def scan_type(record: InterviewRecord) -> str:
    """The stored scan's content type (by its extension, set from the sniffed content)."""
    extension = record.scan.name.rsplit(".", 1)[-1] if record.scan else ""
    return uploads.content_type(extension, SCAN_KINDS)


@dataclass(frozen=True)
class _Scan:
    upload: UploadedFile
    extension: str
    sha256: str
    name: str


def _check_scan(upload: UploadedFile) -> _Scan:
    if uploads.too_large(upload, MAX_SCAN_BYTES):
        raise ValidationError({"scan": _("The signed scan is larger than 20 MB.")})
    upload.seek(0)
    head = upload.read(uploads.HEAD_BYTES)
    found = sniff(head)
    if found is None:
        raise ValidationError(
            {"scan": _("The signed scan must be a PDF, JPEG or PNG file (by its content).")}
        )
    name = (upload.name or "scan").rsplit("/", 1)[-1][-200:]
    return _Scan(upload=upload, extension=found[1], sha256=uploads.sha256(upload), name=name)


def _store_scan(record: InterviewRecord, scan: _Scan) -> None:
    # A random file name: the interviewee's name stays out of the file system.
    record.scan.save(f"{uuid.uuid4().hex}.{scan.extension}", scan.upload, save=False)
    record.scan_name = scan.name
    record.scan_sha256 = scan.sha256


# -- interview records ----------------------------------------------------------------------


def _clean_questions(questions: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """The questions asked, with answers; a question left unanswered was not asked."""
    out = []
    for item in questions:
        question = str(item.get("question") or "").strip()
        answer = str(item.get("answer") or "").strip()
        if not question or not answer:
            continue
        out.append({"key": str(item.get("key") or ""), "question": question, "answer": answer})
    return out


def _record_content(
    *,
    interviewee_name: str,
    interviewee_post: str,
    held_at: dt.datetime,
    place: str,
    asker: Person,
    recorder: Person,
    questions: Sequence[dict[str, Any]],
    summary: str,
    new_leads: str,
) -> dict[str, Any]:
    """The record's own fields, cleaned, as a record's attributes."""
    return {
        "interviewee_name": interviewee_name.strip(),
        "interviewee_post": interviewee_post.strip(),
        "held_at": held_at,
        "place": place.strip(),
        "asker": asker,
        "recorder": recorder,
        "questions": _clean_questions(questions),
        "summary": summary.strip(),
        "new_leads": new_leads.strip(),
    }


def _check_record(team: Team, content: dict[str, Any]) -> None:
    asker: Person = content["asker"]
    recorder: Person = content["recorder"]
    held_at: dt.datetime = content["held_at"]
    place: str = content["place"]
    interviewee_name: str = content["interviewee_name"]
    errors: dict[str, list[str]] = defaultdict(list)
    members = common.member_ids(team)
    if asker.pk not in members:
        errors["asker"].append(_("The person who asked is not a member of this team."))
    if recorder.pk not in members:
        errors["recorder"].append(_("The person who recorded is not a member of this team."))
    if asker.pk == recorder.pk:
        errors["recorder"].append(_("A talk is two-to-one: one team member asks, another records."))
    if held_at > timezone.now():
        errors["held_at"].append(_("The talk cannot have been held in the future."))
    if not place.strip():
        errors["place"].append(_("Say where the talk was held."))
    if not interviewee_name.strip():
        errors["interviewee_name"].append(_("Say who was interviewed."))
    if errors:
        raise ValidationError(dict(errors))


@transaction.atomic
def record_create(
    *,
    actor: User,
    team: Team,
    talk: Talk | None = None,
    interviewee: Interviewee | None = None,
    interviewee_name: str,
    interviewee_post: str = "",
    held_at: dt.datetime,
    place: str,
    asker: Person,
    recorder: Person,
    questions: Sequence[dict[str, Any]] = (),
    summary: str = "",
    new_leads: str = "",
    scan: UploadedFile | None = None,
) -> InterviewRecord:
    """Write the record of a talk; a talk it is written for is then held, and so is the
    interviewee's talk on the list."""
    if talk is not None:
        talk = Talk.objects.select_for_update().get(pk=talk.pk)
        if talk.team_id != team.pk:
            raise ValidationError({"talk": _("The talk belongs to another team.")})
        if InterviewRecord.objects.filter(talk=talk).exists():
            raise ValidationError({"talk": _("This talk already has a record.")})
        if talk.state == Talk.State.CANCELLED:
            raise ValidationError({"talk": _("The talk was cancelled.")})
        if interviewee is None:
            interviewee = talk.interviewee
        elif interviewee.pk != talk.interviewee_id:
            raise ValidationError(
                {"interviewee": _("The talk was planned with another interviewee.")}
            )
    if interviewee is not None and interviewee.team_id != team.pk:
        raise ValidationError({"interviewee": _("The interviewee is on another team's list.")})
    content = _record_content(
        interviewee_name=interviewee_name,
        interviewee_post=interviewee_post,
        held_at=held_at,
        place=place,
        asker=asker,
        recorder=recorder,
        questions=questions,
        summary=summary,
        new_leads=new_leads,
    )
    _check_record(team, content)
    checked = _check_scan(scan) if scan is not None else None
    record = InterviewRecord(
        team=team, talk=talk, interviewee=interviewee, created_by=actor, **content
    )
    if checked is not None:
        _store_scan(record, checked)
    record.save()
    if talk is not None and talk.state != Talk.State.HELD:
        talk.state = Talk.State.HELD
        talk.save(update_fields=["state", "updated_at"])
    if interviewee is not None and interviewee.status != Interviewee.Status.HELD:
        Interviewee.objects.filter(pk=interviewee.pk).update(status=Interviewee.Status.HELD)
        interviewee.status = Interviewee.Status.HELD
    audit.record(
        actor=actor,
        event_type=E.FIELDWORK_RECORD_CREATED,
        obj=record,
        object_repr=f"#{record.pk}",
        after={
            "team": team.pk,
            "talk": talk.pk if talk else None,
            "interviewee": interviewee.pk if interviewee else None,
            "held_at": record.held_at,
            "asker": asker.pk,
            "recorder": recorder.pk,
            "questions": len(record.questions),
            "scan_sha256": record.scan_sha256,
        },
    )
    return record


@transaction.atomic
def record_update(
    *,
    actor: User,
    record: InterviewRecord,
    interviewee_name: str,
    interviewee_post: str = "",
    held_at: dt.datetime,
    place: str,
    asker: Person,
    recorder: Person,
    questions: Sequence[dict[str, Any]] = (),
    summary: str = "",
    new_leads: str = "",
    scan: UploadedFile | None = None,
) -> InterviewRecord:
    """Change a record (a new scan replaces the old one; without one the old one stays)."""
    record = InterviewRecord.objects.select_for_update().get(pk=record.pk)
    content = _record_content(
        interviewee_name=interviewee_name,
        interviewee_post=interviewee_post,
        held_at=held_at,
        place=place,
        asker=asker,
        recorder=recorder,
        questions=questions,
        summary=summary,
        new_leads=new_leads,
    )
    _check_record(record.team, content)
    checked = _check_scan(scan) if scan is not None else None
    before = audit.snapshot(record, RECORD_FIELDS)
    old_sha = record.scan_sha256
    for name, value in content.items():
        setattr(record, name, value)
    old_file = record.scan.name if record.scan else ""
    if checked is not None:
        _store_scan(record, checked)
    record.save()
    after = audit.snapshot(record, RECORD_FIELDS)
    changed = sorted(k for k in RECORD_FIELDS if before[k] != after[k])
    if checked is not None and checked.sha256 != old_sha:
        changed.append("scan")
    if old_file and checked is not None:
        # The replaced scan goes once the change is committed.
        storage = record.scan.storage
        transaction.on_commit(lambda: storage.delete(old_file))
    audit.record(
        actor=actor,
        event_type=E.FIELDWORK_RECORD_CHANGED,
        obj=record,
        object_repr=f"#{record.pk}",
        before={"asker": before["asker"], "recorder": before["recorder"], "scan_sha256": old_sha},
        after={
            "changed": changed,
            "asker": asker.pk,
            "recorder": recorder.pk,
            "scan_sha256": record.scan_sha256,
        },
    )
    return record


@transaction.atomic
def record_read(*, actor: User, record: InterviewRecord, scan: bool = False) -> None:
    """Every reading of a record (its page, its scan) is in the audit log."""
    audit.record(
        actor=actor,
        event_type=E.FIELDWORK_RECORD_READ,
        obj=record,
        object_repr=f"#{record.pk}",
        extra={"scan": scan},
    )


def _record_text(record: InterviewRecord) -> str:
    answers = [str(q.get("answer") or "") for q in record.questions or []]
    return "\n".join([record.summary, *answers, record.new_leads])


def _registry_people(team: Team) -> dict[str, list[tuple[Person, Organisation]]]:
    """Names of the people with posts at or under the team's targets, with the target."""
    targets = list(team.targets.all())
    found: dict[str, list[tuple[Person, Organisation]]] = defaultdict(list)
    if not targets:
        return found
    q = models.Q(pk__in=[])
    for target in targets:
        q |= models.Q(organisation__path__startswith=target.path)
    posts = Post.objects.filter(q).select_related("person", "organisation").order_by("id")
    seen: set[int] = set()
    for post in posts:
        if post.person_id in seen:
            continue
        seen.add(post.person_id)
        target = max(
            (t for t in targets if post.organisation.path.startswith(t.path)),
            key=lambda t: len(t.path),
        )
        found[post.person.name.strip()].append((post.person, target))
    return found


def suggestions(record: InterviewRecord) -> list[lib_interviewees.Suggestion]:
    """People of the targets named in the record who are not on the team's list yet."""
    known = Interviewee.objects.filter(team=record.team_id).values_list("name", flat=True)
    people = _registry_people(record.team)
    return lib_interviewees.suggest_from_record(_record_text(record), list(known), list(people))


def record_suggestion_add(*, actor: User, record: InterviewRecord, name: str) -> Interviewee:
    """Put a person the record names on the list (with the sentence that names them).

    Another area's service writes the interviewee (and its audit event)."""
    from xuncha.fieldwork import planning_services

    found = {s.name: s for s in suggestions(record)}
    suggestion = found.get(name.strip())
    if suggestion is None:
        raise ValidationError(
            _("%(name)s is not among the people this record suggests.") % {"name": name}
        )
    people = _registry_people(record.team).get(suggestion.name, [])
    # Two people of the same name: the team picks the right one on the list.
    person, target = people[0] if len(people) == 1 else (None, None)
    if target is None:
        target = people[0][1] if people else record.team.targets.order_by("pk").first()
    if target is None:
        raise ValidationError(_("The team has no target to add the person to."))
    result: Interviewee = planning_services.add_interviewee(
        actor=actor,
        team=record.team,
        target=target,
        person=person,
        name=suggestion.name,
        source=Interviewee.Source.SUGGESTED,
        reasons=(suggestion.reason,),
    )
    return result


@transaction.atomic
def record_evidence_add(
    *, actor: User, record: InterviewRecord, problem: Any, excerpt: str = ""
) -> Any:
    """Link the record to an open problem or clue of the team's round (``clues.Record``)."""
    from xuncha.clues import services as clue_services

    if problem.round_id != record.team.round_id:
        raise ValidationError({"problem": _("The problem or clue belongs to another round.")})
    if problem.team_id not in (None, record.team_id):
        raise ValidationError({"problem": _("The problem or clue belongs to another team.")})
    return clue_services.evidence_add(actor=actor, record=problem, obj=record, excerpt=excerpt)


@transaction.atomic
def record_clue_create(*, actor: User, record: InterviewRecord, kind: str, title: str) -> Any:
    """A new matter told in a talk becomes a problem or clue of the round (source:
    interview) with the record as its evidence; the outlines of talks not yet held follow
    it (``outline_updates``). The description quotes the new leads, as a transfer carries
    talk excerpts; the record itself stays with the team."""
    from xuncha.clues import permissions as clue_permissions
    from xuncha.clues import services as clue_services

    team = record.team
    target = record.interviewee.target if record.interviewee is not None else None
    if target is None:
        target = team.targets.order_by("pk").first()
    if target is None:
        raise ValidationError(_("The team has no target to record the matter at."))
    if not clue_permissions.may_record(actor, team.round, target):
        raise PermissionDenied
    leads = record.new_leads.strip() or record.summary.strip()
    if not leads:
        raise ValidationError(_("The record names no new lead to record."))
    if not title.strip():
        raise ValidationError({"title": _("Give the problem or clue a short title.")})
    held = timezone.localtime(record.held_at)
    description = _("From the interview record of %(date)s: %(leads)s") % {
        "date": held.strftime("%Y-%m-%d"),
        "leads": leads,
    }
    clue = clue_services.record_create(
        actor=actor,
        round_=team.round,
        team=team,
        target=target,
        kind=kind,
        title=title,
        description=description,
        source="interview",
    )
    clue_services.evidence_add(actor=actor, record=clue, obj=record)
    return clue


# -- working papers -------------------------------------------------------------------------

EDITABLE = (WorkingPaper.Status.DRAFT, WorkingPaper.Status.RETURNED)
_SUBMITTED = (WorkingPaper.Status.SUBMITTED,)


def _check_paper(
    *,
    team: Team,
    target: Organisation,
    problem: Any,
    title: str,
    facts: str,
    activities: Sequence[Activity],
    records: Sequence[InterviewRecord],
) -> None:
    errors: dict[str, list[str]] = defaultdict(list)
    if not team.targets.filter(pk=target.pk).exists():
        errors["target"].append(_("The team does not inspect this target."))
    if problem is not None:
        if problem.round_id != team.round_id:
            errors["problem"].append(_("The problem belongs to another round."))
        elif problem.target_id != target.pk:
            errors["problem"].append(_("The problem concerns another target."))
    if not title.strip():
        errors["title"].append(_("Give the paper a title."))
    if not facts.strip():
        errors["facts"].append(_("Write the statement of fact."))
    if any(a.team_id != team.pk for a in activities):
        errors["activities"].append(_("An activity of another team cannot be cited."))
    if any(r.team_id != team.pk for r in records):
        errors["records"].append(_("An interview record of another team cannot be cited."))
    if errors:
        raise ValidationError(dict(errors))


def _write_paper(
    paper: WorkingPaper,
    *,
    target: Organisation,
    problem: Any,
    title: str,
    facts: str,
    activities: Sequence[Activity],
    records: Sequence[InterviewRecord],
    other_evidence: str,
) -> None:
    """Check and save the paper's content and the evidence it cites."""
    _check_paper(
        team=paper.team,
        target=target,
        problem=problem,
        title=title,
        facts=facts,
        activities=activities,
        records=records,
    )
    paper.target = target
    paper.problem = problem
    paper.title = title.strip()
    paper.facts = facts.strip()
    paper.other_evidence = other_evidence.strip()
    paper.save()
    paper.activities.set(activities)
    paper.records.set(records)


def _audit_paper(actor: User, paper: WorkingPaper, event_type: E, after: dict[str, Any]) -> None:
    audit.record(
        actor=actor, event_type=event_type, obj=paper, object_repr=f"#{paper.pk}", after=after
    )


def _paper_after(paper: WorkingPaper, action: str) -> dict[str, Any]:
    return {
        "action": action,
        "status": paper.status,
        "target": paper.target_id,
        "problem": paper.problem_id,
        "activities": sorted(paper.activities.values_list("pk", flat=True)),
        "records": sorted(paper.records.values_list("pk", flat=True)),
    }


@transaction.atomic
def paper_create(
    *,
    actor: User,
    team: Team,
    target: Organisation,
    problem: Any = None,
    title: str,
    facts: str,
    activities: Sequence[Activity] = (),
    records: Sequence[InterviewRecord] = (),
    other_evidence: str = "",
) -> WorkingPaper:
    paper = WorkingPaper(team=team, created_by=actor)
    _write_paper(
        paper,
        target=target,
        problem=problem,
        title=title,
        facts=facts,
        activities=activities,
        records=records,
        other_evidence=other_evidence,
    )
    _audit_paper(actor, paper, E.FIELDWORK_PAPER_SET, _paper_after(paper, "created"))
    return paper


def _locked_paper(paper: WorkingPaper) -> WorkingPaper:
    return WorkingPaper.objects.select_for_update().select_related("team__round").get(pk=paper.pk)


def _require_status(paper: WorkingPaper, allowed: Iterable[str], message: str) -> None:
    """Refuse a step the paper's status does not allow (``message`` names the status)."""
    if paper.status not in allowed:
        raise ValidationError(message % {"status": paper.get_status_display()})


@transaction.atomic
def paper_update(
    *,
    actor: User,
    paper: WorkingPaper,
    target: Organisation,
    problem: Any = None,
    title: str,
    facts: str,
    activities: Sequence[Activity] = (),
    records: Sequence[InterviewRecord] = (),
    other_evidence: str = "",
) -> WorkingPaper:
    paper = _locked_paper(paper)
    _require_status(
        paper,
        EDITABLE,
        _("Only a draft or a returned paper can be changed; this one is %(status)s."),
    )
    _write_paper(
        paper,
        target=target,
        problem=problem,
        title=title,
        facts=facts,
        activities=activities,
        records=records,
        other_evidence=other_evidence,
    )
    _audit_paper(actor, paper, E.FIELDWORK_PAPER_SET, _paper_after(paper, "changed"))
    return paper


def _paper_url(paper: WorkingPaper) -> str:
    return reverse("fieldwork:paper", args=[paper.pk])


@transaction.atomic
def paper_submit(*, actor: User, paper: WorkingPaper) -> WorkingPaper:
    """Ask for sign-off; the leader and the deputies hear of it."""
    paper = _locked_paper(paper)
    _require_status(
        paper,
        EDITABLE,
        _("Only a draft or a returned paper can be submitted; this one is %(status)s."),
    )
    paper.status = WorkingPaper.Status.SUBMITTED
    paper.save(update_fields=["status", "updated_at"])
    leading = [s.user for s in common.seats(paper.team) if s.leading and s.user and s.user != actor]
    common.notify(
        leading,
        paper.team,
        Text(
            gettext_noop("Working paper #%(number)s was submitted for sign-off in %(team)s."),
            number=paper.pk,
            team=paper.team.name,
        ),
        url=_paper_url(paper),
    )
    _audit_paper(
        actor, paper, E.FIELDWORK_PAPER_SET, {"action": "submitted", "status": paper.status}
    )
    return paper


def _require_lead(actor: User, paper: WorkingPaper) -> None:
    if not permissions.may_lead(actor, paper.team):
        raise PermissionDenied


def may_sign(actor: User, paper: WorkingPaper) -> bool:
    """The team leader signs; the office too, unless it wrote the paper (see the module's
    docstring); the policy (``FIELDWORK_LEAD``) is checked first."""
    roles = {s.role for s in common.seats(paper.team) if s.user == actor}
    if roles:
        return "leader" in roles
    return paper.created_by_id != actor.pk


@transaction.atomic
def paper_sign(*, actor: User, paper: WorkingPaper) -> WorkingPaper:
    paper = _locked_paper(paper)
    _require_lead(actor, paper)
    _require_status(
        paper,
        _SUBMITTED,
        _("Only a submitted paper can be signed off; this one is %(status)s."),
    )
    if not may_sign(actor, paper):
        raise ValidationError(
            _(
                "The team leader signs working papers off (or the office, for a paper it "
                "did not write)."
            )
        )
    paper.status = WorkingPaper.Status.SIGNED
    paper.signed_by = actor
    paper.signed_at = timezone.now()
    paper.return_reason = ""
    paper.save(update_fields=["status", "signed_by", "signed_at", "return_reason", "updated_at"])
    _audit_paper(
        actor,
        paper,
        E.FIELDWORK_PAPER_SIGNED,
        {"status": paper.status, "signed_at": paper.signed_at},
    )
    return paper


@transaction.atomic
def paper_return(*, actor: User, paper: WorkingPaper, reason: str) -> WorkingPaper:
    paper = _locked_paper(paper)
    _require_lead(actor, paper)
    _require_status(
        paper, _SUBMITTED, _("Only a submitted paper can be returned; this one is %(status)s.")
    )
    if not reason.strip():
        raise ValidationError({"reason": _("Say what needs to change.")})
    paper.status = WorkingPaper.Status.RETURNED
    paper.return_reason = reason.strip()[:500]
    paper.save(update_fields=["status", "return_reason", "updated_at"])
    if paper.created_by != actor:
        common.notify(
            [paper.created_by],
            paper.team,
            Text(
                gettext_noop("Working paper #%(number)s was returned for changes."),
                number=paper.pk,
            ),
            url=_paper_url(paper),
        )
    _audit_paper(actor, paper, E.FIELDWORK_PAPER_RETURNED, {"status": paper.status})
    return paper


@dataclass(frozen=True)
class ReportGroup:
    target: Organisation
    papers: list[WorkingPaper]


def papers_report(team: Team) -> list[ReportGroup]:
    """The team's list of problems for the report: signed-off papers by target."""
    papers = (
        WorkingPaper.objects.filter(team=team, status=WorkingPaper.Status.SIGNED)
        .select_related("target", "problem", "signed_by__person")
        .order_by("target__path", "signed_at", "pk")
    )
    groups: dict[int, ReportGroup] = {}
    for paper in papers:
        groups.setdefault(paper.target_id, ReportGroup(paper.target, [])).papers.append(paper)
    return list(groups.values())


@transaction.atomic
def exported(*, actor: User, team: Team, what: str, fmt: str, count: int) -> None:
    common.audit_export(actor, team, extra={"what": what, "format": fmt, "count": count})


# -- interference ---------------------------------------------------------------------------


@transaction.atomic
def interference_record(
    *,
    actor: User,
    team: Team,
    who: str,
    who_post: str = "",
    for_whom: str,
    how: str,
    occurred_at: dt.datetime,
    what: str,
    response: str = "",
) -> Interference:
    """Register an attempt to lobby or intercede; the leader, deputies and office hear of
    it (the notice says where to look, not what was said)."""
    errors: dict[str, list[str]] = defaultdict(list)
    if not who.strip():
        errors["who"].append(_("Say who interceded."))
    if not for_whom.strip():
        errors["for_whom"].append(_("Say for whom."))
    if how not in Interference.How.values:
        errors["how"].append(_("Choose how the attempt was made."))
    if occurred_at > timezone.now():
        errors["occurred_at"].append(_("The attempt cannot lie in the future."))
    if not what.strip():
        errors["what"].append(_("Say what was asked."))
    if errors:
        raise ValidationError(dict(errors))
    item = Interference.objects.create(
        team=team,
        who=who.strip(),
        who_post=who_post.strip(),
        for_whom=for_whom.strip(),
        how=how,
        occurred_at=occurred_at,
        what=what.strip(),
        response=response.strip(),
        recorded_by=actor,
    )
    told = [u for u in common.leaders_and_office(team) if u.pk != actor.pk]
    common.notify(
        told,
        team,
        Text(
            gettext_noop("Interference recorded in %(team)s on %(date)s: see the register."),
            team=team.name,
            date=timezone.localdate(item.recorded_at).isoformat(),
        ),
        url=reverse("fieldwork:interference", args=[team.pk]),
    )
    audit.record(
        actor=actor,
        event_type=E.FIELDWORK_INTERFERENCE,
        obj=item,
        object_repr=f"#{item.pk}",
        after={"team": team.pk, "how": how, "occurred_at": occurred_at, "notified": len(told)},
    )
    return item


@transaction.atomic
def interference_acknowledge(*, actor: User, item: Interference) -> Interference:
    item = Interference.objects.select_for_update().select_related("team").get(pk=item.pk)
    if not permissions.may_lead(actor, item.team):
        raise PermissionDenied
    if item.acknowledged_at is not None:
        raise ValidationError(_("This entry was acknowledged already."))
    item.acknowledged_by = actor
    item.acknowledged_at = timezone.now()
    item.save(update_fields=["acknowledged_by", "acknowledged_at"])
    audit.record(
        actor=actor,
        event_type=E.FIELDWORK_INTERFERENCE_SEEN,
        obj=item,
        object_repr=f"#{item.pk}",
        after={"acknowledged_at": item.acknowledged_at},
    )
    return item
