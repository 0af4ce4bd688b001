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
from retold.core.arrays import segment_members, sort_in_place, starts_of, unique_sorted
from retold.config import CandidateConfig, MinHashConfig, VerifyConfig
from retold.engines.local.parallel import SHARED, fork_map, release_free_memory
from retold.engines.local.sets import ShingleSets
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


#: what the index counts (summed over its pieces into summary.json's stats)
_INDEX_STATS = ("distinct_shingles", "boilerplate_shingles", "boilerplate_occurrences", "shared_shingles",
                "index_pair_hits")
#: shingle occurrences sorted at a time (bounds the memory of the sort: ~24 bytes each)
PIECE_OCCURRENCES = 1 << 20
#: a corpus of at most so many shingle occurrences is indexed as one partition: every pair
#: is counted whole, so only those that reach the threshold are ever stored
ONE_PARTITION_OCCURRENCES = 1 << 26
#: otherwise, shingle occurrences per partition (the unit of work of one process), whose
#: pairs are summed over partitions on disk
PARTITION_OCCURRENCES = 1 << 23
#: members of distinct posting lists counted at a time (~20 bytes each); more are counted
#: in rounds whose pair counts are summed on disk
GROUP_MEMBERS = 1 << 24
#: members of posting lists held before the first merge of a partition's lists
MERGE_MEMBERS = 1 << 20
#: files the pair counts of several rounds are spilled to (by the pair's first document)
PAIR_BUCKETS = 64


def _pieces(counts: np.ndarray, most: int) -> list[tuple[int, int]]:
    """The fine partitions cut into consecutive runs of at most ``most`` occurrences
    (``counts[f]`` in fine partition f), a run holding at least one fine partition."""
    out: list[tuple[int, int]] = []
    start, total = 0, 0
    for f, c in enumerate(counts.tolist()):
        if f > start and total + c > most:
            out.append((start, f))
            start, total = f, 0
        total += c
    out.append((start, len(counts)))
    return out


def _partitions(counts: np.ndarray) -> list[list[tuple[int, int]]]:
    """The index's pieces (:data:`PIECE_OCCURRENCES`) dealt into consecutive partitions:
    one, or about :data:`PARTITION_OCCURRENCES` occurrences each for a corpus of more than
    :data:`ONE_PARTITION_OCCURRENCES`."""
    pieces = _pieces(counts, PIECE_OCCURRENCES)
    total = int(counts.sum())
    parts = 1 if total <= ONE_PARTITION_OCCURRENCES else -(-total // PARTITION_OCCURRENCES)
    sizes = np.array([int(counts[lo:hi].sum()) for lo, hi in pieces], dtype=np.int64)
    first = (np.cumsum(sizes) - sizes) * parts // max(total, 1)  # the partition of each piece's start
    return [[piece for piece, k in zip(pieces, first.tolist()) if k == p] for p in range(parts)
            if (first == p).any()]


@dataclass
class _Lists:
    """Distinct posting lists with weights (how many shingles have each), as they come from
    the pieces; merged (:func:`retold.core._sets.distinct_groups`) whenever they double, as
    long as merging pays (a merge that removes less than a quarter stops them: lists that
    do not repeat across pieces are counted as they are)."""

    members: list[np.ndarray]
    sizes: list[np.ndarray]
    weights: list[np.ndarray]
    total: int = 0  # members held
    merged: int = 0  # members after the last merge
    pays: bool = True

    def add(self, members: np.ndarray, sizes: np.ndarray, weights: np.ndarray) -> None:
        self.members.append(members)
        self.sizes.append(sizes)
        self.weights.append(weights)
        self.total += len(members)
        if self.pays and self.total > max(2 * self.merged, MERGE_MEMBERS):
            before = self.total
            self.merge()
            self.pays = 4 * self.total < 3 * before

    def merge(self, dedupe: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The lists end to end, each held once if ``dedupe``: (members, starts, sizes, weights)."""
        fresh = self.total > self.merged  # lists added since the last merge (else they are distinct already)
        members, sizes, weights = (_concat(self.members, np.int32), _concat(self.sizes, np.int64),
                                   _concat(self.weights, np.int64))
        starts = starts_of(sizes)
        if dedupe and fresh:
            reps, weights = _sets.distinct_groups(members, starts, sizes, weights)
            if len(reps) < len(sizes):
                members, sizes = segment_members(members, starts[reps], sizes[reps]), sizes[reps]
                starts = starts_of(sizes)
        self.members, self.sizes, self.weights = [members], [sizes], [weights]
        self.total = self.merged = len(members)
        return members, starts, sizes, weights

    def clear(self) -> None:
        self.members, self.sizes, self.weights = [], [], []
        self.total = self.merged = 0


def index_candidates(
    sets: ShingleSets,
    config: CandidateConfig,
    verify: VerifyConfig,
    workers: int = 1,
    rank_of: np.ndarray | None = None,
) -> IndexHits:
    """The pairs proposed by the inverted index with their exact shared counts, the
    boilerplate (hashes, and each document's), own sizes and counts.

    ``sets`` holds the sorted shingle set of every stored document (empty for documents
    that are not paired); stored set i belongs to rank ``rank_of[i]`` (default: i). The
    index is built in partitions (hash ranges of :data:`PARTITION_OCCURRENCES`) on
    ``workers`` processes, each read from ``sets`` a piece (a finer hash range) at a time;
    a piece keeps the distinct posting lists of its shared, non-boilerplate shingles, each
    with the number of shingles that have it, and the pairs are counted over those lists
    (:data:`GROUP_MEMBERS` members at a time), so memory stays bounded. The result depends
    on none of these. ``own[r]`` counts the shingles of rank r that are not boilerplate.
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
    partitions = _partitions(sets.counts())
    stats = dict.fromkeys(_INDEX_STATS, 0)
    boiler_parts: list[np.ndarray] = []
    # each boilerplate occurrence as (rank << 32 | index in the boilerplate array): partitions
    # and their pieces come in hash order, so the boilerplate array is their concatenation
    boiler_occ: list[np.ndarray] = []
    seen = 0
    most = int(lengths.max()) if n else 0
    # one partition counted in one round sees every shared shingle of a pair, so it can drop
    # the pairs below the threshold at once; otherwise the counts are summed first (need 1)
    exact = index_pair_threshold(np.arange(most + 1), verify).astype(np.int64)
    several = len(partitions) > 1
    with _PairCounts(n, spill=several, directory=sets.scratch) as counter:
        for boiler, occ_index, occ_docs, part_stats in fork_map(
                _index_partition, enumerate(partitions), workers if several else 1, sets=sets, ranks=ranks,
                max_df=config.max_df, counter=counter, lengths=lengths, exact=exact, several=several):
            boiler_parts.append(boiler)
            boiler_occ.append((occ_docs.astype(_U64) << _U64(32)) | (occ_index + seen).astype(_U64))
            seen += len(boiler)
            for k, v in part_stats.items():
                stats[k] += v

        def need(keys: np.ndarray) -> np.ndarray:
            a, b = (keys // _U64(n)).astype(np.int64), (keys % _U64(n)).astype(np.int64)
            return index_pair_threshold(np.minimum(lengths[a], lengths[b]), verify)

        keys, counts = counter.at_least(need, workers)
    boilerplate = _concat(boiler_parts, _U64)
    occ = _concat(boiler_occ, _U64)
    sort_in_place(occ)  # by rank, then hash
    per_doc = np.bincount((occ >> _U64(32)).astype(np.int64), minlength=n)
    boiler_offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(per_doc, out=boiler_offsets[1:])
    occ &= _U64(0xFFFFFFFF)
    boiler_sets = boilerplate[occ.view(np.int64)]
    del occ
    stats["index_candidates"] = int(len(keys))
    return IndexHits(keys, counts.astype(np.int64), boilerplate, lengths - per_doc, boiler_sets, boiler_offsets, stats)


def _index_partition(job: tuple[int, list[tuple[int, int]]]) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                       dict[str, int]]:
    """One partition of the index, a piece at a time: its pair counts go to the shared
    counter; returns its boilerplate hashes (sorted), their occurrences (index in those
    hashes, rank; int32), and counts."""
    p, pieces = job
    sh = SHARED
    counter, n, lengths, exact, several = sh["counter"], len(sh["ranks"]), sh["lengths"], sh["exact"], sh["several"]
    ones = np.ones(len(exact), dtype=np.int64)
    stats = dict.fromkeys(_INDEX_STATS, 0)
    boilerplate: list[np.ndarray] = []
    occ_index: list[np.ndarray] = []
    occ_docs: list[np.ndarray] = []
    found = 0  # boilerplate hashes of the earlier pieces
    lists = _Lists([], [], [])
    rounds = 0

    def count(need: np.ndarray) -> None:
        nonlocal rounds
        members, starts, sizes, weights = lists.merge(dedupe=lists.pays)
        counter.add(*_sets.group_pair_counts(members, starts, sizes, n, lengths, need, weights), tag=f"{p}-{rounds}")
        lists.clear()
        rounds += 1

    for i, piece in enumerate(pieces):
        boiler, index, docs, members, sizes, weights = _index_piece(piece, stats)
        boilerplate.append(boiler)
        occ_index.append(index + found)
        occ_docs.append(docs)
        found += len(boiler)
        lists.add(members, sizes, weights)
        if lists.total > GROUP_MEMBERS and i + 1 < len(pieces) and (
                not lists.pays or len(lists.merge()[0]) > GROUP_MEMBERS // 2):
            count(ones)  # counted in rounds: a round's pairs need one shared shingle, the sum the threshold
    count(ones if several or rounds else exact)
    return _concat(boilerplate, _U64), _concat(occ_index, np.int32), _concat(occ_docs, np.int32), stats


def _index_piece(piece: tuple[int, int], stats: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                         np.ndarray, np.ndarray, np.ndarray]:
    """One piece of the index: the occurrences of a range of fine partitions, read and
    sorted into postings; its counts added to ``stats``.

    Returns its boilerplate hashes (sorted), their occurrences (index in those hashes,
    rank; int32), and the distinct posting lists of its shared non-boilerplate shingles
    (members int32, sizes, weights: how many shingles have each list).
    """
    sh = SHARED
    ranks, max_df = sh["ranks"], sh["max_df"]
    hs, ds = sh["sets"].hash_range(*piece)
    distinct, starts, sizes, members = _sets.shingle_postings(hs, ranks[ds])
    del hs, ds
    boiler = sizes > max_df
    keep = (sizes >= 2) & ~boiler
    kept, kept_starts = sizes[keep], starts[keep]
    nb = int(boiler.sum())
    stats["distinct_shingles"] += int(len(distinct))
    stats["boilerplate_shingles"] += nb
    stats["boilerplate_occurrences"] += int(sizes[boiler].sum())
    stats["shared_shingles"] += int(keep.sum())
    stats["index_pair_hits"] += int((kept * (kept - 1) // 2).sum())
    occ_docs = segment_members(members, starts[boiler], sizes[boiler])
    occ_index = np.repeat(np.arange(nb, dtype=np.int32), sizes[boiler])
    reps, weights = _sets.distinct_groups(members, kept_starts, kept, np.ones(len(kept), dtype=np.int64))
    lists = segment_members(members, kept_starts[reps], kept[reps])
    return distinct[boiler], occ_index, occ_docs, lists, kept[reps], weights


def _concat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    """``parts`` end to end (empty of ``dtype`` when there are none); the list is emptied."""
    out = np.concatenate(parts).astype(dtype, copy=False) if parts else np.empty(0, dtype)
    parts.clear()
    return out


class _PairCounts:
    """Counts of encoded pairs over one or more additions, spilled to disk by ``a`` range
    (:data:`PAIR_BUCKETS` files) when ``spill`` (additions come from worker processes) or
    from the second addition on, so summing the counts never needs all pairs in memory at
    once."""

    def __init__(self, n: int, spill: bool, directory: str | None = None) -> None:
        self.n = max(n, 1)
        self.spill = spill
        self.directory = directory  # where the spill files go (default: the system's temporary directory)
        # made here when spilling: the workers that add must share it
        self.tmp = tempfile.TemporaryDirectory(prefix="retold-pairs-", dir=directory) if spill else None
        self.memory: list[tuple[np.ndarray, np.ndarray]] = []
        # first key of each bucket: bucket j holds a in [j*n/B, (j+1)*n/B)
        firsts = -(-np.arange(PAIR_BUCKETS + 1, dtype=np.int64) * self.n // PAIR_BUCKETS)
        self.bounds = firsts.astype(_U64) * _U64(self.n)

    def __enter__(self) -> "_PairCounts":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.tmp is not None:
            self.tmp.cleanup()

    @property
    def buckets(self) -> int:
        return 1 if self.tmp is None else PAIR_BUCKETS

    def _path(self, j: int, what: str) -> str:
        assert self.tmp is not None
        return os.path.join(self.tmp.name, f"{j}.{what}")

    def add(self, keys: np.ndarray, counts: np.ndarray, tag: str) -> None:
        """Add ``counts`` (uint32) to the counts of ``keys`` (sorted, unique); ``tag`` names
        this addition's files (one writer per tag)."""
        if not self.spill and not self.memory and self.tmp is None:
            self.memory.append((keys, counts))
            return
        if self.tmp is None:
            self.tmp = tempfile.TemporaryDirectory(prefix="retold-pairs-", dir=self.directory)
        if self.memory:
            self._spill(*self.memory.pop(), "memory")
        self._spill(keys, counts, tag)

    def _spill(self, keys: np.ndarray, counts: np.ndarray, tag: str) -> None:
        cut = np.searchsorted(keys, self.bounds)
        for j in range(PAIR_BUCKETS):
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
            tags = sorted(x.split(".")[1] for x in os.listdir(self.tmp.name)
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
