"""The one permission policy: who may do what, where.

A user holds role grants, each on an organisation subtree. A role allows a set of
actions. ``allows`` answers for one object; ``scope`` restricts a queryset. Views never
filter by hand: they call ``scope`` (lists) or ``get_object_or_404`` on a scoped queryset
(details), and ``require`` before a change.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Exists, OuterRef, Q

from xuncha.core.models import (
    AuditEvent,
    JobRun,
    Organisation,
    Person,
    Post,
    Role,
    RoleGrant,
    User,
)


class Action(StrEnum):
    ORGANISATION_VIEW = "organisation.view"
    ORGANISATION_CHANGE = "organisation.change"
    PERSON_VIEW = "person.view"
    PERSON_CHANGE = "person.change"
    PERSON_VIEW_PROTECTED = "person.view_protected"
    PERSON_EXPORT = "person.export"
    USER_VIEW = "user.view"
    USER_CHANGE = "user.change"
    AUDIT_VIEW = "audit.view"
    STATISTICS_VIEW = "statistics.view"


A = Action
_READ = {A.ORGANISATION_VIEW, A.PERSON_VIEW}

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    # Administrators manage accounts and the tree; they do not read the audit log, so the
    # people who can change accounts are not the ones who check what was changed.
    Role.ADMIN: frozenset(
        {*_READ, A.ORGANISATION_CHANGE, A.USER_VIEW, A.USER_CHANGE, A.STATISTICS_VIEW}
    ),
    Role.OFFICE_STAFF: frozenset(
        {
            *_READ,
            A.ORGANISATION_CHANGE,
            A.PERSON_CHANGE,
            A.PERSON_VIEW_PROTECTED,
            A.PERSON_EXPORT,
            A.USER_VIEW,
            A.STATISTICS_VIEW,
        }
    ),
    Role.LEADING_GROUP: frozenset({*_READ, A.STATISTICS_VIEW}),
    Role.TEAM_LEADER: frozenset(_READ),
    Role.DEPUTY_LEADER: frozenset(_READ),
    Role.TEAM_MEMBER: frozenset(_READ),
    Role.LIAISON: frozenset(_READ),
    Role.RECEIVING_DEPARTMENT: frozenset({A.ORGANISATION_VIEW}),
    Role.AUDITOR: frozenset({A.ORGANISATION_VIEW, A.AUDIT_VIEW}),
}

_CACHE_ATTR = "_xuncha_grant_paths"


def extend_roles(extra: dict[str, set[str]]) -> None:
    """Let another app add its actions to roles (called once from its AppConfig.ready)."""
    for role, actions in extra.items():
        ROLE_ACTIONS[role] = frozenset(ROLE_ACTIONS.get(role, frozenset()) | set(actions))


def register_scope(
    model: type[models.Model], builder: Callable[[list[str], Any], Q], action: str | None = None
) -> None:
    """Let another app say how its model is scoped by organisation paths (for one action,
    or for every action without a rule of its own)."""
    if action is None:
        _SCOPES[model] = builder
    else:
        _ACTION_SCOPES[(model, action)] = builder


def grant_paths(user: Any) -> dict[str, list[str]]:
    """For each action, the organisation paths where the user may do it (cached per user)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return {}
    cached: dict[str, list[str]] | None = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    paths: dict[str, list[str]] = {}
    grants = RoleGrant.objects.filter(user=user, revoked_at__isnull=True).values_list(
        "role", "organisation__path"
    )
    for role, path in grants:
        for action in ROLE_ACTIONS.get(role, frozenset()):
            paths.setdefault(action, [])
            if path not in paths[action]:
                paths[action].append(path)
    # Keep only the top-most paths: a grant on a parent covers its subtree.
    for action, items in paths.items():
        items.sort(key=len)
        paths[action] = [
            p for i, p in enumerate(items) if not any(p.startswith(q) for q in items[:i])
        ]
    setattr(user, _CACHE_ATTR, paths)
    return paths


def forget(user: Any) -> None:
    """Drop the cached grants (after a grant changes for this user object)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def roles_of(user: Any) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(
        RoleGrant.objects.filter(user=user, revoked_at__isnull=True).values_list("role", flat=True)
    )


def can(user: Any, action: str) -> bool:
    """Whether the user may do ``action`` somewhere (for menus and list pages)."""
    return bool(grant_paths(user).get(action))


def path_q(field: str, paths: list[str]) -> Q:
    """Rows whose ``field`` (an organisation path) lies in any of the subtrees ``paths``."""
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field}__startswith": path})
    return q


def _scope_organisation(paths: list[str], user: Any) -> Q:
    return path_q("path", paths)


def _scope_person(paths: list[str], user: Any) -> Q:
    posts = Post.objects.filter(path_q("organisation__path", paths), person=OuterRef("pk"))
    return path_q("registry__path", paths) | Q(Exists(posts))


def _scope_user(paths: list[str], user: Any) -> Q:
    grants = RoleGrant.objects.filter(path_q("organisation__path", paths), user=OuterRef("pk"))
    return (
        Q(Exists(grants))
        | path_q("registry__path", paths)
        | path_q("person__registry__path", paths)
    )


def _scope_grant(paths: list[str], user: Any) -> Q:
    return path_q("organisation__path", paths)


def _scope_audit(paths: list[str], user: Any) -> Q:
    # The log is not split by organisation: an auditor reads all of it.
    return Q() if paths else Q(pk__in=[])


def _scope_job(paths: list[str], user: Any) -> Q:
    return Q(owner=user)


M = TypeVar("M", bound=models.Model)
_SCOPES: dict[type[models.Model], Callable[[list[str], Any], Q]] = {
    Organisation: _scope_organisation,
    Person: _scope_person,
    User: _scope_user,
    RoleGrant: _scope_grant,
    AuditEvent: _scope_audit,
    JobRun: _scope_job,
}


_ACTION_SCOPES: dict[tuple[type[models.Model], str], Callable[[list[str], Any], Q]] = {}


def scope(user: Any, action: str, queryset: models.QuerySet[M]) -> models.QuerySet[M]:
    """Restrict ``queryset`` to the rows ``user`` may ``action``."""
    model = queryset.model
    if model is JobRun:
        if not getattr(user, "is_authenticated", False):
            return queryset.none()
        return queryset.filter(_scope_job([], user))
    paths = grant_paths(user).get(action, [])
    if not paths:
        return queryset.none()
    try:
        builder = _ACTION_SCOPES.get((model, action)) or _SCOPES[model]
    except KeyError:
        raise LookupError(f"no scope rule for {model.__name__}") from None
    return queryset.filter(builder(paths, user))


def allows(user: Any, action: str, obj: models.Model) -> bool:
    """Whether ``user`` may ``action`` on ``obj``."""
    return scope(user, action, type(obj)._default_manager.filter(pk=obj.pk)).exists()


def allows_on_organisation(user: Any, action: str, organisation: Organisation) -> bool:
    """Whether a grant for ``action`` covers ``organisation`` (no query once cached)."""
    return any(organisation.path.startswith(p) for p in grant_paths(user).get(action, []))


def require(user: Any, action: str, obj: models.Model | None = None) -> None:
    """Raise PermissionDenied unless allowed (on ``obj``, or anywhere)."""
    allowed = can(user, action) if obj is None else allows(user, action, obj)
    if not allowed:
        raise PermissionDenied
