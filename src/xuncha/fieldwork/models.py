"""Fieldwork: what a team does during stationing and what it writes down.

- ``Method`` (editable reference data: the 12 named methods of DOMAIN.md plus the office's
  own) and ``CoverageMinimum`` (how often each method must be used, per target profile);
- ``Activity`` (one use of a method: date, place, participants, what was examined, the
  record itself) with its register of documents read and copied, the households visited
  and attachments (a questionnaire's results as an uploaded table);
- interview planning: ``Interviewee`` (the must-interview list and the sample, with the
  reasons and the generated outline), ``SampleDraw`` (the seed that reproduces a sample),
  ``Room`` (places for talks), ``Talk`` (a scheduled talk: time, place, who asks, who
  records) and ``ScheduleRun`` (a run of the scheduler and what it found);
- ``InterviewRecord`` (谈话记录: structured, with the signed scan), ``WorkingPaper`` (底稿,
  signed off by the leader) and ``Interference`` (说情打招呼登记).

Everything here is read by the team and the office only (``permissions``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xuncha.core.models import Organisation, Person, User
from xuncha.rounds.models import Team


class Profile(models.TextChoices):
    """Which targets a coverage minimum applies to."""

    UNIT = "unit", _("County units and townships")
    VILLAGE = "village", _("Villages and communities")


class Method(models.Model):
    """A method of work (工作方式): the 12 named ones and any the office adds."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    number = models.PositiveSmallIntegerField(_("number"), null=True, blank=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=80)
    min_participants = models.PositiveSmallIntegerField(
        _("team members needed"),
        default=1,
        help_text=_("A record with fewer team members taking part cannot be saved."),
    )
    needs_approval = models.BooleanField(_("needs the team leader's approval"), default=False)
    # What the record form asks for: documents read, households visited, a results table.
    records_documents = models.BooleanField(_("register of documents read"), default=False)
    records_households = models.BooleanField(_("households visited"), default=False)
    records_results = models.BooleanField(_("results table"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        verbose_name = _("method")
        ordering = ["order", "number", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


class Group(models.TextChoices):
    """The village rounds' six compulsory visits (六必访) and six compulsory talks (六必谈)."""

    # Visits (DOMAIN.md).
    VISIT_DEPUTIES = "visit_deputies", _("Visit: people's deputies and CPPCC members")
    VISIT_VETERANS = "visit_veterans", _("Visit: veteran Party members")
    VISIT_NOTABLES = "visit_notables", _("Visit: local notables")
    VISIT_MINIMUM_INCOME = "visit_minimum_income", _("Visit: minimum-income households")
    VISIT_DIFFICULTY = "visit_difficulty", _("Visit: households in difficulty")
    VISIT_PETITIONERS = "visit_petitioners", _("Visit: petitioners")
    # Talks (the product's default list; editable through the minimums).
    TALK_SECRETARY = "talk_secretary", _("Talk: village Party secretary")
    TALK_DIRECTOR = "talk_director", _("Talk: village committee director")
    TALK_SUPERVISION = "talk_supervision", _("Talk: head of the village supervision committee")
    TALK_ACCOUNTANT = "talk_accountant", _("Talk: village accountant")
    TALK_FIRST_SECRETARY = "talk_first_secretary", _("Talk: first secretary stationed")
    TALK_FORMER_CADRE = "talk_former_cadre", _("Talk: former village cadre")


VISIT_GROUPS = tuple(g for g in Group if g.value.startswith("visit_"))
TALK_GROUPS = tuple(g for g in Group if g.value.startswith("talk_"))


class CoverageMinimum(models.Model):
    """How often a method (or one group of it) must be used per target before the team
    leaves the understanding stage. ``committee`` empty: the installation's default."""

    committee = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    profile = models.CharField(_("targets"), max_length=10, choices=Profile.choices)
    method = models.ForeignKey(Method, verbose_name=_("method"), on_delete=models.CASCADE)
    group = models.CharField(_("group"), max_length=30, choices=Group.choices, blank=True)
    minimum = models.PositiveSmallIntegerField(_("at least"))

    class Meta:
        verbose_name = _("coverage minimum")
        ordering = ["profile", "method__order", "group"]
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "profile", "method", "group"], name="coverage_minimum_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.profile} {self.method_id} {self.group} ≥{self.minimum}"


class Activity(models.Model):
    """One use of a method by a team: the record of what was done and found."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="activities")
    target = models.ForeignKey(
        Organisation,
        verbose_name=_("target"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    method = models.ForeignKey(Method, verbose_name=_("method"), on_delete=models.PROTECT)
    group = models.CharField(_("group"), max_length=30, choices=Group.choices, blank=True)
    date = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    title = models.CharField(pgettext_lazy("activity", "subject"), max_length=200)
    participants = models.ManyToManyField(
        Person, verbose_name=_("team members taking part"), related_name="+"
    )
    others = models.CharField(_("others present"), max_length=300, blank=True)
    attendees = models.PositiveIntegerField(_("number of people met"), null=True, blank=True)
    record = models.TextField(_("record"))
    approved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("activity")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.date} {self.title}"


class DocumentRead(models.Model):
    """The register of documents read (and copied) during an activity."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(pgettext_lazy("document", "title"), max_length=200)
    reference = models.CharField(_("reference or archive number"), max_length=100, blank=True)
    copied = models.BooleanField(_("copied"), default=False)
    pages = models.PositiveIntegerField(_("pages"), null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title


class HouseholdVisit(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="households")
    household = models.CharField(_("household"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    group = models.CharField(_("group"), max_length=30, choices=Group.choices, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.household


class ActivityFile(models.Model):
    """An attachment; a results table (xlsx or csv) is also read into ``table``."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to="fieldwork/%Y/")
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    is_results = models.BooleanField(_("results table"), default=False)
    table = models.JSONField(null=True, blank=True)  # {"headers": [...], "rows": [[...]]}

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


# -- interview planning -----------------------------------------------------------------------


class Question(models.Model):
    """The office's question bank for talks, seeded from ``lib.question_bank``."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    focus_area = models.CharField(_("focus area"), max_length=40)
    roles = models.JSONField(_("interviewee roles"), default=list)
    profiles = models.JSONField(_("targets"), default=list)
    text_zh = models.TextField(_("question (Chinese)"))
    text_en = models.TextField(_("question (English)"))
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("question")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class IntervieweeRole(models.TextChoices):
    MAIN_LEADER = "main_leader", _("Main leader")
    LEADERSHIP_MEMBER = "leadership_member", _("Leadership member")
    MIDDLE_MANAGER = "middle_manager", _("Middle manager")
    STAFF = "staff", _("Staff")
    RETIRED_LEADER = "retired_leader", _("Retired leader")
    PROJECT_PARTICIPANT = "project_participant", _("Project participant")
    PUBLIC = "public", _("Member of the public")


class Interviewee(models.Model):
    """A person the team plans to talk to, with why, and the outline for the talk."""

    class Source(models.TextChoices):
        MUST = "must", _("Must interview")
        SAMPLE = "sample", _("Sample of staff")
        ADDED = "added", _("Added by the team")
        SUGGESTED = "suggested", _("Named in an interview record")

    class Status(models.TextChoices):
        PLANNED = "planned", pgettext_lazy("interview", "Planned")
        HELD = "held", pgettext_lazy("interview", "Held")
        DROPPED = "dropped", pgettext_lazy("interview", "Dropped")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="interviewees")
    target = models.ForeignKey(
        Organisation, verbose_name=_("target"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=60)
    post = models.CharField(_("post"), max_length=150, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=IntervieweeRole.choices)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    rules = models.JSONField(default=list, blank=True)  # rule codes of the must list
    reasons = models.JSONField(default=list, blank=True)  # Text.to_json() per reason
    group = models.CharField(_("group"), max_length=30, choices=Group.choices, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    # The outline (outlines.Outline.to_json) and the last change the team has not seen.
    outline = models.JSONField(null=True, blank=True)
    outline_at = models.DateTimeField(null=True, blank=True)
    outline_changes = models.JSONField(default=list, blank=True)  # Text.to_json() each
    changes_seen = models.BooleanField(default=True)
    # For the scheduler: the talk's length, its priority and the main-leader mark.
    minutes = models.PositiveSmallIntegerField(_("length (minutes)"), default=60)
    priority = models.PositiveSmallIntegerField(_("priority"), default=0)
    unavailable = models.JSONField(default=list, blank=True)  # ISO dates the person is away
    added_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("interviewee")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "person"],
                condition=models.Q(person__isnull=False),
                name="interviewee_once_per_team",
            )
        ]

    def __str__(self) -> str:
        return self.name


class SampleDraw(models.Model):
    """A random draw of ordinary staff, with the seed that reproduces it."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="sample_draws")
    target = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    seed = models.BigIntegerField()
    size = models.PositiveSmallIntegerField()
    strata = models.JSONField(default=list)  # [{"department", "pool", "drawn"}]
    drawn_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-drawn_at"]

    def __str__(self) -> str:
        return f"{self.target_id} seed {self.seed}"


class Room(models.Model):
    """A place where the team holds talks."""

    class Kind(models.TextChoices):
        TALK_ROOM = "talk_room", _("Talk room")
        OFFICE = "office", pgettext_lazy("room", "Office")
        MEETING_ROOM = "meeting_room", _("Meeting room")
        NEUTRAL = "neutral", _("Neutral place")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(pgettext_lazy("place", "name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.TALK_ROOM)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Absence(models.Model):
    """A team member away for a day or half a day during stationing (a meeting of the home
    unit, leave): the scheduler gives them no talk then."""

    class Part(models.TextChoices):
        DAY = "day", _("All day")
        MORNING = "morning", _("Morning")
        AFTERNOON = "afternoon", _("Afternoon")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="absences")
    person = models.ForeignKey(
        Person, verbose_name=_("team member"), on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField(_("date"))
    part = models.CharField(_("when"), max_length=10, choices=Part.choices, default=Part.DAY)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "person", "date", "part"], name="absence_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.date} {self.part}"


class ScheduleRun(models.Model):
    """One run of the scheduler for a team: settings, outcome, what could not fit."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="schedule_runs")
    job = models.ForeignKey(
        "core.JobRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    seed = models.PositiveIntegerField(default=0)
    time_limit = models.PositiveSmallIntegerField(default=20)
    status = models.CharField(max_length=20, blank=True)  # optimal / feasible / failed
    objective = models.FloatField(null=True, blank=True)
    bound = models.FloatField(null=True, blank=True)
    gap = models.FloatField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    scheduled = models.PositiveIntegerField(default=0)
    unscheduled = models.JSONField(default=list, blank=True)  # [{"talk", "reasons": [Text]}]
    explanation = models.JSONField(default=list, blank=True)  # [Text]
    excluded = models.JSONField(default=list, blank=True)  # recusal pairs kept apart
    violations = models.JSONField(default=list, blank=True)  # the validator's findings
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.team_id} {self.created_at:%Y-%m-%d %H:%M}"


class Talk(models.Model):
    """A talk with an interviewee: when, where, who asks and who records."""

    class State(models.TextChoices):
        UNSCHEDULED = "unscheduled", _("Not scheduled")
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", pgettext_lazy("interview", "Held")
        CANCELLED = "cancelled", _("Cancelled")

    class Mark(models.TextChoices):
        FIRST = "first", _("Main leader, first")
        LAST = "last", _("Main leader, near the end")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="fieldwork_talks")
    interviewee = models.ForeignKey(Interviewee, on_delete=models.CASCADE, related_name="talks")
    mark = models.CharField(max_length=10, choices=Mark.choices, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.UNSCHEDULED)
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    room = models.ForeignKey(
        Room, verbose_name=_("place"), null=True, blank=True, on_delete=models.SET_NULL
    )
    place = models.CharField(_("place"), max_length=200, blank=True)  # a fixed public talk's
    asker = models.ForeignKey(
        Person,
        verbose_name=_("asks"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorder = models.ForeignKey(
        Person,
        verbose_name=_("records"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # A confirmed talk requested through the public channel keeps its time and place.
    appointment = models.OneToOneField(
        "intake.Appointment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    run = models.ForeignKey(
        ScheduleRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="talks"
    )
    unscheduled_reasons = models.JSONField(default=list, blank=True)  # [Text] from the last run
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        return f"{self.interviewee} {self.starts_at}"

    @property
    def fixed(self) -> bool:
        return self.appointment_id is not None


# -- records --------------------------------------------------------------------------------


def record_scan_path(instance: InterviewRecord, filename: str) -> str:
    return f"fieldwork/records/{instance.team_id}/{filename}"


class InterviewRecord(models.Model):
    """谈话记录: who, when, where, who asked and recorded, the questions and answers, new
    leads, and the signed scan."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="interview_records")
    talk = models.OneToOneField(
        Talk, null=True, blank=True, on_delete=models.SET_NULL, related_name="record"
    )
    interviewee = models.ForeignKey(
        Interviewee, null=True, blank=True, on_delete=models.SET_NULL, related_name="records"
    )
    interviewee_name = models.CharField(_("interviewee"), max_length=60)
    interviewee_post = models.CharField(_("post"), max_length=150, blank=True)
    held_at = models.DateTimeField(_("held at"))
    place = models.CharField(_("place"), max_length=200)
    asker = models.ForeignKey(
        Person, verbose_name=_("asked by"), on_delete=models.PROTECT, related_name="+"
    )
    recorder = models.ForeignKey(
        Person, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    # [{"key", "question", "answer"}]: the outline's questions asked, and the answers.
    questions = models.JSONField(default=list, blank=True)
    summary = models.TextField(_("other statements"), blank=True)
    new_leads = models.TextField(_("new leads"), blank=True)
    scan = models.FileField(upload_to=record_scan_path, blank=True)
    scan_name = models.CharField(max_length=200, blank=True)
    scan_sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("interview record")
        ordering = ["-held_at", "-id"]

    def __str__(self) -> str:
        return f"{self.interviewee_name} {self.held_at:%Y-%m-%d}"


class WorkingPaper(models.Model):
    """底稿: a problem's statement of fact with its evidence, signed off by the leader."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted for sign-off")
        SIGNED = "signed", _("Signed off")
        RETURNED = "returned", _("Returned for changes")

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="working_papers")
    target = models.ForeignKey(
        Organisation, verbose_name=_("target"), on_delete=models.PROTECT, related_name="+"
    )
    problem = models.ForeignKey(
        "clues.Record",
        verbose_name=_("problem"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="working_papers",
    )
    title = models.CharField(pgettext_lazy("record", "title"), max_length=200)
    facts = models.TextField(_("statement of fact"))
    activities = models.ManyToManyField(
        Activity, verbose_name=_("activities"), blank=True, related_name="papers"
    )
    records = models.ManyToManyField(
        InterviewRecord, verbose_name=_("interview records"), blank=True, related_name="papers"
    )
    other_evidence = models.TextField(_("other evidence"), blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    return_reason = models.CharField(_("reason"), max_length=500, blank=True)
    signed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("working paper")
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Interference(models.Model):
    """说情打招呼: an attempt to lobby or intercede, recorded by anyone on the team."""

    class How(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        PHONE = "phone", _("By phone")
        MESSAGE = "message", _("By message")
        THROUGH_OTHERS = "through_others", _("Through someone else")
        OTHER = "other", _("Other")

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="interferences")
    who = models.CharField(_("who interceded"), max_length=100)
    who_post = models.CharField(_("their post or relation"), max_length=150, blank=True)
    for_whom = models.CharField(_("for whom"), max_length=150)
    how = models.CharField(_("how"), max_length=20, choices=How.choices)
    occurred_at = models.DateTimeField(_("when"))
    what = models.TextField(_("what was asked"))
    response = models.TextField(_("how the team member answered"), blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("interference")
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.who} → {self.for_whom}"


class Notice(models.Model):
    """A notice to one user (an interference recorded, a paper to sign, outlines changed);
    shown on the fieldwork overview until read."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="fieldwork_notices")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    text = models.JSONField()  # Text.to_json()
    url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d}"
