"""Rounds: schedules on the working-day calendar, stage gates with refusals and overrides,
the coverage ledger and the plan proposer as users drive them through the pages."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from xuncha.core.models import AuditEvent, AuditEventType, Organisation
from xuncha.rounds import selectors, services
from xuncha.rounds.models import (
    STAGE_ORDER,
    CommitteeTerm,
    HolidayOverride,
    Milestone,
    Round,
    RoundKind,
    Stage,
    Team,
)


@pytest.fixture
def county(db):
    return Organisation.objects.get(code="C01")


@pytest.fixture
def office(user_named):
    return user_named("office_c1")


def _units(county: Organisation, n: int) -> list[Organisation]:
    return list(Organisation.objects.filter(path__startswith=county.path, kind="unit")[:n])


def test_round_gets_a_contiguous_schedule_on_working_days(office, county):
    round_ = services.round_create(
        actor=office,
        committee=county,
        name="测试轮",
        kind="routine",
        start_date=dt.date(2026, 9, 14),
        teams=[("第一组", _units(county, 2))],
    )
    stages = list(round_.stages.order_by("start_date"))
    assert [s.stage for s in stages] == [s for s in STAGE_ORDER if s != Stage.CLOSED]
    for before, after in itertools.pairwise(stages):
        assert after.start_date > before.end_date
    # Stationing is counted in working days and the National Day holiday is skipped.
    stationing = next(s for s in stages if s.stage == Stage.STATIONING)
    assert stationing.start_date.weekday() < 5
    event = AuditEvent.objects.filter(event_type=AuditEventType.ROUND_CREATED).latest("seq")
    assert event.object_id == str(round_.pk) and "stationing" in event.after["stages"]


def test_rounds_beyond_the_holiday_data_use_the_override_table(office, county):
    HolidayOverride.objects.create(day=dt.date(2027, 10, 1), is_workday=False, name="国庆节")
    round_ = services.round_create(
        actor=office,
        committee=county,
        name="2027轮",
        kind="mobile",
        start_date=dt.date(2027, 9, 24),
    )
    stationing = round_.stages.get(stage=Stage.STATIONING)
    # Preparation of a mobile round is 7 days (to 30 Sep); stationing needs a working day.
    assert stationing.start_date == dt.date(2027, 10, 4)


def test_kind_rules(office, county):
    with pytest.raises(ValidationError):
        services.round_create(
            actor=office,
            committee=county,
            name="x",
            kind="thematic",
            start_date=dt.date(2026, 9, 1),
        )
    with pytest.raises(ValidationError):
        services.round_create(
            actor=office,
            committee=county,
            name="x",
            kind="lookback",
            start_date=dt.date(2026, 9, 1),
        )
    earlier = Round.objects.filter(committee=county).first()
    lookback = services.round_create(
        actor=office,
        committee=county,
        name="回头看",
        kind="lookback",
        lookback_of=earlier,
        start_date=dt.date(2026, 9, 1),
    )
    assert lookback.lookback_of == earlier


def test_the_stage_log_uses_the_languages_colon(as_user, office, county):
    round_ = services.round_create(
        actor=office,
        committee=county,
        name="日志",
        kind="routine",
        start_date=dt.date(2026, 9, 14),
        teams=[("第一组", _units(county, 1))],
    )
    services.milestone_record(
        actor=office, round_=round_, kind=Milestone.Kind.PLAN_APPROVED, date=dt.date(2026, 9, 1)
    )
    team = round_.teams.get()
    services.team_advance(actor=office, team=team, override_reason="测试")
    client = as_user("office_c1")
    url = reverse("rounds:round_detail", args=[round_.pk])
    chinese = client.get(url).content.decode()
    assert "第一组：准备 → 进驻" in chinese and "第一组: " not in chinese
    assert "整轮巡察：下一阶段为“进驻”" in chinese
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "第一组: Preparation → Stationing" in english
    assert "The whole round: next, the Stationing stage" in english


def test_gates_refuse_with_what_is_missing_then_pass(office, county):
    round_ = services.round_create(
        actor=office,
        committee=county,
        name="闸门",
        kind="routine",
        start_date=dt.date(2026, 9, 1),
        teams=[("第一组", _units(county, 1)), ("第二组", [])],
    )
    first, second = round_.teams.order_by("name")
    with translation.override("en"), pytest.raises(services.GateRefused) as refused:
        services.team_advance(actor=office, team=first)
    assert {m.code for m in refused.value.missing} == {"plan_approved", "notice_sent"}
    assert "approved" in str(refused.value)
    services.milestone_record(
        actor=office, round_=round_, kind=Milestone.Kind.PLAN_APPROVED, date=dt.date(2026, 9, 10)
    )
    services.milestone_record(
        actor=office,
        round_=round_,
        team=first,
        kind=Milestone.Kind.NOTICE_SENT,
        date=dt.date(2026, 9, 11),
    )
    services.team_advance(actor=office, team=first)
    first.refresh_from_db()
    assert first.stage == Stage.STATIONING
    # The second team has no target: refused even with the round-level approval.
    with pytest.raises(services.GateRefused) as refused:
        services.team_advance(actor=office, team=second)
    assert "targets" in {m.code for m in refused.value.missing}
    # The round cannot move while a team is behind, unless the office overrides.
    with pytest.raises(services.GateRefused) as refused:
        services.round_advance(actor=office, round_=round_)
    assert f"team:{second.name}" in {m.code for m in refused.value.missing}
    services.round_advance(actor=office, round_=round_, override_reason="第二组暂缓进驻")
    round_.refresh_from_db()
    assert round_.stage == Stage.STATIONING
    transition = round_.transitions.get(team=None)
    assert transition.overridden and transition.reason == "第二组暂缓进驻"
    event = AuditEvent.objects.filter(event_type=AuditEventType.STAGE_OVERRIDDEN).latest("seq")
    assert event.extra["reason"] == "第二组暂缓进驻" and event.extra["missing"]


def test_ledger_counts_and_rounds_remaining(db):
    term = CommitteeTerm.objects.get(committee__code="C01")
    ledger = selectors.ledger(term, dt.date(2026, 7, 1))
    total = selectors.term_organisations(term).count()
    assert sum(ledger.counts.values()) == total == len(ledger.rows)
    assert ledger.counts["covered"] > 0 and ledger.counts["uncovered"] > 0
    covered = [r for r in ledger.rows if r.status == "covered"]
    assert all(
        STAGE_ORDER.index(r.team.stage) >= STAGE_ORDER.index(Stage.FEEDBACK) for r in covered
    )
    # Three rounds a year over the 14 months left, minus none planned ahead.
    assert ledger.rounds_remaining == 3


def test_office_plans_the_rest_of_the_term_and_accepts(as_user):
    term = CommitteeTerm.objects.get(committee__code="C01")
    client = as_user("office_c1")
    params = {
        "first_start": "2026-09-01",
        "rounds_per_year": 3,
        "teams_per_round": 3,
        "team_capacity": "3",
        "village_weight": "0.25",
        "township_with_villages": "on",
    }
    page = client.get(reverse("rounds:term_plan", args=[term.pk]), params)
    assert page.status_code == 200
    proposal = page.context["proposal"]
    uncovered = selectors.ledger(term, dt.date(2026, 7, 1)).counts["uncovered"]
    placed = sum(len(t.target_ids) for s in proposal.slots for t in s.teams)
    assert placed + len(proposal.unplaced) == uncovered
    rounds_before = term.rounds.count()
    response = client.post(reverse("rounds:term_plan", args=[term.pk]), {**params, "accept": "1"})
    assert response.status_code == 302
    created = term.rounds.count() - rounds_before
    assert created == sum(1 for s in proposal.slots if s.teams)
    after = selectors.ledger(term, dt.date(2026, 7, 1)).counts
    assert after["uncovered"] == len(proposal.unplaced)
    assert AuditEvent.objects.filter(event_type=AuditEventType.PLAN_ACCEPTED).exists()


def test_plan_with_too_little_capacity_says_what_does_not_fit(as_user, office, county):
    from xuncha.core import services as core_services

    for i in range(4):
        core_services.organisation_create(
            actor=office,
            name=f"新设单位{i}",
            code=f"N{i}",
            kind="unit",
            parent=county,
            committee=county,
        )
    term = CommitteeTerm.objects.get(committee__code="C01")
    params = {
        "first_start": "2027-06-01",
        "rounds_per_year": 1,
        "teams_per_round": 1,
        "team_capacity": "1",
        "village_weight": "0.25",
    }
    page = as_user("office_c1").get(reverse("rounds:term_plan", args=[term.pk]), params)
    assert not page.context["proposal"].complete
    assert b'data-testid="plan-incomplete"' in page.content
    assert page.context["unplaced"] and all(reason for _org, reason in page.context["unplaced"])


@pytest.mark.parametrize("kind", RoundKind.values)
def test_create_a_round_of_each_kind_through_the_form(kind, as_user, county):
    client = as_user("office_c1")
    earlier = Round.objects.filter(committee=county).first()
    data = {
        "name": f"{kind}轮",
        "kind": kind,
        "start_date": "2026-10-12",
        "committee": county.pk,
        "targets": [u.pk for u in _units(county, 2)],
        "subject": "惠民资金" if kind == "thematic" else "",
        "lookback_of": earlier.pk if kind == "lookback" else "",
        "cross": "on",
    }
    response = client.post(reverse("rounds:round_create"), data)
    round_ = Round.objects.get(name=f"{kind}轮")
    assert response["Location"] == reverse("rounds:round_detail", args=[round_.pk])
    assert round_.cross and round_.teams.get().targets.count() == 2
    page = client.get(response["Location"])
    assert page.status_code == 200 and b'data-chart="gantt"' in page.content


def test_refused_gate_and_override_through_the_page(as_user, county):
    client = as_user("office_c1")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    round_ = services.round_create(
        actor=None,
        committee=county,
        name="页面闸门",
        kind="routine",
        start_date=dt.date(2026, 9, 1),
        teams=[("第一组", _units(county, 1))],
    )
    team = round_.teams.get()
    page = client.get(reverse("rounds:round_detail", args=[round_.pk]))
    assert b'data-testid="gate-missing"' in page.content
    refused = client.post(reverse("rounds:team_advance", args=[team.pk]), follow=True)
    assert "Not yet" in refused.content.decode()
    team.refresh_from_db()
    assert team.stage == Stage.PREPARATION
    client.post(
        reverse("rounds:milestone_create", args=[round_.pk]),
        {"kind": "plan_approved", "date": "2026-09-05", "note": ""},
    )
    client.post(
        reverse("rounds:team_advance", args=[team.pk]),
        {"override_reason": "通知已电话告知，书面通知补发"},
    )
    team.refresh_from_db()
    assert team.stage == Stage.STATIONING
    assert team.transitions.get().missing == ["notice_sent"]


def test_a_unit_is_inspected_by_one_team_of_a_round(as_user, office, county):
    round_ = Team.objects.filter(round__committee=county).first().round
    taken = round_.teams.order_by("pk").first()
    unit = taken.targets.order_by("pk").first()
    free = (
        Organisation.objects.filter(path__startswith=county.path, kind="unit")
        .exclude(inspecting_teams__round=round_)
        .first()
    )
    teams_before = round_.teams.count()
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        services.team_create(actor=office, round_=round_, name="重复", targets=[free, unit])
    assert refused.value.message_dict["targets"] == [
        f"Already inspected by another team of this round: {unit.name} ({taken.name})"
    ]
    # On the page: said, not a server error, and nothing added.
    response = as_user("office_c1").post(
        reverse("rounds:team_create", args=[round_.pk]),
        {"name": "重复", "targets": [free.pk, unit.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert response.status_code == 200
    assert "The team could not be added: Already inspected by another team" in (
        response.content.decode()
    )
    assert round_.teams.count() == teams_before
    # Another round may inspect the unit again.
    services.team_create(
        actor=office, round_=_other_round(office, county), name="再巡", targets=[unit]
    )


def _other_round(office, county):
    return services.round_create(
        actor=office,
        committee=county,
        name="另一轮",
        kind="routine",
        start_date=dt.date(2026, 9, 14),
    )


def test_team_card_uses_the_gate_the_advance_uses(as_user, county):
    """QA: a team in the understanding stage showed "Ready for report" while the click was
    refused for missing method coverage (a check fieldwork adds to the gate). The card must
    list what the advance would refuse for, offer the override box, and the override move."""
    from xuncha.rounds import gates

    def check(team, to_stage):
        if to_stage != Stage.REPORT:
            return []
        return [gates.Missing("coverage:test", "个别谈话 2 次（至少 10 次）")]

    client = as_user("office_c1")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    round_ = services.round_create(
        actor=None,
        committee=county,
        name="闸门一致",
        kind="routine",
        start_date=dt.date(2026, 9, 1),
        teams=[("第一组", _units(county, 1))],
    )
    team = round_.teams.get()
    for kind in ("plan_approved", "notice_sent", "mobilisation_meeting", "channels_published"):
        services.milestone_record(actor=None, round_=round_, kind=kind, date=dt.date(2026, 9, 1))
    services.team_advance(actor=None, team=team)
    services.team_advance(actor=None, team=team)
    team.refresh_from_db()
    assert team.stage == Stage.UNDERSTANDING
    url = reverse("rounds:round_detail", args=[round_.pk])
    gates.register_team_check(check)
    try:
        page = client.get(url).content.decode()
        assert 'data-testid="gate-open"' not in page
        assert 'data-testid="gate-missing"' in page and "个别谈话 2 次（至少 10 次）" in page
        assert f'id="reason-{team.pk}"' in page  # the override box
        refused = client.post(reverse("rounds:team_advance", args=[team.pk]), follow=True)
        assert "个别谈话 2 次（至少 10 次）" in refused.content.decode()
        team.refresh_from_db()
        assert team.stage == Stage.UNDERSTANDING
        client.post(
            reverse("rounds:team_advance", args=[team.pk]),
            {"override_reason": "谈话记录在纸质底稿中，稍后补录"},
        )
        team.refresh_from_db()
        assert team.stage == Stage.REPORT
        assert "coverage:test" in team.transitions.order_by("-pk").first().missing
    finally:
        gates._TEAM_CHECKS.remove(check)
    # Without a gap (and with no check) the card says ready and offers no override box.
    services.milestone_record(
        actor=None, round_=round_, kind="report_filed", date=dt.date(2026, 11, 1)
    )
    page = client.get(url).content.decode()
    assert 'data-testid="gate-open"' in page and f'id="reason-{team.pk}"' not in page


def test_team_roles_see_their_round_but_not_others(as_user, user_named):
    member = user_named("member")
    unit = member.grants.get().organisation
    theirs = Team.objects.filter(targets=unit).first().round
    assert (
        as_user("member").get(reverse("rounds:round_detail", args=[theirs.pk])).status_code == 200
    )
    other = Round.objects.exclude(teams__targets=unit).exclude(
        committee__path__startswith=unit.path
    )
    assert (
        as_user("member").get(reverse("rounds:round_detail", args=[other.first().pk])).status_code
        == 404
    )
    listed = {r.obj.pk for r in as_user("member").get(reverse("rounds:round_list")).context["rows"]}
    assert theirs.pk in listed and other.first().pk not in listed


def test_a_round_names_the_teams_behind_in_the_rounds_order(county, as_user):
    # Sorted by name, 第三组 came before 第二组 (by code point); the round's order is kept.
    names = ["第一组", "第二组", "第三组", "第十组"]
    round_ = services.round_create(
        actor=None,
        committee=county,
        name="顺序",
        kind="routine",
        start_date=dt.date(2026, 9, 1),
        teams=[(name, [unit]) for name, unit in zip(names, _units(county, 4), strict=True)],
    )
    services.milestone_record(
        actor=None, round_=round_, kind=Milestone.Kind.PLAN_APPROVED, date=dt.date(2026, 9, 1)
    )
    round_.teams.update(stage=Stage.PREPARATION)
    with pytest.raises(services.GateRefused) as refused:
        services.round_advance(actor=None, round_=round_)
    codes = [m.code for m in refused.value.missing if m.code.startswith("team:")]
    assert codes == [f"team:{name}" for name in names]
    # On the page the refusal reads as one sentence: no stop before each semicolon.
    client = as_user("office_c1")
    response = client.post(reverse("rounds:round_advance", args=[round_.pk]), follow=True)
    said = " ".join(str(m) for m in response.context["messages"])
    assert "第一组仍处于“准备”阶段；第二组" in said and "。；" not in said
    assert said.endswith("第十组仍处于“准备”阶段。")
    english = client.post(
        reverse("rounds:round_advance", args=[round_.pk]), follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    said = " ".join(str(m) for m in english.context["messages"])
    assert "第一组 is still in the Preparation stage; 第二组" in said and ".;" not in said


def test_the_round_list_marks_cross_and_escalated_rounds(as_user, county):
    cross = Round.objects.filter(committee=county).first()
    Round.objects.filter(pk=cross.pk).update(cross=True, escalated=True)
    plain = Round.objects.filter(committee=county, cross=False, escalated=False, extended=False)
    client = as_user("office_c1")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    rows = {r.obj.pk: r for r in client.get(reverse("rounds:round_list")).context["rows"]}
    kinds = {pk: [c.value for c in row.cells][2] for pk, row in rows.items()}
    assert kinds[cross.pk] == f"{cross.get_kind_display()}\u00a0· Escalated\u00a0· Cross"
    assert plain.exists() and all(
        kinds[r.pk] == str(r.get_kind_display()) for r in plain if r.pk in kinds
    )
    response = client.get(reverse("rounds:round_list"), {"export": "csv"})
    export = b"".join(response.streaming_content).decode()
    assert "Escalated\u00a0· Cross" in export


@pytest.mark.parametrize("name", ["rounds:term_detail", "rounds:round_list", "rounds:round_detail"])
def test_query_counts_do_not_grow(name, as_user, county, office):
    term = CommitteeTerm.objects.get(committee=county)
    round_ = Team.objects.filter(round__term=term).first().round
    kwargs = {"rounds:term_detail": {"pk": term.pk}, "rounds:round_detail": {"pk": round_.pk}}
    url = reverse(name, kwargs=kwargs.get(name, {}))
    client = as_user("office_c1")
    client.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    first = count()
    # Units no team of the round inspects yet: a unit has one team per round.
    spare = list(
        Organisation.objects.filter(path__startswith=county.path, kind="unit").exclude(
            inspecting_teams__round=round_
        )[:18]
    )
    for i in range(6):
        units = spare[3 * i : 3 * i + 3]
        services.team_create(actor=office, round_=round_, name=f"增{i}", targets=units)
        services.milestone_record(
            actor=office,
            round_=round_,
            kind="notice_sent",
            date=dt.date(2026, 1, 1),
            team=round_.teams.last(),
        )
        services.round_create(
            actor=office,
            committee=county,
            term=term,
            name=f"增轮{i}",
            kind="routine",
            start_date=dt.date(2026, 9, 1),
            teams=[("第一组", _units(county, 2))],
        )
    assert count() == first


def test_office_creates_a_term(as_user, county):
    client = as_user("office_c1")
    bad = client.post(
        reverse("rounds:term_create"),
        {
            "committee": county.pk,
            "name": "第十六届",
            "start_date": "2027-09-01",
            "end_date": "2027-01-01",
            "rounds_per_year": 3,
            "teams_per_round": 4,
            "team_capacity": "3",
        },
    )
    assert bad.status_code == 200 and not CommitteeTerm.objects.filter(name="第十六届").exists()
    ok = client.post(
        reverse("rounds:term_create"),
        {
            "committee": county.pk,
            "name": "第十六届",
            "start_date": "2027-09-01",
            "end_date": "2032-08-31",
            "rounds_per_year": 3,
            "teams_per_round": 4,
            "team_capacity": "3",
        },
    )
    term = CommitteeTerm.objects.get(name="第十六届")
    assert ok["Location"] == reverse("rounds:term_detail", args=[term.pk])
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.TERM_CREATED, object_id=str(term.pk)
    ).exists()
    other = Organisation.objects.get(code="C02")
    refused = client.post(
        reverse("rounds:term_create"),
        {
            "committee": other.pk,
            "name": "越权",
            "start_date": "2027-09-01",
            "end_date": "2032-08-31",
            "rounds_per_year": 3,
            "teams_per_round": 4,
            "team_capacity": "3",
        },
    )
    assert refused.status_code == 200 and not CommitteeTerm.objects.filter(name="越权").exists()
