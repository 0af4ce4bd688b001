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

import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from .config import CandidateConfig, MinHashConfig, VerifyConfig
from .parallel import SHARED, fork_map
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


#: shingle occurrences per partition of the inverted index (bounds its memory)
PARTITION_OCCURRENCES = 1 << 24


def _partition_ids(shingles: np.ndarray, bits: int, chunk: int = 1 << 24) -> np.ndarray:
    """The top ``bits`` bits of every hash (uint8), computed in chunks to bound memory."""
    out = np.empty(len(shingles), dtype=np.uint8)
    shift = _U64(64 - bits)
    for i in range(0, len(shingles), chunk):
        out[i : i + chunk] = shingles[i : i + chunk] >> shift
    return out


def _sum_by_key(keys: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique keys (sorted) with their counts added up."""
    order = np.argsort(keys, kind="stable")
    keys, counts = keys[order], counts[order]
    starts, _ = _group_bounds(keys)
    return keys[starts], np.add.reduceat(counts, starts) if len(starts) else counts


def index_candidates(
    shingles: np.ndarray,
    offsets: np.ndarray,
    config: CandidateConfig,
    verify: VerifyConfig,
    partitions: int | None = None,
    workers: int = 1,
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Pairs proposed by the inverted index, the boilerplate hashes, and counts.

    ``shingles[offsets[r]:offsets[r+1]]`` is the sorted shingle set of the document of
    rank r (empty for documents that are not paired). The index is built one hash
    partition at a time (``partitions``, a power of two, default from the corpus size),
    so its memory stays bounded; the result does not depend on the number of partitions.
    """
    n = len(offsets) - 1
    lengths = np.diff(offsets)
    if partitions is None:
        partitions = -(-len(shingles) // PARTITION_OCCURRENCES)
    bits = min(8, max(0, int(partitions - 1).bit_length()))
    part = _partition_ids(shingles, bits) if bits else None
    stats = dict.fromkeys(("distinct_shingles", "boilerplate_shingles", "boilerplate_occurrences",
                           "shared_shingles", "index_pair_hits"), 0)
    boiler_parts: list[np.ndarray] = []
    with _PairCounts(n, 1 << bits) as counter:
        jobs = range(1 << bits)
        for boiler, part_stats in fork_map(_index_partition, jobs, workers if bits else 1, shingles=shingles,
                                           offsets=offsets, part=part, max_df=config.max_df, counter=counter):
            boiler_parts.append(boiler)
            for k, v in part_stats.items():
                stats[k] += v

        # shared non-boilerplate shingles needed for the pair to possibly pass verification
        def need(keys: np.ndarray) -> np.ndarray:
            smaller = np.minimum(lengths[(keys // _U64(n)).astype(np.int64)], lengths[(keys % _U64(n)).astype(np.int64)])
            return np.minimum(verify.min_shared, np.maximum(1, np.ceil(verify.min_containment * smaller)))

        keys = counter.at_least(need)
    boilerplate = np.sort(np.concatenate(boiler_parts)) if boiler_parts else np.empty(0, _U64)
    stats["index_candidates"] = int(len(keys))
    return keys, boilerplate, stats


def _index_partition(p: int) -> tuple[np.ndarray, dict[str, int]]:
    """One hash partition of the index: its pair hits go to the shared counter (files)."""
    sh = SHARED
    shingles, offsets, part, counter = sh["shingles"], sh["offsets"], sh["part"], sh["counter"]
    idx = np.flatnonzero(part == p) if part is not None else np.arange(len(shingles))
    hs = shingles[idx]
    ds = np.searchsorted(offsets, idx, side="right") - 1  # ascending with idx
    del idx
    order = np.argsort(hs, kind="stable")  # stable: docs stay ascending per hash
    hs, ds = hs[order], ds[order]
    del order
    starts, sizes = _group_bounds(hs)
    boiler = sizes > sh["max_df"]
    keep = (sizes >= 2) & ~boiler
    keys = _pairs_in_groups(ds, starts[keep], sizes[keep], len(offsets) - 1)
    stats = {"distinct_shingles": int(len(starts)), "boilerplate_shingles": int(boiler.sum()),
             "boilerplate_occurrences": int(sizes[boiler].sum()), "shared_shingles": int(keep.sum()),
             "index_pair_hits": int(len(keys))}
    boilerplate = hs[starts[boiler]]
    del hs, ds, starts, sizes
    counter.add(keys, tag=p)
    return boilerplate, stats


class _PairCounts:
    """Counts of encoded pairs over many additions, spilled to disk by ``a`` range.

    Each addition is reduced to (unique key, count) and, when there is more than one
    addition, appended to one of ``buckets`` temporary files by the pair's first
    document, so summing the counts never needs all pairs in memory at once.
    """

    def __init__(self, n: int, buckets: int) -> None:
        self.n = max(n, 1)
        self.buckets = buckets
        self.tmp: tempfile.TemporaryDirectory[str] | None = None
        self.memory: list[tuple[np.ndarray, np.ndarray]] = []
        if buckets > 1:
            self.tmp = tempfile.TemporaryDirectory(prefix="retold-pairs-")
            # first key of each bucket: bucket j holds a in [j*n/B, (j+1)*n/B)
            firsts = -(-np.arange(buckets + 1, dtype=np.int64) * self.n // buckets)
            self.bounds = (firsts.astype(_U64) * _U64(self.n))

    def __enter__(self) -> "_PairCounts":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.tmp is not None:
            self.tmp.cleanup()

    def _path(self, j: int, what: str) -> str:
        assert self.tmp is not None
        return os.path.join(self.tmp.name, f"{j}.{what}")

    def add(self, keys: np.ndarray, tag: int = 0) -> None:
        """Count ``keys``; ``tag`` names this addition's files (one writer per tag)."""
        keys, counts = np.unique(keys, return_counts=True)
        counts = counts.astype(np.uint32)
        if self.tmp is None:
            self.memory.append((keys, counts))
            return
        cut = np.searchsorted(keys, self.bounds)
        for j in range(self.buckets):
            lo, hi = cut[j], cut[j + 1]
            if hi > lo:
                with open(self._path(j, f"{tag}.keys"), "ab") as fk, open(self._path(j, f"{tag}.counts"), "ab") as fc:
                    keys[lo:hi].tofile(fk)
                    counts[lo:hi].tofile(fc)

    def _parts(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        if self.tmp is None:
            if self.memory:
                yield np.concatenate([k for k, _ in self.memory]), np.concatenate([c for _, c in self.memory])
            return
        assert self.tmp is not None
        names = os.listdir(self.tmp.name)
        for j in range(self.buckets):
            tags = sorted(int(x.split(".")[1]) for x in names if x.startswith(f"{j}.") and x.endswith(".keys"))
            if tags:
                yield (np.concatenate([np.fromfile(self._path(j, f"{t}.keys"), dtype=_U64) for t in tags]),
                       np.concatenate([np.fromfile(self._path(j, f"{t}.counts"), dtype=np.uint32) for t in tags]))

    def at_least(self, need: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """Sorted keys whose summed count reaches ``need(keys)``."""
        out = []
        for keys, counts in self._parts():
            keys, counts = _sum_by_key(keys, counts)
            out.append(keys[counts >= need(keys)])
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
    *,
    workers: int = 1,
) -> Candidates:
    """All candidate pairs (inverted index + LSH), sorted by (a, b) rank."""
    n = len(offsets) - 1
    idx_keys, boilerplate, stats = index_candidates(shingles, offsets, candidates, verify, workers=workers)
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
