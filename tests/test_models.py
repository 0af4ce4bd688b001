"""The record types of retold.models."""

from __future__ import annotations

import dataclasses

from retold.models import Pair, Passage


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
