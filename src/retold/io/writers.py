"""Writing a scan's results: the tables of docs/formats.md, as JSON Lines or Parquet.

Rows are produced once (``*_rows`` functions) and written by one function per format,
so the JSONL and Parquet outputs always hold the same fields and values.
Output bytes depend only on the input and parameters, except the timings in
summary.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Iterator

import pyarrow as pa

from retold.errors import ConfigError
from retold.io.records import TABLE_BATCH_ROWS, write_jsonl, write_parquet
from retold.models import Cluster, DocInfo, Pair, Problem, ScanResult
from retold.core.rules import rounded

FORMATS = ("jsonl", "parquet")

_PASSAGE = pa.struct([(k, pa.int64()) for k in ("a_start", "a_end", "b_start", "b_end")] + [("score", pa.float64())])

SCHEMAS: dict[str, pa.Schema] = {
    "documents": pa.schema([
        ("id", pa.string()), ("chars", pa.int64()), ("tokens", pa.int64()), ("date", pa.string()),
        ("source", pa.string()), ("origin", pa.string()), ("status", pa.string()), ("shingles", pa.int64()),
        ("cluster", pa.int64()),
    ]),
    "pairs": pa.schema([
        ("a", pa.string()), ("b", pa.string()), ("jaccard", pa.float64()), ("containment_a", pa.float64()),
        ("containment_b", pa.float64()), ("coverage_a", pa.float64()), ("coverage_b", pa.float64()),
        ("relation", pa.string()), ("shared", pa.int64()),
        ("passages", pa.list_(_PASSAGE)), ("aligned_chars_a", pa.int64()), ("aligned_chars_b", pa.int64()),
    ]),
    "clusters": pa.schema([("cluster", pa.int64()), ("representative", pa.string()), ("members", pa.list_(pa.string()))]),
    "problems": pa.schema([("origin", pa.string()), ("reason", pa.string()), ("message", pa.string())]),
}


#: the removals table of ``retold dedup`` (see :class:`retold.families.Removal`)
REMOVED_SCHEMA = pa.schema([
    ("id", pa.string()), ("duplicate_of", pa.string()), ("relation", pa.string()),
    ("removed_coverage", pa.float64()), ("kept_coverage", pa.float64()), ("jaccard", pa.float64()),
])


def document_row(d: DocInfo, cluster: int | None = None) -> dict[str, Any]:
    """One row of the documents table; ``cluster``: its family number (None: in no family)."""
    return {"id": d.id, "chars": d.chars, "tokens": d.tokens, "date": d.date, "source": d.source,
            "origin": d.origin, "status": d.status, "shingles": d.shingles, "cluster": cluster}


def pair_row(p: Pair) -> dict[str, Any]:
    row: dict[str, Any] = {"a": p.a, "b": p.b, "jaccard": p.jaccard, "containment_a": p.containment_a,
                           "containment_b": p.containment_b, "coverage_a": p.coverage_a, "coverage_b": p.coverage_b,
                           "relation": p.relation, "shared": p.shared}
    if p.passages is not None:
        row["passages"] = [{"a_start": x.a_start, "a_end": x.a_end, "b_start": x.b_start, "b_end": x.b_end,
                            "score": rounded(x.score)} for x in p.passages]
        row["aligned_chars_a"] = p.aligned_chars_a
        row["aligned_chars_b"] = p.aligned_chars_b
    return row


def cluster_row(c: Cluster) -> dict[str, Any]:
    return {"cluster": c.cluster, "representative": c.representative, "members": list(c.members)}


def problem_row(p: Problem) -> dict[str, Any]:
    return {"origin": p.origin, "reason": p.reason, "message": p.message}


def write_table(name: str, rows: Iterable[dict[str, Any]], out_dir: Path, fmt: str) -> Path:
    """Write one table (``documents``, ``pairs``, ``clusters``, ``problems``) in ``fmt``."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown output format {fmt!r}; choose from {list(FORMATS)}")
    path = out_dir / f"{name}.{fmt}"
    if fmt == "jsonl":
        write_jsonl(rows, path)
    else:
        write_parquet(rows, path, SCHEMAS[name], TABLE_BATCH_ROWS)
    return path


def result_tables(result: ScanResult) -> Iterator[tuple[str, Iterable[dict[str, Any]]]]:
    family = {m: c.cluster for c in result.clusters for m in c.members}
    yield "documents", (document_row(d, family.get(d.id)) for d in result.documents)
    yield "pairs", map(pair_row, result.pairs)
    yield "clusters", map(cluster_row, result.clusters)
    yield "problems", map(problem_row, result.problems)


def write_result(result: ScanResult, out_dir: str | Path, fmt: str = "jsonl") -> dict[str, Path]:
    """Write every table and summary.json into ``out_dir`` (created if needed)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: write_table(name, rows, out, fmt) for name, rows in result_tables(result)}
    summary = out / "summary.json"
    summary.write_text(json.dumps(result.summary(), indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    paths["summary"] = summary
    return paths
