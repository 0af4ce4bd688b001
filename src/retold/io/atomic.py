"""Atomic outputs: a file appears complete under its name, or not at all.

Every file retold writes (the result tables and summary.json of ``retold scan --out``,
the kept records and ``removed.*`` of ``retold dedup``, the HTML report) goes through
this module, so a full disk, an I/O error or an interrupted run never leaves a
truncated output:

* the bytes go to a temporary file in the destination's own directory (same
  filesystem, so the rename is atomic), named ``.<name>.<random>.tmp``; it is created
  with mode ``0o666`` minus the umask, like any file ``open(path, "w")`` creates;
* when it is complete it is flushed, ``fsync``-ed and renamed over the destination
  (:func:`os.replace`); the directory is then ``fsync``-ed (best effort: not every
  platform can open a directory);
* on every other exit path (an :class:`OSError`, an exception raised by the code
  producing the rows, :class:`KeyboardInterrupt`) the temporary is removed and the
  destination, if it existed, is untouched;
* an :class:`OSError` while creating, writing, syncing or renaming becomes
  :class:`retold.errors.OutputError`, one line naming the destination, e.g.
  ``cannot write result/pairs.jsonl: No space left on device``. Errors from anything
  else (reading the input, a bug) pass through unchanged.

:func:`atomic_write` is one file. :class:`AtomicSet` is several files that appear
together: each member is written completely to its temporary first; only when every
member is complete does :meth:`AtomicSet.commit` remove the set's ``stale`` paths and
then rename the members into place in the order they were completed. If anything fails
before that, every temporary is removed and no destination is touched.

``retold scan --out DIR`` (:func:`retold.io.writers.write_result`) uses a set whose
last member is ``summary.json`` and whose stale paths are ``summary.json`` and the
tables of the other format: ``summary.json`` is the commit marker. It is removed before
the first table is replaced and renamed in last, so a directory holding
``summary.json`` holds exactly one complete run. A write failure (full disk) happens
before any rename, so the previous run's files stay as they were; a rename failing
half-way (rare: a rename needs no data blocks) leaves no ``summary.json``, meaning
"no complete run here".

Writers take an *opener*: ``atomic_write`` or ``AtomicSet.open``, a context manager
``opener(path, mode)`` yielding a binary (``"wb"``) or text (``"w"``) stream.
"""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Protocol, Self

from retold.errors import OutputError

#: bytes buffered in memory before each write to the temporary file
BUFFER_BYTES = 1 << 20
#: how temporaries end (``.<name>.<random>.tmp``); nothing else of retold's ends so
TEMP_SUFFIX = ".tmp"
_MODES = ("wb", "w")


class Opener(Protocol):
    """How a writer gets its output stream: :func:`atomic_write` or :meth:`AtomicSet.open`."""

    def __call__(self, path: str | Path, mode: str = "wb", *, encoding: str | None = None,
                 newline: str | None = None) -> AbstractContextManager[IO[Any]]: ...


def _write_fd(fd: int, data: memoryview) -> int:
    """One :func:`os.write`: the single place output bytes reach the disk (tests inject faults here)."""
    return os.write(fd, data)


def make_dirs(directory: str | Path) -> None:
    """Create ``directory`` and its parents if needed; an OSError becomes :class:`OutputError`."""
    try:
        Path(directory).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError.from_os(directory, exc, "create directory") from exc


def is_temporary(path: str | Path) -> bool:
    """Whether ``path`` is named like one of this module's temporaries."""
    name = Path(path).name
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


def _sync_dir(directory: Path) -> None:
    """fsync a directory so the renames in it survive a crash; best effort (not possible everywhere)."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _create_temp(dest: Path) -> tuple[Path, int]:
    """A new, empty temporary beside ``dest`` (mode 0o666 minus the umask) and its descriptor."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(64):
        tmp = dest.with_name(f".{dest.name[:200]}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
        try:
            return tmp, os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputError.from_os(dest, exc) from exc
    raise OutputError(f"cannot write {dest}: no free temporary name beside it", str(dest))


class _Sink(io.RawIOBase):
    """Unbuffered writes to a temporary's descriptor, every byte or an :class:`OutputError`.

    After a failure, or once :attr:`dropping` is set, writes are dropped: closing the
    streams stacked on it on the way out then cannot raise a second error. Closing it
    leaves the descriptor open (its :class:`_Temp` syncs and closes it).
    """

    def __init__(self, fd: int, dest: Path) -> None:
        super().__init__()
        self._fd = fd
        self._dest = dest
        self._pos = 0
        self.dropping = False

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def write(self, data: Any) -> int:  # type: ignore[override]
        view = memoryview(data).cast("B")
        n = len(view)
        if self.dropping:
            return n
        done = 0
        try:
            while done < n:
                wrote = _write_fd(self._fd, view[done:])
                if wrote <= 0:  # a regular file never does this; do not spin
                    raise OSError(5, os.strerror(5))
                done += wrote
        except OSError as exc:
            self.dropping = True
            raise OutputError.from_os(self._dest, exc) from exc
        self._pos += n
        return n


class _Temp:
    """One temporary file beside ``dest`` and the stream that writes it."""

    def __init__(self, dest: Path, mode: str, encoding: str | None, newline: str | None) -> None:
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
        self.dest = dest
        self.path, fd = _create_temp(dest)
        self._fd: int | None = fd
        self._sink = _Sink(fd, dest)
        buffered = io.BufferedWriter(self._sink, BUFFER_BYTES)
        self.stream: IO[Any] = buffered if mode == "wb" else io.TextIOWrapper(
            buffered, encoding=encoding or "utf-8", newline=newline)

    def complete(self) -> None:
        """Flush, fsync and close: afterwards the temporary holds every byte, on disk."""
        self.stream.close()  # a failing flush raises OutputError from the sink
        fd, self._fd = self._fd, None
        try:
            if fd is not None:
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        except OSError as exc:
            raise OutputError.from_os(self.dest, exc) from exc

    def install(self) -> None:
        """Rename the complete temporary over the destination."""
        try:
            os.replace(self.path, self.dest)
        except OSError as exc:
            raise OutputError.from_os(self.dest, exc) from exc

    def discard(self) -> None:
        """Drop everything: close quietly and remove the temporary (never raises an OSError)."""
        self._sink.dropping = True
        try:
            with suppress(Exception):
                self.stream.close()
        finally:
            fd, self._fd = self._fd, None
            try:
                if fd is not None:
                    with suppress(OSError):
                        os.close(fd)
            finally:
                with suppress(OSError):
                    os.unlink(self.path)


@contextmanager
def atomic_write(path: str | Path, mode: str = "wb", *, encoding: str | None = None,
                 newline: str | None = None) -> Iterator[IO[Any]]:
    """Write ``path`` atomically: yield a stream on a temporary beside it, renamed into place on success.

    ``mode`` is ``"wb"`` (a buffered binary stream) or ``"w"`` (text; ``encoding``
    defaults to UTF-8, ``newline`` as for :func:`open`). The parent directory is created
    if needed. If the block raises (anything, KeyboardInterrupt included) the temporary
    is removed and ``path`` is untouched; an OSError of the output becomes
    :class:`~retold.errors.OutputError` naming ``path``.
    """
    dest = Path(path)
    make_dirs(dest.parent)
    temp = _Temp(dest, mode, encoding, newline)
    try:
        yield temp.stream
        temp.complete()
        temp.install()
    except BaseException:
        temp.discard()
        raise
    _sync_dir(dest.parent)


class AtomicSet:
    """Several files that appear together, or not at all (see the module docstring).

    Use it as a context manager: members are written with :meth:`open`; leaving the
    block normally commits (removes ``stale``, then renames each member into place in
    the order completed); leaving it with an exception removes every temporary and
    touches nothing else.
    """

    def __init__(self, stale: Iterable[str | Path] = ()) -> None:
        """``stale``: paths removed at commit, before the first rename (missing ones are fine)."""
        self._stale = [Path(p) for p in stale]
        self._ready: list[_Temp] = []

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()

    @contextmanager
    def open(self, path: str | Path, mode: str = "wb", *, encoding: str | None = None,
             newline: str | None = None) -> Iterator[IO[Any]]:
        """Like :func:`atomic_write`, but the complete temporary waits for :meth:`commit`."""
        dest = Path(path)
        if any(t.dest == dest for t in self._ready):
            raise ValueError(f"{dest} is already a member of this set")
        make_dirs(dest.parent)
        temp = _Temp(dest, mode, encoding, newline)
        try:
            yield temp.stream
            temp.complete()
        except BaseException:
            temp.discard()
            raise
        self._ready.append(temp)

    @property
    def members(self) -> tuple[Path, ...]:
        """The destinations written so far, in commit order."""
        return tuple(t.dest for t in self._ready)

    def commit(self) -> None:
        """Remove the stale paths, then rename every member into place; on failure remove what is left."""
        dirs = list(dict.fromkeys(t.dest.parent for t in self._ready))
        try:
            for stale in self._stale:
                try:
                    stale.unlink()
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    raise OutputError.from_os(stale, exc, "remove") from exc
            while self._ready:
                self._ready[0].install()
                self._ready.pop(0)
        except BaseException:
            self.discard()
            raise
        for d in dirs:
            _sync_dir(d)

    def discard(self) -> None:
        """Remove every temporary not yet renamed into place."""
        ready, self._ready = self._ready, []
        for temp in ready:
            temp.discard()
