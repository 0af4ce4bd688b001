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

``generate_news`` (``--news``) writes a news-like corpus whose ground truth is the *story*:
topics whose stories recycle background sentences and quotes, stories with 1..15 versions
(reprints, edits, drops, additions, briefs, truncations) at outlets with their own
datelines, bylines, footers and navigation, passages spliced between stories, and short
notices (see bench/README.md):

    python bench/corpus.py --news --docs 12000      # bench/data/news-12000-s0/
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


def cut_prefix(doc: list, target: float, size=len) -> list:
    """The first paragraphs of ``doc`` up to the sentence end closest to ``target`` words
    (at least one sentence); ``size`` gives a sentence's length in words."""
    cut: list = []
    n = 0
    for para in doc:
        keep = []
        for s in para:
            k = size(s)
            if n and abs(n + k - target) > abs(n - target):
                break
            keep.append(s)
            n += k
        if keep:
            cut.append(keep)
        if len(keep) < len(para):
            break
    return cut


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

def _iso(day: int) -> str:
    return _dt.date.fromordinal(_DAY0 + day).isoformat()


class _SortedWriter:
    """Streams records to temporary buckets by position; ``finish`` writes them in id
    order (an external sort: each bucket holds a contiguous range of positions = ids)."""

    def __init__(self, out_dir: Path, perm: list[int], width: int):
        self.perm, self.width, self.n = perm, width, len(perm)
        self.slot = 0
        self.tmp = out_dir / f".buckets-{os.getpid()}"
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp.mkdir()
        self.n_buckets = (self.n + _BUCKET - 1) // _BUCKET
        self.buckets = [open(self.tmp / f"{k}.txt", "w", encoding="utf-8") for k in range(self.n_buckets)]

    def emit(self, **fields) -> str:
        """Write one record (``id`` first, then ``fields`` in order) in the next slot."""
        pos = self.perm[self.slot]
        self.slot += 1
        doc_id = f"d{pos:0{self.width}d}"
        line = json.dumps({"id": doc_id, **fields}, ensure_ascii=False)
        self.buckets[pos // _BUCKET].write(f"{pos}\t{line}\n")
        return doc_id

    def finish(self, corpus_path: Path) -> None:
        assert self.slot == self.n
        for f in self.buckets:
            f.close()
        part = corpus_path.with_name(f".corpus-{os.getpid()}.jsonl")
        with open(part, "w", encoding="utf-8", newline="\n") as out:
            for k in range(self.n_buckets):
                lo = k * _BUCKET
                lines: list[str] = [""] * (min(self.n, lo + _BUCKET) - lo)
                with open(self.tmp / f"{k}.txt", encoding="utf-8") as f:
                    for row in f:
                        pos, _, line = row.partition("\t")
                        lines[int(pos) - lo] = line
                out.writelines(lines)
                (self.tmp / f"{k}.txt").unlink()
        part.replace(corpus_path)

    def close(self) -> None:
        for f in self.buckets:
            f.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _write_truth(truth_path: Path, head: dict, sections: list[tuple[str, Iterable[str]]]) -> None:
    """``head`` as indented JSON, then each (name, rows) as a list of one JSON row a line."""
    part = truth_path.with_name(f".truth-{os.getpid()}.json")
    with open(part, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(head, ensure_ascii=False, indent=1)[:-2])
        for name, rows in sections:
            f.write(f',\n "{name}": [\n')
            f.write(",\n".join(rows))
            f.write("\n ]")
        f.write("\n}\n")
    part.replace(truth_path)


def _cache_ok(out_dir: Path, meta: dict) -> bool:
    try:
        old = json.loads((out_dir / "meta.json").read_text())
    except (OSError, ValueError):
        return False
    return old == meta and (out_dir / "corpus.jsonl").exists() and (out_dir / "truth.json").exists()


def _start(out_dir: Path, meta: dict, force: bool) -> tuple[Path, Path, Path, bool]:
    """(out_dir, corpus path, truth path, whether the cached files match ``meta``); when
    they do not, ``out_dir`` is created and its stale meta.json removed."""
    corpus_path, truth_path = out_dir / "corpus.jsonl", out_dir / "truth.json"
    if not force and _cache_ok(out_dir, meta):
        return out_dir, corpus_path, truth_path, True
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "meta.json").unlink(missing_ok=True)
    return out_dir, corpus_path, truth_path, False


def generate(n_docs: int, out_dir: Path, seed: int = 0, *, force: bool = False,
             progress: bool = False) -> tuple[Path, Path]:
    """Write ``corpus.jsonl`` and ``truth.json`` into ``out_dir`` (reused when already there
    for the same n_docs, seed, generator version and prose) and return their paths."""
    if n_docs < 2:
        raise ValueError("n_docs must be >= 2")
    sentences = _prose.load_sentences()
    fp = _prose.fingerprint(sentences)
    meta = {"n_docs": n_docs, "seed": seed, "generator_version": GENERATOR_VERSION, "prose": fp}
    out_dir, corpus_path, truth_path, cached = _start(Path(out_dir), meta, force)
    if cached:
        return corpus_path, truth_path
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

    writer = _SortedWriter(out_dir, perm, width)

    def emit(text: str, date: int, source: str) -> str:
        return writer.emit(text=text, date=_iso(date), source=source)

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
                cut = cut_prefix(base, rng.uniform(0.4, 0.8) * n_words(base))
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
                print(f"\r{writer.slot}/{n_docs} documents", end="", file=sys.stderr)
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
                print(f"\r{writer.slot}/{n_docs} documents", end="", file=sys.stderr)
        writer.finish(corpus_path)
    finally:
        writer.close()

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
    _write_truth(truth_path, truth, [
        ("groups", (json.dumps(g, ensure_ascii=False) for g in group_rows)),
        ("pairs", (json.dumps({"a": a, "b": b, "type": t, "edit_rate": e}) for a, b, t, e in pairs)),
    ])
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    if progress:
        print(f"\r{n_docs} documents, {len(pairs)} positive pairs in {time.perf_counter() - t0:.1f}s",
              file=sys.stderr)
    return corpus_path, truth_path


# --------------------------------------------------------------------------- news corpus
#
# A news-like corpus whose ground truth is the *story*: topics with recycled background
# sentences and quotes, stories with 1..15 versions (reprints, edits, drops, additions,
# briefs, truncations) at different outlets with their own furniture (datelines, bylines,
# footers, navigation), passages spliced from one story into another, and short notices.

NEWS_GENERATOR_VERSION = 1
VERSION_TYPES = ("original", "reprint", "edited", "dropped", "added", "brief", "truncation", "notice")
#: how a derived version is made (weights), and the per-word edit rates each kind draws from
DERIVED = (("reprint", 25), ("edited", 30), ("dropped", 12), ("added", 12), ("brief", 11), ("truncation", 10))
NEWS_RATES = {
    "reprint": (0.0,),
    "edited": (0.01, 0.02, 0.03, 0.05),
    "dropped": (0.0, 0.01, 0.02, 0.03),
    "added": (0.0, 0.01, 0.02, 0.03),
    "brief": (0.0, 0.0, 0.01, 0.02),
    "truncation": (0.0, 0.01, 0.02),
}
SPLICE_RATES = (0.0, 0.0, 0.01, 0.02, 0.03)
#: the type of a pair of versions: the first of these on the path between them in the story's tree
PAIR_PRIORITY = ("brief", "truncation", "added", "dropped", "edited", "reprint")
PAIR_TYPES = PAIR_PRIORITY + ("passage",)
#: versions per story (weights): many singletons, many 2-4, a few up to 15
VERSION_COUNTS = ((1, 40), (2, 18), (3, 12), (4, 8), (5, 5), (6, 4), (7, 3), (8, 3), (9, 2), (10, 2),
                  (12, 1.5), (15, 1.5))
NOTICE_STORY_SHARE = 0.05  # of stories (about 2% of documents)
SPLICE_STORY_SHARE = 0.05  # of stories lift a passage from another story
STORIES_PER_TOPIC = (20, 40)
PASSAGE_MIN_KEPT = 40  # a version shares the spliced passage if it keeps this many of its words

WIRES = ("Metro Wire", "Capital Observer", "Eastern Bulletin", "Frontier Press")
#: outlets whose every page carries a navigation header and a footer snippet (the boilerplate trap)
NAV_OUTLETS = tuple(s for i, s in enumerate(SOURCES) if i % 3 == 0 and s not in WIRES)
_CITIES = ("LONDON", "SYDNEY", "CANBERRA", "NEW YORK", "WASHINGTON", "PARIS", "BERLIN", "TOKYO",
           "JOHANNESBURG", "NAIROBI", "MELBOURNE", "BRISBANE", "JAKARTA", "NEW DELHI", "MOSCOW", "GENEVA",
           "OTTAWA", "DUBLIN", "AUCKLAND", "SINGAPORE")
_FIRST = ("James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David", "Susan",
          "Peter", "Karen", "Andrew", "Helen", "Paul", "Sarah", "Mark", "Anna", "Simon", "Grace", "Thomas",
          "Ruth", "Daniel", "Alice")
_LAST = ("Smith", "Jones", "Brown", "Taylor", "Wilson", "Walker", "Harris", "Clarke", "Lewis", "Young", "King",
         "Wright", "Hughes", "Green", "Hall", "Wood", "Baker", "Turner", "Mitchell", "Cooper", "Ward", "Morris",
         "Price", "Bell")
_SECTIONS = ("News", "Local", "World", "Business", "Sport", "Opinion", "Culture", "Weather", "Science",
             "Politics", "Travel", "Lifestyle", "Video", "Podcasts")
_NOTICES = (("Correction", "CORRECTION: ", "{outlet} regrets the error."),
            ("Clarification", "CLARIFICATION: ", "This article has been updated."),
            ("Notice", "NOTICE TO READERS: ", "For more information contact the newsroom."))
_DATELINE = re.compile(r"^[A-Z][A-Z ]+(?: \([^)]+\))? - ")
_BYLINE = re.compile(r"^By [A-Z][a-z]+ [A-Z][a-z]+, [A-Za-z ]+$")
_WIRE_FOOTER = re.compile(r"^Reporting by [A-Z][a-z]+ [A-Z][a-z]+; Editing by [A-Z][a-z]+ [A-Z][a-z]+$")


def _name(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def outlet_nav(outlet: str) -> str | None:
    """The navigation header every page of a NAV_OUTLETS outlet starts with."""
    if outlet not in NAV_OUTLETS:
        return None
    rng = random.Random(f"retold-news:nav:{outlet}")
    sections = rng.sample(_SECTIONS, rng.randint(7, 11))
    return f"Skip to main content | {outlet} | Home | " + " | ".join(sections) + " | Subscribe | Sign in"


def outlet_snippet(outlet: str) -> str | None:
    """The footer snippet (one of SNIPPETS) every page of a NAV_OUTLETS outlet ends with."""
    return SNIPPETS[NAV_OUTLETS.index(outlet) % len(SNIPPETS)] if outlet in NAV_OUTLETS else None


def news_body(text: str, outlet: str) -> str:
    """A news document's text without its outlet furniture (navigation, byline, dateline,
    footers): the article (or notice) content as generated."""
    paras = text.split("\n\n")
    nav, snippet = outlet_nav(outlet), outlet_snippet(outlet)
    if nav is not None and paras and paras[0] == nav:
        paras = paras[1:]
    if paras and _BYLINE.match(paras[0]):
        paras = paras[1:]
    if snippet is not None and paras and paras[-1] == snippet:
        paras = paras[:-1]
    copyright_ = re.compile(rf"^Copyright \d{{4}} {re.escape(outlet)}\. All rights reserved\.$")
    if paras and (_WIRE_FOOTER.match(paras[-1]) or copyright_.match(paras[-1])):
        paras = paras[:-1]
    if paras:
        paras[0] = _DATELINE.sub("", paras[0], count=1)
    return "\n\n".join(paras)


def _quote(prose: Prose, rng: random.Random, speaker: str) -> list[str]:
    """``"<real-prose content>," Name said.`` (or ``?"`` for a question)."""
    toks = prose.sentence(rng, 30)
    end = "?" if toks[-1].endswith("?") else ","
    toks = toks[:]
    toks[0] = '"' + toks[0]
    toks[-1] = _core(toks[-1]) + end + '"'
    return toks + speaker.split() + ["said."] if rng.random() < 0.7 else toks + ["said"] + speaker.split()[:-1] + [
        speaker.split()[-1] + "."]


def _title(prose: Prose, rng: random.Random) -> str:
    toks = prose.sentence(rng)[: rng.randint(5, 11)]
    return " ".join(toks[:-1] + [_core(toks[-1])])


class _Topic:
    """A topic's pool of background sentences and quotes that its stories recycle."""

    def __init__(self, prose: Prose, seed: int, t: int):
        rng = random.Random(f"retold-news:{seed}:topic:{t}")
        self.id = f"t{t:04d}"
        self.day = rng.randint(0, 3600)
        self.city = rng.choice(_CITIES)
        speakers = [_name(rng) for _ in range(rng.randint(2, 4))]
        self.items: list[tuple[str, str, list[str]]] = []  # (item id, kind, tokens)
        for _ in range(rng.randint(5, 9)):
            self.items.append((f"{self.id}.{len(self.items)}", "sentence", prose.sentence(rng)))
        for _ in range(rng.randint(3, 6)):
            self.items.append((f"{self.id}.{len(self.items)}", "quote", _quote(prose, rng, rng.choice(speakers))))


def _news_plan(n_docs: int, rng: random.Random) -> tuple[list[int], list[int], int, dict[int, int]]:
    """Story sizes (0 = a notice) summing to n_docs, each story's topic, the number of
    topics, and for spliced stories the earlier story (of another topic) they lift from."""
    sizes, weights = zip(*VERSION_COUNTS)
    stories: list[int] = []
    left = n_docs
    while left > 0:
        if rng.random() < NOTICE_STORY_SHARE:
            k = 0
        else:
            k = min(rng.choices(sizes, weights)[0], left)
        stories.append(k)
        left -= max(k, 1)
    n = len(stories)
    n_topics = max(1, round(n / rng.uniform(*STORIES_PER_TOPIC)))
    topic_of = [rng.randrange(n_topics) for _ in range(n)]
    donor_of: dict[int, int] = {}
    donors: set[int] = set()
    for r in range(1, n):
        if stories[r] == 0 or rng.random() >= SPLICE_STORY_SHARE:
            continue
        for _ in range(10):
            d = rng.randrange(max(0, r - 500), r)
            if stories[d] and d not in donors and topic_of[d] != topic_of[r]:
                donor_of[r] = d
                donors.add(d)
                break
    return stories, topic_of, n_topics, donor_of


#: a version's content: paragraphs of (sentence id in the story, tokens); added sentences have id -1
Content = list  # list[list[tuple[int, list[str]]]]


def _words(content: Content, sids: set[int] | None = None) -> int:
    return sum(len(t) for para in content for sid, t in para if sids is None or sid in sids)


def _edit_content(content: Content, e: float, rng: random.Random, prose: Prose) -> Content:
    if e <= 0:
        return [list(para) for para in content]
    return [[(sid, edit_sentence(t, e, rng, prose)) for sid, t in para] for para in content]


def _derive(kind: str, parent: Content, e: float, rng: random.Random, prose: Prose) -> Content:
    """A version of ``parent``: see DERIVED; edited at rate ``e`` afterwards."""
    if kind == "dropped":
        slots = [(i, j) for i, para in enumerate(parent) for j in range(len(para)) if (i, j) != (0, 0)]
        gone = set(rng.sample(slots, min(len(slots) - 1, rng.randint(1, 3))))
        out = [[s for j, s in enumerate(para) if (i, j) not in gone] for i, para in enumerate(parent)]
        out = [para for para in out if para]
    elif kind == "added":
        out = [list(para) for para in parent]
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.5:  # a sentence into a paragraph
                para = out[rng.randrange(len(out))]
                para.insert(rng.randint(1, len(para)), (-1, prose.sentence(rng)))
            else:  # a paragraph of 1-3 sentences, not before the lede
                new = [(-1, prose.sentence(rng)) for _ in range(rng.randint(1, 3))]
                out.insert(rng.randint(1, len(out)), new)
    elif kind == "brief":  # the first paragraphs, 60-145 words
        target = rng.randint(60, 130)
        out, n = [], 0
        for para in parent:
            keep = []
            for sid, t in para:
                if n >= target or (n and n + len(t) > 145):
                    break
                keep.append((sid, t))
                n += len(t)
            if keep:
                out.append(keep)
            if len(keep) < len(para):
                break
    elif kind == "truncation":
        out = cut_prefix(parent, rng.uniform(0.4, 0.8) * _words(parent), size=lambda s: len(s[1]))
    else:  # reprint, edited
        out = parent
    return _edit_content(out, e, rng, prose)


def _furniture(outlet: str, credit: str | None, city: str, day: int, rng: random.Random,
               notice: bool = False) -> tuple[list[str], str, list[str]]:
    """(header paragraphs, dateline prefix, footer paragraphs) of one page of ``outlet``."""
    head: list[str] = []
    foot: list[str] = []
    nav = outlet_nav(outlet)
    if nav is not None:
        head.append(nav)
    wire = outlet in WIRES
    if not wire and not notice:
        head.append(f"By {_name(rng)}, {rng.choice(('Staff Writer', 'Staff Writer', 'Political Reporter', 'Correspondent'))}")
    if wire:
        foot.append(f"Reporting by {_name(rng)}; Editing by {_name(rng)}")
    else:
        year = _dt.date.fromordinal(_DAY0 + day).year
        foot.append(f"Copyright {year} {outlet}. All rights reserved.")
    snippet = outlet_snippet(outlet)
    if snippet is not None:
        foot.append(snippet)
    dateline = "" if notice else (f"{city} ({credit}) - " if credit else f"{city} - ")
    return head, dateline, foot


def _page(content: Content, head: list[str], dateline: str, foot: list[str]) -> str:
    paras = [" ".join(" ".join(t) for _, t in para) for para in content if para]
    paras[0] = dateline + paras[0]
    return "\n\n".join(head + paras + foot)


def default_news_dir(n_docs: int, seed: int = 0) -> Path:
    return _prose.DATA_DIR / f"news-{n_docs}-s{seed}"


def generate_news(n_docs: int, out_dir: Path, seed: int = 0, *, force: bool = False,
                  progress: bool = False) -> tuple[Path, Path]:
    """Write a news-like ``corpus.jsonl`` (``{"id","text","title","date","source"}``) and its
    story-level ``truth.json`` into ``out_dir`` (reused when its meta.json matches) and
    return their paths. See bench/README.md for what is in it."""
    if n_docs < 2:
        raise ValueError("n_docs must be >= 2")
    sentences = _prose.load_sentences()
    meta = {"kind": "news", "n_docs": n_docs, "seed": seed, "generator_version": NEWS_GENERATOR_VERSION,
            "prose": _prose.fingerprint(sentences)}
    out_dir, corpus_path, truth_path, cached = _start(Path(out_dir), meta, force)
    if cached:
        return corpus_path, truth_path
    t0 = time.perf_counter()
    prose = get_prose(sentences)
    plan_rng = random.Random(f"retold-news:{seed}:plan")
    stories, topic_of, n_topics, donor_of = _news_plan(n_docs, plan_rng)
    recipient_of = {d: r for r, d in donor_of.items()}
    perm = list(range(n_docs))
    plan_rng.shuffle(perm)
    width = _width(n_docs)
    swidth = max(5, len(str(len(stories) - 1)))
    kinds, kind_weights = zip(*DERIVED)

    topics: dict[int, _Topic] = {}
    story_of: dict[str, str] = {}
    parent_of: dict[str, str] = {}
    vtype_of: dict[str, str] = {}
    outlet_of: dict[str, str] = {}
    pairs: dict[tuple[str, str], tuple[str, float]] = {}
    item_docs: dict[str, list[str]] = defaultdict(list)
    item_story: dict[str, list[str]] = defaultdict(list)
    #: recipient story -> (passage tokens, [(donor doc, its edit rate from the donor's original)])
    pending: dict[int, tuple[list[list[str]], list[tuple[str, float]]]] = {}
    passages = 0
    writer = _SortedWriter(out_dir, perm, width)
    try:
        for si, size in enumerate(stories):
            rng = random.Random(f"retold-news:{seed}:story:{si}")
            sid_ = f"s{si:0{swidth}d}"
            t = topic_of[si]
            if t not in topics:
                topics[t] = _Topic(prose, seed, t)
            topic = topics[t]
            day = topic.day + rng.randint(0, 45)
            if size == 0:  # a notice: a templated frame around real prose
                title, opener, closer = rng.choice(_NOTICES)
                outlet = rng.choice(SOURCES)
                body = prose.sentences(rng, 22, 62)
                body[0] = opener.split() + body[0][:1] + body[0][1:]
                body[-1] = body[-1] + closer.format(outlet=outlet).split()
                head, dateline, foot = _furniture(outlet, None, topic.city, day, rng, notice=True)
                doc = writer.emit(text=_page([[(0, s) for s in body]], head, dateline, foot),
                                  title=f"{title}: {_title(prose, rng)}", date=_iso(day), source=outlet)
                story_of[doc], vtype_of[doc], outlet_of[doc] = sid_, "notice", outlet
                continue
            # the original article: own sentences, 1-3 recycled topic items, maybe a spliced passage
            sents: list[tuple[str, list[str]]] = [("own", s) for s in prose.sentences(rng, 220, 600)]
            for j in rng.sample(range(len(topic.items)), rng.randint(1, 3)):
                item_id, _, toks = topic.items[j]
                sents.insert(rng.randint(1, len(sents)), (item_id, toks))
            sids = list(range(len(sents)))
            content: Content = [[(i, sents[i][1]) for i in para] for para in paragraphs(sids, rng, 1, 4)]
            passage_sids: set[int] = set()
            splice = pending.pop(si, None)
            if splice is not None:
                ptoks, donor_docs = splice
                pe = rng.choice(SPLICE_RATES)
                para = []
                for toks in ptoks:
                    sents.append(("passage", edit_sentence(toks, pe, rng, prose)))
                    para.append((len(sents) - 1, sents[-1][1]))
                    passage_sids.add(len(sents) - 1)
                content.insert(rng.randint(1, len(content)), para)
            title = _title(prose, rng)
            first_outlet = rng.choice(WIRES) if rng.random() < 0.5 else rng.choice(SOURCES)
            credit = first_outlet if first_outlet in WIRES else None
            # versions: (content, kind, edit rate, parent index, outlet, day, doc id)
            versions: list[dict] = []
            for v in range(size):
                if v == 0:
                    kind, e, parent, vc, outlet, vday, vtitle = "original", 0.0, None, content, first_outlet, day, title
                else:
                    full = [i for i, x in enumerate(versions) if x["kind"] not in ("brief", "truncation")]
                    parent = 0 if rng.random() < 0.55 else rng.choice(full)
                    p = versions[parent]
                    kind = rng.choices(kinds, kind_weights)[0]
                    e = rng.choice(NEWS_RATES[kind])
                    vc = _derive(kind, p["content"], e, rng, prose)
                    outlet = rng.choice([s for s in SOURCES if s != p["outlet"]])
                    vday = p["day"] + rng.randint(0, 3)
                    vtitle = p["title"] if e == 0 else " ".join(edit_sentence(p["title"].split(), e, rng, prose))[:-1]
                head, dateline, foot = _furniture(outlet, outlet if outlet in WIRES else credit, topic.city, vday, rng)
                doc = writer.emit(text=_page(vc, head, dateline, foot), title=vtitle, date=_iso(vday), source=outlet)
                versions.append({"content": vc, "kind": kind, "e": e, "parent": parent, "outlet": outlet,
                                 "day": vday, "title": vtitle, "doc": doc,
                                 "anc": [v] + (versions[parent]["anc"] if parent is not None else [])})
                story_of[doc], vtype_of[doc], outlet_of[doc] = sid_, kind, outlet
                if parent is not None:
                    parent_of[doc] = versions[parent]["doc"]
                kept = {sid for para in vc for sid, _ in para}
                for sid in kept:
                    if sents[sid][0] not in ("own", "passage"):
                        item_docs[sents[sid][0]].append(doc)
                        item_story[sents[sid][0]].append(sid_)
            # cumulative edit rate from the original, pairs within the story
            for x in versions:
                x["rate"] = sum(versions[a]["e"] for a in x["anc"])
            for i in range(size):
                for j in range(i + 1, size):
                    ai, aj = versions[i]["anc"], versions[j]["anc"]
                    lca = next(a for a in ai if a in aj)
                    path = ai[:ai.index(lca)] + aj[:aj.index(lca)]
                    kinds_on = {versions[a]["kind"] for a in path}
                    typ = next(k for k in PAIR_PRIORITY if k in kinds_on)
                    rate = round(sum(versions[a]["e"] for a in path), 4)
                    a, b = sorted((versions[i]["doc"], versions[j]["doc"]))
                    pairs[(a, b)] = (typ, rate)
            # spliced passage: this story's docs that kept it x the donor's docs that kept it
            if splice is not None:
                for x in versions:
                    if _words(x["content"], passage_sids) >= PASSAGE_MIN_KEPT:
                        for ddoc, drate in donor_docs:
                            a, b = sorted((ddoc, x["doc"]))
                            pairs[(a, b)] = ("passage", round(drate + pe + x["rate"], 4))
                            passages += 1
            # ... and if this story is a donor: lift 50-120 words of consecutive own sentences
            r = recipient_of.get(si)
            if r is not None:
                order = [sid for para in content for sid, _ in para]
                for _ in range(20):
                    k = rng.randrange(len(order))
                    run: list[int] = []
                    n = 0
                    while k < len(order) and sents[order[k]][0] == "own" and n + len(sents[order[k]][1]) <= 120:
                        run.append(order[k])
                        n += len(sents[order[k]][1])
                        k += 1
                    if n >= 50:
                        break
                else:
                    run = []
                if run:
                    rs = set(run)
                    donor_docs = [(x["doc"], x["rate"]) for x in versions if _words(x["content"], rs) >= PASSAGE_MIN_KEPT]
                    pending[r] = ([sents[i][1] for i in run], donor_docs)
            if progress and si % 2000 == 0:
                print(f"\r{writer.slot}/{n_docs} documents", end="", file=sys.stderr)
        writer.finish(corpus_path)
    finally:
        writer.close()

    # recycled sentences: pairs of documents of different stories sharing one (information only)
    recycled_pairs = 0
    by_topic: dict[str, list[str]] = defaultdict(list)
    for item in item_docs:
        by_topic[item.split(".")[0]].append(item)
    for items in by_topic.values():
        shared: set[tuple[str, str]] = set()
        for item in items:
            docs = sorted(zip(item_docs[item], item_story[item]))
            for (a, sa), (b, sb) in combinations(docs, 2):
                if sa != sb:
                    shared.add((a, b))
        recycled_pairs += len(shared)
    item_info = {}
    for t in sorted(topics):
        for item_id, kind, toks in topics[t].items:
            item_info[item_id] = {"kind": kind, "text": " ".join(toks), "docs": sorted(item_docs.get(item_id, []))}
    sizes_count = Counter(stories)
    truth = {
        **meta,
        "python": sys.version.split()[0],
        "prose_sizes": {src: {"sentences": s, "words": w} for src, (s, w) in prose.sizes.items()},
        "version_types": list(VERSION_TYPES),
        "pair_types": list(PAIR_TYPES),
        "edit_rates": {k: sorted(set(v)) for k, v in NEWS_RATES.items()} | {"passage": sorted(set(SPLICE_RATES))},
        "counts": {
            "stories": len(stories),
            "topics": n_topics,
            "notices": sizes_count.get(0, 0),
            "stories_by_versions": {str(k): sizes_count[k] for k in sorted(sizes_count) if k},
            "docs_by_version_type": dict(sorted(Counter(vtype_of.values()).items())),
            "pairs_by_type": dict(sorted(Counter(t for t, _ in pairs.values()).items())),
            "spliced_stories": len(donor_of),
            "recycled_items": len(item_info),
            "recycled_pairs": recycled_pairs,
        },
        "outlets": {o: {"wire": o in WIRES, "nav": outlet_nav(o), "footer_snippet": outlet_snippet(o)}
                    for o in SOURCES},
        "topic_of_story": {f"s{si:0{swidth}d}": f"t{t:04d}" for si, t in enumerate(topic_of)},
        "story_of": dict(sorted(story_of.items())),
        "parent_of": dict(sorted(parent_of.items())),
        "version_type_of": dict(sorted(vtype_of.items())),
        "outlet_of": dict(sorted(outlet_of.items())),
        "recycled": item_info,
    }
    _write_truth(truth_path, truth, [
        ("pairs", (json.dumps({"a": a, "b": b, "type": t, "edit_rate": e}) for (a, b), (t, e) in sorted(pairs.items()))),
    ])
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    if progress:
        print(f"\r{n_docs} documents, {len(stories)} stories, {len(pairs)} positive pairs in "
              f"{time.perf_counter() - t0:.1f}s", file=sys.stderr)
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
    ap.add_argument("--out", type=Path, default=None,
                    help="default: bench/data/corpus-<docs>-s<seed> (news-<docs>-s<seed> with --news)")
    ap.add_argument("--news", action="store_true", help="the news-like corpus with story-level truth")
    ap.add_argument("--force", action="store_true", help="regenerate even if cached")
    ap.add_argument("--overlap", action="store_true",
                    help="also measure word 5-grams shared by unrelated documents (and natural text)")
    args = ap.parse_args(argv)
    if args.news and args.overlap:
        ap.error("--overlap measures the classic corpus only")
    gen, default = (generate_news, default_news_dir) if args.news else (generate, default_dir)
    out = args.out or default(args.docs, args.seed)
    t0 = time.perf_counter()
    corpus, truth = gen(args.docs, out, args.seed, force=args.force, progress=True)
    print(f"{corpus}\n{truth}\n({time.perf_counter() - t0:.1f}s)")
    if args.overlap:
        print("generated background:", json.dumps(unrelated_overlap(corpus, truth), indent=1))
        print("natural text:", json.dumps(natural_overlap(), indent=1))
    return 0


def default_dir(n_docs: int, seed: int = 0) -> Path:
    return _prose.DATA_DIR / f"corpus-{n_docs}-s{seed}"


if __name__ == "__main__":
    raise SystemExit(main())
