"""Writing an index: ``add`` (batches, one transaction each), ``remove``, postings segments.

:class:`IndexWriter` holds the writing half of :class:`retold.Index`; documents are
sketched in worker processes into index rows (:class:`_Record`) and written by the
calling thread on its own connection.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from retold.config import ReadConfig, ScanConfig
from retold.core.batches import batched
from retold.core.lsh import band_keys
from retold.core.rules import doc_status
from retold.core.sketch import sketch_texts
from retold.engines.local.parallel import check_workers, ordered_map, process_pool
from retold.errors import ConfigError, IndexFormatError, InputError
from retold.index.store import (DEFAULT_BATCH, MERGE_FANOUT, ROW_SELECT, blob_sum, content_hash, from_blob, guarded,
                                 now, sampled, signed, to_blob, values_sum, verify_blob, verify_row)
from retold.io.origins import pointer_to
from retold.io.sources import Source, iter_documents
from retold.models import Document, Problem
from retold.progress import NullProgress, Progress


@dataclass(frozen=True, slots=True)
class BatchReport:
    """One batch of an ``add``: its documents in input order and what happened to them."""

    number: int  # 1-based, in this call
    inputs: int  # documents of the input in this batch
    end: int  # documents of the input read through the end of this batch
    added: int
    replaced: tuple[str, ...]
    unchanged: int
    committed: bool  # False when nothing changed (no transaction needed)


@dataclass
class AddReport:
    """What an ``add`` did. ``replaced``: ids whose text or metadata changed."""

    added: int = 0
    replaced: list[str] = field(default_factory=list)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    batches: int = 0  # transactions committed
    documents: int = 0  # in the index afterwards


@dataclass(frozen=True, slots=True)
class _Record:
    """A document's index row, made in a sketching worker, with the checksums of its blobs."""

    tokens: int
    shingles: int
    sketch: bytes
    signature: bytes
    grams: list[int]  # signed
    bands: list[int]  # signed
    text: bytes | None
    sketch_sum: int
    signature_sum: int
    text_sum: int | None


def _records(texts: list[str], config: ScanConfig, sample: int, store_text: bool) -> list[_Record]:
    """Sketch texts into index rows (runs in a worker process)."""
    batch = sketch_texts(texts, config.shingle, config.minhash)
    keys = band_keys(batch.signatures, config.minhash) if len(texts) else np.empty((0, 0), np.uint64)
    out = []
    for i, text in enumerate(texts):
        s = batch.shingles_of(i)
        sketch, signature = to_blob(s), to_blob(batch.signatures[i])
        body = zlib.compress(text.encode("utf-8", "surrogatepass"), 6) if store_text else None
        out.append(_Record(
            int(batch.tokens[i]), len(s), sketch, signature, signed(sampled(s, sample)),
            signed(keys[i]) if len(s) else [], body, blob_sum(sketch) or 0, blob_sum(signature) or 0, blob_sum(body)))
    return out


def _run(task: tuple[list[str], ScanConfig, int, bool]) -> list[_Record]:
    return _records(*task)


def _meta_key(doc: Document) -> tuple[Any, ...]:
    meta = json.dumps(dict(doc.meta), sort_keys=True, ensure_ascii=False) if doc.meta else None
    return (doc.date, doc.source, doc.url, doc.title, meta)


class IndexWriter:
    """The writing methods of :class:`retold.Index` (see there for the attributes they use)."""

    path: Path
    readonly: bool
    config: ScanConfig
    sample: int
    store_text: bool
    _read: ReadConfig

    conn: sqlite3.Connection  # this thread's connection (a property of Index)

    def _write_check(self) -> None:
        if self.readonly:
            raise ConfigError(f"{self.path} is open read-only")

    def _begin_write(self) -> None:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise InputError(f"{self.path}: cannot start a write ({exc}); is another process adding?") from None

    @guarded
    def add(
        self,
        source: Source,
        *,
        read: ReadConfig = ReadConfig(),
        batch_size: int = DEFAULT_BATCH,
        workers: int | None = None,
        strict: bool = False,
        progress: Progress | None = None,
        on_batch: Callable[[BatchReport], None] | None = None,
    ) -> AddReport:
        """Add (or update) documents: paths or records, as :func:`retold.scan` takes.

        The input is cut into batches of ``batch_size`` documents in reading order; each
        batch is one transaction. A document whose id is indexed with the same text and
        metadata is unchanged (nothing written); with other text or metadata it replaces
        the old version (listed in ``AddReport.replaced``). ``on_batch`` is called after
        each batch (after its commit).
        """
        self._write_check()
        if batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
        workers = check_workers(workers)
        progress = progress or NullProgress()
        report = AddReport()
        self._read = read
        docs = iter_documents(source, read, on_problem=report.problems.append, strict=strict)
        plans: list[tuple[list[Document], list[str], list[bool]]] = []

        def tasks() -> Iterator[tuple[list[str], ScanConfig, int, bool]]:
            for chunk in batched(docs, batch_size):
                hashes = [content_hash(d.text) for d in chunk]
                known = self._known([d.id for d in chunk])
                todo = [known.get(d.id) != (h, *_meta_key(d)) for d, h in zip(chunk, hashes)]
                plans.append((chunk, hashes, todo))
                yield [d.text for d, t in zip(chunk, todo) if t], self.config, self.sample, self.store_text

        progress.start("index add")
        end = 0
        with process_pool(workers) as executor:
            for number, records in enumerate(ordered_map(executor, _run, tasks(), window=2 * workers), 1):
                chunk, hashes, todo = plans.pop(0)
                end += len(chunk)
                batch = self._write_batch(number, end, chunk, hashes, todo, records)
                report.added += batch.added
                report.replaced.extend(batch.replaced)
                report.unchanged += batch.unchanged
                report.batches += batch.committed
                progress.advance(len(chunk))
                if on_batch is not None:
                    on_batch(batch)
        progress.finish()
        report.documents = len(self)
        return report

    def _known(self, ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
        """id -> (content_hash, date, source, url, title, meta) of the indexed ones."""
        out: dict[str, tuple[Any, ...]] = {}
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            rows = self.conn.execute(
                f"SELECT id, content_hash, date, source, url, title, meta FROM docs WHERE id IN ({','.join('?' * len(part))})",
                part)
            out.update((r[0], tuple(r[1:])) for r in rows)
        return out

    def _write_batch(self, number: int, end: int, chunk: list[Document], hashes: list[str], todo: list[bool],
                     records: list[_Record]) -> BatchReport:
        """One transaction: re-check what changed (another writer may have been first), write it."""
        made = dict(zip([i for i, t in enumerate(todo) if t], records))
        added, replaced, unchanged = 0, [], 0
        grams: list[tuple[int, int]] = []
        bands: list[tuple[int, int]] = []
        conn = self.conn
        self._begin_write()
        try:
            known = self._known([d.id for d in chunk])
            batch_id = None
            next_doc = 0
            for i, (doc, h) in enumerate(zip(chunk, hashes)):
                old = known.get(doc.id)
                if old == (h, *_meta_key(doc)):
                    unchanged += 1
                    continue
                if batch_id is None:
                    batch_id = conn.execute("INSERT INTO batches(kind, committed_at) VALUES ('add', ?)",
                                            (now(),)).lastrowid
                    next_doc = conn.execute(  # what AUTOINCREMENT would give: the row checksum covers the key
                        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'docs'), 0), "
                        "coalesce((SELECT max(doc) FROM docs), 0)) + 1").fetchone()[0]
                if old is not None:
                    self._delete(doc.id)
                    replaced.append(doc.id)
                else:
                    added += 1
                rec = made.get(i) or _records([doc.text], self.config, self.sample, self.store_text)[0]
                row, next_doc = next_doc, next_doc + 1
                fields = (row, doc.id, len(doc.text), rec.tokens, *_meta_key(doc), doc.origin,
                          doc_status(rec.tokens, self.config.shingle), rec.shingles, len(rec.grams), h,
                          None if self.store_text else pointer_to(doc, self._read), batch_id,
                          rec.sketch_sum, rec.signature_sum, rec.text_sum)
                conn.execute(
                    "INSERT INTO docs(doc, id, chars, tokens, date, source, url, title, meta, origin, status, shingles, "
                    "postings, content_hash, pointer, batch, sketch_sum, signature_sum, text_sum, row_sum, "
                    "sketch, signature, text) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (*fields, values_sum(fields), rec.sketch, rec.signature, rec.text))
                grams.extend((g, row) for g in rec.grams)
                bands.extend((k, row) for k in rec.bands)
            if batch_id is None:
                conn.execute("ROLLBACK")
                return BatchReport(number, len(chunk), end, 0, (), unchanged, False)
            self._add_segment(batch_id, grams, bands)
            conn.execute("UPDATE batches SET added = ?, replaced = ? WHERE batch = ?", (added, len(replaced), batch_id))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return BatchReport(number, len(chunk), end, added, tuple(replaced), unchanged, True)

    def _add_segment(self, batch: int, grams: list[tuple[int, int]], bands: list[tuple[int, int]]) -> None:
        """Write a batch's postings as a new segment (appended: seg ids only grow), then merge.

        Postings are kept in segments, each covering a contiguous range of batches, so a
        batch appends at the end of the B-trees instead of touching pages all over them.
        When a level holds ``MERGE_FANOUT`` segments they are merged (sorted) into one of
        the next level, so there are at most ``MERGE_FANOUT - 1`` segments per level and a
        posting is rewritten once per level (about log8 of the number of batches).
        """
        if not grams and not bands:
            return
        conn = self.conn
        seg = conn.execute("SELECT coalesce(max(seg), 0) + 1 FROM segments").fetchone()[0]
        conn.execute("INSERT INTO segments VALUES (?, 0, ?, ?)", (seg, batch, batch))
        conn.executemany("INSERT INTO grams VALUES (?, ?, ?)", [(seg, h, d) for h, d in sorted(grams)])
        conn.executemany("INSERT INTO bands VALUES (?, ?, ?)", [(seg, k, d) for k, d in sorted(bands)])
        while True:
            full = conn.execute("SELECT level FROM segments GROUP BY level HAVING count(*) >= ? ORDER BY level LIMIT 1",
                                (MERGE_FANOUT,)).fetchone()
            if full is None:
                return
            segs = [r[0] for r in conn.execute("SELECT seg FROM segments WHERE level = ? ORDER BY seg", full)]
            inside = ",".join(map(str, segs))
            new = conn.execute("SELECT max(seg) + 1 FROM segments").fetchone()[0]
            for table, column in (("grams", "h"), ("bands", "key")):
                conn.execute(f"INSERT INTO {table} SELECT ?, {column}, doc FROM {table} WHERE seg IN ({inside}) "
                             f"ORDER BY {column}, doc", (new,))
                conn.execute(f"DELETE FROM {table} WHERE seg IN ({inside})")
            conn.execute(f"INSERT INTO segments SELECT ?, ?, min(first_batch), max(last_batch) FROM segments "
                         f"WHERE seg IN ({inside})", (new, full[0] + 1))
            conn.execute(f"DELETE FROM segments WHERE seg IN ({inside})")

    def _delete(self, doc_id: str) -> bool:
        """Delete a document and its postings (inside a write transaction)."""
        conn = self.conn
        row = conn.execute(f"SELECT {ROW_SELECT}, sketch, signature FROM docs WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            return False
        verify_row(self.path, row[:-2])
        doc, n, batch = row[0], row[11], row[15]
        sketch = verify_blob(self.path, doc_id, "shingle set", row[-2], row[16])
        signature = verify_blob(self.path, doc_id, "signature", row[-1], row[17])
        grams = signed(sampled(from_blob(sketch), self.sample))
        keys = signed(band_keys(from_blob(signature)[None, :], self.config.minhash)[0]) if n else []
        if grams or keys:
            seg = conn.execute("SELECT seg FROM segments WHERE first_batch <= ? AND last_batch >= ?",
                               (batch, batch)).fetchone()
            if seg is None:
                raise IndexFormatError(f"{self.path}: no postings segment for batch {batch}; run `retold index check`")
            conn.executemany("DELETE FROM grams WHERE seg = ? AND h = ? AND doc = ?", [(seg[0], g, doc) for g in grams])
            conn.executemany("DELETE FROM bands WHERE seg = ? AND key = ? AND doc = ?", [(seg[0], k, doc) for k in keys])
        conn.execute("DELETE FROM docs WHERE doc = ?", (doc,))
        return True

    @guarded
    def remove(self, ids: Iterable[str]) -> int:
        """Delete documents by id, in one transaction; returns how many were indexed."""
        self._write_check()
        ids = list(dict.fromkeys(ids))
        self._begin_write()
        try:
            removed = sum(self._delete(i) for i in ids)
            if removed:
                self.conn.execute("INSERT INTO batches(kind, committed_at, removed) VALUES ('remove', ?, ?)",
                                   (now(), removed))
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        return removed
