"""Coverage: which minimums apply (own, inherited, defaults), counting by method, group and
household, approval and interview records, the gate before the report stage, the pages
and the office's settings."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from xuncha.core.models import AuditEvent, AuditEventType, Organisation, OrganisationKind
from xuncha.fieldwork import activity_services as services
from xuncha.fieldwork import common, coverage
from xuncha.fieldwork.models import (
    CoverageMinimum,
    Interviewee,
    IntervieweeRole,
    InterviewRecord,
    Method,
)
from xuncha.rounds.models import Stage, Team

pytestmark = pytest.mark.django_db


def _today() -> dt.date:
    """The office's calendar day, read when a test runs (a run may cross midnight)."""
    return timezone.localdate()


def method(code: str) -> Method:
    return Method.objects.get(code=code)


def people(team: Team, n: int = 2) -> list[Any]:
    return [s.person for s in common.seats(team)][:n]


def record(actor: Any, team: Team, target: Organisation, code: str, **extra: Any) -> Any:
    values: dict[str, Any] = {
        "actor": actor,
        "team": team,
        "target": target,
        "method": method(code),
        "date": _today(),
        "title": "走访",
        "record": "记录",
        "participants": people(team),
    }
    values.update(extra)
    return services.activity_create(**values)


def talk_record(team: Team, target: Organisation, group: str, user: Any) -> InterviewRecord:
    asker, recorder = people(team)
    interviewee = Interviewee.objects.create(
        team=team,
        target=target,
        name="村支书",
        role=IntervieweeRole.MAIN_LEADER,
        source=Interviewee.Source.MUST,
        group=group,
    )
    return InterviewRecord.objects.create(
        team=team,
        interviewee=interviewee,
        interviewee_name="村支书",
        held_at=timezone.now(),
        place="村委会",
        asker=asker,
        recorder=recorder,
        created_by=user,
    )


def rows(*items: tuple[str, str, str, int]) -> list[services.MinimumInput]:
    return [services.MinimumInput(p, method(code), g, n) for p, code, g, n in items]


@pytest.fixture
def village(team: Team) -> Organisation:
    found = Organisation.objects.filter(kind=OrganisationKind.VILLAGE).order_by("pk").first()
    assert found is not None
    team.targets.add(found)
    return found


# -- which minimums apply ---------------------------------------------------------------------


def test_profile_of(target: Organisation, village: Organisation) -> None:
    assert coverage.profile_of(target) == "unit"
    assert coverage.profile_of(village) == "village"


def test_minimums_own_inherited_and_defaults(team: Team, user_named: Any) -> None:
    county = team.round.committee
    prefecture = county.parent
    while prefecture is not None and prefecture.kind != OrganisationKind.PREFECTURE:
        prefecture = prefecture.parent
    assert prefecture is not None
    defaults = coverage.minimums_for(county)
    assert coverage.minimums_source(county) is None
    assert len(defaults) == CoverageMinimum.objects.filter(committee=None).count()

    services.minimums_set(
        actor=user_named("office"),
        committee=prefecture,
        rows=rows(("unit", "hear_reports", "", 2)),
    )
    assert coverage.minimums_source(county) == prefecture
    assert [(m.method.code, m.minimum) for m in coverage.minimums_for(county)] == [
        ("hear_reports", 2)
    ]
    services.minimums_set(
        actor=user_named("office_c1"),
        committee=county,
        rows=rows(("unit", "forum", "", 1), ("unit", "sit_in", "", 0)),
    )
    assert [m.method.code for m in coverage.minimums_for(county)] == ["forum"]
    event = AuditEvent.objects.filter(
        event_type=AuditEventType.FIELDWORK_SETTINGS_SET, object_id=str(county.pk)
    ).latest("seq")
    assert event.after == {"minimums": [["unit", "forum", "", 1]]}

    services.minimums_inherit(actor=user_named("office_c1"), committee=county)
    assert coverage.minimums_source(county) == prefecture


def test_minimums_are_checked(team: Team, user_named: Any) -> None:
    county = team.round.committee
    office = user_named("office_c1")
    with pytest.raises(ValidationError, match="repeats"):
        services.minimums_set(
            actor=office,
            committee=county,
            rows=rows(("unit", "forum", "", 1), ("unit", "forum", "", 2)),
        )
    with pytest.raises(ValidationError, match="no visit groups"):
        services.minimums_set(
            actor=office, committee=county, rows=rows(("village", "forum", "visit_veterans", 1))
        )
    with pytest.raises(ValidationError, match="talk groups"):
        services.minimums_set(
            actor=office,
            committee=county,
            rows=rows(("village", "field_visit", "talk_secretary", 1)),
        )
    with pytest.raises(ValidationError, match="at least one minimum"):
        services.minimums_set(actor=office, committee=county, rows=[])


def test_a_retired_method_is_not_asked_for(team: Team) -> None:
    Method.objects.filter(code="forum").update(is_active=False)
    codes = {m.method.code for m in coverage.minimums_for(team.round.committee)}
    assert "forum" not in codes and "hear_reports" in codes


# -- counting ---------------------------------------------------------------------------------


def test_counting_by_group_and_household(
    team: Team, target: Organisation, village: Organisation, user_named: Any
) -> None:
    member = user_named("member")
    record(
        member,
        team,
        village,
        "field_visit",
        group="visit_veterans",
        households=[
            {"household": "老党员王家", "group": "visit_veterans"},
            {"household": "上访户李家", "group": "visit_petitioners"},
            {"household": "上访户赵家", "group": "visit_petitioners"},
        ],
    )
    record(
        member,
        team,
        village,
        "field_visit",
        households=[{"household": "低保户陈家", "group": "visit_minimum_income"}],
    )
    m = coverage.matrix(team)

    def cell(code: str, group: str = "", at: Organisation = village) -> Any:
        found = m.cell(at.pk, code, group)
        assert found is not None, (code, group)
        return found

    assert cell("field_visit").count == 2
    assert (
        cell("field_visit", "visit_veterans").count,
        cell("field_visit", "visit_veterans").state,
    ) == (1, "met")
    # Two petitioner households in one visit count once.
    assert cell("field_visit", "visit_petitioners").count == 1
    assert cell("field_visit", "visit_minimum_income").count == 1
    notables = cell("field_visit", "visit_notables")
    assert (notables.count, notables.minimum, notables.state) == (0, 1, "gap")
    # The unit has no village minimums: grey.
    assert cell("field_visit", "visit_veterans", at=target).state == "none"
    assert cell("field_visit", at=target).minimum == 1
    texts = coverage.gap_texts(team)
    assert f"{village.name}: Field visits (Visit: local notables) 0 of 1" in texts
    assert f"{target.name}: Field visits 0 of 1" in texts
    assert not any("Visit: veteran Party members" in t and village.name in t for t in texts)


def test_covert_visits_count_once_approved(
    team: Team, village: Organisation, user_named: Any
) -> None:
    visit = record(
        user_named("member"),
        team,
        village,
        "covert_visit",
        households=[{"household": "某户", "group": "visit_difficulty"}],
    )
    assert coverage.matrix(team).cell(village.pk, "covert_visit") is None
    services.activity_approve(actor=user_named("leader"), activity=visit)
    m = coverage.matrix(team)
    assert m.cell(village.pk, "covert_visit").count == 1  # type: ignore[union-attr]
    assert m.cell(village.pk, "covert_visit", "visit_difficulty").count == 1  # type: ignore[union-attr]


def test_talks_count_from_interview_records(
    team: Team, target: Organisation, village: Organisation, user_named: Any
) -> None:
    talk_record(team, village, "talk_secretary", user_named("member"))
    talk_record(team, target, "", user_named("member"))
    m = coverage.matrix(team)
    assert m.cell(village.pk, "individual_talk", "talk_secretary").state == "met"  # type: ignore[union-attr]
    assert m.cell(village.pk, "individual_talk", "talk_director").state == "gap"  # type: ignore[union-attr]
    unit = m.cell(target.pk, "individual_talk")
    assert unit is not None and (unit.count, unit.minimum) == (1, 10)


# -- the gate ---------------------------------------------------------------------------------


def test_the_team_leaves_understanding_once_covered(
    team: Team, target: Organisation, user_named: Any
) -> None:
    from xuncha.rounds import services as round_services

    office = user_named("office_c1")
    assert team.stage == Stage.UNDERSTANDING
    services.minimums_set(
        actor=office,
        committee=team.round.committee,
        rows=rows(("unit", "hear_reports", "", 1), ("unit", "covert_visit", "", 1)),
    )
    with pytest.raises(round_services.GateRefused) as refused:
        round_services.team_advance(actor=office, team=team)
    assert {m.code for m in refused.value.missing} == {
        f"coverage:{target.pk}:hear_reports:",
        f"coverage:{target.pk}:covert_visit:",
    }
    record(user_named("member"), team, target, "hear_reports")
    visit = record(user_named("member"), team, target, "covert_visit")
    with pytest.raises(round_services.GateRefused) as refused:
        round_services.team_advance(actor=office, team=team)
    assert [m.code for m in refused.value.missing] == [f"coverage:{target.pk}:covert_visit:"]
    services.activity_approve(actor=user_named("leader"), activity=visit)
    transition = round_services.team_advance(actor=office, team=team)
    assert transition.to_stage == Stage.REPORT and not transition.overridden
    assert coverage.gate_check(team, Stage.FEEDBACK) == []


def test_the_overview_lists_the_gaps(team: Team, target: Organisation, as_user: Any) -> None:
    page = as_user("member").get(reverse("fieldwork:team", args=[team.pk])).content.decode()
    assert f"{target.name}: " in page and 'data-testid="coverage-gaps"' in page


# -- pages ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("member", 200),
        ("deputy", 200),
        ("office", 200),
        ("liaison", 404),
        ("receiver", 404),
        ("leading", 404),
    ],
)
def test_who_may_see_the_coverage(team: Team, as_user: Any, username: str, status: int) -> None:
    client = as_user(username)
    assert client.get(reverse("fieldwork:coverage", args=[team.pk])).status_code == status
    assert client.get(reverse("fieldwork:coverage_export", args=[team.pk])).status_code == status


def test_the_coverage_page_and_export(
    team: Team, target: Organisation, user_named: Any, as_user: Any
) -> None:
    from openpyxl import load_workbook

    record(user_named("member"), team, target, "hear_reports")
    client = as_user("member")
    page = client.get(reverse("fieldwork:coverage", args=[team.pk])).content.decode()
    assert 'data-testid="coverage-matrix"' in page and 'data-state="met"' in page
    assert 'data-state="gap"' in page and "coverage-data" in page
    response = client.get(reverse("fieldwork:coverage_export", args=[team.pk]))
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    hear = next(r for r in values if r[0] == method("hear_reports").name)
    assert hear[2:4] == [1, 1]
    assert workbook.worksheets[1].max_row > 1  # the gaps
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.FIELDWORK_EXPORTED, object_id=str(team.pk)
    ).exists()


# -- the office's settings --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("office", 200),
        ("office_c1", 200),
        ("leader", 403),
        ("member", 403),
        ("liaison", 403),
        ("admin", 403),
    ],
)
def test_who_may_keep_the_settings(as_user: Any, username: str, status: int) -> None:
    client = as_user(username)
    forum = method("forum")
    for url in (
        reverse("fieldwork:methods"),
        reverse("fieldwork:method_new"),
        reverse("fieldwork:method_edit", args=[forum.pk]),
        reverse("fieldwork:minimums"),
    ):
        assert client.get(url).status_code == status, url
    assert client.post(reverse("fieldwork:method_new"), {}).status_code in (
        (200,) if status == 200 else (403,)
    )


def test_the_office_adds_and_changes_a_method(as_user: Any, user_named: Any) -> None:
    client = as_user("office_c1")
    data = {
        "code": "night_check",
        "name_zh": "夜间突击检查",
        "name_en": "Night checks",
        "min_participants": "2",
        "needs_approval": "on",
        "is_active": "on",
        "order": "200",
    }
    assert client.post(reverse("fieldwork:method_new"), data).status_code == 302
    added = Method.objects.get(code="night_check")
    assert added.needs_approval and added.min_participants == 2
    data.update({"code": "renamed", "min_participants": "3"})
    client.post(reverse("fieldwork:method_edit", args=[added.pk]), data)
    added.refresh_from_db()
    assert (added.code, added.min_participants) == ("night_check", 3)
    assert (
        AuditEvent.objects.filter(
            event_type=AuditEventType.FIELDWORK_SETTINGS_SET, object_id=str(added.pk)
        ).count()
        == 2
    )
    talk = method("individual_talk")
    with pytest.raises(ValidationError, match="two-to-one"):
        services.method_set(
            actor=user_named("office_c1"), method=talk, values={"min_participants": 1}
        )


def test_the_minimums_page_saves_and_inherits(team: Team, as_user: Any) -> None:
    county = team.round.committee
    client = as_user("office_c1")
    url = reverse("fieldwork:minimums") + f"?committee={county.pk}"
    page = client.get(url).content.decode()
    assert 'data-testid="minimums-origin"' in page
    forum = method("forum")
    data = {
        "min-TOTAL_FORMS": "2",
        "min-INITIAL_FORMS": "0",
        "min-0-profile": "unit",
        "min-0-method": str(forum.pk),
        "min-0-group": "",
        "min-0-minimum": "2",
        "min-1-profile": "",
        "min-1-method": "",
        "min-1-group": "",
        "min-1-minimum": "",
    }
    assert client.post(url, data).status_code == 302
    assert [(m.method.code, m.minimum) for m in coverage.minimums_for(county)] == [("forum", 2)]
    assert coverage.minimums_source(county) == county
    assert client.post(url, {"inherit": "1"}).status_code == 302
    assert coverage.minimums_source(county) is None
    # A committee outside the user's care cannot be chosen: the form falls back to its own.
    other = Organisation.objects.filter(kind=OrganisationKind.COUNTY).exclude(pk=county.pk).first()
    if other is not None:
        page = client.get(reverse("fieldwork:minimums") + f"?committee={other.pk}").content.decode()
        assert county.name in page
