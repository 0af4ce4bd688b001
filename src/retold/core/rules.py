"""Policies every engine must apply the same way, written once.

- :func:`doc_status`: which documents are paired at all;
- :func:`index_pair_threshold`: how many shared non-boilerplate shingles the inverted
  index needs to see before it proposes a pair (no pair below it could verify);
- :func:`rounded`: the rounding of every score written out (4 decimals).

(The LSH star rule for oversized buckets lives with LSH in :mod:`retold.core.lsh`; the
family and keep rules in :mod:`retold.families`.)
"""

from __future__ import annotations

import numpy as np

from retold.config import ShingleConfig, VerifyConfig

#: word coverage is measured for the pairs where either side's shingle coverage reaches this
WORD_COVERAGE_FLOOR = 0.15

#: decimals of every score in outputs (jaccard, containment, coverage, passage scores)
SCORE_DECIMALS = 4


def rounded(x: float) -> float:
    """A score as written out."""
    return round(float(x), SCORE_DECIMALS)


def doc_status(tokens: int, config: ShingleConfig) -> str:
    """``empty`` (no token), ``too_short`` (fewer than ``min_tokens``) or ``ok`` (paired)."""
    if tokens == 0:
        return "empty"
    return "too_short" if tokens < config.min_tokens else "ok"


def index_pair_threshold(smaller: np.ndarray, verify: VerifyConfig) -> np.ndarray:
    """Shared non-boilerplate shingles a pair needs before it is proposed, given the shingle
    count of its smaller document: a pair with fewer can be neither an ``overlap`` nor covered."""
    return np.minimum(verify.min_shared, np.maximum(1, np.ceil(verify.min_containment * smaller)))
