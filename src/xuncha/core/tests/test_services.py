"""Services: each writes its change and its audit event in one transaction."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from xuncha.core import policy, services
from xuncha.core.lib import idnumber
from xuncha.core.models import (
    AuditEvent,
    AuditEventType,
    Kinship,
    Organisation,
    OrganisationChange,
    Person,
    RoleGrant,
)


def last_event() -> AuditEvent:
    return AuditEvent.objects.order_by("-seq").first()


@pytest.fixture
def county(db):
    return Organisation.objects.get(code="C01")


@pytest.fixture
def office(user_named):
    return user_named("office")


def test_create_and_update_organisation(office, county):
    org = services.organisation_create(
        actor=office, name="测试局", code="T-100", kind="unit", parent=county, committee=county
    )
    assert org.path == f"{county.path}{org.pk}/" and org.depth == county.depth + 1
    assert last_event().event_type == AuditEventType.ORGANISATION_CREATED
    services.organisation_update(
        actor=office,
        organisation=org,
        name="测试管理局",
        code="T-100",
        kind="unit",
        committee=county,
    )
    event = last_event()
    assert event.event_type == AuditEventType.ORGANISATION_UPDATED
    assert (event.before["name"], event.after["name"]) == ("测试局", "测试管理局")
    assert org.changes.filter(kind=OrganisationChange.Kind.UPDATED).exists()


def test_move_rewrites_the_whole_subtree_and_keeps_history(office):
    township = Organisation.objects.filter(kind="township", code__startswith="C01").first()
    villages = list(township.children.all())
    assert villages
    other_county = Organisation.objects.get(code="C02")
    services.organisation_move(
        actor=office,
        organisation=township,
        new_parent=other_county,
        effective_date=dt.date(2026, 1, 1),
    )
    township.refresh_from_db()
    assert township.parent == other_county
    assert township.path == f"{other_county.path}{township.pk}/"
    for village in villages:
        village.refresh_from_db()
        assert village.path == f"{township.path}{village.pk}/"
        assert village.depth == township.depth + 1
    change = township.changes.get(kind=OrganisationChange.Kind.MOVED)
    assert change.from_parent.code == "C01" and change.to_parent == other_county
    assert last_event().event_type == AuditEventType.ORGANISATION_MOVED


def test_move_under_own_subtree_is_refused(office):
    township = Organisation.objects.filter(kind="township").first()
    village = township.children.first()
    count = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        services.organisation_move(actor=office, organisation=township, new_parent=village)
    assert AuditEvent.objects.count() == count


def test_merge_moves_children_and_keeps_the_source(office):
    towns = list(Organisation.objects.filter(kind="township", code__startswith="C01")[:2])
    source, target = towns
    children = list(source.children.values_list("pk", flat=True))
    services.organisation_merge(actor=office, source=source, target=target)
    source.refresh_from_db()
    assert not source.is_active and source.merged_into == target
    assert set(children) <= set(target.children.values_list("pk", flat=True))
    assert source.changes.filter(kind=OrganisationChange.Kind.MERGED).exists()
    with pytest.raises(ValidationError):
        services.organisation_merge(actor=office, source=source, target=target)


def test_person_create_normalises_the_id_number_and_audits_without_it(office, county):
    number = idnumber.make("539901", dt.date(1985, 3, 5), 12)
    person = services.person_create(
        actor=office,
        name="  陆明远 ",
        registry=county,
        id_number=f" {number[:6]} {number[6:]} ".lower(),
    )
    assert person.id_number == number
    assert person.name == "陆明远"
    assert person.birth_date == dt.date(1985, 3, 5)
    assert person.gender == "F"
    event = last_event()
    assert event.event_type == AuditEventType.PERSON_CREATED
    assert number not in str(event.after) and event.after["id_number_set"] is True


def test_person_create_rejects_a_bad_id_number(office, county):
    with pytest.raises(ValidationError) as info:
        services.person_create(
            actor=office, name="测试", registry=county, id_number="110105194912310021"
        )
    assert "id_number" in info.value.message_dict


def test_protected_read_is_audited(office):
    person = Person.objects.exclude(id_number=None).first()
    data = services.person_read_protected(actor=office, person=person, purpose="test")
    assert data["id_number"] == person.id_number
    event = last_event()
    assert event.event_type == AuditEventType.PERSON_PROTECTED_READ
    assert event.object_id == str(person.pk) and event.actor == office


def test_posts_and_kinship(office, county):
    a, b = Person.objects.filter(registry=county)[:2]
    post = services.post_create(
        actor=office,
        person=a,
        organisation=county,
        title="调研员",
        start_date=dt.date(2020, 1, 1),
        is_key_post=True,
    )
    with pytest.raises(ValidationError):
        services.post_end(actor=office, post=post, end_date=dt.date(2019, 1, 1))
    services.post_end(actor=office, post=post, end_date=dt.date(2024, 1, 1))
    assert last_event().event_type == AuditEventType.POST_ENDED
    Kinship.objects.filter(person__in=[a, b], relative__in=[a, b]).delete()
    link = services.kinship_create(actor=office, person=a, relative=b, relation="sibling")
    assert link.kinship_class == "collateral" and link.degree == 2
    with pytest.raises(ValidationError):
        services.kinship_create(actor=office, person=b, relative=a, relation="spouse")
    services.kinship_delete(actor=office, link=link)
    assert last_event().event_type == AuditEventType.KINSHIP_DELETED


def test_grant_and_revoke_change_what_a_user_sees(user_named, county):
    admin = user_named("admin")
    user = services.user_create(actor=admin, username="newcomer", password="a-long-password-1")
    assert not policy.can(user, policy.Action.ORGANISATION_VIEW)
    grant = services.role_grant(actor=admin, user=user, role="leading_group", organisation=county)
    policy.forget(user)
    assert policy.can(user, policy.Action.STATISTICS_VIEW)
    assert last_event().event_type == AuditEventType.ROLE_GRANTED
    services.role_revoke(actor=admin, grant=grant)
    policy.forget(user)
    assert not policy.can(user, policy.Action.ORGANISATION_VIEW)
    assert RoleGrant.objects.get(pk=grant.pk).revoked_at is not None
    assert last_event().event_type == AuditEventType.ROLE_REVOKED


def test_nobody_grants_a_role_to_themselves(user_named, county):
    admin = user_named("admin")
    with translation.override("en"), pytest.raises(ValidationError, match="your own account"):
        services.role_grant(actor=admin, user=admin, role="auditor", organisation=county)
    assert not RoleGrant.objects.filter(user=admin, role="auditor").exists()
