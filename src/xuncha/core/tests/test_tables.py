"""The workbooks list pages export: readable as opened (header bold and kept in view,
columns wide enough for their contents, Chinese counted double)."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from xuncha.core.tables import xlsx_bytes


def test_a_workbook_has_a_bold_frozen_header_and_columns_as_wide_as_their_contents():
    rows = [["张三", "云溪县财政局预算科", 3], ["李四", None, 12345678901234]]
    long = ["王五", "x" * 80, 1]
    data = xlsx_bytes([("名单", ["姓名", "Home organisation", "n"], [*rows, long])])
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == "名单" and sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == ["姓名", "Home organisation", "n"]
    assert all(c.font.b for c in sheet[1]) and not sheet["A2"].font.b
    assert [c.value for c in sheet[3]] == ["李四", None, 12345678901234]
    widths = [sheet.column_dimensions[c].width for c in "ABC"]
    # 姓名 is 4 wide, names 4: the minimum; the long text is capped; 14 digits + 2.
    assert widths == [8, 50, 16]


def test_rows_beyond_the_measured_ones_are_all_written():
    rows = ([str(n), n] for n in range(1000))
    sheet = load_workbook(io.BytesIO(xlsx_bytes([("s", ["a", "b"], rows)]))).active
    assert sheet.max_row == 1001 and sheet["B1001"].value == 999
