"""Channel settings: who may set a channel up, the form (places with line numbers, hours
for talks), opening with the round's milestone and closing, opening refused when nobody
has keys, the public address, and the poster as PDF and PNG with its QR code."""

from __future__ import annotations

import base64
import contextlib
import io
import os
import re
import zlib

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from PIL import Image

from xuncha.core.models import AuditEvent, AuditEventType
from xuncha.intake import poster
from xuncha.intake.models import Channel, UserKey
from xuncha.rounds.models import Milestone, Team

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _url(name: str, team_pk: int) -> str:
    return reverse(f"intake:{name}", kwargs={"team_pk": team_pk})


def _form(channel: Channel, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "introduction": "第一巡察组进驻某镇开展巡察。",
        "accepts": "反映镇村干部违纪违法问题。",
        "elsewhere": "诉讼和家庭纠纷请向法院或信访部门反映。",
        "phone": "0000-7654321",
        "mailbox": "巡察组意见箱",
        "station": "镇政府招待所三楼",
        "starts_on": "2026-11-09",
        "ends_on": "2026-11-27",
        "places": "station: 谈话室\n\nneutral: 县图书馆",
        "talk_days": ["0", "2", "4"],
        "talk_starts": "09:00, 15:00",
        "talk_minutes": "90",
    }
    data.update(changes)
    return data


@pytest.fixture
def other_team(channel) -> Team:
    """A team of the same round without a channel yet."""
    return Team.objects.filter(round=channel.team.round).exclude(pk=channel.team_id).first()


def test_leaders_and_office_set_channels_up_members_and_deputies_do_not(channel, as_user):
    url = _url("channel", channel.team_id)
    for username in ("leader", "office_c1", "office"):
        response = as_user(username).get(url, **EN)
        assert response.status_code == 200, username
    for username in ("member", "deputy", "auditor", "liaison", "leading", "admin", "receiver"):
        client = as_user(username)
        assert client.get(url).status_code == 404, username
        assert client.post(url, _form(channel)).status_code == 404, username
        assert (
            client.post(_url("channel_open", channel.team_id), {"is_open": "0"}).status_code == 404
        )
        assert client.get(_url("poster_pdf", channel.team_id)).status_code == 404
        assert client.get(_url("poster_png", channel.team_id)).status_code == 404
    channel.refresh_from_db()
    assert channel.is_open


def test_the_page_shows_the_public_address_and_the_qr_code(channel, as_user, settings):
    response = as_user("leader").get(_url("channel", channel.team_id), **EN)
    html = response.content.decode()
    address = f"http://testserver/t/{channel.slug}/"
    assert address in html
    assert 'src="data:image/png;base64,' in html
    assert (
        _url("poster_pdf", channel.team_id) in html and _url("poster_png", channel.team_id) in html
    )
    settings.INTAKE_PUBLIC_BASE_URL = "https://jubao.example.cn"
    html = as_user("leader").get(_url("channel", channel.team_id), **EN).content.decode()
    assert f"https://jubao.example.cn/t/{channel.slug}/" in html


def test_the_first_visit_creates_the_channel_closed(other_team, as_user):
    assert not Channel.objects.filter(team=other_team).exists()
    response = as_user("office_c1").get(_url("channel", other_team.pk), **EN)
    assert response.status_code == 200
    channel = Channel.objects.get(team=other_team)
    assert not channel.is_open and channel.introduction
    assert 'data-testid="channel-open"' in response.content.decode()


def test_saving_the_settings(channel, as_user):
    before = AuditEvent.objects.filter(event_type=AuditEventType.INTAKE_CHANNEL_SET).count()
    response = as_user("leader").post(_url("channel", channel.team_id), _form(channel), **EN)
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.phone == "0000-7654321"
    assert str(channel.starts_on) == "2026-11-09" and str(channel.ends_on) == "2026-11-27"
    assert channel.places == [
        {"name": "谈话室", "kind": "station"},
        {"name": "县图书馆", "kind": "neutral"},
    ]
    assert channel.talk_hours == {"days": [0, 2, 4], "starts": ["09:00", "15:00"], "minutes": 90}
    after = AuditEvent.objects.filter(event_type=AuditEventType.INTAKE_CHANNEL_SET).count()
    assert after == before + 1
    # The form shows the saved values again.
    html = as_user("leader").get(_url("channel", channel.team_id), **EN).content.decode()
    assert "station: 谈话室\nneutral: 县图书馆" in html and 'value="09:00, 15:00"' in html


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"places": "station: 谈话室\n\nlibrary: 图书馆"}, "places", "Line 3:"),
        ({"places": "station: 谈话室\n图书馆"}, "places", 'Line 2: write "station: name"'),
        ({"places": "neutral: A\nneutral: A"}, "places", "Line 2: “A” is listed twice."),
        ({"talk_starts": "09:00, 9h30"}, "talk_starts", "“9h30” is not a time of day"),
        ({"talk_starts": "09:00, 09:30"}, "talk_starts", "would overlap"),
        ({"talk_starts": "23:30"}, "talk_starts", "after midnight"),
        ({"talk_days": []}, "talk_days", "This field is required."),
        ({"ends_on": "2026-11-01"}, "ends_on", "The end is before the start."),
    ],
)
def test_wrong_settings_are_explained_and_nothing_is_saved(
    channel, as_user, changes, field, message
):
    places = channel.places
    response = as_user("leader").post(
        _url("channel", channel.team_id), _form(channel, **changes), **EN
    )
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert any(message in e for e in errors), errors
    assert f'data-testid="error-{field}"' in response.content.decode()
    channel.refresh_from_db()
    assert channel.places == places and channel.phone != "0000-7654321"


def test_opening_records_the_milestone_and_closing_closes(other_team, as_user):
    client = as_user("office_c1")
    open_url = _url("channel_open", other_team.pk)
    response = client.post(open_url, {"is_open": "1"}, **EN)
    assert response.status_code == 302
    channel = Channel.objects.get(team=other_team)
    assert channel.is_open and channel.opened_at
    milestone = Milestone.objects.get(team=other_team, kind=Milestone.Kind.CHANNELS_PUBLISHED)
    assert channel.slug in milestone.note
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.INTAKE_CHANNEL_OPENED, object_id=str(channel.pk)
    ).exists()
    client.post(open_url, {"is_open": "0"}, **EN)
    channel.refresh_from_db()
    assert not channel.is_open
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.INTAKE_CHANNEL_CLOSED, object_id=str(channel.pk)
    ).exists()
    # Opening again keeps the first milestone.
    client.post(open_url, {"is_open": "1"}, **EN)
    assert (
        Milestone.objects.filter(team=other_team, kind=Milestone.Kind.CHANNELS_PUBLISHED).count()
        == 1
    )
    assert client.post(open_url, {"is_open": "maybe"}).status_code == 302


def test_opening_is_refused_while_nobody_has_keys(other_team, as_user):
    UserKey.objects.all().delete()
    response = as_user("office_c1").post(
        _url("channel_open", other_team.pk), {"is_open": "1"}, **EN
    )
    assert response.status_code == 302
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("Nobody authorised for this team has keys" in m for m in shown)
    assert not Channel.objects.get(team=other_team).is_open
    assert not Milestone.objects.filter(
        team=other_team, kind=Milestone.Kind.CHANNELS_PUBLISHED
    ).exists()


def _dark_runs(url: str) -> int:
    runs = 0
    for row in poster.qr_matrix(url):
        previous = False
        for dark in row:
            runs += dark and not previous
            previous = dark
    return runs


def _page_streams(pdf: bytes) -> str:
    """The PDF's streams decoded (reportlab writes ASCII85 over Flate)."""
    texts = []
    for raw in re.findall(rb"stream\r?\n(.*?)\s*endstream", pdf, re.S):
        data = raw.strip()
        if data.endswith(b"~>"):
            data = base64.a85decode(data[:-2])
        with contextlib.suppress(zlib.error):
            data = zlib.decompress(data)
        texts.append(data.decode("latin-1"))
    return "\n".join(texts)


def test_the_pdf_poster_carries_the_qr_code(channel, as_user):
    before = AuditEvent.objects.filter(event_type=AuditEventType.INTAKE_POSTER).count()
    response = as_user("leader").get(_url("poster_pdf", channel.team_id), **EN)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="poster-{channel.slug}.pdf"'
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    streams = _page_streams(pdf)
    filled_rectangles = len(re.findall(r" re\s+f\b", streams))
    # Every run of dark modules of the code for the public address is a filled rectangle.
    assert filled_rectangles >= _dark_runs(f"http://testserver/t/{channel.slug}/") > 50
    assert b"STSong-Light" in pdf
    event = AuditEvent.objects.filter(event_type=AuditEventType.INTAKE_POSTER).latest("seq")
    assert event.extra == {"format": "pdf"} and event.object_id == str(channel.pk)
    assert AuditEvent.objects.filter(event_type=AuditEventType.INTAKE_POSTER).count() == before + 1


def _font_or_skip() -> None:
    try:
        poster.chinese_font()
    except poster.NoChineseFont:
        if os.environ.get("XUNCHA_REQUIRE_BROWSER") == "1":
            raise
        pytest.skip("no Chinese font installed (fonts-noto-cjk)")


def test_the_png_poster_is_a4_at_300_dpi_with_the_qr_code(channel, as_user):
    _font_or_skip()
    response = as_user("office_c1").get(_url("poster_png", channel.team_id), **EN)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "attachment;" in response["Content-Disposition"]
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.size == poster.PNG_SIZE == (2480, 3508)
        rgb = image.convert("RGB")
        matrix = poster.qr_matrix(f"http://testserver/t/{channel.slug}/")
        box = poster.png_qr_box(len(matrix))
        for r, row in enumerate(matrix):
            for c, dark in enumerate(row):
                x = box.x + (c + poster.QR_BORDER) * box.box + box.box // 2
                y = box.y + (r + poster.QR_BORDER) * box.box + box.box // 2
                assert (rgb.getpixel((x, y)) == (0, 0, 0)) == dark, (r, c)
    event = AuditEvent.objects.filter(event_type=AuditEventType.INTAKE_POSTER).latest("seq")
    assert event.extra == {"format": "png"} and event.actor.username == "office_c1"


def test_without_a_chinese_font_the_png_poster_says_why(channel, as_user, monkeypatch):
    def missing() -> tuple[str, int]:
        raise poster.NoChineseFont("The PNG poster needs a Chinese font (fonts-noto-cjk).")

    monkeypatch.setattr(poster, "chinese_font", missing)
    before = AuditEvent.objects.filter(event_type=AuditEventType.INTAKE_POSTER).count()
    response = as_user("leader").get(_url("poster_png", channel.team_id), **EN)
    assert response.status_code == 302 and response.url == _url("channel", channel.team_id)
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("Chinese font" in m for m in shown)
    assert AuditEvent.objects.filter(event_type=AuditEventType.INTAKE_POSTER).count() == before


def test_the_poster_says_what_the_issue_asks_for(channel):
    from django.utils import translation

    with translation.override("en"):
        text = poster.poster_text(channel, "https://jubao.example.cn/t/abc234/")
    assert text.title == f"{channel.team.name} welcomes your reports"
    assert channel.team.round.name in text.subtitle
    assert text.address == "jubao.example.cn/t/abc234/"
    assert any("anonymous" in line for line in text.promise)
    assert any("receipt" in line for line in text.promise)
    assert any("encrypted" in line for line in text.promise)
    assert any(channel.phone in line for line in text.contacts)
    assert [title for title, _ in text.sections][1:] == [
        "What you can tell us",
        "What belongs elsewhere",
    ]
