"""Forms of interview records, working papers and the interference register: they check
input; ``record_services`` does the writes and the rules that need the database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from xuncha.clues.models import Kind as ClueKind
from xuncha.clues.models import Record as ClueRecord
from xuncha.core.forms import DateInput
from xuncha.core.models import Organisation, Person
from xuncha.fieldwork import common
from xuncha.fieldwork.lib.outlines import Outline
from xuncha.fieldwork.models import (
    Activity,
    Interference,
    Interviewee,
    InterviewRecord,
    Talk,
    WorkingPaper,
)
from xuncha.rounds.models import Team


class DateTimeInput(forms.DateTimeInput):
    """An HTML datetime-local input (ISO value whatever the UI language)."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


def _local(value: Any) -> Any:
    return timezone.localtime(value) if value is not None else None


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


def _members(team: Team) -> Any:
    return Person.objects.filter(pk__in=common.member_ids(team)).order_by("name", "pk")


def outline_questions(interviewee: Interviewee | None) -> list[tuple[str, str]]:
    """(key, text) of the interviewee's outline, in the user's language."""
    if interviewee is None or not interviewee.outline:
        return []
    try:
        outline = Outline.from_json(interviewee.outline)
    except (KeyError, TypeError, ValueError):
        return []
    english = (get_language() or "").startswith("en")
    return [(q.key, q.text_en if english else q.text_zh) for q in outline.questions()]


class RecordForm(forms.Form):
    """An interview record; ``questions`` are (key, text) pairs, one answer box each."""

    interviewee = forms.ModelChoiceField(
        queryset=Interviewee.objects.none(), label=_("On the list as"), required=False
    )
    interviewee_name = forms.CharField(label=_("Interviewee"), max_length=60)
    interviewee_post = forms.CharField(label=_("Post"), max_length=150, required=False)
    held_at = forms.DateTimeField(label=_("Held at"), widget=DateTimeInput())
    place = forms.CharField(label=_("Place"), max_length=200)
    asker = PersonChoice(queryset=Person.objects.none(), label=_("Asked by"))
    recorder = PersonChoice(queryset=Person.objects.none(), label=_("Recorded by"))
    summary = forms.CharField(
        label=_("Other statements"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    new_leads = forms.CharField(
        label=_("New leads"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Names and matters to follow up; Xuncha suggests people to add to the list."),
    )
    scan = forms.FileField(
        label=_("Signed scan (PDF, JPEG or PNG, at most 20 MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(
        self,
        *args: Any,
        team: Team,
        questions: Sequence[tuple[str, str]] = (),
        answers: dict[str, str] | None = None,
        with_interviewee: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        members = _members(team)
        self.fields["asker"].queryset = members  # type: ignore[attr-defined]
        self.fields["recorder"].queryset = members  # type: ignore[attr-defined]
        if with_interviewee:
            self.fields["interviewee"].queryset = Interviewee.objects.filter(  # type: ignore[attr-defined]
                team=team
            ).order_by("name", "pk")
        else:
            del self.fields["interviewee"]
        self.questions = list(questions)
        answers = answers or {}
        for index, (key, text) in enumerate(self.questions):
            self.fields[f"answer_{index}"] = forms.CharField(
                label=text,
                required=False,
                initial=answers.get(key, ""),
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    @property
    def answer_fields(self) -> list[forms.BoundField]:
        return [self[f"answer_{i}"] for i in range(len(self.questions))]

    @property
    def main_fields(self) -> list[forms.BoundField]:
        names = ["interviewee", "interviewee_name", "interviewee_post", "held_at", "place"]
        return [self[n] for n in names if n in self.fields]

    def answered(self) -> list[dict[str, str]]:
        return [
            {"key": key, "question": text, "answer": self.cleaned_data.get(f"answer_{i}", "")}
            for i, (key, text) in enumerate(self.questions)
        ]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "interviewee_name": data["interviewee_name"],
            "interviewee_post": data.get("interviewee_post", ""),
            "held_at": data["held_at"],
            "place": data["place"],
            "asker": data["asker"],
            "recorder": data["recorder"],
            "questions": self.answered(),
            "summary": data.get("summary", ""),
            "new_leads": data.get("new_leads", ""),
            "scan": data.get("scan") or None,
        }

    @classmethod
    def initial_from_talk(cls, talk: Talk) -> dict[str, Any]:
        interviewee = talk.interviewee
        place = talk.room.name if talk.room else talk.place
        return {
            "interviewee": interviewee.pk,
            "interviewee_name": interviewee.name,
            "interviewee_post": interviewee.post,
            "held_at": _local(talk.starts_at),
            "place": place,
            "asker": talk.asker_id,
            "recorder": talk.recorder_id,
        }

    @classmethod
    def initial_from_record(cls, record: InterviewRecord) -> dict[str, Any]:
        return {
            "interviewee_name": record.interviewee_name,
            "interviewee_post": record.interviewee_post,
            "held_at": _local(record.held_at),
            "place": record.place,
            "asker": record.asker_id,
            "recorder": record.recorder_id,
            "summary": record.summary,
            "new_leads": record.new_leads,
        }


class SuggestForm(forms.Form):
    name = forms.CharField(max_length=60)


class ClueFromRecordForm(forms.Form):
    kind = forms.ChoiceField(label=_("Record as"), choices=ClueKind.choices)
    title = forms.CharField(label=pgettext_lazy("record", "title"), max_length=200)


class EvidenceForm(forms.Form):
    problem = forms.ModelChoiceField(queryset=ClueRecord.objects.none(), label=_("Problem or clue"))
    excerpt = forms.CharField(
        label=_("Excerpt that matters"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, problems: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["problem"].queryset = problems  # type: ignore[attr-defined]
        self.fields["problem"].label_from_instance = (  # type: ignore[attr-defined]
            lambda r: f"{r.number} · {r.get_kind_display()} · {r.title}"
        )


# -- working papers -------------------------------------------------------------------------


class PaperForm(forms.Form):
    target = forms.ModelChoiceField(queryset=Organisation.objects.none(), label=_("Target"))
    problem = forms.ModelChoiceField(
        queryset=ClueRecord.objects.none(),
        label=_("Problem"),
        required=False,
        help_text=_("The problem or clue of the round this paper establishes, if recorded."),
    )
    title = forms.CharField(label=pgettext_lazy("record", "Title"), max_length=200)
    facts = forms.CharField(label=_("Statement of fact"), widget=forms.Textarea(attrs={"rows": 8}))
    activities = forms.ModelMultipleChoiceField(
        queryset=Activity.objects.none(),
        label=_("Activities cited"),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    records = forms.ModelMultipleChoiceField(
        queryset=InterviewRecord.objects.none(),
        label=_("Interview records cited"),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    other_evidence = forms.CharField(
        label=_("Other evidence"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Documents, accounts and references not in Xuncha, one a line."),
    )

    def __init__(self, *args: Any, team: Team, problems: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = team.targets.order_by("path")  # type: ignore[attr-defined]
        self.fields["problem"].queryset = problems  # type: ignore[attr-defined]
        self.fields["problem"].label_from_instance = (  # type: ignore[attr-defined]
            lambda r: f"{r.number} · {r.title}"
        )
        activities = self.fields["activities"]
        activities.queryset = Activity.objects.filter(team=team).select_related("method")  # type: ignore[attr-defined]
        activities.label_from_instance = (  # type: ignore[attr-defined]
            lambda a: f"{a.date:%Y-%m-%d} {a.method.name} · {a.title}"
        )
        records = self.fields["records"]
        records.queryset = InterviewRecord.objects.filter(team=team)  # type: ignore[attr-defined]
        records.label_from_instance = (  # type: ignore[attr-defined]
            lambda r: f"{timezone.localtime(r.held_at):%Y-%m-%d} {r.interviewee_name}"
        )

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "target": data["target"],
            "problem": data.get("problem"),
            "title": data["title"],
            "facts": data["facts"],
            "activities": list(data.get("activities") or []),
            "records": list(data.get("records") or []),
            "other_evidence": data.get("other_evidence", ""),
        }

    @classmethod
    def initial_from(cls, paper: WorkingPaper) -> dict[str, Any]:
        return {
            "target": paper.target_id,
            "problem": paper.problem_id,
            "title": paper.title,
            "facts": paper.facts,
            "activities": list(paper.activities.values_list("pk", flat=True)),
            "records": list(paper.records.values_list("pk", flat=True)),
            "other_evidence": paper.other_evidence,
        }


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("What needs to change"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


# -- interference ---------------------------------------------------------------------------


class InterferenceForm(forms.Form):
    who = forms.CharField(label=_("Who interceded"), max_length=100)
    who_post = forms.CharField(label=_("Their post or relation"), max_length=150, required=False)
    for_whom = forms.CharField(label=_("For whom"), max_length=150)
    how = forms.ChoiceField(label=_("How"), choices=Interference.How.choices)
    occurred_at = forms.DateTimeField(label=_("When"), widget=DateTimeInput())
    what = forms.CharField(label=_("What was asked"), widget=forms.Textarea(attrs={"rows": 3}))
    response = forms.CharField(
        label=_("How the team member answered"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class InterferenceFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Acknowledged"),
        required=False,
        choices=[
            ("", _("All")),
            ("open", _("Not yet acknowledged")),
            ("seen", _("Acknowledged")),
        ],
    )
    how = forms.ChoiceField(
        label=_("How"), required=False, choices=[("", _("All")), *Interference.How.choices]
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def filter(self, queryset: Any) -> Any:
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data.get("state") == "open":
            queryset = queryset.filter(acknowledged_at__isnull=True)
        elif data.get("state") == "seen":
            queryset = queryset.filter(acknowledged_at__isnull=False)
        if data.get("how"):
            queryset = queryset.filter(how=data["how"])
        if data.get("date_from"):
            queryset = queryset.filter(occurred_at__date__gte=data["date_from"])
        if data.get("date_to"):
            queryset = queryset.filter(occurred_at__date__lte=data["date_to"])
        return queryset
