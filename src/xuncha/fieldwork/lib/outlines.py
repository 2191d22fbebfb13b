"""Talk outlines (谈话提纲) built from the question bank and the round's open items (pure;
no Django).

``generate`` builds one interviewee's outline in two parts:

* sections by focus area, in the order of ``focus_areas``: the bank's questions for the
  interviewee's role that suit the target's profile (a question suits when one of its
  profile tags is ``any`` or among the profile's tags; a village adds ``village``, a county
  unit or township ``unit``, a target with major projects ``major_projects``), each once,
  in bank order;
* questions from the open problems and clues that concern the interviewee: their person id
  is among the item's people, or their department among its departments; an item naming
  neither people nor departments is unit-wide and concerns the main leader and the
  leadership members. Each item gives two questions from the templates of its kind and of
  how it concerns the person (named, or through their department or office), and each
  question keeps the item's id and label so the team sees where it comes from. Clue
  summaries are not put into questions: the outline is read aloud, a clue is confidential.

Every question has a stable key: ``bank:<question id>`` or ``item:<kind>:<item id>:<template
code>``. ``diff`` compares two outlines of one interviewee by these keys, so when a clue or
problem is recorded the app regenerates the outlines of the talks not yet held and shows the
team what was added, removed, or reworded (same key, other text). Outlines are stored as
JSON (``to_json`` / ``from_json``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from xuncha.core.lib.text import Text, gettext_noop
from xuncha.fieldwork.lib.interviewees import (
    ROLE_LEADERSHIP_MEMBER,
    ROLE_MAIN_LEADER,
    ROLES,
    VILLAGE_KINDS,
    Person,
)
from xuncha.fieldwork.lib.question_bank import (
    ANY,
    COUNTY_FOCUS_AREAS,
    MAJOR_PROJECTS,
    UNIT,
    VILLAGE,
    VILLAGE_FOCUS_AREAS,
    Question,
)

ITEM_PROBLEM = "problem"
ITEM_CLUE = "clue"
ITEM_KINDS: tuple[str, ...] = (ITEM_PROBLEM, ITEM_CLUE)

# How an item concerns the interviewee.
CONCERN_NAMED = "named"  # their person id is among the item's people
CONCERN_DEPARTMENT = "department"  # their department is among the item's departments
CONCERN_UNIT = "unit"  # a unit-wide item, asked of the leadership

SOURCE_BANK = "bank"
SOURCE_ITEM = "item"

JSON_VERSION = 1

# (item kind, concern) -> ((template code, zh, en), ...); {label} is the item's label.
ITEM_TEMPLATES: dict[tuple[str, str], tuple[tuple[str, str, str], ...]] = {
    (ITEM_CLUE, CONCERN_NAMED): (
        (
            "facts",
            "关于“{label}”所涉及的事项，请您谈谈事情的经过，以及您本人在其中的职责和所起的作用。",
            "About the matter of '{label}', please describe how it came about, and your own "
            "duties and part in it.",
        ),
        (
            "evidence",
            "围绕“{label}”，当时有哪些会议记录、审批单据或者经手人可以说明情况？",
            "Concerning '{label}', what minutes, approval papers or people involved can show "
            "what happened?",
        ),
    ),
    (ITEM_CLUE, CONCERN_DEPARTMENT): (
        (
            "facts",
            "关于“{label}”反映的情况，您了解哪些具体事实？请讲时间、经过和涉及的人。",
            "About what '{label}' reports, what concrete facts do you know? Please give the "
            "time, the course of events and the people involved.",
        ),
        (
            "evidence",
            "关于“{label}”，还有谁了解情况？有哪些材料可以印证？",
            "About '{label}', who else knows? What documents can confirm it?",
        ),
    ),
    (ITEM_CLUE, CONCERN_UNIT): (
        (
            "facts",
            "关于“{label}”这类情况，单位掌握了哪些事实？班子是怎么了解和处理的？",
            "About matters like '{label}', what facts does the unit know, and how did the "
            "leadership learn of and handle them?",
        ),
        (
            "evidence",
            "关于“{label}”，请说明有关的制度规定、审批过程和经办人员。",
            "About '{label}', please set out the rules, the approval process and the staff who "
            "handled it.",
        ),
    ),
    (ITEM_PROBLEM, CONCERN_NAMED): (
        (
            "facts",
            "巡察中发现“{label}”的问题，您作为经办或分管人员，请谈谈具体情况和形成原因。",
            "The inspection found the problem '{label}'. As the person who handled or oversaw "
            "it, please describe what happened and why.",
        ),
        (
            "remedy",
            "针对“{label}”，您认为应当怎么整改？目前已经做了什么？",
            "What should be done to rectify '{label}', and what has been done so far?",
        ),
    ),
    (ITEM_PROBLEM, CONCERN_DEPARTMENT): (
        (
            "facts",
            "关于“{label}”的问题，您在工作中看到过哪些具体表现？请举例说明。",
            "About the problem '{label}', what concrete signs of it have you seen in your "
            "work? Please give examples.",
        ),
        (
            "cause",
            "您认为“{label}”的问题是怎么形成的？在制度或管理上有哪些漏洞？",
            "How do you think the problem '{label}' arose? What gaps in rules or management "
            "allowed it?",
        ),
    ),
    (ITEM_PROBLEM, CONCERN_UNIT): (
        (
            "facts",
            "对“{label}”的问题，班子是否掌握？是否研究过，采取了哪些措施？",
            "Does the leadership know of the problem '{label}'? Has it discussed it, and what "
            "measures did it take?",
        ),
        (
            "cause",
            "“{label}”的问题，责任在哪些环节、哪些岗位？您打算怎么整改？",
            "For the problem '{label}', at which steps and posts does responsibility lie? How "
            "do you intend to rectify it?",
        ),
    ),
}


# -- data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    kind: str  # "county_unit" | "township" | "village" | "community"
    has_major_projects: bool = False
    tags: frozenset[str] = frozenset()  # the office's own, e.g. {"funds"}

    def all_tags(self) -> frozenset[str]:
        found = {ANY, *self.tags}
        found.add(VILLAGE if self.kind in VILLAGE_KINDS else UNIT)
        if self.has_major_projects:
            found.add(MAJOR_PROJECTS)
        return frozenset(found)


@dataclass(frozen=True)
class OpenItem:
    """An open problem or clue of the round."""

    id: int
    label: str  # short, shown in questions, e.g. "食堂采购价格明显偏高"
    kind: str  # one of ITEM_KINDS
    summary: str = ""  # for the team; never put into a question
    focus_areas: tuple[str, ...] = ()  # where its questions go; the first one counts
    person_ids: frozenset[int] = frozenset()
    departments: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.kind not in ITEM_KINDS:
            raise ValueError(f"unknown item kind {self.kind!r}")


@dataclass(frozen=True)
class OutlineQuestion:
    key: str  # stable: "bank:<id>" or "item:<kind>:<item id>:<template code>"
    focus_area: str | None  # None for an item without a focus area
    text_zh: str
    text_en: str
    source: str  # SOURCE_BANK | SOURCE_ITEM
    item_id: int | None = None
    item_kind: str | None = None
    item_label: str | None = None
    concern: str | None = None  # for item questions: CONCERN_*

    def origin(self) -> Text:
        """Where the question comes from, for the team."""
        if self.source == SOURCE_BANK:
            return Text(gettext_noop("question bank %(question)s"), question=self.key[5:])
        if self.item_kind == ITEM_CLUE:
            return Text(
                gettext_noop("from clue #%(item)s %(label)s"),
                item=self.item_id,
                label=self.item_label,
            )
        return Text(
            gettext_noop("from problem #%(item)s %(label)s"),
            item=self.item_id,
            label=self.item_label,
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key": self.key,
            "area": self.focus_area,
            "zh": self.text_zh,
            "en": self.text_en,
            "source": self.source,
        }
        if self.source == SOURCE_ITEM:
            data |= {
                "item": self.item_id,
                "kind": self.item_kind,
                "label": self.item_label,
                "concern": self.concern,
            }
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OutlineQuestion:
        return cls(
            key=data["key"],
            focus_area=data["area"],
            text_zh=data["zh"],
            text_en=data["en"],
            source=data["source"],
            item_id=data.get("item"),
            item_kind=data.get("kind"),
            item_label=data.get("label"),
            concern=data.get("concern"),
        )


@dataclass(frozen=True)
class Section:
    focus_area: str
    questions: tuple[OutlineQuestion, ...]


@dataclass(frozen=True)
class Outline:
    person_id: int | None  # None for a member of the public without a registry record
    role: str
    profile_kind: str
    sections: tuple[Section, ...]  # bank questions by focus area
    from_items: tuple[OutlineQuestion, ...]  # questions from open problems and clues

    def questions(self) -> tuple[OutlineQuestion, ...]:
        return tuple(q for s in self.sections for q in s.questions) + self.from_items

    def to_json(self) -> dict[str, Any]:
        return {
            "version": JSON_VERSION,
            "person": self.person_id,
            "role": self.role,
            "profile": self.profile_kind,
            "sections": [
                {"area": s.focus_area, "questions": [q.to_json() for q in s.questions]}
                for s in self.sections
            ],
            "items": [q.to_json() for q in self.from_items],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outline:
        if data.get("version") != JSON_VERSION:
            raise ValueError(f"unknown outline version {data.get('version')!r}")
        return cls(
            person_id=data["person"],
            role=data["role"],
            profile_kind=data["profile"],
            sections=tuple(
                Section(s["area"], tuple(OutlineQuestion.from_json(q) for q in s["questions"]))
                for s in data["sections"]
            ),
            from_items=tuple(OutlineQuestion.from_json(q) for q in data["items"]),
        )


@dataclass(frozen=True)
class Changes:
    added: tuple[OutlineQuestion, ...]
    removed: tuple[OutlineQuestion, ...]
    reworded: tuple[OutlineQuestion, ...] = ()  # same key, new text (the new question)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.reworded)

    def summary(self) -> tuple[Text, ...]:
        """One sentence per change, for the team."""
        out = [
            Text(
                gettext_noop("added: %(question)s (%(origin)s)"),
                question=q.text_zh,
                origin=q.origin(),
            )
            for q in self.added
        ]
        out += [
            Text(
                gettext_noop("removed: %(question)s (%(origin)s)"),
                question=q.text_zh,
                origin=q.origin(),
            )
            for q in self.removed
        ]
        out += [
            Text(
                gettext_noop("reworded: %(question)s (%(origin)s)"),
                question=q.text_zh,
                origin=q.origin(),
            )
            for q in self.reworded
        ]
        return tuple(out)


# -- generation -----------------------------------------------------------------------------


def default_focus_areas(profile: Profile) -> tuple[str, ...]:
    return VILLAGE_FOCUS_AREAS if profile.kind in VILLAGE_KINDS else COUNTY_FOCUS_AREAS


def concern(item: OpenItem, role: str, person: Person | None) -> str | None:
    """How ``item`` concerns the interviewee, or None when it does not."""
    if person is not None and person.id in item.person_ids:
        return CONCERN_NAMED
    if person is not None and person.department and person.department in item.departments:
        return CONCERN_DEPARTMENT
    if (
        not item.person_ids
        and not item.departments
        and role
        in (
            ROLE_MAIN_LEADER,
            ROLE_LEADERSHIP_MEMBER,
        )
    ):
        return CONCERN_UNIT
    return None


def generate(
    bank: Iterable[Question],
    role: str,
    profile: Profile,
    focus_areas: Sequence[str] | None,
    items: Iterable[OpenItem],
    person: Person | None,
) -> Outline:
    """The outline for one interviewee (``person`` None: a member of the public)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    areas = tuple(
        dict.fromkeys(focus_areas if focus_areas is not None else default_focus_areas(profile))
    )
    tags = profile.all_tags()
    by_area: dict[str, dict[str, OutlineQuestion]] = {a: {} for a in areas}
    seen_text: set[str] = set()
    for q in bank:
        if q.focus_area not in by_area or role not in q.roles or not tags.intersection(q.profiles):
            continue
        if q.id in by_area[q.focus_area] or q.text_zh in seen_text:
            continue
        seen_text.add(q.text_zh)
        by_area[q.focus_area][q.id] = OutlineQuestion(
            key=f"bank:{q.id}",
            focus_area=q.focus_area,
            text_zh=q.text_zh,
            text_en=q.text_en,
            source=SOURCE_BANK,
        )
    sections = tuple(Section(a, tuple(by_area[a].values())) for a in areas if by_area[a])

    # Item questions: by the item's focus area in the round's order, then item id.
    rank = {a: i for i, a in enumerate(areas)}
    concerned = []
    for item in items:
        how = concern(item, role, person)
        if how is not None:
            area = item.focus_areas[0] if item.focus_areas else None
            concerned.append((rank.get(area or "", len(rank)), item.kind, item.id, item, how, area))
    concerned.sort(key=lambda c: (c[0], ITEM_KINDS.index(c[1]), c[2]))
    from_items = []
    for _, _, _, item, how, area in concerned:
        for code, zh, en in ITEM_TEMPLATES[item.kind, how]:
            from_items.append(
                OutlineQuestion(
                    key=f"item:{item.kind}:{item.id}:{code}",
                    focus_area=area,
                    text_zh=zh.format(label=item.label),
                    text_en=en.format(label=item.label),
                    source=SOURCE_ITEM,
                    item_id=item.id,
                    item_kind=item.kind,
                    item_label=item.label,
                    concern=how,
                )
            )
    return Outline(
        person_id=person.id if person is not None else None,
        role=role,
        profile_kind=profile.kind,
        sections=sections,
        from_items=tuple(from_items),
    )


def diff(old: Outline, new: Outline) -> Changes:
    """What changed from ``old`` to ``new``, by stable question keys, in ``new``'s order
    (removed ones in ``old``'s)."""
    before = {q.key: q for q in old.questions()}
    after = {q.key: q for q in new.questions()}
    return Changes(
        added=tuple(q for k, q in after.items() if k not in before),
        removed=tuple(q for k, q in before.items() if k not in after),
        reworded=tuple(
            q
            for k, q in after.items()
            if k in before and (before[k].text_zh, before[k].text_en) != (q.text_zh, q.text_en)
        ),
    )
