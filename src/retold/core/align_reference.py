"""The reference twin of :mod:`retold.core.align`: the same method in plain Python and NumPy.

Readable, and slow: the tests check that the compiled aligner gives exactly these
passages, and that the compiled selection of overlapping chains (:func:`_select`; frequent
in texts that repeat themselves, like licences) accepts the same chains.
"""

from __future__ import annotations

import bisect
import heapq
from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import Indel

from retold.config import AlignConfig
from retold.models import Passage
from retold.core.normalize import Tokens, ascii_spans, tokenize_spans
# the scan's own batch tokeniser+hasher (ASCII) and its separator/joiner mapping, so the
# fast path hashes exactly as the sketches do (without counting in sketch.STATS)
from retold.core.sketch import FOLD, ascii_token_hashes, asciify, token_hashes
from retold.core.rules import rounded

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
    a = text_a if text_a.isascii() else asciify(text_a)
    b = text_b if text_b.isascii() else asciify(text_b)
    if a is None or b is None:
        return align_tokens(tokenize_spans(text_a), tokenize_spans(text_b), config)
    ha, hb, oa, ob = _ascii_pair(a, b, config.seed)
    return _align_ordered(ha, hb, oa, ob, config)


def align_tokens(ta: Tokens, tb: Tokens, config: AlignConfig = AlignConfig()) -> list[Passage]:
    """:func:`align` for texts already tokenised with :func:`~retold.core.normalize.tokenize_spans`."""
    return _align_ordered(token_hashes(ta.tokens, config.seed), token_hashes(tb.tokens, config.seed),
                          (ta.starts, ta.ends), (tb.starts, tb.ends), config)


#: (token starts, token ends) in characters of the original text
_Offsets = tuple[np.ndarray, np.ndarray]


def _align_ordered(ha: np.ndarray, hb: np.ndarray, oa: _Offsets, ob: _Offsets,
                   config: AlignConfig) -> list[Passage]:
    """Put the pair in canonical order, align it, and mirror the passages back if needed."""
    if (len(ha), ha.tobytes()) > (len(hb), hb.tobytes()):
        return sorted((p.mirrored() for p in _align_canonical(ob, oa, hb, ha, config)),
                      key=lambda p: p.a_start)
    return _align_canonical(oa, ob, ha, hb, config)


# -- ASCII fast path: token spans and hashes of a pair ------------------------------------


def _ascii_pair(a: str, b: str, seed: int) -> tuple[np.ndarray, np.ndarray, _Offsets, _Offsets]:
    """Token hashes and spans of two ASCII texts (one pass over both for each)."""
    hashes, ntok = ascii_token_hashes([a, b], seed)
    starts, ends = ascii_spans(a + "\n" + b)  # "\n" separates: no token spans both
    na = int(ntok[0])
    if len(starts) != len(hashes):  # pragma: no cover - same classes by construction
        raise AssertionError("ASCII token spans and hashes disagree")
    shift = len(a) + 1
    return hashes[:na], hashes[na:], (starts[:na], ends[:na]), (starts[na:] - shift, ends[na:] - shift)


@dataclass(slots=True)
class _Span:
    """A passage in token coordinates while it is being built (``matched`` for the score)."""

    a0: int
    a1: int
    b0: int
    b1: int
    matched: float = 0.0


def _align_canonical(oa: _Offsets, ob: _Offsets, ha: np.ndarray, hb: np.ndarray,
                     config: AlignConfig) -> list[Passage]:
    """Align a pair already in canonical order; token-identical texts are one passage."""
    if len(ha) == len(hb) and np.array_equal(ha, hb):
        spans = [_Span(0, len(ha), 0, len(hb), float(len(ha)))] if len(ha) else []
    else:
        frags = _fragments(*_seed_pairs(ha, hb, config), config.seed_size)
        chains = _chains(frags, config)
        if chains:
            la, lb = ha.tolist(), hb.tolist()
            spans = [_span_of(c, la, lb) for c in _select(chains, config)]
            spans.sort(key=lambda s: s.a0)
            if config.extend:
                _extend_all(spans, la, lb, config)
        else:
            spans = []
    passages = []
    for s in spans:
        score = 2.0 * s.matched / ((s.a1 - s.a0) + (s.b1 - s.b0))
        if min(s.a1 - s.a0, s.b1 - s.b0) >= config.min_passage_tokens and score >= config.min_score:
            passages.append(Passage(int(oa[0][s.a0]), int(oa[1][s.a1 - 1]),
                                    int(ob[0][s.b0]), int(ob[1][s.b1 - 1]), rounded(score)))
    return passages


# -- 1, 2: seeds and fragments ------------------------------------------------------------

_NO_TOKENS = np.empty(0, dtype=np.int64)
_U64 = np.uint64


def _seed_pairs(ha: np.ndarray, hb: np.ndarray, config: AlignConfig,
                pack: bool = True) -> tuple[np.ndarray, np.ndarray, bool]:
    """Positions (i in a, j in b) of every shared, not too frequent seed n-gram (any order),
    and whether no n-gram occurs more than twice in the two texts together (see
    :func:`_fragments`).

    One sort of both texts' n-gram hashes with their positions (a's first, then b's)
    packed into the low bits: in each run of equal hashes a's positions come first, then
    b's, both ascending. Should two different hashes agree above the packed bits, a
    stable argsort of the full hashes is used instead (as always with ``pack=False``).
    """
    n = config.seed_size
    na, nb = len(ha) - n + 1, len(hb) - n + 1
    if na <= 0 or nb <= 0:
        return _NO_TOKENS, _NO_TOKENS, True
    # n-gram keys: the shingle hash before its finaliser (a bijection), so equal exactly
    # when the shingle hashes are equal; a's na, then b's nb
    keys = np.empty(na + nb, dtype=np.uint64)
    for h, k in ((ha, keys[:na]), (hb, keys[na:])):
        k[:] = h[: len(k)]
        for j in range(1, n):
            k *= FOLD
            k += h[j: j + len(k)]
    bits = _U64((na + nb).bit_length())
    packed = keys >> bits << bits
    packed |= np.arange(na + nb, dtype=np.uint64)
    packed.sort()
    order = (packed & ((_U64(1) << bits) - _U64(1))).astype(np.int64)
    packed >>= bits
    same = packed[1:] == packed[:-1]  # same[i]: sorted entries i and i + 1 share a hash
    full = keys[order]
    if not pack or (same & (full[1:] != full[:-1])).any():
        order = np.argsort(keys, kind="stable")
        full = keys[order]
        same = full[1:] == full[:-1]
    if not (same[1:] & same[:-1]).any():  # the usual case: every hash at most twice
        i = np.flatnonzero(same & (order[:-1] < na) & (order[1:] >= na))
        return order[i], order[i + 1] - na, True
    new = np.empty(len(order), dtype=bool)
    new[0] = True
    np.logical_not(same, out=new[1:])
    start = np.flatnonzero(new)
    count = np.diff(start, append=len(order))
    ca = np.add.reduceat(order < na, start)  # a's positions in each run
    cb = count - ca
    m = config.max_seed_occurrences
    keep = (ca > 0) & (cb > 0) & (ca <= m) & (cb <= m)
    start, ca, cb = start[keep], ca[keep], cb[keep]
    per = ca * cb  # pairs contributed by each shared n-gram
    first = np.concatenate(([0], np.cumsum(per)[:-1]))
    group = np.repeat(np.arange(len(per)), per)
    local = np.arange(int(per.sum())) - first[group]
    ia = order[start[group] + local // cb[group]]
    ib = order[start[group] + ca[group] + local % cb[group]] - na
    return ia, ib, False


def _fragments(ia: np.ndarray, ib: np.ndarray, unique: bool, n: int) -> list[Segment]:
    """Merge seeds that touch on one diagonal into maximal exact runs, sorted by end.

    ``unique``: no n-gram occurs more than twice in the two texts together, so every
    position has at most one seed, and two seeds on one diagonal at most ``n`` apart have
    seeds at every position between them (the n-grams there match too, so they occur
    once in each text and are seeds).
    Fragments are then runs of seeds at consecutive positions on both sides, found in
    order of a without sorting; on a they are disjoint, so their ends are increasing.
    """
    if len(ia) == 0:
        return []
    if unique:
        mate = np.full(int(ia.max()) + 1, -1, dtype=np.int64)
        mate[ia] = ib
        ia = np.flatnonzero(mate >= 0)
        ib = mate[ia]
        new = np.empty(len(ia), dtype=bool)
        new[0] = True
        np.not_equal(ib[1:] - ib[:-1], 1, out=new[1:])
        new[1:] |= ia[1:] - ia[:-1] != 1
        first = np.flatnonzero(new)
        last = np.append(first[1:], len(ia)) - 1
        a0 = ia[first]
        return list(zip(a0.tolist(), ib[first].tolist(), (ia[last] - a0 + n).tolist()))
    # sort by (diagonal, ia) as one integer key: ia < span, 0 <= ib - ia + span < 2 * span
    span = int(max(ia.max(), ib.max())) + 1
    key = np.sort((ib - ia + span) * span + ia)
    ia = key % span
    diag = key // span - span
    new = np.ones(len(ia), dtype=bool)
    new[1:] = (diag[1:] != diag[:-1]) | (ia[1:] > ia[:-1] + n)
    first = np.flatnonzero(new)
    last = np.append(first[1:], len(ia)) - 1
    a0, length = ia[first], ia[last] - ia[first] + n
    b0 = a0 + diag[first]
    # by end (a_end, b_end); fragments are disjoint on a diagonal, so no two share an end
    end_order = np.argsort((a0 + length) * (2 * span + n) + (b0 + length))
    return list(zip(a0[end_order].tolist(), b0[end_order].tolist(), length[end_order].tolist()))


# -- 3: chains ----------------------------------------------------------------------------


def _gap_ok(gap_a: int, gap_b: int, config: AlignConfig) -> bool:
    """Whether skipping these many tokens on each side stays inside one passage."""
    return max(gap_a, gap_b) <= config.max_gap and abs(gap_a - gap_b) <= config.max_shift


def _chains(frags: list[Segment], config: AlignConfig) -> list[list[Segment]]:
    """Best monotone chains of fragments (DP over predecessors, then best-first backtrack),
    those of at least ``min_chain_tokens`` matched tokens.

    A predecessor's diagonal differs by at most ``max_shift`` (that is the skip
    difference), so candidates are looked up in three diagonal bins of that width,
    newest first (at most ``_MAX_PREDECESSORS`` per bin), down to those ending
    ``max_gap`` tokens before the fragment starts. A candidate ``g`` can precede ``f`` if
    it starts before and ends before ``f`` on both sides; ``clip`` tokens are cut from the
    start of ``f`` so the two do not overlap, and the skips then left must pass
    :func:`_gap_ok` (inlined here: this loop is the hot spot of a typical pair).
    """
    width = config.max_shift + 1
    max_gap, max_shift = config.max_gap, config.max_shift
    bins: dict[int, list[int]] = {}
    score: list[float] = []
    pred: list[int] = []
    clips: list[int] = []
    starts_a: list[int] = []
    starts_b: list[int] = []
    ends_a: list[int] = []
    ends_b: list[int] = []
    for k, (a0, b0, fl) in enumerate(frags):
        best, best_g, best_clip = float(fl), -1, 0
        home = (b0 - a0) // width
        min_end = a0 - max_gap
        a1, b1 = a0 + fl, b0 + fl
        for o in (-1, 0, 1):
            members = bins.get(home + o)
            if members is None:
                continue
            for g in members[: -_MAX_PREDECESSORS - 1: -1]:
                ga1 = ends_a[g]
                if ga1 < min_end:
                    break
                gb1 = ends_b[g]
                if not (starts_a[g] < a0 and starts_b[g] < b0 and ga1 < a1 and gb1 < b1):
                    continue
                clip = ga1 - a0
                if gb1 - b0 > clip:
                    clip = gb1 - b0
                if clip < 0:
                    clip = 0
                elif clip >= fl:
                    continue
                gap_a, gap_b = a0 + clip - ga1, b0 + clip - gb1
                if gap_a > max_gap or gap_b > max_gap:
                    continue
                shift = gap_a - gap_b if gap_a >= gap_b else gap_b - gap_a
                if shift > max_shift:
                    continue
                total = (score[g] + fl - clip - _SHIFT_COST * shift
                         - _GAP_COST * (gap_a if gap_a < gap_b else gap_b))
                if total > best:
                    best, best_g, best_clip = total, g, clip
        score.append(best)
        pred.append(best_g)
        clips.append(best_clip)
        starts_a.append(a0)
        starts_b.append(b0)
        ends_a.append(a1)
        ends_b.append(b1)
        members = bins.get(home)
        if members is None:
            bins[home] = [k]
        else:
            members.append(k)
    used = [False] * len(frags)
    chains: list[list[Segment]] = []
    min_tokens = config.min_chain_tokens
    # best first, ties by index (sorted() is stable, also with reverse=True)
    for k in sorted(range(len(frags)), key=score.__getitem__, reverse=True):
        chain: list[Segment] = []
        matched = 0
        x = k
        while x != -1 and not used[x]:
            used[x] = True
            p = pred[x]
            c = clips[x] if p != -1 and not used[p] else 0
            a0, b0, length = frags[x]
            chain.append((a0 + c, b0 + c, length - c))
            matched += length - c
            x = p
        if matched >= min_tokens:
            chain.reverse()
            chains.append(chain)
    return chains


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
        if side_a.hits(chain[0][0], chain[-1][0] + chain[-1][2]) or \
                side_b.hits(chain[0][1], chain[-1][1] + chain[-1][2]):
            pieces = _split(_trim(chain, side_a, side_b), side_a, side_b, config)
        else:  # clear of every accepted passage: nothing to trim, no gap holds one
            pieces = _split(chain, side_a, side_b, config, clear=True)
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
           config: AlignConfig, clear: bool = False) -> list[list[Segment]]:
    """Cut a trimmed chain where a gap grew too long or holds an accepted interval
    (``clear``: the chain's extent is known to hold none)."""
    pieces: list[list[Segment]] = []
    for s in segs:
        if pieces:
            g = pieces[-1][-1]
            ga1, gb1 = g[0] + g[2], g[1] + g[2]
            if (_gap_ok(s[0] - ga1, s[1] - gb1, config)
                    and (clear or (not side_a.hits(ga1, s[0]) and not side_b.hits(gb1, s[1])))):
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

    Of every prefix pair ending in a matched token, the one with the best score
    ``matched - (skipped x + skipped y) / 2`` (a changed word costs 1), that is
    ``2 * LCS(i, j) - (i + j) / 2``; ties go to the fewest tokens of x, then of y.
    Nothing when no score is positive.
    """
    best, out = 0.0, (0, 0, 0)
    prev = [0] * (len(ys) + 1)
    for i in range(1, len(xs) + 1):
        row = [0] * (len(ys) + 1)
        for j in range(1, len(ys) + 1):
            if xs[i - 1] == ys[j - 1]:
                row[j] = prev[j - 1] + 1
                value = 2.0 * row[j] - 0.5 * (i + j)
                if value > best:
                    best, out = value, (i, j, row[j])
            else:
                row[j] = max(prev[j], row[j - 1])
        prev = row
    return out
