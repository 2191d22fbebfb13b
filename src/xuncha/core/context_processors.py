"""Navigation that follows the inspection workflow, filtered by the policy."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from xuncha.core import policy
from xuncha.core.policy import Action

# The stages of a round, in order (DOMAIN.md). A stage whose module has not landed yet is
# shown disabled, so the shape of the work is visible from the first day.
WORKFLOW = [
    ("plan", _("Plan"), "rounds:plan"),
    ("teams", _("Teams"), "talent:teams"),
    ("stationing", _("Stationing"), "rounds:stationing"),
    ("evidence", _("Evidence"), "fieldwork:evidence"),
    ("clues", _("Clues"), "clues:list"),
    ("report", _("Report"), "reports:list"),
    ("rectification", _("Rectification"), "rectify:list"),
]

REGISTRY = [
    ("organisations", _("Organisations"), "core:organisation_list", Action.ORGANISATION_VIEW),
    ("people", _("People"), "core:person_list", Action.PERSON_VIEW),
    ("users", _("Accounts and roles"), "core:user_list", Action.USER_VIEW),
    ("audit", _("Audit log"), "core:audit_list", Action.AUDIT_VIEW),
]


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    workflow = [{"key": k, "label": label, "url": _url(name)} for k, label, name in WORKFLOW]
    registry = [
        {"key": k, "label": label, "url": _url(name)}
        for k, label, name, action in REGISTRY
        if policy.can(user, action)
    ]
    return {"nav_workflow": workflow, "nav_registry": registry}
