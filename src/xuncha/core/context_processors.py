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
    ("plan", _("Plan"), "rounds:term_list", "term.view"),
    ("teams", _("Teams"), "talent:pool", "talent.view"),
    ("stationing", _("Stationing"), "rounds:round_list", "round.view"),
    ("evidence", _("Evidence"), "fieldwork:evidence", "fieldwork.view"),
    ("clues", _("Clues"), "clues:list", "clue.view"),
    ("report", _("Report"), "reports:list", None),
    ("rectification", _("Rectification"), "rectify:list", None),
]

REGISTRY = [
    ("organisations", _("Organisations"), "core:organisation_list", Action.ORGANISATION_VIEW),
    ("people", _("People"), "core:person_list", Action.PERSON_VIEW),
    ("users", _("Accounts and roles"), "core:user_list", Action.USER_VIEW),
    ("audit", _("Audit log"), "core:audit_list", Action.AUDIT_VIEW),
    ("briefings", _("Briefing requests"), "rounds:briefing_inbox", "briefing.submit"),
    ("round_settings", _("Settings for rounds"), "rounds_settings:holidays", "term.change"),
    ("team_rules", _("Team rules"), "talent:team_rules", "talent.rules"),
    ("transfers", _("Clue transfers"), "clues:transfers", "clue.transfer"),
    ("overdue", _("Overdue clues"), "clues:overdue", "clue.transfer"),
    ("clue_inbox", _("Clues transferred to us"), "clues:inbox", "clue.receive"),
    ("clue_statistics", _("Clue statistics"), "clues:statistics", "clue.statistics"),
    ("public_inbox", _("Public channel inbox"), "intake:index", "intake.view"),
    ("keys", _("My key for public reports"), "intake:keys", "intake.view"),
    ("my_day", _("My talks today"), "fieldwork:my_day", "fieldwork.view"),
    ("methods", _("Methods of work"), "fieldwork:methods", "fieldwork.settings"),
    ("minimums", _("Coverage minimums"), "fieldwork:minimums", "fieldwork.settings"),
    ("questions", _("Question bank"), "fieldwork:questions", "fieldwork.settings"),
    ("datacheck", _("Data comparison"), "datacheck:index", "datacheck.view"),
    ("datacheck_rules", _("Comparison rules"), "datacheck:rules", "datacheck.rules"),
    (
        "handover_settings",
        _("Handover routing and deadlines"),
        "clues:handover_settings",
        "clue.transfer",
    ),
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
    # A stage links to its module when it exists and the user's roles include it.
    workflow = [
        {
            "key": k,
            "label": label,
            "url": _url(name) if action is None or policy.can(user, action) else None,
        }
        for k, label, name, action in WORKFLOW
    ]
    registry = [
        {"key": k, "label": label, "url": _url(name)}
        for k, label, name, action in REGISTRY
        if policy.can(user, action) and _url(name) is not None
    ]
    return {"nav_workflow": workflow, "nav_registry": registry}
