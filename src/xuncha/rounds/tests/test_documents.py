"""Round plan and target notice as .docx: contents from the records, Chinese fonts and dates."""

from __future__ import annotations

import datetime as dt
import io
import re

import docx
import pytest
from django.utils import translation
from docx.oxml.ns import qn

from xuncha.rounds import documents
from xuncha.rounds.models import FocusArea, Round, Stage, Team

DATE_RE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")


@pytest.fixture
def round_(db):
    found = Round.objects.filter(
        teams__isnull=False, stages__stage=Stage.STATIONING, cross=False, kind="routine"
    ).first()
    assert found is not None
    return found


def _open(data: bytes):
    return docx.Document(io.BytesIO(data))


def _text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def test_format_date_has_no_leading_zeros():
    assert documents.format_date(dt.date(2026, 9, 4)) == "2026年9月4日"
    assert documents.format_date(dt.date(2026, 10, 14)) == "2026年10月14日"
    assert documents.format_date(None) == "待定"


def test_round_plan_lists_teams_targets_stages_and_focus_areas(round_):
    areas = [
        FocusArea.objects.get_or_create(
            code=f"doc-test-{i}", defaults={"name_zh": name, "name_en": f"Area {i}"}
        )[0]
        for i, name in enumerate(["落实党中央决策部署情况", "落实全面从严治党责任情况"])
    ]
    round_.focus_areas.set(areas)

    # Chinese labels even when the request that asks for the document is in English.
    with translation.override("en"):
        data = documents.round_plan_docx(round_, today=dt.date(2026, 9, 14))
    document = _open(data)
    text = _text(document)

    assert document.paragraphs[0].text == f"{round_.name}工作方案"
    assert round_.committee.name in text
    assert round_.kind == "routine"
    assert "本轮巡察为常规巡察。" in text
    for area in areas:
        numbered = [p for p in document.paragraphs if p.text == area.name_zh]
        assert numbered
        assert numbered[0].style.name == "List Number"

    teams_table, stages_table = document.tables
    assert [c.text for c in teams_table.rows[0].cells] == ["组别", "巡察对象", "目前阶段"]
    teams = list(round_.teams.prefetch_related("targets"))
    assert len(teams_table.rows) == len(teams) + 1
    # In creation order (第一, 第二, …), not by code point of the name.
    assert [r.cells[0].text for r in teams_table.rows[1:]] == [
        t.name for t in round_.teams.order_by("id")
    ]
    for team in teams:
        row = next(r for r in teams_table.rows[1:] if r.cells[0].text == team.name)
        assert row.cells[1].text == "、".join(t.name for t in team.targets.all())
        for target in team.targets.all():
            assert target.name in row.cells[1].text
        # The stage comes out in Chinese, not as the English label or the code.
        assert re.search(r"[\u4e00-\u9fff]", row.cells[2].text)

    stages = list(round_.stages.order_by("start_date"))
    assert [c.text for c in stages_table.rows[0].cells] == ["阶段", "起始日期", "截止日期"]
    assert len(stages_table.rows) == len(stages) + 1
    first = stages_table.rows[1].cells
    assert first[0].text == "准备"
    assert first[1].text == documents.format_date(stages[0].start_date)
    for row in stages_table.rows[1:]:
        assert DATE_RE.fullmatch(row.cells[1].text)
        assert DATE_RE.fullmatch(row.cells[2].text)

    assert "2026年9月14日" in document.paragraphs[-1].text
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)


def test_round_plan_sets_east_asian_fonts_and_modifiers(round_):
    round_.escalated = True
    round_.cross = True
    round_.kind = "thematic"
    round_.subject = "乡村振兴领域"
    round_.save()

    document = _open(documents.round_plan_docx(round_))
    text = _text(document)
    normal = document.styles["Normal"]
    rfonts = normal.element.rPr.rFonts
    assert rfonts.get(qn("w:eastAsia")) == "仿宋"
    assert normal.font.size.pt == 16
    title_run = document.paragraphs[0].runs[0]
    assert title_run._element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"

    assert "专项巡察" in text
    assert "提级巡察、交叉巡察" in text
    assert "延伸巡察" not in text
    assert "乡村振兴领域" in text
    # Without focus areas the plan says so instead of leaving an empty list.
    assert not [p for p in document.paragraphs if p.style.name == "List Number"]


def test_notice_names_target_team_stationing_and_due_dates(round_):
    team = round_.teams.filter(targets__isnull=False).first()
    target = team.targets.first()
    stationing = round_.stages.get(stage=Stage.STATIONING)
    understanding = round_.stages.get(stage=Stage.UNDERSTANDING)
    due = stationing.start_date - dt.timedelta(days=10)
    assert documents.notice_due_date(round_) == due

    data = documents.target_notice_docx(round_, team, target, today=dt.date(2026, 9, 1))
    document = _open(data)
    text = _text(document)

    assert document.paragraphs[0].text == f"关于对{target.name}开展巡察的通知"
    assert document.paragraphs[1].text == f"{target.name}党组织："
    assert team.name in text
    assert round_.name in text
    assert f"定于{documents.format_date(stationing.start_date)}起进驻" in text
    assert f"至{documents.format_date(understanding.end_date)}止" in text
    assert f"最迟于{documents.format_date(due)}发出" in text
    assert "联络员" in text
    assert f"{round_.committee.name}巡察工作领导小组办公室" in text
    assert document.paragraphs[-1].text == "2026年9月1日"
    assert document.styles["Normal"].element.rPr.rFonts.get(qn("w:eastAsia")) == documents.BODY_FONT


def test_notice_without_stationing_stage_says_to_be_fixed(round_):
    round_.stages.filter(stage=Stage.STATIONING).delete()
    team: Team = round_.teams.filter(targets__isnull=False).first()
    target = team.targets.first()

    assert documents.notice_due_date(round_) is None
    text = _text(_open(documents.target_notice_docx(round_, team, target)))
    assert "待定" in text
    assert "最迟于" not in text
    assert target.name in text

    # The plan still renders, one row fewer.
    plan = _open(documents.round_plan_docx(round_))
    assert len(plan.tables[1].rows) == round_.stages.count() + 1
