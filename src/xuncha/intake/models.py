"""The public channel: per-team channels, reports and talk requests, their encrypted
contents, sealed report keys, receipt threads, attachments and confirmed talks.

What is stored in clear and what is not (docs/architecture.md, "Public channel"):
- encrypted under the report's key: everything the submitter wrote (content, identity,
  messages, attachment names and bytes, talk preferences);
- in clear, for counting and routing: the kind, the source channel, the category the
  submitter picked, the staff's classification and workflow state, the day and hour of
  arrival (rounded down to the hour for public submissions) and a confirmed talk's time
  and place (the team's calendar), never who asked for it;
- never: network addresses, user agents or any other request metadata.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xuncha.clues.models import Discipline
from xuncha.core.models import Organisation, User
from xuncha.rounds.models import Team, TopicTag


def default_places() -> list[dict[str, str]]:
    return []


def default_hours() -> dict[str, object]:
    # Monday–Friday, four one-hour slots a day.
    return {"days": [0, 1, 2, 3, 4], "starts": ["09:00", "10:30", "14:30", "16:00"], "minutes": 60}


class Channel(models.Model):
    """A stationed team's public channel: its page, its poster and its settings."""

    team = models.OneToOneField(
        Team, verbose_name=_("team"), on_delete=models.PROTECT, related_name="channel"
    )
    # The short address on the poster: /t/<slug>/ (6 characters of Crockford base 32).
    slug = models.CharField(_("short address"), max_length=12, unique=True)
    is_open = models.BooleanField(_("accepting reports"), default=False)
    opened_at = models.DateTimeField(null=True, blank=True)
    introduction = models.TextField(_("who the team is and what it inspects"), blank=True)
    accepts = models.TextField(_("what the team accepts"), blank=True)
    elsewhere = models.TextField(_("what belongs elsewhere"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    mailbox = models.CharField(_("mailbox"), max_length=120, blank=True)
    station = models.CharField(_("station address"), max_length=200, blank=True)
    starts_on = models.DateField(_("stationed from"), null=True, blank=True)
    ends_on = models.DateField(_("stationed until"), null=True, blank=True)
    # Places for talks: [{"name": "…", "kind": "station" | "neutral"}].
    places = models.JSONField(_("places for talks"), default=default_places, blank=True)
    # When talks can be held: weekdays (0 = Monday), start times, length in minutes.
    talk_hours = models.JSONField(_("hours for talks"), default=default_hours, blank=True)
    next_number = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("public channel")
        verbose_name_plural = _("public channels")

    def __str__(self) -> str:
        return str(self.team)


class UserKey(models.Model):
    """A staff user's key pair; the private key only wrapped (password, recovery key)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="intake_key")
    public_key = models.BinaryField()
    salt = models.BinaryField()
    opslimit = models.BigIntegerField()
    memlimit = models.BigIntegerField()
    by_password = models.BinaryField()
    by_recovery = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"key of {self.user_id}"


class Kind(models.TextChoices):
    REPORT = "report", pgettext_lazy("public report kind", "Report")
    TALK = "talk", _("Talk request")


class Source(models.TextChoices):
    WEB = "web", _("Public page")
    LETTER = "letter", _("Letter")
    PHONE = "phone", _("Phone call")
    VISIT = "visit", _("Visit")
    MAILBOX = "mailbox", _("Mailbox")


class Status(models.TextChoices):
    NEW = "new", pgettext_lazy("report status", "New")
    REVIEW = "review", pgettext_lazy("report status", "Under review")
    WAITING = "waiting", _("Waiting for the submitter")
    SCHEDULED = "scheduled", _("Talk scheduled")
    FORWARDED = "forwarded", _("Out of scope, forwarded")
    DUPLICATE = "duplicate", _("Duplicate")
    CONVERTED = "converted", _("Turned into a problem or clue")
    CLOSED = "closed", pgettext_lazy("report status", "Closed")


CLOSED_STATUSES = (Status.FORWARDED, Status.DUPLICATE, Status.CONVERTED, Status.CLOSED)


class Category(models.TextChoices):
    """What the submitter says the report is about, in plain words."""

    FUNDS = "funds", _("Public money, benefits, subsidies")
    PROJECTS = "projects", _("Projects, procurement, land")
    CONDUCT = "conduct", _("Officials' conduct, banquets, gifts, cars")
    APPOINTMENTS = "appointments", _("Appointments and elections")
    SERVICE = "service", _("Attitude and service to the people")
    OTHER = "other", _("Something else")


class Report(models.Model):
    """A report or talk request, from the public page or entered by staff."""

    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), on_delete=models.PROTECT, related_name="reports"
    )
    number = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    source = models.CharField(_("received by"), max_length=10, choices=Source.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW
    )
    category = models.CharField(
        _("category"), max_length=20, choices=Category.choices, default=Category.OTHER
    )
    received_at = models.DateTimeField(_("received"), db_index=True)
    named = models.BooleanField(_("named"), default=False)
    # Encrypted under the report key (JSON), see services.
    content = models.BinaryField()
    identity = models.BinaryField(null=True, blank=True)
    receipt_digest = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # The report key under the key derived from the receipt (the submitter's copy).
    submitter_box = models.BinaryField(null=True, blank=True)
    # The staff's work.
    discipline = models.CharField(
        _("discipline"), max_length=20, choices=Discipline.choices, blank=True
    )
    topics = models.ManyToManyField(
        TopicTag, verbose_name=_("topics"), blank=True, related_name="+"
    )
    assigned_to = models.ForeignKey(
        User,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    forwarded_to = models.ForeignKey(
        Organisation,
        verbose_name=_("forwarded to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    forward_note = models.TextField(_("note to the department"), blank=True)
    close_reason = models.TextField(_("why it was closed"), blank=True)
    entered_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Unread markers: the team has not opened the newest public message; the submitter
    # has not seen the newest staff message.
    unread_by_team = models.BooleanField(default=True)
    unread_by_submitter = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("public report")
        verbose_name_plural = _("public reports")
        ordering = ["-received_at", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "number"], name="report_number_unique"),
            models.CheckConstraint(
                condition=~Q(status="duplicate") | Q(duplicate_of__isnull=False),
                name="report_duplicate_has_original",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.channel.slug.upper()}-{self.number:04d}"

    def context(self, field: str) -> str:
        """Associated data binding a ciphertext to this report and field."""
        return f"intake.report:{self.pk}:{field}"


class ReportKey(models.Model):
    """The report key sealed to one user's public key."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="keys")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    sealed = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "user"], name="report_key_unique")]

    def __str__(self) -> str:
        return f"{self.report_id} → {self.user_id}"


class Message(models.Model):
    """One message of the receipt thread (submitter ↔ team), encrypted."""

    class Author(models.TextChoices):
        SUBMITTER = "submitter", _("Submitter")
        TEAM = "team", _("Team")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="messages")
    author_kind = models.CharField(max_length=10, choices=Author.choices)
    author = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.BinaryField()
    created_at = models.DateTimeField()  # the hour only for the submitter's messages

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.report_id} {self.author_kind}"


class Attachment(models.Model):
    """A file sent with a report or message: the original, encrypted, kept as evidence;
    for images, a re-encoded copy without metadata for viewing (also encrypted)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    kind = models.CharField(max_length=12)  # lib.attachments kinds: image, pdf, …
    content_type = models.CharField(max_length=100)  # as detected from the content
    size = models.PositiveIntegerField()
    name = models.BinaryField()  # the file name as sent, encrypted
    blob = models.CharField(max_length=80)  # file under MEDIA_ROOT/intake/
    preview_blob = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"attachment {self.pk}"


class Appointment(models.Model):
    """A talk: proposed (by hand or at random), then confirmed by the team."""

    class State(models.TextChoices):
        PROPOSED = "proposed", pgettext_lazy("talk", "Proposed")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        PHONE = "phone", _("By phone")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="appointments")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="talks")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    mode = models.CharField(_("how"), max_length=10, choices=Mode.choices)
    place = models.CharField(_("place"), max_length=200, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PROPOSED)
    random = models.BooleanField(_("proposed at random"), default=False)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return f"{self.report_id} {self.starts_at:%Y-%m-%d %H:%M}"
