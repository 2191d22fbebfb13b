"""From a department's sheet to a stored dataset version: preview, rows, Parquet, errors.

Issue #8 ("Import ... with a preview where the user confirms or fixes the mapping",
"Values normalised", "rows that cannot be read are listed with the file, row, column and
what is wrong, and can be downloaded as a spreadsheet", "each version stored as Parquet").
Pure: no Django; the importer view calls these in order.

* ``preview``: finds the header row (below any title rows), and a second header row when
  the header is two rows deep (a group cell merged over "月份 | 金额", or a sub-header
  that names fields the row above leaves empty); combines them into one text per column,
  maps them to the kind's fields (fields the kind does not store are left unmapped) and
  shows the first rows as text.
* ``mapping_problems``: what is wrong with a mapping the user confirmed or fixed.
* ``normalise_rows``: every non-empty row below the header, each mapped cell normalised
  by its field's type (``schema.FIELD_TYPES``). A row with a bad value or an empty required
  cell is left out with one ``RowError`` per bad cell; a rejected row that repeats a header
  or title row (a sheet pasted twice) is skipped without an error, and one with a
  合计/总计/小计 cell is rejected as a total row with a single error. The accepted rows
  become an Arrow table with the kind's schema (``_row`` then ``schema.SCHEMA[kind]``).
  Built for a million rows: per row, a few function calls per mapped cell, with the
  normalisation of repeated values (names, dates, amounts, text) cached; the columns are
  Python lists turned into Arrow arrays once at the end.
* ``write_parquet``: zstd-compressed, written to a temporary file, flushed to disk and
  renamed, so a reader never sees half a file.
* ``error_report``: the errors as an .xlsx workbook; values are written as text, never as
  formulas, so a cell such as "=HYPERLINK(...)" in a department's file stays inert.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from xuncha.core.lib.officefiles import new_workbook
from xuncha.datacheck.lib import normalise
from xuncha.datacheck.lib.headers import (
    FIELDS,
    KINDS,
    Mapping,
    clean,
    combine_rows,
    field_of,
    find_header_row,
    map_headers,
)
from xuncha.datacheck.lib.readers import Sheet, UnreadableFile, column_letter
from xuncha.datacheck.lib.schema import SCHEMA, arrow_schema, field_type

PROGRESS_EVERY = 10_000
VALUE_CHARS = 200
AMOUNT_LIMIT = Decimal(10) ** 16  # decimal128(18, 2) holds 16 digits before the point
DEFAULT_LABELS = ("行号", "列", "字段", "值", "问题")


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based row number in the file, as a spreadsheet shows it
    column: str  # the column's header text as in the file (its letter when it has none)
    field: str
    value: str  # the raw value as text, at most VALUE_CHARS characters
    code: str
    message: str


@dataclass(frozen=True)
class Preview:
    header_rows: tuple[int, ...]  # 0-based indices in sheet.rows (1 or 2 rows)
    headers: list[str]  # one text per column (two rows combined)
    mapping: Mapping  # automatic mapping for the kind
    sample: list[list[str]]  # the first non-empty data rows as display text
    data_start: int  # 0-based index of the first data row


@dataclass
class Result:
    table: pa.Table
    errors: list[RowError]
    total: int  # non-empty data rows (accepted + rejected; skipped header repeats excluded)
    skipped: list[int] = field(default_factory=list)  # rows that repeat a header (1-based)


# -- schema -----------------------------------------------------------------------------------


def _check_kind(kind: str) -> None:
    if kind not in SCHEMA:
        raise ValueError(f"unknown dataset kind {kind!r}")


def empty_table(kind: str) -> pa.Table:
    return arrow_schema(kind).empty_table()


# -- display ----------------------------------------------------------------------------------


def display(value: Any) -> str:
    """A cell as the text a person would read in it."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return str(value)


def _label(value: Any) -> str:
    return re.sub(r"\s+", " ", display(value)).strip()


# -- preview ----------------------------------------------------------------------------------


def _score(cells: Sequence[object]) -> int:
    """How many different fields a row of header cells names."""
    return len({field_of(c) for c in cells} - {None})


def _looks_like_data(cells: Sequence[object]) -> bool:
    """A row holding a value no header has: an ID number or another long run of digits."""
    return any(re.search(r"\d{6,}", display(c)) for c in cells)


def _group_row(cells: Sequence[object]) -> bool:
    """Whether a row above the header can be its upper half: not a title (one text merged
    over the columns, or a single note) and not data."""
    texts = {_label(c) for c in cells} - {""}
    return len(texts) >= 2 and not _looks_like_data(cells)


def _header(rows: list[list[Any]], at: int) -> tuple[tuple[int, ...], list[str]]:
    """The header rows around ``at`` (the best single header row) and their texts.

    The row below joins when combining names more fields (a sub-header under group cells
    that were not spread, as in a CSV file); the row above joins when it is a group row
    whose combination names at least as many fields (merged cells spread by the reader)."""
    single = _score(rows[at])
    down = up = 0
    if at + 1 < len(rows):
        lower = rows[at + 1]
        if _score(lower) and not _looks_like_data(lower):
            down = _score(combine_rows(rows[at], lower))
    if at > 0 and _group_row(rows[at - 1]):
        up = _score(combine_rows(rows[at - 1], rows[at]))
    if down > single and down >= up:
        return (at, at + 1), combine_rows(rows[at], rows[at + 1])
    if up > single or (up == single and _score(rows[at - 1])):
        return (at - 1, at), combine_rows(rows[at - 1], rows[at])
    return (at,), [_label(c) for c in rows[at]]


def _for_kind(mapping: Mapping, kind: str) -> Mapping:
    """The mapping without fields the kind does not store (their columns count as unknown)."""
    stored = set(SCHEMA[kind])
    columns = {i: f for i, f in mapping.columns.items() if f in stored}
    others = tuple(i for i, f in mapping.columns.items() if f not in stored)
    return Mapping(
        columns=columns,
        missing=mapping.missing,
        duplicates=tuple((i, f) for i, f in mapping.duplicates if f in stored),
        unknown=tuple(sorted(mapping.unknown + others)),
    )


def _filled(row: Sequence[Any]) -> bool:
    return any(v is not None and (v.__class__ is not str or v.strip()) for v in row)


def preview(sheet: Sheet, kind: str, sample: int = 10) -> Preview:
    _check_kind(kind)
    at = find_header_row(sheet.rows)
    if at is None:
        raise UnreadableFile(
            "no header row was found in the first 10 rows: a row must name at least two "
            "columns (such as 姓名 and 身份证号)"
        )
    header_rows, texts = _header(sheet.rows, at)
    while texts and not texts[-1]:
        texts.pop()
    mapping = _for_kind(map_headers(texts, kind), kind)
    data_start = header_rows[-1] + 1
    shown: list[list[str]] = []
    width = len(texts)
    for row in sheet.rows[data_start:]:
        if len(shown) >= sample:
            break
        if _filled(row):
            cells = [display(v) for v in row[:width]]
            shown.append(cells + [""] * (width - len(cells)))
    return Preview(header_rows, texts, mapping, shown, data_start)


def mapping_problems(columns: dict[int, str], kind: str) -> list[str]:
    """What is wrong with a mapping (column index -> field), in English; [] when fine."""
    _check_kind(kind)
    problems: list[str] = []
    stored = SCHEMA[kind]
    by_field: dict[str, list[int]] = {}
    for index, name in sorted(columns.items()):
        if index < 0:
            problems.append(f"column index {index} does not exist")
            continue
        where = f"column {column_letter(index)}"
        if name not in FIELDS:
            problems.append(f"{where}: {name!r} is not a known field")
        elif name not in stored:
            problems.append(f"{where}: {name!r} is not a field of a {kind} dataset")
        else:
            by_field.setdefault(name, []).append(index)
    for name, indices in by_field.items():
        if len(indices) > 1:
            letters = ", ".join(column_letter(i) for i in indices)
            problems.append(f"{name!r} is mapped to more than one column ({letters})")
    problems.extend(
        f"the required field {name!r} has no column" for name in KINDS[kind] if name not in by_field
    )
    return problems


# -- rows -------------------------------------------------------------------------------------

_CACHE = 1 << 16


def _amount(raw: Any) -> Decimal:
    value = normalise.amount(raw)
    if abs(value) >= AMOUNT_LIMIT:
        raise normalise.BadValue("too_large", f"{raw} is too large for an amount")
    return value


def _cached(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    # typed: 1, 1.0 and True are equal keys otherwise, and each is read differently.
    return lru_cache(maxsize=_CACHE, typed=True)(function)


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "id": normalise.id_number,  # nearly all different: not worth a cache
    "name": _cached(normalise.name),
    "text": _cached(normalise.text),
    "date": _cached(normalise.date),
    "month": _cached(normalise.month),
    "amount": _cached(_amount),
    "number": _cached(normalise.number),
}

_TOTAL = re.compile(r"^(本页|本月|本期|本表|全部|总)?(合计|总计|小计|共计)([:：\d(（]|$)")


def _required(name: str) -> str:
    return f"the cell is empty, but {name} is required"


def _column(index: int, headers: Sequence[str]) -> str:
    text = headers[index] if index < len(headers) else ""
    return text or column_letter(index)


def _cleaned(row: Sequence[Any]) -> list[str]:
    cells = [clean(v) for v in row]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _is_header_repeat(
    row: Sequence[Any], plan: Sequence[tuple[int, str]], above: Sequence[list[str]]
) -> bool:
    """Whether a row repeats the rows above the data (title, notes, header: a sheet pasted
    twice), or has at least half of its mapped cells naming their own field."""
    if _cleaned(row) in above:
        return True
    named = sum(
        1
        for index, name in plan
        if index < len(row) and row[index] is not None and field_of(row[index]) == name
    )
    return named > 0 and named * 2 >= len(plan)


def _total_cell(row: Sequence[Any]) -> int | None:
    for index, value in enumerate(row):
        if isinstance(value, str) and _TOTAL.match(clean(value)):
            return index
    return None


def normalise_rows(
    sheet: Sheet,
    kind: str,
    columns: dict[int, str],
    data_start: int,
    headers: list[str],
    progress: Callable[[int, int], None] | None = None,
) -> Result:
    problems = mapping_problems(columns, kind)
    if problems:
        raise ValueError("; ".join(problems))
    required = set(KINDS[kind])
    plan = sorted(columns.items())
    steps = [(index, name, CONVERTERS[field_type(name)], name in required) for index, name in plan]
    above = [cells for cells in map(_cleaned, sheet.rows[:data_start]) if cells]

    row_numbers: list[int] = []
    values: list[list[Any]] = [[] for _ in steps]
    errors: list[RowError] = []
    skipped: list[int] = []
    total = 0
    rows = sheet.rows
    todo = max(0, len(rows) - data_start)
    for done, r in enumerate(range(data_start, len(rows)), start=1):
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, todo)
        row = rows[r]
        if not _filled(row):
            continue
        got: list[Any] = []
        bad: list[tuple[int, str, Any, str, str]] = []
        for index, name, convert, needed in steps:
            raw = row[index] if index < len(row) else None
            if raw is None or (raw.__class__ is str and not raw.strip()):
                if needed:
                    bad.append((index, name, raw, "required", _required(name)))
                got.append(None)
                continue
            try:
                value = convert(raw)
            except normalise.BadValue as exc:
                bad.append((index, name, raw, exc.code, str(exc)))
                got.append(None)
                continue
            if value is None and needed:
                bad.append((index, name, raw, "required", _required(name)))
            got.append(value)
        if not bad:
            total += 1
            row_numbers.append(r + 1)
            for column, value in zip(values, got, strict=True):
                column.append(value)
            continue
        if _is_header_repeat(row, plan, above):
            skipped.append(r + 1)
            continue
        total += 1
        at = _total_cell(row)
        if at is not None:
            errors.append(
                RowError(
                    row=r + 1,
                    column=_column(at, headers),
                    field=columns.get(at, ""),
                    value=display(row[at])[:VALUE_CHARS],
                    code="total_row",
                    message="a total row (合计) is not a record",
                )
            )
            continue
        errors.extend(
            RowError(
                row=r + 1,
                column=_column(index, headers),
                field=name,
                value=display(raw)[:VALUE_CHARS],
                code=code,
                message=message,
            )
            for index, name, raw, code, message in bad
        )
    if progress is not None:
        progress(todo, todo)
    return Result(_table(kind, plan, row_numbers, values), errors, total, skipped)


def _table(
    kind: str, plan: Sequence[tuple[int, str]], row_numbers: list[int], values: list[list[Any]]
) -> pa.Table:
    schema = arrow_schema(kind)
    by_field = {name: column for (_, name), column in zip(plan, values, strict=True)}
    arrays = [pa.array(row_numbers, type=pa.int64())]
    for name in SCHEMA[kind]:
        kind_type = schema.field(name).type
        if name in by_field:
            arrays.append(pa.array(by_field[name], type=kind_type))
        else:
            arrays.append(pa.nulls(len(row_numbers), type=kind_type))
    return pa.Table.from_arrays(arrays, schema=schema)


# -- output -----------------------------------------------------------------------------------


def write_parquet(table: pa.Table, path: Path | str) -> None:
    """Write atomically: to ``path`` + ".tmp", flushed to disk, then renamed over ``path``."""
    import pyarrow.parquet as pq

    target = Path(path)
    temporary = target.with_name(target.name + ".tmp")
    try:
        with open(temporary, "wb") as handle:
            pq.write_table(table, handle, compression="zstd")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _text_cell(sheet: Any, value: object, bold: bool = False) -> Any:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
    if bold:
        cell.font = Font(bold=True)
    return cell


def error_report(
    errors: Iterable[RowError], source_name: str, labels: Sequence[str] | None = None
) -> bytes:
    """The errors as an .xlsx workbook: a title row naming the file, a header row
    (``labels``: row, column, field, value, problem) and one row per error."""

    texts = tuple(DEFAULT_LABELS if labels is None else labels)
    if len(texts) != len(DEFAULT_LABELS):
        raise ValueError(f"labels must be {len(DEFAULT_LABELS)} texts, not {len(texts)}")
    book = new_workbook()
    sheet = book.create_sheet("errors")
    for letter, width in zip("ABCDE", (8, 24, 16, 32, 60), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A3"
    sheet.append([_text_cell(sheet, source_name, bold=True)])
    sheet.append([_text_cell(sheet, text, bold=True) for text in texts])
    for error in errors:
        sheet.append(
            [error.row]
            + [
                _text_cell(sheet, text)
                for text in (error.column, error.field, error.value, error.message)
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
