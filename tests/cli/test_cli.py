"""The `retold` command: the quick-start job, determinism, bad input, help everywhere."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import retold
from retold.cli import main

from conftest import SEED_LONG, SEED_SHORT, SEEDS, make_doc


def invoke(*args: str, ok: bool = True, code: int = 0):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == code, result.output
    return result


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def test_scan_seed_directory(tmp_path):
    res = invoke("scan", SEEDS, "--out", tmp_path / "r", "--workers", "1")
    (pair,) = read_jsonl(tmp_path / "r" / "pairs.jsonl")
    assert (pair["a"], pair["b"]) == (SEED_LONG, SEED_SHORT)
    assert pair["relation"] == "contains" and pair["containment_b"] >= 0.85
    (cl,) = read_jsonl(tmp_path / "r" / "clusters.jsonl")
    assert cl["members"] == [SEED_LONG, SEED_SHORT]
    assert "1 family," in res.output and "Largest families" in res.output
    docs = read_jsonl(tmp_path / "r" / "documents.jsonl")
    assert [d["origin"] for d in docs] == [f"examples/news/{SEED_LONG}", f"examples/news/{SEED_SHORT}"]


def _corpus(tmp_path: Path, prose: list[str]) -> list[Path]:
    """Three JSONL files holding the seeds, an edited family and unrelated documents."""
    base = make_doc(prose, 0, 300)
    recs = [{"id": p.name, "text": p.read_text(encoding="utf-8"), "date": "2020-04-10"} for p in sorted(SEEDS.glob("*.txt"))]
    recs += [{"id": f"copy{i}", "text": base.replace(" the ", " a ", i + 1), "source": f"outlet{i}"} for i in range(5)]
    recs += [{"id": f"other{i}", "text": make_doc(prose, 40 + 9 * i, 250)} for i in range(9)]
    paths = []
    for k in range(3):
        p = tmp_path / f"part{k}.jsonl"
        p.write_text("".join(json.dumps(r) + "\n" for r in recs[k::3]), encoding="utf-8")
        paths.append(p)
    return paths


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_output_is_byte_identical_across_workers_and_input_order(tmp_path, prose, fmt):
    paths = _corpus(tmp_path, prose)
    invoke("scan", *paths, "--out", tmp_path / "w1", "--workers", "1", "--format", fmt, "-q")
    invoke("scan", *reversed(paths), "--out", tmp_path / "w2", "--workers", "2", "--format", fmt, "-q")
    names = ["documents", "pairs", "clusters", "problems"]
    for name in names:
        a = (tmp_path / "w1" / f"{name}.{fmt}").read_bytes()
        assert a == (tmp_path / "w2" / f"{name}.{fmt}").read_bytes(), name
    s1, s2 = (json.loads((tmp_path / d / "summary.json").read_text()) for d in ("w1", "w2"))
    s1.pop("timings_s"), s2.pop("timings_s")
    assert s1 == s2
    assert s1["counts"]["clusters"] == 2 and s1["counts"]["largest_cluster"] == 5


def test_bad_input_is_reported_and_the_rest_processed(tmp_path, seed_texts):
    good = tmp_path / "a_good.jsonl"  # read first (canonical order): its seed ids win over later duplicates
    good.write_text("".join(json.dumps({"id": n, "text": t}) + "\n" for n, t in seed_texts.items()), encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(
        b'{"id": "ok1", "text": "fine text"}\n'
        b'{"id": "nt"}\n'
        b'{"id": "bad\xff", "text": "x"}\n'
        b'not json at all\n'
        b'{"id": "' + SEED_LONG.encode() + b'", "text": "again"}\n'
    )
    notutf = tmp_path / "latin1.txt"
    notutf.write_bytes("caf\xe9".encode("latin-1"))
    gz = tmp_path / "broken.jsonl.gz"
    gz.write_bytes(gzip.compress(b'{"id": "g", "text": "t"}\n')[:-12])
    res = invoke("scan", good, bad, notutf, gz, "--out", tmp_path / "r", "--workers", "1")
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    by_reason = summary["counts"]["skipped_by_reason"]
    assert by_reason == {"bad_record": 1, "duplicate_id": 1, "no_text": 1, "not_utf8": 2, "unreadable": 1}, by_reason
    assert summary["counts"]["pairs"] == 1  # the seeds still found
    problems = read_jsonl(tmp_path / "r" / "problems.jsonl")
    assert len(problems) == 6
    assert all(p["origin"].split(":")[0].endswith((".jsonl", ".txt", ".gz")) for p in problems)
    assert "bad.jsonl:2" in res.output or "bad.jsonl:2" in json.dumps(problems)
    strict = CliRunner().invoke(main, ["scan", str(good), str(bad), "--out", str(tmp_path / "s"), "--strict"])
    assert strict.exit_code == 1 and "error:" in strict.output and "bad.jsonl" in strict.output


def test_dedup_keeps_one_per_family(tmp_path, prose):
    paths = _corpus(tmp_path, prose)
    invoke("dedup", *paths, "--out", tmp_path / "d" / "kept.jsonl", "--workers", "1")
    kept = read_jsonl(tmp_path / "d" / "kept.jsonl")
    removed = read_jsonl(tmp_path / "d" / "removed.jsonl")
    ids = {r["id"] for r in kept}
    assert len(kept) + len(removed) == 16
    assert SEED_LONG in ids and SEED_SHORT not in ids  # same date: the longest wins
    assert sum(i.startswith("copy") for i in ids) == 1
    assert {r["id"] for r in removed} == {SEED_SHORT} | {f"copy{i}" for i in range(5)} - ids
    assert all(r["duplicate_of"] in ids for r in removed)
    # kept records carry their original fields
    assert next(r for r in kept if r["id"] == SEED_LONG)["date"] == "2020-04-10"
    # parquet out
    invoke("dedup", *paths, "--out", tmp_path / "p" / "kept.parquet", "-q")
    import pyarrow.parquet as pq

    assert sorted(pq.read_table(tmp_path / "p" / "kept.parquet").column("id").to_pylist()) == sorted(ids)


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, cmd in group.commands.items():
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, prefix + (name,))


def test_every_command_has_help():
    for path, cmd in _commands(main):
        assert cmd.help, f"retold {' '.join(path)} has no help text"
        out = invoke(*path, "--help").output
        assert "Usage:" in out


def test_version():
    assert retold.__version__ in invoke("--version").output


def test_missing_input_is_a_clean_error(tmp_path):
    res = CliRunner().invoke(main, ["scan", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "r")])
    assert res.exit_code != 0 and "nope.jsonl" in res.output and "Traceback" not in res.output


def test_parquet_input_and_dedup_output_follow_the_input(tmp_path, seed_texts):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{"doc": n, "body": t, "outlet": n[:3]} for n, t in seed_texts.items()]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "in.parquet", row_group_size=1)
    invoke("scan", tmp_path / "in.parquet", "--id-field", "doc", "--text-field", "body", "--source-field", "outlet",
           "--out", tmp_path / "r", "--format", "parquet", "-q")
    pairs = pq.read_table(tmp_path / "r" / "pairs.parquet").to_pylist()
    assert [(p["a"], p["b"], p["relation"]) for p in pairs] == [(SEED_LONG, SEED_SHORT, "contains")]
    docs = pq.read_table(tmp_path / "r" / "documents.parquet").to_pylist()
    assert [d["origin"].rsplit("#", 1)[1] for d in docs] == ["0", "1"] and docs[0]["source"] == "000"
    invoke("dedup", tmp_path / "in.parquet", "--id-field", "doc", "--text-field", "body", "--out", tmp_path / "d" / "kept", "-q")
    kept = pq.read_table(tmp_path / "d" / "kept").to_pylist()  # no suffix: the input's format
    # the records as they were read: the user's field names and columns
    assert kept == [rows[0]] and rows[0]["doc"] == SEED_LONG


def test_diff_of_the_seeds():
    a, b = SEEDS / SEED_LONG, SEEDS / SEED_SHORT
    text = " ".join(invoke("diff", a, b, "--colour", code=1).output.split())
    assert "+Press TV wrote on Friday" in text
    assert "ceasefire -> cease-fire" in text and "oil fields -> oilfields" in text
    ops = json.loads(invoke("diff", a, b, "--json", code=1).output)["ops"]
    inserted = [o for o in ops if o["op"] == "insert" and "Press TV wrote on Friday" in o["b_text"]]
    assert inserted and SEEDS.joinpath(SEED_SHORT).read_text(encoding="utf-8")[
        inserted[0]["b_start"]:inserted[0]["b_end"]] == inserted[0]["b_text"]
    ignoring = json.loads(invoke("diff", a, b, "--json", "--ignore-hyphenation", code=1).output)["ops"]
    assert not any("cease-fire" in o["b_text"] for o in ignoring if o["op"] == "replace")


def test_diff_errors_are_clean(tmp_path):
    res = CliRunner().invoke(main, ["diff", str(tmp_path / "x.txt"), str(SEEDS / SEED_LONG)])
    assert res.exit_code == 2 and "no such file" in res.output  # 2: trouble, as diff (1: the texts differ)


def test_scan_of_an_index_equals_scan_of_its_inputs(tmp_path, prose):
    paths = _corpus(tmp_path, prose)
    db = tmp_path / "news.retold"
    invoke("index", "add", paths[0], "--db", db, "-q")
    invoke("index", "add", paths[2], paths[1], "--db", db, "-q")
    invoke("scan", "--db", db, "--out", tmp_path / "from_db", "-q")
    invoke("scan", *paths, "--out", tmp_path / "from_files", "-q")
    for name in ("pairs", "clusters"):
        assert (tmp_path / "from_db" / f"{name}.jsonl").read_bytes() == (tmp_path / "from_files" / f"{name}.jsonl").read_bytes()
    res = CliRunner().invoke(main, ["scan", "--out", str(tmp_path / "x")])
    assert res.exit_code == 2 and "INPUTS or --db" in res.output


def test_scan_report_and_report_command_write_the_same_page(tmp_path):
    invoke("scan", SEEDS, "--out", tmp_path / "r", "--report", tmp_path / "a.html", "-q")
    res = invoke("report", tmp_path / "r", "-o", tmp_path / "b.html")
    assert "1 pair, 1 family" in res.output
    page = (tmp_path / "a.html").read_text(encoding="utf-8")
    assert page == (tmp_path / "b.html").read_text(encoding="utf-8")
    assert "Press TV wrote on Friday" in page and "http://" not in page and "https://" not in page
