"""The demo's rounds: besides the round under way (whose team is still on site), a round
whose team is past the point where members are evaluated, walked there through its gates,
with a leader account that can evaluate at once (QA: issue #4's "after the round the leader
evaluates members and the pool reflects it" could not be tried in the demo)."""

from __future__ import annotations

from django.urls import reverse

from xuncha.core.demo.generator import REFERENCE_DATE
from xuncha.rounds import services
from xuncha.rounds.demo import PAST_ROUND_REASON
from xuncha.rounds.models import STAGE_ORDER, Stage, StageTransition, Team
from xuncha.talent.demo import RECENT_LEADER
from xuncha.talent.models import Evaluation, RoundRole
from xuncha.talent.services import EVALUATION_OPENS

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _recent_team(user_named) -> Team:
    """The team the account leads, on the unit of its grant (in a small demo the unit may
    also have been inspected by an earlier, closed round)."""
    user = user_named(RECENT_LEADER)
    return Team.objects.select_related("round").get(
        targets=user.grants.get().organisation,
        roles__role="leader",
        roles__profile__person=user.person_id,
    )


def test_the_demo_has_a_team_ready_for_evaluation_with_its_leader(user_named):
    team = _recent_team(user_named)
    round_ = team.round
    assert STAGE_ORDER.index(team.stage) >= STAGE_ORDER.index(EVALUATION_OPENS)
    assert round_.stage == team.stage == Stage.REPORT
    # The planned dates agree with the stage: its report stage is on at the demo date.
    report = round_.stages.get(stage=Stage.REPORT)
    assert report.start_date < REFERENCE_DATE <= report.end_date
    # Every stage was entered through its gate: milestones on record, and only the method
    # coverage (no records in the demo) passed by override, with the demo's reason.
    moves = StageTransition.objects.filter(round=round_)
    assert {m.to_stage for m in moves.filter(team=team)} == set(
        STAGE_ORDER[1 : STAGE_ORDER.index(Stage.REPORT) + 1]
    )
    for move in moves.filter(overridden=True):
        assert move.reason == PAST_ROUND_REASON
        assert all(code.startswith("coverage:") for code in move.missing)
    # The account leads the team; the other members wait for their evaluation.
    roles = RoundRole.objects.filter(team=team).select_related("profile")
    leader = roles.get(role="leader")
    assert leader.profile.person_id == user_named(RECENT_LEADER).person_id
    assert roles.filter(role="member").count() >= 2
    assert not Evaluation.objects.filter(round=round_).exists()
    # Nobody on it serves in the round under way.
    on_site = RoundRole.objects.filter(
        round__stage__in=[Stage.STATIONING, Stage.UNDERSTANDING]
    ).values("profile")
    assert not roles.filter(profile__in=on_site).exists()


def test_the_demo_leader_evaluates_at_once(as_user, user_named):
    team = _recent_team(user_named)
    client = as_user(RECENT_LEADER)
    card = client.get(reverse("rounds:round_detail", args=[team.round_id]), **EN)
    assert b'data-testid="evaluate-link"' in card.content
    assert b"Evaluate the members</a>" in card.content
    page = client.get(reverse("talent:evaluate", args=[team.pk]), **EN)
    assert page.status_code == 200 and page.context["is_open"]
    assert b'data-testid="evaluation-form"' in page.content
    member = RoundRole.objects.filter(team=team, role="member").order_by("pk").first()
    response = client.post(
        reverse("talent:evaluate", args=[team.pk]),
        {
            "member": member.pk,
            f"m{member.pk}-score": 85,
            f"m{member.pk}-grade": "good",
            f"m{member.pk}-leader_comments": "认真",
            f"m{member.pk}-seen": next(
                r["form"].initial["seen"] for r in page.context["rows"] if r["member"] == member
            ),
        },
        **EN,
    )
    assert response.status_code == 302
    evaluation = Evaluation.objects.get(round=team.round, profile=member.profile)
    assert (evaluation.score, evaluation.grade) == (85, "good")


def test_the_home_page_asks_the_leader_to_evaluate_until_everyone_is(as_user, user_named):
    from xuncha.talent import services as talent_services

    team = _recent_team(user_named)
    leader = user_named(RECENT_LEADER)
    members = RoundRole.objects.filter(team=team).exclude(profile__person=leader.person)
    home = as_user(RECENT_LEADER).get(reverse("core:home"), **EN)
    due = home.context["evaluations_due"]
    assert [(d["team"], d["waiting"]) for d in due] == [(team, members.count())]
    assert reverse("talent:evaluate", args=[team.pk]).encode() in home.content
    assert f"{members.count()} members not evaluated yet".encode() in home.content
    assert as_user("office").get(reverse("core:home")).context["evaluations_due"] == []
    for role in members:
        talent_services.evaluation_record(
            actor=leader, profile=role.profile, round_=team.round, score=85, grade="good"
        )
    home = as_user(RECENT_LEADER).get(reverse("core:home"))
    assert home.context["evaluations_due"] == [] and b"evaluations-due" not in home.content


def test_the_round_under_way_still_gathers_on_site(user_named):
    """The demo's own team (``leader``, ``deputy``, ``member``) is still in the
    understanding stage, its gate to the report stage blocked by the method coverage."""
    unit = user_named("leader").grants.get().organisation
    team = Team.objects.get(targets=unit, round__stage=Stage.STATIONING)
    assert team.stage == Stage.UNDERSTANDING
    to_stage, missing = services.team_gate(team)
    assert to_stage == Stage.REPORT and missing


def test_the_round_page_says_when_evaluation_opens(as_user, user_named):
    """On a team still on site the link says evaluation opens at the report stage."""
    unit = user_named("leader").grants.get().organisation
    team = Team.objects.get(targets=unit, round__stage=Stage.STATIONING)
    card = as_user("leader").get(reverse("rounds:round_detail", args=[team.round_id]), **EN)
    assert b'data-testid="evaluate-link"' in card.content
    assert b"Evaluation of the members (opens at the Report stage)" in card.content
    assert b"Evaluate the members</a>" not in card.content
