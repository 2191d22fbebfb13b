"""Changes around team formation; each one transaction with its audit event.

Kept apart from ``services.py`` (the pool itself) because these steps follow one round
through proposal, hand changes and acceptance."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from xuncha.core import audit, jobs
from xuncha.core.lib.kinship import KinshipClass
from xuncha.core.models import AuditEvent, AuditEventType, Organisation, User
from xuncha.rounds.models import Round, Stage, Team
from xuncha.talent import roster, teams
from xuncha.talent.lib import formation as fm
from xuncha.talent.models import (
    Declaration,
    FormationRun,
    InspectorProfile,
    Release,
    RoundRole,
    RuleRelaxation,
    Specialty,
    TargetNeed,
    TeamRules,
)

# Teams are formed, and changed, before the on-site work has gone far.
FORMING_STAGES = (Stage.PREPARATION, Stage.STATIONING)
MAX_TIME_LIMIT = 120


class RosterRefused(Exception):
    """A hand change or an acceptance would break rules; nothing was saved."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _require_forming(round_: Round) -> None:
    if round_.stage not in FORMING_STAGES:
        raise ValidationError(
            _("Teams are formed before the on-site work: this round is at %(stage)s.")
            % {"stage": Stage(round_.stage).label}
        )


def _rule_fields() -> list[str]:
    """The fields of TeamRules that are rules (what the audit events of a change keep)."""
    return [
        f.name for f in TeamRules._meta.fields if f.name not in ("id", "committee", "updated_at")
    ]


# Kinship recusal may be narrowed to fewer classes, never switched off: a spouse in the
# target keeps anyone away, leader or member.
SPOUSE_ALWAYS = ("leader_kinship_classes", "member_kinship_classes")


def spouse_always_message() -> str:
    return _("Spouses are always included: kinship recusal cannot leave them out.")


@transaction.atomic
def team_rules_set(*, actor: User, committee: Organisation, values: dict[str, Any]) -> TeamRules:
    rules = TeamRules.objects.filter(committee=committee).first() or TeamRules(committee=committee)
    fields = _rule_fields()
    before = {f: getattr(rules, f) for f in fields} if rules.pk else None
    for name, value in values.items():
        if name not in fields:
            raise ValueError(f"unknown team rule {name!r}")
        setattr(rules, name, sorted(value) if isinstance(value, (list, set, frozenset)) else value)
    if rules.size_max < rules.size_min:
        raise ValidationError({"size_max": _("The largest team size is below the smallest.")})
    for name in SPOUSE_ALWAYS:
        if KinshipClass.SPOUSE.value not in getattr(rules, name):
            raise ValidationError({name: spouse_always_message()})
    teams.recusal_rules(rules)  # refuses impossible values with a ValueError
    rules.save()
    audit.record(
        actor=actor,
        event_type=AuditEventType.TEAM_RULES_SET,
        obj=committee,
        before=before,
        after={f: getattr(rules, f) for f in fields},
    )
    return rules


@transaction.atomic
def team_rules_clear(*, actor: User, committee: Organisation) -> None:
    """Remove the committee's own rules: it follows the nearest higher committee's again,
    else the defaults (the audit event keeps the rules removed)."""
    rules = TeamRules.objects.select_for_update().filter(committee=committee).first()
    if rules is None:
        raise ValidationError(
            _("%(committee)s has no rules of its own.") % {"committee": committee}
        )
    fields = _rule_fields()
    before = {f: getattr(rules, f) for f in fields}
    rules.delete()
    audit.record(
        actor=actor, event_type=AuditEventType.TEAM_RULES_CLEARED, obj=committee, before=before
    )


@transaction.atomic
def declaration_record(
    *,
    actor: User | None,
    profile: InspectorProfile,
    organisation: Organisation,
    source: str,
    reason: str,
) -> Declaration:
    if not reason.strip():
        raise ValidationError({"reason": _("Say why.")})
    if Declaration.objects.filter(
        profile=profile, organisation=organisation, source=source
    ).exists():
        raise ValidationError(
            {
                "organisation": _("This conflict is already recorded for %(org)s.")
                % {"org": organisation.name}
            }
        )
    declaration = Declaration.objects.create(
        profile=profile,
        organisation=organisation,
        source=Declaration.Source(source),
        reason=reason.strip(),
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        event_type=AuditEventType.DECLARATION_RECORDED,
        obj=profile,
        after={"organisation": organisation.pk, "source": source, "reason": reason.strip()},
    )
    return declaration


# A team inspects until its report stage; a conflict found before then matters.
_ON_SITE = (Stage.PREPARATION, Stage.STATIONING, Stage.UNDERSTANDING)


def rosters_in_conflict(profile: InspectorProfile, organisation: Organisation) -> list[RoundRole]:
    """The accepted seats of ``profile`` on teams not yet past their fieldwork whose
    targets are ``organisation``, under it or above it: a newly declared conflict there is
    not undone by team formation (the roster is already accepted), so the office is told."""
    seats = (
        RoundRole.objects.filter(profile=profile, team__stage__in=_ON_SITE)
        .select_related("team", "round")
        .prefetch_related("team__targets")
    )
    return [
        seat
        for seat in seats
        if seat.team is not None
        and any(
            organisation.path.startswith(t.path) or t.path.startswith(organisation.path)
            for t in seat.team.targets.all()
        )
    ]


@transaction.atomic
def declaration_withdraw(*, actor: User, declaration: Declaration) -> None:
    """Withdraw a declared conflict or a target's recusal request; the audit event keeps it."""
    profile = declaration.profile
    before = {
        "declaration": declaration.pk,
        "organisation": declaration.organisation_id,
        "source": declaration.source,
        "reason": declaration.reason,
    }
    declaration.delete()
    audit.record(
        actor=actor,
        event_type=AuditEventType.DECLARATION_WITHDRAWN,
        obj=profile,
        before=before,
    )


@transaction.atomic
def target_need_set(
    *, actor: User, round_: Round, organisation: Organisation, specialties: Iterable[Specialty]
) -> TargetNeed | None:
    _require_forming(round_)
    if not Team.objects.filter(round=round_, targets=organisation).exists():
        raise ValidationError(_("%(org)s is not a target of this round.") % {"org": organisation})
    # What the target needed before: the list set for it, or the default when none was.
    before = sorted(teams.target_needs(round_).get(organisation.pk, ()))
    chosen = list(specialties)
    need = TargetNeed.objects.filter(round=round_, organisation=organisation).first()
    if sorted(s.code for s in chosen) == before:
        return need  # nothing changed (the default kept as it is), nothing recorded
    if need is None:
        need = TargetNeed.objects.create(round=round_, organisation=organisation)
    need.specialties.set(chosen)
    where = {"organisation": organisation.pk, "name": organisation.name}
    audit.record(
        actor=actor,
        event_type=AuditEventType.TARGET_NEED_SET,
        obj=round_,
        before={**where, "specialties": before},
        after={**where, "specialties": sorted(s.code for s in chosen)},
    )
    return need


def relaxable_rules(round_: Round) -> set[str]:
    """The named rules that apply to ``round_``, so may be relaxed for it: the cross-county
    rule only in a cross round."""
    rules = set(RuleRelaxation.Rule.values)
    if not round_.cross:
        rules.discard(RuleRelaxation.Rule.CROSS)
    return rules


@transaction.atomic
def rule_relax(*, actor: User, round_: Round, rule: str, reason: str) -> RuleRelaxation:
    _require_forming(round_)
    if rule not in RuleRelaxation.Rule.values:
        raise ValidationError({"rule": _("This rule cannot be relaxed.")})
    if rule not in relaxable_rules(round_):
        raise ValidationError(
            {"rule": _("This rule does not apply to the round, so there is nothing to relax.")}
        )
    if not reason.strip():
        raise ValidationError({"reason": _("Relaxing a rule needs a reason.")})
    relaxation, created = RuleRelaxation.objects.get_or_create(
        round=round_, rule=rule, defaults={"reason": reason.strip(), "created_by": actor}
    )
    if not created:
        raise ValidationError({"rule": _("This rule is already relaxed for the round.")})
    audit.record(
        actor=actor,
        event_type=AuditEventType.RULE_RELAXED,
        obj=round_,
        after={"rule": rule, "reason": reason.strip()},
    )
    return relaxation


@transaction.atomic
def rule_restore(*, actor: User, round_: Round, rule: str) -> None:
    _require_forming(round_)
    relaxation = RuleRelaxation.objects.filter(round=round_, rule=rule).first()
    if relaxation is None:
        raise ValidationError(_("This rule is not relaxed for the round."))
    audit.record(
        actor=actor,
        event_type=AuditEventType.RULE_RESTORED,
        obj=round_,
        before={"rule": rule, "reason": relaxation.reason},
    )
    relaxation.delete()


@transaction.atomic
def formation_start(
    *, actor: User, round_: Round, seed: int = 0, time_limit: int = 30
) -> FormationRun:
    """Queue a solver run for the round's teams (a background job with progress)."""
    from xuncha.talent import tasks

    _require_forming(round_)
    if not Team.objects.filter(round=round_).exists():
        raise ValidationError(_("The round has no team to staff yet."))
    if not 1 <= time_limit <= MAX_TIME_LIMIT:
        raise ValidationError(
            {"time_limit": _("Between 1 and %(n)s seconds.") % {"n": MAX_TIME_LIMIT}}
        )
    run = FormationRun.objects.create(
        round=round_, seed=seed, time_limit=time_limit, created_by=actor
    )
    job = jobs.job_start(
        actor=actor,
        kind="team_formation",
        label=_("Form the teams of %(round)s") % {"round": round_.name},
        task=tasks.form_teams,
        run_id=run.pk,
    )
    run.job = job
    run.save(update_fields=["job"])
    audit.record(
        actor=actor,
        event_type=AuditEventType.FORMATION_STARTED,
        obj=round_,
        after={"run": run.pk, "seed": seed, "time_limit": time_limit},
    )
    return run


def formation_solve(run: FormationRun, *, today: dt.date, progress: Any = None) -> FormationRun:
    """Build the instance, solve it and store the proposal (run by the background task)."""
    FormationRun.objects.filter(pk=run.pk).update(status=FormationRun.Status.RUNNING)
    built = teams.build_instance(run.round, today=today)
    result = fm.solve(built.instance, time_limit=run.time_limit, seed=run.seed, progress=progress)
    with transaction.atomic():
        run.instance = fm.to_json(built.instance)
        run.result = {
            **fm.result_to_json(result),
            "unavailable": {str(k): v for k, v in built.unavailable.items()},
            "evidence": built.evidence,
            "period": [built.period[0].isoformat(), built.period[1].isoformat()],
            "today": today.isoformat(),
            "specialty_names": teams.specialty_names_to_store(),
            "rules": built.rules,
            "needed_by": built.needed_by,
        }
        run.objective, run.bound, run.gap = result.objective, result.bound, result.gap
        run.draft_objective = result.objective
        run.draft = [
            {"team": a.team_index, "person": a.person_id, "role": a.role}
            for a in result.assignments
        ]
        run.status = (
            FormationRun.Status.PROPOSED if result.assignments else FormationRun.Status.INFEASIBLE
        )
        run.save()
        audit.record(
            actor=run.created_by,
            # A run that found no teams is told apart, so the log finds impossible requests.
            event_type=AuditEventType.FORMATION_FINISHED
            if result.assignments
            else AuditEventType.FORMATION_INFEASIBLE,
            obj=run.round,
            after={
                "run": run.pk,
                "status": result.status,
                "objective": result.objective,
                "bound": result.bound,
                "gap": result.gap,
                "people": len(result.assignments),
            },
        )
    return run


# Audit events that may change what a run's instance is built from: the pool and its
# profiles, the people registry (posts, relatives), rounds (experience, busy periods),
# organisations and the formation records. The event says only that something may have
# changed; ``proposal_changes`` compares the instances to say what did.
_MAY_CHANGE_INSTANCE = (
    "organisation.",
    "person.created",
    "person.updated",
    "post.",
    "kinship.",
    "round.",
    "team.",
    "rounds.",
    "calendar.",
    "talent.",
)
# Talent events that never change an instance (reads, exports, the runs themselves).
_NEVER_CHANGE_INSTANCE = (
    AuditEventType.FORMATION_STARTED,
    AuditEventType.FORMATION_FINISHED,
    AuditEventType.FORMATION_INFEASIBLE,
    AuditEventType.FORMATION_FAILED,
    AuditEventType.ROSTER_CHANGED,
    AuditEventType.ROSTER_EXPORTED,
    AuditEventType.POOL_EXPORTED,
    AuditEventType.RELEASE_CONFIRMED,
)


@dataclass(frozen=True)
class ProposalChanges:
    """What changed in the records since a proposal was solved (``lines``) and which rules
    its teams break now because of it (``problems``, as the acceptance would say)."""

    lines: list[str]
    problems: list[str]
    current: fm.Instance  # built from today's records (the builder offers people from it)


def proposal_changes(run: FormationRun, instance: fm.Instance) -> ProposalChanges | None:
    """What changed since ``run`` (a proposal, or a run that found no teams; ``instance``
    its stored instance) was solved, or None when nothing formation reads did. The audit
    log says whether anything may have changed since (cheap); only then is the instance
    built again from today's records, for the day the run was solved for, and compared
    (``teams.instance_changes``). A run without teams has no problems to list."""
    solved = (
        AuditEvent.objects.filter(
            event_type__in=[
                AuditEventType.FORMATION_FINISHED,
                AuditEventType.FORMATION_INFEASIBLE,
            ],
            object_type="rounds.round",
            object_id=str(run.round_id),
        )
        .filter(after__run=run.pk)
        .values_list("seq", flat=True)
        .first()
    )
    if solved is None:
        return None
    may_change = Q()
    for prefix in _MAY_CHANGE_INSTANCE:
        may_change |= Q(event_type__startswith=prefix)
    if (
        not AuditEvent.objects.filter(seq__gt=solved)
        .filter(may_change)
        .exclude(event_type__in=_NEVER_CHANGE_INSTANCE)
        .exists()
    ):
        return None
    current = teams.build_instance(run.round, today=_solved_for(run))
    lines = teams.instance_changes(instance, current.instance)
    if not lines:
        return None
    if not run.draft:
        return ProposalChanges(lines, [], current.instance)
    problems = run_problems(run, run.draft, instance, current=current)
    # The notice says itself that the records changed.
    return ProposalChanges(
        lines, [p for p in problems if p != _records_changed_note()], current.instance
    )


def _solved_for(run: FormationRun) -> dt.date:
    """The day a run's instance was built for (its time windows)."""
    day = run.result.get("today")
    return dt.date.fromisoformat(day) if day else timezone.localdate()


@transaction.atomic
def formation_failed(run: FormationRun, *, error: str) -> None:
    """The solver job failed: the run says so, and so does the audit log (the error's kind
    only; its message may quote records)."""
    FormationRun.objects.filter(pk=run.pk).update(status=FormationRun.Status.FAILED)
    audit.record(
        actor=run.created_by,
        event_type=AuditEventType.FORMATION_FAILED,
        obj=run.round,
        after={"run": run.pk, "error": error},
    )


def _unavailable(run: FormationRun) -> dict[int, str]:
    """Who was unavailable when the run was solved, and why, in the user's language."""
    return {
        int(k): teams.unavailable_reason(v)
        for k, v in (run.result.get("unavailable") or {}).items()
    }


def run_problems(
    run: FormationRun,
    draft: list[dict[str, Any]],
    instance: fm.Instance | None = None,
    *,
    today: dt.date | None = None,
    current: teams.Built | None = None,
) -> list[str]:
    """Every rule ``draft`` breaks: against the records the proposal was made from, and
    against today's (a conflict declared, someone taken out of the pool or away, a rule
    changed since), so nothing saved or accepted rests on what is no longer true.
    ``current`` is today's instance when the caller has built it already."""
    stored = instance if instance is not None else fm.from_json(run.instance)
    assignments = teams.assignments_of(draft)
    problems = teams.roster_problems(
        stored, assignments, _unavailable(run), run.result.get("evidence") or {}
    )
    if current is None:
        # The day the proposal was made for (its time windows), unless told otherwise.
        current = teams.build_instance(run.round, today=today or _solved_for(run))
    fresh = current.instance
    unavailable = {pid: teams.unavailable_reason(raw) for pid, raw in current.unavailable.items()}
    # Someone of the proposal who is no longer in the pool is named, as unavailable.
    known = {c.person_id for c in fresh.candidates}
    gone = [
        c
        for c in stored.candidates
        if c.person_id not in known and any(a.person_id == c.person_id for a in assignments)
    ]
    for cand in gone:
        unavailable[cand.person_id] = _("no longer in the pool")
    if gone:
        fresh = replace(
            fresh, candidates=(*fresh.candidates, *(replace(c, available=False) for c in gone))
        )
    new = [
        p
        for p in teams.roster_problems(fresh, assignments, unavailable, current.evidence)
        if p not in problems
    ]
    if new:
        problems += [*new, _records_changed_note()]
    return problems


def _records_changed_note() -> str:
    """How ``run_problems`` ends a list that today's records added to."""
    return _(
        "The records have changed since this proposal was made; a new proposal takes them "
        "into account."
    )


@transaction.atomic
def roster_change(
    *,
    actor: User,
    run: FormationRun,
    team_id: int,
    person_out: int | None,
    person_in: int | None,
    role: str,
) -> list[str]:
    """Replace ``person_out`` by ``person_in`` (either may be empty) in one team of the
    proposal. The changed roster is re-checked; if it breaks a rule the proposal did not
    break already, nothing is saved and ``RosterRefused`` names what it breaks. Rules the
    proposal broke before the change (the records changed since it was made) do not block
    a change, so they can be mended one team at a time; they are returned (``still``),
    and the acceptance refuses while any is left."""
    run = FormationRun.objects.select_for_update().select_related("round").get(pk=run.pk)
    _require_forming(run.round)
    if run.status != FormationRun.Status.PROPOSED:
        raise ValidationError(_("Only a proposal can be changed."))
    if role not in fm.ROLES:
        raise ValidationError({"role": _("Choose a role.")})
    if person_out is None and person_in is None:
        raise ValidationError(_("Choose someone to take out or to put in."))
    before = list(run.draft)
    draft = list(before)
    if person_out is not None:
        kept = [s for s in draft if not (s["team"] == team_id and s["person"] == person_out)]
        if len(kept) == len(draft):
            raise ValidationError(_("That person is not on this team."))
        draft = kept
    if person_in is not None:
        draft.append({"team": team_id, "person": person_in, "role": role})
    instance = fm.from_json(run.instance)
    current = teams.build_instance(run.round, today=_solved_for(run))
    already = set(run_problems(run, before, instance, current=current))
    problems = run_problems(run, draft, instance, current=current)
    added = [p for p in problems if p not in already]
    if added:
        raise RosterRefused(added)
    score_before = run.draft_objective
    run.draft = draft
    run.draft_objective = fm.objective_value(instance, teams.assignments_of(draft))
    run.save(update_fields=["draft", "draft_objective"])
    audit.record(
        actor=actor,
        event_type=AuditEventType.ROSTER_CHANGED,
        obj=run.round,
        before={"team": team_id, "out": person_out, "score": score_before},
        after={
            "team": team_id,
            "in": person_in,
            "role": role,
            "run": run.pk,
            "score": run.draft_objective,
        },
    )
    return problems


@transaction.atomic
def roster_accept(*, actor: User, run: FormationRun) -> list[RoundRole]:
    """Make the proposal the round's roster: role history rows, release requests to the
    home units, earlier proposals and any roster accepted before superseded."""
    run = FormationRun.objects.select_for_update().select_related("round").get(pk=run.pk)
    round_ = run.round
    _require_forming(round_)
    if run.status != FormationRun.Status.PROPOSED:
        raise ValidationError(_("Only a proposal can be accepted."))
    problems = run_problems(run, run.draft)
    if problems:
        raise RosterRefused(problems)
    person_ids = [int(s["person"]) for s in run.draft]
    profiles = {p.person_id: p for p in InspectorProfile.objects.filter(person_id__in=person_ids)}
    previous = list(RoundRole.objects.filter(round=round_).values("profile_id", "team_id", "role"))
    RoundRole.objects.filter(round=round_).delete()
    created = RoundRole.objects.bulk_create(
        RoundRole(
            profile=profiles[int(s["person"])],
            round=round_,
            team_id=int(s["team"]),
            role=s["role"],
        )
        for s in run.draft
    )
    # People no longer on the roster need no release; what their units had confirmed is
    # kept in the audit event.
    dropped = Release.objects.filter(round=round_).exclude(profile__in=profiles.values())
    released_before = [
        {"profile": r.profile_id, "confirmed": r.confirmed, "on": _iso(r.confirmed_on)}
        for r in dropped.order_by("profile_id")
    ]
    dropped.delete()
    have = set(Release.objects.filter(round=round_).values_list("profile_id", flat=True))
    Release.objects.bulk_create(
        Release(profile=p, round=round_) for p in profiles.values() if p.pk not in have
    )
    # Earlier proposals, and a roster accepted before this one, give way to it.
    FormationRun.objects.filter(
        round=round_,
        status__in=[FormationRun.Status.PROPOSED, FormationRun.Status.ACCEPTED],
    ).exclude(pk=run.pk).update(status=FormationRun.Status.SUPERSEDED)
    run.status = FormationRun.Status.ACCEPTED
    run.accepted_by = actor
    run.accepted_at = timezone.now()
    run.save(update_fields=["status", "accepted_by", "accepted_at"])
    audit.record(
        actor=actor,
        event_type=AuditEventType.ROSTER_ACCEPTED,
        obj=round_,
        before={"roles": previous, "releases_removed": released_before}
        if previous or released_before
        else None,
        after={"run": run.pk, "roles": run.draft},
    )
    return created


RELEASE_LEAD = dt.timedelta(days=365)


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


@transaction.atomic
def release_confirm(
    *, actor: User, release: Release, note: str = "", on: dt.date | None = None
) -> Release:
    """Record that the home unit released the person for the round, ``on`` the day it
    confirmed (today when not given; never a day still to come)."""
    today = timezone.localdate()
    on = on or today
    if on > today:
        raise ValidationError(
            {"confirmed_on": _("The confirmation date cannot be later than today.")}
        )
    # A home unit confirms while the round is being prepared: a day long before the round's
    # period is a mistyped year, not a confirmation.
    earliest = roster.first_day(release.round) - RELEASE_LEAD
    if on < earliest:
        raise ValidationError(
            {
                "confirmed_on": _(
                    "The confirmation date cannot be before %(day)s, a year before the round."
                )
                % {"day": earliest.isoformat()}
            }
        )
    # Confirming again (a corrected date or note) keeps what was there in the event.
    before = {"on": _iso(release.confirmed_on), "note": release.note} if release.confirmed else None
    release.confirmed = True
    release.confirmed_on = on
    release.note = note.strip()[:200]
    release.save(update_fields=["confirmed", "confirmed_on", "note"])
    audit.record(
        actor=actor,
        event_type=AuditEventType.RELEASE_CONFIRMED,
        obj=release.profile,
        before=before,
        after={"round": release.round_id, "on": on.isoformat(), "note": release.note},
    )
    return release


@transaction.atomic
def specialty_set(
    *, actor: User, code: str, name_zh: str, name_en: str, specialty: Specialty | None = None
) -> Specialty:
    """Add a specialty to the list, or rename one (its code stays: rules and files use it)."""
    name_zh, name_en = name_zh.strip(), name_en.strip()
    if not name_zh or not name_en:
        raise ValidationError(_("A specialty needs a Chinese and an English name."))
    if specialty is None:
        code = code.strip().lower()
        try:
            validate_slug(code)
        except ValidationError:
            raise ValidationError(
                {"code": _("A code is letters, digits, hyphens or underscores, e.g. tax-audit.")}
            ) from None
        if Specialty.objects.filter(code=code).exists():
            raise ValidationError({"code": _("The code %(code)s is taken.") % {"code": code}})
        specialty = Specialty.objects.create(code=code, name_zh=name_zh, name_en=name_en)
        before = None
    else:
        before = {"name_zh": specialty.name_zh, "name_en": specialty.name_en}
        specialty.name_zh, specialty.name_en = name_zh, name_en
        specialty.save(update_fields=["name_zh", "name_en"])
    audit.record(
        actor=actor,
        event_type=AuditEventType.SPECIALTY_SET,
        obj=specialty,
        before=before,
        after={"code": specialty.code, "name_zh": name_zh, "name_en": name_en},
    )
    return specialty


@transaction.atomic
def specialty_delete(*, actor: User, specialty: Specialty) -> None:
    """Remove a specialty nobody holds and no target needs."""
    if (
        specialty.inspectorprofile_set.exists()
        or TargetNeed.objects.filter(specialties=specialty).exists()
    ):
        raise ValidationError(
            _("%(name)s is still held by inspectors or needed by a target.")
            % {"name": specialty.name}
        )
    audit.record(
        actor=actor,
        event_type=AuditEventType.SPECIALTY_DELETED,
        obj=specialty,
        before={"code": specialty.code, "name_zh": specialty.name_zh},
    )
    specialty.delete()
