"""Families of reprints: connected components of the reuse graph.

Only pairs whose relation is in ``ClusterConfig.relations`` join documents (by default
``duplicate``, ``contains`` and ``contained``: sharing one passage does not make two
documents reprints of each other, and counting it would chain unrelated documents).
Each family gets a deterministic representative: the earliest ``date`` (documents
without a date come last), then the longest text, then the smallest id. Families are
numbered by decreasing size, then by representative id.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Iterable, Sequence

from .config import ClusterConfig
from .models import Cluster, DocInfo, Pair


def date_key(value: str | None) -> float:
    """Seconds since the epoch (UTC) of an ISO 8601 date/datetime; +inf when absent."""
    if not value:
        return float("inf")
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        try:
            d = date.fromisoformat(value)
        except ValueError:
            return float("inf")
        dt = datetime(d.year, d.month, d.day)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def representative_key(doc: DocInfo) -> tuple[float, int, str]:
    """Sort key whose minimum is the family's representative."""
    return (date_key(doc.date), -doc.chars, doc.id)


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        parent = self.parent
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def union(self, x: str, y: str) -> None:
        rx, ry = self.find(x), self.find(y)
        if rx != ry:
            # attach the larger id under the smaller: the structure is input-order free
            if ry < rx:
                rx, ry = ry, rx
            self.parent.setdefault(rx, rx)
            self.parent[ry] = rx


def cluster(pairs: Iterable[Pair], documents: Sequence[DocInfo], config: ClusterConfig = ClusterConfig()) -> tuple[Cluster, ...]:
    """Families (of two or more documents) from the pairs whose relation joins them."""
    uf = _UnionFind()
    joining = set(config.relations)
    for p in pairs:
        if p.relation in joining:
            uf.union(p.a, p.b)
    groups: dict[str, list[str]] = {}
    for x in list(uf.parent):
        groups.setdefault(uf.find(x), []).append(x)
    info = {d.id: d for d in documents}
    fams = []
    for members in groups.values():
        members.sort()
        rep = min((info[m] for m in members), key=representative_key).id
        fams.append((members, rep))
    fams.sort(key=lambda f: (-len(f[0]), f[1]))
    return tuple(Cluster(i, rep, tuple(m)) for i, (m, rep) in enumerate(fams))
