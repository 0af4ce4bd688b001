"""retold on Apache Spark: a DataFrame in, DataFrames of pairs, families and documents out.

    from retold.spark import scan
    found = scan(spark.read.parquet("corpus/"), text_col="text", id_col="id")
    found.pairs.write.parquet("result/pairs")      # nothing is collected on the driver

Every stage, families included, runs on the executors (:mod:`retold.engines.spark.stages`,
the kernels of :mod:`retold.core` inside ``mapPartitions``); the rows are those the local
engine writes (``tests/engines/test_spark.py``), sorted. ``spark-submit`` entry::

    spark-submit --master yarn -m retold.spark scan corpus/*.parquet --out result/

(or ``python -m retold.spark scan ...`` with ``--master local[4]``). It writes
``documents/``, ``pairs/`` and ``clusters/`` (Parquet, or JSON Lines with ``--format
jsonl``) and ``summary.json`` with the counts and statistics.

Duplicate ids: a DataFrame has no reading order, so the record kept for an id is the one
with the smallest (text, date, source); rows without id or text are dropped; both are
counted in ``problems``. The optional ``date_col``/``source_col``/``origin_col`` fill the
documents table as the readers do (a date is kept as given).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from typing import Any

from retold.config import ScanConfig
from retold.engines.spark import stages
from retold.engines.spark.session import get_session, require_pyspark

PASSAGE = "struct<a_start:bigint,a_end:bigint,b_start:bigint,b_end:bigint,score:double>"
PAIRS_SCHEMA = ("a string, b string, jaccard double, containment_a double, containment_b double, relation string, "
                f"shared bigint, coverage_a double, coverage_b double, passages array<{PASSAGE}>")
CLUSTERS_SCHEMA = "cluster bigint, representative string, members array<string>"
DOCUMENTS_SCHEMA = ("id string, chars bigint, tokens bigint, date string, source string, origin string, "
                    "status string, shingles bigint")


@dataclass(frozen=True)
class SparkScan:
    """What :func:`scan` returns: three DataFrames (sorted) and the driver-side counts."""

    pairs: Any  # DataFrame, PAIRS_SCHEMA, by (a, b)
    clusters: Any  # DataFrame, CLUSTERS_SCHEMA, by cluster
    documents: Any  # DataFrame, DOCUMENTS_SCHEMA, by id
    stats: dict[str, int]
    problems: dict[str, int]
    rounds: int  # rounds the families took


def _pick(x: tuple, y: tuple) -> tuple:
    return min(x, y, key=lambda r: (r[1], r[2] or "", r[3] or ""))


def scan(df: Any, text_col: str = "text", id_col: str = "id", *, config: ScanConfig = ScanConfig(),
         align: bool = True, partitions: int | None = None, date_col: str | None = None,
         source_col: str | None = None, origin_col: str | None = None) -> SparkScan:
    """Pairs, families and documents of the documents in ``df`` (see the module docstring).

    ``partitions``: of every shuffle (default ``spark.sql.shuffle.partitions``); results do
    not depend on it.
    """
    require_pyspark()
    spark = df.sparkSession
    parts = partitions or int(spark.conf.get("spark.sql.shuffle.partitions"))
    cols = [id_col, text_col, date_col, source_col, origin_col]
    from pyspark.sql import functions as F

    rows = df.select(*[F.col(c).cast("string") if c else F.lit(None).cast("string") for c in cols]).rdd.map(tuple)
    rows = rows.persist(stages._storage())
    total = rows.count()
    usable = rows.filter(lambda r: r[0] is not None and r[0] != "" and r[1] is not None)
    records = (usable.map(lambda r: (r[0], (r[0], r[1], r[2], r[3], r[4] or ""))).reduceByKey(_pick, parts)
               .values().persist(stages._storage()))
    kept, with_id = records.count(), usable.count()
    problems = {k: v for k, v in (("no_id_or_text", total - with_id), ("duplicate_id", with_id - kept)) if v}
    sketched = stages.sketch(records, config).persist(stages._storage())
    infos = sketched.mapValues(lambda v: v[0]).persist(stages._storage())
    pairs, stats = stages.find_pairs(sketched, config, parts)
    if align:
        texts = records.map(lambda r: (r[0], r[1]))
        pairs = stages.align(pairs, texts, config.align, parts).persist(stages._storage())
        pairs.count()
    clusters, rounds = stages.families(pairs, infos, config.cluster, parts)
    rows.unpersist()
    return SparkScan(
        spark.createDataFrame(pairs.map(_pair_row), PAIRS_SCHEMA).orderBy("a", "b"),
        spark.createDataFrame(clusters.map(lambda c: (c.cluster, c.representative, list(c.members))),
                              CLUSTERS_SCHEMA).orderBy("cluster"),
        spark.createDataFrame(infos.values().map(_doc_row), DOCUMENTS_SCHEMA).orderBy("id"),
        stats, problems, rounds)


def _pair_row(p: Any) -> tuple:
    passages = None if p.passages is None else [(x.a_start, x.a_end, x.b_start, x.b_end, x.score) for x in p.passages]
    return (p.a, p.b, p.jaccard, p.containment_a, p.containment_b, p.relation, p.shared, p.coverage_a,
            p.coverage_b, passages)


def _doc_row(d: Any) -> tuple:
    return (d.id, d.chars, d.tokens, d.date, d.source, d.origin, d.status, d.shingles)


def _read(spark: Any, paths: list[str], fmt: str | None) -> Any:
    kinds = {p.rsplit(".", 1)[-1].lower() for p in paths}
    kind = fmt or (kinds.pop() if len(kinds) == 1 else "")
    if kind == "parquet":
        return spark.read.parquet(*paths)
    if kind in ("jsonl", "json", "gz"):
        return spark.read.json(list(paths))
    if kind == "csv":
        return spark.read.option("header", True).option("multiLine", True).option("escape", '"').csv(list(paths))
    raise SystemExit(f"retold.spark: cannot tell the input format of {paths}; give --input-format")


def main(argv: list[str] | None = None) -> int:
    """``python -m retold.spark scan INPUT... --out DIR`` (also under ``spark-submit``)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m retold.spark", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("scan", help="find pairs and families; write documents/, pairs/, clusters/, summary.json")
    p.add_argument("inputs", nargs="+", help="Parquet, JSON Lines or CSV files (any path Spark reads)")
    p.add_argument("--out", required=True)
    p.add_argument("--format", choices=("parquet", "jsonl"), default="parquet")
    p.add_argument("--input-format", choices=("parquet", "jsonl", "csv"))
    p.add_argument("--id-field", default="id")
    p.add_argument("--text-field", default="text")
    p.add_argument("--date-field")
    p.add_argument("--source-field")
    p.add_argument("--master", help="default: from spark-submit, else local[2]")
    p.add_argument("--partitions", type=int, help="partitions of every shuffle (default: spark.sql.shuffle.partitions)")
    p.add_argument("--no-align", action="store_true", help="skip passage alignment")
    args = parser.parse_args(argv)
    # under spark-submit the master and settings come from it (PythonRunner sets the gateway port)
    spark = get_session(args.master or (None if "PYSPARK_GATEWAY_PORT" in os.environ else "local[2]"))
    df = _read(spark, args.inputs, args.input_format)
    found = scan(df, args.text_field, args.id_field, align=not args.no_align, partitions=args.partitions,
                 date_col=args.date_field, source_col=args.source_field)
    out = args.out.rstrip("/")
    for name in ("documents", "pairs", "clusters"):
        table = getattr(found, name)
        writer = table.write.mode("overwrite")
        (writer.parquet if args.format == "parquet" else writer.json)(f"{out}/{name}")
    counts = {"documents": found.documents.count(), "pairs": found.pairs.count(),
              "clusters": found.clusters.count(), "problems": found.problems, "family_rounds": found.rounds}
    summary = json.dumps({"counts": counts, "stats": found.stats, "parameters": ScanConfig().to_dict()}, indent=2)
    jvm_path = spark.sparkContext._jvm.org.apache.hadoop.fs.Path(f"{out}/summary.json")
    fs = jvm_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    stream = fs.create(jvm_path, True)
    stream.write(bytearray(summary.encode()))
    stream.close()
    print(f"{counts['documents']} documents, {counts['pairs']} pairs, {counts['clusters']} families -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
