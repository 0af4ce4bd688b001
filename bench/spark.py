"""Documents per second: the local engine against the Spark engine on the same corpus.

    .venv/bin/python bench/spark.py --news --docs 3000                 # local[2] vs 2 workers
    .venv/bin/python bench/spark.py --news --docs 3000 --master local[4] --partitions 8

Both engines scan the same bench corpus (``bench/corpus.py``, generated and cached on
first use) through ``retold.scan`` with alignment, and their tables are compared (they
must be identical). The Spark session is started before the clock runs (JVM start-up is
not part of a scan); each engine's run is timed once, end to end (read, sketch,
candidates, verify, words, align, families), on a shared machine: read the figures as
what they are, one run. ``--json`` writes the numbers.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import corpus as _corpus  # noqa: E402

import retold  # noqa: E402
from retold.engines import LocalEngine  # noqa: E402


def _tables(result: retold.ScanResult, out: Path) -> dict[str, bytes]:
    retold.write_result(result, out)
    summary = json.loads((out / "summary.json").read_text())
    summary.pop("timings_s")
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name != "summary.json"} | {
        "summary.json": json.dumps(summary, sort_keys=True).encode()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--news", action="store_true", help="the news-like corpus (default: the generic one)")
    ap.add_argument("--workers", type=int, default=2, help="local engine workers")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--partitions", type=int, default=4, help="Spark shuffle partitions")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    gen, default = ((_corpus.generate_news, _corpus.default_news_dir) if args.news
                    else (_corpus.generate, _corpus.default_dir))
    corpus_path, _ = gen(args.docs, default(args.docs, args.seed), args.seed)

    from retold.engines.spark import SparkEngine
    from retold.engines.spark.session import get_session

    t = time.perf_counter()
    spark = get_session(args.master)
    spark.sparkContext.parallelize([0], 1).count()  # the JVM and one Python worker are up
    startup = time.perf_counter() - t
    runs = {}
    tables = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, engine in (("local", LocalEngine(workers=args.workers)),
                             ("spark", SparkEngine(spark, partitions=args.partitions))):
            t = time.perf_counter()
            result = retold.scan([str(corpus_path)], engine=engine)
            seconds = time.perf_counter() - t
            runs[name] = {"seconds": round(seconds, 2), "docs_per_s": round(len(result.documents) / seconds, 1),
                          "pairs": len(result.pairs), "clusters": len(result.clusters),
                          "timings_s": {k: round(v, 2) for k, v in result.timings.items()}}
            tables[name] = _tables(result, Path(tmp) / name)
    same = tables["local"] == tables["spark"]
    report = {"corpus": str(corpus_path), "documents": args.docs, "local_workers": args.workers,
              "spark_master": args.master, "spark_partitions": args.partitions,
              "spark_startup_s": round(startup, 1), "identical_tables": same, **runs}
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
