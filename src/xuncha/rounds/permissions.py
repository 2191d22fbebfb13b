"""The rounds app's actions and scopes, registered with the one policy in ``core.policy``."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q

from xuncha.core import policy
from xuncha.core.models import Role

ROUND_VIEW = "round.view"
ROUND_CHANGE = "round.change"
TERM_VIEW = "term.view"
TERM_CHANGE = "term.change"
BRIEFING_VIEW = "briefing.view"
BRIEFING_REQUEST = "briefing.request"
BRIEFING_SUBMIT = "briefing.submit"
PROFILE_VIEW = "profile.view"

ROLES = {
    Role.OFFICE_STAFF: {
        ROUND_VIEW,
        ROUND_CHANGE,
        TERM_VIEW,
        TERM_CHANGE,
        BRIEFING_VIEW,
        BRIEFING_REQUEST,
        BRIEFING_SUBMIT,
        PROFILE_VIEW,
    },
    Role.LEADING_GROUP: {ROUND_VIEW, TERM_VIEW, PROFILE_VIEW},
    Role.TEAM_LEADER: {ROUND_VIEW, BRIEFING_VIEW, PROFILE_VIEW},
    Role.DEPUTY_LEADER: {ROUND_VIEW, BRIEFING_VIEW, PROFILE_VIEW},
    Role.TEAM_MEMBER: {ROUND_VIEW, BRIEFING_VIEW, PROFILE_VIEW},
    Role.LIAISON: {ROUND_VIEW},
    # A receiving department answers the requests addressed to it, nothing more.
    Role.RECEIVING_DEPARTMENT: {BRIEFING_SUBMIT},
}


def scope_term(paths: list[str], user: Any) -> Q:
    return policy.path_q("committee__path", paths)


def scope_round(paths: list[str], user: Any) -> Q:
    """A round is visible where its committee is in scope, or one of its teams' targets is
    (a team member's grant is on the unit the team inspects)."""
    from xuncha.rounds.models import Team

    teams = Team.objects.filter(policy.path_q("targets__path", paths), round=OuterRef("pk"))
    return policy.path_q("committee__path", paths) | Q(Exists(teams))


def scope_by_target(paths: list[str], user: Any) -> Q:
    """Requests and briefings are read where their target is in scope (office, team)."""
    return policy.path_q("target__path", paths)


def scope_by_department(paths: list[str], user: Any) -> Q:
    """A department answers only what was addressed to it (or to a unit below it)."""
    return policy.path_q("department__path", paths)


def register() -> None:
    from xuncha.rounds.models import Briefing, BriefingRequest, CommitteeTerm, Round

    policy.extend_roles({str(role): actions for role, actions in ROLES.items()})
    policy.register_scope(CommitteeTerm, scope_term)
    policy.register_scope(Round, scope_round)
    for model in (BriefingRequest, Briefing):
        policy.register_scope(model, scope_by_target)
        policy.register_scope(model, scope_by_department, action=BRIEFING_SUBMIT)
