"""Forms of the rounds app."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xuncha.core import policy
from xuncha.core.forms import DateInput
from xuncha.core.models import Organisation, OrganisationKind
from xuncha.rounds import permissions
from xuncha.rounds.models import CommitteeTerm, FocusArea, Milestone, Round, RoundKind
from xuncha.rounds.selectors import INSPECTED_KINDS


class PlanForm(forms.Form):
    first_start = forms.DateField(label=_("First planned round starts on"), widget=DateInput())
    rounds_per_year = forms.IntegerField(label=_("Rounds per year"), min_value=1, max_value=12)
    teams_per_round = forms.IntegerField(label=_("Teams per round"), min_value=1, max_value=30)
    team_capacity = forms.DecimalField(
        label=_("Targets per team and round (一托二 = 2)"),
        min_value=0.5,
        max_value=20,
        decimal_places=2,
    )
    village_weight = forms.DecimalField(
        label=_("Load of a village compared with a unit"),
        min_value=0.05,
        max_value=5,
        decimal_places=2,
        initial=0.25,
    )
    township_with_villages = forms.BooleanField(
        label=_("Inspect townships together with their villages (巡镇带村)"), required=False
    )


class RoundForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=RoundKind.choices)
    subject = forms.CharField(label=_("Subject (thematic rounds)"), max_length=200, required=False)
    escalated = forms.BooleanField(label=_("Escalated"), required=False)
    cross = forms.BooleanField(label=_("Cross (inspectors from other counties)"), required=False)
    extended = forms.BooleanField(
        label=_("Extended to stations, schools, villages"), required=False
    )
    start_date = forms.DateField(label=_("Preparation starts on"), widget=DateInput())
    focus_areas = forms.ModelMultipleChoiceField(
        label=_("Focus areas"),
        queryset=FocusArea.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        committees = policy.scope(
            user,
            permissions.ROUND_CHANGE,
            Organisation.objects.filter(
                kind__in=[OrganisationKind.COUNTY, OrganisationKind.PREFECTURE], is_active=True
            ),
        )
        self.fields["committee"] = forms.ModelChoiceField(label=_("Committee"), queryset=committees)
        self.fields["term"] = forms.ModelChoiceField(
            label=_("Term"),
            required=False,
            queryset=policy.scope(user, permissions.TERM_CHANGE, CommitteeTerm.objects.all()),
        )
        self.fields["lookback_of"] = forms.ModelChoiceField(
            label=_("Looks back at (look-back rounds)"),
            required=False,
            queryset=policy.scope(user, permissions.ROUND_VIEW, Round.objects.all()),
        )
        self.fields["targets"] = forms.ModelMultipleChoiceField(
            label=_("Targets of the first team"),
            required=False,
            queryset=policy.scope(
                user,
                permissions.ROUND_CHANGE,
                Organisation.objects.filter(kind__in=INSPECTED_KINDS, is_active=True),
            ).order_by("path"),
            help_text=_("More teams can be added on the round's page."),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == RoundKind.THEMATIC and not (data.get("subject") or "").strip():
            self.add_error("subject", _("A thematic round must have a subject."))
        if data.get("kind") == RoundKind.LOOKBACK and not data.get("lookback_of"):
            self.add_error("lookback_of", _("A look-back round must name the earlier round."))
        committee, term = data.get("committee"), data.get("term")
        if committee and term and term.committee_id != committee.pk:
            self.add_error("term", _("The term belongs to another committee."))
        for target in data.get("targets") or []:
            if committee and not target.path.startswith(committee.path):
                self.add_error(
                    "targets", _("%(name)s is not under the committee.") % {"name": target.name}
                )
        return data


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=60)

    def __init__(self, *args: Any, round_: Round, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["targets"] = forms.ModelMultipleChoiceField(
            label=_("Targets"),
            queryset=Organisation.objects.filter(
                path__startswith=round_.committee.path, kind__in=INSPECTED_KINDS, is_active=True
            ).order_by("path"),
        )


class MilestoneForm(forms.Form):
    kind = forms.ChoiceField(label=_("Milestone"), choices=Milestone.Kind.choices)
    date = forms.DateField(label=_("Date"), widget=DateInput())
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, round_: Round, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"] = forms.ModelChoiceField(
            label=_("Team (empty: the whole round)"), queryset=round_.teams.all(), required=False
        )


class AdvanceForm(forms.Form):
    override_reason = forms.CharField(
        label=_("Reason to override the missing items (recorded in the audit log)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


ALLOWED_EXTENSIONS = {".pdf", ".doc", ".docx", ".xls", ".xlsx", ".jpg", ".jpeg", ".png", ".txt"}
MAX_FILE_BYTES = 20 * 1024 * 1024


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        items = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [single(item, initial) for item in items]
        for upload in cleaned:
            suffix = "." + upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
            if suffix not in ALLOWED_EXTENSIONS:
                raise forms.ValidationError(
                    _(
                        "%(name)s: files of this type are not accepted; use PDF, Word, Excel, "
                        "images or text."
                    )
                    % {"name": upload.name}
                )
            if upload.size > MAX_FILE_BYTES:
                raise forms.ValidationError(
                    _("%(name)s is larger than 20 MB.") % {"name": upload.name}
                )
        return cleaned


class BriefingRequestForm(forms.Form):
    due_date = forms.DateField(label=_("Due date"), widget=DateInput())

    def __init__(self, *args: Any, round_: Round, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"] = forms.ModelChoiceField(
            label=_("Target"),
            queryset=Organisation.objects.filter(inspecting_teams__round=round_).distinct(),
        )
        self.fields["department"] = forms.ModelChoiceField(
            label=_("Department asked"),
            queryset=Organisation.objects.filter(
                path__startswith=round_.committee.path,
                kind=OrganisationKind.UNIT,
                is_active=True,
            ).order_by("code"),
        )
        self.order_fields(["target", "department", "due_date"])


class BriefingForm(forms.Form):
    date = forms.DateField(label=_("Date of the briefing"), widget=DateInput())
    summary = forms.CharField(
        label=_("Summary"), widget=forms.Textarea(attrs={"rows": 5}), max_length=10000
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    CONCERN_ROWS = 5

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from xuncha.rounds.models import TopicTag

        super().__init__(*args, **kwargs)
        topics = TopicTag.objects.all()
        for i in range(self.CONCERN_ROWS):
            self.fields[f"concern_{i}"] = forms.CharField(
                label=_("Concern %(n)s") % {"n": i + 1}, max_length=500, required=False
            )
            self.fields[f"topic_{i}"] = forms.ModelChoiceField(
                label=_("Topic"), queryset=topics, required=False
            )

    def concerns(self) -> list[tuple[str, Any]]:
        return [
            (self.cleaned_data[f"concern_{i}"], self.cleaned_data[f"topic_{i}"])
            for i in range(self.CONCERN_ROWS)
            if self.cleaned_data.get(f"concern_{i}")
        ]


class TermForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    start_date = forms.DateField(label=_("Start date"), widget=DateInput())
    end_date = forms.DateField(
        label=_("End date"),
        widget=DateInput(),
        help_text=_("A committee term lasts five years by default."),
    )
    rounds_per_year = forms.IntegerField(
        label=_("Rounds per year"), min_value=1, max_value=12, initial=3
    )
    teams_per_round = forms.IntegerField(
        label=_("Teams per round"), min_value=1, max_value=30, initial=4
    )
    team_capacity = forms.DecimalField(
        label=_("Targets per team and round (一托二 = 2)"),
        min_value=0.5,
        max_value=20,
        decimal_places=2,
        initial=3,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["committee"] = forms.ModelChoiceField(
            label=_("Committee"),
            queryset=policy.scope(
                user,
                permissions.TERM_CHANGE,
                Organisation.objects.filter(
                    kind__in=[OrganisationKind.COUNTY, OrganisationKind.PREFECTURE], is_active=True
                ),
            ),
        )
        self.order_fields(["committee", "name"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end <= start:
            self.add_error("end_date", _("A term must end after it starts."))
        return data
