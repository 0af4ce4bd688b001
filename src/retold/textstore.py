"""A temporary, append-only store of texts on disk.

The scan streams texts through the sketching stage and drops them; alignment later
needs the texts of the paired documents only. Rather than hold every text in memory or
read the input twice, each text is appended to a temporary file as UTF-8 while it
passes, and read back by position when needed. The file is deleted on close.
"""

from __future__ import annotations

import os
import tempfile
from typing import Iterable


class TextStore:
    """Texts by insertion index, kept in a temporary file (deleted on :meth:`close`)."""

    def __init__(self, directory: str | None = None) -> None:
        fd, self.path = tempfile.mkstemp(prefix="retold-texts-", suffix=".bin", dir=directory)
        self._fh = os.fdopen(fd, "w+b")
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._pos = 0
        self._flushed = True

    def __len__(self) -> int:
        return len(self._starts)

    def __enter__(self) -> "TextStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def append(self, text: str) -> int:
        """Store ``text``; returns its index."""
        data = text.encode("utf-8", "surrogatepass")
        self._fh.write(data)
        self._starts.append(self._pos)
        self._pos += len(data)
        self._ends.append(self._pos)
        self._flushed = False
        return len(self._starts) - 1

    def get(self, index: int) -> str:
        # pread rather than mmap: reading many texts must not grow the resident memory
        if not self._flushed:
            self._fh.flush()
            self._flushed = True
        start, end = self._starts[index], self._ends[index]
        return os.pread(self._fh.fileno(), end - start, start).decode("utf-8", "surrogatepass")

    def get_many(self, indices: Iterable[int]) -> dict[int, str]:
        return {i: self.get(i) for i in indices}

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()
        if os.path.exists(self.path):
            os.unlink(self.path)
