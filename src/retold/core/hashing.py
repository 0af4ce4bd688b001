"""The fixed hash functions every sketch is built from (see :mod:`retold.core.sketch`).

Shared by the NumPy fast path and its pure-Python reference twin, so both compute the
very same numbers: splitmix64's finaliser, the token polynomial's start state, and the
per-round keys of fast similarity sketching.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

U64 = np.uint64
MASK = (1 << 64) - 1
FOLD_INT = 0x9E3779B97F4A7C15  # golden-ratio odd constant
FOLD = U64(FOLD_INT)
M1_INT = 0xBF58476D1CE4E5B9  # splitmix64 finaliser constants
M2_INT = 0x94D049BB133111EB
M1 = U64(M1_INT)
M2 = U64(M2_INT)
P_INT = 0xD6E8FEB86659FD93  # odd multiplier of the code-point polynomial
P = U64(P_INT)
MAXU64 = np.iinfo(np.uint64).max
EMPTY = np.empty(0, dtype=np.uint64)


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, element-wise: a fixed bijection that scrambles all bits."""
    x = x.astype(np.uint64, copy=True)
    x ^= x >> U64(30)
    x *= M1
    x ^= x >> U64(27)
    x *= M2
    x ^= x >> U64(31)
    return x


def mix64_int(x: int) -> int:
    """:func:`mix64` of one Python int (reference implementation)."""
    x &= MASK
    x ^= x >> 30
    x = (x * M1_INT) & MASK
    x ^= x >> 27
    x = (x * M2_INT) & MASK
    return x ^ (x >> 31)


def start(seed: int) -> int:
    """Initial state S(seed) of the token polynomial."""
    return mix64_int(seed + FOLD_INT)


def seed_key(seed: int) -> int:
    return mix64_int(seed * FOLD_INT + 0x632BE59BD9B4E019)


@lru_cache(maxsize=8)
def round_keys(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(A_r, B_r), r = 0 .. 2*num_perm - 2: round r's value is ``g * A_r + B_r``; A_0 = 1, B_0 = 0."""
    rng = np.random.Generator(np.random.PCG64([seed, num_perm, 0x5EED]))
    r = max(2 * num_perm - 1, 1)
    a = rng.integers(0, 2**63, size=r, dtype=np.uint64) * U64(2) + U64(1)
    b = rng.integers(0, 2**63, size=r, dtype=np.uint64) * U64(2)
    a[0], b[0] = 1, 0
    a.setflags(write=False)
    b.setflags(write=False)
    return a, b


