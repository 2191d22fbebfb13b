"""The demo prefecture: deterministic, entirely fictional, reused by tests and benchmarks.

``load_demo(scale=1.0, seed=2026)`` builds a province with one prefecture of three
counties (more above scale 1), each with ~60 units, ~10 townships and ~80 villages or
communities, ~5,000 cadres with posts, leadership teams, key posts, earlier posts,
retirements and kinship links, and one account for every role. Everything is written in
one transaction with its audit events (actor: system), so the chain verifies.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import transaction

from xuncha.core import audit, services
from xuncha.core.demo import names
from xuncha.core.lib import idnumber
from xuncha.core.lib import pinyin as pinyin_lib
from xuncha.core.models import (
    AuditEventType,
    Kinship,
    Organisation,
    OrganisationChange,
    OrganisationKind,
    Person,
    Post,
    Role,
)

DEMO_PASSWORD = "xuncha-demo-2026"  # noqa: S105 - fictional demo accounts, printed on purpose
REFERENCE_DATE = dt.date(2026, 7, 1)

COUNTY_NAMES = [
    "云溪县",
    "石桥县",
    "枫林县",
    "松岚县",
    "桃源坪县",
    "碧川县",
    "青岗县",
    "丹湾县",
    "玉泉县",
]
DEPARTMENTS = [
    "纪委监委",
    "组织部",
    "宣传部",
    "统战部",
    "政法委",
    "编办",
    "发展和改革局",
    "教育局",
    "科技和工业信息化局",
    "公安局",
    "民政局",
    "司法局",
    "财政局",
    "人力资源和社会保障局",
    "自然资源局",
    "生态环境局",
    "住房和城乡建设局",
    "交通运输局",
    "水务局",
    "农业农村局",
    "商务局",
    "文化广电旅游局",
    "卫生健康委",
    "退役军人事务局",
    "应急管理局",
    "审计局",
    "市场监督管理局",
    "统计局",
    "医疗保障局",
    "林业局",
    "乡村振兴局",
    "信访局",
    "国有资产服务中心",
    "供销合作社",
    "融媒体中心",
    "行政审批局",
    "税务局",
    "人民医院",
    "中医院",
    "妇幼保健院",
    "第一中学",
    "第二中学",
    "职业中学",
    "实验小学",
    "城投公司",
    "水务投资公司",
    "交通建设公司",
    "粮食储备公司",
    "公共资源交易中心",
    "不动产登记中心",
    "疾病预防控制中心",
    "社会保险事业中心",
    "住房公积金中心",
    "工会",
    "团县委",
    "妇联",
    "科协",
    "残联",
    "档案馆",
    "党校",
]
LEADERSHIP_TITLES = [
    "党组书记、局长",
    "副局长",
    "副局长",
    "纪检组长",
    "副局长",
    "总工程师",
    "副局长",
]
KEY_POSTS = ["财务科长", "会计", "出纳", "采购负责人", "人事科长", "项目负责人"]
STAFF_TITLES = ["科员", "办事员", "科长", "副科长", "主任科员", "工作人员"]
TOWNSHIP_LEADERS = [
    "党委书记",
    "镇长",
    "党委副书记",
    "纪委书记",
    "副镇长",
    "副镇长",
    "组织委员",
    "宣传委员",
    "武装部长",
]
VILLAGE_LEADERS = [
    "党支部书记、村委会主任",
    "党支部副书记",
    "村委会副主任",
    "村务监督委员会主任",
    "委员",
]
ETHNICITIES = ["汉族"] * 18 + ["彝族", "苗族", "白族", "壮族"]


@dataclass
class DemoContext:
    """What another app's demo hook gets: the generator's random source and the tree."""

    rng: random.Random
    today: dt.date
    scale: float
    tree: dict[str, Any]


@dataclass
class DemoAccount:
    username: str
    role: str
    scope: str


@dataclass
class DemoSummary:
    organisations: int = 0
    people: int = 0
    posts: int = 0
    kinships: int = 0
    accounts: list[DemoAccount] = field(default_factory=list)
    audit_events: int = 0


class _Builder:
    def __init__(self, scale: float, seed: int, today: dt.date) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible fiction, not secrets
        self.scale = scale
        self.today = today
        self.orgs: list[Organisation] = []
        self.people: list[Person] = []
        self.posts: list[Post] = []
        self.kin: list[Kinship] = []
        self.used_ids: set[str] = set()
        self.used_places: set[str] = set()
        self.code_counter = 0
        self.pending_events: list[audit.PendingEvent] = []

    # -- organisations --
    def org(
        self,
        name: str,
        kind: str,
        parent: Organisation | None,
        committee: Organisation | None,
        code: str,
    ) -> Organisation:
        org = Organisation.objects.create(
            name=name, code=code, kind=kind, parent=parent, committee=committee
        )
        org.path = f"{parent.path if parent else '/'}{org.pk}/"
        org.depth = parent.depth + 1 if parent else 0
        if committee is None and kind in (
            OrganisationKind.COUNTY,
            OrganisationKind.PREFECTURE,
            OrganisationKind.PROVINCE,
        ):
            org.committee = org
        org.save(update_fields=["path", "depth", "committee"])
        self.orgs.append(org)
        return org

    # -- people --
    def birth(self, min_age: int, max_age: int) -> dt.date:
        age_days = self.rng.randint(min_age * 365, max_age * 365)
        return self.today - dt.timedelta(days=age_days)

    def person(
        self,
        registry: Organisation,
        region: str,
        *,
        hometowns: list[Organisation],
        min_age: int = 24,
        max_age: int = 59,
        gender: str | None = None,
    ) -> Person:
        gender = gender or ("M" if self.rng.random() < 0.62 else "F")
        birth = self.birth(min_age, max_age)
        while True:
            seq = self.rng.randint(0, 499) * 2 + (1 if gender == "M" else 0)
            number = idnumber.make(region, birth, seq)
            if number not in self.used_ids:
                self.used_ids.add(number)
                break
        name = names.person_name(self.rng, gender)
        person = Person(
            name=name,
            name_search=pinyin_lib.search_text(name),
            registry=registry,
            gender=gender,
            birth_date=birth,
            id_number=number if self.rng.random() < 0.95 else None,
            ethnicity=self.rng.choice(ETHNICITIES),
            hometown=self.rng.choice(hometowns) if hometowns and self.rng.random() < 0.7 else None,
        )
        self.people.append(person)
        return person

    def post(
        self,
        person: Person,
        org: Organisation,
        title: str,
        *,
        leadership: bool = False,
        key: bool = False,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> Post:
        if start is None:
            start = self.today - dt.timedelta(days=self.rng.randint(60, 365 * 8))
        post = Post(
            person=person,
            organisation=org,
            title=title,
            is_leadership=leadership,
            is_key_post=key,
            start_date=start,
            end_date=end,
        )
        self.posts.append(post)
        return post

    def code(self, prefix: str) -> str:
        self.code_counter += 1
        return f"{prefix}{self.code_counter:05d}"


def _scaled(n: int, scale: float, minimum: int = 2) -> int:
    return max(minimum, round(n * min(scale, 1.0)))


def _build(b: _Builder) -> dict[str, Any]:
    rng, scale = b.rng, b.scale
    province = b.org("岭南示范省", OrganisationKind.PROVINCE, None, None, "P00")
    prefecture = b.org("青岚州", OrganisationKind.PREFECTURE, province, None, "P01")
    pref_office = b.org("青岚州委巡察办", OrganisationKind.UNIT, prefecture, prefecture, "P01-XCB")
    pref_discipline = b.org(
        "青岚州纪委监委", OrganisationKind.UNIT, prefecture, prefecture, "P01-JW"
    )
    n_counties = 3 * max(1, math.ceil(scale))
    counties: list[dict[str, Any]] = []
    for ci in range(n_counties):
        cname = COUNTY_NAMES[ci % len(COUNTY_NAMES)] + ("" if ci < len(COUNTY_NAMES) else str(ci))
        county = b.org(cname, OrganisationKind.COUNTY, prefecture, None, f"C{ci + 1:02d}")
        region = f"5399{ci + 1:02d}"  # fictional region codes
        units = []
        n_units = _scaled(60, scale)
        for ui in range(n_units):
            dept = DEPARTMENTS[ui % len(DEPARTMENTS)]
            uname = cname[:-1] + ("" if dept.startswith(("团", "党校")) else "县") + dept
            if ui >= len(DEPARTMENTS):
                uname += f"（{ui // len(DEPARTMENTS) + 1}）"
            units.append(
                b.org(uname, OrganisationKind.UNIT, county, county, b.code(f"C{ci + 1:02d}U"))
            )
        office = b.org(
            f"{cname[:-1]}县委巡察办", OrganisationKind.UNIT, county, county, f"C{ci + 1:02d}-XCB"
        )
        townships, villages = [], []
        n_town = _scaled(10, scale)
        n_villages = _scaled(80, scale, minimum=n_town)
        for ti in range(n_town):
            tname = names.place_name(rng, b.used_places) + ("镇" if ti % 3 else "乡")
            townships.append(
                b.org(tname, OrganisationKind.TOWNSHIP, county, county, b.code(f"C{ci + 1:02d}T"))
            )
        for vi in range(n_villages):
            town = townships[vi % n_town]
            community = vi % 9 == 0
            vname = names.place_name(rng, b.used_places) + ("社区" if community else "村")
            villages.append(
                b.org(
                    vname,
                    OrganisationKind.COMMUNITY if community else OrganisationKind.VILLAGE,
                    town,
                    county,
                    b.code(f"C{ci + 1:02d}V"),
                )
            )
        counties.append(
            {
                "county": county,
                "units": units,
                "townships": townships,
                "villages": villages,
                "office": office,
                "region": region,
            }
        )
    return {
        "province": province,
        "prefecture": prefecture,
        "pref_office": pref_office,
        "pref_discipline": pref_discipline,
        "counties": counties,
    }


@dataclass
class _County:
    county: Organisation
    region: str
    hometowns: list[Organisation]
    units: list[Organisation]


def _earlier_post(b: _Builder, c: _County, person: Person, current: Organisation) -> None:
    """A third of cadres held an earlier post elsewhere in the county."""
    rng = b.rng
    if rng.random() < 0.33:
        other = rng.choice(c.units)
        if other is not current:
            end = b.today - dt.timedelta(days=rng.randint(200, 365 * 9))
            start = end - dt.timedelta(days=rng.randint(365, 365 * 6))
            b.post(person, other, rng.choice(STAFF_TITLES), start=start, end=end)


def _staff_org(
    b: _Builder, c: _County, org: Organisation, leaders: list[str], n_key: int, n_staff: int
) -> None:
    rng = b.rng
    n_lead = max(3, round(len(leaders) * (0.6 + 0.4 * rng.random())))
    for title in leaders[:n_lead]:
        p = b.person(c.county, c.region, hometowns=c.hometowns, min_age=32)
        b.post(p, org, title, leadership=True)
        _earlier_post(b, c, p, org)
    for title in rng.sample(KEY_POSTS, k=min(n_key, len(KEY_POSTS))):
        p = b.person(c.county, c.region, hometowns=c.hometowns)
        b.post(p, org, title, key=True)
        _earlier_post(b, c, p, org)
    for _ in range(n_staff):
        p = b.person(c.county, c.region, hometowns=c.hometowns)
        b.post(p, org, rng.choice(STAFF_TITLES))
        _earlier_post(b, c, p, org)
    # Leadership members retired in recent years (must-interview lists use them).
    if rng.random() < 0.5:
        p = b.person(c.county, c.region, hometowns=c.hometowns, min_age=60, max_age=66)
        retired = b.today - dt.timedelta(days=rng.randint(30, 365 * 5))
        p.retired_on = retired
        b.post(
            p,
            org,
            rng.choice(leaders[1:] or leaders),
            leadership=True,
            start=retired - dt.timedelta(days=rng.randint(365 * 3, 365 * 10)),
            end=retired,
        )


def _staff(b: _Builder, tree: dict[str, Any]) -> None:
    rng = b.rng
    for c in tree["counties"]:
        ctx = _County(c["county"], c["region"], c["townships"] + c["villages"], c["units"])
        for unit in c["units"]:
            _staff_org(b, ctx, unit, LEADERSHIP_TITLES, rng.randint(2, 4), rng.randint(7, 12))
        for town in c["townships"]:
            _staff_org(b, ctx, town, TOWNSHIP_LEADERS, 2, rng.randint(5, 8))
        for village in c["villages"]:
            _staff_org(b, ctx, village, VILLAGE_LEADERS, 1, 0)


def _kinships(
    b: _Builder, registry_region: dict[int, tuple[Organisation, str, list[Organisation]]]
) -> None:
    """Link ~15% of cadres to a relative: another cadre or a new villager."""
    rng = b.rng
    cadres = list(b.people)
    relations = [
        "spouse",
        "spouse",
        "sibling",
        "parent",
        "child",
        "sibling_in_law",
        "parent_in_law",
        "cousin",
        "uncle_aunt",
    ]
    for person in rng.sample(cadres, k=len(cadres) * 15 // 100):
        relation = rng.choice(relations)
        registry, region, hometowns = registry_region[id(person.registry)]
        if rng.random() < 0.5:
            candidates = [
                p
                for p in rng.sample(cadres, k=min(8, len(cadres)))
                if p is not person and p.registry is person.registry
            ]
            if not candidates:
                continue
            relative = candidates[0]
        else:
            relative = b.person(registry, region, hometowns=hometowns, min_age=20, max_age=80)
        if relation == "spouse" and relative.gender == person.gender:
            relation = "sibling"
        b.kin.append(Kinship(person=person, relative=relative, relation=relation))


def _dedupe_kin(kin: list[Kinship]) -> list[Kinship]:
    seen: set[frozenset[int]] = set()
    result = []
    for k in kin:
        pair = frozenset((k.person.pk, k.relative.pk))
        if k.person.pk == k.relative.pk or pair in seen:
            continue
        seen.add(pair)
        k.person_id, k.relative_id = k.person.pk, k.relative.pk
        result.append(k)
    return result


ACCOUNTS = [
    # username, role, scope key, person title, post organisation key
    ("admin", Role.ADMIN, "prefecture", "系统管理员", "pref_office"),
    ("office", Role.OFFICE_STAFF, "prefecture", "巡察办干部", "pref_office"),
    ("office_c1", Role.OFFICE_STAFF, "county1", "巡察办干部", "office1"),
    ("leading", Role.LEADING_GROUP, "county1", "巡察工作领导小组成员", "office1"),
    ("leader", Role.TEAM_LEADER, "target1", "巡察组组长", "office1"),
    ("deputy", Role.DEPUTY_LEADER, "target1", "巡察组副组长", "office1"),
    ("member", Role.TEAM_MEMBER, "target1", "巡察组组员", "office1"),
    ("liaison", Role.LIAISON, "target1", "联络员", "target1"),
    ("receiver", Role.RECEIVING_DEPARTMENT, "discipline1", "纪委监委干部", "discipline1"),
    ("auditor", Role.AUDITOR, "province", "安全审计员", "pref_office"),
]


def _accounts(b: _Builder, tree: dict[str, Any]) -> list[tuple[str, str, Organisation, Person]]:
    c1 = tree["counties"][0]
    places = {
        "province": tree["province"],
        "prefecture": tree["prefecture"],
        "pref_office": tree["pref_office"],
        "county1": c1["county"],
        "office1": c1["office"],
        "target1": c1["units"][min(12, len(c1["units"]) - 1)],
        "discipline1": c1["units"][0],
    }
    created: list[tuple[str, str, Organisation, Person]] = []
    for username, role, scope_key, title, post_key in ACCOUNTS:
        registry = (
            c1["county"]
            if post_key in ("office1", "target1", "discipline1")
            else tree["prefecture"]
        )
        person = b.person(registry, c1["region"], hometowns=[], min_age=28, max_age=55)
        b.post(person, places[post_key], title)
        created.append((username, role, places[scope_key], person))
    return created


def load_demo(
    *, scale: float = 1.0, seed: int = 2026, today: dt.date = REFERENCE_DATE
) -> DemoSummary:
    """Load the demo into an empty database; raise if organisations already exist."""
    if Organisation.objects.exists():
        raise RuntimeError(
            "the database already holds organisations; the demo loads only into an empty database"
        )
    if scale <= 0:
        raise ValueError("scale must be positive")
    summary = DemoSummary()
    with transaction.atomic():
        b = _Builder(scale, seed, today)
        tree = _build(b)
        _staff(b, tree)
        registry_region = {
            id(c["county"]): (c["county"], c["region"], c["townships"] + c["villages"])
            for c in tree["counties"]
        }
        registry_region[id(tree["prefecture"])] = (
            tree["prefecture"],
            tree["counties"][0]["region"],
            [],
        )
        _kinships(b, registry_region)
        account_specs = _accounts(b, tree)
        Person.objects.bulk_create(b.people, batch_size=1000)
        for post in b.posts:
            post.person_id = post.person.pk
            post.organisation_id = post.organisation.pk
        Post.objects.bulk_create(b.posts, batch_size=1000)
        kin = _dedupe_kin(b.kin)
        Kinship.objects.bulk_create(kin, batch_size=1000)
        OrganisationChange.objects.bulk_create(
            [
                OrganisationChange(
                    organisation=o,
                    kind=OrganisationChange.Kind.CREATED,
                    to_parent=o.parent,
                    effective_date=today - dt.timedelta(days=3650),
                )
                for o in b.orgs
            ],
            batch_size=1000,
        )
        events = list(_creation_events(b.orgs, b.people, b.posts, kin))
        audit.record_many(None, events)
        for username, role, scope, person in account_specs:
            user = services.user_create(
                actor=None, username=username, password=DEMO_PASSWORD, person=person, registry=scope
            )
            services.role_grant(actor=None, user=user, role=role, organisation=scope)
            summary.accounts.append(DemoAccount(username, str(Role(role).label), scope.name))
        context = DemoContext(rng=b.rng, today=today, scale=scale, tree=tree)
        for config in apps.get_app_configs():
            # Other apps add their part of the demo (rounds, later teams, reports …).
            hook = getattr(config, "load_demo", None)
            if hook is not None:
                hook(context)
        audit.record(
            actor=None,
            event_type=AuditEventType.DEMO_LOADED,
            extra={"scale": scale, "seed": seed, "reference_date": today.isoformat()},
        )
    summary.organisations = len(b.orgs)
    summary.people = len(b.people)
    summary.posts = len(b.posts)
    summary.kinships = len(kin)
    summary.audit_events = len(events) + 2 * len(account_specs) + 1
    return summary


def _creation_events(
    orgs: list[Organisation], people: list[Person], posts: list[Post], kin: list[Kinship]
) -> Iterator[audit.PendingEvent]:
    for o in orgs:
        yield audit.PendingEvent(
            AuditEventType.ORGANISATION_CREATED,
            obj=o,
            after=audit.snapshot(o, services.ORGANISATION_FIELDS),
            extra={"source": "demo"},
        )
    for p in people:
        yield audit.PendingEvent(
            AuditEventType.PERSON_CREATED,
            obj=p,
            after={
                **audit.snapshot(p, services.PERSON_FIELDS),
                "id_number_set": p.id_number is not None,
            },
            extra={"source": "demo"},
        )
    for post in posts:
        yield audit.PendingEvent(
            AuditEventType.POST_CREATED,
            obj=post,
            after=audit.snapshot(post, services.POST_FIELDS),
            extra={"source": "demo"},
        )
    for k in kin:
        yield audit.PendingEvent(
            AuditEventType.KINSHIP_CREATED,
            obj=k,
            object_repr=f"{k.person.name} – {k.relative.name}",
            after={"person": k.person_id, "relative": k.relative_id, "relation": k.relation},
            extra={"source": "demo"},
        )


__all__ = ["DEMO_PASSWORD", "DemoSummary", "load_demo"]
