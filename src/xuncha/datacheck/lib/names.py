"""Chinese names for record linkage: comparison keys and agreement levels (pure; no Django).

Groundwork for issue #9 ("Chinese names need care that Splink's defaults lack: traditional
and simplified forms, homophone and similar-shape typos, given and family names swapped or
joined, minority names with middle dots"). Each name gets ``NameKeys``, columns a linkage
model (Splink on DuckDB or Spark) can compare with plain SQL equality, so that the same
comparison runs on both engines; ``level`` says how two names agree, from the strongest:

5. ``exact``: the same text after ``normalise.name`` (NFKC, padding spaces, traditional to
   simplified, the minority middle dot unified);
4. ``homophone``: the same toneless pinyin (张卫东 / 张伟东): a clerk who typed by sound;
3. ``reordered``: the same characters in another order (卫东张 / 张卫东), or a minority
   name's parts swapped (艾力·买买提 / 买买提艾力); written without its dot in the same
   order it agrees by sound already;
2. ``one_character``: same length, one character differs, the family name agrees
   (张卫东 / 张卫车): a similar-shape or slip typo;
1. ``initials``: the same pinyin initials (张卫东 / 赵伟栋): weak, for blocking only;
0. ``different``.

Family names: two-character surnames (欧阳, 司马 …) are recognised; the given name is the
rest. The similar-shape level compares characters position by position; component-level
shape similarity (王/玉, 己/已) is the next step of issue #9.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from pypinyin import Style, lazy_pinyin

from xuncha.core.lib.pinyin import COMPOUND_SURNAMES
from xuncha.datacheck.lib.normalise import MIDDLE_DOT, BadValue
from xuncha.datacheck.lib.normalise import name as normalise_name

# Readings of characters used as a family name, where they differ from the common one.
SURNAME_READINGS = {"单": "shan", "曾": "zeng", "仇": "qiu", "解": "xie", "区": "ou", "朴": "piao"}

LEVELS = ("different", "initials", "one_character", "reordered", "homophone", "exact")


@dataclass(frozen=True)
class NameKeys:
    text: str  # the normalised name
    family: str
    given: str
    pinyin: str  # toneless syllables joined by spaces, family name read as a family name
    initials: str
    sorted_chars: str  # characters without the dot, sorted: order-insensitive
    minority: bool  # the name has a middle dot


def split(text: str) -> tuple[str, str]:
    """Family and given name of a normalised Han name (a minority name: its first part)."""
    if MIDDLE_DOT in text:
        first, _dot, rest = text.partition(MIDDLE_DOT)
        return first, rest
    if len(text) >= 3 and text[:2] in COMPOUND_SURNAMES:
        return text[:2], text[2:]
    return text[:1], text[1:]


@functools.lru_cache(maxsize=50_000)
def _reading(char: str) -> str:
    """A character's toneless reading, character by character: the same character reads
    the same in every name, which is what matching by sound needs (and fast)."""
    syllables = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
    return syllables[0].lower() if syllables else ""


def _syllables(family: str, given: str) -> list[str]:
    plain = family.replace(MIDDLE_DOT, "")
    if len(plain) == 1 and plain in SURNAME_READINGS:
        head = [SURNAME_READINGS[plain]]
    else:
        head = [_reading(c) for c in plain]
    tail = [_reading(c) for c in given.replace(MIDDLE_DOT, "")]
    return [s for s in head + tail if s]


def keys(raw: object) -> NameKeys:
    """The comparison keys of a name; ``BadValue`` when it is empty."""
    text = normalise_name(raw)
    if not text:
        raise BadValue("empty", "the name is empty")
    family, given = split(text)
    syllables = _syllables(family, given)
    plain = text.replace(MIDDLE_DOT, "").replace(" ", "")
    return NameKeys(
        text=text,
        family=family,
        given=given,
        pinyin=" ".join(syllables),
        initials="".join(s[0] for s in syllables),
        sorted_chars="".join(sorted(plain)),
        minority=MIDDLE_DOT in text,
    )


def level(a: NameKeys, b: NameKeys) -> str:
    """How two names agree (one of ``LEVELS``, strongest first as documented above)."""
    if a.text == b.text:
        return "exact"
    if a.pinyin and a.pinyin == b.pinyin:
        return "homophone"
    if a.sorted_chars == b.sorted_chars:
        return "reordered"
    plain_a = a.text.replace(MIDDLE_DOT, "")
    plain_b = b.text.replace(MIDDLE_DOT, "")
    if (
        len(plain_a) == len(plain_b) >= 2
        and a.family == b.family
        and sum(x != y for x, y in zip(plain_a, plain_b, strict=True)) == 1
    ):
        return "one_character"
    if a.initials and a.initials == b.initials:
        return "initials"
    return "different"


def compare(raw_a: object, raw_b: object) -> str:
    return level(keys(raw_a), keys(raw_b))
