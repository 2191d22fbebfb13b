"""The talent app's actions and scopes, registered with the one policy."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from xuncha.core import policy
from xuncha.core.models import Role

TALENT_VIEW = "talent.view"
TALENT_CHANGE = "talent.change"
TEAM_FORM = "talent.form"  # form a round's teams, relax rules, accept and export rosters
TEAM_RULES = "talent.rules"  # a committee's recusal and formation rules
# Evaluate the members of a team after the round: the office of the round's committee
# (EVALUATE on the committee), or the team's own leader (EVALUATE_TEAM on a unit the team
# inspects, and the leader's role on that team: see ``selectors.may_evaluate``). Two
# actions, so a county office's grant on its county does not reach the teams of a
# prefecture's cross round that inspect units there.
EVALUATE = "talent.evaluate"
EVALUATE_TEAM = "talent.evaluate_team"

ROLES = {
    Role.OFFICE_STAFF: {TALENT_VIEW, TALENT_CHANGE, TEAM_FORM, TEAM_RULES, EVALUATE},
    Role.LEADING_GROUP: {TALENT_VIEW},
    # A leader's grant is on the units the team inspects: they evaluate the team they lead.
    Role.TEAM_LEADER: {EVALUATE_TEAM},
}


def scope_profile(paths: list[str], user: Any) -> Q:
    """A county's inspectors are visible to that county and to the prefecture office (whose
    grant covers every county): the prefecture pool is shared by its counties."""
    return policy.path_q("county__path", paths)


def register() -> None:
    from xuncha.talent.models import InspectorProfile

    policy.extend_roles({str(role): actions for role, actions in ROLES.items()})
    policy.register_scope(InspectorProfile, scope_profile)
