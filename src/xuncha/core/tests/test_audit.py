"""The hash chain: verify passes on the demo and names the first altered, removed,
inserted or reordered event; ``xuncha audit verify`` exits non-zero on a tampered copy."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from xuncha.core import audit, services
from xuncha.core.models import AuditChainHead, AuditEvent, AuditEventType, Organisation


def _table() -> str:
    return connection.ops.quote_name(AuditEvent._meta.db_table)


def test_demo_chain_verifies(db):
    result = audit.verify()
    assert result.ok, result.problem
    assert result.checked == AuditEvent.objects.count() > 1000
    call_command("audit", "verify")


def test_new_events_extend_the_chain(db, user_named):
    office = user_named("office")
    before = AuditChainHead.objects.get().last_seq
    org = Organisation.objects.get(code="C01")
    services.organisation_create(
        actor=office, name="测试单位", code="T-1", kind="unit", parent=org, committee=org
    )
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.seq == before + 1
    assert event.event_type == AuditEventType.ORGANISATION_CREATED
    assert event.actor == office
    assert event.after["name"] == "测试单位"
    assert audit.verify().ok


def test_altered_event_is_named(db):
    victim = AuditEvent.objects.order_by("seq")[40]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table()} SET object_repr = %s WHERE seq = %s",  # noqa: S608
            ["篡改", victim.seq],
        )
    result = audit.verify()
    assert not result.ok
    assert result.first_bad_seq == victim.seq
    assert "altered" in result.problem
    with pytest.raises(CommandError, match=f"event {victim.seq}"):
        call_command("audit", "verify")


def test_altered_json_payload_is_named(db):
    victim = AuditEvent.objects.filter(after__isnull=False).order_by("seq")[5]
    AuditEvent.objects.filter(pk=victim.pk).update(after={"name": "x"})
    result = audit.verify()
    assert (result.ok, result.first_bad_seq) == (False, victim.seq)


def test_removed_event_is_named(db):
    victim = AuditEvent.objects.order_by("seq")[100]
    AuditEvent.objects.filter(pk=victim.pk).delete()
    result = audit.verify()
    assert not result.ok
    assert result.first_bad_seq == victim.seq
    assert "missing" in result.problem


def test_removed_last_events_are_detected_by_the_head(db):
    last = AuditEvent.objects.order_by("-seq").first()
    AuditEvent.objects.filter(pk=last.pk).delete()
    result = audit.verify()
    assert not result.ok
    assert result.first_bad_seq == last.seq


def test_reordered_events_are_named(db):
    first, second = AuditEvent.objects.order_by("seq")[10:12]
    # Swap the two rows' positions (seq), keeping their content and hashes.
    with transaction.atomic():
        AuditEvent.objects.filter(pk=first.pk).update(seq=-1)
        AuditEvent.objects.filter(pk=second.pk).update(seq=first.seq)
        AuditEvent.objects.filter(pk=first.pk).update(seq=second.seq)
    result = audit.verify()
    assert not result.ok
    assert result.first_bad_seq == first.seq


def test_recomputed_hash_without_the_key_is_detected(db, settings):
    """Someone with database access but not the audit key cannot re-seal an edit."""
    victim = AuditEvent.objects.order_by("seq")[3]
    victim.object_repr = "伪造"
    real_key = settings.AUDIT_KEY
    settings.AUDIT_KEY = "x" * 64  # the forger's guess
    forged = audit.compute_hash(victim)
    settings.AUDIT_KEY = real_key
    AuditEvent.objects.filter(pk=victim.pk).update(object_repr="伪造", hash=forged)
    result = audit.verify()
    assert not result.ok and result.first_bad_seq == victim.seq


def test_record_refuses_to_write_outside_a_transaction(db):
    # pytest-django wraps tests in a transaction; leave it to check the guard.
    with pytest.raises(RuntimeError, match="inside the change's transaction"):
        connection.in_atomic_block, saved = False, connection.in_atomic_block
        try:
            audit.record(actor=None, event_type=AuditEventType.DEMO_LOADED)
        finally:
            connection.in_atomic_block = saved


def test_event_labels_are_translated_and_unknown_types_show_their_code(db):
    from django.utils import translation

    with transaction.atomic():
        known = audit.record(actor=None, event_type=AuditEventType.ROLE_GRANTED)
        unknown = audit.record(actor=None, event_type="plugin.something")
    with translation.override("en"):
        assert known.event_label == "Role granted"
        assert unknown.event_label == "plugin.something"
    with translation.override("zh-hans"):
        assert known.event_label != "Role granted"
