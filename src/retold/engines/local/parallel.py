"""Process pools for the local engine: bounded, ordered, and sharing arrays by fork.

The kernels (:mod:`retold.core`) are pure functions; this module only decides where they run. ``fork_map``
hands large read-only NumPy arrays to the workers through the fork (copy-on-write), so
nothing big is pickled.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context
from typing import Any, TypeVar

from retold.errors import ConfigError

T = TypeVar("T")
R = TypeVar("R")

#: read-only state inherited by workers forked in :func:`fork_map`
SHARED: dict[str, Any] = {}


def release_free_memory() -> None:
    """Give freed heap memory back to the OS (glibc keeps it after many mid-size frees).

    Sketch batches arrive as thousands of few-MB arrays; once they are copied into the
    corpus and freed, glibc would keep their pages, doubling the resident size.
    """
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


def default_workers() -> int:
    return os.cpu_count() or 1


def check_workers(workers: int | None) -> int:
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise ConfigError(f"workers must be >= 1, got {workers}")
    return workers


@contextmanager
def process_pool(workers: int) -> Iterator[Executor | None]:
    """A process pool for ``workers`` > 1 (None: work in this process)."""
    if workers <= 1:
        yield None
        return
    executor = ProcessPoolExecutor(workers, mp_context=get_context("fork"))
    try:
        yield executor
    finally:
        executor.shutdown(cancel_futures=True)


def ordered_map(executor: Executor | None, fn: Callable[[T], R], items: Iterable[T], window: int) -> Iterator[R]:
    """``map`` that keeps at most ``window`` tasks in flight (bounded memory), in order."""
    if executor is None:
        yield from map(fn, items)
        return
    pending: list[Future[R]] = []
    for item in items:
        pending.append(executor.submit(fn, item))
        if len(pending) >= window:
            yield pending.pop(0).result()
    for fut in pending:
        yield fut.result()


def fork_map(fn: Callable[[T], R], items: Iterable[T], workers: int, **shared: Any) -> Iterator[R]:
    """``fn`` over ``items`` in ``workers`` forked processes that see ``shared`` in :data:`SHARED`.

    Results come back in order. With one worker everything runs in this process.
    """
    SHARED.clear()
    SHARED.update(shared)
    try:
        with process_pool(workers) as executor:
            yield from ordered_map(executor, fn, items, window=2 * max(workers, 1))
    finally:
        SHARED.clear()
