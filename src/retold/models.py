"""The records that flow through retold's pipeline: one home for every artefact.

read -> :class:`Document`; sketch -> :class:`DocInfo` (+ arrays held by the sketch store);
verify -> :class:`Pair`; align -> :class:`Passage`; cluster -> :class:`Cluster`;
the whole run -> :class:`ScanResult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

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
    pairs: tuple[Pair, ...]
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

    def summary(self) -> dict[str, Any]:
        """The content of summary.json (see docs/formats.md)."""
        from retold import __version__

        by_rel: dict[str, int] = {}
        for p in self.pairs:
            by_rel[p.relation] = by_rel.get(p.relation, 0) + 1
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
