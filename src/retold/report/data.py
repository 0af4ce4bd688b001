"""What a page needs to show a scan: documents once, pairs with passages and word changes,
families. Shared by the self-contained HTML report (:mod:`retold.report.html`) and, later,
the web app: one rendering of a pair, two uses.

Offsets in the data are UTF-16 code units (JavaScript strings); Python offsets are code
points, so they are converted for texts with characters outside the BMP.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from retold.config import ScanConfig
from retold.core.rules import rounded
from retold.models import Pair, Passage, ScanResult
from retold.progress import NullProgress, Progress

#: word diffs are computed for at most this many pairs (the most similar ones)
DIFF_LIMIT = 2000
#: nor for pairs whose texts together are longer than this (characters)
DIFF_MAX_CHARS = 2_000_000
_OPS = {"replace": 1, "insert": 2, "delete": 3, "move": 4}


def _utf16(text: str) -> Callable[[int], int] | None:
    """Code-point offset -> UTF-16 offset for ``text`` (None when they are the same)."""
    astral = [i for i, ch in enumerate(text) if ord(ch) > 0xFFFF] if not text.isascii() else []
    if not astral:
        return None
    return lambda off: off + bisect.bisect_left(astral, off)


def _pair_key(p: Pair) -> tuple[Any, ...]:
    return (-p.jaccard, -max(p.containment_a, p.containment_b), p.a, p.b)


def _passages(p: Pair, ta: str | None, tb: str | None, config: ScanConfig) -> Iterable[Passage]:
    if p.passages is not None:
        return p.passages
    if ta is None or tb is None:
        return ()
    from retold.core.align import align

    return align(ta, tb, config.align)


def report_data(
    result: ScanResult, texts: Mapping[str, str], *, title: str = "retold report", page_size: int = 50,
    diff_limit: int = DIFF_LIMIT, titles: Mapping[str, str | None] | None = None, provenance: Any = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The JSON the page is built from (pairs as arrays, see the field list below).

    ``docs``: ``{id, title, date, source, origin, chars, status, text, attr}`` (text None
    when missing; title from ``titles``, None when not given; ``attr``: the sources the
    text credits, ``[[start, end, source, cue, key]]``, None when not traced);
    ``pairs``: ``[a, b, jaccard, containment_a, containment_b, relation, shared,
    passages [[a_start, a_end, b_start, b_end, score]], ops [[code, a_start, a_end,
    b_start, b_end]] or None, direction [direction, confidence, evidence] or None]``
    sorted most similar first, ``a``/``b`` index ``docs``; ``families``: ``{c, rep, m,
    o, l}`` largest first (``o``: the lineage's origin, ``l``: its edges ``[[parent,
    child, confidence]]``, both None when not traced). Offsets are UTF-16 code units.

    ``provenance``: a :class:`retold.provenance.Provenance` (default: ``result.provenance``).
    ``diff_limit``: word changes are computed for at most this many pairs, the most similar.
    ``progress`` hears ``aligning and diffing pairs``, advanced once per pair.
    """
    from retold.core.diff import diff

    if diff_limit < 0:
        raise ValueError(f"diff_limit must be >= 0, got {diff_limit}")
    prov = result.provenance if provenance is None else provenance
    titles = titles or {}
    info = {d.id: d for d in result.documents}
    needed = result.linked_ids()
    ids = sorted(needed)
    index = {d: k for k, d in enumerate(ids)}
    conv: dict[str, Callable[[int], int] | None] = {}
    docs: list[dict[str, Any]] = []
    missing = 0
    for d in ids:
        text = texts.get(d)
        di = info.get(d)
        if text is None:
            missing += 1
        else:
            conv[d] = _utf16(text)
        name = titles.get(d)
        docs.append({"id": d, "title": name if isinstance(name, str) and name.strip() else None,
                     "date": di.date if di else None, "source": di.source if di else None,
                     "origin": di.origin if di else "", "chars": di.chars if di else len(text or ""),
                     "status": di.status if di else "ok", "text": text, "attr": None})

    def at(doc: str, off: int) -> int:
        text = texts[doc]
        off = min(max(off, 0), len(text))
        f = conv[doc]
        return f(off) if f else off

    if prov is not None:
        for k, d in enumerate(ids):
            attrs = prov.attributions.get(d)
            if attrs is None:
                continue
            text = texts.get(d)
            docs[k]["attr"] = [[at(d, a.start), at(d, a.end), a.source, a.cue, a.key]
                               for a in sorted(attrs, key=lambda a: (a.start, a.end))
                               if text is not None and 0 <= a.start < a.end <= len(text)]
    prog = progress or NullProgress()
    prog.start("aligning and diffing pairs", len(result.pairs))
    pairs: list[list[Any]] = []
    diffed = diffable = 0
    for p in sorted(result.pairs, key=_pair_key):
        ta, tb = texts.get(p.a), texts.get(p.b)
        passages: list[list[Any]] = []
        ops: list[list[int]] | None = None
        if ta is not None and tb is not None:
            diffable += 1
            for x in _passages(p, ta, tb, result.config):
                passages.append([at(p.a, x.a_start), at(p.a, x.a_end), at(p.b, x.b_start), at(p.b, x.b_end),
                                 rounded(x.score)])
            if diffed < diff_limit and len(ta) + len(tb) <= DIFF_MAX_CHARS:
                ops = [[_OPS[o.op], at(p.a, o.a_start), at(p.a, o.a_end), at(p.b, o.b_start), at(p.b, o.b_end)]
                       for o in diff(ta, tb) if o.op != "equal"]
                diffed += 1
        way = prov.directions.get((p.a, p.b)) if prov is not None else None
        pairs.append([index[p.a], index[p.b], p.jaccard, p.containment_a, p.containment_b, p.relation, p.shared,
                      passages if (p.passages is not None or passages) else None, ops,
                      None if way is None else [way.direction, rounded(way.confidence), way.evidence]])
        prog.advance()
    prog.finish()
    families = []
    for c in sorted(result.clusters, key=lambda c: (-len(c.members), c.cluster)):
        line = prov.lineages.get(c.cluster) if prov is not None else None
        if line is not None and (line.origin not in index or any(x not in index for e in line.edges for x in e[:2])):
            line = None  # not about these members: leave it out rather than point nowhere
        families.append({"c": c.cluster, "rep": index[c.representative], "m": [index[m] for m in c.members],
                         "o": None if line is None else index[line.origin],
                         "l": None if line is None else [[index[a], index[b], rounded(conf)] for a, b, conf in line.edges]})
    from retold import __version__

    return {"title": title, "version": __version__, "page_size": page_size, "summary": result.summary(),
            "docs": docs, "pairs": pairs, "families": families, "diffed": diffed, "diff_limit": diff_limit,
            "diff_limited": diffed < diffable, "missing_texts": missing, "provenance": prov is not None}
