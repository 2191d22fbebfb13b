"""Reads that respect permissions: every one goes through ``policy.scope``."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Case, Count, F, Prefetch, Q, QuerySet, Value, When

from xuncha.core import policy
from xuncha.core.lib import idnumber
from xuncha.core.models import AuditEvent, JobRun, Organisation, Person, Post, RoleGrant, User
from xuncha.core.policy import Action

_LATIN = re.compile(r"^[a-z]+$")


def organisations_for(
    user: Any, action: Action = Action.ORGANISATION_VIEW
) -> QuerySet[Organisation]:
    return policy.scope(user, action, Organisation.objects.all()).select_related(
        "parent", "committee"
    )


def name_query(q: str, prefix: str = "") -> Q:
    """Match a name by characters, or by pinyin (full or initials) for latin input.

    ``prefix`` reaches the person through a relation (e.g. ``"person__"``)."""
    q = q.strip()
    latin = q.lower().replace(" ", "")
    if _LATIN.match(latin):
        return Q(**{f"{prefix}name_search__startswith": latin}) | Q(
            **{f"{prefix}name_search__contains": f" {latin}"}
        )
    # Chinese names hold no spaces: "张 帅文" finds 张帅文.
    return Q(**{f"{prefix}name__icontains": re.sub(r"\s+", "", q)})


def name_rank(q: str, prefix: str = "") -> Case | Value:
    """0 where the name's common reading matches ``q`` (its first two pinyin keys: full
    and initials), 1 where only a rare reading or the given name does (方 read as wang,
    王 in 李王): order by it so that a search for "wang" lists 王 before 方 and 李王."""
    latin = q.strip().lower().replace(" ", "")
    if not _LATIN.match(latin):
        return Value(0)
    field = f"{prefix}name_search"
    return Case(
        When(
            Q(**{f"{field}__startswith": latin})
            | Q(**{f"{field}__regex": rf"^[a-z]+ {re.escape(latin)}"}),
            then=Value(0),
        ),
        default=Value(1),
    )


def current_posts_prefetch() -> Prefetch[Any]:
    return Prefetch(
        "posts",
        queryset=Post.objects.filter(end_date__isnull=True).select_related("organisation"),
        to_attr="current_posts",
    )


def people_for(
    user: Any,
    *,
    q: str = "",
    filters: dict[str, Any] | None = None,
    action: Action = Action.PERSON_VIEW,
) -> QuerySet[Person]:
    qs = policy.scope(user, action, Person.objects.all())
    if q:
        condition = name_query(q)
        if idnumber.is_valid(q):
            # Search by ID number only where the user may read ID numbers.
            protected = policy.scope(user, Action.PERSON_VIEW_PROTECTED, Person.objects.all())
            condition |= Q(id_number=idnumber.normalise(q), pk__in=protected.values("pk"))
        qs = qs.filter(condition)
    filters = filters or {}
    if filters.get("registry"):
        qs = qs.filter(registry=filters["registry"])
    if filters.get("gender"):
        qs = qs.filter(gender=filters["gender"])
    if filters.get("status") == "retired":
        qs = qs.filter(retired_on__isnull=False)
    elif filters.get("status") == "serving":
        qs = qs.filter(retired_on__isnull=True)
    if filters.get("organisation"):
        org = filters["organisation"]
        qs = qs.filter(
            posts__organisation__path__startswith=org.path, posts__end_date__isnull=True
        ).distinct()
    return qs.select_related("registry").prefetch_related(current_posts_prefetch())


def person_detail_for(user: Any) -> QuerySet[Person]:
    return policy.scope(user, Action.PERSON_VIEW, Person.objects.all()).select_related(
        "registry", "hometown"
    )


def users_for(user: Any) -> QuerySet[User]:
    return policy.scope(user, Action.USER_VIEW, User.objects.all()).select_related("person")


def grants_of(target: User) -> QuerySet[RoleGrant]:
    return target.grants.select_related("organisation", "granted_by").order_by("revoked_at", "role")


def audit_events_for(user: Any) -> QuerySet[AuditEvent]:
    return policy.scope(user, Action.AUDIT_VIEW, AuditEvent.objects.all())


def jobs_for(user: Any) -> QuerySet[JobRun]:
    return policy.scope(user, Action.ORGANISATION_VIEW, JobRun.objects.all())


def dashboard_statistics(user: Any) -> dict[str, Any]:
    """Counts and chart series over what the user may see (a few grouped queries)."""
    orgs = policy.scope(user, Action.ORGANISATION_VIEW, Organisation.objects.filter(is_active=True))
    by_kind = dict(orgs.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    by_committee = (
        orgs.filter(committee__isnull=False)
        .exclude(committee=F("pk"))
        .values("committee__name", "kind")
        .annotate(n=Count("id"))
        .order_by("committee__name")
    )
    committees: list[str] = []
    series: dict[str, dict[str, int]] = {}
    for row in by_committee:
        name = row["committee__name"]
        if name not in committees:
            committees.append(name)
        series.setdefault(row["kind"], {})[name] = row["n"]
    people_count = 0
    people_by_registry: list[dict[str, Any]] = []
    if policy.can(user, Action.PERSON_VIEW):
        people = policy.scope(user, Action.PERSON_VIEW, Person.objects.all())
        people_by_registry = list(
            people.values("registry__name").annotate(n=Count("id")).order_by("registry__name")
        )
        people_count = sum(r["n"] for r in people_by_registry)
    return {
        "organisations_by_kind": by_kind,
        "organisation_count": sum(by_kind.values()),
        "committees": committees,
        "series": series,
        "people_count": people_count,
        "people_by_registry": people_by_registry,
    }


# -- settings a committee inherits from the committees above it ---------------------------------


def ancestor_ids(path: str) -> list[int]:
    """The organisation ids along a materialised path, root first (the last is the node)."""
    return [int(part) for part in path.strip("/").split("/") if part]


def nearest_setting(model: type[Any], committee: Organisation) -> Any | None:
    """The row of ``model`` (keyed by ``committee``) of the committee itself, else of the
    nearest committee above it; None when no committee on the way up has one."""
    ids = ancestor_ids(committee.path) or [committee.pk]
    rows = {r.committee_id: r for r in model._default_manager.filter(committee_id__in=ids)}
    return next((rows[i] for i in reversed(ids) if i in rows), None)


def setting_origin(effective: Any, committee: Organisation) -> str:
    """Where an effective setting comes from, for the settings pages."""
    if effective.pk is None:
        return "defaults"
    return "own" if effective.committee_id == committee.pk else "inherited"
