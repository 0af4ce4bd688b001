"""Temporary files that worker processes append to, and texts read back from them.

The scan streams texts through the sketching workers and drops them; later stages need
the shingle sets of every document and the texts of the paired ones. Rather than send
them back to the parent process (pickling gigabytes through pipes) or hold every text in
memory, each worker appends what it made to its own files in a :class:`SpillDir` and
returns only where it put them. Files are read back by position (``pread``, so reading
does not grow the resident memory), and the directory is removed on close.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

#: open (fd, pid) of this process, by file path, to append and to read (a forked child opens its own)
_HANDLES: dict[str, tuple[int, int]] = {}
_READERS: dict[str, tuple[int, int]] = {}


def _open_once(handles: dict[str, tuple[int, int]], path: str, flags: int) -> int:
    """This process's descriptor of ``path`` in ``handles``, opened on first use."""
    fd, pid = handles.get(path, (-1, -1))
    if pid != os.getpid():
        fd = os.open(path, flags, 0o600)
        handles[path] = (fd, os.getpid())
    return fd


class SpillDir:
    """A temporary directory of append-only files, one per process and kind."""

    def __init__(self, directory: str | None = None) -> None:
        self.path = tempfile.mkdtemp(prefix="retold-", dir=directory)

    def __enter__(self) -> "SpillDir":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> str:
        return self.path

    def __setstate__(self, path: str) -> None:
        self.path = path

    def append(self, kind: str, data: bytes | memoryview) -> tuple[str, int]:
        """Append ``data`` to this process's ``kind`` file; returns (file name, start offset)."""
        name = f"{os.getpid()}.{kind}"
        path = os.path.join(self.path, name)
        fd = _open_once(_HANDLES, path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        start = os.fstat(fd).st_size
        view = memoryview(data).cast("B")
        while view:
            view = view[os.write(fd, view):]
        return name, start

    def read(self, name: str, start: int, size: int) -> bytes:
        return os.pread(_open_once(_READERS, os.path.join(self.path, name), os.O_RDONLY), size, start)

    def read_array(self, name: str, start: int, count: int, dtype: type = np.uint64) -> np.ndarray:
        return np.fromfile(os.path.join(self.path, name), dtype=dtype, count=count, offset=start)

    def close(self) -> None:
        for handles in (_HANDLES, _READERS):
            for path in [p for p in handles if p.startswith(self.path + os.sep)]:
                fd, pid = handles.pop(path)
                if pid == os.getpid():
                    os.close(fd)
        shutil.rmtree(self.path, ignore_errors=True)


def append_texts(spill: SpillDir, texts: Sequence[str]) -> tuple[str, np.ndarray]:
    """Store ``texts`` (UTF-8) in one write; returns (file name, byte bounds: len(texts)+1)."""
    data = [t.encode("utf-8", "surrogatepass") for t in texts]
    bounds = np.zeros(len(data) + 1, dtype=np.int64)
    np.cumsum([len(d) for d in data], out=bounds[1:])
    name, start = spill.append("texts", b"".join(data))
    return name, bounds + start


@dataclass(frozen=True, slots=True)
class TextStore:
    """Items by index: each is ``file[starts[i]:ends[i]]`` of a spill directory (a UTF-8
    text, or an array of uint64)."""

    spill: SpillDir
    files: tuple[str, ...]
    file_of: np.ndarray  # int32 index into files
    starts: np.ndarray  # int64
    ends: np.ndarray  # int64

    @classmethod
    def build(cls, spill: SpillDir, pieces: Iterable[tuple[str, np.ndarray, np.ndarray]]) -> "TextStore":
        """The store of ``pieces`` in order: (file name, byte starts, byte ends) each."""
        files: dict[str, int] = {}
        file_of: list[np.ndarray] = []
        starts: list[np.ndarray] = []
        ends: list[np.ndarray] = []
        for name, lo, hi in pieces:
            file_of.append(np.full(len(lo), files.setdefault(name, len(files)), dtype=np.int32))
            starts.append(lo)
            ends.append(hi)

        def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(parts).astype(dtype, copy=False) if parts else np.empty(0, dtype)

        return cls(spill, tuple(files), cat(file_of, np.int32), cat(starts, np.int64), cat(ends, np.int64))

    def __len__(self) -> int:
        return len(self.starts)

    def raw(self, index: int) -> bytes:
        i = int(index)
        return self.spill.read(self.files[self.file_of[i]], int(self.starts[i]), int(self.ends[i] - self.starts[i]))

    def get(self, index: int) -> str:
        """Item ``index`` as text (UTF-8)."""
        return self.raw(index).decode("utf-8", "surrogatepass")

    def array(self, index: int) -> np.ndarray:
        """Item ``index`` as uint64 values (native byte order: written by this machine)."""
        return np.frombuffer(self.raw(index), dtype=np.uint64)
