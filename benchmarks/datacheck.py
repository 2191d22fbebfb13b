"""Data comparison (issue 8): import a county's department files, run the rule library.

A fictional county is generated (``datacheck.lib.synth``: XUNCHA_BENEFIT_ROWS benefit
rows, default 1,000,000, and the other departments' files in proportion, all in the mess
departments export, with planted anomalies of every rule). Its generation runs in a child
process so its memory is not counted below.

1. Import: each file is read (``readers.read``), its header found and mapped
   (``ingest.preview``), every row normalised (``ingest.normalise_rows``) and the table
   written as Parquet (``ingest.write_parquet``); rows per second per file and overall.
2. Rules: ``rules.Engine`` over the Parquet files (load timed apart), then every builtin
   rule with its defaults (the full suite timed).
3. Baseline: the bare DuckDB equi-joins the rules need, on the same Parquet files loaded
   the same way into an in-memory DuckDB with the same threads and memory limit, each run
   to completion as a count(*): benefit⋈payroll, benefit⋈death, the benefit self-join on
   person, type and period, benefit⋈vehicle, benefit⋈business (legal representative and
   shareholder), benefit⋈real_estate, benefit⋈household⋈household⋈village_cadre, the
   household self-join (kin), the tender group-by (awarding, company) and
   tender⋈business⋈household⋈household⋈leading_cadre/payroll, plus
   benefit⋈household⋈household (the 特困/五保 households). Ratio = rules / bare (target
   <= 2), overall and per rule against the joins it stands on. Both suites run twice and
   the faster run counts.
4. Recall and precision of the hits against the planted truth, as sets of (rule, subject
   ids) (target 1.0 and 1.0), and the peak resident memory of this process
   (``ru_maxrss``, target <= 4096 MB).

Everything is pure library: no Django.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from _common import write
from xuncha.datacheck.lib import ingest, readers, rules, synth

ROWS = int(os.environ.get("XUNCHA_BENCH_BENEFIT_ROWS", "1000000"))
SEED = 2026
THREADS = os.cpu_count() or 1
MEMORY_LIMIT = "2GB"
TARGETS = {"ratio": 2.0, "recall": 1.0, "precision": 1.0, "peak_mb": 4096}


def peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def generate(directory: Path) -> tuple[synth.County, float]:
    start = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        county = pool.apply(synth.generate, (directory, ROWS, SEED))
    return county, time.perf_counter() - start


def import_file(kind: str, path: Path, target: Path) -> dict[str, Any]:
    start = time.perf_counter()
    sheet = readers.read(path)
    read_s = time.perf_counter() - start
    preview = ingest.preview(sheet, kind)
    problems = ingest.mapping_problems(preview.mapping.columns, kind)
    result = ingest.normalise_rows(
        sheet, kind, preview.mapping.columns, preview.data_start, preview.headers
    )
    normalise_s = time.perf_counter() - start - read_s
    ingest.write_parquet(result.table, target)
    seconds = time.perf_counter() - start
    out = {
        "file": path.name,
        "bytes": path.stat().st_size,
        "rows": result.total,
        "stored": result.table.num_rows,
        "row_errors": len(result.errors),
        "mapping_problems": problems,
        "read_s": round(read_s, 2),
        "normalise_s": round(normalise_s, 2),
        "seconds": round(seconds, 2),
        "rows_per_s": round(result.total / seconds) if seconds else None,
    }
    del sheet, result
    gc.collect()
    return out


# The joins the rules are built on, bare: what any implementation has to do at least.
BARE = {
    "benefit_payroll": "SELECT count(*) FROM benefit b JOIN payroll p USING (id_number)",
    "benefit_death": "SELECT count(*) FROM benefit b JOIN death d USING (id_number)",
    "benefit_self": """
        SELECT count(*) FROM benefit a JOIN benefit b
          ON a.id_number = b.id_number AND a.benefit_type = b.benefit_type
         AND a.period = b.period AND a._row < b._row""",
    "benefit_vehicle": "SELECT count(*) FROM benefit b JOIN vehicle v USING (id_number)",
    "benefit_business": """
        SELECT (SELECT count(*) FROM benefit b JOIN business s ON b.id_number = s.legal_rep_id)
             + (SELECT count(*) FROM benefit b JOIN business s
                  ON b.id_number = s.shareholder_id)""",
    "benefit_real_estate": "SELECT count(*) FROM benefit b JOIN real_estate r USING (id_number)",
    "benefit_household_village_cadre": """
        SELECT count(*) FROM benefit b
          JOIN household h1 ON b.id_number = h1.id_number
          JOIN household h2 ON h1.household = h2.household
          JOIN village_cadre c ON c.id_number = h2.id_number""",
    "benefit_household_household": """
        SELECT count(*) FROM benefit b
          JOIN household h1 ON b.id_number = h1.id_number
          JOIN household h2 ON h1.household = h2.household""",
    "household_self": """
        SELECT count(*) FROM household a JOIN household b
          ON a.household = b.household AND a.id_number <> b.id_number""",
    "tender_group": """
        SELECT count(*) FROM (SELECT awarding, company, count(*), sum(amount)
                              FROM tender GROUP BY awarding, company)""",
    "tender_business_kin_officials": """
        WITH owners AS (
          SELECT credit_code, company, legal_rep_id AS person FROM business
          UNION ALL SELECT credit_code, company, shareholder_id FROM business
        ), officials AS (
          SELECT id_number, organisation FROM leading_cadre
          UNION ALL SELECT id_number, organisation FROM payroll
        )
        SELECT count(*) FROM tender t
          JOIN owners o ON o.credit_code = t.credit_code
          JOIN household h1 ON h1.id_number = o.person
          JOIN household h2 ON h2.household = h1.household
          JOIN officials f ON f.id_number = h2.id_number AND f.organisation = t.awarding""",
}


# The bare joins each rule stands on (for the per-rule ratio).
RULE_JOINS = {
    "payroll_on_benefits": ("benefit_payroll",),
    "paid_after_death": ("benefit_death",),
    "double_benefit": ("benefit_self",),
    "recipient_vehicle": ("benefit_vehicle",),
    "recipient_business": ("benefit_business",),
    "recipient_real_estate": ("benefit_real_estate",),
    "cadre_kin_benefit": ("benefit_household_village_cadre",),
    "childless_with_children": ("benefit_household_household",),
    "tender_king": ("tender_group",),
    "tender_kin_of_officials": ("tender_business_kin_officials",),
}
REPEAT = 2  # each suite runs twice; the faster run counts (the first one warms caches)


def bare_joins(parquet: dict[str, Path]) -> tuple[float, dict[str, Any]]:
    con = duckdb.connect(":memory:", config={"memory_limit": MEMORY_LIMIT, "threads": THREADS})
    start = time.perf_counter()
    for kind, path in parquet.items():
        con.execute(f"CREATE TABLE {kind} AS SELECT * FROM read_parquet('{path}')")  # noqa: S608
    load_s = time.perf_counter() - start
    out: dict[str, Any] = {}
    total = 0.0
    for name, sql in BARE.items():
        seconds = float("inf")
        for _ in range(REPEAT):
            start = time.perf_counter()
            row = con.execute(sql).fetchone()
            seconds = min(seconds, time.perf_counter() - start)
        total += seconds
        out[name] = {"count": row[0] if row else None, "seconds": round(seconds, 3)}
    con.close()
    return total, {"load_s": round(load_s, 2), "joins": out}


def run_rules(parquet: dict[str, Path]) -> tuple[float, dict[str, Any], set[Any]]:
    start = time.perf_counter()
    engine = rules.Engine(parquet, memory_limit=MEMORY_LIMIT, threads=THREADS)
    load_s = time.perf_counter() - start
    found: set[tuple[str, frozenset[str]]] = set()
    per_rule: dict[str, Any] = {}
    total = 0.0
    try:
        for spec in rules.builtin_rules():
            seconds = float("inf")
            for _ in range(REPEAT):
                start = time.perf_counter()
                hits = engine.run(spec)
                seconds = min(seconds, time.perf_counter() - start)
            total += seconds
            per_rule[spec.code] = {"hits": len(hits), "seconds": round(seconds, 3)}
            found |= {(h.rule, frozenset(s[0] for s in h.subjects)) for h in hits}
    finally:
        engine.close()
    return total, {"load_s": round(load_s, 2), "rules": per_rule}, found


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="xuncha-datacheck-") as temporary:
        measure(Path(temporary))


def measure(work: Path) -> None:
    county, generate_s = generate(work / "files")
    print(f"generated {county.counts} in {generate_s:.1f} s", flush=True)

    parquet = {kind: work / f"{kind}.parquet" for kind in county.files}
    imports = {}
    start = time.perf_counter()
    for kind, path in county.files.items():
        imports[kind] = import_file(kind, path, parquet[kind])
        print(f"imported {kind}: {imports[kind]}", flush=True)
    import_s = time.perf_counter() - start
    import_rows = sum(i["rows"] for i in imports.values())
    peak_after_import = peak_mb()

    rules_s, rules_detail, found = run_rules(parquet)
    print(f"rules: {rules_s:.2f} s {rules_detail}", flush=True)
    bare_s, bare_detail = bare_joins(parquet)
    print(f"bare joins: {bare_s:.2f} s {bare_detail}", flush=True)

    for code, detail in rules_detail["rules"].items():
        bare = sum(bare_detail["joins"][j]["seconds"] for j in RULE_JOINS.get(code, ()))
        detail["bare_s"] = round(bare, 3)
        detail["ratio"] = round(detail["seconds"] / bare, 1) if bare else None
    truth = {(p.rule, p.subjects) for p in county.truth}
    hits_true = found & truth
    recall = len(hits_true) / len(truth) if truth else 1.0
    precision = len(hits_true) / len(found) if found else 1.0
    ratio = rules_s / bare_s if bare_s else None
    peak = peak_mb()
    met = {
        "ratio": ratio is not None and ratio <= TARGETS["ratio"],
        "recall": recall >= TARGETS["recall"],
        "precision": precision >= TARGETS["precision"],
        "peak_mb": peak <= TARGETS["peak_mb"],
    }
    write(
        "datacheck",
        {
            "benefit_rows": ROWS,
            "seed": SEED,
            "threads": THREADS,
            "memory_limit": MEMORY_LIMIT,
            "generate": {
                "seconds": round(generate_s, 1),
                "peak_mb_child": peak_mb(resource.RUSAGE_CHILDREN),
                "counts": county.counts,
                "planted": len(county.truth),
            },
            "import": {
                "files": imports,
                "seconds": round(import_s, 1),
                "rows": import_rows,
                "rows_per_s": round(import_rows / import_s),
                "peak_mb_after_import": peak_after_import,
            },
            "rules": {"seconds": round(rules_s, 2), **rules_detail},
            "bare": {"seconds": round(bare_s, 2), **bare_detail},
            "ratio_rules_to_bare": round(ratio, 2) if ratio is not None else None,
            "recall": round(recall, 4),
            "precision": round(precision, 4),
            "missed": sorted([r, sorted(s)] for r, s in truth - found),
            "unexpected": sorted([r, sorted(s)] for r, s in found - truth),
            "peak_mb": peak,
            "targets": TARGETS,
            "met": met,
        },
    )


if __name__ == "__main__":
    main()
