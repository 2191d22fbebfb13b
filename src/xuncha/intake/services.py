"""The public channel's core services: staff keys, channels, submissions, receipts,
reading and the receipt thread. Every change is one transaction with its audit event;
every decryption by staff is an audit event (identity separately from content).

Nothing here takes or stores request metadata: the public views pass only what the
submitter typed and the files they chose.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import tempfile
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from xuncha.core import audit, policy
from xuncha.core.models import AuditEventType as E
from xuncha.core.models import Role, RoleGrant, User
from xuncha.intake import permissions
from xuncha.intake.lib import attachments as attachment_lib
from xuncha.intake.lib import receipts, sealing
from xuncha.intake.models import (
    CLOSED_STATUSES,
    Attachment,
    Channel,
    Kind,
    Message,
    Report,
    ReportKey,
    Source,
    Status,
    UserKey,
)
from xuncha.rounds.models import Stage, Team

# --- costs and salts ---------------------------------------------------------------------


def key_cost() -> sealing.Cost:
    if settings.INTAKE_ARGON2 == "minimum":
        import nacl.pwhash

        return sealing.Cost(nacl.pwhash.argon2id.OPSLIMIT_MIN, nacl.pwhash.argon2id.MEMLIMIT_MIN)
    return sealing.Cost()


def _receipt_cost() -> dict[str, int]:
    cost = key_cost()
    return {"opslimit": cost.opslimit, "memlimit": cost.memlimit}


def _receipt_salt() -> bytes:
    return hashlib.blake2b(
        settings.INTAKE_SECRET.encode("utf-8"), digest_size=16, person=b"xuncha-receipt"
    ).digest()


def receipt_derive(code: str) -> tuple[str, bytes]:
    """(digest, submitter key) of a receipt; raises receipts.InvalidReceipt."""
    return receipts.derive(code, _receipt_salt(), **_receipt_cost())


# --- staff keys --------------------------------------------------------------------------


def may_hold_keys(user: User) -> bool:
    return policy.can(user, permissions.INTAKE_VIEW)


def _store_keys(user: User, keys: sealing.UserKeys) -> UserKey:
    wrapped = keys.by_password
    key, _created = UserKey.objects.update_or_create(
        user=user,
        defaults={
            "public_key": keys.public_key,
            "salt": wrapped.salt,
            "opslimit": wrapped.opslimit,
            "memlimit": wrapped.memlimit,
            "by_password": wrapped.box,
            "by_recovery": keys.by_recovery,
        },
    )
    return key


def _wrapped(key: UserKey) -> sealing.WrappedKey:
    return sealing.WrappedKey(bytes(key.salt), key.opslimit, key.memlimit, bytes(key.by_password))


@dataclass
class Unlocked:
    """What signing in did to the user's keys."""

    private_key: bytes | None = None
    recovery_key: str | None = None  # new keys: show once
    locked: bool = False  # the password no longer opens the stored key


def keys_on_password(*, user: User, password: str) -> Unlocked:
    """At sign-in: create the user's keys (first time) or unwrap them. The Argon2id work
    runs outside any transaction (on SQLite a transaction holds the write lock); a key
    pair another sign-in stored meanwhile wins and is unwrapped instead."""
    if not may_hold_keys(user):
        return Unlocked()
    stored = UserKey.objects.filter(user=user).first()
    if stored is None:
        keys = sealing.new_user_keys(password, key_cost())
        with transaction.atomic():
            if not UserKey.objects.select_for_update().filter(user=user).exists():
                _store_keys(user, keys)
                audit.record(actor=user, event_type=E.INTAKE_KEYS_CREATED, obj=user)
                private = sealing.recover_private_key(keys.by_recovery, keys.recovery_key)
                return Unlocked(private_key=private, recovery_key=keys.recovery_key)
        stored = UserKey.objects.get(user=user)
    try:
        return Unlocked(private_key=sealing.unwrap_private_key(_wrapped(stored), password))
    except sealing.DecryptionFailed:
        return Unlocked(locked=True)


def keys_recover(*, user: User, recovery_key: str, password: str) -> bytes:
    """Unlock with the recovery key after a password reset; wrap under the new password
    (Argon2id outside the transaction, as at sign-in)."""
    stored = UserKey.objects.get(user=user)
    private = sealing.recover_private_key(bytes(stored.by_recovery), recovery_key)
    wrapped = sealing.wrap_private_key(private, password, key_cost())
    with transaction.atomic():
        UserKey.objects.filter(pk=stored.pk).update(
            salt=wrapped.salt,
            opslimit=wrapped.opslimit,
            memlimit=wrapped.memlimit,
            by_password=wrapped.box,
            updated_at=timezone.now(),
        )
        audit.record(actor=user, event_type=E.INTAKE_KEYS_RECOVERED, obj=user)
    return private


def keys_replace(*, user: User, password: str) -> Unlocked:
    """New keys for a user who lost both password and recovery key. Reports sealed to
    the old key become readable again when a colleague re-shares them."""
    keys = sealing.new_user_keys(password, key_cost())
    with transaction.atomic():
        _store_keys(user, keys)
        ReportKey.objects.filter(user=user).delete()
        audit.record(actor=user, event_type=E.INTAKE_KEYS_REPLACED, obj=user)
    private = sealing.recover_private_key(keys.by_recovery, keys.recovery_key)
    return Unlocked(private_key=private, recovery_key=keys.recovery_key)


# --- who a report is sealed to -------------------------------------------------------


def recipients(team: Team) -> QuerySet[User]:
    """Active users authorised to read the team's channel who have keys: the team's
    members (role history of the round) and the office staff of the round's committee
    or a committee above it."""
    committee_path = team.round.committee.path
    office_paths = [committee_path[:i] for i in range(1, len(committee_path) + 1)]
    office = RoleGrant.objects.filter(
        role=Role.OFFICE_STAFF, revoked_at__isnull=True, organisation__path__in=office_paths
    ).values("user_id")
    from xuncha.talent.models import RoundRole

    members = RoundRole.objects.filter(team=team).values("profile__person_id")
    return User.objects.filter(
        Q(pk__in=office) | Q(person_id__in=members),
        is_active=True,
        intake_key__isnull=False,
    ).select_related("intake_key")


def _seal_to(report: Report, report_key: bytes, users: Iterable[User]) -> int:
    rows = [
        ReportKey(
            report=report,
            user=user,
            sealed=sealing.seal_key(report_key, bytes(user.intake_key.public_key)),
        )
        for user in users
    ]
    ReportKey.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def reshare_pending(*, user: User, private_key: bytes, teams: Iterable[Team] | None = None) -> int:
    """Seal report keys ``user`` can open to authorised colleagues who lack them, and drop
    shares of users no longer authorised. Returns how many keys were sealed."""
    held = ReportKey.objects.filter(user=user).select_related("report__channel__team__round")
    if teams is not None:
        held = held.filter(report__channel__team__in=list(teams))
    sealed = 0
    by_team: dict[int, list[ReportKey]] = {}
    for share in held:
        by_team.setdefault(share.report.channel.team_id, []).append(share)
    for shares in by_team.values():
        team = shares[0].report.channel.team
        allowed = {u.pk: u for u in recipients(team)}
        report_ids = [s.report_id for s in shares]
        existing: dict[int, set[int]] = {}
        for report_id, user_id in ReportKey.objects.filter(report_id__in=report_ids).values_list(
            "report_id", "user_id"
        ):
            existing.setdefault(report_id, set()).add(user_id)
        with transaction.atomic():
            ReportKey.objects.filter(report_id__in=report_ids).exclude(
                user_id__in=list(allowed)
            ).exclude(user=user).delete()
            for share in shares:
                missing = [u for pk, u in allowed.items() if pk not in existing[share.report_id]]
                if not missing:
                    continue
                try:
                    report_key = sealing.open_key(bytes(share.sealed), private_key)
                except sealing.DecryptionFailed:
                    continue
                sealed += _seal_to(share.report, report_key, missing)
            if sealed:
                audit.record(
                    actor=user,
                    event_type=E.INTAKE_KEYS_SHARED,
                    object_type="rounds.team",
                    object_id=str(team.pk),
                    object_repr=str(team)[:200],
                    extra={"keys": sealed},
                )
    return sealed


# --- channels ----------------------------------------------------------------------------

CHANNEL_FIELDS = (
    "introduction",
    "accepts",
    "elsewhere",
    "phone",
    "mailbox",
    "station",
    "starts_on",
    "ends_on",
    "places",
    "talk_hours",
)
_SLUG_ALPHABET = receipts.ALPHABET.lower()


def _new_slug() -> str:
    while True:
        slug = "".join(secrets.choice(_SLUG_ALPHABET) for _ in range(6))
        if not Channel.objects.filter(slug=slug).exists():
            return slug


def _default_texts(team: Team) -> dict[str, Any]:
    targets = "、".join(t.name for t in team.targets.all())
    round_ = team.round
    stationed = round_.stages.filter(stage=Stage.STATIONING).first()
    return {
        "introduction": _("%(team)s of %(round)s is stationed at %(targets)s.")
        % {"team": team.name, "round": round_.name, "targets": targets or "—"},
        "accepts": _(
            "Problems with the leadership and cadres of the units inspected: breaches of the "
            "Party's discipline, misuse of public money, benefits or projects, favours in "
            "appointments, formalism and bureaucratism."
        ),
        "elsewhere": _(
            "Court cases, lawsuits and personal or family disputes belong to the courts, "
            "the petition office or the township; matters of other units go to their own "
            "departments. The team will tell you where to turn."
        ),
        "starts_on": stationed.start_date if stationed else None,
        "ends_on": stationed.end_date if stationed else None,
    }


@transaction.atomic
def channel_ensure(*, actor: User | None, team: Team) -> Channel:
    """The team's channel, created closed with default texts on first use."""
    existing = Channel.objects.filter(team=team).first()
    if existing is not None:
        return existing
    channel = Channel.objects.create(team=team, slug=_new_slug(), **_default_texts(team))
    audit.record(
        actor=actor,
        event_type=E.INTAKE_CHANNEL_SET,
        obj=channel,
        after=audit.snapshot(channel, ("slug", *CHANNEL_FIELDS)),
    )
    return channel


@transaction.atomic
def channel_update(*, actor: User, channel: Channel, **values: Any) -> Channel:
    """Change the channel's texts and talk settings (only those fields: the row is read
    afresh under a lock, so a report numbered meanwhile is not undone)."""
    unknown = set(values) - set(CHANNEL_FIELDS)
    if unknown:
        raise ValueError(f"not channel fields: {sorted(unknown)}")
    locked = Channel.objects.select_for_update().get(pk=channel.pk)
    before = audit.snapshot(locked, CHANNEL_FIELDS)
    for name, value in values.items():
        setattr(locked, name, value)
    if locked.starts_on and locked.ends_on and locked.ends_on < locked.starts_on:
        raise ValidationError({"ends_on": _("The end is before the start.")})
    locked.save(update_fields=list(values))
    for name in values:
        setattr(channel, name, getattr(locked, name))
    audit.record(
        actor=actor,
        event_type=E.INTAKE_CHANNEL_SET,
        obj=locked,
        before=before,
        after=audit.snapshot(locked, CHANNEL_FIELDS),
    )
    return locked


@transaction.atomic
def channel_open(*, actor: User, channel: Channel, is_open: bool = True) -> Channel:
    """Open (or close) the channel. Opening needs someone with keys to read reports, and
    records the round's "public contact channels published" milestone for the team."""
    if is_open and not recipients(channel.team).exists():
        raise ValidationError(
            _(
                "Nobody authorised for this team has keys yet: a member or office staff must "
                "sign in once before the channel opens, or reports could not be read."
            )
        )
    given, channel = channel, Channel.objects.select_for_update().get(pk=channel.pk)
    channel.is_open = is_open
    if is_open and channel.opened_at is None:
        channel.opened_at = timezone.now()
        from xuncha.rounds import services as round_services
        from xuncha.rounds.models import Milestone

        if not Milestone.objects.filter(
            team=channel.team, kind=Milestone.Kind.CHANNELS_PUBLISHED
        ).exists():
            round_services.milestone_record(
                actor=actor,
                round_=channel.team.round,
                team=channel.team,
                kind=Milestone.Kind.CHANNELS_PUBLISHED,
                date=timezone.localdate(),
                note=f"/t/{channel.slug}/",
            )
    channel.save(update_fields=["is_open", "opened_at"])
    given.is_open, given.opened_at = channel.is_open, channel.opened_at
    audit.record(
        actor=actor,
        event_type=E.INTAKE_CHANNEL_OPENED if is_open else E.INTAKE_CHANNEL_CLOSED,
        obj=channel,
    )
    return channel


# --- submissions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


@dataclass
class Submission:
    """What a submitter (or staff for a letter, call or visit) gives, already validated
    by the form: ``content`` and ``identity`` are plain dicts of strings (and lists)."""

    kind: str
    category: str
    content: dict[str, Any]
    identity: dict[str, str] | None = None
    files: Sequence[Upload] = field(default_factory=tuple)


def _blob_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "intake"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write_blob(data: bytes, written: list[Path]) -> str:
    name = f"{uuid.uuid4().hex}.bin"
    target = _blob_dir() / name
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temporary, target)
    written.append(target)
    return name


def read_blob(name: str) -> bytes:
    if not name or "/" in name or name.startswith("."):
        raise FileNotFoundError(name)
    return (_blob_dir() / name).read_bytes()


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the checks, with its kind and (images) its viewable copy."""

    upload: Upload
    kind: attachment_lib.Sniffed
    preview: bytes | None


def check_files(files: Sequence[Upload]) -> list[CheckedFile]:
    """Limits and the allow-list, before anything is written (ValidationError). Images
    are re-encoded here, once, outside any transaction."""
    if len(files) > settings.INTAKE_MAX_FILES:
        raise ValidationError(
            ngettext(
                "At most %(n)d file can be attached.",
                "At most %(n)d files can be attached.",
                settings.INTAKE_MAX_FILES,
            )
            % {"n": settings.INTAKE_MAX_FILES}
        )
    limit = settings.INTAKE_MAX_FILE_MB * 1024 * 1024
    checked = []
    for upload in files:
        if len(upload.data) > limit:
            raise ValidationError(
                _("“%(name)s” is larger than %(mb)d MB.")
                % {"name": upload.name, "mb": settings.INTAKE_MAX_FILE_MB}
            )
        try:
            kind = attachment_lib.sniff(upload.data)
            preview = (
                attachment_lib.viewable_image(upload.data)[0] if kind.kind == "image" else None
            )
        except attachment_lib.Rejected as exc:
            raise ValidationError(_reject_message(upload.name, exc.code)) from None
        checked.append(CheckedFile(upload, kind, preview))
    return checked


def _reject_message(name: str, code: str) -> str:
    if code == "empty":
        return _("“%(name)s” is empty.") % {"name": name}
    if code in ("damaged", "too_large_image"):
        return _("“%(name)s” could not be read as the kind of file it claims to be.") % {
            "name": name
        }
    if code == "macros":
        return _("“%(name)s” contains macros; save it without macros and try again.") % {
            "name": name
        }
    return _(
        "“%(name)s” is not a kind of file the team accepts (photos, PDF, Word or Excel "
        "files, plain text, sound or video recordings)."
    ) % {"name": name}


def _store_files(
    report: Report,
    report_key: bytes,
    files: Sequence[CheckedFile],
    message: Message | None,
    now: dt.datetime,
    written: list[Path],
) -> None:
    for checked in files:
        upload, kind = checked.upload, checked.kind
        attachment = Attachment.objects.create(
            report=report,
            message=message,
            kind=kind.kind,
            content_type=kind.content_type,
            size=len(upload.data),
            name=b"",
            blob="",
            created_at=now,
        )
        context = f"intake.attachment:{attachment.pk}"
        attachment.name = sealing.encrypt(
            report_key, upload.name[:200].encode("utf-8"), context=f"{context}:name"
        )
        attachment.blob = _write_blob(
            sealing.encrypt(report_key, upload.data, context=f"{context}:original"), written
        )
        if checked.preview is not None:
            attachment.preview_blob = _write_blob(
                sealing.encrypt(report_key, checked.preview, context=f"{context}:preview"),
                written,
            )
        attachment.save(update_fields=["name", "blob", "preview_blob"])


def _encode(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")


def _hour(now: dt.datetime) -> dt.datetime:
    """Public submissions keep the hour, not the minute: less to match against."""
    return now.replace(minute=0, second=0, microsecond=0)


def submit(
    *,
    channel: Channel,
    submission: Submission,
    source: str = Source.WEB,
    actor: User | None = None,
    with_receipt: bool = True,
    receipt: str | None = None,
) -> tuple[Report, str | None]:
    """Store a report or talk request, encrypted, sealed to the team's recipients.

    Returns the report and its receipt (None when staff enter one without a receipt).
    ``receipt`` fixes the code (the demo's published receipts only).
    All-or-nothing: database rows in one transaction, files removed if it fails.
    """
    if submission.kind not in Kind.values:
        raise ValueError(f"unknown kind {submission.kind!r}")
    checked = check_files(submission.files)
    if receipt is not None:
        receipt = receipts.normalise(receipt)
    elif with_receipt:
        receipt = receipts.new_receipt()
    derived = receipt_derive(receipt) if receipt else None  # Argon2id outside the lock
    report_key = sealing.new_report_key()
    now = timezone.now()
    written: list[Path] = []
    try:
        with transaction.atomic():
            locked = Channel.objects.select_for_update().get(pk=channel.pk)
            if source == Source.WEB and not locked.is_open:
                raise ValidationError(_("This channel is not accepting reports at the moment."))
            number = locked.next_number
            locked.next_number = number + 1
            locked.save(update_fields=["next_number"])
            report = Report.objects.create(
                channel=locked,
                number=number,
                kind=submission.kind,
                source=source,
                category=submission.category,
                received_at=_hour(now) if source == Source.WEB else now,
                named=bool(submission.identity and any(submission.identity.values())),
                content=b"",
                entered_by=actor,
                receipt_digest=derived[0] if derived else None,
                unread_by_team=True,
            )
            report.content = sealing.encrypt(
                report_key, _encode(submission.content), context=report.context("content")
            )
            if report.named and submission.identity:
                report.identity = sealing.encrypt(
                    report_key, _encode(submission.identity), context=report.context("identity")
                )
            if derived:
                report.submitter_box = sealing.encrypt(
                    derived[1], report_key, context=report.context("submitter")
                )
            report.save(update_fields=["content", "identity", "submitter_box"])
            _store_files(report, report_key, checked, None, now, written)
            people = list(recipients(locked.team))
            if actor is not None and actor.pk not in {u.pk for u in people}:
                raise PermissionDenied
            if not people:
                raise ValidationError(_("Nobody could read this report; it was not stored."))
            _seal_to(report, report_key, people)
            audit.record(
                actor=actor,
                event_type=E.INTAKE_SUBMITTED if actor is None else E.INTAKE_ENTERED,
                obj=report,
                object_repr=report.label,
                after={
                    "kind": report.kind,
                    "source": report.source,
                    "category": report.category,
                    "named": report.named,
                    "attachments": len(submission.files),
                },
            )
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return report, receipt


# --- the submitter's side ------------------------------------------------------------


def report_for_receipt(code: str) -> tuple[Report, bytes] | None:
    """The report a receipt opens and the report key, or None. Slow on purpose."""
    try:
        digest, submitter_key = receipt_derive(code)
    except receipts.InvalidReceipt:
        return None
    report = Report.objects.select_related("channel__team").filter(receipt_digest=digest).first()
    if report is None or report.submitter_box is None:
        return None
    try:
        report_key = sealing.decrypt(
            submitter_key, bytes(report.submitter_box), context=report.context("submitter")
        )
    except sealing.DecryptionFailed:
        return None
    return report, report_key


@dataclass
class Opened:
    """A report decrypted for display."""

    report: Report
    content: dict[str, Any]
    messages: list[tuple[Message, str]]
    attachments: list[tuple[Attachment, str]]
    identity: dict[str, str] | None = None


def decrypt_content(report: Report, report_key: bytes) -> dict[str, Any]:
    """The report's content (raises sealing.DecryptionFailed). No audit event: callers
    record the read (one event per report, or one for a page of them)."""
    content: dict[str, Any] = json.loads(
        sealing.decrypt(report_key, bytes(report.content), context=report.context("content"))
    )
    return content


def _open(report: Report, report_key: bytes) -> Opened:
    content = decrypt_content(report, report_key)
    messages = [
        (m, sealing.decrypt(report_key, bytes(m.body), context=_message_context(m)).decode())
        for m in report.messages.select_related("author__person")
    ]
    files = [
        (
            a,
            sealing.decrypt(
                report_key, bytes(a.name), context=f"intake.attachment:{a.pk}:name"
            ).decode(),
        )
        for a in report.attachments.all()
    ]
    return Opened(report=report, content=content, messages=messages, attachments=files)


def _message_context(message: Message) -> str:
    return f"intake.message:{message.report_id}:{message.pk}"


def open_for_submitter(report: Report, report_key: bytes) -> Opened:
    """The submitter's view: content, thread, files (never an audit event: no actor,
    and an event per visit would tell staff when the submitter came back)."""
    opened = _open(report, report_key)
    if report.unread_by_submitter:
        Report.objects.filter(pk=report.pk).update(unread_by_submitter=False)
    return opened


def _add_message(
    report: Report,
    report_key: bytes,
    *,
    author_kind: str,
    author: User | None,
    text: str,
    files: Sequence[CheckedFile],
    now: dt.datetime,
    written: list[Path],
) -> Message:
    message = Message.objects.create(
        report=report, author_kind=author_kind, author=author, body=b"", created_at=now
    )
    message.body = sealing.encrypt(
        report_key, text.encode("utf-8"), context=_message_context(message)
    )
    message.save(update_fields=["body"])
    _store_files(report, report_key, files, message, now, written)
    return message


def submitter_message(
    *, report: Report, report_key: bytes, text: str, files: Sequence[Upload] = ()
) -> Message:
    """The submitter answers or adds information through the receipt thread."""
    if not text.strip() and not files:
        raise ValidationError(_("Write something or attach a file."))
    checked = check_files(files)
    written: list[Path] = []
    try:
        with transaction.atomic():
            message = _add_message(
                report,
                report_key,
                author_kind=Message.Author.SUBMITTER,
                author=None,
                text=text.strip(),
                files=checked,
                now=_hour(timezone.now()),
                written=written,
            )
            updates: dict[str, Any] = {"unread_by_team": True}
            if report.status == Status.WAITING:
                updates["status"] = Status.REVIEW
            Report.objects.filter(pk=report.pk).update(**updates)
            audit.record(
                actor=None,
                event_type=E.INTAKE_SUBMITTER_MESSAGE,
                obj=report,
                object_repr=report.label,
                extra={"attachments": len(files)},
            )
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return message


# --- the staff's side --------------------------------------------------------------------


def report_key_for(user: User, report: Report, private_key: bytes | None) -> bytes:
    """The report key for ``user``; PermissionDenied if it was not sealed to them or
    their key is not unlocked in this session."""
    if private_key is None:
        raise PermissionDenied("locked")
    share = ReportKey.objects.filter(report=report, user=user).first()
    if share is None:
        raise PermissionDenied("not shared")
    try:
        return sealing.open_key(bytes(share.sealed), private_key)
    except sealing.DecryptionFailed:
        raise PermissionDenied("not shared") from None


@transaction.atomic
def report_read(*, actor: User, report: Report, private_key: bytes | None) -> Opened:
    """Decrypt a report for a staff user (policy, then key), with its audit event."""
    policy.require(actor, permissions.INTAKE_VIEW, report)
    opened = _open(report, report_key_for(actor, report, private_key))
    if report.unread_by_team:
        Report.objects.filter(pk=report.pk).update(unread_by_team=False)
    audit.record(actor=actor, event_type=E.INTAKE_READ, obj=report, object_repr=report.label)
    return opened


@transaction.atomic
def identity_read(*, actor: User, report: Report, private_key: bytes | None) -> dict[str, str]:
    """The submitter's identity: leaders, deputies and the office only; an audit event."""
    policy.require(actor, permissions.INTAKE_IDENTITY, report)
    if report.identity is None:
        return {}
    report_key = report_key_for(actor, report, private_key)
    identity: dict[str, str] = json.loads(
        sealing.decrypt(report_key, bytes(report.identity), context=report.context("identity"))
    )
    audit.record(
        actor=actor, event_type=E.INTAKE_IDENTITY_READ, obj=report, object_repr=report.label
    )
    return identity


@transaction.atomic
def attachment_read(
    *, actor: User, attachment: Attachment, private_key: bytes | None, preview: bool
) -> tuple[bytes, str, str]:
    """(bytes, content type, file name) of an attachment, decrypted, with an audit event.
    ``preview`` gives the re-encoded image where there is one."""
    report = attachment.report
    policy.require(actor, permissions.INTAKE_VIEW, report)
    report_key = report_key_for(actor, report, private_key)
    context = f"intake.attachment:{attachment.pk}"
    name = sealing.decrypt(report_key, bytes(attachment.name), context=f"{context}:name").decode()
    if preview and attachment.preview_blob:
        data = sealing.decrypt(
            report_key, read_blob(attachment.preview_blob), context=f"{context}:preview"
        )
        content_type = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    else:
        data = sealing.decrypt(
            report_key, read_blob(attachment.blob), context=f"{context}:original"
        )
        content_type = attachment.content_type
    audit.record(
        actor=actor,
        event_type=E.INTAKE_FILE_READ,
        obj=attachment,
        object_repr=f"{report.label} #{attachment.pk}",
        extra={"preview": bool(preview and attachment.preview_blob)},
    )
    return data, content_type, name


def staff_message(
    *,
    actor: User,
    report: Report,
    private_key: bytes | None,
    text: str,
    waiting: bool = False,
) -> Message:
    """A reply or question to the submitter through the receipt thread."""
    policy.require(actor, permissions.INTAKE_CHANGE, report)
    if not text.strip():
        raise ValidationError(_("The message is empty."))
    if report.receipt_digest is None:
        raise ValidationError(
            _("This report has no receipt: the submitter cannot read replies here.")
        )
    report_key = report_key_for(actor, report, private_key)
    written: list[Path] = []
    with transaction.atomic():
        message = _add_message(
            report,
            report_key,
            author_kind=Message.Author.TEAM,
            author=actor,
            text=text.strip(),
            files=(),
            now=timezone.now(),
            written=written,
        )
        updates: dict[str, Any] = {"unread_by_submitter": True}
        if waiting and report.status not in CLOSED_STATUSES:
            updates["status"] = Status.WAITING
        elif report.status == Status.NEW:
            updates["status"] = Status.REVIEW
        Report.objects.filter(pk=report.pk).update(**updates)
        audit.record(
            actor=actor,
            event_type=E.INTAKE_REPLIED,
            obj=report,
            object_repr=report.label,
            extra={"asks": waiting},
        )
    return message


def public_status(report: Report) -> str:
    """What the submitter is told about the state of their report."""
    labels = {
        Status.NEW: _("Received; not yet read"),
        Status.REVIEW: _("Being looked at by the team"),
        Status.WAITING: _("The team has a question for you"),
        Status.SCHEDULED: _("A talk has been arranged"),
    }
    return str(labels.get(Status(report.status), _("Handled by the team; thank you")))
