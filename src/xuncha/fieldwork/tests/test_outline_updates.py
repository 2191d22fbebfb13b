"""Outlines follow new problems and clues: a clue recorded through the clue service updates
the outlines of planned talks (not of held ones), says what changed, notifies the team and
is audited; the team marks the change as seen; a failure never breaks the clue service."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from xuncha.clues import services as clue_services
from xuncha.clues.models import Kind
from xuncha.core.models import AuditEvent, AuditEventType
from xuncha.fieldwork import common
from xuncha.fieldwork import planning_services as ps
from xuncha.fieldwork.models import Interviewee, Notice
from xuncha.fieldwork.tests.test_planning import EN, Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def unit(team: Any) -> Unit:
    return Unit(team, name="青岚县提纲局")


def _clue(user: Any, unit: Unit, people: list[Any], title: str, **kwargs: Any) -> Any:
    return clue_services.record_create(
        actor=user,
        round_=unit.team.round,
        target=unit.org,
        team=unit.team,
        kind=kwargs.pop("kind", Kind.CLUE),
        title=title,
        description="反映的情况（虚构）。",
        source="letter",
        subjects=[clue_services.SubjectInput(p.name, person=p) for p in people],
        **kwargs,
    )


def test_a_new_clue_updates_planned_outlines_not_held_ones(unit: Unit, user_named: Any) -> None:
    office = user_named("office")
    member = user_named("member")
    planned_person = unit.person("钱测更", "会计", org=unit.finance, key=True)
    held_person = unit.person("孙测毕", "出纳", org=unit.finance, key=True)
    planned = ps.add_interviewee(
        actor=office, team=unit.team, target=unit.org, person=planned_person
    )
    held = ps.add_interviewee(actor=office, team=unit.team, target=unit.org, person=held_person)
    Interviewee.objects.filter(pk=held.pk).update(status=Interviewee.Status.HELD)
    held_outline = Interviewee.objects.get(pk=held.pk).outline
    notices_before = Notice.objects.filter(team=unit.team).count()

    record = _clue(member, unit, [planned_person, held_person], "账外资金往来（虚构）")

    planned.refresh_from_db()
    assert not planned.changes_seen
    keys = {q.key for q in ps.stored_outline(planned).from_items}  # type: ignore[union-attr]
    assert f"item:clue:{record.pk}:facts" in keys
    rendered = [ps.render(c) for c in planned.outline_changes]
    assert rendered[0] == f"clue {record.number} recorded"
    assert any(r.startswith("added: ") and "账外资金往来" in r for r in rendered[1:])
    # The held talk's outline stays as it was.
    assert Interviewee.objects.get(pk=held.pk).outline == held_outline
    # The team's members with accounts hear of it, with a link to the list.
    users = [s.user for s in common.seats(unit.team) if s.user is not None]
    new = Notice.objects.filter(team=unit.team).order_by("-pk")[: len(users)]
    assert Notice.objects.filter(team=unit.team).count() == notices_before + len(users)
    assert {n.user_id for n in new} == {u.pk for u in users}
    assert all(n.url == reverse("fieldwork:interviewees", args=[unit.team.pk]) for n in new)
    assert new[0].text["p"] == {"count": 1, "record": record.number}
    event = AuditEvent.objects.filter(
        event_type=AuditEventType.FIELDWORK_OUTLINES_UPDATED, object_id=str(unit.team.pk)
    ).latest("seq")
    assert event.actor_id == member.pk
    assert event.after["record"] == record.number and event.after["changed"] == 1

    # The page shows the change, the origin, and the team marks it as seen.
    client = _client(member)
    page = client.get(reverse("fieldwork:interviewee", args=[planned.pk]), **EN).content.decode()
    assert "账外资金往来" in page and record.number in page and 'data-testid="mark-seen"' in page
    listing = client.get(reverse("fieldwork:interviewees", args=[unit.team.pk]), **EN)
    assert 'data-testid="outline-changed"' in listing.content.decode()
    client.post(reverse("fieldwork:interviewee_seen", args=[planned.pk]), **EN)
    planned.refresh_from_db()
    assert planned.changes_seen
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.FIELDWORK_INTERVIEWEE_SET,
        object_id=str(planned.pk),
        after={"changes_seen": True},
    ).exists()


def _client(user: Any) -> Any:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_closing_a_clue_removes_its_questions(unit: Unit, user_named: Any) -> None:
    office = user_named("office")
    person = unit.person("李测关", "办公室主任", org=unit.office)
    iv = ps.add_interviewee(actor=office, team=unit.team, target=unit.org, person=person)
    record = _clue(office, unit, [person], "公车私用（虚构）")
    ps.mark_seen(actor=office, interviewee=Interviewee.objects.get(pk=iv.pk))
    clue_services.status_change(
        actor=office, record=record, to_status="dismissed", reason="查无实据（虚构）"
    )
    iv.refresh_from_db()
    assert not iv.changes_seen
    assert all(q.item_id != record.pk for q in ps.stored_outline(iv).from_items)  # type: ignore[union-attr]
    assert ps.render(iv.outline_changes[0]) == f"clue {record.number} changed"


def test_an_unrelated_clue_changes_nothing(unit: Unit, user_named: Any) -> None:
    office = user_named("office")
    person = unit.person("周测无", "科员", org=unit.office)
    other = unit.person("吴测他", "科员", org=unit.finance)
    iv = ps.add_interviewee(actor=office, team=unit.team, target=unit.org, person=person)
    before = AuditEvent.objects.filter(event_type=AuditEventType.FIELDWORK_OUTLINES_UPDATED).count()
    _clue(office, unit, [other], "加班费发放不规范（虚构）")
    iv.refresh_from_db()
    assert iv.changes_seen
    assert (
        AuditEvent.objects.filter(event_type=AuditEventType.FIELDWORK_OUTLINES_UPDATED).count()
        == before
    )


def test_a_restricted_clue_stays_out_of_outlines(unit: Unit, user_named: Any) -> None:
    office = user_named("office")
    person = unit.person("郑测密", "会计", org=unit.finance, key=True)
    iv = ps.add_interviewee(actor=office, team=unit.team, target=unit.org, person=person)
    _clue(office, unit, [person], "受贿线索（虚构）", confidentiality="restricted")
    iv.refresh_from_db()
    assert iv.changes_seen
    assert not ps.stored_outline(iv).from_items  # type: ignore[union-attr]


def test_a_failure_never_breaks_the_clue_service(
    unit: Unit, user_named: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    office = user_named("office")
    person = unit.person("王测错", "科员", org=unit.office)
    ps.add_interviewee(actor=office, team=unit.team, target=unit.org, person=person)

    def boom(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("broken")

    monkeypatch.setattr(ps, "refresh_outlines", boom)
    record = _clue(office, unit, [person], "会议费超标（虚构）")
    assert record.pk is not None
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.CLUE_CREATED, object_id=str(record.pk)
    ).exists()
