"""Recusal (回避) conflicts between an inspector and an inspection target (pure; no Django).

The app builds plain records from its models; this module says, for an inspector, a target
and a role on the team, which recusal rules apply and names the facts behind each one, so
the office can decide and substitute (DOMAIN.md, "Teams, people and rules").

Rules and the decisions taken where DOMAIN.md leaves room:

- worked_recently / worked_long: a post in the target or in an organisation under it
  (materialised path prefix) that was held within the last ``recent_years``, or such posts
  adding up to ``long_service_years`` or more at any time. DOMAIN.md states these for
  leaders and deputies; we apply them to *every* role, because a member who worked in the
  unit is just as compromised (they would be inspecting former colleagues and their own
  past work).
- relative: every role steps aside where a relative in ``member_kinship_classes`` holds any
  current post in the target or under it. Leaders and deputies also step aside where a
  relative in ``leader_kinship_classes`` is a leader of the unit.
- former_colleague / former_superior (leaders and deputies only), judged against the
  target's leaders. A colleague is someone whose posts in one organisation overlapped the
  inspector's for ``colleague_years`` or more in total; a superior or subordinate relation
  is an overlap in one organisation, ending within ``superior_years``, where exactly one of
  the two posts was in the leadership team.
- hometown (village rounds): the inspector's hometown is the target village or lies in the
  target's township.
- home_county (cross rounds): at county level the home county must differ from the target's
  county; at township level (townships inspecting each other's villages, where everyone
  shares the county) the home township must differ from the target's township. Both are
  checked only when both sides are known.
- rotation (leaders and deputies only): led or deputy-led an earlier round at the target
  (三个不固定: leaders do not return to the same unit).
- declared / requested: self-declared by the inspector, or asked for by the target; every
  role. The office decides on these, but they are reported like any other conflict.

"A leader of the unit" means a current post in the target or under it that is in the
leadership team or is a key post; subordinate units are inspected with their parent, so
their leaders count too. The colleague and superior rules need those leaders' careers:
``TargetInfo.people_posts`` may therefore also carry posts the target's people held in other
organisations; every rule that speaks of "in the unit" filters by path itself.

Dates: ``end=None`` means current; end dates are inclusive; time after ``today`` is never
counted as service. "Within the last N years" compares against the same calendar day N
years ago (29 February falls back to 28). Durations add up days across posts without
double counting, and "N years" means at least 365·N + N//4 days: the shortest span N
calendar years can have, so any N full calendar years qualify.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from xuncha.core.lib.kinship import KinshipClass
from xuncha.core.lib.text import gettext_noop

ROLES: tuple[str, ...] = ("leader", "deputy", "member")
LEADING_ROLES: frozenset[str] = frozenset({"leader", "deputy"})
# The order conflicts are listed in, per pair and role.
RULES: tuple[str, ...] = (
    "worked_recently",
    "worked_long",
    "relative",
    "former_colleague",
    "former_superior",
    "hometown",
    "home_county",
    "rotation",
    "declared",
    "requested",
)
SEVERITY_HARD = "hard"
KINSHIP_CLASSES: frozenset[str] = frozenset(k.value for k in KinshipClass)
TARGET_KINDS: frozenset[str] = frozenset({"unit", "township", "village", "community"})
CrossLevel = Literal["county", "township"]


@dataclass(frozen=True)
class PostRecord:
    org_id: int
    org_path: str  # materialised path like "/1/2/17/"
    title: str
    start: date
    end: date | None  # None = current; inclusive
    leadership: bool = False
    key_post: bool = False

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"post {self.title!r} ends {self.end} before it starts {self.start}")


@dataclass(frozen=True)
class Relative:
    person_id: int
    kinship_class: str  # a KinshipClass value
    relation: str  # e.g. "spouse", "parent", "sibling" (for the evidence text)

    def __post_init__(self) -> None:
        # A misspelt class would silently never match any rule; refuse it instead.
        if self.kinship_class not in KINSHIP_CLASSES:
            raise ValueError(f"unknown kinship class {self.kinship_class!r}")


@dataclass(frozen=True)
class Inspector:
    person_id: int
    name: str
    posts: tuple[PostRecord, ...]
    relatives: tuple[Relative, ...] = ()
    hometown_path: str | None = None  # township or village path
    home_county_path: str | None = None
    home_township_path: str | None = None
    # (org_id, role) of earlier rounds where role was "leader" or "deputy".
    led_targets: tuple[tuple[int, str], ...] = ()
    declared_conflicts: tuple[tuple[int, str], ...] = ()  # (org_id, reason), self-declared
    requested_by_target: tuple[tuple[int, str], ...] = ()  # (org_id, reason), target asked


@dataclass(frozen=True)
class TargetInfo:
    org_id: int
    name: str
    path: str
    kind: str  # "unit" | "township" | "village" | "community"
    county_path: str
    township_path: str | None  # for villages and communities: their township
    # (person_id, post) of everyone with a post in the target or under it, current and past;
    # may also hold those people's posts elsewhere (needed by the colleague/superior rules).
    people_posts: tuple[tuple[int, PostRecord], ...]

    def __post_init__(self) -> None:
        if self.kind not in TARGET_KINDS:
            raise ValueError(f"unknown target kind {self.kind!r}")


@dataclass(frozen=True)
class RecusalRules:
    """Configurable per committee; the defaults are DOMAIN.md's."""

    recent_years: int = 3  # worked in the target (or under it) in the last N years
    long_service_years: int = 3  # or for M+ years at any time
    leader_kinship_classes: frozenset[str] = frozenset(KINSHIP_CLASSES)
    member_kinship_classes: frozenset[str] = frozenset(
        {KinshipClass.SPOUSE.value, KinshipClass.DIRECT_BLOOD.value}
    )
    colleague_years: int = 3  # overlapping posts in one organisation for N+ years
    superior_years: int = 3  # superior/subordinate relation within the last N years
    village_hometown: bool = True
    rotation: bool = True  # led or deputy-led a round at the same target before

    def __post_init__(self) -> None:
        for name in ("recent_years", "long_service_years", "colleague_years", "superior_years"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name in ("leader_kinship_classes", "member_kinship_classes"):
            unknown = set(getattr(self, name)) - KINSHIP_CLASSES
            if unknown:
                raise ValueError(f"{name}: unknown kinship classes {sorted(unknown)}")


DEFAULT_RULES = RecusalRules()


PRESENT = "present"  # the end of a current post in date ranges ("2019-01-01–present")

# Evidence templates of earlier versions ("within 3 years" did not suit a 1-year rule; a
# declaration's evidence said "self-declared" after the rule's own name said so, then gave
# the reason alone, not the target): evidence stored with them (FormationRun.instance)
# still reads in the user's language.
RETIRED_TEMPLATES: tuple[str, ...] = (
    gettext_noop("self-declared: %(reason)s"),
    gettext_noop("“%(reason)s”"),
    gettext_noop("requested by %(target)s: %(reason)s"),
    gettext_noop("worked at %(post)s, within %(years)s years (on or after %(cutoff)s)"),
    gettext_noop(
        "superior of %(leader)s, a current leader of %(target)s: at %(org)s the inspector was "
        "%(mine)s and %(leader)s was %(theirs)s, together %(dates)s, within %(years)s years "
        "(on or after %(cutoff)s)"
    ),
    gettext_noop(
        "subordinate of %(leader)s, a current leader of %(target)s: at %(org)s the inspector "
        "was %(mine)s and %(leader)s was %(theirs)s, together %(dates)s, within %(years)s "
        "years (on or after %(cutoff)s)"
    ),
)


@dataclass(frozen=True)
class Conflict:
    rule: str  # one of RULES
    person_id: int
    target_id: int
    evidence: str  # English text naming the facts: ``template % dict(params)``
    severity: str = SEVERITY_HARD
    # The same evidence for translation: an English template with %(name)s fields, and
    # the values (facts from the records; "relation", "class" and "role" hold codes).
    template: str = ""
    params: tuple[tuple[str, str], ...] = ()


# ---------------------------------------------------------------------------------------
# Dates and paths


def _norm(path: str) -> str:
    # A trailing slash makes prefix tests exact: "/1/2/1/" is not a prefix of "/1/2/17/".
    return path if path.endswith("/") else path + "/"


def _prefixes(path: str) -> Iterator[str]:
    """Every normalised ancestor path of ``path``, itself included."""
    p = _norm(path)
    for i, ch in enumerate(p):
        if ch == "/":
            yield p[: i + 1]


def _years_back(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February in a common year
        return today.replace(year=today.year - years, day=28)


def _min_days(years: int) -> int:
    return 365 * years + years // 4


def _span(post: PostRecord, today: date) -> tuple[date, date] | None:
    """The days actually served, up to today; None for a post not started yet."""
    end = today if post.end is None else min(post.end, today)
    return (post.start, end) if post.start <= end else None


def _is_current(post: PostRecord, today: date) -> bool:
    return post.start <= today and (post.end is None or post.end >= today)


def _union_days(spans: Iterable[tuple[date, date]]) -> int:
    total = 0
    run: tuple[date, date] | None = None
    for start, end in sorted(spans):
        if run is None or start > run[1] + timedelta(days=1):
            if run is not None:
                total += (run[1] - run[0]).days + 1
            run = (start, end)
        else:
            run = (run[0], max(run[1], end))
    if run is not None:
        total += (run[1] - run[0]).days + 1
    return total


def _post_key(post: PostRecord) -> tuple[str, date, date, str, int]:
    return (post.org_path, post.start, post.end or date.max, post.title, post.org_id)


def _dates(start: date, end: date | None) -> str:
    return f"{start.isoformat()}–{end.isoformat() if end else PRESENT}"


# ---------------------------------------------------------------------------------------
# Per-call context and per-target index


@dataclass(frozen=True)
class _Context:
    today: date
    rules: RecusalRules
    cross_round: bool
    cross_level: CrossLevel
    village_round: bool
    org_names: Mapping[int, str]
    person_names: Mapping[int, str]
    recent_cutoff: date
    superior_cutoff: date
    long_days: int
    colleague_days: int


def _context(
    today: date,
    rules: RecusalRules,
    cross_round: bool,
    cross_level: str,
    village_round: bool,
    org_names: Mapping[int, str] | None,
    person_names: Mapping[int, str] | None = None,
) -> _Context:
    if cross_level == "county":
        level: CrossLevel = "county"
    elif cross_level == "township":
        level = "township"
    else:
        raise ValueError(f"unknown cross_level {cross_level!r}")
    return _Context(
        today=today,
        rules=rules,
        cross_round=cross_round,
        cross_level=level,
        village_round=village_round,
        org_names=org_names or {},
        person_names=person_names or {},
        recent_cutoff=_years_back(today, rules.recent_years),
        superior_cutoff=_years_back(today, rules.superior_years),
        long_days=_min_days(rules.long_service_years),
        colleague_days=_min_days(rules.colleague_years),
    )


@dataclass(frozen=True)
class _TargetIndex:
    target: TargetInfo
    path: str
    hometown_township: str | None  # the township a village round's hometown rule looks at
    cross_township: str | None  # the township a township-level cross round compares
    county: str
    # person_id -> current posts in the target or under it
    current_posts: dict[int, tuple[PostRecord, ...]]
    # person_id -> current leading (leadership team or key) posts in the target or under it
    leaders: dict[int, tuple[PostRecord, ...]]
    # org_id -> (leader person_id, post) for every known post of the target's leaders
    leader_posts_by_org: dict[int, tuple[tuple[int, PostRecord], ...]]


def _index_target(target: TargetInfo, today: date) -> _TargetIndex:
    path = _norm(target.path)
    current: defaultdict[int, list[PostRecord]] = defaultdict(list)
    for person_id, post in target.people_posts:
        if _is_current(post, today) and _norm(post.org_path).startswith(path):
            current[person_id].append(post)
    leaders: dict[int, tuple[PostRecord, ...]] = {}
    for person_id, posts in current.items():
        leading = sorted((p for p in posts if p.leadership or p.key_post), key=_post_key)
        if leading:
            leaders[person_id] = tuple(leading)
    by_org: defaultdict[int, list[tuple[int, PostRecord]]] = defaultdict(list)
    for person_id, post in target.people_posts:
        if person_id in leaders:
            by_org[post.org_id].append((person_id, post))
    township = _norm(target.township_path) if target.township_path else None
    return _TargetIndex(
        target=target,
        path=path,
        hometown_township=township,
        cross_township=township if township else (path if target.kind == "township" else None),
        county=_norm(target.county_path),
        current_posts={pid: tuple(sorted(ps, key=_post_key)) for pid, ps in current.items()},
        leaders=leaders,
        leader_posts_by_org={
            org: tuple(sorted(items, key=lambda it: (it[0], _post_key(it[1]))))
            for org, items in by_org.items()
        },
    )


# ---------------------------------------------------------------------------------------
# Evaluation


@dataclass(frozen=True)
class _Tagged:
    conflict: Conflict
    leading: bool  # applies to leader and deputy
    member: bool  # applies to member


@dataclass(frozen=True)
class _Overlap:
    start: date
    end: date
    mine: PostRecord
    theirs: PostRecord


def _evaluate(inspector: Inspector, tx: _TargetIndex, cx: _Context) -> list[_Tagged]:
    """All conflicts of one pair, tagged with the roles they apply to, in RULES order."""
    target = tx.target
    rules = cx.rules
    out: list[_Tagged] = []

    def add(
        rule: str, template: str, *, leading: bool = True, member: bool = True, **params: object
    ) -> None:
        add_params(rule, template, params, leading=leading, member=member)

    def add_params(
        rule: str, template: str, params: Mapping[str, object], *, leading: bool, member: bool
    ) -> None:
        values = {k: str(v) for k, v in params.items()}
        conflict = Conflict(
            rule,
            inspector.person_id,
            target.org_id,
            template % values,
            template=template,
            params=tuple(sorted(values.items())),
        )
        out.append(_Tagged(conflict, leading, member))

    def person(person_id: int) -> str:
        return cx.person_names.get(person_id) or f"#{person_id}"

    def org(org_id: int) -> str:
        if org_id in cx.org_names:
            return cx.org_names[org_id]
        return target.name if org_id == target.org_id else f"org #{org_id}"

    def org_by_path(path: str) -> str:
        # Materialised paths end in the organisation's id ("/1/2/17/" is org 17).
        last = path.rstrip("/").rsplit("/", 1)[-1]
        if last.isdigit() and int(last) in cx.org_names:
            return cx.org_names[int(last)]
        return path

    def post_text(post: PostRecord) -> str:
        return f"{org(post.org_id)} ({post.title}) {_dates(post.start, post.end)}"

    # Work in the target or under it.
    inside = sorted(
        (p for p in inspector.posts if _norm(p.org_path).startswith(tx.path)), key=_post_key
    )
    for post in inside:
        if post.start <= cx.today and (post.end is None or post.end >= cx.recent_cutoff):
            add(
                "worked_recently",
                gettext_noop(
                    "worked at %(post)s, within the %(years)s-year period (on or after %(cutoff)s)"
                ),
                post=post_text(post),
                years=rules.recent_years,
                cutoff=cx.recent_cutoff.isoformat(),
            )
    spans = [s for s in (_span(p, cx.today) for p in inside) if s is not None]
    served = _union_days(spans)
    if spans and served >= cx.long_days:
        stints = "; ".join(post_text(p) for p in inside if _span(p, cx.today) is not None)
        add(
            "worked_long",
            gettext_noop(
                "worked %(days)s days (%(years)s+ years) in %(target)s or units under it: %(posts)s"
            ),
            days=served,
            years=rules.long_service_years,
            target=target.name,
            posts=stints,
        )

    # Relatives in the unit.
    for rel in sorted(
        inspector.relatives, key=lambda r: (r.person_id, r.kinship_class, r.relation)
    ):
        posts = tx.current_posts.get(rel.person_id)
        if not posts:
            continue
        who = {
            "person": person(rel.person_id),
            "relation": rel.relation,
            "class": rel.kinship_class,
            "target": target.name,
        }
        member_hit = rel.kinship_class in rules.member_kinship_classes
        leading_posts = tx.leaders.get(rel.person_id, ())
        leader_hit = bool(leading_posts) and rel.kinship_class in rules.leader_kinship_classes
        works = gettext_noop(
            "relative %(person)s (%(relation)s; %(class)s) works in %(target)s: %(posts)s"
        )
        work_posts = "; ".join(map(post_text, posts))
        if leader_hit:
            add_params(
                "relative",
                gettext_noop(
                    "relative %(person)s (%(relation)s; %(class)s) is a leader of %(target)s: "
                    "%(posts)s"
                ),
                {**who, "posts": "; ".join(map(post_text, leading_posts))},
                leading=True,
                member=False,
            )
            if member_hit:
                add_params(
                    "relative", works, {**who, "posts": work_posts}, leading=False, member=True
                )
        elif member_hit:
            add_params("relative", works, {**who, "posts": work_posts}, leading=True, member=True)

    # Former colleagues and superiors/subordinates among the unit's leaders.
    overlaps: defaultdict[tuple[int, int], list[_Overlap]] = defaultdict(list)
    for mine in inspector.posts:
        my_span = _span(mine, cx.today)
        if my_span is None:
            continue
        for leader_id, theirs in tx.leader_posts_by_org.get(mine.org_id, ()):
            their_span = _span(theirs, cx.today)
            if leader_id == inspector.person_id or their_span is None:
                continue
            start, end = max(my_span[0], their_span[0]), min(my_span[1], their_span[1])
            if start <= end:
                overlaps[(leader_id, mine.org_id)].append(_Overlap(start, end, mine, theirs))
    colleagues: list[tuple[str, dict[str, object]]] = []
    superiors: list[tuple[str, dict[str, object]]] = []
    for (leader_id, org_id), items in sorted(overlaps.items()):
        items.sort(key=lambda o: (o.start, o.end, _post_key(o.mine), _post_key(o.theirs)))
        shared = _union_days((o.start, o.end) for o in items)
        if shared >= cx.colleague_days:
            pairs = "; ".join(
                f"{o.mine.title} {_dates(o.mine.start, o.mine.end)} / "
                f"{o.theirs.title} {_dates(o.theirs.start, o.theirs.end)}"
                for o in items
            )
            colleagues.append(
                (
                    gettext_noop(
                        "colleague of %(leader)s, a current leader of %(target)s, for %(days)s "
                        "days (%(years)s+ years) at %(org)s: %(pairs)s"
                    ),
                    {
                        "leader": person(leader_id),
                        "target": target.name,
                        "days": shared,
                        "years": rules.colleague_years,
                        "org": org(org_id),
                        "pairs": pairs,
                    },
                )
            )
        ranked = [
            o
            for o in items
            if o.mine.leadership != o.theirs.leadership and o.end >= cx.superior_cutoff
        ]
        if ranked:
            # The latest overlap is the strongest evidence.
            o = max(ranked, key=lambda o: (o.end, o.start, _post_key(o.mine), _post_key(o.theirs)))
            template = (
                gettext_noop(
                    "superior of %(leader)s, a current leader of %(target)s: at %(org)s the "
                    "inspector was %(mine)s and %(leader)s was %(theirs)s, together %(dates)s, "
                    "within the %(years)s-year period (on or after %(cutoff)s)"
                )
                if o.mine.leadership
                else gettext_noop(
                    "subordinate of %(leader)s, a current leader of %(target)s: at %(org)s the "
                    "inspector was %(mine)s and %(leader)s was %(theirs)s, together %(dates)s, "
                    "within the %(years)s-year period (on or after %(cutoff)s)"
                )
            )
            superiors.append(
                (
                    template,
                    {
                        "leader": person(leader_id),
                        "target": target.name,
                        "org": org(org_id),
                        "mine": o.mine.title,
                        "theirs": o.theirs.title,
                        "dates": _dates(o.start, o.end),
                        "years": rules.superior_years,
                        "cutoff": cx.superior_cutoff.isoformat(),
                    },
                )
            )
    for template, params in colleagues:
        add_params("former_colleague", template, params, leading=True, member=False)
    for template, params in superiors:
        add_params("former_superior", template, params, leading=True, member=False)

    # Hometown, in village rounds.
    if cx.village_round and rules.village_hometown and inspector.hometown_path:
        home = _norm(inspector.hometown_path)
        if home.startswith(tx.path):
            add(
                "hometown",
                gettext_noop("hometown %(home)s is in %(target)s"),
                home=org_by_path(inspector.hometown_path),
                target=target.name,
            )
        elif tx.hometown_township and home.startswith(tx.hometown_township):
            add(
                "hometown",
                gettext_noop("hometown %(home)s is in the township of %(target)s"),
                home=org_by_path(inspector.hometown_path),
                target=target.name,
            )

    # Home county or township, in cross rounds.
    if cx.cross_round:
        if (
            cx.cross_level == "county"
            and inspector.home_county_path
            and _norm(inspector.home_county_path) == tx.county
        ):
            add(
                "home_county",
                gettext_noop("cross round: home county %(home)s is the county of %(target)s"),
                home=org_by_path(inspector.home_county_path),
                target=target.name,
            )
        if (
            cx.cross_level == "township"
            and inspector.home_township_path
            and tx.cross_township
            and _norm(inspector.home_township_path) == tx.cross_township
        ):
            add(
                "home_county",
                gettext_noop("cross round: home township %(home)s is the township of %(target)s"),
                home=org_by_path(inspector.home_township_path),
                target=target.name,
            )

    # Rotation of leaders (三个不固定).
    if rules.rotation:
        for org_id, led_as in sorted(set(inspector.led_targets)):
            if org_id == target.org_id and led_as in LEADING_ROLES:
                add(
                    "rotation",
                    gettext_noop(
                        "was %(role)s of an earlier round at %(target)s; leaders do not return "
                        "to the same target"
                    ),
                    member=False,
                    role=led_as,
                    target=target.name,
                )

    for org_id, reason in inspector.declared_conflicts:
        if org_id == target.org_id:
            # The rule's name says who declared it; the evidence names the target (a team
            # may inspect several) and the reason given, as a target's request does.
            add(
                "declared",
                gettext_noop("%(target)s: “%(reason)s”"),
                target=target.name,
                reason=reason,
            )
    for org_id, reason in inspector.requested_by_target:
        if org_id == target.org_id:
            add(
                "requested",
                gettext_noop("%(target)s: “%(reason)s”"),
                target=target.name,
                reason=reason,
            )
    return out


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {ROLES}")


def conflicts(
    inspector: Inspector,
    target: TargetInfo,
    *,
    role: str,
    today: date,
    rules: RecusalRules = DEFAULT_RULES,
    cross_round: bool = False,
    village_round: bool = False,
    cross_level: CrossLevel = "county",
    org_names: Mapping[int, str] | None = None,
    person_names: Mapping[int, str] | None = None,
) -> list[Conflict]:
    """The recusal conflicts of ``inspector`` serving as ``role`` at ``target``.

    ``role`` is "leader", "deputy" or "member". ``cross_level`` says which home place a cross
    round compares ("county" or "township"). ``org_names`` (org_id -> name) makes the
    evidence name organisations; without it they appear as "org #id" (and a home place as
    its path). ``person_names`` names the target's people (relatives, leaders); without it
    they appear as "#id".
    """
    _check_role(role)
    cx = _context(today, rules, cross_round, cross_level, village_round, org_names, person_names)
    tagged = _evaluate(inspector, _index_target(target, today), cx)
    leading = role in LEADING_ROLES
    return [t.conflict for t in tagged if (t.leading if leading else t.member)]


def conflict_matrix(
    inspectors: Sequence[Inspector],
    targets: Sequence[TargetInfo],
    *,
    today: date,
    rules: RecusalRules = DEFAULT_RULES,
    cross_round: bool = False,
    village_round: bool = False,
    cross_level: CrossLevel = "county",
    org_names: Mapping[int, str] | None = None,
    person_names: Mapping[int, str] | None = None,
) -> dict[tuple[int, int, str], list[Conflict]]:
    """``conflicts`` for every inspector, target and role, keyed (person_id, target_id, role).

    Only non-empty entries are returned. Rather than evaluating every pair, each inspector's
    facts (posts, relatives, home places, earlier rounds, declarations) are looked up in
    indexes over the targets, and only the targets they touch are evaluated in full.
    """
    cx = _context(today, rules, cross_round, cross_level, village_round, org_names, person_names)
    _require_unique("target org_id", (t.org_id for t in targets))
    _require_unique("inspector person_id", (i.person_id for i in inspectors))
    indexes = [_index_target(t, today) for t in targets]

    by_path: defaultdict[str, list[int]] = defaultdict(list)
    by_township: defaultdict[str, list[int]] = defaultdict(list)
    by_county: defaultdict[str, list[int]] = defaultdict(list)
    by_cross_township: defaultdict[str, list[int]] = defaultdict(list)
    by_org_id: defaultdict[int, list[int]] = defaultdict(list)
    by_person: defaultdict[int, list[int]] = defaultdict(list)
    by_leader_org: defaultdict[int, list[int]] = defaultdict(list)
    for i, tx in enumerate(indexes):
        by_path[tx.path].append(i)
        if tx.hometown_township:
            by_township[tx.hometown_township].append(i)
        by_county[tx.county].append(i)
        if tx.cross_township:
            by_cross_township[tx.cross_township].append(i)
        by_org_id[tx.target.org_id].append(i)
        for person_id in tx.current_posts:
            by_person[person_id].append(i)
        for org_id in tx.leader_posts_by_org:
            by_leader_org[org_id].append(i)

    result: dict[tuple[int, int, str], list[Conflict]] = {}
    for inspector in inspectors:
        touched: set[int] = set()
        for post in inspector.posts:
            for prefix in _prefixes(post.org_path):
                touched.update(by_path.get(prefix, ()))
            touched.update(by_leader_org.get(post.org_id, ()))
        for rel in inspector.relatives:
            touched.update(by_person.get(rel.person_id, ()))
        if village_round and rules.village_hometown and inspector.hometown_path:
            for prefix in _prefixes(inspector.hometown_path):
                touched.update(by_path.get(prefix, ()))
                touched.update(by_township.get(prefix, ()))
        if cross_round and inspector.home_county_path:
            touched.update(by_county.get(_norm(inspector.home_county_path), ()))
        if cross_round and inspector.home_township_path:
            touched.update(by_cross_township.get(_norm(inspector.home_township_path), ()))
        for org_id, _ in (
            *inspector.led_targets,
            *inspector.declared_conflicts,
            *inspector.requested_by_target,
        ):
            touched.update(by_org_id.get(org_id, ()))

        for i in sorted(touched):
            tagged = _evaluate(inspector, indexes[i], cx)
            target_id = indexes[i].target.org_id
            leading = [t.conflict for t in tagged if t.leading]
            member = [t.conflict for t in tagged if t.member]
            if leading:
                result[(inspector.person_id, target_id, "leader")] = leading
                result[(inspector.person_id, target_id, "deputy")] = list(leading)
            if member:
                result[(inspector.person_id, target_id, "member")] = member
    return result


def _require_unique(what: str, ids: Iterable[int]) -> None:
    # Duplicates would silently overwrite each other's matrix entries.
    seen: set[int] = set()
    for value in ids:
        if value in seen:
            raise ValueError(f"duplicate {what} {value}")
        seen.add(value)
