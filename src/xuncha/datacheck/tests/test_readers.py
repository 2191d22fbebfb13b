"""Reading department files: encodings, delimiters, merged header cells, .xls (issue #8)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
import xlwt
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
    names = ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA", "XFD"]
    assert [readers.column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702, 16383)] == names
    assert all(readers.column_index(readers.column_letter(i)) == i for i in range(20_000))


def test_files_by_suffix(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(_csv(ROWS, "gbk"))
    (tmp_path / "b.xlsx").write_bytes(_xlsx())
    (tmp_path / "c.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    (tmp_path / "d.txt").write_text("x")
    (tmp_path / "e.xlsx").write_bytes(b"not a zip")
    assert readers.read(tmp_path / "a.csv").rows == ROWS
    assert readers.read(tmp_path / "b.xlsx").rows[3][0] == "王五"
    assert readers.read(tmp_path / "b.xlsx", max_rows=2).rows == [
        ["2024年城关镇低保发放花名册"] * 4,
        ["户主", "户主", "家庭成员", "家庭成员"],
    ]
    assert readers.read(tmp_path / "a.csv", max_rows=1).rows == ROWS[:1]
    with pytest.raises(readers.UnreadableFile, match=r"not a readable \.xls workbook"):
        readers.read(tmp_path / "c.xls")
    with pytest.raises(readers.UnreadableFile, match=r"only \.xlsx"):
        readers.read(tmp_path / "d.txt")
    with pytest.raises(readers.UnreadableFile, match=r"not a readable \.xlsx"):
        readers.read(tmp_path / "e.xlsx")
    assert [n for n, _ in readers.non_empty([["a"], [None, " "], ["b"]])] == [1, 3]


def _xls() -> bytes:
    book = xlwt.Workbook()
    sheet = book.add_sheet("车辆")
    sheet.write_merge(0, 0, 0, 3, "机动车登记信息")
    sheet.write_merge(1, 2, 0, 0, "姓名")
    sheet.write_merge(1, 1, 1, 2, "车辆")
    sheet.write(2, 1, "号牌号码")
    sheet.write(2, 2, "登记日期")
    sheet.write(3, 0, "王五")
    sheet.write(3, 1, "京A00001")
    sheet.write(3, 2, dt.date(2024, 3, 5), xlwt.easyxf(num_format_str="YYYY/M/D"))
    sheet.write(4, 0, 560.0)  # a whole number: an int
    sheet.write(4, 1, 560.25)
    sheet.write(4, 2, 1.10105197103054e17)  # too large to be exact: stays a float
    sheet.write(5, 0, True)
    sheet.write(5, 1, 110105710305042.0)  # 15 digits: exact as a number
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xls_values_dates_and_merged_cells() -> None:
    sheet = readers.read_xls(_xls(), "list.xls")
    assert sheet.name == "车辆"
    assert sheet.rows == [
        ["机动车登记信息"] * 4,
        ["姓名", "车辆", "车辆", None],
        ["姓名", "号牌号码", "登记日期", None],
        ["王五", "京A00001", SPREADSHEET_TIME, None],
        [560, 560.25, 1.10105197103054e17, None],
        [True, 110105710305042, None, None],
    ]
    assert type(sheet.rows[4][0]) is int and type(sheet.rows[4][2]) is float
    assert readers.read_xls(_xls(), max_rows=1).rows == [["机动车登记信息"] * 4]


def test_xls_that_is_really_something_else(tmp_path: Path) -> None:
    (tmp_path / "a.xls").write_bytes(_xlsx())  # an .xlsx workbook named .xls
    assert readers.read(tmp_path / "a.xls").rows[3][0] == "王五"
    (tmp_path / "b.xls").write_bytes("<html><table><tr><td>姓名</td></tr></table>".encode())
    with pytest.raises(readers.UnreadableFile, match="not an Excel workbook"):
        readers.read(tmp_path / "b.xls")
