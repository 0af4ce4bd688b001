"""Families: connected components of joining relations, deterministic representatives."""

from __future__ import annotations


from hypothesis import given, strategies as st

from retold.cluster import cluster, date_key
from retold.config import ClusterConfig
from retold.models import DocInfo, Pair


def doc(i: str, chars: int = 100, date: str | None = None) -> DocInfo:
    return DocInfo(i, chars, chars // 5, date, None, "t")


def pair(a: str, b: str, rel: str = "duplicate") -> Pair:
    return Pair(min(a, b), max(a, b), 0.5, 0.5, 0.5, rel, 10)


def test_components_and_overlap_does_not_join():
    docs = [doc(x) for x in "abcdef"]
    pairs = [pair("a", "b"), pair("b", "c", "contains"), pair("d", "e"), pair("c", "d", "overlap")]
    cl = cluster(pairs, docs)
    assert [c.members for c in cl] == [("a", "b", "c"), ("d", "e")]
    assert [c.cluster for c in cl] == [0, 1]
    cl = cluster(pairs, docs, ClusterConfig(relations=("duplicate", "contains", "overlap")))
    assert [c.members for c in cl] == [("a", "b", "c", "d", "e")]


def test_representative_rules():
    docs = [doc("a", 100, "2020-01-02"), doc("b", 500, None), doc("c", 50, "2020-01-01T12:00:00+02:00")]
    assert cluster([pair("a", "b"), pair("b", "c")], docs)[0].representative == "c"
    docs = [doc("a", 100), doc("b", 500), doc("c", 500)]
    assert cluster([pair("a", "b"), pair("b", "c")], docs)[0].representative == "b"


def test_date_key_orders_iso_dates():
    assert date_key("2020-01-01") < date_key("2020-01-01T00:00:01") < date_key(None)
    assert date_key("2020-01-01T01:00:00+02:00") < date_key("2020-01-01")


@given(st.lists(st.tuples(st.integers(0, 15), st.integers(0, 15)), max_size=40), st.randoms())
def test_clusters_do_not_depend_on_pair_order(edges, rnd):
    ids = [f"d{i:02}" for i in range(16)]
    docs = [doc(i, 100 + k) for k, i in enumerate(ids)]
    pairs = [pair(ids[x], ids[y]) for x, y in edges if x != y]
    shuffled = pairs[:]
    rnd.shuffle(shuffled)
    assert cluster(pairs, docs) == cluster(shuffled, docs)
    # reference: naive connected components
    comp = {i: {i} for i in ids}
    for p in pairs:
        merged = comp[p.a] | comp[p.b]
        for m in merged:
            comp[m] = merged
    expected = sorted({tuple(sorted(c)) for c in comp.values() if len(c) > 1}, key=lambda m: (-len(m), m))
    assert sorted((c.members for c in cluster(pairs, docs)), key=lambda m: (-len(m), m)) == expected
