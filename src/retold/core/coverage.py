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

from dataclasses import dataclass

import numpy as np

from retold.core.arrays import isin_sorted, unique_sorted


def _covered_words(windows: np.ndarray, size: int) -> int:
    """How many words the marked windows cover (window i covers words i .. i + size - 1):
    each marked window adds the words up to the next marked one, at most ``size``."""
    at = np.flatnonzero(windows)
    if len(at) == 0:
        return 0
    return int(np.minimum(np.diff(at), size).sum()) + size


@dataclass(frozen=True, slots=True)
class Words:
    """What word coverage needs of one document, computed once for all its pairs."""

    positions: np.ndarray  # shingle hashes in text order
    shingles: np.ndarray  # the sorted set of them
    own: np.ndarray  # bool per window: not boilerplate
    own_words: int  # words in at least one own window (0: the document is all boilerplate)

    @property
    def words(self) -> int:
        return len(self.positions) + self.size - 1 if len(self.positions) else 0

    size: int = 5


def words_of(positions: np.ndarray, boilerplate: np.ndarray, size: int, shingles: np.ndarray | None = None) -> Words:
    """:class:`Words` of a document from its shingle ``positions`` (``shingles``: their sorted
    set, when already at hand)."""
    own = ~isin_sorted(positions, boilerplate)
    n_own = _covered_words(own, size)
    return Words(positions, unique_sorted(np.sort(positions)) if shingles is None else shingles, own, n_own, size)


def coverage_by(doc: Words, other: np.ndarray) -> float:
    """Share of ``doc``'s own words in a window found in ``other`` (a sorted shingle set)."""
    if len(doc.positions) == 0:
        return 0.0
    found = isin_sorted(doc.positions, other)
    if doc.own_words == 0:
        return _covered_words(found, doc.size) / doc.words
    return _covered_words(found & doc.own, doc.size) / doc.own_words


def word_coverage(positions: np.ndarray, other: np.ndarray, boilerplate: np.ndarray, size: int) -> float:
    """Share of the own words of a document (its ``positions``: shingle hashes in text order)
    that lie in a window found in ``other`` (a sorted shingle set); see the module docstring."""
    return coverage_by(words_of(positions, boilerplate, size), other)
