"""NumPy building blocks shared by the stages: grouping, set operations, exact postings.

They exist because the obvious NumPy calls are slow for the shapes retold has: NumPy 2.4's
``np.unique`` without extra outputs hashes (3.8 s for 3M uint64 here, against 0.035 s for
sort + mask), and a stable ``argsort`` of 64-bit keys is ~15x slower than ``np.sort`` of
the same keys, which is SIMD-vectorised; large uint64 arrays are sorted by the compiled
radix sort of :func:`sort_values`, twice as fast again. See docs/performance.md.
"""

from __future__ import annotations

import numpy as np

from retold.core import _sets

U64 = np.uint64

#: below this many values ``np.sort`` is as fast as the radix sort
RADIX_MIN = 1 << 16


def sort_values(values: np.ndarray) -> np.ndarray:
    """A sorted copy of ``values`` (``np.sort``); uint64 arrays of at least :data:`RADIX_MIN`
    values are radix sorted (:func:`retold.core._sets.sort_u64`)."""
    if values.dtype != U64 or len(values) < RADIX_MIN:
        return np.sort(values)
    out = np.array(values, dtype=U64, order="C", copy=True)
    _sets.sort_u64(out)
    return out


def sort_in_place(values: np.ndarray) -> None:
    """``values.sort()``, radix sorted when :func:`sort_values` would be."""
    if values.dtype == U64 and len(values) >= RADIX_MIN and values.flags.c_contiguous and values.flags.writeable:
        _sets.sort_u64(values)
    else:
        values.sort()


def unique_sorted(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted (``np.unique`` by sorting)."""
    if len(values) < 2:
        return np.sort(values)
    s = sort_values(values)
    keep = np.empty(len(s), dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def group_bounds(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index and size of each run of equal values in a sorted array."""
    if len(sorted_keys) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    first = np.empty(len(sorted_keys), dtype=bool)
    first[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    del first
    return starts, np.diff(starts, append=len(sorted_keys))


def count_sorted(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct values, sorted; how often each occurs)."""
    s = sort_values(values)
    starts, sizes = group_bounds(s)
    return s[starts], sizes


def within(lengths: np.ndarray) -> np.ndarray:
    """For segments of the given lengths laid end to end: each element's index in its segment."""
    total = int(lengths.sum())
    starts = np.cumsum(lengths) - lengths
    return np.arange(total, dtype=np.int64) - np.repeat(starts, lengths)


def isin_sorted(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Boolean mask: which ``values`` are in ``sorted_set`` (sorted, unique)."""
    if len(sorted_set) == 0:
        return np.zeros(len(values), dtype=bool)
    pos = np.searchsorted(sorted_set, values)
    pos[pos == len(sorted_set)] = 0
    return sorted_set[pos] == values


def laid_end_to_end(parts: list[np.ndarray], dtype: type) -> tuple[np.ndarray, np.ndarray]:
    """Arrays laid end to end (``dtype``, contiguous) and their offsets (int64, len + 1)."""
    offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in parts], out=offsets[1:])
    flat = np.concatenate(parts).astype(dtype, copy=False) if parts else np.empty(0, dtype)
    return np.ascontiguousarray(flat), offsets


def starts_of(sizes: np.ndarray) -> np.ndarray:
    """Where each of consecutive groups of ``sizes`` starts (int64: the exclusive prefix sum)."""
    starts = np.zeros(len(sizes), dtype=np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    return starts


def segment_members(members: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The members (int32) of the given groups, concatenated (one copy per group, compiled)."""
    return _sets.gather_segments(np.ascontiguousarray(members, dtype=np.int32),
                                 np.ascontiguousarray(starts, dtype=np.int64), np.ascontiguousarray(sizes, dtype=np.int64))


def postings(
    hashes: np.ndarray, docs: np.ndarray, n: int, distinct: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact postings: ``docs`` grouped by equal ``hashes``, ascending within each group.

    Returns (members, starts, sizes): group g is ``members[starts[g]:starts[g]+sizes[g]]``.
    ``docs`` are in ``[0, n)``. Each (hash, doc) is packed into one uint64, the hash's low
    bits giving way to the doc, and sorted with ``np.sort``; hashes whose kept high bits
    coincide (rare: distinct shingles clashing in 64 - log2(n) bits) are grouped exactly
    on the side, so the result equals a stable sort by full hash. ``distinct``: the
    distinct ``hashes`` (sorted), if the caller has them already.
    """
    bits = max(1, int(n - 1).bit_length())
    shift, low = U64(bits), U64((1 << bits) - 1)
    distinct_high = (unique_sorted(hashes) if distinct is None else distinct) >> shift
    clash = unique_sorted(distinct_high[1:][distinct_high[1:] == distinct_high[:-1]])
    del distinct_high
    # in place where possible: these arrays are as long as the corpus has shingles
    packed = hashes & ~low
    # docs are in [0, n): an int64 array is reinterpreted, not copied
    np.bitwise_or(packed, docs.view(U64) if docs.dtype == np.int64 else docs.astype(U64), out=packed)
    sort_in_place(packed)
    starts = _sets.run_starts(packed, int(bits))
    sizes = np.diff(starts, append=len(packed))
    heads = packed[starts] >> shift if len(clash) else None
    packed &= low
    members = packed.view(np.int64)
    if heads is None:
        return members, starts, sizes
    good = ~isin_sorted(heads, clash)
    del heads
    side = isin_sorted(hashes >> shift, clash)
    h2, d2 = hashes[side], docs[side].astype(np.int64)
    order = np.lexsort((d2, h2))
    st2, sz2 = group_bounds(h2[order])
    return (np.concatenate((members, d2[order])), np.concatenate((starts[good], st2 + len(members))),
            np.concatenate((sizes[good], sz2)))
