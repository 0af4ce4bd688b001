"""The local engine's read+sketch stage: blocks of input parsed and sketched in worker processes.

Texts are streamed: the input is cut into blocks (raw JSON lines or read documents)
that workers parse and sketch; they write shingle sets and texts to temporary files
(:mod:`retold.engines.local.textstore`) and send back metadata and LSH band keys. What
stays in memory for the rest of the run is, per document, its
:class:`~retold.models.DocInfo` and its band keys (8 bytes x ``bands``); shingle sets
(:mod:`retold.engines.local.sets`) and texts stay on disk until a stage reads them; see
docs/method.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from retold.config import ReadConfig, ScanConfig
from retold.core.lsh import band_keys
from retold.core.rules import doc_status
from retold.core.sketch import sketch_texts
from retold.engines.local.parallel import check_workers, ordered_map, process_pool
from retold.engines.local.sets import ShingleSets, SpilledBlock, SpilledSets, spill_block
from retold.engines.local.textstore import SpillDir, TextStore, append_texts
from retold.io.readers import DocumentBlock, block_documents, reporter, unique_ids
from retold.io.sources import Source, source_blocks
from retold.models import DocInfo, Problem
from retold.progress import NullProgress, Progress

BATCH_DOCS = 512
BATCH_CHARS = 4_000_000


@dataclass(frozen=True, slots=True)
class SketchedBlock:
    """What a worker sends back for a block: metadata and small arrays; the shingle sets
    and texts went to its files in the spill directory (see :mod:`retold.engines.local.textstore`)."""

    documents: list[DocInfo]
    problems: list[Problem]
    bands: np.ndarray  # uint64 (n, bands)
    shingles_at: tuple[str, int]  # (file, byte offset) of the concatenated sets
    parts: SpilledBlock  # the sets again, by hash range (for the index)
    texts_at: tuple[str, np.ndarray]  # (file, byte bounds) of the texts
    positions_at: tuple[str, np.ndarray]  # (file, byte bounds) of the shingles in text order


def _sketch_block(task: tuple[DocumentBlock, ScanConfig, ReadConfig, SpillDir]) -> SketchedBlock:
    block, config, read, spill = task
    problems: list[Problem] = []
    docs = list(block_documents(block, read, problems.append))
    texts = [d.text for d in docs]
    batch = sketch_texts(texts, config.shingle, config.minhash)
    infos = [DocInfo(d.id, len(d.text), int(k), d.date, d.source, d.origin, doc_status(int(k), config.shingle), int(m))
             for d, k, m in zip(docs, batch.tokens.tolist(), np.diff(batch.offsets).tolist())]
    windows = np.where(batch.tokens >= config.shingle.min_tokens, np.maximum(batch.tokens - config.shingle.size + 1, 0), 0)
    name, start = spill.append("positions", batch.positions)
    bounds = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum(windows * batch.positions.itemsize, out=bounds[1:])
    return SketchedBlock(infos, problems, band_keys(batch.signatures, config.minhash),
                         spill.append("shingles", batch.shingles), spill_block(spill, batch.shingles, batch.offsets),
                         append_texts(spill, texts), (name, bounds + start))


@dataclass(frozen=True, slots=True)
class Corpus:
    """Sketched documents: what later stages read.

    Documents are referred to by rank (rank r = r-th smallest id). Their shingle sets are
    stored in the order they were read: rank r's set is stored set ``s = slot[r]`` of
    ``sets``.
    """

    documents: tuple[DocInfo, ...]  # by rank
    sets: ShingleSets  # in storage order
    slot: np.ndarray  # int64: rank -> storage position
    bands: np.ndarray  # uint64 (n, bands) LSH band keys, by rank
    #: each document's shingles in text order, by storage position, where a scan spilled them
    positions: TextStore | None = None

    def __len__(self) -> int:
        return len(self.documents)

    @property
    def offsets(self) -> np.ndarray:
        """int64, n + 1, storage order: stored set s has ``offsets[s+1] - offsets[s]`` shingles."""
        return self.sets.offsets

    @property
    def rank_of(self) -> np.ndarray:
        """storage position -> rank"""
        rank = np.empty_like(self.slot)
        rank[self.slot] = np.arange(len(self.slot), dtype=np.int64)
        return rank


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
) -> tuple[Corpus, TextStore, TextStore]:
    """Read and sketch every document in parallel: the corpus, its texts and its shingles in
    text order (both by storage position, read back on demand).

    Workers parse and sketch blocks of input and write shingle sets, texts and positions to
    ``spill``; this process checks ids (the first of an id wins, in input order) and keeps
    where each was put: nothing pickled twice, no set held in memory.
    """
    workers = check_workers(workers)
    progress = progress or NullProgress()
    report = reporter(problems.append, strict)
    progress.start("read+sketch")
    infos: list[DocInfo] = []
    parts: list[tuple[SketchedBlock, np.ndarray]] = []  # each block with its kept rows
    tasks = ((block, config, read, spill) for block in source_blocks(source, read, report, BATCH_DOCS, BATCH_CHARS))
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
    positions = _store(parts, spill, "positions_at")
    corpus = _collect(infos, parts, spill, config, positions)
    return corpus, _store(parts, spill, "texts_at"), positions


def _collect(infos: list[DocInfo], parts: list[tuple[SketchedBlock, np.ndarray]], spill: SpillDir,
             config: ScanConfig, positions: TextStore) -> Corpus:
    """The corpus from the sketched blocks: where each kept document's set is, in storage
    (reading) order, and the band keys by rank."""
    n = len(infos)
    sizes = np.fromiter((d.shingles for d in infos), dtype=np.int64, count=n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    bands = np.empty((n, config.minhash.bands), dtype=np.uint64)
    by_doc: list[tuple[str, np.ndarray, np.ndarray]] = []
    slots: list[np.ndarray] = []
    pos = 0
    for res, rows in parts:
        lengths = np.fromiter((d.shingles for d in res.documents), dtype=np.int64, count=len(res.documents))
        ends = res.shingles_at[1] + 8 * np.cumsum(lengths)
        by_doc.append((res.shingles_at[0], (ends - 8 * lengths)[rows], ends[rows]))
        local = np.full(len(res.documents), -1, dtype=np.int32)
        local[rows] = np.arange(pos, pos + len(rows), dtype=np.int32)
        slots.append(local)
        bands[pos : pos + len(rows)] = res.bands[rows]
        pos += len(rows)
    sets = SpilledSets(offsets, TextStore.build(spill, by_doc), tuple(res.parts for res, _ in parts), tuple(slots))
    slot = np.asarray(sorted(range(n), key=lambda i: infos[i].id), dtype=np.int64)
    return Corpus(tuple(infos[i] for i in slot.tolist()), sets, slot, bands[slot], positions)


def _store(parts: list[tuple[SketchedBlock, np.ndarray]], spill: SpillDir, what: str) -> TextStore:
    """Where each kept document's text (``what="texts_at"``) or positions are, in storage order."""
    def pieces() -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
        for res, rows in parts:
            name, bounds = getattr(res, what)
            yield name, bounds[:-1][rows], bounds[1:][rows]

    return TextStore.build(spill, pieces())
