"""The method coverage matrix of a team and the stage gate built on it.

Per target of the team and per (method, group) that has a minimum or was used: how often
the team used the method there, against the office's minimum for that kind of target.
Counting rules:
- an activity counts for its method at its target, and for its group; a field visit also
  counts once for each group of the households it visited (a visit to a petitioner and a
  veteran member counts for both groups, once each);
- an activity of a method that needs approval (covert visits) counts once approved;
- individual talks are interview records: each record of the team whose interviewee
  belongs to the target counts, for the interviewee's group too.

A team leaves the understanding stage only when no target has a gap (``gate_check``); an
authorised user may override with a reason (the rounds app records it).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from xuncha.core.models import Organisation, OrganisationKind
from xuncha.core.selectors import ancestor_ids
from xuncha.fieldwork.models import (
    Activity,
    CoverageMinimum,
    Group,
    HouseholdVisit,
    InterviewRecord,
    Method,
    Profile,
)

TALK_METHOD = "individual_talk"
VILLAGE_KINDS = (OrganisationKind.VILLAGE, OrganisationKind.COMMUNITY)
_GROUP_ORDER = {g.value: i for i, g in enumerate(Group)}


def profile_of(target: Organisation) -> str:
    """Which minimums apply to a target: villages and communities, or units."""
    return Profile.VILLAGE if target.kind in VILLAGE_KINDS else Profile.UNIT


def minimums_source(committee: Organisation | None) -> Organisation | None:
    """The committee whose minimums apply to ``committee``: itself, else the nearest one
    above it with minimums of its own; None when the installation's defaults apply."""
    if committee is None:
        return None
    ids = ancestor_ids(committee.path) or [committee.pk]
    having = set(
        CoverageMinimum.objects.filter(committee_id__in=ids).values_list("committee_id", flat=True)
    )
    found = next((i for i in reversed(ids) if i in having), None)
    return Organisation.objects.get(pk=found) if found is not None else None


def minimums_for(committee: Organisation | None) -> list[CoverageMinimum]:
    """The minimums in force for a committee's rounds (of active methods only: a method the
    office retired cannot be used, so it cannot be asked for)."""
    source = minimums_source(committee)
    rows = CoverageMinimum.objects.filter(method__is_active=True).select_related("method")
    rows = rows.filter(committee=source) if source is not None else rows.filter(committee=None)
    return list(rows.order_by("profile", "method__order", "method__code", "group"))


def group_label(group: str) -> str:
    return str(Group(group).label) if group in _GROUP_ORDER else group


def line_label(method: Method, group: str) -> str:
    return f"{method.name} ({group_label(group)})" if group else method.name


@dataclass(frozen=True)
class Cell:
    count: int
    minimum: int | None  # None: no minimum for this kind of target

    @property
    def gap(self) -> bool:
        return self.minimum is not None and self.count < self.minimum

    @property
    def state(self) -> str:
        if self.minimum is None:
            return "none"
        return "gap" if self.gap else "met"


@dataclass(frozen=True)
class Line:
    method: Method
    group: str
    cells: tuple[Cell, ...]  # one per target, in the matrix's target order

    @property
    def label(self) -> str:
        return line_label(self.method, self.group)

    @property
    def total(self) -> int:
        return sum(c.count for c in self.cells)

    @property
    def total_minimum(self) -> int | None:
        minimums = [c.minimum for c in self.cells if c.minimum is not None]
        return sum(minimums) if minimums else None

    @property
    def gaps(self) -> int:
        return sum(1 for c in self.cells if c.gap)


@dataclass(frozen=True)
class Gap:
    target: Organisation
    method: Method
    group: str
    count: int
    minimum: int

    @property
    def code(self) -> str:
        return f"coverage:{self.target.pk}:{self.method.code}:{self.group}"

    def text(self) -> str:
        return _("%(target)s: %(what)s %(count)d of %(minimum)d") % {
            "target": self.target.name,
            "what": line_label(self.method, self.group),
            "count": self.count,
            "minimum": self.minimum,
        }


@dataclass
class Matrix:
    targets: list[Organisation]
    lines: list[Line] = field(default_factory=list)

    def gaps(self) -> list[Gap]:
        out = []
        for column, target in enumerate(self.targets):
            for line in self.lines:
                cell = line.cells[column]
                if cell.gap and cell.minimum is not None:
                    out.append(Gap(target, line.method, line.group, cell.count, cell.minimum))
        return out

    def gaps_per_target(self) -> list[int]:
        return [
            sum(1 for line in self.lines if line.cells[i].gap) for i in range(len(self.targets))
        ]

    def cell(self, target_pk: int, method_code: str, group: str = "") -> Cell | None:
        columns = {t.pk: i for i, t in enumerate(self.targets)}
        for line in self.lines:
            if line.method.code == method_code and line.group == group and target_pk in columns:
                return line.cells[columns[target_pk]]
        return None


Key = tuple[int, int, str]  # target id, method id, group


def _counts(team: Any, target_ids: list[int]) -> dict[Key, int]:
    counts: dict[Key, int] = defaultdict(int)
    activities = list(
        Activity.objects.filter(team=team, target_id__in=target_ids)
        .exclude(method__needs_approval=True, approved_at__isnull=True)
        .values_list("pk", "target_id", "method_id", "group")
    )
    household_groups: dict[int, set[str]] = defaultdict(set)
    for activity_id, group in (
        HouseholdVisit.objects.filter(activity_id__in=[a[0] for a in activities])
        .exclude(group="")
        .values_list("activity_id", "group")
    ):
        household_groups[activity_id].add(group)
    for pk, target_id, method_id, group in activities:
        if target_id is None:  # not at a target: counts nowhere
            continue
        counts[(target_id, method_id, "")] += 1
        for g in ({group} | household_groups[pk]) - {""}:
            counts[(target_id, method_id, g)] += 1
    talk = Method.objects.filter(code=TALK_METHOD).values_list("pk", flat=True).first()
    if talk is not None:
        records = InterviewRecord.objects.filter(
            team=team, interviewee__target_id__in=target_ids
        ).values_list("interviewee__target_id", "interviewee__group")
        for target_id, group in records:
            counts[(target_id, talk, "")] += 1
            if group:
                counts[(target_id, talk, group)] += 1
    return counts


def matrix(team: Any) -> Matrix:
    """The coverage of every target of ``team`` (a few queries, whatever the size)."""
    targets = list(team.targets.order_by("path"))
    minimums = minimums_for(team.round.committee)
    profiles = {profile_of(t) for t in targets}
    wanted: dict[tuple[str, int, str], int] = {
        (m.profile, m.method_id, m.group): m.minimum for m in minimums if m.profile in profiles
    }
    counts = _counts(team, [t.pk for t in targets])
    keys = {(method_id, group) for _profile, method_id, group in wanted}
    keys |= {(method_id, group) for _target, method_id, group in counts}
    methods = {m.pk: m for m in Method.objects.filter(pk__in={k[0] for k in keys})}
    ordered = sorted(
        keys,
        key=lambda k: (methods[k[0]].order, methods[k[0]].code, _GROUP_ORDER.get(k[1], -1)),
    )
    lines = []
    for method_id, group in ordered:
        cells = tuple(
            Cell(
                count=counts.get((t.pk, method_id, group), 0),
                minimum=wanted.get((profile_of(t), method_id, group)),
            )
            for t in targets
        )
        lines.append(Line(method=methods[method_id], group=group, cells=cells))
    return Matrix(targets=targets, lines=lines)


def gap_texts(team: Any) -> list[str]:
    """One sentence per gap, e.g. "城关镇: Field visits (Visit: petitioners) 0 of 1"."""
    return [gap.text() for gap in matrix(team).gaps()]


def gate_check(team: Any, to_stage: str) -> list[Any]:
    """What the coverage still lacks before the team leaves the understanding stage."""
    from xuncha.rounds.gates import Missing
    from xuncha.rounds.models import Stage

    if to_stage != Stage.REPORT:
        return []
    return [Missing(code=gap.code, message=gap.text()) for gap in matrix(team).gaps()]
