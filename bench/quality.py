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
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Iterable

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus as _corpus  # noqa: E402

_TRUTH_CACHE: dict[tuple[str, int, int], "_Truth"] = {}


class _Truth:
    def __init__(self, path: Path):
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        self.types: list[str] = list(data["types"])
        self.positive: dict[tuple[str, str], tuple[str, float]] = {}
        self.totals: Counter = Counter()
        for p in data["pairs"]:
            key = (p["a"], p["b"]) if p["a"] < p["b"] else (p["b"], p["a"])
            self.positive[key] = (p["type"], float(p["edit_rate"]))
            self.totals[(p["type"], float(p["edit_rate"]))] += 1
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


def load_truth(truth_path: str | os.PathLike) -> _Truth:
    path = Path(truth_path).resolve()
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _TRUTH_CACHE:
        _TRUTH_CACHE.clear()
        _TRUTH_CACHE[key] = _Truth(path)
    return _TRUTH_CACHE[key]


def _as_triple(p: Any) -> tuple[str, str, str | None]:
    if hasattr(p, "a") and hasattr(p, "b"):
        return str(p.a), str(p.b), getattr(p, "relation", None)
    if len(p) >= 3:
        return str(p[0]), str(p[1]), p[2]
    return str(p[0]), str(p[1]), None


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def evaluate(pairs: Iterable[Any], truth_path: str | os.PathLike) -> dict:
    """Score reported pairs against the truth of a generated corpus.

    ``pairs``: ``(a, b)`` or ``(a, b, relation)`` tuples, or objects with ``a``, ``b``
    (and optionally ``relation``) such as :class:`retold.Pair`; order within a pair and
    duplicates do not matter, self-pairs are ignored. Returns a JSON-able dict: overall
    precision/recall/F1, ``by_type`` (positives, found, recall, false positives touching
    the type, precision, relations of the found pairs), ``by_type_rate`` (positives, found,
    recall per edit rate), ``false_positives`` (``boilerplate``/``unrelated`` counts and
    relations) and ``boilerplate`` (how many of the pairs that share only a footer were
    reported).
    """
    truth = load_truth(truth_path)
    seen: dict[tuple[str, str], str | None] = {}
    for p in pairs:
        a, b, rel = _as_triple(p)
        if a == b:
            continue
        key = (a, b) if a < b else (b, a)
        if key not in seen or seen[key] is None:
            seen[key] = rel
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
    by_type: dict[str, dict] = {}
    by_type_rate: dict[str, dict] = {}
    for t in truth.types:
        rates = sorted(r for (tt, r) in truth.totals if tt == t)
        pos = sum(truth.totals[(t, r)] for r in rates)
        hit = sum(found[(t, r)] for r in rates)
        by_type[t] = {
            "positives": pos, "found": hit, "recall": _ratio(hit, pos),
            "false_positives": fp_touch[t], "precision": _ratio(hit, hit + fp_touch[t]),
            "relations": dict(sorted(relations[t].items())),
        }
        by_type_rate[t] = {
            f"{r:.2f}": {"positives": truth.totals[(t, r)], "found": found[(t, r)],
                         "recall": _ratio(found[(t, r)], truth.totals[(t, r)])}
            for r in rates
        }
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
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None, help="corpus directory (default bench/data/corpus-<docs>-s<seed>)")
    ap.add_argument("--align", action="store_true", help="also align passages (slower; not scored)")
    ap.add_argument("--json", nargs="?", const="-", default=None, metavar="PATH",
                    help="write the report as JSON to PATH (or stdout without PATH) instead of the table")
    args = ap.parse_args(argv)
    rep = run(args.docs, args.seed, args.workers, args.out, align=args.align)
    if args.json is not None:
        text = json.dumps(rep, indent=1)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n")
            print(format_report(rep))
    else:
        print(format_report(rep))
        print(f"scan: {rep['scan_seconds']}s for {rep['docs']} documents")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
