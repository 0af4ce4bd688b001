"""Benchmark of the persistent index: add throughput, peak memory, size, query latency and recall.

    .venv/bin/python bench/index.py --docs 100000                # build (cached corpus) + measure
    .venv/bin/python bench/index.py --docs 10000 --sample 1      # recall vs size of the postings
    .venv/bin/python bench/index.py --docs 100000 --reuse        # measure queries on an existing index

1. The corpus is bench/corpus.py's (``generate(n_docs, out_dir, seed)``, cached in
   bench/data/), with its ground truth of reuse pairs.
2. ``add``: a child process runs ``Index.add`` on corpus.jsonl (``--workers`` sketching
   processes, ``--batch-size`` documents per transaction) and reports its wall time and
   peak RSS (getrusage: the main process, and the largest worker).
3. Queries (in this process, on the finished index): ``--queries`` edited copies of
   random indexed documents (10% of words changed), and as many unrelated texts (a
   corpus generated with another seed); latency p50/p95/max of ``Index.query`` with
   alignment (what ``retold query`` does), and whether the source document ranks first.
4. Recall against the ground truth: for up to ``--pairs`` true pairs (a, b), whether a
   query with a's text finds b (limit 100), by kind of reuse.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus as bench_corpus  # noqa: E402

from retold.index import Index  # noqa: E402


def _edit(text: str, rate: float, rng: random.Random) -> str:
    words = text.split(" ")
    out = []
    for w in words:
        r = rng.random()
        if r < rate / 3:
            out.append("changed")
        elif r < 2 * rate / 3:
            out.extend([w, "inserted"])
        elif r >= rate:
            out.append(w)
    return " ".join(out)


def run_add(db: Path, corpus: Path, workers: int, batch_size: int, sample: int) -> dict:
    """Child process: add the corpus, report time and peak RSS (MiB)."""
    t0 = time.perf_counter()
    with Index.open(db, create=True, sample=sample) as index:
        report = index.add([corpus], workers=workers, batch_size=batch_size)
    seconds = time.perf_counter() - t0
    return {
        "documents": report.documents, "added": report.added, "batches": report.batches,
        "seconds": round(seconds, 1), "docs_per_s": round(report.added / seconds, 1),
        "peak_rss_main_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "peak_rss_worker_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    }


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def _latency(ms: list[float]) -> dict:
    return {"p50_ms": round(_pct(ms, 0.5), 1), "p95_ms": round(_pct(ms, 0.95), 1), "max_ms": round(max(ms), 1),
            "mean_ms": round(statistics.fmean(ms), 1)}


def measure_queries(db: Path, n_queries: int, n_pairs: int, truth_path: Path, seed: int) -> dict:
    rng = random.Random(seed)
    t0 = time.perf_counter()
    index = Index.open(db, readonly=True)
    open_ms = (time.perf_counter() - t0) * 1000
    ids = index.ids()
    out: dict = {"open_ms": round(open_ms, 1)}
    edited_ms, top1, found = [], 0, 0
    for doc_id in rng.sample(ids, n_queries):
        text = _edit(index.text(doc_id), 0.10, rng)
        t = time.perf_counter()
        matches = index.query(text)
        edited_ms.append((time.perf_counter() - t) * 1000)
        got = [m.id for m in matches]
        top1 += bool(got) and got[0] == doc_id
        found += doc_id in got
    out["edited_copies"] = _latency(edited_ms) | {"queries": n_queries, "source_first": top1, "source_found": found}
    other_corpus, _ = bench_corpus.generate(max(2 * n_queries, 50), bench_corpus.default_dir(max(2 * n_queries, 50),
                                                                                             seed + 1000), seed + 1000)
    others = [json.loads(line)["text"] for line in other_corpus.open(encoding="utf-8")][:n_queries]
    unrelated_ms, hits = [], 0
    for text in others:
        t = time.perf_counter()
        hits += len(index.query(text))
        unrelated_ms.append((time.perf_counter() - t) * 1000)
    out["unrelated"] = _latency(unrelated_ms) | {"queries": len(others), "matches": hits}
    truth = json.loads(truth_path.read_text())
    pairs = truth["pairs"]
    rng.shuffle(pairs)
    by_type: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for p in pairs[:n_pairs]:
        got = {m.id for m in index.query(index.text(p["a"]), limit=100, align=False)}
        by_type[p["type"]][0] += p["b"] in got
        by_type[p["type"]][1] += 1
    out["truth_recall"] = {k: f"{v[0]}/{v[1]}" for k, v in sorted(by_type.items())}
    hit, total = sum(v[0] for v in by_type.values()), sum(v[1] for v in by_type.values())
    out["truth_recall_all"] = round(hit / max(total, 1), 4)
    out["stats"] = {k: v for k, v in index.stats().items() if k not in ("parameters", "path")}
    index.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--sample", type=int, default=4)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--pairs", type=int, default=500, help="true pairs whose recall is measured")
    ap.add_argument("--db", type=Path, default=None, help="default: bench/data/index-<docs>-s<seed>-x<sample>.retold")
    ap.add_argument("--reuse", action="store_true", help="measure an existing --db, do not rebuild it")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument("--child-add", nargs=2, metavar=("DB", "CORPUS"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child_add:
        print(json.dumps(run_add(Path(args.child_add[0]), Path(args.child_add[1]), args.workers, args.batch_size,
                                 args.sample)))
        return 0
    corpus_path, truth_path = bench_corpus.generate(args.docs, bench_corpus.default_dir(args.docs, args.seed),
                                                    args.seed, progress=True)
    db = args.db or bench_corpus.default_dir(args.docs, args.seed).parent / \
        f"index-{args.docs}-s{args.seed}-x{args.sample}.retold"
    result: dict = {"docs": args.docs, "workers": args.workers, "batch_size": args.batch_size, "sample": args.sample,
                    "db": str(db)}
    if not args.reuse:
        for f in db.parent.glob(db.name + "*"):
            f.unlink()
        child = subprocess.run([sys.executable, __file__, "--child-add", str(db), str(corpus_path), "--workers",
                                str(args.workers), "--batch-size", str(args.batch_size), "--sample", str(args.sample)],
                               check=True, capture_output=True, text=True)
        result["add"] = json.loads(child.stdout.strip().splitlines()[-1])
        print("add:", json.dumps(result["add"]), flush=True)
    result["query"] = measure_queries(db, args.queries, args.pairs, truth_path, args.seed)
    result["db_mib"] = round(result["query"]["stats"]["file_bytes"] / 2**20, 1)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
