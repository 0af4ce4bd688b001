"""Spill files give back exactly what was put in, from any process."""

import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import numpy as np
from hypothesis import given, strategies as st

from retold.engines.local.textstore import SpillDir, TextStore, append_texts


def _store(spill, appended):
    return TextStore.build(spill, ((name, bounds[:-1], bounds[1:]) for name, bounds in appended))


@given(st.lists(st.lists(st.text()), max_size=5))
def test_round_trip(batches):
    with SpillDir() as spill:
        appended = [append_texts(spill, b) for b in batches]
        store = _store(spill, appended)
        flat = [t for b in batches for t in b]
        assert [store.get(i) for i in reversed(range(len(flat)))] == list(reversed(flat))
        assert len(store) == len(flat)
    assert not os.path.exists(spill.path)


def _append_in_child(args):
    spill, texts = args
    name, bounds = append_texts(spill, texts)
    arr_name, at = spill.append("shingles", np.arange(len(texts), dtype=np.uint64))
    return name, bounds, arr_name, at, os.getpid()


def test_workers_append_to_their_own_files_and_the_parent_reads_them():
    batches = [[f"text {i}.{j} \ud800 é" for j in range(i + 1)] for i in range(6)]
    with SpillDir() as spill, ProcessPoolExecutor(2, mp_context=get_context("fork")) as pool:
        got = list(pool.map(_append_in_child, [(spill, b) for b in batches]))
        assert {g[4] for g in got} != {os.getpid()}
        store = _store(spill, [(g[0], g[1]) for g in got])
        assert [store.get(i) for i in range(len(store))] == [t for b in batches for t in b]
        for (_, _, arr_name, at, _), b in zip(got, batches):
            assert spill.read_array(arr_name, at, len(b)).tolist() == list(range(len(b)))
