"""The clue registry's actions and scopes, registered with the one policy.

Who sees what (issue #5):
- a team sees its own round's records: a team role's grant lies on the units the team
  inspects, and the user must hold a role in that round (the talent app's role history);
  records marked *restricted* are read by the round's leader and deputies only;
- the office sees every record of its committee (and of committees below it);
- a receiving department sees only what was transferred to it;
- the leading group sees statistics; records only where another grant gives them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q

from xuncha.core import policy
from xuncha.core.models import Role

CLUE_VIEW = "clue.view"
CLUE_CHANGE = "clue.change"  # record, edit, add evidence, review, merge, raise to a clue
CLUE_DECIDE = "clue.decide"  # confirm or dismiss
CLUE_TRANSFER = "clue.transfer"  # transfer packages, closure, routing and deadlines
CLUE_RECEIVE = "clue.receive"  # a receiving department: receipt and disposal
CLUE_STATISTICS = "clue.statistics"

_TEAM = {CLUE_VIEW, CLUE_CHANGE}
ROLES = {
    Role.OFFICE_STAFF: {
        CLUE_VIEW,
        CLUE_CHANGE,
        CLUE_DECIDE,
        CLUE_TRANSFER,
        CLUE_STATISTICS,
    },
    Role.LEADING_GROUP: {CLUE_STATISTICS},
    Role.TEAM_LEADER: {*_TEAM, CLUE_DECIDE},
    Role.DEPUTY_LEADER: {*_TEAM, CLUE_DECIDE},
    Role.TEAM_MEMBER: _TEAM,
    Role.RECEIVING_DEPARTMENT: {CLUE_RECEIVE},
}

LEADING_ROLES = ("leader", "deputy")


def _round_roles(user: Any, leading_only: bool = False) -> Q:
    """Rounds in which the user's person holds a team role (leader/deputy if asked)."""
    from xuncha.talent.models import RoundRole

    person_id = getattr(user, "person_id", None)
    if person_id is None:
        return Q(pk__in=[])
    roles = RoundRole.objects.filter(round=OuterRef("round"), profile__person_id=person_id)
    if leading_only:
        roles = roles.filter(role__in=LEADING_ROLES)
    return Q(Exists(roles))


def scope_record(paths: list[str], user: Any) -> Q:
    office = policy.path_q("round__committee__path", paths)
    team = policy.path_q("target__path", paths) & _round_roles(user)
    ordinary = Q(confidentiality="ordinary")
    leading = _round_roles(user, leading_only=True)
    return office | (team & (ordinary | leading))


def scope_received(paths: list[str], user: Any) -> Q:
    return policy.path_q("transfer__department__path", paths)


def scope_committee(paths: list[str], user: Any) -> Q:
    return policy.path_q("round__committee__path", paths)


def scope_transfer_department(paths: list[str], user: Any) -> Q:
    return policy.path_q("department__path", paths)


def register() -> None:
    from xuncha.clues.models import Document, Record, Transfer

    policy.extend_roles({str(role): actions for role, actions in ROLES.items()})
    policy.register_scope(Record, scope_record)
    policy.register_scope(Record, scope_received, action=CLUE_RECEIVE)
    for action in (CLUE_TRANSFER, CLUE_STATISTICS):
        policy.register_scope(Record, scope_committee, action=action)
    policy.register_scope(Transfer, scope_committee)
    policy.register_scope(Transfer, scope_transfer_department, action=CLUE_RECEIVE)
    policy.register_scope(Document, lambda paths, user: policy.path_q("target__path", paths))


def recordable_targets(user: Any, round_: Any, targets: Any) -> list[Any]:
    """Of ``targets``, those on which ``user`` may record a problem or clue in ``round_``:
    every target for the office of the round's committee; for a team role, the targets its
    grant covers, if its person holds a role in the round (one query, not one a target)."""
    from xuncha.talent.models import RoundRole

    paths = policy.grant_paths(user).get(CLUE_CHANGE, [])
    targets = list(targets)
    if any(round_.committee.path.startswith(p) for p in paths):
        return targets
    covered = [t for t in targets if any(t.path.startswith(p) for p in paths)]
    person_id = getattr(user, "person_id", None)
    if not covered or person_id is None:
        return []
    in_round = RoundRole.objects.filter(round=round_, profile__person_id=person_id).exists()
    return covered if in_round else []


def may_record(user: Any, round_: Any, target: Any) -> bool:
    return bool(recordable_targets(user, round_, [target]))
