"""Exact query counts on every list and detail view, at two data sizes.

The count must not grow with the number of rows. When a count changes on purpose,
update ``EXPECTED``; the failure message prints the SQL of the request.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from xuncha.core import services
from xuncha.core.models import AuditEvent, JobRun, Organisation, Person

# (url name, persona, kwargs key) -> exact number of queries
EXPECTED = {
    ("core:home", "office"): 8,
    ("core:organisation_list", "office"): 5,
    ("core:organisation_detail", "office"): 9,
    ("core:person_list", "office"): 7,
    ("core:person_list", "liaison"): 7,
    ("core:person_detail", "office"): 8,
    ("core:user_list", "admin"): 5,
    ("core:user_detail", "admin"): 6,
    ("core:audit_list", "auditor"): 5,
    ("core:job_list", "office"): 4,
    ("core:job_detail", "office"): 4,
}


def _grow(actor, county: Organisation, unit: Organisation, person: Person, n: int) -> None:
    """Add n rows of each kind the views list: organisations, people with posts and kin,
    accounts, audit events and jobs."""
    for i in range(n):
        org = services.organisation_create(
            actor=actor,
            name=f"增设单位{i}",
            code=f"QC-{unit.pk}-{i}",
            kind="unit",
            parent=unit,
            committee=county,
        )
        p = services.person_create(actor=actor, name=f"测试{i}", registry=county)
        services.post_create(
            actor=actor, person=p, organisation=unit, title="科员", start_date=dt.date(2020, 1, 1)
        )
        services.post_create(
            actor=actor,
            person=person,
            organisation=org,
            title=f"兼职{i}",
            start_date=dt.date(2021, 1, 1),
        )
        services.kinship_create(actor=actor, person=person, relative=p, relation="cousin")
        u = services.user_create(actor=actor, username=f"grow{i}", password=None, person=p)
        services.role_grant(actor=actor, user=u, role="team_member", organisation=unit)
        services.role_grant(actor=None, user=actor, role="leading_group", organisation=org)
        JobRun.objects.create(owner=actor, kind="people_export", label=f"job {i}")


def _url(name: str, person: Person, unit: Organisation, user, job: JobRun) -> str:
    kwargs = {
        "core:organisation_detail": {"pk": unit.pk},
        "core:person_detail": {"pk": person.pk},
        "core:user_detail": {"pk": user.pk},
        "core:job_detail": {"pk": job.pk},
    }.get(name, {})
    return reverse(name, kwargs=kwargs)


def _count(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    sql = "\n".join(q["sql"] for q in ctx.captured_queries)
    return len(ctx.captured_queries), sql


@pytest.mark.parametrize(("name", "persona"), list(EXPECTED))
def test_query_count_is_exact_and_flat(name, persona, as_user, user_named):
    office = user_named("office")
    leader = user_named("leader")
    unit = leader.grants.get().organisation
    county = Organisation.objects.get(code="C01")
    person = Person.objects.filter(posts__organisation=unit, posts__end_date=None).first()
    job = JobRun.objects.create(owner=office, kind="people_export", label="x")
    client = as_user(persona)
    client.get(_url(name, person, unit, leader, job))  # warm caches (sessions, content types)
    first, sql1 = _count(client, _url(name, person, unit, leader, job))
    events_before = AuditEvent.objects.count()
    _grow(office, county, unit, person, 12)
    assert AuditEvent.objects.count() > events_before
    second, sql2 = _count(client, _url(name, person, unit, leader, job))
    expected = EXPECTED[(name, persona)]
    assert first == second == expected, (
        f"{name} as {persona}: {first} then {second} queries, expected {expected}\n"
        f"--- first\n{sql1}\n--- second\n{sql2}"
    )
