"""Team pages: the accepted roster as xlsx and docx, evaluations after a round (leader and
office), a committee's team rules, and declared conflicts on a profile."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from docx import Document
from openpyxl import load_workbook

from xuncha.core.models import AuditEvent, AuditEventType, Organisation
from xuncha.rounds.models import Round, Stage, Team
from xuncha.talent import services
from xuncha.talent.models import (
    Declaration,
    Evaluation,
    InspectorProfile,
    Release,
    RoundRole,
    TeamRules,
)

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def current_round(db) -> Round:
    """County 1's current round: the demo gave its teams their role rows."""
    return Round.objects.get(committee__code="C01", stage=Stage.STATIONING)


@pytest.fixture
def leader_team(user_named, current_round) -> Team:
    """The team inspecting the unit of the leader persona's grant, at the report stage."""
    target = user_named("leader").grants.get().organisation
    team = Team.objects.get(round=current_round, targets=target)
    Team.objects.filter(pk=team.pk).update(stage=Stage.REPORT)
    team.refresh_from_db()
    return team


def _events(kind: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=kind).order_by("seq"))


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _roster_names(round_: Round) -> list[list[str]]:
    """Names per team in team order, leader first, then deputies, then members."""
    order = {"leader": 0, "deputy": 1, "member": 2}
    result = []
    for team in Team.objects.filter(round=round_).order_by("id"):
        roles = sorted(
            RoundRole.objects.filter(team=team).select_related("profile__person"),
            key=lambda r: (order[r.role], r.pk),
        )
        if roles:
            result.append([r.profile.person.name for r in roles])
    return result


# -- roster exports -------------------------------------------------------------------------------


def test_roster_xlsx_lists_the_roster_by_team_without_id_numbers(as_user, current_round):
    expected = _roster_names(current_round)
    assert len(expected) >= 2
    first = RoundRole.objects.filter(round=current_round, role="leader").order_by("team_id").first()
    release, _ = Release.objects.get_or_create(profile=first.profile, round=current_round)
    Release.objects.filter(pk=release.pk).update(confirmed=True, confirmed_on="2026-03-02")
    # A home post written like a formula must stay text.
    InspectorProfile.objects.filter(pk=first.profile_id).update(
        home_organisation=None, home_post="=HYPERLINK(1)"
    )
    before = len(_events(AuditEventType.ROSTER_EXPORTED))

    response = as_user("office_c1").get(
        reverse("talent:roster_xlsx", args=[current_round.pk]), **EN
    )

    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == current_round.name
    header = rows[1]
    assert header[0] == "Team" and header[3] == "Name"
    assert header[-1] == "Release confirmed by home unit"
    assert not any("ID" in str(h) for h in header)
    body = rows[2:]
    assert [r[3] for r in body] == [name for team in expected for name in team]
    assert body[0][2] == "Leader"
    assert body[0][5].startswith("'=HYPERLINK")
    assert body[0][11] == "Yes 2026-03-02"
    id_numbers = {
        r.profile.person.id_number
        for r in RoundRole.objects.filter(round=current_round).select_related("profile__person")
    } - {None, ""}
    flat = {str(v) for r in rows for v in r}
    assert not id_numbers & flat
    events = _events(AuditEventType.ROSTER_EXPORTED)
    assert len(events) == before + 1
    assert events[-1].object_id == str(current_round.pk)
    assert events[-1].extra["format"] == "xlsx"


def test_roster_docx_has_a_title_and_one_table_per_team(as_user, current_round):
    expected = _roster_names(current_round)
    response = as_user("office").get(reverse("talent:roster_docx", args=[current_round.pk]))
    assert response.status_code == 200
    assert "wordprocessingml" in response["Content-Type"]
    doc = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "巡察组组成人员名单" in text and current_round.name in text
    assert len(doc.tables) == len(expected)
    for table, names in zip(doc.tables, expected, strict=True):
        assert table.rows[0].cells[2].text == "姓名"
        assert table.rows[0].cells[9].text == "原单位确认抽调"
        # The same headings as the Chinese xlsx where the two share a column.
        assert [table.rows[0].cells[i].text for i in (6, 7)] == ["专业特长", "此前参加巡察轮数"]
        assert [row.cells[2].text for row in table.rows[1:]] == names
        assert table.rows[1].cells[1].text == "组长"
    event = _events(AuditEventType.ROSTER_EXPORTED)[-1]
    assert event.extra["format"] == "docx"
    # The document is Chinese in any language; the builder says so to others.
    url = reverse("talent:formation", args=[current_round.pk])
    assert b"roster-docx-note" in as_user("office").get(url, **EN).content
    assert b"roster-docx-note" not in as_user("office").get(url).content


def test_empty_roster_sends_back_to_the_team_builder(as_user, current_round):
    RoundRole.objects.filter(round=current_round).delete()
    before = len(_events(AuditEventType.ROSTER_EXPORTED))
    response = as_user("office_c1").get(
        reverse("talent:roster_xlsx", args=[current_round.pk]), **EN
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("talent:formation", args=[current_round.pk])
    assert any("no accepted roster" in m for m in _messages(response))
    assert len(_events(AuditEventType.ROSTER_EXPORTED)) == before


@pytest.mark.parametrize(
    ("persona", "status"),
    [("leader", 403), ("member", 403), ("leading", 403), ("receiver", 404), (None, 302)],
)
def test_roster_export_is_denied_outside_the_office(as_user, current_round, persona, status):
    for name in ("talent:roster_xlsx", "talent:roster_docx"):
        response = as_user(persona).get(reverse(name, args=[current_round.pk]))
        assert response.status_code == status


def test_county_office_cannot_export_another_countys_roster(as_user):
    other = Round.objects.filter(committee__code="C02").first()
    response = as_user("office_c1").get(reverse("talent:roster_xlsx", args=[other.pk]))
    assert response.status_code == 404


# -- evaluations ----------------------------------------------------------------------------------


def _member(team: Team) -> RoundRole:
    return (
        RoundRole.objects.filter(team=team, role="member").select_related("profile__person").first()
    )


def _post(client, team: Team, member: RoundRole, **fields):
    """Post one member's form as the page shows it now to this user (with the version it
    carries: a leader's covers the leader's fields only), unless ``seen`` is given."""
    import re

    url = reverse("talent:evaluate", args=[team.pk])
    page = client.get(url).content.decode()
    shown = re.search(rf'name="m{member.pk}-seen" value="(\w+)"', page)
    current = Evaluation.objects.filter(profile=member.profile, round=team.round).first()
    seen = shown.group(1) if shown else services.evaluation_version(current)
    data = {"member": member.pk, f"m{member.pk}-seen": seen}
    data.update({f"m{member.pk}-{k}": v for k, v in fields.items()})
    return client.post(url, data, **EN)


def test_evaluation_opens_at_the_report_stage(as_user, user_named, current_round):
    target = user_named("leader").grants.get().organisation
    team = Team.objects.get(round=current_round, targets=target)
    assert team.stage in (Stage.STATIONING, Stage.UNDERSTANDING)
    client = as_user("leader")
    page = client.get(reverse("talent:evaluate", args=[team.pk]), **EN)
    assert page.status_code == 200
    content = page.content.decode()
    assert "Evaluations open when the team reaches the Report stage." in content
    assert 'data-testid="evaluation-form"' not in content
    member = _member(team)
    response = _post(client, team, member, score=80, grade="good")
    assert response.status_code == 302
    assert any("Evaluations open" in m for m in _messages(response))
    assert not Evaluation.objects.filter(profile=member.profile, round=current_round).exists()


def test_leader_evaluates_and_updates_with_audit(as_user, leader_team):
    client = as_user("leader")
    member = _member(leader_team)
    page = client.get(reverse("talent:evaluate", args=[leader_team.pk]), **EN)
    assert member.profile.person.name in page.content.decode()

    response = _post(client, leader_team, member, score=88, grade="good", leader_comments="认真")
    assert response.status_code == 302
    evaluation = Evaluation.objects.get(profile=member.profile, round=leader_team.round)
    assert (evaluation.score, evaluation.grade, evaluation.leader_comments) == (88, "good", "认真")
    created = _events(AuditEventType.EVALUATION_RECORDED)[-1]
    assert created.before is None and created.after["score"] == 88

    _post(client, leader_team, member, score=71, grade="pass", leader_comments="尚可")
    assert Evaluation.objects.filter(profile=member.profile, round=leader_team.round).count() == 1
    evaluation.refresh_from_db()
    assert (evaluation.score, evaluation.grade) == (71, "pass")
    updated = _events(AuditEventType.EVALUATION_RECORDED)[-1]
    assert updated.before["score"] == 88 and updated.after["score"] == 71
    assert updated.before["grade"] == "good" and updated.after["grade"] == "pass"

    profile_page = as_user("office_c1").get(
        reverse("talent:profile_detail", args=[member.profile_id])
    )
    assert "尚可" in profile_page.content.decode()


def test_the_profile_shows_both_comments_line_by_line(as_user, leader_team):
    member = _member(leader_team)
    _post(
        as_user("leader"),
        leader_team,
        member,
        score=85,
        grade="good",
        leader_comments="一、认真\n二、细致",
    )
    _post(
        as_user("office_c1"),
        leader_team,
        member,
        score=85,
        grade="good",
        leader_comments="一、认真\n二、细致",
        office_comments="同意组长评价",
    )
    url = reverse("talent:profile_detail", args=[member.profile_id])
    page = as_user("office_c1").get(url).content.decode()
    assert "组长评语：一、认真<br>二、细致" in page
    assert "巡察办意见：同意组长评价" in page
    english = as_user("office_c1").get(url, **EN).content.decode()
    assert "Comments of the office: 同意组长评价" in english


def test_a_save_over_someone_elses_later_change_is_refused(as_user, leader_team):
    """The office opens the page, the leader then changes the score; the office's save
    (made on what it saw) would undo the leader's change, so it is refused and the form
    shows what is saved now."""
    import re

    leader, office = as_user("leader"), as_user("office_c1")
    member = _member(leader_team)
    _post(leader, leader_team, member, score=92, grade="excellent", leader_comments="优秀")
    page = office.get(reverse("talent:evaluate", args=[leader_team.pk]), **EN).content.decode()
    seen = re.search(rf'name="m{member.pk}-seen" value="(\w+)"', page).group(1)
    _post(leader, leader_team, member, score=96, grade="excellent", leader_comments="更新")
    stale = {"score": 92, "grade": "excellent", "leader_comments": "优秀", "seen": seen}
    response = _post(office, leader_team, member, **stale, office_comments="同意")
    assert response.status_code == 200
    content = response.content.decode()
    assert "saved this evaluation after you opened the page" in content
    assert f'name="m{member.pk}-score" value="96"' in content  # what is saved now
    evaluation = Evaluation.objects.get(profile=member.profile, round=leader_team.round)
    assert (evaluation.score, evaluation.leader_comments, evaluation.office_comments) == (
        96,
        "更新",
        "",
    )
    fresh = re.search(rf'name="m{member.pk}-seen" value="(\w+)"', content).group(1)
    again = {**stale, "score": 96, "leader_comments": "更新", "seen": fresh}
    assert _post(office, leader_team, member, **again, office_comments="同意").status_code == 302
    evaluation.refresh_from_db()
    assert (evaluation.score, evaluation.office_comments) == (96, "同意")


def test_leader_cannot_remove_from_the_pool_or_write_office_comments(as_user, leader_team):
    client = as_user("leader")
    member = _member(leader_team)
    page = client.get(reverse("talent:evaluate", args=[leader_team.pk]), **EN).content.decode()
    assert f"m{member.pk}-remove_from_pool" not in page
    assert f"m{member.pk}-office_comments" not in page

    _post(
        client,
        leader_team,
        member,
        score=40,
        grade="fail",
        leader_comments="多次擅离岗位",
        remove_from_pool="on",
        reason="组长想移出",
        office_comments="组长冒充办公室",
    )
    evaluation = Evaluation.objects.get(profile=member.profile, round=leader_team.round)
    assert evaluation.grade == "fail"
    assert not evaluation.remove_from_pool and evaluation.reason == ""
    assert evaluation.office_comments == ""
    member.profile.refresh_from_db()
    assert member.profile.in_pool


def test_an_office_opinion_keeps_the_leaders_name_on_the_evaluation(
    as_user, user_named, leader_team
):
    member = _member(leader_team)
    _post(as_user("leader"), leader_team, member, score=88, grade="good", leader_comments="认真")
    office = as_user("office_c1")
    _post(
        office,
        leader_team,
        member,
        score=88,
        grade="good",
        leader_comments="认真",
        office_comments="同意组长意见",
    )
    evaluation = Evaluation.objects.get(profile=member.profile, round=leader_team.round)
    leader, clerk = user_named("leader"), user_named("office_c1")
    assert (evaluation.scored_by, evaluation.office_by, evaluation.evaluated_by) == (
        leader,
        clerk,
        clerk,
    )
    page = office.get(reverse("talent:evaluate", args=[leader_team.pk]), **EN).content.decode()
    by = page.split(f'id="member-{member.pk}"')[1].split('data-testid="evaluation-by">')[1]
    assert by.startswith(
        f"Evaluated by {leader.display_name()} · office's opinion by {clerk.display_name()}"
    ), by[:200]
    # The office changing the score is the office's evaluation from then on.
    _post(
        office,
        leader_team,
        member,
        score=70,
        grade="pass",
        leader_comments="认真",
        office_comments="同意组长意见",
    )
    evaluation.refresh_from_db()
    assert evaluation.scored_by == clerk


def test_office_removes_and_a_leader_update_keeps_the_decision(as_user, leader_team):
    member = _member(leader_team)
    office = as_user("office_c1")
    page = office.get(reverse("talent:evaluate", args=[leader_team.pk]), **EN).content.decode()
    assert f"m{member.pk}-remove_from_pool" in page

    refused = _post(office, leader_team, member, score=50, grade="fail", remove_from_pool="on")
    assert refused.status_code == 200
    assert "needs a reason" in refused.content.decode()
    assert (
        not Evaluation.objects.filter(profile=member.profile)
        .filter(round=leader_team.round)
        .exists()
    )

    _post(
        office,
        leader_team,
        member,
        score=50,
        grade="fail",
        leader_comments="未按要求完成谈话任务",
        office_comments="多次擅离岗位",
        remove_from_pool="on",
        reason="考核不合格",
    )
    member.profile.refresh_from_db()
    assert not member.profile.in_pool and member.profile.removed_reason == "考核不合格"
    pool = office.get(reverse("talent:pool"))
    assert member.profile_id not in {r.obj.pk for r in pool.context["rows"]}
    removed = office.get(reverse("talent:pool"), {"status": "removed"})
    assert member.profile_id in {p.pk for p in removed.context["page_obj"].paginator.object_list}

    _post(as_user("leader"), leader_team, member, score=55, grade="fail", leader_comments="补充")
    evaluation = Evaluation.objects.get(profile=member.profile, round=leader_team.round)
    assert evaluation.score == 55 and evaluation.leader_comments == "补充"
    assert evaluation.remove_from_pool and evaluation.office_comments == "多次擅离岗位"
    member.profile.refresh_from_db()
    assert not member.profile.in_pool

    # The office withdraws its removal: the inspector is back in the pool.
    _post(office, leader_team, member, score=60, grade="pass", reason="")
    member.profile.refresh_from_db()
    assert member.profile.in_pool and member.profile.removed_reason == ""
    event = _events(AuditEventType.EVALUATION_RECORDED)[-1]
    assert event.before["remove_from_pool"] and not event.after["remove_from_pool"]
    assert event.after["profile"] == {"in_pool": True, "removed_reason": ""}


def test_evaluation_is_denied_to_members_and_other_teams_leaders(as_user, user_named, leader_team):
    assert as_user("member").get(reverse("talent:evaluate", args=[leader_team.pk])).status_code == (
        403
    )
    assert as_user("deputy").get(reverse("talent:evaluate", args=[leader_team.pk])).status_code == (
        403
    )
    assert as_user("receiver").get(
        reverse("talent:evaluate", args=[leader_team.pk])
    ).status_code == (404)
    target = user_named("leader").grants.get().organisation
    other = Team.objects.filter(round=leader_team.round).exclude(targets=target).first()
    assert as_user("leader").get(reverse("talent:evaluate", args=[other.pk])).status_code == 403
    member = _member(leader_team)
    denied = _post(as_user("member"), leader_team, member, score=99, grade="excellent")
    assert denied.status_code == 403
    assert not Evaluation.objects.filter(profile=member.profile, round=leader_team.round).exists()


def test_a_leaders_grant_reaches_only_the_team_they_lead(as_user, user_named, leader_team):
    """The grant is on the unit inspected; it does not outlive the leader's role: once
    someone else leads the team there, the grant opens nothing."""
    url = reverse("talent:evaluate", args=[leader_team.pk])
    assert as_user("leader").get(url).status_code == 200
    me = user_named("leader").person_id
    RoundRole.objects.filter(team=leader_team, profile__person_id=me).update(role="member")
    assert as_user("leader").get(url).status_code == 403
    card = as_user("leader").get(reverse("rounds:round_detail", args=[leader_team.round_id]))
    assert b'data-testid="evaluate-link"' not in card.content
    member = _member(leader_team)
    assert _post(as_user("leader"), leader_team, member, score=80, grade="good").status_code == 403


def test_a_county_office_does_not_evaluate_a_prefecture_round_in_its_county(as_user, user_named):
    """office_c1's grant covers its county; the cross round is the prefecture's, so its
    teams' members (from other counties too) are not the county's to evaluate, even on
    a team inspecting a unit in the county."""
    county = Organisation.objects.get(code="C01")
    cross = Round.objects.get(cross=True, stage=Stage.PREPARATION)
    team = cross.teams.order_by("pk").first()
    unit = Organisation.objects.filter(path__startswith=county.path, kind="township").first()
    team.targets.add(unit)  # whatever the demo drew, this team inspects a unit in C01
    profiles = InspectorProfile.objects.exclude(county=county).order_by("pk")[:2]
    for profile, role in zip(profiles, ("leader", "member"), strict=True):
        RoundRole.objects.create(profile=profile, round=cross, team=team, role=role)
    Team.objects.filter(pk=team.pk).update(stage=Stage.REPORT)
    url = reverse("talent:evaluate", args=[team.pk])
    assert as_user("office").get(url).status_code == 200
    assert as_user("office_c1").get(url).status_code == 403
    member = RoundRole.objects.get(team=team, role="member")
    assert _post(as_user("office_c1"), team, member, score=55, grade="fail").status_code == 403
    assert not Evaluation.objects.filter(round=cross).exists()
    card = as_user("office_c1").get(reverse("rounds:round_detail", args=[cross.pk]))
    assert card.status_code == 200 and b'data-testid="evaluate-link"' not in card.content
    card = as_user("office").get(reverse("rounds:round_detail", args=[cross.pk]))
    assert b'data-testid="evaluate-link"' in card.content


def test_a_form_without_the_version_it_showed_is_refused(as_user, leader_team):
    member = _member(leader_team)
    response = _post(as_user("leader"), leader_team, member, score=80, grade="good", seen="")
    assert response.status_code == 200
    assert "This page is out of date" in response.content.decode()
    assert not Evaluation.objects.filter(profile=member.profile, round=leader_team.round).exists()


def test_score_outside_the_grades_band_is_refused(as_user, leader_team):
    client = as_user("leader")
    member = _member(leader_team)

    refused = _post(client, leader_team, member, score=95, grade="fail")
    assert refused.status_code == 200
    form = next(r["form"] for r in refused.context["rows"] if r["member"].pk == member.pk)
    assert form.errors["score"] == ["A score of 95 does not fit the grade Fail (below 60)."]
    assert "A score of 95 does not fit the grade Fail (below 60)." in refused.content.decode()
    # Each card's form posts to its own anchor, so the refused page opens at the error.
    assert f'action="#member-{member.pk}"'.encode() in refused.content
    assert f'id="member-{member.pk}"'.encode() in refused.content
    assert not Evaluation.objects.filter(profile=member.profile, round=leader_team.round).exists()

    # An excellent (or failing) grade needs the leader's words for it.
    bare = _post(client, leader_team, member, score=95, grade="excellent")
    assert bare.status_code == 200
    form = next(r["form"] for r in bare.context["rows"] if r["member"].pk == member.pk)
    assert form.errors["leader_comments"] == ["A grade of Excellent needs comments saying why."]
    saved = _post(client, leader_team, member, score=95, grade="excellent", leader_comments="突出")
    assert saved.status_code == 302
    evaluation = Evaluation.objects.get(profile=member.profile, round=leader_team.round)
    assert (evaluation.score, evaluation.grade) == (95, "excellent")


def test_evaluation_page_lists_the_grade_bands(as_user, leader_team):
    page = as_user("leader").get(reverse("talent:evaluate", args=[leader_team.pk]), **EN)
    assert (
        "Excellent 90 or above · Good 80 to 89 · Pass 60 to 79 · Fail below 60"
        in page.content.decode()
    )


@pytest.mark.parametrize(
    ("score", "grade", "fits"),
    [
        (100, "excellent", True),
        (90, "excellent", True),
        (89, "excellent", False),
        (89, "good", True),
        (80, "good", True),
        (90, "good", False),
        (79, "good", False),
        (79, "pass", True),
        (60, "pass", True),
        (80, "pass", False),
        (59, "pass", False),
        (59, "fail", True),
        (0, "fail", True),
        (60, "fail", False),
    ],
)
def test_grade_band_boundaries(score, grade, fits):
    from django.utils import translation

    from xuncha.talent.team_forms import EvaluationForm

    with translation.override("en"):
        data = {"score": score, "grade": grade, "seen": "new", "leader_comments": "理由"}
        form = EvaluationForm(data, office=False)
        assert form.is_valid() is fits
        if not fits:
            assert list(form.errors) == ["score"]
            assert form.errors["score"][0].startswith(f"A score of {score} does not fit")


def test_evaluation_record_updates_in_place(user_named):
    """The service keeps its keyword signature; a second call updates the same row."""
    role = RoundRole.objects.filter(round__stage=Stage.CLOSED).select_related("round").first()
    first = Evaluation.objects.get(profile=role.profile, round=role.round)
    updated = services.evaluation_record(
        actor=user_named("office_c1"),
        profile=role.profile,
        round_=role.round,
        score=77,
        grade="pass",
    )
    assert updated.pk == first.pk and updated.score == 77
    assert updated.remove_from_pool == first.remove_from_pool  # left alone when not given


def test_the_service_refuses_a_score_outside_its_grade(user_named):
    """The bands hold for every caller (the demo, imports), not only the page's form."""
    role = RoundRole.objects.filter(round__stage=Stage.CLOSED).select_related("round").first()
    before = Evaluation.objects.get(profile=role.profile, round=role.round)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.evaluation_record(
            actor=user_named("office_c1"),
            profile=role.profile,
            round_=role.round,
            score=95,
            grade="fail",
        )
    assert refused.value.message_dict["score"] == [
        "A score of 95 does not fit the grade Fail (below 60)."
    ]
    after = Evaluation.objects.get(pk=before.pk)
    assert (after.score, after.grade) == (before.score, before.grade)


# -- team rules -----------------------------------------------------------------------------------


def _rules_data(committee: Organisation, **changes) -> dict:
    data = {
        "committee": committee.pk,
        "recent_years": 3,
        "long_service_years": 3,
        "colleague_years": 3,
        "superior_years": 3,
        "leader_kinship_classes": ["spouse", "direct_blood", "collateral", "close_in_law"],
        "member_kinship_classes": ["spouse", "direct_blood"],
        "village_hometown": "on",
        "rotation": "on",
        "min_experienced": 1,
        "max_first_timers": 3,
        "rest_days": 30,
        "size_min": 5,
        "size_max": 7,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_kinship_recusal_always_keeps_spouses(as_user, user_named):
    from xuncha.talent import formation_services

    county = Organisation.objects.get(code="C01")
    client = as_user("office_c1")
    data = _rules_data(county, member_kinship_classes=["direct_blood"])
    data.pop("leader_kinship_classes")
    refused = client.post(reverse("talent:team_rules"), data, **EN)
    assert refused.status_code == 200
    spouses = "Spouses are always included: kinship recusal cannot leave them out."
    assert refused.context["form"].errors == {
        "leader_kinship_classes": [spouses],
        "member_kinship_classes": [spouses],
    }
    assert not TeamRules.objects.filter(committee=county).exists()
    with pytest.raises(ValidationError) as refusal, translation.override("en"):
        formation_services.team_rules_set(
            actor=user_named("office_c1"), committee=county, values={"leader_kinship_classes": []}
        )
    assert refusal.value.message_dict == {"leader_kinship_classes": [spouses]}
    assert not _events(AuditEventType.TEAM_RULES_SET)


def test_team_rules_show_defaults_then_save(as_user):
    county = Organisation.objects.get(code="C01")
    client = as_user("office_c1")
    page = client.get(reverse("talent:team_rules"), **EN)
    assert page.status_code == 200
    assert page.context["committee"] == county
    assert page.context["origin"] == "defaults"
    assert "follows the default rules" in page.content.decode()
    assert "Collateral blood relatives within three generations" in page.content.decode()

    data = _rules_data(
        county, recent_years=5, member_kinship_classes=["spouse"], rotation=None, size_max=9
    )
    response = client.post(reverse("talent:team_rules"), data, **EN)
    assert response.status_code == 302
    assert response["Location"].endswith(f"?committee={county.pk}")
    rules = TeamRules.objects.get(committee=county)
    assert (rules.recent_years, rules.size_max, rules.rotation) == (5, 9, False)
    assert rules.member_kinship_classes == ["spouse"]
    event = _events(AuditEventType.TEAM_RULES_SET)[-1]
    assert event.object_id == str(county.pk) and event.after["recent_years"] == 5
    again = client.get(response["Location"], **EN)
    assert again.context["origin"] == "own"
    assert again.context["form"].initial["recent_years"] == 5
    assert b'data-testid="rules-clear"' in again.content
    # No higher committee has rules: removing them falls back to the defaults, said so,
    # with no stray space between the sentence and the button in Chinese.
    assert again.context["higher"] is None
    assert "Remove them and follow the default rules" in again.content.decode()
    chinese = client.get(response["Location"]).content.decode()
    assert re.search(r"）。<form[^>]*data-testid=\"rules-clear\"", chinese)
    # With rules of the prefecture, it names the prefecture.
    TeamRules.objects.create(committee=county.parent)
    higher = client.get(response["Location"], **EN)
    assert higher.context["higher"].committee == county.parent
    assert f"Remove them and follow the rules of {county.parent.name}" in higher.content.decode()
    TeamRules.objects.filter(committee=county.parent).delete()
    # Removing them returns the county to the defaults (the event keeps what they were).
    cleared = client.post(
        reverse("talent:team_rules"), {"committee": county.pk, "clear": "1"}, **EN
    )
    assert cleared.status_code == 302 and not TeamRules.objects.filter(committee=county).exists()
    event = _events(AuditEventType.TEAM_RULES_CLEARED)[-1]
    assert event.object_id == str(county.pk) and event.before["recent_years"] == 5
    page = client.get(cleared["Location"], **EN)
    assert page.context["origin"] == "defaults" and b'data-testid="rules-clear"' not in page.content
    assert page.context["form"].initial["recent_years"] == 3
    # Nothing left to remove: said so, nothing recorded.
    count = len(_events(AuditEventType.TEAM_RULES_CLEARED))
    again = client.post(reverse("talent:team_rules"), {"committee": county.pk, "clear": "1"}, **EN)
    assert any("has no rules of its own" in m for m in _messages(again))
    assert len(_events(AuditEventType.TEAM_RULES_CLEARED)) == count


def test_team_rules_inherited_from_the_prefecture(as_user):
    prefecture = Organisation.objects.get(code="P01")
    county = Organisation.objects.get(code="C02")
    client = as_user("office")
    assert client.get(reverse("talent:team_rules"), **EN).context["committee"] == prefecture
    client.post(reverse("talent:team_rules"), _rules_data(prefecture, rest_days=45), **EN)
    page = client.get(reverse("talent:team_rules"), {"committee": county.pk}, **EN)
    assert page.context["origin"] == "inherited"
    assert page.context["form"].initial["rest_days"] == 45
    assert prefecture.name in page.content.decode()


def test_team_rules_validation_errors_save_nothing(as_user):
    county = Organisation.objects.get(code="C01")
    client = as_user("office_c1")
    response = client.post(
        reverse("talent:team_rules"), _rules_data(county, size_min=6, size_max=4), **EN
    )
    assert response.status_code == 200
    assert "The largest team size is below the smallest." in response.content.decode()
    response = client.post(reverse("talent:team_rules"), _rules_data(county, recent_years=0), **EN)
    assert response.context["form"].errors["recent_years"]
    # More experienced people than the largest team has seats makes every team impossible.
    response = client.post(
        reverse("talent:team_rules"),
        _rules_data(county, size_max=7, min_experienced=9, max_first_timers=20),
        **EN,
    )
    errors = response.context["form"].errors
    assert errors["min_experienced"] == ["More than the largest team size (7)."]
    assert errors["max_first_timers"] == ["More than the largest team size (7)."]
    assert not TeamRules.objects.filter(committee=county).exists()


def test_team_rules_are_denied_outside_the_grant(as_user):
    for persona in ("leader", "leading", "member", "admin"):
        assert as_user(persona).get(reverse("talent:team_rules")).status_code == 403
    other = Organisation.objects.get(code="C02")
    client = as_user("office_c1")
    assert client.post(reverse("talent:team_rules"), _rules_data(other)).status_code == 404
    assert not TeamRules.objects.filter(committee=other).exists()
    committees = client.get(reverse("talent:team_rules")).context["picker"]
    assert list(committees.fields["committee"].queryset) == [Organisation.objects.get(code="C01")]


# -- declarations ---------------------------------------------------------------------------------


def _profile() -> InspectorProfile:
    return InspectorProfile.objects.filter(county__code="C01").select_related("county").first()


def test_declaration_is_recorded_and_listed(as_user):
    profile = _profile()
    unit = Organisation.objects.filter(
        path__startswith=profile.county.path, kind="unit", is_active=True
    ).first()
    client = as_user("office_c1")
    page = client.get(reverse("talent:profile_detail", args=[profile.pk]), **EN)
    assert 'data-testid="declaration-form"' in page.content.decode()
    assert unit in page.context["declaration_form"].fields["organisation"].queryset

    response = client.post(
        reverse("talent:declaration_create", args=[profile.pk]),
        {"organisation": unit.pk, "source": "target", "reason": "该单位主要负责人是其同学"},
        **EN,
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#declarations")
    declaration = Declaration.objects.get(profile=profile)
    assert (declaration.organisation, declaration.source) == (unit, "target")
    assert declaration.recorded_by.username == "office_c1"
    event = _events(AuditEventType.DECLARATION_RECORDED)[-1]
    assert event.object_id == str(profile.pk) and event.after["organisation"] == unit.pk
    content = client.get(reverse("talent:profile_detail", args=[profile.pk]), **EN)
    text = content.content.decode()
    assert "该单位主要负责人是其同学" in text and "Asked for by the target" in text
    assert unit.name in text


def test_a_conflict_declared_against_a_team_already_on_site_is_flagged(
    as_user, user_named, current_round
):
    """Team formation keeps future proposals apart; an accepted roster still on site is
    the office's to change, so it is told which team."""
    target = user_named("leader").grants.get().organisation
    team = Team.objects.get(round=current_round, targets=target)
    assert team.stage in (Stage.STATIONING, Stage.UNDERSTANDING)
    seat = _member(team)
    response = as_user("office_c1").post(
        reverse("talent:declaration_create", args=[seat.profile_id]),
        {"organisation": target.pk, "source": "self", "reason": "与该单位负责人系同学"},
        follow=True,
        **EN,
    )
    text = response.content.decode()
    assert f"is on the accepted roster of {team.name} ({current_round.name})" in text
    # Once the team has left the unit, nothing more to change there.
    Declaration.objects.filter(profile_id=seat.profile_id).delete()
    Team.objects.filter(pk=team.pk).update(stage=Stage.REPORT)
    response = as_user("office_c1").post(
        reverse("talent:declaration_create", args=[seat.profile_id]),
        {"organisation": target.pk, "source": "self", "reason": "与该单位负责人系同学"},
        follow=True,
        **EN,
    )
    assert "accepted roster" not in response.content.decode()


def test_declaration_refuses_bad_input_at_the_field(as_user):
    profile = _profile()
    unit = Organisation.objects.filter(path__startswith=profile.county.path, kind="unit").first()
    client = as_user("office_c1")
    url = reverse("talent:declaration_create", args=[profile.pk])
    no_reason = client.post(url, {"organisation": unit.pk, "source": "self", "reason": ""}, **EN)
    assert no_reason.status_code == 200
    assert no_reason.context["declaration_form"].errors["reason"]
    assert 'id="id_reason_error"' in no_reason.content.decode()
    nobody = client.post(url, {"organisation": unit.pk, "source": "nobody", "reason": "x"})
    assert nobody.status_code == 200 and nobody.context["declaration_form"].errors["source"]
    assert not Declaration.objects.filter(profile=profile).exists()
    data = {"organisation": unit.pk, "source": "self", "reason": "配偶在该单位"}
    assert client.post(url, data).status_code == 302
    again = client.post(url, data, **EN)
    assert again.status_code == 200
    assert "already recorded" in " ".join(again.context["declaration_form"].errors["organisation"])
    assert Declaration.objects.filter(profile=profile).count() == 1


def test_a_conflict_in_another_county_of_the_prefecture_can_be_declared(as_user):
    """A cross round sends inspectors to the other counties: a conflict there matters."""
    profile = _profile()
    elsewhere = (
        Organisation.objects.filter(kind="unit", is_active=True, path__startswith="/1/")
        .exclude(path__startswith=profile.county.path)
        .select_related("parent")
        .first()
    )
    # A county office is offered what it may see; the prefecture office, the prefecture.
    county_office = as_user("office_c1").get(reverse("talent:profile_detail", args=[profile.pk]))
    offered = county_office.context["declaration_form"].fields["organisation"].queryset
    assert offered.exists() and all(o.path.startswith(profile.county.path) for o in offered)
    client = as_user("office")
    page = client.get(reverse("talent:profile_detail", args=[profile.pk]), **EN)
    field = page.context["declaration_form"].fields["organisation"]
    assert elsewhere in field.queryset
    other_county = Organisation.objects.get(
        kind="county", pk__in=[int(p) for p in elsewhere.path.strip("/").split("/")]
    )
    # Option groups by county, the inspector's own first; the empty choice says what to do.
    empty, *groups = field.widget.choices
    assert empty[0] == "" and str(empty[1]) == "Choose an organisation"
    names = [name for name, _options in groups]
    assert names[0] == profile.county.name and other_county.name in names
    other = dict(groups)[other_county.name]
    assert elsewhere.pk in {pk for pk, _label in other}
    text = page.content.decode()
    assert f'<optgroup label="{other_county.name}">' in text
    response = client.post(
        reverse("talent:declaration_create", args=[profile.pk]),
        {"organisation": elsewhere.pk, "source": "self", "reason": "弟弟在该单位任职"},
    )
    assert response.status_code == 302
    assert Declaration.objects.filter(profile=profile, organisation=elsewhere).exists()


def test_a_declaration_is_withdrawn_with_audit(as_user, user_named):
    from xuncha.talent import formation_services

    profile = _profile()
    unit = Organisation.objects.filter(path__startswith=profile.county.path, kind="unit").first()
    declaration = formation_services.declaration_record(
        actor=user_named("office"), profile=profile, organisation=unit, source="self", reason="误录"
    )
    url = reverse("talent:declaration_delete", args=[declaration.pk])
    page = as_user("office_c1").get(reverse("talent:profile_detail", args=[profile.pk]))
    assert url in page.content.decode()
    assert (
        url
        not in as_user("leading")
        .get(reverse("talent:profile_detail", args=[profile.pk]))
        .content.decode()
    )
    assert as_user("leading").post(url).status_code == 403
    assert as_user("leader").post(url).status_code == 404
    response = as_user("office_c1").post(url, **EN)
    assert response["Location"].endswith("#declarations")
    assert not Declaration.objects.filter(pk=declaration.pk).exists()
    event = _events(AuditEventType.DECLARATION_WITHDRAWN)[-1]
    assert event.actor.username == "office_c1"
    assert event.before == {
        "declaration": declaration.pk,
        "organisation": unit.pk,
        "source": "self",
        "reason": "误录",
    }


def test_declarations_need_the_right_to_change_the_pool(as_user):
    profile = _profile()
    unit = Organisation.objects.filter(path__startswith=profile.county.path, kind="unit").first()
    page = as_user("leading").get(reverse("talent:profile_detail", args=[profile.pk]))
    assert page.context["declaration_form"] is None
    assert 'data-testid="declaration-form"' not in page.content.decode()
    data = {"organisation": unit.pk, "source": "self", "reason": "x"}
    url = reverse("talent:declaration_create", args=[profile.pk])
    assert as_user("leading").post(url, data).status_code == 403
    assert as_user("leader").post(url, data).status_code == 404
    assert as_user("office_c1").get(url).status_code == 405
    assert not Declaration.objects.filter(profile=profile).exists()


def test_profile_page_lists_declarations_for_readers(as_user, user_named):
    profile = _profile()
    unit = Organisation.objects.filter(path__startswith=profile.county.path, kind="unit").first()
    from xuncha.talent import formation_services

    formation_services.declaration_record(
        actor=user_named("office"),
        profile=profile,
        organisation=unit,
        source="self",
        reason="配偶在该单位任职",
    )
    page = as_user("leading").get(reverse("talent:profile_detail", args=[profile.pk]))
    assert "配偶在该单位任职" in page.content.decode()
    assert timezone.localdate().isoformat() in page.content.decode()


# -- query counts ---------------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_evaluation_page_query_count_is_flat(as_user, user_named, leader_team):
    client = as_user("office_c1")
    url = reverse("talent:evaluate", args=[leader_team.pk])
    client.get(url)
    first = _queries(client, url)
    for n, role in enumerate(RoundRole.objects.filter(team=leader_team)):
        services.evaluation_record(
            actor=user_named("leader"),
            profile=role.profile,
            round_=leader_team.round,
            score=70 + n,
            grade="pass",
        )
    assert _queries(client, url) == first


def test_roster_reads_in_a_fixed_number_of_queries(current_round):
    from xuncha.talent import roster

    with CaptureQueriesContext(connection) as ctx:
        roster.roster_of(current_round)
    first = len(ctx.captured_queries)
    team = Team.objects.filter(round=current_round).order_by("id").first()
    taken = RoundRole.objects.filter(round=current_round).values("profile_id")
    for profile in InspectorProfile.objects.filter(county__code="C01").exclude(pk__in=taken)[:4]:
        RoundRole.objects.create(profile=profile, round=current_round, team=team, role="member")
    with CaptureQueriesContext(connection) as ctx:
        teams = roster.roster_of(current_round)
    assert len(ctx.captured_queries) == first
    assert len(teams[0].lines) == 9


def test_changed_rules_name_the_values_a_run_was_formed_under():
    from xuncha.talent import teams

    now = TeamRules(committee=Organisation(name="x"))
    stored = teams.rules_to_store(now)
    assert teams.changed_rules(stored, now) == []
    # A run from before the rules were stored has nothing to compare.
    assert teams.changed_rules({}, TeamRules(committee=now.committee, rest_days=7)) == []
    earlier = {**stored, "leader_kinship_classes": [], "superior_years": 2}
    earlier["village_hometown"] = False
    with translation.override("zh-hans"):
        assert teams.changed_rules(earlier, now) == [
            "组长、副组长须回避的亲属：无",
            "上下级关系回避期限：2年",
            "村（社区）巡察：不核查籍贯地",
        ]
    with translation.override("en"):
        assert teams.changed_rules({**stored, "long_service_years": 9}, now) == [
            "recusal after working in the target within 3 years or for 9+ years"
        ]
        assert teams.changed_rules({**stored, "rest_days": 1}, now) == [
            "1 day of rest between rounds"
        ]


def test_a_qualification_running_out_during_the_round_is_flagged(as_user, current_round):
    """Qualified on the first day but not to the end, with nothing granted to take over:
    a warning on the roster (renewed in time, it goes)."""
    from xuncha.talent import teams
    from xuncha.talent.models import Qualification

    first, last = teams.round_period(current_round, timezone.localdate())
    assert last > first + dt.timedelta(days=3)
    role = RoundRole.objects.filter(round=current_round).select_related("profile").first()
    role.profile.qualifications.all().delete()
    Qualification.objects.create(
        profile=role.profile,
        granted_on=first - dt.timedelta(days=300),
        expires_on=first + dt.timedelta(days=3),
    )
    person = role.profile.person_id
    ends = first + dt.timedelta(days=3)
    assert teams.qualification_ends([person], first, last) == {person: ends}
    page = as_user("office_c1").get(reverse("talent:formation", args=[current_round.pk]), **EN)
    badges = page.content.decode().count('data-testid="roster-qualification-ends"')
    everyone = RoundRole.objects.filter(round=current_round).values_list(
        "profile__person_id", flat=True
    )
    assert badges == len(teams.qualification_ends(everyone, first, last)) >= 1
    assert f"qualification ends {ends.isoformat()}, during the round" in page.content.decode()
    Qualification.objects.create(
        profile=role.profile, granted_on=ends, expires_on=last + dt.timedelta(days=365)
    )
    assert teams.qualification_ends([person], first, last) == {}


def test_the_office_does_not_rewrite_the_leaders_comments(as_user, user_named, leader_team):
    """The office may rescore and gives its view in its own comments; the words under
    "Comments of the team leader" stay the leader's."""
    member = _member(leader_team)
    office = as_user("office_c1")
    url = reverse("talent:evaluate", args=[leader_team.pk])
    page = office.get(url, **EN).content.decode()
    assert f'name="m{member.pk}-leader_comments"' not in page
    assert f'name="m{member.pk}-office_comments"' in page
    assert "The leader's comments are the leader's own words" in page
    leader_page = as_user("leader").get(url, **EN).content.decode()
    assert f'name="m{member.pk}-leader_comments"' in leader_page
    assert 'data-testid="evaluation-office-note"' not in leader_page

    # Nothing saved yet: an Excellent from the office needs its own comments, asked for at
    # the field it can fill.
    refused = _post(office, leader_team, member, score=95, grade="excellent")
    assert refused.status_code == 200
    form = next(r["form"] for r in refused.context["rows"] if r["member"] == member)
    assert form.errors["office_comments"] == ["A grade of Excellent needs comments saying why."]

    _post(
        as_user("leader"), leader_team, member, score=92, grade="excellent", leader_comments="突出"
    )
    # A leader's comments posted by the office (a hand-made form) are ignored; the office's
    # rescoring stands, and the leader's comments still count for its grade.
    saved = _post(
        office, leader_team, member, score=95, grade="excellent", leader_comments="办公室改写"
    )
    assert saved.status_code == 302
    evaluation = Evaluation.objects.get(profile=member.profile, round=leader_team.round)
    assert (evaluation.score, evaluation.leader_comments) == (95, "突出")
    assert evaluation.scored_by == user_named("office_c1")
    event = AuditEvent.objects.filter(event_type=AuditEventType.EVALUATION_RECORDED).latest("seq")
    assert event.before["leader_comments"] == event.after["leader_comments"] == "突出"


def test_reading_evaluations_and_profiles_is_audited(as_user, user_named, leader_team):
    member = _member(leader_team)
    office = as_user("office_c1")
    before = AuditEvent.objects.count()
    assert office.get(reverse("talent:evaluate", args=[leader_team.pk])).status_code == 200
    assert office.get(reverse("talent:profile_detail", args=[member.profile_id])).status_code == 200
    events = list(AuditEvent.objects.order_by("seq")[before:])
    assert [(e.event_type, e.object_id, e.actor) for e in events] == [
        (AuditEventType.EVALUATIONS_READ, str(leader_team.pk), user_named("office_c1")),
        (AuditEventType.PROFILE_READ, str(member.profile_id), user_named("office_c1")),
    ]
    assert events[0].extra == {"round": leader_team.round_id}
    # A refused look reads nothing and records nothing.
    before = AuditEvent.objects.count()
    assert (
        as_user("member").get(reverse("talent:evaluate", args=[leader_team.pk])).status_code == 403
    )
    assert AuditEvent.objects.count() == before


def test_an_office_opinion_does_not_stop_the_leaders_save(as_user, leader_team):
    """The leader's form shows only the leader's fields: an office opinion saved after the
    leader opened the page changes nothing the leader sees, so the leader's save stands
    (and keeps the opinion)."""
    import re

    leader, office = as_user("leader"), as_user("office_c1")
    member = _member(leader_team)
    _post(leader, leader_team, member, score=85, grade="good", leader_comments="认真")
    page = leader.get(reverse("talent:evaluate", args=[leader_team.pk])).content.decode()
    seen = re.search(rf'name="m{member.pk}-seen" value="(\w+)"', page).group(1)
    _post(
        office,
        leader_team,
        member,
        score=85,
        grade="good",
        leader_comments="认真",
        office_comments="同意",
    )
    saved = _post(
        leader, leader_team, member, score=86, grade="good", leader_comments="认真细致", seen=seen
    )
    assert saved.status_code == 302
    evaluation = Evaluation.objects.get(profile=member.profile, round=leader_team.round)
    assert (evaluation.score, evaluation.office_comments) == (86, "同意")
    # A change to what the leader sees (the office rescoring) still stops a stale save.
    page = leader.get(reverse("talent:evaluate", args=[leader_team.pk])).content.decode()
    seen = re.search(rf'name="m{member.pk}-seen" value="(\w+)"', page).group(1)
    _post(office, leader_team, member, score=88, grade="good", leader_comments="认真细致")
    stale = _post(
        leader, leader_team, member, score=87, grade="good", leader_comments="x", seen=seen
    )
    assert stale.status_code == 200
    assert "saved this evaluation after you opened the page" in stale.content.decode()


def test_withdrawing_a_removal_asks_first_and_says_what_it_did(as_user, leader_team):
    office = as_user("office_c1")
    member = _member(leader_team)
    url = reverse("talent:evaluate", args=[leader_team.pk])
    fail = {"score": 50, "grade": "fail", "office_comments": "擅离岗位"}
    removed = _post(office, leader_team, member, **fail, remove_from_pool="on", reason="考核不合格")
    assert any(
        f"{member.profile.person.name} is taken out of the pool." in m for m in _messages(removed)
    )
    page = office.get(url, **EN).content.decode()
    box = re.search(rf'<input[^>]*name="m{member.pk}-remove_from_pool"[^>]*>', page).group(0)
    assert "data-confirm-unchecked=" in box and "goes back into the pool" in box
    back = _post(office, leader_team, member, **fail, reason="考核不合格")  # box unticked
    assert any(
        f"{member.profile.person.name} is back in the pool: the removal is withdrawn." in m
        for m in _messages(back)
    )
    evaluation = Evaluation.objects.get(profile=member.profile, round=leader_team.round)
    assert not evaluation.remove_from_pool and evaluation.reason == ""  # no stale reason
    member.profile.refresh_from_db()
    assert member.profile.in_pool
    page = office.get(url, **EN).content.decode()
    box = re.search(rf'<input[^>]*name="m{member.pk}-remove_from_pool"[^>]*>', page).group(0)
    assert "data-confirm-unchecked" not in box
