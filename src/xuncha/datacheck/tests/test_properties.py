"""Properties of value normalisation over every value, not a few examples (issue #8).

ID numbers: any valid number (``idnumber.make``) survives every messy rendering a
department exports, and any change of a single character is refused. Dates: every
rendering of any day 1900-03-01..2099-12-31 gives that day. Months: every rendering of any
month gives its first day. Amounts: yuan text, 万元 and 亿元 give back the amount.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xuncha.core.lib import idnumber
from xuncha.datacheck.lib import normalise as n

FULL_WIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")
EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 for serials from 61 (1900-03-01) on
YEAR_LIKE = range(1900, 2100)  # numbers read as a year (and month), not as a serial

births = st.dates(dt.date(1850, 1, 1), dt.date(2099, 12, 31))
regions = st.integers(100_000, 999_999).map(str)
sequences = st.integers(0, 999)


@st.composite
def valid_ids(draw: st.DrawFn) -> str:
    return idnumber.make(draw(regions), draw(births), draw(sequences))


@st.composite
def messy(draw: st.DrawFn, value: str) -> str:
    """``value`` as a department may export it: whitespace or a hyphen inside and around,
    some characters full-width, the X lowercase."""
    chars = list(value)
    if draw(st.booleans()):
        chars = [c.lower() for c in chars]
    chars = [c.translate(FULL_WIDTH) if draw(st.booleans()) else c for c in chars]
    gaps = st.sampled_from(["", "", " ", "\u3000", "\t", "-"])
    inner = [chars[0]] + [draw(gaps) + c for c in chars[1:]]
    return draw(gaps) + "".join(inner) + draw(st.sampled_from(["", " ", "\u3000", "\n"]))


@settings(max_examples=300)
@given(st.data())
def test_any_valid_id_survives_every_messy_rendering(data: st.DataObject) -> None:
    valid = data.draw(valid_ids())
    assert n.id_number(valid) == valid
    assert n.id_number(data.draw(messy(valid))) == valid


@settings(max_examples=200)
@given(st.data())
def test_the_15_digit_form_of_a_19xx_birth(data: st.DataObject) -> None:
    birth = data.draw(st.dates(dt.date(1900, 1, 1), dt.date(1999, 12, 31)))
    valid = idnumber.make(data.draw(regions), birth, data.draw(sequences))
    old = valid[:6] + valid[8:17]
    assert n.id_number(old) == valid
    assert n.id_number(data.draw(messy(old))) == valid


@settings(max_examples=500)
@given(valid_ids(), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_any_single_character_change_is_refused(valid: str, position: int, new: str) -> None:
    if position < 17 and new == "X":
        new = "1"  # the first 17 places are digits: a digit is changed for another
    if new == valid[position]:
        new = "0" if valid[position] != "0" else "1"
    changed = valid[:position] + new + valid[position + 1 :]
    with pytest.raises(n.BadValue):
        n.id_number(changed)
    with pytest.raises(n.BadValue):
        n.id_number(changed.lower())


@settings(max_examples=500)
@given(st.text("0123456789", min_size=17, max_size=17), st.sampled_from("0123456789X"))
def test_the_fast_path_agrees_with_idnumber(first17: str, last: str) -> None:
    candidate = first17 + last
    try:
        got: str | None = n.id_number(candidate)
    except n.BadValue:
        got = None
    assert got == (candidate if idnumber.is_valid(candidate) else None)


# -- dates ------------------------------------------------------------------------------------

days = st.dates(dt.date(1900, 3, 1), dt.date(2099, 12, 31))


def _text_renderings(d: dt.date) -> list[str]:
    return [
        f"{d.year}年{d.month}月{d.day}日",
        f"{d.year}年{d.month:02d}月{d.day:02d}日",
        f"{d.year}-{d.month}-{d.day}",
        f"{d:%Y-%m-%d}",
        f"{d:%Y/%m/%d}",
        f"{d.year}/{d.month}/{d.day}",
        f"{d:%Y.%m.%d}",
        f"{d:%Y%m%d}",
        f"{d:%Y-%m-%d} 14:30:00",
        f"{d:%Y-%m-%d}".translate(FULL_WIDTH),
    ]


@settings(max_examples=300)
@given(days, st.floats(0, 0.999), st.times())
def test_every_rendering_of_a_date(day: dt.date, fraction: float, time: dt.time) -> None:
    renderings: list[Any] = _text_renderings(day)
    renderings += [
        day,
        dt.datetime.combine(day, time),
        dt.datetime.combine(day, time, tzinfo=dt.UTC),
        int(f"{day:%Y%m%d}"),  # YYYYMMDD kept as a number
    ]
    serial = (day - EPOCH).days
    if serial not in YEAR_LIKE:
        renderings += [serial, float(serial), serial + fraction, str(serial)]
    for raw in renderings:
        assert n.date(raw) == day, raw


@settings(max_examples=100)
@given(st.dates(dt.date(1905, 3, 14), dt.date(1905, 9, 29)))
def test_serials_that_look_like_years_are_not_read_as_days(day: dt.date) -> None:
    serial = (day - EPOCH).days
    assert serial in YEAR_LIKE
    with pytest.raises(n.BadValue) as exc:
        n.date(serial)
    assert exc.value.code == "year_only"
    assert n.date(str(day)) == day  # written as a date, such a day is read


# -- months -----------------------------------------------------------------------------------

months = st.builds(dt.date, st.integers(1900, 2099), st.integers(1, 12), st.just(1))


@settings(max_examples=300)
@given(months, st.integers(0, 27), st.times())
def test_every_rendering_of_a_month(month: dt.date, offset: int, time: dt.time) -> None:
    y, m = month.year, month.month
    day = month + dt.timedelta(days=offset)  # a day of that month
    renderings: list[Any] = [
        f"{y}年{m}月",
        f"{y}年{m:02d}月份",
        f"{y}-{m:02d}",
        f"{y}-{m}",
        f"{y}/{m}",
        f"{y}.{m:02d}",
        f"{y}.{m}",
        f"{y}{m:02d}",
        int(f"{y}{m:02d}"),
        f"{y}-{m:02d}".translate(FULL_WIDTH),
        day,
        dt.datetime.combine(day, time),
        *_text_renderings(day),
    ]
    if m != 10:  # 2024.10 as a number is 2024.1: refused as ambiguous (below)
        renderings.append(float(f"{y}.{m:02d}"))
    if day >= dt.date(1900, 3, 1) and (day - EPOCH).days not in YEAR_LIKE:
        renderings.append((day - EPOCH).days)
    for raw in renderings:
        assert n.month(raw) == month, raw


@given(st.integers(1900, 2099))
def test_a_month_number_ending_in_one_tenth_is_ambiguous(year: int) -> None:
    for raw in (float(f"{year}.10"), float(f"{year}.1")):
        with pytest.raises(n.BadValue) as exc:
            n.month(raw)
        assert exc.value.code == "ambiguous"
    assert n.month(f"{year}.10") == dt.date(year, 10, 1)
    assert n.month(f"{year}.1") == dt.date(year, 1, 1)


# -- amounts ----------------------------------------------------------------------------------

cents = st.integers(-(10**15), 10**15)


@settings(max_examples=300)
@given(cents)
def test_amounts_round_trip_through_yuan_text(amount_cents: int) -> None:
    x = Decimal(amount_cents).scaleb(-2)
    renderings: list[Any] = [
        f"{x:.2f}",
        f"{x:,.2f}",
        f"{x:.2f}元",
        f"{x:,.2f}".replace(",", "，"),
        f"{x:,.2f}".replace(",", " "),
        f"{x:,.2f}".replace(",", "\u2009"),
        f"{x / 10_000:f}万元",
        f"{x / 10_000:f}万",
        f"{x / 100_000_000:f}亿元",
        f"RMB {x:.2f}",
        x,
    ]
    if x >= 0:
        renderings += [f"¥{x:,.2f}", f"￥{x:.2f}元"]
    else:
        renderings += [f"({-x:,.2f})"]
    if abs(amount_cents) < 10**14:
        renderings.append(float(x))  # what a spreadsheet cell holds
    if amount_cents % 100 == 0:
        renderings.append(amount_cents // 100)
    for raw in renderings:
        assert n.amount(raw) == x, raw


@given(cents, st.integers(1, 9))
def test_a_fraction_of_a_cent_is_refused(amount_cents: int, extra: int) -> None:
    x = Decimal(amount_cents).scaleb(-2) + Decimal(extra).scaleb(-3)
    with pytest.raises(n.BadValue) as exc:
        n.amount(f"{x:f}")
    assert exc.value.code == "cents"
