"""What the web app knows how to do with an open index, independent of HTTP.

Pages (:mod:`.pages`) and the API (:mod:`.api`) both call one :class:`Service`, so a page
and its JSON show the same thing. Everything here is blocking and thread-safe: Starlette
runs it in its thread pool, where every thread gets its own SQLite connection from the
:class:`~retold.index.Index` (queries go on, on their own snapshot, while another thread
adds a batch).

The families need a whole scan of the index (:meth:`retold.index.Index.scan`); its
:class:`~retold.models.ScanResult` is cached per *index state*, the number of the last
committed batch (every add and every remove commits one), so a scan runs again only after
the index changed, and at most one scan runs at a time.

A pair is shown with :func:`retold.report.data.report_data`, the same data the HTML
report renders (passages, word changes), converted back from UTF-16 to code points.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from retold.core.coverage import word_coverage
from retold.core.sketch import shingle_positions, sketch_texts
from retold.core.verify import NO_RELATION, Scores, classify, needs_words
from retold.errors import InputError
from retold.index import AddReport, Index, Match
from retold.models import Cluster, DocInfo, Pair, PairTable, Passage, ScanResult, pairs_among

#: the codes report_data gives word changes, back to names
OPS = {1: "replace", 2: "insert", 3: "delete", 4: "move"}
#: how many passage colours the style sheet has
COLOURS = 8



class BodyTooLarge(Exception):
    """Raised from ``receive`` when a streamed request body passes the cap (HTTP 413)."""


class NotFound(LookupError):
    """No document, family or pair by that name (HTTP 404)."""


class BadInput(ValueError):
    """A request that cannot be answered as sent (HTTP 400)."""


@dataclass(frozen=True, slots=True)
class DocMeta:
    """A document's indexed fields (no text)."""

    id: str
    chars: int
    date: str | None
    source: str | None
    url: str | None
    title: str | None
    origin: str
    status: str
    batch: int

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "chars": self.chars, "date": self.date, "source": self.source, "url": self.url,
                "title": self.title, "origin": self.origin, "status": self.status, "batch": self.batch}


# ---------------------------------------------------------------------------- marking text


def _from_utf16(text: str) -> Any:
    """UTF-16 offset -> code-point offset for ``text`` (identity when all of it is in the BMP)."""
    if text.isascii():
        return lambda off: off
    astral = [i for i, ch in enumerate(text) if ord(ch) > 0xFFFF]
    if not astral:
        return lambda off: off
    # the UTF-16 offset at which each astral character starts
    starts = [i + k for k, i in enumerate(astral)]
    return lambda off: off - bisect.bisect_left(starts, off)


def segments(text: str, spans: Iterable[tuple[int, int, str, str | None]]) -> list[dict[str, Any]]:
    """``text`` cut where marks begin or end: ``[{text, cls, href}]`` in order.

    ``spans``: ``(start, end, css class, link or None)``, code points, overlapping freely;
    a piece carries the classes of every span over it and the first span's link. The
    template writes each piece as escaped text (never markup).
    """
    spans = [(max(0, s), min(len(text), e), c, h) for s, e, c, h in spans if e > s]
    cuts = sorted({0, len(text), *(s for s, _, _, _ in spans), *(e for _, e, _, _ in spans)})
    out = []
    for lo, hi in zip(cuts, cuts[1:]):
        over = [sp for sp in spans if sp[0] <= lo and sp[1] >= hi]
        out.append({"text": text[lo:hi], "cls": " ".join(dict.fromkeys(sp[2] for sp in over)),
                    "href": next((sp[3] for sp in over if sp[3]), None)})
    return out


# ---------------------------------------------------------------------------- the service


class Service:
    """The operations of the web app over one open :class:`Index`."""

    def __init__(self, index: Index, *, workers: int = 1, batch_size: int = 500) -> None:
        self.index = index
        self.workers = workers
        self.batch_size = batch_size
        self._write = threading.Lock()
        self._scan_lock = threading.Lock()
        self._scan: tuple[int, ScanResult] | None = None
        self._lineages: dict[tuple[int, int], dict[str, Any]] = {}

    # -------------------------------------------------------------- state, metadata

    def state(self) -> int:
        """The number of the last committed batch (0 for an empty index): the cache key."""
        row = self.index.conn.execute("SELECT coalesce(max(batch), 0) FROM batches").fetchone()
        return int(row[0])

    def meta(self, ids: Sequence[str]) -> dict[str, DocMeta]:
        """Indexed fields of the documents of ``ids`` that exist."""
        out: dict[str, DocMeta] = {}
        ids = list(dict.fromkeys(ids))
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            rows = self.index.conn.execute(
                "SELECT id, chars, date, source, url, title, origin, status, batch FROM docs "
                f"WHERE id IN ({','.join('?' * len(part))})", part)
            out.update((r[0], DocMeta(*r)) for r in rows)
        return out

    def doc_meta(self, doc_id: str) -> DocMeta:
        found = self.meta([doc_id]).get(doc_id)
        if found is None:
            raise NotFound(f"no document with id {doc_id!r}")
        return found

    def text(self, doc_id: str) -> str:
        try:
            return self.index.text(doc_id)
        except InputError:
            raise NotFound(f"no document with id {doc_id!r}") from None

    # -------------------------------------------------------------- query

    def query(self, text: str, limit: int = 10) -> list[Match]:
        return self.index.query(text, limit=limit)

    def document(self, doc_id: str, limit: int = 10) -> dict[str, Any]:
        """A document: fields, text, its attributions, the documents it shares text with."""
        from retold.provenance import extract

        meta = self.doc_meta(doc_id)
        text = self.text(doc_id)
        matches = [m for m in self.index.query(text, limit=limit + 1) if m.id != doc_id][:limit]
        attributions = [{"start": a.start, "end": a.end, "source": a.source, "cue": a.cue, "key": a.key}
                        for a in extract(text)]
        family = None
        cached = self.cached_scan()
        if cached is not None:
            family = next((c.cluster for c in cached.clusters if doc_id in c.members), None)
        return {**meta.to_dict(), "text": text, "attributions": attributions,
                "matches": [m.to_dict() for m in matches], "family": family}

    # -------------------------------------------------------------- writes

    def add(self, records: Sequence[Mapping[str, Any]], on_batch: Any = None) -> AddReport:
        """Add records (``{id, text, date?, source?, title?, url?}``): one transaction per batch.

        Adds from the app run one at a time; queries go on meanwhile (own connections)."""
        with self._write:
            return self.index.add(list(records), workers=self.workers, batch_size=self.batch_size,
                                  on_batch=on_batch)

    def remove(self, doc_id: str) -> int:
        with self._write:
            return self.index.remove([doc_id])

    # -------------------------------------------------------------- scan, families

    def cached_scan(self) -> ScanResult | None:
        """The scan of the current state if it was made already (never starts one)."""
        cached = self._scan
        return cached[1] if cached is not None and cached[0] == self.state() else None

    def scan(self) -> tuple[int, ScanResult]:
        """(state, scan of the index at that state), made at most once per state."""
        with self._scan_lock:
            state = self.state()
            if self._scan is None or self._scan[0] != state:
                result = self.index.scan(workers=self.workers)
                # a write may have landed between reading the state and the scan's snapshot:
                # key the result by the state read after, which is never older than the scan
                after = self.state()
                self._scan = (state if after == state else -1, result)
                self._lineages.clear()
            return self._scan

    def families(self, offset: int = 0, limit: int = 100) -> dict[str, Any]:
        state, result = self.scan()
        docs = {d.id: d for d in result.documents}
        fams = sorted(result.clusters, key=lambda c: (-len(c.members), c.cluster))
        page = fams[offset : offset + limit]
        meta = self.meta([m for c in page for m in c.members])
        out = []
        for c in page:
            dates = sorted(d for m in c.members if (d := docs[m].date))
            sources = sorted({s for m in c.members if (s := docs[m].source)})
            rep = meta.get(c.representative)
            titles = list(dict.fromkeys(t for m in (c.representative, *c.members)
                                        if (t := (meta[m].title if m in meta else None))))
            out.append({"id": c.cluster, "size": len(c.members), "representative": c.representative,
                        "representative_title": rep.title if rep else None,
                        "first_date": dates[0] if dates else None, "last_date": dates[-1] if dates else None,
                        "sources": sources, "titles": titles[:5]})
        return {"state": state, "total": len(fams), "offset": offset, "limit": limit, "families": out}

    def family(self, family_id: int) -> dict[str, Any]:
        """Members (representative marked), pairs with directions, lineage: one family."""
        state, result = self.scan()
        fam = next((c for c in result.clusters if c.cluster == family_id), None)
        if fam is None:
            raise NotFound(f"no family {family_id}")
        key = (state, family_id)
        if key not in self._lineages:
            self._lineages[key] = self._family(fam, result)
        return {"state": state, **self._lineages[key]}

    def _family(self, fam: Cluster, result: ScanResult) -> dict[str, Any]:
        from retold.provenance import directions, extract, lineage
        from retold.provenance.attributions import link_acronyms

        members = set(fam.members)
        docs = {d.id: d for d in result.documents if d.id in members}
        pairs = pairs_among(result.pairs, members)
        texts = [self.index.text(m) for m in fam.members]
        found = link_acronyms(texts, [extract(t) for t in texts])
        credits = {m: frozenset(a.key for a in attrs) for m, attrs in zip(fam.members, found)}
        dirs = directions(pairs, docs, credits)
        line = lineage(fam, dirs, docs)
        parents = {child: (parent, conf) for parent, child, conf in line.edges}
        meta = self.meta(fam.members)
        out_members = []
        for m in sorted(fam.members, key=lambda m: (m != fam.representative, m)):
            info, md = docs[m], meta.get(m)
            parent = parents.get(m)
            out_members.append({"id": m, "title": md.title if md else None, "date": info.date, "source": info.source,
                                "chars": info.chars, "representative": m == fam.representative,
                                "origin": m == line.origin, "parent": parent[0] if parent else None,
                                "confidence": parent[1] if parent else None})
        out_pairs = []
        for p in pairs:
            d = dirs[(p.a, p.b)]
            out_pairs.append({"a": p.a, "b": p.b, "jaccard": p.jaccard, "containment_a": p.containment_a,
                              "containment_b": p.containment_b, "relation": p.relation,
                              "direction": d.direction, "confidence": d.confidence, "evidence": d.evidence})
        return {"id": fam.cluster, "representative": fam.representative, "origin": line.origin,
                "members": out_members, "pairs": out_pairs,
                "lineage": [{"parent": a, "child": b, "confidence": c} for a, b, c in line.edges]}

    # -------------------------------------------------------------- pairs

    def pair(self, a: str, b: str) -> dict[str, Any]:
        """Two indexed documents side by side: scores, passages and word changes (code points)."""
        if a == b:
            raise BadInput("a and b are the same document")
        meta = self.meta([a, b])
        for i in (a, b):
            if i not in meta:
                raise NotFound(f"no document with id {i!r}")
        ta, tb = self.text(a), self.text(b)
        cached = self.cached_scan()
        known = None
        if cached is not None:
            lo, hi = sorted((a, b))
            known = next((p for p in pairs_among(cached.pairs, (lo, hi)) if p.a == lo and p.b == hi), None)
        return pair_data(ta, tb, a, b, self.index, meta[a], meta[b], known)

    # -------------------------------------------------------------- stats

    def stats(self) -> dict[str, Any]:
        stats = self.index.stats()
        history = [{"batch": r[0], "kind": r[1], "committed_at": r[2], "added": r[3], "replaced": r[4],
                    "removed": r[5]}
                   for r in self.index.conn.execute(
                       "SELECT batch, kind, committed_at, added, replaced, removed FROM batches "
                       "ORDER BY batch DESC LIMIT 100")]
        cached = self.cached_scan()
        return {**stats, "state": self.state(), "history": history,
                "scan": None if cached is None else scan_summary(cached)}

    def overview(self) -> dict[str, Any]:
        """Stats with the scan (made if needed): what the index page shows."""
        self.scan()
        return self.stats()


def scan_summary(result: ScanResult) -> dict[str, Any]:
    """Counts and a 10-bin Jaccard histogram of a scan's pairs."""
    pairs = result.pairs
    jaccard = pairs.jaccard if isinstance(pairs, PairTable) else np.fromiter((p.jaccard for p in pairs), float,
                                                                             count=len(pairs))
    bins = np.bincount(np.minimum(9, (jaccard * 10).astype(np.int64)), minlength=10).tolist()
    counts = result.summary()["counts"]
    return {"pairs": counts["pairs"], "pairs_by_relation": counts["pairs_by_relation"],
            "families": counts["clusters"], "clustered_documents": counts["clustered_documents"],
            "largest_family": counts["largest_cluster"], "jaccard_histogram": bins}


def pair_data(ta: str, tb: str, a: str, b: str, index: Index, ma: DocMeta | None, mb: DocMeta | None,
              known: Pair | None = None, passages: Sequence[Passage] | None = None) -> dict[str, Any]:
    """One pair for a page or the API, through :func:`retold.report.data.report_data`.

    ``known``: the scan's pair (its scores and passages are used); otherwise the scores are
    computed here on the exact shingle sets (no boilerplate: a pair alone has no corpus to
    tell it). ``passages`` (a = ``ta``): already aligned ones, e.g. a query's.
    """
    from retold.report.data import report_data

    cfg = index.config
    if known is not None and (known.a, known.b) != (a, b):
        known = Pair(a, b, known.jaccard, known.containment_b, known.containment_a, _mirror(known.relation),
                     known.shared, None if known.passages is None else tuple(p.mirrored() for p in known.passages),
                     known.coverage_b, known.coverage_a)
    if known is None:
        batch = sketch_texts([ta, tb], cfg.shingle, cfg.minhash)
        sa, sb = batch.shingles_of(0), batch.shingles_of(1)
        inter = len(np.intersect1d(sa, sb, assume_unique=True))
        one = np.ones(1, dtype=np.int64)
        scores = Scores(one * inter, one * inter, one * len(sa), one * len(sb), one * len(sa), one * len(sb))
        if len(sa) and len(sb) and needs_words(scores)[0]:
            none = np.empty(0, dtype=np.uint64)
            pa, pb = shingle_positions(ta, cfg.shingle), shingle_positions(tb, cfg.shingle)
            scores = scores.with_words(np.zeros(1, dtype=np.int64),
                                       np.array([word_coverage(pa, np.unique(pb), none, cfg.shingle.size)]),
                                       np.array([word_coverage(pb, sa, none, cfg.shingle.size)]))
        rel = str(classify(scores, cfg.verify)[0]) if len(sa) and len(sb) else NO_RELATION
        union = len(sa) + len(sb) - inter
        known = Pair(a, b, round(inter / union, 4) if union else 0.0, round(inter / len(sa), 4) if len(sa) else 0.0,
                     round(inter / len(sb), 4) if len(sb) else 0.0, rel if rel != NO_RELATION else "none",
                     inter, tuple(passages) if passages is not None else None)
    docs = (DocInfo(a, len(ta), 0, ma.date if ma else None, ma.source if ma else None, ma.origin if ma else ""),
            DocInfo(b, len(tb), 0, mb.date if mb else None, mb.source if mb else None, mb.origin if mb else ""))
    result = ScanResult(docs, (known,), (), (), cfg, {}, {})
    data = report_data(result, {a: ta, b: tb}, diff_limit=1)
    row = data["pairs"][0]
    ia, ib = (0, 1) if data["docs"][0]["id"] == a else (1, 0)
    ca, cb = _from_utf16(ta), _from_utf16(tb)
    raw_passages, raw_ops = row[7] or [], row[8]
    if row[0] != ia:  # report_data keeps ids in order; mirror back to (a, b)
        raw_passages = [[x[2], x[3], x[0], x[1], x[4]] for x in raw_passages]
        raw_ops = None if raw_ops is None else [[o[0], o[3], o[4], o[1], o[2]] for o in raw_ops]
    out_passages = [{"a_start": ca(x[0]), "a_end": ca(x[1]), "b_start": cb(x[2]), "b_end": cb(x[3]), "score": x[4]}
                    for x in raw_passages]
    changes = None if raw_ops is None else [
        {"op": OPS[o[0]], "a_start": ca(o[1]), "a_end": ca(o[2]), "b_start": cb(o[3]), "b_end": cb(o[4])}
        for o in raw_ops]
    del ib
    return {"a": a, "b": b, "jaccard": known.jaccard, "containment_a": known.containment_a,
            "containment_b": known.containment_b, "relation": known.relation, "shared": known.shared,
            "passages": out_passages, "changes": changes}


def _mirror(relation: str) -> str:
    return {"contains": "contained", "contained": "contains"}.get(relation, relation)


def marked_pair(ta: str, tb: str, data: Mapping[str, Any], href_a: str | None = None,
                href_b: str | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Both texts of a pair as :func:`segments`: passages coloured (p0..p7), changes marked.

    ``href_a``/``href_b``: where the passages marked in ``ta``/``tb`` link (usually the
    other side's page).
    """
    left: list[tuple[int, int, str, str | None]] = []
    right: list[tuple[int, int, str, str | None]] = []
    for k, p in enumerate(data["passages"]):
        cls = f"p p{k % COLOURS}"
        left.append((p["a_start"], p["a_end"], cls, href_a))
        right.append((p["b_start"], p["b_end"], cls, href_b))
    for c in data["changes"] or ():
        left.append((c["a_start"], c["a_end"], f"ch {c['op']}", None))
        right.append((c["b_start"], c["b_end"], f"ch {c['op']}", None))
    return segments(ta, left), segments(tb, right)


def change_list(ta: str, tb: str, changes: Sequence[Mapping[str, Any]] | None, limit: int = 200) -> list[dict[str, str]]:
    """Word changes as ``{op, a, b}`` texts (what changed, in reading order)."""
    out = []
    for c in (changes or ())[:limit]:
        out.append({"op": c["op"], "a": ta[c["a_start"]:c["a_end"]], "b": tb[c["b_start"]:c["b_end"]]})
    return out
