"""Items in fixed-size batches (``itertools.batched`` arrives only in Python 3.12)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of ``size`` items (the last one shorter), read lazily."""
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch
