"""Reading a scan's output directory back: its tables, and the texts re-read from each
document's ``origin`` (for ``retold report RESULT_DIR`` and ``retold diff --in``)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from retold.config import ReadConfig, ScanConfig
from retold.errors import InputError
from retold.io.origins import locate, split_origin
from retold.io.readers import InputFile, read_documents
from retold.models import Cluster, DocInfo, Document, Pair, Passage, Problem, ScanResult
from retold.progress import NullProgress, Progress

log = logging.getLogger(__name__)
_READ = ReadConfig()


def _table(result_dir: Path, name: str) -> list[dict[str, Any]]:
    """Rows of ``name.jsonl`` or ``name.parquet`` in ``result_dir`` ([] if neither exists)."""
    jsonl, parquet = result_dir / f"{name}.jsonl", result_dir / f"{name}.parquet"
    if jsonl.is_file():
        rows = []
        with open(jsonl, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except ValueError as exc:
                        raise InputError(f"{jsonl}:{n}: not valid JSON ({exc})") from exc
        return rows
    if parquet.is_file():
        import pyarrow.parquet as pq

        return pq.read_table(parquet).to_pylist()
    return []


def _check_dir(result_dir: str | Path) -> Path:
    d = Path(result_dir)
    if not d.is_dir() or not ((d / "documents.jsonl").is_file() or (d / "documents.parquet").is_file()):
        raise InputError(f"{d}: not a scan result directory (no documents.jsonl or documents.parquet)")
    return d


def load_result(result_dir: str | Path) -> ScanResult:
    """A :class:`ScanResult` read back from the tables a scan wrote (docs/formats.md).

    When the scan was traced (``attributions``, ``direction``, ``origin`` fields present),
    ``result.provenance`` holds them again; otherwise it is None.
    """
    d = _check_dir(result_dir)
    summary: dict[str, Any] = {}
    if (d / "summary.json").is_file():
        summary = json.loads((d / "summary.json").read_text(encoding="utf-8"))
    try:
        config = ScanConfig.from_dict(summary.get("parameters") or {})
    except (TypeError, ValueError):
        config = ScanConfig()
    doc_rows, pair_rows = _table(d, "documents"), _table(d, "pairs")
    docs = tuple(DocInfo(r["id"], int(r.get("chars") or 0), int(r.get("tokens") or 0), r.get("date"), r.get("source"),
                         r.get("origin") or "", r.get("status") or "ok", int(r.get("shingles") or 0))
                 for r in doc_rows)
    pairs = tuple(
        Pair(r["a"], r["b"], r["jaccard"], r["containment_a"], r["containment_b"], r["relation"], int(r.get("shared") or 0),
             None if r.get("passages") is None else tuple(
                 Passage(x["a_start"], x["a_end"], x["b_start"], x["b_end"], x["score"]) for x in r["passages"]),
             coverage_a=float(r.get("coverage_a") or 0.0), coverage_b=float(r.get("coverage_b") or 0.0))
        for r in pair_rows)
    cluster_rows = _table(d, "clusters")
    clusters = tuple(Cluster(int(r["cluster"]), r["representative"], tuple(r["members"])) for r in cluster_rows)
    problems = tuple(Problem(r["origin"], r["reason"], r["message"]) for r in _table(d, "problems"))
    return ScanResult(docs, pairs, clusters, problems, config, summary.get("stats") or {}, summary.get("timings_s") or {},
                      provenance=_provenance(doc_rows, pair_rows, cluster_rows))


def _provenance(doc_rows: list[dict[str, Any]], pair_rows: list[dict[str, Any]],
                cluster_rows: list[dict[str, Any]]) -> Any:
    """The :class:`retold.provenance.Provenance` written with a traced scan (None when the tables have
    no ``attributions``, ``direction`` nor ``origin`` field: the scan was not traced)."""
    from retold.provenance import Attribution, Direction, Lineage, Provenance

    attributions = {r["id"]: tuple(Attribution(int(x["start"]), int(x["end"]), x["source"], x["cue"], x["key"])
                                   for x in r["attributions"])
                    for r in doc_rows if r.get("attributions") is not None}
    directions = {(r["a"], r["b"]): Direction(r["direction"], float(r.get("direction_confidence") or 0.0),
                                              r.get("evidence") or "")
                  for r in pair_rows if r.get("direction") is not None}
    lineages = {int(r["cluster"]): Lineage(r["origin"], tuple((x["parent"], x["child"], float(x["confidence"]))
                                                             for x in r.get("lineage") or ()))
                for r in cluster_rows if r.get("origin") is not None}
    if not (attributions or directions or lineages):
        return None
    return Provenance(attributions, directions, lineages)


def load_texts(
    result_dir: str | Path, ids: Iterable[str], *, read: ReadConfig = _READ,
    search: Iterable[str | Path] = (), on_problem: Callable[[Problem], None] | None = None,
    progress: Progress | None = None,
) -> dict[str, str]:
    """The original texts of ``ids`` (documents of the scan in ``result_dir``), re-read from their origins
    (see :func:`load_documents`, which also gives each record's title, url and other fields)."""
    docs = load_documents(result_dir, ids, read=read, search=search, on_problem=on_problem, progress=progress)
    return {i: doc.text for i, doc in docs.items()}


def load_documents(
    result_dir: str | Path, ids: Iterable[str], *, read: ReadConfig = _READ,
    search: Iterable[str | Path] = (), on_problem: Callable[[Problem], None] | None = None,
    progress: Progress | None = None,
) -> dict[str, Document]:
    """The original records of ``ids`` (documents of the scan in ``result_dir``), re-read from their origins:
    text, title, url and the other fields as the reader gives them (the scan's tables keep none of them).

    Origin paths are tried relative to the working directory, then to each ``search``
    directory, ``result_dir``'s parent and ``result_dir``. Record files are read with
    ``read`` (pass the field names the scan used). A text that cannot be found, or whose
    length differs from the scan's (the file changed), is left out and reported to
    ``on_problem`` (default: a logged warning). ``progress`` hears one stage, ``reading texts``,
    advanced once per wanted document (found or not).
    """

    d = _check_dir(result_dir)
    report = on_problem or (lambda p: log.warning("%s", p))
    wanted = set(ids)
    bases = [Path.cwd(), *map(Path, search), d.parent, d]
    by_file: dict[tuple[str, str], dict[str, DocInfo]] = {}
    for r in _table(d, "documents"):
        if r["id"] not in wanted:
            continue
        info = DocInfo(r["id"], int(r.get("chars") or 0), 0, None, None, r.get("origin") or "")
        split = split_origin(info.origin)
        if split is None:
            report(Problem(info.origin, "unreadable", f"{info.id}: origin {info.origin!r} cannot be re-read"))
            continue
        by_file.setdefault((split[0], split[1]), {})[split[2]] = info
    found: dict[str, Document] = {}
    prog = progress or NullProgress()
    prog.start("reading texts", sum(map(len, by_file.values())))
    for (name, kind), need in sorted(by_file.items()):
        path = locate(name, bases)
        if path is None:
            for info in need.values():
                report(Problem(info.origin, "unreadable", f"{info.id}: input file {name} not found"))
            prog.advance(len(need))
            continue
        prefix = str(path)
        left = dict(need)
        for doc in read_documents([InputFile(path, None, kind)], read, on_problem=lambda p: None):
            loc = doc.origin[len(prefix):] if doc.origin.startswith(prefix) else ""
            info = left.pop(loc, None)
            if info is None:
                continue
            if len(doc.text) != info.chars or (kind != "text" and doc.id != info.id):
                report(Problem(info.origin, "unreadable",
                               f"{info.id}: {path} has changed since the scan (id or length differ); text left out"))
            else:
                found[info.id] = doc
            prog.advance()
            if not left:
                break
        for info in left.values():
            report(Problem(info.origin, "unreadable", f"{info.id}: not found in {path}"))
        prog.advance(len(left))
    prog.finish()
    return found
