"""The comparison without the web database: a manifest of files in, a findings CSV out.

Issue #8 ("CLI for use without the web database: ``xuncha datacheck scan --manifest
MANIFEST.yaml --out findings.csv``"). The manifest names each file, its dataset kind and,
where the automatic header mapping needs help, the column mapping (docs/formats/manifest.md)::

    county: 示例县
    datasets:
      - kind: benefit
        file: 低保发放.csv            # relative to the manifest
        department: 县民政局
        extracted: 2026-10-31
        columns: {享受人: name}       # optional: header text (or column number, from 1) -> field
    rules: my-rules.yaml             # optional: more rules, same format as the library

Every file is read and checked as the web import does; a file with rejected rows stops
the scan (nothing is compared) unless ``accept_rejected`` is set, and the rejected rows are
written next to the output as ``<out>.errors.csv``. Several files of one kind are stacked.
``--engine spark`` runs the same rules on Spark (``datacheck.lib.spark``): the same findings.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from xuncha.datacheck.lib import ingest, readers, rules
from xuncha.datacheck.lib.headers import FIELDS, KINDS


class ManifestError(ValueError):
    """The manifest is wrong; the message says where."""


@dataclass(frozen=True)
class Entry:
    kind: str
    file: Path
    department: str = ""
    extracted: str = ""
    columns: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Manifest:
    path: Path
    county: str
    entries: tuple[Entry, ...]
    rule_files: tuple[Path, ...]


def load_manifest(path: Path) -> Manifest:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: cannot be read as YAML ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("datasets"), list):
        raise ManifestError(f"{path}: needs a list under 'datasets'")
    entries = []
    for number, item in enumerate(data["datasets"], start=1):
        where = f"{path}: dataset {number}"
        if not isinstance(item, dict):
            raise ManifestError(f"{where}: must be a mapping with kind and file")
        kind = str(item.get("kind", ""))
        if kind not in KINDS:
            raise ManifestError(f"{where}: unknown kind {kind!r} (one of {', '.join(KINDS)})")
        if not item.get("file"):
            raise ManifestError(f"{where}: 'file' is missing")
        file = (path.parent / str(item["file"])).resolve()
        if not file.is_file():
            raise ManifestError(f"{where}: file {item['file']} not found")
        columns = item.get("columns") or {}
        if not isinstance(columns, dict):
            raise ManifestError(f"{where}: 'columns' must map headers to fields")
        for header, target in columns.items():
            if target not in FIELDS:
                raise ManifestError(f"{where}: column {header!r}: unknown field {target!r}")
        extracted = item.get("extracted", "")
        if isinstance(extracted, dt.date):
            extracted = extracted.isoformat()
        entries.append(
            Entry(
                kind=kind,
                file=file,
                department=str(item.get("department", "")),
                extracted=str(extracted),
                columns={str(k): str(v) for k, v in columns.items()},
            )
        )
    extra = data.get("rules") or []
    rule_files = tuple(
        (path.parent / str(p)).resolve() for p in ([extra] if isinstance(extra, str) else extra)
    )
    return Manifest(path, str(data.get("county", "")), tuple(entries), rule_files)


def _columns(entry: Entry, preview: ingest.Preview) -> dict[int, str]:
    columns = dict(preview.mapping.columns)
    for header, target in entry.columns.items():
        if header.isdigit():
            index = int(header) - 1
        else:
            matches = [i for i, h in enumerate(preview.headers) if h == header]
            if not matches:
                raise ManifestError(f"{entry.file.name}: no column headed {header!r}")
            index = matches[0]
        columns = {i: f for i, f in columns.items() if f != target}
        columns[index] = target
    return columns


@dataclass
class Imported:
    entry: Entry
    table: Any
    errors: list[ingest.RowError]
    total: int


def import_entry(entry: Entry) -> Imported:
    try:
        sheet = readers.read(entry.file)
        preview = ingest.preview(sheet, entry.kind)
    except readers.UnreadableFile as exc:
        raise ManifestError(f"{entry.file.name}: {exc}") from None
    columns = _columns(entry, preview)
    problems = ingest.mapping_problems(columns, entry.kind)
    if problems:
        raise ManifestError(f"{entry.file.name}: " + "; ".join(problems))
    result = ingest.normalise_rows(
        sheet, entry.kind, columns, preview.data_start, list(preview.headers)
    )
    return Imported(entry, result.table, result.errors, result.total)


@dataclass
class ScanResult:
    hits: list[rules.Hit]
    errors: list[tuple[str, ingest.RowError]]
    skipped: dict[str, list[str]]  # rule code -> kinds missing
    rows: dict[str, int]  # kind -> valid rows


def scan(
    manifest_path: Path,
    out_path: Path,
    *,
    accept_rejected: bool = False,
    say: Callable[[str], None] = lambda text: None,
    engine: str = "duckdb",
    spark_master: str | None = None,
    spark_conf: dict[str, str] | None = None,
) -> ScanResult:
    """Read and check the manifest's files, then run the rules on them with ``engine``
    (``duckdb``, or ``spark`` on ``spark_master`` with ``spark_conf``: the same findings)."""

    manifest = load_manifest(manifest_path)
    imported = []
    for entry in manifest.entries:
        say(f"reading {entry.file.name} ({entry.kind})")
        imported.append(import_entry(entry))
    errors = [(i.entry.file.name, e) for i in imported for e in i.errors]
    if errors:
        _write_errors(out_path.with_suffix(out_path.suffix + ".errors.csv"), errors)
        if not accept_rejected:
            return ScanResult([], errors, {}, {})
    by_kind: dict[str, list[Imported]] = {}
    for item in imported:
        by_kind.setdefault(item.entry.kind, []).append(item)
    tables: dict[str, Any] = {}
    files: dict[tuple[str, int], str] = {}
    for kind, items in by_kind.items():
        for index, item in enumerate(items):
            files[(kind, index)] = item.entry.file.name
        tables[kind] = rules.stack([item.table for item in items])
    specs = rules.builtin_rules()
    for rule_file in manifest.rule_files:
        specs.extend(rules.load_rules(rule_file))
    if engine == "spark":
        say(f"starting Spark ({spark_master or 'local[2]'})")
    comparison = rules.engine_for(engine, tables, spark_master=spark_master, spark_conf=spark_conf)
    with out_path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerow(HEADER)
    hits: list[rules.Hit] = []
    skipped: dict[str, list[str]] = {}
    try:
        for spec in specs:
            missing = comparison.missing(spec)
            if missing:
                skipped[spec.code] = missing
                continue
            say(f"rule {spec.code}")
            found = comparison.run(spec)
            hits.extend(found)
            _append_hits(out_path, spec, found, files)
    finally:
        comparison.close()
    return ScanResult(hits, errors, skipped, {k: t.num_rows for k, t in tables.items()})


HEADER = [
    "rule",
    "rule_name",
    "key",
    "subjects",
    "where",
    "explanation_zh",
    "explanation_en",
    "evidence",
]


def _append_hits(
    out_path: Path, spec: rules.RuleSpec, hits: list[rules.Hit], files: dict[tuple[str, int], str]
) -> None:
    with out_path.open("a", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        for hit in hits:
            evidence = "; ".join(
                f"{kind}:{files.get((kind, rules.unstack(row)[0]), '?')}:{rules.unstack(row)[1]}"
                for kind, row in hit.evidence
            )
            writer.writerow(
                [
                    spec.code,
                    spec.name_zh,
                    hit.key,
                    "; ".join(f"{i} {n}" for i, n in hit.subjects),
                    hit.organisation,
                    rules.explain(spec.explain_zh, hit.facts, hit.subjects, hit.organisation),
                    rules.explain(spec.explain_en, hit.facts, hit.subjects, hit.organisation),
                    evidence,
                ]
            )


def _write_errors(path: Path, errors: list[tuple[str, ingest.RowError]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "row", "column", "field", "value", "problem"])
        for name, e in errors:
            writer.writerow([name, e.row, e.column, e.field, e.value, e.message])
