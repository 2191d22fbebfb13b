"""Interview records: the two-person rule, the signed scan (sniffed by content, hashed),
a record written for a talk marks it held, every reading audited, who may read, the people
a record names who are not on the list, and linking a record as evidence."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from xuncha.core.models import AuditEvent, Person, Post, Role, RoleGrant, User
from xuncha.core.models import AuditEventType as E
from xuncha.fieldwork import common
from xuncha.fieldwork import record_services as services
from xuncha.fieldwork.models import Interviewee, InterviewRecord, Talk
from xuncha.fieldwork.record_forms import outline_questions
from xuncha.rounds.models import Team

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def people(team: Team) -> dict[str, Person]:
    seats = common.seats(team)
    by_user = {s.user.username: s.person for s in seats if s.user is not None}
    others = [s.person for s in seats if s.user is None]
    return {**by_user, "other": others[0]}


def _interviewee(team: Team, target: Any, user: User, name: str = "林某某") -> Interviewee:
    from xuncha.fieldwork import planning_services

    return planning_services.add_interviewee(actor=user, team=team, target=target, name=name)


def _talk(team: Team, interviewee: Interviewee, people: dict[str, Person]) -> Talk:
    starts = timezone.now() - dt.timedelta(hours=3)
    return Talk.objects.create(
        team=team,
        interviewee=interviewee,
        state=Talk.State.SCHEDULED,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=1),
        place="谈话室一",
        asker=people["leader"],
        recorder=people["member"],
    )


def make_record(team: Team, user: User, people: dict[str, Person], **extra: Any) -> InterviewRecord:
    data: dict[str, Any] = {
        "interviewee_name": "林某某",
        "interviewee_post": "科员",
        "held_at": timezone.now() - dt.timedelta(hours=1),
        "place": "谈话室一",
        "asker": people["leader"],
        "recorder": people["member"],
        "questions": [{"key": "k1", "question": "问题一", "answer": "回答一"}],
        "summary": "一般情况。",
    }
    data.update(extra)
    return services.record_create(actor=user, team=team, **data)


def _events(event_type: str, obj: Any) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(event_type=event_type, object_id=str(obj.pk)).order_by("seq")
    )


@pytest.fixture
def other_team_member(team: Team) -> User:
    """An account in another team's seat, with a team role of its own."""
    from xuncha.talent.models import RoundRole

    role = RoundRole.objects.exclude(team=team).exclude(team=None).select_related("team").first()
    assert role is not None
    other = Team.objects.get(pk=role.team_id)
    person = role.profile.person
    assert person.pk not in common.member_ids(team)
    user = User.objects.create_user(username="stranger", password="x" * 12, person=person)
    RoleGrant.objects.create(
        user=user, role=Role.TEAM_MEMBER, organisation=other.targets.order_by("pk").first()
    )
    return user


# -- the two-person rule and the checks -----------------------------------------------------


def test_record_created_and_audited(team: Team, user_named: Any, people: Any) -> None:
    record = make_record(team, user_named("member"), people)
    assert record.questions == [{"key": "k1", "question": "问题一", "answer": "回答一"}]
    [event] = _events(E.FIELDWORK_RECORD_CREATED, record)
    assert event.after["asker"] == people["leader"].pk
    assert "林某某" not in str(event.after) and "林某某" not in event.object_repr


def test_asker_and_recorder_must_differ(team: Team, user_named: Any, people: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        make_record(team, user_named("member"), people, recorder=people["leader"])
    assert "recorder" in exc.value.error_dict
    assert "two-to-one" in str(exc.value)
    assert not InterviewRecord.objects.filter(team=team).exists()


def test_outsider_cannot_ask_or_record(team: Team, user_named: Any, people: Any) -> None:
    outsider = Person.objects.exclude(pk__in=common.member_ids(team)).first()
    with pytest.raises(ValidationError) as exc:
        make_record(team, user_named("member"), people, asker=outsider)
    assert "asker" in exc.value.error_dict


def test_held_at_not_in_future(team: Team, user_named: Any, people: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        make_record(
            team, user_named("member"), people, held_at=timezone.now() + dt.timedelta(hours=1)
        )
    assert "held_at" in exc.value.error_dict


def test_unanswered_questions_are_dropped(team: Team, user_named: Any, people: Any) -> None:
    record = make_record(
        team,
        user_named("member"),
        people,
        questions=[
            {"key": "a", "question": "问一", "answer": "答一"},
            {"key": "b", "question": "问二", "answer": "  "},
        ],
    )
    assert [q["key"] for q in record.questions] == ["a"]


# -- the scan ---------------------------------------------------------------------------------


def test_scan_pdf_stored_with_hash(team: Team, user_named: Any, people: Any) -> None:
    import hashlib

    scan = SimpleUploadedFile("签字.pdf", PDF, content_type="application/pdf")
    record = make_record(team, user_named("member"), people, scan=scan)
    assert record.scan_sha256 == hashlib.sha256(PDF).hexdigest()
    assert record.scan_name == "签字.pdf"
    assert record.scan.name.endswith(".pdf") and "签字" not in record.scan.name


def test_scan_sniffed_by_content(team: Team, user_named: Any, people: Any) -> None:
    fake = SimpleUploadedFile("scan.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    with pytest.raises(ValidationError) as exc:
        make_record(team, user_named("member"), people, scan=fake)
    assert "scan" in exc.value.error_dict
    # A PNG named .pdf is kept as the PNG it is.
    png = SimpleUploadedFile("scan.pdf", PNG, content_type="application/pdf")
    record = make_record(team, user_named("member"), people, scan=png)
    assert record.scan.name.endswith(".png")
    assert services.scan_type(record) == "image/png"


def test_scan_size_limit(team: Team, user_named: Any, people: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(services, "MAX_SCAN_BYTES", 10)
    with pytest.raises(ValidationError, match="20 MB"):
        make_record(team, user_named("member"), people, scan=SimpleUploadedFile("a.pdf", PDF))


def test_update_replaces_scan_and_audits(team: Team, user_named: Any, people: Any) -> None:
    record = make_record(team, user_named("member"), people)
    services.record_update(
        actor=user_named("deputy"),
        record=record,
        interviewee_name="林某某",
        interviewee_post="科员",
        held_at=record.held_at,
        place="会议室",
        asker=people["deputy"],
        recorder=people["member"],
        questions=record.questions,
        summary=record.summary,
        scan=SimpleUploadedFile("s.png", PNG),
    )
    record.refresh_from_db()
    assert record.place == "会议室" and record.scan_sha256
    [event] = _events(E.FIELDWORK_RECORD_CHANGED, record)
    assert set(event.after["changed"]) == {"asker", "place", "scan"}


# -- talks ------------------------------------------------------------------------------------


def test_record_for_talk_marks_it_held(
    team: Team, target: Any, user_named: Any, people: Any
) -> None:
    interviewee = _interviewee(team, target, user_named("leader"))
    talk = _talk(team, interviewee, people)
    record = make_record(team, user_named("member"), people, talk=talk)
    talk.refresh_from_db()
    interviewee.refresh_from_db()
    assert record.interviewee == interviewee
    assert talk.state == Talk.State.HELD
    assert interviewee.status == Interviewee.Status.HELD
    with pytest.raises(ValidationError, match="already has a record"):
        make_record(team, user_named("member"), people, talk=talk)


def test_talk_of_another_team_refused(
    team: Team, target: Any, user_named: Any, people: Any
) -> None:
    interviewee = _interviewee(team, target, user_named("leader"))
    talk = _talk(team, interviewee, people)
    other = Team.objects.exclude(pk=team.pk).first()
    with pytest.raises(ValidationError) as exc:
        make_record(other, user_named("office"), people, talk=talk)
    assert "talk" in exc.value.error_dict


def test_new_record_page_from_talk(
    team: Team, target: Any, user_named: Any, people: Any, as_user: Any
) -> None:
    interviewee = _interviewee(team, target, user_named("leader"))
    talk = _talk(team, interviewee, people)
    client = as_user("member")
    url = reverse("fieldwork:record_new", args=[team.pk]) + f"?talk={talk.pk}"
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["interviewee_name"] == interviewee.name
    assert form.initial["asker"] == people["leader"].pk
    # One answer box per question of the interviewee's outline, in the page's language.
    assert form.questions == outline_questions(interviewee)
    assert form.questions, "the generated outline has questions"
    data = {
        "interviewee_name": interviewee.name,
        "held_at": timezone.localtime(talk.starts_at).strftime("%Y-%m-%dT%H:%M"),
        "place": "谈话室一",
        "asker": people["leader"].pk,
        "recorder": people["member"].pk,
        "summary": "谈了情况。",
    }
    data["answer_0"] = "第一个问题的回答"
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    record = InterviewRecord.objects.get(talk=talk)
    assert response["Location"] == reverse("fieldwork:record", args=[record.pk])
    assert record.questions == [
        {
            "key": form.questions[0][0],
            "question": form.questions[0][1],
            "answer": "第一个问题的回答",
        }
    ]
    talk.refresh_from_db()
    assert talk.state == Talk.State.HELD


def test_new_record_page_shows_two_person_error(team: Team, people: Any, as_user: Any) -> None:
    response = as_user("member").post(
        reverse("fieldwork:record_new", args=[team.pk]),
        {
            "interviewee_name": "林某某",
            "held_at": (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "place": "谈话室",
            "asker": people["member"].pk,
            "recorder": people["member"].pk,
        },
    )
    assert response.status_code == 200
    assert "recorder" in response.context["form"].errors
    assert not InterviewRecord.objects.filter(team=team).exists()


# -- reading ----------------------------------------------------------------------------------


def test_every_reading_is_audited(team: Team, user_named: Any, people: Any, as_user: Any) -> None:
    record = make_record(team, user_named("member"), people, scan=SimpleUploadedFile("s.pdf", PDF))
    client = as_user("deputy")
    url = reverse("fieldwork:record", args=[record.pk])
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    scan = client.get(reverse("fieldwork:record_scan", args=[record.pk]))
    assert scan.status_code == 200
    assert b"".join(scan.streaming_content) == PDF
    assert scan["X-Content-Type-Options"] == "nosniff"
    assert scan["Content-Disposition"].startswith("attachment")
    assert scan["Content-Type"] == "application/pdf"
    reads = _events(E.FIELDWORK_RECORD_READ, record)
    assert len(reads) == 3
    assert [e.extra["scan"] for e in reads] == [False, False, True]
    assert {e.actor.username for e in reads} == {"deputy"}


@pytest.mark.parametrize("username", ["member", "leader", "office", "office_c1"])
def test_team_and_office_read(
    team: Team, user_named: Any, people: Any, as_user: Any, username: str
) -> None:
    record = make_record(team, user_named("member"), people)
    client = as_user(username)
    assert client.get(reverse("fieldwork:records", args=[team.pk])).status_code == 200
    assert client.get(reverse("fieldwork:record", args=[record.pk])).status_code == 200


@pytest.mark.parametrize("username", ["liaison", "receiver", "auditor", "leading", "admin"])
def test_others_cannot_read(
    team: Team, user_named: Any, people: Any, as_user: Any, username: str
) -> None:
    record = make_record(team, user_named("member"), people, scan=SimpleUploadedFile("s.pdf", PDF))
    client = as_user(username)
    for name, arg in (
        ("fieldwork:record", record.pk),
        ("fieldwork:record_scan", record.pk),
        ("fieldwork:record_edit", record.pk),
        ("fieldwork:records", team.pk),
        ("fieldwork:record_new", team.pk),
    ):
        assert client.get(reverse(name, args=[arg])).status_code == 404, name
    assert not _events(E.FIELDWORK_RECORD_READ, record)


def test_member_of_another_team_cannot_read(
    team: Team, user_named: Any, people: Any, other_team_member: User
) -> None:
    from django.test import Client

    record = make_record(team, user_named("member"), people)
    client = Client()
    client.force_login(other_team_member)
    assert client.get(reverse("fieldwork:record", args=[record.pk])).status_code == 404
    assert client.get(reverse("fieldwork:records", args=[team.pk])).status_code == 404


def test_list_shows_no_content(team: Team, user_named: Any, people: Any, as_user: Any) -> None:
    make_record(team, user_named("member"), people, summary="机密的陈述内容")
    page = as_user("member").get(reverse("fieldwork:records", args=[team.pk]))
    assert page.status_code == 200
    assert "林某某" in page.content.decode()
    assert "机密的陈述内容" not in page.content.decode()
    assert not AuditEvent.objects.filter(event_type=E.FIELDWORK_RECORD_READ).exists()


def test_anonymous_is_sent_to_sign_in(team: Team, as_user: Any) -> None:
    response = as_user(None).get(reverse("fieldwork:records", args=[team.pk]))
    assert response.status_code == 302


# -- suggestions ------------------------------------------------------------------------------


def _registry_name(team: Team, target: Any) -> str:
    """A name of someone with a post at the target, not on the list, unique there."""
    names = [
        p.person.name
        for p in Post.objects.filter(organisation__path__startswith=target.path).select_related(
            "person"
        )
    ]
    unique = [n for n in names if names.count(n) == 1 and len(n) >= 2]
    assert unique
    return unique[0]


def test_suggestions_find_a_new_name_and_add_it(
    team: Team, target: Any, user_named: Any, people: Any, as_user: Any
) -> None:
    name = _registry_name(team, target)
    record = make_record(
        team,
        user_named("member"),
        people,
        summary=f"据反映，{name}经手了这笔款项。",
        new_leads="",
    )
    found = services.suggestions(record)
    assert [s.name for s in found] == [name]
    client = as_user("member")
    page = client.get(reverse("fieldwork:record", args=[record.pk]))
    assert name in page.content.decode()
    response = client.post(reverse("fieldwork:record_suggest", args=[record.pk]), {"name": name})
    assert response.status_code == 302
    added = Interviewee.objects.get(team=team, name=name)
    assert added.source == Interviewee.Source.SUGGESTED
    assert added.person is not None and added.person.name == name
    assert services.suggestions(record) == []


def test_suggesting_an_unnamed_person_refused(team: Team, user_named: Any, people: Any) -> None:
    record = make_record(team, user_named("member"), people)
    with pytest.raises(ValidationError):
        services.record_suggestion_add(actor=user_named("member"), record=record, name="无此人")


def test_liaison_cannot_add_suggestion(
    team: Team, user_named: Any, people: Any, as_user: Any
) -> None:
    record = make_record(team, user_named("member"), people)
    response = as_user("liaison").post(
        reverse("fieldwork:record_suggest", args=[record.pk]), {"name": "x"}
    )
    assert response.status_code == 404


# -- evidence ---------------------------------------------------------------------------------


def test_link_record_as_evidence(team: Team, user_named: Any, people: Any, as_user: Any) -> None:
    from xuncha.clues.models import EvidenceLink, Record
    from xuncha.clues.services import OPEN

    problem = Record.objects.filter(
        round=team.round, status__in=OPEN, confidentiality="ordinary"
    ).first()
    assert problem is not None
    record = make_record(team, user_named("member"), people)
    response = as_user("member").post(
        reverse("fieldwork:record_evidence", args=[record.pk]),
        {"problem": problem.pk, "excerpt": "他说款项未入账"},
    )
    assert response.status_code == 302
    link = EvidenceLink.objects.get(
        record=problem,
        content_type=ContentType.objects.get_for_model(InterviewRecord),
        object_id=str(record.pk),
    )
    assert link.excerpt == "他说款项未入账"
    assert AuditEvent.objects.filter(
        event_type=E.CLUE_EVIDENCE_ADDED, object_id=str(problem.pk)
    ).exists()
    page = as_user("member").get(reverse("fieldwork:record", args=[record.pk]))
    assert problem.number in page.content.decode()


def test_edit_page(team: Team, user_named: Any, people: Any, as_user: Any) -> None:
    record = make_record(team, user_named("member"), people)
    client = as_user("deputy")
    url = reverse("fieldwork:record_edit", args=[record.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"].questions[0] == ("k1", "问题一")
    assert client.get(reverse("fieldwork:record_new", args=[team.pk])).status_code == 200
    response = client.post(
        url,
        {
            "interviewee_name": "林某某",
            "interviewee_post": "科员",
            "held_at": timezone.localtime(record.held_at).strftime("%Y-%m-%dT%H:%M"),
            "place": "会议室二",
            "asker": people["leader"].pk,
            "recorder": people["member"].pk,
            "answer_0": "改过的回答",
            "scan": SimpleUploadedFile("s.pdf", PDF),
        },
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.place == "会议室二"
    assert record.questions[0]["answer"] == "改过的回答"
    assert record.scan_sha256
    assert _events(E.FIELDWORK_RECORD_CHANGED, record)


def test_a_new_matter_becomes_a_clue_with_the_record_as_evidence(
    team: Team, target: Any, as_user: Any, user_named: Any, people: dict[str, Person]
) -> None:
    from xuncha.clues.models import EvidenceLink
    from xuncha.clues.models import Record as ClueRecord

    member = user_named("member")
    interviewee = _interviewee(team, target, member)
    record = make_record(
        team,
        member,
        people,
        interviewee=interviewee,
        new_leads="反映食堂采购由一家供应商长期供货，价格偏高。",
    )
    url = reverse("fieldwork:record_clue", args=[record.pk])
    before = ClueRecord.objects.count()
    detail = as_user("member").get(reverse("fieldwork:record", args=[record.pk]))
    assert 'data-testid="clue-from-record"' in detail.content.decode()
    # Outsiders do not learn the record exists; a title is needed.
    assert as_user("liaison").post(url, {"kind": "clue", "title": "食堂"}).status_code == 404
    as_user("member").post(url, {"kind": "clue", "title": ""})
    assert ClueRecord.objects.count() == before

    response = as_user("member").post(url, {"kind": "clue", "title": "食堂采购价格偏高"})
    clue = ClueRecord.objects.get(team=team, title="食堂采购价格偏高")
    assert response.status_code == 302 and response["Location"].endswith(f"/{clue.pk}/")
    assert clue.kind == "clue" and clue.source == "interview" and clue.target == target
    assert "一家供应商长期供货" in clue.description
    link = EvidenceLink.objects.get(record=clue)
    assert link.content_type == ContentType.objects.get_for_model(InterviewRecord)
    assert link.object_id == str(record.pk)
    # The interviewee's outline follows the new clue (planned talks only; this one is held).
    assert AuditEvent.objects.filter(event_type=E.CLUE_CREATED, object_id=str(clue.pk)).exists()


def test_a_record_without_new_leads_or_statements_offers_no_clue(
    team: Team, as_user: Any, user_named: Any, people: dict[str, Person]
) -> None:
    record = make_record(team, user_named("member"), people, summary="", new_leads="")
    detail = as_user("member").get(reverse("fieldwork:record", args=[record.pk]))
    assert 'data-testid="clue-from-record"' not in detail.content.decode()
    with pytest.raises(ValidationError, match="no new lead"):
        services.record_clue_create(
            actor=user_named("member"), record=record, kind="clue", title="某事"
        )
