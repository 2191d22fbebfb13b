"""Pinyin search keys for Chinese names (pure; no Django).

A name gets a search text holding its full pinyin, its initials and the surname in full
followed by the given name's initials, for every plausible reading: surnames have their
own readings (单 is shan, 曾 is zeng, 仇 is qiu) and given names may contain characters
with several readings, so all combinations up to a small limit are kept. Typing ``zwj``,
``zhangwj`` or ``zhangwenjie`` then finds 张文杰, and so does the given name alone,
``wenjie``.
"""

from __future__ import annotations

import itertools

from pypinyin import Style, pinyin

# Two-character family names (the given name is the rest when the name is longer).
COMPOUND_SURNAMES = frozenset(
    {
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "令狐",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "澹台",
        "轩辕",
        "万俟",
        "独孤",
        "端木",
        "西门",
    }
)
# Readings of characters when used as a family name, where they differ from the common one.
SURNAME_READINGS: dict[str, str] = {
    "单": "shan",
    "曾": "zeng",
    "仇": "qiu",
    "解": "xie",
    "区": "ou",
    "查": "zha",
    "朴": "piao",
    "盖": "ge",
    "乐": "yue",
    "缪": "miao",
    "种": "chong",
    "覃": "qin",
    "翟": "zhai",
    "尉": "yu",
    "召": "shao",
    "繁": "po",
    "瞿": "qu",
    "尹": "yin",
    "秘": "bi",
    "万俟": "moqi",
    "长孙": "zhangsun",
    "尉迟": "yuchi",
    "沈": "shen",
    "任": "ren",
    "华": "hua",
    "纪": "ji",
    "燕": "yan",
    "冼": "xian",
    "宁": "ning",
}
_MAX_VARIANTS = 8
MAX_LENGTH = 400  # the stored column's length: later readings' keys give way


def _syllable_options(name: str) -> tuple[list[list[str]], int]:
    """The readings of each syllable, and how many of them make the family name."""
    options: list[list[str]] = []
    rest = name
    surname_syllables = 1
    for surname in (name[:2], name[:1]):
        if surname and surname in SURNAME_READINGS and len(name) > len(surname):
            reading = SURNAME_READINGS[surname]
            if len(surname) == 2:
                # Two-character surnames: split the reading by the characters' own pinyin.
                first = pinyin(surname[0], style=Style.NORMAL)[0][0]
                options.append([first])
                options.append([reading[len(first) :]])
                surname_syllables = 2
            else:
                options.append([reading])
            rest = name[len(surname) :]
            break
    for syllables in pinyin(rest, style=Style.NORMAL, heteronym=True, errors="ignore"):
        unique = list(dict.fromkeys(s for s in syllables if s))
        if unique:
            options.append(unique)
    if surname_syllables == 1 and len(name) > 2 and name[:2] in COMPOUND_SURNAMES:
        surname_syllables = 2  # 欧阳磊: the given name is lei
    return options, surname_syllables


def search_text(name: str) -> str:
    """Space-separated keys for each reading: full pinyin, initials, the first syllable in
    full with the others' initials, then the given name's full pinyin (the first two keys
    keep their places: they are the common reading, ranked first)."""
    cleaned = "".join(ch for ch in name if not ch.isspace() and ch not in "·•・.")
    if not cleaned:
        return ""
    options, surname_syllables = _syllable_options(cleaned)
    keys: list[str] = []
    for combo in itertools.islice(itertools.product(*options), _MAX_VARIANTS):
        full = "".join(combo)
        initials = "".join(s[0] for s in combo)
        mixed = combo[0] + initials[1:]
        given = "".join(combo[surname_syllables:])
        for key in (full, initials, mixed, given):
            if key and key not in keys:
                keys.append(key)
    text = ""
    for key in keys:  # the first reading's keys come first and always fit
        if len(text) + len(key) + 1 > MAX_LENGTH:
            break
        text = f"{text} {key}" if text else key
    return text


def matches(query: str, text: str) -> bool:
    """Whether a lowercase latin query starts any key of ``text`` (used by tests)."""
    q = query.strip().lower().replace(" ", "")
    return any(key.startswith(q) for key in text.split())
