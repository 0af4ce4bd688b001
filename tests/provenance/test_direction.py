"""Direction of pairs and lineage of families: dates, credits, truncation; deterministic."""

from __future__ import annotations

import json

import retold
from retold.models import Cluster, DocInfo, Document, Pair, Passage
from retold.provenance.direction import NONE, direction, lineage

from conftest import make_doc


def doc(i: str, chars: int = 1000, date: str | None = None, source: str | None = None) -> DocInfo:
    return DocInfo(i, chars, chars // 5, date, source, "t", "ok", chars // 5)


def pair(a: str, b: str, passages: tuple[Passage, ...] | None = None, cov_a: float = 0.9, cov_b: float = 0.9) -> Pair:
    return Pair(a, b, 0.5, cov_a, cov_b, "duplicate", 50, passages, coverage_a=cov_a, coverage_b=cov_b)


def test_dates_decide_first():
    d = direction(pair("a", "b"), doc("a", date="2024-03-02"), doc("b", date="2024-03-01"), {})
    assert (d.direction, d.confidence, d.evidence) == ("b->a", 0.99, "dates: 1 day apart")
    hours = direction(pair("a", "b"), doc("a", date="2024-03-01T09:00:00"), doc("b", date="2024-03-01T15:30:00"), {})
    assert (hours.direction, hours.confidence, hours.evidence) == ("a->b", 0.97, "dates: 6.5 h apart")
    assert direction(pair("a", "b"), doc("a", date="2024-03-01"), doc("b", date="2024-03-01"), {}) == NONE


def test_a_credit_to_the_other_outlet_decides_when_dates_do_not():
    a, b = doc("a", source="Metro Wire"), doc("b", source="Harbour Times")
    d = direction(pair("a", "b"), a, b, {"b": frozenset({"metro wire"}), "a": frozenset()})
    assert (d.direction, d.evidence) == ("a->b", "credit: b credits Metro Wire")
    # both credit each other: no evidence
    assert direction(pair("a", "b"), a, b, {"a": frozenset({"harbour times"}), "b": frozenset({"metro wire"})}) == NONE


def test_a_prefix_cut_for_length_comes_after_its_source():
    long, short = doc("a", chars=2000), doc("b", chars=600)
    cut = pair("a", "b", (Passage(0, 590, 0, 598, 0.99),), cov_a=0.3, cov_b=0.99)
    assert direction(cut, long, short, {}).direction == "a->b"
    middle = pair("a", "b", (Passage(700, 1290, 0, 598, 0.99),), cov_a=0.3, cov_b=0.99)
    assert direction(middle, long, short, {}) == NONE  # found in the middle: not a truncation


def test_lineage_origin_and_parents_are_deterministic():
    docs = {i: doc(i, date=d) for i, d in (("a", "2024-01-01"), ("b", "2024-01-02"), ("c", "2024-01-03"))}
    pairs = [pair("a", "b"), pair("a", "c"), pair("b", "c")]
    dirs = {(p.a, p.b): direction(p, docs[p.a], docs[p.b], {}) for p in pairs}
    fam = Cluster(0, "a", ("a", "b", "c"))
    lin = lineage(fam, dirs, docs)
    assert lin.origin == "a"
    assert lin.edges == (("a", "b", 0.99), ("a", "c", 0.99))  # ties: the origin first
    assert lineage(fam, dict(reversed(list(dirs.items()))), docs) == lin


def test_scan_with_provenance_writes_credits_directions_and_lineage(tmp_path, prose, seed_texts):
    base = make_doc(prose, 0, 300)
    docs = [Document("orig", "LONDON (Metro Wire) - " + base, date="2024-01-01", source="Metro Wire"),
            Document("copy", "LONDON (Metro Wire) - " + base + " More.", date="2024-01-03", source="Harbour Times")]
    docs += [Document(n, t) for n, t in seed_texts.items()]
    res = retold.scan(docs, workers=1, provenance=True)
    retold.write_result(res, tmp_path / "r")
    rows = {r["a"] + "|" + r["b"]: r for r in map(json.loads, (tmp_path / "r" / "pairs.jsonl").read_text().splitlines())}
    assert rows["copy|orig"]["direction"] == "b->a" and rows["copy|orig"]["evidence"] == "dates: 2 days apart"
    fams = [json.loads(x) for x in (tmp_path / "r" / "clusters.jsonl").read_text().splitlines()]
    assert {f["origin"] for f in fams} >= {"orig"}
    documents = {d["id"]: d for d in map(json.loads, (tmp_path / "r" / "documents.jsonl").read_text().splitlines())}
    assert [a["source"] for a in documents["copy"]["attributions"]] == ["Metro Wire"]
    seed_keys = {i: {a["key"] for a in documents[i]["attributions"]} for i in seed_texts}
    assert [("press tv" in k) for k in seed_keys.values()] == [False, True]
    # without provenance the tables carry none of these fields
    retold.write_result(retold.scan(docs, workers=1), tmp_path / "plain")
    assert "direction" not in (tmp_path / "plain" / "pairs.jsonl").read_text()
    assert "attributions" not in (tmp_path / "plain" / "documents.jsonl").read_text()


def test_the_centre_of_a_family_of_copies_comes_first():
    """Three copies each edited their own way from one original: the original is closest to all."""
    from retold.provenance.direction import directions

    docs = {i: doc(i) for i in ("c1", "c2", "orig")}
    pairs = [Pair("c1", "c2", 0.55, 0.7, 0.7, "duplicate", 40), Pair("c1", "orig", 0.8, 0.9, 0.9, "duplicate", 60),
             Pair("c2", "orig", 0.78, 0.9, 0.9, "duplicate", 58)]
    fam = Cluster(0, "c1", ("c1", "c2", "orig"))
    dirs = directions(pairs, docs, {}, [fam])
    assert dirs[("c1", "orig")].direction == "b->a" and dirs[("c2", "orig")].direction == "b->a"
    assert dirs[("c1", "orig")].evidence == "centrality: orig is the centre of its family"
    assert dirs[("c1", "c2")] == NONE  # neither is the centre
    # no clear centre (all equally close): nothing claimed
    even = [Pair(a, b, 0.8, 0.9, 0.9, "duplicate", 60) for a, b in (("c1", "c2"), ("c1", "orig"), ("c2", "orig"))]
    assert all(d == NONE for d in directions(even, docs, {}, [fam]).values())
