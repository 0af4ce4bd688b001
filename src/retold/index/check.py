"""``retold index check``: SQLite's integrity check and retold's own invariants."""

from __future__ import annotations

import bisect
import zlib
from typing import Any

import numpy as np

from retold.core.hashing import mix64
from retold.core.lsh import band_keys
from retold.core.rules import doc_status
from retold.index.store import FORMAT, SCHEMA_VERSION, IndexView, content_hash, from_blob, sampled
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


def check(index: IndexView, progress: Progress) -> list[str]:
    """SQLite's integrity check, then every document's row against its postings (see docs/index.md)."""
    conn = index.conn
    problems = [f"sqlite: {r[0]}" for r in conn.execute("PRAGMA integrity_check(20)") if r[0] != "ok"]
    if problems:
        return problems
    if index.meta.get("format") != FORMAT or index.meta.get("schema_version") != str(SCHEMA_VERSION):
        problems.append("meta: format or schema_version is wrong")
    cfg = index.config
    width = 8 * cfg.minhash.num_perm
    batches = {r[0] for r in conn.execute("SELECT batch FROM batches")}
    segment_of = _segment_of(conn, problems)
    want_grams = want_bands = 0
    n_grams = n_bands = 0
    total = conn.execute("SELECT count(*) FROM docs").fetchone()[0]
    progress.start("check", total)
    rows = conn.execute("SELECT doc, id, chars, tokens, status, shingles, postings, content_hash, sketch, signature, "
                        "text, pointer, batch FROM docs")
    for doc, doc_id, chars, tokens, status, k, postings, chash, sketch, sig, text, pointer, batch in rows:
        where = f"document {doc_id!r}"
        if len(sketch) % 8 or len(sketch) // 8 != k:
            problems.append(f"{where}: shingle set has {len(sketch) / 8:g} hashes, row says {k}")
            continue
        s = from_blob(sketch)
        if k > 1 and not bool(np.all(s[1:] > s[:-1])):
            problems.append(f"{where}: shingle set is not sorted and unique")
        if len(sig) != width:
            problems.append(f"{where}: signature has {len(sig)} bytes, expected {width}")
            continue
        if status != doc_status(tokens, cfg.shingle) or (status != "ok" and k):
            problems.append(f"{where}: status {status!r} does not match {tokens} tokens / {k} shingles")
        g = sampled(s, index.sample)
        if len(g) != postings:
            problems.append(f"{where}: {postings} postings recorded, {len(g)} expected")
        keys = band_keys(from_blob(sig)[None, :], cfg.minhash)[0] if k else g[:0]
        seg = segment_of(batch)
        if seg is None and (len(g) or len(keys)):
            problems.append(f"{where}: no postings segment covers its batch {batch}")
        seg = -1 if seg is None else seg
        n_grams += len(g)
        want_grams = (want_grams + _checksum(g.view(np.int64), np.full(len(g), doc), np.full(len(g), seg))) & _MASK
        n_bands += len(keys)
        want_bands = (want_bands + _checksum(keys.view(np.int64), np.full(len(keys), doc),
                                             np.full(len(keys), seg))) & _MASK
        if batch not in batches:
            problems.append(f"{where}: batch {batch} is not in the batches table")
        if index.store_text:
            try:
                body = zlib.decompress(text).decode("utf-8", "surrogatepass") if text is not None else None
            except (zlib.error, UnicodeDecodeError):
                body = None
            if body is None or content_hash(body) != chash or len(body) != chars:
                problems.append(f"{where}: stored text is missing or does not match its content hash")
        elif not pointer:
            problems.append(f"{where}: no stored text and no pointer")
        progress.advance()
    progress.finish()
    for table, column, n, want in (("grams", "h", n_grams, want_grams), ("bands", "key", n_bands, want_bands)):
        count, got = _table_checksum(conn, table, column)
        if count != n or got != want:
            problems.append(f"{table}: {count} rows (expected {n}) or their checksum does not match the documents")
    return problems


# ---------------------------------------------------------------------------- texts kept by pointer
