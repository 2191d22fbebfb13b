"""Merging duplicates in a real browser: a team member records a complaint that reached the
team before by letter, sees it suggested as a duplicate, compares the two texts with the
shared passages highlighted, and merges them; the survivor keeps both texts. The
comparison page is also checked on a phone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.browser.conftest import PHONE, Watched, browser_db

pytestmark = [pytest.mark.browser, browser_db]

LETTER = (
    "反映某村村委会主任赵某某在2025年村道硬化工程中虚报工程量，多领工程款约十二万元，"
    "并把工程交给他的妻弟承包。"
)
PHONE_CALL = (
    "來電反映：某村村道硬化工程由村主任趙某某的妻弟承包，趙某某虛報工程量，多領工程款大約十二萬元。"
)


def test_member_merges_a_repeated_complaint(
    open_page: Callable[..., Watched], artifacts_dir: Path
) -> None:
    from xuncha.clues import services
    from xuncha.clues.models import Record, Status
    from xuncha.core.models import User
    from xuncha.rounds.models import Round, Stage, Team

    member = User.objects.get(username="member")
    target = member.grants.get().organisation
    round_ = Round.objects.get(committee__code="C01", stage=Stage.STATIONING)
    team = Team.objects.get(round=round_, targets=target)
    letter = services.record_create(
        actor=member,
        round_=round_,
        team=team,
        target=target,
        kind="clue",
        title="村道工程虚报工程量",
        description=LETTER,
        source="letter",
        subjects=[services.SubjectInput("赵某某", post="村委会主任")],
    )

    w = open_page(locale="en-GB")
    w.login("member")
    w.goto(f"/clues/new/?round={round_.pk}")
    w.page.select_option("#id_kind", "clue")
    w.page.select_option("#id_target", str(target.pk))
    w.page.fill("#id_title", "来电反映村道工程问题")
    w.page.fill("#id_description", PHONE_CALL)
    w.page.fill("#id_subjects", "赵某某")
    w.page.select_option("#id_source", "phone")
    with w.page.expect_navigation():
        w.page.click("[data-testid=form-submit]")
    phone = Record.objects.get(title="来电反映村道工程问题")
    assert w.page.url.endswith(f"/clues/{phone.pk}/")

    suggestions = w.page.locator("[data-testid=suggestion]")
    assert suggestions.count() >= 1
    assert letter.number in suggestions.first.inner_text()
    with w.page.expect_navigation():
        suggestions.first.click()
    assert w.page.locator("mark.xc-shared").count() >= 2
    shared = " ".join(w.page.locator("[data-testid=text-b] mark.xc-shared").all_inner_texts())
    assert "工程" in shared
    w.page.screenshot(path=str(artifacts_dir / "clue-duplicates-en-1280.png"), full_page=True)

    with w.page.expect_navigation():
        w.page.click("[data-testid=merge-keep-other]")
    assert w.page.url.endswith(f"/clues/{letter.pk}/")
    assert phone.number in w.page.inner_text("[data-testid=merged-from]")
    assert PHONE_CALL in w.page.inner_text("[data-testid=evidence]")
    phone.refresh_from_db()
    assert phone.status == Status.MERGED and phone.merged_into_id == letter.pk
    assert not w.foreign_requests() and not w.page_errors and not w.csp_messages()

    small = open_page(viewport=PHONE, locale="zh-CN")
    small.login("member")
    other = services.record_create(
        actor=member,
        round_=round_,
        team=team,
        target=target,
        kind="clue",
        title="走访中再次反映",
        description=PHONE_CALL,
        source="interview",
        subjects=[services.SubjectInput("赵某某")],
    )
    small.goto(f"/clues/{other.pk}/duplicates/")
    assert small.page.locator("[data-testid=pair]").count() >= 1
    width, inner = small.no_horizontal_scroll()
    assert width <= inner
    small.page.screenshot(
        path=str(artifacts_dir / "clue-duplicates-zh-hans-phone.png"), full_page=True
    )
