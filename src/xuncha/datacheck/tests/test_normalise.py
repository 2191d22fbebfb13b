"""Normalising the values other departments export (issue #8, groundwork)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from xuncha.core.lib import idnumber
from xuncha.datacheck.lib import normalise as n

VALID = idnumber.make("110105", dt.date(1971, 3, 5), 42)


@pytest.mark.parametrize(
    "raw",
    [
        VALID,
        f" {VALID[:6]} {VALID[6:14]} {VALID[14:]} ",
        VALID.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")),
        VALID.lower(),
    ],
)
def test_id_numbers_in_the_forms_departments_export(raw: str) -> None:
    assert n.id_number(raw) == VALID


def test_a_15_digit_number_is_upgraded_and_a_bad_check_refused() -> None:
    old = VALID[:6] + VALID[8:17]
    assert n.id_number(old) == VALID
    wrong = VALID[:17] + ("0" if VALID[17] != "0" else "1")
    with pytest.raises(n.BadValue) as exc:
        n.id_number(wrong)
    assert exc.value.code == "id_check"
    with pytest.raises(n.BadValue, match="stored as a number"):
        n.id_number(1.10105197103054e17)
    with pytest.raises(n.BadValue, match="empty"):
        n.id_number("  ")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("王　五", "王五"),  # padded with an ideographic space
        (" 王 五 ", "王五"),
        ("張衛東", "张卫东"),  # traditional to simplified
        ("买买提·艾力", "买买提·艾力"),
        ("买买提・艾力", "买买提·艾力"),  # katakana middle dot
        ("买买提•艾力", "买买提·艾力"),  # bullet
        ("买买提 . 艾力", "买买提·艾力"),  # full stop typed for the dot
        ("买买提．艾力", "买买提·艾力"),  # full-width full stop
        ("Ｌｉ Ｍｉｎｇ", "Li Ming"),  # full-width Latin, the space between words kept
    ],
)
def test_names(raw: str, expected: str) -> None:
    assert n.name(raw) == expected


@pytest.mark.parametrize(("raw", "code"), [("", "empty"), ("·艾力", "dot"), ("王五2", "digits")])
def test_bad_names(raw: str, code: str) -> None:
    with pytest.raises(n.BadValue) as exc:
        n.name(raw)
    assert exc.value.code == code


@pytest.mark.parametrize(
    "raw",
    [
        "2021年3月5日",
        "2021 年 03 月 05 日",
        "2021-3-5",
        "2021/03/05",
        "2021.03.05",
        "20210305",
        "2021-03-05 14:30:00",
        "２０２１－０３－０５",
        44260,  # Excel's serial number
        44260.75,  # with a time of day
        "44260",
        dt.date(2021, 3, 5),
        dt.datetime(2021, 3, 5, 9, 0, tzinfo=dt.UTC),
    ],
)
def test_dates_in_every_common_form(raw: object) -> None:
    assert n.date(raw) == dt.date(2021, 3, 5)


def test_excel_serials_around_the_1900_leap_bug() -> None:
    assert n.date(1) == dt.date(1900, 1, 1)
    assert n.date(59) == dt.date(1900, 2, 28)
    assert n.date(61) == dt.date(1900, 3, 1)
    with pytest.raises(n.BadValue, match="1900-02-29"):
        n.date(60)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("2021-02-30", "no_such_day"),
        ("21-3-5", "two_digit_year"),
        ("三月五日", "form"),
        ("", "empty"),
        (None, "empty"),
        (0, "serial"),
    ],
)
def test_bad_dates(raw: object, code: str) -> None:
    with pytest.raises(n.BadValue) as exc:
        n.date(raw)
    assert exc.value.code == code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,234.50", "1234.50"),
        ("1，234.5元", "1234.50"),
        ("¥3,000", "3000.00"),
        ("￥3000元", "3000.00"),
        ("RMB 12", "12.00"),
        ("1.2万元", "12000.00"),
        ("1.2345万", "12345.00"),
        ("0.5亿元", "50000000.00"),
        ("(500)", "-500.00"),
        ("-1,000", "-1000.00"),
        ("1 234 567", "1234567.00"),
        (1234.5, "1234.50"),
        (88, "88.00"),
        (Decimal("7.1"), "7.10"),
    ],
)
def test_amounts(raw: object, expected: str) -> None:
    assert n.amount(raw) == Decimal(expected)


@pytest.mark.parametrize(
    ("raw", "code"), [("12.345", "cents"), ("一千元", "form"), ("", "empty"), ("nan", "form")]
)
def test_bad_amounts(raw: object, code: str) -> None:
    with pytest.raises(n.BadValue) as exc:
        n.amount(raw)
    assert exc.value.code == code


def test_the_fast_path_for_canonical_id_numbers_agrees_with_idnumber() -> None:
    assert n.id_number(VALID) == VALID
    for wrong in (
        VALID[:17] + ("0" if VALID[17] != "0" else "1"),  # check character
        "0" + VALID[1:],  # region
        VALID[:6] + "1849" + VALID[10:],  # year
        VALID[:10] + "1301" + VALID[14:],  # month 13
        "١" + VALID[1:],  # an Arabic-Indic digit: idnumber.normalise would keep it
    ):
        with pytest.raises(n.BadValue):
            n.id_number(wrong)
    assert n.id_number(int(VALID)) == VALID  # an exact integer cell (VALID ends in a digit)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (20210305, dt.date(2021, 3, 5)),  # YYYYMMDD held as a number
        (20210305.0, dt.date(2021, 3, 5)),
        (197103, dt.date(1971, 3, 1)),  # YYYYMM (出生年月)
        (1971.03, dt.date(1971, 3, 1)),  # "1971.03" typed into a general cell
        (1971.1, None),  # 1971.1 or 1971.10
        ("1971.03", dt.date(1971, 3, 1)),
        ("1971.1", dt.date(1971, 1, 1)),  # as text it is what was typed
        ("1971年3月", dt.date(1971, 3, 1)),
        ("1971-03", dt.date(1971, 3, 1)),
        ("197103", dt.date(1971, 3, 1)),
        (1905.5, dt.date(1905, 5, 1)),  # a year and month, not the serial of 1905-03-20
    ],
)
def test_dates_held_as_numbers_or_naming_a_month(raw: object, expected: dt.date | None) -> None:
    if expected is None:
        with pytest.raises(n.BadValue) as exc:
            n.date(raw)
        assert exc.value.code == "ambiguous"
        assert str(exc.value) == (
            "1971.1 was stored as a number, so it may be 1971.1 or 1971.10: "
            "write it as text (e.g. 2024-10)"
        )
    else:
        assert n.date(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "2024年3月",
        "2024 年 03 月份",
        "2024-03",
        "2024-3",
        "2024/3",
        "2024.03",
        "202403",
        202403,
        202403.0,
        2024.03,
        "2024年3月31日",
        "2024-03-09 08:00",
        "20240331",
        20240331,
        45352,  # 2024-03-01
        45382.5,  # 2024-03-31, noon
        "45370",
        dt.date(2024, 3, 15),
        dt.datetime(2024, 3, 15, 23, 59, tzinfo=dt.UTC),
        "２０２４－０３",
    ],
)
def test_months(raw: object) -> None:
    assert n.month(raw) == dt.date(2024, 3, 1)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("2024-13", "no_such_month"),
        (202400, "no_such_month"),
        (2024.13, "no_such_month"),
        ("2024-00", "no_such_month"),
        ("2024", "year_only"),
        ("2024年", "year_only"),
        (2024, "year_only"),
        (2024.0, "year_only"),
        (2024.1, "ambiguous"),
        (2024.123, "form"),
        ("24-3", "two_digit_year"),
        ("24年3月", "two_digit_year"),
        ("三月", "form"),
        ("", "empty"),
        (None, "empty"),
        (True, "empty"),
        (0, "serial"),
        ("2024-02-30", "no_such_day"),
    ],
)
def test_bad_months(raw: object, code: str) -> None:
    with pytest.raises(n.BadValue) as exc:
        n.month(raw)
    assert exc.value.code == code


def test_month_messages() -> None:
    with pytest.raises(n.BadValue, match=r"^三月 is not a month in a known form \(e.g. 2024-03\)$"):
        n.month("三月")
    with pytest.raises(n.BadValue, match=r"^the month is empty$"):
        n.month(" ")
    with pytest.raises(n.BadValue, match=r"^2024 is a year only: the month is missing"):
        n.month(2024)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("88.5", 88.5),
        ("1,234.5", 1234.5),
        ("120平方米", 120.0),
        ("120 平米", 120.0),
        ("96.3㎡", 96.3),
        ("96.3m²", 96.3),
        ("８８", 88.0),
        (".5", 0.5),
        (88, 88.0),
        (88.25, 88.25),
        (Decimal("1.5"), 1.5),
    ],
)
def test_numbers(raw: object, expected: float) -> None:
    value = n.number(raw)
    assert value == expected and type(value) is float


@pytest.mark.parametrize(
    ("raw", "code"),
    [("八十", "form"), ("1.2.3", "form"), ("nan", "form"), ("inf", "form"), ("", "empty")],
)
def test_bad_numbers(raw: object, code: str) -> None:
    with pytest.raises(n.BadValue) as exc:
        n.number(raw)
    assert exc.value.code == code
    assert n.number(float("1e3")) == 1000.0
    with pytest.raises(n.BadValue):
        n.number(float("nan"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  城关镇  ", "城关镇"),
        ("城关镇\u3000 人民\n\t政府", "城关镇 人民 政府"),
        ("ＡＢＣ１２３", "ABC123"),
        ("", None),
        ("  \u3000 ", None),
        (None, None),
        (1001, "1001"),
        (1001.0, "1001"),
        (10.5, "10.5"),
        (dt.date(2024, 3, 5), "2024-03-05"),
        (dt.datetime(2024, 3, 5), "2024-03-05"),  # noqa: DTZ001
        (dt.datetime(2024, 3, 5, 8, 30), "2024-03-05 08:30:00"),  # noqa: DTZ001
        (Decimal("7.10"), "7.10"),
    ],
)
def test_text(raw: object, expected: str | None) -> None:
    assert n.text(raw) == expected
