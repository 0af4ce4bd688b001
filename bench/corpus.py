"""Deterministic benchmark corpus with injected text reuse and its ground truth.

Base documents are *synthesised from real prose* (see bench/_prose.py): a word-level
Markov chain of order 2, trained on ~545k words of real English (news, Wikipedia, Python's
documentation), backs off to order 1 when a two-word context has fewer than 5 distinct
continuations and to a random word when a one-word context has a single continuation, so
the chain never copies long runs of its training text: two unrelated documents share
about as many word 5-grams as unrelated natural text does (measured in bench/README.md).

Into that background the generator injects reuse of known kinds, every derived document
under a new id with its own ``date`` and ``source``:

- ``near_duplicate``: families of 2..8 documents, a base and edited copies (word edit rate
  e in {0, .05, .10, .15, .20, .30}); all pairs within a family are positives;
- ``reorder``: the sentences of a base shuffled, + light edits;
- ``truncation``: a 40-80% prefix of a base (cut at a sentence end), + light edits;
- ``appended``: a base + 1-3 paragraphs of unrelated text, + light edits;
- ``contained``: a short document (60-150 words) inside an unrelated one >= 5x longer;
- ``passage``: two unrelated documents sharing one passage of 50-120 words (the second
  copy edited);
- ``boilerplate``: footers of 20-40 words each appended to >= 60 (and ~1.5%) unrelated
  documents: pairs sharing only a footer are NEGATIVES.

Edits substitute/insert/delete words and make spelling variants (``oil fields`` ->
``oilfields``, ``ceasefire`` -> ``cease-fire``, case, commas) at a per-word rate e.

Output (``generate``): ``corpus.jsonl`` (``{"id","text","date","source"}`` ordered by id;
ids are zero-padded so string order is numeric order, and the reuse groups are scattered
over the id space) and ``truth.json`` (every positive pair ``{"a","b","type","edit_rate"}``
with ``a < b``, the groups, and which documents carry which boilerplate snippet).
Byte-identical for the same (n_docs, seed, GENERATOR_VERSION, prose, Python version);
streams to disk, so 1M documents need about as much memory as 100k.

    python bench/corpus.py --docs 10000 --out bench/data/corpus-10k
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import random
import re
import shutil
import sys
import time
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path
from typing import Iterable

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _prose  # noqa: E402

GENERATOR_VERSION = 1

NEAR_RATES = (0.0, 0.05, 0.10, 0.15, 0.20, 0.30)
LIGHT_RATES = (0.0, 0.05, 0.10, 0.15)
#: share of all documents given to each reuse type (the rest is background)
MIX = {
    "near_duplicate": 0.12,
    "reorder": 0.03,
    "truncation": 0.03,
    "appended": 0.03,
    "contained": 0.03,
    "passage": 0.03,
}
TYPES = tuple(MIX)
BOILERPLATE_SHARE = 0.015
BOILERPLATE_MIN_DOCS = 60

SOURCES = (
    "Northern Ledger", "Harbour Times", "Valley Courier", "Coastal Herald", "Evening Sentinel",
    "The Daily Dispatch", "Capital Observer", "Metro Wire", "Riverside Gazette", "Plains Tribune",
    "Westside Chronicle", "Island Post", "Summit Review", "Eastern Bulletin", "Lakeshore Journal",
    "Frontier Press", "Central Record", "Highland Echo", "Southern Star", "Civic Register",
)

SNIPPETS = (
    "Sign up for our free morning newsletter and get the day's top stories delivered straight to your "
    "inbox. You can unsubscribe at any time using the link at the bottom of every email.",
    "We use cookies to improve your experience on our website and to show you relevant advertising. "
    "By continuing to browse the site you are agreeing to our use of cookies. Read our privacy policy "
    "to find out more.",
    "Copyright 2024 Northern Ledger Media Group. All rights reserved. This material may not be "
    "published, broadcast, rewritten or redistributed in whole or in part without prior written "
    "permission.",
    "Have a story tip or spotted a mistake? Contact our newsroom by email or call the tips line. Our "
    "journalists read every message and will get back to you as soon as possible.",
    "This article was produced with the help of wire service reports. Opinions expressed by "
    "contributors are their own and do not necessarily reflect the views of the publisher or its "
    "editorial board.",
    "Follow us on social media for breaking news, live updates and behind the scenes coverage from "
    "our reporters around the country. Share this story with your friends and family.",
    "Support independent local journalism. Subscribe today for unlimited digital access to every story, "
    "the daily crossword and our award winning weekend magazine, starting at just one dollar a week.",
    "Comments on this article are now closed. Please read our community guidelines before joining the "
    "conversation, and report any comment that you believe breaks the rules to our moderation team.",
)

_BUCKET = 20_000  # documents per temporary bucket of the external sort by id
_DAY0 = _dt.date(2015, 1, 1).toordinal()

Doc = list  # list[list[list[str]]]: paragraphs of sentences of tokens
_PROSE: dict[str, "Prose"] = {}  # the last chain built, by prose fingerprint


# --------------------------------------------------------------------------- prose model

_BRACKETS = str.maketrans("", "", "()[]{}\"\u201c\u201d<>`*_\\")
_GOOD_TOKEN = re.compile(r"^(?:[A-Za-z0-9$£€][A-Za-z0-9'\u2019\-&/%$.]*?[,;:.!?]?)$")
_MID_DOT = re.compile(r"[a-z0-9]\.[a-z]")
_ABBR = frozenset("mr mrs ms dr st jr sr prof gen col lt sgt capt gov sen rep rev inc ltd co corp vs etc "
                  "no vol mt ft jan feb mar apr jun jul aug sep sept oct nov dec".split())


def _mid_form(w: str) -> str:
    """How a sentence-final token reads inside a sentence: "Sydney." -> "Sydney"; keeps
    abbreviations and initials ("Mr.", "U.S.", "J.")."""
    if len(w) < 2 or w[-1] not in ".!?":
        return w
    core = w.rstrip(".!?")
    if not core or "." in core or len(core) == 1 or core.lower() in _ABBR:
        return w
    return core


_WORDISH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9'\-]*$")
_TRAIL = re.compile(r"[,;:.!?]+$")


class Prose:
    """An order-2 word Markov chain over real sentences, with back-off (see module doc)."""

    K2 = 5  # a two-word context needs this many distinct successors to be used
    K1 = 2  # a one-word context needs this many, else a random word is drawn

    def __init__(self, sentences: dict[str, list[str]]):
        self.sizes = {src: (len(ss), sum(len(s.split()) for s in ss)) for src, ss in sentences.items()}
        self.fingerprint = _prose.fingerprint(sentences)
        vocab: dict[str, int] = {"<s>": 0, "</s>": 1}
        seqs = []
        for src in sorted(sentences):
            for s in sentences[src]:
                toks = [t.translate(_BRACKETS) for t in s.split()]
                toks = [t for t in toks if t]
                if len(toks) < 4 or not all(_GOOD_TOKEN.match(t) and not _MID_DOT.search(t) for t in toks):
                    continue
                seqs.append([vocab.setdefault(t, len(vocab)) for t in toks])
        self.training_sentences = len(seqs)
        self.training_words = sum(len(q) for q in seqs)
        words = [""] * len(vocab)
        for w, i in vocab.items():
            words[i] = w
        V = len(words)
        succ1: list[list[int]] = [[] for _ in range(V)]
        succ2: dict[int, list[int]] = defaultdict(list)
        uni: list[int] = []
        for q in seqs:
            uni.extend(q)
            prev2, prev1 = 0, 0
            for c in q + [1]:
                succ1[prev1].append(c)
                succ2[prev2 * V + prev1].append(c)
                prev2, prev1 = prev1, c
        self.V = V
        self.words = words
        # mid-sentence form of each token: a sentence-final "Sydney." inside a sentence
        # becomes "Sydney" (abbreviations such as "Mr." or "U.S." are kept)
        self.mid = [_mid_form(w) for w in words]
        self.table2 = {k: v for k, v in succ2.items() if len(set(v)) >= self.K2}
        # a context always followed by the end of the sentence keeps ending it (that copies
        # nothing); other single-successor contexts draw a random word instead
        self.table1 = [v if len(set(v)) >= self.K1 or (v and v[0] == 1) else uni for v in succ1]
        self.uni = uni
        plain = [w for w in (_TRAIL.sub("", words[i]) for i in uni) if _WORDISH.match(w)]
        self.plain = plain

    def sentence(self, rng: random.Random, max_len: int = 40) -> list[str]:
        """One sentence: 5..max_len tokens, capitalised, ending with . ! or ?"""
        t2, t1, V, rnd = self.table2, self.table1, self.V, rng.random
        while True:
            a = b = 0
            out: list[int] = []
            while len(out) < max_len:
                lst = t2.get(a * V + b) or t1[b]
                c = lst[int(rnd() * len(lst))]
                if c == 1:
                    break
                out.append(c)
                a, b = b, c
            if len(out) >= 5:
                break
        mid = self.mid
        toks = [mid[c] for c in out[:-1]]
        last = _TRAIL.sub("", self.words[out[-1]]) or "so"
        end = self.words[out[-1]][-1]
        toks.append(last + (end if end in ".!?" else "."))
        first = toks[0]
        toks[0] = first[:1].upper() + first[1:]
        return toks

    def word(self, rng: random.Random) -> str:
        """A random plain word (unigram frequencies of the training text)."""
        return self.plain[int(rng.random() * len(self.plain))]

    def sentences(self, rng: random.Random, lo: int, hi: int) -> list[list[str]]:
        """Sentences totalling lo..hi words (aims at a uniform target in between)."""
        target = rng.randint(lo, hi)
        out: list[list[str]] = []
        n = 0
        while n < target:
            s = self.sentence(rng)
            if n + len(s) > hi and n >= lo:
                break
            if n + len(s) > hi:  # too long to fit: cut it, still a sentence
                s = s[: max(5, hi - n)]
                s[-1] = _TRAIL.sub("", s[-1]) + "."
            out.append(s)
            n += len(s)
        return out

    def document(self, rng: random.Random, lo: int = 300, hi: int = 450) -> Doc:
        return paragraphs(self.sentences(rng, lo, hi), rng)


def get_prose(sentences: dict[str, list[str]] | None = None) -> Prose:
    """The chain for the current prose (built once per process)."""
    if sentences is None:
        sentences = _prose.load_sentences()
    fp = _prose.fingerprint(sentences)
    if fp not in _PROSE:
        _PROSE.clear()
        _PROSE[fp] = Prose(sentences)
    return _PROSE[fp]


def paragraphs(sents: list[list[str]], rng: random.Random, lo: int = 2, hi: int = 6) -> Doc:
    """Group sentences into paragraphs of lo..hi sentences."""
    out: Doc = []
    i = 0
    while i < len(sents):
        k = rng.randint(lo, hi)
        out.append(sents[i:i + k])
        i += k
    return out


def render(doc: Doc) -> str:
    return "\n\n".join(" ".join(" ".join(s) for s in para) for para in doc if para)


def n_words(doc: Doc) -> int:
    return sum(len(s) for para in doc for s in para)


# --------------------------------------------------------------------------- edits

def _tail(tok: str) -> str:
    m = _TRAIL.search(tok)
    return m.group() if m else ""


def _core(tok: str) -> str:
    return _TRAIL.sub("", tok)


def edit_sentence(toks: list[str], e: float, rng: random.Random, prose: Prose) -> list[str]:
    """Per word, with probability e: substitute (40%), delete (20%), insert (20%) or a
    spelling variant (20%: join two words with or without hyphen, hyphenate/unhyphenate a
    long word, change case, add/remove a comma)."""
    if e <= 0:
        return list(toks)
    out: list[str] = []
    n = len(toks)
    rnd = rng.random
    i = 0
    while i < n:
        t = toks[i]
        if rnd() >= e:
            out.append(t)
            i += 1
            continue
        r = rnd()
        if r < 0.4:  # substitute, keeping the punctuation that follows the word
            out.append(prose.word(rng) + _tail(t))
        elif r < 0.6:  # delete (the punctuation moves to the previous word)
            tail = _tail(t)
            if out and tail:
                out[-1] = _core(out[-1]) + tail
        elif r < 0.8:  # insert a word after (or before a sentence-final word)
            w = prose.word(rng)
            if _tail(t):
                out.extend((w, t))
            else:
                out.extend((t, w))
        else:
            v = rnd()
            c = _core(t)
            nxt = toks[i + 1] if i + 1 < n else ""
            if v < 0.35 and nxt and not _tail(t) and c.isalpha() and _core(nxt).isalpha():
                # "oil fields" -> "oilfields" / "oil-fields"
                joined = c + ("-" if rnd() < 0.5 else "") + nxt.lower()
                out.append(joined)
                i += 2
                continue
            if v < 0.55 and "-" in c:  # "cease-fire" -> "ceasefire"
                out.append(t.replace("-", "", 1))
            elif v < 0.55 and len(c) >= 8 and c.isalpha():  # "ceasefire" -> "cease-fire"
                k = rng.randint(3, len(c) - 3)
                out.append(c[:k] + "-" + c[k:] + _tail(t))
            elif v < 0.8:  # case
                out.append(t.lower() if t[:1].isupper() else t[:1].upper() + t[1:])
            elif t.endswith(","):
                out.append(t[:-1])
            elif not _tail(t) and i + 1 < n:
                out.append(t + ",")
            else:
                out.append(prose.word(rng) + _tail(t))
        i += 1
    if not out:
        out = [prose.word(rng)]
    out[0] = out[0][:1].upper() + out[0][1:]
    if out[-1][-1:] not in (".", "!", "?"):
        out[-1] = _core(out[-1]) + "."
    return out


def edit(doc: Doc, e: float, rng: random.Random, prose: Prose) -> Doc:
    if e <= 0:
        return [[list(s) for s in para] for para in doc]
    return [[edit_sentence(s, e, rng, prose) for s in para] for para in doc]


def insert_paragraphs(doc: Doc, extra: Doc, rng: random.Random) -> Doc:
    k = rng.randint(0, len(doc))
    return doc[:k] + extra + doc[k:]


# --------------------------------------------------------------------------- plan

def _plan(n_docs: int, rng: random.Random) -> tuple[list[tuple[str, int, float]], int]:
    """Reuse groups ``(type, size, edit_rate)`` and the number of background documents."""
    groups: list[tuple[str, int, float]] = []
    used = 0
    for typ in TYPES:
        budget = int(round(MIX[typ] * n_docs))
        if typ == "near_duplicate":
            j = 0
            while budget >= 2:
                k = min(rng.randint(2, 8), budget)
                if budget - k == 1:
                    k = budget if k < 8 else k - 1
                groups.append((typ, k, NEAR_RATES[j % len(NEAR_RATES)]))
                budget -= k
                used += k
                j += 1
        else:
            for j in range(budget // 2):
                groups.append((typ, 2, LIGHT_RATES[j % len(LIGHT_RATES)]))
                used += 2
    return groups, n_docs - used


def _width(n_docs: int) -> int:
    return max(6, len(str(max(n_docs - 1, 0))))


# --------------------------------------------------------------------------- generate

def _cache_ok(out_dir: Path, meta: dict) -> bool:
    try:
        old = json.loads((out_dir / "meta.json").read_text())
    except (OSError, ValueError):
        return False
    return old == meta and (out_dir / "corpus.jsonl").exists() and (out_dir / "truth.json").exists()


def generate(n_docs: int, out_dir: Path, seed: int = 0, *, force: bool = False,
             progress: bool = False) -> tuple[Path, Path]:
    """Write ``corpus.jsonl`` and ``truth.json`` into ``out_dir`` (reused when already there
    for the same n_docs, seed, generator version and prose) and return their paths."""
    if n_docs < 2:
        raise ValueError("n_docs must be >= 2")
    out_dir = Path(out_dir)
    sentences = _prose.load_sentences()
    fp = _prose.fingerprint(sentences)
    meta = {"n_docs": n_docs, "seed": seed, "generator_version": GENERATOR_VERSION, "prose": fp}
    corpus_path, truth_path = out_dir / "corpus.jsonl", out_dir / "truth.json"
    if not force and _cache_ok(out_dir, meta):
        return corpus_path, truth_path
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "meta.json").unlink(missing_ok=True)
    t0 = time.perf_counter()
    prose = get_prose(sentences)

    plan_rng = random.Random(f"retold-bench:{seed}:plan")
    groups, n_background = _plan(n_docs, plan_rng)
    perm = list(range(n_docs))
    plan_rng.shuffle(perm)
    width = _width(n_docs)
    # boilerplate: which background documents (by background index) carry which snippet
    per_snippet = max(BOILERPLATE_MIN_DOCS, round(BOILERPLATE_SHARE * n_docs))
    n_snippets = min(len(SNIPPETS), max(n_background // (3 * per_snippet), int(n_background >= per_snippet)))
    chosen = plan_rng.sample(range(n_background), n_snippets * per_snippet) if n_snippets else []
    carrier_of = {bg: j // per_snippet for j, bg in enumerate(chosen)}

    tmp = out_dir / f".buckets-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    n_buckets = (n_docs + _BUCKET - 1) // _BUCKET
    buckets = [open(tmp / f"{k}.txt", "w", encoding="utf-8") for k in range(n_buckets)]
    slot = 0

    def emit(text: str, date: int, source: str) -> str:
        nonlocal slot
        pos = perm[slot]
        slot += 1
        doc_id = f"d{pos:0{width}d}"
        line = json.dumps({"id": doc_id, "text": text,
                           "date": _dt.date.fromordinal(_DAY0 + date).isoformat(), "source": source},
                          ensure_ascii=False)
        buckets[pos // _BUCKET].write(f"{pos}\t{line}\n")
        return doc_id

    def derived_date(rng: random.Random, base: int) -> int:
        return base + rng.randint(0, 45)

    pairs: list[tuple[str, str, str, float]] = []
    group_rows: list[dict] = []
    carriers: dict[int, list[str]] = defaultdict(list)
    try:
        for gi, (typ, size, e) in enumerate(groups):
            rng = random.Random(f"retold-bench:{seed}:group:{gi}")
            date = rng.randint(0, 3652)
            src = rng.choice(SOURCES)
            ids: list[str] = []
            if typ == "near_duplicate":
                base = prose.document(rng)
                ids.append(emit(render(base), date, src))
                for _ in range(size - 1):
                    ids.append(emit(render(edit(base, e, rng, prose)), derived_date(rng, date), rng.choice(SOURCES)))
            elif typ == "reorder":
                base = prose.document(rng)
                sents = [s for para in base for s in para]
                rng.shuffle(sents)
                shuffled: Doc = []
                i = 0
                for para in base:
                    shuffled.append(sents[i:i + len(para)])
                    i += len(para)
                ids.append(emit(render(base), date, src))
                ids.append(emit(render(edit(shuffled, e, rng, prose)), derived_date(rng, date), rng.choice(SOURCES)))
            elif typ == "truncation":
                base = prose.document(rng)
                target = rng.uniform(0.4, 0.8) * n_words(base)
                cut: Doc = []
                n = 0
                for para in base:
                    keep = []
                    for s in para:
                        if n and abs(n + len(s) - target) > abs(n - target):
                            break
                        keep.append(s)
                        n += len(s)
                    if keep:
                        cut.append(keep)
                    if len(keep) < len(para):
                        break
                ids.append(emit(render(base), date, src))
                ids.append(emit(render(edit(cut, e, rng, prose)), derived_date(rng, date), rng.choice(SOURCES)))
            elif typ == "appended":
                base = prose.document(rng)
                extra = [prose.sentences(rng, 40, 120) for _ in range(rng.randint(1, 3))]
                ids.append(emit(render(base), date, src))
                ids.append(emit(render(edit(base + extra, e, rng, prose)), derived_date(rng, date), rng.choice(SOURCES)))
            elif typ == "contained":
                short = paragraphs(prose.sentences(rng, 60, 150), rng, 2, 5)
                k = n_words(short)
                host = prose.document(rng, 5 * k + 10, 8 * k)
                host = insert_paragraphs(host, edit(short, e, rng, prose), rng)
                ids.append(emit(render(short), date, src))
                ids.append(emit(render(host), derived_date(rng, date), rng.choice(SOURCES)))
            elif typ == "passage":
                passage = [prose.sentences(rng, 50, 120)]
                one = insert_paragraphs(prose.document(rng), passage, rng)
                two = insert_paragraphs(prose.document(rng), edit(passage, e, rng, prose), rng)
                ids.append(emit(render(one), date, src))
                ids.append(emit(render(two), derived_date(rng, date), rng.choice(SOURCES)))
            group_rows.append({"type": typ, "edit_rate": e, "ids": ids})
            for a, b in combinations(sorted(ids), 2):
                pairs.append((a, b, typ, e))
            if progress and gi % 1000 == 0:
                print(f"\r{slot}/{n_docs} documents", end="", file=sys.stderr)
        for bg in range(n_background):
            rng = random.Random(f"retold-bench:{seed}:background:{bg}")
            text = render(prose.document(rng))
            j = carrier_of.get(bg)
            if j is not None:
                text += "\n\n" + SNIPPETS[j]
            doc_id = emit(text, rng.randint(0, 3652), rng.choice(SOURCES))
            if j is not None:
                carriers[j].append(doc_id)
            if progress and bg % 5000 == 0:
                print(f"\r{slot}/{n_docs} documents", end="", file=sys.stderr)
        assert slot == n_docs
        for f in buckets:
            f.close()
        # external sort: each bucket holds a contiguous range of positions (= ids)
        part = corpus_path.with_name(f".corpus-{os.getpid()}.jsonl")
        with open(part, "w", encoding="utf-8", newline="\n") as out:
            for k in range(n_buckets):
                lo = k * _BUCKET
                lines: list[str] = [""] * (min(n_docs, lo + _BUCKET) - lo)
                with open(tmp / f"{k}.txt", encoding="utf-8") as f:
                    for row in f:
                        pos, _, line = row.partition("\t")
                        lines[int(pos) - lo] = line
                out.writelines(lines)
                (tmp / f"{k}.txt").unlink()
        part.replace(corpus_path)
    finally:
        for f in buckets:
            f.close()
        shutil.rmtree(tmp, ignore_errors=True)

    pairs.sort()
    counts = Counter(t for t, _, _ in groups)
    docs_by_type = Counter()
    for typ, size, _ in groups:
        docs_by_type[typ] += size
    docs_by_type["background"] = n_background
    truth = {
        **meta,
        "prose_sizes": {src: {"sentences": s, "words": w} for src, (s, w) in prose.sizes.items()},
        "python": sys.version.split()[0],
        "types": list(TYPES),
        "edit_rates": {"near_duplicate": list(NEAR_RATES), "other": list(LIGHT_RATES)},
        "docs_by_type": dict(docs_by_type),
        "groups_by_type": dict(counts),
        "boilerplate": {
            "snippets": {f"S{j}": SNIPPETS[j] for j in range(n_snippets)},
            "carriers": {f"S{j}": sorted(carriers[j]) for j in range(n_snippets)},
        },
    }
    part = truth_path.with_name(f".truth-{os.getpid()}.json")
    with open(part, "w", encoding="utf-8", newline="\n") as f:
        head = json.dumps(truth, ensure_ascii=False, indent=1)
        f.write(head[:-2] + ',\n "groups": [\n')
        f.write(",\n".join(json.dumps(g, ensure_ascii=False) for g in group_rows))
        f.write('\n ],\n "pairs": [\n')
        f.write(",\n".join(json.dumps({"a": a, "b": b, "type": t, "edit_rate": e}) for a, b, t, e in pairs))
        f.write("\n ]\n}\n")
    part.replace(truth_path)
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    if progress:
        print(f"\r{n_docs} documents, {len(pairs)} positive pairs in {time.perf_counter() - t0:.1f}s",
              file=sys.stderr)
    return corpus_path, truth_path


# --------------------------------------------------------------------------- measurement

_TOKEN = re.compile(r"[^\W_]+(?:['\u2019\-]+[^\W_]+)*")


def shingles(text: str, k: int = 5) -> set[str]:
    """Word k-grams as retold normalises them (lowercase, hyphens/apostrophes dropped)."""
    toks = [t.replace("-", "").replace("'", "").replace("\u2019", "") for t in _TOKEN.findall(text.lower())]
    return {" ".join(toks[i:i + k]) for i in range(len(toks) - k + 1)}


def iter_jsonl(path: Path) -> Iterable[dict]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def unrelated_overlap(corpus_path: Path, truth_path: Path, sample: int = 3000, seed: int = 0,
                      k: int = 5) -> dict:
    """How many word k-grams unrelated documents share: over ``sample`` background
    documents (no injected reuse, boilerplate footers removed), the mean number of shared
    k-grams per pair and the number of pairs sharing at least 1/3/5/10."""
    truth = json.loads(Path(truth_path).read_text())
    related = {i for g in truth["groups"] for i in g["ids"]}
    snippets = list(truth["boilerplate"]["snippets"].values())
    rng = random.Random(seed)
    texts = []
    for rec in iter_jsonl(corpus_path):
        if rec["id"] in related:
            continue
        text = rec["text"]
        for s in snippets:
            text = text.replace("\n\n" + s, "")
        texts.append(text)
    if len(texts) > sample:
        texts = rng.sample(texts, sample)
    return shared_stats([shingles(t, k) for t in texts])


def shared_stats(sets: list[set[str]]) -> dict:
    n = len(sets)
    df = Counter(g for s in sets for g in s)
    postings: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(sets):
        for g in s:
            if df[g] > 1:
                postings[g].append(i)
    per_pair: Counter = Counter()
    for ids in postings.values():
        for x, y in combinations(ids, 2):
            per_pair[(x, y)] += 1
    n_pairs = n * (n - 1) // 2
    return {
        "docs": n,
        "pairs": n_pairs,
        "kgrams_per_doc": round(sum(map(len, sets)) / max(n, 1), 1),
        "mean_shared_per_pair": round(sum(per_pair.values()) / max(n_pairs, 1), 5),
        "kgrams_in_2plus_docs": round(sum(1 for c in df.values() if c > 1) / max(len(df), 1), 5),
        "max_df": max(df.values(), default=0),
        "pairs_sharing_ge": {t: sum(1 for v in per_pair.values() if v >= t) for t in (1, 3, 5, 10)},
        "max_shared": max(per_pair.values(), default=0),
        "top_kgrams": [g for g, _ in df.most_common(5)],
    }


def natural_overlap(sample: int = 3000, k: int = 5, words: int = 400) -> dict:
    """The same measurement on natural text: the real sentences, in source order, cut into
    documents of ~``words`` words (neighbouring chunks of one article are related, so this
    is an upper-ish baseline)."""
    sents = _prose.load_sentences()
    out = {}
    for src in sorted(sents):
        docs, cur, n = [], [], 0
        for s in sents[src]:
            cur.append(s)
            n += len(s.split())
            if n >= words:
                docs.append(" ".join(cur))
                cur, n = [], 0
        random.Random(0).shuffle(docs)
        out[src] = shared_stats([shingles(d, k) for d in docs[:sample]])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None, help="default: bench/data/corpus-<docs>-s<seed>")
    ap.add_argument("--force", action="store_true", help="regenerate even if cached")
    ap.add_argument("--overlap", action="store_true",
                    help="also measure word 5-grams shared by unrelated documents (and natural text)")
    args = ap.parse_args(argv)
    out = args.out or default_dir(args.docs, args.seed)
    t0 = time.perf_counter()
    corpus, truth = generate(args.docs, out, args.seed, force=args.force, progress=True)
    print(f"{corpus}\n{truth}\n({time.perf_counter() - t0:.1f}s)")
    if args.overlap:
        print("generated background:", json.dumps(unrelated_overlap(corpus, truth), indent=1))
        print("natural text:", json.dumps(natural_overlap(), indent=1))
    return 0


def default_dir(n_docs: int, seed: int = 0) -> Path:
    return _prose.DATA_DIR / f"corpus-{n_docs}-s{seed}"


if __name__ == "__main__":
    raise SystemExit(main())
