"""Core records: organisations, people, users and role grants, the audit log, jobs.

Writes go through ``xuncha.core.services``; reads that respect permissions go through
``xuncha.core.policy``. Nothing here changes state on ``save()`` beyond derived fields.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from xuncha.core.lib import idnumber, kinship
from xuncha.core.lib import pinyin as pinyin_lib
from xuncha.core.lib.text import render_text


class OrganisationKind(models.TextChoices):
    PROVINCE = "province", _("Province")
    PREFECTURE = "prefecture", _("Prefecture")
    COUNTY = "county", _("County")
    TOWNSHIP = "township", _("Township")
    UNIT = "unit", _("Unit")
    VILLAGE = "village", _("Village")
    COMMUNITY = "community", _("Community")


class Organisation(models.Model):
    """A Party organisation in the tree: province … county, township, unit, village.

    ``path`` is a materialised path of ids ("/1/4/17/") so that a subtree is one
    indexed prefix query; ``committee`` is the Party committee the organisation falls
    under (for a county's units and villages: the county committee's organisation).
    """

    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    committee = models.ForeignKey(
        "self",
        verbose_name=_("committee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def is_within(self, other: Organisation) -> bool:
        return self.path.startswith(other.path)


class OrganisationChange(models.Model):
    """History of the tree: creations, renames, moves and merges, never rewritten."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        MOVED = "moved", _("Moved")
        MERGED = "merged", _("Merged")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_parent = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_parent = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    merged_into = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    details = models.JSONField(default=dict, blank=True)
    effective_date = models.DateField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation", "recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.kind} {self.effective_date}"


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Person(models.Model):
    """A person in the registry: cadres, inspectors, staff of units."""

    name = models.CharField(_("name"), max_length=60)
    # The committee (usually a county) whose registry keeps this record.
    registry = models.ForeignKey(
        Organisation,
        verbose_name=_("registry"),
        on_delete=models.PROTECT,
        related_name="registered_people",
    )
    name_search = models.CharField(max_length=400, editable=False, default="", db_index=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    id_number = models.CharField(
        _("citizen ID number"), max_length=18, null=True, blank=True, unique=True
    )
    ethnicity = models.CharField(_("ethnicity"), max_length=20, blank=True)
    hometown = models.ForeignKey(
        Organisation,
        verbose_name=_("hometown"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="natives",
    )
    retired_on = models.DateField(_("retired on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name_search = pinyin_lib.search_text(self.name)
        super().save(*args, **kwargs)

    @property
    def id_number_masked(self) -> str:
        return idnumber.IdNumber(self.id_number).masked() if self.id_number else ""


class Post(models.Model):
    """A post a person holds or held in an organisation."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="posts")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="posts")
    title = models.CharField(_("title"), max_length=100)
    is_leadership = models.BooleanField(_("leadership-team member"), default=False)
    is_key_post = models.BooleanField(_("key post"), default=False)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["-start_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="post_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.organisation} · {self.title}"

    @property
    def is_current(self) -> bool:
        return self.end_date is None


class KinshipRelation(models.TextChoices):
    SPOUSE = "spouse", _("Spouse")
    PARENT = "parent", _("Parent")
    CHILD = "child", _("Child")
    GRANDPARENT = "grandparent", _("Grandparent")
    GRANDCHILD = "grandchild", _("Grandchild")
    SIBLING = "sibling", _("Sibling")
    UNCLE_AUNT = "uncle_aunt", _("Uncle or aunt")
    NEPHEW_NIECE = "nephew_niece", _("Nephew or niece")
    COUSIN = "cousin", _("Cousin")
    PARENT_IN_LAW = "parent_in_law", _("Parent-in-law")
    CHILD_IN_LAW = "child_in_law", _("Son- or daughter-in-law")
    SIBLING_IN_LAW = "sibling_in_law", _("Sibling-in-law")


class Kinship(models.Model):
    """``person`` is ``relation`` of ``relative`` (stored once per pair)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="kinships")
    relative = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="kinships_as_relative"
    )
    relation = models.CharField(_("relation"), max_length=20, choices=KinshipRelation.choices)

    class Meta:
        verbose_name = _("kinship link")
        verbose_name_plural = _("kinship links")
        constraints = [
            models.UniqueConstraint(fields=["person", "relative"], name="kinship_unique_pair"),
            models.CheckConstraint(
                condition=~Q(person=models.F("relative")), name="kinship_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.relation} {self.relative_id}"

    @property
    def degree(self) -> int:
        return kinship.info(self.relation).degree

    @property
    def kinship_class(self) -> str:
        return kinship.info(self.relation).kinship_class.value


class Role(models.TextChoices):
    ADMIN = "admin", _("System administrator")
    OFFICE_STAFF = "office_staff", _("Inspection office staff")
    LEADING_GROUP = "leading_group", _("Leading group")
    TEAM_LEADER = "team_leader", _("Team leader")
    DEPUTY_LEADER = "deputy_leader", _("Deputy team leader")
    TEAM_MEMBER = "team_member", _("Team member")
    LIAISON = "liaison", _("Liaison of an inspected unit")
    RECEIVING_DEPARTMENT = "receiving_department", _("Receiving department")
    AUDITOR = "auditor", _("Auditor")


class User(AbstractUser):
    """A login, linked to a person of the registry."""

    person = models.OneToOneField(
        Person,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="user",
    )
    # The organisation whose account managers look after this account.
    registry = models.ForeignKey(
        Organisation,
        verbose_name=_("managed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def display_name(self) -> str:
        return self.person.name if self.person_id and self.person else self.username


class RoleGrant(models.Model):
    """A role granted on a scope: an organisation subtree (later also a round or team).

    Later issues add round and team scopes; ``scope_type``/``scope_id`` keep room for them
    without a schema change of this table's meaning.
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="grants")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("scope"), on_delete=models.PROTECT, related_name="grants"
    )
    scope_type = models.CharField(max_length=40, blank=True, default="")
    scope_id = models.BigIntegerField(null=True, blank=True)
    granted_at = models.DateTimeField(auto_now_add=True)
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        ordering = ["user", "role"]
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organisation}"


class LoginThrottle(models.Model):
    """Failed logins per account name, for lockout. No network addresses are kept."""

    username = models.CharField(max_length=150, unique=True)
    failures = models.PositiveIntegerField(default=0)
    first_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.username


class AuditEventType(models.TextChoices):
    LOGIN = "auth.login", _("Logged in")
    LOGIN_FAILED = "auth.login_failed", _("Login failed")
    LOCKED_OUT = "auth.locked_out", _("Account locked after failed logins")
    LOGOUT = "auth.logout", _("Logged out")
    ORGANISATION_CREATED = "organisation.created", _("Organisation created")
    ORGANISATION_UPDATED = "organisation.updated", _("Organisation updated")
    ORGANISATION_MOVED = "organisation.moved", _("Organisation moved")
    ORGANISATION_MERGED = "organisation.merged", _("Organisations merged")
    PERSON_CREATED = "person.created", _("Person created")
    PERSON_UPDATED = "person.updated", _("Person updated")
    PERSON_PROTECTED_READ = "person.protected_read", _("Protected personal data read")
    PERSON_EXPORTED = "person.exported", _("People exported")
    POST_CREATED = "post.created", _("Post created")
    POST_ENDED = "post.ended", _("Post ended")
    KINSHIP_CREATED = "kinship.created", _("Kinship link created")
    KINSHIP_DELETED = "kinship.deleted", _("Kinship link removed")
    USER_CREATED = "user.created", _("User created")
    USER_UPDATED = "user.updated", _("User updated")
    ROLE_GRANTED = "role.granted", _("Role granted")
    ROLE_REVOKED = "role.revoked", _("Role revoked")
    JOB_STARTED = "job.started", _("Background job started")
    AUDIT_VERIFIED = "audit.verified", _("Audit chain verified")
    AUDIT_READ = "audit.read", _("Audit log read")
    DEMO_LOADED = "demo.loaded", _("Demo data loaded")
    TERM_CREATED = "term.created", _("Committee term created")
    PRIORITY_SET = "term.priority_set", _("Coverage priority set")
    PLAN_ACCEPTED = "term.plan_accepted", _("Coverage plan accepted")
    ROUND_CREATED = "round.created", _("Round created")
    TEAM_CREATED = "team.created", _("Team created")
    MILESTONE_RECORDED = "round.milestone", _("Round milestone recorded")
    STAGE_ADVANCED = "round.stage_advanced", _("Stage advanced")
    STAGE_OVERRIDDEN = "round.stage_overridden", _("Stage gate overridden")
    HOLIDAY_SET = "calendar.holiday_set", _("Holiday table changed")
    BRIEFING_REQUESTED = "briefing.requested", _("Briefing requested")
    BRIEFING_SUBMITTED = "briefing.submitted", _("Briefing submitted")
    BRIEFING_FILE_READ = "briefing.file_read", _("Briefing attachment read")
    DURATIONS_SET = "rounds.durations_set", _("Stage durations changed")
    FOCUS_AREA_SET = "rounds.focus_area_set", _("Focus areas changed")
    INSPECTOR_CREATED = "talent.inspector_created", _("Inspector added to the pool")
    INSPECTOR_UPDATED = "talent.inspector_updated", _("Inspector profile changed")
    QUALIFICATION_GRANTED = "talent.qualification", _("Qualification granted")
    QUALIFICATION_STATUS_SET = (
        "talent.qualification_status",
        _("Qualification suspended, reinstated or revoked"),
    )
    TRAINING_RECORDED = "talent.training", _("Training recorded")
    TRAINING_REMOVED = "talent.training_removed", _("Training record removed")
    EVALUATION_RECORDED = "talent.evaluation", _("Inspector evaluated")
    TEAM_RULES_SET = "talent.team_rules_set", _("Team rules changed")
    TEAM_RULES_CLEARED = (
        "talent.team_rules_cleared",
        _("Team rules of a committee removed (it follows the higher committee's again)"),
    )
    SPECIALTY_SET = "talent.specialty_set", _("Specialty added or renamed")
    SPECIALTY_DELETED = "talent.specialty_deleted", _("Specialty removed")
    DECLARATION_RECORDED = "talent.declaration", _("Conflict declared")
    DECLARATION_WITHDRAWN = "talent.declaration_withdrawn", _("Declared conflict withdrawn")
    TARGET_NEED_SET = "talent.target_need_set", _("Specialties a target needs changed")
    RULE_RELAXED = "talent.rule_relaxed", _("Formation rule relaxed for a round")
    RULE_RESTORED = "talent.rule_restored", _("Formation rule restored for a round")
    FORMATION_STARTED = "talent.formation_started", _("Team formation started")
    FORMATION_FINISHED = "talent.formation_finished", _("Team formation finished")
    FORMATION_INFEASIBLE = (
        "talent.formation_infeasible",
        _("Team formation finished: no teams possible"),
    )
    FORMATION_FAILED = "talent.formation_failed", _("Team formation failed")
    ROSTER_CHANGED = "talent.roster_changed", _("Proposed team changed by hand")
    ROSTER_ACCEPTED = "talent.roster_accepted", _("Team roster accepted")
    ROSTER_EXPORTED = "talent.roster_exported", _("Team roster exported")
    POOL_EXPORTED = "talent.pool_exported", _("Inspector pool exported")
    RELEASE_CONFIRMED = "talent.release_confirmed", _("Release from the home job confirmed")
    AVAILABILITY_SET = "talent.availability_set", _("Availability changed")
    PROFILE_READ = "talent.profile_read", _("Inspector profile read")
    EVALUATIONS_READ = "talent.evaluations_read", _("Evaluations of a team read")
    CLUE_CREATED = "clue.created", _("Problem or clue recorded")
    CLUE_UPDATED = "clue.updated", _("Problem or clue changed")
    CLUE_STATUS = "clue.status", _("Problem or clue status changed")
    CLUE_KIND = "clue.kind", _("Problem raised to a clue, or a clue lowered to a problem")
    CLUE_EVIDENCE_ADDED = "clue.evidence_added", _("Evidence linked")
    CLUE_EVIDENCE_REMOVED = "clue.evidence_removed", _("Evidence link removed")
    CLUE_DOCUMENT_UPLOADED = "clue.document_uploaded", _("Evidence document uploaded")
    CLUE_DOCUMENT_READ = "clue.document_read", _("Evidence document read")
    CLUE_READ = "clue.read", _("Clue read")
    CLUE_EXPORTED = "clue.exported", _("Problems and clues exported")
    CLUE_MERGED = "clue.merged", _("Duplicates merged")
    CLUE_NOT_DUPLICATE = "clue.not_duplicate", _("Marked as not a duplicate")
    CLUE_TRANSFERRED = "clue.transferred", _("Clues transferred")
    CLUE_TRANSFER_LETTER = "clue.transfer_letter", _("Transfer letter generated")
    CLUE_RECEIVED = "clue.received", _("Transfer receipt recorded")
    CLUE_DISPOSAL = "clue.disposal", _("Disposal reported")
    CLUE_CLOSED = "clue.closed", _("Problem or clue closed")
    CLUE_OVERDUE = "clue.overdue", _("Disposal deadline passed")
    HANDOVER_SETTINGS_SET = "clue.handover_settings", _("Handover routing and deadlines changed")
    INTAKE_KEYS_CREATED = "intake.keys_created", _("Encryption keys created")
    INTAKE_KEYS_RECOVERED = "intake.keys_recovered", _("Encryption keys recovered")
    INTAKE_KEYS_REPLACED = "intake.keys_replaced", _("Encryption keys replaced")
    INTAKE_KEYS_SHARED = "intake.keys_shared", _("Report keys shared with colleagues")
    INTAKE_CHANNEL_SET = "intake.channel_set", _("Public channel set up")
    INTAKE_CHANNEL_OPENED = "intake.channel_opened", _("Public channel opened")
    INTAKE_CHANNEL_CLOSED = "intake.channel_closed", _("Public channel closed")
    INTAKE_POSTER = "intake.poster", _("Channel poster generated")
    INTAKE_SUBMITTED = "intake.submitted", _("Public report received")
    INTAKE_ENTERED = "intake.entered", _("Letter, call or visit entered")
    INTAKE_SUBMITTER_MESSAGE = "intake.submitter_message", _("Submitter wrote in the thread")
    INTAKE_READ = "intake.read", _("Public report read")
    INTAKE_IDENTITY_READ = "intake.identity_read", _("Submitter's identity read")
    INTAKE_FILE_READ = "intake.file_read", _("Public report attachment read")
    INTAKE_REPLIED = "intake.replied", _("Team wrote to the submitter")
    INTAKE_CLASSIFIED = "intake.classified", _("Public report classified or assigned")
    INTAKE_FORWARDED = "intake.forwarded", _("Public report forwarded as out of scope")
    INTAKE_DUPLICATE = "intake.duplicate", _("Public report marked as a duplicate")
    INTAKE_CONVERTED = "intake.converted", _("Public report turned into a problem or clue")
    INTAKE_CLOSED = "intake.closed", _("Public report closed")
    INTAKE_TALK_PROPOSED = "intake.talk_proposed", _("Talk time and place proposed")
    INTAKE_TALK_CONFIRMED = "intake.talk_confirmed", _("Talk confirmed")
    INTAKE_TALK_CANCELLED = "intake.talk_cancelled", _("Talk cancelled")
    INTAKE_EXPORTED = "intake.exported", _("Public report list exported")
    # Fieldwork (issue 7).
    FIELDWORK_ACTIVITY_RECORDED = "fieldwork.activity_recorded", _("Activity recorded")
    FIELDWORK_ACTIVITY_CHANGED = "fieldwork.activity_changed", _("Activity changed")
    FIELDWORK_ACTIVITY_APPROVED = "fieldwork.activity_approved", _("Covert visit approved")
    FIELDWORK_FILE_READ = "fieldwork.file_read", _("Fieldwork attachment read")
    FIELDWORK_SETTINGS_SET = (
        "fieldwork.settings_set",
        _("Methods, minimums or question bank changed"),
    )
    FIELDWORK_LIST_GENERATED = "fieldwork.list_generated", _("Must-interview list generated")
    FIELDWORK_SAMPLE_DRAWN = "fieldwork.sample_drawn", _("Staff sample drawn")
    FIELDWORK_INTERVIEWEE_SET = "fieldwork.interviewee_set", _("Interviewee added or changed")
    FIELDWORK_OUTLINES_UPDATED = (
        "fieldwork.outlines_updated",
        _("Talk outlines generated or updated"),
    )
    FIELDWORK_SCHEDULED = "fieldwork.scheduled", _("Talks scheduled")
    FIELDWORK_PLACES_SET = (
        "fieldwork.places_set",
        _("Places for talks or members' absences changed"),
    )
    FIELDWORK_TALK_CHANGED = "fieldwork.talk_changed", _("Talk time, place or interviewers changed")
    FIELDWORK_EXPORTED = "fieldwork.exported", _("Fieldwork list exported")
    FIELDWORK_RECORD_CREATED = "fieldwork.record_created", _("Interview record written")
    FIELDWORK_RECORD_CHANGED = "fieldwork.record_changed", _("Interview record changed")
    FIELDWORK_RECORD_READ = "fieldwork.record_read", _("Interview record read")
    FIELDWORK_PAPER_SET = "fieldwork.paper_set", _("Working paper written or changed")
    FIELDWORK_PAPER_SIGNED = "fieldwork.paper_signed", _("Working paper signed off")
    FIELDWORK_PAPER_RETURNED = "fieldwork.paper_returned", _("Working paper returned for changes")
    FIELDWORK_INTERFERENCE = "fieldwork.interference", _("Interference recorded")
    FIELDWORK_INTERFERENCE_SEEN = "fieldwork.interference_seen", _("Interference acknowledged")
    # Data comparison (issue 8).
    DATACHECK_DATASET_SET = "datacheck.dataset_set", _("Dataset added or changed")
    DATACHECK_UPLOADED = "datacheck.uploaded", _("Department file uploaded")
    DATACHECK_MAPPING_SET = "datacheck.mapping_set", _("Column mapping confirmed")
    DATACHECK_IMPORTED = "datacheck.imported", _("Dataset version imported")
    DATACHECK_ACCEPTED = "datacheck.accepted", _("Dataset version accepted")
    DATACHECK_DISCARDED = "datacheck.discarded", _("Dataset version discarded")
    DATACHECK_RULE_SET = "datacheck.rule_set", _("Comparison rule added or changed")
    DATACHECK_ALIAS_SET = "datacheck.alias_set", _("Header text for a field added or removed")
    DATACHECK_RUN = "datacheck.run", _("Comparison run")
    DATACHECK_FINDING_READ = "datacheck.finding_read", _("Comparison finding read")
    DATACHECK_FINDING_JUDGED = "datacheck.finding_judged", _("Comparison finding judged")
    DATACHECK_FINDING_TO_CLUE = (
        "datacheck.finding_to_clue",
        _("Comparison finding turned into a problem or clue"),
    )
    DATACHECK_EXPORTED = "datacheck.exported", _("Comparison findings exported")
    # Record linkage (issue 9).
    DATACHECK_LINK_RUN = "datacheck.link_run", _("Record linkage started")
    DATACHECK_LINK_READ = "datacheck.link_read", _("Linked pairs read")
    DATACHECK_LINK_DECIDED = "datacheck.link_decided", _("Linked pair accepted or rejected")
    DATACHECK_LINK_EXPORTED = "datacheck.link_exported", _("Linked pairs exported")


class AuditEvent(models.Model):
    """One typed, hash-chained audit event. Append-only; see ``xuncha.core.audit``."""

    seq = models.BigIntegerField(unique=True)
    created_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    # Not ``choices=``: every app adds event types, and each would otherwise be a migration.
    event_type = models.CharField(max_length=40, db_index=True)
    object_type = models.CharField(max_length=60, blank=True, db_index=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    extra = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=36, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.event_type}"

    @property
    def event_label(self) -> str:
        """The event type in the user's language (the code for an unknown type)."""
        labels = dict(AuditEventType.choices)
        return str(labels.get(self.event_type, self.event_type))


class AuditChainHead(models.Model):
    """Single row holding the last sequence number and hash; locked to append."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"head #{self.last_seq}"


class JobRun(models.Model):
    """A background job a user started, with its progress (shown while it runs)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Finished")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="jobs")
    kind = models.CharField(max_length=40)
    label = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)
    result = models.JSONField(default=dict, blank=True)
    result_file = models.CharField(max_length=200, blank=True)
    task_result_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.label

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, int(100 * self.done / self.total))

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def display_message(self) -> str:
        """The message in the active language: a stored ``Text`` (JSON, see
        ``jobs.stored_message``) is rendered through the catalogue, plain text as it is."""
        if self.message.startswith("{"):
            try:
                node = json.loads(self.message)
            except ValueError:
                return self.message
            if isinstance(node, dict) and "t" in node:
                return render_text(node, gettext, ntranslate=ngettext)
        return self.message


class ScheduledRun(models.Model):
    """When a periodic job (``xuncha.core.schedule``) was last enqueued; locked per pass so
    two schedulers never enqueue the same run."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    last_enqueued_at = models.DateTimeField(_("last enqueued at"), null=True, blank=True)

    class Meta:
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")

    def __str__(self) -> str:
        return self.name
