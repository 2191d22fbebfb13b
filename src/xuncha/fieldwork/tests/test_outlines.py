"""Talk outlines: the default bank's integrity, generation by role and profile, questions
from open items with their source, diffs after a new clue, JSON round trips."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from xuncha.fieldwork.lib import question_bank
from xuncha.fieldwork.lib.interviewees import ROLES, Person
from xuncha.fieldwork.lib.outlines import (
    CONCERN_DEPARTMENT,
    CONCERN_NAMED,
    CONCERN_UNIT,
    OpenItem,
    Outline,
    Profile,
    diff,
    generate,
)
from xuncha.fieldwork.lib.question_bank import (
    COUNTY_FOCUS_AREAS,
    DEFAULT_BANK,
    FOCUS_AREAS,
    PROFILE_TAGS,
    VILLAGE_FOCUS_AREAS,
    Question,
    validate_bank,
)

COUNTY = Profile("county_unit", has_major_projects=True)
COUNTY_PLAIN = Profile("county_unit")
VILLAGE = Profile("village", tags=frozenset({"funds"}))
CLERK = Person(31, "某会计", 7, "财务股", "会计", key_post_kind="finance")
CHIEF = Person(1, "某局长", 7, "党组", "局长", is_leadership=True, is_main_leader=True)
ENGINEER = Person(40, "某工程师", 7, "建设股", "工程师")

CLUE = OpenItem(
    501,
    "食堂采购价格明显偏高",
    "clue",
    summary="举报称食堂长期从同一家供应商高价采购。",
    focus_areas=("corruption_near_people",),
    departments=frozenset({"财务股"}),
)
PROBLEM = OpenItem(
    601,
    "公务接待无公函",
    "problem",
    focus_areas=("corruption_near_people",),
    person_ids=frozenset({31}),
)
UNIT_WIDE = OpenItem(602, "三重一大事项未经集体研究", "problem", focus_areas=("weak_party_org",))


def keys(outline: Outline) -> list[str]:
    return [q.key for q in outline.questions()]


# -- the bank ---------------------------------------------------------------------------------


def test_default_bank_integrity() -> None:
    assert validate_bank(DEFAULT_BANK) == []
    assert len(DEFAULT_BANK) >= 80
    ids = [q.id for q in DEFAULT_BANK]
    assert len(ids) == len(set(ids))
    for q in DEFAULT_BANK:
        assert re.fullmatch(r"[A-Z]{2}-\d{2}", q.id)
        assert q.focus_area in FOCUS_AREAS
        assert q.roles and set(q.roles) <= set(ROLES)
        assert q.profiles and set(q.profiles) <= set(PROFILE_TAGS)
        assert q.text_zh.strip() and q.text_en.strip()
        assert re.search(r"[\u4e00-\u9fff]", q.text_zh)
        assert q.text_zh.rstrip().endswith("？") or q.text_zh.rstrip().endswith("。")
    assert {q.focus_area for q in DEFAULT_BANK} == set(FOCUS_AREAS)
    assert {r for q in DEFAULT_BANK for r in q.roles} == set(ROLES)
    assert len({q.text_zh for q in DEFAULT_BANK}) == len(DEFAULT_BANK)


def test_every_role_has_questions_for_each_kind_of_target() -> None:
    for profile in (COUNTY, VILLAGE):
        for role in ROLES:
            outline = generate(DEFAULT_BANK, role, profile, None, [], None)
            assert len(outline.questions()) >= 3, (profile.kind, role)


def test_bank_covers_procurement_and_village_benefits() -> None:
    projects = [q for q in DEFAULT_BANK if "major_projects" in q.profiles]
    assert any("招标" in q.text_zh for q in projects)
    assert any("变更" in q.text_zh for q in projects)
    village = [q for q in DEFAULT_BANK if "village" in q.profiles]
    assert any("低保" in q.text_zh for q in village)
    assert any("补贴" in q.text_zh for q in village)
    assert any(q.focus_area == "three_assets" for q in village)


def test_validate_bank_names_problems() -> None:
    bad = (
        Question("X-1", "weather", ("main_leader",), ("any",), "问？", "Q?"),
        Question("X-1", "party_line", ("boss",), ("any",), "", "Q?"),
    )
    problems = validate_bank(bad)
    assert "X-1: unknown focus area 'weather'" in problems
    assert "X-1: duplicate id" in problems
    assert "X-1: unknown role 'boss'" in problems
    assert "X-1: a text is empty" in problems


# -- generation -------------------------------------------------------------------------------


def test_village_outline_vs_county_unit_with_projects() -> None:
    village = generate(DEFAULT_BANK, "main_leader", VILLAGE, None, [], None)
    assert [s.focus_area for s in village.sections] == list(VILLAGE_FOCUS_AREAS)
    ids = [k.removeprefix("bank:") for k in keys(village)]
    assert "TA-01" in ids and "BN-04" in ids  # 三资 and 低保
    assert not any(i.startswith("CN-") for i in ids)

    county = generate(DEFAULT_BANK, "main_leader", COUNTY, None, [], CHIEF)
    areas = [s.focus_area for s in county.sections]
    assert areas == [a for a in COUNTY_FOCUS_AREAS if a in areas]
    ids = [k.removeprefix("bank:") for k in keys(county)]
    assert "CN-08" in ids  # project decisions
    assert not any(i.startswith(("TA-", "BN-")) for i in ids)
    assert "RC-07" not in ids  # a village-only rectification question
    plain = generate(DEFAULT_BANK, "main_leader", COUNTY_PLAIN, None, [], CHIEF)
    assert "bank:CN-08" not in keys(plain)

    participant = generate(DEFAULT_BANK, "project_participant", COUNTY, None, [], ENGINEER)
    texts = [q.text_zh for q in participant.questions()]
    assert any("招标" in t for t in texts) and any("变更" in t for t in texts)
    assert (
        generate(DEFAULT_BANK, "project_participant", COUNTY_PLAIN, None, [], None).sections == ()
    )


def test_focus_areas_filter_order_and_dedup() -> None:
    twice = (*DEFAULT_BANK, DEFAULT_BANK[0], replace(DEFAULT_BANK[0], id="PL-99"))
    outline = generate(
        twice, "main_leader", COUNTY, ["rectification", "party_line", "rectification"], [], None
    )
    assert [s.focus_area for s in outline.sections] == ["rectification", "party_line"]
    k = keys(outline)
    assert len(k) == len(set(k))
    assert "bank:PL-99" not in k  # the same text under another id is asked once
    with pytest.raises(ValueError, match="unknown role"):
        generate(DEFAULT_BANK, "boss", COUNTY, None, [], None)


def test_item_questions_concern_the_interviewee_and_name_their_source() -> None:
    items = [CLUE, PROBLEM, UNIT_WIDE]
    clerk = generate(DEFAULT_BANK, "staff", COUNTY, None, items, CLERK)
    from_items = clerk.from_items
    assert [q.key for q in from_items] == [
        "item:problem:601:facts",
        "item:problem:601:remedy",
        "item:clue:501:facts",
        "item:clue:501:evidence",
    ]
    assert from_items[0].concern == CONCERN_NAMED
    assert from_items[2].concern == CONCERN_DEPARTMENT
    q = from_items[2]
    assert q.text_zh.startswith("关于“食堂采购价格明显偏高”反映的情况，您了解哪些具体事实？")
    assert "食堂采购价格明显偏高" in q.text_en
    assert q.origin().render() == "from clue #501 食堂采购价格明显偏高"
    assert from_items[0].origin().render() == "from problem #601 公务接待无公函"
    assert all("同一家供应商" not in x.text_zh for x in from_items)  # summaries stay out
    # The main leader gets the unit-wide problem, not the finance office's clue.
    chief = generate(DEFAULT_BANK, "main_leader", COUNTY, None, items, CHIEF)
    assert [x.key for x in chief.from_items] == [
        "item:problem:602:facts",
        "item:problem:602:cause",
    ]
    assert chief.from_items[0].concern == CONCERN_UNIT
    # An engineer in another department: nothing from these items.
    assert generate(DEFAULT_BANK, "staff", COUNTY, None, items, ENGINEER).from_items == ()


def test_diff_after_adding_a_clue() -> None:
    before = generate(DEFAULT_BANK, "staff", COUNTY, None, [PROBLEM], CLERK)
    after = generate(DEFAULT_BANK, "staff", COUNTY, None, [PROBLEM, CLUE], CLERK)
    changes = diff(before, after)
    assert [q.key for q in changes.added] == ["item:clue:501:facts", "item:clue:501:evidence"]
    assert changes.removed == () and changes.reworded == ()
    lines = [t.render() for t in changes.summary()]
    assert lines[0].startswith("added: 关于“食堂采购价格明显偏高”")
    assert lines[0].endswith("(from clue #501 食堂采购价格明显偏高)")
    assert diff(after, after).empty

    relabelled = replace(CLUE, label="食堂采购价格偏高且票据不全")
    later = generate(DEFAULT_BANK, "staff", COUNTY, None, [relabelled], CLERK)
    changes = diff(after, later)
    assert [q.key for q in changes.removed] == [
        "item:problem:601:facts",
        "item:problem:601:remedy",
    ]
    assert [q.key for q in changes.reworded] == ["item:clue:501:facts", "item:clue:501:evidence"]
    assert changes.added == ()


def test_json_round_trip() -> None:
    outline = generate(DEFAULT_BANK, "staff", COUNTY, None, [CLUE, PROBLEM], CLERK)
    data = json.loads(json.dumps(outline.to_json(), ensure_ascii=False))
    assert Outline.from_json(data) == outline
    public = generate(DEFAULT_BANK, "public", VILLAGE, None, [], None)
    assert Outline.from_json(json.loads(json.dumps(public.to_json()))) == public
    with pytest.raises(ValueError, match="version"):
        Outline.from_json({**data, "version": 99})


def test_module_constants_agree() -> None:
    assert set(question_bank.COUNTY_FOCUS_AREAS) | set(VILLAGE_FOCUS_AREAS) == set(FOCUS_AREAS)
    assert set(question_bank.FOCUS_AREA_NAMES_ZH) == set(FOCUS_AREAS)
