"""The talent part of the demo: a pool per county drawn from its cadres, with specialties
by home department, training, qualifications (a few expired), role history in the demo's
rounds and evaluations after the closed ones; a cross round to staff, with conflicts
declared for its targets; and a thematic round that left its unit a week before the demo
date, so its leader (the ``leader2`` account) can evaluate the members right away."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from xuncha.core.models import Person
from xuncha.rounds import services as round_services
from xuncha.rounds.models import Round, RoundKind, Stage
from xuncha.talent import formation_services, services
from xuncha.talent.models import (
    Declaration,
    InspectorProfile,
    Qualification,
    Release,
    RoundRole,
    Specialty,
    default_expiry,
)

# Home departments and the specialty they bring.
DEPARTMENT_SPECIALTY = {
    "纪委监委": "discipline",
    "组织部": "personnel",
    "财政局": "finance",
    "审计局": "audit",
    "司法局": "law",
    "信访局": "petitions",
    "住房和城乡建设局": "engineering",
    "交通运输局": "engineering",
    "宣传部": "party-affairs",
    "统战部": "party-affairs",
    "科技和工业信息化局": "it",
    "政法委": "law",
    "发展和改革局": "finance",
}


def load(context: Any) -> None:
    rng, today = context.rng, context.today
    specialties = {s.code: s for s in Specialty.objects.all()}
    per_county = max(12, round(150 * min(context.scale, 1.0)))
    for info in context.tree["counties"]:
        county = info["county"]
        candidates = list(
            Person.objects.filter(
                registry=county,
                retired_on__isnull=True,
                posts__end_date__isnull=True,
                posts__organisation__kind="unit",
            )
            .select_related("registry")
            .order_by("pk")
            .distinct()[: per_county * 3]
        )
        rng.shuffle(candidates)
        profiles = []
        for person in sorted(candidates[:per_county], key=lambda p: p.pk):
            post = person.posts.filter(end_date__isnull=True).select_related("organisation").first()
            department = next(
                (d for d in DEPARTMENT_SPECIALTY if post and post.organisation.name.endswith(d)),
                None,
            )
            chosen = {DEPARTMENT_SPECIALTY[department]} if department else set()
            chosen |= set(rng.sample(sorted(specialties), k=rng.choice([0, 1, 1, 2])))
            profile = services.inspector_create(
                actor=None,
                person=person,
                county=county,
                specialties=[specialties[c] for c in sorted(chosen) if c in specialties],
                home_organisation=post.organisation if post else None,
                home_post=post.title if post else "",
                leader_eligible=rng.random() < 0.3,
            )
            granted = today - dt.timedelta(days=rng.randint(30, 1400))
            services.training_record(
                actor=None,
                profile=profile,
                course="巡察业务培训班",
                hours=Decimal(rng.choice([16, 24, 32])),
                date=granted - dt.timedelta(days=20),
                certificate=f"XC{county.code}{profile.pk:05d}",
            )
            services.qualification_grant(
                actor=None,
                profile=profile,
                granted_on=granted,
                expires_on=default_expiry(granted),
            )
            profiles.append(profile)
        _history(context, county, profiles)
    _personas_on_team(context)
    _cross_round(context)
    _recent_round(context)


def _history(context: Any, county: Any, profiles: list[Any]) -> None:
    """Roles in the demo's past rounds, and evaluations after the closed ones."""
    rng = context.rng
    pool = list(profiles)
    for round_ in Round.objects.filter(committee=county).order_by("created_at"):
        rng.shuffle(pool)
        cursor = 0
        first = round_.stages.order_by("start_date").first()
        released_on = (first.start_date if first else context.today) - dt.timedelta(days=7)
        for team in round_.teams.all():
            crew = pool[cursor : cursor + 5]
            cursor += 5
            for n, profile in enumerate(crew):
                role = "leader" if n == 0 else "deputy" if n == 1 else "member"
                RoundRole.objects.create(profile=profile, round=round_, team=team, role=role)
                # Home units released everyone, except the last member of each team in the
                # round under way: the round page shows that warning.
                pending = round_.stage == Stage.STATIONING and n == len(crew) - 1
                Release.objects.create(
                    profile=profile,
                    round=round_,
                    confirmed=not pending,
                    confirmed_on=None if pending else released_on,
                )
                if round_.stage == Stage.CLOSED:
                    score = rng.randint(62, 98)
                    # Grades take the score bands of cadre evaluation (优秀 90+, 良好
                    # 80–89, 合格 60–79, 不合格 below 60); the lowest draws fail.
                    if score < 65:
                        score -= 10
                    grade = (
                        "excellent"
                        if score >= 90
                        else "good"
                        if score >= 80
                        else "pass"
                        if score >= 60
                        else "fail"
                    )
                    services.evaluation_record(
                        actor=None,
                        profile=profile,
                        round_=round_,
                        score=score,
                        grade=grade,
                        leader_comments="工作认真，能够按要求完成谈话和查阅资料任务。",
                        remove_from_pool=grade == "fail",
                        reason="考核不合格" if grade == "fail" else "",
                    )


CROSS_TEAMS = ["交叉巡察第一组", "交叉巡察第二组", "交叉巡察第三组"]


def _cross_round(context: Any) -> None:
    """A cross round the prefecture coordinates, still in preparation: one team per county,
    each to be staffed from the other counties' pools in the team builder."""
    teams = []
    counties = []
    for name, info in zip(CROSS_TEAMS, context.tree["counties"], strict=False):
        untouched = [u for u in info["units"] if not u.inspecting_teams.exists()]
        if untouched:
            teams.append((name, untouched[:2]))
            counties.append(info)
    if not teams:
        return
    round_services.round_create(
        actor=None,
        committee=context.tree["prefecture"],
        name=f"{context.tree['prefecture'].name}委{context.today.year}年交叉巡察",
        kind=RoundKind.ROUTINE,
        cross=True,
        start_date=context.today + dt.timedelta(days=21),
        teams=teams,
    )
    _declarations(
        context, [(info["county"], units) for info, (_, units) in zip(counties, teams, strict=True)]
    )


# Fictional reasons for the demo's declared conflicts (本人申报) and the recusal a target
# asked for (被巡察单位提出).
DECLARED_REASONS = (
    "与该单位主要负责人系大学同学，交往密切",
    "配偶的兄弟在该单位下属单位任职",
    "曾参与该单位项目评审，与项目有利害关系",
)
REQUESTED_REASON = "该同志曾与本单位负责人存在工作纠纷"


def _declarations(context: Any, teams: list[tuple[Any, list[Any]]]) -> None:
    """For each cross team, a conflict declared by a leader-eligible inspector of another
    county for its first target (someone the solver could otherwise pick), and for the
    first team one the target asked for: the team builder shows the evidence and refuses
    a hand change that puts them there."""
    # Chosen by position, not with the demo's random stream: drawing from it here would
    # change everything generated after the talent part.
    for n, (county, units) in enumerate(teams):
        others = list(
            InspectorProfile.objects.filter(leader_eligible=True, in_pool=True)
            .exclude(county=county)
            .order_by("pk")
        )
        if len(others) < 2:
            continue
        declared = others[(7 * n + 3) % len(others)]
        requested = others[(7 * n + 5) % len(others)]
        formation_services.declaration_record(
            actor=None,
            profile=declared,
            organisation=units[0],
            source=Declaration.Source.SELF,
            reason=DECLARED_REASONS[n % len(DECLARED_REASONS)],
        )
        if n == 0:
            formation_services.declaration_record(
                actor=None,
                profile=requested,
                organisation=units[0],
                source=Declaration.Source.TARGET,
                reason=REQUESTED_REASON,
            )


def _personas_on_team(context: Any) -> None:
    """The demo's leader, deputy and member accounts hold those roles on the team of the
    round under way whose unit their grants cover, so what they see (evaluations, "nobody
    evaluates themselves") matches the roster."""
    from xuncha.core.models import User
    from xuncha.rounds.models import Team

    users = {
        u.username: u
        for u in User.objects.filter(username__in=["leader", "deputy", "member"]).select_related(
            "person"
        )
    }
    leader = users.get("leader")
    grant = leader.grants.first() if leader else None
    team = (
        Team.objects.filter(targets=grant.organisation, round__stage=Stage.STATIONING).first()
        if grant
        else None
    )
    if team is None or len(users) < 3:
        return
    county = context.tree["counties"][0]["county"]
    discipline = Specialty.objects.filter(code="discipline").first()
    for username in ("leader", "deputy", "member"):
        person = users[username].person
        if person is None:
            continue
        post = person.posts.filter(end_date__isnull=True).select_related("organisation").first()
        profile = services.inspector_create(
            actor=None,
            person=person,
            county=county,
            specialties=[discipline] if discipline else [],
            home_organisation=post.organisation if post else None,
            home_post=post.title if post else "",
            leader_eligible=username == "leader",
        )
        granted = context.today - dt.timedelta(days=400)
        services.qualification_grant(
            actor=None,
            profile=profile,
            granted_on=granted,
            expires_on=default_expiry(granted),
        )
        seat = RoundRole.objects.filter(team=team, role=username).order_by("pk").first()
        if seat is None:
            continue
        Release.objects.filter(round=team.round, profile=seat.profile).update(profile=profile)
        seat.profile = profile
        seat.save(update_fields=["profile"])


RECENT_LEADER = "leader2"
RECENT_SUBJECT = "惠民惠农资金使用管理"
RECENT_TARGET = "乡村振兴局"
# The recent round's team left its unit this many days before the demo date.
RECENT_REPORT_DAYS = 7


def _recent_start(today: dt.date, kind: str) -> dt.date:
    """The first day of a round of ``kind`` whose report stage began about
    ``RECENT_REPORT_DAYS`` before ``today`` (planned on the working-day calendar)."""
    from xuncha.rounds.lib.calendar import schedule

    specs = round_services.stage_specs(kind)
    calendar = round_services.work_calendar()
    start = today - dt.timedelta(days=RECENT_REPORT_DAYS)
    while True:
        dates = {d.stage: d for d in schedule(start, specs, calendar)}
        if dates[Stage.REPORT].start <= today - dt.timedelta(days=RECENT_REPORT_DAYS):
            return start
        start -= dt.timedelta(days=1)


def _recent_round(context: Any) -> None:
    """A thematic round of the first county whose team finished on site a week ago and is at
    the report stage, with its stages walked through their gates (milestones on record; the
    method coverage passed with the demo's reason, as for the past rounds). Its leader is
    the ``leader2`` account, granted on the team's target, and nobody is evaluated yet: the
    evaluation page is open for them at once. People come from the county pool, none of them
    serving in the round under way nor working in the target, picked without the demo's
    random source so that everything generated after stays the same."""
    from xuncha.core import services as core_services
    from xuncha.core.demo.generator import DEMO_PASSWORD
    from xuncha.core.models import Role, User
    from xuncha.rounds.demo import TEAM_NAMES, walk
    from xuncha.rounds.models import CommitteeTerm

    if User.objects.filter(username=RECENT_LEADER).exists():
        return
    info = context.tree["counties"][0]
    county = info["county"]
    today = context.today
    # A unit no round is in now: the bureau the subject concerns most if no round took it
    # yet, else another unit not inspected yet, else (small demos) one inspected in a
    # closed round: a thematic round follows its subject, not the coverage of the term.
    free = [
        u
        for u in info["units"]
        if not u.inspecting_teams.exclude(round__stage=Stage.CLOSED).exists()
    ]
    fresh = [u for u in free if not u.inspecting_teams.exists()]
    target = next(
        (u for u in fresh if u.name.endswith(RECENT_TARGET)),
        fresh[-1] if fresh else free[-1] if free else None,
    )
    if target is None:
        return
    # Busy: on a team from preparation to the end of the report stage.
    busy = RoundRole.objects.filter(
        round__stage__in=[Stage.PREPARATION, Stage.STATIONING, Stage.UNDERSTANDING, Stage.REPORT]
    )
    personas = Person.objects.filter(user__username__in=["leader", "deputy", "member"])
    pool = list(
        InspectorProfile.objects.filter(county=county, in_pool=True)
        .exclude(pk__in=busy.values("profile"))
        .exclude(person__in=personas)
        .exclude(home_organisation=target)
        .order_by("pk")
    )
    leaders = [
        p
        for p in pool
        if p.leader_eligible
        and p.qualifications.filter(
            status=Qualification.Status.GRANTED, granted_on__lte=today, expires_on__gt=today
        ).exists()
    ]
    if not leaders or len(pool) < 5:
        return
    leader = leaders[len(leaders) // 2]
    others = [p for p in pool if p != leader]
    step = max(1, len(others) // 4)
    crew = [leader, *others[::step][:4]]
    kind = RoundKind.THEMATIC
    round_ = round_services.round_create(
        actor=None,
        committee=county,
        term=CommitteeTerm.objects.filter(committee=county).order_by("start_date").last(),
        kind=kind,
        subject=RECENT_SUBJECT,
        name=f"{county.name[:-1]}县委{today.year}年{RECENT_SUBJECT}专项巡察",
        start_date=_recent_start(today, kind),
        teams=[(TEAM_NAMES[0], [target])],
    )
    # It was planned before the round under way: where the newest round comes first
    # (lists, role history), it comes after that one, as its dates say.
    under_way = (
        Round.objects.filter(committee=county, stage=Stage.STATIONING)
        .order_by("created_at")
        .first()
    )
    if under_way is not None:
        Round.objects.filter(pk=round_.pk).update(
            created_at=under_way.created_at - dt.timedelta(seconds=1)
        )
    team = round_.teams.get()
    stationing = round_.stages.get(stage=Stage.STATIONING).start_date
    for n, profile in enumerate(crew):
        role = "leader" if n == 0 else "deputy" if n == 1 else "member"
        RoundRole.objects.create(profile=profile, round=round_, team=team, role=role)
        Release.objects.create(
            profile=profile,
            round=round_,
            confirmed=True,
            confirmed_on=stationing - dt.timedelta(days=7),
        )
    walk(round_, Stage.REPORT)
    user = core_services.user_create(
        actor=None,
        username=RECENT_LEADER,
        password=DEMO_PASSWORD,
        person=leader.person,
        registry=target,
    )
    core_services.role_grant(actor=None, user=user, role=Role.TEAM_LEADER, organisation=target)
