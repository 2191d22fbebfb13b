"""The accepted-roster exports as files: the spreadsheet's header, frozen row, filter and
language, and the qualification marks in both files, judged on the round's first day."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import unquote

import pytest
from django.urls import reverse
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from xuncha.rounds.models import Round, Stage
from xuncha.talent import roster
from xuncha.talent.models import Qualification, RoundRole, Specialty

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture
def current_round(db) -> Round:
    """County 1's current round: the demo gave its teams their role rows."""
    return Round.objects.get(committee__code="C01", stage=Stage.STATIONING)


def _first_member(round_: Round) -> RoundRole:
    """The first member (not leader or deputy) of the first team, as the files list them."""
    return (
        RoundRole.objects.filter(round=round_, role="member")
        .select_related("profile__person")
        .order_by("team_id", "id")
        .first()
    )


def _sheet_rows(client, round_: Round, **headers) -> tuple[object, list[tuple]]:
    response = client.get(reverse("talent:roster_xlsx", args=[round_.pk]), **headers)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    return sheet, list(sheet.iter_rows(values_only=True))


def _row_of(rows: list[tuple], name: str) -> tuple:
    return next(r for r in rows[2:] if r[3] == name)


def _docx(client, round_: Round) -> Document:
    response = client.get(reverse("talent:roster_docx", args=[round_.pk]))
    assert response.status_code == 200
    return Document(io.BytesIO(response.content))


def _docx_row(doc: Document, name: str) -> list[str]:
    for table in doc.tables:
        for row in table.rows[1:]:
            cells = [c.text for c in row.cells]
            if cells[2] == name:
                return cells
    raise AssertionError(name)


def _qualify(role: RoundRole, *, granted_on: dt.date, expires_on: dt.date) -> None:
    Qualification.objects.filter(profile=role.profile).delete()
    Qualification.objects.create(profile=role.profile, granted_on=granted_on, expires_on=expires_on)


def test_xlsx_has_a_frozen_header_a_filter_and_widths(as_user, current_round):
    people = RoundRole.objects.filter(round=current_round).count()
    sheet, rows = _sheet_rows(as_user("office_c1"), current_round, **EN)
    header = rows[1]
    assert header == (
        "Team",
        "Targets",
        "Role",
        "Name",
        "Gender",
        "Home organisation and post",
        "County",
        "Specialties",
        "Rounds served before",
        "Qualification valid until",
        "Qualification status",
        "Release confirmed by home unit",
    )
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == f"A2:L{2 + people}"
    assert len(rows) == 2 + people
    assert all(sheet.column_dimensions[c].width >= 8 for c in "ABCDEFGHIJKL")
    first_day = roster.first_day(current_round)
    assert rows[0][1] == (
        f"Qualification status on {first_day.isoformat()}, the first day of the round."
    )


def test_the_files_are_named_and_signed_for_the_office(as_user, current_round):
    """The spreadsheet's name follows the user's language, the Word document's stays the
    Chinese 名单; both say Xuncha made them (not the libraries), and the Word document
    numbers its pages."""
    client = as_user("office_c1")
    english = client.get(reverse("talent:roster_xlsx", args=[current_round.pk]), **EN)
    chinese = client.get(reverse("talent:roster_xlsx", args=[current_round.pk]), **ZH)
    word = client.get(reverse("talent:roster_docx", args=[current_round.pk]), **EN)
    assert unquote(english["Content-Disposition"]).endswith(
        f"{current_round.name} team roster.xlsx"
    )
    assert unquote(chinese["Content-Disposition"]).endswith(
        f"{current_round.name}巡察组组成人员名单.xlsx"
    )
    assert unquote(word["Content-Disposition"]).endswith(
        f"{current_round.name}巡察组组成人员名单.docx"
    )
    book = load_workbook(io.BytesIO(english.content))
    assert book.properties.creator == "Xuncha" and book.properties.lastModifiedBy == "Xuncha"
    doc = Document(io.BytesIO(word.content))
    props = doc.core_properties
    assert (props.author, props.last_modified_by, props.comments) == ("Xuncha", "Xuncha", "")
    assert props.title == "巡察组组成人员名单"
    assert props.created.date() >= dt.date(2026, 1, 1)  # not the library template's day
    footer = doc.sections[0].footer.paragraphs[0]
    assert footer.text.startswith("— ") and footer.text.endswith(" —")
    assert " PAGE " in footer._p.xml


def test_xlsx_heads_the_name_column_with_a_word_for_people(as_user, current_round):
    _, rows = _sheet_rows(as_user("office_c1"), current_round, **ZH)
    assert rows[1][3] == "姓名"
    assert "名称" not in rows[1]


def test_xlsx_lists_specialties_in_the_users_language(as_user, current_round):
    member = _first_member(current_round)
    two = list(Specialty.objects.order_by("code")[:2])
    member.profile.specialties.set(two)
    name = member.profile.person.name
    client = as_user("office_c1")

    _, english = _sheet_rows(client, current_round, **EN)
    assert _row_of(english, name)[7] == f"{two[0].name_en}, {two[1].name_en}"
    _, chinese = _sheet_rows(client, current_round, **ZH)
    assert _row_of(chinese, name)[7] == f"{two[0].name_zh}、{two[1].name_zh}"
    # The official list stays Chinese whatever the user's language.
    doc = _docx(client, current_round)
    assert _docx_row(doc, name)[6] == f"{two[0].name_zh}、{two[1].name_zh}"


def test_expired_qualification_is_marked_in_both_files(as_user, current_round):
    first_day = roster.first_day(current_round)
    member = _first_member(current_round)
    expired_on = first_day - dt.timedelta(days=3)
    _qualify(member, granted_on=expired_on - dt.timedelta(days=730), expires_on=expired_on)
    name = member.profile.person.name
    client = as_user("office_c1")

    _, rows = _sheet_rows(client, current_round, **EN)
    row = _row_of(rows, name)
    assert row[9].date() == expired_on
    assert row[10] == f"Expired on {expired_on.isoformat()}"

    doc = _docx(client, current_round)
    date_zh = f"{expired_on.year}年{expired_on.month}月{expired_on.day}日"
    assert _docx_row(doc, name)[8] == f"{date_zh}（资格已过期）"
    text = "\n".join(p.text for p in doc.paragraphs)
    assert f"{first_day.year}年{first_day.month}月{first_day.day}日" in text
    assert "注：巡察资格以本轮巡察首日" in text


def test_qualification_ending_on_the_first_day_is_still_valid(as_user, current_round):
    first_day = roster.first_day(current_round)
    member = _first_member(current_round)
    _qualify(member, granted_on=first_day - dt.timedelta(days=365), expires_on=first_day)
    name = member.profile.person.name
    client = as_user("office_c1")

    _, rows = _sheet_rows(client, current_round, **EN)
    # Valid on the first day, so no error; but it ends during the round, which both say.
    assert _row_of(rows, name)[10] == f"Valid; ends on {first_day.isoformat()}, during the round"
    cell = _docx_row(_docx(client, current_round), name)[8]
    assert "资格已过期" not in cell and cell.endswith("（巡察期间到期）")


def test_qualification_valid_to_the_end_of_the_round_is_simply_valid(as_user, current_round):
    first_day, last_day = roster.round_period(current_round, timezone.localdate())
    member = _first_member(current_round)
    _qualify(member, granted_on=first_day - dt.timedelta(days=365), expires_on=last_day)
    name = member.profile.person.name
    client = as_user("office_c1")
    _, rows = _sheet_rows(client, current_round, **EN)
    assert _row_of(rows, name)[10] == "Valid"
    assert "到期" not in _docx_row(_docx(client, current_round), name)[8]


def test_qualification_granted_later_or_missing(as_user, current_round):
    first_day = roster.first_day(current_round)
    later, missing = RoundRole.objects.filter(round=current_round, role="member").select_related(
        "profile__person"
    )[:2]
    starts = first_day + dt.timedelta(days=10)
    _qualify(later, granted_on=starts, expires_on=starts + dt.timedelta(days=365))
    Qualification.objects.filter(profile=missing.profile).delete()
    client = as_user("office_c1")

    _, rows = _sheet_rows(client, current_round, **EN)
    assert _row_of(rows, later.profile.person.name)[10] == f"Valid from {starts.isoformat()}"
    assert _row_of(rows, missing.profile.person.name)[10] == "None"
    doc = _docx(client, current_round)
    assert _docx_row(doc, later.profile.person.name)[8].endswith(
        f"（{starts.year}年{starts.month}月{starts.day}日起生效）"
    )
    assert _docx_row(doc, missing.profile.person.name)[8] == "无"


def test_docx_without_a_lapsed_qualification_has_no_note(current_round):
    first_day = roster.first_day(current_round)
    for role in RoundRole.objects.filter(round=current_round):
        _qualify(
            role,
            granted_on=first_day - dt.timedelta(days=30),
            expires_on=first_day + dt.timedelta(days=30),
        )
    teams = roster.roster_of(current_round, on=first_day)
    doc = Document(io.BytesIO(roster.roster_docx(current_round.name, "县委", teams, on=first_day)))
    assert not any(p.text.startswith("注：") for p in doc.paragraphs)
    assert all("资格已过期" not in c.text for t in doc.tables for r in t.rows for c in r.cells)


@pytest.mark.parametrize(
    ("qualifications", "status"),
    [
        ([], roster.UNQUALIFIED),
        ([("2025-01-01", "2026-06-30")], roster.QUALIFIED),
        ([("2025-01-01", "2026-05-31")], roster.EXPIRED),
        ([("2026-06-02", "2027-06-01")], roster.NOT_YET),
        # An old one expired, a new one is valid: valid.
        ([("2023-01-01", "2024-01-01"), ("2026-05-01", "2028-05-01")], roster.QUALIFIED),
    ],
)
def test_qualification_on_the_first_day(qualifications, status):
    day = dt.date(2026, 6, 1)
    granted = [
        Qualification(
            granted_on=dt.date.fromisoformat(a),
            expires_on=dt.date.fromisoformat(b),
            status=Qualification.Status.GRANTED,
        )
        for a, b in qualifications
    ]
    assert roster.qualification_on(granted, day)[0] == status
