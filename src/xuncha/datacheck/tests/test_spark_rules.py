"""The comparison rules on Spark (issue #9, "On Spark"): one definition of each rule, in
DuckDB SQL, translated when it runs; the same datasets give the same hits, the same
evidence and the same planted truth on DuckDB and on Spark (local mode).

Skipped without pyspark (``make spark``) unless ``XUNCHA_REQUIRE_SPARK=1`` (CI), which
turns a missing pyspark or Java into a failure. One Spark session serves every test."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from xuncha.datacheck.lib import ingest, readers, rules, synth
from xuncha.datacheck.lib.rules import Hit, RuleError, table

pytestmark = pytest.mark.spark

REQUIRED = os.environ.get("XUNCHA_REQUIRE_SPARK") == "1"
# The local configuration the tests run (docs/deployment.md quotes it): small data wants
# few partitions and no code generation (compiling costs more than it saves).
MASTER = "local[2]"
TEST_CONF = {
    "spark.sql.shuffle.partitions": "2",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
}


def _need(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        message = f"{module} is not installed (make spark installs the xuncha[spark] extra)"
        if REQUIRED:
            pytest.fail(message + ", and XUNCHA_REQUIRE_SPARK=1")
        pytest.skip(message)


@pytest.fixture
def translator() -> Any:
    _need("sqlglot")
    from xuncha.datacheck.lib import spark

    return spark


@pytest.fixture(scope="module")
def spark_session() -> Any:
    _need("pyspark")
    _need("sqlglot")
    from xuncha.datacheck.lib import spark

    try:
        return spark.session(MASTER, TEST_CONF)
    except spark.SparkUnavailable as exc:
        if REQUIRED:
            pytest.fail(f"{exc} (XUNCHA_REQUIRE_SPARK=1)")
        pytest.skip(str(exc))


# --------------------------------------------------------------------------- the library


@pytest.fixture(scope="module")
def synth_county(tmp_path_factory: pytest.TempPathFactory) -> synth.County:
    return synth.generate(tmp_path_factory.mktemp("county"), 1000, seed=7)


@pytest.fixture(scope="module")
def county_tables(synth_county: synth.County) -> dict[str, pa.Table]:
    out = {}
    for kind, path in synth_county.files.items():
        sheet = readers.read(path)
        preview = ingest.preview(sheet, kind)
        result = ingest.normalise_rows(
            sheet, kind, preview.mapping.columns, preview.data_start, preview.headers
        )
        assert result.errors == [], (kind, result.errors[:3])
        out[kind] = result.table
    return out


@pytest.fixture(scope="module")
def engines(
    spark_session: Any, county_tables: dict[str, pa.Table], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[rules.Engine, rules.Engine]]:
    """DuckDB over the Arrow tables; Spark over Parquet files, as the runs give them."""
    folder = tmp_path_factory.mktemp("parquet")
    files = {}
    for kind, data in county_tables.items():
        files[kind] = folder / f"{kind}.parquet"
        pq.write_table(data, files[kind])
    duck = rules.engine_for("duckdb", county_tables)
    spark = rules.engine_for("spark", files, spark_master=MASTER, spark_conf=TEST_CONF)
    yield duck, spark
    duck.close()
    spark.close()


@pytest.fixture(scope="module")
def library_hits(
    engines: tuple[rules.Engine, rules.Engine],
) -> dict[str, tuple[list[Hit], list[Hit]]]:
    duck, spark = engines
    out = {}
    for spec in rules.builtin_rules():
        assert duck.missing(spec) == spark.missing(spec)
        if not duck.missing(spec):
            out[spec.code] = (duck.run(spec), spark.run(spec))
    return out


def test_every_library_rule_finds_the_same_hits_on_spark(
    library_hits: dict[str, tuple[list[Hit], list[Hit]]], synth_county: synth.County
) -> None:
    found = set()
    for code, (on_duckdb, on_spark) in library_hits.items():
        # The same hits in the same order: keys, subjects, places, evidence, facts (with
        # their types: "500.00" from a DECIMAL, 60.0 from a DOUBLE, dates as ISO text).
        assert on_spark == on_duckdb, code
        found |= {(h.rule, frozenset(s[0] for s in h.subjects)) for h in on_spark}
    assert len([code for code, (hits, _) in library_hits.items() if hits]) >= 10
    truth = {(p.rule, p.subjects) for p in synth_county.truth if p.rule in library_hits}
    assert found == truth  # the planted cases, no more


def test_the_evidence_rows_are_the_same_on_spark(
    engines: tuple[rules.Engine, rules.Engine],
    library_hits: dict[str, tuple[list[Hit], list[Hit]]],
) -> None:
    duck, spark = engines
    wanted: dict[str, set[int]] = defaultdict(set)
    for hits, _ in library_hits.values():
        for hit in hits:
            for kind, row in hit.evidence:
                wanted[kind].add(row)
    assert len(wanted) >= 8

    def typed(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: (type(v).__name__, rules.jsonable(v)) for k, v in r.items()} for r in rows]

    for kind, numbers in wanted.items():
        expected = typed(duck.rows(kind, numbers))
        assert len(expected) == len(numbers)
        assert typed(spark.rows(kind, numbers)) == expected, kind
    assert spark.rows("benefit", []) == []


@pytest.mark.parametrize(
    ("code", "params"),
    [
        ("paid_after_death", {"grace_months": 0}),
        ("tender_king", {"whole_dataset": 1, "min_share": 0.05, "min_count": 2}),
        ("recipient_real_estate", {"max_properties": 2, "max_area": "80"}),
        ("double_benefit", {"benefit_types": "^低保$"}),
    ],
)
def test_parameters_bind_the_same_values_on_spark(
    engines: tuple[rules.Engine, rules.Engine], code: str, params: dict[str, Any]
) -> None:
    duck, spark = engines
    spec = next(s for s in rules.builtin_rules() if s.code == code)
    expected = duck.run(spec, params)
    assert expected != duck.run(spec) or code == "double_benefit"
    assert spark.run(spec, params) == expected


# --------------------------------------------------------------------------- translation

A, B, C = "330521199001011234", "330521198505052345", "33052119700303345X"


def _pay(id_number: str, name: str, period: str, amount: float, village: str | None) -> dict:
    return {
        "id_number": id_number,
        "name": name,
        "benefit_type": "低保",
        "period": period,
        "amount": amount,
        "township": "青溪镇",
        "village": village,
        "household": "H1",
    }


BENEFITS = [
    _pay(A, "甲某一", "2024-01", 400, "东岭村"),
    _pay(A, "甲某一", "2024-03", 450.5, None),
    _pay(A, "甲某乙", "2024-02", 500, "西坪村"),
    _pay(B, "乙某二", "2024-01", 300, None),
    {**_pay(C, "丙某三", "2024-01", 700, "东岭村"), "period": None},
]

# Constructs DuckDB has and Spark has not, or has with another meaning.
DUCKDB_ONLY = """
WITH m AS MATERIALIZED (
  SELECT * EXCLUDE (household) FROM benefit WHERE regexp_matches(benefit_type, $types)
)
SELECT id_number AS key,
       [{'id': id_number, 'name': first(name ORDER BY period DESC NULLS LAST, _row DESC)}]
         AS subjects,
       last(village ORDER BY period) AS organisation,
       list_concat(list({'kind': 'benefit', 'row': _row} ORDER BY period DESC, _row), NULL)
         AS evidence,
       list(village ORDER BY _row) AS villages,
       list_sort(list(DISTINCT village)) AS village_set,
       string_agg(name, '、' ORDER BY _row DESC) AS names,
       any_value(village ORDER BY period DESC) AS a_village,
       sum(amount) / count(*) AS mean_by_hand,
       avg(amount) AS mean,
       round(avg(amount) / 3, 2) AS third,
       round(2.675::DOUBLE, 2) AS rounded,
       round(sum(amount), 1) AS total,
       sum(amount) / 0 AS infinite,
       min(period) + to_months($months) AS later,
       strftime(min(period), '%Y-%m') AS first_period,
       regexp_replace(min(name), '某', '*', 'g') AS masked,
       count(*) FILTER (WHERE amount > 420) AS big,
       list(amount ORDER BY _row) FILTER (WHERE amount > 420) AS big_amounts
FROM m
GROUP BY id_number
"""


def _spec(sql: str, **params: Any) -> rules.RuleSpec:
    return rules.RuleSpec(
        code="custom",
        name_zh="自定义",
        name_en="Custom",
        description_zh="自定义规则。",
        description_en="A custom rule.",
        kinds=("benefit",),
        params=tuple(
            rules.Param(
                n,
                "int" if isinstance(v, int) else "regex" if isinstance(v, str) else "number",
                v,
                n,
                n,
            )
            for n, v in params.items()
        ),
        sql=sql,
        explain_zh="{name}",
        explain_en="{name}",
    )


def test_translation_of_duckdb_only_constructs(translator: Any) -> None:
    sql = translator.translate(DUCKDB_ONLY, params={"types": "低保", "months": 1})
    assert "MATERIALIZED" not in sql and "EXCEPT (household)" in sql
    assert ":types" in sql and ":months" in sql and "$" not in sql  # still bound, not inlined
    assert "RLIKE :types" in sql and "DATE_FORMAT(MIN(period), 'yyyy-MM')" in sql
    assert "MAKE_YM_INTERVAL(0, :months)" in sql and "AS TIMESTAMP" in sql
    assert sql.count("ARRAY_SORT(COLLECT_LIST(STRUCT(") >= 4  # ordered lists and firsts
    assert "CAST('Infinity' AS DOUBLE)" in sql  # a division as DuckDB divides
    assert "ARRAY(CAST(CAST(2.675 AS DOUBLE) AS DOUBLE)), __x ->" in sql  # DuckDB rounding
    assert "ROUND(SUM(amount), 1)" in sql  # a DECIMAL is rounded as such
    assert "COALESCE(NULL, ARRAY())" in sql  # list_concat: NULL is an empty list
    assert "FILTER (WHERE amount > 420), (__l, __r)" in sql  # the FILTER moved inside
    # The library's SQL translates (the engines are compared on data below).
    for spec in rules.builtin_rules():
        assert "COLLECT_LIST" in translator.translate(spec.sql, params=spec.defaults())


def test_what_cannot_be_translated_is_refused_with_a_reason(translator: Any) -> None:
    def refused(sql: str) -> str:
        with pytest.raises(translator.TranslationError) as info:
            translator.translate(sql)
        return str(info.value)

    assert "'g' option" in refused("SELECT regexp_replace(name, 'a', 'b') FROM benefit")
    assert "back-references" in refused(
        "SELECT regexp_replace(name, '(a)', '\\1', 'g') FROM benefit"
    )
    assert "over a window" in refused(
        "SELECT list(name ORDER BY _row) OVER (PARTITION BY id_number) FROM benefit"
    )
    assert "no Spark equivalent" in refused("SELECT regexp_matches(name, 'a', 'x') FROM benefit")
    assert "cannot be read" in refused("SELECT FROM WHERE")
    assert "one SELECT" in refused("SELECT 1; SELECT 2")


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("CREATE TABLE x AS SELECT 1 AS key", "must be a SELECT statement"),
        ("SELECT 1 AS key; SELECT 2 AS key", "exactly one SELECT statement"),
        ("DELETE FROM benefit", "must be a SELECT statement"),
        ("SELECT * FROM read_parquet('/etc/data.parquet')", "reads from a table function"),
        ("SELECT * FROM read_csv('/etc/passwd')", "reads from a table function"),
        ("SELECT * FROM '/etc/data.parquet'", "not a dataset of the run"),
        ("SELECT * FROM global_temp.benefit", "names a table outside the datasets"),
        ("SELECT * FROM secret_table", "not a dataset of the run"),
        ("SELECT reflect('java.lang.System', 'getenv', 'HOME') AS key", "calls reflect()"),
        ("SELECT getenv('HOME') AS key", "calls getenv()"),
        ("SELECT id_number FROM benefit WHERE name IN (SELECT * FROM glob('/*'))", "table"),
    ],
)
def test_the_sandbox_refuses_what_duckdb_refuses(translator: Any, sql: str, reason: str) -> None:
    tables = [*rules.SCHEMA, "kinship", "kin"]
    with pytest.raises(RuleError, match=r"^rule custom: ") as info:
        translator.check_select(sql, tables, "custom")
    assert reason in str(info.value)
    translator.check_select(
        "WITH x AS (SELECT * FROM benefit) SELECT * FROM x JOIN kin ON x.id_number = kin.id_a",
        tables,
    )


@pytest.fixture(scope="module")
def small(spark_session: Any) -> Iterator[tuple[rules.Engine, rules.Engine]]:
    from xuncha.datacheck.lib.spark import SparkEngine

    tables = {"benefit": table("benefit", BENEFITS)}
    duck = rules.Engine(tables)
    spark = SparkEngine(tables, spark=spark_session)
    yield duck, spark
    duck.close()
    spark.close()


def test_duckdb_only_constructs_mean_the_same_on_spark(
    small: tuple[rules.Engine, rules.Engine],
) -> None:
    duck, spark = small
    spec = _spec(DUCKDB_ONLY, types="低保|特困", months=1)
    expected = duck.run(spec)
    assert spark.run(spec) == expected
    a, b, c = (next(h for h in expected if h.key == k) for k in (A, B, C))
    assert a.subjects == ((A, "甲某一"),)  # the latest period's name
    assert a.organisation == "" and b.organisation == ""  # the latest village is NULL
    assert a.evidence == (("benefit", 3), ("benefit", 4), ("benefit", 2))
    assert a.facts["villages"] == ["东岭村", None, "西坪村"]  # list() keeps NULLs
    assert a.facts["village_set"] == ["东岭村", "西坪村", None]
    assert a.facts["names"] == "甲某乙、甲某一、甲某一"
    assert a.facts["a_village"] == "西坪村"  # the first non-NULL from the latest
    assert a.facts["mean"] == a.facts["mean_by_hand"] == 1350.5 / 3  # DOUBLE
    assert a.facts["third"] == 150.06
    assert a.facts["rounded"] == 2.67  # Spark's own ROUND gives 2.68
    assert a.facts["total"] == "1350.5"  # a DECIMAL stays one
    assert a.facts["infinite"] is None  # inf, as JSON
    assert a.facts["later"] == "2024-02-01T00:00:00"  # a TIMESTAMP on both
    assert (a.facts["first_period"], a.facts["masked"]) == ("2024-01", "甲*一")
    assert (a.facts["big"], a.facts["big_amounts"]) == (2, ["450.50", "500.00"])
    assert (b.facts["big"], b.facts["big_amounts"]) == (0, None)
    assert c.facts["later"] is None and c.facts["first_period"] is None
    # Parameters are values bound by Spark, never SQL text.
    assert spark.run(spec, {"types": "' OR 1=1 --"}) == []
    assert [h.key for h in spark.run(spec, {"types": "^低保$"})] == sorted([A, B, C])


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT * FROM read_parquet('/etc/data.parquet')", "not allowed"),
        ("SELECT reflect('java.lang.System', 'getenv', 'HOME') AS key", "calls reflect()"),
        ("SELECT regexp_replace(name, '某', '*') AS key FROM benefit", "cannot be run on Spark"),
        ("SELECT no_such_column AS key FROM benefit", "on Spark: [UNRESOLVED_COLUMN"),
        ("SELECT id_number AS key FROM benefit", "no column 'subjects'"),
    ],
)
def test_a_rule_spark_cannot_run_fails_like_a_rule_duckdb_cannot_run(
    small: tuple[rules.Engine, rules.Engine], sql: str, message: str
) -> None:
    _duck, spark = small
    with pytest.raises(RuleError, match=r"^rule custom: ") as info:
        spark.run(_spec(sql))
    assert message in str(info.value)
    with pytest.raises(RuleError):
        spark.check(_spec(sql))


def test_check_and_the_engine_session_sandbox(small: tuple[rules.Engine, rules.Engine]) -> None:
    _duck, spark = small
    for spec in rules.builtin_rules():
        spark.check(spec)  # binds on empty tables, templates name output columns
    session = spark._spark  # type: ignore[attr-defined]
    assert session.conf.get("spark.sql.runSQLOnFiles") == "false"
    assert session.conf.get("spark.sql.session.timeZone") == "UTC"
    with pytest.raises(Exception, match="TABLE_OR_VIEW_NOT_FOUND"):
        session.sql("SELECT * FROM parquet.`/etc`").collect()


def test_one_session_per_process(spark_session: Any) -> None:
    from xuncha.datacheck.lib import spark

    assert spark.session() is spark_session  # the record linkage asks this way
    assert spark.session(MASTER, TEST_CONF) is spark_session
    with pytest.raises(spark.SparkUnavailable, match="already running"):
        spark.session("local[3]")
    with pytest.raises(spark.SparkUnavailable, match="without a restart"):
        spark.session(MASTER, {"spark.driver.memory": "3g"})


# --------------------------------------------------------------------------- settings, CLI


def test_without_pyspark_the_message_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from xuncha.datacheck.lib import spark

    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(spark.SparkUnavailable, match=r"pip install 'xuncha\[spark\]'"):
        rules.engine_for("spark", {})
    with pytest.raises(ValueError, match="unknown engine 'oracle'"):
        rules.engine_for("oracle", {})


@pytest.mark.django_db
def test_a_run_on_spark_finds_what_duckdb_finds_and_records_a_failed_rule(
    spark_session: Any, settings: Any, office: Any, area: Any, county: Any
) -> None:
    from xuncha.datacheck import services
    from xuncha.datacheck.models import Finding, Run
    from xuncha.datacheck.tests.test_services import OFFICE_RULE, _county

    settings.DATACHECK_ENGINE = "spark"
    settings.DATACHECK_SPARK_MASTER = MASTER
    settings.DATACHECK_SPARK_CONF = TEST_CONF
    _county(office, area)
    # Valid DuckDB, but Spark would replace every match: refused there, with the reason.
    first_only = OFFICE_RULE["sql"].replace(
        ", amount\n", ", amount, regexp_replace(name, '张', 'Z') AS n\n"
    )
    services.rule_save(actor=office, organisation=county, data={**OFFICE_RULE, "sql": first_only})
    run = services.run_execute(
        services.run_start(actor=office, organisation=area, background=False)
    )
    assert run.status == Run.Status.DONE
    findings = Finding.objects.filter(organisation=area)
    assert {(f.rule.code, f.names) for f in findings} == {
        ("payroll_on_benefits", "李四"),
        ("paid_after_death", "王五"),
    }
    dead = findings.get(rule__code="paid_after_death")
    death_row = next(e for e in dead.evidence if e["kind"] == "death")
    assert death_row["data"]["death_date"] == "2025-02-10"
    error = run.results["benefit_over_limit"]["error"]
    assert error.startswith("rule benefit_over_limit: cannot be run on Spark: regexp_replace")
    assert run.results["tender_king"]["missing"] == ["tender"]


def test_scan_with_engine_spark_writes_the_same_findings(
    spark_session: Any, settings: Any, tmp_path: Path
) -> None:
    from django.core.management import call_command

    from xuncha.datacheck.tests.conftest import benefit_rows, csv_bytes, person_id

    settings.DATACHECK_SPARK_CONF = TEST_CONF
    (tmp_path / "benefit.csv").write_bytes(
        csv_bytes(benefit_rows([(1, "张三"), (2, "李四")]), encoding="gb18030")
    )
    (tmp_path / "payroll.csv").write_bytes(
        csv_bytes([["姓名", "证件号码", "单位"], ["李四", person_id(2), "某局"]])
    )
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(
        "county: 示例县\ndatasets:\n"
        "  - {kind: benefit, file: benefit.csv}\n"
        "  - {kind: payroll, file: payroll.csv}\n",
        encoding="utf-8",
    )
    outputs = {}
    for engine in ("duckdb", "spark"):
        out = tmp_path / f"{engine}.csv"
        call_command(
            "datacheck", "scan", "--manifest", str(manifest), "--out", str(out), "--engine", engine
        )
        outputs[engine] = out.read_text(encoding="utf-8-sig")
    assert outputs["spark"] == outputs["duckdb"]
    assert (
        "payroll_on_benefits," in outputs["spark"] and "payroll:payroll.csv:2" in outputs["spark"]
    )


def test_the_engine_settings_are_checked(tmp_path: Path) -> None:
    def check(**env: str) -> subprocess.CompletedProcess[str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("XUNCHA_")}
        clean.update(XUNCHA_DATA_DIR=str(tmp_path), **env)
        return subprocess.run(
            [sys.executable, "-c", "import xuncha.settings as s; print(s.DATACHECK_SPARK_CONF)"],
            env=clean,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    good = check(XUNCHA_SPARK_CONF="spark.executor.memory=8g, spark.sql.shuffle.partitions=400")
    assert good.returncode == 0, good.stderr
    assert "'spark.executor.memory': '8g'" in good.stdout
    bad = check(XUNCHA_SPARK_CONF="executor.memory")
    assert "XUNCHA_SPARK_CONF must be key=value pairs" in bad.stderr
    assert "XUNCHA_DATACHECK_ENGINE must be one of" in check(XUNCHA_DATACHECK_ENGINE="x").stderr
    assert "XUNCHA_SPARK_MASTER must be" in check(XUNCHA_SPARK_MASTER="mesos://x").stderr
