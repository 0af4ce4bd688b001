"""retold against datasketch, rensa and text-dedup on the bench corpus: speed, memory, quality.

    .venv/bin/python bench/peers.py --docs 10000
    .venv/bin/python bench/peers.py --docs 10000 --tools rensa retold --json peers.json

The peers live in their own virtualenv, ``bench/.venv-peers`` (created on first use with
``pip install datasketch rensa text-dedup psutil``; never in the project's ``.venv``).
Every tool runs as its own subprocess on the same ``corpus.jsonl`` (reading it is timed for
everyone) and writes the document pairs it reports; ``bench/quality.py`` scores them
against ``truth.json``. Peak RSS is sampled over the whole process tree.

Settings (peers have no tokeniser of their own except text-dedup, so they get the usual
``re.findall(r"\\w+", text.lower())`` word 5-grams; 128 permutations unless said):

- **datasketch, default**: ``MinHashLSH()``'s documented default ``threshold=0.9``;
  reported pairs = LSH query results (datasketch does no verification).
- **rensa, default**: the values of rensa's README deduplicator example, ``threshold=0.8``,
  ``RMinHashLSH`` with 16 bands, candidates kept if their estimated Jaccard >= 0.8 (what
  ``RMinHashDeduplicator`` documents doing).
- **text-dedup, default**: ``python -m text_dedup.minhash`` with its defaults (``ngram 5``,
  ``num_perm 250``, ``threshold 0.7``, its own ``\\W`` split); pairs = all pairs within each
  duplicate cluster it forms (union-find, read from ``uf.pkl`` via ``--debug``).
- **"@ retold's LSH"**: each peer's LSH tuned to retold's low threshold: 128 permutations in
  32 bands of 4 rows (S-curve midpoint (1/32)**(1/4) = 0.42), every LSH candidate reported.
- **retold**: ``retold.scan`` at its defaults, ``align=False`` (peers produce no passages), and
  with all stages (``align=True``: every pair's passages aligned), the issue's end-to-end measure.

All run on one core by default (``--workers`` for retold, ``--num_proc`` for text-dedup).

Speed against rensa (issue 12): when retold is among ``--tools``, rensa's plain sketch + LSH
(``rensa_sketch_lsh``, the function ``bench/speed.py`` uses: the "@ retold's LSH" settings, every
candidate counted, nothing written) first runs once on the same file, and the table gets a column
"ratio vs rensa sketch+LSH" for the retold rows ("-" for the others): rensa's process wall seconds
/ retold's (>= 1: retold is faster). Both include interpreter start-up and imports; retold's are
measured from its process's launch to the end of ``retold.scan`` (the API writes no result files,
unlike the ``retold scan`` command that ``bench/speed.py`` times; writing the pairs for scoring and
the news ``dedup`` come after and are not counted), rensa's to its process's exit. Under the table
a line says whether issue 12's speed targets (``speed.NEWS_TARGETS``, one worker: ``align=False``
>= 1.0x, all stages >= 0.5x) are met; at ``--workers`` other than 1 they are not checked.
The "seconds" columns stay each runner's own timer (retold: the ``retold.scan`` call alone).

News corpus (``--news``, ``bench/corpus.py generate_news``: the truth is the story)::

    .venv/bin/python bench/peers.py --news --docs 12000

Same tools and settings (retold with both rows: ``align=False`` and all stages), scored as
families and as dedup: a peer's families are the connected components of the pairs it
reports, and its dedup keeps one document per component (the smallest id), as its own dedup
would keep one; retold's families are ``result.clusters`` of ``retold.scan`` and its dedup is
``retold.dedup(...).kept`` (a second scan, timed separately, run for each retold row).
Columns: pair recall, the precision of version claims (peers give no relation: every pair
they report is one), the ratio vs rensa sketch+LSH, adjusted Rand index and B-cubed vs the
stories, impure families, the most stories in one family, stories left with no kept
document, kept documents per story.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import corpus as _corpus  # noqa: E402
import quality as _quality  # noqa: E402
from speed import NEWS_TARGETS, PEERS_PY, PROJECT_PY, _ratio, fmt_table, run_measured  # noqa: E402

PEERS_VENV = HERE / ".venv-peers"
PEER_PACKAGES = ["datasketch", "rensa", "text-dedup", "psutil"]


def ensure_peers_venv() -> dict[str, bool]:
    """Create bench/.venv-peers if needed; which peers import there."""
    if not PEERS_PY.exists():
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(PEERS_VENV)], check=True)
        r = subprocess.run([str(PEERS_PY), "-m", "pip", "install", "-q", *PEER_PACKAGES])
        if r.returncode != 0:  # keep what installs
            for p in PEER_PACKAGES:
                subprocess.run([str(PEERS_PY), "-m", "pip", "install", "-q", p])
    ok = {}
    for mod in ("datasketch", "rensa", "text_dedup"):
        r = subprocess.run([str(PEERS_PY), "-c", f"import {mod}"], capture_output=True)
        ok[mod] = r.returncode == 0
    return ok


PEER_RUNNER = r'''
import json, os, pickle, re, subprocess, sys, tempfile, time
tool, corpus, out, cfg = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
t0 = time.perf_counter()
NP = cfg.get("num_perm", 128)
pairs = set()
if tool == "text-dedup":
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "text_dedup.minhash", "--path", "json", "--data_files", corpus,
               "--split", "train", "--cache_dir", os.path.join(tmp, "cache"), "--output", os.path.join(tmp, "out"),
               "--column", "text", "--debug", "--num_proc", str(cfg.get("num_proc", 1))] + cfg.get("args", [])
        env = dict(os.environ, HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1", TQDM_DISABLE="1")
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(os.path.join(tmp, "out", "uf.pkl"), "rb") as f:
            uf = pickle.load(f)
    groups = {}
    for x in list(uf.parent):
        groups.setdefault(uf.find(x), []).append(x)
    members = [sorted(g) for g in groups.values() if len(g) > 1]
    ids = [json.loads(line)["id"] for line in open(corpus, encoding="utf-8")]
    for g in members:
        for i in range(len(g)):
            for j in range(i + 1, len(g)):
                pairs.add((g[i], g[j]))
else:
    ids = []
    def texts():  # streamed: only the ids and the sketches are kept, never all shingles at once
        with open(corpus, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line); ids.append(r["id"]); yield r["text"]
    WORD = re.compile(r"\w+")
    def shingles(t):
        toks = WORD.findall(t.lower())
        return [" ".join(toks[i:i + 5]) for i in range(len(toks) - 4)]
    if tool == "datasketch":
        from datasketch import MinHash, MinHashLSH
        lsh = MinHashLSH(num_perm=NP, params=tuple(cfg["params"])) if "params" in cfg else MinHashLSH(threshold=cfg["threshold"], num_perm=NP)
        ms = []
        for i, t in enumerate(texts()):
            m = MinHash(num_perm=NP); m.update_batch([s.encode("utf-8") for s in shingles(t)])
            ms.append(m); lsh.insert(i, m)
        for i, m in enumerate(ms):
            for j in lsh.query(m):
                if j != i: pairs.add((min(i, j), max(i, j)))
    elif tool == "rensa":
        from rensa import RMinHash, RMinHashLSH
        ms = RMinHash.from_token_sets((shingles(t) for t in texts()), num_perm=NP, seed=42)
        lsh = RMinHashLSH(threshold=cfg["threshold"], num_perm=NP, num_bands=cfg["bands"])
        for i, m in enumerate(ms):
            lsh.insert(i, m)
        for i, m in enumerate(ms):
            for j in lsh.query(m):
                if j != i: pairs.add((min(i, j), max(i, j)))
        if cfg.get("verify"):
            pairs = {(i, j) for i, j in pairs if ms[i].jaccard(ms[j]) >= cfg["threshold"]}
elapsed = time.perf_counter() - t0
with open(out, "w") as f:
    if cfg.get("count_only"):  # speed runs: the pairs stay in memory, only their number is written
        json.dump({"seconds": elapsed, "n_pairs": len(pairs), "n_docs": len(ids)}, f)
    else:
        json.dump({"seconds": elapsed, "pairs": [[ids[i], ids[j]] for i, j in sorted(pairs)]}, f)
'''

RETOLD_RUNNER = r'''
import json, sys, time
import retold
corpus, out, workers, align = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
launch = float(sys.argv[5])  # the parent's time.time() just before starting this process
t0 = time.perf_counter()
res = retold.scan([corpus], workers=workers, align=align)
elapsed = time.perf_counter() - t0
scan_process_seconds = time.time() - launch
with open(out, "w") as f:
    json.dump({"seconds": elapsed, "scan_process_seconds": scan_process_seconds,
               "pairs": [[p.a, p.b, p.relation] for p in res.pairs]}, f)
'''

RETOLD_NEWS_RUNNER = r'''
import json, sys, time
import retold
corpus, out, workers, align = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
launch = float(sys.argv[5])  # the parent's time.time() just before starting this process
t0 = time.perf_counter()
res = retold.scan([corpus], workers=workers, align=align)
elapsed = time.perf_counter() - t0
scan_process_seconds = time.time() - launch
t1 = time.perf_counter()
kept = retold.dedup([corpus], workers=workers).kept
with open(out, "w") as f:
    json.dump({"seconds": elapsed, "scan_process_seconds": scan_process_seconds,
               "dedup_seconds": time.perf_counter() - t1,
               "pairs": [[p.a, p.b, p.relation] for p in res.pairs],
               "clusters": [list(c.members) for c in res.clusters], "kept": list(kept)}, f)
'''


# rensa's sketch + LSH as issue 12 measures it (``bench/speed.py``, ``bench/copyright.py``): read the
# JSONL, ``re`` tokenise, word 5-grams, RMinHash(128), RMinHashLSH with retold's bands (32 x 4),
# every candidate pair (no verification). Also the "@ retold's LSH" row of the table below.
RENSA_SKETCH_LSH: dict[str, Any] = {"threshold": 0.42, "bands": 32}


def run_peer(tool: str, cfg: dict[str, Any], corpus_path: Path, *,
             timeout: float | None = 3600) -> tuple[dict[str, Any], float, float]:
    """Run one peer on ``corpus_path`` in ``bench/.venv-peers``, its own process: (what it wrote
    (``seconds`` timed inside, ``pairs`` or with ``count_only`` ``n_pairs``), process wall seconds,
    peak RSS MB of its process tree). ``TimeoutError`` after ``timeout`` seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "pairs.json"
        cmd = [str(PEERS_PY), "-c", PEER_RUNNER, tool, str(corpus_path), str(out), json.dumps(cfg)]
        _, wall, peak = run_measured(cmd, timeout=timeout)
        return json.loads(out.read_text()), wall, peak


def rensa_sketch_lsh(corpus_path: Path, *, timeout: float | None = 3600) -> dict[str, Any]:
    """rensa's sketch + LSH alone on ``corpus_path`` (:data:`RENSA_SKETCH_LSH`), one process, reading
    the file included; the candidate pairs are counted, not written. ``seconds`` is the process's
    wall time (start-up and import included, as for a ``retold scan`` process), ``inner_seconds``
    the runner's own timer (reading to the last pair)."""
    res, wall, peak = run_peer("rensa", dict(RENSA_SKETCH_LSH, count_only=True), corpus_path, timeout=timeout)
    return {"seconds": wall, "inner_seconds": res["seconds"], "peak_rss_mb": peak, "pairs": res["n_pairs"],
            "docs": res["n_docs"]}


def configs(workers: int) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(row label, settings, tool, runner config)."""
    lsh = {"params": [32, 4]}
    return [
        ("retold", f"defaults, align=False, workers={workers}", "retold", {"workers": workers}),
        ("retold", f"defaults, all stages (passages aligned), workers={workers}", "retold",
         {"workers": workers, "align": True}),
        ("datasketch", "default: MinHashLSH threshold 0.9", "datasketch", {"threshold": 0.9}),
        ("datasketch", "@ retold's LSH: 32 bands x 4 rows", "datasketch", lsh),
        ("rensa", "default: threshold 0.8, 16 bands, verified", "rensa", {"threshold": 0.8, "bands": 16, "verify": True}),
        ("rensa", "@ retold's LSH: 32 bands x 4 rows", "rensa", dict(RENSA_SKETCH_LSH)),
        ("text-dedup", "default: num_perm 250, threshold 0.7", "text-dedup", {"num_proc": workers}),
        ("text-dedup", "@ retold's LSH: 128 perm, 32 x 4", "text-dedup",
         {"num_proc": workers, "args": ["--num_perm", "128", "--b", "32", "--r", "4"]}),
    ]


def run_tool(tool: str, cfg: dict[str, Any], corpus_path: Path, truth_path: Path,
             news: bool = False) -> dict[str, Any]:
    if tool == "retold":
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "pairs.json"
            cmd = [str(PROJECT_PY), "-c", RETOLD_NEWS_RUNNER if news else RETOLD_RUNNER, str(corpus_path), str(out),
                   str(cfg["workers"]), "1" if cfg.get("align") else "0", repr(time.time())]
            _, wall, peak = run_measured(cmd, timeout=3600)
            res = json.loads(out.read_text())
    else:
        res, wall, peak = run_peer(tool, cfg, corpus_path)
    pairs = [tuple(p) for p in res["pairs"]]
    rep = _quality.evaluate(pairs, truth_path)
    row = {"seconds": res["seconds"], "process_seconds": wall, "peak_rss_mb": peak, "pairs": len(pairs),
           "precision": rep["precision"], "recall": rep["recall"], "f1": rep["f1"]}
    if "scan_process_seconds" in res:  # retold: launch to the end of retold.scan, what the ratio divides
        row["scan_process_seconds"] = res["scan_process_seconds"]
    if news:
        truth = _quality._news_truth(truth_path)
        families = res["clusters"] if "clusters" in res else _quality.components(pairs)
        kept = res["kept"] if "kept" in res else _quality.keep_smallest(sorted(truth.story_of), families)
        row.update(version_precision=rep["version_pairs"]["precision"],
                   families=_quality.evaluate_families(families, truth_path),
                   dedup=_quality.evaluate_dedup(kept, truth_path))
        if "dedup_seconds" in res:
            row["dedup_seconds"] = res["dedup_seconds"]
    return row


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def rensa_ratio(row: dict[str, Any], rensa: dict[str, Any] | None) -> float | None:
    """rensa sketch+LSH process seconds / a retold row's process seconds to the end of its scan
    (>= 1: retold is faster); None for peers, errors, or without a rensa measure."""
    if rensa is None or "seconds" not in rensa or "scan_process_seconds" not in row:
        return None
    return rensa["seconds"] / row["scan_process_seconds"]


def _ratio_cell(row: dict[str, Any], rensa: dict[str, Any] | None) -> str:
    x = rensa_ratio(row, rensa)
    return "-" if x is None else _ratio(x)


def targets_report(rows: list[dict[str, Any]], rensa: dict[str, Any] | None, workers: int) -> str:
    """What rensa's sketch+LSH measured, and issue 12's speed targets (``speed.NEWS_TARGETS``) met or not."""
    if rensa is None:
        return "rensa sketch+LSH not measured (retold not among --tools): no ratio, targets not checked."
    if "seconds" not in rensa:
        return f"rensa sketch+LSH failed ({rensa.get('error', '?')}): no ratio, targets not checked."
    lines = [f"rensa sketch+LSH (peers.rensa_sketch_lsh: 128 perm, 32 bands x 4 rows, every candidate, "
             f"counted): {rensa['seconds']:.2f} s process wall ({rensa['inner_seconds']:.2f} s by its own timer), "
             f"{rensa['pairs']:,} candidate pairs, peak RSS {rensa['peak_rss_mb']:.0f} MB.",
             "ratio = that / retold's process seconds from launch to the end of retold.scan "
             "(start-up and import included, writing pairs and dedup not):"]
    for mode, align, name in (("no-align", False, "retold align=False (scan --no-align)"),
                              ("full", True, "retold all stages (passages)")):
        row = next((r for r in rows if r["tool"] == "retold" and r.get("align") == align), None)
        target = NEWS_TARGETS[mode]
        x = None if row is None else rensa_ratio(row, rensa)
        if x is None:
            verdict = "not measured" + (f" ({row['error']})" if row and "error" in row else "")
        elif workers != 1:
            verdict = f"{_ratio(x)} at {workers} workers; the target is for 1 worker: not checked"
        else:
            verdict = f"{row['scan_process_seconds']:.2f} s, {_ratio(x)}: " + ("met" if x >= target else "NOT met")
        lines.append(f"  {name}, target >= {target:.1f}x: {verdict}")
    return "\n".join(lines)


def news_table(rows: list[dict[str, Any]], rensa: dict[str, Any] | None = None) -> str:
    table = []
    for r in rows:
        if "error" in r:
            table.append([r["tool"], r["settings"], "error: " + r["error"]] + [""] * 12)
            continue
        fam, dd = r["families"], r["dedup"]
        table.append([r["tool"], r["settings"], f"{r['seconds']:.1f}", _ratio_cell(r, rensa), r["pairs"],
                      _f(r["recall"]),
                      _f(r["version_precision"]), fam["families"], f"{fam['ari']:.4f}",
                      f"{fam['bcubed']['precision']:.4f}", f"{fam['bcubed']['recall']:.4f}", fam["impure_families"],
                      fam["max_stories"], dd["stories_lost"], f"{dd['kept_per_story']:.3f}"])
    return fmt_table(["tool", "settings", "seconds", "ratio vs rensa sketch+LSH", "pairs", "pair recall",
                      "version precision", "families", "ARI", "B3 precision", "B3 recall", "impure", "max stories",
                      "stories lost", "kept/story"], table)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="retold vs datasketch, rensa, text-dedup on the bench corpus")
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--tools", nargs="+", default=["retold", "datasketch", "rensa", "text-dedup"])
    ap.add_argument("--news", action="store_true", help="the news corpus: families and dedup vs stories")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    ok = ensure_peers_venv()
    if args.news:
        corpus_path, truth_path = _corpus.generate_news(args.docs, _corpus.default_news_dir(args.docs, args.seed),
                                                        args.seed)
    else:
        corpus_path, truth_path = _corpus.generate(args.docs, _corpus.default_dir(args.docs, args.seed), args.seed)
    mb = corpus_path.stat().st_size / 1e6
    rensa: dict[str, Any] | None = None  # rensa's sketch + LSH, the ratio's numerator
    if "retold" in args.tools:
        if not ok.get("rensa", False):
            rensa = {"error": f"rensa does not import in {PEERS_VENV}"}
        else:
            try:
                rensa = rensa_sketch_lsh(corpus_path)
                print(f"  rensa sketch+LSH: {rensa['seconds']:.1f}s", file=sys.stderr, flush=True)
            except Exception as e:  # no ratio, the rest still runs
                rensa = {"error": str(e).splitlines()[0][:200]}
    rows: list[dict[str, Any]] = []
    for label, settings, tool, cfg in configs(args.workers):
        if tool not in args.tools:
            continue
        if tool != "retold" and not ok.get(tool.replace("-", "_"), False):
            rows.append({"tool": label, "settings": settings, "error": f"{tool} does not import in {PEERS_VENV}"})
            continue
        try:
            r = run_tool(tool, cfg, corpus_path, truth_path, news=args.news)
        except Exception as e:  # report and go on with the others
            r = {"error": str(e).splitlines()[0][:200]}
        r.update(tool=label, settings=settings)
        if tool == "retold":
            r["align"] = bool(cfg.get("align"))
            if (x := rensa_ratio(r, rensa)) is not None:
                r["ratio_vs_rensa_sketch_lsh"] = x
        rows.append(r)
        print(f"  {label} ({settings}): {r.get('seconds', float('nan')):.1f}s", file=sys.stderr, flush=True)
    if args.news:
        print(f"\n{args.docs:,} news documents ({mb:.1f} MB), {time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs; "
              "families and dedup vs stories:\n")
        print(news_table(rows, rensa))
        print("\n" + targets_report(rows, rensa, args.workers))
        if args.json:
            args.json.write_text(json.dumps({"docs": args.docs, "mb": mb, "news": True, "rows": rows,
                                             "rensa_sketch_lsh": rensa}, indent=1) + "\n")
        return 0
    base = next((r for r in rows if r["tool"] == "retold" and "seconds" in r), None)
    full = next((r for r in rows if r["tool"] == "retold" and "aligned" in r["settings"] and "seconds" in r), None)
    table = []
    for r in rows:
        if "error" in r:
            table.append([r["tool"], r["settings"], "error: " + r["error"]] + [""] * 9)
            continue
        dps = args.docs / r["seconds"]
        ratio = f"{r['seconds'] / base['seconds']:.1f}x" if base else "-"
        ratio_full = f"{r['seconds'] / full['seconds']:.1f}x" if full else "-"
        table.append([r["tool"], r["settings"], f"{dps:,.0f}", f"{mb / r['seconds']:.2f}", f"{r['peak_rss_mb']:.0f}",
                      r["pairs"], f"{r['precision']:.3f}" if r["precision"] is not None else "-",
                      f"{r['recall']:.3f}" if r["recall"] is not None else "-", ratio, ratio_full,
                      _ratio_cell(r, rensa)])
    print(f"\n{args.docs:,} documents ({mb:.1f} MB), {time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs; "
          "time includes reading the JSONL:\n")
    print(fmt_table(["tool", "settings", "docs/s", "MB/s", "peak RSS MB", "pairs", "precision", "recall",
                     "retold (no align) is ... faster", "retold (all stages) is ... faster",
                     "ratio vs rensa sketch+LSH"], table))
    print("\n" + targets_report(rows, rensa, args.workers))
    if args.json:
        args.json.write_text(json.dumps({"docs": args.docs, "mb": mb, "rows": rows, "rensa_sketch_lsh": rensa},
                                        indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
