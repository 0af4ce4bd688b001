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
3. **End-to-end** ``retold.scan`` on the bench corpora, ``--workers`` 1 and 2, each run in
   its own process: docs/s, MB/s, per-stage timings, peak RSS of the process tree.

Best of ``--reps`` for the sketch timings (the machine is shared); scans run once unless
``--scan-reps``.
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


def run_measured(cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
                 timeout: float | None = None) -> tuple[str, float, float]:
    """Run ``cmd``; return (stdout, wall seconds, peak RSS in MB of its whole process tree)."""
    import psutil

    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, env=env, cwd=cwd)
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
                proc.kill()
                raise TimeoutError(" ".join(cmd))
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        wall = time.perf_counter() - t0
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


# -- 3. end-to-end scan ----------------------------------------------------------------------

SCAN = r'''
import json, sys, time
import retold
path, workers, align = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
t0 = time.perf_counter()
res = retold.scan([path], workers=workers, align=align)
wall = time.perf_counter() - t0
print(json.dumps({"seconds": wall, "docs": len(res.documents), "pairs": len(res.pairs),
                  "timings": res.timings}))
'''


def bench_scan(n_docs: int, workers: int, align: bool, reps: int) -> dict[str, Any]:
    corpus_path, _ = _corpus.generate(n_docs, _corpus.default_dir(n_docs))
    mb = corpus_path.stat().st_size / 1e6
    best: dict[str, Any] | None = None
    for _ in range(reps):
        out, wall, peak = run_measured([str(PROJECT_PY), "-c", SCAN, str(corpus_path), str(workers),
                                        "1" if align else "0"])
        r = json.loads(out)
        r.update(process_seconds=wall, peak_rss_mb=peak)
        if best is None or r["seconds"] < best["seconds"]:
            best = r
    assert best is not None
    best.update(n=n_docs, workers=workers, align=align, mb=mb, docs_per_s=n_docs / best["seconds"],
                mb_per_s=mb / best["seconds"])
    return best


def scan_table(rows: list[dict[str, Any]]) -> str:
    stages = ["read_sketch", "candidates", "verify", "align", "cluster"]
    out = []
    for r in rows:
        t = r["timings"]
        out.append([f"{r['n']:,}", r["workers"], "yes" if r["align"] else "no", f"{r['seconds']:.1f}",
                    f"{r['docs_per_s']:,.0f}", f"{r['mb_per_s']:.1f}", f"{r['peak_rss_mb']:.0f}",
                    r["pairs"]] + [f"{t[s]:.2f}" if s in t else "-" for s in stages])
    return fmt_table(["docs", "workers", "align", "seconds", "docs/s", "MB/s", "peak RSS MB", "pairs"]
                     + [f"{s} s" for s in stages], out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, nargs="+", default=[10_000], help="corpus sizes for the scan runs")
    ap.add_argument("--sketch-docs", type=int, default=10_000, help="documents for the sketch comparison")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--reps", type=int, default=3, help="sketch timings: best of this many")
    ap.add_argument("--scan-reps", type=int, default=1)
    ap.add_argument("--no-align", action="store_true", help="scan without passage alignment")
    ap.add_argument("--no-sketch", action="store_true")
    ap.add_argument("--no-accuracy", action="store_true")
    ap.add_argument("--no-scan", action="store_true")
    ap.add_argument("--json", type=Path, default=None, help="also write the raw numbers here")
    args = ap.parse_args(argv)
    report: dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count()}
    sk_corpus, sk_truth = _corpus.generate(args.sketch_docs, _corpus.default_dir(args.sketch_docs))
    if not args.no_sketch:
        report["sketch"] = bench_sketch(load_texts(sk_corpus), args.reps)
        print(sketch_table(report["sketch"]), end="\n\n", flush=True)
    if not args.no_accuracy:
        report["accuracy"] = bench_accuracy(sk_corpus, sk_truth)
        print("Estimated vs exact Jaccard of the shingle sets, 128 slots:\n")
        print(accuracy_table(report["accuracy"]), end="\n\n", flush=True)
    if not args.no_scan:
        rows = []
        for n in args.docs:
            for w in args.workers:
                rows.append(bench_scan(n, w, not args.no_align, args.scan_reps))
                print(f"  scan {n:,} docs, {w} worker(s): {rows[-1]['seconds']:.1f}s", file=sys.stderr, flush=True)
        report["scan"] = rows
        print("End-to-end retold.scan (reading JSONL included), one process per run:\n")
        print(scan_table(rows), flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
