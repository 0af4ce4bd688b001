"""Processes under hostile signals: ``kill -9``, SIGTERM and Ctrl-C during real runs.

A killed ``retold scan``, ``retold dedup`` or ``retold index add`` must leave nothing
behind: no worker process (they die with their parent, :mod:`retold.engines.local.parallel`),
no ``retold-*`` spill folder in its TMPDIR (removed by the reaper,
:mod:`retold.engines.local.textstore`), and for an index, exactly a prefix of whole
committed batches that passes ``check``. SIGTERM and Ctrl-C run the normal cleanup and end
with one line, not tracebacks.

Every run is a real ``retold`` process with a private TMPDIR under ``tmp_path``: the
console script, or (for most of the hundred kills, which would otherwise spend their time
starting interpreters) a process forked from a server that imported ``retold`` once and
then runs the console script's function. The kill moments come from seeded random delays,
mostly counted from when the run's first worker appears so they land mid-work. Timeouts
are safety nets only.
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from retold.index import Index

from conftest import edit_words, make_doc

RETOLD = str(Path(sys.executable).with_name("retold"))
DOCS = 600
BATCH = 20
#: kills per command: 100 in all
KILLS = {"scan": 40, "index add": 40, "dedup": 20}
SAFETY = 60.0  # seconds: only for a process that hangs
CONSOLE_EVERY = 10  # one kill run in ten is the console script itself (start-up included)


def _families(path: Path, prose: list[str], docs: int) -> tuple[Path, list[str]]:
    """``docs`` documents of real prose in families of three (one original, two light
    rewrites) written to ``path``: (path, ids)."""
    ids = [f"doc-{i:04d}" for i in range(docs)]
    with path.open("w", encoding="utf-8") as fh:
        for i, doc_id in enumerate(ids):
            text = make_doc(prose, (i // 3) * 7, 200)
            fh.write(json.dumps({"id": doc_id, "text": edit_words(text, 0.05, i) if i % 3 else text}) + "\n")
    return path, ids


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, prose: list[str]) -> tuple[Path, list[str]]:
    """600 documents, so every stage has work: about half a second of scan on two workers
    (kills land anywhere in it, start-up included)."""
    return _families(tmp_path_factory.mktemp("input") / "docs.jsonl", prose, DOCS)


@pytest.fixture(scope="module")
def long_corpus(tmp_path_factory: pytest.TempPathFactory, prose: list[str]) -> tuple[Path, list[str]]:
    """Ten times as many: a run still working well after its first worker starts, so a
    signal sent then lands in the middle of it, not in the interpreter's exit."""
    return _families(tmp_path_factory.mktemp("input") / "docs.jsonl", prose, 10 * DOCS)


def _command(kind: str, source: Path, work: Path) -> list[str]:
    """The arguments of a ``retold`` run of ``kind`` (without the program name)."""
    common = [str(source), "--workers", "2", "--quiet"]
    # --force: a run the kill missed (it finished first) leaves outputs the next run replaces
    if kind == "scan":
        return ["scan", *common, "--out", str(work / "out"), "--force"]
    if kind == "dedup":
        return ["dedup", *common, "--out", str(work / "kept.jsonl"), "--force"]
    return ["index", "add", *common, "--db", str(work / "index.retold"), "--batch-size", str(BATCH)]


def _stderr_path(tmpdir: Path) -> Path:
    return tmpdir.parent / f"{tmpdir.name}.stderr"


def _stderr(tmpdir: Path) -> str:
    return _stderr_path(tmpdir).read_text(encoding="utf-8", errors="replace")


@dataclass
class Run:
    """A running ``retold`` process: its pid, and how to wait for its exit code (negative:
    the signal that ended it)."""

    pid: int
    wait: Callable[[], int]


def _start(args: list[str], tmpdir: Path, *, session: bool = False) -> tuple[Run, subprocess.Popen[bytes]]:
    """The console script with its own TMPDIR; stderr goes to a file, so no pipe outlives it."""
    tmpdir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, TMPDIR=str(tmpdir))
    with _stderr_path(tmpdir).open("wb") as err:
        proc = subprocess.Popen([RETOLD, *args], env=env, stdout=subprocess.DEVNULL, stderr=err,
                                start_new_session=session)
    return Run(proc.pid, lambda: proc.wait(timeout=SAFETY)), proc


#: a fork server: imports retold once, then forks one process per run that sets its TMPDIR
#: and stderr and calls the console script's function (``retold.cli.main``), exiting as it
#: would. A run then costs no interpreter start-up (seconds on a loaded machine), so a
#: hundred kills fit in the time of a test. {"argv", "tmpdir", "stderr"} -> pid; {"wait": pid}
#: -> exit code.
_ZYGOTE = r"""
import json, os, sys, tempfile
from retold.cli import main
for line in sys.stdin:
    req = json.loads(line)
    if "wait" in req:
        print(os.waitstatus_to_exitcode(os.waitpid(req["wait"], 0)[1]), flush=True)
        continue
    pid = os.fork()
    if pid:
        print(pid, flush=True)
        continue
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.dup2(os.open(req["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
    os.environ["TMPDIR"] = req["tmpdir"]
    tempfile.tempdir = None
    sys.exit(main(req["argv"], prog_name="retold"))
"""


class Zygote:
    """The fork server (:data:`_ZYGOTE`) of one test thread; ``name`` tags its command line,
    which every process it forks (and their workers) shares."""

    def __init__(self, name: str) -> None:
        self.cmdline = [sys.executable, "-c", _ZYGOTE, name]
        self.proc = subprocess.Popen(self.cmdline, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, request: dict[str, Any]) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], SAFETY)
        assert ready, f"no answer to {request}"
        return int(self.proc.stdout.readline())

    def start(self, args: list[str], tmpdir: Path) -> Run:
        tmpdir.mkdir(parents=True, exist_ok=True)
        pid = self.ask({"argv": args, "tmpdir": str(tmpdir), "stderr": str(_stderr_path(tmpdir))})
        return Run(pid, lambda: self.ask({"wait": pid}))

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=SAFETY)


def _ended(pid: int) -> bool:
    """The process has exited (a zombie until its parent waits for it, which only ``Run.wait`` does)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _wait_for_workers(run: Run) -> None:
    """Until the run has a child process (or has ended)."""
    deadline = time.monotonic() + SAFETY
    while not _ended(run.pid) and time.monotonic() < deadline:
        try:
            if psutil.Process(run.pid).children():
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.01)


def _living(procs: list[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p)
        except psutil.NoSuchProcess:
            pass
    return alive


def _strays(tmpdir: Path, zygote: Zygote | None) -> list[psutil.Process]:
    """Living processes of the run wherever they were re-parented, even ones forked after the
    descendants were listed: those started with its TMPDIR in their environment (a console
    script run and what it forked; the reaper of any run), and those sharing the command
    line of the fork server that made the run (only one run per server at a time)."""
    found = []
    for p in psutil.process_iter():
        try:
            if p.status() == psutil.STATUS_ZOMBIE or (zygote is not None and p.pid == zygote.proc.pid):
                continue
            if p.environ().get("TMPDIR") == str(tmpdir) or (zygote is not None and p.cmdline() == zygote.cmdline):
                found.append(p)
        except (psutil.Error, OSError):
            pass
    return found


def _assert_nothing_left(descendants: list[psutil.Process], tmpdir: Path, zygote: Zygote | None = None) -> None:
    """No descendant of the ended run alive (after a short grace for the kernel and the
    reaper), no stray process of it anywhere, no spill folder."""
    deadline = time.monotonic() + SAFETY
    while (_living(descendants) or _strays(tmpdir, zygote)) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _living(descendants), [p.cmdline() for p in _living(descendants)]
    assert not _strays(tmpdir, zygote)
    assert not list(tmpdir.glob("retold-*")), list(tmpdir.iterdir())


def _signal_run(run: Run, sig: int, *, group: bool = False) -> tuple[int, list[psutil.Process]]:
    """Send ``sig`` to a run (or its process group) unless it has ended, and wait for it;
    returns its exit code and its descendants just before the signal."""
    try:
        descendants = psutil.Process(run.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        descendants = []
    if not _ended(run.pid):  # still our unwaited child, so the pid cannot have been reused
        if group:
            os.killpg(run.pid, sig)
        else:
            os.kill(run.pid, sig)
    return run.wait(), descendants


def _index_is_a_committed_prefix(db: Path, ids: list[str], before: int) -> int:
    """The index passes check and holds the first n input documents, n a whole number of
    batches (or all), and no fewer than an earlier run left; returns n."""
    if not db.exists():
        assert before == 0
        return 0
    with Index.open(db, readonly=True) as index:
        assert index.check() == []
        held = index.ids()
    n = len(held)
    assert held == ids[:n], "the index is not a prefix of the input"
    assert n % BATCH == 0 or n == len(ids), f"half a batch: {n} documents"
    assert n >= before, (before, n)
    return n


def _kill_loop(kind: str, kills: int, seed: int, source: Path, ids: list[str], root: Path) -> int:
    """``kill -9`` runs of ``kind`` at seeded random moments until ``kills`` landed; check each.

    Every ``CONSOLE_EVERY``-th run is the console script itself, the others come from a fork
    server (:data:`_ZYGOTE`).
    """
    rng = random.Random(seed)
    work = root / kind.replace(" ", "-")
    work.mkdir()
    args = _command(kind, source, work)
    db = work / "index.retold"
    done = held = runs = 0
    zygote = Zygote(kind)
    try:
        while done < kills:
            runs += 1
            tmpdir = work / f"tmp-{runs}"
            run = _start(args, tmpdir)[0] if runs % CONSOLE_EVERY == 1 else zygote.start(args, tmpdir)
            if rng.random() < 0.2:  # any moment, start-up included
                time.sleep(rng.uniform(0.0, 1.0))
            else:  # mid-work: from the first child on (an index add is the shorter run)
                _wait_for_workers(run)
                time.sleep(rng.uniform(0.0, 0.6 if kind == "index add" else 1.2))
            code, descendants = _signal_run(run, signal.SIGKILL)
            assert code in (0, -signal.SIGKILL), _stderr(tmpdir)  # 0: it finished first
            done += code == -signal.SIGKILL
            _assert_nothing_left(descendants, tmpdir, zygote)
            if kind == "index add":
                held = _index_is_a_committed_prefix(db, ids, held)
                if held == len(ids):  # complete: start afresh so kills hit the first batches again
                    for path in work.glob("index.retold*"):
                        path.unlink()
                    held = 0
    finally:
        zygote.close()
    if kind == "index add" and db.exists():
        check = subprocess.run([RETOLD, "index", "check", "--db", str(db), "--quiet"], capture_output=True, check=False,
                               timeout=SAFETY)
        assert check.returncode == 0, check.stderr
    return done


@pytest.mark.slow
def test_kill_9_leaves_no_worker_no_spill_folder_and_a_committed_index(tmp_path, corpus):
    source, ids = corpus
    with ThreadPoolExecutor(len(KILLS)) as lanes:  # the three commands side by side
        futures = [lanes.submit(_kill_loop, kind, kills, 1000 + i, source, ids, tmp_path)
                   for i, (kind, kills) in enumerate(KILLS.items())]
        done = [f.result() for f in futures]
    assert sum(done) >= 100


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["scan", "index add"])
def test_sigterm_cleans_up_and_exits_143(tmp_path, long_corpus, kind):
    source, ids = long_corpus
    tmpdir = tmp_path / "tmp"
    run = _start(_command(kind, source, tmp_path), tmpdir)[0]
    _wait_for_workers(run)
    time.sleep(0.2)
    code, descendants = _signal_run(run, signal.SIGTERM)
    assert code == 128 + signal.SIGTERM, _stderr(tmpdir)
    assert "Traceback" not in _stderr(tmpdir)
    _assert_nothing_left(descendants, tmpdir)
    if kind == "index add":
        _index_is_a_committed_prefix(tmp_path / "index.retold", ids, 0)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["scan", "index add"])
def test_ctrl_c_prints_one_line_and_exits_130(tmp_path, long_corpus, kind):
    """SIGINT to the whole process group, as a terminal sends it: workers included."""
    source, ids = long_corpus
    tmpdir = tmp_path / "tmp"
    run = _start(_command(kind, source, tmp_path), tmpdir, session=True)[0]
    _wait_for_workers(run)
    time.sleep(0.2)
    code, descendants = _signal_run(run, signal.SIGINT, group=True)
    assert code == 128 + signal.SIGINT, _stderr(tmpdir)
    assert _stderr(tmpdir) == "interrupted\n"
    _assert_nothing_left(descendants, tmpdir)
    if kind == "index add":
        _index_is_a_committed_prefix(tmp_path / "index.retold", ids, 0)
