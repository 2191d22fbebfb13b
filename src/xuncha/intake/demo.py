"""The public channel part of the demo (all fictional), through the real services.

The demo team's channel is open, with three places for talks, and takes talks for four
weeks after the demo is loaded. Its staff accounts get their
keys from the demo password (as they would at their first sign-in). In the inbox:

- an anonymous report about a village road with a question from the team waiting for
  the submitter (receipt ``DEMO_REPORT_RECEIPT``, printed in the user guide);
- the same matter reported again in other words by phone, entered by a member, for the
  demo user to mark as a duplicate;
- a named report about a subsidy list;
- an anonymous request for a one-to-one talk at a neutral place (receipt
  ``DEMO_TALK_RECEIPT``), waiting for the team to propose a time;
- a letter entered by staff, out of scope (a family dispute), left for the user.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from xuncha.core.demo.generator import DEMO_PASSWORD
from xuncha.core.models import RoleGrant, User
from xuncha.intake import services
from xuncha.intake.models import Category, Kind, Source
from xuncha.intake.services import Submission
from xuncha.rounds.models import Team
from xuncha.talent.models import RoundRole

DEMO_REPORT_RECEIPT = "XC26-DEM0-REP0-RT00-0001"
DEMO_TALK_RECEIPT = "XC26-DEM0-TA1K-0000-0002"

ROAD = (
    "村主任在去年的村道硬化工程里虚报工程量，多领了十来万工程款，"
    "工程给了他妻弟的施工队。路修完不到半年就开裂了。"
)
ROAD_AGAIN = (
    "来电反映：村道硬化工程由村主任的妻弟承包，村主任虚报工程量，多领工程款约十万元，路面已经开裂。"
)
SUBSIDY = "村里的低保名单里有村干部的亲戚，家里开着小轿车还在领低保，群众意见很大。"
FAMILY = "来信反映其与兄弟之间的宅基地纠纷，要求巡察组出面调解。"


def _team() -> Team | None:
    member = User.objects.filter(username="member").first()
    grant = RoleGrant.objects.filter(user=member).order_by("pk").first() if member else None
    if member is None or grant is None or member.person_id is None:
        return None
    seat = (
        RoundRole.objects.filter(
            profile__person_id=member.person_id, team__targets=grant.organisation
        )
        .select_related("team__round__committee")
        .order_by("-pk")
        .first()
    )
    return seat.team if seat else None


def load(context: Any) -> None:
    team = _team()
    if team is None:
        return
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=["office_c1", "office", "leader", "deputy", "member"]
        )
    }
    for user in users.values():
        services.keys_on_password(user=user, password=DEMO_PASSWORD)
    leader, member = users["leader"], users["member"]
    channel = services.channel_ensure(actor=leader, team=team)
    # Talks are proposed from tomorrow on (by the real clock, not the demo's reference
    # date): the channel takes talks for four weeks after the demo is loaded.
    talks_until = max(
        channel.ends_on or context.today, timezone.localdate() + dt.timedelta(days=28)
    )
    services.channel_update(
        actor=leader,
        channel=channel,
        ends_on=talks_until,
        phone="0000-1234567",
        mailbox="巡察组意见箱（村委会门口）",
        station="镇政府招待所三楼",
        places=[
            {"name": "镇政府招待所三楼巡察组谈话室", "kind": "station"},
            {"name": "县图书馆二楼阅览室", "kind": "neutral"},
            {"name": "镇文化站活动室", "kind": "neutral"},
        ],
    )
    services.channel_open(actor=leader, channel=channel)

    target = team.targets.order_by("pk").first()
    unit = target.name if target else ""
    road, _ = services.submit(
        channel=channel,
        submission=Submission(
            kind=Kind.REPORT,
            category=Category.PROJECTS,
            content={"about": "村主任", "organisation": unit, "what": ROAD, "when": "去年秋天"},
        ),
        receipt=DEMO_REPORT_RECEIPT,
    )
    services.submit(
        channel=channel,
        submission=Submission(
            kind=Kind.REPORT,
            category=Category.PROJECTS,
            content={"about": "村主任", "organisation": unit, "what": ROAD_AGAIN, "when": ""},
        ),
        source=Source.PHONE,
        actor=member,
        with_receipt=False,
    )
    services.submit(
        channel=channel,
        submission=Submission(
            kind=Kind.REPORT,
            category=Category.FUNDS,
            content={"about": "村干部亲属", "organisation": unit, "what": SUBSIDY, "when": "今年"},
            identity={"name": "林晓雨", "phone": "13800000000", "other": ""},
        ),
    )
    services.submit(
        channel=channel,
        submission=Submission(
            kind=Kind.TALK,
            category=Category.APPOINTMENTS,
            content={
                "mode": "in_person",
                "days": [],
                "times": ["afternoon"],
                "place_kind": "neutral",
                "topic": "想当面反映村里换届选举中的一些情况。",
            },
        ),
        receipt=DEMO_TALK_RECEIPT,
    )
    services.submit(
        channel=channel,
        submission=Submission(
            kind=Kind.REPORT,
            category=Category.OTHER,
            content={"about": "", "organisation": "", "what": FAMILY, "when": ""},
        ),
        source=Source.LETTER,
        actor=member,
        with_receipt=False,
    )
    unlocked = services.keys_on_password(user=leader, password=DEMO_PASSWORD)
    services.staff_message(
        actor=leader,
        report=road,
        private_key=unlocked.private_key,
        text="感谢您的反映。请问您是否知道施工队的名称，或者工程款是哪个月拨付的？",
        waiting=True,
    )
