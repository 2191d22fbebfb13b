"""The public channel's actions and scopes, registered with the one policy.

Who sees what (issue #6):
- a team reads and works its own channel: the user's person holds a role in that team
  (the talent app's role history);
- the submitter's identity is read by the team's leader and deputies and by the office;
- the office of the round's committee (or a committee above it) reads every channel of
  its rounds and sets channels up; a team leader sets up the own team's channel.
Reading content also needs the report key, which only users the key was sealed to can
open (services.recipients): the policy says who *may*, the key proves who *can*.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q

from xuncha.core import policy
from xuncha.core.models import Role

INTAKE_VIEW = "intake.view"  # the inbox, report contents, attachments, the calendar
INTAKE_CHANGE = "intake.change"  # classify, assign, reply, forward, merge, turn into clues
INTAKE_IDENTITY = "intake.identity"  # the submitter's identity
INTAKE_CHANNEL = "intake.channel"  # channel settings, opening, the poster

_TEAM = {INTAKE_VIEW, INTAKE_CHANGE}
ROLES = {
    Role.OFFICE_STAFF: {INTAKE_VIEW, INTAKE_CHANGE, INTAKE_IDENTITY, INTAKE_CHANNEL},
    Role.TEAM_LEADER: {*_TEAM, INTAKE_IDENTITY, INTAKE_CHANNEL},
    Role.DEPUTY_LEADER: {*_TEAM, INTAKE_IDENTITY},
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
    def build(paths: list[str], user: Any) -> Q:
        office = policy.path_q(f"{prefix}round__committee__path", paths)
        team_field = prefix.removesuffix("__") or "pk"
        return office | _in_team(user, team_field, roles)

    return build


def register() -> None:
    from xuncha.intake.models import Appointment, Attachment, Channel, Report
    from xuncha.rounds.models import Team

    policy.extend_roles({str(role): actions for role, actions in ROLES.items()})
    policy.register_scope(Channel, _builder("team__"))
    policy.register_scope(Channel, _builder("team__", ("leader",)), action=INTAKE_CHANNEL)
    policy.register_scope(Report, _builder("channel__team__"))
    policy.register_scope(
        Report, _builder("channel__team__", LEADING_ROLES), action=INTAKE_IDENTITY
    )
    policy.register_scope(Attachment, _builder("report__channel__team__"))
    policy.register_scope(Appointment, _builder("team__"))
    for action in (INTAKE_VIEW, INTAKE_CHANGE, INTAKE_CHANNEL):
        policy.register_scope(
            Team,
            _builder("", ("leader",) if action == INTAKE_CHANNEL else ()),
            action=action,
        )


def may_read_identity(user: Any, report: Any) -> bool:
    return policy.allows(user, INTAKE_IDENTITY, report)
