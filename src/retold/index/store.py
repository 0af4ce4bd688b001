"""The index file: schema, format checks, creation, blobs and connections.

A connection belongs to one thread of one process (SQLite's rule); :class:`Connections`
gives each thread (and each forked worker) its own, so a server can answer queries from
many threads while another thread adds a batch (WAL: readers see the last commit). The
schema is in docs/index.md.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

import numpy as np

from retold import __version__
from retold.config import ScanConfig
from retold.core.sketch import SKETCH_VERSION
from retold.errors import IndexFormatError, InputError
from retold.io.origins import content_hash  # noqa: F401  (re-exported: part of the index format)

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
LE = np.dtype("<u8")

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


def to_blob(values: np.ndarray) -> bytes:
    """uint64 values as little-endian bytes."""
    return np.ascontiguousarray(values, dtype=LE).tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    """Inverse of :func:`to_blob` (native uint64)."""
    return np.frombuffer(blob, dtype=LE).astype(np.uint64)


def signed(values: np.ndarray) -> list[int]:
    """uint64 hashes as the signed 64-bit integers SQLite stores (same bits)."""
    return np.ascontiguousarray(values, dtype=np.uint64).view(np.int64).tolist()


def sampled(shingles: np.ndarray, sample: int) -> np.ndarray:
    """The shingle hashes posted for queries."""
    return shingles if sample == 1 else shingles[shingles % np.uint64(sample) == 0]


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _header(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(len(SQLITE_MAGIC))


def connect(path: Path, readonly: bool, timeout: float) -> sqlite3.Connection:
    if readonly:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=timeout, isolation_level=None,
                               check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None, check_same_thread=False)
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
        conn = connect(path, True, timeout)
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


def create_index(path: Path, config: ScanConfig, store_text: bool, sample: int) -> None:
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
                "created_at": now(), "config": json.dumps(config.to_dict(), sort_keys=True),
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


class Snapshot:
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


class Connections:
    """One connection per thread and per process, made on first use with the same settings.

    The thread that opens the index uses ``first``. A forked worker (alignment reads texts
    there) never touches its parent's connections: it opens its own, read-only.
    """

    def __init__(self, path: Path, readonly: bool, timeout: float, first: sqlite3.Connection) -> None:
        self.path, self.readonly, self.timeout = path, readonly, timeout
        self._pid = os.getpid()
        self._local = threading.local()
        self._local.conn = first
        self._all = [first]
        self._lock = threading.Lock()
        self._child: sqlite3.Connection | None = None

    def get(self) -> sqlite3.Connection:
        """This thread's connection."""
        if os.getpid() != self._pid:
            if self._child is None:
                self._child = connect(self.path, True, 30.0)
            return self._child
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = open_connection(self.path, self.readonly, self.timeout)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        """Close every connection made in this process."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()


def open_connection(path: Path, readonly: bool, timeout: float) -> sqlite3.Connection:
    """A connection with the index's settings (usable from any thread that owns it)."""
    conn = connect(path, readonly, timeout)
    if not readonly:
        conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA journal_size_limit = 67108864")  # truncate a WAL grown by a merge
    return conn


class IndexView(Protocol):
    """What the reading modules (query, check) need of an open index."""

    path: Path
    config: ScanConfig
    sample: int
    store_text: bool
    meta: dict[str, str]

    @property
    def conn(self) -> sqlite3.Connection: ...

    def text(self, doc_id: str) -> str: ...
