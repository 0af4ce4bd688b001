"""The local engine's pair stages: candidates, exact verification and passage alignment,
spread over worker processes (forked, sharing the corpus arrays; see
:mod:`retold.engines.local.parallel`)."""

from __future__ import annotations

import hashlib
import heapq
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Callable, cast

import numpy as np

from retold.config import AlignConfig, ScanConfig
from retold.core.align import Prepared, align_arrays_many, prepare_many
from retold.core import _sets
from retold.core.arrays import laid_end_to_end, within
from retold.core.coverage import windows_coverages, windows_of_flat
from retold.core.verify import NO_RELATION, Scores, classify, intersections, needs_words, pairs_from_scores, score_pairs
from retold.engines.local.candidates import Candidates, find_candidates
from retold.engines.local.parallel import SHARED, check_workers, fork_map
from retold.engines.local.sketching import Corpus
from retold.models import Pair, PairTable
from retold.progress import NullProgress, Progress


#: prepared texts an aligning process keeps (in tokens; ~40 bytes each)
PREPARED_TOKENS = 3 << 18


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class PreparedCache:
    """Prepared texts (:func:`~retold.core.align.prepare_many`), up to ``max_tokens`` tokens
    in all: each text is tokenised once for the pairs that come together (pairs are aligned
    in an order that keeps a document's pairs close), and identical texts (a page or a
    licence copied many times) share one preparation: they are kept by a digest of their
    content.

    Over budget, a text goes that is needed again the latest (the chunk of pairs in which
    it is next used, when the caller says: the pairs' order is known in advance, so this is
    Belady's optimal choice), before that the ones whose next use has passed (it went to
    another worker), and the least recently used among equals."""

    def __init__(self, text_of: Callable[[str], str], config: AlignConfig, max_tokens: int = PREPARED_TOKENS) -> None:
        self.text_of, self.config, self.max_tokens = text_of, config, max_tokens
        self.docs: OrderedDict[bytes, Prepared] = OrderedDict()  # by content digest, least recent first
        self.digest_of: dict[str, bytes] = {}  # every document id seen
        self.digests: set[bytes] = set()  # the contents seen
        self.duplicated: set[bytes] = set()  # the contents seen under two ids or more
        self.tokens = 0
        self.prepared = 0  # texts prepared so far (a measure of locality)
        self.until: dict[bytes, int] = {}  # key -> the chunk of its next use
        self.latest: list[tuple[int, int, bytes]] = []  # max-heap of (-next use, order, key), stale entries skipped
        self.passed: list[tuple[int, int, bytes]] = []  # min-heap of (next use, order, key)
        self.pushed = 0

    def get_all(self, ids: Sequence[str], now: int = 0, next_use: Mapping[str, int] | None = None) -> dict[str, Prepared]:
        """The prepared texts of ``ids`` (those missing prepared in one batch), for chunk
        ``now``; ``next_use[id]``: the chunk in which an id is needed next (never: a number
        past the last chunk)."""
        wanted = dict.fromkeys(ids)
        missing: dict[bytes, str] = {}
        docs, digest_of = self.docs, self.digest_of
        for i in wanted:
            key = digest_of.get(i)
            if key is None or key not in docs:
                text = self.text_of(i)
                key = _digest(text)
                if i not in digest_of:
                    if key in self.digests:
                        self.duplicated.add(key)
                    self.digests.add(key)
                digest_of[i] = key
                if key not in docs:
                    missing[key] = text
        for key, prepared in zip(missing, prepare_many(list(missing.values()), self.config)):
            docs[key] = prepared
            self.tokens += prepared.n_tokens
        self.prepared += len(missing)
        keys = {digest_of[i]: None for i in wanted}
        for key in keys:
            docs.move_to_end(key)
        if self.tokens > self.max_tokens:
            self._evict(keys, now)
        if next_use is not None:  # planned after: the texts in use now stay at the bottom of the heaps
            for i in wanted:
                self._plan(digest_of[i], next_use[i], now)
        return {i: docs[digest_of[i]] for i in wanted}

    def _plan(self, key: bytes, use: int, now: int) -> None:
        """Note that ``key`` is next needed in chunk ``use`` (the later of its ids' uses)."""
        known = self.until.get(key, -1)
        if known > now and known >= use:
            return
        self.until[key] = use
        self.pushed += 1
        heapq.heappush(self.latest, (-use, self.pushed, key))
        heapq.heappush(self.passed, (use, self.pushed, key))
        if len(self.latest) > 4 * len(self.docs) + 1024:  # drop the stale entries
            live = [(u, o, k) for u, o, k in self.passed if k in self.docs and self.until.get(k) == u]
            self.passed = live
            self.latest = [(-u, o, k) for u, o, k in live]
            heapq.heapify(self.passed)
            heapq.heapify(self.latest)

    def _evict(self, keep: Mapping[bytes, None], now: int) -> None:
        """Drop texts until the budget is met: first those whose next use has passed, then
        those needed the latest, then (no plans) the least recently used; never one of
        ``keep``."""
        for heap, sign in ((self.passed, 1), (self.latest, -1)):
            aside = []
            while self.tokens > self.max_tokens and heap:
                use, order, key = heap[0]
                if sign == 1 and use >= now:
                    break
                heapq.heappop(heap)
                if key not in self.docs or self.until.get(key) != sign * use:
                    continue  # stale: dropped, or planned again since
                if key in keep:
                    aside.append((use, order, key))
                    continue
                del self.until[key]
                self.tokens -= self.docs.pop(key).n_tokens
            for entry in aside:
                heapq.heappush(heap, entry)
        if self.tokens > self.max_tokens:
            for key in [k for k in self.docs if k not in keep]:
                if self.tokens <= self.max_tokens:
                    break
                self.tokens -= self.docs.pop(key).n_tokens


#: windows and set entries of the documents that word coverage holds at a time (~20 bytes each)
WORD_ENTRIES = 1 << 20

#: alignments an aligning process remembers by the content of the two texts
REMEMBERED_PAIRS = 1 << 16


def _align_range(bounds: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The passages of the pairs ``order[bounds[0]:bounds[1]]`` of the table: (passages per
    pair, int64; their spans (a_start, a_end, b_start, b_end), int64 (m, 4); their scores).

    A pair whose two texts are the same as those of a pair aligned before (copies of one
    page or licence paired with copies of another) gets that pair's passages: the same
    texts give the same ones. Only pairs with a text seen under several ids are remembered
    (news rarely has any: it then pays nothing for this)."""
    sh = SHARED
    table, order, cfg = sh["pairs"], sh["order"], sh["config"]
    cache = sh.get("cache")
    if cache is None:
        cache = sh["cache"] = PreparedCache(sh["text_of"], cfg)
        sh["memo"] = OrderedDict()
    memo: OrderedDict[tuple[bytes, bytes], tuple[np.ndarray, np.ndarray]] = sh["memo"]
    rows = order[bounds[0]: bounds[1]]
    ids = table.ids
    a_ids = [ids[x] for x in table.a[rows].tolist()]
    b_ids = [ids[x] for x in table.b[rows].tolist()]
    now = bounds[0] // sh["chunk"]
    uses = sh["uses"]
    lo, hi = uses.starts[now], uses.starts[now + 1]
    docs = cache.get_all(a_ids + b_ids, now, dict(zip([ids[x] for x in uses.docs[lo:hi].tolist()],
                                                      uses.next[lo:hi].tolist())))
    digest_of, duplicated = cache.digest_of, cache.duplicated
    if not duplicated:  # no text seen under two ids (news, mostly): nothing to remember
        return align_arrays_many([docs[a] for a in a_ids], [docs[b] for b in b_ids], cfg)
    out: list[tuple[np.ndarray, np.ndarray] | None] = [None] * len(a_ids)
    todo: list[int] = []  # the pairs to align, the first of each pair of texts remembered
    waiting: dict[tuple[bytes, bytes], list[int]] = {}  # such a first pair and the later ones
    for k, (a, b) in enumerate(zip(a_ids, b_ids)):
        key = (digest_of[a], digest_of[b])
        if key[0] in duplicated or key[1] in duplicated:
            known = memo.get(key)
            if known is not None:
                memo.move_to_end(key)
                out[k] = known
                continue
            if key in waiting:
                waiting[key].append(k)
                continue
            waiting[key] = [k]
        todo.append(k)
    counts, spans, scores = align_arrays_many([docs[a_ids[k]] for k in todo], [docs[b_ids[k]] for k in todo], cfg)
    ends = np.cumsum(counts).tolist()
    for k, end, c in zip(todo, ends, counts.tolist()):
        passages = out[k] = (spans[end - c: end], scores[end - c: end])
        key = (digest_of[a_ids[k]], digest_of[b_ids[k]])
        later = waiting.get(key)
        if later is not None:
            for j in later:
                out[j] = passages
            memo[key] = (passages[0].copy(), passages[1].copy())  # not views that hold the chunk's arrays
    while len(memo) > REMEMBERED_PAIRS:
        memo.popitem(last=False)
    found = cast(list[tuple[np.ndarray, np.ndarray]], out)
    return (np.fromiter((len(x[1]) for x in found), dtype=np.int64, count=len(found)),
            np.concatenate([x[0] for x in found]).reshape(-1, 4) if found else np.empty((0, 4), np.int64),
            np.concatenate([x[1] for x in found]) if found else np.empty(0))


@dataclass(frozen=True, slots=True)
class NextUses:
    """For each chunk of pairs c, its documents ``docs[starts[c]:starts[c+1]]`` (int32) and
    the chunk in which each is needed next (``next``, int32; the chunk count if never)."""

    docs: np.ndarray
    next: np.ndarray
    starts: np.ndarray

    @classmethod
    def of(cls, a: np.ndarray, b: np.ndarray, chunk: int) -> "NextUses":
        """The next uses of the documents of pairs (a[i], b[i]), taken ``chunk`` at a time."""
        chunks = -(-len(a) // chunk)
        at = np.arange(len(a), dtype=np.int64) // chunk
        keys = np.unique(np.concatenate((a, b)).astype(np.int64) * chunks + np.concatenate((at, at)))
        docs, when = keys // max(chunks, 1), keys % max(chunks, 1)  # by document, then chunk
        following = np.full(len(keys), chunks, dtype=np.int64)
        same = docs[1:] == docs[:-1]
        following[:-1][same] = when[1:][same]
        by_chunk = np.lexsort((docs, when))
        starts = np.searchsorted(when[by_chunk], np.arange(chunks + 1))
        return cls(docs[by_chunk].astype(np.int32), following[by_chunk].astype(np.int32), starts)


def locality_order(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """An order of the pairs (a[i], b[i]) (non-negative document numbers) in which each
    document's pairs come close together: documents numbered in breadth-first order over
    the pair graph (neighbours get near numbers), pairs sorted by the numbers of their two
    documents. Deterministic: ties by position."""
    _, dense = np.unique(np.concatenate((a, b)), return_inverse=True)
    a, b = dense[: len(a)].astype(np.int64), dense[len(a) :].astype(np.int64)
    n = int(dense.max()) + 1 if len(dense) else 0
    ends = np.concatenate((a, b))
    others = np.concatenate((b, a))
    by = np.argsort(ends, kind="stable")
    starts = np.searchsorted(ends[by], np.arange(n + 1)).astype(np.int64)
    number = _sets.breadth_first_numbers(starts, np.ascontiguousarray(others[by], dtype=np.int64))
    na, nb = number[a], number[b]
    lo, hi = np.minimum(na, nb), np.maximum(na, nb)
    return np.lexsort((hi, lo))


def align_pairs(
    pairs: Sequence[Pair],
    text_of: Callable[[str], str],
    config: AlignConfig,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    chunk: int = 512,
) -> PairTable:
    """The pairs with their reused passages (offsets into the original texts), as a table.

    Pairs are aligned in :func:`locality_order`, in chunks over ``workers`` processes that
    each keep a :class:`PreparedCache`, so a text is tokenised about once however many
    partners it has. ``text_of(id)`` is called in the worker processes (forked): it must
    not rely on anything a fork breaks (an open SQLite connection, for one).
    """
    workers = check_workers(workers)
    progress = progress or NullProgress()
    table = PairTable.of(pairs)
    n = len(table)
    progress.start("align", n)
    order = locality_order(table.a, table.b)
    chunks = [(lo, min(lo + chunk, n)) for lo in range(0, n, chunk)]
    counts: list[np.ndarray] = []
    spans: list[np.ndarray] = []
    scores: list[np.ndarray] = []
    uses = NextUses.of(table.a[order], table.b[order], chunk)
    for found, span, score in fork_map(_align_range, chunks, workers if len(chunks) > 1 else 1, text_of=text_of,
                                       pairs=table, order=order, config=config, chunk=chunk, uses=uses):
        counts.append(found)
        spans.append(span)
        scores.append(score)
        progress.advance(len(found))
    progress.finish()
    # the rows came in alignment order: put each pair's run of rows back in table order
    done = np.concatenate(counts) if counts else np.empty(0, np.int64)
    starts = np.cumsum(done) - done
    per_pair = np.empty(n, dtype=np.int64)
    per_pair[order] = done
    first = np.empty(n, dtype=np.int64)
    first[order] = starts
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(per_pair, out=offsets[1:])
    take = np.repeat(first, per_pair) + within(per_pair)
    all_spans = np.concatenate(spans) if spans else np.empty((0, 4), np.int64)
    all_scores = np.concatenate(scores) if scores else np.empty(0)
    return table.with_passages(offsets, all_spans[take], all_scores[take])


def _chunk_sets(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The documents of the rank pairs (a[i], b[i]) of a chunk, each read once: (their ranks,
    each pair side's index among them (a's, then b's), their sets laid end to end and the
    offsets)."""
    ranks, local = np.unique(np.concatenate((a, b)), return_inverse=True)
    return (ranks, local, *SHARED["sets"].sets(SHARED["slot"][ranks].tolist()))


def _score_chunk(bounds: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = bounds
    a = SHARED["a"][lo:hi]
    ranks, local, flat, offsets = _chunk_sets(a, SHARED["b"][lo:hi])
    sc = score_pairs(local[: len(a)], local[len(a) :], flat, offsets, SHARED["boilerplate"], SHARED["own"][ranks])
    return sc.intersection, sc.shared


def verify_candidates(cands: Candidates, corpus: Corpus, workers: int, progress: Progress) -> Scores:
    """Exact scores of every candidate pair.

    The index counted the shared non-boilerplate shingles of the pairs it proposed, so
    those only need the boilerplate their documents share (a few shingles each); the pairs
    only LSH proposed are intersected in full, in chunks over ``workers`` processes."""
    known = np.flatnonzero(cands.shared >= 0)
    unknown = np.flatnonzero(cands.shared < 0)
    inter = np.empty(len(cands), dtype=np.int64)
    shared = cands.shared.copy()
    inter[known] = shared[known] + intersections(cands.a[known], cands.b[known], cands.boiler_sets,
                                                 cands.boiler_offsets)
    progress.advance(len(known))
    a, b = cands.a[unknown], cands.b[unknown]
    step = max(1, min(20_000, -(-len(unknown) // (4 * workers))))
    chunks = [(lo, min(lo + step, len(unknown))) for lo in range(0, len(unknown), step)]
    done = 0
    for i, s in fork_map(_score_chunk, chunks, workers if len(chunks) > 1 else 1, a=a, b=b,
                         sets=corpus.sets, boilerplate=cands.boilerplate, own=cands.own, slot=corpus.slot):
        rows = unknown[done: done + len(i)]
        inter[rows], shared[rows] = i, s
        done += len(i)
        progress.advance(len(i))
    sizes = np.diff(corpus.offsets)[corpus.slot]
    return Scores(inter, shared, sizes[cands.a], sizes[cands.b], cands.own[cands.a], cands.own[cands.b])


def _words_chunk(bounds: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    sh = SHARED
    lo, hi = bounds
    a, b = sh["a"][lo:hi], sh["b"][lo:hi]
    ranks, local, sets, set_offsets = _chunk_sets(a, b)
    windows = windows_of_flat(*sh["positions_of"](ranks), sets, set_offsets, sh["boilerplate"], sh["size"])
    return windows_coverages(windows, local[: len(a)], local[len(a) :])


def word_coverages(a: np.ndarray, b: np.ndarray, corpus: Corpus,
                   positions_of: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]], boilerplate: np.ndarray,
                   size: int,
                   workers: int, chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """Word coverage (:mod:`retold.core.coverage`) of both sides of the rank pairs (a[i], b[i]),
    over ``workers`` forked processes; ``positions_of(ranks)`` (the shingles in text order of
    each, laid end to end, and their offsets) must work in a forked worker.

    The pairs are measured in :func:`locality_order` so that a chunk holds few documents,
    each prepared once for all its pairs in the chunk; a chunk holds at most ``chunk`` pairs
    and :data:`WORD_ENTRIES` windows and set entries of its documents. The results come back
    in input order.
    """
    order = locality_order(a, b)
    a, b = a[order], b[order]
    # a chunk's documents are held together: a few long ones fill it (windows and set entries)
    tokens = np.fromiter((d.tokens for d in corpus.documents), dtype=np.int64, count=len(corpus.documents))
    weights = np.maximum(tokens - size + 1, 0) + np.diff(corpus.offsets)[corpus.slot]
    bounds = _sets.chunk_bounds(a, b, weights, chunk, WORD_ENTRIES).tolist()
    chunks = list(zip(bounds[:-1], bounds[1:]))
    wa: list[np.ndarray] = []
    wb: list[np.ndarray] = []
    for x, y in fork_map(_words_chunk, chunks, workers if len(chunks) > 1 else 1, a=a, b=b, positions_of=positions_of,
                         boilerplate=boilerplate, size=size, sets=corpus.sets, slot=corpus.slot):
        wa.append(x)
        wb.append(y)
    out_a, out_b = np.empty(len(a)), np.empty(len(a))
    if wa:
        out_a[order], out_b[order] = np.concatenate(wa), np.concatenate(wb)
    return out_a, out_b


def find_pairs(
    corpus: Corpus,
    config: ScanConfig,
    positions_of: Callable[[str], np.ndarray],
    progress: Progress | None = None,
    timings: dict[str, float] | None = None,
    workers: int | None = 1,
) -> tuple[PairTable, dict[str, int]]:
    """Candidates, verified and classified: the reported pairs in (a, b) order.

    Relations are decided on word coverage where it can matter (:func:`~retold.core.verify.needs_words`),
    measured from each document's shingles in text order: ``corpus.positions`` when the
    sketch spilled them, else ``positions_of(id)`` (called in forked workers).
    """
    workers = check_workers(workers)
    progress = progress or NullProgress()
    timings = {} if timings is None else timings
    t0 = time.perf_counter()
    progress.start("candidates")
    cands = find_candidates(
        corpus.sets, corpus.bands, config.candidates, config.minhash, config.verify,
        workers=workers, rank_of=corpus.rank_of,
    )
    progress.finish()
    t1 = time.perf_counter()
    timings["candidates"] = t1 - t0
    progress.start("verify", len(cands))
    scores = verify_candidates(cands, corpus, workers, progress)
    rel = classify(scores, config.verify)
    progress.finish()
    ids = tuple(d.id for d in corpus.documents)
    rows = np.flatnonzero((rel != NO_RELATION) & needs_words(scores))
    t2 = time.perf_counter()
    timings["verify"] = t2 - t1
    progress.start("words", len(rows))
    if corpus.positions is not None:  # spilled by this engine's sketch: read in one go
        store, slot = corpus.positions, corpus.slot

        def positions_many(ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return store.arrays(slot[ranks])
    else:
        def positions_many(ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return laid_end_to_end([positions_of(ids[r]) for r in ranks.tolist()], np.uint64)
    wa, wb = word_coverages(cands.a[rows], cands.b[rows], corpus, positions_many, cands.boilerplate,
                            config.shingle.size, workers)
    progress.advance(len(rows))
    progress.finish()
    scores = scores.with_words(rows, wa, wb)
    rel = classify(scores, config.verify)
    keep = np.flatnonzero(rel != NO_RELATION)
    pairs = pairs_from_scores(ids, cands.a[keep], cands.b[keep], scores, rel, keep)
    timings["words"] = time.perf_counter() - t2
    return pairs, cands.stats
