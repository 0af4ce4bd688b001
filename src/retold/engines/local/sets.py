"""A corpus's shingle sets, read where they are: in memory, or in the sketch's spill files.

Later stages never need every set at once. The inverted index reads them one hash range
at a time (:meth:`ShingleSets.hash_range`: every occurrence whose hash falls in a range of
*fine partitions*, the top :data:`FINE_BITS` bits of the hash); verification and word
coverage read the sets of the few documents they measure (:meth:`ShingleSets.sets`).

- :class:`ArraySets`: sets already in one array (the persistent index, tests).
- :class:`SpilledSets`: what a scan uses. Each sketching worker writes a block's sets twice
  to its spill files: per document (sorted; for :meth:`~ShingleSets.sets`) and by fine
  partition (each hash with its document's number in the block, as uint16), so that a hash
  range is one read per block and the whole corpus's sets are never in memory.

Documents are named by *storage position* (the order they were read, duplicates of an
id dropped); set ``s`` has ``offsets[s + 1] - offsets[s]`` shingles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from retold.core import _sets
from retold.core.arrays import laid_end_to_end
from retold.engines.local.textstore import SpillDir, TextStore

#: the index's finest hash ranges: a partition or piece of the index is a run of these
FINE_BITS = 10
FINE = 1 << FINE_BITS
_SHIFT = np.uint64(64 - FINE_BITS)


def fine_ids(hashes: np.ndarray) -> np.ndarray:
    """The fine partition of each hash (its top :data:`FINE_BITS` bits), as intp."""
    return (hashes >> _SHIFT).astype(np.intp)


class ShingleSets(Protocol):
    """Read access to the sorted shingle set of every stored document."""

    #: int64, n + 1: set s has ``offsets[s + 1] - offsets[s]`` shingles
    offsets: np.ndarray

    @property
    def scratch(self) -> str | None:
        """A directory for the temporary files of the stages that read these sets (removed
        with it, after a ``kill -9`` too), or None for the system's temporary directory."""
        ...

    def counts(self) -> np.ndarray:
        """int64 (:data:`FINE`): the occurrences in each fine partition, to plan the index's
        reads (:class:`SpilledSets` also counts the documents dropped as repeated ids)."""
        ...

    def hash_range(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """(hashes, storage positions as int32) of every occurrence in fine partitions
        ``[lo, hi)``; in no particular order."""
        ...

    def sets(self, slots: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """The sorted sets (uint64) of storage positions ``slots``, laid end to end: (values,
        offsets int64, one more than ``slots``)."""
        ...


@dataclass(frozen=True, slots=True)
class ArraySets:
    """Sets concatenated in one array: set s is ``shingles[offsets[s]:offsets[s + 1]]``."""

    shingles: np.ndarray  # uint64
    offsets: np.ndarray  # int64, n + 1
    #: occurrences scanned at a time (small temporaries instead of full-length masks)
    chunk: int = 1 << 22

    def counts(self) -> np.ndarray:
        out = np.zeros(FINE, dtype=np.int64)
        for lo in range(0, len(self.shingles), self.chunk):
            out += np.bincount(fine_ids(self.shingles[lo : lo + self.chunk]), minlength=FINE)
        return out

    def hash_range(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        shingles, offsets = self.shingles, self.offsets
        hs: list[np.ndarray] = []
        ds: list[np.ndarray] = []
        for c0 in range(0, len(shingles), self.chunk):
            c1 = min(c0 + self.chunk, len(shingles))
            f = fine_ids(shingles[c0:c1])
            pos = np.flatnonzero((f >= lo) & (f < hi)) + c0
            del f
            # only the offsets of the documents overlapping [c0, c1) are searched
            d0 = int(np.searchsorted(offsets, c0, side="right")) - 1
            d1 = int(np.searchsorted(offsets, c1, side="left"))
            hs.append(shingles[pos])
            ds.append((np.searchsorted(offsets[d0 : d1 + 1], pos, side="right") - 1 + d0).astype(np.int32))
        if not hs:
            return shingles[:0].copy(), np.empty(0, np.int32)
        return np.concatenate(hs), np.concatenate(ds)

    def sets(self, slots: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        return laid_end_to_end([self.shingles[self.offsets[s] : self.offsets[s + 1]] for s in slots], np.uint64)

    @property
    def scratch(self) -> str | None:
        return None


@dataclass(frozen=True, slots=True)
class SpilledBlock:
    """Where a sketching worker put one block's sets by fine partition: at ``start`` in
    ``file``, the block's ``m`` hashes (uint64, grouped by fine partition, ``bounds[f]`` to
    ``bounds[f + 1]``), then the block-local number of each one's document (uint16)."""

    file: str
    start: int
    bounds: np.ndarray  # int64, FINE + 1

    @property
    def m(self) -> int:
        return int(self.bounds[-1])


def spill_block(spill: SpillDir, shingles: np.ndarray, offsets: np.ndarray) -> SpilledBlock:
    """Append a block's sets (``shingles[offsets[i]:offsets[i+1]]`` for its document i) to
    this process's spill file, grouped by fine partition (stable: documents in order)."""
    grouped, docs, bounds = _sets.group_by_top_bits(shingles, offsets, FINE_BITS)
    name, start = spill.append("parts", grouped)
    spill.append("parts", docs)  # right after: one process appends to its file at a time
    return SpilledBlock(name, start, bounds)


@dataclass(frozen=True, slots=True)
class SpilledSets:
    """Sets in the sketch's spill files (see the module's docstring).

    ``blocks[k]`` holds the documents whose storage positions are ``slots[k]`` (by
    block-local number; -1 for a document dropped as a repeated id).
    """

    offsets: np.ndarray  # int64, n + 1
    by_doc: TextStore  # storage position -> its sorted set
    blocks: tuple[SpilledBlock, ...]
    slots: tuple[np.ndarray, ...]  # int32 per block: block-local number -> storage position, or -1

    def counts(self) -> np.ndarray:
        out = np.zeros(FINE, dtype=np.int64)
        for block in self.blocks:
            out += np.diff(block.bounds)
        return out

    def hash_range(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        sizes = [int(b.bounds[hi] - b.bounds[lo]) for b in self.blocks]
        hashes = np.empty(sum(sizes), dtype=np.uint64)
        docs = np.empty(len(hashes), dtype=np.int32)
        local = np.empty(max(sizes, default=0), dtype=np.uint16)
        spill = self.by_doc.spill
        at = 0
        for block, slots, size in zip(self.blocks, self.slots, sizes):
            if not size:
                continue
            first = int(block.bounds[lo])
            spill.read_into(block.file, block.start + 8 * first, hashes[at : at + size])
            spill.read_into(block.file, block.start + 8 * block.m + 2 * first, local[:size])
            np.take(slots, local[:size], out=docs[at : at + size])
            at += size
        keep = docs >= 0  # -1: a document dropped as a repeated id
        if not keep.all():
            return hashes[keep], docs[keep]
        return hashes, docs

    def sets(self, slots: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        return self.by_doc.arrays(slots)

    @property
    def scratch(self) -> str | None:
        """The sketch's spill directory."""
        return self.by_doc.spill.path

