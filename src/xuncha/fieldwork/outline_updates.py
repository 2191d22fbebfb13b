"""Outlines follow new problems and clues.

``on_record_saved`` listens to ``clues.signals.record_saved`` (connected in ``apps.py``),
which the clue services send inside their transaction whenever a problem or clue is
recorded, changed, re-kinded, merged or closed. For every team of the record's round that
has the record's target among its targets, the outlines of the planned talks at that target
are regenerated (a record moved to another target refreshes its new target only; the old
one catches up on its next change). Where questions changed the interviewee shows what
changed, the team's members with accounts get a notice linking to the list, and the update
is audited with the record's author as the actor (the signal does not say who changed it).

It must never break the clue service: the work is a few queries per team (no network, no
job), and it runs in a savepoint, so a failure here is logged (without personal data) and
the record is saved all the same; the outlines then catch up on the next change.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.urls import reverse

from xuncha.core import audit
from xuncha.core.lib.text import Text, gettext_noop
from xuncha.core.models import AuditEventType as E

log = logging.getLogger(__name__)


def _cause(record: Any, created: bool) -> Text:
    from xuncha.clues.models import Kind

    if record.kind == Kind.PROBLEM:
        template = (
            gettext_noop("problem %(record)s recorded")
            if created
            else gettext_noop("problem %(record)s changed")
        )
    else:
        template = (
            gettext_noop("clue %(record)s recorded")
            if created
            else gettext_noop("clue %(record)s changed")
        )
    return Text(template, record=record.number)


def update_for_record(record: Any, created: bool) -> int:
    """Refresh the outlines a record touches; the number of outlines that changed."""
    from xuncha.fieldwork import common, planning_services
    from xuncha.fieldwork.models import Interviewee
    from xuncha.rounds.models import Team

    teams = Team.objects.filter(round_id=record.round_id, targets=record.target_id).select_related(
        "round"
    )
    total = 0
    for team in teams:
        if not Interviewee.objects.filter(
            team=team, target_id=record.target_id, status=Interviewee.Status.PLANNED
        ).exists():
            continue
        changed = planning_services.refresh_outlines(
            team, record.target, cause=_cause(record, created)
        )
        if not changed:
            continue
        total += changed
        users = [s.user for s in common.seats(team) if s.user is not None]
        common.notify(
            users,
            team,
            Text(
                gettext_noop("Outlines of %(count)s planned talks changed after %(record)s"),
                count=changed,
                record=record.number,
            ),
            url=reverse("fieldwork:interviewees", args=[team.pk]),
        )
        audit.record(
            actor=record.created_by,
            event_type=E.FIELDWORK_OUTLINES_UPDATED,
            obj=team,
            after={"record": record.number, "target": record.target_id, "changed": changed},
        )
    return total


def on_record_saved(sender: Any, record: Any, created: bool, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            update_for_record(record, created)
    except Exception:
        # Never break the clue service; the outlines catch up on the next change.
        log.exception("outline update failed for record %s", getattr(record, "pk", None))
