"""Record linkage (issue 9): accuracy on a labelled Chinese set, time against Splink defaults.

A labelled set is generated (``datacheck.lib.linksynth``, seed recorded below): a county
registry of XUNCHA_BENCH_LINK_LEFT people (default 1,000,000) and a roster of
XUNCHA_BENCH_LINK_RIGHT records (default 100,000) without ID numbers, 80 % of them
corrupted copies of registry people (traditional characters, homophone and similar-shape
typos, swapped and joined names, minority dots, partial birth dates, ages only, addresses at
other levels of detail, phones and genders missing), the rest namesakes and strangers.

1. Xuncha's model (``link``): features prepared (timed), the model trained without labels
   (timed), every blocked pair scored (timed). Precision, recall and F1 of the links (pairs
   at or above the default match threshold, one to one) against the truth (target F1 >=
   0.97), and the recall of true pairs per corruption kind.
2. Splink's default settings on the same records: Splink's own comparison library on the
   columns as written (``NameComparison`` on the name, ``DateOfBirthComparison`` on the
   birth date where it parses as a date, ``ExactMatch`` on gender and phone,
   ``LevenshteinAtThresholds`` on the address), blocked on name and on birth date, trained
   the same way (and no one-to-one step, which Splink does not do by default). Its F1, and
   time ratio = Xuncha / defaults.
3. Ablation, on a tenth of the records (XUNCHA_BENCH_LINK_ABLATION=0 skips it): the model
   with one Chinese-specific part taken out at a time, F1 overall and recall on the
   records carrying the corruption that part is for. Each part helps where its recall
   drops without it.
4. The trained model is written to ``datacheck/lib/linkmodel.json`` when
   XUNCHA_BENCH_LINK_SAVE_MODEL=1: the model shipped for scoring a few records.

Pure library: no Django.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import json
import os
import resource
import time
from collections import defaultdict
from typing import Any

import pyarrow as pa

from _common import write
from xuncha.datacheck.lib import link, linksynth

LEFT = int(os.environ.get("XUNCHA_BENCH_LINK_LEFT", "1000000"))
RIGHT = int(os.environ.get("XUNCHA_BENCH_LINK_RIGHT", "100000"))
ABLATION = os.environ.get("XUNCHA_BENCH_LINK_ABLATION", "1") != "0"
SAVE_MODEL = os.environ.get("XUNCHA_BENCH_LINK_SAVE_MODEL") == "1"
SEED = 20261127
TARGETS = {"f1": 0.97}
LEFT_ROLES = {
    "id": "id",
    "name": "name",
    "gender": "gender",
    "birth_date": "birth_date",
    "id_number": "id_number",
    "address": "address",
    "township": "township",
    "village": "village",
    "phone": "phone",
    "household": "household",
}
RIGHT_ROLES = {
    "id": "id",
    "name": "name",
    "gender": "gender",
    "birth_date": "birth_date",
    "age": "age",
    "address": "address",
    "township": "township",
    "village": "village",
    "phone": "phone",
    "household": "household",
}


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def pairs_of(linkset: linksynth.LinkSet) -> set[tuple[str, str]]:
    truth = linkset.truth
    return set(
        zip(truth.column("left_id").to_pylist(), truth.column("right_id").to_pylist(), strict=True)
    )


def score(pairs: set[tuple[str, str]], truth: set[tuple[str, str]]) -> dict[str, float]:
    hits = len(pairs & truth)
    precision = hits / len(pairs) if pairs else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def matched(pairs: pa.Table) -> set[tuple[str, str]]:
    """The links: pairs in the match band (at or above the threshold, one to one)."""
    rows = pairs.filter(pa.compute.equal(pairs.column("band"), "match"))
    return set(
        zip(rows.column("left_id").to_pylist(), rows.column("right_id").to_pylist(), strict=True)
    )


def per_kind(
    found: set[tuple[str, str]], truth: set[tuple[str, str]], corruptions: pa.Table
) -> dict[str, float]:
    kinds: dict[str, set[str]] = defaultdict(set)
    for right, kind in zip(
        corruptions.column("right_id").to_pylist(),
        corruptions.column("kind").to_pylist(),
        strict=True,
    ):
        kinds[kind].add(right)
    true_left = {r: left for left, r in truth}
    out = {}
    for kind in linksynth.CORRUPTIONS:
        rights = [r for r in kinds.get(kind, ()) if r in true_left]
        if rights:
            out[kind] = round(sum((true_left[r], r) in found for r in rights) / len(rights), 4)
    return out


def xuncha(left: pa.Table, right: pa.Table, **options: Any) -> dict[str, Any]:
    start = time.perf_counter()
    left_features, _ = link.prepare(left, LEFT_ROLES, on=linksynth.REFERENCE_DAY)
    right_features, _ = link.prepare(right, RIGHT_ROLES, on=linksynth.REFERENCE_DAY)
    prepared = time.perf_counter() - start
    start = time.perf_counter()
    result = link.run(left_features, right_features, **options)
    linked = time.perf_counter() - start
    return {"result": result, "prepare_s": prepared, "link_s": linked}


# -- Splink's defaults ---------------------------------------------------------------------------


def _iso(raw: Any) -> str | None:
    try:
        year, month, day = link.birth(raw)
    except ValueError:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}" if year and month and day else None


def defaults(left: pa.Table, right: pa.Table) -> dict[str, Any]:
    """Splink's comparison library on the columns as written, the same training."""
    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    start = time.perf_counter()

    def table(source: pa.Table) -> pa.Table:
        return pa.table(
            {
                "unique_id": source.column("id"),
                "name": source.column("name"),
                "gender": source.column("gender"),
                "birth_date": pa.array(
                    [_iso(v) for v in source.column("birth_date").to_pylist()], pa.string()
                ),
                "address": source.column("address"),
                "phone": source.column("phone"),
            }
        )

    lt, rt = table(left), table(right)
    prepared = time.perf_counter() - start
    start = time.perf_counter()
    connection = duckdb.connect()
    connection.execute("SET threads TO 2")
    db_api = DuckDBAPI(connection)
    frames = [db_api.register(lt, table_name="d_left"), db_api.register(rt, table_name="d_right")]
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.NameComparison("name"),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
            cl.ExactMatch("gender"),
            cl.LevenshteinAtThresholds("address", [2, 5]),
            cl.ExactMatch("phone"),
        ],
        blocking_rules_to_generate_predictions=[block_on("name"), block_on("birth_date")],
    )
    linker = Linker(frames, settings, log_level="WARNING")
    linker.training.estimate_probability_two_random_records_match(
        [block_on("name", "birth_date")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    for rule in (block_on("birth_date"), block_on("name")):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, record_sample_proportion=1.0, max_pairs=2e6
        )
    predictions = linker.inference.predict(
        threshold_match_probability=link.DEFAULT_THRESHOLDS.match, warning_mode="never"
    ).as_pyarrow_table()
    linked = time.perf_counter() - start
    pairs = set(
        zip(
            [str(v) for v in predictions.column("unique_id_l").to_pylist()],
            [str(v) for v in predictions.column("unique_id_r").to_pylist()],
            strict=True,
        )
    )
    return {"pairs": pairs, "prepare_s": prepared, "link_s": linked}


# -- ablation --------------------------------------------------------------------------------------


def _without(comparison: link.Comparison, *codes: str) -> link.Comparison:
    return dataclasses.replace(
        comparison, levels=tuple(lvl for lvl in comparison.levels if lvl.code not in codes)
    )


def _swap(comparison: link.Comparison) -> tuple[link.Comparison, ...]:
    return tuple(comparison if c.field == comparison.field else c for c in link.COMPARISONS)


def _blocking_without(*features: str) -> tuple[tuple[str, ...], ...]:
    return tuple(b for b in link.BLOCKING if not set(b) & set(features))


ABLATIONS: dict[str, dict[str, Any]] = {
    "homophone": {
        "comparisons": _swap(_without(link.NAME, "homophone")),
        "blocking": (
            *_blocking_without("name_pinyin"),
            ("name_family", "birth_year"),
            ("name_family", "village"),
        ),
        "kinds": ("homophone", "traditional"),
    },
    "reordered": {
        "comparisons": _swap(_without(link.NAME, "reordered")),
        "blocking": _blocking_without("name_sorted"),
        "kinds": ("swapped",),
    },
    "similar_shape": {
        "comparisons": _swap(_without(link.NAME, "similar_shape")),
        "blocking": _blocking_without("name_shape"),
        "kinds": ("similar_shape",),
    },
    "partial_birth": {
        "comparisons": _swap(_without(link.BIRTH, "month", "year", "year_1", "about")),
        "blocking": link.BLOCKING,
        "kinds": ("partial_birth", "age_only"),
    },
    "address_levels": {
        "comparisons": _swap(_without(link.ADDRESS, "village", "township")),
        "blocking": link.BLOCKING,
        "kinds": ("address_level",),
    },
}


def ablation(linkset: linksynth.LinkSet, truth: set[tuple[str, str]]) -> dict[str, Any]:
    left, right = linkset.left, linkset.right
    out: dict[str, Any] = {}
    full = xuncha(left, right)
    found = matched(full["result"].pairs)
    out["all_parts"] = {
        **score(found, truth),
        "by_kind": per_kind(found, truth, linkset.corruptions),
    }
    for name, change in ABLATIONS.items():
        run = xuncha(left, right, comparisons=change["comparisons"], blocking=change["blocking"])
        found = matched(run["result"].pairs)
        kinds = per_kind(found, truth, linkset.corruptions)
        out[f"without_{name}"] = {
            **score(found, truth),
            "by_kind": {k: kinds.get(k) for k in change["kinds"]},
            "with_it": {k: out["all_parts"]["by_kind"].get(k) for k in change["kinds"]},
        }
        gc.collect()
    return out


def main() -> None:
    start = time.perf_counter()
    linkset = linksynth.generate(LEFT, RIGHT, seed=SEED)
    generated = time.perf_counter() - start
    truth = set(
        zip(
            linkset.truth.column("left_id").to_pylist(),
            linkset.truth.column("right_id").to_pylist(),
            strict=True,
        )
    )
    threshold = link.DEFAULT_THRESHOLDS.match
    ours = xuncha(linkset.left, linkset.right)
    result = ours["result"]
    found = matched(result.pairs)
    ours_scores = score(found, truth)
    if SAVE_MODEL:
        model = dict(result.model)
        model["linker_uid"] = "xuncha"
        link.save_model(model, link.MODEL_PATH)
    base = defaults(linkset.left, linkset.right)
    base_scores = score(base["pairs"], truth)
    total = ours["prepare_s"] + ours["link_s"]
    base_total = base["prepare_s"] + base["link_s"]
    results: dict[str, Any] = {
        "seed": SEED,
        "left": LEFT,
        "right": RIGHT,
        "true_pairs": len(truth),
        "reference_day": linksynth.REFERENCE_DAY.isoformat(),
        "threshold": threshold,
        "generate_s": round(generated, 1),
        "xuncha": {
            **ours_scores,
            "pairs_scored_at_review_or_above": result.pairs.num_rows,
            "prepare_s": round(ours["prepare_s"], 1),
            "train_and_link_s": round(ours["link_s"], 1),
            "total_s": round(total, 1),
            "recall_by_corruption": per_kind(found, truth, linkset.corruptions),
        },
        "splink_defaults": {
            **base_scores,
            "prepare_s": round(base["prepare_s"], 1),
            "train_and_link_s": round(base["link_s"], 1),
            "total_s": round(base_total, 1),
            "recall_by_corruption": per_kind(base["pairs"], truth, linkset.corruptions),
        },
        "time_ratio_xuncha_to_defaults": round(total / base_total, 2),
        "peak_mb": peak_mb(),
        "targets": TARGETS,
        "f1_target_met": ours_scores["f1"] >= TARGETS["f1"],
        "measured_on": dt.datetime.now(dt.UTC).date().isoformat(),
    }
    del result, ours, base
    gc.collect()
    if ABLATION:
        small = linksynth.generate(max(LEFT // 10, 2000), max(RIGHT // 10, 500), seed=SEED)
        small_truth = set(
            zip(
                small.truth.column("left_id").to_pylist(),
                small.truth.column("right_id").to_pylist(),
                strict=True,
            )
        )
        results["ablation"] = {
            "left": small.left.num_rows,
            "right": small.right.num_rows,
            **ablation(small, small_truth),
        }
    write("linkage", results)
    print(json.dumps({"f1": ours_scores["f1"], "defaults_f1": base_scores["f1"]}))


if __name__ == "__main__":
    main()
