"""Reading department files: encodings, delimiters, merged header cells (issue #8)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from xuncha.datacheck.lib import headers, readers

# A spreadsheet cell holds a local time without a zone.
SPREADSHEET_TIME = dt.datetime(2024, 3, 5)  # noqa: DTZ001
ROWS = [["姓名", "身份证号", "金额"], ["王五", "110105197103050428", "560"]]


def _csv(rows: list[list[str]], encoding: str, delimiter: str = ",") -> bytes:
    return "\n".join(delimiter.join(r) for r in rows).encode(encoding)


@pytest.mark.parametrize(
    ("encoding", "found"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_csv_encodings(encoding: str, found: str) -> None:
    sheet = readers.read_csv(_csv(ROWS, encoding))
    assert sheet.rows == ROWS and sheet.encoding == found


@pytest.mark.parametrize("delimiter", [",", "\t", ";", "，"])
def test_csv_delimiters(delimiter: str) -> None:
    assert readers.read_csv(_csv(ROWS, "utf-8", delimiter)).rows == ROWS


def test_unreadable_bytes_are_refused_with_where() -> None:
    with pytest.raises(readers.UnreadableFile, match="byte"):
        readers.read_csv(b"\xff\xfe\x00\x81\x30\xff\xff")


def _xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "低保"
    sheet.append(["2024年城关镇低保发放花名册"])
    sheet.merge_cells("A1:D1")
    sheet.append(["户主", None, "家庭成员", None])
    sheet.merge_cells("A2:B2")
    sheet.merge_cells("C2:D2")
    sheet.append(["姓名", "身份证号", "姓名", "与户主关系"])
    sheet.append(["王五", "110105197103050428", "王小五", "子"])
    sheet.append(["发放日期", SPREADSHEET_TIME, None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_a_title_and_merged_header_cells() -> None:
    sheet = readers.read_xlsx(_xlsx())
    assert sheet.name == "低保"
    assert sheet.rows[0] == ["2024年城关镇低保发放花名册"] * 4  # the title spread over A1:D1
    assert sheet.rows[1] == ["户主", "户主", "家庭成员", "家庭成员"]
    assert sheet.rows[4][1] == SPREADSHEET_TIME  # values keep their type
    row = headers.find_header_row(sheet.rows)
    assert row == 2
    mapping = headers.map_headers(headers.combine_rows(sheet.rows[1], sheet.rows[2]), "household")
    assert mapping.columns[0] == "name" and mapping.columns[1] == "id_number"
    assert mapping.columns[3] == "relation"


def test_column_letters() -> None:
    assert [readers.column_index(c) for c in ("A", "Z", "AA", "AZ", "BA")] == [0, 25, 26, 51, 52]


def test_files_by_suffix(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(_csv(ROWS, "gbk"))
    (tmp_path / "b.xlsx").write_bytes(_xlsx())
    (tmp_path / "c.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    (tmp_path / "d.txt").write_text("x")
    (tmp_path / "e.xlsx").write_bytes(b"not a zip")
    assert readers.read(tmp_path / "a.csv").rows == ROWS
    assert readers.read(tmp_path / "b.xlsx").rows[3][0] == "王五"
    with pytest.raises(readers.UnreadableFile, match=r"save it as \.xlsx"):
        readers.read(tmp_path / "c.xls")
    with pytest.raises(readers.UnreadableFile, match=r"only \.xlsx"):
        readers.read(tmp_path / "d.txt")
    with pytest.raises(readers.UnreadableFile, match=r"not a readable \.xlsx"):
        readers.read(tmp_path / "e.xlsx")
    assert [n for n, _ in readers.non_empty([["a"], [None, " "], ["b"]])] == [1, 3]
