"""State changes of terms, rounds, teams and stages; each one transaction with its audit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from xuncha.core import audit, i18n
from xuncha.core.models import AuditEventType, Organisation, User
from xuncha.rounds import gates
from xuncha.rounds.lib.calendar import DayOverride, StageSpec, WorkCalendar, schedule
from xuncha.rounds.models import (
    CommitteeTerm,
    CoveragePriority,
    FocusArea,
    HolidayOverride,
    Milestone,
    Round,
    RoundKind,
    RoundStage,
    Stage,
    StageDuration,
    StageTransition,
    Team,
)

ROUND_FIELDS = (
    "name",
    "kind",
    "subject",
    "escalated",
    "cross",
    "extended",
    "lookback_of",
    "committee",
    "term",
    "stage",
)
# The stages that carry planned dates (closed is an end state, not a period).
SCHEDULED_STAGES = [s for s in Stage.values if s != Stage.CLOSED]


class GateRefused(Exception):
    """The next stage needs things that are not there yet; ``missing`` says which."""

    def __init__(self, missing: list[gates.Missing]) -> None:
        self.missing = missing
        super().__init__("; ".join(m.message for m in missing))


def work_calendar() -> WorkCalendar:
    overrides = [DayOverride(h.day, h.is_workday, h.name) for h in HolidayOverride.objects.all()]
    return WorkCalendar(overrides)


def stage_specs(kind: str) -> list[StageSpec]:
    lengths = {d.stage: d for d in StageDuration.objects.filter(kind=kind)}
    specs = []
    for stage in SCHEDULED_STAGES:
        duration = lengths.get(stage)
        if duration is None:
            raise ValidationError(
                _("No default duration is configured for stage %(stage)s of %(kind)s rounds.")
                % {"stage": Stage(stage).label, "kind": RoundKind(kind).label}
            )
        specs.append(StageSpec(stage, duration.length, duration.unit))  # type: ignore[arg-type]
    return specs


@transaction.atomic
def term_create(
    *,
    actor: User | None,
    committee: Organisation,
    name: str,
    start_date: dt.date,
    end_date: dt.date,
    rounds_per_year: int = 3,
    teams_per_round: int = 4,
    team_capacity: Decimal | float = 3,
) -> CommitteeTerm:
    if end_date <= start_date:
        raise ValidationError({"end_date": _("A term must end after it starts.")})
    term = CommitteeTerm.objects.create(
        committee=committee,
        name=name,
        start_date=start_date,
        end_date=end_date,
        rounds_per_year=rounds_per_year,
        teams_per_round=teams_per_round,
        team_capacity=Decimal(str(team_capacity)),
    )
    audit.record(
        actor=actor,
        event_type=AuditEventType.TERM_CREATED,
        obj=term,
        after=audit.snapshot(
            term,
            [
                "committee",
                "name",
                "start_date",
                "end_date",
                "rounds_per_year",
                "teams_per_round",
                "team_capacity",
            ],
        ),
    )
    return term


@transaction.atomic
def priority_set(
    *, actor: User, term: CommitteeTerm, organisation: Organisation, weight: Decimal, note: str = ""
) -> CoveragePriority:
    priority, _created = CoveragePriority.objects.update_or_create(
        term=term, organisation=organisation, defaults={"weight": weight, "note": note}
    )
    audit.record(
        actor=actor,
        event_type=AuditEventType.PRIORITY_SET,
        obj=term,
        extra={"organisation": organisation.pk, "weight": str(weight), "note": note},
    )
    return priority


@transaction.atomic
def round_create(
    *,
    actor: User | None,
    committee: Organisation,
    name: str,
    kind: str,
    start_date: dt.date,
    term: CommitteeTerm | None = None,
    subject: str = "",
    escalated: bool = False,
    cross: bool = False,
    extended: bool = False,
    lookback_of: Round | None = None,
    focus_areas: Iterable[FocusArea] = (),
    teams: Sequence[tuple[str, Sequence[Organisation]]] = (),
) -> Round:
    """Create a round with its planned stage dates (working-day calendar) and teams."""
    if kind == RoundKind.THEMATIC and not subject.strip():
        raise ValidationError({"subject": _("A thematic round must have a subject.")})
    if kind == RoundKind.LOOKBACK and lookback_of is None:
        raise ValidationError({"lookback_of": _("A look-back round must name the earlier round.")})
    round_ = Round.objects.create(
        committee=committee,
        term=term,
        name=name,
        kind=kind,
        subject=subject.strip(),
        escalated=escalated,
        cross=cross,
        extended=extended,
        lookback_of=lookback_of,
    )
    round_.focus_areas.set(list(focus_areas))
    dates = schedule(start_date, stage_specs(kind), work_calendar())
    RoundStage.objects.bulk_create(
        [RoundStage(round=round_, stage=d.stage, start_date=d.start, end_date=d.end) for d in dates]
    )
    audit.record(
        actor=actor,
        event_type=AuditEventType.ROUND_CREATED,
        obj=round_,
        after={
            **audit.snapshot(round_, ROUND_FIELDS),
            "stages": {d.stage: [d.start.isoformat(), d.end.isoformat()] for d in dates},
        },
    )
    for team_name, targets in teams:
        team_create(actor=actor, round_=round_, name=team_name, targets=targets)
    return round_


@transaction.atomic
def team_create(
    *, actor: User | None, round_: Round, name: str, targets: Sequence[Organisation]
) -> Team:
    outside = [t.name for t in targets if not t.path.startswith(round_.committee.path)]
    if outside:
        raise ValidationError(
            _("These targets are not under the round's committee: %(names)s")
            % {"names": "、".join(outside)}
        )
    # A unit is inspected by one team of a round: a second team there would be staffed,
    # rostered and reported twice.
    taken = (
        Team.objects.filter(round=round_, targets__in=list(targets))
        .values_list("name", "targets__name")
        .order_by("pk", "targets__pk")
    )
    if taken:
        raise ValidationError(
            {
                "targets": _("Already inspected by another team of this round: %(pairs)s")
                % {
                    "pairs": i18n.enumeration(
                        _("%(target)s (%(team)s)") % {"target": target, "team": team}
                        for team, target in taken
                    )
                }
            }
        )
    team = Team.objects.create(round=round_, name=name)
    team.targets.set(list(targets))
    audit.record(
        actor=actor,
        event_type=AuditEventType.TEAM_CREATED,
        obj=team,
        after={"round": round_.pk, "name": name, "targets": [t.pk for t in targets]},
    )
    return team


@transaction.atomic
def milestone_record(
    *,
    actor: User | None,
    round_: Round,
    kind: str,
    date: dt.date,
    team: Team | None = None,
    note: str = "",
) -> Milestone:
    if team is not None and team.round_id != round_.pk:
        raise ValidationError(_("The team does not belong to this round."))
    milestone = Milestone.objects.create(
        round=round_, team=team, kind=kind, date=date, note=note, recorded_by=actor
    )
    audit.record(
        actor=actor,
        event_type=AuditEventType.MILESTONE_RECORDED,
        obj=round_,
        extra={
            "kind": kind,
            "team": team.pk if team else None,
            "date": date.isoformat(),
            "note": note,
        },
    )
    return milestone


def team_gates(teams: Sequence[Team]) -> dict[int, tuple[str | None, list[gates.Missing]]]:
    """The next stage of each team and what it still needs, by team pk.

    The one computation behind both the advance (``team_advance``) and the round page's
    team cards, so a card never says "ready" for a move the advance refuses: the
    milestones (round-wide ones count for every team), the targets, and the checks other
    apps add (fieldwork's method coverage before the report stage). Three queries for any
    number of teams, plus what those checks need.
    """
    ids = [t.pk for t in teams]
    round_kinds: dict[int, list[str]] = {}
    for round_id, kind in Milestone.objects.filter(
        round__in={t.round_id for t in teams}, team__isnull=True
    ).values_list("round_id", "kind"):
        round_kinds.setdefault(round_id, []).append(kind)
    team_kinds: dict[int, list[str]] = {}
    for team_id, kind in Milestone.objects.filter(team__in=ids).values_list("team_id", "kind"):
        team_kinds.setdefault(team_id, []).append(kind)
    target_counts: dict[int, int] = dict(
        Team.objects.filter(pk__in=ids).annotate(n=Count("targets")).values_list("pk", "n")
    )
    result: dict[int, tuple[str | None, list[gates.Missing]]] = {}
    for team in teams:
        to_stage = gates.next_stage(team.stage)
        if to_stage is None:
            result[team.pk] = (None, [])
            continue
        missing = gates.missing_for_team(
            to_stage,
            round_kinds.get(team.round_id, []) + team_kinds.get(team.pk, []),
            target_counts.get(team.pk, 0),
        )
        result[team.pk] = (to_stage, missing + gates.extra_for_team(team, to_stage))
    return result


def team_gate(team: Team) -> tuple[str | None, list[gates.Missing]]:
    """The next stage of a team and what it still needs."""
    return team_gates([team])[team.pk]


def round_gate(round_: Round) -> tuple[str | None, list[gates.Missing]]:
    to_stage = gates.next_stage(round_.stage)
    if to_stage is None:
        return None, []
    milestones = Milestone.objects.filter(round=round_, team__isnull=True)
    return to_stage, gates.missing_for_round(
        to_stage,
        milestones.values_list("kind", flat=True),
        dict(round_.teams.order_by("pk").values_list("name", "stage")),
    )


def _advance(
    actor: User,
    round_: Round,
    team: Team | None,
    to_stage: str,
    missing: list[gates.Missing],
    override_reason: str,
) -> StageTransition:
    subject: Any = team if team is not None else round_
    if missing and not override_reason.strip():
        raise GateRefused(missing)
    from_stage = subject.stage
    subject.stage = to_stage
    subject.save(update_fields=["stage"])
    transition = StageTransition.objects.create(
        round=round_,
        team=team,
        from_stage=from_stage,
        to_stage=to_stage,
        overridden=bool(missing),
        missing=[m.code for m in missing],
        reason=override_reason.strip(),
        actor=actor,
    )
    audit.record(
        actor=actor,
        event_type=AuditEventType.STAGE_OVERRIDDEN if missing else AuditEventType.STAGE_ADVANCED,
        obj=subject,
        before={"stage": from_stage},
        after={"stage": to_stage},
        extra={"missing": [m.code for m in missing], "reason": override_reason.strip()},
    )
    return transition


@transaction.atomic
def team_advance(*, actor: User, team: Team, override_reason: str = "") -> StageTransition:
    team = Team.objects.select_for_update().select_related("round").get(pk=team.pk)
    to_stage, missing = team_gate(team)
    if to_stage is None:
        raise ValidationError(_("The team's work is closed."))
    return _advance(actor, team.round, team, to_stage, missing, override_reason)


@transaction.atomic
def round_advance(*, actor: User, round_: Round, override_reason: str = "") -> StageTransition:
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    to_stage, missing = round_gate(round_)
    if to_stage is None:
        raise ValidationError(_("The round is closed."))
    return _advance(actor, round_, None, to_stage, missing, override_reason)


@transaction.atomic
def holiday_set(*, actor: User, day: dt.date, is_workday: bool, name: str) -> HolidayOverride:
    holiday, _created = HolidayOverride.objects.update_or_create(
        day=day, defaults={"is_workday": is_workday, "name": name}
    )
    audit.record(
        actor=actor,
        event_type=AuditEventType.HOLIDAY_SET,
        obj=holiday,
        after={"day": day.isoformat(), "is_workday": is_workday, "name": name},
    )
    return holiday


# --- briefings -----------------------------------------------------------------------------


@transaction.atomic
def briefing_request(
    *,
    actor: User | None,
    round_: Round,
    target: Organisation,
    department: Organisation,
    due_date: dt.date,
) -> Any:
    from xuncha.rounds.models import BriefingRequest

    if not Team.objects.filter(round=round_, targets=target).exists():
        raise ValidationError(_("%(name)s is not a target of this round.") % {"name": target.name})
    request, created = BriefingRequest.objects.get_or_create(
        round=round_,
        target=target,
        department=department,
        defaults={"due_date": due_date, "requested_by": actor},
    )
    if not created:
        raise ValidationError(
            _("%(department)s was already asked about %(target)s.")
            % {"department": department.name, "target": target.name}
        )
    audit.record(
        actor=actor,
        event_type=AuditEventType.BRIEFING_REQUESTED,
        obj=request,
        after={
            "round": round_.pk,
            "target": target.pk,
            "department": department.pk,
            "due_date": due_date.isoformat(),
        },
    )
    return request


@transaction.atomic
def briefing_submit(
    *,
    actor: User | None,
    request: Any,
    date: dt.date,
    summary: str,
    concerns: Sequence[tuple[str, Any]] = (),
    files: Sequence[Any] = (),
) -> Any:
    """Record a department's briefing with its concerns and attachments, all or nothing."""
    import hashlib

    from xuncha.rounds.models import Briefing, BriefingAttachment, BriefingConcern

    if Briefing.objects.filter(request=request).exists():
        raise ValidationError(_("This request was already answered."))
    briefing = Briefing.objects.create(
        request=request,
        round=request.round,
        target=request.target,
        department=request.department,
        date=date,
        summary=summary.strip(),
        submitted_by=actor,
    )
    BriefingConcern.objects.bulk_create(
        [
            BriefingConcern(briefing=briefing, text=text.strip(), topic=topic)
            for text, topic in concerns
            if text.strip()
        ]
    )
    for upload in files:
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        BriefingAttachment.objects.create(
            briefing=briefing,
            file=upload,
            name=upload.name[:200],
            size=upload.size,
            sha256=digest.hexdigest(),
        )
    audit.record(
        actor=actor,
        event_type=AuditEventType.BRIEFING_SUBMITTED,
        obj=briefing,
        after={
            "request": request.pk,
            "target": request.target_id,
            "department": request.department_id,
            "date": date.isoformat(),
            "concerns": len(concerns),
            "attachments": [f.name for f in files],
        },
    )
    return briefing


@transaction.atomic
def briefing_file_read(*, actor: User, attachment: Any) -> None:
    audit.record(
        actor=actor,
        event_type=AuditEventType.BRIEFING_FILE_READ,
        obj=attachment,
        extra={"briefing": attachment.briefing_id, "sha256": attachment.sha256},
    )


@transaction.atomic
def plan_accept(
    *,
    actor: User,
    term: CommitteeTerm,
    proposal: Any,
    starts: dict[int, dt.date],
    organisations: dict[int, Organisation],
) -> int:
    """Create the rounds of an accepted coverage plan, all or none, and record the plan."""
    created = 0
    team_names = [_("Team %(n)s") % {"n": n + 1} for n in range(60)]
    for slot in proposal.slots:
        if not slot.teams:
            continue
        kinds = {organisations[i].kind for t in slot.teams for i in t.target_ids}
        # A round of only villages and their townships is a village round.
        village = kinds <= {"village", "community", "township"} and bool(
            kinds & {"village", "community"}
        )
        start = starts[slot.slot_index]
        round_create(
            actor=actor,
            committee=term.committee,
            term=term,
            kind=RoundKind.VILLAGE if village else RoundKind.ROUTINE,
            name=_("%(committee)s plan: round of %(date)s")
            % {"committee": term.committee.name, "date": start.isoformat()},
            start_date=start,
            teams=[
                (team_names[n], [organisations[i] for i in t.target_ids])
                for n, t in enumerate(slot.teams)
            ],
        )
        created += 1
    audit.record(
        actor=actor,
        event_type=AuditEventType.PLAN_ACCEPTED,
        obj=term,
        extra={"rounds": created, "unplaced": [u.target_id for u in proposal.unplaced]},
    )
    return created
