"""The inspector pool: shared across the prefecture, scoped per county, filtered, searched,
charted and exported; evaluations and expiries change what the pool offers."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from xuncha.core.lib import pinyin
from xuncha.core.models import Organisation, Person
from xuncha.rounds.models import Round, RoundStage, Stage
from xuncha.talent import selectors, services
from xuncha.talent.models import InspectorProfile, RoundRole, Specialty, TeamRules

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_county_sees_its_own_and_prefecture_sees_all(as_user):
    county_rows = as_user("office_c1").get(reverse("talent:pool")).context["page_obj"].paginator
    all_rows = as_user("office").get(reverse("talent:pool")).context["page_obj"].paginator
    in_pool = InspectorProfile.objects.filter(in_pool=True)
    assert all_rows.count == in_pool.count()
    assert county_rows.count == in_pool.filter(county__code="C01").count() < all_rows.count


def test_the_pool_leads_to_the_rounds_whose_teams_one_may_form(as_user):
    from xuncha.rounds.models import Round, Stage

    forming = Round.objects.filter(stage__in=(Stage.PREPARATION, Stage.STATIONING))
    cross = forming.get(cross=True)
    page = as_user("office").get(reverse("talent:pool"))
    assert cross in page.context["forming"]
    assert reverse("talent:formation", args=[cross.pk]) in page.content.decode()
    county = as_user("office_c1").get(reverse("talent:pool")).context["forming"]
    assert county and cross not in county  # the prefecture coordinates the cross round
    assert all(r.committee.code == "C01" for r in county)
    leading = as_user("leading").get(reverse("talent:pool"))
    assert leading.context["forming"] == [] and b"rounds-to-form" not in leading.content


def test_filters_search_and_chart(as_user):
    client = as_user("office")
    finance = Specialty.objects.get(code="finance")
    page = client.get(reverse("talent:pool"), {"specialty": finance.pk})
    rows = [r.obj for r in page.context["rows"]]
    assert rows and all(finance in p.specialties.all() for p in rows)
    someone = InspectorProfile.objects.filter(in_pool=True).select_related("person").first()
    initials = pinyin.search_text(someone.person.name).split()[1]
    found = client.get(reverse("talent:pool"), {"q": initials}).context["rows"]
    assert someone.pk in {r.obj.pk for r in found}
    chart = page.context["chart"]
    assert chart["categories"] and chart["series"]
    leaders = client.get(reverse("talent:pool"), {"leader": "on"}).context["rows"]
    assert all(r.obj.leader_eligible and r.obj.qualified for r in leaders)


def test_a_pinyin_search_lists_common_readings_first(as_user):
    client = as_user("office")
    mixed = 0
    for q in "szwy":
        page = client.get(reverse("talent:pool"), {"q": q, "status": "all"})
        listed = page.context["page_obj"].paginator.object_list
        keys = [p.person.name_search.split() for p in listed]
        # Common = the name's first two keys (its usual reading in full and as initials).
        common = [any(k.startswith(q) for k in key[:2]) for key in keys]
        mixed += True in common and False in common
        assert common == sorted(common, reverse=True), q
    assert mixed, "the demo holds names found only by a rare reading"
    # A sort chosen by the user is followed as it is.
    by_county = client.get(reverse("talent:pool"), {"q": "s", "status": "all", "sort": "-county"})
    counties = [p.county.code for p in by_county.context["page_obj"].paginator.object_list]
    assert counties == sorted(counties, reverse=True)


def test_a_given_name_in_pinyin_finds_the_inspector_after_full_readings(as_user):
    someone = InspectorProfile.objects.filter(in_pool=True).select_related("person").first()
    given = pinyin.search_text(someone.person.name[1:]).split()[0]
    page = as_user("office").get(reverse("talent:pool"), {"q": given, "status": "all"})
    listed = list(page.context["page_obj"].paginator.object_list)
    assert someone.pk in {p.pk for p in listed}
    common = [any(k.startswith(given) for k in p.person.name_search.split()[:2]) for p in listed]
    assert common == sorted(common, reverse=True)


def test_a_chinese_search_ignores_spaces(as_user):
    someone = InspectorProfile.objects.filter(in_pool=True).select_related("person").first()
    name = someone.person.name
    spaced = f"{name[0]} {name[1:]}"
    found = as_user("office").get(reverse("talent:pool"), {"q": spaced}).context["rows"]
    assert someone.pk in {r.obj.pk for r in found}


def _chart_counts(chart: dict) -> dict[tuple[str, str], int]:
    return {
        (category, series["name"]): n
        for series in chart["series"]
        for category, n in zip(chart["categories"], series["data"], strict=True)
        if n
    }


def _counted(profiles, language: str, unrecorded: str) -> dict[tuple[str, str], int]:
    """Each inspector under each of their specialties, counted from the records."""
    expected: Counter[tuple[str, str]] = Counter()
    for profile in profiles.prefetch_related("specialties").select_related("county"):
        names = [sp.name_en if language == "en" else sp.name_zh for sp in profile.specialties.all()]
        for name in names or [unrecorded]:
            expected[(name, profile.county.name)] += 1
    return dict(expected)


@pytest.mark.parametrize(
    ("language", "unrecorded"), [("zh-hans", "未填专业特长"), ("en", "No specialty recorded")]
)
def test_pool_chart_counts_each_inspector_under_each_specialty(as_user, language, unrecorded):
    someone = InspectorProfile.objects.filter(in_pool=True).first()
    someone.specialties.clear()  # at least one inspector with no specialty
    page = as_user("office").get(reverse("talent:pool"), HTTP_ACCEPT_LANGUAGE=language)
    chart = page.context["chart"]
    in_pool = InspectorProfile.objects.filter(in_pool=True)
    assert _chart_counts(chart) == _counted(in_pool, language, unrecorded)
    # Most common first; "no specialty recorded" last whatever its size.
    assert chart["categories"][-1] == unrecorded
    totals = [
        sum(s["data"][i] for s in chart["series"]) for i in range(len(chart["categories"]) - 1)
    ]
    assert totals == sorted(totals, reverse=True)


def test_pool_chart_of_a_specialty_filter_shows_what_else_those_inspectors_do(as_user):
    finance = Specialty.objects.get(code="finance")
    page = as_user("office").get(
        reverse("talent:pool"), {"specialty": finance.pk}, HTTP_ACCEPT_LANGUAGE="en"
    )
    chart = page.context["chart"]
    accountants = InspectorProfile.objects.filter(in_pool=True, specialties=finance)
    expected = _counted(InspectorProfile.objects.filter(pk__in=accountants), "en", "-")
    assert _chart_counts(chart) == expected
    assert chart["categories"][0] == "Finance" and len(chart["categories"]) > 1
    # A filter on the number of rounds served (a condition on a count) narrows it too.
    page = as_user("office").get(
        reverse("talent:pool"),
        {"specialty": finance.pk, "min_rounds": 2},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    seasoned = [
        p.pk for p in accountants if p.roles.exclude(round__stage=Stage.PREPARATION).count() >= 2
    ]
    assert seasoned and len(seasoned) < accountants.count()
    expected = _counted(InspectorProfile.objects.filter(pk__in=seasoned), "en", "-")
    assert _chart_counts(page.context["chart"]) == expected


def test_expired_qualification_leaves_the_leader_pool(as_user, user_named):
    today = timezone.localdate()
    profile = InspectorProfile.objects.filter(leader_eligible=True, in_pool=True).first()
    profile.qualifications.update(expires_on=today - dt.timedelta(days=1))
    leaders = selectors.pool_for(user_named("office"), today=today, filters={"leader": True})
    assert profile not in leaders
    services.qualification_grant(
        actor=user_named("office"),
        profile=profile,
        granted_on=today - dt.timedelta(days=1),
        expires_on=today + dt.timedelta(days=365),
    )
    leaders = selectors.pool_for(user_named("office"), today=today, filters={"leader": True})
    assert profile in leaders


def test_evaluation_with_removal_takes_the_inspector_out(user_named, as_user):
    profile = InspectorProfile.objects.filter(in_pool=True, county__code="C01").first()
    round_ = Round.objects.filter(committee__code="C01").first()
    profile.evaluations.filter(round=round_).delete()
    services.evaluation_record(
        actor=user_named("office_c1"),
        profile=profile,
        round_=round_,
        score=55,
        grade="fail",
        office_comments="多次擅离岗位，经提醒未改正",
        remove_from_pool=True,
        reason="多次擅离岗位",
    )
    profile.refresh_from_db()
    assert not profile.in_pool and profile.removed_reason == "多次擅离岗位"
    page = as_user("office_c1").get(reverse("talent:pool"))
    assert profile.pk not in {r.obj.pk for r in page.context["rows"]}
    removed = as_user("office_c1").get(reverse("talent:pool"), {"status": "removed"})
    assert profile.pk in {p.pk for p in removed.context["page_obj"].paginator.object_list}
    # Listing everyone, those taken out say so, with the reason; the export too.
    query = {"status": "all", "q": profile.person.name, "sort": "removed"}
    listed = as_user("office_c1").get(reverse("talent:pool"), query, **EN)
    labels = [str(h["label"]) for h in listed.context["headers"]]
    assert labels[-1] == "Taken out of the pool"
    rows = {r.obj.pk: [c.value for c in r.cells] for r in listed.context["rows"]}
    assert rows[profile.pk][-1] == "多次擅离岗位"
    assert "Taken out of the pool" not in [str(h["label"]) for h in page.context["headers"]]
    export = as_user("office_c1").get(reverse("talent:pool"), {**query, "export": "xlsx"}, **EN)
    sheet = load_workbook(io.BytesIO(export.content)).worksheets[0]
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0][-1] == "Taken out of the pool"
    assert [profile.person.name, "多次擅离岗位"] in [[r[0], r[-1]] for r in cells[1:]]
    detail = as_user("office_c1").get(reverse("talent:profile_detail", args=[profile.pk]))
    assert "多次擅离岗位" in detail.content.decode()


def test_a_saved_evaluation_does_not_take_back_out_someone_the_office_put_back(user_named):
    """The removal acts when the decision is made or withdrawn; re-saving the evaluation
    (a leader's new comment) leaves the pool as the office last set it."""
    profile = InspectorProfile.objects.filter(in_pool=True, county__code="C01").first()
    round_ = Round.objects.filter(committee__code="C01").first()
    profile.evaluations.filter(round=round_).delete()
    office, leader = user_named("office_c1"), user_named("leader")
    fields = {
        "profile": profile,
        "round_": round_,
        "score": 55,
        "grade": "fail",
        "leader_comments": "擅离岗位",
    }
    services.evaluation_record(actor=office, **fields, remove_from_pool=True, reason="擅离岗位")
    profile.refresh_from_db()
    assert not profile.in_pool
    services.evaluation_record(actor=office, **fields, reason="多次擅离岗位")  # reworded
    profile.refresh_from_db()
    assert not profile.in_pool and profile.removed_reason == "多次擅离岗位"
    services.inspector_update(actor=office, profile=profile, in_pool=True)
    services.evaluation_record(actor=leader, **{**fields, "leader_comments": "补充：已整改"})
    profile.refresh_from_db()
    assert profile.in_pool and profile.removed_reason == ""
    # The inspector's page says the decision stands in the record but they are back.
    client = Client()
    client.force_login(office)
    page = client.get(reverse("talent:profile_detail", args=[profile.pk]), **EN).content.decode()
    assert "Removal decided (多次擅离岗位); back in the pool since." in page
    assert "removed from the pool: 多次擅离岗位" not in page
    # Withdrawing the decision now changes nothing either: they are already back.
    services.evaluation_record(actor=office, **fields, remove_from_pool=False, reason="")
    profile.refresh_from_db()
    assert profile.in_pool
    # A new decision takes them out again.
    services.evaluation_record(actor=office, **fields, remove_from_pool=True, reason="再次擅离")
    profile.refresh_from_db()
    assert not profile.in_pool and profile.removed_reason == "再次擅离"


def test_xlsx_export(as_user):
    response = as_user("office_c1").get(reverse("talent:pool"), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert (
        sheet.max_row
        == InspectorProfile.objects.filter(in_pool=True, county__code="C01").count() + 1
    )


def test_only_those_who_may_export_people_export_the_pool(as_user):
    """The leading group reads the pool but takes no copy: exporting personal data is the
    office's (the same action as the people list's export)."""
    from xuncha.core.models import AuditEvent

    page = as_user("leading").get(reverse("talent:pool"))
    assert page.status_code == 200
    assert b'data-testid="export-csv"' not in page.content
    assert b'data-testid="export-xlsx"' not in page.content
    for fmt in ("csv", "xlsx"):
        assert as_user("leading").get(reverse("talent:pool"), {"export": fmt}).status_code == 403
    assert not AuditEvent.objects.filter(event_type="talent.pool_exported").exists()
    page = as_user("office_c1").get(reverse("talent:pool"))
    assert b'data-testid="export-csv"' in page.content
    assert b'data-testid="export-xlsx"' in page.content


def test_an_export_says_what_it_holds_and_is_audited(as_user, user_named):
    """The file is named by the day and records its filters, sort and size on a second
    sheet; the export (names and posts leaving the system) is an audit event."""
    from xuncha.core.models import AuditEvent

    finance = Specialty.objects.get(code="finance")
    office = user_named("office")
    query = {
        "export": "xlsx",
        "specialty": finance.pk,
        "leader": "on",
        "min_rounds": "x",  # invalid: left out, not recorded as applied
        "sort": "-rounds",
    }
    response = as_user("office").get(reverse("talent:pool"), query, **EN)
    day = timezone.localdate().isoformat()
    assert f"inspector-pool-{day}.xlsx" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    pool_sheet, criteria = book.worksheets
    rows = pool_sheet.max_row - 1
    assert 0 < rows < InspectorProfile.objects.filter(in_pool=True).count()
    record = {r[0]: r[1] for r in criteria.iter_rows(min_row=2, values_only=True)}
    assert criteria.title == "Filters"
    assert record["Specialty"] == finance.name
    assert record["Leader pool only"] == "Yes"
    assert record["Status"] == "In the pool"
    assert record["Sorted by"] == "Rounds served (descending)"
    assert record["Rows"] == rows
    assert record["Exported by"] == office.display_name()
    assert "At least this many rounds" not in record
    event = AuditEvent.objects.filter(event_type="talent.pool_exported").latest("pk")
    assert event.actor_id == office.pk
    assert event.extra == {
        "format": "xlsx",
        "count": rows,
        "filters": {"specialty": str(finance.pk), "leader": "True"},
    }
    plain = as_user("office_c1").get(reverse("talent:pool"), {"export": "csv"})
    assert f"inspector-pool-{day}.csv" in plain["Content-Disposition"]
    b"".join(plain.streaming_content)
    event = AuditEvent.objects.filter(event_type="talent.pool_exported").latest("pk")
    assert event.extra["format"] == "csv" and event.extra["filters"] == {}


def test_pool_query_count_is_flat(as_user, user_named):
    client = as_user("office")
    url = reverse("talent:pool")
    client.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    first = count()
    county = Organisation.objects.get(code="C02")
    specialties = list(Specialty.objects.all()[:3])
    for person in Person.objects.filter(registry=county, inspector__isnull=True)[:20]:
        profile = services.inspector_create(
            actor=None, person=person, county=county, specialties=specialties
        )
        services.qualification_grant(
            actor=None,
            profile=profile,
            granted_on=dt.date(2026, 1, 1),
            expires_on=dt.date(2028, 1, 1),
        )
    assert count() == first


# -- hand-built inspectors: availability, rounds served, the leader pool ------------------------


@pytest.fixture
def newcomer(db) -> InspectorProfile:
    """A new inspector of county 1 with no windows, no rounds and no qualification."""
    county = Organisation.objects.get(code="C01")
    person = Person.objects.filter(registry=county, inspector__isnull=True).order_by("pk").first()
    return services.inspector_create(actor=None, person=person, county=county)


def _round(stage: str, start: dt.date, end: dt.date, name: str = "测试轮次") -> Round:
    """A round of county 1's committee stationed from ``start`` and reporting until ``end``."""
    round_ = Round.objects.create(
        committee=Organisation.objects.get(code="C01"), name=name, kind="routine", stage=stage
    )
    RoundStage.objects.create(
        round=round_, stage=Stage.STATIONING, start_date=start, end_date=start + dt.timedelta(9)
    )
    RoundStage.objects.create(
        round=round_, stage=Stage.REPORT, start_date=end - dt.timedelta(4), end_date=end
    )
    return round_


def _available(user, profile: InspectorProfile, day: dt.date) -> bool:
    today = dt.date(2031, 1, 1)
    found = selectors.pool_for(user, today=today, filters={"available_on": day, "status": "all"})
    return found.filter(pk=profile.pk).exists()


def test_available_without_windows_or_inside_one(user_named, newcomer):
    office = user_named("office")
    day = dt.date(2031, 6, 15)
    assert _available(office, newcomer, day)  # nothing recorded: nothing says otherwise
    services.availability_add(
        actor=None,
        profile=newcomer,
        start_date=dt.date(2031, 7, 1),
        end_date=dt.date(2031, 7, 31),
        note="",
    )
    assert not _available(office, newcomer, day)
    assert _available(office, newcomer, dt.date(2031, 7, 1))
    services.availability_add(
        actor=None,
        profile=newcomer,
        start_date=dt.date(2031, 6, 1),
        end_date=dt.date(2031, 6, 15),
        note="",
    )
    assert _available(office, newcomer, day)
    assert not _available(office, newcomer, day + dt.timedelta(days=1))


def test_serving_in_an_open_round_widened_by_rest_days_is_not_available(user_named, newcomer):
    office = user_named("office")
    TeamRules.objects.update_or_create(
        committee=Organisation.objects.get(code="C01"), defaults={"rest_days": 10}
    )
    start, end = dt.date(2031, 6, 10), dt.date(2031, 6, 25)
    round_ = _round(Stage.STATIONING, start, end)
    RoundRole.objects.create(profile=newcomer, round=round_, role="member")
    assert not _available(office, newcomer, dt.date(2031, 6, 15))
    # The rest days on either side count as serving; the day after them is free.
    assert not _available(office, newcomer, end + dt.timedelta(days=10))
    assert _available(office, newcomer, end + dt.timedelta(days=11))
    assert not _available(office, newcomer, start - dt.timedelta(days=10))
    assert _available(office, newcomer, start - dt.timedelta(days=11))
    # A closed round keeps nobody busy.
    Round.objects.filter(pk=round_.pk).update(stage=Stage.CLOSED)
    assert _available(office, newcomer, dt.date(2031, 6, 15))


def test_a_round_running_late_keeps_its_people_until_today(user_named, newcomer):
    office = user_named("office")
    TeamRules.objects.update_or_create(
        committee=Organisation.objects.get(code="C01"), defaults={"rest_days": 0}
    )
    round_ = _round(Stage.UNDERSTANDING, dt.date(2031, 1, 10), dt.date(2031, 2, 10))
    RoundRole.objects.create(profile=newcomer, round=round_, role="member")
    today = dt.date(2031, 6, 1)  # long after the planned end, and the teams are still at work

    def available(day: dt.date) -> bool:
        filters = {"available_on": day, "status": "all"}
        return (
            selectors.pool_for(office, today=today, filters=filters).filter(pk=newcomer.pk).exists()
        )

    assert not available(dt.date(2031, 3, 1)) and not available(today)
    assert available(today + dt.timedelta(days=1))  # nothing says how late it will run
    # Once its teams' work is done (rectification), the planned end counts again.
    Round.objects.filter(pk=round_.pk).update(stage=Stage.RECTIFICATION)
    assert available(dt.date(2031, 3, 1))


def test_availability_filter_reads_rounds_in_a_fixed_number_of_queries(user_named, newcomer):
    office = user_named("office")
    day = dt.date(2031, 6, 15)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            list(selectors.pool_for(office, today=day, filters={"available_on": day}))
        return len(ctx.captured_queries)

    round_ = _round(Stage.STATIONING, dt.date(2031, 6, 10), dt.date(2031, 6, 25))
    RoundRole.objects.create(profile=newcomer, round=round_, role="member")
    count()  # warms the user's grants
    first = count()
    taken = RoundRole.objects.filter(round=round_).values("profile_id")
    for profile in InspectorProfile.objects.filter(county__code="C01").exclude(pk__in=taken)[:5]:
        RoundRole.objects.create(profile=profile, round=round_, role="member")
    assert count() == first


def test_pool_page_explains_availability_and_rounds_served(as_user):
    page = as_user("office").get(reverse("talent:pool"), {"available_on": "2031-06-15"}, **EN)
    note = page.content.decode()
    assert 'data-testid="pool-filter-note"' in note
    assert "no availability window recorded" in note and "left preparation" in note
    assert page.status_code == 200


def test_rounds_served_counts_rounds_once_they_left_preparation(as_user, user_named, newcomer):
    office = user_named("office")
    today = timezone.localdate()

    def served() -> int:
        return selectors.pool_for(office, today=today).get(pk=newcomer.pk).rounds_done

    assert served() == 0
    round_ = _round(Stage.PREPARATION, today + dt.timedelta(30), today + dt.timedelta(60))
    RoundRole.objects.create(profile=newcomer, round=round_, role="member")
    assert served() == 0  # an accepted roster for a round still in preparation
    assert newcomer not in selectors.pool_for(office, today=today, filters={"min_rounds": 1})
    Round.objects.filter(pk=round_.pk).update(stage=Stage.STATIONING)
    assert served() == 1
    assert newcomer in selectors.pool_for(office, today=today, filters={"min_rounds": 1})
    page = as_user("office").get(reverse("talent:pool"), {"q": newcomer.person.name}, **EN)
    headers = [str(h["label"]) for h in page.context["headers"]]
    assert "Rounds served" in headers
    [row] = [r for r in page.context["rows"] if r.obj.pk == newcomer.pk]
    assert row.cells[headers.index("Rounds served")].value == 1


def _leader_cell(client, profile: InspectorProfile) -> str:
    page = client.get(reverse("talent:pool"), {"q": profile.person.name, "status": "all"}, **EN)
    headers = [str(h["label"]) for h in page.context["headers"]]
    [row] = [r for r in page.context["rows"] if r.obj.pk == profile.pk]
    return str(row.cells[headers.index("Leader pool")].value)


def test_leader_pool_column_agrees_with_the_leaders_filter(as_user, newcomer):
    client = as_user("office")
    assert _leader_cell(client, newcomer) == ""
    InspectorProfile.objects.filter(pk=newcomer.pk).update(leader_eligible=True)
    assert _leader_cell(client, newcomer) == "No (not qualified)"
    today = timezone.localdate()
    services.qualification_grant(
        actor=None,
        profile=newcomer,
        granted_on=today - dt.timedelta(days=30),
        expires_on=today + dt.timedelta(days=365),
    )
    assert _leader_cell(client, newcomer) == "Yes"
    newcomer.qualifications.update(expires_on=today - dt.timedelta(days=1))
    assert _leader_cell(client, newcomer) == "No (not qualified)"


def _cell(client, profile: InspectorProfile, header: str) -> str:
    page = client.get(reverse("talent:pool"), {"q": profile.person.name, "status": "all"}, **EN)
    headers = [str(h["label"]) for h in page.context["headers"]]
    [row] = [r for r in page.context["rows"] if r.obj.pk == profile.pk]
    return str(row.cells[headers.index(header)].value)


def test_someone_taken_out_of_the_pool_is_not_in_the_leader_pool(as_user, newcomer):
    client = as_user("office")
    today = timezone.localdate()
    InspectorProfile.objects.filter(pk=newcomer.pk).update(leader_eligible=True)
    services.qualification_grant(
        actor=None,
        profile=newcomer,
        granted_on=today - dt.timedelta(days=30),
        expires_on=today + dt.timedelta(days=365),
    )
    assert _leader_cell(client, newcomer) == "Yes"
    InspectorProfile.objects.filter(pk=newcomer.pk).update(
        in_pool=False, removed_reason="考核不合格"
    )
    assert _leader_cell(client, newcomer) == ""
    leaders = client.get(reverse("talent:pool"), {"leader": "on", "status": "all"})
    assert newcomer.pk not in {p.pk for p in leaders.context["page_obj"].paginator.object_list}
    page = client.get(reverse("talent:profile_detail", args=[newcomer.pk]), **EN)
    text = page.content.decode()
    assert 'data-testid="leader-pool"' not in text
    assert "Reason for removal: 考核不合格" in text


def test_a_qualification_running_out_soon_is_flagged_in_the_pool(as_user, newcomer):
    client = as_user("office")
    today = timezone.localdate()
    grant = services.qualification_grant(
        actor=None,
        profile=newcomer,
        granted_on=today - dt.timedelta(days=700),
        expires_on=today + dt.timedelta(days=200),
    )
    assert _cell(client, newcomer, "Qualified") == "Yes"
    grant.expires_on = today + dt.timedelta(days=13)
    grant.save()
    expected = f"Yes, expires on {grant.expires_on.isoformat()}"
    assert _cell(client, newcomer, "Qualified") == expected


def test_an_invalid_filter_is_marked_and_the_others_still_apply(as_user):
    client = as_user("office")
    finance = Specialty.objects.get(code="finance")
    page = client.get(reverse("talent:pool"), {"specialty": finance.pk, "min_rounds": "-1"}, **EN)
    rows = page.context["page_obj"].paginator.object_list
    assert rows.count() < InspectorProfile.objects.filter(in_pool=True).count()
    assert all(finance in p.specialties.all() for p in rows)
    text = page.content.decode()
    assert 'data-testid="filter-ignored"' in text
    assert 'id="id_min_rounds_error"' in text  # the id its aria-describedby names
    assert 'id="id_q_helptext"' in text and "zhangwj" in text
    assert 'aria-describedby="id_q_helptext"' in text


def test_an_implausible_day_is_marked_not_searched(as_user):
    page = as_user("office").get(reverse("talent:pool"), {"available_on": "1900-01-01"}, **EN)
    assert page.context["filter_form"].errors["available_on"] == [
        "A date before 1980-01-01 is not plausible here; check the year."
    ]
    everyone = InspectorProfile.objects.filter(in_pool=True).count()
    assert page.context["page_obj"].paginator.count == everyone


def test_the_pool_shows_and_filters_by_the_last_evaluation(as_user):
    from xuncha.talent.models import Evaluation

    county = InspectorProfile.objects.filter(county__code="C01", in_pool=True)
    evaluated = {e.profile_id: e for e in Evaluation.objects.filter(profile__in=county)}
    assert evaluated, "the demo evaluates the members of its closed rounds"
    page = as_user("office_c1").get(reverse("talent:pool"), {"sort": "-evaluation"}, **EN)
    labels = [str(h["label"]) for h in page.context["headers"]]
    column = labels.index("Last evaluation")
    rows = {r.obj.pk: r.cells[column].value for r in page.context["rows"]}
    latest = {}
    for e in Evaluation.objects.filter(profile__in=county).order_by("evaluated_at", "pk"):
        latest[e.profile_id] = e  # the last one wins
    shown = [pk for pk in rows if pk in latest]
    assert shown
    for pk in shown:
        assert rows[pk] == f"{latest[pk].get_grade_display()} ({latest[pk].score})"
    good = as_user("office_c1").get(reverse("talent:pool"), {"min_grade": "good"})
    kept = {p.pk for p in good.context["page_obj"].paginator.object_list}
    assert kept == {pk for pk, e in latest.items() if e.score >= 80}
    # Hidden on phones unless the list is filtered by it.
    assert page.context["headers"][column]["css"] == "d-none d-md-table-cell"
    filtered = as_user("office_c1").get(reverse("talent:pool"), {"min_grade": "good"}, **EN)
    assert filtered.context["headers"][column]["css"] == ""
