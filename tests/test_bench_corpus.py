"""The bench corpus generator (bench/corpus.py) and the scorer (bench/quality.py)."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections import defaultdict
from datetime import date
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


# --------------------------------------------------------------------------- news corpus

NEWS_N = 500


@pytest.fixture(scope="module")
def news(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "news500"
    corpus_path, truth_path = corpus.generate_news(NEWS_N, out, seed=0)
    docs = [json.loads(line) for line in corpus_path.read_text(encoding="utf-8").splitlines()]
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    return corpus_path, truth_path, {d["id"]: d for d in docs}, truth


def _body(corpus, doc):
    return corpus.news_body(doc["text"], doc["source"])


def test_news_deterministic_bytes_and_seed_matters(corpus, news, tmp_path):
    corpus_path, truth_path, *_ = news
    again = corpus.generate_news(NEWS_N, tmp_path / "again", seed=0)
    assert again[0].read_bytes() == corpus_path.read_bytes()
    assert again[1].read_bytes() == truth_path.read_bytes()
    other = corpus.generate_news(NEWS_N, tmp_path / "other", seed=1)
    assert other[0].read_bytes() != corpus_path.read_bytes()
    # cached by meta.json, and not confused with the classic corpus in the same directory
    stamp = again[0].stat().st_mtime_ns
    assert corpus.generate_news(NEWS_N, tmp_path / "again", seed=0)[0].stat().st_mtime_ns == stamp
    classic = corpus.generate(NEWS_N, tmp_path / "again", seed=0)
    assert "kind" not in json.loads(classic[1].read_text())


def test_news_records_and_stories(news):
    _, _, docs, truth = news
    assert truth["kind"] == "news" and len(docs) == NEWS_N == truth["n_docs"]
    assert list(docs) == sorted(docs)
    assert set(docs) == {f"d{i:06d}" for i in range(NEWS_N)}
    for d in docs.values():
        assert list(d) == ["id", "text", "title", "date", "source"]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", d["date"]) and d["title"] and d["source"]
    assert set(truth["story_of"]) == set(docs)
    assert set(truth["version_type_of"]) == set(docs)
    assert set(truth["version_type_of"].values()) == set(truth["version_types"])
    stories = defaultdict(list)
    for d, s in truth["story_of"].items():
        stories[s].append(d)
    sizes = sorted(len(v) for v in stories.values())
    assert sizes[0] == 1 and sizes[-1] >= 8  # singletons and large families
    assert sum(1 for k in sizes if 2 <= k <= 4) > len(sizes) / 5
    # every derived version has a parent in its story, dated 0-3 days after it
    for d, vt in truth["version_type_of"].items():
        if vt in ("original", "notice"):
            assert d not in truth["parent_of"]
            continue
        p = truth["parent_of"][d]
        assert truth["story_of"][p] == truth["story_of"][d]
        gap = (date.fromisoformat(docs[d]["date"]) - date.fromisoformat(docs[p]["date"])).days
        assert 0 <= gap <= 3
    # ids of one story are scattered over the id space
    big = max(stories.values(), key=len)
    assert int(max(big)[1:]) - int(min(big)[1:]) > NEWS_N // 4


def test_news_pairs_cover_every_version_pair(news):
    _, _, docs, truth = news
    pairs = {(p["a"], p["b"]): p for p in truth["pairs"]}
    assert all(a < b for a, b in pairs)
    assert set(truth["pair_types"]) >= {p["type"] for p in pairs.values()}
    stories = defaultdict(list)
    for d, s in truth["story_of"].items():
        stories[s].append(d)
    n_version_pairs = 0
    for ds in stories.values():
        ds.sort()
        for i, a in enumerate(ds):
            for b in ds[i + 1:]:
                assert (a, b) in pairs and pairs[(a, b)]["type"] != "passage"
                n_version_pairs += 1
    passage = [p for p in pairs.values() if p["type"] == "passage"]
    assert passage and len(pairs) == n_version_pairs + len(passage)
    # verbatim reprints have the same article as their parent
    reprints = [d for d, v in truth["version_type_of"].items() if v == "reprint"]
    assert reprints
    for d in reprints:
        p = truth["parent_of"][d]
        assert pairs[tuple(sorted((d, p)))]["edit_rate"] == 0.0
        assert docs[d]["source"] != docs[p]["source"]


def test_news_stories_recycle_sentences(news):
    _, _, docs, truth = news
    # some sentences appear verbatim in several documents of *different* stories
    sharing_stories = set()
    for item in truth["recycled"].values():
        holders = {truth["story_of"][d] for d, doc in docs.items() if item["text"] in doc["text"]}
        if len(holders) >= 2:
            sharing_stories |= holders
    assert len(sharing_stories) > 0.3 * len(set(truth["story_of"].values()))
    assert truth["counts"]["recycled_pairs"] > len(truth["pairs"])
    quotes = [i for i in truth["recycled"].values() if i["kind"] == "quote"]
    assert quotes and all(re.search(r'[,?]" [A-Z]', q["text"]) or '" said ' in q["text"] for q in quotes)


def test_news_briefs_are_prefixes(news, corpus):
    _, _, docs, truth = news
    pairs = {(p["a"], p["b"]): p for p in truth["pairs"]}
    briefs = [d for d, v in truth["version_type_of"].items() if v == "brief"]
    assert len(briefs) >= 10
    exact = 0
    for d in briefs:
        words = len(_body(corpus, docs[d]).split())
        assert 50 <= words <= 150, words
        p = truth["parent_of"][d]
        if pairs[tuple(sorted((d, p)))]["edit_rate"] == 0:
            exact += 1
            parent_body = _body(corpus, docs[p])
            assert parent_body.startswith(_body(corpus, docs[d]))
            assert len(parent_body.split()) > 1.5 * words
    assert exact >= 3


def test_news_furniture_and_boilerplate(news, corpus):
    _, _, docs, truth = news
    nav_outlets = [o for o, v in truth["outlets"].items() if v["nav"]]
    assert nav_outlets
    for o in nav_outlets:
        pages = [d for d in docs.values() if d["source"] == o]
        assert len(pages) >= 5
        nav, snippet = truth["outlets"][o]["nav"], truth["outlets"][o]["footer_snippet"]
        assert all(d["text"].startswith(nav + "\n\n") and d["text"].endswith("\n\n" + snippet) for d in pages)
    for d in docs.values():
        body = _body(corpus, d)
        assert body and body in d["text"] and len(body) < len(d["text"])
        if truth["version_type_of"][d["id"]] == "notice":
            assert 30 <= len(body.split()) <= 80
    wire = [d for d in docs.values() if truth["outlets"][d["source"]]["wire"]]
    assert wire and all(re.search(r"^[A-Z ]+ \(" + re.escape(d["source"]) + r"\) - ", d["text"], re.M)
                        for d in wire if truth["version_type_of"][d["id"]] != "notice")


def test_news_passages_are_shared(news, corpus):
    _, _, docs, truth = news
    passage = [p for p in truth["pairs"] if p["type"] == "passage"]
    assert passage
    best = 0
    for p in passage:
        a, b = docs[p["a"]], docs[p["b"]]
        assert truth["story_of"][a["id"]] != truth["story_of"][b["id"]]
        shared = len(corpus.shingles(_body(corpus, a)) & corpus.shingles(_body(corpus, b)))
        assert shared >= 10
        best = max(best, shared)
    assert best >= 40


# --------------------------------------------------------------------------- family / dedup scores

def _toy_truth(tmp_path, stories):
    """A minimal news truth: stories = {story: [doc ids]}."""
    story_of = {d: s for s, ds in stories.items() for d in ds}
    truth = {"kind": "news", "n_docs": len(story_of), "pair_types": ["reprint", "passage"],
             "story_of": story_of, "version_type_of": {d: "original" for d in story_of},
             "outlet_of": {d: "X" for d in story_of}, "outlets": {"X": {"nav": None}},
             "recycled": {}, "pairs": []}
    path = tmp_path / "truth.json"
    path.write_text(json.dumps(truth))
    return path


def test_evaluate_families_known_values(tmp_path):
    quality = _load("quality")
    path = _toy_truth(tmp_path, {"A": ["a1", "a2", "a3"], "B": ["b1", "b2"], "C": ["c1"]})
    perfect = quality.evaluate_families([["a1", "a2", "a3"], ["b1", "b2"]], path)
    assert perfect["ari"] == 1.0
    assert perfect["bcubed"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert perfect["impure_families"] == 0 and perfect["families"] == 2 and perfect["split_stories"] == 0
    # everything in one family: B-cubed precision = (3*3/6 + 2*2/6 + 1/6) / 6 = 14/36
    one = quality.evaluate_families([["a1", "a2", "a3", "b1", "b2", "c1"]], path)
    assert one["bcubed"]["precision"] == pytest.approx(14 / 36, abs=1e-6)
    assert one["bcubed"]["recall"] == 1.0
    assert one["ari"] == 0.0  # one cluster: no better than chance
    assert one["impure_families"] == 1 and one["max_stories"] == 3
    assert set(one["impure_examples"][0]["members"].values()) == {"A", "B", "C"}
    # all singletons: precision 1, recall = (3*(1/3) + 2*(1/2) + 1) / 6 = 1/2, ARI 0
    single = quality.evaluate_families([], path)
    assert single["bcubed"]["precision"] == 1.0 and single["bcubed"]["recall"] == pytest.approx(0.5)
    assert single["ari"] == 0.0 and single["families"] == 0 and single["split_stories"] == 2
    # a hand-computed case: {a1,a2} {a3,b1} {b2} {c1}
    # contingency cells: a1a2:(F0,A)=2, (F1,A)=1, (F1,B)=1, (F2,B)=1, (F3,C)=1
    # sum C(nij,2)=1; families sum C(ai,2)=1+1=2; stories 3+1=4; total C(6,2)=15
    # ARI = (1 - 2*4/15) / ((2+4)/2 - 8/15) = (7/15) / (37/15) = 7/37
    mixed = quality.evaluate_families([["a1", "a2"], ["a3", "b1"]], path)
    assert mixed["ari"] == pytest.approx(7 / 37, abs=1e-6)
    assert mixed["pair_precision"] == 0.5 and mixed["pair_recall"] == 0.25
    assert mixed["impure_families"] == 1 and mixed["split_stories"] == 2
    with pytest.raises(ValueError):
        quality.evaluate_families([["a1", "a2"], ["a2", "b1"]], path)
    with pytest.raises(ValueError):
        quality.evaluate_families([["a1", "zz"]], path)


def test_evaluate_dedup_and_components(tmp_path):
    quality = _load("quality")
    path = _toy_truth(tmp_path, {"A": ["a1", "a2", "a3"], "B": ["b1", "b2"], "C": ["c1"]})
    rep = quality.evaluate_dedup(["a1", "a3", "c1"], path)
    assert rep["kept"] == 3 and rep["removed"] == 3 and rep["ideal_removed"] == 3
    assert rep["stories_lost"] == 1 and rep["lost_examples"] == [{"story": "B", "docs": ["b1", "b2"]}]
    assert rep["kept_per_story"] == 1.0 and rep["stories_with_duplicates"] == 1
    with pytest.raises(ValueError):
        quality.evaluate_dedup(["nope"], path)
    fams = quality.components([("b2", "a1"), ("a1", "a3"), ("c1", "c1"), ("b1", "x")])
    assert fams == [["a1", "a3", "b2"], ["b1", "x"]]
    kept = quality.keep_smallest(["a1", "a2", "a3", "b1", "b2", "c1"], fams[:1])
    assert kept == ["a1", "a2", "b1", "c1"]


def test_evaluate_news_pairs(news):
    quality = _load("quality")
    _, truth_path, docs, truth = news
    pos = [(p["b"], p["a"], "duplicate") for p in truth["pairs"] if p["type"] != "passage"]
    passage = [(p["a"], p["b"], "overlap") for p in truth["pairs"] if p["type"] == "passage"]
    # a version claim between two stories that only share a recycled sentence
    item = next(i for i in truth["recycled"].values()
                if len({truth["story_of"][d] for d in i["docs"]}) >= 2)
    a = item["docs"][0]
    b = next(d for d in item["docs"] if truth["story_of"][d] != truth["story_of"][a])
    rep = quality.evaluate(pos + passage + [(a, b, "contains"), (a, b, "overlap")], truth_path)
    assert rep["kind"] == "news"
    assert rep["recall"] == 1.0 and rep["true_positives"] == len(truth["pairs"])
    v = rep["version_pairs"]
    assert v["reported"] == len(pos) + 1 and v["same_story"] == len(pos)
    assert v["false"]["recycled"] == 1 and v["precision"] == pytest.approx(len(pos) / (len(pos) + 1), abs=1e-4)
    assert rep["other_pairs"]["passage"] == len(passage) and rep["other_pairs"]["recycled"] == 0
    assert rep["by_type"]["passage"]["relations"] == {"overlap": len(passage)}
    empty = quality.evaluate([], truth_path)
    assert empty["recall"] == 0 and empty["version_pairs"]["precision"] is None
