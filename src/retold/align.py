"""Passage alignment: which stretches of two texts are the same text, retold.

:func:`align` returns the reused passages of a pair as :class:`~retold.models.Passage`
records with character offsets into the ORIGINAL texts. The method, in five steps, is
near-linear in the length of the texts (two 50,000-word documents take a fraction of a
second, see ``bench/align.py``):

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
   the words beyond still match (an X-drop walk over rapidfuzz's LCS blocks within
   ``max_gap`` tokens), never into a neighbouring passage.

A passage's ``score`` is the Indel similarity of its two token sequences under the
alignment found: ``2 * matched / (tokens_a + tokens_b)``, where ``matched`` counts the
fragments' tokens plus the LCS of each gap between them (computed by rapidfuzz on the
small gaps only, which keeps it linear; a global LCS of long passages is quadratic).

Symmetry is by construction: the pair is put in a canonical order (by token hashes),
aligned once, and mirrored back, so ``align(b, a)`` is exactly the mirror of
``align(a, b)``.
"""

from __future__ import annotations

import bisect
import heapq
from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import Indel

from .config import AlignConfig
from .models import Passage
from .normalize import Tokens, tokenize_spans
from .sketch import shingle_hashes, token_hashes

#: a fragment or chain piece on one diagonal: (a_start, b_start, length) in tokens
Segment = tuple[int, int, int]
#: at most this many earlier fragments per diagonal bin are tried as predecessors
_MAX_PREDECESSORS = 64
#: chaining penalties per skipped token: unequal skips (indels) cost more than
#: equal skips (substitutions), so the DP prefers the more plausible predecessor
_SHIFT_COST = 0.5
_GAP_COST = 0.25


def align(text_a: str, text_b: str, config: AlignConfig = AlignConfig()) -> list[Passage]:
    """The reused passages of two texts, sorted by ``a_start`` (see the module docstring)."""
    return align_tokens(tokenize_spans(text_a), tokenize_spans(text_b), config)


def align_tokens(ta: Tokens, tb: Tokens, config: AlignConfig = AlignConfig()) -> list[Passage]:
    """:func:`align` for texts already tokenised with :func:`~retold.normalize.tokenize_spans`."""
    ha = token_hashes(ta.tokens, config.seed)
    hb = token_hashes(tb.tokens, config.seed)
    if (len(ha), ha.tobytes()) > (len(hb), hb.tobytes()):
        return sorted((p.mirrored() for p in _align_canonical(tb, ta, hb, ha, config)),
                      key=lambda p: p.a_start)
    return _align_canonical(ta, tb, ha, hb, config)


@dataclass(slots=True)
class _Span:
    """A passage in token coordinates while it is being built (``matched`` for the score)."""

    a0: int
    a1: int
    b0: int
    b1: int
    matched: float = 0.0


def _align_canonical(ta: Tokens, tb: Tokens, ha: np.ndarray, hb: np.ndarray,
                     config: AlignConfig) -> list[Passage]:
    """Align a pair already in canonical order; token-identical texts are one passage."""
    if len(ha) == len(hb) and np.array_equal(ha, hb):
        spans = [_Span(0, len(ha), 0, len(hb), float(len(ha)))] if len(ha) else []
    else:
        la, lb = ha.tolist(), hb.tolist()
        frags = _fragments(*_seed_pairs(ha, hb, config), config.seed_size)
        chains = [c for c in _chains(frags, config) if _matched(c) >= config.min_chain_tokens]
        spans = [_span_of(c, la, lb) for c in _select(chains, config)]
        spans.sort(key=lambda s: s.a0)
        if config.extend:
            _extend_all(spans, la, lb, config)
    passages = []
    for s in spans:
        score = 2.0 * s.matched / ((s.a1 - s.a0) + (s.b1 - s.b0))
        if min(s.a1 - s.a0, s.b1 - s.b0) >= config.min_passage_tokens and score >= config.min_score:
            passages.append(Passage(int(ta.starts[s.a0]), int(ta.ends[s.a1 - 1]),
                                    int(tb.starts[s.b0]), int(tb.ends[s.b1 - 1]), round(score, 4)))
    return passages


# -- 1, 2: seeds and fragments ------------------------------------------------------------


def _seed_pairs(ha: np.ndarray, hb: np.ndarray, config: AlignConfig) -> tuple[np.ndarray, np.ndarray]:
    """Positions (i in a, j in b) of every shared, not too frequent seed n-gram."""
    ga = shingle_hashes(ha, config.seed_size)
    gb = shingle_hashes(hb, config.seed_size)
    if len(ga) == 0 or len(gb) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    ua, start_a, count_a, order_a = _groups(ga)
    ub, start_b, count_b, order_b = _groups(gb)
    _, ka, kb = np.intersect1d(ua, ub, assume_unique=True, return_indices=True)
    keep = (count_a[ka] <= config.max_seed_occurrences) & (count_b[kb] <= config.max_seed_occurrences)
    ka, kb = ka[keep], kb[keep]
    ca, cb = count_a[ka], count_b[kb]
    per = ca * cb  # pairs contributed by each shared n-gram
    first = np.concatenate(([0], np.cumsum(per)[:-1]))
    group = np.repeat(np.arange(len(per)), per)
    local = np.arange(int(per.sum())) - first[group]
    ia = order_a[start_a[ka][group] + local // cb[group]]
    ib = order_b[start_b[kb][group] + local % cb[group]]
    return ia, ib


def _groups(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(unique values, start of each in ``order``, its count, positions sorted by value)."""
    order = np.argsort(values, kind="stable")
    uniq, start, count = np.unique(values[order], return_index=True, return_counts=True)
    return uniq, start, count, order


def _fragments(ia: np.ndarray, ib: np.ndarray, n: int) -> list[Segment]:
    """Merge seeds that touch on one diagonal into maximal exact runs, sorted by end."""
    if len(ia) == 0:
        return []
    diag = ib - ia
    order = np.lexsort((ia, diag))
    ia, diag = ia[order], diag[order]
    new = np.ones(len(ia), dtype=bool)
    new[1:] = (diag[1:] != diag[:-1]) | (ia[1:] > ia[:-1] + n)
    first = np.flatnonzero(new)
    last = np.concatenate((first[1:], [len(ia)])) - 1
    a0, length = ia[first], ia[last] - ia[first] + n
    b0 = a0 + diag[first]
    end_order = np.lexsort((b0 + length, a0 + length))
    return list(zip(a0[end_order].tolist(), b0[end_order].tolist(), length[end_order].tolist()))


# -- 3: chains ----------------------------------------------------------------------------


def _link(g: Segment, f: Segment, config: AlignConfig) -> tuple[int, int, int] | None:
    """How fragment ``f`` can follow ``g`` in one passage: (clip, gap_a, gap_b) or None.

    ``clip`` tokens are cut from the start of ``f`` so the two do not overlap.
    """
    ga0, gb0, gl = g
    fa0, fb0, fl = f
    if not (ga0 < fa0 and gb0 < fb0 and ga0 + gl < fa0 + fl and gb0 + gl < fb0 + fl):
        return None
    clip = max(0, ga0 + gl - fa0, gb0 + gl - fb0)
    if clip >= fl:
        return None
    gap_a, gap_b = fa0 + clip - ga0 - gl, fb0 + clip - gb0 - gl
    if not _gap_ok(gap_a, gap_b, config):
        return None
    return clip, gap_a, gap_b


def _gap_ok(gap_a: int, gap_b: int, config: AlignConfig) -> bool:
    """Whether skipping these many tokens on each side stays inside one passage."""
    return max(gap_a, gap_b) <= config.max_gap and abs(gap_a - gap_b) <= config.max_shift


def _chains(frags: list[Segment], config: AlignConfig) -> list[list[Segment]]:
    """Best monotone chains of fragments (DP over predecessors, then best-first backtrack).

    A predecessor's diagonal differs by at most ``max_shift`` (that is the skip
    difference), so candidates are looked up in three diagonal bins of that width,
    newest first, down to those ending ``max_gap`` tokens before the fragment starts.
    """
    width = config.max_shift + 1
    bins: dict[int, list[int]] = {}
    score: list[float] = []
    pred: list[int] = []
    clips: list[int] = []
    for k, f in enumerate(frags):
        best, best_g, best_clip = float(f[2]), -1, 0
        home = (f[1] - f[0]) // width
        for g in _candidates(frags, [bins.get(home + o, ()) for o in (-1, 0, 1)], f[0] - config.max_gap):
            link = _link(frags[g], f, config)
            if link is None:
                continue
            clip, gap_a, gap_b = link
            total = score[g] + f[2] - clip - _SHIFT_COST * abs(gap_a - gap_b) - _GAP_COST * min(gap_a, gap_b)
            if total > best:
                best, best_g, best_clip = total, g, clip
        score.append(best)
        pred.append(best_g)
        clips.append(best_clip)
        bins.setdefault(home, []).append(k)
    used = [False] * len(frags)
    chains: list[list[Segment]] = []
    for k in sorted(range(len(frags)), key=lambda i: (-score[i], i)):
        chain: list[Segment] = []
        x = k
        while x != -1 and not used[x]:
            used[x] = True
            p = pred[x]
            c = clips[x] if p != -1 and not used[p] else 0
            a0, b0, length = frags[x]
            chain.append((a0 + c, b0 + c, length - c))
            x = p
        chains.append(chain[::-1])
    return chains


def _candidates(frags: list[Segment], lists: list, min_end: int):
    """Fragment indices from each bin list (ordered by end), newest first, ending >= min_end."""
    for members in lists:
        for g in members[: -_MAX_PREDECESSORS - 1: -1]:
            if frags[g][0] + frags[g][2] < min_end:
                break
            yield g


def _matched(chain: list[Segment]) -> int:
    return sum(s[2] for s in chain)


# -- 4: selection -------------------------------------------------------------------------


class _Intervals:
    """Disjoint accepted ``[start, end)`` intervals on one side, sorted by start."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def add(self, start: int, end: int) -> None:
        k = bisect.bisect_left(self.starts, start)
        self.starts.insert(k, start)
        self.ends.insert(k, end)

    def hits(self, start: int, end: int) -> list[tuple[int, int]]:
        """The intervals that overlap ``[start, end)``."""
        k = max(bisect.bisect_right(self.starts, start) - 1, 0)
        out = []
        while k < len(self.starts) and self.starts[k] < end:
            if self.ends[k] > start:
                out.append((self.starts[k], self.ends[k]))
            k += 1
        return out


def _select(chains: list[list[Segment]], config: AlignConfig) -> list[list[Segment]]:
    """Accept chains best-first; trim and re-queue those overlapping accepted ones."""
    side_a, side_b = _Intervals(), _Intervals()
    heap = [(-_matched(c), c[0][0], c[0][1], c) for c in chains]
    heapq.heapify(heap)
    accepted = []
    while heap:
        chain = heapq.heappop(heap)[3]
        pieces = _split(_trim(chain, side_a, side_b), side_a, side_b, config)
        if pieces == [chain]:
            accepted.append(chain)
            side_a.add(chain[0][0], chain[-1][0] + chain[-1][2])
            side_b.add(chain[0][1], chain[-1][1] + chain[-1][2])
            continue
        for p in pieces:
            if _matched(p) >= config.min_chain_tokens:
                heapq.heappush(heap, (-_matched(p), p[0][0], p[0][1], p))
    return accepted


def _trim(chain: list[Segment], side_a: _Intervals, side_b: _Intervals) -> list[Segment]:
    """The parts of a chain's segments outside every accepted interval, on both sides."""
    out: list[Segment] = []
    for a0, b0, length in chain:
        d = b0 - a0
        blocked = side_a.hits(a0, a0 + length) + [(s - d, e - d) for s, e in side_b.hits(b0, b0 + length)]
        pos = a0
        for s, e in sorted(blocked):
            if s > pos:
                out.append((pos, pos + d, min(s, a0 + length) - pos))
            pos = max(pos, e)
        if pos < a0 + length:
            out.append((pos, pos + d, a0 + length - pos))
    return out


def _split(segs: list[Segment], side_a: _Intervals, side_b: _Intervals,
           config: AlignConfig) -> list[list[Segment]]:
    """Cut a trimmed chain where a gap grew too long or holds an accepted interval."""
    pieces: list[list[Segment]] = []
    for s in segs:
        if pieces:
            g = pieces[-1][-1]
            ga1, gb1 = g[0] + g[2], g[1] + g[2]
            if (_gap_ok(s[0] - ga1, s[1] - gb1, config) and not side_a.hits(ga1, s[0])
                    and not side_b.hits(gb1, s[1])):
                pieces[-1].append(s)
                continue
        pieces.append([s])
    return pieces


# -- 5: boundaries and scores -------------------------------------------------------------


def _span_of(chain: list[Segment], la: list[int], lb: list[int]) -> _Span:
    """A chain as a span; ``matched`` adds the LCS of the small gaps between its segments."""
    matched = float(_matched(chain))
    for g, f in zip(chain, chain[1:]):
        matched += _lcs(la[g[0] + g[2]: f[0]], lb[g[1] + g[2]: f[1]])
    last = chain[-1]
    return _Span(chain[0][0], last[0] + last[2], chain[0][1], last[1] + last[2], matched)


def _lcs(xs: list[int], ys: list[int]) -> int:
    """Length of the longest common subsequence of two short token lists."""
    return Indel.similarity(xs, ys) // 2 if xs and ys else 0


def _extend_all(spans: list[_Span], la: list[int], lb: list[int], config: AlignConfig) -> None:
    """Extend each span (sorted by ``a0``) at both ends, never into a neighbour."""
    by_b = sorted(range(len(spans)), key=lambda k: spans[k].b0)
    rank_b = {k: r for r, k in enumerate(by_b)}
    for k, s in enumerate(spans):
        rb = rank_b[k]
        lim_a = spans[k + 1].a0 if k + 1 < len(spans) else len(la)
        lim_b = spans[by_b[rb + 1]].b0 if rb + 1 < len(by_b) else len(lb)
        da, db, m = _xdrop(la[s.a1: min(lim_a, s.a1 + config.max_gap)],
                           lb[s.b1: min(lim_b, s.b1 + config.max_gap)])
        s.a1, s.b1, s.matched = s.a1 + da, s.b1 + db, s.matched + m
        lim_a = spans[k - 1].a1 if k else 0
        lim_b = spans[by_b[rb - 1]].b1 if rb else 0
        da, db, m = _xdrop(la[max(lim_a, s.a0 - config.max_gap): s.a0][::-1],
                           lb[max(lim_b, s.b0 - config.max_gap): s.b0][::-1])
        s.a0, s.b0, s.matched = s.a0 - da, s.b0 - db, s.matched + m


def _xdrop(xs: list[int], ys: list[int]) -> tuple[int, int, int]:
    """How far to extend into ``xs``/``ys`` (read outwards): (tokens of x, of y, matched).

    Walks the LCS blocks scoring +1 per matched token and -1/2 per token skipped on
    either side (a changed word costs 1) and stops where the running score peaked.
    """
    if not xs or not ys:
        return 0, 0, 0
    best = (0.0, 0, 0, 0)
    score, px, py, matched = 0.0, 0, 0, 0
    for blk in Indel.opcodes(xs, ys).as_matching_blocks():
        if blk.size == 0:
            continue
        score += blk.size - 0.5 * ((blk.a - px) + (blk.b - py))
        matched += blk.size
        px, py = blk.a + blk.size, blk.b + blk.size
        if score > best[0]:
            best = (score, px, py, matched)
    return best[1], best[2], best[3]
