"""Shingles and MinHash signatures: the fixed-size summaries every later stage works on.

Definitions (fixed: the same bytes on every machine, worker count and engine; never
Python's built-in, per-process salted string hash):

- **token hash.** A normalised token ``t`` (exactly the strings
  :func:`retold.core.normalize.tokenize` returns) is hashed over its Unicode code points
  ``c_1..c_n`` by a 64-bit polynomial (Horner) hash and a finaliser::

      h = S(seed);  h = h * P + c_i  (mod 2**64) for each code point;  hash = mix64(h)

  with ``P = 0xD6E8FEB86659FD93`` and ``S(seed) = mix64(seed + 0x9E3779B97F4A7C15)``.
  Polynomial hashing is what lets NumPy hash every token of a whole batch at once:
  a token's hash is a sum of per-character terms ``c_i * P**(chars after i)``.
- **shingle hash.** ``size`` consecutive token hashes folded with a fixed odd multiplier
  (``acc = acc * 0x9E3779B97F4A7C15 + t``) and finished with ``mix64``.
- **shingle set.** The sorted, de-duplicated shingle hashes of a document (exact; used for
  verification and the inverted index).
- **signature.** Fast similarity sketching (Dahlgaard, Knudsen & Thorup 2017): each
  shingle is re-hashed once, ``g = mix64(s ^ K(seed))``. In round r = 0, 1, ... every
  shingle gets the value ``h_r = g * A_r + B_r`` (mod 2**64; ``A_0 = 1, B_0 = 0``, the other
  odd ``A_r`` and ``B_r`` drawn once from the seed) and falls into bin
  ``((h_r >> 32) * num_perm) >> 32``; a bin still empty at the start of round r takes the
  minimum ``h_r`` of the shingles falling into it. Rounds stop as soon as no bin is empty
  (round 0 alone is one-permutation hashing; a 400-shingle document needs 2-3 rounds).
  From round ``num_perm`` on, shingle s goes to bin ``(bin_0(s) + r - num_perm + 1) mod
  num_perm`` instead, so every bin is filled by round ``2 * num_perm - 2``. Entry k of the
  signature is bin k's value; the fraction of equal entries estimates the Jaccard
  similarity. O(shingles + num_perm log num_perm) instead of O(shingles * num_perm) for
  classic MinHash, and a lower estimation error (measured in docs/performance.md). An
  empty set has the all-ones signature.
- ``mix64`` is splitmix64's finaliser.

Fast path (:func:`sketch_texts`): the texts of a batch are joined and turned into one
array of code points; a character class table (word character / joiner / other, exactly
the classes of :data:`retold.core.normalize.TOKEN_RE`) gives token boundaries, and each word
character contributes its normalised form (``NFKC(c).casefold()`` minus joiners; one
code point for ASCII, 0..3 for e.g. ``ß``, ``ﬁ``, ``İ``) to the polynomial. This equals
normalising whole tokens except where NFKC composes across characters (Hangul jamo and
a few scripts' vowel signs: characters whose decomposition starts with a combining mark
or a character that can be the second half of a canonical composition). A document with
such a character inside a token is sketched by the reference path instead
(:func:`shingle_set_reference`, pure Python on :func:`~retold.core.normalize.tokenize`'s
tokens), so the result is identical either way (tested with hypothesis).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Sequence

import numpy as np

from retold.config import MinHashConfig, ShingleConfig
from retold.core import _align, _sets
from retold.core._unicode_tables import COMPOSITION_SECONDS
from retold.core.normalize import JOINERS, tokenize
from retold.core.hashing import EMPTY, FOLD, MASK, P, P_INT, U64, mix64, round_keys, seed_key, start
from retold.core.sketch_reference import token_hash_reference

#: version of the definitions above; anything that stores shingle sets or signatures
#: (an index) must store it and refuse to mix versions. 1: xxh3 tokens + classic MinHash
#: (before 2026-11-21); 2: polynomial token hash + fast similarity sketching.
SKETCH_VERSION = 2

#: the fast path works on chunks of about this many characters (bounds its memory)
_CHUNK_CHARS = 1 << 18

# character classes of TOKEN_RE: other (separator), word character [^\W_], joiner
_SEP, _WORD, _JOIN = 0, 1, 2

# -- character tables ----------------------------------------------------------------------

_WORD_RE = re.compile(r"[^\W_]")
_STRIP = str.maketrans("", "", JOINERS)


def _ascii_tables() -> tuple[np.ndarray, np.ndarray]:
    """Class and normalised code point of the 128 ASCII characters (+ a slot 128: 'look up')."""
    cls = np.zeros(129, dtype=np.uint8)
    low = np.zeros(129, dtype=np.uint64)
    for c in range(128):
        ch = chr(c)
        if _WORD_RE.match(ch):
            cls[c] = _WORD
            low[c] = ord(ch.lower())
        elif ch in JOINERS:
            cls[c] = _JOIN
    return cls, low


_ASCII_CLS, _ASCII_LOW = _ascii_tables()


#: no code point at or above this has a canonical decomposition (checked by the tests)
_DECOMPOSABLE_BELOW = 0x30000


@lru_cache(maxsize=1)
def _composition_seconds() -> frozenset[str]:
    """Characters that can be the second half of a canonical composition (incl. Hangul V/T):
    stored for this Python's Unicode version (:mod:`retold.core._unicode_tables`), else computed."""
    stored = COMPOSITION_SECONDS.get(unicodedata.unidata_version)
    if stored is None:
        return _computed_composition_seconds()
    return frozenset(chr(c) for lo, hi in stored for c in range(lo, hi + 1))


def _computed_composition_seconds() -> frozenset[str]:
    """:func:`_composition_seconds` from :mod:`unicodedata` (every code point's decomposition)."""
    seconds = {chr(c) for c in range(0x1161, 0x1176)} | {chr(c) for c in range(0x11A8, 0x11C3)}
    for c in range(_DECOMPOSABLE_BELOW):
        d = unicodedata.decomposition(chr(c))
        if d and not d.startswith("<"):
            parts = d.split()
            if len(parts) == 2:
                seconds.add(chr(int(parts[1], 16)))
    return frozenset(seconds)


class _CharInfo:
    """Per non-ASCII code point: class, normalised form's polynomial term and length, and
    whether it needs the reference path (computed on first sight, then memoised)."""

    def __init__(self) -> None:
        self.memo: dict[int, tuple[int, int, int, bool]] = {}

    def lookup(self, cps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        memo = self.memo
        n = len(cps)
        cls = np.empty(n, dtype=np.uint8)
        term = np.empty(n, dtype=np.uint64)
        length = np.empty(n, dtype=np.int64)
        hard = np.empty(n, dtype=bool)
        for i, c in enumerate(cps.tolist()):
            info = memo.get(c)
            if info is None:
                info = memo[c] = self._compute(c)
            cls[i], term[i], length[i], hard[i] = info
        return cls, term, length, hard

    @staticmethod
    def _compute(c: int) -> tuple[int, int, int, bool]:
        ch = chr(c)
        if _WORD_RE.match(ch):
            kind = _WORD
        elif ch in JOINERS:
            kind = _JOIN
        else:
            return _SEP, 0, 0, False
        norm = unicodedata.normalize("NFKC", ch).casefold().translate(_STRIP)
        term = 0
        for x in norm:
            term = (term * P_INT + ord(x)) & MASK
        d = unicodedata.normalize("NFKD", ch)
        hard = unicodedata.combining(d[0]) != 0 or d[0] in _composition_seconds()
        if kind == _JOIN and norm:
            hard = True  # never happens with the current JOINERS; kept correct regardless
        return kind, term, len(norm), hard


_CHARS = _CharInfo()


class _Powers:
    """P**k mod 2**64 for k = 0.. (grown on demand)."""

    def __init__(self) -> None:
        self.table = self._make(4096)

    @staticmethod
    def _make(n: int) -> np.ndarray:
        t = np.empty(n, dtype=np.uint64)
        t[0] = 1
        t[1:] = P
        return np.cumprod(t, dtype=np.uint64)

    def __call__(self, upto: int) -> np.ndarray:
        if upto >= len(self.table):
            self.table = self._make(max(upto + 1, 2 * len(self.table)))
        return self.table


_POW = _Powers()


# -- token hashes --------------------------------------------------------------------------


def _poly_tokens(terms: np.ndarray, lengths: np.ndarray, tstart: np.ndarray, seed: int) -> np.ndarray:
    """Token hashes from per-character polynomial terms.

    ``terms[i]``/``lengths[i]``: polynomial and length (in code points) of character i's
    normalised form; token j is characters ``tstart[j]:tstart[j+1]`` (the last one runs to
    the end). Returns ``mix64(S * P**L + sum_i terms[i] * P**(code points after i))``.
    """
    ntok = len(tstart)
    if ntok == 0:
        return EMPTY
    n = len(terms)
    cl = np.cumsum(lengths)  # code points up to and including character i
    bounds = np.empty(ntok + 1, dtype=np.int64)
    bounds[:-1] = tstart
    bounds[-1] = n
    cl_end = cl[bounds[1:] - 1]  # cumulative length at each token's last character
    cl_before = np.zeros(ntok, dtype=np.int64)
    cl_before[1:] = cl_end[:-1]
    tok_len = cl_end - cl_before
    pw = _POW(int(tok_len.max()) if ntok else 0)
    tid = np.repeat(np.arange(ntok), np.diff(bounds))
    contrib = terms * pw[cl_end[tid] - cl]
    h = np.add.reduceat(contrib, tstart)
    h += U64(start(seed)) * pw[tok_len]
    return mix64(h)


def token_hashes(tokens: Sequence[str], seed: int = 0) -> np.ndarray:
    """64-bit hashes of normalised tokens (uint64 array), all at once with NumPy."""
    n = len(tokens)
    if n == 0:
        return EMPTY
    joined = "".join(tokens)
    if joined.isascii():
        cps = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    else:
        cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=n)
    ends = np.cumsum(lengths)
    if len(cps) > _PREFIX_MAX:
        nonempty = lengths > 0
        out = np.full(n, token_hash_reference("", seed), dtype=np.uint64)
        if nonempty.any():
            out[nonempty] = _poly_tokens(cps.astype(np.uint64), np.ones(len(cps), dtype=np.int64),
                                         (ends - lengths)[nonempty], seed)
        return out
    # all token polynomials from one prefix sum: sum_{s<=i<e} c_i P**(e-1-i) = P**(e-1) (C[e] - C[s])
    pw, pinv = _PREFIX(len(cps) + 1)
    c = np.zeros(len(cps) + 1, dtype=np.uint64)
    np.multiply(cps, pinv[: len(cps)], out=c[1:], dtype=np.uint64)
    np.cumsum(c, out=c)
    h = c[ends]
    h -= c[ends - lengths]
    h *= pw[np.maximum(ends - 1, 0)]
    h += U64(start(seed)) * pw[lengths]
    return mix64(h)


def shingle_hashes(thashes: np.ndarray, size: int) -> np.ndarray:
    """Hashes of every run of ``size`` consecutive tokens, in text order (not de-duplicated)."""
    n = len(thashes) - size + 1
    if n <= 0:
        return EMPTY
    acc = thashes[:n].astype(np.uint64, copy=True)
    for j in range(1, size):
        acc *= FOLD
        acc += thashes[j : j + n]
    return mix64(acc)


# -- the batch fast path -------------------------------------------------------------------


@dataclass(slots=True)
class _Stats:
    docs: int = 0
    unicode_docs: int = 0
    fallback_docs: int = 0


#: how many documents the fast path has seen / sent to the reference path (this process)
STATS = _Stats()


def _ascii_translation() -> bytes:
    """bytes.translate table for ASCII text: word characters lowercased, the rest -> space."""
    t = bytearray(b" " * 256)
    for c in range(128):
        if _ASCII_CLS[c] == _WORD:
            t[c] = int(_ASCII_LOW[c])
    return bytes(t)


ASCII_NORMAL = _ascii_translation()
ASCII_JOINERS = bytes(c for c in range(128) if _ASCII_CLS[c] == _JOIN)
_PINV_INT = pow(P_INT, -1, 1 << 64)
#: above this many characters a chunk uses the per-token path (bounded power tables)
_PREFIX_MAX = 1 << 20


class _PrefixPowers:
    """P**k and P**-k mod 2**64 for k = 0.. (grown on demand, up to _PREFIX_MAX)."""

    def __init__(self) -> None:
        self.pw = self.pinv = EMPTY

    def __call__(self, upto: int) -> tuple[np.ndarray, np.ndarray]:
        if upto >= len(self.pw):
            n = min(max(upto + 1, 2 * len(self.pw), 1 << 16), _PREFIX_MAX + 1)
            self.pw, self.pinv = _Powers._make(n), np.empty(n, dtype=np.uint64)
            self.pinv[0] = 1
            self.pinv[1:] = U64(_PINV_INT)
            np.cumprod(self.pinv, out=self.pinv)
        return self.pw, self.pinv


_PREFIX = _PrefixPowers()


#: the ASCII tokeniser's tables for the compiled kernels: each byte's normalised form (32:
#: not part of a word), and 1 for the joiners (left out inside a token)
ASCII_NORMAL_TABLE = bytes(ASCII_NORMAL)
ASCII_JOINER_TABLE = bytes(1 if c in ASCII_JOINERS else 0 for c in range(256))


def ascii_token_hashes(texts: Sequence[str], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Token hashes of ASCII texts (concatenated) and tokens per text, in one compiled pass
    over each text (:func:`retold.core._align.ascii_token_hashes`, the tokeniser passage
    alignment uses): joiners are left out and other non-word bytes end tokens; a token's
    hash is ``mix64(S * P**len + sum of its normalised bytes * P**(bytes after))``."""
    return _align.ascii_token_hashes([t.encode("ascii") for t in texts], ASCII_NORMAL_TABLE, ASCII_JOINER_TABLE,
                                     start(seed), P_INT)


def _unicode_token_hashes(texts: Sequence[str], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Token hashes (concatenated) and tokens per text, for any texts (code point arrays)."""
    th, ntok, _, _ = unicode_tokens(texts, seed)
    return th, ntok


#: code points tokenised at a time by :func:`unicode_tokens` (its arrays take ~64 bytes each)
UNICODE_CHARS = 1 << 18
_SPACE = re.compile(r"\s")


def unicode_tokens(texts: Sequence[str], seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Token hashes (concatenated), tokens per text, and each token's [start, end) in its
    text (int64), for any texts, vectorised over code points: the hashes of
    :func:`token_hashes` of ``tokenize_spans(text).tokens``, the spans of ``tokenize_spans``
    (a token runs from a word character to the last one reachable through joiners).

    Texts are taken about :data:`UNICODE_CHARS` code points at a time, a long one cut at
    white space (no token spans it), so memory stays bounded whatever their length."""
    pieces: list[str] = []
    owner: list[int] = []
    shift: list[int] = []
    for d, text in enumerate(texts):
        lo = 0
        while len(text) - lo > UNICODE_CHARS:
            cut = _SPACE.search(text, lo + UNICODE_CHARS)
            if cut is None:
                break
            pieces.append(text[lo : cut.start()])
            owner.append(d)
            shift.append(lo)
            lo = cut.start()
        pieces.append(text[lo:] if lo else text)
        owner.append(d)
        shift.append(lo)
    parts = []
    hard: set[int] = set()
    for lo, hi in _chunks(pieces, UNICODE_CHARS):
        th, ntok, starts, ends, hard_pieces = _unicode_tokens(pieces[lo:hi], seed)
        parts.append((th, ntok, starts, ends))
        hard.update(owner[lo + i] for i in hard_pieces)
    STATS.fallback_docs += len(hard)
    ntok = np.concatenate([p[1] for p in parts])
    moved = np.repeat(np.asarray(shift, dtype=np.int64), ntok)
    per_text = np.bincount(np.asarray(owner, dtype=np.int64), weights=ntok, minlength=len(texts)).astype(np.int64)
    return (np.concatenate([p[0] for p in parts]), per_text, np.concatenate([p[2] for p in parts]) + moved,
            np.concatenate([p[3] for p in parts]) + moved)


def _unicode_tokens(texts: Sequence[str], seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[int]]:
    """:func:`unicode_tokens` of texts taken at once, and the texts that needed the
    reference hashing."""
    n = len(texts)
    big = "\n".join(texts)  # "\n" separates: no token spans two texts
    doc_len = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    doc_start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(doc_len + 1, out=doc_start[1:])
    buf = np.frombuffer(big.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    small = np.minimum(buf, 128)
    cls = _ASCII_CLS[small]
    hi = np.flatnonzero(small == 128)
    u, inv = np.unique(buf[hi], return_inverse=True)
    u_cls, u_term, u_len, u_hard = _CHARS.lookup(u)
    cls[hi] = u_cls[inv]
    wpos = np.flatnonzero(cls == _WORD)
    if len(wpos) == 0:
        none = np.empty(0, dtype=np.int64)
        return EMPTY, np.zeros(n, dtype=np.int64), none, none, []
    # consecutive word characters are in the same token iff only joiners lie between them
    sepcum = np.cumsum(cls == _SEP, dtype=np.int32)[wpos]
    new_tok = np.empty(len(wpos), dtype=bool)
    new_tok[0] = True
    np.not_equal(sepcum[1:], sepcum[:-1], out=new_tok[1:])
    tstart = np.flatnonzero(new_tok)
    terms = _ASCII_LOW[small[wpos]]
    lengths = np.ones(len(wpos), dtype=np.int64)
    # word characters outside ASCII: their normalised forms from the table
    hw = np.flatnonzero(small[wpos] == 128)
    hk = inv[np.searchsorted(hi, wpos[hw])]
    terms[hw] = u_term[hk]
    lengths[hw] = u_len[hk]
    hard_pos = wpos[hw[u_hard[hk]]]
    hard_docs = np.unique(np.searchsorted(doc_start, hard_pos, side="right") - 1)
    th = _poly_tokens(terms, lengths, tstart, seed)
    ntok = np.diff(np.searchsorted(wpos[tstart], doc_start))
    if len(hard_docs):
        off = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(ntok, out=off[1:])
        for d in hard_docs.tolist():
            ref = [token_hash_reference(t, seed) for t in tokenize(texts[d])]
            if len(ref) != ntok[d]:  # pragma: no cover - boundaries are exact by construction
                raise AssertionError("fast and reference tokenisation disagree")
            th[off[d] : off[d + 1]] = np.asarray(ref, dtype=np.uint64)
    last = np.empty(len(tstart), dtype=np.int64)  # each token's last word character
    last[:-1] = tstart[1:] - 1
    last[-1] = len(wpos) - 1
    shift = np.repeat(doc_start[:-1], ntok)
    return th, ntok, wpos[tstart] - shift, wpos[last] + 1 - shift, hard_docs.tolist()


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def asciify(text: str) -> str | None:
    """``text`` with its non-ASCII characters replaced by ASCII ones of the same class, when
    they are all separators (curly double quotes, dashes, currency signs, ...) or joiners
    (``’``), which tokenise and normalise exactly like a space or ``'``; else None."""
    chars = set(_NON_ASCII.findall(text))
    if len(chars) > 8:
        return None
    memo = _CHARS.memo
    for ch in chars:
        info = memo.get(ord(ch))
        if info is None:
            info = memo[ord(ch)] = _CharInfo._compute(ord(ch))
        if info[0] == _WORD or info[2] or info[3]:
            return None
        text = text.replace(ch, " " if info[0] == _SEP else "'")
    return text


def _batch_token_hashes(texts: Sequence[str], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(token hashes of all texts, concatenated; tokens per text) = tokenize + token_hashes."""
    n = len(texts)
    STATS.docs += n
    ascii_mask = np.fromiter(map(str.isascii, texts), dtype=bool, count=n)
    if not ascii_mask.all():
        texts = list(texts)
        for i in np.flatnonzero(~ascii_mask).tolist():
            t = asciify(texts[i])
            if t is not None:
                texts[i] = t
                ascii_mask[i] = True
    if ascii_mask.all():
        return ascii_token_hashes(texts, seed)
    STATS.unicode_docs += int(n - ascii_mask.sum())
    if not ascii_mask.any():
        return _unicode_token_hashes(texts, seed)
    ia, iu = np.flatnonzero(ascii_mask), np.flatnonzero(~ascii_mask)
    tha, na = ascii_token_hashes([texts[i] for i in ia.tolist()], seed)
    thu, nu = _unicode_token_hashes([texts[i] for i in iu.tolist()], seed)
    ntok = np.empty(n, dtype=np.int64)
    ntok[ia], ntok[iu] = na, nu
    off = np.zeros(n, dtype=np.int64)
    np.cumsum(ntok[:-1], out=off[1:])
    th = np.empty(len(tha) + len(thu), dtype=np.uint64)
    for idx, part, cnt in ((ia, tha, na), (iu, thu, nu)):
        if len(part):
            src = np.zeros(len(cnt), dtype=np.int64)
            np.cumsum(cnt[:-1], out=src[1:])
            th[np.arange(len(part)) + np.repeat(off[idx] - src, cnt)] = part
    return th, ntok


def _batch_shingle_sets(
    texts: Sequence[str], config: ShingleConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(concatenated sorted unique shingle sets, offsets, tokens per text, the shingles in
    text order: :func:`shingle_positions` of each text, concatenated).

    Texts with fewer than ``config.min_tokens`` tokens get an empty set and no positions.
    """
    n = len(texts)
    th, ntok = _batch_token_hashes(texts, config.seed)
    size = config.size
    tok_off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(ntok, out=tok_off[1:])
    sh = shingle_hashes(th, size)
    # shingle i is kept iff it lies inside one document long enough to be sketched
    per_doc = np.where(ntok >= config.min_tokens, np.maximum(ntok - size + 1, 0), 0)
    keep_doc = np.repeat(np.arange(n), per_doc)
    if len(keep_doc):
        first = np.zeros(n, dtype=np.int64)
        np.cumsum(per_doc[:-1], out=first[1:])
        idx = np.arange(len(keep_doc)) - first[keep_doc] + tok_off[keep_doc]
        sh = sh[idx]
    else:
        sh = EMPTY
    positions = sh.copy()
    off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(per_doc, out=off[1:])
    for d in np.flatnonzero(per_doc > 1).tolist():
        sh[off[d] : off[d + 1]].sort()  # NumPy's vectorised sort: faster than one compiled loop of std::sort
    if len(sh) > 1:
        keep = np.empty(len(sh), dtype=bool)
        keep[0] = True
        np.not_equal(sh[1:], sh[:-1], out=keep[1:])
        keep[off[1:-1][per_doc[1:] > 0]] = True  # first shingle of every document
        if not keep.all():
            sh = sh[keep]
            counts = np.add.reduceat(keep, off[:-1][per_doc > 0], dtype=np.int64) if (per_doc > 0).any() else np.zeros(0, np.int64)
            lens = np.zeros(n, dtype=np.int64)
            lens[per_doc > 0] = counts
            np.cumsum(lens, out=off[1:])
    return sh, off, ntok, positions


# -- signatures ----------------------------------------------------------------------------


def _signatures(sh: np.ndarray, off: np.ndarray, config: MinHashConfig) -> np.ndarray:
    """Signatures (n, num_perm) of the sets ``sh[off[i]:off[i+1]]`` (see the module docstring),
    in one compiled pass per document (:func:`retold.core._sets.signatures`)."""
    mult, add = round_keys(config.num_perm, config.seed)
    return _sets.signatures(np.ascontiguousarray(sh, dtype=np.uint64), np.ascontiguousarray(off, dtype=np.int64),
                            config.num_perm, seed_key(config.seed), mult, add)


def minhash(shingles: np.ndarray, config: MinHashConfig = MinHashConfig()) -> np.ndarray:
    """MinHash signature (uint64[num_perm]) of one shingle set; all-ones for an empty set."""
    sh = np.asarray(shingles, dtype=np.uint64)
    return _signatures(sh, np.array([0, len(sh)], dtype=np.int64), config)[0]


# -- public API ----------------------------------------------------------------------------


def shingle_set(text: str, config: ShingleConfig = ShingleConfig()) -> tuple[np.ndarray, int]:
    """(sorted unique shingle hashes, number of tokens) of a text."""
    th, ntok = _batch_token_hashes([text], config.seed)
    return np.unique(shingle_hashes(th, config.size)), int(ntok[0])


def shingle_positions(text: str, config: ShingleConfig = ShingleConfig()) -> np.ndarray:
    """The shingle hash at each position of a text, in text order: window i covers tokens
    i .. i + size - 1 (empty when the text has fewer than ``size`` tokens)."""
    pos, _ = shingle_positions_batch([text], config)
    return pos


def shingle_positions_batch(texts: Sequence[str], config: ShingleConfig = ShingleConfig()) -> tuple[np.ndarray, np.ndarray]:
    """:func:`shingle_positions` of many texts at once: (concatenated, offsets)."""
    th, ntok = _batch_token_hashes(texts, config.seed)
    n = len(texts)
    tok_off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(ntok, out=tok_off[1:])
    sh = shingle_hashes(th, config.size)
    per_doc = np.maximum(ntok - config.size + 1, 0)
    off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(per_doc, out=off[1:])
    starts = np.repeat(tok_off[:-1] - off[:-1], per_doc)  # window j of doc d is sh[tok_off[d] + j]
    return sh[np.arange(int(off[-1])) + starts], off


@dataclass(frozen=True, slots=True)
class SketchBatch:
    """Sketches of a batch of documents, as flat arrays (cheap to pickle between processes).

    Document i's shingle set is ``shingles[offsets[i]:offsets[i+1]]``.
    """

    shingles: np.ndarray  # uint64, concatenated sorted sets
    offsets: np.ndarray  # int64, len n+1
    tokens: np.ndarray  # int64, tokens per document
    signatures: np.ndarray  # uint64 (n, num_perm)
    #: the shingles in text order of every sketched document (``tokens - size + 1`` each,
    #: none for a too-short one), concatenated: what word coverage reads
    positions: np.ndarray = field(default_factory=lambda: EMPTY)

    def __len__(self) -> int:
        return len(self.tokens)

    def shingles_of(self, i: int) -> np.ndarray:
        return self.shingles[self.offsets[i] : self.offsets[i + 1]]


def _chunks(texts: Sequence[str], most: int = _CHUNK_CHARS) -> list[tuple[int, int]]:
    """[lo, hi) ranges of texts of about ``most`` characters each."""
    out, lo, chars = [], 0, 0
    for i, t in enumerate(texts):
        chars += len(t)
        if chars >= most:
            out.append((lo, i + 1))
            lo, chars = i + 1, 0
    if lo < len(texts) or not out:
        out.append((lo, len(texts)))
    return out


def sketch_texts(texts: Sequence[str], shingle: ShingleConfig, mh: MinHashConfig) -> SketchBatch:
    """Sketch a batch of texts. Too-short texts get an empty set (they are never paired)."""
    texts = list(texts)
    if not texts:
        return SketchBatch(EMPTY, np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64),
                           np.empty((0, mh.num_perm), dtype=np.uint64))
    parts = [_batch_shingle_sets(texts[lo:hi], shingle) for lo, hi in _chunks(texts)]
    if len(parts) == 1:
        sh, off, ntok, pos = parts[0]
    else:
        sh = np.concatenate([p[0] for p in parts])
        ntok = np.concatenate([p[2] for p in parts])
        pos = np.concatenate([p[3] for p in parts])
        lens = np.concatenate([np.diff(p[1]) for p in parts])
        off = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(lens, out=off[1:])
    return SketchBatch(sh, off, ntok, _signatures(sh, off, mh), pos)
