"""``xuncha datacheck link LEFT RIGHT --config CONFIG --out pairs.csv`` (issue #9; no Django).

Links two files of people (or finds the duplicates in one) without the web database. The
configuration (YAML, docs/formats/linkage.md) gives each file's columns their roles::

    left:
      columns: {name: 姓名, id_number: 身份证号, birth_date: 出生日期, address: 住址}
    right:
      columns: {name: 姓名, age: 年龄, township: 乡镇, village: 村}
    thresholds: {match: 0.9, review: 0.5}
    reference_day: 2026-11-27   # ages are counted on this day (default: today)
    engine: duckdb              # or spark
    model: model.json           # optional: score with a saved model (or "shipped") instead
                                # of training, which needs 1,000 records or more
    save_model: trained.json    # optional: keep the trained model

Files are .xlsx, .xls or .csv; the header row is found as for dataset imports (a row naming
the configured columns), or given as ``header_row`` (1-based) per side. A record's id is its
``id`` column, or else its row number in the file.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from xuncha.datacheck.lib import link, readers
from xuncha.datacheck.lib.ingest import display

ROW_COLUMN = "_row"
SHIPPED = Path("shipped")  # ``model: shipped``: the model that comes with Xuncha
SHOWN_ROLES = ("name", "gender", "birth_date", "age", "address", "township", "village")


class ConfigError(ValueError):
    """A configuration or file that cannot be used; the message says where."""


@dataclass(frozen=True)
class Side:
    columns: dict[str, str]  # role -> header text in the file
    header_row: int | None = None  # 1-based; None: found


@dataclass(frozen=True)
class Config:
    left: Side
    right: Side
    thresholds: link.Thresholds = link.DEFAULT_THRESHOLDS
    reference_day: dt.date = field(default_factory=dt.date.today)
    engine: str = "duckdb"
    model: Path | None = None
    save_model: Path | None = None


def _side(raw: Any, where: str) -> Side:
    if not isinstance(raw, dict) or not isinstance(raw.get("columns"), dict):
        raise ConfigError(f"{where}: needs 'columns', a mapping of role to column header")
    columns = {str(k): str(v) for k, v in raw["columns"].items()}
    unknown = sorted(set(columns) - set(link.ROLES))
    if unknown:
        raise ConfigError(
            f"{where}.columns: unknown roles {', '.join(unknown)}; "
            f"roles are {', '.join(link.ROLES)}"
        )
    if "name" not in columns:
        raise ConfigError(f"{where}.columns: the role 'name' needs a column")
    header_row = raw.get("header_row")
    if header_row is not None and (not isinstance(header_row, int) or header_row < 1):
        raise ConfigError(f"{where}.header_row: a row number from 1")
    return Side(columns, header_row)


def load_config(path: Path) -> Config:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a mapping with 'left' and 'right' is expected")
    left = _side(raw.get("left"), f"{path}: left")
    right = _side(raw.get("right", raw.get("left")), f"{path}: right")
    bands = raw.get("thresholds") or {}
    try:
        thresholds = link.Thresholds(
            match=float(bands.get("match", link.DEFAULT_THRESHOLDS.match)),
            review=float(bands.get("review", link.DEFAULT_THRESHOLDS.review)),
        )
    except (TypeError, ValueError, link.LinkError) as exc:
        raise ConfigError(f"{path}: thresholds: {exc}") from None
    day = raw.get("reference_day") or dt.date.today()  # noqa: DTZ011 - the user's calendar day
    if isinstance(day, str):
        try:
            day = dt.date.fromisoformat(day)
        except ValueError:
            raise ConfigError(f"{path}: reference_day: a date such as 2026-11-27") from None
    engine = str(raw.get("engine", "duckdb"))
    if engine not in ("duckdb", "spark"):
        raise ConfigError(f"{path}: engine: duckdb or spark")
    base = path.parent

    def _path(key: str) -> Path | None:
        value = raw.get(key)
        if key == "model" and value == "shipped":
            return SHIPPED
        return None if value in (None, "") else (base / str(value))

    return Config(left, right, thresholds, day, engine, _path("model"), _path("save_model"))


def read_table(path: Path, side: Side, where: str) -> pa.Table:
    """The configured columns of a file as text, with each record's file row number."""
    try:
        sheet = readers.read(path)
    except (OSError, readers.UnreadableFile) as exc:
        raise ConfigError(f"{where} {path}: {exc}") from None
    wanted = set(side.columns.values())
    if side.header_row is not None:
        at = side.header_row - 1
        if at >= len(sheet.rows):
            raise ConfigError(f"{where} {path}: there is no row {side.header_row}")
    else:
        at = next(
            (
                i
                for i, row in enumerate(sheet.rows[:20])
                if wanted <= {display(c).strip() for c in row}
            ),
            -1,
        )
        if at < 0:
            raise ConfigError(
                f"{where} {path}: no row in the first 20 holds all of the columns "
                f"{', '.join(sorted(wanted))}"
            )
    headers = [display(c).strip() for c in sheet.rows[at]]
    missing = sorted(wanted - set(headers))
    if missing:
        raise ConfigError(f"{where} {path}, row {at + 1}: no column {', '.join(missing)}")
    index = {header: headers.index(header) for header in wanted}
    data: dict[str, list[Any]] = {ROW_COLUMN: [], **{h: [] for h in wanted}}
    for number, row in enumerate(sheet.rows[at + 1 :], start=at + 2):
        cells = {h: (display(row[i]).strip() if i < len(row) else "") for h, i in index.items()}
        if not any(cells.values()):
            continue
        data[ROW_COLUMN].append(str(number))
        for header, value in cells.items():
            data[header].append(value or None)
    return pa.table({k: pa.array(v, pa.string()) for k, v in data.items()})


def _prepare(table: pa.Table, side: Side, path: Path, day: dt.date, where: str) -> pa.Table:
    roles = dict(side.columns)
    roles.setdefault("id", ROW_COLUMN)
    try:
        prepared, problems = link.prepare(table, roles, on=day, side=f"{where} {path}")
    except link.LinkError as exc:
        raise ConfigError(str(exc)) from None
    rows = table.column(ROW_COLUMN).to_pylist()
    for problem in problems:
        raise ConfigError(
            f"{where} {path}, row {rows[problem.row - 1]}, column {problem.column!r}: "
            f"{problem.message} ({problem.value!r})"
        )
    return prepared


@dataclass
class Outcome:
    pairs: int
    matches: int
    review: int
    left: int
    right: int


def run(
    left_path: Path,
    right_path: Path | None,
    config: Config,
    out: Path,
    say: Callable[[str], None] = lambda _text: None,
    spark: Any = None,
) -> Outcome:
    """Read, prepare, link and write the pairs; ``ConfigError`` for anything unusable."""
    left_raw = read_table(left_path, config.left, "left")
    left = _prepare(left_raw, config.left, left_path, config.reference_day, "left")
    right_raw = right = None
    if right_path is not None:
        right_raw = read_table(right_path, config.right, "right")
        right = _prepare(right_raw, config.right, right_path, config.reference_day, "right")
    say(f"{left.num_rows} left and {0 if right is None else right.num_rows} right records")
    model = None
    if config.model == SHIPPED:
        model = link.default_model()
    elif config.model is not None:
        try:
            model = link.load_model(config.model)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"model {config.model}: {exc}") from None
    try:
        result = link.run(
            left,
            right,
            thresholds=config.thresholds,
            model=model,
            engine=config.engine,
            spark=spark,
        )
    except link.LinkError as exc:
        raise ConfigError(str(exc)) from None
    if config.save_model is not None:
        link.save_model(result.model, config.save_model)
    shown_left = _shown(left_raw, config.left)
    shown_right = shown_left if right_raw is None else _shown(right_raw, config.right)
    write_pairs(out, result.pairs, shown_left, shown_right)
    bands = result.pairs.column("band").to_pylist()
    return Outcome(
        pairs=len(bands),
        matches=bands.count("match"),
        review=bands.count("review"),
        left=left.num_rows,
        right=left.num_rows if right is None else right.num_rows,
    )


def _shown(table: pa.Table, side: Side) -> dict[str, dict[str, str]]:
    """id -> role -> value as written, for the roles a reader wants beside each pair."""
    ids = table.column(side.columns.get("id", ROW_COLUMN)).to_pylist()
    out: dict[str, dict[str, str]] = {}
    columns = {r: table.column(c).to_pylist() for r, c in side.columns.items() if r in SHOWN_ROLES}
    for position, identifier in enumerate(ids):
        out[str(identifier)] = {r: values[position] or "" for r, values in columns.items()}
    return out


def write_pairs(
    out: Path,
    pairs: pa.Table,
    left: Mapping[str, Mapping[str, str]],
    right: Mapping[str, Mapping[str, str]],
) -> None:
    fields = [c.field for c in link.COMPARISONS]
    header = ["left_id", "right_id", "match_probability", "match_weight", "band", "reasons"]
    header += [f"left_{r}" for r in SHOWN_ROLES] + [f"right_{r}" for r in SHOWN_ROLES]
    header += [f"level_{f}" for f in fields]
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in pairs.to_pylist():
            lrec = left.get(row["left_id"], {})
            rrec = right.get(row["right_id"], {})
            writer.writerow(
                [row[h] for h in header[:6]]
                + [lrec.get(r, "") for r in SHOWN_ROLES]
                + [rrec.get(r, "") for r in SHOWN_ROLES]
                + [row[f] for f in fields]
            )
