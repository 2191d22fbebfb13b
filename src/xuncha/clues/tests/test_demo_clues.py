"""The clue registry's demo (loaded with the session's small demo prefecture): a repeated
complaint for the duplicate detector, records in every state, the handover to the
discipline commission with a disposal and an overdue transfer, and who sees them."""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import pytest

from xuncha.clues import selectors
from xuncha.clues.lib import dedup
from xuncha.clues.models import (
    Confidentiality,
    Discipline,
    Disposal,
    DisposalMethod,
    EvidenceLink,
    HandoverSettings,
    Kind,
    Record,
    Reminder,
    Source,
    Status,
)
from xuncha.core.demo.generator import REFERENCE_DATE
from xuncha.core.models import AuditEventType, Organisation, Post
from xuncha.rounds.models import Round
from xuncha.talent.models import RoundRole


@pytest.fixture
def seat(db: Any, user_named: Any) -> RoundRole:
    """The member persona's role in the round under way, on the team of its grant's unit."""
    member = user_named("member")
    return RoundRole.objects.select_related("round", "team").get(
        profile__person=member.person, team__targets=member.grants.get().organisation
    )


@pytest.fixture
def round_(seat: RoundRole) -> Round:
    return seat.round


@pytest.fixture
def records(round_: Round) -> list[Record]:
    """The clue registry's demo records (the fieldwork demo records one more clue later,
    to show outlines following it)."""
    from xuncha.fieldwork.tests.demo_state import DEMO_CLUE_TITLE

    mine = Record.objects.filter(round=round_).exclude(title=DEMO_CLUE_TITLE)
    return list(mine.prefetch_related("subjects", "topics"))


def test_handover_settings_of_county_one(user_named: Any) -> None:
    county = Organisation.objects.get(code="C01")
    row = HandoverSettings.objects.get(committee=county)
    assert row.discipline_commission == user_named("receiver").grants.get().organisation
    assert row.discipline_commission.name.endswith("纪委监委")
    assert row.organisation_department.name.endswith("县组织部")
    assert row.organisation_department.parent == county


def test_records_on_the_team_targets_by_its_accounts(
    records: list[Record], seat: RoundRole, user_named: Any
) -> None:
    assert 10 <= len(records) <= 20
    targets = set(seat.team.targets.values_list("pk", flat=True))
    assert {r.target_id for r in records} <= targets
    assert {r.team_id for r in records} == {seat.team_id}
    authors = {r.created_by.username for r in records}
    assert authors == {"member", "leader"}
    # Every discipline and most topics.
    assert {r.discipline for r in records} == set(Discipline.values)
    assert len({t.code for r in records for t in r.topics.all()}) >= 6
    assert len({r.source for r in records}) >= 6
    # Subjects: people holding posts in the target, and names nobody resolved yet.
    subjects = [s for r in records for s in r.subjects.all()]
    linked = [s for s in subjects if s.person_id is not None]
    assert linked and any(s.person_id is None for s in subjects)
    for s in linked:
        assert Post.objects.filter(
            person=s.person, organisation__in=targets, end_date=None
        ).exists()


def test_status_mix(records: list[Record]) -> None:
    statuses = Counter(r.status for r in records)
    assert statuses == {
        Status.NEW: 6,
        Status.REVIEW: 2,
        Status.CONFIRMED: 3,
        Status.DISMISSED: 1,
        Status.TRANSFERRED: 1,
        Status.DISPOSAL_REPORTED: 1,
        Status.CLOSED: 2,
    }
    dismissed = next(r for r in records if r.status == Status.DISMISSED)
    assert "不属实" in dismissed.status_reason
    # A problem raised to a clue, with the reason on its timeline.
    raised = [r for r in records if r.timeline.filter(event_type=AuditEventType.CLUE_KIND).exists()]
    assert len(raised) == 1 and raised[0].kind == Kind.CLUE
    # A fast-track matter settled in the round and closed.
    fast = [r for r in records if r.fast_track]
    assert len(fast) == 1 and fast[0].status == Status.CLOSED and fast[0].transfer_id is None
    # Confirmed problems stay for rectification; a confirmed cadre-selection clue waits
    # for the organisation department.
    confirmed = [r for r in records if r.status == Status.CONFIRMED]
    assert {(r.kind, r.route) for r in confirmed} == {
        (Kind.PROBLEM, "rectification"),
        (Kind.CLUE, "organisation_department"),
    }


def test_a_repeated_complaint_the_detector_finds(records: list[Record]) -> None:
    repeated = [r for r in records if r.title.endswith(("公车私用", "私用公车", "公车私用问题"))]
    assert len(repeated) == 3
    assert all(r.is_open and r.merged_into_id is None for r in repeated)
    assert {r.source for r in repeated} == {Source.LETTER, Source.PHONE, Source.INTERVIEW}
    assert len({r.description for r in repeated}) == 3  # reworded, not copied
    assert len({frozenset(s.key for s in r.subjects.all()) for r in repeated}) == 1
    for a, b in itertools.combinations(repeated, 2):
        match = dedup.compare(selectors.as_doc(a), selectors.as_doc(b))
        assert match.score >= dedup.DEFAULT_THRESHOLD, (a.description, b.description, match)
    # The other records are not taken for duplicates of it.
    others = [r for r in records if r not in repeated]
    for other in others:
        match = dedup.compare(selectors.as_doc(repeated[0]), selectors.as_doc(other))
        assert match.score < dedup.DEFAULT_THRESHOLD, (other.title, match)


def test_a_received_transfer_with_a_disposal_and_a_closure(
    records: list[Record], user_named: Any
) -> None:
    commission = user_named("receiver").grants.get().organisation
    reported = next(r for r in records if r.status == Status.DISPOSAL_REPORTED)
    transfer = reported.transfer
    assert transfer.department == commission and transfer.received_at is not None
    assert transfer.received_by == user_named("receiver")
    disposal = Disposal.objects.get(record=reported)
    assert disposal.method == DisposalMethod.TALK
    closed = transfer.records.exclude(pk=reported.pk).get()
    assert closed.status == Status.CLOSED and closed.disposals.exists()
    assert not Reminder.objects.filter(record__transfer=transfer).exists()


def test_an_old_transfer_is_flagged_overdue(records: list[Record], user_named: Any) -> None:
    waiting = next(r for r in records if r.status == Status.TRANSFERRED)
    transfer = waiting.transfer
    assert transfer.department == user_named("receiver").grants.get().organisation
    assert transfer.received_at is None and not waiting.disposals.exists()
    assert transfer.report_due < REFERENCE_DATE < transfer.close_due
    reminder = Reminder.objects.get(record=waiting)
    assert (reminder.deadline, reminder.due) == (Reminder.Deadline.REPORT, transfer.report_due)
    assert waiting.timeline.filter(event_type=AuditEventType.CLUE_OVERDUE).exists()


def test_briefings_are_linked_as_evidence(records: list[Record]) -> None:
    links = EvidenceLink.objects.filter(record__in=records, content_type__model="briefing")
    assert links.count() == 2
    assert all(link.excerpt for link in links)


def test_the_member_sees_the_round_records_and_leaders_the_restricted_one(
    records: list[Record], round_: Round, user_named: Any
) -> None:
    from xuncha.fieldwork.tests.demo_state import DEMO_CLUE_TITLE

    seen = set(
        selectors.records_for(user_named("member"))
        .filter(round=round_)
        .exclude(title=DEMO_CLUE_TITLE)
        .values_list("pk", flat=True)
    )
    ordinary = {r.pk for r in records if r.confidentiality == Confidentiality.ORDINARY}
    restricted = {r.pk for r in records} - ordinary
    assert len(restricted) == 1
    assert seen == ordinary
    for leading in ("leader", "deputy", "office_c1"):
        visible = (
            selectors.records_for(user_named(leading))
            .filter(round=round_)
            .exclude(title=DEMO_CLUE_TITLE)
        )
        assert set(visible.values_list("pk", flat=True)) == ordinary | restricted
