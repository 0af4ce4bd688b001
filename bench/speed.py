"""Sketching throughput vs rensa and datasketch, MinHash estimation error, and end-to-end scan speed.

    .venv/bin/python bench/speed.py --docs 10000 100000            # everything
    .venv/bin/python bench/speed.py --docs 10000 --no-scan          # sketching + accuracy only
    .venv/bin/python bench/speed.py --docs 10000 --json out.json    # + raw numbers

1. **Sketching, one core, same documents** (the first ``--sketch-docs`` of the bench corpus):
   retold's :func:`retold.core.sketch.sketch_texts` (normalise + tokenise + shingle + sketch, in
   batches of 512 as the pipeline does) against rensa ``RMinHash`` and datasketch
   ``MinHash``, 128 permutations, word 5-grams. The peers run in ``bench/.venv-peers``
   (made by ``bench/peers.py``) as a subprocess that times itself, fed either the shingle
   strings built from retold's normalised tokens (same shingles; building them is not
   timed) or their usual tokenising (``re.findall(r"\\w+", text.lower())``, timed).
2. **Estimation error** of retold's signatures (fast similarity sketching) against classic MinHash (the
   same 128 slots) on every positive pair of the bench truth, and on synthetic small sets.
3. **End to end, against rensa, same file** (issue 12): for each ``--docs`` size (``--news``: the
   news corpus), one process at a time: rensa's sketch + LSH alone (``peers.rensa_sketch_lsh``:
   read the JSONL, ``re`` tokenise ``\\w+`` lowercased, word 5-grams, ``RMinHash(128)``,
   ``RMinHashLSH`` 32 bands, every candidate pair), then ``retold scan <corpus> --out <tmp>
   --workers W -q --force`` with ``--no-align`` and at its defaults (passages), for each
   ``--workers`` (retold's modules byte-compiled first, as an installed package has them). Process wall seconds (start-up and reading included), docs/s, peak RSS of the
   process tree, ratio = rensa's seconds / retold's (>= 1: retold is faster) with issue 12's
   targets (``--no-align`` >= 1.0, defaults >= 0.5, one worker), the memory target (peak <=
   1.5x the input + 100 MB), and retold's own stage timings from its ``summary.json``.

        .venv/bin/python bench/speed.py --news --docs 12000 100000 --workers 1 2 --no-sketch --no-accuracy

Best of ``--reps`` for the sketch timings (the machine is shared); scans run once unless
``--scan-reps``; a run over ``--timeout`` seconds is stopped and shown as "> timeout".
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
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import corpus as _corpus  # noqa: E402

PEERS_PY = HERE / ".venv-peers" / "bin" / "python"
PROJECT_PY = Path(sys.executable)
NUM_PERM = 128
NGRAM = 5
BATCH = 512


# -- helpers shared with peers.py -----------------------------------------------------------


class MeasuredTimeout(TimeoutError):
    """A :func:`run_measured` command stopped at its timeout; ``peak_mb``: its peak RSS until then."""

    def __init__(self, msg: str, peak_mb: float):
        super().__init__(msg)
        self.peak_mb = peak_mb


def run_measured(cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
                 timeout: float | None = None) -> tuple[str, float, float]:
    """Run ``cmd``; return (stdout, wall seconds, peak RSS in MB of its whole process tree).

    RSS is sampled every 50 ms and summed over the process and its children (MB = 2**20 bytes).
    After ``timeout`` seconds the whole tree is killed and ``TimeoutError`` raised."""
    import psutil

    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as errf:
        proc = subprocess.Popen(cmd, stdout=out, stderr=errf, env=env, cwd=cwd)
        ps = psutil.Process(proc.pid)
        peak = 0
        while proc.poll() is None:
            try:
                rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
                peak = max(peak, rss)
            except psutil.Error:
                pass
            time.sleep(0.05)
            if timeout and time.perf_counter() - t0 > timeout:
                try:
                    kids = ps.children(recursive=True)
                except psutil.Error:
                    kids = []
                for p in [ps, *kids]:
                    try:
                        p.kill()
                    except psutil.Error:
                        pass
                proc.wait()
                raise MeasuredTimeout(f"{' '.join(cmd[:3])}: over {timeout:g} s", peak / 2**20)
        wall = time.perf_counter() - t0
        errf.seek(0)
        err = errf.read().decode(errors="replace")
        out.seek(0)
        text = out.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed ({proc.returncode}):\n{err[-3000:]}")
    return text, wall, peak / 2**20


def load_texts(corpus_path: Path, n: int | None = None) -> list[str]:
    texts = []
    with open(corpus_path, encoding="utf-8") as f:
        for line in f:
            texts.append(json.loads(line)["text"])
            if n is not None and len(texts) >= n:
                break
    return texts


def fmt_table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(cells[0], widths)) + " |",
             "| " + " | ".join("-" * w for w in widths) + " |"]
    for r in cells[1:]:
        lines.append("| " + " | ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))) + " |")
    return "\n".join(lines)


def rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- 1. sketching ----------------------------------------------------------------------------

PEER_SKETCH = r'''
import json, re, sys, time, resource
texts_path, shingles_path, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
texts = [json.loads(l) for l in open(texts_path, encoding="utf-8")]
given = [json.loads(l) for l in open(shingles_path, encoding="utf-8")]
WORD = re.compile(r"\w+")
NP, K = %(num_perm)d, %(ngram)d

def shingles_re(text):
    toks = WORD.findall(text.lower())
    return [" ".join(toks[i:i + K]) for i in range(len(toks) - K + 1)]

def best(fn):
    b = 1e30
    for _ in range(reps):
        t = time.perf_counter(); fn(); b = min(b, time.perf_counter() - t)
    return b

out = {}
from rensa import RMinHash
def rensa_doc(sets):
    for s in sets:
        m = RMinHash(num_perm=NP, seed=42); m.update(s); m.digest()
def rensa_batch(sets):
    RMinHash.digest_matrix_from_token_sets(sets, num_perm=NP, seed=42)
out["rensa RMinHash, per document|given"] = best(lambda: rensa_doc(given))
out["rensa RMinHash, batch API|given"] = best(lambda: rensa_batch(given))
out["rensa RMinHash, per document|re"] = best(lambda: rensa_doc([shingles_re(t) for t in texts]))
out["rensa RMinHash, batch API|re"] = best(lambda: rensa_batch([shingles_re(t) for t in texts]))
from datasketch import MinHash
def ds(sets):
    for s in sets:
        m = MinHash(num_perm=NP); m.update_batch([x.encode("utf-8") for x in s]); m.digest()
out["datasketch MinHash|given"] = best(lambda: ds(given))
out["datasketch MinHash|re"] = best(lambda: ds([shingles_re(t) for t in texts]))
out["_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
''' % {"num_perm": NUM_PERM, "ngram": NGRAM}


def bench_sketch(texts: list[str], reps: int) -> dict[str, Any]:
    from retold.core import sketch as S
    from retold.config import MinHashConfig, ShingleConfig
    from retold.core.normalize import tokenize

    sc, mc = ShingleConfig(size=NGRAM), MinHashConfig(num_perm=NUM_PERM)
    n = len(texts)
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    S.sketch_texts(texts[:BATCH], sc, mc)  # warm up: character tables, power tables

    def run() -> None:
        for i in range(0, n, BATCH):
            S.sketch_texts(texts[i : i + BATCH], sc, mc)

    def run_tokenize() -> None:
        for t in texts:
            tokenize(t)

    before = (S.STATS.docs, S.STATS.unicode_docs, S.STATS.fallback_docs)
    times = {}
    for name, fn in (("retold sketch_texts", run), ("retold normalize.tokenize alone (regex)", run_tokenize)):
        best = 1e30
        for _ in range(reps):
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
        times[name] = best
    seen = S.STATS.docs - before[0]
    res: dict[str, Any] = {
        "docs": n, "mb": mb, "retold_rss_mb": rss_mb(),
        "unicode_docs_share": (S.STATS.unicode_docs - before[1]) / max(seen, 1),
        "fallback_docs_share": (S.STATS.fallback_docs - before[2]) / max(seen, 1),
        "rows": [],
    }
    rows = [{"tool": k, "input": "text", "seconds": v} for k, v in times.items()]
    if PEERS_PY.exists():
        with tempfile.TemporaryDirectory() as tmp:
            tp, sp = Path(tmp) / "texts.jsonl", Path(tmp) / "shingles.jsonl"
            with open(tp, "w", encoding="utf-8") as ft, open(sp, "w", encoding="utf-8") as fs:
                for t in texts:
                    ft.write(json.dumps(t) + "\n")
                    toks = tokenize(t)
                    fs.write(json.dumps([" ".join(toks[i : i + NGRAM]) for i in range(len(toks) - NGRAM + 1)]) + "\n")
            out, _, _ = run_measured([str(PEERS_PY), "-c", PEER_SKETCH, str(tp), str(sp), str(reps)])
        peer = json.loads(out)
        res["peers_rss_mb"] = peer.pop("_rss_mb")
        for key, sec in peer.items():
            tool, inp = key.split("|")
            rows.append({"tool": tool, "input": "retold's shingles (not timed)" if inp == "given"
                         else "text, re.findall(r'\\w+') tokenising", "seconds": sec})
    else:
        res["peers"] = f"no {PEERS_PY}: run bench/peers.py once to create it"
    ours = times["retold sketch_texts"]
    for r in rows:
        r["docs_per_s"] = n / r["seconds"]
        r["mb_per_s"] = mb / r["seconds"]
        r["retold_speedup"] = r["seconds"] / ours
    res["rows"] = rows
    return res


def sketch_table(res: dict[str, Any]) -> str:
    rows = [[r["tool"], r["input"], f"{r['docs_per_s']:,.0f}", f"{r['mb_per_s']:.1f}",
             f"{r['retold_speedup']:.2f}x"] for r in res["rows"]]
    head = (f"Sketching {res['docs']:,} documents ({res['mb']:.1f} MB), {NUM_PERM} permutations, word "
            f"{NGRAM}-grams, one core, best of the runs. retold: documents on the code-point path "
            f"{res['unicode_docs_share']:.1%} (the rest ASCII or ASCII after mapping separators/joiners), reference-path fallback {res['fallback_docs_share']:.2%}; "
            f"peak RSS retold process {res['retold_rss_mb']:.0f} MB"
            + (f", peers process {res['peers_rss_mb']:.0f} MB" if "peers_rss_mb" in res else "") + ".")
    return head + "\n\n" + fmt_table(["tool", "input", "docs/s", "MB/s", "retold is ... faster"], rows)


# -- 2. estimation error ---------------------------------------------------------------------


def bench_accuracy(corpus_path: Path, truth_path: Path) -> dict[str, Any]:
    import numpy as np

    from retold.core import sketch as S
    from retold.core import sketch_reference as R
    from retold.config import MinHashConfig, ShingleConfig

    rows = [json.loads(line) for line in open(corpus_path, encoding="utf-8")]
    index = {r["id"]: i for i, r in enumerate(rows)}
    truth = json.loads(Path(truth_path).read_text())
    sc, mc = ShingleConfig(), MinHashConfig()
    batch = S.sketch_texts([r["text"] for r in rows], sc, mc)
    needed = sorted({index[p[k]] for p in truth["pairs"] for k in ("a", "b")})
    classic = {i: R.classic_minhash(batch.shingles_of(i), mc) for i in needed}
    groups: dict[str, list[tuple[float, float, float]]] = {}
    for p in truth["pairs"]:
        a, b = index[p["a"]], index[p["b"]]
        sa, sb = batch.shingles_of(a), batch.shingles_of(b)
        if not len(sa) or not len(sb):
            continue
        inter = len(np.intersect1d(sa, sb, assume_unique=True))
        j = inter / (len(sa) + len(sb) - inter)
        e1 = float((batch.signatures[a] == batch.signatures[b]).mean())
        e2 = float((classic[a] == classic[b]).mean())
        for g in ("all pairs", p["type"]):
            groups.setdefault(g, []).append((j, e1, e2))
    # synthetic small sets (fewer shingles than slots: densification at work)
    rng = np.random.default_rng(0)
    for size in (16, 32, 64, 128):
        key = f"synthetic, {size} shingles"
        for _ in range(400):
            u = rng.integers(0, 2**63, size=2 * size, dtype=np.uint64)
            keep = int(rng.integers(size // 4, size + 1))
            a = np.unique(u[:size])
            b = np.unique(np.concatenate([u[:keep], u[size : 2 * size - keep]]))
            inter = len(np.intersect1d(a, b))
            j = inter / (len(a) + len(b) - inter)
            groups.setdefault(key, []).append((j, float((S.minhash(a, mc) == S.minhash(b, mc)).mean()),
                                               float((R.classic_minhash(a, mc) == R.classic_minhash(b, mc)).mean())))
    out = {}
    for g, v in groups.items():
        arr = np.asarray(v)
        err1, err2 = arr[:, 1] - arr[:, 0], arr[:, 2] - arr[:, 0]
        out[g] = {"pairs": len(arr), "mean_jaccard": float(arr[:, 0].mean()),
                  "rmse_oph": float(np.sqrt((err1**2).mean())), "rmse_classic": float(np.sqrt((err2**2).mean())),
                  "bias_oph": float(err1.mean()), "bias_classic": float(err2.mean())}
    return out


def accuracy_table(acc: dict[str, Any]) -> str:
    rows = [[g, v["pairs"], f"{v['mean_jaccard']:.3f}", f"{v['rmse_oph']:.4f}", f"{v['rmse_classic']:.4f}",
             f"{v['bias_oph']:+.4f}", f"{v['bias_classic']:+.4f}"] for g, v in acc.items()]
    return fmt_table(["pairs", "n", "mean Jaccard", "RMSE retold (FSS)", "RMSE classic", "bias retold",
                      "bias classic"], rows)


# -- 3. end-to-end: retold scan against rensa's sketch + LSH, same file ---------------------

STAGES_ORDER = ["read_sketch", "candidates", "verify", "words", "align", "cluster", "provenance", "total"]
MODES = {"no-align": "retold scan --no-align", "full": "retold scan (defaults)"}
RENSA = "rensa sketch+LSH"


def compile_retold() -> None:
    """Byte-compile retold's modules, as ``pip install`` does for an installed package: an
    editable install run with PYTHONDONTWRITEBYTECODE (set on this project's machines) would
    otherwise compile every module on each start (~0.1 s), which no installed peer pays."""
    import retold

    subprocess.run([str(PROJECT_PY), "-m", "compileall", "-q", str(Path(retold.__file__).parent)], check=True,
                   stdout=subprocess.DEVNULL)


def retold_cmd() -> list[str]:
    """The ``retold`` command of the project's venv (the console script next to this Python)."""
    exe = PROJECT_PY.parent / "retold"
    return [str(exe)] if exe.exists() else [str(PROJECT_PY), "-c", "from retold.cli import main; main()"]


def corpus_stats(corpus_path: Path) -> tuple[int, int]:
    """(records, bytes) of a JSONL file."""
    with open(corpus_path, "rb") as f:
        n = sum(1 for line in f if line.strip())
    return n, corpus_path.stat().st_size


def mem_limit_mb(input_bytes: int) -> float:
    """Issue 12's memory target for a scan: 1.5x the input's size + 100 MB (MB = 2**20 bytes, as RSS)."""
    return 1.5 * input_bytes / 2**20 + 100


def measure_rensa(corpus_path: Path, *, timeout: float | None = None, reps: int = 1) -> dict[str, Any]:
    """rensa's sketch + LSH alone (``peers.rensa_sketch_lsh``), best of ``reps`` processes."""
    from peers import rensa_sketch_lsh  # here, not at the top: peers imports this module

    best: dict[str, Any] | None = None
    for _ in range(reps):
        try:
            r = rensa_sketch_lsh(corpus_path, timeout=timeout)
        except MeasuredTimeout as e:
            return {"timeout": timeout, "peak_rss_mb_until_timeout": e.peak_mb}
        if best is None or r["seconds"] < best["seconds"]:
            best = r
    assert best is not None
    return best


def measure_retold(corpus_path: Path, workers: int, align: bool, *, timeout: float | None = None,
                   reps: int = 1) -> dict[str, Any]:
    """``retold scan <corpus> --out <tmp> --workers W [--no-align] -q --force`` in its own process,
    best of ``reps``: process wall seconds, peak RSS of the process tree, and from the result's
    summary.json the pairs and retold's own per-stage timings."""
    best: dict[str, Any] | None = None
    for _ in range(reps):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "result"
            cmd = retold_cmd() + ["scan", str(corpus_path), "--out", str(out), "--workers", str(workers),
                                  "-q", "--force"] + ([] if align else ["--no-align"])
            try:
                _, wall, peak = run_measured(cmd, timeout=timeout)
            except MeasuredTimeout as e:
                return {"timeout": timeout, "peak_rss_mb_until_timeout": e.peak_mb}
            summary = json.loads((out / "summary.json").read_text())
        r = {"seconds": wall, "peak_rss_mb": peak, "pairs": summary["counts"]["pairs"],
             "scanned_docs": summary["counts"]["documents"], "timings": summary.get("timings_s", {})}
        if best is None or r["seconds"] < best["seconds"]:
            best = r
    assert best is not None
    return best


def compare(corpus_path: Path, workers: list[int], *, modes: tuple[str, ...] = ("no-align", "full"),
            timeout: float | None = None, reps: int = 1, targets: dict[str, float] | None = None,
            label: str | None = None) -> list[dict[str, Any]]:
    """One row per run, on the same file, one process at a time: rensa's sketch + LSH, then
    ``retold scan`` for every workers x mode. ``ratio`` = rensa seconds / retold seconds (>= 1:
    retold is faster); ``target`` is the ratio wanted for that mode (``targets``)."""
    n_docs, n_bytes = corpus_stats(corpus_path)
    base = {"corpus": label or str(corpus_path), "docs": n_docs, "input_bytes": n_bytes, "mb": n_bytes / 1e6,
            "mem_limit_mb": mem_limit_mb(n_bytes)}
    rows = []
    compile_retold()
    r = measure_rensa(corpus_path, timeout=timeout, reps=reps)
    rows.append(dict(base, tool=RENSA, mode="rensa", workers=1, **r))
    _progress(rows[-1])
    rensa_s = r.get("seconds")
    for w in workers:
        for mode in modes:
            r = measure_retold(corpus_path, w, mode == "full", timeout=timeout, reps=reps)
            row = dict(base, tool=MODES[mode], mode=mode, workers=w, **r)
            if rensa_s is not None:
                # under a timeout the ratio is an upper bound
                row["ratio"] = rensa_s / (r["seconds"] if "seconds" in r else r["timeout"])
            if "peak_rss_mb" in r:
                row["mem_ok"] = r["peak_rss_mb"] <= base["mem_limit_mb"]
            elif r.get("peak_rss_mb_until_timeout", 0) > base["mem_limit_mb"]:
                row["mem_ok"] = False  # already over before it was stopped
            if targets and mode in targets:
                row["target"] = targets[mode]
                if "ratio" in row:
                    row["target_met"] = "seconds" in r and row["ratio"] >= targets[mode]
            rows.append(row)
            _progress(row)
    return rows


def _progress(row: dict[str, Any]) -> None:
    t = f"{row['seconds']:.1f}s" if "seconds" in row else f"> {row['timeout']:g}s (timeout)"
    print(f"  {row['docs']:,} docs, {row['tool']}, {row['workers']} worker(s): {t}", file=sys.stderr, flush=True)


def _ratio(x: float) -> str:
    return f"{x:.2f}x" if x >= 0.1 else f"{x:.2g}x"


def compare_table(rows: list[dict[str, Any]]) -> str:
    out = []
    for r in rows:
        done = "seconds" in r
        secs = f"{r['seconds']:.1f}" if done else f"> {r['timeout']:g}"
        dps = f"{r['docs'] / r['seconds']:,.0f}" if done else f"< {r['docs'] / r['timeout']:,.0f}"
        ratio = "-" if "ratio" not in r else (("" if done else "< ") + _ratio(r["ratio"]))
        target = "-"
        if "target" in r:
            target = f">= {r['target']:g}x: " + ("met" if r.get("target_met") else "NOT met")
        mem = "-"
        if r["mode"] != "rensa":
            mem = f"<= {r['mem_limit_mb']:.0f}: " + ("n/a" if "mem_ok" not in r else
                                                       "met" if r["mem_ok"] else "NOT met")
        peak = (f"{r['peak_rss_mb']:.0f}" if done else
                f">= {r['peak_rss_mb_until_timeout']:.0f}" if "peak_rss_mb_until_timeout" in r else "-")
        out.append([r["tool"], f"{r['docs']:,}", f"{r['mb']:.1f}", r["workers"], secs, dps, peak,
                    r.get("pairs", "-"), ratio, target, mem])
    return fmt_table(["tool / mode", "docs", "input MB", "workers", "seconds", "docs/s", "peak RSS MB", "pairs",
                      "ratio (rensa s / s)", "speed target", "memory target (1.5x input + 100 MB)"], out)


def stages_table(rows: list[dict[str, Any]]) -> str:
    """retold's own per-stage timings (summary.json ``timings_s``) of each scan."""
    rows = [r for r in rows if r["mode"] != "rensa" and "timings" in r]
    keys = [k for k in STAGES_ORDER if any(k in r["timings"] for r in rows)]
    keys += sorted({k for r in rows for k in r["timings"]} - set(keys))
    out = []
    for r in rows:
        t = r["timings"]
        out.append([r["tool"], f"{r['docs']:,}", r["workers"], f"{r['seconds']:.1f}", r["pairs"]]
                   + [f"{t[k]:.2f}" if k in t else "-" for k in keys])
    return fmt_table(["tool / mode", "docs", "workers", "process s", "pairs"] + [f"{k} s" for k in keys], out)


def print_comparison(rows: list[dict[str, Any]], title: str) -> None:
    print(f"{title}\n")
    print(compare_table(rows), end="\n\n")
    for r in rows:
        if r["mode"] == "rensa" and "inner_seconds" in r:
            print(f"rensa, {r['docs']:,} docs: {r['inner_seconds']:.2f} s by its own timer (reading to the last "
                  f"candidate pair), {r['seconds'] - r['inner_seconds']:.2f} s start-up, import and exit.")
    print()
    print("retold's stage timings (its summary.json; process s also counts start-up, import and writing):\n")
    print(stages_table(rows), flush=True)


def scan_corpus(n_docs: int, news: bool, seed: int = 0) -> Path:
    """The bench corpus (or the news corpus) of ``n_docs`` documents, generated once and cached."""
    if news:
        return _corpus.generate_news(n_docs, _corpus.default_news_dir(n_docs, seed), seed)[0]
    return _corpus.generate(n_docs, _corpus.default_dir(n_docs, seed), seed)[0]


# issue 12's targets: ratio of rensa's seconds to retold's, one core
NEWS_TARGETS = {"no-align": 1.0, "full": 0.5}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, nargs="+", default=[10_000], help="corpus sizes for the scan runs")
    ap.add_argument("--news", action="store_true", help="scan runs on the news corpus (bench/corpus.py --news)")
    ap.add_argument("--seed", type=int, default=0, help="corpus seed of the scan runs")
    ap.add_argument("--sketch-docs", type=int, default=10_000, help="documents for the sketch comparison")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--reps", type=int, default=3, help="sketch timings: best of this many")
    ap.add_argument("--scan-reps", type=int, default=1, help="scan and rensa runs: best of this many")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds before a scan or rensa run is stopped")
    ap.add_argument("--no-align", action="store_true", help="only the --no-align scans (no passages)")
    ap.add_argument("--no-sketch", action="store_true")
    ap.add_argument("--no-accuracy", action="store_true")
    ap.add_argument("--no-scan", action="store_true")
    ap.add_argument("--json", type=Path, default=None, help="also write the raw numbers here")
    args = ap.parse_args(argv)
    report: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(), "git_head": git_head()}
    if not (args.no_sketch and args.no_accuracy):
        sk_corpus, sk_truth = _corpus.generate(args.sketch_docs, _corpus.default_dir(args.sketch_docs))
    if not args.no_sketch:
        report["sketch"] = bench_sketch(load_texts(sk_corpus), args.reps)
        print(sketch_table(report["sketch"]), end="\n\n", flush=True)
    if not args.no_accuracy:
        report["accuracy"] = bench_accuracy(sk_corpus, sk_truth)
        print("Estimated vs exact Jaccard of the shingle sets, 128 slots:\n")
        print(accuracy_table(report["accuracy"]), end="\n\n", flush=True)
    if not args.no_scan:
        from peers import ensure_peers_venv

        if not ensure_peers_venv().get("rensa"):
            print(f"rensa does not import in {PEERS_PY}", file=sys.stderr)
            return 1
        modes = ("no-align",) if args.no_align else ("no-align", "full")
        rows = []
        for n in args.docs:
            path = scan_corpus(n, args.news, args.seed)
            rows += compare(path, args.workers, modes=modes, timeout=args.timeout, reps=args.scan_reps,
                            targets=NEWS_TARGETS, label=f"{'news' if args.news else 'bench'} {n}")
        report["scan"] = rows
        print_comparison(rows, f"End to end on the {'news' if args.news else 'bench'} corpus, one process per run, "
                               f"reading the JSONL included; {report['date']}, {report['cpus']} CPUs, "
                               f"git {report['git_head']}. ratio = rensa's seconds / retold's "
                               f"(>= 1: retold is faster); targets of issue 12 are for 1 worker:")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


def git_head() -> str:
    """The code measured: the commit (+ "-dirty" if src/ has uncommitted changes), or where
    ``retold`` is imported from when that is not this checkout's src/ (e.g. PYTHONPATH set to an
    exported copy of a commit)."""
    try:
        origin = subprocess.run([str(PROJECT_PY), "-c", "import retold; print(retold.__file__)"],
                                capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        origin = ""
    if origin and not Path(origin).resolve().is_relative_to(ROOT / "src"):
        return f"retold from {Path(origin).parent.parent}"
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=ROOT, capture_output=True,
                               text=True).stdout.strip()
        return head + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


if __name__ == "__main__":
    raise SystemExit(main())
