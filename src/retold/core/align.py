"""Passage alignment: which stretches of two texts are the same text, retold.

:func:`align` returns the reused passages of a pair as :class:`~retold.models.Passage`
records with character offsets into the ORIGINAL texts. Each text is prepared once
(:func:`prepare`: tokens, their spans, and its seed n-grams sorted), however many partners
it is aligned with; a pair then costs about the length of its shorter text times the log
of the longer (steps 1-5 are compiled: :mod:`retold.core._align`; the plain-Python twin
is :mod:`retold.core.align_reference`). The method, in five steps:

1. **Seeds.** Every run of ``seed_size`` normalised tokens is hashed (the same
   token hashes as the shingles); an n-gram found in both texts, and at most
   ``max_seed_occurrences`` times in each, gives one seed per pair of positions.
   Frequent n-grams ("one of the") would only add noise and quadratic work.
2. **Fragments.** Seeds on the same diagonal that touch or overlap merge into
   fragments: maximal runs of exactly matching tokens (vectorised with NumPy).
3. **Chains.** Fragments are chained by dynamic programming into monotone runs that
   may skip up to ``max_gap`` tokens on either side between two fragments (changed
   words), as long as the two skips differ by at most ``max_shift`` tokens (words
   inserted or dropped). Longer insertions, deletions and reorderings break the chain,
   so a moved sentence becomes a passage of its own. Chains are read off best-first,
   each fragment used once.
4. **Selection.** Chains are accepted best-first (most matched tokens); one that
   overlaps an accepted passage on either side is trimmed to what is left and
   re-queued, so passages never overlap on either side.
5. **Boundaries.** Each passage is extended over a few edited words at both ends when
   the words beyond still match: of the prefixes of the next ``max_gap`` tokens on each
   side that end in a matched token, the one scoring best (+1 per matched token, -1/2
   per token skipped on either side, so a changed word costs 1), never into a
   neighbouring passage.

A passage's ``score`` is the Indel similarity of its two token sequences under the
alignment found: ``2 * matched / (tokens_a + tokens_b)``, where ``matched`` counts the
fragments' tokens plus the LCS of each gap between them (computed on the small gaps
only, which keeps it linear; a global LCS of long passages is quadratic).

Symmetry is by construction: the pair is put in a canonical order (by token hashes),
aligned once, and mirrored back, so ``align(b, a)`` is exactly the mirror of
``align(a, b)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from retold.config import AlignConfig
from retold.core import _align
from retold.core.hashing import FOLD_INT, P_INT, start
from retold.core.normalize import Tokens
# the scan's own batch tokeniser+hasher (ASCII), so passages hash exactly as sketches do
from retold.core.sketch import ASCII_JOINER_TABLE, ASCII_NORMAL_TABLE, asciify, token_hashes, unicode_tokens
from retold.models import Passage

#: a text ready to be aligned with any number of partners: token hashes, token spans in
#: characters, and the seed n-gram keys sorted with their positions
Prepared = _align.Prepared


def prepare_many(texts: Sequence[str], config: AlignConfig = AlignConfig()) -> list[Prepared]:
    """:func:`prepare` for many texts."""
    return [prepare(t, config) for t in texts]


def prepare(text: str, config: AlignConfig = AlignConfig()) -> Prepared:
    """Tokenise and hash ``text`` once for all its alignments: in one compiled pass when it
    is ASCII up to separators and joiners, else vectorised over its code points
    (:func:`~retold.core.sketch.unicode_tokens`: the tokens of
    :func:`~retold.core.normalize.tokenize_spans`)."""
    form = text if text.isascii() else asciify(text)
    if form is None:
        hashes, _, starts, ends = unicode_tokens([text], config.seed)
        return _prepared(hashes, starts, ends, config)
    return _align.prepare_ascii(form.encode("ascii"), ASCII_NORMAL_TABLE, ASCII_JOINER_TABLE, start(config.seed), P_INT,
                                config.seed_size, FOLD_INT)


def prepare_tokens(tokens: Tokens, config: AlignConfig = AlignConfig()) -> Prepared:
    """:func:`prepare` for a text already tokenised with :func:`~retold.core.normalize.tokenize_spans`."""
    return _prepared(token_hashes(tokens.tokens, config.seed), tokens.starts, tokens.ends, config)


def _prepared(hashes: np.ndarray, starts: np.ndarray, ends: np.ndarray, config: AlignConfig) -> Prepared:
    """A :class:`Prepared` text from its token hashes and character spans."""
    hashes = np.ascontiguousarray(hashes, dtype=np.uint64)
    keys, at = _align.sorted_seed_keys(hashes, config.seed_size, FOLD_INT)
    return Prepared(hashes, np.ascontiguousarray(starts, dtype=np.int64), np.ascontiguousarray(ends, dtype=np.int64),
                    keys, at)


def align(text_a: str, text_b: str, config: AlignConfig = AlignConfig()) -> list[Passage]:
    """The reused passages of two texts, sorted by ``a_start`` (see the module docstring)."""
    a, b = prepare_many([text_a, text_b], config)
    return align_prepared(a, b, config)


def align_tokens(ta: Tokens, tb: Tokens, config: AlignConfig = AlignConfig()) -> list[Passage]:
    """:func:`align` for texts already tokenised with :func:`~retold.core.normalize.tokenize_spans`."""
    return align_prepared(prepare_tokens(ta, config), prepare_tokens(tb, config), config)


def align_prepared(a: Prepared, b: Prepared, config: AlignConfig = AlignConfig()) -> list[Passage]:
    """:func:`align` for two prepared texts (both prepared with this ``config``).

    The pair is put in a canonical order (by token hashes), aligned once, and mirrored
    back, so ``align(b, a)`` is exactly the mirror of ``align(a, b)``.
    """
    return align_prepared_many([a], [b], config)[0]


def align_prepared_many(firsts: Sequence[Prepared], seconds: Sequence[Prepared],
                        config: AlignConfig = AlignConfig()) -> list[list[Passage]]:
    """:func:`align_prepared` of (firsts[i], seconds[i]) for every i, in one compiled call."""
    return [[Passage(*row) for row in rows] for rows in align_rows_many(firsts, seconds, config)]


#: a passage as a plain tuple: (a_start, a_end, b_start, b_end, score)
Row = tuple[int, int, int, int, float]


def align_arrays_many(firsts: Sequence[Prepared], seconds: Sequence[Prepared],
                      config: AlignConfig = AlignConfig()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`align_prepared_many` as the compiled aligner gives it, in arrays: (passages
    per pair, int64; their spans (a_start, a_end, b_start, b_end), int64 (m, 4); their
    scores, float64), each pair's passages by ``a_start``: what a scan keeps, without an
    object per passage."""
    return _align.align_many(
        list(firsts), list(seconds), config.seed_size, config.max_seed_occurrences, config.max_gap, config.max_shift,
        config.min_chain_tokens, config.min_passage_tokens, config.min_score, config.extend,
    )


def align_rows_many(firsts: Sequence[Prepared], seconds: Sequence[Prepared],
                    config: AlignConfig = AlignConfig()) -> list[list[Row]]:
    """:func:`align_arrays_many` with each pair's passages as a list of plain tuples (:data:`Row`)."""
    counts, spans, scores = align_arrays_many(firsts, seconds, config)
    rows = [(*span, score) for span, score in zip(spans.tolist(), scores.tolist())]
    ends = np.cumsum(counts).tolist()
    return [rows[end - k: end] for end, k in zip(ends, counts.tolist())]  # type: ignore[misc]
