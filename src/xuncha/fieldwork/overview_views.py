"""The way into fieldwork: the teams the user may see, and one team's overview (what is
done, what the coverage still lacks, notices for the user)."""

from __future__ import annotations

from typing import Any

from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from xuncha.core import policy
from xuncha.core.views import AuthedRequest
from xuncha.fieldwork import common, permissions
from xuncha.fieldwork.models import (
    Activity,
    Interference,
    Interviewee,
    InterviewRecord,
    Notice,
    Talk,
    WorkingPaper,
)
from xuncha.rounds.models import Team


def notice_text(notice: Notice) -> str:
    from xuncha.fieldwork.planning_services import render

    return render(notice.text)


@require_GET
def evidence(request: AuthedRequest) -> HttpResponseBase:
    teams = list(
        policy.scope(request.user, permissions.FIELDWORK_VIEW, Team.objects.all())
        .select_related("round")
        .order_by("-round__created_at", "name")
    )
    if len(teams) == 1:
        return redirect("fieldwork:team", teams[0].pk)
    return render(request, "fieldwork/evidence.html", {"teams": teams})


@require_GET
def team(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = common.team_or_404(request.user, team_pk)
    from xuncha.fieldwork import coverage

    notices = list(Notice.objects.filter(user=request.user, team=team, read_at__isnull=True)[:20])
    context: dict[str, Any] = {
        "team": team,
        "tabs": common.tabs(team, "overview"),
        "seats": common.seats(team),
        "counts": {
            "activities": Activity.objects.filter(team=team).count(),
            "interviewees": Interviewee.objects.filter(team=team).count(),
            "talks": Talk.objects.filter(team=team, state=Talk.State.SCHEDULED).count(),
            "records": InterviewRecord.objects.filter(team=team).count(),
            "papers": WorkingPaper.objects.filter(team=team).count(),
            "signed": WorkingPaper.objects.filter(
                team=team, status=WorkingPaper.Status.SIGNED
            ).count(),
            "interference": Interference.objects.filter(team=team).count(),
        },
        "gaps": coverage.gap_texts(team),
        "notices": [(n, notice_text(n)) for n in notices],
    }
    return render(request, "fieldwork/team.html", context)


@require_POST
def notices_read(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = common.team_or_404(request.user, team_pk)
    Notice.objects.filter(user=request.user, team=team, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("fieldwork:team", team.pk)


urlpatterns = [
    path("fieldwork/", evidence, name="evidence"),
    path("fieldwork/team/<int:team_pk>/", team, name="team"),
    path("fieldwork/team/<int:team_pk>/notices/read/", notices_read, name="notices_read"),
]
