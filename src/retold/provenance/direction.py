"""Which version came first: a direction per pair and a lineage per family.

Evidence, strongest first (each gives ``a->b`` or ``b->a`` with a confidence):

- ``dates``: both versions are dated and the dates differ: the earlier came first
  (confidence grows with the gap: 0.97 for hours, 0.99 from a day);
- ``credit``: one version credits the other's outlet (a wire's dateline or credit, e.g.
  ``LONDON (Reuters) -`` in a paper's copy of a Reuters story) and the other does not
  credit this one's: the credited outlet's version came first (0.95);
- ``truncation``: the shorter version is almost wholly found at the beginning of the longer,
  whose last part it lacks (a brief or a wire copy cut for length): the longer came first
  (0.85);
- ``centrality`` (families of three or more): copies made from one original each change it
  in their own way, so the original is the family's *centre*, the member closest to all the
  others (smallest sum of ``1 - jaccard``); when one member is clearly the centre, it came
  before every member no other evidence orders against it (0.7).

When nothing decides, the direction is ``unknown`` (confidence 0): retold does not guess.
Per family the lineage links every member to the member it most probably derives from,
and the origin is the member nothing is derived before (deterministic: ties by date,
length, id).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from retold.families.cluster import date_key
from retold.models import Cluster, DocInfo, Pair

UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Direction:
    """The direction of a pair: ``a->b`` (a came first), ``b->a`` or ``unknown``."""

    direction: str
    confidence: float
    evidence: str  # "dates: 2 days apart", "credit: b credits Reuters", "truncation: ...", ""

    @property
    def first(self) -> int:
        """0 when a came first, 1 when b did, -1 when unknown."""
        return {"a->b": 0, "b->a": 1}.get(self.direction, -1)


NONE = Direction(UNKNOWN, 0.0, "")


def _by_dates(a: DocInfo, b: DocInfo) -> Direction | None:
    ka, kb = date_key(a.date), date_key(b.date)
    if ka == float("inf") or kb == float("inf") or ka == kb:
        return None
    gap = abs(ka - kb)
    days = gap / 86400
    what = f"dates: {days:.0f} day{'s' if round(days) != 1 else ''} apart" if days >= 1 else f"dates: {gap / 3600:.1f} h apart"
    return Direction("a->b" if ka < kb else "b->a", 0.99 if days >= 1 else 0.97, what)


def _by_credit(a: DocInfo, b: DocInfo, credits: Mapping[str, frozenset[str]]) -> Direction | None:
    sa, sb = (a.source or "").casefold(), (b.source or "").casefold()
    if not sa or not sb or sa == sb:
        return None
    b_credits_a = sa in credits.get(b.id, frozenset())
    a_credits_b = sb in credits.get(a.id, frozenset())
    if b_credits_a == a_credits_b:
        return None
    return (Direction("a->b", 0.95, f"credit: b credits {a.source}") if b_credits_a
            else Direction("b->a", 0.95, f"credit: a credits {b.source}"))


def _by_truncation(p: Pair, a: DocInfo, b: DocInfo) -> Direction | None:
    if not p.passages:
        return None
    short_is_b = b.chars < a.chars
    cov_short = p.coverage_b if short_is_b else p.coverage_a
    if cov_short < 0.9:
        return None
    long_doc = a if short_is_b else b
    ends = [x.a_end if short_is_b else x.b_end for x in p.passages]
    starts = [x.a_start if short_is_b else x.b_start for x in p.passages]
    head, tail = min(starts) / long_doc.chars, 1 - max(ends) / long_doc.chars
    if head > 0.2 or tail < 0.2:
        return None
    return (Direction("a->b", 0.85, f"truncation: b is the first {1 - tail:.0%} of a") if short_is_b
            else Direction("b->a", 0.85, f"truncation: a is the first {1 - tail:.0%} of b"))


def direction(p: Pair, a: DocInfo, b: DocInfo, credits: Mapping[str, frozenset[str]]) -> Direction:
    """The direction of pair ``p`` (``a``, ``b``: its documents), from the strongest evidence.

    ``credits``: document id -> the casefolded names of the sources it credits.
    """
    for found in (_by_dates(a, b), _by_credit(a, b, credits), _by_truncation(p, a, b)):
        if found is not None:
            return found
    return NONE


@dataclass(frozen=True, slots=True)
class Lineage:
    """A family's probable origin and, for every other member, the member it derives from."""

    origin: str
    edges: tuple[tuple[str, str, float], ...]  # (parent, child, confidence), sorted by child


def lineage(family: Cluster, directions: Mapping[tuple[str, str], Direction],
            documents: Mapping[str, DocInfo]) -> Lineage:
    """Origin and derivation edges of ``family`` from the directions of its pairs.

    The origin is the member with the most claimed successors and no claimed predecessor
    (ties: earliest, longest, smallest id); each other member's parent is the predecessor
    claimed with the highest confidence (ties: the origin, then the smallest id); members
    with no claimed predecessor hang from the origin with confidence 0.
    """
    members = set(family.members)
    preds: dict[str, list[tuple[float, str]]] = {m: [] for m in members}
    succ = {m: 0 for m in members}
    for (x, y), d in directions.items():
        if x not in members or y not in members or d.first < 0:
            continue
        first, then = (x, y) if d.first == 0 else (y, x)
        preds[then].append((d.confidence, first))
        succ[first] += 1

    def rank(m: str) -> tuple:
        info = documents[m]
        return (len(preds[m]) > 0, -succ[m], date_key(info.date), -info.chars, m)

    origin = min(members, key=rank)
    edges = []
    for m in sorted(members - {origin}):
        best = min(preds[m], key=lambda cp: (-cp[0], cp[1] != origin, cp[1]), default=None)
        edges.append((best[1], m, best[0]) if best else (origin, m, 0.0))
    return Lineage(origin, tuple(edges))


def directions(pairs: Sequence[Pair], documents: Mapping[str, DocInfo],
               credits: Mapping[str, frozenset[str]],
               families: Sequence[Cluster] = ()) -> dict[tuple[str, str], Direction]:
    """The direction of every pair, keyed by (a, b); pairs nothing else orders get the
    ``centrality`` evidence of their family (see the module docstring)."""
    out = {(p.a, p.b): direction(p, documents[p.a], documents[p.b], credits) for p in pairs}
    jaccard = {(p.a, p.b): p.jaccard for p in pairs}
    for fam in families:
        centre = _centre(fam.members, jaccard)
        if centre is None:
            continue
        for m in fam.members:
            key = (centre, m) if centre < m else (m, centre)
            if m != centre and key in out and out[key].first < 0:
                out[key] = Direction("a->b" if key[0] == centre else "b->a", 0.7,
                                     f"centrality: {centre} is the centre of its family")
    return out


#: the centre must beat the next member's distance sum by this share of the family's size
CENTRE_MARGIN = 0.05


def _centre(members: Sequence[str], jaccard: Mapping[tuple[str, str], float]) -> str | None:
    """The member with the smallest sum of distances (1 - jaccard; 1 without a pair) to the
    others, when it is clearly the smallest; None for families under three or without one."""
    if len(members) < 3:
        return None
    dist = {m: sum(1.0 - jaccard.get((m, o) if m < o else (o, m), 0.0) for o in members if o != m) for m in members}
    ranked = sorted(members, key=lambda m: (dist[m], m))
    if dist[ranked[1]] - dist[ranked[0]] < CENTRE_MARGIN * len(members):
        return None
    return ranked[0]
