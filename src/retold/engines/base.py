"""The stage order of every scan, written once, over a small engine protocol.

    read+sketch -> candidates -> verify -> align -> families

An engine decides *where* each stage runs (worker processes and spill files for the local
engine; DataFrames for a Spark engine) and calls the pure kernels of :mod:`retold.core`;
what a family is comes from :mod:`retold.families`. :func:`run_stages` is the order:
:func:`retold.scan` and :meth:`retold.Index.scan` both go through it, so a scan of files
and a scan of an index differ only in where the sketches come from.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from retold.config import AlignConfig, ReadConfig, ScanConfig
from retold.families import cluster
from retold.io.sources import Source
from retold.models import DocInfo, Pair, Problem, ScanResult
from retold.progress import NullProgress, Progress


@dataclass(slots=True)
class Sketched:
    """A sketched corpus and how to read its texts.

    ``corpus`` is the engine's own representation (it must have ``documents``, the
    :class:`~retold.models.DocInfo` by id); :func:`run_stages` takes it over and drops it
    after the pair stages, so its memory is free before alignment.
    """

    corpus: Any
    text_of: Callable[[str], str]
    #: a document's shingles in text order (:func:`~retold.core.sketch.shingle_positions`)
    positions_of: Callable[[str], np.ndarray]


class Engine(Protocol):
    """What an engine provides; each method is one stage (or two that share data)."""

    def scratch(self) -> AbstractContextManager[Any]:
        """Temporary storage for one run, removed on every exit path."""
        ...

    def sketch(self, source: Source, config: ScanConfig, read: ReadConfig, scratch: Any, *, strict: bool,
               progress: Progress, problems: list[Problem]) -> Sketched:
        """Read and sketch every document (problems appended to ``problems``); keep the texts
        (in ``scratch``) for word coverage and alignment."""
        ...

    def pairs(self, corpus: Any, config: ScanConfig, positions_of: Callable[[str], np.ndarray], progress: Progress,
              timings: dict[str, float]) -> tuple[Sequence[Pair], dict[str, int]]:
        """Candidates, verified and classified (word coverage from ``positions_of``): the
        reported pairs in (a, b) order, and counts."""
        ...

    def release(self) -> None:
        """Give memory freed by the pair stages back before alignment."""
        ...

    def align(self, pairs: Sequence[Pair], text_of: Callable[[str], str], config: AlignConfig,
              progress: Progress) -> Sequence[Pair]:
        """The pairs with their reused passages."""
        ...


def run_stages(engine: Engine, sketched: Sketched, config: ScanConfig, *, align: bool, progress: Progress | None,
               timings: dict[str, float], problems: list[Problem], t0: float, provenance: bool = False) -> ScanResult:
    """candidates -> verify -> align -> families (-> provenance) over a sketched corpus; the one stage order."""
    progress = progress or NullProgress()
    corpus, sketched.corpus = sketched.corpus, None
    pairs, stats = engine.pairs(corpus, config, sketched.positions_of, progress, timings)
    documents: tuple[DocInfo, ...] = corpus.documents
    del corpus  # the sketches are not needed any more: free them before alignment
    engine.release()
    if align:
        t_align = time.perf_counter()
        pairs = engine.align(pairs, sketched.text_of, config.align, progress)
        timings["align"] = time.perf_counter() - t_align
    t2 = time.perf_counter()
    clusters = cluster(pairs, documents, config.cluster)
    timings["cluster"] = time.perf_counter() - t2
    problems.sort(key=lambda p: (p.origin, p.reason))
    result = ScanResult(documents, pairs, clusters, tuple(problems), config, stats, timings)
    if provenance:
        from retold.provenance import trace  # its patterns take ~0.1 s to compile: only when asked

        t3 = time.perf_counter()
        progress.start("provenance")
        result = replace(result, provenance=trace(result, sketched.text_of))
        progress.finish()
        timings["provenance"] = time.perf_counter() - t3
    timings["total"] = time.perf_counter() - t0
    return result


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused (and restored as it was).

    The stages make millions of short-lived objects (rows, tuples, strings) and no
    reference cycles; each collection would walk every live object (documents, caches)
    again, ~3 % of a news scan. Reference counting still frees everything at once."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def scan_with(engine: Engine, source: Source, *, config: ScanConfig, read: ReadConfig, strict: bool,
              progress: Progress | None, align: bool, provenance: bool = False) -> ScanResult:
    """read+sketch with ``engine``, then :func:`run_stages`."""
    timings: dict[str, float] = {}
    problems: list[Problem] = []
    t0 = time.perf_counter()
    with engine.scratch() as scratch, cyclic_gc_paused():
        sketched = engine.sketch(source, config, read, scratch, strict=strict, progress=progress or NullProgress(),
                                 problems=problems)
        timings["read_sketch"] = time.perf_counter() - t0
        return run_stages(engine, sketched, config, align=align, progress=progress, timings=timings,
                          problems=problems, t0=t0, provenance=provenance)
