"""Comparison rules and the engine that runs them on stored datasets (pure; no Django).

Issue #8 ("大数据比对": rules the office can read and edit, each one SQL query over the
canonical dataset kinds, with parameters, and an explanation of every hit in Chinese and
English that points at the rows proving it).

* A rule (``RuleSpec``) is a YAML mapping: a code, names and descriptions in Chinese and
  English, the dataset kinds it reads, typed parameters with defaults, one SQL ``SELECT``
  and two explanation templates. ``parse_rule`` checks its shape; ``load_rules`` reads a
  file or a directory of files; ``builtin_rules`` is the library shipped in
  ``datacheck/rules/library.yaml``.
* Every rule's SQL returns the columns ``key`` (stable for the same situation across runs),
  ``subjects`` (the people or companies concerned), ``organisation`` (where the situation
  belongs) and ``evidence`` (the dataset rows proving it); other columns are facts for the
  explanation.
* ``Engine`` loads the datasets into an in-memory DuckDB database (one table per kind, plus
  the view ``kin`` of people related by household or by the kinship registry) and then
  closes it to the outside: rule SQL written by an office can read these tables and
  nothing else (no files, no settings, one ``SELECT`` only, run in a transaction that is
  rolled back).
* ``table`` builds the Arrow table of a kind from a few dicts (tests, the demo, the CLI).
* ``engine_for`` picks the engine by name: this DuckDB one, or ``spark.SparkEngine``
  (issue #9: a province's datasets on a Spark cluster), which runs the same rules, written
  once in DuckDB SQL and translated when they run, and gives the same hits.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.resources
import math
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import yaml

from xuncha.core.lib import kinship as kinship_lib
from xuncha.datacheck.lib.schema import ROW, SCHEMA, arrow_schema, field_type


class RuleError(ValueError):
    """A rule is malformed or cannot run; the message names the rule and what is wrong."""


# --------------------------------------------------------------------------- rule specs

PARAM_TYPES = ("int", "number", "text", "regex")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TEXTS = ("name_zh", "name_en", "description_zh", "description_en", "explain_zh", "explain_en")
_KEYS = frozenset({"code", "kinds", "params", "sql", *_TEXTS})
_PARAM_KEYS = frozenset({"name", "type", "default", "label_zh", "label_en"})
# Placeholders every template may use besides the facts.
SUBJECT_PLACEHOLDERS = ("name", "id_number", "organisation")


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # 'int' | 'number' | 'text' | 'regex'
    default: Any
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class RuleSpec:
    code: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    kinds: tuple[str, ...]
    params: tuple[Param, ...]
    sql: str
    explain_zh: str
    explain_en: str

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise RuleError(f"rule {self.code}: no parameter {name!r}")


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RuleError(f"{where}: {key} must be a non-empty text")
    return value.strip()


@functools.lru_cache(maxsize=256)
def _regex_problem(pattern: str) -> str | None:
    """Why DuckDB (RE2) refuses the pattern, or None."""
    con = duckdb.connect(":memory:")
    try:
        con.execute("SELECT regexp_matches('', $p)", {"p": pattern})
    except duckdb.Error as exc:
        return str(exc).splitlines()[0]
    finally:
        con.close()
    return None


def cast_param(param: Param, value: Any, code: str = "?") -> Any:
    """The value cast to the parameter's type; RuleError when it cannot be."""
    where = f"rule {code}, parameter {param.name}"
    if param.type == "int":
        if isinstance(value, bool):
            raise RuleError(f"{where}: {value!r} is not a whole number")
        try:
            number = Decimal(str(value).strip())
        except ArithmeticError:
            raise RuleError(f"{where}: {value!r} is not a whole number") from None
        if not number.is_finite() or number != number.to_integral_value():
            raise RuleError(f"{where}: {value!r} is not a whole number")
        return int(number)
    if param.type == "number":
        if isinstance(value, bool):
            raise RuleError(f"{where}: {value!r} is not a number")
        try:
            result = float(str(value).strip())
        except ValueError:
            raise RuleError(f"{where}: {value!r} is not a number") from None
        if not math.isfinite(result):
            raise RuleError(f"{where}: {value!r} is not a finite number")
        return result
    if value is None or isinstance(value, (dict, list, tuple, set)):
        raise RuleError(f"{where}: {value!r} is not a text")
    text = str(value)
    if param.type == "regex":
        if not text:
            raise RuleError(f"{where}: the pattern is empty")
        problem = _regex_problem(text)
        if problem:
            raise RuleError(f"{where}: {text!r} is not a valid pattern ({problem})")
    return text


def _parse_param(data: Any, code: str, index: int) -> Param:
    where = f"rule {code}, parameter {index + 1}"
    if not isinstance(data, Mapping):
        raise RuleError(f"{where}: must be a mapping with name, type, default, label_zh, label_en")
    unknown = sorted(set(data) - _PARAM_KEYS)
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {', '.join(map(str, unknown))}")
    name = data.get("name")
    if not isinstance(name, str) or not _IDENT.match(name):
        raise RuleError(f"{where}: name must be an identifier (letters, digits, _), not {name!r}")
    where = f"rule {code}, parameter {name}"
    kind = data.get("type")
    if kind not in PARAM_TYPES:
        raise RuleError(f"{where}: type must be one of {', '.join(PARAM_TYPES)}, not {kind!r}")
    if "default" not in data:
        raise RuleError(f"{where}: a default is required")
    param = Param(name, kind, None, _text(data, "label_zh", where), _text(data, "label_en", where))
    default = cast_param(param, data["default"], code)
    return Param(name, kind, default, param.label_zh, param.label_en)


def template_fields(template: str, where: str = "template") -> list[str]:
    """The placeholder names of a template; RuleError for anything but plain ``{name}``."""
    names: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise RuleError(f"{where}: {exc} (write {{{{ and }}}} for literal braces)") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not _IDENT.match(name) or spec or conversion:
            shown = "{" + name + ("!" + conversion if conversion else "")
            shown += (":" + spec if spec else "") + "}"
            raise RuleError(f"{where}: placeholder {shown} must be a plain {{name}}")
        names.append(name)
    return names


def _statement(sql: str, code: str) -> duckdb.Statement:
    """The one SELECT statement of a rule's SQL; RuleError otherwise."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise RuleError(f"rule {code}: the SQL does not parse: {exc}") from None
    if len(statements) != 1:
        raise RuleError(
            f"rule {code}: the SQL must be exactly one SELECT statement, not {len(statements)}"
        )
    statement = statements[0]
    if statement.type != duckdb.StatementType.SELECT:
        name = getattr(statement.type, "name", str(statement.type))
        raise RuleError(f"rule {code}: the SQL must be a SELECT statement, not {name}")
    return statement


def _used_params(statement: duckdb.Statement, spec_code: str, declared: set[str]) -> set[str]:
    used = set(statement.named_parameters)
    positional = sorted(n for n in used if n.isdigit())
    if positional:
        raise RuleError(
            f"rule {spec_code}: positional parameters (? or $1) are not allowed; use $name"
        )
    undeclared = sorted(used - declared)
    if undeclared:
        names = ", ".join("$" + n for n in undeclared)
        raise RuleError(
            f"rule {spec_code}: the SQL uses {names} but the rule declares no such parameter"
        )
    return used


def parse_rule(data: Mapping[str, Any]) -> RuleSpec:
    """A rule from its YAML mapping, checked: known keys, texts present, known dataset kinds,
    typed parameters whose defaults fit, one SELECT using only declared parameters, and
    templates with plain ``{name}`` placeholders. Whether a placeholder names an output
    column can only be known on a database: ``Engine.check`` tells."""
    if not isinstance(data, Mapping):
        raise RuleError(f"a rule must be a mapping, not {type(data).__name__}")
    code = data.get("code")
    if not isinstance(code, str) or not _CODE.match(code):
        raise RuleError(f"rule code must be lower-case letters, digits and _, not {code!r}")
    where = f"rule {code}"
    unknown = sorted(set(map(str, data)) - _KEYS)
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {', '.join(unknown)}")
    texts = {key: _text(data, key, where) for key in _TEXTS}
    kinds = data.get("kinds")
    if isinstance(kinds, str):
        kinds = [kinds]
    if not isinstance(kinds, list) or not kinds:
        raise RuleError(f"{where}: kinds must be a non-empty list of dataset kinds")
    bad = [k for k in kinds if k not in SCHEMA]
    if bad:
        raise RuleError(
            f"{where}: unknown dataset kind(s) {', '.join(map(str, bad))}"
            f" (known: {', '.join(SCHEMA)})"
        )
    raw_params = data.get("params") or []
    if not isinstance(raw_params, list):
        raise RuleError(f"{where}: params must be a list")
    params = tuple(_parse_param(p, code, i) for i, p in enumerate(raw_params))
    names = [p.name for p in params]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise RuleError(f"{where}: parameter(s) declared twice: {', '.join(twice)}")
    sql = data.get("sql")
    if not isinstance(sql, str) or not sql.strip():
        raise RuleError(f"{where}: sql must be a non-empty text")
    _used_params(_statement(sql, code), code, set(names))
    template_fields(texts["explain_zh"], f"{where}, explain_zh")
    template_fields(texts["explain_en"], f"{where}, explain_en")
    return RuleSpec(
        code=code,
        name_zh=texts["name_zh"],
        name_en=texts["name_en"],
        description_zh=texts["description_zh"],
        description_en=texts["description_en"],
        kinds=tuple(dict.fromkeys(kinds)),
        params=params,
        sql=sql.strip(),
        explain_zh=texts["explain_zh"],
        explain_en=texts["explain_en"],
    )


def parse_rules(data: Any, source: str = "rules") -> list[RuleSpec]:
    """The rules of one YAML document (a list of mappings); codes must be unique."""
    if not isinstance(data, list):
        raise RuleError(f"{source}: expected a list of rules")
    specs: list[RuleSpec] = []
    for index, item in enumerate(data):
        try:
            specs.append(parse_rule(item))
        except RuleError as exc:
            raise RuleError(f"{source}, rule {index + 1}: {exc}") from None
    return _unique(specs, source)


def _unique(specs: list[RuleSpec], source: str) -> list[RuleSpec]:
    codes = [s.code for s in specs]
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        raise RuleError(f"{source}: rule code(s) used twice: {', '.join(twice)}")
    return specs


def _load_yaml(text: str, source: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleError(f"{source}: not valid YAML: {exc}") from None


def load_rules(path: Path) -> list[RuleSpec]:
    """The rules of one YAML file (a list), or of every ``*.yaml`` file of a directory in
    name order."""
    path = Path(path)
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    specs: list[RuleSpec] = []
    for file in files:
        specs.extend(parse_rules(_load_yaml(file.read_text("utf-8"), file.name), file.name))
    return _unique(specs, str(path))


@functools.lru_cache(maxsize=1)
def _builtin() -> tuple[RuleSpec, ...]:
    text = (
        importlib.resources.files("xuncha.datacheck.rules")
        .joinpath("library.yaml")
        .read_text("utf-8")
    )
    return tuple(parse_rules(_load_yaml(text, "library.yaml"), "library.yaml"))


def builtin_rules() -> list[RuleSpec]:
    """The rule library shipped with Xuncha."""
    return list(_builtin())


def resolve_params(spec: RuleSpec, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The rule's defaults with ``overrides`` applied, each cast to its parameter's type."""
    values = spec.defaults()
    for name, value in (overrides or {}).items():
        values[name] = cast_param(spec.param(name), value, spec.code)
    return values


# --------------------------------------------------------------------------- hits


@dataclass(frozen=True)
class Hit:
    rule: str
    key: str
    subjects: tuple[tuple[str, str], ...]  # (id number or credit code, name)
    organisation: str
    evidence: tuple[tuple[str, int], ...]  # (kind, _row)
    facts: dict[str, Any] = field(default_factory=dict)


_PLAIN = frozenset({str, int, bool})


# Several files of one kind are compared as one table: the i-th file's row numbers are
# offset by i * ROW_BLOCK, and ``unstack`` gives the file and its row back for the evidence.
ROW_BLOCK = 1_000_000_000


def stack(parts: Sequence[pa.Table]) -> pa.Table:
    """One table of several tables of one kind, their ``_row`` offset by their position."""
    import pyarrow.compute as pc

    shifted = []
    for index, table in enumerate(parts):
        rows = pc.add(table.column(ROW), pa.scalar(index * ROW_BLOCK, pa.int64()))
        shifted.append(table.set_column(table.schema.get_field_index(ROW), ROW, rows))
    return pa.concat_tables(shifted)


def unstack(row: int) -> tuple[int, int]:
    """(position of the file in ``stack``, row number in that file)."""
    return row // ROW_BLOCK, row % ROW_BLOCK


def jsonable(value: Any) -> Any:
    """A value from DuckDB as JSON-able data: dates ISO, decimals as text, lists and
    structs recursively, anything else (intervals, UUIDs) as its text."""
    if value is None or type(value) in _PLAIN:
        return value
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)  # Decimal, timedelta, UUID, Arrow scalars


def _render(value: Any) -> str:
    if value is None or value == "":
        return "?"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return format(value, ".15g")
    if isinstance(value, (list, tuple)):
        return "、".join(_render(v) for v in value) or "?"
    return str(jsonable(value))


def explain(
    template: str,
    facts: Mapping[str, Any],
    subjects: Sequence[tuple[str, str]],
    organisation: str,
) -> str:
    """The template with ``{name}`` and ``{id_number}`` (the subjects', joined by 、),
    ``{organisation}`` and any fact filled in; a placeholder with no value renders "?"."""
    values: dict[str, Any] = {
        "name": [n for _, n in subjects if n],
        "id_number": [i for i, _ in subjects if i],
        "organisation": organisation,
    }
    values.update(facts)
    out: list[str] = []
    for literal, name, _, _ in string.Formatter().parse(template):
        out.append(literal)
        if name is not None:
            out.append(_render(values.get(name)))
    return "".join(out)


# --------------------------------------------------------------------------- tables

_DUCK_TYPES = {
    "id": "VARCHAR",
    "name": "VARCHAR",
    "text": "VARCHAR",
    "date": "DATE",
    "month": "DATE",
    "amount": "DECIMAL(18,2)",
    "number": "DOUBLE",
}


def _arrow_value(column: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    kind = field_type(column)
    if kind in ("date", "month") and isinstance(value, str):
        text = value.strip()
        day = dt.date.fromisoformat(text if len(text) > 7 else text + "-01")
        return day.replace(day=1) if kind == "month" else day
    if kind == "month" and isinstance(value, dt.date):
        return value.replace(day=1)
    if kind == "amount":
        return Decimal(str(value)).quantize(Decimal("0.01"))
    if kind == "number":
        return float(value)
    return value


def table(kind: str, rows: Sequence[Mapping[str, Any]], first_row: int = 2) -> pa.Table:
    """The Arrow table of a kind from a few dicts (field -> value): absent fields are null,
    ``_row`` numbers the rows from ``first_row`` (2: the line under one header row) unless
    a dict gives it. Dates may be ISO texts, months "2024-03", amounts any number."""
    schema = arrow_schema(kind)
    for row in rows:
        unknown = sorted(set(row) - set(schema.names))
        if unknown:
            raise ValueError(f"{kind} has no column(s) {', '.join(unknown)}")
    columns: dict[str, list[Any]] = {
        ROW: [int(r.get(ROW) or first_row + i) for i, r in enumerate(rows)]
    }
    for column in SCHEMA[kind]:
        columns[column] = [_arrow_value(column, r.get(column)) for r in rows]
    return pa.table(columns, schema=schema)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _select_list(kind: str, present: Sequence[str]) -> str:
    """Columns of the kind cast to their types (absent ones null), extra columns kept."""
    if ROW not in present:
        raise ValueError(f"the {kind} dataset has no {ROW} column")
    parts = [f"CAST({_quote(ROW)} AS BIGINT) AS {_quote(ROW)}"]
    for column in SCHEMA[kind]:
        duck = _DUCK_TYPES[field_type(column)]
        source = _quote(column) if column in present else "NULL"
        parts.append(f"CAST({source} AS {duck}) AS {_quote(column)}")
    known = {ROW, *SCHEMA[kind]}
    parts += [_quote(c) for c in present if c not in known]
    return ", ".join(parts)


# Registry relations: Chinese and English labels (as core.models.KinshipRelation says).
RELATION_LABELS: dict[str, tuple[str, str]] = {
    "spouse": ("配偶", "spouse"),
    "parent": ("父母", "parent"),
    "child": ("子女", "child"),
    "grandparent": ("祖父母或外祖父母", "grandparent"),
    "grandchild": ("孙子女或外孙子女", "grandchild"),
    "sibling": ("兄弟姐妹", "sibling"),
    "uncle_aunt": ("伯叔姑舅姨", "uncle or aunt"),
    "nephew_niece": ("侄子女或外甥子女", "nephew or niece"),
    "cousin": ("堂表兄弟姐妹", "cousin"),
    "parent_in_law": ("配偶的父母", "parent-in-law"),
    "child_in_law": ("子女的配偶", "son- or daughter-in-law"),
    "sibling_in_law": ("姻亲兄弟姐妹", "sibling-in-law"),
}


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _case(column: str, mapping: Mapping[str, str]) -> str:
    whens = " ".join(f"WHEN {_sql_text(k)} THEN {_sql_text(v)}" for k, v in mapping.items())
    return f"CASE {column} {whens} ELSE {column} END"


def _kin_view() -> str:
    return f"CREATE VIEW kin AS {kin_select()}"


def kin_select() -> str:
    """The query of the view ``kin`` (the Spark engine makes the view from it too): pairs
    of people, both ways. Two members of one household (the relation is their two household
    relations, "妻/户主"; row_a and row_b their household rows) and the registry's relations
    ("a is <relation> of b", reversed with the inverse relation)."""
    inverse = {r: kinship_lib.inverse(r) for r in kinship_lib.RELATIONS}
    zh = {r: labels[0] for r, labels in RELATION_LABELS.items()}
    en = {r: labels[1] for r, labels in RELATION_LABELS.items()}
    pair = "coalesce(a.relation, '?') || '/' || coalesce(b.relation, '?')"
    registry = """
        SELECT id_a, id_b, {relation} AS relation, 'registry' AS source,
               {zh} AS relation_zh, {en} AS relation_en,
               CAST(NULL AS BIGINT) AS row_a, CAST(NULL AS BIGINT) AS row_b
        FROM (SELECT {a} AS id_a, {b} AS id_b, {rel} AS relation FROM kinship
              WHERE id_a IS NOT NULL AND id_b IS NOT NULL AND id_a <> id_b)
    """
    forward = registry.format(
        relation="relation",
        zh=_case("relation", zh),
        en=_case("relation", en),
        a="id_a",
        b="id_b",
        rel="relation",
    )
    backward = registry.format(
        relation="relation",
        zh=_case("relation", zh),
        en=_case("relation", en),
        a="id_b",
        b="id_a",
        rel=_case("relation", inverse),
    )
    # Only constants of this module go into the text (the kind names and relation labels).
    return f"""
        SELECT a.id_number AS id_a, b.id_number AS id_b, {pair} AS relation,
               'household' AS source, {pair} AS relation_zh, {pair} AS relation_en,
               a.{ROW} AS row_a, b.{ROW} AS row_b
        FROM household a JOIN household b
          ON a.household = b.household AND a.id_number <> b.id_number
        UNION ALL {forward}
        UNION ALL {backward}
    """  # noqa: S608


# --------------------------------------------------------------------------- engine

_STRING_TYPES = ("varchar",)
_INTEGER_TYPES = ("tinyint", "smallint", "integer", "bigint", "utinyint", "usmallint", "uinteger")
REQUIRED_COLUMNS = ("key", "subjects", "organisation", "evidence")


def _struct_list_problem(
    column: str, typ: Any, fields: Mapping[str, tuple[str, ...]], shape: str
) -> str | None:
    wrong = f"{column} must be {shape}, not {typ}"
    if typ.id != "list":
        return wrong
    child = typ.children[0][1]
    if child.id != "struct":
        return wrong
    members = {name: member.id for name, member in child.children}
    if set(members) != set(fields):
        return wrong
    if any(members[name] not in allowed for name, allowed in fields.items()):
        return wrong
    return None


def _output_problems(names: Sequence[str], types: Sequence[Any]) -> list[str]:
    problems: list[str] = []
    twice = sorted({n for n in names if list(names).count(n) > 1})
    if twice:
        problems.append(f"column name(s) used twice: {', '.join(twice)}")
    by_name = dict(zip(names, types, strict=True))
    for column in REQUIRED_COLUMNS:
        if column not in by_name:
            problems.append(f"no column {column!r}")
    if "key" in by_name and by_name["key"].id not in _STRING_TYPES:
        problems.append(f"key must be VARCHAR, not {by_name['key']}")
    if "organisation" in by_name and by_name["organisation"].id not in (*_STRING_TYPES, "null"):
        problems.append(f"organisation must be VARCHAR, not {by_name['organisation']}")
    if "subjects" in by_name:
        problem = _struct_list_problem(
            "subjects",
            by_name["subjects"],
            {"id": ("varchar", "null"), "name": ("varchar", "null")},
            "LIST(STRUCT(id VARCHAR, name VARCHAR))",
        )
        problems += [problem] if problem else []
    if "evidence" in by_name:
        problem = _struct_list_problem(
            "evidence",
            by_name["evidence"],
            {"kind": ("varchar",), "row": _INTEGER_TYPES},
            'LIST(STRUCT(kind VARCHAR, "row" BIGINT))',
        )
        problems += [problem] if problem else []
    return problems


def _pairs(items: Any, first: str, second: str) -> list[tuple[Any, Any]]:
    """The (first, second) members of a list of structs, repeats dropped, order kept."""
    return list(dict.fromkeys((i[first], i[second]) for i in items or () if i is not None))


class Engine:
    """An in-memory DuckDB database holding the datasets; runs rules on them."""

    def __init__(
        self,
        tables: Mapping[str, Path | str | pa.Table],
        kinship: pa.Table | None = None,
        memory_limit: str = "2GB",
        threads: int | None = None,
    ) -> None:
        unknown = sorted(set(tables) - set(SCHEMA))
        if unknown:
            raise ValueError(f"unknown dataset kind(s) {', '.join(unknown)}")
        config: dict[str, Any] = {"memory_limit": memory_limit}
        if threads:
            config["threads"] = threads
        self.given = frozenset(tables)
        self._con = duckdb.connect(":memory:", config=config)
        try:
            for kind in SCHEMA:
                self._load(kind, tables.get(kind))
            self._load_kinship(kinship)
            self._con.execute(_kin_view())
            # From here on SQL reads these tables only: no files, no Python variables
            # (DuckDB's replacement scans), and no setting can be changed back.
            self._con.execute("SET python_enable_replacements = false")
            self._con.execute("SET enable_external_access = false")
            self._con.execute("SET lock_configuration = true")
        except BaseException:
            self._con.close()
            raise

    def _load(self, kind: str, source: Path | str | pa.Table | None) -> None:
        if source is None:
            source = table(kind, [])
        if isinstance(source, pa.Table):
            name = f"_arrow_{kind}"
            self._con.register(name, source)
            select = _select_list(kind, source.column_names)
            # kind is a key of SCHEMA; the columns are quoted identifiers
            create = f"CREATE TABLE {_quote(kind)} AS SELECT {select} FROM {name}"  # noqa: S608
            self._con.execute(create)
            self._con.unregister(name)
            return
        path = str(source)
        present = self._con.read_parquet(path).columns
        select = _select_list(kind, present)
        self._con.execute(
            f"CREATE TABLE {_quote(kind)} AS SELECT {select} FROM read_parquet($path)",  # noqa: S608
            {"path": path},
        )

    def _load_kinship(self, kinship: pa.Table | None) -> None:
        self._con.execute("CREATE TABLE kinship (id_a VARCHAR, id_b VARCHAR, relation VARCHAR)")
        if kinship is None:
            return
        missing = {"id_a", "id_b", "relation"} - set(kinship.column_names)
        if missing:
            raise ValueError(f"the kinship table has no column(s) {', '.join(sorted(missing))}")
        self._con.register("_arrow_kinship", kinship)
        self._con.execute(
            "INSERT INTO kinship SELECT CAST(id_a AS VARCHAR), CAST(id_b AS VARCHAR),"
            " CAST(relation AS VARCHAR) FROM _arrow_kinship"
        )
        self._con.unregister("_arrow_kinship")

    # -- rules

    def missing(self, spec: RuleSpec) -> list[str]:
        """The dataset kinds the rule reads that were not given (they are empty)."""
        return [k for k in spec.kinds if k not in self.given]

    def _relation(self, spec: RuleSpec, values: Mapping[str, Any]) -> duckdb.DuckDBPyRelation:
        statement = _statement(spec.sql, spec.code)
        used = _used_params(statement, spec.code, set(values))
        params = {name: values[name] for name in used}
        try:
            relation = self._con.sql(spec.sql, params=params)
        except duckdb.Error as exc:
            raise RuleError(f"rule {spec.code}: {exc}") from None
        if relation is None:  # pragma: no cover - a SELECT always gives a relation
            raise RuleError(f"rule {spec.code}: the SQL returns no result")
        problems = _output_problems(relation.columns, relation.types)
        if problems:
            raise RuleError(f"rule {spec.code}: " + "; ".join(problems))
        return relation

    def _columns(self, spec: RuleSpec, values: Mapping[str, Any]) -> list[str]:
        """The output columns of the rule's SQL bound with these values (nothing is read)."""
        self._con.begin()
        try:
            return list(self._relation(spec, values).columns)
        finally:
            self._con.rollback()

    def _records(self, spec: RuleSpec, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The rows the rule's SQL returns, as dicts."""
        self._con.begin()
        try:
            relation = self._relation(spec, values)
            try:
                records: list[dict[str, Any]] = relation.to_arrow_table().to_pylist()
            except duckdb.Error as exc:
                raise RuleError(f"rule {spec.code}: {exc}") from None
        finally:
            self._con.rollback()
        return records

    def check(self, spec: RuleSpec) -> None:
        """RuleError unless the rule's SQL is one SELECT that binds on these tables with its
        defaults, returns the required columns with their types, and its templates name
        only output columns (or name, id_number, organisation)."""
        columns = self._columns(spec, spec.defaults())
        known = set(columns) | set(SUBJECT_PLACEHOLDERS)
        for key in ("explain_zh", "explain_en"):
            where = f"rule {spec.code}, {key}"
            unknown = [n for n in template_fields(getattr(spec, key), where) if n not in known]
            if unknown:
                raise RuleError(
                    f"{where}: {{{unknown[0]}}} is not an output column of the SQL"
                    f" (columns: {', '.join(columns)})"
                )

    def run(self, spec: RuleSpec, params: Mapping[str, Any] | None = None) -> list[Hit]:
        """The rule's hits, in key order; ``params`` override the defaults."""
        values = resolve_params(spec, params)
        return self._hits(spec, self._records(spec, values))

    @classmethod
    def _hits(cls, spec: RuleSpec, records: Iterable[dict[str, Any]]) -> list[Hit]:
        hits: dict[str, Hit] = {}
        for record in records:
            hit = cls._hit(spec, record)
            if hit.key in hits:
                raise RuleError(
                    f"rule {spec.code}: key {hit.key!r} is returned twice"
                    " (one row per situation: group by the key)"
                )
            hits[hit.key] = hit
        return [hits[k] for k in sorted(hits)]

    @staticmethod
    def _hit(spec: RuleSpec, row: dict[str, Any]) -> Hit:
        key = row.pop("key")
        if key is None or key == "":
            raise RuleError(f"rule {spec.code}: a row has an empty key")
        subjects = tuple(
            (str(i or ""), str(n or ""))
            for i, n in _pairs(row.pop("subjects"), "id", "name")
            if i or n
        )
        evidence = tuple(
            (k, r)
            for k, r in _pairs(row.pop("evidence"), "kind", "row")
            if k is not None and r is not None
        )
        organisation = row.pop("organisation") or ""
        facts = {name: jsonable(value) for name, value in row.items()}
        return Hit(spec.code, str(key), subjects, str(organisation), evidence, facts)

    # -- evidence

    def rows(self, kind: str, row_numbers: Iterable[int]) -> list[dict[str, Any]]:
        """The rows of a dataset with these ``_row`` numbers, in row order."""
        if kind not in SCHEMA:
            raise ValueError(f"unknown dataset kind {kind!r}")
        wanted = sorted({int(n) for n in row_numbers})
        if not wanted:
            return []
        relation = self._con.sql(
            f"SELECT * FROM {_quote(kind)} WHERE {ROW} IN (SELECT unnest($rows))"  # noqa: S608
            f" ORDER BY {ROW}",
            params={"rows": wanted},
        )
        names = relation.columns
        return [dict(zip(names, r, strict=True)) for r in relation.fetchall()]

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------- choosing one

ENGINES = ("duckdb", "spark")


def engine_for(
    name: str,
    tables: Mapping[str, Path | str | pa.Table],
    kinship: pa.Table | None = None,
    *,
    spark_master: str | None = None,
    spark_conf: Mapping[str, str] | None = None,
) -> Engine:
    """The engine called ``name`` over these datasets: ``duckdb`` (in memory, this
    process) or ``spark`` (``datacheck.lib.spark``: the same rules translated to Spark SQL,
    on ``spark_master``, local[2] when not given, with ``spark_conf``). Both give the
    same hits; the Spark one needs the ``xuncha[spark]`` extra and Java."""
    if name == "duckdb":
        return Engine(tables, kinship=kinship)
    if name == "spark":
        from xuncha.datacheck.lib.spark import SparkEngine

        return SparkEngine(tables, kinship=kinship, master=spark_master, conf=spark_conf)
    raise ValueError(f"unknown engine {name!r} (one of {', '.join(ENGINES)})")
