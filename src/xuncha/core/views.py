"""Views of the core app: validate input, ask the policy, call a service, render.

Objects are fetched from scoped querysets (``selectors``), so someone else's object is a
404; changes call ``policy.require`` first, so a user who may see but not change gets 403.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xuncha.core import forms, jobs, policy, selectors, services, tasks
from xuncha.core.auth import LoginForm
from xuncha.core.forms import form_errors
from xuncha.core.models import Kinship, Organisation, Post, RoleGrant, User
from xuncha.core.policy import Action
from xuncha.core.signals import password_verified
from xuncha.core.tables import Column, Table


class AuthedRequest(HttpRequest):
    """A request behind LoginRequiredMiddleware: ``user`` is a real account."""

    user: User


# --- sign-in ---------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        services.login_succeeded(user=form.get_user())
        password_verified.send(
            sender=type(form.get_user()),
            user=form.get_user(),
            password=form.cleaned_data["password"],
            request=self.request,
        )
        return response


login_view = login_not_required(LoginView.as_view())


@login_not_required
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponseBase:
    """A form refused for want of a valid CSRF token, on the app's own page: Django's
    default page is styled inline, which the Content-Security-Policy blocks, and tells the
    user nothing they can do."""
    return render(request, "403_csrf.html", status=403)


@require_POST
def logout_view(request: AuthedRequest) -> HttpResponseBase:
    services.logout_recorded(user=request.user)
    auth_logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@login_not_required
@require_GET
def healthz(request: AuthedRequest) -> HttpResponseBase:
    return JsonResponse({"status": "ok"})


# --- home --------------------------------------------------------------------------------


@require_GET
def home(request: AuthedRequest) -> HttpResponseBase:
    context: dict[str, Any] = {
        "my_grants": RoleGrant.objects.filter(
            user=request.user, revoked_at__isnull=True
        ).select_related("organisation"),
        "stats": None,
    }
    # Statistics and charts are for the roles that oversee (office, leading group, admin);
    # everyone else gets their scope and the way into their work.
    if policy.can(request.user, Action.STATISTICS_VIEW):
        stats = selectors.dashboard_statistics(request.user)
        context["stats"] = stats
        context["chart"] = {
            "committees": stats["committees"],
            "series": [
                {
                    "kind": kind,
                    "name": str(_kind_label(kind)),
                    "data": [values.get(c, 0) for c in stats["committees"]],
                }
                for kind, values in stats["series"].items()
            ],
            "people": [
                {"name": r["registry__name"], "value": r["n"]} for r in stats["people_by_registry"]
            ],
        }
        context["kinds"] = [
            {"label": _kind_label(k), "count": n}
            for k, n in sorted(stats["organisations_by_kind"].items())
        ]
    # Interference recorded in the teams the user leads or oversees (counts only).
    from xuncha.fieldwork import dashboard as fieldwork_dashboard
    from xuncha.fieldwork import permissions as fieldwork_permissions

    if policy.can(request.user, fieldwork_permissions.FIELDWORK_LEAD):
        context["show_interference"] = True
        context["interference"] = fieldwork_dashboard.interference_counts(request.user)
    # A leader's teams whose members wait for their evaluation after the round.
    from xuncha.talent import selectors as talent_selectors

    context["evaluations_due"] = talent_selectors.evaluations_due(request.user)
    return render(request, "core/home.html", context)


def _kind_label(kind: str) -> Any:
    from xuncha.core.models import OrganisationKind

    return OrganisationKind(kind).label if kind in OrganisationKind.values else kind


# --- organisations -----------------------------------------------------------------------

ORGANISATION_COLUMNS = [
    Column(
        "name",
        gettext_lazy("Name"),
        lambda o: o.name,
        sort="name",
        link=lambda o: reverse("core:organisation_detail", args=[o.pk]),
    ),
    Column("code", gettext_lazy("Code"), lambda o: o.code, sort="code"),
    Column("kind", gettext_lazy("Kind"), lambda o: o.get_kind_display(), sort="kind"),
    Column(
        "parent",
        gettext_lazy("Parent organisation"),
        lambda o: o.parent.name if o.parent else "",
        sort="parent__name",
    ),
    Column(
        "committee",
        gettext_lazy("Committee"),
        lambda o: o.committee.name if o.committee else "",
        sort="committee__name",
    ),
    Column(
        "status",
        gettext_lazy("Status"),
        lambda o: _("Active") if o.is_active else _("Merged or dissolved"),
        sort="is_active",
    ),
]


@require_GET
def organisation_list(request: AuthedRequest) -> HttpResponseBase:
    policy.require(request.user, Action.ORGANISATION_VIEW)
    qs = selectors.organisations_for(request.user)
    form = forms.OrganisationFilterForm(request.GET or None)
    status = "active"
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            qs = qs.filter(Q(name__icontains=data["q"]) | Q(code__icontains=data["q"]))
        if data["kind"]:
            qs = qs.filter(kind=data["kind"])
        status = data["status"] or "active"
    if status == "active":
        qs = qs.filter(is_active=True)
    elif status == "inactive":
        qs = qs.filter(is_active=False)
    table = Table(request, qs, ORGANISATION_COLUMNS, default_sort="code")
    if request.GET.get("export") == "csv":
        return table.export_csv("organisations")
    return render(
        request,
        "core/organisation_list.html",
        {
            **table.context(),
            "filter_form": form,
            "can_change": policy.can(request.user, Action.ORGANISATION_CHANGE),
        },
    )


@require_GET
def organisation_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    org = get_object_or_404(selectors.organisations_for(request.user), pk=pk)
    children = org.children.order_by("code")
    leadership = (
        Post.objects.filter(organisation=org, end_date__isnull=True)
        .select_related("person")
        .order_by("-is_leadership", "title")
    )
    history = org.changes.select_related("from_parent", "to_parent", "merged_into")
    can_see_people = policy.allows_on_organisation(request.user, Action.PERSON_VIEW, org)
    return render(
        request,
        "core/organisation_detail.html",
        {
            "org": org,
            "children": children[:500],
            "child_count": children.count(),
            "posts": leadership[:200] if can_see_people else [],
            "can_see_people": can_see_people,
            "history": history,
            "ancestors": _ancestors(request.user, org),
            "can_change": policy.allows_on_organisation(
                request.user, Action.ORGANISATION_CHANGE, org
            ),
        },
    )


def _ancestors(user: Any, org: Organisation) -> list[Organisation]:
    ids = [int(p) for p in org.path.strip("/").split("/")[:-1] if p]
    visible = {o.pk: o for o in selectors.organisations_for(user).filter(pk__in=ids)}
    return [visible[i] for i in ids if i in visible]


@require_http_methods(["GET", "POST"])
def organisation_create(request: AuthedRequest) -> HttpResponseBase:
    policy.require(request.user, Action.ORGANISATION_CHANGE)
    form = forms.OrganisationForm(
        request.POST or None, user=request.user, initial={"parent": request.GET.get("parent")}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        org = services.organisation_create(
            actor=request.user,
            name=data["name"],
            code=data["code"],
            kind=data["kind"],
            parent=data["parent"],
            committee=data["committee"],
        )
        messages.success(request, _("Organisation created."))
        return redirect("core:organisation_detail", pk=org.pk)
    return render(
        request,
        "core/form.html",
        {"form": form, "title": _("New organisation"), "cancel": reverse("core:organisation_list")},
    )


def _changeable_org(request: AuthedRequest, pk: int) -> Organisation:
    org = get_object_or_404(selectors.organisations_for(request.user), pk=pk)
    if not policy.allows_on_organisation(request.user, Action.ORGANISATION_CHANGE, org):
        raise PermissionDenied
    return org


@require_http_methods(["GET", "POST"])
def organisation_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    org = _changeable_org(request, pk)
    form = forms.OrganisationForm(
        request.POST or None,
        user=request.user,
        instance=org,
        initial={
            "name": org.name,
            "code": org.code,
            "kind": org.kind,
            "committee": org.committee_id,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.organisation_update(
            actor=request.user,
            organisation=org,
            name=data["name"],
            code=data["code"],
            kind=data["kind"],
            committee=data["committee"],
        )
        messages.success(request, _("Organisation updated."))
        return redirect("core:organisation_detail", pk=org.pk)
    return render(
        request,
        "core/form.html",
        {"form": form, "title": org.name, "cancel": reverse("core:organisation_detail", args=[pk])},
    )


@require_http_methods(["GET", "POST"])
def organisation_move(request: AuthedRequest, pk: int) -> HttpResponseBase:
    org = _changeable_org(request, pk)
    form = forms.OrganisationMoveForm(
        request.POST or None, user=request.user, initial={"effective_date": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_move(
                actor=request.user,
                organisation=org,
                new_parent=form.cleaned_data["new_parent"],
                effective_date=form.cleaned_data["effective_date"],
            )
        except ValidationError as exc:
            form.add_error("new_parent", exc)
        else:
            messages.success(request, _("Organisation moved."))
            return redirect("core:organisation_detail", pk=org.pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": _("Move %(name)s") % {"name": org.name},
            "cancel": reverse("core:organisation_detail", args=[pk]),
        },
    )


@require_http_methods(["GET", "POST"])
def organisation_merge(request: AuthedRequest, pk: int) -> HttpResponseBase:
    org = _changeable_org(request, pk)
    form = forms.OrganisationMergeForm(
        request.POST or None, user=request.user, initial={"effective_date": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["target"]
        try:
            services.organisation_merge(
                actor=request.user,
                source=org,
                target=target,
                effective_date=form.cleaned_data["effective_date"],
            )
        except ValidationError as exc:
            form.add_error("target", exc)
        else:
            messages.success(request, _("Organisation merged."))
            return redirect("core:organisation_detail", pk=target.pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": _("Merge %(name)s") % {"name": org.name},
            "cancel": reverse("core:organisation_detail", args=[pk]),
        },
    )


# --- people ----------------------------------------------------------------------------

PERSON_COLUMNS = [
    Column(
        "name",
        gettext_lazy("Full name"),
        lambda p: p.name,
        sort="name_search",
        link=lambda p: reverse("core:person_detail", args=[p.pk]),
    ),
    Column("gender", gettext_lazy("Gender"), lambda p: p.get_gender_display(), sort="gender"),
    Column(
        "birth",
        gettext_lazy("Birth year"),
        lambda p: p.birth_date.year if p.birth_date else "",
        sort="birth_date",
    ),
    Column("registry", gettext_lazy("Registry"), lambda p: p.registry.name, sort="registry__name"),
    Column(
        "posts",
        gettext_lazy("Current posts"),
        lambda p: "；".join(f"{x.organisation.name} {x.title}" for x in p.current_posts),
    ),
    Column(
        "retired",
        gettext_lazy("Retired on"),
        lambda p: p.retired_on.isoformat() if p.retired_on else "",
        sort="retired_on",
    ),
]


def _person_filters(request: AuthedRequest) -> tuple[forms.PersonFilterForm, str, dict[str, Any]]:
    form = forms.PersonFilterForm(request.GET or None, user=request.user)
    q, filters = "", {}
    if form.is_valid():
        q = form.cleaned_data["q"]
        filters = {k: form.cleaned_data[k] for k in ("registry", "gender", "status")}
    return form, q, filters


@require_GET
def person_list(request: AuthedRequest) -> HttpResponseBase:
    policy.require(request.user, Action.PERSON_VIEW)
    form, q, filters = _person_filters(request)
    table = Table(
        request,
        selectors.people_for(request.user, q=q, filters=filters),
        PERSON_COLUMNS,
        default_sort="name",
        rank=selectors.name_rank(q) if q else None,  # common readings first
    )
    if request.GET.get("export") == "csv":
        services.people_export_recorded(
            actor=request.user,
            fmt="csv",
            filters={"q": q, **{k: str(v) for k, v in filters.items() if v}},
        )
        return table.export_csv("people")
    return render(
        request,
        "core/person_list.html",
        {
            **table.context(),
            "filter_form": form,
            "can_change": policy.can(request.user, Action.PERSON_CHANGE),
            "can_export_xlsx": policy.can(request.user, Action.PERSON_EXPORT),
        },
    )


@require_POST
def person_export_xlsx(request: AuthedRequest) -> HttpResponseBase:
    policy.require(request.user, Action.PERSON_EXPORT)
    _form, q, filters = _person_filters(request)
    serialisable = {
        "q": q,
        **{k: (v.pk if hasattr(v, "pk") else v) for k, v in filters.items() if v},
    }
    job = jobs.job_start(
        actor=request.user,
        kind="people_export",
        label=_("Export of the people registry"),
        task=tasks.export_people_xlsx,
        user_id=request.user.pk,
        filters=serialisable,
    )
    return redirect("core:job_detail", pk=job.pk)


@require_GET
def person_lookup(request: AuthedRequest) -> HttpResponseBase:
    """htmx: options for a person select, searched by characters or pinyin."""
    policy.require(request.user, Action.PERSON_VIEW)
    q = request.GET.get("q", "").strip()
    people = selectors.people_for(request.user, q=q)[:20] if len(q) >= 1 else []
    return render(request, "core/partials/person_options.html", {"people": people})


@require_GET
def person_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    person = get_object_or_404(selectors.person_detail_for(request.user), pk=pk)
    posts = person.posts.select_related("organisation").order_by("end_date", "-start_date")
    kin = Kinship.objects.filter(Q(person=person) | Q(relative=person)).select_related(
        "person", "relative"
    )
    relatives = []
    class_labels = dict(KINSHIP_CLASS_LABELS)
    for link in kin:
        if link.person_id == person.pk:
            relatives.append(
                {
                    "link": link,
                    "other": link.relative,
                    "label": link.get_relation_display(),
                    "class_label": class_labels[link.kinship_class],
                    "reverse": False,
                }
            )
        else:
            relatives.append(
                {
                    "link": link,
                    "other": link.person,
                    "label": link.get_relation_display(),
                    "class_label": class_labels[link.kinship_class],
                    "reverse": True,
                }
            )
    return render(
        request,
        "core/person_detail.html",
        {
            "person": person,
            "posts": posts,
            "relatives": relatives,
            "can_change": policy.allows(request.user, Action.PERSON_CHANGE, person),
            "can_reveal": bool(person.id_number)
            and policy.allows(request.user, Action.PERSON_VIEW_PROTECTED, person),
        },
    )


@require_POST
def person_reveal(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """htmx: show the full ID number, auditing the read."""
    person = get_object_or_404(
        selectors.people_for(request.user, action=Action.PERSON_VIEW_PROTECTED), pk=pk
    )
    data = services.person_read_protected(
        actor=request.user,
        person=person,
        purpose="person_detail",
    )
    return render(request, "core/partials/id_number.html", {"id_number": data["id_number"]})


@require_http_methods(["GET", "POST"])
def person_create(request: AuthedRequest) -> HttpResponseBase:
    policy.require(request.user, Action.PERSON_CHANGE)
    form = forms.PersonForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Person added."))
            return redirect("core:person_detail", pk=person.pk)
    return render(
        request,
        "core/form.html",
        {"form": form, "title": _("New person"), "cancel": reverse("core:person_list")},
    )


def _changeable_person(request: AuthedRequest, pk: int) -> Any:
    person = get_object_or_404(selectors.person_detail_for(request.user), pk=pk)
    if not policy.allows(request.user, Action.PERSON_CHANGE, person):
        raise PermissionDenied
    return person


@require_http_methods(["GET", "POST"])
def person_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    person = _changeable_person(request, pk)
    initial = {
        f: getattr(person, f) for f in ("name", "gender", "birth_date", "ethnicity", "retired_on")
    }
    initial.update(registry=person.registry_id, hometown=person.hometown_id)
    form = forms.PersonForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = dict(form.cleaned_data)
        if "id_number" in changes and changes["id_number"] is None:
            changes.pop("id_number")  # an empty field keeps the recorded number
        try:
            services.person_update(actor=request.user, person=person, **changes)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Person updated."))
            return redirect("core:person_detail", pk=person.pk)
    return render(
        request,
        "core/form.html",
        {"form": form, "title": person.name, "cancel": reverse("core:person_detail", args=[pk])},
    )


@require_http_methods(["GET", "POST"])
def post_create(request: AuthedRequest, pk: int) -> HttpResponseBase:
    person = _changeable_person(request, pk)
    form = forms.PostForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.post_create(actor=request.user, person=person, **form.cleaned_data)
        messages.success(request, _("Post added."))
        return redirect("core:person_detail", pk=person.pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": _("New post for %(name)s") % {"name": person.name},
            "cancel": reverse("core:person_detail", args=[pk]),
        },
    )


@require_http_methods(["GET", "POST"])
def post_end(request: AuthedRequest, pk: int) -> HttpResponseBase:
    post = get_object_or_404(Post.objects.select_related("person"), pk=pk)
    person = _changeable_person(request, post.person_id)
    form = forms.PostEndForm(request.POST or None, initial={"end_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.post_end(actor=request.user, post=post, end_date=form.cleaned_data["end_date"])
        except ValidationError as exc:
            form.add_error("end_date", exc)
        else:
            messages.success(request, _("Post ended."))
            return redirect("core:person_detail", pk=person.pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": str(post),
            "cancel": reverse("core:person_detail", args=[person.pk]),
        },
    )


@require_http_methods(["GET", "POST"])
def kinship_create(request: AuthedRequest, pk: int) -> HttpResponseBase:
    person = _changeable_person(request, pk)
    form = forms.KinshipForm(request.POST or None, user=request.user, person=person)
    if request.method == "POST" and form.is_valid():
        try:
            services.kinship_create(
                actor=request.user,
                person=person,
                relative=form.cleaned_data["relative"],
                relation=form.cleaned_data["relation"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Kinship link added."))
            return redirect("core:person_detail", pk=person.pk)
    return render(request, "core/kinship_form.html", {"form": form, "person": person})


@require_POST
def kinship_delete(request: AuthedRequest, pk: int) -> HttpResponseBase:
    link = get_object_or_404(Kinship, pk=pk)
    person = _changeable_person(request, link.person_id)
    services.kinship_delete(actor=request.user, link=link)
    messages.success(request, _("Kinship link removed."))
    return redirect("core:person_detail", pk=person.pk)


KINSHIP_CLASS_LABELS = [
    ("spouse", gettext_lazy("Spouse")),
    ("direct_blood", gettext_lazy("Direct blood relative")),
    ("collateral", gettext_lazy("Collateral relative within three generations")),
    ("close_in_law", gettext_lazy("Close in-law")),
]


# --- users and grants --------------------------------------------------------------------

USER_COLUMNS = [
    Column(
        "username",
        gettext_lazy("Account name"),
        lambda u: u.username,
        sort="username",
        link=lambda u: reverse("core:user_detail", args=[u.pk]),
    ),
    Column(
        "person",
        gettext_lazy("Person"),
        lambda u: u.person.name if u.person else "",
        sort="person__name",
    ),
    Column(
        "active",
        gettext_lazy("Active"),
        lambda u: _("Yes") if u.is_active else _("No"),
        sort="is_active",
    ),
    Column(
        "last_login",
        gettext_lazy("Last login"),
        lambda u: (
            timezone.localtime(u.last_login).strftime("%Y-%m-%d %H:%M") if u.last_login else ""
        ),
        sort="last_login",
    ),
]


@require_GET
def user_list(request: AuthedRequest) -> HttpResponseBase:
    policy.require(request.user, Action.USER_VIEW)
    qs = selectors.users_for(request.user)
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(person__name__icontains=q))
    table = Table(request, qs, USER_COLUMNS, default_sort="username")
    if request.GET.get("export") == "csv":
        return table.export_csv("users")
    return render(
        request,
        "core/user_list.html",
        {
            **table.context(),
            "q": q,
            "can_change": policy.can(request.user, Action.USER_CHANGE),
        },
    )


@require_GET
def user_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    target = get_object_or_404(selectors.users_for(request.user), pk=pk)
    return render(
        request,
        "core/user_detail.html",
        {
            "target": target,
            "grants": selectors.grants_of(target),
            "can_change": policy.can(request.user, Action.USER_CHANGE),
            "grant_form": forms.RoleGrantForm(user=request.user),
        },
    )


@require_http_methods(["GET", "POST"])
def user_create(request: AuthedRequest) -> HttpResponseBase:
    policy.require(request.user, Action.USER_CHANGE)
    form = forms.UserCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = services.user_create(
            actor=request.user,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
            registry=form.cleaned_data["registry"],
            person=form.cleaned_data["person"],
        )
        messages.success(request, _("Account created. Grant it a role next."))
        return redirect("core:user_detail", pk=user.pk)
    return render(
        request,
        "core/user_form.html",
        {"form": form, "title": _("New account"), "cancel": reverse("core:user_list")},
    )


@require_POST
def user_toggle_active(request: AuthedRequest, pk: int) -> HttpResponseBase:
    target = get_object_or_404(selectors.users_for(request.user), pk=pk)
    policy.require(request.user, Action.USER_CHANGE, target)
    if target.pk == request.user.pk:
        messages.error(request, _("You cannot deactivate your own account."))
    else:
        services.user_set_active(actor=request.user, user=target, is_active=not target.is_active)
    return redirect("core:user_detail", pk=target.pk)


@require_POST
def grant_create(request: AuthedRequest, pk: int) -> HttpResponseBase:
    target = get_object_or_404(selectors.users_for(request.user), pk=pk)
    policy.require(request.user, Action.USER_CHANGE)
    form = forms.RoleGrantForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.role_grant(
                actor=request.user,
                user=target,
                role=form.cleaned_data["role"],
                organisation=form.cleaned_data["organisation"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Role granted."))
    else:
        messages.error(
            request,
            _("The role could not be granted: %(errors)s") % {"errors": form_errors(form)},
        )
    return redirect("core:user_detail", pk=target.pk)


@require_POST
def grant_revoke(request: AuthedRequest, pk: int) -> HttpResponseBase:
    grant = get_object_or_404(
        policy.scope(request.user, Action.USER_CHANGE, RoleGrant.objects.select_related("user")),
        pk=pk,
    )
    services.role_revoke(actor=request.user, grant=grant)
    messages.success(request, _("Role revoked."))
    return redirect("core:user_detail", pk=grant.user_id)


# --- audit log ---------------------------------------------------------------------------

AUDIT_COLUMNS = [
    Column("seq", "#", lambda e: e.seq, sort="seq", css="text-end text-nowrap"),
    Column(
        "time",
        gettext_lazy("Time"),
        lambda e: timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M:%S"),
        sort="created_at",
        css="text-nowrap",
    ),
    Column(
        "actor",
        gettext_lazy("Actor"),
        lambda e: e.actor_label,
        sort="actor_label",
        css="text-nowrap",
    ),
    Column("event", gettext_lazy("Event"), lambda e: e.event_label, sort="event_type"),
    Column(
        "object",
        gettext_lazy("Object"),
        lambda e: f"{e.object_type} {e.object_id} {e.object_repr}".strip(),
    ),
    Column("changes", gettext_lazy("Details"), lambda e: _audit_details(e), css="small"),
]


def _audit_details(event: Any) -> str:
    parts = []
    if event.before is not None:
        parts.append(_("before: %(values)s") % {"values": event.before})
    if event.after is not None:
        parts.append(_("after: %(values)s") % {"values": event.after})
    if event.extra:
        parts.append(str(event.extra))
    return " · ".join(parts)


@require_GET
def audit_list(request: AuthedRequest) -> HttpResponseBase:
    policy.require(request.user, Action.AUDIT_VIEW)
    qs = selectors.audit_events_for(request.user)
    form = forms.AuditFilterForm(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        if data["event_type"]:
            qs = qs.filter(event_type=data["event_type"])
        if data["actor"]:
            qs = qs.filter(actor_label__icontains=data["actor"])
        if data["object_type"]:
            qs = qs.filter(object_type__icontains=data["object_type"])
        if data["date_from"]:
            qs = qs.filter(created_at__date__gte=data["date_from"])
        if data["date_to"]:
            qs = qs.filter(created_at__date__lte=data["date_to"])
    table = Table(request, qs, AUDIT_COLUMNS, default_sort="-seq")
    if request.GET.get("export") == "csv":
        services.audit_export_recorded(actor=request.user, filters=request.GET.dict())
        return table.export_csv("audit-log")
    return render(request, "core/audit_list.html", {**table.context(), "filter_form": form})


@require_POST
def audit_verify(request: AuthedRequest) -> HttpResponseBase:
    policy.require(request.user, Action.AUDIT_VIEW)
    job = jobs.job_start(
        actor=request.user,
        kind="audit_verify",
        label=_("Verification of the audit chain"),
        task=tasks.verify_audit_chain,
        user_id=request.user.pk,
    )
    return redirect("core:job_detail", pk=job.pk)


# --- background jobs ---------------------------------------------------------------------


@require_GET
def job_list(request: AuthedRequest) -> HttpResponseBase:
    jobs_qs = selectors.jobs_for(request.user)[:100]
    return render(request, "core/job_list.html", {"jobs": jobs_qs})


@require_GET
def job_detail(request: AuthedRequest, pk: str) -> HttpResponseBase:
    job = get_object_or_404(selectors.jobs_for(request.user), pk=pk)
    template = (
        "core/partials/job_progress.html"
        if request.headers.get("HX-Request")
        else "core/job_detail.html"
    )
    return render(request, template, {"job": job})


@require_GET
def job_download(request: AuthedRequest, pk: str) -> HttpResponseBase:
    job = get_object_or_404(selectors.jobs_for(request.user), pk=pk)
    if not job.result_file:
        raise Http404
    path = settings.JOB_FILES_DIR / job.result_file
    if not path.is_file():
        raise Http404
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"{job.kind}-{timezone.localtime(job.created_at):%Y%m%d-%H%M}{path.suffix}",
    )
