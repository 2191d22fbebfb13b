"""Changes to the inspector pool; each one transaction with its audit event."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from decimal import Decimal
from typing import TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from xuncha.core import audit
from xuncha.core.models import AuditEventType, Organisation, Person, User
from xuncha.rounds.models import STAGE_ORDER, Round, Stage, Team
from xuncha.talent.models import (
    Availability,
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
    """Grant a qualification. A grant that is not revoked and still runs on ``granted_on``
    is renewed by it: it now ends the day before (one qualification in force at a time, so
    suspending or revoking it means what it says). A grant starting on or after the new one
    cannot be cut so: refused."""
    if expires_on <= granted_on:
        raise ValidationError({"expires_on": _("A qualification expires after it is granted.")})
    InspectorProfile.objects.select_for_update().filter(pk=profile.pk).first()
    running = list(
        profile.qualifications.exclude(status=Qualification.Status.REVOKED)
        .filter(expires_on__gte=granted_on)
        .order_by("granted_on", "pk")
    )
    later = next((q for q in running if q.granted_on >= granted_on - dt.timedelta(days=1)), None)
    if later is not None:
        # Renewing it would leave it less than a day (it ends the day before the new one).
        earliest = max(q.granted_on for q in running) + dt.timedelta(days=2)
        raise ValidationError(
            {
                "granted_on": _(
                    "A qualification granted on %(day)s runs then: a new grant may start "
                    "on %(earliest)s at the earliest (revoke it first if it was recorded by "
                    "mistake)."
                )
                % {"day": later.granted_on.isoformat(), "earliest": earliest.isoformat()}
            }
        )
    day_before = granted_on - dt.timedelta(days=1)
    renewed = [{"qualification": q.pk, "expires_on": q.expires_on.isoformat()} for q in running]
    for q in running:
        q.expires_on = day_before
        q.save(update_fields=["expires_on"])
    qualification = Qualification.objects.create(
        profile=profile, granted_on=granted_on, expires_on=expires_on, granted_by=actor
    )
    # For the caller's message: the day the renewed grants now end (None: nothing renewed).
    qualification.renewed_until = day_before if renewed else None  # type: ignore[attr-defined]
    audit.record(
        actor=actor,
        event_type=AuditEventType.QUALIFICATION_GRANTED,
        obj=profile,
        before={"renewed": renewed} if renewed else None,
        after={
            "qualification": qualification.pk,
            "granted_on": granted_on.isoformat(),
            "expires_on": expires_on.isoformat(),
            **({"renewed_until": day_before.isoformat()} if renewed else {}),
        },
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
        after={
            "training": record.pk,
            "course": course,
            "hours": str(hours),
            "date": date.isoformat(),
            "certificate": certificate,
        },
    )
    return record


@transaction.atomic
def training_remove(*, actor: User | None, record: TrainingRecord) -> None:
    """Remove a training record entered by mistake (the audit event keeps what it said)."""
    profile = record.profile
    before = {
        "training": record.pk,
        "course": record.course,
        "hours": str(record.hours),
        "date": record.date.isoformat(),
        "certificate": record.certificate,
    }
    record.delete()
    audit.record(
        actor=actor, event_type=AuditEventType.TRAINING_REMOVED, obj=profile, before=before
    )


@transaction.atomic
def pool_export_recorded(*, actor: User, fmt: str, count: int, filters: dict[str, str]) -> None:
    """The pool left the system as a file (names, home posts, qualifications): audited with
    the filters that chose the rows and how many there were."""
    audit.record(
        actor=actor,
        event_type=AuditEventType.POOL_EXPORTED,
        object_type="talent.inspectorprofile",
        extra={"format": fmt, "count": count, "filters": filters},
    )


@transaction.atomic
def profile_read(*, actor: User, profile: InspectorProfile) -> None:
    """A profile holds the inspector's evaluations (scores, grades, the leader's and the
    office's comments) and declared conflicts (often about relatives): every read is
    logged, as a clue's is."""
    audit.record(actor=actor, event_type=AuditEventType.PROFILE_READ, obj=profile)


@transaction.atomic
def evaluations_read(*, actor: User, team: Team) -> None:
    """The evaluation page shows every member's evaluation: each look is logged."""
    audit.record(
        actor=actor,
        event_type=AuditEventType.EVALUATIONS_READ,
        obj=team,
        extra={"round": team.round_id},
    )


EVALUATION_FIELDS = (
    "score",
    "grade",
    "leader_comments",
    "office_comments",
    "remove_from_pool",
    "reason",
)
LEADER_FIELDS = ("score", "grade", "leader_comments")  # ``Evaluation.scored_by`` sets them
OFFICE_FIELDS = ("office_comments", "remove_from_pool", "reason")  # ``office_by``
EMPTY_OFFICE = {"office_comments": "", "remove_from_pool": False, "reason": ""}


# Members are evaluated once the team has finished its work on site.
EVALUATION_OPENS = Stage.REPORT


def evaluation_open(team: Team) -> bool:
    return STAGE_ORDER.index(team.stage) >= STAGE_ORDER.index(EVALUATION_OPENS)


# The score each grade takes, on the hundred-point scale (百分制) of common cadre
# evaluation: 优秀 90 and above, 良好 80–89, 合格 60–79, 不合格 below 60.
GRADE_BANDS: dict[str, tuple[int, int]] = {
    Evaluation.Grade.EXCELLENT: (90, 100),
    Evaluation.Grade.GOOD: (80, 89),
    Evaluation.Grade.PASS: (60, 79),
    Evaluation.Grade.FAIL: (0, 59),
}


def band_label(grade: str) -> str:
    """A grade's band in words: "90 or above", "80 to 89", "below 60"."""
    low, high = GRADE_BANDS[grade]
    if high == 100:
        return _("%(low)s or above") % {"low": low}
    if low == 0:
        return _("below %(limit)s") % {"limit": high + 1}
    return _("%(low)s to %(high)s") % {"low": low, "high": high}


def grade_bands() -> list[tuple[str, str]]:
    """(grade label, band) in the order of the grades, for the evaluation page."""
    return [(str(label), band_label(value)) for value, label in Evaluation.Grade.choices]


def grade_mismatch(score: int, grade: str) -> str | None:
    """Why ``score`` does not fit ``grade`` (None when it does, or the grade is unknown)."""
    if grade not in GRADE_BANDS:
        return None
    low, high = GRADE_BANDS[grade]
    if low <= score <= high:
        return None
    return _("A score of %(score)s does not fit the grade %(grade)s (%(band)s).") % {
        "score": score,
        "grade": Evaluation.Grade(grade).label,
        "band": band_label(grade),
    }


NEW_EVALUATION = "new"


def evaluation_version(
    evaluation: Evaluation | None, fields: tuple[str, ...] = EVALUATION_FIELDS
) -> str:
    """What an evaluation says in ``fields``, as a short digest: a form carries the version
    it showed, so a save over someone else's later change is noticed instead of undoing
    it. A leader's form covers only ``LEADER_FIELDS``: an office opinion the leader cannot
    see does not stop the leader's save (the save leaves it as it is)."""
    if evaluation is None:
        return NEW_EVALUATION
    data = json.dumps(audit.snapshot(evaluation, fields), sort_keys=True, default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


# Grades that say more than "as expected" need the leader's words for them.
GRADES_NEEDING_COMMENTS = ("excellent", "fail")


def comments_missing(grade: str, *comments: str) -> str:
    """The error when ``grade`` needs comments saying why (the leader's or the office's)
    and none of ``comments`` gives any, else ""."""
    if grade in GRADES_NEEDING_COMMENTS and not any(c.strip() for c in comments):
        return _("A grade of %(grade)s needs comments saying why.") % {
            "grade": Evaluation.Grade(grade).label
        }
    return ""


def _stale(evaluation: Evaluation | None) -> ValidationError:
    by = evaluation.evaluated_by if evaluation else None
    return ValidationError(
        _(
            "%(name)s saved this evaluation after you opened the page; it now shows what "
            "they saved. Make your change again."
        )
        % {"name": by.display_name() if by else _("Someone")},
        code="stale",
    )


@transaction.atomic
def evaluation_record(
    *,
    actor: User | None,
    profile: InspectorProfile,
    round_: Round,
    score: int,
    grade: str,
    leader_comments: str | None = "",
    office_comments: str | None = None,
    remove_from_pool: bool | None = None,
    reason: str | None = None,
    seen: str | None = None,
) -> Evaluation:
    """Record (or update) the evaluation of ``profile`` after ``round_``.

    The office's fields (``office_comments``, ``remove_from_pool``, ``reason``) left as
    ``None`` keep their stored values on an update (empty on a new evaluation), so a team
    leader's update never clears the office's decision; so does ``leader_comments=None``,
    which the office's form passes: the leader's comments are the leader's words. A
    removal takes the inspector out of the pool; withdrawing the removal that took them out
    puts them back.

    ``seen`` is the ``evaluation_version`` the user's form showed: when the evaluation has
    changed since (a leader and the office on the same page), the save is refused
    (code ``stale``) rather than overwrite what the other saved."""
    if not 0 <= score <= 100:
        raise ValidationError({"score": _("The score is between 0 and 100.")})
    if grade not in Evaluation.Grade.values:
        raise ValidationError({"grade": _("Choose a grade.")})
    mismatch = grade_mismatch(score, grade)
    if mismatch:
        raise ValidationError({"score": mismatch})
    evaluation = (
        Evaluation.objects.select_for_update().filter(profile=profile, round=round_).first()
    )
    office = office_comments is not None or remove_from_pool is not None or reason is not None
    if seen is not None and seen != evaluation_version(
        evaluation, EVALUATION_FIELDS if office else LEADER_FIELDS
    ):
        raise _stale(evaluation)
    before = audit.snapshot(evaluation, EVALUATION_FIELDS) if evaluation else None
    # The reason this evaluation took the inspector out of the pool, if it did.
    removed_by_it = before["reason"] if before and before["remove_from_pool"] else None
    if evaluation is None:
        evaluation = Evaluation(profile=profile, round=round_)
    evaluation.score = score
    evaluation.grade = grade
    if leader_comments is not None:
        evaluation.leader_comments = leader_comments.strip()
    if office_comments is not None:
        evaluation.office_comments = office_comments.strip()
    if remove_from_pool is not None:
        evaluation.remove_from_pool = remove_from_pool
    if reason is not None:
        evaluation.reason = reason.strip()
    if office and not evaluation.remove_from_pool:
        # The office's form: a reason without a removal would come back stale next time.
        evaluation.reason = ""
    if evaluation.remove_from_pool and not evaluation.reason:
        raise ValidationError({"reason": _("Removing someone from the pool needs a reason.")})
    if missing := comments_missing(grade, evaluation.leader_comments, evaluation.office_comments):
        # At the field the user could fill: the office's form has no leader's comments.
        field = "office_comments" if leader_comments is None else "leader_comments"
        raise ValidationError({field: missing})
    after = audit.snapshot(evaluation, EVALUATION_FIELDS)
    if before is None or any(after[f] != before[f] for f in LEADER_FIELDS):
        evaluation.scored_by = actor
    if any(after[f] != (before[f] if before else EMPTY_OFFICE[f]) for f in OFFICE_FIELDS):
        evaluation.office_by = actor
    evaluation.evaluated_by = actor
    try:
        with transaction.atomic():  # a savepoint: the other first save may win the race
            evaluation.save()
    except IntegrityError:
        # Two first evaluations at once: the one saved first stands, like a later change.
        raise _stale(
            Evaluation.objects.filter(profile=profile, round=round_)
            .select_related("evaluated_by__person")
            .first()
        ) from None

    profile_before = {"in_pool": profile.in_pool, "removed_reason": profile.removed_reason}
    # Pool membership follows a change of the decision, never its mere presence: once the
    # office has put someone back (on their profile), saving the evaluation again, e.g. a
    # leader's new comment, must not take them out again.
    ours = removed_by_it is not None and not profile.in_pool
    ours = ours and profile.removed_reason == removed_by_it
    if evaluation.remove_from_pool and removed_by_it is None:
        if profile.in_pool:
            profile.in_pool = False
            profile.removed_reason = evaluation.reason
    elif evaluation.remove_from_pool and ours:
        profile.removed_reason = evaluation.reason  # the reason reworded
    elif not evaluation.remove_from_pool and ours:
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


# -- maintaining a profile ------------------------------------------------------------------


class InspectorChanges(TypedDict, total=False):
    specialties: Iterable[Specialty]
    home_organisation: Organisation | None
    home_post: str
    leader_eligible: bool
    in_pool: bool
    removed_reason: str


INSPECTOR_FIELDS = (
    "home_organisation",
    "home_post",
    "leader_eligible",
    "in_pool",
    "removed_reason",
)


def _inspector_state(profile: InspectorProfile) -> dict[str, object]:
    return {
        **audit.snapshot(profile, INSPECTOR_FIELDS),
        "specialties": sorted(s.code for s in profile.specialties.all()),
    }


@transaction.atomic
def inspector_update(
    *, actor: User | None, profile: InspectorProfile, **changes: Unpack[InspectorChanges]
) -> InspectorProfile:
    """Change what is passed; the rest keeps its value. Taking the inspector out of the
    pool needs a reason; putting them back clears it. Nothing changed, nothing recorded."""
    profile.refresh_from_db(from_queryset=InspectorProfile.objects.select_for_update())
    before = _inspector_state(profile)
    if "home_organisation" in changes:
        profile.home_organisation = changes["home_organisation"]
    if "home_post" in changes:
        profile.home_post = changes["home_post"].strip()
    if "leader_eligible" in changes:
        profile.leader_eligible = changes["leader_eligible"]
    if "in_pool" in changes:
        profile.in_pool = changes["in_pool"]
    if "removed_reason" in changes:
        profile.removed_reason = changes["removed_reason"].strip()
    if profile.in_pool:
        profile.removed_reason = ""
    elif not profile.removed_reason:
        raise ValidationError(
            {"removed_reason": _("Removing someone from the pool needs a reason.")}
        )
    specialties = list(changes["specialties"]) if "specialties" in changes else None
    after = {
        **audit.snapshot(profile, INSPECTOR_FIELDS),
        "specialties": sorted(s.code for s in specialties)
        if specialties is not None
        else before["specialties"],
    }
    changed = [key for key in after if after[key] != before[key]]
    if not changed:
        return profile
    profile.save(update_fields=[f for f in INSPECTOR_FIELDS if f in changed])
    if specialties is not None and "specialties" in changed:
        profile.specialties.set(specialties)
    audit.record(
        actor=actor,
        event_type=AuditEventType.INSPECTOR_UPDATED,
        obj=profile,
        before={key: before[key] for key in changed},
        after={key: after[key] for key in changed},
    )
    return profile


# A revoked qualification stays revoked: the office grants a new one after new training.
QUALIFICATION_TRANSITIONS: dict[str, set[str]] = {
    Qualification.Status.GRANTED: {Qualification.Status.SUSPENDED, Qualification.Status.REVOKED},
    Qualification.Status.SUSPENDED: {Qualification.Status.GRANTED, Qualification.Status.REVOKED},
    Qualification.Status.REVOKED: set(),
}


@transaction.atomic
def qualification_status_set(
    *, actor: User | None, qualification: Qualification, status: str
) -> Qualification:
    """Suspend, reinstate or revoke a qualification."""
    qualification.refresh_from_db(from_queryset=Qualification.objects.select_for_update())
    if status not in Qualification.Status.values:
        raise ValidationError({"status": _("Choose a status.")})
    old = qualification.status
    if status == old:
        raise ValidationError(
            {
                "status": _("The qualification is already %(status)s.")
                % {"status": Qualification.Status(status).label}
            }
        )
    if status not in QUALIFICATION_TRANSITIONS[old]:
        raise ValidationError(
            {"status": _("A revoked qualification stays revoked: grant a new one.")}
        )
    qualification.status = status
    qualification.save(update_fields=["status"])
    audit.record(
        actor=actor,
        event_type=AuditEventType.QUALIFICATION_STATUS_SET,
        obj=qualification.profile,
        before={"qualification": qualification.pk, "status": old},
        after={"qualification": qualification.pk, "status": status},
    )
    return qualification


def _window(window: Availability) -> dict[str, object]:
    return {
        "window": window.pk,
        "start_date": window.start_date.isoformat(),
        "end_date": window.end_date.isoformat(),
        "note": window.note,
    }


@transaction.atomic
def availability_add(
    *,
    actor: User | None,
    profile: InspectorProfile,
    start_date: dt.date,
    end_date: dt.date,
    note: str = "",
) -> Availability:
    if end_date < start_date:
        raise ValidationError({"end_date": _("A window cannot end before it starts.")})
    # Locked so that two windows added at once cannot overlap each other unseen.
    InspectorProfile.objects.select_for_update().filter(pk=profile.pk).first()
    overlapping = (
        Availability.objects.filter(
            profile=profile, start_date__lte=end_date, end_date__gte=start_date
        )
        .order_by("start_date")
        .first()
    )
    if overlapping is not None:
        raise ValidationError(
            {
                "start_date": _(
                    "This overlaps the window from %(start)s to %(end)s already recorded: "
                    "record only the days it does not cover, or remove it first."
                )
                % {
                    "start": overlapping.start_date.isoformat(),
                    "end": overlapping.end_date.isoformat(),
                }
            }
        )
    window = Availability.objects.create(
        profile=profile, start_date=start_date, end_date=end_date, note=note.strip()
    )
    audit.record(
        actor=actor,
        event_type=AuditEventType.AVAILABILITY_SET,
        obj=profile,
        after=_window(window),
    )
    return window


@transaction.atomic
def availability_remove(*, actor: User | None, window: Availability) -> None:
    before = _window(window)
    profile = window.profile
    window.delete()
    audit.record(
        actor=actor, event_type=AuditEventType.AVAILABILITY_SET, obj=profile, before=before
    )
