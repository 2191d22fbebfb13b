"""The staff's work on public reports as services: reading several at once with one audit
event, duplicate suggestions, classifying and assigning, forwarding, marking duplicates,
turning a report into a problem or clue, closing; each refused where it does not fit."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from xuncha.clues import services as clue_services
from xuncha.clues.models import EvidenceLink, Record
from xuncha.clues.models import Source as ClueSource
from xuncha.core.models import AuditEvent, AuditEventType, Organisation
from xuncha.intake import services, workflow
from xuncha.intake.demo import DEMO_REPORT_RECEIPT, ROAD
from xuncha.intake.models import Category, Kind, Report, Source, Status
from xuncha.intake.services import Submission
from xuncha.rounds.models import Team, TopicTag


@pytest.fixture
def other_channel(channel, user_named):
    """A channel of another team of the same round, with one letter in it."""
    team = Team.objects.filter(round=channel.team.round).exclude(pk=channel.team_id).first()
    other = services.channel_ensure(actor=user_named("office_c1"), team=team)
    report, _ = services.submit(
        channel=other,
        submission=Submission(
            kind=Kind.REPORT, category=Category.OTHER, content={"what": ROAD, "about": "村主任"}
        ),
        source=Source.LETTER,
        actor=user_named("office_c1"),
        with_receipt=False,
    )
    return other, report


def _events(event_type: str):
    return AuditEvent.objects.filter(event_type=event_type).order_by("seq")


def test_contents_are_read_for_a_page_with_one_audit_event(channel, demo, user_named, private_key):
    member = user_named("member")
    before = _events(AuditEventType.INTAKE_READ).count()
    reports = list(Report.objects.filter(channel=channel))
    previews = workflow.previews(actor=member, reports=reports, private_key=private_key("member"))
    assert previews[demo["road"].pk].startswith(ROAD[:20])
    assert len(previews[demo["road"].pk]) <= workflow.PREVIEW_CHARS + 1
    assert previews[demo["talk"].pk].startswith("想当面反映")
    events = list(_events(AuditEventType.INTAKE_READ))
    assert len(events) == before + 1
    assert events[-1].extra == {"ids": sorted(r.pk for r in reports), "preview": True}
    assert events[-1].actor == member
    # Without a key, or for someone the policy does not allow, nothing is decrypted.
    assert workflow.previews(actor=member, reports=reports, private_key=None) == {}
    auditor_view = workflow.previews(
        actor=user_named("auditor"), reports=reports, private_key=private_key("member")
    )
    assert auditor_view == {}
    assert _events(AuditEventType.INTAKE_READ).count() == before + 1


def test_the_phone_paraphrase_is_the_first_duplicate_suggestion(demo, user_named, private_key):
    similar, _records = workflow.suggestions(
        actor=user_named("member"), report=demo["road"], private_key=private_key("member")
    )
    assert similar and similar[0].report.pk == demo["phone"].pk
    assert similar[0].same_subject
    assert demo["letter"].pk not in [s.report.pk for s in similar]
    event = _events(AuditEventType.INTAKE_READ).last()
    assert event.extra["duplicates"] is True and demo["road"].pk in event.extra["ids"]


def test_a_similar_clue_of_the_round_is_suggested(demo, user_named, private_key, channel):
    member = user_named("member")
    team = channel.team
    record = clue_services.record_create(
        actor=member,
        round_=team.round,
        team=team,
        target=team.targets.first(),
        kind="clue",
        title="村道硬化工程虚报工程量",
        description="村主任虚报村道硬化工程量，多领工程款十万元，工程由其妻弟的施工队承包。",
        source="letter",
        subjects=[clue_services.SubjectInput("村主任")],
    )
    _similar, records = workflow.suggestions(
        actor=member, report=demo["road"], private_key=private_key("member")
    )
    assert records and records[0].record.pk == record.pk


def test_classify_assigns_a_recipient_and_records_before_and_after(demo, user_named):
    report, member = demo["phone"], user_named("member")
    assert report.status == Status.NEW
    topic = TopicTag.objects.order_by("pk").first()
    workflow.classify(
        actor=user_named("leader"),
        report=report,
        discipline="integrity",
        topics=[topic],
        category=Category.PROJECTS,
        assigned_to=member,
    )
    report.refresh_from_db()
    assert report.status == Status.REVIEW and report.assigned_to == member
    assert report.discipline == "integrity" and list(report.topics.all()) == [topic]
    event = _events(AuditEventType.INTAKE_CLASSIFIED).last()
    assert event.object_id == str(report.pk)
    assert event.before["status"] == "new" and event.after["status"] == "review"
    assert event.after["assigned_to"] == member.pk and event.after["topics"] == [topic.pk]

    with pytest.raises(ValidationError, match="assigned only"):
        workflow.classify(
            actor=user_named("leader"),
            report=report,
            discipline="",
            topics=[],
            category=Category.OTHER,
            assigned_to=user_named("liaison"),
        )
    with pytest.raises(PermissionDenied):
        workflow.classify(
            actor=user_named("auditor"),
            report=report,
            discipline="",
            topics=[],
            category=Category.OTHER,
            assigned_to=None,
        )


def test_forward_out_of_scope_and_tell_the_submitter(demo, user_named, private_key):
    report, leader = demo["road"], user_named("leader")
    department = Organisation.objects.get(name=demo_unit(report))
    workflow.forward(
        actor=leader,
        report=report,
        organisation=department,
        note="请依职责处理。",
        message="此事请向县住建局反映。",
        private_key=private_key("leader"),
    )
    report.refresh_from_db()
    assert report.status == Status.FORWARDED and report.forwarded_to == department
    assert report.forward_note == "请依职责处理。"
    event = _events(AuditEventType.INTAKE_FORWARDED).last()
    assert event.after == {"status": "forwarded", "forwarded_to": department.pk}
    found = services.report_for_receipt(DEMO_REPORT_RECEIPT)
    assert found is not None
    opened = services.open_for_submitter(*found)
    assert opened.messages[-1][1] == "此事请向县住建局反映。"
    with pytest.raises(ValidationError, match="already handled"):
        workflow.forward(actor=leader, report=report, organisation=department, note="再次")


def demo_unit(report: Report) -> str:
    return report.channel.team.targets.first().name


def test_close_needs_a_reason_and_is_recorded(demo, user_named):
    report, member = demo["letter"], user_named("member")
    with pytest.raises(ValidationError, match="Say why"):
        workflow.close(actor=member, report=report, reason="  ")
    workflow.close(actor=member, report=report, reason="家庭纠纷，已告知向乡镇反映。")
    report.refresh_from_db()
    assert report.status == Status.CLOSED
    event = _events(AuditEventType.INTAKE_CLOSED).last()
    assert event.extra["reason"] == "家庭纠纷，已告知向乡镇反映。"
    with pytest.raises(ValidationError, match="already handled"):
        workflow.close(actor=member, report=report, reason="again")
    with pytest.raises(PermissionDenied):
        workflow.close(actor=user_named("liaison"), report=demo["phone"], reason="x")


def test_mark_a_duplicate_and_refuse_what_does_not_fit(demo, user_named, other_channel):
    member = user_named("member")
    road, phone = demo["road"], demo["phone"]
    with pytest.raises(ValidationError, match="itself"):
        workflow.mark_duplicate(actor=member, report=phone, original=phone)
    _other, elsewhere = other_channel
    with pytest.raises(ValidationError, match="same team"):
        workflow.mark_duplicate(actor=user_named("office_c1"), report=phone, original=elsewhere)

    workflow.mark_duplicate(actor=member, report=phone, original=road)
    phone.refresh_from_db()
    assert phone.status == Status.DUPLICATE and phone.duplicate_of == road
    event = _events(AuditEventType.INTAKE_DUPLICATE).last()
    assert event.after == {"status": "duplicate", "duplicate_of": road.pk}

    # An original that is itself a duplicate: the message points to its original.
    with pytest.raises(ValidationError, match=road.label):
        workflow.mark_duplicate(actor=member, report=demo["letter"], original=phone)


def test_duplicates_of_a_duplicate_move_to_the_new_original(demo, user_named):
    member = user_named("member")
    workflow.mark_duplicate(actor=member, report=demo["phone"], original=demo["road"])
    workflow.mark_duplicate(actor=member, report=demo["road"], original=demo["subsidy"])
    demo["phone"].refresh_from_db()
    assert demo["phone"].duplicate_of == demo["subsidy"]
    event = _events(AuditEventType.INTAKE_DUPLICATE).last()
    assert event.extra["moved"] == [demo["phone"].pk]


def test_convert_makes_a_public_clue_with_the_report_as_evidence(demo, user_named, channel):
    report, member = demo["subsidy"], user_named("member")
    team = channel.team
    record = workflow.convert(
        actor=member,
        report=report,
        kind="clue",
        title="低保名单中有村干部亲属",
        description="有村干部亲属家有轿车仍领低保。",
        target=team.targets.first(),
        discipline="mass",
    )
    assert record.source == ClueSource.PUBLIC and record.team == team
    assert record.round == team.round and record.kind == "clue"
    link = EvidenceLink.objects.get(record=record)
    assert link.content_type == ContentType.objects.get_for_model(Report)
    assert link.object_id == str(report.pk) and link.label == report.label
    report.refresh_from_db()
    assert report.status == Status.CONVERTED
    event = _events(AuditEventType.INTAKE_CONVERTED).last()
    assert event.after == {"status": "converted", "record": record.pk}
    stored = Record.objects.filter(pk=record.pk).values_list("title", "description").get()
    assert not any("林晓雨" in s or "13800000000" in s for s in stored)
    assert not record.subjects.filter(name="林晓雨").exists()


def test_convert_refuses_a_duplicate_and_other_rounds_records(demo, user_named, channel):
    member = user_named("member")
    workflow.mark_duplicate(actor=member, report=demo["phone"], original=demo["road"])
    with pytest.raises(ValidationError, match="duplicate"):
        workflow.convert(
            actor=member,
            report=demo["phone"],
            kind="problem",
            title="x",
            description="y",
            target=channel.team.targets.first(),
        )
    with pytest.raises(PermissionDenied):
        workflow.convert(
            actor=user_named("auditor"),
            report=demo["road"],
            kind="problem",
            title="x",
            description="y",
            target=channel.team.targets.first(),
        )


def test_add_a_report_to_an_existing_record(demo, user_named, channel):
    member = user_named("member")
    team = channel.team
    record = clue_services.record_create(
        actor=member,
        round_=team.round,
        team=team,
        target=team.targets.first(),
        kind="problem",
        title="村道工程",
        description="村道工程质量问题。",
        source="letter",
    )
    workflow.add_to_record(actor=member, report=demo["road"], record=record)
    assert EvidenceLink.objects.filter(record=record, object_id=str(demo["road"].pk)).exists()
    demo["road"].refresh_from_db()
    assert demo["road"].status == Status.CONVERTED
    with pytest.raises(ValidationError, match="already evidence"):
        workflow.add_to_record(actor=member, report=demo["road"], record=record)
