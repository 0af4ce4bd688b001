"""The Spark engine: the stages of :mod:`retold.engines.base` as RDD transformations.

Every stage body calls the kernels of :mod:`retold.core` inside ``mapPartitions``
(:mod:`.stages`); shuffles move shingles by hash, band keys by key, candidates and pairs
by document id. Written tables are byte-identical to the local engine's
(``tests/engines/test_parity.py``).

:class:`SparkEngine` implements the engine protocol, so ``retold.scan(source,
engine="spark")`` reads with retold's own readers (same problems, same first-wins rule
for duplicate ids) on the driver, streams the records to a Parquet file in the run's
scratch folder, and runs every later stage on Spark; the protocol then hands the pairs and
documents back as tuples (a :class:`~retold.models.ScanResult`). For data that lives in a
cluster, :func:`retold.spark.scan` takes a DataFrame and returns DataFrames, with the
families computed on Spark too (:func:`.stages.families`); nothing is collected.

PySpark is optional: ``pip install 'retold[spark]'``.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from retold.config import AlignConfig, ReadConfig, ScanConfig
from retold.engines.base import Sketched
from retold.engines.spark import stages
from retold.engines.spark.session import get_session, require_pyspark
from retold.io.readers import block_documents, reporter, unique_ids
from retold.io.sources import Source, source_blocks
from retold.models import DocInfo, Pair, Problem
from retold.progress import Progress

#: the columns of the records the driver hands to Spark
RECORD_SCHEMA = pa.schema([("id", pa.string()), ("text", pa.string()), ("date", pa.string()),
                           ("source", pa.string()), ("origin", pa.string())])


@dataclass(slots=True)
class SparkCorpus:
    """The sketched corpus: documents by id (on the driver, as the protocol needs) and the RDDs."""

    documents: tuple[DocInfo, ...]
    sketched: Any  # RDD (id, (DocInfo, set, positions, bands)), persisted
    texts: Any  # RDD (id, text), persisted


class SparkEngine:
    """Runs the stages on Spark (``spark``: a SparkSession; default the active one, else a
    new one on ``master``). ``partitions``: hash partitions of every shuffle; results do not
    depend on it."""

    name = "spark"

    def __init__(self, spark: Any = None, *, master: str | None = "local[2]", partitions: int = 4,
                 conf: dict[str, str] | None = None) -> None:
        require_pyspark()
        if partitions < 1:
            from retold.errors import ConfigError

            raise ConfigError(f"partitions must be >= 1, got {partitions}")
        self.spark = spark if spark is not None else get_session(master, conf)
        self.partitions = partitions
        self._corpus: SparkCorpus | None = None
        self._pairs: Any = None

    def scratch(self) -> tempfile.TemporaryDirectory[str]:
        return tempfile.TemporaryDirectory(prefix="retold-spark-")

    def sketch(self, source: Source, config: ScanConfig, read: ReadConfig, scratch: str, *, strict: bool,
               progress: Progress, problems: list[Problem]) -> Sketched:
        report = reporter(problems.append, strict)
        path = os.path.join(scratch, "records.parquet")
        seen: dict[str, str] = {}
        progress.start("read+sketch")
        with pq.ParquetWriter(path, RECORD_SCHEMA) as writer:
            for block in source_blocks(source, read, report, stages.SKETCH_BATCH, 4_000_000):
                docs = list(unique_ids(block_documents(block, read, report), report, seen))
                if docs:
                    writer.write_batch(pa.RecordBatch.from_pylist(
                        [{"id": d.id, "text": d.text, "date": d.date, "source": d.source, "origin": d.origin}
                         for d in docs], schema=RECORD_SCHEMA))
                progress.advance(len(block))
        parts = self.partitions
        records = (self.spark.read.parquet(path).rdd.map(tuple)
                   .keyBy(lambda r: r[0]).partitionBy(parts).values())
        texts = records.map(lambda r: (r[0], r[1])).persist(stages._storage())
        sketched = stages.sketch(records, config).persist(stages._storage())
        infos = sorted(sketched.map(lambda kv: kv[1][0]).collect(), key=lambda d: d.id)
        progress.finish()
        self._corpus = SparkCorpus(tuple(infos), sketched, texts)
        text_cache: dict[str, str] = {}

        def text_of(doc_id: str) -> str:
            if not text_cache:  # read once from the scratch file (provenance only)
                table = pq.read_table(path, columns=["id", "text"])
                text_cache.update(zip(table.column("id").to_pylist(), table.column("text").to_pylist()))
            return text_cache[doc_id]

        def positions_of(doc_id: str) -> np.ndarray:
            return np.frombuffer(sketched.lookup(doc_id)[0][2], dtype=np.uint64)

        return Sketched(self._corpus, text_of, positions_of)

    def pairs(self, corpus: SparkCorpus, config: ScanConfig, positions_of: Callable[[str], np.ndarray],
              progress: Progress, timings: dict[str, float]) -> tuple[Sequence[Pair], dict[str, int]]:
        t0 = time.perf_counter()
        progress.start("candidates+verify")
        self._pairs, stats = stages.find_pairs(corpus.sketched, config, self.partitions)
        pairs = tuple(sorted(self._pairs.collect(), key=lambda p: (p.a, p.b)))
        progress.finish()
        timings["verify"] = time.perf_counter() - t0
        return pairs, stats

    def release(self) -> None:
        if self._corpus is not None:
            self._corpus.sketched.unpersist()

    def align(self, pairs: Sequence[Pair], text_of: Callable[[str], str], config: AlignConfig,
              progress: Progress) -> Sequence[Pair]:
        if self._corpus is None:
            raise RuntimeError("SparkEngine.align needs the texts of a sketch run by this engine")
        rdd = self._pairs
        if rdd is None or rdd.count() != len(pairs):
            rdd = self.spark.sparkContext.parallelize(pairs, self.partitions)
        progress.start("align", len(pairs))
        out = tuple(sorted(stages.align(rdd, self._corpus.texts, config, self.partitions).collect(),
                           key=lambda p: (p.a, p.b)))
        progress.finish()
        self.close()
        return out

    def close(self) -> None:
        """Unpersist what this run cached (the session stays)."""
        for rdd in (self._pairs, *((self._corpus.sketched, self._corpus.texts) if self._corpus else ())):
            if rdd is not None:
                rdd.unpersist()
        self._pairs = None


__all__ = ["SparkEngine", "SparkCorpus"]
