"""``xuncha teams``: form inspection teams from a JSON instance file, without the database.

``xuncha teams solve INSTANCE.json --out RESULT.json`` checks the file against the JSON
Schema of docs/formats/team-instance.md, reads it with ``formation.from_json``, staffs the
teams (CP-SAT, or the greedy rule of thumb with ``--greedy``), re-checks the teams with
``formation.validate`` and writes the result with a ``violations`` list (always empty for
teams that were formed). ``xuncha teams schema`` prints the JSON Schema itself; the copy in
docs/formats is that output, and a test keeps the two equal.

Exit status: 0 when teams were formed, 1 when none were (infeasible, or nothing found in
time: the explanation is printed and written), 2 for a bad instance file or bad options
(the output file is then not written).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xuncha.talent.lib import formation

SCHEMA_ID = "urn:xuncha:formats:team-instance:1"
_SPECIALTY_LIST = {"type": "array", "items": {"type": "string", "minLength": 1}}


# Counts (people, rounds, sizes) stay far below this; ids fit in a JSON number exactly.
# Beyond them the solver's integer model would overflow, so the file is refused instead.
COUNT_MAX = 10_000
ID_MAX = 2**53 - 1
_ID = {"type": "integer", "minimum": 0, "maximum": ID_MAX}


def _integer(description: str, default: int | None = None, minimum: int = 0) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "type": "integer",
        "minimum": minimum,
        "maximum": COUNT_MAX,
        "description": description,
    }
    if default is not None:
        spec["default"] = default
    return spec


def instance_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of an instance file, as docs/formats publishes it."""
    team_defaults = formation.TeamSpec(0, "", (), frozenset())
    rules_defaults = formation.Rules()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Xuncha team-formation instance",
        "description": (
            "Candidates, teams to staff, recusal exclusions and rules of one round "
            "(docs/formats/team-instance.md)."
        ),
        "type": "object",
        "required": ["candidates", "teams"],
        "additionalProperties": False,
        "properties": {
            "format": {"const": formation.INSTANCE_FORMAT},
            "candidates": {"type": "array", "items": {"$ref": "#/$defs/candidate"}},
            "teams": {"type": "array", "items": {"$ref": "#/$defs/team"}},
            "forbidden": {"type": "array", "items": {"$ref": "#/$defs/forbidden"}, "default": []},
            "rules": {"$ref": "#/$defs/rules"},
            "previous_pairs": {
                "type": "array",
                "description": "pairs of person ids who served together recently",
                "items": {
                    "type": "array",
                    "items": _ID,
                    "minItems": 2,
                    "maxItems": 2,
                },
                "default": [],
            },
        },
        "$defs": {
            "candidate": {
                "type": "object",
                "required": ["person_id", "name", "county"],
                "additionalProperties": False,
                "properties": {
                    "person_id": {**_ID, "description": "unique in the file"},
                    "name": {"type": "string", "minLength": 1},
                    "county": {"type": "string", "description": "home county code"},
                    "specialties": {**_SPECIALTY_LIST, "default": []},
                    "leader_eligible": {"type": "boolean", "default": False},
                    "rounds_done": _integer("rounds served before", 0),
                    "available": {"type": "boolean", "default": True},
                    "workload": _integer("rounds in the last 12 months", 0),
                    "qualified": {
                        "type": "boolean",
                        "default": True,
                        "description": "holds a qualification valid on the round's first day",
                    },
                },
            },
            "team": {
                "type": "object",
                "required": ["index", "label"],
                "additionalProperties": False,
                "properties": {
                    "index": {**_ID, "description": "unique in the file"},
                    "label": {"type": "string"},
                    "target_ids": {"type": "array", "items": _ID, "default": []},
                    "target_counties": {
                        "type": "array",
                        "items": {"type": "string"},
                        "default": [],
                    },
                    "size_min": _integer("people in all, at least", team_defaults.size_min),
                    "size_max": _integer("people in all, at most", team_defaults.size_max),
                    "deputies_min": _integer("deputies, at least", team_defaults.deputies_min),
                    "deputies_max": _integer("deputies, at most", team_defaults.deputies_max),
                    "required_specialties": {
                        **_SPECIALTY_LIST,
                        "default": sorted(team_defaults.required_specialties),
                    },
                },
            },
            "forbidden": {
                "type": "object",
                "required": ["person_id", "team_index", "role", "rule"],
                "additionalProperties": False,
                "properties": {
                    "person_id": _ID,
                    "team_index": _ID,
                    "role": {"enum": sorted(formation.FORBIDDEN_ROLES)},
                    "rule": {"type": "string", "description": "e.g. worked_recently"},
                    "evidence": {"type": "string", "default": ""},
                },
            },
            "rules": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "min_experienced": _integer(
                        "people with 2+ rounds per team, at least", rules_defaults.min_experienced
                    ),
                    "max_first_timers": _integer(
                        "people with no round per team, at most", rules_defaults.max_first_timers
                    ),
                    "cross": {"type": "boolean", "default": rules_defaults.cross},
                    "relaxed": {
                        "type": "array",
                        "items": {"enum": sorted(formation.RELAXABLE)},
                        "uniqueItems": True,
                        "default": [],
                    },
                },
            },
        },
    }


# -- a small JSON Schema checker ------------------------------------------------------------
#
# jsonschema is not a dependency; the schema above uses only these keywords: $ref (local),
# type, const, enum, required, properties, additionalProperties (false), items, minItems,
# maxItems, uniqueItems, minimum, maximum, minLength. Anything else in a schema is an error here,
# so a keyword added later cannot be silently ignored.

_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "title", "description", "default"})
_CHECKED = frozenset(
    {
        "$ref",
        "type",
        "const",
        "enum",
        "required",
        "properties",
        "additionalProperties",
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minimum",
        "maximum",
        "minLength",
    }
)
_TYPE_WORDS = {
    "object": "an object",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "boolean": "true or false",
}


def schema_errors(data: Any, schema: Mapping[str, Any]) -> list[str]:
    """Every place where ``data`` breaks ``schema``, as "path: problem" ([] = valid)."""
    errors: list[str] = []
    _check(data, schema, schema, "", errors)
    return errors


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_type(value: Any, name: str) -> bool:
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "string":
        return isinstance(value, str)
    if name == "integer":
        # JSON has one number type: 3.0 is an integer, true is not.
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if name == "boolean":
        return isinstance(value, bool)
    raise ValueError(f"schema type {name!r} is not supported")


def _check(
    value: Any, schema: Mapping[str, Any], root: Mapping[str, Any], path: str, errors: list[str]
) -> None:
    unknown = set(schema) - _CHECKED - _ANNOTATIONS
    if unknown:
        raise ValueError(f"schema keywords {sorted(unknown)} are not supported")
    where = path or "(top level)"
    if "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/$defs/"):
            raise ValueError(f"schema reference {ref!r} is not supported")
        _check(value, root["$defs"][ref.removeprefix("#/$defs/")], root, path, errors)
    if "type" in schema and not _is_type(value, schema["type"]):
        errors.append(f"{where}: expected {_TYPE_WORDS[schema['type']]}, got {_show(value)}")
        return  # the other keywords would only repeat the type error
    if "const" in schema and value != schema["const"]:
        errors.append(f"{where}: expected {_show(schema['const'])}, got {_show(value)}")
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(_show(v) for v in schema["enum"])
        errors.append(f"{where}: expected one of {allowed}, got {_show(value)}")
    if "minimum" in schema and _is_type(value, "integer") and value < schema["minimum"]:
        errors.append(f"{where}: must be at least {schema['minimum']}, got {_show(value)}")
    if "maximum" in schema and _is_type(value, "integer") and value > schema["maximum"]:
        errors.append(f"{where}: must be at most {schema['maximum']:,}, got {_show(value)}")
    if "minLength" in schema and isinstance(value, str) and len(value) < schema["minLength"]:
        errors.append(f"{where}: must not be empty")
    if isinstance(value, dict):
        _check_object(value, schema, root, path, errors)
    if isinstance(value, list):
        _check_array(value, schema, root, path, errors)


def _check_object(
    value: dict[str, Any],
    schema: Mapping[str, Any],
    root: Mapping[str, Any],
    path: str,
    errors: list[str],
) -> None:
    where = path or "(top level)"
    properties: Mapping[str, Any] = schema.get("properties", {})
    for key in schema.get("required", []):
        if key not in value:
            errors.append(f"{where}: missing required field {_show(key)}")
    for key, item in value.items():
        child = f"{path}.{key}" if path else key
        if key in properties:
            _check(item, properties[key], root, child, errors)
        elif schema.get("additionalProperties", True) is False:
            allowed = ", ".join(sorted(properties))
            errors.append(f"{child}: unknown field (allowed here: {allowed})")


def _check_array(
    value: list[Any],
    schema: Mapping[str, Any],
    root: Mapping[str, Any],
    path: str,
    errors: list[str],
) -> None:
    where = path or "(top level)"
    if "minItems" in schema and len(value) < schema["minItems"]:
        errors.append(f"{where}: needs at least {schema['minItems']} items, got {len(value)}")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        errors.append(f"{where}: allows at most {schema['maxItems']} items, got {len(value)}")
    if schema.get("uniqueItems"):
        seen: list[Any] = []
        for item in value:
            if item in seen:
                errors.append(f"{where}: {_show(item)} appears more than once")
            seen.append(item)
    if "items" in schema:
        for position, item in enumerate(value):
            _check(item, schema["items"], root, f"{where}[{position}]", errors)


# -- the command ----------------------------------------------------------------------------

EXIT_FORMED = 0
EXIT_NO_TEAMS = 1
EXIT_BAD_INPUT = 2
SEED_MAX = 2**31 - 1  # CP-SAT's random seed is a 32-bit signed integer
TIME_LIMIT_MAX = 86_400.0
EXIT_HELP = (
    "exit status: 0 teams formed; 1 no teams formed (infeasible, or none found in time: "
    "the reasons are printed and written to RESULT); 2 bad instance file or options "
    "(RESULT is not written, and a RESULT left by an earlier run stays as it was)"
)
_ERRORS_SHOWN = 20  # a file with hundreds of bad rows lists the first ones


class Command(BaseCommand):
    help = (
        "Form inspection teams from a JSON instance (no database). `solve` writes the teams, "
        "`schema` prints the instance file's JSON Schema (docs/formats/team-instance.md)."
    )
    requires_system_checks: list[str] = []  # works without a configured database

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        solve = actions.add_parser(
            "solve",
            help="staff the teams of INSTANCE and write RESULT",
            description="Staff the teams of an instance file and write the result file.",
            epilog=EXIT_HELP,
        )
        solve.add_argument(
            "instance", metavar="INSTANCE.json", type=Path, help="docs/formats/team-instance.md"
        )
        solve.add_argument(
            "--out",
            metavar="RESULT.json",
            type=Path,
            required=True,
            help="where to write the teams (not written for bad input)",
        )
        solve.add_argument(
            "--time-limit",
            type=float,
            default=30.0,
            metavar="SECONDS",
            help="solver budget (default 30; in CP-SAT's deterministic units unless "
            "--no-deterministic, see formation.solve)",
        )
        solve.add_argument("--seed", type=int, default=0, help="solver random seed (default 0)")
        solve.add_argument(
            "--no-deterministic",
            action="store_true",
            help="two search threads racing under a wall-clock limit (runs may differ)",
        )
        solve.add_argument(
            "--greedy",
            action="store_true",
            help="use the rule-of-thumb baseline instead of the solver",
        )
        actions.add_parser("schema", help="print the instance file's JSON Schema")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "schema":
            self.stdout.write(json.dumps(instance_schema(), indent=2, ensure_ascii=False))
            return
        self._solve(
            source=options["instance"],
            target=options["out"],
            time_limit=options["time_limit"],
            seed=options["seed"],
            deterministic=not options["no_deterministic"],
            use_greedy=options["greedy"],
        )

    def _solve(
        self,
        *,
        source: Path,
        target: Path,
        time_limit: float,
        seed: int,
        deterministic: bool,
        use_greedy: bool,
    ) -> None:
        if not math.isfinite(time_limit) or time_limit <= 0 or time_limit > TIME_LIMIT_MAX:
            raise CommandError(
                f"--time-limit must be a number above 0 and at most {TIME_LIMIT_MAX:g}",
                returncode=EXIT_BAD_INPUT,
            )
        if not 0 <= seed <= SEED_MAX:
            raise CommandError(
                f"--seed must be between 0 and {SEED_MAX}", returncode=EXIT_BAD_INPUT
            )
        _check_target(target)
        instance = read_instance(source)
        people = sum(1 for c in instance.candidates if c.available)
        method = "greedy baseline" if use_greedy else "CP-SAT"
        self.stderr.write(
            f"{source}: {_count(len(instance.candidates), 'candidate')} ({people} available), "
            f"{_count(len(instance.teams), 'team')}, "
            f"{_count(len(instance.forbidden), 'recusal exclusion')}; "
            f"{method}" + ("" if use_greedy else f", limit {time_limit:g}, seed {seed}")
        )

        def progress(objective: float, bound: float | None, seconds: float | None) -> None:
            # + 0.0 turns a -0.0 (no teams, nothing scored) into 0.0.
            line = f"  {seconds or 0.0:7.1f} s  objective {objective + 0.0:,.1f}"
            gap = formation.relative_gap(objective, bound)
            if bound is not None and gap is not None:
                line += f"  bound {bound + 0.0:,.1f}  gap {gap + 0.0:.2%}"
            self.stderr.write(line)

        if use_greedy:
            result = formation.greedy(instance)
        else:
            result = formation.solve(
                instance,
                time_limit=time_limit,
                seed=seed,
                progress=progress,
                deterministic=deterministic,
            )
        violations = formation.validate(instance, result.assignments) if result.assignments else []
        data = formation.result_to_json(result)
        data["violations"] = violations
        data["score_terms"] = (
            formation.score_terms(instance, result.assignments) if result.assignments else None
        )
        try:
            _write_json(target, data)
        except OSError as exc:
            raise CommandError(
                f"{target}: cannot write: {exc.strerror or exc}", returncode=EXIT_BAD_INPUT
            ) from None

        formed = result.status in ("optimal", "feasible") and not violations
        if not formed:
            for line in result.explanation:
                self.stderr.write(f"  {line}")
            for line in violations:
                self.stderr.write(f"  rule broken: {line}")
            raise CommandError(
                f"no teams formed ({result.status}); the reasons are above and in {target}",
                returncode=EXIT_NO_TEAMS,
            )
        placed = len(result.assignments)
        summary = (
            f"{result.status}: {_count(len(instance.teams), 'team')}, "
            f"{_count(placed, 'person', 'people')}; "
            f"objective {result.objective:,.1f}"
        )
        if result.bound is not None and result.gap is not None:
            summary += f", bound {result.bound:,.1f}, gap {result.gap:.2%}"
        summary += f"; {result.seconds:.1f} s; wrote {target}"
        self.stdout.write(self.style.SUCCESS(summary))


def _count(n: int, noun: str, plural: str | None = None) -> str:
    """1 team, 2 teams (the command speaks English; the app translates)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def read_instance(source: Path) -> formation.Instance:
    """The instance in ``source``; CommandError (status 2) naming the file and field if bad."""

    def bad(message: str) -> CommandError:
        return CommandError(f"{source}: {message}", returncode=EXIT_BAD_INPUT)

    try:
        # utf-8-sig: a byte-order mark (left by some Windows editors) is read past.
        text = source.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise bad(f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise bad(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise bad(f"not valid JSON: {_at(text, exc.pos)}{_syntax_message(text, exc)}") from None
    except ValueError as exc:  # from the two hooks
        raise bad(f"not valid JSON: {_at(text, _locate(text, exc))}{exc}") from None
    errors = schema_errors(data, instance_schema())
    if errors:
        shown = errors[:_ERRORS_SHOWN]
        if len(errors) > len(shown):
            shown.append(f"... and {len(errors) - len(shown)} more")
        raise bad(("\n" + f"{source}: ").join(shown))
    try:
        return formation.from_json(data)
    except ValueError as exc:
        raise bad(str(exc)) from None


class _DuplicateKey(ValueError):
    position: int | None = None  # of the object holding it, once found


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON objects with a key twice are refused (Python would keep the last silently)."""
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(f"the field {_show(key)} appears twice in one object")
        seen[key] = value
    return seen


def _no_constant(name: str) -> Any:
    """NaN and Infinity are not JSON, though Python's reader accepts them."""
    raise ValueError(f"{name} is not a JSON number")


# A JSON string, or one of the constants Python's reader would take as a number.
_STRING_OR_CONSTANT = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)')


def _locate(text: str, exc: ValueError) -> int | None:
    """Where in ``text`` the refusal of one of the two hooks arose: the first NaN or
    Infinity outside a string, or the start of the innermost object holding a key twice
    (found by reading again with the slower reader, which knows where each object starts:
    only a refused file pays for it)."""
    if not isinstance(exc, _DuplicateKey):
        for match in _STRING_OR_CONSTANT.finditer(text):
            if match.group(1):
                return match.start()
        return None
    decoder = json.JSONDecoder(object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant)

    def parse_object(s_and_end: tuple[str, int], *args: Any) -> Any:
        try:
            return json.decoder.JSONObject(s_and_end, *args)  # type: ignore[attr-defined]
        except _DuplicateKey as inner:
            if inner.position is None:  # the innermost object; those around it keep it
                inner.position = s_and_end[1] - 1
            raise

    decoder.parse_object = parse_object  # type: ignore[attr-defined]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    try:
        decoder.decode(text)
    except _DuplicateKey as again:
        return again.position
    return None


def _at(text: str, position: int | None) -> str:
    """The place of a character of ``text`` as "line L column C: " (both from 1, counted
    as the JSON reader counts them in its own errors)."""
    if position is None:
        return ""
    place = json.JSONDecodeError("", text, position)
    return f"line {place.lineno} column {place.colno}: "


# Python's messages, said as what is wrong at the place named before them.
_SYNTAX_MESSAGES = {
    "Unterminated string starting at": "a string starts here and is not closed",
    "Expecting value": "a value is expected here",
    "Expecting property name enclosed in double quotes": (
        'a field name in double quotes is expected here (a comma too many before "}"?)'
    ),
    "Expecting ':' delimiter": 'a ":" is expected here, after the field name',
    "Expecting ',' delimiter": 'a "," is expected here, between two items',
    "Extra data": "the JSON ends before this; what follows is not part of it",
    "Invalid control character at": (
        "a control character (a line break or tab) inside a string: write it as \\n or \\t"
    ),
}


def _syntax_message(text: str, exc: json.JSONDecodeError) -> str:
    message = _SYNTAX_MESSAGES.get(exc.msg, exc.msg.removesuffix(" at"))
    rest = text[exc.pos :]
    if not rest.strip():
        return "the file ends before the JSON does: is it cut off?"
    if exc.msg == "Unterminated string starting at" and '"' not in rest[1:]:
        message += " (the file ends inside it: is it cut off?)"
    return message


def _check_target(target: Path) -> None:
    """Refuse an output path that cannot be written, before any time is spent solving."""

    def bad(message: str) -> CommandError:
        return CommandError(f"{target}: {message}", returncode=EXIT_BAD_INPUT)

    if not target.name or target.is_dir():
        raise bad("is a folder; give a file name")
    if not target.parent.is_dir():
        raise bad(f"the folder {target.parent} does not exist")
    if not os.access(target.parent, os.W_OK) or (
        target.exists() and not os.access(target, os.W_OK)
    ):
        raise bad("cannot write there (permission denied)")


def _write_json(target: Path, data: Mapping[str, Any]) -> None:
    """Write through a temporary file so a failed run never leaves half a result."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
