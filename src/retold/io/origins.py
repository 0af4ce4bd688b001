"""Origins: where a document was read (``path``, ``path:line``, ``path#row``) and how to
read its text again. One parser serves the index (pointers to texts it does not store)
and the report (texts re-read from a scan's documents table).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from contextlib import ExitStack
from itertools import islice
from pathlib import Path
from typing import Any

import xxhash

from retold.config import ReadConfig
from retold.errors import InputError
from retold.io.files import input_kind
from retold.io.readers import read_documents
from retold.io.streams import UTF8_BOM, open_binary
from retold.models import Document

_LOCATED = re.compile(r"^(.*?)([:#])(\d+)$")


def split_origin(origin: str) -> tuple[str, str, str] | None:
    """``(file, kind, locator)`` of an origin: locator "" for a text file, ":N" or "#N" for records."""
    m = _LOCATED.match(origin)
    if m:
        kind = input_kind(Path(m.group(1)))
        if kind is not None and kind != "text" and (m.group(2) == "#") == (kind == "parquet"):
            return m.group(1), kind, m.group(2) + m.group(3)
    kind = input_kind(Path(origin))
    return (origin, kind, "") if kind == "text" else None


def locate(name: str, bases: Iterable[Path]) -> Path | None:
    p = Path(name)
    if p.is_absolute():
        return p if p.is_file() else None
    for base in bases:
        if (base / p).is_file():
            return base / p
    return None


def content_hash(text: str) -> str:
    """xxh3-128 (hex) of the UTF-8 text: what tells whether a document changed."""
    return xxhash.xxh3_128_hexdigest(text.encode("utf-8", "surrogatepass"))


def pointer_to(doc: Document, read: ReadConfig) -> str:
    """Where a document's text can be read again (an index that does not store texts)."""
    split = split_origin(doc.origin)
    if split is not None and Path(split[0]).is_file():
        path, kind, at = split
        if kind == "text":
            return json.dumps({"path": os.path.abspath(path), "kind": "text"})
        return json.dumps({"path": os.path.abspath(path), "kind": kind, "at": int(at[1:]),
                           "id_field": read.id_field, "text_field": read.text_field})
    raise InputError(f"{doc.id!r} ({doc.origin or 'no origin'}): an index without stored texts needs documents "
                     "read from files (text, JSONL, CSV/TSV, Parquet)")


def read_pointer(doc_id: str, ptr: dict[str, Any], expected: str) -> str:
    """Read a document's text back from its file and check it has not changed."""
    path = Path(ptr["path"])
    text: str | None = None
    try:
        if ptr["kind"] == "text":
            text = path.read_bytes().removeprefix(UTF8_BOM).decode("utf-8")
        elif ptr["kind"] == "jsonl":
            with ExitStack() as stack:
                line = next(islice(open_binary(path, stack), ptr["at"] - 1, None), b"")
            value = json.loads(line.removeprefix(UTF8_BOM).decode("utf-8")).get(ptr["text_field"]) if line.strip() else None
            text = value if isinstance(value, str) else None
        else:
            cfg = ReadConfig(id_field=ptr["id_field"], text_field=ptr["text_field"])
            text = next((d.text for d in read_documents([path], cfg, on_problem=lambda p: None) if d.id == doc_id),
                        None)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the text of {doc_id!r} from {path}: {exc}") from None
    if text is None or content_hash(text) != expected:
        raise InputError(f"the text of {doc_id!r} in {path} changed since it was indexed (content hash differs); "
                         "re-add it")
    return text
