"""The accepted roster of a round (巡察组组成人员名单) as a spreadsheet and a Word document.

``roster_of`` reads the round's role rows in a fixed number of queries; ``roster_xlsx``
and ``roster_docx`` turn what it returns into file bytes without touching the database,
the network or the disk. ID numbers are never part of a roster.

Qualifications are judged on the round's first day (the start of its period, as the team
builder judges leaders): only leaders need a valid one, so for anyone else an expired
qualification is a warning on the roster, not an error.
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
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from xuncha.core import audit
from xuncha.core.lib.officefiles import new_workbook
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
from xuncha.talent.teams import qualification_ends_on, round_period

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
RELEASE_HEADING_ZH = "原单位确认抽调"  # the xlsx's "Release confirmed by home unit"

# A member's qualification on the round's first day.
QUALIFIED = "valid"
EXPIRED = "expired"  # the latest one ended before the first day
NOT_YET = "not_yet"  # granted, but only from a later day
UNQUALIFIED = "none"  # none granted (or all suspended or revoked)


@dataclass(frozen=True)
class RosterLine:
    role: str  # a RoundRole.Role value
    name: str
    gender: str  # a Gender value, "" when not recorded
    home_organisation: str
    home_post: str
    county: str
    specialties_zh: tuple[str, ...]
    specialties_en: tuple[str, ...]
    rounds_before: int
    qualified_until: dt.date | None  # the latest expiry of a granted qualification
    qualification: str  # QUALIFIED, EXPIRED, NOT_YET or UNQUALIFIED on the first day
    qualified_from: dt.date | None  # for NOT_YET: the day it starts
    released: bool
    released_on: dt.date | None
    # Valid on the first day but ending before the round does, none granted to take over.
    ends_during: bool = False


@dataclass(frozen=True)
class TeamRoster:
    name: str  # "" for people of the round not placed in a team
    targets: tuple[str, ...]
    lines: tuple[RosterLine, ...]


def first_day(round_: Round) -> dt.date:
    """The day qualifications are judged on: the start of the round's period."""
    return round_period(round_, timezone.localdate())[0]


def roster_of(round_: Round, *, on: dt.date | None = None) -> list[TeamRoster]:
    """The round's accepted roster: teams in creation order, then leader, deputies and
    members; people without a team (if any) last. [] when nothing was accepted.
    Qualifications are judged ``on`` the round's first day unless another day is given,
    and marked when they end before the round's last day."""
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
    start, end = round_period(round_, timezone.localdate())
    return roster_teams(
        roles,
        teams,
        rounds_before=before,
        releases=releases,
        on=on or start,
        until=end,
    )


def roster_teams(
    roles: Iterable[RoundRole],
    teams: Sequence[Team],
    *,
    rounds_before: dict[int, int],
    releases: dict[int, Release],
    on: dt.date,
    until: dt.date | None = None,
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
            lines = tuple(_line(r, rounds_before, releases, on, until) for r in crew)
            result.append(TeamRoster(name, targets, lines))
    return result


def qualification_on(
    qualifications: Sequence[Qualification], day: dt.date
) -> tuple[str, dt.date | None]:
    """The status of granted qualifications on ``day``, and for NOT_YET the day the
    earliest later one starts."""
    if any(q.valid_on(day) for q in qualifications):
        return QUALIFIED, None
    later = [q.granted_on for q in qualifications if q.granted_on > day]
    if later:
        return NOT_YET, min(later)
    if qualifications:
        return EXPIRED, None
    return UNQUALIFIED, None


def _line(
    role: RoundRole,
    rounds_before: dict[int, int],
    releases: dict[int, Release],
    on: dt.date,
    until: dt.date | None = None,
) -> RosterLine:
    profile = role.profile
    person = profile.person
    granted = list(profile.qualifications.all())
    valid_until = [q.expires_on for q in granted]
    qualification, qualified_from = qualification_on(granted, on)
    specialties = list(profile.specialties.all())
    release = releases.get(profile.pk)
    return RosterLine(
        role=role.role,
        name=person.name,
        gender=person.gender,
        home_organisation=profile.home_organisation.name if profile.home_organisation else "",
        home_post=profile.home_post,
        county=profile.county.name,
        specialties_zh=tuple(s.name_zh for s in specialties),
        specialties_en=tuple(s.name_en for s in specialties),
        rounds_before=rounds_before.get(profile.pk, 0),
        qualified_until=max(valid_until) if valid_until else None,
        qualification=qualification,
        qualified_from=qualified_from,
        released=bool(release and release.confirmed),
        released_on=release.confirmed_on if release and release.confirmed else None,
        ends_during=until is not None and qualification_ends_on(granted, on, until) is not None,
    )


def people_count(teams: Sequence[TeamRoster]) -> int:
    return sum(len(t.lines) for t in teams)


# -- the spreadsheet (in the user's language) ---------------------------------------------------


def _role_label(role: str) -> str:
    return str(RoundRole.Role(role).label) if role in RoundRole.Role.values else role


def _gender_label(gender: str) -> str:
    return str(Gender(gender).label) if gender in Gender.values else ""


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _qualification_label(line: RosterLine) -> str:
    if line.qualification == QUALIFIED and line.ends_during and line.qualified_until:
        return _("Valid; ends on %(date)s, during the round") % {
            "date": line.qualified_until.isoformat()
        }
    if line.qualification == QUALIFIED:
        return _("Valid")
    if line.qualification == EXPIRED and line.qualified_until:
        return _("Expired on %(date)s") % {"date": line.qualified_until.isoformat()}
    if line.qualification == NOT_YET and line.qualified_from:
        return _("Valid from %(date)s") % {"date": line.qualified_from.isoformat()}
    return _("None")


XLSX_WIDTHS = (14, 30, 10, 12, 8, 36, 12, 24, 10, 14, 18, 24)


def roster_xlsx(
    round_name: str, teams: Sequence[TeamRoster], *, on: dt.date | None = None
) -> bytes:
    """One row per person in the user's language (specialties included; people's and
    organisations' names as recorded), under a frozen header row with a filter. ``on`` is
    the day qualifications were judged on, noted beside the title. Text cells are guarded
    against formula injection."""
    separator = ", " if _english() else "、"
    header = [
        _("Team"),
        _("Targets"),
        _("Role"),
        pgettext("person", "Name"),
        _("Gender"),
        _("Home organisation and post"),
        pgettext("the county whose pool a person is in", "County"),
        _("Specialties"),
        _("Rounds served before"),
        _("Qualification valid until"),
        _("Qualification status"),
        _("Release confirmed by home unit"),
    ]
    workbook = new_workbook()
    sheet = workbook.create_sheet(title=_("Team roster")[:31])
    for index, width in enumerate(XLSX_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    # A write-only sheet takes its view before the first row: keep the title and the
    # header in sight, and filter the table from the header down.
    sheet.freeze_panes = "A3"
    last_row = 2 + people_count(teams)
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(header))}{last_row}"
    title_row: list[object] = [safe_cell(round_name)]
    if on is not None:
        title_row.append(
            _("Qualification status on %(date)s, the first day of the round.")
            % {"date": on.isoformat()}
        )
    bold = Font(bold=True)

    def strong(value: object) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = bold
        return cell

    sheet.append([strong(title_row[0]), *title_row[1:]])
    sheet.append([strong(h) for h in header])
    for team in teams:
        for line in team.lines:
            home = " ".join(p for p in (line.home_organisation, line.home_post) if p)
            released = _("Yes") if line.released else _("No")
            if line.released_on:
                released = f"{released} {line.released_on.isoformat()}"
            specialties = line.specialties_en if _english() else line.specialties_zh
            sheet.append(
                [
                    safe_cell(team.name or _("No team")),
                    safe_cell(separator.join(team.targets)),
                    _role_label(line.role),
                    safe_cell(line.name),
                    _gender_label(line.gender),
                    safe_cell(home),
                    safe_cell(line.county),
                    safe_cell(separator.join(specialties)),
                    line.rounds_before,
                    line.qualified_until,
                    _qualification_label(line),
                    released,
                ]
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# -- the printable document (in Chinese, like the other official drafts) ----------------------
# The docx is the official 名单 filed with the committee: it is Chinese whatever the user's
# language, specialties included.


def _qualification_zh(line: RosterLine) -> str:
    if line.qualified_until is None:
        return "无"
    text = format_date(line.qualified_until)
    if line.qualification == EXPIRED:
        text += "（资格已过期）"
    elif line.ends_during:
        text += "（巡察期间到期）"
    elif line.qualification == NOT_YET and line.qualified_from:
        text += f"（{format_date(line.qualified_from)}起生效）"
    return text


def roster_docx(
    round_name: str,
    committee_name: str,
    teams: Sequence[TeamRoster],
    *,
    today: dt.date | None = None,
    on: dt.date | None = None,
) -> bytes:
    """巡察组组成人员名单: a title, the round, one table per team (A4 landscape). A
    qualification that has lapsed by ``on`` (the round's first day) is marked after its
    date and explained in a note under the tables."""
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
                    "专业特长",
                    "此前参加巡察轮数",
                    "资格有效期至",
                    RELEASE_HEADING_ZH,
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
                        "、".join(line.specialties_zh),
                        str(line.rounds_before),
                        _qualification_zh(line),
                        released,
                    ],
                    TABLE_FONT_SIZE,
                )
        flagged = {line.qualification for team in teams for line in team.lines} & {
            EXPIRED,
            NOT_YET,
        }
        if flagged and on is not None:
            note = doc.add_paragraph(
                f"注：巡察资格以本轮巡察首日（{format_date(on)}）为准，"
                "标注“资格已过期”或“起生效”的人员当日无有效巡察资格。"
            )
            note.paragraph_format.space_before = Pt(8)
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
