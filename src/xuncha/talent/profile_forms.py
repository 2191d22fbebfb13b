"""Forms that maintain the pool: add an inspector, edit a profile, record training, grant
or change a qualification, and availability windows. Views validate with these; the
services do the writes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xuncha.core import policy
from xuncha.core.forms import DateInput
from xuncha.core.models import Organisation, OrganisationKind, Person, Post
from xuncha.core.policy import Action
from xuncha.core.selectors import ancestor_ids, current_posts_prefetch, name_query, name_rank
from xuncha.talent import permissions
from xuncha.talent.models import (
    InspectorProfile,
    Qualification,
    Specialty,
    default_expiry,
    years_later,
)

# The longest a qualification may be granted for, and the dates a record may carry: a typo
# such as 0202 or 9999 is refused instead of being stored (and, for a grant, 9999 would
# overflow the default expiry).
QUALIFICATION_MAX_YEARS = 10
EARLIEST_RECORD = dt.date(1980, 1, 1)
LATEST_PLAN = dt.date(2099, 12, 31)
TRAINING_MAX_HOURS = Decimal("1000")
# Where an inspector's home job is: not a village or community.
HOME_KINDS = [
    OrganisationKind.PREFECTURE,
    OrganisationKind.COUNTY,
    OrganisationKind.TOWNSHIP,
    OrganisationKind.UNIT,
]


def check_record_date(day: dt.date, *, past_only: bool = False) -> dt.date:
    """Refuse a date outside the years a record can plausibly carry (and, for something
    that has happened, a date still to come)."""
    latest = timezone.localdate() if past_only else LATEST_PLAN
    if day < EARLIEST_RECORD:
        raise forms.ValidationError(
            _("A date before %(day)s is not plausible here; check the year."),
            params={"day": EARLIEST_RECORD.isoformat()},
        )
    if day > latest:
        if past_only:
            raise forms.ValidationError(_("This date is still to come."))
        raise forms.ValidationError(
            _("A date after %(day)s is not plausible here; check the year."),
            params={"day": LATEST_PLAN.isoformat()},
        )
    return day


class SpecialtiesField(forms.ModelMultipleChoiceField):
    """Specialties as checkboxes, named in the user's language (``Specialty.__str__``; labels
    are made when the form is rendered, so in the request's language)."""

    def __init__(self, *, label: Any = None, **kwargs: Any) -> None:
        super().__init__(
            queryset=Specialty.objects.all(),
            label=label or _("Specialties"),
            required=False,
            widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
            **kwargs,
        )


def addable_people(user: Any, q: str = "") -> QuerySet[Person]:
    """People in the user's talent scope who are not in the pool yet."""
    qs = policy.scope(
        user, permissions.TALENT_CHANGE, Person.objects.filter(inspector__isnull=True)
    )
    if q:
        # Common readings first: the lookup shows 20, so rare ones must not crowd them out.
        qs = qs.filter(name_query(q)).order_by(name_rank(q), "name_search", "pk")
    return qs.select_related("registry").prefetch_related(current_posts_prefetch())


def pool_counties(user: Any) -> QuerySet[Organisation]:
    """The county pools the user's grant to change the pool covers."""
    return policy.scope(
        user,
        permissions.TALENT_CHANGE,
        Organisation.objects.filter(kind=OrganisationKind.COUNTY, is_active=True),
    ).order_by("code")


def home_organisations(user: Any, current: Organisation | None = None) -> QuerySet[Organisation]:
    visible = policy.scope(
        user,
        Action.ORGANISATION_VIEW,
        Organisation.objects.filter(is_active=True, kind__in=HOME_KINDS),
    )
    keep = Q(pk=current.pk) if current is not None else Q(pk__in=[])
    return Organisation.objects.filter(Q(pk__in=visible.values("pk")) | keep).order_by(
        "depth", "code"
    )


def current_post(person: Person) -> Post | None:
    """The person's most recent current post (the default home of a new inspector)."""
    return person.posts.filter(end_date__isnull=True).select_related("organisation").first()


def _person_label(person: Person) -> str:
    return f"{person.name} · {person.registry.name}"


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _person_label(obj)


class _HomeFields(forms.Form):
    home_post = forms.CharField(label=_("Home post"), max_length=100, required=False)
    leader_eligible = forms.BooleanField(
        label=_("Eligible to lead a team"),
        required=False,
        help_text=_("In the leader pool while a qualification is valid."),
    )

    def _add_home(self, user: Any, current: Organisation | None) -> None:
        self.fields["specialties"] = SpecialtiesField()
        self.fields["home_organisation"] = forms.ModelChoiceField(
            queryset=home_organisations(user, current),
            label=_("Home organisation"),
            required=False,
        )


class InspectorCreateForm(_HomeFields):
    """A person of the registry into a county's pool. Left empty, the home organisation and
    post are the person's current post."""

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = policy.scope(
            user, permissions.TALENT_CHANGE, Person.objects.select_related("registry")
        )
        person = PersonField(
            queryset=people, label=_("Person"), widget=forms.Select(attrs={"id": "person-select"})
        )
        # Options come from the search box; keep the chosen one when the form comes back.
        chosen = self.data.get(self.add_prefix("person")) if self.is_bound else None
        chosen = chosen or self.initial.get("person")
        if isinstance(chosen, Person):
            chosen = chosen.pk
        options: list[tuple[Any, str]] = [("", "—")]
        if chosen and str(chosen).isdigit():
            options += [(p.pk, _person_label(p)) for p in people.filter(pk=chosen)]
        person.widget.choices = options
        counties = pool_counties(user)
        county = forms.ModelChoiceField(queryset=counties, label=_("Pool of"))
        if len(counties) == 1:
            county.empty_label = None
        self.fields["person"] = person
        self.fields["county"] = county
        self._add_home(user, None)
        self.order_fields(
            [
                "person",
                "county",
                "specialties",
                "home_organisation",
                "home_post",
                "leader_eligible",
            ]
        )
        self.fields["home_organisation"].help_text = _(
            "Leave the organisation and post empty to use the person's current post."
        )

    def clean_person(self) -> Person:
        person: Person = self.cleaned_data["person"]
        existing = InspectorProfile.objects.filter(person=person).select_related("county").first()
        if existing is not None:
            raise forms.ValidationError(
                _("%(name)s is already in the pool of %(county)s."),
                params={"name": person.name, "county": existing.county.name},
            )
        return person

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        person = data.get("person")
        county = data.get("county")
        if person is not None and county is not None:
            home = (
                Organisation.objects.filter(
                    kind=OrganisationKind.COUNTY, pk__in=ancestor_ids(person.registry.path)
                )
                .exclude(pk=county.pk)
                .first()
            )
            if home is not None:
                # Cross rounds read the pool's county as the inspector's home county.
                self.add_error(
                    "county",
                    _(
                        "%(name)s is in the registry of %(home)s, so joins its pool (cross "
                        "rounds read the pool's county as the home county). If they now "
                        "work elsewhere, move them in the people registry first."
                    )
                    % {"name": person.name, "home": home.name},
                )
        if person is not None and not data.get("home_organisation") and not data.get("home_post"):
            post = current_post(person)
            if post is not None:
                data["home_organisation"] = post.organisation
                data["home_post"] = post.title
        return data


class InspectorEditForm(_HomeFields):
    IN_POOL, REMOVED = "in_pool", "removed"

    membership = forms.ChoiceField(
        label=_("Pool membership"),
        choices=[(IN_POOL, _("In the pool")), (REMOVED, _("Removed from the pool"))],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    removed_reason = forms.CharField(
        label=_("Reason for removal"),
        max_length=300,
        required=False,
        help_text=_("Needed to remove the inspector; cleared when they are put back."),
    )

    def __init__(self, *args: Any, user: Any, profile: InspectorProfile, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "specialties": list(profile.specialties.all()),
                "home_organisation": profile.home_organisation,
                "home_post": profile.home_post,
                "leader_eligible": profile.leader_eligible,
                "membership": self.IN_POOL if profile.in_pool else self.REMOVED,
                "removed_reason": profile.removed_reason,
            },
        )
        super().__init__(*args, **kwargs)
        self._add_home(user, profile.home_organisation)
        self.order_fields(
            [
                "specialties",
                "home_organisation",
                "home_post",
                "leader_eligible",
                "membership",
                "removed_reason",
            ]
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        reason = (data.get("removed_reason") or "").strip()
        if data.get("membership") == self.REMOVED and not reason:
            self.add_error("removed_reason", _("Removing someone from the pool needs a reason."))
        return data

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "specialties": data["specialties"],
            "home_organisation": data["home_organisation"],
            "home_post": data["home_post"],
            "leader_eligible": data["leader_eligible"],
            "in_pool": data["membership"] == self.IN_POOL,
            "removed_reason": data["removed_reason"],
        }


class TrainingForm(forms.Form):
    course = forms.CharField(label=_("Course"), max_length=200)
    hours = forms.DecimalField(
        label=_("Hours"),
        min_value=Decimal("0.5"),
        max_value=TRAINING_MAX_HOURS,
        max_digits=6,
        decimal_places=1,
    )
    date = forms.DateField(label=_("Date"), widget=DateInput())
    certificate = forms.CharField(label=_("Certificate"), max_length=100, required=False)

    def clean_date(self) -> dt.date:
        day: dt.date = self.cleaned_data["date"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("Training is recorded once it has taken place."))
        return check_record_date(day)


class QualificationGrantForm(forms.Form):
    granted_on = forms.DateField(label=_("Granted on"), widget=DateInput())
    expires_on = forms.DateField(
        label=_("Expires on"),
        widget=DateInput(),
        required=False,
        help_text=_("Left empty: three years, to the day before the grant's third anniversary."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The expiry starts empty, as its help says: a pre-filled date would stay three years
        # after today when the grant is dated earlier.
        kwargs.setdefault("initial", {"granted_on": timezone.localdate()})
        super().__init__(*args, **kwargs)

    def clean_granted_on(self) -> dt.date:
        day: dt.date = self.cleaned_data["granted_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(
                _("A qualification is recorded once granted; the date cannot be still to come.")
            )
        return check_record_date(day)

    def clean_expires_on(self) -> dt.date | None:
        day: dt.date | None = self.cleaned_data["expires_on"]
        return None if day is None else check_record_date(day)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        granted, expires = data.get("granted_on"), data.get("expires_on")
        if granted is not None and expires is None and "expires_on" not in self.errors:
            data["expires_on"] = expires = default_expiry(granted)
        if granted is not None and expires is not None:
            if expires <= granted:
                self.add_error("expires_on", _("A qualification expires after it is granted."))
            elif expires > years_later(granted, QUALIFICATION_MAX_YEARS):
                self.add_error(
                    "expires_on",
                    _("A qualification is granted for at most %(years)s years.")
                    % {"years": QUALIFICATION_MAX_YEARS},
                )
        return data


class QualificationStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Qualification.Status.choices)


class AvailabilityForm(forms.Form):
    start_date = forms.DateField(label=_("From"), widget=DateInput())
    end_date = forms.DateField(label=_("To"), widget=DateInput())
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def clean_start_date(self) -> dt.date:
        return check_record_date(self.cleaned_data["start_date"])

    def clean_end_date(self) -> dt.date:
        day = check_record_date(self.cleaned_data["end_date"])
        if day < timezone.localdate():
            # Formation asks about days to come; a window already over would change nothing.
            raise forms.ValidationError(
                _("Availability is recorded for days to come: this window is already over.")
            )
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_date"), data.get("end_date")
        if start is not None and end is not None and end < start:
            self.add_error("end_date", _("A window cannot end before it starts."))
        return data
