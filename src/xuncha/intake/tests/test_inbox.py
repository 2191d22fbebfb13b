"""The staff inbox pages: who sees which channel and report, filters, sorting and htmx
partials, previews and the xlsx export with their audit events, the report page with and
without an unlocked key, the identity on request, replies the submitter reads, the
workflow forms, staff entry with and without a receipt, attachments and escaping."""

from __future__ import annotations

import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from openpyxl import load_workbook
from PIL import Image

from xuncha.clues.models import EvidenceLink, Record
from xuncha.core.models import AuditEvent, AuditEventType
from xuncha.intake import services
from xuncha.intake.demo import DEMO_REPORT_RECEIPT, ROAD, SUBSIDY
from xuncha.intake.models import Category, Kind, Report, Source, Status
from xuncha.intake.services import Submission, Upload
from xuncha.rounds.models import Team
from xuncha.talent.models import RoundRole

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
HX = {"HTTP_HX_REQUEST": "true"}
XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


@pytest.fixture
def moved_member(channel, user_named):
    """``member`` moved to another team of the round: a team member of another team."""
    other = Team.objects.filter(round=channel.team.round).exclude(pk=channel.team_id).first()
    member = user_named("member")
    RoundRole.objects.filter(profile__person_id=member.person_id, team=channel.team).update(
        team=other
    )
    return member


def _png() -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", (32, 24), "blue")
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def _count(event_type: str) -> int:
    return AuditEvent.objects.filter(event_type=event_type).count()


def _last(event_type: str) -> AuditEvent:
    return AuditEvent.objects.filter(event_type=event_type).latest("seq")


# -- the channels and the inbox -----------------------------------------------------------


def test_index_lists_the_channel_with_counts_and_links(as_user, channel):
    page = as_user("leader").get(reverse("intake:index"), **EN)
    assert page.status_code == 200
    html = page.content.decode()
    assert channel.team.name in html
    assert reverse("intake:inbox", args=[channel.team_id]) in html
    assert reverse("intake:calendar", args=[channel.team_id]) in html
    assert reverse("intake:public_channel", args=[channel.slug]) in html
    assert reverse("intake:channel", args=[channel.team_id]) in html  # the leader sets it up
    assert 'data-testid="count-total">5<' in html
    assert 'data-testid="count-talks">1<' in html
    assert "is not unlocked" in html  # force_login: no key in this session

    member = as_user("member").get(reverse("intake:index"), **EN).content.decode()
    assert reverse("intake:inbox", args=[channel.team_id]) in member
    assert reverse("intake:channel", args=[channel.team_id]) not in member

    office = as_user("office_c1").get(reverse("intake:index"), **EN).content.decode()
    assert "Set up the public channel" in office  # the round's other teams have none yet


@pytest.mark.parametrize("username", ["auditor", "liaison", "receiver", "leading", "admin"])
def test_index_and_inbox_are_denied_to_roles_without_the_channel(as_user, channel, username):
    client = as_user(username)
    assert client.get(reverse("intake:index")).status_code == 403
    assert client.get(reverse("intake:inbox", args=[channel.team_id])).status_code == 403


@pytest.mark.parametrize("username", ["leader", "deputy", "member", "office_c1", "office"])
def test_the_team_and_the_office_see_the_inbox(as_user, channel, demo, username):
    page = as_user(username).get(reverse("intake:inbox", args=[channel.team_id]), **EN)
    assert page.status_code == 200
    html = page.content.decode()
    for report in demo.values():
        assert report.label in html
    assert page["Cache-Control"].count("no-store") == 1


def test_a_member_of_another_team_gets_404(as_user, channel, demo, moved_member):
    client = as_user("member")
    assert client.get(reverse("intake:inbox", args=[channel.team_id])).status_code == 404
    assert client.get(reverse("intake:report", args=[demo["road"].pk])).status_code == 404
    assert client.get(reverse("intake:export", args=[channel.team_id])).status_code == 404


def test_filters_sort_and_htmx_partial(as_user, channel, demo):
    client = as_user("member")
    url = reverse("intake:inbox", args=[channel.team_id])
    talks = client.get(url, {"kind": "talk"}, **EN).content.decode()
    assert demo["talk"].label in talks and demo["road"].label not in talks
    named = client.get(url, {"named": "on"}, **EN).content.decode()
    assert demo["subsidy"].label in named and demo["talk"].label not in named
    waiting = client.get(url, {"status": "waiting"}, **EN).content.decode()
    assert demo["road"].label in waiting and demo["phone"].label not in waiting
    letters = client.get(url, {"source": "letter"}, **EN).content.decode()
    assert demo["letter"].label in letters and demo["subsidy"].label not in letters

    ascending = client.get(url, {"sort": "label"}, **EN).content.decode()
    labels = [r.label for r in sorted(demo.values(), key=lambda r: r.number)]
    positions = [ascending.index(label) for label in labels]
    assert positions == sorted(positions)
    descending = client.get(url, {"sort": "-label"}, **EN).content.decode()
    positions = [descending.index(label) for label in labels]
    assert positions == sorted(positions, reverse=True)

    partial = client.get(url, {"kind": "report"}, **HX, **EN)
    body = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in body
    assert 'id="inbox-table"' in body and demo["talk"].label not in body
    assert "HX-Request" in partial["Vary"]


def test_assigned_to_me_and_unread_filters(as_user, channel, demo, user_named):
    from xuncha.intake import workflow

    workflow.classify(
        actor=user_named("leader"),
        report=demo["letter"],
        discipline="",
        topics=[],
        category=Category.OTHER,
        assigned_to=user_named("member"),
    )
    Report.objects.filter(pk=demo["phone"].pk).update(unread_by_team=False)
    client = as_user("member")
    url = reverse("intake:inbox", args=[channel.team_id])
    mine = client.get(url, {"assigned": "me"}).content.decode()
    assert demo["letter"].label in mine and demo["road"].label not in mine
    unread = client.get(url, {"unread": "on"}).content.decode()
    assert demo["phone"].label not in unread and demo["road"].label in unread


def test_previews_with_an_unlocked_key_and_one_audit_event(signed_in, as_user, channel, demo):
    before = _count(AuditEventType.INTAKE_READ)
    page = signed_in("member").get(reverse("intake:inbox", args=[channel.team_id]), **EN)
    html = page.content.decode()
    assert ROAD[:20] in html and 'data-testid="preview"' in html
    assert _count(AuditEventType.INTAKE_READ) == before + 1
    event = _last(AuditEventType.INTAKE_READ)
    assert event.extra["preview"] is True
    assert sorted(event.extra["ids"]) == sorted(r.pk for r in demo.values())

    locked = as_user("member").get(reverse("intake:inbox", args=[channel.team_id]), **EN)
    assert ROAD[:20] not in locked.content.decode() and "key-notice" in locked.content.decode()
    assert _count(AuditEventType.INTAKE_READ) == before + 1


def test_export_xlsx_has_the_rows_and_is_recorded(as_user, channel, demo):
    before = _count(AuditEventType.INTAKE_EXPORTED)
    response = as_user("office_c1").get(
        reverse("intake:export", args=[channel.team_id]), {"kind": "report"}, **EN
    )
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Number" and "Status" in rows[0]
    labels = {row[0] for row in rows[1:]}
    assert labels == {r.label for r in demo.values() if r.kind == Kind.REPORT}
    assert not any(ROAD[:10] in str(cell) for row in rows for cell in row)  # no content
    assert _count(AuditEventType.INTAKE_EXPORTED) == before + 1
    event = _last(AuditEventType.INTAKE_EXPORTED)
    assert event.extra["count"] == 4 and event.extra["filters"] == {"kind": "report"}
    assert (
        as_user("auditor").get(reverse("intake:export", args=[channel.team_id])).status_code == 403
    )


# -- a report ------------------------------------------------------------------------------


def test_detail_decrypts_for_a_signed_in_member_with_an_audit_event(signed_in, demo):
    before = _count(AuditEventType.INTAKE_READ)
    page = signed_in("member").get(reverse("intake:report", args=[demo["road"].pk]), **EN)
    assert page.status_code == 200
    html = page.content.decode()
    assert ROAD in html
    assert "感谢您的反映" in html  # the team's question in the thread
    assert "no-store" in page["Cache-Control"]
    assert _count(AuditEventType.INTAKE_READ) == before + 1
    assert _last(AuditEventType.INTAKE_READ).object_id == str(demo["road"].pk)


def test_detail_without_a_key_explains_and_shows_nothing(as_user, demo):
    page = as_user("member").get(reverse("intake:report", args=[demo["road"].pk]), **EN)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="locked"' in html and reverse("intake:keys") in html
    assert ROAD not in html and "感谢您的反映" not in html


def test_a_talk_request_shows_its_preferences_in_words(signed_in, demo):
    html = signed_in("leader").get(reverse("intake:report", args=[demo["talk"].pk]), **EN)
    text = html.content.decode()
    assert "In person" in text and "Afternoon" in text and "A neutral place" in text
    assert "Any day" in text and "想当面反映村里换届选举" in text


def test_identity_only_on_request_for_leaders(signed_in, demo):
    subsidy = demo["subsidy"]
    leader = signed_in("leader")
    page = leader.get(reverse("intake:report", args=[subsidy.pk]), **EN).content.decode()
    assert SUBSIDY in page and "林晓雨" not in page and "show-identity" in page
    before = _count(AuditEventType.INTAKE_IDENTITY_READ)
    shown = leader.post(reverse("intake:identity", args=[subsidy.pk]), **HX, **EN)
    assert shown.status_code == 200
    assert "林晓雨" in shown.content.decode() and "13800000000" in shown.content.decode()
    assert "<html" not in shown.content.decode() and "no-store" in shown["Cache-Control"]
    assert _count(AuditEventType.INTAKE_IDENTITY_READ) == before + 1

    member = signed_in("member")
    assert member.post(reverse("intake:identity", args=[subsidy.pk])).status_code == 403
    assert _count(AuditEventType.INTAKE_IDENTITY_READ) == before + 1
    for url in (
        reverse("intake:report", args=[subsidy.pk]),
        reverse("intake:inbox", args=[subsidy.channel.team_id]),
        reverse("intake:convert", args=[subsidy.pk]),
    ):
        html = member.get(url, **EN).content.decode()
        assert "林晓雨" not in html and "13800000000" not in html
        assert "show-identity" not in html
    assert leader.get(reverse("intake:identity", args=[subsidy.pk])).status_code == 405


def test_a_reply_reaches_the_submitter(signed_in, demo):
    client = signed_in("leader")
    response = client.post(
        reverse("intake:reply", args=[demo["road"].pk]),
        {"text": "请问施工队叫什么名字？", "waiting": "on"},
    )
    assert response.status_code == 302
    found = services.report_for_receipt(DEMO_REPORT_RECEIPT)
    assert found is not None
    opened = services.open_for_submitter(*found)
    assert opened.messages[-1][1] == "请问施工队叫什么名字？"
    assert found[0].status == Status.WAITING
    assert _last(AuditEventType.INTAKE_REPLIED).extra == {"asks": True}


def test_a_reply_without_a_key_is_refused_with_a_message(as_user, demo):
    count = demo["road"].messages.count()
    response = as_user("leader").post(
        reverse("intake:reply", args=[demo["road"].pk]), {"text": "你好"}, follow=True, **EN
    )
    assert "not unlocked" in response.content.decode()
    assert demo["road"].messages.count() == count


def test_classify_forward_and_close_through_the_page(signed_in, as_user, demo, user_named):
    client = as_user("member")
    response = client.post(
        reverse("intake:classify", args=[demo["phone"].pk]),
        {"discipline": "integrity", "category": "projects", "assigned_to": user_named("deputy").pk},
        **HX,
        **EN,
    )
    assert response.status_code == 200 and "Classification saved." in response.content.decode()
    demo["phone"].refresh_from_db()
    assert demo["phone"].status == Status.REVIEW and demo["phone"].assigned_to.username == "deputy"
    assert _last(AuditEventType.INTAKE_CLASSIFIED).object_id == str(demo["phone"].pk)

    refused = client.post(
        reverse("intake:classify", args=[demo["phone"].pk]),
        {"category": "projects", "assigned_to": user_named("auditor").pk},
        **HX,
        **EN,
    )
    assert "is-invalid" in refused.content.decode()

    department = demo["letter"].channel.team.targets.first()
    client.post(
        reverse("intake:forward", args=[demo["letter"].pk]),
        {"organisation": department.pk, "note": "宅基地纠纷，请乡镇调解。"},
    )
    demo["letter"].refresh_from_db()
    assert demo["letter"].status == Status.FORWARDED and demo["letter"].forwarded_to == department

    client.post(reverse("intake:close", args=[demo["phone"].pk]), {"reason": "已核实，无此事。"})
    demo["phone"].refresh_from_db()
    assert demo["phone"].status == Status.CLOSED
    page = signed_in("member").get(reverse("intake:report", args=[demo["phone"].pk]), **EN)
    assert "已核实，无此事。" in page.content.decode()

    denied = as_user("auditor").post(
        reverse("intake:close", args=[demo["road"].pk]), {"reason": "x"}
    )
    assert denied.status_code == 403


def test_the_duplicate_is_suggested_first_and_marked(signed_in, demo):
    client = signed_in("member")
    panel = client.get(reverse("intake:duplicate", args=[demo["phone"].pk]), **HX, **EN)
    html = panel.content.decode()
    assert panel.status_code == 200 and "<html" not in html
    first = html.index('data-testid="similar-report"')
    assert demo["road"].label in html[first : first + 400]
    response = client.post(
        reverse("intake:duplicate", args=[demo["phone"].pk]), {"original": demo["road"].pk}
    )
    assert response.status_code == 302
    demo["phone"].refresh_from_db()
    assert demo["phone"].status == Status.DUPLICATE and demo["phone"].duplicate_of == demo["road"]
    road = client.get(reverse("intake:report", args=[demo["road"].pk]), **EN).content.decode()
    assert 'data-testid="duplicates"' in road and demo["phone"].label in road


def test_convert_the_road_report_into_a_clue(signed_in, demo):
    client = signed_in("member")
    road = demo["road"]
    form = client.get(reverse("intake:convert", args=[road.pk]), **EN)
    assert form.status_code == 200 and ROAD in form.content.decode()
    target = road.channel.team.targets.first()
    response = client.post(
        reverse("intake:convert", args=[road.pk]),
        {
            "kind": "clue",
            "target": target.pk,
            "title": "村道硬化工程虚报工程量",
            "description": ROAD,
            "subjects": "",
            "discipline": "integrity",
            "credibility": "medium",
            "priority": "high",
        },
    )
    assert response.status_code == 302
    record = Record.objects.get(title="村道硬化工程虚报工程量")
    assert response["Location"] == reverse("clues:detail", args=[record.pk])
    assert record.source == "public" and record.kind == "clue" and record.team == road.channel.team
    assert EvidenceLink.objects.filter(
        record=record,
        content_type=ContentType.objects.get_for_model(Report),
        object_id=str(road.pk),
    ).exists()
    road.refresh_from_db()
    assert road.status == Status.CONVERTED
    page = client.get(reverse("intake:report", args=[road.pk]), **EN).content.decode()
    assert record.number in page


def test_convert_is_denied_without_the_right(as_user, demo, moved_member):
    url = reverse("intake:convert", args=[demo["road"].pk])
    assert as_user("auditor").get(url).status_code == 403
    assert as_user("liaison").post(url, {"record": "1"}).status_code == 403
    assert as_user("member").get(url).status_code == 404  # moved to another team
    assert as_user("member").post(url, {"title": "x"}).status_code == 404
    demo["road"].refresh_from_db()
    assert demo["road"].status == Status.WAITING


# -- staff entry ---------------------------------------------------------------------------

ENTRY = {
    "source": "letter",
    "kind": "report",
    "category": "funds",
    "about": "村会计",
    "organisation": "某村",
    "what": "来信反映村会计挪用集体资金。",
    "when": "今年",
    "mode": "either",
    "place_kind": "team",
}


def test_a_letter_with_a_receipt(as_user, channel):
    client = as_user("member")
    response = client.post(
        reverse("intake:enter", args=[channel.team_id]),
        {**ENTRY, "with_receipt": "on", "name": "张某"},
        **EN,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="receipt"' in html and "no-store" in response["Cache-Control"]
    receipt = html.split('data-testid="receipt">', 1)[1].split("<", 1)[0].strip()
    found = services.report_for_receipt(receipt)
    assert found is not None
    report = found[0]
    assert (
        report.source == Source.LETTER and report.named and report.entered_by.username == "member"
    )
    assert _last(AuditEventType.INTAKE_ENTERED).object_id == str(report.pk)
    assert receipt not in str(list(AuditEvent.objects.values_list("extra", "after")))


def test_a_call_without_a_receipt_and_a_talk_request(as_user, channel, private_key, user_named):
    client = as_user("office_c1")
    count = Report.objects.filter(channel=channel).count()
    response = client.post(
        reverse("intake:enter", args=[channel.team_id]),
        {**ENTRY, "source": "phone", "kind": "talk", "what": "", "topic": "想谈谈", "days": [1, 3]},
    )
    assert response.status_code == 302
    report = Report.objects.filter(channel=channel).latest("pk")
    assert Report.objects.filter(channel=channel).count() == count + 1
    assert report.receipt_digest is None and report.kind == Kind.TALK
    opened = services.report_read(
        actor=user_named("office_c1"), report=report, private_key=private_key("office_c1")
    )
    assert opened.content == {
        "mode": "either",
        "days": [1, 3],
        "times": [],
        "place_kind": "team",
        "topic": "想谈谈",
    }


def test_entry_refuses_disguised_files_and_people_without_the_right(as_user, channel):
    from django.core.files.uploadedfile import SimpleUploadedFile

    count = Report.objects.count()
    fake = SimpleUploadedFile("照片.jpg", b"MZ\x90\x00 this is a windows program")
    response = as_user("member").post(
        reverse("intake:enter", args=[channel.team_id]), {**ENTRY, "attachments": [fake]}, **EN
    )
    assert response.status_code == 200 and "not a kind of file" in response.content.decode()
    assert Report.objects.count() == count
    assert (
        as_user("liaison").get(reverse("intake:enter", args=[channel.team_id])).status_code == 403
    )
    empty = as_user("member").post(
        reverse("intake:enter", args=[channel.team_id]), {**ENTRY, "what": ""}, **EN
    )
    assert "Write down what the person reported." in empty.content.decode()


# -- attachments ---------------------------------------------------------------------------


@pytest.fixture
def with_photo(channel):
    report, _ = services.submit(
        channel=channel,
        submission=Submission(
            kind=Kind.REPORT,
            category=Category.PROJECTS,
            content={"about": "", "organisation": "", "what": "照片为证。", "when": ""},
            files=[Upload("现场 照片.jpg", _png())],
        ),
    )
    return report.attachments.get()


def test_attachment_download_and_preview(signed_in, with_photo):
    client = signed_in("member")
    url = reverse("intake:attachment", args=[with_photo.pk])
    original = client.get(url)
    assert original.status_code == 200 and b"SecretCameraMaker" in original.content
    assert original["Content-Type"] == "image/jpeg"
    assert original["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
    assert "%E7%8E%B0%E5%9C%BA%20%E7%85%A7%E7%89%87.jpg" in original["Content-Disposition"]
    assert original["X-Content-Type-Options"] == "nosniff"
    assert original["Cache-Control"] == "no-store"
    assert original["Content-Security-Policy"] == "sandbox; default-src 'none'; img-src 'self'"
    preview = client.get(url, {"preview": "1"})
    assert preview["Content-Disposition"].startswith("inline;")
    assert b"SecretCameraMaker" not in preview.content
    assert _last(AuditEventType.INTAKE_FILE_READ).extra == {"preview": True}
    page = client.get(reverse("intake:report", args=[with_photo.report_id])).content.decode()
    assert f'src="{url}?preview=1"' in page


def test_attachment_is_404_for_another_team_and_403_without_a_key(
    as_user, with_photo, moved_member
):
    url = reverse("intake:attachment", args=[with_photo.pk])
    assert as_user("member").get(url).status_code == 404  # moved to another team
    assert as_user("auditor").get(url).status_code == 403  # no channel role at all
    assert as_user("deputy").get(url).status_code == 403  # force_login: no key


# -- escaping ------------------------------------------------------------------------------


def test_payloads_come_out_escaped_in_the_staff_pages(signed_in, channel, private_key, user_named):
    a, b = XSS
    report, _ = services.submit(
        channel=channel,
        submission=Submission(
            kind=Kind.REPORT,
            category=Category.OTHER,
            content={"about": a, "organisation": b, "what": f"{a} {b}", "when": a},
            identity={"name": a, "phone": b, "other": a},
        ),
    )
    services.staff_message(
        actor=user_named("leader"),
        report=report,
        private_key=private_key("leader"),
        text=f"{b} {a}",
    )
    client = signed_in("leader")
    pages = [
        client.get(reverse("intake:report", args=[report.pk])),
        client.get(reverse("intake:inbox", args=[channel.team_id])),
        client.get(reverse("intake:convert", args=[report.pk])),
        client.post(reverse("intake:identity", args=[report.pk]), **HX),
        client.get(reverse("intake:duplicate", args=[report.pk]), **HX),
    ]
    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200
        assert "<script>alert(1)</script>" not in html
        assert "<img src=x onerror" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0].content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[1].content.decode()  # the preview
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[2].content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[3].content.decode()
