"""The fieldwork demo: the demo team (the one `leader`, `deputy` and `member` sit in) in the
middle of its stationing, everything made through the real services.

- the must-interview list of its first target, with reasons, and a sample of four staff
  (seed 2026), each with an outline;
- two talk rooms and a meeting room; a second public talk request, proposed at random
  and confirmed, so the schedule holds a fixed public talk;
- two interview records of talks held the day before loading (one names a person not
  on the list, so the record page suggests adding them);
- an activity of each of three other methods: documents read (with the register), a
  forum, and field visits (with the households visited);
- the talks scheduled by the CP-SAT scheduler (seeded, a few seconds);
- a clue recorded after the outlines were made, naming an interviewee: their outline
  changed and the team was notified;
- a working paper submitted by the member and signed off by the leader;
- an interference recorded by the member (the leader and the office were notified).

The coverage matrix then shows what was done and what the office's minimums still ask.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from xuncha.core.demo.generator import DEMO_PASSWORD
from xuncha.core.models import Person, Post, User
from xuncha.fieldwork import (
    activity_services,
    planning_services,
    record_services,
    schedule_services,
)
from xuncha.fieldwork.models import Group, Interviewee, Method, Room, ScheduleRun, Talk
from xuncha.intake import services as intake_services
from xuncha.intake import talks as intake_talks
from xuncha.intake.models import Category, Channel, Kind

DEMO_SEED = 2026
SAMPLE_SIZE = 4
SCHEDULE_SECONDS = 3


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def load(context: Any) -> None:
    from xuncha.intake.demo import _team

    team = _team()
    if team is None:
        return
    users = {u.username: u for u in User.objects.filter(username__in=["leader", "member"])}
    leader, member = users["leader"], users["member"]
    target = team.targets.order_by("pk").first()
    asker, recorder = leader.person, member.person
    if target is None or asker is None or recorder is None:
        return
    now = timezone.localtime()
    yesterday = now.date() - dt.timedelta(days=1)

    # Who to talk to: the list with its reasons, then a seeded sample of staff.
    planning_services.generate_list(actor=leader, team=team, target=target)
    pool = planning_services.sample_pool(team, target)
    if pool:
        planning_services.draw_sample(
            actor=leader, team=team, target=target, size=min(SAMPLE_SIZE, pool), seed=DEMO_SEED
        )

    for name, kind in (
        ("巡察组谈话室（一）", Room.Kind.TALK_ROOM),
        ("巡察组谈话室（二）", Room.Kind.TALK_ROOM),
        ("单位三楼小会议室", Room.Kind.MEETING_ROOM),
    ):
        schedule_services.room_add(actor=leader, team=team, name=name, kind=kind)

    _public_talk(team, leader)
    records = _interviews(team, target, member, (asker, recorder), yesterday)
    activities = _activities(team, target, leader, member, [asker, recorder], yesterday)

    # The talks still to hold, scheduled by the solver (seeded; the run a user starts from
    # the schedule page goes through a background job instead).
    schedule_services.ensure_talks(actor=leader, team=team)
    if Talk.objects.filter(team=team, state=Talk.State.UNSCHEDULED).exists():
        run = ScheduleRun.objects.create(
            team=team, seed=0, time_limit=SCHEDULE_SECONDS, created_by=leader
        )
        schedule_services.run_schedule(run)

    _clue_after_outlines(team, target, leader)

    paper = record_services.paper_create(
        actor=member,
        team=team,
        target=target,
        title="食堂食材采购未按规定比价，部分单价明显高于市场价",
        facts=(
            "经查阅2025年食堂采购台账和报销凭证，食材采购均由同一家供应商供货，"
            "未见比价或询价记录；抽取的12笔采购中，有7笔单价高于同期市场价20%以上。"
            "财务人员在谈话中确认，采购由办公室一人经办，未经集体研究。"
        ),
        activities=activities[:1],
        records=records[:1],
        other_evidence="市场价格监测数据（县发改局提供）。",
    )
    record_services.paper_submit(actor=member, paper=paper)
    record_services.paper_sign(actor=leader, paper=paper)

    record_services.interference_record(
        actor=member,
        team=team,
        who="某局退休干部",
        who_post="被谈话人的老领导",
        for_whom="被巡察单位办公室负责人",
        how="phone",
        occurred_at=_at(yesterday, 20, 15),
        what="来电称被谈话人“工作一贯认真”，希望巡察组“高抬贵手”，对采购问题不要深究。",
        response="当即表明巡察纪律，告知将如实登记并报告组长。",
    )


def _public_talk(team: Any, leader: User) -> None:
    """A second talk request through the public channel, proposed at random and
    confirmed: it enters the schedule at its time and place."""
    channel = Channel.objects.filter(team=team, is_open=True).first()
    if channel is None:
        return
    report, _receipt = intake_services.submit(
        channel=channel,
        submission=intake_services.Submission(
            kind=Kind.TALK,
            category=Category.APPOINTMENTS,
            content={
                "mode": "in_person",
                "days": [],
                "times": ["morning"],
                "place_kind": "station",
                "topic": "反映单位食堂采购的情况。",
            },
        ),
    )
    unlocked = intake_services.keys_on_password(user=leader, password=DEMO_PASSWORD)
    proposed = intake_talks.propose_detailed(
        actor=leader,
        report=report,
        private_key=unlocked.private_key,
        random=True,
        rng=random.Random(DEMO_SEED),  # noqa: S311 (a reproducible demo, not a secret)
    )
    intake_talks.confirm(leader, proposed.appointment, unlocked.private_key)


def _not_listed_name(team: Any, target: Any) -> str:
    listed = set(Interviewee.objects.filter(team=team).values_list("name", flat=True))
    names = (
        Person.objects.filter(
            pk__in=Post.objects.filter(organisation__path__startswith=target.path).values("person")
        )
        .order_by("pk")
        .values_list("name", flat=True)
    )
    return next((n for n in names if n not in listed and len(n) >= 2), "")


def _interviews(
    team: Any, target: Any, member: User, pair: tuple[Person, Person], day: dt.date
) -> list[Any]:
    """Two talks held the day before: with the first two key-post holders or staff."""
    chosen = list(
        Interviewee.objects.filter(team=team, target=target, person__isnull=False)
        .exclude(role__in=["main_leader"])
        .order_by("pk")[:2]
    )
    extra = _not_listed_name(team, target)
    out = []
    for index, interviewee in enumerate(chosen):
        outline = planning_services.stored_outline(interviewee)
        asked = outline.questions()[:2] if outline is not None else ()
        answers = (
            "食堂采购一直由办公室负责，我只负责按发票报账，没有参与选供应商。",
            "没有开过专门的会研究，具体情况可以问经办人。",
        )
        questions = [
            {"key": q.key, "question": q.text_zh, "answer": answers[i % 2]}
            for i, q in enumerate(asked)
        ]
        leads = (
            f"谈话中提到食堂采购的具体经办情况{extra}最清楚，建议找其谈话。"
            if index == 0 and extra
            else "建议调取2025年食堂采购台账。"
        )
        out.append(
            record_services.record_create(
                actor=member,
                team=team,
                interviewee=interviewee,
                interviewee_name=interviewee.name,
                interviewee_post=interviewee.post,
                held_at=_at(day, 9 + 2 * index, 0),
                place="巡察组谈话室（一）",
                asker=pair[0],
                recorder=pair[1],
                questions=questions,
                summary="对单位财务管理和采购情况作了说明。",
                new_leads=leads,
                scan=_signed_page(interviewee.name) if index == 0 else None,
            )
        )
    return out


def _signed_page(name: str) -> Any:
    """A one-page PDF standing in for the scanned, signed record (fictional)."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setFont("STSong-Light", 14)
    page.drawString(72, 760, "谈话记录（演示）")
    page.drawString(72, 730, f"被谈话人签字：{name}")
    page.drawString(72, 700, "谈话人签字：（巡察组两名成员。演示数据，均为虚构）")
    page.save()
    return SimpleUploadedFile("谈话记录签字页.pdf", buffer.getvalue(), "application/pdf")


def _activities(
    team: Any, target: Any, leader: User, member: User, people: list[Person], day: dt.date
) -> list[Any]:
    methods = {m.code: m for m in Method.objects.filter(is_active=True)}
    documents = activity_services.activity_create(
        actor=member,
        team=team,
        target=target,
        method=methods["read_documents"],
        date=day,
        place="被巡察单位档案室",
        title="调阅2025年党组会议记录和食堂采购台账",
        record="调阅党组会议记录1本、食堂采购台账2本、报销凭证3册，复印采购台账12页。",
        participants=people,
        documents=[
            {
                "title": "2025年党组会议记录",
                "reference": "档2025-01",
                "copied": False,
                "pages": None,
            },
            {"title": "2025年食堂采购台账", "reference": "", "copied": True, "pages": 12},
        ],
    )
    forum = activity_services.activity_create(
        actor=leader,
        team=team,
        target=target,
        method=methods["forum"],
        date=day,
        place="单位三楼小会议室",
        title="一般干部职工座谈会",
        record="参会干部普遍反映食堂伙食与收费不相称，对采购方式有意见。",
        participants=people,
        attendees=11,
    )
    visits = activity_services.activity_create(
        actor=member,
        team=team,
        target=target,
        method=methods["field_visit"],
        group=Group.VISIT_MINIMUM_INCOME,
        date=day,
        place="辖区两个村",
        title="走访低保户和信访户",
        record="走访3户，了解低保政策落实和信访事项办理情况。",
        participants=people,
        households=[
            {"household": "低保户甲", "address": "一组", "group": Group.VISIT_MINIMUM_INCOME},
            {"household": "低保户乙", "address": "三组", "group": Group.VISIT_MINIMUM_INCOME},
            {"household": "信访户丙", "address": "五组", "group": Group.VISIT_PETITIONERS},
        ],
    )
    return [documents, forum, visits]


def _clue_after_outlines(team: Any, target: Any, leader: User) -> None:
    """A clue naming a planned interviewee: their outline gains questions from it."""
    from xuncha.clues import services as clue_services

    named = (
        Interviewee.objects.filter(
            team=team, target=target, person__isnull=False, status=Interviewee.Status.PLANNED
        )
        .exclude(role="main_leader")
        .order_by("pk")
        .first()
    )
    if named is None or named.person is None:
        return
    clue_services.record_create(
        actor=leader,
        round_=team.round,
        team=team,
        target=target,
        kind="clue",
        title="食堂采购价格明显偏高",
        description="谈话和座谈中多人反映，食堂食材长期由同一家供应商供货，价格明显偏高。",
        source="interview",
        discipline="integrity",
        subjects=[clue_services.SubjectInput(name=named.name, person=named.person)],
    )
