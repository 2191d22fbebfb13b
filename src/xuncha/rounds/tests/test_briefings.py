"""Briefings: the office asks two departments, a department answers only what it was asked,
with concerns and attachments; the unit profile gathers what is known about a target."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from xuncha.core.models import AuditEvent, AuditEventType, Organisation
from xuncha.rounds.models import Briefing, BriefingRequest, Round, Stage


@pytest.fixture
def current(db) -> Round:
    return Round.objects.filter(stage=Stage.STATIONING).get()


def _unasked_target(round_: Round) -> Organisation:
    return (
        Organisation.objects.filter(inspecting_teams__round=round_)
        .exclude(briefing_requests__round=round_)
        .order_by("pk")
        .first()
    )


def test_office_asks_two_departments_and_one_answers_with_files(as_user, user_named, current):
    office = as_user("office_c1")
    receiver_unit = user_named("receiver").grants.get().organisation
    target = _unasked_target(current)
    audit_unit = (
        Organisation.objects.filter(path__startswith=current.committee.path, kind="unit")
        .exclude(pk=receiver_unit.pk)
        .last()
    )
    for department in (receiver_unit, audit_unit):
        response = office.post(
            reverse("rounds:briefing_request_create", args=[current.pk]),
            {"target": target.pk, "department": department.pk, "due_date": "2026-12-10"},
        )
        assert response.status_code == 302
    assert BriefingRequest.objects.filter(round=current, target=target).count() == 2
    # Asking the same department twice is refused with a message, nothing is added.
    office.post(
        reverse("rounds:briefing_request_create", args=[current.pk]),
        {"target": target.pk, "department": audit_unit.pk, "due_date": "2026-12-10"},
    )
    assert BriefingRequest.objects.filter(round=current, target=target).count() == 2

    receiver = as_user("receiver")
    inbox = receiver.get(reverse("rounds:briefing_inbox"))
    visible = {r.pk for r in inbox.context["requests"]}
    mine = BriefingRequest.objects.get(round=current, target=target, department=receiver_unit)
    theirs = BriefingRequest.objects.get(round=current, target=target, department=audit_unit)
    assert mine.pk in visible and theirs.pk not in visible
    assert receiver.get(reverse("rounds:briefing_submit", args=[theirs.pk])).status_code == 404

    bad = receiver.post(
        reverse("rounds:briefing_submit", args=[mine.pk]),
        {
            "date": "2026-11-20",
            "summary": "x",
            "attachments": [SimpleUploadedFile("evil.exe", b"MZ")],
        },
    )
    assert bad.status_code == 200 and not Briefing.objects.filter(request=mine).exists()
    ok = receiver.post(
        reverse("rounds:briefing_submit", args=[mine.pk]),
        {
            "date": "2026-11-20",
            "summary": "近两年收到信访举报2件。",
            "concern_0": "工程款拨付不规范",
            "topic_0": "",
            "concern_1": "",
            "attachments": [SimpleUploadedFile("通报.pdf", b"%PDF-1.4 test")],
        },
    )
    assert ok.status_code == 302
    briefing = Briefing.objects.get(request=mine)
    assert briefing.concerns.get().text == "工程款拨付不规范"
    attachment = briefing.attachments.get()
    assert attachment.size == len(b"%PDF-1.4 test")
    assert AuditEvent.objects.filter(event_type=AuditEventType.BRIEFING_SUBMITTED).exists()
    # The other department answered on paper: the office records its briefing.
    office.post(
        reverse("rounds:briefing_submit", args=[theirs.pk]),
        {
            "date": "2026-11-21",
            "summary": "审计发现专项资金结余未及时上缴。",
            "concern_0": "结余资金未上缴",
            "topic_0": "",
        },
    )
    assert Briefing.objects.filter(round=current, target=target).count() == 2
    # The office reads it, and reading the attachment is audited.
    download = office.get(reverse("rounds:briefing_attachment", args=[attachment.pk]))
    assert b"".join(download.streaming_content) == b"%PDF-1.4 test"
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.BRIEFING_FILE_READ, actor__username="office_c1"
    ).exists()
    # A liaison of the inspected unit never reads briefings about it.
    assert (
        as_user("liaison").get(reverse("rounds:briefing_detail", args=[briefing.pk])).status_code
        == 404
    )


def test_unit_profile_gathers_what_is_known(as_user, user_named, current):
    member = user_named("member")
    unit = member.grants.get().organisation
    page = as_user("member").get(reverse("rounds:unit_profile", args=[unit.pk]))
    content = page.content.decode()
    assert page.status_code == 200
    assert page.context["leadership"] and page.context["projects"]
    assert "农田水利改造工程" in content
    assert current.name in content  # the round under way
    assert page.context["briefings"].exists()  # the discipline commission's answer
    assert list(page.context["budget"])


def test_documents_download(as_user, current):
    from docx import Document

    client = as_user("office_c1")
    plan = client.get(reverse("rounds:round_plan_docx", args=[current.pk]))
    assert plan["Content-Type"].startswith("application/vnd.openxmlformats")
    text = "\n".join(p.text for p in Document(io.BytesIO(plan.content)).paragraphs)
    assert current.name in text
    team = current.teams.first()
    target = team.targets.first()
    notice = client.get(reverse("rounds:target_notice_docx", args=[team.pk, target.pk]))
    text = "\n".join(p.text for p in Document(io.BytesIO(notice.content)).paragraphs)
    assert target.name in text and team.name in text
    assert (
        as_user("member")
        .get(reverse("rounds:target_notice_docx", args=[team.pk, target.pk]))
        .status_code
        == 403
    )


def test_unit_profile_query_count_does_not_grow(as_user, user_named, current):
    from decimal import Decimal

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from xuncha.rounds import services
    from xuncha.rounds.models import BudgetFigure, MajorProject

    unit = user_named("member").grants.get().organisation
    client = as_user("office_c1")
    url = reverse("rounds:unit_profile", args=[unit.pk])
    client.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    first = count()
    people = list(unit.posts.values_list("person", flat=True)[:3])
    for i in range(5):
        project = MajorProject.objects.create(
            organisation=unit, name=f"项目{i}", amount=Decimal(1000), start_date="2025-01-01"
        )
        project.participants.set(people)
        BudgetFigure.objects.create(
            organisation=unit, year=2020 + i, item="支出", amount=Decimal(10)
        )
        round_ = services.round_create(
            actor=None,
            committee=current.committee,
            name=f"再巡{i}",
            kind="mobile",
            start_date=dt.date(2026, 12, 1),
            teams=[("第一组", [unit])],
        )
        department = Organisation.objects.filter(kind="unit").exclude(pk=unit.pk)[i]
        asked = services.briefing_request(
            actor=None,
            round_=round_,
            target=unit,
            department=department,
            due_date=dt.date(2026, 12, 20),
        )
        services.briefing_submit(
            actor=None,
            request=asked,
            date=dt.date(2026, 12, 1),
            summary="无",
            concerns=[("一", None), ("二", None)],
        )
    assert count() == first
