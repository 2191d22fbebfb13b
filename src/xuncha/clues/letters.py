"""The transfer letter (问题线索移交函) of a transfer package, as a Word document.

A clean working letter in Chinese with the house fonts of ``xuncha.rounds.documents``:
the letter to the receiving department with the deadlines, then the list of clues on a
landscape page. The official GB/T 9704 layout (红头, 发文字号, 版记) comes later. Nothing
here touches the network or the disk; the caller passes the records with their subjects,
topics and evidence loaded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils import translation
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt

from xuncha.clues.models import Record, Transfer
from xuncha.rounds.documents import (
    BODY_FONT,
    HEADING_FONT,
    add_row,
    add_table,
    format_date,
    new_document,
    styled_run,
    title,
    to_bytes,
)

LETTER_TITLE = "关于移交问题线索的函"
LIST_TITLE = "问题线索移交清单"
TABLE_FONT_SIZE = Pt(10.5)  # 五号: eight columns across a landscape page
EXCERPT_CHARS = 300
LIST_HEADERS = [
    "序号",
    "线索编号",
    "线索标题",
    "来源",
    "反映对象",
    "问题类别",
    "主要问题",
    "证据摘录",
]

# The letter is always Chinese, whatever the user's language; these do not wait for the
# catalogue (as in the talent roster).
SOURCE_ZH: dict[str, str] = {
    "letter": "来信",
    "phone": "来电",
    "visit": "来访",
    "public": "公开渠道举报",
    "interview": "个别谈话",
    "method": "其他巡察方式",
    "dataset": "大数据比对",
    "briefing": "部门通报情况",
    "other": "其他",
}
DISCIPLINE_ZH: dict[str, str] = {
    "political": "政治纪律",
    "organisational": "组织纪律",
    "integrity": "廉洁纪律",
    "mass": "群众纪律",
    "work": "工作纪律",
    "life": "生活纪律",
}


def shorten(text: str, limit: int = EXCERPT_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def subjects_text(record: Record) -> str:
    names = [f"{s.name}（{s.post}）" if s.post else s.name for s in record.subjects.all()]
    return "、".join(names) or "未明确"


def category_text(record: Record) -> str:
    parts = [DISCIPLINE_ZH.get(record.discipline, "")] if record.discipline else []
    parts += [t.name_zh for t in record.topics.all()]
    return "；".join(p for p in parts if p) or "未分类"


def evidence_text(record: Record) -> str:
    parts = [
        f"{link.label}：{link.excerpt}" if link.excerpt else link.label
        for link in record.evidence.all()
    ]
    return shorten("；".join(parts)) if parts else "无"


def transfer_letter_docx(
    transfer: Transfer, records: Sequence[Record], *, today: dt.date | None = None
) -> bytes:
    """The letter for ``transfer`` listing ``records`` (in the order given)."""
    today = today or transfer.sent_on
    round_ = transfer.round
    office = f"{round_.committee.name}巡察工作领导小组办公室"
    with translation.override("zh-hans"):
        doc = new_document()
        title(doc, LETTER_TITLE)
        number = doc.add_paragraph()
        number.alignment = WD_ALIGN_PARAGRAPH.CENTER
        number.paragraph_format.space_after = Pt(16)
        styled_run(number, f"编号：{transfer.number}", BODY_FONT, Pt(16))

        doc.add_paragraph(f"{transfer.department.name}：")
        _body(
            doc,
            f"根据{round_.committee.name}巡察工作领导小组的统一部署，{round_.name}"
            f"在巡察中发现了一批问题线索。经研究，现将其中{len(records)}件问题线索"
            "移交你单位处置。"
            "问题线索的来源、反映对象、主要问题及证据摘录见附件清单。",
        )
        _body(
            doc,
            f"请你单位收到本函后登记签收，按照有关规定分类处置（谈话函询、初步核实、"
            f"暂存待查或予以了结），并于{format_date(transfer.report_due)}前将处置情况"
            f"反馈{office}；问题线索应于{format_date(transfer.close_due)}前办结，"
            f"最迟不超过{format_date(transfer.max_due)}。",
        )
        if transfer.note:
            _body(doc, f"说明：{transfer.note}")
        _body(doc, "移交的问题线索涉及有关人员，请严格保密，按规定范围知悉。")
        _body(doc, f"附件：{LIST_TITLE}（{len(records)}件）")

        signature = doc.add_paragraph(office)
        signature.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        signature.paragraph_format.space_before = Pt(32)
        dated = doc.add_paragraph(format_date(today))
        dated.alignment = WD_ALIGN_PARAGRAPH.RIGHT

        section = doc.add_section(WD_SECTION.NEW_PAGE)
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
        section.top_margin, section.bottom_margin = Mm(25), Mm(25)
        section.left_margin, section.right_margin = Mm(25), Mm(25)
        attachment = doc.add_paragraph()
        styled_run(attachment, "附件", HEADING_FONT, Pt(16))
        title(doc, LIST_TITLE)
        subtitle = doc.add_paragraph()
        subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
        subtitle.paragraph_format.space_after = Pt(12)
        styled_run(subtitle, f"（{transfer.number}　{round_.name}）", BODY_FONT, Pt(16))
        table = add_table(doc, LIST_HEADERS, TABLE_FONT_SIZE)
        for index, record in enumerate(records, start=1):
            add_row(
                table,
                [
                    str(index),
                    record.number,
                    record.title,
                    SOURCE_ZH.get(record.source, record.source),
                    subjects_text(record),
                    category_text(record),
                    shorten(record.description),
                    evidence_text(record),
                ],
                TABLE_FONT_SIZE,
            )
        return to_bytes(doc)


def _body(doc: DocumentObject, text: str) -> None:
    paragraph = doc.add_paragraph(text)
    paragraph.paragraph_format.first_line_indent = Pt(32)  # two characters of 三号
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
