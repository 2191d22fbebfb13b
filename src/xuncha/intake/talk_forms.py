"""Forms for talks: a time proposed by hand, and the note when a talk is cancelled."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xuncha.core.forms import DateInput
from xuncha.intake.lib import slots
from xuncha.intake.models import Appointment, Channel


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%H:%M")


class TalkForm(forms.Form):
    """A talk proposed by hand; the place is one of the channel's places (offered as a
    list) or any text."""

    day = forms.DateField(label=_("Day"), widget=DateInput())
    start = forms.TimeField(label=_("Starts at"), widget=TimeInput())
    mode = forms.ChoiceField(
        label=_("How"), choices=Appointment.Mode.choices, initial=Appointment.Mode.IN_PERSON
    )
    place = forms.CharField(
        label=_("Place"),
        max_length=200,
        required=False,
        help_text=_("Choose one of the team's places or type another; none for a phone talk."),
    )

    def __init__(self, *args: Any, channel: Channel, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channel = channel
        self.places = [p.name for p in slots.places_from(channel.places or [])]
        self.fields["place"].widget.attrs["list"] = f"talk-places-{channel.pk}"
        if channel.starts_on:
            self.fields["day"].widget.attrs["min"] = channel.starts_on.isoformat()
        if channel.ends_on:
            self.fields["day"].widget.attrs["max"] = channel.ends_on.isoformat()

    @property
    def places_list_id(self) -> str:
        return f"talk-places-{self.channel.pk}"

    def starts_at(self) -> dt.datetime:
        data = self.cleaned_data
        return timezone.make_aware(dt.datetime.combine(data["day"], data["start"]))


class CancelForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the submitter"),
        max_length=500,
        required=False,
        help_text=_("Why the talk is cancelled, or what happens next."),
    )
