"""The labelled linkage set (issue #9): deterministic, its truth refers to real rows,
every corruption occurs and is what its kind says, and the registry is realistic enough
that a name alone does not identify a person."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from xuncha.core.lib import idnumber
from xuncha.datacheck.lib import linksynth, names, normalise

LEFT, RIGHT = 20_000, 5_000
NAME_KINDS = {"traditional", "homophone", "similar_shape", "swapped", "joined"}
NAME_KINDS |= {"minority_dot", "typo_other"}


@pytest.fixture(scope="module")
def linkset() -> linksynth.LinkSet:
    return linksynth.generate(LEFT, RIGHT)


class Matched:
    """The matched roster rows with their registry rows and corruptions."""

    def __init__(self, linkset: linksynth.LinkSet) -> None:
        self.left = {r["id"]: r for r in linkset.left.to_pylist()}
        self.right = {r["id"]: r for r in linkset.right.to_pylist()}
        self.pairs = [
            (self.left[t["left_id"]], self.right[t["right_id"]]) for t in linkset.truth.to_pylist()
        ]
        self.kinds: dict[str, set[str]] = defaultdict(set)
        for c in linkset.corruptions.to_pylist():
            self.kinds[c["right_id"]].add(c["kind"])

    def of(self, kind: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        found = [(a, b) for a, b in self.pairs if kind in self.kinds[b["id"]]]
        assert len(found) >= 10, kind  # every kind has cases among the matches
        return found

    def without(self, *kinds: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        return [(a, b) for a, b in self.pairs if not self.kinds[b["id"]] & set(kinds)]


@pytest.fixture(scope="module")
def matched(linkset: linksynth.LinkSet) -> Matched:
    return Matched(linkset)


def _tables(s: linksynth.LinkSet) -> list[Any]:
    return [s.left, s.right, s.truth, s.corruptions]


# -- determinism and shape --------------------------------------------------------------------


def test_the_same_seed_gives_the_same_set_and_another_seed_another():
    a = linksynth.generate(3000, 800, seed=5)
    b = linksynth.generate(3000, 800, seed=5)
    assert all(x.equals(y) for x, y in zip(_tables(a), _tables(b), strict=True))
    c = linksynth.generate(3000, 800, seed=6)
    assert not a.left.equals(c.left)
    assert not a.right.equals(c.right)


def test_the_registry_does_not_depend_on_the_roster_size():
    assert linksynth.generate(3000, 100, seed=5).left.equals(
        linksynth.generate(3000, 900, seed=5).left
    )


def test_columns_ids_and_recorded_seed(linkset):
    assert tuple(linkset.left.column_names) == linksynth.LEFT_COLUMNS
    assert tuple(linkset.right.column_names) == linksynth.RIGHT_COLUMNS
    assert linkset.left.num_rows == LEFT and linkset.right.num_rows == RIGHT
    assert linkset.left.column("id")[0].as_py() == "L000001"
    assert linkset.right.column("id")[RIGHT - 1].as_py() == "R005000"
    assert linkset.seed == linksynth.DEFAULT_SEED
    meta = linkset.right.schema.metadata
    assert meta[b"seed"] == str(linksynth.DEFAULT_SEED).encode()
    assert meta[b"reference_day"] == linksynth.REFERENCE_DAY.isoformat().encode()
    assert set(linksynth.CORRUPTIONS) == set(linksynth.CORRUPTION_WEIGHTS)


def test_truth_pairs_refer_to_existing_rows_once(linkset):
    left_ids = set(linkset.left.column("id").to_pylist())
    right_ids = set(linkset.right.column("id").to_pylist())
    truth = linkset.truth.to_pylist()
    assert {t["left_id"] for t in truth} <= left_ids
    assert {t["right_id"] for t in truth} <= right_ids
    assert len({t["left_id"] for t in truth}) == len(truth)
    assert len({t["right_id"] for t in truth}) == len(truth)
    assert set(linkset.corruptions.column("right_id").to_pylist()) <= right_ids


@pytest.mark.parametrize("share", [0.8, 0.5])
def test_the_share_of_matches_is_match_share(share):
    s = linksynth.generate(2000, 1000, seed=3, match_share=share)
    assert s.truth.num_rows == round(1000 * share)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="registry people"):
        linksynth.generate(100, 1000)
    with pytest.raises(ValueError, match="share"):
        linksynth.generate(100, 10, match_share=1.5)
    with pytest.raises(ValueError, match="township"):
        linksynth.generate(100, 10, places=[])


def test_places_given_are_used():
    places = [("东山镇", ["前村", "后村"]), ("西河乡", ["上村"])]
    s = linksynth.generate(1000, 200, places=places, county="样例县")
    left = s.left.to_pylist()
    assert {(r["township"], r["village"]) for r in left} == {
        ("东山镇", "前村"),
        ("东山镇", "后村"),
        ("西河乡", "上村"),
    }
    assert all(r["address"].startswith("样例县" + r["township"] + r["village"]) for r in left)


# -- the registry -----------------------------------------------------------------------------


def test_id_numbers_are_valid_unique_and_agree_with_birth_and_gender(linkset):
    seen = set()
    for r in linkset.left.to_pylist():
        number = normalise.id_number(r["id_number"])
        assert number == r["id_number"]
        parsed = idnumber.parse(number)
        assert parsed.region_code == "431099"
        assert parsed.birth_date.isoformat() == r["birth_date"]
        assert parsed.gender == ("M" if r["gender"] == "男" else "F")
        seen.add(number)
    assert len(seen) == LEFT
    first = linkset.left.to_pylist()[0]
    birth = dt.date.fromisoformat(first["birth_date"])
    assert idnumber.make("431099", birth, int(first["id_number"][14:17])) == first["id_number"]


def test_households_share_an_address_and_are_realistic(linkset):
    members: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in linkset.left.to_pylist():
        members[r["household"]].append(r)
    sizes = Counter(len(m) for m in members.values())
    assert set(sizes) <= set(range(1, 7)) and sizes[1] and sizes[6]
    for household in members.values():
        assert len({r["address"] for r in household}) == 1
        assert re.fullmatch(
            r"演示县\w+[镇乡]\w+村[一二三四五六七八九十]+组\d+号", household[0]["address"]
        )
    # Most multi-member households share the head's family name; twins exist.
    shared = sum(
        1
        for m in members.values()
        if len(m) >= 3 and len({names.split(r["name"])[0] for r in m}) < len(m)
    )
    assert shared > 0.8 * sum(1 for m in members.values() if len(m) >= 3)
    twins = [m for m in members.values() if len(m) - len({r["birth_date"] for r in m}) >= 1]
    assert twins


def test_names_alone_do_not_identify_a_person(linkset):
    left = linkset.left.to_pylist()
    by_place = Counter((r["name"], r["village"]) for r in left)
    namesakes = [k for k, n in by_place.items() if n >= 2]
    assert len(namesakes) > 100  # same name, same village, different people
    assert sum(1 for (name, _v) in namesakes if name in ("张伟", "王芳", "李伟", "王伟"))
    family = Counter(r["name"][0] for r in left)
    assert {"王", "李", "张"} <= {f for f, _ in family.most_common(4)}
    assert any(r["name"][:2] in linksynth.COMPOUND_FAMILY_NAMES for r in left)
    assert {len(names.split(r["name"])[1]) for r in left if "·" not in r["name"]} == {1, 2}


def test_minority_names_and_phones_come_in_realistic_shares(linkset):
    left = linkset.left.to_pylist()
    minority = [r["name"] for r in left if linksynth.MIDDLE_DOT in r["name"]]
    assert 0.015 < len(minority) / LEFT < 0.05
    assert all(normalise.name(n) == n and names.keys(n).minority for n in minority)
    phones = [r["phone"] for r in left if r["phone"] is not None]
    assert 0.6 < len(phones) / LEFT < 0.8
    assert all(re.fullmatch(r"1[3-9]\d{9}", p) for p in phones)


def test_relatives_have_similar_names(linkset):
    members: dict[str, list[str]] = defaultdict(list)
    for r in linkset.left.to_pylist():
        members[r["household"]].append(r["name"])
    generation = 0
    for household in members.values():
        given = [n[1:] for n in household if len(n) == 3 and "·" not in n]
        firsts = Counter(g[0] for g in given)
        generation += any(c >= 2 for c in firsts.values())
    assert generation > 200  # 张卫东 / 张卫国


# -- the roster -------------------------------------------------------------------------------


def test_every_corruption_kind_occurs(linkset):
    found = Counter(linkset.corruptions.column("kind").to_pylist())
    assert set(found) == set(linksynth.CORRUPTIONS)
    assert all(found[k] >= 20 for k in linksynth.CORRUPTIONS), found


def test_at_most_three_corruptions_and_one_per_group(matched):
    for _a, b in matched.pairs:
        kinds = matched.kinds[b["id"]]
        assert len(kinds) <= 3
        groups = [linksynth.CORRUPTION_WEIGHTS[k][0] for k in kinds]
        assert len(groups) == len(set(groups))
    untouched = len(matched.without(*NAME_KINDS)) / len(matched.pairs)
    assert 0.2 < untouched < 0.4  # about 30 % of the names as registered


def test_traditional(matched):
    for a, b in matched.of("traditional"):
        assert b["name"] != a["name"]
        assert normalise.name(b["name"]) == a["name"]


def test_homophone(matched):
    for a, b in matched.of("homophone"):
        assert b["name"] != a["name"] and len(b["name"]) == len(a["name"])
        assert names.keys(b["name"]).pinyin == names.keys(a["name"]).pinyin
        assert names.split(b["name"])[0] == names.split(a["name"])[0] or "·" in a["name"]


def test_similar_shape(matched):
    pairs = {frozenset(p) for p in linksynth.SIMILAR_SHAPE}
    for a, b in matched.of("similar_shape"):
        diff = [(x, y) for x, y in zip(a["name"], b["name"], strict=True) if x != y]
        assert len(diff) == 1 and frozenset(diff[0]) in pairs


def test_swapped(matched):
    for a, b in matched.of("swapped"):
        assert b["name"] != a["name"]
        assert sorted(b["name"]) == sorted(a["name"])
        family, given = linksynth.split(a["name"])
        assert b["name"] in (given + family, given + "·" + family)


def test_joined_and_minority_dot(matched):
    joined, dotted = matched.of("joined"), matched.of("minority_dot")
    assert joined and dotted
    for a, b in joined:
        assert "·" in a["name"] and b["name"] == a["name"].replace("·", "")
    for a, b in dotted:
        dot = b["name"][len(a["name"].partition("·")[0])]
        assert dot in linksynth.OTHER_DOTS
        assert b["name"] == a["name"].replace("·", dot)
        assert normalise.name(b["name"]) == a["name"]


def test_typo_other(matched):
    for a, b in matched.of("typo_other"):
        diff = [(x, y) for x, y in zip(a["name"], b["name"], strict=True) if x != y]
        assert len(diff) == 1
        assert linksynth.toneless(diff[0][0]) != linksynth.toneless(diff[0][1])


_PARTIAL = re.compile(r"(\d{4})(?:年|年(\d{1,2})月|[.\-/](\d{1,2}))?")


def test_partial_birth_dates_have_no_day(matched):
    for a, b in matched.of("partial_birth"):
        found = _PARTIAL.fullmatch(b["birth_date"])
        assert found, b["birth_date"]
        assert found.group(1) == a["birth_date"][:4]
        month = found.group(2) or found.group(3)
        assert month is None or int(month) == int(a["birth_date"][5:7])


def _age(text: str) -> int:
    text = text.removeprefix("约").removesuffix("左右").removesuffix("岁")
    if text.isdigit():
        return int(text)
    digits = "零一二三四五六七八九"
    value, current = 0, 0
    for char in text:
        if char in digits:
            current = digits.index(char)
        elif char == "十":
            value += (current or 1) * 10
            current = 0
        elif char == "百":
            value += current * 100
            current = 0
    return value + current


def test_chinese_numbers():
    assert [linksynth.chinese_number(n) for n in (3, 10, 12, 50, 57, 100, 102, 115, 130)] == [
        "三",
        "十",
        "十二",
        "五十",
        "五十七",
        "一百",
        "一百零二",
        "一百一十五",
        "一百三十",
    ]
    assert all(_age(linksynth.chinese_number(n)) == n for n in range(200))


def test_age_only_rows_have_an_age_near_the_true_one(matched):
    rows = matched.of("age_only")
    assert any("左右" in b["age"] for _a, b in rows)
    for a, b in rows:
        assert b["birth_date"] is None and b["age"]
        years = linksynth.REFERENCE_DAY.year - int(a["birth_date"][:4])
        assert abs(_age(b["age"]) - years) <= 2


def test_ages_next_to_full_dates_are_exact(matched):
    rows = [(a, b) for a, b in matched.without("age_only") if b["age"] is not None]
    assert rows
    for a, b in rows:
        assert _age(b["age"]) == linksynth.age_on_reference_day(a["birth_date"])


def _group_as_chinese(address: str) -> str:
    return re.sub(r"(\d+)组", lambda m: linksynth.chinese_number(int(m.group(1))) + "组", address)


def test_address_level(matched):
    county = "演示县"
    for a, b in matched.of("address_level"):
        assert b["address"] != a["address"]
        full = a["address"]
        shown = _group_as_chinese(b["address"])
        assert full.startswith(shown) or full.removeprefix(county).startswith(shown), shown
        assert b["township"] == a["township"]
        assert b["village"] in (None, a["village"])
        if b["village"] is None:
            assert a["village"] not in b["address"]


def test_phone_and_gender(matched):
    for a, b in matched.of("phone_missing"):
        assert a["phone"] is not None and b["phone"] is None
    for a, b in matched.of("phone_changed"):
        assert b["phone"] is not None and b["phone"] != a["phone"]
    for _a, b in matched.of("gender_missing"):
        assert b["gender"] is None


def test_fields_without_a_corruption_are_as_registered(matched):
    for a, b in matched.without(*NAME_KINDS):
        assert b["name"] == a["name"]
    for a, b in matched.without("gender_missing"):
        assert b["gender"] == a["gender"]
    for a, b in matched.without("partial_birth", "age_only"):
        assert normalise.date(b["birth_date"]).isoformat() == a["birth_date"]
    for a, b in matched.without("address_level"):
        assert (b["address"], b["township"], b["village"]) == (
            a["address"],
            a["township"],
            a["village"],
        )
    for a, b in matched.without("phone_missing", "phone_changed"):
        assert b["phone"] == a["phone"]
    households = [b["household"] for _a, b in matched.pairs if b["household"] is not None]
    assert 0 < len(households) < 0.1 * len(matched.pairs)


def test_non_matches_are_county_people_often_named_like_registry_people(linkset, matched):
    truth = set(linkset.truth.column("right_id").to_pylist())
    others = [r for r in linkset.right.to_pylist() if r["id"] not in truth]
    assert len(others) == RIGHT - len(truth)
    registered = {(r["name"], r["village"]) for r in matched.left.values()}
    registered_names = {r["name"] for r in matched.left.values()}
    untouched = [r for r in others if not matched.kinds[r["id"]] & NAME_KINDS]
    namesakes = [r for r in untouched if r["name"] in registered_names]
    assert len(namesakes) > 0.5 * len(untouched)
    assert sum((r["name"], r["village"]) in registered for r in untouched) > 0.2 * len(untouched)
    villages = {r["village"] for r in matched.left.values()}
    assert {r["village"] for r in others} <= villages | {None}


# -- the tables -------------------------------------------------------------------------------


def test_homophone_and_shape_tables():
    table = linksynth.homophones()
    for char, others in table.items():
        for other in others:
            assert linksynth.toneless(other) == linksynth.toneless(char)
    assert len(linksynth.SIMILAR_SHAPE) >= 40
    assert all(len(p) == 2 and p[0] != p[1] for p in linksynth.SIMILAR_SHAPE)
    assert len(set(linksynth.SIMILAR_SHAPE)) == len(linksynth.SIMILAR_SHAPE)


# -- files ------------------------------------------------------------------------------------


def test_write_and_the_command(tmp_path: Path):
    s = linksynth.generate(500, 100, seed=9)
    paths = linksynth.write(s, tmp_path / "a")
    assert set(paths) == {"left", "right", "truth", "corruptions"}
    assert pq.read_table(paths["right"]).equals(s.right)
    assert pq.read_table(paths["truth"]).schema.metadata[b"seed"] == b"9"

    out = tmp_path / "b"
    argv = ["--left", "500", "--right", "100", "--seed", "9", "--out", str(out), "--csv"]
    assert linksynth.main(argv) == 0
    assert pq.read_table(out / "left.parquet").equals(s.left)
    text = (out / "right.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(f'"{c}"' for c in linksynth.RIGHT_COLUMNS)
    assert len(text.splitlines()) == 101
