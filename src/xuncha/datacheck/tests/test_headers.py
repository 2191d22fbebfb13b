"""Mapping department header rows to canonical fields (issue #8, groundwork)."""

from __future__ import annotations

import pytest

from xuncha.datacheck.lib import headers as h


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("身份证号", "id_number"),
        ("公民身份号码", "id_number"),
        ("证件号码", "id_number"),
        (" 身份证\n号码 ", "id_number"),
        ("享受人员身份证号", "id_number"),  # contains one field's variant
        ("发放金额（元）", "amount"),  # a bracketed unit
        ("3.姓名", "name"),  # numbered
        ("统一社会信用代码", "credit_code"),
        ("序号", None),
        ("", None),
        (None, None),
    ],
)
def test_header_variants(header: object, field: str | None) -> None:
    assert h.field_of(header) == field


def test_the_header_row_is_found_below_a_title() -> None:
    rows = [
        ["2024年城关镇城乡低保发放花名册", "", "", ""],
        ["制表单位：城关镇民政办", "", "", ""],
        ["序号", "姓名", "身份证号", "发放金额（元）"],
        ["1", "王五", "110105197103050428", "560"],
    ]
    assert h.find_header_row(rows) == 2
    assert h.find_header_row([["标题"], ["1", "2"]]) is None


def test_merged_header_cells_over_two_rows() -> None:
    upper = ["序号", "户主", "", "家庭成员", "", "保障金额"]
    lower = ["", "姓名", "身份证号", "姓名", "与户主关系", ""]
    combined = h.combine_rows(upper, lower)
    assert combined == ["序号", "姓名", "身份证号", "姓名", "与户主关系", "保障金额"]
    mapping = h.map_headers(combined, "household")
    assert mapping.columns == {1: "name", 2: "id_number", 4: "relation", 5: "amount"}
    assert mapping.duplicates == ((3, "name"),)
    assert mapping.missing == ("household",)
    assert 0 in mapping.unknown


def test_a_benefit_list_maps_completely() -> None:
    mapping = h.map_headers(
        ["姓名", "公民身份号码", "救助类别", "发放金额（元）", "备注"], "benefit"
    )
    assert mapping.missing == ()
    assert set(mapping.columns.values()) == {"name", "id_number", "benefit_type", "amount"}
    assert mapping.unknown == (4,)
    with pytest.raises(ValueError, match="unknown dataset kind"):
        h.map_headers([], "weather")


def test_every_kind_requires_known_fields_and_variants_do_not_collide() -> None:
    assert all(set(fields) <= set(h.FIELDS) for fields in h.KINDS.values())
    seen: dict[str, str] = {}
    for field, variants in h.FIELDS.items():
        for variant in variants:
            key = h.clean(variant)
            assert seen.setdefault(key, field) == field, (variant, seen[key], field)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("法定代表人身份证号码", "legal_rep_id"),  # an exact variant
        ("企业法定代表人身份证号码", "legal_rep_id"),  # longest contained variant
        ("法人身份证号码", "legal_rep_id"),  # 法人身份证号 (6) beats 身份证号码 (5)
        ("股东身份证号码（18位）", "shareholder_id"),
        ("户主身份证号码", "id_number"),
        ("车辆号牌号码", "plate"),
        ("死亡日期火化日期", None),  # two fields tied at the longest length
    ],
)
def test_the_longest_contained_variant_decides(header: str, field: str | None) -> None:
    assert h.field_of(header) == field


def test_a_title_merged_over_the_columns_counts_once() -> None:
    rows = [
        ["城关镇低保发放金额表"] * 4,  # names ``amount``, repeated into every column
        ["姓名", "身份证号", "救助类别", "备注"],
    ]
    assert h.field_of(rows[0][0]) == "amount"
    assert h.find_header_row(rows) == 1
