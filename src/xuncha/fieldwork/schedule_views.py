"""The talk schedule: the calendar (a column per working day of a week; a list per day on
a phone), the scheduler's run as a job, the team's places, one talk with its change form,
the exports, and each interviewer's own day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xuncha.core import policy
from xuncha.core.forms import form_errors
from xuncha.core.tables import XLSX_CONTENT_TYPE, download
from xuncha.core.views import AuthedRequest
from xuncha.fieldwork import common, permissions, schedule_services
from xuncha.fieldwork.models import Absence, Room, ScheduleRun, Talk
from xuncha.fieldwork.schedule_forms import AbsenceForm, RoomForm, RunForm, TalkChangeForm
from xuncha.rounds.models import Team

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def short_name(name: str) -> str:
    """A Chinese name as it is (two or three characters); initials of a Latin one."""
    if any(ord(c) > 0x2E80 for c in name):
        return name
    return "".join(part[0] for part in name.split() if part).upper() or name


@dataclass
class Column:
    date: dt.date
    in_period: bool
    is_today: bool
    talks: list[dict[str, Any]] = field(default_factory=list)


def _block(talk: Talk) -> dict[str, Any]:
    """What a talk's block in the calendar shows."""
    return {
        "talk": talk,
        "place": schedule_services.place_of(talk),
        "asker": short_name(talk.asker.name) if talk.asker else "?",
        "recorder": short_name(talk.recorder.name) if talk.recorder else "?",
        "asker_name": talk.asker.name if talk.asker else "",
        "recorder_name": talk.recorder.name if talk.recorder else "",
    }


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _parse_day(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _week(
    talks: list[Talk], days: list[dt.date], requested: dt.date | None, today: dt.date
) -> tuple[dt.date, list[Column]]:
    from xuncha.rounds import services as round_services

    if requested is not None:
        monday = _monday(requested)
    else:
        upcoming = [
            timezone.localtime(t.starts_at).date()
            for t in talks
            if t.starts_at and timezone.localtime(t.starts_at).date() >= today
        ]
        monday = _monday(upcoming[0] if upcoming else days[0] if days else today)
    calendar = round_services.work_calendar()
    by_day: dict[dt.date, list[Talk]] = {}
    for talk in talks:
        if talk.starts_at is None:
            continue
        by_day.setdefault(timezone.localtime(talk.starts_at).date(), []).append(talk)
    period = set(days)
    columns = []
    for offset in range(7):
        date = monday + dt.timedelta(days=offset)
        if calendar.is_workday(date) or date in by_day:
            blocks = [_block(t) for t in by_day.get(date, [])]
            columns.append(Column(date, date in period, date == today, blocks))
    return monday, columns


def _excluded(run: ScheduleRun | None, team: Team) -> list[dict[str, Any]]:
    if run is None:
        return []
    names = {s.person.pk: s.person.name for s in common.seats(team)}
    talks = {
        t.pk: t
        for t in Talk.objects.filter(pk__in=[e["talk"] for e in run.excluded]).select_related(
            "interviewee"
        )
    }
    out = []
    for item in run.excluded:
        talk = talks.get(item["talk"])
        out.append(
            {
                "member": names.get(item["member"], "—"),
                "interviewee": talk.interviewee.name if talk else "—",
                "rule": item.get("rule", ""),
                "evidence": [schedule_services.text(e) for e in item.get("evidence") or []],
            }
        )
    return out


@require_GET
def schedule(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = common.team_or_404(request.user, team_pk)
    today = timezone.localdate()
    try:
        days = schedule_services.stationing_days(team)
        period_problem = ""
    except ValidationError as exc:
        days, period_problem = [], " ".join(exc.messages)
    talks = schedule_services.scheduled_talks(team)
    monday, columns = _week(talks, days, _parse_day(request.GET.get("week")), today)
    run = ScheduleRun.objects.filter(team=team).select_related("job").first()
    unscheduled = [
        (talk, [schedule_services.text(r) for r in talk.unscheduled_reasons])
        for talk in Talk.objects.filter(team=team, state=Talk.State.UNSCHEDULED)
        .select_related("interviewee")
        .order_by("pk")
    ]
    load = schedule_services.workload(team)
    chart = {
        "categories": [row["person"].name for row in load],
        "series": [
            {"name": _("Asks"), "data": [row["asks"] for row in load]},
            {"name": _("Records"), "data": [row["records"] for row in load]},
        ],
        "colors": ["#2980b9", "#16a085"],
    }
    may_change = policy.allows(request.user, permissions.FIELDWORK_CHANGE, team)
    context: dict[str, Any] = {
        "team": team,
        "tabs": common.tabs(team, "schedule"),
        "columns": columns,
        "monday": monday,
        "previous_week": (monday - dt.timedelta(days=7)).isoformat(),
        "next_week": (monday + dt.timedelta(days=7)).isoformat(),
        "period": (days[0], days[-1]) if days else None,
        "period_problem": period_problem,
        "talk_count": len(talks),
        "unscheduled": unscheduled,
        "run": run,
        "run_explanation": [schedule_services.text(t) for t in run.explanation] if run else [],
        "excluded": _excluded(run, team),
        "workload": load,
        "chart": chart,
        "may_change": may_change,
        "form": RunForm(initial=schedule_services.last_settings(team)) if may_change else None,
        "rooms": Room.objects.filter(team=team).count(),
    }
    return render(request, "fieldwork/schedule/schedule.html", context)


@require_POST
def schedule_run(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = common.team_or_404(request.user, team_pk, permissions.FIELDWORK_CHANGE)
    form = RunForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("fieldwork:schedule", team.pk)
    try:
        run = schedule_services.start_run(actor=request.user, team=team, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("fieldwork:schedule", team.pk)
    if run.job is None:  # job_start always sets it
        return redirect("fieldwork:schedule", team.pk)
    return redirect("core:job_detail", run.job.pk)


@require_http_methods(["GET", "POST"])
def rooms(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    """Places for talks, and the members' absences the scheduler keeps free."""
    team = common.team_or_404(request.user, team_pk)
    seats = common.seats(team)
    form = RoomForm()
    absence_form = AbsenceForm(seats=seats)
    if request.method == "POST":
        policy.require(request.user, permissions.FIELDWORK_CHANGE, team)
        try:
            if request.POST.get("remove_absence"):
                absence = common.object_or_404(
                    request.user,
                    Absence.objects.filter(team=team),
                    int(request.POST["remove_absence"]),
                    permissions.FIELDWORK_CHANGE,
                )
                schedule_services.absence_remove(actor=request.user, absence=absence)
                messages.success(request, _("The absence was removed."))
                return redirect(reverse("fieldwork:rooms", args=[team.pk]) + "#absences")
            if request.POST.get("absence"):
                absence_form = AbsenceForm(request.POST, seats=seats)
                if absence_form.is_valid():
                    data = absence_form.cleaned_data
                    person = next(s.person for s in seats if s.person.pk == data["person"])
                    absence = schedule_services.absence_add(
                        actor=request.user,
                        team=team,
                        person=person,
                        date=data["date"],
                        part=data["part"],
                        note=data["note"],
                    )
                    messages.success(request, _("The absence was recorded."))
                    clashes = schedule_services.absence_clashes(absence)
                    if clashes:
                        messages.warning(
                            request,
                            _(
                                "%(n)s scheduled talks fall in this absence: move them or "
                                "schedule again."
                            )
                            % {"n": len(clashes)},
                        )
                    return redirect(reverse("fieldwork:rooms", args=[team.pk]) + "#absences")
                messages.error(request, form_errors(absence_form))
                return redirect(reverse("fieldwork:rooms", args=[team.pk]) + "#absences")
            if request.POST.get("remove"):
                room = common.object_or_404(
                    request.user,
                    Room.objects.filter(team=team),
                    int(request.POST["remove"]),
                    permissions.FIELDWORK_CHANGE,
                )
                schedule_services.room_remove(actor=request.user, room=room)
                messages.success(request, _("The place was removed."))
                return redirect("fieldwork:rooms", team.pk)
            form = RoomForm(request.POST)
            if form.is_valid():
                schedule_services.room_add(actor=request.user, team=team, **form.cleaned_data)
                messages.success(request, _("The place was added."))
                return redirect("fieldwork:rooms", team.pk)
        except (ValueError, ValidationError) as exc:
            messages.error(
                request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            )
            return redirect("fieldwork:rooms", team.pk)
    places = list(Room.objects.filter(team=team).order_by("pk"))
    return render(
        request,
        "fieldwork/schedule/rooms.html",
        {
            "team": team,
            "tabs": common.tabs(team, "schedule"),
            "places": places,
            "form": form,
            "absences": list(
                Absence.objects.filter(team=team).select_related("person").order_by("date", "pk")
            ),
            "absence_form": absence_form,
            "may_change": policy.allows(request.user, permissions.FIELDWORK_CHANGE, team),
        },
    )


def record_url(talk: Talk) -> str:
    """Where to write the talk's record, if the records area has its page."""
    try:
        return reverse("fieldwork:record_new", args=[talk.team_id]) + f"?talk={talk.pk}"
    except NoReverseMatch:
        return ""


def _talk_context(
    request: AuthedRequest, talk: Talk, form: TalkChangeForm | None
) -> dict[str, Any]:
    team = talk.team
    return {
        "team": team,
        "tabs": common.tabs(team, "schedule"),
        "talk": talk,
        "place": schedule_services.place_of(talk),
        "reasons": [schedule_services.text(r) for r in talk.unscheduled_reasons],
        "form": form,
        "record_url": record_url(talk) if talk.state == Talk.State.SCHEDULED else "",
        "may_change": form is not None,
    }


@require_http_methods(["GET", "POST"])
def talk(request: AuthedRequest, pk: int) -> HttpResponseBase:
    queryset = Talk.objects.select_related(
        "team__round", "interviewee__target", "room", "asker", "recorder", "appointment__report"
    )
    item = common.object_or_404(request.user, queryset, pk)
    may_change = (
        policy.allows(request.user, permissions.FIELDWORK_CHANGE, item)
        and item.state in schedule_services.OPEN_STATES
    )
    if request.method == "POST":
        policy.require(request.user, permissions.FIELDWORK_CHANGE, item)
        may_change = True
    form: TalkChangeForm | None = None
    problems: list[str] = []
    if may_change:
        try:
            days = schedule_services.stationing_days(item.team)
        except ValidationError as exc:
            days, problems = [], list(exc.messages)
        members = [s.person for s in common.seats(item.team)]
        data = request.POST if request.method == "POST" else None
        form = TalkChangeForm(data, talk=item, days=days, members=members)
        if request.method == "POST" and not problems:
            if form.is_valid():
                try:
                    schedule_services.talk_change(
                        actor=request.user,
                        talk=item,
                        day=form.cleaned_day(),
                        start=form.cleaned_start(),
                        room=form.cleaned_data["room"],
                        asker=form.person("asker"),
                        recorder=form.person("recorder"),
                    )
                except ValidationError as exc:
                    problems = list(exc.messages)
                else:
                    messages.success(request, _("The talk was changed; the schedule still holds."))
                    return redirect("fieldwork:talk", item.pk)
            else:
                problems = [form_errors(form)]
    context = _talk_context(request, item, form)
    context["problems"] = problems
    return render(request, "fieldwork/schedule/talk.html", context, status=200)


@require_POST
def talk_cancel(request: AuthedRequest, pk: int) -> HttpResponseBase:
    item = common.object_or_404(
        request.user, Talk.objects.select_related("team"), pk, permissions.FIELDWORK_CHANGE
    )
    try:
        schedule_services.talk_cancel(actor=request.user, talk=item)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("fieldwork:talk", item.pk)
    messages.success(request, _("The talk was cancelled."))
    return redirect("fieldwork:schedule", item.team_id)


@require_GET
def schedule_xlsx(request: AuthedRequest, team_pk: int) -> HttpResponse:
    team = common.team_or_404(request.user, team_pk)
    data = schedule_services.schedule_xlsx(actor=request.user, team=team)
    return download(data, XLSX_CONTENT_TYPE, f"{team.name}-talk-schedule.xlsx")


@require_GET
def schedule_docx(request: AuthedRequest, team_pk: int) -> HttpResponse:
    team = common.team_or_404(request.user, team_pk)
    data = schedule_services.schedule_docx(actor=request.user, team=team)
    return download(data, DOCX_CONTENT_TYPE, f"{team.name}-talk-schedule.docx")


@require_GET
def my_day(request: AuthedRequest) -> HttpResponseBase:
    """The talks the signed-in user asks or records on one day, across their teams."""
    day = _parse_day(request.GET.get("date")) or timezone.localdate()
    person = common.person_of(request.user)
    items: list[dict[str, Any]] = []
    if person is not None:
        tz = timezone.get_current_timezone()
        begin = timezone.make_aware(dt.datetime.combine(day, dt.time.min), tz)
        end = begin + dt.timedelta(days=1)
        talks = policy.scope(
            request.user,
            permissions.FIELDWORK_VIEW,
            Talk.objects.filter(
                Q(asker=person) | Q(recorder=person),
                state=Talk.State.SCHEDULED,
                starts_at__gte=begin,
                starts_at__lt=end,
            ),
        ).select_related("team", "interviewee", "room", "asker", "recorder", "appointment")
        for item in talks.order_by("starts_at", "pk"):
            asks = item.asker_id == person.pk
            partner = item.recorder if asks else item.asker
            items.append(
                {
                    "talk": item,
                    "asks": asks,
                    "partner": partner.name if partner else "",
                    "place": schedule_services.place_of(item),
                    "record_url": record_url(item),
                }
            )
    return render(
        request,
        "fieldwork/schedule/my_day.html",
        {
            "day": day,
            "previous_day": (day - dt.timedelta(days=1)).isoformat(),
            "next_day": (day + dt.timedelta(days=1)).isoformat(),
            "today": timezone.localdate(),
            "items": items,
            "has_person": person is not None,
        },
    )


urlpatterns = [
    path("fieldwork/team/<int:team_pk>/schedule/", schedule, name="schedule"),
    path("fieldwork/team/<int:team_pk>/schedule/run/", schedule_run, name="schedule_run"),
    path("fieldwork/team/<int:team_pk>/schedule.xlsx", schedule_xlsx, name="schedule_xlsx"),
    path("fieldwork/team/<int:team_pk>/schedule.docx", schedule_docx, name="schedule_docx"),
    path("fieldwork/team/<int:team_pk>/rooms/", rooms, name="rooms"),
    path("fieldwork/talk/<int:pk>/", talk, name="talk"),
    path("fieldwork/talk/<int:pk>/cancel/", talk_cancel, name="talk_cancel"),
    path("fieldwork/my-day/", my_day, name="my_day"),
]
