"""Record linkage in the app (issue #9): a village roster without ID numbers linked to the
household registry, as a job (SQLite and PostgreSQL); the decisions people make on pairs
remembered by the next run, even after the roster is imported again; the ID numbers found
filling the roster for the rules, with the pair in the finding's evidence; who may decide;
and the audit trail of each step."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import override_settings

from xuncha.core.models import AuditEvent, AuditEventType, JobRun, User
from xuncha.datacheck import linking, services
from xuncha.datacheck.labels import LEVEL_LABELS
from xuncha.datacheck.lib import link
from xuncha.datacheck.models import Finding, LinkDecision, LinkPair, LinkRun, Version
from xuncha.datacheck.tests.conftest import DATABASE_TASKS, csv_bytes, person_id
from xuncha.datacheck.tests.test_services import _dataset, _import

HOUSEHOLD_HEADER = [
    "户号",
    "姓名",
    "公民身份号码",
    "与户主关系",
    "性别",
    "出生日期",
    "乡镇",
    "村",
    "住址",
]
ROSTER_HEADER = ["姓名", "性别", "出生年月", "年龄", "乡镇", "村", "联系电话", "类别", "金额"]
# (n, name, gender, birth date, village): the registry of 测试镇.
PEOPLE = [
    (1, "张卫东", "男", dt.date(1976, 5, 12), "东村"),
    (2, "王芳", "女", dt.date(1980, 1, 3), "东村"),
    (3, "李强", "男", dt.date(1970, 7, 7), "东村"),
    (4, "刘秀英", "女", dt.date(1955, 2, 20), "东村"),
    (5, "陈建国", "男", dt.date(1962, 11, 30), "东村"),
    (6, "杨丽", "女", dt.date(1985, 6, 15), "东村"),
    (7, "赵志刚", "男", dt.date(1968, 9, 9), "东村"),
    (8, "黄桂兰", "女", dt.date(1950, 12, 1), "东村"),
    (9, "周明", "男", dt.date(1990, 3, 18), "东村"),
    (10, "吴海燕", "女", dt.date(1978, 8, 25), "东村"),
    (11, "徐文", "男", dt.date(1945, 4, 4), "西村"),
    (12, "孙玉梅", "女", dt.date(1958, 10, 10), "西村"),
    (13, "胡军", "男", dt.date(1982, 2, 2), "西村"),
    (14, "朱红", "女", dt.date(1975, 5, 5), "西村"),
    (15, "高伟", "男", dt.date(1966, 6, 6), "西村"),
    (16, "林静", "女", dt.date(1988, 8, 8), "西村"),
    (17, "何平", "男", dt.date(1972, 7, 2), "西村"),
    (18, "郭敏", "女", dt.date(1983, 3, 3), "西村"),
    (19, "马超", "男", dt.date(1979, 9, 19), "西村"),
    (20, "罗兰", "女", dt.date(1961, 1, 21), "西村"),
    (21, "张卫国", "男", dt.date(1979, 4, 12), "东村"),
    (22, "王方", "女", dt.date(1981, 10, 3), "西村"),
]
# The roster of 东村 (name, gender, birth as written, age, phone, benefit, amount):
# a traditional character, a homophone, partial birth dates, an age only, one person who
# is not in the registry.
ROSTER = [
    ["張衛東", "男", "1976-05-12", "", "13800000001", "高龄补贴", "100"],
    ["王芳", "女", "1980年1月", "", "", "低保", "450"],
    ["李墙", "男", "1970-07-07", "", "", "低保", "450"],
    ["刘秀英", "女", "", "约70岁", "", "高龄补贴", "100"],
    ["陈建国", "男", "1962-11-30", "", "", "低保", "450"],
    ["杨丽", "女", "1985年6月", "", "", "教育救助", "300"],
    ["马小龙", "男", "1993-02-14", "", "", "低保", "450"],
]


def household_csv(people: list[tuple[int, str, str, dt.date, str]] = PEOPLE) -> bytes:
    rows: list[list[Any]] = [HOUSEHOLD_HEADER]
    for n, name, gender, born, village in people:
        rows.append(
            [
                f"H{n:03d}",
                name,
                person_id(n, born),
                "户主",
                gender,
                born.isoformat(),
                "测试镇",
                village,
                f"测试镇{village}{n}号",
            ]
        )
    return csv_bytes(rows)


def roster_csv(rows: list[list[str]] = ROSTER) -> bytes:
    return csv_bytes(
        [ROSTER_HEADER]
        + [[r[0], r[1], r[2], r[3], "测试镇", "东村", r[4], r[5], r[6]] for r in rows]
    )


def _lists(office: Any, area: Any) -> tuple[Version, Version]:
    household = _import(office, _dataset(office, area, "household"), household_csv())
    roster = _import(office, _dataset(office, area, "roster"), roster_csv())
    assert household.status == roster.status == Version.Status.ACCEPTED, roster.message
    return household, roster


def _linked(office: Any, area: Any, left: Version, right: Version | None, **kw: Any) -> LinkRun:
    run = linking.link_start(
        actor=office, area=area, left=left, right=right, background=False, **kw
    )
    return linking.link_execute(run)


def _names(run: LinkRun) -> dict[tuple[str, str], LinkPair]:
    """(left name, right name) -> pair."""
    pairs = list(run.pairs.all())
    lefts = linking.rows_of(run.left, (p.left_row for p in pairs))
    rights = linking.rows_of(run.right or run.left, (p.right_row for p in pairs))
    return {(lefts[p.left_row]["name"], rights[p.right_row]["name"]): p for p in pairs}


def _events(event_type: str, obj: Any) -> int:
    return AuditEvent.objects.filter(
        event_type=event_type, object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).count()


# -- running ----------------------------------------------------------------------------------


def test_a_roster_is_linked_to_the_registry(office, area):
    household, roster = _lists(office, area)
    run = _linked(office, area, household, roster)
    assert run.status == LinkRun.Status.DONE and run.finished_at is not None
    assert (run.left_records, run.right_records) == (len(PEOPLE), len(ROSTER))
    assert run.trained is False and run.model  # too few records to train on: the shipped model
    assert run.problems == []
    pairs = _names(run)
    # Traditional characters are read as simplified at the import; the rest by linkage.
    assert pairs[("张卫东", "张卫东")].levels["name"] == "exact"
    assert pairs[("李强", "李墙")].levels["name"] == "homophone"
    assert pairs[("王芳", "王芳")].levels["birth"] == "month"
    assert pairs[("刘秀英", "刘秀英")].levels["birth"] == "about"
    for key in [("张卫东", "张卫东"), ("李强", "李墙"), ("王芳", "王芳"), ("陈建国", "陈建国")]:
        assert pairs[key].band == LinkPair.Band.MATCH and pairs[key].probability >= 0.9
    assert pairs[("王方", "王芳")].band == LinkPair.Band.REVIEW  # a namesake, one year apart
    assert not any(right == "马小龙" for _left, right in pairs)  # not in the registry
    assert run.matches == 6 and run.links == 6 and run.reviews == run.pairs_total - 6
    keys = {p.right_key for p in pairs.values()} | {p.left_key for p in pairs.values()}
    assert all(len(k) == 32 for k in keys)
    assert _events(AuditEventType.DATACHECK_LINK_RUN, run) == 1


def test_features_are_prepared_at_import_once_and_again_when_stale(office, area, monkeypatch):
    import pyarrow.parquet as pq

    from xuncha.datacheck import storage

    household, roster = _lists(office, area)
    # The household register's at its import (clue pages search it); a roster's at its
    # first link run.
    path = storage.features_path(household)
    assert path.exists() and not storage.features_path(roster).exists()
    kept = pq.read_table(path)
    assert kept.num_rows == len(PEOPLE)
    assert kept.schema.metadata[b"xuncha.link.features"] == link.FEATURES_STAMP.encode()
    _linked(office, area, household, roster)
    assert storage.features_path(roster).exists()

    calls = []
    real = link.prepare

    def counting(*args: Any, **kw: Any) -> Any:
        calls.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(link, "prepare", counting)
    first, problems = linking.features(household)
    assert calls == [] and first.equals(kept.replace_schema_metadata(None)) and problems == []
    monkeypatch.setattr(link, "FEATURES_STAMP", "0:older")
    again, _problems = linking.features(household)
    assert calls == [1] and again.equals(first)
    assert pq.read_schema(path).metadata[b"xuncha.link.features"] == b"0:older"
    assert not list(path.parent.glob("*.partial"))


def test_problems_are_kept_with_the_features(office, area):
    household = _import(office, _dataset(office, area, "household"), household_csv())
    rows = [*ROSTER, ["赵六", "男", "", "很老", "", "低保", "450"]]
    roster = _import(office, _dataset(office, area, "roster"), roster_csv(rows))
    assert roster.status == Version.Status.ACCEPTED, roster.message
    first = _linked(office, area, household, roster)
    assert [(p["side"], p["role"]) for p in first.problems] == [("right", "age")]
    assert "很老" not in str(first.problems)  # the message, never the value
    second = _linked(office, area, household, roster)  # from the kept features
    assert second.problems == first.problems


def test_keys_survive_a_new_import_of_the_same_rows(office, area):
    household, roster = _lists(office, area)
    again = _import(office, roster.dataset, roster_csv(list(reversed(ROSTER))), "again.csv")
    first = _names(_linked(office, area, household, roster))
    second = _names(_linked(office, area, household, again))
    assert first.keys() == second.keys()
    for names, pair in first.items():
        assert (pair.left_key, pair.right_key) == (second[names].left_key, second[names].right_key)
        assert pair.right_row != second[names].right_row or names[1] == "刘秀英"


@override_settings(TASKS=DATABASE_TASKS)
def test_a_link_run_is_a_job(office, area, django_capture_on_commit_callbacks, monkeypatch):
    # The worker recycles connections between tasks; in a test that would close the one
    # holding the test's transaction (PostgreSQL), so only that recycling is disabled.
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    household, roster = _lists(office, area)
    with django_capture_on_commit_callbacks(execute=True):
        run = linking.link_start(actor=office, area=area, left=household, right=roster)
    assert run.job is not None and run.status == LinkRun.Status.QUEUED
    call_command("db_worker", batch=True, interval=0, verbosity=0)
    run.refresh_from_db()
    job = JobRun.objects.get(pk=run.job_id)
    assert job.status == JobRun.Status.SUCCEEDED, job.message
    assert run.status == LinkRun.Status.DONE and run.links == 6
    assert job.result["links"] == 6 and job.result["next_url"].endswith(f"/links/{run.pk}/")
    assert job.done == job.total == 4


def test_refusals(office, area, county):
    household, roster = _lists(office, area)
    tender = _dataset(office, area, "tender")
    pending = Version.objects.create(
        dataset=roster.dataset,
        number=99,
        file_name="x.csv",
        file_sha256="",
        file_size=1,
        extracted_on=dt.date(2025, 9, 30),
        imported_by=office,
    )
    with pytest.raises(ValidationError, match="not accepted"):
        linking.link_start(actor=office, area=area, left=household, right=pending)
    other = services.dataset_create(
        actor=office, organisation=county, kind="household", title="县户籍", department="公安局"
    )
    county_version = _import(office, other, household_csv())
    with pytest.raises(ValidationError, match="does not cover this area"):
        linking.link_start(actor=office, area=area, left=county_version, right=roster)
    rows = [["项目名称", "企业名称", "中标日期", "金额"], ["道路", "某公司", "2025-01-01", "100"]]
    tender_version = _import(office, tender, csv_bytes(rows))
    with pytest.raises(ValidationError, match="not a list of people"):
        linking.link_start(actor=office, area=area, left=household, right=tender_version)
    with pytest.raises(link.LinkError):
        link.Thresholds(0.5, 0.9)
    run = linking.link_execute(
        linking.link_start(actor=office, area=area, left=roster, right=roster, background=False)
    )
    assert run.right is None  # one list on both sides: its duplicates
    with pytest.raises(ValidationError, match="not waiting"):
        linking.link_execute(run)


def test_duplicates_within_one_list(office, area):
    rows = [*ROSTER, ["陈建國", "男", "1962-11-30", "", "", "高龄补贴", "100"]]
    roster = _import(office, _dataset(office, area, "roster"), roster_csv(rows))
    run = _linked(office, area, roster, None)
    assert run.right is None and run.right_records == 0
    pairs = _names(run)
    assert list(pairs) == [("陈建国", "陈建国")]
    assert pairs[("陈建国", "陈建国")].band == LinkPair.Band.MATCH


# -- decisions --------------------------------------------------------------------------------


def test_decisions_are_remembered_by_the_next_run(office, area, county):
    household, roster = _lists(office, area)
    run = _linked(office, area, household, roster)
    pairs = _names(run)
    namesake, same = pairs[("王方", "王芳")], pairs[("陈建国", "陈建国")]
    accepted = linking.decide(actor=office, pair=namesake, accepted=True, reason="同户核实")
    rejected = linking.decide(actor=office, pair=same, accepted=False)
    assert accepted.area == county  # kept for the county, by the records' keys
    assert accepted.decision == LinkDecision.Decision.ACCEPTED and accepted.reason == "同户核实"
    assert _events(AuditEventType.DATACHECK_LINK_DECIDED, accepted) == 1
    ids = linking.linked_ids(roster)
    rows = {p.right_row: n for n, p in pairs.items()}
    by_name = {rows[row][1]: number for row, (number, _p, _id) in ids.items()}
    assert "陈建国" not in by_name  # rejected: never a link
    assert by_name["王芳"] == person_id(22, dt.date(1981, 10, 3))  # accepted comes first
    assert by_name["张卫东"] == person_id(1, dt.date(1976, 5, 12))

    # The roster imported again: the next run uses the decisions, by the records' keys.
    again = _import(office, roster.dataset, roster_csv(), "again.csv")
    run2 = _linked(office, area, household, again)
    pairs2 = _names(run2)
    assert run2.links == 6  # five of the link band (one rejected) and the accepted one
    names2 = {p.right_row: n[1] for n, p in pairs2.items()}
    by_name2 = {names2[row]: number for row, (number, _p, _id) in linking.linked_ids(again).items()}
    assert by_name2 == by_name
    # A run that scores the accepted pair below its review threshold keeps it, as a link.
    above = (namesake.probability + 1) / 2
    third = _import(office, roster.dataset, roster_csv(), "third.csv")
    run3 = _linked(office, area, household, third, thresholds=link.Thresholds(above, above))
    kept = _names(run3)[("王方", "王芳")]
    assert kept.band == LinkPair.Band.BELOW
    assert kept.probability == pytest.approx(namesake.probability, abs=1e-4)
    assert run3.links >= 1

    # Taking the rejection back makes the pair a link again.
    assert pairs2[("陈建国", "陈建国")].band == LinkPair.Band.MATCH
    linking.undo(actor=office, pair=pairs2[("陈建国", "陈建国")])
    assert not LinkDecision.objects.filter(pk=rejected.pk).exists()
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.DATACHECK_LINK_DECIDED, extra__undone=True
    ).exists()
    assert len(linking.linked_ids(again)) == 6
    with pytest.raises(ValidationError, match="No decision"):
        linking.undo(actor=office, pair=pairs2[("陈建国", "陈建国")])
    # Deciding again changes the decision rather than adding one.
    kept_before = LinkDecision.objects.filter(area=county).count()
    linking.decide(actor=office, pair=namesake, accepted=False)
    assert LinkDecision.objects.filter(area=county).count() == kept_before


def test_one_registered_person_for_two_roster_rows_gives_neither_an_id(office, area):
    rows = [*ROSTER, ["陈建国", "男", "1962-11-30", "", "", "高龄补贴", "100"]]
    household = _import(office, _dataset(office, area, "household"), household_csv())
    roster = _import(office, _dataset(office, area, "roster"), roster_csv(rows))
    run = _linked(office, area, household, roster)
    chen = [p for (left, _right), p in _names(run).items() if left == "陈建国"]
    chen = sorted(LinkPair.objects.filter(run=run, left_row=chen[0].left_row), key=lambda p: p.pk)
    assert sorted(p.band for p in chen) == ["match", "review"]  # one link per record
    assert {p.right_row for p in chen} <= set(linking.linked_ids(roster)) | {
        p.right_row for p in chen if p.band == "review"
    }
    review = next(p for p in chen if p.band == "review")
    linking.decide(actor=office, pair=review, accepted=True)
    found = linking.linked_ids(roster)
    assert not {p.right_row for p in chen} & set(found)  # two rows, one person: neither
    assert len(found) == 5


def office_of_another_county(county: Any) -> User:
    """The office of another county (a user made for the test)."""
    from xuncha.core import services as core_services
    from xuncha.core.models import Organisation

    other = Organisation.objects.filter(kind="county").exclude(pk=county.pk).first()
    assert other is not None
    user = core_services.user_create(actor=None, username="office_other_linking", password=None)
    core_services.role_grant(actor=None, user=user, role="office_staff", organisation=other)
    return user


@pytest.fixture
def other_office(county: Any) -> User:
    return office_of_another_county(county)


def test_who_may_decide(office, area, user_named, other_office):
    household, roster = _lists(office, area)
    pair = _names(_linked(office, area, household, roster))[("王方", "王芳")]
    for outsider in ("member", "leading"):
        with pytest.raises(PermissionDenied):
            linking.decide(actor=user_named(outsider), pair=pair, accepted=True)
    with pytest.raises(PermissionDenied):
        linking.decide(actor=other_office, pair=pair, accepted=True)
    with pytest.raises(PermissionDenied):
        linking.undo(actor=other_office, pair=pair)
    assert not LinkDecision.objects.filter(pair=pair).exists()


# -- the rules on linked ID numbers -----------------------------------------------------------


DEATH_HEADER = ["姓名", "公民身份号码", "死亡日期", "火化日期"]


def test_a_rule_runs_on_the_ids_found_by_linkage(office, area):
    household, roster = _lists(office, area)
    chen, other = PEOPLE[4], PEOPLE[10]
    death = _import(
        office,
        _dataset(office, area, "death"),
        csv_bytes(
            [
                DEATH_HEADER,
                [chen[1], person_id(chen[0], chen[3]), "2025-01-10", "2025-01-12"],
                [other[1], person_id(other[0], other[3]), "2025-08-01", ""],
            ]
        ),
    )
    versions = [household, roster, death]

    def run_rule() -> Any:
        run = services.run_start(
            actor=office,
            organisation=area,
            versions=versions,
            codes=["roster_after_death"],
            background=False,
        )
        return services.run_execute(run)

    assert run_rule().results["roster_after_death"]["hits"] == 0  # no ID numbers yet
    link_run = _linked(office, area, household, roster)
    pair = _names(link_run)[("陈建国", "陈建国")]
    table = linking.fill_ids(roster, services.storage.parquet_path(roster))
    filled = {r["name"]: r for r in table.to_pylist()}
    assert filled["陈建国"]["id_number"] == person_id(chen[0], chen[3])
    assert filled["陈建国"][linking.LINK_PAIR] == pair.pk
    assert filled["马小龙"]["id_number"] is None and filled["马小龙"][linking.LINK_PAIR] is None
    assert run_rule().results["roster_after_death"]["hits"] == 1
    finding = Finding.objects.get(organisation=area, rule__code="roster_after_death")
    assert finding.subjects == [{"id": person_id(chen[0], chen[3]), "name": "陈建国"}]
    assert "2025-01-10" in finding.explanation_zh and "测试镇 东村" in finding.explanation_zh
    evidence = next(e for e in finding.evidence if e["kind"] == "roster")
    assert evidence["data"][linking.LINK_PAIR] == pair.pk
    assert evidence["data"][linking.LINK_PROBABILITY] == pytest.approx(pair.probability)
    # A rejected pair gives no ID number: the next run does not find it again.
    linking.decide(actor=office, pair=pair, accepted=False)
    assert run_rule().results["roster_after_death"]["hits"] == 0


def test_two_versions_of_a_kind_are_stacked_with_the_linkage_columns(office, area):
    household, roster = _lists(office, area)
    other = _import(office, _dataset(office, area, "roster", "西村名册"), roster_csv(ROSTER[:2]))
    _linked(office, area, household, roster)
    tables, _blocks = services._tables([household, roster, other])
    stacked = tables["roster"]
    assert linking.LINK_PAIR in stacked.column_names
    assert stacked.num_rows == len(ROSTER) + 2


def test_every_level_has_a_label():
    for comparison in link.COMPARISONS:
        for level in comparison.levels:
            assert level.code in LEVEL_LABELS[comparison.field], (comparison.field, level.code)


def test_the_demo_linked_a_roster_and_found_the_dead_on_it(county):
    """The demo's story (loaded once per session): a roster without ID numbers linked to
    the household registry, the unsure pair decided, the rule found on a linked ID."""
    run = LinkRun.objects.get(area=county)
    assert run.status == LinkRun.Status.DONE and run.left.dataset.kind == "household"
    assert run.right is not None and run.right.dataset.kind == "roster"
    assert "id_number" not in run.right.columns.values()  # no ID numbers on the roster
    assert run.links >= run.right_records - 2  # all but the namesake (and a bad draw)
    levels = {(p.levels["name"], p.levels["birth"]) for p in run.pairs.all()}
    assert {name for name, _birth in levels} >= {"exact", "homophone"}
    assert {birth for _name, birth in levels} >= {"date", "month", "about"}
    decision = LinkDecision.objects.get(area=county)
    assert decision.decision == LinkDecision.Decision.REJECTED and decision.reason
    finding = Finding.objects.get(organisation=county, rule__code="roster_after_death")
    evidence = next(e for e in finding.evidence if e["kind"] == "roster")
    assert LinkPair.objects.filter(pk=evidence["data"][linking.LINK_PAIR], run=run).exists()


@pytest.mark.spark
def test_the_same_links_on_spark(office, area, settings):
    """``DATACHECK_ENGINE = "spark"``: the province's engine gives the pairs DuckDB gives."""
    import importlib.util

    if importlib.util.find_spec("pyspark") is None:
        pytest.skip("pyspark is not installed: pip install 'xuncha[spark]'")
    household, roster = _lists(office, area)
    duck = _names(_linked(office, area, household, roster))
    settings.DATACHECK_ENGINE = "spark"
    run = _linked(office, area, household, roster)
    assert run.engine == "spark" and run.status == LinkRun.Status.DONE
    spark = _names(run)
    assert spark.keys() == duck.keys()
    for names, pair in spark.items():
        assert pair.band == duck[names].band and pair.levels == duck[names].levels
        assert pair.probability == pytest.approx(duck[names].probability, abs=1e-6)
