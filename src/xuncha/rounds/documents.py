"""Word documents generated from a round's records: the round plan and the notice to a target.

These are plain working drafts in Chinese (A4, 仿宋 三号 body, 黑体 title); the official
GB/T 9704 layout (红头, 发文字号, 版记) comes later. Each function returns the .docx bytes;
nothing touches the network or the disk.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.utils import timezone, translation
from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.text.font import CT_RPr
from docx.section import Section
from docx.shared import Mm, Pt
from docx.styles.style import ParagraphStyle
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from xuncha.core.lib.officefiles import stamp_document
from xuncha.core.models import Organisation
from xuncha.rounds.models import Round, RoundStage, Stage, Team

# Default notice period: the notice reaches the target at least this many days before stationing.
NOTICE_PERIOD_DAYS = 10

BODY_FONT = "仿宋"
TITLE_FONT = "黑体"
HEADING_FONT = "黑体"
BODY_SIZE = Pt(16)  # 三号
TITLE_SIZE = Pt(22)  # 二号
TABLE_SIZE = Pt(14)  # 四号
LINE_SPACING = Pt(28.95)  # GB/T 9704: 22 lines a page on A4 with 三号 text
PAGE_NUMBER_FONT = "宋体"
TO_BE_FIXED = "待定"


def format_date(day: dt.date | None) -> str:
    """2026年9月14日 (no leading zeros), or 待定 when there is no date."""
    if day is None:
        return TO_BE_FIXED
    return f"{day.year}年{day.month}月{day.day}日"


def notice_due_date(round_: Round) -> dt.date | None:
    """The day by which the notice must be sent: planned stationing start minus the notice period.

    ``None`` when the round has no planned stationing stage."""
    stationing = _stage(round_, Stage.STATIONING)
    if stationing is None:
        return None
    return stationing.start_date - dt.timedelta(days=NOTICE_PERIOD_DAYS)


def round_plan_docx(round_: Round, *, today: dt.date | None = None) -> bytes:
    """巡察工作方案 of a round: summary, focus areas, teams and their targets, stage dates."""
    today = today or timezone.localdate()
    committee = round_.committee
    # By creation order: names sort badly (第一, 第三, 第二, 第四 by code point).
    teams = list(round_.teams.prefetch_related("targets").order_by("id"))
    stages = list(round_.stages.order_by("start_date", "id"))
    focus_areas = list(round_.focus_areas.order_by("code"))
    target_count = len({t.pk for team in teams for t in team.targets.all()})

    with translation.override("zh-hans"):
        doc = new_document()
        title(doc, f"{round_.name}工作方案")

        modifiers = [
            label
            for flag, label in (
                (round_.escalated, "提级巡察"),
                (round_.cross, "交叉巡察"),
                (round_.extended, "延伸巡察"),
            )
            if flag
        ]
        summary = f"根据{committee.name}巡察工作领导小组的统一部署，开展{round_.name}。"
        summary += f"本轮巡察为{round_.get_kind_display()}"
        if modifiers:
            summary += f"，采取{'、'.join(modifiers)}方式"
        summary += "。"
        if round_.subject:
            summary += f"巡察主题：{round_.subject}。"
        if round_.lookback_of_id and round_.lookback_of:
            summary += f"本轮是对{round_.lookback_of.name}的“回头看”。"
        summary += f"本轮共派出{len(teams)}个巡察组，对{target_count}个单位（党组织）开展巡察。"
        _body(doc, summary)

        _heading(doc, "一、巡察重点")
        if focus_areas:
            for area in focus_areas:
                doc.add_paragraph(area.name_zh, style="List Number")
        else:
            _body(doc, "按照巡察工作有关规定确定，另行研究。")

        _heading(doc, "二、巡察组及巡察对象")
        table = add_table(doc, ["组别", "巡察对象", "目前阶段"])
        for team in teams:
            targets = "、".join(t.name for t in team.targets.all()) or TO_BE_FIXED
            add_row(table, [team.name, targets, team.get_stage_display()])

        _heading(doc, "三、时间安排")
        table = add_table(doc, ["阶段", "起始日期", "截止日期"])
        for stage in stages:
            add_row(
                table,
                [
                    stage.get_stage_display(),
                    format_date(stage.start_date),
                    format_date(stage.end_date),
                ],
            )

        closing = doc.add_paragraph(f"本方案生成于{format_date(today)}。")
        closing.paragraph_format.space_before = Pt(16)
        closing.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        return to_bytes(doc)


def target_notice_docx(
    round_: Round, team: Team, target: Organisation, *, today: dt.date | None = None
) -> bytes:
    """巡察通知 to one target of a team: when the team stations there and what to prepare."""
    today = today or timezone.localdate()
    committee = round_.committee
    stationing = _stage(round_, Stage.STATIONING)
    understanding = _stage(round_, Stage.UNDERSTANDING)
    due = notice_due_date(round_)

    with translation.override("zh-hans"):
        doc = new_document()
        title(doc, f"关于对{target.name}开展巡察的通知")

        doc.add_paragraph(f"{target.name}党组织：")
        if stationing is not None:
            period = f"定于{format_date(stationing.start_date)}起进驻你单位开展巡察"
            if understanding is not None:
                period += f"，时间至{format_date(understanding.end_date)}止"
            else:
                period += f"，巡察结束时间{TO_BE_FIXED}，另行通知"
        else:
            period = f"将进驻你单位开展巡察，进驻时间{TO_BE_FIXED}，另行通知"
        _body(
            doc,
            f"根据{committee.name}巡察工作领导小组的统一部署，{round_.name}{team.name}{period}。",
        )
        _body(
            doc,
            "请你单位按照巡察工作要求，提前准备好领导班子及其成员履职情况、"
            "党建工作、有关制度和会议记录等材料，并确定一名联络员，"
            "负责与巡察组的日常联系和协调工作。",
        )
        if due is not None:
            _body(
                doc,
                f"按照规定，本通知应于进驻前至少{NOTICE_PERIOD_DAYS}日送达被巡察单位，"
                f"即最迟于{format_date(due)}发出。",
            )
        else:
            _body(
                doc,
                f"按照规定，本通知应于进驻前至少{NOTICE_PERIOD_DAYS}日送达被巡察单位；"
                f"进驻日期尚未确定，发出日期{TO_BE_FIXED}。",
            )
        _body(doc, "特此通知。")

        signature = doc.add_paragraph(f"{committee.name}巡察工作领导小组办公室")
        signature.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        signature.paragraph_format.space_before = Pt(32)
        dated = doc.add_paragraph(format_date(today))
        dated.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        return to_bytes(doc)


# --- helpers -----------------------------------------------------------------------------


def _stage(round_: Round, stage: str) -> RoundStage | None:
    return round_.stages.filter(stage=stage).first()


def _set_fonts(rpr: CT_RPr, font: str) -> None:
    """Set the Latin and East Asian fonts of a ``w:rPr`` (``font.name`` skips eastAsia)."""
    rfonts = rpr.get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), font)


def new_document() -> DocumentObject:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)

    # Document defaults come with theme fonts that win over named ones in some readers.
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if rpr is not None:
            _set_fonts(rpr, BODY_FONT)
            lang = rpr.find(qn("w:lang"))
            if lang is not None:
                lang.set(qn("w:val"), "zh-CN")
                lang.set(qn("w:eastAsia"), "zh-CN")

    normal = doc.styles["Normal"]
    if not isinstance(normal, ParagraphStyle):  # pragma: no cover - the default template's
        raise TypeError("Normal is not a paragraph style")
    normal.font.name = BODY_FONT
    normal.font.size = BODY_SIZE
    _set_fonts(normal.element.get_or_add_rPr(), BODY_FONT)
    fmt = normal.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE_SPACING
    stamp_document(doc)
    _page_numbers(section)
    return doc


def _page_numbers(section: Section) -> None:
    """The page number centred at the foot of every page, as "— 1 —" (GB/T 9704 uses
    四号 Arabic numerals between dashes): a PAGE field the reader fills in."""
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    styled_run(paragraph, "— ", PAGE_NUMBER_FONT, TABLE_SIZE)

    def run_of(element: Any) -> None:  # each part of the field in a run of its own
        styled_run(paragraph, "", PAGE_NUMBER_FONT, TABLE_SIZE)._r.append(element)

    def mark(kind: str) -> Any:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        return element

    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = " PAGE "
    shown = OxmlElement("w:t")
    shown.text = "1"  # until the reader updates the field
    for element in (mark("begin"), instruction, mark("separate"), shown, mark("end")):
        run_of(element)
    styled_run(paragraph, " —", PAGE_NUMBER_FONT, TABLE_SIZE)


def styled_run(paragraph: Paragraph, text: str, font: str, size: Pt, bold: bool = False) -> Run:
    run = paragraph.add_run(text)
    run.font.name = font
    run.font.size = size
    run.font.bold = bold
    _set_fonts(run._element.get_or_add_rPr(), font)
    return run


def title(doc: DocumentObject, text: str) -> Paragraph:
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_after = Pt(16)
    paragraph.paragraph_format.line_spacing = Pt(36)
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.AT_LEAST
    styled_run(paragraph, text, TITLE_FONT, TITLE_SIZE)
    if not doc.core_properties.title:
        doc.core_properties.title = text  # the first title names the file's properties
    return paragraph


def _heading(doc: DocumentObject, text: str) -> Paragraph:
    paragraph = doc.add_paragraph()
    paragraph.paragraph_format.first_line_indent = Pt(32)
    paragraph.paragraph_format.keep_with_next = True
    styled_run(paragraph, text, HEADING_FONT, BODY_SIZE)
    return paragraph


def _body(doc: DocumentObject, text: str) -> Paragraph:
    paragraph = doc.add_paragraph(text)
    paragraph.paragraph_format.first_line_indent = Pt(32)  # two characters of 三号
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    return paragraph


def add_table(doc: DocumentObject, headers: list[str], size: Pt = TABLE_SIZE) -> Table:
    """A bordered table with a header row repeated on every page."""
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        paragraph = cell.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        styled_run(paragraph, text, HEADING_FONT, size)
    # Repeat the header row on every page.
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)
    return table


def add_row(table: Table, values: list[str], size: Pt = TABLE_SIZE) -> None:
    cells = table.add_row().cells
    for cell, text in zip(cells, values, strict=True):
        paragraph = cell.paragraphs[0]
        paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        styled_run(paragraph, text, BODY_FONT, size)


def to_bytes(doc: DocumentObject) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
