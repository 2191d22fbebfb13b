"""A fictional county's department files, messy as exported, with planted anomalies.

Issue #8 (大数据比对: "benchmark at 1,000,000 benefit rows", "recall and precision of the
rules against planted cases", and the mess departments produce: "mixed ID formats,
traditional characters, GBK files, title rows, Excel serial dates"). Pure; no Django. Used
by the tests, the demo and ``benchmarks/datacheck.py``; everything is invented: the county
is ``COUNTY`` and place names are random syllables unless the caller gives them, people's
names random combinations of common characters, ID numbers are made with ``idnumber.make``
under the fictional region code ``REGION``.

``generate(directory, benefit_rows, seed, county, places)`` writes one file per dataset
kind and a ``manifest.yaml`` and returns a ``County`` with the planted anomalies
(``truth``): for each rule code of the library, ``per_rule`` cases with the ID numbers
(credit codes for companies) a hit of that rule carries. ``county`` names the county in
organisation and company names, titles and the manifest; ``places``, (township, [villages])
pairs, replaces the invented townships and villages (the households are spread over the
villages given, however few; a township given no village has its government, school and
clinic but no household). Everything else is clean by construction:

* recipients of any benefit own no car (motorcycles, tricycles and tractors only), run no
  business, own at most one property of at most 120 m², live in no household of a village
  cadre and are on no payroll; 特困/五保 recipients live alone;
* deaths are of non-recipients, or of recipients whose payments stop in the month of death
  (or the month after, within the default grace), or who died after the last period;
* each (person, benefit type, period) is paid once;
* reps and shareholders of companies live in households without officials; each
  awarding organisation has at least 15 contracts, a company wins at most one of them and
  amounts differ by less than a factor of three, so no share reaches 30 %.

The files (``County.files``, kind -> path):

* benefit: CSV in GB18030 with a title row (the big one, ``benefit_rows`` rows exactly:
  recipients x periods of 2025; 低保, 特困, 五保 monthly, 教育救助 twice, 耕地地力保护补贴
  twice, 临时救助 once), periods as 2025年3月 / 2025-03 / 202503 / 2025.03 / 2025/3;
* household: xlsx, title row, two-row header with merged cells (家庭成员 over 姓名 |
  身份证号, the other headers merged down), 户号 merged over a household's rows in part;
* payroll: xlsx with a title row, 参加工作时间 as Excel serials and pay in 万元;
* death: .xls (xlwt) with a merged title row and real date cells;
* vehicle: CSV UTF-8 with a byte-order mark;
* business: xlsx, one row per shareholder, company cells merged down in part;
* real_estate: CSV GB18030 with areas (85.6 / 85.60平方米 / 85.6㎡);
* tender: xlsx with 招标人, amounts as numbers, 1,234,500.00 or 123.45万元;
* leading_cadre and village_cadre: xlsx.

Values vary as departments write them: 15-digit ID numbers for births in the 1900s,
full-width digits, spaces inside, a lowercase x; names in traditional characters (only
where OpenCC's round trip gives the simplified name back) or padded with spaces; dates as
date cells, Excel serials, 2021年3月5日, 2021.03.05, 20210305; amounts with thousands
separators, ¥ or in 万元. Every value still normalises: ``generate``'s files import without
a row error. ``with_errors`` copies a file and breaks a few rows, for the error report.

Generation is streamed (openpyxl write-only, csv writer), deterministic for a seed, and
about 2,000 benefit rows take well under a second.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import shutil
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from xuncha.core.demo import names
from xuncha.core.lib import idnumber
from xuncha.datacheck.lib import normalise

REGION = "431099"  # fictional: no such county
OTHER_REGION = "431199"  # out-of-county contractors' credit codes (fictional too)
COUNTY = "演示县"
YEAR = 2025
PERIODS = tuple(dt.date(YEAR, m, 1) for m in range(1, 13))
EXTRACTED = dt.date(YEAR + 1, 1, 31)
REF = dt.date(YEAR, 6, 30)  # ages are counted on this day
EXCEL_EPOCH = dt.date(1899, 12, 30)

RULES = (
    "payroll_on_benefits",
    "paid_after_death",
    "double_benefit",
    "recipient_vehicle",
    "recipient_business",
    "recipient_real_estate",
    "cadre_kin_benefit",
    "childless_with_children",
    "tender_king",
    "tender_kin_of_officials",
)

FILES = {
    "benefit": ("benefit.csv", "县民政局"),
    "household": ("household.xlsx", "县公安局"),
    "payroll": ("payroll.xlsx", "县财政局"),
    "death": ("death.xls", "县殡葬管理所"),
    "vehicle": ("vehicle.csv", "县公安局交通警察大队"),
    "business": ("business.xlsx", "县市场监督管理局"),
    "real_estate": ("real_estate.csv", "县不动产登记中心"),
    "tender": ("tender.xlsx", "县公共资源交易中心"),
    "leading_cadre": ("leading_cadre.xlsx", "县委组织部"),
    "village_cadre": ("village_cadre.xlsx", "县委组织部"),
}

DIBAO, TEKUN, WUBAO = "低保", "特困", "五保"
EDUCATION, FARMLAND, TEMPORARY = "教育救助", "耕地地力保护补贴", "临时救助"
# Share of the benefit rows per type; 临时救助 (one row each) fills the rest exactly.
SHARES = ((DIBAO, 0.60), (TEKUN, 0.08), (WUBAO, 0.04), (EDUCATION, 0.05), (FARMLAND, 0.12))
MONTHS_OF = {EDUCATION: (3, 9), FARMLAND: (4, 10)}

CARS = ("小型普通客车", "小型轿车", "小型越野客车", "轻型普通货车", "中型普通货车")
SMALL_VEHICLES = ("普通二轮摩托车", "轻便二轮摩托车", "三轮汽车", "正三轮摩托车", "手扶拖拉机")
BUREAUS = (
    "教育局",
    "财政局",
    "民政局",
    "交通运输局",
    "水利局",
    "卫生健康局",
    "住房和城乡建设局",
    "农业农村局",
    "自然资源局",
    "人力资源和社会保障局",
    "文化旅游广电体育局",
    "林业局",
    "城市管理局",
    "应急管理局",
)
INSTITUTIONS = ("第一中学", "第二中学", "人民医院", "中医医院", "职业中专")
VILLAGE_POSTS = ("村党支部书记", "村委会主任", "村委会委员", "村会计", "村务监督委员会主任")
COMMUNITY_POSTS = (
    "社区党支部书记",
    "社区居委会主任",
    "社区居委会委员",
    "社区会计",
    "居务监督委员会主任",
)
MAX_VILLAGES = 899  # household numbers carry the village as 001..899; 900+ are planted
CONTRACTOR_TRADES = (
    "建筑工程有限公司",
    "路桥工程有限公司",
    "水利水电工程有限公司",
    "建设工程有限公司",
    "市政工程有限公司",
    "园林绿化工程有限公司",
)
OTHER_TRADES = ("农业开发有限公司", "商贸有限公司", "农产品专业合作社", "物流有限公司")
SHOPS = ("五金店", "农资经营部", "建材店", "副食店", "餐馆", "理发店", "摩托车修理部")
TRADE_CHARS = "鑫华盛兴隆昌泰丰源达恒瑞祥宏发金汇通德福顺安信诚嘉利和"
PROJECTS = (
    "道路硬化工程",
    "安全饮水巩固提升工程",
    "小型水库除险加固工程",
    "校舍维修改造工程",
    "农村危房改造工程",
    "高标准农田建设项目",
    "河道清淤整治工程",
    "村级活动场所建设项目",
    "路灯亮化工程",
    "办公楼维修工程",
)
_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_FULL_WIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")


# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planted:
    rule: str
    subjects: frozenset[str]  # ID numbers, or credit codes for companies
    note: str  # English: what was planted


@dataclass
class County:
    directory: Path
    files: dict[str, Path]  # kind -> file
    truth: list[Planted]
    manifest: Path
    counts: dict[str, int]  # kind -> data rows in the file


# -- the population ---------------------------------------------------------------------------


class _Person:
    __slots__ = ("birth", "gender", "household", "id", "name", "relation")

    def __init__(self, number: str, name: str, gender: str, birth: dt.date) -> None:
        self.id = number
        self.name = name
        self.gender = gender
        self.birth = birth
        self.household: _Household | None = None
        self.relation = ""

    @property
    def age(self) -> int:
        return REF.year - self.birth.year


@dataclass(frozen=True)
class _Village:
    index: int
    township: str
    name: str


class _Household:
    __slots__ = ("address", "members", "number", "role", "village")

    def __init__(self, number: str, village: _Village, address: str, role: str) -> None:
        self.number = number
        self.village = village
        self.address = address
        self.role = role
        self.members: list[_Person] = []


class _Entry:
    """One person's payments of one benefit type: a row per month in ``months``."""

    __slots__ = ("amount", "kind", "months", "number", "person", "village")

    def __init__(
        self,
        person: _Person,
        kind: str,
        months: Sequence[int],
        amount: Decimal,
        village: _Village | None = None,
        number: str | None = None,
    ) -> None:
        assert person.household is not None  # noqa: S101 - a programming error
        self.person = person
        self.kind = kind
        self.months = tuple(months)
        self.amount = amount
        self.village = village or person.household.village
        self.number = number or person.household.number


@dataclass
class _Company:
    name: str
    code: str
    rep: _Person | None  # None: out-of-county contractor, not in the business file
    shareholders: list[_Person]
    individual: bool
    capital: int  # 万元


@dataclass
class _Tender:
    project: str
    company: _Company
    with_code: bool
    date: dt.date
    amount: Decimal
    awarding: str


def _checked_places(
    places: Sequence[tuple[str, Sequence[str]]],
) -> list[tuple[str, tuple[str, ...]]]:
    """The caller's (township, [villages]) pairs, checked: at least one township and one
    village, no empty or repeated name (village names repeat only across townships)."""
    if not places:
        raise ValueError("places must name at least one township: (township, [villages]) pairs")
    checked: list[tuple[str, tuple[str, ...]]] = []
    seen: set[str] = set()
    for township, villages in places:
        if not isinstance(township, str) or not township.strip():
            raise ValueError(f"places: township names must be non-empty text, not {township!r}")
        if township in seen:
            raise ValueError(f"places: township {township} is given twice")
        seen.add(township)
        if isinstance(villages, str):
            raise ValueError(f"places: the villages of {township} must be a list of names")
        names_ = tuple(villages)
        for village in names_:
            if not isinstance(village, str) or not village.strip():
                raise ValueError(
                    f"places: village names in {township} must be non-empty text, not {village!r}"
                )
        if len(set(names_)) < len(names_):
            raise ValueError(f"places: a village of {township} is given twice")
        checked.append((township, names_))
    total = sum(len(villages) for _, villages in checked)
    if total == 0:
        raise ValueError("places must name at least one village: the households live in villages")
    if total > MAX_VILLAGES:
        raise ValueError(f"places may name at most {MAX_VILLAGES} villages, not {total}")
    return checked


class _World:
    """People, households and villages, with unique ID numbers.

    Townships and villages are invented (``townships`` x ``villages_per_township``), or
    taken from ``places`` as they are: a township given no village gets none, and with
    fewer villages than asked for each village holds more households."""

    def __init__(
        self,
        rng: random.Random,
        townships: int,
        villages_per_township: int,
        places: Sequence[tuple[str, Sequence[str]]] | None = None,
    ) -> None:
        self.rng = rng
        self.ids: set[str] = set()
        if places is None:
            used: set[str] = set()
            self.townships = [names.place_name(rng, used) + "镇" for _ in range(townships)]
            self.villages = [
                _Village(
                    t * villages_per_township + v, township, names.place_name(rng, used) + "村"
                )
                for t, township in enumerate(self.townships)
                for v in range(villages_per_township)
            ]
        else:
            checked = _checked_places(places)
            self.townships = [township for township, _ in checked]
            pairs = [(township, village) for township, villages in checked for village in villages]
            self.villages = [_Village(i, t, v) for i, (t, v) in enumerate(pairs)]
        self.households: list[_Household] = []
        self._numbers = [0] * len(self.villages)

    def person(self, lo: int, hi: int, gender: str | None = None) -> _Person:
        rng = self.rng
        gender = gender or rng.choice("MF")
        while True:
            birth = REF - dt.timedelta(days=rng.randint(lo * 365 + 1, hi * 365 + 364))
            sequence = rng.randrange(500) * 2 + (1 if gender == "M" else 0)
            number = idnumber.make(REGION, birth, sequence)
            if number not in self.ids:
                self.ids.add(number)
                return _Person(number, names.person_name(rng, gender), gender, birth)

    def household(self, role: str, village: _Village | None = None) -> _Household:
        village = village or self.rng.choice(self.villages)
        self._numbers[village.index] += 1
        n = self._numbers[village.index]
        number = f"{REGION}{village.index + 1:03d}{n:05d}"
        address = f"{village.township}{village.name}{n % 9 + 1}组{n}号"
        household = _Household(number, village, address, role)
        self.households.append(household)
        return household

    @staticmethod
    def add(household: _Household, person: _Person, relation: str) -> _Person:
        person.household = household
        person.relation = relation
        household.members.append(person)
        return person

    def family(
        self,
        role: str,
        lo: int = 28,
        hi: int = 70,
        spouse: float = 0.8,
        kids: int = 3,
        parents: float = 0.2,
        village: _Village | None = None,
    ) -> _Household:
        """A household: its head first, then a spouse, children and a parent as drawn."""
        rng = self.rng
        household = self.household(role, village)
        head = self.add(household, self.person(lo, hi, "M" if rng.random() < 0.8 else "F"), "户主")
        age = head.age
        if rng.random() < spouse:
            other = "F" if head.gender == "M" else "M"
            self.add(household, self.person(max(20, age - 5), age + 3, other), "配偶")
        if age >= 24:
            for _ in range(rng.randint(0, kids)):
                kid = self.person(max(0, age - 42), age - 22)
                self.add(household, kid, "子" if kid.gender == "M" else "女")
        if age <= 62 and rng.random() < parents:
            parent = self.person(age + 22, min(age + 38, 96))
            self.add(household, parent, "父亲" if parent.gender == "M" else "母亲")
        return household

    def single(self, role: str, lo: int, hi: int) -> _Person:
        household = self.household(role)
        return self.add(household, self.person(lo, hi), "户主")

    def kid(self, household: _Household, lo: int, hi: int) -> _Person:
        person = self.person(lo, hi)
        return self.add(household, person, "子" if person.gender == "M" else "女")


def township_org(county: str, township: str) -> str:
    """The township's government: 人民政府, or the 办事处 of a 街道."""
    return f"{county}{township}{'办事处' if township.endswith('街道') else '人民政府'}"


def township_posts(township: str) -> tuple[str, str, str]:
    """The party secretary, the head and a deputy head of a township (乡, 镇 or 街道)."""
    if township.endswith("街道"):
        return ("党工委书记", "主任", "副主任")
    if township.endswith("乡"):
        return ("党委书记", "乡长", "副乡长")
    return ("党委书记", "镇长", "副镇长")


def village_posts(village: str) -> tuple[str, ...]:
    return COMMUNITY_POSTS if village.endswith("社区") else VILLAGE_POSTS


def credit_code(prefix: str, region: str, rng: random.Random) -> str:
    """A unified social credit code (GB 32100-2015) with a valid check character."""
    body = prefix + region + "".join(rng.choice(_CODE_CHARS) for _ in range(9))
    total = sum(_CODE_CHARS.index(c) * w for c, w in zip(body, _CODE_WEIGHTS, strict=True))
    return body + _CODE_CHARS[(31 - total % 31) % 31]


# -- messy values -----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _opencc_s2t() -> Any:
    import opencc

    return opencc.OpenCC("s2t").convert


@lru_cache(maxsize=200_000)
def traditional(name: str) -> str | None:
    """The name in traditional characters when they convert back to it, else None."""
    converted = str(_opencc_s2t()(name))
    if converted == name:
        return None
    return converted if normalise.name(converted) == name else None


def id_text(
    rng: random.Random, number: str, short: float = 0.0, full: float = 0.0, spaced: float = 0.0
) -> str:
    """An ID number as a department wrote it (15 digits, full-width, spaces, lowercase x)."""
    value = number
    if short and number[6:8] == "19" and rng.random() < short:
        value = number[:6] + number[8:17]
    elif value.endswith("X") and rng.random() < 0.5:
        value = value[:-1] + "x"
    draw = rng.random()
    if draw < spaced:
        value = f"{value[:6]} {value[6:-4]} {value[-4:]}"
    elif draw < spaced + full:
        value = value.translate(_FULL_WIDTH)
    return value


def name_text(rng: random.Random, name: str, trad: float = 0.0, padded: float = 0.0) -> str:
    if trad and rng.random() < trad:
        converted = traditional(name)
        if converted:
            return converted
    if padded and len(name) == 2 and rng.random() < padded:
        return name[0] + rng.choice(("\u3000", " ", "  ")) + name[1]
    return name


def amount_text(rng: random.Random, value: Decimal, wan: float = 0.0) -> str:
    draw = rng.random()
    whole = value == value.to_integral_value()
    if draw < wan and whole:
        return format((value / 10000).normalize(), "f") + "万元"
    if draw < wan + 0.3 and value >= 1000:
        return f"{value:,.2f}"
    if draw < wan + 0.4:
        return f"¥{value:.2f}"
    if draw < wan + 0.6 and whole:
        return str(int(value))
    return f"{value:.2f}"


def serial(day: dt.date) -> int:
    """The Excel serial number of a day (after 1900-03-01)."""
    return (day - EXCEL_EPOCH).days


def date_value(rng: random.Random, day: dt.date, cells: bool = True) -> Any:
    """A date as a cell (date or serial number, in a workbook) or as text in some form."""
    draw = rng.random()
    if cells and draw < 0.4:
        return day
    if cells and draw < 0.55:
        return serial(day)
    forms = (
        f"{day.year}年{day.month}月{day.day}日",
        f"{day:%Y.%m.%d}",
        f"{day:%Y%m%d}",
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day}",
    )
    return forms[int(draw * 1000) % len(forms)]


def period_text(rng: random.Random, month: int) -> str:
    forms = (
        f"{YEAR}年{month}月",
        f"{YEAR}-{month:02d}",
        f"{YEAR}{month:02d}",
        f"{YEAR}.{month:02d}",
        f"{YEAR}/{month}",
        f"{YEAR}年{month:02d}月",
    )
    return rng.choice(forms)


def _day_in(rng: random.Random, year: int, month: int) -> dt.date:
    return dt.date(year, month, rng.randint(1, 28))


# -- the county -------------------------------------------------------------------------------


class _Builder:
    def __init__(
        self,
        benefit_rows: int,
        seed: int,
        county: str = COUNTY,
        places: Sequence[tuple[str, Sequence[str]]] | None = None,
    ) -> None:
        if benefit_rows < 1000:
            raise ValueError("benefit_rows must be at least 1000 (the planted cases need room)")
        if not isinstance(county, str) or not county.strip():
            raise ValueError(f"county must be a non-empty name, not {county!r}")
        self.rows = benefit_rows
        self.county = county
        self.rng = random.Random(seed)  # noqa: S311 - reproducible fiction, not secrets
        self.per_rule = max(4, min(20, benefit_rows // 50_000))
        townships = max(6, min(16, benefit_rows // 60_000))
        villages = max(3, min(20, benefit_rows // 4000))
        self.world = _World(self.rng, townships, villages, places)
        self.entries: list[_Entry] = []
        self.deaths: list[tuple[_Person, dt.date, dt.date | None]] = []
        self.vehicles: list[tuple[_Person, str, str]] = []
        self.estates: list[tuple[_Person, str, Decimal]] = []
        self.companies: list[_Company] = []
        self.tenders: list[_Tender] = []
        self.payroll: list[tuple[_Person, str, str, str | None]] = []
        self.leading: list[tuple[_Person, str, str]] = []
        self.cadres: list[tuple[_Person, _Village, str]] = []
        self.truth: list[Planted] = []
        self.plates: set[str] = set()
        self.codes: set[str] = set()
        self.company_names: set[str] = set()
        self.business_people: list[_Person] = []
        self.recipients: list[_Person] = []  # heads that may own one small property
        self.awarding: list[str] = []
        self.org_township: dict[str, str | None] = {}

    # -- organisations, officials and village cadres ------------------------------------------

    def organisations(self) -> None:
        world, county = self.world, self.county
        for bureau in BUREAUS:
            self.org_township[f"{county}{bureau}"] = None
        for township in world.townships:
            self.org_township[township_org(county, township)] = township
        self.awarding = list(self.org_township)  # the bureaus and township governments
        for institution in INSTITUTIONS:
            self.org_township[f"{county}{institution}"] = None
        for township in world.townships:
            self.org_township[f"{county}{township}中心小学"] = township
            self.org_township[f"{county}{township}卫生院"] = township

    def official(self, org: str, post: str) -> _Person:
        """A payroll member heading a household of their own."""
        person = self.world.family("official", 26, 58, parents=0.1).members[0]
        self.payroll.append((person, org, post, self.org_township[org]))
        return person

    def officials(self) -> None:
        rng = self.rng
        for org in self.awarding:
            township = self.org_township[org]
            posts = township_posts(township) if township else ("局长", "副局长", "副局长")
            for post in posts:
                person = self.official(org, post)
                self.leading.append((person, org, post))
        orgs = list(self.org_township)
        weights = [5 if ("学" in o or "医院" in o) else 2 for o in orgs]
        for _ in range(max(80, self.rows // 40)):
            org = rng.choices(orgs, weights)[0]
            if "学" in org:
                post = rng.choice(("教师", "教师", "班主任", "教务员"))
            elif "医院" in org or "卫生院" in org:
                post = rng.choice(("医生", "护士", "药剂师"))
            else:
                post = rng.choice(("科员", "办事员", "股长", "会计"))
            household_person = self.official(org, post)
            if rng.random() < 0.2:  # a couple both on the payroll
                household = household_person.household
                assert household is not None  # noqa: S101
                spouse = next((m for m in household.members if m.relation == "配偶"), None)
                if spouse is not None and spouse.age <= 60:
                    org2 = rng.choices(orgs, weights)[0]
                    self.payroll.append((spouse, org2, "科员", self.org_township[org2]))

    def village_cadres(self) -> None:
        for village in self.world.villages:
            for post in village_posts(village.name)[: self.rng.randint(3, 5)]:
                household = self.world.family("cadre", 30, 60, village=village)
                self.cadres.append((household.members[0], village, post))

    # -- benefits -----------------------------------------------------------------------------

    def amount(self, kind: str) -> Decimal:
        rng = self.rng
        if kind == DIBAO:
            return Decimal(rng.choice((380, 420, 455, 490, 520, 560, 615, 650)))
        if kind == TEKUN:
            return Decimal(rng.randrange(780, 1000, 10))
        if kind == WUBAO:
            return Decimal(rng.randrange(700, 900, 10))
        if kind == EDUCATION:
            return Decimal(rng.choice((1000, 1500, 2000, 2500, 3000)))
        if kind == FARMLAND:
            return Decimal(rng.randrange(2000, 300_000)) / 100
        return Decimal(rng.randrange(5, 31) * 100)

    def pay(self, person: _Person, kind: str, months: Sequence[int], **where: Any) -> _Entry:
        entry = _Entry(person, kind, months, self.amount(kind), **where)
        self.entries.append(entry)
        return entry

    def monthly(self, person: _Person, kind: str) -> int:
        """A clean recipient of a monthly benefit; some start late or leave early, a few
        die (payments stop in the month of death or the month after, or they die after
        the last period). Returns the rows."""
        rng = self.rng
        start, end = 1, 12
        if rng.random() < 0.15:
            if rng.random() < 0.5:
                start = rng.randint(2, 9)
            else:
                end = rng.randint(4, 11)
        draw = rng.random()
        if draw < 0.02:
            month = rng.randint(1, 11)
            start, end = 1, min(12, month + (1 if rng.random() < 0.3 else 0))
            self.death(person, _day_in(rng, YEAR, month))
        elif draw < 0.03:
            start, end = 1, 12
            self.death(person, _day_in(rng, YEAR + 1, 1))
        self.pay(person, kind, range(start, end + 1))
        return end - start + 1

    def death(self, person: _Person, day: dt.date) -> None:
        cremated = day + dt.timedelta(days=self.rng.randint(1, 4))
        self.deaths.append((person, day, cremated if self.rng.random() < 0.85 else None))

    def benefits(self, planted_rows: int) -> None:
        """Clean recipients of every type, then 临时救助 to reach the row count exactly."""
        rng, world = self.rng, self.world
        clean = self.rows - planted_rows
        target = {kind: int(clean * share) for kind, share in SHARES}
        rows = 0
        done = 0
        pupils: list[_Person] = []
        helpers: list[_Person] = []
        while done < target[DIBAO]:
            household = world.family("poor", 30, 78, spouse=0.6, parents=0.15)
            head = household.members[0]
            done += self.monthly(head, DIBAO)
            self.recipients.append(head)
            pupils += [m for m in household.members if m.relation in "子女" and 6 <= m.age <= 22]
        rows += done
        for kind in (TEKUN, WUBAO):
            done = 0
            while done < target[kind]:
                person = world.single("tekun", 55 if kind == TEKUN else 62, 94)
                done += self.monthly(person, kind)
                self.recipients.append(person)
            rows += done
        done = 0
        while done < target[FARMLAND]:
            household = world.family("farm", 35, 72, parents=0.1)
            head = household.members[0]
            self.pay(head, FARMLAND, MONTHS_OF[FARMLAND])
            self.recipients.append(head)
            done += 2
            for member in household.members[1:]:
                if member.relation in "子女" and 6 <= member.age <= 22:
                    pupils.append(member)
                elif member.age >= 18:
                    helpers.append(member)
        rows += done
        rng.shuffle(pupils)
        done = 0
        while done < target[EDUCATION]:
            if pupils:
                pupil = pupils.pop()
            else:
                household = world.family("rural", 36, 50, kids=0)
                pupil = world.kid(household, 7, 18)
            self.pay(pupil, EDUCATION, MONTHS_OF[EDUCATION])
            done += 2
        rows += done
        rng.shuffle(helpers)
        for _ in range(clean - rows):
            person = helpers.pop() if helpers else world.family("rural", 25, 75).members[0]
            self.pay(person, TEMPORARY, (rng.randint(1, 12),))

    # -- businesses and tenders ---------------------------------------------------------------

    def business_person(self) -> _Person:
        if self.business_people and self.rng.random() < 0.2:
            return self.rng.choice(self.business_people)
        head = self.world.family("business", 28, 62).members[0]
        self.business_people.append(head)
        return head

    def company_name(self, trades: Sequence[str], rep: _Person | None = None) -> str:
        rng = self.rng
        while True:
            if rep is not None:
                village = rng.choice(self.world.villages)
                name = f"{self.county}{village.township}{rep.name}{rng.choice(trades)}"
            else:
                size = 2 if rng.random() < 0.6 else 3
                trade = "".join(rng.choice(TRADE_CHARS) for _ in range(size))
                name = f"{self.county}{trade}{rng.choice(trades)}"
            if name not in self.company_names:
                self.company_names.add(name)
                return name

    def code(self, prefix: str, region: str = REGION) -> str:
        while True:
            value = credit_code(prefix, region, self.rng)
            if value not in self.codes:
                self.codes.add(value)
                return value

    def company(
        self,
        trades: Sequence[str],
        rep: _Person | None = None,
        shareholders: Sequence[_Person] = (),
        individual: bool = False,
    ) -> _Company:
        rng = self.rng
        rep = rep or self.business_person()
        if individual:
            holders: list[_Person] = []
            name = self.company_name(SHOPS, rep)
        else:
            holders = list(shareholders)
            if not holders:
                holders = [rep] if rng.random() < 0.5 else []
                holders += [self.business_person() for _ in range(rng.randint(1, 3))]
                holders = list({p.id: p for p in holders}.values())
            name = self.company_name(trades)
        code = self.code("92" if individual else "91")
        company = _Company(name, code, rep, holders, individual, rng.choice((10, 50, 100, 500)))
        self.companies.append(company)
        return company

    def businesses(self) -> list[_Company]:
        """Companies and traders; returns the contractors (some from out of the county)."""
        rng = self.rng
        count = max(60, self.rows // 50)
        contractors: list[_Company] = []
        for n in range(count):
            draw = rng.random()
            if len(contractors) < 20 and count - n <= 20 - len(contractors):
                contractors.append(self.company(CONTRACTOR_TRADES))
            elif draw < 0.3:
                self.company(SHOPS, individual=True)
            elif draw < 0.6:
                contractors.append(self.company(CONTRACTOR_TRADES))
            else:
                self.company(OTHER_TRADES)
        for _ in range(max(5, len(contractors) // 10)):
            name = "邻县" + self.company_name(CONTRACTOR_TRADES).removeprefix(self.county)
            contractors.append(_Company(name, self.code("91", OTHER_REGION), None, [], False, 0))
        return contractors

    def tender(self, company: _Company, org: str, amount: Decimal, with_code: bool) -> None:
        rng = self.rng
        village = rng.choice(self.world.villages)
        project = f"{village.name}{rng.choice(PROJECTS)}"
        day = dt.date(YEAR, 1, 1) + dt.timedelta(days=rng.randrange(365))
        self.tenders.append(_Tender(project, company, with_code, day, amount, org))

    def tender_amount(self) -> Decimal:
        return Decimal(self.rng.randrange(1000, 2990) * 100)

    def tenders_clean(self, contractors: list[_Company]) -> None:
        """At least 15 contracts per awarding organisation, a company at most once each."""
        per_org = max(15, self.rows // 100 // len(self.awarding))
        per_org = min(per_org, len(contractors))
        for org in self.awarding:
            for company in self.rng.sample(contractors, per_org):
                with_code = company.rep is None or self.rng.random() < 0.8
                self.tender(company, org, self.tender_amount(), with_code)

    # -- clean extras: vehicles, properties, deaths ------------------------------------------

    def plate(self) -> str:
        rng = self.rng
        while True:
            tail = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(4))
            value = f"湘{rng.choice('ABCDEFGHJKLMNU')}{rng.randint(0, 9)}{tail}"
            if value not in self.plates:
                self.plates.add(value)
                return value

    def property_addresses(self, person: _Person, count: int) -> list[str]:
        """``count`` different addresses: the home (half the time) and flats in town."""
        rng = self.rng
        found: list[str] = []
        if rng.random() < 0.5 and person.household is not None:
            found.append(person.household.address)
        township = self.world.townships[0]
        while len(found) < count:
            road = rng.choice(("人民", "建设", "解放", "新华", "滨江", "迎宾"))
            flat = (
                f"{township}{road}路{rng.randint(1, 300)}号{rng.randint(1, 20)}栋"
                f"{rng.randint(1, 4)}单元{rng.randint(1, 18)}{rng.randint(1, 4):02d}室"
            )
            if flat not in found:
                found.append(flat)
        return found[:count]

    def own(self, person: _Person, count: int, lo: int, hi: int) -> None:
        for where in self.property_addresses(person, count):
            self.estates.append((person, where, self.area(lo, hi)))

    def area(self, lo: int, hi: int) -> Decimal:
        return Decimal(self.rng.randrange(lo * 10, hi * 10)) / 10

    def extras(self) -> None:
        rng, world = self.rng, self.world
        others = [
            p
            for h in world.households
            if h.role in ("official", "business", "plain", "cadre")
            for p in h.members
            if p.age >= 20
        ]
        for person in rng.sample(others, min(len(others), max(40, len(others) // 6))):
            self.vehicles.append((person, self.plate(), rng.choice(CARS)))
            if rng.random() < 0.1:
                self.vehicles.append((person, self.plate(), rng.choice(CARS + SMALL_VEHICLES)))
        for person in self.recipients:
            if rng.random() < 0.08:
                self.vehicles.append((person, self.plate(), rng.choice(SMALL_VEHICLES)))
            if rng.random() < 0.4:
                self.own(person, 1, 35, 120)
        for person in others:
            draw = rng.random()
            count = 0 if draw < 0.45 else 1 if draw < 0.85 else 2 if draw < 0.95 else 3
            self.own(person, count, 60, 280)
        elderly = [
            p for h in world.households if h.role == "plain" for p in h.members if p.age >= 60
        ]
        for person in rng.sample(elderly, min(len(elderly), max(20, len(world.ids) // 150))):
            day = dt.date(YEAR, 1, 1) + dt.timedelta(days=rng.randrange(385))
            self.death(person, day)

    # -- planted anomalies ---------------------------------------------------------------------

    def plant(self, rule: str, subjects: Iterable[str], note: str) -> None:
        self.truth.append(Planted(rule, frozenset(subjects), note))

    def planted_head(self, **kwargs: Any) -> _Person:
        return self.world.family("planted", **kwargs).members[0]

    def planted_benefits(self) -> int:
        """The planted cases that pay benefits; returns their rows."""
        rng, world = self.rng, self.world
        before = sum(len(e.months) for e in self.entries)
        orgs = list(self.org_township)
        for i in range(self.per_rule):
            # 1. a payroll member on 低保.
            person = self.planted_head(lo=26, hi=55)
            org = rng.choice(orgs)
            self.payroll.append((person, org, "科员", self.org_township[org]))
            start = rng.randint(1, 6)
            self.pay(person, DIBAO, range(start, 13))
            self.plant("payroll_on_benefits", [person.id], f"on the payroll of {org}, 低保")

            # 2. paid on after death.
            if i % 2:
                person = world.single("planted", 65, 90)
                kind = TEKUN
            else:
                person = self.planted_head(lo=45, hi=80)
                kind = DIBAO
            month = rng.randint(1, 9)
            self.death(person, _day_in(rng, YEAR, month))
            self.pay(person, kind, range(1, 13))
            self.plant("paid_after_death", [person.id], f"died {YEAR}-{month:02d}, {kind} to 12")

            # 3. the same 低保 in two townships, or two households of one township.
            person = self.planted_head(lo=30, hi=75)
            home = person.household
            assert home is not None  # noqa: S101
            if i % 2:
                choices = [v for v in world.villages if v.township != home.village.township]
            else:
                choices = [
                    v
                    for v in world.villages
                    if v.township == home.village.township and v != home.village
                ]
            # With few places given there may be no such village: then another village, or
            # the same one (the second household number still makes the double).
            others = [v for v in world.villages if v != home.village]
            other = rng.choice(choices or others or world.villages)
            number = f"{REGION}{900 + i:03d}{rng.randint(1, 99999):05d}"
            start = rng.randint(3, 9)
            self.pay(person, DIBAO, range(1, 13))
            self.pay(person, DIBAO, range(start, 13), village=other, number=number)
            self.plant(
                "double_benefit",
                [person.id],
                f"低保 from {start} also in {other.township}{other.name}",
            )

            # 4. a car.
            person = self.planted_head(lo=30, hi=70)
            self.pay(person, DIBAO, range(1, 13))
            self.vehicles.append((person, self.plate(), rng.choice(CARS[:3])))
            self.plant("recipient_vehicle", [person.id], "低保 recipient owns a car")

            # 5. a trader (经营者) or a shareholder.
            person = self.planted_head(lo=30, hi=60)
            self.pay(person, DIBAO, range(1, 13))
            if i % 2:
                company = self.company(OTHER_TRADES, shareholders=[person, self.business_person()])
                note = f"低保 recipient is a shareholder of {company.name}"
            else:
                company = self.company(SHOPS, rep=person, individual=True)
                note = f"低保 recipient runs {company.name}"
            self.plant("recipient_business", [person.id], note)

            # 6. three properties, or one of more than 150 m².
            person = self.planted_head(lo=35, hi=70)
            self.pay(person, DIBAO, range(1, 13))
            if i % 2:
                self.own(person, 1, 180, 260)
                note = "one property over 150 m²"
            else:
                self.own(person, 3, 40, 90)
                note = "three properties"
            self.plant("recipient_real_estate", [person.id], note)

            # 7. a village cadre's spouse or parent on 低保 in the cadre's village.
            village = rng.choice(world.villages)
            household = world.household("planted", village)
            cadre = world.add(household, world.person(32, 55, "M"), "户主")
            if i % 2:
                relative = world.add(household, world.person(60, 85), "父亲")
                relative.relation = "父亲" if relative.gender == "M" else "母亲"
            else:
                relative = world.add(household, world.person(30, 55, "F"), "配偶")
            post = village_posts(village.name)[i % 2]
            self.cadres.append((cadre, village, post))
            self.pay(relative, DIBAO, range(1, 13))
            self.plant(
                "cadre_kin_benefit",
                [relative.id, cadre.id],
                f"{relative.relation} of the {post} of {village.name} on 低保",
            )

            # 8. 特困/五保 while a child is registered in the household.
            kind = WUBAO if i % 2 else TEKUN
            person = world.single("planted", 62, 85)
            assert person.household is not None  # noqa: S101
            child = world.kid(person.household, max(25, person.age - 40), person.age - 22)
            self.pay(person, kind, range(1, 13))
            self.plant(
                "childless_with_children", [person.id], f"{kind} with a {child.relation} at home"
            )
        return sum(len(e.months) for e in self.entries) - before

    def planted_tenders(self) -> None:
        rng = self.rng
        # Fewer organisations than cases only with few townships given and many rows.
        cases = min(self.per_rule, len(self.awarding))
        kin_orgs = rng.sample(self.awarding, cases)
        for i, org in enumerate(kin_orgs):
            # 10. the winner's rep or shareholder lives with an official of the awarding org.
            household = self.world.family("planted", 45, 58, spouse=0.0, kids=0, parents=0.0)
            official = household.members[0]
            if i % 4 < 2:
                township = self.org_township[org]
                post = township_posts(township)[2] if township else "副局长"
                self.leading.append((official, org, post))
                self.payroll.append((official, org, post, self.org_township[org]))
                who = "a leading cadre"
            else:
                self.payroll.append((official, org, "科员", self.org_township[org]))
                who = "a payroll member"
            if i % 2:
                kin = self.world.kid(household, 24, 30)
            else:
                other = "F" if official.gender == "M" else "M"
                kin = self.world.add(household, self.world.person(40, 56, other), "配偶")
            if i % 3 == 2:
                company = self.company(CONTRACTOR_TRADES, shareholders=[kin])
                role = "shareholder"
            else:
                company = self.company(CONTRACTOR_TRADES, rep=kin)
                role = "legal representative"
            with_code = i % 2 == 0
            self.tender(company, org, self.tender_amount(), with_code)
            self.plant(
                "tender_kin_of_officials",
                [company.code, kin.id, official.id],
                f"{role} is {kin.relation} of {who} of {org}"
                + ("" if with_code else " (tender without credit code)"),
            )
        for org in rng.sample(self.awarding, cases):
            # 9. one company wins half the amount of an organisation's contracts.
            king = self.company(CONTRACTOR_TRADES)
            others = sum((t.amount for t in self.tenders if t.awarding == org), Decimal(0))
            parts = 4
            each = (others / parts / 100).to_integral_value() * 100
            for _ in range(parts):
                self.tender(king, org, each, True)
            self.plant("tender_king", [king.code], f"4 contracts, about half the amount of {org}")

    def build(self) -> None:
        world = self.world
        self.organisations()
        self.officials()
        self.village_cadres()
        for _ in range(max(10, self.rows // 40)):
            world.family("plain", 30, 62, parents=0.5)
        planted_rows = self.planted_benefits()
        self.benefits(planted_rows)
        contractors = self.businesses()
        self.tenders_clean(contractors)
        self.planted_tenders()
        self.extras()
        self.rng.shuffle(self.tenders)
        self.rng.shuffle(self.deaths)
        self.rng.shuffle(self.vehicles)
        self.rng.shuffle(self.estates)


# -- writers ----------------------------------------------------------------------------------


def _xlsx(
    path: Path,
    rows: Iterable[Sequence[Any]],
    merges: Iterable[str] = (),
    sheet: str = "Sheet1",
    row_merges: list[str] | None = None,
) -> int:
    """Write rows with openpyxl's write-only mode; returns the rows written. ``row_merges``
    may be filled while ``rows`` is consumed (merges found while streaming)."""
    from openpyxl import Workbook
    from openpyxl.worksheet.cell_range import MultiCellRange

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    count = 0
    for row in rows:
        ws.append(list(row))
        count += 1
    # One set at once: MultiCellRange.add checks every range already there (quadratic).
    ws.merged_cells = MultiCellRange(" ".join([*merges, *(row_merges or [])]))
    book.save(path)
    return count


def _csv(path: Path, encoding: str, rows: Iterable[Sequence[Any]]) -> int:
    count = 0
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def _gender(person: _Person) -> str:
    return "男" if person.gender == "M" else "女"


def write_benefit(
    path: Path, rng: random.Random, entries: list[_Entry], county: str = COUNTY
) -> int:
    ordered = sorted(entries, key=lambda e: (e.village.index, e.number, e.kind))

    def rows() -> Iterator[list[Any]]:
        yield [f"{county}{YEAR}年度城乡社会救助和补贴资金发放明细"]
        yield [
            "序号",
            "乡镇(街道)",
            "村(社区)",
            "户编号",
            "享受人姓名",
            "公民身份号码",
            "救助类别",
            "发放月份",
            "发放金额（元）",
            "备注",
        ]
        n = 0
        for month in range(1, 13):
            for e in ordered:
                if month not in e.months:
                    continue
                n += 1
                yield [
                    n,
                    e.village.township,
                    e.village.name,
                    e.number,
                    name_text(rng, e.person.name, padded=0.1),
                    id_text(rng, e.person.id, short=0.05, full=0.03, spaced=0.03),
                    e.kind,
                    period_text(rng, month),
                    amount_text(rng, e.amount, wan=0.03),
                    "",
                ]

    return _csv(path, "gb18030", rows()) - 2


def write_household(
    path: Path, rng: random.Random, households: list[_Household], county: str = COUNTY
) -> int:
    ordered = sorted(households, key=lambda h: (h.village.index, h.number))
    merges = ["A1:I1", "A2:A3", "B2:C2", *(f"{c}2:{c}3" for c in "DEFGHI")]
    found: list[str] = []

    def rows() -> Iterator[list[Any]]:
        yield [f"{county}户籍人口信息表（截至{EXTRACTED.year}年{EXTRACTED.month}月）"]
        yield ["户号", "家庭成员", None, "与户主关系", "性别", "出生日期", "乡镇", "村", "家庭住址"]
        yield [None, "姓名", "身份证号", None, None, None, None, None, None]
        row = 3
        for h in ordered:
            merged = len(h.members) > 1 and rng.random() < 0.2
            if merged:
                found.append(f"A{row + 1}:A{row + len(h.members)}")
            for i, p in enumerate(h.members):
                row += 1
                yield [
                    None if merged and i else h.number,
                    name_text(rng, p.name, padded=0.05),
                    id_text(rng, p.id, short=0.08, spaced=0.02),
                    p.relation,
                    _gender(p),
                    date_value(rng, p.birth),
                    h.village.township,
                    h.village.name,
                    h.address,
                ]

    return _xlsx(path, rows(), merges, "户籍", found) - 3


def write_payroll(
    path: Path, rng: random.Random, payroll: list[tuple], county: str = COUNTY
) -> int:
    def rows() -> Iterator[list[Any]]:
        yield [f"{county}{YEAR}年度财政供养人员花名册"]
        yield [
            "序号",
            "单位名称",
            "姓名",
            "证件号码",
            "岗位",
            "乡镇",
            "参加工作时间",
            "年度应发工资（万元）",
        ]
        for n, (person, org, post, township) in enumerate(payroll, start=1):
            started = person.birth + dt.timedelta(days=rng.randint(20 * 365, 26 * 365))
            started = min(started, dt.date(YEAR, 6, 1) - dt.timedelta(days=rng.randrange(100)))
            yield [
                n,
                org,
                name_text(rng, person.name, trad=0.05, padded=0.2),
                id_text(rng, person.id, full=0.1),
                post,
                township,
                serial(started),
                float(Decimal(rng.randrange(600, 1800)) / 100),
            ]

    return _xlsx(path, rows(), ["A1:H1"], "花名册") - 2


def write_death(path: Path, rng: random.Random, deaths: list[tuple], county: str = COUNTY) -> int:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("死亡人员")
    dated = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    sheet.write_merge(0, 0, 0, 5, f"{county}{YEAR}年度死亡人员火化信息")
    for c, text in enumerate(("序号", "姓名", "身份证号码", "死亡日期", "火化日期", "火化地点")):
        sheet.write(1, c, text)
    for n, (person, died, cremated) in enumerate(deaths, start=1):
        sheet.write(n + 1, 0, n)
        sheet.write(n + 1, 1, name_text(rng, person.name, trad=0.3))
        sheet.write(n + 1, 2, id_text(rng, person.id, short=0.2, spaced=0.05))
        sheet.write(n + 1, 3, died, dated)
        if cremated is not None:
            sheet.write(n + 1, 4, cremated, dated)
            sheet.write(n + 1, 5, f"{county}殡仪馆")
    book.save(str(path))
    return len(deaths)


def write_vehicle(path: Path, rng: random.Random, vehicles: list[tuple]) -> int:
    def rows() -> Iterator[list[Any]]:
        yield ["号牌号码", "车辆类型", "姓名", "公民身份证号", "初次登记日期", "使用性质"]
        for person, plate, kind in vehicles:
            registered = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randrange(5800))
            yield [
                plate,
                kind,
                name_text(rng, person.name, trad=0.2),
                id_text(rng, person.id, short=0.05, full=0.05, spaced=0.05),
                registered.isoformat(),
                "非营运",
            ]

    return _csv(path, "utf-8-sig", rows()) - 1


def write_business(path: Path, rng: random.Random, companies: list[_Company]) -> int:
    found: list[str] = []

    def rows() -> Iterator[list[Any]]:
        yield [
            "企业名称",
            "统一社会信用代码",
            "法定代表人",
            "法定代表人身份证号码",
            "股东",
            "股东身份证号",
            "注册资本（万元）",
            "成立日期",
        ]
        row = 1
        for c in companies:
            rep = c.rep
            assert rep is not None  # noqa: S101
            holders: list[_Person | None] = list(c.shareholders) or [None]
            merged = len(holders) > 1 and rng.random() < 0.3
            if merged:
                found.extend(f"{col}{row + 1}:{col}{row + len(holders)}" for col in "ABCD")
            founded = date_value(rng, dt.date(2005, 1, 1) + dt.timedelta(days=rng.randrange(7000)))
            for i, holder in enumerate(holders):
                row += 1
                first = [
                    c.name,
                    c.code,
                    name_text(rng, rep.name, trad=0.1),
                    id_text(rng, rep.id, spaced=0.05),
                ]
                yield [
                    *([None] * 4 if merged and i else first),
                    None if holder is None else name_text(rng, holder.name, trad=0.1),
                    None if holder is None else id_text(rng, holder.id, full=0.05),
                    c.capital,
                    founded,
                ]

    return _xlsx(path, rows(), (), "市场主体", found) - 1


def write_real_estate(
    path: Path, rng: random.Random, estates: list[tuple], county: str = COUNTY
) -> int:
    def rows() -> Iterator[list[Any]]:
        yield ["序号", "不动产权证号", "姓名", "证件号", "不动产坐落", "建筑面积（㎡）", "用途"]
        for n, (person, where, area) in enumerate(estates, start=1):
            draw = rng.random()
            shown = f"{area}平方米" if draw < 0.2 else f"{area}㎡" if draw < 0.3 else str(area)
            yield [
                n,
                f"湘（{rng.randint(2016, 2025)}）{county}不动产权第{n:07d}号",
                name_text(rng, person.name, trad=0.2),
                id_text(rng, person.id, short=0.1, spaced=0.05),
                where,
                shown,
                "住宅" if rng.random() < 0.9 else "商业",
            ]

    return _csv(path, "gb18030", rows()) - 1


def write_tender(
    path: Path, rng: random.Random, tenders: list[_Tender], county: str = COUNTY
) -> int:
    def rows() -> Iterator[list[Any]]:
        yield [f"{county}{YEAR}年度工程建设项目中标结果汇总"]
        yield [
            "序号",
            "项目名称",
            "招标人",
            "中标单位",
            "统一社会信用代码",
            "金额（元）",
            "中标日期",
        ]
        for n, t in enumerate(tenders, start=1):
            draw = rng.random()
            amount: Any = float(t.amount) if draw < 0.4 else amount_text(rng, t.amount, wan=0.4)
            yield [
                n,
                t.project,
                t.awarding,
                t.company.name,
                t.company.code if t.with_code else None,
                amount,
                date_value(rng, t.date),
            ]

    return _xlsx(path, rows(), ["A1:G1"], "中标结果") - 2


def write_leading(path: Path, rng: random.Random, leading: list[tuple]) -> int:
    def rows() -> Iterator[list[Any]]:
        yield ["序号", "姓名", "身份证", "工作单位", "职务", "任现职时间"]
        for n, (person, org, post) in enumerate(leading, start=1):
            since = dt.date(2016, 1, 1) + dt.timedelta(days=rng.randrange(3000))
            yield [n, name_text(rng, person.name, padded=0.3), person.id, org, post, serial(since)]

    return _xlsx(path, rows(), (), "领导干部") - 1


def write_village_cadre(path: Path, rng: random.Random, cadres: list[tuple]) -> int:
    def rows() -> Iterator[list[Any]]:
        yield ["乡镇（街道）", "村（社区）", "姓名", "身份证号码", "职务", "联系电话"]
        for person, village, post in cadres:
            phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
            yield [
                village.township,
                village.name,
                name_text(rng, person.name, trad=0.1),
                id_text(rng, person.id, short=0.1, full=0.1),
                post,
                phone,
            ]

    return _xlsx(path, rows(), (), "村干部") - 1


# -- the public API ---------------------------------------------------------------------------


def generate(
    directory: Path,
    benefit_rows: int = 2000,
    seed: int = 1,
    county: str = COUNTY,
    places: Sequence[tuple[str, Sequence[str]]] | None = None,
) -> County:
    """Write the county's files into ``directory`` and return them with the truth.

    ``county`` names the county (organisations, companies, titles, the manifest);
    ``places``, (township, [villages]) pairs, names its townships and villages instead of
    invented ones: a township given no village gets no household, and the households are
    spread over the villages given, however few (ValueError without any township or
    village, or with a name given twice)."""
    builder = _Builder(benefit_rows, seed, county, places)
    directory.mkdir(parents=True, exist_ok=True)
    builder.build()
    rng = random.Random(seed + 1)  # noqa: S311 - the mess, drawn apart from the population
    b = builder
    files = {kind: directory / name for kind, (name, _) in FILES.items()}
    counts = {
        "benefit": write_benefit(files["benefit"], rng, b.entries, county),
        "household": write_household(files["household"], rng, b.world.households, county),
        "payroll": write_payroll(files["payroll"], rng, b.payroll, county),
        "death": write_death(files["death"], rng, b.deaths, county),
        "vehicle": write_vehicle(files["vehicle"], rng, b.vehicles),
        "business": write_business(
            files["business"], rng, [c for c in b.companies if c.rep is not None]
        ),
        "real_estate": write_real_estate(files["real_estate"], rng, b.estates, county),
        "tender": write_tender(files["tender"], rng, b.tenders, county),
        "leading_cadre": write_leading(files["leading_cadre"], rng, b.leading),
        "village_cadre": write_village_cadre(files["village_cadre"], rng, b.cadres),
    }
    if counts["death"] >= 60_000:
        raise ValueError("too many deaths for an .xls sheet")
    manifest = directory / "manifest.yaml"
    datasets = [
        {"kind": kind, "file": name, "department": county + department, "extracted": EXTRACTED}
        for kind, (name, department) in FILES.items()
    ]
    manifest.write_text(
        yaml.safe_dump(
            {"county": county, "datasets": datasets},
            allow_unicode=True,
            sort_keys=False,
        ),
        encoding="utf-8",
    )
    return County(directory, files, list(b.truth), manifest, counts)


# -- broken copies ----------------------------------------------------------------------------


def _broken_id(value: Any) -> str:
    number = idnumber.normalise(str(value))
    wrong = "0" if number[17] != "0" else "1"
    return number[:17] + wrong


_BREAKS = ("id", "date", "amount")


def _columns(rows: list[list[Any]]) -> tuple[int, dict[str, int]]:
    """The header row's index and the first column of each field type (id, date, amount)."""
    from xuncha.datacheck.lib import headers, schema

    index = headers.find_header_row(rows)
    if index is None:
        raise ValueError("no header row found")
    found: dict[str, int] = {}
    for column, cell in enumerate(rows[index]):
        field = headers.field_of(cell)
        if field is None:
            continue
        kind = {"month": "date"}.get(schema.field_type(field), schema.field_type(field))
        found.setdefault(kind, column)
    return index, found


def with_errors(source: Path, target: Path, rows: int = 3) -> list[int]:
    """Copy a generated file (xlsx or csv) to ``target`` with ``rows`` data rows broken in
    turn: an ID number with a wrong check digit, the date "2021-13-45", the amount "abc"
    (a break the file has no column for is replaced by the next). Returns the 1-based file
    row numbers broken, in order."""
    from xuncha.datacheck.lib import readers

    sheet = readers.read(source)
    header, columns = _columns(sheet.rows)
    breaks = [b for b in _BREAKS if b in columns]
    if not breaks:
        raise ValueError(f"{source.name} has no ID, date or amount column to break")
    data = [i for i in range(header + 1, len(sheet.rows)) if any(sheet.rows[i])]
    # Skip a second header row (the household file's) and pick rows spread over the file.
    data = [i for i in data if not any(str(c) in ("姓名", "身份证号") for c in sheet.rows[i])]
    if len(data) < rows:
        raise ValueError(f"{source.name} has fewer than {rows} data rows")
    step = len(data) // rows
    chosen = [data[k * step + step // 2] for k in range(rows)]
    changes: dict[int, tuple[int, str]] = {}
    for k, index in enumerate(chosen):
        what = breaks[k % len(breaks)]
        column = columns[what]
        if what == "id":
            value = _broken_id(sheet.rows[index][column])
        else:
            value = "2021-13-45" if what == "date" else "abc"
        changes[index] = (column, value)
    if source.suffix.lower() == ".csv":
        data_bytes = source.read_bytes()
        text, encoding = readers.decode(data_bytes)
        table = list(csv.reader(io.StringIO(text)))
        for index, (column, value) in changes.items():
            table[index][column] = value
        codec = "utf-8-sig" if data_bytes.startswith(b"\xef\xbb\xbf") else encoding
        _csv(target, codec, table)
    elif source.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        shutil.copyfile(source, target)
        book = load_workbook(target)
        ws = book.worksheets[0]
        for index, (column, value) in changes.items():
            ws.cell(row=index + 1, column=column + 1).value = value
        book.save(target)
    else:
        raise ValueError(f"{source.name}: only .xlsx and .csv files can be broken")
    return [i + 1 for i in chosen]
