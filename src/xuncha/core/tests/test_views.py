"""Pages do what their users need: forms change records through services, lists search,
sort, filter and export, protected data is masked until a read is audited."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from xuncha.core.lib import idnumber
from xuncha.core.lib import pinyin as pinyin_lib
from xuncha.core.models import (
    AuditEvent,
    AuditEventType,
    Organisation,
    Person,
    RoleGrant,
    User,
)


def test_person_search_by_pinyin_initials(as_user):
    person = Person.objects.filter(posts__organisation__code__startswith="C01U").first()
    initials = pinyin_lib.search_text(person.name).split()[1]
    response = as_user("office").get(reverse("core:person_list"), {"q": initials})
    assert person.name in response.content.decode()
    for row in response.context["rows"]:
        assert pinyin_lib.matches(initials, row.obj.name_search)


def test_page_links_carry_the_filters_without_a_stray_ampersand(as_user):
    client = as_user("office")
    plain = client.get(reverse("core:person_list")).content.decode()
    assert 'href="?page=2"' in plain and "?&" not in plain
    filtered = client.get(reverse("core:person_list"), {"status": "serving"}).content.decode()
    assert 'href="?status=serving&amp;page=2"' in filtered


def test_person_list_is_scoped_for_a_liaison(as_user, user_named):
    liaison = user_named("liaison")
    unit = liaison.grants.get().organisation
    response = as_user("liaison").get(reverse("core:person_list"), {"status": "serving"})
    names = {row.obj.pk for row in response.context["rows"]}
    assert names
    assert all(
        Person.objects.filter(pk=pk, posts__organisation__path__startswith=unit.path).exists()
        for pk in names
    )
    outsider = Person.objects.exclude(posts__organisation__path__startswith=unit.path).first()
    assert (
        as_user("liaison").get(reverse("core:person_detail", args=[outsider.pk])).status_code == 404
    )


def test_lists_sort_and_export_csv(as_user):
    client = as_user("office")
    response = client.get(reverse("core:organisation_list"), {"sort": "-name", "kind": "village"})
    names = [row.obj.name for row in response.context["rows"]]
    assert names == sorted(names, reverse=True)
    assert all(row.obj.kind == "village" for row in response.context["rows"])
    export = client.get(reverse("core:organisation_list"), {"kind": "village", "export": "csv"})
    body = b"".join(export.streaming_content).decode("utf-8")
    lines = body.lstrip("\ufeff").strip().splitlines()
    assert len(lines) - 1 == Organisation.objects.filter(kind="village", is_active=True).count()
    # An unknown sort key falls back to the default instead of failing.
    assert client.get(reverse("core:person_list"), {"sort": "id_number"}).status_code == 200


def test_people_csv_export_is_audited_and_has_no_id_numbers(as_user):
    response = as_user("office").get(reverse("core:person_list"), {"export": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8")
    assert not any(p.id_number and p.id_number in body for p in Person.objects.all()[:50])
    event = AuditEvent.objects.filter(event_type=AuditEventType.PERSON_EXPORTED).latest("seq")
    assert event.actor.username == "office" and event.extra["format"] == "csv"


def test_id_number_is_masked_until_revealed_with_an_audit_event(as_user):
    person = Person.objects.exclude(id_number=None).filter(registry__code="C01").first()
    client = as_user("office_c1")
    page = client.get(reverse("core:person_detail", args=[person.pk])).content.decode()
    assert person.id_number not in page and person.id_number_masked in page
    count = AuditEvent.objects.filter(event_type=AuditEventType.PERSON_PROTECTED_READ).count()
    reveal = client.post(reverse("core:person_reveal", args=[person.pk]))
    assert person.id_number in reveal.content.decode()
    assert (
        AuditEvent.objects.filter(event_type=AuditEventType.PERSON_PROTECTED_READ).count()
        == count + 1
    )
    # A leading-group member sees the person but never the number.
    page = as_user("leading").get(reverse("core:person_detail", args=[person.pk])).content.decode()
    assert person.id_number not in page and 'data-testid="reveal-id"' not in page


def test_create_organisation_and_person_through_forms(as_user):
    client = as_user("office_c1")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    county = Organisation.objects.get(code="C01")
    response = client.post(
        reverse("core:organisation_create"),
        {
            "name": "云溪县数据局",
            "code": "C01-SJJ",
            "kind": "unit",
            "parent": county.pk,
            "committee": county.pk,
        },
    )
    org = Organisation.objects.get(code="C01-SJJ")
    assert response["Location"] == reverse("core:organisation_detail", args=[org.pk])
    # A duplicate code is refused with a message on the field.
    again = client.post(
        reverse("core:organisation_create"),
        {"name": "x", "code": "C01-SJJ", "kind": "unit", "parent": county.pk},
    )
    assert again.status_code == 200 and "already has this code" in again.content.decode()
    # Outside the county, the parent is not offered.
    other = Organisation.objects.get(code="C02")
    refused = client.post(
        reverse("core:organisation_create"),
        {"name": "y", "code": "C02-Y", "kind": "unit", "parent": other.pk},
    )
    assert refused.status_code == 200 and not Organisation.objects.filter(code="C02-Y").exists()

    number = idnumber.make("539901", dt.date(1990, 2, 3), 77)
    bad = client.post(
        reverse("core:person_create"),
        {
            "name": "欧阳晓峰",
            "registry": county.pk,
            "id_number": number[:-1] + "0" if number[-1] != "0" else number[:-1] + "1",
        },
    )
    assert bad.status_code == 200 and "check character" in bad.content.decode()
    ok = client.post(
        reverse("core:person_create"),
        {"name": "欧阳晓峰", "registry": county.pk, "id_number": number.lower()},
    )
    person = Person.objects.get(name="欧阳晓峰")
    assert ok["Location"] == reverse("core:person_detail", args=[person.pk])
    assert person.id_number == number and person.gender == "M"
    client.post(
        reverse("core:post_create", args=[person.pk]),
        {
            "organisation": org.pk,
            "title": "局长",
            "is_leadership": "on",
            "start_date": "2024-01-01",
        },
    )
    assert person.posts.get().is_leadership


def test_admin_grants_and_revokes_roles(as_user):
    client = as_user("admin")
    county = Organisation.objects.get(code="C02")
    weak = client.post(
        reverse("core:user_create"),
        {"username": "zhou.inspector", "password": "1234567890", "registry": county.pk},
    )
    assert weak.status_code == 200 and not User.objects.filter(username="zhou.inspector").exists()
    person = Person.objects.filter(registry=county, user__isnull=True).first()
    response = client.post(
        reverse("core:user_create"),
        {
            "username": "zhou.inspector",
            "password": "a-long-password-9",
            "registry": county.pk,
            "person": person.pk,
        },
    )
    user = User.objects.get(username="zhou.inspector")
    assert user.person == person
    assert response["Location"] == reverse("core:user_detail", args=[user.pk])
    client.post(
        reverse("core:grant_create", args=[user.pk]),
        {"role": "office_staff", "organisation": county.pk},
    )
    grant = RoleGrant.objects.get(user=user)
    assert grant.role == "office_staff" and grant.granted_by.username == "admin"
    client.post(reverse("core:grant_revoke", args=[grant.pk]))
    grant.refresh_from_db()
    assert grant.revoked_at is not None


def test_auditor_filters_the_log(as_user):
    response = as_user("auditor").get(reverse("core:audit_list"), {"event_type": "role.granted"})
    rows = response.context["rows"]
    assert rows and all(r.obj.event_type == "role.granted" for r in rows)
    export = as_user("auditor").get(
        reverse("core:audit_list"), {"event_type": "role.granted", "export": "csv"}
    )
    assert b"".join(export.streaming_content)
    assert AuditEvent.objects.filter(event_type=AuditEventType.AUDIT_READ).exists()


def test_home_shows_scoped_statistics_to_overseers_only(as_user):
    office = as_user("office").get(reverse("core:home")).context["stats"]
    county = as_user("leading").get(reverse("core:home")).context["stats"]
    assert office["organisation_count"] > county["organisation_count"] >= 1
    liaison_page = as_user("liaison").get(reverse("core:home"))
    assert liaison_page.context["stats"] is None
    assert b"chart-orgs" not in liaison_page.content
    counties = set(Organisation.objects.filter(kind="county").values_list("name", flat=True))
    assert counties <= set(office["committees"])
    assert set(county["committees"]) <= counties
    assert county["people_count"] < office["people_count"]


def test_date_inputs_carry_iso_values_in_every_language(as_user):
    """A browser's date input only accepts YYYY-MM-DD; a localised value renders empty."""
    org = Organisation.objects.get(code="C01")
    today = timezone.localdate().isoformat()
    for language in ("zh-hans", "en"):
        page = as_user("office").get(
            reverse("core:organisation_move", args=[org.pk]), HTTP_ACCEPT_LANGUAGE=language
        )
        assert f'type="date" name="effective_date" value="{today}"' in page.content.decode()
