"""Which documents dedup keeps, and the direct evidence for every one it removes.

Within each family, members are considered in the keep policy's order
(:class:`~retold.config.DedupConfig`). The first is kept. Each later member is removed
only if a document already kept *directly covers* it: their verified pair shows at least
``min_coverage`` of the member's own (non-boilerplate) words in the kept document (its
word coverage, :mod:`retold.core.coverage`). Among kept documents that cover it, the one covering
most is named (ties: the earlier in keep order). Otherwise the member is kept as well.

So dedup never removes a document through a chain, and a story (or the extra paragraphs
one version carries) survives unless a kept document holds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from retold.config import DedupConfig
from retold.models import Cluster, DocInfo, Pair
from .cluster import date_key


@dataclass(frozen=True, slots=True)
class Removal:
    """A removed document, the kept document that covers it, and their pair's evidence."""

    id: str
    duplicate_of: str
    relation: str
    removed_coverage: float  # share of the removed document's own words found in the kept one
    kept_coverage: float  # share of the kept document's own words found in the removed one
    jaccard: float

    def to_row(self) -> dict[str, Any]:
        return {"id": self.id, "duplicate_of": self.duplicate_of, "relation": self.relation,
                "removed_coverage": self.removed_coverage, "kept_coverage": self.kept_coverage,
                "jaccard": self.jaccard}


def keep_order(policy: str, positions: Mapping[str, int] | None = None) -> Callable[[DocInfo], tuple]:
    """Sort key of a policy: the smallest key is kept first.

    ``first`` needs ``positions`` (id -> input position).
    """
    if policy == "earliest":
        return lambda d: (date_key(d.date), -d.chars, d.id)
    if policy == "longest":
        return lambda d: (-d.chars, date_key(d.date), d.id)
    if positions is None:
        raise ValueError("the 'first' keep policy needs the input positions")
    return lambda d: (positions[d.id], d.id)


def plan(
    clusters: Iterable[Cluster],
    pairs: Iterable[Pair],
    documents: Sequence[DocInfo],
    config: DedupConfig = DedupConfig(),
    positions: Mapping[str, int] | None = None,
) -> tuple[tuple[str, ...], tuple[Removal, ...]]:
    """(kept ids in id order, removals sorted by id) for the documents of a scan."""
    info = {d.id: d for d in documents}
    key = keep_order(config.keep, positions)
    pair_of = {(p.a, p.b): p for p in pairs}
    removed: list[Removal] = []
    for fam in clusters:
        kept: list[str] = []
        for m in sorted(fam.members, key=lambda i: key(info[i])):
            best: tuple[float, int] | None = None
            evidence: Pair | None = None
            for rank, k in enumerate(kept):
                p = pair_of.get((m, k) if m < k else (k, m))
                if p is None or p.coverage_of(m) < config.min_coverage:
                    continue
                score = (p.coverage_of(m), -rank)
                if best is None or score > best:
                    best, evidence = score, p
            if evidence is None:
                kept.append(m)
                continue
            k = evidence.b if evidence.a == m else evidence.a
            removed.append(Removal(m, k, evidence.relation, evidence.coverage_of(m), evidence.coverage_of(k),
                                   evidence.jaccard))
    gone = {r.id for r in removed}
    return tuple(sorted(d.id for d in documents if d.id not in gone)), tuple(sorted(removed, key=lambda r: r.id))
