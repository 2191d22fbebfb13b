"""Data comparison services: every change is one call, one transaction, one audit event.

Imports (issue #8, "An import is all-or-nothing"): an upload becomes a version awaiting its
column mapping; confirming the mapping queues the import job, which reads every row,
normalises it and writes the valid rows to the version's Parquet file. A version whose rows
were all valid is accepted at once; otherwise nothing of it is used until the office either
uploads a fixed file (a new version, and the one with errors is discarded) or accepts the
version without its rejected rows, explicitly. Runs use accepted versions only.

Rules come from the shipped library (``rules/library.yaml``, synchronised into the
database, where the office may disable them or set their parameters) and from rules the
office writes, checked by DuckDB before they are saved. A run records the versions, rule
revisions, parameters and a hash of each query, so any finding can be reproduced.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from xuncha.core import audit
from xuncha.core.models import AuditEventType as E
from xuncha.core.models import JobRun, Kinship, Organisation, User
from xuncha.core.selectors import ancestor_ids
from xuncha.datacheck import storage
from xuncha.datacheck.lib import ingest, readers, rules
from xuncha.datacheck.lib.headers import FIELDS, KINDS, clean, field_of
from xuncha.datacheck.lib.schema import SCHEMA
from xuncha.datacheck.models import Dataset, Finding, HeaderAlias, Kind, Rule, Run, Version

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 500 * 1024 * 1024
# Lists whose linkage features are prepared when they are imported: the household register
# is searched for the people a clue names (``clues.selectors.candidates_for``).
FEATURES_AT_IMPORT = ("household",)
OPEN_VERSION_STATES = (Version.Status.MAPPING, Version.Status.ERRORS, Version.Status.FAILED)


class Refused(ValidationError):
    """A change the rules of the workflow do not allow (shown to the user as is)."""


def _today() -> dt.date:
    return timezone.localdate()


# -- datasets and versions --------------------------------------------------------------------


@transaction.atomic
def dataset_create(
    *, actor: User, organisation: Organisation, kind: str, title: str, department: str
) -> Dataset:
    dataset = Dataset(
        organisation=organisation,
        kind=kind,
        title=title.strip(),
        department=department.strip(),
        created_by=actor,
    )
    dataset.full_clean(exclude=["created_by"])
    dataset.save()
    audit.record(
        actor=actor,
        event_type=E.DATACHECK_DATASET_SET,
        obj=dataset,
        after=audit.snapshot(dataset, ["organisation", "kind", "title", "department"]),
    )
    return dataset


def version_upload(
    *, actor: User, dataset: Dataset, file_name: str, chunks: Iterable[bytes], extracted_on: dt.date
) -> Version:
    """Keep the file, find its header rows and propose a column mapping."""
    suffix = storage.suffix_of(file_name)
    if suffix not in storage.SUFFIXES:
        raise ValidationError(
            {
                "file": _("%(name)s: only .xlsx, .xls and .csv files can be imported.")
                % {"name": file_name}
            }
        )
    if extracted_on > _today():
        raise ValidationError({"extracted_on": _("The extraction date cannot be in the future.")})
    with transaction.atomic():
        # One upload at a time per dataset: the next number and its directory are ours.
        Dataset.objects.select_for_update().filter(pk=dataset.pk).first()
        number = (dataset.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = Version(
            dataset=dataset,
            number=number,
            file_name=Path(file_name).name[:200],
            file_sha256="",
            file_size=0,
            extracted_on=extracted_on,
            imported_by=actor,
        )
        storage.remove_version(version)  # a directory left by a failed upload
        try:
            try:
                digest, size = storage.save_upload(
                    chunks, storage.source_path(version), limit=MAX_UPLOAD_BYTES
                )
            except storage.TooLarge:
                raise ValidationError(
                    {"file": _("%(name)s is larger than 500 MB.") % {"name": file_name}}
                ) from None
            if size == 0:
                raise ValidationError({"file": _("%(name)s is empty.") % {"name": file_name}})
            version.file_sha256, version.file_size = digest, size
            _apply_preview(version, _preview(version))
            version.save()
        except BaseException:
            storage.remove_version(version)
            raise
        audit.record(
            actor=actor,
            event_type=E.DATACHECK_UPLOADED,
            obj=version,
            object_repr=str(version),
            after={
                "dataset": dataset.pk,
                "number": number,
                "file_name": version.file_name,
                "sha256": version.file_sha256,
                "size": version.file_size,
                "extracted_on": extracted_on.isoformat(),
            },
        )
    return version


def _preview(version: Version) -> ingest.Preview:
    try:
        sheet = storage.head(storage.source_path(version))
        return ingest.preview(sheet, version.dataset.kind)
    except readers.UnreadableFile as exc:
        raise ValidationError({"file": f"{version.file_name}: {exc}"}) from None


def _apply_preview(version: Version, preview: ingest.Preview) -> None:
    version.header_rows = list(preview.header_rows)
    version.data_start = preview.data_start
    version.headers = list(preview.headers)
    columns = dict(preview.mapping.columns)
    # The header texts the office taught come before the shipped ones: a column they name
    # takes its field (from another column the shipped texts gave it to, if need be).
    taught = aliases_for(version.dataset.organisation)
    schema = SCHEMA[version.dataset.kind]
    for index, header in enumerate(preview.headers):
        field = taught.get(clean(header))
        if field in schema:
            columns = {i: f for i, f in columns.items() if f != field}
            columns[index] = field
    version.columns = {str(i): f for i, f in sorted(columns.items())}


# -- header texts the office teaches ----------------------------------------------------------


def alias_owner(area: Organisation) -> Organisation:
    """Header texts are kept per county (or for the area above it)."""
    return county_of(area)


def aliases_for(area: Organisation) -> dict[str, str]:
    """Cleaned header text -> field, taught by the area's county or the offices above it
    (the nearer office wins where two taught the same text)."""
    owners = ancestor_ids(alias_owner(area).path)[::-1]  # the nearest office first
    depth = {pk: i for i, pk in enumerate(owners)}
    found: dict[str, tuple[int, str]] = {}
    for alias in HeaderAlias.objects.filter(organisation_id__in=owners):
        rank = depth[alias.organisation_id]
        if alias.text not in found or rank < found[alias.text][0]:
            found[alias.text] = (rank, alias.field)
    return {text: field for text, (_rank, field) in found.items()}


@transaction.atomic
def alias_set(*, actor: User, organisation: Organisation, text: str, field: str) -> HeaderAlias:
    """Teach a header text (or change what it means); the shipped texts are not changed."""
    cleaned = clean(text)[:100]
    if not cleaned:
        raise ValidationError({"text": _("Give the header text as it appears in the file.")})
    if field not in FIELDS:
        raise ValidationError({"field": _("Choose a field.")})
    alias, created = HeaderAlias.objects.update_or_create(
        organisation=organisation, text=cleaned, defaults={"field": field, "created_by": actor}
    )
    audit.record(
        actor=actor,
        event_type=E.DATACHECK_ALIAS_SET,
        obj=alias,
        object_repr=str(alias),
        after={"text": cleaned, "field": field, "organisation": organisation.pk},
        extra={"created": created},
    )
    return alias


@transaction.atomic
def alias_delete(*, actor: User, alias: HeaderAlias) -> None:
    audit.record(
        actor=actor,
        event_type=E.DATACHECK_ALIAS_SET,
        obj=alias,
        object_repr=str(alias),
        before={"text": alias.text, "field": alias.field},
        extra={"deleted": True},
    )
    alias.delete()


def _learn(actor: User, version: Version, columns: dict[int, str]) -> None:
    """Columns the user mapped by hand teach their header texts to the county's office."""
    owner = alias_owner(version.dataset.organisation)
    taught = aliases_for(version.dataset.organisation)
    for index, field in columns.items():
        header = version.headers[index] if index < len(version.headers) else ""
        text = clean(header)
        if text and field_of(text) != field and taught.get(text) != field:
            alias_set(actor=actor, organisation=owner, text=text, field=field)


def preview_of(version: Version) -> ingest.Preview:
    """The sample rows shown on the mapping page (read again from the kept file)."""
    return _preview(version)


def mapping_choices(kind: str) -> list[str]:
    """Fields a column of this kind may map to: the kind's schema, required ones first."""
    required = KINDS[kind]
    return [*required, *(f for f in SCHEMA[kind] if f not in required)]


@transaction.atomic
def version_confirm(
    *, actor: User, version: Version, columns: dict[int, str], background: bool = True
) -> JobRun | None:
    """Fix the column mapping and queue the import job (``background=False``: the caller
    runs ``import_version`` itself, as the demo and the command line do)."""
    from xuncha.core import jobs
    from xuncha.datacheck import tasks

    version = Version.objects.select_for_update().select_related("dataset").get(pk=version.pk)
    if version.status != Version.Status.MAPPING:
        raise Refused(_("This version's columns were already confirmed."))
    columns = {int(i): f for i, f in columns.items() if f}
    unknown = [f for f in columns.values() if f not in SCHEMA[version.dataset.kind]]
    if unknown:
        raise ValidationError(_("Unknown field: %(f)s.") % {"f": ", ".join(unknown)})
    problems = mapping_problems(columns, version.dataset.kind)
    if problems:
        raise ValidationError(problems)
    before = dict(version.columns)
    _learn(actor, version, columns)
    version.columns = {str(i): f for i, f in sorted(columns.items())}
    version.status = Version.Status.IMPORTING
    job = None
    if background:
        job = jobs.job_start(
            actor=actor,
            kind="datacheck_import",
            label=_("Import %(version)s") % {"version": version},
            task=tasks.import_version,
            version_id=version.pk,
        )
    version.job = job
    version.save(update_fields=["columns", "status", "job"])
    audit.record(
        actor=actor,
        event_type=E.DATACHECK_MAPPING_SET,
        obj=version,
        object_repr=str(version),
        before={"columns": before},
        after={"columns": version.columns},
    )
    return job


def import_version(version: Version, progress: Callable[[int, int], None] | None = None) -> Version:
    """The import job's work: every row read and normalised, valid rows to Parquet.

    Files are written first, to the version's own directory; the catalogue changes in one
    transaction at the end, so a version is either imported whole or marked failed."""
    version = Version.objects.select_related("dataset").get(pk=version.pk)
    if version.status != Version.Status.IMPORTING:
        raise Refused(_("This version is not waiting to be imported."))
    try:
        sheet = readers.read(storage.source_path(version))
        columns = {int(i): f for i, f in version.columns.items()}
        result = ingest.normalise_rows(
            sheet,
            version.dataset.kind,
            columns,
            version.data_start,
            list(version.headers),
            progress=progress,
        )
        ingest.write_parquet(result.table, storage.parquet_path(version))
        if version.dataset.kind in FEATURES_AT_IMPORT:
            from xuncha.datacheck import linking

            # Pages look names up in it; other lists are prepared by their first link run.
            linking.features_file(version)
        if result.errors:
            storage.errors_path(version).write_bytes(
                ingest.error_report(result.errors, version.file_name, labels=error_labels())
            )
    except Exception as exc:
        # The message says what is wrong with the file (no row content), for its page.
        known = isinstance(exc, readers.UnreadableFile | OSError | ValueError)
        Version.objects.filter(pk=version.pk).update(
            status=Version.Status.FAILED, message=str(exc)[:500] if known else type(exc).__name__
        )
        raise
    rejected = len({e.row for e in result.errors})
    with transaction.atomic():
        version.rows_total = result.total
        version.rows_valid = result.table.num_rows
        version.rows_rejected = rejected
        if rejected:
            version.status = Version.Status.ERRORS
        else:
            version.status = Version.Status.ACCEPTED
            version.accepted_by = version.imported_by
            version.accepted_at = timezone.now()
        version.save()
        audit.record(
            actor=version.imported_by,
            event_type=E.DATACHECK_IMPORTED,
            obj=version,
            object_repr=str(version),
            after={
                "status": version.status,
                "rows": version.rows_total,
                "valid": version.rows_valid,
                "rejected": rejected,
            },
        )
        if version.status == Version.Status.ACCEPTED:
            _discard_open(version, version.imported_by)
    return version


def mapping_problems(columns: dict[int, str], kind: str) -> list[str]:
    """What is wrong with a column mapping, in the user's language."""
    from xuncha.datacheck.labels import field_label

    problems = []
    chosen = list(columns.values())
    for field in KINDS[kind]:
        if field not in chosen:
            problems.append(
                _("No column holds %(field)s, which this kind of dataset must have.")
                % {"field": field_label(field)}
            )
    for field in sorted({f for f in chosen if chosen.count(f) > 1}):
        problems.append(
            _("%(field)s is chosen for more than one column.") % {"field": field_label(field)}
        )
    return problems


def error_labels() -> tuple[str, str, str, str, str]:
    return (_("Row"), _("Column"), _("Field"), _("Value"), pgettext("error report", "Problem"))


def _discard_open(version: Version, actor: User) -> None:
    """Earlier versions still open (awaiting mapping, with errors, failed) are superseded."""
    for old in Version.objects.filter(
        dataset_id=version.dataset_id, number__lt=version.number, status__in=OPEN_VERSION_STATES
    ):
        version_discard(actor=actor, version=old, superseded_by=version)


@transaction.atomic
def version_accept(*, actor: User, version: Version) -> Version:
    """Accept a version without its rejected rows (the user said so explicitly)."""
    version = Version.objects.select_for_update().get(pk=version.pk)
    if version.status != Version.Status.ERRORS:
        raise Refused(_("Only a version with rejected rows waits for this decision."))
    if version.rows_valid == 0:
        raise Refused(_("Every row was rejected: fix the file and upload it again."))
    version.status = Version.Status.ACCEPTED
    version.without_rejected = True
    version.accepted_by = actor
    version.accepted_at = timezone.now()
    version.save(update_fields=["status", "without_rejected", "accepted_by", "accepted_at"])
    audit.record(
        actor=actor,
        event_type=E.DATACHECK_ACCEPTED,
        obj=version,
        object_repr=str(version),
        after={
            "without_rejected": True,
            "valid": version.rows_valid,
            "rejected": version.rows_rejected,
        },
    )
    _discard_open(version, actor)
    return version


@transaction.atomic
def version_discard(
    *, actor: User, version: Version, superseded_by: Version | None = None
) -> Version:
    if version.status not in OPEN_VERSION_STATES:
        raise Refused(_("Only a version not yet accepted can be discarded."))
    version.status = Version.Status.DISCARDED
    version.save(update_fields=["status"])

    # The uploaded file stays (provenance); the rows that were never accepted go, and
    # their linkage features with them.
    def remove() -> None:
        for path in (storage.parquet_path(version), storage.features_path(version)):
            path.unlink(missing_ok=True)

    transaction.on_commit(remove)
    audit.record(
        actor=actor,
        event_type=E.DATACHECK_DISCARDED,
        obj=version,
        object_repr=str(version),
        extra={"superseded_by": superseded_by.pk if superseded_by else None},
    )
    return version


# -- rules ------------------------------------------------------------------------------------

SPEC_FIELDS = (
    "name_zh",
    "name_en",
    "description_zh",
    "description_en",
    "kinds",
    "params",
    "sql",
    "explain_zh",
    "explain_en",
)


def _spec_dict(spec: rules.RuleSpec) -> dict[str, Any]:
    return {
        "name_zh": spec.name_zh,
        "name_en": spec.name_en,
        "description_zh": spec.description_zh,
        "description_en": spec.description_en,
        "kinds": list(spec.kinds),
        "params": [
            {
                "name": p.name,
                "type": p.type,
                "default": p.default,
                "label_zh": p.label_zh,
                "label_en": p.label_en,
            }
            for p in spec.params
        ],
        "sql": spec.sql,
        "explain_zh": spec.explain_zh,
        "explain_en": spec.explain_en,
    }


@transaction.atomic
def sync_library() -> None:
    """Bring the shipped rules in the database up to the library file (new ones added,
    changed ones updated with a new revision; the office's values and switch kept), with
    one audit event naming what changed. Runs after every migrate (``apps.py``)."""
    existing = {r.code: r for r in Rule.objects.select_for_update().filter(builtin=True)}
    added: dict[str, int] = {}
    updated: dict[str, int] = {}
    for spec in rules.builtin_rules():
        data = _spec_dict(spec)
        rule = existing.get(spec.code)
        if rule is None:
            rule = Rule.objects.create(code=spec.code, builtin=True, **data)
            added[rule.code] = rule.revision
        elif any(getattr(rule, f) != data[f] for f in SPEC_FIELDS):
            for field, value in data.items():
                setattr(rule, field, value)
            rule.revision += 1
            rule.save()
            updated[rule.code] = rule.revision
    if added or updated:
        audit.record(
            actor=None,
            event_type=E.DATACHECK_RULE_SET,
            object_repr="rule library",
            extra={"added": added, "updated": updated},
        )


def spec_of(rule: Rule) -> rules.RuleSpec:
    return rules.parse_rule({"code": rule.code, **{f: getattr(rule, f) for f in SPEC_FIELDS}})


def values_of(rule: Rule) -> dict[str, Any]:
    spec = spec_of(rule)
    return {**spec.defaults(), **{k: v for k, v in rule.values.items() if k in spec.defaults()}}


def check_spec(spec: rules.RuleSpec) -> None:
    """Run the rule's query on empty tables (RuleError when it does not work)."""
    engine = rules.Engine({})
    try:
        engine.check(spec)
    finally:
        engine.close()


def _cast_values(spec: rules.RuleSpec, values: dict[str, Any]) -> dict[str, Any]:
    """The values cast to their parameters' types (a pattern checked as DuckDB reads it),
    with what is wrong per parameter."""
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for param in spec.params:
        try:
            out[param.name] = rules.cast_param(
                param, values.get(param.name, param.default), spec.code
            )
        except rules.RuleError as exc:
            errors[f"p_{param.name}"] = _("Not a valid value for this parameter (%(detail)s).") % {
                "detail": exc
            }
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def rule_set_values(*, actor: User, rule: Rule, enabled: bool, values: dict[str, Any]) -> Rule:
    """The office's switch and parameter values for a rule."""
    spec = spec_of(rule)
    cast = _cast_values(spec, values)
    before = {"enabled": rule.enabled, "values": rule.values}
    rule.enabled = enabled
    rule.values = {k: v for k, v in cast.items() if v != spec.defaults().get(k)}
    rule.updated_by = actor
    rule.save(update_fields=["enabled", "values", "updated_by", "updated_at"])
    audit.record(
        actor=actor,
        event_type=E.DATACHECK_RULE_SET,
        obj=rule,
        object_repr=rule.code,
        before=before,
        after={"enabled": rule.enabled, "values": rule.values},
    )
    return rule


@transaction.atomic
def rule_save(
    *, actor: User, organisation: Organisation, data: dict[str, Any], rule: Rule | None = None
) -> Rule:
    """Add or change a rule the office writes; the query is tried before it is saved."""
    if rule is not None and rule.builtin:
        raise Refused(_("A shipped rule is changed through its parameters only."))
    code = rule.code if rule is not None else str(data.get("code", "")).strip()
    try:
        spec = rules.parse_rule({"code": code, **{f: data.get(f) for f in SPEC_FIELDS}})
        check_spec(spec)
    except rules.RuleError as exc:
        raise ValidationError(_("The rule was not saved: %(detail)s") % {"detail": exc}) from None
    fields = _spec_dict(spec)
    if rule is None:
        if Rule.objects.filter(code=code).exists():
            raise ValidationError({"code": _("A rule with this code exists already.")})
        rule = Rule(code=code, organisation=organisation, updated_by=actor, **fields)
        rule.full_clean(exclude=["updated_by", "organisation"])
        rule.save()
        before = None
    else:
        before = {f: getattr(rule, f) for f in SPEC_FIELDS}
        for field, value in fields.items():
            setattr(rule, field, value)
        rule.revision += 1
        rule.updated_by = actor
        rule.save()
    audit.record(
        actor=actor,
        event_type=E.DATACHECK_RULE_SET,
        obj=rule,
        object_repr=rule.code,
        before=before,
        after={**fields, "revision": rule.revision},
    )
    return rule


# -- runs -------------------------------------------------------------------------------------


def current_versions(organisation: Organisation) -> list[Version]:
    """The latest accepted version of each dataset covering the area or a part of it."""
    accepted = (
        Version.objects.filter(
            dataset__organisation__path__startswith=organisation.path,
            status=Version.Status.ACCEPTED,
        )
        .select_related("dataset")
        .order_by("dataset__kind", "dataset__title", "dataset_id", "-number")
    )
    latest: dict[int, Version] = {}
    for version in accepted:
        latest.setdefault(version.dataset_id, version)
    return list(latest.values())


@transaction.atomic
def run_start(
    *,
    actor: User,
    organisation: Organisation,
    versions: Sequence[Version] | None = None,
    codes: Sequence[str] | None = None,
    background: bool = True,
) -> Run:
    """Record what will run on what and queue the job (``background=False``: the caller
    runs ``run_execute`` itself)."""
    from xuncha.core import jobs
    from xuncha.datacheck import tasks

    chosen = list(versions) if versions is not None else current_versions(organisation)
    if not chosen:
        raise Refused(_("No accepted dataset covers this area yet: import one first."))
    for version in chosen:
        if version.status != Version.Status.ACCEPTED:
            raise Refused(_("%(v)s is not accepted.") % {"v": version})
        if not version.dataset.organisation.path.startswith(organisation.path):
            raise Refused(_("%(v)s does not cover this area.") % {"v": version})
    selected = rules_for(organisation)
    if codes is not None:
        selected = selected.filter(code__in=list(codes))
    snapshot = [
        {
            "code": rule.code,
            "revision": rule.revision,
            "params": values_of(rule),
            "sql_sha256": hashlib.sha256(rule.sql.encode()).hexdigest(),
        }
        for rule in selected.order_by("code")
    ]
    if not snapshot:
        raise Refused(_("No enabled rule to run."))
    run = Run.objects.create(organisation=organisation, created_by=actor, rules=snapshot)
    run.versions.set(chosen)
    if background:
        run.job = jobs.job_start(
            actor=actor,
            kind="datacheck_run",
            label=_("Comparison run #%(n)s: %(area)s") % {"n": run.pk, "area": organisation.name},
            task=tasks.run_rules,
            run_id=run.pk,
        )
        run.save(update_fields=["job"])
    audit.record(
        actor=actor,
        event_type=E.DATACHECK_RUN,
        obj=run,
        object_repr=str(run),
        after={
            "organisation": organisation.pk,
            "versions": sorted(v.pk for v in chosen),
            "rules": snapshot,
        },
    )
    return run


def rules_for(area: Organisation) -> Any:
    """The enabled rules a run over the area may use: the shipped library and the rules of
    the offices of the area and above it."""
    return Rule.objects.filter(enabled=True).filter(
        Q(organisation__isnull=True) | Q(organisation_id__in=ancestor_ids(area.path))
    )


def registry_kinship(organisation: Organisation) -> Any:
    """Kinship links of the people registry whose both people have an ID number, as the
    engine's ``kinship`` table (the kinship of cadres the office recorded for recusal)."""
    import pyarrow as pa

    links = Kinship.objects.filter(
        person__id_number__isnull=False, relative__id_number__isnull=False
    ).values_list("person__id_number", "relative__id_number", "relation")
    rows = [(a, b, r) for a, b, r in links if a and b]
    return pa.table(
        {
            "id_a": pa.array([r[0] for r in rows], type=pa.string()),
            "id_b": pa.array([r[1] for r in rows], type=pa.string()),
            "relation": pa.array([r[2] for r in rows], type=pa.string()),
        }
    )


def _tables(versions: Sequence[Version]) -> tuple[dict[str, Any], dict[tuple[str, int], Version]]:
    """One table per kind; several versions of a kind are stacked (``rules.stack``). ID
    numbers missing from a version are filled from record linkage (``linking.fill_ids``)."""
    import pyarrow.parquet as pq

    from xuncha.datacheck import linking

    by_kind: dict[str, list[Version]] = defaultdict(list)
    for version in sorted(versions, key=lambda v: v.pk):
        by_kind[version.dataset.kind].append(version)
    tables: dict[str, Any] = {}
    blocks: dict[tuple[str, int], Version] = {}
    for kind, items in by_kind.items():
        if len(items) == 1:
            tables[kind] = linking.fill_ids(items[0], storage.parquet_path(items[0]))
            blocks[(kind, 0)] = items[0]
            continue
        for index, version in enumerate(items):
            blocks[(kind, index)] = version
        parts = [linking.fill_ids(v, pq.read_table(storage.parquet_path(v))) for v in items]
        tables[kind] = rules.stack(linking.aligned(parts))
    return tables, blocks


def run_execute(run: Run, progress: Callable[[int, int, str], None] | None = None) -> Run:
    """The run job's work: every rule of the snapshot over the run's versions."""
    run = Run.objects.select_related("organisation", "created_by").get(pk=run.pk)
    Run.objects.filter(pk=run.pk).update(status=Run.Status.RUNNING)
    versions = list(run.versions.select_related("dataset"))
    tables, blocks = _tables(versions)
    from django.conf import settings

    # DuckDB in this process, or Spark for a province (XUNCHA_DATACHECK_ENGINE).
    try:
        engine = rules.engine_for(
            settings.DATACHECK_ENGINE,
            tables,
            kinship=registry_kinship(run.organisation),
            spark_master=settings.DATACHECK_SPARK_MASTER,
            spark_conf=settings.DATACHECK_SPARK_CONF,
        )
    except Exception:
        # An engine that cannot start (no Java, a cluster out of reach) fails the run.
        Run.objects.filter(pk=run.pk).update(status=Run.Status.FAILED, finished_at=timezone.now())
        raise
    index = unit_index(run.organisation)
    results: dict[str, Any] = {}
    new_total = hits_total = 0
    try:
        for position, entry in enumerate(run.rules):
            rule = Rule.objects.get(code=entry["code"])
            if progress:
                progress(position, len(run.rules), rule.code)
            if rule.revision != entry["revision"]:
                # What ran must be what the run recorded: a rule changed while the run
                # waited for a worker is not run with the new query.
                results[rule.code] = {"missing": [], "changed": True, "hits": 0}
                continue
            spec = spec_of(rule)
            missing = engine.missing(spec)
            if missing:
                results[rule.code] = {"missing": missing, "hits": 0, "new": 0, "judged": 0}
                continue
            try:
                hits = engine.run(spec, entry["params"])
            except rules.RuleError as exc:
                # An office's rule that fails on these data does not stop the others.
                results[rule.code] = {"missing": [], "error": str(exc)[:500], "hits": 0}
                continue
            counts = _store_hits(run, rule, spec, hits, engine, blocks, index)
            results[rule.code] = {"missing": [], **counts}
            new_total += counts["new"]
            hits_total += counts["hits"]
    except Exception:
        Run.objects.filter(pk=run.pk).update(status=Run.Status.FAILED, finished_at=timezone.now())
        raise
    finally:
        engine.close()
    Run.objects.filter(pk=run.pk).update(
        status=Run.Status.DONE,
        results=results,
        findings_new=new_total,
        findings_total=hits_total,
        finished_at=timezone.now(),
    )
    if progress:
        progress(len(run.rules), len(run.rules), "")
    run.refresh_from_db()
    return run


def _evidence_rows(
    hits: Sequence[rules.Hit], engine: rules.Engine
) -> dict[tuple[str, int], dict[str, Any]]:
    """Every evidence row of a rule's hits, one query per dataset kind."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for hit in hits:
        for kind, number in hit.evidence:
            wanted[kind].add(number)
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for kind, numbers in wanted.items():
        for data in engine.rows(kind, sorted(numbers)):
            found[(kind, data["_row"])] = {
                k: rules.jsonable(v) for k, v in data.items() if k != "_row"
            }
    return found


def _evidence(
    hit: rules.Hit,
    rows: dict[tuple[str, int], dict[str, Any]],
    blocks: dict[tuple[str, int], Version],
) -> list[dict[str, Any]]:
    """The hit's rows with the version and file row each came from."""
    out = []
    for kind, row in hit.evidence:
        block, file_row = rules.unstack(row)
        version = blocks.get((kind, block))
        out.append(
            {
                "kind": kind,
                "version": version.pk if version else None,
                "row": file_row,
                "data": rows.get((kind, row), {}),
            }
        )
    return out


def unit_index(area: Organisation) -> list[tuple[str, int, int]]:
    """(name, depth, id) of the active organisations of the area's county, for ``unit_for``."""
    county = county_of(area)
    return list(
        Organisation.objects.filter(path__startswith=county.path, is_active=True)
        .exclude(pk=county.pk)
        .values_list("name", "depth", "pk")
    )


def unit_for(place: str, index: Sequence[tuple[str, int, int]]) -> int | None:
    """The organisation a finding's place names. Places are written from the general to the
    particular ("东山镇 前村"), so the last word that is an organisation's name wins; with no
    such word, the longest name of three characters or more inside the place ("青岚县东山镇
    人民政府" names 东山镇), then the deepest. None when nothing matches, or when two
    organisations match equally well (two villages of one name)."""
    words = place.split()
    by_word = [(words[::-1].index(name), pk) for name, _depth, pk in index if name in words]
    if by_word:
        by_word.sort()
        if len(by_word) > 1 and by_word[1][0] == by_word[0][0]:
            return None
        return by_word[0][1]
    inside = sorted(
        ((len(name), depth, pk) for name, depth, pk in index if len(name) >= 3 and name in place),
        reverse=True,
    )
    if not inside or (len(inside) > 1 and inside[1][:2] == inside[0][:2]):
        return None
    return inside[0][2]


def _store_hits(
    run: Run,
    rule: Rule,
    spec: rules.RuleSpec,
    hits: Sequence[rules.Hit],
    engine: rules.Engine,
    blocks: dict[tuple[str, int], Version],
    index: Sequence[tuple[str, int, int]],
) -> dict[str, int]:
    counts = {"hits": len(hits), "new": 0, "judged": 0, "updated": 0}
    rows = _evidence_rows(hits, engine)
    with transaction.atomic():
        existing = {
            f.key: f for f in Finding.objects.filter(organisation=run.organisation, rule=rule)
        }
        for hit in hits:
            subjects = [{"id": i, "name": n} for i, n in hit.subjects]
            names = "、".join(n for _i, n in hit.subjects)[:300]
            fields = {
                "subjects": subjects,
                "names": names,
                "place": hit.organisation[:200],
                "unit_id": unit_for(hit.organisation, index),
                "facts": {k: rules.jsonable(v) for k, v in hit.facts.items()},
                "evidence": _evidence(hit, rows, blocks),
                "explanation_zh": rules.explain(
                    spec.explain_zh, hit.facts, hit.subjects, hit.organisation
                ),
                "explanation_en": rules.explain(
                    spec.explain_en, hit.facts, hit.subjects, hit.organisation
                ),
                "last_run": run,
            }
            finding = existing.get(hit.key[:300])
            if finding is None:
                Finding.objects.create(
                    organisation=run.organisation,
                    rule=rule,
                    key=hit.key[:300],
                    first_run=run,
                    **fields,
                )
                counts["new"] += 1
            elif finding.status != Finding.Status.TO_CHECK:
                # Judged already: not repeated, not changed; the run is noted.
                finding.last_run = run
                finding.save(update_fields=["last_run"])
                counts["judged"] += 1
            else:
                for field, value in fields.items():
                    setattr(finding, field, value)
                finding.save()
                counts["updated"] += 1
    return counts


# -- findings ---------------------------------------------------------------------------------


@transaction.atomic
def finding_read(*, actor: User, finding: Finding) -> None:
    audit.record(
        actor=actor,
        event_type=E.DATACHECK_FINDING_READ,
        obj=finding,
        object_repr=f"{finding.rule.code} #{finding.pk}",
    )


@transaction.atomic
def finding_judge(*, actor: User, finding: Finding, status: str, reason: str = "") -> Finding:
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    if status not in Finding.Status.values:
        raise ValidationError({"status": _("Choose a status.")})
    if finding.record_id is not None:
        raise Refused(_("This finding is already a problem or clue; it is judged there now."))
    reason = reason.strip()
    if status == Finding.Status.FALSE_POSITIVE and not reason:
        raise ValidationError({"reason": _("Say why this is a false positive.")})
    before = {"status": finding.status, "reason": finding.reason}
    finding.status = status
    finding.reason = reason
    finding.judged_by = actor if status != Finding.Status.TO_CHECK else None
    finding.judged_at = timezone.now() if status != Finding.Status.TO_CHECK else None
    finding.save(update_fields=["status", "reason", "judged_by", "judged_at"])
    audit.record(
        actor=actor,
        event_type=E.DATACHECK_FINDING_JUDGED,
        obj=finding,
        object_repr=f"{finding.rule.code} #{finding.pk}",
        before=before,
        after={"status": finding.status, "reason": finding.reason},
    )
    return finding


def county_of(organisation: Organisation) -> Organisation:
    """The county (or the area itself when above a county): a township's benefit list may
    point at a county bureau, which a round inspects as its target."""
    found = (
        Organisation.objects.filter(
            pk__in=ancestor_ids(organisation.path), kind__in=("county", "prefecture", "province")
        )
        .order_by("-depth")
        .first()
    )
    return found or organisation


def _subject_inputs(finding: Finding) -> list[Any]:
    """The finding's people as the record's subjects, linked to the people registry where
    an ID number is there (companies, named by credit code, stay names)."""
    from xuncha.clues import services as clue_services
    from xuncha.core.models import Person

    ids = [s["id"] for s in finding.subjects if s.get("id")]
    people = {p.id_number: p for p in Person.objects.filter(id_number__in=ids)}
    return [
        clue_services.SubjectInput(name=s["name"][:60], person=people.get(s.get("id")))
        for s in finding.subjects[:20]
    ]


@transaction.atomic
def finding_to_record(
    *,
    actor: User,
    finding: Finding,
    round_: Any,
    target: Organisation,
    kind: str,
    team: Any = None,
    title: str = "",
) -> Any:
    """A confirmed finding becomes a problem or clue (issue #5), with itself as evidence."""
    from xuncha.clues import services as clue_services
    from xuncha.clues.models import Source

    finding = Finding.objects.select_for_update().select_related("rule").get(pk=finding.pk)
    if finding.status != Finding.Status.CONFIRMED:
        raise Refused(_("Only a confirmed finding becomes a problem or clue."))
    if finding.record_id is not None:
        raise Refused(_("This finding is already a problem or clue."))
    if not target.path.startswith(county_of(finding.organisation).path):
        raise Refused(_("The target lies outside the area of the finding."))
    explanation = finding.explanation_zh
    record = clue_services.record_create(
        actor=actor,
        round_=round_,
        target=target,
        team=team,
        kind=kind,
        title=(title.strip() or f"{finding.rule.name_zh}：{finding.names}")[:200],
        description=explanation,
        source=Source.DATASET,
        subjects=_subject_inputs(finding),
    )
    clue_services.evidence_add(actor=actor, record=record, obj=finding, excerpt=explanation)
    finding.record = record
    finding.save(update_fields=["record"])
    audit.record(
        actor=actor,
        event_type=E.DATACHECK_FINDING_TO_CLUE,
        obj=finding,
        object_repr=f"{finding.rule.code} #{finding.pk}",
        after={"record": record.pk, "kind": kind},
    )
    return record


@transaction.atomic
def errors_downloaded(*, actor: User, version: Version) -> None:
    """The error report quotes the rejected values (personal data): its reads are audited."""
    audit.record(
        actor=actor,
        event_type=E.DATACHECK_EXPORTED,
        obj=version,
        object_repr=str(version),
        extra={"file": "error report", "rejected": version.rows_rejected},
    )


def confirmed_counts(organisation_ids: Iterable[int]) -> dict[int, int]:
    """Confirmed findings per organisation concerned (for profiles and the plan proposer)."""
    from django.db.models import Count

    rows = (
        Finding.objects.filter(status=Finding.Status.CONFIRMED, unit_id__in=list(organisation_ids))
        .values_list("unit_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return dict(rows)


@transaction.atomic
def findings_exported(*, actor: User, count: int, filters: dict[str, Any]) -> None:
    audit.record(
        actor=actor,
        event_type=E.DATACHECK_EXPORTED,
        object_repr=_("%(n)s findings") % {"n": count},
        extra={"filters": filters, "count": count},
    )


__all__ = ["Kind", "Refused"]
