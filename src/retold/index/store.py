"""The index file: schema, format checks, creation, blobs and connections.

A connection belongs to one thread of one process (SQLite's rule); :class:`Connections`
gives each thread (and each forked worker) its own, so a server can answer queries from
many threads while another thread adds a batch (WAL: readers see the last commit). The
schema is in docs/index.md.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
import xxhash

from retold import __version__
from retold.config import ScanConfig
from retold.core.sketch import SKETCH_VERSION
from retold.errors import IndexFormatError, InputError
from retold.io.origins import content_hash  # noqa: F401  (re-exported: part of the index format)

#: 2: checksums of every docs blob and row, and of the meta table (see docs/index.md)
SCHEMA_VERSION = 2
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
    batch INTEGER NOT NULL REFERENCES batches(batch),
    sketch_sum INTEGER NOT NULL,
    signature_sum INTEGER NOT NULL,
    text_sum INTEGER,
    row_sum INTEGER NOT NULL
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


#: the docs columns a row checksum covers, in this order: all but the blobs (which have
#: their own checksums, covered here) and row_sum itself
ROW_FIELDS = ("doc", "id", "chars", "tokens", "date", "source", "url", "title", "meta", "origin", "status",
              "shingles", "postings", "content_hash", "pointer", "batch", "sketch_sum", "signature_sum", "text_sum")
#: SELECT list of a whole row's checksummed fields and its checksum (``verify_row`` takes these values)
ROW_SELECT = ", ".join(ROW_FIELDS) + ", row_sum"
#: meta key of the meta table's own checksum
META_SUM = "checksum"

T = TypeVar("T")


def blob_sum(blob: bytes | None) -> int | None:
    """The checksum of a blob: xxh3-64 as a signed 64-bit integer (None for NULL)."""
    if blob is None:
        return None
    h = xxhash.xxh3_64_intdigest(blob)
    return h - (1 << 64) if h >= 1 << 63 else h


def values_sum(values: Sequence[object]) -> int:
    """Checksum of SQLite values (a docs row's :data:`ROW_FIELDS`, the meta items): xxh3-64
    (signed) of the UTF-8 of Python's ``repr`` of their tuple. ``repr`` of None, int, float,
    str and bytes is exact and tells the types apart, so a changed value or type changes it."""
    h = xxhash.xxh3_64_intdigest(repr(tuple(values)).encode("utf-8", "surrogatepass"))
    return h - (1 << 64) if h >= 1 << 63 else h


def meta_sum(meta: dict[str, str]) -> str:
    """The checksum stored in the meta table under :data:`META_SUM` (hex), of every other item."""
    items = sorted((k, v) for k, v in meta.items() if k != META_SUM)
    return format(values_sum([x for kv in items for x in kv]) & (2**64 - 1), "016x")


def damaged(path: Path, doc_id: object, what: str) -> IndexFormatError:
    """The error for a document whose stored data fails its checksum or an invariant."""
    return IndexFormatError(f"{path}: document {doc_id!r} is damaged ({what}); run `retold index check --db {path}`")


def verify_row(path: Path, row: Sequence[Any]) -> None:
    """Check a row read with :data:`ROW_SELECT` against its checksum; raise :func:`damaged` if not."""
    if values_sum(row[: len(ROW_FIELDS)]) != row[len(ROW_FIELDS)]:
        raise damaged(path, row[1], "its row does not match its checksum")


def verify_blob(path: Path, doc_id: object, name: str, blob: object, stored: object) -> bytes:
    """``blob`` if it is bytes matching its stored checksum, else raise :func:`damaged`."""
    if blob is None and stored is None and name == "text":
        raise damaged(path, doc_id, "no stored text")
    if not isinstance(blob, bytes) or blob_sum(blob) != stored:
        raise damaged(path, doc_id, f"its {name} does not match its checksum")
    return blob


def database_error(path: Path, exc: sqlite3.Error) -> IndexFormatError:
    """An SQLite error while using an index, as a one-line :class:`IndexFormatError`.

    Corruption (a damaged page, a schema SQLite cannot parse, a value of the wrong type)
    says to run ``retold index check``; other errors (disk full, locked) are named as such.
    """
    name = getattr(exc, "sqlite_errorname", "")
    if name in ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_FULL", "SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_IOERR",
                "SQLITE_NOMEM", "SQLITE_INTERRUPT", "SQLITE_PERM") or name.startswith(("SQLITE_BUSY_", "SQLITE_IOERR_",
                                                                                        "SQLITE_READONLY_")):
        return IndexFormatError(f"{path}: index database error ({exc})")
    return IndexFormatError(f"{path}: the index file is damaged ({exc}); run `retold index check --db {path}`")


def guarded(fn: Callable[..., T]) -> Callable[..., T]:
    """A method of an object with a ``path`` whose SQLite errors become :func:`database_error`."""

    @functools.wraps(fn)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> T:
        try:
            return fn(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise database_error(self.path, exc) from None

    return wrapper


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
    except UnicodeDecodeError:  # SQLite's message quotes a damaged schema that is not UTF-8
        raise IndexFormatError(f"{path} is not a readable retold index (its schema is damaged)") from None
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
        raise IndexFormatError(
            f"{path} has index schema version {version}, which this retold no longer reads (version {SCHEMA_VERSION} "
            "adds checksums): rebuild the index with `retold index add` into a new file")
    if meta.get(META_SUM) != meta_sum(meta):
        raise IndexFormatError(f"{path}: the index's meta table is damaged (it does not match its checksum); "
                               "the parameters cannot be trusted: rebuild the index")
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
        meta[META_SUM] = meta_sum(meta)
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

    def doc_text(self, doc: int) -> str: ...
