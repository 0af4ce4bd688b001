"""Writing a scan's results: the tables of docs/formats.md, as JSON Lines or Parquet.

Rows are produced once (``*_rows`` functions) and written by one function per format,
so the JSONL and Parquet outputs always hold the same fields and values.
Output bytes depend only on the input and parameters, except the timings in
summary.json.

:func:`write_result` is atomic as a set (:class:`retold.io.atomic.AtomicSet`): the four
tables and summary.json are first written completely to temporaries in the output
directory; only then are the files of a previous run that the new set does not replace
removed (summary.json, and the tables of the other format: ``documents``, ``pairs``,
``clusters``, ``problems`` ``.jsonl`` when writing Parquet and ``.parquet`` when writing
JSON Lines), and the new files renamed into place, tables first, summary.json last.
Other files in the directory (a report, the user's own files) are never touched. So

* a failure while writing (full disk, I/O error, an exception, Ctrl-C) leaves the
  directory exactly as it was, without temporaries, and raises
  :class:`~retold.errors.OutputError` naming the file (``cannot write
  result/pairs.jsonl: No space left on device``) for an OSError;
* after a successful write the directory holds one run's tables in one format and that
  run's summary.json, never a mix of runs;
* summary.json is the commit marker: it is removed before the first table is replaced
  and comes back last, so if a rename fails half-way (rare) the directory has no
  summary.json, which means "no complete run here".
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import suppress
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from retold.core.rules import SCORE_DECIMALS, rounded
from retold.core.verify import rounded_all
from retold.errors import ConfigError
from retold.io import _lines
from retold.io.atomic import AtomicSet, Opener, atomic_write, make_dirs
from retold.io.records import TABLE_BATCH_ROWS, Lines, dumps, write_jsonl, write_parquet
from retold.models import Cluster, DocInfo, Pair, PairTable, Problem, ScanResult

FORMATS = ("jsonl", "parquet")
#: the tables of a scan result, in the order they are written
TABLES = ("documents", "pairs", "clusters", "problems")
SUMMARY = "summary.json"


@lru_cache(maxsize=None)
def table_schema(name: str) -> Any:
    """The Parquet schema (``pyarrow.Schema``) of a result table (``documents``, ``pairs``,
    ``clusters``, ``problems``) or of ``removed``, the removals table of ``retold dedup``
    (see :class:`retold.families.Removal`). pyarrow is imported here, on the first Parquet
    write: a JSON Lines run never pays for it (~35 MB, 0.1 s)."""
    import pyarrow as pa

    passage = pa.struct([(k, pa.int64()) for k in ("a_start", "a_end", "b_start", "b_end")] + [("score", pa.float64())])
    schemas = {
        "documents": pa.schema([
            ("id", pa.string()), ("chars", pa.int64()), ("tokens", pa.int64()), ("date", pa.string()),
            ("source", pa.string()), ("origin", pa.string()), ("status", pa.string()), ("shingles", pa.int64()),
            ("cluster", pa.int64()),
            ("attributions", pa.list_(pa.struct([("start", pa.int64()), ("end", pa.int64()), ("source", pa.string()),
                                                 ("cue", pa.string()), ("key", pa.string())]))),
        ]),
        "pairs": pa.schema([
            ("a", pa.string()), ("b", pa.string()), ("jaccard", pa.float64()), ("containment_a", pa.float64()),
            ("containment_b", pa.float64()), ("coverage_a", pa.float64()), ("coverage_b", pa.float64()),
            ("relation", pa.string()), ("shared", pa.int64()),
            ("passages", pa.list_(passage)), ("aligned_chars_a", pa.int64()), ("aligned_chars_b", pa.int64()),
            ("direction", pa.string()), ("direction_confidence", pa.float64()), ("evidence", pa.string()),
        ]),
        "clusters": pa.schema([
            ("cluster", pa.int64()), ("representative", pa.string()), ("members", pa.list_(pa.string())),
            ("origin", pa.string()),
            ("lineage", pa.list_(pa.struct([("parent", pa.string()), ("child", pa.string()),
                                            ("confidence", pa.float64())]))),
        ]),
        "problems": pa.schema([("origin", pa.string()), ("reason", pa.string()), ("message", pa.string())]),
        "removed": pa.schema([
            ("id", pa.string()), ("duplicate_of", pa.string()), ("relation", pa.string()),
            ("removed_coverage", pa.float64()), ("kept_coverage", pa.float64()), ("jaccard", pa.float64()),
        ]),
    }
    return schemas[name]


def document_row(d: DocInfo, cluster: int | None = None, attributions: Sequence[Any] | None = None) -> dict[str, Any]:
    """One row of the documents table; ``cluster``: its family number (None: in no family);
    ``attributions``: the sources it credits, when traced (None: not traced)."""
    row: dict[str, Any] = {"id": d.id, "chars": d.chars, "tokens": d.tokens, "date": d.date, "source": d.source,
                           "origin": d.origin, "status": d.status, "shingles": d.shingles, "cluster": cluster}
    if attributions is not None:
        row["attributions"] = [{"start": a.start, "end": a.end, "source": a.source, "cue": a.cue, "key": a.key}
                               for a in attributions]
    return row


def pair_row(p: Pair, direction: Any = None) -> dict[str, Any]:
    row: dict[str, Any] = {"a": p.a, "b": p.b, "jaccard": p.jaccard, "containment_a": p.containment_a,
                           "containment_b": p.containment_b, "coverage_a": p.coverage_a, "coverage_b": p.coverage_b,
                           "relation": p.relation, "shared": p.shared}
    if p.passages is not None:
        row["passages"] = [{"a_start": x.a_start, "a_end": x.a_end, "b_start": x.b_start, "b_end": x.b_end,
                            "score": rounded(x.score)} for x in p.passages]
        row["aligned_chars_a"] = p.aligned_chars_a
        row["aligned_chars_b"] = p.aligned_chars_b
    if direction is not None:
        row["direction"] = direction.direction
        row["direction_confidence"] = rounded(direction.confidence)
        row["evidence"] = direction.evidence
    return row


_json_str = json.encoder.encode_basestring  # what the JSON Lines encoder does with ensure_ascii=False


def pair_line(p: Pair) -> str:
    """``records.dumps(pair_row(p))`` without building the dict: the pairs table is the
    largest one written (139,516 rows of a 12k news scan). A test holds the two
    byte-identical."""
    rows = None if p.passages is None else [(x.a_start, x.a_end, x.b_start, x.b_end, rounded(x.score))
                                            for x in p.passages]
    scores = (p.jaccard, p.containment_a, p.containment_b, p.coverage_a, p.coverage_b, *(r[4] for r in rows or ()))
    if not all(map(math.isfinite, scores)):  # NaN, infinities: as json writes them
        return dumps(pair_row(p))
    f = float.__repr__
    passages = None
    if rows is not None:
        passages = ", ".join([_passage(str(a0), str(a1), str(b0), str(b1), f(sc)) for a0, a1, b0, b1, sc in rows])
    return _line(_json_str(p.a), _json_str(p.b), f(p.jaccard), f(p.containment_a), f(p.containment_b),
                 f(p.coverage_a), f(p.coverage_b), _json_str(p.relation), str(p.shared), passages,
                 str(sum([r[1] - r[0] for r in rows or ()])), str(sum([r[3] - r[2] for r in rows or ()])))


def _passage(a_start: str, a_end: str, b_start: str, b_end: str, score: str) -> str:
    """One passage of a pairs line, from its fields written as JSON."""
    return f'{{"a_start": {a_start}, "a_end": {a_end}, "b_start": {b_start}, "b_end": {b_end}, "score": {score}}}'


def _line(a: str, b: str, jaccard: str, containment_a: str, containment_b: str, coverage_a: str, coverage_b: str,
          relation: str, shared: str, passages: str | None, chars_a: str, chars_b: str) -> str:
    """One line of the pairs table from its fields written as JSON (``passages``: the
    passages joined by ", ", None when the pair is not aligned)."""
    line = (f'{{"a": {a}, "b": {b}, "jaccard": {jaccard}, "containment_a": {containment_a}, '
            f'"containment_b": {containment_b}, "coverage_a": {coverage_a}, "coverage_b": {coverage_b}, '
            f'"relation": {relation}, "shared": {shared}')
    if passages is None:
        return line + "}"
    return f'{line}, "passages": [{passages}], "aligned_chars_a": {chars_a}, "aligned_chars_b": {chars_b}}}'


#: ``repr`` of k / 10**4 for k in [0, 10**4]: the scores a scan writes (rounded to 4 decimals in [0, 1])
_DECIMALS = 10**SCORE_DECIMALS
_SCORE_VALUES = np.arange(_DECIMALS + 1) / _DECIMALS
_SCORE_TEXTS: np.ndarray | None = None


def _score_texts() -> np.ndarray:
    """``repr`` of k / 10**4 for every k in [0, 10**4] (object array of str), made once."""
    global _SCORE_TEXTS
    if _SCORE_TEXTS is None:
        _SCORE_TEXTS = np.array([repr(x) for x in _SCORE_VALUES.tolist()], dtype=object)
    return _SCORE_TEXTS


def _score_keys(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(k, exact): where ``exact``, the value is exactly k / 10**4 in [0, 1] (k int64; 0 elsewhere)."""
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        k = np.rint(values * _DECIMALS)
        exact = (k >= 0) & (k <= _DECIMALS) & ~np.signbit(values)
    k = np.where(exact, k, 0).astype(np.int64)
    exact &= _SCORE_VALUES[k] == values
    return k, exact


def _float_texts(values: np.ndarray) -> list[str]:
    """``float.__repr__`` of every value: looked up for the rounded scores in [0, 1] (exactly
    k / 10**4), computed for any other."""
    k, exact = _score_keys(values)
    out = _score_texts()[k].tolist()
    for i in np.flatnonzero(~exact).tolist():
        out[i] = float.__repr__(float(values[i]))
    return out


def _int_texts(values: np.ndarray) -> list[str]:
    return list(map(str, values.tolist()))


#: pairs, and passages, written from a table's columns at a time (bound the text held at once)
PAIR_BLOCK = 8192
PASSAGE_BLOCK = 1 << 15


def pair_lines(pairs: Sequence[Pair]) -> Iterator[str]:
    """:func:`pair_line` of every pair; for a :class:`~retold.models.PairTable`, written
    from its columns, a block of pairs at a time (no Pair object is made)."""
    for item in pair_blocks(pairs):
        if type(item) is Lines:
            yield from item.text.split("\n")[:-1]
        else:
            yield item  # type: ignore[misc]


def pair_blocks(pairs: Sequence[Pair]) -> Iterator[str | Lines]:
    """The lines of :func:`pair_lines`, a table's blocks written by the compiled writer as
    one :class:`~retold.io.records.Lines` each (what :func:`~retold.io.records.write_jsonl`
    writes at once)."""
    if not isinstance(pairs, PairTable):
        yield from map(pair_line, pairs)
        return
    ids = [_json_str(i) for i in pairs.ids]
    relations = {r: _json_str(r) for r in set(pairs.relation.tolist())}
    fast = _FastLines(pairs, ids, relations)
    firsts = pairs.passage_offsets  # a block holds at most PASSAGE_BLOCK passages (or one pair)
    lo = 0
    while lo < len(pairs):
        hi = min(lo + PAIR_BLOCK, len(pairs))
        if firsts is not None:
            hi = max(lo + 1, min(hi, int(np.searchsorted(firsts, firsts[lo] + PASSAGE_BLOCK, side="right")) - 1))
        block = fast.block(lo, hi)
        if block is None:  # a score outside the table of rounded ones: written field by field
            yield from _table_lines(pairs, lo, hi, ids, relations)
        else:
            yield Lines(block, hi - lo)
        lo = hi


class _FastLines:
    """The compiled writer of a table's lines (:func:`retold.io._lines.pair_block`), for
    blocks whose every score is a rounded one (k / 10**4 in [0, 1]): the same text as
    :func:`_table_lines`."""

    def __init__(self, pairs: PairTable, ids: list[str], relations: dict[str, str]) -> None:
        self.pairs = pairs
        self.ids = [i.encode("utf-8", "surrogatepass") for i in ids]
        names = sorted(relations)
        self.relation_of = {r: k for k, r in enumerate(names)}
        self.relations = [relations[r].encode("utf-8", "surrogatepass") for r in names]
        self.scores = [t.encode("ascii") for t in _score_texts().tolist()]
        self.aligned = pairs.passage_offsets is not None and pairs.spans is not None and pairs.scores is not None

    def block(self, lo: int, hi: int) -> str | None:
        """The lines of pairs ``lo:hi`` (each ended by a newline), or None when a score is
        not a rounded one."""
        pairs = self.pairs
        columns = np.stack([c[lo:hi] for c in (pairs.jaccard, pairs.containment_a, pairs.containment_b,
                                                pairs.coverage_a, pairs.coverage_b)], axis=1)
        keys, exact = _score_keys(columns)
        if not exact.all():
            return None
        offsets = np.zeros(hi - lo + 1, dtype=np.int64)
        spans = np.zeros((0, 4), dtype=np.int64)
        passage_keys = np.zeros(0, dtype=np.int64)
        if self.aligned:
            assert pairs.passage_offsets is not None and pairs.spans is not None and pairs.scores is not None
            p0, p1 = int(pairs.passage_offsets[lo]), int(pairs.passage_offsets[hi])
            offsets = pairs.passage_offsets[lo : hi + 1] - p0
            passage_keys, exact_passages = _score_keys(np.asarray(rounded_all(pairs.scores[p0:p1]), dtype=np.float64))
            if not exact_passages.all():
                return None
            spans = pairs.spans[p0:p1]
        relation = np.fromiter(map(self.relation_of.__getitem__, pairs.relation[lo:hi].tolist()), dtype=np.int64,
                               count=hi - lo)
        text = _lines.pair_block(self.ids, np.ascontiguousarray(pairs.a[lo:hi], dtype=np.int64),
                                 np.ascontiguousarray(pairs.b[lo:hi], dtype=np.int64), np.ascontiguousarray(keys),
                                 self.relations, relation, np.ascontiguousarray(pairs.shared[lo:hi], dtype=np.int64),
                                 self.scores, np.ascontiguousarray(offsets, dtype=np.int64),
                                 np.ascontiguousarray(spans, dtype=np.int64), np.ascontiguousarray(passage_keys),
                                 self.aligned)
        return text.decode("utf-8", "surrogatepass")


def _table_lines(pairs: PairTable, lo: int, hi: int, ids: list[str], relations: dict[str, str]) -> Iterator[str]:
    """The lines of pairs ``lo:hi`` of a table (``ids``, ``relations``: as JSON strings)."""
    n = hi - lo
    columns = tuple(c[lo:hi] for c in (pairs.jaccard, pairs.containment_a, pairs.containment_b, pairs.coverage_a,
                                      pairs.coverage_b))
    finite = np.logical_and.reduce([np.isfinite(c) for c in columns])
    passages: list[str | None] = [None] * n
    chars_a = chars_b = [""] * n
    if pairs.passage_offsets is not None and pairs.spans is not None and pairs.scores is not None:
        p0, p1 = int(pairs.passage_offsets[lo]), int(pairs.passage_offsets[hi])
        counts = np.diff(pairs.passage_offsets[lo:hi + 1])
        scores = np.asarray(rounded_all(pairs.scores[p0:p1]), dtype=np.float64)
        owner = np.repeat(np.arange(n), counts)
        finite &= np.bincount(owner[~np.isfinite(scores)], minlength=n) == 0
        spans = pairs.spans[p0:p1]
        texts = map(_passage, *(_int_texts(spans[:, j]) for j in range(4)), _float_texts(scores))
        passages = [", ".join([next(texts) for _ in range(c)]) for c in counts.tolist()]  # type: ignore[misc]
        chars_a = _int_texts(np.bincount(owner, weights=spans[:, 1] - spans[:, 0], minlength=n).astype(np.int64))
        chars_b = _int_texts(np.bincount(owner, weights=spans[:, 3] - spans[:, 2], minlength=n).astype(np.int64))
    fields = zip([ids[x] for x in pairs.a[lo:hi].tolist()], [ids[x] for x in pairs.b[lo:hi].tolist()],
                 *(_float_texts(np.where(finite, c, 0.0)) for c in columns),
                 [relations[r] for r in pairs.relation[lo:hi].tolist()], _int_texts(pairs.shared[lo:hi]), passages,
                 chars_a, chars_b)
    for k, (ok, row) in enumerate(zip(finite.tolist(), fields)):
        yield _line(*row) if ok else pair_line(pairs[lo + k])


def cluster_row(c: Cluster, lineage: Any = None) -> dict[str, Any]:
    row: dict[str, Any] = {"cluster": c.cluster, "representative": c.representative, "members": list(c.members)}
    if lineage is not None:
        row["origin"] = lineage.origin
        row["lineage"] = [{"parent": p, "child": ch, "confidence": rounded(conf)} for p, ch, conf in lineage.edges]
    return row


def problem_row(p: Problem) -> dict[str, Any]:
    return {"origin": p.origin, "reason": p.reason, "message": p.message}


def _check_format(fmt: str) -> None:
    """Raise :class:`ConfigError` unless ``fmt`` is one of :data:`FORMATS`."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown output format {fmt!r}; choose from {list(FORMATS)}")


#: a table's rows as :func:`write_table` takes them
Rows = Iterable[dict[str, Any] | str | Lines]


def write_table(name: str, rows: Rows, out_dir: Path, fmt: str,
                opener: Opener = atomic_write) -> Path:
    """Write one table (``documents``, ``pairs``, ``clusters``, ``problems``) in ``fmt``, atomically."""
    _check_format(fmt)
    path = out_dir / f"{name}.{fmt}"
    if fmt == "jsonl":
        write_jsonl(rows, path, opener)
    else:
        write_parquet(rows, path, table_schema(name), TABLE_BATCH_ROWS, opener)
    return path


def stale_result_files(out_dir: Path, fmt: str) -> list[Path]:
    """What a new result in ``fmt`` removes from ``out_dir`` before renaming its files in.

    summary.json (the commit marker, see the module docstring) and every table of
    :data:`TABLES` in the other formats; the tables in ``fmt`` are replaced by rename.
    """
    others = [f"{name}.{other}" for other in FORMATS if other != fmt for name in TABLES]
    return [out_dir / SUMMARY] + [out_dir / name for name in others]


def result_tables(result: ScanResult, fmt: str = "jsonl") -> Iterator[tuple[str, Rows]]:
    """Each table's rows: dicts, or for JSON Lines pairs without provenance, ready lines and
    blocks of them (:class:`~retold.io.records.Lines`)."""
    family = {m: c.cluster for c in result.clusters for m in c.members}
    prov = result.provenance
    if prov is None:
        yield "documents", (document_row(d, family.get(d.id)) for d in result.documents)
        yield "pairs", pair_blocks(result.pairs) if fmt == "jsonl" else map(pair_row, result.pairs)
        yield "clusters", map(cluster_row, result.clusters)
    else:
        yield "documents", (document_row(d, family.get(d.id), prov.attributions.get(d.id, ())) for d in result.documents)
        yield "pairs", (pair_row(p, prov.directions.get((p.a, p.b))) for p in result.pairs)
        yield "clusters", (cluster_row(c, prov.lineages.get(c.cluster)) for c in result.clusters)
    yield "problems", map(problem_row, result.problems)


def write_result(result: ScanResult, out_dir: str | Path, fmt: str = "jsonl") -> dict[str, Path]:
    """Write every table and summary.json into ``out_dir`` (created if needed), as one atomic set.

    Replaces a previous run's result files there (see the module docstring); raises
    :class:`~retold.errors.OutputError` if they cannot be written, leaving ``out_dir`` as it was.
    """
    _check_format(fmt)
    out = Path(out_dir)
    created = not out.exists()
    make_dirs(out)
    try:
        with AtomicSet(stale=stale_result_files(out, fmt)) as files:
            paths = {name: write_table(name, rows, out, fmt, files.open) for name, rows in result_tables(result, fmt)}
            summary = out / SUMMARY
            with files.open(summary, "wb") as fh:
                fh.write((json.dumps(result.summary(), indent=2, sort_keys=True, ensure_ascii=False) + "\n")
                         .encode("utf-8"))
            paths["summary"] = summary
    except BaseException:
        if created:  # leave nothing: the directory this call created goes too, if still empty
            with suppress(OSError):
                out.rmdir()
        raise
    return paths
