"""Benchmark of retold.core.align: PAN text-alignment measures, speed, and the seed pair.

Run:  .venv/bin/python bench/align.py [--cases 60] [--seed 7]

**Cases.** Real prose: paragraphs of the docstrings of Python's standard library (no
two sharing a word 5-gram, so "unrelated" really is unrelated). For every edit rate,
each case is a document pair: a passage of 1-3 consecutive paragraphs is embedded in
unrelated paragraphs in a, and, with word edits at that rate, in other unrelated
paragraphs in b. Each word is edited with probability ``rate``: substituted by a word
of the vocabulary, deleted, or followed by an inserted word (a third each). The known
case spans are the character ranges of the passage in a and of its edited copy in b.
Some cases embed two passages, in swapped order in b. Unrelated pairs (no case) are
aligned too: anything found there is a false positive.

**Measures** (Potthast et al., PAN 2013 text alignment). A case ``s`` and a detection
``r`` are each a pair of character ranges (source in a, reuse in b); ``|x|`` counts the
characters of both ranges. ``r`` detects ``s`` when they overlap on both sides, and then
``s ⊓ r`` is their intersection (else empty). Over all cases S and detections R of the
corpus (macro-averaged)::

    precision   = mean over r of |∪_s (s ⊓ r)| / |r|
    recall      = mean over s of |∪_r (s ⊓ r)| / |s|
    granularity = mean over detected s of the number of detections that detect it
    plagdet     = F1(precision, recall) / log2(1 + granularity)

**Speed.** Two 50,000-word documents: a copy with 5% word edits (many seeds), and an
unrelated pair (one made of the first half of the paragraphs, the other of the second
half, each repeated to length: noise seeds only, plus the stdlib's own few reused
sentences, found once per repetition); best of three runs, tokenisation included. The
word-level diff (retold.core.diff) of the same pairs is timed once, for reference.

**Seeds.** The two seed articles: the share of the shorter one (001) inside passages,
``sum(b_end - b_start) / len(text)``, and whether the extra paragraphs of 000 stay out.

**Regression check** (``--record FILE`` before changing align, ``--check FILE`` after):
the pairs that ``retold.scan(..., align=False)`` reports on ``--corpus`` (default the
10k-document bench corpus) are aligned; ``--record`` stores every pair's passages,
``--check`` asserts that align returns exactly those (and their mirror for the swapped
pair) and prints the time per pair (best of 3, in scan order).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import math
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from retold.core.align import AlignConfig, align
from retold.core.diff import diff
from retold.core.normalize import TOKEN_RE
from retold.core.sketch import shingle_set

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "examples" / "news"
RATES = (0.0, 0.05, 0.10, 0.15, 0.20, 0.30)
#: modules whose import has side effects (windows, sounds, browsers) or is slow
_SKIP_MODULES = {"antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo", "ensurepip",
                 "venv", "lib2to3", "pydoc_data"}

Span = tuple[int, int]


@dataclass(frozen=True)
class Case:
    """A known reused passage of one pair: its span in a and in b."""

    pair: int
    a: Span
    b: Span


@dataclass(frozen=True)
class Detection:
    pair: int
    a: Span
    b: Span


# -- real prose ---------------------------------------------------------------------------


def _docstrings(mod) -> list[str]:
    """Docstrings of a module and of its functions, classes and their methods, in order."""
    out = [inspect.getdoc(mod) or ""]
    for _, obj in sorted(vars(mod).items()):
        if inspect.isfunction(obj) or inspect.isclass(obj):
            out.append(inspect.getdoc(obj) or "")
            if inspect.isclass(obj) and obj.__module__ == mod.__name__:
                out += [inspect.getdoc(m) or "" for _, m in sorted(vars(obj).items()) if inspect.isfunction(m)]
    return out


def prose_paragraphs() -> list[str]:
    """Distinct paragraphs (>= 25 words, no shared word 5-gram) of the stdlib's docstrings."""
    seen: set[int] = set()
    paras: list[str] = []
    for name in sorted(sys.stdlib_module_names):
        if name.startswith("_") or name in _SKIP_MODULES:
            continue
        try:
            mod = importlib.import_module(name)
        except Exception:  # noqa: BLE001 - platform-specific modules
            continue
        for doc in _docstrings(mod):
            for para in re.split(r"\n\s*\n", doc):
                text = " ".join(para.split())
                if len(text.split()) < 25 or ">>>" in text:
                    continue
                shingles = set(shingle_set(text)[0].tolist())
                if not shingles & seen:
                    seen |= shingles
                    paras.append(text)
    return paras


def edit_words(text: str, rate: float, vocab: list[str], rng: random.Random) -> str:
    """Substitute, delete or insert-after each word with probability ``rate`` (a third each)."""
    out: list[str] = []
    for w in text.split(" "):
        r = rng.random()
        if r < rate / 3:
            out.append(rng.choice(vocab))
        elif r < 2 * rate / 3:
            continue
        elif r < rate:
            out += [w, rng.choice(vocab)]
        else:
            out.append(w)
    return " ".join(out) or text


def vocabulary(paras: list[str]) -> list[str]:
    """The words of the prose that are one token each (edits insert words, not code)."""
    return sorted({w for p in paras for w in p.split() if TOKEN_RE.fullmatch(w)})


class Pool:
    """Hands out paragraphs, never the same one twice within a pair."""

    def __init__(self, paras: list[str], rng: random.Random) -> None:
        self.paras, self.rng = paras, rng

    def draw(self, k: int, taken: set[int]) -> list[str]:
        """``k`` consecutive paragraphs not yet taken (marks them taken)."""
        while True:
            i = self.rng.randrange(len(self.paras) - k)
            if not taken & set(range(i, i + k)):
                taken.update(range(i, i + k))
                return self.paras[i: i + k]

    def background(self, words: int, taken: set[int]) -> list[str]:
        out: list[str] = []
        while sum(len(p.split()) for p in out) < words:
            out += self.draw(1, taken)
        return out


def _assemble(before: list[str], passages: list[str], after: list[str]) -> tuple[str, list[Span]]:
    """Join paragraphs with blank lines; return the text and each passage's span."""
    text, spans = "\n\n".join(before), []
    for p in passages:
        text += "\n\n" if text else ""
        spans.append((len(text), len(text) + len(p)))
        text += p
    if after:
        text += "\n\n" + "\n\n".join(after)
    return text, spans


def make_cases(paras: list[str], rate: float, n: int, seed: int) -> tuple[list[tuple[str, str]], list[Case]]:
    """``n`` pairs with known reuse at this edit rate, plus ``n // 4`` unrelated pairs."""
    rng = random.Random(seed)
    pool = Pool(paras, rng)
    vocab = vocabulary(paras)
    pairs: list[tuple[str, str]] = []
    cases: list[Case] = []
    for k in range(n + n // 4):
        taken: set[int] = set()
        if k >= n:  # unrelated pair
            pairs.append(("\n\n".join(pool.background(400, taken)), "\n\n".join(pool.background(400, taken))))
            continue
        sources = [" ".join(pool.draw(rng.randint(1, 3), taken)) for _ in range(1 + (k % 5 == 0))]
        copies = [edit_words(s, rate, vocab, rng) for s in sources]
        order = list(range(len(sources)))[:: -1 if len(sources) > 1 else 1]
        a, spans_a = _assemble(pool.background(rng.randint(50, 400), taken), sources,
                               pool.background(rng.randint(50, 400), taken))
        b, spans_b = _assemble(pool.background(rng.randint(50, 400), taken), [copies[i] for i in order],
                               pool.background(rng.randint(50, 400), taken))
        for j, i in enumerate(order):
            cases.append(Case(len(pairs), spans_a[i], spans_b[j]))
        pairs.append((a, b))
    return pairs, cases


# -- PAN measures -------------------------------------------------------------------------


def _overlap(x: Span, y: Span) -> Span | None:
    lo, hi = max(x[0], y[0]), min(x[1], y[1])
    return (lo, hi) if lo < hi else None


def _union_length(spans: list[Span]) -> int:
    total, end = 0, -1
    for s, e in sorted(spans):
        if e > end:
            total += e - max(s, end)
            end = e
    return total


def _detects(r: Detection | Case, s: Case | Detection) -> tuple[Span, Span] | None:
    """``s ⊓ r`` as (range in a, range in b) when r detects s, else None."""
    if r.pair != s.pair:
        return None
    oa, ob = _overlap(r.a, s.a), _overlap(r.b, s.b)
    return (oa, ob) if oa and ob else None


def _macro_coverage(units: list, others: list) -> float:
    """Mean over ``units`` of the share of their characters covered by detecting ``others``."""
    if not units:
        return 1.0 if not others else 0.0
    by_pair: dict[int, list] = {}
    for o in others:
        by_pair.setdefault(o.pair, []).append(o)
    total = 0.0
    for u in units:
        hits = [h for o in by_pair.get(u.pair, []) if (h := _detects(o, u))]
        covered = _union_length([h[0] for h in hits]) + _union_length([h[1] for h in hits])
        total += covered / ((u.a[1] - u.a[0]) + (u.b[1] - u.b[0]))
    return total / len(units)


def pan_measures(cases: list[Case], detections: list[Detection]) -> dict[str, float]:
    """Macro-averaged precision, recall, granularity and plagdet (PAN 2013)."""
    precision = _macro_coverage(detections, cases) if detections else 0.0
    recall = _macro_coverage(cases, detections)
    counts = [sum(1 for r in detections if _detects(r, s)) for s in cases]
    detected = [c for c in counts if c]
    granularity = sum(detected) / len(detected) if detected else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "granularity": granularity,
            "plagdet": f1 / math.log2(1 + granularity)}


# -- runs ---------------------------------------------------------------------------------


def run_quality(paras: list[str], n: int, seed: int, config: AlignConfig) -> None:
    print(f"PAN measures, {n} pairs with reuse + {n // 4} unrelated pairs per edit rate")
    print(f"{'edit rate':>9} {'cases':>6} {'precision':>9} {'recall':>7} {'gran.':>6} {'plagdet':>7}"
          f" {'false passages':>14}")
    for rate in RATES:
        pairs, cases = make_cases(paras, rate, n, seed)
        detections = [Detection(k, (p.a_start, p.a_end), (p.b_start, p.b_end))
                      for k, (a, b) in enumerate(pairs) for p in align(a, b, config)]
        m = pan_measures(cases, detections)
        false = sum(1 for r in detections if not any(_detects(r, s) for s in cases))
        print(f"{rate:>9.0%} {len(cases):>6} {m['precision']:>9.3f} {m['recall']:>7.3f}"
              f" {m['granularity']:>6.3f} {m['plagdet']:>7.3f} {false:>14}")


def _best_time(a: str, b: str, config: AlignConfig, repeat: int = 3) -> tuple[float, int]:
    best, found = float("inf"), 0
    for _ in range(repeat):
        t = time.perf_counter()
        found = len(align(a, b, config))
        best = min(best, time.perf_counter() - t)
    return best, found


def run_speed(paras: list[str], seed: int, config: AlignConfig, words: int = 50_000) -> None:
    rng = random.Random(seed)
    vocab = vocabulary(paras)

    def doc(part: list[str]) -> str:
        out, n = [], 0
        while n < words:
            p = part[len(out) % len(part)]
            out.append(p)
            n += len(p.split())
        return "\n\n".join(out)

    a = doc(paras)
    copy = edit_words(a.replace("\n\n", " \n\n "), 0.05, vocab, rng)
    half = len(paras) // 2
    print(f"\nSpeed, two {words:,}-word documents (best of 3, tokenisation included)")
    for label, x, y in (("5% edited copy", a, copy), ("unrelated halves", doc(paras[:half]), doc(paras[half:]))):
        seconds, found = _best_time(x, y, config)
        t = time.perf_counter()
        ops = diff(x, y)
        print(f"  {label:<16} align {seconds:6.3f} s  ({found} passages);"
              f"  diff {time.perf_counter() - t:6.3f} s  ({len(ops)} ops)")


def run_seeds(config: AlignConfig) -> None:
    long_ = (SEEDS / "000_d34c51ab5dc29095.txt").read_text(encoding="utf-8")
    short = (SEEDS / "001_20fc0c5beaae6e28.txt").read_text(encoding="utf-8")
    passages = align(long_, short, config)
    extra = long_.index("\u2018Turkey smuggling")
    coverage = sum(p.b_end - p.b_start for p in passages) / len(short)
    print(f"\nSeed pair: {len(passages)} passage(s); coverage of 001 = {coverage:.3f}; "
          f"extra paragraphs of 000 outside every passage: {all(p.a_end <= extra for p in passages)}")


# -- regression check on the bench corpus ------------------------------------------------------

CORPUS = ROOT / "bench" / "data" / "corpus-10000-s0" / "corpus.jsonl"


def corpus_pairs(corpus: Path) -> list[tuple[str, str, str, str]]:
    """(id a, id b, text a, text b) of every pair the scan reports, in its order."""
    import retold

    texts = {}
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            texts[d["id"]] = d["text"]
    pairs = retold.scan(corpus, align=False).pairs
    return [(p.a, p.b, texts[p.a], texts[p.b]) for p in pairs]


def record(corpus: Path, out: Path, config: AlignConfig, align_fn=align) -> None:
    pairs = corpus_pairs(corpus)
    rows = [[ia, ib, [[p.a_start, p.a_end, p.b_start, p.b_end, p.score] for p in align_fn(a, b, config)]]
            for ia, ib, a, b in pairs]
    out.write_text(json.dumps({"corpus": str(corpus), "config": repr(config), "pairs": rows}), encoding="utf-8")
    print(f"recorded the passages of {len(rows)} pairs to {out}")


def check(corpus: Path, ref: Path, config: AlignConfig) -> None:
    stored = json.loads(ref.read_text(encoding="utf-8"))
    if stored["config"] != repr(config):
        sys.exit(f"{ref} was recorded with {stored['config']}")
    expected = {(ia, ib): [tuple(p) for p in ps] for ia, ib, ps in stored["pairs"]}
    pairs = corpus_pairs(corpus)
    if {(ia, ib) for ia, ib, _, _ in pairs} != set(expected):
        sys.exit(f"the scan's pairs differ from those recorded in {ref}")
    bad = 0
    for ia, ib, a, b in pairs:
        got = align(a, b, config)
        want = expected[(ia, ib)]
        mirror = sorted((p.mirrored() for p in got), key=lambda p: p.a_start)
        if [(p.a_start, p.a_end, p.b_start, p.b_end, p.score) for p in got] != want or align(b, a, config) != mirror:
            bad += 1
            if bad <= 5:
                print(f"  MISMATCH {ia} {ib}: {got} != {want}")
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for _, _, a, b in pairs:
            align(a, b, config)
        best = min(best, time.perf_counter() - t)
    print(f"{len(pairs)} pairs: {bad} differ from {ref.name}; align {best / len(pairs) * 1e3:.3f} ms per pair"
          f" (best of 3)")
    if bad:
        sys.exit(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, default=60, help="pairs with reuse per edit rate")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--corpus", type=Path, default=CORPUS, help="JSONL corpus of --record/--check")
    ap.add_argument("--record", type=Path, metavar="FILE", help="store the passages of the corpus pairs")
    ap.add_argument("--check", type=Path, metavar="FILE", help="assert the passages equal those recorded")
    args = ap.parse_args()
    config = AlignConfig()
    if args.record or args.check:
        if args.record:
            record(args.corpus, args.record, config)
        if args.check:
            check(args.corpus, args.check, config)
        return
    paras = prose_paragraphs()
    print(f"{len(paras)} stdlib docstring paragraphs, {sum(len(p.split()) for p in paras):,} words; {config}\n")
    run_quality(paras, args.cases, args.seed, config)
    run_speed(paras, args.seed, config)
    run_seeds(config)


if __name__ == "__main__":
    main()
