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
