"""Verification: exact shingle-set scores for candidate pairs, and the relation they imply.

For a pair with shingle sets A and B, ``I = |A ∩ B|``:
``jaccard = I / |A ∪ B|``, ``containment_a = I / |A|`` (share of a found in b),
``containment_b = I / |B|``. ``shared`` counts the shared shingles that are not
boilerplate (see :mod:`retold.engines.local.candidates`).

``coverage_a`` is the share of a's own words found in b: its *word coverage*
(:mod:`retold.core.coverage`), measured on the texts for every pair where either side's
*shingle coverage* (``shared / own``, the share of its non-boilerplate shingles found in
the other) reaches :data:`~retold.core.rules.WORD_COVERAGE_FLOOR`; for the other pairs the
shingle coverage stands in (it is lower: an edit costs five windows but one word).
``coverage_b`` likewise.

The relation (thresholds in :class:`~retold.config.VerifyConfig`, chosen on the news
bench, see docs/method.md) says how much of each document the other one covers:

- a document is *covered* by the other when its coverage is >= ``min_containment``
  (most of its own text is reused there: one shared sentence or quote is not enough),
  or when >= ``near_copy_containment`` of all its shingles are shared (a page copied so
  often that all of it is "boilerplate");
- ``duplicate``: each covers the other and their sizes differ by at most
  ``duplicate_length_ratio``;
- ``contains``: b is covered by a (when both are covered, b is the smaller);
  ``contained``: a is covered by b;
- ``overlap``: neither holds, but they share >= ``min_shared`` non-boilerplate shingles
  (a reused passage, sentence or quote);
- else the pair is not reported.

``duplicate``, ``contains`` and ``contained`` are the *version* relations that families
are built from (:mod:`retold.families`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from retold.core import _sets
from retold.core.arrays import isin_sorted
from retold.config import VerifyConfig
from retold.core.rules import SCORE_DECIMALS, WORD_COVERAGE_FLOOR, rounded
from retold.models import PairTable

NO_RELATION = ""


@dataclass(frozen=True, slots=True)
class Scores:
    """Verified scores of candidate pairs, element-wise with the candidate arrays."""

    intersection: np.ndarray  # int64
    shared: np.ndarray  # int64, non-boilerplate part of the intersection
    size_a: np.ndarray  # int64
    size_b: np.ndarray  # int64
    own_a: np.ndarray  # int64, non-boilerplate shingles of a
    own_b: np.ndarray  # int64
    #: word coverage (:mod:`retold.core.coverage`) where it was measured, else NaN
    words_a: np.ndarray | None = None
    words_b: np.ndarray | None = None

    @property
    def jaccard(self) -> np.ndarray:
        union = self.size_a + self.size_b - self.intersection
        return np.where(union > 0, self.intersection / np.maximum(union, 1), 0.0)

    @property
    def containment_a(self) -> np.ndarray:
        return self.intersection / np.maximum(self.size_a, 1)

    @property
    def containment_b(self) -> np.ndarray:
        return self.intersection / np.maximum(self.size_b, 1)

    @property
    def shingle_coverage_a(self) -> np.ndarray:
        """Share of a's non-boilerplate shingles found in b (all shingles if a has none of its own)."""
        return np.where(self.own_a > 0, self.shared / np.maximum(self.own_a, 1), self.containment_a)

    @property
    def shingle_coverage_b(self) -> np.ndarray:
        return np.where(self.own_b > 0, self.shared / np.maximum(self.own_b, 1), self.containment_b)

    @property
    def coverage_a(self) -> np.ndarray:
        """Word coverage of a by b where measured, else its shingle coverage (a lower bound in practice)."""
        return self.shingle_coverage_a if self.words_a is None else np.where(np.isnan(self.words_a),
                                                                             self.shingle_coverage_a, self.words_a)

    @property
    def coverage_b(self) -> np.ndarray:
        return self.shingle_coverage_b if self.words_b is None else np.where(np.isnan(self.words_b),
                                                                             self.shingle_coverage_b, self.words_b)

    def with_words(self, rows: np.ndarray, words_a: np.ndarray, words_b: np.ndarray) -> "Scores":
        """These scores with the word coverage of ``rows`` measured."""
        wa = np.full(len(self.shared), np.nan)
        wb = np.full(len(self.shared), np.nan)
        wa[rows], wb[rows] = words_a, words_b
        return replace(self, words_a=wa, words_b=wb)


def _u64(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.uint64)


def intersect_counts(set_a: np.ndarray, set_b: np.ndarray, boilerplate: np.ndarray) -> tuple[int, int]:
    """(|A ∩ B|, |A ∩ B minus boilerplate|) of two sorted unique uint64 arrays (compiled:
    a merge that gallops on the longer one when their sizes are far apart)."""
    return _sets.intersect_two(_u64(set_a), _u64(set_b), _u64(boilerplate))


def own_sizes(shingles: np.ndarray, offsets: np.ndarray, boilerplate: np.ndarray, chunk: int = 1 << 22) -> np.ndarray:
    """Number of non-boilerplate shingles of each document (in chunks: bounded memory)."""
    sizes = np.diff(offsets)
    if len(boilerplate) == 0 or len(shingles) == 0:
        return sizes
    hits: list[np.ndarray] = []
    for i in range(0, len(shingles), chunk):
        hits.append(np.flatnonzero(isin_sorted(shingles[i : i + chunk], boilerplate)) + i)
    docs = np.searchsorted(offsets, np.concatenate(hits), side="right") - 1
    return sizes - np.bincount(docs, minlength=len(sizes))


def score_pairs(
    a: np.ndarray, b: np.ndarray, shingles: np.ndarray, offsets: np.ndarray, boilerplate: np.ndarray,
    own: np.ndarray | None = None, slot: np.ndarray | None = None,
) -> Scores:
    """Exact scores of the pairs (a[i], b[i]) of document ranks.

    Rank r's set is ``shingles[offsets[s]:offsets[s+1]]`` with ``s = slot[r]`` (default r).
    ``own``: :func:`own_sizes` of every document by rank, if already computed.
    """
    sa, sb = (a, b) if slot is None else (slot[a], slot[b])
    sa = np.ascontiguousarray(sa, dtype=np.int64)
    sb = np.ascontiguousarray(sb, dtype=np.int64)
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    n_sets = len(offsets) - 1
    for s in (sa, sb):
        if len(s) and (int(s.min()) < 0 or int(s.max()) >= n_sets):
            raise IndexError(f"set index out of range [0, {n_sets})")
    # one compiled call for the batch (see _sets.intersect_pairs)
    inter, shared = _sets.intersect_pairs(sa, sb, _u64(shingles), offsets, _u64(boilerplate))
    sizes = np.diff(offsets)
    if own is None:
        own = own_sizes(shingles, offsets, boilerplate)
        own = own if slot is None else own[slot]
    return Scores(inter, shared, sizes[sa], sizes[sb], own[a], own[b])


def intersections(a: np.ndarray, b: np.ndarray, sets: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """|S(a[i]) ∩ S(b[i])| for every i, set r being ``sets[offsets[r]:offsets[r+1]]`` (sorted
    uint64): what :func:`score_pairs` computes, for sets given apart from the corpus (the
    boilerplate each document has, say)."""
    inter, _ = _sets.intersect_pairs(np.ascontiguousarray(a, dtype=np.int64), np.ascontiguousarray(b, dtype=np.int64),
                                     _u64(sets), np.ascontiguousarray(offsets, dtype=np.int64), np.empty(0, np.uint64))
    return inter


def covered(coverage: np.ndarray, containment: np.ndarray, config: VerifyConfig) -> np.ndarray:
    """Whether a document is covered by its partner (see the module docstring)."""
    return (coverage >= config.min_containment) | (containment >= config.near_copy_containment)


def needs_words(scores: Scores) -> np.ndarray:
    """Rows whose relation the word coverage may decide: either side's shingle coverage is at
    least :data:`~retold.core.rules.WORD_COVERAGE_FLOOR` (below it, word coverage cannot reach
    ``min_containment`` short of heavy rewriting, so it is not measured)."""
    return np.maximum(scores.shingle_coverage_a, scores.shingle_coverage_b) >= WORD_COVERAGE_FLOOR


def classify(scores: Scores, config: VerifyConfig) -> np.ndarray:
    """The relation of each pair (``NO_RELATION`` where it is not reported)."""
    size_a, size_b = scores.size_a, scores.size_b
    nonempty = (size_a > 0) & (size_b > 0)
    a_covered = covered(scores.coverage_a, scores.containment_a, config) & nonempty
    b_covered = covered(scores.coverage_b, scores.containment_b, config) & nonempty
    b_smaller = size_b < size_a
    both = a_covered & b_covered
    similar_length = np.minimum(size_a, size_b) >= config.duplicate_length_ratio * np.maximum(size_a, size_b)
    rel = np.full(len(size_a), NO_RELATION, dtype=object)
    rel[(scores.shared >= config.min_shared) & ~(a_covered | b_covered)] = "overlap"
    rel[(b_covered & ~a_covered) | (both & b_smaller)] = "contains"
    rel[(a_covered & ~b_covered) | (both & ~b_smaller)] = "contained"
    rel[both & similar_length] = "duplicate"
    return rel


def rounded_all(values: np.ndarray) -> list[float]:
    """:func:`~retold.core.rules.rounded` of each value, as Python floats: vectorised where
    that is exact, by ``rounded`` itself elsewhere.

    For |x| <= 1e4, ``x * 1e4`` is within 1.2e-8 of the exact product, so unless that
    product is within 1e-6 of a tie, ``rint`` gives the same integer k as correct
    rounding; k / 1e4 (both exact doubles) is then the double nearest k/10^4, which is what
    ``round(x, 4)`` returns. Near ties, NaN, infinities and large values go to ``rounded``.
    """
    x = np.asarray(values, dtype=np.float64)
    scale = 10.0**SCORE_DECIMALS
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = x * scale
        out = (np.rint(scaled) / scale).tolist()
        slow = ~(np.abs(x) <= 1e4) | (np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6)
    for i in np.flatnonzero(slow).tolist():
        out[i] = rounded(x[i])
    return out


def pairs_from_scores(ids: Sequence[str], a: np.ndarray, b: np.ndarray, scores: Scores, relations: np.ndarray,
                      rows: np.ndarray) -> PairTable:
    """The pairs of the scored rows ``rows`` as a :class:`~retold.models.PairTable`: the i-th
    of them joins documents ``ids[a[i]]`` and ``ids[b[i]]``; scores rounded to 4 decimals,
    the one rounding every engine applies."""
    def column(values: np.ndarray) -> np.ndarray:
        return np.asarray(rounded_all(values[rows]), dtype=np.float64)

    return PairTable(tuple(ids), np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64), column(scores.jaccard),
                     column(scores.containment_a), column(scores.containment_b),
                     relations[rows].astype(object), scores.shared[rows].astype(np.int64),
                     column(scores.coverage_a), column(scores.coverage_b))
