"""How retold's defaults were chosen: precision/recall on the bench corpus as each
parameter moves away from its default (the others at their defaults).

    python bench/sweep.py --docs 10000
    python bench/sweep.py --news --docs 12000     # families and dedup on the news-like corpus

``--news`` sweeps what decides families and dedup: ``verify.min_containment`` (the word
coverage that makes a version pair) and, for each, ``--min-coverage`` of dedup (computed
from the same scan with :func:`retold.families.plan`, as ``retold dedup`` does).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import retold  # noqa: E402
from corpus import default_dir, default_news_dir, generate, generate_news  # noqa: E402
from quality import evaluate, evaluate_dedup, evaluate_families  # noqa: E402
from retold.config import DedupConfig  # noqa: E402
from retold.families import plan  # noqa: E402

NEWS_CONTAINMENT = [0.5, 0.6, 0.7, 0.8, 0.9]
NEWS_COVERAGE = [0.7, 0.8, 0.9]

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


def news(docs: int, workers: int) -> None:
    """The family and dedup sweep on the news-like corpus (one scan per min_containment)."""
    corpus, truth = generate_news(docs, default_news_dir(docs))
    default_c, default_k = retold.VerifyConfig().min_containment, DedupConfig().min_coverage
    print(f"{'min_containment':>15}{'version P':>10}{'ARI':>8}{'B3 P':>8}{'B3 R':>8}{'impure':>7}{'max st':>7}"
          f"{'split':>6}{'min_coverage':>13}{'lost':>6}{'kept/story':>11}")
    for value in NEWS_CONTAINMENT:
        cfg = with_param(retold.ScanConfig(), "verify", "min_containment", value)
        res = retold.scan([corpus], config=cfg, workers=workers, align=False)
        pairs = evaluate(res.pairs, truth)["version_pairs"]
        fam = evaluate_families((c.members for c in res.clusters), truth)
        for cov in NEWS_COVERAGE:
            kept, _ = plan(res.clusters, res.pairs, res.documents, DedupConfig(min_coverage=cov))
            dd = evaluate_dedup(kept, truth)
            mark = "  (default)" if (value, cov) == (default_c, default_k) else ""
            print(f"{value:>15}{pairs['precision']:>10.4f}{fam['ari']:>8.4f}{fam['bcubed']['precision']:>8.4f}"
                  f"{fam['bcubed']['recall']:>8.4f}{fam['impure_families']:>7}{fam['max_stories']:>7}"
                  f"{fam['split_stories']:>6}{cov:>13}{dd['stories_lost']:>6}{dd['kept_per_story']:>11.3f}{mark}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=None, help="documents (default 10,000; 12,000 with --news)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--news", action="store_true", help="sweep families and dedup on the news-like corpus")
    args = ap.parse_args()
    if args.news:
        news(args.docs or 12_000, args.workers)
        return
    args.docs = args.docs or 10_000
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
