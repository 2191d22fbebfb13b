"""Imports (all-or-nothing, the error report, explicit acceptance, superseded versions,
provenance), runs (what ran on what, repeat runs, judged findings kept), judging, findings
becoming clues with themselves as evidence, office rules checked by DuckDB, and the audit
trail of each step."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from openpyxl import load_workbook

from xuncha.clues.models import EvidenceLink, Record
from xuncha.core.models import AuditEvent, AuditEventType, JobRun
from xuncha.datacheck import linking, services, storage
from xuncha.datacheck.models import Dataset, Finding, Rule, Run, Version
from xuncha.datacheck.tests.conftest import (
    DATABASE_TASKS,
    benefit_rows,
    csv_bytes,
    person_id,
)

EXTRACTED = dt.date(2025, 9, 30)


def _dataset(office: Any, area: Any, kind: str, title: str = "") -> Dataset:
    return services.dataset_create(
        actor=office,
        organisation=area,
        kind=kind,
        title=title or f"test {kind}",
        department="县民政局",
    )


def _upload(office: Any, dataset: Dataset, data: bytes, name: str = "list.csv") -> Version:
    return services.version_upload(
        actor=office, dataset=dataset, file_name=name, chunks=[data], extracted_on=EXTRACTED
    )


def _import(office: Any, dataset: Dataset, data: bytes, name: str = "list.csv") -> Version:
    version = _upload(office, dataset, data, name)
    columns = {int(i): f for i, f in version.columns.items()}
    services.version_confirm(actor=office, version=version, columns=columns, background=False)
    return services.import_version(version)


def _events(event_type: str, obj: Any) -> int:
    return AuditEvent.objects.filter(
        event_type=event_type, object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).count()


# -- imports ----------------------------------------------------------------------------------


def test_upload_proposes_the_mapping_and_keeps_provenance(office, area):
    dataset = _dataset(office, area, "benefit")
    data = csv_bytes([["2025年低保发放花名册"], *benefit_rows([(1, "张三")])], encoding="gb18030")
    version = _upload(office, dataset, data)
    assert version.status == Version.Status.MAPPING
    assert version.header_rows == [1]
    assert version.columns == {
        "0": "name",
        "1": "id_number",
        "2": "benefit_type",
        "3": "period",
        "4": "amount",
        "5": "township",
        "6": "village",
    }
    assert version.file_sha256 == hashlib.sha256(data).hexdigest()
    assert version.file_size == len(data)
    assert storage.source_path(version).read_bytes() == data
    preview = services.preview_of(version)
    assert preview.sample[0][:2] == ["张三", person_id(1)]
    assert _events(AuditEventType.DATACHECK_UPLOADED, version) == 1


@pytest.mark.parametrize(
    ("name", "data", "field", "text"),
    [
        ("list.pdf", b"%PDF-1.4", "file", "only .xlsx, .xls and .csv"),
        ("list.csv", b"", "file", "is empty"),
        ("list.csv", b"a,b\n1,2\n", "file", "list.csv"),
        ("list.xlsx", b"not a zip", "file", "list.xlsx"),
    ],
)
def test_unusable_uploads_are_refused_and_leave_nothing(office, area, name, data, field, text):
    dataset = _dataset(office, area, "benefit")
    with pytest.raises(ValidationError) as info:
        _upload(office, dataset, data, name)
    assert text in " ".join(info.value.message_dict[field])
    assert not dataset.versions.exists()
    assert not (storage.root() / str(dataset.pk) / "v1").exists()


def test_extraction_date_in_the_future_is_refused(office, area):
    dataset = _dataset(office, area, "benefit")
    with pytest.raises(ValidationError) as info:
        services.version_upload(
            actor=office,
            dataset=dataset,
            file_name="a.csv",
            chunks=[csv_bytes(benefit_rows([(1, "张三")]))],
            extracted_on=timezone.localdate() + dt.timedelta(days=2),
        )
    assert "extracted_on" in info.value.message_dict


def test_mapping_without_a_required_field_is_refused(office, area):
    dataset = _dataset(office, area, "benefit")
    version = _upload(office, dataset, csv_bytes(benefit_rows([(1, "张三")])))
    columns = {int(i): f for i, f in version.columns.items() if f != "id_number"}
    with pytest.raises(ValidationError) as info:
        services.version_confirm(actor=office, version=version, columns=columns)
    assert info.value.messages == [
        "No column holds ID number, which this kind of dataset must have."
    ]
    version.refresh_from_db()
    assert version.status == Version.Status.MAPPING
    assert not JobRun.objects.filter(kind="datacheck_import", label__contains=str(version)).exists()


@override_settings(TASKS=DATABASE_TASKS)
def test_import_runs_as_a_job_and_accepts_a_clean_file(
    office, area, django_capture_on_commit_callbacks, monkeypatch
):
    # The worker recycles connections between tasks; in a test that would close the one
    # holding the test's transaction (PostgreSQL), so only that recycling is disabled.
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    dataset = _dataset(office, area, "benefit")
    version = _upload(office, dataset, csv_bytes(benefit_rows([(1, "张三"), (2, "李四")])))
    with django_capture_on_commit_callbacks(execute=True):
        job = services.version_confirm(
            actor=office,
            version=version,
            columns={int(i): f for i, f in version.columns.items()},
        )
    assert job is not None
    call_command("db_worker", batch=True, interval=0, verbosity=0)
    job.refresh_from_db()
    version.refresh_from_db()
    assert job.status == JobRun.Status.SUCCEEDED, job.message
    assert job.result["valid"] == 12
    assert version.status == Version.Status.ACCEPTED
    assert (version.rows_total, version.rows_valid, version.rows_rejected) == (12, 12, 0)
    assert storage.parquet_path(version).exists()
    assert dataset.current() == version
    assert _events(AuditEventType.DATACHECK_IMPORTED, version) == 1


def test_rows_with_errors_wait_for_a_decision(office, area):
    dataset = _dataset(office, area, "benefit")
    rows = benefit_rows([(1, "张三"), (2, "李四")])
    bad_id = rows[3][1][:-1] + ("0" if rows[3][1][-1] != "0" else "1")
    rows[3][1] = bad_id
    rows[5][4] = "四百五"
    version = _import(office, dataset, csv_bytes(rows))
    assert version.status == Version.Status.ERRORS
    assert (version.rows_total, version.rows_valid, version.rows_rejected) == (12, 10, 2)
    assert dataset.current() is None  # nothing is used until the office decides
    book = load_workbook(storage.errors_path(version))
    values = [list(row) for row in book.active.iter_rows(values_only=True)]
    found = {(r[0], r[1]) for r in values if isinstance(r[0], int)}
    assert found == {(4, "公民身份号码"), (6, "发放金额")}
    with pytest.raises(ValidationError):
        services.run_start(actor=office, organisation=area, background=False)

    accepted = services.version_accept(actor=office, version=version)
    assert accepted.status == Version.Status.ACCEPTED
    assert accepted.without_rejected and accepted.accepted_by == office
    assert dataset.current() == accepted
    assert _events(AuditEventType.DATACHECK_ACCEPTED, version) == 1
    with pytest.raises(ValidationError):
        services.version_accept(actor=office, version=accepted)


def test_a_fixed_file_supersedes_the_version_with_errors(
    office, area, django_capture_on_commit_callbacks
):
    dataset = _dataset(office, area, "benefit")
    rows = benefit_rows([(1, "张三")])
    broken = [list(r) for r in rows]
    broken[2][3] = "2025年13月"
    first = _import(office, dataset, csv_bytes(broken))
    assert first.status == Version.Status.ERRORS
    linking.features(first)  # as a link run would have prepared them
    assert storage.features_path(first).exists()
    with django_capture_on_commit_callbacks(execute=True):
        second = _import(office, dataset, csv_bytes(rows))
    first.refresh_from_db()
    assert second.status == Version.Status.ACCEPTED and second.number == 2
    assert first.status == Version.Status.DISCARDED
    assert not storage.parquet_path(first).exists()
    assert not storage.features_path(first).exists()
    assert storage.source_path(first).exists()  # provenance of what was sent is kept


def test_discard_refuses_an_accepted_version(office, area):
    dataset = _dataset(office, area, "benefit")
    version = _import(office, dataset, csv_bytes(benefit_rows([(1, "张三")])))
    with pytest.raises(ValidationError):
        services.version_discard(actor=office, version=version)


# -- runs and findings ------------------------------------------------------------------------


def _county(office: Any, area: Any) -> dict[str, Version]:
    """A benefit list, payroll and deaths with one payroll member and one dead recipient."""
    benefit = _import(
        office,
        _dataset(office, area, "benefit"),
        csv_bytes(benefit_rows([(1, "张三"), (2, "李四"), (3, "王五")], months=range(1, 9))),
    )
    payroll = _import(
        office,
        _dataset(office, area, "payroll"),
        csv_bytes(
            [
                ["姓名", "身份证号", "工作单位", "职务"],
                ["李四", person_id(2), "测试镇人民政府", "科员"],
                ["赵六", person_id(9), "测试镇人民政府", "科员"],
            ]
        ),
    )
    death = _import(
        office,
        _dataset(office, area, "death"),
        csv_bytes(
            [
                ["姓名", "身份证号码", "死亡日期"],
                ["王五", person_id(3), "2025年2月10日"],
                ["周七", person_id(8), "2025-01-05"],
            ]
        ),
    )
    return {"benefit": benefit, "payroll": payroll, "death": death}


def test_a_run_records_what_ran_on_what_and_finds(office, area):
    versions = _county(office, area)
    run = services.run_start(actor=office, organisation=area, background=False)
    assert {v.pk for v in run.versions.all()} == {v.pk for v in versions.values()}
    codes = {entry["code"] for entry in run.rules}
    assert {"payroll_on_benefits", "paid_after_death", "tender_king"} <= codes
    entry = next(e for e in run.rules if e["code"] == "paid_after_death")
    assert entry["params"]["grace_months"] == 1
    assert len(entry["sql_sha256"]) == 64
    run = services.run_execute(run)
    assert run.status == Run.Status.DONE
    assert run.results["tender_king"]["missing"] == ["tender"]
    findings = Finding.objects.filter(organisation=area)
    assert {(f.rule.code, f.names) for f in findings} == {
        ("payroll_on_benefits", "李四"),
        ("paid_after_death", "王五"),
    }
    dead = findings.get(rule__code="paid_after_death")
    assert dead.subjects == [{"id": person_id(3), "name": "王五"}]
    assert dead.place == "测试镇 东村"
    kinds = sorted({e["kind"] for e in dead.evidence})
    assert kinds == ["benefit", "death"]
    death_row = next(e for e in dead.evidence if e["kind"] == "death")
    assert death_row["version"] == versions["death"].pk
    assert death_row["row"] == 2
    assert death_row["data"]["death_date"] == "2025-02-10"
    assert "王五" in dead.explanation_zh and "王五" in dead.explanation_en
    assert run.findings_new == 2 and run.findings_total == 2


def test_repeat_runs_do_not_duplicate_and_keep_judgements(office, area):
    _county(office, area)
    first = services.run_execute(
        services.run_start(actor=office, organisation=area, background=False)
    )
    payroll = Finding.objects.get(organisation=area, rule__code="payroll_on_benefits")
    services.finding_judge(
        actor=office, finding=payroll, status=Finding.Status.FALSE_POSITIVE, reason="公益岗"
    )
    second = services.run_execute(
        services.run_start(actor=office, organisation=area, background=False)
    )
    assert Finding.objects.filter(organisation=area).count() == 2
    payroll.refresh_from_db()
    assert payroll.status == Finding.Status.FALSE_POSITIVE and payroll.reason == "公益岗"
    assert payroll.first_run == first and payroll.last_run == second
    assert second.findings_new == 0
    assert second.results["payroll_on_benefits"]["judged"] == 1
    assert second.results["paid_after_death"]["updated"] == 1


def test_rule_parameters_change_what_is_found(office, area):
    _county(office, area)
    rule = Rule.objects.get(code="paid_after_death")
    services.rule_set_values(actor=office, rule=rule, enabled=True, values={"grace_months": 24})
    run = services.run_execute(
        services.run_start(actor=office, organisation=area, background=False)
    )
    assert not Finding.objects.filter(organisation=area, rule=rule).exists()
    assert next(e for e in run.rules if e["code"] == rule.code)["params"]["grace_months"] == 24
    services.rule_set_values(actor=office, rule=rule, enabled=False, values={})
    run = services.run_start(actor=office, organisation=area, background=False)
    assert rule.code not in {e["code"] for e in run.rules}


def test_judging_and_recording_as_a_clue(office, area, county):
    from xuncha.rounds.models import Team

    _county(office, area)
    services.run_execute(services.run_start(actor=office, organisation=area, background=False))
    finding = Finding.objects.get(organisation=area, rule__code="paid_after_death")
    with pytest.raises(ValidationError) as info:
        services.finding_judge(actor=office, finding=finding, status="false_positive")
    assert "reason" in info.value.message_dict
    team = (
        Team.objects.exclude(round__stage="closed")
        .filter(targets__path__startswith=county.path)
        .first()
    )
    target = team.targets.filter(path__startswith=county.path).first()
    elsewhere = (
        Team.objects.filter(targets__isnull=False)
        .exclude(targets__path__startswith=county.path)
        .first()
    )
    with pytest.raises(ValidationError):  # not confirmed yet
        services.finding_to_record(
            actor=office, finding=finding, round_=team.round, target=target, kind="clue", team=team
        )
    services.finding_judge(actor=office, finding=finding, status=Finding.Status.CONFIRMED)
    if elsewhere is not None:
        with pytest.raises(ValidationError):  # a target outside the county
            services.finding_to_record(
                actor=office,
                finding=finding,
                round_=elsewhere.round,
                target=elsewhere.targets.first(),
                kind="clue",
                team=elsewhere,
            )
    from xuncha.core import services as core_services

    wang = core_services.person_create(
        actor=office, name="王五", registry=county, id_number=person_id(3)
    )
    record = services.finding_to_record(
        actor=office, finding=finding, round_=team.round, target=target, kind="clue", team=team
    )
    assert isinstance(record, Record)
    assert [(s.name, s.person) for s in record.subjects.all()] == [("王五", wang)]
    assert record.source == "dataset" and "王五" in record.title
    link = EvidenceLink.objects.get(record=record)
    assert link.object_id == str(finding.pk) and link.content_type.model == "finding"
    finding.refresh_from_db()
    assert finding.record == record
    with pytest.raises(ValidationError):
        services.finding_judge(actor=office, finding=finding, status=Finding.Status.TO_CHECK)
    assert _events(AuditEventType.DATACHECK_FINDING_TO_CLUE, finding) == 1
    assert _events(AuditEventType.DATACHECK_FINDING_JUDGED, finding) == 1


OFFICE_RULE = {
    "code": "benefit_over_limit",
    "name_zh": "单月发放超过限额",
    "name_en": "Monthly payment over a limit",
    "description_zh": "单月发放金额超过限额。",
    "description_en": "A monthly payment over the limit.",
    "kinds": ["benefit"],
    "params": [
        {"name": "limit", "type": "number", "default": 400, "label_zh": "限额", "label_en": "Limit"}
    ],
    "sql": (
        "SELECT id_number || '|' || strftime(period, '%Y-%m') AS key,\n"
        "  [{'id': id_number, 'name': name}] AS subjects,\n"
        "  concat_ws(' ', township, village) AS organisation,\n"
        "  [{'kind': 'benefit', 'row': _row}] AS evidence, amount\n"
        "FROM benefit WHERE amount > $limit"
    ),
    "explain_zh": "{name}某月领取{amount}元，超过限额。",
    "explain_en": "{name} was paid {amount} yuan in a month, over the limit.",
}


def test_office_rules_are_checked_before_saving_and_run(office, area, county):
    broken = {**OFFICE_RULE, "sql": "SELECT id_number FROM benefit"}
    with pytest.raises(ValidationError) as info:
        services.rule_save(actor=office, organisation=county, data=broken)
    assert "key" in " ".join(info.value.messages)
    escape = {**OFFICE_RULE, "sql": "SELECT * FROM read_csv('/etc/passwd')"}
    with pytest.raises(ValidationError):
        services.rule_save(actor=office, organisation=county, data=escape)
    assert not Rule.objects.filter(code="benefit_over_limit").exists()

    rule = services.rule_save(actor=office, organisation=county, data=OFFICE_RULE)
    assert rule.revision == 1 and not rule.builtin
    benefit = _import(
        office,
        _dataset(office, area, "benefit"),
        csv_bytes(benefit_rows([(1, "张三")], range(1, 3))),
    )
    assert benefit.status == Version.Status.ACCEPTED
    run = services.run_execute(
        services.run_start(
            actor=office, organisation=area, codes=["benefit_over_limit"], background=False
        )
    )
    assert run.findings_new == 2
    finding = Finding.objects.filter(organisation=area, rule=rule).order_by("key").first()
    assert finding.explanation_zh == "张三某月领取450.00元，超过限额。"
    changed = services.rule_save(
        actor=office, organisation=county, rule=rule, data={**OFFICE_RULE, "name_zh": "超限额"}
    )
    assert changed.revision == 2
    assert (
        AuditEvent.objects.filter(
            event_type=AuditEventType.DATACHECK_RULE_SET, object_id=str(rule.pk)
        ).count()
        == 2
    )


def test_shipped_rules_cannot_be_rewritten(office, county):
    services.sync_library()
    rule = Rule.objects.get(code="tender_king")
    with pytest.raises(ValidationError):
        services.rule_save(actor=office, organisation=county, rule=rule, data=OFFICE_RULE)


def test_library_sync_adds_every_shipped_rule_once(db):
    from xuncha.datacheck.lib import rules

    services.sync_library()
    services.sync_library()
    shipped = [spec.code for spec in rules.builtin_rules()]
    assert len(shipped) == 11
    stored = list(Rule.objects.filter(builtin=True).values_list("code", flat=True))
    assert sorted(stored) == sorted(shipped)
    assert all(r.revision == 1 for r in Rule.objects.filter(builtin=True))


def test_two_versions_of_a_kind_are_compared_together(office, area):
    first = _import(
        office, _dataset(office, area, "benefit", "低保"), csv_bytes(benefit_rows([(1, "张三")]))
    )
    _import(
        office,
        _dataset(office, area, "benefit", "特困"),
        csv_bytes(benefit_rows([(2, "李四")], range(1, 3))),
    )
    _import(
        office,
        _dataset(office, area, "payroll"),
        csv_bytes(
            [
                ["姓名", "身份证号", "工作单位"],
                ["李四", person_id(2), "某局"],
                ["张三", person_id(1), "某局"],
            ]
        ),
    )
    services.run_execute(services.run_start(actor=office, organisation=area, background=False))
    found = {
        f.names: f
        for f in Finding.objects.filter(organisation=area, rule__code="payroll_on_benefits")
    }
    assert set(found) == {"张三", "李四"}
    rows = {(e["version"], e["row"]) for e in found["张三"].evidence if e["kind"] == "benefit"}
    assert {v for v, _r in rows} == {first.pk}
    assert all(1 < r < 10 for _v, r in rows)


def test_cli_scan(tmp_path: Path):
    from django.core.management.base import CommandError

    (tmp_path / "benefit.csv").write_bytes(
        csv_bytes(benefit_rows([(1, "张三"), (2, "李四")]), encoding="gb18030")
    )
    (tmp_path / "payroll.csv").write_bytes(
        csv_bytes([["姓名", "证件号码", "单位"], ["李四", person_id(2), "某局"]])
    )
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(
        "county: 示例县\ndatasets:\n"
        "  - {kind: benefit, file: benefit.csv, department: 县民政局, extracted: 2025-09-30}\n"
        "  - {kind: payroll, file: payroll.csv}\n",
        encoding="utf-8",
    )
    out = tmp_path / "findings.csv"
    call_command("datacheck", "scan", "--manifest", str(manifest), "--out", str(out))
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("rule,rule_name,key,subjects")
    assert len(lines) == 2 and lines[1].startswith("payroll_on_benefits,")
    assert "李四" in lines[1] and "payroll:payroll.csv:2" in lines[1]

    rows = benefit_rows([(1, "张三")])
    rows[1][1] = "123"
    (tmp_path / "benefit.csv").write_bytes(csv_bytes(rows))
    with pytest.raises(CommandError) as info:
        call_command("datacheck", "scan", "--manifest", str(manifest), "--out", str(out))
    assert "--accept-rejected" in str(info.value)
    assert (tmp_path / "findings.csv.errors.csv").exists()
    manifest.write_text("datasets:\n  - {kind: nonsense, file: benefit.csv}\n", encoding="utf-8")
    with pytest.raises(CommandError) as info:
        call_command("datacheck", "scan", "--manifest", str(manifest), "--out", str(out))
    assert "dataset 1: unknown kind 'nonsense'" in str(info.value)


# -- the organisation a finding concerns, the unit profile and the plan proposer ---------------

INDEX = [
    ("东山镇", 3, 10),
    ("前村", 4, 11),
    ("后村", 4, 12),
    ("青岚县民政局", 3, 13),
    ("东村", 4, 14),
]


@pytest.mark.parametrize(
    ("place", "unit"),
    [
        ("东山镇 前村", 11),  # the village, deeper than its township
        ("东山镇", 10),
        ("青岚县东山镇人民政府", 10),  # a name inside the awarding organisation's
        ("青岚县民政局", 13),
        ("西河乡 东村", 14),  # a two-character name only as a whole word
        ("东村水库管理所", None),
        ("", None),
    ],
)
def test_the_place_of_a_finding_names_its_organisation(place, unit):
    assert services.unit_for(place, INDEX) == unit


def test_two_organisations_of_one_name_name_none():
    assert services.unit_for("东山镇 前村", [*INDEX, ("前村", 4, 15)]) is None
    assert services.unit_for("前村 后村", INDEX) == 12  # the last word is the particular


def test_confirmed_findings_reach_the_profile_and_the_proposer(office, area, county, as_user):
    from django.urls import reverse

    from xuncha.core import services as core_services
    from xuncha.rounds import selectors

    village = core_services.organisation_create(
        actor=office, name="东村", code=f"V-DC-{area.pk}", kind="village", parent=area
    )
    _county(office, area)
    services.run_execute(services.run_start(actor=office, organisation=area, background=False))
    dead = Finding.objects.get(organisation=area, rule__code="paid_after_death")
    assert dead.unit == village
    assert services.confirmed_counts([village.pk]) == {}
    services.finding_judge(actor=office, finding=dead, status=Finding.Status.CONFIRMED)
    assert services.confirmed_counts([village.pk, area.pk]) == {village.pk: 1}
    assert selectors.finding_priority(1.0, 1) == 1.5
    assert selectors.finding_priority(1.0, 9) == 3.0  # at most +2
    assert selectors.finding_priority(0.0, 3) == 0.0  # left out on purpose stays out
    from xuncha.rounds.models import CommitteeTerm

    term = CommitteeTerm.objects.filter(committee=county).first()
    assert term is not None  # the demo county has a term: the ledger and proposer see it
    row = next(
        r for r in selectors.ledger(term, dt.date(2026, 1, 1)).rows if r.organisation == village
    )
    assert (row.priority, row.findings, row.proposal_priority) == (1.0, 1, 1.5)

    page = as_user("office_c1").get(reverse("rounds:unit_profile", args=[village.pk]))
    text = page.content.decode()
    assert 'data-testid="profile-findings-count">1<' in text
    assert dead.explanation_zh in text
    leading = as_user("leading").get(reverse("rounds:unit_profile", args=[village.pk]))
    assert leading.status_code == 200  # the leading group reads profiles, not findings
    assert 'data-testid="profile-findings-count">1<' in leading.content.decode()
    assert dead.explanation_zh not in leading.content.decode()


# -- header texts the office teaches ----------------------------------------------------------


def test_a_column_mapped_by_hand_teaches_its_header(office, area, county):
    from xuncha.datacheck.models import HeaderAlias

    rows = benefit_rows([(1, "张三")])
    rows[0][1] = "享受人证号"  # not a shipped text
    first = _upload(office, _dataset(office, area, "benefit", "一"), csv_bytes(rows))
    assert "1" not in first.columns
    columns = {int(i): f for i, f in first.columns.items()} | {1: "id_number"}
    services.version_confirm(actor=office, version=first, columns=columns, background=False)
    alias = HeaderAlias.objects.get(text="享受人证号")
    assert (alias.field, alias.organisation) == ("id_number", county)
    assert _events(AuditEventType.DATACHECK_ALIAS_SET, alias) == 1
    # The next file with that header is mapped at once, in any dataset of the county.
    second = _upload(office, _dataset(office, area, "benefit", "二"), csv_bytes(rows))
    assert second.columns["1"] == "id_number"
    # Mapping the same way again teaches nothing new.
    services.version_confirm(
        actor=office,
        version=second,
        columns={int(i): f for i, f in second.columns.items()},
        background=False,
    )
    assert HeaderAlias.objects.filter(text="享受人证号").count() == 1


def test_a_taught_text_comes_before_the_shipped_ones(office, area, county):
    rows = [["姓名", "户主身份证号", "享受人身份证号", "救助类别", "发放金额"]]
    rows.append(["张三", person_id(2), person_id(1), "低保", "100"])
    before = _upload(office, _dataset(office, area, "benefit", "一"), csv_bytes(rows))
    assert before.columns["1"] == "id_number" and "2" not in before.columns
    services.alias_set(actor=office, organisation=county, text="享受人身份证号", field="id_number")
    after = _upload(office, _dataset(office, area, "benefit", "二"), csv_bytes(rows))
    assert after.columns["2"] == "id_number" and "1" not in after.columns


def test_teaching_refuses_an_empty_text_or_an_unknown_field(office, county):
    with pytest.raises(ValidationError) as info:
        services.alias_set(actor=office, organisation=county, text="  ", field="name")
    assert "text" in info.value.message_dict
    with pytest.raises(ValidationError):
        services.alias_set(actor=office, organisation=county, text="户头", field="nonsense")


def test_a_rule_that_fails_on_the_data_does_not_stop_the_run(office, area, county):
    failing = {
        **OFFICE_RULE,
        "code": "fails_on_data",
        "params": [],
        "sql": OFFICE_RULE["sql"]
        .replace("amount\nFROM", "CAST(name AS INTEGER) AS n\nFROM")
        .replace("WHERE amount > $limit", ""),
        "explain_zh": "{name} {n}",
        "explain_en": "{name} {n}",
    }
    services.rule_save(actor=office, organisation=county, data=failing)  # fine on no rows
    _county(office, area)
    run = services.run_execute(
        services.run_start(
            actor=office,
            organisation=area,
            codes=["fails_on_data", "payroll_on_benefits"],
            background=False,
        )
    )
    assert run.status == Run.Status.DONE
    assert "fails_on_data" in run.results["fails_on_data"]["error"]
    assert run.results["payroll_on_benefits"]["new"] == 1


def test_the_library_is_in_the_database_once_migrated(db):
    from xuncha.datacheck.lib import rules

    shipped = {spec.code for spec in rules.builtin_rules()}
    assert set(Rule.objects.filter(builtin=True).values_list("code", flat=True)) == shipped


def test_an_upload_over_the_limit_is_stopped_while_written(office, area, monkeypatch):
    monkeypatch.setattr(services, "MAX_UPLOAD_BYTES", 100)
    dataset = _dataset(office, area, "benefit")
    chunks_read = []

    def chunks():
        for _ in range(50):
            chunks_read.append(1)
            yield b"x" * 60

    with pytest.raises(ValidationError) as info:
        services.version_upload(
            actor=office,
            dataset=dataset,
            file_name="big.csv",
            chunks=chunks(),
            extracted_on=EXTRACTED,
        )
    assert "larger than 500 MB" in " ".join(info.value.message_dict["file"])
    assert len(chunks_read) == 2  # not the whole upload
    assert not dataset.versions.exists()


def test_a_rule_changed_while_the_run_waited_is_not_run(office, area):
    _county(office, area)
    run = services.run_start(
        actor=office, organisation=area, codes=["payroll_on_benefits"], background=False
    )
    rule = Rule.objects.get(code="payroll_on_benefits")
    Rule.objects.filter(pk=rule.pk).update(revision=rule.revision + 1)
    run = services.run_execute(run)
    assert run.results["payroll_on_benefits"] == {"missing": [], "changed": True, "hits": 0}
    assert not Finding.objects.filter(organisation=area).exists()
