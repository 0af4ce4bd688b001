"""On Spark with four threads and a task that fails on its first attempt, the tables are
still the local engine's; and ``python -m retold.spark scan`` (the spark-submit entry) finds
the same pairs and families on the seeds."""

from __future__ import annotations

import json

import pytest

import retold
from retold.engines import LocalEngine

from conftest import SEEDS
from test_parity import CASES, _tables, _with_origins


@pytest.fixture(scope="module")
def spark4(tmp_path_factory):
    """A fresh local[4, 2] session (4 threads, a task may fail once) whose first sketching task fails."""
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    from retold.engines.spark.session import get_session
    from retold.engines.spark.stages import FAIL_FIRST_ATTEMPT

    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()
    marks = tmp_path_factory.mktemp("failures")
    session = get_session("local[4,2]", conf={f"spark.executorEnv.{FAIL_FIRST_ATTEMPT}": str(marks)})
    yield session, marks
    session.stop()


@pytest.mark.spark
def test_four_threads_and_a_retried_task_write_the_local_tables(spark4, prose, tmp_path):
    from retold.engines.spark import SparkEngine

    session, marks = spark4
    docs = _with_origins(CASES["reprints"](prose))
    local = retold.scan(docs, engine=LocalEngine(workers=1))
    on_spark = retold.scan(list(reversed(docs)), engine=SparkEngine(session, partitions=4))
    assert (marks / "failed").exists()  # a first attempt did fail, and was retried
    assert _tables(on_spark, tmp_path / "spark") == _tables(local, tmp_path / "local")


@pytest.mark.spark
def test_the_spark_submit_entry_finds_the_local_pairs_and_families(spark4, tmp_path):
    from retold import spark as retold_spark

    rows = [{"id": p.name, "text": p.read_text(encoding="utf-8")} for p in sorted(SEEDS.glob("*.txt"))]
    src = tmp_path / "seeds.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out"
    assert retold_spark.main(["scan", str(src), "--out", str(out), "--format", "jsonl", "--input-format", "jsonl"]) == 0
    pairs = [json.loads(line) for f in sorted((out / "pairs").glob("part-*")) for line in f.read_text().splitlines()]
    local = retold.scan(rows, workers=1)
    assert [(p["a"], p["b"], p["relation"], p["jaccard"]) for p in pairs] == [
        (p.a, p.b, p.relation, p.jaccard) for p in local.pairs]
    clusters = [json.loads(line) for f in sorted((out / "clusters").glob("part-*")) for line in f.read_text().splitlines()]
    assert [c["members"] for c in clusters] == [list(c.members) for c in local.clusters]
    assert json.loads((out / "summary.json").read_text())["counts"]["clusters"] == 1
