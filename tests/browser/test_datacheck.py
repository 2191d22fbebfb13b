"""Data comparison in a real browser (issue #8).

The office uploads a department's CSV whose ID column has a header the automatic mapping
does not know; the preview shows the file's rows under a choice per column, with that
column left out; importing is refused until the column is mapped by hand; the import job
runs and leads back to the version, accepted. Then every data comparison page of the demo
answers at 1280 px and on a phone, in Chinese, without scrolling sideways, loading from
elsewhere or breaking the CSP, and the findings chart renders."""

from __future__ import annotations

import datetime as dt
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


def _work() -> None:
    call_command(
        "db_worker", batch=True, reload=False, startup_delay=False, queue_name="*", verbosity=0
    )


def _file(tmp_path: Path) -> Path:
    from xuncha.core.lib import idnumber

    rows = ["2025年城关镇低保发放花名册", "姓名,享受人证号,救助类别,发放月份,发放金额"]
    for n, name in enumerate(("甲一", "乙二", "丙三"), start=1):
        pid = idnumber.make("431099", dt.date(1958, 3, n), n)
        rows.append(f'{name},{pid},低保,2025年{n}月,"1,200.00"')
    path = tmp_path / "低保名册.csv"
    path.write_bytes(("\n".join(rows) + "\n").encode("gb18030"))
    return path


def test_import_preview_and_manual_mapping(
    open_page: Callable[..., Watched], tmp_path: Path, settings: Any, artifacts_dir: Path
) -> None:
    from xuncha.core.models import Organisation, User
    from xuncha.datacheck import services
    from xuncha.datacheck.models import Version

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    office = User.objects.get(username="office_c1")
    county = Organisation.objects.get(code="C01")
    dataset = services.dataset_create(
        actor=office,
        organisation=county,
        kind="benefit",
        title="浏览器测试低保",
        department="县民政局",
    )
    w = open_page(viewport=DESKTOP, locale="en-GB")
    w.login("office_c1")
    w.goto(f"/datacheck/datasets/{dataset.pk}/")
    w.page.set_input_files("#id_file", str(_file(tmp_path)))
    with w.page.expect_navigation():
        w.page.click("[data-testid=upload-submit]")
    table = w.page.locator("[data-testid=preview-table]")
    assert table.is_visible()
    assert "甲一" in table.inner_text() and "1,200.00" in table.inner_text()
    # The title row was skipped and the header found; the unknown column left out.
    assert w.page.input_value("#id_col_0") == "name"
    assert w.page.input_value("#id_col_1") == ""
    with w.page.expect_navigation():
        w.page.click("[data-testid=mapping-confirm]")
    assert "ID number" in w.page.inner_text("[data-testid=mapping-errors]")
    w.page.select_option("#id_col_1", "id_number")
    w.page.screenshot(path=str(artifacts_dir / "datacheck-preview-en-1280.png"), full_page=True)
    with w.page.expect_navigation():
        w.page.click("[data-testid=mapping-confirm]")
    w.page.wait_for_selector("[data-testid=job-progress]")
    _work()
    version = Version.objects.get(dataset=dataset)
    assert version.status == Version.Status.ACCEPTED
    assert version.columns["1"] == "id_number" and version.rows_valid == 3
    w.page.wait_for_selector("[data-testid=job-next]", timeout=20_000)
    with w.page.expect_navigation():
        w.page.click("[data-testid=job-next]")
    assert "3 rows: 3 valid, 0 rejected" in w.page.inner_text("[data-testid=row-counts]")
    _clean(w)


def _pages() -> list[str]:
    from xuncha.datacheck.models import Finding, Run, Version

    version = Version.objects.filter(status="accepted").order_by("pk").first()
    discarded = Version.objects.filter(status="discarded").order_by("pk").first()
    run = Run.objects.order_by("pk").first()
    finding = Finding.objects.filter(status="false_positive").first()
    confirmed = Finding.objects.filter(status="confirmed").first()
    assert version and discarded and run and finding and confirmed, "the demo is missing"
    return [
        "/datacheck/",
        "/datacheck/datasets/new/",
        f"/datacheck/datasets/{version.dataset_id}/",
        f"/datacheck/versions/{version.pk}/",
        f"/datacheck/versions/{discarded.pk}/",
        "/datacheck/rules/",
        "/datacheck/rules/tender_king/",
        "/datacheck/rules/new/",
        "/datacheck/headers/",
        "/datacheck/runs/new/",
        f"/datacheck/runs/{run.pk}/",
        "/datacheck/findings/",
        f"/datacheck/findings/{finding.pk}/",
        f"/datacheck/findings/{confirmed.pk}/",
    ]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "phone"])
def test_every_page_answers_and_fits(
    open_page: Callable[..., Watched], viewport: Any, artifacts_dir: Path
) -> None:
    w = open_page(viewport=viewport)
    w.login("office_c1")
    for path in _pages():
        response = w.goto(path)
        assert response is not None and response.status == 200, path
        width, inner = w.no_horizontal_scroll()
        assert width <= inner, f"{path} scrolls sideways: {width} > {inner}"
    if viewport == DESKTOP:
        w.goto(_pages()[-1])  # a confirmed finding recorded as a clue: its rows side by side
        w.page.screenshot(path=str(artifacts_dir / "datacheck-finding-zh-1280.png"), full_page=True)
    w.goto("/datacheck/findings/")
    w.page.wait_for_selector("#chart-findings[data-rendered=true]")
    if viewport == DESKTOP:
        w.page.screenshot(
            path=str(artifacts_dir / "datacheck-findings-zh-1280.png"), full_page=True
        )
    _clean(w)
