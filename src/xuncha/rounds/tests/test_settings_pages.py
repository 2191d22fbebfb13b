"""The office's settings for rounds as users drive them: holidays and make-up working days,
default stage durations, focus areas and a term's coverage priorities."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from xuncha.core import services as core_services
from xuncha.core.models import AuditEvent, AuditEventType, Organisation
from xuncha.rounds import selectors, services, settings_services
from xuncha.rounds.models import (
    CommitteeTerm,
    FocusArea,
    HolidayOverride,
    RoundKind,
    Stage,
    StageDuration,
)

SETTINGS_PAGES = ["holidays", "durations", "focus_areas"]
# A Friday in a year the official holiday package does not know (it has data to 2026).
DAY_2027 = dt.date(2027, 10, 1)
TODAY = dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def county(db):
    return Organisation.objects.get(code="C01")


@pytest.fixture
def term(county):
    return CommitteeTerm.objects.get(committee=county)


def _url(name: str, term: CommitteeTerm | None = None) -> str:
    if name == "priorities":
        return reverse("rounds_settings:priorities", args=[term.pk])
    return reverse(f"rounds_settings:{name}")


def _events(event_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("seq"))


def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


# --- who may see the pages ---------------------------------------------------------------


@pytest.mark.parametrize("name", [*SETTINGS_PAGES, "priorities"])
def test_pages_answer_by_role(name, as_user, term):
    url = _url(name, term)
    assert as_user("office_c1").get(url).status_code == 200
    assert as_user("office").get(url).status_code == 200
    assert as_user("leading").get(url).status_code == 403
    # A team member may not see terms at all: the term is hidden, the settings refused.
    assert as_user("member").get(url).status_code == (404 if name == "priorities" else 403)
    anonymous = as_user(None).get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")


@pytest.mark.parametrize("name", [*SETTINGS_PAGES, "priorities"])
def test_refused_users_cannot_post(name, as_user, term):
    before = AuditEvent.objects.count()
    data = {"day": "2027-10-01", "weight": "5", "organisations": [term.committee.pk]}
    assert as_user("leading").post(_url(name, term), data).status_code == 403
    assert as_user("receiver").post(_url(name, term), data).status_code in (403, 404)
    assert AuditEvent.objects.count() == before


def test_priorities_of_a_term_out_of_scope_are_hidden(as_user, county):
    other = CommitteeTerm.objects.exclude(committee=county).first()
    assert other is not None
    assert as_user("office_c1").get(_url("priorities", other)).status_code == 404
    assert as_user("office").get(_url("priorities", other)).status_code == 200


# --- holidays ----------------------------------------------------------------------------


def test_adding_a_2027_holiday_changes_the_calendar_and_the_warning(as_user):
    assert not services.work_calendar().has_official_data(2027), "the package now knows 2027"
    assert services.work_calendar().is_workday(DAY_2027)  # a Friday, by the weekday rule
    client = _english(as_user("office_c1"))
    with time_machine.travel(TODAY, tick=False):
        page = client.get(_url("holidays"))
        assert 2027 in page.context["missing_years"]
        assert b'data-testid="years-without-data"' in page.content
        response = client.post(
            _url("holidays"), {"day": "2027-10-01", "name": "国庆节"}, follow=True
        )
        assert response.redirect_chain[-1][0] == _url("holidays")
        assert "2027-10-01 is now a holiday." in response.content.decode()
        assert 2027 not in response.context["missing_years"]
        assert 2028 in response.context["missing_years"]
    assert not services.work_calendar().is_workday(DAY_2027)
    assert services.work_calendar().source(DAY_2027) == "override"
    event = _events(AuditEventType.HOLIDAY_SET)[-1]
    assert event.actor.username == "office_c1"
    assert event.after == {"day": "2027-10-01", "is_workday": False, "name": "国庆节"}


def test_a_make_up_working_day_and_its_change_and_removal(as_user):
    client = as_user("office_c1")
    saturday = dt.date(2027, 9, 25)
    client.post(_url("holidays"), {"day": saturday.isoformat(), "is_workday": "on", "name": "调休"})
    assert services.work_calendar().is_workday(saturday)
    # The edit link fills the form with the stored day.
    page = client.get(_url("holidays"), {"day": saturday.isoformat()})
    assert page.context["form"].initial == {"day": saturday, "is_workday": True, "name": "调休"}
    # Saving the same day again changes it (one row per day).
    client.post(_url("holidays"), {"day": saturday.isoformat(), "name": "改为休息"})
    holiday = HolidayOverride.objects.get(day=saturday)
    assert not holiday.is_workday and holiday.name == "改为休息"
    response = client.post(_url("holidays"), {"action": "delete", "pk": holiday.pk})
    assert response.status_code == 302
    assert not HolidayOverride.objects.filter(day=saturday).exists()
    assert not services.work_calendar().is_workday(saturday)  # the weekday rule again
    event = _events(AuditEventType.HOLIDAY_SET)[-1]
    assert event.extra == {"deleted": True}
    assert event.before == {"day": "2027-09-25", "is_workday": False, "name": "改为休息"}
    assert event.object_id == str(holiday.pk)


def test_holiday_rows_are_listed_newest_year_first(as_user):
    for day in (dt.date(2028, 1, 3), dt.date(2027, 10, 4), dt.date(2027, 10, 1)):
        services.holiday_set(actor=None, day=day, is_workday=False, name="")
    groups = as_user("office_c1").get(_url("holidays")).context["groups"]
    years = [g["year"] for g in groups]
    assert years == sorted(years, reverse=True) and years[:2] == [2028, 2027]
    assert [h.day for h in groups[1]["rows"]] == [dt.date(2027, 10, 1), dt.date(2027, 10, 4)]


def test_an_invalid_holiday_is_refused_on_the_page(as_user):
    before = HolidayOverride.objects.count()
    page = as_user("office_c1").post(_url("holidays"), {"day": "not a day"})
    assert page.status_code == 200 and page.context["form"].errors["day"]
    assert HolidayOverride.objects.count() == before
    missing = as_user("office_c1").post(_url("holidays"), {"action": "delete", "pk": "999999"})
    assert missing.status_code == 404


# --- stage durations ---------------------------------------------------------------------


def _duration_data() -> dict[str, str]:
    data = {}
    for d in StageDuration.objects.all():
        data[f"{d.kind}__{d.stage}__length"] = str(d.length)
        data[f"{d.kind}__{d.stage}__unit"] = d.unit
    return data


def test_duration_table_has_a_cell_per_kind_and_stage(as_user):
    page = as_user("office_c1").get(_url("durations"))
    grid = page.context["grid"]
    assert len(grid) == len(Stage.values) - 1  # every stage but "closed"
    assert all(len(row["cells"]) == len(RoundKind.values) for row in grid)
    html = page.content.decode()
    assert 'name="routine__preparation__length"' in html
    assert 'name="lookback__supervision__unit"' in html
    assert "closed__" not in html


def test_changed_durations_apply_to_rounds_created_afterwards(as_user, county, user_named):
    client = as_user("office_c1")
    data = _duration_data()
    data["mobile__understanding__length"] = "40"
    data["mobile__understanding__unit"] = "workdays"
    data["mobile__report__length"] = "21"
    response = client.post(_url("durations"), data)
    assert response.status_code == 302
    understanding = StageDuration.objects.get(kind="mobile", stage="understanding")
    assert (understanding.length, understanding.unit) == (40, "workdays")
    round_ = services.round_create(
        actor=user_named("office_c1"),
        committee=county,
        name="新时长",
        kind="mobile",
        start_date=dt.date(2026, 3, 2),
    )
    stage = round_.stages.get(stage=Stage.UNDERSTANDING)
    calendar = services.work_calendar()
    assert calendar.workdays_between(stage.start_date, stage.end_date) == 40
    report = round_.stages.get(stage=Stage.REPORT)
    assert (report.end_date - report.start_date).days + 1 == 21
    # One event lists both changes with before and after.
    event = _events(settings_services.DURATIONS_SET)[-1]
    assert event.actor.username == "office_c1"
    assert event.before == {
        "mobile/report": {"length": 15, "unit": "days"},
        "mobile/understanding": {"length": 15, "unit": "days"},
    }
    assert event.after == {
        "mobile/report": {"length": 21, "unit": "days"},
        "mobile/understanding": {"length": 40, "unit": "workdays"},
    }


def test_a_zero_length_is_refused_naming_kind_and_stage_and_nothing_changes(as_user):
    client = _english(as_user("office_c1"))
    stored = _duration_data()
    events = AuditEvent.objects.count()
    data = dict(stored)
    data["routine__preparation__length"] = "25"  # a valid change in the same POST
    data["village__feedback__length"] = "0"
    page = client.post(_url("durations"), data)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Feedback of Village and community rounds" in html
    assert "between 1 and 400" in html
    assert page.context["form"].errors["village__feedback__length"]
    assert _duration_data() == stored
    assert AuditEvent.objects.count() == events
    data["village__feedback__length"] = "401"
    assert client.post(_url("durations"), data).status_code == 200
    data["village__feedback__length"] = "abc"
    page = client.post(_url("durations"), data)
    assert "Feedback of Village and community rounds" in page.content.decode()
    assert _duration_data() == stored


def test_durations_service_is_all_or_nothing(user_named):
    office = user_named("office_c1")
    stored = _duration_data()
    with pytest.raises(ValidationError) as refused:
        settings_services.durations_set(
            actor=office,
            changes={
                ("routine", "preparation"): (30, "days"),
                ("thematic", "report"): (0, "days"),
                ("mobile", "closed"): (3, "days"),
            },
        )
    assert len(refused.value.messages) == 2
    assert _duration_data() == stored
    # Unchanged entries are not recorded; nothing changed means no event.
    events = AuditEvent.objects.count()
    assert (
        settings_services.durations_set(actor=office, changes={("routine", "report"): (30, "days")})
        == []
    )
    assert AuditEvent.objects.count() == events


# --- focus areas -------------------------------------------------------------------------


def test_add_and_toggle_a_focus_area(as_user):
    client = as_user("office_c1")
    response = client.post(
        _url("focus_areas"),
        {"code": "rural-revitalisation", "name_zh": "乡村振兴", "name_en": "Rural revitalisation"},
    )
    assert response.status_code == 302
    area = FocusArea.objects.get(code="rural-revitalisation")
    assert area.is_active and area.name_zh == "乡村振兴"
    created = _events(settings_services.FOCUS_AREA_SET)[-1]
    assert created.after["code"] == "rural-revitalisation" and created.object_id == str(area.pk)
    client.post(_url("focus_areas"), {"action": "deactivate", "pk": area.pk})
    area.refresh_from_db()
    assert not area.is_active
    # An inactive focus area is not offered when creating a round.
    form = client.get(reverse("rounds:round_create")).context["form"]
    assert area not in form.fields["focus_areas"].queryset
    toggled = _events(settings_services.FOCUS_AREA_SET)[-1]
    assert (toggled.before, toggled.after) == ({"is_active": True}, {"is_active": False})
    client.post(_url("focus_areas"), {"action": "activate", "pk": area.pk})
    area.refresh_from_db()
    assert area.is_active
    assert len(_events(settings_services.FOCUS_AREA_SET)) == 3


def test_a_duplicate_or_bad_focus_area_code_is_refused(as_user):
    client = _english(as_user("office_c1"))
    existing = FocusArea.objects.first()
    count = FocusArea.objects.count()
    page = client.post(
        _url("focus_areas"), {"code": existing.code, "name_zh": "重复", "name_en": "Duplicate"}
    )
    assert page.status_code == 200 and "exists already" in page.content.decode()
    page = client.post(_url("focus_areas"), {"code": "not a slug", "name_zh": "x", "name_en": "x"})
    assert page.status_code == 200 and page.context["form"].errors["code"]
    assert FocusArea.objects.count() == count


# --- coverage priorities -----------------------------------------------------------------


def _row(term: CommitteeTerm, org: Organisation):
    rows = selectors.ledger(term, dt.date(2026, 7, 1)).rows
    return next(r for r in rows if r.organisation.pk == org.pk)


def test_set_one_priority_and_a_bulk_priority(as_user, term):
    client = as_user("office_c1")
    orgs = list(selectors.term_organisations(term).order_by("path"))
    first, second, third = orgs[0], orgs[1], orgs[2]
    assert _row(term, first).priority == 1.0
    response = client.post(
        _url("priorities", term), {"organisations": first.pk, "weight": "3.5", "note": "信访集中"}
    )
    assert response.status_code == 302
    assert _row(term, first).priority == 3.5
    event = _events(AuditEventType.PRIORITY_SET)[-1]
    assert event.object_id == str(term.pk)
    assert event.extra == {"organisation": first.pk, "weight": "3.50", "note": "信访集中"}
    # The page shows the stored weight and note in the row's form.
    page = client.get(_url("priorities", term))
    row = next(r for r in page.context["rows"] if r["organisation"].pk == first.pk)
    assert (row["weight"], row["note"]) == ("3.5", "信访集中")
    events = AuditEvent.objects.count()
    client.post(
        _url("priorities", term),
        {"bulk": "1", "organisations": [second.pk, third.pk], "weight": "0", "note": ""},
    )
    assert _row(term, second).priority == 0.0 and _row(term, third).priority == 0.0
    assert AuditEvent.objects.count() == events + 2


def test_bulk_priority_for_every_organisation_of_a_kind(as_user, term):
    villages = list(selectors.term_organisations(term).filter(kind="village"))
    assert villages
    as_user("office_c1").post(
        _url("priorities", term),
        {"bulk": "1", "all_of_kind": "village", "weight": "0.5", "note": "村居后排"},
    )
    rows = selectors.ledger(term, dt.date(2026, 7, 1)).rows
    weights = {r.organisation.pk: r.priority for r in rows}
    assert all(weights[v.pk] == 0.5 for v in villages)
    assert all(w == 1.0 for pk, w in weights.items() if pk not in {v.pk for v in villages})


def test_invalid_priorities_are_refused(as_user, term, county):
    client = _english(as_user("office_c1"))
    org = selectors.term_organisations(term).first()
    outside = Organisation.objects.exclude(path__startswith=county.path).filter(kind="unit").first()
    events = AuditEvent.objects.count()
    for data in (
        {"organisations": org.pk, "weight": "101"},
        {"organisations": org.pk, "weight": "-1"},
        {"organisations": outside.pk, "weight": "2"},
        {"bulk": "1", "weight": "2"},  # nothing ticked
    ):
        page = client.post(_url("priorities", term), data)
        assert page.status_code == 200, data
        assert "could not be set" in page.content.decode()
    assert AuditEvent.objects.count() == events
    assert _row(term, org).priority == 1.0
    with pytest.raises(ValidationError):
        settings_services.priorities_set(
            actor=None, term=term, organisations=[outside], weight=Decimal(2)
        )


def test_priorities_page_query_count_does_not_grow(as_user, term, county, user_named):
    office = user_named("office_c1")
    url = _url("priorities", term)
    client = as_user("office_c1")
    client.get(url)  # warm caches (session, content types)

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.context["rows"])

    first, rows_before = count()
    orgs = list(selectors.term_organisations(term)[:3])
    settings_services.priorities_set(actor=office, term=term, organisations=orgs, weight=2)
    for i in range(8):
        core_services.organisation_create(
            actor=office,
            name=f"优先级单位{i}",
            code=f"PRI-{i}",
            kind="unit",
            parent=county,
            committee=county,
        )
    second, rows_after = count()
    assert rows_after == rows_before + 8
    assert first == second
