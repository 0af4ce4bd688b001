"""``retold index check``: SQLite's integrity check and retold's own invariants."""

from __future__ import annotations

import bisect
import sqlite3
import zlib
from typing import Any

import numpy as np

from retold.core.hashing import mix64
from retold.core.lsh import band_keys
from retold.core.rules import doc_status
from retold.index.store import (FORMAT, META_SUM, MERGE_FANOUT, ROW_FIELDS, ROW_SELECT, SCHEMA_VERSION, IndexView,
                                 blob_sum, content_hash, from_blob, meta_sum, sampled, values_sum)
from retold.progress import Progress

_MASK = 2**64 - 1


def _checksum(a: np.ndarray, doc: np.ndarray, seg: np.ndarray) -> int:
    """Order-free checksum of (hash, doc, seg) rows (sums of mixed rows, mod 2**64)."""
    if len(a) == 0:
        return 0
    inner = mix64(doc.astype(np.uint64) ^ mix64(seg.astype(np.uint64)))
    return int(np.sum(mix64(a.astype(np.int64).view(np.uint64) ^ inner), dtype=np.uint64))


def _table_checksum(conn: Any, table: str, column: str) -> tuple[int, int]:
    count, total = 0, 0
    cur = conn.execute(f"SELECT {column}, doc, seg FROM {table}")
    while rows := cur.fetchmany(200_000):
        arr = np.asarray(rows, dtype=np.int64)
        count += len(arr)
        total = (total + _checksum(arr[:, 0], arr[:, 1], arr[:, 2])) & _MASK
    return count, total


def _segment_of(conn: Any, problems: list[str]) -> Any:
    """batch -> the postings segment covering it (segments must not overlap)."""
    rows = conn.execute("SELECT first_batch, last_batch, seg FROM segments ORDER BY first_batch").fetchall()
    for (f1, l1, s1), (f2, _, s2) in zip(rows, rows[1:]):
        if f2 <= l1:
            problems.append(f"segments {s1} and {s2} cover the same batches")
    firsts = [r[0] for r in rows]

    def find(batch: int) -> int | None:
        i = bisect.bisect_right(firsts, batch) - 1
        return rows[i][2] if i >= 0 and rows[i][1] >= batch else None

    return find


def _check_segments(conn: Any, problems: list[str]) -> None:
    """Segment invariants: ordered batch ranges, fewer than ``MERGE_FANOUT`` per level."""
    for seg, level, first, last in conn.execute("SELECT seg, level, first_batch, last_batch FROM segments"):
        if not all(isinstance(v, int) for v in (seg, level, first, last)) or first > last or level < 0:
            problems.append(f"segment {seg}: level {level!r} or batch range {first!r}..{last!r} is invalid")
    for level, n in conn.execute("SELECT level, count(*) FROM segments GROUP BY level"):
        if n >= MERGE_FANOUT:
            problems.append(f"segments: level {level} holds {n} segments (they are merged at {MERGE_FANOUT})")


def _check_doc(index: IndexView, row: tuple[Any, ...], problems: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """Problems of one docs row (read as ``ROW_SELECT, sketch, signature, text``); its
    sampled hashes and band keys when its sketches can be used for the postings checksum."""
    cfg = index.config
    doc, doc_id, chars, tokens, status, k, postings, chash, pointer = (row[0], row[1], row[2], row[3], row[10],
                                                                      row[11], row[12], row[13], row[14])
    sketch, sig, text = row[-3], row[-2], row[-1]
    where = f"document {doc_id!r} (number {doc})"
    if values_sum(row[: len(ROW_FIELDS)]) != row[len(ROW_FIELDS)]:
        problems.append(f"{where}: its row (id, counts, metadata, checksums) does not match its row checksum")
    for name, blob, stored in (("shingle set", sketch, row[16]), ("signature", sig, row[17])):
        if not isinstance(blob, bytes) or blob_sum(blob) != stored:
            problems.append(f"{where}: its {name} does not match its checksum")
    if index.store_text and (not isinstance(text, bytes) or blob_sum(text) != row[18]):
        problems.append(f"{where}: its stored text does not match its checksum")
    if not isinstance(sketch, bytes) or not isinstance(sig, bytes) or not isinstance(k, int):
        return None
    if len(sketch) % 8 or len(sketch) // 8 != k:
        problems.append(f"{where}: shingle set has {len(sketch) / 8:g} hashes, row says {k}")
        return None
    s = from_blob(sketch)
    if k > 1 and not bool(np.all(s[1:] > s[:-1])):
        problems.append(f"{where}: shingle set is not sorted and unique")
    width = 8 * cfg.minhash.num_perm
    if len(sig) != width:
        problems.append(f"{where}: signature has {len(sig)} bytes, expected {width}")
        return None
    if not isinstance(tokens, int) or status != doc_status(tokens, cfg.shingle) or (status != "ok" and k):
        problems.append(f"{where}: status {status!r} does not match {tokens} tokens / {k} shingles")
    g = sampled(s, index.sample)
    if len(g) != postings:
        problems.append(f"{where}: {postings} postings recorded, {len(g)} expected")
    keys = band_keys(from_blob(sig)[None, :], cfg.minhash)[0] if k else g[:0]
    if index.store_text:
        try:
            body = zlib.decompress(text).decode("utf-8", "surrogatepass") if isinstance(text, bytes) else None
        except (zlib.error, UnicodeDecodeError):
            body = None
        if body is None or content_hash(body) != chash or len(body) != chars:
            problems.append(f"{where}: stored text is missing or does not match its content hash")
    elif not pointer:
        problems.append(f"{where}: no stored text and no pointer")
    return g, keys


def check(index: IndexView, progress: Progress) -> list[str]:
    """SQLite's integrity check, then every checksum and every document's row against its
    postings (see docs/index.md). Each problem is reported; an error SQLite raises while
    reading a damaged file ends the check with one more problem naming it."""
    conn = index.conn
    problems = [f"sqlite: {r[0]}" for r in conn.execute("PRAGMA integrity_check(20)") if r[0] != "ok"]
    try:
        _check_rows(index, progress, problems)
    except sqlite3.DatabaseError as exc:
        problems.append(f"sqlite: reading the index failed ({exc})")
    except (TypeError, ValueError, OverflowError) as exc:  # a value of the wrong type in a table
        problems.append(f"a table holds a value retold cannot read ({type(exc).__name__}: {exc})")
    return problems


def _check_rows(index: IndexView, progress: Progress, problems: list[str]) -> None:
    conn = index.conn
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    if meta.get("format") != FORMAT or meta.get("schema_version") != str(SCHEMA_VERSION):
        problems.append("meta: format or schema_version is wrong")
    if meta.get(META_SUM) != meta_sum(meta) or meta != index.meta:
        problems.append("meta: the meta table does not match its checksum")
    batches = {r[0] for r in conn.execute("SELECT batch FROM batches")}
    segment_of = _segment_of(conn, problems)
    _check_segments(conn, problems)
    want_grams = want_bands = 0
    n_grams = n_bands = 0
    total = conn.execute("SELECT count(*) FROM docs").fetchone()[0]
    progress.start("check", total)
    seen = 0
    for row in conn.execute(f"SELECT {ROW_SELECT}, sketch, signature, text FROM docs"):
        seen += 1
        doc, batch = row[0], row[15]
        postings = _check_doc(index, row, problems)
        if batch not in batches:
            problems.append(f"document {row[1]!r} (number {doc}): batch {batch} is not in the batches table")
        if postings is not None:
            g, keys = postings
            seg = segment_of(batch) if isinstance(batch, int) else None
            if seg is None and (len(g) or len(keys)):
                problems.append(f"document {row[1]!r} (number {doc}): no postings segment covers its batch {batch}")
            seg = -1 if seg is None else seg
            n_grams += len(g)
            want_grams = (want_grams + _checksum(g.view(np.int64), np.full(len(g), doc), np.full(len(g), seg))) & _MASK
            n_bands += len(keys)
            want_bands = (want_bands + _checksum(keys.view(np.int64), np.full(len(keys), doc),
                                                 np.full(len(keys), seg))) & _MASK
        progress.advance()
    progress.finish()
    if seen != total:
        problems.append(f"docs: {seen} rows read, {total} counted")
    for table, column, n, want in (("grams", "h", n_grams, want_grams), ("bands", "key", n_bands, want_bands)):
        count, got = _table_checksum(conn, table, column)
        if count != n or got != want:
            problems.append(f"{table}: {count} rows (expected {n}) or their checksum does not match the documents")


# ---------------------------------------------------------------------------- texts kept by pointer
