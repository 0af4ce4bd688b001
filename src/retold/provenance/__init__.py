"""Provenance: whom each version credits, which version came first, and each family's lineage.

- :mod:`.attributions`: the sources a document credits, with spans (rule-based);
- :mod:`.direction`: a direction per pair from dates, credits and truncation, and a
  lineage (origin + derivation edges) per family.

:func:`trace` runs both over a scan's result and the texts of its documents.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from retold.models import ScanResult
from retold.provenance.attributions import Attribution, extract, link_acronyms, sources
from retold.provenance.direction import Direction, Lineage, directions, lineage


@dataclass(frozen=True, slots=True)
class Provenance:
    """What :func:`trace` found: attributions by document, directions by pair, lineages by family."""

    attributions: Mapping[str, tuple[Attribution, ...]]
    directions: Mapping[tuple[str, str], Direction]
    lineages: Mapping[int, Lineage]


def trace(result: ScanResult, text_of: Callable[[str], str]) -> Provenance:
    """Attributions of every document in a pair or family, the direction of every pair, and
    the lineage of every family (acronyms linked across each family's members)."""
    docs = {d.id: d for d in result.documents}
    wanted = sorted(result.linked_ids())
    texts = {i: text_of(i) for i in wanted}
    found = {i: extract(texts[i]) for i in wanted}
    for fam in result.clusters:
        linked = link_acronyms([texts[m] for m in fam.members], [found[m] for m in fam.members])
        found.update(zip(fam.members, linked))
    credits = {i: frozenset(a.key for a in attrs) for i, attrs in found.items()}
    dirs = directions(result.pairs, docs, credits, result.clusters)
    lines = {fam.cluster: lineage(fam, dirs, docs) for fam in result.clusters}
    return Provenance({i: tuple(a) for i, a in found.items()}, dirs, lines)


__all__ = ["trace", "Provenance", "Attribution", "Direction", "Lineage", "extract", "sources"]
