"""The bench corpus generator (bench/corpus.py) and the scorer (bench/quality.py)."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
N = 300


def _load(name: str):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def corpus():
    mod = _load("corpus")
    # the real prose is fetched at set-up time by `bash dev.sh test` (a registry download)
    mod._prose.load_sentences()
    return mod


@pytest.fixture(scope="module")
def generated(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "c300"
    corpus_path, truth_path = corpus.generate(N, out, seed=0)
    docs = [json.loads(line) for line in corpus_path.read_text(encoding="utf-8").splitlines()]
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    return corpus_path, truth_path, {d["id"]: d for d in docs}, [d["id"] for d in docs], truth


def test_deterministic_bytes_and_seed_matters(corpus, generated, tmp_path):
    corpus_path, truth_path, *_ = generated
    again = corpus.generate(N, tmp_path / "again", seed=0)
    assert again[0].read_bytes() == corpus_path.read_bytes()
    assert again[1].read_bytes() == truth_path.read_bytes()
    other = corpus.generate(N, tmp_path / "other", seed=1)
    assert other[0].read_bytes() != corpus_path.read_bytes()


def test_cache_is_reused_and_keyed(corpus, tmp_path):
    out = tmp_path / "c"
    c1, _ = corpus.generate(60, out, seed=3)
    stamp = c1.stat().st_mtime_ns
    c2, _ = corpus.generate(60, out, seed=3)
    assert c2.stat().st_mtime_ns == stamp
    c3, t3 = corpus.generate(60, out, seed=4)  # other seed, same directory: regenerated
    assert json.loads(t3.read_text())["seed"] == 4
    assert c3.read_bytes() == corpus.generate(60, tmp_path / "d", seed=4)[0].read_bytes()


def test_records_and_structure(generated):
    _, _, docs, order, truth = generated
    assert len(docs) == N == len(order) == truth["n_docs"]
    assert order == sorted(order)
    for d in docs.values():
        assert list(d) == ["id", "text", "date", "source"]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", d["date"])
        assert d["source"]
        for para in d["text"].split("\n\n"):
            assert para.strip() == para and para
            assert para[0].isupper() or para[0].isdigit()
            assert para[-1] in ".!?"


def test_truth_pairs(generated):
    _, _, docs, _, truth = generated
    types = set(truth["types"])
    assert types == {"near_duplicate", "reorder", "truncation", "appended", "contained", "passage"}
    seen = set()
    for p in truth["pairs"]:
        assert p["a"] in docs and p["b"] in docs and p["a"] < p["b"]
        assert p["type"] in types and 0.0 <= p["edit_rate"] <= 0.3
        seen.add((p["a"], p["b"]))
    assert len(seen) == len(truth["pairs"])
    assert {p["type"] for p in truth["pairs"]} == types
    # families: every pair within a family is listed (transitive pairs included)
    for g in truth["groups"]:
        ids = sorted(g["ids"])
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                assert (a, b) in seen
        if g["type"] == "near_duplicate":
            assert 2 <= len(ids) <= 8
        else:
            assert len(ids) == 2


def _groups(truth, typ, rate):
    return [g for g in truth["groups"] if g["type"] == typ and g["edit_rate"] == rate]


def test_near_duplicate_at_edit_zero_is_identical(generated):
    _, _, docs, _, truth = generated
    fams = _groups(truth, "near_duplicate", 0.0)
    assert fams
    for g in fams:
        texts = {docs[i]["text"] for i in g["ids"]}
        assert len(texts) == 1
    # ... and edited copies are not
    for g in _groups(truth, "near_duplicate", 0.1):
        assert len({docs[i]["text"] for i in g["ids"]}) == len(g["ids"])


def test_contained_and_passage_at_edit_zero(generated, corpus):
    _, _, docs, _, truth = generated
    groups = _groups(truth, "contained", 0.0)
    assert groups
    for g in groups:
        short, host = (docs[i]["text"] for i in g["ids"])
        assert short in host
        assert len(host.split()) >= 5 * len(short.split())
        assert 60 <= len(short.split()) <= 150
    for g in _groups(truth, "passage", 0.0):
        one, two = (docs[i]["text"] for i in g["ids"])
        common = set(one.split("\n\n")) & set(two.split("\n\n"))
        assert len(common) == 1 and 50 <= len(common.pop().split()) <= 120


def test_truncation_and_appended(generated, corpus):
    _, _, docs, _, truth = generated
    for g in _groups(truth, "truncation", 0.0):
        base, cut = (docs[i]["text"] for i in g["ids"])
        assert base.startswith(cut[:-1]) and 0.3 <= len(cut.split()) / len(base.split()) <= 0.85
    for g in _groups(truth, "appended", 0.0):
        base, longer = (docs[i]["text"] for i in g["ids"])
        assert longer.startswith(base) and len(longer) > len(base)


def test_boilerplate_carriers(generated):
    _, _, docs, _, truth = generated
    bp = truth["boilerplate"]
    assert bp["snippets"]
    related = {i for g in truth["groups"] for i in g["ids"]}
    for sid, text in bp["snippets"].items():
        assert 20 <= len(text.split()) <= 40
        ids = bp["carriers"][sid]
        assert len(ids) >= 60
        assert not set(ids) & related
        for i in ids:
            assert docs[i]["text"].endswith("\n\n" + text)
        others = [d for i, d in docs.items() if i not in set(ids)]
        assert not any(text in d["text"] for d in others)


def test_unrelated_docs_share_few_5grams(generated, corpus):
    corpus_path, truth_path, *_ = generated
    stats = corpus.unrelated_overlap(corpus_path, truth_path)
    assert stats["docs"] > 150
    assert stats["mean_shared_per_pair"] < 0.02
    assert stats["pairs_sharing_ge"][10] == 0


def test_edit_rate_changes_about_that_share_of_words(corpus):
    import random

    prose = corpus.get_prose()
    rng = random.Random(0)
    doc = prose.document(rng, 1000, 1100)
    words = [w for p in doc for s in p for w in s]
    edited = [w for p in corpus.edit(doc, 0.2, rng, prose) for s in p for w in s]
    import difflib

    same = sum(b.size for b in difflib.SequenceMatcher(None, words, edited, autojunk=False).get_matching_blocks())
    assert 0.72 <= same / len(words) <= 0.88


def test_evaluate(generated):
    quality = _load("quality")
    _, truth_path, docs, _, truth = generated
    pos = [(p["b"], p["a"], "duplicate") for p in truth["pairs"]]  # order within a pair does not matter
    bp_ids = next(iter(truth["boilerplate"]["carriers"].values()))
    related = {i for g in truth["groups"] for i in g["ids"]}
    carriers = {i for ids in truth["boilerplate"]["carriers"].values() for i in ids}
    plain = sorted(i for i in docs if i not in related and i not in carriers)
    fps = [(bp_ids[0], bp_ids[1]), (plain[0], plain[1]), (plain[0], plain[1])]
    rep = quality.evaluate(pos[1:] + fps, truth_path)
    assert rep["positives"] == len(truth["pairs"])
    assert rep["true_positives"] == len(truth["pairs"]) - 1
    assert rep["false_positives"]["boilerplate"]["count"] == 1
    assert rep["false_positives"]["unrelated"]["count"] == 1
    assert rep["reported"] == len(pos) - 1 + 2
    missed = truth["pairs"][0]
    row = rep["by_type_rate"][missed["type"]][f"{missed['edit_rate']:.2f}"]
    assert row["found"] == row["positives"] - 1
    assert rep["by_type"]["passage"]["relations"] == {"duplicate": rep["by_type"]["passage"]["found"]}
    assert 0 < rep["precision"] < 1 and 0 < rep["recall"] < 1
    text = quality.format_report(rep)
    assert "near_duplicate" in text and "overall" in text
    empty = quality.evaluate([], truth_path)
    assert empty["recall"] == 0 and empty["precision"] is None
    grouped = defaultdict(int)
    for p in truth["pairs"]:
        grouped[p["type"]] += 1
    assert {t: r["positives"] for t, r in rep["by_type"].items()} == dict(grouped)
