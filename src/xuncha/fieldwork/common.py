"""Helpers shared by fieldwork's pages and services: the team a page is about, the team's
people, notices to the leader and the office, a service's refusal shown on a page, and the
problems and clues an activity or a record is (or may be) evidence of."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from xuncha.core import audit, policy
from xuncha.core.forms import errors_to_form as errors_to_form  # the views use it from here
from xuncha.core.lib.text import Text
from xuncha.core.models import AuditEventType, Person, Role, User
from xuncha.fieldwork import permissions
from xuncha.fieldwork.models import Notice
from xuncha.rounds.models import Team

M = TypeVar("M", bound=models.Model)


def team_or_404(user: Any, team_pk: int, action: str = permissions.FIELDWORK_VIEW) -> Team:
    """The team, if ``user`` may see its fieldwork (404 otherwise); ``action`` is then
    required on it (403)."""
    team = get_object_or_404(
        policy.scope(
            user,
            permissions.FIELDWORK_VIEW,
            Team.objects.select_related("round", "round__committee"),
        ),
        pk=team_pk,
    )
    if action != permissions.FIELDWORK_VIEW:
        policy.require(user, action, team)
    return team


def object_or_404(
    user: Any, queryset: models.QuerySet[M], pk: int, action: str = permissions.FIELDWORK_VIEW
) -> M:
    """An object of a team-scoped model (404 when not visible; 403 without ``action``)."""
    obj = get_object_or_404(policy.scope(user, permissions.FIELDWORK_VIEW, queryset), pk=pk)
    if action != permissions.FIELDWORK_VIEW:
        policy.require(user, action, obj)
    return obj


def audit_export(actor: User, team: Team, **details: Any) -> None:
    """The audit event of a list of the team's fieldwork leaving the system; ``details``
    are ``audit.record``'s ``extra`` (or ``after``), as each export records them."""
    audit.record(actor=actor, event_type=AuditEventType.FIELDWORK_EXPORTED, obj=team, **details)


def refused(request: HttpRequest, exc: ValidationError) -> None:
    """A service's refusal, as error messages on the next page."""
    for message in exc.messages:
        messages.error(request, message)


def evidence_links(user: Any, obj: models.Model) -> list[Any]:
    """The links that make ``obj`` (an activity, an interview record) evidence of a problem
    or clue, of the problems and clues ``user`` may see."""
    from xuncha.clues import permissions as clue_permissions
    from xuncha.clues.models import EvidenceLink, Record

    visible = policy.scope(user, clue_permissions.CLUE_VIEW, Record.objects.all())
    return list(
        EvidenceLink.objects.filter(
            content_type=ContentType.objects.get_for_model(obj),
            object_id=str(obj.pk),
            record__in=visible,
        ).select_related("record")
    )


def open_problems(user: Any, team: Team) -> Any:
    """The open problems and clues of the team's round that ``user`` may change (link
    evidence to), unordered."""
    from xuncha.clues import permissions as clue_permissions
    from xuncha.clues.models import Record
    from xuncha.clues.services import OPEN

    return policy.scope(
        user,
        clue_permissions.CLUE_CHANGE,
        Record.objects.filter(round=team.round_id, status__in=OPEN, merged_into__isnull=True),
    )


@dataclass(frozen=True)
class Seat:
    person: Person
    role: str  # talent RoundRole.Role: leader / deputy / member
    user: User | None

    @property
    def leading(self) -> bool:
        return self.role in permissions.LEADING_ROLES


_ROLE_ORDER = {"leader": 0, "deputy": 1, "member": 2}


def seats(team: Team) -> list[Seat]:
    """The team's members (from the talent app's role history): leader, deputies, members."""
    from xuncha.talent.models import RoundRole

    rows = RoundRole.objects.filter(team=team).select_related("profile__person")
    people = [(r.profile.person, r.role) for r in rows]
    users = {
        u.person_id: u
        for u in User.objects.filter(person__in=[p for p, _ in people], is_active=True)
    }
    out = [Seat(person=p, role=role, user=users.get(p.pk)) for p, role in people]
    out.sort(key=lambda s: (_ROLE_ORDER.get(s.role, 9), s.person.name, s.person.pk))
    return out


def member_ids(team: Team) -> set[int]:
    """Person ids of the team's members."""
    from xuncha.talent.models import RoundRole

    return set(RoundRole.objects.filter(team=team).values_list("profile__person_id", flat=True))


def person_of(user: Any) -> Person | None:
    return getattr(user, "person", None) if getattr(user, "person_id", None) else None


def leaders_and_office(team: Team) -> list[User]:
    """Who hears of what needs the leader: the team's leader and deputies (with accounts)
    and the office staff of the round's committee and the committees above it."""
    from xuncha.core.selectors import ancestor_ids

    leading = [s.user for s in seats(team) if s.leading and s.user is not None]
    office = User.objects.filter(
        is_active=True,
        grants__role=Role.OFFICE_STAFF,
        grants__revoked_at__isnull=True,
        grants__organisation_id__in=ancestor_ids(team.round.committee.path),
    ).distinct()
    seen: dict[int, User] = {}
    for user in [*leading, *office]:
        seen.setdefault(user.pk, user)
    return list(seen.values())


def notify(users: Iterable[User], team: Team, text: Text, url: str = "") -> int:
    """One notice per user (no personal data beyond what the team already sees)."""
    notices = [Notice(user=u, team=team, text=text.to_json(), url=url) for u in users]
    Notice.objects.bulk_create(notices)
    return len(notices)


# The team's fieldwork pages, in the order of the tabs (template fieldwork/_tabs.html).
def _tabs() -> tuple[tuple[str, Any, str], ...]:
    from django.utils.translation import gettext_lazy as _

    return (
        ("overview", _("Overview"), "fieldwork:team"),
        ("activities", _("Methods and activities"), "fieldwork:activities"),
        ("coverage", _("Coverage"), "fieldwork:coverage"),
        ("interviewees", _("Who to talk to"), "fieldwork:interviewees"),
        ("schedule", _("Talk schedule"), "fieldwork:schedule"),
        ("records", _("Interview records"), "fieldwork:records"),
        ("papers", _("Working papers"), "fieldwork:papers"),
        ("interference", _("Interference register"), "fieldwork:interference"),
    )


def tabs(team: Team, active: str) -> list[dict[str, Any]]:
    """Context for ``fieldwork/_tabs.html``: every page of the team that exists."""
    from django.urls import NoReverseMatch, reverse

    out = []
    for key, label, name in _tabs():
        try:
            url = reverse(name, args=[team.pk])
        except NoReverseMatch:
            continue
        out.append({"key": key, "label": label, "url": url, "active": key == active})
    return out
