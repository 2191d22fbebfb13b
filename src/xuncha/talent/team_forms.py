"""Forms of the team pages: evaluations after a round, a committee's team rules, and
declared conflicts on an inspector's profile."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import Field, QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from xuncha.core import policy
from xuncha.core.lib.kinship import KinshipClass
from xuncha.core.models import Organisation, OrganisationKind
from xuncha.core.policy import Action
from xuncha.talent import formation_services, services
from xuncha.talent.models import Declaration, Evaluation, InspectorProfile, TeamRules

KINSHIP_CLASS_LABELS = {
    KinshipClass.SPOUSE: _("Spouse"),
    KinshipClass.DIRECT_BLOOD: _("Direct blood relatives"),
    KinshipClass.COLLATERAL: _("Collateral blood relatives within three generations"),
    KinshipClass.CLOSE_IN_LAW: _("Close in-laws"),
}
KINSHIP_CHOICES = [(k.value, KINSHIP_CLASS_LABELS[k]) for k in KinshipClass]


class EvaluationForm(forms.Form):
    """One member's evaluation. The office's fields exist only for office staff: a leader's
    form has no way to post them. The leader's comments are the team leader's own words:
    the office's form has no such field (``saved_comments`` are the ones saved, which count
    for a grade that needs comments) unless whoever uses it leads the team."""

    score = forms.IntegerField(
        label=_("Score"),
        min_value=0,
        max_value=100,
        error_messages={"required": _("Give a score out of 100.")},
    )
    grade = forms.ChoiceField(
        label=_("Grade"),
        choices=[("", "—"), *Evaluation.Grade.choices],
        error_messages={"required": _("Choose a grade.")},
    )
    leader_comments = forms.CharField(
        label=_("Comments of the team leader"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # The version of the evaluation the page showed (services.evaluation_version): without
    # it a save could overwrite a change made since, so a form without it is refused.
    seen = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)

    def __init__(
        self, *args: Any, office: bool, leads: bool = True, saved_comments: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.office = office
        self.saved_comments = saved_comments
        if office and not leads:
            del self.fields["leader_comments"]
        if office:
            self.fields["office_comments"] = forms.CharField(
                label=_("Comments of the office"),
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields["remove_from_pool"] = forms.BooleanField(
                label=_("Remove from the pool"), required=False
            )
            self.fields["reason"] = forms.CharField(
                label=_("Reason for removal"), required=False, max_length=300
            )
            if self.initial.get("remove_from_pool"):
                # Unticking it puts the inspector back in the pool: asked first (app.js).
                self.fields["remove_from_pool"].widget.attrs["data-confirm-unchecked"] = _(
                    "Withdraw the removal? The inspector goes back into the pool."
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("seen"):
            self.add_error(None, _("This page is out of date: open it again and make your change."))
        score, grade = data.get("score"), data.get("grade")
        # Only a score and a grade that are both there (and valid) can disagree.
        if score is not None and grade:
            mismatch = services.grade_mismatch(score, grade)
            if mismatch:
                self.add_error("score", mismatch)
        # A leader's form: the leader's comments; the office's: either comments will do.
        writes_leader = "leader_comments" in self.fields
        leader = (data.get("leader_comments") or "") if writes_leader else self.saved_comments
        comments = [leader, data.get("office_comments") or ""]
        if grade and (missing := services.comments_missing(grade, *comments)):
            self.add_error("leader_comments" if writes_leader else "office_comments", missing)
        if data.get("remove_from_pool") and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Removing someone from the pool needs a reason."))
        return data


class CommitteeForm(forms.Form):
    committee = forms.ModelChoiceField(
        label=_("Committee"), queryset=Organisation.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, committees: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["committee"].queryset = committees  # type: ignore[attr-defined]


def _label(name: str) -> Any:
    return capfirst(cast("Field[Any, Any]", TeamRules._meta.get_field(name)).verbose_name)


def _years(name: str) -> forms.IntegerField:
    return forms.IntegerField(label=_label(name), min_value=1, max_value=30)


class TeamRulesForm(forms.Form):
    recent_years = _years("recent_years")
    long_service_years = _years("long_service_years")
    colleague_years = _years("colleague_years")
    superior_years = _years("superior_years")
    leader_kinship_classes = forms.MultipleChoiceField(
        label=_label("leader_kinship_classes"),
        choices=KINSHIP_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    member_kinship_classes = forms.MultipleChoiceField(
        label=_label("member_kinship_classes"),
        choices=KINSHIP_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    village_hometown = forms.BooleanField(label=_label("village_hometown"), required=False)
    rotation = forms.BooleanField(label=_label("rotation"), required=False)
    min_experienced = forms.IntegerField(label=_label("min_experienced"), min_value=0, max_value=20)
    max_first_timers = forms.IntegerField(
        label=_label("max_first_timers"), min_value=0, max_value=20
    )
    rest_days = forms.IntegerField(label=_label("rest_days"), min_value=0, max_value=365)
    size_min = forms.IntegerField(label=_label("size_min"), min_value=2, max_value=30)
    size_max = forms.IntegerField(label=_label("size_max"), min_value=2, max_value=30)

    RECUSAL_FIELDS = (
        "recent_years",
        "long_service_years",
        "colleague_years",
        "superior_years",
        "leader_kinship_classes",
        "member_kinship_classes",
        "village_hometown",
        "rotation",
    )
    FORMATION_FIELDS = ("min_experienced", "max_first_timers", "rest_days", "size_min", "size_max")

    @classmethod
    def initial_from(cls, rules: TeamRules) -> dict[str, Any]:
        return {name: getattr(rules, name) for name in cls.base_fields}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in formation_services.SPOUSE_ALWAYS:
            classes = data.get(name)
            if classes is not None and KinshipClass.SPOUSE.value not in classes:
                self.add_error(name, formation_services.spouse_always_message())
        low, high = data.get("size_min"), data.get("size_max")
        if low is not None and high is not None and high < low:
            self.add_error("size_max", _("The largest team size is below the smallest."))
        # More experienced people than the largest team holds would make every team
        # impossible; a cap on first-timers above it is a typo.
        if high is not None:
            for name in ("min_experienced", "max_first_timers"):
                value = data.get(name)
                if value is not None and value > high:
                    self.add_error(
                        name,
                        _("More than the largest team size (%(size)s).") % {"size": high},
                    )
        return data

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [
            (_("Recusal"), [self[name] for name in self.RECUSAL_FIELDS]),
            (_("Team formation"), [self[name] for name in self.FORMATION_FIELDS]),
        ]


class DeclarationForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Organisation to stay away from"),
        queryset=Organisation.objects.none(),
        empty_label=_("Choose an organisation"),
    )
    source = forms.ChoiceField(label=_("Source"), choices=Declaration.Source.choices)
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(
        self,
        *args: Any,
        organisations: QuerySet[Organisation],
        groups: list[tuple[str, list[tuple[int, str]]]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        field.queryset = organisations  # type: ignore[attr-defined]
        # Shown grouped by county; the queryset still decides what is accepted.
        field.widget.choices = [("", field.empty_label), *groups]  # type: ignore[attr-defined]


def _organisation_label(org: Organisation) -> str:
    # Villages and communities share names across townships: show the parent too.
    if org.parent is not None and org.kind in ("village", "community"):
        return f"{org.parent.name} / {org.name}"
    return org.name


DECLARABLE_KINDS = [
    OrganisationKind.UNIT,
    OrganisationKind.TOWNSHIP,
    OrganisationKind.VILLAGE,
    OrganisationKind.COMMUNITY,
]


def _declarable_groups(
    organisations: list[Organisation], top: Organisation, own: Organisation
) -> list[tuple[str, list[tuple[int, str]]]]:
    """The organisations as option groups: the inspector's own county, the prefecture's
    other counties in code order, then the prefecture's own bodies. In a group: units,
    then each township followed by its villages and communities."""
    counties = sorted(
        Organisation.objects.filter(kind=OrganisationKind.COUNTY, path__startswith=top.path),
        key=lambda c: (c.pk != own.pk, c.code),
    )
    by_group: dict[int, list[Organisation]] = {c.pk: [] for c in counties}
    above: list[Organisation] = []
    for org in organisations:
        home = next((c for c in counties if org.path.startswith(c.path)), None)
        (by_group[home.pk] if home is not None else above).append(org)

    def ordered(orgs: list[Organisation]) -> list[tuple[int, str]]:
        units = sorted((o for o in orgs if o.kind == OrganisationKind.UNIT), key=lambda o: o.code)
        townships = sorted(
            (o for o in orgs if o.kind == OrganisationKind.TOWNSHIP), key=lambda o: o.code
        )
        under: dict[int | None, list[Organisation]] = {}
        for o in orgs:
            if o.kind not in (OrganisationKind.UNIT, OrganisationKind.TOWNSHIP):
                under.setdefault(o.parent_id, []).append(o)
        rows = [*units]
        for township in townships:
            rows.append(township)
            rows.extend(sorted(under.pop(township.pk, []), key=lambda o: o.code))
        rows.extend(o for rest in under.values() for o in sorted(rest, key=lambda o: o.code))
        return [(o.pk, _organisation_label(o)) for o in rows]

    groups = [(c.name, ordered(by_group[c.pk])) for c in counties if by_group[c.pk]]
    if above:
        groups.append((top.name, ordered(above)))
    return groups


def declaration_form(
    user: Any, profile: InspectorProfile, data: Any | None = None
) -> DeclarationForm:
    """The organisations offered: the inspectable ones of the prefecture above the
    profile's county (a cross round sends inspectors to the other counties) that the user
    may see, grouped by county, the inspector's own first. So the prefecture office can
    record a conflict anywhere in the prefecture, a county office within what it sees."""
    from xuncha.talent.profile_views import prefecture_of

    county = profile.county
    top = prefecture_of(county) or county
    organisations = policy.scope(
        user,
        Action.ORGANISATION_VIEW,
        Organisation.objects.filter(
            kind__in=DECLARABLE_KINDS, is_active=True, path__startswith=top.path
        ),
    ).select_related("parent")
    groups = _declarable_groups(list(organisations), top, county)
    return DeclarationForm(data, organisations=organisations, groups=groups)
