"""The editable list of specialties (office staff with the team-rules right)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from xuncha.core import i18n, policy
from xuncha.core.forms import form_errors
from xuncha.core.models import Organisation, OrganisationKind
from xuncha.core.views import AuthedRequest
from xuncha.talent import formation_services, permissions
from xuncha.talent.models import Specialty


class SpecialtyForm(forms.Form):
    code = forms.SlugField(
        label=gettext_lazy("Code"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("Letters, digits and hyphens; used in files and rules."),
    )
    name_zh = forms.CharField(label=gettext_lazy("Name (Chinese)"), max_length=40)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=60)


def may_edit_specialties(user: object) -> bool:
    """The list is shared by the prefecture's counties, so the prefecture office (a grant
    covering a prefecture) keeps it, like the qualifications."""
    return any(
        policy.allows_on_organisation(user, permissions.TEAM_RULES, prefecture)
        for prefecture in Organisation.objects.filter(kind=OrganisationKind.PREFECTURE)
    )


@require_http_methods(["GET", "POST"])
def specialties(request: AuthedRequest) -> HttpResponseBase:
    if not may_edit_specialties(request.user):
        raise PermissionDenied
    if request.method == "POST":
        pk = request.POST.get("pk", "")
        if pk and not pk.isdigit():
            raise Http404
        specialty = get_object_or_404(Specialty, pk=int(pk)) if pk else None
        try:
            if specialty is not None and request.POST.get("delete"):
                formation_services.specialty_delete(actor=request.user, specialty=specialty)
                messages.success(request, _("Specialty removed."))
                return redirect("talent:specialties")
            form = SpecialtyForm(request.POST)
            if not form.is_valid():
                messages.error(request, i18n.labelled(_("Not saved"), form_errors(form)))
                return redirect("talent:specialties")
            if specialty is None and not form.cleaned_data["code"]:
                raise ValidationError({"code": _("A new specialty needs a code.")})
            formation_services.specialty_set(
                actor=request.user,
                code=form.cleaned_data["code"],
                name_zh=form.cleaned_data["name_zh"],
                name_en=form.cleaned_data["name_en"],
                specialty=specialty,
            )
        except ValidationError as exc:
            messages.error(request, i18n.labelled(_("Not saved"), i18n.sentences(exc.messages)))
            return redirect("talent:specialties")
        messages.success(request, _("Saved."))
        return redirect("talent:specialties")
    # Holders in the pool and those taken out (who still hold it: while either count is
    # above zero the specialty cannot be removed).
    rows = Specialty.objects.annotate(
        in_pool=Count("inspectorprofile", filter=Q(inspectorprofile__in_pool=True), distinct=True),
        taken_out=Count(
            "inspectorprofile", filter=Q(inspectorprofile__in_pool=False), distinct=True
        ),
    )
    return render(request, "talent/specialties.html", {"rows": rows, "form": SpecialtyForm()})
