"""Precision and recall of retold on the generated bench corpus, per reuse type and edit rate.

    python bench/quality.py [--docs 10000] [--seed 0] [--workers 2] [--json [PATH]]

Generates (or reuses, see bench/corpus.py) the corpus, runs ``retold.scan`` through its
Python API and scores the reported pairs against the ground truth with :func:`evaluate`,
which other bench scripts reuse to score any tool's pairs::

    from quality import evaluate
    report = evaluate([("d000012", "d004711"), ...], "bench/data/corpus-10000-s0/truth.json")

Scoring: a reported pair is a true positive iff it is in the truth (all pairs of a
near-duplicate family are). A false positive is ``boilerplate`` if both documents carry
the same boilerplate snippet, else ``unrelated``. Per-type precision counts, against the
true positives of that type, the false positives that touch a document of that type (a
pair between two different reuse groups counts for both types).

News corpus (``--news``, ``bench/corpus.py generate_news``: the truth is the *story*)::

    python bench/quality.py --news --docs 12000 [--workers 2] [--json [PATH]]

:func:`evaluate` then gives recall per pair type (versions of one story: reprint, edited,
dropped, added, brief, truncation; and spliced passages between stories) and the
precision of the *version claims*: reported pairs whose relation is ``duplicate``,
``contains`` or ``contained`` (or unknown, as peers report) must be versions of one
story; an ``overlap`` pair between stories that really share recycled sentences,
boilerplate or a passage is not an error and is only counted. :func:`evaluate_families`
scores a clustering against the stories (adjusted Rand index, B-cubed, impure families)
and :func:`evaluate_dedup` a set of kept documents (stories left with none, kept per story).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus as _corpus  # noqa: E402

_TRUTH_CACHE: dict[tuple[str, int, int], "_Truth"] = {}


def _positives(data: dict) -> tuple[dict[tuple[str, str], tuple[str, float]], Counter]:
    """The positive pairs of a truth file ((a, b) with a < b -> (type, edit rate)) and their
    counts by (type, edit rate)."""
    positive: dict[tuple[str, str], tuple[str, float]] = {}
    totals: Counter = Counter()
    for p in data["pairs"]:
        key = (p["a"], p["b"]) if p["a"] < p["b"] else (p["b"], p["a"])
        positive[key] = (p["type"], float(p["edit_rate"]))
        totals[(p["type"], float(p["edit_rate"]))] += 1
    return positive, totals


class _Truth:
    def __init__(self, path: Path):
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        self.types: list[str] = list(data["types"])
        self.positive, self.totals = _positives(data)
        self.type_of: dict[str, str] = {}
        for g in data["groups"]:
            for i in g["ids"]:
                self.type_of[i] = g["type"]
        self.snippet_of: dict[str, str] = {}
        self.boilerplate_pairs = 0
        for sid, ids in data["boilerplate"]["carriers"].items():
            for i in ids:
                self.snippet_of[i] = sid
            self.boilerplate_pairs += len(ids) * (len(ids) - 1) // 2
        self.n_docs = data["n_docs"]


class _NewsTruth:
    """The truth of a news corpus: stories, versions, passage pairs, recycled items, outlets."""

    def __init__(self, data: dict):
        self.n_docs = data["n_docs"]
        self.types: list[str] = list(data["pair_types"])
        self.story_of: dict[str, str] = data["story_of"]
        self.version_type_of: dict[str, str] = data["version_type_of"]
        self.outlet_of: dict[str, str] = data["outlet_of"]
        self.nav_outlets = {o for o, v in data["outlets"].items() if v.get("nav")}
        self.positive, self.totals = _positives(data)
        self.items_of: dict[str, set[str]] = defaultdict(set)
        for item, row in data["recycled"].items():
            for d in row["docs"]:
                self.items_of[d].add(item)
        self.docs_of: dict[str, list[str]] = defaultdict(list)
        for d, s in sorted(self.story_of.items()):
            self.docs_of[s].append(d)

    def kind_of(self, a: str, b: str) -> str:
        """What two documents of different stories have in common, by the truth."""
        if (a, b) in self.positive or (b, a) in self.positive:
            return "passage"
        if self.items_of.get(a, set()) & self.items_of.get(b, set()):
            return "recycled"
        oa = self.outlet_of.get(a)
        if oa is not None and oa == self.outlet_of.get(b) and oa in self.nav_outlets:
            return "boilerplate"
        return "unrelated"


def load_truth(truth_path: str | os.PathLike) -> "_Truth | _NewsTruth":
    path = Path(truth_path).resolve()
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _TRUTH_CACHE:
        _TRUTH_CACHE.clear()
        data = json.loads(path.read_text(encoding="utf-8"))
        _TRUTH_CACHE[key] = _NewsTruth(data) if data.get("kind") == "news" else _Truth(path)
    return _TRUTH_CACHE[key]


def _news_truth(truth_path: str | os.PathLike) -> _NewsTruth:
    truth = load_truth(truth_path)
    if not isinstance(truth, _NewsTruth):
        raise ValueError(f"{truth_path} is not the truth of a news corpus (bench/corpus.py --news)")
    return truth


def _as_triple(p: Any) -> tuple[str, str, str | None]:
    if hasattr(p, "a") and hasattr(p, "b"):
        return str(p.a), str(p.b), getattr(p, "relation", None)
    if len(p) >= 3:
        return str(p[0]), str(p[1]), p[2]
    return str(p[0]), str(p[1]), None


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _unique_pairs(pairs: Iterable[Any]) -> dict[tuple[str, str], str | None]:
    seen: dict[tuple[str, str], str | None] = {}
    for p in pairs:
        a, b, rel = _as_triple(p)
        if a == b:
            continue
        key = (a, b) if a < b else (b, a)
        if key not in seen or seen[key] is None:
            seen[key] = rel
    return seen


def _recall_by_type(truth: Any, found: Counter, relations: dict[str, Counter]) -> tuple[dict[str, dict], dict[str, dict]]:
    """Recall of the positive pairs by type and by (type, edit rate), with the relations found."""
    by_type: dict[str, dict] = {}
    by_type_rate: dict[str, dict] = {}
    for t in truth.types:
        rates = sorted(r for (tt, r) in truth.totals if tt == t)
        pos = sum(truth.totals[(t, r)] for r in rates)
        hit = sum(found[(t, r)] for r in rates)
        by_type[t] = {"positives": pos, "found": hit, "recall": _ratio(hit, pos),
                      "relations": dict(sorted(relations[t].items()))}
        by_type_rate[t] = {
            f"{r:.2f}": {"positives": truth.totals[(t, r)], "found": found[(t, r)],
                         "recall": _ratio(found[(t, r)], truth.totals[(t, r)])}
            for r in rates
        }
    return by_type, by_type_rate


def evaluate(pairs: Iterable[Any], truth_path: str | os.PathLike) -> dict:
    """Score reported pairs against the truth of a generated corpus.

    ``pairs``: ``(a, b)`` or ``(a, b, relation)`` tuples, or objects with ``a``, ``b``
    (and optionally ``relation``) such as :class:`retold.Pair`; order within a pair and
    duplicates do not matter, self-pairs are ignored. Returns a JSON-able dict: overall
    precision/recall/F1, ``by_type`` (positives, found, recall, false positives touching
    the type, precision, relations of the found pairs), ``by_type_rate`` (positives, found,
    recall per edit rate), ``false_positives`` (``boilerplate``/``unrelated`` counts and
    relations) and ``boilerplate`` (how many of the pairs that share only a footer were
    reported). For a news corpus, see :func:`_evaluate_news`.
    """
    truth = load_truth(truth_path)
    seen = _unique_pairs(pairs)
    if isinstance(truth, _NewsTruth):
        return _evaluate_news(seen, truth)
    found: Counter = Counter()
    relations: dict[str, Counter] = defaultdict(Counter)
    fp_touch: Counter = Counter()
    fp: Counter = Counter()
    fp_rel: dict[str, Counter] = defaultdict(Counter)
    for key, rel in seen.items():
        hit = truth.positive.get(key)
        if hit is not None:
            found[hit] += 1
            relations[hit[0]][rel or "?"] += 1
            continue
        a, b = key
        sa, sb = truth.snippet_of.get(a), truth.snippet_of.get(b)
        kind = "boilerplate" if sa is not None and sa == sb else "unrelated"
        fp[kind] += 1
        fp_rel[kind][rel or "?"] += 1
        for t in {truth.type_of.get(a), truth.type_of.get(b)} - {None}:
            fp_touch[t] += 1
    by_type, by_type_rate = _recall_by_type(truth, found, relations)
    for t, row in by_type.items():
        row["false_positives"] = fp_touch[t]
        row["precision"] = _ratio(row["found"], row["found"] + fp_touch[t])
        row["relations"] = row.pop("relations")  # keep the field order of the report
    tp = sum(found.values())
    n_pos = sum(truth.totals.values())
    n_fp = sum(fp.values())
    precision = _ratio(tp, tp + n_fp)
    recall = _ratio(tp, n_pos)
    f1 = round(2 * precision * recall / (precision + recall), 4) if precision and recall else None
    return {
        "docs": truth.n_docs,
        "positives": n_pos,
        "reported": len(seen),
        "true_positives": tp,
        "false_positives_total": n_fp,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "by_type": by_type,
        "by_type_rate": by_type_rate,
        "false_positives": {k: {"count": fp[k], "relations": dict(sorted(fp_rel[k].items()))}
                            for k in ("boilerplate", "unrelated")},
        "boilerplate": {"pairs": truth.boilerplate_pairs, "reported": fp["boilerplate"],
                        "rate": _ratio(fp["boilerplate"], truth.boilerplate_pairs)},
    }


#: relations that claim two documents are versions of one text (retold's family relations)
VERSION_RELATIONS = frozenset({"duplicate", "contains", "contained"})
_KINDS = ("passage", "recycled", "boilerplate", "unrelated")


def _evaluate_news(seen: dict[tuple[str, str], str | None], truth: _NewsTruth) -> dict:
    """Pair scores on a news corpus.

    ``by_type``/``by_type_rate``: recall of the positive pairs (versions of one story, by
    pair type; spliced passages) with the relations given to the found ones.
    ``version_pairs``: the reported pairs claiming a version relation (``duplicate``,
    ``contains``, ``contained``, or no relation at all): how many are versions of one story
    (``precision``), and what the others share (``passage``/``recycled`` sentences/outlet
    ``boilerplate``/nothing: ``unrelated``). ``other_pairs``: the rest (``overlap``), by the
    same kinds, not errors. ``precision``/``recall``/``f1``: all reported pairs against the
    positive pairs (strict: an overlap over recycled sentences counts against it).
    """
    found: Counter = Counter()
    relations: dict[str, Counter] = defaultdict(Counter)
    version = Counter()
    other = Counter()
    version_rel: dict[str, Counter] = defaultdict(Counter)
    for (a, b), rel in seen.items():
        hit = truth.positive.get((a, b))
        if hit is not None:
            found[hit] += 1
            relations[hit[0]][rel or "?"] += 1
        sa, sb = truth.story_of.get(a), truth.story_of.get(b)
        kind = "same_story" if sa is not None and sa == sb else truth.kind_of(a, b)
        if rel is None or rel in VERSION_RELATIONS:
            version[kind] += 1
            version_rel[kind][rel or "?"] += 1
        else:
            other[kind] += 1
    by_type, by_type_rate = _recall_by_type(truth, found, relations)
    tp = sum(found.values())
    n_pos = sum(truth.totals.values())
    precision = _ratio(tp, len(seen))
    recall = _ratio(tp, n_pos)
    f1 = round(2 * precision * recall / (precision + recall), 4) if precision and recall else None
    n_version = sum(version.values())
    return {
        "kind": "news",
        "docs": truth.n_docs,
        "stories": len(truth.docs_of),
        "positives": n_pos,
        "reported": len(seen),
        "true_positives": tp,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "by_type": by_type,
        "by_type_rate": by_type_rate,
        "version_pairs": {
            "reported": n_version, "same_story": version["same_story"],
            "precision": _ratio(version["same_story"], n_version),
            "false": {k: version[k] for k in _KINDS},
            "false_relations": {k: dict(sorted(version_rel[k].items())) for k in _KINDS if version[k]},
        },
        "other_pairs": {"reported": sum(other.values()),
                        **{k: other[k] for k in ("same_story",) + _KINDS}},
    }


def _comb2(n: int) -> int:
    return n * (n - 1) // 2


def evaluate_families(clusters: Iterable[Iterable[str]], truth_path: str | os.PathLike,
                      examples: int = 5) -> dict:
    """Score a clustering of a news corpus's documents against its stories.

    ``clusters``: member-id sequences (e.g. ``[c.members for c in result.clusters]``);
    documents in none are singletons. A document in two clusters, or not in the corpus, is
    a ``ValueError``. Returns ``ari`` (adjusted Rand index over all documents, from
    integer contingency counts), ``bcubed`` precision/recall/F1, ``pair_precision`` /
    ``pair_recall`` (same-family vs same-story document pairs), ``families`` (clusters
    of >= 2 documents), ``impure_families`` (members from > 1 story), ``max_stories``
    (the most stories in one family), ``split_stories`` (stories spread over > 1 family
    or singleton) and a few ``impure_examples`` (largest first: ids and their stories).
    """
    truth = _news_truth(truth_path)
    story_of = truth.story_of
    label: dict[str, int] = {}
    fams: list[list[str]] = []
    for members in clusters:
        ms = sorted(set(members))
        for m in ms:
            if m not in story_of:
                raise ValueError(f"{m!r} is not a document of the corpus")
            if m in label:
                raise ValueError(f"{m!r} is in two clusters")
            label[m] = len(fams)
        fams.append(ms)
    nxt = len(fams)
    cells: Counter = Counter()
    fam_size: Counter = Counter()
    for d, s in story_of.items():
        f = label.get(d)
        if f is None:
            f = nxt
            nxt += 1
        cells[(f, s)] += 1
        fam_size[f] += 1
    story_size = Counter(story_of.values())
    n = len(story_of)
    same_both = sum(_comb2(c) for c in cells.values())
    same_fam = sum(_comb2(c) for c in fam_size.values())
    same_story = sum(_comb2(c) for c in story_size.values())
    total = _comb2(n)
    if total == 0:
        ari = 1.0
    else:
        expected = Fraction(same_fam * same_story, total)
        best = Fraction(same_fam + same_story, 2)
        ari = 1.0 if best == expected else float((same_both - expected) / (best - expected))
    bp = sum(Fraction(c * c, fam_size[f]) for (f, _), c in cells.items()) / n
    br = sum(Fraction(c * c, story_size[s]) for (_, s), c in cells.items()) / n
    bf = 2 * bp * br / (bp + br) if bp + br else Fraction(0)
    stories_in: dict[int, set[str]] = defaultdict(set)
    labels_of: dict[str, int] = Counter()
    for (f, s) in cells:
        stories_in[f].add(s)
        labels_of[s] += 1
    impure = sorted((f for f in range(len(fams)) if len(stories_in[f]) > 1),
                    key=lambda f: (-len(stories_in[f]), -len(fams[f]), fams[f][0]))
    return {
        "docs": n,
        "stories": len(story_size),
        "families": sum(1 for m in fams if len(m) >= 2),
        "docs_in_families": sum(len(m) for m in fams if len(m) >= 2),
        "ari": round(ari, 6),
        "bcubed": {"precision": round(float(bp), 6), "recall": round(float(br), 6), "f1": round(float(bf), 6)},
        "pair_precision": _ratio(same_both, same_fam),
        "pair_recall": _ratio(same_both, same_story),
        "impure_families": len(impure),
        "max_stories": max((len(v) for v in stories_in.values()), default=0),
        "split_stories": sum(1 for k in labels_of.values() if k > 1),
        "impure_examples": [
            {"size": len(fams[f]), "stories": len(stories_in[f]),
             "members": {d: story_of[d] for d in fams[f][:12]}}
            for f in impure[:examples]
        ],
    }


def evaluate_dedup(kept_ids: Iterable[str], truth_path: str | os.PathLike, examples: int = 5) -> dict:
    """Score a deduplication of a news corpus: which documents it kept.

    Returns ``kept``/``removed`` document counts (and ``ideal_removed``: all but one per
    story), ``stories_lost`` (stories with no kept document: over-merging) with a few
    ``lost_examples``, ``kept_per_story`` (mean; 1.0 is ideal) and
    ``stories_with_duplicates`` (stories with > 1 kept document: under-merging).
    """
    truth = _news_truth(truth_path)
    kept = set(kept_ids)
    unknown = kept - truth.story_of.keys()
    if unknown:
        raise ValueError(f"{len(unknown)} kept ids are not documents of the corpus, e.g. {min(unknown)!r}")
    per_story = Counter(truth.story_of[d] for d in kept)
    stories = sorted(truth.docs_of)
    lost = [s for s in stories if per_story[s] == 0]
    return {
        "docs": truth.n_docs,
        "kept": len(kept),
        "removed": truth.n_docs - len(kept),
        "ideal_removed": truth.n_docs - len(stories),
        "stories": len(stories),
        "stories_lost": len(lost),
        "lost_examples": [{"story": s, "docs": truth.docs_of[s]} for s in lost[:examples]],
        "kept_per_story": round(len(kept) / len(stories), 4) if stories else None,
        "stories_with_duplicates": sum(1 for s in stories if per_story[s] > 1),
    }


def components(pairs: Iterable[Any]) -> list[list[str]]:
    """Connected components (of >= 2 documents) of a set of pairs, each sorted, by
    smallest member: how the peers' pairs become families."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        a, b, _ = _as_triple(p)
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = defaultdict(list)
    for x in parent:
        groups[find(x)].append(x)
    return sorted((sorted(g) for g in groups.values() if len(g) > 1), key=lambda g: g[0])


def keep_smallest(all_ids: Iterable[str], families: Iterable[Iterable[str]]) -> list[str]:
    """Dedup by families: every document except the non-smallest members of a family."""
    gone = {d for fam in families for d in sorted(fam)[1:]}
    return [d for d in all_ids if d not in gone]


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def format_report(rep: dict) -> str:
    lines = [f"{'type':16s} {'edit':>5s} {'positives':>9s} {'found':>7s} {'recall':>7s}"]
    for t, rates in rep["by_type_rate"].items():
        for r, row in rates.items():
            lines.append(f"{t:16s} {r:>5s} {row['positives']:9d} {row['found']:7d} {_fmt(row['recall']):>7s}")
    lines.append("")
    lines.append(f"{'type':16s} {'positives':>9s} {'found':>7s} {'recall':>7s} {'FP':>6s} {'precision':>9s}  relations")
    for t, row in rep["by_type"].items():
        rel = ", ".join(f"{k} {v}" for k, v in row["relations"].items())
        lines.append(f"{t:16s} {row['positives']:9d} {row['found']:7d} {_fmt(row['recall']):>7s} "
                     f"{row['false_positives']:6d} {_fmt(row['precision']):>9s}  {rel}")
    for k, row in rep["false_positives"].items():
        rel = ", ".join(f"{r} {v}" for r, v in row["relations"].items())
        extra = ""
        if k == "boilerplate":
            b = rep["boilerplate"]
            extra = f" of {b['pairs']} footer-only pairs"
        lines.append(f"{k:16s} {'':9s} {'':7s} {'':7s} {row['count']:6d} {'':9s}  {rel}{extra}")
    lines.append("")
    lines.append(f"overall: {rep['reported']} reported, {rep['true_positives']} of {rep['positives']} positives "
                 f"found; precision {_fmt(rep['precision'])}, recall {_fmt(rep['recall'])}, F1 {_fmt(rep['f1'])}")
    return "\n".join(lines)


def format_news_report(rep: dict) -> str:
    """One table: pair recall by type, version-claim precision, families, dedup, timings
    (``rep`` as returned by :func:`run_news`)."""
    pr, fam, dd = rep["pairs"], rep["families"], rep["dedup"]
    lines = [f"{'pair type':12s} {'positives':>9s} {'found':>7s} {'recall':>7s}  relations"]
    for t, row in pr["by_type"].items():
        rel = ", ".join(f"{k} {v}" for k, v in row["relations"].items())
        lines.append(f"{t:12s} {row['positives']:9d} {row['found']:7d} {_fmt(row['recall']):>7s}  {rel}")
    lines.append(f"{'all':12s} {pr['positives']:9d} {pr['true_positives']:7d} {_fmt(pr['recall']):>7s}")
    v = pr["version_pairs"]
    o = pr["other_pairs"]
    lines += [
        "",
        f"version claims (duplicate/contains/contained): {v['reported']} reported, {v['same_story']} same story, "
        f"precision {_fmt(v['precision'])}; others: " + ", ".join(f"{k} {n}" for k, n in v["false"].items()),
        f"overlap pairs: {o['reported']} reported: " + ", ".join(
            f"{k} {o[k]}" for k in ("same_story", "passage", "recycled", "boilerplate", "unrelated")),
        f"all pairs vs positives: {pr['reported']} reported, precision {_fmt(pr['precision'])}, "
        f"recall {_fmt(pr['recall'])}, F1 {_fmt(pr['f1'])}",
        "",
        f"families: {fam['families']} (of {fam['stories']} stories, {fam['docs_in_families']} docs in families); "
        f"ARI {fam['ari']:.4f}; B-cubed P {fam['bcubed']['precision']:.4f} R {fam['bcubed']['recall']:.4f} "
        f"F1 {fam['bcubed']['f1']:.4f}; pair P {_fmt(fam['pair_precision'])} R {_fmt(fam['pair_recall'])}",
        f"          impure families {fam['impure_families']}, most stories in one family {fam['max_stories']}, "
        f"stories split {fam['split_stories']}",
    ]
    for ex in fam["impure_examples"][:3]:
        members = " ".join(f"{d}:{s}" for d, s in ex["members"].items())
        lines.append(f"          impure: {ex['size']} docs, {ex['stories']} stories: {members}")
    lines += [
        f"dedup: kept {dd['kept']}, removed {dd['removed']} (ideal {dd['ideal_removed']}); stories lost "
        f"{dd['stories_lost']} of {dd['stories']}; kept per story {dd['kept_per_story']}; "
        f"stories with > 1 kept {dd['stories_with_duplicates']}",
    ]
    if dd["lost_examples"]:
        lines.append("          lost: " + "; ".join(f"{x['story']} ({' '.join(x['docs'][:4])})"
                                                   for x in dd["lost_examples"][:3]))
    t = rep["timings"]
    lines.append("")
    lines.append(f"timings: generate {t['generate']}s, scan {t['scan']}s, dedup {t['dedup']}s "
                 f"({rep['docs']} documents, workers {rep['workers']})")
    return "\n".join(lines)


def run_news(n_docs: int = 12_000, seed: int = 0, workers: int = 2, out: Path | None = None) -> dict:
    """Generate/reuse the news corpus, run ``retold.scan`` (pairs, families) and
    ``retold.dedup`` (kept documents) through the Python API at their defaults, and score."""
    import retold

    t0 = time.perf_counter()
    corpus_path, truth_path = _corpus.generate_news(n_docs, out or _corpus.default_news_dir(n_docs, seed), seed)
    t1 = time.perf_counter()
    res = retold.scan([str(corpus_path)], workers=workers)
    t2 = time.perf_counter()
    kept = retold.dedup([str(corpus_path)], workers=workers).kept
    t3 = time.perf_counter()
    return {
        "docs": n_docs,
        "workers": workers,
        "corpus": str(corpus_path),
        "retold_version": getattr(retold, "__version__", "?"),
        "pairs": evaluate(res.pairs, truth_path),
        "families": evaluate_families((c.members for c in res.clusters), truth_path),
        "dedup": evaluate_dedup(kept, truth_path),
        "timings": {"generate": round(t1 - t0, 2), "scan": round(t2 - t1, 2), "dedup": round(t3 - t2, 2)},
    }


def run(n_docs: int = 10_000, seed: int = 0, workers: int = 2, out: Path | None = None,
        config: Any = None, align: bool = False) -> dict:
    """Generate/reuse the corpus, scan it with retold, and evaluate. Passages are not
    needed for scoring, so alignment is off unless ``align``."""
    import inspect

    import retold

    corpus_path, truth_path = _corpus.generate(n_docs, out or _corpus.default_dir(n_docs, seed), seed)
    kwargs: dict[str, Any] = {"workers": workers}
    if config is not None:
        kwargs["config"] = config
    if "align" in inspect.signature(retold.scan).parameters:
        kwargs["align"] = align
    t0 = time.perf_counter()
    res = retold.scan([str(corpus_path)], **kwargs)
    elapsed = time.perf_counter() - t0
    rep = evaluate(res.pairs, truth_path)
    rep["scan_seconds"] = round(elapsed, 2)
    rep["corpus"] = str(corpus_path)
    rep["retold_version"] = getattr(retold, "__version__", "?")
    return rep


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="retold precision/recall per reuse type on the bench corpus")
    ap.add_argument("--docs", type=int, default=None, help="default 10000 (12000 with --news)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--news", action="store_true",
                    help="the news corpus: pairs by type, families vs stories, dedup (scan + dedup)")
    ap.add_argument("--out", type=Path, default=None, help="corpus directory (default bench/data/corpus-<docs>-s<seed>"
                    " or news-<docs>-s<seed>)")
    ap.add_argument("--align", action="store_true", help="also align passages (slower; not scored)")
    ap.add_argument("--json", nargs="?", const="-", default=None, metavar="PATH",
                    help="write the report as JSON to PATH (or stdout without PATH) instead of the table")
    args = ap.parse_args(argv)
    if args.news:
        rep = run_news(args.docs or 12_000, args.seed, args.workers, args.out)
        fmt = format_news_report
    else:
        rep = run(args.docs or 10_000, args.seed, args.workers, args.out, align=args.align)
        fmt = format_report
    if args.json is not None:
        text = json.dumps(rep, indent=1)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n")
            print(fmt(rep))
    else:
        print(fmt(rep))
        if not args.news:
            print(f"scan: {rep['scan_seconds']}s for {rep['docs']} documents")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
