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


@transaction.atomic
def evaluation_record(
    *,
    actor: User | None,
    profile: InspectorProfile,
    round_: Round,
    score: int,
    grade: str,
    leader_comments: str = "",
    office_comments: str = "",
    remove_from_pool: bool = False,
    reason: str = "",
) -> Evaluation:
    """Record an evaluation after a round; a removal decision takes the inspector out."""
    if remove_from_pool and not reason.strip():
        raise ValidationError({"reason": _("Removing someone from the pool needs a reason.")})
    if not 0 <= score <= 100:
        raise ValidationError({"score": _("The score is between 0 and 100.")})
    evaluation = Evaluation.objects.create(
        profile=profile,
        round=round_,
        score=score,
        grade=grade,
        leader_comments=leader_comments,
        office_comments=office_comments,
        remove_from_pool=remove_from_pool,
        reason=reason.strip(),
        evaluated_by=actor,
    )
    if remove_from_pool and profile.in_pool:
        profile.in_pool = False
        profile.removed_reason = reason.strip()
        profile.save(update_fields=["in_pool", "removed_reason"])
    audit.record(
        actor=actor,
        event_type=AuditEventType.EVALUATION_RECORDED,
        obj=profile,
        after={
            "round": getattr(round_, "pk", None),
            "score": score,
            "grade": grade,
            "remove_from_pool": remove_from_pool,
            "reason": reason.strip(),
        },
    )
    return evaluation
