"""The round pages in a real browser: coverage ledger with its chart, the round timeline
(a Gantt chart), a refused gate and a milestone that opens it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.browser.conftest import PHONE, Watched, browser_db

pytestmark = [pytest.mark.browser, browser_db]


def test_ledger_and_round_timeline(open_page: Callable[..., Watched], artifacts_dir: Path) -> None:
    from xuncha.rounds.models import CommitteeTerm, Round, Stage

    term = CommitteeTerm.objects.get(committee__code="C01")
    current = Round.objects.filter(term=term, stage=Stage.STATIONING).get()
    w = open_page(locale="zh-CN")
    w.login("office_c1")

    w.goto("/")
    w.page.click("[data-testid=workflow-nav] >> text=计划")
    w.page.click(f"text={term.name}")
    w.page.wait_for_selector("#chart-coverage[data-rendered='true']")
    assert int(w.page.inner_text("[data-testid=uncovered-count]")) >= 0
    w.page.screenshot(path=str(artifacts_dir / "term-ledger-zh-hans-1280.png"), full_page=True)

    w.goto(f"/rounds/{current.pk}/")
    w.page.wait_for_selector("#chart-timeline[data-rendered='true']")
    # The chart draws one bar per planned stage.
    bars = w.page.locator("#chart-timeline svg path, #chart-timeline svg rect").count()
    assert bars >= current.stages.count()
    cards = w.page.locator("[data-testid=team-card]")
    assert cards.count() == current.teams.count()
    # The team still stationing lacks its public channels: the gate says so and refuses.
    # (The team already gathering on site lists the interview coverage it still needs.)
    waiting = (
        cards.filter(has=w.page.locator("[data-testid=team-stage]", has_text="进驻"))
        .filter(has=w.page.locator("[data-testid=gate-missing]"))
        .first
    )
    assert "公布举报电话" in waiting.inner_text()
    with w.page.expect_navigation():
        waiting.locator("[data-testid=team-advance]").click()
    assert w.page.locator(".alert-danger").count() == 1
    w.page.screenshot(path=str(artifacts_dir / "round-timeline-zh-hans-1280.png"), full_page=True)

    # Record the missing milestone for that team, then the gate opens and the team moves.
    team_name = waiting.locator(".card-header span").first.inner_text()
    form = w.page.locator("[data-testid=milestone-form]")
    form.locator("select[name=kind]").select_option("channels_published")
    form.locator("select[name=team]").select_option(label=team_name)
    with w.page.expect_navigation():
        form.locator("[data-testid=milestone-submit]").click()
    assert w.page.locator(".alert-success").count() == 1, w.page.inner_text("main")[:600]
    card = w.page.locator("[data-testid=team-card]", has_text=team_name)
    assert card.locator("[data-testid=gate-open]").count() == 1
    with w.page.expect_navigation():
        card.locator("[data-testid=team-advance]").click()
    assert w.page.locator(".alert-success").count() == 1
    card = w.page.locator("[data-testid=team-card]", has_text=team_name)
    assert card.locator("[data-testid=team-stage]").inner_text() == "了解"
    assert not w.foreign_requests() and not w.csp_messages() and not w.page_errors


def test_round_timeline_on_a_phone(open_page: Callable[..., Watched], artifacts_dir: Path) -> None:
    from xuncha.rounds.models import Round, Stage

    current = Round.objects.filter(stage=Stage.STATIONING).first()
    w = open_page(viewport=PHONE)
    w.login("member")
    w.goto(f"/rounds/{current.pk}/")
    w.page.wait_for_selector("#chart-timeline[data-rendered='true']")
    scroll_width, width = w.no_horizontal_scroll()
    assert scroll_width <= width
    # A team member sees the round but cannot change it.
    assert w.page.locator("[data-testid=team-advance]").count() == 0
    w.page.screenshot(path=str(artifacts_dir / "round-timeline-member-390.png"), full_page=True)


@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
def test_the_round_list_fits_a_phone(
    open_page: Callable[..., Watched], artifacts_dir: Path, locale: str
) -> None:
    from xuncha.rounds.models import Round

    # The demo's cross round is escalated too here: the longest Kind cell there is.
    Round.objects.filter(cross=True).update(escalated=True)
    w = open_page(viewport=PHONE, locale=locale)
    w.login("office")
    w.goto("/rounds/")
    wide = w.page.locator(".table-responsive").evaluate_all(
        "(frames) => frames.filter((f) => f.scrollWidth > f.clientWidth + 1).length"
    )
    assert wide == 0
    # The stage is in view on every row (the no-break space before each "·" of a Kind
    # cell is checked in the rounds tests).
    stages = w.page.locator("tbody tr td:nth-child(4)")
    assert stages.count() > 1
    for i in range(stages.count()):
        box = stages.nth(i).bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390
    w.page.screenshot(path=str(artifacts_dir / f"round-list-{locale}-phone.png"), full_page=True)


@pytest.mark.parametrize("viewport", [None, PHONE])
def test_the_new_round_form_lists_focus_areas_as_boxes(
    open_page: Callable[..., Watched], artifacts_dir: Path, viewport: dict | None
) -> None:
    """Each focus area is a box with its label beside it (they were laid out as one box,
    one character a line, over the other fields)."""
    from xuncha.rounds.models import FocusArea, Round

    w = open_page(locale="zh-CN", **({"viewport": viewport} if viewport else {}))
    w.login("office_c1")
    w.goto("/rounds/new/")
    boxes = w.page.locator("[data-testid=checkbox-list] .form-check")
    assert boxes.count() == FocusArea.objects.filter(is_active=True).count() > 0
    for i in range(boxes.count()):
        box = boxes.nth(i).locator("input").bounding_box()
        label = boxes.nth(i).locator("label").bounding_box()
        assert box is not None and label is not None
        assert label["x"] >= box["x"] + box["width"]  # beside the box, not under it
        assert label["width"] > label["height"]  # a line of text, not a column of characters
    scroll_width, width = w.no_horizontal_scroll()
    assert scroll_width <= width
    # The boxes come before the committee field, not over it.
    last = boxes.last.bounding_box()
    committee = w.page.locator("#id_committee").bounding_box()
    assert last is not None and committee is not None and committee["y"] > last["y"]
    suffix = "phone" if viewport else "1280"
    w.page.screenshot(path=str(artifacts_dir / f"round-new-{suffix}.png"), full_page=True)
    # Ticked boxes are saved with the round.
    w.page.fill("#id_name", "重点测试轮")
    first = boxes.first.locator("input")
    first.check()
    chosen = int(first.get_attribute("value") or 0)
    w.page.select_option("#id_committee", index=1)
    with w.page.expect_navigation():
        w.page.click("[data-testid=form-submit]")
    made = Round.objects.filter(name="重点测试轮").first()
    assert made is not None, w.page.content()[:2000]
    assert list(made.focus_areas.values_list("pk", flat=True)) == [chosen]
