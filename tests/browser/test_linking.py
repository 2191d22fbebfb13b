"""Record linkage in a real browser (issue #9).

The office starts a link run from the form and the job's progress leads to the run's page;
on the demo's linkage, the clerical review page: the pair the office rejected is undone
(back in the queue), accepted with a reason, undone again and rejected, each decision shown
and kept in the database. Then every linkage page answers at 1280 px and on a phone, in
Chinese, without scrolling sideways, loading from elsewhere or breaking the CSP, and the
chart of pairs by band renders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from tests.browser.conftest import DESKTOP, PHONE, Watched, browser_db

pytestmark = [pytest.mark.browser, browser_db]


def _clean(w: Watched) -> None:
    assert w.foreign_requests() == []
    assert w.csp_messages() == []
    assert w.page_errors == []
    assert w.console_errors() == []


def _demo_run() -> Any:
    from xuncha.datacheck.models import LinkRun

    run = LinkRun.objects.order_by("pk").first()
    assert run is not None, "the demo is missing"
    return run


def test_a_link_run_from_the_form(
    open_page: Callable[..., Watched], settings: Any, artifacts_dir: Path
) -> None:
    from xuncha.datacheck.models import LinkRun

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    demo = _demo_run()
    w = open_page(viewport=DESKTOP, locale="en-GB")
    w.login("office_c1")
    w.goto(f"/datacheck/links/new/?organisation={demo.area_id}")
    assert w.page.input_value("#id_left") == str(demo.left_id)
    assert w.page.input_value("#id_right") == str(demo.right_id)
    w.page.fill("#id_review", "0.4")
    with w.page.expect_navigation():
        w.page.click("[data-testid=link-submit]")
    w.page.wait_for_selector("[data-testid=job-progress]")
    call_command(
        "db_worker", batch=True, reload=False, startup_delay=False, queue_name="*", verbosity=0
    )
    run = LinkRun.objects.exclude(pk=demo.pk).get()
    assert run.status == LinkRun.Status.DONE and run.review_threshold == 0.4
    w.page.wait_for_selector("[data-testid=job-next]", timeout=20_000)
    with w.page.expect_navigation():
        w.page.click("[data-testid=job-next]")
    assert w.page.inner_text("[data-testid=count-links]") == str(run.links)
    w.page.wait_for_selector("#chart-bands[data-rendered=true]")
    w.page.screenshot(path=str(artifacts_dir / "linkage-run-en-1280.png"), full_page=True)
    _clean(w)


def test_review_accept_reject_and_undo(open_page: Callable[..., Watched]) -> None:
    from xuncha.datacheck.models import LinkDecision

    run = _demo_run()
    w = open_page(viewport=DESKTOP, locale="en-GB")
    w.login("office_c1")
    w.goto(f"/datacheck/links/{run.pk}/review/")
    # The demo's decision (a namesake is not the same person) is listed, and undoable.
    assert w.page.is_visible("[data-testid=queue-empty]")
    assert "Not the same person" in w.page.inner_text("[data-testid=decided]")
    with w.page.expect_navigation():
        w.page.click("[data-testid=undo]")
    assert not LinkDecision.objects.filter(area=run.area).exists()
    assert "1 pair left" in w.page.inner_text("[data-testid=remaining]")
    pair = w.page.locator("[data-testid=pair]").first
    assert "Name: the same" in pair.inner_text() and "Address: same township" in pair.inner_text()
    w.page.fill("[data-testid=decide-form] input[name=reason]", "户籍民警核实")
    with w.page.expect_navigation():
        w.page.click("[data-testid=accept]")
    decision = LinkDecision.objects.get(area=run.area)
    assert decision.decision == "accepted" and decision.reason == "户籍民警核实"
    assert w.page.is_visible("[data-testid=queue-empty]")
    assert "Same person" in w.page.inner_text("[data-testid=decided]")
    assert "户籍民警核实" in w.page.inner_text("[data-testid=decision-note]")
    with w.page.expect_navigation():
        w.page.click("[data-testid=undo]")
    with w.page.expect_navigation():
        w.page.click("[data-testid=reject]")
    assert LinkDecision.objects.get(area=run.area).decision == "rejected"
    assert "Not the same person" in w.page.inner_text("[data-testid=decided]")
    _clean(w)


def _pages() -> list[str]:
    from xuncha.datacheck.models import Finding, LinkPair

    run = _demo_run()
    pair = LinkPair.objects.filter(run=run).order_by("pk").first()
    finding = Finding.objects.filter(rule__code="roster_after_death").first()
    assert pair is not None and finding is not None, "the demo is missing"
    return [
        "/datacheck/links/",
        f"/datacheck/links/new/?organisation={run.area_id}",
        f"/datacheck/links/{run.pk}/",
        f"/datacheck/links/{run.pk}/?band=review",
        f"/datacheck/links/{run.pk}/review/",
        f"/datacheck/links/pairs/{pair.pk}/",
        f"/datacheck/findings/{finding.pk}/",
    ]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "phone"])
def test_every_linkage_page_answers_and_fits(
    open_page: Callable[..., Watched], viewport: Any, artifacts_dir: Path
) -> None:
    w = open_page(viewport=viewport)
    w.login("office_c1")
    for path in _pages():
        response = w.goto(path)
        assert response is not None and response.status == 200, path
        width, inner = w.no_horizontal_scroll()
        assert width <= inner, f"{path} scrolls sideways: {width} > {inner}"
    w.goto(_pages()[2])
    w.page.wait_for_selector("#chart-bands[data-rendered=true]")
    assert "姓名" in w.page.inner_text("[data-testid=pairs]")
    name = "1280" if viewport == DESKTOP else "phone"
    w.page.screenshot(path=str(artifacts_dir / f"linkage-run-zh-{name}.png"), full_page=True)
    w.goto(_pages()[4])
    w.page.screenshot(path=str(artifacts_dir / f"linkage-review-zh-{name}.png"), full_page=True)
    w.goto(_pages()[-1])
    assert w.page.is_visible("[data-testid=linked-id]")
    _clean(w)
