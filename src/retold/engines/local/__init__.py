"""The local engine: worker processes on one machine, spill files in a temporary folder.

- :mod:`.sketching`: read+sketch in workers (blocks of input, shingle sets and texts
  spilled to files);
- :mod:`.candidates`: the shingle inverted index built one hash partition at a time on
  all workers, plus LSH;
- :mod:`.pairs`: exact verification and passage alignment over forked workers;
- :mod:`.parallel`, :mod:`.textstore`: the process and spill-file plumbing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

import numpy as np

from retold.config import AlignConfig, ReadConfig, ScanConfig
from retold.engines.base import Sketched
from retold.engines.local.pairs import align_pairs, find_pairs
from retold.engines.local.parallel import check_workers, release_free_memory
from retold.engines.local.sketching import Corpus, sketch_corpus
from retold.engines.local.textstore import SpillDir
from retold.io.sources import Source
from retold.models import Pair, Problem
from retold.progress import Progress


class LocalEngine:
    """Runs every stage on this machine with ``workers`` processes (default: all cores)."""

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = check_workers(workers)

    def scratch(self) -> AbstractContextManager[SpillDir]:
        return SpillDir()

    def sketch(self, source: Source, config: ScanConfig, read: ReadConfig, scratch: SpillDir, *, strict: bool,
               progress: Progress, problems: list[Problem]) -> Sketched:
        corpus, texts, positions = sketch_corpus(source, config, scratch, read=read, workers=self.workers,
                                                 strict=strict, progress=progress, problems=problems)
        release_free_memory()  # the sketch batches, copied into the corpus
        slot = corpus.slot
        rank = {d.id: r for r, d in enumerate(corpus.documents)}
        return Sketched(corpus, lambda i: texts.get(slot.item(rank[i])), lambda i: positions.array(slot.item(rank[i])))

    def pairs(self, corpus: Corpus, config: ScanConfig, positions_of: Callable[[str], np.ndarray],
              progress: Progress, timings: dict[str, float]) -> tuple[Sequence[Pair], dict[str, int]]:
        return find_pairs(corpus, config, positions_of, progress, timings, self.workers)

    def release(self) -> None:
        release_free_memory()

    def align(self, pairs: Sequence[Pair], text_of: Callable[[str], str], config: AlignConfig,
              progress: Progress) -> Sequence[Pair]:
        aligned = align_pairs(pairs, text_of, config, workers=self.workers, progress=progress)
        release_free_memory()  # the prepared texts
        return aligned


__all__ = ["LocalEngine", "Corpus"]
