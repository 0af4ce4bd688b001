"""The pure-Python reference twin of :mod:`retold.core.sketch`, straight from its definitions.

Slow and obviously right: the tests check the fast path against it (hypothesis), and the
fast path falls back to it for the rare texts it cannot hash by the batch (characters
that NFKC composes across). :func:`classic_minhash` is the signature retold used before
fast similarity sketching, kept to measure estimation error against.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np

from retold.config import MinHashConfig, ShingleConfig
from retold.core.hashing import FOLD_INT, MASK, MAXU64, P_INT, U64, mix64_int, round_keys, seed_key, start
from retold.core.normalize import tokenize


def token_hash_reference(token: str, seed: int = 0) -> int:
    """The hash of one normalised token, straight from the definition."""
    h = start(seed)
    for ch in token:
        h = (h * P_INT + ord(ch)) & MASK
    return mix64_int(h)


def shingle_hashes_reference(thashes: Sequence[int], size: int) -> list[int]:
    """:func:`shingle_hashes`, pure Python."""
    out = []
    for i in range(len(thashes) - size + 1):
        acc = thashes[i]
        for j in range(1, size):
            acc = (acc * FOLD_INT + thashes[i + j]) & MASK
        out.append(mix64_int(acc))
    return out


def shingle_set_reference(text: str, config: ShingleConfig = ShingleConfig()) -> tuple[np.ndarray, int]:
    """:func:`shingle_set`, pure Python on :func:`~retold.core.normalize.tokenize`'s tokens."""
    toks = tokenize(text)
    th = [token_hash_reference(t, config.seed) for t in toks]
    return np.asarray(sorted(set(shingle_hashes_reference(th, config.size))), dtype=np.uint64), len(toks)


def minhash_reference(shingles: Sequence[int], config: MinHashConfig = MinHashConfig()) -> np.ndarray:
    """:func:`minhash`, pure Python (fast similarity sketching, see the module docstring)."""
    k = config.num_perm
    sig = [MAXU64] * k
    filled = [False] * k
    key = seed_key(config.seed)
    g = [mix64_int(int(s) ^ key) for s in shingles]
    b0 = [((x >> 32) * k) >> 32 for x in g]
    mult, add = round_keys(k, config.seed)
    for r in range(2 * k - 1):
        if not g or all(filled):
            break
        a, c = int(mult[r]), int(add[r])
        new: dict[int, int] = {}
        for x, x0 in zip(g, b0):
            h = (x * a + c) & MASK
            b = ((h >> 32) * k) >> 32 if r < k else (x0 + r - k + 1) % k
            if not filled[b] and (b not in new or h < new[b]):
                new[b] = h
        for b, h in new.items():
            sig[b], filled[b] = h, True
    return np.asarray(sig, dtype=np.uint64)



@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.Generator(np.random.PCG64(seed))
    a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) * U64(2) + U64(1)
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    return a, b


def classic_minhash(shingles: np.ndarray, config: MinHashConfig = MinHashConfig()) -> np.ndarray:
    """Classic MinHash (``num_perm`` hash functions ``a_k * h + b_k``): the signature retold
    used before fast similarity sketching; kept to measure estimation error against."""
    if len(shingles) == 0:
        return np.full(config.num_perm, MAXU64, dtype=np.uint64)
    a, b = _permutations(config.num_perm, config.seed)
    out = np.full(config.num_perm, MAXU64, dtype=np.uint64)
    for i in range(0, len(shingles), 4096):
        chunk = shingles[i : i + 4096, None]
        np.minimum(out, (chunk * a + b).min(axis=0), out=out)
    return out


