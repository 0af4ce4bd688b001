"""How retold's defaults were chosen: precision/recall on the bench corpus as each
parameter moves away from its default (the others at their defaults).

    python bench/sweep.py --docs 10000
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import retold  # noqa: E402
from corpus import default_dir, generate  # noqa: E402
from quality import evaluate  # noqa: E402

SWEEPS = {
    ("shingle", "size"): [3, 4, 5, 7],
    ("verify", "min_containment"): [0.15, 0.25, 0.4, 0.6],
    ("verify", "min_shared"): [5, 10, 20, 40],
    ("candidates", "max_df"): [10, 50, 200],
}


def with_param(cfg: retold.ScanConfig, stage: str, name: str, value: object) -> retold.ScanConfig:
    part = getattr(cfg, stage)
    if stage == "shingle" and name == "size":
        part = dataclasses.replace(part, size=value, min_tokens=max(part.min_tokens, int(value)))
    else:
        part = dataclasses.replace(part, **{name: value})
    return dataclasses.replace(cfg, **{stage: part})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    corpus, truth = generate(args.docs, default_dir(args.docs))
    print(f"{'parameter':<28}{'value':>8}{'precision':>11}{'recall':>8}{'recall@<=15%':>14}{'pairs':>8}")
    for (stage, name), values in SWEEPS.items():
        for value in values:
            cfg = with_param(retold.ScanConfig(), stage, name, value)
            res = retold.scan([corpus], config=cfg, workers=args.workers, align=False)
            rep = evaluate(res.pairs, truth)
            light = [v for rates in rep["by_type_rate"].values() for r, v in rates.items() if float(r) <= 0.15]
            found = sum(v["found"] for v in light)
            pos = sum(v["positives"] for v in light)
            default = getattr(getattr(retold.ScanConfig(), stage), name) == value
            print(f"{stage + '.' + name:<28}{value!s:>8}{rep['precision']:>11.4f}{rep['recall']:>8.4f}"
                  f"{found / pos:>14.4f}{len(res.pairs):>8}{'  (default)' if default else ''}")


if __name__ == "__main__":
    main()
