"""Which version came first: direction accuracy on the news-like bench, with and without dates.

    python bench/provenance.py [--docs 12000] [--workers 2]

The news generator knows which version each document was derived from (``parent_of`` in
truth.json). A pair of versions of one story where one is an ancestor of the other is a
true original->derived pair; retold's direction is *claimed* when it is not ``unknown``.
Printed: how many such pairs get a claim, how many claims are right, by evidence, once
with the documents' dates and once with the dates removed (text and credits only).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import retold  # noqa: E402
from corpus import default_news_dir, generate_news  # noqa: E402
from retold.provenance import trace  # noqa: E402


def evaluate(result: retold.ScanResult, texts: dict[str, str], truth: dict) -> dict:
    """Claim rate and accuracy of the directions over the true original->derived pairs."""
    parent, story = truth["parent_of"], truth["story_of"]

    def ancestors(x: str) -> set[str]:
        out = set()
        while x in parent:
            x = parent[x]
            out.add(x)
        return out

    t0 = time.perf_counter()
    prov = trace(result, texts.__getitem__)
    seconds = time.perf_counter() - t0
    total = claimed = right = 0
    by_evidence: Counter = Counter()
    wrong: Counter = Counter()
    for (a, b), d in prov.directions.items():
        if story[a] != story[b]:
            continue
        true = 0 if a in ancestors(b) else 1 if b in ancestors(a) else -1
        if true < 0:
            continue
        total += 1
        if d.first >= 0:
            kind = d.evidence.split(":")[0]
            claimed += 1
            by_evidence[kind] += 1
            right += d.first == true
            wrong[kind] += d.first != true
    return {"pairs": total, "claimed": claimed, "claim_rate": claimed / max(total, 1),
            "accuracy": right / max(claimed, 1), "by_evidence": dict(by_evidence), "wrong": dict(wrong),
            "seconds": round(seconds, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=12_000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    corpus, truth_path = generate_news(args.docs, default_news_dir(args.docs))
    truth = json.loads(Path(truth_path).read_text(encoding="utf-8"))
    texts = {r["id"]: r["text"] for r in map(json.loads, Path(corpus).read_text(encoding="utf-8").splitlines())}
    res = retold.scan([str(corpus)], workers=args.workers)
    undated = replace(res, documents=tuple(replace(d, date=None) for d in res.documents))
    for name, result in (("with dates", res), ("without dates", undated)):
        r = evaluate(result, texts, truth)
        print(f"{name:>14}: {r['claimed']} of {r['pairs']} true original->derived pairs claimed "
              f"({r['claim_rate']:.1%}), accuracy {r['accuracy']:.4f}; by evidence {r['by_evidence']}, "
              f"wrong {r['wrong']} ({r['seconds']} s)")


if __name__ == "__main__":
    main()
