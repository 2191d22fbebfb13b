"""Record linkage in the web app (issue #9): link runs, clerical review, remembered
decisions, and ID numbers found by linkage for the rules.

A link run finds the people of one dataset version (``right``, such as a village roster
without ID numbers) in another (``left``, such as the household registry), or the
duplicates within one version (no ``right``). The job reads both versions' Parquet files,
gives the kind's columns their linkage roles (the row number ``_row`` is the record's id),
prepares and scores them with ``lib.link`` (trained on the lists themselves when both hold
at least ``TRAIN_MIN`` records, otherwise scored with the model shipped with Xuncha) and
keeps the pairs from the review threshold up.

Each record gets a key, a hash of its prepared features, so that a person's row keeps its
key when the list is imported again. A decision on a pair (accepted: the same person;
rejected: not) is kept per county by the two keys and holds for every later run: an
accepted pair is a link whatever its probability (a run scores such a pair even when it
fell below the review threshold), a rejected one never is.

``linked_ids`` gives, for the right version of the newest finished run whose left list has
ID numbers, the ID number of each right row's one link; ``fill_ids`` writes them into the
rows whose ID number is missing before the rules run, with the pair and its probability,
which the finding's evidence keeps.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xuncha.core import audit, policy
from xuncha.core.models import AuditEventType as E
from xuncha.core.models import Organisation, User
from xuncha.datacheck import storage
from xuncha.datacheck.lib import link
from xuncha.datacheck.lib.schema import ROW, SCHEMA
from xuncha.datacheck.models import LinkDecision, LinkPair, LinkRun, Version
from xuncha.datacheck.permissions import DATACHECK_CHANGE
from xuncha.datacheck.services import Refused, county_of

logger = logging.getLogger(__name__)

TRAIN_MIN = 2000  # records on each side below which the shipped model scores the pairs
PERSON_KINDS = tuple(kind for kind, columns in SCHEMA.items() if "name" in columns)
# The features a record's key is made of (the name keys derive from the name's text; the
# year estimated from an age depends on the day it is counted on, so the age as written
# goes into the key instead).
KEY_FEATURES = (
    "name_text",
    "gender",
    "birth_date",
    "birth_month",
    "birth_year",
    "id_number",
    "county",
    "township",
    "village",
    "address_rest",
    "phone",
    "household",
    "organisation",
)
# Columns added to a version's table for the rules where an ID number came from linkage:
# the engine keeps them, and a finding's evidence rows carry them.
LINK_PAIR = "_link_pair"
LINK_PROBABILITY = "_link_probability"
BATCH = 2000
DECISION_LINK = LinkDecision.Decision.ACCEPTED
DECISION_NOT = LinkDecision.Decision.REJECTED


def roles_for(kind: str) -> dict[str, str]:
    """Linkage role -> column of a kind's Parquet table (the row number is the id)."""
    roles = {column: column for column in SCHEMA[kind] if column in link.ROLES}
    roles["id"] = ROW
    return roles


def engine_name() -> str:
    return str(getattr(settings, "DATACHECK_ENGINE", "duckdb"))


def _spark(engine: str) -> Any:
    """The Spark session of the settings' master for the Spark engine (None for DuckDB)."""
    if engine != "spark":
        return None
    from xuncha.datacheck.lib import spark as spark_lib

    return spark_lib.session(
        getattr(settings, "DATACHECK_SPARK_MASTER", None),
        getattr(settings, "DATACHECK_SPARK_CONF", None),
    )


def _sorted_keys(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


# -- starting and running -----------------------------------------------------------------------


def _check_version(version: Version, area: Organisation) -> None:
    if version.status != Version.Status.ACCEPTED:
        raise Refused(_("%(v)s is not accepted.") % {"v": version})
    if not version.dataset.organisation.path.startswith(area.path):
        raise Refused(_("%(v)s does not cover this area.") % {"v": version})
    if version.dataset.kind not in PERSON_KINDS:
        raise Refused(_("%(v)s is not a list of people.") % {"v": version})


@transaction.atomic
def link_start(
    *,
    actor: User,
    area: Organisation,
    left: Version,
    right: Version | None = None,
    thresholds: link.Thresholds = link.DEFAULT_THRESHOLDS,
    background: bool = True,
) -> LinkRun:
    """Record what will be linked and queue the job (``background=False``: the caller runs
    ``link_execute`` itself, as the demo does)."""
    from xuncha.core import jobs
    from xuncha.datacheck import tasks

    if right is not None and right.pk == left.pk:
        right = None  # the same list on both sides: its duplicates
    for version in (left, right):
        if version is not None:
            _check_version(version, area)
    run = LinkRun.objects.create(
        area=area,
        left=left,
        right=right,
        match_threshold=thresholds.match,
        review_threshold=thresholds.review,
        engine=engine_name(),
        created_by=actor,
    )
    if background:
        names = {"n": run.pk, "left": left, "right": right or _("duplicates")}
        run.job = jobs.job_start(
            actor=actor,
            kind="datacheck_link",
            label=_("Record linkage L%(n)s: %(left)s – %(right)s") % names,
            task=tasks.link_records,
            link_run_id=run.pk,
        )
        run.save(update_fields=["job"])
    audit.record(
        actor=actor,
        event_type=E.DATACHECK_LINK_RUN,
        obj=run,
        object_repr=str(run),
        after={
            "area": area.pk,
            "left": left.pk,
            "right": right.pk if right is not None else None,
            "match": thresholds.match,
            "review": thresholds.review,
            "engine": run.engine,
        },
    )
    return run


def prepare_missing_features() -> int:
    """Features for every accepted version of the kinds pages search
    (``services.FEATURES_AT_IMPORT``) that lacks them or has an older stamp: versions
    imported before features were kept, and all of them after a library upgrade."""
    from xuncha.datacheck.services import FEATURES_AT_IMPORT

    done = 0
    versions = Version.objects.filter(
        status=Version.Status.ACCEPTED, dataset__kind__in=FEATURES_AT_IMPORT
    ).select_related("dataset")
    for version in versions.order_by("pk"):
        if storage.parquet_path(version).exists() and not features_ready(version):
            features_file(version)
            done += 1
    return done


def _read(version: Version) -> pa.Table:
    import pyarrow.parquet as pq

    return pq.read_table(storage.parquet_path(version))


def _prepared(version: Version) -> tuple[pa.Table, pa.Table, list[dict[str, Any]]]:
    """The version's rows, their features and the problems found (without the values)."""
    prepared, problems = features(version)
    return _read(version), prepared, problems


_STAMP = b"xuncha.link.features"
_PROBLEMS = b"xuncha.link.problems"


def features(version: Version) -> tuple[pa.Table, list[dict[str, Any]]]:
    """A list of people's linkage features (``link.prepare``; the id is the row number) and
    the problems found (row, role and message, never the value): see ``features_file``."""
    import pyarrow.parquet as pq

    table = pq.read_table(features_file(version))
    problems = json.loads((table.schema.metadata or {})[_PROBLEMS])
    return table.replace_schema_metadata(None), problems


def features_ready(version: Version) -> bool:
    """Whether a version's kept linkage features are there and of today's
    ``link.FEATURES_STAMP``."""
    import pyarrow.parquet as pq

    path = storage.features_path(version)
    if not path.exists():
        return False
    meta = pq.read_schema(path).metadata or {}
    return meta.get(_STAMP) == link.FEATURES_STAMP.encode()


def features_file(version: Version) -> Path:
    """Where a version's linkage features are kept (``storage.features_path``), prepared
    first when they are not ``features_ready``: they are prepared once per version, about
    half a minute per million records, so in jobs (the import, a link run, the scheduled
    ``tasks.prepare_features``), never in a page."""
    import pyarrow.parquet as pq

    path = storage.features_path(version)
    if features_ready(version):
        return path
    source = _read(version)
    prepared, found = link.prepare(
        source, roles_for(version.dataset.kind), on=version.extracted_on, side=str(version)
    )
    rows = source.column(ROW).to_pylist()
    problems = [{"row": rows[p.row - 1], "role": p.role, "message": p.message} for p in found]
    meta = {_STAMP: link.FEATURES_STAMP.encode(), _PROBLEMS: json.dumps(problems).encode()}
    # Written aside and moved into place: a reader never sees half a file.
    partial = path.with_name(f"{path.name}.{os.getpid()}-{secrets.token_hex(4)}.partial")
    try:
        pq.write_table(prepared.replace_schema_metadata(meta), partial, compression="zstd")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def record_keys(features: pa.Table, source: pa.Table) -> dict[int, str]:
    """``_row`` -> the record's key: a hash of its prepared features and its age as written."""
    ages: dict[int, Any] = {}
    if "age" in source.column_names:
        ages = dict(
            zip(source.column(ROW).to_pylist(), source.column("age").to_pylist(), strict=True)
        )
    ids = [int(i) for i in features.column("unique_id").to_pylist()]
    values = features.select(list(KEY_FEATURES)).to_pylist()
    out: dict[int, str] = {}
    for row, record in zip(ids, values, strict=True):
        text = json.dumps([record, ages.get(row)], ensure_ascii=False, sort_keys=True)
        out[row] = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
    return out


def _score(
    run: LinkRun, left: pa.Table, right: pa.Table | None, thresholds: link.Thresholds
) -> tuple[pa.Table | None, dict[str, Any], bool]:
    """The scored pairs (None when a side is empty), the model used and whether it was
    trained on these lists. The shipped model scores small lists (its prior of a match set
    from the lists' sizes by ``link.run``)."""
    sizes = [left.num_rows] + ([right.num_rows] if right is not None else [])
    if min(sizes) == 0 or (right is None and left.num_rows < 2):
        return None, {}, False
    if min(sizes) >= TRAIN_MIN:
        try:
            result = link.run(
                left, right, thresholds=thresholds, engine=run.engine, spark=_spark(run.engine)
            )
            return result.pairs, result.model, True
        except link.LinkError:
            raise
        except Exception:
            # Training can fail on unusual lists (no pair agreeing on a training block);
            # the shipped model still scores them.
            logger.warning(
                "link run %s: training failed, the shipped model scores", run.pk, exc_info=True
            )
    result = link.run(
        left,
        right,
        thresholds=thresholds,
        model=link.default_model(),
        engine=run.engine,
        spark=_spark(run.engine),
    )
    return result.pairs, result.model, False


def decisions_in(area: Organisation) -> dict[tuple[str, str], LinkDecision]:
    """The decisions kept for the area's county, by their (sorted) keys."""
    return {
        (d.left_key, d.right_key): d
        for d in LinkDecision.objects.filter(area=county_of(area)).select_related("decided_by")
    }


def decided_q(run: LinkRun, decision: str | None = None) -> Any:
    """A filter of the run's pairs with a decision (of a kind) kept for the run's county,
    whichever side each key is on: ``decisions_in`` and ``decision_of`` as a query."""
    from django.db.models import Exists, OuterRef, Q

    kept = LinkDecision.objects.filter(area=county_of(run.area))
    if decision is not None:
        kept = kept.filter(decision=decision)
    same = kept.filter(left_key=OuterRef("left_key"), right_key=OuterRef("right_key"))
    swapped = kept.filter(left_key=OuterRef("right_key"), right_key=OuterRef("left_key"))
    return Q(Exists(same)) | Q(Exists(swapped))


def _rescore_accepted(
    run: LinkRun,
    left: pa.Table,
    right: pa.Table | None,
    keys: tuple[dict[int, str], dict[int, str]],
    found: set[tuple[str, str]],
    decisions: dict[tuple[str, str], LinkDecision],
    model: dict[str, Any],
) -> pa.Table | None:
    """Pairs someone accepted that this run did not keep (scored below the review
    threshold, or not compared): scored again with the run's model, just those pairs."""
    left_keys, right_keys = keys
    wanted = {k for k, d in decisions.items() if d.decision == DECISION_LINK} - found
    if not wanted:
        return None
    partners: dict[str, set[str]] = {}
    for a, b in wanted:
        partners.setdefault(a, set()).add(b)
        partners.setdefault(b, set()).add(a)
    rows_of: dict[str, list[int]] = {}
    for row, key in right_keys.items():
        if key in partners:
            rows_of.setdefault(key, []).append(row)
    pairs: list[tuple[str, str]] = []
    for left_row, key in left_keys.items():
        for other in sorted(partners.get(key, ())):
            for right_row in rows_of.get(other, []):
                if right is None and right_row <= left_row:
                    continue  # one list: each pair of rows once
                pairs.append((str(left_row), str(right_row)))
    if not pairs:
        return None
    return link.score(
        left,
        right,
        pairs,
        model=model,
        thresholds=link.Thresholds(run.match_threshold, run.review_threshold),
        engine=run.engine,
        spark=_spark(run.engine),
    )


def _pair_objects(
    run: LinkRun,
    pairs: pa.Table,
    keys: tuple[dict[int, str], dict[int, str]],
    band: str | None = None,
) -> list[LinkPair]:
    left_keys, right_keys = keys
    fields = [c.field for c in link.COMPARISONS]
    out = []
    for row in pairs.to_pylist():
        left_row, right_row = int(row["left_id"]), int(row["right_id"])
        out.append(
            LinkPair(
                run=run,
                left_row=left_row,
                right_row=right_row,
                probability=float(row["match_probability"]),
                weight=float(row["match_weight"]),
                band=band or row["band"],
                levels={f: row[f] for f in fields},
                left_key=left_keys[left_row],
                right_key=right_keys[right_row],
            )
        )
    return out


def is_link(band: str, decision: str | None) -> bool:
    """Accepted pairs are links whatever the band; rejected ones never; the others from
    the link band."""
    if decision is not None:
        return decision == DECISION_LINK
    return band == LinkPair.Band.MATCH


def link_execute(run: LinkRun, progress: Callable[[int, int, str], None] | None = None) -> LinkRun:
    """The link job's work: read, prepare, score, keep the pairs with the decisions made."""
    run = LinkRun.objects.select_related("area", "left__dataset", "right__dataset").get(pk=run.pk)
    if run.status != LinkRun.Status.QUEUED:
        raise Refused(_("This link run is not waiting to run."))
    LinkRun.objects.filter(pk=run.pk).update(status=LinkRun.Status.RUNNING)
    steps = 4

    def step(done: int, message: str) -> None:
        if progress is not None:
            progress(done, steps, message)

    try:
        step(0, _("Reading and preparing the records"))
        left_source, left, left_problems = _prepared(run.left)
        problems = [{"side": "left", **p} for p in left_problems]
        right = right_source = None
        if run.right is not None:
            right_source, right, right_problems = _prepared(run.right)
            problems += [{"side": "right", **p} for p in right_problems]
        left_keys = record_keys(left, left_source)
        right_keys = record_keys(right, right_source) if right is not None else left_keys
        keys = (left_keys, right_keys)
        step(1, _("Scoring pairs"))
        thresholds = link.Thresholds(run.match_threshold, run.review_threshold)
        pairs, model, trained = _score(run, left, right, thresholds)
        step(2, _("Applying the decisions made"))
        decisions = decisions_in(run.area)
        objects = _pair_objects(run, pairs, keys) if pairs is not None else []
        found = {_sorted_keys(p.left_key, p.right_key) for p in objects}
        below = None
        if pairs is not None:
            below = _rescore_accepted(run, left, right, keys, found, decisions, model)
        if below is not None:
            for pair in _pair_objects(run, below, keys):
                band = thresholds.band(pair.probability)
                pair.band = LinkPair.Band.BELOW if band == "non_match" else band
                objects.append(pair)
        step(3, _("Keeping the pairs"))
        links = 0
        for pair in objects:
            decision = decisions.get(_sorted_keys(pair.left_key, pair.right_key))
            links += is_link(pair.band, decision.decision if decision else None)
        with transaction.atomic():
            LinkPair.objects.bulk_create(objects, batch_size=BATCH)
            bands = Counter(p.band for p in objects)
            LinkRun.objects.filter(pk=run.pk).update(
                status=LinkRun.Status.DONE,
                model=model,
                trained=trained,
                left_records=left.num_rows,
                right_records=right.num_rows if right is not None else 0,
                pairs_total=len(objects),
                matches=bands[LinkPair.Band.MATCH],
                reviews=bands[LinkPair.Band.REVIEW],
                links=links,
                problems=problems,
                finished_at=timezone.now(),
            )
    except Exception as exc:
        # The message says what is wrong with the lists (no record's content).
        known = isinstance(exc, link.LinkError | OSError | Refused)
        LinkRun.objects.filter(pk=run.pk).update(
            status=LinkRun.Status.FAILED,
            error=str(exc)[:500] if known else type(exc).__name__,
            finished_at=timezone.now(),
        )
        raise
    step(steps, "")
    run.refresh_from_db()
    return run


# -- reading and deciding ------------------------------------------------------------------------


def rows_of(version: Version, rows: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Some rows of a version's Parquet file, by ``_row``."""
    import pyarrow.parquet as pq

    wanted = sorted({int(r) for r in rows})
    if not wanted:
        return {}
    table = pq.read_table(
        storage.parquet_path(version),
        filters=[(ROW, "in", wanted)],
        columns=[ROW, *SCHEMA[version.dataset.kind]],
    )
    return {r[ROW]: r for r in table.to_pylist()}


@transaction.atomic
def pairs_read(*, actor: User, run: LinkRun, view: str, count: int) -> None:
    """Pairs show two people's records side by side (personal data): their reads are
    audited, as a finding's are."""
    audit.record(
        actor=actor,
        event_type=E.DATACHECK_LINK_READ,
        obj=run,
        object_repr=str(run),
        extra={"view": view, "pairs": count},
    )


@transaction.atomic
def pairs_exported(*, actor: User, run: LinkRun, count: int, filters: dict[str, Any]) -> None:
    audit.record(
        actor=actor,
        event_type=E.DATACHECK_LINK_EXPORTED,
        obj=run,
        object_repr=str(run),
        extra={"filters": filters, "count": count},
    )


def decision_of(pair: LinkPair, decisions: dict[tuple[str, str], LinkDecision]) -> Any:
    return decisions.get(_sorted_keys(pair.left_key, pair.right_key))


@transaction.atomic
def decide(*, actor: User, pair: LinkPair, accepted: bool, reason: str = "") -> LinkDecision:
    """Accept (the same person) or reject a pair; the decision is kept by the records'
    keys for the county and used by every later run. Deciding again changes it."""
    run = pair.run
    if not policy.allows(actor, DATACHECK_CHANGE, run):
        raise PermissionDenied
    area = county_of(run.area)
    left_key, right_key = _sorted_keys(pair.left_key, pair.right_key)
    existing = (
        LinkDecision.objects.select_for_update()
        .filter(area=area, left_key=left_key, right_key=right_key)
        .first()
    )
    before = {"decision": existing.decision, "reason": existing.reason} if existing else None
    decision = existing or LinkDecision(area=area, left_key=left_key, right_key=right_key)
    decision.decision = DECISION_LINK if accepted else DECISION_NOT
    decision.reason = reason.strip()
    decision.pair = pair
    decision.decided_by = actor
    decision.decided_at = timezone.now()
    decision.save()
    audit.record(
        actor=actor,
        event_type=E.DATACHECK_LINK_DECIDED,
        obj=decision,
        object_repr=f"{run} #{pair.pk}",
        before=before,
        after={"decision": decision.decision, "reason": decision.reason},
        extra={"run": run.pk, "pair": pair.pk, "probability": pair.probability},
    )
    return decision


@transaction.atomic
def undo(*, actor: User, pair: LinkPair) -> None:
    """Take back the decision on a pair: it goes back to the review queue (or the links)."""
    run = pair.run
    if not policy.allows(actor, DATACHECK_CHANGE, run):
        raise PermissionDenied
    left_key, right_key = _sorted_keys(pair.left_key, pair.right_key)
    decision = (
        LinkDecision.objects.select_for_update()
        .filter(area=county_of(run.area), left_key=left_key, right_key=right_key)
        .first()
    )
    if decision is None:
        raise Refused(_("No decision was made on this pair."))
    audit.record(
        actor=actor,
        event_type=E.DATACHECK_LINK_DECIDED,
        obj=decision,
        object_repr=f"{run} #{pair.pk}",
        before={"decision": decision.decision, "reason": decision.reason},
        extra={"run": run.pk, "pair": pair.pk, "undone": True},
    )
    decision.delete()


# -- ID numbers from linkage for the rules -------------------------------------------------------


def _newest_run(version: Version) -> LinkRun | None:
    """The newest finished run with the version on the right and, on the left, a list that
    has ID numbers."""
    runs = (
        LinkRun.objects.filter(right=version, status=LinkRun.Status.DONE)
        .select_related("left__dataset", "area")
        .order_by("-finished_at", "-pk")
    )
    return next((r for r in runs if "id_number" in SCHEMA[r.left.dataset.kind]), None)


def linked_ids(version: Version) -> dict[int, tuple[str, float, int]]:
    """``_row`` of the version -> (ID number, probability, pair id) found by linkage.

    From the newest finished run with the version on the right and a left list with ID
    numbers: the pairs that are links (the link band, or accepted) and not rejected; for
    each right row its best link (accepted first, then the most probable), and only where
    that left record is the best link of no other right row (two rows of a roster cannot
    both be one registered person)."""
    run = _newest_run(version)
    if run is None:
        return {}
    decisions = decisions_in(run.area)
    best: dict[int, tuple[tuple[bool, float, int], LinkPair]] = {}
    for pair in run.pairs.only(
        "pk", "left_row", "right_row", "probability", "band", "left_key", "right_key"
    ):
        decision = decision_of(pair, decisions)
        if not is_link(pair.band, decision.decision if decision else None):
            continue
        rank = (decision is not None, pair.probability, -pair.pk)
        if pair.right_row not in best or rank > best[pair.right_row][0]:
            best[pair.right_row] = (rank, pair)
    uses = Counter(pair.left_row for _rank, pair in best.values())
    chosen = {row: pair for row, (_rank, pair) in best.items() if uses[pair.left_row] == 1}
    if not chosen:
        return {}
    left_rows = rows_of(run.left, (p.left_row for p in chosen.values()))
    out: dict[int, tuple[str, float, int]] = {}
    for row, pair in chosen.items():
        number = left_rows.get(pair.left_row, {}).get("id_number")
        if number:
            out[row] = (str(number), pair.probability, pair.pk)
    return out


def fill_ids(version: Version, table: Path | pa.Table) -> Path | pa.Table:
    """The version's table with missing ID numbers filled from linkage (``linked_ids``) and
    the columns ``_link_pair`` and ``_link_probability`` saying where they came from; the
    table (or path) as given when linkage has nothing to add."""
    import pyarrow.parquet as pq

    if "id_number" not in SCHEMA[version.dataset.kind]:
        return table
    found = linked_ids(version)
    if not found:
        return table
    data = table if isinstance(table, pa.Table) else pq.read_table(table)
    numbers = data.column("id_number").to_pylist()
    pair_ids: list[int | None] = []
    probabilities: list[float | None] = []
    for index, row in enumerate(data.column(ROW).to_pylist()):
        link_found = found.get(row) if numbers[index] in (None, "") else None
        if link_found is None:
            pair_ids.append(None)
            probabilities.append(None)
            continue
        numbers[index] = link_found[0]
        probabilities.append(link_found[1])
        pair_ids.append(link_found[2])
    position = data.schema.get_field_index("id_number")
    data = data.set_column(position, "id_number", pa.array(numbers, pa.string()))
    return data.append_column(LINK_PAIR, pa.array(pair_ids, pa.int64())).append_column(
        LINK_PROBABILITY, pa.array(probabilities, pa.float64())
    )


def aligned(tables: Sequence[pa.Table]) -> list[pa.Table]:
    """Tables of one kind with the same columns, for stacking: the linkage columns one of
    them has are added to the others, empty."""
    extra = [c for c in (LINK_PAIR, LINK_PROBABILITY) if any(c in t.column_names for t in tables)]
    types = {LINK_PAIR: pa.int64(), LINK_PROBABILITY: pa.float64()}
    out = []
    for table in tables:
        for column in extra:
            if column not in table.column_names:
                table = table.append_column(column, pa.nulls(table.num_rows, types[column]))
        out.append(table)
    return out
