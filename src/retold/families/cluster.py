"""Families of reprints: stars around a centre, so a family never grows by chaining.

Documents join through *version* pairs only (by default ``duplicate``, ``contains`` and
``contained``: most of the smaller document is reused in the other, see
:mod:`retold.core.verify`). Connected components of those pairs would still chain stories: a
brief that shares two background sentences with another story's article, or a roundup
that contains the briefs of three stories, would join them. So a family is a *star*:

1. every document with a version pair gets a priority: most version pairs first, then
   most shingles, then smallest id (a total order: no dependence on input order);
2. in that order, a document not yet in a family becomes a *centre*, and every version
   partner of it that is not yet in a family joins its family.

Every member therefore has a direct version pair with its centre; two stories meet in one
family only if a single document is a version of both and is the centre. (Equivalently:
the centres are the greedy maximal independent set of the version graph by priority,
and each other document joins its highest-priority neighbouring centre; an engine that
cannot run the loop, Spark, computes the same thing in rounds.) A centre whose partners
all joined earlier families stays alone (not a family).

Each family gets a deterministic representative: the earliest ``date`` (documents
without a date come last), then the longest text, then the smallest id. Families are
numbered by decreasing size, then by representative id.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Iterable, Sequence

from retold.config import ClusterConfig
from retold.models import Cluster, DocInfo, Pair, pair_ends


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
    """Sort key whose minimum is the family's representative (earliest, longest, smallest id)."""
    return (date_key(doc.date), -doc.chars, doc.id)


def version_graph(pairs: Sequence[Pair], relations: Iterable[str]) -> dict[str, set[str]]:
    """Each document's partners in the pairs whose relation is one of ``relations``."""
    adj: dict[str, set[str]] = {}
    for a, b, _ in pair_ends(pairs, set(relations)):
        adj.setdefault(a, set()).add(b)
        adj.setdefault(b, set()).add(a)
    return adj


def stars(adj: dict[str, set[str]], size: dict[str, int]) -> list[tuple[str, list[str]]]:
    """(centre, members) of every star of two or more documents (see the module docstring).

    ``size``: shingles per document, the second priority key.
    """
    order = sorted(adj, key=lambda x: (-len(adj[x]), -size.get(x, 0), x))
    placed: set[str] = set()
    out: list[tuple[str, list[str]]] = []
    for centre in order:
        if centre in placed:
            continue
        members = [centre, *sorted(n for n in adj[centre] if n not in placed)]
        placed.update(members)
        if len(members) > 1:
            out.append((centre, sorted(members)))
    return out


def cluster(pairs: Sequence[Pair], documents: Sequence[DocInfo], config: ClusterConfig = ClusterConfig()) -> tuple[Cluster, ...]:
    """Families (of two or more documents): stars of version pairs around a centre."""
    info = {d.id: d for d in documents}
    adj = version_graph(pairs, config.relations)
    fams = []
    for _, members in stars(adj, {i: info[i].shingles for i in adj}):
        rep = min((info[m] for m in members), key=representative_key).id
        fams.append((members, rep))
    fams.sort(key=lambda f: (-len(f[0]), f[1]))
    return tuple(Cluster(i, rep, tuple(m)) for i, (m, rep) in enumerate(fams))
