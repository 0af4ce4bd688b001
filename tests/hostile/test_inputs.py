"""Hostile input: whatever users point retold at, nothing is lost silently and nothing crashes.

Every case checks the books balance (records in = documents read + records reported), the
message a user sees (naming the file and line/row/field), and, through the command line,
the exit code and that no traceback escapes. The big-document case runs in a subprocess
and measures its peak memory; special files (a FIFO that would block, a link to
/dev/zero that never ends) run in a subprocess too, with a hang guard and a memory cap,
so a regression fails the test instead of hanging or exhausting the machine.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retold.cli import main
from retold.config import DEFAULT_MAX_DOC_BYTES, ReadConfig
from retold.core.normalize import normalize_token, tokenize_spans
from retold.io.readers import read_documents
from retold.io.streams import ZstdFrames, bounded_lines
from retold.io.sources import iter_documents
from retold.models import KEPT_PROBLEMS, PROBLEM_REASONS, Document, Problem

#: prose long enough to be a paired document (>= min_tokens words)
TEXT = ("The harbour authority said on Tuesday that the northern breakwater would be rebuilt "
        "before the winter storms, after engineers found cracks along most of its length and "
        "warned that another season of heavy swell could bring the whole structure down.")
FUZZ = settings(derandomize=True, max_examples=80, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def read_all(inputs: list[Any], config: ReadConfig = ReadConfig()) -> tuple[list[Document], list[Problem]]:
    """Every document and every problem of ``inputs``."""
    problems: list[Problem] = []
    docs = list(read_documents(inputs, config, on_problem=problems.append))
    return docs, problems


def skipped(problems: list[Problem]) -> list[Problem]:
    """The problems that cost a record (a bad date keeps it)."""
    return [p for p in problems if p.reason not in KEPT_PROBLEMS]


def jsonl(*records: dict[str, Any] | bytes) -> bytes:
    """JSON Lines bytes; a bytes item is written as the line itself."""
    return b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in records)


def cli(*args: Any) -> Result:
    """``retold ARGS`` in process; asserts no exception other than a clean exit escaped."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def summary(out: Path) -> dict[str, Any]:
    """The counts of a scan's summary.json."""
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))["counts"]


def problems_file(out: Path) -> list[dict[str, Any]]:
    """The rows of a scan's problems.jsonl."""
    return [json.loads(x) for x in (out / "problems.jsonl").read_text(encoding="utf-8").splitlines()]


# ---------------------------------------------------------------------------- 1. lone surrogates


SURROGATE_LINES = [
    ('{"id": "a\\udc00", "text": "%s"}', "'id'"),
    ('{"id": "b", "text": "%s", "title": "x\\ud800"}', "'title'"),
    ('{"id": "c", "text": "%s", "source": "\\udfff"}', "'source'"),
    ('{"id": "d", "text": "%s", "url": "http://\\udc80"}', "'url'"),
    ('{"id": "e", "text": "%s", "tags": ["ok", {"deep": "\\ud83d"}]}', "'tags[1].deep'"),
    ('{"id": "f", "text": "%s", "k\\udc00": 1}', "'k\\udc00'"),
    ('{"id": "g", "text": "%s \\ud800"}', "'text'"),
]


def test_lone_surrogates_in_any_field_are_reported_with_the_field_and_skipped(tmp_path):
    f = tmp_path / "sur.jsonl"
    lines = [line % TEXT for line, _ in SURROGATE_LINES] + ['{"id": "ok", "text": "%s \\ud83d\\ude00"}' % TEXT]
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs, problems = read_all([f])
    assert len(lines) == len(docs) + len(skipped(problems))
    assert [d.id for d in docs] == ["ok"] and docs[0].text.endswith("\U0001f600")  # a valid pair is fine
    assert [p.reason for p in problems] == ["not_utf8"] * len(SURROGATE_LINES)
    for n, (p, (_, field)) in enumerate(zip(problems, SURROGATE_LINES), 1):
        assert p.origin == f"{f}:{n}" and f"field {field} has a lone surrogate" in p.message
        assert "record skipped" in p.message
        p.message.encode("utf-8")  # the message itself can be written


def test_lone_surrogates_never_crash_scan_dedup_or_index_add(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lines = [line % TEXT for line, _ in SURROGATE_LINES]
    good = [json.dumps({"id": f"ok{i}", "text": TEXT, "title": "fine"}) for i in range(2)]
    Path("in.jsonl").write_text("\n".join(lines + good) + "\n", encoding="utf-8")
    res = cli("scan", "in.jsonl", "--out", "r", "--workers", "1")
    assert res.exit_code == 0
    counts = summary(tmp_path / "r")
    assert counts["documents"] == 2 and counts["skipped_by_reason"] == {"not_utf8": len(SURROGATE_LINES)}
    assert counts["pairs"] == 1
    assert "in.jsonl:1" in res.output and "field 'id' has a lone surrogate" in res.output
    assert cli("dedup", "in.jsonl", "--out", "kept.jsonl", "--workers", "1").exit_code == 0
    assert [json.loads(x)["id"] for x in Path("kept.jsonl").read_text(encoding="utf-8").splitlines()] == ["ok0"]
    res = cli("index", "add", "in.jsonl", "--db", "x.retold", "--workers", "1")
    assert res.exit_code == 0 and "2 added" in res.output and f"{len(SURROGATE_LINES)} problems" in res.output


def test_documents_given_as_objects_are_held_to_the_same_rules():
    given_docs = [Document("a", TEXT, title="bad\udc00"), Document("b\ud800", TEXT), Document("c", TEXT),
                  Document("d", "x" * 65)]
    problems: list[Problem] = []
    docs = list(iter_documents(given_docs, ReadConfig(max_doc_bytes=64), on_problem=problems.append))
    assert [d.id for d in docs] == []  # "c" is too large too: TEXT is longer than 64 bytes
    assert [(p.origin, p.reason) for p in problems] == [("<documents>#0", "not_utf8"), ("<documents>#1", "not_utf8"),
                                                        ("<documents>#2", "too_large"), ("<documents>#3", "too_large")]
    assert "field 'title'" in problems[0].message and "field 'id'" in problems[1].message


def test_file_names_that_are_not_utf8_are_reported_not_written(tmp_path):
    d = tmp_path / "dir"
    d.mkdir()
    (d / "ok.txt").write_text(TEXT, encoding="utf-8")
    try:
        with open(os.fsencode(d) + b"/caf\xe9.txt", "wb") as f:
            f.write(TEXT.encode())
    except OSError:
        pytest.skip("this file system does not take non-UTF-8 names")
    docs, problems = read_all([d])
    assert [x.id for x in docs] == ["ok.txt"]
    (p,) = problems
    assert p.reason == "not_utf8" and "caf\\xe9.txt" in p.message and "file name is not valid UTF-8" in p.message
    res = cli("scan", d, "--out", tmp_path / "r", "--workers", "1")
    assert res.exit_code == 0 and summary(tmp_path / "r")["skipped_by_reason"] == {"not_utf8": 1}


# ---------------------------------------------------------------------------- 2. markup in what users provide


MARKUP_IDS = ["a[/]b.txt", "[link=http://x]y[/link]", "[bold]loud[/bold]", "[/]", ":thumbs_up: x", "\x1b[31mred",
              "back\\", "rtl\u202eevil"]


def family_text(n: int) -> str:
    """A text of family ``n``, sharing no word with another family's."""
    return " ".join(f"{w}{n}" for w in TEXT.split())


def test_markup_and_control_characters_in_ids_print_literally(tmp_path):
    f = tmp_path / "mk.jsonl"
    f.write_bytes(jsonl(*({"id": i, "text": family_text(n)} for n, i in enumerate(MARKUP_IDS)),
                        *({"id": f"z{n}", "text": family_text(n)} for n in range(len(MARKUP_IDS))),
                        {"id": "[/]", "text": TEXT}))
    d = tmp_path / "dir[bold]x"
    (d / "a[").mkdir(parents=True)
    (d / "a[/]b.txt").write_text(TEXT + " one more", encoding="utf-8")  # id "a[/]b.txt": file "]b.txt" in "a["
    res = cli("scan", f, d, "--out", tmp_path / "r", "--workers", "1")
    assert res.exit_code == 0, res.output
    flat = res.output.replace("\n", "")
    for shown in ("a[/]b.txt", "[link=http://x]y[/link]", "[bold]loud[/bold]", ":thumbs_up:", "\\x1b[31mred",
                  "rtl\\u202eevil", "duplicate id '[/]'"):
        assert shown in flat, shown
    assert "\x1b" not in res.output and "\u202e" not in res.output and "\U0001f44d" not in res.output
    assert "duplicate id 'a[/]b.txt'" in flat  # the text file's id is the first JSON id
    assert summary(tmp_path / "r")["documents"] == 2 * len(MARKUP_IDS)


def test_markup_in_index_commands_and_errors(tmp_path):
    f = tmp_path / "mk[/]x.jsonl"
    f.parent.mkdir()
    f.write_bytes(jsonl(*({"id": i, "text": TEXT} for i in MARKUP_IDS)))
    db = tmp_path / "db[link=http:" / "x]y[" / "link].retold"
    db.parent.mkdir(parents=True)
    res = cli("index", "add", f, "--db", db, "--workers", "1", "-v")
    assert res.exit_code == 0 and "db[link=http:/x]y[/link].retold" in res.output.replace("\n", "")
    res = cli("index", "add", f, "--db", db, "--workers", "1")  # same again: nothing changes
    assert res.exit_code == 0 and f"{len(MARKUP_IDS)} unchanged" in res.output
    res = cli("query", "--db", db, "--text", TEXT)
    assert res.exit_code == 0
    flat = res.output.replace("\n", "").replace("│", "").replace(" ", "")
    assert "[link=http://x]y[/link]" in flat and "a[/]b.txt" in flat
    assert cli("index", "stats", "--db", db).exit_code == 0
    assert cli("index", "check", "--db", db, "-q").exit_code == 0
    res = cli("scan", tmp_path / "missing[/]y.jsonl", "--out", tmp_path / "r")  # "missing[" exists: no such file  # a user error: one clean line
    assert res.exit_code == 1 and "missing[/]y.jsonl: no such file" in res.output.replace("\n", "")


# ---------------------------------------------------------------------------- 3. silent truncation


def zstd_blocks(n_records: int, per_block: int) -> tuple[bytes, list[int]]:
    """One zstd frame of ``n_records`` JSON lines, a block flushed every ``per_block`` records;
    the offsets where each flushed block ends."""
    comp = zstandard.ZstdCompressor().compressobj()
    data, edges = b"", []
    for start in range(0, n_records, per_block):
        data += comp.compress(jsonl(*({"id": str(i), "text": TEXT} for i in range(start, start + per_block))))
        data += comp.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
        edges.append(len(data))
    return data + comp.flush(), edges


def test_zstd_cut_at_a_block_edge_is_reported_with_where_it_stopped(tmp_path):
    data, edges = zstd_blocks(3000, 1000)
    f = tmp_path / "t.jsonl.zst"
    f.write_bytes(data[:edges[1]])  # the first 2,000 records decompress without a word from zstandard
    assert len(zstandard.ZstdDecompressor().stream_reader(data[:edges[1]]).read()) > 0
    docs, problems = read_all([f])
    assert len(docs) == 2000
    (p,) = problems
    assert p.reason == "unreadable" and p.origin == str(f)
    assert "stopped after" in p.message and f"{f}:2000" in p.message and "truncated" in p.message
    res = cli("scan", f, "--out", tmp_path / "r", "--workers", "1")  # the parallel reader: raw-line blocks
    assert res.exit_code == 0 and "truncated" in res.output
    counts = summary(tmp_path / "r")
    assert counts["documents"] == 2000 and counts["skipped_by_reason"] == {"unreadable": 1}


@pytest.mark.parametrize("cut", [4, 6, 100, -1])
def test_zstd_cut_anywhere_in_a_frame_is_reported(tmp_path, cut):
    data, _ = zstd_blocks(300, 100)
    f = tmp_path / "t.jsonl.zst"
    f.write_bytes(data[:cut])
    docs, problems = read_all([f])
    assert [p.reason for p in problems] == ["unreadable"] and len(docs) <= 300  # -1: only the end mark is cut


def test_zstd_frames_and_gzip_members_are_all_read(tmp_path):
    """A concatenation of frames (members) is one valid stream, read to its end."""
    parts = [jsonl(*({"id": f"{k}-{i}", "text": TEXT} for i in range(50))) for k in range(3)]
    (tmp_path / "m.jsonl.zst").write_bytes(b"".join(zstandard.ZstdCompressor().compress(p) for p in parts))
    (tmp_path / "m.jsonl.gz").write_bytes(b"".join(gzip.compress(p) for p in parts))
    for name in ("m.jsonl.zst", "m.jsonl.gz"):
        docs, problems = read_all([tmp_path / name])
        assert (len(docs), problems) == (150, []), name


def test_zstd_frame_tracker_follows_skippable_frames_and_checksums():
    payload = b"x" * 300_000
    frames = ZstdFrames()
    skippable = b"\x50\x2a\x4d\x18" + (5).to_bytes(4, "little") + b"hello"
    stream = zstandard.ZstdCompressor(write_checksum=True).compress(payload) + skippable
    for i in range(0, len(stream), 7):  # fed in awkward pieces
        frames.feed(stream[i:i + 7])
    assert frames.complete
    frames.feed(zstandard.ZstdCompressor().compress(payload)[:-1])
    assert not frames.complete


CSV_CASES = [
    # the issue's example: a quote opened on line 2 swallows line 3; line 4 is read
    (b'id,text\n1,"hello world this is\n2,"another one\n3,fine\n', ["3"], "lines 2-3", "a quote may have been left open"),
    # the file ends inside the quoted field: every row after the quote was folded into it
    (b'id,text\n1,"hello world\n2,more\n3,more\n', [], "lines 2-4", "quote that is never closed"),
    (b'id,text\n1,"hello world this is\n2,"another one', [], "lines 2-3", "quote may have been left open"),
]


@pytest.mark.parametrize("data,ids,lines,what", CSV_CASES)
def test_csv_quote_left_open_is_reported_with_its_lines(tmp_path, data, ids, lines, what):
    f = tmp_path / "q.csv"
    f.write_bytes(data)
    docs, problems = read_all([f])
    assert [d.id for d in docs] == ids
    (p,) = problems
    assert p.reason == "bad_record" and p.origin == f"{f}:2" and lines in p.message and what in p.message
    rows_in = data.count(b"\n") if data.endswith(b"\n") else data.count(b"\n") + 1
    folded = int(lines.split("-")[1]) - int(lines.split(" ")[1].split("-")[0]) + 1
    assert rows_in - 1 == len(docs) + folded  # every data row is either read or inside the reported lines


# ---------------------------------------------------------------------------- 4. huge documents


def test_max_doc_bytes_default_is_documented():
    assert ReadConfig().max_doc_bytes == DEFAULT_MAX_DOC_BYTES == 16 * 1024 * 1024
    formats = (Path(__file__).resolve().parents[2] / "docs" / "formats.md").read_text(encoding="utf-8")
    assert "max_doc_bytes" in formats and "16 MiB" in formats and "too_large" in formats


def test_too_large_records_of_every_format_are_reported_and_the_rest_read(tmp_path):
    cfg = ReadConfig(max_doc_bytes=1000)
    big, small = "x " * 600, "small text"
    (tmp_path / "j.jsonl").write_bytes(jsonl({"id": "j1", "text": small}, {"id": "j2", "text": big},
                                             {"id": "j3", "text": small}))
    # CSV: a long single-line row; a quoted row over 11 lines whose later lines (the last
    # one closing the quote) are replaced once it passes the limit; a row whose first
    # line, opening a quote, is itself too long; each followed by a row read in step
    long_lines = "\n".join(['a ""quoted"" word ' * 10] * 10)
    (tmp_path / "c.csv").write_text(f'id,text\nc1,{small}\nc2,{big}\nc3,"{long_lines}\nend"\nc4,{small}\n'
                                    f'c5,"{big}\nmore ""x"" text"\nc6,{small}\n', encoding="utf-8")
    pq.write_table(pa.table({"id": ["p1", "p2"], "text": [small, big]}), tmp_path / "p.parquet")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "t1.txt").write_text(small, encoding="utf-8")
    (tmp_path / "d" / "t2.txt").write_text(big, encoding="utf-8")
    docs, problems = read_all([tmp_path / n for n in ("j.jsonl", "c.csv", "p.parquet", "d")], cfg)
    assert sorted(d.id for d in docs) == ["c1", "c4", "c6", "j1", "j3", "p1", "t1.txt"]
    assert sorted((p.origin.replace(str(tmp_path) + "/", ""), p.reason) for p in problems) == [
        ("c.csv:16", "too_large"), ("c.csv:3", "too_large"), ("c.csv:4", "too_large"), ("d/t2.txt", "too_large"),
        ("j.jsonl:2", "too_large"), ("p.parquet#1", "too_large")]
    assert all("more than max_doc_bytes (1,000)" in p.message and "--max-doc-bytes" in p.message for p in problems)
    assert next(p for p in problems if p.origin.endswith("j.jsonl:2")).message.startswith("line is 1,2")


def test_bounded_lines_never_hold_a_long_line():
    class Recorder:
        def __init__(self, data: bytes) -> None:
            self.data, self.pos, self.largest = data, 0, 0

        def readline(self, size: int = -1) -> bytes:
            assert size > 0  # never "read the whole line"
            end = self.data.find(b"\n", self.pos, self.pos + size)
            end = min(self.pos + size, len(self.data)) if end < 0 else end + 1
            line, self.pos = self.data[self.pos:end], end
            self.largest = max(self.largest, len(line))
            return line

    stream = Recorder(b"ok\n" + b"y" * 100_000 + b"\r\n" + b"z" * 10 + b"\r\n" + b"w" * 11)
    got = list(bounded_lines(stream, 10))  # type: ignore[arg-type]
    assert [g if isinstance(g, bytes) else g.size for g in got] == [b"ok\n", 100_000, b"z" * 10 + b"\r\n", 11]
    assert stream.largest <= 1 << 20


def _peak_rss_mib(args: list[str], cwd: Path) -> float:
    """Peak RSS (MiB) of ``retold ARGS`` and its workers, measured by a fresh wrapper process
    (RUSAGE_CHILDREN of the wrapper sees only that run); address space capped at 4 GiB."""
    wrapper = (
        "import resource, subprocess, sys\n"
        "cap = lambda: resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))\n"
        "r = subprocess.run([sys.executable, '-c', 'from retold.cli import main; main()'] + sys.argv[1:],"
        " preexec_fn=cap, capture_output=True, text=True)\n"
        "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.stderr.write(r.stderr)\n"
    )
    run = subprocess.run([sys.executable, "-c", wrapper, *args], cwd=cwd, capture_output=True, text=True,
                         timeout=600)
    code, rss_kib = run.stdout.split()
    assert code == "0" and "Traceback" not in run.stderr, run.stderr
    return int(rss_kib) / 1024


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux")
def test_a_60_mb_document_is_skipped_in_bounded_memory(tmp_path):
    size = 60 * 1024 * 1024
    for name in ("big", "small"):
        d = tmp_path / name
        (d / "texts").mkdir(parents=True)
        n = size // 10 if name == "big" else 10
        with open(d / "in.jsonl", "wb") as f:
            f.write(jsonl({"id": "a", "text": TEXT}))
            f.write(b'{"id": "huge", "text": "')
            for _ in range(0, n, 100_000):
                f.write(b"abcdefghi " * min(100_000, n))
            f.write(b'"}\n')
            f.write(jsonl({"id": "b", "text": TEXT}))
        with open(d / "texts" / "huge.txt", "wb") as f:
            for _ in range(0, n, 100_000):
                f.write(b"abcdefghi " * min(100_000, n))
        (d / "texts" / "ok.txt").write_text(TEXT, encoding="utf-8")
    args = ["scan", "in.jsonl", "texts", "--out", "r", "--workers", "1", "-q", "--max-doc-bytes", "1MiB"]
    big = _peak_rss_mib(args, tmp_path / "big")
    baseline = _peak_rss_mib(args, tmp_path / "small")
    counts = summary(tmp_path / "big" / "r")
    assert counts["documents"] == 3 and counts["skipped_by_reason"] == {"too_large": 2}
    assert summary(tmp_path / "small" / "r")["documents"] == 5
    # read whole, the line alone is 60 MiB as bytes, 60 MiB again as text, ~3 GiB tokenised
    print(f"peak RSS: {big:.1f} MiB with the 60 MiB documents, {baseline:.1f} MiB without")
    assert big - baseline < 24, (big, baseline)


def test_max_doc_bytes_on_the_command_line(tmp_path):
    f = tmp_path / "in.jsonl"
    f.write_bytes(jsonl({"id": "a", "text": TEXT}, {"id": "b", "text": TEXT * 20}))
    res = cli("scan", f, "--out", tmp_path / "r", "--workers", "1", "--max-doc-bytes", "2KiB")
    assert res.exit_code == 0 and "more than max_doc_bytes (2,048)" in res.output.replace("\n", "")
    assert summary(tmp_path / "r")["skipped_by_reason"] == {"too_large": 1}
    res = cli("scan", f, "--out", tmp_path / "s", "--max-doc-bytes", "2KiB", "--strict")
    assert res.exit_code == 1 and "error:" in res.output and "in.jsonl:2" in res.output
    for bad in ("0", "-5", "lots", "12XB"):
        res = cli("scan", f, "--out", tmp_path / "t", "--max-doc-bytes", bad)
        assert res.exit_code == 2 and "not a size in bytes" in res.output
    assert "--max-doc-bytes" in cli("index", "add", "--help").output


# ---------------------------------------------------------------------------- 5. special files


def _scan_in_subprocess(cwd: Path, *inputs: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """``retold scan INPUTS`` in a child (a hang or runaway read fails instead of blocking the suite)."""
    cap = "import resource; resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30)); "
    run = subprocess.run([sys.executable, "-c", cap + "from retold.cli import main; main()", "scan", *inputs,
                          "--out", "r", "--workers", "1"], cwd=cwd, capture_output=True, text=True, timeout=300)
    return run, summary(cwd / "r")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifos_devices_and_symlink_loops_are_reported_not_read(tmp_path):
    d = tmp_path / "dir"
    d.mkdir()
    (d / "ok.txt").write_text(TEXT, encoding="utf-8")
    os.mkfifo(d / "pipe.txt")
    os.symlink("/dev/zero", d / "zero.txt")
    os.symlink("loop.txt", d / "loop.txt")
    os.symlink("ok.txt", d / "link.md")  # a link to a regular file is read
    os.symlink(d, d / "back")  # a directory link is not followed (no loop)
    os.mkfifo(tmp_path / "pipe.jsonl")
    run, counts = _scan_in_subprocess(tmp_path, "dir", "pipe.jsonl")
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    assert counts["documents"] == 2 and counts["pairs"] == 1
    assert counts["skipped_by_reason"] == {"unreadable": 4}
    stderr = run.stderr.replace("\n", "")
    for what in ("dir/pipe.txt is a FIFO (named pipe), not a regular file", "dir/zero.txt is a character device",
                 "dir/loop.txt", "pipe.jsonl is a FIFO"):
        assert what in stderr, what


# ---------------------------------------------------------------------------- 6. what already held


def test_old_hostile_inputs_still_hold(tmp_path):
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "latin1.jsonl").write_bytes(jsonl({"id": "u1", "text": TEXT}, b'{"id": "u2", "text": "caf\xe9"}'))
    (cases / "latin1.csv").write_bytes(b"id,text\nc1,caf\xe9\nc2,fine\n")
    (cases / "bom.jsonl").write_bytes(b"\xef\xbb\xbf" + jsonl({"id": "b1", "text": TEXT}))
    (cases / "bom.csv").write_bytes(b"\xef\xbb\xbfid,text\nb2,fine\n")
    (cases / "nul.jsonl").write_bytes(jsonl({"id": "n1", "text": "nul \u0000 inside"}))
    (cases / "deep.jsonl").write_bytes(jsonl(b'{"id": "x", "text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
                                             {"id": "deep-ok", "text": TEXT}))
    whole = gzip.compress(jsonl(*({"id": f"g{i}", "text": TEXT} for i in range(200))))
    (cases / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    (cases / "corrupt.parquet").write_bytes(b"PAR1" + b"\x00garbage" * 100 + b"PAR1")
    (cases / "dups.jsonl").write_bytes(jsonl({"id": "dup", "text": TEXT}, {"id": "dup", "text": "second"}))
    texts = cases / "texts"
    texts.mkdir()
    (texts / "bom.txt").write_bytes(b"\xef\xbb\xbf" + TEXT.encode())
    (texts / "nul.txt").write_bytes(b"a\x00b " + TEXT.encode())
    (texts / "bad.txt").write_bytes(b"ok\n\xff\xfe")
    os.symlink("selfloop.txt", texts / "selfloop.txt")
    docs, problems = read_all(sorted(cases.iterdir()))
    by_origin = {p.origin.replace(str(cases) + "/", ""): p for p in problems}
    assert {k: p.reason for k, p in by_origin.items()} == {
        "latin1.jsonl:2": "not_utf8", "latin1.csv:2": "not_utf8", "deep.jsonl:1": "bad_record",
        "cut.jsonl.gz": "unreadable", "corrupt.parquet": "unreadable", "dups.jsonl:2": "duplicate_id",
        "texts/bad.txt": "not_utf8", "texts/selfloop.txt": "unreadable"}
    assert "stopped after" in by_origin["cut.jsonl.gz"].message
    ids = {d.id: d for d in docs}
    assert {"u1", "c2", "b1", "b2", "n1", "deep-ok", "dup", "bom.txt", "nul.txt"} <= set(ids)
    assert ids["b1"].text == TEXT and ids["bom.txt"].text == TEXT and ids["n1"].text == "nul \x00 inside"
    assert ids["dup"].text == TEXT and "\x00" in ids["nul.txt"].text
    gz = sum(1 for d in docs if d.id.startswith("g"))
    assert 0 < gz < 200  # what was read before the cut is kept
    res = cli("scan", *sorted(cases.iterdir()), "--out", tmp_path / "r", "--workers", "1")
    assert res.exit_code == 0
    assert summary(tmp_path / "r")["skipped"] == len(skipped(problems))
    res = cli("scan", cases / "dups.jsonl", "--out", tmp_path / "s", "--strict")
    assert res.exit_code == 1 and "duplicate id 'dup'" in res.output


# ---------------------------------------------------------------------------- 7. fuzz: readers and tokenizer


_values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                    st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=30))
_records = st.dictionaries(st.sampled_from(["id", "text", "date", "title", "source", "url", "x"]) | st.text(max_size=5),
                           _values | st.lists(_values, max_size=3), max_size=6)
_jsonl_lines = st.lists(st.one_of(_records.map(lambda r: json.dumps(r).encode()),
                                  st.binary(max_size=60).map(lambda b: b.replace(b"\n", b" "))), max_size=12)


def _check_writable(docs: list[Document], problems: list[Problem]) -> None:
    """Everything read can be written as UTF-8 (ids, texts, metadata, messages)."""
    for d in docs:
        json.dumps([d.id, d.text, d.date, d.source, d.url, d.title, d.origin, d.meta],
                   ensure_ascii=False).encode("utf-8")
    for p in problems:
        assert p.reason in PROBLEM_REASONS
        (p.origin + p.message).encode("utf-8")


def _blank(line: bytes, first: bool) -> bool:
    """Whether the JSONL reader skips ``line`` as blank (no record in it)."""
    try:
        return not line.removeprefix(b"\xef\xbb\xbf" if first else b"").decode("utf-8").strip()
    except UnicodeDecodeError:
        return False


@FUZZ
@given(lines=_jsonl_lines)
def test_fuzz_jsonl_every_line_is_a_document_or_a_problem(lines):
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "f.jsonl"
        f.write_bytes(b"\n".join(lines))
        docs, problems = read_all([f], ReadConfig(max_doc_bytes=200))
    records = [ln for i, ln in enumerate(b"\n".join(lines).split(b"\n")) if not _blank(ln, i == 0)]
    assert len(records) == len(docs) + len(skipped(problems))
    _check_writable(docs, problems)


@FUZZ
@given(data=st.binary(max_size=300) | st.text(st.sampled_from('ab,"\n\r\t \ufeff\x00é'), max_size=120).map(str.encode),
       kind=st.sampled_from(["f.csv", "f.tsv"]))
def test_fuzz_csv_never_raises_and_every_row_is_accounted_for(data, kind):
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / kind
        f.write_bytes(b"id,text\n" + data if kind == "f.csv" else data)
        docs, problems = read_all([f], ReadConfig(max_doc_bytes=40))
    _check_writable(docs, problems)
    lines = data.count(b"\n") + 2
    for item in [*docs, *problems]:
        line = int(item.origin.rsplit(":", 1)[1]) if ":" in item.origin else 0
        assert 0 <= line <= lines


@FUZZ
@given(data=st.binary(max_size=200) | st.text(max_size=100).map(str.encode))
def test_fuzz_text_file_is_one_document_or_one_problem(data):
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "d").mkdir()
        (Path(tmp) / "d" / "t.txt").write_bytes(data)
        docs, problems = read_all([Path(tmp) / "d"], ReadConfig(max_doc_bytes=150))
    assert len(docs) + len(problems) == 1
    _check_writable(docs, problems)
    if docs:
        assert docs[0].text.encode("utf-8") == data.removeprefix(b"\xef\xbb\xbf")
    else:
        assert problems[0].reason == ("too_large" if len(data) > 150 else "not_utf8")


@FUZZ
@given(text=st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=200))
def test_fuzz_tokenizer_spans_slice_the_original_text(text):
    tokens = tokenize_spans(text)
    starts, ends = tokens.starts.tolist(), tokens.ends.tolist()
    assert len(tokens.tokens) == len(starts) == len(ends)
    previous = 0
    for tok, s, e in zip(tokens.tokens, starts, ends):
        assert previous <= s < e <= len(text)
        assert normalize_token(text[s:e]) == tok
        previous = e
