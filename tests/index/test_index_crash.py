"""Crash safety: ``retold index add`` killed (SIGKILL) at random moments, many times.

Every time, the index must open, pass ``check``, and hold exactly the documents of a
prefix of whole batches of the input: at least the batches the process reported as
committed, at most one more (the one whose commit landed just before the kill). The
same index is grown by the next run (re-adding skips what is there), and started afresh
once complete, so kills land during creation, sketching, writing and committing.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time

import pytest

from retold.index import Index

from conftest import make_doc

BATCH = 10
DOCS = 1500
KILLS = 24
_RUN = "import sys; from retold.cli.index import index_group; index_group(sys.argv[1:], prog_name='retold index')"
_COMMITTED = re.compile(r"^batch \d+: input documents \d+-(\d+): .*; (committed|unchanged, nothing to commit)$")


def _reported(stdout: str) -> int:
    """Input documents through the last batch the process said was in the index."""
    ends = [int(m.group(1)) for line in stdout.splitlines() if (m := _COMMITTED.match(line))]
    return max(ends, default=0)


@pytest.mark.slow
def test_kill_during_add_leaves_a_committed_prefix(tmp_path, prose):
    rng = random.Random(20240501)
    ids = [f"doc-{i:04d}" for i in range(DOCS)]
    source = tmp_path / "in.jsonl"
    with source.open("w", encoding="utf-8") as fh:
        for i, doc_id in enumerate(ids):
            text = make_doc(prose, i, 60) if i % 7 else make_doc(prose, i // 7, 120)  # some reuse
            fh.write(json.dumps({"id": doc_id, "text": text}) + "\n")
    db = tmp_path / "crash.retold"
    cmd = [sys.executable, "-c", _RUN, "add", str(source), "--db", str(db), "--batch-size", str(BATCH),
           "--workers", "1", "--verbose", "--quiet"]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    kills = fresh = before = 0
    deadline = time.monotonic() + 50
    while kills < KILLS and time.monotonic() < deadline:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        time.sleep(rng.uniform(0.1, 1.5))
        killed = proc.poll() is None
        if killed:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        stdout, stderr = proc.communicate(timeout=30)
        assert killed or proc.returncode == 0, stderr
        reported = _reported(stdout)
        if not db.exists():
            assert reported == before == 0
            continue
        with Index.open(db, readonly=True) as index:
            assert index.check() == []
            held = index.ids()
        n = len(held)
        assert held == ids[:n], "the index is not a prefix of the input"
        assert n % BATCH == 0 or n == DOCS, f"half a batch: {n} documents"
        # nothing committed is lost (earlier runs included); at most the batch in flight is extra
        floor = max(reported, before)
        assert floor <= n <= floor + BATCH, (before, reported, n)
        before = n
        if n == DOCS:  # complete: start again so later kills hit early phases too
            for path in tmp_path.glob("crash.retold*"):
                path.unlink()
            fresh += 1
            before = 0
    assert kills >= 20, f"only {kills} kills landed in {fresh + 1} index builds"
