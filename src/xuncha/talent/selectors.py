"""Reads of the pool through the policy."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet
from django.utils.translation import get_language

from xuncha.core import policy
from xuncha.core.selectors import name_query
from xuncha.talent import permissions
from xuncha.talent.models import Availability, InspectorProfile, Qualification, RoundRole


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
    """Inspectors by specialty (rows) and county (series), one grouped query."""
    rows = (
        qs.order_by()
        .values("specialties__name_zh", "specialties__name_en", "county__name")
        .annotate(n=Count("pk", distinct=True))
    )
    language = "en" if (get_language() or "").startswith("en") else "zh"
    counties: list[str] = []
    specialties: list[str] = []
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        specialty = row[f"specialties__name_{language}"] or "—"
        county = row["county__name"]
        counts[(specialty, county)] = row["n"]
        if county not in counties:
            counties.append(county)
        if specialty not in specialties:
            specialties.append(specialty)
    specialties.sort()
    counties.sort()
    return {
        "categories": specialties,
        "series": [
            {"name": c, "data": [counts.get((s, c), 0) for s in specialties]} for c in counties
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
