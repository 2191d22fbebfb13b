"""Who a team talks to during stationing (pure; no Django).

The app builds plain records from its models (the target's people and posts, its major
projects, the reports, clues and talk requests of the round, the recusal evidence of the
talent app); this module turns them into the lists the team works from (DOMAIN.md, "Teams,
people and rules": always the leadership team, leaders retired in recent years, insiders
of major projects and holders of key posts, then a wider sample, and the people the
public asks to meet).

``must_interview`` applies one rule per reason and merges them per person; every entry
says why it is there, one ``Text`` per rule:

* main_leader and leadership: the current leadership team (a main leader carries both);
* retired_leader: a leadership post that ended within ``retired_within_years`` (default
  3): on or after the same calendar day that many years before ``today`` (29 February
  falls back to 28), as in the recusal rules;
* project: a participant of one of the target's major projects (current or former staff:
  an insider who has left still knows what happened);
* key_post: a current holder of a key post whose kind is in ``key_posts`` (the office's
  list, default finance, procurement, personnel, project management);
* named_in_report, named_in_clue: a person named in a public report or a clue of the
  round; talk_request: a person who asked for a talk through the public channel. A
  mention without a person id is matched by exact name to a unique person of the target;
  otherwise it stays an entry with a name only, for the team to resolve.

Order: the main leader, then the leadership team, then the others by their first rule
(retired leaders, key posts, project insiders, people named, talk requests), then by
department and registry order; unresolved names come last.

``sample_staff`` draws the wider sample of ordinary staff (current, not in the leadership
team, not excluded), stratified by department: the size is shared out in proportion to
the departments' sizes by largest remainder, then, when the size allows, a department
left with none takes one from the department most above its exact share. Within each
department people are drawn with ``random.Random(seed)`` over the registry order by id,
so the recorded seed reproduces the sample.

``interviewer_conflicts`` keeps apart an interviewer and an interviewee with recusal
evidence between them (relative, former superior or subordinate, long-time colleague),
and names the interviewees left with fewer than the two interviewers a talk needs.

``suggest_from_record`` finds registry names in the text of an interview record that are
not on the list yet. Matching is exact, on names of two characters or more; an occurrence
inside a longer name found at the same place is not counted (王明 inside 王明华), and a
Latin-script name must stand as a word.
"""

from __future__ import annotations

import random
import re
import secrets
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from xuncha.core.lib.text import Text, gettext_noop

TARGET_KINDS: tuple[str, ...] = ("county_unit", "township", "village", "community")
VILLAGE_KINDS: frozenset[str] = frozenset({"village", "community"})

KEY_POST_KINDS: tuple[str, ...] = ("finance", "procurement", "personnel", "project_management")
DEFAULT_KEY_POSTS: frozenset[str] = frozenset(KEY_POST_KINDS)

SOURCE_REPORT = "report"
SOURCE_CLUE = "clue"
SOURCE_TALK_REQUEST = "talk_request"
SOURCE_KINDS: tuple[str, ...] = (SOURCE_REPORT, SOURCE_CLUE, SOURCE_TALK_REQUEST)

# Rules of the must-interview list, in the order an entry's reasons are listed.
RULE_MAIN_LEADER = "main_leader"
RULE_LEADERSHIP = "leadership"
RULE_RETIRED_LEADER = "retired_leader"
RULE_KEY_POST = "key_post"
RULE_PROJECT = "project"
RULE_NAMED_IN_REPORT = "named_in_report"
RULE_NAMED_IN_CLUE = "named_in_clue"
RULE_TALK_REQUEST = "talk_request"
RULES: tuple[str, ...] = (
    RULE_MAIN_LEADER,
    RULE_LEADERSHIP,
    RULE_RETIRED_LEADER,
    RULE_KEY_POST,
    RULE_PROJECT,
    RULE_NAMED_IN_REPORT,
    RULE_NAMED_IN_CLUE,
    RULE_TALK_REQUEST,
)
_SOURCE_RULE = {
    SOURCE_REPORT: RULE_NAMED_IN_REPORT,
    SOURCE_CLUE: RULE_NAMED_IN_CLUE,
    SOURCE_TALK_REQUEST: RULE_TALK_REQUEST,
}

# Recusal evidence that keeps an interviewer from an interviewee (talent.lib.recusal codes).
CONFLICT_RULES: tuple[str, ...] = (
    "relative",
    "former_superior",
    "former_subordinate",
    "former_colleague",
)
TALK_INTERVIEWERS = 2  # talks are two-to-one: one asks, one records

# Interviewee roles, shared with the question bank.
ROLE_MAIN_LEADER = "main_leader"
ROLE_LEADERSHIP_MEMBER = "leadership_member"
ROLE_MIDDLE_MANAGER = "middle_manager"
ROLE_STAFF = "staff"
ROLE_RETIRED_LEADER = "retired_leader"
ROLE_PROJECT_PARTICIPANT = "project_participant"
ROLE_PUBLIC = "public"
ROLES: tuple[str, ...] = (
    ROLE_MAIN_LEADER,
    ROLE_LEADERSHIP_MEMBER,
    ROLE_MIDDLE_MANAGER,
    ROLE_STAFF,
    ROLE_RETIRED_LEADER,
    ROLE_PROJECT_PARTICIPANT,
    ROLE_PUBLIC,
)

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")
_LATIN = re.compile(r"[A-Za-z0-9]")


# -- data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    unit_id: int
    department: str
    post: str
    is_leadership: bool = False
    is_main_leader: bool = False
    post_ended: date | None = None  # None = current; a leader's end date is their retirement
    key_post_kind: str | None = None  # one of KEY_POST_KINDS (or an office's own kind)

    def current(self, today: date | None = None) -> bool:
        if self.post_ended is None:
            return True
        return today is not None and self.post_ended > today


@dataclass(frozen=True)
class Project:
    """A major project of the target and the people who took part in it."""

    id: int
    name: str
    participant_ids: tuple[int, ...]


@dataclass(frozen=True)
class Mention:
    """A person named in a report or a clue, or asking for a talk (``source_kind``)."""

    source_kind: str  # one of SOURCE_KINDS
    source_label: str  # e.g. "举报 2026-031", "线索 X-4", "约谈 #12"
    person_id: int | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if self.source_kind not in SOURCE_KINDS:
            raise ValueError(f"unknown source kind {self.source_kind!r}")
        if self.person_id is None and not self.name.strip():
            raise ValueError("a mention needs a person id or a name")


@dataclass(frozen=True)
class Target:
    unit_id: int
    name: str
    kind: str  # one of TARGET_KINDS
    people: tuple[Person, ...]
    projects: tuple[Project, ...] = ()
    mentions: tuple[Mention, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in TARGET_KINDS:
            raise ValueError(f"unknown target kind {self.kind!r}")
        ids = [p.id for p in self.people]
        if len(ids) != len(set(ids)):
            raise ValueError("a person appears twice in the target's people")


@dataclass(frozen=True)
class Entry:
    """One person on the must-interview list; ``person`` is None for an unresolved name."""

    name: str
    person: Person | None
    rules: tuple[str, ...]  # codes from RULES, one per reason
    reasons: tuple[Text, ...]
    person_id: int | None = None  # also set for a mention of someone outside the target

    @property
    def role(self) -> str:
        """The interviewee role the question bank knows this entry by (a first guess the
        team may change; middle managers are not told apart from staff here)."""
        if RULE_MAIN_LEADER in self.rules:
            return ROLE_MAIN_LEADER
        if RULE_LEADERSHIP in self.rules:
            return ROLE_LEADERSHIP_MEMBER
        if RULE_RETIRED_LEADER in self.rules:
            return ROLE_RETIRED_LEADER
        if RULE_PROJECT in self.rules:
            return ROLE_PROJECT_PARTICIPANT
        if self.person is None:
            return ROLE_PUBLIC
        return ROLE_STAFF


@dataclass(frozen=True)
class SampleEntry:
    person: Person
    reason: Text


@dataclass(frozen=True)
class Stratum:
    department: str
    pool: int  # ordinary staff available in the department
    drawn: int


@dataclass(frozen=True)
class Sample:
    seed: int
    entries: tuple[SampleEntry, ...]
    strata: tuple[Stratum, ...] = ()

    @property
    def person_ids(self) -> tuple[int, ...]:
        return tuple(e.person.id for e in self.entries)


@dataclass(frozen=True)
class PairEvidence:
    """Recusal evidence between an interviewer and an interviewee (computed elsewhere)."""

    interviewer_id: int
    interviewee_id: int
    rule: str  # one of CONFLICT_RULES
    evidence: Text  # the facts, e.g. "spouse of %(name)s"

    def __post_init__(self) -> None:
        # A misspelt rule would still exclude the pair, but would be shown wrongly.
        if self.rule not in CONFLICT_RULES:
            raise ValueError(f"unknown conflict rule {self.rule!r}")


@dataclass(frozen=True)
class ExcludedPair:
    interviewer_id: int
    interviewee_id: int
    rules: tuple[str, ...]
    evidence: tuple[Text, ...]  # one sentence per piece of evidence, naming both people


@dataclass(frozen=True)
class ConflictCheck:
    allowed: tuple[tuple[int, int], ...]  # (interviewer_id, interviewee_id)
    excluded: tuple[ExcludedPair, ...]
    # Interviewees with fewer than TALK_INTERVIEWERS interviewers left, with a sentence.
    short: tuple[tuple[int, Text], ...] = ()


@dataclass(frozen=True)
class Suggestion:
    name: str
    sentence: str  # the first sentence of the record that names them
    count: int  # occurrences in the record
    reason: Text


# -- the must-interview list ----------------------------------------------------------------


def years_back(today: date, years: int) -> date:
    """The same calendar day ``years`` earlier (29 February falls back to 28)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def must_interview(
    target: Target,
    today: date,
    *,
    retired_within_years: int = 3,
    key_posts: Collection[str] = DEFAULT_KEY_POSTS,
) -> list[Entry]:
    """The people the team must talk to, each with the reasons that put them there."""
    if retired_within_years < 0:
        raise ValueError("retired_within_years must not be negative")
    since = years_back(today, retired_within_years)
    found: dict[int, list[tuple[str, Text]]] = defaultdict(list)
    by_id = {p.id: p for p in target.people}

    for p in target.people:
        if p.current(today):
            if p.is_main_leader:
                found[p.id].append(
                    (
                        RULE_MAIN_LEADER,
                        Text(gettext_noop("main leader of %(unit)s"), unit=target.name),
                    )
                )
            if p.is_leadership or p.is_main_leader:
                found[p.id].append(
                    (
                        RULE_LEADERSHIP,
                        Text(gettext_noop("member of the leadership team (%(post)s)"), post=p.post),
                    )
                )
            if p.key_post_kind is not None and p.key_post_kind in key_posts:
                found[p.id].append(
                    (
                        RULE_KEY_POST,
                        Text(
                            gettext_noop("holds a key post: %(key_post)s (%(post)s)"),
                            key_post=p.key_post_kind,
                            post=p.post,
                        ),
                    )
                )
        elif (
            (p.is_leadership or p.is_main_leader)
            and p.post_ended is not None
            and since <= p.post_ended <= today
        ):
            found[p.id].append(
                (
                    RULE_RETIRED_LEADER,
                    Text(
                        gettext_noop(
                            "left the leadership team on %(date)s, within %(years)s years"
                            " (%(post)s)"
                        ),
                        date=p.post_ended.isoformat(),
                        years=retired_within_years,
                        post=p.post,
                    ),
                )
            )

    for project in target.projects:
        for pid in dict.fromkeys(project.participant_ids):
            if pid not in by_id:
                raise ValueError(f"project {project.name!r} names unknown person #{pid}")
            found[pid].append(
                (
                    RULE_PROJECT,
                    Text(
                        gettext_noop("took part in the major project %(project)s"),
                        project=project.name,
                    ),
                )
            )

    by_name: dict[str, list[Person]] = defaultdict(list)
    for p in target.people:
        by_name[p.name].append(p)
    outsiders: dict[tuple[int | None, str], list[tuple[str, Text]]] = {}
    for m in target.mentions:
        rule = _SOURCE_RULE[m.source_kind]
        reason = _mention_reason(m)
        who = m.person_id
        if who is None and len(by_name.get(m.name.strip(), ())) == 1:
            who = by_name[m.name.strip()][0].id
        if who is not None and who in by_id:
            found[who].append((rule, reason))
        else:
            key = (who, "" if who is not None else m.name.strip())
            outsiders.setdefault(key, []).append((rule, reason))

    order = {p.id: i for i, p in enumerate(target.people)}
    entries = [_entry(by_id[pid].name, by_id[pid], pid, tagged) for pid, tagged in found.items()]
    entries.sort(key=lambda e: _rank(e, order))
    for (who, name), tagged in outsiders.items():
        shown = name or next((m.name for m in target.mentions if m.person_id == who), "")
        entries.append(_entry(shown or f"#{who}", None, who, tagged))
    return entries


def _mention_reason(m: Mention) -> Text:
    if m.source_kind == SOURCE_REPORT:
        return Text(gettext_noop("named in the public report %(source)s"), source=m.source_label)
    if m.source_kind == SOURCE_CLUE:
        return Text(gettext_noop("named in the clue %(source)s"), source=m.source_label)
    return Text(
        gettext_noop("asked for a talk through the public channel (%(source)s)"),
        source=m.source_label,
    )


def _entry(
    name: str, person: Person | None, pid: int | None, tagged: list[tuple[str, Text]]
) -> Entry:
    unique = list(dict.fromkeys(tagged))  # the same rule and reason twice is said once
    unique.sort(key=lambda rt: RULES.index(rt[0]))  # stable: sources keep their order
    return Entry(
        name=name,
        person=person,
        rules=tuple(r for r, _ in unique),
        reasons=tuple(t for _, t in unique),
        person_id=pid,
    )


def _rank(e: Entry, order: Mapping[int, int]) -> tuple[int, str, int]:
    # Called on resolved entries only; the main leader's first rule is main_leader, a
    # leader's is leadership, so the first rule orders every group.
    group = RULES.index(e.rules[0])
    department = e.person.department if e.person is not None and group > 1 else ""
    return (group, department, order.get(e.person_id or 0, 0))


# -- the wider sample -----------------------------------------------------------------------


def new_seed() -> int:
    """A fresh seed to record with a sample (the draw itself need not be secret)."""
    return secrets.randbits(32)


def sample_staff(
    target: Target,
    excluded_ids: Iterable[int],
    size: int,
    seed: int,
    *,
    today: date | None = None,
) -> Sample:
    """A random sample of ``size`` ordinary staff, stratified by department.

    Ordinary staff are current (``post_ended`` None, or after ``today`` when given), not in
    the leadership team and not in ``excluded_ids`` (pass the must-interview list). The same
    target, exclusions, size and seed give the same sample.
    """
    if size < 0:
        raise ValueError("size must not be negative")
    excluded = set(excluded_ids)
    pool: dict[str, list[Person]] = defaultdict(list)
    for p in sorted(target.people, key=lambda p: p.id):
        if p.id in excluded or p.is_leadership or p.is_main_leader or not p.current(today):
            continue
        pool[p.department].append(p)
    departments = sorted(pool)
    counts = {d: len(pool[d]) for d in departments}
    allocation = allocate(counts, size)
    # A generator seeded with a number, for a draw anyone can repeat; not a secret.
    rng = random.Random(seed)  # noqa: S311
    entries: list[SampleEntry] = []
    for d in departments:
        k = allocation[d]
        chosen = sorted(rng.sample(pool[d], k), key=lambda p: p.id)
        reason = Text(
            gettext_noop(
                "drawn at random from %(department)s (%(drawn)s of %(pool)s, seed %(seed)s)"
            ),
            department=d,
            drawn=k,
            pool=counts[d],
            seed=seed,
        )
        entries.extend(SampleEntry(p, reason) for p in chosen)
    strata = tuple(Stratum(d, counts[d], allocation[d]) for d in departments)
    return Sample(seed=seed, entries=tuple(entries), strata=strata)


def allocate(counts: Mapping[str, int], size: int) -> dict[str, int]:
    """Share ``size`` over strata in proportion to ``counts`` (largest remainder), giving
    each stratum at least one when ``size`` allows; never more than a stratum holds."""
    total = sum(counts.values())
    if size >= total:
        return dict(counts)
    names = sorted(counts)
    quota = {d: Fraction(size * counts[d], total) for d in names}
    alloc = {d: int(quota[d]) for d in names}
    left = size - sum(alloc.values())
    by_remainder = sorted(names, key=lambda d: (-(quota[d] - alloc[d]), -counts[d], d))
    for d in by_remainder[:left]:
        alloc[d] += 1
    nonempty = [d for d in names if counts[d] > 0]
    if size >= len(nonempty):
        for d in nonempty:
            if alloc[d] > 0:
                continue
            # Take one from the stratum most above its exact share that can spare it.
            donor = max(
                (x for x in names if alloc[x] > 1),
                key=lambda x: (alloc[x] - quota[x], counts[x], x),
            )
            alloc[donor] -= 1
            alloc[d] = 1
    return alloc


# -- interviewer conflicts ------------------------------------------------------------------


def interviewer_conflicts(
    pairs_evidence: Iterable[PairEvidence],
    interviewers: Mapping[int, str],
    interviewees: Mapping[int, str],
) -> ConflictCheck:
    """Every (interviewer, interviewee) pair, allowed or excluded with its evidence.

    ``interviewers`` and ``interviewees`` map ids to names, in the order to list them.
    Evidence about people not in either mapping is ignored.
    """
    evidence: dict[tuple[int, int], list[PairEvidence]] = defaultdict(list)
    for ev in pairs_evidence:
        if ev.interviewer_id in interviewers and ev.interviewee_id in interviewees:
            evidence[ev.interviewer_id, ev.interviewee_id].append(ev)
    allowed: list[tuple[int, int]] = []
    excluded: list[ExcludedPair] = []
    short: list[tuple[int, Text]] = []
    for ee in interviewees:
        free = 0
        for er in interviewers:
            found = evidence.get((er, ee))
            if not found:
                allowed.append((er, ee))
                free += 1
                continue
            excluded.append(
                ExcludedPair(
                    interviewer_id=er,
                    interviewee_id=ee,
                    rules=tuple(ev.rule for ev in found),
                    evidence=tuple(
                        Text(
                            gettext_noop(
                                "%(interviewer)s may not interview %(interviewee)s"
                                " (%(rule)s): %(evidence)s"
                            ),
                            interviewer=interviewers[er],
                            interviewee=interviewees[ee],
                            rule=ev.rule,
                            evidence=ev.evidence,
                        )
                        for ev in found
                    ),
                )
            )
        if free < TALK_INTERVIEWERS:
            short.append(
                (
                    ee,
                    Text(
                        gettext_noop(
                            "only %(free)s interviewers may talk to %(interviewee)s;"
                            " a talk needs %(needed)s"
                        ),
                        free=free,
                        interviewee=interviewees[ee],
                        needed=TALK_INTERVIEWERS,
                    ),
                )
            )
    return ConflictCheck(tuple(allowed), tuple(excluded), tuple(short))


# -- names in interview records -------------------------------------------------------------


def suggest_from_record(
    text: str, known_names: Iterable[str], person_names: Iterable[str]
) -> list[Suggestion]:
    """Registry names found in ``text`` that are not on the list (``known_names``), in the
    order they first appear, each with the sentence it first appears in."""
    known = {n.strip() for n in known_names if n.strip()}
    names = {n.strip() for n in person_names if len(n.strip()) >= 2} | {
        n for n in known if len(n) >= 2
    }
    # Every occurrence of every name, then drop those inside a longer one found there.
    spans: list[tuple[int, int, str]] = []
    for name in names:
        start = text.find(name)
        while start >= 0:
            end = start + len(name)
            if _stands_alone(text, start, end, name):
                spans.append((start, end, name))
            start = text.find(name, start + 1)
    kept = [
        s
        for s in spans
        if not any(o[0] <= s[0] and s[1] <= o[1] and o[1] - o[0] > s[1] - s[0] for o in spans)
    ]
    kept.sort()
    sentences = _sentences(text)
    first: dict[str, int] = {}
    count: dict[str, int] = defaultdict(int)
    for start, _, name in kept:
        first.setdefault(name, start)
        count[name] += 1
    out = []
    for name, start in sorted(first.items(), key=lambda kv: kv[1]):
        if name in known:
            continue
        sentence = next(s for a, b, s in sentences if a <= start < b)
        out.append(
            Suggestion(
                name=name,
                sentence=sentence,
                count=count[name],
                reason=Text(
                    gettext_noop(
                        "%(name)s is mentioned in the interview record and is not on the"
                        " list: “%(sentence)s”"
                    ),
                    name=name,
                    sentence=sentence,
                ),
            )
        )
    return out


def _stands_alone(text: str, start: int, end: int, name: str) -> bool:
    """A Latin-script name must not be part of a longer word ("Li" in "Lin")."""
    if not _LATIN.match(name[0]) and not _LATIN.match(name[-1]):
        return True
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    if _LATIN.match(name[0]) and before and _LATIN.match(before):
        return False
    return not (_LATIN.match(name[-1]) and after and _LATIN.match(after))


def _sentences(text: str) -> list[tuple[int, int, str]]:
    out = []
    at = 0
    for part in _SENTENCE_END.split(text):
        if part:
            out.append((at, at + len(part), part.strip()))
        at += len(part)
    return out


def person_ids(entries: Sequence[Entry]) -> set[int]:
    """The ids of the people on a list (to exclude them from the sample)."""
    return {e.person.id for e in entries if e.person is not None}
