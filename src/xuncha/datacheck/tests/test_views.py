"""The pages, through the test client: a dataset and an upload through the forms, the
mapping preview, the error report and the explicit acceptance, rules and their values,
starting a run, findings filtered and exported (audited), a finding read (audited), judged
and recorded as a clue; and the area an office may choose."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from xuncha.core.models import AuditEvent, AuditEventType, Organisation
from xuncha.datacheck import services
from xuncha.datacheck.models import Dataset, Finding, Rule, Run, Version
from xuncha.datacheck.tests.conftest import benefit_rows, csv_bytes, person_id
from xuncha.datacheck.tests.test_services import OFFICE_RULE, _county, _dataset, _import


@pytest.fixture
def client_c1(office: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(office)
    return client


def test_dataset_and_upload_through_the_pages(client_c1, area):
    response = client_c1.post(
        reverse("datacheck:dataset_new"),
        {"organisation": area.pk, "kind": "benefit", "title": "低保名册", "department": "民政局"},
    )
    dataset = Dataset.objects.get(title="低保名册")
    assert response.status_code == 302 and response["Location"].endswith(f"/{dataset.pk}/")
    data = csv_bytes([["2025年低保花名册"], *benefit_rows([(1, "张三")])], encoding="gb18030")
    response = client_c1.post(
        reverse("datacheck:dataset", args=[dataset.pk]),
        {"file": SimpleUploadedFile("名册.csv", data), "extracted_on": "2025-09-30"},
    )
    version = Version.objects.get(dataset=dataset)
    assert response["Location"] == reverse("datacheck:version", args=[version.pk])
    page = client_c1.get(response["Location"]).content.decode()
    assert 'data-testid="preview-table"' in page and "张三" in page
    assert 'value="id_number" selected' in page
    response = client_c1.post(
        reverse("datacheck:version", args=[version.pk]),
        {f"col_{i}": f for i, f in version.columns.items()} | {"col_1": ""},
    )
    assert response.status_code == 200
    assert "No column holds ID number" in response.content.decode()
    response = client_c1.post(
        reverse("datacheck:version", args=[version.pk]),
        {f"col_{i}": f for i, f in version.columns.items()},
    )
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.status == Version.Status.IMPORTING and version.job is not None
    assert 'data-testid="job-progress"' in client_c1.get(response["Location"]).content.decode()


def test_an_upload_that_cannot_be_read_says_why(client_c1, office, area):
    dataset = _dataset(office, area, "payroll")
    response = client_c1.post(
        reverse("datacheck:dataset", args=[dataset.pk]),
        {"file": SimpleUploadedFile("名册.xlsx", b"not a workbook"), "extracted_on": "2025-09-30"},
    )
    assert response.status_code == 200
    assert "名册.xlsx" in response.content.decode()
    assert not Version.objects.filter(dataset=dataset).exists()


def test_another_countys_area_cannot_be_chosen(client_c1, county):
    other = Organisation.objects.filter(kind="county").exclude(pk=county.pk).first()
    response = client_c1.post(
        reverse("datacheck:dataset_new"),
        {"organisation": other.pk, "kind": "benefit", "title": "越权", "department": "民政局"},
    )
    assert response.status_code == 200
    assert not Dataset.objects.filter(title="越权").exists()


def test_errors_report_and_explicit_acceptance(client_c1, office, area):
    rows = benefit_rows([(1, "张三")])
    rows[2][1] = "123456"
    version = _import(office, _dataset(office, area, "benefit"), csv_bytes(rows))
    page = client_c1.get(reverse("datacheck:version", args=[version.pk])).content.decode()
    assert 'data-testid="accept-form"' in page and 'data-testid="errors-download"' in page
    report = client_c1.get(reverse("datacheck:version_errors", args=[version.pk]))
    book = load_workbook(io.BytesIO(b"".join(report.streaming_content)))
    assert any(row[0] == 3 for row in book.active.iter_rows(values_only=True))
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.DATACHECK_EXPORTED, object_id=str(version.pk)
    ).exists()
    client_c1.post(reverse("datacheck:version_accept", args=[version.pk]), {})
    version.refresh_from_db()
    assert version.status == Version.Status.ERRORS  # the box was not ticked
    client_c1.post(reverse("datacheck:version_accept", args=[version.pk]), {"confirm": "on"})
    version.refresh_from_db()
    assert version.status == Version.Status.ACCEPTED and version.without_rejected


def test_rule_values_and_an_office_rule_through_the_pages(client_c1):
    url = reverse("datacheck:rule", args=["paid_after_death"])
    services.sync_library()
    response = client_c1.post(
        url, {"enabled": "on", "p_grace_months": "x", "p_excluded_types": "丧葬"}
    )
    assert response.status_code == 200
    response = client_c1.post(
        url, {"enabled": "on", "p_grace_months": "3", "p_excluded_types": "丧葬"}
    )
    assert response.status_code == 302
    rule = Rule.objects.get(code="paid_after_death")
    assert rule.values == {"grace_months": 3, "excluded_types": "丧葬"}

    form = {
        **{k: v for k, v in OFFICE_RULE.items() if k not in ("params", "kinds")},
        "kinds": ["benefit"],
        "params": "limit | number | 400 | 限额 | Limit",
    }
    bad = client_c1.post(reverse("datacheck:rule_new"), {**form, "sql": "DELETE FROM benefit"})
    assert bad.status_code == 200 and not Rule.objects.filter(code=form["code"]).exists()
    good = client_c1.post(reverse("datacheck:rule_new"), form)
    assert good.status_code == 302
    saved = Rule.objects.get(code=form["code"])
    assert saved.params[0]["name"] == "limit" and not saved.builtin


def test_run_findings_export_read_judge_and_record(client_c1, office, area, county):
    from xuncha.rounds.models import Team

    _county(office, area)
    response = client_c1.post(
        reverse("datacheck:run_new"),
        {
            "organisation": area.pk,
            "versions": [v.pk for v in services.current_versions(area)],
            "rules": ["payroll_on_benefits", "paid_after_death"],
        },
    )
    run = Run.objects.filter(organisation=area).get()
    assert response["Location"] == reverse("datacheck:run", args=[run.pk])
    assert [e["code"] for e in run.rules] == ["paid_after_death", "payroll_on_benefits"]
    services.run_execute(run)

    listing = client_c1.get(reverse("datacheck:findings"), {"run": run.pk, "status": "to_check"})
    text = listing.content.decode()
    assert "王五" in text and "李四" in text and 'data-testid="chart-findings"' in text
    export = client_c1.get(reverse("datacheck:findings"), {"run": run.pk, "export": "xlsx"})
    book = load_workbook(io.BytesIO(export.content))
    assert book.active.max_row == 3
    assert AuditEvent.objects.filter(event_type=AuditEventType.DATACHECK_EXPORTED).exists()

    finding = Finding.objects.get(organisation=area, rule__code="paid_after_death")
    url = reverse("datacheck:finding", args=[finding.pk])
    page = client_c1.get(url).content.decode()
    assert person_id(3) in page and 'data-testid="evidence"' in page
    assert (
        AuditEvent.objects.filter(
            event_type=AuditEventType.DATACHECK_FINDING_READ, object_id=str(finding.pk)
        ).count()
        == 1
    )
    client_c1.post(url, {"action": "judge", "status": "false_positive", "reason": ""})
    finding.refresh_from_db()
    assert finding.status == Finding.Status.TO_CHECK
    client_c1.post(url, {"action": "judge", "status": "confirmed", "reason": "已核实"})
    finding.refresh_from_db()
    assert finding.status == Finding.Status.CONFIRMED
    team = (
        Team.objects.exclude(round__stage="closed")
        .filter(targets__path__startswith=county.path)
        .first()
    )
    target = team.targets.filter(path__startswith=county.path).first()
    page = client_c1.get(url).content.decode()
    assert 'data-testid="record-form"' in page
    response = client_c1.post(
        url,
        {"action": "record", "round": team.round.pk, "target": target.pk, "kind": "clue"},
    )
    assert response.status_code == 302, response.context["record_form"].errors
    finding.refresh_from_db()
    assert finding.record is not None and finding.record.target == target


def test_column_headers_page_teaches_and_removes(client_c1, county):
    from xuncha.datacheck.models import HeaderAlias

    page = client_c1.get(reverse("datacheck:aliases")).content.decode()
    assert "公民身份号码" in page and 'data-testid="alias-form"' in page
    response = client_c1.post(
        reverse("datacheck:aliases"),
        {"organisation": county.pk, "text": "享受人 证号", "field": "id_number"},
    )
    assert response.status_code == 302
    alias = HeaderAlias.objects.get(organisation=county)
    assert alias.text == "享受人证号"  # spaces go, as they do when files are read
    assert "享受人证号" in client_c1.get(reverse("datacheck:aliases")).content.decode()
    client_c1.post(reverse("datacheck:alias_delete", args=[alias.pk]))
    assert not HeaderAlias.objects.filter(pk=alias.pk).exists()
