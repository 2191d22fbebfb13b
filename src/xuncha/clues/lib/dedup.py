"""Near-duplicate complaints in the problem-and-clue registry (pure; no Django).

The same matter reaches an inspection team several times: by letter, by phone, through
the public channel, in several interviews. Each record words it differently: sentences in
another order, synonyms, a detail more or less, traditional characters, full-width digits,
typing slips. This module scores how likely two records are the same matter and finds the
likely pairs in a set of any size without comparing every pair.

Pipeline:

1. ``normalise``: NFKC per character (full-width digits and letters become half-width),
   OpenCC ``t2s`` (traditional to simplified), lower case, and everything that is not a
   letter or digit dropped. A map from each normalised character back to its index in the
   original text is kept, so shared passages can be highlighted in the original.
2. ``tokens``: jieba (precise mode) on the normalised text, without ``STOP_WORDS``:
   function words and the formulas every complaint carries (反映, 问题, 群众, 调查处理).
3. Shingles, each a 32-bit CRC-32 (stable across processes and machines): word unigrams
   and bigrams; specific words (with a digit: amounts, dates, counts; or unknown to
   jieba's dictionary: mostly names of people and places) ``SPECIFIC_WEIGHT`` times, as
   they tell one matter from another of the same kind at the same unit; and character
   bigrams of the words run together, which keep two wordings close when the
   segmentation shifts with them (桃源村村支书 / 桃源村支书). Measured on
   ``corpus.labelled(2026, 400, 4, 3)``, text only, best F1 over thresholds, scoring
   every pair: character bigrams 0.893, trigrams 0.903, both 0.900, word unigrams and
   bigrams 0.924, words with weighted numbers and character bigrams 0.944; weighting
   unknown words as well added a point of precision at the same recall.
4. Text score: ``(Jaccard + containment) / 2`` over the shingle sets, where containment is
   the shared part of the smaller set; a record that drops or adds details still scores
   high through containment, one that merely shares vocabulary does not through Jaccard.
5. Final score: the text score plus ``SUBJECT_BOOST`` when the two records name a common
   subject person and ``TARGET_BOOST`` when they have the same target unit, capped at 1.
   The boost applies only from a text score of ``BOOST_FLOOR``, so texts that do not look
   alike are never duplicates because of who or what they are about: other matters about
   the same unit (same target, often the same person) stay apart.
6. Candidates: up to ``EXACT_UP_TO`` documents (``similar``) and ``EXACT_PAIRS_UP_TO``
   (``pairs``) everything is scored. Beyond, MinHash signatures (``num_perm``
   permutations, datasketch 2's affine32 scheme, computed here in numpy blocks; the tests
   check them against datasketch) and banded LSH tuned to ``lsh_threshold`` (Jaccard;
   lower than the final threshold, since a pair can reach it by containment; 0.3 gives
   42 bands of 3 rows). Band keys are kept in sorted numpy arrays, not Python dicts. A
   bucket of more than ``MAX_BUCKET`` documents (shared vocabulary, not one matter) is
   split by the next band's key, again while too big, so its pairs must collide in two
   or more bands; members that agree on every band (copies of one text, a petition
   signed by many) are always paired. On a million short texts this keeps ~40 million
   candidates instead of billions.
7. Passages: repeated longest common substrings (``difflib.SequenceMatcher`` with
   ``autojunk=False``) of at least ``MIN_PASSAGE`` normalised characters, so sentences
   are found whatever their order, mapped back to spans of the two original texts.

Threshold: ``DEFAULT_THRESHOLD`` = 0.55, chosen on ``corpus.labelled_set(2026, 400, 4, 3)``
(3,200 records: 400 fictional matters, 4 paraphrases each, 3 hard negatives each, i.e.
other matters about the same unit), through ``find_duplicates``: text only, precision
0.965 and recall 0.934; with subject and target, 0.962 and 0.972. At 0.50 precision falls
to 0.90, at 0.60 text-only recall to 0.88; when subjects and targets are always filled,
0.58-0.60 buys two or three points of precision for one of recall. The sweep is in
benchmarks/results/dedup.json.

Costs (benchmarks/dedup.py, one core, texts of ~50 characters): ~5,000 texts a second to
index (jieba takes about two thirds); about 1.5 KB of index a document besides the text;
``similar`` ~2 ms against a million documents; ``pairs`` over a million ~2.5 minutes (36
million candidates). An index is cheap to rebuild from texts (a round of 1,000 records:
~0.2 s), so nothing needs persisting.
"""

from __future__ import annotations

import difflib
import itertools
import logging
import re
import threading
import unicodedata
import zlib
from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

DEFAULT_THRESHOLD = 0.55
SUBJECT_BOOST = 0.06
TARGET_BOOST = 0.04
BOOST_FLOOR = 0.35
MIN_PASSAGE = 4
SPECIFIC_WEIGHT = 3
DEFAULT_LSH_THRESHOLD = 0.3
MAX_BUCKET = 20
# Up to this many documents every one is scored exactly (no LSH): a round holds hundreds
# of records, where a missed duplicate costs more than scoring them all (a few ms).
EXACT_UP_TO = 5_000
EXACT_PAIRS_UP_TO = 800

_U32 = NDArray[np.uint32]
_U64 = NDArray[np.uint64]
_I64 = NDArray[np.int64]

# -- configuration and lazy set-up -----------------------------------------------------------

_lock = threading.Lock()
_cache_dir: Path | None = None
_tokenizer: Any = None
_t2s: Callable[[str], str] | None = None


def configure(*, cache_dir: Path | str | None) -> None:
    """Where jieba keeps its dictionary cache (None: jieba's default, the system temp dir).

    jieba and OpenCC are loaded on first use, not here, so configuring is free.
    """
    global _cache_dir
    with _lock:
        _cache_dir = None if cache_dir is None else Path(cache_dir)
        if _tokenizer is not None:  # already loaded: only a later reload would look
            _tokenizer.tmp_dir = None if _cache_dir is None else str(_cache_dir)


def _jieba() -> Any:
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                logging.getLogger("jieba").setLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                if _cache_dir is not None:
                    _cache_dir.mkdir(parents=True, exist_ok=True)
                    tokenizer.tmp_dir = str(_cache_dir)
                tokenizer.initialize()
                _tokenizer = tokenizer
    return _tokenizer


def _converter() -> Callable[[str], str]:
    global _t2s
    if _t2s is None:
        with _lock:
            if _t2s is None:
                import opencc

                _t2s = opencc.OpenCC("t2s").convert
    return _t2s


# -- normalisation and tokens ------------------------------------------------------------------

_KEPT = re.compile(r"[^\W_]+")  # runs of letters and digits (str.isalnum)


def normalise(text: str) -> tuple[str, list[int]]:
    """The text as compared, and for each of its characters the index in ``text``.

    NFKC is applied character by character (so every output character has one origin),
    then OpenCC t2s and lower case; both keep the length here (where a conversion would
    change it, the character is converted on its own or left as it is).
    """
    if unicodedata.is_normalized("NFKC", text):
        wide, origin = text, None
    else:
        parts: list[str] = []
        origin = []
        for i, char in enumerate(text):
            folded = unicodedata.normalize("NFKC", char)
            parts.append(folded)
            origin.extend([i] * len(folded))
        wide = "".join(parts)
    kept: list[str] = []
    offsets: list[int] = []
    for run in _KEPT.finditer(wide):
        kept.append(run.group())
        if origin is None:
            offsets.extend(range(run.start(), run.end()))
        else:
            offsets.extend(origin[run.start() : run.end()])
    return _fold("".join(kept)), offsets


def _fold(text: str) -> str:
    """t2s and lower case, keeping the length."""
    convert = _converter()
    simplified = convert(text)
    if len(simplified) != len(text):
        simplified = "".join(
            c if len(c) == 1 else text[i] for i, c in enumerate(convert(ch) for ch in text)
        )
    lowered = simplified.lower()
    if len(lowered) != len(simplified):
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in simplified)
    return lowered


def _normalised(text: str) -> str:
    """``normalise(text)[0]`` without the offsets (the bulk path)."""
    if not unicodedata.is_normalized("NFKC", text):
        text = "".join(unicodedata.normalize("NFKC", char) for char in text)
    return _fold("".join(_KEPT.findall(text)))


# Function words, and the formulas of complaint records (channel, request, reaction) that
# every record carries whatever its matter.
STOP_WORDS = frozenset(
    {
        *"的了在是和与及也都就还把被对给向从为其之而并或等这那有我你他她它以于着过又很个",
        *"吗呢吧啊所则却但让将要会能可该每各请",
        *("我们", "你们", "他们", "她们", "这个", "那个", "这些", "那些", "一个", "一些"),
        *("以下", "如下", "已经", "没有", "一直", "因为", "所以", "但是", "而且", "并且"),
        *("还有", "以及", "或者", "如果", "可以", "进行", "有关", "相关", "问题", "情况"),
        *("反映", "举报", "群众", "老百姓", "村民", "干部", "单位", "来信", "来电", "实名"),
        *("调查", "处理", "查处", "领导", "重视", "属实", "意见", "希望", "上级", "认真", "公道"),
    }
)


def tokens(text: str) -> list[str]:
    """jieba words (precise mode) of the normalised text, without stop words."""
    return _words(_normalised(text))


def _words(normalised: str) -> list[str]:
    if not normalised:
        return []
    return [w for w in _jieba().lcut(normalised) if w not in STOP_WORDS]


def _shingles(words: Sequence[str]) -> _U32:
    """Sorted unique 32-bit hashes of the shingles of a document's words.

    Word unigrams and bigrams; specific words (with a digit, or of two or more characters
    and unknown to jieba's dictionary: mostly names of people and places) count
    ``SPECIFIC_WEIGHT`` times; and the character bigrams of the words run together, which
    keep two wordings close when the segmentation shifts with them.
    """
    crc = zlib.crc32
    known = _jieba().FREQ
    hashes = {crc(w.encode()) for w in words}
    joined = "".join(words)
    hashes.update(crc(f"\x1d{joined[i : i + 2]}".encode()) for i in range(len(joined) - 1))
    hashes.update(crc(f"{a}\x1f{b}".encode()) for a, b in itertools.pairwise(words))
    hashes.update(
        crc(f"{w}\x1e{k}".encode())
        for w in words
        if any(c.isdigit() for c in w) or (len(w) > 1 and not known.get(w))
        for k in range(1, SPECIFIC_WEIGHT)
    )
    return np.array(sorted(hashes), dtype=np.uint32)


def _doc_shingles(text: str) -> _U32:
    return _shingles(_words(_normalised(text)))


# -- documents and matches -----------------------------------------------------------------


@dataclass(frozen=True)
class Doc:
    key: Hashable  # e.g. the record id
    text: str
    subjects: frozenset[str] = frozenset()  # subject-person keys (ids or normalised names)
    target: str | None = None  # target-organisation key


@dataclass(frozen=True)
class Passage:
    """One shared passage, as [start, end) spans of the two original texts."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int


@dataclass(frozen=True)
class Match:
    a: Hashable
    b: Hashable
    score: float  # the final score in [0, 1]
    text_score: float  # text similarity alone
    same_subject: bool
    same_target: bool
    passages: tuple[Passage, ...]  # shared passages, for highlighting


def _text_score(inter: int, size_a: int, size_b: int) -> float:
    if inter == 0:
        return 0.0
    return 0.5 * inter / (size_a + size_b - inter) + 0.5 * inter / min(size_a, size_b)


def _final_score(text_score: float, same_subject: bool, same_target: bool) -> float:
    if text_score < BOOST_FLOOR:
        return text_score
    boost = SUBJECT_BOOST * same_subject + TARGET_BOOST * same_target
    return min(1.0, text_score + boost)


def _signals(a: Doc, b: Doc) -> tuple[bool, bool]:
    return bool(a.subjects & b.subjects), a.target is not None and a.target == b.target


def _match(a: Doc, b: Doc, text_score: float, *, passages: bool = True) -> Match:
    same_subject, same_target = _signals(a, b)
    return Match(
        a=a.key,
        b=b.key,
        score=_final_score(text_score, same_subject, same_target),
        text_score=text_score,
        same_subject=same_subject,
        same_target=same_target,
        passages=shared_passages(a.text, b.text) if passages else (),
    )


def compare(a: Doc, b: Doc) -> Match:
    """The precise score of two documents and their shared passages."""
    sa, sb = _doc_shingles(a.text), _doc_shingles(b.text)
    inter = int(np.intersect1d(sa, sb, assume_unique=True).size)
    return _match(a, b, _text_score(inter, sa.size, sb.size))


def shared_passages(a: str, b: str, *, min_length: int = MIN_PASSAGE) -> tuple[Passage, ...]:
    """Passages of at least ``min_length`` normalised characters found in both texts.

    The longest common substring is taken, blanked out in both texts, and the search
    repeated, so passages are found whatever their order; spans refer to the original
    texts and cover any punctuation or spaces inside a passage.
    """
    na, oa = normalise(a)
    nb, ob = normalise(b)
    if not na or not nb:
        return ()
    found: list[Passage] = []
    sa, sb = list(na), list(nb)
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    while True:
        matcher.set_seqs(sa, sb)
        i, j, size = matcher.find_longest_match(0, len(sa), 0, len(sb))
        if size < min_length:
            break
        found.append(Passage(oa[i], oa[i + size - 1] + 1, ob[j], ob[j + size - 1] + 1))
        # Blank the passage with characters that match nothing (normalised text has none).
        sa[i : i + size] = ["\x00"] * size
        sb[j : j + size] = ["\x01"] * size
    return tuple(sorted(found, key=lambda p: (p.a_start, p.b_start)))


def highlight(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[str, bool]]:
    """Split ``text`` into (segment, shared?) pieces; overlapping spans are merged."""
    marks = [False] * len(text)
    for start, end in spans:
        for i in range(max(0, start), min(len(text), end)):
            marks[i] = True
    pieces: list[tuple[str, bool]] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or marks[i] != marks[start]:
            pieces.append((text[start:i], marks[start]))
            start = i
    return pieces


# -- MinHash and banding ---------------------------------------------------------------------


@cache
def _permutations(num_perm: int) -> tuple[_U32, _U32]:
    """datasketch's affine32 permutations for seed 1 (``MinHash(num_perm).permutations``)."""
    gen = np.random.RandomState(1)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _fmix32(h: _U32) -> _U32:
    """MurmurHash3's finalizer (datasketch pre-mixes input hashes with it)."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def signatures(shingles: Sequence[_U32], num_perm: int = 128) -> _U32:
    """MinHash signatures, one row per shingle set (empty sets: all 2**32 - 1).

    Equal to ``datasketch.MinHash(num_perm, hashfunc=lambda h: h)`` updated with the
    same hashes (datasketch 2's default affine32 scheme), computed for many sets at once.
    """
    a, b = _permutations(num_perm)
    out = np.full((num_perm, len(shingles)), np.iinfo(np.uint32).max, dtype=np.uint32)
    sizes = np.fromiter((s.size for s in shingles), dtype=np.int64, count=len(shingles))
    rows = np.flatnonzero(sizes)
    if rows.size == 0:
        return out.T.copy()
    flat = _fmix32(np.concatenate([shingles[i] for i in rows.tolist()]))
    bounds = np.concatenate(([0], np.cumsum(sizes[rows])))
    # Blocks of ~16k hashes: the (num_perm, block) product stays in cache, which makes
    # this layout (permutations first) an order of magnitude faster than the transpose.
    start = 0
    while start < rows.size:
        stop = int(np.searchsorted(bounds, bounds[start] + 16_384, side="right")) - 1
        stop = min(max(stop, start + 1), rows.size)
        lo, hi = bounds[start], bounds[stop]
        with np.errstate(over="ignore"):
            permuted = a[:, None] * flat[None, lo:hi]
            permuted += b[:, None]
        out[:, rows[start:stop]] = np.minimum.reduceat(permuted, bounds[start:stop] - lo, axis=1)
        start = stop
    return out.T.copy()


@cache
def band_shape(lsh_threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) minimising 0.3 x false-positive + 0.7 x false-negative area.

    The same criterion as datasketch's ``MinHashLSH`` with recall weighted higher.
    """
    grid = np.linspace(0.0, 1.0, 401)
    best: tuple[float, int, int] = (float("inf"), 1, 1)
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            chance = 1.0 - (1.0 - grid**rows) ** bands
            below, above = grid <= lsh_threshold, grid >= lsh_threshold
            fp = np.trapezoid(chance[below], grid[below])
            fn = np.trapezoid(1.0 - chance[above], grid[above])
            error = float(0.3 * fp + 0.7 * fn)
            if error < best[0]:
                best = (error, bands, rows)
    return best[1], best[2]


def _band_keys(sigs: _U32, bands: int, rows: int) -> _U64:
    """One 64-bit key per (document, band): a hash of the band's ``rows`` values."""
    keys = np.zeros((sigs.shape[0], bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for r in range(rows):
            column = sigs[:, r::rows][:, :bands].astype(np.uint64)
            keys = keys * np.uint64(0x9E3779B97F4A7C15) + column
        keys ^= keys >> np.uint64(31)
        keys *= np.uint64(0xBF58476D1CE4E5B9)
        keys ^= keys >> np.uint64(29)
    return keys


def _lonely_keys(position: int, bands: int) -> _U64:
    salt = np.arange(bands, dtype=np.uint64) + np.uint64(position) * np.uint64(bands)
    return _band_keys(np.full((1, 1), 0, dtype=np.uint32), 1, 1)[0, 0] ^ (
        salt * np.uint64(0xD6E8FEB86659FD93)
    )


def _pairs_in_runs(order: _I64, starts: _I64, sizes: _I64) -> tuple[_I64, _I64]:
    """All (i, j) pairs of positions inside each run ``order[start:start+size]``."""
    left: list[_I64] = []
    right: list[_I64] = []
    for size in np.unique(sizes):
        first = starts[sizes == size]
        members = order[first[:, None] + np.arange(size)[None, :]]
        i, j = np.triu_indices(int(size), 1)
        left.append(members[:, i].ravel())
        right.append(members[:, j].ravel())
    if not left:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    return np.concatenate(left), np.concatenate(right)


def _sorted_unique(values: _I64) -> _I64:
    # np.unique hashes in numpy 2.3+, which is many times slower than this on int64 codes.
    values.sort()
    keep = np.ones(values.size, dtype=bool)
    keep[1:] = values[1:] != values[:-1]
    return values[keep]


def _runs(change: NDArray[np.bool_], length: int) -> tuple[_I64, _I64]:
    """Starts and sizes of the runs (of two or more) that ``change`` marks off.

    ``change[k]`` is true when elements k and k + 1 of a sorted sequence differ.
    """
    starts = np.concatenate(([0], np.flatnonzero(change) + 1)).astype(np.int64)
    sizes = np.diff(np.concatenate((starts, [length]))).astype(np.int64)
    keep = sizes >= 2
    return starts[keep], sizes[keep]


# -- the index -------------------------------------------------------------------------------


class Index:
    """Documents indexed for near-duplicate search.

    ``add``/``add_many`` index documents (keys must be unique: ``ValueError`` otherwise;
    there is no removal, build a new index instead); ``similar`` ranks the indexed
    documents like a new one, ``pairs`` lists every likely duplicate pair inside the
    index, ``candidate_pairs`` the pairs LSH proposes before scoring.

    ``threshold`` is the final score a match must reach; ``lsh_threshold`` (Jaccard of the
    shingle sets) sets the banding, by default ``DEFAULT_LSH_THRESHOLD``: lower finds more
    candidates (better recall, slower), higher fewer. Up to ``exact_up_to`` documents
    (``exact_pairs_up_to`` for ``pairs``) every document is scored, without LSH. Not
    thread-safe: one index per request or job.
    """

    def __init__(
        self,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        num_perm: int = 128,
        lsh_threshold: float | None = None,
        exact_up_to: int = EXACT_UP_TO,
        exact_pairs_up_to: int = EXACT_PAIRS_UP_TO,
    ) -> None:
        self.threshold = threshold
        self.exact_up_to = exact_up_to
        self.exact_pairs_up_to = exact_pairs_up_to
        self.num_perm = num_perm
        self.lsh_threshold = DEFAULT_LSH_THRESHOLD if lsh_threshold is None else lsh_threshold
        self.bands, self.rows = band_shape(self.lsh_threshold, num_perm)
        self._docs: list[Doc] = []
        self._positions: dict[Hashable, int] = {}
        self._shingles: list[_U32] = []
        self._key_blocks: list[_U64] = []  # (n, bands) band keys, in insertion order
        self._keys: _U64 | None = None  # all band keys, stacked lazily
        self._sorted: tuple[_U64, _I64] | None = None  # see _sorted_bands
        self._sorted_count = 0

    def __len__(self) -> int:
        return len(self._docs)

    def __contains__(self, key: object) -> bool:
        return key in self._positions

    def add(self, doc: Doc) -> None:
        self.add_many([doc])

    def add_many(self, docs: Iterable[Doc]) -> None:
        """Index many documents at once (signatures computed in numpy blocks)."""
        batch = list(docs)
        for offset, doc in enumerate(batch):
            if doc.key in self._positions:
                raise ValueError(f"key {doc.key!r} is already in the index")
            self._positions[doc.key] = len(self._docs) + offset
        shingles = [_doc_shingles(doc.text) for doc in batch]
        self._docs.extend(batch)
        self._shingles.extend(shingles)
        first = len(self._docs) - len(batch)
        for start in range(0, len(batch), 50_000):
            block = shingles[start : start + 50_000]
            keys = _band_keys(signatures(block, self.num_perm), self.bands, self.rows)
            # A document without words shares nothing: give it keys no other has.
            for row in np.flatnonzero([s.size == 0 for s in block]):
                keys[row] = _lonely_keys(first + start + int(row), self.bands)
            self._key_blocks.append(keys)
        self._keys = None

    # - internals --

    def _all_keys(self) -> _U64:
        if self._keys is None:
            if self._key_blocks:
                self._keys = np.concatenate(self._key_blocks)
            else:
                self._keys = np.zeros((0, self.bands), dtype=np.uint64)
            self._key_blocks = [self._keys]
        return self._keys

    def _sorted_bands(self, *, complete: bool = True) -> tuple[_U64, _I64]:
        """Per band, the sorted keys of the first ``self._sorted_count`` documents and
        their positions (both ``(bands, count)``).

        Documents added since stay unsorted (queries scan them) until they are more than
        an eighth of the index, or ``complete`` asks for everything.
        """
        keys = self._all_keys()
        unsorted = keys.shape[0] - self._sorted_count
        if self._sorted is None or (
            unsorted and (complete or unsorted > max(1024, self._sorted_count // 8))
        ):
            order = np.argsort(keys, axis=0, kind="stable").T.astype(np.int64)
            self._sorted = (np.take_along_axis(keys.T, order, axis=1), order)
            self._sorted_count = keys.shape[0]
        return self._sorted

    def _candidates(self, keys: _U64) -> set[int]:
        """Positions sharing a bucket with band keys ``keys`` (big buckets split)."""
        sorted_keys, order = self._sorted_bands(complete=False)
        all_keys = self._all_keys()
        recent = all_keys[self._sorted_count :]
        found: set[int] = set()
        for band in range(self.bands):
            row = sorted_keys[band]
            lo = int(np.searchsorted(row, keys[band], side="left"))
            hi = int(np.searchsorted(row, keys[band], side="right"))
            members = order[band, lo:hi]
            if recent.shape[0]:
                hits = np.flatnonzero(recent[:, band] == keys[band]) + self._sorted_count
                members = np.concatenate((members, hits))
            depth = 1
            while members.size > MAX_BUCKET and depth < self.bands:
                other = (band + depth) % self.bands
                members = members[all_keys[members, other] == keys[other]]
                depth += 1
            found.update(members.tolist())
        return found

    def _scores(self, shingles: _U32, positions: Sequence[int]) -> list[float]:
        """Text scores of ``shingles`` against the documents at ``positions``."""
        if len(positions) > 64:  # one sparse product beats a loop of intersect1d
            sets = [shingles, *(self._shingles[p] for p in positions)]
            others = np.arange(1, len(sets), dtype=np.int64)
            inter = _intersections(sets, np.zeros_like(others), others).tolist()
        else:
            inter = [
                int(np.intersect1d(shingles, self._shingles[p], assume_unique=True).size)
                for p in positions
            ]
        return [
            _text_score(common, shingles.size, self._shingles[p].size)
            for common, p in zip(inter, positions, strict=True)
        ]

    # - queries --

    def similar(
        self,
        doc: Doc,
        *,
        limit: int = 10,
        exclude: Collection[frozenset[Hashable]] = (),
    ) -> list[Match]:
        """Indexed documents likely to be the same matter as ``doc``, best first.

        Excludes ``doc.key`` itself and the pairs in ``exclude`` (``frozenset({a, b})``:
        pairs someone marked "not a duplicate").
        """
        if not self._docs:
            return []
        shingles = _doc_shingles(doc.text)
        if shingles.size == 0:
            return []
        if len(self._docs) <= self.exact_up_to:
            candidates: Iterable[int] = range(len(self._docs))
        else:
            keys = _band_keys(signatures([shingles], self.num_perm), self.bands, self.rows)[0]
            candidates = self._candidates(keys)
        excluded = set(exclude)
        positions = [
            p
            for p in candidates
            if self._docs[p].key != doc.key
            and frozenset((doc.key, self._docs[p].key)) not in excluded
        ]
        matches = []
        for p, text_score in zip(positions, self._scores(shingles, positions), strict=True):
            other = self._docs[p]
            same_subject, same_target = _signals(doc, other)
            if _final_score(text_score, same_subject, same_target) >= self.threshold:
                matches.append((p, text_score))
        ranked = sorted(
            (_match(doc, self._docs[p], t, passages=False) for p, t in matches),
            key=lambda m: (-m.score, str(m.b)),
        )[:limit]
        by_key = {self._docs[p].key: self._docs[p] for p, _ in matches}
        return [_with_passages(m, doc.text, by_key[m.b].text) for m in ranked]

    def candidate_pairs(self) -> tuple[_I64, _I64]:
        """All candidate pairs (positions i < j in insertion order) from the LSH buckets, or
        every pair of a small index."""
        keys = self._all_keys()
        n = keys.shape[0]
        if 1 < n <= self.exact_pairs_up_to:
            left, right = np.triu_indices(n, k=1)
            return left.astype(np.int64), right.astype(np.int64)
        codes = [self._band_pairs(keys, band) for band in range(self.bands)] if n > 1 else []
        unique = _sorted_unique(np.concatenate(codes)) if codes else np.zeros(0, dtype=np.int64)
        return unique // n, unique % n

    def _band_pairs(self, keys: _U64, band: int) -> _I64:
        """Pair codes ``i * n + j`` (i < j) of one band.

        A bucket of more than MAX_BUCKET documents is split by the next band's key (its
        pairs must collide in both bands), and so on while buckets stay too big.
        """
        n = keys.shape[0]
        sorted_keys, order = self._sorted_bands()
        positions = order[band]
        change = sorted_keys[band][1:] != sorted_keys[band][:-1]
        found: list[_I64] = []
        depth = 1
        while positions.size > 1:
            starts, sizes = _runs(change, positions.size)
            # Past the last band the members agree on every band: copies of one text (a
            # petition signed by many), all of whose pairs are wanted however many.
            small = sizes <= MAX_BUCKET if depth < self.bands else sizes > 0
            i, j = _pairs_in_runs(positions, starts[small], sizes[small])
            found.append(np.minimum(i, j) * n + np.maximum(i, j))
            big_starts, big_sizes = starts[~small], sizes[~small]
            if big_starts.size == 0:
                break
            run = np.repeat(np.arange(big_sizes.size), big_sizes)
            within = np.arange(run.size) - np.repeat(np.cumsum(big_sizes) - big_sizes, big_sizes)
            members = positions[big_starts[run] + within]
            sub = keys[members, (band + depth) % self.bands]
            resorted = np.lexsort((sub, run))
            positions, run, sub = members[resorted], run[resorted], sub[resorted]
            change = (run[1:] != run[:-1]) | (sub[1:] != sub[:-1])
            depth += 1
        return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)

    def pairs(self, *, exclude: Collection[frozenset[Hashable]] = ()) -> list[Match]:
        """All pairs of indexed documents scoring at least ``threshold``, best first.

        In each match ``a`` was added before ``b``; pairs in ``exclude`` are left out.
        """
        left, right = self.candidate_pairs()
        if left.size == 0:
            return []
        sizes = np.fromiter((s.size for s in self._shingles), dtype=np.int64)
        inter = _intersections(self._shingles, left, right)
        union = sizes[left] + sizes[right] - inter
        smaller = np.minimum(sizes[left], sizes[right])
        with np.errstate(divide="ignore", invalid="ignore"):
            text = np.where(inter > 0, 0.5 * inter / union + 0.5 * inter / smaller, 0.0)
        # Only pairs the boosts could lift over the threshold need the documents.
        reach = text + (SUBJECT_BOOST + TARGET_BOOST) * (text >= BOOST_FLOOR)
        excluded = set(exclude)
        matches: list[Match] = []
        for k in np.flatnonzero(reach >= self.threshold):
            a, b = self._docs[int(left[k])], self._docs[int(right[k])]
            if frozenset((a.key, b.key)) in excluded:
                continue
            same_subject, same_target = _signals(a, b)
            if _final_score(float(text[k]), same_subject, same_target) >= self.threshold:
                matches.append(_match(a, b, float(text[k])))
        matches.sort(key=lambda m: (-m.score, str(m.a), str(m.b)))
        return matches


def _with_passages(match: Match, a: str, b: str) -> Match:
    return replace(match, passages=shared_passages(a, b))


def _intersections(shingles: Sequence[_U32], left: _I64, right: _I64) -> _I64:
    """|shingles[left[k]] & shingles[right[k]]| for every k.

    The sets are the rows of a sparse 0/1 matrix whose columns are the hash values; the
    element-wise product of the two rows of a pair keeps the shared hashes.
    """
    from scipy import sparse  # a dependency of datasketch

    sizes = np.fromiter((s.size for s in shingles), dtype=np.int64, count=len(shingles))
    columns = np.concatenate(shingles).astype(np.int64)
    indptr = np.concatenate(([0], np.cumsum(sizes)))
    ones = np.ones(columns.size, dtype=np.float32)
    matrix = sparse.csr_matrix((ones, columns, indptr), shape=(len(shingles), 1 << 32))
    matrix.has_sorted_indices = True
    out = np.zeros(left.size, dtype=np.int64)
    step = 500_000
    for start in range(0, left.size, step):
        lo, hi = left[start : start + step], right[start : start + step]
        product = matrix[lo].multiply(matrix[hi])
        out[start : start + step] = np.asarray(product.sum(axis=1)).ravel().round()
    return out


def find_duplicates(
    docs: Sequence[Doc],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    exclude: Collection[frozenset[Hashable]] = (),
) -> list[Match]:
    """All likely duplicate pairs within ``docs`` (e.g. a whole round), best first."""
    index = Index(threshold=threshold)
    index.add_many(docs)
    return index.pairs(exclude=exclude)
