"""The local engine's pair stages: candidates, exact verification and passage alignment,
spread over worker processes (forked, sharing the corpus arrays; see
:mod:`retold.engines.local.parallel`)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Callable

import numpy as np

from retold.config import AlignConfig, ScanConfig
from retold.core.align import align as align_texts
from retold.core.verify import NO_RELATION, Scores, classify, pairs_from_scores, score_pairs
from retold.engines.local.candidates import Candidates, find_candidates
from retold.engines.local.parallel import SHARED, check_workers, fork_map
from retold.engines.local.sketching import Corpus
from retold.models import Pair, Passage
from retold.progress import NullProgress, Progress


def _align_range(bounds: tuple[int, int]) -> list[tuple[Passage, ...]]:
    sh = SHARED
    text_of, pairs, cfg = sh["text_of"], sh["pairs"], sh["config"]
    return [tuple(align_texts(text_of(p.a), text_of(p.b), cfg)) for p in pairs[bounds[0] : bounds[1]]]


def align_pairs(
    pairs: Sequence[Pair],
    text_of: Callable[[str], str],
    config: AlignConfig,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    chunk: int = 32,
) -> tuple[Pair, ...]:
    """The pairs with their reused passages (offsets into the original texts).

    ``text_of(id)`` is called in the worker processes (forked): it must not rely on
    anything a fork breaks (an open SQLite connection, for one).
    """
    workers = check_workers(workers)
    progress = progress or NullProgress()
    progress.start("align", len(pairs))
    chunks = [(lo, min(lo + chunk, len(pairs))) for lo in range(0, len(pairs), chunk)]
    out: list[Pair] = []
    for passages in fork_map(_align_range, chunks, workers if len(chunks) > 1 else 1, text_of=text_of,
                             pairs=pairs, config=config):
        for found in passages:
            out.append(replace(pairs[len(out)], passages=found))
        progress.advance(len(passages))
    progress.finish()
    return tuple(out)


def _score_chunk(bounds: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    sh = SHARED
    lo, hi = bounds
    sc = score_pairs(sh["a"][lo:hi], sh["b"][lo:hi], sh["shingles"], sh["offsets"], sh["boilerplate"], sh["own"],
                     sh["slot"])
    return sc.intersection, sc.shared


def verify_candidates(cands: Candidates, corpus: Corpus, workers: int, progress: Progress) -> Scores:
    """Exact scores of every candidate pair, in chunks over ``workers`` processes."""
    step = max(1, min(20_000, -(-len(cands) // (4 * workers))))
    chunks = [(lo, min(lo + step, len(cands))) for lo in range(0, len(cands), step)]
    inter: list[np.ndarray] = []
    shared: list[np.ndarray] = []
    for i, s in fork_map(_score_chunk, chunks, workers if len(chunks) > 1 else 1, a=cands.a, b=cands.b,
                         shingles=corpus.shingles, offsets=corpus.offsets, boilerplate=cands.boilerplate,
                         own=cands.own, slot=corpus.slot):
        inter.append(i)
        shared.append(s)
        progress.advance(len(i))
    sizes = np.diff(corpus.offsets)[corpus.slot]
    empty = np.empty(0, np.int64)
    return Scores(np.concatenate(inter) if inter else empty, np.concatenate(shared) if shared else empty,
                  sizes[cands.a], sizes[cands.b], cands.own[cands.a], cands.own[cands.b])


def find_pairs(
    corpus: Corpus,
    config: ScanConfig,
    progress: Progress | None = None,
    timings: dict[str, float] | None = None,
    workers: int | None = 1,
) -> tuple[tuple[Pair, ...], dict[str, int]]:
    """Candidates, verified and classified: the reported pairs in (a, b) order."""
    workers = check_workers(workers)
    progress = progress or NullProgress()
    timings = {} if timings is None else timings
    t0 = time.perf_counter()
    progress.start("candidates")
    cands = find_candidates(
        corpus.shingles, corpus.offsets, corpus.bands, config.candidates, config.minhash, config.verify,
        workers=workers, rank_of=corpus.rank_of,
    )
    progress.finish()
    t1 = time.perf_counter()
    timings["candidates"] = t1 - t0
    progress.start("verify", len(cands))
    scores = verify_candidates(cands, corpus, workers, progress)
    rel = classify(scores, config.verify)
    progress.finish()
    keep = np.flatnonzero(rel != NO_RELATION)
    ids = [d.id for d in corpus.documents]
    pairs = pairs_from_scores([ids[x] for x in cands.a[keep].tolist()], [ids[y] for y in cands.b[keep].tolist()],
                              scores, rel, keep)
    timings["verify"] = time.perf_counter() - t1
    return pairs, cands.stats
