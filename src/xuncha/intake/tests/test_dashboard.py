"""Counts of the public channel on the round page: per team, by channel of receipt and by
category, for those who may see the team's inbox; nobody else sees the card."""

from __future__ import annotations

from django.urls import reverse

from xuncha.intake import dashboard, services
from xuncha.intake.models import Category, Kind, Report, Source
from xuncha.intake.services import Submission


def test_counts_by_channel_and_category(channel, user_named):
    member = user_named("member")
    services.submit(
        channel=channel,
        submission=Submission(
            kind=Kind.REPORT,
            category=Category.CONDUCT,
            content={"about": "", "organisation": "", "what": "公车私用", "when": ""},
        ),
        source=Source.VISIT,
        actor=member,
        with_receipt=False,
    )
    counts = dashboard.round_counts(user_named("office_c1"), channel.team.round)
    assert counts is not None
    row = next(r for r in counts["rows"] if r["team"] == channel.team)
    reports = Report.objects.filter(channel=channel)
    assert row["totals"]["all"] == reports.count()
    assert row["totals"]["talks"] == reports.filter(kind=Kind.TALK).count()
    sources = [code for code, _label in counts["sources"]]
    categories = [code for code, _label in counts["categories"]]
    for code, n in zip(sources, row["by_source"], strict=True):
        assert n == reports.filter(source=code).count()
    for code, n in zip(categories, row["by_category"], strict=True):
        assert n == reports.filter(category=code).count()
    assert row["by_source"][sources.index(Source.VISIT)] >= 1


def test_the_round_page_shows_the_card_only_to_readers_of_the_inbox(channel, as_user):
    url = reverse("rounds:round_detail", args=[channel.team.round_id])
    page = as_user("office_c1").get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="public-counts"' in html
    assert channel.team.name in page.context["public_counts"]["chart"]["categories"]
    assert 'id="public-counts-data"' in html
    leading = as_user("leading").get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert leading.status_code == 200
    assert 'data-testid="public-counts"' not in leading.content.decode()
