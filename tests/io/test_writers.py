"""The output tables, field by field (the contract of docs/formats.md)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings, strategies as st

import retold
from retold import Document
from retold.errors import ConfigError
from retold.io import atomic
from retold.io.records import dumps, write_records
from retold.io.writers import pair_line, pair_lines, pair_row
from retold.models import Pair, PairTable, Passage
from retold.report.html import render_report

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


# ------------------------------------------------------------------------------------ atomic writes


def test_files_are_created_with_the_umask_not_private(tmp_path, seed_texts):
    """Temporaries are renamed into place, so they must get the mode an ordinary new file gets."""
    old = os.umask(0o027)
    try:
        _, paths = run(tmp_path, seed_texts)
        html = render_report(retold.scan([Document(n, t) for n, t in seed_texts.items()], workers=1), seed_texts,
                             tmp_path / "r.html").path
    finally:
        os.umask(old)
    for path in [*paths.values(), html]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o640, path


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="names descriptors through /proc")
def test_every_file_is_synced_before_any_is_renamed(tmp_path, seed_texts, monkeypatch):
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        name = Path(os.readlink(f"/proc/self/fd/{fd}")).name
        events.append(("fsync", name))
        real_fsync(fd)

    def replace(src, dst) -> None:
        events.append(("replace", Path(dst).name))
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    monkeypatch.setattr(atomic.os, "replace", replace)
    run(tmp_path, seed_texts)
    files = [e for e in events if e[1] != "out"]  # the directory's own fsync comes after the renames
    names = ["documents.jsonl", "pairs.jsonl", "clusters.jsonl", "problems.jsonl", "summary.json"]
    assert [k for k, _ in files] == ["fsync"] * 5 + ["replace"] * 5
    assert [n for k, n in files if k == "replace"] == names
    assert all(atomic.is_temporary(n) and n[1:].startswith(dst) for (_, n), dst in zip(files[:5], names))
    assert events[-1] == ("fsync", "out")


def _rows_then_fail(n: int):
    for i in range(n):
        yield {"id": str(i), "text": f"record {i}"}
    raise ValueError("the input broke")


@pytest.mark.parametrize("name", ["part.jsonl", "part.jsonl.gz", "part.jsonl.zst", "part.parquet"])
def test_rows_that_raise_leave_the_previous_file(tmp_path, name):
    path = tmp_path / name
    fmt = "parquet" if name.endswith(".parquet") else "jsonl"
    assert write_records(({"id": str(i), "text": "old"} for i in range(3)), path, fmt) == 3
    before = path.read_bytes()
    with pytest.raises(ValueError, match="the input broke"):  # not turned into an output error
        write_records(_rows_then_fail(10_000), path, fmt)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [name]
    assert write_records(({"id": str(i), "text": "new"} for i in range(3)), tmp_path / f"again.{name}", fmt) == 3
    assert write_records(({"id": str(i), "text": "new"} for i in range(3)), path, fmt) == 3
    assert path.read_bytes() == (tmp_path / f"again.{name}").read_bytes()  # same rows, same bytes


def test_an_unknown_format_writes_nothing(tmp_path, seed_texts):
    res = retold.scan([Document(n, t) for n, t in seed_texts.items()], workers=1)
    with pytest.raises(ConfigError):
        retold.write_result(res, tmp_path / "out", "csv")
    assert not (tmp_path / "out").exists()


_floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -0.0, 1e-7, 0.1 + 0.2, 1e16]),
                    st.floats(0, 1).map(np.float64))
_passages = st.lists(st.builds(Passage, st.integers(0, 10**9), st.integers(0, 10**9), st.integers(0, 10**9),
                               st.integers(0, 10**9), _floats), max_size=4).map(tuple)


@settings(max_examples=300, deadline=None)
@given(st.builds(Pair, st.text(), st.text(), _floats, _floats, _floats, st.sampled_from(["duplicate", "overlap", 'a"b\\\n']),
                 st.integers(0, 10**12), st.none() | _passages, _floats, _floats))
def test_pair_line_is_the_json_line_of_pair_row(pair):
    """The fast pairs writer writes exactly what the JSON encoder writes for the row."""
    assert pair_line(pair) == dumps(pair_row(pair))


_pair = st.builds(Pair, st.text(max_size=3), st.text(max_size=3), _floats, _floats, _floats,
                  st.sampled_from(["duplicate", "overlap", 'a"b\\\n']), st.integers(0, 10**12), st.none(), _floats, _floats)


@settings(max_examples=200, deadline=None)
@given(st.lists(_pair, max_size=6), st.booleans(), st.data())
def test_a_table_of_pairs_writes_the_lines_of_its_pairs(pairs, aligned, data):
    """Written from its columns, a PairTable gives the lines of its pairs one by one (ids
    shared between pairs, scores not finite, passages or none, unrounded passage scores)."""
    if aligned:
        pairs = [p.with_passages(data.draw(_passages)) for p in pairs]
    table = PairTable.of(pairs)
    assert list(pair_lines(table)) == [pair_line(p) for p in pairs]
    assert list(pair_lines(pairs)) == [pair_line(p) for p in pairs]


def test_a_table_is_written_a_block_at_a_time(monkeypatch):
    """Blocks of two pairs (passages counted across block ends) give the same lines as one."""
    import retold.io.writers as writers

    passages = [(), (Passage(0, 5, 2, 7, 0.12345),), (Passage(1, 2, 3, 4, 1.0), Passage(5, 9, 6, 10, 0.5))]
    pairs = [Pair(f"d{k}", f"d{k + 1}", 0.5, 0.25, 1.0, "overlap", k, passages[k % 3], 0.1, 0.2) for k in range(7)]
    expected = [pair_line(p) for p in pairs]
    monkeypatch.setattr(writers, "PAIR_BLOCK", 2)
    assert list(pair_lines(PairTable.of(pairs))) == expected
    assert '"score": 0.1235' in expected[1] and '"aligned_chars_a": 5, "aligned_chars_b": 5' in expected[2]


def test_a_block_holds_a_bounded_number_of_passages(monkeypatch):
    """Blocks cut at PASSAGE_BLOCK passages (a pair with more is a block of its own) give
    the same lines as one block: long documents' many passages are not held at once."""
    import retold.io.writers as writers

    passages = [(), (Passage(0, 5, 2, 7, 0.25),), tuple(Passage(k, k + 1, k, k + 1, 0.5) for k in range(0, 10, 2))]
    pairs = [Pair(f"d{k}", f"d{k + 1}", 0.5, 0.25, 1.0, "overlap", k, passages[k % 3], 0.5, 0.5) for k in range(8)]
    expected = [pair_line(p) for p in pairs]
    table = PairTable.of(pairs)
    blocks: list[tuple[int, int]] = []
    real = writers._FastLines.block

    def spy(self, lo, hi):
        blocks.append((lo, hi))
        return real(self, lo, hi)

    monkeypatch.setattr(writers, "PASSAGE_BLOCK", 2)
    monkeypatch.setattr(writers._FastLines, "block", spy)
    assert list(pair_lines(table)) == expected
    firsts = table.passage_offsets.tolist()
    assert [b[0] for b in blocks] == [0] + [b[1] for b in blocks[:-1]] and blocks[-1][1] == len(pairs)
    assert all(firsts[hi] - firsts[lo] <= 2 or hi - lo == 1 for lo, hi in blocks)
    assert (2, 3) in blocks  # five passages: a block of one pair


_rounded = st.integers(0, 10**4).map(lambda k: k / 10**4)
_rounded_passages = st.lists(st.builds(Passage, st.integers(0, 10**9), st.integers(0, 10**9), st.integers(0, 10**9),
                                       st.integers(0, 10**9), _rounded | st.floats(0, 1)), max_size=4).map(tuple)
_rounded_pair = st.builds(Pair, st.text(max_size=4), st.text(max_size=4), _rounded, _rounded, _rounded,
                          st.sampled_from(["duplicate", "overlap", 'a"b\\\n\u2028']), st.integers(0, 10**12), st.none(),
                          _rounded, _rounded)


@settings(max_examples=200, deadline=None)
@given(st.lists(_rounded_pair, min_size=1, max_size=6), st.booleans(), st.data())
def test_the_compiled_writer_writes_the_lines_of_the_pairs(pairs, aligned, data):
    """Scores in [0, 1] rounded to 4 decimals (what a scan writes; passage scores are
    rounded on the way) go through the compiled writer, whose text is the per-pair
    writer's: ids of any text (escapes, line separators, lone surrogates), passages or none."""
    from unittest.mock import patch

    import retold.io.writers as writers

    if aligned:
        pairs = [p.with_passages(data.draw(_rounded_passages)) for p in pairs]
    real = writers._lines.pair_block
    calls: list[int] = []

    def spy(*args):
        calls.append(1)
        return real(*args)

    with patch.object(writers._lines, "pair_block", spy):
        assert list(pair_lines(PairTable.of(pairs))) == [pair_line(p) for p in pairs]
    assert calls  # the compiled writer wrote them
