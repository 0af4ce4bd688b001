"""The scan pipeline: read -> sketch -> candidates -> verify -> cluster.

Texts are streamed: the reader yields documents one at a time, texts are sent to the
sketching workers in bounded batches and dropped once sketched. What stays in memory
for the rest of the run is, per document, its :class:`~retold.models.DocInfo`, its
sorted shingle set (8 bytes a shingle, about one per word) and its MinHash signature
(8 bytes x ``num_perm``); see docs/method.md.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Mapping, TypeVar

import numpy as np

from .align import align as align_texts
from .candidates import Candidates, find_candidates
from .cluster import cluster
from .config import AlignConfig, ReadConfig, ScanConfig
from .models import DocInfo, Document, Pair, Passage, Problem, ScanResult
from .parallel import SHARED, check_workers, fork_map, ordered_map, process_pool, release_free_memory
from .progress import NullProgress, Progress
from .sketch import SketchBatch, sketch_texts
from .textstore import TextStore
from .verify import NO_RELATION, Scores, classify, own_sizes, score_pairs

#: what ``scan`` and ``dedup`` accept as their source
Source = str | os.PathLike | Sequence[str | os.PathLike] | Iterable[Document | Mapping[str, Any]]

BATCH_DOCS = 512
BATCH_CHARS = 4_000_000

T = TypeVar("T")
R = TypeVar("R")


def is_paths(source: Any) -> bool:
    if isinstance(source, (str, os.PathLike)):
        return True
    return isinstance(source, (list, tuple)) and all(isinstance(s, (str, os.PathLike)) for s in source) and len(source) > 0


def iter_documents(
    source: Source,
    read: ReadConfig,
    *,
    on_problem: Callable[[Problem], None],
    strict: bool = False,
) -> Iterator[Document]:
    """Documents from paths (via :mod:`retold.readers`) or from an iterable of records."""
    if is_paths(source):
        from .readers import read_documents

        paths = [source] if isinstance(source, (str, os.PathLike)) else list(source)
        yield from read_documents(paths, read, on_problem=on_problem, strict=strict)
        return
    from .readers import record_to_document, reporter, unique_ids

    report = reporter(on_problem, strict)

    def records() -> Iterator[Document]:
        for i, item in enumerate(source):  # type: ignore[union-attr]
            origin = f"<documents>#{i}"
            doc = item if isinstance(item, Document) else record_to_document(dict(item), read, origin, report)
            if doc is not None:
                yield doc if doc.origin else replace(doc, origin=origin)

    yield from unique_ids(records(), report)


@dataclass(frozen=True, slots=True)
class _SketchTask:
    texts: list[str]
    config: ScanConfig

    def __call__(self) -> SketchBatch:
        return sketch_texts(self.texts, self.config.shingle, self.config.minhash)


def _run_task(task: _SketchTask) -> SketchBatch:
    return task()


def _batches(
    docs: Iterator[Document], config: ScanConfig, infos: list[dict[str, Any]], store: TextStore | None
) -> Iterator[_SketchTask]:
    """Group texts into tasks, recording each document's metadata (and text) as it passes."""
    texts: list[str] = []
    chars = 0
    for doc in docs:
        infos.append({"id": doc.id, "chars": len(doc.text), "date": doc.date, "source": doc.source, "origin": doc.origin})
        if store is not None:
            store.append(doc.text)
        texts.append(doc.text)
        chars += len(doc.text)
        if len(texts) >= BATCH_DOCS or chars >= BATCH_CHARS:
            yield _SketchTask(texts, config)
            texts, chars = [], 0
    if texts:
        yield _SketchTask(texts, config)


@dataclass(frozen=True, slots=True)
class Corpus:
    """Sketched documents in id order (rank r = r-th smallest id): what later stages read."""

    documents: tuple[DocInfo, ...]
    shingles: np.ndarray  # uint64, concatenated per-rank sorted sets
    offsets: np.ndarray  # int64, len n+1
    signatures: np.ndarray  # uint64 (n, num_perm)
    arrival: np.ndarray  # int64: rank -> position in the order documents were read

    def __len__(self) -> int:
        return len(self.documents)


def doc_status(tokens: int, config: ScanConfig) -> str:
    if tokens == 0:
        return "empty"
    return "too_short" if tokens < config.shingle.min_tokens else "ok"


def _within(lengths: np.ndarray) -> np.ndarray:
    """For segments of the given lengths laid end to end: each element's index in its segment."""
    total = int(lengths.sum())
    starts = np.cumsum(lengths) - lengths
    return np.arange(total, dtype=np.int64) - np.repeat(starts, lengths)


def assemble(infos: list[dict[str, Any]], batches: list[SketchBatch], config: ScanConfig) -> Corpus:
    """Put sketched batches (in arrival order) into id order.

    Each batch is copied to its documents' rank positions and released at once, so the
    peak memory is one copy of all shingle sets plus one batch. ``batches`` is emptied.
    """
    n = len(infos)
    order = np.asarray(sorted(range(n), key=lambda i: infos[i]["id"]), dtype=np.int64)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n, dtype=np.int64)
    tokens = np.concatenate([b.tokens for b in batches]) if batches else np.empty(0, np.int64)
    arrival_lengths = np.concatenate([np.diff(b.offsets) for b in batches]) if batches else np.empty(0, np.int64)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(arrival_lengths[order], out=offsets[1:])
    shingles = np.empty(int(offsets[-1]), dtype=np.uint64)
    signatures = np.empty((n, config.minhash.num_perm), dtype=np.uint64)
    first = 0
    batches.reverse()
    while batches:
        batch = batches.pop()
        ranks = rank[first : first + len(batch)]
        lengths = np.diff(batch.offsets)
        shingles[np.repeat(offsets[ranks], lengths) + _within(lengths)] = batch.shingles
        signatures[ranks] = batch.signatures
        first += len(batch)
        del batch
    docs = tuple(
        DocInfo(
            id=infos[i]["id"], chars=infos[i]["chars"], tokens=int(tokens[i]), date=infos[i]["date"],
            source=infos[i]["source"], origin=infos[i]["origin"], status=doc_status(int(tokens[i]), config),
            shingles=int(arrival_lengths[i]),
        )
        for i in order.tolist()
    )
    return Corpus(docs, shingles, offsets, signatures, order)


def sketch_corpus(
    source: Source,
    config: ScanConfig,
    *,
    read: ReadConfig = ReadConfig(),
    workers: int | None = None,
    strict: bool = False,
    progress: Progress | None = None,
    problems: list[Problem],
    store: TextStore | None = None,
) -> Corpus:
    """Read and sketch every document (in parallel), returning them in id order.

    Texts are appended to ``store`` (in reading order) when one is given.
    """
    workers = check_workers(workers)
    progress = progress or NullProgress()
    infos: list[dict[str, Any]] = []
    batches: list[SketchBatch] = []
    progress.start("read+sketch")
    docs = iter_documents(source, read, on_problem=problems.append, strict=strict)
    with process_pool(workers) as executor:
        for batch in ordered_map(executor, _run_task, _batches(docs, config, infos, store), window=2 * workers):
            batches.append(batch)
            progress.advance(len(batch))
    progress.finish()
    corpus = assemble(infos, batches, config)
    del infos
    release_free_memory()
    return corpus


def _align_chunk(task: tuple[list[tuple[str, str]], AlignConfig]) -> list[tuple[Passage, ...]]:
    texts, cfg = task
    return [tuple(align_texts(a, b, cfg)) for a, b in texts]


def align_pairs(
    pairs: Sequence[Pair],
    text_of: Callable[[str], str],
    config: AlignConfig,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    chunk: int = 32,
) -> tuple[Pair, ...]:
    """The pairs with their reused passages (offsets into the original texts)."""
    workers = check_workers(workers)
    progress = progress or NullProgress()
    progress.start("align", len(pairs))
    tasks = (
        ([(text_of(p.a), text_of(p.b)) for p in pairs[i : i + chunk]], config) for i in range(0, len(pairs), chunk)
    )
    out: list[Pair] = []
    with process_pool(workers) as executor:
        for passages in ordered_map(executor, _align_chunk, tasks, window=2 * workers):
            for found in passages:
                out.append(replace(pairs[len(out)], passages=found))
            progress.advance(len(passages))
    progress.finish()
    return tuple(out)


def _score_chunk(bounds: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    sh = SHARED
    lo, hi = bounds
    sc = score_pairs(sh["a"][lo:hi], sh["b"][lo:hi], sh["shingles"], sh["offsets"], sh["boilerplate"], sh["own"])
    return sc.intersection, sc.shared


def verify_candidates(cands: Candidates, corpus: Corpus, workers: int, progress: Progress) -> Scores:
    """Exact scores of every candidate pair, in chunks over ``workers`` processes."""
    own = own_sizes(corpus.shingles, corpus.offsets, cands.boilerplate)
    step = max(1, min(20_000, -(-len(cands) // (4 * workers))))
    chunks = [(lo, min(lo + step, len(cands))) for lo in range(0, len(cands), step)]
    inter: list[np.ndarray] = []
    shared: list[np.ndarray] = []
    for i, s in fork_map(_score_chunk, chunks, workers if len(chunks) > 1 else 1, a=cands.a, b=cands.b,
                         shingles=corpus.shingles, offsets=corpus.offsets, boilerplate=cands.boilerplate, own=own):
        inter.append(i)
        shared.append(s)
        progress.advance(len(i))
    sizes = np.diff(corpus.offsets)
    empty = np.empty(0, np.int64)
    return Scores(np.concatenate(inter) if inter else empty, np.concatenate(shared) if shared else empty,
                  sizes[cands.a], sizes[cands.b], own[cands.a], own[cands.b])


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
        corpus.shingles, corpus.offsets, corpus.signatures, config.candidates, config.minhash, config.verify,
        workers=workers,
    )
    progress.finish()
    t1 = time.perf_counter()
    timings["candidates"] = t1 - t0
    progress.start("verify", len(cands))
    scores = verify_candidates(cands, corpus, workers, progress)
    rel = classify(scores, config.verify)
    progress.finish()
    keep = np.flatnonzero(rel != NO_RELATION)
    jac, ca, cb = scores.jaccard, scores.containment_a, scores.containment_b
    ids = [d.id for d in corpus.documents]
    pairs = tuple(
        Pair(ids[corpus_a], ids[corpus_b], round(float(jac[i]), 4), round(float(ca[i]), 4), round(float(cb[i]), 4),
             str(rel[i]), int(scores.shared[i]))
        for i, corpus_a, corpus_b in zip(keep.tolist(), cands.a[keep].tolist(), cands.b[keep].tolist())
    )
    timings["verify"] = time.perf_counter() - t1
    return pairs, cands.stats


def scan(
    source: Source,
    *,
    config: ScanConfig = ScanConfig(),
    read: ReadConfig = ReadConfig(),
    workers: int | None = None,
    strict: bool = False,
    progress: Progress | None = None,
    align: bool = True,
) -> ScanResult:
    """Find every pair of documents that share text, and the families of reprints.

    ``source``: a path, a list of paths (directories, .txt/.md, JSONL(.gz/.zst), CSV/TSV,
    Parquet), or an iterable of :class:`~retold.models.Document` or dicts with at least
    ``id`` and ``text``. With ``align`` (default) every pair carries its reused passages.
    Results do not depend on input order or ``workers``.
    """
    timings: dict[str, float] = {}
    problems: list[Problem] = []
    t0 = time.perf_counter()
    with TextStore() as store:
        corpus = sketch_corpus(source, config, read=read, workers=workers, strict=strict, progress=progress,
                               problems=problems, store=store if align else None)
        t1 = time.perf_counter()
        timings["read_sketch"] = t1 - t0
        pairs, stats = find_pairs(corpus, config, progress, timings, workers)
        documents, arrival = corpus.documents, corpus.arrival
        del corpus  # the sketches are not needed any more: free them before alignment forks workers
        release_free_memory()
        if align:
            t_align = time.perf_counter()
            rank = {d.id: r for r, d in enumerate(documents)}
            pairs = align_pairs(pairs, lambda i: store.get(int(arrival[rank[i]])), config.align,
                                workers=workers, progress=progress)
            timings["align"] = time.perf_counter() - t_align
    t2 = time.perf_counter()
    clusters = cluster(pairs, documents, config.cluster)
    timings["cluster"] = time.perf_counter() - t2
    timings["total"] = time.perf_counter() - t0
    problems.sort(key=lambda p: (p.origin, p.reason))
    return ScanResult(documents, pairs, clusters, tuple(problems), config, stats, timings)


def as_path_list(source: Source) -> list[Path] | None:
    """The input paths of a path source, else None."""
    if not is_paths(source):
        return None
    return [Path(source)] if isinstance(source, (str, os.PathLike)) else [Path(s) for s in source]  # type: ignore[union-attr]
