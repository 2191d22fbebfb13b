"""Forms of the activity pages, the coverage filter and the office's method settings.
They validate input; ``activity_services`` does the writes and checks the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xuncha.core.forms import DateInput
from xuncha.core.models import Organisation, Person
from xuncha.fieldwork import activity_services, common
from xuncha.fieldwork.models import VISIT_GROUPS, ActivityFile, Group, Method, Profile
from xuncha.rounds.models import Team

VISIT_CHOICES = [("", "—"), *[(g.value, g.label) for g in VISIT_GROUPS]]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """Several files from one input; ``clean`` returns a list (maybe empty)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": activity_services.ACCEPT}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        items = data if isinstance(data, list | tuple) else [data]
        files = [super(FilesField, self).clean(item, initial) for item in items if item]
        if len(files) > activity_services.MAX_FILES:
            raise forms.ValidationError(
                _("At most %(n)d files can be attached.") % {"n": activity_services.MAX_FILES}
            )
        return files


class PersonChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class TargetChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class FileChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


def team_people(team: Team) -> QuerySet[Person]:
    return Person.objects.filter(pk__in=common.member_ids(team)).order_by("name", "pk")


class ActivityForm(forms.Form):
    """The record of one activity of ``method``; the register of documents, households and
    results tables are separate formsets/fields shown only where the method records them."""

    target = TargetChoice(label=_("Target"), queryset=Organisation.objects.none())
    date = forms.DateField(label=_("Date"), widget=DateInput())
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    title = forms.CharField(label=pgettext_lazy("activity", "Subject"), max_length=200)
    participants = PersonChoice(
        label=_("Team members taking part"),
        queryset=Person.objects.none(),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    others = forms.CharField(label=_("Others present"), max_length=300, required=False)
    attendees = forms.IntegerField(label=_("Number of people met"), min_value=0, required=False)
    record = forms.CharField(label=_("Record"), widget=forms.Textarea(attrs={"rows": 8}))
    attachments = FilesField(
        label=_("Attachments (PDF, JPEG, PNG, XLSX, DOCX, CSV; at most 10, 20 MB each)")
    )

    def __init__(
        self,
        *args: Any,
        team: Team,
        method: Method,
        existing_files: QuerySet[ActivityFile] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.method = method
        targets = team.targets.order_by("path")
        self.fields["target"].queryset = targets  # type: ignore[attr-defined]
        if targets.count() == 1:
            self.fields["target"].initial = targets.first()
        self.fields["participants"].queryset = team_people(team)  # type: ignore[attr-defined]
        self.fields["participants"].help_text = _("At least %(n)d for this method.") % {
            "n": method.min_participants
        }
        if method.records_households:
            self.fields["group"] = forms.ChoiceField(
                label=_("Compulsory visit counted"), choices=VISIT_CHOICES, required=False
            )
            self.order_fields(["target", "group", "date"])
        if method.records_results:
            self.fields["attachments"].label = _(
                "Results table (XLSX or CSV, read into the record) and other attachments"
            )
        if existing_files is not None and existing_files.exists():
            self.fields["remove_files"] = FileChoice(
                label=_("Remove attachments"),
                queryset=existing_files,
                required=False,
                widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
            )


class DocumentForm(forms.Form):
    title = forms.CharField(label=pgettext_lazy("document", "Title"), max_length=200)
    reference = forms.CharField(
        label=_("Reference or archive number"), max_length=100, required=False
    )
    pages = forms.IntegerField(label=_("Pages"), min_value=0, required=False)
    copied = forms.BooleanField(label=_("Copied"), required=False)


class HouseholdForm(forms.Form):
    household = forms.CharField(label=_("Household"), max_length=100)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    group = forms.ChoiceField(label=_("Group"), choices=VISIT_CHOICES, required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class RowsFormSet(forms.BaseFormSet[Any]):
    """Rows of a list that is saved whole: once posted, every row may be left empty (and
    is then left out). Pre-filled rows are given as ``initial`` on GET only."""

    def initial_form_count(self) -> int:
        return 0 if self.is_bound else super().initial_form_count()


DocumentFormSet = forms.formset_factory(
    DocumentForm, formset=RowsFormSet, extra=3, max_num=500, validate_max=True
)
HouseholdFormSet = forms.formset_factory(
    HouseholdForm, formset=RowsFormSet, extra=3, max_num=500, validate_max=True
)


def formset_rows(formset: forms.BaseFormSet[Any]) -> list[dict[str, Any]]:
    """The filled rows of a valid formset (blank extra rows left out)."""
    return [f.cleaned_data for f in formset.forms if f.cleaned_data]


class ActivityFilterForm(forms.Form):
    method = forms.ModelChoiceField(
        label=_("Method"), queryset=Method.objects.all(), required=False, empty_label=_("All")
    )
    target = TargetChoice(
        label=_("Target"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("All"),
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = team.targets.order_by("path")  # type: ignore[attr-defined]


class RecordChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.number} {obj.title}"


class EvidenceForm(forms.Form):
    record = RecordChoice(label=_("Problem or clue"), queryset=Organisation.objects.none())
    excerpt = forms.CharField(
        label=_("What in this activity supports it"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    def __init__(self, *args: Any, records: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["record"].queryset = records  # type: ignore[attr-defined]


class MethodForm(forms.ModelForm[Method]):
    """Validation only: ``activity_services.method_set`` writes."""

    class Meta:
        model = Method
        fields = list(activity_services.METHOD_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("The code stays: counts and minimums refer to it.")


class MinimumForm(forms.Form):
    profile = forms.ChoiceField(label=_("Targets"), choices=[("", "—"), *Profile.choices])
    method = forms.ModelChoiceField(
        label=_("Method"), queryset=Method.objects.filter(is_active=True)
    )
    group = forms.ChoiceField(label=_("Group"), choices=[("", "—"), *Group.choices], required=False)
    minimum = forms.IntegerField(label=_("At least"), min_value=0)


MinimumFormSet = forms.formset_factory(
    MinimumForm, formset=RowsFormSet, extra=3, can_delete=True, max_num=300, validate_max=True
)


class CommitteeForm(forms.Form):
    committee = forms.ModelChoiceField(label=_("Committee"), queryset=Organisation.objects.none())

    def __init__(self, *args: Any, committees: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["committee"].queryset = committees  # type: ignore[attr-defined]
