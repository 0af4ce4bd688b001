"""Precision and recall of retold's attribution rules on the hand-labelled set.

    python bench/attributions.py [--show 20]

``tests/data/attributions.jsonl`` holds real news (gensim's Lee corpus and the two seeds)
with every credited source marked by hand (guideline: tests/data/ATTRIBUTIONS.md).
A found span matches a labelled one when they overlap (each used once: the pairs with
the largest overlap first); ``exact`` counts identical spans only.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from retold.provenance.attributions import extract, score

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "attributions.jsonl"


def evaluate(path: Path = DATA) -> dict:
    """Counts and precision/recall (overlap and exact) over the labelled set."""
    n_found = n_gold = hits = exact = 0
    misses: list[tuple[str, str]] = []
    extras: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        text = rec["text"]
        found = [(a.start, a.end) for a in extract(text)]
        gold = [(s["start"], s["end"]) for s in rec["spans"]]
        h, e = score(found, gold)
        n_found, n_gold, hits, exact = n_found + len(found), n_gold + len(gold), hits + h, exact + e
        fs = set(found)
        for s, e2 in gold:
            if not any(min(e2, fe) > max(s, fs_) for fs_, fe in fs):
                misses.append((rec["id"], text[max(0, s - 40):e2 + 30].replace("\n", " ")))
        for s, e2 in found:
            if not any(min(e2, ge) > max(s, gs) for gs, ge in gold):
                extras.append((rec["id"], text[max(0, s - 40):e2 + 30].replace("\n", " ")))
    return {"documents": len(path.read_text().splitlines()), "labelled": n_gold, "found": n_found,
            "precision": hits / max(n_found, 1), "recall": hits / max(n_gold, 1),
            "exact_precision": exact / max(n_found, 1), "exact_recall": exact / max(n_gold, 1),
            "misses": misses, "extras": extras}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--show", type=int, default=0, help="print this many misses and false finds")
    args = ap.parse_args()
    r = evaluate()
    print(f"{r['documents']} documents, {r['labelled']} labelled spans, {r['found']} found")
    print(f"overlap: precision {r['precision']:.3f} recall {r['recall']:.3f}; "
          f"exact: precision {r['exact_precision']:.3f} recall {r['exact_recall']:.3f}")
    for kind in ("misses", "extras"):
        for doc, ctx in r[kind][: args.show]:
            print(f"{kind[:-2]:>6} {doc}: ...{ctx}...")


if __name__ == "__main__":
    main()
