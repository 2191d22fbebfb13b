"""Cell values as other departments export them, made comparable (pure; no Django).

Issue #8 ("Values normalised"). Each function takes the raw cell (a string, or a number
or date where a spreadsheet gives one) and returns the canonical value, or raises
``BadValue`` with a code and an English message that says what is wrong with the value;
the importer adds the file, row and column.

* ID numbers: ``core.lib.idnumber`` (spaces, full-width characters, a lowercase x, the
  15-digit form upgraded, the check character verified), digits of other scripts
  refused; a number already in canonical form takes a fast path with the same checks.
* Names: Unicode NFKC (full-width letters and spaces become ordinary ones), every kind of
  whitespace removed inside a Chinese name (departments pad two-character names to three:
  "王　五") but single spaces kept between Latin words, traditional characters converted
  to simplified (OpenCC ``t2s``), and the middle dot of minority names (买买提·艾力) kept
  and unified: U+00B7, U+30FB, U+2022, U+FF0E and a full stop between two names all become
  U+00B7.
* Dates: 2021年3月5日, 2021-3-5, 2021/03/05, 2021.03.05, 20210305, with a time after the
  date ignored, Python dates and datetimes, and Excel serial numbers (days since
  1899-12-30, the 1900 leap-year bug included, 1 to 2958465). Two-digit years are refused:
  a department's "21-3-5" could be 1921 or 2021. Numbers a spreadsheet kept for what was
  typed are read as typed: 20210305 as YYYYMMDD, 202103 as YYYYMM, 2021.03 as year and
  month (but 2021.1, which may have been typed as 2021.10, is refused as ambiguous), and a
  bare year 1900..2099 is refused rather than read as a serial (a day in 1905).
* Months (payment periods; also a date column such as 出生年月): 2024年3月, 2024-03, 2024/3,
  2024.03, 202403, or any of the date forms above; a month is stored as its first day.
* Amounts: Decimal yuan, from numbers or text with 元, 万元 (x 10 000), 亿元, a thousands
  separator (comma, full-width comma or thin space), a leading ¥/￥ or RMB, and
  parentheses or a minus for negatives; at most two decimals after conversion.
* Numbers (an area): float, from numbers or text with thousands separators and a unit
  (平方米, 平米, m², ㎡).
* Text: NFKC, whitespace trimmed and inner runs of it collapsed to one space, empty as
  None; whole numbers without ".0", dates in ISO form.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from operator import mul
from typing import Any

from xuncha.core.lib import idnumber

EXCEL_EPOCH = dt.date(1899, 12, 30)
EXCEL_MAX = 2958465  # 9999-12-31
MIDDLE_DOT = "\u00b7"
_DOTS = "\u00b7\u30fb\u2022\uff0e\u2027\u0387"
_CJK = r"\u3400-\u9fff\U00020000-\U0002fa1f"


class BadValue(ValueError):
    """A value that cannot be normalised; ``code`` says why (for the error report)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


# -- ID numbers -------------------------------------------------------------------------------


_PLAIN_ID = re.compile(r"[1-9][0-9]{16}[0-9X]")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _plain_valid(raw: str) -> bool:
    """The fast path for a number already in canonical form (most of a large file): the
    same checks as ``idnumber.parse``, without its cleaning."""
    if len(raw) != 18 or not _PLAIN_ID.fullmatch(raw):
        return False
    if "10X98765432"[sum(map(mul, map(int, raw[:17]), _WEIGHTS)) % 11] != raw[17]:
        return False
    year = int(raw[6:10])
    if year < 1850:
        return False
    try:
        dt.date(year, int(raw[10:12]), int(raw[12:14]))
    except ValueError:
        return False
    return True


def id_number(raw: Any) -> str:
    if raw.__class__ is str and _plain_valid(raw):
        return str(raw)
    if raw is None or str(raw).strip() == "":
        raise BadValue("empty", "the ID number is empty")
    if isinstance(raw, float):  # a spreadsheet that read the number as a float
        raise BadValue(
            "number", "the ID number was stored as a number, so its last digits are lost"
        )
    try:
        value = idnumber.normalise(str(raw))
    except idnumber.InvalidIdNumber as exc:
        raise BadValue(f"id_{exc.code}", str(exc)) from None
    if not value.isascii():  # idnumber takes any Unicode digit (str.isdigit), e.g. "١"
        raise BadValue("id_digits", "the first 17 characters must be digits 0-9")
    return value


# -- names ------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s").convert


def name(raw: Any) -> str:
    text = unicodedata.normalize("NFKC", "" if raw is None else str(raw))
    text = re.sub(f"[{_DOTS}]", MIDDLE_DOT, text)
    # A full stop between two names is a middle dot typed on the wrong key.
    text = re.sub(f"(?<=[{_CJK}])\\s*[.。]\\s*(?=[{_CJK}])", MIDDLE_DOT, text)
    text = re.sub(r"\s+", " ", text).strip()
    # Spaces go where a side is Chinese or a dot; they stay between Latin words.
    text = re.sub(f"\\s*{MIDDLE_DOT}\\s*", MIDDLE_DOT, text)
    text = re.sub(f"(?<=[{_CJK}]) (?=[{_CJK}])", "", text)
    if not text:
        raise BadValue("empty", "the name is empty")
    if text.startswith(MIDDLE_DOT) or text.endswith(MIDDLE_DOT) or MIDDLE_DOT * 2 in text:
        raise BadValue("dot", "a middle dot stands between two parts of a name")
    if re.search(r"\d", text):
        raise BadValue("digits", "a name has no digits")
    return str(_t2s()(text))


# -- dates and months -------------------------------------------------------------------------

_DATE_FORMS = (
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?"),
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?=$|[\sT])"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_MONTH_FORMS = (
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月份?$"),
    re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})$"),
    re.compile(r"^(\d{4})(\d{2})$"),
)
_YEARS = range(1900, 2100)  # a number in this range is a year, not a date serial


def _excel(serial: float) -> dt.date:
    if serial != int(serial):
        serial = int(serial)  # a time of day after the date
    if not 1 <= serial <= EXCEL_MAX:
        raise BadValue("serial", f"{serial:g} is not a date serial number of a spreadsheet")
    if serial == 60:
        raise BadValue("no_such_day", "serial 60 is 1900-02-29, a day that did not exist")
    # Excel counts 1900-02-29, which did not exist: serials from 61 on are one day ahead
    # of the epoch 1899-12-31, which EXCEL_EPOCH (a day earlier) accounts for.
    if serial < 61:
        return dt.date(1899, 12, 31) + dt.timedelta(days=int(serial))
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def _day(year: int, month: int, day: int, raw: object) -> dt.date:
    if not 1 <= month <= 12:
        raise BadValue("no_such_month", f"{raw}: there is no month {month}")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise BadValue("no_such_day", f"{raw} is not a day of the calendar") from None


def _year_only(raw: object) -> BadValue:
    return BadValue("year_only", f"{raw} is a year only: the month is missing (e.g. 2024-03)")


def _from_number(raw: int | float) -> dt.date:
    """A date held as a number: YYYYMMDD, YYYYMM, YYYY.MM, or a spreadsheet serial."""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, int):
        if 10_000_000 <= raw <= 99_999_999:
            return _day(raw // 10_000, raw // 100 % 100, raw % 100, raw)
        if 100_000 <= raw <= 999_999:
            return _day(raw // 100, raw % 100, 1, raw)
        if raw in _YEARS:
            raise _year_only(raw)
        return _excel(raw)
    if int(raw) in _YEARS:
        # "1971.03" typed into a general cell is kept as the number 1971.03; 1971.10 is
        # kept as 1971.1, so a single decimal 1 cannot be told from October.
        year, _, digits = repr(raw).partition(".")
        if digits == "1":
            raise BadValue(
                "ambiguous",
                f"{raw} was stored as a number, so it may be {year}.1 or {year}.10: "
                "write it as text (e.g. 2024-10)",
            )
        if len(digits) > 2:
            raise BadValue("form", f"{raw} is not a date or month in a known form")
        return _day(int(year), int(digits), 1, raw)
    return _excel(raw)


def _parse(raw: Any, what: str) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, bool) or raw is None:
        raise BadValue("empty", f"the {what} is empty")
    if isinstance(raw, (int, float)):
        return _from_number(raw)
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if not text:
        raise BadValue("empty", f"the {what} is empty")
    for form in _DATE_FORMS:
        match = form.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            return _day(year, month, day, text)
    for form in _MONTH_FORMS:
        match = form.match(text)
        if match:
            return _day(int(match.group(1)), int(match.group(2)), 1, text)
    if re.fullmatch(r"\d{4}\s*年?", text) and int(text[:4]) in _YEARS:
        raise _year_only(text)
    if re.fullmatch(r"\d{1,7}(\.\d+)?", text):
        return _excel(float(text))
    if re.fullmatch(r"\d{1,2}\s*[-/.年]\s*\d{1,2}(\s*[-/.月]\s*\d{1,2})?\s*[日月]?", text):
        raise BadValue("two_digit_year", f"{text}: write the year with four digits")
    example = "2021-03-05" if what == "date" else "2024-03"
    raise BadValue("form", f"{text} is not a {what} in a known form (e.g. {example})")


def date(raw: Any) -> dt.date:
    """A day; a value that names only a month (出生年月 1971.03) gives its first day."""
    return _parse(raw, "date")


def month(raw: Any) -> dt.date:
    """The first day of the month a value names (a payment period)."""
    return _parse(raw, "month").replace(day=1)


# -- amounts ----------------------------------------------------------------------------------

_UNITS = {
    "亿元": Decimal(100_000_000),
    "亿": Decimal(100_000_000),
    "万元": Decimal(10_000),
    "万": Decimal(10_000),
    "元": Decimal(1),
}


def amount(raw: Any) -> Decimal:
    if isinstance(raw, bool) or raw is None:
        raise BadValue("empty", "the amount is empty")
    if isinstance(raw, (int, Decimal)):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(repr(raw))
    else:
        text = unicodedata.normalize("NFKC", str(raw)).strip()
        if not text:
            raise BadValue("empty", "the amount is empty")
        negative = text.startswith("(") and text.endswith(")")
        text = text.strip("()")
        text = re.sub(r"^(RMB|CNY|¥)\s*", "", text, flags=re.IGNORECASE)
        factor = Decimal(1)
        for unit, size in _UNITS.items():
            if text.endswith(unit):
                factor, text = size, text[: -len(unit)].strip()
                break
        text = re.sub(r"(?<=\d)[,\u2009 ](?=\d{3}(\D|$))", "", text)
        try:
            value = Decimal(text) * factor
        except InvalidOperation:
            raise BadValue("form", f"{raw} is not an amount (e.g. 1,234.50 or 1.2万元)") from None
        if negative:
            value = -value
    if not value.is_finite():
        raise BadValue("form", f"{raw} is not an amount")
    if value != value.quantize(Decimal("0.01")):
        raise BadValue("cents", f"{raw} has more than two decimals of a yuan")
    return value.quantize(Decimal("0.01"))


# -- numbers ----------------------------------------------------------------------------------

_AREA_UNITS = re.compile(r"\s*(平方米|平米|m2|m²|sqm)$", re.IGNORECASE)


def number(raw: Any) -> float:
    if isinstance(raw, bool) or raw is None:
        raise BadValue("empty", "the number is empty")
    if isinstance(raw, (int, float, Decimal)):
        value = float(raw)
    else:
        text = unicodedata.normalize("NFKC", str(raw)).strip()  # ㎡ becomes m2
        if not text:
            raise BadValue("empty", "the number is empty")
        text = _AREA_UNITS.sub("", text)
        text = re.sub(r"(?<=\d)[,\u2009 ](?=\d{3}(\D|$))", "", text)
        if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)", text):
            raise BadValue("form", f"{raw} is not a number (e.g. 1,234.5)")
        value = float(text)
    if not math.isfinite(value):
        raise BadValue("form", f"{raw} is not a number")
    return value


# -- text -------------------------------------------------------------------------------------


def text(raw: Any) -> str | None:
    """Free text as stored: NFKC, trimmed, inner whitespace collapsed; None when empty."""
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer() and abs(raw) < 2**53:
        value = str(int(raw))
    elif isinstance(raw, dt.datetime):
        value = raw.date().isoformat() if raw.time() == dt.time() else raw.isoformat(sep=" ")
    elif isinstance(raw, dt.date):
        value = raw.isoformat()
    else:
        value = str(raw)
    value = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", value)).strip()
    return value or None
