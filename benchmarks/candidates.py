"""Who a clue's name may be (issue 9): one search over a large household register.

A register of XUNCHA_BENCH_CANDIDATES_PEOPLE generated people (default 1,000,000;
``datacheck.lib.linksynth``, seed below) is prepared once and kept as Parquet, as the
import job does (``datacheck.linking.features_file``); preparing it is timed once. Then, for
XUNCHA_BENCH_CANDIDATES_QUERIES names as reports give them (name, township, an age; taken
from the generated roster, so most name someone of the register):

- **Xuncha** (``clues.selectors._household_rows`` and ``clues.lib.candidates.rank``):
  ``link.search_file`` (DuckDB scans the blocking rules' columns of the kept file and reads
  whole only the records a rule keeps), then those scored with the whole register's name
  frequencies and prior;
- **baseline**: the same kept file read in full and every record handed to Splink
  (``link.candidates`` over the whole register, Splink's blocking doing the filtering).

Reported per search (median and slowest): seconds for each and their ratio, and whether
both gave the same people with the same probabilities (they must: the filter applies the
blocking rules themselves). Peak memory of the process is reported too.

Pure library: no Django.
"""

from __future__ import annotations

import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from _common import write
from xuncha.clues.lib import candidates as lib
from xuncha.datacheck.lib import link, linksynth

PEOPLE = int(os.environ.get("XUNCHA_BENCH_CANDIDATES_PEOPLE", "1000000"))
QUERIES = int(os.environ.get("XUNCHA_BENCH_CANDIDATES_QUERIES", "20"))
SEED = 20261127
ROLES = {c: c for c in linksynth.LEFT_COLUMNS if c in link.ROLES}
BLOCKING_COLUMNS = {c for rule in link.CANDIDATE_BLOCKING for c in rule}


def search_filtered(path: Path, query: pa.Table) -> list[lib.Ranked]:
    """What the clue page does with a kept register (``clues.selectors``)."""
    kept, counted = link.search_file(query, path)
    frequencies = link.frequencies(counted, query)
    return lib.rank(query, kept, total=counted.num_rows, frequencies=frequencies)


def search_whole(path: Path, query: pa.Table) -> list[lib.Ranked]:
    """Every record handed to Splink; its blocking does the filtering."""
    registry = pq.read_table(path).replace_schema_metadata(None)
    return lib.rank(query, registry, total=registry.num_rows)


def main() -> None:
    started = time.perf_counter()
    linkset = linksynth.generate(PEOPLE, QUERIES * 2, seed=SEED)
    generate_seconds = time.perf_counter() - started
    started = time.perf_counter()
    features, _problems = link.prepare(linkset.left, ROLES, on=linksynth.REFERENCE_DAY)
    prepare_seconds = time.perf_counter() - started
    folder = Path(tempfile.mkdtemp(prefix="xuncha-bench-candidates-"))
    path = folder / "features.parquet"
    pq.write_table(features, path, compression="zstd")
    del features

    queries = []
    right = linkset.right
    truth = dict(
        zip(
            linkset.truth.column("right_id").to_pylist(),
            linkset.truth.column("left_id").to_pylist(),
            strict=True,
        )
    )
    for row in right.to_pylist():
        query = lib.report_query(
            row["name"] or "", row["address"] or "", row["age"] or "", on=linksynth.REFERENCE_DAY
        )
        if query.num_rows and row["id"] in truth:
            queries.append((query, truth[row["id"]]))
        if len(queries) == QUERIES:
            break

    filtered_times, whole_times, kept_counts = [], [], []
    same = found_first = found_listed = 0
    for query, person in queries:
        t0 = time.perf_counter()
        fast = search_filtered(path, query)
        t1 = time.perf_counter()
        slow = search_whole(path, query)
        t2 = time.perf_counter()
        filtered_times.append(t1 - t0)
        whole_times.append(t2 - t1)
        narrow = pq.read_table(path, columns=sorted(BLOCKING_COLUMNS))
        kept_counts.append(int(pc.sum(link.blocked(query, narrow)).as_py() or 0))
        agree = [r.id for r in fast] == [r.id for r in slow] and all(
            abs(a.probability - b.probability) < 1e-4 for a, b in zip(fast, slow, strict=True)
        )
        same += agree
        found_first += bool(fast) and fast[0].id == person
        found_listed += any(r.id == person for r in fast)

    def summary(values: list[float]) -> dict[str, float]:
        return {"median": round(statistics.median(values), 3), "max": round(max(values), 3)}

    write(
        "candidates",
        {
            "seed": SEED,
            "people": PEOPLE,
            "queries": len(queries),
            "generate_seconds": round(generate_seconds, 1),
            "prepare_once_seconds": round(prepare_seconds, 1),
            "features_file_mb": round(path.stat().st_size / 2**20, 1),
            "records_scored_per_search": {
                "median": statistics.median(kept_counts),
                "max": max(kept_counts),
            },
            "seconds_per_search": {
                "xuncha_filtered": summary(filtered_times),
                "baseline_whole_register": summary(whole_times),
            },
            "ratio_xuncha_over_baseline_median": round(
                statistics.median(filtered_times) / statistics.median(whole_times), 3
            ),
            "same_people_and_probabilities": f"{same}/{len(queries)}",
            "right_person_first": f"{found_first}/{len(queries)}",
            "right_person_listed": f"{found_listed}/{len(queries)}",
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        },
    )


if __name__ == "__main__":
    main()
