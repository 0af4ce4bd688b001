"""Verification: exact shingle-set scores for candidate pairs, and the relation they imply.

For a pair with shingle sets A and B, ``I = |A ∩ B|``:
``jaccard = I / |A ∪ B|``, ``containment_a = I / |A|`` (share of a found in b),
``containment_b = I / |B|``. ``shared`` counts the shared shingles that are not
boilerplate (see :mod:`retold.candidates`).

The relation (thresholds in :class:`~retold.config.VerifyConfig`, chosen on the bench):

- the smaller document is contained in the other: the share of its non-boilerplate
  shingles found in the other is >= ``min_containment``, or the share of all its
  shingles is >= ``near_copy_containment`` (this keeps massively copied pages, whose
  every shingle is "boilerplate", while a shared footer cannot make two short
  documents duplicates). Then:
    - ``duplicate`` if ``min(|A|,|B|) / max(|A|,|B|) >= duplicate_length_ratio``;
    - else ``contains`` (b within a: b is the smaller) or ``contained`` (a within b);
- else ``overlap`` if ``shared >= min_shared`` (partial passage reuse);
- else the pair is not reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arrays import isin_sorted
from .config import VerifyConfig

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


def intersect_counts(set_a: np.ndarray, set_b: np.ndarray, boilerplate: np.ndarray) -> tuple[int, int]:
    """(|A ∩ B|, |A ∩ B minus boilerplate|) of two sorted unique uint64 arrays."""
    if len(set_a) > len(set_b):
        set_a, set_b = set_b, set_a
    if len(set_a) == 0:
        return 0, 0
    common = set_a[isin_sorted(set_a, set_b)]
    if len(boilerplate) == 0 or len(common) == 0:
        return len(common), len(common)
    return len(common), int(len(common) - np.count_nonzero(isin_sorted(common, boilerplate)))


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
    inter = np.zeros(len(a), dtype=np.int64)
    shared = np.zeros(len(a), dtype=np.int64)
    sa, sb = (a, b) if slot is None else (slot[a], slot[b])
    for i, (x, y) in enumerate(zip(sa.tolist(), sb.tolist())):
        inter[i], shared[i] = intersect_counts(
            shingles[offsets[x] : offsets[x + 1]], shingles[offsets[y] : offsets[y + 1]], boilerplate
        )
    sizes = np.diff(offsets)
    if own is None:
        own = own_sizes(shingles, offsets, boilerplate)
        own = own if slot is None else own[slot]
    return Scores(inter, shared, sizes[sa], sizes[sb], own[a], own[b])


def classify(scores: Scores, config: VerifyConfig) -> np.ndarray:
    """The relation of each pair (``NO_RELATION`` where it is not reported)."""
    small = np.minimum(scores.size_a, scores.size_b)
    large = np.maximum(scores.size_a, scores.size_b)
    c_small = scores.intersection / np.maximum(small, 1)
    own_small = np.where(scores.size_a <= scores.size_b, scores.own_a, scores.own_b)
    c_own = scores.shared / np.maximum(own_small, 1)
    similar_length = small >= config.duplicate_length_ratio * large
    contained_pair = (small > 0) & (
        ((c_own >= config.min_containment) & (own_small > 0)) | (c_small >= config.near_copy_containment)
    )
    rel = np.full(len(small), NO_RELATION, dtype=object)
    rel[(scores.shared >= config.min_shared) & ~contained_pair] = "overlap"
    rel[contained_pair & similar_length] = "duplicate"
    b_smaller = scores.size_b < scores.size_a
    rel[contained_pair & ~similar_length & b_smaller] = "contains"
    rel[contained_pair & ~similar_length & ~b_smaller] = "contained"
    return rel
