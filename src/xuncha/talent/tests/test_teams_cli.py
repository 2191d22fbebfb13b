"""``xuncha teams``: the command, the JSON Schema, the published example and from_json."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from xuncha.talent.lib import formation
from xuncha.talent.management.commands.teams import instance_schema, schema_errors

DOCS = Path(__file__).resolve().parents[4] / "docs" / "formats"
EXAMPLE = DOCS / "team-instance.example.json"
SCHEMA = DOCS / "team-instance.schema.json"


def example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return data


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("teams", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def solve_error(source: Path, target: Path, *extra: str) -> CommandError:
    with pytest.raises(CommandError) as caught:
        run("solve", str(source), "--out", str(target), *extra)
    return caught.value


# -- solving ---------------------------------------------------------------------------------


def test_example_solves_to_valid_teams(tmp_path: Path) -> None:
    target = tmp_path / "result.json"
    out, err = run("solve", str(EXAMPLE), "--out", str(target), "--time-limit", "10")
    result = json.loads(target.read_text(encoding="utf-8"))
    instance = formation.from_json(example())
    assignments = [formation.Assignment(**row) for row in result["assignments"]]
    assert result["format"] == formation.RESULT_FORMAT
    assert result["status"] == "optimal"
    assert result["violations"] == []
    assert formation.validate(instance, assignments) == []
    assert result["objective"] == formation.objective_value(instance, assignments)
    assert list(result["score_terms"]) == list(formation.SCORE_TERMS)
    assert sum(result["score_terms"].values()) == pytest.approx(result["objective"])
    assert result["gap"] == 0.0
    assert {row["team_index"] for row in result["assignments"]} == {1, 2}
    assert "optimal: 2 teams" in out and str(target) in out
    assert "16 candidates (15 available), 2 teams" in err  # progress goes to stderr
    assert "objective" in err


def test_greedy_option_and_same_result_twice(tmp_path: Path) -> None:
    first, second, greedy = (tmp_path / name for name in ("a.json", "b.json", "g.json"))
    run("solve", str(EXAMPLE), "--out", str(first), "--seed", "3")
    run("solve", str(EXAMPLE), "--out", str(second), "--seed", "3")
    assert (
        json.loads(first.read_text())["assignments"]
        == json.loads(second.read_text())["assignments"]
    )
    out, _ = run("solve", str(EXAMPLE), "--out", str(greedy), "--greedy")
    result = json.loads(greedy.read_text(encoding="utf-8"))
    assert result["status"] == "feasible" and result["bound"] is None
    assert result["violations"] == []
    assert result["objective"] <= json.loads(first.read_text())["objective"]
    assert "feasible: 2 teams" in out


def test_infeasible_instance_exits_1_with_the_explanation(tmp_path: Path) -> None:
    data = example()
    # Nobody from outside 银坪县 may lead team 1: every leader-eligible candidate is out.
    data["forbidden"] += [
        {
            "person_id": pid,
            "team_index": 1,
            "role": "leader",
            "rule": "declared",
            "evidence": "“与被巡察单位负责人系同学”",
        }
        for pid in (1, 3, 4)
    ]
    source, target = write(tmp_path / "blocked.json", data), tmp_path / "result.json"
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(
            "teams", "solve", str(source), "--out", str(target), stdout=io.StringIO(), stderr=err
        )
    assert caught.value.returncode == 1
    assert "no teams formed (infeasible)" in str(caught.value)
    assert json.loads(target.read_text(encoding="utf-8"))["score_terms"] is None
    printed = err.getvalue()
    assert "leader rule: no leader for team 1 (第一巡察组 · 银坪县)" in printed
    assert "蔡燕晓 (forbidden as leader (declared): “与被巡察单位负责人系同学”)" in printed
    assert "林勇涛 (home county 990101 is a target county)" in printed
    result = json.loads(target.read_text(encoding="utf-8"))
    assert result["status"] == "infeasible" and result["assignments"] == []
    assert any("leader rule" in line for line in result["explanation"])


# -- bad input -------------------------------------------------------------------------------


def test_bad_field_names_file_and_json_path(tmp_path: Path) -> None:
    data = example()
    data["candidates"][3]["rounds_done"] = "two"
    source, target = write(tmp_path / "instance.json", data), tmp_path / "result.json"
    error = solve_error(source, target)
    assert error.returncode == 2
    assert f'{source}: candidates[3].rounds_done: expected an integer, got "two"' in str(error)
    assert not target.exists()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.pop("teams"), '(top level): missing required field "teams"'),
        (lambda d: d["teams"][1].pop("label"), 'teams[1]: missing required field "label"'),
        (
            lambda d: d["candidates"][0].update(rounds_don=1),
            "candidates[0].rounds_don: unknown field (allowed here: available, county,",
        ),
        (
            lambda d: d["forbidden"][2].update(role="boss"),
            'forbidden[2].role: expected one of "any", "deputy", "leader", "member", got "boss"',
        ),
        (
            lambda d: d["rules"].update(relaxed=["cross", "leader"]),
            'rules.relaxed[1]: expected one of "cross", "max_first_timers", "min_experienced", '
            '"specialties", got "leader"',
        ),
        (
            lambda d: d["previous_pairs"].append([1, 2, 3]),
            "previous_pairs[4]: allows at most 2 items, got 3",
        ),
        (lambda d: d["teams"][0].update(size_min=-1), "teams[0].size_min: must be at least 0"),
        (
            lambda d: d["candidates"][2].update(available="yes"),
            'candidates[2].available: expected true or false, got "yes"',
        ),
        (lambda d: d.update(format="other/1"), 'format: expected "xuncha.formation.instance/1"'),
        (lambda d: d.update(candidates={}), "candidates: expected a list, got {}"),
    ],
)
def test_schema_errors_name_the_field(tmp_path: Path, change: Any, expected: str) -> None:
    data = example()
    change(data)
    error = solve_error(write(tmp_path / "bad.json", data), tmp_path / "out.json")
    assert error.returncode == 2
    assert f"bad.json: {expected}" in str(error)


def test_every_error_is_listed(tmp_path: Path) -> None:
    data = example()
    for row in data["candidates"]:
        row["workload"] = "high"
    error = str(solve_error(write(tmp_path / "bad.json", data), tmp_path / "out.json"))
    assert "candidates[0].workload" in error and "candidates[15].workload" in error


def test_unreadable_and_invalid_json(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    error = solve_error(missing, tmp_path / "out.json")
    assert error.returncode == 2 and f"{missing}: cannot read" in str(error)
    broken = tmp_path / "broken.json"
    broken.write_text('{"candidates": [,]}', encoding="utf-8")
    error = solve_error(broken, tmp_path / "out.json")
    assert error.returncode == 2
    assert f"{broken}: not valid JSON: line 1 column 17" in str(error)


def test_checks_beyond_the_schema_and_bad_options(tmp_path: Path) -> None:
    data = example()
    data["candidates"][1]["person_id"] = 1
    source = write(tmp_path / "dup.json", data)
    error = solve_error(source, tmp_path / "out.json")
    assert error.returncode == 2
    assert f"{source}: candidates[1].person_id: 1 is already used by candidates[0]" in str(error)
    error = solve_error(EXAMPLE, tmp_path / "no" / "such" / "out.json")
    assert error.returncode == 2 and "does not exist" in str(error)
    for value in ("0", "-1", "nan", "inf", "1e9"):
        error = solve_error(EXAMPLE, tmp_path / "out.json", "--time-limit", value)
        assert error.returncode == 2 and "--time-limit must be a number above 0" in str(error)
    for value in ("-1", str(2**31)):
        error = solve_error(EXAMPLE, tmp_path / "out.json", "--seed", value)
        assert error.returncode == 2 and "--seed must be between 0 and" in str(error)
    assert not (tmp_path / "out.json").exists()


def test_an_output_that_cannot_be_written_is_refused_before_solving(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    error = solve_error(EXAMPLE, folder)
    assert error.returncode == 2 and f"{folder}: is a folder" in str(error)
    # /proc takes no new files, even for root (whom a read-only folder would not stop):
    # refused before the search where the folder says so, else when writing; exit 2 both.
    error = solve_error(EXAMPLE, Path("/proc/xuncha-result.json"), "--time-limit", "1")
    assert error.returncode == 2 and "cannot write" in str(error)
    assert not Path("/proc/xuncha-result.json").exists()


def test_json_that_python_would_bend_is_refused(tmp_path: Path) -> None:
    text = json.dumps(example(), ensure_ascii=False)
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    run("solve", str(bom), "--out", str(tmp_path / "out.json"), "--time-limit", "5")
    assert json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))["status"] == "optimal"
    twice = tmp_path / "twice.json"
    twice.write_text(text.replace('"candidates":', '"teams": [], "candidates":', 1), "utf-8")
    error = solve_error(twice, tmp_path / "other.json")
    assert error.returncode == 2 and 'the field "teams" appears twice' in str(error)
    nan = tmp_path / "nan.json"
    nan.write_text(text.replace('"rounds_done": 4', '"rounds_done": NaN', 1), "utf-8")
    error = solve_error(nan, tmp_path / "other.json")
    assert error.returncode == 2 and "NaN is not a JSON number" in str(error)
    assert not (tmp_path / "other.json").exists()


def test_a_json_error_says_where_it_is(tmp_path: Path) -> None:
    """Line and column, counted in characters from 1, for every kind of bad JSON: a key
    twice (the object holding it, the innermost), NaN, a file cut off, a stray comma."""
    text = EXAMPLE.read_text(encoding="utf-8")
    lines = text.splitlines()
    third = next(n for n, line in enumerate(lines) if '"person_id": 3,' in line)
    column = lines[third].index("{") + 1
    twice = write_text(
        tmp_path / "twice.json", text.replace('"person_id": 3,', '"name": "x", "person_id": 3,', 1)
    )
    assert (
        f"{twice}: not valid JSON: line {third + 1} column {column}: "
        'the field "name" appears twice in one object'
    ) in str(solve_error(twice, tmp_path / "out.json"))
    nan_line = next(n for n, line in enumerate(lines) if '"rounds_done": 4' in line)
    nan_column = lines[nan_line].index('"rounds_done": 4') + len('"rounds_done": ') + 1
    nan = write_text(
        tmp_path / "nan.json", text.replace('"rounds_done": 4', '"rounds_done": NaN', 1)
    )
    assert f"line {nan_line + 1} column {nan_column}: NaN is not a JSON number" in str(
        solve_error(nan, tmp_path / "out.json")
    )
    # Cut after the candidates: between values, not inside a string.
    cut = write_text(tmp_path / "cut.json", text[: text.index('"teams"')].rstrip())
    assert "the file ends before the JSON does: is it cut off?" in str(
        solve_error(cut, tmp_path / "out.json")
    )
    open_string = write_text(tmp_path / "open.json", '{"format": "xuncha.formation.inst')
    assert (
        "line 1 column 12: a string starts here and is not closed (the file ends inside it"
        in str(solve_error(open_string, tmp_path / "out.json"))
    )
    comma = write_text(tmp_path / "comma.json", '{"teams": [],\n "candidates": [1,]}')
    assert "line 2 column 19: a value is expected here" in str(
        solve_error(comma, tmp_path / "out.json")
    )
    assert not (tmp_path / "out.json").exists()


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_numbers_beyond_the_model_are_refused_with_their_place(tmp_path: Path) -> None:
    data = example()
    data["teams"][0]["size_max"] = 10**30
    data["candidates"][2]["workload"] = 10**12
    data["candidates"][3]["person_id"] = 2**60
    source = write(tmp_path / "big.json", data)
    message = str(solve_error(source, tmp_path / "out.json"))
    assert "teams[0].size_max: must be at most 10,000" in message
    assert "candidates[2].workload: must be at most 10,000" in message
    assert "candidates[3].person_id: must be at most" in message


def test_counts_are_said_in_good_english(tmp_path: Path) -> None:
    data = example()
    data["teams"] = data["teams"][:1]
    data["forbidden"] = data.get("forbidden", [])[:1]
    source = write(tmp_path / "one.json", data)
    out, err = run("solve", str(source), "--out", str(tmp_path / "out.json"), "--time-limit", "5")
    assert ", 1 team, 1 recusal exclusion;" in err
    assert ": 1 team, " in out and " people;" in out
    assert "1 teams" not in out + err


def test_greedy_reasons_are_sentences_not_object_reprs(tmp_path: Path) -> None:
    data = example()
    for person in data["candidates"]:
        person["leader_eligible"] = False
    source = write(tmp_path / "no-leader.json", data)
    target = tmp_path / "out.json"
    error = solve_error(source, target, "--greedy")
    assert error.returncode == 1
    explanation = json.loads(target.read_text(encoding="utf-8"))["explanation"]
    assert explanation and all("Text(" not in line for line in explanation)
    assert any(line.startswith("greedy found no leader for team ") for line in explanation)


def test_more_experienced_people_than_seats_is_named_at_once(tmp_path: Path) -> None:
    data = example()
    data.setdefault("rules", {})["min_experienced"] = 9
    source = write(tmp_path / "nine.json", data)
    target = tmp_path / "out.json"
    error = solve_error(source, target, "--time-limit", "5")
    assert error.returncode == 1
    explanation = json.loads(target.read_text(encoding="utf-8"))["explanation"]
    assert any(
        "experience rule:" in line
        and "needs at least 9 people" in line
        and "size is at most" in line
        for line in explanation
    )


# -- the schema, the example and from_json ---------------------------------------------------


def test_published_schema_is_the_commands_schema() -> None:
    published = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert published == instance_schema()
    out, _ = run("schema")
    assert json.loads(out) == published


def test_example_matches_schema_and_round_trips() -> None:
    data = example()
    assert schema_errors(data, instance_schema()) == []
    instance = formation.from_json(data)
    assert len(instance.candidates) == 16 and len(instance.teams) == 2
    assert schema_errors(formation.to_json(instance), instance_schema()) == []
    assert formation.from_json(formation.to_json(instance)) == instance
    # JSON has one number type: 4.0 is the integer 4 for the schema and for from_json.
    data["candidates"][0]["rounds_done"] = 4.0
    assert schema_errors(data, instance_schema()) == []
    assert formation.from_json(data) == instance


def object_schemas() -> list[tuple[str, dict[str, Any], list[str]]]:
    """(name, schema, path to one such object in the example) for every object type."""
    schema = instance_schema()
    defs = schema["$defs"]
    return [
        ("instance", schema, []),
        ("candidate", defs["candidate"], ["candidates", "0"]),
        ("team", defs["team"], ["teams", "0"]),
        ("forbidden", defs["forbidden"], ["forbidden", "0"]),
        ("rules", defs["rules"], ["rules"]),
    ]


def locate(data: Any, path: list[str]) -> dict[str, Any]:
    for step in path:
        data = data[int(step)] if isinstance(data, list) else data[step]
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(("name", "schema", "path"), object_schemas())
def test_schema_and_from_json_agree_on_required_fields(
    name: str, schema: dict[str, Any], path: list[str]
) -> None:
    required = set(schema.get("required", []))
    assert required <= set(schema["properties"]), name
    for field in sorted(schema["properties"]):
        data = copy.deepcopy(example())
        locate(data, path).pop(field)
        if field in required:
            with pytest.raises(ValueError, match=field):
                formation.from_json(data)
        else:
            formation.from_json(data)  # an optional field may be left out


def test_schema_defaults_are_from_json_defaults() -> None:
    minimal = {
        "candidates": [{"person_id": 1, "name": "甲", "county": "990101"}],
        "teams": [{"index": 1, "label": "第一巡察组"}],
        "forbidden": [{"person_id": 1, "team_index": 1, "role": "any", "rule": "declared"}],
        "rules": {},
    }
    instance = formation.from_json(minimal)
    read = {
        "candidate": formation.to_json(instance)["candidates"][0],
        "team": formation.to_json(instance)["teams"][0],
        "forbidden": formation.to_json(instance)["forbidden"][0],
        "rules": formation.to_json(instance)["rules"],
    }
    defs = instance_schema()["$defs"]
    for name, values in read.items():
        for field, spec in defs[name]["properties"].items():
            if "default" in spec:
                assert values[field] == spec["default"], (name, field)
