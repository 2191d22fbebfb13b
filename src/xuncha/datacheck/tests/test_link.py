"""Record linkage core (issue #9): value parsing, features, comparisons, scoring, candidates."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from xuncha.datacheck.lib import link
from xuncha.datacheck.lib.normalise import BadValue

DAY = dt.date(2026, 11, 27)


@pytest.mark.parametrize(
    ("raw", "years"),
    [
        ("50", 50),
        ("约50岁", 50),
        ("五十岁左右", 50),
        ("五十多岁", 50),
        ("大约五十三岁", 53),
        ("十八周岁", 18),
        ("50.0", 50),
        ("", None),
        (None, None),
    ],
)
def test_ages(raw, years):
    assert link.age_years(raw) == years


@pytest.mark.parametrize("raw", ["五十几十", "abc", "150岁", "约岁"])
def test_bad_ages(raw):
    with pytest.raises(BadValue):
        link.age_years(raw)


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        ("1976-05-12", (1976, 5, 12)),
        ("1976年5月12日", (1976, 5, 12)),
        ("19760512", (1976, 5, 12)),
        ("1976.05", (1976, 5, None)),
        ("1976年5月", (1976, 5, None)),
        ("197605", (1976, 5, None)),
        ("1976", (1976, None, None)),
        ("1976年", (1976, None, None)),
        (dt.date(1976, 5, 12), (1976, 5, 12)),
        (None, (None, None, None)),
    ],
)
def test_partial_birth_dates(raw, parts):
    assert link.birth(raw) == parts


@pytest.mark.parametrize("raw", ["1976-02-30", "1876", "1976-13", "去年"])
def test_bad_birth_dates(raw):
    with pytest.raises(BadValue):
        link.birth(raw)


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        ("演示县城关镇东风村三组12号", ("演示县", "城关镇", "东风村", "三组12号")),
        ("城关镇东风村", (None, "城关镇", "东风村", None)),
        ("城关镇", (None, "城关镇", None, None)),
        ("河西乡柳树村村民委员会", (None, "河西乡", "柳树村", None)),
        ("某省某市演示县新华街道", ("演示县", "新华街道", None, None)),
        ("", (None, None, None, None)),
    ],
)
def test_address_levels(raw, parts):
    assert link.address(raw) == parts


def test_shape_groups_join_similar_characters_only():
    key = link.shape_key
    assert key("王") == key("玉")
    assert key("己") == key("已")
    assert key("未") == key("末")
    assert key("土") == key("士")
    assert key("天") == key("夫")
    assert key("太") == key("犬")
    assert key("明") != key("朋")
    assert key("张") != key("李")
    # No group grows into a chain of look-alikes of look-alikes.
    groups: dict[str, int] = {}
    for representative in link._shape_groups().values():
        groups[representative] = groups.get(representative, 0) + 1
    assert max(groups.values()) <= link._GROUP_LIMIT


def test_name_features_unify_writing_variants():
    plain = link.name_features("张卫东")
    assert link.name_features("張衛東") == plain  # traditional
    assert link.name_features("张 卫东").text == "张卫东"
    dotted = link.name_features("艾力·买买提")
    assert link.name_features("艾力买买提").text == dotted.text == "艾力买买提"
    assert link.name_features("艾力.买买提").text == dotted.text
    assert link.name_features("买买提·艾力").sorted == dotted.sorted
    assert link.name_features("张伟东").pinyin == plain.pinyin
    assert link.name_features("王芳").shape == link.name_features("玉芳").shape


def _table(**columns):
    return pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()})


def test_prepare_reports_bad_values_with_row_and_column_and_keeps_the_record():
    table = _table(
        no=["a", "b", "c"],
        姓名=["张卫东", "", "李强"],
        性别=["男", "男", "不详"],
        出生=["1976-05-12", "1980", "1970-02-30"],
        身份证=[None, None, "110101197001010016"],
    )
    roles = {
        "id": "no",
        "name": "姓名",
        "gender": "性别",
        "birth_date": "出生",
        "id_number": "身份证",
    }
    prepared, problems = link.prepare(table, roles, on=DAY)
    assert prepared.column("unique_id").to_pylist() == ["a", "c"]
    where = [(p.row, p.role, p.column) for p in problems]
    assert (2, "name", "姓名") in where
    assert (3, "gender", "性别") in where
    assert (3, "birth_date", "出生") in where
    text = str(next(p for p in problems if p.role == "birth_date"))
    assert "row 3" in text and "出生" in text
    third = prepared.to_pylist()[1]
    # The unreadable birth date comes from the ID number; the gender too.
    assert (third["birth_year"], third["birth_date"], third["gender"]) == (1970, "1970-01-01", "m")


def test_prepare_refuses_unknown_roles_missing_columns_and_repeated_ids():
    table = _table(no=["1", "1"], 姓名=["甲乙", "丙丁"])
    with pytest.raises(link.LinkError, match="unknown roles colour"):
        link.prepare(table, {"name": "姓名", "colour": "no"}, on=DAY)
    with pytest.raises(link.LinkError, match="'name'"):
        link.prepare(table, {"id": "no"}, on=DAY)
    with pytest.raises(link.LinkError, match="no column '住址'"):
        link.prepare(table, {"name": "姓名", "address": "住址"}, on=DAY)
    with pytest.raises(link.LinkError, match="'1' is used twice"):
        link.prepare(table, {"id": "no", "name": "姓名"}, on=DAY)


def test_ages_become_approximate_birth_years():
    prepared, _ = link.prepare(
        _table(n=["张卫东"], a=["约五十岁"]), {"name": "n", "age": "a"}, on=DAY
    )
    row = prepared.to_pylist()[0]
    assert (row["birth_year"], row["birth_year_approx"]) == (None, 1976)


REGISTRY = _table(
    id=["p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"],
    name=["张卫东", "张卫东", "张伟东", "李强", "王芳", "艾力·买买提", "欧阳明", "赵天"],
    birth=[
        "1976-05-12",
        "1996-01-01",
        "1975-03-03",
        "1970-07-07",
        "1982-09-09",
        "1990-03-03",
        "1966-06-06",
        "1988-08-08",
    ],
    address=[
        "演示县城关镇东风村三组12号",
        "演示县城关镇东风村五组3号",
        "演示县河西乡柳树村",
        "演示县城关镇红星村",
        "演示县河西乡柳树村",
        "演示县城关镇新华社区",
        "演示县河西乡柳树村",
        "演示县城关镇红星村",
    ],
)
REGISTRY_ROLES = {"id": "id", "name": "name", "birth_date": "birth", "address": "address"}


def _prepared(table, roles):
    prepared, problems = link.prepare(table, roles, on=DAY)
    assert problems == []
    return prepared


def test_each_kind_of_variant_reaches_its_level():
    roster = _table(
        id=["r1", "r2", "r3", "r4", "r5", "r6", "r7"],
        name=["張衛東", "李 強", "玉芳", "艾力买买提", "明欧阳", "赵夫", "张维东"],
        birth=["1976年5月", "1970", "1982-09-09", "1990-03-03", "1966.06", "1988-08-08", None],
        address=[
            "城关镇",
            "城关镇红星村",
            "河西乡柳树村",
            "城关镇",
            "河西乡",
            "城关镇红星村",
            "河西乡",
        ],
        age=[None, None, None, None, None, None, "五十岁左右"],
    )
    roles = {**REGISTRY_ROLES, "age": "age"}
    result = link.run(
        _prepared(REGISTRY, REGISTRY_ROLES),
        _prepared(roster, roles),
        thresholds=link.Thresholds(0.9, 0.0001),
        model=link.default_model(),
    )
    best: dict[str, dict] = {}
    for row in result.pairs.to_pylist():
        best.setdefault(row["right_id"], row)
    assert {r: best[r]["left_id"] for r in best} == {
        "r1": "p1",
        "r2": "p4",
        "r3": "p5",
        "r4": "p6",
        "r5": "p7",
        "r6": "p8",
        "r7": "p3",
    }
    assert (best["r1"]["name"], best["r1"]["birth"], best["r1"]["address"]) == (
        "exact",
        "month",
        "township",
    )
    assert (best["r2"]["birth"], best["r2"]["address"]) == ("year", "village")
    assert best["r3"]["name"] == "similar_shape"
    assert best["r4"]["name"] == "exact"  # the minority dot left out
    assert (best["r5"]["name"], best["r5"]["birth"]) == ("reordered", "month")
    assert best["r6"]["name"] == "similar_shape"
    assert (best["r7"]["name"], best["r7"]["birth"]) == ("homophone", "about")
    assert best["r1"]["reasons"] == "name=exact; birth=month; address=township"
    # One to one: a record links once; a pair above the threshold that shares a record
    # with a better link goes to review (here the namesakes and the homophones).
    links = [r for r in result.pairs.to_pylist() if r["band"] == "match"]
    assert len({r["left_id"] for r in links}) == len({r["right_id"] for r in links}) == len(links)
    for row in result.pairs.to_pylist():
        expected = link.Thresholds(0.9, 0.0001).band(row["match_probability"])
        if row["band"] != expected:
            assert (expected, row["band"]) == ("match", "review")
            assert any(
                r["left_id"] == row["left_id"] or r["right_id"] == row["right_id"] for r in links
            )


def test_candidates_for_a_clue_name_rank_the_right_person_first():
    clue = _table(id=["s"], name=["张卫东"], township=["城关镇"], age=["约五十岁"])
    query = _prepared(clue, {"id": "id", "name": "name", "township": "township", "age": "age"})
    found = link.candidates(query, _prepared(REGISTRY, REGISTRY_ROLES)).to_pylist()
    assert [r["left_id"] for r in found[:3]] == ["p1", "p2", "p3"]
    assert (found[0]["name"], found[0]["birth"], found[0]["address"]) == (
        "exact",
        "about",
        "township",
    )
    assert found[1]["birth"] == "differ"  # the namesake is thirty
    assert found[0]["match_probability"] > found[1]["match_probability"]
    assert found[1]["match_probability"] > found[2]["match_probability"]
    empty = link.candidates(query.slice(0, 0), _prepared(REGISTRY, REGISTRY_ROLES))
    assert empty.num_rows == 0 and "reasons" in empty.column_names
    stranger = _prepared(_table(id=["s"], name=["司马光"]), {"id": "id", "name": "name"})
    assert link.candidates(stranger, _prepared(REGISTRY, REGISTRY_ROLES)).num_rows == 0


def test_duplicates_within_one_table():
    table = pa.concat_tables(
        [
            REGISTRY,
            _table(id=["p9"], name=["張衛東"], birth=["1976-05-12"], address=["城关镇东风村"]),
        ]
    )
    result = link.run(
        _prepared(table, REGISTRY_ROLES),
        None,
        thresholds=link.Thresholds(0.9, 0.5),
        model=link.default_model(),
    )
    pairs = {
        (r["left_id"], r["right_id"]) for r in result.pairs.to_pylist() if r["band"] == "match"
    }
    assert pairs == {("p1", "p9")}


def test_thresholds_are_checked():
    with pytest.raises(link.LinkError):
        link.Thresholds(match=0.5, review=0.9)
    assert link.Thresholds(0.9, 0.5).band(0.95) == "match"
    assert link.Thresholds(0.9, 0.5).band(0.9) == "match"
    assert link.Thresholds(0.9, 0.5).band(0.6) == "review"
    assert link.Thresholds(0.9, 0.5).band(0.2) == "non_match"


def test_score_gives_given_pairs_what_run_gives_them_and_scores_unblocked_ones():
    registry = _prepared(REGISTRY, REGISTRY_ROLES)
    roster = _prepared(
        _table(id=["r1", "r2"], name=["張衛東", "赵天"], birth=["1976年5月", "1988-08-08"]),
        {"id": "id", "name": "name", "birth_date": "birth"},
    )
    thresholds = link.Thresholds(0.9, 0.0001)
    model = link.default_model()
    ran = {
        (r["left_id"], r["right_id"]): r
        for r in link.run(registry, roster, thresholds=thresholds, model=model).pairs.to_pylist()
    }
    # p6 and r1 share nothing a blocking rule looks at: run never compares them.
    assert ("p6", "r1") not in ran
    wanted = [("p1", "r1"), ("p8", "r2"), ("p6", "r1")]
    # The prior as run set it from the sizes (a run's stored model already holds it).
    scored = link.score(
        registry, roster, wanted, model=model, thresholds=thresholds, adapt_prior=True
    )
    rows = {(r["left_id"], r["right_id"]): r for r in scored.to_pylist()}
    assert set(rows) == set(wanted)  # best first, as from run
    fields = ["match_probability", "match_weight", "name", "birth", "address", "band", "reasons"]
    for pair in wanted[:2]:
        assert {k: rows[pair][k] for k in fields} == {k: ran[pair][k] for k in fields}
    assert rows["p6", "r1"]["name"] == "differ" and rows["p6", "r1"]["band"] == "non_match"
    with pytest.raises(link.LinkError, match="no record"):
        link.score(registry, roster, [("p1", "r9")], model=model)
    assert link.score(registry, roster, [], model=model).num_rows == 0


def test_search_file_keeps_what_blocked_keeps(tmp_path):
    import pyarrow.parquet as pq

    registry = _prepared(
        _table(
            id=[*REGISTRY.column("id").to_pylist(), "p9"],
            name=[*REGISTRY.column("name").to_pylist(), "张卫东"],
            number=[None] * 8 + ["110101197605120013"],
        ),
        {"id": "id", "name": "name", "id_number": "number"},
    )
    path = tmp_path / "features.parquet"
    pq.write_table(registry, path)
    query = _prepared(_table(id=["q"], name=["張衛東"]), {"id": "id", "name": "name"})
    kept, counted = link.search_file(query, path)
    expected = registry.filter(link.blocked(query, registry))
    assert kept.column("unique_id").to_pylist() == expected.column("unique_id").to_pylist()
    assert kept.schema == registry.schema and counted.num_rows == registry.num_rows
    assert set(kept.column("unique_id").to_pylist()) == {"p1", "p2", "p3", "p9"}
    # Records whose ID number is already known elsewhere are left out of both.
    kept, counted = link.search_file(query, path, without_id_numbers=["110101197605120013"])
    assert "p9" not in kept.column("unique_id").to_pylist() and counted.num_rows == 8
    # A query no rule applies to (no name features) keeps nothing.
    nameless = query.set_column(2, "name_pinyin", pa.array([None], pa.string()))
    rules = (("name_pinyin",),)
    assert link.search_file(nameless, path, rules=rules)[0].num_rows == 0
