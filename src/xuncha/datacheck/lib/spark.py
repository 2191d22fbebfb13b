"""The comparison rules on Spark (issue #9, "On Spark"; pure: no Django).

A province compares tens of millions of rows per dataset; the rules then run on a Spark
cluster with the same definitions as on DuckDB. A rule is written once, in DuckDB SQL
(``rules/library.yaml``, an office's own rules), and translated to Spark SQL when it runs:

* ``session(master, conf)`` is the process's SparkSession (created once and cached; the
  record linkage uses it too): quiet logs, session time zone UTC, no web UI, and for a
  ``local[...]`` master few shuffle partitions and nothing listening beyond 127.0.0.1.
  pyspark is an optional extra: without it a clear ``SparkUnavailable`` says
  ``pip install 'xuncha[spark]'``.
* ``translate(sql)`` turns DuckDB SQL into Spark SQL with sqlglot, plus the fixes the
  dialects need to give the same answers (below). Parameters stay named (``$name`` becomes
  ``:name``) and Spark binds the same typed values (``spark.sql(sql, args=...)``): a value
  never becomes SQL text.
* ``SparkEngine`` has the interface of ``rules.Engine`` (same constructor inputs, ``check``,
  ``run`` giving the same ``Hit`` values in the same order with the same types, ``rows``,
  ``missing``, ``close``). A rule that cannot be translated, or that Spark refuses, raises
  ``RuleError`` like a rule that fails on DuckDB, so a run records it as failed.

What the translation fixes (DuckDB semantics kept on Spark):

* ``list(x ORDER BY ...)``, ``first/last/any_value(x ORDER BY ...)``: Spark's collect_list
  has no order; the values are collected with their sort keys and sorted with DuckDB's
  ordering (nulls last unless NULLS FIRST). ``list`` keeps NULL values as DuckDB does.
* ``a / b`` is a DOUBLE division as on DuckDB (Spark divides decimals as decimals), and a
  division by zero gives infinity or NaN as on DuckDB (Spark would stop with an error).
* ``round(x, n)`` of a DOUBLE rounds the exact binary value half away from zero, as DuckDB
  does (Spark rounds the shortest decimal text of the double: 2.675, stored as
  2.67499999..., gives 2.68 there and 2.67 on DuckDB).
  ``avg`` is a DOUBLE (Spark gives a DECIMAL for decimals).
* ``list_concat`` treats a NULL list as empty; ``to_months(n)`` and the other ``to_*``
  interval functions become Spark intervals, and a date plus an interval is a TIMESTAMP,
  as on DuckDB; ``WITH x AS MATERIALIZED`` is a plain CTE.
* ``regexp_replace`` without the ``g`` option (DuckDB replaces the first match only, Spark
  every match) and replacement texts with back-references are refused, not mistranslated.

The sandbox. DuckDB runs rules with external access off; Spark has no such switch, so a
rule must pass ``check_select`` before it reaches Spark: the same one-SELECT check as the
DuckDB engine (``rules._statement``: exactly one statement, a SELECT; no DDL, DML, SET,
COPY, ATTACH), and on sqlglot's parse: every table is a dataset kind, ``kinship``, ``kin``
or a CTE of the query (no schema or catalog names, no file paths, no table functions such
as read_csv or read_parquet), and no function that reads files or the environment or calls
Java (``DENIED_FUNCTIONS``). The sessions also run with ``spark.sql.runSQLOnFiles`` off
(no ``parquet.`/path```), and each engine has a session of its own (``newSession``), so
one run never sees another run's tables.

Known differences that remain: regular expressions are Java's on Spark and RE2 on DuckDB
(the common syntax is the same; ``(?P<name>...)`` is RE2 only); sums of DOUBLE values may
differ in the last bits (the order of addition); arrays of structs are sorted with NULL
fields first on Spark and last on DuckDB.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from xuncha.datacheck.lib import rules
from xuncha.datacheck.lib.rules import RuleError, RuleSpec
from xuncha.datacheck.lib.schema import ROW, SCHEMA, field_type

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession
    from sqlglot import exp

INSTALL = "pip install 'xuncha[spark]'"
DEFAULT_MASTER = "local[2]"

# Every Spark session: UTC dates, ANSI SQL (errors, not silent NULLs, as on DuckDB), no
# SQL over file paths, quiet.
BASE_CONF: dict[str, str] = {
    "spark.app.name": "xuncha-datacheck",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "true",
    "spark.sql.runSQLOnFiles": "false",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.log.level": "ERROR",
}
# A local master: few partitions for small data, and the driver on the loopback only.
LOCAL_CONF: dict[str, str] = {
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
}
# Errors only, also the "default log level" notes Spark prints for an interactive driver.
_LOG4J = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
logger.repl.name = org.apache.spark.repl.Main
logger.repl.level = error
logger.submit.name = org.apache.spark.deploy.SparkSubmit
logger.submit.level = error
logger.gateway.name = org.apache.spark.api.python.PythonGatewayServer
logger.gateway.level = error
logger.context.name = org.apache.spark.SparkContext
logger.context.level = error
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
"""


class SparkUnavailable(RuntimeError):
    """pyspark (or Java) is missing, or a session cannot be had; the message says what to
    install or change."""


class TranslationError(ValueError):
    """The DuckDB SQL cannot be run on Spark with the same meaning; the message says why."""


# --------------------------------------------------------------------------- session

_lock = threading.Lock()
_cached: dict[str, Any] = {}  # "session": the SparkSession, its "master" and "conf"


def _pyspark() -> Any:
    try:
        import pyspark.sql
    except ImportError:
        raise SparkUnavailable(
            f"the Spark engine needs pyspark, an optional extra: {INSTALL} (and Java 17)"
        ) from None
    return pyspark.sql


def _private_dir() -> Path:
    """This user's folder for Spark's files (the log configuration, the warehouse)."""
    path = Path(tempfile.gettempdir()) / f"xuncha-spark-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    if path.stat().st_uid != os.getuid():
        raise SparkUnavailable(f"{path} belongs to another user; remove it")
    return path


def _log4j_file() -> Path:
    path = _private_dir() / "log4j2.properties"
    if not path.exists() or path.read_text(encoding="utf-8") != _LOG4J:
        path.write_text(_LOG4J, encoding="utf-8")
    return path


def _quiet_python_loggers() -> None:
    # pyspark logs every SQL error with its query (and so possibly personal data) as JSON on
    # stderr; the error reaches the caller as RuleError anyway.
    from pyspark.logger import PySparkLogger

    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)
    logging.getLogger("py4j").setLevel(logging.ERROR)


def session_conf(master: str, conf: Mapping[str, str] | None = None) -> dict[str, str]:
    """The configuration a session for ``master`` starts with: ``BASE_CONF``, ``LOCAL_CONF``
    for a local master, then ``conf`` (which wins)."""
    out = dict(BASE_CONF)
    if master.startswith("local"):
        out.update(LOCAL_CONF)
        # Spark would make spark-warehouse/ in the current folder.
        out["spark.sql.warehouse.dir"] = str(_private_dir() / "warehouse")
    out.update({str(k): str(v) for k, v in (conf or {}).items()})
    return out


def session(master: str | None = None, conf: Mapping[str, str] | None = None) -> SparkSession:
    """The SparkSession of this process, created on first use and then cached.

    ``master`` is ``local[N]`` (default ``local[2]``), ``spark://host:7077``, ``yarn`` or
    ``k8s://...``; ``conf`` adds Spark settings (see ``session_conf``). A JVM has one Spark
    context: asking again with another master raises SparkUnavailable; other settings are
    applied when Spark allows them at run time, else refused the same way."""
    sql = _pyspark()
    master = master or DEFAULT_MASTER
    wanted = session_conf(master, conf)
    with _lock:
        current = _cached.get("session")
        if current is not None and current.sparkContext._jsc is None:  # stopped meanwhile
            current = None
        if current is not None:
            if _cached["master"] != master:
                raise SparkUnavailable(
                    f"a Spark session on {_cached['master']} is already running in this"
                    f" process; it cannot also run on {master}"
                )
            # What the caller asks for is compared with what the session started with (Spark
            # reports some values rewritten, such as paths as file: URLs).
            started: dict[str, str] = _cached["conf"]
            for key, value in (conf or {}).items():
                key, value = str(key), str(value)
                if started.get(key) == value:
                    continue
                if not current.conf.isModifiable(key):
                    raise SparkUnavailable(
                        f"the running Spark session has {key}={started.get(key)} and it"
                        f" cannot be changed to {value} without a restart"
                    )
                current.conf.set(key, value)
                started[key] = value
            return current
        builder = sql.SparkSession.builder.master(master)
        if "spark.driver.extraJavaOptions" not in wanted:
            wanted["spark.driver.extraJavaOptions"] = (
                f"-Dlog4j2.configurationFile=file:{_log4j_file()}"
            )
        for key, value in wanted.items():
            builder = builder.config(key, value)
        try:
            with warnings.catch_warnings():
                # pyspark checks the pandas version, and warns about a newer one.
                warnings.simplefilter("ignore", FutureWarning)
                created = builder.getOrCreate()
        except Exception as exc:  # the JVM did not start: most often no Java
            raise SparkUnavailable(
                f"Spark did not start on {master}: {_first_line(exc)} (Spark needs Java 17"
                " or later: apt-get install openjdk-17-jre-headless)"
            ) from None
        created.sparkContext.setLogLevel("ERROR")
        _quiet_python_loggers()
        _cached.update(session=created, master=master, conf=wanted)
        return created


def stop() -> None:
    """Stop the cached session (the next ``session()`` starts a new one)."""
    with _lock:
        current = _cached.pop("session", None)
        _cached.clear()
    if current is not None:
        current.stop()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:500]


# --------------------------------------------------------------------------- the sandbox

# Tables a rule may read besides the dataset kinds and its own CTEs.
EXTRA_TABLES = ("kinship", "kin")
# Functions that read files or the environment (DuckDB), call Java or parse XML (Spark).
DENIED_FUNCTIONS = frozenset(
    {
        # DuckDB: files, settings, the environment
        "read_csv",
        "read_csv_auto",
        "read_json",
        "read_json_auto",
        "read_json_objects",
        "read_ndjson",
        "read_ndjson_auto",
        "read_ndjson_objects",
        "read_parquet",
        "parquet_scan",
        "parquet_metadata",
        "parquet_schema",
        "parquet_file_metadata",
        "parquet_kv_metadata",
        "read_text",
        "read_blob",
        "read_xlsx",
        "sniff_csv",
        "glob",
        "getenv",
        "current_setting",
        "query",
        "query_table",
        # Spark: Java calls, XML parsing, file names
        "reflect",
        "java_method",
        "try_reflect",
        "xpath",
        "xpath_boolean",
        "xpath_double",
        "xpath_float",
        "xpath_int",
        "xpath_long",
        "xpath_number",
        "xpath_short",
        "xpath_string",
        "from_xml",
        "schema_of_xml",
        "read_files",
        "input_file_name",
        "input_file_block_start",
        "input_file_block_length",
    }
)


def _sqlglot() -> Any:
    try:
        import sqlglot
    except ImportError:
        raise SparkUnavailable(
            f"translating rules for Spark needs sqlglot, part of the extra: {INSTALL}"
        ) from None
    return sqlglot


def _parse(sql: str) -> exp.Expr:
    sqlglot = _sqlglot()
    from sqlglot import exp

    try:
        trees = [t for t in sqlglot.parse(sql, read="duckdb") if t is not None]
    except sqlglot.errors.SqlglotError as exc:
        raise TranslationError(
            f"the SQL cannot be read for translation: {_first_line(exc)}"
        ) from None
    if len(trees) != 1:
        raise TranslationError(f"the SQL must be exactly one SELECT statement, not {len(trees)}")
    if not isinstance(trees[0], exp.Query):
        raise TranslationError(f"the SQL must be a SELECT statement, not {trees[0].key.upper()}")
    return trees[0]


def _function_names(node: exp.Expr) -> set[str]:
    from sqlglot import exp

    if isinstance(node, exp.Anonymous):
        return {str(node.name).lower()}
    if isinstance(node, exp.Func):
        return {node.sql_name().lower(), node.key.lower()}
    return set()


def sandbox_problems(tree: exp.Expr, tables: Iterable[str]) -> list[str]:
    """Why the parsed query may not run on Spark: tables other than ``tables`` and the
    query's CTEs, schema-qualified names, table functions, denied functions."""
    from sqlglot import exp

    allowed = {t.lower() for t in tables}
    allowed |= {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    problems: list[str] = []
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            problems.append(f"reads from a table function ({table.this.sql('duckdb')[:80]})")
        elif table.args.get("db") or table.args.get("catalog"):
            problems.append(f"names a table outside the datasets ({table.sql('duckdb')[:80]})")
        elif table.name.lower() not in allowed:
            problems.append(f"reads {table.name!r}, which is not a dataset of the run")
    for node in tree.find_all(exp.Func):
        denied = sorted(_function_names(node) & DENIED_FUNCTIONS)
        if denied:
            problems.append(f"calls {denied[0]}(), which rules may not use")
    return list(dict.fromkeys(problems))


def check_select(sql: str, tables: Iterable[str], code: str = "?") -> exp.Expr:
    """The parsed rule SQL if it may run on Spark; RuleError otherwise. The same one-SELECT
    check as the DuckDB engine (DuckDB's own parser), then ``sandbox_problems`` on
    sqlglot's parse."""
    rules._statement(sql, code)
    try:
        tree = _parse(sql)
    except TranslationError as exc:
        raise RuleError(f"rule {code}: cannot be run on Spark: {exc}") from None
    problems = sandbox_problems(tree, tables)
    if problems:
        raise RuleError(f"rule {code}: not allowed: " + "; ".join(problems))
    return tree


# --------------------------------------------------------------------------- translation

# DuckDB's interval makers: Spark's function and where the argument goes.
_INTERVALS = {
    "to_years": "MAKE_YM_INTERVAL({}, 0)",
    "to_months": "MAKE_YM_INTERVAL(0, {})",
    "to_weeks": "MAKE_DT_INTERVAL(7 * ({}), 0, 0, 0)",
    "to_days": "MAKE_DT_INTERVAL({}, 0, 0, 0)",
    "to_hours": "MAKE_DT_INTERVAL(0, {}, 0, 0)",
    "to_minutes": "MAKE_DT_INTERVAL(0, 0, {}, 0)",
    "to_seconds": "MAKE_DT_INTERVAL(0, 0, 0, {})",
}
_DOUBLE_TYPES = ("DOUBLE", "FLOAT")
_INTEGER_TYPES = ("TINYINT", "SMALLINT", "INT", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT")
_MARK = "xuncha"  # meta key of nodes the translation made or looked at


def _duckdb_types(kind_columns: Mapping[str, Iterable[str]] | None = None) -> dict[str, Any]:
    """sqlglot's schema of the tables a rule reads (DuckDB types), extra columns as text."""
    from xuncha.datacheck.lib.rules import _DUCK_TYPES

    out: dict[str, dict[str, str]] = {}
    for kind, columns in SCHEMA.items():
        types = {ROW: "BIGINT"} | {c: _DUCK_TYPES[field_type(c)] for c in columns}
        for extra in (kind_columns or {}).get(kind, ()):
            types.setdefault(extra, "VARCHAR")
        out[kind] = types
    out["kinship"] = {"id_a": "VARCHAR", "id_b": "VARCHAR", "relation": "VARCHAR"}
    out["kin"] = {
        "id_a": "VARCHAR",
        "id_b": "VARCHAR",
        "relation": "VARCHAR",
        "source": "VARCHAR",
        "relation_zh": "VARCHAR",
        "relation_en": "VARCHAR",
        "row_a": "BIGINT",
        "row_b": "BIGINT",
    }
    return out


def _category(node: exp.Expr, params: Mapping[str, Any]) -> str | None:
    """'double', 'decimal' or 'integer': the DuckDB type family of an (annotated)
    expression; None when unknown."""
    from sqlglot import exp

    def combine(parts: Iterable[exp.Expr | None]) -> str | None:
        found = {_category(p, params) for p in parts if p is not None}
        for family in ("double", None, "decimal", "integer"):
            if family in found:
                return family
        return None

    if isinstance(node, (exp.Paren, exp.Neg, exp.Abs, exp.Nullif)):
        return _category(node.this, params)
    if isinstance(node, (exp.Div, exp.Avg)):
        return "double"  # DuckDB's / and avg give DOUBLE
    if isinstance(node, exp.Placeholder):
        value = params.get(str(node.name))
        if isinstance(value, float):
            return "double"
        return "integer" if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(node, exp.Literal) and not node.is_string:
        text = str(node.this).lower()
        return "double" if "e" in text else "decimal" if "." in text else "integer"
    if isinstance(node, (exp.Cast, exp.TryCast)):
        target = node.to.this.name
        if target in _DOUBLE_TYPES:
            return "double"
        return "decimal" if target == "DECIMAL" else "integer" if target in _INTEGER_TYPES else None
    if isinstance(node, (exp.Add, exp.Sub, exp.Mul, exp.Mod)):
        return combine([node.left, node.right])
    if isinstance(node, (exp.Sum, exp.Min, exp.Max, exp.First, exp.Last, exp.AnyValue)):
        return _category(node.this, params) if not isinstance(node.this, exp.Order) else None
    if isinstance(node, (exp.Coalesce, exp.Greatest, exp.Least)):
        return combine([node.this, *node.expressions])
    if isinstance(node, exp.If):
        return combine([node.args.get("true"), node.args.get("false")])
    if isinstance(node, exp.Case):
        return combine(
            [*(i.args.get("true") for i in node.args.get("ifs") or ()), node.args.get("default")]
        )
    kind = node.type.this.name if node.type is not None else ""
    if kind in _DOUBLE_TYPES:
        return "double"
    if kind == "DECIMAL":
        return "decimal"
    return "integer" if kind in _INTEGER_TYPES else None


def _typed(
    tree: exp.Expr,
    kind_columns: Mapping[str, Iterable[str]] | None,
    params: Mapping[str, Any],
) -> dict[int, str | None]:
    """The type family of the argument of each ROUND and AVG of the tree, by the number
    put in their meta; {} when sqlglot cannot type the query (then nothing is assumed)."""
    from sqlglot import exp
    from sqlglot.optimizer.annotate_types import annotate_types
    from sqlglot.optimizer.qualify import qualify

    targets = list(tree.find_all(exp.Round, exp.Avg))
    if not targets:
        return {}
    for number, node in enumerate(targets):
        node.meta[_MARK] = number
    schema = _duckdb_types(kind_columns)
    try:
        typed = qualify(
            tree.copy(), schema=schema, dialect="duckdb", validate_qualify_columns=False
        )
        typed = annotate_types(typed, schema=schema, dialect="duckdb")
    except Exception:  # sqlglot cannot follow the query: no type is assumed
        return {}
    out: dict[int, str | None] = {}
    for node in typed.find_all(exp.Round, exp.Avg):
        mark = node.meta.get(_MARK)
        if isinstance(mark, int):
            family = _category(node.this, params)
            out[mark] = family if out.get(mark, family) == family else None
    return out


def _raw(sql: str) -> exp.Expr:
    """A node that is this Spark SQL text (always a self-contained expression)."""
    from sqlglot import exp

    node = exp.Var(this=sql)
    node.meta[_MARK] = "raw"
    return node


def _spark(node: exp.Expr | None) -> str:
    return "" if node is None else node.sql(dialect="spark", comments=False)


def _comparator(keys: list[tuple[str, bool, bool]]) -> str:
    """A Spark array_sort comparator of structs (l, r) on these fields, each (field,
    descending, nulls first), as DuckDB orders."""
    body = "0"
    for name, desc, nulls_first in reversed(keys):
        a, b = f"__l.{name}", f"__r.{name}"
        before, after = ("1", "-1") if desc else ("-1", "1")
        null_l = "-1" if nulls_first else "1"
        null_r = "1" if nulls_first else "-1"
        body = (
            f"CASE WHEN {a} IS NULL AND {b} IS NOT NULL THEN {null_l}"
            f" WHEN {a} IS NOT NULL AND {b} IS NULL THEN {null_r}"
            f" WHEN {a} < {b} THEN {before} WHEN {a} > {b} THEN {after} ELSE {body} END"
        )
    return f"(__l, __r) -> {body}"


def _aggregate_parts(
    argument: exp.Expr,
) -> tuple[exp.Expr, bool, list[exp.Ordered]]:
    """(value, distinct, ORDER BY keys) of an aggregate's argument."""
    from sqlglot import exp

    inner = argument
    orders: list[exp.Ordered] = []
    if isinstance(inner, exp.Order):
        orders = list(inner.expressions)
        inner = inner.this
    distinct = isinstance(inner, exp.Distinct)
    if distinct:
        if len(inner.expressions) != 1:
            raise TranslationError("an aggregate of DISTINCT several values")
        inner = inner.expressions[0]
    return inner, distinct, orders


def _filter_of(node: exp.Expr) -> str:
    """`` FILTER (WHERE ...)`` when the aggregate has a FILTER clause (which then moves
    inside the translation)."""
    from sqlglot import exp

    parent = node.parent
    if isinstance(parent, exp.IgnoreNulls):
        parent = parent.parent
    if isinstance(parent, exp.Filter) and parent.this is not None:
        where = parent.expression
        return f" FILTER (WHERE {_spark(where.this if isinstance(where, exp.Where) else where)})"
    if isinstance(parent, exp.Window):
        raise TranslationError(
            "list(), and first(), last() or any_value() with ORDER BY, over a window"
            " (OVER ...) are not translated"
        )
    return ""


def _collected(
    value: exp.Expr, orders: list[exp.Ordered], filt: str, distinct: bool = False
) -> str:
    """The aggregate collecting each row's sort keys and value as a struct (so that NULL
    values are kept, as DuckDB's list() keeps them)."""
    fields = [f"{_spark(o.this)} AS __k{n}" for n, o in enumerate(orders)]
    fields.append(f"{_spark(value)} AS __v")
    word = "DISTINCT " if distinct else ""
    return f"COLLECT_LIST({word}STRUCT({', '.join(fields)})){filt}"


def _sorted(collected: str, orders: list[exp.Ordered]) -> str:
    """The collected structs sorted on their keys as DuckDB orders."""
    keys = [
        (f"__k{n}", bool(o.args.get("desc")), bool(o.args.get("nulls_first")))
        for n, o in enumerate(orders)
    ]
    return f"ARRAY_SORT({collected}, {_comparator(keys)})"


def _list(node: exp.Expr) -> exp.Expr:
    value, distinct, orders = _aggregate_parts(node.this)
    collected = _collected(value, orders, _filter_of(node), distinct and not orders)
    if orders:
        listed = f"TRANSFORM({_sorted(collected, orders)}, __e -> __e.__v)"
        listed = f"ARRAY_DISTINCT({listed})" if distinct else listed
    else:
        listed = f"TRANSFORM({collected}, __e -> __e.__v)"
    # DuckDB's list() of no rows is NULL, Spark's an empty array.
    return _raw(f"IF(SIZE({collected}) = 0, NULL, {listed})")


def _first(
    node: exp.Expr, argument: exp.Expr, last: bool = False, skip_nulls: bool = False
) -> exp.Expr:
    """first(x ORDER BY ...) (and last, any_value) as the first of the sorted values."""
    value, _distinct, orders = _aggregate_parts(argument)
    if last:  # the last of an order is the first of the reverse order
        flipped = []
        for ordered in orders:
            copy = ordered.copy()
            copy.set("desc", not ordered.args.get("desc"))
            copy.set("nulls_first", not ordered.args.get("nulls_first"))
            flipped.append(copy)
        orders = flipped
    structs = _sorted(_collected(value, orders, _filter_of(node)), orders)
    if skip_nulls:
        structs = f"FILTER({structs}, __e -> __e.__v IS NOT NULL)"
    return _raw(f"GET({structs}, 0).__v")


def _division(node: exp.Expr) -> exp.Expr:
    n = f"CAST({_spark(node.this)} AS DOUBLE)"
    d = f"CAST({_spark(node.expression)} AS DOUBLE)"
    return _raw(f"(CASE WHEN {d} = 0 THEN {n} * CAST('Infinity' AS DOUBLE) ELSE {n} / {d} END)")


def _split(value: float) -> tuple[float, float]:
    """Veltkamp's split of a double into two halves of at most 26 bits each."""
    c = 134217729.0 * value
    high = c - (c - value)
    return high, value - high


def _round(node: exp.Expr) -> exp.Expr | None:
    """round(x, n) of a DOUBLE as DuckDB rounds: the exact binary value of x, half away
    from zero. Spark rounds the shortest decimal text of x instead (2.675 is stored as
    2.67499999...: DuckDB gives 2.67, Spark 2.68). With n <= 0 the two agree; with n > 0
    x * 10^n is rounded to an integer, and on a tie of the rounded product the exact
    error of the product (Dekker's two-product) says on which side x really lies."""
    from sqlglot import exp

    decimals = node.args.get("decimals")
    if decimals is None:
        return None
    if isinstance(decimals, exp.Neg) and isinstance(decimals.this, exp.Literal):
        return None
    if not (isinstance(decimals, exp.Literal) and not decimals.is_string):
        raise TranslationError("round() of a DOUBLE with places that are not a number")
    places = int(decimals.this)
    if places <= 0:
        return None
    if places > 15:
        raise TranslationError("round() of a DOUBLE to more than 15 places")
    factor = 10.0**places  # exact
    high, low = _split(factor)

    def number(value: float) -> str:
        return f"CAST({value!r} AS DOUBLE)"

    m, m_high, m_low, splitter = number(factor), number(high), number(low), number(134217729.0)
    x_high = f"({splitter} * __x - ({splitter} * __x - __x))"
    x_low = f"(__x - {x_high})"
    error = (
        f"((({x_high} * {m_high} - __p) + {x_high} * {m_low} + {x_low} * {m_high})"
        f" + {x_low} * {m_low})"
    )
    rounded = (
        f"CASE WHEN ABS(__p - ROUND(__p, 0)) = 0.5 AND {error} * __p < 0"
        f" THEN __p - SIGN(__p) * 0.5 ELSE ROUND(__p, 0) END / {m}"
    )
    return _raw(
        f"GET(TRANSFORM(ARRAY(CAST({_spark(node.this)} AS DOUBLE)), __x ->"
        f" GET(TRANSFORM(ARRAY(__x * {m}), __p -> {rounded}), 0)), 0)"
    )


def _average(node: exp.Expr, family: str | None) -> exp.Expr | None:
    from sqlglot import exp

    if family in ("double", "integer"):
        return None  # Spark's avg is then a DOUBLE as DuckDB's
    value = node.this
    distinct = isinstance(value, exp.Distinct)
    if distinct:
        value = value.expressions[0]
    word = "DISTINCT " if distinct else ""
    inner = _spark(value)
    if family == "decimal" and not isinstance(node.parent, (exp.Filter, exp.Window)):
        # DuckDB divides the exact decimal sum, as a DOUBLE, by the count.
        return _raw(f"(CAST(SUM({word}{inner}) AS DOUBLE) / COUNT({word}{inner}))")
    node.set("this", _raw(f"{word}CAST({inner} AS DOUBLE)"))
    return node


def _concat_lists(node: exp.Expr) -> exp.Expr:
    parts = [_spark(p) for p in [node.this, *node.expressions]]
    nulls = " AND ".join(f"{p} IS NULL" for p in parts)
    joined = ", ".join(f"COALESCE({p}, ARRAY())" for p in parts)
    return _raw(f"(CASE WHEN {nulls} THEN NULL ELSE CONCAT({joined}) END)")


def _is_interval(node: exp.Expr | None) -> bool:
    from sqlglot import exp

    return isinstance(node, exp.Interval) or (
        node is not None and node.meta.get(_MARK) == "interval"
    )


def _regex_flags(flag: exp.Expr | None, allowed: str, what: str) -> str:
    """The inline flags (``(?i)``) for DuckDB's regex options; TranslationError for options
    that have no Spark equivalent."""
    from sqlglot import exp

    if flag is None:
        return ""
    if not (isinstance(flag, exp.Literal) and flag.is_string):
        raise TranslationError(f"{what}: the options must be a literal text")
    options = str(flag.this)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise TranslationError(f"{what}: option {unknown[0]!r} has no Spark equivalent")
    return "(?i)" if "i" in options else ""


def _regexp_replace(node: exp.Expr) -> exp.Expr:
    from sqlglot import exp

    modifiers = node.args.get("modifiers")
    options = str(modifiers.this) if isinstance(modifiers, exp.Literal) else ""
    if "g" not in options:
        raise TranslationError(
            "regexp_replace without the 'g' option replaces the first match on DuckDB and"
            " every match on Spark; write regexp_replace(text, pattern, replacement, 'g')"
        )
    flags = _regex_flags(modifiers, "gic", "regexp_replace")
    replacement = node.args.get("replacement")
    if not (isinstance(replacement, exp.Literal) and replacement.is_string):
        raise TranslationError("regexp_replace: the replacement must be a literal text on Spark")
    text = str(replacement.this)
    if "\\" in text:
        raise TranslationError(
            "regexp_replace: back-references (\\1) are written differently on Spark"
        )
    pattern = _spark(node.expression)
    if flags:
        pattern = f"CONCAT('{flags}', {pattern})"
    literal = "'" + text.replace("$", "\\$").replace("'", "\\'") + "'"
    return _raw(f"REGEXP_REPLACE({_spark(node.this)}, {pattern}, {literal})")


def _rewrite(node: exp.Expr, types: Mapping[int, str | None]) -> exp.Expr | None:
    """The Spark form of one node whose children are already translated; None: as is."""
    from sqlglot import exp

    if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
        node.set("materialized", None)
        return None
    if isinstance(node, exp.ArrayAgg):
        return _list(node)
    if isinstance(node, (exp.First, exp.Last)) and isinstance(node.this, exp.Order):
        return _first(node, node.this, last=isinstance(node, exp.Last))
    if isinstance(node, exp.AnyValue) and isinstance(node.this, exp.Order):
        return _first(node, node.this, skip_nulls=True)
    if isinstance(node, exp.Anonymous) and str(node.name).lower() == "arbitrary":
        if len(node.expressions) == 1 and isinstance(node.expressions[0], exp.Order):
            return _first(node, node.expressions[0])
        return exp.First(this=node.expressions[0]) if len(node.expressions) == 1 else None
    if isinstance(node, (exp.Filter, exp.IgnoreNulls)) and node.this.meta.get(_MARK) == "raw":
        return node.this  # the FILTER went inside the translated aggregate
    if isinstance(node, exp.Div):
        return _division(node)
    if isinstance(node, exp.Round) and types.get(node.meta.get(_MARK, -1)) == "double":
        return _round(node)
    if isinstance(node, exp.Avg):
        return _average(node, types.get(node.meta.get(_MARK, -1)))
    if isinstance(node, exp.ArrayConcat) and not node.args.get("null_propagation"):
        return _concat_lists(node)
    if isinstance(node, exp.Anonymous) and str(node.name).lower() in _INTERVALS:
        if len(node.expressions) != 1:
            raise TranslationError(f"{node.name}() takes one argument")
        made = _raw(_INTERVALS[str(node.name).lower()].format(_spark(node.expressions[0])))
        made.meta[_MARK] = "interval"
        return made
    if isinstance(node, (exp.Add, exp.Sub)) and (
        _is_interval(node.left) != _is_interval(node.right)
    ):
        # DuckDB: a date plus an interval is a TIMESTAMP; Spark keeps a DATE for months.
        return _raw(f"CAST({_spark(node)} AS TIMESTAMP)")
    if isinstance(node, exp.RegexpReplace):
        return _regexp_replace(node)
    if isinstance(node, exp.RegexpLike) and node.args.get("flag") is not None:
        flags = _regex_flags(node.args["flag"], "ic", "regexp_matches")
        pattern = _spark(node.expression)
        if flags:
            pattern = f"CONCAT('{flags}', {pattern})"
        return _raw(f"({_spark(node.this)} RLIKE {pattern})")
    return None


def translate(
    sql: str,
    *,
    params: Mapping[str, Any] | None = None,
    columns: Mapping[str, Iterable[str]] | None = None,
) -> str:
    """The Spark SQL of a DuckDB query (see the module's docstring for what is fixed).

    ``params`` (name -> value) and ``columns`` (dataset kind -> its extra columns) only
    help find the DuckDB type of what ``round`` and ``avg`` take. TranslationError when
    the query cannot be run on Spark with the same meaning."""
    sqlglot = _sqlglot()
    tree = _parse(sql)
    types = _typed(tree, columns, params or {})
    try:
        # Children first: a node is rewritten with its children already in Spark's form.
        for node in reversed(list(tree.dfs())):
            new = _rewrite(node, types)
            if new is not None and new is not node:
                if node is tree:
                    tree = new
                else:
                    node.replace(new)
        # Without the comments: Spark needs none, and a comment could only hide things.
        return str(
            tree.sql(dialect="spark", unsupported_level=sqlglot.ErrorLevel.RAISE, comments=False)
        )
    except sqlglot.errors.SqlglotError as exc:
        raise TranslationError(_first_line(exc)) from None


# --------------------------------------------------------------------------- engine

_SPARK_TYPES = {
    "id": "string",
    "name": "string",
    "text": "string",
    "date": "date",
    "month": "date",
    "amount": "decimal(18,2)",
    "number": "double",
}


def _spark_errors() -> tuple[type[BaseException], ...]:
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    return (PySparkException, Py4JError)


def _output_problems(schema: Any) -> list[str]:
    """What is wrong with a rule's output columns (as ``rules._output_problems``, for
    Spark's types)."""
    from pyspark.sql import types as T

    names = [f.name for f in schema.fields]
    by_name = {f.name: f.dataType for f in schema.fields}
    problems: list[str] = []
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        problems.append(f"column name(s) used twice: {', '.join(twice)}")
    for column in rules.REQUIRED_COLUMNS:
        if column not in by_name:
            problems.append(f"no column {column!r}")
    texts = (T.StringType, T.VarcharType, T.CharType)
    if "key" in by_name and not isinstance(by_name["key"], texts):
        problems.append(f"key must be VARCHAR, not {by_name['key'].simpleString()}")
    if "organisation" in by_name and not isinstance(by_name["organisation"], (*texts, T.NullType)):
        problems.append(
            f"organisation must be VARCHAR, not {by_name['organisation'].simpleString()}"
        )

    def struct_list(column: str, members: Mapping[str, tuple[type, ...]], shape: str) -> None:
        typ = by_name.get(column)
        if typ is None:
            return
        element = typ.elementType if isinstance(typ, T.ArrayType) else None
        fields = (
            {f.name: f.dataType for f in element.fields}
            if isinstance(element, T.StructType)
            else None
        )
        if (
            fields is None
            or set(fields) != set(members)
            or any(not isinstance(fields[n], allowed) for n, allowed in members.items())
        ):
            problems.append(f"{column} must be {shape}, not {typ.simpleString()}")

    struct_list(
        "subjects",
        {"id": (*texts, T.NullType), "name": (*texts, T.NullType)},
        "LIST(STRUCT(id VARCHAR, name VARCHAR))",
    )
    struct_list(
        "evidence",
        {"kind": texts, "row": (T.ByteType, T.ShortType, T.IntegerType, T.LongType)},
        'LIST(STRUCT(kind VARCHAR, "row" BIGINT))',
    )
    return problems


def _plain(table: pa.Table) -> pa.Table:
    """Timestamps as DuckDB gives them: without a time zone (the sessions run in UTC)."""
    for index, column in enumerate(table.schema):
        if pa.types.is_timestamp(column.type) and column.type.tz is not None:
            naive = table.column(index).cast(pa.timestamp(column.type.unit))
            table = table.set_column(index, column.name, naive)
    return table


def _name(column: str) -> str:
    return "`" + column.replace("`", "``") + "`"


class SparkEngine(rules.Engine):
    """The datasets as tables of a Spark session of their own; runs rules on them.

    The same inputs as ``rules.Engine`` (``memory_limit`` and ``threads`` are DuckDB's and
    are ignored here: Spark's memory is its configuration), plus the ``master`` and
    ``conf`` of ``session`` or an existing ``spark`` session to use."""

    def __init__(
        self,
        tables: Mapping[str, Path | str | pa.Table],
        kinship: pa.Table | None = None,
        memory_limit: str = "2GB",
        threads: int | None = None,
        *,
        master: str | None = None,
        conf: Mapping[str, str] | None = None,
        spark: SparkSession | None = None,
    ) -> None:
        unknown = sorted(set(tables) - set(SCHEMA))
        if unknown:
            raise ValueError(f"unknown dataset kind(s) {', '.join(unknown)}")
        self.given = frozenset(tables)
        self._spark = (spark or session(master, conf)).newSession()
        # A new session starts from the context's configuration: the SQL settings asked
        # for (and the sandbox's, whoever started the context) are set on it again.
        wanted = (
            {**BASE_CONF, **(conf or {})}
            if spark is not None
            else session_conf(master or DEFAULT_MASTER, conf)
        )
        for key, value in wanted.items():
            if self._spark.conf.get(key, None) != value and self._spark.conf.isModifiable(key):
                self._spark.conf.set(key, value)
        if self._spark.conf.get("spark.sql.runSQLOnFiles", None) != "false":
            raise SparkUnavailable("this Spark session cannot turn off SQL over file paths")
        self._frames: list[DataFrame] = []
        self._extra: dict[str, list[str]] = {}
        try:
            for kind in SCHEMA:
                self._load(kind, tables.get(kind))
            self._load_kinship(kinship)
            kin = self._spark.sql(translate(rules.kin_select()))
            kin.createOrReplaceTempView("kin")
        except BaseException:
            self.close()
            raise

    # -- loading

    def _arrow(self, table: pa.Table) -> DataFrame:
        with warnings.catch_warnings():
            # pyspark checks the pandas version when it reads Arrow, and warns about it.
            warnings.simplefilter("ignore", FutureWarning)
            return self._spark.createDataFrame(table)

    def _load(self, kind: str, source: Path | str | pa.Table | None) -> None:
        from pyspark.sql import functions as F

        if source is None:
            source = rules.table(kind, [])
        if isinstance(source, pa.Table):
            frame = self._arrow(source)
        else:
            frame = self._spark.read.parquet(str(source))
        present = frame.columns
        if ROW not in present:
            raise ValueError(f"the {kind} dataset has no {ROW} column")
        columns = [F.col(_name(ROW)).cast("bigint").alias(ROW)]
        for column in SCHEMA[kind]:
            value = F.col(_name(column)) if column in present else F.lit(None)
            columns.append(value.cast(_SPARK_TYPES[field_type(column)]).alias(column))
        known = {ROW, *SCHEMA[kind]}
        self._extra[kind] = [c for c in present if c not in known]
        columns += [F.col(_name(c)) for c in self._extra[kind]]
        frame = frame.select(*columns)
        if not isinstance(source, pa.Table):
            # Read once for all the rules of the run (the Parquet files may be large).
            frame = frame.persist()
            self._frames.append(frame)
        frame.createOrReplaceTempView(kind)

    def _load_kinship(self, kinship: pa.Table | None) -> None:
        from pyspark.sql import functions as F

        if kinship is None:
            frame = self._spark.createDataFrame([], "id_a string, id_b string, relation string")
        else:
            missing = {"id_a", "id_b", "relation"} - set(kinship.column_names)
            if missing:
                raise ValueError(f"the kinship table has no column(s) {', '.join(sorted(missing))}")
            frame = self._arrow(kinship.select(["id_a", "id_b", "relation"]))
            frame = frame.select(*(F.col(c).cast("string").alias(c) for c in frame.columns))
        frame.createOrReplaceTempView("kinship")

    # -- rules

    def _frame(self, spec: RuleSpec, values: Mapping[str, Any]) -> DataFrame:
        statement = rules._statement(spec.sql, spec.code)
        used = rules._used_params(statement, spec.code, set(values))
        check_select(spec.sql, [*SCHEMA, *EXTRA_TABLES], spec.code)
        params = {name: values[name] for name in used}
        try:
            sql = translate(spec.sql, params=params, columns=self._extra)
        except TranslationError as exc:
            raise RuleError(f"rule {spec.code}: cannot be run on Spark: {exc}") from None
        try:
            frame = self._spark.sql(sql, args=params or None)
        except _spark_errors() as exc:
            raise RuleError(f"rule {spec.code}: on Spark: {_first_line(exc)}") from None
        problems = _output_problems(frame.schema)
        if problems:
            raise RuleError(f"rule {spec.code}: " + "; ".join(problems))
        return frame

    def _columns(self, spec: RuleSpec, values: Mapping[str, Any]) -> list[str]:
        return list(self._frame(spec, values).columns)

    def _records(self, spec: RuleSpec, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        frame = self._frame(spec, values)
        try:
            table = frame.toArrow()
        except _spark_errors() as exc:
            raise RuleError(f"rule {spec.code}: on Spark: {_first_line(exc)}") from None
        records: list[dict[str, Any]] = _plain(table).to_pylist()
        return records

    # -- evidence

    def rows(self, kind: str, row_numbers: Iterable[int]) -> list[dict[str, Any]]:
        """The rows of a dataset with these ``_row`` numbers, in row order."""
        if kind not in SCHEMA:
            raise ValueError(f"unknown dataset kind {kind!r}")
        wanted = sorted({int(n) for n in row_numbers})
        if not wanted:
            return []
        keys = self._spark.createDataFrame([(n,) for n in wanted], f"{ROW} bigint")
        found = self._spark.table(kind).join(keys, on=ROW, how="left_semi").orderBy(ROW)
        rows: list[dict[str, Any]] = _plain(found.toArrow()).to_pylist()
        return rows

    def close(self) -> None:
        for frame in self._frames:
            with contextlib.suppress(Exception):
                frame.unpersist()
        self._frames = []
        for name in (*SCHEMA, *EXTRA_TABLES):
            with contextlib.suppress(Exception):
                self._spark.catalog.dropTempView(name)
