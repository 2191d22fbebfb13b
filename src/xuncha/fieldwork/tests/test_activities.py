"""Activities: the two-person rules, team members only, the parts a method records, file
sniffing and results tables, approving covert visits, evidence links, the pages and who
may open them, and the audit events."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from xuncha.core.models import AuditEvent, AuditEventType, Organisation, Person
from xuncha.fieldwork import activity_services as services
from xuncha.fieldwork import common
from xuncha.fieldwork.models import Activity, ActivityFile, Method, Notice
from xuncha.rounds.models import Team

pytestmark = pytest.mark.django_db


def _today() -> dt.date:
    """The office's calendar day, read when a test runs (a run may cross midnight)."""
    return timezone.localdate()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def members(team: Team, n: int) -> list[Person]:
    return [s.person for s in common.seats(team)][:n]


def method(code: str) -> Method:
    return Method.objects.get(code=code)


def record(
    actor: Any,
    team: Team,
    target: Organisation,
    code: str,
    people: int = 2,
    **extra: Any,
) -> Activity:
    values: dict[str, Any] = {
        "actor": actor,
        "team": team,
        "target": target,
        "method": method(code),
        "date": _today(),
        "title": "听取县编办工作汇报",
        "record": "汇报了机构编制管理情况。",
        "participants": members(team, people),
    }
    values.update(extra)
    return services.activity_create(**values)


def events(event_type: str, obj: Any) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            event_type=event_type, object_type=obj._meta.label_lower, object_id=str(obj.pk)
        )
    )


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def xlsx(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# -- two-person rules and who takes part -------------------------------------------------------


def test_covert_visit_needs_two_members(team: Team, target: Organisation, user_named: Any) -> None:
    member = user_named("member")
    with pytest.raises(ValidationError) as refused:
        record(member, team, target, "covert_visit", people=1)
    assert refused.value.messages == [
        "Covert visits need at least 2 team members taking part; 1 given."
    ]
    visit = record(member, team, target, "covert_visit", people=2)
    assert visit.participants.count() == 2
    assert visit.approved_at is None
    # The leader hears that a record waits for approval.
    assert Notice.objects.filter(user=user_named("leader"), team=team).exists()


def test_opening_the_mailbox_needs_two(team: Team, target: Organisation, user_named: Any) -> None:
    with pytest.raises(ValidationError, match="at least 2 team members"):
        record(user_named("member"), team, target, "open_mailbox", people=1)
    assert record(user_named("member"), team, target, "open_mailbox", people=2).pk


def test_a_method_without_the_rule_takes_one(
    team: Team, target: Organisation, user_named: Any
) -> None:
    activity = record(user_named("member"), team, target, "hear_reports", people=1)
    assert activity.participants.count() == 1
    assert events(AuditEventType.FIELDWORK_ACTIVITY_RECORDED, activity)


def test_the_same_person_twice_counts_once(
    team: Team, target: Organisation, user_named: Any
) -> None:
    one = members(team, 1)[0]
    with pytest.raises(ValidationError, match="1 given"):
        record(user_named("member"), team, target, "covert_visit", participants=[one, one])


def test_people_outside_the_team_are_refused(
    team: Team, target: Organisation, user_named: Any
) -> None:
    outsider = Person.objects.exclude(pk__in=common.member_ids(team)).first()
    assert outsider is not None
    with pytest.raises(ValidationError, match="not a member of this team"):
        record(
            user_named("member"),
            team,
            target,
            "hear_reports",
            participants=[*members(team, 1), outsider],
        )


def test_talks_are_interview_records(team: Team, target: Organisation, user_named: Any) -> None:
    with pytest.raises(ValidationError, match="interview records"):
        record(user_named("member"), team, target, "individual_talk")


def test_target_must_be_the_teams(team: Team, user_named: Any) -> None:
    other = Organisation.objects.exclude(pk__in=team.targets.values("pk")).first()
    assert other is not None
    with pytest.raises(ValidationError, match="team's targets"):
        record(user_named("member"), team, other, "hear_reports")


def test_inactive_methods_are_refused(team: Team, target: Organisation, user_named: Any) -> None:
    Method.objects.filter(code="forum").update(is_active=False)
    with pytest.raises(ValidationError, match="no longer in use"):
        record(user_named("member"), team, target, "forum")


def test_only_visits_carry_a_group_and_households(
    team: Team, target: Organisation, user_named: Any
) -> None:
    member = user_named("member")
    with pytest.raises(ValidationError, match="not counted by group"):
        record(member, team, target, "forum", group="visit_petitioners")
    with pytest.raises(ValidationError, match="do not record households"):
        record(member, team, target, "forum", households=[{"household": "李家"}])
    with pytest.raises(ValidationError, match="not one of the compulsory visits"):
        record(member, team, target, "field_visit", group="talk_secretary")
    visit = record(
        member,
        team,
        target,
        "field_visit",
        group="visit_veterans",
        households=[
            {"household": "王大爷家", "group": "visit_veterans"},
            {"household": "赵家", "group": "visit_petitioners", "note": "反映低保问题"},
        ],
    )
    assert [h.group for h in visit.households.all()] == ["visit_veterans", "visit_petitioners"]


def test_documents_only_where_the_method_reads_them(
    team: Team, target: Organisation, user_named: Any
) -> None:
    member = user_named("member")
    with pytest.raises(ValidationError, match="register of documents"):
        record(member, team, target, "forum", documents=[{"title": "会议纪要"}])
    with pytest.raises(ValidationError, match="no title"):
        record(member, team, target, "read_documents", documents=[{"title": " "}])
    activity = record(
        member,
        team,
        target,
        "read_documents",
        documents=[
            {"title": "2025年党组会议记录", "reference": "DZ-2025-01", "copied": True, "pages": 12},
            {"title": "三重一大决策台账"},
        ],
    )
    assert activity.documents.count() == 2
    assert activity.documents.first().copied is True  # type: ignore[union-attr]


def test_the_date_cannot_lie_ahead(team: Team, target: Organisation, user_named: Any) -> None:
    with pytest.raises(ValidationError, match="future"):
        record(
            user_named("member"),
            team,
            target,
            "hear_reports",
            date=_today() + dt.timedelta(days=2),
        )


# -- files ------------------------------------------------------------------------------------


def test_files_are_judged_by_their_bytes(team: Team, target: Organisation, user_named: Any) -> None:
    member = user_named("member")
    with pytest.raises(ValidationError, match=r"fake\.pdf is not an allowed file"):
        record(member, team, target, "hear_reports", files=[upload("fake.pdf", PNG)])
    with pytest.raises(ValidationError, match="not an allowed file"):
        record(member, team, target, "hear_reports", files=[upload("run.exe", b"MZ\x90\x00")])
    with pytest.raises(ValidationError, match="not an allowed file"):
        record(member, team, target, "hear_reports", files=[upload("a.csv", b"\x00\x01bin")])
    before = ActivityFile.objects.count()
    activity = record(
        member,
        team,
        target,
        "hear_reports",
        files=[upload("汇报材料.pdf", PDF), upload("现场.png", PNG)],
    )
    stored = list(activity.files.all())
    assert [f.name for f in stored] == ["汇报材料.pdf", "现场.png"]
    assert stored[0].sha256 == hashlib.sha256(PDF).hexdigest()
    assert ActivityFile.objects.count() == before + 2


def test_at_most_ten_files(team: Team, target: Organisation, user_named: Any) -> None:
    files = [upload(f"{i}.pdf", PDF) for i in range(11)]
    with pytest.raises(ValidationError, match="at most 10 files"):
        record(user_named("member"), team, target, "hear_reports", files=files)


def test_a_results_table_from_xlsx(
    team: Team, target: Organisation, user_named: Any, as_user: Any
) -> None:
    data = xlsx([["题目", "满意", "不满意"], ["班子作风", 40, 6], ["办事效率", 35, 11]])
    activity = record(
        user_named("member"),
        team,
        target,
        "questionnaire",
        files=[upload("测评结果.xlsx", data)],
    )
    stored = activity.files.get()
    assert stored.is_results is True
    assert stored.table == {
        "headers": ["题目", "满意", "不满意"],
        "rows": [["班子作风", 40, 6], ["办事效率", 35, 11]],
    }
    page = as_user("member").get(reverse("fieldwork:activity", args=[activity.pk]))
    assert 'data-testid="results-table"' in page.content.decode()


def test_a_results_table_from_gb18030_csv(
    team: Team, target: Organisation, user_named: Any
) -> None:
    text = "题目,满意,不满意\r\n班子作风,40,6\r\n办事效率,35,11\r\n"
    activity = record(
        user_named("member"),
        team,
        target,
        "questionnaire",
        files=[upload("结果.csv", text.encode("gb18030"))],
    )
    table = activity.files.get().table
    assert table is not None
    assert table["headers"] == ["题目", "满意", "不满意"]
    assert table["rows"][1] == ["办事效率", "35", "11"]


def test_an_unreadable_table_names_the_file_and_row(
    team: Team, target: Organisation, user_named: Any
) -> None:
    text = "题目,满意\n班子作风,40\n办事效率,35,11,多余\n"
    with pytest.raises(ValidationError) as refused:
        record(
            user_named("member"),
            team,
            target,
            "questionnaire",
            files=[upload("结果.csv", text.encode("utf-8"))],
        )
    assert refused.value.messages == ["结果.csv, row 3: 4 cells, but the header has 2."]
    too_long = "a,b\n" + "1,2\n" * (services.MAX_TABLE_ROWS + 1)
    with pytest.raises(ValidationError, match="more than 2000 rows"):
        record(
            user_named("member"),
            team,
            target,
            "questionnaire",
            files=[upload("长表.csv", too_long.encode())],
        )


def test_a_spreadsheet_elsewhere_is_a_plain_attachment(
    team: Team, target: Organisation, user_named: Any
) -> None:
    activity = record(
        user_named("member"),
        team,
        target,
        "hear_reports",
        files=[upload("名单.xlsx", xlsx([["a"], [1]]))],
    )
    stored = activity.files.get()
    assert stored.is_results is False and stored.table is None


# -- approval ---------------------------------------------------------------------------------


def test_covert_visits_are_approved_by_the_leading(
    team: Team, target: Organisation, user_named: Any, as_user: Any
) -> None:
    visit = record(user_named("member"), team, target, "covert_visit")
    url = reverse("fieldwork:activity_approve", args=[visit.pk])
    assert as_user("member").post(url).status_code == 403
    with pytest.raises(ValidationError, match="Only the team leader"):
        services.activity_approve(actor=user_named("member"), activity=visit)
    assert as_user("liaison").post(url).status_code == 404
    response = as_user("deputy").post(url)
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.approved_by == user_named("deputy")
    assert events(AuditEventType.FIELDWORK_ACTIVITY_APPROVED, visit)
    with pytest.raises(ValidationError, match="already approved"):
        services.activity_approve(actor=user_named("leader"), activity=visit)
    plain = record(user_named("member"), team, target, "hear_reports")
    with pytest.raises(ValidationError, match="need no approval"):
        services.activity_approve(actor=user_named("leader"), activity=plain)


def test_the_office_may_approve(team: Team, target: Organisation, user_named: Any) -> None:
    visit = record(user_named("member"), team, target, "covert_visit")
    approved = services.activity_approve(actor=user_named("office_c1"), activity=visit)
    assert approved.approved_at is not None


def test_a_change_to_an_approved_visit_needs_approval_again(
    team: Team, target: Organisation, user_named: Any
) -> None:
    visit = record(user_named("member"), team, target, "covert_visit")
    services.activity_approve(actor=user_named("leader"), activity=visit)
    changed = services.activity_update(
        actor=user_named("member"),
        activity=visit,
        target=target,
        method=visit.method,
        date=visit.date,
        title="暗访窗口单位作风",
        record="窗口工作人员上班时间玩手机。",
        participants=members(team, 3),
    )
    assert changed.approved_at is None
    assert changed.participants.count() == 3
    change = events(AuditEventType.FIELDWORK_ACTIVITY_CHANGED, visit)[0]
    assert change.before is not None and change.before["approved"] is True
    assert change.after is not None and change.after["approved"] is False


def test_an_update_replaces_the_register_and_removes_files(
    team: Team, target: Organisation, user_named: Any
) -> None:
    activity = record(
        user_named("member"),
        team,
        target,
        "read_documents",
        documents=[{"title": "甲"}, {"title": "乙"}],
        files=[upload("a.pdf", PDF)],
    )
    old = activity.files.get()
    services.activity_update(
        actor=user_named("member"),
        activity=activity,
        target=target,
        method=activity.method,
        date=activity.date,
        title=activity.title,
        record=activity.record,
        participants=members(team, 1),
        documents=[{"title": "丙"}],
        files=[upload("b.png", PNG)],
        remove_files=[old],
    )
    assert [d.title for d in activity.documents.all()] == ["丙"]
    assert [f.name for f in activity.files.all()] == ["b.png"]


# -- pages ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("member", 200),
        ("leader", 200),
        ("office", 200),
        ("office_c1", 200),
        ("liaison", 404),
        ("receiver", 404),
        ("leading", 404),
        ("auditor", 404),
        ("admin", 404),
    ],
)
def test_who_may_open_the_pages(
    team: Team, target: Organisation, user_named: Any, as_user: Any, username: str, status: int
) -> None:
    activity = record(
        user_named("member"), team, target, "hear_reports", files=[upload("a.pdf", PDF)]
    )
    client = as_user(username)
    urls = [
        reverse("fieldwork:activities", args=[team.pk]),
        reverse("fieldwork:activities_export", args=[team.pk]),
        reverse("fieldwork:activity_new", args=[team.pk]),
        reverse("fieldwork:activity_new", args=[team.pk]) + "?method=field_visit",
        reverse("fieldwork:activity", args=[activity.pk]),
        reverse("fieldwork:activity_edit", args=[activity.pk]),
        reverse("fieldwork:activity_file", args=[activity.files.get().pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == status, url


def test_the_list_filters_sorts_and_exports(
    team: Team, target: Organisation, user_named: Any, as_user: Any
) -> None:
    member = user_named("member")
    record(member, team, target, "hear_reports", title="A 汇报")
    record(member, team, target, "forum", title="B 座谈")
    client = as_user("member")
    url = reverse("fieldwork:activities", args=[team.pk])
    forum = method("forum")
    page = client.get(url, {"method": forum.pk}).content.decode()
    assert "B 座谈" in page and "A 汇报" not in page
    partial = client.get(url, {"sort": "title"}, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert b"<html" not in partial.content
    text = partial.content.decode()
    assert text.index("A 汇报") < text.index("B 座谈")
    export = client.get(reverse("fieldwork:activities_export", args=[team.pk]))
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert events(AuditEventType.FIELDWORK_EXPORTED, team)


def test_the_form_shows_only_what_the_method_records(team: Team, as_user: Any) -> None:
    client = as_user("member")
    url = reverse("fieldwork:activity_new", args=[team.pk])
    chooser = client.get(url).content.decode()
    assert 'data-testid="choose-covert_visit"' in chooser
    assert 'data-testid="choose-individual_talk"' not in chooser
    visit = client.get(url, {"method": "field_visit"}).content.decode()
    assert 'data-testid="households-part"' in visit and 'data-testid="documents-part"' not in visit
    docs = client.get(url, {"method": "read_documents"}).content.decode()
    assert 'data-testid="documents-part"' in docs and 'data-testid="households-part"' not in docs
    results = client.get(url, {"method": "questionnaire"}).content.decode()
    assert 'data-testid="results-part"' in results
    assert client.get(url, {"method": "individual_talk"}).status_code == 400


def test_recording_through_the_page(team: Team, target: Organisation, as_user: Any) -> None:
    client = as_user("member")
    people = members(team, 2)
    url = reverse("fieldwork:activity_new", args=[team.pk]) + "?method=read_documents"
    data: dict[str, Any] = {
        "target": target.pk,
        "date": _today().isoformat(),
        "title": "调阅党组会议记录",
        "participants": [p.pk for p in people],
        "record": "调阅2024—2025年党组会议记录。",
        "doc-TOTAL_FORMS": "3",
        "doc-INITIAL_FORMS": "0",
        "doc-0-title": "党组会议记录（2024）",
        "doc-0-pages": "80",
        "doc-0-copied": "on",
        "doc-1-title": "",
        "doc-2-title": "",
        "attachments": [upload("摘录.pdf", PDF)],
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    activity = Activity.objects.get(title="调阅党组会议记录")
    assert activity.documents.get().pages == 80
    assert activity.files.get().name == "摘录.pdf"
    detail = client.get(response["Location"]).content.decode()
    assert "党组会议记录（2024）" in detail
    # The two-person rule through the page: the error is shown, nothing is saved.
    covert = reverse("fieldwork:activity_new", args=[team.pk]) + "?method=covert_visit"
    data = {
        "target": target.pk,
        "date": _today().isoformat(),
        "title": "暗访",
        "participants": [people[0].pk],
        "record": "暗访记录",
        "home-TOTAL_FORMS": "0",
        "home-INITIAL_FORMS": "0",
    }
    refused = client.post(covert, data)
    assert refused.status_code == 200
    assert "at least 2 team members" in refused.content.decode()
    assert not Activity.objects.filter(title="暗访").exists()


def test_a_file_download_is_audited_and_not_sniffed(
    team: Team, target: Organisation, user_named: Any, as_user: Any
) -> None:
    activity = record(
        user_named("member"), team, target, "hear_reports", files=[upload("材料.pdf", PDF)]
    )
    stored = activity.files.get()
    response = as_user("leader").get(reverse("fieldwork:activity_file", args=[stored.pk]))
    assert response.status_code == 200
    assert response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    read = events(AuditEventType.FIELDWORK_FILE_READ, stored)
    assert read and read[0].actor == user_named("leader")


def test_evidence_links_from_the_activity_page(
    team: Team, target: Organisation, user_named: Any, as_user: Any
) -> None:
    from xuncha.clues import services as clue_services

    problem = clue_services.record_create(
        actor=user_named("office_c1"),
        round_=team.round,
        team=team,
        target=target,
        kind="problem",
        title="编制台账不清",
        description="调阅资料发现编制台账与实际不符。",
        source="method",
    )
    activity = record(user_named("member"), team, target, "read_documents")
    client = as_user("member")
    page = client.get(reverse("fieldwork:activity", args=[activity.pk])).content.decode()
    assert 'data-testid="evidence-form"' in page
    response = client.post(
        reverse("fieldwork:activity_evidence", args=[activity.pk]),
        {"record": problem.pk, "excerpt": "台账第3页"},
    )
    assert response.status_code == 302
    page = client.get(reverse("fieldwork:activity", args=[activity.pk])).content.decode()
    assert problem.number in page and "台账第3页" in page
    assert (
        as_user("liaison")
        .post(reverse("fieldwork:activity_evidence", args=[activity.pk]), {"record": problem.pk})
        .status_code
        == 404
    )


def test_changing_through_the_page_keeps_and_drops_rows(
    team: Team, target: Organisation, user_named: Any, as_user: Any
) -> None:
    activity = record(
        user_named("member"),
        team,
        target,
        "read_documents",
        documents=[{"title": "甲文件", "pages": 3}, {"title": "乙文件"}],
    )
    client = as_user("member")
    url = reverse("fieldwork:activity_edit", args=[activity.pk])
    page = client.get(url).content.decode()
    assert 'value="甲文件"' in page and 'name="doc-INITIAL_FORMS" value="2"' in page
    data: dict[str, Any] = {
        "target": target.pk,
        "date": activity.date.isoformat(),
        "title": activity.title,
        "participants": [p.pk for p in members(team, 1)],
        "record": activity.record,
        "doc-TOTAL_FORMS": "5",
        "doc-INITIAL_FORMS": "2",
        "doc-0-title": "甲文件",
        "doc-0-pages": "3",
        "doc-1-title": "",
        "doc-2-title": "丙文件",
    }
    response = client.post(url + "?method=read_documents", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert [(d.title, d.pages) for d in activity.documents.all()] == [
        ("甲文件", 3),
        ("丙文件", None),
    ]
    assert events(AuditEventType.FIELDWORK_ACTIVITY_CHANGED, activity)
