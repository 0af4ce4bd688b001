"""Shingles and MinHash signatures: the fixed-size summaries every later stage works on.

- each normalised token is hashed with xxh3-64 (fixed seed), never Python's ``hash()``;
- a shingle is ``size`` consecutive tokens, hashed by folding the token hashes with a
  fixed multiplier and finishing with a 64-bit mixer (vectorised with NumPy);
- a document's shingle set is the sorted, de-duplicated array of its shingle hashes
  (exact, used for verification and the inverted index);
- its MinHash signature takes, for each of ``num_perm`` fixed odd multipliers ``a_k`` and
  offsets ``b_k``, the minimum of ``a_k * h + b_k (mod 2**64)`` over its shingles.

Everything here is a pure function of the text and the parameters: the same bytes on
every machine, worker count and engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np
import xxhash

from .config import MinHashConfig, ShingleConfig
from .normalize import tokenize

_U64 = np.uint64
_FOLD = _U64(0x9E3779B97F4A7C15)  # golden-ratio odd constant
_M1 = _U64(0xBF58476D1CE4E5B9)  # splitmix64 finaliser constants
_M2 = _U64(0x94D049BB133111EB)
EMPTY = np.empty(0, dtype=np.uint64)
_TOKEN_CACHE_MAX = 1 << 20


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, element-wise: a fixed bijection that scrambles all bits."""
    x = x.astype(np.uint64, copy=True)
    x ^= x >> _U64(30)
    x *= _M1
    x ^= x >> _U64(27)
    x *= _M2
    x ^= x >> _U64(31)
    return x


class _TokenHasher:
    """xxh3-64 of token strings with a bounded memo (vocabularies repeat a lot)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.cache: dict[str, int] = {}

    def __call__(self, tokens: Sequence[str]) -> np.ndarray:
        cache = self.cache
        if len(cache) > _TOKEN_CACHE_MAX:
            cache.clear()
        seed = self.seed
        out = []
        for t in tokens:
            h = cache.get(t)
            if h is None:
                h = cache[t] = xxhash.xxh3_64_intdigest(t.encode("utf-8"), seed)
            out.append(h)
        return np.fromiter(out, dtype=np.uint64, count=len(out))


@lru_cache(maxsize=8)
def _hasher(seed: int) -> _TokenHasher:
    return _TokenHasher(seed)


def token_hashes(tokens: Sequence[str], seed: int = 0) -> np.ndarray:
    """64-bit hashes of normalised tokens (uint64 array)."""
    return _hasher(seed)(tokens)


def shingle_hashes(thashes: np.ndarray, size: int) -> np.ndarray:
    """Hashes of every run of ``size`` consecutive tokens, in text order (not de-duplicated)."""
    n = len(thashes) - size + 1
    if n <= 0:
        return EMPTY
    acc = thashes[:n].copy()
    for j in range(1, size):
        acc *= _FOLD
        acc += thashes[j : j + n]
    return mix64(acc)


def shingle_set(text: str, config: ShingleConfig = ShingleConfig()) -> tuple[np.ndarray, int]:
    """(sorted unique shingle hashes, number of tokens) of a text."""
    toks = tokenize(text)
    return np.unique(shingle_hashes(token_hashes(toks, config.seed), config.size)), len(toks)


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.Generator(np.random.PCG64(seed))
    a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) * _U64(2) + _U64(1)
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    return a, b


def minhash(shingles: np.ndarray, config: MinHashConfig = MinHashConfig()) -> np.ndarray:
    """MinHash signature (uint64[num_perm]); all-ones for an empty set."""
    if len(shingles) == 0:
        return np.full(config.num_perm, np.iinfo(np.uint64).max, dtype=np.uint64)
    a, b = _permutations(config.num_perm, config.seed)
    # (n, K) in chunks to bound memory for very long documents
    out = np.full(config.num_perm, np.iinfo(np.uint64).max, dtype=np.uint64)
    for i in range(0, len(shingles), 4096):
        chunk = shingles[i : i + 4096, None]
        np.minimum(out, (chunk * a + b).min(axis=0), out=out)
    return out


@dataclass(frozen=True, slots=True)
class SketchBatch:
    """Sketches of a batch of documents, as flat arrays (cheap to pickle between processes).

    Document i's shingle set is ``shingles[offsets[i]:offsets[i+1]]``.
    """

    shingles: np.ndarray  # uint64, concatenated sorted sets
    offsets: np.ndarray  # int64, len n+1
    tokens: np.ndarray  # int64, tokens per document
    signatures: np.ndarray  # uint64 (n, num_perm)

    def __len__(self) -> int:
        return len(self.tokens)

    def shingles_of(self, i: int) -> np.ndarray:
        return self.shingles[self.offsets[i] : self.offsets[i + 1]]


def sketch_texts(texts: Sequence[str], shingle: ShingleConfig, mh: MinHashConfig) -> SketchBatch:
    """Sketch a batch of texts. Too-short texts get an empty set (they are never paired)."""
    sets: list[np.ndarray] = []
    ntok = np.zeros(len(texts), dtype=np.int64)
    sigs = np.empty((len(texts), mh.num_perm), dtype=np.uint64)
    for i, text in enumerate(texts):
        s, n = shingle_set(text, shingle)
        ntok[i] = n
        if n < shingle.min_tokens:
            s = EMPTY
        sets.append(s)
        sigs[i] = minhash(s, mh)
    lengths = np.fromiter((len(s) for s in sets), dtype=np.int64, count=len(sets))
    offsets = np.zeros(len(sets) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = np.concatenate(sets) if sets else EMPTY
    return SketchBatch(flat.astype(np.uint64, copy=False), offsets, ntok, sigs)
