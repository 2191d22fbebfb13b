"""Reads of the pool through the policy."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from xuncha.core import policy
from xuncha.core.selectors import name_query
from xuncha.rounds.models import Round, Team
from xuncha.talent import permissions
from xuncha.talent.models import (
    Availability,
    InspectorProfile,
    Qualification,
    Release,
    RoundRole,
)


def pool_for(
    user: Any, *, today: dt.date, filters: dict[str, Any] | None = None, q: str = ""
) -> QuerySet[InspectorProfile]:
    filters = filters or {}
    valid = Qualification.objects.filter(
        profile=OuterRef("pk"), status="granted", granted_on__lte=today, expires_on__gte=today
    )
    qs = (
        policy.scope(user, permissions.TALENT_VIEW, InspectorProfile.objects.all())
        .select_related("person", "county", "home_organisation")
        .prefetch_related("specialties")
        .annotate(qualified=Exists(valid), rounds_done=Count("roles", distinct=True))
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
        qs = qs.filter(leader_eligible=True, qualified=True)
    if filters.get("available_on"):
        day = filters["available_on"]
        qs = qs.filter(
            Exists(
                Availability.objects.filter(
                    profile=OuterRef("pk"), start_date__lte=day, end_date__gte=day
                )
            )
        )
    if filters.get("min_rounds"):
        qs = qs.filter(rounds_done__gte=filters["min_rounds"])
    return qs


def pool_chart(qs: QuerySet[InspectorProfile]) -> dict[str, Any]:
    """Inspectors by specialty (rows) and county (series), one grouped query.

    An inspector with several specialties counts once under each. Specialties come
    most common first, so the thin ones sit together at the end; people with no
    specialty recorded come last, under a label that says so."""
    # Counted on a fresh query of the same people: values() through the filtered query
    # would reuse a specialty filter's join and drop every other specialty they hold.
    rows = (
        InspectorProfile.objects.filter(pk__in=qs.order_by().values("pk"))
        .values("specialties__code", "specialties__name_zh", "specialties__name_en", "county__name")
        .annotate(n=Count("pk", distinct=True))
    )
    language = "en" if (get_language() or "").startswith("en") else "zh"
    unrecorded = str(_("No specialty recorded"))
    counties: set[str] = set()
    totals: Counter[str] = Counter()
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        if row["specialties__code"] is None:
            specialty = unrecorded
        else:
            specialty = row[f"specialties__name_{language}"]
        county = row["county__name"]
        counts[(specialty, county)] = row["n"]
        counties.add(county)
        totals[specialty] += row["n"]
    specialties = sorted(totals, key=lambda s: (s == unrecorded, -totals[s], s))
    return {
        "categories": specialties,
        "series": [
            {"name": c, "data": [counts.get((s, c), 0) for s in specialties]}
            for c in sorted(counties)
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
    committee_ok = policy.allows_on_organisation(user, permissions.EVALUATE, round_.committee)
    for team in teams:
        crew = [r for r in roles if r.team_id == team.pk]
        by_team[team.pk] = {
            "crew": [{"role": r, "released": r.profile_id in released} for r in crew],
            "unreleased": sum(1 for r in crew if r.profile_id not in released),
            "can_evaluate": bool(crew)
            and (
                committee_ok
                or any(
                    policy.allows_on_organisation(user, permissions.EVALUATE, t)
                    for t in team.targets.all()
                )
            ),
        }
    return by_team
