"""CLI paths a user reaches that other CLI tests leave out: ``scan --db --report``, ``diff
--in`` with document ids, a non-UTF-8 file given to ``diff``, a report whose texts moved,
and the refusals of option combinations that cannot work."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner, Result
from conftest import SEED_LONG, SEED_SHORT, SEEDS

from retold.cli import main


def run(*args: object, code: int = 0) -> Result:
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output, res.output
    assert res.exit_code == code, res.output
    return res


def flat(res: Result) -> str:
    return " ".join(res.output.split())


def _corpus(tmp_path: Path) -> Path:
    src = tmp_path / "news"
    shutil.copytree(SEEDS, src)
    return src


def test_scan_of_an_index_writes_its_report_with_the_indexed_texts(tmp_path, seed_texts):
    db = tmp_path / "news.retold"
    run("index", "add", SEEDS, "--db", db, "--workers", "1", "-q")
    report = tmp_path / "report.html"
    res = run("scan", "--db", db, "--out", tmp_path / "out", "--report", report, "--workers", "1", "-q")
    assert f"report: {report}" in flat(res) and "1 pair" in flat(res) and "not found" not in flat(res)
    html = report.read_text(encoding="utf-8")
    # the report embeds the texts read from the index: a sentence of each seed is in it
    for name, text in seed_texts.items():
        sentence = text.split(".")[0].split("\n")[-1].strip()
        assert json.dumps(sentence)[1:-1][:40] in html or sentence[:40] in html, name


def test_scan_of_an_index_cannot_trace_provenance(tmp_path):
    db = tmp_path / "news.retold"
    run("index", "add", SEEDS, "--db", db, "--workers", "1", "-q")
    res = run("scan", "--db", db, "--out", tmp_path / "out", "--provenance", code=2)
    assert "--provenance needs INPUTS" in flat(res)
    assert not (tmp_path / "out").exists()


def test_dedup_without_inputs_is_a_usage_error(tmp_path):
    res = run("dedup", "--out", tmp_path / "kept.jsonl", code=2)
    assert "give at least one input" in flat(res)
    assert not (tmp_path / "kept.jsonl").exists()


def test_diff_of_two_documents_of_a_scan_result(tmp_path):
    src = _corpus(tmp_path)
    out = tmp_path / "out"
    run("scan", src, "--out", out, "--workers", "1", "-q")
    by_files = run("diff", src / SEED_LONG, src / SEED_SHORT, "--json", code=1)
    by_ids = run("diff", SEED_LONG, SEED_SHORT, "--in", out, "--json", code=1)
    ops = json.loads(by_ids.output)
    assert ops["a"] == SEED_LONG and ops["credited_only_in_b"] == ["Press TV"]
    assert ops["ops"] == json.loads(by_files.output)["ops"]
    same = run("diff", SEED_LONG, SEED_LONG, "--in", out, code=0)
    assert "credited only" not in flat(same)


def test_diff_in_a_result_names_the_ids_it_does_not_hold(tmp_path):
    out = tmp_path / "out"
    run("scan", SEEDS, "--out", out, "--workers", "1", "-q")
    res = run("diff", SEED_LONG, "no-such-id", "--in", out, code=2)
    assert "no document with id 'no-such-id'" in flat(res)
    res = run("diff", SEED_LONG, SEED_SHORT, "--in", tmp_path / "nothing-here", code=2)
    assert "no such directory" in flat(res)


def test_diff_of_a_file_that_is_not_utf8_is_an_error(tmp_path):
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("Caf\u00e9 au lait, d\u00e9j\u00e0 vu.".encode("latin-1"))
    res = run("diff", latin, SEEDS / SEED_LONG, code=2)
    assert f"{latin}: not valid UTF-8" in flat(res)


def test_a_report_names_the_texts_it_could_not_reread(tmp_path):
    src = _corpus(tmp_path)
    out = tmp_path / "out"
    run("scan", src, "--out", out, "--workers", "1", "-q")
    (src / SEED_SHORT).unlink()
    res = run("report", out, "-o", tmp_path / "r.html", "-q")
    text = flat(res)
    assert f"{SEED_SHORT}: input file" in text and "not found" in text
    assert "1 text not found" in text
    assert (tmp_path / "r.html").is_file()
