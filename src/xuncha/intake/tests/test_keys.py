"""The key page: the recovery key shown once after the key is created at sign-in; a key
locked by a password reset and unlocked with the recovery key; replacing a key whose
recovery key was lost; wrong keys and passwords; users who hold no key."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from xuncha.core.demo.generator import DEMO_PASSWORD
from xuncha.core.models import AuditEvent, AuditEventType
from xuncha.intake import services
from xuncha.intake.lib import sealing
from xuncha.intake.models import ReportKey, UserKey

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
NEW_PASSWORD = "Lianjie-Qingfeng-2026"
KEYS = reverse("intake:keys")
SHOWN = re.compile(r'data-testid="recovery-key">(.*?)</p>', re.S)


def _sign_in(username: str, password: str = DEMO_PASSWORD) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302, response.content[:300]
    return client


def _shown_key(html: str) -> str | None:
    found = SHOWN.search(html)
    if not found:
        return None
    return "-".join(re.findall(r"<span[^>]*>([0-9A-Z-]+)</span>", found.group(1)))


def test_a_new_key_s_recovery_key_is_shown_once(user_named):
    member = user_named("member")
    UserKey.objects.filter(user=member).delete()
    client = _sign_in("member")
    stored = UserKey.objects.get(user=member)
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.INTAKE_KEYS_CREATED, actor=member
    ).exists()

    html = client.get(KEYS, **EN).content.decode()
    recovery_key = _shown_key(html)
    assert recovery_key and len(recovery_key.replace("-", "")) == 52
    # What is shown really opens the stored key.
    private = sealing.recover_private_key(bytes(stored.by_recovery), recovery_key)
    assert private == sealing.unwrap_private_key(services._wrapped(stored), DEMO_PASSWORD)
    assert 'data-testid="keys-unlocked"' in html and "Unlocked for this session" in html

    again = client.get(KEYS, **EN)
    assert _shown_key(again.content.decode()) is None
    assert recovery_key not in again.content.decode()
    assert "no-store" in again["Cache-Control"]


def test_after_a_password_reset_the_recovery_key_unlocks(user_named, channel):
    member = user_named("member")
    recovery_key = services.keys_replace(user=member, password=DEMO_PASSWORD).recovery_key
    services.reshare_pending(
        user=user_named("leader"),
        private_key=services.keys_on_password(
            user=user_named("leader"), password=DEMO_PASSWORD
        ).private_key,
    )
    shares = ReportKey.objects.filter(user=member).count()
    assert shares > 0
    member.set_password(NEW_PASSWORD)
    member.save()

    client = _sign_in("member", NEW_PASSWORD)
    html = client.get(KEYS, **EN).content.decode()
    assert 'data-testid="keys-locked"' in html and "Not unlocked in this session" in html
    assert 'data-testid="recover-form"' in html

    wrong = client.post(
        KEYS,
        {"action": "recover", "recovery_key": sealing.new_recovery_key(), "password": NEW_PASSWORD},
        **EN,
    )
    assert wrong.status_code == 200
    assert "does not open your key" in wrong.content.decode()
    bad_password = client.post(
        KEYS,
        {"action": "recover", "recovery_key": recovery_key, "password": "not-it"},
        **EN,
    )
    assert "The password is not right." in bad_password.content.decode()

    response = client.post(
        KEYS,
        {"action": "recover", "recovery_key": recovery_key.lower(), "password": NEW_PASSWORD},
        **EN,
    )
    assert response.status_code == 302 and response.url == KEYS
    html = client.get(KEYS, **EN).content.decode()
    assert "Unlocked for this session" in html and 'data-testid="recover-form"' not in html
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.INTAKE_KEYS_RECOVERED, actor=member
    ).exists()
    # The new password now opens the key at the next sign-in, and the reports stay readable.
    assert services.keys_on_password(user=member, password=NEW_PASSWORD).private_key
    assert ReportKey.objects.filter(user=member).count() == shares


def test_a_lost_recovery_key_is_replaced_and_the_new_one_shown_once(user_named, channel):
    member = user_named("member")
    old_public = bytes(UserKey.objects.get(user=member).public_key)
    assert ReportKey.objects.filter(user=member).exists()
    client = _sign_in("member")

    refused = client.post(
        KEYS, {"action": "replace", "password": "wrong", "understood": "on"}, **EN
    )
    assert "The password is not right." in refused.content.decode()
    unconfirmed = client.post(KEYS, {"action": "replace", "password": DEMO_PASSWORD}, **EN)
    assert unconfirmed.status_code == 200
    assert bytes(UserKey.objects.get(user=member).public_key) == old_public

    response = client.post(
        KEYS, {"action": "replace", "password": DEMO_PASSWORD, "understood": "on"}, **EN
    )
    assert response.status_code == 302
    stored = UserKey.objects.get(user=member)
    assert bytes(stored.public_key) != old_public
    assert not ReportKey.objects.filter(user=member).exists()
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.INTAKE_KEYS_REPLACED, actor=member
    ).exists()
    html = client.get(KEYS, **EN).content.decode()
    recovery_key = _shown_key(html)
    assert recovery_key
    sealing.recover_private_key(bytes(stored.by_recovery), recovery_key)
    assert _shown_key(client.get(KEYS, **EN).content.decode()) is None
    # A colleague's sign-in shares the reports with the new key.
    _sign_in("leader")
    assert ReportKey.objects.filter(user=member).exists()


def test_a_session_without_the_password_is_told_to_sign_in_again(as_user):
    html = as_user("member").get(KEYS, **EN).content.decode()
    assert 'data-testid="keys-sign-in-again"' in html
    assert 'data-testid="keys-locked"' not in html


@pytest.mark.parametrize("username", ["auditor", "admin", "liaison", "receiver", "leading"])
def test_users_who_read_no_reports_hold_no_key(as_user, username):
    response = as_user(username).get(KEYS, **EN)
    assert response.status_code == 200
    assert 'data-testid="keys-not-needed"' in response.content.decode()
    assert as_user(username).post(KEYS, {"action": "replace"}).status_code == 200


def test_signing_in_is_required(as_user):
    response = as_user(None).get(KEYS)
    assert response.status_code == 302 and reverse("login") in response.url
