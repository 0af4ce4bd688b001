"""Reading documents from files, streamed, with every unusable record reported.

Inputs are plain-text files (one document each, or a directory of them) and record
files: JSON Lines (optionally gzip/zstd compressed), CSV/TSV and Parquet. Record files
are never loaded whole: JSONL is read line by line, CSV row by row, Parquet one batch
of one row group at a time, so memory does not grow with the size of a file.

Every record-file reader only turns its format into ``(origin, dict)`` pairs; one
function, :func:`record_to_document`, maps fields to a :class:`Document` and decides
what is a problem, so all formats behave the same. A bad record is reported (see
:data:`retold.models.PROBLEM_REASONS`) and reading goes on; ``strict=True`` stops at
the first problem instead.

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
KINDS: tuple[str, ...] = ("text", "jsonl", "csv", "tsv", "parquet")
TEXT_SUFFIXES: tuple[str, ...] = (".txt", ".md")
_RECORD_SUFFIXES = ((".jsonl", "jsonl"), (".ndjson", "jsonl"), (".csv", "csv"), (".tsv", "tsv"))
#: rows per Parquet batch: bounds the memory a Parquet input needs
PARQUET_BATCH_ROWS = 1024
#: records per Parquet batch written by :func:`write_records`
WRITE_BATCH_ROWS = 4096

UTF8_BOM = b"\xef\xbb\xbf"
_SURROGATE = re.compile("[\ud800-\udfff]")
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
    name = name.removesuffix(".gz").removesuffix(".zst")
    return next((kind for ext, kind in _RECORD_SUFFIXES if name.endswith(ext)), None)


def _display(path: Path) -> Path:
    """The path as the user gave it, made relative to the working directory when under it."""
    return path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path


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


def expand_inputs(inputs: Sequence[str | os.PathLike], *, on_problem: Report | None = None) -> list[InputFile]:
    """The files behind ``inputs`` (directories expanded to their .txt/.md files), in canonical order.

    Raises :class:`InputError` for a missing path or an unknown extension. A directory
    that cannot be listed is reported as "unreadable" through ``on_problem``.
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    report = reporter(on_problem, strict=False)
    files: list[InputFile] = []
    for given in inputs:
        path = _display(Path(given))
        if path.is_dir():
            found = _walk(path, report)
            if not found:
                log.warning("%s: directory has no .txt or .md files", path)
            files.extend(found)
            continue
        if not path.exists():
            raise InputError(f"{path}: no such file or directory")
        kind = input_kind(path)
        if kind is None:
            raise InputError(f"{path}: unknown input format; expected a directory, .txt, .md, .jsonl[.gz|.zst], "
                             ".ndjson, .csv, .tsv or .parquet")
        files.append(InputFile(path, path.parent if kind == "text" else None, kind))
    return _canonical(files)


def _walk(root: Path, report: Report) -> list[InputFile]:
    """Every .txt/.md file under ``root`` (symlinked files included, symlinked dirs not followed)."""

    def onerror(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else root
        report(Problem(str(where), "unreadable", f"cannot list directory {where}: {exc.strerror or exc}"))

    return [InputFile(Path(dirpath) / name, root, "text")
            for dirpath, _, names in os.walk(root, onerror=onerror)
            for name in names if name.lower().endswith(TEXT_SUFFIXES)]


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


def record_to_document(record: Mapping[str, Any], config: ReadConfig, origin: str,
                       on_problem: Report) -> Document | None:
    """Map one record to a :class:`Document` using the field names in ``config``.

    Returns ``None`` (after reporting why) if the record has no usable id or text; a
    bad date is reported and dropped, the record kept. Other fields go to ``meta``.
    """

    def problem(reason: str, what: str) -> None:
        on_problem(Problem(origin, reason, f"{what} at {origin}"))

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
    if _SURROGATE.search(text):
        problem("not_utf8", f"text field {config.text_field!r} has a lone surrogate (\\ud800-\\udfff escape)")
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


def open_binary(path: Path, stack: ExitStack) -> IO[bytes]:
    """A binary line-iterable stream of ``path``, decompressed by suffix (.gz, .zst)."""
    name = path.name.lower()
    if name.endswith(".gz"):
        return stack.enter_context(gzip.open(path, "rb"))
    raw = stack.enter_context(open(path, "rb"))
    if name.endswith(".zst"):
        reader = stack.enter_context(zstandard.ZstdDecompressor().stream_reader(raw))
        return stack.enter_context(io.BufferedReader(reader))  # type: ignore[arg-type]
    return raw


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


def _jsonl_records(f: InputFile, config: ReadConfig, report: Report) -> Iterator[tuple[str, dict[str, Any]]]:
    """JSON objects of a JSON Lines file; lines are decoded one by one so one bad line costs one record."""
    with ExitStack() as stack:
        for n, raw in enumerate(open_binary(f.path, stack), 1):
            got = _jsonl_record(raw, str(f.path), n, report)
            if got is not None:
                yield got


def _csv_records(f: InputFile, config: ReadConfig, report: Report) -> Iterator[tuple[str, dict[str, Any]]]:
    """Rows of a CSV/TSV file with a header line, as dicts; origin is the line the row starts on.

    Lines are decoded one at a time and handed to :mod:`csv`, which keeps embedded
    newlines (``\\r\\n`` too) and quotes; a row that spans a non-UTF-8 line is skipped.
    """
    csv.field_size_limit(2**31 - 1)  # a field may be a whole book (default limit: 128 KiB); fits any C long
    delimiter = config.delimiter or ("\t" if f.kind == "tsv" else ",")
    bad: list[int] = []  # line numbers that were not UTF-8 since the last row

    def lines(stream: IO[bytes]) -> Iterator[str]:
        for n, raw in enumerate(stream, 1):
            try:
                yield raw.removeprefix(UTF8_BOM if n == 1 else b"").decode("utf-8")
            except UnicodeDecodeError:
                bad.append(n)
                yield raw.decode("utf-8", "replace")

    with ExitStack() as stack:
        reader = csv.reader(lines(open_binary(f.path, stack)), delimiter=delimiter)
        header: list[str] | None = None
        end = 0
        while True:
            origin = f"{f.path}:{end + 1}"
            problem: tuple[str, str] | None = None
            try:
                row = next(reader, None)
            except csv.Error as exc:
                row, problem = [], ("bad_record", f"is not valid CSV ({exc})")
            if row is None:
                return
            end = reader.line_num
            if bad:
                problem = ("not_utf8", "is not valid UTF-8")
                bad.clear()
            elif problem is None and header is not None and row and len(row) != len(header):
                problem = ("bad_record", f"has {len(row)} fields, the header {len(header)}")
            if problem is not None:
                what = "row" if header is not None else "header"
                report(Problem(origin, problem[0], f"{what} {problem[1]} at {origin}" + ("" if header else
                                                                                        "; file skipped")))
                if header is None:
                    return
            elif header is None:
                header = row or None  # blank lines before the header are allowed
            elif row:
                yield origin, dict(zip(header, row))


def _parquet_records(f: InputFile, config: ReadConfig, report: Report) -> Iterator[tuple[str, dict[str, Any]]]:
    """Rows of a Parquet file, one batch of one row group at a time; a corrupt row group is skipped."""
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


_RECORD_READERS: dict[str, Callable[[InputFile, ReadConfig, Report], Iterator[tuple[str, dict[str, Any]]]]] = {
    "jsonl": _jsonl_records, "csv": _csv_records, "tsv": _csv_records, "parquet": _parquet_records,
}


def _text_document(f: InputFile, report: Report) -> Document | None:
    """A whole .txt/.md file as one document, id = its path relative to its root."""
    raw = f.path.read_bytes()
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
            doc = _text_document(f, report)
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
            yield from _jsonl_blocks(f, report, max_items, max_bytes)
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


def _jsonl_blocks(f: InputFile, report: Report, max_items: int, max_bytes: int) -> Iterator[DocumentBlock]:
    path = str(f.path)
    lines: list[bytes] = []
    first, size = 1, 0
    try:
        with ExitStack() as stack:
            for raw in open_binary(f.path, stack):
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
