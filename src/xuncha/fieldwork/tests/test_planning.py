"""Interview planning on a hand-built target: each must-interview rule with its reason, hand
edits kept on regenerate, the reproducible stratified sample, the recusal evidence between
interviewers and interviewees, outlines with questions from open clues, the question bank,
and who may use each page."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from xuncha.clues import services as clue_services
from xuncha.clues.models import Kind
from xuncha.core import services as core_services
from xuncha.core.lib.text import Text
from xuncha.core.models import AuditEvent, AuditEventType, Kinship, Organisation, Person, Post
from xuncha.fieldwork import common
from xuncha.fieldwork import planning_services as ps
from xuncha.fieldwork.lib import interviewees as li
from xuncha.fieldwork.models import Interviewee, IntervieweeRole, Question, SampleDraw
from xuncha.rounds.models import MajorProject, Team

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
_codes = itertools.count(1)


def _today() -> dt.date:
    return timezone.localdate()


def _years_ago(years: int, days: int = 0) -> dt.date:
    return li.years_back(_today(), years) + dt.timedelta(days=days)


def _events(kind: str, **filters: Any) -> int:
    return AuditEvent.objects.filter(event_type=kind, **filters).count()


class Unit:
    """A fictional county bureau with two departments, built through the ORM."""

    def __init__(self, team: Team, name: str = "青岚县测试局") -> None:
        committee = team.round.committee
        n = next(_codes)
        self.team = team
        self.org = core_services.organisation_create(
            actor=None,
            name=f"{name}{n}",
            code=f"TPL{n:03d}",
            kind="unit",
            parent=committee,
            committee=committee,
        )
        self.finance = core_services.organisation_create(
            actor=None,
            name="财务股",
            code=f"TPL{n:03d}F",
            kind="unit",
            parent=self.org,
            committee=committee,
        )
        self.office = core_services.organisation_create(
            actor=None,
            name="办公室",
            code=f"TPL{n:03d}O",
            kind="unit",
            parent=self.org,
            committee=committee,
        )
        team.targets.add(self.org)
        self.registry = committee

    def person(
        self,
        name: str,
        title: str = "科员",
        *,
        org: Organisation | None = None,
        leadership: bool = False,
        key: bool = False,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> Person:
        person = Person.objects.create(name=name, registry=self.registry)
        Post.objects.create(
            person=person,
            organisation=org or self.org,
            title=title,
            is_leadership=leadership,
            is_key_post=key,
            start_date=start or _years_ago(6),
            end_date=end,
        )
        return person


@pytest.fixture
def unit(team: Team) -> Unit:
    return Unit(team)


@pytest.fixture
def office(user_named: Any) -> Any:
    return user_named("office")


def _record(user: Any, unit: Unit, people: list[Person], title: str = "食堂采购价格偏高") -> Any:
    return clue_services.record_create(
        actor=user,
        round_=unit.team.round,
        target=unit.org,
        team=unit.team,
        kind=Kind.CLUE,
        title=title,
        description="反映食堂采购价格明显高于市场价（虚构）。",
        source="letter",
        subjects=[clue_services.SubjectInput(p.name, person=p) for p in people],
    )


# -- the must-interview list ---------------------------------------------------------------


def test_generate_list_gives_each_rule_its_reason(unit: Unit, office: Any) -> None:
    secretary = unit.person("张测书", "党委书记", leadership=True, start=_years_ago(5))
    deputy = unit.person("李测副", "副局长", leadership=True, start=_years_ago(2))
    retired = unit.person("王测退", "副局长", leadership=True, end=_years_ago(1))
    old = unit.person("赵测老", "副局长", leadership=True, start=_years_ago(20), end=_years_ago(10))
    cashier = unit.person("钱测财", "会计", org=unit.finance, key=True)
    insider = unit.person("孙测项", "科员", org=unit.office)
    named = unit.person("周测名", "科员", org=unit.office)
    unit.person("吴测员", "科员", org=unit.office)
    project = MajorProject.objects.create(
        organisation=unit.org, name="城区道路改造（虚构）", amount=1000000, start_date=_years_ago(2)
    )
    project.participants.add(insider)
    _record(office, unit, [named])

    result = ps.generate_list(actor=office, team=unit.team, target=unit.org)

    rows = {iv.person_id: iv for iv in Interviewee.objects.filter(team=unit.team, target=unit.org)}
    assert rows[secretary.pk].rules == [li.RULE_MAIN_LEADER, li.RULE_LEADERSHIP]
    assert rows[secretary.pk].role == IntervieweeRole.MAIN_LEADER
    assert rows[deputy.pk].rules == [li.RULE_LEADERSHIP]
    assert rows[deputy.pk].role == IntervieweeRole.LEADERSHIP_MEMBER
    assert rows[retired.pk].rules == [li.RULE_RETIRED_LEADER]
    assert rows[retired.pk].role == IntervieweeRole.RETIRED_LEADER
    assert old.pk not in rows
    assert rows[cashier.pk].rules == [li.RULE_KEY_POST]
    assert rows[cashier.pk].department == "财务股"
    assert rows[insider.pk].rules == [li.RULE_PROJECT]
    assert rows[named.pk].rules == [li.RULE_NAMED_IN_CLUE]
    for iv in rows.values():
        assert iv.source == Interviewee.Source.MUST
        assert iv.reasons and iv.outline is not None
    # Reasons render as sentences naming the facts.
    assert "main leader of" in ps.render(rows[secretary.pk].reasons[0])
    assert "finance" in ps.render(rows[cashier.pk].reasons[0])
    assert "城区道路改造" in ps.render(rows[insider.pk].reasons[0])
    assert (
        result.created
        == len(rows)
        + Interviewee.objects.filter(team=unit.team, target=unit.org, person__isnull=True).count()
    )
    assert _events(AuditEventType.FIELDWORK_LIST_GENERATED, object_id=str(unit.team.pk)) >= 1


def test_main_leader_skips_deputies_and_takes_the_earliest(unit: Unit, office: Any) -> None:
    unit.person("甲测副", "副书记", leadership=True, start=_years_ago(9))
    first = unit.person("乙测局", "局长", leadership=True, start=_years_ago(4))
    unit.person("丙测书", "党组书记", leadership=True, start=_years_ago(3))
    ps.generate_list(actor=office, team=unit.team, target=unit.org)
    mains = Interviewee.objects.filter(team=unit.team, role=IntervieweeRole.MAIN_LEADER)
    assert [iv.person_id for iv in mains if iv.target_id == unit.org.pk] == [first.pk]


def test_key_posts_are_editable(unit: Unit, office: Any) -> None:
    clerk = unit.person("钱测购", "采购员", key=True)
    other = unit.person("孙测档", "档案管理员", key=True)
    ps.generate_list(actor=office, team=unit.team, target=unit.org, key_posts=["finance"])
    assert not Interviewee.objects.filter(team=unit.team, person=clerk).exists()
    ps.generate_list(
        actor=office, team=unit.team, target=unit.org, key_posts=["procurement", "other"]
    )
    assert Interviewee.objects.get(team=unit.team, person=clerk).rules == [li.RULE_KEY_POST]
    assert "other key post" in ps.render(
        Interviewee.objects.get(team=unit.team, person=other).reasons[0]
    )
    with pytest.raises(ValidationError, match="Unknown key post kinds"):
        ps.generate_list(actor=office, team=unit.team, target=unit.org, key_posts=["canteen"])


def test_regenerate_keeps_hand_edits_and_held_talks(unit: Unit, office: Any) -> None:
    deputy = unit.person("李测改", "副局长", leadership=True)
    retired = unit.person("王测留", "副局长", leadership=True, end=_years_ago(2))
    gone = unit.person("赵测去", "副局长", leadership=True, end=_years_ago(2, 10))
    ps.generate_list(actor=office, team=unit.team, target=unit.org)
    mine = ps.add_interviewee(actor=office, team=unit.team, target=unit.org, name="群众甲（虚构）")
    edited = Interviewee.objects.get(team=unit.team, person=deputy)
    ps.interviewee_update(actor=office, interviewee=edited, role=IntervieweeRole.MIDDLE_MANAGER)
    Interviewee.objects.filter(team=unit.team, person=retired).update(
        status=Interviewee.Status.HELD
    )

    # With a one-year window the two retired leaders drop off the rules.
    result = ps.generate_list(actor=office, team=unit.team, target=unit.org, retired_within_years=1)

    assert Interviewee.objects.get(pk=edited.pk).role == IntervieweeRole.MIDDLE_MANAGER
    assert Interviewee.objects.filter(pk=mine.pk).exists()
    assert Interviewee.objects.filter(team=unit.team, person=retired).exists()  # held
    assert not Interviewee.objects.filter(team=unit.team, person=gone).exists()  # untouched
    assert result.removed == 1
    assert result.kept >= 1


def test_add_interviewee_rules(unit: Unit, office: Any, team: Team) -> None:
    boss = unit.person("张测加", "局长", leadership=True)
    iv = ps.add_interviewee(actor=office, team=team, target=unit.org, person=boss, name="ignored")
    assert iv.name == "张测加"
    assert iv.role == IntervieweeRole.MAIN_LEADER
    assert iv.outline is not None
    assert _events(AuditEventType.FIELDWORK_INTERVIEWEE_SET, object_id=str(iv.pk)) == 1
    with pytest.raises(ValidationError, match="already on the team's list"):
        ps.add_interviewee(actor=office, team=team, target=unit.org, person=boss)
    with pytest.raises(ValidationError, match="Choose a person"):
        ps.add_interviewee(actor=office, team=team, target=unit.org, name="  ")
    public = ps.add_interviewee(
        actor=office,
        team=team,
        target=unit.org,
        name="群众乙（虚构）",
        source=Interviewee.Source.SUGGESTED,
        reasons=[Text("named in an interview record")],
    )
    assert public.role == IntervieweeRole.PUBLIC
    assert public.reasons == [{"t": "named in an interview record", "p": {}}]
    outsider = Organisation.objects.exclude(pk__in=team.targets.values("pk")).first()
    assert outsider is not None
    with pytest.raises(ValidationError, match="not one of the team's targets"):
        ps.add_interviewee(actor=office, team=team, target=outsider, name="某人")


def test_talk_requests_join_the_list_by_report_label(unit: Unit, office: Any) -> None:
    from xuncha.intake.models import Appointment, Channel, Report

    channel = Channel.objects.filter(team=unit.team).first()
    if channel is None:
        pytest.skip("the demo team has no public channel")
    now = timezone.now()
    report = Report.objects.create(
        channel=channel,
        number=9000 + next(_codes),
        kind="talk",
        source="web",
        received_at=now,
        content=b"x",
    )
    Appointment.objects.create(
        report=report,
        team=unit.team,
        starts_at=now,
        ends_at=now + dt.timedelta(hours=1),
        mode="in_person",
        state=Appointment.State.CONFIRMED,
        created_by=office,
    )
    ps.generate_list(actor=office, team=unit.team, target=unit.org)
    iv = Interviewee.objects.get(team=unit.team, person=None, name=report.label)
    assert iv.rules == [li.RULE_TALK_REQUEST]
    assert iv.role == IntervieweeRole.PUBLIC
    # Regenerating does not add it twice.
    ps.generate_list(actor=office, team=unit.team, target=unit.org)
    assert Interviewee.objects.filter(team=unit.team, name=report.label).count() == 1


# -- the sample ------------------------------------------------------------------------------


def test_sample_is_reproducible_and_stratified(unit: Unit, office: Any) -> None:
    unit.person("张测长", "局长", leadership=True)
    for i in range(6):
        unit.person(f"办测{i}", org=unit.office)
    for i in range(3):
        unit.person(f"财测{i}", org=unit.finance)
    first = ps.sample_preview(unit.team, unit.org, 3, 42)
    again = ps.sample_preview(unit.team, unit.org, 3, 42)
    assert first.person_ids == again.person_ids
    assert {s.department: s.drawn for s in first.strata} == {"办公室": 2, "财务股": 1}

    draw = ps.draw_sample(actor=office, team=unit.team, target=unit.org, size=3, seed=42)
    assert draw.seed == 42
    drawn = Interviewee.objects.filter(team=unit.team, source=Interviewee.Source.SAMPLE)
    assert sorted(iv.person_id for iv in drawn) == sorted(first.person_ids)
    assert all(iv.role == IntervieweeRole.STAFF and iv.outline for iv in drawn)
    assert {s["department"]: s["drawn"] for s in draw.strata} == {"办公室": 2, "财务股": 1}
    assert _events(AuditEventType.FIELDWORK_SAMPLE_DRAWN, object_id=str(draw.pk)) == 1
    # The leader is never drawn, the drawn are not drawn twice.
    assert ps.sample_pool(unit.team, unit.org) == 6
    with pytest.raises(ValidationError, match="at least 1"):
        ps.draw_sample(actor=office, team=unit.team, target=unit.org, size=0)
    with pytest.raises(ValidationError, match="Only 6 ordinary staff"):
        ps.draw_sample(actor=office, team=unit.team, target=unit.org, size=7)
    free = ps.draw_sample(actor=office, team=unit.team, target=unit.org, size=1)
    assert SampleDraw.objects.get(pk=free.pk).seed >= 0


# -- interviewer conflicts ---------------------------------------------------------------------


def _member(team: Team) -> Person:
    seat = next(s for s in common.seats(team) if s.role == "member")
    return seat.person


def test_pair_evidence_for_each_rule(unit: Unit, office: Any, team: Team) -> None:
    me = _member(team)
    x = core_services.organisation_create(
        actor=None, name="某乡（虚构）", code="TPLX", kind="township", parent=unit.registry
    )
    y = core_services.organisation_create(
        actor=None, name="某站（虚构）", code="TPLY", kind="unit", parent=unit.registry
    )
    z = core_services.organisation_create(
        actor=None, name="某所（虚构）", code="TPLZ", kind="unit", parent=unit.registry
    )
    spouse = unit.person("配测偶")
    Kinship.objects.create(person=spouse, relative=me, relation="spouse")
    # At X the member led and the other worked under them, ending a year ago.
    Post.objects.create(
        person=me,
        organisation=x,
        title="乡长",
        is_leadership=True,
        start_date=_years_ago(4),
        end_date=_years_ago(1),
    )
    junior = unit.person("下测属")
    Post.objects.create(
        person=junior, organisation=x, title="科员", start_date=_years_ago(3), end_date=None
    )
    # At Y the member works under the other.
    Post.objects.create(person=me, organisation=y, title="干事", start_date=_years_ago(2))
    senior = unit.person("上测级")
    Post.objects.create(
        person=senior, organisation=y, title="站长", is_leadership=True, start_date=_years_ago(3)
    )
    # At Z both worked side by side for five years, long ago.
    Post.objects.create(
        person=me,
        organisation=z,
        title="科员",
        start_date=_years_ago(15),
        end_date=_years_ago(10),
    )
    colleague = unit.person("同测事")
    Post.objects.create(
        person=colleague,
        organisation=z,
        title="科员",
        start_date=_years_ago(16),
        end_date=_years_ago(9),
    )
    stranger = unit.person("无测关")
    for p in (spouse, junior, senior, colleague, stranger):
        ps.add_interviewee(actor=office, team=team, target=unit.org, person=p)

    found = {
        (e.interviewee_id, e.rule) for e in ps.pair_evidence(team) if e.interviewer_id == me.pk
    }
    assert (spouse.pk, "relative") in found
    assert (junior.pk, "former_superior") in found
    assert (senior.pk, "former_subordinate") in found
    assert (colleague.pk, "former_colleague") in found
    assert (colleague.pk, "former_superior") not in found  # no rank, and long ago
    assert not any(i == stranger.pk for i, _ in found)
    relative = next(e for e in ps.pair_evidence(team) if e.rule == "relative")
    assert ps.render(relative.evidence.to_json()) == f"{spouse.name} is the spouse of {me.name}"

    check = ps.conflicts(team)
    assert any(p.interviewer_id == me.pk and p.interviewee_id == spouse.pk for p in check.excluded)


# -- outlines ----------------------------------------------------------------------------------


def test_outline_has_questions_from_an_open_clue_naming_the_person(unit: Unit, office: Any) -> None:
    cashier = unit.person("钱测纲", "会计", org=unit.finance, key=True)
    iv = ps.add_interviewee(actor=office, team=unit.team, target=unit.org, person=cashier)
    assert ps.stored_outline(iv) is not None
    record = _record(office, unit, [cashier], title="报销票据不规范")
    outline = ps.outline_for(iv)
    items = [q for q in outline.from_items if q.item_id == record.pk]
    assert len(items) == 2
    assert all("报销票据不规范" in q.text_zh for q in items)
    assert "from clue" in ps.render(items[0].origin().to_json())
    # Bank questions for the role come by focus area.
    assert outline.sections and all(
        q.source == "bank" for s in outline.sections for q in s.questions
    )


# -- the question bank -----------------------------------------------------------------------


def test_question_save_validates_and_audits(office: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        ps.question_save(
            actor=office,
            code="TT-01",
            focus_area="canteen",
            roles=[],
            profiles=[],
            text_zh="",
            text_en="x",
        )
    text = " ".join(exc.value.messages)
    assert "Unknown focus area" in text
    assert "at least one interviewee role" in text
    assert "at least one kind of target" in text
    assert "Chinese and in English" in text
    q = ps.question_save(
        actor=office,
        code="TT-01",
        focus_area="party_line",
        roles=["staff"],
        profiles=["any"],
        text_zh="测试问题？",
        text_en="A test question?",
    )
    assert _events(AuditEventType.FIELDWORK_SETTINGS_SET, object_id=str(q.pk)) == 1
    with pytest.raises(ValidationError, match="taken"):
        ps.question_save(
            actor=office,
            code="TT-01",
            focus_area="party_line",
            roles=["staff"],
            profiles=["any"],
            text_zh="再问？",
            text_en="Again?",
        )
    ps.question_set_active(actor=office, question=q, active=False)
    assert not Question.objects.get(pk=q.pk).is_active
    assert _events(AuditEventType.FIELDWORK_SETTINGS_SET, object_id=str(q.pk)) == 2


# -- pages -------------------------------------------------------------------------------------


@pytest.fixture
def planned(unit: Unit, office: Any) -> Interviewee:
    boss = unit.person("张测页", "局长", leadership=True)
    return ps.add_interviewee(actor=office, team=unit.team, target=unit.org, person=boss)


@pytest.mark.parametrize("username", ["member", "leader", "office"])
def test_pages_for_the_team_and_the_office(
    as_user: Any, username: str, planned: Interviewee
) -> None:
    client = as_user(username)
    team = planned.team
    for url in (
        reverse("fieldwork:interviewees", args=[team.pk]),
        reverse("fieldwork:interviewee", args=[planned.pk]),
        reverse("fieldwork:conflicts", args=[team.pk]),
        reverse("fieldwork:interviewee_add", args=[team.pk]),
    ):
        assert client.get(url, **EN).status_code == 200, url
    page = client.get(reverse("fieldwork:interviewees", args=[team.pk]), **EN)
    assert "张测页" in page.content.decode()
    export = client.get(reverse("fieldwork:interviewees_export", args=[team.pk]), **EN)
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet is not None
    assert any(row[1] == "张测页" for row in sheet.iter_rows(values_only=True))
    docx = client.get(reverse("fieldwork:outline_docx", args=[planned.pk]), **EN)
    assert docx.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "谈话提纲" in text and "张测页" in text


@pytest.mark.parametrize("username", ["liaison", "receiver", "auditor", "leading"])
def test_pages_refused_to_outsiders(as_user: Any, username: str, planned: Interviewee) -> None:
    client = as_user(username)
    team = planned.team
    for url in (
        reverse("fieldwork:interviewees", args=[team.pk]),
        reverse("fieldwork:interviewees_export", args=[team.pk]),
        reverse("fieldwork:interviewee", args=[planned.pk]),
        reverse("fieldwork:outline_docx", args=[planned.pk]),
        reverse("fieldwork:conflicts", args=[team.pk]),
        reverse("fieldwork:interviewee_add", args=[team.pk]),
        reverse("fieldwork:questions"),
    ):
        assert client.get(url, **EN).status_code in (403, 404), url
    for url in (
        reverse("fieldwork:interviewees_generate", args=[team.pk]),
        reverse("fieldwork:interviewee_seen", args=[planned.pk]),
        reverse("fieldwork:interviewee_edit", args=[planned.pk]),
    ):
        assert client.post(url, {}, **EN).status_code in (403, 404), url


def test_anonymous_is_sent_to_log_in(as_user: Any, planned: Interviewee) -> None:
    response = as_user(None).get(reverse("fieldwork:interviewees", args=[planned.team.pk]))
    assert response.status_code in (302, 403, 404)


def test_generate_sample_add_edit_and_seen_through_the_pages(
    as_user: Any, unit: Unit, user_named: Any
) -> None:
    unit.person("张测流", "局长", leadership=True)
    for i in range(4):
        unit.person(f"办测流{i}", org=unit.office)
    client = as_user("member")
    team = unit.team
    response = client.post(
        reverse("fieldwork:interviewees_generate", args=[team.pk]),
        {"target": unit.org.pk, "retired_within_years": 3, "key_posts": ["finance"]},
        **EN,
    )
    assert response.status_code == 302
    assert Interviewee.objects.filter(team=team, target=unit.org, role="main_leader").exists()
    response = client.post(
        reverse("fieldwork:interviewees_sample", args=[team.pk]),
        {"target": unit.org.pk, "size": 2, "seed": 7},
        **EN,
    )
    assert response.status_code == 302
    assert SampleDraw.objects.filter(team=team, seed=7, size=2).exists()
    page = client.get(reverse("fieldwork:interviewees", args=[team.pk]), **EN)
    assert "<code>7</code>" in page.content.decode()
    # Too many: refused with a message, nothing drawn.
    client.post(
        reverse("fieldwork:interviewees_sample", args=[team.pk]),
        {"target": unit.org.pk, "size": 50},
        **EN,
    )
    assert SampleDraw.objects.filter(team=team, target=unit.org).count() == 1

    response = client.post(
        reverse("fieldwork:interviewee_add", args=[team.pk]),
        {"target": unit.org.pk, "name": "群众丙（虚构）"},
        **EN,
    )
    iv = Interviewee.objects.get(team=team, name="群众丙（虚构）")
    assert response.status_code == 302
    response = client.post(
        reverse("fieldwork:interviewee_edit", args=[iv.pk]),
        {
            "role": "staff",
            "group": "",
            "minutes": 45,
            "priority": 2,
            "unavailable": "2030-01-02, 2030-01-03",
            "status": "planned",
        },
        **EN,
    )
    iv.refresh_from_db()
    assert (iv.role, iv.minutes, iv.priority) == ("staff", 45, 2)
    assert iv.unavailable == ["2030-01-02", "2030-01-03"]
    Interviewee.objects.filter(pk=iv.pk).update(
        changes_seen=False, outline_changes=[{"t": "x", "p": {}}]
    )
    client.post(reverse("fieldwork:interviewee_seen", args=[iv.pk]), **EN)
    assert Interviewee.objects.get(pk=iv.pk).changes_seen


def test_question_bank_pages(as_user: Any) -> None:
    office = as_user("office")
    assert office.get(reverse("fieldwork:questions"), **EN).status_code == 200
    assert (
        office.get(reverse("fieldwork:questions") + "?area=benefits&role=public", **EN).status_code
        == 200
    )
    assert office.get(reverse("fieldwork:question_new"), **EN).status_code == 200
    response = office.post(
        reverse("fieldwork:question_new"),
        {
            "code": "TT-09",
            "focus_area": "benefits",
            "roles": ["public"],
            "profiles": ["village"],
            "text_zh": "您家的补贴按时足额领到了吗？",
            "text_en": "Did your household get its subsidies in full and on time?",
            "is_active": "on",
        },
        **EN,
    )
    assert response.status_code == 302
    q = Question.objects.get(code="TT-09")
    assert office.get(reverse("fieldwork:question_edit", args=[q.pk]), **EN).status_code == 200
    office.post(reverse("fieldwork:question_edit", args=[q.pk]), {"active": "0"}, **EN)
    assert not Question.objects.get(pk=q.pk).is_active
    for username in ("leader", "member"):
        client = as_user(username)
        assert client.get(reverse("fieldwork:questions"), **EN).status_code == 403
        assert client.post(reverse("fieldwork:question_new"), {}, **EN).status_code == 403


def test_a_sampled_person_who_becomes_a_must_keeps_the_draw(unit: Unit, office: Any) -> None:
    clerk = unit.person("办测升", org=unit.office)
    ps.draw_sample(actor=office, team=unit.team, target=unit.org, size=1, seed=1)
    Post.objects.filter(person=clerk).update(is_key_post=True, title="会计")
    ps.generate_list(actor=office, team=unit.team, target=unit.org)
    ps.generate_list(actor=office, team=unit.team, target=unit.org)
    iv = Interviewee.objects.get(team=unit.team, person=clerk)
    assert iv.source == Interviewee.Source.MUST
    assert iv.rules == [li.RULE_KEY_POST]
    texts = [ps.render(r) for r in iv.reasons]
    assert texts[0].startswith("holds a key post") and texts[1].startswith("drawn at random")
