"""Who a team talks to and what it asks: the must-interview list, the staff sample, the
recusal evidence between interviewers and interviewees, generated outlines and the
office's question bank (issue #7). The algorithms live in ``lib.interviewees``,
``lib.outlines`` and ``lib.question_bank``; this module builds their inputs from the
database and writes their results.

How the database maps to the lib inputs (choices made where the issue leaves room):

* The target's people are everyone with a ``core.Post`` in the target organisation or an
  organisation under it (materialised path). One post speaks for a person: a current one
  before an ended one, then the main-leader post, a leadership post, a key post, the
  latest. ``department`` is the name of the post's organisation when that lies under the
  target, else "" (the unit itself). ``is_leadership`` is ``Post.is_leadership``;
  ``post_ended`` is ``Post.end_date`` (an end date after today still counts as current).
* The main leader: among the current leadership posts *in the target itself* whose title
  contains a main-leader word (``MAIN_LEADER_WORDS``: 书记, 主任, 局长 …) and not 副
  (deputy), the one with the earliest start date (then the lowest id). Words are not
  ranked: a unit where the discipline secretary took office before the Party secretary
  needs a hand correction (the team may change the role).
* Key posts: only posts marked ``Post.is_key_post``; their kind comes from the title's
  keywords (``KEY_POST_WORDS``: 财务/会计/出纳 → finance, 采购/招标 → procurement,
  人事/组织/干部 → personnel, 项目/工程/基建 → project_management); a key post matching
  none is of the kind ``other``, which the office may add to the kinds it asks for.
* Projects: ``rounds.MajorProject`` of the target or an organisation under it, with their
  participants. A participant without a post in the target still counts (an insider who
  came from elsewhere); such people are never drawn for the staff sample.
* Mentions: the subjects (``clues.Subject``) of the round's records at the target, except
  merged, dismissed and restricted ones (a restricted record is read by the leaders only,
  and the list and its reasons are read by the whole team), with the record number as the
  label; and the public channel's talk requests with a proposed or confirmed appointment of
  the team (``Mention(talk_request, report.label, name=report.label)``). The requester's
  identity and the reports' contents are encrypted and never read here, so only clue
  subjects give names. The interviewee for a talk request is the row (team, person None,
  name = report label), the key the scheduling helper uses too.
* Outlines: the bank is the active ``Question`` rows; the profile is the target's kind
  (unit → county unit, township, village, community) and whether it has major projects;
  the focus areas are the round's focus areas mapped to the bank's codes
  (``ROUND_FOCUS_AREAS``) that the bank has questions for, else the lib's defaults for the
  kind. Open items are the round's open records at the target (status new, under review or
  confirmed; restricted ones left out as above), labelled with their title, naming the
  people of their subjects; their focus area comes from the first topic, then the
  discipline, that maps (``TOPIC_AREAS``, ``DISCIPLINE_AREAS``) to one of the outline's
  areas. Items carry no departments (records do not say which department they concern).
* Pair evidence (``pair_evidence``): person ids on both sides (the interviewee's person,
  as the scheduler's ``interviewee_id``); the years come from the talent app's team rules
  of the round's committee (or the nearest committee above, else the defaults).

Hand edits: regenerating the list updates the reasons of rows it made (and of sampled
people who are now a must), keeps rows the team added or that came from interview
records, keeps the role the team chose, and removes a row it made only when that row is
still planned and untouched (no talk, no record, no edit).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from xuncha.core import audit
from xuncha.core.lib.text import Text, gettext_noop
from xuncha.core.models import AuditEventType as E
from xuncha.core.models import Kinship, Organisation, Person, Post, User
from xuncha.fieldwork import common
from xuncha.fieldwork.lib import interviewees as li
from xuncha.fieldwork.lib import outlines as lo
from xuncha.fieldwork.lib import question_bank as qb
from xuncha.fieldwork.models import (
    TALK_GROUPS,
    Interviewee,
    IntervieweeRole,
    Question,
    SampleDraw,
)
from xuncha.rounds.models import Team

MAIN_LEADER_WORDS: tuple[str, ...] = (
    "书记",
    "主任",
    "局长",
    "镇长",
    "乡长",
    "院长",
    "校长",
    "所长",
    "站长",
    "队长",
    "行长",
)
DEPUTY_WORD = "副"
KEY_POST_OTHER = "other"
KEY_POST_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("finance", ("财务", "会计", "出纳")),
    ("procurement", ("采购", "招标")),
    ("personnel", ("人事", "组织", "干部")),
    ("project_management", ("项目", "工程", "基建")),
)
KEY_POST_CHOICES: tuple[str, ...] = (*li.KEY_POST_KINDS, KEY_POST_OTHER)

# Round focus areas (rounds.FocusArea codes) → the question bank's focus areas.
ROUND_FOCUS_AREAS: dict[str, tuple[str, ...]] = {
    "party-line": (qb.PARTY_LINE,),
    "grassroots-corruption": (qb.CORRUPTION,),
    "weak-organisation": (qb.WEAK_PARTY_ORG, qb.VILLAGE_PARTY_ORG),
    "cadre-selection": (qb.CADRE_SELECTION,),
    "three-assets": (qb.THREE_ASSETS,),
    "benefit-policies": (qb.BENEFITS,),
    "elections-clans": (qb.ELECTIONS_CLANS,),
    "organised-crime": (qb.ELECTIONS_CLANS,),
    "eight-rules": (qb.CORRUPTION,),
    "rectification": (qb.RECTIFICATION,),
}
# A record's topic tags and discipline → candidate focus areas (first one in the outline).
TOPIC_AREAS: dict[str, tuple[str, ...]] = {
    "eight-rules": (qb.CORRUPTION,),
    "land-construction": (qb.CORRUPTION, qb.THREE_ASSETS),
    "three-assets": (qb.THREE_ASSETS, qb.CORRUPTION),
    "agri-funds": (qb.BENEFITS, qb.CORRUPTION),
    "enforcement": (qb.CORRUPTION,),
    "cadre-selection": (qb.CADRE_SELECTION,),
    "organisation": (qb.WEAK_PARTY_ORG, qb.VILLAGE_PARTY_ORG),
}
DISCIPLINE_AREAS: dict[str, tuple[str, ...]] = {
    "political": (qb.PARTY_LINE, qb.ELECTIONS_CLANS),
    "organisational": (qb.CADRE_SELECTION, qb.WEAK_PARTY_ORG, qb.VILLAGE_PARTY_ORG),
    "integrity": (qb.CORRUPTION, qb.THREE_ASSETS),
    "mass": (qb.CORRUPTION, qb.BENEFITS),
    "work": (qb.PARTY_LINE, qb.RECTIFICATION),
    "life": (qb.CORRUPTION,),
}

# Labels of codes that appear as values inside the lib's sentences (see ``value_label``).
RULE_LABELS: dict[str, str] = {
    li.RULE_MAIN_LEADER: gettext_noop("main leader"),
    li.RULE_LEADERSHIP: gettext_noop("leadership team"),
    li.RULE_RETIRED_LEADER: gettext_noop("retired leader"),
    li.RULE_KEY_POST: gettext_noop("key post"),
    li.RULE_PROJECT: gettext_noop("major project"),
    li.RULE_NAMED_IN_REPORT: gettext_noop("named in a public report"),
    li.RULE_NAMED_IN_CLUE: gettext_noop("named in a clue"),
    li.RULE_TALK_REQUEST: gettext_noop("asked for a talk"),
    "relative": gettext_noop("relative"),
    "former_superior": gettext_noop("former superior"),
    "former_subordinate": gettext_noop("former subordinate"),
    "former_colleague": gettext_noop("long-time colleague"),
}
KEY_POST_LABELS: dict[str, str] = {
    "finance": gettext_noop("finance"),
    "procurement": gettext_noop("procurement"),
    "personnel": gettext_noop("personnel"),
    "project_management": gettext_noop("project management"),
    KEY_POST_OTHER: gettext_noop("other key post"),
}
RELATION_LABELS: dict[str, str] = {
    "spouse": gettext_noop("spouse"),
    "parent": gettext_noop("parent"),
    "child": gettext_noop("child"),
    "grandparent": gettext_noop("grandparent"),
    "grandchild": gettext_noop("grandchild"),
    "sibling": gettext_noop("sibling"),
    "uncle_aunt": gettext_noop("uncle or aunt"),
    "nephew_niece": gettext_noop("nephew or niece"),
    "cousin": gettext_noop("cousin"),
    "parent_in_law": gettext_noop("parent-in-law"),
    "child_in_law": gettext_noop("son- or daughter-in-law"),
    "sibling_in_law": gettext_noop("sibling-in-law"),
}

EDIT_FIELDS = ("role", "group", "minutes", "priority", "unavailable", "status")
SNAPSHOT_FIELDS = ("team", "target", "person", "role", "source", "status", *EDIT_FIELDS[1:5])
MINUTES_RANGE = (15, 480)
PRIORITY_MAX = 10
SAMPLE_MAX = 500
SEED_MAX = 2**63 - 1


def _today() -> dt.date:
    return timezone.localdate()


def _default(name: str) -> Any:
    field = Interviewee._meta.get_field(name)
    return field.get_default() if isinstance(field, models.Field) else None


# -- rendering of the lib's sentences ---------------------------------------------------------


def value_label(name: str, raw: Any, params: Any) -> str | None:
    """Codes inside sentences, in the user's language (``render_text``'s value hook)."""
    if name == "rule" and isinstance(raw, str) and raw in RULE_LABELS:
        return _(RULE_LABELS[raw])
    if name == "key_post" and isinstance(raw, str):
        return _(KEY_POST_LABELS.get(raw, raw))
    if name == "department" and raw == "":
        return _("the unit itself")
    return None


def render(node: Any) -> str:
    from xuncha.core.lib.text import render_text

    return render_text(node, _, value_label, ngettext)


# -- the target's people ---------------------------------------------------------------------


def target_kind(org: Organisation) -> str:
    return {"township": "township", "village": "village", "community": "community"}.get(
        org.kind, "county_unit"
    )


def key_post_kind(post: Post) -> str | None:
    if not post.is_key_post:
        return None
    for kind, words in KEY_POST_WORDS:
        if any(w in post.title for w in words):
            return kind
    return KEY_POST_OTHER


def _is_current(post: Post, today: dt.date) -> bool:
    return post.end_date is None or post.end_date > today


def _main_leader_post(posts: Iterable[Post], target: Organisation, today: dt.date) -> int | None:
    found = [
        p
        for p in posts
        if p.organisation_id == target.pk
        and p.is_leadership
        and _is_current(p, today)
        and DEPUTY_WORD not in p.title
        and any(w in p.title for w in MAIN_LEADER_WORDS)
    ]
    found.sort(key=lambda p: (p.start_date, p.pk))
    return found[0].pk if found else None


@dataclass
class TargetData:
    target: li.Target
    posts: dict[int, Post]  # the post that speaks for each person of the target
    outsiders: set[int]  # project participants without a post in the target


def _post_rank(post: Post, main_id: int | None, today: dt.date) -> tuple[Any, ...]:
    return (
        _is_current(post, today),
        post.pk == main_id,
        post.is_leadership,
        post.is_key_post,
        post.end_date or dt.date.max,
        post.start_date,
        post.pk,
    )


def _target_posts(target: Organisation, today: dt.date) -> tuple[dict[int, Post], int | None]:
    posts = list(
        Post.objects.filter(organisation__path__startswith=target.path).select_related(
            "organisation", "person"
        )
    )
    main_id = _main_leader_post(posts, target, today)
    chosen: dict[int, Post] = {}
    for post in posts:
        best = chosen.get(post.person_id)
        if best is None or _post_rank(post, main_id, today) > _post_rank(best, main_id, today):
            chosen[post.person_id] = post
    return chosen, main_id


def _lib_person(post: Post, target: Organisation, main_id: int | None) -> li.Person:
    return li.Person(
        id=post.person_id,
        name=post.person.name,
        unit_id=target.pk,
        department=post.organisation.name if post.organisation_id != target.pk else "",
        post=post.title,
        is_leadership=post.is_leadership,
        is_main_leader=post.pk == main_id,
        post_ended=post.end_date,
        key_post_kind=key_post_kind(post),
    )


def build_target(
    team: Team, target: Organisation, *, today: dt.date | None = None, mentions: bool = True
) -> TargetData:
    """The lib's view of a target (see the module docstring for each mapping)."""
    from xuncha.clues.models import Confidentiality, Subject
    from xuncha.clues.models import Status as RecordStatus
    from xuncha.intake.models import Appointment
    from xuncha.rounds.models import MajorProject

    today = today or _today()
    posts, main_id = _target_posts(target, today)
    people = [_lib_person(p, target, main_id) for p in posts.values()]
    people.sort(key=lambda p: p.id)
    known = {p.id for p in people}
    outsiders: set[int] = set()
    projects = []
    for project in MajorProject.objects.filter(
        organisation__path__startswith=target.path
    ).prefetch_related("participants"):
        ids = []
        for person in project.participants.all():
            if person.pk not in known:
                known.add(person.pk)
                outsiders.add(person.pk)
                people.append(
                    li.Person(
                        id=person.pk, name=person.name, unit_id=target.pk, department="", post=""
                    )
                )
            ids.append(person.pk)
        projects.append(li.Project(project.pk, project.name, tuple(ids)))
    found: list[li.Mention] = []
    if mentions:
        subjects = (
            Subject.objects.filter(record__round_id=team.round_id, record__target=target)
            .exclude(record__status__in=[RecordStatus.MERGED, RecordStatus.DISMISSED])
            .exclude(record__confidentiality=Confidentiality.RESTRICTED)
            .select_related("record")
            .order_by("record__created_at", "record_id", "id")
        )
        for s in subjects:
            if s.person_id is None and not s.name.strip():
                continue
            found.append(
                li.Mention(li.SOURCE_CLUE, s.record.number, person_id=s.person_id, name=s.name)
            )
        appointments = (
            Appointment.objects.filter(
                team=team, state__in=[Appointment.State.PROPOSED, Appointment.State.CONFIRMED]
            )
            .select_related("report__channel")
            .order_by("report_id")
        )
        labels = dict.fromkeys(a.report.label for a in appointments)
        found.extend(li.Mention(li.SOURCE_TALK_REQUEST, label, name=label) for label in labels)
    lib_target = li.Target(
        unit_id=target.pk,
        name=target.name,
        kind=target_kind(target),
        people=tuple(people),
        projects=tuple(projects),
        mentions=tuple(found),
    )
    return TargetData(lib_target, posts, outsiders)


def default_role(person: Person | None, target: Organisation, today: dt.date | None = None) -> str:
    """The role a person is added with: from their posts in the target (public without a
    registry record)."""
    if person is None:
        return IntervieweeRole.PUBLIC
    today = today or _today()
    posts = list(Post.objects.filter(person=person, organisation__path__startswith=target.path))
    if not posts:
        return IntervieweeRole.STAFF
    main_id = _main_leader_post(
        Post.objects.filter(organisation=target, is_leadership=True), target, today
    )
    current = [p for p in posts if _is_current(p, today)]
    if any(p.pk == main_id for p in current):
        return IntervieweeRole.MAIN_LEADER
    if any(p.is_leadership for p in current):
        return IntervieweeRole.LEADERSHIP_MEMBER
    if not current and any(p.is_leadership for p in posts):
        return IntervieweeRole.RETIRED_LEADER
    return IntervieweeRole.STAFF


def _rules_role(rules: Sequence[str], resolved: bool) -> str:
    """The role generation gives for stored rules (``lib.interviewees.Entry.role``);
    ``resolved``: the row names a registry person."""
    for rule, role in (
        (li.RULE_MAIN_LEADER, IntervieweeRole.MAIN_LEADER),
        (li.RULE_LEADERSHIP, IntervieweeRole.LEADERSHIP_MEMBER),
        (li.RULE_RETIRED_LEADER, IntervieweeRole.RETIRED_LEADER),
        (li.RULE_PROJECT, IntervieweeRole.PROJECT_PARTICIPANT),
    ):
        if rule in rules:
            return role
    return IntervieweeRole.STAFF if resolved else IntervieweeRole.PUBLIC


# -- outlines -------------------------------------------------------------------------------


@dataclass
class OutlineInputs:
    bank: list[qb.Question]
    profile: lo.Profile
    areas: tuple[str, ...]
    items: list[lo.OpenItem]
    numbers: dict[int, str]  # record id → number, to show where a question comes from


def bank() -> list[qb.Question]:
    return [
        qb.Question(
            q.code,
            q.focus_area,
            tuple(q.roles or ()),
            tuple(q.profiles or ()),
            q.text_zh,
            q.text_en,
        )
        for q in Question.objects.filter(is_active=True).order_by("code")
    ]


def focus_areas(team: Team, profile: lo.Profile, bank_areas: Collection[str]) -> tuple[str, ...]:
    """The round's focus areas as bank areas (one per round area: the first candidate the
    bank has, preferring the areas of the target's kind), else the lib's defaults."""
    own = set(lo.default_focus_areas(profile))
    found: list[str] = []
    for code in team.round.focus_areas.order_by("code").values_list("code", flat=True):
        candidates = [
            a for a in ROUND_FOCUS_AREAS.get(code, (code.replace("-", "_"),)) if a in bank_areas
        ]
        candidates.sort(key=lambda a: a not in own)  # stable: the kind's own areas first
        if candidates:
            found.append(candidates[0])
    return tuple(dict.fromkeys(found)) or lo.default_focus_areas(profile)


def _item_area(record: Any, areas: Sequence[str]) -> tuple[str, ...]:
    candidates: list[str] = []
    for topic in sorted(record.topics.all(), key=lambda t: t.code):
        candidates.extend(TOPIC_AREAS.get(topic.code, ()))
    candidates.extend(DISCIPLINE_AREAS.get(record.discipline, ()))
    for area in candidates:
        if area in areas:
            return (area,)
    return ()


def outline_inputs(team: Team, target: Organisation) -> OutlineInputs:
    from xuncha.clues.models import Confidentiality, Record
    from xuncha.clues.services import OPEN
    from xuncha.rounds.models import MajorProject

    questions = bank()
    profile = lo.Profile(
        kind=target_kind(target),
        has_major_projects=MajorProject.objects.filter(
            organisation__path__startswith=target.path
        ).exists(),
    )
    areas = focus_areas(team, profile, {q.focus_area for q in questions})
    records = (
        Record.objects.filter(round_id=team.round_id, target=target, status__in=OPEN)
        .exclude(confidentiality=Confidentiality.RESTRICTED)
        .prefetch_related("subjects", "topics")
        .order_by("id")
    )
    items = []
    numbers = {}
    for r in records:
        numbers[r.pk] = r.number
        items.append(
            lo.OpenItem(
                id=r.pk,
                label=r.title,
                kind=r.kind,
                focus_areas=_item_area(r, areas),
                person_ids=frozenset(s.person_id for s in r.subjects.all() if s.person_id),
            )
        )
    return OutlineInputs(questions, profile, areas, items, numbers)


def _outline_person(iv: Interviewee) -> li.Person | None:
    if iv.person_id is None:
        return None
    return li.Person(
        id=iv.person_id,
        name=iv.name,
        unit_id=iv.target_id,
        department=iv.department,
        post=iv.post,
    )


def _generate(iv: Interviewee, inputs: OutlineInputs) -> lo.Outline:
    return lo.generate(
        inputs.bank, iv.role, inputs.profile, inputs.areas, inputs.items, _outline_person(iv)
    )


def outline_for(interviewee: Interviewee) -> lo.Outline:
    """The outline as it would be generated now (not stored)."""
    return _generate(interviewee, outline_inputs(interviewee.team, interviewee.target))


def stored_outline(interviewee: Interviewee) -> lo.Outline | None:
    if not interviewee.outline:
        return None
    try:
        return lo.Outline.from_json(interviewee.outline)
    except (ValueError, KeyError, TypeError):
        return None


def _store_outline(
    iv: Interviewee, inputs: OutlineInputs, cause: Text | None, now: dt.datetime
) -> bool:
    """Regenerate and store ``iv``'s outline; True when questions changed (the team is told:
    the change sentences are added to those not seen yet)."""
    new = _generate(iv, inputs)
    data = new.to_json()
    old = stored_outline(iv)
    fields = ["outline", "outline_at"]
    changed = False
    if old is not None:
        changes = lo.diff(old, new)
        if not changes.empty:
            texts = ([cause.to_json()] if cause is not None else []) + [
                t.to_json() for t in changes.summary()
            ]
            iv.outline_changes = (texts if iv.changes_seen else [*iv.outline_changes, *texts])[
                -200:
            ]
            iv.changes_seen = False
            fields += ["outline_changes", "changes_seen"]
            changed = True
        elif iv.outline == data:
            return False
    iv.outline = data
    iv.outline_at = now
    iv.save(update_fields=fields)
    return changed


@transaction.atomic
def refresh_outlines(
    team: Team, target: Organisation | None = None, cause: Text | None = None
) -> int:
    """Regenerate the outlines of the team's planned talks (at ``target``, else at every
    target); the number of outlines whose questions changed."""
    targets = [target] if target is not None else list(team.targets.all())
    now = timezone.now()
    changed = 0
    for t in targets:
        planned = list(
            Interviewee.objects.filter(team=team, target=t, status=Interviewee.Status.PLANNED)
        )
        if not planned:
            continue
        inputs = outline_inputs(team, t)
        changed += sum(_store_outline(iv, inputs, cause, now) for iv in planned)
    return changed


@transaction.atomic
def mark_seen(*, actor: User, interviewee: Interviewee) -> Interviewee:
    if interviewee.changes_seen:
        return interviewee
    interviewee.changes_seen = True
    interviewee.save(update_fields=["changes_seen"])
    audit.record(
        actor=actor,
        event_type=E.FIELDWORK_INTERVIEWEE_SET,
        obj=interviewee,
        before={"changes_seen": False},
        after={"changes_seen": True},
    )
    return interviewee


# -- the list -----------------------------------------------------------------------------------


def _snap(iv: Interviewee) -> dict[str, Any]:
    return audit.snapshot(iv, SNAPSHOT_FIELDS)


def _require_target(team: Team, target: Organisation) -> None:
    if not team.targets.filter(pk=target.pk).exists():
        raise ValidationError(
            _("%(target)s is not one of the team's targets.") % {"target": target.name}
        )


@transaction.atomic
def add_interviewee(
    *,
    actor: User | None,
    team: Team,
    target: Organisation,
    person: Person | None = None,
    name: str = "",
    post: str = "",
    role: str | None = None,
    source: str = Interviewee.Source.ADDED,
    reasons: Sequence[Text] = (),
) -> Interviewee:
    """Put someone on the team's list (a registry person wins over a written name) and
    generate their outline."""
    _require_target(team, target)
    today = _today()
    department = ""
    if person is not None:
        name = person.name
        if Interviewee.objects.filter(team=team, person=person).exists():
            raise ValidationError(
                _("%(name)s is already on the team's list of people to talk to.") % {"name": name}
            )
        posts, _main = _target_posts(target, today)
        chosen = posts.get(person.pk)
        if chosen is not None:
            department = chosen.organisation.name if chosen.organisation_id != target.pk else ""
            post = post.strip() or chosen.title
    else:
        name = name.strip()
        if not name:
            raise ValidationError(_("Choose a person of the target or write a name."))
        if Interviewee.objects.filter(team=team, person=None, name=name).exists():
            raise ValidationError(
                _("%(name)s is already on the team's list of people to talk to.") % {"name": name}
            )
    if len(name) > 60:
        raise ValidationError(_("A name has at most 60 characters."))
    role = role or default_role(person, target, today)
    if role not in IntervieweeRole.values:
        raise ValidationError(_("Unknown role %(role)s.") % {"role": role})
    if source not in Interviewee.Source.values:
        raise ValidationError(_("Unknown source %(source)s.") % {"source": source})
    iv = Interviewee.objects.create(
        team=team,
        target=target,
        person=person,
        name=name,
        post=post.strip()[:150],
        department=department[:100],
        role=role,
        source=source,
        reasons=[r.to_json() for r in reasons],
        added_by=actor,
    )
    _store_outline(iv, outline_inputs(team, target), None, timezone.now())
    audit.record(actor=actor, event_type=E.FIELDWORK_INTERVIEWEE_SET, obj=iv, after=_snap(iv))
    return iv


@dataclass(frozen=True)
class GenerateResult:
    created: int
    updated: int
    removed: int
    kept: int  # rows the team made or changed, left as they are


def _is_sample_reason(reason: Any) -> bool:
    return isinstance(reason, dict) and str(reason.get("t", "")).startswith("drawn at random")


def _touched(iv: Interviewee, resolved: bool) -> bool:
    """Whether the team changed a generated row by hand (or it is in use)."""
    return (
        iv.status != Interviewee.Status.PLANNED
        or iv.group != ""
        or iv.minutes != _default("minutes")
        or iv.priority != _default("priority")
        or bool(iv.unavailable)
        or iv.role != _rules_role(iv.rules, resolved)
        or iv.talks.exists()
        or iv.records.exists()
    )


@transaction.atomic
def generate_list(
    *,
    actor: User,
    team: Team,
    target: Organisation,
    retired_within_years: int = 3,
    key_posts: Collection[str] | None = None,
) -> GenerateResult:
    """Make or update the must-interview list of ``target`` (see the module docstring for
    what is kept)."""
    _require_target(team, target)
    if not 0 <= retired_within_years <= 30:
        raise ValidationError(_("Retired within: give a number of years from 0 to 30."))
    kinds = set(key_posts) if key_posts is not None else set(li.DEFAULT_KEY_POSTS)
    unknown = kinds - set(KEY_POST_CHOICES)
    if unknown:
        raise ValidationError(
            _("Unknown key post kinds: %(kinds)s.") % {"kinds": ", ".join(sorted(unknown))}
        )
    today = _today()
    data = build_target(team, target, today=today)
    entries = li.must_interview(
        data.target, today, retired_within_years=retired_within_years, key_posts=kinds
    )
    rows = list(Interviewee.objects.filter(team=team).select_for_update())
    by_person = {iv.person_id: iv for iv in rows if iv.person_id is not None}
    by_name: dict[str, list[Interviewee]] = defaultdict(list)
    for row in rows:
        if row.person_id is None:
            by_name[row.name].append(row)
    people = {p.id: p for p in data.target.people}
    created = updated = 0
    matched: set[int] = set()
    changed: list[Interviewee] = []
    for e in entries:
        lp = people.get(e.person_id) if e.person_id is not None else None
        iv: Interviewee | None
        if e.person_id is not None:
            iv = by_person.get(e.person_id)
        else:
            same = [r for r in by_name.get(e.name, []) if r.target_id == target.pk]
            if not same and li.RULE_TALK_REQUEST in e.rules:
                same = by_name.get(e.name, [])
            iv = same[0] if same else None
        rules = list(e.rules)
        reasons = [t.to_json() for t in e.reasons]
        if iv is None:
            iv = Interviewee.objects.create(
                team=team,
                target=target,
                person_id=e.person_id,
                name=e.name[:60],
                post=(lp.post if lp else "")[:150],
                department=(lp.department if lp else "")[:100],
                role=e.role,
                source=Interviewee.Source.MUST,
                rules=rules,
                reasons=reasons,
                added_by=actor,
            )
            if e.person_id is not None:
                by_person[e.person_id] = iv
            else:
                by_name[e.name].append(iv)
            created += 1
            changed.append(iv)
            matched.add(iv.pk)
            continue
        matched.add(iv.pk)
        if iv.source not in (Interviewee.Source.MUST, Interviewee.Source.SAMPLE):
            continue  # the team's own row
        before = (iv.rules, iv.reasons, iv.role, iv.source, iv.post, iv.department)
        old_role = (
            IntervieweeRole.STAFF
            if iv.source == Interviewee.Source.SAMPLE
            else _rules_role(iv.rules, iv.person_id in people)
        )
        # A sampled person keeps the sentence of their draw.
        reasons += [r for r in iv.reasons if _is_sample_reason(r) and r not in reasons]
        if iv.role == old_role:
            iv.role = e.role
        iv.rules, iv.reasons, iv.source = rules, reasons, Interviewee.Source.MUST
        if lp is not None:
            iv.post, iv.department = lp.post[:150], lp.department[:100]
        if before != (iv.rules, iv.reasons, iv.role, iv.source, iv.post, iv.department):
            iv.save(update_fields=["rules", "reasons", "role", "source", "post", "department"])
            updated += 1
            changed.append(iv)
    removed = kept = 0
    for row in rows:
        if row.pk in matched or row.target_id != target.pk or row.source != Interviewee.Source.MUST:
            continue
        if _touched(row, row.person_id in people):
            kept += 1
        else:
            row.delete()
            removed += 1
    kept += sum(
        1
        for row in rows
        if row.pk in matched
        and row.source not in (Interviewee.Source.MUST, Interviewee.Source.SAMPLE)
    )
    now = timezone.now()
    inputs = outline_inputs(team, target)
    cause = Text(gettext_noop("the must-interview list was regenerated"))
    for row in changed:
        if row.status == Interviewee.Status.PLANNED:
            _store_outline(row, inputs, cause, now)
    result = GenerateResult(created, updated, removed, kept)
    audit.record(
        actor=actor,
        event_type=E.FIELDWORK_LIST_GENERATED,
        obj=team,
        after={
            "target": target.pk,
            "retired_within_years": retired_within_years,
            "key_posts": sorted(kinds),
            "entries": len(entries),
            "created": created,
            "updated": updated,
            "removed": removed,
            "kept": kept,
        },
    )
    return result


# -- the sample -------------------------------------------------------------------------------


def sample_preview(team: Team, target: Organisation, size: int, seed: int) -> li.Sample:
    """The draw ``draw_sample`` would make now (nothing saved)."""
    today = _today()
    data = build_target(team, target, today=today, mentions=False)
    excluded = set(
        Interviewee.objects.filter(team=team, person__isnull=False).values_list(
            "person_id", flat=True
        )
    )
    return li.sample_staff(data.target, excluded | data.outsiders, size, seed, today=today)


def sample_pool(team: Team, target: Organisation) -> int:
    """How many ordinary staff are left to draw from."""
    return sum(s.pool for s in sample_preview(team, target, 0, 0).strata)


@transaction.atomic
def draw_sample(
    *, actor: User, team: Team, target: Organisation, size: int, seed: int | None = None
) -> SampleDraw:
    """Draw ``size`` ordinary staff of ``target`` at random, stratified by department, and
    put them on the list; the seed is recorded so the draw can be repeated."""
    _require_target(team, target)
    if size < 1:
        raise ValidationError(_("The sample size must be at least 1."))
    if size > SAMPLE_MAX:
        raise ValidationError(_("The sample size can be at most %(max)s.") % {"max": SAMPLE_MAX})
    if seed is not None and not 0 <= seed <= SEED_MAX:
        raise ValidationError(_("The seed must be a whole number from 0 to 2⁶³−1."))
    # Lock the team's list so two draws at once cannot both take the same people.
    list(Interviewee.objects.filter(team=team).select_for_update().values_list("pk", flat=True))
    pool = sample_pool(team, target)
    if size > pool:
        raise ValidationError(
            _(
                "Only %(pool)s ordinary staff of %(target)s are not on the list yet; "
                "draw %(pool)s or fewer."
            )
            % {"pool": pool, "target": target.name}
        )
    seed = li.new_seed() if seed is None else seed
    sample = sample_preview(team, target, size, seed)
    draw = SampleDraw.objects.create(
        team=team,
        target=target,
        seed=seed,
        size=size,
        strata=[
            {"department": s.department, "pool": s.pool, "drawn": s.drawn} for s in sample.strata
        ],
        drawn_by=actor,
    )
    rows = [
        Interviewee(
            team=team,
            target=target,
            person_id=e.person.id,
            name=e.person.name,
            post=e.person.post[:150],
            department=e.person.department[:100],
            role=IntervieweeRole.STAFF,
            source=Interviewee.Source.SAMPLE,
            reasons=[e.reason.to_json()],
            added_by=actor,
        )
        for e in sample.entries
    ]
    Interviewee.objects.bulk_create(rows)
    inputs = outline_inputs(team, target)
    now = timezone.now()
    for iv in Interviewee.objects.filter(
        team=team, person_id__in=[r.person_id for r in rows], outline__isnull=True
    ):
        _store_outline(iv, inputs, None, now)
    audit.record(
        actor=actor,
        event_type=E.FIELDWORK_SAMPLE_DRAWN,
        obj=draw,
        after={"target": target.pk, "seed": seed, "size": size, "strata": draw.strata},
    )
    return draw


# -- editing one interviewee ------------------------------------------------------------------


def parse_dates(values: Iterable[Any]) -> list[str]:
    """ISO dates, sorted and once each; a ValidationError names a value that is not one."""
    out = set()
    for v in values:
        if isinstance(v, dt.date):
            out.add(v.isoformat())
            continue
        try:
            out.add(dt.date.fromisoformat(str(v).strip()).isoformat())
        except ValueError:
            raise ValidationError(
                _("Unavailable dates: %(value)s is not a date (YYYY-MM-DD).") % {"value": v}
            ) from None
    return sorted(out)


@transaction.atomic
def interviewee_update(
    *,
    actor: User,
    interviewee: Interviewee,
    role: str | None = None,
    group: str | None = None,
    minutes: int | None = None,
    priority: int | None = None,
    unavailable: Iterable[Any] | None = None,
    status: str | None = None,
) -> Interviewee:
    """Change what the team may change: role, village talk group, length, priority, the
    days the person is away, and dropping (or re-planning) the talk."""
    iv = interviewee
    before = _snap(iv)
    if role is not None:
        if role not in IntervieweeRole.values:
            raise ValidationError(_("Unknown role %(role)s.") % {"role": role})
        iv.role = role
    if group is not None:
        if group and group not in {g.value for g in TALK_GROUPS}:
            raise ValidationError(_("Group: choose one of the six compulsory talks or none."))
        iv.group = group
    if minutes is not None:
        if not MINUTES_RANGE[0] <= minutes <= MINUTES_RANGE[1]:
            raise ValidationError(
                _("Length: give %(low)s to %(high)s minutes.")
                % {"low": MINUTES_RANGE[0], "high": MINUTES_RANGE[1]}
            )
        iv.minutes = minutes
    if priority is not None:
        if not 0 <= priority <= PRIORITY_MAX:
            raise ValidationError(_("Priority: give 0 to %(max)s.") % {"max": PRIORITY_MAX})
        iv.priority = priority
    if unavailable is not None:
        iv.unavailable = parse_dates(unavailable)
    if status is not None:
        allowed = (Interviewee.Status.PLANNED, Interviewee.Status.DROPPED)
        if status not in allowed:
            raise ValidationError(_("A talk can only be planned or dropped here."))
        if iv.status == Interviewee.Status.HELD and status != iv.status:
            raise ValidationError(_("The talk has been held; its status cannot change."))
        iv.status = status
    after = _snap(iv)
    if after == before:
        return iv
    iv.save(update_fields=list(EDIT_FIELDS))
    if iv.status == Interviewee.Status.PLANNED and (
        before["role"] != iv.role or before["status"] != iv.status
    ):
        _store_outline(
            iv,
            outline_inputs(iv.team, iv.target),
            Text(gettext_noop("the interviewee's role or status was changed")),
            timezone.now(),
        )
    audit.record(
        actor=actor, event_type=E.FIELDWORK_INTERVIEWEE_SET, obj=iv, before=before, after=after
    )
    return iv


@transaction.atomic
def list_exported(*, actor: User, team: Team, what: str, count: int) -> None:
    common.audit_export(actor, team, extra={"what": what, "count": count})


# -- interviewer conflicts --------------------------------------------------------------------


def _min_days(years: int) -> int:
    return 365 * years + years // 4


def _span(post: Post, today: dt.date) -> tuple[dt.date, dt.date] | None:
    end = today if post.end_date is None else min(post.end_date, today)
    return (post.start_date, end) if post.start_date <= end else None


def _union_days(spans: Iterable[tuple[dt.date, dt.date]]) -> int:
    total = 0
    run: tuple[dt.date, dt.date] | None = None
    for start, end in sorted(spans):
        if run is None or start > run[1] + dt.timedelta(days=1):
            if run is not None:
                total += (run[1] - run[0]).days + 1
            run = (start, end)
        else:
            run = (run[0], max(run[1], end))
    if run is not None:
        total += (run[1] - run[0]).days + 1
    return total


def _years(team: Team) -> tuple[int, int]:
    """Colleague and superior years of the committee's team rules (or the defaults)."""
    from xuncha.talent.teams import rules_for

    rules = rules_for(team.round.committee)
    return rules.colleague_years, rules.superior_years


def pair_evidence(team: Team) -> list[li.PairEvidence]:
    """Recusal evidence between the team's members and the people on its list (person ids
    on both sides): relatives, former superiors or subordinates, long-time colleagues."""
    today = _today()
    members = common.member_ids(team)
    listed = set(
        Interviewee.objects.filter(team=team, person__isnull=False).values_list(
            "person_id", flat=True
        )
    )
    if not members or not listed:
        return []
    names = dict(Person.objects.filter(pk__in=members | listed).values_list("pk", "name"))
    out: list[li.PairEvidence] = []
    for k in Kinship.objects.filter(
        Q(person__in=members, relative__in=listed) | Q(person__in=listed, relative__in=members)
    ).order_by("pk"):
        text = Text(
            gettext_noop("%(person)s is the %(relation)s of %(relative)s"),
            person=names.get(k.person_id, ""),
            relation=Text(RELATION_LABELS.get(k.relation, k.relation)),
            relative=names.get(k.relative_id, ""),
        )
        if k.person_id in members and k.relative_id in listed and k.person_id != k.relative_id:
            out.append(li.PairEvidence(k.person_id, k.relative_id, "relative", text))
        if k.relative_id in members and k.person_id in listed and k.person_id != k.relative_id:
            out.append(li.PairEvidence(k.relative_id, k.person_id, "relative", text))

    colleague_years, superior_years = _years(team)
    cutoff = li.years_back(today, superior_years)
    posts: dict[int, dict[int, list[Post]]] = defaultdict(lambda: defaultdict(list))
    for post in Post.objects.filter(person_id__in=members | listed).select_related("organisation"):
        posts[post.person_id][post.organisation_id].append(post)
    for m in sorted(members):
        for i in sorted(listed):
            if m == i:
                continue
            for org_id in sorted(set(posts[m]) & set(posts[i])):
                overlaps = []
                for mine in posts[m][org_id]:
                    a = _span(mine, today)
                    for theirs in posts[i][org_id]:
                        b = _span(theirs, today)
                        if a is None or b is None:
                            continue
                        start, end = max(a[0], b[0]), min(a[1], b[1])
                        if start <= end:
                            overlaps.append((start, end, mine, theirs))
                if not overlaps:
                    continue
                overlaps.sort(key=lambda o: (o[0], o[1], o[2].pk, o[3].pk))
                org = overlaps[0][2].organisation.name
                shared = _union_days((o[0], o[1]) for o in overlaps)
                if shared >= _min_days(colleague_years):
                    out.append(
                        li.PairEvidence(
                            m,
                            i,
                            "former_colleague",
                            Text(
                                gettext_noop(
                                    "colleagues at %(org)s for %(days)s days (%(years)s+ years)"
                                ),
                                org=org,
                                days=shared,
                                years=colleague_years,
                            ),
                        )
                    )
                ranked = [
                    o
                    for o in overlaps
                    if o[2].is_leadership != o[3].is_leadership and o[1] >= cutoff
                ]
                if ranked:
                    start, end, mine, theirs = max(ranked, key=lambda o: (o[1], o[0]))
                    out.append(
                        li.PairEvidence(
                            m,
                            i,
                            "former_superior" if mine.is_leadership else "former_subordinate",
                            Text(
                                gettext_noop(
                                    "at %(org)s %(interviewer)s was %(mine)s and %(interviewee)s"
                                    " was %(theirs)s, together %(start)s to %(end)s, within"
                                    " %(years)s years"
                                ),
                                org=org,
                                interviewer=names.get(m, ""),
                                mine=mine.title,
                                interviewee=names.get(i, ""),
                                theirs=theirs.title,
                                start=start.isoformat(),
                                end=end.isoformat(),
                                years=superior_years,
                            ),
                        )
                    )
    return out


def conflicts(team: Team) -> li.ConflictCheck:
    """Interviewer–interviewee pairs kept apart, and talks left with too few interviewers
    (the list's people not dropped)."""
    seats = common.seats(team)
    interviewers = {s.person.pk: s.person.name for s in seats}
    listed = (
        Interviewee.objects.filter(team=team, person__isnull=False)
        .exclude(status=Interviewee.Status.DROPPED)
        .order_by("id")
        .values_list("person_id", "name")
    )
    interviewees: dict[int, str] = {pid: name for pid, name in listed if pid is not None}
    return li.interviewer_conflicts(pair_evidence(team), interviewers, interviewees)


# -- the question bank ------------------------------------------------------------------------


QUESTION_FIELDS = ("code", "focus_area", "roles", "profiles", "text_zh", "text_en", "is_active")


@transaction.atomic
def question_save(
    *,
    actor: User,
    question: Question | None = None,
    code: str,
    focus_area: str,
    roles: Sequence[str],
    profiles: Sequence[str],
    text_zh: str,
    text_en: str,
    is_active: bool = True,
) -> Question:
    """Add a question to the bank or change one (its code stays: outlines refer to it)."""
    code = (question.code if question is not None else code).strip()
    if not code:
        raise ValidationError(_("Give the question a code, e.g. CN-20."))
    if len(code) > 20:
        raise ValidationError(_("A code has at most 20 characters."))
    if question is None and Question.objects.filter(code=code).exists():
        raise ValidationError(_("The code %(code)s is taken.") % {"code": code})
    candidate = qb.Question(
        code,
        focus_area,
        tuple(dict.fromkeys(roles)),
        tuple(dict.fromkeys(p.strip() for p in profiles if p.strip())),
        text_zh.strip(),
        text_en.strip(),
    )
    problems = []
    if candidate.focus_area not in qb.FOCUS_AREAS:
        problems.append(_("Unknown focus area %(area)s.") % {"area": focus_area})
    if not candidate.roles:
        problems.append(_("Choose at least one interviewee role."))
    problems += [
        _("Unknown role %(role)s.") % {"role": r} for r in candidate.roles if r not in li.ROLES
    ]
    if not candidate.profiles:
        problems.append(_("Choose at least one kind of target."))
    if not candidate.text_zh or not candidate.text_en:
        problems.append(_("Write the question in Chinese and in English."))
    # The lib's checks are the reference; a message above covers each of them.
    if qb.validate_bank([candidate]) and not problems:  # pragma: no cover - a new lib rule
        problems.extend(qb.validate_bank([candidate]))
    if problems:
        raise ValidationError(problems)
    before = audit.snapshot(question, QUESTION_FIELDS) if question is not None else None
    q = question or Question(code=code)
    q.focus_area = candidate.focus_area
    q.roles = list(candidate.roles)
    q.profiles = list(candidate.profiles)
    q.text_zh = candidate.text_zh
    q.text_en = candidate.text_en
    q.is_active = is_active
    q.save()
    after = audit.snapshot(q, QUESTION_FIELDS)
    if before != after:
        audit.record(
            actor=actor, event_type=E.FIELDWORK_SETTINGS_SET, obj=q, before=before, after=after
        )
    return q


@transaction.atomic
def question_set_active(*, actor: User, question: Question, active: bool) -> Question:
    if question.is_active == active:
        return question
    question.is_active = active
    question.save(update_fields=["is_active", "updated_at"])
    audit.record(
        actor=actor,
        event_type=E.FIELDWORK_SETTINGS_SET,
        obj=question,
        before={"is_active": not active},
        after={"is_active": active},
    )
    return question
