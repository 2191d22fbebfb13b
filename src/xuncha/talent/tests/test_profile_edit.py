"""Maintaining the pool in the UI: adding an inspector, editing a profile, training,
qualifications (the prefecture office's), and availability windows; each with its audit
event, its validation messages and its denied personas."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from xuncha.core.models import AuditEvent, AuditEventType, Organisation, Person
from xuncha.talent import profile_forms, services
from xuncha.talent.models import (
    Availability,
    InspectorProfile,
    Qualification,
    Specialty,
    TrainingRecord,
)

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _today() -> dt.date:
    """The office's calendar day, read when a test runs (a run may cross midnight)."""
    return timezone.localdate()


def _events(kind: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=kind).order_by("seq"))


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def profile(db) -> InspectorProfile:
    """An inspector of county 1's pool: the county office and the prefecture office change it."""
    return (
        InspectorProfile.objects.filter(county__code="C01", in_pool=True)
        .select_related("person", "county")
        .first()
    )


@pytest.fixture
def other_county_profile(db) -> InspectorProfile:
    return InspectorProfile.objects.filter(county__code="C02").select_related("person").first()


def _newcomer(county: str = "C01") -> Person:
    """A person of the county's registry with a current post, not in the pool yet."""
    return (
        Person.objects.filter(
            registry__code=county, inspector__isnull=True, posts__end_date__isnull=True
        )
        .order_by("pk")
        .first()
    )


def _detail(profile: InspectorProfile) -> str:
    return reverse("talent:profile_detail", args=[profile.pk])


# -- links on the pool and profile pages ------------------------------------------------------


def test_pool_offers_add_to_those_who_can_change(as_user):
    url = reverse("talent:pool")
    for persona in ("office", "office_c1"):
        page = as_user(persona).get(url)
        assert page.context["can_add"] and 'data-testid="inspector-add"' in page.content.decode()
    page = as_user("leading").get(url)
    assert not page.context["can_add"]
    assert 'data-testid="inspector-add"' not in page.content.decode()


def test_profile_page_shows_the_forms_each_persona_may_use(as_user, profile):
    # A qualification in force (an expired one offers no suspend or revoke).
    Qualification.objects.create(
        profile=profile,
        granted_on=_today() - dt.timedelta(days=10),
        expires_on=_today() + dt.timedelta(days=400),
    )
    office = as_user("office").get(_detail(profile), **EN).content.decode()
    for testid in (
        "profile-edit",
        "training-form",
        "availability-form",
        "qualification-form",
        "qualification-status",
    ):
        assert f'data-testid="{testid}"' in office, testid

    county = as_user("office_c1").get(_detail(profile), **EN)
    text = county.content.decode()
    assert county.context["can_change"] and not county.context["can_certify"]
    assert 'data-testid="training-form"' in text and 'data-testid="profile-edit"' in text
    assert 'data-testid="qualification-form"' not in text
    assert 'data-testid="qualification-status"' not in text

    reader = as_user("leading").get(_detail(profile), **EN)
    text = reader.content.decode()
    assert not reader.context["can_change"]
    for testid in ("profile-edit", "training-form", "availability-form", "qualification-form"):
        assert f'data-testid="{testid}"' not in text, testid


# -- adding an inspector ------------------------------------------------------------------------


def test_add_form_offers_the_users_counties_and_specialties_in_their_language(as_user):
    page = as_user("office_c1").get(reverse("talent:inspector_create"), **EN)
    form = page.context["form"]
    assert list(form.fields["county"].queryset) == [Organisation.objects.get(code="C01")]
    text = page.content.decode()
    specialty = Specialty.objects.first()
    assert specialty.name_en in text
    chinese = as_user("office_c1").get(
        reverse("talent:inspector_create"), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert specialty.name_zh in chinese.content.decode()
    counties = as_user("office").get(reverse("talent:inspector_create")).context["form"]
    assert counties.fields["county"].queryset.count() > 1


def test_add_form_prefills_the_persons_current_post(as_user):
    person = _newcomer()
    post = profile_forms.current_post(person)
    page = as_user("office_c1").get(reverse("talent:inspector_create"), {"person": person.pk})
    form = page.context["form"]
    assert form.initial["home_organisation"] == post.organisation
    assert form.initial["home_post"] == post.title
    assert f'<option value="{person.pk}" selected>' in page.content.decode()


def test_add_an_inspector_with_the_persons_post_by_default(as_user):
    person = _newcomer()
    post = profile_forms.current_post(person)
    county = Organisation.objects.get(code="C01")
    specialties = list(Specialty.objects.order_by("code")[:2])
    response = as_user("office_c1").post(
        reverse("talent:inspector_create"),
        {
            "person": person.pk,
            "county": county.pk,
            "specialties": [s.pk for s in specialties],
            "leader_eligible": "on",
        },
        **EN,
    )
    profile = InspectorProfile.objects.get(person=person)
    assert response.status_code == 302 and response["Location"] == _detail(profile)
    assert profile.county == county and profile.leader_eligible and profile.in_pool
    assert (profile.home_organisation, profile.home_post) == (post.organisation, post.title)
    assert set(profile.specialties.all()) == set(specialties)
    event = _events(AuditEventType.INSPECTOR_CREATED)[-1]
    assert event.object_id == str(profile.pk) and event.actor.username == "office_c1"
    assert event.after["person"] == person.pk
    assert event.after["specialties"] == sorted(s.code for s in specialties)
    assert any("added to the pool" in m for m in _messages(response))


def test_add_an_inspector_with_a_home_given_by_hand(as_user):
    person = _newcomer()
    county = Organisation.objects.get(code="C01")
    unit = Organisation.objects.filter(path__startswith=county.path, kind="unit").last()
    as_user("office").post(
        reverse("talent:inspector_create"),
        {
            "person": person.pk,
            "county": county.pk,
            "home_organisation": unit.pk,
            "home_post": "科长",
        },
    )
    profile = InspectorProfile.objects.get(person=person)
    assert (profile.home_organisation, profile.home_post) == (unit, "科长")
    assert not profile.leader_eligible


def test_adding_someone_already_in_the_pool_names_the_field(as_user, profile):
    before = len(_events(AuditEventType.INSPECTOR_CREATED))
    response = as_user("office_c1").post(
        reverse("talent:inspector_create"),
        {"person": profile.person.pk, "county": profile.county.pk},
        **EN,
    )
    assert response.status_code == 200
    summary = response.context["error_summary"]
    assert summary.startswith("Not saved: Person: ") and "already in the pool of" in summary
    assert profile.county.name in summary
    assert 'data-testid="form-errors"' in response.content.decode()
    assert len(_events(AuditEventType.INSPECTOR_CREATED)) == before


def test_adding_needs_a_person_and_a_county_in_scope(as_user):
    client = as_user("office_c1")
    url = reverse("talent:inspector_create")
    stranger = _newcomer("C02")
    c01, c02 = Organisation.objects.get(code="C01"), Organisation.objects.get(code="C02")
    outside = client.post(url, {"person": stranger.pk, "county": c01.pk}, **EN)
    assert outside.status_code == 200 and "Person: " in outside.context["error_summary"]
    other_pool = client.post(url, {"person": _newcomer().pk, "county": c02.pk}, **EN)
    assert "Pool of: " in other_pool.context["error_summary"]
    empty = client.post(url, {}, **EN)
    assert "Person: This field is required; " in empty.context["error_summary"]
    assert not InspectorProfile.objects.filter(person__in=[stranger, _newcomer()]).exists()


def test_a_person_joins_the_pool_of_their_registry_county(as_user):
    stranger = _newcomer("C02")  # registered in county 2
    c01 = Organisation.objects.get(code="C01")
    c02 = Organisation.objects.get(code="C02")
    client = as_user("office")
    url = reverse("talent:inspector_create")
    wrong = client.post(url, {"person": stranger.pk, "county": c01.pk}, **EN)
    assert wrong.status_code == 200
    error = wrong.context["form"].errors["county"][0]
    assert f"{stranger.name} is in the registry of {c02.name}, so joins its pool" in error
    assert not InspectorProfile.objects.filter(person=stranger).exists()
    right = client.post(url, {"person": stranger.pk, "county": c02.pk}, **EN)
    assert right.status_code == 302
    assert InspectorProfile.objects.get(person=stranger).county == c02


@pytest.mark.parametrize(("persona", "status"), [("leading", 403), ("leader", 403), (None, 302)])
def test_adding_is_denied_without_the_right_to_change(as_user, persona, status):
    person = _newcomer()
    county = Organisation.objects.get(code="C01")
    url = reverse("talent:inspector_create")
    assert as_user(persona).get(url).status_code == status
    response = as_user(persona).post(url, {"person": person.pk, "county": county.pk})
    assert response.status_code == status
    if persona is None:
        assert response["Location"].startswith("/login/")
    assert not InspectorProfile.objects.filter(person=person).exists()


def test_person_lookup_finds_only_people_not_in_the_pool(as_user, profile):
    newcomer = _newcomer()
    url = reverse("talent:inspector_person_lookup")
    client = as_user("office_c1")
    found = client.get(url, {"q": newcomer.name}).content.decode()
    assert f'value="{newcomer.pk}"' in found
    # Nobody is chosen for the user: the first option is the empty "choose" one.
    assert found.startswith('<option value="" selected>')
    assert f'value="{newcomer.pk}" selected' not in found
    member = client.get(url, {"q": profile.person.name}).content.decode()
    assert f'value="{profile.person.pk}"' not in member
    stranger = _newcomer("C02")
    assert f'value="{stranger.pk}"' not in client.get(url, {"q": stranger.name}).content.decode()
    assert as_user("leading").get(url, {"q": newcomer.name}).status_code == 403


def test_person_lookup_lists_common_readings_before_rare_ones(as_user):
    """方 may be read wang, but someone searching "wang" means 王: with only 20 shown,
    rare readings must not push the common ones out."""
    county = Organisation.objects.get(code="C01")
    rare = [Person.objects.create(name=f"方{n}测", registry=county) for n in "甲乙丙"]
    common = Person.objects.create(name="王测", registry=county)
    assert all(" wang" in p.name_search for p in rare)  # the rare reading is a key
    options = (
        as_user("office_c1")
        .get(reverse("talent:inspector_person_lookup"), {"q": "wang"})
        .content.decode()
    )
    positions = {p.pk: options.index(f'value="{p.pk}"') for p in [common, *rare]}
    assert all(positions[common.pk] < positions[p.pk] for p in rare)


# -- editing a profile --------------------------------------------------------------------------


def test_edit_changes_the_profile_with_before_and_after(as_user, profile):
    url = reverse("talent:inspector_edit", args=[profile.pk])
    client = as_user("office_c1")
    page = client.get(url)
    assert page.context["form"].initial["membership"] == "in_pool"
    old_specialties = sorted(s.code for s in profile.specialties.all())
    new = Specialty.objects.exclude(pk__in=profile.specialties.all()).order_by("code").first()
    response = client.post(
        url,
        {
            "specialties": [new.pk],
            "home_organisation": profile.home_organisation_id or "",
            "home_post": "副主任",
            "leader_eligible": "" if profile.leader_eligible else "on",
            "membership": "in_pool",
            "removed_reason": "",
        },
        **EN,
    )
    assert response.status_code == 302 and response["Location"] == _detail(profile)
    was_leader = profile.leader_eligible
    profile.refresh_from_db()
    assert list(profile.specialties.all()) == [new]
    assert profile.home_post == "副主任" and profile.leader_eligible is not was_leader
    event = _events(AuditEventType.INSPECTOR_UPDATED)[-1]
    assert event.object_id == str(profile.pk) and event.actor.username == "office_c1"
    assert event.before["specialties"] == old_specialties
    assert event.after["specialties"] == [new.code]
    assert event.after["home_post"] == "副主任"
    assert event.before["leader_eligible"] is was_leader
    assert "in_pool" not in event.after  # only what changed
    assert any("saved" in m for m in _messages(response))


def _edit_data(profile: InspectorProfile, **changes: str) -> dict[str, object]:
    return {
        "specialties": [s.pk for s in profile.specialties.all()],
        "home_organisation": profile.home_organisation_id or "",
        "home_post": profile.home_post,
        "leader_eligible": "on" if profile.leader_eligible else "",
        "membership": "in_pool" if profile.in_pool else "removed",
        "removed_reason": profile.removed_reason,
        **changes,
    }


def test_removal_needs_a_reason_and_putting_back_clears_it(as_user, profile):
    url = reverse("talent:inspector_edit", args=[profile.pk])
    client = as_user("office_c1")
    before = len(_events(AuditEventType.INSPECTOR_UPDATED))
    no_reason = client.post(url, _edit_data(profile, membership="removed"), **EN)
    assert no_reason.status_code == 200
    assert no_reason.context["error_summary"] == (
        "Not saved: Reason for removal: Removing someone from the pool needs a reason."
    )
    profile.refresh_from_db()
    assert profile.in_pool and len(_events(AuditEventType.INSPECTOR_UPDATED)) == before

    removed = client.post(
        url, _edit_data(profile, membership="removed", removed_reason="调离纪检岗位"), **EN
    )
    assert any("taken out of the pool" in m for m in _messages(removed))
    profile.refresh_from_db()
    assert not profile.in_pool and profile.removed_reason == "调离纪检岗位"
    event = _events(AuditEventType.INSPECTOR_UPDATED)[-1]
    assert event.before == {"in_pool": True, "removed_reason": ""}
    assert event.after == {"in_pool": False, "removed_reason": "调离纪检岗位"}
    edit = client.get(url)
    assert edit.context["form"].initial["membership"] == "removed"

    back = client.post(url, _edit_data(profile, membership="in_pool"), **EN)
    assert any("back in the pool" in m for m in _messages(back))
    profile.refresh_from_db()
    assert profile.in_pool and profile.removed_reason == ""
    assert _events(AuditEventType.INSPECTOR_UPDATED)[-1].after == {
        "in_pool": True,
        "removed_reason": "",
    }


def test_saving_without_changes_records_nothing(as_user, profile):
    before = len(_events(AuditEventType.INSPECTOR_UPDATED))
    response = as_user("office").post(
        reverse("talent:inspector_edit", args=[profile.pk]), _edit_data(profile)
    )
    assert response.status_code == 302
    assert len(_events(AuditEventType.INSPECTOR_UPDATED)) == before


def test_inspector_update_service_refuses_a_removal_without_reason(user_named, profile):
    with pytest.raises(ValidationError) as caught:
        services.inspector_update(actor=user_named("office"), profile=profile, in_pool=False)
    assert "removed_reason" in caught.value.message_dict
    services.inspector_update(
        actor=user_named("office"), profile=profile, in_pool=False, removed_reason=" 退休 "
    )
    profile.refresh_from_db()
    assert not profile.in_pool and profile.removed_reason == "退休"


@pytest.mark.parametrize(
    ("persona", "status"), [("leading", 403), ("leader", 404), ("receiver", 404), (None, 302)]
)
def test_edit_is_denied_without_the_right_to_change(as_user, profile, persona, status):
    url = reverse("talent:inspector_edit", args=[profile.pk])
    assert as_user(persona).get(url).status_code == status
    data = _edit_data(profile, membership="removed", removed_reason="x")
    assert as_user(persona).post(url, data).status_code == status
    profile.refresh_from_db()
    assert profile.in_pool


def test_county_office_cannot_edit_another_countys_inspector(as_user, other_county_profile):
    url = reverse("talent:inspector_edit", args=[other_county_profile.pk])
    assert as_user("office_c1").get(url).status_code == 404
    assert as_user("office").get(url).status_code == 200


# -- training -----------------------------------------------------------------------------------


def test_training_is_recorded_with_audit(as_user, profile):
    day = _today() - dt.timedelta(days=3)
    response = as_user("office_c1").post(
        reverse("talent:training_create", args=[profile.pk]),
        {
            "training-course": "巡察业务骨干培训",
            "training-hours": "12.5",
            "training-date": day.isoformat(),
            "training-certificate": "XC-2026-001",
        },
        **EN,
    )
    assert response.status_code == 302 and response["Location"] == _detail(profile) + "#training"
    record = TrainingRecord.objects.get(profile=profile, course="巡察业务骨干培训")
    assert (record.hours, record.date, record.certificate) == (Decimal("12.5"), day, "XC-2026-001")
    event = _events(AuditEventType.TRAINING_RECORDED)[-1]
    assert event.object_id == str(profile.pk) and event.actor.username == "office_c1"
    assert event.after == {
        "training": record.pk,
        "course": "巡察业务骨干培训",
        "hours": "12.5",
        "date": day.isoformat(),
        "certificate": "XC-2026-001",
    }
    assert any("Training recorded" in m for m in _messages(response))
    page = as_user("office_c1").get(_detail(profile))
    assert "巡察业务骨干培训" in page.content.decode()


def _refused(response, form_name: str, field: str) -> tuple[str, str]:
    """A refused profile form comes back on the profile page with the error at its
    field, announced by the field's aria-describedby, and the user's input kept."""
    assert response.status_code == 200
    form = response.context[form_name]
    assert field in form.errors, form.errors
    page = response.content.decode()
    error_id = f"{form[field].auto_id}_error"
    assert f'id="{error_id}"' in page and error_id in page.split(f'id="{error_id}"')[0]
    assert 'data-testid="form-refused"' in page
    return " ".join(form.errors[field]), page


@pytest.mark.parametrize(
    ("data", "field", "expected"),
    [
        (
            {"training-hours": "8", "training-date": "2026-01-05"},
            "course",
            "This field is required.",
        ),
        (
            {"training-course": "x", "training-hours": "0", "training-date": "2026-01-05"},
            "hours",
            "greater than or equal to 0.5",
        ),
        (
            {"training-course": "x", "training-hours": "99999", "training-date": "2026-01-05"},
            "hours",
            "less than or equal to 1000",
        ),
        (
            {"training-course": "x", "training-hours": "8", "training-date": "2999-01-01"},
            "date",
            "Training is recorded once it has taken place.",
        ),
        (
            {"training-course": "x", "training-hours": "8", "training-date": "1900-01-01"},
            "date",
            "A date before 1980-01-01 is not plausible here",
        ),
        ({"training-course": "x", "training-hours": "8", "training-date": "05/01"}, "date", ""),
    ],
)
def test_training_refuses_bad_input_at_the_field(as_user, profile, data, field, expected):
    before = profile.trainings.count()
    response = as_user("office_c1").post(
        reverse("talent:training_create", args=[profile.pk]), data, **EN
    )
    error, page = _refused(response, "training_form", field)
    assert expected in error
    for name, value in data.items():  # what the user typed is still there
        assert f'name="{name}" value="{value}"' in page
    assert profile.trainings.count() == before


def test_a_training_record_is_removed_with_audit(as_user, profile):
    record = services.training_record(
        actor=None,
        profile=profile,
        course="误录课程",
        hours=Decimal("99"),
        date=_today() - dt.timedelta(days=2),
    )
    page = as_user("office_c1").get(_detail(profile)).content.decode()
    assert reverse("talent:training_delete", args=[record.pk]) in page
    assert 'data-testid="training-delete" data-confirm=' in page
    for persona, status in (("leading", 403), ("member", 404)):
        denied = as_user(persona).post(reverse("talent:training_delete", args=[record.pk]))
        assert denied.status_code == status
    response = as_user("office_c1").post(reverse("talent:training_delete", args=[record.pk]), **EN)
    assert response["Location"] == _detail(profile) + "#training"
    assert not TrainingRecord.objects.filter(pk=record.pk).exists()
    event = _events(AuditEventType.TRAINING_REMOVED)[-1]
    assert event.actor.username == "office_c1" and event.object_id == str(profile.pk)
    assert event.before["course"] == "误录课程" and event.before["hours"] == "99.0"
    assert any("Training record 误录课程" in m for m in _messages(response))


def test_training_hours_show_whole_numbers_without_a_decimal(as_user, profile):
    day = _today() - dt.timedelta(days=3)
    for course, hours in (("整数学时课程", Decimal("32.0")), ("半学时课程", Decimal("1.5"))):
        services.training_record(
            actor=None, profile=profile, course=course, hours=hours, date=day, certificate=""
        )
    page = as_user("office_c1").get(_detail(profile), **EN).content.decode()
    assert "整数学时课程 · 32 h" in page and "32.0" not in page
    assert "半学时课程 · 1.5 h" in page


# -- qualifications -----------------------------------------------------------------------------


def test_prefecture_office_grants_a_qualification_for_three_years(as_user, profile):
    granted = _today() - dt.timedelta(days=1)
    response = as_user("office").post(
        reverse("talent:qualification_grant", args=[profile.pk]),
        {"qualification-granted_on": granted.isoformat(), "qualification-expires_on": ""},
        **EN,
    )
    assert response["Location"] == _detail(profile) + "#qualifications"
    qualification = profile.qualifications.order_by("-id").first()
    assert qualification.granted_on == granted
    # Three years as certificates count them: to the day before the third anniversary.
    assert qualification.expires_on == profile_forms.years_later(granted, 3) - dt.timedelta(1)
    assert profile_forms.default_expiry(dt.date(2026, 1, 1)) == dt.date(2028, 12, 31)
    assert qualification.granted_by.username == "office"
    event = _events(AuditEventType.QUALIFICATION_GRANTED)[-1]
    assert event.object_id == str(profile.pk) and event.actor.username == "office"
    assert event.after["expires_on"] == qualification.expires_on.isoformat()
    assert event.after["qualification"] == qualification.pk
    assert any("Qualification granted" in m for m in _messages(response))


def test_grant_form_defaults_to_today_and_three_years(as_user, profile):
    form = as_user("office").get(_detail(profile)).context["qualification_form"]
    assert form.initial["granted_on"] == _today()
    # Empty, as the help says, so an earlier grant date gets its own three years.
    assert "expires_on" not in form.initial
    assert profile_forms.years_later(dt.date(2024, 2, 29), 3) == dt.date(2027, 2, 28)


def test_a_qualification_expires_after_it_is_granted(as_user, profile):
    before = profile.qualifications.count()
    response = as_user("office").post(
        reverse("talent:qualification_grant", args=[profile.pk]),
        {"qualification-granted_on": "2026-03-01", "qualification-expires_on": "2026-02-01"},
        **EN,
    )
    error, _page = _refused(response, "qualification_form", "expires_on")
    assert error == "A qualification expires after it is granted."
    missing = as_user("office").post(
        reverse("talent:qualification_grant", args=[profile.pk]), {}, **EN
    )
    assert _refused(missing, "qualification_form", "granted_on")[0] == ("This field is required.")
    assert profile.qualifications.count() == before


@pytest.mark.parametrize(
    ("granted", "expires", "field", "expected"),
    [
        ("9999-12-31", "", "granted_on", "cannot be still to come"),  # was a server error
        ("2999-01-01", "", "granted_on", "cannot be still to come"),
        ("0202-01-01", "", "granted_on", "A date before 1980-01-01"),
        ("2026-01-01", "2046-01-01", "expires_on", "at most 10 years"),
        ("2026-01-01", "9999-12-31", "expires_on", "A date after 2099-12-31"),
    ],
)
def test_grant_dates_must_be_plausible(as_user, profile, granted, expires, field, expected):
    before = profile.qualifications.count()
    response = as_user("office").post(
        reverse("talent:qualification_grant", args=[profile.pk]),
        {"qualification-granted_on": granted, "qualification-expires_on": expires},
        **EN,
    )
    assert expected in _refused(response, "qualification_form", field)[0]
    assert profile.qualifications.count() == before


def test_each_qualification_says_how_it_stands_today(as_user, profile):
    today = _today()
    profile.qualifications.all().delete()
    page = as_user("office").get(_detail(profile), **EN).content.decode()
    assert "No qualification" in page
    old = Qualification.objects.create(
        profile=profile, granted_on=dt.date(2019, 1, 1), expires_on=dt.date(2022, 1, 1)
    )
    page = as_user("office").get(_detail(profile), **EN).content.decode()
    assert "Expired on 2022-01-01" in page and "Qualification expired" in page
    soon = Qualification.objects.create(
        profile=profile,
        granted_on=today - dt.timedelta(days=700),
        expires_on=today + dt.timedelta(days=13),
    )
    page = as_user("office").get(_detail(profile), **EN).content.decode()
    assert "Valid, expires in 13 days" in page
    for days, said in ((1, "Valid, expires in 1 day<"), (0, "Valid, expires today")):
        Qualification.objects.filter(pk=soon.pk).update(expires_on=today + dt.timedelta(days=days))
        assert said in as_user("office").get(_detail(profile), **EN).content.decode()
    Qualification.objects.filter(pk=soon.pk).update(expires_on=today + dt.timedelta(days=13))
    soon.refresh_from_db()
    assert f"Qualified, expires on {soon.expires_on.isoformat()}" in page
    soon.status = Qualification.Status.SUSPENDED
    soon.save()
    page = as_user("office").get(_detail(profile), **EN).content.decode()
    assert "Qualification suspended" in page and "Qualification missing" not in page
    assert old.pk  # still listed as expired
    assert page.count('data-testid="qualification-state"') == 2
    # Only the suspended one can be changed (reinstated or revoked); an expired one cannot.
    assert page.count('data-testid="qualification-status"') == 1
    # With nothing usable, the heading says how the latest grant stands.
    Qualification.objects.filter(pk=soon.pk).update(status=Qualification.Status.REVOKED)
    page = as_user("office").get(_detail(profile), **EN).content.decode()
    assert "Qualification revoked" in page and "Qualification expired" not in page


def test_a_new_grant_renews_the_one_in_force(as_user, profile):
    profile.qualifications.all().delete()
    today = _today()
    first = services.qualification_grant(
        actor=None,
        profile=profile,
        granted_on=today - dt.timedelta(days=400),
        expires_on=today + dt.timedelta(days=600),
    )
    client = as_user("office")
    renewal = today - dt.timedelta(days=2)
    response = client.post(
        reverse("talent:qualification_grant", args=[profile.pk]),
        {"qualification-granted_on": renewal.isoformat(), "qualification-expires_on": ""},
        **EN,
    )
    first.refresh_from_db()
    day_before = renewal - dt.timedelta(days=1)
    assert first.expires_on == day_before and first.status == Qualification.Status.GRANTED
    assert [q.valid_on(today) for q in profile.qualifications.order_by("pk")] == [False, True]
    assert any(
        f"renews the earlier one, which now ends on {day_before}" in m for m in _messages(response)
    )
    event = _events(AuditEventType.QUALIFICATION_GRANTED)[-1]
    assert event.before == {
        "renewed": [
            {"qualification": first.pk, "expires_on": (today + dt.timedelta(days=600)).isoformat()}
        ]
    }
    assert event.after["renewed_until"] == day_before.isoformat()
    # A grant that does not come after the one in force is refused, naming it.
    before = profile.qualifications.count()
    early = client.post(
        reverse("talent:qualification_grant", args=[profile.pk]),
        {"qualification-granted_on": (renewal - dt.timedelta(days=10)).isoformat()},
        **EN,
    )
    error = _refused(early, "qualification_form", "granted_on")[0]
    assert f"A qualification granted on {renewal} runs then" in error
    assert f"a new grant may start on {renewal + dt.timedelta(days=2)} at the earliest" in error
    # The day after its start too: renewing it would leave it less than a day.
    next_day = client.post(
        reverse("talent:qualification_grant", args=[profile.pk]),
        {"qualification-granted_on": (renewal + dt.timedelta(days=1)).isoformat()},
        **EN,
    )
    error = _refused(next_day, "qualification_form", "granted_on")[0]
    assert f"may start on {renewal + dt.timedelta(days=2)} at the earliest" in error
    assert profile.qualifications.count() == before
    # In Chinese the two sentences follow each other with no space between.
    again = client.post(
        reverse("talent:qualification_grant", args=[profile.pk]),
        {"qualification-granted_on": today.isoformat()},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    said = " ".join(_messages(again))
    assert "。此前的资格随之续期" in said, said


def test_status_changes_say_what_was_done(as_user, profile):
    profile.qualifications.all().delete()
    q = services.qualification_grant(
        actor=None,
        profile=profile,
        granted_on=_today() - dt.timedelta(days=10),
        expires_on=_today() + dt.timedelta(days=300),
    )
    client = as_user("office")
    url = reverse("talent:qualification_status", args=[q.pk])
    said = {}
    for status in ("suspended", "granted", "revoked"):
        said[status] = " ".join(_messages(client.post(url, {"status": status}, **EN)))
    name = profile.person.name
    assert f"Qualification of {name} suspended." in said["suspended"]
    assert f"Qualification of {name} reinstated, valid until {q.expires_on}." in said["granted"]
    assert f"Qualification of {name} revoked." in said["revoked"]


def test_a_suspended_grant_outweighs_a_later_revoked_one_in_the_heading(as_user, profile):
    profile.qualifications.all().delete()
    today = _today()
    Qualification.objects.create(
        profile=profile,
        granted_on=today - dt.timedelta(days=100),
        expires_on=today + dt.timedelta(days=100),
        status=Qualification.Status.SUSPENDED,
    )
    Qualification.objects.create(
        profile=profile,
        granted_on=today - dt.timedelta(days=5),
        expires_on=today + dt.timedelta(days=500),
        status=Qualification.Status.REVOKED,
    )
    page = as_user("office").get(_detail(profile), **EN).content.decode()
    assert "Qualification suspended" in page and "Qualification revoked" not in page


@pytest.mark.parametrize(
    ("persona", "status"),
    [("office_c1", 403), ("leading", 403), ("leader", 404), ("member", 404), (None, 302)],
)
def test_only_the_prefecture_office_grants_qualifications(as_user, profile, persona, status):
    before = profile.qualifications.count()
    data = {"qualification-granted_on": _today().isoformat()}
    response = as_user(persona).post(reverse("talent:qualification_grant", args=[profile.pk]), data)
    assert response.status_code == status
    assert profile.qualifications.count() == before


def test_leader_pool_badge_needs_a_valid_qualification(as_user, profile):
    InspectorProfile.objects.filter(pk=profile.pk).update(leader_eligible=True)
    services.qualification_grant(
        actor=None,
        profile=profile,
        granted_on=_today() - dt.timedelta(days=30),
        expires_on=_today() + dt.timedelta(days=365),
    )
    page = as_user("office").get(_detail(profile), **EN).content.decode()
    assert 'data-testid="leader-pool"' in page and "leader-not-qualified" not in page
    profile.qualifications.update(expires_on=_today() - dt.timedelta(days=1))
    page = as_user("office").get(_detail(profile), **EN).content.decode()
    assert 'data-testid="leader-pool"' not in page
    assert "Leader-eligible, qualification missing or expired" in page
    InspectorProfile.objects.filter(pk=profile.pk).update(leader_eligible=False)
    page = as_user("office").get(_detail(profile), **EN).content.decode()
    assert "leader-pool" not in page and "leader-not-qualified" not in page


def test_prefecture_office_suspends_reinstates_and_revokes(as_user, profile):
    qualification = profile.qualifications.first()
    profile.qualifications.exclude(pk=qualification.pk).delete()
    Qualification.objects.filter(pk=qualification.pk).update(
        status="granted",
        granted_on=_today() - dt.timedelta(days=10),
        expires_on=_today() + dt.timedelta(days=300),
    )
    url = reverse("talent:qualification_status", args=[qualification.pk])
    client = as_user("office")
    suspended = client.post(url, {"status": "suspended"}, **EN)
    assert suspended["Location"] == _detail(profile) + "#qualifications"
    assert any("suspended." in m for m in _messages(suspended))
    qualification.refresh_from_db()
    assert qualification.status == "suspended" and not qualification.valid_on(_today())
    event = _events(AuditEventType.QUALIFICATION_STATUS_SET)[-1]
    assert event.object_id == str(profile.pk) and event.actor.username == "office"
    assert event.before == {"qualification": qualification.pk, "status": "granted"}
    assert event.after == {"qualification": qualification.pk, "status": "suspended"}
    page = client.get(_detail(profile))
    assert not page.context["qualified"]  # a suspended qualification is no qualification
    assert 'data-testid="not-qualified"' in page.content.decode()

    client.post(url, {"status": "granted"})
    qualification.refresh_from_db()
    assert qualification.status == "granted"
    client.post(url, {"status": "revoked"})
    qualification.refresh_from_db()
    assert qualification.status == "revoked"
    count = len(_events(AuditEventType.QUALIFICATION_STATUS_SET))
    client = as_user("office")  # a fresh session: no messages left from the posts above
    again = client.post(url, {"status": "granted"}, **EN)
    assert _messages(again) == [
        "Qualification not changed: A revoked qualification stays revoked: grant a new one."
    ]
    same = as_user("office").post(url, {"status": "revoked"}, **EN)
    assert "already Revoked" in _messages(same)[0]
    bad = as_user("office").post(url, {"status": "lost"}, **EN)
    assert _messages(bad)[0].startswith("Qualification not changed: Status: ")
    qualification.refresh_from_db()
    assert qualification.status == "revoked"
    assert len(_events(AuditEventType.QUALIFICATION_STATUS_SET)) == count


@pytest.mark.parametrize(
    ("persona", "status"), [("office_c1", 403), ("leading", 403), ("leader", 404), (None, 302)]
)
def test_county_office_cannot_change_a_qualification(as_user, profile, persona, status):
    qualification = profile.qualifications.first()
    old = qualification.status
    url = reverse("talent:qualification_status", args=[qualification.pk])
    assert as_user(persona).post(url, {"status": "revoked"}).status_code == status
    qualification.refresh_from_db()
    assert qualification.status == old


# -- availability -------------------------------------------------------------------------------


def _later(month: int, day: int) -> dt.date:
    """A day of a year to come, clear of the demo's windows (a window may not be over)."""
    return dt.date(_today().year + 3, month, day)


def test_availability_window_is_added_and_removed_with_audit(as_user, profile):
    client = as_user("office_c1")
    start, end = _later(9, 1), _later(11, 30)
    response = client.post(
        reverse("talent:availability_create", args=[profile.pk]),
        {
            "availability-start_date": start.isoformat(),
            "availability-end_date": end.isoformat(),
            "availability-note": "秋季可抽调",
        },
        **EN,
    )
    assert response["Location"] == _detail(profile) + "#availability"
    window = Availability.objects.get(profile=profile, start_date=start, end_date=end)
    assert window.note == "秋季可抽调"
    added = _events(AuditEventType.AVAILABILITY_SET)[-1]
    assert added.object_id == str(profile.pk) and added.actor.username == "office_c1"
    assert added.before is None
    assert added.after == {
        "window": window.pk,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "note": "秋季可抽调",
    }
    assert any(f"available from {start} to {end}" in m for m in _messages(response))
    page = client.get(_detail(profile)).content.decode()
    assert reverse("talent:availability_delete", args=[window.pk]) in page

    removed = client.post(reverse("talent:availability_delete", args=[window.pk]), **EN)
    assert removed["Location"] == _detail(profile) + "#availability"
    assert not Availability.objects.filter(pk=window.pk).exists()
    event = _events(AuditEventType.AVAILABILITY_SET)[-1]
    assert event.before == added.after and event.after is None
    assert any("removed" in m for m in _messages(removed))


def test_availability_cannot_end_before_it_starts(as_user, profile):
    before = profile.availability.count()
    start, end = _later(10, 1), _later(9, 1)
    response = as_user("office_c1").post(
        reverse("talent:availability_create", args=[profile.pk]),
        {"availability-start_date": start.isoformat(), "availability-end_date": end.isoformat()},
        **EN,
    )
    error, page = _refused(response, "availability_form", "end_date")
    assert error == "A window cannot end before it starts."
    assert f'name="availability-start_date" value="{start}"' in page
    missing = as_user("office_c1").post(
        reverse("talent:availability_create", args=[profile.pk]),
        {"availability-end_date": "2026-09-01"},
        **EN,
    )
    assert _refused(missing, "availability_form", "start_date")[0] == "This field is required."
    typo = as_user("office_c1").post(
        reverse("talent:availability_create", args=[profile.pk]),
        {"availability-start_date": "0001-01-01", "availability-end_date": "9999-12-31"},
        **EN,
    )
    assert "A date before 1980-01-01" in _refused(typo, "availability_form", "start_date")[0]
    assert "A date after 2099-12-31" in " ".join(
        typo.context["availability_form"].errors["end_date"]
    )
    assert profile.availability.count() == before
    with pytest.raises(ValidationError):
        services.availability_add(
            actor=None,
            profile=profile,
            start_date=dt.date(2026, 2, 1),
            end_date=dt.date(2026, 1, 1),
        )


def test_availability_windows_do_not_overlap_and_are_not_over(as_user, profile):
    client = as_user("office_c1")
    profile.availability.all().delete()  # whatever the demo recorded
    services.availability_add(
        actor=None, profile=profile, start_date=_later(3, 1), end_date=_later(5, 31)
    )

    def add(start: dt.date, end: dt.date):
        data = {"availability-start_date": start.isoformat(), "availability-end_date": end}
        return client.post(reverse("talent:availability_create", args=[profile.pk]), data, **EN)

    for start, end in ((_later(5, 31), _later(6, 30)), (_later(4, 1), _later(4, 10))):
        error = _refused(add(start, end), "availability_form", "start_date")[0]
        assert error == (
            f"This overlaps the window from {_later(3, 1)} to {_later(5, 31)} already "
            "recorded: record only the days it does not cover, or remove it first."
        )
    over = add(_today() - dt.timedelta(days=20), _today() - dt.timedelta(days=1))
    assert _refused(over, "availability_form", "end_date")[0] == (
        "Availability is recorded for days to come: this window is already over."
    )
    assert profile.availability.count() == 1
    # The day after a window, and a window ending today, are fine.
    assert add(_later(6, 1), _later(6, 30)).status_code == 302
    assert add(_today(), _today()).status_code == 302
    assert profile.availability.count() == 3


@pytest.mark.parametrize(
    ("persona", "status"), [("leading", 403), ("leader", 404), ("member", 404), (None, 302)]
)
def test_availability_is_denied_without_the_right_to_change(as_user, profile, persona, status):
    window = services.availability_add(
        actor=None, profile=profile, start_date=dt.date(2026, 9, 1), end_date=dt.date(2026, 9, 30)
    )
    count = profile.availability.count()
    data = {"availability-start_date": "2026-10-01", "availability-end_date": "2026-10-31"}
    create = as_user(persona).post(reverse("talent:availability_create", args=[profile.pk]), data)
    delete = as_user(persona).post(reverse("talent:availability_delete", args=[window.pk]))
    assert (create.status_code, delete.status_code) == (status, status)
    assert profile.availability.count() == count


def test_county_office_cannot_touch_another_countys_windows(as_user, other_county_profile):
    window = services.availability_add(
        actor=None,
        profile=other_county_profile,
        start_date=dt.date(2026, 9, 1),
        end_date=dt.date(2026, 9, 30),
    )
    url = reverse("talent:availability_delete", args=[window.pk])
    assert as_user("office_c1").post(url).status_code == 404
    assert Availability.objects.filter(pk=window.pk).exists()
    assert as_user("office").post(url).status_code == 302
    assert not Availability.objects.filter(pk=window.pk).exists()


# -- CSRF ---------------------------------------------------------------------------------------


def test_changes_need_the_csrf_token(user_named, profile):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_named("office"))
    posts = [
        (reverse("talent:inspector_create"), {}),
        (reverse("talent:inspector_edit", args=[profile.pk]), _edit_data(profile)),
        (reverse("talent:training_create", args=[profile.pk]), {}),
        (reverse("talent:qualification_grant", args=[profile.pk]), {}),
        (reverse("talent:availability_create", args=[profile.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
