"""Who to talk to: each must-interview rule by hand, merging and order, the stratified
sample, interviewer conflicts and names found in interview records."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from xuncha.core.lib.text import Text
from xuncha.fieldwork.lib.interviewees import (
    RULE_KEY_POST,
    RULE_LEADERSHIP,
    RULE_MAIN_LEADER,
    RULE_NAMED_IN_CLUE,
    RULE_NAMED_IN_REPORT,
    RULE_PROJECT,
    RULE_RETIRED_LEADER,
    RULE_TALK_REQUEST,
    Entry,
    Mention,
    PairEvidence,
    Person,
    Project,
    Target,
    allocate,
    interviewer_conflicts,
    must_interview,
    person_ids,
    sample_staff,
    suggest_from_record,
)

TODAY = date(2026, 9, 7)
UNIT = 7


def person(
    pid: int,
    name: str,
    department: str = "办公室",
    post: str = "科员",
    *,
    leadership: bool = False,
    main: bool = False,
    ended: date | None = None,
    key: str | None = None,
) -> Person:
    return Person(pid, name, UNIT, department, post, leadership, main, ended, key)


def target(
    people: list[Person],
    projects: tuple[Project, ...] = (),
    mentions: tuple[Mention, ...] = (),
    kind: str = "county_unit",
) -> Target:
    return Target(UNIT, "某县某局", kind, tuple(people), projects, mentions)


def by_id(entries: list[Entry]) -> dict[int | None, Entry]:
    return {e.person_id: e for e in entries}


def rendered(entry: Entry) -> list[str]:
    return [t.render() for t in entry.reasons]


# -- must-interview rules ---------------------------------------------------------------------


def test_leadership_team_and_main_leader() -> None:
    t = target(
        [
            person(1, "甲书记", "党组", "党组书记、局长", leadership=True, main=True),
            person(2, "乙副局长", "党组", "副局长", leadership=True),
            person(3, "丙科员"),
        ]
    )
    found = by_id(must_interview(t, TODAY))
    assert set(found) == {1, 2}
    assert found[1].rules == (RULE_MAIN_LEADER, RULE_LEADERSHIP)
    assert found[2].rules == (RULE_LEADERSHIP,)
    assert rendered(found[1])[0] == "main leader of 某县某局"
    assert "副局长" in rendered(found[2])[0]


def test_retired_leader_within_three_years_boundary() -> None:
    t = target(
        [
            person(1, "退一", post="原副局长", leadership=True, ended=date(2023, 9, 7)),
            person(2, "退二", post="原副局长", leadership=True, ended=date(2023, 9, 6)),
            person(3, "退三", post="原局长", leadership=True, main=True, ended=date(2026, 1, 1)),
            person(4, "离职科员", ended=date(2025, 1, 1)),  # not a leader
        ]
    )
    found = by_id(must_interview(t, TODAY))
    assert set(found) == {1, 3}
    assert found[1].rules == (RULE_RETIRED_LEADER,)
    assert "2023-09-07" in rendered(found[1])[0]
    assert "3 years" in rendered(found[1])[0]
    # A wider window takes the second in; a leader whose post ends later is still current.
    assert 2 in by_id(must_interview(t, TODAY, retired_within_years=4))
    assert by_id(must_interview(t, date(2025, 12, 31)))[3].rules == (
        RULE_MAIN_LEADER,
        RULE_LEADERSHIP,
    )


def test_retired_boundary_on_29_february() -> None:
    t = target([person(1, "退一", leadership=True, ended=date(2025, 2, 28))])
    assert by_id(must_interview(t, date(2028, 2, 29)))[1].rules == (RULE_RETIRED_LEADER,)


def test_project_participants_name_the_project() -> None:
    t = target(
        [person(1, "张工", "建设股"), person(2, "李会计", "财务股"), person(3, "王科员")],
        projects=(Project(10, "城区污水管网改造工程", (1, 2)), Project(11, "乡村道路工程", (1,))),
    )
    found = by_id(must_interview(t, TODAY))
    assert set(found) == {1, 2}
    assert found[1].rules == (RULE_PROJECT, RULE_PROJECT)
    assert [r.split(" ")[-1] for r in rendered(found[1])] == [
        "城区污水管网改造工程",
        "乡村道路工程",
    ]


def test_key_posts_default_and_editable() -> None:
    t = target(
        [
            person(1, "财务一", "财务股", "会计", key="finance"),
            person(2, "采购一", "办公室", "采购专员", key="procurement"),
            person(3, "人事一", "人事股", "人事干事", key="personnel"),
            person(4, "项目一", "项目办", "项目主管", key="project_management"),
            person(5, "档案一", "办公室", "档案员", key="archives"),
            person(6, "前会计", "财务股", "会计", key="finance", ended=date(2026, 1, 1)),
        ]
    )
    found = by_id(must_interview(t, TODAY))
    assert set(found) == {1, 2, 3, 4}
    assert found[1].rules == (RULE_KEY_POST,)
    assert "finance" in rendered(found[1])[0] and "会计" in rendered(found[1])[0]
    only = by_id(must_interview(t, TODAY, key_posts={"finance", "archives"}))
    assert set(only) == {1, 5}


def test_mentions_reports_clues_and_talk_requests() -> None:
    t = target(
        [person(1, "赵某"), person(2, "钱某"), person(3, "孙某"), person(4, "孙某")],
        mentions=(
            Mention("report", "举报 2026-031", person_id=1),
            Mention("clue", "线索 X-4", name="钱某"),  # resolved by its unique name
            Mention("talk_request", "约谈 #12", person_id=1),
            Mention("clue", "线索 X-5", name="孙某"),  # two people of that name: unresolved
            Mention("report", "举报 2026-040", name="外单位李某"),
        ),
    )
    entries = must_interview(t, TODAY)
    found = by_id(entries)
    assert found[1].rules == (RULE_NAMED_IN_REPORT, RULE_TALK_REQUEST)
    assert rendered(found[1]) == [
        "named in the public report 举报 2026-031",
        "asked for a talk through the public channel (约谈 #12)",
    ]
    assert found[2].rules == (RULE_NAMED_IN_CLUE,)
    assert "线索 X-4" in rendered(found[2])[0]
    unresolved = [e for e in entries if e.person is None]
    assert [(e.name, e.rules) for e in unresolved] == [
        ("孙某", (RULE_NAMED_IN_CLUE,)),
        ("外单位李某", (RULE_NAMED_IN_REPORT,)),
    ]
    assert entries[-2:] == unresolved  # unresolved names come last


def test_reasons_merge_per_person() -> None:
    t = target(
        [person(1, "周局长", "党组", "局长", leadership=True, main=True, key="finance")],
        projects=(Project(10, "办公楼维修工程", (1,)),),
        mentions=(
            Mention("clue", "线索 X-1", person_id=1),
            Mention("clue", "线索 X-1", person_id=1),  # the same mention twice: said once
            Mention("report", "举报 9", name="周局长"),
        ),
    )
    entries = must_interview(t, TODAY)
    assert len(entries) == 1
    assert entries[0].rules == (
        RULE_MAIN_LEADER,
        RULE_LEADERSHIP,
        RULE_KEY_POST,
        RULE_PROJECT,
        RULE_NAMED_IN_REPORT,
        RULE_NAMED_IN_CLUE,
    )
    assert all(isinstance(r, Text) for r in entries[0].reasons)
    assert entries[0].role == "main_leader"


def test_order_main_leader_then_leadership_then_others() -> None:
    t = target(
        [
            person(1, "项目人", "建设股"),
            person(2, "副职", "党组", "副局长", leadership=True),
            person(3, "退休者", post="原局长", leadership=True, ended=date(2025, 5, 1)),
            person(4, "会计", "财务股", key="finance"),
            person(5, "一把手", "党组", "局长", leadership=True, main=True),
            person(6, "被举报人", "执法队"),
        ],
        projects=(Project(10, "某工程", (1,)),),
        mentions=(Mention("report", "举报 1", person_id=6),),
    )
    entries = must_interview(t, TODAY)
    assert [e.person_id for e in entries] == [5, 2, 3, 4, 1, 6]
    assert [e.role for e in entries] == [
        "main_leader",
        "leadership_member",
        "retired_leader",
        "staff",
        "project_participant",
        "staff",
    ]


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="source kind"):
        Mention("rumour", "x", person_id=1)
    with pytest.raises(ValueError, match="unknown person"):
        must_interview(target([person(1, "甲")], projects=(Project(1, "P", (9,)),)), TODAY)
    with pytest.raises(ValueError, match="target kind"):
        Target(1, "x", "planet", ())


# -- the stratified sample --------------------------------------------------------------------


def staff_target() -> Target:
    people = [person(1, "局长", "党组", "局长", leadership=True, main=True)]
    sizes = {"办公室": 10, "财务股": 20, "业务股": 30, "信息中心": 2}
    pid = 100
    for dept, n in sizes.items():
        for _ in range(n):
            people.append(person(pid, f"职工{pid}", dept))
            pid += 1
    people.append(person(pid, "已离职", "业务股", ended=date(2025, 1, 1)))
    return target(people)


def test_allocation_is_proportional_with_one_per_department() -> None:
    assert allocate({"a": 10, "b": 20, "c": 30}, 12) == {"a": 2, "b": 4, "c": 6}
    # 3 of (100, 1, 1): proportional gives 3/0/0; every department gets one.
    assert allocate({"a": 100, "b": 1, "c": 1}, 3) == {"a": 1, "b": 1, "c": 1}
    # Fewer places than departments: the largest ones.
    assert allocate({"a": 100, "b": 1, "c": 1}, 1) == {"a": 1, "b": 0, "c": 0}
    # Largest remainder: 7 of (5, 3, 2) -> 3.5, 2.1, 1.4 -> 3+1, 2, 1.
    assert allocate({"a": 5, "b": 3, "c": 2}, 7) == {"a": 4, "b": 2, "c": 1}
    assert allocate({"a": 2, "b": 1}, 10) == {"a": 2, "b": 1}
    for size in range(0, 40):
        got = allocate({"a": 13, "b": 1, "c": 7, "d": 2}, size)
        assert sum(got.values()) == min(size, 23)
        if size >= 4:
            assert min(got.values()) >= 1


def test_sample_stratified_reproducible_and_disjoint() -> None:
    t = staff_target()
    must = must_interview(t, TODAY)
    excluded = person_ids(must) | {100, 130}
    s = sample_staff(t, excluded, 12, seed=20260907, today=TODAY)
    ids = s.person_ids
    assert len(ids) == 12 and len(set(ids)) == 12
    assert not set(ids) & excluded
    depts = Counter(e.person.department for e in s.entries)
    assert depts == {"办公室": 2, "财务股": 4, "业务股": 5, "信息中心": 1}
    assert {st.department: (st.pool, st.drawn) for st in s.strata}["办公室"] == (9, 2)
    assert all(e.person.name != "已离职" for e in s.entries)
    assert s.seed == 20260907
    assert "seed 20260907" in s.entries[0].reason.render()
    again = sample_staff(t, excluded, 12, seed=20260907, today=TODAY)
    assert again.person_ids == ids
    others = {sample_staff(t, excluded, 12, seed=k).person_ids for k in range(5)}
    assert len(others) > 1


def test_sample_larger_than_pool_takes_everyone() -> None:
    t = staff_target()
    s = sample_staff(t, {1}, 500, seed=1, today=TODAY)
    assert len(s.entries) == 62


# -- interviewer conflicts --------------------------------------------------------------------


def test_conflicts_excluded_with_evidence() -> None:
    evidence = [
        PairEvidence(11, 1, "relative", Text("spouse of %(name)s", name="甲")),
        PairEvidence(11, 1, "former_colleague", Text("colleagues 2015–2021")),
        PairEvidence(12, 2, "former_superior", Text("his superior 2019–2022")),
        PairEvidence(99, 2, "relative", Text("not on this team")),
    ]
    check = interviewer_conflicts(
        evidence, {11: "组员甲", 12: "组员乙", 13: "组员丙"}, {1: "甲", 2: "乙"}
    )
    assert (11, 1) not in check.allowed and (12, 2) not in check.allowed
    assert set(check.allowed) == {(12, 1), (13, 1), (11, 2), (13, 2)}
    first = check.excluded[0]
    assert (first.interviewer_id, first.interviewee_id) == (11, 1)
    assert first.rules == ("relative", "former_colleague")
    assert first.evidence[0].render() == "组员甲 may not interview 甲 (relative): spouse of 甲"
    assert check.short == ()
    two = interviewer_conflicts(evidence, {11: "组员甲", 13: "组员丙"}, {1: "甲"})
    assert [ee for ee, _ in two.short] == [1]
    assert "only 1 interviewers" in two.short[0][1].render()
    with pytest.raises(ValueError, match="conflict rule"):
        PairEvidence(1, 1, "dislike", Text("x"))


# -- names in interview records ---------------------------------------------------------------


def test_suggest_names_from_record() -> None:
    record = (
        "谈话对象称，工程款的审批是王明华签的字。王明华后来调到了财政局。\n"
        "据了解，李强也参与了验收；张伟负责记账。张伟说账目没有问题！"
    )
    registry = ["王明", "王明华", "李强", "张伟", "赵", "刘洋"]
    got = suggest_from_record(record, known_names=["张伟"], person_names=registry)
    # 王明 is inside 王明华 every time it appears: not suggested; 张伟 is already listed.
    assert [(s.name, s.count) for s in got] == [("王明华", 2), ("李强", 1)]
    assert got[0].sentence == "谈话对象称，工程款的审批是王明华签的字。"
    assert got[1].sentence == "据了解，李强也参与了验收；"
    assert "李强" in got[1].reason.render()


def test_suggest_short_name_found_on_its_own_and_inside_known_longer_name() -> None:
    record = "王明华说，王明也知道这件事。"
    got = suggest_from_record(record, known_names=["王明华"], person_names=["王明"])
    assert [(s.name, s.count) for s in got] == [("王明", 1)]
    assert suggest_from_record("王明华说。", known_names=["王明华"], person_names=["王明"]) == []


def test_suggest_latin_names_stand_as_words() -> None:
    got = suggest_from_record("Lin said Li was there.", [], ["Li", "Lin", "Wu"])
    assert [s.name for s in got] == ["Lin", "Li"]
