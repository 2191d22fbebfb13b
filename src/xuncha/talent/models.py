"""The inspector pool (人才库) and leader pool (组长库): profiles on top of the people
registry, training, qualification, role history, evaluations, availability, release."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xuncha.core.models import Organisation, Person, User


class Specialty(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=60)

    class Meta:
        # In the order they were added: the list the office knows (finance first), with
        # its own additions last (the codes' alphabet means nothing in Chinese).
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language (Chinese unless the UI is in English)."""
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


class InspectorProfile(models.Model):
    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="inspector")
    county = models.ForeignKey(
        Organisation,
        verbose_name=_("pool of"),
        on_delete=models.PROTECT,
        related_name="inspectors",
    )
    home_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("home organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    home_post = models.CharField(_("home post"), max_length=100, blank=True)
    specialties = models.ManyToManyField(Specialty, verbose_name=_("specialties"), blank=True)
    leader_eligible = models.BooleanField(_("in the leader pool"), default=False)
    in_pool = models.BooleanField(_("in the pool"), default=True)
    removed_reason = models.CharField(_("reason for removal"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("inspector")
        verbose_name_plural = _("inspectors")
        ordering = ["county", "id"]

    def __str__(self) -> str:
        return str(self.person)


# A qualification runs this many years unless the office sets its expiry.
QUALIFICATION_YEARS = 3


def years_later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def default_expiry(granted: dt.date) -> dt.date:
    """Three years of validity counted as certificates count them: granted on 2026-01-01,
    valid to 2028-12-31 inclusive (``Qualification.valid_on`` includes the last day)."""
    return years_later(granted, QUALIFICATION_YEARS) - dt.timedelta(days=1)


class Qualification(models.Model):
    """Granted by the prefecture office after training; expired blocks leader roles."""

    class Status(models.TextChoices):
        GRANTED = "granted", _("Granted")
        SUSPENDED = "suspended", _("Suspended")
        REVOKED = "revoked", _("Revoked")

    profile = models.ForeignKey(
        InspectorProfile, on_delete=models.CASCADE, related_name="qualifications"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.GRANTED
    )
    granted_on = models.DateField(_("granted on"))
    expires_on = models.DateField(_("expires on"))
    granted_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-granted_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gt=models.F("granted_on")),
                name="qualification_expires_after_grant",
            )
        ]

    def __str__(self) -> str:
        return f"{self.status} {self.granted_on}–{self.expires_on}"

    def valid_on(self, day: dt.date) -> bool:
        return self.status == self.Status.GRANTED and self.granted_on <= day <= self.expires_on


class TrainingRecord(models.Model):
    profile = models.ForeignKey(
        InspectorProfile, on_delete=models.CASCADE, related_name="trainings"
    )
    course = models.CharField(_("course"), max_length=200)
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=1)
    date = models.DateField(_("date"))
    certificate = models.CharField(_("certificate"), max_length=100, blank=True)

    class Meta:
        ordering = ["-date"]

    def __str__(self) -> str:
        return self.course


class RoundRole(models.Model):
    """Role history: who served as leader, deputy or member in which round."""

    class Role(models.TextChoices):
        LEADER = "leader", _("Leader")
        DEPUTY = "deputy", _("Deputy leader")
        MEMBER = "member", _("Member")

    profile = models.ForeignKey(InspectorProfile, on_delete=models.CASCADE, related_name="roles")
    round = models.ForeignKey("rounds.Round", on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(
        "rounds.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="roles"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)

    class Meta:
        ordering = ["-round__created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "round"], name="one_role_per_round")
        ]

    def __str__(self) -> str:
        return f"{self.profile_id} {self.role}"


class Evaluation(models.Model):
    class Grade(models.TextChoices):
        EXCELLENT = "excellent", _("Excellent")
        GOOD = "good", _("Good")
        PASS = "pass", _("Pass")
        FAIL = "fail", _("Fail")

    profile = models.ForeignKey(
        InspectorProfile, on_delete=models.CASCADE, related_name="evaluations"
    )
    round = models.ForeignKey("rounds.Round", on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(_("score"))
    grade = models.CharField(_("grade"), max_length=10, choices=Grade.choices)
    leader_comments = models.TextField(_("comments of the team leader"), blank=True)
    office_comments = models.TextField(_("comments of the office"), blank=True)
    remove_from_pool = models.BooleanField(_("remove from the pool"), default=False)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    # Who saved last (whatever they changed), who last set the score, grade and leader's
    # comments, and who last set the office's comments and decision: an office opinion
    # added later does not take the evaluation away from the leader who made it.
    evaluated_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    scored_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    office_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    evaluated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-evaluated_at"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "round"], name="one_evaluation_per_round"),
            models.CheckConstraint(condition=Q(score__lte=100), name="score_at_most_100"),
        ]

    def __str__(self) -> str:
        return f"{self.profile_id} {self.grade}"


class Availability(models.Model):
    """A window in which the inspector can be seconded."""

    profile = models.ForeignKey(
        InspectorProfile, on_delete=models.CASCADE, related_name="availability"
    )
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["start_date"]

    def __str__(self) -> str:
        return f"{self.start_date}–{self.end_date}"


class Release(models.Model):
    """The home unit's confirmation that the inspector is released full time for a round."""

    profile = models.ForeignKey(InspectorProfile, on_delete=models.CASCADE, related_name="releases")
    round = models.ForeignKey("rounds.Round", on_delete=models.PROTECT, related_name="+")
    confirmed = models.BooleanField(default=False)
    confirmed_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["profile", "round"], name="one_release_per_round")
        ]

    def __str__(self) -> str:
        return f"{self.profile_id} {self.confirmed}"


def _all_kinship_classes() -> list[str]:
    from xuncha.core.lib.kinship import KinshipClass

    return [k.value for k in KinshipClass]


def _close_kinship_classes() -> list[str]:
    return ["spouse", "direct_blood"]


class TeamRules(models.Model):
    """A committee's recusal and team-formation rules; without a row DOMAIN.md's defaults
    apply (the same values as the field defaults)."""

    committee = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="team_rules"
    )
    recent_years = models.PositiveSmallIntegerField(
        _("worked in the target within (years)"), default=3
    )
    long_service_years = models.PositiveSmallIntegerField(
        _("or worked there for (years in all)"), default=3
    )
    leader_kinship_classes = models.JSONField(
        _("kinship classes that bar leaders and deputies"), default=_all_kinship_classes
    )
    member_kinship_classes = models.JSONField(
        _("kinship classes that bar members"), default=_close_kinship_classes
    )
    colleague_years = models.PositiveSmallIntegerField(
        _("long-time colleague after (years together)"), default=3
    )
    superior_years = models.PositiveSmallIntegerField(
        _("superior or subordinate within (years)"), default=3
    )
    village_hometown = models.BooleanField(_("village rounds: not in one's hometown"), default=True)
    rotation = models.BooleanField(
        _("leaders and deputies do not return to a target they led"), default=True
    )
    min_experienced = models.PositiveSmallIntegerField(
        _("people with two or more rounds per team (at least)"), default=1
    )
    max_first_timers = models.PositiveSmallIntegerField(
        _("first-timers per team (at most)"), default=3
    )
    rest_days = models.PositiveSmallIntegerField(_("rest between rounds (days)"), default=30)
    size_min = models.PositiveSmallIntegerField(_("team size from"), default=5)
    size_max = models.PositiveSmallIntegerField(_("team size to"), default=7)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("team rules")
        verbose_name_plural = _("team rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(size_max__gte=models.F("size_min")), name="team_rules_size_range"
            )
        ]

    def __str__(self) -> str:
        return str(self.committee)


class Declaration(models.Model):
    """A conflict the inspector declared, or a recusal the target asked for."""

    class Source(models.TextChoices):
        SELF = "self", _("Declared by the inspector")
        TARGET = "target", _("Asked for by the target")

    profile = models.ForeignKey(
        InspectorProfile, on_delete=models.CASCADE, related_name="declarations"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    reason = models.CharField(_("reason"), max_length=300)
    recorded_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return self.reason


class TargetNeed(models.Model):
    """The specialties a target needs on its team in one round (overrides the default:
    finance everywhere, engineering and audit where the target has major projects)."""

    round = models.ForeignKey("rounds.Round", on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    specialties = models.ManyToManyField(Specialty, verbose_name=_("specialties"), blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "organisation"], name="target_need_unique")
        ]

    def __str__(self) -> str:
        return f"{self.round_id} {self.organisation_id}"


class RuleRelaxation(models.Model):
    """A named formation rule relaxed for one round, with the reason (audited)."""

    class Rule(models.TextChoices):
        SPECIALTIES = "specialties", _("Specialty coverage")
        MIN_EXPERIENCED = "min_experienced", _("Experienced people per team")
        MAX_FIRST_TIMERS = "max_first_timers", _("First-timers per team")
        CROSS = "cross", _("Cross round: not in one's home county")

    round = models.ForeignKey("rounds.Round", on_delete=models.CASCADE, related_name="+")
    rule = models.CharField(_("rule"), max_length=30, choices=Rule.choices)
    reason = models.CharField(_("reason"), max_length=300)
    created_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["rule"]
        constraints = [models.UniqueConstraint(fields=["round", "rule"], name="relaxation_unique")]

    def __str__(self) -> str:
        return self.rule


class FormationRun(models.Model):
    """One run of the team solver for a round: the instance solved, the result, and the
    draft roster users edit before accepting it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Solving")
        PROPOSED = "proposed", _("Proposed")
        INFEASIBLE = "infeasible", _("Impossible")
        FAILED = "failed", _("Failed")
        ACCEPTED = "accepted", _("Accepted")
        SUPERSEDED = "superseded", _("Superseded")

    round = models.ForeignKey(
        "rounds.Round", on_delete=models.CASCADE, related_name="formation_runs"
    )
    job = models.ForeignKey(
        "core.JobRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    seed = models.PositiveIntegerField(default=0)
    time_limit = models.PositiveSmallIntegerField(default=30)
    instance = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    # [{"team": team_pk, "person": person_pk, "role": "leader"|"deputy"|"member"}]
    draft = models.JSONField(default=list, blank=True)
    objective = models.FloatField(null=True, blank=True)
    bound = models.FloatField(null=True, blank=True)
    gap = models.FloatField(null=True, blank=True)
    # The score of ``draft``: the solver's objective until a hand change moves it.
    draft_objective = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.round_id} #{self.pk}"

    @property
    def draft_score_differs(self) -> bool:
        """Hand changes moved the score away from the solver's."""
        return (
            self.objective is not None
            and self.draft_objective is not None
            and abs(self.draft_objective - self.objective) > 1e-6
        )
