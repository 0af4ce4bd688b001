"""Records on disk: one JSON Lines writer and one Parquet writer for every caller.

Result tables (:mod:`retold.io.writers`) pass their fixed schema; a filtered copy of the
user's input (``retold dedup``) lets the Parquet schema come from its first records.
JSON Lines are UTF-8 without ASCII escaping, ``", "``/``": "`` separators, ``\n`` line
ends, compressed by suffix (``.gz`` without a timestamp, ``.zst``): the same input gives
the same bytes.

Every writer goes through an *opener* (:mod:`retold.io.atomic`): by default
:func:`~retold.io.atomic.atomic_write`, so the file appears complete or not at all (a
full disk raises :class:`~retold.errors.OutputError` naming the path and leaves the
previous file untouched); a caller writing several files that must appear together
passes :meth:`AtomicSet.open <retold.io.atomic.AtomicSet.open>`.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import zstandard

from retold.errors import ConfigError
from retold.io.atomic import Opener, atomic_write
from retold.models import Document

if TYPE_CHECKING:  # pyarrow is imported by the Parquet writer only (~35 MB, 0.1 s)
    import pyarrow as pa
    import pyarrow.parquet as pq

log = logging.getLogger(__name__)

#: records per Parquet row group of a copied input
WRITE_BATCH_ROWS = 4096
#: rows per Parquet row group of a result table
TABLE_BATCH_ROWS = 50_000

_CORE = ("id", "text", "date", "source", "url", "title")


def document_to_record(doc: Document) -> dict[str, Any]:
    """The record :func:`write_records` writes for ``doc``: core fields (``None`` omitted), then meta.

    A meta key equal to a core field name (possible with a custom field mapping) is
    dropped: the document's own field wins.
    """
    record: dict[str, Any] = {k: getattr(doc, k) for k in _CORE if getattr(doc, k) is not None}
    record.update((k, v) for k, v in doc.meta.items() if k not in _CORE)
    return record


def _open_write(path: Path, stack: ExitStack, opener: Opener = atomic_write) -> IO[str]:
    """A UTF-8 text stream writing ``path`` through ``opener``, compressed by suffix; gzip without a timestamp."""
    raw: IO[bytes] = stack.enter_context(opener(path, "wb"))
    name = path.name.lower()
    if name.endswith(".gz"):
        raw = stack.enter_context(gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0))
    elif name.endswith(".zst"):
        raw = stack.enter_context(zstandard.ZstdCompressor().stream_writer(raw, closefd=False))
    return stack.enter_context(io.TextIOWrapper(raw, encoding="utf-8", newline="\n"))


def write_records(records: Iterable[dict[str, Any]], path: Path, fmt: str, opener: Opener = atomic_write) -> int:
    """Write ``records`` as JSON Lines (``.gz``/``.zst`` compressed by suffix) or Parquet; return how many.

    Atomic through ``opener`` (see the module docstring).
    """
    path = Path(path)
    if fmt == "jsonl":
        return write_jsonl(records, path, opener)
    if fmt == "parquet":
        return write_parquet(records, path, opener=opener)
    raise ConfigError(f"unknown output format {fmt!r}; choose from ['jsonl', 'parquet']")


def _arrow_type(value: Any) -> pa.DataType:
    """How a value is stored in Parquet: bools and numbers keep their type, anything else is a string."""
    import pyarrow as pa

    if isinstance(value, bool):
        return pa.bool_()
    return pa.int64() if isinstance(value, int) else pa.float64() if isinstance(value, float) else pa.string()


def _column_type(name: str, values: list[Any]) -> pa.DataType:
    """Core fields and mixed columns are strings; a column of only bools, ints or numbers keeps that type."""
    import pyarrow as pa

    kinds = {_arrow_type(v) for v in values if v is not None}
    if kinds == {pa.int64(), pa.float64()}:
        kinds = {pa.float64()}
    return kinds.pop() if len(kinds) == 1 and name not in _CORE else pa.string()


def _coerce(value: Any, kind: pa.DataType, column: str, warned: set[str]) -> Any:
    """``value`` fitted to its column: JSON text in a string column; null (warned once) if it does not fit."""
    import pyarrow as pa

    if value is None or (kind == pa.string() and isinstance(value, str)):
        return value
    if kind == pa.string():
        return json.dumps(value, ensure_ascii=False, default=str)
    if _arrow_type(value) == kind or (kind == pa.float64() and _arrow_type(value) == pa.int64()):
        return value
    if column not in warned:
        warned.add(column)
        log.warning("column %r is %s but a later record has %r; written as null", column, kind, value)
    return None


def write_parquet(rows: Iterable[Mapping[str, Any]], path: Path, schema: pa.Schema | None = None,
                  batch_rows: int | None = None, opener: Opener = atomic_write) -> int:
    """Write ``rows`` as Parquet in row groups of ``batch_rows``; return how many.

    With ``schema`` (a result table) every row is fitted to it. Without, the schema comes
    from the first batch: bools and numbers keep their type, anything else is a string;
    columns first seen later are dropped and a value that does not fit becomes null (each
    warned once). Atomic through ``opener``: if ``rows`` raises, nothing is written.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    batch_rows = batch_rows or WRITE_BATCH_ROWS
    fixed = schema is not None
    n = 0
    warned: set[str] = set()
    it = iter(rows)
    with ExitStack() as stack:
        sink = stack.enter_context(opener(Path(path), "wb"))
        writer: pq.ParquetWriter | None = None
        while batch := list(islice(it, batch_rows)):
            if schema is None:
                names = list(dict.fromkeys(k for r in batch for k in r))
                schema = pa.schema([(k, _column_type(k, [r.get(k) for r in batch])) for k in names])
            if writer is None:
                writer = stack.enter_context(pq.ParquetWriter(sink, schema))
            if fixed:
                table = pa.Table.from_pylist(batch, schema=schema)
            else:
                for extra in sorted({k for r in batch for k in r} - set(schema.names) - warned):
                    warned.add(extra)
                    log.warning("field %r first appears after the first %d records; not written to %s",
                                extra, batch_rows, path)
                table = pa.Table.from_arrays([pa.array([_coerce(r.get(f.name), f.type, f.name, warned) for r in batch],
                                                       f.type) for f in schema], schema=schema)
            writer.write_table(table)
            n += len(batch)
        if writer is None:  # no rows: still a valid (empty) table
            schema = schema if schema is not None else pa.schema([(k, pa.string()) for k in _CORE[:2]])
            writer = stack.enter_context(pq.ParquetWriter(sink, schema))
            writer.write_table(schema.empty_table())
    return n


#: one encoder for every record (json.dumps with options builds a new one per call)
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))


def dumps(row: Mapping[str, Any]) -> str:
    """One JSON Lines record: UTF-8, no ASCII escaping, fixed separators."""
    return _ENCODER.encode(row)


@dataclass(frozen=True, slots=True)
class Lines:
    """``count`` JSON Lines records already encoded as :func:`dumps` would, each ended by a
    newline: a block of rows written at once."""

    text: str
    count: int


def write_jsonl(rows: Iterable[Mapping[str, Any] | str | Lines], path: Path, opener: Opener = atomic_write) -> int:
    """Write ``rows`` as JSON Lines (compressed by suffix), atomically through ``opener``; return how many.
    A row may also be a line already encoded as :func:`dumps` would (a ``str``), or a block
    of them (:class:`Lines`)."""
    n = 0
    with ExitStack() as stack:
        out = _open_write(Path(path), stack, opener)
        encode = _ENCODER.encode
        lines: list[str] = []

        def flush() -> None:
            nonlocal n
            if lines:
                out.write("\n".join(lines) + "\n")
                n += len(lines)
                lines.clear()

        for row in rows:
            if type(row) is Lines:
                flush()
                out.write(row.text)
                n += row.count
                continue
            lines.append(row if isinstance(row, str) else encode(row))
            if len(lines) == 1024:
                flush()
        flush()
    return n
