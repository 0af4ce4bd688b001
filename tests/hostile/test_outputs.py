"""Outputs under a full disk, I/O errors and interruptions: the previous files or the complete new set.

Faults are injected where output bytes reach the disk (``retold.io.atomic._write_fd``):
a budget of bytes goes through (the last write partially, as a real full disk does),
then every write fails with ENOSPC or EIO. One test uses the kernel's own limit
(RLIMIT_FSIZE) in a subprocess instead. After every failure the directory must hold
exactly what it held before (byte for byte), no temporary, and the error must be one
line naming the file.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

import retold
from retold import Document
from retold.cli import main
from retold.errors import OutputError, RetoldError
from retold.io import atomic
from retold.io.results import load_result
from retold.io.writers import write_result
from retold.models import ScanResult
from retold.report.html import render_report

from conftest import SEEDS, make_doc

TABLES = ("documents", "pairs", "clusters", "problems")


class DiskFull:
    """Stands in for ``atomic._write_fd``: lets ``budget`` bytes through in all, then raises ``error``.

    The write that crosses the budget is partial (what ``write(2)`` does on a full disk);
    the next one fails. ``budget=None``: never fails (counts bytes).
    """

    def __init__(self, budget: int | None, error: int = errno.ENOSPC,
                 raise_: Callable[[], BaseException] | None = None) -> None:
        self.budget = budget
        self.error = error
        self.raise_ = raise_
        self.written = 0
        self.failures = 0

    def __call__(self, fd: int, data: memoryview) -> int:
        if self.budget is not None and self.written >= self.budget:
            self.failures += 1
            if self.raise_ is not None:
                raise self.raise_()
            raise OSError(self.error, os.strerror(self.error))
        n = len(data) if self.budget is None else min(len(data), self.budget - self.written)
        wrote = os.write(fd, data[:n])
        self.written += wrote
        return wrote


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` (hidden ones included) and its bytes."""
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def assert_no_temporaries(directory: Path) -> None:
    left = [p.name for p in directory.rglob("*") if atomic.is_temporary(p) or p.name.startswith(".")]
    assert left == [], left


def assert_one_line_naming(exc: BaseException, path: Path, reason: str) -> None:
    message = str(exc)
    assert "\n" not in message
    assert message == f"cannot write {path}: {reason}", message


@pytest.fixture(scope="module")
def results(prose: list[str]) -> tuple[ScanResult, ScanResult]:
    """Two different real scans: the seed articles with an edited family, and unrelated prose."""
    seeds = [Document(p.name, p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt"))]
    base = make_doc(prose, 0, 400)
    family = [Document(f"copy{i}", base.replace(" the ", " a ", i + 1)) for i in range(4)]
    first = retold.scan(seeds + family, workers=1)
    second = retold.scan([Document(f"p{i}", make_doc(prose, 30 + 7 * i, 200)) for i in range(6)] + family[:2],
                         workers=1)
    assert first.pairs and second.pairs and first.summary() != second.summary()
    return first, second


def _sizes(result: ScanResult, directory: Path, fmt: str) -> list[int]:
    """The byte size of each file ``write_result`` writes, in writing order (measured by a real write)."""
    counter = DiskFull(None)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(atomic, "_write_fd", counter)
        paths = write_result(result, directory, fmt)
    sizes = [paths[name].stat().st_size for name in (*TABLES, "summary")]
    assert sum(sizes) == counter.written  # every output byte went through the injection point
    return sizes


def _budgets(sizes: list[int]) -> list[int]:
    """Where to run out of space: nothing, 1 byte, mid first file, at its end, mid-run, in and before the last file."""
    total = sum(sizes)
    return sorted({0, 1, sizes[0] // 2, sizes[0], total // 2, total - sizes[-1], total - sizes[-1] // 2, total - 1})


# ------------------------------------------------------------------------------------ scan --out


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_a_full_disk_leaves_the_previous_run_untouched(tmp_path, results, fmt, monkeypatch):
    first, second = results
    sizes = _sizes(second, tmp_path / "measure", fmt)
    out = tmp_path / "result"
    write_result(first, out, "jsonl")
    (out / "notes.txt").write_text("the user's own file\n", encoding="utf-8")
    before = snapshot(out)
    for budget in _budgets(sizes):
        fault = DiskFull(budget)
        monkeypatch.setattr(atomic, "_write_fd", fault)
        with pytest.raises(OutputError) as info:
            write_result(second, out, fmt)
        assert fault.failures >= 1, budget
        assert info.value.errno == errno.ENOSPC
        assert Path(info.value.path).parent == out
        assert_one_line_naming(info.value, Path(info.value.path), "No space left on device")
        assert snapshot(out) == before, budget
        assert_no_temporaries(out)
    monkeypatch.setattr(atomic, "_write_fd", DiskFull(sum(sizes)))  # exactly enough room
    write_result(second, out, fmt)
    after = snapshot(out)
    assert set(after) == {f"{t}.{fmt}" for t in TABLES} | {"summary.json", "notes.txt"}
    assert after == {**snapshot(tmp_path / "measure"), "notes.txt": before["notes.txt"]}


def test_the_failing_file_is_named_mid_file_and_at_the_last_file(tmp_path, results, monkeypatch):
    _, second = results
    sizes = _sizes(second, tmp_path / "measure", "jsonl")
    out = tmp_path / "fresh"
    names = [f"{t}.jsonl" for t in TABLES] + ["summary.json"]
    for k, name in enumerate(names):
        if sizes[k] == 0:
            continue  # an empty table never writes a byte, so it cannot run out of space
        monkeypatch.setattr(atomic, "_write_fd", DiskFull(sum(sizes[:k]) + sizes[k] // 2))
        with pytest.raises(OutputError) as info:
            write_result(second, out, "jsonl")
        assert_one_line_naming(info.value, out / name, "No space left on device")
        assert not out.exists()  # a directory the failed write created is removed again


def test_an_io_error_and_an_interrupt_leave_nothing_behind(tmp_path, results, monkeypatch):
    first, second = results
    out = tmp_path / "result"
    write_result(first, out, "parquet")
    before = snapshot(out)
    monkeypatch.setattr(atomic, "_write_fd", DiskFull(700, errno.EIO))
    with pytest.raises(OutputError, match=r"^cannot write .*: Input/output error$"):
        write_result(second, out, "jsonl")
    assert snapshot(out) == before
    monkeypatch.setattr(atomic, "_write_fd", DiskFull(700, raise_=KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        write_result(second, out, "jsonl")
    assert snapshot(out) == before
    assert_no_temporaries(out)


def test_a_failing_fsync_is_an_output_error(tmp_path, results, monkeypatch):
    first, second = results
    out = tmp_path / "result"
    write_result(first, out, "jsonl")
    before = snapshot(out)

    def fsync(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    with pytest.raises(OutputError) as info:
        write_result(second, out, "jsonl")
    assert_one_line_naming(info.value, out / "documents.jsonl", "Input/output error")
    assert snapshot(out) == before
    assert_no_temporaries(out)


def test_a_rename_failing_half_way_leaves_no_summary(tmp_path, results, monkeypatch):
    """summary.json is the commit marker: without it the directory holds no complete run."""
    first, second = results
    out = tmp_path / "result"
    write_result(first, out, "jsonl")
    real_replace = os.replace
    done: list[str] = []

    def replace(src, dst) -> None:
        if len(done) == 2:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real_replace(src, dst)
        done.append(Path(dst).name)

    monkeypatch.setattr(atomic.os, "replace", replace)
    with pytest.raises(OutputError) as info:
        write_result(second, out, "jsonl")
    assert_one_line_naming(info.value, out / "clusters.jsonl", "Input/output error")
    assert done == ["documents.jsonl", "pairs.jsonl"]
    assert not (out / "summary.json").exists()
    assert_no_temporaries(out)


@pytest.mark.parametrize("first_fmt,second_fmt", [("jsonl", "parquet"), ("parquet", "jsonl"), ("jsonl", "jsonl")])
def test_rescanning_a_used_directory_leaves_one_run(tmp_path, results, first_fmt, second_fmt):
    first, second = results
    out = tmp_path / "result"
    write_result(first, out, first_fmt)
    (out / "report.html").write_text("<p>kept</p>\n", encoding="utf-8")
    write_result(second, out, second_fmt)
    write_result(second, tmp_path / "alone", second_fmt)
    assert snapshot(out) == {**snapshot(tmp_path / "alone"), "report.html": b"<p>kept</p>\n"}
    loaded = load_result(out)
    assert [d.id for d in loaded.documents] == [d.id for d in second.documents]
    assert json.loads((out / "summary.json").read_text())["counts"] == second.summary()["counts"]


# ------------------------------------------------------------------------------------ the CLI


def _cli(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_clean_failure(res, path: Path, reason: str) -> None:
    """Exit 1, one ``error:`` line naming ``path``, no traceback."""
    assert res.exit_code == 1, res.output
    assert isinstance(res.exception, SystemExit)
    assert "Traceback" not in res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert lines[-1] == f"error: cannot write {path}: {reason}", res.output
    assert sum(line.startswith("error:") for line in lines) == 1


def test_cli_scan_on_a_full_disk(tmp_path, monkeypatch):
    out = tmp_path / "result"
    assert _cli("scan", SEEDS, "--out", out, "--workers", "1", "-q").exit_code == 0
    before = {k: v for k, v in snapshot(out).items() if k != "summary.json"}
    documents = len(before["documents.jsonl"])
    monkeypatch.setattr(atomic, "_write_fd", DiskFull(documents + len(before["pairs.jsonl"]) // 2))
    res = _cli("scan", SEEDS, "--out", out, "--workers", "1", "-q", "--format", "parquet", "--force")
    # Parquet files are larger than these JSON Lines: whichever one ran out is named, nothing changed
    assert res.exit_code == 1 and "Traceback" not in res.output
    (line,) = [x for x in res.output.splitlines() if x.strip()]
    assert line.startswith(f"error: cannot write {out}{os.sep}") and line.endswith(": No space left on device")
    assert {k: v for k, v in snapshot(out).items() if k != "summary.json"} == before
    assert (out / "summary.json").is_file()
    assert_no_temporaries(out)
    monkeypatch.setattr(atomic, "_write_fd", DiskFull(documents // 2))
    res = _cli("scan", SEEDS, "--out", out, "--workers", "1", "-q", "--force")
    assert_clean_failure(res, out / "documents.jsonl", "No space left on device")
    assert {k: v for k, v in snapshot(out).items() if k != "summary.json"} == before


def test_cli_scan_into_a_path_under_a_file(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x", encoding="utf-8")
    res = _cli("scan", SEEDS, "--out", blocker / "result", "--workers", "1", "-q")
    assert res.exit_code == 1 and "Traceback" not in res.output
    (line,) = [x for x in res.output.splitlines() if x.strip()]
    assert line == f"error: cannot create directory {blocker / 'result'}: Not a directory"


# ------------------------------------------------------------------------------------ dedup


def _dedup_input(path: Path, seed_texts: dict[str, str], prose: list[str], copies: int) -> Path:
    """Real texts: the seeds, ``copies`` lightly edited copies of one prose document, unrelated prose."""
    base = make_doc(prose, 10, 300)
    recs = [{"id": n, "text": t, "date": "2020-04-10"} for n, t in seed_texts.items()]
    recs += [{"id": f"copy{i}", "text": base.replace(" the ", " a ", i + 1), "n": i} for i in range(copies)]
    recs += [{"id": f"other{i}", "text": make_doc(prose, 60 + 9 * i, 150)} for i in range(3)]
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    return path


def test_dedup_on_a_full_disk_keeps_the_previous_output(tmp_path, seed_texts, prose, monkeypatch):
    one = _dedup_input(tmp_path / "one.jsonl", seed_texts, prose, 3)
    two = _dedup_input(tmp_path / "two.jsonl", seed_texts, prose, 5)
    out = tmp_path / "out" / "kept.jsonl"
    counter = DiskFull(None)
    monkeypatch.setattr(atomic, "_write_fd", counter)
    retold.dedup([two], tmp_path / "measure" / "kept.jsonl", workers=1)
    expected = snapshot(tmp_path / "measure")
    kept, removed = len(expected["kept.jsonl"]), len(expected["removed.jsonl"])
    assert counter.written == kept + removed and removed > 0
    monkeypatch.setattr(atomic, "_write_fd", os.write)
    retold.dedup([one], out, workers=1)
    before = snapshot(out.parent)
    for budget in sorted({0, kept // 2, kept, kept + removed // 2, kept + removed - 1}):
        monkeypatch.setattr(atomic, "_write_fd", DiskFull(budget))
        with pytest.raises(OutputError) as info:
            retold.dedup([two], out, workers=1)
        name = "kept.jsonl" if budget < kept else "removed.jsonl"
        assert_one_line_naming(info.value, out.parent / name, "No space left on device")
        assert snapshot(out.parent) == before, budget
        assert_no_temporaries(out.parent)
    monkeypatch.setattr(atomic, "_write_fd", DiskFull(kept + removed))
    retold.dedup([two], out, workers=1)
    assert snapshot(out.parent) == expected


def test_cli_dedup_on_a_full_disk(tmp_path, seed_texts, prose, monkeypatch):
    src = _dedup_input(tmp_path / "in.jsonl", seed_texts, prose, 4)
    out = tmp_path / "kept.jsonl.gz"
    monkeypatch.setattr(atomic, "_write_fd", DiskFull(40))
    res = _cli("dedup", src, "--out", out, "--workers", "1", "-q")
    assert_clean_failure(res, out, "No space left on device")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_rededup_in_another_format_leaves_one_run_of_removals(tmp_path, seed_texts, prose):
    src = _dedup_input(tmp_path / "in.jsonl", seed_texts, prose, 4)
    out = tmp_path / "out"
    retold.dedup([src], out / "kept.jsonl", workers=1)
    assert sorted(p.name for p in out.iterdir()) == ["kept.jsonl", "removed.jsonl"]
    res = retold.dedup([src], out / "kept.parquet", workers=1)
    # the user's earlier output keeps its own name; the removals beside it are this run's only
    assert sorted(p.name for p in out.iterdir()) == ["kept.jsonl", "kept.parquet", "removed.parquet"]
    import pyarrow.parquet as pq

    assert sorted(pq.read_table(out / "removed.parquet").column("id").to_pylist()) == sorted(r.id for r in res.removed)
    retold.dedup([src], out / "kept.jsonl", workers=1)
    assert sorted(p.name for p in out.iterdir()) == ["kept.jsonl", "kept.parquet", "removed.jsonl"]


def test_dedup_refuses_an_output_named_like_its_removals(tmp_path, seed_texts, prose):
    src = _dedup_input(tmp_path / "in.jsonl", seed_texts, prose, 2)
    with pytest.raises(RetoldError, match="removed.jsonl"):
        retold.dedup([src], tmp_path / "removed.jsonl", workers=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


# ------------------------------------------------------------------------------------ report


def test_report_on_a_full_disk_keeps_the_previous_report(tmp_path, seed_texts, monkeypatch):
    result = retold.scan([Document(n, t) for n, t in seed_texts.items()], workers=1)
    path = tmp_path / "report.html"
    path.write_text("<p>previous report</p>\n", encoding="utf-8")
    size = render_report(result, seed_texts, tmp_path / "measure.html").bytes
    for budget in (0, 1, size // 3, size - 1):
        monkeypatch.setattr(atomic, "_write_fd", DiskFull(budget))
        with pytest.raises(OutputError) as info:
            render_report(result, seed_texts, path)
        assert_one_line_naming(info.value, path, "No space left on device")
        assert path.read_text(encoding="utf-8") == "<p>previous report</p>\n"
        assert_no_temporaries(tmp_path)
    monkeypatch.setattr(atomic, "_write_fd", DiskFull(size))
    info = render_report(result, seed_texts, path)
    assert info.bytes == size and path.read_bytes() == (tmp_path / "measure.html").read_bytes()


def test_cli_report_on_a_full_disk(tmp_path, monkeypatch):
    result_dir = tmp_path / "result"
    assert _cli("scan", SEEDS, "--out", result_dir, "--workers", "1", "-q").exit_code == 0
    path = tmp_path / "report.html"
    monkeypatch.setattr(atomic, "_write_fd", DiskFull(5000))
    res = _cli("report", result_dir, "-o", path)
    assert_clean_failure(res, path, "No space left on device")
    assert not path.exists()
    assert_no_temporaries(tmp_path)


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_FSIZE and SIGXFSZ as on Linux")
def test_a_real_file_size_limit_from_the_kernel(tmp_path):
    """No injection: the kernel refuses to grow the report past 20 kB (EFBIG), as a full disk would."""
    result_dir = tmp_path / "result"
    assert _cli("scan", SEEDS, "--out", result_dir, "--workers", "1", "-q").exit_code == 0
    path = tmp_path / "report.html"
    path.write_text("<p>previous report</p>\n", encoding="utf-8")
    code = ("import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
            "resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000)); "
            "from retold.cli import main; sys.argv[0] = 'retold'; main()")
    # no coverage measurement in this child: its data file would hit the same size limit
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COV_CORE", "COVERAGE"))}
    proc = subprocess.run([sys.executable, "-c", code, "report", str(result_dir), "-o", str(path), "--force", "-q"],
                          capture_output=True, text=True, cwd=SEEDS.parents[1], timeout=300, check=False, env=env)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip() == f"error: cannot write {path}: File too large"
    assert path.read_text(encoding="utf-8") == "<p>previous report</p>\n"
    assert_no_temporaries(tmp_path)
