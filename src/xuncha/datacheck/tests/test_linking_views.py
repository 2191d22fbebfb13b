"""The record linkage pages through the test client: a link run started from the form
(the household registry and the roster chosen for the user), the run page with its counts,
chart, pairs side by side with each field's level in words, filters and exports (audited),
the clerical review page (accept, reject, undo), a pair's page, the finding whose ID number
came from linkage; and the office of another county kept out."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from xuncha.core.models import AuditEvent, AuditEventType
from xuncha.datacheck import linking, services
from xuncha.datacheck.models import Finding, LinkDecision, LinkPair, LinkRun
from xuncha.datacheck.tests.conftest import csv_bytes, person_id
from xuncha.datacheck.tests.test_linking import (
    DEATH_HEADER,
    PEOPLE,
    _linked,
    _lists,
    _names,
    office_of_another_county,
)
from xuncha.datacheck.tests.test_services import _dataset, _import


@pytest.fixture
def client_c1(office: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(office)
    return client


@pytest.fixture
def linked(office: Any, area: Any) -> LinkRun:
    household, roster = _lists(office, area)
    return _linked(office, area, household, roster)


def _reads(run: LinkRun) -> int:
    return AuditEvent.objects.filter(
        event_type=AuditEventType.DATACHECK_LINK_READ, object_id=str(run.pk)
    ).count()


def test_a_link_run_is_started_from_the_form(client_c1, office, area):
    household, roster = _lists(office, area)
    page = client_c1.get(reverse("datacheck:link_new"), {"organisation": area.pk})
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["left"] == household and form.initial["right"] == roster
    choices = {v.pk for v in form.fields["left"].queryset}
    assert choices == {household.pk, roster.pk}
    response = client_c1.post(
        reverse("datacheck:link_new"),
        {
            "organisation": area.pk,
            "left": household.pk,
            "right": roster.pk,
            "match": "0.95",
            "review": "0.6",
        },
    )
    run = LinkRun.objects.get(left=household)
    assert response.status_code == 302 and response["Location"] == reverse(
        "datacheck:link_run", args=[run.pk]
    )
    assert (run.match_threshold, run.review_threshold) == (0.95, 0.6)
    assert run.job is not None and run.status == LinkRun.Status.QUEUED
    page = client_c1.get(response["Location"]).content.decode()
    assert 'data-testid="job-progress"' in page
    bad = client_c1.post(
        reverse("datacheck:link_new"),
        {"organisation": area.pk, "left": household.pk, "match": "0.5", "review": "0.8"},
    )
    assert bad.status_code == 200 and "cannot be above" in bad.content.decode()


def test_the_run_page_shows_pairs_side_by_side(client_c1, linked):
    response = client_c1.get(reverse("datacheck:link_run", args=[linked.pk]))
    page = response.content.decode()
    assert response.context["counts"]["links"] == 6
    assert response.context["counts"]["to_review"] == linked.reviews
    assert 'data-testid="chart-bands"' in page and "chart-bands-data" in page
    assert page.count('data-testid="pair"') == linked.pairs_total
    assert "Name: same sound" in page and "李墙" in page and "李强" in page
    assert "Birth: about the same age" in page and "约70岁" in page
    assert _reads(linked) == 1
    homophones = client_c1.get(
        reverse("datacheck:link_run", args=[linked.pk]), {"level": "name:homophone"}
    )
    names = [p["pair"].levels["name"] for p in homophones.context["pairs"]]
    assert names == ["homophone", "homophone"]  # 李强 and 李墙, 王方 and 王芳
    review = client_c1.get(
        reverse("datacheck:link_run", args=[linked.pk]), {"band": "review", "sort": "probability"}
    )
    shown = [p["pair"] for p in review.context["pairs"]]
    assert shown and all(p.band == "review" for p in shown)
    assert [p.probability for p in shown] == sorted(p.probability for p in shown)


def test_exports_are_audited(client_c1, linked):
    export = client_c1.get(
        reverse("datacheck:link_run", args=[linked.pk]), {"band": "match", "export": "xlsx"}
    )
    book = load_workbook(io.BytesIO(export.content))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:5] == ("Probability", "Band", "Decision", "Left row", "Right row")
    assert len(rows) == 1 + 6
    assert "same sound" in {c for r in rows for c in r if isinstance(c, str)}
    text = client_c1.get(
        reverse("datacheck:link_run", args=[linked.pk]), {"export": "csv"}
    ).content.decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(text)))) == 1 + linked.pairs_total
    events = AuditEvent.objects.filter(
        event_type=AuditEventType.DATACHECK_LINK_EXPORTED, object_id=str(linked.pk)
    )
    assert sorted(e.extra["count"] for e in events) == sorted([6, linked.pairs_total])


def test_clerical_review_accept_reject_undo(client_c1, linked, county):
    url = reverse("datacheck:link_review", args=[linked.pk])
    page = client_c1.get(url)
    current = page.context["current"]["pair"]
    assert current.band == LinkPair.Band.REVIEW and page.context["remaining"] == linked.reviews
    assert _reads(linked) == 1
    response = client_c1.post(
        reverse("datacheck:link_decide", args=[current.pk]),
        {"decision": "reject", "reason": "不同户"},
    )
    assert response.status_code == 302 and response["Location"] == url
    decision = LinkDecision.objects.get(pair__run=linked)
    assert decision.area == county
    assert decision.decision == "rejected" and decision.reason == "不同户"
    page = client_c1.get(url)
    assert page.context["remaining"] == linked.reviews - 1  # decided pairs leave the queue
    assert [d["pair"].pk for d in page.context["decided"]] == [current.pk]
    assert "Not the same person" in page.content.decode()
    client_c1.post(reverse("datacheck:link_undo", args=[current.pk]))
    assert not LinkDecision.objects.filter(pair__run=linked).exists()
    assert client_c1.get(url).context["remaining"] == linked.reviews
    # From the pair's own page: accepted, it is a link; the page offers to undo it.
    response = client_c1.post(
        reverse("datacheck:link_decide", args=[current.pk]), {"decision": "accept", "back": "pair"}
    )
    assert response["Location"] == reverse("datacheck:link_pair", args=[current.pk])
    pair_page = client_c1.get(response["Location"])
    assert pair_page.context["item"]["link"] and 'data-testid="undo"' in pair_page.content.decode()
    run_page = client_c1.get(reverse("datacheck:link_run", args=[linked.pk]))
    assert run_page.context["counts"]["links"] == 7
    bad = client_c1.post(reverse("datacheck:link_decide", args=[current.pk]), {"decision": "x"})
    assert bad.status_code == 302
    assert LinkDecision.objects.get(pair__run=linked).decision == "accepted"


def test_the_finding_says_the_id_came_from_linkage(client_c1, office, area):
    household, roster = _lists(office, area)
    chen = PEOPLE[4]
    death = _import(
        office,
        _dataset(office, area, "death"),
        csv_bytes(
            [
                DEATH_HEADER,
                [chen[1], person_id(chen[0], chen[3]), "2025-01-10", ""],
                ["某人", person_id(99), "2025-09-01", ""],
            ]
        ),
    )
    pair = _names(_linked(office, area, household, roster))[("陈建国", "陈建国")]
    run = services.run_start(
        actor=office,
        organisation=area,
        versions=[household, roster, death],
        codes=["roster_after_death"],
        background=False,
    )
    services.run_execute(run)
    finding = Finding.objects.get(organisation=area, rule__code="roster_after_death")
    page = client_c1.get(reverse("datacheck:finding", args=[finding.pk])).content.decode()
    assert 'data-testid="linked-id"' in page
    assert reverse("datacheck:link_pair", args=[pair.pk]) in page
    assert "found by record linkage" in page


def test_another_county_office_sees_nothing(linked, county):
    client = Client()
    client.force_login(office_of_another_county(county))
    pair = linked.pairs.first()
    assert client.get(reverse("datacheck:link_runs")).status_code == 200
    assert f"L{linked.pk}" not in client.get(reverse("datacheck:link_runs")).content.decode()
    assert client.get(reverse("datacheck:link_run", args=[linked.pk])).status_code == 404
    assert client.get(reverse("datacheck:link_review", args=[linked.pk])).status_code == 404
    assert client.get(reverse("datacheck:link_pair", args=[pair.pk])).status_code == 404
    decide = client.post(reverse("datacheck:link_decide", args=[pair.pk]), {"decision": "accept"})
    assert decide.status_code == 404
    assert client.post(reverse("datacheck:link_undo", args=[pair.pk])).status_code == 404
    assert not LinkDecision.objects.filter(pair__run=linked).exists()


def test_the_list_and_the_nav(client_c1, linked):
    page = client_c1.get(reverse("datacheck:link_runs")).content.decode()
    assert f"L{linked.pk}" in page and 'data-testid="link-new"' in page
    index = client_c1.get(reverse("datacheck:index")).content.decode()
    assert reverse("datacheck:link_runs") in index
    linking.decide(actor=linked.created_by, pair=linked.pairs.first(), accepted=True)
