"""Changes to the office's settings for rounds: holidays, stage durations, focus areas and
coverage priorities. Each change is one transaction with its audit event."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils.translation import gettext as _

from xuncha.core import audit
from xuncha.core.models import AuditEventType, Organisation, User
from xuncha.rounds import services
from xuncha.rounds.models import (
    CommitteeTerm,
    CoveragePriority,
    FocusArea,
    HolidayOverride,
    RoundKind,
    Stage,
    StageDuration,
)

# Event types of these settings (audit.record accepts any string).
DURATIONS_SET = "rounds.durations_set"
FOCUS_AREA_SET = "rounds.focus_area_set"

MIN_LENGTH = 1
MAX_LENGTH = 400
MIN_WEIGHT = Decimal(0)
MAX_WEIGHT = Decimal(100)

DurationKey = tuple[str, str]  # (kind, stage)
Duration = tuple[int, str]  # (length, unit)


# --- holidays ----------------------------------------------------------------------------


@transaction.atomic
def holiday_delete(*, actor: User, holiday: HolidayOverride) -> None:
    """Remove one entry of the holiday table (the day falls back to official data or
    the weekday rule)."""
    holiday = HolidayOverride.objects.select_for_update().get(pk=holiday.pk)
    audit.record(
        actor=actor,
        event_type=AuditEventType.HOLIDAY_SET,
        obj=holiday,
        before={
            "day": holiday.day.isoformat(),
            "is_workday": holiday.is_workday,
            "name": holiday.name,
        },
        extra={"deleted": True},
    )
    holiday.delete()


# --- stage durations ---------------------------------------------------------------------


def _label(kind: str, stage: str) -> dict[str, Any]:
    return {"kind": RoundKind(kind).label, "stage": Stage(stage).label}


def duration_errors(changes: Mapping[DurationKey, Duration]) -> list[ValidationError]:
    """Every problem in ``changes``, each naming the kind of round and the stage
    (``params`` carries the codes, so a form can put it on the right cell)."""
    errors: list[ValidationError] = []
    scheduled = set(services.SCHEDULED_STAGES)
    for (kind, stage), (length, unit) in changes.items():
        if kind not in RoundKind.values or stage not in scheduled:
            errors.append(
                ValidationError(
                    _("There is no stage %(stage)s for %(kind)s rounds.")
                    % {"kind": kind, "stage": stage},
                    code="unknown",
                    params={"kind_code": kind, "stage_code": stage},
                )
            )
            continue
        names = _label(kind, stage)
        if isinstance(length, bool) or not isinstance(length, int):
            errors.append(
                ValidationError(
                    _("%(stage)s of %(kind)s rounds: the length must be a whole number.") % names,
                    code="invalid",
                    params={"kind_code": kind, "stage_code": stage},
                )
            )
        elif not MIN_LENGTH <= length <= MAX_LENGTH:
            errors.append(
                ValidationError(
                    _(
                        "%(stage)s of %(kind)s rounds: the length must be between "
                        "%(min)s and %(max)s, not %(value)s."
                    )
                    % {**names, "min": MIN_LENGTH, "max": MAX_LENGTH, "value": length},
                    code="out_of_range",
                    params={"kind_code": kind, "stage_code": stage},
                )
            )
        if unit not in StageDuration.Unit.values:
            errors.append(
                ValidationError(
                    _("%(stage)s of %(kind)s rounds: unknown unit.") % names,
                    code="unit",
                    params={"kind_code": kind, "stage_code": stage},
                )
            )
    return errors


@transaction.atomic
def durations_set(*, actor: User, changes: Mapping[DurationKey, Duration]) -> list[dict[str, Any]]:
    """Set the default length and unit of stages, all or nothing.

    ``changes`` maps (kind, stage) to (length, unit); entries equal to the stored value
    are ignored. Returns the changes made (kind, stage, before, after), recorded in one
    audit event; nothing is recorded when nothing changed."""
    errors = duration_errors(changes)
    if errors:
        raise ValidationError(errors)
    existing = {
        (d.kind, d.stage): d
        for d in StageDuration.objects.select_for_update().filter(
            kind__in={k for k, _s in changes}, stage__in={s for _k, s in changes}
        )
    }
    made: list[dict[str, Any]] = []
    to_update: list[StageDuration] = []
    to_create: list[StageDuration] = []
    for (kind, stage), (length, unit) in sorted(changes.items()):
        row = existing.get((kind, stage))
        before = {"length": row.length, "unit": row.unit} if row is not None else None
        after = {"length": length, "unit": unit}
        if before == after:
            continue
        if row is None:
            to_create.append(StageDuration(kind=kind, stage=stage, length=length, unit=unit))
        else:
            row.length, row.unit = length, unit
            to_update.append(row)
        made.append({"kind": kind, "stage": stage, "before": before, "after": after})
    if not made:
        return []
    StageDuration.objects.bulk_update(to_update, ["length", "unit"])
    StageDuration.objects.bulk_create(to_create)
    audit.record(
        actor=actor,
        event_type=DURATIONS_SET,
        object_type="rounds.stageduration",
        object_repr="stage durations",
        before={f"{c['kind']}/{c['stage']}": c["before"] for c in made},
        after={f"{c['kind']}/{c['stage']}": c["after"] for c in made},
        extra={"changes": len(made)},
    )
    return made


# --- focus areas -------------------------------------------------------------------------


@transaction.atomic
def focus_area_create(*, actor: User, code: str, name_zh: str, name_en: str) -> FocusArea:
    code, name_zh, name_en = code.strip(), name_zh.strip(), name_en.strip()
    errors: dict[str, list[str]] = {}
    try:
        validate_slug(code)
    except ValidationError:
        errors["code"] = [_("Use only letters, digits, hyphens and underscores.")]
    if len(code) > 40:
        errors["code"] = [_("The code is at most 40 characters long.")]
    if not errors and FocusArea.objects.filter(code=code).exists():
        errors["code"] = [_("A focus area with this code exists already.")]
    if not name_zh:
        errors["name_zh"] = [_("Give the Chinese name.")]
    if not name_en:
        errors["name_en"] = [_("Give the English name.")]
    if errors:
        raise ValidationError(errors)
    area = FocusArea.objects.create(code=code, name_zh=name_zh, name_en=name_en)
    audit.record(
        actor=actor,
        event_type=FOCUS_AREA_SET,
        obj=area,
        after=audit.snapshot(area, ["code", "name_zh", "name_en", "is_active"]),
        extra={"created": True},
    )
    return area


@transaction.atomic
def focus_area_set_active(*, actor: User, area: FocusArea, is_active: bool) -> FocusArea:
    """Offer the focus area for new rounds again, or stop offering it (rounds that
    already name it keep it)."""
    area = FocusArea.objects.select_for_update().get(pk=area.pk)
    if area.is_active == is_active:
        return area
    before = area.is_active
    area.is_active = is_active
    area.save(update_fields=["is_active"])
    audit.record(
        actor=actor,
        event_type=FOCUS_AREA_SET,
        obj=area,
        before={"is_active": before},
        after={"is_active": is_active},
    )
    return area


# --- coverage priorities -----------------------------------------------------------------


def _weight(value: Decimal | float | int | str) -> Decimal:
    try:
        weight = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError({"weight": _("The priority must be a number.")}) from None
    if not weight.is_finite() or not MIN_WEIGHT <= weight <= MAX_WEIGHT:
        raise ValidationError(
            {
                "weight": _("The priority must be between %(min)s and %(max)s.")
                % {"min": MIN_WEIGHT, "max": MAX_WEIGHT}
            }
        )
    return weight.quantize(Decimal("0.01"))


@transaction.atomic
def priorities_set(
    *,
    actor: User,
    term: CommitteeTerm,
    organisations: Iterable[Organisation],
    weight: Decimal | float | int | str,
    note: str = "",
) -> int:
    """Give each organisation the same weight and note in the term's plan through
    ``services.priority_set`` (one audit event each); unchanged ones are skipped.
    Returns how many changed."""
    weight = _weight(weight)
    note = note.strip()
    targets = list({o.pk: o for o in organisations}.values())
    outside = [o.name for o in targets if not o.path.startswith(term.committee.path)]
    if outside:
        raise ValidationError(
            _("These organisations are not under the term's committee: %(names)s")
            % {"names": "、".join(outside)}
        )
    current = {
        p.organisation_id: (p.weight, p.note)
        for p in CoveragePriority.objects.filter(
            term=term, organisation__in=[o.pk for o in targets]
        )
    }
    changed = 0
    for organisation in targets:
        if current.get(organisation.pk) == (weight, note):
            continue
        if organisation.pk not in current and weight == 1 and not note:
            continue  # the default already
        services.priority_set(
            actor=actor, term=term, organisation=organisation, weight=weight, note=note
        )
        changed += 1
    return changed
