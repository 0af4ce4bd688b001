"""A persistent, incremental index: one SQLite file that grows batch by batch.

``Index`` keeps, per document, exactly what a scan keeps (its :class:`~retold.models.DocInfo`,
sorted shingle set and MinHash signature) plus its text (zlib) or a pointer to it, and two
query tables: sampled shingle postings and LSH band keys. ``scan()`` hands the stored
sketches to the same pipeline functions as :func:`retold.scan` (``find_pairs``,
``align_pairs``, ``cluster``), so adding documents in any number of batches, in any order,
gives exactly the result of one batch scan. ``query()`` (see :mod:`retold.index_query`)
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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import xxhash

from . import __version__
from .candidates import band_keys
from .families import cluster
from .config import ReadConfig, ScanConfig
from .errors import ConfigError, IndexFormatError, InputError
from .models import DocInfo, Document, Problem, ScanResult
from .pipeline import (Corpus, Source, align_pairs, check_workers, doc_status, find_pairs, iter_documents,
                       ordered_map, process_pool)
from .index_query import Match, check, pointer_to, query, read_pointer
from .progress import NullProgress, Progress
from .sketch import SKETCH_VERSION, sketch_texts

SCHEMA_VERSION = 1
FORMAT = "retold-index"
APPLICATION_ID = 0x52544C44  # "RTLD": PRAGMA application_id of every retold index
SQLITE_MAGIC = b"SQLite format 3\x00"
#: a shingle hash h is posted for queries when h % sample == 0 (see docs/index.md)
DEFAULT_SAMPLE = 4
DEFAULT_BATCH = 1000
#: postings segments of one level merged into one of the next level (see docs/index.md)
MERGE_FANOUT = 8
#: SQLite page cache per connection (KiB): bounds what a writer holds in memory
CACHE_KIB = 64 * 1024
_LE = np.dtype("<u8")

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE batches (
    batch INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    committed_at TEXT NOT NULL,
    added INTEGER NOT NULL DEFAULT 0,
    replaced INTEGER NOT NULL DEFAULT 0,
    removed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE docs (
    doc INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    chars INTEGER NOT NULL,
    tokens INTEGER NOT NULL,
    date TEXT, source TEXT, url TEXT, title TEXT,
    meta TEXT,
    origin TEXT NOT NULL,
    status TEXT NOT NULL,
    shingles INTEGER NOT NULL,
    postings INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    sketch BLOB NOT NULL,
    signature BLOB NOT NULL,
    text BLOB,
    pointer TEXT,
    batch INTEGER NOT NULL REFERENCES batches(batch)
);
CREATE TABLE segments (
    seg INTEGER PRIMARY KEY,
    level INTEGER NOT NULL,
    first_batch INTEGER NOT NULL,
    last_batch INTEGER NOT NULL
);
CREATE TABLE grams (seg INTEGER NOT NULL, h INTEGER NOT NULL, doc INTEGER NOT NULL,
                    PRIMARY KEY (seg, h, doc)) WITHOUT ROWID;
CREATE TABLE bands (seg INTEGER NOT NULL, key INTEGER NOT NULL, doc INTEGER NOT NULL,
                    PRIMARY KEY (seg, key, doc)) WITHOUT ROWID;
"""


def content_hash(text: str) -> str:
    """xxh3-128 (hex) of the UTF-8 text: what decides whether a re-added document changed."""
    return xxhash.xxh3_128_hexdigest(text.encode("utf-8", "surrogatepass"))


def to_blob(values: np.ndarray) -> bytes:
    """uint64 values as little-endian bytes."""
    return np.ascontiguousarray(values, dtype=_LE).tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    """Inverse of :func:`to_blob` (native uint64)."""
    return np.frombuffer(blob, dtype=_LE).astype(np.uint64)


def signed(values: np.ndarray) -> list[int]:
    """uint64 hashes as the signed 64-bit integers SQLite stores (same bits)."""
    return np.ascontiguousarray(values, dtype=np.uint64).view(np.int64).tolist()


def sampled(shingles: np.ndarray, sample: int) -> np.ndarray:
    """The shingle hashes posted for queries."""
    return shingles if sample == 1 else shingles[shingles % np.uint64(sample) == 0]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


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
    """A document's index row, made in a sketching worker."""

    tokens: int
    shingles: int
    sketch: bytes
    signature: bytes
    grams: list[int]  # signed
    bands: list[int]  # signed
    text: bytes | None


def _records(texts: list[str], config: ScanConfig, sample: int, store_text: bool) -> list[_Record]:
    """Sketch texts into index rows (runs in a worker process)."""
    batch = sketch_texts(texts, config.shingle, config.minhash)
    keys = band_keys(batch.signatures, config.minhash) if len(texts) else np.empty((0, 0), np.uint64)
    out = []
    for i, text in enumerate(texts):
        s = batch.shingles_of(i)
        out.append(_Record(
            int(batch.tokens[i]), len(s), to_blob(s), to_blob(batch.signatures[i]), signed(sampled(s, sample)),
            signed(keys[i]) if len(s) else [], zlib.compress(text.encode("utf-8", "surrogatepass"), 6)
            if store_text else None))
    return out


def _run(task: tuple[list[str], ScanConfig, int, bool]) -> list[_Record]:
    return _records(*task)


def _meta_key(doc: Document) -> tuple[Any, ...]:
    meta = json.dumps(dict(doc.meta), sort_keys=True, ensure_ascii=False) if doc.meta else None
    return (doc.date, doc.source, doc.url, doc.title, meta)


def _chunks(docs: Iterator[Document], size: int) -> Iterator[list[Document]]:
    chunk: list[Document] = []
    for d in docs:
        chunk.append(d)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _header(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(len(SQLITE_MAGIC))


def _connect(path: Path, readonly: bool, timeout: float) -> sqlite3.Connection:
    if readonly:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=timeout, isolation_level=None)
    else:
        conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    return conn


def read_meta(path: Path, timeout: float = 30.0) -> dict[str, str]:
    """The meta table of a retold index, read without writing to the file.

    Raises :class:`IndexFormatError` when ``path`` is not a retold index or has a schema
    this retold cannot read.
    """
    if _header(path) != SQLITE_MAGIC:
        raise IndexFormatError(f"{path} is not a retold index (not an SQLite database)")
    try:
        conn = _connect(path, True, timeout)
        try:
            app = conn.execute("PRAGMA application_id").fetchone()[0]
            has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall()) if has_meta else {}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise IndexFormatError(f"{path} is not a readable retold index ({exc})") from None
    if app != APPLICATION_ID or meta.get("format") != FORMAT:
        raise IndexFormatError(f"{path} is an SQLite database but not a retold index (no retold meta table)")
    try:
        version = int(meta["schema_version"])
    except (KeyError, ValueError):
        raise IndexFormatError(f"{path}: retold index without a valid schema_version") from None
    if version > SCHEMA_VERSION:
        raise IndexFormatError(
            f"{path} has index schema version {version}, written by retold {meta.get('retold_version', '?')}; "
            f"this retold ({__version__}) reads version {SCHEMA_VERSION}: upgrade retold")
    if version < SCHEMA_VERSION:
        raise IndexFormatError(f"{path} has index schema version {version}, which this retold no longer reads")
    if meta.get("sketch_version") != str(SKETCH_VERSION):
        raise IndexFormatError(
            f"{path} holds sketches of version {meta.get('sketch_version', '?')}; this retold makes version "
            f"{SKETCH_VERSION}: rebuild the index with `retold index add` into a new file")
    return meta


def _create(path: Path, config: ScanConfig, store_text: bool, sample: int) -> None:
    """Build an empty index under a temporary name and rename it into place (atomic)."""
    if not path.parent.is_dir():
        raise InputError(f"cannot create {path}: directory {path.parent} does not exist")
    tmp = path.with_name(f".{path.name}.creating-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(str(tmp), isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("BEGIN")
        for stmt in _SCHEMA.split(";"):
            if stmt.strip():
                conn.execute(stmt)
        meta = {"format": FORMAT, "schema_version": str(SCHEMA_VERSION), "retold_version": __version__,
                "sketch_version": str(SKETCH_VERSION),
                "created_at": _now(), "config": json.dumps(config.to_dict(), sort_keys=True),
                "store_text": "1" if store_text else "0", "sample": str(sample)}
        conn.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    for suffix in ("-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    if path.exists() and path.stat().st_size > 0:
        tmp.unlink()
        raise InputError(f"{path} appeared while the index was being created; not overwritten")
    os.replace(tmp, path)


class Index:
    """A retold index file. Use :meth:`open` (a context manager)."""

    def __init__(self, path: Path, conn: sqlite3.Connection, meta: dict[str, str], readonly: bool) -> None:
        self.path = path
        self.readonly = readonly
        self._conn = conn
        self._pid = os.getpid()
        self._child_conn: sqlite3.Connection | None = None
        self.meta = meta
        self.config = ScanConfig.from_dict(json.loads(meta["config"]))
        self.store_text = meta["store_text"] == "1"
        self.sample = int(meta["sample"])
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
            _create(path, config or ScanConfig(), True if store_text is None else store_text,
                    DEFAULT_SAMPLE if sample is None else sample)
        elif not path.is_file():
            raise InputError(f"{path} is not a file")
        meta = read_meta(path, timeout)
        conn = _connect(path, readonly, timeout)
        if not readonly:
            conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA journal_size_limit = 67108864")  # truncate a WAL grown by a merge
        index = cls(path, conn, meta, readonly)
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

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM docs").fetchone()[0])

    # ------------------------------------------------------------------ writing

    def _write_check(self) -> None:
        if self.readonly:
            raise ConfigError(f"{self.path} is open read-only")

    def _begin_write(self) -> None:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise InputError(f"{self.path}: cannot start a write ({exc}); is another process adding?") from None

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
            for chunk in _chunks(docs, batch_size):
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
            rows = self._conn.execute(
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
        conn = self._conn
        self._begin_write()
        try:
            known = self._known([d.id for d in chunk])
            batch_id = None
            for i, (doc, h) in enumerate(zip(chunk, hashes)):
                old = known.get(doc.id)
                if old == (h, *_meta_key(doc)):
                    unchanged += 1
                    continue
                if batch_id is None:
                    batch_id = conn.execute("INSERT INTO batches(kind, committed_at) VALUES ('add', ?)",
                                            (_now(),)).lastrowid
                if old is not None:
                    self._delete(doc.id)
                    replaced.append(doc.id)
                else:
                    added += 1
                rec = made.get(i) or _records([doc.text], self.config, self.sample, self.store_text)[0]
                row = conn.execute(
                    "INSERT INTO docs(id, chars, tokens, date, source, url, title, meta, origin, status, shingles, "
                    "postings, content_hash, sketch, signature, text, pointer, batch) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (doc.id, len(doc.text), rec.tokens, *_meta_key(doc), doc.origin, doc_status(rec.tokens, self.config),
                     rec.shingles, len(rec.grams), h, rec.sketch, rec.signature, rec.text,
                     None if self.store_text else pointer_to(doc, self._read), batch_id)).lastrowid
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
        conn = self._conn
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
        conn = self._conn
        row = conn.execute("SELECT doc, sketch, signature, shingles, batch FROM docs WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            return False
        doc, sketch, signature, n, batch = row
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

    def remove(self, ids: Iterable[str]) -> int:
        """Delete documents by id, in one transaction; returns how many were indexed."""
        self._write_check()
        ids = list(dict.fromkeys(ids))
        self._begin_write()
        try:
            removed = sum(self._delete(i) for i in ids)
            if removed:
                self._conn.execute("INSERT INTO batches(kind, committed_at, removed) VALUES ('remove', ?, ?)",
                                   (_now(), removed))
            self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise
        return removed

    # ------------------------------------------------------------------ reading

    def _snapshot(self) -> "_Snapshot":
        return _Snapshot(self._conn)

    def ids(self) -> list[str]:
        """Every indexed id, sorted."""
        return [r[0] for r in self._conn.execute("SELECT id FROM docs ORDER BY id")]

    def _reader(self) -> sqlite3.Connection:
        """This process's connection: a forked worker (alignment) must not use its parent's."""
        if os.getpid() == self._pid:
            return self._conn
        if self._child_conn is None:
            self._child_conn = _connect(self.path, True, 30.0)
        return self._child_conn

    def text(self, doc_id: str) -> str:
        """The text of a document (from the index, or re-read and hash-checked from its file)."""
        row = self._reader().execute("SELECT text, pointer, content_hash FROM docs WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            raise InputError(f"{self.path}: no document with id {doc_id!r}")
        if row[0] is not None:
            return zlib.decompress(row[0]).decode("utf-8", "surrogatepass")
        return read_pointer(doc_id, json.loads(row[1]), row[2])

    def corpus(self) -> Corpus:
        """Every document's sketches in id order: what :func:`~retold.pipeline.find_pairs` reads."""
        with self._snapshot():
            return self._corpus()

    def _corpus(self) -> Corpus:
        conn = self._conn
        n, total = conn.execute("SELECT count(*), coalesce(sum(shingles), 0) FROM docs").fetchone()
        shingles = np.empty(total, dtype=np.uint64)
        offsets = np.zeros(n + 1, dtype=np.int64)
        sigs = np.empty((n, self.config.minhash.num_perm), dtype=np.uint64)
        docs = []
        pos = 0
        rows = conn.execute("SELECT id, chars, tokens, date, source, origin, status, shingles, sketch, signature "
                            "FROM docs ORDER BY id")
        for r, (i, chars, tokens, date, src, origin, status, k, sketch, sig) in enumerate(rows):
            docs.append(DocInfo(i, chars, tokens, date, src, origin, status, k))
            shingles[pos : pos + k] = np.frombuffer(sketch, dtype=_LE)
            pos += k
            offsets[r + 1] = pos
            sigs[r] = np.frombuffer(sig, dtype=_LE)
        bands = band_keys(sigs, self.config.minhash)
        return Corpus(tuple(docs), shingles, offsets, np.arange(n, dtype=np.int64), bands)

    def scan(self, *, align: bool = True, workers: int | None = None, progress: Progress | None = None) -> ScanResult:
        """All pairs and families of the indexed documents: the same functions as :func:`retold.scan`."""
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        with self._snapshot():
            corpus = self._corpus()
            timings["read_sketch"] = time.perf_counter() - t0
            pairs, stats = find_pairs(corpus, self.config, progress, timings, workers)
            if align:
                t1 = time.perf_counter()
                pairs = align_pairs(pairs, self.text, self.config.align, workers=workers, progress=progress)
                timings["align"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        clusters = cluster(pairs, corpus.documents, self.config.cluster)
        timings["cluster"] = time.perf_counter() - t2
        timings["total"] = time.perf_counter() - t0
        return ScanResult(corpus.documents, pairs, clusters, (), self.config, stats, timings)

    def query(self, text: str, *, limit: int = 10, align: bool = True, max_candidates: int = 500) -> list[Match]:
        """The indexed documents that share text with ``text``, best first (see :mod:`retold.index_query`)."""
        with self._snapshot():
            return query(self, text, limit=limit, align=align, max_candidates=max_candidates)

    def stats(self) -> dict[str, Any]:
        """Counts, parameters and sizes (what ``retold index stats`` prints)."""
        conn = self._conn
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

    def check(self, progress: Progress | None = None) -> list[str]:
        """Problems found (empty when healthy): SQLite's integrity check and retold's invariants."""
        with self._snapshot():
            return check(self, progress or NullProgress())


class _Snapshot:
    """A read transaction (one consistent view under WAL) unless one is already open."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.mine = False

    def __enter__(self) -> None:
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN")
            self.mine = True

    def __exit__(self, *exc: object) -> None:
        if self.mine and self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
