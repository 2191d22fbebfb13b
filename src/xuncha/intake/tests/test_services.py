"""The core services: submission sealed to the team, reading by staff with audit events,
the submitter's receipt, the thread, re-sharing to newcomers, keys after a password reset."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from xuncha.core.demo.generator import DEMO_PASSWORD
from xuncha.core.models import AuditEvent, AuditEventType
from xuncha.intake import services
from xuncha.intake.lib import receipts
from xuncha.intake.models import Category, Kind, Message, Report, ReportKey, Status, UserKey
from xuncha.intake.services import Submission, Upload

TEXT = "村会计把集体土地补偿款存进了个人账户，至今没有公开。"


def _submit(channel, **extra):
    submission = Submission(
        kind=Kind.REPORT,
        category=Category.FUNDS,
        content={"about": "村会计", "organisation": "某村", "what": TEXT, "when": "今年三月"},
        **extra,
    )
    return services.submit(channel=channel, submission=submission)


def test_a_report_is_sealed_to_every_recipient_and_read_with_an_audit_event(
    channel, user_named, private_key
):
    report, receipt = _submit(channel)
    assert receipt and len(receipts.normalise(receipt)) == receipts.LENGTH
    holders = set(ReportKey.objects.filter(report=report).values_list("user__username", flat=True))
    assert {"leader", "deputy", "member", "office_c1"} <= holders
    assert "auditor" not in holders and "liaison" not in holders
    assert report.received_at.minute == 0 and report.received_at.second == 0

    opened = services.report_read(
        actor=user_named("member"), report=report, private_key=private_key("member")
    )
    assert opened.content["what"] == TEXT
    event = AuditEvent.objects.filter(event_type=AuditEventType.INTAKE_READ).latest("seq")
    assert event.actor.username == "member" and event.object_id == str(report.pk)


def test_reading_needs_the_policy_and_the_key(channel, user_named, private_key):
    report, _ = _submit(channel)
    with pytest.raises(PermissionDenied):  # the auditor is not authorised at all
        services.report_read(actor=user_named("auditor"), report=report, private_key=b"x" * 32)
    with pytest.raises(PermissionDenied):  # authorised, but the key is not unlocked
        services.report_read(actor=user_named("member"), report=report, private_key=None)
    with pytest.raises(PermissionDenied):  # someone else's private key opens nothing
        services.report_read(
            actor=user_named("member"), report=report, private_key=private_key("leader")
        )


def test_identity_is_for_leaders_and_office_and_every_read_is_recorded(
    channel, user_named, private_key
):
    report, _ = _submit(channel, identity={"name": "宋青山", "phone": "13900000000", "other": ""})
    assert report.named
    with pytest.raises(PermissionDenied):
        services.identity_read(
            actor=user_named("member"), report=report, private_key=private_key("member")
        )
    before = AuditEvent.objects.filter(event_type=AuditEventType.INTAKE_IDENTITY_READ).count()
    identity = services.identity_read(
        actor=user_named("leader"), report=report, private_key=private_key("leader")
    )
    assert identity["name"] == "宋青山"
    after = AuditEvent.objects.filter(event_type=AuditEventType.INTAKE_IDENTITY_READ).count()
    assert after == before + 1


def test_the_receipt_opens_the_thread_and_the_submitter_answers(channel, user_named, private_key):
    report, receipt = _submit(channel)
    services.staff_message(
        actor=user_named("leader"),
        report=report,
        private_key=private_key("leader"),
        text="请问是哪一笔补偿款？",
        waiting=True,
    )
    report.refresh_from_db()
    assert report.status == Status.WAITING and report.unread_by_submitter

    found = services.report_for_receipt(receipts.grouped(receipt).lower())
    assert found is not None and found[0].pk == report.pk
    opened = services.open_for_submitter(*found)
    assert [text for _m, text in opened.messages] == ["请问是哪一笔补偿款？"]
    services.submitter_message(report=found[0], report_key=found[1], text="是2025年的征地款。")
    report.refresh_from_db()
    assert report.status == Status.REVIEW and report.unread_by_team
    assert services.report_for_receipt(receipts.new_receipt()) is None
    assert services.report_for_receipt("not a receipt") is None
    last = Message.objects.filter(report=report).last()
    assert last.author_kind == Message.Author.SUBMITTER and last.created_at.minute == 0


def test_attachments_are_encrypted_and_images_lose_their_metadata(
    channel, user_named, private_key, tmp_path
):
    import io

    from PIL import Image

    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    photo = buffer.getvalue()
    assert b"SecretCameraMaker" in photo
    report, _ = _submit(channel, files=[Upload("现场.jpg", photo)])
    attachment = report.attachments.get()
    assert attachment.kind == "image" and attachment.preview_blob
    original = services.read_blob(attachment.blob)
    assert b"SecretCameraMaker" not in original and photo not in original
    member, key = user_named("member"), private_key("member")
    data, content_type, name = services.attachment_read(
        actor=member, attachment=attachment, private_key=key, preview=False
    )
    assert data == photo and name == "现场.jpg" and content_type == "image/jpeg"
    preview, _type, _ = services.attachment_read(
        actor=member, attachment=attachment, private_key=key, preview=True
    )
    assert b"SecretCameraMaker" not in preview
    with Image.open(io.BytesIO(preview)) as shown:
        assert shown.size == (40, 30) and not shown.getexif()


def test_disguised_or_too_many_files_are_refused_and_nothing_is_written(channel):
    count = Report.objects.count()
    with pytest.raises(ValidationError, match="not a kind of file"):
        _submit(channel, files=[Upload("照片.jpg", b"MZ\x90\x00 this is a windows program")])
    with pytest.raises(ValidationError, match="At most"):
        _submit(channel, files=[Upload(f"{i}.txt", "文字".encode()) for i in range(6)])
    assert Report.objects.count() == count


def test_a_newcomer_gets_the_keys_when_a_colleague_signs_in(channel, user_named, private_key):
    report, _ = _submit(channel)
    member = user_named("member")
    ReportKey.objects.filter(user=member).delete()
    shared = services.reshare_pending(user=user_named("leader"), private_key=private_key("leader"))
    assert shared >= 1
    assert ReportKey.objects.filter(report=report, user=member).exists()
    services.report_read(actor=member, report=report, private_key=private_key("member"))


def test_after_a_password_reset_the_recovery_key_unlocks_again(channel, user_named):
    user = user_named("deputy")
    unlocked = services.keys_replace(user=user, password=DEMO_PASSWORD)
    assert unlocked.recovery_key
    assert services.keys_on_password(user=user, password="a-new-password-2026").locked
    private = services.keys_recover(
        user=user, recovery_key=unlocked.recovery_key, password="a-new-password-2026"
    )
    again = services.keys_on_password(user=user, password="a-new-password-2026")
    assert again.private_key == private
    assert UserKey.objects.filter(user=user).count() == 1


def test_a_closed_channel_takes_no_public_reports(channel, user_named):
    services.channel_open(actor=user_named("leader"), channel=channel, is_open=False)
    with pytest.raises(ValidationError):
        _submit(channel)


def test_expired_sessions_are_cleared_by_the_hourly_job(db):
    import datetime as dt

    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    from xuncha.core import schedule
    from xuncha.intake import tasks

    old, fresh = SessionStore(), SessionStore()
    for store in (old, fresh):
        store["intake_report"] = {"id": 1, "key": "x"}
        store.save()
    Session.objects.filter(session_key=old.session_key).update(
        expire_date=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )
    assert "intake.clear_expired_sessions" in {e.name for e in schedule.entries()}
    result = tasks.clear_expired_sessions.call()
    assert result["deleted"] >= 1
    assert not Session.objects.filter(session_key=old.session_key).exists()
    assert Session.objects.filter(session_key=fresh.session_key).exists()
