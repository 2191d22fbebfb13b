"""The channel's poster for the mobilisation meeting and notice boards: an A4 PDF (vector,
with the built-in Chinese CID font, no font file needed) and an A4 PNG at 300 dpi (needs
a Chinese font on the system), both with the QR code of the channel's short address;
and a small QR image for the settings page.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont
from reportlab.graphics.barcode import qrencoder
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Frame, KeepInFrame, Paragraph

from xuncha.core import audit
from xuncha.core.models import AuditEventType as E
from xuncha.core.models import User
from xuncha.intake.models import Channel

PDF_FONT = "STSong-Light"
PNG_SIZE = (2480, 3508)  # A4 at 300 dpi
RED = (155, 28, 28)
QR_BORDER = 4  # quiet zone, in modules
FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


class NoChineseFont(RuntimeError):
    """No font with Chinese characters is installed (the PNG poster needs one)."""


# --- what the poster says ----------------------------------------------------------------


@dataclass
class PosterText:
    title: str
    subtitle: str
    dates: str
    sections: list[tuple[str, str]]
    contacts: list[str]
    promise: list[str]
    address: str  # the short address without the scheme, in big letters
    url: str


def poster_text(channel: Channel, url: str) -> PosterText:
    team = channel.team
    targets = "、".join(t.name for t in team.targets.all())
    subtitle = team.round.name + (
        " · " + _("inspecting %(targets)s") % {"targets": targets} if targets else ""
    )
    if channel.starts_on and channel.ends_on:
        dates = _("Stationed from %(start)s to %(end)s") % {
            "start": date_format(channel.starts_on, "DATE_FORMAT"),
            "end": date_format(channel.ends_on, "DATE_FORMAT"),
        }
    else:
        dates = ""
    sections = [
        (_("Who we are"), channel.introduction),
        (_("What you can tell us"), channel.accepts),
        (_("What belongs elsewhere"), channel.elsewhere),
    ]
    contacts = [
        text
        for text in (
            _("Phone: %(phone)s") % {"phone": channel.phone} if channel.phone else "",
            _("Mailbox: %(mailbox)s") % {"mailbox": channel.mailbox} if channel.mailbox else "",
            _("Station: %(station)s") % {"station": channel.station} if channel.station else "",
        )
        if text
    ]
    promise = [
        _("You may stay anonymous: your name and contact details are optional."),
        _("You get a receipt code: with it you come back, read the team's answers and add more."),
        _("What you write is encrypted; only the team can read it."),
        _("You can also ask for a one-to-one talk, in person or by phone."),
    ]
    return PosterText(
        title=_("%(team)s welcomes your reports") % {"team": team.name},
        subtitle=subtitle,
        dates=dates,
        sections=[(h, t.strip()) for h, t in sections if t.strip()],
        contacts=contacts,
        promise=promise,
        address=url.split("://", 1)[-1],
        url=url,
    )


# --- the QR code -------------------------------------------------------------------------


def qr_matrix(url: str) -> list[list[bool]]:
    """The QR modules of ``url`` (True = dark), level M, without the quiet zone."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(url)
    code.make()
    return [[bool(cell) for cell in row] for row in code.modules]


def _draw_qr(draw: ImageDraw.ImageDraw, matrix: list[list[bool]], x: int, y: int, box: int) -> None:
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                left, top = x + (c + QR_BORDER) * box, y + (r + QR_BORDER) * box
                draw.rectangle((left, top, left + box - 1, top + box - 1), fill=(0, 0, 0))


def qr_png(url: str, box: int = 8) -> bytes:
    """A small PNG of the QR code (for the settings page)."""
    matrix = qr_matrix(url)
    side = (len(matrix) + 2 * QR_BORDER) * box
    image = Image.new("RGB", (side, side), (255, 255, 255))
    _draw_qr(ImageDraw.Draw(image), matrix, 0, 0, box)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


# --- PDF ---------------------------------------------------------------------------------


def _pdf_font() -> str:
    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    return PDF_FONT


def _para(text: str) -> str:
    return escape(text).replace("\n", "<br/>")


def _fill(
    pdf: canvas.Canvas,
    story: list[Any],
    x: float,
    y: float,
    w: float,
    h: float,
    *,
    top: float = 6,
    pad: float = 6,
) -> None:
    """Draw ``story`` in the box, shrunk to fit when the team's texts are long."""
    frame = Frame(x, y, w, h, leftPadding=pad, rightPadding=pad, bottomPadding=pad, topPadding=top)
    keep = KeepInFrame(w - 2 * pad, h - top - pad, story, mode="shrink")
    frame.addFromList([keep], pdf)


def poster_pdf(channel: Channel, url: str) -> bytes:
    """An A4 poster with the QR code drawn as vectors."""
    font = _pdf_font()
    text = poster_text(channel, url)
    width, height = A4
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setTitle(text.title)
    pdf.setCreator("Xuncha")
    margin = 18 * mm

    # Title band.
    band = 44 * mm
    pdf.setFillColorRGB(*(c / 255 for c in RED))
    pdf.rect(0, height - band, width, band, stroke=0, fill=1)
    title_style = ParagraphStyle(
        "title", fontName=font, fontSize=26, leading=32, textColor=colors.white, wordWrap="CJK"
    )
    sub_style = ParagraphStyle(
        "sub", fontName=font, fontSize=12, leading=16, textColor=colors.white, wordWrap="CJK"
    )
    header = [Paragraph(_para(text.title), title_style), Paragraph(_para(text.subtitle), sub_style)]
    if text.dates:
        header.append(Paragraph(_para(text.dates), sub_style))
    _fill(pdf, header, margin, height - band, width - 2 * margin, band, top=8 * mm)

    # Body: what the team is about and what belongs elsewhere.
    heading = ParagraphStyle(
        "h", fontName=font, fontSize=14, leading=19, spaceBefore=8, textColor=colors.darkred
    )
    body = ParagraphStyle("b", fontName=font, fontSize=11, leading=16, wordWrap="CJK")
    story: list[Any] = []
    for title, content in text.sections:
        story += [Paragraph(_para(title), heading), Paragraph(_para(content), body)]
    if text.contacts:
        story.append(Paragraph(_para(_("Other ways to reach us")), heading))
        story += [Paragraph(_para(line), body) for line in text.contacts]
    qr_side = 70 * mm
    bottom = margin + qr_side + 16 * mm
    _fill(pdf, story, margin, bottom, width - 2 * margin, height - band - bottom - 4 * mm)

    # The QR code and the short address, then the promise beside it.
    widget = QrCodeWidget(text.url, barLevel="M", barBorder=QR_BORDER)
    widget.barWidth = widget.barHeight = qr_side
    drawing = Drawing(qr_side, qr_side)
    drawing.add(widget)
    drawing.drawOn(pdf, margin, margin + 14 * mm)
    pdf.setFillColor(colors.black)
    address_size = 20 if len(text.address) <= 36 else 14
    pdf.setFont(font, address_size)
    pdf.drawString(margin, margin + 4 * mm, text.address)
    promise_style = ParagraphStyle(
        "p", fontName=font, fontSize=12, leading=18, wordWrap="CJK", bulletFontName=font
    )
    scan = ParagraphStyle("s", parent=promise_style, fontSize=14, textColor=colors.darkred)
    promise: list[Any] = [Paragraph(_para(_("Scan the code or type the address to begin.")), scan)]
    promise += [Paragraph(_para(line), promise_style, bulletText="•") for line in text.promise]
    left = margin + qr_side + 6 * mm
    _fill(pdf, promise, left, margin + 14 * mm, width - margin - left, qr_side)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


# --- PNG ---------------------------------------------------------------------------------


def _has_chinese(font: ImageFont.FreeTypeFont) -> bool:
    # A font without the glyph draws its "missing" box, the same as for a private-use
    # code point no font has.
    return bytes(font.getmask("巡")) != bytes(font.getmask("\U0010fffd"))


def _candidates() -> list[str]:
    files = list(FONT_FILES)
    fc_match = shutil.which("fc-match")
    if fc_match:
        try:
            found = subprocess.run(  # noqa: S603 - fixed arguments
                [fc_match, "-f", "%{file}", ":lang=zh"],
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            found = ""
        if found:
            files.append(found)
    return files


@lru_cache(maxsize=1)
def chinese_font() -> tuple[str, int]:
    """(file, face index) of an installed font with Chinese characters, preferring the
    simplified Chinese face of a collection; NoChineseFont if there is none."""
    for name in _candidates():
        if not Path(name).is_file():
            continue
        chosen: tuple[str, int] | None = None
        for index in range(10):
            try:
                font = ImageFont.truetype(name, 40, index=index)
            except OSError:
                break
            if not _has_chinese(font):
                continue
            family = " ".join(str(part) for part in font.getname() if part)
            simplified = " SC" in family and "Mono" not in family
            if chosen is None or simplified:
                chosen = (name, index)
            if simplified:
                break
        if chosen:
            return chosen
    raise NoChineseFont(
        _(
            "The PNG poster needs a Chinese font (Debian package fonts-noto-cjk); "
            "the PDF works without it."
        )
    )


def _font(size: int) -> ImageFont.FreeTypeFont:
    name, index = chinese_font()
    return ImageFont.truetype(name, size, index=index)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Break into lines no wider than ``width``: anywhere between Chinese characters,
    at spaces in Latin text."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for token in _tokens(paragraph):
            if font.getlength(line + token) <= width or not line:
                line += token
            else:
                lines.append(line.rstrip())
                line = token.lstrip()
        lines.append(line.rstrip())
    return lines


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    word = ""
    for char in text:
        if char.isascii() and not char.isspace():
            word += char
            continue
        if word:
            tokens.append(word)
            word = ""
        tokens.append(char)
    if word:
        tokens.append(word)
    return tokens


@dataclass(frozen=True)
class QrBox:
    x: int
    y: int
    box: int  # pixels per module


def png_qr_box(modules: int) -> QrBox:
    """Where the PNG poster draws the QR code (top-left of the quiet zone)."""
    side = 900
    box = side // (modules + 2 * QR_BORDER)
    return QrBox(x=180, y=PNG_SIZE[1] - 180 - 180 - side, box=box)


def poster_png(channel: Channel, url: str) -> bytes:
    """The same poster as a 2480×3508 PNG; NoChineseFont without a Chinese font."""
    text = poster_text(channel, url)
    title_font, sub_font = _font(110), _font(52)
    heading_font, body_font = _font(64), _font(46)
    address_font = _font(84 if len(text.address) <= 36 else 60)
    width = PNG_SIZE[0]
    margin = 180
    image = Image.new("RGB", PNG_SIZE, (255, 255, 255))
    draw = ImageDraw.Draw(image)

    band = 560
    draw.rectangle((0, 0, width, band), fill=RED)
    y = 110
    for line in _wrap(text.title, title_font, width - 2 * margin):
        draw.text((margin, y), line, font=title_font, fill=(255, 255, 255))
        y += 140
    for line in [*_wrap(text.subtitle, sub_font, width - 2 * margin), text.dates]:
        if line:
            draw.text((margin, y), line, font=sub_font, fill=(255, 255, 255))
            y += 70

    matrix = qr_matrix(text.url)
    qr = png_qr_box(len(matrix))
    limit = qr.y - 80
    y = band + 80
    blocks = [*text.sections]
    if text.contacts:
        blocks.append((_("Other ways to reach us"), "\n".join(text.contacts)))
    for title, content in blocks:
        if y + 80 > limit:
            break
        draw.text((margin, y), title, font=heading_font, fill=RED)
        y += 90
        for line in _wrap(content, body_font, width - 2 * margin):
            if y + 60 > limit:
                break
            draw.text((margin, y), line, font=body_font, fill=(0, 0, 0))
            y += 64
        y += 30

    _draw_qr(draw, matrix, qr.x, qr.y, qr.box)
    qr_side = (len(matrix) + 2 * QR_BORDER) * qr.box
    draw.text((margin, qr.y + qr_side + 30), text.address, font=address_font, fill=(0, 0, 0))
    left = qr.x + qr_side + 80
    y = qr.y + 40
    scan = _("Scan the code or type the address to begin.")
    for line in _wrap(scan, heading_font, width - margin - left):
        draw.text((left, y), line, font=heading_font, fill=RED)
        y += 86
    y += 20
    for item in text.promise:
        for number, line in enumerate(_wrap(item, body_font, width - margin - left - 50)):
            if number == 0:
                draw.text((left, y), "•", font=body_font, fill=(0, 0, 0))
            draw.text((left + 50, y), line, font=body_font, fill=(0, 0, 0))
            y += 64
        y += 16
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True, dpi=(300, 300))
    return out.getvalue()


# --- the audit event ---------------------------------------------------------------------


@transaction.atomic
def poster_recorded(*, actor: User, channel: Channel, fmt: str) -> None:
    audit.record(actor=actor, event_type=E.INTAKE_POSTER, obj=channel, extra={"format": fmt})
