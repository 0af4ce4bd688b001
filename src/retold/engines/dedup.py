"""Deduplication: a copy of the input without the documents a kept document covers.

A scan finds the families and the verified pairs (without passage alignment: the
evidence is the pairs' shingle coverage); :func:`retold.families.plan` decides what is
kept, removing a document only when a kept document directly covers it; a second
streaming pass over the input writes the kept records exactly as they were read (the
user's field names and extra columns), as JSON Lines or Parquet. ``removed.jsonl`` (or
``removed.parquet``) beside the output names, for each removed document, the kept
document that covers it (``duplicate_of``) and that pair's evidence.

The two files are written as one :class:`~retold.io.atomic.AtomicSet`: both are
written completely to temporaries beside the output, then ``removed.<other format>``
(a previous dedup's removals in that directory) is removed, and the kept output and
``removed.<fmt>`` are renamed into place, in that order. A failure while writing (full
disk, I/O error, a bad input in strict mode, Ctrl-C) leaves the previous files as they
were and no temporaries; an OSError becomes :class:`~retold.errors.OutputError` naming
the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from retold.config import DedupConfig, ReadConfig, ScanConfig
from retold.engines import scan
from retold.errors import ConfigError
from retold.families import Removal, plan
from retold.io.atomic import AtomicSet, make_dirs
from retold.io.records import write_jsonl, write_parquet, write_records
from retold.io.sources import Source, as_path_list, is_paths, source_records
from retold.io.writers import FORMATS, table_schema
from retold.models import ScanResult
from retold.progress import NullProgress, Progress


@dataclass(frozen=True, slots=True)
class DedupResult:
    """What dedup kept and removed, with the scan behind it."""

    kept: tuple[str, ...]
    removed: tuple[Removal, ...]
    scan: ScanResult
    written: int = 0


def output_format(out: Path, source: Source) -> str:
    """``parquet`` for a .parquet ``out``, ``jsonl`` for .jsonl/.gz/.zst; otherwise the input's format."""
    if out.suffix == ".parquet":
        return "parquet"
    if out.suffix in (".jsonl", ".ndjson", ".gz", ".zst"):
        return "jsonl"
    paths = as_path_list(source) or []
    return "parquet" if paths and all(p.suffix == ".parquet" for p in paths) else "jsonl"


def dedup(
    source: Source,
    out: str | Path | None = None,
    *,
    config: ScanConfig = ScanConfig(),
    keep: DedupConfig = DedupConfig(),
    read: ReadConfig = ReadConfig(),
    workers: int | None = None,
    strict: bool = False,
    progress: Progress | None = None,
    engine: str = "local",
) -> DedupResult:
    """Scan ``source`` and, if ``out`` is given, write the kept documents there.

    The output format follows ``out``'s suffix (``.parquet``, ``.jsonl``, ``.jsonl.gz``),
    else the input's (Parquet when every input is Parquet, else JSON Lines);
    ``removed.jsonl`` (``removed.parquet`` for Parquet output) is written beside it.
    An iterable source is read into memory once, since it must be read twice.
    """

    if not is_paths(source):
        source = list(source)  # type: ignore[arg-type]
    if out is not None:
        _check_out(Path(out), source)
    result = scan(source, config=config, read=read, workers=workers, strict=strict, progress=progress, align=False,
                  engine=engine)
    positions = None
    if keep.keep == "first":
        positions = {doc_id: i for i, (doc_id, _) in enumerate(source_records(source, read))}
    kept, removed = plan(result.clusters, result.pairs, result.documents, keep, positions)
    written = 0
    if out is not None:
        written = _write_outputs(Path(out), source, read, {r.id for r in removed}, removed,
                                 progress or NullProgress(), len(kept))
    return DedupResult(kept, removed, result, written)


def _check_out(out: Path, source: Source) -> None:
    """Refuse an output that is its own removals file (``removed.jsonl`` would overwrite it)."""
    removals = removed_path(out, output_format(out, source))
    if out.resolve() == removals.resolve():
        raise ConfigError(f"{out}: the removals are written to {removals.name} beside the output; "
                          "choose another name for the output")


def _write_outputs(out: Path, source: Source, read: ReadConfig, gone: set[str], removed: tuple[Removal, ...],
                   progress: Progress, n_kept: int) -> int:
    """Write the kept records to ``out`` and the removals beside it, as one atomic set; return records written."""
    fmt = output_format(out, source)
    removals = removed_path(out, fmt)
    make_dirs(out.parent)
    stale = [removed_path(out, other) for other in FORMATS if other != fmt]
    with AtomicSet(stale=stale) as files:
        progress.start("write", n_kept)
        written = write_records((dict(rec) for doc_id, rec in source_records(source, read) if doc_id not in gone),
                                out, fmt, files.open)
        progress.advance(written)
        progress.finish()
        rows = (r.to_row() for r in removed)
        if fmt == "parquet":
            write_parquet(rows, removals, table_schema("removed"), opener=files.open)
        else:
            write_jsonl(rows, removals, files.open)
    return written


def removed_path(out: Path, fmt: str) -> Path:
    """Where the removals of a dedup written to ``out`` go: ``removed.<fmt>`` beside it."""
    return out.parent / f"removed.{fmt}"
