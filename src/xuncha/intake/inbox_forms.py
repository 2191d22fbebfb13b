"""Forms of the staff inbox: the filters, the reply, classification, forwarding,
duplicates, turning a report into a problem or clue, closing, and entering a letter,
call or visit."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from xuncha.clues.models import Discipline, Level, Record
from xuncha.clues.models import Kind as RecordKind
from xuncha.core import policy
from xuncha.core.models import Organisation, OrganisationKind, User
from xuncha.core.policy import Action
from xuncha.intake import services
from xuncha.intake.models import Category, Kind, Report, Source, Status
from xuncha.intake.public_forms import MultipleFileField, uploads
from xuncha.rounds.models import Team, TopicTag

ALL = gettext_lazy("All")


def _blank(choices: list[tuple[str, Any]], label: Any = ALL) -> list[tuple[str, Any]]:
    return [("", label), *choices]


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name())


class ReportChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.label} · {obj.get_kind_display()} · {obj.get_status_display()}"


class InboxFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=_blank([("open", gettext_lazy("Still open")), *Status.choices]),
        required=False,
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), choices=_blank(Kind.choices), required=False
    )
    source = forms.ChoiceField(
        label=gettext_lazy("Received by"), choices=_blank(Source.choices), required=False
    )
    category = forms.ChoiceField(
        label=gettext_lazy("Category"), choices=_blank(Category.choices), required=False
    )
    discipline = forms.ChoiceField(
        label=gettext_lazy("Discipline"), choices=_blank(Discipline.choices), required=False
    )
    topic = forms.ModelChoiceField(
        label=gettext_lazy("Topic"),
        queryset=TopicTag.objects.all(),
        required=False,
        empty_label=ALL,
    )
    assigned = forms.ChoiceField(
        label=gettext_lazy("Assigned to"),
        choices=[
            ("", gettext_lazy("Anyone")),
            ("me", gettext_lazy("Me")),
            ("nobody", gettext_lazy("Nobody yet")),
        ],
        required=False,
    )
    unread = forms.BooleanField(label=gettext_lazy("Unread only"), required=False)
    named = forms.BooleanField(label=gettext_lazy("Named only"), required=False)


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Message to the submitter"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    waiting = forms.BooleanField(
        label=gettext_lazy("This is a question; wait for the submitter's answer"),
        required=False,
    )


class ClassifyForm(forms.Form):
    discipline = forms.ChoiceField(
        label=gettext_lazy("Discipline"),
        choices=_blank(Discipline.choices, gettext_lazy("Not classified yet")),
        required=False,
    )
    topics = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Topics"),
        queryset=TopicTag.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=Category.choices)
    assigned_to = UserChoiceField(
        label=gettext_lazy("Assigned to"),
        queryset=User.objects.none(),
        required=False,
        empty_label=gettext_lazy("Nobody"),
    )

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(UserChoiceField, self.fields["assigned_to"])
        field.queryset = services.recipients(team).select_related("person").order_by("username")

    @classmethod
    def for_report(cls, report: Report, data: Any = None) -> ClassifyForm:
        return cls(
            data,
            team=report.channel.team,
            initial={
                "discipline": report.discipline,
                "topics": list(report.topics.all()),
                "category": report.category,
                "assigned_to": report.assigned_to_id,
            },
        )


def forward_organisations(user: Any, team: Team) -> Any:
    """Units under the round's committee that the user may see, as forwarding targets."""
    committee = team.round.committee
    return policy.scope(
        user,
        Action.ORGANISATION_VIEW,
        Organisation.objects.filter(
            kind=OrganisationKind.UNIT, path__startswith=committee.path, is_active=True
        ),
    ).order_by("path")


class ForwardForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Responsible department"), queryset=Organisation.objects.none()
    )
    note = forms.CharField(
        label=gettext_lazy("Note to the department"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    message = forms.CharField(
        label=gettext_lazy("Tell the submitter where to turn (optional)"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, user: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["organisation"])
        field.queryset = forward_organisations(user, team)


class DuplicateForm(forms.Form):
    original = ReportChoiceField(label=gettext_lazy("Duplicate of"), queryset=Report.objects.none())

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(ReportChoiceField, self.fields["original"])
        field.queryset = candidates


class RecordChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.number} {obj.title}"


class AddToRecordForm(forms.Form):
    record = RecordChoiceField(
        label=gettext_lazy("Problem or clue"), queryset=Record.objects.none()
    )

    def __init__(self, *args: Any, records: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(RecordChoiceField, self.fields["record"])
        field.queryset = records


SUBJECTS_HELP = gettext_lazy(
    "Optional. One person per line: name, then optionally a comma and the post. The "
    "submitter's own name and contact details do not belong here."
)


class ConvertForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Turn into"), choices=RecordKind.choices, initial=RecordKind.PROBLEM
    )
    target = forms.ModelChoiceField(
        label=gettext_lazy("Target"), queryset=Organisation.objects.none()
    )
    title = forms.CharField(label=pgettext_lazy("record", "Title"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 8})
    )
    subjects = forms.CharField(
        label=gettext_lazy("People concerned"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=SUBJECTS_HELP,
    )
    discipline = forms.ChoiceField(
        label=gettext_lazy("Discipline"),
        choices=_blank(Discipline.choices, gettext_lazy("Not classified yet")),
        required=False,
    )
    topics = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Topics"),
        queryset=TopicTag.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    credibility = forms.ChoiceField(
        label=gettext_lazy("Credibility"), choices=Level.choices, initial=Level.MEDIUM
    )
    priority = forms.ChoiceField(
        label=gettext_lazy("Priority"), choices=Level.choices, initial=Level.MEDIUM
    )

    def __init__(self, *args: Any, targets: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["target"])
        field.queryset = Organisation.objects.filter(pk__in=[t.pk for t in targets]).order_by(
            "path"
        )
        if len(targets) == 1:
            field.initial = targets[0].pk

    def subject_inputs(self) -> list[Any]:
        from xuncha.clues.forms import parse_subjects

        return parse_subjects(self.cleaned_data.get("subjects", ""), self.cleaned_data["target"])


class CloseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why the report is closed"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# --- staff entry of letters, calls and visits ---------------------------------------------


MODES = [
    ("either", gettext_lazy("In person or by phone")),
    ("in_person", gettext_lazy("In person")),
    ("phone", gettext_lazy("By phone")),
]
DAYS = [
    (0, gettext_lazy("Monday")),
    (1, gettext_lazy("Tuesday")),
    (2, gettext_lazy("Wednesday")),
    (3, gettext_lazy("Thursday")),
    (4, gettext_lazy("Friday")),
    (5, gettext_lazy("Saturday")),
    (6, gettext_lazy("Sunday")),
]
TIMES = [
    ("morning", gettext_lazy("Morning")),
    ("afternoon", gettext_lazy("Afternoon")),
    ("evening", gettext_lazy("Evening")),
]
PLACE_KINDS = [
    ("team", gettext_lazy("The team chooses")),
    ("station", gettext_lazy("The team's station")),
    ("neutral", gettext_lazy("A neutral place")),
]


class EntryForm(forms.Form):
    """A letter, call or visit received by staff, entered into the inbox."""

    source = forms.ChoiceField(
        label=gettext_lazy("Received by"),
        choices=[(s.value, s.label) for s in Source if s != Source.WEB],
        initial=Source.LETTER,
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Kind.choices)
    category = forms.ChoiceField(
        label=gettext_lazy("Category"), choices=Category.choices, initial=Category.OTHER
    )
    # A report.
    about = forms.CharField(label=gettext_lazy("About whom"), max_length=200, required=False)
    organisation = forms.CharField(
        label=gettext_lazy("Which organisation"), max_length=200, required=False
    )
    what = forms.CharField(
        label=gettext_lazy("What happened"),
        max_length=20000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    when = forms.CharField(label=gettext_lazy("When"), max_length=200, required=False)
    # A talk request.
    mode = forms.ChoiceField(label=gettext_lazy("How"), choices=MODES, initial="either")
    days = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Preferred days (none: any day)"),
        choices=DAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    times = forms.MultipleChoiceField(
        label=gettext_lazy("Preferred times (none: any time)"),
        choices=TIMES,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    place_kind = forms.ChoiceField(label=gettext_lazy("Where"), choices=PLACE_KINDS)
    topic = forms.CharField(
        label=gettext_lazy("Topic of the talk"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # Who, if they said.
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=100, required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40, required=False)
    other = forms.CharField(
        label=gettext_lazy("Other contact details"), max_length=200, required=False
    )
    attachments = MultipleFileField(label=gettext_lazy("Attachments (scans, photos, recordings)"))
    with_receipt = forms.BooleanField(
        label=gettext_lazy("Give the person a receipt"),
        required=False,
        help_text=gettext_lazy(
            "With a receipt the person can follow the report and answer the team's "
            "questions on the public page. It is shown once, on the next page."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == Kind.REPORT and not (data.get("what") or "").strip():
            self.add_error("what", _("Write down what the person reported."))
        return data

    def content(self) -> dict[str, Any]:
        data = self.cleaned_data
        if data["kind"] == Kind.TALK:
            return {
                "mode": data["mode"],
                "days": sorted(set(data["days"])),
                "times": [t for t, _label in TIMES if t in data["times"]],
                "place_kind": data["place_kind"],
                "topic": data["topic"].strip(),
            }
        return {k: data[k].strip() for k in ("about", "organisation", "what", "when")}

    def identity(self) -> dict[str, str] | None:
        identity = {k: self.cleaned_data[k].strip() for k in ("name", "phone", "other")}
        return identity if any(identity.values()) else None

    def uploads(self) -> list[services.Upload]:
        return uploads(self.cleaned_data["attachments"])
