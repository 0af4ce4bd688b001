"""Candidate pairs, sub-quadratically, from two complementary sources.

The local engine's candidate stage. (The pure parts, LSH banding and the pair-count
threshold, are :mod:`retold.core.lsh` and :mod:`retold.core.rules`.)

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
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from retold.core import _sets
from retold.core.arrays import segment_members, sort_in_place, unique_sorted
from retold.config import CandidateConfig, MinHashConfig, VerifyConfig
from retold.engines.local.parallel import SHARED, fork_map, release_free_memory
from retold.engines.local.sets import FINE, ShingleSets
from retold.core.lsh import lsh_candidates
from retold.core.rules import index_pair_threshold

_U64 = np.uint64


@dataclass(frozen=True, slots=True)
class Candidates:
    """Candidate pairs as two rank arrays (a < b), sorted, plus what was learnt on the way."""

    a: np.ndarray  # int64
    b: np.ndarray  # int64
    boilerplate: np.ndarray  # sorted uint64 shingle hashes with df > max_df
    own: np.ndarray  # int64 by rank: shingles that are not boilerplate
    stats: dict[str, int]
    #: int64 per pair: the shared non-boilerplate shingles the index counted (exact), -1 for
    #: the pairs only LSH proposed
    shared: np.ndarray
    #: each rank's boilerplate shingles (sorted), end to end: ``boiler_sets[boiler_offsets[r]:boiler_offsets[r+1]]``
    boiler_sets: np.ndarray
    boiler_offsets: np.ndarray

    def __len__(self) -> int:
        return len(self.a)


@dataclass(frozen=True, slots=True)
class IndexHits:
    """What the inverted index finds (:func:`index_candidates`)."""

    keys: np.ndarray  # uint64 ``a * n + b`` (a < b), sorted: the pairs it proposes
    shared: np.ndarray  # int64 per key: their shared non-boilerplate shingles, exactly
    boilerplate: np.ndarray  # sorted uint64 hashes in more than ``max_df`` documents
    own: np.ndarray  # int64 by rank: shingles that are not boilerplate
    boiler_sets: np.ndarray  # uint64: each rank's boilerplate shingles, sorted, end to end
    boiler_offsets: np.ndarray  # int64, n + 1
    stats: dict[str, int]


#: shingle occurrences per partition of the inverted index (its pairs are counted together)
PARTITION_OCCURRENCES = 1 << 23
#: what each partition of the index counts (summed over partitions into summary.json's stats)
_PARTITION_STATS = ("distinct_shingles", "boilerplate_shingles", "boilerplate_occurrences", "shared_shingles",
                    "index_pair_hits")
#: shingle occurrences sorted at a time (bounds the memory of the sort: ~24 bytes each)
PIECE_OCCURRENCES = 1 << 20


def _pieces(counts: np.ndarray, lo: int, hi: int, most: int) -> list[tuple[int, int]]:
    """Fine partitions ``[lo, hi)`` cut into consecutive runs of at most ``most`` occurrences
    (``counts[f]`` in fine partition f), a run holding at least one fine partition."""
    out: list[tuple[int, int]] = []
    start, total = lo, 0
    for f in range(lo, hi):
        c = int(counts[f])
        if f > start and total + c > most:
            out.append((start, f))
            start, total = f, 0
        total += c
    if hi > start:
        out.append((start, hi))
    return out


def index_candidates(
    sets: ShingleSets,
    config: CandidateConfig,
    verify: VerifyConfig,
    partitions: int | None = None,
    workers: int = 1,
    rank_of: np.ndarray | None = None,
) -> IndexHits:
    """The pairs proposed by the inverted index with their exact shared counts, the
    boilerplate (hashes, and each document's), own sizes and counts.

    ``sets`` holds the sorted shingle set of every stored document (empty for documents
    that are not paired); stored set i belongs to rank ``rank_of[i]`` (default: i). The
    index is built one hash partition at a time (``partitions``, at most
    :data:`~retold.engines.local.sets.FINE`, default from the corpus size), each read from
    ``sets`` a piece (a finer hash range) at a time, so its memory stays bounded; the result
    does not depend on the number of partitions or pieces. ``own[r]`` counts the shingles
    of rank r that are not boilerplate.
    """
    offsets = sets.offsets
    n = len(offsets) - 1
    if n >= 2**31:
        raise ValueError("the index numbers documents in 32 bits")
    lengths = np.diff(offsets)
    ranks = np.arange(n, dtype=np.int32) if rank_of is None else rank_of.astype(np.int32)
    if rank_of is not None:
        by_rank = np.empty_like(lengths)
        by_rank[rank_of] = lengths
        lengths = by_rank
    counts = sets.counts()
    if partitions is None:
        partitions = 1 << max(0, int(-(-int(counts.sum()) // PARTITION_OCCURRENCES) - 1).bit_length())
    if not 1 <= partitions <= FINE:
        raise ValueError(f"partitions must be in [1, {FINE}], not {partitions}")
    cuts = [p * FINE // partitions for p in range(partitions + 1)]
    jobs = [_pieces(counts, cuts[p], cuts[p + 1], PIECE_OCCURRENCES) for p in range(partitions)]
    stats = dict.fromkeys(_PARTITION_STATS, 0)
    boiler_parts: list[np.ndarray] = []
    # each boilerplate occurrence as (rank << 32 | index in the boilerplate array): partitions
    # and their pieces come in hash order, so the boilerplate array is their concatenation
    boiler_occ: list[np.ndarray] = []
    seen = 0
    # one partition sees every shared shingle of a pair, so it can drop the pairs below the
    # threshold at once; with several, the counts are summed first (need 1 per partition)
    most = int(lengths.max()) if n else 0
    need_table = (index_pair_threshold(np.arange(most + 1), verify) if partitions == 1
                  else np.ones(most + 1)).astype(np.int64)
    with _PairCounts(n, partitions) as counter:
        for boiler, occ_index, occ_docs, part_stats in fork_map(
                _index_partition, enumerate(jobs), workers if partitions > 1 else 1, sets=sets, ranks=ranks,
                max_df=config.max_df, counter=counter, lengths=lengths, need=need_table):
            boiler_parts.append(boiler)
            boiler_occ.append((occ_docs.astype(_U64) << _U64(32)) | (occ_index + seen).astype(_U64))
            seen += len(boiler)
            for k, v in part_stats.items():
                stats[k] += v

        def need(keys: np.ndarray) -> np.ndarray:
            a, b = (keys // _U64(n)).astype(np.int64), (keys % _U64(n)).astype(np.int64)
            return index_pair_threshold(np.minimum(lengths[a], lengths[b]), verify)

        keys, counts = counter.at_least(need, workers)
    boilerplate = np.concatenate(boiler_parts) if boiler_parts else np.empty(0, _U64)
    occ = np.concatenate(boiler_occ) if boiler_occ else np.empty(0, _U64)
    del boiler_occ
    sort_in_place(occ)  # by rank, then hash
    per_doc = np.bincount((occ >> _U64(32)).astype(np.int64), minlength=n)
    boiler_offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(per_doc, out=boiler_offsets[1:])
    occ &= _U64(0xFFFFFFFF)
    boiler_sets = boilerplate[occ.view(np.int64)]
    del occ
    stats["index_candidates"] = int(len(keys))
    return IndexHits(keys, counts.astype(np.int64), boilerplate, lengths - per_doc, boiler_sets, boiler_offsets, stats)


def _index_partition(job: tuple[int, list[tuple[int, int]]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
    """One hash partition of the index (its pieces: runs of fine partitions): its pair hits
    go to the shared counter (files).

    Each piece is read and sorted alone and keeps only the postings of its shared,
    non-boilerplate shingles; the pairs are counted over all of them at once. Returns the
    partition's boilerplate hashes (sorted), their occurrences (index in those hashes,
    rank; int32), and counts.
    """
    p, pieces = job
    sh = SHARED
    sets, ranks, counter = sh["sets"], sh["ranks"], sh["counter"]
    n, max_df = len(ranks), sh["max_df"]
    stats = dict.fromkeys(_PARTITION_STATS, 0)
    kept_members: list[np.ndarray] = []
    kept_sizes: list[np.ndarray] = []
    boilerplate: list[np.ndarray] = []
    occ_index: list[np.ndarray] = []
    occ_docs: list[np.ndarray] = []
    found = 0  # boilerplate hashes of the earlier pieces
    for lo, hi in pieces:
        hs, ds = sets.hash_range(lo, hi)
        distinct, starts, sizes, members = _sets.shingle_postings(hs, ranks[ds])
        del hs, ds
        boiler = sizes > max_df
        keep = (sizes >= 2) & ~boiler
        kept = sizes[keep]
        kept_members.append(segment_members(members, starts[keep], kept))
        kept_sizes.append(kept)
        boilerplate.append(distinct[boiler])
        occ_docs.append(segment_members(members, starts[boiler], sizes[boiler]))
        nb = int(boiler.sum())
        occ_index.append(np.repeat(np.arange(found, found + nb, dtype=np.int32), sizes[boiler]))
        found += nb
        stats["distinct_shingles"] += int(len(distinct))
        stats["boilerplate_shingles"] += nb
        stats["boilerplate_occurrences"] += int(sizes[boiler].sum())
        stats["shared_shingles"] += int(keep.sum())
        stats["index_pair_hits"] += int((kept * (kept - 1) // 2).sum())
        del distinct, starts, sizes, members
    sizes = _concat(kept_sizes, np.int64)
    members = _concat(kept_members, np.int32)
    del kept_sizes, kept_members
    starts = np.zeros(len(sizes), dtype=np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    keys, counts = _sets.group_pair_counts(members, starts, sizes, n, sh["lengths"], sh["need"])
    del members, starts, sizes
    counter.add(keys, counts, tag=p)
    return _concat(boilerplate, _U64), _concat(occ_index, np.int32), _concat(occ_docs, np.int32), stats


def _concat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    """``parts`` end to end (empty of ``dtype`` when there are none); the list is emptied."""
    out = np.concatenate(parts).astype(dtype, copy=False) if parts else np.empty(0, dtype)
    parts.clear()
    return out


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

    def add(self, keys: np.ndarray, counts: np.ndarray, tag: int = 0) -> None:
        """Add ``counts`` (uint32) to the counts of ``keys`` (sorted, unique); ``tag`` names
        this addition's files (one writer per tag)."""
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

    def _bucket(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        """The summed (key, count) of bucket ``j``: every addition to it is a sorted run, so
        the runs are merged (:func:`retold.core._sets.merge_sum`) instead of sorted again."""
        if self.tmp is None:
            parts = self.memory
        else:
            tags = sorted(int(x.split(".")[1]) for x in os.listdir(self.tmp.name)
                          if x.startswith(f"{j}.") and x.endswith(".keys"))
            parts = [(np.fromfile(self._path(j, f"{t}.keys"), dtype=_U64),
                      np.fromfile(self._path(j, f"{t}.counts"), dtype=np.uint32)) for t in tags]
        if not parts:
            return np.empty(0, _U64), np.empty(0, np.uint32)
        if len(parts) == 1:
            return parts[0]
        runs = np.zeros(len(parts) + 1, dtype=np.int64)
        np.cumsum([len(k) for k, _ in parts], out=runs[1:])
        return _sets.merge_sum(np.concatenate([k for k, _ in parts]), np.concatenate([c for _, c in parts]), runs)

    def at_least(self, need: Callable[[np.ndarray], np.ndarray], workers: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """(sorted keys whose summed count reaches ``need(keys)``, those counts), the buckets
        summed on ``workers``."""
        out = list(fork_map(_bucket_at_least, range(self.buckets), workers if self.buckets > 1 else 1,
                            counter=self, need=need))
        if not out:
            return np.empty(0, _U64), np.empty(0, np.uint32)
        return np.concatenate([k for k, _ in out]), np.concatenate([c for _, c in out])


def _bucket_at_least(j: int) -> tuple[np.ndarray, np.ndarray]:
    keys, counts = SHARED["counter"]._bucket(j)
    ok = counts >= SHARED["need"](keys)
    return keys[ok], counts[ok]


def find_candidates(
    sets: ShingleSets,
    bands: np.ndarray,
    candidates: CandidateConfig,
    minhash: MinHashConfig,
    verify: VerifyConfig,
    *,
    workers: int = 1,
    rank_of: np.ndarray | None = None,
) -> Candidates:
    """All candidate pairs (inverted index + LSH), sorted by (a, b) rank.

    ``sets``/``rank_of`` as in :func:`index_candidates`; ``bands`` by rank.
    """
    offsets = sets.offsets
    n = len(offsets) - 1
    hits = index_candidates(sets, candidates, verify, workers=workers, rank_of=rank_of)
    release_free_memory()  # the sort buffers and postings
    sizes = np.diff(offsets)
    eligible = np.zeros(n, dtype=bool)
    eligible[np.arange(n) if rank_of is None else rank_of] = sizes > 0
    lsh_keys, lsh_stats = lsh_candidates(bands, eligible, minhash)
    keys = unique_sorted(np.concatenate((hits.keys, lsh_keys)))
    nn = _U64(max(n, 1))
    keys = keys[keys // nn != keys % nn]  # never a document with itself
    # the index's exact counts where it proposed the pair (hits.keys is sorted and in keys)
    at = np.minimum(np.searchsorted(hits.keys, keys), max(len(hits.keys) - 1, 0))
    found = hits.keys[at] == keys if len(hits.keys) else np.zeros(len(keys), dtype=bool)
    shared = np.where(found, hits.shared[at] if len(hits.keys) else 0, -1).astype(np.int64)
    stats = hits.stats | lsh_stats
    stats["candidates"] = int(len(keys))
    return Candidates((keys // nn).astype(np.int64), (keys % nn).astype(np.int64), hits.boilerplate, hits.own, stats,
                      shared, hits.boiler_sets, hits.boiler_offsets)
