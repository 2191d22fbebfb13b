"""From department files to stored dataset versions: preview, rows, Parquet, error report
(issue #8). Every file here is written to tmp_path and read back through readers.read."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlwt
from openpyxl import Workbook, load_workbook

from xuncha.core.lib import idnumber
from xuncha.datacheck.lib import headers, ingest, readers
from xuncha.datacheck.lib.ingest import RowError
from xuncha.datacheck.lib.schema import SCHEMA

D = dt.date
# A spreadsheet cell holds a local time without a zone.
MIDNIGHT = dt.datetime(2024, 3, 5)  # noqa: DTZ001


def person(n: int) -> str:
    """A fictional, valid ID number."""
    return idnumber.make("110105", D(1950, 1, 1) + dt.timedelta(days=211 * n), n)


A, B, C, E = person(1), person(2), person(3), person(4)


# -- schema -----------------------------------------------------------------------------------


def test_arrow_schema_follows_the_kinds_columns() -> None:
    schema = ingest.arrow_schema("benefit")
    assert schema.names == ["_row", *SCHEMA["benefit"]]
    assert schema.field("_row").type == pa.int64()
    assert schema.field("id_number").type == pa.string()
    assert schema.field("period").type == pa.date32()
    assert schema.field("amount").type == pa.decimal128(18, 2)
    assert ingest.arrow_schema("real_estate").field("area").type == pa.float64()
    assert ingest.arrow_schema("death").field("death_date").type == pa.date32()
    for kind in SCHEMA:
        table = ingest.empty_table(kind)
        assert table.num_rows == 0 and table.schema == ingest.arrow_schema(kind)
    with pytest.raises(ValueError, match="unknown dataset kind"):
        ingest.arrow_schema("weather")


# -- an .xlsx file: a title row, a two-row header with merged cells ---------------------------


def _benefit_xlsx(path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "低保"
    sheet.append(["2024年城关镇城乡低保发放花名册"])
    sheet.merge_cells("A1:G1")
    group = ["序号", "姓名", "身份证号", "救助类别", "发放情况", None, "备注"]
    sheet.append(group)
    sheet.append([None, None, None, None, "发放月份", "发放金额（元）", None])
    for letter in "ABCDG":  # each merged down over the two header rows
        sheet.merge_cells(f"{letter}2:{letter}3")
    sheet.merge_cells("E2:F2")  # 发放情况 over 发放月份 | 发放金额
    sheet.append([1, "王　五", A, "低保", "2024年3月", 560, None])
    sheet.append([2, "張衛東", B.lower(), "低保", MIDNIGHT, "1,200.50", ""])
    sheet.append([None] * 7)  # a blank row
    sheet.append([3, "李四", "", "低保", "2024-03", "abc", "缺身份证"])  # two bad cells
    # The sheet pasted twice: title and both header rows again (as text, not merged).
    sheet.append(["2024年城关镇城乡低保发放花名册"] * 7)
    sheet.append(group)
    sheet.append(["序号", "姓名", "身份证号", "救助类别", "发放月份", "发放金额（元）", "备注"])
    sheet.append([4, "赵六", C, "特困", 202404, Decimal("88.8"), "  补发  "])
    sheet.append(["合计", None, None, None, None, 2849.3, None])
    book.save(path)


BENEFIT_HEADERS = ["序号", "姓名", "身份证号", "救助类别", "发放月份", "发放金额", "备注"]


def test_xlsx_preview_finds_a_two_row_merged_header_below_the_title(tmp_path: Path) -> None:
    path = tmp_path / "低保.xlsx"
    _benefit_xlsx(path)
    sheet = readers.read(path)
    preview = ingest.preview(sheet, "benefit", sample=2)
    assert preview.header_rows == (1, 2)
    assert preview.data_start == 3
    assert preview.headers == BENEFIT_HEADERS
    assert preview.mapping.columns == {
        1: "name",
        2: "id_number",
        3: "benefit_type",
        4: "period",
        5: "amount",
    }
    assert preview.mapping.missing == ()
    assert preview.mapping.unknown == (0, 6)
    assert preview.sample == [
        ["1", "王　五", A, "低保", "2024年3月", "560", ""],
        ["2", "張衛東", B.lower(), "低保", "2024-03-05", "1,200.50", ""],
    ]


def test_xlsx_rows_are_normalised_and_rejected_rows_reported(tmp_path: Path) -> None:
    path = tmp_path / "低保.xlsx"
    _benefit_xlsx(path)
    sheet = readers.read(path)
    preview = ingest.preview(sheet, "benefit")
    calls: list[tuple[int, int]] = []
    result = ingest.normalise_rows(
        sheet,
        "benefit",
        preview.mapping.columns,
        preview.data_start,
        preview.headers,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(9, 9)]  # rows 4..12 of the file; fewer than 10,000: only the end
    assert result.table.schema == ingest.arrow_schema("benefit")
    assert result.table.to_pylist() == [
        {
            "_row": 4,
            "id_number": A,
            "name": "王五",
            "benefit_type": "低保",
            "period": D(2024, 3, 1),
            "amount": Decimal("560.00"),
            "township": None,
            "village": None,
            "household": None,
        },
        {
            "_row": 5,
            "id_number": B,
            "name": "张卫东",
            "benefit_type": "低保",
            "period": D(2024, 3, 1),
            "amount": Decimal("1200.50"),
            "township": None,
            "village": None,
            "household": None,
        },
        {
            "_row": 11,
            "id_number": C,
            "name": "赵六",
            "benefit_type": "特困",
            "period": D(2024, 4, 1),
            "amount": Decimal("88.80"),
            "township": None,
            "village": None,
            "household": None,
        },
    ]
    assert result.errors == [
        RowError(7, "身份证号", "id_number", "", "required", "the cell is empty, but "
                 "id_number is required"),
        RowError(7, "发放金额", "amount", "abc", "form",
                 "abc is not an amount (e.g. 1,234.50 or 1.2万元)"),
        RowError(12, "序号", "", "合计", "total_row", "a total row (合计) is not a record"),
    ]  # fmt: skip
    assert result.skipped == [8, 9, 10]  # title and header pasted again
    assert result.total == 5  # rows 4, 5, 7, 11, 12


# -- .xls (xlwt) with a merged header and date cells ------------------------------------------


def _death_xls(path: Path) -> None:
    book = xlwt.Workbook()
    sheet = book.add_sheet("死亡")
    day = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    sheet.write_merge(0, 0, 0, 4, "2024年第一季度死亡人员名单")
    sheet.write_merge(1, 2, 0, 0, "姓名")
    sheet.write_merge(1, 2, 1, 1, "公民身份号码")
    sheet.write_merge(1, 1, 2, 3, "死亡及火化")
    sheet.write(2, 2, "死亡日期")
    sheet.write(2, 3, "火化日期")
    sheet.write_merge(1, 2, 4, 4, "备注")
    sheet.write(3, 0, "王五")
    sheet.write(3, 1, A)
    sheet.write(3, 2, D(2024, 1, 15), day)
    sheet.write(3, 3, "2024年1月17日")
    sheet.write(4, 0, "李四")
    sheet.write(4, 1, float(B[:17] + "0"))  # an ID kept as a number: digits lost
    sheet.write(4, 2, D(2024, 2, 1), day)
    sheet.write(5, 0, "赵六")
    sheet.write(5, 1, C)
    sheet.write(5, 2, 20240302)  # YYYYMMDD typed as a number
    sheet.write(5, 3, D(2024, 3, 4), day)
    book.save(str(path))


def test_xls_with_a_merged_header_and_date_cells(tmp_path: Path) -> None:
    path = tmp_path / "死亡.xls"
    _death_xls(path)
    sheet = readers.read(path)
    assert sheet.name == "死亡"
    assert sheet.rows[3][2] == dt.datetime(2024, 1, 15)  # noqa: DTZ001 - a date cell
    preview = ingest.preview(sheet, "death")
    assert preview.header_rows == (1, 2)
    assert preview.headers == ["姓名", "公民身份号码", "死亡日期", "火化日期", "备注"]
    assert preview.mapping.columns == {
        0: "name",
        1: "id_number",
        2: "death_date",
        3: "cremation_date",
    }
    result = ingest.normalise_rows(
        sheet, "death", preview.mapping.columns, preview.data_start, preview.headers
    )
    assert result.table.to_pylist() == [
        {
            "_row": 4,
            "id_number": A,
            "name": "王五",
            "death_date": D(2024, 1, 15),
            "cremation_date": D(2024, 1, 17),
        },
        {
            "_row": 6,
            "id_number": C,
            "name": "赵六",
            "death_date": D(2024, 3, 2),
            "cremation_date": D(2024, 3, 4),
        },
    ]
    value = ingest.display(float(B[:17] + "0"))
    assert result.errors == [
        RowError(
            5,
            "公民身份号码",
            "id_number",
            value,
            "number",
            "the ID number was stored as a number, so its last digits are lost",
        )
    ]
    assert "e+17" in value  # what the cell held, as Python prints it
    assert result.total == 3


# -- CSV in GB18030 and UTF-8 with a byte-order mark ------------------------------------------

PAYROLL_ROWS = [
    ["财政供养人员花名册", "", "", "", ""],
    ["姓名", "身份证号", "工作单位", "职务", "乡镇"],
    ["王 五", f" {A[:6]} {A[6:14]} {A[14:]} ", "城关镇  人民政府", "科员", "城关镇"],
    ["李四", A[:6] + A[8:17], "县财政局", "", ""],  # the 15-digit form: the same person
    ["", "", "", "", ""],
    ["赵六", B[:17] + ("0" if B[17] != "0" else "1"), "县教育局", "教师", ""],
    ["钱七", C, "", "", ""],
]


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig"])
def test_csv_files_in_both_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "payroll.csv"
    path.write_bytes("\r\n".join(",".join(r) for r in PAYROLL_ROWS).encode(encoding))
    sheet = readers.read(path)
    assert sheet.encoding == ("gb18030" if encoding == "gb18030" else "utf-8")
    preview = ingest.preview(sheet, "payroll")
    assert preview.header_rows == (1,)
    assert preview.headers == ["姓名", "身份证号", "工作单位", "职务", "乡镇"]
    result = ingest.normalise_rows(
        sheet, "payroll", preview.mapping.columns, preview.data_start, preview.headers
    )
    assert result.table.to_pydict() == {
        "_row": [3, 4],
        "id_number": [A, A],
        "name": ["王五", "李四"],
        "organisation": ["城关镇 人民政府", "县财政局"],
        "post": ["科员", None],
        "township": ["城关镇", None],
    }
    check = idnumber.check_character(B[:17])
    assert result.errors == [
        RowError(
            6,
            "身份证号",
            "id_number",
            PAYROLL_ROWS[5][1],
            "id_check",
            f"the check character is {PAYROLL_ROWS[5][1][17]} but should be {check}",
        ),
        RowError(7, "工作单位", "organisation", "", "required", ingest._required("organisation")),
    ]
    assert result.total == 4


def test_a_csv_sub_header_row_joins_the_header() -> None:
    rows = [
        ["序号", "姓名", "身份证号", "发放情况", "", "救助类别"],
        ["", "", "", "发放月份", "金额（元）", ""],
        ["1", "王五", A, "2024.03", "560", "低保"],
    ]
    preview = ingest.preview(readers.Sheet("x", rows), "benefit")
    assert preview.header_rows == (0, 1)
    assert preview.headers == ["序号", "姓名", "身份证号", "发放月份", "金额", "救助类别"]
    assert preview.data_start == 2
    assert preview.mapping.missing == ()


def test_a_title_or_group_row_that_names_no_field_stays_out_of_the_header() -> None:
    rows = [
        ["城关镇低保发放金额表"] * 3,  # a merged title spread by the reader
        ["户主", "户主", "家庭成员"],
        ["姓名", "身份证号", "与户主关系"],
        ["王五", A, "户主"],
    ]
    preview = ingest.preview(readers.Sheet("x", rows), "household")
    assert preview.header_rows == (2,)
    assert preview.mapping.missing == ("household",)
    with pytest.raises(readers.UnreadableFile, match="no header row"):
        ingest.preview(readers.Sheet("x", [["标题"], ["王五", A]]), "benefit")


def test_fields_the_kind_does_not_store_are_left_unmapped() -> None:
    rows = [["姓名", "身份证号", "性别", "车牌号", "金额"], ["王五", A, "男", "京A00001", "1"]]
    mapping = ingest.preview(readers.Sheet("x", rows), "benefit").mapping
    assert mapping.columns == {0: "name", 1: "id_number", 4: "amount"}
    assert mapping.unknown == (2, 3)
    assert mapping.missing == ("benefit_type",)


def test_mapping_problems() -> None:
    fine = {0: "name", 1: "id_number", 2: "benefit_type", 3: "amount"}
    assert ingest.mapping_problems(fine, "benefit") == []
    assert ingest.mapping_problems(
        {0: "name", 1: "id_number", 2: "plate", 3: "amount", 5: "colour", 27: "name", -1: "area"},
        "benefit",
    ) == [
        "column index -1 does not exist",
        "column C: 'plate' is not a field of a benefit dataset",
        "column F: 'colour' is not a known field",
        "'name' is mapped to more than one column (A, AB)",
        "the required field 'benefit_type' has no column",
    ]
    with pytest.raises(ValueError, match="required field 'amount'"):
        ingest.normalise_rows(readers.Sheet("x", []), "benefit", {0: "name"}, 0, [])
    with pytest.raises(ValueError, match="unknown dataset kind"):
        ingest.mapping_problems({}, "weather")


# -- every error code -------------------------------------------------------------------------

VALID_CELLS: dict[str, Any] = {
    "id_number": A,
    "name": "王五",
    "benefit_type": "低保",
    "period": "2024-03",
    "amount": "560",
    "death_date": "2024-03-05",
    "property": "城关镇东街1号",
    "area": "88.5",
}


def _one_row(kind: str, field: str, raw: Any) -> ingest.Result:
    fields = [f for f in VALID_CELLS if f in SCHEMA[kind]]
    head = [headers.FIELDS[f][0] for f in fields]
    row = [raw if f == field else VALID_CELLS[f] for f in fields]
    sheet = readers.Sheet("x", [head, row])
    columns = dict(enumerate(fields))
    return ingest.normalise_rows(sheet, kind, columns, 1, head)


@pytest.mark.parametrize(
    ("kind", "field", "raw", "code"),
    [
        ("benefit", "id_number", A[:17], "id_length"),
        ("benefit", "id_number", A[:16] + "AX", "id_digits"),
        ("benefit", "id_number", A[:17] + "Y", "id_last"),
        ("benefit", "id_number", "0" + A[1:], "id_region"),
        ("benefit", "id_number", A[:10] + "0230" + A[14:], "id_date"),
        ("benefit", "id_number", A[:6] + "1849" + A[10:], "id_year"),
        ("benefit", "id_number", A[:17] + ("0" if A[17] != "0" else "1"), "id_check"),
        ("benefit", "id_number", A[:14] + "A", "id_digits15"),
        ("benefit", "id_number", 1.1010519710305e17, "number"),
        ("benefit", "name", "王五2", "digits"),
        ("benefit", "name", "·艾力", "dot"),
        ("benefit", "period", "三月", "form"),
        ("benefit", "period", "2024-13", "no_such_month"),
        ("benefit", "period", "2024-02-30", "no_such_day"),
        ("benefit", "period", "24-3", "two_digit_year"),
        ("benefit", "period", "2024", "year_only"),
        ("benefit", "period", 2024.1, "ambiguous"),
        ("benefit", "period", "0", "serial"),
        ("benefit", "amount", "12.345", "cents"),
        ("benefit", "amount", "1e20", "too_large"),
        ("benefit", "amount", "一千元", "form"),
        ("benefit", "benefit_type", "  ", "required"),
        ("death", "death_date", "2023-02-29", "no_such_day"),
        ("death", "death_date", 3_000_000, "serial"),
        ("real_estate", "area", "八十平方米", "form"),
    ],
)
def test_every_error_code(kind: str, field: str, raw: Any, code: str) -> None:
    result = _one_row(kind, field, raw)
    assert result.table.num_rows == 0 and result.total == 1
    assert [(e.row, e.field, e.value, e.code) for e in result.errors] == [
        (2, field, ingest.display(raw), code)
    ]
    assert result.errors[0].column == headers.FIELDS[field][0]
    assert result.errors[0].message


def test_error_messages_say_what_is_wrong() -> None:
    assert _one_row("benefit", "period", "2024-13").errors[0].message == (
        "2024-13: there is no month 13"
    )
    assert _one_row("benefit", "amount", "1e20").errors[0].message == (
        "1e20 is too large for an amount"
    )
    long = "王" * 300 + "1"
    error = _one_row("benefit", "name", long).errors[0]
    assert error.value == "王" * 200 and error.code == "digits"


def test_one_error_per_bad_cell_and_optional_cells_may_be_empty() -> None:
    head = ["姓名", "身份证号", "救助类别", "金额", "发放月份", "乡镇", "村", "户号"]
    rows: list[list[Any]] = [head, ["王五2", "x", "低保", "1.001", "", None, "", None]]
    rows.append(["李四", B, "五保", 7])
    columns = dict(enumerate(["name", "id_number", "benefit_type", "amount", "period"]))
    columns |= {5: "township", 6: "village", 7: "household"}
    result = ingest.normalise_rows(readers.Sheet("x", rows), "benefit", columns, 1, head)
    assert [(e.row, e.column, e.code) for e in result.errors] == [
        (2, "姓名", "digits"),
        (2, "身份证号", "id_length"),
        (2, "金额", "cents"),
    ]
    assert result.table.to_pylist() == [
        {
            "_row": 3,
            "id_number": B,
            "name": "李四",
            "benefit_type": "五保",
            "period": None,
            "amount": Decimal("7.00"),
            "township": None,
            "village": None,
            "household": None,
        }
    ]


def test_text_values_trimmed_and_a_column_without_header_named_by_letter() -> None:
    rows: list[list[Any]] = [
        ["姓名", "身份证号", "户号", "与户主关系", ""],
        ["王五", A, 1001, " 户主 ", "x"],
        ["李四", B, "  Ｈ\u3000001 ", "子\n女", None],
        ["赵六", "", "1002", "妻", None],
    ]
    columns = {0: "name", 1: "id_number", 2: "household", 3: "relation", 4: "address"}
    result = ingest.normalise_rows(readers.Sheet("x", rows), "household", columns, 1, ["姓名"])
    assert result.table.column("household").to_pylist() == ["1001", "H 001"]
    assert result.table.column("relation").to_pylist() == ["户主", "子 女"]
    assert result.table.column("address").to_pylist() == ["x", None]
    assert result.errors[0].column == "B"  # no header text given for column 2


def test_progress_every_ten_thousand_rows() -> None:
    rows: list[list[Any]] = [["姓名", "身份证号", "工作单位"]]
    rows += [["王五", A, "县财政局"]] * 25_000
    calls: list[tuple[int, int]] = []
    result = ingest.normalise_rows(
        readers.Sheet("x", rows),
        "payroll",
        {0: "name", 1: "id_number", 2: "organisation"},
        1,
        rows[0],
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(10_000, 25_000), (20_000, 25_000), (25_000, 25_000)]
    assert result.table.num_rows == 25_000 and result.total == 25_000
    assert result.table.column("_row").to_pylist()[-1] == 25_001


# -- Parquet ----------------------------------------------------------------------------------


def test_write_parquet_round_trip_with_the_kinds_schema(tmp_path: Path) -> None:
    path = tmp_path / "低保.xlsx"
    _benefit_xlsx(path)
    sheet = readers.read(path)
    preview = ingest.preview(sheet, "benefit")
    result = ingest.normalise_rows(
        sheet, "benefit", preview.mapping.columns, preview.data_start, preview.headers
    )
    target = tmp_path / "v1.parquet"
    ingest.write_parquet(result.table, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v1.parquet", "低保.xlsx"]
    back = pq.read_table(target)
    assert back.schema == ingest.arrow_schema("benefit")
    assert back.equals(result.table)
    assert pq.ParquetFile(target).metadata.row_group(0).column(1).compression == "ZSTD"
    for kind in SCHEMA:  # empty tables of every kind too
        ingest.write_parquet(ingest.empty_table(kind), tmp_path / f"{kind}.parquet")
        assert pq.read_table(tmp_path / f"{kind}.parquet").schema == ingest.arrow_schema(kind)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "v1.parquet"
    ingest.write_parquet(ingest.empty_table("death"), target)
    before = target.read_bytes()
    with pytest.raises((TypeError, AttributeError)):
        ingest.write_parquet("not a table", target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["v1.parquet"]


# -- the error report -------------------------------------------------------------------------

ERRORS = [
    RowError(7, "身份证号", "id_number", "", "required", "the cell is empty"),
    RowError(9, "姓名", "name", '=HYPERLINK("http://example.invalid","x")', "digits", "no"),
    RowError(12, "序号", "", "合计\x07", "total_row", "a total row (合计) is not a record"),
]


def test_error_report_cell_by_cell() -> None:
    book = load_workbook(io.BytesIO(ingest.error_report(ERRORS, "低保.xlsx")))
    sheet = book.active
    assert sheet.title == "errors" and sheet.freeze_panes == "A3"
    values = [[c.value for c in row] for row in sheet.iter_rows(max_col=5)]
    assert values == [
        ["低保.xlsx", None, None, None, None],
        ["行号", "列", "字段", "值", "问题"],
        [7, "身份证号", "id_number", None, "the cell is empty"],
        [9, "姓名", "name", '=HYPERLINK("http://example.invalid","x")', "no"],
        [12, "序号", None, "合计", "a total row (合计) is not a record"],
    ]
    assert sheet["D4"].data_type == "s"  # text, not a formula
    assert sheet["A1"].font.b and sheet["C2"].font.b and not sheet["A3"].font.b


def test_error_report_with_english_labels_and_no_errors() -> None:
    labels = ("Row", "Column", "Field", "Value", "Problem")
    book = load_workbook(io.BytesIO(ingest.error_report([], "payroll.csv", labels)))
    values = [[c.value for c in row] for row in book.active.iter_rows()]
    assert values == [["payroll.csv", None, None, None, None], list(labels)]
    with pytest.raises(ValueError, match="5 texts, not 2"):
        ingest.error_report([], "x", ("a", "b"))


def test_display_text() -> None:
    assert ingest.display(None) == ""
    assert ingest.display(MIDNIGHT) == "2024-03-05"
    assert ingest.display(dt.datetime(2024, 3, 5, 8, 30)) == "2024-03-05 08:30:00"  # noqa: DTZ001
    assert ingest.display(D(2024, 3, 5)) == "2024-03-05"
    assert ingest.display(560.0) == "560" and ingest.display(560.5) == "560.5"
    assert ingest.display(Decimal("1.10")) == "1.10"
