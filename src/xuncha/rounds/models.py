"""Committee terms and their coverage, rounds, stages, teams and stage gates.

Coverage is derived: an organisation is covered in a term when it was a target of a round
of that term that reached the feedback stage. Writes go through ``rounds.services``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xuncha.core.models import Organisation, User


class Stage(models.TextChoices):
    """The stages of a round, in order (DOMAIN.md)."""

    PREPARATION = "preparation", _("Preparation")
    STATIONING = "stationing", _("Stationing")
    UNDERSTANDING = "understanding", _("Understanding")
    REPORT = "report", _("Report")
    FEEDBACK = "feedback", _("Feedback")
    HANDOVER = "handover", _("Handover")
    RECTIFICATION = "rectification", _("Rectification")
    SUPERVISION = "supervision", _("Supervision")
    CLOSED = "closed", _("Closed")


STAGE_ORDER = [s.value for s in Stage]


class RoundKind(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    THEMATIC = "thematic", _("Thematic")
    MOBILE = "mobile", _("Mobile")
    VILLAGE = "village", _("Village and community")
    LOOKBACK = "lookback", _("Look-back")


class CommitteeTerm(models.Model):
    """A committee's term (一届任期): everything under it must be inspected once."""

    committee = models.ForeignKey(
        Organisation, verbose_name=_("committee"), on_delete=models.PROTECT, related_name="terms"
    )
    name = models.CharField(_("name"), max_length=100)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    rounds_per_year = models.PositiveSmallIntegerField(_("rounds per year"), default=3)
    teams_per_round = models.PositiveSmallIntegerField(_("teams per round"), default=4)
    team_capacity = models.DecimalField(
        _("targets per team and round"), max_digits=4, decimal_places=2, default=3
    )

    class Meta:
        verbose_name = _("committee term")
        verbose_name_plural = _("committee terms")
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=models.F("start_date")), name="term_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.name


class CoveragePriority(models.Model):
    """A user-set weight for an organisation in a term's plan (higher goes first)."""

    term = models.ForeignKey(CommitteeTerm, on_delete=models.CASCADE, related_name="priorities")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    weight = models.DecimalField(_("priority"), max_digits=5, decimal_places=2, default=1)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["term", "organisation"], name="priority_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.weight}"


class FocusArea(models.Model):
    """Configurable list of what rounds look at, seeded from DOMAIN.md."""

    code = models.SlugField(max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_zh


class StageDuration(models.Model):
    """Default length of a stage for a kind of round (editable by the office)."""

    class Unit(models.TextChoices):
        WORKDAYS = "workdays", _("working days")
        DAYS = "days", _("calendar days")

    kind = models.CharField(max_length=20, choices=RoundKind.choices)
    stage = models.CharField(max_length=20, choices=Stage.choices)
    length = models.PositiveSmallIntegerField()
    unit = models.CharField(max_length=10, choices=Unit.choices, default=Unit.DAYS)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "stage"], name="stage_duration_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.stage}: {self.length} {self.unit}"


class HolidayOverride(models.Model):
    """Holidays and make-up working days for years the holiday package does not know."""

    day = models.DateField(_("day"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=60, blank=True)

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {self.name}"


class Round(models.Model):
    committee = models.ForeignKey(
        Organisation, verbose_name=_("committee"), on_delete=models.PROTECT, related_name="rounds"
    )
    term = models.ForeignKey(
        CommitteeTerm,
        verbose_name=_("term"),
        on_delete=models.PROTECT,
        related_name="rounds",
        null=True,
        blank=True,
    )
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=RoundKind.choices)
    subject = models.CharField(_("subject (thematic rounds)"), max_length=200, blank=True)
    escalated = models.BooleanField(_("escalated"), default=False)
    cross = models.BooleanField(_("cross"), default=False)
    extended = models.BooleanField(_("extended"), default=False)
    lookback_of = models.ForeignKey(
        "self",
        verbose_name=_("looks back at"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lookbacks",
    )
    focus_areas = models.ManyToManyField(FocusArea, verbose_name=_("focus areas"), blank=True)
    stage = models.CharField(
        _("stage"), max_length=20, choices=Stage.choices, default=Stage.PREPARATION
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="thematic") | ~Q(subject=""), name="thematic_has_subject"
            ),
            models.CheckConstraint(
                condition=~Q(kind="lookback") | Q(lookback_of__isnull=False),
                name="lookback_has_origin",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def modifier_labels(self) -> list[str]:
        """The modifiers set on the round (escalated, cross, extended), named: the round
        page and the round list show the same ones."""
        return [
            str(label)
            for on, label in (
                (self.escalated, _("Escalated")),
                (self.cross, _("Cross")),
                (self.extended, _("Extended")),
            )
            if on
        ]


class RoundStage(models.Model):
    """Planned dates of one stage of a round."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="stages")
    stage = models.CharField(max_length=20, choices=Stage.choices)
    start_date = models.DateField()
    end_date = models.DateField()

    class Meta:
        ordering = ["round", "start_date"]
        constraints = [
            models.UniqueConstraint(fields=["round", "stage"], name="round_stage_unique")
        ]

    def __str__(self) -> str:
        return f"{self.round_id} {self.stage}"


class Team(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("name"), max_length=60)
    targets = models.ManyToManyField(
        Organisation, verbose_name=_("targets"), related_name="inspecting_teams", blank=True
    )
    stage = models.CharField(
        _("stage"), max_length=20, choices=Stage.choices, default=Stage.PREPARATION
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        # Creation order: names like 第一/第二巡察组 do not sort by code point.
        ordering = ["round", "id"]

    def __str__(self) -> str:
        return self.name


class Milestone(models.Model):
    """A fact a stage gate checks: plan approved, mobilisation meeting held, …

    Later modules record most of them from their own records (the public channel
    publishes contact channels, the report module files the report)."""

    class Kind(models.TextChoices):
        PLAN_APPROVED = "plan_approved", _("Round plan approved by the leading group")
        NOTICE_SENT = "notice_sent", _("Notice sent to the target")
        MOBILISATION_MEETING = "mobilisation_meeting", _("Mobilisation meeting held")
        CHANNELS_PUBLISHED = "channels_published", _("Public contact channels published")
        REPORT_FILED = "report_filed", _("Round report filed")
        FEEDBACK_GIVEN = "feedback_given", _("Feedback given to the target")
        HANDOVER_DONE = "handover_done", _("Problems and clues handed over")
        RECTIFICATION_REPORT = "rectification_report", _("Rectification report received")

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="milestones")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="milestones"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    date = models.DateField()
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.date}"


class StageTransition(models.Model):
    """Every move of a round or team to another stage, with any override and its reason."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="transitions")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="transitions"
    )
    from_stage = models.CharField(max_length=20, choices=Stage.choices)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    overridden = models.BooleanField(default=False)
    missing = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_stage} → {self.to_stage}"


class TopicTag(models.Model):
    """Topic tags for concerns and, later, problems and clues (configurable; DOMAIN.md)."""

    code = models.SlugField(max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language (Chinese unless the UI is in English)."""
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


class BriefingRequest(models.Model):
    """A written request (函调) to a department for a briefing on a target."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="briefing_requests")
    target = models.ForeignKey(
        Organisation,
        verbose_name=_("target"),
        on_delete=models.PROTECT,
        related_name="briefing_requests",
    )
    department = models.ForeignKey(
        Organisation,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="briefings_asked",
    )
    due_date = models.DateField(_("due date"))
    requested_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("briefing request")
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "target", "department"], name="briefing_request_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.department} → {self.target}"


class Briefing(models.Model):
    """What a department knows about a target, given before stationing (情况通报)."""

    request = models.OneToOneField(
        BriefingRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="briefing"
    )
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="briefings")
    target = models.ForeignKey(
        Organisation, verbose_name=_("target"), on_delete=models.PROTECT, related_name="briefings"
    )
    department = models.ForeignKey(
        Organisation,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="briefings_given",
    )
    date = models.DateField(_("date"))
    summary = models.TextField(_("summary"))
    submitted_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("briefing")
        ordering = ["-date", "id"]

    def __str__(self) -> str:
        return f"{self.department} · {self.target} · {self.date}"


class BriefingConcern(models.Model):
    briefing = models.ForeignKey(Briefing, on_delete=models.CASCADE, related_name="concerns")
    text = models.CharField(_("concern"), max_length=500)
    topic = models.ForeignKey(
        TopicTag,
        verbose_name=_("topic"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text[:40]


class BriefingAttachment(models.Model):
    briefing = models.ForeignKey(Briefing, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="briefings/%Y/")
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class MajorProject(models.Model):
    """A target's major project (name, amount, dates, people involved) for its profile."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="major_projects"
    )
    name = models.CharField(_("name"), max_length=200)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    participants = models.ManyToManyField(
        "core.Person", verbose_name=_("participants"), blank=True, related_name="projects"
    )

    class Meta:
        ordering = ["-start_date"]

    def __str__(self) -> str:
        return self.name


class BudgetFigure(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="budget_figures"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    item = models.CharField(_("item"), max_length=100)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["-year", "item"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "year", "item"], name="budget_figure_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.item}"
