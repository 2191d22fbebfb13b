"""The clue registry part of the demo: county 1's handover settings, and the problems and
clues of the round under way, recorded on the demo team's targets through the real
services by the team's accounts, decided by its leader, transferred by the office and
disposed of by the discipline commission's account.

What the demo shows (the same at every scale that has a round under way; all fictional):

- a repeated complaint: one matter recorded three times (letter, phone call, interview),
  each time in other words, left unmerged for the demo user to merge;
- records in every state: new, under review, confirmed problems and clues, one dismissed
  with its reason, a problem raised to a clue, a fast-track matter settled and closed;
- a transfer received by the discipline commission, with one clue's disposal reported
  (a talk) and another's reported and closed; an older transfer, four months back, with
  nothing reported, which the deadline check flags overdue;
- a clue naming "张卫东" with a township and "约五十岁", not linked to the registry, where
  the right 张卫东, a younger namesake and a 张伟东 of another township are to be found.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from xuncha.clues import evidence, services
from xuncha.clues.lib import corpus
from xuncha.clues.models import (
    Confidentiality,
    Discipline,
    DisposalMethod,
    Kind,
    Level,
    Record,
    Route,
    Source,
    Status,
)
from xuncha.clues.services import SubjectInput
from xuncha.core.models import Organisation, Post, RoleGrant, User
from xuncha.rounds.models import Briefing, Round, Team, TopicTag
from xuncha.talent.models import RoundRole

COMPANY_WORDS = ("恒达", "鑫源", "宏建", "众诚", "瑞丰", "福顺", "安泰", "兴隆")
COMPANY_KINDS = ("建筑工程", "园林绿化", "装饰工程", "劳务", "物业服务")


@dataclass
class _Cast:
    member: User
    leader: User
    office: User
    receiver: User


@dataclass
class _Place:
    """A target and its leaders, in the order the texts name them (each in turn)."""

    target: Organisation
    leaders: list[Post]
    named: int = 0

    def next_leader(self) -> Post | None:
        if not self.leaders:
            return None
        self.named += 1
        return self.leaders[(self.named - 1) % len(self.leaders)]


@dataclass
class _Demo:
    context: Any
    cast: _Cast
    round_: Round
    team: Team
    places: list[_Place]
    topics: dict[str, TopicTag]
    briefings: list[Briefing]
    records: dict[str, Record] = field(default_factory=dict)
    counter: int = 0

    @property
    def rng(self) -> Any:
        return self.context.rng

    @property
    def today(self) -> dt.date:
        day: dt.date = self.context.today
        return day

    def place(self) -> _Place:
        """The team's targets in turn (one target for the demo team: always that one)."""
        self.counter += 1
        return self.places[(self.counter - 1) % len(self.places)]


def load(context: Any) -> None:
    cast = _cast()
    if cast is None:
        return
    _handover_settings(context, cast)
    # The smallest demos (scale 0.05) have no round under way: settings only.
    seat = _member_seat(cast.member)
    if seat is None or seat.team is None:
        return
    places = [_place(t, context.rng) for t in seat.team.targets.order_by("pk")]
    if not places:
        return
    demo = _Demo(
        context=context,
        cast=cast,
        round_=seat.round,
        team=seat.team,
        places=places,
        topics={t.code: t for t in TopicTag.objects.all()},
        briefings=list(
            Briefing.objects.filter(round=seat.round, target__in=[p.target for p in places])
            .prefetch_related("concerns")
            .order_by("pk")
        ),
    )
    _repeated_complaint(demo)
    _matters(demo)
    _decisions(demo)
    _transfers(demo)
    services.check_deadlines(today=context.today)


# -- who and where -----------------------------------------------------------------------


def _cast() -> _Cast | None:
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=["member", "leader", "office_c1", "receiver"]
        ).select_related("person")
    }
    if len(users) < 4:
        return None
    return _Cast(
        member=users["member"],
        leader=users["leader"],
        office=users["office_c1"],
        receiver=users["receiver"],
    )


def _member_seat(member: User) -> RoundRole | None:
    """The member's role in the round whose team inspects the unit of their grant."""
    grant = RoleGrant.objects.filter(user=member).order_by("pk").first()
    if grant is None or member.person_id is None:
        return None
    return (
        RoundRole.objects.filter(
            profile__person_id=member.person_id, team__targets=grant.organisation
        )
        .select_related("round__committee", "team")
        .order_by("-pk")
        .first()
    )


def _place(target: Organisation, rng: Any) -> _Place:
    leaders = list(
        Post.objects.filter(
            organisation=target, end_date=None, is_leadership=True, person__user__isnull=True
        )
        .select_related("person")
        .order_by("pk")
    )
    rng.shuffle(leaders)
    return _Place(target=target, leaders=leaders)


def _handover_settings(context: Any, cast: _Cast) -> None:
    """County 1 sends clues to its discipline commission (where the receiver account's
    grant lies) and cadre-selection matters to its organisation department."""
    county_info = context.tree["counties"][0]
    grant = RoleGrant.objects.filter(user=cast.receiver).order_by("pk").first()
    organisation_department = next(
        (u for u in county_info["units"] if u.name.endswith("组织部")), None
    )
    services.handover_settings_set(
        actor=cast.office,
        committee=county_info["county"],
        values={
            "discipline_commission": grant.organisation if grant else None,
            "organisation_department": organisation_department,
        },
    )


# -- the texts ---------------------------------------------------------------------------


def _someone(demo: _Demo, place: _Place) -> tuple[str, str, SubjectInput]:
    """(name, post, subject) of the target's next leader; a name nobody resolved yet if
    the target has no leaders on record."""
    post = place.next_leader()
    if post is not None:
        subject = SubjectInput(name=post.person.name, person=post.person, post=post.title)
        return post.person.name, post.title, subject
    name = corpus.person(demo.rng)
    return name, "负责人", SubjectInput(name=name, post="负责人")


def _unresolved(demo: _Demo, post: str = "") -> tuple[str, SubjectInput]:
    """A name as the complainant wrote it: a full name, or masked (王某某)."""
    if demo.rng.random() < 0.5:
        name = corpus.person(demo.rng)
    else:
        name = corpus.person(demo.rng)[0] + "某某"
    return name, SubjectInput(name=name, post=post)


def _amount(demo: _Demo, low: int, high: int) -> str:
    return f"{demo.rng.randint(low, high) / 10:.1f}万元"


def _company(demo: _Demo) -> str:
    rng = demo.rng
    return f"{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_KINDS)}有限公司"


def _create(
    demo: _Demo,
    key: str,
    *,
    by: User,
    place: _Place,
    kind: str,
    title: str,
    text: str,
    source: str,
    discipline: str,
    topics: tuple[str, ...] = (),
    subjects: tuple[SubjectInput, ...] = (),
    credibility: str = Level.MEDIUM,
    priority: str = Level.MEDIUM,
    confidentiality: str = Confidentiality.ORDINARY,
    fast_track: bool = False,
) -> Record:
    record = services.record_create(
        actor=by,
        round_=demo.round_,
        team=demo.team,
        target=place.target,
        kind=kind,
        title=title,
        description=text,
        source=source,
        discipline=discipline,
        topics=[demo.topics[c] for c in topics if c in demo.topics],
        credibility=credibility,
        priority=priority,
        confidentiality=confidentiality,
        fast_track=fast_track,
        subjects=list(subjects),
    )
    demo.records[key] = record
    return record


# "群众来信反映，", "来电人反映：", "我是本地的群众，实名反映以下问题：" …
_OPENING = re.compile(r"^(我是[^，。]{0,12}，)?[^，：。]{0,12}(反映|提到|转来)[^，：。]{0,6}[，：]")


def _without_opening(text: str) -> str:
    """The text without the channel's opening a paraphrase may have put in front."""
    return _OPENING.sub("", text, count=1)


def _repeated_complaint(demo: _Demo) -> None:
    """One matter reaching the team by letter, by phone and in an interview."""
    place = demo.place()
    name, post, subject = _someone(demo, place)
    year = demo.today.year - 1
    base = (
        f"{place.target.name}{post}{name}长期把单位的公务用车当作私家车使用，"
        f"周末经常开车回老家，平时还用公车接送孩子上下学。"
        f"{year}年国庆假期，这辆车在外县一个旅游景区停了三天。"
        f"车辆的加油费和过路费都拿到单位报销，一年下来有{_amount(demo, 12, 39)}。"
        f"单位的同志对此意见很大。"
    )
    letter = "群众来信反映，" + base + "请巡察组调查处理。"
    # Reworded as the other channels would take it down, each with its own opening.
    phone = "来电人反映：" + _without_opening(corpus.paraphrase(demo.rng, base))
    interview = "个别谈话中有干部提到，" + _without_opening(corpus.paraphrase(demo.rng, base))
    common: dict[str, Any] = {
        "place": place,
        "kind": Kind.CLUE,
        "discipline": Discipline.INTEGRITY,
        "topics": ("eight-rules",),
        "subjects": (subject,),
    }
    _create(
        demo,
        "repeat_letter",
        by=demo.cast.member,
        title=f"来信反映{name}公车私用",
        text=letter,
        source=Source.LETTER,
        **common,
    )
    _create(
        demo,
        "repeat_phone",
        by=demo.cast.member,
        title=f"来电反映{name}私用公车",
        text=phone,
        source=Source.PHONE,
        **common,
    )
    _create(
        demo,
        "repeat_interview",
        by=demo.cast.leader,
        title=f"个别谈话反映{name}公车私用问题",
        text=interview,
        source=Source.INTERVIEW,
        **common,
    )


def _matters(demo: _Demo) -> None:
    """The other matters, one per discipline and topic, as the team recorded them."""
    member, leader = demo.cast.member, demo.cast.leader
    year = demo.today.year - 1

    place = demo.place()
    name, post, subject = _someone(demo, place)
    company = _company(demo)
    _create(
        demo,
        "funds",
        by=member,
        place=place,
        kind=Kind.CLUE,
        title=f"{name}违规提前拨付专项资金",
        text=(
            f"{place.target.name}{post}{name}在专项资金拨付中不按项目进度付款，"
            f"{year}年向{company}提前拨付资金{_amount(demo, 300, 900)}，"
            "而当时项目完成量不足三成。拨付审批单上只有其一人签字，未经集体研究。"
        ),
        source=Source.INTERVIEW,
        discipline=Discipline.INTEGRITY,
        topics=("agri-funds",),
        subjects=(subject,),
        credibility=Level.HIGH,
        priority=Level.HIGH,
    )

    place = demo.place()
    name, post, subject = _someone(demo, place)
    _create(
        demo,
        "gifts",
        by=member,
        place=place,
        kind=Kind.CLUE,
        title=f"{name}收受管理服务对象购物卡",
        text=(
            f"来信反映，{place.target.name}{post}{name}在{year}年春节前收受管理服务对象"
            f"所送购物卡，面值合计{demo.rng.choice((3000, 5000, 8000))}元，"
            "并在单位附近的商场使用。"
        ),
        source=Source.LETTER,
        discipline=Discipline.INTEGRITY,
        topics=("eight-rules",),
        subjects=(subject,),
    )

    place = demo.place()
    name, post, subject = _someone(demo, place)
    relative, relative_subject = _unresolved(demo, "亲属")
    _create(
        demo,
        "bidding",
        by=leader,
        place=place,
        kind=Kind.CLUE,
        title="办公楼维修改造项目未公开招标",
        text=(
            f"{place.target.name}办公楼维修改造项目由{_company(demo)}承接，"
            f"工程款{_amount(demo, 80, 400)}，未经公开招标，以应急工程名义直接发包。"
            f"据反映，该公司实际由{post}{name}的亲属{relative}控制。"
        ),
        source=Source.METHOD,
        discipline=Discipline.INTEGRITY,
        topics=("land-construction",),
        subjects=(subject, relative_subject),
        credibility=Level.HIGH,
        priority=Level.HIGH,
    )

    place = demo.place()
    name, post, subject = _someone(demo, place)
    promoted, promoted_subject = _unresolved(demo, "科室负责人")
    _create(
        demo,
        "promotion",
        by=member,
        place=place,
        kind=Kind.CLUE,
        title=f"{name}违规提拔任职年限不够的干部",
        text=(
            f"个别谈话中有干部反映，{post}{name}在{year}年干部调整中，将任现职不满两年的"
            f"{promoted}提拔为科室负责人，民主推荐时其得票排名靠后，动议前未征求分管领导意见。"
        ),
        source=Source.INTERVIEW,
        discipline=Discipline.ORGANISATIONAL,
        topics=("cadre-selection",),
        subjects=(subject, promoted_subject),
    )

    place = demo.place()
    name, post, subject = _someone(demo, place)
    _create(
        demo,
        "reception",
        by=member,
        place=place,
        kind=Kind.PROBLEM,
        title="公务接待费用增幅过大",
        text=(
            f"{place.target.name}公务接待费连续两年增幅超过30%，"
            f"抽查{demo.rng.randint(12, 30)}笔接待费，部分无公函、无接待清单，"
            f"审批人均为{post}{name}。"
        ),
        source=Source.BRIEFING,
        discipline=Discipline.INTEGRITY,
        topics=("eight-rules",),
        subjects=(subject,),
    )

    place = demo.place()
    _create(
        demo,
        "meetings",
        by=member,
        place=place,
        kind=Kind.PROBLEM,
        title="机关党支部“三会一课”落实不到位",
        text=(
            f"查阅{place.target.name}机关党支部{year}年会议记录，"
            f"有{demo.rng.randint(3, 6)}个月未召开支部委员会，党课均以集中学习文件代替，"
            "组织生活会查摆问题雷同。"
        ),
        source=Source.METHOD,
        discipline=Discipline.ORGANISATIONAL,
        topics=("organisation",),
    )

    place = demo.place()
    name, post, subject = _someone(demo, place)
    _create(
        demo,
        "trip",
        by=member,
        place=place,
        kind=Kind.CLUE,
        title=f"反映{name}借考察之名公款旅游",
        text=(
            f"来电人反映，{place.target.name}{post}{name}{year}年带队到外省“考察学习”五天，"
            "实际是游山玩水，费用由单位报销。"
        ),
        source=Source.PHONE,
        discipline=Discipline.INTEGRITY,
        topics=("eight-rules",),
        subjects=(subject,),
        credibility=Level.LOW,
    )

    place = demo.place()
    clerk, clerk_subject = _unresolved(demo, "窗口工作人员")
    _create(
        demo,
        "window",
        by=member,
        place=place,
        kind=Kind.PROBLEM,
        title="窗口服务态度生硬、一次性告知不到位",
        text=(
            f"群众在公开渠道反映，到{place.target.name}办事窗口办理业务时，工作人员{clerk}"
            f"态度生硬，所需材料不一次性告知，前后跑了{demo.rng.randint(3, 5)}趟才办成。"
        ),
        source=Source.PUBLIC,
        discipline=Discipline.MASS,
        topics=("enforcement",),
        subjects=(clerk_subject,),
        fast_track=True,
    )

    place = demo.place()
    _create(
        demo,
        "petitions",
        by=leader,
        place=place,
        kind=Kind.PROBLEM,
        title="信访事项办理超期",
        text=(
            f"{place.target.name}{year}年受理的信访事项中，有{demo.rng.randint(4, 11)}件"
            "超过规定期限未办结，其中2件未向信访人反馈办理结果。"
        ),
        source=Source.METHOD,
        discipline=Discipline.WORK,
        topics=("petitions",),
    )

    place = demo.place()
    _create(
        demo,
        "political",
        by=leader,
        place=place,
        kind=Kind.PROBLEM,
        title="落实上级决策部署不及时",
        text=(
            f"{place.target.name}党组对上级关于优化营商环境的部署传达学习不及时，"
            f"{year}年有{demo.rng.randint(2, 4)}份重要文件未按要求专题研究，"
            "工作方案照搬上级文件，没有结合本单位实际。"
        ),
        source=Source.METHOD,
        discipline=Discipline.POLITICAL,
        topics=("organisation",),
    )

    place = demo.place()
    # Drawn as before, so that the rest of the demo (and the apps after it) stays the same.
    _unresolved(demo, "办公室工作人员")
    township = _namesakes(demo)
    _create(
        demo,
        "acceptance",
        by=member,
        place=place,
        kind=Kind.CLUE,
        title="工程验收未到现场即签字",
        text=(
            f"个别谈话中有干部提到，{place.target.name}牵头的农田水利改造工程验收时，"
            f"{township.name}一名约五十岁、叫{NAMESAKE}的干部未到现场，在验收单上直接签字，"
            "部分工程量与实际不符。"
        ),
        source=Source.INTERVIEW,
        discipline=Discipline.WORK,
        topics=("land-construction",),
        subjects=(SubjectInput(name=NAMESAKE, place=township.name, age="约五十岁"),),
    )

    place = demo.place()
    name, post, subject = _someone(demo, place)
    contact, _ = _unresolved(demo)
    _create(
        demo,
        "lifestyle",
        by=leader,
        place=place,
        kind=Kind.CLUE,
        title=f"反映{name}生活奢靡",
        text=(
            f"来信反映，{place.target.name}{post}{name}生活奢靡，经常出入高档会所，"
            f"与管理服务对象{contact}过从甚密，多次由对方安排宴请。"
        ),
        source=Source.LETTER,
        discipline=Discipline.LIFE,
        topics=("eight-rules",),
        subjects=(subject,),
        confidentiality=Confidentiality.RESTRICTED,
    )

    place = demo.place()
    first, first_subject = _unresolved(demo, "在职人员")
    second, second_subject = _unresolved(demo, "在职人员")
    _create(
        demo,
        "subsidy",
        by=member,
        place=place,
        kind=Kind.PROBLEM,
        title="在职人员领取惠农补贴",
        text=(
            f"数据比对发现，{place.target.name}在职人员{first}、{second}的家庭"
            f"仍在享受农村低保，{year}年合计领取{demo.rng.randint(3, 9) * 1200}元。"
        ),
        source=Source.DATASET,
        discipline=Discipline.INTEGRITY,
        topics=("agri-funds",),
        subjects=(first_subject, second_subject),
    )


# -- a name to find in the registry (issue #9) ---------------------------------------------

NAMESAKE = "张卫东"
# (name, years before the demo's day, township: the clue's or another, title)
NAMESAKES = (
    (NAMESAKE, 50, "same", "农业综合服务中心主任"),
    (NAMESAKE, 30, "same", "科员"),
    ("张伟东", 51, "other", "副镇长"),
)


def _namesakes(demo: _Demo) -> Organisation:
    """The people a clue's "张卫东, <township>, 约五十岁" may mean, in county 1's registry:
    the right one (about fifty, working in the township), a namesake of about thirty in the
    same township, and a 张伟东 (a homophone) of about fifty in another township. The
    township is the first of the county's towns (the demo county has no 城关镇)."""
    from xuncha.core import services as core_services
    from xuncha.core.lib import idnumber
    from xuncha.core.models import Person

    county_info = demo.context.tree["counties"][0]
    townships = county_info["townships"]
    town = next((t for t in townships if t.name.endswith("镇")), townships[0])
    other = next((t for t in townships if t.pk != town.pk), town)
    sequence = 101
    for name, years, where, title in NAMESAKES:
        # ``years`` old on the demo's day, a few weeks past the birthday.
        born = demo.today.replace(year=demo.today.year - years, day=1) - dt.timedelta(
            days=20 + years
        )
        while True:
            number = idnumber.make(county_info["region"], born, sequence)
            sequence += 2  # odd: men
            if not Person.objects.filter(id_number=number).exists():
                break
        person = core_services.person_create(
            actor=demo.cast.office,
            name=name,
            registry=county_info["county"],
            id_number=number,
        )
        core_services.post_create(
            actor=demo.cast.office,
            person=person,
            organisation=town if where == "same" else other,
            title=title,
            start_date=demo.today - dt.timedelta(days=365 * 3),
        )
    return town


# -- what the team decided ---------------------------------------------------------------


def _confirm(demo: _Demo, key: str) -> None:
    leader = demo.cast.leader
    record = services.status_change(actor=leader, record=demo.records[key], to_status=Status.REVIEW)
    demo.records[key] = services.status_change(
        actor=leader, record=record, to_status=Status.CONFIRMED
    )


def _link_briefing(demo: _Demo, key: str, topic: str) -> None:
    """Link the round's briefing on the record's target as its evidence, quoting the
    concern on the same topic."""
    if evidence.kind_of(Briefing) is None:
        return
    record = demo.records[key]
    for briefing in demo.briefings:
        if briefing.target_id != record.target_id:
            continue
        concerns = [c for c in briefing.concerns.all() if c.topic and c.topic.code == topic]
        excerpt = concerns[0].text if concerns else briefing.summary
        services.evidence_add(actor=demo.cast.member, record=record, obj=briefing, excerpt=excerpt)
        return


def _decisions(demo: _Demo) -> None:
    leader = demo.cast.leader
    _link_briefing(demo, "funds", "agri-funds")
    _link_briefing(demo, "reception", "eight-rules")
    for key in ("funds", "gifts", "bidding", "promotion", "meetings", "petitions", "window"):
        _confirm(demo, key)
    services.status_change(actor=leader, record=demo.records["acceptance"], to_status=Status.REVIEW)
    trip = services.status_change(
        actor=leader, record=demo.records["trip"], to_status=Status.REVIEW
    )
    demo.records["trip"] = services.status_change(
        actor=leader,
        record=trip,
        to_status=Status.DISMISSED,
        reason=(
            "经查阅培训通知、行程安排和报销凭证，系上级部门组织的业务培训，"
            "费用由主办单位承担，反映不属实。"
        ),
    )
    reception = services.status_change(
        actor=leader, record=demo.records["reception"], to_status=Status.REVIEW
    )
    demo.records["reception"] = services.kind_change(
        actor=leader,
        record=reception,
        kind=Kind.CLUE,
        reason="抽查发现同一签批人签批的多笔接待费发票来自同一酒店且连号，涉嫌虚开发票套取资金。",
    )
    demo.records["window"] = services.record_close(
        actor=demo.cast.office,
        record=demo.records["window"],
        reason="巡察期间督促立行立改：单位已对窗口人员批评教育，公布一次性告知清单。",
    )


def _months_before(day: dt.date, months: int) -> dt.date:
    year, month0 = divmod(day.year * 12 + day.month - 1 - months, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(day.day, last))


def _transfers(demo: _Demo) -> None:
    office, receiver = demo.cast.office, demo.cast.receiver
    settings = services.settings_for(demo.round_.committee)
    commission = services.department_for(Route.DISCIPLINE_COMMISSION, settings)
    if commission is None:
        return
    # An older transfer, four months back, that nobody has reported on yet.
    services.transfer_create(
        actor=office,
        records=[demo.records["bidding"]],
        department=commission,
        route=Route.DISCIPLINE_COMMISSION,
        note="巡察期间发现的工程项目问题线索",
        today=_months_before(demo.today, 4),
    )
    sent = demo.today - dt.timedelta(days=25)
    transfer = services.transfer_create(
        actor=office,
        records=[demo.records["funds"], demo.records["gifts"]],
        department=commission,
        route=Route.DISCIPLINE_COMMISSION,
        note="巡察期间发现的廉洁纪律方面问题线索",
        today=sent,
    )
    services.transfer_receive(actor=receiver, transfer=transfer)
    # A decision cannot lie in the future: a demo dated ahead of the clock uses today.
    latest = timezone.localdate()
    services.disposal_record(
        actor=receiver,
        record=demo.records["funds"],
        method=DisposalMethod.TALK,
        result="已对相关责任人进行谈话函询，本人作出书面说明，正在核实说明内容。",
        decided_on=min(demo.today - dt.timedelta(days=10), latest),
    )
    services.disposal_record(
        actor=receiver,
        record=demo.records["gifts"],
        method=DisposalMethod.VERIFY,
        result="经初步核实，反映问题基本属实，本人已退还购物卡，给予诫勉处理。",
        decided_on=min(demo.today - dt.timedelta(days=12), latest),
    )
    services.record_close(
        actor=office,
        record=demo.records["gifts"],
        reason="处置结果已反馈，予以办结。",
    )
