"""A scan as ONE self-contained HTML file that a person opens in a browser.

:func:`render_report` writes an overview (counts, a histogram of pair similarities, the
families by size), a page per family (members with date/source, a timeline or circle
graph of who shares text with whom) and a page per pair (both texts side by side, the
reused passages in matching colours, word changes marked, a dot-plot of the passages).

Safety and size:

* nothing is loaded from the network: CSS and JS are inline, a Content-Security-Policy
  forbids every other source and allows only the report's own script (by hash), so even
  markup that slipped into the page could not run;
* the data is one JSON block (``<script type="application/json">``) with ``<``, ``>``,
  ``&``, U+2028/2029 and lone surrogates escaped, so no text can close the block; the
  script puts document text into the page only as text nodes (never ``innerHTML``);
* each text is stored once (not per pair); views are built when shown and the pair
  list is paged, so a report of 10,000 pairs opens at once. Word diffs are computed
  for the ``diff_limit`` most similar pairs only, and the page says so.

Offsets in the page are UTF-16 code units (JavaScript strings); Python offsets are code
points, so they are converted for texts with characters outside the BMP.

:func:`load_result` and :func:`load_texts` read a scan's output directory back (for
``retold report RESULT_DIR``): the tables, and the texts re-read from each document's
``origin``.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import html
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import ReadConfig, ScanConfig
from .errors import InputError
from .models import Cluster, DocInfo, Pair, Passage, Problem, ScanResult
from .report_assets import CSS, JS

log = logging.getLogger(__name__)

#: word diffs are computed for at most this many pairs (the most similar ones)
DIFF_LIMIT = 2000
#: nor for pairs whose texts together are longer than this (characters)
DIFF_MAX_CHARS = 2_000_000
_OPS = {"replace": 1, "insert": 2, "delete": 3, "move": 4}
_READ = ReadConfig()
_UNSAFE = re.compile("[<>&\u2028\u2029\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class ReportInfo:
    """What :func:`render_report` wrote."""

    path: Path
    bytes: int
    pairs: int
    families: int
    documents: int = 0
    diffed: int = 0  # pairs with word changes marked
    missing_texts: int = 0


def _script_json(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element (and valid UTF-8)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _utf16(text: str) -> Callable[[int], int] | None:
    """Code-point offset -> UTF-16 offset for ``text`` (None when they are the same)."""
    astral = [i for i, ch in enumerate(text) if ord(ch) > 0xFFFF] if not text.isascii() else []
    if not astral:
        return None
    return lambda off: off + bisect.bisect_left(astral, off)


def _pair_key(p: Pair) -> tuple[Any, ...]:
    return (-p.jaccard, -max(p.containment_a, p.containment_b), p.a, p.b)


def _passages(p: Pair, ta: str | None, tb: str | None, config: ScanConfig) -> Iterable[Passage]:
    if p.passages is not None:
        return p.passages
    if ta is None or tb is None:
        return ()
    from .align import align

    return align(ta, tb, config.align)


def report_data(
    result: ScanResult, texts: Mapping[str, str], *, title: str = "retold report", page_size: int = 50,
    diff_limit: int = DIFF_LIMIT,
) -> dict[str, Any]:
    """The JSON the page is built from (pairs as arrays, see the field list below).

    ``docs``: ``{id, date, source, origin, chars, status, text}`` (text None when missing);
    ``pairs``: ``[a, b, jaccard, containment_a, containment_b, relation, shared,
    passages [[a_start, a_end, b_start, b_end, score]], ops [[code, a_start, a_end,
    b_start, b_end]] or None]`` sorted most similar first, ``a``/``b`` index ``docs``;
    ``families``: ``{c, rep, m}`` largest first. Offsets are UTF-16 code units.
    """
    from .diff import diff

    info = {d.id: d for d in result.documents}
    needed = {i for p in result.pairs for i in (p.a, p.b)} | {m for c in result.clusters for m in c.members}
    ids = sorted(needed)
    index = {d: k for k, d in enumerate(ids)}
    conv: dict[str, Callable[[int], int] | None] = {}
    docs: list[dict[str, Any]] = []
    missing = 0
    for d in ids:
        text = texts.get(d)
        di = info.get(d)
        if text is None:
            missing += 1
        else:
            conv[d] = _utf16(text)
        docs.append({"id": d, "date": di.date if di else None, "source": di.source if di else None,
                     "origin": di.origin if di else "", "chars": di.chars if di else len(text or ""),
                     "status": di.status if di else "ok", "text": text})

    def at(doc: str, off: int) -> int:
        text = texts[doc]
        off = min(max(off, 0), len(text))
        f = conv[doc]
        return f(off) if f else off

    pairs: list[list[Any]] = []
    diffed = diffable = 0
    for p in sorted(result.pairs, key=_pair_key):
        ta, tb = texts.get(p.a), texts.get(p.b)
        passages: list[list[Any]] = []
        ops: list[list[int]] | None = None
        if ta is not None and tb is not None:
            diffable += 1
            for x in _passages(p, ta, tb, result.config):
                passages.append([at(p.a, x.a_start), at(p.a, x.a_end), at(p.b, x.b_start), at(p.b, x.b_end),
                                 round(float(x.score), 4)])
            if diffed < diff_limit and len(ta) + len(tb) <= DIFF_MAX_CHARS:
                ops = [[_OPS[o.op], at(p.a, o.a_start), at(p.a, o.a_end), at(p.b, o.b_start), at(p.b, o.b_end)]
                       for o in diff(ta, tb) if o.op != "equal"]
                diffed += 1
        pairs.append([index[p.a], index[p.b], p.jaccard, p.containment_a, p.containment_b, p.relation, p.shared,
                      passages if (p.passages is not None or passages) else None, ops])
    families = [{"c": c.cluster, "rep": index[c.representative], "m": [index[m] for m in c.members]}
                for c in sorted(result.clusters, key=lambda c: (-len(c.members), c.cluster))]
    from . import __version__

    return {"title": title, "version": __version__, "page_size": page_size, "summary": result.summary(),
            "docs": docs, "pairs": pairs, "families": families, "diffed": diffed, "diff_limit": diff_limit,
            "diff_limited": diffed < diffable,
            "missing_texts": missing}


def render_report(
    result: ScanResult, texts: Mapping[str, str], path: str | Path, *, title: str = "retold report",
    page_size: int = 50, diff_limit: int = DIFF_LIMIT,
) -> ReportInfo:
    """Write the report of ``result`` to ``path`` (one HTML file, no network access needed).

    ``texts`` maps document ids to their original texts (those of the pairs and families
    are needed; a missing one is said so in the page). Pairs without passages are
    aligned here. ``page_size``: pairs (and families) per page of the lists.
    """
    if page_size < 1:
        raise ValueError(f"page_size must be >= 1, got {page_size}")
    data = report_data(result, texts, title=title, page_size=page_size, diff_limit=diff_limit)
    script_hash = base64.b64encode(hashlib.sha256(JS.encode("utf-8")).digest()).decode("ascii")
    csp = (f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'; "
           "img-src data:; base-uri 'none'; form-action 'none'")
    t = html.escape(title)
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
        "<meta name=\"referrer\" content=\"no-referrer\">\n",
        f"<title>{t}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        f"<header><h1>{t}</h1><nav><a href=\"#overview\">Overview</a><a href=\"#pairs/1\">Pairs</a>",
        "<a href=\"#families/1\">Families</a></nav></header>\n",
        "<main id=\"app\"><noscript>This report needs JavaScript to show its data.</noscript></main>\n",
        "<script type=\"application/json\" id=\"retold-data\">", _script_json(data), "</script>\n",
        f"<script>{JS}</script>\n</body>\n</html>\n",
    ]
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8", newline="\n") as fh:
        fh.writelines(parts)
    return ReportInfo(out, out.stat().st_size, len(data["pairs"]), len(data["families"]), len(data["docs"]),
                      data["diffed"], data["missing_texts"])


# ---------------------------------------------------------------------------- reading a result dir


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
    """A :class:`ScanResult` read back from the tables a scan wrote (docs/formats.md)."""
    d = _check_dir(result_dir)
    summary: dict[str, Any] = {}
    if (d / "summary.json").is_file():
        summary = json.loads((d / "summary.json").read_text(encoding="utf-8"))
    try:
        config = ScanConfig.from_dict(summary.get("parameters") or {})
    except (TypeError, ValueError):
        config = ScanConfig()
    docs = tuple(DocInfo(r["id"], int(r.get("chars") or 0), int(r.get("tokens") or 0), r.get("date"), r.get("source"),
                         r.get("origin") or "", r.get("status") or "ok", int(r.get("shingles") or 0))
                 for r in _table(d, "documents"))
    pairs = tuple(
        Pair(r["a"], r["b"], r["jaccard"], r["containment_a"], r["containment_b"], r["relation"], int(r.get("shared") or 0),
             None if r.get("passages") is None else tuple(
                 Passage(x["a_start"], x["a_end"], x["b_start"], x["b_end"], x["score"]) for x in r["passages"]),
             coverage_a=float(r.get("coverage_a") or 0.0), coverage_b=float(r.get("coverage_b") or 0.0))
        for r in _table(d, "pairs"))
    clusters = tuple(Cluster(int(r["cluster"]), r["representative"], tuple(r["members"])) for r in _table(d, "clusters"))
    problems = tuple(Problem(r["origin"], r["reason"], r["message"]) for r in _table(d, "problems"))
    return ScanResult(docs, pairs, clusters, problems, config, summary.get("stats") or {}, summary.get("timings_s") or {})


_LOCATED = re.compile(r"^(.*?)([:#])(\d+)$")


def _split_origin(origin: str) -> tuple[str, str, str] | None:
    """``(file, kind, locator)`` of an origin: locator "" for a text file, ":N" or "#N" for records."""
    from .readers import input_kind as _kind

    m = _LOCATED.match(origin)
    if m:
        kind = _kind(Path(m.group(1)))
        if kind is not None and kind != "text" and (m.group(2) == "#") == (kind == "parquet"):
            return m.group(1), kind, m.group(2) + m.group(3)
    kind = _kind(Path(origin))
    return (origin, kind, "") if kind == "text" else None


def _locate(name: str, bases: Iterable[Path]) -> Path | None:
    p = Path(name)
    if p.is_absolute():
        return p if p.is_file() else None
    for base in bases:
        if (base / p).is_file():
            return base / p
    return None


def load_texts(
    result_dir: str | Path, ids: Iterable[str], *, read: ReadConfig = _READ,
    search: Iterable[str | Path] = (), on_problem: Callable[[Problem], None] | None = None,
) -> dict[str, str]:
    """The original texts of ``ids`` (documents of the scan in ``result_dir``), re-read from their origins.

    Origin paths are tried relative to the working directory, then to each ``search``
    directory, ``result_dir``'s parent and ``result_dir``. Record files are read with
    ``read`` (pass the field names the scan used). A text that cannot be found, or whose
    length differs from the scan's (the file changed), is left out and reported to
    ``on_problem`` (default: a logged warning).
    """
    from .readers import InputFile, read_documents

    d = _check_dir(result_dir)
    report = on_problem or (lambda p: log.warning("%s", p))
    wanted = set(ids)
    bases = [Path.cwd(), *map(Path, search), d.parent, d]
    by_file: dict[tuple[str, str], dict[str, DocInfo]] = {}
    for r in _table(d, "documents"):
        if r["id"] not in wanted:
            continue
        info = DocInfo(r["id"], int(r.get("chars") or 0), 0, None, None, r.get("origin") or "")
        split = _split_origin(info.origin)
        if split is None:
            report(Problem(info.origin, "unreadable", f"{info.id}: origin {info.origin!r} cannot be re-read"))
            continue
        by_file.setdefault((split[0], split[1]), {})[split[2]] = info
    found: dict[str, str] = {}
    for (name, kind), need in sorted(by_file.items()):
        path = _locate(name, bases)
        if path is None:
            for info in need.values():
                report(Problem(info.origin, "unreadable", f"{info.id}: input file {name} not found"))
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
                found[info.id] = doc.text
            if not left:
                break
        for info in left.values():
            report(Problem(info.origin, "unreadable", f"{info.id}: not found in {path}"))
    return found


def render_result_dir(result_dir: str | Path, path: str | Path, *, read: ReadConfig = _READ,
                      title: str | None = None, page_size: int = 50, diff_limit: int = DIFF_LIMIT,
                      on_problem: Callable[[Problem], None] | None = None) -> ReportInfo:
    """``retold report RESULT_DIR -o report.html``: :func:`load_result`, :func:`load_texts`, :func:`render_report`."""
    result = load_result(result_dir)
    ids = {i for p in result.pairs for i in (p.a, p.b)} | {m for c in result.clusters for m in c.members}
    texts = load_texts(result_dir, ids, read=read, on_problem=on_problem)
    return render_report(result, texts, path, title=title or f"retold report: {Path(result_dir).name}",
                         page_size=page_size, diff_limit=diff_limit)
