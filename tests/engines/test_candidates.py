"""Candidate generation against a brute-force reference."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from itertools import combinations
from math import ceil
from unittest.mock import patch

import numpy as np
from hypothesis import given, settings, strategies as st

from retold.core.lsh import band_keys, lsh_candidates
from retold.engines.local import candidates
from retold.engines.local.candidates import find_candidates, index_candidates
from retold.engines.local.sets import ArraySets
from retold.config import CandidateConfig, MinHashConfig, VerifyConfig


def flatten(sets: list[set[int]]) -> ArraySets:
    arrays = [np.array(sorted(s), dtype=np.uint64) for s in sets]
    offsets = np.concatenate(([0], np.cumsum([len(a) for a in arrays]))).astype(np.int64)
    flat = np.concatenate(arrays).astype(np.uint64) if arrays else np.empty(0, np.uint64)
    return ArraySets(flat, offsets)


@contextmanager
def index_sizes(piece: int, group_members: int, partition: int) -> Iterator[None]:
    """The index's pieces, rounds and partitions of these sizes (a corpus larger than one
    partition is split)."""
    with patch.object(candidates, "PIECE_OCCURRENCES", piece), patch.object(candidates, "GROUP_MEMBERS", group_members), \
            patch.object(candidates, "PARTITION_OCCURRENCES", partition), \
            patch.object(candidates, "ONE_PARTITION_OCCURRENCES", partition), \
            patch.object(candidates, "MERGE_MEMBERS", 48):
        yield


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sets(st.integers(0, 2**64 - 1) | st.integers(0, 60), max_size=30), min_size=2, max_size=12),
       st.integers(2, 6), st.integers(1, 8), st.sampled_from([1, 3, 1 << 24]), st.randoms(use_true_random=False),
       st.sampled_from([1, 7, 1 << 20]), st.sampled_from([1, 20, 1 << 26]))
def test_index_candidates_match_brute_force(sets, max_df, min_shared, group_members, rnd, piece, partition):
    """Small integers make hashes that clash in their high bits: the exact side path is exercised."""
    # the sets are stored in a shuffled order; rank_of says which rank each stored set has
    store = list(range(len(sets)))
    rnd.shuffle(store)
    stored = flatten([sets[r] for r in store])
    verify = VerifyConfig(min_shared=min_shared)
    # partitions and pieces of so many occurrences, pairs counted over so many members at a time
    with index_sizes(piece, group_members, partition):
        hits = index_candidates(stored, CandidateConfig(max_df=max_df), verify,
                                rank_of=np.asarray(store, dtype=np.int64))
    keys, boiler, own, stats = hits.keys, hits.boilerplate, hits.own, hits.stats
    df: dict[int, int] = {}
    for s in sets:
        for h in s:
            df[h] = df.get(h, 0) + 1
    boiler_ref = {h for h, c in df.items() if c > max_df}
    assert set(boiler.tolist()) == boiler_ref
    n = len(sets)
    expected = {}
    for a, b in combinations(range(n), 2):
        shared = len((sets[a] & sets[b]) - boiler_ref)
        need = min(min_shared, max(1, ceil(verify.min_containment * min(len(sets[a]), len(sets[b])))))
        if shared >= need:
            expected[a * n + b] = shared
    assert dict(zip(keys.tolist(), hits.shared.tolist())) == expected
    assert keys.tolist() == sorted(expected)
    assert own.tolist() == [len(s - boiler_ref) for s in sets]
    assert [hits.boiler_sets[hits.boiler_offsets[r]:hits.boiler_offsets[r + 1]].tolist() for r in range(n)] == [
        sorted(s & boiler_ref) for s in sets]
    assert stats["boilerplate_shingles"] == len(boiler_ref)
    assert stats["distinct_shingles"] == len(df)


def test_lsh_finds_identical_signatures_and_stars_large_buckets():
    cfg = MinHashConfig(num_perm=8, bands=4, max_bucket=3)
    rng = np.random.default_rng(0)
    sigs = rng.integers(0, 2**63, size=(10, 8), dtype=np.uint64)
    sigs[[1, 4, 7]] = sigs[1]  # a family of three: all pairs
    sigs[[2, 3, 5, 8, 9]] = sigs[2]  # five identical: larger than max_bucket, linked as a star
    eligible = np.ones(10, dtype=bool)
    eligible[9] = False
    keys, stats = lsh_candidates(band_keys(sigs, cfg), eligible, cfg)
    pairs = {(int(k) // 10, int(k) % 10) for k in keys}
    assert pairs == {(1, 4), (1, 7), (4, 7), (2, 3), (2, 5), (2, 8)}
    assert stats["lsh_large_buckets"] == 4  # one per band


def test_find_candidates_sorted_and_unique():
    sets = [set(range(0, 50)), set(range(10, 60)), set(range(100, 150)), set(range(0, 50))]
    sigs = np.zeros((4, 128), dtype=np.uint64)
    sigs[2] = 7
    c = find_candidates(flatten(sets), band_keys(sigs, MinHashConfig()), CandidateConfig(), MinHashConfig(),
                        VerifyConfig())
    got = list(zip(c.a.tolist(), c.b.tolist()))
    assert got == sorted(set(got))
    assert got == [(0, 1), (0, 3), (1, 3)]


def test_index_candidates_same_with_workers_partitions_pieces_and_rounds():
    rng = np.random.default_rng(3)
    # group i % 7 shares 30 shingles spread over the hash space: its posting list repeats
    # in many pieces (merged across them); groups 0..3 have 9 members (boilerplate above
    # max_df=8), the others 8
    spread = [{(1000 * g + j) * 0x9E3779B97F4A7C15 % 2**64 for j in range(30)} for g in range(7)]
    sets = [set(rng.integers(0, 2**64 - 1, 40, dtype=np.uint64).tolist()) | spread[i % 7] for i in range(60)]
    args = (flatten(sets), CandidateConfig(max_df=8), VerifyConfig())
    base = index_candidates(*args, workers=1)
    cases = ((2, 1 << 20, 1 << 24, 1 << 26), (1, 100, 1 << 24, 1 << 26), (2, 50, 1 << 24, 1 << 26),
             (1, 100, 20, 1 << 26), (2, 50, 1, 1 << 26), (2, 50, 1 << 24, 500), (1, 100, 20, 500), (2, 50, 1, 300))
    for workers, piece, group_members, partition in cases:
        with index_sizes(piece, group_members, partition):
            got = index_candidates(*args, workers=workers)
        for field in ("keys", "shared", "boilerplate", "own", "boiler_sets", "boiler_offsets"):
            assert getattr(got, field).tolist() == getattr(base, field).tolist(), field
        assert got.stats == base.stats
    assert len(base.keys) > 0 and len(base.boiler_sets) > 0


def test_partitions_deal_the_pieces_in_hash_order():
    from retold.engines.local.sets import FINE

    counts = np.full(FINE, 10, dtype=np.int64)
    counts[5] = 5000  # one fine partition larger than a piece is a piece of its own
    with index_sizes(100, 1 << 24, 1000):
        parts = candidates._partitions(counts)
        pieces = candidates._pieces(counts, 100)
    assert [p for part in parts for p in part] == pieces
    assert pieces[0] == (0, 5) and pieces[1] == (5, 6) and pieces[-1][1] == FINE
    assert all(hi - lo == 10 for lo, hi in pieces[2:-1])
    # at most ceil(total / 1000) partitions, none empty (the large piece fills what would be a few)
    assert 1 < len(parts) <= -(-int(counts.sum()) // 1000) and all(parts)
    assert all(sum(int(counts[lo:hi].sum()) for lo, hi in part) <= 1000 + 5000 for part in parts)


def test_lists_stop_merging_when_merging_does_not_pay():
    one = (np.array([0, 1], dtype=np.int32), np.array([2], dtype=np.int64), np.array([1], dtype=np.int64))
    with patch.object(candidates, "MERGE_MEMBERS", 3):
        repeated = candidates._Lists([], [], [])
        for _ in range(4):
            repeated.add(*one)  # the same list again and again: merged into one of weight 4
        assert repeated.pays and [x.tolist() for x in repeated.merge()] == [[0, 1], [0], [2], [4]]
        distinct = candidates._Lists([], [], [])
        for a in range(4):
            distinct.add(np.array([a, 9], dtype=np.int32), np.array([2], dtype=np.int64), np.array([1], dtype=np.int64))
        assert not distinct.pays  # the first merge (at 4 members) removed nothing: no more merges
        members, starts, sizes, weights = distinct.merge(dedupe=False)
        assert members.tolist() == [0, 9, 1, 9, 2, 9, 3, 9] and starts.tolist() == [0, 2, 4, 6]
        assert sizes.tolist() == [2] * 4 and weights.tolist() == [1] * 4
