"""What a run reads: paths (files, directories) or an iterable of documents/records.

One place answers "is this source paths?", lists its files, and turns it into documents,
into (document, input record) pairs (for writing a filtered copy of the input), or into
blocks for parallel readers (:class:`~retold.io.readers.DocumentBlock`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO, Any, Callable, Mapping

from retold.config import ReadConfig
from retold.io.readers import (DocumentBlock, LongLine, _jsonl_document, _long_line, bounded_lines, document_blocks,
                               document_problem, read_blocks, read_documents, read_records, record_to_document,
                               reporter, unique_ids)
from retold.io.records import document_to_record
from retold.models import Document, Problem

#: what ``scan`` and ``dedup`` accept as their source
Source = str | os.PathLike | Sequence[str | os.PathLike] | Iterable[Document | Mapping[str, Any]]


def is_paths(source: Any) -> bool:
    """Whether ``source`` is a path or a non-empty list of paths (else an iterable of records)."""
    if isinstance(source, (str, os.PathLike)):
        return True
    return isinstance(source, (list, tuple)) and all(isinstance(s, (str, os.PathLike)) for s in source) and len(source) > 0


def as_path_list(source: Source) -> list[Path] | None:
    """The input paths of a path source, else None."""
    if not is_paths(source):
        return None
    return [Path(source)] if isinstance(source, (str, os.PathLike)) else [Path(s) for s in source]  # type: ignore[union-attr]


def iter_documents(
    source: Source,
    read: ReadConfig,
    *,
    on_problem: Callable[[Problem], None],
    strict: bool = False,
) -> Iterator[Document]:
    """Documents from paths (via :mod:`retold.io.readers`) or from an iterable of records."""
    if is_paths(source):
        paths = [source] if isinstance(source, (str, os.PathLike)) else list(source)
        yield from read_documents(paths, read, on_problem=on_problem, strict=strict)
        return
    report = reporter(on_problem, strict)
    yield from (doc for doc, _ in iter_items(source, read, report))  # type: ignore[arg-type]


def iter_items(source: Iterable[Document | Mapping[str, Any]], read: ReadConfig,
               report: Callable[[Problem], None]) -> Iterator[tuple[Document, Document | Mapping[str, Any]]]:
    """(document, the item it came from) of an iterable source, the first of each id only.

    A ready-made :class:`Document` is held to the rules a record is (see
    :func:`~retold.io.readers.document_problem`): one with a lone surrogate in any field
    or a text longer than ``read.max_doc_bytes`` is reported and skipped.
    """
    def items() -> Iterator[tuple[Document, Document | Mapping[str, Any]]]:
        for i, item in enumerate(source):
            origin = f"<documents>#{i}"
            if isinstance(item, Document):
                doc: Document | None = item if item.origin else replace(item, origin=origin)
                bad = document_problem(doc, read)  # type: ignore[arg-type]
                if bad is not None:
                    where = doc.origin  # type: ignore[union-attr]
                    report(Problem(where, bad[0], f"{bad[1]} at {where}"))
                    doc = None
            else:
                doc = record_to_document(dict(item), read, origin, report)
            if doc is not None:
                yield doc, item

    return unique_ids(items(), report, doc_of=lambda item: item[0])


def source_blocks(source: Source, read: ReadConfig, report: Callable[[Problem], None], max_items: int,
                  max_chars: int) -> Iterator[DocumentBlock]:
    """The source as blocks: raw JSON lines or read documents (see :class:`~retold.io.readers.DocumentBlock`)."""
    if is_paths(source):
        paths = [source] if isinstance(source, (str, os.PathLike)) else list(source)
        yield from read_blocks(paths, read, report=report, max_items=max_items, max_bytes=max_chars)
        return
    yield from document_blocks(iter_documents(source, read, on_problem=report), max_items, max_chars)


def source_records(source: Source, read: ReadConfig) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(id, record as read) of every document of ``source``, first of each id only."""
    if is_paths(source):
        for doc, rec in read_records(as_path_list(source) or [], read, on_problem=lambda p: None):
            yield doc.id, rec
        return
    for doc, item in iter_items(source, read, lambda p: None):  # type: ignore[arg-type]
        yield doc.id, item if isinstance(item, Mapping) else document_to_record(doc)


def read_stream(stream: IO[bytes], name: str, read: ReadConfig, report: Callable[[Problem], None]) -> list[Document]:
    """The documents of JSON Lines read from ``stream`` (stdin: ``name`` ``<stdin>``), origins ``name:line``.

    A stream can be read only once and a run may read its source twice (dedup), so the
    documents are held in memory. Bad lines and records are reported as from a file.
    """
    docs: list[Document] = []
    for n, raw in enumerate(bounded_lines(stream, read.max_doc_bytes), 1):
        if isinstance(raw, LongLine):
            _long_line(name, n, raw, read.max_doc_bytes, report)
            continue
        doc = _jsonl_document(raw, name, n, read, report)
        if doc is not None:
            docs.append(doc)
    return docs
