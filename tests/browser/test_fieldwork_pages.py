"""Every fieldwork page of the demo team in a real browser (issue #7), in Chinese, at
1280 px and on a phone: it answers, fits the width, loads nothing from elsewhere, breaks
no CSP rule and logs no error. Then a member records a field visit with its households
through the form, and the coverage matrix counts it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE, Watched, browser_db

pytestmark = [pytest.mark.browser, browser_db]


def _clean(w: Watched) -> None:
    assert w.foreign_requests() == []
    assert w.csp_messages() == []
    assert w.page_errors == []
    assert w.console_errors() == []


def _team_pages() -> tuple[list[str], list[str]]:
    from xuncha.fieldwork.models import (
        Activity,
        Interviewee,
        InterviewRecord,
        Talk,
        WorkingPaper,
    )
    from xuncha.intake.demo import _team

    team = _team()
    assert team is not None
    t = team.pk
    activity = Activity.objects.filter(team=team).first()
    interviewee = Interviewee.objects.filter(team=team).first()
    talk = Talk.objects.filter(team=team, state=Talk.State.SCHEDULED).first()
    record = InterviewRecord.objects.filter(team=team).first()
    paper = WorkingPaper.objects.filter(team=team).first()
    assert activity and interviewee and talk and record and paper, "the fieldwork demo is missing"
    team_pages = [
        f"/fieldwork/team/{t}/",
        f"/fieldwork/team/{t}/activities/",
        f"/fieldwork/team/{t}/activities/new/",
        f"/fieldwork/team/{t}/activities/new/?method=read_documents",
        f"/fieldwork/team/{t}/activities/new/?method=field_visit",
        f"/fieldwork/team/{t}/activities/new/?method=questionnaire",
        f"/fieldwork/activity/{activity.pk}/",
        f"/fieldwork/team/{t}/coverage/",
        f"/fieldwork/team/{t}/interviewees/",
        f"/fieldwork/interviewee/{interviewee.pk}/",
        f"/fieldwork/team/{t}/interviewees/add/",
        f"/fieldwork/team/{t}/conflicts/",
        f"/fieldwork/team/{t}/schedule/",
        f"/fieldwork/team/{t}/rooms/",
        f"/fieldwork/talk/{talk.pk}/",
        f"/fieldwork/team/{t}/records/",
        f"/fieldwork/team/{t}/records/new/?talk={talk.pk}",
        f"/fieldwork/record/{record.pk}/",
        f"/fieldwork/team/{t}/papers/",
        f"/fieldwork/team/{t}/papers/new/",
        f"/fieldwork/paper/{paper.pk}/",
        f"/fieldwork/team/{t}/papers/report/",
        f"/fieldwork/team/{t}/interference/",
        "/fieldwork/my-day/",
    ]
    office_pages = [
        "/",
        "/fieldwork/",
        "/fieldwork/settings/methods/",
        "/fieldwork/settings/minimums/",
        "/fieldwork/settings/questions/",
        "/fieldwork/settings/questions/new/",
    ]
    return team_pages, office_pages


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "phone"])
def test_every_page_answers_and_fits(open_page: Callable[..., Watched], viewport: Any) -> None:
    team_pages, office_pages = _team_pages()
    for username, pages in (("leader", team_pages), ("office", office_pages)):
        w = open_page(viewport=viewport)
        w.login(username)
        for path in pages:
            response = w.goto(path)
            assert response is not None and response.status == 200, path
            width, inner = w.no_horizontal_scroll()
            assert width <= inner, f"{path} scrolls sideways: {width} > {inner}"
        _clean(w)


def test_a_member_records_a_field_visit_and_the_matrix_counts_it(
    open_page: Callable[..., Watched],
) -> None:
    from xuncha.fieldwork.models import Activity
    from xuncha.intake.demo import _team

    team = _team()
    assert team is not None
    w = open_page(viewport=DESKTOP, locale="en-US")
    w.login("member")
    w.goto(f"/fieldwork/team/{team.pk}/activities/new/?method=field_visit")
    page = w.page
    page.fill("#id_date", "2026-07-02")
    page.fill("#id_title", "走访老党员")
    page.fill("#id_record", "走访两户老党员，了解村务公开情况。")
    boxes = page.locator("[data-testid=field-participants] input[type=checkbox]")
    boxes.nth(0).check()
    page.fill("#id_home-0-household", "老党员甲")
    page.select_option("#id_home-0-group", "visit_veterans")
    with page.expect_navigation():
        page.click("[data-testid=save]")
    activity = Activity.objects.get(team=team, title="走访老党员")
    assert activity.households.get().group == "visit_veterans"
    w.goto(f"/fieldwork/team/{team.pk}/coverage/")
    assert "Visit: veteran Party members" in page.inner_text("main")
    _clean(w)
