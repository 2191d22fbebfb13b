"""Data comparison (issue #8): the catalogue of datasets, the rule library, runs and findings.

The web database keeps the catalogue, never the rows: each accepted dataset version is one
Parquet file under ``DATA_DIR/datacheck/`` (``storage.py``), read by DuckDB when rules run.
A finding keeps a copy of the rows that prove it, so it can be shown and reproduced after
newer versions replace the files it came from.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xuncha.core.models import JobRun, Organisation, User


class Kind(models.TextChoices):
    HOUSEHOLD = "household", _("Household registration")
    PAYROLL = "payroll", _("Public payroll")
    LEADING_CADRE = "leading_cadre", _("Leading cadres")
    VILLAGE_CADRE = "village_cadre", _("Village cadres")
    BENEFIT = "benefit", _("Benefit lists")
    DEATH = "death", _("Deaths and cremations")
    VEHICLE = "vehicle", _("Vehicles")
    BUSINESS = "business", _("Business and trader registration")
    REAL_ESTATE = "real_estate", _("Real estate")
    TENDER = "tender", _("Tenders and contracts")
    ROSTER = "roster", _("Village rosters")


class Dataset(models.Model):
    """One department's list for one area, in successive versions."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("area covered"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(pgettext_lazy("dataset", "kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(pgettext_lazy("dataset", "title"), max_length=200)
    department = models.CharField(_("source department"), max_length=200)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation__path", "kind", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "title"], name="datacheck_dataset_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def current(self) -> Version | None:
        return self.versions.filter(status=Version.Status.ACCEPTED).order_by("-number").first()


class HeaderAlias(models.Model):
    """A header text the office taught: its departments' way of naming a field. Aliases
    of a county serve every dataset of the county; the shipped texts are in ``headers``."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("office area"), on_delete=models.CASCADE, related_name="+"
    )
    text = models.CharField(_("header text"), max_length=100)
    field = models.CharField(_("field"), max_length=30)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["field", "text"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "text"], name="datacheck_alias_unique")
        ]

    def __str__(self) -> str:
        return f"{self.text} → {self.field}"


class Version(models.Model):
    """One file imported into a dataset. Rows become usable only once it is accepted."""

    class Status(models.TextChoices):
        MAPPING = "mapping", _("Columns to confirm")
        IMPORTING = "importing", _("Importing")
        ERRORS = "errors", _("Rows rejected: fix the file or accept without them")
        ACCEPTED = "accepted", pgettext_lazy("dataset version", "Accepted")
        FAILED = "failed", _("Failed")
        DISCARDED = "discarded", _("Discarded")

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.MAPPING
    )
    file_name = models.CharField(_("file name"), max_length=200)
    file_sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    file_size = models.PositiveBigIntegerField(_("size"))
    extracted_on = models.DateField(_("extraction date"))
    imported_by = models.ForeignKey(
        User, verbose_name=_("imported by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    sheet_name = models.CharField(max_length=200, blank=True)
    header_rows = models.JSONField(default=list, blank=True)
    data_start = models.PositiveIntegerField(default=0)
    headers = models.JSONField(default=list, blank=True)
    columns = models.JSONField(default=dict, blank=True)  # str(column index) -> field
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_valid = models.PositiveIntegerField(_("valid rows"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rejected rows"), default=0)
    without_rejected = models.BooleanField(_("accepted without the rejected rows"), default=False)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    job = models.ForeignKey(JobRun, null=True, blank=True, on_delete=models.SET_NULL)
    message = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["dataset", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "number"], name="datacheck_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.dataset.title} v{self.number}"


class Rule(models.Model):
    """A comparison rule: the shipped library (``builtin``) or one an office wrote."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("office"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    builtin = models.BooleanField(_("shipped with Xuncha"), default=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    kinds = models.JSONField(_("datasets needed"), default=list, blank=True)
    params = models.JSONField(
        default=list, blank=True
    )  # [{name, type, default, label_zh, label_en}]
    values = models.JSONField(default=dict, blank=True)  # the office's values for params
    sql = models.TextField(_("query"))
    explain_zh = models.TextField(_("explanation (Chinese)"))
    explain_en = models.TextField(_("explanation (English)"))
    revision = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-builtin", "code"]

    def __str__(self) -> str:
        return self.code


class Run(models.Model):
    """One run of the library over chosen dataset versions; records what ran on what."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    versions = models.ManyToManyField(Version, related_name="runs")
    rules = models.JSONField(default=list, blank=True)  # [{code, revision, params, sql_sha256}]
    results = models.JSONField(default=dict, blank=True)  # code -> {hits, new, judged, missing}
    findings_new = models.PositiveIntegerField(_("new findings"), default=0)
    findings_total = models.PositiveIntegerField(_("hits"), default=0)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    job = models.ForeignKey(JobRun, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.pk}"


class Finding(models.Model):
    """A rule's hit, kept once per situation (rule and key) in an area across runs."""

    class Status(models.TextChoices):
        TO_CHECK = "to_check", _("To check")
        CONFIRMED = "confirmed", pgettext_lazy("finding", "Confirmed")
        FALSE_POSITIVE = "false_positive", _("False positive")

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="findings")
    key = models.CharField(max_length=300)
    subjects = models.JSONField(default=list, blank=True)  # [{id, name}]
    names = models.CharField(_("people"), max_length=300)  # for search and sorting
    place = models.CharField(pgettext_lazy("finding", "where"), max_length=200, blank=True)
    # The organisation of the area that ``place`` names (a village, township or unit), when
    # one does: the unit profile and the plan proposer count confirmed findings by it.
    unit = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation concerned"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    facts = models.JSONField(default=dict, blank=True)
    evidence = models.JSONField(default=list, blank=True)  # [{kind, version, row, data}]
    explanation_zh = models.TextField()
    explanation_en = models.TextField()
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.TO_CHECK
    )
    reason = models.TextField(_("reason"), blank=True)
    judged_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    judged_at = models.DateTimeField(null=True, blank=True)
    first_run = models.ForeignKey(Run, on_delete=models.PROTECT, related_name="+")
    last_run = models.ForeignKey(Run, on_delete=models.PROTECT, related_name="+")
    record = models.ForeignKey(
        "clues.Record", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["rule__code", "place", "names"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "rule", "key"], name="datacheck_finding_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule.code} · {self.names}"


# -- record linkage (issue #9) ------------------------------------------------------------------


class LinkRun(models.Model):
    """One linkage of two dataset versions (or of one with itself, to find its duplicates):
    the people of ``right`` found in ``left`` with a probability, the uncertain band left for
    clerical review."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    area = models.ForeignKey(
        Organisation, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    left = models.ForeignKey(
        Version, verbose_name=_("left list"), on_delete=models.PROTECT, related_name="+"
    )
    right = models.ForeignKey(
        Version,
        verbose_name=_("right list"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    match_threshold = models.FloatField(_("link from"), default=0.9)
    review_threshold = models.FloatField(_("review from"), default=0.5)
    engine = models.CharField(_("engine"), max_length=10, default="duckdb")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    job = models.ForeignKey(JobRun, null=True, blank=True, on_delete=models.SET_NULL)
    model = models.JSONField(default=dict, blank=True)  # the Splink settings used
    trained = models.BooleanField(_("model trained on these lists"), default=False)
    left_records = models.PositiveIntegerField(_("records on the left"), default=0)
    right_records = models.PositiveIntegerField(_("records on the right"), default=0)
    pairs_total = models.PositiveIntegerField(_("pairs"), default=0)
    matches = models.PositiveIntegerField(_("pairs in the link band"), default=0)
    reviews = models.PositiveIntegerField(_("pairs for review"), default=0)
    links = models.PositiveIntegerField(_("links"), default=0)  # at the end of the run
    problems = models.JSONField(default=list, blank=True)  # [{side, row, role, message}]
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"L{self.pk}"


class LinkPair(models.Model):
    """A scored pair of records: rows of the versions' Parquet files (``_row``)."""

    class Band(models.TextChoices):
        MATCH = "match", pgettext_lazy("linkage band", "Link")
        REVIEW = "review", _("Clerical review")
        # A pair someone accepted that now scores below the review threshold: kept, since
        # an accepted pair is a link whatever its probability.
        BELOW = "below", _("Below the review threshold")

    run = models.ForeignKey(LinkRun, on_delete=models.CASCADE, related_name="pairs")
    left_row = models.BigIntegerField(_("left row"))
    right_row = models.BigIntegerField(_("right row"))
    probability = models.FloatField(_("match probability"))
    weight = models.FloatField(_("match weight"))
    band = models.CharField(_("band"), max_length=8, choices=Band.choices)
    levels = models.JSONField(default=dict, blank=True)  # field -> level code reached
    # A hash of each record's prepared features: the same person's row keeps its key when
    # the list is imported again, so that a decision on the pair is remembered.
    left_key = models.CharField(max_length=32)
    right_key = models.CharField(max_length=32)

    class Meta:
        ordering = ["-probability", "pk"]
        indexes = [
            models.Index(fields=["run", "band"], name="datacheck_linkpair_band"),
            models.Index(fields=["left_key", "right_key"], name="datacheck_linkpair_keys"),
        ]

    def __str__(self) -> str:
        return f"L{self.run_id}: {self.left_row}–{self.right_row}"


class LinkDecision(models.Model):
    """A person's decision on a pair of records, kept per area by the records' keys and used
    by every later run: accepted is a link whatever the probability, rejected never one.
    The two keys are kept in sorted order, so the decision holds whichever side each
    record is on."""

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", pgettext_lazy("linkage decision", "Same person")
        REJECTED = "rejected", pgettext_lazy("linkage decision", "Not the same person")

    area = models.ForeignKey(
        Organisation, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    left_key = models.CharField(max_length=32)
    right_key = models.CharField(max_length=32)
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    reason = models.TextField(_("reason"), blank=True)
    pair = models.ForeignKey(
        LinkPair, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )  # the pair it was made on
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"))

    class Meta:
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["area", "left_key", "right_key"], name="datacheck_linkdecision_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.decision} {self.left_key[:8]}–{self.right_key[:8]}"
