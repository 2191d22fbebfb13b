import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xuncha.core.lib import idnumber


def test_valid_number_is_kept():
    number = idnumber.make("110105", dt.date(1949, 12, 31), 1)
    assert idnumber.normalise(number) == number


def test_fullwidth_digits_spaces_and_lowercase_x_are_normalised():
    number = idnumber.make("110105", dt.date(1980, 1, 1), 21)
    messy = " ".join([number[:6], number[6:14], number[14:]])
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in messy)
    assert idnumber.normalise(fullwidth) == number
    x_number = next(
        idnumber.make("110105", dt.date(1980, 1, 1), s)
        for s in range(1000)
        if idnumber.make("110105", dt.date(1980, 1, 1), s).endswith("X")
    )
    assert idnumber.normalise(x_number.lower()) == x_number


def test_fifteen_digit_number_is_upgraded_by_the_standard_rule():
    # 15 digits: region 110105, birth 491231 (1949-12-31), sequence 002.
    upgraded = idnumber.normalise("110105491231002")
    assert upgraded[:17] == "11010519491231002"
    assert upgraded[17] == idnumber.check_character("11010519491231002")
    assert idnumber.parse(upgraded).birth_date == dt.date(1949, 12, 31)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("12345", "18 characters"),
        ("11010519491331002X", "does not exist"),
        ("A1010519491231002X", "digits"),
        ("01010519491231002X", "region code"),
    ],
)
def test_invalid_numbers_say_why(raw, reason):
    with pytest.raises(idnumber.InvalidIdNumber, match=reason):
        idnumber.parse(raw)


def test_wrong_check_character_is_named():
    number = idnumber.make("110105", dt.date(1990, 5, 17), 123)
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    with pytest.raises(idnumber.InvalidIdNumber, match=f"should be {number[17]}"):
        idnumber.parse(wrong)


@given(
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)),
    seq=st.integers(0, 999),
)
def test_made_numbers_round_trip_and_single_digit_changes_are_caught(birth, seq):
    number = idnumber.make("530102", birth, seq)
    parsed = idnumber.parse(number)
    assert parsed.birth_date == birth
    assert parsed.gender == ("M" if seq % 2 else "F")
    assert parsed.masked().startswith("5301") and "*" in parsed.masked()
    # Changing one digit of the sequence is always detected by the check character.
    changed = number[:16] + str((int(number[16]) + 1) % 10) + number[17]
    assert not idnumber.is_valid(changed)


def test_digits_of_other_scripts_are_refused():
    valid = idnumber.make("431099", dt.date(1970, 1, 1), 1)
    for foreign in ("\u0661", "\u06f1", "\u0967"):  # Arabic-Indic, Persian, Devanagari one
        assert not idnumber.is_valid(foreign + valid[1:])
        assert not idnumber.is_valid(valid[:16] + foreign + valid[17])
