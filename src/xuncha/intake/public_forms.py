"""Forms of the public side: a report, a talk request, the receipt, a thread message.

They validate what the submitter typed and turn it into the plain dicts the services
store encrypted (``content`` and ``identity``); the files become ``services.Upload``s.
Nothing here looks at the request beyond the posted fields and files.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from xuncha.intake import services
from xuncha.intake.models import Category

# What the phone's file picker offers; the server judges files by their bytes anyway.
ACCEPT = "image/*,.pdf,.doc,.docx,.xls,.xlsx,.txt,audio/*,video/*,.amr,.m4a"

MODES = [
    ("in_person", _("In person")),
    ("phone", _("By phone")),
    ("either", _("Either is fine")),
]
DAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
TIMES = [
    ("morning", _("Morning")),
    ("afternoon", _("Afternoon")),
    ("evening", _("Evening")),
]
PLACE_KINDS = [
    ("station", _("At the team's station")),
    ("neutral", _("At a neutral place away from my workplace and village")),
    ("team", _("Let the team choose")),
]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; ``clean`` returns a list (maybe empty)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        items = data if isinstance(data, list | tuple) else [data]
        files = [super(MultipleFileField, self).clean(item, initial) for item in items if item]
        limit = settings.INTAKE_MAX_FILES
        if len(files) > limit:
            raise forms.ValidationError(
                ngettext(
                    "At most %(n)d file can be attached.",
                    "At most %(n)d files can be attached.",
                    limit,
                )
                % {"n": limit}
            )
        return files


def uploads(files: list[UploadedFile]) -> list[services.Upload]:
    """The chosen files as the services take them: the name as sent and the bytes."""
    return [services.Upload(name=str(f.name or ""), data=f.read()) for f in files]


def _text(label: Any, max_length: int, *, required: bool = False, **attrs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        widget=forms.TextInput(attrs=attrs),
    )


def _area(label: Any, max_length: int, rows: int, *, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _radio(choices: Any, initial: Any, label: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=choices,
        initial=initial,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )


def _boxes(choices: Any, label: Any, *, coerce: Any = str) -> forms.TypedMultipleChoiceField:
    return forms.TypedMultipleChoiceField(
        label=label,
        choices=choices,
        coerce=coerce,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )


class IdentityMixin(forms.Form):
    """Optional: who the submitter is and how to reach them (encrypted; only the team's
    leader and deputies and the inspection office can read it)."""

    name = _text(_("Your name"), 60, autocomplete="name")
    phone = _text(_("Phone"), 40, autocomplete="tel", inputmode="tel")
    other = _text(_("Other way to reach you"), 200)

    def identity(self) -> dict[str, str] | None:
        values = {key: self.cleaned_data.get(key, "") for key in ("name", "phone", "other")}
        return values if any(values.values()) else None


class ReportForm(IdentityMixin):
    about = _text(_("About whom"), 200)
    organisation = _text(_("Which organisation or village"), 200)
    what = _area(_("What happened"), 20000, 8, required=True)
    when = _text(_("When"), 100)
    category = _radio(Category.choices, Category.OTHER, _("What is it about?"))
    attachments = MultipleFileField(label=_("Photos or documents"))

    field_order = ["about", "organisation", "what", "when", "category", "attachments"]

    def content(self) -> dict[str, str]:
        return {key: self.cleaned_data[key] for key in ("about", "organisation", "what", "when")}


class TalkForm(IdentityMixin):
    mode = _radio(MODES, "either", _("How would you like to talk?"))
    days = _boxes(DAYS, _("Which days suit you?"), coerce=int)
    times = _boxes(TIMES, _("Which times suit you?"))
    place_kind = _radio(PLACE_KINDS, "team", _("Where?"))
    topic = _area(_("What would you like to talk about? (optional)"), 1000, 3)
    category = _radio(Category.choices, Category.OTHER, _("What is it about?"))

    field_order = ["mode", "days", "times", "place_kind", "topic", "category"]

    def content(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "mode": data["mode"],
            "days": sorted(set(data["days"])),
            "times": [key for key, _label in TIMES if key in data["times"]],
            "place_kind": data["place_kind"],
            "topic": data["topic"],
        }


class ReceiptForm(forms.Form):
    receipt = forms.CharField(
        label=_("Your receipt"),
        max_length=60,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "autocapitalize": "characters",
                "autocorrect": "off",
            }
        ),
    )


class MessageForm(forms.Form):
    text = _area(_("Your answer or more information"), 20000, 5)
    attachments = MultipleFileField(label=_("Photos or documents"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not data.get("text") and not data.get("attachments"):
            raise forms.ValidationError(_("Write something or attach a file."))
        return data
