"""The editable list of specialties: add, rename, remove only when unused, who may."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation

from xuncha.core.models import AuditEvent
from xuncha.talent.models import InspectorProfile, Specialty

URL = "talent:specialties"


def test_add_rename_and_remove(as_user):
    client = as_user("office")
    client.post(reverse(URL), {"code": "tax-audit", "name_zh": "税务稽查", "name_en": "Tax audit"})
    added = Specialty.objects.get(code="tax-audit")
    assert added.name_zh == "税务稽查"
    assert AuditEvent.objects.filter(event_type="talent.specialty_set").exists()
    client.post(reverse(URL), {"pk": added.pk, "name_zh": "税务审查", "name_en": "Tax review"})
    added.refresh_from_db()
    assert (added.code, added.name_zh, added.name_en) == ("tax-audit", "税务审查", "Tax review")
    with translation.override("en"):
        assert str(added) == "Tax review"
    client.post(reverse(URL), {"pk": added.pk, "delete": "1"})
    assert not Specialty.objects.filter(code="tax-audit").exists()
    assert AuditEvent.objects.filter(event_type="talent.specialty_deleted").exists()


def test_bad_input_and_specialties_in_use_are_refused(as_user):
    client = as_user("office")
    response = client.post(
        reverse(URL),
        {"code": "税务", "name_zh": "税务", "name_en": "Tax"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert b"Not saved" in response.content
    assert not Specialty.objects.filter(name_zh="税务").exists()
    response = client.post(
        reverse(URL),
        {"code": "finance", "name_zh": "财务2", "name_en": "F"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert b"is taken" in response.content
    held = Specialty.objects.get(code="finance")
    assert InspectorProfile.objects.filter(specialties=held).exists()
    client.post(reverse(URL), {"pk": held.pk, "delete": "1"})
    assert Specialty.objects.filter(code="finance").exists()
    # A specialty that is not one (a tampered form) is not found, not an error.
    for pk in ("abc", "-1", "99999999"):
        response = client.post(reverse(URL), {"pk": pk, "name_zh": "x", "name_en": "y"})
        assert response.status_code == 404, pk


def test_counts_say_who_is_in_the_pool_and_who_was_taken_out(as_user):
    finance = Specialty.objects.get(code="finance")
    holders = InspectorProfile.objects.filter(specialties=finance)
    out = holders.filter(in_pool=True).first()
    InspectorProfile.objects.filter(pk=out.pk).update(in_pool=False, removed_reason="调离")
    in_pool = holders.filter(in_pool=True).count()
    taken_out = holders.filter(in_pool=False).count()
    page = as_user("office").get(reverse(URL), HTTP_ACCEPT_LANGUAGE="en")
    row = next(s for s in page.context["rows"] if s.pk == finance.pk)
    assert (row.in_pool, row.taken_out) == (in_pool, taken_out)
    assert f"{in_pool} <span" in page.content.decode()
    assert f"(+{taken_out} taken out)" in page.content.decode()


def test_who_may_edit_the_list(as_user):
    assert as_user("office").get(reverse(URL)).status_code == 200
    # The list is the prefecture's: a county office may not change it for everyone.
    for persona in ("office_c1", "leading", "leader", "member", "auditor"):
        assert as_user(persona).get(reverse(URL)).status_code == 403
    assert (
        as_user("leader")
        .post(reverse(URL), {"code": "x", "name_zh": "x", "name_en": "x"})
        .status_code
        == 403
    )
    assert as_user(None).get(reverse(URL)).status_code == 302
