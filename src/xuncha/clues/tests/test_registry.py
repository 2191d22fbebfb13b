"""The registry: recording, every status transition (allowed and refused), kind changes,
evidence, merging and "not a duplicate", who sees what, exports and reads in the audit log,
and the round-wide duplicate scan as a background job."""

from __future__ import annotations

import io
import itertools

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from xuncha.clues import selectors, services
from xuncha.clues.models import (
    EvidenceLink,
    Kind,
    NotDuplicate,
    Record,
    Status,
    TimelineEntry,
)
from xuncha.core.models import AuditEvent, AuditEventType, JobRun
from xuncha.rounds.models import Briefing, Round, Stage, Team, TopicTag

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

COMPLAINT = (
    "反映青岚县某镇某村村委会主任王某某在2025年村道硬化工程中虚报工程量，"
    "多领工程款约十二万元，并将工程交给其妻弟承包。"
)
PARAPHRASE = (
    "某村村道硬化工程由村主任王某某的妻弟承包。群众反映王某某虛報工程量，"
    "多領工程款大约十二万元，时间是2025年。"
)
UNRELATED = "某村党支部近三年未按规定召开组织生活会，党员发展程序不规范，档案缺失。"
WANG = [services.SubjectInput("王某某", post="村委会主任")]


def _pair(make):
    """The same matter twice, as two people would record it: same person, other words."""
    first = make(COMPLAINT, title="村道工程虚报", source="letter", subjects=WANG)
    second = make(PARAPHRASE, title="村道硬化工程虚报", source="phone", subjects=WANG)
    return first, second


@pytest.fixture
def current_round(db) -> Round:
    return Round.objects.get(committee__code="C01", stage=Stage.STATIONING)


@pytest.fixture
def member_target(user_named):
    return user_named("member").grants.get().organisation


@pytest.fixture
def team(current_round, member_target) -> Team:
    return Team.objects.get(round=current_round, targets=member_target)


@pytest.fixture
def make(user_named, current_round, team, member_target):
    counter = itertools.count(1)

    def create(text: str = COMPLAINT, **kwargs):
        values = {
            "actor": user_named("member"),
            "round_": current_round,
            "team": team,
            "target": member_target,
            "kind": Kind.CLUE,
            "title": kwargs.pop("title", f"反映事项{next(counter)}"),
            "description": text,
            "source": "letter",
        }
        values.update(kwargs)
        return services.record_create(**values)

    return create


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _work() -> None:
    call_command(
        "db_worker", batch=True, reload=False, startup_delay=False, queue_name="*", verbosity=0
    )


# -- recording -------------------------------------------------------------------------------


def test_member_records_a_clue_through_the_page(as_user, current_round, member_target, team):
    client = as_user("member")
    url = reverse("clues:create") + f"?round={current_round.pk}"
    page = client.get(url, **EN)
    assert page.status_code == 200
    topic = TopicTag.objects.get(code="land-construction")
    response = client.post(
        url,
        {
            "round": current_round.pk,
            "kind": "clue",
            "target": member_target.pk,
            "title": "村道工程虚报",
            "description": COMPLAINT,
            "subjects": "王某某, 村委会主任\n无名氏",
            "source": "letter",
            "discipline": "integrity",
            "topics": [topic.pk],
            "credibility": "high",
            "priority": "high",
            "confidentiality": "ordinary",
        },
        **EN,
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    record = Record.objects.get(title="村道工程虚报")
    assert response["Location"] == reverse("clues:detail", args=[record.pk])
    assert record.team == team and record.status == Status.NEW
    assert record.number.endswith(f"{record.pk:06d}")
    assert [s.name for s in record.subjects.all()] == ["王某某", "无名氏"]
    assert list(record.topics.all()) == [topic]
    event = AuditEvent.objects.filter(event_type=AuditEventType.CLUE_CREATED).latest("seq")
    assert event.object_id == str(record.pk)
    assert record.timeline.get().to_status == Status.NEW


def test_recording_on_a_target_outside_the_team_is_refused(as_user, current_round, team):
    other = Team.objects.filter(round=current_round).exclude(pk=team.pk).first()
    other_target = other.targets.first()
    response = as_user("member").post(
        reverse("clues:create") + f"?round={current_round.pk}",
        {
            "round": current_round.pk,
            "kind": "problem",
            "target": other_target.pk,
            "title": "x",
            "description": "y",
            "source": "letter",
            "credibility": "medium",
            "priority": "medium",
            "confidentiality": "ordinary",
        },
        **EN,
    )
    # The other team's target is not a choice: the form says so, nothing is written.
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Record.objects.filter(title="x").exists()


@pytest.mark.parametrize("username", ["leading", "receiver", "auditor", "liaison"])
def test_roles_without_the_registry_cannot_record(as_user, current_round, username):
    response = as_user(username).get(reverse("clues:create") + f"?round={current_round.pk}")
    assert response.status_code == 403


# -- status transitions ------------------------------------------------------------------------

ALL = [s.value for s in Status]


def _force(record: Record, status: str) -> Record:
    Record.objects.filter(pk=record.pk).update(status=status)
    record.refresh_from_db()
    return record


@pytest.mark.parametrize(
    ("start", "to"),
    [(s, t) for s in ALL for t in ALL if s != t],
)
def test_every_named_transition_is_allowed_or_refused(make, user_named, start, to):
    record = _force(make(), start)
    allowed = to in services.TRANSITIONS.get(start, set())
    reason = "重复举报" if to == Status.DISMISSED else ""
    if allowed:
        services.status_change(
            actor=user_named("leader"), record=record, to_status=to, reason=reason
        )
        record.refresh_from_db()
        assert record.status == to
        entry = record.timeline.order_by("-id").first()
        assert (entry.from_status, entry.to_status) == (start, to)
    else:
        with pytest.raises(services.Refused):
            services.status_change(
                actor=user_named("leader"), record=record, to_status=to, reason=reason
            )
        record.refresh_from_db()
        assert record.status == start


def test_dismissal_needs_a_reason_and_keeps_it(make, user_named):
    record = make()
    with pytest.raises(services.Refused):
        services.status_change(actor=user_named("leader"), record=record, to_status="dismissed")
    services.status_change(
        actor=user_named("leader"), record=record, to_status="dismissed", reason="查无实据"
    )
    record.refresh_from_db()
    assert record.status_reason == "查无实据"


def test_confirming_sets_the_route(make, user_named):
    record = make(discipline="integrity")
    services.status_change(actor=user_named("leader"), record=record, to_status="review")
    services.status_change(actor=user_named("leader"), record=record, to_status="confirmed")
    record.refresh_from_db()
    assert record.route == "discipline_commission"
    cadre = make(discipline="organisational")
    cadre.topics.set([TopicTag.objects.get(code="cadre-selection")])
    _force(cadre, "review")
    services.status_change(actor=user_named("leader"), record=cadre, to_status="confirmed")
    cadre.refresh_from_db()
    assert cadre.route == "organisation_department"
    problem = make(kind=Kind.PROBLEM)
    _force(problem, "review")
    services.status_change(actor=user_named("leader"), record=problem, to_status="confirmed")
    problem.refresh_from_db()
    assert problem.route == "rectification"


def test_a_member_may_review_but_not_confirm_or_dismiss(as_user, make):
    record = make()
    client = as_user("member")
    url = reverse("clues:status", args=[record.pk])
    assert client.post(url, {"to_status": "review"}).status_code == 302
    record.refresh_from_db()
    assert record.status == Status.REVIEW
    assert client.post(url, {"to_status": "confirmed"}).status_code == 403
    assert client.post(url, {"to_status": "dismissed", "reason": "x"}).status_code == 403
    record.refresh_from_db()
    assert record.status == Status.REVIEW
    # The leader decides.
    assert as_user("leader").post(url, {"to_status": "confirmed"}).status_code == 302
    record.refresh_from_db()
    assert record.status == Status.CONFIRMED


def test_a_refused_move_says_why(as_user, make):
    record = make()
    response = as_user("leader").post(
        reverse("clues:status", args=[record.pk]), {"to_status": "closed"}, **EN
    )
    assert response.status_code == 302
    assert any("cannot become" in m for m in _messages(response))


def test_kind_changes_both_ways_with_history(make, user_named):
    record = make(kind=Kind.PROBLEM)
    with pytest.raises(services.Refused):
        services.kind_change(actor=user_named("member"), record=record, kind="clue", reason="")
    services.kind_change(
        actor=user_named("member"), record=record, kind="clue", reason="涉及具体人员"
    )
    services.kind_change(
        actor=user_named("member"), record=record, kind="problem", reason="属一般性问题"
    )
    record.refresh_from_db()
    assert record.kind == Kind.PROBLEM
    notes = list(
        record.timeline.filter(event_type=AuditEventType.CLUE_KIND).values_list("note", flat=True)
    )
    assert len(notes) == 2 and "涉及具体人员" in notes[0]
    assert (
        AuditEvent.objects.filter(
            event_type=AuditEventType.CLUE_KIND, object_id=str(record.pk)
        ).count()
        == 2
    )
    _force(record, "closed")
    with pytest.raises(services.Refused):
        services.kind_change(actor=user_named("member"), record=record, kind="clue", reason="x")


def test_edits_are_refused_once_a_record_is_transferred(make, user_named):
    record = _force(make(), "transferred")
    with pytest.raises(services.Refused):
        services.record_update(actor=user_named("member"), record=record, values={"title": "x"})


def test_close_only_after_disposal_or_for_fast_track(make, user_named, as_user):
    office = user_named("office_c1")
    record = _force(make(), "confirmed")
    with pytest.raises(services.Refused):
        services.record_close(actor=office, record=record, reason="x")
    fast = _force(make(fast_track=True), "confirmed")
    services.record_close(actor=office, record=fast, reason="当场整改到位")
    fast.refresh_from_db()
    assert fast.status == Status.CLOSED
    # A team member cannot close (the office follows transfers to the end).
    other = _force(make(fast_track=True), "confirmed")
    response = as_user("member").post(reverse("clues:close", args=[other.pk]), {"reason": "x"})
    assert response.status_code == 404


# -- evidence ----------------------------------------------------------------------------------


def test_evidence_from_a_briefing_and_an_uploaded_document(
    as_user, make, current_round, user_named
):
    record = make()
    client = as_user("member")
    upload = SimpleUploadedFile("举报信.txt", "举报内容".encode(), content_type="text/plain")
    response = client.post(
        reverse("clues:evidence_add", args=[record.pk]),
        {"document": upload, "excerpt": "多领工程款约十二万元"},
        **EN,
    )
    assert response.status_code == 302
    link = EvidenceLink.objects.get(record=record)
    assert link.excerpt == "多领工程款约十二万元" and link.label == "举报信.txt"
    detail = client.get(reverse("clues:detail", args=[record.pk]), **EN).content.decode()
    assert "多领工程款约十二万元" in detail
    document_url = reverse("clues:document", args=[link.object_id])
    assert document_url in detail
    download = client.get(document_url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == "举报内容".encode()
    assert AuditEvent.objects.filter(event_type=AuditEventType.CLUE_DOCUMENT_READ).exists()
    # Someone who cannot read the record cannot read its document.
    assert as_user("receiver").get(document_url).status_code == 403
    briefing = Briefing.objects.filter(round=current_round, target=record.target).first()
    assert briefing is not None  # the demo briefs every team's target
    response = client.post(
        reverse("clues:evidence_add", args=[record.pk]),
        {"briefing": briefing.pk, "excerpt": "通报所列问题"},
        **EN,
    )
    assert response.status_code == 302
    assert record.evidence.count() == 2
    assert (
        reverse("rounds:briefing_detail", args=[briefing.pk])
        in client.get(reverse("clues:detail", args=[record.pk])).content.decode()
    )


def test_neither_or_both_evidence_inputs_are_refused(as_user, make):
    record = make()
    response = as_user("member").post(
        reverse("clues:evidence_add", args=[record.pk]), {"excerpt": "x"}, **EN
    )
    assert any("one of them" in m for m in _messages(response))
    assert not record.evidence.exists()


# -- duplicates --------------------------------------------------------------------------------


def test_a_paraphrase_is_suggested_and_an_unrelated_text_is_not(as_user, make):
    first, second = _pair(make)
    third = make(UNRELATED, source="interview", subjects=WANG)
    found = [s.record for s in selectors.suggestions(first.created_by, second)]
    assert first in found and third not in found
    page = as_user("member").get(reverse("clues:detail", args=[second.pk]), **EN)
    assert "Possible duplicates" in page.content.decode()
    compare = as_user("member").get(
        reverse("clues:duplicates", args=[second.pk]) + f"?other={first.pk}", **EN
    )
    assert '<mark class="xc-shared">' in compare.content.decode()


def test_merge_keeps_text_evidence_and_subjects(as_user, make, user_named):
    first = make(COMPLAINT, subjects=[services.SubjectInput("王某某")])
    second = make(PARAPHRASE, source="phone", subjects=[services.SubjectInput("李某")])
    services.evidence_add(
        actor=user_named("member"),
        record=second,
        obj=make(UNRELATED),
        excerpt="旁证",
    )
    response = as_user("member").post(
        reverse("clues:merge", args=[second.pk]), {"other": first.pk, "survivor": "other"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("clues:detail", args=[first.pk])
    second.refresh_from_db()
    assert second.status == Status.MERGED and second.merged_into == first
    labels = list(first.evidence.values_list("excerpt", flat=True))
    assert "旁证" in labels and PARAPHRASE in labels
    assert sorted(s.name for s in first.subjects.all()) == ["李某", "王某某"]
    # A merged record is no longer open: it cannot be merged again or edited.
    with pytest.raises(services.Refused):
        services.merge(actor=user_named("member"), survivor=first, others=[second])
    with pytest.raises(services.Refused):
        services.merge(actor=user_named("member"), survivor=first, others=[first])
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.CLUE_MERGED, object_id=str(first.pk)
    ).exists()


def test_records_of_different_rounds_are_not_merged(make, user_named, current_round):
    first = make()
    other_round = Round.objects.exclude(pk=current_round.pk).filter(committee__code="C01").first()
    second = make()
    Record.objects.filter(pk=second.pk).update(round=other_round)
    second.refresh_from_db()
    with pytest.raises(services.Refused):
        services.merge(actor=user_named("office_c1"), survivor=first, others=[second])


def test_not_a_duplicate_is_remembered(as_user, make, user_named):
    first, second = _pair(make)
    assert first in [s.record for s in selectors.suggestions(user_named("member"), second)]
    response = as_user("member").post(
        reverse("clues:not_duplicate", args=[second.pk]), {"other": first.pk}
    )
    assert response.status_code == 302
    assert NotDuplicate.objects.filter(a=first, b=second).exists()
    assert first not in [s.record for s in selectors.suggestions(user_named("member"), second)]
    assert first not in [s.record for s in selectors.suggestions(user_named("member"), first)]
    # Saying it twice changes nothing.
    services.not_duplicate(actor=user_named("member"), a=first, b=second)
    assert NotDuplicate.objects.filter(a=first, b=second).count() == 1


def test_round_scan_runs_as_a_job(
    as_user, make, current_round, settings, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    settings.TASKS = DATABASE_TASKS
    first, second = _pair(make)
    make(UNRELATED)
    client = as_user("member")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("clues:round_scan", args=[current_round.pk]))
    assert response.status_code == 302
    page = client.get(reverse("clues:round_duplicates", args=[current_round.pk]), **EN)
    assert 'data-testid="job-progress"' in page.content.decode()
    _work()
    job = JobRun.objects.filter(kind="clue_scan").latest("created_at")
    assert job.status == JobRun.Status.SUCCEEDED
    pairs = {frozenset(p[:2]) for p in job.result["pairs"]}
    assert frozenset((first.pk, second.pk)) in pairs
    page = client.get(reverse("clues:round_duplicates", args=[current_round.pk]), **EN)
    assert f"?other={second.pk}" in page.content.decode() or f"?other={first.pk}" in (
        page.content.decode()
    )


# -- who sees what -----------------------------------------------------------------------------


def test_team_sees_its_round_office_sees_all_others_nothing(
    as_user, make, user_named, current_round
):
    record = make()
    url = reverse("clues:detail", args=[record.pk])
    for username in ("member", "leader", "deputy", "office_c1", "office"):
        assert as_user(username).get(url).status_code == 200, username
    for username in ("receiver", "leading", "auditor", "liaison", "admin"):
        assert as_user(username).get(url).status_code in (403, 404), username
    # The same target in another round of the committee: the team does not see it.
    other_round = Round.objects.exclude(pk=current_round.pk).filter(committee__code="C01").first()
    Record.objects.filter(pk=record.pk).update(round=other_round, team=None)
    assert as_user("member").get(url).status_code == 404
    assert as_user("office_c1").get(url).status_code == 200


def test_restricted_records_are_for_leaders(as_user, make):
    record = make(confidentiality="restricted")
    url = reverse("clues:detail", args=[record.pk])
    assert as_user("member").get(url).status_code == 404
    assert as_user("leader").get(url).status_code == 200
    assert as_user("deputy").get(url).status_code == 200
    assert as_user("office_c1").get(url).status_code == 200


def test_the_receiver_sees_only_what_was_transferred_to_it(make, user_named):
    record = make()
    receiver = user_named("receiver")
    assert not selectors.records_for(receiver).exists()
    from xuncha.clues.permissions import CLUE_RECEIVE

    assert record not in selectors.records_for(receiver, CLUE_RECEIVE)
    _force(record, "confirmed")
    transfer = services.transfer_create(
        actor=user_named("office_c1"),
        records=[record],
        department=receiver.grants.get().organisation,
        route="discipline_commission",
    )
    assert list(selectors.records_for(receiver, CLUE_RECEIVE).filter(transfer=transfer)) == [record]


# -- list, export, reads -----------------------------------------------------------------------


def test_list_filters_and_exports_with_an_audit_event(as_user, make):
    make(COMPLAINT, title="工程款问题", discipline="integrity")
    make(UNRELATED, title="组织生活问题", kind=Kind.PROBLEM, discipline="organisational")
    client = as_user("office_c1")
    page = client.get(reverse("clues:list"), {"discipline": "integrity"}, **EN).content.decode()
    assert "工程款问题" in page and "组织生活问题" not in page
    response = client.get(reverse("clues:list"), {"kind": "problem", "export": "xlsx"}, **EN)
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "Number"
    titles = [r[2] for r in rows[1:]]
    assert "组织生活问题" in titles and "工程款问题" not in titles
    event = AuditEvent.objects.filter(event_type=AuditEventType.CLUE_EXPORTED).last()
    assert event.extra["format"] == "xlsx" and event.extra["count"] == len(rows) - 1
    assert client.get(reverse("clues:list"), **EN).status_code == 200
    for username in ("leading", "receiver", "auditor"):
        assert as_user(username).get(reverse("clues:list")).status_code == 403


def test_reading_a_clue_is_audited_a_problem_is_not(as_user, make):
    clue = make()
    problem = make(kind=Kind.PROBLEM)
    client = as_user("leader")
    before = AuditEvent.objects.filter(event_type=AuditEventType.CLUE_READ).count()
    client.get(reverse("clues:detail", args=[clue.pk]))
    client.get(reverse("clues:detail", args=[problem.pk]))
    events = AuditEvent.objects.filter(event_type=AuditEventType.CLUE_READ)
    assert events.count() == before + 1
    assert events.last().object_id == str(clue.pk)


def test_timeline_shows_the_changes_in_order(as_user, make, user_named):
    record = make()
    services.status_change(actor=user_named("member"), record=record, to_status="review")
    services.status_change(actor=user_named("leader"), record=record, to_status="confirmed")
    kinds = list(TimelineEntry.objects.filter(record=record).values_list("to_status", flat=True))
    assert kinds == ["new", "review", "confirmed"]
    page = as_user("leader").get(reverse("clues:detail", args=[record.pk]), **EN).content.decode()
    assert "Under review → Confirmed" in page


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        ("2026-01-31", 1, "2026-02-28"),
        ("2026-08-31", 6, "2027-02-28"),
        ("2026-11-26", 3, "2027-02-26"),
        ("2026-03-15", -4, "2025-11-15"),
        ("2024-02-29", 12, "2025-02-28"),
    ],
)
def test_deadlines_add_calendar_months(day, months, expected):
    import datetime as dt

    assert services.add_months(dt.date.fromisoformat(day), months) == dt.date.fromisoformat(
        expected
    )


def test_a_written_name_is_linked_to_the_registry_later(as_user, make, member_target):
    from xuncha.core.models import Person

    person = Person.objects.filter(posts__organisation=member_target, posts__end_date=None).first()
    record = make(subjects=[services.SubjectInput(person.name + "某")])
    subject = record.subjects.get()
    assert subject.person is None
    # Rename the written name to the person's: the page offers them as a candidate.
    subject.name = person.name
    subject.save()
    client = as_user("member")
    page = client.get(reverse("clues:detail", args=[record.pk]), **EN).content.decode()
    assert 'data-testid="subject-link"' in page and f'value="{person.pk}"' in page
    response = client.post(
        reverse("clues:subject_link", args=[subject.pk]), {"person": person.pk}, **EN
    )
    assert response.status_code == 302
    subject.refresh_from_db()
    assert subject.person == person
    assert record.timeline.filter(note__contains=person.name).exists()
    # Linking twice is refused; a person outside the user's view is not found.
    again = client.post(reverse("clues:subject_link", args=[subject.pk]), {"person": person.pk})
    assert any("already" in m or "已" in m for m in _messages(again))
    assert (
        client.post(reverse("clues:subject_link", args=[subject.pk]), {"person": 10**9}).status_code
        == 404
    )
    assert (
        as_user("leading")
        .post(reverse("clues:subject_link", args=[subject.pk]), {"person": person.pk})
        .status_code
        == 404
    )


def test_evidence_is_not_added_to_a_closed_record(make, user_named):
    record = _force(make(), "closed")
    with pytest.raises(services.Refused):
        services.evidence_add(actor=user_named("member"), record=record, obj=make(UNRELATED))
