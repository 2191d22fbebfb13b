"""Working papers: draft → submitted → returned → submitted → signed; a signed paper is
final; who may sign (not a member, not the author unless the leader); the leader and the
deputies hear of a submission; the list of problems for the report holds signed papers
only (page, docx, xlsx); audit events; who may see."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from xuncha.core.models import AuditEvent
from xuncha.core.models import AuditEventType as E
from xuncha.fieldwork import common
from xuncha.fieldwork import record_services as services
from xuncha.fieldwork.models import Notice, WorkingPaper
from xuncha.rounds.models import Team


@pytest.fixture
def people(team: Team) -> dict[str, Any]:
    return {s.user.username: s.person for s in common.seats(team) if s.user is not None}


def make_paper(team: Team, target: Any, user: Any, title: str = "食堂采购价格偏高") -> WorkingPaper:
    return services.paper_create(
        actor=user,
        team=team,
        target=target,
        title=title,
        facts="2026年食堂采购单价高于市场价30%。",
        other_evidence="采购台账",
    )


def _events(event_type: str, paper: WorkingPaper) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(event_type=event_type, object_id=str(paper.pk)).order_by("seq")
    )


def test_full_workflow(team: Team, target: Any, user_named: Any) -> None:
    member, leader = user_named("member"), user_named("leader")
    paper = make_paper(team, target, member)
    assert paper.status == WorkingPaper.Status.DRAFT

    paper = services.paper_submit(actor=member, paper=paper)
    assert paper.status == WorkingPaper.Status.SUBMITTED
    told = set(Notice.objects.filter(team=team).values_list("user__username", flat=True))
    assert told == {"leader", "deputy"}

    with pytest.raises(ValidationError):
        services.paper_update(
            actor=member, paper=paper, target=target, title="x", facts="y"
        )  # a submitted paper waits for the leader

    paper = services.paper_return(actor=leader, paper=paper, reason="补充证据")
    assert paper.status == WorkingPaper.Status.RETURNED
    assert paper.return_reason == "补充证据"
    assert Notice.objects.filter(team=team, user=member).count() == 1

    paper = services.paper_update(
        actor=member, paper=paper, target=target, title="食堂采购价格偏高", facts="补充后的事实。"
    )
    paper = services.paper_submit(actor=member, paper=paper)
    paper = services.paper_sign(actor=leader, paper=paper)
    assert paper.status == WorkingPaper.Status.SIGNED
    assert paper.signed_by == leader and paper.signed_at is not None

    with pytest.raises(ValidationError, match="draft or a returned"):
        services.paper_update(actor=member, paper=paper, target=target, title="改", facts="改")
    with pytest.raises(ValidationError):
        services.paper_return(actor=leader, paper=paper, reason="再改")
    with pytest.raises(ValidationError):
        services.paper_submit(actor=member, paper=paper)

    assert [e.after["action"] for e in _events(E.FIELDWORK_PAPER_SET, paper)] == [
        "created",
        "submitted",
        "changed",
        "submitted",
    ]
    assert len(_events(E.FIELDWORK_PAPER_RETURNED, paper)) == 1
    assert len(_events(E.FIELDWORK_PAPER_SIGNED, paper)) == 1
    # The log keeps states and ids, not the statement of fact.
    assert all(
        "事实" not in str(e.after) for e in AuditEvent.objects.filter(object_id=str(paper.pk))
    )


def test_return_needs_reason(team: Team, target: Any, user_named: Any) -> None:
    paper = services.paper_submit(
        actor=user_named("member"), paper=make_paper(team, target, user_named("member"))
    )
    with pytest.raises(ValidationError):
        services.paper_return(actor=user_named("leader"), paper=paper, reason="  ")


def test_draft_cannot_be_signed(team: Team, target: Any, user_named: Any) -> None:
    paper = make_paper(team, target, user_named("member"))
    with pytest.raises(ValidationError, match="submitted"):
        services.paper_sign(actor=user_named("leader"), paper=paper)


def test_member_cannot_sign(team: Team, target: Any, user_named: Any, as_user: Any) -> None:
    paper = services.paper_submit(
        actor=user_named("member"), paper=make_paper(team, target, user_named("deputy"))
    )
    with pytest.raises(PermissionDenied):
        services.paper_sign(actor=user_named("member"), paper=paper)
    client = as_user("member")
    assert client.post(reverse("fieldwork:paper_sign", args=[paper.pk])).status_code == 403
    assert (
        client.post(reverse("fieldwork:paper_return", args=[paper.pk]), {"reason": "x"}).status_code
        == 403
    )
    paper.refresh_from_db()
    assert paper.status == WorkingPaper.Status.SUBMITTED


def test_the_leader_signs_and_a_deputy_only_reviews(
    team: Team, target: Any, user_named: Any
) -> None:
    deputy, leader = user_named("deputy"), user_named("leader")
    paper = services.paper_submit(actor=deputy, paper=make_paper(team, target, deputy))
    with pytest.raises(ValidationError, match="The team leader signs"):
        services.paper_sign(actor=deputy, paper=paper)
    others = services.paper_submit(
        actor=user_named("member"),
        paper=make_paper(team, target, user_named("member"), "三"),
    )
    with pytest.raises(ValidationError, match="The team leader signs"):
        services.paper_sign(actor=deputy, paper=others)
    returned = services.paper_return(actor=deputy, paper=others, reason="证据不足")
    assert returned.status == WorkingPaper.Status.RETURNED
    assert services.paper_sign(actor=leader, paper=paper).status == WorkingPaper.Status.SIGNED

    own = services.paper_submit(actor=leader, paper=make_paper(team, target, leader, "二"))
    assert services.paper_sign(actor=leader, paper=own).status == WorkingPaper.Status.SIGNED


def test_office_signs(team: Team, target: Any, user_named: Any, as_user: Any) -> None:
    paper = services.paper_submit(
        actor=user_named("member"), paper=make_paper(team, target, user_named("member"))
    )
    response = as_user("office_c1").post(reverse("fieldwork:paper_sign", args=[paper.pk]))
    assert response.status_code == 302
    paper.refresh_from_db()
    assert paper.status == WorkingPaper.Status.SIGNED


def test_target_must_be_the_teams(team: Team, user_named: Any) -> None:
    from xuncha.core.models import Organisation

    elsewhere = Organisation.objects.exclude(pk__in=team.targets.all()).filter(kind="unit").first()
    with pytest.raises(ValidationError) as exc:
        make_paper(team, elsewhere, user_named("member"))
    assert "target" in exc.value.error_dict


def test_records_of_the_team_cited(team: Team, target: Any, user_named: Any, people: Any) -> None:
    record = services.record_create(
        actor=user_named("member"),
        team=team,
        interviewee_name="林某某",
        held_at=timezone.now() - dt.timedelta(hours=1),
        place="谈话室",
        asker=people["leader"],
        recorder=people["member"],
    )
    paper = services.paper_create(
        actor=user_named("member"),
        team=team,
        target=target,
        title="t",
        facts="f",
        records=[record],
    )
    assert list(paper.records.all()) == [record]
    other = Team.objects.exclude(pk=team.pk).filter(targets__isnull=False).first()
    with pytest.raises(ValidationError) as exc:
        services.paper_create(
            actor=user_named("office"),
            team=other,
            target=other.targets.first(),
            title="t",
            facts="f",
            records=[record],
        )
    assert "records" in exc.value.error_dict


def test_pages_through_the_workflow(team: Team, target: Any, as_user: Any) -> None:
    member, leader = as_user("member"), as_user("leader")
    assert member.get(reverse("fieldwork:paper_new", args=[team.pk])).status_code == 200
    response = member.post(
        reverse("fieldwork:paper_new", args=[team.pk]),
        {"target": target.pk, "title": "公车私用", "facts": "某车辆节假日多次出行。"},
    )
    assert response.status_code == 302
    paper = WorkingPaper.objects.get(team=team, title="公车私用")
    assert member.get(reverse("fieldwork:paper", args=[paper.pk])).status_code == 200
    assert member.get(reverse("fieldwork:paper_edit", args=[paper.pk])).status_code == 200
    assert member.post(reverse("fieldwork:paper_submit", args=[paper.pk])).status_code == 302
    page = leader.get(reverse("fieldwork:paper", args=[paper.pk]))
    assert page.context["can_sign"] and page.context["can_return"]
    assert leader.post(reverse("fieldwork:paper_sign", args=[paper.pk])).status_code == 302
    paper.refresh_from_db()
    assert paper.status == WorkingPaper.Status.SIGNED
    assert member.get(reverse("fieldwork:papers", args=[team.pk])).status_code == 200


def test_report_lists_only_signed(team: Team, target: Any, user_named: Any, as_user: Any) -> None:
    member, leader = user_named("member"), user_named("leader")
    signed = services.paper_submit(actor=member, paper=make_paper(team, target, member, "已签"))
    services.paper_sign(actor=leader, paper=signed)
    services.paper_submit(actor=member, paper=make_paper(team, target, member, "待签"))
    make_paper(team, target, member, "草稿")

    groups = services.papers_report(team)
    assert [(g.target, [p.title for p in g.papers]) for g in groups] == [(target, ["已签"])]

    client = as_user("member")
    page = client.get(reverse("fieldwork:papers_report", args=[team.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "已签" in body and "待签" not in body and "草稿" not in body

    from openpyxl import load_workbook

    xlsx = client.get(reverse("fieldwork:papers_report_xlsx", args=[team.pk]))
    assert xlsx.status_code == 200
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][2] == "已签"

    from docx import Document

    docx = client.get(reverse("fieldwork:papers_report_docx", args=[team.pk]))
    assert docx.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "已签" in text and "待签" not in text
    exports = AuditEvent.objects.filter(event_type=E.FIELDWORK_EXPORTED, object_id=str(team.pk))
    assert {e.extra["format"] for e in exports} == {"xlsx", "docx"}


@pytest.mark.parametrize("username", ["liaison", "receiver", "auditor", "leading", "admin"])
def test_others_cannot_see_papers(
    team: Team, target: Any, user_named: Any, as_user: Any, username: str
) -> None:
    paper = make_paper(team, target, user_named("member"))
    client = as_user(username)
    for name, arg in (
        ("fieldwork:papers", team.pk),
        ("fieldwork:paper", paper.pk),
        ("fieldwork:paper_new", team.pk),
        ("fieldwork:papers_report", team.pk),
        ("fieldwork:papers_report_xlsx", team.pk),
        ("fieldwork:papers_report_docx", team.pk),
    ):
        assert client.get(reverse(name, args=[arg])).status_code == 404, name
    assert client.post(reverse("fieldwork:paper_sign", args=[paper.pk])).status_code == 404
