"""Byte streams of input files: transparent gzip/zstd decompression that notices a stream
cut short (a zstd frame ends inside a block is reported, not read as a shorter file), and
lines read with a bound, so no line longer than ``max_doc_bytes`` is ever held in memory.
"""

from __future__ import annotations

import gzip
import io
import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import zstandard

from retold.models import Problem
from retold.io.files import open_regular


log = logging.getLogger(__name__)
Report = Callable[[Problem], None]


UTF8_BOM = b"\xef\xbb\xbf"


#: compressed bytes read at a time from a .zst file, and decompressed bytes asked for at a time
_ZSTD_READ = 1 << 16


_ZSTD_BUFFER = 1 << 20


#: bytes read at a time while skipping the rest of a line that is too long
_SKIP_CHUNK = 1 << 20


_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class ZstdFrames:
    """Follows the frame and block boundaries of a zstd stream in its compressed bytes
    (without decompressing), so that a stream that ends inside a frame (a truncated file,
    even one cut exactly at a block edge) can be told from one that ends between frames.

    Layout (RFC 8878): frames of magic, header and blocks (3-byte header: last-block bit,
    type, size; an RLE block holds 1 byte), then an optional 4-byte checksum; skippable
    frames are magic 0x184D2A5? and a 4-byte size. Bytes that are no zstd frame stop the
    tracking (the decompressor reports those).
    """

    def __init__(self) -> None:
        self._state = "magic"
        self._need = 4
        self._buf = bytearray()
        self._skip = 0
        self._after_skip = "magic"
        self._checksum = False
        self.consumed = 0

    @property
    def complete(self) -> bool:
        """Whether the bytes fed so far end between two frames (or tracking stopped)."""
        return self._state in ("magic", "off") and not self._buf and not self._skip

    def feed(self, data: bytes) -> None:
        """Follow ``data``, the next compressed bytes."""
        self.consumed += len(data)
        view, i, n = memoryview(data), 0, len(data)
        while i < n and self._state != "off":
            if self._skip:
                step = min(self._skip, n - i)
                self._skip -= step
                i += step
                if not self._skip:
                    self._goto(self._after_skip)
                continue
            take = min(self._need - len(self._buf), n - i)
            self._buf += view[i:i + take]
            i += take
            if len(self._buf) == self._need:
                field = bytes(self._buf)
                self._buf.clear()
                self._parse(field)

    def _goto(self, state: str) -> None:
        self._state = state
        self._need = {"magic": 4, "descriptor": 1, "block": 3, "checksum": 4, "skippable": 4}.get(state, self._need)

    def _skip_then(self, size: int, state: str) -> None:
        self._skip, self._after_skip = size, state
        if not size:
            self._goto(state)

    def _parse(self, field: bytes) -> None:
        """One complete header field of the current state."""
        if self._state == "magic":
            if field == _ZSTD_MAGIC:
                self._goto("descriptor")
            elif field[1:] == b"\x2a\x4d\x18" and field[0] & 0xF0 == 0x50:
                self._goto("skippable")
            else:
                self._state = "off"
        elif self._state == "descriptor":
            d = field[0]
            single = bool(d & 0x20)
            fcs = (1 if single else 0, 2, 4, 8)[d >> 6]
            did = (0, 1, 2, 4)[d & 3]
            self._checksum = bool(d & 4)
            self._goto("block")
            self._skip_then((0 if single else 1) + did + fcs, "block")
        elif self._state == "block":
            value = int.from_bytes(field, "little")
            last, kind, size = value & 1, (value >> 1) & 3, value >> 3
            after = ("checksum" if self._checksum else "magic") if last else "block"
            self._skip_then(1 if kind == 1 else size, after)
        elif self._state == "checksum":
            self._goto("magic")
        elif self._state == "skippable":
            self._skip_then(int.from_bytes(field, "little"), "magic")


class _ZstdSource:
    """A compressed file as ``zstandard`` reads it, its frames followed on the way."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw, self.frames = raw, ZstdFrames()

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size if size and size > 0 else _ZSTD_READ)
        self.frames.feed(data)
        return data


class _CheckedZstd(io.RawIOBase):
    """Decompressed bytes of a zstd file that raise ``EOFError`` where they end if the
    file ends inside a frame (zstandard itself ends a truncated stream without a word).
    Everything decompressed before the cut is delivered first."""

    def __init__(self, reader: Any, source: _ZstdSource) -> None:
        super().__init__()
        self._reader, self._source = reader, source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._reader.readinto(buffer)
        if not n and not self._source.frames.complete:
            raise EOFError(f"the zstd stream ends inside a frame after {self._source.frames.consumed:,} compressed "
                           "bytes: the file is truncated")
        return n


def open_binary(path: Path, stack: ExitStack) -> IO[bytes]:
    """A binary line-iterable stream of ``path``, decompressed by suffix (.gz, .zst).

    Only a regular file is opened (see :func:`open_regular`). Every frame of a .zst file
    and every member of a .gz file is read; a truncated one raises ``EOFError`` when
    the reader reaches the cut.
    """
    name = path.name.lower()
    raw = stack.enter_context(open_regular(path))
    if name.endswith(".gz"):
        return stack.enter_context(gzip.GzipFile(fileobj=raw, mode="rb"))
    if name.endswith(".zst"):
        source = _ZstdSource(raw)
        reader = stack.enter_context(zstandard.ZstdDecompressor().stream_reader(
            source, read_size=_ZSTD_READ, read_across_frames=True))
        # a large buffer: what zstandard has decoded but not returned when the input ends
        # early is dropped by it, and a read with room for it returns it all
        return stack.enter_context(io.BufferedReader(_CheckedZstd(reader, source), buffer_size=_ZSTD_BUFFER))
    return raw


@dataclass(frozen=True, slots=True)
class LongLine:
    """A line longer than the limit, read past in chunks and not kept."""

    size: int  # bytes, line end not included
    quotes: int  # '"' bytes in it (what a CSV reader needs to stay in step)


def bounded_lines(stream: IO[bytes], limit: int) -> Iterator[bytes | LongLine]:
    """The lines of ``stream`` (line ends kept); a line longer than ``limit`` bytes
    without its line end comes as a :class:`LongLine` and is never held whole."""
    while True:
        line = stream.readline(limit + 2)
        if not line:
            return
        if line.endswith(b"\n") or len(line) < limit + 2:
            if len(line) - line_end(line) <= limit:
                yield line
            else:
                yield LongLine(len(line) - line_end(line), line.count(b'"'))
            continue
        size, quotes = len(line), line.count(b'"')
        del line
        while True:
            part = stream.readline(_SKIP_CHUNK)
            size += len(part)
            quotes += part.count(b'"')
            if not part or part.endswith(b"\n"):
                break
        yield LongLine(size - line_end(part), quotes)


def line_end(line: bytes) -> int:
    """Bytes of the line end of ``line`` (0, 1 or 2)."""
    return 2 if line.endswith(b"\r\n") else 1 if line.endswith((b"\n", b"\r")) else 0
