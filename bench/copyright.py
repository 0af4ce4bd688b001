"""Long documents with heavy real reuse: retold scan against rensa's sketch + LSH on the Debian
copyright files of this machine (issue 12).

    .venv/bin/python bench/copyright.py                       # build the corpus, 1 worker
    .venv/bin/python bench/copyright.py --workers 1 2 --timeout 900 --json copyright.json

Builds ``bench/data/copyright/corpus.jsonl`` from ``/usr/share/doc/*/copyright`` (``--glob``):
one record per file, sorted by path, ``{"id": <package directory name>, "text": <the file read
as UTF-8, errors replaced>}``; unreadable and empty (whitespace-only) files are skipped. Long
documents (the Boost copyright files are ~2 MB each) with a lot of shared licence text:
the case where a pair's cost must not grow with the longer document times its partners.
The corpus depends on what is installed, so the count and size are printed with the table.

Then, one process at a time, as ``bench/speed.py`` does (its functions): rensa's sketch + LSH
alone, ``retold scan --no-align`` and ``retold scan`` at its defaults, for each ``--workers``,
with ratio = rensa's seconds / retold's. Issue 12's target here: a full scan within 5x rensa
(ratio >= 0.2). A run over ``--timeout`` seconds is stopped and shown as "> timeout".
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import _prose  # noqa: E402
from speed import PEERS_PY, compare, git_head, print_comparison  # noqa: E402

DEFAULT_GLOB = "/usr/share/doc/*/copyright"
TARGETS = {"full": 0.2}  # a full scan within 5x rensa's sketch + LSH


def build(out_path: Path, pattern: str = DEFAULT_GLOB) -> tuple[int, int, int]:
    """Write the JSONL corpus (only if its bytes changed); (records, bytes, files skipped)."""
    lines, skipped = [], 0
    for path in sorted(glob.glob(pattern)):
        try:
            with open(path, "rb") as f:
                text = f.read().decode("utf-8", errors="replace")
        except OSError:
            skipped += 1
            continue
        if not text.strip():
            skipped += 1
            continue
        lines.append(json.dumps({"id": Path(path).parent.name, "text": text}, ensure_ascii=False) + "\n")
    data = "".join(lines).encode("utf-8")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if not out_path.exists() or out_path.read_bytes() != data:
        out_path.write_bytes(data)
    return len(lines), len(data), skipped


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--glob", default=DEFAULT_GLOB, help="the files, one document each")
    ap.add_argument("--out", type=Path, default=_prose.DATA_DIR / "copyright" / "corpus.jsonl")
    ap.add_argument("--workers", type=int, nargs="+", default=[1])
    ap.add_argument("--timeout", type=float, default=900, help="seconds before a run is stopped")
    ap.add_argument("--reps", type=int, default=1, help="best of this many runs")
    ap.add_argument("--no-align", action="store_true", help="only the --no-align scans (no passages)")
    ap.add_argument("--build-only", action="store_true", help="write the corpus and stop")
    ap.add_argument("--json", type=Path, default=None, help="also write the raw numbers here")
    args = ap.parse_args(argv)
    n, size, skipped = build(args.out, args.glob)
    if not n:
        print(f"no readable files match {args.glob}", file=sys.stderr)
        return 1
    with open(args.out, encoding="utf-8") as f:
        lengths = sorted(len(json.loads(line)["text"].encode("utf-8")) for line in f)
    big = sum(1 for x in lengths if x > 200_000)
    print(f"{args.out}: {n:,} documents from {args.glob} ({skipped} skipped), {size / 1e6:.1f} MB; "
          f"median {lengths[n // 2] / 1e3:.1f} KB, largest {lengths[-1] / 1e6:.2f} MB, {big} over 200 KB\n",
          flush=True)
    if args.build_only:
        return 0
    from peers import ensure_peers_venv

    if not ensure_peers_venv().get("rensa"):
        print(f"rensa does not import in {PEERS_PY}", file=sys.stderr)
        return 1
    modes = ("no-align",) if args.no_align else ("no-align", "full")
    rows = compare(args.out, args.workers, modes=modes, timeout=args.timeout, reps=args.reps, targets=TARGETS,
                   label="copyright")
    date, head = time.strftime("%Y-%m-%d %H:%M"), git_head()
    print_comparison(rows, f"End to end on the copyright corpus, one process per run, reading the JSONL included; "
                           f"{date}, {os.cpu_count()} CPUs, git {head}. ratio = rensa's seconds / retold's "
                           f"(>= 1: retold is faster); issue 12's target: full scan within 5x rensa:")
    if args.json:
        args.json.write_text(json.dumps({"date": date, "cpus": os.cpu_count(), "git_head": head, "glob": args.glob,
                                         "docs": n, "bytes": size, "skipped": skipped, "scan": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
