"""Load on `retold serve`: concurrent query clients on loopback while `retold index add` runs.

    python bench/serve_load.py                      # 100,000 news documents, 8 clients, 60 s
    python bench/serve_load.py --docs 20000 --clients 4 --seconds 30

1. The news corpus of ``--docs`` documents (``bench/corpus.py --news``; generated if
   missing) is split: all but the last ``--add`` documents go into an index (built once,
   kept beside the corpus as ``serve.retold``); the last ``--add`` are held out.
2. ``retold serve --processes P`` (default 2: one per core) starts on a free 127.0.0.1
   port (a subprocess, as a user runs it).
3. ``--clients`` threads POST /api/query (limit 10, passages aligned) with texts drawn from
   the corpus, for ``--seconds``; meanwhile ``retold index add`` adds the held-out
   documents to the same index under fresh ids (a new add every run).
4. Prints latency percentiles (all queries, and those made while the add was running),
   throughput, errors (any answer but 200, or a failed request) and the add's outcome.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
RETOLD = [PY, "-c", "import sys; from retold.cli import main; sys.exit(main())"]
SERVE = [PY, "-c", "import sys; from retold.cli.serve import serve; sys.exit(serve())"]


def corpus(docs: int, seed: int) -> Path:
    path = HERE / "data" / f"news-{docs}-s{seed}" / "corpus.jsonl"
    if not path.exists():
        subprocess.run([PY, str(HERE / "corpus.py"), "--news", "--docs", str(docs), "--seed", str(seed)], check=True)
    return path


def split(path: Path, hold: int) -> tuple[Path, Path, list[str]]:
    """base.jsonl (all but the last ``hold`` records), held.jsonl (those), and some texts."""
    base, held = path.with_name("serve-base.jsonl"), path.with_name("serve-held.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines()
    if not base.exists():
        base.write_text("\n".join(lines[:-hold]) + "\n", encoding="utf-8")
    held.write_text("\n".join(lines[-hold:]) + "\n", encoding="utf-8")
    rng = random.Random(0)
    texts = [json.loads(line)["text"] for line in rng.sample(lines, min(2000, len(lines)))]
    return base, held, texts


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=100_000, help="documents in the corpus")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--add", type=int, default=2000, help="documents held out and added during the load")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--processes", type=int, default=2, help="retold serve --processes (server processes)")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--batch-size", type=int, default=500, help="batch size of the concurrent index add")
    args = ap.parse_args()

    path = corpus(args.docs, args.seed)
    base, held, texts = split(path, args.add)
    db = path.with_name("serve.retold")
    if not db.exists():
        t0 = time.perf_counter()
        subprocess.run([*RETOLD, "index", "add", str(base), "--db", str(db), "--quiet"], check=True)
        print(f"built {db} from {args.docs - args.add} documents in {time.perf_counter() - t0:.1f} s", flush=True)
    # fresh ids for this run's add, so that it writes (re-adding the same ids changes nothing)
    run = f"run{int(time.time())}"
    fresh = held.with_name(f"serve-held-{run}.jsonl")
    with held.open(encoding="utf-8") as src, fresh.open("w", encoding="utf-8") as dst:
        for line in src:
            rec = json.loads(line)
            rec["id"] = f"{rec['id']}-{run}"
            dst.write(json.dumps(rec) + "\n")

    server = subprocess.Popen([*SERVE, "--db", str(db), "--port", "0", "--processes", str(args.processes)],
                              stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline() if server.stdout else ""
        if not line.startswith("retold serve: http://"):
            raise SystemExit(f"the server did not start: {line!r}")
        url = line.split()[2].rstrip("/")
        with httpx.Client(base_url=url, timeout=300) as c:  # warm: first connection, caches
            c.post("/api/query", json={"text": texts[0]})
        print(f"serving {db} at {url}; {args.clients} clients for {args.seconds:.0f} s, "
              f"adding {args.add} documents meanwhile", flush=True)

        latencies: list[tuple[float, float, int]] = []  # (start, seconds, status)
        errors: list[str] = []
        lock = threading.Lock()
        start = time.perf_counter()
        deadline = start + args.seconds

        def client(k: int) -> None:
            rng = random.Random(k)
            with httpx.Client(base_url=url, timeout=300, headers={"Origin": url}) as c:
                while time.perf_counter() < deadline:
                    text = rng.choice(texts)
                    t0 = time.perf_counter()
                    try:
                        r = c.post("/api/query", json={"text": text, "limit": 10})
                        status = r.status_code
                        if status != 200:
                            with lock:
                                errors.append(f"{status}: {r.text[:200]}")
                    except httpx.HTTPError as exc:
                        status = 0
                        with lock:
                            errors.append(f"{type(exc).__name__}: {exc}")
                    with lock:
                        latencies.append((t0 - start, time.perf_counter() - t0, status))

        threads = [threading.Thread(target=client, args=(k,)) for k in range(args.clients)]
        for t in threads:
            t.start()
        add_t0 = time.perf_counter()
        adder = subprocess.Popen([*RETOLD, "index", "add", str(fresh), "--db", str(db), "--quiet",
                                  "--batch-size", str(args.batch_size), "--workers", "1"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        add_end: list[float] = []

        def wait_add() -> None:
            adder.wait()
            add_end.append(time.perf_counter() - start)

        watcher = threading.Thread(target=wait_add)
        watcher.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        watcher.join()
        add_out = adder.communicate()
        add_s = time.perf_counter() - add_t0 if not add_end else add_end[0] - (add_t0 - start)

        ok = [s for _, s, st in latencies if st == 200]
        during = [s for t0, s, st in latencies if st == 200 and add_end and t0 < add_end[0]]
        print(f"queries: {len(latencies)} in {elapsed:.1f} s = {len(latencies) / elapsed:.1f}/s; "
              f"errors {len(errors)}")
        print(f"latency ms (all):        p50 {1e3 * percentile(ok, .5):.0f}  p90 {1e3 * percentile(ok, .9):.0f}  "
              f"p99 {1e3 * percentile(ok, .99):.0f}  max {1e3 * max(ok, default=float('nan')):.0f}")
        print(f"latency ms (during add): p50 {1e3 * percentile(during, .5):.0f}  "
              f"p99 {1e3 * percentile(during, .99):.0f}  ({len(during)} queries)")
        print(f"index add of {args.add} documents: exit {adder.returncode} in {add_s:.1f} s"
              f"{' (still ran after the load ended)' if add_end and add_end[0] > elapsed else ''}")
        if adder.returncode:
            print(add_out[1][-2000:])
        for e in errors[:5]:
            print("error:", e)
    finally:
        server.terminate()
        server.wait()
        fresh.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
