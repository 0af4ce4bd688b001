"""Similarity laws: what any two texts must satisfy, whatever the texts.

Hypothesis builds collections from real prose (the stdlib's docstrings) with word edits,
cuts and splices; the laws are checked on what ``retold.scan`` reports: symmetry, identity,
scores in [0, 1], invariance to input order / worker count / PYTHONHASHSEED, and passages
that slice the original texts.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

from hypothesis import HealthCheck, given, settings, strategies as st

import retold
from retold.core.normalize import tokenize_spans
from retold.models import Document, Pair

from conftest import SEEDS, edit_words, make_doc

LAWS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _texts(prose: list[str], seed: int, n: int) -> list[str]:
    """``n`` texts: articles, edited copies, prefixes and splices of one another."""
    rng = random.Random(seed)
    out: list[str] = []
    for _ in range(n):
        kind = rng.choice(["new", "edit", "prefix", "splice"]) if out else "new"
        if kind == "new":
            out.append(make_doc(prose, rng.randrange(len(prose)), rng.randint(60, 250)))
        elif kind == "edit":
            out.append(edit_words(rng.choice(out), rng.choice([0.0, 0.02, 0.1, 0.3]), rng.randrange(10**6)))
        elif kind == "prefix":
            words = rng.choice(out).split(" ")
            out.append(" ".join(words[: max(25, len(words) // 2)]))
        else:
            a, b = rng.sample(out, 2) if len(out) > 1 else (out[0], out[0])
            out.append(a + "\n\n" + " ".join(b.split(" ")[:60]))
    return out


def _mirror(p: Pair) -> tuple:
    rel = {"contains": "contained", "contained": "contains"}.get(p.relation, p.relation)
    return (p.jaccard, p.containment_b, p.containment_a, p.coverage_b, p.coverage_a, rel, p.shared,
            tuple(x.mirrored() for x in p.passages or ()))


@LAWS
@given(seed=st.integers(0, 10**6))
def test_pair_scores_are_symmetric_and_bounded(prose, seed):
    x, y = _texts(prose, seed, 2)
    ab = retold.scan([Document("a", x), Document("b", y)], workers=1)
    ba = retold.scan([Document("a", y), Document("b", x)], workers=1)
    assert len(ab.pairs) == len(ba.pairs) <= 1
    for p, q in zip(ab.pairs, ba.pairs):
        assert (q.jaccard, q.containment_a, q.containment_b, q.coverage_a, q.coverage_b, q.relation, q.shared,
                q.passages) == _mirror(p)
        for v in (p.jaccard, p.containment_a, p.containment_b, p.coverage_a, p.coverage_b):
            assert 0.0 <= v <= 1.0
        assert p.jaccard <= min(p.containment_a, p.containment_b)


@LAWS
@given(seed=st.integers(0, 10**6))
def test_identical_documents_score_one(prose, seed):
    (x,) = _texts(prose, seed, 1)
    res = retold.scan([Document("a", x), Document("b", x)], workers=1)
    (p,) = res.pairs
    assert (p.jaccard, p.containment_a, p.containment_b, p.coverage_a, p.coverage_b, p.relation) == (
        1.0, 1.0, 1.0, 1.0, 1.0, "duplicate")
    spans = tokenize_spans(x)
    first, last = int(spans.starts[0]), int(spans.ends[-1])  # the whole text, first word to last
    assert [(s.a_start, s.a_end, s.b_start, s.b_end) for s in p.passages] == [(first, last, first, last)]


@LAWS
@given(seed=st.integers(0, 10**6), n=st.integers(3, 9))
def test_results_do_not_depend_on_input_order_or_workers(prose, seed, n):
    docs = [Document(f"d{i}", t, origin=f"case/d{i}") for i, t in enumerate(_texts(prose, seed, n))]
    one = retold.scan(docs, workers=1)
    two = retold.scan(list(reversed(docs)), workers=2)
    assert (one.documents, one.pairs, one.clusters) == (two.documents, two.pairs, two.clusters)


@LAWS
@given(seed=st.integers(0, 10**6), n=st.integers(2, 8))
def test_every_passage_slices_both_originals(prose, seed, n):
    texts = _texts(prose, seed, n)
    res = retold.scan([Document(f"d{i}", t) for i, t in enumerate(texts)], workers=1)
    text = {f"d{i}": t for i, t in enumerate(texts)}
    for p in res.pairs:
        last_a = last_b = -1
        for s in p.passages or ():
            a, b = text[p.a][s.a_start : s.a_end], text[p.b][s.b_start : s.b_end]
            assert a.strip() == a and b.strip() == b and a and b  # whole tokens, no edge whitespace
            assert 0 <= s.a_start < s.a_end <= len(text[p.a]) and 0 <= s.b_start < s.b_end <= len(text[p.b])
            assert s.a_start >= last_a and 0.0 < s.score <= 1.0
            last_a, last_b = s.a_end, max(last_b, s.b_end)
        assert p.aligned_chars_a == sum(s.a_end - s.a_start for s in p.passages or ())


def test_output_bytes_do_not_depend_on_pythonhashseed(tmp_path):
    """Two processes with different string-hash salts write byte-identical tables."""
    outs = []
    for seed in ("0", "12345"):
        out = tmp_path / f"h{seed}"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        subprocess.run([sys.executable, "-c", "import sys; from retold.cli import main; sys.argv[0] = 'retold'; main()",
                        "scan", str(SEEDS), "--out", str(out), "-q", "--workers", "2"], check=True, env=env)
        summary = json.loads((out / "summary.json").read_text())
        summary.pop("timings_s")
        outs.append({p.name: p.read_bytes() for p in out.iterdir() if p.name != "summary.json"} | {"summary": summary})
    assert outs[0] == outs[1] and outs[0]["pairs.jsonl"]
