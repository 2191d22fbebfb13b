"""The rule engine: rule files, parameters, the sandbox for office-written SQL, hits and
their explanations (issue #8, 大数据比对). All data is fictional."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from xuncha.core.lib import idnumber
from xuncha.datacheck.lib import rules
from xuncha.datacheck.lib.rules import Engine, Hit, Param, RuleError, RuleSpec, table

A = idnumber.make("330521", dt.date(1960, 2, 3), 11)
B = idnumber.make("330521", dt.date(1962, 7, 9), 22)
C = idnumber.make("330521", dt.date(1988, 1, 30), 33)

GOOD_SQL = """
SELECT id_number || '|' || benefit_type AS key,
       [{'id': id_number, 'name': name}] AS subjects,
       township AS organisation,
       [{'kind': 'benefit', 'row': _row}] AS evidence,
       amount
FROM benefit
WHERE amount >= $min_amount
"""


def rule_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "big_payment",
        "name_zh": "大额发放",
        "name_en": "Large payment",
        "description_zh": "单笔发放金额达到下限。",
        "description_en": "A single payment of at least the minimum amount.",
        "kinds": ["benefit"],
        "params": [
            {
                "name": "min_amount",
                "type": "number",
                "default": 1000,
                "label_zh": "金额下限",
                "label_en": "Minimum amount",
            }
        ],
        "sql": GOOD_SQL,
        "explain_zh": "{name}（{id_number}）单笔领取{amount}元。",
        "explain_en": "{name} ({id_number}) received {amount} yuan at once.",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def spec_with_sql(sql: str, **changes: Any) -> RuleSpec:
    """A spec that did not go through parse_rule: the engine must refuse on its own."""
    return RuleSpec(**{**rules.parse_rule(rule_data()).__dict__, "sql": sql, **changes})


def benefits() -> pa.Table:
    return table(
        "benefit",
        [
            {
                "id_number": A,
                "name": "甲某一",
                "benefit_type": "低保",
                "period": "2024-01",
                "amount": 1200,
                "township": "青溪镇",
            },
            {
                "id_number": B,
                "name": "乙某二",
                "benefit_type": "低保",
                "period": "2024-01",
                "amount": "800.5",
                "township": "河口乡",
            },
        ],
    )


@pytest.fixture
def engine() -> Any:
    with Engine({"benefit": benefits()}, threads=1) as e:
        yield e


# --------------------------------------------------------------------------- parse_rule


def test_parse_rule_keeps_everything() -> None:
    spec = rules.parse_rule(rule_data())
    assert spec.code == "big_payment"
    assert spec.kinds == ("benefit",)
    assert spec.params == (Param("min_amount", "number", 1000.0, "金额下限", "Minimum amount"),)
    assert spec.defaults() == {"min_amount": 1000.0}
    assert spec.sql == GOOD_SQL.strip()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"code": "Big Payment"}, "rule code must be lower-case"),
        ({"name_zh": ""}, "rule big_payment: name_zh must be a non-empty text"),
        ({"explain_cn": "x"}, "unknown key(s) explain_cn"),
        ({"kinds": ["benefit", "pension"]}, "unknown dataset kind(s) pension"),
        ({"kinds": []}, "kinds must be a non-empty list"),
        ({"params": {"min_amount": 1}}, "params must be a list"),
        (
            {
                "params": [
                    {
                        "name": "min_amount",
                        "type": "float",
                        "default": 1,
                        "label_zh": "x",
                        "label_en": "x",
                    }
                ]
            },
            "type must be one of int, number, text, regex, not 'float'",
        ),
        (
            {
                "params": [
                    {
                        "name": "min_amount",
                        "type": "int",
                        "default": 1.5,
                        "label_zh": "x",
                        "label_en": "x",
                    }
                ]
            },
            "parameter min_amount: 1.5 is not a whole number",
        ),
        (
            {
                "params": [
                    {
                        "name": "min-amount",
                        "type": "int",
                        "default": 1,
                        "label_zh": "x",
                        "label_en": "x",
                    }
                ]
            },
            "name must be an identifier",
        ),
        (
            {"params": [{"name": "min_amount", "type": "int", "label_zh": "x", "label_en": "x"}]},
            "parameter min_amount: a default is required",
        ),
        (
            {
                "params": [
                    {
                        "name": "p",
                        "type": "regex",
                        "default": "(低保",
                        "label_zh": "x",
                        "label_en": "x",
                    }
                ]
            },
            "parameter p: '(低保' is not a valid pattern",
        ),
        ({"params": []}, "the SQL uses $min_amount but the rule declares no such parameter"),
        ({"sql": "SELECT ? AS key"}, "positional parameters"),
        ({"sql": "SELEC 1"}, "the SQL does not parse"),
        ({"sql": "SELECT 1 AS key; SELECT 2 AS key"}, "exactly one SELECT statement, not 2"),
        ({"sql": "DELETE FROM benefit"}, "must be a SELECT statement, not DELETE"),
        ({"sql": "INSERT INTO benefit (_row) VALUES (1)"}, "not INSERT"),
        ({"sql": "CREATE TABLE x AS SELECT 1"}, "not CREATE"),
        ({"explain_zh": "{name.__class__}"}, "placeholder {name.__class__} must be a plain"),
        ({"explain_en": "{amount:>10}"}, "placeholder {amount:>10} must be a plain"),
        ({"explain_en": "{amount!r}"}, "placeholder {amount!r} must be a plain"),
        ({"explain_en": "a { b"}, "explain_en: expected '}' before end of string"),
        ({"explain_en": "a } b"}, "explain_en: Single '}' encountered"),
    ],
)
def test_parse_rule_refuses(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(RuleError) as exc:
        rules.parse_rule(rule_data(**changes))
    assert message in str(exc.value)


def test_a_template_naming_an_unknown_column_parses_but_check_refuses(
    engine: Engine,
) -> None:
    spec = rules.parse_rule(rule_data(explain_en="{name} got {amount} for {benefit_type}"))
    with pytest.raises(RuleError) as exc:
        engine.check(spec)
    assert str(exc.value).startswith(
        "rule big_payment, explain_en: {benefit_type} is not an output column of the SQL"
    )
    engine.check(rules.parse_rule(rule_data(explain_en="{name} {organisation} {{literal}}")))


def test_literal_braces_render() -> None:
    assert rules.explain("{{x}} {name}", {}, [(A, "甲某一")], "") == "{x} 甲某一"


# --------------------------------------------------------------------------- files


def test_load_rules_from_a_file_and_a_directory(tmp_path: Path) -> None:
    import yaml

    first = tmp_path / "a.yaml"
    first.write_text(yaml.safe_dump([rule_data()], allow_unicode=True), "utf-8")
    (tmp_path / "b.yaml").write_text(
        yaml.safe_dump([rule_data(code="other_rule")], allow_unicode=True), "utf-8"
    )
    (tmp_path / "notes.txt").write_text("not a rule", "utf-8")
    assert [s.code for s in rules.load_rules(first)] == ["big_payment"]
    assert [s.code for s in rules.load_rules(tmp_path)] == ["big_payment", "other_rule"]
    (tmp_path / "c.yaml").write_text(yaml.safe_dump([rule_data()], allow_unicode=True), "utf-8")
    with pytest.raises(RuleError, match="rule code\\(s\\) used twice: big_payment"):
        rules.load_rules(tmp_path)


def test_load_rules_names_the_file_and_the_rule(tmp_path: Path) -> None:
    import yaml

    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump([rule_data(), rule_data(kinds=["x"])]), "utf-8")
    with pytest.raises(RuleError) as exc:
        rules.load_rules(bad)
    assert str(exc.value).startswith("bad.yaml, rule 2: rule big_payment: unknown dataset kind")
    bad.write_text("code: [unclosed", "utf-8")
    with pytest.raises(RuleError, match=r"bad\.yaml: not valid YAML"):
        rules.load_rules(bad)
    bad.write_text("code: x", "utf-8")
    with pytest.raises(RuleError, match=r"bad\.yaml: expected a list of rules"):
        rules.load_rules(bad)


# --------------------------------------------------------------------------- running


def test_run_gives_hits_in_key_order_with_json_facts(engine: Engine) -> None:
    spec = rules.parse_rule(rule_data())
    assert engine.run(spec) == [
        Hit(
            "big_payment",
            f"{A}|低保",
            ((A, "甲某一"),),
            "青溪镇",
            (("benefit", 2),),
            {"amount": "1200.00"},
        ),
    ]
    hits = engine.run(spec, {"min_amount": "500"})
    assert [h.key for h in hits] == [f"{A}|低保", f"{B}|低保"]
    assert hits[1].facts == {"amount": "800.50"}
    assert rules.explain(
        spec.explain_zh, hits[1].facts, hits[1].subjects, hits[1].organisation
    ) == (f"乙某二（{B}）单笔领取800.50元。")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"min_amount": "much"}, "rule big_payment, parameter min_amount: 'much' is not a number"),
        ({"min_amount": True}, "is not a number"),
        ({"min_amount": "nan"}, "is not a finite number"),
        ({"max_amount": 3}, "rule big_payment: no parameter 'max_amount'"),
    ],
)
def test_bad_parameters_are_refused(engine: Engine, params: dict, message: str) -> None:
    with pytest.raises(RuleError) as exc:
        engine.run(rules.parse_rule(rule_data()), params)
    assert message in str(exc.value)


def test_parameters_are_cast() -> None:
    def param(kind: str) -> Param:
        return Param("p", kind, None, "p", "p")

    assert rules.cast_param(param("int"), "3") == 3
    assert rules.cast_param(param("int"), 3.0) == 3
    assert rules.cast_param(param("number"), "0.25") == 0.25
    assert rules.cast_param(param("text"), 7) == "7"
    assert rules.cast_param(param("regex"), "低保|特困") == "低保|特困"
    for kind, value in [
        ("int", "2.5"),
        ("int", "x"),
        ("int", None),
        ("text", None),
        ("regex", ""),
        ("regex", "(?<=a)b"),
    ]:
        with pytest.raises(RuleError):
            rules.cast_param(param(kind), value)


# --------------------------------------------------------------------------- the sandbox


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM read_parquet('/etc/hosts')",
        "SELECT * FROM glob('/etc/*')",
    ],
)
def test_rule_sql_cannot_read_files(engine: Engine, sql: str) -> None:
    with pytest.raises(RuleError) as exc:
        engine.check(spec_with_sql(sql))
    assert str(exc.value).startswith("rule big_payment: ")
    assert "disabled by configuration" in str(exc.value)


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT 1 AS key; DELETE FROM benefit", "exactly one SELECT statement, not 2"),
        ("DELETE FROM benefit", "not DELETE"),
        ("INSERT INTO benefit (_row) VALUES (99)", "not INSERT"),
        ("CREATE TABLE stolen AS SELECT * FROM benefit", "not CREATE"),
        ("UPDATE benefit SET amount = 0", "not UPDATE"),
        ("DROP TABLE benefit", "not DROP"),
        ("SET enable_external_access = true", "not SET"),
        ("COPY benefit TO '/tmp/out.csv'", "not COPY"),
        ("ATTACH '/tmp/other.db' AS other", "not ATTACH"),
        ("SELECT * FROM query('DELETE FROM benefit')", "Expected a single SELECT statement"),
    ],
)
def test_rule_sql_cannot_change_anything(engine: Engine, sql: str, message: str) -> None:
    spec = spec_with_sql(sql)
    for attempt in (engine.check, engine.run):
        with pytest.raises(RuleError) as exc:
            attempt(spec)
        assert message in str(exc.value)
    assert len(engine.rows("benefit", [2, 3])) == 2
    assert [h.key for h in engine.run(rules.parse_rule(rule_data()), {"min_amount": 0})] == [
        f"{A}|低保",
        f"{B}|低保",
    ]


def test_rule_sql_cannot_read_python_variables(engine: Engine) -> None:
    secret_table = benefits()  # DuckDB's replacement scan would find it by name
    assert secret_table.num_rows == 2
    with pytest.raises(RuleError, match="Table with name secret_table does not exist"):
        engine.check(spec_with_sql("SELECT * FROM secret_table"))


def test_settings_stay_locked(engine: Engine) -> None:
    sql = "SELECT current_setting('enable_external_access') AS key"
    with pytest.raises(RuleError, match="no column 'subjects'"):
        engine.check(spec_with_sql(sql))
    with pytest.raises(RuleError, match="Scalar Function with name getenv does not exist"):
        engine.check(spec_with_sql("SELECT getenv('HOME') AS key"))


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "SELECT 'k' AS key, [{'id': 'x', 'name': 'y'}] AS subjects, 'o' AS organisation",
            "rule big_payment: no column 'evidence'",
        ),
        (
            "SELECT 1 AS key, [{'id': 'x', 'name': 'y'}] AS subjects, 'o' AS organisation,"
            " [{'kind': 'benefit', 'row': 1}] AS evidence",
            "rule big_payment: key must be VARCHAR, not INTEGER",
        ),
        (
            "SELECT 'k' AS key, ['x'] AS subjects, 'o' AS organisation,"
            " [{'kind': 'benefit', 'row': 1}] AS evidence",
            "subjects must be LIST(STRUCT(id VARCHAR, name VARCHAR)), not VARCHAR[]",
        ),
        (
            "SELECT 'k' AS key, [{'id': 'x', 'name': 'y'}] AS subjects, 'o' AS organisation,"
            " [{'kind': 'benefit', 'line': 1}] AS evidence",
            'evidence must be LIST(STRUCT(kind VARCHAR, "row" BIGINT))',
        ),
        (
            "SELECT 'k' AS key, 'k' AS key, [{'id': 'x', 'name': 'y'}] AS subjects,"
            " 1 AS organisation, [{'kind': 'benefit', 'row': 1}] AS evidence",
            "column name(s) used twice: key; organisation must be VARCHAR, not INTEGER",
        ),
        ("SELECT * FROM pension", "rule big_payment: Catalog Error: Table with name pension"),
        ("SELECT nosuchcolumn AS key FROM benefit", 'Referenced column "nosuchcolumn" not found'),
    ],
)
def test_wrong_output_is_refused_with_what_is_wrong(engine: Engine, sql: str, message: str) -> None:
    with pytest.raises(RuleError) as exc:
        engine.check(spec_with_sql(sql))
    assert message in str(exc.value)


def test_a_key_returned_twice_or_empty_is_refused(engine: Engine) -> None:
    twice = GOOD_SQL.replace("id_number || '|' || benefit_type", "benefit_type")
    with pytest.raises(RuleError, match="key '低保' is returned twice"):
        engine.run(rules.parse_rule(rule_data(sql=twice)), {"min_amount": 0})
    empty = GOOD_SQL.replace("id_number || '|' || benefit_type", "CAST(NULL AS VARCHAR)")
    with pytest.raises(RuleError, match="a row has an empty key"):
        engine.run(rules.parse_rule(rule_data(sql=empty)))


def test_an_error_while_running_names_the_rule(engine: Engine) -> None:
    sql = GOOD_SQL.replace("amount >= $min_amount", "CAST(name AS INTEGER) > $min_amount")
    with pytest.raises(RuleError, match=r"^rule big_payment: Conversion Error"):
        engine.run(rules.parse_rule(rule_data(sql=sql)))


# --------------------------------------------------------------------------- the engine


def test_engine_reads_parquet_files_and_fills_absent_columns(tmp_path: Path) -> None:
    path = tmp_path / "benefit.parquet"
    full = benefits()
    # An older file without the village and household columns, with one extra column.
    pq.write_table(
        full.drop_columns(["village", "household"]).append_column("remark", pa.array(["a", None])),
        path,
    )
    with Engine({"benefit": path}) as engine:
        assert engine.missing(rules.parse_rule(rule_data(kinds=["benefit", "death"]))) == ["death"]
        rows = engine.rows("benefit", [3, 2, 99])
        assert rows == [
            {
                "_row": 2,
                "id_number": A,
                "name": "甲某一",
                "benefit_type": "低保",
                "period": dt.date(2024, 1, 1),
                "amount": Decimal("1200.00"),
                "township": "青溪镇",
                "village": None,
                "household": None,
                "remark": "a",
            },
            {
                "_row": 3,
                "id_number": B,
                "name": "乙某二",
                "benefit_type": "低保",
                "period": dt.date(2024, 1, 1),
                "amount": Decimal("800.50"),
                "township": "河口乡",
                "village": None,
                "household": None,
                "remark": None,
            },
        ]
        assert engine.rows("death", [2]) == []
        with pytest.raises(ValueError, match="unknown dataset kind 'pension'"):
            engine.rows("pension", [1])
        # The file the engine read is out of reach of rule SQL too.
        with pytest.raises(RuleError, match="disabled by configuration"):
            engine.check(spec_with_sql(f"SELECT * FROM read_parquet('{path}')"))  # noqa: S608


def test_engine_refuses_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="unknown dataset kind\\(s\\) pension"):
        Engine({"pension": benefits()})


def test_kin_pairs_household_members_and_registry_relations_both_ways() -> None:
    household = table(
        "household",
        [
            {"household": "H1", "id_number": A, "name": "甲某一", "relation": "户主"},
            {"household": "H1", "id_number": B, "name": "乙某二", "relation": "妻"},
        ],
    )
    kinship = pa.table({"id_a": [C], "id_b": [A], "relation": ["child"]})
    sql = """
        SELECT id_a || '>' || id_b AS key, [] :: STRUCT(id VARCHAR, name VARCHAR)[] AS subjects,
               relation AS organisation,
               [{'kind': 'household', 'row': row_a}, {'kind': 'household', 'row': row_b}]
                 AS evidence,
               source, relation_zh, relation_en
        FROM kin
    """
    with Engine({"household": household}, kinship=kinship) as engine:
        hits = engine.run(spec_with_sql(sql, explain_zh="{source}", explain_en="{source}"))
    assert [(h.key, h.organisation, h.evidence, h.facts) for h in hits] == sorted(
        [
            (
                f"{A}>{B}",
                "户主/妻",
                (("household", 2), ("household", 3)),
                {"source": "household", "relation_zh": "户主/妻", "relation_en": "户主/妻"},
            ),
            (
                f"{B}>{A}",
                "妻/户主",
                (("household", 3), ("household", 2)),
                {"source": "household", "relation_zh": "妻/户主", "relation_en": "妻/户主"},
            ),
            (
                f"{C}>{A}",
                "child",
                (),
                {"source": "registry", "relation_zh": "子女", "relation_en": "child"},
            ),
            (
                f"{A}>{C}",
                "parent",
                (),
                {"source": "registry", "relation_zh": "父母", "relation_en": "parent"},
            ),
        ]
    )


def test_table_builds_the_parquet_layout() -> None:
    built = table("death", [{"id_number": A, "death_date": "2024-03-05"}, {"_row": 9}])
    assert built.schema == rules.arrow_schema("death")
    assert built.to_pylist() == [
        {
            "_row": 2,
            "id_number": A,
            "name": None,
            "death_date": dt.date(2024, 3, 5),
            "cremation_date": None,
        },
        {"_row": 9, "id_number": None, "name": None, "death_date": None, "cremation_date": None},
    ]
    assert table("benefit", [{"period": dt.date(2024, 3, 17)}])["period"].to_pylist() == [
        dt.date(2024, 3, 1)
    ]
    assert str(rules.arrow_schema("benefit").field("amount").type) == "decimal128(18, 2)"
    with pytest.raises(ValueError, match="death has no column\\(s\\) amount"):
        table("death", [{"amount": 1}])


def test_explain_fills_subjects_facts_and_question_marks() -> None:
    text = rules.explain(
        "{name}|{id_number}|{organisation}|{n}|{share}|{missing}|{empty}|{items}",
        {"n": 3, "share": 0.1 + 0.2, "empty": None, "items": ["a", "b"]},
        [(A, "甲某一"), ("", "某公司")],
        "",
    )
    assert text == f"甲某一、某公司|{A}|?|3|0.3|?|?|a、b"


def test_jsonable() -> None:
    value = {"d": dt.date(2024, 1, 2), "a": Decimal("1.50"), "l": [{"x": float("inf")}]}
    assert rules.jsonable(value) == {"d": "2024-01-02", "a": "1.50", "l": [{"x": None}]}
    json.dumps(rules.jsonable(value))
