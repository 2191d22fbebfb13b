"""Forms of the talk schedule: a run's settings, a place, a talk moved by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from xuncha.core.models import Person
from xuncha.fieldwork import schedule_services
from xuncha.fieldwork.lib.scheduling import Rules
from xuncha.fieldwork.models import Absence, Room, Talk


class RunForm(forms.Form):
    time_limit = forms.IntegerField(
        label=_("Time limit (seconds)"),
        min_value=1,
        max_value=schedule_services.MAX_TIME_LIMIT,
        initial=20,
    )
    seed = forms.IntegerField(
        label=_("Seed"),
        min_value=0,
        max_value=1_000_000,
        initial=0,
        help_text=_("The same seed and the same talks give the same schedule."),
    )
    main_leader_rule = forms.BooleanField(
        label=_("Talk to the main leader first and again near the end"),
        required=False,
        initial=True,
    )
    near_end_days = forms.IntegerField(
        label=_("Near the end: the last working days"), min_value=1, max_value=20, initial=3
    )
    same_unit_buffer_units = forms.IntegerField(
        label=_("Half-hours between two people of one unit in one place"),
        min_value=0,
        max_value=8,
        initial=1,
    )
    daily_cap = forms.IntegerField(
        label=_("Talks a member may have a day"), min_value=1, max_value=12, initial=4
    )


class RoomForm(forms.Form):
    name = forms.CharField(label=_("Name of the place"), max_length=100)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Room.Kind.choices, initial=Room.Kind.TALK_ROOM
    )


class AbsenceForm(forms.Form):
    person = forms.TypedChoiceField(label=_("Team member"), coerce=int)
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    part = forms.ChoiceField(label=_("When"), choices=Absence.Part.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, seats: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [(s.person.pk, s.person.name) for s in seats]  # type: ignore[attr-defined]


def start_choices(rules: Rules, current: dt.time | None = None) -> list[tuple[str, str]]:
    """Start times on the scheduler's grid inside the working windows (and the current
    start, which a public talk may have off the grid)."""
    minutes: set[int] = set()
    for begin, end in rules.windows:
        minute = begin
        while minute + rules.unit_minutes <= end:
            minutes.add(minute)
            minute += rules.unit_minutes
    if current is not None:
        minutes.add(current.hour * 60 + current.minute)
    return [(f"{m // 60:02d}:{m % 60:02d}",) * 2 for m in sorted(minutes)]


class TalkChangeForm(forms.Form):
    day = forms.ChoiceField(label=_("Day"))
    start = forms.ChoiceField(label=_("Starts at"))
    room = forms.ModelChoiceField(label=_("Place"), queryset=Room.objects.none())
    asker = forms.ChoiceField(label=_("Asks"))
    recorder = forms.ChoiceField(label=_("Records"))

    def __init__(
        self,
        *args: Any,
        talk: Talk,
        days: Sequence[dt.date],
        members: Sequence[Person],
        **kwargs: Any,
    ) -> None:
        local = timezone.localtime(talk.starts_at) if talk.starts_at else None
        initial = kwargs.setdefault("initial", {})
        if local is not None:
            initial.setdefault("day", local.date().isoformat())
            initial.setdefault("start", f"{local:%H:%M}")
        initial.setdefault("room", talk.room_id)
        initial.setdefault("asker", talk.asker_id)
        initial.setdefault("recorder", talk.recorder_id)
        super().__init__(*args, **kwargs)
        day_list = list(days)
        if local is not None and local.date() not in day_list:
            day_list.insert(0, local.date())
        cast(forms.ChoiceField, self.fields["day"]).choices = [
            (d.isoformat(), f"{d.isoformat()} {date_format(d, 'D')}") for d in day_list
        ]
        cast(forms.ChoiceField, self.fields["start"]).choices = start_choices(
            Rules(), local.time() if local else None
        )
        room_field = cast(forms.ModelChoiceField, self.fields["room"])
        room_field.queryset = Room.objects.filter(team_id=talk.team_id).order_by("pk")
        people = [(str(p.pk), p.name) for p in members]
        cast(forms.ChoiceField, self.fields["asker"]).choices = people
        cast(forms.ChoiceField, self.fields["recorder"]).choices = people
        self.members = {p.pk: p for p in members}

    def cleaned_day(self) -> dt.date:
        return dt.date.fromisoformat(self.cleaned_data["day"])

    def cleaned_start(self) -> dt.time:
        return dt.time.fromisoformat(self.cleaned_data["start"])

    def person(self, name: str) -> Person:
        return self.members[int(self.cleaned_data[name])]
