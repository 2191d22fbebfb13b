"""Sign-in: success and failure are audited; repeated failures lock the account name."""

import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from xuncha.core.demo.generator import DEMO_PASSWORD
from xuncha.core.models import AuditEvent, AuditEventType

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def _login(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def _locked(response) -> bool:
    if response.context is None:
        return False
    return any(e.code == "locked" for e in response.context["form"].non_field_errors().as_data())


def test_login_and_logout_are_audited(db):
    client = Client()
    response = _login(client, "office", DEMO_PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.LOGIN, actor__username="office"
    ).exists()
    assert client.get("/").status_code == 200
    client.post(reverse("logout"))
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.LOGOUT, actor__username="office"
    ).exists()
    assert client.get("/").status_code == 302


def test_lockout_after_repeated_failures(db, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(2):
        response = _login(client, "member", "wrong-password")
        assert response.status_code == 200
        assert not _locked(response)
    response = _login(client, "member", "wrong-password")
    assert _locked(response)
    assert "锁定" in response.content.decode()  # the message is shown in the default language
    # Even the right password is refused while the lock holds.
    response = _login(client, "member", DEMO_PASSWORD)
    assert response.status_code == 200 and _locked(response)
    assert (
        AuditEvent.objects.filter(
            event_type=AuditEventType.LOCKED_OUT, object_repr="member"
        ).count()
        == 1
    )
    assert (
        AuditEvent.objects.filter(
            event_type=AuditEventType.LOGIN_FAILED, object_repr="member"
        ).count()
        == 3
    )
    # Another account is not affected.
    assert _login(Client(), "leader", DEMO_PASSWORD).status_code == 302
    # After the lock expires the right password works and the counter resets.
    with time_machine.travel(
        timezone.now() + timezone.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES + 1)
    ):
        assert _login(client, "member", DEMO_PASSWORD).status_code == 302


def test_failed_login_events_carry_no_network_address(db):
    _login(Client(REMOTE_ADDR="203.0.113.9"), "office", "nope")
    event = AuditEvent.objects.filter(event_type=AuditEventType.LOGIN_FAILED).latest("seq")
    assert "203.0.113.9" not in str(event.extra) + event.object_repr
    assert event.object_repr == "office" and event.extra["known_account"] is True


def test_a_name_that_is_no_account_is_not_logged(db, settings):
    """A password typed into the name box must not end up in the audit log."""
    settings.LOGIN_FAILURE_LIMIT = 2
    for _ in range(2):
        _login(Client(), "Secret-Pa55word!", "nope")
    events = AuditEvent.objects.filter(
        event_type__in=[AuditEventType.LOGIN_FAILED, AuditEventType.LOCKED_OUT]
    ).order_by("seq")
    assert [e.event_type for e in events] == [
        AuditEventType.LOGIN_FAILED,
        AuditEventType.LOGIN_FAILED,
        AuditEventType.LOCKED_OUT,
    ]
    for event in events:
        assert "Pa55word" not in f"{event.object_repr} {event.object_id} {event.extra}"
        assert event.object_id == "" and event.object_repr == ""
    assert events[0].extra == {"failures": 1, "known_account": False}


def test_changes_need_a_csrf_token(db, user_named):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_named("office"))
    response = client.post(reverse("core:person_export_xlsx"))
    assert response.status_code == 403
    login = Client(enforce_csrf_checks=True).post(
        reverse("login"), {"username": "office", "password": DEMO_PASSWORD}, **ZH
    )
    assert login.status_code == 403
    # The app's own page, in the user's language, not Django's (styled inline, which the
    # Content-Security-Policy blocks).
    page = login.content.decode()
    assert 'data-testid="csrf-refused"' in page and "表单未被接受" in page
    assert "<style" not in page and 'lang="zh-hans"' in page
    assert "Content-Security-Policy" in login.headers
    english = client.post(reverse("core:person_export_xlsx"), **EN).content.decode()
    assert "Nothing was saved. Go back, reload the page and send it again." in english


def test_a_form_address_opened_as_a_link_gets_a_page(db, user_named):
    client = Client()
    client.force_login(user_named("office"))
    response = client.get(reverse("core:person_export_xlsx"), **EN)
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert b'data-testid="method-refused"' in response.content
    assert b"not a link opened directly" in response.content
    # htmx keeps the bare answer.
    bare = client.get(reverse("core:person_export_xlsx"), HTTP_HX_REQUEST="true")
    assert bare.status_code == 405 and bare.content == b""
