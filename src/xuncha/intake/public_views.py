"""The public side of a team's channel: no account, no login.

The channel page, the report and talk-request forms, the receipt (shown once, in the
response to the submission, stored nowhere), coming back with the receipt, and the
receipt thread. Every response carries no-referrer, no-store and noindex headers on top
of the site's Content-Security-Policy.

Protections, in the order a POST meets them: the body size (before anything parses the
body), CSRF, the per-session rate limit, the proof of work (or, with no JavaScript, time
spent on the form), then the form and the service. Nothing from the
request other than the posted fields and files is read, logged or stored; nothing the
submitter typed goes into a log, an exception, the session or a URL.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import decorator_from_middleware
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from xuncha.intake import keyring, ratelimit, services
from xuncha.intake.lib import pow as proof
from xuncha.intake.lib import receipts, sealing
from xuncha.intake.models import Appointment, Category, Channel, Kind, Report
from xuncha.intake.public_forms import (
    DAYS,
    MODES,
    PLACE_KINDS,
    TIMES,
    MessageForm,
    ReceiptForm,
    ReportForm,
    TalkForm,
    uploads,
)

View = Callable[..., HttpResponseBase]
POW_SESSION = "intake_pow"


# --- headers, body size, refusals ----------------------------------------------------


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(request, f"intake/public/{template}", context, status=status)


def _not_found(request: HttpRequest) -> HttpResponse:
    return _page(request, "not_found.html", {}, status=404)


def _limited(request: HttpRequest, message: str, wait: int) -> HttpResponse:
    response = _page(request, "limited.html", {"message": message}, status=429)
    response["Retry-After"] = str(wait)
    return response


class PublicCsrf(CsrfViewMiddleware):
    """Django's CSRF check for pages sent with ``Referrer-Policy: no-referrer``.

    Under that policy browsers send ``Origin: null`` and no Referer with the pages' own
    form posts, which the stock check refuses (it wants a matching Origin, or a Referer on
    HTTPS). Here a ``null`` Origin passes and a missing Referer is not required; a foreign
    Origin is still refused, and the token must match the CSRF cookie as always (that
    cookie and the session's are SameSite=Lax: a cross-site post carries neither).
    """

    def _origin_verified(self, request: HttpRequest) -> bool:
        if request.META.get("HTTP_ORIGIN") == "null":
            return True
        return bool(super()._origin_verified(request))  # type: ignore[misc]

    def _check_referer(self, request: HttpRequest) -> None:
        return None


_csrf_checked = decorator_from_middleware(PublicCsrf)


def _too_large(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > settings.INTAKE_MAX_BODY_MB * 1024 * 1024


def public(view: View) -> View:
    """A public view (``login_not_required`` goes above it). An oversized POST is refused
    before its body is read: the stock CSRF middleware would read (and spool to disk) the
    whole body to find the token, so the view is exempt from it and ``PublicCsrf`` checks
    after the size. Also the public 404 page and the public headers on every response."""
    checked = cast(View, _csrf_checked(view))

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "POST" and _too_large(request):
            mb = settings.INTAKE_MAX_BODY_MB
            response: HttpResponseBase = _page(request, "too_large.html", {"mb": mb}, 413)
        else:
            try:
                response = checked(request, *args, **kwargs)
            except Http404:
                response = _not_found(request)
        response["Referrer-Policy"] = "no-referrer"
        response["Cache-Control"] = "no-store, max-age=0"
        response["Pragma"] = "no-cache"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return csrf_exempt(wrapper)


# --- proof of work -----------------------------------------------------------------------


class Proof(enum.Enum):
    ACCEPTED = "accepted"
    TOO_EARLY = "too_early"  # no JavaScript, and the form came back too soon
    REFUSED = "refused"  # wrong nonce, or an unknown, used or expired challenge


def _outstanding(request: HttpRequest) -> dict[str, float]:
    stored = request.session.get(POW_SESSION)
    if not isinstance(stored, dict):
        return {}
    return {str(k): v for k, v in stored.items() if isinstance(v, int | float)}


def _issue_challenge(request: HttpRequest) -> dict[str, Any]:
    """A fresh challenge for a form, remembered in the session; the template's values."""
    outstanding = _outstanding(request)
    challenge = proof.new_challenge()
    proof.remember(outstanding, challenge, time.time())
    request.session[POW_SESSION] = outstanding
    ratelimit.touch(request)
    return {
        "challenge": challenge,
        "bits": settings.INTAKE_POW_BITS,
        "wait": settings.INTAKE_NOJS_WAIT_SECONDS,
    }


def _check_proof(request: HttpRequest) -> Proof:
    """Check (and consume) the form's challenge."""
    challenge = request.POST.get("pow_challenge", "")
    nonce = request.POST.get("pow_nonce", "").strip()
    outstanding = _outstanding(request)
    now = time.time()
    issued = proof.take(outstanding, challenge, now)
    request.session[POW_SESSION] = outstanding
    if issued is None:
        return Proof.REFUSED
    if nonce:
        ok = proof.verify(challenge, nonce, settings.INTAKE_POW_BITS)
        return Proof.ACCEPTED if ok else Proof.REFUSED
    if now - issued >= settings.INTAKE_NOJS_WAIT_SECONDS:
        return Proof.ACCEPTED
    return Proof.TOO_EARLY


def _proof_message(request: HttpRequest, outcome: Proof) -> str:
    if outcome is Proof.TOO_EARLY:
        text = _(
            "To keep out automatic mass submissions, a form sent without JavaScript must "
            "stay open a little while. Please check what you wrote and send it again after "
            "%(n)d seconds."
        ) % {"n": settings.INTAKE_NOJS_WAIT_SECONDS}
    else:
        text = _(
            "The form could not be checked (it may have been open too long or sent already), "
            "so nothing was stored. Please check what you wrote and send it again."
        )
    if request.FILES:
        text += " " + _("Files cannot be kept between attempts: please choose them again.")
    return text


# --- the channel page and the forms ------------------------------------------------------


def _channel(slug: str) -> Channel:
    channel = (
        Channel.objects.select_related("team__round")
        .prefetch_related("team__targets")
        .filter(slug=slug.lower())
        .first()
    )
    if channel is None:
        raise Http404
    return channel


def _channel_context(channel: Channel) -> dict[str, Any]:
    return {
        "channel": channel,
        "team": channel.team,
        "round": channel.team.round,
        "targets": [t.name for t in channel.team.targets.all()],
    }


def _form_context(request: HttpRequest) -> dict[str, Any]:
    """What every form with files and a proof of work needs."""
    return {
        "pow": _issue_challenge(request),
        "limits": {"files": settings.INTAKE_MAX_FILES, "file_mb": settings.INTAKE_MAX_FILE_MB},
    }


@login_not_required
@public
@require_http_methods(["GET", "HEAD"])
def channel_page(request: HttpRequest, slug: str) -> HttpResponseBase:
    channel = _channel(slug)
    return _page(request, "channel.html", _channel_context(channel))


def _receipt_page(
    request: HttpRequest, channel: Channel, report: Report, code: str
) -> HttpResponse:
    return _page(
        request,
        "receipt.html",
        {
            **_channel_context(channel),
            "kind": report.kind,
            "receipt": receipts.grouped(code),
            "address": request.build_absolute_uri(reverse("intake:public_receipt")),
        },
    )


def _submission(
    request: HttpRequest,
    slug: str,
    *,
    kind: str,
    form_class: type[ReportForm] | type[TalkForm],
    template: str,
) -> HttpResponseBase:
    channel = _channel(slug)
    context = _channel_context(channel)
    if not channel.is_open:
        return _page(request, "closed.html", context)
    form: ReportForm | TalkForm
    notice = ""
    status = 200
    if request.method == "POST":
        wait = ratelimit.submission_wait(request)
        if wait:
            return _limited(request, _too_many_submissions(), wait)
        form = form_class(request.POST, request.FILES)
        outcome = _check_proof(request)
        if outcome is not Proof.ACCEPTED:
            notice = _proof_message(request, outcome)
            status = 400 if outcome is Proof.REFUSED else 200
        elif form.is_valid():
            submission = services.Submission(
                kind=kind,
                category=form.cleaned_data["category"],
                content=form.content(),
                identity=form.identity(),
                files=uploads(form.cleaned_data.get("attachments") or []),
            )
            try:
                report, code = services.submit(channel=channel, submission=submission)
            except ValidationError as exc:
                notice = " ".join(exc.messages)
                status = 400
            else:
                ratelimit.record_submission(request)
                if code is None:  # a public submission always has a receipt
                    raise RuntimeError("no receipt")
                return _receipt_page(request, channel, report, code)
        else:
            status = 400
    else:
        form = form_class()
    return _page(
        request,
        template,
        {**context, **_form_context(request), "form": form, "notice": notice},
        status=status,
    )


def _too_many_submissions() -> str:
    return _(
        "You have sent as many reports and messages as one visit may send in an hour. "
        "Please try again later, or call or write to the team."
    )


@login_not_required
@public
@require_http_methods(["GET", "HEAD", "POST"])
def report_form(request: HttpRequest, slug: str) -> HttpResponseBase:
    return _submission(
        request, slug, kind=Kind.REPORT, form_class=ReportForm, template="report_form.html"
    )


@login_not_required
@public
@require_http_methods(["GET", "HEAD", "POST"])
def talk_form(request: HttpRequest, slug: str) -> HttpResponseBase:
    return _submission(
        request, slug, kind=Kind.TALK, form_class=TalkForm, template="talk_form.html"
    )


# --- coming back with the receipt ----------------------------------------------------------


@login_not_required
@public
@require_http_methods(["GET", "HEAD", "POST"])
def receipt_login(request: HttpRequest) -> HttpResponseBase:
    if request.method != "POST":
        return _page(request, "receipt_login.html", {"form": ReceiptForm()})
    wait = ratelimit.receipt_wait(request)
    if wait:
        message = _(
            "Too many receipts were tried in this visit. Please try again in an hour, or "
            "call or write to the team."
        )
        return _limited(request, message, wait)
    blocked = ratelimit.receipts_blocked()
    if blocked:
        return _limited(request, _("Too many attempts; try again in a minute."), blocked)
    ratelimit.record_receipt_try(request)
    form = ReceiptForm(request.POST)
    if form.is_valid():
        found = services.report_for_receipt(form.cleaned_data["receipt"])
        if found is not None:
            report, report_key = found
            request.session.cycle_key()
            keyring.hold_report(request, report.pk, report_key)
            ratelimit.touch(request)
            return redirect("intake:public_thread")
        failures = ratelimit.record_receipt_failure(request)
        ratelimit.slow_down(failures)
        # The same answer for a malformed and an unknown receipt; the code typed is not
        # shown again (someone might be looking over the shoulder).
        return _page(request, "receipt_login.html", {"form": ReceiptForm(), "failed": True}, 400)
    return _page(request, "receipt_login.html", {"form": form}, status=400)


# --- the thread --------------------------------------------------------------------------


def _held(request: HttpRequest) -> tuple[Report, bytes, services.Opened] | None:
    """The report this session opened with its receipt, its key, and its contents."""
    held = keyring.held_report(request)
    if held is None:
        return None
    report_id, report_key = held
    report = Report.objects.select_related("channel__team__round").filter(pk=report_id).first()
    if report is None:
        keyring.drop_report(request)
        return None
    try:
        return report, report_key, services.open_for_submitter(report, report_key)
    except sealing.DecryptionFailed:
        keyring.drop_report(request)
        return None


def _labels(choices: Any, values: Any) -> list[str]:
    names = {key: str(label) for key, label in choices}
    return [names[v] for v in values if v in names]


def _sent(report: Report, content: dict[str, Any]) -> list[tuple[str, str]]:
    """The report as sent, as (label, text) rows in the submitter's language."""
    rows: list[tuple[str, str]]
    if report.kind == Kind.TALK:
        anytime = _("Any")
        rows = [
            (_("How"), ", ".join(_labels(MODES, [content.get("mode")]))),
            (_("Days"), ", ".join(_labels(DAYS, content.get("days") or [])) or anytime),
            (_("Times"), ", ".join(_labels(TIMES, content.get("times") or [])) or anytime),
            (_("Where"), ", ".join(_labels(PLACE_KINDS, [content.get("place_kind")]))),
            (pgettext("talk", "Topic"), str(content.get("topic") or "")),
        ]
    else:
        rows = [
            (_("About whom"), str(content.get("about") or "")),
            (_("Which organisation or village"), str(content.get("organisation") or "")),
            (_("What happened"), str(content.get("what") or "")),
            (_("When"), str(content.get("when") or "")),
        ]
    rows.append((_("Category"), str(Category(report.category).label)))
    return [(label, text) for label, text in rows if text]


def _thread_page(
    request: HttpRequest,
    report: Report,
    opened: services.Opened,
    form: MessageForm,
    *,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    files_by_message: dict[int | None, list[str]] = {}
    for attachment, name in opened.attachments:
        files_by_message.setdefault(attachment.message_id, []).append(name)
    thread = [
        (message, text, files_by_message.get(message.pk, [])) for message, text in opened.messages
    ]
    talks = report.appointments.filter(
        state__in=[Appointment.State.PROPOSED, Appointment.State.CONFIRMED]
    )
    return _page(
        request,
        "thread.html",
        {
            **_channel_context(report.channel),
            "report": report,
            "status": services.public_status(report),
            "sent": _sent(report, opened.content),
            "files": files_by_message.get(None, []),
            "thread": thread,
            "talks": talks,
            "form": form,
            "notice": notice,
            **_form_context(request),
        },
        status=status,
    )


@login_not_required
@public
@require_http_methods(["GET", "HEAD", "POST"])
def thread(request: HttpRequest) -> HttpResponseBase:
    held = _held(request)
    if held is None:
        messages.info(request, _("Enter your receipt to see your report."))
        return redirect("intake:public_receipt")
    report, report_key, opened = held
    if request.method != "POST":
        return _thread_page(request, report, opened, MessageForm())
    wait = ratelimit.submission_wait(request)
    if wait:
        return _limited(request, _too_many_submissions(), wait)
    form = MessageForm(request.POST, request.FILES)
    outcome = _check_proof(request)
    if outcome is not Proof.ACCEPTED:
        status = 400 if outcome is Proof.REFUSED else 200
        notice = _proof_message(request, outcome)
        return _thread_page(request, report, opened, form, notice=notice, status=status)
    if not form.is_valid():
        return _thread_page(request, report, opened, form, status=400)
    try:
        services.submitter_message(
            report=report,
            report_key=report_key,
            text=form.cleaned_data["text"],
            files=uploads(form.cleaned_data.get("attachments") or []),
        )
    except ValidationError as exc:
        notice = " ".join(exc.messages)
        return _thread_page(request, report, opened, form, notice=notice, status=400)
    ratelimit.record_submission(request)
    messages.success(request, _("Your message was sent to the team."))
    return redirect("intake:public_thread")


@login_not_required
@public
@require_POST
def leave(request: HttpRequest) -> HttpResponseBase:
    """Forget the report in this browser: the session ends (for a signed-in user who
    looked at a receipt, only the report is dropped)."""
    anonymous = not request.user.is_authenticated
    if anonymous:
        request.session.flush()
    else:
        keyring.drop_report(request)
    messages.info(
        request,
        _("You have left your report. To see it again, enter your receipt."),
    )
    response = redirect("intake:public_receipt")
    if anonymous:
        response.delete_cookie(keyring.COOKIE, samesite="Strict")
    return response
