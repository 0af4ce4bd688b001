"""Temporary files that worker processes append to, and texts read back from them.

The scan streams texts through the sketching workers and drops them; later stages need
the shingle sets of every document and the texts of the paired ones. Rather than send
them back to the parent process (pickling gigabytes through pipes) or hold every text in
memory, each worker appends what it made to its own files in a :class:`SpillDir` and
returns only where it put them. Files are read back by position (``pread``, so reading
does not grow the resident memory), and the directory is removed on close.

Close may never run (``kill -9``), so a directory is also removed by a *reaper*: one small
process per process that makes spill directories (see :func:`_reaper_send`), which learns
each directory's name before it exists and removes the ones still there when its pipe
closes, that is when the parent and every worker forked from it (they hold the pipe too,
and die with the parent: :func:`retold.engines.local.parallel.die_with_parent`) are gone.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

#: open (fd, pid) of this process, by file path, to append and to read (a forked child opens its own)
_HANDLES: dict[tuple[str, str], tuple[int, int]] = {}
_READERS: dict[tuple[str, str], tuple[int, int]] = {}


def _open_once(handles: dict[tuple[str, str], tuple[int, int]], key: tuple[str, str], flags: int) -> int:
    """This process's descriptor of file ``key[1]`` of directory ``key[0]`` in ``handles``,
    opened on first use."""
    fd, pid = handles.get(key, (-1, -1))
    if pid != os.getpid():
        fd = os.open(os.path.join(*key), flags, 0o600)
        handles[key] = (fd, os.getpid())
    return fd


#: the reaper: reads NUL-terminated "+path" (remove at the end) and "-path" (removed already,
#: forget it) until end of input, then removes what is left. It runs in its own session, so a
#: Ctrl-C on the terminal does not reach it, and holds nothing but the pipe.
_REAPER_CODE = r"""
import os, shutil, signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
live, rest = [], b""
while chunk := os.read(0, 65536):
    *items, rest = (rest + chunk).split(b"\0")
    for item in items:
        if item[:1] == b"+":
            live.append(item[1:])
        elif item[1:] in live:
            live.remove(item[1:])
for path in live:
    shutil.rmtree(path, ignore_errors=True)
"""

#: (owner pid, write end of the pipe, process) of this process's reaper
_REAPER: tuple[int, int, subprocess.Popen[bytes]] | None = None
_REAPER_LOCK = threading.Lock()


def _reaper_send(op: bytes, path: str) -> None:
    """Tell this process's reaper (started on first use) that ``path`` is live (``op=b"+"``)
    or gone (``b"-"``).

    The write end of the reaper's pipe is held by this process and inherited by the workers
    it forks; it closes only when all of them have ended, however they ended. One write of
    a short path is atomic. If the reaper cannot be started or has gone, spill directories
    are still removed by :meth:`SpillDir.close`, just not after a ``kill -9``.
    """
    global _REAPER
    with _REAPER_LOCK:
        if _REAPER is None or _REAPER[0] != os.getpid():
            read, write = os.pipe()
            try:
                proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", _REAPER_CODE], stdin=read,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/",
                                        start_new_session=True)
            except OSError:
                os.close(write)
                return
            finally:
                os.close(read)
            _REAPER = (os.getpid(), write, proc)
        try:
            os.write(_REAPER[1], op + os.fsencode(path) + b"\0")
        except OSError:  # the reaper was killed: start another next time
            os.close(_REAPER[1])
            _REAPER = None


def _make_dir(directory: str | None) -> str:
    """A new private directory ``retold-<random>`` in ``directory`` (default: TMPDIR), named
    to the reaper before it is created, so that no moment exists when it could be left behind.

    (A name that already exists is withdrawn; 64 random bits make that practically never.)
    """
    base = os.path.abspath(directory or tempfile.gettempdir())
    for _ in range(100):
        path = os.path.join(base, f"retold-{secrets.token_hex(8)}")
        _reaper_send(b"+", path)
        try:
            os.mkdir(path, 0o700)
            return path
        except FileExistsError:
            _reaper_send(b"-", path)
        except BaseException:
            _reaper_send(b"-", path)
            raise
    raise FileExistsError(f"no free temporary directory name in {base}")


class SpillDir:
    """A temporary directory of append-only files, one per process and kind.

    Removed on :meth:`close` by the process that made it, and by the reaper if that process
    is killed first (see the module's docstring).
    """

    def __init__(self, directory: str | None = None) -> None:
        self.path = _make_dir(directory)
        self._owner = os.getpid()

    def __enter__(self) -> "SpillDir":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> str:
        return self.path

    def __setstate__(self, path: str) -> None:
        self.path = path
        self._owner = -1  # a worker's copy: it never removes the directory

    def append(self, kind: str, data: bytes | memoryview) -> tuple[str, int]:
        """Append ``data`` to this process's ``kind`` file; returns (file name, start offset)."""
        name = f"{os.getpid()}.{kind}"
        fd = _open_once(_HANDLES, (self.path, name), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        start = os.fstat(fd).st_size
        view = memoryview(data).cast("B")
        while view:
            view = view[os.write(fd, view):]
        return name, start

    def read(self, name: str, start: int, size: int) -> bytes:
        return os.pread(self.reader(name), size, start)

    def reader(self, name: str) -> int:
        """This process's read descriptor of file ``name`` (opened on first use)."""
        return _open_once(_READERS, (self.path, name), os.O_RDONLY)

    def read_into(self, name: str, start: int, out: np.ndarray) -> None:
        """Fill ``out`` with the bytes of file ``name`` from ``start`` (no intermediate copy)."""
        fd = self.reader(name)
        view = memoryview(out).cast("B")
        while view:
            got = os.preadv(fd, [view], start)
            if got <= 0:
                raise OSError(f"{name} ended early at byte {start}")
            view, start = view[got:], start + got

    def read_array(self, name: str, start: int, count: int, dtype: type = np.uint64) -> np.ndarray:
        return np.fromfile(os.path.join(self.path, name), dtype=dtype, count=count, offset=start)

    def close(self) -> None:
        for handles in (_HANDLES, _READERS):
            for key in [k for k in handles if k[0] == self.path]:
                fd, pid = handles.pop(key)
                if pid == os.getpid():
                    os.close(fd)
        if self._owner == os.getpid():
            shutil.rmtree(self.path, ignore_errors=True)
            _reaper_send(b"-", self.path)
            self._owner = -1


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
        start = self.starts.item(i)
        return self.spill.read(self.files[self.file_of.item(i)], start, self.ends.item(i) - start)

    def get(self, index: int) -> str:
        """Item ``index`` as text (UTF-8)."""
        return self.raw(index).decode("utf-8", "surrogatepass")

    def array(self, index: int) -> np.ndarray:
        """Item ``index`` as uint64 values (native byte order: written by this machine)."""
        return np.frombuffer(self.raw(index), dtype=np.uint64)

    def arrays(self, indices: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`array` of each of ``indices``, laid end to end: (uint64 values, offsets
        int64, one more than ``indices``), each item read straight into its place."""
        at = np.asarray(indices, dtype=np.int64)
        starts, ends = self.starts[at], self.ends[at]
        offsets = np.zeros(len(at) + 1, dtype=np.int64)
        np.cumsum((ends - starts) // 8, out=offsets[1:])
        flat = np.empty(int(offsets[-1]), dtype=np.uint64)
        read_into, files = self.spill.read_into, self.files
        for f, s, lo, hi in zip(self.file_of[at].tolist(), starts.tolist(), offsets[:-1].tolist(),
                                offsets[1:].tolist()):
            read_into(files[f], s, flat[lo:hi])
        return flat, offsets
