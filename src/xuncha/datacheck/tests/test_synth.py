"""The synthetic county (issue #8): every file imports cleanly, every rule of the library
has planted cases, and the rules find exactly the planted cases, no more."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import yaml

from xuncha.core.lib import idnumber
from xuncha.datacheck.lib import headers, ingest, normalise, readers, rules, synth

ROWS = 2000
PLACES = [("东山镇", ["前村", "后村"]), ("西河乡", ["上村"])]


def _import(path: Path, kind: str) -> ingest.Result:
    sheet = readers.read(path)
    preview = ingest.preview(sheet, kind)
    assert preview.mapping.missing == (), (kind, preview.mapping.missing)
    assert ingest.mapping_problems(preview.mapping.columns, kind) == [], kind
    return ingest.normalise_rows(
        sheet, kind, preview.mapping.columns, preview.data_start, preview.headers
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[synth.County, float]:
    start = time.perf_counter()
    county = synth.generate(tmp_path_factory.mktemp("county"), ROWS, seed=7)
    return county, time.perf_counter() - start


@pytest.fixture(scope="module")
def county(generated: tuple[synth.County, float]) -> synth.County:
    return generated[0]


def _tables(county: synth.County) -> dict[str, pa.Table]:
    out = {}
    for kind, path in county.files.items():
        result = _import(path, kind)
        assert result.errors == [], (kind, result.errors[:3])
        assert result.total == county.counts[kind], kind
        out[kind] = result.table
    return out


def _generated_rules() -> list[rules.RuleSpec]:
    """The shipped rules over the kinds ``synth`` writes (a village roster is not one of
    them: the demo makes it from the household file, for record linkage)."""
    return [spec for spec in rules.builtin_rules() if "roster" not in spec.kinds]


def _assert_rules_find_exactly_the_truth(county: synth.County, tables: dict[str, pa.Table]) -> None:
    engine = rules.Engine(tables)
    try:
        found: set[tuple[str, frozenset[str]]] = set()
        for spec in _generated_rules():
            assert engine.missing(spec) == []
            for hit in engine.run(spec):
                found.add((hit.rule, frozenset(s[0] for s in hit.subjects)))
    finally:
        engine.close()
    truth = {(p.rule, p.subjects) for p in county.truth}
    assert found - truth == set()  # precision
    assert truth - found == set()  # recall


@pytest.fixture(scope="module")
def tables(county: synth.County) -> dict[str, pa.Table]:
    return _tables(county)


def test_fast_and_every_kind_written(generated: tuple[synth.County, float]) -> None:
    county, seconds = generated
    assert seconds < 5
    generated_kinds = set(headers.KINDS) - {"roster"}  # the demo makes its roster itself
    assert set(county.files) == generated_kinds
    assert county.counts["benefit"] == ROWS
    assert all(county.counts[kind] > 0 for kind in generated_kinds)
    assert county.counts["death"] < 60_000
    suffixes = {kind: path.suffix for kind, path in county.files.items()}
    assert suffixes["death"] == ".xls" and suffixes["benefit"] == ".csv"


def test_manifest(county: synth.County) -> None:
    manifest = yaml.safe_load(county.manifest.read_text(encoding="utf-8"))
    assert manifest["county"] == synth.COUNTY
    listed = {d["kind"]: d for d in manifest["datasets"]}
    assert set(listed) == set(county.files)
    for kind, entry in listed.items():
        assert county.manifest.parent / entry["file"] == county.files[kind]
        assert entry["department"].startswith(synth.COUNTY)
        assert entry["extracted"] == synth.EXTRACTED


def test_every_file_imports_without_a_row_error(
    county: synth.County, tables: dict[str, pa.Table]
) -> None:
    for kind, table in tables.items():
        assert table.num_rows == county.counts[kind], kind
        assert table.schema == ingest.arrow_schema(kind), kind
    household = tables["household"]
    assert household.column("relation").to_pylist().count("户主") == len(
        set(household.column("household").to_pylist())
    )


def test_the_files_are_as_messy_as_promised(county: synth.County) -> None:
    raw = county.files["benefit"].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    benefit = readers.read(county.files["benefit"])
    assert benefit.encoding == "gb18030" and len(benefit.rows[0]) == 1  # a title row
    ids = [row[5] for row in benefit.rows[2:]]
    assert any(len(v) == 15 for v in ids)  # old 15-digit numbers
    assert any("\uff10" <= c <= "\uff19" for v in ids for c in v)  # full-width digits
    assert any(" " in v for v in ids)
    periods = {row[7][4] for row in benefit.rows[2:]}
    assert {"年", "-", ".", "/"} <= periods and any(row[7].isdigit() for row in benefit.rows[2:])
    assert any("万元" in row[8] for row in benefit.rows[2:])
    assert any("," in row[8] for row in benefit.rows[2:])
    assert county.files["vehicle"].read_bytes().startswith(b"\xef\xbb\xbf")
    household = readers.read(county.files["household"])
    assert household.rows[1][1:3] == ["家庭成员", "家庭成员"]  # merged over two columns
    assert household.rows[2][:3] == ["户号", "姓名", "身份证号"]
    births = [row[5] for row in household.rows[3:]]
    assert {type(b).__name__ for b in births} >= {"datetime", "int", "str"}
    people = {r[2]: r[1] for r in household.rows[3:]}
    assert all(normalise.name(n) for n in people.values())
    death = readers.read(county.files["death"])
    assert any(synth.traditional(normalise.name(r[1])) == r[1] for r in death.rows[2:])
    tender = readers.read(county.files["tender"])
    assert any(isinstance(r[5], str) and r[5].endswith("万元") for r in tender.rows[2:])


def test_every_rule_has_planted_cases(county: synth.County) -> None:
    per_rule = {code: [p for p in county.truth if p.rule == code] for code in synth.RULES}
    assert all(len(cases) >= 4 for cases in per_rule.values()), per_rule
    assert {p.rule for p in county.truth} == set(synth.RULES)
    assert {spec.code for spec in _generated_rules()} == set(synth.RULES)
    for planted in county.truth:
        assert planted.note and planted.subjects
        assert all(idnumber.is_valid(s) or s.startswith("91") for s in planted.subjects)


def test_the_rules_find_exactly_the_planted_cases(
    county: synth.County, tables: dict[str, pa.Table]
) -> None:
    _assert_rules_find_exactly_the_truth(county, tables)


def test_deterministic_for_a_seed(tmp_path: Path, county: synth.County) -> None:
    again = synth.generate(tmp_path / "again", ROWS, seed=7)
    assert again.truth == county.truth and again.counts == county.counts
    for kind in ("benefit", "vehicle", "real_estate"):
        assert again.files[kind].read_bytes() == county.files[kind].read_bytes()
    other = synth.generate(tmp_path / "other", ROWS, seed=8)
    assert {p.subjects for p in other.truth}.isdisjoint({p.subjects for p in county.truth})


@pytest.mark.parametrize(
    ("kind", "codes"),
    [
        ("benefit", ["id_check", "no_such_month", "form"]),
        ("household", ["id_check", "no_such_month", "id_check"]),
        ("tender", ["no_such_month", "form", "no_such_month"]),
        ("vehicle", ["id_check", "id_check", "id_check"]),
    ],
)
def test_with_errors_breaks_the_rows_it_names(
    county: synth.County, tmp_path: Path, kind: str, codes: list[str]
) -> None:
    source = county.files[kind]
    target = tmp_path / f"broken{source.suffix}"
    broken = synth.with_errors(source, target, rows=3)
    assert len(broken) == 3 and broken == sorted(broken)
    result = _import(target, kind)
    assert [(e.row, e.code) for e in result.errors] == list(zip(broken, codes, strict=True))
    assert result.total == county.counts[kind]
    assert result.table.num_rows == county.counts[kind] - 3


def test_with_errors_refuses_other_files(county: synth.County, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.xlsx and \.csv"):
        synth.with_errors(county.files["death"], tmp_path / "x.xls")


def test_messy_values_normalise_back() -> None:
    rng = random.Random(3)
    for n in range(300):
        number = idnumber.make(synth.REGION, synth.REF.replace(year=1940 + n % 70), n)
        text = synth.id_text(rng, number, short=0.3, full=0.3, spaced=0.3)
        assert normalise.id_number(text) == number
    for text_amount in ("450", "1234.5", "1500", "298900"):
        amount = synth.Decimal(text_amount)
        for _ in range(20):
            assert normalise.amount(synth.amount_text(rng, amount, wan=0.5)) == amount
    day = synth.REF
    for _ in range(30):
        cell: Any = synth.date_value(rng, day)
        assert normalise.date(cell) == day
        assert normalise.month(synth.period_text(rng, 3)) == synth.PERIODS[2]
    assert synth.traditional("陈丽华") == "陳麗華"
    assert synth.traditional("王一") is None  # nothing to convert


def test_credit_codes_carry_their_check_character() -> None:
    rng = random.Random(1)
    code = synth.credit_code("91", synth.REGION, rng)
    assert len(code) == 18 and code.startswith("91431099")
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    total = sum(chars.index(c) * w for c, w in zip(code[:17], weights, strict=True))
    assert chars.index(code[17]) == (31 - total % 31) % 31


def test_too_few_rows_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1000"):
        synth.generate(tmp_path, 500)


# -- the caller's county and places ------------------------------------------------------------


@pytest.fixture(scope="module")
def placed(tmp_path_factory: pytest.TempPathFactory) -> synth.County:
    return synth.generate(
        tmp_path_factory.mktemp("placed"), ROWS, seed=7, county="青岚县", places=PLACES
    )


@pytest.fixture(scope="module")
def placed_tables(placed: synth.County) -> dict[str, pa.Table]:
    return _tables(placed)


def test_given_places_are_the_only_places(
    placed: synth.County, placed_tables: dict[str, pa.Table]
) -> None:
    given = {(township, village) for township, villages in PLACES for village in villages}
    for kind in ("benefit", "household", "village_cadre"):
        table = placed_tables[kind]
        found = set(
            zip(
                table.column("township").to_pylist(),
                table.column("village").to_pylist(),
                strict=True,
            )
        )
        assert found <= given, (kind, found - given)
    households = placed_tables["household"]
    assert set(households.column("village").to_pylist()) == {"前村", "后村", "上村"}
    payroll_townships = set(placed_tables["payroll"].column("township").to_pylist())
    assert payroll_townships <= {"东山镇", "西河乡", None}


def test_given_county_names_the_organisations(
    placed: synth.County, placed_tables: dict[str, pa.Table]
) -> None:
    organisations = [
        *placed_tables["payroll"].column("organisation").to_pylist(),
        *placed_tables["leading_cadre"].column("organisation").to_pylist(),
        *placed_tables["tender"].column("awarding").to_pylist(),
    ]
    assert organisations and all(o.startswith("青岚县") for o in organisations)
    assert {"青岚县东山镇人民政府", "青岚县西河乡人民政府"} <= set(organisations)
    assert all(
        c.startswith("青岚县") for c in placed_tables["business"].column("company").to_pylist()
    )
    assert all(
        c.startswith(("青岚县", "邻县"))
        for c in placed_tables["tender"].column("company").to_pylist()
    )
    manifest = yaml.safe_load(placed.manifest.read_text(encoding="utf-8"))
    assert manifest["county"] == "青岚县"
    assert all(d["department"].startswith("青岚县") for d in manifest["datasets"])
    raw = [readers.read(placed.files[kind]).rows[0][0] for kind in ("benefit", "household")]
    assert all(str(title).startswith("青岚县") for title in raw)
    assert "演示县" not in " ".join(p.note for p in placed.truth)


def test_given_places_the_rules_find_exactly_the_planted_cases(
    placed: synth.County, placed_tables: dict[str, pa.Table]
) -> None:
    assert {p.rule for p in placed.truth} == set(synth.RULES)
    assert placed.counts["benefit"] == ROWS
    _assert_rules_find_exactly_the_truth(placed, placed_tables)


def test_a_township_without_villages_gets_no_household(tmp_path: Path) -> None:
    places = [("东山镇", ["前村"]), ("南岭乡", [])]
    county = synth.generate(tmp_path, 1000, seed=3, county="青岚县", places=places)
    tables = _tables(county)
    assert set(tables["household"].column("township").to_pylist()) == {"东山镇"}
    assert "青岚县南岭乡人民政府" in tables["tender"].column("awarding").to_pylist()
    _assert_rules_find_exactly_the_truth(county, tables)


@pytest.mark.parametrize(
    ("places", "message"),
    [
        ([], "at least one township"),
        ([("东山镇", []), ("西河乡", [])], "at least one village"),
        ([("东山镇", ["前村"]), ("东山镇", ["后村"])], "given twice"),
        ([("东山镇", ["前村", "前村"])], "given twice"),
        ([("东山镇", "前村")], "list of names"),
        ([("", ["前村"])], "non-empty"),
    ],
)
def test_unusable_places_are_refused(
    tmp_path: Path, places: list[tuple[str, Any]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        synth.generate(tmp_path, ROWS, places=places)
