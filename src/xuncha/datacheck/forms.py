"""Forms of the data comparison pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xuncha.core import policy
from xuncha.core.forms import DateInput
from xuncha.core.models import Organisation, OrganisationKind
from xuncha.datacheck.labels import field_label
from xuncha.datacheck.models import Finding, Kind, Rule, Version
from xuncha.datacheck.permissions import DATACHECK_CHANGE

AREA_KINDS = [
    OrganisationKind.PROVINCE,
    OrganisationKind.PREFECTURE,
    OrganisationKind.COUNTY,
    OrganisationKind.TOWNSHIP,
]


def area_queryset(user: Any, action: str = DATACHECK_CHANGE) -> Any:
    return policy.scope(
        user, action, Organisation.objects.filter(is_active=True, kind__in=AREA_KINDS)
    ).order_by("path")


class DatasetForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(), label=_("Area"))
    kind = forms.ChoiceField(label=pgettext_lazy("dataset", "Kind"), choices=Kind.choices)
    title = forms.CharField(label=pgettext_lazy("dataset", "Title"), max_length=200)
    department = forms.CharField(
        label=_("Source department"),
        max_length=200,
        help_text=_("The department that supplied the list, such as 县民政局."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = area_queryset(user)  # type: ignore[attr-defined]


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(".xlsx, .xls or .csv (UTF-8 or GBK), as the department sent it."),
    )
    extracted_on = forms.DateField(
        label=_("Extraction date"),
        widget=DateInput(),
        help_text=_("The day the department took the data out of its system."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["extracted_on"].initial = timezone.localdate()


class MappingForm(forms.Form):
    """One choice per column of the file: the field it holds, or nothing."""

    def __init__(self, *args: Any, headers: list[str], choices: list[str], **kwargs: Any) -> None:
        initial = kwargs.pop("columns", {})
        super().__init__(*args, **kwargs)
        options = [("", _("— not imported —")), *((f, field_label(f)) for f in choices)]
        for index, header in enumerate(headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header or _("Column %(n)s") % {"n": index + 1},
                choices=options,
                required=False,
                initial=initial.get(str(index), ""),
            )

    def columns(self) -> dict[int, str]:
        return {
            int(name.removeprefix("col_")): value
            for name, value in self.cleaned_data.items()
            if value
        }


class AliasForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(), label=_("Area"))
    text = forms.CharField(label=_("Header text"), max_length=100)
    field = forms.ChoiceField(label=_("Field"), choices=())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        from xuncha.datacheck.lib.headers import FIELDS
        from xuncha.datacheck.permissions import DATACHECK_RULES

        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = area_queryset(  # type: ignore[attr-defined]
            user, DATACHECK_RULES
        ).filter(kind__in=["province", "prefecture", "county"])
        self.fields["field"].choices = [(f, field_label(f)) for f in FIELDS]  # type: ignore[attr-defined]


class AcceptForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I accept this version without its rejected rows."), required=True
    )


class RunForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(), label=_("Area"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = area_queryset(user)  # type: ignore[attr-defined]


class FindingFilterForm(forms.Form):
    rule = forms.ModelChoiceField(
        queryset=Rule.objects.all(), label=_("Rule"), required=False, to_field_name="code"
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any")), *Finding.Status.choices], required=False
    )
    place = forms.CharField(label=pgettext_lazy("finding", "Where"), required=False)
    q = forms.CharField(label=pgettext_lazy("person", "Name"), required=False)
    run = forms.IntegerField(
        label=pgettext_lazy("findings filter", "Run"), required=False, min_value=1
    )


class JudgeForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Finding.Status.choices)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required for a false positive: what explains the hit."),
    )


class ToRecordForm(forms.Form):
    round: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label=_("Round")
    )
    target = forms.ModelChoiceField(queryset=Organisation.objects.none(), label=_("Target"))
    kind = forms.ChoiceField(label=_("Kind"), choices=())
    title = forms.CharField(label=_("Title"), max_length=200, required=False)

    def __init__(self, *args: Any, rounds: Any, targets: Any, **kwargs: Any) -> None:
        from xuncha.clues.models import Kind as RecordKind

        super().__init__(*args, **kwargs)
        self.fields["round"].queryset = rounds  # type: ignore[attr-defined]
        self.fields["target"].queryset = targets  # type: ignore[attr-defined]
        self.fields["kind"].choices = RecordKind.choices  # type: ignore[attr-defined]


class RuleValuesForm(forms.Form):
    """The office's switch and parameter values for a rule."""

    enabled = forms.BooleanField(label=_("Enabled"), required=False)

    def __init__(self, *args: Any, params: list[dict[str, Any]], lang: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for param in params:
            label = param["label_zh"] if lang.startswith("zh") else param["label_en"]
            self.fields[f"p_{param['name']}"] = forms.CharField(
                label=label, required=True, max_length=500
            )

    def values(self) -> dict[str, Any]:
        return {k.removeprefix("p_"): v for k, v in self.cleaned_data.items() if k.startswith("p_")}


class RuleForm(forms.Form):
    """A rule the office writes: the same fields as the shipped library (YAML there)."""

    code = forms.SlugField(label=_("Code"), max_length=60)
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200)
    description_zh = forms.CharField(
        label=_("Description (Chinese)"), widget=forms.Textarea(attrs={"rows": 2})
    )
    description_en = forms.CharField(
        label=_("Description (English)"), widget=forms.Textarea(attrs={"rows": 2})
    )
    kinds = forms.MultipleChoiceField(
        label=_("Datasets needed"), choices=Kind.choices, widget=forms.CheckboxSelectMultiple
    )
    params = forms.CharField(
        label=_("Parameters"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "font-monospace"}),
        help_text=_(
            "One per line: name | type (int, number, text, regex) | default | Chinese label | "
            "English label. The query uses them as $name."
        ),
    )
    sql = forms.CharField(
        label=_("Query (SQL)"),
        widget=forms.Textarea(attrs={"rows": 12, "class": "font-monospace"}),
        help_text=_(
            "One SELECT over the dataset tables, named by kind, and the kinship view kin. "
            "It returns key, subjects, organisation and evidence (docs/formats/rules.md)."
        ),
    )
    explain_zh = forms.CharField(
        label=_("Explanation (Chinese)"), widget=forms.Textarea(attrs={"rows": 2})
    )
    explain_en = forms.CharField(
        label=_("Explanation (English)"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def rule_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        params = []
        for number, line in enumerate(data.pop("params", "").splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) != 5:
                raise forms.ValidationError(
                    _("Parameter line %(n)s needs five parts separated by |.") % {"n": number}
                )
            name, type_, default, label_zh, label_en = parts
            params.append(
                {
                    "name": name,
                    "type": type_,
                    "default": default,
                    "label_zh": label_zh,
                    "label_en": label_en,
                }
            )
        data["params"] = params
        return data

    @staticmethod
    def params_text(params: list[dict[str, Any]]) -> str:
        return "\n".join(
            " | ".join(str(p[k]) for k in ("name", "type", "default", "label_zh", "label_en"))
            for p in params
        )


# -- record linkage (issue #9) ------------------------------------------------------------------


class VersionChoiceField(forms.ModelChoiceField[Any]):
    def label_from_instance(self, obj: Any) -> str:
        return (
            f"{obj.dataset.title} · v{obj.number} "
            f"({obj.dataset.get_kind_display()}, {obj.rows_valid})"
        )


class LinkRunForm(forms.Form):
    """Two current versions of lists of people in the area, and the thresholds."""

    left = VersionChoiceField(
        queryset=Version.objects.none(),
        label=_("Left: the list with ID numbers"),
        help_text=_("Usually the household registry."),
    )
    right = VersionChoiceField(
        queryset=Version.objects.none(),
        label=_("Right: the list to link to it"),
        required=False,
        empty_label=_("— none: find the duplicates of the left list —"),
        help_text=_("Such as a village roster without ID numbers."),
    )
    match = forms.FloatField(
        label=_("Link from (probability)"),
        initial=0.9,
        min_value=0.01,
        max_value=0.999,
        help_text=_("Pairs at or above this probability are links."),
    )
    review = forms.FloatField(
        label=_("Clerical review from (probability)"),
        initial=0.5,
        min_value=0.001,
        max_value=0.999,
        help_text=_("Pairs from here up to the link threshold wait for a person's decision."),
    )

    def __init__(self, *args: Any, versions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        queryset = Version.objects.filter(pk__in=[v.pk for v in versions]).select_related("dataset")
        self.fields["left"].queryset = queryset  # type: ignore[attr-defined]
        self.fields["right"].queryset = queryset  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        match, review = data.get("match"), data.get("review")
        if match is not None and review is not None and review > match:
            self.add_error("review", _("The review threshold cannot be above the link one."))
        return data


class PairFilterForm(forms.Form):
    band = forms.ChoiceField(label=_("Band"), required=False, choices=())
    decision = forms.ChoiceField(label=_("Decision"), required=False, choices=())
    level = forms.ChoiceField(label=_("Field agreement"), required=False, choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from xuncha.datacheck.labels import LEVEL_LABELS, comparison_label
        from xuncha.datacheck.models import LinkDecision, LinkPair

        super().__init__(*args, **kwargs)
        any_ = ("", _("Any"))
        self.fields["band"].choices = [any_, *LinkPair.Band.choices]  # type: ignore[attr-defined]
        self.fields["decision"].choices = [  # type: ignore[attr-defined]
            any_,
            ("none", _("Not decided")),
            *LinkDecision.Decision.choices,
        ]
        # One choice per field and level ("name:homophone"), grouped by field.
        self.fields["level"].choices = [  # type: ignore[attr-defined]
            any_,
            *(
                (
                    comparison_label(field),
                    [(f"{field}:{code}", label) for code, label in levels.items()],
                )
                for field, levels in LEVEL_LABELS.items()
            ),
        ]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("accept", "accept"), ("reject", "reject")], widget=forms.HiddenInput
    )
    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("Such as: same household, same mother")}),
    )
