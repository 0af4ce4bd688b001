"""Querying a retold index: where has this text appeared before?

Query, for a text Q (see docs/index.md):

1. Q is sketched with the index's parameters (shingle set and MinHash signature).
2. Candidates: the indexed documents posted under Q's sampled shingle hashes
   (``h % sample == 0``), counted; a hash posted for ``max_df`` documents or more is
   boilerplate (Q would make it exceed ``max_df``) and proposes nothing; plus the
   documents sharing one LSH band key with Q (near-copies whose shingles are all
   boilerplate). At most ``max_candidates`` go on: LSH ones first, then by hits.
3. Verification is exact, with the stored shingle sets and the scan's own functions
   (:func:`~retold.core.verify.intersect_counts`, :func:`~retold.core.verify.classify`), the
   query as ``a`` and the document as ``b``. Boilerplate here is what step 2 saw: the
   sampled hashes over the df cap (a scan knows every shingle's df; a query only the
   sampled ones), so ``shared`` and the relation may differ slightly from a scan's
   when documents carry boilerplate; ``jaccard`` and both containments are exact.
4. Matches are ranked by shared shingles (``intersection``), then Jaccard, then id; the
   first ``limit`` are aligned with :func:`retold.core.align.align` (``a`` = query).

Every candidate's row and shingle set, and every text read, is checked against its
checksum: a damaged one raises :class:`~retold.errors.IndexFormatError` (naming the
document and ``retold index check``) instead of changing the answer. A posting that
names a document not in the table raises it too. Postings themselves are not
checksummed per row (``retold index check`` verifies them as a whole).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from retold.core.align import align as align_texts
from retold.core.arrays import isin_sorted
from retold.core.lsh import band_keys
from retold.core.rules import rounded
from retold.core.sketch import shingle_positions, sketch_texts
from retold.core.coverage import word_coverage
from retold.core.verify import NO_RELATION, Scores, classify, intersect_counts, needs_words
from retold.errors import IndexFormatError
from retold.index.store import ROW_SELECT, IndexView, from_blob, sampled, signed, verify_blob, verify_row
from retold.models import Passage


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
                 "score": rounded(p.score)} for p in self.passages],
        }


def query(index: IndexView, text: str, *, limit: int = 10, align: bool = True, max_candidates: int = 500) -> list[Match]:
    """See the module docstring; call through :meth:`retold.index.Index.query`."""
    cfg = index.config
    conn = index.conn
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
        for row in conn.execute(f"SELECT {ROW_SELECT}, sketch FROM docs WHERE doc IN ({','.join('?' * len(part))})",
                                part):
            verify_row(index.path, row[:-1])
            sketch = verify_blob(index.path, row[1], "shingle set", row[-1], row[16])
            if len(sketch) != 8 * row[11]:
                raise IndexFormatError(f"{index.path}: document {row[1]!r} is damaged (its shingle set has the "
                                       f"wrong size); run `retold index check --db {index.path}`")
            # id, shingle set, chars, date, source, title, origin, doc
            rows.append((row[1], sketch, row[2], row[4], row[5], row[7], row[9], row[0]))
    if len(rows) != len(ranked):
        missing = sorted(set(ranked) - {r[7] for r in rows})
        raise IndexFormatError(f"{index.path}: postings name document numbers {missing[:5]} that are not in the docs "
                               f"table; run `retold index check --db {index.path}`")
    n = len(rows)
    inter, shared, size_b, own_b = (np.zeros(n, dtype=np.int64) for _ in range(4))
    for i, row in enumerate(rows):
        d = from_blob(row[1])
        inter[i], shared[i] = intersect_counts(q, d, boilerplate)
        size_b[i], own_b[i] = len(d), len(d) - int(np.count_nonzero(isin_sorted(d, boilerplate)))
    own_q = len(q) - int(np.count_nonzero(isin_sorted(q, boilerplate)))
    scores = Scores(inter, shared, np.full(n, len(q)), size_b, np.full(n, own_q), own_b)
    rel = classify(scores, cfg.verify)
    measure = np.flatnonzero((rel != NO_RELATION) & needs_words(scores))
    if len(measure):
        pos_q = shingle_positions(text, cfg.shingle)
        words = np.empty((len(measure), 2))
        for j, i in enumerate(measure.tolist()):
            pos_d = shingle_positions(index.doc_text(rows[i][7]), cfg.shingle)
            words[j] = (word_coverage(pos_q, np.unique(pos_d), boilerplate, cfg.shingle.size),
                        word_coverage(pos_d, q, boilerplate, cfg.shingle.size))
        scores = scores.with_words(measure, words[:, 0], words[:, 1])
        rel = classify(scores, cfg.verify)
    jac, cq, cd = scores.jaccard, scores.containment_a, scores.containment_b
    keep = sorted(np.flatnonzero(rel != NO_RELATION).tolist(), key=lambda i: (-inter[i], -jac[i], rows[i][0]))
    out = []
    for i in keep[:limit]:
        doc_id, _, chars, date, source, title, origin, doc = rows[i]
        passages = tuple(align_texts(text, index.doc_text(doc), cfg.align)) if align else None
        out.append(Match(doc_id, str(rel[i]), rounded(jac[i]), rounded(cq[i]), rounded(cd[i]),
                         int(shared[i]), int(inter[i]), chars, date, source, title, origin, passages))
    return out
