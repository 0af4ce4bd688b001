"""Candidate pairs, sub-quadratically, from two complementary sources.

1. A shingle inverted index (as passim does): documents that share shingles are
   candidates. A shingle found in more than ``max_df`` documents is *boilerplate*: it
   proposes no pairs (this bounds the work per shingle to ``max_df**2 / 2`` and stops
   footers from chaining unrelated documents) and is reported. The index counts, for
   each pair, the shared non-boilerplate shingles exactly, so a pair is proposed only
   if that count could pass verification. This finds partial reuse and containment,
   which whole-document MinHash cannot.
2. MinHash LSH banding: documents whose signatures agree on one band. It finds large
   families of near-copies whose shingles are all too frequent for the index.
   Buckets larger than ``max_bucket`` are linked as a star (each member to the first),
   which keeps families connected without a quadratic number of pairs.

Documents are referred to by their *rank* (position in id order), so every array
here, and the pairs they give, do not depend on input order or worker count.
Pairs are encoded as ``a * n + b`` (a < b) in uint64 and returned sorted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import CandidateConfig, MinHashConfig, VerifyConfig
from .sketch import mix64

_U64 = np.uint64


@dataclass(frozen=True, slots=True)
class Candidates:
    """Candidate pairs as two rank arrays (a < b), sorted, plus what was learnt on the way."""

    a: np.ndarray  # int64
    b: np.ndarray  # int64
    boilerplate: np.ndarray  # sorted uint64 shingle hashes with df > max_df
    stats: dict[str, int]

    def __len__(self) -> int:
        return len(self.a)


def _group_bounds(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index and size of each run of equal values in a sorted array."""
    if len(sorted_keys) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    change = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
    starts = np.concatenate(([0], change)).astype(np.int64)
    sizes = np.diff(np.concatenate((starts, [len(sorted_keys)])))
    return starts, sizes


def _pairs_in_groups(members: np.ndarray, starts: np.ndarray, sizes: np.ndarray, n: int) -> np.ndarray:
    """Encoded pairs (a*n+b) of all members of each group; members ascend within a group."""
    out: list[np.ndarray] = []
    for d in np.unique(sizes):
        if d < 2:
            continue
        st = starts[sizes == d]
        block = members[st[:, None] + np.arange(d)]  # (groups, d)
        iu, ju = np.triu_indices(int(d), 1)
        out.append((block[:, iu].astype(_U64) * _U64(n) + block[:, ju].astype(_U64)).ravel())
    return np.concatenate(out) if out else np.empty(0, _U64)


def index_candidates(
    shingles: np.ndarray,
    offsets: np.ndarray,
    config: CandidateConfig,
    verify: VerifyConfig,
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Pairs proposed by the inverted index, the boilerplate hashes, and counts.

    ``shingles[offsets[r]:offsets[r+1]]`` is the sorted shingle set of the document of
    rank r (empty for documents that are not paired).
    """
    n = len(offsets) - 1
    lengths = np.diff(offsets)
    docs = np.repeat(np.arange(n, dtype=np.int64), lengths)
    order = np.argsort(shingles, kind="stable")  # stable: docs stay ascending per hash
    hs = shingles[order]
    ds = docs[order]
    del order, docs
    starts, sizes = _group_bounds(hs)
    boiler = sizes > config.max_df
    boilerplate = hs[starts[boiler]]
    keep = (sizes >= 2) & ~boiler
    keys = _pairs_in_groups(ds, starts[keep], sizes[keep], n)
    stats = {
        "distinct_shingles": int(len(starts)),
        "boilerplate_shingles": int(boiler.sum()),
        "boilerplate_occurrences": int(sizes[boiler].sum()),
        "shared_shingles": int(keep.sum()),
        "index_pair_hits": int(len(keys)),
    }
    if len(keys) == 0:
        return np.empty(0, _U64), boilerplate, stats | {"index_candidates": 0}
    keys, counts = np.unique(keys, return_counts=True)
    a = (keys // _U64(n)).astype(np.int64)
    b = (keys % _U64(n)).astype(np.int64)
    # shared non-boilerplate shingles needed for the pair to possibly pass verification
    smaller = np.minimum(lengths[a], lengths[b])
    need = np.minimum(verify.min_shared, np.maximum(1, np.ceil(verify.min_containment * smaller)))
    keys = keys[counts >= need]
    stats["index_candidates"] = int(len(keys))
    return keys, boilerplate, stats


def band_keys(signatures: np.ndarray, config: MinHashConfig) -> np.ndarray:
    """(n, bands) uint64 keys: each band's rows folded and mixed (fixed functions)."""
    n = signatures.shape[0]
    sig = signatures.reshape(n, config.bands, config.rows)
    acc = np.zeros((n, config.bands), dtype=_U64)
    for r in range(config.rows):
        acc = mix64(acc ^ sig[:, :, r])
    # the band number is mixed in so equal values in different bands never collide
    return mix64(acc ^ np.arange(config.bands, dtype=_U64))


def lsh_candidates(signatures: np.ndarray, eligible: np.ndarray, config: MinHashConfig) -> tuple[np.ndarray, dict[str, int]]:
    """Pairs of eligible documents that share at least one LSH band (encoded, unique)."""
    n = signatures.shape[0]
    ranks = np.flatnonzero(eligible).astype(np.int64)
    if len(ranks) < 2:
        return np.empty(0, _U64), {"lsh_candidates": 0, "lsh_large_buckets": 0}
    keys = band_keys(signatures[ranks], config).T.ravel()  # band-major
    members = np.tile(ranks, config.bands)
    order = np.lexsort((members, keys))
    ks, ms = keys[order], members[order]
    starts, sizes = _group_bounds(ks)
    small = (sizes >= 2) & (sizes <= config.max_bucket)
    parts = [_pairs_in_groups(ms, starts[small], sizes[small], n)]
    large = sizes > config.max_bucket
    for st, sz in zip(starts[large], sizes[large]):
        first = ms[st]
        rest = ms[st + 1 : st + sz]
        parts.append(_U64(first) * _U64(n) + rest.astype(_U64))
    pairs = np.unique(np.concatenate(parts))
    return pairs, {"lsh_candidates": int(len(pairs)), "lsh_large_buckets": int(large.sum())}


def find_candidates(
    shingles: np.ndarray,
    offsets: np.ndarray,
    signatures: np.ndarray,
    candidates: CandidateConfig,
    minhash: MinHashConfig,
    verify: VerifyConfig,
) -> Candidates:
    """All candidate pairs (inverted index + LSH), sorted by (a, b) rank."""
    n = len(offsets) - 1
    idx_keys, boilerplate, stats = index_candidates(shingles, offsets, candidates, verify)
    eligible = np.diff(offsets) > 0
    lsh_keys, lsh_stats = lsh_candidates(signatures, eligible, minhash)
    keys = np.union1d(idx_keys, lsh_keys)
    keys = keys[keys // _U64(max(n, 1)) != keys % _U64(max(n, 1))]  # never a document with itself
    stats |= lsh_stats
    stats["candidates"] = int(len(keys))
    nn = _U64(max(n, 1))
    return Candidates(
        (keys // nn).astype(np.int64), (keys % nn).astype(np.int64), boilerplate, stats
    )
