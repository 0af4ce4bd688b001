"""A CLI a newcomer can trust: exit codes, clean errors, nothing overwritten.

Each test runs the command as a user would (click's CliRunner on ``retold.cli.main``)
and asserts the message and the exit code; no test measures time.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

import retold
from retold.cli import main

from conftest import SEED_LONG, SEED_SHORT, SEEDS


def run(*args: object, code: int | None = 0, input: str | bytes | None = None) -> Result:
    """Invoke ``retold ARGS``; assert the exit code (unless None) and that no traceback is printed."""
    res = CliRunner().invoke(main, [str(a) for a in args], input=input)
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output, res.output
    if code is not None:
        assert res.exit_code == code, res.output
    return res


def flat(res: Result) -> str:
    """The output on one line (rich may wrap long lines)."""
    return " ".join(res.output.split())


def seed_records() -> list[dict[str, Any]]:
    """The two seed articles as records."""
    return [{"id": p.name, "text": p.read_text(encoding="utf-8")} for p in sorted(SEEDS.iterdir())]


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    """``records`` as JSON Lines at ``path`` (gzip when it ends in .gz)."""
    data = "".join(json.dumps(r) + "\n" for r in records).encode("utf-8")
    path.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)
    return path


# ---------------------------------------------------------------------------- outputs


def test_scan_into_an_existing_file_stops_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "existing.txt").write_text("mine")
    res = run("scan", SEEDS, "--out", tmp_path / "existing.txt", "--workers", "1", code=1)
    assert "existing.txt exists and is not a directory" in flat(res)
    assert "read+sketch" not in res.output and len(res.output.strip().splitlines()) == 1
    assert (tmp_path / "existing.txt").read_text() == "mine"


def test_dedup_into_a_directory_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    res = run("dedup", SEEDS, "--out", tmp_path / "d", "--workers", "1", code=1)
    assert "is a directory" in flat(res) and "read+sketch" not in res.output


def test_dedup_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    kept = tmp_path / "kept.jsonl"
    kept.write_text("precious\n")
    res = run("dedup", SEEDS, "--out", kept, "--workers", "1", code=1)
    assert "kept.jsonl exists" in flat(res) and "--force" in flat(res)
    assert kept.read_text() == "precious\n"
    run("dedup", SEEDS, "--out", kept, "--workers", "1", "--force", "-q")
    assert kept.read_text() != "precious\n" and (tmp_path / "removed.jsonl").exists()


def test_a_second_dedup_in_the_same_folder_keeps_the_first_removals(tmp_path: Path) -> None:
    run("dedup", SEEDS, "--out", tmp_path / "first.jsonl", "--workers", "1", "-q")
    removed = (tmp_path / "removed.jsonl").read_bytes()
    res = run("dedup", SEEDS, "--out", tmp_path / "second.jsonl", "--workers", "1", code=1)
    assert "removed.jsonl exists" in flat(res) and "--force" in flat(res)
    assert not (tmp_path / "second.jsonl").exists() and (tmp_path / "removed.jsonl").read_bytes() == removed


def test_report_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    run("scan", SEEDS, "--out", tmp_path / "r", "--workers", "1", "-q")
    page = tmp_path / "existing.html"
    page.write_text("mine")
    res = run("report", tmp_path / "r", "-o", page, code=1)
    assert "existing.html exists" in flat(res) and page.read_text() == "mine"
    run("report", tmp_path / "r", "-o", page, "--force")
    assert "<html" in page.read_text(encoding="utf-8").lower()


def test_scan_refuses_a_directory_holding_a_previous_result(tmp_path: Path) -> None:
    run("scan", SEEDS, "--out", tmp_path / "r", "--workers", "1", "-q")
    before = (tmp_path / "r" / "pairs.jsonl").read_bytes()
    res = run("scan", SEEDS, "--out", tmp_path / "r", "--workers", "1", "--min-shared", "99", code=1)
    assert "holds a previous result" in flat(res) and "--force" in flat(res)
    assert (tmp_path / "r" / "pairs.jsonl").read_bytes() == before
    run("scan", SEEDS, "--out", tmp_path / "r", "--workers", "1", "--force", "-q")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("not a result")
    run("scan", SEEDS, "--out", tmp_path / "other", "--workers", "1", "-q")  # a folder without a result is fine


# ---------------------------------------------------------------------------- nothing read


def test_an_empty_directory_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    res = run("scan", tmp_path / "empty", "--out", tmp_path / "r", code=1)
    assert "nothing to read" in flat(res) and "holds no input file" in flat(res)
    assert not (tmp_path / "r").exists()


def test_an_empty_jsonl_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_bytes(b"")
    res = run("scan", tmp_path / "empty.jsonl", "--out", tmp_path / "r", code=1)
    assert "nothing to read" in flat(res) and "empty input" in flat(res)
    assert not (tmp_path / "r").exists()


def test_records_without_the_text_field_name_the_fields_they_have(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "data.jsonl", [{"id": str(i), "body": "words " * 30, "title": "t"}
                                                 for i in range(50)])
    for cmd in (("scan", data, "--out", tmp_path / "r"), ("dedup", data, "--out", tmp_path / "k.jsonl"),
                ("index", "add", data, "--db", tmp_path / "i.db")):
        res = run(*cmd, code=1)
        text = flat(res)
        assert "nothing read" in text and "50 records skipped (50 no_text)" in text, text
        assert "their fields: id, body, title" in text and "--text-field" in text
    assert not (tmp_path / "r").exists() and not (tmp_path / "k.jsonl").exists() and not (tmp_path / "i.db").exists()
    res = run("scan", data, "--out", tmp_path / "r", "--text-field", "body", "--workers", "1")
    assert "50 documents" in flat(res)


# ---------------------------------------------------------------------------- inputs


def _ids(result_dir: Path) -> list[str]:
    return [json.loads(x)["id"] for x in (result_dir / "documents.jsonl").read_text(encoding="utf-8").splitlines()]


def test_a_directory_of_shards_is_a_dataset(tmp_path: Path) -> None:
    recs = seed_records()
    shards = tmp_path / "out"
    (shards / "day2").mkdir(parents=True)
    write_jsonl(shards / "part-0.jsonl", [recs[0]])
    write_jsonl(shards / "day2" / "part-1.jsonl.gz", [{"id": "gz", "text": recs[1]["text"]}])
    pq.write_table(pa.Table.from_pylist([{"id": "pq", "text": recs[1]["text"] + " More."}]), shards / "part-2.parquet")
    (shards / "part-3.csv").write_text('id,text\ncsv,"' + recs[0]["text"].replace('"', '""') + ' End."\n',
                                       encoding="utf-8")
    (shards / "_SUCCESS").write_text("")
    run("scan", shards, "--out", tmp_path / "r", "--workers", "1", "-q")
    assert _ids(tmp_path / "r") == sorted([recs[0]["id"], "gz", "pq", "csv"])
    run("scan", shards, "--glob", "*.jsonl*", "--out", tmp_path / "g", "--workers", "1", "-q")
    assert _ids(tmp_path / "g") == sorted([recs[0]["id"], "gz"])
    res = run("scan", shards, "--glob", "*.nothing", "--out", tmp_path / "n", code=1)
    assert "no input file matches '*.nothing'" in flat(res)


def test_stdin_and_a_json_array_are_read(tmp_path: Path) -> None:
    recs = seed_records()
    lines = "".join(json.dumps(r) + "\n" for r in recs) + "not json\n"
    res = run("scan", "-", "--out", tmp_path / "s", "--workers", "1", input=lines)
    assert _ids(tmp_path / "s") == [r["id"] for r in recs] and "1 pair" in flat(res)
    assert "<stdin>:3" in flat(res)  # the bad line, reported and in the problems table
    assert "<stdin>:3" in (tmp_path / "s" / "problems.jsonl").read_text(encoding="utf-8")
    run("dedup", "-", "--out", tmp_path / "kept.jsonl", "--workers", "1", "-q", input=lines)
    kept = [json.loads(x)["id"] for x in (tmp_path / "kept.jsonl").read_text(encoding="utf-8").splitlines()]
    removed = [json.loads(x)["id"] for x in (tmp_path / "removed.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(kept + removed) == [r["id"] for r in recs] and kept == [SEED_LONG]
    assert run("scan", "-", "--out", tmp_path / "e", input="", code=1).output.count("nothing") == 1
    array = tmp_path / "records.json"
    array.write_text(json.dumps(recs + [7], indent=2), encoding="utf-8")
    res = run("scan", array, "--out", tmp_path / "j", "--workers", "1")
    assert _ids(tmp_path / "j") == [r["id"] for r in recs] and "array item 2 is a JSON int" in flat(res)
    origins = [json.loads(x)["origin"] for x in (tmp_path / "j" / "documents.jsonl").read_text().splitlines()]
    assert origins == [f"{array}:2", f"{array}:{2 + json.dumps(recs[0], indent=2).count(chr(10)) + 1}"]


def test_a_csv_quote_left_open_names_its_lines(tmp_path: Path) -> None:
    f = tmp_path / "q.csv"
    f.write_bytes(b'id,text\n1,"hello world this is\n2,"another one\n3,' + b"fine words " * 30 + b"\n")
    res = run("scan", f, "--out", tmp_path / "r", "--workers", "1")
    assert "lines 2-3" in flat(res) and "quote" in flat(res) and _ids(tmp_path / "r") == ["3"]
    res = run("scan", f, "--out", tmp_path / "r2", "--strict", code=1)
    assert "error: row is not valid CSV" in flat(res) and "lines 2-3" in flat(res)


# ---------------------------------------------------------------------------- diff


def test_diff_without_a_terminal_marks_changes_in_text_and_exits_like_diff() -> None:
    a, b = SEEDS / SEED_LONG, SEEDS / SEED_SHORT
    res = run("diff", a, b, code=1)
    text = res.output
    assert "{+Press TV wrote on Friday+}" in text and "[-ceasefire-]{+cease-fire+}" in text
    assert "\x1b[" not in text  # no colour codes in a pipe
    assert "credited only in B: Press TV" in text
    res = run("diff", a, a, code=0)
    assert "(no differences)" in res.output and "credited only" not in res.output
    assert json.loads(run("diff", a, b, "--json", code=1).output)["credited_only_in_b"] == ["Press TV"]


def test_diff_folds_stray_matched_words_into_the_change(tmp_path: Path) -> None:
    shared = "the minister said on Monday that the new bridge over the river would open in the spring"
    a = tmp_path / "a.txt"
    b = tmp_path / "b.txt"
    a.write_text(f"{shared}. Farmers in the north of the country fear a poor harvest after weeks of rain.")
    b.write_text(f"{shared}. Tickets for the concert in the capital sold out within an hour of the release.")
    folded = run("diff", a, b, code=1).output
    assert folded.count("[-") == 1 and folded.count("{+") == 1  # one replaced stretch
    scattered = run("diff", a, b, "--min-equal", "1", code=1).output
    assert scattered.count("[-") > 1  # 'in the', 'of the' matched across unrelated text


# ---------------------------------------------------------------------------- index and query


@pytest.fixture
def index_db(tmp_path: Path) -> Path:
    """An index of the seeds plus a document with a long id."""
    long_id = "a-very-long-document-identifier-" + "x" * 60 + ".txt"
    recs = seed_records() + [{"id": long_id, "text": seed_records()[1]["text"]}]
    data = write_jsonl(tmp_path / "docs.jsonl", recs)
    run("index", "add", data, "--db", tmp_path / "i.db", "--workers", "1", "-q")
    return tmp_path / "i.db"


def test_query_keeps_ids_on_one_line_and_exits_like_grep(index_db: Path) -> None:
    long_id = "a-very-long-document-identifier-" + "x" * 60 + ".txt"
    res = run("query", "--db", index_db, SEEDS / SEED_SHORT)
    assert any(line.rstrip().endswith(long_id) for line in res.output.splitlines())  # never wrapped nor cut
    res = run("query", "--db", index_db, "--text", " ".join(f"unrelated{i}" for i in range(40)), code=1)
    assert "no match" in res.output
    assert run("query", "--db", index_db, "--text", "zzz unrelated words", "--json", code=1).output


def test_parameters_an_index_cannot_take_are_explained_in_one_line(tmp_path: Path, index_db: Path) -> None:
    for cmd in (("scan", "--db", index_db, "--out", tmp_path / "r", "--shingle-size", "3"),
                ("index", "add", SEEDS, "--db", index_db, "--shingle-size", "3")):
        res = run(*cmd, code=1)
        lines = res.output.strip().splitlines()
        assert len(lines) == 1 and "--shingle-size 3 cannot apply" in lines[0], res.output
        assert "built with shingle size 5" in lines[0] and "{" not in lines[0]
    run("scan", "--db", index_db, "--out", tmp_path / "r", "--shingle-size", "5", "-q")  # the same: fine


def test_index_stats_is_a_readable_table(index_db: Path) -> None:
    res = run("index", "stats", "--db", index_db)
    text = flat(res)
    assert re.search(r"file size │ \d+\.\d KiB", text) and "built with │ shingle size 5" in text
    assert "{" not in res.output and "file_bytes" not in res.output


# ---------------------------------------------------------------------------- shape


def test_plurals_quiet_and_families(tmp_path: Path) -> None:
    res = run("scan", SEEDS, "--out", tmp_path / "r", "--workers", "1")
    text = flat(res)
    assert "2 documents (ok 2)" in text and "1 pair (contains 1)" in text and "1 family," in text
    assert "family = the cluster number" in text
    quiet = CliRunner().invoke(main, ["scan", str(SEEDS), "--out", str(tmp_path / "q"), "--workers", "1", "-q"])
    assert quiet.exit_code == 0 and quiet.stdout == ""
    res = run("index", "add", SEEDS, "--db", tmp_path / "i.db", "--workers", "1")
    assert "1 batch committed" in flat(res) and "0 problems" in flat(res)
    res = run("dedup", SEEDS, "--out", tmp_path / "k.jsonl", "--workers", "1")
    assert "kept 1 document, removed 1; wrote 1 record to" in flat(res)


def test_csv_row_with_one_field_is_singular(tmp_path: Path) -> None:
    f = tmp_path / "rows.csv"
    f.write_text("id,text\nlonely\n1," + "words " * 30 + "\n", encoding="utf-8")
    res = run("scan", f, "--out", tmp_path / "r", "--workers", "1")
    assert "row has 1 field, the header 2" in flat(res)


def test_warnings_in_natural_order(tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / "w.jsonl", [{"id": str(i), "text": "some words " * 20} if i % 2 == 0 else {"id": str(i)}
                                           for i in range(1, 13)])
    res = run("scan", f, "--out", tmp_path / "r", "--workers", "1")
    lines = [int(m.group(1)) for m in re.finditer(r"w\.jsonl:(\d+)\s", res.output.replace("\n", " "))]
    assert lines == sorted(lines) and lines[:3] == [1, 3, 5], res.output


def test_scan_result_repr_is_a_summary() -> None:
    result = retold.scan([SEEDS], workers=1)
    assert repr(result) == "ScanResult(documents=2, pairs=1, clusters=1, problems=0, provenance=no)"


def test_scan_with_provenance_fills_the_tables(tmp_path: Path) -> None:
    run("scan", SEEDS, "--out", tmp_path / "r", "--workers", "1", "--provenance", "-q")
    docs = [json.loads(x) for x in (tmp_path / "r" / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    assert all("attributions" in d for d in docs) and any(d["attributions"] for d in docs)
    (pair,) = [json.loads(x) for x in (tmp_path / "r" / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert "direction" in pair
    run("scan", SEEDS, "--out", tmp_path / "plain", "--workers", "1", "-q")
    assert "attributions" not in (tmp_path / "plain" / "documents.jsonl").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------- no traceback, anywhere


def _commands(tmp: Path, given: Path, out: Path, db: Path) -> dict[str, tuple[object, ...]]:
    """Every command, reading ``given`` and writing ``out`` (or using ``db``)."""
    return {
        "scan": ("scan", given, "--out", out, "--workers", "1"),
        "dedup": ("dedup", given, "--out", out, "--workers", "1"),
        "diff": ("diff", given, SEEDS / SEED_LONG),
        "report": ("report", given, "-o", out),
        "index add": ("index", "add", given, "--db", db, "--workers", "1"),
        "index stats": ("index", "stats", "--db", given),
        "index remove": ("index", "remove", "--db", given, "--id", "x"),
        "index check": ("index", "check", "--db", given),
        "query": ("query", "--db", db, given),
    }


@pytest.mark.parametrize("case", ["missing", "directory", "existing out", "empty"])
@pytest.mark.parametrize("command", ["scan", "dedup", "diff", "report", "index add", "index stats", "index remove",
                                     "index check", "query"])
def test_no_command_prints_a_traceback_for_a_user_mistake(tmp_path: Path, command: str, case: str) -> None:
    db = tmp_path / "i.db"
    run("index", "add", SEEDS, "--db", db, "--workers", "1", "-q")
    given: Path = {"missing": tmp_path / "missing.jsonl", "directory": tmp_path / "adir",
                   "existing out": SEEDS / SEED_SHORT, "empty": tmp_path / "empty.jsonl"}[case]
    (tmp_path / "adir").mkdir()
    (tmp_path / "empty.jsonl").write_bytes(b"")
    out = tmp_path / "out.file"
    if case == "existing out":
        out.write_text("mine")
        if command.startswith("index") and command != "index add":
            given = tmp_path / "out.file"  # an index path that holds something else
        if command == "index add":
            db = out  # --db names a file that is no index
        if command == "report":
            run("scan", SEEDS, "--out", tmp_path / "res", "--workers", "1", "-q")
            given = tmp_path / "res"
    if command == "query" and case != "existing out":
        args = ("query", "--db", given, "--text", "some words")
    else:
        args = _commands(tmp_path, given, out, db)[command]
    res = run(*args, code=None)
    if command == "diff" and case in ("existing out", "empty"):
        assert res.exit_code == 1  # two readable files (an empty one is a text too) that differ
        return
    if command == "query" and case == "existing out":
        assert res.exit_code == 0  # a readable query file that matches
        return
    assert res.exit_code in (1, 2), res.output
    assert res.output.strip().splitlines()[-1].startswith(("error:", "Error:", "Usage:")), res.output
    if case == "existing out":
        assert out.read_text() == "mine"
