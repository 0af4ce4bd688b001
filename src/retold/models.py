"""The records that flow through retold's pipeline: one home for every artefact.

read -> :class:`Document`; sketch -> :class:`DocInfo` (+ arrays held by the sketch store);
verify -> :class:`Pair`; align -> :class:`Passage`; cluster -> :class:`Cluster`;
the whole run -> :class:`ScanResult`.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import repeat
from typing import Any, Mapping

import numpy as np

from retold.config import ScanConfig


@dataclass(frozen=True, slots=True)
class Document:
    """One input text with its metadata.

    ``origin`` says where it came from (``path:line`` or ``path#row``) so every message
    and output can point back at the source record.
    """

    id: str
    text: str
    date: str | None = None
    source: str | None = None
    url: str | None = None
    title: str | None = None
    origin: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Problem:
    """A record or file that could not be used, and why (reported, never silently dropped)."""

    origin: str
    reason: str  # one of PROBLEM_REASONS
    message: str

    def __str__(self) -> str:
        return self.message if self.origin in self.message else f"{self.origin}: {self.message}"


#: why a record may be skipped; summary.json counts each
PROBLEM_REASONS: tuple[str, ...] = (
    "unreadable",      # the file cannot be opened or decoded as a whole, is no regular file, or is truncated
    "not_utf8",        # a line/record/file name is not valid UTF-8, or a field holds a lone surrogate
    "too_large",       # a file, line or row longer than ReadConfig.max_doc_bytes
    "bad_record",      # a JSON line that does not parse, a row with the wrong shape
    "no_text",         # the text field is missing, null or not a string
    "no_id",           # the id field is missing or empty
    "duplicate_id",    # a second record with an id already seen (the first is kept)
    "bad_date",        # the date is not ISO 8601 (the record is kept, without date)
)

#: problems after which the record is still used (with the bad field dropped)
KEPT_PROBLEMS: frozenset[str] = frozenset({"bad_date"})


@dataclass(frozen=True, slots=True)
class DocInfo:
    """What a scan keeps of a document once its text has been sketched."""

    id: str
    chars: int
    tokens: int
    date: str | None
    source: str | None
    origin: str
    status: str = "ok"
    shingles: int = 0


@dataclass(frozen=True, slots=True)
class Passage:
    """A reused passage: character offsets into the ORIGINAL texts of a pair."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    score: float

    def mirrored(self) -> "Passage":
        return Passage(self.b_start, self.b_end, self.a_start, self.a_end, self.score)


@dataclass(frozen=True, slots=True)
class Pair:
    """Two documents that share text (``a`` < ``b`` by id) with exact shingle scores."""

    a: str
    b: str
    jaccard: float
    containment_a: float
    containment_b: float
    relation: str
    shared: int = 0
    passages: tuple[Passage, ...] | None = None
    #: share of a's (b's) non-boilerplate shingles found in the other (see :mod:`retold.core.verify`)
    coverage_a: float = 0.0
    coverage_b: float = 0.0

    def with_passages(self, passages: tuple[Passage, ...]) -> "Pair":
        """This pair with ``passages`` (what :func:`dataclasses.replace` does, several times
        faster: alignment calls it once per pair)."""
        return Pair(self.a, self.b, self.jaccard, self.containment_a, self.containment_b, self.relation, self.shared,
                    passages, self.coverage_a, self.coverage_b)

    def coverage_of(self, doc: str) -> float:
        """The coverage of ``doc`` (``a`` or ``b``) by the other document."""
        return self.coverage_a if doc == self.a else self.coverage_b

    def containment_of(self, doc: str) -> float:
        """The containment of ``doc`` (``a`` or ``b``) in the other document."""
        return self.containment_a if doc == self.a else self.containment_b

    @property
    def aligned_chars_a(self) -> int:
        return sum(p.a_end - p.a_start for p in self.passages or ())

    @property
    def aligned_chars_b(self) -> int:
        return sum(p.b_end - p.b_start for p in self.passages or ())


@dataclass(frozen=True, slots=True, eq=False)
class PairTable(Sequence[Pair]):
    """Pairs as columns: what the local engine produces and writes.

    One NumPy array per :class:`Pair` field instead of a Python object per pair (a scan of
    12,000 news articles finds 139,516 pairs with 170,951 passages): no object is made for
    a pair until one is asked for. It reads as a sequence of :class:`Pair` (built on
    access) and equals any sequence of the same pairs.
    """

    ids: tuple[str, ...]  # document ids: ``a`` and ``b`` index into them
    a: np.ndarray  # int64
    b: np.ndarray  # int64
    jaccard: np.ndarray  # float64, the values of the Pair fields (rounded)
    containment_a: np.ndarray
    containment_b: np.ndarray
    relation: np.ndarray  # object: str
    shared: np.ndarray  # int64
    coverage_a: np.ndarray
    coverage_b: np.ndarray
    #: pair i's passages are rows ``passage_offsets[i]:passage_offsets[i+1]`` of ``spans``
    #: (a_start, a_end, b_start, b_end; int64) and ``scores`` (float64); None: not aligned
    passage_offsets: np.ndarray | None = None
    spans: np.ndarray | None = None
    scores: np.ndarray | None = None

    __hash__ = None  # type: ignore[assignment]  # equal to lists and tuples, which differ in hashability

    def __len__(self) -> int:
        return len(self.a)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return tuple(self._pair(k) for k in range(*i.indices(len(self))))
        k = operator.index(i)
        if k < 0:
            k += len(self)
        if not 0 <= k < len(self):
            raise IndexError("pair index out of range")
        return self._pair(k)

    def _pair(self, k: int) -> Pair:
        passages = None
        if self.passage_offsets is not None:
            passages = self._passages(int(self.passage_offsets[k]), int(self.passage_offsets[k + 1]))
        return Pair(self.ids[self.a[k]], self.ids[self.b[k]], float(self.jaccard[k]), float(self.containment_a[k]),
                    float(self.containment_b[k]), str(self.relation[k]), int(self.shared[k]), passages,
                    float(self.coverage_a[k]), float(self.coverage_b[k]))

    def _passages(self, lo: int, hi: int) -> tuple[Passage, ...]:
        assert self.spans is not None and self.scores is not None
        return tuple(Passage(*row, score) for row, score in zip(self.spans[lo:hi].tolist(), self.scores[lo:hi].tolist()))

    def __iter__(self) -> Iterator[Pair]:
        ids = self.ids
        a = [ids[x] for x in self.a.tolist()]
        b = [ids[x] for x in self.b.tolist()]
        passages: Any = repeat(None)
        if self.passage_offsets is not None:
            offsets = self.passage_offsets.tolist()
            passages = (self._passages(offsets[k], offsets[k + 1]) for k in range(len(self)))
        return map(Pair, a, b, self.jaccard.tolist(), self.containment_a.tolist(), self.containment_b.tolist(),
                   self.relation.tolist(), self.shared.tolist(), passages, self.coverage_a.tolist(),
                   self.coverage_b.tolist())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(map(operator.eq, self, other))

    def __repr__(self) -> str:
        aligned = "" if self.passage_offsets is None else f", {len(self.scores)} passages"  # type: ignore[arg-type]
        return f"PairTable({len(self)} pairs{aligned})"

    @property
    def aligned(self) -> bool:
        """Whether the pairs carry passages."""
        return self.passage_offsets is not None

    def ends(self, relations: Iterable[str] | None = None) -> Iterator[tuple[str, str, str]]:
        """(a, b, relation) of every pair (of those whose relation is one of ``relations``),
        without making the pairs."""
        ids = self.ids
        rows = np.arange(len(self)) if relations is None else np.flatnonzero(np.isin(self.relation, list(relations)))
        return zip([ids[x] for x in self.a[rows].tolist()], [ids[x] for x in self.b[rows].tolist()],
                   self.relation[rows].tolist())

    def among(self, members: Iterable[str]) -> list[Pair]:
        """The pairs whose two documents are both in ``members``; only those are made."""
        wanted = set(members)
        inside = np.fromiter((i in wanted for i in self.ids), dtype=bool, count=len(self.ids))
        return [self._pair(int(k)) for k in np.flatnonzero(inside[self.a] & inside[self.b]).tolist()]

    def relation_counts(self) -> dict[str, int]:
        """How many pairs have each relation."""
        return dict(Counter(self.relation.tolist()))

    def with_passages(self, offsets: np.ndarray, spans: np.ndarray, scores: np.ndarray) -> "PairTable":
        """These pairs with passages (``offsets``: int64, one more than pairs; ``spans``:
        (m, 4) int64; ``scores``: m float64)."""
        offsets = np.asarray(offsets, dtype=np.int64)
        spans = np.asarray(spans, dtype=np.int64).reshape(-1, 4)
        scores = np.asarray(scores, dtype=np.float64)
        if len(offsets) != len(self) + 1 or offsets[0] != 0 or offsets[-1] != len(spans) or len(spans) != len(scores):
            raise ValueError("passage offsets, spans and scores do not fit these pairs")
        return replace(self, passage_offsets=offsets, spans=spans, scores=scores)

    @classmethod
    def of(cls, pairs: Sequence[Pair]) -> "PairTable":
        """``pairs`` as a table (itself if it is one). ValueError if some pairs carry
        passages and others not (a table is aligned or not as a whole)."""
        if isinstance(pairs, PairTable):
            return pairs
        ids = tuple(dict.fromkeys(i for p in pairs for i in (p.a, p.b)))
        at = {i: k for k, i in enumerate(ids)}
        n = len(pairs)

        def column(get: Any, dtype: Any) -> np.ndarray:
            return np.fromiter(map(get, pairs), dtype=dtype, count=n)

        table = cls(ids, column(lambda p: at[p.a], np.int64), column(lambda p: at[p.b], np.int64),
                    column(operator.attrgetter("jaccard"), np.float64),
                    column(operator.attrgetter("containment_a"), np.float64),
                    column(operator.attrgetter("containment_b"), np.float64),
                    np.array([p.relation for p in pairs], dtype=object), column(operator.attrgetter("shared"), np.int64),
                    column(operator.attrgetter("coverage_a"), np.float64),
                    column(operator.attrgetter("coverage_b"), np.float64))
        aligned = sum(p.passages is not None for p in pairs)
        if aligned and aligned < n:
            raise ValueError(f"{aligned} of {n} pairs carry passages: a table is aligned as a whole or not at all")
        if n and aligned:
            counts = [len(p.passages or ()) for p in pairs]
            offsets = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(counts, out=offsets[1:])
            rows = [x for p in pairs for x in p.passages or ()]
            spans = np.array([(x.a_start, x.a_end, x.b_start, x.b_end) for x in rows], dtype=np.int64).reshape(-1, 4)
            table = table.with_passages(offsets, spans, np.array([x.score for x in rows], dtype=np.float64))
        return table


def pairs_among(pairs: Sequence[Pair], members: Iterable[str]) -> list[Pair]:
    """The pairs whose two documents are both in ``members`` (of a :class:`PairTable`, only
    those are made)."""
    if isinstance(pairs, PairTable):
        return pairs.among(members)
    wanted = set(members)
    return [p for p in pairs if p.a in wanted and p.b in wanted]


def pair_ends(pairs: Sequence[Pair], relations: Iterable[str] | None = None) -> Iterator[tuple[str, str, str]]:
    """(a, b, relation) of every pair (of those whose relation is one of ``relations``): read
    from the columns of a :class:`PairTable`."""
    if isinstance(pairs, PairTable):
        return pairs.ends(relations)
    wanted = None if relations is None else set(relations)
    return ((p.a, p.b, p.relation) for p in pairs if wanted is None or p.relation in wanted)


@dataclass(frozen=True, slots=True)
class Cluster:
    """A family of documents joined by reuse, with a deterministic representative."""

    cluster: int
    representative: str
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ScanResult:
    """Everything a scan found, plus the counts and timings written to summary.json."""

    documents: tuple[DocInfo, ...]
    pairs: Sequence[Pair]  # a PairTable from a scan, any sequence of pairs otherwise
    clusters: tuple[Cluster, ...]
    problems: tuple[Problem, ...]
    config: ScanConfig
    stats: Mapping[str, Any]
    timings: Mapping[str, float]
    #: attributions, directions and lineages (:class:`retold.provenance.Provenance`), when traced
    provenance: Any = None

    def __repr__(self) -> str:
        """Counts, not contents: the repr of a large scan stays one short line."""
        return (f"ScanResult(documents={len(self.documents)}, pairs={len(self.pairs)}, "
                f"clusters={len(self.clusters)}, problems={len(self.problems)}, "
                f"provenance={'yes' if self.provenance is not None else 'no'})")

    def linked_ids(self) -> set[str]:
        """The documents in a pair or a family: those whose texts a report or provenance reads."""
        return {i for a, b, _ in pair_ends(self.pairs) for i in (a, b)} | {m for c in self.clusters for m in c.members}

    def summary(self) -> dict[str, Any]:
        """The content of summary.json (see docs/formats.md)."""
        from retold import __version__

        pairs = self.pairs
        by_rel = (pairs.relation_counts() if isinstance(pairs, PairTable)
                  else dict(Counter(p.relation for p in pairs)))
        problems: dict[str, int] = {}
        for pr in self.problems:
            problems[pr.reason] = problems.get(pr.reason, 0) + 1
        skipped = {k: v for k, v in problems.items() if k not in KEPT_PROBLEMS}
        statuses: dict[str, int] = {}
        for d in self.documents:
            statuses[d.status] = statuses.get(d.status, 0) + 1
        return {
            "retold_version": __version__,
            "counts": {
                "documents": len(self.documents),
                "documents_by_status": dict(sorted(statuses.items())),
                "skipped": sum(skipped.values()),
                "skipped_by_reason": dict(sorted(skipped.items())),
                "problems_by_reason": dict(sorted(problems.items())),
                "pairs": len(self.pairs),
                "pairs_by_relation": dict(sorted(by_rel.items())),
                "clusters": len(self.clusters),
                "clustered_documents": sum(len(c.members) for c in self.clusters),
                "largest_cluster": max((len(c.members) for c in self.clusters), default=0),
            },
            "stats": dict(self.stats),
            "parameters": self.config.to_dict(),
            "timings_s": {k: round(v, 4) for k, v in self.timings.items()},
        }
