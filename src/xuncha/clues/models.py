"""The problem and clue registry (问题与问题线索): records, their subjects and evidence,
the timeline, remembered non-duplicates, transfers to departments, disposals and
deadlines. Writes go through ``xuncha.clues.services``; reads through the policy."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xuncha.core.models import Organisation, Person, User


class Kind(models.TextChoices):
    PROBLEM = "problem", _("Problem")
    CLUE = "clue", _("Clue")


class Discipline(models.TextChoices):
    """The six disciplines (六大纪律)."""

    POLITICAL = "political", _("Political discipline")
    ORGANISATIONAL = "organisational", _("Organisational discipline")
    INTEGRITY = "integrity", _("Integrity discipline")
    MASS = "mass", _("Mass discipline")
    WORK = "work", _("Work discipline")
    LIFE = "life", _("Life discipline")


class Status(models.TextChoices):
    NEW = "new", _("New")
    REVIEW = "review", _("Under review")
    CONFIRMED = "confirmed", _("Confirmed")
    MERGED = "merged", pgettext_lazy("record status", "Merged")
    DISMISSED = "dismissed", _("Dismissed")
    TRANSFERRED = "transferred", _("Transferred")
    DISPOSAL_REPORTED = "disposal_reported", _("Disposal reported")
    CLOSED = "closed", pgettext_lazy("record status", "Closed")


class Source(models.TextChoices):
    LETTER = "letter", _("Letter")
    PHONE = "phone", _("Phone call")
    VISIT = "visit", _("Visit")
    PUBLIC = "public", _("Public channel")
    INTERVIEW = "interview", _("Interview")
    METHOD = "method", _("Other inspection method")
    DATASET = "dataset", _("Dataset comparison")
    BRIEFING = "briefing", _("Department briefing")
    OTHER = "other", _("Other")


class Level(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class Confidentiality(models.TextChoices):
    """``restricted`` records are read by the office and the team's leader and deputies only."""

    ORDINARY = "ordinary", _("Ordinary")
    RESTRICTED = "restricted", _("Restricted to leaders")


class Route(models.TextChoices):
    DISCIPLINE_COMMISSION = "discipline_commission", _("Discipline commission")
    ORGANISATION_DEPARTMENT = "organisation_department", _("Organisation department")
    RESPONSIBLE_DEPARTMENT = "responsible_department", _("Responsible department")
    RECTIFICATION = "rectification", _("Rectification (stays a problem)")


class Record(models.Model):
    """A problem or a clue. ``merged_into`` points at the surviving record after a merge."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    round = models.ForeignKey(
        "rounds.Round", verbose_name=_("round"), on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        "rounds.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    target = models.ForeignKey(
        Organisation, verbose_name=_("target"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(pgettext_lazy("record", "title"), max_length=200)
    description = models.TextField(_("description"))
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    discipline = models.CharField(
        _("discipline"), max_length=20, choices=Discipline.choices, blank=True
    )
    topics = models.ManyToManyField(
        "rounds.TopicTag", verbose_name=_("topics"), blank=True, related_name="+"
    )
    credibility = models.CharField(
        _("credibility"), max_length=10, choices=Level.choices, default=Level.MEDIUM
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Level.choices, default=Level.MEDIUM
    )
    confidentiality = models.CharField(
        _("confidentiality"),
        max_length=20,
        choices=Confidentiality.choices,
        default=Confidentiality.ORDINARY,
    )
    fast_track = models.BooleanField(_("settled during the round (直查快办)"), default=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW, db_index=True
    )
    status_reason = models.CharField(_("reason"), max_length=500, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
    )
    route = models.CharField(_("route"), max_length=30, choices=Route.choices, blank=True)
    transfer = models.ForeignKey(
        "Transfer",
        verbose_name=_("transfer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="records",
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("problem or clue")
        verbose_name_plural = _("problems and clues")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in (Status.NEW, Status.REVIEW, Status.CONFIRMED)


class Subject(models.Model):
    """A person the record is about: from the people registry, or a name to link later."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="subjects")
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=60)
    post = models.CharField(_("post"), max_length=100, blank=True)
    # What the report says of the person, as written: help to find them in the registry.
    age = models.CharField(_("age"), max_length=30, blank=True)  # 约五十岁, 50岁左右
    place = models.CharField(_("place"), max_length=100, blank=True)  # a township, village, unit

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        """What the duplicate detector compares: the person, else the written name."""
        return f"p{self.person_id}" if self.person_id else f"n{self.name.strip()}"


class Document(models.Model):
    """A file uploaded as evidence (a letter, a photo of a ledger, a transcript)."""

    round = models.ForeignKey("rounds.Round", on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to="clues/%Y/")
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evidence document")
        verbose_name_plural = _("evidence documents")

    def __str__(self) -> str:
        return self.name


class EvidenceLink(models.Model):
    """A link from a record to any evidence record, with the excerpt that matters.

    Generic on purpose: public reports, interview records, activity records, dataset
    findings and briefings all live in other apps; each registers how it is shown with
    ``xuncha.clues.evidence.register``.
    """

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="evidence")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    label = models.CharField(_("evidence"), max_length=200)
    excerpt = models.TextField(_("excerpt"), blank=True)
    added_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.label


class TimelineEntry(models.Model):
    """What happened to a record, for its timeline (the audit log holds the same, chained)."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    event_type = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.record_id} {self.event_type}"

    @property
    def event_label(self) -> str:
        from xuncha.core.models import AuditEventType

        try:
            return str(AuditEventType(self.event_type).label)
        except ValueError:
            return self.event_type

    @property
    def from_label(self) -> str:
        return str(Status(self.from_status).label) if self.from_status else ""

    @property
    def to_label(self) -> str:
        return str(Status(self.to_status).label) if self.to_status else ""


class NotDuplicate(models.Model):
    """A pair the user said is not a duplicate; never suggested again (``a_id < b_id``)."""

    a = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="+")
    b = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="+")
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["a", "b"], name="clues_not_duplicate_pair"),
            models.CheckConstraint(
                condition=models.Q(a__lt=models.F("b")), name="clues_not_duplicate_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.a_id} ≠ {self.b_id}"


class HandoverSettings(models.Model):
    """A committee's receiving departments, routing and deadlines (inherited downwards)."""

    committee = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="handover_settings"
    )
    discipline_commission = models.ForeignKey(
        Organisation,
        verbose_name=_("discipline commission"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    organisation_department = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # {"discipline:<code>": route, "topic:<code>": route}; topics win over disciplines.
    routes = models.JSONField(default=dict, blank=True)
    report_months = models.PositiveSmallIntegerField(
        _("report disposal within (months)"), default=3
    )
    close_months = models.PositiveSmallIntegerField(_("close within (months)"), default=6)
    max_months = models.PositiveSmallIntegerField(
        _("close at the latest within (months)"), default=12
    )

    class Meta:
        verbose_name = _("handover settings")

    def __str__(self) -> str:
        return str(self.committee)


class Transfer(models.Model):
    """A transfer package (移交): clues sent together to one department, with a letter."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    round = models.ForeignKey(
        "rounds.Round", verbose_name=_("round"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Organisation,
        verbose_name=_("receiving department"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    route = models.CharField(_("route"), max_length=30, choices=Route.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    # The day the package counts from (its deadlines run from it); today unless entered.
    sent_on = models.DateField(_("sent on"))
    received_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    report_due = models.DateField(_("report disposal by"))
    close_due = models.DateField(_("close by"))
    max_due = models.DateField(_("close at the latest by"))

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class DisposalMethod(models.TextChoices):
    TALK = "talk", _("Talk or written inquiry (谈话函询)")
    VERIFY = "verify", _("Preliminary verification (初步核实)")
    HOLD = "hold", _("Hold pending (暂存待查)")
    CLOSE = "close", _("Close (予以了结)")


class Disposal(models.Model):
    """What the receiving department did with a clue, and the result it reports back."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="disposals")
    method = models.CharField(_("disposal method"), max_length=10, choices=DisposalMethod.choices)
    result = models.TextField(_("result"))
    decided_on = models.DateField(_("decided on"))
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["decided_on", "id"]

    def __str__(self) -> str:
        return f"{self.record_id} {self.method}"


class Reminder(models.Model):
    """An overdue deadline found by the scheduled check; one per record and deadline."""

    class Deadline(models.TextChoices):
        REPORT = "report", _("Disposal report overdue")
        CLOSE = "close", _("Closure overdue")
        MAX = "max", _("Past the one-year limit")

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="reminders")
    deadline = models.CharField(max_length=10, choices=Deadline.choices)
    due = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["record", "deadline"], name="clues_reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.record_id} {self.deadline}"
