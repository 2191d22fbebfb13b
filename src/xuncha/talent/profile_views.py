"""Maintaining the pool: add an inspector, edit a profile, record training, grant and
suspend or revoke qualifications, and availability windows.

A profile outside the user's talent scope is a 404; one the user may read but not change
is a 403. Qualifications are the prefecture office's: a grant that does not cover the
prefecture above the profile's county gets 403 (DOMAIN.md: the prefecture certifies).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xuncha.core import i18n, policy
from xuncha.core.forms import errors_to_form, labelled_errors
from xuncha.core.models import Organisation, OrganisationKind
from xuncha.core.views import AuthedRequest
from xuncha.talent import permissions, profile_forms, selectors, services, team_forms
from xuncha.talent.models import (
    Availability,
    InspectorProfile,
    Qualification,
    TrainingRecord,
)

# A valid qualification this close to its expiry is flagged on the profile and in the pool.
EXPIRY_WARNING = dt.timedelta(days=60)


def prefecture_of(county: Organisation) -> Organisation | None:
    """The nearest prefecture above (or at) ``county``, from its materialised path."""
    ids = [int(part) for part in county.path.strip("/").split("/") if part]
    return (
        Organisation.objects.filter(pk__in=ids, kind=OrganisationKind.PREFECTURE)
        .order_by("-depth")
        .first()
    )


def can_certify(user: Any, profile: InspectorProfile) -> bool:
    """Whether the user's grant to change the pool covers the prefecture that certifies
    this county's inspectors."""
    prefecture = prefecture_of(profile.county)
    return prefecture is not None and policy.allows_on_organisation(
        user, permissions.TALENT_CHANGE, prefecture
    )


def _visible_profiles(request: AuthedRequest) -> Any:
    return policy.scope(request.user, permissions.TALENT_VIEW, InspectorProfile.objects.all())


def _changeable(request: AuthedRequest, profile: InspectorProfile) -> InspectorProfile:
    if not policy.allows(request.user, permissions.TALENT_CHANGE, profile):
        raise PermissionDenied
    return profile


def _profile(request: AuthedRequest, pk: int) -> InspectorProfile:
    profile = get_object_or_404(
        _visible_profiles(request).select_related("person", "county", "home_organisation"),
        pk=pk,
    )
    return _changeable(request, profile)


def _back(profile: InspectorProfile, anchor: str) -> str:
    return reverse("talent:profile_detail", args=[profile.pk]) + f"#{anchor}"


@dataclass(frozen=True)
class QualificationState:
    """How one qualification stands today, for the profile's list and heading."""

    qualification: Qualification
    state: str  # valid, expiring, not_yet, expired, suspended, revoked
    text: str
    css: str


def qualification_state(q: Qualification, today: dt.date) -> QualificationState:
    if q.status == Qualification.Status.REVOKED:
        return QualificationState(q, "revoked", _("Revoked"), "danger")
    if q.status == Qualification.Status.SUSPENDED:
        return QualificationState(q, "suspended", _("Suspended"), "warning")
    if q.expires_on < today:
        return QualificationState(
            q,
            "expired",
            _("Expired on %(day)s") % {"day": q.expires_on.isoformat()},
            "secondary",
        )
    if q.granted_on > today:
        return QualificationState(
            q,
            "not_yet",
            _("Valid from %(day)s") % {"day": q.granted_on.isoformat()},
            "info",
        )
    if q.expires_on - today <= EXPIRY_WARNING:
        days = (q.expires_on - today).days
        text = (
            _("Valid, expires today")
            if days == 0
            else ngettext("Valid, expires in %(days)s day", "Valid, expires in %(days)s days", days)
            % {"days": days}
        )
        return QualificationState(q, "expiring", text, "warning")
    return QualificationState(q, "valid", _("Valid"), "success")


def qualification_heading(states: list[QualificationState], today: dt.date) -> tuple[str, str]:
    """The profile heading's badge: the best standing among the qualifications, said
    precisely (suspended is not "missing"); without a usable one, how the latest grant
    stands."""

    def having(state: str) -> list[Qualification]:
        return [s.qualification for s in states if s.state == state]

    if having("valid"):
        return "success", _("Qualified")
    if expiring := having("expiring"):
        last = max(q.expires_on for q in expiring)
        return "warning", _("Qualified, expires on %(day)s") % {"day": last.isoformat()}
    if later := having("not_yet"):
        first = min(q.granted_on for q in later)
        return "info", _("Qualified from %(day)s") % {"day": first.isoformat()}
    if not states:
        return "warning", _("No qualification")
    if any(s.state == "suspended" and s.qualification.expires_on >= today for s in states):
        # One that could be reinstated says more than a later one revoked.
        return "warning", _("Qualification suspended")
    latest = max(states, key=lambda s: (s.qualification.granted_on, s.qualification.pk))
    if latest.state == "suspended":
        return "warning", _("Qualification suspended")
    if latest.state == "revoked":
        return "danger", _("Qualification revoked")
    return "warning", _("Qualification expired on %(day)s") % {
        "day": latest.qualification.expires_on.isoformat()
    }


def profile_page_context(
    user: Any, profile: InspectorProfile, *, can_change: bool
) -> dict[str, Any]:
    """The flags and empty forms the profile page shows to someone who may change it."""
    certify = can_change and can_certify(user, profile)
    return {
        "can_change": can_change,
        "can_certify": certify,
        "training_form": profile_forms.TrainingForm(prefix="training") if can_change else None,
        "availability_form": profile_forms.AvailabilityForm(prefix="availability")
        if can_change
        else None,
        "qualification_form": profile_forms.QualificationGrantForm(prefix="qualification")
        if certify
        else None,
        "declaration_form": team_forms.declaration_form(user, profile) if can_change else None,
    }


def render_profile(request: AuthedRequest, pk: int, **forms: Any) -> HttpResponse:
    """The profile page; ``forms`` replace the empty ones, so a form that was refused comes
    back with the user's input and its errors at the fields (status 200, as the other
    forms of the app re-render)."""
    profile = get_object_or_404(selectors.profile_detail_for(request.user), pk=pk)
    today = timezone.localdate()
    can_change = policy.allows(request.user, permissions.TALENT_CHANGE, profile)
    states = [qualification_state(q, today) for q in profile.qualifications.all()]
    heading_css, heading_text = qualification_heading(states, today)
    context = {
        "profile": profile,
        "qualified": any(s.state in ("valid", "expiring") for s in states),
        "qualification_states": states,
        "qualification_css": heading_css,
        "qualification_text": heading_text,
        "declarations": profile.declarations.select_related(
            "organisation__parent", "recorded_by__person"
        ),
        **profile_page_context(request.user, profile, can_change=can_change),
    }
    context.update(forms)
    services.profile_read(actor=request.user, profile=profile)
    return render(request, "talent/profile_detail.html", context)


def _refused(
    request: AuthedRequest, profile: InspectorProfile, name: str, form: Any
) -> HttpResponse:
    return render_profile(request, profile.pk, **{name: form})


# -- adding and editing -------------------------------------------------------------------------


@require_GET
def inspector_person_lookup(request: AuthedRequest) -> HttpResponseBase:
    """htmx: options for the person select of the add form: people in the user's scope who
    are not in the pool yet."""
    if not policy.can(request.user, permissions.TALENT_CHANGE):
        raise PermissionDenied
    q = request.GET.get("q", "").strip()
    people = profile_forms.addable_people(request.user, q)[:20] if q else []
    return render(request, "core/partials/person_options.html", {"people": people})


def _form_page(request: AuthedRequest, form: Any, **context: Any) -> HttpResponseBase:
    return render(
        request,
        "talent/inspector_form.html",
        {
            "form": form,
            "error_summary": i18n.labelled(_("Not saved"), labelled_errors(form))
            if form.errors
            else "",
            **context,
        },
    )


@require_http_methods(["GET", "POST"])
def inspector_create(request: AuthedRequest) -> HttpResponseBase:
    if not policy.can(request.user, permissions.TALENT_CHANGE):
        raise PermissionDenied
    initial: dict[str, Any] = {}
    wanted = request.GET.get("person", "")
    if request.method == "GET" and wanted.isdigit():
        person = profile_forms.addable_people(request.user).filter(pk=wanted).first()
        if person is not None:
            post = profile_forms.current_post(person)
            initial = {
                "person": person,
                "home_organisation": post.organisation if post else None,
                "home_post": post.title if post else "",
            }
    form = profile_forms.InspectorCreateForm(
        request.POST if request.method == "POST" else None, user=request.user, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            profile = services.inspector_create(
                actor=request.user,
                person=data["person"],
                county=data["county"],
                specialties=data["specialties"],
                home_organisation=data["home_organisation"],
                home_post=data["home_post"],
                leader_eligible=data["leader_eligible"],
            )
        except ValidationError as exc:
            form.add_error("person", exc)
        else:
            messages.success(
                request,
                _("%(name)s added to the pool of %(county)s.")
                % {"name": profile.person.name, "county": profile.county.name},
            )
            return redirect("talent:profile_detail", pk=profile.pk)
    return _form_page(
        request,
        form,
        title=_("Add an inspector to the pool"),
        cancel=reverse("talent:pool"),
        lookup=True,
    )


@require_http_methods(["GET", "POST"])
def inspector_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    profile = _profile(request, pk)
    form = profile_forms.InspectorEditForm(
        request.POST if request.method == "POST" else None, user=request.user, profile=profile
    )
    if request.method == "POST" and form.is_valid():
        was_in_pool = profile.in_pool
        try:
            services.inspector_update(actor=request.user, profile=profile, **form.changes())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if was_in_pool and not profile.in_pool:
                text = _("%(name)s was taken out of the pool.")
            elif not was_in_pool and profile.in_pool:
                text = _("%(name)s is back in the pool.")
            else:
                text = _("Profile of %(name)s saved.")
            messages.success(request, text % {"name": profile.person.name})
            return redirect("talent:profile_detail", pk=profile.pk)
    return _form_page(
        request,
        form,
        title=_("Edit the profile of %(name)s") % {"name": profile.person.name},
        cancel=reverse("talent:profile_detail", args=[profile.pk]),
        profile=profile,
    )


# -- training, qualifications, availability -----------------------------------------------------


@require_POST
def training_create(request: AuthedRequest, pk: int) -> HttpResponseBase:
    profile = _profile(request, pk)
    back = _back(profile, "training")
    form = profile_forms.TrainingForm(request.POST, prefix="training")
    if not form.is_valid():
        return _refused(request, profile, "training_form", form)
    data = form.cleaned_data
    services.training_record(
        actor=request.user,
        profile=profile,
        course=data["course"],
        hours=data["hours"],
        date=data["date"],
        certificate=data["certificate"],
    )
    messages.success(
        request,
        _("Training recorded for %(name)s: %(course)s.")
        % {"name": profile.person.name, "course": data["course"]},
    )
    return redirect(back)


@require_POST
def qualification_grant(request: AuthedRequest, pk: int) -> HttpResponseBase:
    profile = _profile(request, pk)
    if not can_certify(request.user, profile):
        raise PermissionDenied
    back = _back(profile, "qualifications")
    form = profile_forms.QualificationGrantForm(request.POST, prefix="qualification")
    if not form.is_valid():
        return _refused(request, profile, "qualification_form", form)
    try:
        qualification = services.qualification_grant(
            actor=request.user,
            profile=profile,
            granted_on=form.cleaned_data["granted_on"],
            expires_on=form.cleaned_data["expires_on"],
        )
    except ValidationError as exc:
        errors_to_form(form, exc)
        return _refused(request, profile, "qualification_form", form)
    text = _("Qualification granted to %(name)s until %(date)s.") % {
        "name": profile.person.name,
        "date": qualification.expires_on.isoformat(),
    }
    if renewed_until := getattr(qualification, "renewed_until", None):
        renews = _("It renews the earlier one, which now ends on %(day)s.")
        text = i18n.paragraph([text, renews % {"day": renewed_until.isoformat()}])
    messages.success(request, text)
    return redirect(back)


@require_POST
def qualification_status(request: AuthedRequest, pk: int) -> HttpResponseBase:
    qualification = get_object_or_404(
        Qualification.objects.filter(profile__in=_visible_profiles(request)).select_related(
            "profile__person", "profile__county"
        ),
        pk=pk,
    )
    profile = _changeable(request, qualification.profile)
    if not can_certify(request.user, profile):
        raise PermissionDenied
    back = _back(profile, "qualifications")
    form = profile_forms.QualificationStatusForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            i18n.labelled(_("Qualification not changed"), labelled_errors(form)),
        )
        return redirect(back)
    try:
        services.qualification_status_set(
            actor=request.user, qualification=qualification, status=form.cleaned_data["status"]
        )
    except ValidationError as exc:
        messages.error(
            request, i18n.labelled(_("Qualification not changed"), i18n.clauses(exc.messages))
        )
        return redirect(back)
    said: dict[str, str] = {
        Qualification.Status.SUSPENDED: _("Qualification of %(name)s suspended."),
        Qualification.Status.GRANTED: _(
            "Qualification of %(name)s reinstated, valid until %(date)s."
        ),
        Qualification.Status.REVOKED: _("Qualification of %(name)s revoked."),
    }
    done = said[str(qualification.status)]
    messages.success(
        request,
        done % {"name": profile.person.name, "date": qualification.expires_on.isoformat()},
    )
    return redirect(back)


@require_POST
def availability_create(request: AuthedRequest, pk: int) -> HttpResponseBase:
    profile = _profile(request, pk)
    back = _back(profile, "availability")
    form = profile_forms.AvailabilityForm(request.POST, prefix="availability")
    if not form.is_valid():
        return _refused(request, profile, "availability_form", form)
    data = form.cleaned_data
    try:
        window = services.availability_add(
            actor=request.user,
            profile=profile,
            start_date=data["start_date"],
            end_date=data["end_date"],
            note=data["note"],
        )
    except ValidationError as exc:
        errors_to_form(form, exc)
        return _refused(request, profile, "availability_form", form)
    messages.success(
        request,
        _("%(name)s is available from %(start)s to %(end)s.")
        % {
            "name": profile.person.name,
            "start": window.start_date.isoformat(),
            "end": window.end_date.isoformat(),
        },
    )
    return redirect(back)


@require_POST
def availability_delete(request: AuthedRequest, pk: int) -> HttpResponseBase:
    window = get_object_or_404(
        Availability.objects.filter(profile__in=_visible_profiles(request)).select_related(
            "profile__person", "profile__county"
        ),
        pk=pk,
    )
    profile = _changeable(request, window.profile)
    start, end = window.start_date.isoformat(), window.end_date.isoformat()
    services.availability_remove(actor=request.user, window=window)
    messages.success(
        request,
        _("Availability window %(start)s – %(end)s of %(name)s removed.")
        % {"start": start, "end": end, "name": profile.person.name},
    )
    return redirect(_back(profile, "availability"))


@require_POST
def training_delete(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Remove a training record entered by mistake (to correct one, remove it and record it
    again); the audit event keeps what it said."""
    record = get_object_or_404(
        TrainingRecord.objects.filter(profile__in=_visible_profiles(request)).select_related(
            "profile__person", "profile__county"
        ),
        pk=pk,
    )
    profile = _changeable(request, record.profile)
    course = record.course
    services.training_remove(actor=request.user, record=record)
    messages.success(
        request,
        _("Training record %(course)s of %(name)s removed.")
        % {"course": course, "name": profile.person.name},
    )
    return redirect(_back(profile, "training"))
