"""End-to-end behaviour of retold.scan on real text (the seeds and stdlib prose)."""

from __future__ import annotations


import retold
from retold import Document, ScanConfig
from retold.config import CandidateConfig
from retold.core.sketch_reference import shingle_set_reference

from conftest import SEED_LONG, SEED_SHORT, edit_words, make_doc


def pairs_by_ids(result: retold.ScanResult) -> dict[tuple[str, str], retold.Pair]:
    return {(p.a, p.b): p for p in result.pairs}


def test_seed_pair_is_found_as_containment(seed_texts):
    docs = [Document(name, text) for name, text in seed_texts.items()]
    res = retold.scan(docs, workers=1)
    assert len(res.pairs) == 1
    p = res.pairs[0]
    assert (p.a, p.b) == (SEED_LONG, SEED_SHORT)
    assert p.relation == "contains"  # the shorter (b) within the longer, not the other way
    # exact scores, against sets from the pure-Python reference sketch (not the code under test)
    a, b = (set(shingle_set_reference(seed_texts[x])[0].tolist()) for x in (SEED_LONG, SEED_SHORT))
    assert p.jaccard == round(len(a & b) / len(a | b), 4)
    assert p.containment_b == round(len(a & b) / len(b), 4) >= 0.85
    assert [c.members for c in res.clusters] == [(SEED_LONG, SEED_SHORT)]


def test_near_duplicate_with_edits_found(prose):
    base = make_doc(prose, 0, 400)
    docs = [Document("orig", base), Document("copy", edit_words(base, 0.15, 1)),
            Document("other", make_doc(prose, 60, 400))]
    res = retold.scan(docs, workers=1)
    pairs = pairs_by_ids(res)
    assert set(pairs) == {("copy", "orig")}
    assert pairs[("copy", "orig")].relation == "duplicate"
    assert pairs[("copy", "orig")].jaccard < 0.6  # well below the usual dedup thresholds


def test_short_document_wholly_contained_in_long_one(prose):
    long = make_doc(prose, 100, 4000)
    paras = long.split("\n\n")
    short = "\n\n".join(paras[10:13])  # ~100+ words from the middle
    docs = [Document("long", long), Document("short", short), Document("x", make_doc(prose, 20, 300))]
    res = retold.scan(docs, workers=1)
    pairs = pairs_by_ids(res)
    assert set(pairs) == {("long", "short")}
    p = pairs[("long", "short")]
    assert p.relation == "contains"
    assert p.containment_b == 1.0 and p.jaccard < 0.1


def test_shared_passage_between_different_documents(prose):
    passage = " ".join(make_doc(prose, 200, 50).split()[:55])
    a = make_doc(prose, 0, 350) + "\n\n" + passage
    b = passage + "\n\n" + make_doc(prose, 250, 350)
    res = retold.scan([Document("a", a), Document("b", b)], workers=1)
    assert [(p.a, p.b, p.relation) for p in res.pairs] == [("a", "b", "overlap")]
    assert res.pairs[0].shared >= 40
    assert res.clusters == ()  # a shared passage does not make a family of reprints


def test_boilerplate_does_not_link_unrelated_documents(prose):
    footer = ("Subscribe to our newsletter to get the latest stories delivered to your inbox every morning, "
              "and follow us on social media for breaking news, analysis and opinion from our team")
    docs = [Document(f"d{i:03}", prose[i] + " " + prose[i + 1] + "\n\n" + footer) for i in range(0, 120, 2)]
    res = retold.scan(docs, workers=1, config=ScanConfig(candidates=CandidateConfig(max_df=50)))
    assert res.pairs == ()
    assert res.stats["boilerplate_shingles"] >= len(footer.split()) - 5


def test_empty_and_short_documents_are_counted_never_paired():
    docs = [Document(f"e{i}", " \n\t" if i % 2 else "") for i in range(30)]
    docs += [Document(f"s{i}", "Too short to pair.") for i in range(30)]
    res = retold.scan(docs, workers=1)
    counts = res.summary()["counts"]
    assert counts["documents_by_status"] == {"empty": 30, "too_short": 30}
    assert res.pairs == () and res.clusters == ()


def test_result_does_not_depend_on_order_or_workers(prose, seed_texts):
    docs = [Document(n, t) for n, t in seed_texts.items()]
    base = make_doc(prose, 0, 300)
    docs += [Document(f"c{i}", edit_words(base, 0.03, i)) for i in range(6)]
    docs += [Document(f"u{i}", make_doc(prose, 30 + 7 * i, 200)) for i in range(8)]
    r1 = retold.scan(docs, workers=1)
    r2 = retold.scan(list(reversed(docs)), workers=2)
    assert r1.pairs == r2.pairs and r1.clusters == r2.clusters
    assert [d.id for d in r1.documents] == sorted(d.id for d in docs)
    assert len(r1.clusters) == 2 and len(r1.clusters[0].members) == 6


def test_duplicate_ids_in_an_iterable_are_reported(seed_texts):
    text = seed_texts[SEED_SHORT]
    res = retold.scan([Document("x", text), Document("x", text + " more")], workers=1)
    assert [p.reason for p in res.problems] == ["duplicate_id"]
    assert "'x'" in res.problems[0].message
    assert len(res.documents) == 1


def test_representative_is_earliest_then_longest(prose):
    base = make_doc(prose, 0, 300)
    docs = [Document("b", base, date="2020-03-02"), Document("a", base + " extra words here", date="2020-03-02T10:00:00"),
            Document("c", base, date="2020-03-01T23:00:00+00:00"), Document("d", base + " much longer tail " * 3)]
    res = retold.scan(docs, workers=1)
    assert res.clusters[0].representative == "c"
    res = retold.scan([Document(d.id, d.text) for d in docs], workers=1)
    assert res.clusters[0].representative == "d"  # no dates: the longest


class _GcWatch:
    """A progress sink that notes, at each stage, whether the cyclic GC runs."""

    def __init__(self) -> None:
        self.enabled: list[tuple[str, bool]] = []

    def start(self, stage: str, total: int | None = None) -> None:
        import gc

        self.enabled.append((stage, gc.isenabled()))

    def advance(self, n: int = 1) -> None:
        pass

    def finish(self) -> None:
        pass


def test_the_cyclic_gc_is_paused_during_the_stages_and_restored(seed_texts):
    import gc

    watch = _GcWatch()
    assert gc.isenabled()
    result = retold.scan([Document(n, t) for n, t in seed_texts.items()], workers=1, progress=watch)
    assert len(result.pairs) == 1 and gc.isenabled()
    assert [s for s, _ in watch.enabled][:2] == ["read+sketch", "candidates"] and "align" in dict(watch.enabled)
    assert not any(on for _, on in watch.enabled)
    gc.disable()  # a caller that turned it off keeps it off
    try:
        retold.scan([Document(n, t) for n, t in seed_texts.items()], workers=1, align=False)
        assert not gc.isenabled()
    finally:
        gc.enable()
