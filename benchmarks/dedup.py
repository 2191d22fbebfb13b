"""Near-duplicate clues: precision and recall on a labelled set, throughput on short texts.

(a) Precision and recall. ``corpus.labelled_set(2026, 400, 4, 3)``: 400 fictional matters,
4 paraphrases of each (another channel's wording: reordered, synonyms, details dropped or
added, traditional characters, full-width digits, typos) and 3 hard negatives each (other
matters about the same unit). A pair is a duplicate exactly when the groups are equal.
``find_duplicates`` runs on the texts alone, then again with each record's subject person
and target unit (``corpus.labelled``, the same records), as the clue registry calls it. A
threshold sweep and the LSH's candidate recall against scoring every pair are reported.

(b) Throughput. ``corpus.short_labelled_set(7, N)`` (N = 1,000,000 unless ``--size``;
the texts of ``corpus.short_texts``, with the generator's repeat groups): the index is
built (``Index.add_many``), all candidate pairs are generated, and every pair at or above
the threshold is found, scored and given its passages (``Index.pairs``); ``similar`` is
timed on 2,000 queries. The brute-force baseline scores every pair of the first
``--sample`` texts (the same shingle sets and exact score, pairs in vectorised blocks);
its per-pair rate is extrapolated quadratically to N (N(N-1)/2 pairs) and added to the
per-text cost of shingling, which both methods share. The LSH's candidate recall is the
share of the pairs brute force finds on the sample that the N-text run finds too; both are
also scored against the generator's groups (short formulaic texts are harder than the
labelled set: two villages' cadres accused of the same misdeed in the same words).

The index runs with its defaults (``DEFAULT_LSH_THRESHOLD`` 0.3: 42 bands of 3 rows;
buckets above ``MAX_BUCKET`` split by the next band) unless ``--lsh-threshold`` is given.
(3,200 records are beyond ``EXACT_PAIRS_UP_TO``, so part (a) goes through LSH too.) Peak
memory is the process's peak resident set (texts, candidate arrays and the sparse matrix
of ``pairs`` included) with the resident set right after the build; the index's own
memory per document is measured by tracemalloc on a 20,000-text index.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import resource
import time
import tracemalloc

import numpy as np

from _common import write
from xuncha.clues.lib import corpus, dedup

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--size", type=int, default=1_000_000, help="short texts to index")
parser.add_argument("--sample", type=int, default=3_000, help="texts for brute force")
parser.add_argument("--lsh-threshold", type=float, default=None, help="default: the index's")
parser.add_argument("--seeds", type=int, default=400, help="matters in the labelled set")
args = parser.parse_args()

THRESHOLD = dedup.DEFAULT_THRESHOLD
SWEEP = (0.40, 0.45, 0.50, 0.53, 0.55, 0.58, 0.60, 0.65, 0.70)


def rss_mb() -> float:
    """Current resident set size of this process."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def precision_recall(found: set[frozenset[int]], truth: set[frozenset[int]]) -> dict[str, float]:
    hits = len(found & truth)
    return {
        "precision": round(hits / len(found), 4) if found else 1.0,
        "recall": round(hits / len(truth), 4),
        "pairs_found": len(found),
    }


def all_pair_scores(docs: list[dedup.Doc]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Brute force: (i, j, final score) for every pair i < j, in vectorised blocks."""
    shingles = [dedup._doc_shingles(doc.text) for doc in docs]
    left, right = np.triu_indices(len(docs), 1)
    left, right = left.astype(np.int64), right.astype(np.int64)
    inter = dedup._intersections(shingles, left, right)
    sizes = np.array([s.size for s in shingles])
    union = sizes[left] + sizes[right] - inter
    smaller = np.minimum(sizes[left], sizes[right])
    with np.errstate(divide="ignore", invalid="ignore"):
        text = np.where(inter > 0, 0.5 * inter / union + 0.5 * inter / smaller, 0.0)
    subjects = [doc.subjects for doc in docs]
    targets = [doc.target for doc in docs]
    score = text.copy()
    for k in np.flatnonzero(text >= dedup.BOOST_FLOOR):
        a, b = int(left[k]), int(right[k])
        same_subject = bool(subjects[a] & subjects[b])
        same_target = targets[a] is not None and targets[a] == targets[b]
        score[k] = dedup._final_score(float(text[k]), same_subject, same_target)
    return left, right, score


# -- (a) precision and recall ---------------------------------------------------------------

print(f"(a) labelled set: {args.seeds} matters x (1 + 4 paraphrases + 3 negatives)")
labelled_texts = corpus.labelled_set(2026, args.seeds, 4, 3)
records = corpus.labelled(2026, args.seeds, 4, 3)
assert [c.text for c in records] == [text for text, _ in labelled_texts]
groups = [group for _, group in labelled_texts]
truth = {
    frozenset((i, j))
    for i, j in itertools.combinations(range(len(groups)), 2)
    if groups[i] == groups[j]
}
quality: dict[str, object] = {
    "records": len(records),
    "matters": args.seeds,
    "true_pairs": len(truth),
    "threshold": THRESHOLD,
}
for label, docs in (
    ("text_only", [dedup.Doc(i, text) for i, (text, _) in enumerate(labelled_texts)]),
    (
        "with_subject_and_target",
        [dedup.Doc(i, c.text, frozenset({c.subject}), c.target) for i, c in enumerate(records)],
    ),
):
    started = time.perf_counter()
    matches = dedup.find_duplicates(docs, threshold=min(SWEEP))
    seconds = time.perf_counter() - started
    scored = {frozenset((m.a, m.b)): m.score for m in matches}
    sweep = {
        f"{t:.2f}": precision_recall({p for p, s in scored.items() if s >= t}, truth) for t in SWEEP
    }
    left, right, score = all_pair_scores(docs)
    brute = {
        frozenset((int(i), int(j)))
        for i, j, s in zip(left, right, score, strict=True)
        if s >= THRESHOLD
    }
    lsh = {p for p, s in scored.items() if s >= THRESHOLD}
    quality[label] = {
        "at_default_threshold": sweep[f"{THRESHOLD:.2f}"],
        "brute_force_at_default_threshold": precision_recall(brute, truth),
        "lsh_candidate_recall_vs_brute_force": round(len(lsh & brute) / len(brute), 4),
        "find_duplicates_seconds": round(seconds, 2),
        "sweep": sweep,
    }
    print(f"  {label}: {quality[label]['at_default_threshold']}")
    for t, row in sweep.items():
        print(f"    threshold {t}: precision {row['precision']:.3f} recall {row['recall']:.3f}")

# -- (b) throughput ----------------------------------------------------------------------------

print(f"(b) throughput on {args.size:,} short texts")
started = time.perf_counter()
short = corpus.short_labelled_set(7, args.size)
generate_seconds = time.perf_counter() - started
texts = [text for text, _ in short]
docs = [dedup.Doc(i, text) for i, text in enumerate(texts)]
print(
    f"  generated in {generate_seconds:.1f} s, mean length {np.mean([len(t) for t in texts]):.1f}"
)

# Memory of an index per document, measured on a small one with tracemalloc (slow, exact).
tracemalloc.start()
small = dedup.Index()
small.add_many(docs[:20_000])
small.candidate_pairs()  # builds the sorted band arrays too
index_bytes_per_doc = tracemalloc.get_traced_memory()[0] / 20_000
tracemalloc.stop()
del small

index = dedup.Index(lsh_threshold=args.lsh_threshold)
started = time.perf_counter()
index.add_many(docs)
build_seconds = time.perf_counter() - started
rss_after_build = rss_mb()
print(f"  index ({index.bands} bands of {index.rows}) built in {build_seconds:.1f} s")

started = time.perf_counter()
left, right = index.candidate_pairs()
candidate_seconds = time.perf_counter() - started
candidates = int(left.size)
del left, right
print(f"  {candidates:,} candidate pairs in {candidate_seconds:.1f} s")

started = time.perf_counter()
found = index.pairs()
pairs_seconds = time.perf_counter() - started
print(f"  {len(found):,} pairs at >= {THRESHOLD} in {pairs_seconds:.1f} s (candidates included)")

rng = random.Random(1)
queries = rng.sample(docs, 2_000)
started = time.perf_counter()
suggested = sum(len(index.similar(doc, limit=10)) for doc in queries)
query_seconds = time.perf_counter() - started
print(f"  2,000 similar() queries in {query_seconds:.1f} s")

# Brute force on the first texts of the same run (repeats sit close to their originals).
sample = docs[: args.sample]
started = time.perf_counter()
for doc in sample:
    dedup._doc_shingles(doc.text)
per_text = (time.perf_counter() - started) / len(sample)
started = time.perf_counter()
s_left, s_right, s_score = all_pair_scores(sample)
pair_seconds = time.perf_counter() - started - per_text * len(sample)
per_pair = pair_seconds / s_left.size
brute_pairs = {
    frozenset((int(i), int(j)))
    for i, j, s in zip(s_left, s_right, s_score, strict=True)
    if s >= THRESHOLD
}
sample_keys = {doc.key for doc in sample}
lsh_pairs = {frozenset((m.a, m.b)) for m in found if {m.a, m.b} <= sample_keys}
# The generator knows which texts repeat which: precision and recall on the sample too.
sample_truth = {
    frozenset((i, j))
    for i, j in itertools.combinations(range(len(sample)), 2)
    if short[i][1] == short[j][1]
}
default_index = dedup.Index()
default_index.add_many(sample)
default_pairs = {frozenset((m.a, m.b)) for m in default_index.pairs()}

n = args.size
lsh_total = build_seconds + pairs_seconds
brute_total = per_text * n + per_pair * n * (n - 1) / 2
throughput = {
    "texts": n,
    "mean_length_chars": round(float(np.mean([len(t) for t in texts])), 1),
    "generate_seconds": round(generate_seconds, 1),
    "lsh_threshold": index.lsh_threshold,
    "bands": index.bands,
    "rows_per_band": index.rows,
    "max_bucket": dedup.MAX_BUCKET,
    "build_seconds": round(build_seconds, 1),
    "build_texts_per_second": round(n / build_seconds),
    "candidate_pairs": candidates,
    "candidate_pairs_seconds": round(candidate_seconds, 1),
    "pairs_found": len(found),
    "all_pairs_seconds": round(pairs_seconds, 1),
    "build_and_all_pairs_seconds": round(lsh_total, 1),
    "build_and_all_pairs_texts_per_second": round(n / lsh_total),
    "similar_queries": len(queries),
    "similar_ms_per_query": round(1000 * query_seconds / len(queries), 2),
    "similar_suggestions_per_query": round(suggested / len(queries), 2),
    "rss_after_build_mb": round(rss_after_build),
    "peak_rss_mb": round(peak_rss_mb()),
    "index_bytes_per_doc_tracemalloc_20k": round(index_bytes_per_doc),
    "index_mb_at_size_from_per_doc": round(index_bytes_per_doc * n / 2**20),
    "brute_force": {
        "sample_texts": len(sample),
        "sample_pairs": int(s_left.size),
        "shingle_microseconds_per_text": round(per_text * 1e6, 1),
        "pair_microseconds": round(per_pair * 1e6, 4),
        "extrapolated_seconds_at_size": round(brute_total),
        "extrapolated_days_at_size": round(brute_total / 86_400, 2),
        "extrapolation": "shingling x N + measured seconds per pair x N(N-1)/2",
    },
    "speed_ratio_brute_force_over_lsh": round(brute_total / lsh_total, 1),
    "sample_duplicate_pairs_brute_force": len(brute_pairs),
    "lsh_candidate_recall_vs_brute_force": round(
        len(brute_pairs & lsh_pairs) / len(brute_pairs), 4
    ),
    "lsh_pairs_not_in_brute_force": len(lsh_pairs - brute_pairs),
    "sample_against_generator_labels": {
        "true_pairs": len(sample_truth),
        "brute_force": precision_recall(brute_pairs, sample_truth),
        "lsh_run": precision_recall(lsh_pairs, sample_truth),
    },
    "default_banding_recall_on_sample": round(
        len(brute_pairs & default_pairs) / len(brute_pairs), 4
    ),
}
write(
    "dedup",
    {
        "precision_recall": quality,
        "throughput": throughput,
        "targets": {
            "precision_at_least_0_9": all(
                quality[k]["at_default_threshold"]["precision"] >= 0.9
                for k in ("text_only", "with_subject_and_target")
            ),
            "recall_at_least_0_9": all(
                quality[k]["at_default_threshold"]["recall"] >= 0.9
                for k in ("text_only", "with_subject_and_target")
            ),
        },
    },
)
