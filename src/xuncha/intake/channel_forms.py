"""The channel settings form: texts of the public page and poster, the stationing dates,
the places and hours for talks (edited as plain text, validated line by line)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from xuncha.core.forms import DateInput
from xuncha.intake.lib import slots
from xuncha.intake.models import Channel
from xuncha.intake.services import CHANNEL_FIELDS

# The channel's fields edited as they are (places and talk hours have editors of their own).
TEXT_FIELDS = tuple(f for f in CHANNEL_FIELDS if f not in ("places", "talk_hours"))

PLACE_ERRORS = {
    "format": _('Line %(line)d: write "station: name" or "neutral: name".'),
    "kind": _(
        'Line %(line)d: "%(value)s" is not a kind of place; use "station" (the team\'s '
        'station) or "neutral" (a neutral place).'
    ),
    "name": _("Line %(line)d: the place has no name."),
    "long": _("Line %(line)d: the name is longer than 200 characters."),
    "repeated": _("Line %(line)d: “%(value)s” is listed twice."),
}


def _text(label: Any, help_text: Any = "", rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class ChannelForm(forms.Form):
    introduction = _text(_("Who the team is and what it inspects"))
    accepts = _text(_("What the team accepts"))
    elsewhere = _text(
        _("What belongs elsewhere"), _("Courts, personal disputes, other departments' matters.")
    )
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    mailbox = forms.CharField(label=_("Mailbox"), max_length=120, required=False)
    station = forms.CharField(label=_("Station address"), max_length=200, required=False)
    starts_on = forms.DateField(label=_("Stationed from"), required=False, widget=DateInput())
    ends_on = forms.DateField(label=_("Stationed until"), required=False, widget=DateInput())
    places = _text(
        _("Places for talks"),
        _(
            'One place per line: "station: name" for a room of the team\'s station, '
            '"neutral: name" for a neutral place (a library, a cultural centre).'
        ),
        rows=4,
    )
    talk_days = forms.TypedMultipleChoiceField(
        label=_("Days for talks"),
        choices=[(i, WEEKDAYS[i]) for i in range(7)],
        coerce=int,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    talk_starts = forms.CharField(
        label=_("Talks start at"),
        max_length=300,
        help_text=_("Times of day separated by commas, for example 09:00, 10:30, 14:30."),
    )
    talk_minutes = forms.IntegerField(
        label=_("Minutes per talk"), min_value=15, max_value=slots.MAX_MINUTES
    )

    @staticmethod
    def initial_for(channel: Channel) -> dict[str, Any]:
        try:
            hours = slots.TalkHours.parse(channel.talk_hours or {})
        except (TypeError, ValueError):
            hours = slots.TalkHours.parse({})
        return {
            **{name: getattr(channel, name) for name in TEXT_FIELDS},
            "places": slots.format_places(slots.places_from(channel.places or [])),
            "talk_days": sorted(hours.days),
            "talk_starts": ", ".join(s.strftime("%H:%M") for s in hours.starts),
            "talk_minutes": hours.minutes,
        }

    def clean_places(self) -> list[slots.Place]:
        try:
            return slots.parse_places(self.cleaned_data["places"])
        except slots.PlaceError as exc:
            raise forms.ValidationError(
                PLACE_ERRORS[exc.code],
                code=exc.code,
                params={"line": exc.line, "value": exc.value},
            ) from None

    def clean_talk_starts(self) -> list[dt.time]:
        text = self.cleaned_data["talk_starts"].replace("，", ",").replace("、", ",")
        starts: set[dt.time] = set()
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            try:
                starts.add(slots.parse_time(item))
            except ValueError:
                raise forms.ValidationError(
                    _("“%(value)s” is not a time of day like 09:30."),
                    code="time",
                    params={"value": item},
                ) from None
        if not starts:
            raise forms.ValidationError(_("Give at least one start time."), code="required")
        return sorted(starts)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("The end is before the start."))
        starts, minutes = data.get("talk_starts"), data.get("talk_minutes")
        if starts and minutes:
            self._check_hours(starts, minutes)
        return data

    def _check_hours(self, starts: list[dt.time], minutes: int) -> None:
        def offset(t: dt.time) -> int:
            return t.hour * 60 + t.minute

        for earlier, later in itertools.pairwise(starts):
            if offset(later) - offset(earlier) < minutes:
                self.add_error(
                    "talk_starts",
                    _(
                        "Talks starting at %(first)s and %(second)s would overlap "
                        "(%(minutes)d minutes each)."
                    )
                    % {
                        "first": earlier.strftime("%H:%M"),
                        "second": later.strftime("%H:%M"),
                        "minutes": minutes,
                    },
                )
                return
        if offset(starts[-1]) + minutes > 24 * 60:
            self.add_error(
                "talk_starts",
                _("A talk starting at %(start)s would end after midnight.")
                % {"start": starts[-1].strftime("%H:%M")},
            )

    def values(self) -> dict[str, Any]:
        """The cleaned values as services.channel_update takes them."""
        data = self.cleaned_data
        hours = slots.TalkHours(
            days=frozenset(data["talk_days"]),
            starts=tuple(data["talk_starts"]),
            minutes=data["talk_minutes"],
        )
        return {
            **{
                name: data[name].strip() if isinstance(data[name], str) else data[name]
                for name in TEXT_FIELDS
            },
            "places": [{"name": p.name, "kind": p.kind} for p in data["places"]],
            "talk_hours": hours.as_json(),
        }


class OpenForm(forms.Form):
    is_open = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1")
