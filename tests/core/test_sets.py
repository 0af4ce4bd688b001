"""The compiled set kernels (retold.core._sets) against plain Python sets and lists."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from retold.core import _sets
from retold.core.arrays import RADIX_MIN, sort_in_place, sort_values
from retold.core.coverage import (Words, _covered_words, coverage_by, windows_coverages, windows_of, word_coverage,
                                  words_of)
from retold.core.verify import intersect_counts, score_pairs

TOP = 2**64 - 1
u64 = st.integers(min_value=0, max_value=TOP)
# small values collide often (intersections), the extremes test the unsigned compares
values = st.one_of(st.integers(0, 40), st.sampled_from([0, 1, TOP - 1, TOP, 2**63, 2**63 - 1]), u64)
sets = st.sets(values, max_size=50)


def arr(values) -> np.ndarray:
    return np.array(sorted(values), dtype=np.uint64)


def flat(sets_: list[set[int]]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.concatenate(([0], np.cumsum([len(s) for s in sets_]))).astype(np.int64)
    return np.concatenate([arr(s) for s in sets_] + [np.empty(0, np.uint64)]), offsets


@st.composite
def set_lists(draw):
    """Sets including empty, identical and very unequal ones (a long set and subsets of it)."""
    base = draw(st.sets(values, max_size=400))
    out = draw(st.lists(sets, min_size=1, max_size=6))
    out.append(base)
    out.append(set(base))  # identical
    out.append(set())
    pool = sorted(base)
    if pool:
        out.append(set(draw(st.lists(st.sampled_from(pool), max_size=8))) | draw(st.sets(values, max_size=3)))
    long_set = set(range(0, 6000, 3)) | {TOP}
    out.append(long_set)
    out.append({0, 3, 5999, TOP} | set(draw(st.lists(st.sampled_from(range(0, 6000, 3)), max_size=4))))
    return out


@settings(max_examples=200, deadline=None)
@given(set_lists(), st.data())
def test_intersect_pairs_match_python_sets(sets_, data):
    shingles, offsets = flat(sets_)
    everything = set().union(*sets_)
    boiler = data.draw(st.one_of(st.just(set()), st.just(everything), st.sets(values, max_size=30),
                                 st.sets(st.sampled_from(sorted(everything)), max_size=30) if everything
                                 else st.just(set())))
    n = len(sets_)
    idx = st.integers(0, n - 1)
    pairs = data.draw(st.lists(st.tuples(idx, idx), min_size=1, max_size=30))
    pairs += [(i, j) for i in range(n) for j in range(n) if (i + j) % 3 == 0]
    sa = np.array([p[0] for p in pairs], dtype=np.int64)
    sb = np.array([p[1] for p in pairs], dtype=np.int64)
    inter, shared = _sets.intersect_pairs(sa, sb, shingles, offsets, arr(boiler))
    expect = [(len(sets_[x] & sets_[y]), len((sets_[x] & sets_[y]) - boiler)) for x, y in pairs]
    assert list(zip(inter.tolist(), shared.tolist())) == expect
    for (x, y), e in zip(pairs[:10], expect):
        assert intersect_counts(arr(sets_[x]), arr(sets_[y]), arr(boiler)) == e
    # score_pairs: ranks through a slot permutation, offsets of another int type
    slot = np.arange(n)[::-1].copy()
    sc = score_pairs(slot[sa], slot[sb], shingles, offsets.astype(np.int32), arr(boiler), slot=slot)
    assert sc.intersection.tolist() == [e[0] for e in expect]
    assert sc.shared.tolist() == [e[1] for e in expect]


def test_intersect_pairs_empty_batch_and_corpus():
    none = np.empty(0, np.int64)
    inter, shared = _sets.intersect_pairs(none, none, np.empty(0, np.uint64), np.zeros(1, np.int64),
                                          np.empty(0, np.uint64))
    assert inter.dtype == shared.dtype == np.int64 and len(inter) == len(shared) == 0
    shingles, offsets = flat([set(), set()])
    inter, shared = _sets.intersect_pairs(np.array([0, 1]), np.array([1, 1]), shingles, offsets, arr({1}))
    assert inter.tolist() == shared.tolist() == [0, 0]


def test_score_pairs_rejects_bad_indices():
    shingles, offsets = flat([{1}, {2}])
    for bad in (2, -1):
        try:
            score_pairs(np.array([0]), np.array([bad]), shingles, offsets, np.empty(0, np.uint64))
        except IndexError:
            continue
        raise AssertionError("index out of range accepted")


# --- word coverage -------------------------------------------------------------------------

def py_covered(marks: list[bool], size: int) -> int:
    """Words covered by the marked windows, window i covering words i .. i + size - 1."""
    return len({w for i, m in enumerate(marks) if m for w in range(i, i + size)})


def py_coverage(positions: list[int], other: set[int], boiler: set[int], size: int) -> float:
    own = [p not in boiler for p in positions]
    own_words = py_covered(own, size)
    found = [p in other for p in positions]
    if not positions:
        return 0.0
    if own_words == 0:
        return py_covered(found, size) / (len(positions) + size - 1)
    return py_covered([f and o for f, o in zip(found, own)], size) / own_words


texts = st.lists(st.one_of(st.integers(0, 12), st.sampled_from([0, TOP]), u64), max_size=120)


@settings(max_examples=300, deadline=None)
@given(texts, st.data(), st.integers(1, 7))
def test_coverage_matches_python(positions, data, size):
    pool = sorted(set(positions))
    other = data.draw(st.one_of(st.just(set()), st.just(set(pool)), st.sets(values, max_size=40),
                                st.sets(st.sampled_from(pool), max_size=40) if pool else st.just(set()),
                                # much longer than the document, and much shorter: both kernels' paths
                                st.builds(lambda s: s | set(range(100, 3000)), st.sets(values, max_size=10)),
                                st.sets(st.sampled_from(pool), max_size=2) if pool else st.just(set())))
    boiler = data.draw(st.one_of(st.just(set()), st.just(set(pool)), st.sets(values, max_size=10),
                                 st.sets(st.sampled_from(pool), max_size=10) if pool else st.just(set())))
    pos = np.array(positions, dtype=np.uint64)
    doc = words_of(pos, arr(boiler), size)
    assert doc.own.tolist() == [p not in boiler for p in positions]
    assert doc.own_words == py_covered(doc.own.tolist(), size)
    assert doc.shingles.tolist() == pool
    expect = py_coverage(positions, other, boiler, size)
    assert coverage_by(doc, arr(other)) == expect  # exactly: the same ints divided
    assert word_coverage(pos, arr(other), arr(boiler), size) == expect
    # Words built by hand (no sorted order cached) give the same
    bare = Words(doc.positions, doc.shingles, doc.own, doc.own_words, size)
    assert coverage_by(bare, arr(other)) == expect


@settings(max_examples=200, deadline=None)
@given(st.lists(st.booleans(), max_size=80), st.integers(1, 7))
def test_covered_words(marks, size):
    assert _covered_words(np.array(marks, dtype=bool), size) == py_covered(marks, size)


def test_long_document_against_short_partner():
    """A long document repeating windows, looked up in a short set (the sparse path), and a
    short one looked up in a long set (the galloping merge)."""
    rng = np.random.default_rng(0)
    long_pos = rng.integers(0, 5000, size=20_000).astype(np.uint64)
    short = np.unique(rng.integers(0, 5000, size=30)).astype(np.uint64)
    boiler = np.unique(rng.integers(0, 5000, size=200)).astype(np.uint64)
    lp, sp = long_pos.tolist(), short.tolist()
    for bp in (np.empty(0, np.uint64), boiler, np.unique(long_pos)):
        got = coverage_by(words_of(long_pos, bp, 5), short)
        assert got == py_coverage(lp, set(sp), set(bp.tolist()), 5)
        got = coverage_by(words_of(short[::-1].copy(), bp, 5), np.unique(long_pos))
        assert got == py_coverage(sp[::-1], set(lp), set(bp.tolist()), 5)


@st.composite
def groups(draw):
    """Documents in [0, n) grouped (each group: distinct documents, ascending; lists often
    repeated), each group's weight, lengths and a threshold table shorter than some lengths
    (clipped lookups)."""
    n = draw(st.integers(1, 30))
    gs = draw(st.lists(st.sets(st.integers(0, n - 1), min_size=0, max_size=n), max_size=25))
    gs = [sorted(g) for g in gs]
    gs += [gs[i] for i in draw(st.lists(st.integers(0, len(gs) - 1), max_size=10))] if gs else []
    weights = draw(st.lists(st.integers(1, 5), min_size=len(gs), max_size=len(gs)))
    lengths = draw(st.lists(st.integers(0, 12), min_size=n, max_size=n))
    need = draw(st.lists(st.integers(0, 6), min_size=1, max_size=8))
    return n, gs, weights, lengths, need


def flat_groups(gs: list[list[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    members = np.array([d for g in gs for d in g], dtype=np.int32)
    sizes = np.array([len(g) for g in gs], dtype=np.int64)
    return members, (np.cumsum(sizes) - sizes).astype(np.int64), sizes


@given(groups())
@settings(max_examples=300, deadline=None)
def test_group_pair_counts_equals_counting_every_pair(case) -> None:
    n, gs, weights, lengths, need = case
    counts: dict[tuple[int, int], int] = {}
    for g, w in zip(gs, weights):
        for i, a in enumerate(g):
            for b in g[i + 1 :]:
                counts[a, b] = counts.get((a, b), 0) + w
    expected = sorted((a * n + b, c) for (a, b), c in counts.items()
                      if c >= need[min(lengths[a], lengths[b], len(need) - 1)])
    members, starts, sizes = flat_groups(gs)
    keys, got = _sets.group_pair_counts(members, starts, sizes, n, np.array(lengths, dtype=np.int64),
                                        np.array(need, dtype=np.int64), np.array(weights, dtype=np.int64))
    assert keys.dtype == np.uint64 and got.dtype == np.uint32
    assert list(zip(keys.tolist(), got.tolist())) == expected


@given(groups())
@settings(max_examples=300, deadline=None)
def test_distinct_groups_sum_the_weights_of_equal_lists(case) -> None:
    _, gs, weights, _, _ = case
    expected: dict[tuple[int, ...], int] = {}
    first: dict[tuple[int, ...], int] = {}
    for i, (g, w) in enumerate(zip(gs, weights)):
        expected[tuple(g)] = expected.get(tuple(g), 0) + w
        first.setdefault(tuple(g), i)
    members, starts, sizes = flat_groups(gs)
    reps, totals = _sets.distinct_groups(members, starts, sizes, np.array(weights, dtype=np.int64))
    assert reps.tolist() == sorted(first.values())
    assert {tuple(gs[r]): t for r, t in zip(reps.tolist(), totals.tolist())} == expected


def test_distinct_groups_never_merge_different_lists_of_one_fingerprint() -> None:
    """Many lists, all different: each is its own group whatever the table's collisions."""
    gs = [[i, i + 1 + j] for i in range(200) for j in range(30)]
    members, starts, sizes = flat_groups(gs)
    reps, totals = _sets.distinct_groups(members, starts, sizes, np.ones(len(gs), dtype=np.int64))
    assert reps.tolist() == list(range(len(gs))) and totals.tolist() == [1] * len(gs)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2**64 - 1) | st.integers(0, 5) | st.sampled_from([2**63, 2**64 - 1]),
                          st.integers(0, 2**31 - 1) | st.integers(0, 3)), max_size=300),
       st.integers(0, 5000))
def test_shingle_postings_equal_sorting_the_pairs(occurrences, repeat) -> None:
    """Distinct hashes, their frequencies and each one's documents ascending, as sorting the
    (hash, doc) pairs gives them; large inputs too (the radix passes, documents already
    ascending or not)."""
    rng = np.random.default_rng(repeat)
    if repeat > 4000:  # long: many radix buckets, documents in and out of order
        extra = rng.integers(0, 2**64 - 1, size=repeat, dtype=np.uint64)[rng.integers(0, repeat, size=3 * repeat)]
        docs = rng.integers(0, 2**20, size=len(extra)) if repeat % 2 else np.arange(len(extra))
        occurrences = occurrences + list(zip(extra.tolist(), docs.tolist()))
    hashes = np.array([h for h, _ in occurrences], dtype=np.uint64)
    docs = np.array([d for _, d in occurrences], dtype=np.int32)
    distinct, starts, sizes, members = _sets.shingle_postings(hashes, docs)
    expected: dict[int, list[int]] = {}
    for h, d in sorted(occurrences):
        expected.setdefault(h, []).append(d)
    assert distinct.tolist() == list(expected)
    assert [members[a:a + z].tolist() for a, z in zip(starts.tolist(), sizes.tolist())] == list(expected.values())
    assert members.dtype == np.int32 and starts.dtype == np.int64 and sizes.dtype == np.int64


@settings(max_examples=200, deadline=None)
@given(st.lists(texts, min_size=1, max_size=6), st.sets(values, max_size=10), st.data(), st.integers(1, 7))
def test_pair_coverages_match_python(documents, boiler, data, size):
    """Every pair of a batch (self-pairs, repeats, empty documents, all-boilerplate ones)
    measured in one call equals the Python definition both ways, as does each pair
    measured alone (coverage_by)."""
    if data.draw(st.booleans()):
        documents = documents + [[0] * 30 + [TOP] * 30]  # long and repetitive
    n = len(documents)
    index = st.integers(0, n - 1)
    pairs = data.draw(st.lists(st.tuples(index, index), max_size=20))
    a = np.array([x for x, _ in pairs], dtype=np.int64)
    b = np.array([y for _, y in pairs], dtype=np.int64)
    batch = windows_of([np.array(p, dtype=np.uint64) for p in documents], [arr(set(p)) for p in documents], arr(boiler),
                       size)
    own = [[h not in boiler for h in p] for p in documents]
    assert batch.own.view(bool).tolist() == [w for flags in own for w in flags]
    assert batch.own_words.tolist() == [py_covered(flags, size) for flags in own]
    docs = [words_of(np.array(p, dtype=np.uint64), arr(boiler), size) for p in documents]
    cov_a, cov_b = windows_coverages(batch, a, b)
    for i, (x, y) in enumerate(pairs):
        assert cov_a[i] == py_coverage(documents[x], set(documents[y]), boiler, size)
        assert cov_b[i] == py_coverage(documents[y], set(documents[x]), boiler, size)
        assert coverage_by(docs[x], docs[y].shingles) == cov_a[i]


def test_pair_coverages_reject_bad_indices():
    batch = windows_of([np.array([1, 2, 3], dtype=np.uint64)], [np.array([1, 2, 3], dtype=np.uint64)],
                       np.empty(0, np.uint64), 5)
    for a, b in (([0], [1]), ([-1], [0])):
        with pytest.raises(IndexError, match="out of range"):
            windows_coverages(batch, np.array(a), np.array(b))


@settings(max_examples=300, deadline=None)
@given(st.lists(values, max_size=300))
def test_sort_u64_equals_numpy_sort(xs):
    """The radix sort, including digits shared by every value (skipped passes) and the extremes."""
    a = np.array(xs, dtype=np.uint64)
    expected = np.sort(a)
    _sets.sort_u64(a)
    assert a.tolist() == expected.tolist()


def test_sort_values_large_arrays_take_the_radix_path():
    rng = np.random.default_rng(3)
    for high in (2**64 - 1, 1000):
        a = rng.integers(0, high, size=RADIX_MIN + 5, dtype=np.uint64)
        got = sort_values(a)
        assert got.tolist() == np.sort(a).tolist() and got is not a
        b = a.copy()
        sort_in_place(b)
        assert b.tolist() == got.tolist()


def test_windows_need_their_sets():
    pos = np.array([5, 9, 5], dtype=np.uint64)
    with pytest.raises(ValueError, match="not in its document's shingle set"):
        windows_of([pos], [np.array([5], dtype=np.uint64)], np.empty(0, np.uint64), 5)
    with pytest.raises(ValueError, match="not in its document's shingle set"):
        windows_of([pos], [np.empty(0, np.uint64)], np.empty(0, np.uint64), 5)
    w = windows_of([pos, pos[:0]], [np.array([5, 9], dtype=np.uint64), pos[:0]], np.empty(0, np.uint64), 2)
    assert w.order.tolist() == [0, 2, 1] and w.ends.tolist() == [2, 3] and w.sets.tolist() == [5, 9]
    assert w.own_words.tolist() == [4, 0]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(values, st.integers(1, 2**20), max_size=30), max_size=7))
def test_merge_sum_adds_the_counts_of_equal_keys(runs):
    keys = np.array([k for r in runs for k in sorted(r)], dtype=np.uint64)
    counts = np.array([r[k] for r in runs for k in sorted(r)], dtype=np.uint32)
    bounds = np.concatenate(([0], np.cumsum([len(r) for r in runs]))).astype(np.int64)
    expected: dict[int, int] = {}
    for r in runs:
        for k, c in r.items():
            expected[k] = expected.get(k, 0) + c
    got_keys, got_counts = _sets.merge_sum(keys, counts, bounds)
    assert got_keys.dtype == np.uint64 and got_counts.dtype == np.uint32
    assert list(zip(got_keys.tolist(), got_counts.tolist())) == sorted(expected.items())


@given(st.lists(st.integers(-5, 5), max_size=40), st.data())
def test_gather_segments_equal_slicing(values, data) -> None:
    members = np.array(values, dtype=np.int32)
    bounds = data.draw(st.lists(st.tuples(st.integers(0, len(values)), st.integers(0, len(values))), max_size=8))
    starts = np.array([min(x, y) for x, y in bounds], dtype=np.int64)
    sizes = np.array([abs(x - y) for x, y in bounds], dtype=np.int64)
    got = _sets.gather_segments(members, starts, sizes)
    assert got.dtype == np.int32
    assert got.tolist() == [v for s, k in zip(starts.tolist(), sizes.tolist()) for v in values[s : s + k]]


def test_gather_segments_refuse_a_segment_past_the_end() -> None:
    with pytest.raises(IndexError, match="segment 1 outside"):
        _sets.gather_segments(np.arange(4, dtype=np.int32), np.array([0, 3], dtype=np.int64),
                              np.array([2, 2], dtype=np.int64))


@given(st.integers(0, 12).flatmap(lambda n: st.tuples(st.just(n), st.lists(
    st.tuples(st.integers(0, max(n - 1, 0)), st.integers(0, max(n - 1, 0))), max_size=30 if n else 0))))
def test_breadth_first_numbers_equal_a_plain_search(case) -> None:
    n, edges = case
    neighbours: list[list[int]] = [[] for _ in range(n)]
    for x, y in edges:
        neighbours[x].append(y)
        neighbours[y].append(x)
    expected = [-1] * n
    count = 0
    for root in range(n):
        if expected[root] >= 0:
            continue
        expected[root], count, queue = count, count + 1, [root]
        for x in queue:
            for y in neighbours[x]:
                if expected[y] < 0:
                    expected[y], count = count, count + 1
                    queue.append(y)
    starts = np.zeros(n + 1, dtype=np.int64)
    np.cumsum([len(v) for v in neighbours], out=starts[1:])
    flat = np.array([y for v in neighbours for y in v], dtype=np.int64)
    assert _sets.breadth_first_numbers(starts, flat).tolist() == expected


def test_breadth_first_numbers_refuse_a_neighbour_outside_the_nodes() -> None:
    with pytest.raises(IndexError, match="outside the nodes"):
        _sets.breadth_first_numbers(np.array([0, 1], dtype=np.int64), np.array([3], dtype=np.int64))



@given(st.integers(1, 6).flatmap(lambda n: st.tuples(
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=30),
    st.lists(st.integers(0, 9), min_size=n, max_size=n), st.integers(1, 5), st.integers(0, 25))))
def test_chunk_bounds_cut_by_pairs_and_by_the_weight_of_distinct_documents(case) -> None:
    pairs, weights, max_pairs, budget = case
    a = np.array([x for x, _ in pairs], dtype=np.int64)
    b = np.array([y for _, y in pairs], dtype=np.int64)
    bounds = _sets.chunk_bounds(a, b, np.array(weights, dtype=np.int64), max_pairs, budget).tolist()
    assert bounds[0] == 0 and bounds[-1] == len(pairs) and all(x < y for x, y in zip(bounds, bounds[1:]))
    for lo, hi in zip(bounds, bounds[1:]):
        docs = {d for p in pairs[lo:hi] for d in p}
        load = sum(weights[d] for d in docs)
        assert hi - lo <= max_pairs and (load <= budget or hi - lo == 1)
        if hi < len(pairs):  # cut only when the next pair would not fit
            more = docs | set(pairs[hi])
            assert hi - lo == max_pairs or sum(weights[d] for d in more) > budget
