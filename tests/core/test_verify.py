"""Exact scores and relations, checked against plain Python sets."""

from __future__ import annotations

import numpy as np
from hypothesis import given, strategies as st

from retold.config import VerifyConfig
from retold.core.verify import Scores, classify, intersect_counts, own_sizes, score_pairs

u64 = st.integers(min_value=0, max_value=2**64 - 1)


def as_set(values: set[int]) -> np.ndarray:
    return np.array(sorted(values), dtype=np.uint64)


@given(st.sets(u64, max_size=60), st.sets(u64, max_size=60), st.sets(u64, max_size=30))
def test_intersect_counts_match_python_sets(a, b, boiler):
    common = a & b
    assert intersect_counts(as_set(a), as_set(b), as_set(boiler)) == (len(common), len(common - boiler))


@given(st.lists(st.sets(u64, max_size=40), min_size=2, max_size=6), st.sets(u64, max_size=20))
def test_score_pairs_and_own_sizes(sets, boiler):
    arrays = [as_set(s) for s in sets]
    offsets = np.concatenate(([0], np.cumsum([len(x) for x in arrays]))).astype(np.int64)
    flat = np.concatenate(arrays).astype(np.uint64)
    bp = as_set(boiler)
    assert own_sizes(flat, offsets, bp).tolist() == [len(s - boiler) for s in sets]
    assert own_sizes(flat, offsets, bp, chunk=3).tolist() == [len(s - boiler) for s in sets]
    a = np.array([0, 0, 1], dtype=np.int64)
    b = np.array([1, len(sets) - 1, len(sets) - 1], dtype=np.int64)
    sc = score_pairs(a, b, flat, offsets, bp)
    for i, (x, y) in enumerate(zip(a, b)):
        inter = len(sets[x] & sets[y])
        union = len(sets[x] | sets[y])
        assert sc.intersection[i] == inter
        assert sc.jaccard[i] == (inter / union if union else 0.0)
        assert sc.containment_a[i] == (inter / len(sets[x]) if sets[x] else 0.0)


def scores(inter, shared, sa, sb, own_a=None, own_b=None) -> Scores:
    arr = lambda v: np.array([v], dtype=np.int64)  # noqa: E731
    return Scores(arr(inter), arr(shared), arr(sa), arr(sb), arr(sa if own_a is None else own_a),
                  arr(sb if own_b is None else own_b))


def test_relations():
    cfg = VerifyConfig()
    assert classify(scores(90, 90, 100, 100), cfg)[0] == "duplicate"
    assert classify(scores(90, 90, 1000, 100), cfg)[0] == "contains"  # b (smaller) within a
    assert classify(scores(90, 90, 100, 1000), cfg)[0] == "contained"
    assert classify(scores(12, 12, 400, 400), cfg)[0] == "overlap"
    assert classify(scores(5, 5, 400, 400), cfg)[0] == ""
    # a footer shared by two short documents: boilerplate alone never makes them duplicates
    assert classify(scores(30, 0, 100, 100, 70, 70), cfg)[0] == ""
    # a massively copied page: every shingle is boilerplate, yet it is a near copy
    assert classify(scores(95, 0, 100, 100, 0, 0), cfg)[0] == "duplicate"


def test_empty_sets_are_never_related():
    assert classify(scores(0, 0, 0, 0), VerifyConfig())[0] == ""


def test_rounded_all_is_rounded():
    """The vectorised rounding of pairs_from_scores equals rules.rounded bit for bit."""
    from hypothesis import settings
    from retold.core.rules import rounded
    from retold.core.verify import rounded_all

    ties = [(k + 0.5) / 1e4 for k in range(0, 10_000, 7)]
    near = [np.nextafter(t, d) for t in ties[:200] for d in (0.0, 1.0)]
    special = [0.0, -0.0, 1.0, 0.5, 0.00005, 0.99995, 1e4, 1e4 + 0.00005, 1e17, -3.14159265, float("nan"),
               float("inf"), float("-inf")]
    x = np.array(ties + near + special)
    got, want = rounded_all(x), [rounded(v) for v in x]
    assert [np.float64(g).tobytes() for g in got] == [np.float64(w).tobytes() for w in want]
    assert all(type(g) is float for g in got)

    @settings(max_examples=300)
    @given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=50))
    def check(values):
        assert [np.float64(g).tobytes() for g in rounded_all(np.array(values, dtype=np.float64))] == \
               [np.float64(rounded(v)).tobytes() for v in values]

    check()
    rng = np.random.default_rng(0)
    x = np.concatenate((rng.random(200_000), rng.integers(0, 10**6, 50_000) / 10**6))
    assert rounded_all(x) == [rounded(v) for v in x]
