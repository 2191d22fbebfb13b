"""Team formation in the app: the instance built from the records, the solver as a
background job, hand changes re-checked, an impossible request explained, a relaxed rule,
acceptance with release requests, and who may do it."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from xuncha.core import jobs
from xuncha.core.models import (
    AuditEvent,
    AuditEventType,
    JobRun,
    Kinship,
    Organisation,
    Person,
    Post,
)
from xuncha.rounds.models import Round, Stage
from xuncha.talent import formation_services, teams
from xuncha.talent.lib import formation as fm
from xuncha.talent.models import (
    Declaration,
    FormationRun,
    InspectorProfile,
    Release,
    RoundRole,
    RuleRelaxation,
    Specialty,
)

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
TODAY = dt.date(2026, 7, 1)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _keep_test_connection(monkeypatch):
    # The worker recycles connections between tasks; in a test that would drop the
    # connection holding the test's transaction.
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )


@pytest.fixture
def cross_round(db) -> Round:
    return Round.objects.get(cross=True, stage=Stage.PREPARATION)


def _work() -> None:
    call_command(
        "db_worker", batch=True, reload=False, startup_delay=False, queue_name="*", verbosity=0
    )


def _solve(client, round_, django_capture_on_commit_callbacks, time_limit=3) -> FormationRun:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("talent:formation_start", args=[round_.pk]),
            {"time_limit": time_limit, "seed": 0},
        )
    assert response.status_code == 302
    run = FormationRun.objects.filter(round=round_).latest("created_at")
    assert run.status == FormationRun.Status.QUEUED and run.job is not None
    page = client.get(reverse("talent:formation", args=[round_.pk]))
    assert b"job-progress" in page.content  # the builder follows the job's progress
    _work()
    run.refresh_from_db()
    run.job.refresh_from_db()
    assert run.job.status == JobRun.Status.SUCCEEDED, run.job.message
    return run


def test_instance_from_the_records(cross_round):
    built = teams.build_instance(cross_round, today=TODAY)
    inst = built.instance
    counties = {c.county for c in inst.candidates}
    assert counties == {"C01", "C02", "C03"}  # the prefecture's shared pool
    assert inst.rules.cross is True
    assert {t.index for t in inst.teams} == set(cross_round.teams.values_list("pk", flat=True))
    for spec in inst.teams:
        assert "finance" in spec.required_specialties
        assert len(spec.target_counties) == 1
    # People serving in the round under way are not available for an overlapping round.
    busy = set(
        RoundRole.objects.filter(round__stage=Stage.STATIONING, profile__in_pool=True).values_list(
            "profile__person_id", flat=True
        )
    )
    assert busy and busy <= set(built.unavailable)
    assert all(not c.available for c in inst.candidates if c.person_id in busy)
    # A qualification valid on the round's first day, or none: scored, not a rule.
    first_day = teams.round_period(cross_round, TODAY)[0]
    ids = [c.person_id for c in inst.candidates]
    profiles = InspectorProfile.objects.filter(person_id__in=ids).prefetch_related("qualifications")
    expected = {
        p.person_id: any(q.valid_on(first_day) for q in p.qualifications.all()) for p in profiles
    }
    assert {c.person_id: c.qualified for c in inst.candidates} == expected
    assert set(expected.values()) == {True, False}  # the demo pool holds both


def test_someone_whose_unit_this_round_inspects_is_marked_not_excluded(
    as_user, cross_round, user_named
):
    """A post held during the round at a target, or under one, is said beside the person
    on the proposal (a warning for the office: inspectors come from the departments rounds
    inspect, so it is no rule); a post that ended before the round is not."""
    from xuncha.core import services as core_services

    run = FormationRun.objects.create(
        round=cross_round, created_by=user_named("office"), time_limit=2
    )
    formation_services.formation_solve(run, today=TODAY)
    run.refresh_from_db()
    start, end = (dt.date.fromisoformat(d) for d in run.result["period"])
    first, second = cross_round.teams.order_by("pk")[:2]
    target = first.targets.order_by("pk").first()
    # Three people of the second team, whose own unit the first team inspects.
    crew = [s["person"] for s in run.draft if s["team"] == second.pk]
    already = teams.inspected_units(crew, cross_round, start, end)  # the demo holds some
    free = [pk for pk in crew if pk not in already]
    at_target, below, former = (Person.objects.get(pk=pk) for pk in free[:3])
    under = core_services.organisation_create(
        actor=None, name=f"{target.name}办公室", code="QA-UNDER", kind="unit", parent=target
    )
    Post.objects.create(person=at_target, organisation=target, title="副局长", start_date=start)
    Post.objects.create(
        person=below, organisation=under, title="科员", start_date=dt.date(2020, 1, 1)
    )
    Post.objects.create(
        person=former,
        organisation=target,
        title="科员",
        start_date=dt.date(2015, 1, 1),
        end_date=start - dt.timedelta(days=1),
    )
    with translation.override("en"):
        said = teams.inspected_units([at_target.pk, below.pk, former.pk], cross_round, start, end)
    assert said == {
        at_target.pk: f"holds a post at {target.name} (副局长), a target of this round",
        below.pk: f"holds a post at {under.name} (科员), under {target.name}, a target of "
        "this round",
    }
    # Still available to the solver: a warning, not a rule.
    built = teams.build_instance(cross_round, today=TODAY)
    assert at_target.pk not in built.unavailable and below.pk not in built.unavailable
    page = as_user("office").get(
        reverse("talent:formation", args=[cross_round.pk]) + f"?run={run.pk}"
    )
    marks = re.findall(r'data-testid="seat-inspected">.*?</i> (.*?)</div>', page.content.decode())
    assert f"在本轮巡察对象{target.name}任职（副局长）" in marks
    assert f"在{under.name}任职（科员），属本轮巡察对象{target.name}" in marks
    assert len(marks) == len(
        {s["person"] for s in run.draft}
        & set(teams.inspected_units([s["person"] for s in run.draft], cross_round, start, end))
    )


def test_the_accepted_roster_marks_whose_unit_the_round_inspects(as_user):
    current = Round.objects.filter(committee__code="C01", stage=Stage.STATIONING).get()
    roles = list(RoundRole.objects.filter(round=current).select_related("profile__person"))
    first_day, last_day = teams.round_period(current, timezone.localdate())
    people = [r.profile.person_id for r in roles]
    already = teams.inspected_units(people, current, first_day, last_day)  # the demo has some
    role = next(r for r in roles if r.profile.person_id not in already)
    target = current.teams.exclude(pk=role.team_id).first().targets.first()
    url = reverse("talent:formation", args=[current.pk])
    before = as_user("office_c1").get(url).content.decode()
    assert before.count('data-testid="roster-inspected"') == len(already)
    Post.objects.create(
        person=role.profile.person, organisation=target, title="科员", start_date=first_day
    )
    page = as_user("office_c1").get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert page.count('data-testid="roster-inspected"') == len(already) + 1
    assert f"Holds a post at {target.name} (科员), a target of this round" in page


def test_rounds_count_as_served_once_they_leave_preparation(cross_round):
    """A roster accepted for a round still in preparation is not experience yet."""
    role = (
        RoundRole.objects.exclude(round=cross_round)
        .filter(profile__in_pool=True)
        .select_related("profile", "round")
        .first()
    )
    other = role.round
    served = RoundRole.objects.filter(profile=role.profile).exclude(round=cross_round)

    def counted() -> int:
        inst = teams.build_instance(cross_round, today=TODAY).instance
        return next(c.rounds_done for c in inst.candidates if c.person_id == role.profile.person_id)

    Round.objects.filter(pk=other.pk).update(stage=Stage.STATIONING)
    assert counted() == served.exclude(round__stage=Stage.PREPARATION).count() >= 1
    Round.objects.filter(pk=other.pk).update(stage=Stage.PREPARATION)
    assert counted() == served.exclude(round__stage=Stage.PREPARATION).count()
    assert served.filter(round__stage=Stage.PREPARATION).exists()  # one fewer than before


def test_recusal_evidence_comes_from_posts_kinship_and_declarations(cross_round):
    team = cross_round.teams.order_by("id").first()
    target = team.targets.order_by("id").first()
    profiles = list(
        InspectorProfile.objects.filter(in_pool=True)
        .exclude(county__path__startswith=target.path)
        .order_by("pk")[:3]
    )
    worked, related, declared = profiles
    Post.objects.create(
        person=worked.person,
        organisation=target,
        title="副科长",
        start_date=TODAY - dt.timedelta(days=900),
        end_date=TODAY - dt.timedelta(days=200),
    )
    relative = Person.objects.create(name="甄测试", registry=target)
    Post.objects.create(
        person=relative, organisation=target, title="科员", start_date=dt.date(2020, 1, 1)
    )
    Kinship.objects.create(person=relative, relative=related.person, relation="spouse")
    Declaration.objects.create(
        profile=declared, organisation=target, source="self", reason="与该单位负责人系同学"
    )
    inst = teams.build_instance(cross_round, today=TODAY).instance
    rules = {
        (f.person_id, f.rule)
        for f in inst.forbidden
        if f.team_index == team.pk and f.role == fm.MEMBER
    }
    assert (worked.person_id, "worked_recently") in rules
    assert (related.person_id, "relative") in rules
    assert (declared.person_id, "declared") in rules
    evidence = next(
        f.evidence
        for f in inst.forbidden
        if f.person_id == worked.person_id and f.rule == "worked_recently"
    )
    assert target.name in evidence


def test_form_change_accept(
    as_user, user_named, cross_round, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.TASKS = DATABASE_TASKS
    client = as_user("office")
    # Every progress report the job writes (the real writer, watched).
    written: list[tuple[int, int, str]] = []
    real_progress = jobs.JobReporter.progress

    def watched(self, done, total, message=""):
        real_progress(self, done, total, message)
        written.append((done, total, JobRun.objects.get(pk=self.job_id).message))

    monkeypatch.setattr(jobs.JobReporter, "progress", watched)
    with translation.override("en"):
        run = _solve(client, cross_round, django_capture_on_commit_callbacks)
    # The bar counts the time limit in per cent; the message names the seconds, the best
    # score found so far and the best possible one.
    assert written[0][:2] == (0, 100) and written[-1][:2] == (100, 100)
    # Stored as template and values; whoever watches reads it in their language.
    with translation.override("en"):
        reports = [(done, JobRun(message=m).display_message) for done, _t, m in written[1:-1]]
    with translation.override("zh-hans"):
        assert all("目前最优得分" in JobRun(message=m).display_message for *_x, m in written[1:-1])
    assert reports and all(0 <= done < 100 for done, _m in reports)
    assert all(
        re.fullmatch(r"\d+ of 3 s · best score so far [\d.]+(, best possible [\d.]+)?", m)
        for _d, m in reports
    ), reports
    final_score = float(re.findall(r"so far ([\d.]+)", reports[-1][1])[0])
    assert final_score <= run.objective + 0.05
    assert run.status == FormationRun.Status.PROPOSED
    assert run.draft_objective == run.objective and not run.draft_score_differs
    instance = fm.from_json(run.instance)
    draft = teams.assignments_of(run.draft)
    assert fm.validate(instance, draft) == []
    assert run.objective is not None and run.bound is not None and run.gap is not None
    page = client.get(reverse("talent:formation", args=[cross_round.pk]), HTTP_ACCEPT_LANGUAGE="en")
    score = page.context["score"]
    assert score["total"] == pytest.approx(run.objective) and not score["changed"]
    assert [t["label"] for t in score["terms"]] == list(teams.score_term_labels().values())
    assert score["solver_status"] == {"optimal": "proven best"}.get(
        run.result["status"], "not proven best"
    )
    # Each team shows its experience against the rules, counted from its people.
    people = {c.person_id: c for c in instance.candidates}
    for row in page.context["proposal"]["teams"]:
        crew = [people[a.person_id] for a in draft if a.team_index == row["index"]]
        seasoned = sum(c.rounds_done >= 2 for c in crew)
        assert row["experienced"] == seasoned >= instance.rules.min_experienced
        novices = sum(c.rounds_done == 0 for c in crew)
        assert row["first_timers"] == novices <= instance.rules.max_first_timers
    assert "two or more rounds: " in page.content.decode()

    # A hand change that breaks recusal is refused with the rule, and nothing is saved.
    team_pk = instance.teams[0].index
    placed = {a.person_id for a in draft}
    free = {c.person_id for c in instance.candidates if c.available} - placed
    forbidden = next(
        f
        for f in instance.forbidden
        if f.team_index == team_pk and f.role in ("member", "any") and f.person_id in free
    )
    member = next(a for a in draft if a.team_index == team_pk and a.role == "member")
    before = list(run.draft)
    with translation.override("en"):
        response = client.post(
            reverse("talent:formation_change", args=[run.pk]),
            {
                "team": team_pk,
                "person_out": member.person_id,
                "person_in": forbidden.person_id,
                "role": "member",
            },
            HTTP_ACCEPT_LANGUAGE="en",
            follow=True,
        )
    text = response.content.decode()
    assert "Not saved" in text and "may not serve" in text
    # Shown in the team's own block, which the page scrolls to, with the change still chosen.
    assert response.redirect_chain[-1][0].endswith(f"#team-{team_pk}")
    block = text.split(f'id="team-{team_pk}"')[1].split('data-testid="proposal-team"')[0]
    assert 'data-testid="change-refused"' in block and "may not serve" in block
    assert f'<option value="{forbidden.person_id}" selected>' in block
    assert f'<option value="{member.person_id}" selected>' in block
    again = client.get(
        reverse("talent:formation", args=[cross_round.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert b"change-refused" not in again.content  # said once
    # A team the run does not have: refused at the top of the page, nothing saved.
    response = client.post(
        reverse("talent:formation_change", args=[run.pk]),
        {"team": 10**9, "person_in": forbidden.person_id, "role": "member"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert b"change-refused" not in response.content
    assert "Not saved" in response.content.decode()
    run.refresh_from_db()
    assert run.draft == before

    # A change that keeps every rule is saved and audited.
    placed = {a.person_id for a in draft}
    kept = [a for a in draft if a != member]

    def fits(c: fm.Candidate) -> bool:
        seat = fm.Assignment(team_pk, c.person_id, "member")
        return not teams.roster_problems(instance, [*kept, seat])

    def scores(c: fm.Candidate) -> float:
        return fm.objective_value(instance, [*kept, fm.Assignment(team_pk, c.person_id, "member")])

    # The people to put in come grouped: no conflict with this team first, then the rest.
    form = next(t for t in page.context["proposal"]["teams"] if t["index"] == team_pk)["form"]
    groups = dict(form.fields["person_in"].choices[1:])
    clean = {pid for pid, _label in groups["No conflict with this team"]}
    other = {pid for pid, _label in groups["In conflict with this team (the check says why)"]}
    assert forbidden.person_id in other and forbidden.person_id not in clean
    unplaced = {c.person_id for c in instance.candidates if c.available} - placed
    assert clean | other == unplaced and not clean & other

    def problems(pid: int) -> list[str]:
        seat = fm.Assignment(team_pk, pid, "member")
        with translation.override("en"):
            return teams.roster_problems(instance, [*kept, seat])

    # The check refuses everyone in the second group; nobody in the first for recusal.
    assert all(problems(pid) for pid in other)
    assert not any("may not serve" in p for pid in clean for p in problems(pid))

    # Someone whose seat moves the score, so the page must show the teams' own score.
    spare = next(
        c
        for c in instance.candidates
        if c.person_id not in placed and fits(c) and scores(c) != run.objective
    )
    response = client.post(
        reverse("talent:formation_change", args=[run.pk]),
        {
            "team": team_pk,
            "person_out": member.person_id,
            "person_in": spare.person_id,
            "role": "member",
        },
    )
    assert response.status_code == 302
    run.refresh_from_db()
    assert {"team": team_pk, "person": spare.person_id, "role": "member"} in run.draft
    assert run.draft_objective == pytest.approx(scores(spare)) and run.draft_score_differs
    changed = AuditEvent.objects.get(event_type="talent.roster_changed")
    assert changed.before["score"] == pytest.approx(run.objective)
    assert changed.after["score"] == pytest.approx(scores(spare))
    page = client.get(reverse("talent:formation", args=[cross_round.pk]), HTTP_ACCEPT_LANGUAGE="en")
    score = page.context["score"]
    assert score["changed"] and score["total"] == pytest.approx(scores(spare))
    # "Proven best" is the solver's teams', not those on screen with their own gap.
    assert score["solver_status"].startswith("the solver's teams were ")
    assert sum(t["points"] for t in score["terms"]) == pytest.approx(scores(spare))
    assert score["gap_percent"] == pytest.approx(
        (run.bound - scores(spare)) / max(1.0, abs(scores(spare))) * 100
    )
    text = page.content.decode()
    assert "Changed by hand: the solver's teams scored" in text
    assert "How the score is made up" in text
    # The list of runs gives each run the score of its teams as they now stand.
    later = FormationRun.objects.create(
        round=cross_round, created_by=run.created_by, status=FormationRun.Status.FAILED
    )
    page = client.get(reverse("talent:formation", args=[cross_round.pk]), HTTP_ACCEPT_LANGUAGE="en")
    listed = {r.pk: r for r in page.context["runs"]}
    assert set(listed) == {run.pk, later.pk} and listed[run.pk].draft_score_differs
    text = page.content.decode()
    assert f"score {scores(spare):.1f}" in text
    assert f"changed by hand; the solver's teams scored {run.objective:.1f}" in text
    later.delete()

    # Accepting writes the role history and asks the home units to release everyone.
    response = client.post(reverse("talent:formation_accept", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == FormationRun.Status.ACCEPTED
    roles = RoundRole.objects.filter(round=cross_round)
    assert roles.count() == len(run.draft)
    assert Release.objects.filter(round=cross_round, confirmed=False).count() == roles.count()
    page = client.get(reverse("talent:formation", args=[cross_round.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["unconfirmed"] == roles.count()
    release = Release.objects.filter(round=cross_round).first()
    # The day the unit confirmed may be given (never a day to come), with a note.
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    client.post(
        reverse("talent:release_confirm", args=[release.pk]),
        {"confirmed_on": tomorrow.isoformat()},
    )
    release.refresh_from_db()
    assert not release.confirmed
    # A year typed wrong (long before the round) is refused too: the page opens at the
    # person's row, with the reason there and what was typed kept.
    wrong = client.post(
        reverse("talent:release_confirm", args=[release.pk]),
        {"confirmed_on": "1990-01-01", "note": "电话确认"},
    )
    assert wrong["Location"].endswith(f"#release-{release.pk}")
    release.refresh_from_db()
    assert not release.confirmed
    page = client.get(wrong["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = page[page.index(f'id="release-{release.pk}"') :].split("</form>")[0]
    assert 'value="1990-01-01"' in row and 'value="电话确认"' in row
    assert 'data-testid="release-error"' in row and release.profile.person.name in row
    assert 'aria-invalid="true"' in row
    assert page.count('data-testid="release-error"') == 1
    # Shown once: opened again, the row is as before.
    again = client.get(wrong["Location"]).content.decode()
    assert 'data-testid="release-error"' not in again
    earlier = timezone.localdate() - dt.timedelta(days=3)
    client.post(
        reverse("talent:release_confirm", args=[release.pk]),
        {"confirmed_on": earlier.isoformat(), "note": "原单位电话确认"},
    )
    release.refresh_from_db()
    assert release.confirmed and release.confirmed_on == earlier
    assert release.note == "原单位电话确认"
    event = AuditEvent.objects.filter(event_type="talent.release_confirmed").latest("seq")
    assert event.after["on"] == earlier.isoformat()
    assert (
        client.get(reverse("talent:formation", args=[cross_round.pk])).context["unconfirmed"]
        == roles.count() - 1
    )
    accepted = AuditEvent.objects.get(event_type="talent.roster_accepted")
    assert accepted.actor == user_named("office")
    # Each person without a valid qualification on the first day is marked (a warning).
    first_day = teams.round_period(cross_round, TODAY)[0]
    lacking = {
        r.profile.person.name
        for r in roles.select_related("profile__person")
        if not any(q.valid_on(first_day) for q in r.profile.qualifications.all())
    }
    page = client.get(reverse("talent:formation", args=[cross_round.pk]), HTTP_ACCEPT_LANGUAGE="en")
    marked = {a["role"].profile.person.name for a in page.context["accepted"] if a["unqualified"]}
    assert marked == lacking
    assert page.content.decode().count('data-testid="roster-unqualified"') == len(lacking)

    # Proposing again is allowed; accepting the new proposal asks first, replaces the
    # roster and supersedes the run accepted before. The old run shows its teams read-only.
    assert b'data-testid="start-replaces"' in page.content
    second = _solve(client, cross_round, django_capture_on_commit_callbacks)
    page = client.get(reverse("talent:formation", args=[cross_round.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert (
        b"data-confirm=" in page.content
        and b"Accept and replace the current roster" in page.content
    )
    client.post(reverse("talent:formation_accept", args=[second.pk]))
    run.refresh_from_db()
    second.refresh_from_db()
    assert (run.status, second.status) == (
        FormationRun.Status.SUPERSEDED,
        FormationRun.Status.ACCEPTED,
    )
    old = client.get(
        reverse("talent:formation", args=[cross_round.pk]) + f"?run={run.pk}",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert old.context["run"] == run and not old.context["editable"]
    assert b'data-testid="run-read-only"' in old.content
    assert old.content.count(b'data-testid="proposal-team"') == cross_round.teams.count()
    assert (
        b'data-testid="change-form"' not in old.content
        and b'data-testid="accept"' not in old.content
    )


def test_an_unavailable_reason_says_when_only_the_rest_days_are_in_the_way(cross_round):
    built = teams.build_instance(cross_round, today=TODAY)
    start, end = built.period
    rest = teams.rules_for(cross_round.committee).rest_days
    with translation.override("en"):
        reasons = [teams.unavailable_reason(v) for v in built.unavailable.values()]
    resting = [r for r in reasons if "rest between rounds" in r]
    assert resting, reasons  # the demo's thematic round ends weeks before this one starts
    for reason in resting:
        other_end = dt.date.fromisoformat(re.search(r" to (\S+), too close", reason).group(1))
        assert other_end < start and other_end + dt.timedelta(days=rest) >= start
        assert f"this round ({start} to {end}) for the {rest}-day rest" in reason
    with translation.override("zh-hans"):
        chinese = [teams.unavailable_reason(v) for v in built.unavailable.values()]
    assert not any("rest between" in r or "serves in" in r for r in chinese)


def test_people_of_a_round_running_late_are_held_and_told_so(cross_round):
    late = dt.date(2026, 10, 1)  # the demo's open rounds were planned to report by September
    built = teams.build_instance(cross_round, today=late)
    with translation.override("en"):
        reasons = [teams.unavailable_reason(v) for v in built.unavailable.values()]
    running = [r for r in reasons if "still under way" in r]
    assert running, reasons
    for reason in running:
        planned = dt.date.fromisoformat(re.search(r"planned to end on (\S+) ", reason).group(1))
        assert planned < late
    on_time = teams.build_instance(cross_round, today=TODAY).unavailable.values()
    assert not any("still under way" in v[0] for v in on_time)  # before the planned ends
    with translation.override("zh-hans"):
        chinese = [teams.unavailable_reason(v) for v in built.unavailable.values()]
    assert not any("under way" in r for r in chinese)


def test_hand_change_refusals_read_as_sentences(cross_round):
    built = teams.build_instance(cross_round, today=TODAY)
    instance = built.instance
    first, second = instance.teams[:2]
    forbidden = next(f for f in instance.forbidden if f.role in (fm.MEMBER, fm.ANY))
    someone = next(c for c in instance.candidates if c.available)
    plain = next(c for c in instance.candidates if not c.leader_eligible and c.available)
    seats = [
        fm.Assignment(first.index, someone.person_id, fm.MEMBER),
        fm.Assignment(second.index, someone.person_id, fm.MEMBER),
        fm.Assignment(forbidden.team_index, forbidden.person_id, fm.MEMBER),
        fm.Assignment(first.index, plain.person_id, fm.LEADER),
    ]
    with translation.override("en"):
        problems = teams.roster_problems(instance, seats, evidence=built.evidence)
    assert f"{someone.name} is placed twice: in {first.label} and in {second.label}." in problems
    banned = next(c.name for c in instance.candidates if c.person_id == forbidden.person_id)
    label = next(t.label for t in instance.teams if t.index == forbidden.team_index)
    assert any(
        p.startswith(
            (f"{banned} may not serve as member in ", f"{banned} may not serve in {label} in any")
        )
        for p in problems
    )
    assert f"{plain.name} cannot lead a team: not in the leader pool." in problems


def test_a_run_still_names_a_specialty_removed_since(as_user, cross_round, user_named):
    office = user_named("office")
    languages = formation_services.specialty_set(
        actor=office, code="foreign-lang", name_zh="外语", name_en="Foreign languages"
    )
    target = cross_round.teams.order_by("id").first().targets.first()
    formation_services.target_need_set(
        actor=office, round_=cross_round, organisation=target, specialties=[languages]
    )
    run = FormationRun.objects.create(round=cross_round, created_by=office, time_limit=2)
    formation_services.formation_solve(run, today=TODAY)
    run.refresh_from_db()
    assert run.status == FormationRun.Status.INFEASIBLE
    from xuncha.talent.models import TargetNeed

    TargetNeed.objects.filter(round=cross_round, organisation=target).delete()
    formation_services.specialty_delete(actor=office, specialty=languages)
    url = reverse("talent:formation", args=[cross_round.pk])
    # The specialty is named as it was, with the target that asked for it.
    chinese = " ".join(as_user("office").get(url).context["explanation"])
    assert f"外语（{target.name}需要）：人才库中无人具备该特长" in chinese
    assert "foreign-lang" not in chinese
    english = as_user("office").get(url, HTTP_ACCEPT_LANGUAGE="en").context["explanation"]
    assert any(
        f"Foreign languages (for {target.name}): nobody in the pool holds it" in line
        for line in english
    ), english


def test_a_change_that_is_no_change_is_refused_in_its_teams_block(as_user, cross_round, user_named):
    run = FormationRun.objects.create(
        round=cross_round, created_by=user_named("office"), time_limit=2
    )
    formation_services.formation_solve(run, today=TODAY)
    team = run.draft[0]["team"]
    client = as_user("office")
    response = client.post(
        reverse("talent:formation_change", args=[run.pk]),
        {"team": team, "role": "member"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert response.redirect_chain[-1][0].endswith(f"#team-{team}")
    text = response.content.decode()
    block = text.split(f'id="team-{team}"')[1].split('data-testid="proposal-team"')[0]
    assert "<strong>Not saved.</strong> Choose someone to take out or to put in." in block
    assert "breaks a rule" not in block


def test_changes_and_acceptance_check_todays_records_not_the_proposals(cross_round, user_named):
    """A conflict declared, or someone taken out of the pool, after the proposal was made:
    a hand change and the acceptance are checked against the records as they are now."""
    office = user_named("office")
    run = FormationRun.objects.create(round=cross_round, created_by=office, time_limit=2)
    formation_services.formation_solve(run, today=TODAY)
    run.refresh_from_db()
    assert run.status == FormationRun.Status.PROPOSED
    draft = teams.assignments_of(run.draft)
    seat = next(a for a in draft if a.role == fm.MEMBER)
    team = cross_round.teams.get(pk=seat.team_index)
    profile = InspectorProfile.objects.get(person_id=seat.person_id)
    formation_services.declaration_record(
        actor=office,
        profile=profile,
        organisation=team.targets.first(),
        source="self",
        reason="与该单位负责人系同学",
    )
    with translation.override("en"), pytest.raises(formation_services.RosterRefused) as refused:
        formation_services.roster_accept(actor=office, run=run)
    problems = refused.value.problems
    assert any(
        profile.person.name in p
        and f"may not serve in {team.name} in any role" in p
        and "与该单位负责人系同学" in p
        for p in problems
    )
    assert problems[-1].startswith("The records have changed since this proposal was made")
    assert not RoundRole.objects.filter(round=cross_round).exists()
    # A hand change is refused only for what it breaks itself: what the proposal broke
    # already does not block it (so two broken teams can be mended one after the other),
    # and the change says it is still there.
    other = next(a for a in draft if a.role == fm.MEMBER and a.team_index != seat.team_index)
    with translation.override("en"):
        still = formation_services.roster_change(
            actor=office,
            run=run,
            team_id=other.team_index,
            person_out=other.person_id,
            person_in=other.person_id,
            role=fm.MEMBER,
        )
    assert any(profile.person.name in p and "may not serve" in p for p in still)
    leader = next(a for a in draft if a.role == fm.LEADER and a.team_index != seat.team_index)
    with translation.override("en"), pytest.raises(formation_services.RosterRefused) as refused:
        formation_services.roster_change(
            actor=office,
            run=run,
            team_id=leader.team_index,
            person_out=leader.person_id,
            person_in=None,
            role=fm.MEMBER,
        )
    assert refused.value.problems and not any(
        profile.person.name in p for p in refused.value.problems
    )
    run.refresh_from_db()
    assert set(teams.assignments_of(run.draft)) == set(draft)
    Declaration.objects.filter(profile=profile).delete()
    # Someone taken out of the pool is named, not left as a number.
    gone = InspectorProfile.objects.get(person_id=other.person_id)
    gone.in_pool, gone.removed_reason = False, "调离"
    gone.save()
    with translation.override("en"), pytest.raises(formation_services.RosterRefused) as refused:
        formation_services.roster_accept(actor=office, run=run)
    assert any(
        gone.person.name in p and "no longer in the pool" in p for p in refused.value.problems
    )
    gone.in_pool, gone.removed_reason = True, ""
    gone.save()
    formation_services.roster_accept(actor=office, run=run)
    assert RoundRole.objects.filter(round=cross_round).count() == len(draft)


def test_a_targets_needs_are_edited_from_what_it_needs_now(as_user, cross_round):
    """Saving replaces the list, so Edit opens the form with the current needs ticked; the
    audit event says what the target needed before, its default included."""
    from xuncha.talent.models import Specialty

    client = as_user("office")
    target = cross_round.teams.order_by("id").first().targets.order_by("id").first()
    needs = teams.target_needs(cross_round)[target.pk]
    assert "finance" in needs  # the default, nothing stored yet
    url = reverse("talent:formation", args=[cross_round.pk])
    page = client.get(url, {"need": target.pk}, HTTP_ACCEPT_LANGUAGE="en")
    form = page.context["need_form"]
    assert form.initial["organisation"] == target.pk
    assert {s.code for s in form.initial["specialties"]} == needs
    text = page.content.decode()
    finance = Specialty.objects.get(code="finance")
    assert re.search(rf'value="{finance.pk}"[^>]*checked', text)
    assert f'<option value="{target.pk}" selected>' in text
    assert "Choose a target" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    law = Specialty.objects.get(code="law")
    chosen = [finance.pk, law.pk]
    need_url = reverse("talent:formation_need", args=[cross_round.pk])
    # Saving what it needs already changes nothing and records nothing.
    same = [s.pk for s in Specialty.objects.filter(code__in=needs)]
    response = client.post(need_url, {"organisation": target.pk, "specialties": same})
    assert response["Location"].endswith("#needs")
    assert not AuditEvent.objects.filter(event_type="talent.target_need_set").exists()
    client.post(need_url, {"organisation": target.pk, "specialties": chosen})
    assert teams.target_needs(cross_round)[target.pk] == {"finance", "law"}
    event = AuditEvent.objects.filter(event_type="talent.target_need_set").latest("pk")
    assert event.before == {
        "organisation": target.pk,
        "name": target.name,
        "specialties": sorted(needs),
    }
    assert event.after["specialties"] == ["finance", "law"]


def test_impossible_request_is_explained_and_a_relaxed_rule_is_audited(
    as_user, user_named, cross_round, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_TASKS
    client = as_user("office")
    formation_services.team_rules_set(
        actor=user_named("office"), committee=cross_round.committee, values={"min_experienced": 7}
    )
    run = _solve(client, cross_round, django_capture_on_commit_callbacks)
    assert run.status == FormationRun.Status.INFEASIBLE
    # The log tells an impossible request from a proposal.
    finished = AuditEvent.objects.filter(
        event_type__startswith="talent.formation", after__run=run.pk
    ).exclude(event_type=AuditEventType.FORMATION_STARTED)
    assert [e.event_type for e in finished] == [AuditEventType.FORMATION_INFEASIBLE]
    explanation = run.result["explanation"]
    assert any("experience" in line for line in explanation), explanation
    page = client.get(reverse("talent:formation", args=[cross_round.pk]))
    assert b"run-infeasible" in page.content
    assert b"infeasible-records-changed" not in page.content  # nothing changed yet
    # The explanation in the user's language (zh-Hans by default), teams by name.
    lines = page.context["explanation"]
    assert lines and not any("experience rule" in line for line in lines)
    assert any(team.name in line for team in cross_round.teams.all() for line in lines)
    english = client.get(
        reverse("talent:formation", args=[cross_round.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).context["explanation"]
    assert any(line.startswith("experience rule") for line in english)
    # Someone unavailable is shown with the reason recorded when the instance was built.
    with translation.override("en"):
        reasons = {teams.unavailable_reason(v) for v in run.result["unavailable"].values()}
    assert reasons and all(r.startswith(("serves in ", "no availability window")) for r in reasons)
    # A few people excluded are given one by one with the reason; many are counted by
    # reason with their names ("8 unavailable (…)").
    assert any(
        re.search(r"\d+ unavailable \(", line) or f"unavailable: {reason}" in line
        for line in english
        for reason in reasons
    ), (english, reasons)
    assert all(
        part.startswith((": ", " (")) for line in english for part in line.split("unavailable")[1:]
    )

    # Relaxing needs a reason; with one, the rule is dropped for this round only.
    client.post(
        reverse("talent:formation_relax", args=[cross_round.pk]),
        {"rule": "min_experienced", "reason": ""},
    )
    assert not RuleRelaxation.objects.filter(round=cross_round).exists()
    client.post(
        reverse("talent:formation_relax", args=[cross_round.pk]),
        {"rule": "min_experienced", "reason": "本轮经验丰富人员不足，经巡察办主任同意"},
    )
    assert teams.build_instance(cross_round, today=TODAY).instance.rules.relaxed == {
        "min_experienced"
    }
    event = AuditEvent.objects.get(event_type="talent.rule_relaxed")
    assert event.after["reason"].startswith("本轮")
    # The explanation stays (it is the last run's) and says what changed since.
    page = client.get(reverse("talent:formation", args=[cross_round.pk]), **EN)
    text = page.content.decode()
    assert 'data-testid="run-infeasible"' in text
    notice = text.split('data-testid="infeasible-records-changed"')[1].split("</div>")[0]
    assert "Newly relaxed for this round: Experienced people per team" in notice
    assert "Form the teams again to see whether they can be formed now." in notice
    run = _solve(client, cross_round, django_capture_on_commit_callbacks)
    assert run.status == FormationRun.Status.PROPOSED
    # The teams and the rules card say the rule is relaxed, not that each team breaks it.
    page = client.get(reverse("talent:formation", args=[cross_round.pk]), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert text.count("two or more rounds: ") == cross_round.teams.count()
    assert "(at least 7)" not in text
    assert text.count("(rule relaxed for this round)") == cross_round.teams.count()
    rule_line = text.split('data-testid="rule-min-experienced"')[1].split("</li>")[0]
    assert "<s>At least 7 with two or more rounds</s>" in rule_line
    assert "relaxed for this round" in rule_line
    client.post(
        reverse("talent:formation_relax", args=[cross_round.pk]), {"restore": "min_experienced"}
    )
    assert not RuleRelaxation.objects.filter(round=cross_round).exists()
    assert AuditEvent.objects.filter(event_type="talent.rule_restored").exists()
    # Specialty coverage relaxed: each team's needs say so, as one phrase.
    formation_services.team_rules_set(
        actor=user_named("office"), committee=cross_round.committee, values={"min_experienced": 1}
    )
    client.post(
        reverse("talent:formation_relax", args=[cross_round.pk]),
        {"rule": "specialties", "reason": "本轮专业人员紧缺"},
    )
    _solve(client, cross_round, django_capture_on_commit_callbacks)
    page = client.get(reverse("talent:formation", args=[cross_round.pk]), HTTP_ACCEPT_LANGUAGE="en")
    needs = re.findall(r"Needs: [^<·]*\)", page.content.decode())
    assert len(needs) == cross_round.teams.count()
    assert needs == ["Needs: Finance (relaxed for this round)"] * len(needs), needs
    assert b"run-rules-differ" not in page.content
    # The rules change after the teams were formed: the rules card says the teams on
    # screen were formed under the earlier ones.
    formation_services.team_rules_set(
        actor=user_named("office"), committee=cross_round.committee, values={"min_experienced": 2}
    )
    page = client.get(reverse("talent:formation", args=[cross_round.pk]), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "formed under earlier rules: at least 1 with two or more rounds. Form" in text
    formation_services.team_rules_set(
        actor=user_named("office"),
        committee=cross_round.committee,
        values={"min_experienced": 1, "size_min": 4, "size_max": 6},
    )
    page = client.get(reverse("talent:formation", args=[cross_round.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "formed under earlier rules: 5–7 people per team. Form" in page.content.decode()
    # Recusal rules and rest days are not part of the instance: the run stored them.
    formation_services.team_rules_set(
        actor=user_named("office"),
        committee=cross_round.committee,
        values={
            "size_min": 5,
            "size_max": 7,
            "recent_years": 5,
            "member_kinship_classes": ["spouse"],
            "rotation": False,
            "rest_days": 1,
        },
    )
    page = client.get(reverse("talent:formation", args=[cross_round.pk]), HTTP_ACCEPT_LANGUAGE="en")
    earlier = page.content.decode().split("formed under earlier rules: ")[1].split(". Form")[0]
    assert earlier == (
        "recusal after working in the target within 3 years or for 3+ years; "
        "relatives that bar members: spouse, direct blood relative; "
        "leaders and deputies do not return to a target they led; 30 days of rest between rounds"
    ), earlier


def _county(code: str) -> Organisation:
    return Organisation.objects.get(code=code)


def _on(day: dt.date):
    """Noon of ``day`` in the office's time zone, the clock standing still."""
    return time_machine.travel(
        dt.datetime.combine(day, dt.time(12), tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    )


def test_the_builder_warns_when_the_planned_first_day_has_passed(as_user, cross_round):
    first_day = teams.round_period(cross_round, TODAY)[0]
    url = reverse("talent:formation", args=[cross_round.pk])
    client = as_user("office")
    with _on(first_day - dt.timedelta(days=1)):
        assert b'data-testid="plan-passed"' not in client.get(url).content
    with _on(first_day + dt.timedelta(days=1)):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["plan_passed"] == first_day
    assert f"its planned first day, {first_day.isoformat()}, has passed".encode() in page.content


def test_who_may_form_teams(as_user, cross_round):
    url = reverse("talent:formation", args=[cross_round.pk])
    assert as_user("office").get(url).status_code == 200
    # A county office sees the cross round (a target is in its county) but the prefecture
    # coordinates it.
    in_c1 = cross_round.teams.filter(targets__path__startswith=_county("C01").path).exists()
    assert as_user("office_c1").get(url).status_code == (403 if in_c1 else 404)
    assert as_user("member").get(url).status_code in (403, 404)
    assert as_user(None).get(url).status_code == 302
    county_round = Round.objects.filter(committee__code="C01", stage=Stage.STATIONING).get()
    assert (
        as_user("office_c1").get(reverse("talent:formation", args=[county_round.pk])).status_code
        == 200
    )


def test_no_forming_after_stationing(user_named):
    done = Round.objects.filter(stage=Stage.CLOSED).first()
    with (
        pytest.raises(ValidationError, match="before the on-site work"),
        translation.override("en"),
    ):
        formation_services.formation_start(actor=user_named("office"), round_=done)


def test_each_team_lists_who_recusal_excludes_and_why(as_user, cross_round, user_named):
    """The demo declares conflicts for the cross round's targets: the proposal lists them
    under their team with the reason, and the people to put in say why they conflict."""
    declared = Declaration.objects.filter(
        organisation__in=[t for team in cross_round.teams.all() for t in team.targets.all()]
    ).select_related("profile__person", "organisation")
    assert declared.filter(source="self").exists() and declared.filter(source="target").exists()
    run = FormationRun.objects.create(
        round=cross_round, created_by=user_named("office"), time_limit=2
    )
    formation_services.formation_solve(run, today=TODAY)
    page = as_user("office").get(
        reverse("talent:formation", args=[cross_round.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    text = page.content.decode()
    assert text.count('data-testid="team-recusals"') >= 1
    for d in declared:
        rule = "declared a conflict" if d.source == "self" else "the target asked for recusal"
        # The target is named: a team may inspect several.
        assert f"{d.profile.person.name}: {rule}: {d.organisation.name}: “{d.reason}”" in text
    chinese = as_user("office").get(reverse("talent:formation", args=[cross_round.pk]))
    d = declared.filter(source="self").first()
    said = f"{d.profile.person.name}：本人申报回避：{d.organisation.name}：“{d.reason}”"
    assert said in chinese.content.decode()
    # Among the people to put in, one in conflict says why in short.
    team = page.context["proposal"]["teams"][0]
    conflicted = dict(team["form"].fields["person_in"].choices).get(
        "In conflict with this team (the check says why)", []
    )
    assert conflicted and all(" — " in label.split(" · ")[0] for _, label in conflicted)
    # Right after the name, where a phone's closed list still shows it.
    assert any(label.split(" · ")[0].endswith("home county") for _, label in conflicted)


def test_a_proposal_says_which_records_changed_since_it_was_made(as_user, cross_round, user_named):
    """The notice compares the instance the proposal was solved on with one built from
    today's records: it names the people, teams and rules, says what the proposed teams
    break now, and is silent when changes cancel out or touch nothing formation reads."""
    from xuncha.core import services as core_services
    from xuncha.talent import services as talent_services

    office = user_named("office")
    run = FormationRun.objects.create(round=cross_round, created_by=office, time_limit=2)
    formation_services.formation_solve(run, today=TODAY)
    run.refresh_from_db()
    url = reverse("talent:formation", args=[cross_round.pk])

    def changes():
        page = as_user("office").get(url, HTTP_ACCEPT_LANGUAGE="en")
        return page, page.context["changes"]

    page, found = changes()
    assert found is None and b"run-records-changed" not in page.content
    # Changes elsewhere (another committee's rules, another round) are not this run's.
    other = Round.objects.exclude(pk=cross_round.pk).filter(stage=Stage.PREPARATION).first()
    if other is not None:
        formation_services.rule_relax(actor=office, round_=other, rule="cross", reason="无关")
    county = Organisation.objects.get(code="C01")
    formation_services.team_rules_set(actor=office, committee=county, values={"rest_days": 9})
    assert changes()[1] is None
    # A conflict declared by someone the proposal seats, with a target of their own team.
    seat = run.draft[0]
    team = cross_round.teams.get(pk=seat["team"])
    target = team.targets.first()
    profile = InspectorProfile.objects.get(person_id=seat["person"])
    name = profile.person.name
    declaration = formation_services.declaration_record(
        actor=office, profile=profile, organisation=target, source="self", reason="同学"
    )
    page, found = changes()
    assert found.lines == [
        f"Newly kept out by recusal: {name} from {team.name} (declared a conflict)"
    ]
    assert found.problems and any(name in p for p in found.problems)
    assert not any("a new proposal takes them into account" in p for p in found.problems)
    text = page.content.decode()
    assert "The proposed teams no longer pass the checks:" in text
    assert (
        re.search(r'data-testid="accept" disabled', text) and 'data-testid="accept-blocked"' in text
    )
    assert f"{name} from {team.name} (declared a conflict)" in text
    # A hand change elsewhere is saved, and says what the teams still break.
    other = next(x for x in run.draft if x["team"] != seat["team"] and x["role"] == "member")
    response = as_user("office").post(
        reverse("talent:formation_change", args=[run.pk]),
        {"team": other["team"], "person_out": other["person"], "person_in": other["person"]}
        | {"role": "member"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    text = response.content.decode()
    assert "Changed. The teams still break rules that the change did not cause" in text
    assert f"{name} may not serve in {team.name} in any role" in text.split("did not cause")[1]
    # Withdrawn again, it cancels out.
    formation_services.declaration_withdraw(actor=office, declaration=declaration)
    assert changes()[1] is None
    # A post in the people registry: the recusal it triggers, for someone not seated there.
    seated = {s["person"] for s in run.draft}
    stored = fm.from_json(run.instance)
    kept_out = {f.person_id for f in stored.forbidden if f.team_index == team.pk}
    free = [
        c.person_id
        for c in stored.candidates
        if c.available and c.person_id not in seated | kept_out
    ]
    outsider = InspectorProfile.objects.select_related("person").get(person_id=min(free))
    core_services.post_create(
        actor=office,
        person=outsider.person,
        organisation=target,
        title="副主任",
        start_date=TODAY - dt.timedelta(days=400),
    )
    page, found = changes()
    line = found.lines[0]
    assert line.startswith(f"Newly kept out by recusal: {outsider.person.name} from {team.name} (")
    assert "worked in the target recently" in line
    assert found.problems == []  # nobody seated is concerned
    assert b"run-still-passes" in page.content
    assert b'data-testid="accept" disabled' not in page.content
    # The people to put in follow today's records: the new recusal is among the conflicts.
    row = next(t for t in page.context["proposal"]["teams"] if t["index"] == team.pk)
    groups = dict(row["form"].fields["person_in"].choices)
    conflicted = dict(groups["In conflict with this team (the check says why)"])
    assert "worked in the target recently" in conflicted[outsider.person_id]
    # This round's needs: a target of the team asks for law (the team's needs are its
    # targets' together, so dropping one target's finance alone would change nothing).
    from xuncha.talent.models import Specialty

    formation_services.target_need_set(
        actor=office,
        round_=cross_round,
        organisation=target,
        specialties=Specialty.objects.filter(code__in=["finance", "law"]),
    )
    needs = [line for line in changes()[1].lines if line.startswith("Needs changed: ")]
    assert needs and f"{team.name} now needs " in needs[0] and "Law" in needs[0]
    # An evaluation counts only when it takes someone out of the pool (or puts them back).
    closed = (
        RoundRole.objects.filter(
            round__stage=Stage.CLOSED,
            profile__county__path__startswith=county.path,
            profile__in_pool=True,
        )
        .select_related("profile__person")
        .first()
    )
    fields = {"profile": closed.profile, "round_": closed.round, "score": 85, "grade": "good"}
    talent_services.evaluation_record(actor=office, **fields)
    assert not any("pool" in line for line in changes()[1].lines)
    talent_services.evaluation_record(
        actor=office,
        **{**fields, "score": 50, "grade": "fail", "leader_comments": "擅离岗位"},
        remove_from_pool=True,
        reason="x",
    )
    assert f"Left the pool: {closed.profile.person.name}" in changes()[1].lines
    # In Chinese.
    chinese = as_user("office").get(url).content.decode()
    assert "提出本方案后，以下记录已有变化：" in chinese
    assert f"退出人才库：{closed.profile.person.name}" in chinese
    # A run no longer a proposal shows its teams as they were, without the notice.
    FormationRun.objects.filter(pk=run.pk).update(status=FormationRun.Status.SUPERSEDED)
    assert b"run-records-changed" not in as_user("office").get(url).content


def test_instance_changes_names_what_differs(db, cross_round, django_assert_max_num_queries):
    """The comparison itself, on hand-built instances; on a real one it reads the
    specialties' names once, however many people it compares."""
    built = teams.build_instance(cross_round, today=TODAY).instance
    changed = fm.Instance(
        candidates=tuple(replace(c, specialties=c.specialties | {"it"}) for c in built.candidates),
        teams=built.teams,
        forbidden=built.forbidden,
        rules=built.rules,
        previous_pairs=built.previous_pairs,
    )
    with django_assert_max_num_queries(1), translation.override("en"):
        assert teams.instance_changes(built, changed)[0].startswith("Profile changed: ")
    a = fm.Candidate(1, "甲", "C01", frozenset({"finance"}), True, 2)
    b = fm.Candidate(2, "乙", "C02", frozenset(), False, 0)
    c = fm.Candidate(3, "丙", "C03", frozenset(), False, 1)
    team = fm.TeamSpec(10, "第一组", (100,), frozenset({"C01"}))
    old = fm.Instance(
        candidates=(a, b),
        teams=(team,),
        forbidden=(fm.Forbidden(2, 10, "any", "declared", "x"),),
    )
    with translation.override("en"):
        assert teams.instance_changes(old, old) == []
        new = fm.Instance(
            candidates=(
                fm.Candidate(
                    1, "甲", "C01", frozenset({"finance", "audit"}), False, 2, qualified=False
                ),
                fm.Candidate(2, "乙", "C02", frozenset(), False, 0, available=False),
                c,
            ),
            teams=(fm.TeamSpec(10, "第一组", (100,), frozenset({"C01"}), size_max=8),),
            forbidden=(fm.Forbidden(1, 10, "leader", "relative", "y"),),
            rules=fm.Rules(min_experienced=2, relaxed=frozenset({"cross"})),
            previous_pairs=frozenset({(1, 2)}),
        )
        assert teams.instance_changes(old, new) == [
            "Joined the pool: 丙",
            "No longer available: 乙",
            "Profile changed: 甲 "
            "(specialties: added Audit; leader eligibility; valid qualification)",
            "Newly kept out by recusal: 甲 from 第一组 (a relative holds a post in the target)",
            "No longer kept out by recusal: 乙 from 第一组 (declared a conflict)",
            "The team sizes changed (the rules below say how).",
            "The experience rules changed (the rules below say how).",
            "Newly relaxed for this round: Cross round: not in one's home county",
            "Who served together before changed (earlier rosters were edited).",
        ]
        # Other teams: recusal and needs per team no longer compare.
        moved = fm.Instance(
            candidates=old.candidates,
            teams=(fm.TeamSpec(10, "第一组", (101,), frozenset({"C01"})),),
            forbidden=(),
        )
        assert teams.instance_changes(old, moved) == ["The round's teams or their targets changed."]
        # Long lists name the first few and count the rest.
        many = tuple(
            fm.Candidate(i, f"人{i:02d}", "C01", frozenset(), False, 0) for i in range(20, 32)
        )
        grown = fm.Instance(candidates=(a, b, *many), teams=old.teams, forbidden=old.forbidden)
        assert teams.instance_changes(old, grown) == [
            "Joined the pool: " + ", ".join(f"人{i:02d}" for i in range(20, 28)) + ", and 4 more"
        ]


def test_after_an_acceptance_the_builder_opens_on_the_accepted_roster(
    as_user, cross_round, user_named
):
    """A run that formed nothing, made before the office accepted an earlier proposal, no
    longer opens the page; opened, it says which rules it was reached under."""
    office = user_named("office")
    run = FormationRun.objects.create(round=cross_round, created_by=office, time_limit=2)
    formation_services.formation_solve(run, today=TODAY)
    formation_services.team_rules_set(
        actor=office, committee=cross_round.committee, values={"min_experienced": 7}
    )
    failed = FormationRun.objects.create(round=cross_round, created_by=office, time_limit=2)
    formation_services.formation_solve(failed, today=TODAY)
    failed.refresh_from_db()
    assert failed.status == FormationRun.Status.INFEASIBLE
    formation_services.team_rules_set(
        actor=office, committee=cross_round.committee, values={"min_experienced": 1}
    )
    url = reverse("talent:formation", args=[cross_round.pk])
    assert as_user("office").get(url).context["run"] == failed  # the latest, not accepted yet
    formation_services.roster_accept(actor=office, run=run)
    page = as_user("office").get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["run"] == run and b"run-infeasible" not in page.content
    old = as_user("office").get(url + f"?run={failed.pk}", HTTP_ACCEPT_LANGUAGE="en")
    assert old.context["run"] == failed
    assert (
        "The result on screen was reached under earlier rules: at least 7 with two or more "
        "rounds." in old.content.decode()
    )


def test_a_round_past_forming_takes_no_change_to_its_teams(user_named):
    """Relaxing or restoring a rule, a target's needs and hand changes belong to forming,
    like the solver run and the acceptance."""
    office = user_named("office")
    done = Round.objects.filter(stage=Stage.CLOSED).first()
    target = done.teams.first().targets.first()
    run = FormationRun.objects.create(
        round=done, created_by=office, status=FormationRun.Status.PROPOSED
    )
    RuleRelaxation.objects.create(round=done, rule="cross", reason="以前放宽", created_by=office)
    attempts = {
        "relax": lambda: formation_services.rule_relax(
            actor=office, round_=done, rule="specialties", reason="试试"
        ),
        "restore": lambda: formation_services.rule_restore(actor=office, round_=done, rule="cross"),
        "needs": lambda: formation_services.target_need_set(
            actor=office, round_=done, organisation=target, specialties=[]
        ),
        "change": lambda: formation_services.roster_change(
            actor=office, run=run, team_id=1, person_out=None, person_in=1, role="member"
        ),
    }
    events = AuditEvent.objects.count()
    for name, attempt in attempts.items():
        with (
            pytest.raises(ValidationError, match="before the on-site work"),
            translation.override("en"),
        ):
            attempt()
        assert AuditEvent.objects.count() == events, name
    assert RuleRelaxation.objects.filter(round=done).count() == 1


def test_a_refused_relaxation_keeps_the_rule_and_says_why_at_the_field(as_user, cross_round):
    client = as_user("office")
    url = reverse("talent:formation_relax", args=[cross_round.pk])
    response = client.post(url, {"rule": "cross", "reason": "  "}, **EN)
    assert response["Location"].endswith("#relax")
    page = client.get(reverse("talent:formation", args=[cross_round.pk]), **EN)
    form = page.context["relax_form"]
    assert form["rule"].value() == "cross"
    assert form.errors["reason"] == ["This field is required."]
    text = page.content.decode()
    assert re.search(r'<option value="cross" selected>', text)
    assert 'data-testid="relax-error"' in text and "novalidate" in text
    assert not RuleRelaxation.objects.filter(round=cross_round).exists()
    # Shown once: the next visit starts afresh.
    again = client.get(reverse("talent:formation", args=[cross_round.pk]), **EN)
    assert not again.context["relax_form"].is_bound
    # A rule relaxed already is no longer offered; posted anyway, the service says why.
    client.post(url, {"rule": "cross", "reason": "本县人员不足"})
    page = client.get(reverse("talent:formation", args=[cross_round.pk]), **EN)
    assert 'value="cross"' not in page.content.decode().split('data-testid="relax-form"')[1]
    client.post(url, {"rule": "cross", "reason": "再次"}, **EN)
    page = client.get(reverse("talent:formation", args=[cross_round.pk]), **EN)
    assert page.context["relax_form"].errors["rule"] == [
        "This rule is already relaxed for the round."
    ]
    # The relaxation says when it was made; "Change" opens the rules of the round's committee.
    relaxation = RuleRelaxation.objects.get(round=cross_round)
    text = page.content.decode()
    assert timezone.localtime(relaxation.created_at).strftime("%Y-%m-%d %H:%M") in text
    change = re.search(r'href="([^"]*)" data-testid="rules-change"', text).group(1)
    assert change.endswith(f"?committee={cross_round.committee_id}")


def test_the_cross_rule_is_relaxed_only_in_a_cross_round(as_user, user_named, cross_round):
    local = (
        Round.objects.filter(cross=False, stage__in=formation_services.FORMING_STAGES)
        .order_by("pk")
        .first()
    )
    client = as_user("office")
    page = client.get(reverse("talent:formation", args=[local.pk]), **EN).content.decode()
    offered = page.split('data-testid="relax-form"')[1].split("</form>")[0]
    assert 'value="specialties"' in offered and 'value="cross"' not in offered
    client.post(
        reverse("talent:formation_relax", args=[local.pk]), {"rule": "cross", "reason": "试试"}
    )
    assert not RuleRelaxation.objects.filter(round=local).exists()
    with pytest.raises(ValidationError, match="does not apply"), translation.override("en"):
        formation_services.rule_relax(
            actor=user_named("office"), round_=local, rule="cross", reason="试试"
        )
    cross = client.get(reverse("talent:formation", args=[cross_round.pk]), **EN).content.decode()
    assert 'value="cross"' in cross.split('data-testid="relax-form"')[1].split("</form>")[0]


def test_a_finished_round_offers_no_relaxation_or_needs_form(as_user):
    done = Round.objects.filter(stage=Stage.CLOSED).first()
    page = as_user("office").get(reverse("talent:formation", args=[done.pk]), **EN)
    text = page.content.decode()
    assert 'data-testid="relax-form"' not in text and 'data-testid="need-form"' not in text
    assert 'data-testid="need-edit"' not in text
    assert 'data-testid="relaxations"' in text  # what was relaxed still shows
    # Posted anyway: the refusal is said on the page, since no form is there to show it.
    posted = as_user("office").post(
        reverse("talent:formation_relax", args=[done.pk]),
        {"rule": "specialties", "reason": "试试"},
        follow=True,
        **EN,
    )
    assert "Teams are formed before the on-site work" in posted.content.decode()
    assert not RuleRelaxation.objects.filter(round=done, rule="specialties").exists()


def test_restoring_a_rule_not_relaxed_says_so(as_user, cross_round):
    response = as_user("office").post(
        reverse("talent:formation_relax", args=[cross_round.pk]),
        {"restore": "cross"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    text = response.content.decode()
    assert "This rule is not relaxed for the round." in text
    assert "The rule applies again" not in text
    assert not AuditEvent.objects.filter(event_type="talent.rule_restored").exists()


def test_accepting_again_keeps_the_releases_it_drops_in_the_audit(
    as_user, cross_round, user_named, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_TASKS
    office = user_named("office")
    run = _solve(as_user("office"), cross_round, django_capture_on_commit_callbacks)
    formation_services.roster_accept(actor=office, run=run)
    today = timezone.localdate()
    for release in Release.objects.filter(round=cross_round):
        formation_services.release_confirm(actor=office, release=release, on=today)
    # Confirming again (a note added) keeps what was there in the event.
    release = Release.objects.filter(round=cross_round).order_by("pk").first()
    formation_services.release_confirm(actor=office, release=release, note="电话确认", on=today)
    event = AuditEvent.objects.filter(event_type="talent.release_confirmed").latest("seq")
    assert event.before == {"on": today.isoformat(), "note": ""}
    assert event.after["note"] == "电话确认"
    # A new proposal without one person (the first whose absence breaks no rule).
    second = FormationRun.objects.create(
        round=cross_round,
        created_by=office,
        status=FormationRun.Status.PROPOSED,
        instance=run.instance,
        result=run.result,
        draft=run.draft,
    )
    for slot in run.draft:
        draft = [s for s in run.draft if s is not slot]
        if not formation_services.run_problems(second, draft):
            break
    else:
        pytest.fail("no one can leave the roster without breaking a rule")
    FormationRun.objects.filter(pk=second.pk).update(draft=draft)
    second.refresh_from_db()
    formation_services.roster_accept(actor=office, run=second)
    dropped = InspectorProfile.objects.get(person_id=slot["person"]).pk
    assert not Release.objects.filter(round=cross_round, profile_id=dropped).exists()
    accepted = AuditEvent.objects.filter(event_type="talent.roster_accepted").latest("seq")
    assert accepted.before["releases_removed"] == [
        {"profile": dropped, "confirmed": True, "on": today.isoformat()}
    ]


def test_a_failed_solver_run_is_recorded_and_audited(
    as_user, cross_round, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_TASKS

    def broken(*args, **kwargs):
        raise RuntimeError("the solver broke")

    monkeypatch.setattr(fm, "solve", broken)
    with django_capture_on_commit_callbacks(execute=True):
        as_user("office").post(
            reverse("talent:formation_start", args=[cross_round.pk]), {"time_limit": 1, "seed": 0}
        )
    _work()
    run = FormationRun.objects.filter(round=cross_round).latest("created_at")
    assert run.status == FormationRun.Status.FAILED
    event = AuditEvent.objects.get(event_type="talent.formation_failed")
    assert event.after == {"run": run.pk, "error": "RuntimeError"}
    assert event.actor.username == "office"


def test_rules_inherit_from_the_nearest_committee(user_named):
    prefecture = Organisation.objects.get(kind="prefecture")
    county = Organisation.objects.get(code="C01")
    assert teams.rules_for(county).pk is None and teams.rules_for(county).recent_years == 3
    formation_services.team_rules_set(
        actor=user_named("office"), committee=prefecture, values={"recent_years": 5}
    )
    assert teams.rules_for(county).recent_years == 5
    formation_services.team_rules_set(
        actor=user_named("office"), committee=county, values={"recent_years": 2}
    )
    assert teams.rules_for(county).recent_years == 2
    assert teams.rules_for(prefecture).recent_years == 5


def test_building_the_instance_takes_the_same_queries_for_a_larger_pool(cross_round):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from xuncha.talent import services

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            teams.build_instance(cross_round, today=TODAY)
        return len(ctx)

    count()  # warm-up: the first call may fill a cache
    before = count()
    county = _county("C02")
    for n in range(5):
        person = Person.objects.create(name=f"扩充{n}", registry=county)
        Post.objects.create(
            person=person, organisation=county, title="科员", start_date=dt.date(2015, 1, 1)
        )
        services.inspector_create(actor=None, person=person, county=county)
    assert count() == before


def test_evidence_follows_the_users_language(cross_round):
    built = teams.build_instance(cross_round, today=TODAY)
    items = next(v for k, v in built.evidence.items() if ":worked_recently" in k)
    template, params = items[0]
    with translation.override("en"):
        english = teams.render_evidence(template, params)
    with translation.override("zh-hans"):
        chinese = teams.render_evidence(template, params)
    assert english.startswith("worked at ")
    assert chinese != english and "worked" not in chinese


def test_the_round_page_shows_each_team_and_warns_about_unconfirmed_releases(as_user):
    current = Round.objects.filter(committee__code="C01", stage=Stage.STATIONING).get()
    page = as_user("office_c1").get(reverse("rounds:round_detail", args=[current.pk]))
    content = page.content.decode()
    assert content.count('data-testid="team-crew"') == current.teams.count()
    pending = Release.objects.filter(round=current, confirmed=False).count()
    assert pending and content.count('data-testid="release-warning"') == pending
    assert 'data-testid="team-builder"' in content
    # A team member sees the crew but no builder.
    member_page = as_user("member").get(reverse("rounds:round_detail", args=[current.pk]))
    assert b'data-testid="team-builder"' not in member_page.content


def test_a_team_s_recusal_list_says_which_roles_a_rule_bars():
    """A rule barring the lead roles only reads as alternatives ("leader or deputy leader")."""
    a = fm.Candidate(1, "甲", "C01", frozenset(), True, 2)
    inst = fm.Instance(
        candidates=(a,),
        teams=(fm.TeamSpec(10, "第一组", (100,), frozenset({"C01"})),),
        forbidden=(
            fm.Forbidden(1, 10, "leader", "relative", "配偶在该镇任职"),
            fm.Forbidden(1, 10, "deputy", "relative", "配偶在该镇任职"),
        ),
    )
    with translation.override("en"):
        assert teams.recusals_of_team(inst, {}, 10) == [
            {
                "name": "甲",
                "reasons": "a relative holds a post in the target "
                "(may not serve as leader or deputy leader): 配偶在该镇任职",
            }
        ]
    with translation.override("zh-hans"):
        assert "（不得担任组长或副组长）" in teams.recusals_of_team(inst, {}, 10)[0]["reasons"]


def test_a_conflict_in_every_role_reads_as_closing_the_team():
    """A rule that bars someone in every role says so (no other role would do); one that
    bars a lead role only names the role."""
    a = fm.Candidate(1, "甲", "C01", frozenset({"finance"}), True, 2)
    b = fm.Candidate(2, "乙", "C02", frozenset(), True, 2)
    team = fm.TeamSpec(10, "第一组", (100,), frozenset({"C09"}), size_min=1, deputies_min=0)
    every = tuple(fm.Forbidden(1, 10, role, "declared", "同学") for role in fm.ROLES)
    inst = fm.Instance(
        candidates=(a, b),
        teams=(team,),
        forbidden=(
            *every,
            fm.Forbidden(1, 10, "any", "relative", "兄弟"),
            fm.Forbidden(2, 10, "leader", "relative", "配偶"),
        ),
    )
    seats = [fm.Assignment(10, 1, fm.MEMBER), fm.Assignment(10, 2, fm.LEADER)]
    with translation.override("en"):
        problems = teams.roster_problems(inst, seats)
    # Two reasons closing the team: one sentence naming both.
    assert [p for p in problems if p.startswith("甲 ")] == [
        "甲 may not serve in 第一组 in any role: declared a conflict (同学); "
        "a relative holds a post in the target (兄弟)."
    ]
    assert (
        "乙 may not serve as leader in 第一组: a relative holds a post in the target (配偶)."
        in problems
    )


def test_the_reasons_closing_a_team_are_not_buried_under_the_lead_roles_own():
    """Someone kept out in every role is refused, and listed, by the reasons that decide;
    the reasons barring only the lead roles are left out of the refusal and counted in
    the team's list."""
    a = fm.Candidate(1, "甲", "C01", frozenset({"finance"}), True, 2)
    team = fm.TeamSpec(10, "第一组", (100,), frozenset({"C09"}), size_min=1, deputies_min=0)
    inst = fm.Instance(
        candidates=(a,),
        teams=(team,),
        forbidden=(
            fm.Forbidden(1, 10, "any", "declared", "同学"),
            fm.Forbidden(1, 10, "leader", "colleague", "与局长同事"),
            fm.Forbidden(1, 10, "deputy", "colleague", "与局长同事"),
            fm.Forbidden(1, 10, "leader", "relative", "配偶"),
        ),
    )
    with translation.override("en"):
        problems = teams.roster_problems(inst, [fm.Assignment(10, 1, fm.LEADER)])
        listed = teams.recusals_of_team(inst, {}, 10)
    assert [p for p in problems if p.startswith("甲 ")] == [
        "甲 may not serve in 第一组 in any role: declared a conflict (同学)."
    ]
    assert listed == [
        {"name": "甲", "reasons": "declared a conflict: 同学; 2 more reasons bar the lead roles"}
    ]
    with translation.override("zh-hans"):
        listed_zh = teams.recusals_of_team(inst, {}, 10)[0]["reasons"]
    assert "另有2项理由使其不得担任组长、副组长" in listed_zh


def test_post_evidence_takes_full_width_brackets_in_chinese():
    params = {
        "post": "云溪县组织部 (项目负责人) 2019-02-12–present",
        "years": "3",
        "cutoff": "2023",
    }
    template = "worked at %(post)s, within the %(years)s-year period (on or after %(cutoff)s)"
    with translation.override("zh-hans"):
        assert teams.render_evidence(template, params) == (
            "曾在云溪县组织部（项目负责人）2019-02-12–至今任职，在3年内（2023以后）"
        )
    with translation.override("en"):
        assert "云溪县组织部 (项目负责人) 2019-02-12–present" in teams.render_evidence(
            template, params
        )
    pairs = {"pairs": "副局长 2020-01-01–2022-01-01 / 科长 2020-01-01–present; 局长 x / 科员 y"}
    with translation.override("zh-hans"):
        rendered = teams.render_evidence("%(pairs)s", pairs)
    assert rendered == "副局长 2020-01-01–2022-01-01／科长 2020-01-01–至今；局长 x／科员 y"


def test_the_builder_names_targets_seed_leaders_and_needs_nobody_holds(
    as_user, cross_round, user_named
):
    """Each team says what it inspects (and, in a cross round, the counties nobody may come
    from); the run says its seed and time limit; the people to put in say who may lead;
    where specialty coverage is relaxed, a need nobody of the team holds is named."""
    office = user_named("office")
    rare = Specialty.objects.create(code="languages", name_zh="外语", name_en="Foreign languages")
    first = cross_round.teams.order_by("pk").first()
    target = first.targets.order_by("pk").first()
    formation_services.target_need_set(
        actor=office,
        round_=cross_round,
        organisation=target,
        specialties=[rare, Specialty.objects.get(code="finance")],
    )
    formation_services.rule_relax(
        actor=office, round_=cross_round, rule=fm.RELAX_SPECIALTIES, reason="外语人才不足"
    )
    run = FormationRun.objects.create(round=cross_round, created_by=office, time_limit=2, seed=7)
    formation_services.formation_solve(run, today=TODAY)
    run.refresh_from_db()
    assert run.status == FormationRun.Status.PROPOSED
    page = as_user("office").get(
        reverse("talent:formation", args=[cross_round.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    text = page.content.decode()
    assert "seed 7, time limit 2 s" in text
    rows = {row["index"]: row for row in page.context["proposal"]["teams"]}
    for team in cross_round.teams.prefetch_related("targets"):
        assert sorted(rows[team.pk]["targets"]) == sorted(t.name for t in team.targets.all())
        assert rows[team.pk]["counties"], team.name
    assert "Inspects " + ", ".join(rows[first.pk]["targets"]) in text
    assert rows[first.pk]["missing"] == ["Foreign languages"]
    assert "nobody holds Foreign languages" in text
    others = [row for pk, row in rows.items() if pk != first.pk]
    assert all(row["missing"] == [] for row in others)
    leaders = {c.person_id for c in fm.from_json(run.instance).candidates if c.leader_eligible}
    offered = [
        (pid, label)
        for _group, options in rows[first.pk]["form"].fields["person_in"].choices[1:]
        for pid, label in options
    ]
    assert offered and any(pid in leaders for pid, _label in offered)
    # Those without a qualification valid on the first day say so (a warning once seated).
    first_day = dt.date.fromisoformat(run.result["period"][0])
    lacking = teams.without_valid_qualification([pid for pid, _label in offered], first_day)
    assert lacking and lacking != {pid for pid, _label in offered} - leaders
    for pid, label in offered:
        name_part = label.split(" · ")[0]
        assert ("can lead" in name_part) == (pid in leaders), label
        assert ("no valid qualification" in name_part) == (pid in lacking), label
    chinese = as_user("office").get(reverse("talent:formation", args=[cross_round.pk]))
    assert "巡察对象：" + "、".join(rows[first.pk]["targets"]) in chinese.content.decode()
    assert "种子7，时限2秒" in chinese.content.decode()
    # The list of earlier runs says each one's seed and time limit too.
    FormationRun.objects.create(round=cross_round, created_by=office, time_limit=5, seed=3)
    listed = as_user("office").get(
        reverse("talent:formation", args=[cross_round.pk]) + f"?run={run.pk}",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    seeds = re.findall(r'data-testid="run-list-seed">(.*?)</span>', listed.content.decode())
    assert seeds == ["seed 3, time limit 5 s", "seed 7, time limit 2 s"]
