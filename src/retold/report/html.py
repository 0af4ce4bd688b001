"""A scan as ONE self-contained HTML file that a person opens in a browser.

:func:`render_report` writes an overview (counts, a histogram of pair similarities, the
families by size), a page per family (members with date/source, a timeline or circle
graph of who shares text with whom) and a page per pair (both texts side by side, the
reused passages in matching colours, word changes marked, a dot-plot of the passages).
Documents are named by their title (when ``titles`` gives one) with id, source and date
beside it. With provenance (a traced scan), the sources each text credits are marked in
it, each pair says which version came first and on what evidence, and each family shows
its lineage (the probable origin on top, each member below the one it derives from).

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

The data comes from :mod:`retold.report.data`; :func:`render_result_dir` reads a scan's
output directory back through :mod:`retold.io.results`.

The file is written atomically (:func:`retold.io.atomic.atomic_write`): a temporary
beside it, renamed over it once complete, so a full disk or an interrupted run leaves
the previous report (if any) untouched and no temporary; an OSError becomes
:class:`~retold.errors.OutputError` naming the path.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retold.config import ReadConfig
from retold.io.atomic import atomic_write
from retold.io.results import load_documents, load_result
from retold.models import Problem, ScanResult
from retold.progress import NullProgress, Progress
from retold.report.assets import CSS
from retold.report.script import JS
from retold.report.data import DIFF_LIMIT, report_data

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


def render_report(
    result: ScanResult, texts: Mapping[str, str], path: str | Path, *, title: str = "retold report",
    page_size: int = 50, diff_limit: int = DIFF_LIMIT, titles: Mapping[str, str | None] | None = None,
    provenance: Any = None, progress: Progress | None = None,
) -> ReportInfo:
    """Write the report of ``result`` to ``path`` (one HTML file, no network access needed), atomically.

    ``texts`` maps document ids to their original texts (those of the pairs and families
    are needed; a missing one is said so in the page). ``titles`` maps ids to the
    documents' titles, shown with their ids wherever a document appears. Pairs without
    passages are aligned here. ``page_size``: pairs (and families) per page of the lists;
    ``diff_limit``: word changes are computed for this many pairs, the most similar (0: none).
    ``provenance`` (default ``result.provenance``): attributions are marked in the texts,
    each pair shows its direction and each family its lineage. ``progress`` hears
    ``aligning and diffing pairs`` and ``writing report``.
    """
    if page_size < 1:
        raise ValueError(f"page_size must be >= 1, got {page_size}")
    prog = progress or NullProgress()
    data = report_data(result, texts, title=title, page_size=page_size, diff_limit=diff_limit, titles=titles,
                       provenance=provenance, progress=prog)
    prog.start("writing report", None)
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
    with atomic_write(out, "w", encoding="utf-8", newline="\n") as fh:
        fh.writelines(parts)
    prog.finish()
    return ReportInfo(out, out.stat().st_size, len(data["pairs"]), len(data["families"]), len(data["docs"]),
                      data["diffed"], data["missing_texts"])


# ---------------------------------------------------------------------------- reading a result dir


def render_result_dir(result_dir: str | Path, path: str | Path, *, read: ReadConfig = _READ,
                      title: str | None = None, page_size: int = 50, diff_limit: int = DIFF_LIMIT,
                      on_problem: Callable[[Problem], None] | None = None,
                      progress: Progress | None = None) -> ReportInfo:
    """``retold report RESULT_DIR -o report.html``: :func:`load_result`, :func:`load_documents` (texts
    and titles, in one re-read of the origins), :func:`render_report`.

    A traced scan's provenance (attributions, directions, lineages) is read back and shown.
    ``progress`` hears ``reading texts``, ``aligning and diffing pairs`` and ``writing report``.
    """
    prog = progress or NullProgress()
    result = load_result(result_dir)
    ids = result.linked_ids()
    found = load_documents(result_dir, ids, read=read, on_problem=on_problem, progress=prog)
    texts = {i: doc.text for i, doc in found.items()}
    titles = {i: doc.title for i, doc in found.items() if doc.title}
    return render_report(result, texts, path, title=title or f"retold report: {Path(result_dir).name}",
                         page_size=page_size, diff_limit=diff_limit, titles=titles, progress=prog)
