"""Citizen ID numbers (公民身份号码) under GB 11643-1999.

Pure functions, no Django. ``normalise`` accepts what people type and what departments
export: surrounding and inner spaces, full-width digits and letters, a lowercase ``x``,
and the older 15-digit numbers, which it upgrades to 18 digits by the rule of the
standard (insert the century ``19`` after the six-digit address code, then append the
ISO 7064 MOD 11-2 check character).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SEPARATORS = re.compile(r"[\s\-_]+")


# Why a value is not a valid number: code -> English message (translated by the forms).
REASONS = {
    "empty": "the ID number is empty",
    "length": "an ID number has 18 characters (or 15 for old ones), not {length}",
    "digits": "the first 17 characters must be digits",
    "last": "the last character must be a digit or X",
    "region": "the region code cannot start with 0",
    "date": "the birth date {date} does not exist",
    "year": "the birth year {year} is not plausible",
    "check": "the check character is {found} but should be {expected}",
    "digits15": "a 15-digit number must consist of 15 digits",
}


class InvalidIdNumber(ValueError):
    """The value is not a valid citizen ID number; ``code`` and ``params`` say why."""

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(REASONS[code].format(**params))


def check_character(first17: str) -> str:
    """The MOD 11-2 check character for the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise InvalidIdNumber("digits")
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


@dataclass(frozen=True)
class IdNumber:
    value: str

    @property
    def region_code(self) -> str:
        return self.value[:6]

    @property
    def birth_date(self) -> dt.date:
        return dt.date(int(self.value[6:10]), int(self.value[10:12]), int(self.value[12:14]))

    @property
    def gender(self) -> str:
        """``M`` or ``F``: the sequence digit is odd for men, even for women."""
        return "M" if int(self.value[16]) % 2 == 1 else "F"

    def masked(self) -> str:
        return f"{self.value[:4]}{'*' * 10}{self.value[14:]}"


def _clean(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw)
    return _SEPARATORS.sub("", text).upper()


def _ascii_digits(text: str) -> bool:
    """0-9 only: ``str.isdigit`` also takes other scripts' digits (Arabic-Indic "١"),
    which NFKC leaves as they are."""
    return text.isascii() and text.isdigit()


def upgrade_15(value: str) -> str:
    """Upgrade a 15-digit number (two-digit year, no check character) to 18 digits."""
    if len(value) != 15 or not _ascii_digits(value):
        raise InvalidIdNumber("digits15")
    first17 = value[:6] + "19" + value[6:]
    return first17 + check_character(first17)


def parse(raw: str) -> IdNumber:
    """Normalise and validate; raise ``InvalidIdNumber`` saying what is wrong."""
    if raw is None or not str(raw).strip():
        raise InvalidIdNumber("empty")
    value = _clean(str(raw))
    if len(value) == 15:
        value = upgrade_15(value)
    if len(value) != 18:
        raise InvalidIdNumber("length", length=len(value))
    if not _ascii_digits(value[:17]):
        raise InvalidIdNumber("digits")
    if not (_ascii_digits(value[17]) or value[17] == "X"):
        raise InvalidIdNumber("last")
    if value[0] == "0":
        raise InvalidIdNumber("region")
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidIdNumber("date", date=value[6:14]) from None
    if birth.year < 1850:
        raise InvalidIdNumber("year", year=birth.year)
    expected = check_character(value[:17])
    if value[17] != expected:
        raise InvalidIdNumber("check", found=value[17], expected=expected)
    return IdNumber(value)


def normalise(raw: str) -> str:
    """The canonical 18-character form of a valid number."""
    return parse(raw).value


def is_valid(raw: str) -> bool:
    try:
        parse(raw)
    except InvalidIdNumber:
        return False
    return True


def make(region_code: str, birth: dt.date, sequence: int) -> str:
    """Build a valid number (used by the demo generator and tests)."""
    if not (0 <= sequence <= 999):
        raise ValueError("sequence must be 0..999")
    first17 = f"{region_code}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)
