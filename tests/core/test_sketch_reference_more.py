"""Classic MinHash (retold.core.sketch_reference.classic_minhash): the estimator retold's
fast sketching is measured against must itself estimate Jaccard similarity."""

from __future__ import annotations

import numpy as np
from conftest import edit_words, make_doc

from retold.config import MinHashConfig
from retold.core.hashing import MAXU64
from retold.core.sketch import shingle_set
from retold.core.sketch_reference import classic_minhash


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    return len(np.intersect1d(a, b)) / len(np.union1d(a, b))


def test_equal_entries_estimate_the_jaccard_of_a_light_rewrite(prose):
    cfg = MinHashConfig(num_perm=256)
    text = make_doc(prose, 10, 600)
    a = shingle_set(text)[0]
    b = shingle_set(edit_words(text, 0.1, 3))[0]
    exact = _jaccard(a, b)
    est = float(np.mean(classic_minhash(a, cfg) == classic_minhash(b, cfg)))
    assert 0.2 < exact < 0.9
    assert abs(est - exact) < 0.1, (est, exact)


def test_unrelated_texts_share_almost_no_entries_and_a_text_shares_all_with_itself(prose):
    cfg = MinHashConfig(num_perm=128)
    a = shingle_set(make_doc(prose, 0, 300))[0]
    b = shingle_set(make_doc(prose, 60, 300))[0]
    sig_a = classic_minhash(a, cfg)
    assert sig_a.shape == (128,) and sig_a.dtype == np.uint64
    assert np.array_equal(sig_a, classic_minhash(a.copy(), cfg))
    assert np.mean(sig_a == classic_minhash(b, cfg)) < 0.05


def test_a_set_longer_than_one_chunk_gives_the_minimum_over_all_chunks(prose):
    cfg = MinHashConfig(num_perm=64)
    shingles = shingle_set(make_doc(prose, 0, 9000))[0]
    assert len(shingles) > 4096  # processed in chunks of 4096
    whole = classic_minhash(shingles, cfg)
    halves = np.minimum(classic_minhash(shingles[:5000], cfg), classic_minhash(shingles[5000:], cfg))
    assert np.array_equal(whole, halves)


def test_an_empty_set_has_the_all_max_signature():
    sig = classic_minhash(np.array([], dtype=np.uint64), MinHashConfig(num_perm=32))
    assert sig.shape == (32,) and bool(np.all(sig == MAXU64))
