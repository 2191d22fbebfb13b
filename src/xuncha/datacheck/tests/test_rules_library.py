"""The shipped comparison rules on hand-made cases (issue #8, 大数据比对).

Each rule has a case that must hit (the exact key, subjects, organisation, evidence rows
and both explanations) and near misses that must not; some show that a parameter changes
the result. All people, places and companies are fictional.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pyarrow as pa
import pytest

from xuncha.core.lib import idnumber
from xuncha.datacheck.lib import rules
from xuncha.datacheck.lib.rules import Engine, Hit, table

LIBRARY = {spec.code: spec for spec in rules.builtin_rules()}


def pid(sequence: int, birth: dt.date = dt.date(1958, 4, 1)) -> str:
    return idnumber.make("330521", birth, sequence)


A, B, C, D, E, F, G, H = (pid(n) for n in range(101, 109))


def run(
    code: str,
    tables: dict[str, pa.Table],
    kinship: pa.Table | None = None,
    **params: Any,
) -> list[Hit]:
    with Engine(tables, kinship=kinship, threads=1) as engine:
        spec = LIBRARY[code]
        engine.check(spec)
        return engine.run(spec, params)


def zh(code: str, hit: Hit) -> str:
    return rules.explain(LIBRARY[code].explain_zh, hit.facts, hit.subjects, hit.organisation)


def en(code: str, hit: Hit) -> str:
    return rules.explain(LIBRARY[code].explain_en, hit.facts, hit.subjects, hit.organisation)


def pay(
    id_number: str,
    name: str,
    period: str,
    amount: int = 500,
    benefit_type: str = "低保",
    **more: Any,
) -> dict[str, Any]:
    row = {
        "id_number": id_number,
        "name": name,
        "benefit_type": benefit_type,
        "period": period,
        "amount": amount,
        "township": "青溪镇",
        "village": "东岭村",
    }
    return row | more


def test_the_library_has_the_ten_rules_of_the_contract() -> None:
    assert list(LIBRARY) == [
        "payroll_on_benefits",
        "paid_after_death",
        "double_benefit",
        "recipient_vehicle",
        "recipient_business",
        "recipient_real_estate",
        "cadre_kin_benefit",
        "childless_with_children",
        "tender_king",
        "tender_kin_of_officials",
        "roster_after_death",  # issue #9: on the ID numbers record linkage found
    ]
    for spec in LIBRARY.values():
        assert spec.name_zh and spec.name_en and spec.description_zh and spec.description_en
    assert LIBRARY["paid_after_death"].defaults() == {
        "grace_months": 1,
        "excluded_types": "丧葬|抚恤",
    }
    assert LIBRARY["recipient_real_estate"].defaults() == {
        "benefit_types": "低保|特困|五保",
        "max_properties": 1,
        "max_area": 150.0,
    }
    assert LIBRARY["tender_king"].defaults() == {
        "min_share": 0.3,
        "min_count": 3,
        "whole_dataset": 0,
    }


def test_every_rule_runs_on_empty_datasets() -> None:
    with Engine({}) as engine:
        for spec in LIBRARY.values():
            engine.check(spec)
            assert engine.run(spec) == []
            assert engine.missing(spec) == list(spec.kinds)


# --------------------------------------------------------------------------- 1


def test_payroll_on_benefits() -> None:
    tables = {
        "payroll": table(
            "payroll",
            [
                {"id_number": A, "name": "甲某一", "organisation": "县水利局"},
                {"id_number": B, "name": "乙某二", "organisation": "县林业站"},
            ],
        ),
        "benefit": table(
            "benefit",
            [
                pay(A, "甲某一", "2024-01"),
                pay(A, "甲某一", "2024-02"),
                pay(C, "丙某三", "2024-01"),  # not on the payroll
                pay(B, "乙某二", "2024-01", 120, "耕地地力保护补贴"),  # not assistance
            ],
        ),
    }
    [hit] = run("payroll_on_benefits", tables)
    assert hit == Hit(
        "payroll_on_benefits",
        f"{A}|低保",
        ((A, "甲某一"),),
        "青溪镇 东岭村",
        (("payroll", 2), ("benefit", 2), ("benefit", 3)),
        {
            "benefit_type": "低保",
            "employer": "县水利局",
            "payments": 2,
            "total": "1000.00",
            "first_period": "2024-01",
            "last_period": "2024-02",
        },
    )
    assert zh("payroll_on_benefits", hit) == (
        f"甲某一（{A}）系财政供养人员（县水利局），同时领取低保2笔，合计1000.00元"
        "（2024-01至2024-02）。"
    )
    assert en("payroll_on_benefits", hit) == (
        f"甲某一 ({A}) is on the public payroll (县水利局) and received 低保 in 2 payment(s),"
        " 1000.00 yuan in total (2024-01 to 2024-02)."
    )
    json.dumps(hit.facts)
    # Widening the benefit types finds the farm subsidy too.
    wider = run("payroll_on_benefits", tables, benefit_types="低保|耕地")
    assert [h.key for h in wider] == [f"{A}|低保", f"{B}|耕地地力保护补贴"]


# --------------------------------------------------------------------------- 2


def _deaths() -> dict[str, pa.Table]:
    return {
        "death": table(
            "death",
            [
                {"id_number": A, "name": "甲某一", "death_date": "2024-03-15"},
                {"id_number": B, "name": "乙某二", "death_date": "2024-06-10"},
                {"id_number": C, "name": "丙某三", "death_date": "2024-05-20"},
            ],
        ),
        "benefit": table(
            "benefit",
            [
                pay(A, "甲某一", "2024-03"),
                pay(A, "甲某一", "2024-04"),
                pay(A, "甲某一", "2024-05"),
                pay(A, "甲某一", "2024-06", 520),
                pay(A, "甲某一", "2024-05", 3000, "丧葬补助"),  # paid because of the death
                pay(B, "乙某二", "2024-06"),  # the month of death
                pay(C, "丙某三", "2024-06"),  # within the grace month
            ],
        ),
    }


def test_paid_after_death() -> None:
    [hit] = run("paid_after_death", _deaths())
    assert hit == Hit(
        "paid_after_death",
        f"{A}|低保",
        ((A, "甲某一"),),
        "青溪镇 东岭村",
        (("death", 2), ("benefit", 4), ("benefit", 5)),
        {
            "benefit_type": "低保",
            "death_date": "2024-03-15",
            "periods": 2,
            "payments": 2,
            "total": "1020.00",
            "first_period": "2024-05",
            "last_period": "2024-06",
            "grace_months": 1,
        },
    )
    assert zh("paid_after_death", hit) == (
        f"甲某一（{A}）于2024-03-15死亡，此后仍领取低保2个月（2024-05至2024-06），合计1020.00元。"
    )
    assert en("paid_after_death", hit) == (
        f"甲某一 ({A}) died on 2024-03-15, yet 低保 was paid for 2 more month(s)"
        " (2024-05 to 2024-06), 1020.00 yuan in total."
    )


def test_paid_after_death_without_grace() -> None:
    hits = run("paid_after_death", _deaths(), grace_months=0)
    assert [(h.key, h.facts["periods"]) for h in hits] == [(f"{A}|低保", 3), (f"{C}|低保", 1)]
    assert hits[1].evidence == (("death", 4), ("benefit", 8))


# --------------------------------------------------------------------------- 3


def test_double_benefit() -> None:
    tables = {
        "benefit": table(
            "benefit",
            [
                pay(A, "甲某一", "2024-01", household="H001"),
                pay(A, "甲某一", "2024-02", household="H001"),
                pay(A, "甲某一", "2024-01", township="河口乡", village="西坪村", household="H900"),
                # two benefit types in one month: allowed
                pay(B, "乙某二", "2024-01"),
                pay(B, "乙某二", "2024-01", 300, "临时救助"),
                # the same payment listed twice in one household and village: not two places
                pay(C, "丙某三", "2024-01", household="H003"),
                pay(C, "丙某三", "2024-01", household="H003"),
                # two households in one village
                pay(D, "丁某四", "2024-03", household="H004"),
                pay(D, "丁某四", "2024-03", household="H005"),
            ],
        )
    }
    first, second = run("double_benefit", tables)
    assert first == Hit(
        "double_benefit",
        f"{A}|低保",
        ((A, "甲某一"),),
        "河口乡 西坪村、青溪镇 东岭村",
        (("benefit", 2), ("benefit", 4)),
        {
            "benefit_type": "低保",
            "periods": 1,
            "payments": 2,
            "total": "1000.00",
            "places": "河口乡 西坪村、青溪镇 东岭村",
            "households": "H001、H900",
            "first_period": "2024-01",
            "last_period": "2024-01",
        },
    )
    assert zh("double_benefit", first) == (
        f"甲某一（{A}）同一月份重复领取低保：发放地河口乡 西坪村、青溪镇 东岭村，"
        "户号H001、H900，涉及1个月（2024-01至2024-01），2笔合计1000.00元。"
    )
    assert en("double_benefit", first) == (
        f"甲某一 ({A}) received 低保 twice for the same month:"
        " paid in 河口乡 西坪村、青溪镇 东岭村, households H001、H900;"
        " 1 month(s) (2024-01 to 2024-01), 2 payment(s), 1000.00 yuan in total."
    )
    assert (second.key, second.organisation, second.evidence) == (
        f"{D}|低保",
        "青溪镇 东岭村",
        (("benefit", 9), ("benefit", 10)),
    )
    # Temporary assistance is outside the default types; widened, it is still single.
    assert [h.key for h in run("double_benefit", tables, benefit_types="救助")] == []


# --------------------------------------------------------------------------- 4


def _vehicles() -> dict[str, pa.Table]:
    return {
        "vehicle": table(
            "vehicle",
            [
                {"id_number": A, "name": "甲某一", "plate": "浙E12345", "vehicle_type": "小型轿车"},
                {
                    "id_number": B,
                    "name": "乙某二",
                    "plate": "浙E6789X",
                    "vehicle_type": "普通二轮摩托车",
                },
                {"id_number": C, "name": "丙某三", "plate": "浙E00001", "vehicle_type": "小型轿车"},
            ],
        ),
        "benefit": table(
            "benefit",
            [
                pay(A, "甲某一", "2024-01", 600, "特困供养"),
                pay(B, "乙某二", "2024-01"),
                pay(C, "丙某三", "2024-01", 800, "危房改造补助"),  # not assistance
            ],
        ),
    }


def test_recipient_vehicle() -> None:
    [hit] = run("recipient_vehicle", _vehicles())
    assert hit == Hit(
        "recipient_vehicle",
        f"{A}|特困供养",
        ((A, "甲某一"),),
        "青溪镇 东岭村",
        (("benefit", 2), ("vehicle", 2)),
        {
            "benefit_type": "特困供养",
            "vehicles": "浙E12345（小型轿车）",
            "vehicle_count": 1,
            "payments": 1,
            "total": "600.00",
            "first_period": "2024-01",
            "last_period": "2024-01",
        },
    )
    assert zh("recipient_vehicle", hit) == (
        f"甲某一（{A}）领取特困供养（2024-01至2024-01，1笔合计600.00元），"
        "名下登记有车辆1辆：浙E12345（小型轿车）。"
    )
    assert en("recipient_vehicle", hit) == (
        f"甲某一 ({A}) received 特困供养 (2024-01 to 2024-01, 1 payment(s), 600.00 yuan)"
        " and has 1 vehicle(s) registered: 浙E12345（小型轿车）."
    )
    # Counting motorbikes (and no longer cars) turns the result around.
    hits = run("recipient_vehicle", _vehicles(), excluded_vehicle_types="轿车")
    assert [h.key for h in hits] == [f"{B}|低保"]


# --------------------------------------------------------------------------- 5


def test_recipient_business() -> None:
    tables = {
        "business": table(
            "business",
            [
                {
                    "company": "青溪镇某某农资经营部",
                    "credit_code": "92330521MA2ABCDE1X",
                    "legal_rep": "甲某一",
                    "legal_rep_id": A,
                },
                {
                    "company": "某某建材有限公司",
                    "credit_code": "91330521MA2FGHIJ2Y",
                    "legal_rep": "戊某五",
                    "legal_rep_id": E,
                    "shareholder": "甲某一",
                    "shareholder_id": A,
                },
                {
                    "company": "某某建材有限公司",
                    "credit_code": "91330521MA2FGHIJ2Y",
                    "legal_rep": "戊某五",
                    "legal_rep_id": E,
                    "shareholder": "乙某二",
                    "shareholder_id": B,
                },
            ],
        ),
        "benefit": table(
            "benefit",
            [
                pay(A, "甲某一", "2024-02"),
                pay(B, "乙某二", "2024-02", 150, "耕地地力保护补贴"),  # not assistance
                pay(C, "丙某三", "2024-02"),  # no business
            ],
        ),
    }
    [hit] = run("recipient_business", tables)
    assert hit == Hit(
        "recipient_business",
        f"{A}|低保",
        ((A, "甲某一"),),
        "青溪镇 东岭村",
        (("benefit", 2), ("business", 2), ("business", 3)),
        {
            "benefit_type": "低保",
            "companies_zh": "某某建材有限公司（股东）、青溪镇某某农资经营部（法定代表人）",
            "companies_en": "某某建材有限公司 (shareholder),"
            " 青溪镇某某农资经营部 (legal representative)",
            "company_count": 2,
            "payments": 1,
            "total": "500.00",
            "first_period": "2024-02",
            "last_period": "2024-02",
        },
    )
    assert zh("recipient_business", hit) == (
        f"甲某一（{A}）领取低保（2024-02至2024-02，1笔合计500.00元），同时登记为市场主体的"
        "法定代表人或股东：某某建材有限公司（股东）、青溪镇某某农资经营部（法定代表人）。"
    )
    assert en("recipient_business", hit) == (
        f"甲某一 ({A}) received 低保 (2024-02 to 2024-02, 1 payment(s), 500.00 yuan) and is"
        " registered in 2 business(es): 某某建材有限公司 (shareholder),"
        " 青溪镇某某农资经营部 (legal representative)."
    )


# --------------------------------------------------------------------------- 6


def _estates() -> dict[str, pa.Table]:
    return {
        "real_estate": table(
            "real_estate",
            [
                {"id_number": A, "name": "甲某一", "property": "青溪镇东岭村3号", "area": 60},
                {"id_number": A, "name": "甲某一", "property": "县城花园路8号502室", "area": 70.5},
                {"id_number": B, "name": "乙某二", "property": "青溪镇东岭村9号", "area": 90},
                {"id_number": C, "name": "丙某三", "property": "青溪镇东岭村12号", "area": 180},
            ],
        ),
        "benefit": table(
            "benefit",
            [pay(A, "甲某一", "2024-01"), pay(B, "乙某二", "2024-01"), pay(C, "丙某三", "2024-01")],
        ),
    }


def test_recipient_real_estate() -> None:
    two, big = run("recipient_real_estate", _estates())
    assert two == Hit(
        "recipient_real_estate",
        f"{A}|低保",
        ((A, "甲某一"),),
        "青溪镇 东岭村",
        (("benefit", 2), ("real_estate", 2), ("real_estate", 3)),
        {
            "benefit_type": "低保",
            "properties": 2,
            "total_area": 130.5,
            "property_list": "县城花园路8号502室、青溪镇东岭村3号",
            "max_properties": 1,
            "max_area": 150.0,
            "payments": 1,
            "total": "500.00",
            "first_period": "2024-01",
            "last_period": "2024-01",
        },
    )
    assert zh("recipient_real_estate", two) == (
        f"甲某一（{A}）领取低保（2024-01至2024-01，1笔合计500.00元），名下有房产2套、"
        "建筑面积合计130.5平方米（限1套、150平方米）：县城花园路8号502室、青溪镇东岭村3号。"
    )
    assert en("recipient_real_estate", two) == (
        f"甲某一 ({A}) received 低保 (2024-01 to 2024-01, 1 payment(s), 500.00 yuan) and owns"
        " 2 properties with 130.5 m² in total (allowed: 1, 150 m²):"
        " 县城花园路8号502室、青溪镇东岭村3号."
    )
    assert (big.key, big.facts["properties"], big.facts["total_area"]) == (f"{C}|低保", 1, 180.0)
    # One property of 90 m² is within the limits; allowing two properties and 200 m² clears
    # the first two, lowering the area to 80 m² catches the 90 m² one.
    assert run("recipient_real_estate", _estates(), max_properties=2, max_area=200) == []
    assert [h.key for h in run("recipient_real_estate", _estates(), max_area="80")] == [
        f"{A}|低保",
        f"{B}|低保",
        f"{C}|低保",
    ]


# --------------------------------------------------------------------------- 7


def test_cadre_kin_benefit() -> None:
    tables = {
        "village_cadre": table(
            "village_cadre",
            [
                {
                    "id_number": E,
                    "name": "戊某五",
                    "township": "青溪镇",
                    "village": "东岭村",
                    "post": "村委会主任",
                },
                {
                    "id_number": F,
                    "name": "己某六",
                    "township": "青溪镇",
                    "village": "西坪村",
                    "post": "村党支部书记",
                },
            ],
        ),
        "household": table(
            "household",
            [
                {"household": "H100", "id_number": E, "name": "戊某五", "relation": "户主"},
                {"household": "H100", "id_number": A, "name": "甲某一", "relation": "妻"},
            ],
        ),
        "benefit": table(
            "benefit",
            [
                pay(A, "甲某一", "2024-01"),
                pay(B, "乙某二", "2024-01"),
                pay(C, "丙某三", "2024-01"),  # kin of the cadre of another village
                pay(D, "丁某四", "2024-01"),  # no relation
            ],
        ),
    }
    kinship = pa.table(
        {
            "id_a": [E, C],
            "id_b": [B, F],
            "relation": ["parent", "child"],  # the cadre is B's parent; C is F's child
        }
    )
    household, registry = run("cadre_kin_benefit", tables, kinship)
    assert household == Hit(
        "cadre_kin_benefit",
        f"{A}|低保",
        ((A, "甲某一"), (E, "戊某五")),
        "青溪镇 东岭村",
        (("benefit", 2), ("village_cadre", 2), ("household", 3), ("household", 2)),
        {
            "recipient": "甲某一",
            "recipient_id": A,
            "benefit_type": "低保",
            "payments": 1,
            "total": "500.00",
            "first_period": "2024-01",
            "last_period": "2024-01",
            "links_zh": "与本村村委会主任戊某五同户（妻/户主）",
            "links_en": "lives in the same household as 戊某五"
            " (村委会主任 of the same village; 妻/户主)",
        },
    )
    assert zh("cadre_kin_benefit", household) == (
        f"甲某一（{A}）领取低保（2024-01至2024-01，1笔合计500.00元），与本村村委会主任戊某五同户（妻/户主）。"
    )
    assert en("cadre_kin_benefit", household) == (
        f"甲某一 ({A}) received 低保 (2024-01 to 2024-01, 1 payment(s), 500.00 yuan) and lives in"
        " the same household as 戊某五 (村委会主任 of the same village; 妻/户主)."
    )
    assert (registry.key, registry.subjects, registry.evidence) == (
        f"{B}|低保",
        ((B, "乙某二"), (E, "戊某五")),
        (("benefit", 3), ("village_cadre", 2)),
    )
    assert zh("cadre_kin_benefit", registry) == (
        f"乙某二（{B}）领取低保（2024-01至2024-01，1笔合计500.00元），系本村村委会主任戊某五的子女。"
    )
    assert registry.facts["links_en"] == "is the child of 戊某五 (村委会主任 of the same village)"


# --------------------------------------------------------------------------- 8


def test_childless_with_children() -> None:
    tables = {
        "household": table(
            "household",
            [
                {"household": "H1", "id_number": A, "name": "甲某一", "relation": "户主"},
                {"household": "H1", "id_number": E, "name": "戊某五", "relation": "长子"},
                {"household": "H2", "id_number": B, "name": "乙某二", "relation": "户主"},
                {"household": "H2", "id_number": F, "name": "己某六", "relation": "孙子"},
                {"household": "H3", "id_number": G, "name": "庚某七", "relation": "户主"},
                {"household": "H3", "id_number": C, "name": "丙某三", "relation": "母亲"},
                {"household": "H4", "id_number": D, "name": "丁某四", "relation": "户主"},
                {"household": "H4", "id_number": H, "name": "辛某八", "relation": "女儿"},
            ],
        ),
        "benefit": table(
            "benefit",
            [
                pay(A, "甲某一", "2024-01", 700, "特困供养"),
                pay(B, "乙某二", "2024-01", 700, "特困供养"),  # a grandson only
                pay(C, "丙某三", "2024-01", 700, "农村五保"),
                pay(D, "丁某四", "2024-01"),  # 低保 does not require being childless
            ],
        ),
    }
    head, mother = run("childless_with_children", tables)
    assert head == Hit(
        "childless_with_children",
        f"{A}|特困供养",
        ((A, "甲某一"),),
        "青溪镇 东岭村",
        (("benefit", 2), ("household", 2), ("household", 3)),
        {
            "benefit_type": "特困供养",
            "relation": "户主",
            "children": "戊某五（长子）",
            "child_count": 1,
            "payments": 1,
            "total": "700.00",
            "first_period": "2024-01",
            "last_period": "2024-01",
        },
    )
    assert zh("childless_with_children", head) == (
        f"甲某一（{A}）领取特困供养（2024-01至2024-01，1笔合计700.00元），户籍中其为“户主”，"
        "同户登记有子女：戊某五（长子）。"
    )
    assert en("childless_with_children", head) == (
        f"甲某一 ({A}) received 特困供养 (2024-01 to 2024-01, 1 payment(s), 700.00 yuan), yet is"
        ' registered as "户主" in a household with children: 戊某五（长子）.'
    )
    assert (mother.key, mother.facts["relation"], mother.facts["children"], mother.evidence) == (
        f"{C}|农村五保",
        "母亲",
        "庚某七（户主）",
        (("benefit", 4), ("household", 7), ("household", 6)),
    )
    # With 低保 included, the head of H4 with a daughter is found as well.
    hits = run("childless_with_children", tables, benefit_types="特困|五保|低保")
    assert [h.key for h in hits] == [f"{A}|特困供养", f"{C}|农村五保", f"{D}|低保"]


@pytest.mark.parametrize(
    ("relation", "child"),
    [
        ("子", True),
        ("女", True),
        ("长子", True),
        ("次女", True),
        ("儿子", True),
        ("女儿", True),
        ("独生子", True),
        ("养子或继子", True),
        ("其他女儿", True),
        ("孙子", False),
        ("孙女", False),
        ("儿媳", False),
        ("女婿", False),
        ("侄子", False),
        ("外孙女", False),
        ("妻", False),
    ],
)
def test_the_child_relation_pattern(relation: str, child: bool) -> None:
    tables = {
        "household": table(
            "household",
            [
                {"household": "H1", "id_number": A, "name": "甲某一", "relation": "户主"},
                {"household": "H1", "id_number": B, "name": "乙某二", "relation": relation},
            ],
        ),
        "benefit": table("benefit", [pay(A, "甲某一", "2024-01", 700, "特困供养")]),
    }
    assert len(run("childless_with_children", tables)) == int(child)


# --------------------------------------------------------------------------- 9

CODE_X, CODE_Y, CODE_Z = "91330521MA2XXXXX1A", "91330521MA2YYYYY2B", "91330521MA2ZZZZZ3C"
CODE_W = "91330521MA2WWWWW4D"


def _tenders() -> dict[str, pa.Table]:
    def contract(project: str, company: str, code: str | None, amount: int, awarding: str) -> dict:
        return {
            "project": project,
            "company": company,
            "credit_code": code,
            "contract_date": "2024-05-01",
            "amount": amount,
            "awarding": awarding,
        }

    return {
        "tender": table(
            "tender",
            [
                contract("东岭村道路硬化", "某某路桥有限公司", CODE_X, 100000, "县交通局"),
                contract("西坪村桥梁维修", "某某路桥有限公司", None, 100000, "县交通局"),
                contract("河口乡道路养护", "某某路桥有限公司", CODE_X, 100000, "县交通局"),
                contract("县道标线", "某某交通设施有限公司", CODE_Y, 200000, "县交通局"),
                contract("山塘整治", "某某水利工程有限公司", CODE_Z, 60000, "县水利局"),
                contract("渠道清淤", "某某水利工程有限公司", CODE_Z, 90000, "县水利局"),
            ],
        )
    }


def test_tender_king() -> None:
    [hit] = run("tender_king", _tenders())
    assert hit == Hit(
        "tender_king",
        f"县交通局|{CODE_X}",
        ((CODE_X, "某某路桥有限公司"),),
        "县交通局",
        (("tender", 2), ("tender", 3), ("tender", 4)),
        {
            "company": "某某路桥有限公司",
            "contracts": 3,
            "amount": "300000.00",
            "group_contracts": 4,
            "group_amount": "500000.00",
            "share_pct": 60.0,
            "scope_zh": "县交通局",
            "scope_en": "县交通局",
        },
    )
    assert zh("tender_king", hit) == (
        "某某路桥有限公司中标县交通局的4个合同中的3个，金额300000.00元，占合同总额500000.00元的60%。"
    )
    assert en("tender_king", hit) == (
        "某某路桥有限公司 won 3 of the 4 contracts of 县交通局, 300000.00 of 500000.00 yuan (60%)."
    )
    # The water company has all of its organisation's amount but only 2 contracts.
    assert [h.key for h in run("tender_king", _tenders(), min_count=2)] == [
        f"县交通局|{CODE_X}",
        f"县水利局|{CODE_Z}",
    ]
    # Over all awarding organisations the road company has 300000 of 650000 (46.2%).
    [whole] = run("tender_king", _tenders(), whole_dataset=1)
    assert (whole.key, whole.organisation, whole.facts["share_pct"]) == (
        f"*|{CODE_X}",
        "县交通局",
        46.2,
    )
    assert "全部招标人的6个合同中的3个" in zh("tender_king", whole)
    assert run("tender_king", _tenders(), whole_dataset=1, min_share=0.5) == []


# --------------------------------------------------------------------------- 10


def test_tender_kin_of_officials() -> None:
    garden = {
        "_row": 8,
        "project": "东岭村绿化",
        "company": "某某园林有限公司",  # no credit code in the tender list
        "contract_date": "2024-06-01",
        "amount": 50000,
        "awarding": "县交通局",
    }
    tables = _tenders()
    tables["tender"] = pa.concat_tables([tables["tender"], table("tender", [garden])])
    tables |= {
        "business": table(
            "business",
            [
                {
                    "company": "某某路桥有限公司",
                    "credit_code": CODE_X,
                    "legal_rep": "甲某一",
                    "legal_rep_id": A,
                },
                # no credit code in the register: matched by name
                {
                    "company": "某某交通设施有限公司",
                    "legal_rep": "乙某二",
                    "legal_rep_id": B,
                    "shareholder": "丙某三",
                    "shareholder_id": C,
                },
                {
                    "company": "某某水利工程有限公司",
                    "credit_code": CODE_Z,
                    "legal_rep": "丁某四",
                    "legal_rep_id": D,
                },
                {
                    "company": "某某园林有限公司",
                    "credit_code": CODE_W,
                    "legal_rep": "庚某七",
                    "legal_rep_id": G,
                },
            ],
        ),
        "household": table(
            "household",
            [
                {"household": "H7", "id_number": E, "name": "戊某五", "relation": "户主"},
                {"household": "H7", "id_number": G, "name": "庚某七", "relation": "女婿"},
            ],
        ),
        "leading_cadre": table(
            "leading_cadre",
            [
                {"id_number": E, "name": "戊某五", "organisation": "县交通局", "post": "局长"},
                {"id_number": F, "name": "己某六", "organisation": "县财政局", "post": "副局长"},
            ],
        ),
        "payroll": table(
            "payroll",
            [{"id_number": C, "name": "丙某三", "organisation": "县交通局", "post": "科员"}],
        ),
    }
    # A is E's spouse; D (water company) is the kin of F, who is not of the water bureau.
    kinship = pa.table({"id_a": [A, D], "id_b": [E, F], "relation": ["spouse", "sibling"]})
    road, signs, garden_hit = run("tender_kin_of_officials", tables, kinship)
    # Matched to the register by name, the company gets the register's credit code.
    assert garden_hit == Hit(
        "tender_kin_of_officials",
        "县交通局|某某园林有限公司",
        ((CODE_W, "某某园林有限公司"), (G, "庚某七"), (E, "戊某五")),
        "县交通局",
        (("tender", 8), ("business", 5), ("leading_cadre", 2), ("household", 3), ("household", 2)),
        {
            "company": "某某园林有限公司",
            "contracts": 1,
            "amount": "50000.00",
            "links_zh": "法定代表人庚某七与该单位局长戊某五同户（女婿/户主）",
            "links_en": "legal representative 庚某七 lives in the same household as 戊某五"
            " (局长 of the awarding organisation; 女婿/户主)",
        },
    )
    assert road == Hit(
        "tender_kin_of_officials",
        f"县交通局|{CODE_X}",
        ((CODE_X, "某某路桥有限公司"), (A, "甲某一"), (E, "戊某五")),
        "县交通局",
        (
            ("tender", 2),
            ("tender", 3),
            ("tender", 4),
            ("business", 2),
            ("leading_cadre", 2),
        ),
        {
            "company": "某某路桥有限公司",
            "contracts": 3,
            "amount": "300000.00",
            "links_zh": "法定代表人甲某一系该单位局长戊某五的配偶",
            "links_en": "legal representative 甲某一 is the spouse of 戊某五"
            " (局长 of the awarding organisation)",
        },
    )
    assert zh("tender_kin_of_officials", road) == (
        "某某路桥有限公司中标县交通局合同3个，金额300000.00元；其法定代表人甲某一系该单位局长戊某五的配偶。"
    )
    assert en("tender_kin_of_officials", road) == (
        "某某路桥有限公司 won 3 contract(s) of 县交通局 worth 300000.00 yuan; its legal"
        " representative 甲某一 is the spouse of 戊某五 (局长 of the awarding organisation)."
    )
    assert signs == Hit(
        "tender_kin_of_officials",
        f"县交通局|{CODE_Y}",
        ((CODE_Y, "某某交通设施有限公司"), (C, "丙某三")),
        "县交通局",
        (("tender", 5), ("business", 3), ("payroll", 2)),
        {
            "company": "某某交通设施有限公司",
            "contracts": 1,
            "amount": "200000.00",
            "links_zh": "股东丙某三即该单位科员本人",
            "links_en": "shareholder 丙某三 is 科员 of the awarding organisation",
        },
    )
