"""Forms of the handover pages: a transfer package, a disposal, a closure, the routing
and deadline settings of a committee, and the statistics filter. Forms validate input;
``xuncha.clues.services`` does the writes and checks the records' states."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xuncha.clues.models import Discipline, DisposalMethod, HandoverSettings, Record, Route
from xuncha.core.forms import DateInput
from xuncha.core.models import Organisation
from xuncha.rounds.models import Round, TopicTag

# Clues go to one of these; problems stay for rectification and are never transferred.
TRANSFER_ROUTES = (
    Route.DISCIPLINE_COMMISSION,
    Route.ORGANISATION_DEPARTMENT,
    Route.RESPONSIBLE_DEPARTMENT,
)
# Routes whose department is the committee's configured one; the rest are chosen per package.
CONFIGURED_ROUTES = (Route.DISCIPLINE_COMMISSION, Route.ORGANISATION_DEPARTMENT)


class TransferForm(forms.Form):
    """One package: the clues of one route, to one department."""

    records = forms.ModelMultipleChoiceField(
        label=_("Clues"),
        queryset=Record.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one clue to transfer.")},
    )
    department = forms.ModelChoiceField(
        label=_("Receiving department"), queryset=Organisation.objects.none()
    )
    note = forms.CharField(
        label=_("Note for the receiving department"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self,
        *args: Any,
        candidates: QuerySet[Record],
        departments: QuerySet[Organisation] | None,
        **kwargs: Any,
    ) -> None:
        """``departments`` is None when the route's department is fixed by the settings."""
        super().__init__(*args, **kwargs)
        self.fields["records"].queryset = candidates  # type: ignore[attr-defined]
        if departments is None:
            del self.fields["department"]
        else:
            self.fields["department"].queryset = departments  # type: ignore[attr-defined]

    def selected_ids(self) -> set[int]:
        """The clues ticked in the submitted form (for showing it again)."""
        values = self["records"].value() or []
        return {int(v) for v in values if str(v).isdigit()}


class DisposalForm(forms.Form):
    method = forms.ChoiceField(label=_("Disposal method"), choices=DisposalMethod.choices)
    result = forms.CharField(
        label=_("Result"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What the inquiry or verification found, or why the clue is held or closed."),
    )
    decided_on = forms.DateField(label=_("Decided on"), widget=DateInput())

    def clean_decided_on(self) -> Any:
        day = self.cleaned_data["decided_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The decision date cannot be in the future."))
        return day


class CloseForm(forms.Form):
    record = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("How the matter was concluded"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CommitteeForm(forms.Form):
    committee = forms.ModelChoiceField(
        label=_("Committee"), queryset=Organisation.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, committees: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["committee"].queryset = committees  # type: ignore[attr-defined]


ROUTE_CHOICES = [(str(r.value), r.label) for r in TRANSFER_ROUTES]
ROUTE_VALUES = {value for value, _label in ROUTE_CHOICES}


def route_field(key: str) -> str:
    """The form field of a routing key: "topic:land-use" -> "route_topic_land-use"."""
    return "route_" + key.replace(":", "_", 1)


class HandoverSettingsForm(forms.Form):
    """Receiving departments, a route per discipline and per topic, and the deadlines."""

    report_months = forms.IntegerField(
        label=_("Report disposal within (months)"), min_value=1, max_value=60
    )
    close_months = forms.IntegerField(label=_("Close within (months)"), min_value=1, max_value=60)
    max_months = forms.IntegerField(
        label=_("Close at the latest within (months)"), min_value=1, max_value=60
    )

    def __init__(
        self,
        *args: Any,
        departments: QuerySet[Organisation],
        topics: QuerySet[TopicTag],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["discipline_commission"] = forms.ModelChoiceField(
            label=_("Discipline commission"), queryset=departments, required=False
        )
        self.fields["organisation_department"] = forms.ModelChoiceField(
            label=_("Organisation department"), queryset=departments, required=False
        )
        self.order_fields(["discipline_commission", "organisation_department"])
        # Field name -> routing key ("discipline:<code>" or "topic:<code>").
        self.route_keys: dict[str, str] = {}
        self.discipline_names: list[str] = []
        for value, label in Discipline.choices:
            name = route_field(f"discipline:{value}")
            self.fields[name] = forms.ChoiceField(
                label=label,
                required=False,
                choices=[("", _("Default: discipline commission")), *ROUTE_CHOICES],
            )
            self.route_keys[name] = f"discipline:{value}"
            self.discipline_names.append(name)
        self.topic_names: list[str] = []
        for topic in topics:
            name = route_field(f"topic:{topic.code}")
            self.fields[name] = forms.ChoiceField(
                label=topic.name_zh,
                help_text=topic.name_en,
                required=False,
                choices=[("", _("Default: as its discipline")), *ROUTE_CHOICES],
            )
            self.route_keys[name] = f"topic:{topic.code}"
            self.topic_names.append(name)

    @staticmethod
    def initial_from(settings: HandoverSettings) -> dict[str, Any]:
        routes = settings.routes or {}
        return {
            "discipline_commission": settings.discipline_commission,
            "organisation_department": settings.organisation_department,
            "report_months": settings.report_months,
            "close_months": settings.close_months,
            "max_months": settings.max_months,
            **{route_field(k): v for k, v in routes.items() if v in ROUTE_VALUES},
        }

    def deadline_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in ("report_months", "close_months", "max_months")]

    def department_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in ("discipline_commission", "organisation_department")]

    def discipline_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in self.discipline_names]

    def topic_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in self.topic_names]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        months: list[int] = [
            data[n] for n in ("report_months", "close_months", "max_months") if data.get(n)
        ]
        if len(months) == 3 and not (months[0] <= months[1] <= months[2]):
            raise forms.ValidationError(
                _("Deadlines must grow: report ≤ close ≤ the latest closure (in months).")
            )
        return data

    def values(self) -> dict[str, Any]:
        """The settings as ``services.handover_settings_set`` takes them."""
        data = self.cleaned_data
        routes = {key: data[name] for name, key in self.route_keys.items() if data.get(name)}
        return {
            "discipline_commission": data["discipline_commission"],
            "organisation_department": data["organisation_department"],
            "report_months": data["report_months"],
            "close_months": data["close_months"],
            "max_months": data["max_months"],
            "routes": routes,
        }


class RoundFilterForm(forms.Form):
    def __init__(self, *args: Any, rounds: QuerySet[Round], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["round"] = forms.ModelChoiceField(
            label=_("Round"), queryset=rounds, required=False, empty_label=_("All rounds")
        )
