"""Reads of the pool through the policy."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from xuncha.core import policy
from xuncha.core.selectors import name_query
from xuncha.rounds.models import Round, Stage, Team
from xuncha.talent import permissions, services, teams
from xuncha.talent.models import (
    Availability,
    Evaluation,
    InspectorProfile,
    Qualification,
    Release,
    RoundRole,
)

# A round counts as served once it has left preparation (the solver reads it the same way).
SERVED = ~Q(roles__round__stage=Stage.PREPARATION)


def pool_for(
    user: Any, *, today: dt.date, filters: dict[str, Any] | None = None, q: str = ""
) -> QuerySet[InspectorProfile]:
    filters = filters or {}
    valid = Qualification.objects.filter(
        profile=OuterRef("pk"), status="granted", granted_on__lte=today, expires_on__gte=today
    )
    scoped = policy.scope(user, permissions.TALENT_VIEW, InspectorProfile.objects.all())
    # The evaluation after the latest round the inspector served in.
    last = Evaluation.objects.filter(profile=OuterRef("pk")).order_by("-evaluated_at", "-pk")
    qs = (
        scoped.select_related("person", "county", "home_organisation")
        .prefetch_related("specialties")
        .annotate(
            valid_until=Subquery(valid.order_by("-expires_on").values("expires_on")[:1]),
            rounds_done=Count("roles", filter=SERVED, distinct=True),
            last_score=Subquery(last.values("score")[:1]),
            last_grade=Subquery(last.values("grade")[:1]),
        )
        # Qualified today = a valid qualification has an expiry: one subquery, not two.
        .annotate(
            qualified=ExpressionWrapper(Q(valid_until__isnull=False), output_field=BooleanField())
        )
        # In the leader pool (2), eligible but without a valid qualification (1), neither or
        # out of the pool (0).
        .annotate(
            leader_rank=Case(
                When(in_pool=False, then=Value(0)),
                When(leader_eligible=True, qualified=True, then=Value(2)),
                When(leader_eligible=True, then=Value(1)),
                default=Value(0),
            )
        )
    )
    if q:
        qs = qs.filter(name_query(q, prefix="person__"))
    status = filters.get("status") or "in_pool"
    if status == "in_pool":
        qs = qs.filter(in_pool=True)
    elif status == "removed":
        qs = qs.filter(in_pool=False)
    if filters.get("county"):
        qs = qs.filter(county=filters["county"])
    if filters.get("specialty"):
        qs = qs.filter(specialties=filters["specialty"])
    if filters.get("qualified") == "yes":
        qs = qs.filter(qualified=True)
    elif filters.get("qualified") == "no":
        qs = qs.filter(qualified=False)
    if filters.get("leader"):
        qs = qs.filter(leader_rank=2)
    if filters.get("available_on"):
        day = filters["available_on"]
        windows = Availability.objects.filter(profile=OuterRef("pk"))
        qs = qs.filter(
            ~Exists(windows) | Exists(windows.filter(start_date__lte=day, end_date__gte=day))
        ).exclude(pk__in=busy_on(scoped, day, today=today))
    if filters.get("min_rounds"):
        qs = qs.filter(rounds_done__gte=filters["min_rounds"])
    if filters.get("min_grade"):
        qs = qs.filter(last_score__gte=services.GRADE_BANDS[filters["min_grade"]][0])
    return qs


def busy_on(profiles: QuerySet[InspectorProfile], day: dt.date, *, today: dt.date) -> set[int]:
    """Ids of ``profiles`` serving on ``day`` in a round that is not closed: the round's
    period (as team formation reads it) widened on both sides by the rest days of the
    round's committee. Two queries plus one per committee with open rounds."""
    roles = (
        RoundRole.objects.filter(profile__in=profiles.order_by().values("pk"))
        .exclude(round__stage=Stage.CLOSED)
        .select_related("round__committee")
        .prefetch_related("round__stages")
    )
    rest: dict[int, dt.timedelta] = {}
    busy: set[int] = set()
    for role in roles:
        committee = role.round.committee
        if committee.pk not in rest:
            rest[committee.pk] = dt.timedelta(days=teams.rules_for(committee).rest_days)
        if teams.busy_during(role.round, day, day, rest[committee.pk], today):
            busy.add(role.profile_id)
    return busy


def pool_chart(qs: QuerySet[InspectorProfile]) -> dict[str, Any]:
    """Inspectors by specialty (rows) and county (series), one grouped query.

    An inspector with several specialties counts once under each. Specialties come
    most common first, so the thin ones sit together at the end; people with no
    specialty recorded come last, under a label that says so."""
    # Counted on a fresh query of the same people: values() through the filtered query
    # would reuse a specialty filter's join and drop every other specialty they hold.
    rows = (
        InspectorProfile.objects.filter(pk__in=qs.order_by().values("pk"))
        .values(
            "specialties__code",
            "specialties__name_zh",
            "specialties__name_en",
            "county__name",
            "county__code",
        )
        .annotate(n=Count("pk", distinct=True))
    )
    language = "en" if (get_language() or "").startswith("en") else "zh"
    unrecorded = str(_("No specialty recorded"))
    counties: dict[str, str] = {}  # name -> code: the series in the filter's county order
    totals: Counter[str] = Counter()
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        if row["specialties__code"] is None:
            specialty = unrecorded
        else:
            specialty = row[f"specialties__name_{language}"]
        county = row["county__name"]
        counts[(specialty, county)] = row["n"]
        counties[county] = row["county__code"]
        totals[specialty] += row["n"]
    specialties = sorted(totals, key=lambda s: (s == unrecorded, -totals[s], s))
    return {
        "categories": specialties,
        "series": [
            {"name": c, "data": [counts.get((s, c), 0) for s in specialties]}
            for c in sorted(counties, key=lambda name: (counties[name], name))
        ],
    }


def profile_detail_for(user: Any) -> QuerySet[InspectorProfile]:
    return (
        policy.scope(user, permissions.TALENT_VIEW, InspectorProfile.objects.all())
        .select_related("person", "county", "home_organisation")
        .prefetch_related(
            "specialties",
            "qualifications",
            "trainings",
            "availability",
            Prefetch("roles", queryset=RoundRole.objects.select_related("round", "team")),
            "evaluations__round",
        )
    )


def round_crews(user: Any, round_: Round, teams: list[Team]) -> dict[int, dict[str, Any]]:
    """Each team's people (the accepted roster), with home units' release still missing,
    and whether ``user`` may evaluate them."""
    order = {role: n for n, role in enumerate(RoundRole.Role.values)}
    roles = sorted(
        RoundRole.objects.filter(round=round_, team__isnull=False).select_related(
            "profile__person"
        ),
        key=lambda r: (order.get(r.role, 9), r.pk),
    )
    released = set(
        Release.objects.filter(round=round_, confirmed=True).values_list("profile_id", flat=True)
    )
    by_team: dict[int, dict[str, Any]] = {}
    for team in teams:
        crew = [r for r in roles if r.team_id == team.pk]
        leaders = {r.profile.person_id for r in crew if r.role == RoundRole.Role.LEADER}
        by_team[team.pk] = {
            "crew": [{"role": r, "released": r.profile_id in released} for r in crew],
            "unreleased": sum(1 for r in crew if r.profile_id not in released),
            "evaluation_open": services.evaluation_open(team),
            "evaluation_opens": Stage(services.EVALUATION_OPENS).label,
            "can_evaluate": bool(crew) and may_evaluate(user, team, leaders),
        }
    return by_team


def rounds_to_form(user: Any) -> list[Round]:
    """Rounds whose teams ``user`` may form now (preparation or stationing), newest first:
    the pool page leads to their team builders."""
    from xuncha.rounds.selectors import rounds_for

    return [
        r
        for r in rounds_for(user)
        .filter(stage__in=(Stage.PREPARATION, Stage.STATIONING))
        .order_by("-created_at", "-pk")
        if policy.allows_on_organisation(user, permissions.TEAM_FORM, r.committee)
    ]


def evaluations_due(user: Any) -> list[dict[str, Any]]:
    """Teams ``user`` leads whose evaluation is open, with how many members still wait for
    one (leader first on the home page; teams with none left are not listed)."""
    person_id = getattr(user, "person_id", None)
    if person_id is None or not policy.can(user, permissions.EVALUATE_TEAM):
        return []
    led = [
        role.team
        for role in RoundRole.objects.filter(
            profile__person_id=person_id, role=RoundRole.Role.LEADER, team__isnull=False
        ).select_related("team__round")
        if role.team is not None and services.evaluation_open(role.team)
    ]
    due = []
    for team in led:
        members = RoundRole.objects.filter(team=team).exclude(profile__person_id=person_id)
        done = Evaluation.objects.filter(
            round_id=team.round_id, profile_id__in=members.values("profile_id")
        ).count()
        waiting = members.count() - done
        if waiting > 0 and may_evaluate(user, team, {person_id}):
            due.append({"team": team, "round": team.round, "waiting": waiting})
    return due


def may_evaluate(user: Any, team: Team, leaders: set[int] | None = None) -> bool:
    """Whether ``user`` may evaluate the members of ``team``: office staff of the round's
    committee, or the team's leader through their grant on a unit it inspects (a grant
    kept after the round reaches no later team there). ``leaders``: the person ids
    holding the team's leader role, when the caller has them."""
    if policy.allows_on_organisation(user, permissions.EVALUATE, team.round.committee):
        return True
    if not any(
        policy.allows_on_organisation(user, permissions.EVALUATE_TEAM, t)
        for t in team.targets.all()
    ):
        return False
    if leaders is None:
        leaders = set(
            RoundRole.objects.filter(team=team, role=RoundRole.Role.LEADER).values_list(
                "profile__person_id", flat=True
            )
        )
    return user.person_id is not None and user.person_id in leaders
