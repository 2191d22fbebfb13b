"""Near-duplicate detection: normalisation, tokens, scores, LSH against brute force, passages."""

from __future__ import annotations

import itertools
import random
import unicodedata
from pathlib import Path

import datasketch
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xuncha.clues.lib import corpus, dedup
from xuncha.clues.lib.dedup import Doc, Index, compare, find_duplicates, highlight, normalise

TRADITIONAL = (
    "來電反映：桃源村村黨支部書記張建國利用職務之便，為其妻子違規辦理了低保，累計冒領３．２萬元。"
)
SIMPLIFIED = (
    "来电反映：桃源村村党支部书记张建国利用职务之便，为其妻子违规办理了低保，累计冒领3.2万元。"
)


def labelled_docs(seed: int, n_seeds: int, *, signals: bool) -> tuple[list[Doc], list[int]]:
    records = corpus.labelled(seed, n_seeds, 3, 2)
    if not signals:
        return [Doc(i, c.text) for i, c in enumerate(records)], [c.group for c in records]
    docs = [Doc(i, c.text, frozenset({c.subject}), c.target) for i, c in enumerate(records)]
    return docs, [c.group for c in records]


def brute_force(docs: list[Doc], threshold: float) -> set[frozenset[object]]:
    """Every pair scored from its shingle sets, as ``compare`` scores it (no passages)."""
    sets = [set(dedup._doc_shingles(doc.text).tolist()) for doc in docs]
    found = set()
    for (a, sa), (b, sb) in itertools.combinations(zip(docs, sets, strict=True), 2):
        text_score = dedup._text_score(len(sa & sb), len(sa), len(sb))
        if dedup._final_score(text_score, *dedup._signals(a, b)) >= threshold:
            found.add(frozenset((a.key, b.key)))
    return found


# -- corpus ----------------------------------------------------------------------------------


def test_corpus_is_reproducible_and_labelled() -> None:
    records = corpus.labelled(3, 10, 2, 2)
    assert records == corpus.labelled(3, 10, 2, 2)
    assert [(c.text, c.group) for c in records] == corpus.labelled_set(3, 10, 2, 2)
    by_group: dict[int, list[corpus.Complaint]] = {}
    for c in records:
        by_group.setdefault(c.group, []).append(c)
    assert sorted(len(g) for g in by_group.values()) == [1] * 20 + [3] * 10
    seeds = {c.target for g in by_group.values() if len(g) == 3 for c in g}
    assert all(g[0].target in seeds for g in by_group.values() if len(g) == 1)
    assert all(20 <= len(c.text) <= 320 for c in records)
    short = corpus.short_labelled_set(4, 2_000)
    assert [t for t, _ in short] == corpus.short_texts(4, 2_000)
    repeats = sum(group != i for i, (_, group) in enumerate(short))
    assert 100 < repeats < 300


# -- normalisation ---------------------------------------------------------------------------


def test_traditional_fullwidth_and_punctuation_normalise_alike() -> None:
    assert normalise(TRADITIONAL)[0] == normalise(SIMPLIFIED)[0]
    text, _ = normalise(SIMPLIFIED)
    assert text == (
        "来电反映桃源村村党支部书记张建国利用职务之便为其妻子违规办理了低保累计冒领32万元"
    )


def test_fullwidth_letters_and_digits_become_ascii_lower_case() -> None:
    assert normalise("ＡＢＣ公司　２０２４年")[0] == "abc公司2024年"
    assert normalise("  \t\n，。！？、“”《》")[0] == ""


def test_offsets_point_at_the_original_characters() -> None:
    text, offsets = normalise(TRADITIONAL)
    assert len(offsets) == len(text)
    assert TRADITIONAL[offsets[text.index("32")]] == "３"
    assert TRADITIONAL[offsets[text.index("党支部")]] == "黨"
    assert offsets == sorted(set(offsets))


ALPHABET = (
    "张建国村党支部书记低保元万年月日黨書記張違規辦理萬圓"
    "0123456789abcXYZ０１２３４５ＡＢｃ，。！？、：；“”（）《》 \t\n-_.%&@"
    "\u0130\u00e9e\u0301\ufb01\u3000\u2460"  # İ, é, e + combining acute, ﬁ, ideographic space, ①
)


@given(st.text(alphabet=ALPHABET, max_size=60))
@settings(max_examples=200, deadline=None)
def test_offsets_map_each_normalised_character_back(text: str) -> None:
    normal, offsets = normalise(text)
    assert len(offsets) == len(normal)
    assert offsets == sorted(offsets)  # an expanded character (ﬁ -> fi) repeats its index
    for char, origin in zip(normal, offsets, strict=True):
        # The original character, normalised on its own, yields the normalised one.
        wide = unicodedata.normalize("NFKC", text[origin])
        assert char in wide or char in dedup._fold(wide)
    assert dedup._normalised(text) == normal
    assert all(c.isalnum() for c in normal)


# -- tokens --------------------------------------------------------------------------------


def test_tokens_are_words_without_stop_words() -> None:
    words = dedup.tokens(SIMPLIFIED)
    assert {"低保", "违规", "妻子", "职务"} <= set(words)
    assert not {"的", "了", "反映", "为", "其"} & set(words)
    assert dedup.tokens(TRADITIONAL) == words


def test_configure_points_jieba_cache_at_the_data_directory(tmp_path: Path) -> None:
    dedup.configure(cache_dir=tmp_path)
    try:
        assert dedup._jieba().tmp_dir == str(tmp_path)
    finally:
        dedup.configure(cache_dir=None)


# -- scores ----------------------------------------------------------------------------------

texts = st.integers(min_value=0, max_value=10**6).map(
    lambda seed: corpus.complaints(random.Random(seed), 1)[0].text
)


@given(texts, texts)
@settings(max_examples=40, deadline=None)
def test_score_is_symmetric_and_bounded(a: str, b: str) -> None:
    ab, ba = compare(Doc(1, a), Doc(2, b)), compare(Doc(2, b), Doc(1, a))
    assert ab.score == pytest.approx(ba.score)
    assert ab.text_score == pytest.approx(ba.text_score)
    assert 0.0 <= ab.text_score <= ab.score <= 1.0


@given(texts)
@settings(max_examples=20, deadline=None)
def test_identical_texts_score_one_and_paraphrases_stay_high(text: str) -> None:
    assert compare(Doc(1, text), Doc(2, text)).score == pytest.approx(1.0)
    assert compare(Doc(1, text), Doc(2, dedup.normalise(text)[0])).score == pytest.approx(1.0)


def test_traditional_copy_scores_one() -> None:
    assert compare(Doc(1, TRADITIONAL), Doc(2, SIMPLIFIED)).text_score == pytest.approx(1.0)


def test_unrelated_complaints_score_low() -> None:
    rng = random.Random(3)
    records = corpus.complaints(rng, 40)
    scores = [
        compare(Doc(0, a.text), Doc(1, b.text)).score
        for a, b in itertools.combinations(records, 2)
        if a.topic != b.topic
    ]
    assert max(scores) < dedup.DEFAULT_THRESHOLD
    assert float(np.median(scores)) < 0.15


def test_subject_and_target_raise_the_score_of_similar_texts() -> None:
    a = "桃源村村支书张建国违规为其妻子李梅办理低保，每月领取800元，群众意见很大。"
    b = "桃源村支书张建国给妻子李梅办了低保，每个月800元，村里人都有意见。"
    plain = compare(Doc(1, a), Doc(2, b))
    assert dedup.BOOST_FLOOR <= plain.text_score < 1.0
    both = compare(Doc(1, a, frozenset({"p7"}), "t1"), Doc(2, b, frozenset({"p7", "p9"}), "t1"))
    assert both.same_subject and both.same_target
    assert both.text_score == plain.text_score
    assert both.score == pytest.approx(
        min(1.0, plain.text_score + dedup.SUBJECT_BOOST + dedup.TARGET_BOOST)
    )
    other = compare(Doc(1, a, frozenset({"p7"}), "t1"), Doc(2, b, frozenset({"p8"}), "t2"))
    assert not other.same_subject and not other.same_target
    assert other.score == plain.score


def test_subject_and_target_alone_never_make_a_duplicate() -> None:
    # Other matters about the same unit and person: the signals must not carry them over.
    a = "桃源村村支书张建国违规为其妻子李梅办理低保，每月领取800元。"
    b = "桃源村村支书张建国在征地拆迁中虚报青苗补偿，多领补偿款5.6万元。"
    match = compare(Doc(1, a, frozenset({"p7"}), "t1"), Doc(2, b, frozenset({"p7"}), "t1"))
    assert match.same_subject and match.same_target
    assert match.text_score < dedup.BOOST_FLOOR
    assert match.score == match.text_score < dedup.DEFAULT_THRESHOLD


def test_hard_negatives_stay_below_threshold_even_with_signals() -> None:
    rng = random.Random(11)
    misses = 0
    for original in corpus.complaints(rng, 60):
        other = corpus.unrelated(rng, original)
        match = compare(
            Doc(1, original.text, frozenset({original.subject}), original.target),
            Doc(2, other.text, frozenset({other.subject}), other.target),
        )
        misses += match.score >= dedup.DEFAULT_THRESHOLD
    assert misses <= 3


# -- MinHash and LSH -------------------------------------------------------------------------


def test_signatures_equal_datasketch() -> None:
    rng = np.random.default_rng(0)
    sets = [
        np.unique(rng.integers(0, 2**32, size=k, dtype=np.uint64).astype(np.uint32))
        for k in (1, 7, 40, 0, 300, 20_000)
    ]
    ours = dedup.signatures(sets, 64)
    for hashes, row in zip(sets, ours, strict=True):
        theirs = datasketch.MinHash(num_perm=64, hashfunc=lambda h: h)
        theirs.update_batch(hashes.tolist())
        assert np.array_equal(theirs.hashvalues.astype(np.uint32), row)


def test_band_shape_lowers_with_the_threshold() -> None:
    bands, rows = dedup.band_shape(dedup.DEFAULT_LSH_THRESHOLD, 128)
    assert bands * rows <= 128
    assert dedup.band_shape(0.6, 128)[1] > rows


def test_lsh_candidates_find_what_brute_force_finds() -> None:
    docs, _ = labelled_docs(21, 50, signals=False)
    index = Index(exact_up_to=0, exact_pairs_up_to=0)  # the LSH path, not the small-set one
    index.add_many(docs)
    left, right = index.candidate_pairs()
    candidates = {frozenset((docs[i].key, docs[j].key)) for i, j in zip(left, right, strict=True)}
    truth = brute_force(docs, dedup.DEFAULT_THRESHOLD)
    assert len(truth) > 100
    assert len(truth & candidates) / len(truth) >= 0.97
    assert len(candidates) < len(docs) * (len(docs) - 1) / 2 / 5  # far from all pairs
    assert {frozenset((m.a, m.b)) for m in index.pairs()} == truth & candidates
    sample = docs[:25]
    assert brute_force(sample, dedup.DEFAULT_THRESHOLD) == {
        frozenset((a.key, b.key))
        for a, b in itertools.combinations(sample, 2)
        if compare(a, b).score >= dedup.DEFAULT_THRESHOLD
    }


def test_similar_agrees_with_pairs_and_ranks_best_first() -> None:
    docs, _ = labelled_docs(22, 30, signals=True)
    index = Index(exact_up_to=0, exact_pairs_up_to=0)
    for doc in docs:  # one at a time: the unsorted tail is searched too
        index.add(doc)
    assert len(index) == len(docs)
    paired = {frozenset((m.a, m.b)) for m in index.pairs()}
    for doc in docs[:40]:
        found = index.similar(doc, limit=100)
        assert doc.key not in {m.b for m in found}
        assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
        assert all(m.a == doc.key and m.score >= index.threshold for m in found)
        assert {frozenset((m.a, m.b)) for m in found} == {p for p in paired if doc.key in p}


def test_not_a_duplicate_pairs_are_excluded() -> None:
    longer = SIMPLIFIED + "此事很多人都知道。"
    docs = [Doc("a", SIMPLIFIED), Doc("b", TRADITIONAL), Doc("c", longer)]
    index = Index()
    index.add_many(docs)
    assert {m.b for m in index.similar(docs[0])} == {"b", "c"}
    remembered = {frozenset({"a", "b"})}
    assert {m.b for m in index.similar(docs[0], exclude=remembered)} == {"c"}
    pairs = {frozenset((m.a, m.b)) for m in find_duplicates(docs, exclude=remembered)}
    assert pairs == {frozenset({"a", "c"}), frozenset({"b", "c"})}


def test_small_sets_are_scored_exactly() -> None:
    """Below the exact limits nothing the score finds is lost to LSH's chance."""
    docs, _ = labelled_docs(23, 20, signals=True)
    exact, lsh = Index(), Index(exact_up_to=0, exact_pairs_up_to=0)
    exact.add_many(docs)
    lsh.add_many(docs)
    truth = brute_force(docs, dedup.DEFAULT_THRESHOLD)
    assert {frozenset((m.a, m.b)) for m in exact.pairs()} == truth
    assert {frozenset((m.a, m.b)) for m in lsh.pairs()} <= truth
    for doc in docs[:20]:
        expected = {next(iter(p - {doc.key})) for p in truth if doc.key in p}
        assert {m.b for m in exact.similar(doc, limit=1000)} == expected


def test_a_petition_copied_many_times_is_found_whole() -> None:
    # More copies than a bucket may hold: buckets split by further bands, and copies that
    # agree on every band are paired however many they are.
    copies = dedup.MAX_BUCKET + 5
    docs = [Doc(i, SIMPLIFIED if i % 2 else TRADITIONAL) for i in range(copies)]
    docs += [Doc(-1, "青岚县交通运输局科长王某某长期公车私用，周末开车回老家。")]
    index = Index(exact_up_to=0, exact_pairs_up_to=0)  # the LSH path
    index.add_many(docs)
    found = {frozenset((m.a, m.b)) for m in index.pairs()}
    assert found == {frozenset(p) for p in itertools.combinations(range(copies), 2)}
    assert len(index.similar(Doc("new", SIMPLIFIED), limit=100)) == copies
    assert {frozenset((m.a, m.b)) for m in find_duplicates(docs)} == found


def test_index_edge_cases() -> None:
    index = Index()
    assert index.similar(Doc(1, SIMPLIFIED)) == []
    index.add(Doc(1, SIMPLIFIED))
    with pytest.raises(ValueError, match="already"):
        index.add(Doc(1, TRADITIONAL))
    index.add_many([Doc(2, "，。！"), Doc(3, ""), Doc(4, "…")])
    assert len(index) == 4
    assert index.similar(Doc(5, "")) == []
    assert index.pairs() == []
    assert [m.b for m in index.similar(Doc(6, TRADITIONAL))] == [1]


def test_precision_and_recall_on_a_labelled_set() -> None:
    docs, groups = labelled_docs(5, 80, signals=False)
    truth = {
        frozenset((a.key, b.key))
        for (a, ga), (b, gb) in itertools.combinations(zip(docs, groups, strict=True), 2)
        if ga == gb
    }
    lsh = Index(exact_up_to=0, exact_pairs_up_to=0)
    lsh.add_many(docs)
    for matches in (find_duplicates(docs), lsh.pairs()):
        found = {frozenset((m.a, m.b)) for m in matches}
        true_positives = len(found & truth)
        assert true_positives / len(found) >= 0.9
        assert true_positives / len(truth) >= 0.9


# -- passages --------------------------------------------------------------------------------


def test_passages_are_spans_of_the_original_texts() -> None:
    a = "来电反映：桃源村村支书张建国挪用集体资金3.2万元。他还把鱼塘低价包给了小舅子。"
    b = (
        "网民留言：村支書張建國把魚塘低價包給了小舅子！"
        "另外，桃源村村支書張建國挪用集體資金３．２萬元。"
    )
    match = compare(Doc("a", a), Doc("b", b))
    assert len(match.passages) >= 2  # both sentences, though in the other order
    for p in match.passages:
        assert normalise(a[p.a_start : p.a_end])[0] == normalise(b[p.b_start : p.b_end])[0]
        assert len(normalise(a[p.a_start : p.a_end])[0]) >= dedup.MIN_PASSAGE
    shared_b = "".join(b[p.b_start : p.b_end] for p in match.passages)
    assert "張建國挪用集體資金３．２萬元" in shared_b
    assert "把魚塘低價包給了小舅子" in shared_b
    assert [m.passages for m in find_duplicates([Doc("a", a), Doc("b", b)])] == [match.passages]


def test_highlight_splits_the_original_text() -> None:
    text = "桃源村村支書張建國挪用資金。"
    pieces = highlight(text, [(3, 9), (6, 12)])
    assert "".join(segment for segment, _ in pieces) == text
    assert pieces == [("桃源村", False), ("村支書張建國挪用資", True), ("金。", False)]
    assert highlight(text, []) == [(text, False)]
    assert highlight("", [(0, 3)]) == []
