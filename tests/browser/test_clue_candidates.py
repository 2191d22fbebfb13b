"""Finding the person a clue names, in a real browser (issue #9): a team member opens the
demo clue naming "张卫东" with a township and "约五十岁", follows "Find this person", sees
the registry's 张卫东 of about fifty first with the reasons, and links him; the record page
then shows the name linked to the people registry. The candidates page is also checked on
a phone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.browser.conftest import PHONE, Watched, browser_db

pytestmark = [pytest.mark.browser, browser_db]


def test_member_finds_and_links_the_person_a_clue_names(
    open_page: Callable[..., Watched], artifacts_dir: Path
) -> None:
    from xuncha.clues.models import Subject
    from xuncha.rounds.models import Round, Stage

    round_ = Round.objects.get(committee__code="C01", stage=Stage.STATIONING)
    subject = Subject.objects.get(record__round=round_, name="张卫东", person__isnull=True)
    record = subject.record

    w = open_page(locale="en-GB")
    w.login("member")
    w.goto(f"/clues/{record.pk}/")
    subjects = w.page.locator("[data-testid=subjects]")
    assert subject.place in subjects.inner_text() and "约五十岁" in subjects.inner_text()
    with w.page.expect_navigation():
        w.page.click("[data-testid=subject-find]")
    assert w.page.url.endswith(f"/clues/{record.pk}/subjects/{subject.pk}/candidates/")

    candidates = w.page.locator("[data-testid=candidate]")
    assert candidates.count() >= 3
    first = candidates.first
    assert first.locator("[data-testid=candidate-name]").inner_text() == "张卫东"
    reasons = first.locator("[data-testid=candidate-reasons] .badge")
    levels = {
        reasons.nth(i).get_attribute("data-field"): reasons.nth(i).get_attribute("data-level")
        for i in range(reasons.count())
    }
    assert levels["name"] == "exact" and levels["birth"] == "about"
    assert levels["address"] == "township"
    assert "%" in first.locator("[data-testid=candidate-percent]").inner_text()
    key = first.get_attribute("data-key")
    assert key is not None and key.startswith("p")
    w.page.screenshot(path=str(artifacts_dir / "clue-candidates-en-1280.png"), full_page=True)

    with w.page.expect_navigation():
        first.locator("[data-testid=candidate-link]").click()
    assert w.page.url.endswith(f"/clues/{record.pk}/")
    subject.refresh_from_db()
    assert subject.person_id == int(key[1:])
    linked = w.page.locator("[data-testid=subjects] a", has_text="张卫东")
    assert linked.count() == 1
    assert w.page.locator("[data-testid=subject-find]").count() == 0  # its only name
    assert not w.foreign_requests() and not w.page_errors and not w.csp_messages()


def test_the_candidates_page_on_a_phone(
    open_page: Callable[..., Watched], artifacts_dir: Path
) -> None:
    from xuncha.clues.models import Subject
    from xuncha.rounds.models import Round, Stage

    round_ = Round.objects.get(committee__code="C01", stage=Stage.STATIONING)
    subject = Subject.objects.get(record__round=round_, name="张卫东", person__isnull=True)

    small = open_page(viewport=PHONE, locale="zh-CN")
    small.login("member")
    small.goto(f"/clues/{subject.record_id}/subjects/{subject.pk}/candidates/")
    assert small.page.locator("[data-testid=candidate]").count() >= 3
    width, inner = small.no_horizontal_scroll()
    assert width <= inner
    small.page.screenshot(
        path=str(artifacts_dir / "clue-candidates-zh-hans-phone.png"), full_page=True
    )
    assert not small.foreign_requests() and not small.page_errors
