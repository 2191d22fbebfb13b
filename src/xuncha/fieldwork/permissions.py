"""Fieldwork's actions and scopes, registered with the one policy.

Who sees what (issue #7): activities, interview plans, outlines, the schedule, interview
records, working papers and the interference register are read by the team and the office
only:
- a team works its own records: the user's person holds a role in that team (the talent
  app's role history) and the user holds a team role;
- the team leader (and deputies) approve covert visits, sign off working papers and
  acknowledge interference; an interview record is read by its team, each read audited;
- the office of the round's committee (or a committee above it) reads every team's records
  and keeps the methods, the coverage minimums and the question bank.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q

from xuncha.core import policy
from xuncha.core.models import Role

FIELDWORK_VIEW = "fieldwork.view"
FIELDWORK_CHANGE = "fieldwork.change"  # record activities, plan, schedule, write records
FIELDWORK_LEAD = "fieldwork.lead"  # sign off papers, approve covert visits, acknowledge
FIELDWORK_SETTINGS = "fieldwork.settings"  # methods, minimums, the question bank

_TEAM = {FIELDWORK_VIEW, FIELDWORK_CHANGE}
ROLES = {
    Role.OFFICE_STAFF: {FIELDWORK_VIEW, FIELDWORK_CHANGE, FIELDWORK_LEAD, FIELDWORK_SETTINGS},
    Role.TEAM_LEADER: {*_TEAM, FIELDWORK_LEAD},
    Role.DEPUTY_LEADER: {*_TEAM, FIELDWORK_LEAD},
    Role.TEAM_MEMBER: _TEAM,
}

LEADING_ROLES = ("leader", "deputy")


def _in_team(user: Any, team_field: str, roles: tuple[str, ...] = ()) -> Q:
    from xuncha.talent.models import RoundRole

    person_id = getattr(user, "person_id", None)
    if person_id is None:
        return Q(pk__in=[])
    seats = RoundRole.objects.filter(team=OuterRef(team_field), profile__person_id=person_id)
    if roles:
        seats = seats.filter(role__in=roles)
    return Q(Exists(seats))


def _builder(prefix: str, roles: tuple[str, ...] = ()) -> Any:
    """Office of the round's committee, or a seat in the team (with one of ``roles``)."""

    def build(paths: list[str], user: Any) -> Q:
        office = policy.path_q(f"{prefix}round__committee__path", paths)
        team_field = prefix.removesuffix("__") or "pk"
        return office | _in_team(user, team_field, roles)

    return build


def register() -> None:
    from xuncha.fieldwork import models as m
    from xuncha.rounds.models import Team

    policy.extend_roles({str(role): actions for role, actions in ROLES.items()})
    for model in (
        m.Activity,
        m.Interviewee,
        m.SampleDraw,
        m.Room,
        m.Absence,
        m.ScheduleRun,
        m.Talk,
        m.InterviewRecord,
        m.WorkingPaper,
        m.Interference,
    ):
        policy.register_scope(model, _builder("team__"))
        policy.register_scope(model, _builder("team__", LEADING_ROLES), action=FIELDWORK_LEAD)
    policy.register_scope(m.ActivityFile, _builder("activity__team__"))
    for action in (FIELDWORK_VIEW, FIELDWORK_CHANGE):
        policy.register_scope(Team, _builder(""), action=action)
    policy.register_scope(Team, _builder("", LEADING_ROLES), action=FIELDWORK_LEAD)
    # Settings: the office, on its committee's subtree (methods and the bank are shared).
    policy.register_scope(
        Team, lambda paths, user: policy.path_q("round__committee__path", paths), FIELDWORK_SETTINGS
    )


def may_lead(user: Any, team: Any) -> bool:
    return policy.allows(user, FIELDWORK_LEAD, team)
