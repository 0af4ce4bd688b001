"""The local engine's alignment stage: the prepared-text cache and the chunked, ordered alignment."""

from __future__ import annotations

from retold.config import AlignConfig
from retold.core.align import align
from retold.engines.local.pairs import PreparedCache, align_pairs, locality_order
from retold.models import Pair

import numpy as np

from conftest import SEED_LONG, SEED_SHORT, edit_words


def _texts(seed_texts: dict[str, str]) -> dict[str, str]:
    long, short = seed_texts[SEED_LONG], seed_texts[SEED_SHORT]
    return {"a": long, "b": long, "c": short, "d": edit_words(long, 0.1, 1), "e": short + " Extra words here."}


def test_identical_texts_share_one_preparation(seed_texts):
    texts = _texts(seed_texts)
    read: list[str] = []

    def text_of(i: str) -> str:
        read.append(i)
        return texts[i]

    cache = PreparedCache(text_of, AlignConfig())
    got = cache.get_all(["a", "b", "c", "a"])
    assert got["a"] is got["b"] and got["a"] is not got["c"]
    assert cache.prepared == 2 and read == ["a", "b", "c"]
    again = cache.get_all(["b", "c"])  # kept: nothing read or prepared again
    assert again["b"] is got["a"] and cache.prepared == 2 and read == ["a", "b", "c"]


def test_over_budget_the_least_recently_used_go_but_never_those_in_use(seed_texts):
    texts = _texts(seed_texts)
    cache = PreparedCache(texts.__getitem__, AlignConfig(), max_tokens=1)
    first = cache.get_all(["a", "c"])
    assert len(cache.docs) == 2  # over budget, but both are in use
    cache.get_all(["d"])
    assert list(cache.docs) == [cache.digest_of["d"]]
    assert cache.get_all(["a"])["a"].n_tokens == first["a"].n_tokens and cache.prepared == 4


def test_aligned_pairs_equal_one_at_a_time_whatever_the_chunks_and_cache(seed_texts, monkeypatch):
    texts = _texts(seed_texts)
    ids = sorted(texts)
    pairs = tuple(Pair(x, y, 0.5, 0.5, 0.5, "overlap") for k, x in enumerate(ids) for y in ids[k + 1:])
    expected = [tuple(align(texts[p.a], texts[p.b])) for p in pairs]
    monkeypatch.setattr(PreparedCache.__init__, "__defaults__", (1,))  # a cache of one token
    for chunk, workers in ((1, 1), (3, 2), (512, 1)):
        got = align_pairs(pairs, texts.__getitem__, AlignConfig(), workers=workers, chunk=chunk)
        assert [p.passages for p in got] == expected
        assert [(p.a, p.b) for p in got] == [(p.a, p.b) for p in pairs]
    assert any(expected)


def test_locality_order_is_a_permutation_that_groups_a_documents_pairs():
    a = np.array([0, 5, 0, 3, 5, 1])
    b = np.array([9, 9, 5, 4, 4, 9])
    order = locality_order(a, b)
    assert sorted(order.tolist()) == list(range(len(a)))
    assert order.tolist() == locality_order(a, b).tolist()
    # the first pair's documents come first: pairs of document 0 lead
    assert {int(a[order[0]]), int(b[order[0]])} & {0}


def test_pairs_of_the_same_two_texts_are_aligned_once(seed_texts, monkeypatch):
    """Copies of one text paired with copies of another: one alignment, the same passages."""
    import retold.engines.local.pairs as stage

    texts = _texts(seed_texts)
    texts |= {"c2": texts["c"], "d2": texts["d"]}
    aligned: list[int] = []
    real = stage.align_arrays_many

    def counting(firsts, seconds, config):
        aligned.append(len(firsts))
        return real(firsts, seconds, config)

    monkeypatch.setattr(stage, "align_arrays_many", counting)
    pairs = tuple(Pair(x, y, 0.5, 0.5, 0.5, "overlap") for x, y in
                  (("a", "c"), ("b", "c"), ("a", "c2"), ("c", "d"), ("c2", "d2"), ("a", "d")))
    for chunk in (2, 512):
        aligned.clear()
        got = align_pairs(pairs, texts.__getitem__, AlignConfig(), workers=1, chunk=chunk)
        assert [p.passages for p in got] == [tuple(align(texts[p.a], texts[p.b])) for p in pairs]
        # (a|b, c|c2) once, (c|c2, d|d2) once, (a, d) once
        assert sum(aligned) == 3


def test_over_budget_the_text_needed_latest_goes_and_first_one_whose_use_passed(seed_texts):
    from retold.core.align import prepare

    texts = _texts(seed_texts)
    size = {i: prepare(t).n_tokens for i, t in texts.items()}
    # room for d and e, so for c and d (c is shorter than e), not for three of a, c, d, e
    cache = PreparedCache(texts.__getitem__, AlignConfig(), max_tokens=size["d"] + size["e"])
    cache.get_all(["a", "c"], 0, {"a": 9, "c": 2})
    cache.get_all(["d"], 1, {"d": 5})
    # a (next needed in chunk 9) went, not c (chunk 2), though a was used as recently
    assert set(cache.docs) == {cache.digest_of["c"], cache.digest_of["d"]}
    cache.get_all(["e"], 3, {"e": 4})  # c's use (chunk 2) has passed: it goes before d (chunk 5)
    assert set(cache.docs) == {cache.digest_of["d"], cache.digest_of["e"]}
    assert cache.prepared == 4


def test_next_uses_name_the_chunk_each_document_comes_back_in():
    from retold.engines.local.pairs import NextUses

    a = np.array([0, 1, 0, 2, 3, 0])
    b = np.array([1, 2, 3, 3, 4, 4])
    uses = NextUses.of(a, b, 2)  # chunks: {0, 1, 2}, {0, 2, 3}, {0, 3, 4}
    got = [dict(zip(uses.docs[uses.starts[c]:uses.starts[c + 1]].tolist(),
                    uses.next[uses.starts[c]:uses.starts[c + 1]].tolist())) for c in range(3)]
    assert got == [{0: 1, 1: 3, 2: 1}, {0: 2, 2: 3, 3: 2}, {0: 3, 3: 3, 4: 3}]
