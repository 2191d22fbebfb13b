"""Cell values as other departments export them, made comparable (pure; no Django).

Issue #8 ("Values normalised"). Each function takes the raw cell (a string, or a number
or date where a spreadsheet gives one) and returns the canonical value, or raises
``BadValue`` with a code and an English message that says what is wrong with the value;
the importer adds the file, row and column.

* ID numbers: ``core.lib.idnumber`` (spaces, full-width characters, a lowercase x, the
  15-digit form upgraded, the check character verified).
* Names: Unicode NFKC (full-width letters and spaces become ordinary ones), every kind of
  whitespace removed inside a Chinese name (departments pad two-character names to three:
  "王　五") but single spaces kept between Latin words, traditional characters converted
  to simplified (OpenCC ``t2s``), and the middle dot of minority names (买买提·艾力) kept
  and unified: U+00B7, U+30FB, U+2022, U+FF0E and a full stop between two names all become
  U+00B7.
* Dates: 2021年3月5日, 2021-3-5, 2021/03/05, 2021.03.05, 20210305, with a time after the
  date ignored, Python dates and datetimes, and Excel serial numbers (days since
  1899-12-30, the 1900 leap-year bug included, 1 to 2958465). Two-digit years are refused:
  a department's "21-3-5" could be 1921 or 2021.
* Amounts: Decimal yuan, from numbers or text with 元, 万元 (x 10 000), 亿元, a thousands
  separator (comma, full-width comma or thin space), a leading ¥/￥ or RMB, and
  parentheses or a minus for negatives; at most two decimals after conversion.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache
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


def id_number(raw: Any) -> str:
    if raw is None or str(raw).strip() == "":
        raise BadValue("empty", "the ID number is empty")
    if isinstance(raw, float):  # a spreadsheet that read the number as a float
        raise BadValue(
            "number", "the ID number was stored as a number, so its last digits are lost"
        )
    try:
        return idnumber.normalise(str(raw))
    except idnumber.InvalidIdNumber as exc:
        raise BadValue(f"id_{exc.code}", str(exc)) from None


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


# -- dates ------------------------------------------------------------------------------------

_DATE_FORMS = (
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?"),
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?=$|[\sT])"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


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


def date(raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, bool) or raw is None:
        raise BadValue("empty", "the date is empty")
    if isinstance(raw, (int, float)):
        return _excel(float(raw))
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if not text:
        raise BadValue("empty", "the date is empty")
    if re.fullmatch(r"\d{1,7}(\.\d+)?", text) and not re.fullmatch(r"\d{8}", text):
        return _excel(float(text))
    for form in _DATE_FORMS:
        match = form.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                raise BadValue("no_such_day", f"{text} is not a day of the calendar") from None
    if re.match(r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{1,2}$", text):
        raise BadValue("two_digit_year", f"{text}: write the year with four digits")
    raise BadValue("form", f"{text} is not a date in a known form (e.g. 2021-03-05)")


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
