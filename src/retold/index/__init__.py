"""A persistent, incremental index: one SQLite file that grows batch by batch.

``Index`` keeps, per document, exactly what a scan keeps (its :class:`~retold.models.DocInfo`,
sorted shingle set and MinHash signature) plus its text (zlib) or a pointer to it, and two
query tables: sampled shingle postings and LSH band keys. ``scan()`` hands the stored
sketches to the same stages as :func:`retold.scan` (:func:`retold.engines.base.run_stages`), so adding documents in any number of batches, in any order,
gives exactly the result of one batch scan. ``query()`` (see :mod:`retold.index.query`)
answers "where has this text appeared before?" from the postings without a scan.

Safety: the file is in WAL mode with ``synchronous=FULL``; every batch is one
``BEGIN IMMEDIATE ... COMMIT`` transaction, so a killed process leaves the batches
committed before the kill and nothing of the one in flight. A new index is built under
a temporary name and renamed into place, so a kill during creation leaves no half
index. A file that is not a retold index, or has a newer schema, is refused with
:class:`~retold.errors.IndexFormatError` after reading it read-only. The schema is in
docs/index.md.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from retold.config import ReadConfig, ScanConfig
from retold.core.lsh import band_keys
from retold.core.sketch import shingle_positions
from retold.engines.base import Sketched, run_stages
from retold.engines.local import Corpus, LocalEngine
from retold.engines.local.sets import ArraySets
from retold.errors import ConfigError, IndexFormatError, InputError
from retold.index.add import AddReport, BatchReport, IndexWriter
from retold.index.check import check
from retold.index.query import Match, query
from retold.index.store import (DEFAULT_SAMPLE, LE, ROW_SELECT, Connections, Snapshot, create_index, damaged, guarded,
                                 open_connection, read_meta, verify_blob, verify_row)
from retold.io.origins import read_pointer
from retold.models import DocInfo, ScanResult
from retold.progress import NullProgress, Progress

__all__ = ["Index", "Match", "AddReport", "BatchReport", "read_meta"]


class Index(IndexWriter):
    """A retold index file. Use :meth:`open` (a context manager).

    An open index may be used from several threads: each gets its own connection
    (:class:`~retold.index.store.Connections`), so queries run while another thread adds.
    """

    def __init__(self, path: Path, connections: Connections, meta: dict[str, str], readonly: bool) -> None:
        self.path = path
        self.readonly = readonly
        self.connections = connections
        self.meta = meta
        try:
            self.config = ScanConfig.from_dict(json.loads(meta["config"]))
            self.store_text = meta["store_text"] == "1"
            self.sample = int(meta["sample"])
        except (KeyError, TypeError, ValueError) as exc:
            raise IndexFormatError(f"{path}: the index's parameters cannot be read ({exc})") from None
        self._read = ReadConfig()

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(
        cls,
        path: str | os.PathLike,
        *,
        create: bool = False,
        config: ScanConfig | None = None,
        store_text: bool | None = None,
        sample: int | None = None,
        readonly: bool = False,
        timeout: float = 60.0,
    ) -> "Index":
        """Open (or with ``create``, make) the index at ``path``.

        ``config``, ``store_text`` (keep texts, else a pointer to the input file) and
        ``sample`` (post one shingle hash in ``sample``) are fixed when the index is
        created; passing a different value later is a :class:`ConfigError`, None means
        "as stored". ``timeout``: seconds to wait for another writer's lock.
        """
        path = Path(path)
        if not path.exists() or (path.is_file() and path.stat().st_size == 0):
            if not create or readonly:
                what = "no index" if not path.exists() else "an empty file, not an index,"
                raise InputError(f"{what} at {path} (`retold index add ... --db {path}` creates one)")
            if sample is not None and sample < 1:
                raise ConfigError(f"sample must be >= 1, got {sample}")
            create_index(path, config or ScanConfig(), True if store_text is None else store_text,
                    DEFAULT_SAMPLE if sample is None else sample)
        elif not path.is_file():
            raise InputError(f"{path} is not a file")
        meta = read_meta(path, timeout)
        try:
            conn = open_connection(path, readonly, timeout)
        except (sqlite3.Error, UnicodeDecodeError) as exc:
            raise IndexFormatError(f"{path} cannot be opened ({exc})") from None
        try:
            index = cls(path, Connections(path, readonly, timeout, conn), meta, readonly)
        except BaseException:
            conn.close()
            raise
        try:
            if config is not None and config != index.config:
                raise ConfigError(f"{path} was created with other parameters ({index.config.to_dict()}); "
                                  "open it without a config or make a new index")
            if store_text is not None and store_text != index.store_text:
                raise ConfigError(f"{path} {'stores' if index.store_text else 'does not store'} texts; "
                                  "this cannot change after creation")
            if sample is not None and sample != index.sample:
                raise ConfigError(f"{path} posts 1 shingle in {index.sample}; this cannot change after creation")
        except BaseException:
            index.close()
            raise
        return index

    @property
    def conn(self) -> sqlite3.Connection:
        """The calling thread's connection."""
        return self.connections.get()

    def close(self) -> None:
        self.connections.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @guarded
    def __len__(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM docs").fetchone()[0])

    # ------------------------------------------------------------------ reading

    def _snapshot(self) -> Snapshot:
        return Snapshot(self.conn)

    @guarded
    def ids(self) -> list[str]:
        """Every indexed id, sorted."""
        return [r[0] for r in self.conn.execute("SELECT id FROM docs ORDER BY id")]

    @guarded
    def text(self, doc_id: str) -> str:
        """The text of a document (from the index, or re-read and hash-checked from its file).

        Raises :class:`IndexFormatError` when the stored row or text fails its checksum.
        """
        row = self.conn.execute(f"SELECT {ROW_SELECT}, text FROM docs WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            raise InputError(f"{self.path}: no document with id {doc_id!r}")
        return self._row_text(row)

    @guarded
    def doc_text(self, doc: int) -> str:
        """The text of the document with integer key ``doc`` (as :meth:`text`)."""
        row = self.conn.execute(f"SELECT {ROW_SELECT}, text FROM docs WHERE doc = ?", (doc,)).fetchone()
        if row is None:
            raise IndexFormatError(f"{self.path}: document number {doc} is missing; "
                                   f"run `retold index check --db {self.path}`")
        return self._row_text(row)

    def _row_text(self, row: tuple[Any, ...]) -> str:
        """The text of a row read as ``ROW_SELECT, text``, every checksum verified."""
        verify_row(self.path, row[:-1])
        doc_id, chars, chash, pointer, text_sum, blob = row[1], row[2], row[13], row[14], row[18], row[-1]
        if self.store_text:
            data = verify_blob(self.path, doc_id, "text", blob, text_sum)
            try:
                body = zlib.decompress(data).decode("utf-8", "surrogatepass")
            except (zlib.error, UnicodeDecodeError) as exc:
                raise damaged(self.path, doc_id, f"its stored text cannot be decoded: {exc}") from None
            if len(body) != chars:
                raise damaged(self.path, doc_id, "its stored text has the wrong length")
            return body
        if not isinstance(pointer, str):
            raise damaged(self.path, doc_id, "no text pointer")
        try:
            where = json.loads(pointer)
        except ValueError:
            raise damaged(self.path, doc_id, "its text pointer is not JSON") from None
        return read_pointer(doc_id, where, chash)

    @guarded
    def corpus(self) -> Corpus:
        """Every document's sketches in id order: what the pair stages read."""
        with self._snapshot():
            return self._corpus()[0]

    def _corpus(self) -> tuple[Corpus, dict[str, int]]:
        """The corpus and each id's integer key; every row, sketch and signature checksum verified."""
        conn = self.conn
        n, total = conn.execute("SELECT count(*), coalesce(sum(shingles), 0) FROM docs").fetchone()
        num_perm = self.config.minhash.num_perm
        shingles = np.empty(total, dtype=np.uint64)
        offsets = np.zeros(n + 1, dtype=np.int64)
        sigs = np.empty((n, num_perm), dtype=np.uint64)
        docs = []
        keys: dict[str, int] = {}
        pos = 0
        rows = conn.execute(f"SELECT {ROW_SELECT}, sketch, signature FROM docs ORDER BY id")
        last: str | None = None
        for r, row in enumerate(rows):
            verify_row(self.path, row[:-2])
            doc, i, chars, tokens, date, src, origin, status, k = (row[0], row[1], row[2], row[3], row[4], row[5],
                                                                   row[9], row[10], row[11])
            sketch = verify_blob(self.path, i, "shingle set", row[-2], row[16])
            sig = verify_blob(self.path, i, "signature", row[-1], row[17])
            if r >= n or pos + k > total or len(sketch) != 8 * k or len(sig) != 8 * num_perm or (
                    last is not None and i <= last):
                raise damaged(self.path, i, "its row disagrees with the table's counts or order")
            last = i
            keys[i] = doc
            docs.append(DocInfo(i, chars, tokens, date, src, origin, status, k))
            shingles[pos : pos + k] = np.frombuffer(sketch, dtype=LE)
            pos += k
            offsets[r + 1] = pos
            sigs[r] = np.frombuffer(sig, dtype=LE)
        if len(docs) != n or pos != total:
            raise IndexFormatError(f"{self.path}: the docs table is damaged ({len(docs)} rows read, {n} counted); "
                                   f"run `retold index check --db {self.path}`")
        bands = band_keys(sigs, self.config.minhash)
        return Corpus(tuple(docs), ArraySets(shingles, offsets), np.arange(n, dtype=np.int64), bands), keys

    @guarded
    def scan(self, *, align: bool = True, workers: int | None = None, progress: Progress | None = None) -> ScanResult:
        """All pairs and families of the indexed documents: the stages of :func:`retold.scan`.

        Raises :class:`IndexFormatError` when a row, sketch, signature or text read fails its checksum.
        """
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        with self._snapshot():
            corpus, keys = self._corpus()

            def text_of(i: str) -> str:
                return self.doc_text(keys[i])

            sketched = Sketched(corpus, text_of, lambda i: shingle_positions(text_of(i), self.config.shingle))
            timings["read_sketch"] = time.perf_counter() - t0
            return run_stages(LocalEngine(workers), sketched, self.config, align=align, progress=progress,
                              timings=timings, problems=[], t0=t0)

    @guarded
    def query(self, text: str, *, limit: int = 10, align: bool = True, max_candidates: int = 500) -> list[Match]:
        """The indexed documents that share text with ``text``, best first (see :mod:`retold.index.query`)."""
        with self._snapshot():
            return query(self, text, limit=limit, align=align, max_candidates=max_candidates)

    @guarded
    def stats(self) -> dict[str, Any]:
        """Counts, parameters and sizes (what ``retold index stats`` prints)."""
        conn = self.conn
        with self._snapshot():
            by_status = dict(conn.execute("SELECT status, count(*) FROM docs GROUP BY status ORDER BY status"))
            postings, eligible = conn.execute(
                "SELECT coalesce(sum(postings), 0), coalesce(sum(shingles > 0), 0) FROM docs").fetchone()
            batches, last = conn.execute("SELECT count(*), max(committed_at) FROM batches").fetchone()
            segments = conn.execute("SELECT count(*) FROM segments").fetchone()[0]
        files = [self.path, Path(str(self.path) + "-wal")]
        return {
            "path": str(self.path),
            "documents": sum(by_status.values()),
            "documents_by_status": by_status,
            "batches": batches,
            "last_commit": last,
            "postings": int(postings),
            "band_keys": int(eligible) * self.config.minhash.bands,
            "segments": segments,
            "store_text": self.store_text,
            "sample": self.sample,
            "file_bytes": sum(f.stat().st_size for f in files if f.exists()),
            "schema_version": int(self.meta["schema_version"]),
            "created_by": self.meta.get("retold_version"),
            "created_at": self.meta.get("created_at"),
            "parameters": self.config.to_dict(),
        }

    @guarded
    def check(self, progress: Progress | None = None) -> list[str]:
        """Problems found (empty when healthy): SQLite's integrity check, every checksum and retold's invariants."""
        with self._snapshot():
            return check(self, progress or NullProgress())
