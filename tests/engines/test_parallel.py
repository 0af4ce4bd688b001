"""The local engine's process plumbing (retold.engines.local.parallel)."""

from __future__ import annotations

import os
import signal
import sys

import pytest

from retold.engines.local.parallel import SHARED, fork_map
from retold.errors import WorkerError


def _square_or_die(x: int) -> int:
    if x == SHARED["fatal"]:
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's out-of-memory killer does
    return x * x


def test_fork_map_keeps_order_in_workers():
    assert list(fork_map(_square_or_die, range(20), 2, fatal=-1)) == [x * x for x in range(20)]


def test_a_killed_worker_is_a_clear_error():
    with pytest.raises(WorkerError, match="worker process stopped"):
        list(fork_map(_square_or_die, range(20), 2, fatal=7))
    assert SHARED == {}


_FAULTS = """
import resource, sys
import numpy as np
from retold.engines.local.parallel import tune_allocator
if sys.argv[1] == "tuned":
    tune_allocator()
a = np.ones(1 << 20)  # 8 MB, freed, then asked for again
del a
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
a = np.ones(1 << 20)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def test_a_tuned_allocator_reuses_freed_blocks_instead_of_faulting_in_new_pages():
    """8 MB freed and asked for again: glibc's default gets fresh pages (hundreds of page
    faults); tuned, the freed block is reused (none)."""
    import subprocess

    faults = {mode: int(subprocess.run([sys.executable, "-c", _FAULTS, mode], capture_output=True, text=True,
                                       check=True).stdout) for mode in ("default", "tuned")}
    assert faults["default"] > 100 and faults["tuned"] * 10 < faults["default"], faults
