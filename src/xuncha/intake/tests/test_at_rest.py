"""A copy of the database and the files, without a user's password, reveals no content,
identity, file name, attachment byte or private key.

The test writes unique markers into every encrypted part (report text, identity, a
message each way, an attachment's name and bytes), reads them back as staff (so keys
were unlocked and sessions used), then dumps every row of every table and every file
under the data directory and searches for the markers in all the forms they could take
(UTF-8, JSON escapes, base64, hex)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import models
from django.urls import reverse

from xuncha.core.demo.generator import DEMO_PASSWORD
from xuncha.intake import services
from xuncha.intake.models import Category, Kind, Report
from xuncha.intake.services import Submission, Upload

CONTENT = "紫色长颈鹿在村委会的保险柜里"
ASCII = "ZEBRA-MARKER-4711"
IDENTITY = "欧阳明月"
PHONE = "13712345678"
FILE_NAME = "暗账记录簿.txt"
FILE_BYTES = "暗账第七页：转出叁拾万元".encode()
REPLY = "请提供保险柜的位置"
ANSWER = "在会计室东墙"


def _forms(text: str) -> list[bytes]:
    raw = text.encode("utf-8")
    return [
        raw,
        json.dumps(text).encode("ascii"),  # \\uXXXX escapes
        base64.b64encode(raw),
        base64.urlsafe_b64encode(raw),
        raw.hex().encode("ascii"),
    ]


def _dump_rows() -> bytes:
    chunks: list[bytes] = []
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        fields = [f.attname for f in model._meta.concrete_fields]
        for row in model._default_manager.values_list(*fields):
            for value in row:
                if isinstance(value, memoryview | bytes | bytearray):
                    chunks.append(bytes(value))
                elif isinstance(value, dict | list):
                    chunks.append(json.dumps(value, ensure_ascii=False).encode())
                    chunks.append(json.dumps(value).encode())
                elif value is not None:
                    chunks.append(str(value).encode("utf-8"))
    return b"\n".join(chunks)


def _dump_files() -> bytes:
    chunks = []
    for path in Path(settings.DATA_DIR).rglob("*"):
        if path.is_file() and path.stat().st_size < 50_000_000:
            chunks.append(path.read_bytes())
    return b"\n".join(chunks)


def test_database_and_files_hold_nothing_readable(channel, signed_in, user_named, private_key):
    report, receipt = services.submit(
        channel=channel,
        submission=Submission(
            kind=Kind.REPORT,
            category=Category.FUNDS,
            content={"about": ASCII, "organisation": "村委会", "what": CONTENT, "when": ""},
            identity={"name": IDENTITY, "phone": PHONE, "other": ""},
            files=[Upload(FILE_NAME, FILE_BYTES)],
        ),
    )
    leader = user_named("leader")
    key = private_key("leader")
    services.staff_message(actor=leader, report=report, private_key=key, text=REPLY, waiting=True)
    found = services.report_for_receipt(receipt)
    assert found is not None
    services.submitter_message(report=found[0], report_key=found[1], text=ANSWER)
    # Staff read everything (identity included) through the pages, with sessions in the
    # database holding their unlocked keys.
    client = signed_in("leader")
    assert client.get(reverse("intake:report", args=[report.pk])).status_code == 200
    opened = services.report_read(actor=leader, report=report, private_key=key)
    assert opened.content["what"] == CONTENT
    assert services.identity_read(actor=leader, report=report, private_key=key)["name"] == IDENTITY
    assert Session.objects.exists()

    stored = _dump_rows() + b"\n" + _dump_files()
    report_key = services.report_key_for(leader, report, key)
    secrets = [CONTENT, ASCII, IDENTITY, PHONE, FILE_NAME, REPLY, ANSWER]
    for secret in secrets:
        for form in _forms(secret):
            assert form not in stored, f"{secret!r} found in the copy as {form[:20]!r}"
    for blob in (FILE_BYTES, key, report_key):
        assert blob not in stored
        assert base64.b64encode(blob) not in stored
        assert base64.urlsafe_b64encode(blob) not in stored
        assert blob.hex().encode() not in stored
    # The copy does hold the ciphertexts (so the search looked in the right places).
    assert bytes(Report.objects.get(pk=report.pk).content) in stored


def test_every_binary_column_of_the_app_is_encrypted_or_a_public_key(db):
    """A new BinaryField must be added to the search above deliberately."""
    binary = {
        f"{m.__name__}.{f.name}"
        for m in apps.get_app_config("intake").get_models()
        for f in m._meta.concrete_fields
        if isinstance(f, models.BinaryField)
    }
    assert binary == {
        "UserKey.public_key",
        "UserKey.salt",
        "UserKey.by_password",
        "UserKey.by_recovery",
        "Report.content",
        "Report.identity",
        "Report.submitter_box",
        "ReportKey.sealed",
        "Message.body",
        "Attachment.name",
    }
    assert DEMO_PASSWORD.encode() not in _dump_rows()
