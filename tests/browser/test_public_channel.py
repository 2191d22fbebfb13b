"""The public channel in a real browser (issue #6).

- A member of the public reports a problem anonymously on a phone, with a photo, and gets
  a receipt; the team leader asks a question on a desktop; the submitter comes back with
  the receipt (typed carelessly), reads the question and answers; the leader sees the
  answer. The report goes waiting → review.
- Someone asks on a phone for a talk in person, in the afternoon, at a neutral place; the
  leader draws a random free time and place and confirms it; the calendar lists it and
  the submitter sees it with the receipt.
- The leader works the demo road report in the inbox: classifies it, finds the same
  matter entered by phone among the suggestions and marks that one as its duplicate, and
  turns the road report into a clue. The inbox is also checked on a phone.

Every page: no request to another host, no CSP report, no script error; phone pages do
not scroll sideways.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.browser.conftest import DESKTOP, PHONE, Watched, browser_db

pytestmark = [pytest.mark.browser, browser_db]

RECEIPT = re.compile(r"^[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4}$")

ABOUT = "镇农业服务中心主任"
ORGANISATION = "某镇农业服务中心"
WHAT = "农机购置补贴发放时，主任要求每户先交两百元“手续费”才给签字，没有开收据。"
WHEN = "今年三月"
QUESTION = "请问交“手续费”的大概有多少户？您是否愿意提供一位知情人的联系方式？"
ANSWER = "我知道的至少有十几户，都在我们村三组，可以去问组长。"
TOPIC = "想当面谈谈村里集体土地出租的事。"


def _channel() -> Any:
    from xuncha.intake.models import Channel

    return Channel.objects.select_related("team").get(is_open=True)


def _clean(w: Watched) -> None:
    """Nothing left the site, nothing was blocked by the CSP, no script failed."""
    assert w.foreign_requests() == []
    assert w.csp_messages() == []
    assert w.page_errors == []
    assert w.console_errors() == []


def _fits(w: Watched) -> None:
    width, inner = w.no_horizontal_scroll()
    assert width <= inner, f"{w.page.url} scrolls sideways: {width} > {inner}"


def _png(path: Path) -> Path:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (64, 48), (200, 40, 40))
    ImageDraw.Draw(image).rectangle((8, 8, 40, 30), fill=(250, 250, 250))
    image.save(path, format="PNG")
    return path


# Keeps what the form posts as proof of work (the formdata event fires for the script's
# form.submit() too) in sessionStorage, which survives the navigation. Playwright shows no
# body for a multipart post with files, so the request itself cannot be read.
CAPTURE_PROOF = """button => {
  const form = document.querySelector(button).form;
  form.addEventListener("formdata", event => sessionStorage.setItem("xc-proof", JSON.stringify(
    [event.formData.get("pow_challenge"), event.formData.get("pow_nonce")])));
}"""


def _send_with_proof(w: Watched, button: str) -> None:
    """Send a public form: intake-public.js works out the proof of work in the page and
    posts it with the form (without it the server would ask the form to wait)."""
    from django.conf import settings

    w.page.evaluate(CAPTURE_PROOF, button)
    with w.page.expect_navigation():
        w.page.click(button)
    challenge, nonce = json.loads(w.page.evaluate("() => sessionStorage.getItem('xc-proof')"))
    assert challenge and nonce, "the form was posted without a proof of work"
    digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
    bits = settings.INTAKE_POW_BITS
    assert bits > 0 and int.from_bytes(digest, "big") >> (256 - bits) == 0


def _receipt(w: Watched) -> str:
    """The receipt as the page shows it (grouped by dashes)."""
    assert w.page.locator("[data-testid=sent]").is_visible()
    receipt = w.page.inner_text("[data-testid=receipt]").strip()
    assert RECEIPT.match(receipt), receipt
    assert w.page.inner_text("[data-testid=address]").strip().endswith("/r/")
    return receipt


def _come_back(w: Watched, typed: str) -> None:
    w.goto("/r/")
    w.page.fill("#id_receipt", typed)
    with w.page.expect_navigation():
        w.page.click("[data-testid=open]")
    assert w.page.url.endswith("/r/thread/")
    _fits(w)


def _open_from_inbox(w: Watched, team_pk: int, label: str) -> None:
    w.goto(f"/intake/team/{team_pk}/")
    row = w.page.locator("[data-testid=inbox-row]", has_text=label)
    assert row.count() == 1
    with w.page.expect_navigation():
        row.locator("[data-testid=report-link]").click()
    assert label in w.page.inner_text("[data-testid=report-title]")


def test_anonymous_report_question_and_answer(
    open_page: Callable[..., Watched], artifacts_dir: Path, tmp_path: Path
) -> None:
    from xuncha.intake.models import Attachment, Report, Source, Status

    channel = _channel()
    before = set(Report.objects.filter(channel=channel).values_list("pk", flat=True))

    # A member of the public, on a phone.
    public = open_page(viewport=PHONE, locale="zh-CN")
    public.goto(f"/t/{channel.slug}/")
    _fits(public)
    with public.page.expect_navigation():
        public.page.click("[data-testid=action-report]")
    assert public.page.url.endswith(f"/t/{channel.slug}/report/")
    public.page.fill("#id_about", ABOUT)
    public.page.fill("#id_organisation", ORGANISATION)
    public.page.fill("#id_what", WHAT)
    public.page.fill("#id_when", WHEN)
    public.page.check("[data-testid=choices-category] input[value=funds]")
    public.page.set_input_files("#id_attachments", str(_png(tmp_path / "收据.png")))
    for field in ("name", "phone", "other"):  # anonymous
        assert public.page.input_value(f"#id_{field}") == ""
    _fits(public)
    _send_with_proof(public, "[data-testid=report-form] [data-testid=submit]")
    receipt = _receipt(public)
    _fits(public)
    public.page.screenshot(
        path=str(artifacts_dir / "public-receipt-zh-hans-phone.png"), full_page=True
    )
    _clean(public)

    (report,) = Report.objects.filter(channel=channel).exclude(pk__in=before)
    assert report.source == Source.WEB and report.status == Status.NEW
    assert report.category == "funds" and not report.named and report.identity is None
    assert Attachment.objects.filter(report=report, kind="image").count() == 1

    # The team leader, at a desk, asks a question.
    leader = open_page(viewport=DESKTOP)
    leader.login("leader")
    _open_from_inbox(leader, channel.team_id, report.label)
    content = leader.page.inner_text("[data-testid=report-content]")
    assert WHAT in content and ABOUT in content and WHEN in content
    preview = leader.page.locator("[data-testid=attachment-preview]")
    assert preview.count() == 1
    preview.scroll_into_view_if_needed()
    leader.page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=preview.element_handle()
    )
    leader.page.fill("[data-testid=reply-form] textarea[name=text]", QUESTION)
    leader.page.check("[data-testid=reply-form] input[name=waiting]")
    with leader.page.expect_navigation():
        leader.page.click("[data-testid=reply-submit]")
    assert QUESTION in leader.page.inner_text("[data-testid=thread]")
    report.refresh_from_db()
    assert report.status == Status.WAITING

    # The submitter comes back later, in a new session, typing the receipt carelessly.
    back = open_page(viewport=PHONE, locale="zh-CN")
    _come_back(back, receipt.lower().replace("-", " "))
    assert QUESTION in back.page.inner_text("[data-testid=message-team]")
    sent = back.page.inner_text("[data-testid=sent]")
    assert WHAT in sent and "收据.png" in sent
    _fits(back)
    back.page.fill("[data-testid=message-form] textarea[name=text]", ANSWER)
    _send_with_proof(back, "[data-testid=message-form] [data-testid=send]")
    assert back.page.url.endswith("/r/thread/")
    assert ANSWER in back.page.inner_text("[data-testid=message-submitter]")
    _fits(back)
    back.page.screenshot(
        path=str(artifacts_dir / "public-thread-zh-hans-phone.png"), full_page=True
    )
    _clean(back)

    report.refresh_from_db()
    assert report.status == Status.REVIEW and report.unread_by_team

    leader.page.reload()
    thread = leader.page.inner_text("[data-testid=thread]")
    assert QUESTION in thread and ANSWER in thread
    _clean(leader)


def test_talk_request_random_time_confirmed(
    open_page: Callable[..., Watched], artifacts_dir: Path
) -> None:
    from xuncha.core.models import User
    from xuncha.intake import services
    from xuncha.intake.models import Appointment, Kind, Report, Status

    channel = _channel()
    # The demo's stationing period has fixed dates (three days in June 2026) while talks
    # are drawn from days to come: give the channel a period ahead of today.
    today = timezone.localdate()
    channel = services.channel_update(
        actor=User.objects.get(username="leader"),
        channel=channel,
        starts_on=today + dt.timedelta(days=2),
        ends_on=today + dt.timedelta(days=30),
    )
    before = set(Report.objects.filter(channel=channel).values_list("pk", flat=True))

    public = open_page(viewport=PHONE, locale="zh-CN")
    public.goto(f"/t/{channel.slug}/")
    with public.page.expect_navigation():
        public.page.click("[data-testid=action-talk]")
    assert public.page.url.endswith(f"/t/{channel.slug}/talk/")
    public.page.check("[data-testid=choices-mode] input[value=in_person]")
    public.page.check("[data-testid=choices-times] input[value=afternoon]")
    public.page.check("[data-testid=choices-place_kind] input[value=neutral]")
    public.page.fill("#id_topic", TOPIC)
    _fits(public)
    _send_with_proof(public, "[data-testid=talk-form] [data-testid=submit]")
    receipt = _receipt(public)
    _fits(public)
    _clean(public)

    (talk,) = Report.objects.filter(channel=channel).exclude(pk__in=before)
    assert talk.kind == Kind.TALK and talk.status == Status.NEW

    leader = open_page(viewport=DESKTOP)
    leader.login("leader")
    _open_from_inbox(leader, channel.team_id, talk.label)
    assert TOPIC in leader.page.inner_text("[data-testid=report-content]")
    with leader.page.expect_navigation():
        leader.page.click("[data-testid=talk-random] button[type=submit]")
    proposed = leader.page.locator("[data-testid=talk-proposed]")
    assert proposed.count() == 1
    appointment = Appointment.objects.get(report=talk, state=Appointment.State.PROPOSED)
    start = timezone.localtime(appointment.starts_at)
    text = proposed.inner_text()
    assert start.strftime("%Y-%m-%d") in text and start.strftime("%H:%M") in text
    assert appointment.place and appointment.place in text
    with leader.page.expect_navigation():
        leader.page.click("[data-testid=talk-confirm] button[type=submit]")
    assert leader.page.locator("[data-testid=talk-confirmed]").count() == 1

    appointment.refresh_from_db()
    channel.refresh_from_db()
    assert appointment.state == Appointment.State.CONFIRMED and appointment.random
    assert appointment.mode == Appointment.Mode.IN_PERSON
    assert channel.starts_on <= start.date() <= channel.ends_on
    assert start > timezone.localtime()
    assert start.hour >= 12  # the afternoon, as asked
    neutral = {p["name"] for p in channel.places if p.get("kind") == "neutral"}
    assert appointment.place in neutral
    talk.refresh_from_db()
    assert talk.status == Status.SCHEDULED

    leader.goto(f"/intake/team/{channel.team_id}/calendar/")
    agenda = leader.page.locator("[data-testid=agenda-talk]", has_text=talk.label)
    assert agenda.count() == 1
    assert start.strftime("%H:%M") in agenda.inner_text()
    assert agenda.locator(".badge.text-bg-success").count() == 1  # confirmed
    assert appointment.place in agenda.inner_text()
    _clean(leader)

    back = open_page(viewport=PHONE, locale="zh-CN")
    _come_back(back, receipt)
    shown = back.page.locator("[data-testid=talk]")
    assert shown.count() == 1
    assert start.strftime("%Y-%m-%d") in shown.inner_text()
    assert start.strftime("%H:%M") in shown.inner_text()
    assert appointment.place in shown.inner_text()
    assert appointment.place in back.page.inner_text("[data-testid=thread]")
    _fits(back)
    back.page.screenshot(
        path=str(artifacts_dir / "public-talk-thread-zh-hans-phone.png"), full_page=True
    )
    _clean(back)


def test_inbox_classify_duplicate_convert(
    open_page: Callable[..., Watched], artifacts_dir: Path
) -> None:
    from django.contrib.contenttypes.models import ContentType

    from xuncha.clues.models import EvidenceLink, Record
    from xuncha.intake import services
    from xuncha.intake.demo import DEMO_REPORT_RECEIPT
    from xuncha.intake.models import Report, Source, Status

    channel = _channel()
    found = services.report_for_receipt(DEMO_REPORT_RECEIPT)
    assert found is not None
    road = found[0]
    phone = Report.objects.get(channel=channel, source=Source.PHONE)

    w = open_page(viewport=DESKTOP)
    w.login("leader")
    w.goto(f"/intake/team/{channel.team_id}/")
    assert w.page.locator("[data-testid=data-table]").is_visible()
    w.page.screenshot(path=str(artifacts_dir / "public-inbox-zh-hans-1280.png"), full_page=True)
    row = w.page.locator("[data-testid=inbox-row]", has_text="村主任在去年的村道硬化工程")
    assert row.count() == 1
    assert road.label in row.inner_text()
    with w.page.expect_navigation():
        row.locator("[data-testid=report-link]").click()
    assert w.page.url.endswith(f"/intake/report/{road.pk}/")

    # Classify (htmx swaps the panel).
    w.page.select_option("[data-testid=classify-form] select[name=discipline]", "integrity")
    w.page.click("[data-testid=classify-submit]")
    w.page.wait_for_selector("[data-testid=classify-saved]")
    road.refresh_from_db()
    assert road.discipline == "integrity"

    # The same matter entered by phone is suggested; mark it as a duplicate of this one.
    w.page.click("[data-testid=find-similar]")
    suggestion = w.page.locator("[data-testid=similar-report]", has_text=phone.label)
    suggestion.wait_for()
    with w.page.expect_navigation():
        suggestion.locator(f"a:has-text('{phone.label}')").click()
    assert w.page.url.endswith(f"/intake/report/{phone.pk}/")
    w.page.click("[data-testid=find-similar]")
    back_to_road = w.page.locator("[data-testid=similar-report]", has_text=road.label)
    back_to_road.wait_for()
    with w.page.expect_navigation():
        back_to_road.locator("[data-testid=mark-duplicate]").click()
    assert road.label in w.page.inner_text("[data-testid=duplicate-of]")
    phone.refresh_from_db()
    assert phone.status == Status.DUPLICATE and phone.duplicate_of_id == road.pk

    # Turn the road report into a clue.
    with w.page.expect_navigation():
        w.page.click("[data-testid=duplicate-of] a")
    assert road.label in w.page.inner_text("[data-testid=report-title]")
    assert phone.label in w.page.inner_text("[data-testid=duplicates]")
    with w.page.expect_navigation():
        w.page.click("[data-testid=convert-link]")
    form = w.page.locator("[data-testid=convert-form]")
    assert "村主任在去年的村道硬化工程" in form.locator("textarea[name=description]").input_value()
    assert form.locator("select[name=discipline]").input_value() == "integrity"
    form.locator("select[name=kind]").select_option("clue")
    if not form.locator("select[name=target]").input_value():
        form.locator("select[name=target]").select_option(index=1)
    with w.page.expect_navigation():
        w.page.click("[data-testid=convert-submit]")
    match = re.search(r"/clues/(\d+)/$", w.page.url)
    assert match, w.page.url
    record = Record.objects.get(pk=int(match.group(1)))
    assert record.source == "public" and record.kind == "clue"
    assert record.discipline == "integrity"
    assert EvidenceLink.objects.filter(
        record=record,
        content_type=ContentType.objects.get_for_model(Report),
        object_id=str(road.pk),
    ).exists()
    road.refresh_from_db()
    assert road.status == Status.CONVERTED
    _clean(w)

    # The inbox on a phone: cards instead of the table, nothing sideways.
    small = open_page(viewport=PHONE, locale="zh-CN")
    small.login("leader")
    small.goto(f"/intake/team/{channel.team_id}/")
    cards = small.page.locator("[data-testid=inbox-list]")
    assert cards.is_visible()
    assert not small.page.locator("[data-testid=data-table]").is_visible()
    assert road.label in cards.inner_text() and phone.label in cards.inner_text()
    _fits(small)
    small.page.screenshot(
        path=str(artifacts_dir / "public-inbox-zh-hans-phone.png"), full_page=True
    )
    with small.page.expect_navigation():
        cards.locator("a", has_text=road.label).click()
    assert road.label in small.page.inner_text("[data-testid=report-title]")
    _fits(small)
    _clean(small)
