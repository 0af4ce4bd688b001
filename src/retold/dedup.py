"""Deduplication: keep one document per family (its representative), say why others went.

A scan finds the families; a second streaming pass over the input writes the kept
documents in their original record form (JSONL or Parquet). For each removed document,
``removed.jsonl`` names the kept representative and the scores of the pair that tied it
to its family (the direct pair with the representative when there is one).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import ReadConfig, ScanConfig
from .models import Pair, ScanResult
from .pipeline import Source, is_paths, as_path_list, iter_documents, scan
from .progress import NullProgress, Progress


@dataclass(frozen=True, slots=True)
class Removal:
    """A removed document, the kept document it duplicates, and the evidence."""

    id: str
    duplicate_of: str
    via: str
    relation: str
    jaccard: float
    containment_a: float
    containment_b: float

    def to_row(self) -> dict[str, Any]:
        return {"id": self.id, "duplicate_of": self.duplicate_of, "via": self.via, "relation": self.relation,
                "jaccard": self.jaccard, "containment_a": self.containment_a, "containment_b": self.containment_b}


@dataclass(frozen=True, slots=True)
class DedupResult:
    """What dedup kept and removed, with the scan behind it."""

    kept: tuple[str, ...]
    removed: tuple[Removal, ...]
    scan: ScanResult
    written: int = 0


def removals(result: ScanResult) -> tuple[Removal, ...]:
    """For every non-representative family member, why it is removed (sorted by id)."""
    joining = set(result.config.cluster.relations)
    by_doc: dict[str, list[Pair]] = {}
    for p in result.pairs:
        if p.relation in joining:
            by_doc.setdefault(p.a, []).append(p)
            by_doc.setdefault(p.b, []).append(p)
    out = []
    for c in result.clusters:
        rep = c.representative
        for m in c.members:
            if m == rep:
                continue
            pairs = by_doc[m]
            direct = [p for p in pairs if rep in (p.a, p.b)]
            best = direct[0] if direct else max(pairs, key=lambda p: (p.jaccard, p.a, p.b))
            other = best.b if best.a == m else best.a
            out.append(Removal(m, rep, other, best.relation, best.jaccard, best.containment_a, best.containment_b))
    return tuple(sorted(out, key=lambda r: r.id))


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
    read: ReadConfig = ReadConfig(),
    workers: int | None = None,
    strict: bool = False,
    progress: Progress | None = None,
) -> DedupResult:
    """Scan ``source`` and, if ``out`` is given, write the kept documents there.

    The output format follows ``out``'s suffix (``.parquet``, ``.jsonl``, ``.jsonl.gz``),
    else the input's (Parquet when every input is Parquet, else JSON Lines);
    ``removed.jsonl`` is written beside it. An iterable source is read
    into memory once, since it must be read twice.
    """
    from .readers import document_to_record, write_records
    from .writers import write_jsonl

    if not is_paths(source):
        source = list(source)  # type: ignore[arg-type]
    result = scan(source, config=config, read=read, workers=workers, strict=strict, progress=progress)
    gone = removals(result)
    removed_ids = {r.id for r in gone}
    kept = tuple(d.id for d in result.documents if d.id not in removed_ids)
    written = 0
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        progress = progress or NullProgress()
        progress.start("write", len(kept))
        fmt = output_format(out, source)
        docs = iter_documents(source, read, on_problem=lambda p: None, strict=False)
        written = write_records((document_to_record(d) for d in docs if d.id not in removed_ids), out, fmt)
        progress.advance(written)
        progress.finish()
        write_jsonl((r.to_row() for r in gone), out.parent / "removed.jsonl")
    return DedupResult(kept, gone, result, written)
