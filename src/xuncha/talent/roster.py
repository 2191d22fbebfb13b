"""The accepted roster of a round (巡察组组成人员名单) as a spreadsheet and a Word document.

``roster_of`` reads the round's role rows in a fixed number of queries; ``roster_xlsx``
and ``roster_docx`` turn what it returns into file bytes without touching the database,
the network or the disk. ID numbers are never part of a roster.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Prefetch
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt
from openpyxl import Workbook

from xuncha.core import audit
from xuncha.core.models import AuditEventType, Gender, User
from xuncha.core.tables import safe_cell
from xuncha.rounds.documents import (
    BODY_FONT,
    HEADING_FONT,
    add_row,
    add_table,
    format_date,
    new_document,
    styled_run,
    title,
    to_bytes,
)
from xuncha.rounds.models import Round, Team
from xuncha.talent.models import Qualification, Release, RoundRole

ROLE_ORDER: dict[str, int] = {
    RoundRole.Role.LEADER: 0,
    RoundRole.Role.DEPUTY: 1,
    RoundRole.Role.MEMBER: 2,
}
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOC_TITLE = "巡察组组成人员名单"
TABLE_FONT_SIZE = Pt(10.5)  # 五号: ten columns fit across a landscape page
ROLE_ZH: dict[str, str] = {"leader": "组长", "deputy": "副组长", "member": "组员"}
GENDER_ZH: dict[str, str] = {Gender.MALE: "男", Gender.FEMALE: "女"}


@dataclass(frozen=True)
class RosterLine:
    role: str  # a RoundRole.Role value
    name: str
    gender: str  # a Gender value, "" when not recorded
    home_organisation: str
    home_post: str
    county: str
    specialties: tuple[str, ...]
    rounds_before: int
    qualified_until: dt.date | None
    released: bool
    released_on: dt.date | None


@dataclass(frozen=True)
class TeamRoster:
    name: str  # "" for people of the round not placed in a team
    targets: tuple[str, ...]
    lines: tuple[RosterLine, ...]


def roster_of(round_: Round) -> list[TeamRoster]:
    """The round's accepted roster: teams in creation order, then leader, deputies and
    members; people without a team (if any) last. [] when nothing was accepted."""
    roles = list(
        RoundRole.objects.filter(round=round_)
        .select_related("profile__person", "profile__county", "profile__home_organisation")
        .prefetch_related(
            "profile__specialties",
            Prefetch(
                "profile__qualifications",
                queryset=Qualification.objects.filter(status=Qualification.Status.GRANTED),
            ),
        )
        .order_by("id")
    )
    if not roles:
        return []
    profile_ids = [r.profile_id for r in roles]
    before = dict(
        RoundRole.objects.filter(
            profile_id__in=profile_ids, round__created_at__lt=round_.created_at
        )
        .order_by()
        .values("profile_id")
        .annotate(n=Count("id"))
        .values_list("profile_id", "n")
    )
    releases = {r.profile_id: r for r in Release.objects.filter(round=round_)}
    teams = list(Team.objects.filter(round=round_).prefetch_related("targets").order_by("id"))
    return roster_teams(roles, teams, rounds_before=before, releases=releases)


def roster_teams(
    roles: Iterable[RoundRole],
    teams: Sequence[Team],
    *,
    rounds_before: dict[int, int],
    releases: dict[int, Release],
) -> list[TeamRoster]:
    """Group role rows (with their profiles loaded) by team; teams without anyone are left
    out."""
    by_team: defaultdict[int | None, list[RoundRole]] = defaultdict(list)
    for role in roles:
        by_team[role.team_id].append(role)
    result = []
    for team_id, name, targets in [
        *(
            (
                t.pk,
                t.name,
                tuple(o.name for o in sorted(t.targets.all(), key=lambda o: o.path)),
            )
            for t in teams
        ),
        (None, "", ()),
    ]:
        crew = sorted(by_team.get(team_id, []), key=lambda r: (ROLE_ORDER.get(r.role, 9), r.pk))
        if crew:
            lines = tuple(_line(r, rounds_before, releases) for r in crew)
            result.append(TeamRoster(name, targets, lines))
    return result


def _line(
    role: RoundRole, rounds_before: dict[int, int], releases: dict[int, Release]
) -> RosterLine:
    profile = role.profile
    person = profile.person
    valid_until = [q.expires_on for q in profile.qualifications.all()]
    release = releases.get(profile.pk)
    return RosterLine(
        role=role.role,
        name=person.name,
        gender=person.gender,
        home_organisation=profile.home_organisation.name if profile.home_organisation else "",
        home_post=profile.home_post,
        county=profile.county.name,
        specialties=tuple(s.name_zh for s in profile.specialties.all()),
        rounds_before=rounds_before.get(profile.pk, 0),
        qualified_until=max(valid_until) if valid_until else None,
        released=bool(release and release.confirmed),
        released_on=release.confirmed_on if release and release.confirmed else None,
    )


def people_count(teams: Sequence[TeamRoster]) -> int:
    return sum(len(t.lines) for t in teams)


# -- the spreadsheet (in the user's language) ---------------------------------------------------


def _role_label(role: str) -> str:
    return str(RoundRole.Role(role).label) if role in RoundRole.Role.values else role


def _gender_label(gender: str) -> str:
    return str(Gender(gender).label) if gender in Gender.values else ""


def roster_xlsx(round_name: str, teams: Sequence[TeamRoster]) -> bytes:
    """One row per person; text cells are guarded against formula injection."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Team roster")[:31])
    widths = [14, 30, 10, 12, 8, 36, 12, 20, 10, 14, 18]
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.append([safe_cell(round_name)])
    sheet.append(
        [
            _("Team"),
            _("Targets"),
            _("Role"),
            _("Name"),
            _("Gender"),
            _("Home organisation and post"),
            _("Pool of"),
            _("Specialties"),
            _("Rounds served before"),
            _("Qualification valid until"),
            _("Release confirmed"),
        ]
    )
    for team in teams:
        for line in team.lines:
            home = " ".join(p for p in (line.home_organisation, line.home_post) if p)
            released = _("Yes") if line.released else _("No")
            if line.released_on:
                released = f"{released} {line.released_on.isoformat()}"
            sheet.append(
                [
                    safe_cell(team.name or _("No team")),
                    safe_cell("、".join(team.targets)),
                    _role_label(line.role),
                    safe_cell(line.name),
                    _gender_label(line.gender),
                    safe_cell(home),
                    safe_cell(line.county),
                    safe_cell("、".join(line.specialties)),
                    line.rounds_before,
                    line.qualified_until,
                    released,
                ]
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# -- the printable document (in Chinese, like the other official drafts) ----------------------


def roster_docx(
    round_name: str,
    committee_name: str,
    teams: Sequence[TeamRoster],
    *,
    today: dt.date | None = None,
) -> bytes:
    """巡察组组成人员名单: a title, the round, one table per team (A4 landscape)."""
    today = today or timezone.localdate()
    with translation.override("zh-hans"):
        doc = new_document()
        section = doc.sections[0]
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
        section.top_margin, section.bottom_margin = Mm(25), Mm(25)
        section.left_margin, section.right_margin = Mm(25), Mm(25)
        title(doc, DOC_TITLE)
        subtitle = doc.add_paragraph()
        subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
        subtitle.paragraph_format.space_after = Pt(12)
        styled_run(subtitle, f"（{round_name}）", BODY_FONT, Pt(16))
        total = people_count(teams)
        team_count = sum(1 for t in teams if t.name)
        intro = doc.add_paragraph(
            f"经{committee_name}巡察工作领导小组研究，本轮巡察共派出{team_count}个巡察组，"
            f"组成人员共{total}名，名单如下。"
        )
        intro.paragraph_format.first_line_indent = Pt(32)
        for team in teams:
            heading = doc.add_paragraph()
            heading.paragraph_format.space_before = Pt(12)
            heading.paragraph_format.keep_with_next = True
            styled_run(heading, team.name or "未编组人员", HEADING_FONT, Pt(16))
            if team.targets:
                targets = doc.add_paragraph(f"巡察对象：{'、'.join(team.targets)}")
                targets.paragraph_format.keep_with_next = True
            table = add_table(
                doc,
                [
                    "序号",
                    "职务",
                    "姓名",
                    "性别",
                    "工作单位及职务",
                    "所属人才库",
                    "专长",
                    "此前参加巡察轮次",
                    "资格有效期至",
                    "单位确认脱产",
                ],
                TABLE_FONT_SIZE,
            )
            for number, line in enumerate(team.lines, start=1):
                home = " ".join(p for p in (line.home_organisation, line.home_post) if p)
                released = "是" if line.released else "否"
                if line.released_on:
                    released += f"（{format_date(line.released_on)}）"
                add_row(
                    table,
                    [
                        str(number),
                        ROLE_ZH.get(line.role, line.role),
                        line.name,
                        GENDER_ZH.get(line.gender, ""),
                        home,
                        line.county,
                        "、".join(line.specialties),
                        str(line.rounds_before),
                        format_date(line.qualified_until) if line.qualified_until else "无",
                        released,
                    ],
                    TABLE_FONT_SIZE,
                )
        closing = doc.add_paragraph(f"本名单生成于{format_date(today)}。")
        closing.paragraph_format.space_before = Pt(16)
        closing.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        return to_bytes(doc)


# -- the audit record -----------------------------------------------------------------------------


@transaction.atomic
def record_export(*, actor: User, round_: Round, fmt: str, people: int) -> None:
    audit.record(
        actor=actor,
        event_type=AuditEventType.ROSTER_EXPORTED,
        obj=round_,
        extra={"format": fmt, "people": people},
    )
