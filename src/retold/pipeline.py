"""The scan pipeline: read -> sketch -> candidates -> verify -> cluster.

Texts are streamed: the input is cut into blocks (raw JSON lines or read documents)
that workers parse and sketch; they write shingle sets and texts to temporary files
(:mod:`retold.textstore`) and send back metadata and LSH band keys. What stays in memory
for the rest of the run is, per document, its :class:`~retold.models.DocInfo`, its
sorted shingle set (8 bytes a shingle, about one per word) and its band keys (8 bytes x
``bands``); texts stay on disk until alignment reads them; see docs/method.md.
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
from .arrays import within
from .candidates import Candidates, band_keys, find_candidates
from .families import cluster
from .config import AlignConfig, ReadConfig, ScanConfig
from .models import DocInfo, Document, Pair, Passage, Problem, ScanResult
from .parallel import SHARED, check_workers, fork_map, ordered_map, process_pool, release_free_memory
from .progress import NullProgress, Progress
from .readers import (DocumentBlock, block_documents, document_blocks, read_blocks, read_documents, record_to_document, reporter,
                      unique_ids)
from .sketch import sketch_texts
from .textstore import SpillDir, TextStore, append_texts
from .verify import NO_RELATION, Scores, classify, score_pairs

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
        paths = [source] if isinstance(source, (str, os.PathLike)) else list(source)
        yield from read_documents(paths, read, on_problem=on_problem, strict=strict)
        return
    report = reporter(on_problem, strict)
    yield from (doc for doc, _ in iter_items(source, read, report))  # type: ignore[arg-type]


def iter_items(source: Iterable[Document | Mapping[str, Any]], read: ReadConfig,
               report: Callable[[Problem], None]) -> Iterator[tuple[Document, Document | Mapping[str, Any]]]:
    """(document, the item it came from) of an iterable source, the first of each id only."""
    def items() -> Iterator[tuple[Document, Document | Mapping[str, Any]]]:
        for i, item in enumerate(source):
            origin = f"<documents>#{i}"
            doc = item if isinstance(item, Document) else record_to_document(dict(item), read, origin, report)
            if doc is not None:
                yield (doc if doc.origin else replace(doc, origin=origin)), item

    return unique_ids(items(), report, doc_of=lambda item: item[0])


@dataclass(frozen=True, slots=True)
class SketchedBlock:
    """What a worker sends back for a block: metadata and small arrays; the shingle sets
    and texts went to its files in the spill directory (see :mod:`retold.textstore`)."""

    documents: list[DocInfo]
    problems: list[Problem]
    bands: np.ndarray  # uint64 (n, bands)
    shingles_at: tuple[str, int]  # (file, byte offset) of the concatenated sets
    texts_at: tuple[str, np.ndarray] | None  # (file, byte bounds), when texts are kept


def _sketch_block(task: tuple[DocumentBlock, ScanConfig, ReadConfig, SpillDir, bool]) -> SketchedBlock:
    block, config, read, spill, keep_texts = task
    problems: list[Problem] = []
    docs = list(block_documents(block, read, problems.append))
    texts = [d.text for d in docs]
    batch = sketch_texts(texts, config.shingle, config.minhash)
    infos = [DocInfo(d.id, len(d.text), int(k), d.date, d.source, d.origin, doc_status(int(k), config), int(m))
             for d, k, m in zip(docs, batch.tokens.tolist(), np.diff(batch.offsets).tolist())]
    return SketchedBlock(infos, problems, band_keys(batch.signatures, config.minhash),
                         spill.append("shingles", batch.shingles), append_texts(spill, texts) if keep_texts else None)


def _blocks(source: Source, read: ReadConfig, report: Callable[[Problem], None]) -> Iterator[DocumentBlock]:
    """The source as blocks: raw JSON lines or read documents (see :class:`~retold.readers.DocumentBlock`)."""
    if is_paths(source):
        paths = [source] if isinstance(source, (str, os.PathLike)) else list(source)
        yield from read_blocks(paths, read, report=report, max_items=BATCH_DOCS, max_bytes=BATCH_CHARS)
        return
    yield from document_blocks(iter_documents(source, read, on_problem=report), BATCH_DOCS, BATCH_CHARS)


@dataclass(frozen=True, slots=True)
class Corpus:
    """Sketched documents: what later stages read.

    Documents are referred to by rank (rank r = r-th smallest id). Their shingle sets are
    stored in the order they were read: rank r's set is ``shingles[offsets[s]:offsets[s+1]]``
    with ``s = slot[r]``.
    """

    documents: tuple[DocInfo, ...]  # by rank
    shingles: np.ndarray  # uint64, concatenated sorted sets, in storage order
    offsets: np.ndarray  # int64, len n+1, storage order
    slot: np.ndarray  # int64: rank -> storage position
    bands: np.ndarray  # uint64 (n, bands) LSH band keys, by rank

    def __len__(self) -> int:
        return len(self.documents)

    @property
    def rank_of(self) -> np.ndarray:
        """storage position -> rank"""
        rank = np.empty_like(self.slot)
        rank[self.slot] = np.arange(len(self.slot), dtype=np.int64)
        return rank


def doc_status(tokens: int, config: ScanConfig) -> str:
    if tokens == 0:
        return "empty"
    return "too_short" if tokens < config.shingle.min_tokens else "ok"


def sketch_corpus(
    source: Source,
    config: ScanConfig,
    spill: SpillDir,
    *,
    read: ReadConfig = ReadConfig(),
    workers: int | None = None,
    strict: bool = False,
    progress: Progress | None = None,
    problems: list[Problem],
    keep_texts: bool = False,
) -> tuple[Corpus, TextStore | None]:
    """Read and sketch every document in parallel: the corpus, and its texts if ``keep_texts``.

    Workers parse and sketch blocks of input and write shingle sets (and texts) to
    ``spill``; this process checks ids (the first of an id wins, in input order), then
    reads the shingle sets back into one array: one copy in memory, nothing pickled twice.
    """
    workers = check_workers(workers)
    progress = progress or NullProgress()
    report = reporter(problems.append, strict)
    progress.start("read+sketch")
    infos: list[DocInfo] = []
    parts: list[tuple[SketchedBlock, np.ndarray]] = []  # each block with its kept rows
    tasks = ((block, config, read, spill, keep_texts) for block in _blocks(source, read, report))
    seen: dict[str, str] = {}
    with process_pool(workers) as executor:
        for res in ordered_map(executor, _sketch_block, tasks, window=2 * workers):
            for problem in res.problems:
                report(problem)
            kept = list(unique_ids(res.documents, report, seen))
            infos.extend(kept)
            if len(kept) == len(res.documents):
                rows = np.arange(len(kept), dtype=np.int64)
            else:
                ids = {id(d) for d in kept}
                rows = np.asarray([i for i, d in enumerate(res.documents) if id(d) in ids], dtype=np.int64)
            parts.append((res, rows))
            progress.advance(len(res.documents))
    progress.finish()
    corpus = _collect(infos, parts, spill, config)
    texts = _text_store(parts, spill) if keep_texts else None
    return corpus, texts


def _collect(infos: list[DocInfo], parts: list[tuple[SketchedBlock, np.ndarray]], spill: SpillDir,
             config: ScanConfig) -> Corpus:
    """The corpus from the sketched blocks: shingle sets read back in storage (reading) order."""
    n = len(infos)
    sizes = np.fromiter((d.shingles for d in infos), dtype=np.int64, count=n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    shingles = np.empty(int(offsets[-1]), dtype=np.uint64)
    bands = np.empty((n, config.minhash.bands), dtype=np.uint64)
    pos = 0
    for res, rows in parts:
        lengths = np.fromiter((d.shingles for d in res.documents), dtype=np.int64, count=len(res.documents))
        block = spill.read_array(res.shingles_at[0], res.shingles_at[1], int(lengths.sum()))
        if len(rows) < len(res.documents):
            starts = np.cumsum(lengths) - lengths
            block = block[np.repeat(starts[rows], lengths[rows]) + within(lengths[rows])]
        shingles[offsets[pos] : offsets[pos] + len(block)] = block
        bands[pos : pos + len(rows)] = res.bands[rows]
        pos += len(rows)
    slot = np.asarray(sorted(range(n), key=lambda i: infos[i].id), dtype=np.int64)
    return Corpus(tuple(infos[i] for i in slot.tolist()), shingles, offsets, slot, bands[slot])


def _text_store(parts: list[tuple[SketchedBlock, np.ndarray]], spill: SpillDir) -> TextStore:
    """Where each kept document's text is, in storage order."""
    def pieces() -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
        for res, rows in parts:
            assert res.texts_at is not None
            name, bounds = res.texts_at
            yield name, bounds[:-1][rows], bounds[1:][rows]

    return TextStore.build(spill, pieces())


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


def pairs_from_scores(a: Sequence[str], b: Sequence[str], scores: Scores, relations: np.ndarray,
                      rows: np.ndarray) -> tuple[Pair, ...]:
    """The :class:`Pair` records of the scored rows ``rows`` (ids ``a[i]``, ``b[i]`` for the
    i-th of them): scores rounded to 4 decimals, the one rounding every engine applies."""
    jac, ca, cb = scores.jaccard[rows], scores.containment_a[rows], scores.containment_b[rows]
    va, vb = scores.coverage_a[rows], scores.coverage_b[rows]
    rel, shared = relations[rows], scores.shared[rows]
    return tuple(
        Pair(a[i], b[i], round(float(jac[i]), 4), round(float(ca[i]), 4), round(float(cb[i]), 4), str(rel[i]),
             int(shared[i]), coverage_a=round(float(va[i]), 4), coverage_b=round(float(vb[i]), 4))
        for i in range(len(rows))
    )


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
    with SpillDir() as spill:
        corpus, texts = sketch_corpus(source, config, spill, read=read, workers=workers, strict=strict,
                                      progress=progress, problems=problems, keep_texts=align)
        t1 = time.perf_counter()
        timings["read_sketch"] = t1 - t0
        pairs, stats = find_pairs(corpus, config, progress, timings, workers)
        documents, slot = corpus.documents, corpus.slot
        del corpus  # the sketches are not needed any more: free them before alignment forks workers
        release_free_memory()
        if align:
            assert texts is not None
            t_align = time.perf_counter()
            rank = {d.id: r for r, d in enumerate(documents)}
            pairs = align_pairs(pairs, lambda i: texts.get(int(slot[rank[i]])), config.align,
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
