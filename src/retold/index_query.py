"""Reading a retold index: ``query`` (where has this text appeared before?) and ``check``.

Query, for a text Q (see docs/index.md):

1. Q is sketched with the index's parameters (shingle set and MinHash signature).
2. Candidates: the indexed documents posted under Q's sampled shingle hashes
   (``h % sample == 0``), counted; a hash posted for ``max_df`` documents or more is
   boilerplate (Q would make it exceed ``max_df``) and proposes nothing; plus the
   documents sharing one LSH band key with Q (near-copies whose shingles are all
   boilerplate). At most ``max_candidates`` go on: LSH ones first, then by hits.
3. Verification is exact, with the stored shingle sets and the scan's own functions
   (:func:`~retold.verify.intersect_counts`, :func:`~retold.verify.classify`), the
   query as ``a`` and the document as ``b``. Boilerplate here is what step 2 saw: the
   sampled hashes over the df cap (a scan knows every shingle's df; a query only the
   sampled ones), so ``shared`` and the relation may differ slightly from a scan's
   when documents carry boilerplate; ``jaccard`` and both containments are exact.
4. Matches are ranked by shared shingles (``intersection``), then Jaccard, then id; the
   first ``limit`` are aligned with :func:`retold.align.align` (``a`` = query).
"""

from __future__ import annotations

import json
import os
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .align import align as align_texts
from .candidates import band_keys
from .config import ReadConfig
from .errors import InputError
from .models import Document, Passage
from .pipeline import doc_status
from .progress import Progress
from .sketch import mix64, sketch_texts
from .verify import NO_RELATION, Scores, classify, intersect_counts

if TYPE_CHECKING:
    from .index import Index


@dataclass(frozen=True, slots=True)
class Match:
    """An indexed document that shares text with a query.

    Relations read with the query as ``a`` and the document as ``b``: ``duplicate``,
    ``contains`` (the document is within the query), ``contained`` (the query is within
    the document), ``overlap``. ``passages`` use :class:`~retold.models.Passage` with
    ``a_*`` = offsets into the query text and ``b_*`` = offsets into the document's text
    (None when not aligned).
    """

    id: str
    relation: str
    jaccard: float
    containment_query: float  # share of the query's shingles found in the document
    containment_doc: float  # share of the document's shingles found in the query
    shared: int  # shared shingles that are not boilerplate
    intersection: int  # shared shingles
    chars: int
    date: str | None
    source: str | None
    title: str | None
    origin: str
    passages: tuple[Passage, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``retold query --json``): passages as query_*/doc_* offsets."""
        return {
            "id": self.id, "relation": self.relation, "jaccard": self.jaccard,
            "containment_query": self.containment_query, "containment_doc": self.containment_doc,
            "shared": self.shared, "intersection": self.intersection, "chars": self.chars, "date": self.date,
            "source": self.source, "title": self.title, "origin": self.origin,
            "passages": None if self.passages is None else [
                {"query_start": p.a_start, "query_end": p.a_end, "doc_start": p.b_start, "doc_end": p.b_end,
                 "score": round(p.score, 4)} for p in self.passages],
        }


def _in(values: np.ndarray, sorted_set: np.ndarray) -> int:
    if len(values) == 0 or len(sorted_set) == 0:
        return 0
    pos = np.searchsorted(sorted_set, values)
    pos[pos == len(sorted_set)] = 0
    return int(np.count_nonzero(sorted_set[pos] == values))


def query(index: "Index", text: str, *, limit: int = 10, align: bool = True, max_candidates: int = 500) -> list[Match]:
    """See the module docstring; call through :meth:`retold.index.Index.query`."""
    from .index import from_blob, sampled, signed

    cfg = index.config
    conn = index._conn
    batch = sketch_texts([text], cfg.shingle, cfg.minhash)
    q = batch.shingles_of(0)
    if len(q) == 0 or limit < 1:
        return []
    max_df = cfg.candidates.max_df
    segs = ",".join(str(r[0]) for r in conn.execute("SELECT seg FROM segments ORDER BY seg"))
    if not segs:
        return []
    hits: Counter[int] = Counter()
    boiler: list[int] = []
    for h in signed(sampled(q, index.sample)):
        docs = [r[0] for r in conn.execute(f"SELECT doc FROM grams WHERE seg IN ({segs}) AND h = ? LIMIT ?",
                                           (h, max_df))]
        if len(docs) >= max_df:
            boiler.append(h)
        else:
            hits.update(docs)
    near: set[int] = set()
    for key in signed(band_keys(batch.signatures, cfg.minhash)[0]):
        near.update(r[0] for r in conn.execute(f"SELECT doc FROM bands WHERE seg IN ({segs}) AND key = ? LIMIT ?",
                                               (key, cfg.minhash.max_bucket)))
    ranked = sorted(set(hits) | near, key=lambda d: (d not in near, -hits[d], d))[:max_candidates]
    if not ranked:
        return []
    boilerplate = np.sort(np.asarray(boiler, dtype=np.int64).view(np.uint64))
    rows = []
    for i in range(0, len(ranked), 500):
        part = ranked[i : i + 500]
        rows += conn.execute("SELECT id, sketch, chars, date, source, title, origin FROM docs "
                             f"WHERE doc IN ({','.join('?' * len(part))})", part).fetchall()
    n = len(rows)
    inter, shared, size_b, own_b = (np.zeros(n, dtype=np.int64) for _ in range(4))
    for i, row in enumerate(rows):
        d = from_blob(row[1])
        inter[i], shared[i] = intersect_counts(q, d, boilerplate)
        size_b[i], own_b[i] = len(d), len(d) - _in(d, boilerplate)
    scores = Scores(inter, shared, np.full(n, len(q)), size_b, np.full(n, len(q) - _in(q, boilerplate)), own_b)
    rel = classify(scores, cfg.verify)
    jac, cq, cd = scores.jaccard, scores.containment_a, scores.containment_b
    keep = sorted(np.flatnonzero(rel != NO_RELATION).tolist(), key=lambda i: (-inter[i], -jac[i], rows[i][0]))
    out = []
    for i in keep[:limit]:
        doc_id, _, chars, date, source, title, origin = rows[i]
        passages = tuple(align_texts(text, index.text(doc_id), cfg.align)) if align else None
        out.append(Match(doc_id, str(rel[i]), round(float(jac[i]), 4), round(float(cq[i]), 4), round(float(cd[i]), 4),
                         int(shared[i]), int(inter[i]), chars, date, source, title, origin, passages))
    return out


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
    import bisect

    rows = conn.execute("SELECT first_batch, last_batch, seg FROM segments ORDER BY first_batch").fetchall()
    for (f1, l1, s1), (f2, _, s2) in zip(rows, rows[1:]):
        if f2 <= l1:
            problems.append(f"segments {s1} and {s2} cover the same batches")
    firsts = [r[0] for r in rows]

    def find(batch: int) -> int | None:
        i = bisect.bisect_right(firsts, batch) - 1
        return rows[i][2] if i >= 0 and rows[i][1] >= batch else None

    return find


def check(index: "Index", progress: Progress) -> list[str]:
    """SQLite's integrity check, then every document's row against its postings (see docs/index.md)."""
    from .index import FORMAT, SCHEMA_VERSION, content_hash, from_blob, sampled

    conn = index._conn
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
        if status != doc_status(tokens, cfg) or (status != "ok" and k):
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


def pointer_to(doc: Document, read: ReadConfig) -> str:
    """Where a document's text can be read again (text not stored)."""
    from .readers import input_kind

    origin = doc.origin
    whole = Path(origin)
    if whole.is_file() and input_kind(whole) == "text":
        return json.dumps({"path": os.path.abspath(whole), "kind": "text"})
    for sep in (":", "#"):
        path, _, at = origin.rpartition(sep)
        if path and at.isdigit() and Path(path).is_file() and input_kind(Path(path)) not in (None, "text"):
            return json.dumps({"path": os.path.abspath(path), "kind": input_kind(Path(path)), "at": int(at),
                               "id_field": read.id_field, "text_field": read.text_field})
    raise InputError(f"{doc.id!r} ({origin or 'no origin'}): an index without stored texts needs documents "
                     "read from files (text, JSONL, CSV/TSV, Parquet)")


def read_pointer(doc_id: str, ptr: dict[str, Any], expected: str) -> str:
    """Read a document's text back from its file and check it has not changed."""
    from itertools import islice

    from .index import content_hash
    from .readers import UTF8_BOM, open_binary, read_documents

    path = Path(ptr["path"])
    text: str | None = None
    try:
        if ptr["kind"] == "text":
            text = path.read_bytes().removeprefix(UTF8_BOM).decode("utf-8")
        elif ptr["kind"] == "jsonl":
            from contextlib import ExitStack

            with ExitStack() as stack:
                line = next(islice(open_binary(path, stack), ptr["at"] - 1, None), b"")
            value = json.loads(line.removeprefix(UTF8_BOM).decode("utf-8")).get(ptr["text_field"]) if line.strip() else None
            text = value if isinstance(value, str) else None
        else:
            cfg = ReadConfig(id_field=ptr["id_field"], text_field=ptr["text_field"])
            text = next((d.text for d in read_documents([path], cfg, on_problem=lambda p: None) if d.id == doc_id),
                        None)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the text of {doc_id!r} from {path}: {exc}") from None
    if text is None or content_hash(text) != expected:
        raise InputError(f"the text of {doc_id!r} in {path} changed since it was indexed (content hash differs); "
                         "re-add it")
    return text
