"""A fictional prefecture to staff: a team-formation instance built like real data (pure).

``prefecture(seed)`` invents a prefecture, its people and their history with one seeded
``random.Random``, runs the real recusal rules (``recusal.conflict_matrix``) over them and
returns a ``formation.Instance`` for a cross round, with the figures the benchmark reports.
Nothing here describes real people or places: names are drawn character by character
(``xuncha.core.demo.names``), places are invented and county codes start with 99, which no
province uses.

Assumptions, chosen to resemble a small prefecture and stated so they can be argued with:

* Organisations: 12 counties, each with 18 county departments (the discipline commission,
  organisation department, finance and audit bureaux, courts, construction and the rest)
  and 10-12 townships, every unit with one or two subordinate offices (a township's finance
  office, a bureau's service centre); 8 prefecture departments above them.
* Targets: 200 units (county departments and townships, never the discipline commission or
  the organisation department, which staff the rounds) in 40 teams of 5, each team 1-3
  townships and the rest departments of one county, 3-4 teams per county. Major projects
  run at 60% of the construction, transport, water and natural-resources bureaux and at
  15% of the townships.
* Inspectors: 600, 50 per home county. Careers have 2-5 consecutive posts of 2-7 years from
  a start in 1996-2018 until today, the last one current; each post is in the home county
  (70%), another county (15%, cadre exchange) or a prefecture department (15%), and now
  and then in a unit's subordinate office. The current post leans towards the pool's
  source units (DOMAIN.md: discipline, organisation, finance, audit, legal, petitions).
  Senior people (the leader-eligible and a fifth of the others) hold their last two posts
  in the leadership team.
* Specialties: the current unit's (finance bureau -> finance, construction -> engineering,
  court -> law, township -> party affairs, ...), half of the earlier units' where the post
  lasted five years or more, and for 30% one more drawn by frequency. Discipline, finance
  and party affairs come out common, engineering and audit less so, IT scarce.
* Experience: rounds_done is 0 for 30%, 1 for 27%, 2 for 18%, 3 for 12%, 4 for 7% and
  5-7 for 6%. Leader eligibility rises with it (16% + 9% a round up to four rounds; about
  a third overall). 90% are available. ``leader_share`` (base, step) and ``availability``
  change these two and nothing else (the same draws decide, so a thinner pool is the same
  people with fewer leader candidates and fewer free); the benchmark's thin pool uses
  (0.04, 0.04) and 0.75.
* Qualification (granted after training): every leader candidate under the default
  shares holds a valid one, and so does anyone in the leader pool; of the others, 80% of
  those with a round behind them and 50% of first-timers, about four in five overall.
  These draws come from a second generator seeded from ``seed``, so the rest of the
  instance is the one generated before the field existed, and a thinner pool keeps the
  same qualified people.
* History: the last three years held six half-yearly rounds. Each person served in 1-4 of
  them (never more than rounds_done); workload is the number in the last two (twelve
  months). In each past round people were grouped by home county (four in five; the rest
  joined another county's people) into teams of 5-7 (fewer than 3 left over joined the last
  team) that inspected 3-5 units of one county: their own, or in every third round (a
  cross round) another. Everyone forms a previous pair with every team mate; the leader
  (the leader-eligible with most rounds) and one deputy of each past team carry
  ``led_targets`` for its units (rotation rule).
* Units' people: every county unit has 3-4 current leaders (in a township the first is the
  party secretary) whose earlier posts spread like the inspectors', and 4-10 staff. 25% of
  inspectors have 1-2 relatives on record (spouse, parent, child, sibling, cousin or
  in-law) among the people with a current post in a county unit, 70% in the home county.
* 1% of inspectors declare a conflict with a target, 0.5% are asked to step aside by one.

Recusal: ``conflict_matrix`` runs with DOMAIN.md's default rules, not as a cross round (the
cross rule is ``Rules.cross`` of the formation instance, so its explanation names it). A
conflict with any target of a team forbids the role in the team; a member conflict always
comes with leader and deputy ones, so it becomes one entry with role "any", otherwise there
is one entry each for "leader" and "deputy". The rule is that of the first conflict; the
evidence names the target and the facts (the first two conflicts, then a count).

Teams need 5-7 people, 1-2 deputies, finance always, and engineering (three in five) or
audit where a target runs major projects. Rules: at least 2 experienced people, at most 2
first-timers per team, cross round.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from xuncha.core.demo import names
from xuncha.talent.lib import recusal
from xuncha.talent.lib.formation import (
    ANY,
    DEPUTY,
    LEADER,
    MEMBER,
    Candidate,
    Forbidden,
    Instance,
    Rules,
    TeamSpec,
)

TODAY = date(2026, 6, 1)
SPECIALTIES: tuple[str, ...] = (
    "finance",
    "audit",
    "law",
    "engineering",
    "party-affairs",
    "discipline",
    "personnel",
    "petitions",
    "it",
)
# Relative frequency of a specialty drawn on top of the one a career gives.
_EXTRA_WEIGHTS = {
    "finance": 8,
    "audit": 4,
    "law": 4,
    "engineering": 2,
    "party-affairs": 8,
    "discipline": 6,
    "personnel": 5,
    "petitions": 3,
    "it": 2,
}

# County departments: (name, specialty the staff acquire, may be a target, source weight
# for the current post of an inspector). Source units follow DOMAIN.md's pool sources.
_DEPARTMENTS: tuple[tuple[str, str, bool, int], ...] = (
    ("纪委监委", "discipline", False, 12),
    ("组织部", "personnel", False, 7),
    ("财政局", "finance", True, 8),
    ("审计局", "audit", True, 6),
    ("司法局", "law", True, 3),
    ("人民法院", "law", True, 2),
    ("人民检察院", "law", True, 2),
    ("信访局", "petitions", True, 3),
    ("住房和城乡建设局", "engineering", True, 2),
    ("交通运输局", "engineering", True, 1),
    ("水利局", "engineering", True, 1),
    ("人力资源和社会保障局", "personnel", True, 2),
    ("大数据中心", "it", True, 1),
    ("教育局", "party-affairs", True, 1),
    ("卫生健康局", "party-affairs", True, 1),
    ("农业农村局", "party-affairs", True, 1),
    ("市场监督管理局", "law", True, 1),
    ("自然资源局", "engineering", True, 1),
)
_PREFECTURE_DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("市纪委监委", "discipline"),
    ("市委组织部", "personnel"),
    ("市财政局", "finance"),
    ("市审计局", "audit"),
    ("市司法局", "law"),
    ("市信访局", "petitions"),
    ("市住房和城乡建设局", "engineering"),
    ("市委巡察办", "party-affairs"),
)
_TOWNSHIP_SPECIALTY = "party-affairs"
_PROJECT_DEPARTMENTS = frozenset({"住房和城乡建设局", "交通运输局", "水利局", "自然资源局"})
_RELATIONS: tuple[tuple[str, str, int], ...] = (
    ("spouse", "spouse", 30),
    ("parent", "direct_blood", 12),
    ("child", "direct_blood", 12),
    ("sibling", "collateral", 20),
    ("cousin", "collateral", 8),
    ("sibling_in_law", "close_in_law", 10),
    ("parent_in_law", "close_in_law", 8),
)
_ROUNDS_WEIGHTS = (30, 27, 18, 12, 7, 3, 2, 1)  # rounds_done 0, 1, 2, ... 7
_PAST_ROUNDS = 6  # half-yearly rounds in the last three years, oldest first
_CN_DIGITS = "零一二三四五六七八九"


@dataclass(frozen=True)
class Generated:
    """The instance with the seed and the figures that describe it.

    ``stats["conflicts_by_rule"]`` counts recusal conflicts per (inspector, target, role),
    home-county ones excluded (the cross rule covers them); ``forbidden_entries`` are what
    they became per (person, team, role).
    """

    instance: Instance
    seed: int
    stats: dict[str, object] = field(default_factory=dict)


@dataclass
class _Unit:
    org_id: int
    name: str
    path: str
    county: int | None  # county position; None for prefecture departments
    specialty: str
    kind: str  # "unit" | "township"
    target_ok: bool
    source_weight: int
    major_projects: bool = False
    offices: list[_Unit] = field(default_factory=list)


@dataclass
class _World:
    rng: random.Random
    next_id: int = 2
    units: list[_Unit] = field(default_factory=list)
    by_county: dict[int, list[_Unit]] = field(default_factory=dict)
    prefecture: list[_Unit] = field(default_factory=list)
    posts: defaultdict[int, list[recusal.PostRecord]] = field(
        default_factory=lambda: defaultdict(list)
    )
    org_names: dict[int, str] = field(default_factory=dict)
    specialty_of: dict[int, str] = field(default_factory=dict)

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


def prefecture(
    seed: int = 2026,
    *,
    counties: int = 12,
    inspectors: int = 600,
    teams: int = 40,
    targets_per_team: int = 5,
    today: date = TODAY,
    leader_share: tuple[float, float] = (0.16, 0.09),
    availability: float = 0.9,
) -> Generated:
    """A cross-round instance for a fictional prefecture (see the module docstring)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible fiction, not secrets
    trained = random.Random(f"{seed}/qualified")  # noqa: S311 - as above
    world = _World(rng)
    county_codes = [f"99{(k // 100) + 1:02d}{k % 100 + 1:02d}" for k in range(counties)]
    county_names = _build_orgs(world, counties)

    people = _build_inspectors(world, inspectors, counties, today, leader_share, availability)
    for person in people:
        share = 0.8 if person.rounds_done else 0.5
        person.qualified = person.leader_eligible or person.senior_draw or trained.random() < share
    _build_unit_people(world, today)
    _add_relatives(world, people)
    team_units = _choose_targets(world, counties, teams, targets_per_team)
    _add_history(world, people, counties)
    for person in people:
        if rng.random() < 0.01:
            unit = rng.choice([u for units in team_units for u in units])
            person.declared.append((unit.org_id, "与该单位主要负责人系同学，交往密切"))
        if rng.random() < 0.005:
            unit = rng.choice([u for units in team_units for u in units])
            person.requested.append((unit.org_id, "曾参与该单位干部选拔，被巡察单位申请回避"))

    index = _post_index(world)
    target_infos = [_target_info(world, unit, index) for units in team_units for unit in units]
    inspector_records = [p.record() for p in people]
    matrix = recusal.conflict_matrix(
        inspector_records, target_infos, today=today, org_names=world.org_names
    )
    team_of = {unit.org_id: ti for ti, units in enumerate(team_units) for unit in units}
    forbidden = _forbidden(matrix, team_of, world.org_names)

    team_specs = []
    for ti, units in enumerate(team_units):
        county = units[0].county or 0  # targets are county units
        required = {"finance"}
        if any(u.major_projects for u in units):
            required.add("engineering" if rng.random() < 0.6 else "audit")
        size_min = rng.choice((5, 5, 6))
        team_specs.append(
            TeamSpec(
                index=ti + 1,
                label=f"第{_cn_number(ti + 1)}巡察组 · {county_names[county]}",
                target_ids=tuple(u.org_id for u in units),
                target_counties=frozenset({county_codes[county]}),
                size_min=size_min,
                size_max=7,
                deputies_min=1,
                deputies_max=2,
                required_specialties=frozenset(required),
            )
        )
    candidates = tuple(
        Candidate(
            person_id=p.person_id,
            name=p.name,
            county=county_codes[p.county],
            specialties=frozenset(p.specialties),
            leader_eligible=p.leader_eligible,
            rounds_done=p.rounds_done,
            available=p.available,
            workload=p.workload,
            qualified=p.qualified,
        )
        for p in people
    )
    pairs = frozenset(
        (min(a, b), max(a, b))
        for crew in _past_crews(people)
        for i, a in enumerate(crew)
        for b in crew[i + 1 :]
    )
    instance = Instance(
        candidates,
        tuple(team_specs),
        tuple(forbidden),
        Rules(min_experienced=2, max_first_timers=2, cross=True),
        pairs,
    )
    by_rule = Counter(c.rule for entries in matrix.values() for c in entries)
    blocked_pairs = {(f.person_id, f.team_index) for f in forbidden}
    stats: dict[str, object] = {
        "counties": counties,
        "inspectors": inspectors,
        "teams": teams,
        "targets": len(target_infos),
        "available": sum(c.available for c in candidates),
        "leader_eligible": sum(c.leader_eligible for c in candidates),
        "qualified": sum(c.qualified for c in candidates),
        "experienced": sum(c.rounds_done >= 2 for c in candidates),
        "first_timers": sum(c.rounds_done == 0 for c in candidates),
        "with_workload": sum(c.workload > 0 for c in candidates),
        "previous_pairs": len(pairs),
        "conflicts_by_rule": dict(sorted(by_rule.items())),
        "forbidden_entries": len(forbidden),
        "forbidden_any_role": sum(f.role == ANY for f in forbidden),
        "person_team_pairs_with_recusal": len(blocked_pairs),
        "specialty_holders": {s: sum(s in c.specialties for c in candidates) for s in SPECIALTIES},
        "teams_requiring": dict(
            sorted(Counter(s for t in team_specs for s in t.required_specialties).items())
        ),
    }
    return Generated(instance, seed, stats)


# -- organisations -----------------------------------------------------------------------


def _build_orgs(world: _World, counties: int) -> list[str]:
    rng = world.rng
    used: set[str] = set()
    root = "/1/"
    world.org_names[1] = "某某市"
    for name, specialty in _PREFECTURE_DEPARTMENTS:
        unit = _new_unit(world, name, root, None, specialty, "unit", False, 0)
        world.prefecture.append(unit)
    county_names: list[str] = []
    for k in range(counties):
        county_name = names.place_name(rng, used) + "县"
        county_names.append(county_name)
        county_id = world.new_id()
        world.org_names[county_id] = county_name
        path = f"{root}{county_id}/"
        units: list[_Unit] = []
        for name, specialty, target_ok, weight in _DEPARTMENTS:
            unit = _new_unit(
                world, county_name + name, path, k, specialty, "unit", target_ok, weight
            )
            unit.major_projects = name in _PROJECT_DEPARTMENTS and rng.random() < 0.6
            units.append(unit)
        for _ in range(rng.randint(10, 12)):
            suffix = "镇" if rng.random() < 0.7 else "乡"
            town = names.place_name(rng, used) + suffix
            unit = _new_unit(
                world, county_name + town, path, k, _TOWNSHIP_SPECIALTY, "township", True, 2
            )
            unit.major_projects = rng.random() < 0.15
            units.append(unit)
        world.by_county[k] = units
    return county_names


def _new_unit(
    world: _World,
    name: str,
    parent_path: str,
    county: int | None,
    specialty: str,
    kind: str,
    target_ok: bool,
    weight: int,
) -> _Unit:
    org_id = world.new_id()
    unit = _Unit(
        org_id, name, f"{parent_path}{org_id}/", county, specialty, kind, target_ok, weight
    )
    world.org_names[org_id] = name
    world.specialty_of[org_id] = specialty
    world.units.append(unit)
    office_names = ("财政所", "农业服务中心") if kind == "township" else ("事务中心", "执法大队")
    for office in office_names[: world.rng.randint(1, 2)]:
        office_id = world.new_id()
        office_specialty = "finance" if office == "财政所" else specialty
        child = _Unit(
            office_id,
            name + office,
            f"{unit.path}{office_id}/",
            county,
            office_specialty,
            "unit",
            False,
            0,
        )
        world.org_names[office_id] = child.name
        world.specialty_of[office_id] = office_specialty
        unit.offices.append(child)
    return unit


# -- inspectors ----------------------------------------------------------------------------


@dataclass
class _Person:
    person_id: int
    name: str
    county: int
    posts: list[recusal.PostRecord] = field(default_factory=list)
    specialties: set[str] = field(default_factory=set)
    rounds_done: int = 0
    recent: int = 0
    workload: int = 0
    leader_eligible: bool = False
    senior_draw: bool = False  # in the leader pool under the default shares
    qualified: bool = True
    available: bool = True
    relatives: list[recusal.Relative] = field(default_factory=list)
    led: list[tuple[int, str]] = field(default_factory=list)
    declared: list[tuple[int, str]] = field(default_factory=list)
    requested: list[tuple[int, str]] = field(default_factory=list)
    past_teams: list[tuple[int, int]] = field(default_factory=list)  # (round, team key)
    county_path: str = ""

    def record(self) -> recusal.Inspector:
        return recusal.Inspector(
            person_id=self.person_id,
            name=self.name,
            posts=tuple(self.posts),
            relatives=tuple(self.relatives),
            home_county_path=self.county_path,
            led_targets=tuple(self.led),
            declared_conflicts=tuple(self.declared),
            requested_by_target=tuple(self.requested),
        )


def _build_inspectors(
    world: _World,
    inspectors: int,
    counties: int,
    today: date,
    leader_share: tuple[float, float],
    availability: float,
) -> list[_Person]:
    rng = world.rng
    people: list[_Person] = []
    for n in range(inspectors):
        county = n % counties
        person = _Person(
            person_id=1000 + n,
            name=names.person_name(rng, rng.choice("MF")),
            county=county,
            county_path=world.by_county[county][0].path.rsplit("/", 2)[0] + "/",
        )
        person.rounds_done = rng.choices(range(len(_ROUNDS_WEIGHTS)), _ROUNDS_WEIGHTS)[0]
        base, step = leader_share
        draw = rng.random()
        person.leader_eligible = draw < base + step * min(person.rounds_done, 4)
        person.senior_draw = draw < 0.16 + 0.09 * min(person.rounds_done, 4)
        person.available = rng.random() < availability
        # Careers follow the default shares whatever ``leader_share`` is, so that a thinner
        # pool is the same people with fewer of them in the leader pool.
        senior = person.senior_draw or rng.random() < 0.2
        person.posts = _career(world, county, counties, today, senior=senior, source=True)
        # The current post makes a specialty; an earlier one of five years or more may.
        person.specialties.add(world.specialty_of[person.posts[-1].org_id])
        for post in person.posts[:-1]:
            long_post = post.end is not None and (post.end - post.start).days >= 5 * 365
            if long_post and rng.random() < 0.5:
                person.specialties.add(world.specialty_of[post.org_id])
        if rng.random() < 0.3:
            extra = rng.choices(list(_EXTRA_WEIGHTS), list(_EXTRA_WEIGHTS.values()))[0]
            person.specialties.add(extra)
        # The recent rounds are at most the rounds done; the last twelve months at most those.
        person.recent = min(person.rounds_done, rng.choice((1, 1, 2, 2, 3, 3, 4)))
        world.posts[person.person_id] = person.posts
        people.append(person)
    return people


def _career(
    world: _World,
    county: int,
    counties: int,
    today: date,
    *,
    senior: bool,
    source: bool,
    current: _Unit | None = None,
) -> list[recusal.PostRecord]:
    """Consecutive posts ending in a current one; ``current`` fixes the last unit."""
    rng = world.rng
    count = rng.randint(2, 5)
    start = date(rng.randint(1996, 2018), rng.randint(1, 12), 1)
    posts: list[recusal.PostRecord] = []
    for i in range(count):
        end = date(start.year + rng.randint(2, 7), start.month, 1)
        last = i == count - 1 or end >= today
        if last and current is not None:
            unit = current
        else:
            unit = _pick_unit(world, county, counties, source=source and last)
        leadership = senior and (i >= count - 2 or rng.random() < 0.2)
        office = rng.choice(unit.offices) if unit.offices and rng.random() < 0.2 else unit
        if last and current is not None:
            office = unit
        posts.append(
            recusal.PostRecord(
                org_id=office.org_id,
                org_path=office.path,
                title=_title(unit, leadership, rng),
                start=start,
                end=None if last else date.fromordinal(end.toordinal() - 1),
                leadership=leadership,
                key_post=not leadership and rng.random() < 0.05,
            )
        )
        if last:
            break
        start = end
    return posts


def _pick_unit(world: _World, county: int, counties: int, *, source: bool) -> _Unit:
    rng = world.rng
    roll = rng.random()
    if roll < 0.15:
        return rng.choice(world.prefecture)
    if roll < 0.30 and counties > 1:
        county = rng.choice([k for k in range(counties) if k != county])
    units = world.by_county[county]
    if source:
        return rng.choices(units, [u.source_weight for u in units])[0]
    return rng.choice(units)


def _title(unit: _Unit, leadership: bool, rng: random.Random) -> str:
    if unit.kind == "township":
        return rng.choice(("党委书记", "镇长", "副镇长", "纪委书记")) if leadership else "干部"
    return rng.choice(("局长", "副局长", "主任", "副主任")) if leadership else "科员"


# -- the targets' people -----------------------------------------------------------------


def _build_unit_people(world: _World, today: date) -> None:
    """Leaders (with careers) and staff of every county unit."""
    rng = world.rng
    next_person = 100_000
    counties = len(world.by_county)
    for county, units in world.by_county.items():
        for unit in units:
            for i in range(rng.randint(3, 4)):
                posts = _career(
                    world, county, counties, today, senior=True, source=False, current=unit
                )
                last = posts[-1]
                # The current post of a unit leader is in its leadership team.
                title = "党委书记" if i == 0 and unit.kind == "township" else last.title
                posts[-1] = recusal.PostRecord(
                    unit.org_id, unit.path, title, last.start, None, leadership=True
                )
                world.posts[next_person] = posts
                next_person += 1
            for _ in range(rng.randint(4, 10)):
                office = rng.choice([unit, *unit.offices])
                start = date(rng.randint(2005, 2025), rng.randint(1, 12), 1)
                world.posts[next_person] = [
                    recusal.PostRecord(office.org_id, office.path, "干部", start, None)
                ]
                next_person += 1


def _add_relatives(world: _World, people: Sequence[_Person]) -> None:
    rng = world.rng
    county_of_path = {u.path: u.county for u in world.units if u.county is not None}
    staff_by_county: dict[int, list[int]] = defaultdict(list)
    for person_id, posts in world.posts.items():
        unit_path = "/".join(posts[-1].org_path.split("/")[:4]) + "/"
        county = county_of_path.get(unit_path)
        if county is not None:
            staff_by_county[county].append(person_id)
    counties = sorted(staff_by_county)
    for person in people:
        if rng.random() >= 0.25:
            continue
        for _ in range(rng.choice((1, 1, 2))):
            county = person.county if rng.random() < 0.7 else rng.choice(counties)
            relative_id = rng.choice(staff_by_county[county])
            if relative_id == person.person_id:
                continue
            relation, kinship, _ = rng.choices(_RELATIONS, [w for _, _, w in _RELATIONS])[0]
            person.relatives.append(recusal.Relative(relative_id, kinship, relation))


# -- targets and history -------------------------------------------------------------------


def _choose_targets(world: _World, counties: int, teams: int, per_team: int) -> list[list[_Unit]]:
    rng = world.rng
    team_units: list[list[_Unit]] = []
    for ti in range(teams):
        county = ti % counties
        taken = {u.org_id for units in team_units for u in units}
        pool = [u for u in world.by_county[county] if u.target_ok and u.org_id not in taken]
        # A team takes some departments and some townships, as a county round does.
        townships = [u for u in pool if u.kind == "township"]
        departments = [u for u in pool if u.kind != "township"]
        n_town = min(len(townships), rng.randint(1, 3))
        chosen = rng.sample(townships, n_town)
        chosen += rng.sample(departments, per_team - n_town)
        team_units.append(sorted(chosen, key=lambda u: u.org_id))
    # Teams of one county sit next to each other in the list, as a round plan shows them.
    order = sorted(range(teams), key=lambda ti: (team_units[ti][0].county, ti))
    return [team_units[ti] for ti in order]


def _add_history(world: _World, people: Sequence[_Person], counties: int) -> None:
    """Past rounds: workload, previous pairs and the led targets of the rotation rule."""
    rng = world.rng
    slots: dict[int, list[_Person]] = defaultdict(list)
    for person in people:
        rounds = sorted(rng.sample(range(_PAST_ROUNDS), person.recent))
        person.workload = sum(1 for r in rounds if r >= _PAST_ROUNDS - 2)
        for r in rounds:
            slots[r].append(person)
    for r in range(_PAST_ROUNDS):
        cross = r % 3 == 2 and counties > 1
        groups: dict[int, list[_Person]] = defaultdict(list)
        for person in slots[r]:
            home = person.county if rng.random() < 0.8 else rng.randrange(counties)
            groups[home].append(person)
        for county, pool in sorted(groups.items()):
            rng.shuffle(pool)
            crews: list[list[_Person]] = []
            while pool:
                size = rng.randint(5, 7)
                crew, pool = pool[:size], pool[size:]
                if len(crew) < 3 and crews:
                    crews[-1].extend(crew)  # too few for a team: they joined the last one
                else:
                    crews.append(crew)
            inspected = (county + 1 + rng.randrange(counties - 1)) % counties if cross else county
            units = [u for u in world.by_county[inspected] if u.target_ok]
            for key, crew in enumerate(crews):
                visited = rng.sample(units, rng.randint(3, 5))
                ranked = sorted(crew, key=lambda p: (not p.leader_eligible, -p.rounds_done))
                for position, person in enumerate(ranked):
                    person.past_teams.append((r, county * 100 + key))
                    if position < 2:
                        role = LEADER if position == 0 else DEPUTY
                        person.led.extend((u.org_id, role) for u in visited)


def _past_crews(people: Sequence[_Person]) -> list[list[int]]:
    """Person ids of every past team."""
    crews: dict[tuple[int, int], list[int]] = defaultdict(list)
    for person in people:
        for key in person.past_teams:
            crews[key].append(person.person_id)
    return [sorted(crew) for _, crew in sorted(crews.items())]


def _post_index(world: _World) -> dict[str, list[tuple[int, recusal.PostRecord]]]:
    """Posts by every organisation path they lie under (a unit sees its offices' posts)."""
    index: dict[str, list[tuple[int, recusal.PostRecord]]] = defaultdict(list)
    for person_id, posts in world.posts.items():
        for post in posts:
            parts = post.org_path.strip("/").split("/")
            for depth in range(1, len(parts) + 1):
                index["/" + "/".join(parts[:depth]) + "/"].append((person_id, post))
    return index


def _target_info(
    world: _World, unit: _Unit, index: dict[str, list[tuple[int, recusal.PostRecord]]]
) -> recusal.TargetInfo:
    """The target with every post in it and every post of its current leaders."""
    inside = index.get(unit.path, [])
    leaders = sorted(
        {pid for pid, post in inside if post.end is None and (post.leadership or post.key_post)}
    )
    elsewhere = [
        (pid, post)
        for pid in leaders
        for post in world.posts[pid]
        if not post.org_path.startswith(unit.path)
    ]
    return recusal.TargetInfo(
        org_id=unit.org_id,
        name=unit.name,
        path=unit.path,
        kind=unit.kind,
        county_path=unit.path.rsplit("/", 2)[0] + "/",
        township_path=None,
        people_posts=tuple(inside + elsewhere),
    )


def _forbidden(
    matrix: dict[tuple[int, int, str], list[recusal.Conflict]],
    team_of: dict[int, int],
    org_names: dict[int, str],
) -> list[Forbidden]:
    """One entry per (person, team, role) from the conflicts with the team's targets."""
    grouped: dict[tuple[int, int, str], list[recusal.Conflict]] = defaultdict(list)
    for (person_id, target_id, role), found in sorted(matrix.items()):
        kept = [c for c in found if c.rule != "home_county"]  # Rules.cross covers it
        if kept:
            grouped[(person_id, team_of[target_id] + 1, role)].extend(kept)
    entries: list[Forbidden] = []
    for (person_id, team_index, role), found in sorted(grouped.items()):
        if role == MEMBER:
            entries.append(_entry(person_id, team_index, ANY, found, org_names))
        elif (person_id, team_index, MEMBER) not in grouped:
            entries.append(_entry(person_id, team_index, role, found, org_names))
    return entries


def _entry(
    person_id: int,
    team_index: int,
    role: str,
    found: Sequence[recusal.Conflict],
    org_names: dict[int, str],
) -> Forbidden:
    shown = [f"{org_names.get(c.target_id, c.target_id)}: {c.evidence}" for c in found[:2]]
    more = len(found) - len(shown)
    evidence = "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
    return Forbidden(person_id, team_index, role, found[0].rule, evidence)


def _cn_number(n: int) -> str:
    """1..99 in Chinese numerals (第十二巡察组)."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _CN_DIGITS[ones]
    head = "" if tens == 1 else _CN_DIGITS[tens]
    return head + "十" + (_CN_DIGITS[ones] if ones else "")
