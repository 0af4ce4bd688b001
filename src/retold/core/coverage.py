"""Word coverage: how much of a document's own text is found in another, robust to edits.

Shingle containment counts 5-word windows: one edited word breaks five of them, so a
reprint with 5% of its words edited shares only ~77% of its windows with the original,
while a brief that is half recycled background sentences shares half of them with another
story. Counting *words* separates the two: a word is found when at least one window
covering it is in the other document's shingle set, so an edit costs about one word.

    coverage(x by y) = |own words of x covered by a found own window| / |own words of x|

where a word is *own* when at least one window covering it is not boilerplate (a shingle
in more than ``max_df`` documents: navigation, footers). A document whose every window is
boilerplate (a page copied thousands of times) is measured on all its words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from retold.core import _sets
from retold.core.arrays import laid_end_to_end, unique_sorted


def _covered_words(windows: np.ndarray, size: int) -> int:
    """How many words the marked windows cover (window i covers words i .. i + size - 1):
    each marked window adds the words up to the next marked one, at most ``size``."""
    return _sets.covered_words(np.ascontiguousarray(windows, dtype=bool).view(np.uint8), size)


@dataclass(frozen=True, slots=True)
class Words:
    """What word coverage needs of one document, computed once for all its pairs."""

    positions: np.ndarray  # shingle hashes in text order
    shingles: np.ndarray  # the sorted set of them
    own: np.ndarray  # bool per window: not boilerplate
    own_words: int  # words in at least one own window (0: the document is all boilerplate)
    size: int = 5
    #: for the compiled kernel (:func:`retold.core._sets.covered_by`): the windows grouped by
    #: set entry (int64) and the end of each entry's group (int64); computed if None
    order: np.ndarray | None = None
    ends: np.ndarray | None = None

    @property
    def words(self) -> int:
        return len(self.positions) + self.size - 1 if len(self.positions) else 0


def _kernel_arrays(doc: Words) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(windows grouped by set entry, the groups' ends, own flags as uint8) of ``doc``."""
    flags = np.ascontiguousarray(doc.own, dtype=bool).view(np.uint8)
    if doc.order is not None and doc.ends is not None:
        return doc.order, doc.ends, flags
    w = windows_of([doc.positions], [doc.shingles], np.empty(0, np.uint64), doc.size)
    return w.order, w.ends, flags


def words_of(positions: np.ndarray, boilerplate: np.ndarray, size: int, shingles: np.ndarray | None = None) -> Words:
    """:class:`Words` of a document from its shingle ``positions`` (``shingles``: their sorted
    set, when already at hand): :func:`windows_of` for one document."""
    positions = np.ascontiguousarray(positions, dtype=np.uint64)
    if shingles is None:
        shingles = unique_sorted(positions)
    w = windows_of([positions], [shingles], boilerplate, size)
    return Words(positions, w.sets, w.own.view(bool), int(w.own_words[0]), size, w.order, w.ends)


def coverage_by(doc: Words, other: np.ndarray) -> float:
    """Share of ``doc``'s own words in a window found in ``other`` (a sorted shingle set).

    Compiled (:func:`retold.core._sets.covered_by`): the document's set is intersected with
    ``other`` (a merge when their sizes are comparable, else galloping on the longer side, so
    the cost follows the shorter one), then the windows of the shared entries are marked.
    """
    if len(doc.positions) == 0:
        return 0.0
    order, ends, flags = _kernel_arrays(doc)
    use_own = doc.own_words != 0
    other = np.ascontiguousarray(other, dtype=np.uint64)
    found = _sets.covered_by(order, flags, use_own, ends, np.ascontiguousarray(doc.shingles, dtype=np.uint64), other,
                             doc.size)
    return found / doc.own_words if use_own else found / doc.words


@dataclass(frozen=True, slots=True)
class Windows:
    """What word coverage needs of many documents, laid end to end for the compiled kernel
    (:func:`retold.core._sets.covered_pairs`): document d's windows are
    ``[offsets[d], offsets[d+1])`` of ``order``/``own``, its set entries
    ``[set_offsets[d], set_offsets[d+1])`` of ``sets``/``ends``."""

    order: np.ndarray  # int64: each document's windows (within it) grouped by set entry
    ends: np.ndarray  # int64 per set entry: the end of its group in its document's ``order``
    own: np.ndarray  # uint8 per window in text order: not boilerplate
    offsets: np.ndarray  # int64, one more than documents
    own_words: np.ndarray  # int64 per document (0: all boilerplate, measured on all words)
    sets: np.ndarray  # uint64: each document's sorted shingle set
    set_offsets: np.ndarray  # int64
    size: int

    def __len__(self) -> int:
        return len(self.offsets) - 1


def windows_of(positions: Sequence[np.ndarray], sets: Sequence[np.ndarray], boilerplate: np.ndarray,
               size: int) -> Windows:
    """:class:`Windows` of documents given their shingle ``positions`` (hashes in text
    order) and their sorted shingle ``sets`` (the distinct positions), in one compiled pass
    (what :func:`words_of` does for one). ValueError if a set lacks one of its positions."""
    flat, offsets = laid_end_to_end(list(positions), np.uint64)
    set_flat, set_offsets = laid_end_to_end(list(sets), np.uint64)
    return windows_of_flat(flat, offsets, set_flat, set_offsets, boilerplate, size)


def windows_of_flat(positions: np.ndarray, offsets: np.ndarray, sets: np.ndarray, set_offsets: np.ndarray,
                    boilerplate: np.ndarray, size: int) -> Windows:
    """:func:`windows_of` for positions and sets already laid end to end (document d's:
    ``positions[offsets[d]:offsets[d+1]]``, ``sets[set_offsets[d]:set_offsets[d+1]]``)."""
    positions = np.ascontiguousarray(positions, dtype=np.uint64)
    sets = np.ascontiguousarray(sets, dtype=np.uint64)
    order, ends, own, own_words = _sets.sorted_windows_batch(
        positions, offsets, sets, set_offsets, np.ascontiguousarray(boilerplate, dtype=np.uint64), size)
    return Windows(order, ends, own, offsets, own_words, sets, set_offsets, size)


def windows_coverages(windows: Windows, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Word coverage of document a[i] by b[i]'s shingle set and the reverse, for every i
    (indices into ``windows``), in one compiled call."""
    a = np.ascontiguousarray(a, dtype=np.int64)
    b = np.ascontiguousarray(b, dtype=np.int64)
    n = len(windows)
    if len(a) and (min(int(a.min()), int(b.min())) < 0 or max(int(a.max()), int(b.max())) >= n):
        raise IndexError(f"document index out of range [0, {n})")
    if n == 0:
        return np.empty(0), np.empty(0)
    found_a, found_b = _sets.covered_pairs(a, b, windows.order, windows.own, windows.offsets,
                                           (windows.own_words != 0).astype(np.uint8), windows.ends, windows.sets,
                                           windows.set_offsets, windows.size)
    lengths = np.diff(windows.offsets)
    words = np.where(lengths > 0, lengths + windows.size - 1, 0)
    denominators = np.where(windows.own_words != 0, windows.own_words, words).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        cov_a = np.where(denominators[a] > 0, found_a / denominators[a], 0.0)
        cov_b = np.where(denominators[b] > 0, found_b / denominators[b], 0.0)
    return cov_a, cov_b


def word_coverage(positions: np.ndarray, other: np.ndarray, boilerplate: np.ndarray, size: int) -> float:
    """Share of the own words of a document (its ``positions``: shingle hashes in text order)
    that lie in a window found in ``other`` (a sorted shingle set); see the module docstring."""
    return coverage_by(words_of(positions, boilerplate, size), other)
