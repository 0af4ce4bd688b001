"""The NumPy building blocks against plain-Python references."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from retold.core.arrays import count_sorted, isin_sorted, postings, unique_sorted, within

U64 = st.integers(0, 2**64 - 1)


@given(st.lists(U64 | st.integers(0, 5)))
def test_unique_and_counts(values):
    arr = np.asarray(values, dtype=np.uint64)
    assert unique_sorted(arr).tolist() == sorted(set(values))
    distinct, counts = count_sorted(arr)
    assert dict(zip(distinct.tolist(), counts.tolist())) == {v: values.count(v) for v in set(values)}


@given(st.lists(U64 | st.integers(0, 9)), st.sets(U64 | st.integers(0, 9)))
def test_isin_sorted(values, members):
    got = isin_sorted(np.asarray(values, dtype=np.uint64), np.asarray(sorted(members), dtype=np.uint64))
    assert got.tolist() == [v in members for v in values]


@given(st.lists(st.integers(0, 6), max_size=8))
def test_within(lengths):
    got = within(np.asarray(lengths, dtype=np.int64)).tolist()
    assert got == [i for n in lengths for i in range(n)]


@settings(max_examples=200)
@given(st.data(), st.integers(1, 70))
def test_postings_group_exactly_by_full_hash(data, n):
    """Hashes that differ only in their low bits (where the document goes) must not be merged."""
    high = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=4, unique=True))
    pool = [(h << 60) | low for h in high for low in data.draw(st.sets(st.integers(0, 300), min_size=1, max_size=5))]
    pool += data.draw(st.lists(U64, max_size=3))
    occ = data.draw(st.sets(st.tuples(st.sampled_from(pool), st.integers(0, n - 1)), max_size=60))
    hashes = np.asarray([h for h, _ in occ], dtype=np.uint64)
    docs = np.asarray([d for _, d in occ], dtype=np.int64)
    members, starts, sizes = postings(hashes, docs, n)
    got = sorted(members[s : s + z].tolist() for s, z in zip(starts.tolist(), sizes.tolist()))
    ref: dict[int, list[int]] = {}
    for h, d in occ:
        ref.setdefault(h, []).append(d)
    assert got == sorted(sorted(v) for v in ref.values())
