"""The record types of retold.models."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from retold.models import Pair, PairTable, Passage, pair_ends, pairs_among


def test_with_passages_copies_every_field() -> None:
    """with_passages is a fast dataclasses.replace: every other field is kept, whatever
    fields Pair grows (each is given a value different from its default)."""
    values = {"a": "x", "b": "y", "jaccard": 0.25, "containment_a": 0.5, "containment_b": 0.75,
              "relation": "overlap", "shared": 7, "passages": None, "coverage_a": 0.125, "coverage_b": 0.375}
    assert set(values) == {f.name for f in dataclasses.fields(Pair)}
    pair = Pair(**values)
    passages = (Passage(0, 10, 5, 15, 0.9),)
    assert pair.with_passages(passages) == dataclasses.replace(pair, passages=passages)
    assert pair.with_passages(passages).passages == passages


def _pairs(aligned: bool) -> list[Pair]:
    pairs = [Pair("a", "b", 0.5, 0.25, 0.75, "overlap", 3, None, 0.125, 0.375),
             Pair("a", "c", 1.0, 1.0, 1.0, "duplicate", 40, None, 1.0, 1.0),
             Pair("b", "c", 0.1, 0.2, 0.3, "contains", 9, None, 0.9, 0.8)]
    if aligned:
        pairs = [pairs[0].with_passages((Passage(0, 4, 1, 5, 0.9), Passage(9, 20, 30, 41, 1.0))),
                 pairs[1].with_passages(()), pairs[2].with_passages((Passage(3, 5, 7, 9, 0.5),))]
    return pairs


@pytest.mark.parametrize("aligned", [False, True])
def test_a_pair_table_reads_as_its_pairs(aligned: bool) -> None:
    pairs = _pairs(aligned)
    table = PairTable.of(pairs)
    assert len(table) == 3 and table.aligned is aligned
    assert list(table) == pairs and table == pairs and table == tuple(pairs) and pairs == list(table)
    assert [table[k] for k in range(3)] == pairs and table[-1] == pairs[2] and table[1:] == tuple(pairs[1:])
    assert list(table.ends()) == [("a", "b", "overlap"), ("a", "c", "duplicate"), ("b", "c", "contains")]
    assert list(table.ends({"contains", "duplicate"})) == [("a", "c", "duplicate"), ("b", "c", "contains")]
    assert list(pair_ends(pairs, ["overlap"])) == list(pair_ends(table, ["overlap"])) == [("a", "b", "overlap")]
    assert table.relation_counts() == {"overlap": 1, "duplicate": 1, "contains": 1}
    assert table != pairs[:2] and table != [*pairs[:2], dataclasses.replace(pairs[2], shared=10)]
    assert PairTable.of(table) is table
    assert repr(table) == ("PairTable(3 pairs, 3 passages)" if aligned else "PairTable(3 pairs)")
    with pytest.raises(IndexError):
        table[3]
    assert type(table[0].jaccard) is float and type(table[0].shared) is int


def test_a_pair_table_is_aligned_as_a_whole() -> None:
    pairs = _pairs(False)
    with pytest.raises(ValueError, match="1 of 3 pairs carry passages"):
        PairTable.of([pairs[0].with_passages(()), *pairs[1:]])
    table = PairTable.of(pairs)
    aligned = table.with_passages(np.array([0, 2, 2, 3]), np.array([[0, 4, 1, 5], [9, 20, 30, 41], [3, 5, 7, 9]]),
                                  np.array([0.9, 1.0, 0.5]))
    assert aligned == _pairs(True)
    with pytest.raises(ValueError, match="do not fit"):
        table.with_passages(np.array([0, 2, 3]), np.zeros((3, 4)), np.zeros(3))


@pytest.mark.parametrize("aligned", [False, True])
def test_pairs_among_some_documents_are_the_same_from_a_table_or_a_list(aligned: bool) -> None:
    pairs = _pairs(aligned)
    table = PairTable.of(pairs)
    for members in ({"a", "b"}, {"a", "c"}, {"b", "c", "x"}, {"a", "b", "c"}, {"x"}):
        expected = [p for p in pairs if p.a in members and p.b in members]
        assert table.among(members) == pairs_among(table, members) == pairs_among(pairs, members) == expected


def test_linked_ids_are_the_documents_of_pairs_and_families() -> None:
    from retold.config import ScanConfig
    from retold.models import Cluster, ScanResult

    result = ScanResult((), PairTable.of(_pairs(False)[:1]), (Cluster(0, "c", ("c", "d")),), (), ScanConfig(), {}, {})
    assert result.linked_ids() == {"a", "b", "c", "d"}
