"""Reading department files into rows (pure; no Django).

Issue #8 ("Import from .xlsx, .xls and .csv (UTF-8, GBK/GB18030 detected) ... header rows
below a title row and merged header cells handled").

* CSV: the bytes are decoded as UTF-8 (with or without a byte-order mark) when they are
  valid UTF-8, else as GB18030 (a superset of GBK and GB2312, which is what Chinese
  Windows exports); anything else is refused with the offset of the first bad byte. The
  delimiter (comma, tab, semicolon or the full-width comma) is sniffed from the start.
* XLSX: read with openpyxl in read-only mode, so a large file is streamed; the merged
  ranges are read from the sheet's XML (read-only mode does not give them) and the value
  of a merged range is repeated into every cell of the range in the rows returned, so a
  header merged over several columns names each of them. Values stay typed (numbers,
  dates) for ``normalise``.
* .xls (the old binary format): read with xlrd. Date cells (a number with a date format)
  become datetimes by the workbook's date mode (1900 or 1904); whole numbers below 2**53
  become ints (xlrd gives every number as a float) while larger ones stay floats, so an
  ID number a spreadsheet kept as a number is refused later rather than read with its
  last digits rounded; merged ranges are spread as for XLSX; error cells keep their text
  ("#N/A"). A file named .xls that is really an .xlsx workbook is read as one; one that
  is really a web page or text (what some systems export under .xls) is refused with
  what to do.
* ``max_rows``: only the first rows, for the mapping preview of a large file (an .xlsx
  stops streaming there).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

_DELIMITERS = ",\t;\uff0c"
_MERGE = re.compile(rb'<mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


class UnreadableFile(ValueError):
    """The file cannot be read; the message says why (and where, when it can)."""


@dataclass(frozen=True)
class Sheet:
    name: str
    rows: list[list[Any]]
    encoding: str = ""  # CSV only: "utf-8" or "gb18030"


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding found."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"the file is neither UTF-8 nor GBK/GB18030 text (byte {exc.start} cannot be read)"
        ) from None


def read_csv(data: bytes, name: str = "", max_rows: int | None = None) -> Sheet:
    text, encoding = decode(data)
    start = text[:4096]
    counts = {d: start.count(d) for d in _DELIMITERS}
    delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = [list(row) for row in islice(reader, max_rows)]
    return Sheet(name=name, rows=rows, encoding=encoding)


def column_index(letters: str) -> int:
    """0-based index of an Excel column name (A -> 0, Z -> 25, AA -> 26)."""
    value = 0
    for char in letters:
        value = value * 26 + (ord(char) - 64)
    return value - 1


def column_letter(index: int) -> str:
    """Excel column name of a 0-based index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _merged_ranges(data: bytes, sheet_index: int) -> list[tuple[int, int, int, int]]:
    """(first row, first column, last row, last column), 0-based, of the sheet's merges."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = sorted(
            (n for n in archive.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)),
            key=lambda n: int(re.findall(r"\d+", n)[-1]),
        )
        if sheet_index >= len(names):
            return []
        ranges = []
        with archive.open(names[sheet_index]) as handle:
            tail = b""
            for chunk in iter(lambda: handle.read(1 << 16), b""):
                block = tail + chunk
                for m in _MERGE.finditer(block):
                    c1, r1, c2, r2 = m.groups()
                    ranges.append(
                        (
                            int(r1) - 1,
                            column_index(c1.decode()),
                            int(r2) - 1,
                            column_index(c2.decode()),
                        )
                    )
                tail = block[-200:]  # a tag cut at the chunk's end is found in the next one
        return sorted(set(ranges))


def read_xlsx(
    data: bytes, name: str = "", sheet_index: int = 0, max_rows: int | None = None
) -> Sheet:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableFile(f"the file is not a readable .xlsx workbook ({exc})") from None
    try:
        sheet = book.worksheets[sheet_index]
        rows = [list(row) for row in islice(sheet.iter_rows(values_only=True), max_rows)]
        title = sheet.title
    finally:
        book.close()
    _spread(rows, _merged_ranges(data, sheet_index))
    return Sheet(name=title or name, rows=rows)


def _spread(rows: list[list[Any]], ranges: list[tuple[int, int, int, int]]) -> None:
    """Repeat each merged range's value (its top-left cell) into every cell of it."""
    for r1, c1, r2, c2 in ranges:
        if r1 >= len(rows):
            continue
        value = rows[r1][c1] if c1 < len(rows[r1]) else None
        for r in range(r1, min(r2, len(rows) - 1) + 1):
            row = rows[r]
            if len(row) <= c2:
                row.extend([None] * (c2 + 1 - len(row)))
            for c in range(c1, c2 + 1):
                row[c] = value


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _xls_value(cell: Any, datemode: int) -> Any:
    import xlrd

    kind, value = cell.ctype, cell.value
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if kind == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(value, datemode)
        except (xlrd.xldate.XLDateError, ValueError, OverflowError):
            return value  # not a date after all: the number, for normalise to judge
    if kind == xlrd.XL_CELL_NUMBER:
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if kind == xlrd.XL_CELL_BOOLEAN:
        return bool(value)
    if kind == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(value, "#ERROR")
    return value


def read_xls(
    data: bytes, name: str = "", sheet_index: int = 0, max_rows: int | None = None
) -> Sheet:
    if data[:2] == b"PK":
        return read_xlsx(data, name, sheet_index, max_rows)  # an .xlsx workbook named .xls
    if data[:8] != _OLE:
        raise UnreadableFile(
            "the file is named .xls but is not an Excel workbook (some systems export a web "
            "page or text under that name): open it in Excel and save it as .xlsx"
        )
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
        try:
            sheet = book.sheet_by_index(sheet_index)
            rows = [
                [_xls_value(cell, book.datemode) for cell in sheet.row(r)]
                for r in range(sheet.nrows if max_rows is None else min(max_rows, sheet.nrows))
            ]
            merged = [(r1, c1, r2 - 1, c2 - 1) for r1, r2, c1, c2 in sheet.merged_cells]
            title = sheet.name
        finally:
            book.release_resources()
    except Exception as exc:  # xlrd raises many kinds on a damaged file
        raise UnreadableFile(f"the file is not a readable .xls workbook ({exc})") from None
    _spread(rows, sorted(merged))
    return Sheet(name=title or name, rows=rows)


def read(path: Path, max_rows: int | None = None) -> Sheet:
    """The first sheet of a file (its first ``max_rows`` rows when given: a preview)."""
    suffix = path.suffix.lower()
    data = path.read_bytes()
    if suffix == ".csv":
        return read_csv(data, path.name, max_rows)
    if suffix == ".xlsx":
        return read_xlsx(data, path.name, max_rows=max_rows)
    if suffix == ".xls":
        return read_xls(data, path.name, max_rows=max_rows)
    raise UnreadableFile(f"{path.name}: only .xlsx, .xls and .csv files can be imported")


def non_empty(rows: list[list[Any]]) -> Iterator[tuple[int, list[Any]]]:
    """(1-based row number as in the file, row) for rows with any value."""
    for number, row in enumerate(rows, start=1):
        if any(v is not None and str(v).strip() for v in row):
            yield number, row
