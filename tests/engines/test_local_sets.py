"""Shingle sets read by hash range or by document: in memory and from spill files alike."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from retold.config import ScanConfig
from retold.engines.local.sets import FINE, FINE_BITS, ArraySets, SpilledSets, fine_ids, spill_block
from retold.engines.local.sketching import sketch_corpus
from retold.engines.local.textstore import SpillDir, TextStore
from retold.models import Problem


def unlaid(laid: tuple[np.ndarray, np.ndarray]) -> list[list[int]]:
    """Sets laid end to end (values, offsets) as one list each."""
    values, offsets = laid
    assert offsets[0] == 0 and offsets[-1] == len(values)
    return [values[lo:hi].tolist() for lo, hi in zip(offsets[:-1].tolist(), offsets[1:].tolist())]

# hashes anywhere, and hashes crowded into the first and last fine partitions
HASHES = st.integers(0, 2**64 - 1) | st.integers(0, 50) | st.integers(2**64 - 50, 2**64 - 1)
SETS = st.lists(st.sets(HASHES, max_size=12), min_size=1, max_size=10)


def flatten(sets: list[set[int]]) -> ArraySets:
    arrays = [np.array(sorted(s), dtype=np.uint64) for s in sets]
    offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
    np.cumsum([len(a) for a in arrays], out=offsets[1:])
    return ArraySets(np.concatenate(arrays).astype(np.uint64), offsets)


def brute_range(sets: list[set[int]], lo: int, hi: int) -> list[tuple[int, int]]:
    """Every (hash, set index) whose hash's top bits fall in [lo, hi)."""
    return sorted((h, i) for i, s in enumerate(sets) for h in s if lo <= h >> (64 - FINE_BITS) < hi)


def occurrences(got: tuple[np.ndarray, np.ndarray]) -> list[tuple[int, int]]:
    hashes, docs = got
    assert docs.dtype == np.int32 and hashes.dtype == np.uint64
    return sorted(zip(hashes.tolist(), docs.tolist()))


RANGES = [(0, 1), (0, FINE), (1, FINE - 1), (FINE - 1, FINE), (3, 700)]


@settings(max_examples=60, deadline=None)
@given(SETS, st.integers(1, 9))
def test_array_sets_read_in_chunks_equal_a_full_scan(sets, chunk):
    stored = flatten(sets)
    chunked = ArraySets(stored.shingles, stored.offsets, chunk=chunk)
    expected = np.zeros(FINE, dtype=np.int64)
    for s in sets:
        for h in s:
            expected[h >> (64 - FINE_BITS)] += 1
    assert chunked.counts().tolist() == expected.tolist()
    for lo, hi in RANGES:
        assert occurrences(chunked.hash_range(lo, hi)) == brute_range(sets, lo, hi)
    assert unlaid(chunked.sets(range(len(sets)))) == [sorted(s) for s in sets]


@settings(max_examples=40, deadline=None)
@given(st.lists(SETS, min_size=1, max_size=4), st.data())
def test_spilled_sets_equal_the_same_sets_in_memory(blocks, data):
    """Blocks spilled as sketching workers do, some documents dropped (repeated ids): every
    read gives what the kept documents' sets in one array give."""
    kept_sets: list[set[int]] = []
    with SpillDir() as spill:
        spilled, slots, by_doc = [], [], []
        for sets in blocks:
            flat = flatten(sets)
            name, start = spill.append("shingles", flat.shingles)
            spilled.append(spill_block(spill, flat.shingles, flat.offsets))
            keep = data.draw(st.lists(st.booleans(), min_size=len(sets), max_size=len(sets)))
            rows = np.flatnonzero(keep)
            local = np.full(len(sets), -1, dtype=np.int32)
            local[rows] = np.arange(len(kept_sets), len(kept_sets) + len(rows))
            slots.append(local)
            by_doc.append((name, start + 8 * flat.offsets[:-1][rows], start + 8 * flat.offsets[1:][rows]))
            kept_sets.extend(sets[r] for r in rows)
        sizes = [len(s) for s in kept_sets]
        offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        got = SpilledSets(offsets, TextStore.build(spill, by_doc), tuple(spilled), tuple(slots))
        # the counts plan reads: they include the dropped documents
        assert got.counts().tolist() == flatten([s for sets in blocks for s in sets]).counts().tolist()
        for lo, hi in RANGES:
            assert occurrences(got.hash_range(lo, hi)) == brute_range(kept_sets, lo, hi)
        assert unlaid(got.sets(range(len(kept_sets)))) == [sorted(s) for s in kept_sets]
        picks = [len(kept_sets) - 1, 0, len(kept_sets) - 1] if kept_sets else []  # out of order, one twice
        assert unlaid(got.sets(picks)) == [sorted(kept_sets[i]) for i in picks]


def test_a_block_numbers_its_documents_in_16_bits():
    with SpillDir() as spill, pytest.raises(ValueError, match=r"65537 sets \(at most 65536\)"):
        spill_block(spill, np.zeros(0, np.uint64), np.zeros(65538, np.int64))


def test_fine_ids_are_the_top_bits():
    hashes = np.array([0, 2**54 - 1, 2**54, 2**64 - 1], dtype=np.uint64)
    assert fine_ids(hashes).tolist() == [0, 0, 1, FINE - 1]


def test_a_scan_keeps_its_sets_on_disk_and_reads_them_back(tmp_path):
    """sketch_corpus: the corpus's sets are spilled, the first of a repeated id is the one
    kept, and reading them by document or by hash range gives the sketched sets."""
    lines = [f'{{"id": "d{i % 7}", "text": "word{i} shared words of a story number {i % 3} told again"}}'
             for i in range(10)]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n")
    config = ScanConfig()
    problems: list[Problem] = []
    with SpillDir() as spill:
        corpus, _, _ = sketch_corpus([path], config, spill, workers=1, problems=problems)
        assert isinstance(corpus.sets, SpilledSets)
        assert len(corpus) == 7 and len(problems) == 3  # d0, d1, d2 repeated
        from retold.core.sketch import sketch_texts

        texts = [f"word{i} shared words of a story number {i % 3} told again" for i in range(7)]
        batch = sketch_texts(texts, config.shingle, config.minhash)
        expected = [batch.shingles_of(i).tolist() for i in range(7)]
        assert unlaid(corpus.sets.sets(range(7))) == expected
        whole = occurrences(corpus.sets.hash_range(0, FINE))
        assert whole == sorted((h, i) for i, s in enumerate(expected) for h in s)


def test_the_index_spills_its_pair_counts_inside_the_sketch_spill_directory(tmp_path):
    """Pair counts summed over partitions go to files in the scan's spill directory (which
    the reaper removes after a kill -9), not beside it; the result is the same as in memory."""
    from unittest.mock import patch

    from retold.engines.local import candidates

    words = " ".join(f"w{k}" for k in range(40))
    lines = [f'{{"id": "d{i}", "text": "story {i % 4} {words} family {i % 4} of reprints told again"}}' for i in range(24)]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n")
    config = ScanConfig()
    made: list[str] = []
    real = candidates.tempfile.TemporaryDirectory

    def spy(*args, **kwargs):
        made.append(kwargs.get("dir"))
        return real(*args, **kwargs)

    with SpillDir() as spill:
        corpus, _, _ = sketch_corpus([path], config, spill, workers=1, problems=[])
        one = candidates.index_candidates(corpus.sets, config.candidates, config.verify, rank_of=corpus.rank_of)
        with patch.object(candidates, "ONE_PARTITION_OCCURRENCES", 10), \
                patch.object(candidates, "PARTITION_OCCURRENCES", 50), \
                patch.object(candidates, "PIECE_OCCURRENCES", 20), \
                patch.object(candidates.tempfile, "TemporaryDirectory", spy):
            several = candidates.index_candidates(corpus.sets, config.candidates, config.verify, workers=2,
                                                  rank_of=corpus.rank_of)
        assert made == [spill.path]
    assert several.keys.tolist() == one.keys.tolist() and len(one.keys) > 0
    assert several.shared.tolist() == one.shared.tolist()
