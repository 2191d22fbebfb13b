"""Changes to the inspector pool; each one transaction with its audit event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from xuncha.core import audit
from xuncha.core.models import AuditEventType, Organisation, Person, User
from xuncha.rounds.models import Round
from xuncha.talent.models import (
    Evaluation,
    InspectorProfile,
    Qualification,
    Specialty,
    TrainingRecord,
)


@transaction.atomic
def inspector_create(
    *,
    actor: User | None,
    person: Person,
    county: Organisation,
    specialties: Iterable[Specialty] = (),
    home_organisation: Organisation | None = None,
    home_post: str = "",
    leader_eligible: bool = False,
) -> InspectorProfile:
    if InspectorProfile.objects.filter(person=person).exists():
        raise ValidationError(_("%(name)s is already in the pool.") % {"name": person.name})
    profile = InspectorProfile.objects.create(
        person=person,
        county=county,
        home_organisation=home_organisation,
        home_post=home_post,
        leader_eligible=leader_eligible,
    )
    codes = [s.code for s in specialties]
    profile.specialties.set(list(specialties))
    audit.record(
        actor=actor,
        event_type=AuditEventType.INSPECTOR_CREATED,
        obj=profile,
        after={
            "person": person.pk,
            "county": county.pk,
            "specialties": codes,
            "leader_eligible": leader_eligible,
        },
    )
    return profile


@transaction.atomic
def qualification_grant(
    *, actor: User | None, profile: InspectorProfile, granted_on: dt.date, expires_on: dt.date
) -> Qualification:
    if expires_on <= granted_on:
        raise ValidationError({"expires_on": _("A qualification expires after it is granted.")})
    qualification = Qualification.objects.create(
        profile=profile, granted_on=granted_on, expires_on=expires_on, granted_by=actor
    )
    audit.record(
        actor=actor,
        event_type=AuditEventType.QUALIFICATION_GRANTED,
        obj=profile,
        after={"granted_on": granted_on.isoformat(), "expires_on": expires_on.isoformat()},
    )
    return qualification


@transaction.atomic
def training_record(
    *,
    actor: User | None,
    profile: InspectorProfile,
    course: str,
    hours: Decimal,
    date: dt.date,
    certificate: str = "",
) -> TrainingRecord:
    record = TrainingRecord.objects.create(
        profile=profile, course=course, hours=hours, date=date, certificate=certificate
    )
    audit.record(
        actor=actor,
        event_type=AuditEventType.TRAINING_RECORDED,
        obj=profile,
        after={"course": course, "hours": str(hours), "date": date.isoformat()},
    )
    return record


EVALUATION_FIELDS = (
    "score",
    "grade",
    "leader_comments",
    "office_comments",
    "remove_from_pool",
    "reason",
)


@transaction.atomic
def evaluation_record(
    *,
    actor: User | None,
    profile: InspectorProfile,
    round_: Round,
    score: int,
    grade: str,
    leader_comments: str = "",
    office_comments: str | None = None,
    remove_from_pool: bool | None = None,
    reason: str | None = None,
) -> Evaluation:
    """Record (or update) the evaluation of ``profile`` after ``round_``.

    The office's fields (``office_comments``, ``remove_from_pool``, ``reason``) left as
    ``None`` keep their stored values on an update (empty on a new evaluation), so a team
    leader's update never clears the office's decision. A removal takes the inspector out
    of the pool; withdrawing the removal that took them out puts them back."""
    if not 0 <= score <= 100:
        raise ValidationError({"score": _("The score is between 0 and 100.")})
    if grade not in Evaluation.Grade.values:
        raise ValidationError({"grade": _("Choose a grade.")})
    evaluation = (
        Evaluation.objects.select_for_update().filter(profile=profile, round=round_).first()
    )
    before = audit.snapshot(evaluation, EVALUATION_FIELDS) if evaluation else None
    # The reason this evaluation took the inspector out of the pool, if it did.
    removed_by_it = before["reason"] if before and before["remove_from_pool"] else None
    if evaluation is None:
        evaluation = Evaluation(profile=profile, round=round_)
    evaluation.score = score
    evaluation.grade = grade
    evaluation.leader_comments = leader_comments.strip()
    if office_comments is not None:
        evaluation.office_comments = office_comments.strip()
    if remove_from_pool is not None:
        evaluation.remove_from_pool = remove_from_pool
    if reason is not None:
        evaluation.reason = reason.strip()
    if evaluation.remove_from_pool and not evaluation.reason:
        raise ValidationError({"reason": _("Removing someone from the pool needs a reason.")})
    evaluation.evaluated_by = actor
    evaluation.save()

    profile_before = {"in_pool": profile.in_pool, "removed_reason": profile.removed_reason}
    ours = removed_by_it is not None and profile.removed_reason == removed_by_it
    if evaluation.remove_from_pool and (profile.in_pool or ours):
        profile.in_pool = False
        profile.removed_reason = evaluation.reason
    elif not evaluation.remove_from_pool and not profile.in_pool and ours:
        # Withdrawing the removal this evaluation made (and no other) restores the inspector.
        profile.in_pool = True
        profile.removed_reason = ""
    profile_after = {"in_pool": profile.in_pool, "removed_reason": profile.removed_reason}
    if profile_after != profile_before:
        profile.save(update_fields=["in_pool", "removed_reason"])
    round_id = getattr(round_, "pk", None)
    audit.record(
        actor=actor,
        event_type=AuditEventType.EVALUATION_RECORDED,
        obj=profile,
        before={"round": round_id, **before, "profile": profile_before} if before else None,
        after={
            "round": round_id,
            **audit.snapshot(evaluation, EVALUATION_FIELDS),
            "profile": profile_after,
        },
    )
    return evaluation
