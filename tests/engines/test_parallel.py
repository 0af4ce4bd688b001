"""The local engine's process plumbing (retold.engines.local.parallel)."""

from __future__ import annotations

import os
import signal

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
