"""The team builder in a real browser: the prefecture office forms the teams of the demo's
cross round (the job's progress bar, then the proposal), sees why an impossible request
fails, is stopped by a conflict when swapping a member by hand, swaps someone who fits,
accepts, and the round page warns about releases not yet confirmed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.browser.conftest import PHONE, Watched, browser_db

pytestmark = [pytest.mark.browser, browser_db]


def _work() -> None:
    call_command(
        "db_worker", batch=True, reload=False, startup_delay=False, queue_name="*", verbosity=0
    )


def _solve(w: Watched) -> None:
    w.page.fill("#id_time_limit", "3")
    with w.page.expect_navigation():
        w.page.click("[data-testid=solve]")
    w.page.wait_for_selector("[data-testid=job-progress]")
    # The page follows the job and reloads itself when it has finished.
    with w.page.expect_navigation(timeout=20_000):
        _work()
    assert w.page.locator("[data-testid=job-progress]").count() == 0


def test_team_builder(open_page: Callable[..., Watched], artifacts_dir: Path, settings) -> None:
    from xuncha.core.models import User
    from xuncha.rounds.models import Round, Stage
    from xuncha.talent import formation_services, teams
    from xuncha.talent.lib import formation as fm
    from xuncha.talent.models import FormationRun, Specialty

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    cross = Round.objects.get(cross=True, stage=Stage.PREPARATION)
    w = open_page(locale="en-GB")
    w.login("office")
    w.goto(f"/rounds/{cross.pk}/")
    with w.page.expect_navigation():
        w.page.click("[data-testid=team-builder]")
    assert w.page.locator("[data-testid=cross-badge]").count() == 1

    # Choosing a target in the needs form opens it with that target's needs ticked.
    target = cross.teams.order_by("pk").last().targets.order_by("pk").first()
    needs = teams.target_needs(cross)[target.pk]
    with w.page.expect_navigation():
        w.page.select_option("[data-testid=need-form] select[name=organisation]", str(target.pk))
    assert f"need={target.pk}" in w.page.url and w.page.url.endswith("#needs")
    ticked = w.page.locator("[data-testid=need-form] input[name=specialties]:checked")
    wanted = {
        str(pk) for pk in Specialty.objects.filter(code__in=needs).values_list("pk", flat=True)
    }
    assert (
        wanted and {ticked.nth(i).get_attribute("value") for i in range(ticked.count())} == wanted
    )

    # A deliberately impossible request: seven experienced people in every team, while
    # nobody may inspect their own county.
    office = User.objects.get(username="office")
    formation_services.team_rules_set(
        actor=office, committee=cross.committee, values={"min_experienced": 7}
    )
    w.goto(f"/rounds/{cross.pk}/formation/")
    _solve(w)
    infeasible = w.page.locator("[data-testid=run-infeasible]")
    assert infeasible.count() == 1
    assert "experience" in infeasible.inner_text()
    w.page.screenshot(
        path=str(artifacts_dir / "team-builder-infeasible-en-1280.png"), full_page=True
    )
    zh = open_page(locale="zh-CN")
    zh.login("office")
    zh.goto(f"/rounds/{cross.pk}/formation/")
    text = zh.page.locator("[data-testid=run-infeasible]").inner_text()
    assert "经验" in text and "experience" not in text
    zh.page.screenshot(
        path=str(artifacts_dir / "team-builder-infeasible-zh-hans-1280.png"), full_page=True
    )

    formation_services.team_rules_set(
        actor=office, committee=cross.committee, values={"min_experienced": 1}
    )
    w.goto(f"/rounds/{cross.pk}/formation/")
    _solve(w)
    assert w.page.locator("[data-testid=proposal-team]").count() == cross.teams.count()
    assert w.page.locator("[data-testid=run-gap]").inner_text().strip() != ""

    run = FormationRun.objects.filter(round=cross).latest("created_at")
    instance = fm.from_json(run.instance)
    draft = teams.assignments_of(run.draft)
    team = instance.teams[0]
    member = next(a for a in draft if a.team_index == team.index and a.role == "member")
    conflicted = next(
        f.person_id
        for f in instance.forbidden
        if f.team_index == team.index
        and f.role in ("member", "any")
        and f.person_id not in {a.person_id for a in draft}
        and next(c for c in instance.candidates if c.person_id == f.person_id).available
    )

    # Swap in someone with a recusal conflict: refused, and the page names the rule.
    form = w.page.locator(f"[data-testid=proposal-team][data-team='{team.index}'] form")
    form.locator("select[name=person_out]").select_option(str(member.person_id))
    form.locator("select[name=person_in]").select_option(str(conflicted))
    with w.page.expect_navigation():
        form.locator("[data-testid=change-submit]").click()
    alert = w.page.locator(".alert-danger").first.inner_text()
    assert "Not saved" in alert and "may not serve" in alert
    w.page.screenshot(path=str(artifacts_dir / "team-builder-refused-en-1280.png"), full_page=True)

    # Someone who fits is accepted.
    kept = [a for a in draft if a != member]
    placed = {a.person_id for a in draft}
    spare = next(
        c.person_id
        for c in instance.candidates
        if c.person_id not in placed
        and not teams.roster_problems(
            instance, [*kept, fm.Assignment(team.index, c.person_id, "member")]
        )
    )
    form = w.page.locator(f"[data-testid=proposal-team][data-team='{team.index}'] form")
    form.locator("select[name=person_out]").select_option(str(member.person_id))
    form.locator("select[name=person_in]").select_option(str(spare))
    with w.page.expect_navigation():
        form.locator("[data-testid=change-submit]").click()
    assert w.page.locator(".alert-success").count() == 1
    assert w.page.locator(f"[data-testid=seat][data-person='{spare}']").count() == 1
    # The card scores the teams on screen, term by term.
    now = fm.objective_value(instance, [*kept, fm.Assignment(team.index, spare, "member")])
    assert w.page.locator("[data-testid=run-score]").inner_text().strip() == f"{now:.1f}"
    w.page.click("[data-testid=score-terms] summary")
    terms = w.page.locator("[data-testid=score-terms] tr")
    assert terms.count() == len(fm.SCORE_TERMS) and terms.first.is_visible()
    w.page.screenshot(path=str(artifacts_dir / "team-builder-changed-en-1280.png"), full_page=True)

    # Accepting asks first (the home units are then asked to release the people).
    asked: list[str] = []

    def agree(dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    w.page.once("dialog", agree)
    with w.page.expect_navigation():
        w.page.click("[data-testid=accept]")
    assert asked and "release the people on it" in asked[0]
    assert w.page.locator("[data-testid=release-warning]").count() == 1
    assert w.page.locator("[data-testid=roster-xlsx]").count() == 1
    w.page.screenshot(path=str(artifacts_dir / "team-builder-accepted-en-1280.png"), full_page=True)

    w.goto(f"/rounds/{cross.pk}/")
    assert w.page.locator("[data-testid=team-crew]").count() == cross.teams.count()
    assert w.page.locator("[data-testid=release-warning]").count() == cross.teams.count()

    w.page.set_viewport_size(PHONE)
    w.goto(f"/rounds/{cross.pk}/formation/")
    scroll, width = w.no_horizontal_scroll()
    assert scroll <= width + 1
    w.page.screenshot(path=str(artifacts_dir / "team-builder-en-phone.png"), full_page=True)
    # The teams and the accepted roster (with its release forms) fit a phone without
    # scrolling sideways: rounds follow the name there.
    tables = "[data-testid=proposal-team] .table-responsive, [data-testid=roster] .table-responsive"
    assert w.page.locator("[data-testid=roster] [data-testid=release-form]").count() > 0
    wide = w.page.locator(tables).evaluate_all(
        "(frames) => frames.filter((f) => f.scrollWidth > f.clientWidth + 1).length"
    )
    assert wide == 0
    assert w.page.locator("[data-testid=seat-rounds-phone]").first.is_visible()
    # A table frame that scrolls sideways fades at the edge hiding columns; each state is
    # checked against the frame's own sizes (a frame narrowed here is sure to scroll).
    edges = """(frames) => frames.map((f) => {
        const more = f.scrollWidth - f.clientWidth;
        return [more > 1 && f.scrollLeft < more - 1, f.classList.contains("xc-more-right"),
                more > 1 && f.scrollLeft > 1, f.classList.contains("xc-more-left")];
    })"""
    frames = w.page.locator(".table-responsive")
    assert frames.count() > 0
    w.page.evaluate(
        "() => { document.querySelector('.table-responsive').style.width = '12rem';"
        " window.dispatchEvent(new Event('resize')); }"
    )
    states = frames.evaluate_all(edges)
    assert states[0] == [True, True, False, False], states[0]
    assert all(s[0] == s[1] and s[2] == s[3] for s in states), states
    frames.first.evaluate("(f) => { f.scrollLeft = f.scrollWidth; }")
    w.page.wait_for_function(
        "() => document.querySelector('.table-responsive').classList.contains('xc-more-left')"
    )
    assert frames.evaluate_all(edges)[0] == [False, False, True, True]
    assert not w.foreign_requests() and not w.csp_messages() and not w.page_errors


def test_leader_evaluates_and_the_pool_shows_it(
    open_page: Callable[..., Watched], artifacts_dir: Path
) -> None:
    from xuncha.core.models import User
    from xuncha.rounds import services as round_services
    from xuncha.rounds.models import Stage, Team
    from xuncha.talent.models import Evaluation, RoundRole

    leader = User.objects.get(username="leader")
    team = Team.objects.get(targets=leader.grants.get().organisation, round__stage=Stage.STATIONING)
    office = User.objects.get(username="office_c1")
    while team.stage != Stage.REPORT:  # the on-site work is over
        round_services.team_advance(actor=office, team=team, override_reason="浏览器测试")
        team.refresh_from_db()
    member = RoundRole.objects.filter(team=team, role="member").select_related("profile").first()

    w = open_page(locale="zh-CN")
    w.login("leader")
    w.goto(f"/rounds/{team.round_id}/")
    with w.page.expect_navigation():
        w.page.click("[data-testid=evaluate-link]")
    card = w.page.locator(f"#member-{member.pk}")
    prefix = f"m{member.pk}-"
    card.locator(f"[name={prefix}score]").fill("93")
    card.locator(f"[name={prefix}grade]").select_option("excellent")
    card.locator(f"[name={prefix}leader_comments]").fill("谈话扎实，线索梳理清楚。")
    with w.page.expect_navigation():
        card.locator("[type=submit]").click()
    assert w.page.locator(".alert-success").count() == 1
    evaluation = Evaluation.objects.get(profile=member.profile, round=team.round)
    assert evaluation.score == 93 and evaluation.evaluated_by == leader
    w.page.screenshot(path=str(artifacts_dir / "evaluation-zh-hans-1280.png"), full_page=True)

    office_page = open_page(locale="zh-CN")
    office_page.login("office_c1")
    office_page.goto(f"/pool/{member.profile_id}/")
    assert "谈话扎实" in office_page.page.inner_text("main")
    assert not w.foreign_requests() and not w.page_errors


def test_unticking_a_removal_asks_before_it_puts_someone_back(
    open_page: Callable[..., Watched],
) -> None:
    from xuncha.core.models import User
    from xuncha.rounds import services as round_services
    from xuncha.rounds.models import Stage, Team
    from xuncha.talent import services as talent_services
    from xuncha.talent.models import Evaluation, RoundRole

    leader = User.objects.get(username="leader")
    team = Team.objects.get(targets=leader.grants.get().organisation, round__stage=Stage.STATIONING)
    office = User.objects.get(username="office_c1")
    while team.stage != Stage.REPORT:
        round_services.team_advance(actor=office, team=team, override_reason="浏览器测试")
        team.refresh_from_db()
    member = RoundRole.objects.filter(team=team, role="member").select_related("profile").first()
    talent_services.evaluation_record(
        actor=office,
        profile=member.profile,
        round_=team.round,
        score=50,
        grade="fail",
        leader_comments="擅离岗位",
        remove_from_pool=True,
        reason="考核不合格",
    )
    w = open_page(locale="zh-CN")
    w.login("office_c1")
    w.goto(f"/teams/{team.pk}/evaluate/")
    card = w.page.locator(f"#member-{member.pk}")
    box = card.locator(f"[name=m{member.pk}-remove_from_pool]")
    box.uncheck()
    questions: list[str] = []

    def dismiss(dialog) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    w.page.once("dialog", dismiss)
    card.locator("[type=submit]").click()
    w.page.wait_for_timeout(300)
    assert questions and "人才库" in questions[0]
    member.profile.refresh_from_db()
    assert not member.profile.in_pool  # dismissed: nothing sent
    w.page.once("dialog", lambda dialog: dialog.accept())
    with w.page.expect_navigation():
        card.locator("[type=submit]").click()
    member.profile.refresh_from_db()
    assert member.profile.in_pool
    assert not Evaluation.objects.get(profile=member.profile, round=team.round).remove_from_pool
    assert "已重新进入人才库" in w.page.inner_text(".alert-success")
    assert not w.page_errors
