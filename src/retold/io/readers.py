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
from typing import IO, Any, TypeVar

import orjson
import zstandard

from retold.config import ReadConfig
from retold.models import DocInfo, Document, Problem
from retold.io.files import (SURROGATE, InputFile, Report, canonical, check_regular, expand_inputs, open_regular,
                              reporter)
from retold.io.streams import UTF8_BOM, LongLine, bounded_lines, line_end, open_binary

log = logging.getLogger(__name__)

#: rows per Parquet batch: bounds the memory a Parquet input needs
PARQUET_BATCH_ROWS = 1024
#: records per Parquet batch written by :func:`write_records`
WRITE_BATCH_ROWS = 4096
#: errors that mean "this file (or what is left of it) cannot be read"
_READ_ERRORS = (OSError, EOFError, zlib.error, zstandard.ZstdError)

D = TypeVar("D")


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
            if not value.isascii() and SURROGATE.search(value):
                return name
        elif isinstance(value, Mapping):
            items = [(f"{name}.{k}" if name else str(k), k, v) for k, v in value.items()]
            bad_key = next((label for label, k, _ in items if isinstance(k, str) and SURROGATE.search(k)), None)
            if bad_key is not None:
                return bad_key
            stack.extend((label, v) for label, _, v in reversed(items))
        elif isinstance(value, (list, tuple)):
            stack.extend((f"{name}[{i}]", v) for i, v in reversed(list(enumerate(value))))
    return None


_SCALARS = (int, float, bool, type(None))


def _has_surrogate(record: Mapping[str, Any]) -> bool:
    """Whether any field name or string value in ``record`` (nested too) holds a lone surrogate."""
    if type(record) is dict:  # the usual flat record, in one loop
        nested = False
        for key, value in record.items():
            if type(value) is str:
                if not value.isascii() and SURROGATE.search(value):
                    return True
            elif type(value) not in _SCALARS:
                nested = True
            if type(key) is not str or (not key.isascii() and SURROGATE.search(key)):
                nested = True
        if not nested:
            return False
    stack: list[Any] = [record]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if not value.isascii() and SURROGATE.search(value):
                return True
        elif isinstance(value, (dict, Mapping)):
            for key, item in value.items():
                if isinstance(key, str) and not key.isascii() and SURROGATE.search(key):
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
                       on_problem: Report, *, checked: bool = False) -> Document | None:
    """Map one record to a :class:`Document` using the field names in ``config``.

    Returns ``None`` (after reporting why) if the record has no usable id or text, a
    lone surrogate in any field name or value ("not_utf8": the whole record is skipped,
    as for its text, since no UTF-8 output could hold it), or a text longer than
    ``config.max_doc_bytes`` ("too_large"); a bad date is reported and dropped, the
    record kept. Other fields go to ``meta``. ``checked``: the record's strings are known to
    hold no lone surrogate (a strict UTF-8 parser read them), so they are not searched again.
    """

    def problem(reason: str, what: str) -> None:
        on_problem(Problem(origin, reason, f"{what} at {origin}"))

    bad = None if checked else surrogate_field(record)
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


#: the value types of a record :func:`_plain_object` takes as it is
_PLAIN = (str, int, bool, type(None))


def _plain_object(raw: bytes) -> dict[str, Any] | None:
    """The JSON object of a line, when a strict parser reads it as a flat object of strings,
    integers, booleans and nulls, else None (the line then takes :func:`_jsonl_record`, which
    reports what is wrong).

    orjson validates UTF-8 and refuses lone surrogates, NaN, a byte-order mark and blank
    lines, so what it accepts with such values is exactly what :mod:`json` gives, in about a
    third of the time; the one value it reads differently, an integer outside 64 bits (a
    float for orjson), is a float here and so takes the general path."""
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if type(record) is not dict:
        return None
    for value in record.values():
        if type(value) not in _PLAIN:
            return None
    return record


def _jsonl_document(raw: bytes, path: str, n: int, config: ReadConfig, report: Report) -> Document | None:
    """The document of line ``n`` of a JSON Lines file, or None (reported) if it has none."""
    record = _plain_object(raw)
    if record is not None:
        return record_to_document(record, config, f"{path}:{n}", report, checked=True)
    got = _jsonl_record(raw, path, n, report)
    return None if got is None else record_to_document(got[1], config, got[0], report)


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
        row.size += raw.size if isinstance(raw, LongLine) else len(raw) - line_end(raw)
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
    import pyarrow as pa  # only for Parquet input: pyarrow costs ~35 MB and 0.1 s to import
    import pyarrow.parquet as pq

    check_regular(f.path, os.stat(f.path).st_mode)
    try:
        with pq.ParquetFile(f.path) as pf:
            row = 0
            for group in range(pf.num_row_groups):
                start, size = row, pf.metadata.row_group(group).num_rows
                try:
                    for batch in pf.iter_batches(batch_size=PARQUET_BATCH_ROWS, row_groups=[group]):
                        for record in batch.to_pylist():
                            yield f"{f.path}#{row}", record
                            row += 1
                except (*_READ_ERRORS, pa.ArrowException) as exc:
                    origin = f"{f.path}#{row}"
                    report(Problem(origin, "unreadable", f"cannot read row group {group} (rows {start}-"
                                                         f"{start + size - 1}) of {f.path} at {origin}: {exc}"))
                row = start + size
    except pa.ArrowException as exc:  # the file as a whole (not Parquet, bad footer): unreadable, like any other
        raise OSError(str(exc)) from exc


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
    files = canonical(expand_inputs(list(inputs), on_problem=report))
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
    files = canonical(given + (expand_inputs(paths, on_problem=report) if paths else []))
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
        doc = _jsonl_document(raw, block.path, n, config, report)
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
    for f in canonical(expand_inputs(list(inputs), on_problem=report)):
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
