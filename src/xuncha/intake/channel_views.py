"""A team's public channel: its settings, opening and closing, and the poster.

Office staff of the round's committee and the team's leader set the channel up
(INTAKE_CHANNEL); the page creates the channel, closed, on the first visit.
"""

from __future__ import annotations

import base64

from django.conf import settings as django_settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xuncha.core import policy
from xuncha.core.views import AuthedRequest
from xuncha.intake import permissions, poster, services
from xuncha.intake.channel_forms import ChannelForm, OpenForm
from xuncha.intake.models import Channel
from xuncha.rounds.models import Team


def public_url(request: HttpRequest, channel: Channel) -> str:
    """The channel's public address: the configured public base, else this server."""
    path = reverse("intake:public_channel", args=[channel.slug])
    base = str(getattr(django_settings, "INTAKE_PUBLIC_BASE_URL", "") or "").rstrip("/")
    return base + path if base else request.build_absolute_uri(path)


def _channel(request: AuthedRequest, team_pk: int) -> Channel:
    team = get_object_or_404(
        policy.scope(
            request.user,
            permissions.INTAKE_CHANNEL,
            Team.objects.select_related("round__committee"),
        ),
        pk=team_pk,
    )
    channel = services.channel_ensure(actor=request.user, team=team)
    channel.team = team
    return channel


@require_http_methods(["GET", "POST"])
def settings(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    channel = _channel(request, team_pk)
    form = ChannelForm(request.POST or None, initial=ChannelForm.initial_for(channel))
    if request.method == "POST" and form.is_valid():
        try:
            # channel_update saves every field of the object it gets: hand it the row
            # locked as submissions lock it, so the report counter cannot go back.
            with transaction.atomic():
                locked = Channel.objects.select_for_update().get(pk=channel.pk)
                channel = services.channel_update(
                    actor=request.user, channel=locked, **form.values()
                )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for name, errors in exc.error_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, _("Channel settings saved."))
            return redirect("intake:channel", team_pk=channel.team_id)
    url = public_url(request, channel)
    qr = base64.b64encode(poster.qr_png(url, box=6)).decode("ascii")
    return render(
        request,
        "intake/channel/settings.html",
        {
            "team": channel.team,
            "channel": channel,
            "form": form,
            "public_url": url,
            "qr_data_uri": f"data:image/png;base64,{qr}",
            "readers": services.recipients(channel.team).count(),
        },
    )


@require_POST
def open_close(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    channel = _channel(request, team_pk)
    form = OpenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to open or to close the channel."))
        return redirect("intake:channel", team_pk=channel.team_id)
    is_open = form.cleaned_data["is_open"]
    try:
        services.channel_open(actor=request.user, channel=channel, is_open=is_open)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The channel is open: the public can report and ask for talks.")
            if is_open
            else _("The channel is closed: its page no longer takes reports."),
        )
    return redirect("intake:channel", team_pk=channel.team_id)


def _download(data: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
def poster_pdf(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    channel = _channel(request, team_pk)
    data = poster.poster_pdf(channel, public_url(request, channel))
    poster.poster_recorded(actor=request.user, channel=channel, fmt="pdf")
    return _download(data, "application/pdf", f"poster-{channel.slug}.pdf")


@require_GET
def poster_png(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    channel = _channel(request, team_pk)
    try:
        data = poster.poster_png(channel, public_url(request, channel))
    except poster.NoChineseFont as exc:
        messages.error(request, str(exc))
        return redirect("intake:channel", team_pk=channel.team_id)
    poster.poster_recorded(actor=request.user, channel=channel, fmt="png")
    return _download(data, "image/png", f"poster-{channel.slug}.png")
