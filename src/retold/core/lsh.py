"""MinHash LSH banding: band keys and the candidate pairs they give (pure kernels).

Documents whose signatures agree on one band are candidates. A bucket larger than
``max_bucket`` is linked as a star (each member to its first, smallest-rank member): that
keeps a huge family of copies connected without a quadratic number of pairs. The rule
lives here so that every engine applies it the same way.
"""

from __future__ import annotations

import numpy as np

from retold.config import MinHashConfig
from retold.core.arrays import postings, unique_sorted
from retold.core.hashing import mix64

_U64 = np.uint64


def pairs_in_groups(members: np.ndarray, starts: np.ndarray, sizes: np.ndarray, n: int) -> np.ndarray:
    """Encoded pairs (a*n+b) of all members of each group; members ascend within a group."""
    out: list[np.ndarray] = []
    for d in unique_sorted(sizes).tolist():
        if d < 2:
            continue
        st = starts[sizes == d]
        block = members[st[:, None] + np.arange(d)]  # (groups, d)
        iu, ju = np.triu_indices(d, 1)
        out.append((block[:, iu].astype(_U64) * _U64(n) + block[:, ju].astype(_U64)).ravel())
    return np.concatenate(out) if out else np.empty(0, _U64)


def band_keys(signatures: np.ndarray, config: MinHashConfig) -> np.ndarray:
    """(n, bands) uint64 keys: each band's rows folded and mixed (fixed functions)."""
    n = signatures.shape[0]
    sig = signatures.reshape(n, config.bands, config.rows)
    acc = np.zeros((n, config.bands), dtype=_U64)
    for r in range(config.rows):
        acc = mix64(acc ^ sig[:, :, r])
    # the band number is mixed in so equal values in different bands never collide
    return mix64(acc ^ np.arange(config.bands, dtype=_U64))


def lsh_candidates(bands: np.ndarray, eligible: np.ndarray, config: MinHashConfig) -> tuple[np.ndarray, dict[str, int]]:
    """Pairs of eligible documents that share at least one LSH band key (encoded, unique).

    ``bands``: the (n, bands) keys of :func:`band_keys`, by rank.
    """
    n = bands.shape[0]
    ranks = np.flatnonzero(eligible).astype(np.int64)
    if len(ranks) < 2:
        return np.empty(0, _U64), {"lsh_candidates": 0, "lsh_large_buckets": 0}
    keys = bands[ranks].T.ravel()  # band-major
    members, starts, sizes = postings(keys, np.tile(ranks, bands.shape[1]), n)
    del keys
    small = (sizes >= 2) & (sizes <= config.max_bucket)
    parts = [pairs_in_groups(members, starts[small], sizes[small], n)]
    large = sizes > config.max_bucket
    for st, sz in zip(starts[large].tolist(), sizes[large].tolist()):
        first = members[st]
        rest = members[st + 1 : st + sz]
        parts.append(_U64(first) * _U64(n) + rest.astype(_U64))
    pairs = unique_sorted(np.concatenate(parts))
    return pairs, {"lsh_candidates": int(len(pairs)), "lsh_large_buckets": int(large.sum())}
