"""Forms of interview planning: generate the list, draw a sample, add someone, edit an
interviewee, filter the list, and the office's question bank. They validate input; the
services in ``planning_services`` do the writes and the rules."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xuncha.core.models import Organisation, Person
from xuncha.fieldwork import planning_services as ps
from xuncha.fieldwork.lib import interviewees as li
from xuncha.fieldwork.lib import question_bank as qb
from xuncha.fieldwork.models import TALK_GROUPS, Interviewee, IntervieweeRole
from xuncha.rounds.models import Team

KEY_POST_NAMES = {
    "finance": _("Finance"),
    "procurement": _("Procurement"),
    "personnel": _("Personnel"),
    "project_management": _("Project management"),
    ps.KEY_POST_OTHER: _("Other key posts"),
}
PROFILE_NAMES = {
    qb.ANY: _("Any target"),
    qb.UNIT: _("County units and townships"),
    qb.VILLAGE: _("Villages and communities"),
    qb.MAJOR_PROJECTS: _("Targets with major projects"),
    qb.FUNDS: _("Targets managing special funds"),
}
FOCUS_AREA_NAMES = {
    qb.PARTY_LINE: _("The Party line and major decisions at the grassroots"),
    qb.CORRUPTION: _("Corruption and misconduct close to the people"),
    qb.WEAK_PARTY_ORG: _("Weak or lax Party organisations"),
    qb.CADRE_SELECTION: _("Cadre selection"),
    qb.RECTIFICATION: _("Rectification of earlier findings"),
    qb.THREE_ASSETS: _("Village collective funds, assets and resources"),
    qb.BENEFITS: _("Benefit policies"),
    qb.ELECTIONS_CLANS: _("Elections, gangs and clans"),
    qb.VILLAGE_PARTY_ORG: _("Village Party organisation"),
}


def focus_area_name(code: str | None) -> str:
    """A focus area's name: the bank's Chinese name in a Chinese UI, else ours."""
    from django.utils.translation import get_language

    if not code:
        return str(_("Other questions"))
    if not (get_language() or "").startswith("en") and code in qb.FOCUS_AREA_NAMES_ZH:
        return qb.FOCUS_AREA_NAMES_ZH[code]
    return str(FOCUS_AREA_NAMES.get(code, code))


def _targets(team: Team) -> QuerySet[Organisation]:
    return team.targets.order_by("path")


class _ModelFields:
    fields: dict[str, forms.Field]

    def _model_field(self, name: str) -> forms.ModelChoiceField[Any]:
        field = self.fields[name]
        if not isinstance(field, forms.ModelChoiceField):  # pragma: no cover - a typo
            raise TypeError(name)
        return field


class _TargetForm(_ModelFields, forms.Form):
    target = forms.ModelChoiceField(queryset=Organisation.objects.none(), label=_("Target"))

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self._model_field("target")
        field.queryset = _targets(team)
        targets = list(field.queryset[:2])
        if len(targets) == 1:
            field.initial = targets[0].pk


class GenerateForm(_TargetForm):
    retired_within_years = forms.IntegerField(
        label=_("Leaders retired within (years)"), min_value=0, max_value=30, initial=3
    )
    key_posts = forms.MultipleChoiceField(
        label=_("Key posts"),
        choices=[(k, KEY_POST_NAMES[k]) for k in ps.KEY_POST_CHOICES],
        initial=sorted(li.DEFAULT_KEY_POSTS),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class SampleForm(_TargetForm):
    size = forms.IntegerField(
        label=_("How many staff"), min_value=1, max_value=ps.SAMPLE_MAX, initial=10
    )
    seed = forms.IntegerField(
        label=_("Seed (to repeat a draw)"),
        min_value=0,
        max_value=ps.SEED_MAX,
        required=False,
        help_text=_("Leave empty for a new random seed; it is recorded with the draw."),
    )


class AddForm(_TargetForm):
    person = forms.ModelChoiceField(
        queryset=Person.objects.none(),
        label=_("Person of the target"),
        required=False,
    )
    name = forms.CharField(
        label=pgettext_lazy("person", "Or a name"),
        max_length=60,
        required=False,
        help_text=_("For someone not in the registry."),
    )
    post = forms.CharField(label=_("Post"), max_length=150, required=False)
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[("", _("From the person's posts")), *IntervieweeRole.choices],
        required=False,
    )

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, team=team, **kwargs)
        q = Q(pk__in=[])
        for path in _targets(team).values_list("path", flat=True):
            q |= Q(posts__organisation__path__startswith=path)
        field = self._model_field("person")
        field.queryset = Person.objects.filter(q).distinct().order_by("name", "pk")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("person") and not (data.get("name") or "").strip():
            raise forms.ValidationError(_("Choose a person of the target or write a name."))
        return data


class EditForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=IntervieweeRole.choices)
    group = forms.ChoiceField(
        label=_("Compulsory talk (villages)"),
        choices=[("", _("None")), *[(g.value, g.label) for g in TALK_GROUPS]],
        required=False,
    )
    minutes = forms.IntegerField(
        label=_("Length (minutes)"), min_value=ps.MINUTES_RANGE[0], max_value=ps.MINUTES_RANGE[1]
    )
    priority = forms.IntegerField(label=_("Priority"), min_value=0, max_value=ps.PRIORITY_MAX)
    unavailable = forms.CharField(
        label=_("Away on (dates)"),
        required=False,
        help_text=_("Dates as YYYY-MM-DD, separated by spaces or commas."),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            (Interviewee.Status.PLANNED.value, Interviewee.Status.PLANNED.label),
            (Interviewee.Status.DROPPED.value, Interviewee.Status.DROPPED.label),
        ],
    )

    @classmethod
    def for_interviewee(cls, iv: Interviewee) -> EditForm:
        return cls(
            initial={
                "role": iv.role,
                "group": iv.group,
                "minutes": iv.minutes,
                "priority": iv.priority,
                "unavailable": " ".join(iv.unavailable or []),
                "status": iv.status if iv.status != Interviewee.Status.HELD else "",
            }
        )

    def clean_unavailable(self) -> list[str]:
        raw = self.cleaned_data.get("unavailable") or ""
        values = [v for v in re.split(r"[\s,，;；]+", raw) if v]
        try:
            return ps.parse_dates(values)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None


class FilterForm(_ModelFields, forms.Form):
    target = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label=_("Target"), required=False
    )
    source = forms.ChoiceField(
        label=_("Source"), choices=[("", _("All")), *Interviewee.Source.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *Interviewee.Status.choices], required=False
    )
    role = forms.ChoiceField(
        label=_("Role"), choices=[("", _("All")), *IntervieweeRole.choices], required=False
    )
    changed = forms.BooleanField(label=_("Outline changed, not seen"), required=False)
    q = forms.CharField(label=pgettext_lazy("search", "Name"), max_length=60, required=False)

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self._model_field("target")
        field.queryset = _targets(team)

    def apply(self, qs: QuerySet[Interviewee]) -> QuerySet[Interviewee]:
        if not self.is_valid():
            return qs
        data = self.cleaned_data
        if data.get("target"):
            qs = qs.filter(target=data["target"])
        for key in ("source", "status", "role"):
            if data.get(key):
                qs = qs.filter(**{key: data[key]})
        if data.get("changed"):
            qs = qs.filter(changes_seen=False)
        if data.get("q"):
            qs = qs.filter(name__icontains=data["q"].strip())
        return qs


class QuestionForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20)
    focus_area = forms.ChoiceField(
        label=_("Focus area"), choices=[(a, FOCUS_AREA_NAMES[a]) for a in qb.FOCUS_AREAS]
    )
    roles = forms.MultipleChoiceField(
        label=_("Interviewee roles"),
        choices=IntervieweeRole.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    profiles = forms.MultipleChoiceField(
        label=_("Targets"),
        choices=[(p, PROFILE_NAMES[p]) for p in qb.PROFILE_TAGS],
        widget=forms.CheckboxSelectMultiple,
    )
    text_zh = forms.CharField(
        label=_("Question (Chinese)"), widget=forms.Textarea(attrs={"rows": 3})
    )
    text_en = forms.CharField(
        label=_("Question (English)"), widget=forms.Textarea(attrs={"rows": 3})
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("The code stays: outlines refer to it.")

    @classmethod
    def for_question(cls, q: Any) -> QuestionForm:
        return cls(
            initial={
                "code": q.code,
                "focus_area": q.focus_area,
                "roles": list(q.roles),
                "profiles": list(q.profiles),
                "text_zh": q.text_zh,
                "text_en": q.text_en,
                "is_active": q.is_active,
            },
            editing=True,
        )


class QuestionFilterForm(forms.Form):
    area = forms.ChoiceField(
        label=_("Focus area"),
        choices=[("", _("All")), *[(a, FOCUS_AREA_NAMES[a]) for a in qb.FOCUS_AREAS]],
        required=False,
    )
    role = forms.ChoiceField(
        label=_("Role"), choices=[("", _("All")), *IntervieweeRole.choices], required=False
    )
    inactive = forms.BooleanField(label=_("Show inactive"), required=False)
