"""The output tables, field by field (the contract of docs/formats.md)."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

import retold
from retold import Document

from conftest import SEED_LONG, SEED_SHORT


def run(tmp_path, seed_texts, fmt="jsonl"):
    docs = [Document(n, t, date="2020-04-10" if n == SEED_SHORT else None, source="s") for n, t in seed_texts.items()]
    docs.append(Document("empty", "   "))
    res = retold.scan(docs, workers=1)
    paths = retold.write_result(res, tmp_path / "out", fmt)
    return res, paths


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_jsonl_tables(tmp_path, seed_texts):
    res, paths = run(tmp_path, seed_texts)
    docs = read_jsonl(paths["documents"])
    assert [list(d) for d in docs][0] == ["id", "chars", "tokens", "date", "source", "origin", "status", "shingles",
                                      "cluster"]
    assert [d["id"] for d in docs] == sorted([SEED_LONG, SEED_SHORT, "empty"])
    short = next(d for d in docs if d["id"] == SEED_SHORT)
    assert short["chars"] == len(seed_texts[SEED_SHORT]) and short["date"] == "2020-04-10"
    assert [d["cluster"] for d in docs] == [0, 0, None]  # "empty" is in no family
    assert next(d for d in docs if d["id"] == "empty")["status"] == "empty"
    (pair,) = read_jsonl(paths["pairs"])
    assert list(pair) == ["a", "b", "jaccard", "containment_a", "containment_b", "coverage_a", "coverage_b",
                          "relation", "shared", "passages", "aligned_chars_a", "aligned_chars_b"]
    for p in pair["passages"]:
        assert list(p) == ["a_start", "a_end", "b_start", "b_end", "score"]
        assert seed_texts[SEED_LONG][p["a_start"]:p["a_end"]] and 0 < p["score"] <= 1
    assert pair["aligned_chars_b"] == sum(p["b_end"] - p["b_start"] for p in pair["passages"])
    assert (pair["a"], pair["b"], pair["relation"]) == (SEED_LONG, SEED_SHORT, "contains")
    assert all(len(str(pair[k]).split(".")[-1]) <= 4 for k in ("jaccard", "containment_a", "containment_b"))
    (cl,) = read_jsonl(paths["clusters"])
    assert cl == {"cluster": 0, "representative": SEED_SHORT, "members": [SEED_LONG, SEED_SHORT]}
    summary = json.loads(paths["summary"].read_text())
    assert summary["counts"]["documents"] == 3 and summary["counts"]["pairs_by_relation"] == {"contains": 1}
    assert summary["parameters"]["shingle"]["size"] == 5
    assert set(summary["timings_s"]) >= {"read_sketch", "candidates", "verify", "cluster", "total"}
    assert summary["retold_version"] == retold.__version__
    assert paths["problems"].read_text() == ""


def test_parquet_tables_hold_the_same_rows(tmp_path, seed_texts):
    _, jp = run(tmp_path / "j", seed_texts, "jsonl")
    _, pp = run(tmp_path / "p", seed_texts, "parquet")
    for name in ("documents", "pairs", "clusters"):
        rows = pq.read_table(pp[name]).to_pylist()
        expected = read_jsonl(jp[name])
        assert [{k: v for k, v in r.items() if k in e} for r, e in zip(rows, expected)] == expected
