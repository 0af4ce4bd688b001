"""Word-level diff of two texts: what was kept, changed, inserted, deleted and moved.

:func:`diff` compares the tokens of two texts (:data:`~retold.core.normalize.TOKEN_RE`,
plus single punctuation marks unless ``ignore_punctuation``) by a *key* that depends
on :class:`DiffOptions`: casefolded if ``ignore_case``; hyphens removed only if
``ignore_hyphenation`` (so ``cease-fire``/``ceasefire`` stay a visible change by
default, unlike in matching, where they are the same token); apostrophe and hyphen
variants (``’``/``'``, ``‑``/``-``) unified if ``ignore_punctuation``.

The method:

1. **Matching blocks.** The longest common subsequence of the key sequences, by
   rapidfuzz's Indel opcodes. A full LCS is quadratic in time and memory, so large
   regions are first cut at *anchors* (patience diff): keys found exactly once in each
   side of the region (or, in repetitive text, equally often), kept in their longest
   increasing run. This makes 50,000-word documents take a fraction of a second.
2. **Compounds.** With ``ignore_hyphenation``, inside a changed region a token equal
   to the concatenation of two adjacent tokens on the other side (``oilfields`` /
   ``oil fields``) counts as equal.
3. **Moves.** A run of at least ``min_move_tokens`` tokens that is deleted in one
   changed region and inserted (with equal keys) in another becomes one ``move`` op
   (``a_*`` where it was, ``b_*`` where it went) instead of a delete and an insert.
4. **Ops.** What remains of each changed region becomes ``replace`` (both sides),
   ``delete`` (only a) or ``insert`` (only b) ops.

Ops are in the order of text a and tile both token sequences: the a-sides of the
equal/replace/delete/move ops hold every token of a exactly once, and the b-sides of
the equal/replace/insert/move ops every token of b. Offsets are characters into the
ORIGINAL texts; an insert has ``a_start == a_end`` (the end of the a token it follows),
a delete ``b_start == b_end``.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Sequence

from rapidfuzz.distance import Indel

from retold.errors import ConfigError
from retold.core.normalize import TOKEN_RE

OPS: tuple[str, ...] = ("equal", "replace", "insert", "delete", "move")
_HYPHENS = "-\u2010\u2011\u2012\u00ad"
_APOSTROPHES = "'\u2019\u02bc\u2032"
_STRIP_HYPHENS = str.maketrans("", "", _HYPHENS)
_UNIFY_JOINERS = str.maketrans({**{c: "-" for c in _HYPHENS[1:]}, **{c: "'" for c in _APOSTROPHES[1:]}})
_WITH_PUNCTUATION = re.compile(TOKEN_RE.pattern + r"|\S")
#: regions up to this many cells (tokens_a * tokens_b) go straight to rapidfuzz's LCS
_DIRECT_CELLS = 1 << 18
#: how often an anchor key may occur on each side, tried in this order
_ANCHOR_TIMES = (1, 2, 3, 4)

Block = tuple[int, int, int]  # (i in a, j in b, length): equal tokens
Unit = tuple[bool, int, int, int, int]  # (equal?, i1, i2, j1, j2) token ranges


@dataclass(frozen=True, slots=True)
class DiffOp:
    """One step of the diff, with character offsets into the ORIGINAL texts."""

    op: str  # one of OPS
    a_start: int
    a_end: int
    b_start: int
    b_end: int
    a_text: str
    b_text: str


@dataclass(frozen=True, slots=True)
class DiffOptions:
    """Which differences do not count (see the module docstring)."""

    ignore_case: bool = True
    ignore_punctuation: bool = True
    ignore_hyphenation: bool = False
    #: shortest run (in tokens) reported as a move rather than a delete plus an insert
    min_move_tokens: int = 3
    #: an equal run shorter than this between two changes is folded into one change (so
    #: stray common words across unrelated text do not show as matches); 1: never folded
    min_equal_tokens: int = 1

    def __post_init__(self) -> None:
        if self.min_move_tokens < 2:
            raise ConfigError(f"min_move_tokens must be >= 2, got {self.min_move_tokens}")
        if self.min_equal_tokens < 1:
            raise ConfigError(f"min_equal_tokens must be >= 1, got {self.min_equal_tokens}")


@dataclass(frozen=True, slots=True)
class _Side:
    """One text's tokens: spans in the original text and comparison keys."""

    text: str
    starts: list[int]
    ends: list[int]
    keys: list[str]

    def point(self, i: int) -> int:
        """The character position just after token ``i - 1`` (where an insertion goes)."""
        return self.ends[i - 1] if i > 0 else 0

    def span(self, i1: int, i2: int) -> tuple[int, int]:
        """Characters of tokens ``[i1, i2)``; an empty range is a point."""
        return (self.starts[i1], self.ends[i2 - 1]) if i2 > i1 else (self.point(i1), self.point(i1))


def diff_tokens(text: str, options: DiffOptions = DiffOptions()) -> list[tuple[int, int]]:
    """The ``[start, end)`` spans of the tokens :func:`diff` compares."""
    pattern = TOKEN_RE if options.ignore_punctuation else _WITH_PUNCTUATION
    return [m.span() for m in pattern.finditer(text)]


def token_key(token: str, options: DiffOptions) -> str:
    """The form of a token that is compared under ``options``."""
    key = token if token.isascii() else unicodedata.normalize("NFKC", token)
    if options.ignore_case:
        key = key.casefold()
    if options.ignore_hyphenation:
        key = key.translate(_STRIP_HYPHENS)
    if options.ignore_punctuation:
        key = key.translate(_UNIFY_JOINERS)
    return key


def _side(text: str, options: DiffOptions) -> _Side:
    spans = diff_tokens(text, options)
    return _Side(text, [s for s, _ in spans], [e for _, e in spans],
                 [token_key(text[s:e], options) for s, e in spans])


def diff(text_a: str, text_b: str, options: DiffOptions = DiffOptions()) -> list[DiffOp]:
    """The word-level diff of two texts, as ops in the order of ``text_a``."""
    a, b = _side(text_a, options), _side(text_b, options)
    ids: dict[str, int] = {}
    ia = [ids.setdefault(k, len(ids)) for k in a.keys]
    ib = [ids.setdefault(k, len(ids)) for k in b.keys]
    units = _units(_merge(_blocks(ia, ib)), len(ia), len(ib))
    if options.ignore_hyphenation:
        units = _with_compounds(units, a.keys, b.keys)
    units = _fold_short_equal(units, options.min_equal_tokens)
    moves = _find_moves(units, ia, ib, options.min_move_tokens)
    return list(_ops(units, moves, a, b))


# -- 1: matching blocks -------------------------------------------------------------------


def _blocks(ka: list[int], kb: list[int]) -> list[Block]:
    """Equal blocks of an LCS-style alignment, in order (patience anchors + rapidfuzz)."""
    out: list[Block] = []
    stack = [(0, len(ka), 0, len(kb))]
    while stack:
        a0, a1, b0, b1 = stack.pop()
        if a0 >= a1 or b0 >= b1:
            continue
        anchors = _anchors(ka, kb, a0, a1, b0, b1) if (a1 - a0) * (b1 - b0) > _DIRECT_CELLS else []
        if not anchors:
            out += [(a0 + m.a, b0 + m.b, m.size)
                    for m in Indel.opcodes(ka[a0:a1], kb[b0:b1]).as_matching_blocks() if m.size]
            continue
        out += [(i, j, 1) for i, j in anchors]
        bounds = [(a0 - 1, b0 - 1), *anchors, (a1, b1)]
        stack += [(i + 1, i2, j + 1, j2) for (i, j), (i2, j2) in zip(bounds, bounds[1:])]
    return sorted(out)


def _anchors(ka: list[int], kb: list[int], a0: int, a1: int, b0: int, b1: int) -> list[tuple[int, int]]:
    """Anchors of a region: keys found once on each side, kept in their longest
    increasing run; failing that (repetitive text), keys found equally often (2..4
    times) on each side, their occurrences paired in order."""
    count_a, count_b = Counter(ka[a0:a1]), Counter(kb[b0:b1])
    for times in _ANCHOR_TIMES:
        where_b: dict[int, list[int]] = {}
        for j, k in enumerate(kb[b0:b1], b0):
            if count_b[k] == times and count_a[k] == times:
                where_b.setdefault(k, []).append(j)
        seen: Counter[int] = Counter()
        pairs = []
        for i, k in enumerate(ka[a0:a1], a0):
            if k in where_b:
                pairs.append((i, where_b[k][seen[k]]))
                seen[k] += 1
        if pairs:
            return _longest_increasing(pairs)
    return []


def _longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of ``pairs`` (sorted by first item) increasing in the second."""
    tails: list[int] = []  # tails[k]: smallest second item ending a run of length k + 1
    tail_idx: list[int] = []
    back = [-1] * len(pairs)
    for n, (_, j) in enumerate(pairs):
        k = bisect.bisect_left(tails, j)
        back[n] = tail_idx[k - 1] if k else -1
        if k == len(tails):
            tails.append(j)
            tail_idx.append(n)
        else:
            tails[k], tail_idx[k] = j, n
    run, n = [], tail_idx[-1] if tail_idx else -1
    while n != -1:
        run.append(pairs[n])
        n = back[n]
    return run[::-1]


def _merge(blocks: list[Block]) -> list[Block]:
    """Join blocks that continue each other."""
    out: list[Block] = []
    for i, j, size in blocks:
        if out and out[-1][0] + out[-1][2] == i and out[-1][1] + out[-1][2] == j:
            out[-1] = (out[-1][0], out[-1][1], out[-1][2] + size)
        else:
            out.append((i, j, size))
    return out


def _units(blocks: list[Block], na: int, nb: int) -> list[Unit]:
    """Equal blocks and the changed regions between them, covering both sequences."""
    units: list[Unit] = []
    i = j = 0
    for bi, bj, size in [*blocks, (na, nb, 0)]:
        if bi > i or bj > j:
            units.append((False, i, bi, j, bj))
        if size:
            units.append((True, bi, bi + size, bj, bj + size))
        i, j = bi + size, bj + size
    return units


# -- 2: compounds -------------------------------------------------------------------------


def _with_compounds(units: list[Unit], ka: list[str], kb: list[str]) -> list[Unit]:
    """Split changed regions where one token equals two adjacent ones on the other side."""
    out: list[Unit] = []
    for unit in units:
        equal, i1, i2, j1, j2 = unit
        if equal or i1 == i2 or j1 == j2:
            out.append(unit)
            continue
        i, j = i1, j1
        for ci, cj, wa, wb in _compounds(ka, kb, i1, i2, j1, j2):
            if ci > i or cj > j:
                out.append((False, i, ci, j, cj))
            out.append((True, ci, ci + wa, cj, cj + wb))
            i, j = ci + wa, cj + wb
        if i < i2 or j < j2:
            out.append((False, i, i2, j, j2))
    return _merge_equal(out)


def _compounds(ka: list[str], kb: list[str], i1: int, i2: int, j1: int, j2: int):
    """Monotone (i, j, tokens in a, tokens in b) compound matches in a region, greedily."""
    singles_b: dict[str, list[int]] = {}
    pairs_b: dict[str, list[int]] = {}
    for j in range(j1, j2):
        singles_b.setdefault(kb[j], []).append(j)
        if j + 1 < j2:
            pairs_b.setdefault(kb[j] + kb[j + 1], []).append(j)
    i, next_j = i1, j1
    while i < i2:
        for index, width_a, width_b, key in ((singles_b, 2, 1, "".join(ka[i:i + 2])), (pairs_b, 1, 2, ka[i])):
            if i + width_a > i2:
                continue
            j = next((j for j in index.get(key, ()) if j >= next_j), None)
            if j is not None:
                yield i, j, width_a, width_b
                i, next_j = i + width_a, j + width_b
                break
        else:
            i += 1


def _merge_equal(units: list[Unit]) -> list[Unit]:
    out: list[Unit] = []
    for u in units:
        if out and u[0] and out[-1][0]:
            out[-1] = (True, out[-1][1], u[2], out[-1][3], u[4])
        else:
            out.append(u)
    return out


def _fold_short_equal(units: list[Unit], k: int) -> list[Unit]:
    """Equal units shorter than ``k`` tokens between two changed units become part of one
    changed region with them (unrelated stretches read as replaced, not as a scatter of
    single matched words)."""
    if k <= 1:
        return units
    out: list[Unit] = []
    for n, u in enumerate(units):
        if (u[0] and u[2] - u[1] < k and 0 < n < len(units) - 1 and not units[n - 1][0]
                and not units[n + 1][0]):
            u = (False, u[1], u[2], u[3], u[4])
        if out and not u[0] and not out[-1][0]:
            out[-1] = (False, out[-1][1], u[2], out[-1][3], u[4])
        else:
            out.append(u)
    return out


# -- 3: moves -----------------------------------------------------------------------------


Move = tuple[int, int, int, int, int]  # (i1, i2, j1, j2, unit the b side lies in)


def _find_moves(units: list[Unit], ka: list[int], kb: list[int], m: int) -> dict[int, list[Move]]:
    """Runs of >= m equal keys deleted in one changed region and inserted in another.

    Returns the moves grouped by the unit their a side lies in. Greedy, left to right in
    a: at each position the longest run starting with an indexed m-gram wins.
    """
    grams: dict[tuple[int, ...], list[tuple[int, int]]] = {}
    for u, (equal, _, _, j1, j2) in enumerate(units):
        if not equal:
            for j in range(j1, j2 - m + 1):
                grams.setdefault(tuple(kb[j:j + m]), []).append((j, u))
    used = bytearray(len(kb))
    moves: dict[int, list[Move]] = {}
    for u, (equal, i1, i2, _, _) in enumerate(units):
        i = i1
        while not equal and i <= i2 - m:
            best: Move | None = None
            for j, v in grams.get(tuple(ka[i:i + m]), ()):
                length = _run(ka, kb, i, j, i2, units[v][4], used) if v != u else 0
                if length >= m and (best is None or length > best[1] - best[0]):
                    best = (i, i + length, j, j + length, v)
            if best is None:
                i += 1
                continue
            used[best[2]:best[3]] = b"\x01" * (best[3] - best[2])
            moves.setdefault(u, []).append(best)
            i = best[1]
    return moves


def _run(ka: list[int], kb: list[int], i: int, j: int, i_end: int, j_end: int, used: bytearray) -> int:
    """Length of the run of equal keys from (i, j) within the regions and unused in b."""
    n = 0
    while i + n < i_end and j + n < j_end and ka[i + n] == kb[j + n] and not used[j + n]:
        n += 1
    return n


# -- 4: ops -------------------------------------------------------------------------------


def _ops(units: list[Unit], moves: dict[int, list[Move]], a: _Side, b: _Side) -> Iterable[DiffOp]:
    """The ops of every unit, in order."""
    moved_in: dict[int, list[tuple[int, int]]] = {}
    for ms in moves.values():
        for i1, i2, j1, j2, v in ms:
            moved_in.setdefault(v, []).append((j1, j2))
    for u, (equal, i1, i2, j1, j2) in enumerate(units):
        if equal:
            yield _op("equal", a, b, i1, i2, j1, j2)
            continue
        a_items = _pieces(i1, i2, [(mi1, mi2) for mi1, mi2, *_ in moves.get(u, [])])
        b_keep = [(s, e) for s, e, moved in _pieces(j1, j2, sorted(moved_in.get(u, []))) if not moved]
        yield from _change_ops(a_items, b_keep, moves.get(u, []), a, b, i2, j1)


def _pieces(start: int, end: int, cuts: Sequence[tuple[int, int]]) -> list[tuple[int, int, bool]]:
    """``[start, end)`` split into (s, e, is_cut) pieces around sorted disjoint ``cuts``."""
    out, pos = [], start
    for s, e in cuts:
        if s > pos:
            out.append((pos, s, False))
        out.append((s, e, True))
        pos = e
    if pos < end:
        out.append((pos, end, False))
    return out


def _change_ops(a_items: list[tuple[int, int, bool]], b_keep: list[tuple[int, int]], moves: list[Move],
                a: _Side, b: _Side, i_end: int, j_start: int) -> Iterable[DiffOp]:
    """A changed region: kept a pieces pair with kept b pieces in order (replace), the
    rest are deletes/inserts; moved-out a pieces are move ops."""
    targets = iter(moves)
    pending = list(b_keep)
    j_point = j_start
    for s, e, moved in a_items:
        if moved:
            _, _, mj1, mj2, _ = next(targets)
            yield _op("move", a, b, s, e, mj1, mj2)
        elif pending:
            bj1, bj2 = pending.pop(0)
            yield _op("replace", a, b, s, e, bj1, bj2)
            j_point = bj2
        else:
            yield _op("delete", a, b, s, e, j_point, j_point)
    for bj1, bj2 in pending:
        yield _op("insert", a, b, i_end, i_end, bj1, bj2)


def _op(tag: str, a: _Side, b: _Side, i1: int, i2: int, j1: int, j2: int) -> DiffOp:
    (sa, ea), (sb, eb) = a.span(i1, i2), b.span(j1, j2)
    return DiffOp(tag, sa, ea, sb, eb, a.text[sa:ea], b.text[sb:eb])


def diff_to_json(ops: Iterable[DiffOp]) -> list[dict[str, Any]]:
    """The ops as JSON-ready dicts (the field names of :class:`DiffOp`)."""
    return [asdict(op) for op in ops]
