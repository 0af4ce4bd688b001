"""The Spark engine beyond the parity suite: families computed in rounds on Spark equal the
sequential star rule, the DataFrame API gives the local engine's rows, results do not
depend on partitioning, and a missing PySpark says what to install."""

from __future__ import annotations

import random
import sys
from dataclasses import replace

import pytest

import retold
from retold.config import ScanConfig
from retold.engines import LocalEngine, make_engine
from retold.errors import MissingDependency
from retold.families import cluster
from retold.models import DocInfo, Pair

from test_parity import CASES, _tables, _with_origins


def test_a_missing_pyspark_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)
    with pytest.raises(MissingDependency, match=r"pip install 'retold\[spark\]'"):
        make_engine("spark")


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark")
    from retold.engines.spark.session import get_session

    return get_session("local[2]")


def _graph(seed: int) -> tuple[list[Pair], list[DocInfo]]:
    """A random version graph with many priority ties (degrees and sizes repeat)."""
    rng = random.Random(seed)
    n = rng.randint(2, 40)
    ids = [f"d{i:02d}" for i in range(n)]
    docs = [DocInfo(i, 100 + rng.randint(0, 3), 50, rng.choice([None, "2024-01-02", "2023-05-06T10:00:00"]), None, i,
                    "ok", rng.randint(1, 3)) for i in ids]
    edges = {tuple(sorted(rng.sample(ids, 2))) for _ in range(rng.randint(1, 3 * n))}
    relations = ["duplicate", "contains", "contained", "overlap"]
    pairs = [Pair(a, b, 0.5, 0.5, 0.5, rng.choice(relations), 10) for a, b in sorted(edges)]
    return pairs, docs


@pytest.mark.spark
def test_families_in_rounds_equal_the_sequential_stars(spark):
    from retold.engines.spark.stages import families

    sc = spark.sparkContext
    for seed in range(3):
        pairs, docs = _graph(seed)
        config = ScanConfig().cluster
        got, rounds = families(sc.parallelize(pairs, 3), sc.parallelize([(d.id, d) for d in docs], 2), config, 3)
        assert tuple(got.collect()) == cluster(pairs, docs, config), seed
        assert rounds >= 1 or not any(p.relation in config.relations for p in pairs)


def _frame(spark, docs):
    rows = [(d.id, d.text, d.date, d.source, d.origin) for d in docs]
    return spark.createDataFrame(rows, "id string, text string, date string, source string, origin string")


@pytest.mark.spark
@pytest.mark.parametrize("case", list(CASES))
def test_the_dataframe_api_gives_the_local_rows(case, spark, prose):
    from retold.spark import scan

    docs = _with_origins(CASES[case](prose))
    ref = retold.scan(docs, engine=LocalEngine(workers=1))
    found = scan(_frame(spark, list(reversed(docs))), date_col="date", source_col="source", origin_col="origin",
                 partitions=2)
    pairs = [r.asDict(recursive=True) for r in found.pairs.collect()]
    assert [(p["a"], p["b"], p["relation"], p["jaccard"], p["coverage_a"], p["coverage_b"], p["shared"])
            for p in pairs] == [(p.a, p.b, p.relation, p.jaccard, p.coverage_a, p.coverage_b, p.shared) for p in ref.pairs]
    assert [[tuple(x.values()) for x in p["passages"]] for p in pairs] == [
        [(x.a_start, x.a_end, x.b_start, x.b_end, x.score) for x in p.passages] for p in ref.pairs]
    clusters = [(r.cluster, r.representative, tuple(r.members)) for r in found.clusters.collect()]
    assert clusters == [(c.cluster, c.representative, c.members) for c in ref.clusters]
    documents = [DocInfo(**r.asDict()) for r in found.documents.collect()]
    assert tuple(documents) == ref.documents
    assert found.stats == dict(ref.stats)
    assert found.problems == {}


@pytest.mark.spark
def test_partitioning_does_not_show_in_the_tables(spark, prose, tmp_path):
    from retold.engines.spark import SparkEngine

    docs = _with_origins(CASES["reprints"](prose))
    one = retold.scan(docs, engine=SparkEngine(spark, partitions=1))
    five = retold.scan(list(reversed(docs)), engine=SparkEngine(spark, partitions=5))
    assert _tables(one, tmp_path / "one") == _tables(five, tmp_path / "five")


@pytest.mark.spark
def test_duplicate_ids_keep_one_record_whatever_the_order(spark, prose):
    from retold.spark import scan

    docs = _with_origins(CASES["reprints"](prose))[:6]
    twin = replace(docs[0], text=docs[1].text)
    for order in (docs + [twin], [twin] + docs):
        found = scan(_frame(spark, order), align=False, partitions=2)
        assert found.problems == {"duplicate_id": 1}
        assert found.documents.count() == len(docs)


@pytest.mark.spark
def test_the_command_line_runs_on_spark_and_writes_the_local_tables(spark, tmp_path):
    """`retold scan --engine spark` on the seeds: the same files as the local engine."""
    from click.testing import CliRunner

    from retold.cli import main

    from conftest import SEEDS

    runner = CliRunner()
    for engine in ("local", "spark"):
        res = runner.invoke(main, ["scan", str(SEEDS), "--out", str(tmp_path / engine), "--engine", engine, "-q",
                                   "--workers", "2"])
        assert res.exit_code == 0, res.output
    for name in ("documents.jsonl", "pairs.jsonl", "clusters.jsonl", "problems.jsonl"):
        assert (tmp_path / "spark" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()
