"""Reads of the public channel that respect the policy: the channels and teams a user
works, the inbox with its filters, and the candidates for duplicate suggestions.

Nothing here decrypts: contents are opened by ``workflow`` (one audit event per read)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from xuncha.core import policy
from xuncha.intake import permissions
from xuncha.intake.models import CLOSED_STATUSES, Channel, Kind, Report, ReportKey, Status
from xuncha.rounds.models import Stage, Team

# Reports still being worked (not forwarded, merged, converted or closed).
OPEN_STATUSES = tuple(s for s in Status if s not in CLOSED_STATUSES)
# Talk requests without a confirmed talk yet.
TALK_PENDING = (Status.NEW, Status.REVIEW, Status.WAITING)


def channels_for(user: Any) -> QuerySet[Channel]:
    """The channels the user may view, with their counts."""
    return (
        policy.scope(user, permissions.INTAKE_VIEW, Channel.objects.all())
        .select_related("team__round__committee")
        .annotate(
            total=Count("reports"),
            new=Count("reports", filter=Q(reports__status=Status.NEW)),
            unread=Count("reports", filter=Q(reports__unread_by_team=True)),
            waiting=Count("reports", filter=Q(reports__status=Status.WAITING)),
            talks=Count(
                "reports",
                filter=Q(reports__kind=Kind.TALK, reports__status__in=TALK_PENDING),
            ),
        )
        .order_by("-team__round__created_at", "team__name", "pk")
    )


def channel_settings_allowed(user: Any, channels: list[Channel]) -> set[int]:
    """Ids of the given channels whose settings the user may change (one query)."""
    if not channels:
        return set()
    allowed = policy.scope(
        user, permissions.INTAKE_CHANNEL, Channel.objects.filter(pk__in=[c.pk for c in channels])
    )
    return set(allowed.values_list("pk", flat=True))


def teams_without_channel(user: Any) -> QuerySet[Team]:
    """Teams of running rounds whose channel the user may set up and that have none."""
    return (
        policy.scope(user, permissions.INTAKE_CHANNEL, Team.objects.filter(channel__isnull=True))
        .exclude(round__stage=Stage.CLOSED)
        .select_related("round")
        .order_by("-round__created_at", "name")
    )


def team_for(user: Any, action: str, pk: int) -> QuerySet[Team]:
    return policy.scope(user, action, Team.objects.filter(pk=pk)).select_related(
        "round__committee", "channel"
    )


def reports_for(user: Any, action: str = permissions.INTAKE_VIEW) -> QuerySet[Report]:
    return (
        policy.scope(user, action, Report.objects.all())
        .select_related(
            "channel__team__round__committee",
            "assigned_to__person",
            "duplicate_of",
            "forwarded_to",
        )
        .prefetch_related("topics")
    )


def filter_reports(qs: QuerySet[Report], filters: dict[str, Any], user: Any) -> QuerySet[Report]:
    status = filters.get("status")
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    for name in ("kind", "source", "category", "discipline"):
        value = filters.get(name)
        if value:
            qs = qs.filter(**{name: value})
    if filters.get("topic"):
        qs = qs.filter(topics=filters["topic"])
    assigned = filters.get("assigned")
    if assigned == "me":
        qs = qs.filter(assigned_to=user)
    elif assigned == "nobody":
        qs = qs.filter(assigned_to__isnull=True)
    if filters.get("unread"):
        qs = qs.filter(unread_by_team=True)
    if filters.get("named"):
        qs = qs.filter(named=True)
    return qs


def openable(user: Any, reports: QuerySet[Report]) -> QuerySet[Report]:
    """Of ``reports``, those whose key was sealed to ``user``."""
    return reports.filter(pk__in=ReportKey.objects.filter(user=user).values("report_id"))


def duplicate_candidates(user: Any, report: Report) -> QuerySet[Report]:
    """The same team's other reports the user may read and open, that can be originals
    (not duplicates themselves)."""
    qs = (
        reports_for(user)
        .filter(channel_id=report.channel_id)
        .exclude(pk=report.pk)
        .exclude(status=Status.DUPLICATE)
    )
    return openable(user, qs)


def record_candidates(user: Any, report: Report) -> QuerySet[Any]:
    """Open problems and clues of the team's round that the user may change."""
    from xuncha.clues import permissions as clue_permissions
    from xuncha.clues import selectors as clue_selectors

    return clue_selectors.records_for(user, clue_permissions.CLUE_CHANGE).filter(
        round_id=report.channel.team.round_id, status__in=clue_selectors.DEDUP_STATUSES
    )


def records_from(user: Any, report: Report) -> list[Any]:
    """The problems and clues this report became evidence of, that the user may see."""
    from django.contrib.contenttypes.models import ContentType

    from xuncha.clues import selectors as clue_selectors

    return list(
        clue_selectors.records_for(user)
        .filter(
            evidence__content_type=ContentType.objects.get_for_model(Report),
            evidence__object_id=str(report.pk),
        )
        .distinct()
        .order_by("created_at")
    )


def closing_note(report: Report) -> str:
    """Why the report was closed."""
    return report.close_reason if report.status == Status.CLOSED else ""
