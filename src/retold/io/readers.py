"""Reading documents from files, streamed, with every unusable record reported.

Inputs are plain-text files (one document each, or a directory of them) and record
files: JSON Lines (optionally gzip/zstd compressed), a JSON array of records (``.json``),
CSV/TSV and Parquet. A directory is a text corpus (its .txt/.md files) or a dataset (its
record files, the shards of a data pipeline's output folder); a path holding a glob
(``out/*.jsonl.gz``, ``corpus/**/*.md``) names the files it matches, ids of text files
relative to the part before the glob. Record files
are never loaded whole (except a ``.json`` array): JSONL is read line by line, CSV row by row, Parquet one batch
of one row group at a time, so memory does not grow with the size of a file.

Every record-file reader only turns its format into ``(origin, dict)`` pairs; one
function, :func:`record_to_document`, maps fields to a :class:`Document` and decides
what is a problem, so all formats behave the same. A bad record is reported (see
:data:`retold.models.PROBLEM_REASONS`) and reading goes on; ``strict=True`` stops at
the first problem instead.

Hostile input is bounded: only regular files are opened (a FIFO or a link to a device
is reported, never read), no line, row or text file longer than
``ReadConfig.max_doc_bytes`` is held in memory, a zstd stream cut inside a frame is
reported as truncated, a CSV quote left open is reported with its lines, and a string
holding a lone surrogate (which no UTF-8 output can encode) never gets past reading.

Texts are kept exactly as stored (no newline normalisation), because passage offsets
point into them.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
import math
import os
import re
import stat
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from retold.config import ReadConfig
from retold.errors import InputError
from retold.models import DocInfo, Document, Problem

log = logging.getLogger(__name__)

#: kinds of input file
KINDS: tuple[str, ...] = ("text", "jsonl", "json", "csv", "tsv", "parquet")
TEXT_SUFFIXES: tuple[str, ...] = (".txt", ".md")
_RECORD_SUFFIXES = ((".jsonl", "jsonl"), (".ndjson", "jsonl"), (".csv", "csv"), (".tsv", "tsv"))
#: rows per Parquet batch: bounds the memory a Parquet input needs
PARQUET_BATCH_ROWS = 1024
#: records per Parquet batch written by :func:`write_records`
WRITE_BATCH_ROWS = 4096

UTF8_BOM = b"\xef\xbb\xbf"
_SURROGATE = re.compile("[\ud800-\udfff]")
#: compressed bytes read at a time from a .zst file, and decompressed bytes asked for at a time
_ZSTD_READ = 1 << 16
_ZSTD_BUFFER = 1 << 20
#: bytes read at a time while skipping the rest of a line that is too long
_SKIP_CHUNK = 1 << 20
#: errors that mean "this file (or what is left of it) cannot be read"
_READ_ERRORS = (OSError, EOFError, zlib.error, zstandard.ZstdError, pa.ArrowException)

Report = Callable[[Problem], None]
D = TypeVar("D")


@dataclass(frozen=True, slots=True)
class InputFile:
    """One file to read. ``root`` (text files only) is what their ids are relative to."""

    path: Path
    root: Path | None
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InputError(f"{self.path}: unknown input kind {self.kind!r}; choose from {list(KINDS)}")


def input_kind(path: Path) -> str | None:
    """The kind of a file from its name (compression suffixes allowed on JSONL/CSV/TSV)."""
    name = path.name.lower()
    if name.endswith(TEXT_SUFFIXES):
        return "text"
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(".json"):
        return "json"
    name = name.removesuffix(".gz").removesuffix(".zst")
    return next((kind for ext, kind in _RECORD_SUFFIXES if name.endswith(ext)), None)


def _display(path: Path) -> Path:
    """The path as the user gave it, made relative to the working directory when under it."""
    return path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path


def printable_name(name: str) -> str:
    """``name`` safe to write as UTF-8: bytes of a non-UTF-8 file name become ``\\xNN``,
    other lone surrogates ``\\udNNN``."""
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return name.encode("utf-8", "backslashreplace").decode("utf-8")


def _is_utf8_name(name: str) -> bool:
    """Whether a path (as Python decoded it from the file system) is valid UTF-8."""
    return _SURROGATE.search(name) is None


_FILE_TYPES = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
               (stat.S_ISSOCK, "a socket"))


class NotRegularFileError(OSError):
    """An input that is not a regular file (a FIFO would block, a device never end)."""


def _check_regular(path: Path, mode: int) -> None:
    """Raise :class:`NotRegularFileError` unless ``mode`` (of ``path``, links followed) is a regular file."""
    if not stat.S_ISREG(mode):
        what = next((name for test, name in _FILE_TYPES if test(mode)), "not a regular file")
        raise NotRegularFileError(f"{printable_name(str(path))} is {what}, not a regular file; only regular files "
                                  "are read")


def open_regular(path: Path) -> IO[bytes]:
    """``path`` opened for binary reading if it is a regular file (symlinks followed).

    Opened non-blocking first, so a FIFO is refused at once instead of waiting for a
    writer; raises :class:`NotRegularFileError` (an ``OSError``) for anything else.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        _check_regular(path, os.fstat(fd).st_mode)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def reporter(on_problem: Report | None, strict: bool) -> Report:
    """Where problems go: raise in strict mode, else the callback, else a logged warning."""

    def report(problem: Problem) -> None:
        if strict:
            raise InputError(str(problem))
        if on_problem is None:
            log.warning("%s", problem)
        else:
            on_problem(problem)

    return report


def _canonical(files: Iterable[InputFile]) -> list[InputFile]:
    """Sort files by (root, path) and keep each real file once, so input order never matters."""
    out: list[InputFile] = []
    seen: set[str] = set()
    for f in sorted(files, key=lambda f: (str(f.root or ""), str(f.path))):
        key = os.path.abspath(f.path)  # not realpath: no system call per file of a big directory
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


#: what a message lists as the input formats
FORMATS_TEXT = ".txt, .md, .jsonl[.gz|.zst], .ndjson, .json, .csv, .tsv or .parquet"
_GLOB_CHARS = re.compile(r"[*?]")


def split_glob(path: Path) -> tuple[Path, str] | None:
    """``(root, pattern)`` of a path holding a glob (``out/*.jsonl``), else None.

    A pattern without ``/`` matches at any depth below the root (as a directory is read
    recursively): ``out/*.jsonl`` also finds ``out/day1/part-0.jsonl``.
    """
    parts = path.parts
    at = next((i for i, part in enumerate(parts) if _GLOB_CHARS.search(part)), None)
    if at is None:
        return None
    root = Path(*parts[:at]) if at else Path(".")
    pattern = "/".join(parts[at:])
    return root, pattern if "/" in pattern else f"**/{pattern}"


def expand_inputs(inputs: Sequence[str | os.PathLike], *, on_problem: Report | None = None) -> list[InputFile]:
    """The files behind ``inputs``, in canonical order.

    A directory is read as a text corpus (its .txt/.md files, id = path relative to the
    directory) when it holds any, else as a dataset (every JSONL, JSON, CSV/TSV and
    Parquet file under it); record files beside text files are not read (a warning says
    so: name them with a glob). A path that does not exist but holds a glob
    (``out/*.parquet``) names the files it matches. Raises :class:`InputError` for a
    missing path, a glob that matches no file, or an unknown extension. A directory that cannot be listed is reported
    as "unreadable" through ``on_problem``.
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    report = reporter(on_problem, strict=False)
    files: list[InputFile] = []
    for given in inputs:
        path = _display(Path(given))
        if not _is_utf8_name(str(path)):
            _report_name(path, report)
            continue
        globbed = split_glob(path) if not path.exists() else None
        if globbed is not None:
            files.extend(_globbed(*globbed, report))
            continue
        if path.is_dir():
            found = _walk(path, report)
            text = [f for f in found if f.kind == "text"]
            if text and len(text) < len(found):
                log.warning("%s: reading its %d .txt/.md files; its %d record files (%s) are not read (choose "
                            "them with a glob: DIR/*.jsonl, --glob '*.jsonl')", path, len(text), len(found) - len(text),
                            _kinds([f for f in found if f.kind != "text"]))
                found = text
            if not found:
                log.warning("%s: directory has no input files (%s)", path, FORMATS_TEXT)
            files.extend(found)
            continue
        if not path.exists():
            raise InputError(f"{path}: no such file or directory")
        kind = input_kind(path)
        if kind is None:
            raise InputError(f"{path}: unknown input format; expected a directory, {FORMATS_TEXT}")
        files.append(InputFile(path, path.parent if kind == "text" else None, kind))
    return _canonical(files)


def _kinds(files: Sequence[InputFile]) -> str:
    """``jsonl 3, parquet 1``: how many files of each kind."""
    counts: dict[str, int] = {}
    for f in files:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    return ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))


def _globbed(root: Path, pattern: str, report: Report) -> list[InputFile]:
    """The input files under ``root`` matching ``pattern`` (files of unknown format skipped;
    text ids relative to ``root``)."""
    if not root.is_dir():
        raise InputError(f"{root / pattern.removeprefix('**/')}: no such file or directory ({root} is no directory)")
    found: list[InputFile] = []
    for path in root.glob(pattern):
        kind = input_kind(path)
        if kind is None or path.is_dir() or path.name.startswith((".", "_")):
            continue
        if not _is_utf8_name(str(path)):
            _report_name(path, report)
            continue
        found.append(InputFile(path, root if kind == "text" else None, kind))
    if not found:
        raise InputError(f"{root}: no such file or directory: no input file matches {pattern.removeprefix('**/')!r} "
                         f"under {root} ({FORMATS_TEXT})")
    return found


def _report_name(path: Path, report: Report) -> None:
    """Report a file whose name is not UTF-8 (its id and origin could not be written)."""
    shown = printable_name(str(path))
    report(Problem(shown, "not_utf8", f"{shown}: the file name is not valid UTF-8; file skipped (rename it)"))


def _walk(root: Path, report: Report) -> list[InputFile]:
    """Every input file under ``root``: .txt/.md files and record files (symlinked files
    included, symlinked dirs not followed; hidden files and ``_``-prefixed ones such as
    ``_SUCCESS`` are skipped for record files); a file that is no regular file is
    reported when it is opened."""

    def onerror(exc: OSError) -> None:
        where = printable_name(str(exc.filename)) if exc.filename else printable_name(str(root))
        report(Problem(where, "unreadable", f"cannot list directory {where}: {exc.strerror or exc}"))

    found: list[InputFile] = []
    for dirpath, _, names in os.walk(root, onerror=onerror):
        for name in names:
            kind = input_kind(Path(name))
            if kind is None or (kind != "text" and name.startswith((".", "_"))):
                continue
            path = Path(dirpath) / name
            if _is_utf8_name(str(path)):
                found.append(InputFile(path, root if kind == "text" else None, kind))
            else:
                _report_name(path, report)
    return found


# ---------------------------------------------------------------------------- records


def _iso_date(value: Any) -> str | None:
    """An ISO 8601 date/datetime in normalised ISO form; ``None`` for no date; ValueError if bad."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValueError(f"not a string but {type(value).__name__}")
    text = value.strip()
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return datetime.fromisoformat(text).isoformat()


def _jsonable(value: Any) -> Any:
    """``value`` as JSON-compatible data (Parquet gives dates, decimals, bytes; JSON may give NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value.isoformat() if isinstance(value, (date, time)) else str(value)


def _optional_str(value: Any) -> str | None:
    """A metadata field: empty means absent (CSV has no null); other scalars become strings."""
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(_jsonable(value))


def surrogate_field(record: Mapping[str, Any]) -> str | None:
    """The name (``a.b[2]`` for nested data) of the first field of ``record`` whose name
    or string value holds a lone surrogate (U+D800-U+DFFF, e.g. a JSON ``"\\udc00"``
    escape), or None. Such a string cannot be encoded as UTF-8, so no output could hold it."""
    if not _has_surrogate(record):
        return None
    stack: list[tuple[str, Any]] = [("", record)]
    while stack:
        name, value = stack.pop()
        if isinstance(value, str):
            if not value.isascii() and _SURROGATE.search(value):
                return name
        elif isinstance(value, Mapping):
            items = [(f"{name}.{k}" if name else str(k), k, v) for k, v in value.items()]
            bad_key = next((label for label, k, _ in items if isinstance(k, str) and _SURROGATE.search(k)), None)
            if bad_key is not None:
                return bad_key
            stack.extend((label, v) for label, _, v in reversed(items))
        elif isinstance(value, (list, tuple)):
            stack.extend((f"{name}[{i}]", v) for i, v in reversed(list(enumerate(value))))
    return None


def _has_surrogate(record: Mapping[str, Any]) -> bool:
    """Whether any field name or string value in ``record`` (nested too) holds a lone surrogate."""
    stack: list[Any] = [record]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if not value.isascii() and _SURROGATE.search(value):
                return True
        elif isinstance(value, (dict, Mapping)):
            for key, item in value.items():
                if isinstance(key, str) and not key.isascii() and _SURROGATE.search(key):
                    return True
                if not isinstance(item, (int, float, type(None))):
                    stack.append(item)
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
    return False


def utf8_size_over(text: str, limit: int) -> int | None:
    """The UTF-8 size of ``text`` if it is more than ``limit`` bytes, else None
    (encodes only when the character count cannot decide)."""
    if len(text) > limit:
        return len(text.encode("utf-8", "surrogatepass"))
    if len(text) * 4 <= limit:
        return None
    size = len(text.encode("utf-8", "surrogatepass"))
    return size if size > limit else None


def document_problem(doc: Document, config: ReadConfig) -> tuple[str, str] | None:
    """(reason, what) if a ready-made :class:`Document` cannot be used: a lone surrogate
    in any field ("not_utf8") or a text longer than ``config.max_doc_bytes`` ("too_large")."""
    fields = {"id": doc.id, "text": doc.text, "date": doc.date, "source": doc.source, "url": doc.url,
              "title": doc.title, "meta": dict(doc.meta)}
    bad = surrogate_field(fields)
    if bad is not None:
        return "not_utf8", f"field {bad!r} has a lone surrogate (\\ud800-\\udfff escape), not UTF-8; record skipped"
    size = utf8_size_over(doc.text, config.max_doc_bytes)
    if size is not None:
        return "too_large", f"text {_too_large(size, config.max_doc_bytes)}"
    return None


def _too_large(size: int, limit: int) -> str:
    """The end of the message for a record longer than ``max_doc_bytes``: "is N bytes, ..."."""
    return f"is {size:,} bytes, more than max_doc_bytes ({limit:,}); skipped (raise --max-doc-bytes to read it)"


def record_to_document(record: Mapping[str, Any], config: ReadConfig, origin: str,
                       on_problem: Report) -> Document | None:
    """Map one record to a :class:`Document` using the field names in ``config``.

    Returns ``None`` (after reporting why) if the record has no usable id or text, a
    lone surrogate in any field name or value ("not_utf8": the whole record is skipped,
    as for its text, since no UTF-8 output could hold it), or a text longer than
    ``config.max_doc_bytes`` ("too_large"); a bad date is reported and dropped, the
    record kept. Other fields go to ``meta``.
    """

    def problem(reason: str, what: str) -> None:
        on_problem(Problem(origin, reason, f"{what} at {origin}"))

    bad = surrogate_field(record)
    if bad is not None:
        problem("not_utf8", f"field {bad!r} has a lone surrogate (\\ud800-\\udfff escape), not UTF-8; "
                            "record skipped")
        return None
    raw_id = record.get(config.id_field)
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int, type(None))):
        problem("bad_record", f"id field {config.id_field!r} is a {type(raw_id).__name__}, not a string or integer")
        return None
    doc_id = str(raw_id) if raw_id is not None else ""
    if not doc_id.strip():
        problem("no_id", f"no id (field {config.id_field!r} is missing or empty; fields: {_fields(record)})")
        return None
    text = record.get(config.text_field)
    if not isinstance(text, str):
        state = "missing" if config.text_field not in record else f"{type(text).__name__}, not a string"
        problem("no_text", f"text field {config.text_field!r} is {state} (fields: {_fields(record)})")
        return None
    size = utf8_size_over(text, config.max_doc_bytes)
    if size is not None:
        problem("too_large", f"text field {config.text_field!r} {_too_large(size, config.max_doc_bytes)}")
        return None
    try:
        doc_date = _iso_date(record.get(config.date_field))
    except ValueError as exc:
        problem("bad_date", f"date {record.get(config.date_field)!r} is not ISO 8601 ({exc}); kept without date")
        doc_date = None
    mapped = {config.id_field, config.text_field, config.date_field, config.source_field,
              config.url_field, config.title_field}
    meta = {str(k): _jsonable(v) for k, v in record.items() if k not in mapped}
    return Document(doc_id, text, doc_date, _optional_str(record.get(config.source_field)),
                    _optional_str(record.get(config.url_field)), _optional_str(record.get(config.title_field)),
                    origin, meta)


def _fields(record: Mapping[str, Any], limit: int = 10) -> str:
    """The record's field names, for messages that say a field is missing (a typo is then easy to spot)."""
    names = [str(k) for k in record]
    return ", ".join(names[:limit]) + (", ..." if len(names) > limit else "") if names else "none"


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
            if len(line) - _line_end(line) <= limit:
                yield line
            else:
                yield LongLine(len(line) - _line_end(line), line.count(b'"'))
            continue
        size, quotes = len(line), line.count(b'"')
        del line
        while True:
            part = stream.readline(_SKIP_CHUNK)
            size += len(part)
            quotes += part.count(b'"')
            if not part or part.endswith(b"\n"):
                break
        yield LongLine(size - _line_end(part), quotes)


def _line_end(line: bytes) -> int:
    """Bytes of the line end of ``line`` (0, 1 or 2)."""
    return 2 if line.endswith(b"\r\n") else 1 if line.endswith((b"\n", b"\r")) else 0


def _jsonl_record(raw: bytes, path: str, n: int, report: Report) -> tuple[str, dict[str, Any]] | None:
    """(origin, JSON object) of line ``n`` of a JSON Lines file, or None (reported) if it is not one."""
    origin = f"{path}:{n}"
    try:
        line = raw.removeprefix(UTF8_BOM if n == 1 else b"").decode("utf-8")
    except UnicodeDecodeError as exc:
        report(Problem(origin, "not_utf8", f"line is not valid UTF-8 (byte {exc.start}) at {origin}"))
        return None
    if not line.strip():
        return None
    try:
        record = json.loads(line)
    except (ValueError, RecursionError) as exc:
        report(Problem(origin, "bad_record", f"line is not valid JSON ({getattr(exc, 'msg', exc)}) at {origin}"))
        return None
    if not isinstance(record, dict):
        report(Problem(origin, "bad_record", f"line is a JSON {type(record).__name__}, not an object, at {origin}"))
        return None
    return origin, record


def _long_line(path: str, n: int, line: LongLine, limit: int, report: Report) -> None:
    """Report JSON line ``n``, longer than ``limit``."""
    origin = f"{path}:{n}"
    report(Problem(origin, "too_large", f"line {_too_large(line.size, limit)} at {origin}"))


def _jsonl_records(f: InputFile, config: ReadConfig, report: Report) -> Iterator[tuple[str, dict[str, Any]]]:
    """JSON objects of a JSON Lines file; lines are decoded one by one so one bad line costs one
    record, and none longer than ``config.max_doc_bytes`` is held in memory."""
    with ExitStack() as stack:
        for n, raw in enumerate(bounded_lines(open_binary(f.path, stack), config.max_doc_bytes), 1):
            if isinstance(raw, LongLine):
                _long_line(str(f.path), n, raw, config.max_doc_bytes, report)
                continue
            got = _jsonl_record(raw, str(f.path), n, report)
            if got is not None:
                yield got


@dataclass(slots=True)
class _CsvRow:
    """What the line feeder saw of the row being read: lines not UTF-8, bytes, lines cut."""

    bad: list[int]
    size: int = 0
    too_large: bool = False

    def reset(self) -> None:
        self.bad.clear()
        self.size, self.too_large = 0, False


def _csv_lines(stream: IO[bytes], row: _CsvRow, limit: int) -> Iterator[str]:
    """Decoded lines for :mod:`csv`. Once the current row passes ``limit`` bytes, each of its
    further lines is replaced by a stub with the same parity of quotes, so the reader stays
    in step (inside or outside a quoted field) without holding the row."""
    for n, raw in enumerate(bounded_lines(stream, limit), 1):
        row.size += raw.size if isinstance(raw, LongLine) else len(raw) - _line_end(raw)
        if isinstance(raw, LongLine) or row.size > limit:
            row.too_large = True
            quotes = raw.quotes if isinstance(raw, LongLine) else raw.count(b'"')
            yield '"' * (quotes % 2) + "\n"
            continue
        try:
            yield raw.removeprefix(UTF8_BOM if n == 1 else b"").decode("utf-8")
        except UnicodeDecodeError:
            row.bad.append(n)
            yield raw.decode("utf-8", "replace")


def _csv_error(exc: csv.Error) -> str:
    """What a :mod:`csv` error means for the user."""
    if "unexpected end of data" in str(exc):
        return "has a quote that is never closed: the file ends inside a quoted field"
    return f"is not valid CSV ({exc}): a quote may have been left open, folding the next lines into this row"


def _csv_records(f: InputFile, config: ReadConfig, report: Report) -> Iterator[tuple[str, dict[str, Any]]]:
    """Rows of a CSV/TSV file with a header line, as dicts; origin is the line the row starts on.

    Lines are decoded one at a time and handed to :mod:`csv` (strict: a quote must close
    before a delimiter or line end, and before the end of the file), which keeps embedded
    newlines (``\\r\\n`` too) and quotes. A row that spans a non-UTF-8 line, passes
    ``config.max_doc_bytes`` or is not valid CSV is reported with its lines and skipped.
    """
    csv.field_size_limit(2**31 - 1)  # a field may be a whole book (default limit: 128 KiB); fits any C long
    delimiter = config.delimiter or ("\t" if f.kind == "tsv" else ",")
    seen = _CsvRow([])

    with ExitStack() as stack:
        reader = csv.reader(_csv_lines(open_binary(f.path, stack), seen, config.max_doc_bytes),
                            delimiter=delimiter, strict=True)
        header: list[str] | None = None
        end = 0
        while True:
            origin = f"{f.path}:{end + 1}"
            problem: tuple[str, str] | None = None
            try:
                row = next(reader, None)
            except csv.Error as exc:
                row, problem = [], ("bad_record", _csv_error(exc))
            if row is None:
                return
            start, end = end + 1, reader.line_num
            lines = f" (lines {start}-{end})" if end > start else ""
            if seen.too_large:
                problem = ("too_large", _too_large(seen.size, config.max_doc_bytes))
            elif seen.bad:
                problem = ("not_utf8", "is not valid UTF-8")
            elif problem is None and header is not None and row and len(row) != len(header):
                problem = ("bad_record", f"has {len(row)} field{'' if len(row) == 1 else 's'}, the header {len(header)}")
            seen.reset()
            if problem is not None:
                what = "row" if header is not None else "header"
                report(Problem(origin, problem[0], f"{what} {problem[1]}{lines} at {origin}"
                                                   + ("" if header else "; file skipped")))
                if header is None:
                    return
            elif header is None:
                header = row or None  # blank lines before the header are allowed
            elif row:
                yield origin, dict(zip(header, row))


def _parquet_records(f: InputFile, config: ReadConfig, report: Report) -> Iterator[tuple[str, dict[str, Any]]]:
    """Rows of a Parquet file, one batch of one row group at a time; a corrupt row group is skipped."""
    _check_regular(f.path, os.stat(f.path).st_mode)
    with pq.ParquetFile(f.path) as pf:
        row = 0
        for group in range(pf.num_row_groups):
            start, size = row, pf.metadata.row_group(group).num_rows
            try:
                for batch in pf.iter_batches(batch_size=PARQUET_BATCH_ROWS, row_groups=[group]):
                    for record in batch.to_pylist():
                        yield f"{f.path}#{row}", record
                        row += 1
            except _READ_ERRORS as exc:
                origin = f"{f.path}#{row}"
                report(Problem(origin, "unreadable", f"cannot read row group {group} (rows {start}-"
                                                     f"{start + size - 1}) of {f.path} at {origin}: {exc}"))
            row = start + size


def _json_records(f: InputFile, config: ReadConfig, report: Report) -> Iterator[tuple[str, dict[str, Any]]]:
    """Records of a ``.json`` file: an array of objects (origin ``path:line`` of the line each
    starts on), or JSON Lines saved as ``.json`` (when the file does not start with ``[``).

    An array is read whole (JSON has no record boundaries to stream on), so its size is
    bounded by the file, not by ``max_doc_bytes``.
    """
    with ExitStack() as stack:
        stream = open_binary(f.path, stack)
        head = stream.read(1 << 16)
        if not head.removeprefix(UTF8_BOM).lstrip().startswith(b"["):
            yield from _jsonl_records(f, config, report)
            return
        raw = head + stream.read()
    path = str(f.path)
    try:
        text = raw.removeprefix(UTF8_BOM).decode("utf-8")
    except UnicodeDecodeError as exc:
        report(Problem(path, "not_utf8", f"{path} is not valid UTF-8 (byte {exc.start}); file skipped"))
        return
    decoder = json.JSONDecoder()
    ws = re.compile(r"\s*")
    at = ws.match(text, text.index("[") + 1).end()  # type: ignore[union-attr]
    line, counted = 1, 0
    n = 0
    while at < len(text) and text[at] != "]":
        line += text.count("\n", counted, at)
        counted = at
        origin = f"{path}:{line}"
        try:
            record, at = decoder.raw_decode(text, at)
        except (ValueError, RecursionError) as exc:
            report(Problem(origin, "bad_record", f"the JSON array is not valid JSON ({getattr(exc, 'msg', exc)}) at "
                                                 f"{origin}; the records after it are not read"))
            return
        if isinstance(record, dict):
            yield origin, record
        else:
            report(Problem(origin, "bad_record", f"array item {n} is a JSON {type(record).__name__}, not an object, "
                                                 f"at {origin}"))
        n += 1
        at = ws.match(text, at).end()  # type: ignore[union-attr]
        if at < len(text) and text[at] == ",":
            at = ws.match(text, at + 1).end()  # type: ignore[union-attr]
        elif at < len(text) and text[at] != "]":
            report(Problem(f"{path}:{line}", "bad_record", f"expected ',' or ']' after array item {n - 1} in {path}; "
                                                            "the records after it are not read"))
            return


_RECORD_READERS: dict[str, Callable[[InputFile, ReadConfig, Report], Iterator[tuple[str, dict[str, Any]]]]] = {
    "jsonl": _jsonl_records, "json": _json_records, "csv": _csv_records, "tsv": _csv_records, "parquet": _parquet_records,
}


def _text_document(f: InputFile, config: ReadConfig, report: Report) -> Document | None:
    """A whole .txt/.md file as one document, id = its path relative to its root.

    Only a regular file is read (else ``NotRegularFileError``); one longer than
    ``config.max_doc_bytes`` is reported "too_large" unread."""
    limit = config.max_doc_bytes
    with open_regular(f.path) as stream:
        size = os.fstat(stream.fileno()).st_size
        raw = stream.read(limit + 1) if size <= limit else b""
    if size > limit or len(raw) > limit:
        report(Problem(str(f.path), "too_large", f"{f.path} {_too_large(max(size, len(raw)), limit)}"))
        return None
    try:
        text = raw.removeprefix(UTF8_BOM).decode("utf-8")
    except UnicodeDecodeError as exc:
        at = exc.start + (len(UTF8_BOM) if raw.startswith(UTF8_BOM) else 0)
        line = raw.count(b"\n", 0, at) + 1
        report(Problem(str(f.path), "not_utf8",
                       f"{f.path} is not valid UTF-8 (byte {at}, line {line}); file skipped"))
        return None
    doc_id = f.path.relative_to(f.root).as_posix() if f.root is not None else f.path.name
    return Document(doc_id, text, origin=str(f.path))


def _file_items(f: InputFile, config: ReadConfig, report: Report) -> Iterator[tuple[Document, Mapping[str, Any]]]:
    """(document, the record it was read from) of one file; a .txt/.md file's record is
    ``{"id", "text"}``. A file that fails to open or decompress is reported "unreadable"."""
    last = ""
    try:
        if f.kind == "text":
            doc = _text_document(f, config, report)
            if doc is not None:
                yield doc, {"id": doc.id, "text": doc.text}
            return
        for origin, record in _RECORD_READERS[f.kind](f, config, report):
            last = origin
            doc = record_to_document(record, config, origin, report)
            if doc is not None:
                yield doc, record
    except _READ_ERRORS as exc:
        after = f" (stopped after {last})" if last else ""
        report(Problem(str(f.path), "unreadable", f"cannot read {f.path}{after}: {exc}"))


def _file_documents(f: InputFile, config: ReadConfig, report: Report) -> Iterator[Document]:
    """Documents of one file (see :func:`_file_items`)."""
    return (doc for doc, _ in _file_items(f, config, report))


def read_records(
    inputs: Sequence[str | os.PathLike],
    config: ReadConfig = ReadConfig(),
    *,
    on_problem: Report | None = None,
) -> Iterator[tuple[Document, Mapping[str, Any]]]:
    """Like :func:`read_documents`, with each document's input record as it was read (the
    user's own field names and columns), for writing a filtered copy of the input."""
    report = reporter(on_problem, False)
    files = _canonical(expand_inputs(list(inputs), on_problem=report))
    items = ((doc, rec) for f in files for doc, rec in _file_items(f, config, report))
    return unique_ids(items, report, doc_of=lambda item: item[0])


def read_documents(
    inputs: Sequence[str | os.PathLike] | Sequence[InputFile],
    config: ReadConfig = ReadConfig(),
    *,
    on_problem: Report | None = None,
    strict: bool = False,
) -> Iterator[Document]:
    """Stream the documents of every input, in canonical file order, each id once.

    Paths are checked now (:class:`InputError` for a missing path or unknown format);
    files are read lazily as the iterator is consumed. Problems go to ``on_problem``
    (default: a logged warning); with ``strict`` the first one raises :class:`InputError`.
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    report = reporter(on_problem, strict)
    items = list(inputs)
    given = [i for i in items if isinstance(i, InputFile)]
    paths = [i for i in items if not isinstance(i, InputFile)]
    files = _canonical(given + (expand_inputs(paths, on_problem=report) if paths else []))
    return _documents(files, config, report)


def _documents(files: list[InputFile], config: ReadConfig, report: Report) -> Iterator[Document]:
    """Documents of ``files`` in order, each id once."""
    return unique_ids((doc for f in files for doc in _file_documents(f, config, report)), report)


@dataclass(frozen=True, slots=True)
class DocumentBlock:
    """A run of consecutive inputs, turned into documents by :func:`block_documents`.

    JSON Lines files travel as raw lines (``path``, ``first`` = number of the first line)
    so decoding and JSON parsing, most of the cost of reading them, can run in the
    worker that sketches the block; other formats travel as read ``documents``.
    """

    lines: tuple[bytes, ...] = ()
    path: str = ""
    first: int = 1
    documents: tuple[Document, ...] = ()

    def __len__(self) -> int:
        return len(self.lines) + len(self.documents)


def block_documents(block: DocumentBlock, config: ReadConfig, report: Report) -> Iterator[Document]:
    """The documents of a block, in order (ids not yet checked for uniqueness)."""
    yield from block.documents
    for n, raw in enumerate(block.lines, block.first):
        got = _jsonl_record(raw, block.path, n, report)
        if got is not None:
            doc = record_to_document(got[1], config, got[0], report)
            if doc is not None:
                yield doc


def read_blocks(
    inputs: Sequence[str | os.PathLike],
    config: ReadConfig = ReadConfig(),
    *,
    report: Report,
    max_items: int = 512,
    max_bytes: int = 4_000_000,
) -> Iterator[DocumentBlock]:
    """The inputs of :func:`read_documents` as blocks of at most ``max_items`` records or
    about ``max_bytes``, in the same order; a file that fails to read is reported "unreadable"
    after the blocks read before the failure."""
    for f in _canonical(expand_inputs(list(inputs), on_problem=report)):
        if f.kind == "jsonl":
            yield from _jsonl_blocks(f, config.max_doc_bytes, report, max_items, max_bytes)
            continue
        yield from document_blocks(_file_documents(f, config, report), max_items, max_bytes)


def document_blocks(docs: Iterable[Document], max_items: int, max_chars: int) -> Iterator[DocumentBlock]:
    """``docs`` in blocks of at most ``max_items`` documents or about ``max_chars`` of text."""
    block: list[Document] = []
    chars = 0
    for doc in docs:
        block.append(doc)
        chars += len(doc.text)
        if len(block) >= max_items or chars >= max_chars:
            yield DocumentBlock(documents=tuple(block))
            block, chars = [], 0
    if block:
        yield DocumentBlock(documents=tuple(block))


def _jsonl_blocks(f: InputFile, limit: int, report: Report, max_items: int,
                  max_bytes: int) -> Iterator[DocumentBlock]:
    """The raw lines of a JSON Lines file in blocks; a line longer than ``limit`` is
    reported here and travels as an empty line (so the line numbers stay right)."""
    path = str(f.path)
    lines: list[bytes] = []
    first, size = 1, 0
    try:
        with ExitStack() as stack:
            for raw in bounded_lines(open_binary(f.path, stack), limit):
                if isinstance(raw, LongLine):
                    _long_line(path, first + len(lines), raw, limit, report)
                    raw = b""
                lines.append(raw)
                size += len(raw)
                if len(lines) >= max_items or size >= max_bytes:
                    yield DocumentBlock(tuple(lines), path, first)
                    first += len(lines)
                    lines, size = [], 0
    except _READ_ERRORS as exc:
        if lines:
            yield DocumentBlock(tuple(lines), path, first)
        last = first + len(lines) - 1
        after = f" (stopped after {path}:{last})" if last else ""
        report(Problem(path, "unreadable", f"cannot read {f.path}{after}: {exc}"))
        return
    if lines:
        yield DocumentBlock(tuple(lines), path, first)


def unique_ids(docs: Iterable[D], report: Report, seen: dict[str, str] | None = None,
               doc_of: Callable[[D], Document | DocInfo] = lambda d: d) -> Iterator[D]:  # type: ignore[assignment,return-value]
    """``docs`` in order; an id seen before is reported and skipped, so the first one wins.

    ``seen`` (id -> origin) carries the ids of earlier calls, for input read in blocks;
    ``doc_of`` finds the document in an item (for items that carry more than one).
    """
    seen = {} if seen is None else seen
    for item in docs:
        doc = doc_of(item)
        first = seen.get(doc.id)
        if first is not None:
            report(Problem(doc.origin, "duplicate_id",
                           f"duplicate id {doc.id!r} at {doc.origin} (first seen at {first}); skipped"))
            continue
        seen[doc.id] = doc.origin
        yield item
