"""The public side: the channel page, reporting and asking for a talk without an account,
the receipt, coming back with it and the thread; and every protection on the way: the
proof of work (and the no-JavaScript wait), the rate limits, the body size, CSRF, the
file allow-list, the headers, escaping, and nothing about the visitor kept anywhere."""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import threading

import pytest
import time_machine
from conftest import PERSONAS
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http.multipartparser import MultiPartParser
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from xuncha.core.models import AuditEvent
from xuncha.intake import ratelimit, services
from xuncha.intake.demo import DEMO_REPORT_RECEIPT
from xuncha.intake.lib import pow as proof
from xuncha.intake.lib import receipts
from xuncha.intake.models import Appointment, Attachment, Channel, Kind, Report, Status
from xuncha.rounds.models import Team

CHALLENGE = re.compile(r'name="pow_challenge" value="([0-9a-f]{32})"')
RECEIPT = re.compile(r'data-testid="receipt">([0-9A-Z-]+)<')
WHAT = "村会计把集体土地补偿款存进了个人账户，至今没有公开。"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


@pytest.fixture(autouse=True)
def _fresh_cache(db):
    """Every test here uses the database; the receipt-failure budget starts empty."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def public() -> Client:
    """A visitor's browser, reading English."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def no_sleep(monkeypatch):
    """The request's slowing-down pauses, recorded instead of slept. Only the test's own
    thread: ``time.sleep`` is process-wide, and other threads (a Spark gateway left by an
    earlier test) must keep sleeping, not spin into this list."""
    sleeps: list[float] = []
    real = ratelimit.time.sleep
    main = threading.main_thread()

    def record(seconds: float) -> None:
        if threading.current_thread() is main:
            sleeps.append(seconds)
        else:
            real(seconds)

    monkeypatch.setattr(ratelimit.time, "sleep", record)
    return sleeps


def _png(colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, format="PNG")
    return out.getvalue()


def _challenge(response) -> str:
    match = CHALLENGE.search(response.content.decode())
    assert match, "the form carries a proof-of-work challenge"
    return match.group(1)


def _proof(response, settings) -> dict[str, str]:
    challenge = _challenge(response)
    return {
        "pow_challenge": challenge,
        "pow_nonce": proof.solve(challenge, settings.INTAKE_POW_BITS),
    }


def _wrong_nonce(challenge: str, bits: int) -> str:
    return next(str(n) for n in range(100_000) if not proof.verify(challenge, str(n), bits))


def _report(**fields) -> dict:
    return {
        "about": "村会计",
        "organisation": "某村村委会",
        "what": WHAT,
        "when": "今年三月",
        "category": "funds",
        **fields,
    }


def _talk(**fields) -> dict:
    return {
        "mode": "phone",
        "days": ["0", "4"],
        "times": ["evening"],
        "place_kind": "station",
        "topic": "想反映换届选举的情况",
        "category": "appointments",
        **fields,
    }


def _send(client, settings, url, data, files=()):
    form = client.get(url)
    assert form.status_code == 200
    payload = {**data, **_proof(form, settings)}
    if files:
        payload["attachments"] = list(files)
    return client.post(url, payload)


def _receipt(response) -> str:
    match = RECEIPT.search(response.content.decode())
    assert match, response.content.decode()[:2000]
    return match.group(1)


def _open(client, code: str):
    return client.post(reverse("intake:public_receipt"), {"receipt": code})


def _report_url(channel: Channel) -> str:
    return reverse("intake:public_report", args=[channel.slug])


def _talk_url(channel: Channel) -> str:
    return reverse("intake:public_talk", args=[channel.slug])


def _closed_channel(channel: Channel) -> Channel:
    other = Team.objects.exclude(pk=channel.team_id).order_by("pk").first()
    assert other is not None
    return services.channel_ensure(actor=None, team=other)


# --- the channel page ------------------------------------------------------------------


def test_the_channel_page_presents_the_team_and_the_two_actions(public, channel):
    response = public.get(reverse("intake:public_channel", args=[channel.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert channel.team.name in html and channel.team.round.name in html
    for target in channel.team.targets.all():
        assert target.name in html
    assert channel.phone in html and channel.mailbox in html and channel.station in html
    assert 'data-testid="introduction"' in html and 'data-testid="elsewhere"' in html
    assert f'href="{_report_url(channel)}"' in html
    assert f'href="{_talk_url(channel)}"' in html
    assert f'href="{reverse("intake:public_receipt")}"' in html
    assert "Report a problem" in html and "Ask for a one-to-one talk" in html
    assert "xc-navbar" not in html  # no staff navigation
    # The poster may print the address in capitals.
    upper = public.get(reverse("intake:public_channel", args=[channel.slug.upper()]))
    assert upper.status_code == 200


def test_a_closed_channel_offers_phone_and_mailbox_and_takes_nothing_online(
    public, channel, settings
):
    closed = _closed_channel(channel)
    services.channel_update(
        actor=None, channel=closed, phone="0000-7654321", mailbox="县委巡察办信箱"
    )
    page = public.get(reverse("intake:public_channel", args=[closed.slug]))
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="closed"' in html
    assert "not accepting reports online" in html
    assert "0000-7654321" in html and "县委巡察办信箱" in html
    assert _report_url(closed) not in html and _talk_url(closed) not in html

    before = Report.objects.count()
    form = public.get(_report_url(closed))
    assert (
        'data-testid="closed"' in form.content.decode()
        and "pow_challenge" not in form.content.decode()
    )
    posted = public.post(_report_url(closed), _report(pow_challenge="x", pow_nonce="1"))
    assert 'data-testid="closed"' in posted.content.decode()
    assert Report.objects.count() == before


def test_an_unknown_address_is_a_public_404(public):
    response = public.get(reverse("intake:public_channel", args=["zzzzzz"]))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert response["Referrer-Policy"] == "no-referrer"
    assert public.get(reverse("intake:public_report", args=["zzzzzz"])).status_code == 404


# --- the anonymous path, end to end ----------------------------------------------------


def test_report_anonymously_keep_the_receipt_come_back_and_answer_the_team(
    public, channel, settings, user_named, private_key
):
    photo = SimpleUploadedFile("收据.png", _png(), content_type="image/png")
    response = _send(public, settings, _report_url(channel), _report(), files=[photo])
    assert response.status_code == 200
    html = response.content.decode()
    code = _receipt(response)
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){4}", code)
    assert 'data-testid="slip"' in html and "http://testserver/r/" in html
    assert "only way back" in html and "cannot" in html and "recover" in html
    assert "data-print" in html

    report = Report.objects.get(receipt_digest=services.receipt_derive(code)[0])
    assert report.kind == Kind.REPORT and report.category == "funds" and not report.named
    assert report.attachments.count() == 1
    # The receipt is shown once and kept nowhere: not in the session, not in the report.
    session_text = str(public.session.items())
    assert receipts.normalise(code) not in session_text and code not in session_text
    assert WHAT not in session_text

    opened = _open(public, code.lower().replace("-", " "))
    assert opened.status_code == 302 and opened["Location"] == reverse("intake:public_thread")
    thread = public.get(reverse("intake:public_thread"))
    html = thread.content.decode()
    assert thread.status_code == 200
    assert WHAT in html and "收据.png" in html and "Received; not yet read" in html

    services.staff_message(
        actor=user_named("leader"),
        report=report,
        private_key=private_key("leader"),
        text="请问补偿款是哪一年拨付的？",
        waiting=True,
    )
    html = public.get(reverse("intake:public_thread")).content.decode()
    assert "请问补偿款是哪一年拨付的？" in html and "The team has a question for you" in html

    form = public.get(reverse("intake:public_thread"))
    answer = public.post(
        reverse("intake:public_thread"),
        {"text": "是2023年拨付的。", **_proof(form, settings)},
    )
    assert answer.status_code == 302
    report.refresh_from_db()
    assert report.status == Status.REVIEW and report.unread_by_team
    html = public.get(reverse("intake:public_thread")).content.decode()
    assert "是2023年拨付的。" in html and "Your message was sent" in html
    assert html.index("请问补偿款") < html.index("是2023年拨付的。")


def test_a_talk_request_stores_its_preferences_as_the_slot_picker_reads_them(
    public, channel, settings, user_named, private_key
):
    response = _send(
        public, settings, _talk_url(channel), _talk(name="", phone="13900000001", other="")
    )
    assert response.status_code == 200
    code = _receipt(response)
    report = Report.objects.get(receipt_digest=services.receipt_derive(code)[0])
    assert report.kind == Kind.TALK and report.category == "appointments" and report.named
    opened = services.report_read(
        actor=user_named("member"), report=report, private_key=private_key("member")
    )
    assert opened.content == {
        "mode": "phone",
        "days": [0, 4],
        "times": ["evening"],
        "place_kind": "station",
        "topic": "想反映换届选举的情况",
    }
    identity = services.identity_read(
        actor=user_named("leader"), report=report, private_key=private_key("leader")
    )
    assert identity == {"name": "", "phone": "13900000001", "other": ""}


def test_a_talk_with_no_days_or_times_ticked_means_any(
    public, channel, settings, user_named, private_key
):
    response = _send(public, settings, _talk_url(channel), _talk(days=[], times=[], mode="either"))
    report = Report.objects.get(receipt_digest=services.receipt_derive(_receipt(response))[0])
    content = services.report_read(
        actor=user_named("member"), report=report, private_key=private_key("member")
    ).content
    assert content["days"] == [] and content["times"] == [] and content["mode"] == "either"
    assert not report.named and report.identity is None


def test_the_thread_shows_proposed_and_confirmed_talks(public, channel, settings, user_named):
    response = _send(public, settings, _talk_url(channel), _talk())
    report = Report.objects.get(receipt_digest=services.receipt_derive(_receipt(response))[0])
    starts = dt.datetime(2026, 5, 12, 14, 30, tzinfo=timezone.get_current_timezone())
    for state, place in (
        (Appointment.State.CONFIRMED, "县图书馆二楼阅览室"),
        (Appointment.State.CANCELLED, "取消的地点"),
    ):
        Appointment.objects.create(
            report=report,
            team=channel.team,
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=1),
            mode=Appointment.Mode.IN_PERSON,
            place=place,
            state=state,
            random=True,
            created_by=user_named("leader"),
        )
    assert _open(public, _receipt(response)).status_code == 302
    html = public.get(reverse("intake:public_thread")).content.decode()
    assert 'data-testid="talk"' in html
    assert "2026-05-12" in html and "14:30" in html and "15:30" in html
    assert "县图书馆二楼阅览室" in html and "Confirmed" in html and "In person" in html
    assert "取消的地点" not in html


def test_leaving_forgets_the_report_in_this_browser(public, channel, settings):
    assert _open(public, DEMO_REPORT_RECEIPT).status_code == 302
    assert public.get(reverse("intake:public_thread")).status_code == 200
    left = public.post(reverse("intake:public_leave"))
    assert left.status_code == 302 and left["Location"] == reverse("intake:public_receipt")
    after = public.get(reverse("intake:public_thread"))
    assert after.status_code == 302 and after["Location"] == reverse("intake:public_receipt")
    assert public.get(reverse("intake:public_leave")).status_code == 405


def test_the_thread_needs_a_receipt(public):
    response = public.get(reverse("intake:public_thread"))
    assert response.status_code == 302 and response["Location"] == reverse("intake:public_receipt")


def test_a_wrong_or_malformed_receipt_gets_the_same_answer(public, no_sleep):
    unknown = _open(public, receipts.grouped(receipts.new_receipt()))
    malformed = _open(public, "not a receipt")
    for response in (unknown, malformed):
        assert response.status_code == 400
        assert 'data-testid="not-found"' in response.content.decode()
    assert "not a receipt" not in malformed.content.decode()  # not echoed back


# --- proof of work -------------------------------------------------------------------


def test_a_wrong_nonce_is_refused_with_a_fresh_challenge(public, channel, settings):
    before = Report.objects.count()
    form = public.get(_report_url(channel))
    challenge = _challenge(form)
    response = public.post(
        _report_url(channel),
        _report(
            pow_challenge=challenge, pow_nonce=_wrong_nonce(challenge, settings.INTAKE_POW_BITS)
        ),
    )
    assert response.status_code == 400
    assert 'data-testid="notice"' in response.content.decode()
    assert _challenge(response) != challenge
    assert WHAT in response.content.decode()  # what was typed is kept
    assert Report.objects.count() == before
    assert challenge not in public.session["intake_pow"]  # consumed by the attempt


def test_a_challenge_cannot_be_used_twice(public, channel, settings):
    form = public.get(_report_url(channel))
    payload = _report(**_proof(form, settings))
    assert RECEIPT.search(public.post(_report_url(channel), payload).content.decode())
    before = Report.objects.count()
    again = public.post(_report_url(channel), payload)
    assert again.status_code == 400 and not RECEIPT.search(again.content.decode())
    assert "nothing was stored" in again.content.decode()
    assert Report.objects.count() == before


def test_an_unknown_challenge_is_refused(public, channel, settings):
    public.get(_report_url(channel))
    challenge = proof.new_challenge()
    nonce = proof.solve(challenge, settings.INTAKE_POW_BITS)
    response = public.post(_report_url(channel), _report(pow_challenge=challenge, pow_nonce=nonce))
    assert response.status_code == 400 and not RECEIPT.search(response.content.decode())


def test_without_javascript_the_form_must_stay_open_a_while(public, channel, settings):
    settings.INTAKE_NOJS_WAIT_SECONDS = 20
    before = Report.objects.count()
    form = public.get(_report_url(channel))
    assert "Without JavaScript, the form can be sent 20 seconds" in form.content.decode()
    too_early = public.post(
        _report_url(channel),
        {
            **_report(pow_challenge=_challenge(form), pow_nonce=""),
            "attachments": [SimpleUploadedFile("photo.png", _png())],
        },
    )
    html = too_early.content.decode()
    assert too_early.status_code == 200 and not RECEIPT.search(html)
    assert "send it again after 20 seconds" in html and "choose them again" in html
    assert WHAT in html and "某村村委会" in html
    assert Report.objects.count() == before

    challenge = _challenge(too_early)
    session = public.session
    session["intake_pow"][challenge] -= 20
    session.save()
    later = public.post(_report_url(channel), _report(pow_challenge=challenge, pow_nonce=""))
    assert later.status_code == 200 and RECEIPT.search(later.content.decode())
    assert Report.objects.count() == before + 1


def test_a_challenge_expires_after_an_hour(public, channel, settings):
    form = public.get(_report_url(channel))
    payload = _report(**_proof(form, settings))
    session = public.session
    session["intake_pow"][payload["pow_challenge"]] -= 3601
    session.save()
    before = Report.objects.count()
    response = public.post(_report_url(channel), payload)
    assert response.status_code == 400 and not RECEIPT.search(response.content.decode())
    assert Report.objects.count() == before


def test_thread_messages_need_the_proof_of_work_too(public, settings):
    assert _open(public, DEMO_REPORT_RECEIPT).status_code == 302
    form = public.get(reverse("intake:public_thread"))
    challenge = _challenge(form)
    before = AuditEvent.objects.count()
    response = public.post(
        reverse("intake:public_thread"),
        {
            "text": "补充情况",
            "pow_challenge": challenge,
            "pow_nonce": _wrong_nonce(challenge, settings.INTAKE_POW_BITS),
        },
    )
    assert response.status_code == 400 and 'data-testid="notice"' in response.content.decode()
    assert AuditEvent.objects.count() == before


# --- rate limits -----------------------------------------------------------------------


def test_one_visit_sends_at_most_the_hourly_number_of_reports_talks_and_messages(
    public, channel, settings
):
    settings.INTAKE_SUBMISSIONS_PER_HOUR = 3
    first = _send(public, settings, _report_url(channel), _report())
    assert _send(public, settings, _talk_url(channel), _talk()).status_code == 200
    assert _open(public, _receipt(first)).status_code == 302
    form = public.get(reverse("intake:public_thread"))
    sent = public.post(reverse("intake:public_thread"), {"text": "补充", **_proof(form, settings)})
    assert sent.status_code == 302

    before = Report.objects.count()
    refused = _send(public, settings, _report_url(channel), _report())
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "as many reports and messages" in refused.content.decode()
    assert Report.objects.count() == before
    form = public.get(reverse("intake:public_thread"))
    again = public.post(
        reverse("intake:public_thread"), {"text": "再补充", **_proof(form, settings)}
    )
    assert again.status_code == 429

    # Another visit is not affected: the limit belongs to the session, not to a person.
    assert RECEIPT.search(
        _send(Client(), settings, _report_url(channel), _report()).content.decode()
    )


def test_receipt_tries_per_visit_are_limited_and_slowed(public, settings, no_sleep):
    settings.INTAKE_RECEIPT_TRIES_PER_HOUR = 5
    for _ in range(5):
        assert _open(public, receipts.new_receipt()).status_code == 400
    assert no_sleep == [ratelimit.SLOW_SECONDS, ratelimit.SLOW_SECONDS]  # the 4th and 5th
    refused = _open(public, DEMO_REPORT_RECEIPT)
    assert refused.status_code == 429 and "Too many receipts" in refused.content.decode()
    assert (
        Client()
        .post(reverse("intake:public_receipt"), {"receipt": DEMO_REPORT_RECEIPT})
        .status_code
        == 302
    )


def test_the_failure_budget_across_all_visits_blocks_receipts_until_the_minute_ends(
    settings, no_sleep
):
    settings.INTAKE_RECEIPT_FAILURES_PER_MINUTE = 2
    start = dt.datetime(2026, 5, 12, 10, 0, 5, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        guesser = Client(HTTP_ACCEPT_LANGUAGE="en")
        for _ in range(2):
            assert _open(guesser, receipts.new_receipt()).status_code == 400
        fresh = Client(HTTP_ACCEPT_LANGUAGE="en")
        refused = _open(fresh, DEMO_REPORT_RECEIPT)
        assert refused.status_code == 429
        assert "try again in a minute" in refused.content.decode()
        assert 0 < int(refused["Retry-After"]) <= 60
        traveller.shift(dt.timedelta(seconds=60))
        assert _open(fresh, DEMO_REPORT_RECEIPT).status_code == 302


# --- body size, CSRF, files --------------------------------------------------------------


def test_an_oversized_body_is_refused_before_it_is_read(public, channel, settings, monkeypatch):
    settings.INTAKE_MAX_BODY_MB = 1
    before = (Report.objects.count(), Attachment.objects.count())
    big = SimpleUploadedFile("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * (1024 * 1024 + 10))
    response = _send(public, settings, _report_url(channel), _report(), files=[big])
    assert response.status_code == 413
    assert "at most 1 MB" in response.content.decode()
    assert response["Cache-Control"].startswith("no-store")
    assert (Report.objects.count(), Attachment.objects.count()) == before

    # Judged on the declared length before anything parses the body, the CSRF check
    # included (which would otherwise read the whole upload to find its token).
    def unread(*args, **kwargs):
        raise AssertionError("the body was parsed")

    monkeypatch.setattr(MultiPartParser, "parse", unread)
    browser = Client(enforce_csrf_checks=True)
    for url in (_report_url(channel), _talk_url(channel), reverse("intake:public_thread")):
        declared = browser.post(url, {"text": "x"}, CONTENT_LENGTH=str(2 * 1024 * 1024))
        assert declared.status_code == 413, url


def _token(response) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert match
    return match.group(1)


def test_the_forms_are_protected_against_cross_site_posts(channel, settings):
    browser = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    before = Report.objects.count()
    form = browser.get(_report_url(channel))
    forged = browser.post(_report_url(channel), _report(**_proof(form, settings)))
    assert forged.status_code == 403  # no token
    form = browser.get(_report_url(channel))
    foreign = browser.post(
        _report_url(channel),
        _report(csrfmiddlewaretoken=_token(form), **_proof(form, settings)),
        HTTP_ORIGIN="http://elsewhere.invalid",
    )
    assert foreign.status_code == 403  # a foreign origin, even with a token
    assert _open(browser, DEMO_REPORT_RECEIPT).status_code == 403  # no login CSRF either
    assert Report.objects.count() == before

    # Under no-referrer a browser posts the pages' own forms with "Origin: null" and no
    # Referer, on HTTPS too: the token decides.
    form = browser.get(_report_url(channel))
    genuine = browser.post(
        _report_url(channel),
        _report(csrfmiddlewaretoken=_token(form), **_proof(form, settings)),
        HTTP_ORIGIN="null",
    )
    assert genuine.status_code == 200 and RECEIPT.search(genuine.content.decode())
    login = browser.get(reverse("intake:public_receipt"), secure=True)
    opened = browser.post(
        reverse("intake:public_receipt"),
        {"receipt": DEMO_REPORT_RECEIPT, "csrfmiddlewaretoken": _token(login)},
        secure=True,
    )
    assert opened.status_code == 302


def test_a_disguised_file_is_refused_by_name_and_nothing_is_stored(public, channel, settings):
    before = (Report.objects.count(), Attachment.objects.count())
    program = SimpleUploadedFile(
        "setup.jpg",
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200,
        content_type="image/jpeg",
    )
    response = _send(
        public,
        settings,
        _report_url(channel),
        _report(),
        files=[SimpleUploadedFile("ok.png", _png()), program],
    )
    html = response.content.decode()
    assert response.status_code == 400 and not RECEIPT.search(html)
    assert "“setup.jpg” is not a kind of file the team accepts" in html
    assert WHAT in html
    assert (Report.objects.count(), Attachment.objects.count()) == before


def test_more_files_than_allowed_are_refused(public, channel, settings):
    settings.INTAKE_MAX_FILES = 2
    files = [SimpleUploadedFile(f"p{n}.png", _png()) for n in range(3)]
    before = Report.objects.count()
    response = _send(public, settings, _report_url(channel), _report(), files=files)
    assert response.status_code == 400 and "At most 2 files" in response.content.decode()
    assert Report.objects.count() == before


def test_what_happened_is_required(public, channel, settings):
    response = _send(public, settings, _report_url(channel), _report(what=""))
    assert response.status_code == 400 and not RECEIPT.search(response.content.decode())
    assert 'data-testid="form-errors"' in response.content.decode()


# --- headers, escaping, outside addresses, nothing about the visitor -------------------


def _every_public_page(client, channel, settings) -> dict:
    pages = {
        "channel": client.get(reverse("intake:public_channel", args=[channel.slug])),
        "report form": client.get(_report_url(channel)),
        "talk form": client.get(_talk_url(channel)),
        "receipt login": client.get(reverse("intake:public_receipt")),
        "not found": client.get(reverse("intake:public_channel", args=["zzzzzz"])),
        "closed": client.get(
            reverse("intake:public_channel", args=[_closed_channel(channel).slug])
        ),
        "receipt": _send(client, settings, _report_url(channel), _report()),
        "wrong receipt": _open(client, receipts.new_receipt()),
    }
    pages["opened"] = _open(client, _receipt(pages["receipt"]))
    pages["thread"] = client.get(reverse("intake:public_thread"))
    pages["leave"] = client.post(reverse("intake:public_leave"))
    return pages


def test_every_public_response_has_the_protective_headers(public, channel, settings, no_sleep):
    for name, response in _every_public_page(public, channel, settings).items():
        assert response["Referrer-Policy"] == "no-referrer", name
        assert "no-store" in response["Cache-Control"], name
        assert response["Pragma"] == "no-cache", name
        assert response["X-Robots-Tag"] == "noindex, nofollow", name
        assert "default-src 'self'" in response["Content-Security-Policy"], name


def test_public_pages_name_no_outside_address(public, channel, settings, no_sleep):
    for name, response in _every_public_page(public, channel, settings).items():
        html = response.content.decode()
        urls = re.findall(r"https?://[^\s\"'<>]+", html)
        assert all(url.startswith("http://testserver/") for url in urls), (name, urls)
        assert " style=" not in html and "<script>" not in html, name  # CSP: no inline


def test_payloads_in_every_field_come_back_escaped(
    public, channel, settings, user_named, private_key
):
    payload = f"{SCRIPT}{IMG}"
    keys = ("about", "organisation", "what", "when", "name", "phone", "other")
    fields = dict.fromkeys(keys, payload)
    fields["phone"] = IMG  # the phone field is short
    evil = SimpleUploadedFile(f"{IMG}.png", _png())
    response = _send(public, settings, _report_url(channel), _report(**fields), files=[evil])
    code = _receipt(response)
    talk = _send(public, settings, _talk_url(channel), _talk(topic=payload))
    report = Report.objects.get(receipt_digest=services.receipt_derive(code)[0])
    services.staff_message(
        actor=user_named("leader"), report=report, private_key=private_key("leader"), text=payload
    )
    assert _open(public, code).status_code == 302
    form = public.get(reverse("intake:public_thread"))
    public.post(reverse("intake:public_thread"), {"text": payload, **_proof(form, settings)})
    pages = [public.get(reverse("intake:public_thread"))]
    assert _open(public, _receipt(talk)).status_code == 302
    pages.append(public.get(reverse("intake:public_thread")))
    for page in pages:
        html = page.content.decode()
        assert SCRIPT not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert pages[0].content.decode().count("&lt;script&gt;") >= 6  # 4 fields, 2 messages
    # A payload refused by a form comes back escaped too.
    refused = _send(public, settings, _report_url(channel), _report(about=payload, what=""))
    assert SCRIPT not in refused.content.decode()


def test_nothing_about_the_visitor_is_logged_or_stored(channel, settings, caplog):
    address, agent, referer = "203.0.113.77", "XunchaProbe/9.9", "http://referrer.invalid/x"
    marker = "独一无二的标记文字"
    visitor = Client(REMOTE_ADDR=address, HTTP_USER_AGENT=agent, HTTP_REFERER=referer)
    caplog.set_level(logging.DEBUG)
    response = _send(visitor, settings, _report_url(channel), _report(what=marker))
    code = _receipt(response)
    assert _open(visitor, code).status_code == 302
    form = visitor.get(reverse("intake:public_thread"))
    visitor.post(reverse("intake:public_thread"), {"text": marker, **_proof(form, settings)})

    stored = [str(row) for row in AuditEvent.objects.values()]
    stored += [s.get_decoded().__repr__() + s.session_data for s in Session.objects.all()]
    stored.append(caplog.text)
    for text in stored:
        for secret in (address, agent, "referrer.invalid", marker, receipts.normalise(code)):
            assert secret not in text


def test_the_public_pages_answer_everyone_alike_signed_in_or_not(as_user, channel):
    """What the authorisation matrix expects: no login needed, no persona treated
    differently; the thread without a receipt sends back to the receipt page."""
    expected = {
        reverse("intake:public_channel", args=[channel.slug]): 200,
        _report_url(channel): 200,
        _talk_url(channel): 200,
        reverse("intake:public_receipt"): 200,
        reverse("intake:public_thread"): 302,
        reverse("intake:public_leave"): 405,
    }
    for persona in [None, *PERSONAS]:
        client = as_user(persona)
        answers = {url: client.get(url).status_code for url in expected}
        assert answers == expected, persona
        left = client.post(reverse("intake:public_leave"))
        assert left.status_code == 302, persona
        if persona is not None:  # leaving a receipt does not sign staff out
            assert client.get(reverse("core:home")).status_code == 200, persona
