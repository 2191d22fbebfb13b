"""Stage gates: what a round or a team needs before it may move to the next stage.

Pure rules over facts (milestone kinds recorded, targets assigned, teams' stages). The
service turns a non-empty list of missing items into a refusal, or records an override.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from xuncha.rounds.models import STAGE_ORDER, Milestone, Stage

# Milestones a team needs to enter a stage. Round-level milestones (team is None) count
# for every team of the round.
REQUIRED: dict[str, list[str]] = {
    Stage.STATIONING: [Milestone.Kind.PLAN_APPROVED, Milestone.Kind.NOTICE_SENT],
    Stage.UNDERSTANDING: [Milestone.Kind.MOBILISATION_MEETING, Milestone.Kind.CHANNELS_PUBLISHED],
    Stage.REPORT: [],
    Stage.FEEDBACK: [Milestone.Kind.REPORT_FILED],
    Stage.HANDOVER: [Milestone.Kind.FEEDBACK_GIVEN],
    Stage.RECTIFICATION: [Milestone.Kind.HANDOVER_DONE],
    Stage.SUPERVISION: [Milestone.Kind.RECTIFICATION_REPORT],
    Stage.CLOSED: [],
}


@dataclass(frozen=True)
class Missing:
    code: str
    message: str


# Checks other apps add to a team's gate: (team, to_stage) -> what is missing. Fieldwork
# adds the method coverage a team needs before it leaves the understanding stage.
TeamCheck = Callable[[Any, str], list["Missing"]]
_TEAM_CHECKS: list[TeamCheck] = []


def register_team_check(check: TeamCheck) -> None:
    if check not in _TEAM_CHECKS:
        _TEAM_CHECKS.append(check)


def extra_for_team(team: Any, to_stage: str) -> list[Missing]:
    return [m for check in _TEAM_CHECKS for m in check(team, to_stage)]


def next_stage(stage: str) -> str | None:
    index = STAGE_ORDER.index(stage)
    return STAGE_ORDER[index + 1] if index + 1 < len(STAGE_ORDER) else None


def missing_for_team(to_stage: str, milestones: Iterable[str], target_count: int) -> list[Missing]:
    have = set(milestones)
    missing = [
        Missing(kind, str(_("Missing: %(what)s") % {"what": Milestone.Kind(kind).label}))
        for kind in REQUIRED.get(to_stage, [])
        if kind not in have
    ]
    if to_stage == Stage.STATIONING and target_count == 0:
        missing.insert(0, Missing("targets", str(_("The team has no target yet."))))
    return missing


def missing_for_round(
    to_stage: str, milestones: Iterable[str], team_stages: dict[str, str]
) -> list[Missing]:
    """A round moves on when its own milestones are there and every team got that far
    (teams that lag are named in the order given: the round's order of teams)."""
    have = set(milestones)
    missing: list[Missing] = []
    if not team_stages:
        missing.append(Missing("teams", str(_("The round has no team yet."))))
    wanted = STAGE_ORDER.index(to_stage)
    for name, stage in team_stages.items():
        if STAGE_ORDER.index(stage) < wanted:
            missing.append(
                Missing(
                    f"team:{name}",
                    str(
                        _("%(team)s is still in the %(stage)s stage.")
                        % {"team": name, "stage": Stage(stage).label}
                    ),
                )
            )
    if to_stage == Stage.STATIONING and Milestone.Kind.PLAN_APPROVED not in have:
        missing.insert(
            0,
            Missing(
                Milestone.Kind.PLAN_APPROVED,
                str(_("Missing: %(what)s") % {"what": Milestone.Kind.PLAN_APPROVED.label}),
            ),
        )
    return missing
