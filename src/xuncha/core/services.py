"""State changes of the core records. Each is one transaction with its audit event.

Arguments are keyword-only and ``actor`` is required (``None`` only for the system,
e.g. the demo loader). Services assume the caller checked permissions through
``xuncha.core.policy`` and validated input through a form; they still refuse changes
that would break the records (a cycle in the tree, an invalid ID number).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from xuncha.core import audit
from xuncha.core.lib import idnumber
from xuncha.core.models import (
    AuditEventType,
    Kinship,
    LoginThrottle,
    Organisation,
    OrganisationChange,
    Person,
    Post,
    Role,
    RoleGrant,
    User,
)

ORGANISATION_FIELDS = ("name", "code", "kind", "parent", "committee", "is_active", "merged_into")
PERSON_FIELDS = ("name", "registry", "gender", "birth_date", "ethnicity", "hometown", "retired_on")
POST_FIELDS = (
    "person",
    "organisation",
    "title",
    "is_leadership",
    "is_key_post",
    "start_date",
    "end_date",
)
USER_FIELDS = ("username", "person", "registry", "is_active", "email")


def _today() -> dt.date:
    return timezone.localdate()


# --- organisations -----------------------------------------------------------------


def _set_path(org: Organisation) -> None:
    parent = org.parent
    org.path = f"{parent.path if parent else '/'}{org.pk}/"
    org.depth = (parent.depth + 1) if parent else 0


@transaction.atomic
def organisation_create(
    *,
    actor: User | None,
    name: str,
    code: str,
    kind: str,
    parent: Organisation | None,
    committee: Organisation | None = None,
    effective_date: dt.date | None = None,
) -> Organisation:
    org = Organisation.objects.create(
        name=name, code=code, kind=kind, parent=parent, committee=committee
    )
    _set_path(org)
    org.save(update_fields=["path", "depth"])
    OrganisationChange.objects.create(
        organisation=org,
        kind=OrganisationChange.Kind.CREATED,
        to_parent=parent,
        effective_date=effective_date or _today(),
    )
    audit.record(
        actor=actor,
        event_type=AuditEventType.ORGANISATION_CREATED,
        obj=org,
        after=audit.snapshot(org, ORGANISATION_FIELDS),
    )
    return org


@transaction.atomic
def organisation_update(
    *,
    actor: User | None,
    organisation: Organisation,
    name: str,
    code: str,
    kind: str,
    committee: Organisation | None,
) -> Organisation:
    before = audit.snapshot(organisation, ORGANISATION_FIELDS)
    organisation.name, organisation.code, organisation.kind = name, code, kind
    organisation.committee = committee
    organisation.save(update_fields=["name", "code", "kind", "committee"])
    after = audit.snapshot(organisation, ORGANISATION_FIELDS)
    OrganisationChange.objects.create(
        organisation=organisation,
        kind=OrganisationChange.Kind.UPDATED,
        details={"before": before, "after": after},
        effective_date=_today(),
    )
    audit.record(
        actor=actor,
        event_type=AuditEventType.ORGANISATION_UPDATED,
        obj=organisation,
        before=before,
        after=after,
    )
    return organisation


def _rewrite_subtree_paths(old_path: str, new_path: str, depth_delta: int) -> None:
    """Replace the ``old_path`` prefix of every descendant (one UPDATE)."""
    Organisation.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + depth_delta,
    )


@transaction.atomic
def organisation_move(
    *,
    actor: User | None,
    organisation: Organisation,
    new_parent: Organisation,
    effective_date: dt.date | None = None,
) -> Organisation:
    organisation.refresh_from_db()
    new_parent.refresh_from_db()
    if new_parent.path.startswith(organisation.path):
        raise ValidationError(_("An organisation cannot be moved under itself or its own subtree."))
    old_parent = organisation.parent
    before = audit.snapshot(organisation, ORGANISATION_FIELDS)
    old_path = organisation.path
    new_path = f"{new_parent.path}{organisation.pk}/"
    _rewrite_subtree_paths(old_path, new_path, new_parent.depth + 1 - organisation.depth)
    Organisation.objects.filter(pk=organisation.pk).update(parent=new_parent)
    organisation.refresh_from_db()
    OrganisationChange.objects.create(
        organisation=organisation,
        kind=OrganisationChange.Kind.MOVED,
        from_parent=old_parent,
        to_parent=new_parent,
        effective_date=effective_date or _today(),
    )
    audit.record(
        actor=actor,
        event_type=AuditEventType.ORGANISATION_MOVED,
        obj=organisation,
        before=before,
        after=audit.snapshot(organisation, ORGANISATION_FIELDS),
    )
    return organisation


@transaction.atomic
def organisation_merge(
    *,
    actor: User | None,
    source: Organisation,
    target: Organisation,
    effective_date: dt.date | None = None,
) -> Organisation:
    """Merge ``source`` into ``target``: its children move to ``target``; ``source``
    becomes inactive and keeps its posts and history (old records still point at it)."""
    source.refresh_from_db()
    target.refresh_from_db()
    if source.pk == target.pk or target.path.startswith(source.path):
        raise ValidationError(_("An organisation cannot be merged into itself or its subtree."))
    if not source.is_active:
        raise ValidationError(_("This organisation was already merged or dissolved."))
    when = effective_date or _today()
    for child in list(source.children.filter(is_active=True)):
        organisation_move(actor=actor, organisation=child, new_parent=target, effective_date=when)
    before = audit.snapshot(source, ORGANISATION_FIELDS)
    source.is_active = False
    source.merged_into = target
    source.save(update_fields=["is_active", "merged_into"])
    OrganisationChange.objects.create(
        organisation=source,
        kind=OrganisationChange.Kind.MERGED,
        merged_into=target,
        effective_date=when,
    )
    audit.record(
        actor=actor,
        event_type=AuditEventType.ORGANISATION_MERGED,
        obj=source,
        before=before,
        after=audit.snapshot(source, ORGANISATION_FIELDS),
    )
    return target


# --- people ------------------------------------------------------------------------


def _clean_id_number(raw: str | None) -> str | None:
    if raw is None or not str(raw).strip():
        return None
    try:
        return idnumber.normalise(raw)
    except idnumber.InvalidIdNumber as exc:
        raise ValidationError({"id_number": str(exc)}, code=exc.code) from None


@transaction.atomic
def person_create(
    *,
    actor: User | None,
    name: str,
    registry: Organisation,
    gender: str = "",
    birth_date: dt.date | None = None,
    id_number: str | None = None,
    ethnicity: str = "",
    hometown: Organisation | None = None,
    retired_on: dt.date | None = None,
) -> Person:
    number = _clean_id_number(id_number)
    if number is not None:
        parsed = idnumber.parse(number)
        birth_date = birth_date or parsed.birth_date
        gender = gender or parsed.gender
    person = Person(
        name=name.strip(),
        registry=registry,
        gender=gender,
        birth_date=birth_date,
        id_number=number,
        ethnicity=ethnicity,
        hometown=hometown,
        retired_on=retired_on,
    )
    person.full_clean()
    person.save()
    # The ID number is protected data: the audit records that it was set, not its value.
    audit.record(
        actor=actor,
        event_type=AuditEventType.PERSON_CREATED,
        obj=person,
        after={**audit.snapshot(person, PERSON_FIELDS), "id_number_set": number is not None},
    )
    return person


@transaction.atomic
def person_update(*, actor: User | None, person: Person, **changes: Any) -> Person:
    allowed = set(PERSON_FIELDS) | {"id_number"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"person_update got unknown fields {sorted(unknown)}")
    before = audit.snapshot(person, PERSON_FIELDS)
    id_changed = False
    if "id_number" in changes:
        new_number = _clean_id_number(changes.pop("id_number"))
        id_changed = new_number != person.id_number
        person.id_number = new_number
    for field, value in changes.items():
        setattr(person, field, value)
    person.full_clean()
    person.save()
    audit.record(
        actor=actor,
        event_type=AuditEventType.PERSON_UPDATED,
        obj=person,
        before=before,
        after=audit.snapshot(person, PERSON_FIELDS),
        extra={"id_number_changed": id_changed},
    )
    return person


@transaction.atomic
def person_read_protected(*, actor: User, person: Person, purpose: str) -> dict[str, Any]:
    """Return protected fields of a person and audit the read."""
    audit.record(
        actor=actor,
        event_type=AuditEventType.PERSON_PROTECTED_READ,
        obj=person,
        extra={"fields": ["id_number"], "purpose": purpose},
    )
    return {"id_number": person.id_number or ""}


@transaction.atomic
def post_create(
    *,
    actor: User | None,
    person: Person,
    organisation: Organisation,
    title: str,
    start_date: dt.date,
    end_date: dt.date | None = None,
    is_leadership: bool = False,
    is_key_post: bool = False,
) -> Post:
    post = Post(
        person=person,
        organisation=organisation,
        title=title,
        start_date=start_date,
        end_date=end_date,
        is_leadership=is_leadership,
        is_key_post=is_key_post,
    )
    post.full_clean()
    post.save()
    audit.record(
        actor=actor,
        event_type=AuditEventType.POST_CREATED,
        obj=post,
        after=audit.snapshot(post, POST_FIELDS),
    )
    return post


@transaction.atomic
def post_end(*, actor: User | None, post: Post, end_date: dt.date) -> Post:
    if end_date < post.start_date:
        raise ValidationError({"end_date": _("A post cannot end before it starts.")})
    before = audit.snapshot(post, POST_FIELDS)
    post.end_date = end_date
    post.save(update_fields=["end_date"])
    audit.record(
        actor=actor,
        event_type=AuditEventType.POST_ENDED,
        obj=post,
        before=before,
        after=audit.snapshot(post, POST_FIELDS),
    )
    return post


@transaction.atomic
def kinship_create(
    *, actor: User | None, person: Person, relative: Person, relation: str
) -> Kinship:
    if person.pk == relative.pk:
        raise ValidationError(_("A person cannot be their own relative."))
    if Kinship.objects.filter(
        person__in=[person, relative], relative__in=[person, relative]
    ).exists():
        raise ValidationError(_("These two people are already linked."))
    link = Kinship(person=person, relative=relative, relation=relation)
    link.full_clean()
    link.save()
    audit.record(
        actor=actor,
        event_type=AuditEventType.KINSHIP_CREATED,
        obj=link,
        object_repr=f"{person} – {relative}",
        after={"person": person.pk, "relative": relative.pk, "relation": relation},
    )
    return link


@transaction.atomic
def kinship_delete(*, actor: User | None, link: Kinship) -> None:
    before = {"person": link.person_id, "relative": link.relative_id, "relation": link.relation}
    pk = link.pk
    link.delete()
    audit.record(
        actor=actor,
        event_type=AuditEventType.KINSHIP_DELETED,
        object_type="core.kinship",
        object_id=str(pk),
        before=before,
    )


# --- users and grants ----------------------------------------------------------------


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str | None,
    person: Person | None = None,
    registry: Organisation | None = None,
    email: str = "",
) -> User:
    user = User(username=username, person=person, registry=registry, email=email)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    audit.record(
        actor=actor,
        event_type=AuditEventType.USER_CREATED,
        obj=user,
        after=audit.snapshot(user, USER_FIELDS),
    )
    return user


@transaction.atomic
def user_set_active(*, actor: User | None, user: User, is_active: bool) -> User:
    before = audit.snapshot(user, USER_FIELDS)
    user.is_active = is_active
    user.save(update_fields=["is_active"])
    audit.record(
        actor=actor,
        event_type=AuditEventType.USER_UPDATED,
        obj=user,
        before=before,
        after=audit.snapshot(user, USER_FIELDS),
    )
    return user


@transaction.atomic
def role_grant(
    *, actor: User | None, user: User, role: str, organisation: Organisation
) -> RoleGrant:
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if actor is not None and actor.pk == user.pk:
        # Separation of duties: nobody widens their own powers (e.g. an administrator
        # granting themselves the auditor role); another account manager must do it.
        raise ValidationError(_("You cannot grant a role to your own account."))
    existing = RoleGrant.objects.filter(
        user=user, role=role, organisation=organisation, revoked_at__isnull=True
    ).first()
    if existing is not None:
        return existing
    grant = RoleGrant.objects.create(
        user=user, role=role, organisation=organisation, granted_by=actor
    )
    audit.record(
        actor=actor,
        event_type=AuditEventType.ROLE_GRANTED,
        obj=grant,
        after={"user": user.pk, "role": role, "organisation": organisation.pk},
    )
    return grant


@transaction.atomic
def role_revoke(*, actor: User | None, grant: RoleGrant) -> RoleGrant:
    if grant.revoked_at is not None:
        return grant
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["revoked_at"])
    audit.record(
        actor=actor,
        event_type=AuditEventType.ROLE_REVOKED,
        obj=grant,
        before={"user": grant.user_id, "role": grant.role, "organisation": grant.organisation_id},
    )
    return grant


# --- sign-in ---------------------------------------------------------------------------


def login_lock_remaining(username: str) -> dt.datetime | None:
    """When the account name is locked, the time the lock ends; else ``None``."""
    throttle = LoginThrottle.objects.filter(username=username.lower()).first()
    if throttle and throttle.locked_until and throttle.locked_until > timezone.now():
        return throttle.locked_until
    return None


@transaction.atomic
def login_failed(*, username: str) -> dt.datetime | None:
    """Count a failed login; lock the name after too many. Returns the lock end, if any."""
    now = timezone.now()
    window = dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    throttle, _ = LoginThrottle.objects.select_for_update().get_or_create(
        username=username.lower()[:150]
    )
    if throttle.first_failure_at is None or now - throttle.first_failure_at > window:
        throttle.failures, throttle.first_failure_at = 0, now
    throttle.failures += 1
    locked = throttle.failures >= settings.LOGIN_FAILURE_LIMIT
    if locked:
        throttle.locked_until = now + window
    throttle.save()
    user = User.objects.filter(username=username).first()
    # A name that is no account is not written: it may be a password typed in the wrong box.
    object_id, object_repr = (str(user.pk), user.username) if user else ("", "")
    audit.record(
        actor=None,
        event_type=AuditEventType.LOGIN_FAILED,
        object_type="core.user",
        object_id=object_id,
        object_repr=object_repr,
        extra={"failures": throttle.failures, "known_account": user is not None},
    )
    if locked:
        audit.record(
            actor=None,
            event_type=AuditEventType.LOCKED_OUT,
            object_type="core.user",
            object_id=object_id,
            object_repr=object_repr,
            extra={"until": throttle.locked_until.isoformat() if throttle.locked_until else ""},
        )
        return throttle.locked_until
    return None


@transaction.atomic
def login_succeeded(*, user: User) -> None:
    LoginThrottle.objects.filter(username=user.username.lower()).delete()
    audit.record(actor=user, event_type=AuditEventType.LOGIN, obj=user)


@transaction.atomic
def logout_recorded(*, user: User) -> None:
    audit.record(actor=user, event_type=AuditEventType.LOGOUT, obj=user)


# --- reads of protected data that leave the system ------------------------------------


@transaction.atomic
def people_export_recorded(*, actor: User, fmt: str, filters: dict[str, Any]) -> None:
    audit.record(
        actor=actor,
        event_type=AuditEventType.PERSON_EXPORTED,
        object_type="core.person",
        extra={"format": fmt, "filters": filters},
    )


@transaction.atomic
def audit_export_recorded(*, actor: User, filters: dict[str, Any]) -> None:
    audit.record(
        actor=actor,
        event_type=AuditEventType.AUDIT_READ,
        object_type="core.auditevent",
        extra={"format": "csv", "filters": filters},
    )
