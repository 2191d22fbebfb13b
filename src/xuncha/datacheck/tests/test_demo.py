"""The demo tells issue 8's story (it is loaded once per test session by the root conftest):
county 1's office imported the departments' messy files, the benefit list first with
errors and then fixed; one run of the library found cases of every rule; one finding is a
false positive with its reason, two are confirmed and recorded as clues with themselves as
evidence, and a confirmed 中标王 finding about a township raises its priority."""

from __future__ import annotations

from xuncha.clues.models import EvidenceLink, Source
from xuncha.datacheck.demo import FALSE_POSITIVE_REASON
from xuncha.datacheck.lib import rules
from xuncha.datacheck.models import Dataset, Finding, Kind, Run, Version


def test_the_demo_datasets_and_the_fixed_benefit_list(county):
    datasets = Dataset.objects.filter(organisation=county)
    assert sorted(d.kind for d in datasets) == sorted(Kind.values)
    benefit = datasets.get(kind="benefit")
    first, second = benefit.versions.order_by("number")
    assert first.status == Version.Status.DISCARDED and first.rows_rejected == 3
    assert second.status == Version.Status.ACCEPTED and second.rows_rejected == 0
    assert benefit.current() == second
    for dataset in datasets.exclude(kind="benefit"):
        assert dataset.current() is not None and dataset.current().rows_rejected == 0


def test_the_demo_run_found_every_rule_and_the_review(county):
    run = Run.objects.get(organisation=county)
    assert run.status == Run.Status.DONE
    assert {e["code"] for e in run.rules} == {s.code for s in rules.builtin_rules()}
    findings = Finding.objects.filter(organisation=county)
    assert {f.rule.code for f in findings} == {s.code for s in rules.builtin_rules()}
    false = findings.get(status=Finding.Status.FALSE_POSITIVE)
    assert false.rule.code == "recipient_vehicle" and false.reason == FALSE_POSITIVE_REASON
    recorded = findings.filter(status=Finding.Status.CONFIRMED, record__isnull=False)
    assert sorted(f.rule.code for f in recorded) == ["paid_after_death", "payroll_on_benefits"]
    for finding in recorded:
        assert finding.record.source == Source.DATASET and finding.record.kind == "clue"
        link = EvidenceLink.objects.get(record=finding.record)
        assert link.object_id == str(finding.pk)
        assert finding.unit is not None  # the demo's files name the county's own villages
    tender = findings.get(rule__code="tender_king", status=Finding.Status.CONFIRMED)
    assert tender.record is None and tender.unit is not None
    assert tender.unit.path.startswith(county.path)
