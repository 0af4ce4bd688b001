"""retold.report: the HTML report is self-contained, escapes every text, scales to 10,000 pairs,
shows titles and provenance (attributions, directions, lineages), and a scan's output directory
can be read back (tables, provenance, original texts and titles)."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import time

import pytest
from conftest import SEED_LONG, SEED_SHORT, SEEDS

import retold
from retold.config import ScanConfig
from retold.io.results import load_result, load_texts
from retold.models import Cluster, DocInfo, Pair, Passage, ScanResult
from retold.report.data import report_data
from retold.report.html import render_report, render_result_dir

PAYLOAD = "</script><script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"
EVIL_ID = f"evil<b>{SCRIPT}{IMG}.txt"
EVIL_TITLE = f"Title {SCRIPT} {IMG} {PAYLOAD}"
EVIL_SOURCE = f"<i>src</i>{SCRIPT}{IMG}"
#: the traced example: the long seed (dated first), the rewritten one a day later, a brief cut from the long one
TITLES = {SEED_LONG: "US convoy turned back by villagers in Hasakah, the full story",
          SEED_SHORT: "Villagers force US convoy to retreat near Qamishli", "brief": "Brief: convoy stopped"}


def page_data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="retold-data">(.*?)</script>', html, re.DOTALL)
    assert m, "no data block"
    return json.loads(m.group(1))


def utf16_slice(text: str, start: int, end: int) -> str:
    """What JavaScript's text.slice(start, end) gives (offsets in UTF-16 code units)."""
    return text.encode("utf-16-le")[2 * start:2 * end].decode("utf-16-le")


@pytest.fixture(scope="module")
def seed_result() -> ScanResult:
    return retold.scan([SEEDS], workers=1)


@pytest.fixture(scope="module")
def seed_report(tmp_path_factory, seed_result, seed_texts):
    path = tmp_path_factory.mktemp("report") / "seed.html"
    info = render_report(seed_result, seed_texts, path, title="seed <pair> & co")
    return path, info


def evil_result(seed_texts: dict[str, str]) -> tuple[ScanResult, dict[str, str]]:
    """A document holding markup (and an astral emoji before its passage), paired with a seed."""
    evil = f"\U0001F600 {PAYLOAD} {IMG} \u2028\n" + seed_texts[SEED_SHORT]
    texts = {EVIL_ID: evil, SEED_LONG: seed_texts[SEED_LONG]}
    docs = (DocInfo(EVIL_ID, len(evil), 400, "2024-03-02T00:00:00+00:00", EVIL_SOURCE, "evil.jsonl:1", "ok", 400),
            DocInfo(SEED_LONG, len(texts[SEED_LONG]), 520, "2024-03-01T00:00:00+00:00", "alwaght", "x", "ok", 516))
    a, b = sorted(texts)
    pair = Pair(a, b, 0.6, 0.7, 0.8, "contains", 300, None)  # passages None: aligned by the report
    result = ScanResult(docs, (pair,), (Cluster(0, SEED_LONG, (a, b)),), (), ScanConfig(), {}, {})
    return result, texts


def evil_traced(seed_texts: dict[str, str]) -> tuple[ScanResult, dict[str, str], dict[str, str]]:
    """:func:`evil_result` with provenance (its attributions come after the astral emoji) and titles."""
    from dataclasses import replace

    from retold.provenance import trace

    result, texts = evil_result(seed_texts)
    return replace(result, provenance=trace(result, texts.__getitem__)), texts, {EVIL_ID: EVIL_TITLE, SEED_LONG: "long"}


def traced_documents(seed_texts: dict[str, str]) -> list[retold.Document]:
    long = seed_texts[SEED_LONG]
    return [retold.Document(SEED_LONG, long, date="2024-03-01", source="Alwaght", title=TITLES[SEED_LONG]),
            retold.Document(SEED_SHORT, seed_texts[SEED_SHORT], date="2024-03-02", source="Press TV",
                            title=TITLES[SEED_SHORT]),
            retold.Document("brief", long[:1700], source="Brief news", title=TITLES["brief"])]


def traced(seed_texts: dict[str, str]) -> ScanResult:
    """A real traced scan: directions from dates and truncation, attributions, one family's lineage."""
    return retold.scan(traced_documents(seed_texts), workers=1, provenance=True)


class Recorder:
    """A :class:`retold.progress.Progress` that keeps what it hears."""

    def __init__(self) -> None:
        self.events: list[tuple] = []

    def start(self, stage: str, total: int | None = None) -> None:
        self.events.append(("start", stage, total))

    def advance(self, n: int = 1) -> None:
        self.events.append(("advance", n))

    def finish(self) -> None:
        self.events.append(("finish",))

    def stages(self) -> dict[str, tuple[int | None, int]]:
        """stage -> (total announced, units advanced); also checks every stage is finished in turn."""
        out, stage, done = {}, None, 0
        for ev in self.events:
            if ev[0] == "start":
                assert stage is None, f"{ev[1]} started before {stage} finished"
                stage, total, done = ev[1], ev[2], 0
            elif ev[0] == "advance":
                assert stage is not None
                done += ev[1]
            else:
                out[stage] = (total, done)
                stage = None
        assert stage is None, f"{stage} never finished"
        return out


def synthetic(n_pairs: int = 10_000, n_docs: int = 2_000, seed: int = 7) -> tuple[ScanResult, dict[str, str]]:
    """A scan-like result with ``n_pairs`` pairs over ``n_docs`` ~1,500-character texts."""
    rng = random.Random(seed)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(3000)]
    ids = [f"doc{i:05d}" for i in range(n_docs)]
    texts = {i: " ".join(rng.choice(vocab) for _ in range(rng.randint(180, 300))) + "." for i in ids}
    docs = tuple(DocInfo(i, len(texts[i]), 250, f"2024-{1 + k % 12:02d}-{1 + k % 28:02d}", f"site{k % 37}.example",
                         f"corpus.jsonl:{k + 1}", "ok", 240) for k, i in enumerate(ids))
    clusters, k = [], 0
    while k < n_docs:
        size = min(rng.randint(2, 12), n_docs - k)
        if size >= 2:
            members = tuple(ids[k:k + size])
            clusters.append(Cluster(len(clusters), members[0], members))
        k += size
    # family members share text with their representative, the rest is random
    todo = [tuple(sorted((c.representative, m))) for c in clusters for m in c.members[1:]]
    seen: set[tuple[str, str]] = set()
    pairs = []
    while len(pairs) < n_pairs:
        a, b = todo.pop() if todo else sorted(rng.sample(ids, 2))
        if (a, b) in seen:
            continue
        seen.add((a, b))
        la, lb = len(texts[a]), len(texts[b])
        n = rng.randint(100, 600)
        sa, sb = rng.randint(0, la - n), rng.randint(0, lb - n)
        j = round(rng.random(), 4)
        rel = rng.choice(["duplicate", "contains", "contained", "overlap"])
        pairs.append(Pair(a, b, j, round(min(1, j + 0.1), 4), round(min(1, j + 0.2), 4), rel, rng.randint(10, 200),
                          (Passage(sa, sa + n, sb, sb + n, 0.9),)))
    pairs.sort(key=lambda p: (p.a, p.b))
    return ScanResult(docs, tuple(pairs), tuple(clusters), (), ScanConfig(), {}, {}), texts


# -- the seed pair ----------------------------------------------------------------------


def test_seed_report_is_self_contained(seed_report):
    path, info = seed_report
    html = path.read_text(encoding="utf-8")
    assert info.bytes == path.stat().st_size and (info.pairs, info.families, info.documents) == (1, 1, 2)
    assert not re.search(r"""\b(src|href|action)\s*=\s*["']?\s*(https?:)?//""", html, re.IGNORECASE)
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.IGNORECASE)
    assert "<link" not in html.lower() and "@import" not in html and "url(" not in html
    assert "http://" not in html and "https://" not in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
    assert [attrs for attrs, _ in scripts] == [' type="application/json" id="retold-data"', ""]
    # the CSP allows exactly the report's own script, by hash
    digest = base64.b64encode(hashlib.sha256(scripts[1][1].encode("utf-8")).digest()).decode()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html).group(1)
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp
    assert "<title>seed &lt;pair&gt; &amp; co</title>" in html


def test_seed_report_data_has_passages_and_changes(seed_report, seed_result, seed_texts):
    data = page_data(seed_report[0].read_text(encoding="utf-8"))
    assert [d["id"] for d in data["docs"]] == [SEED_LONG, SEED_SHORT]
    assert [d["text"] for d in data["docs"]] == [seed_texts[SEED_LONG], seed_texts[SEED_SHORT]]
    (pair,) = data["pairs"]
    ta, tb = seed_texts[SEED_LONG], seed_texts[SEED_SHORT]
    expected = [[p.a_start, p.a_end, p.b_start, p.b_end] for p in seed_result.pairs[0].passages]
    assert [x[:4] for x in pair[7]] == expected
    ops = pair[8]
    assert any(o[0] == 2 and tb[o[3]:o[4]] == "Press TV wrote on Friday" and o[1] == o[2] for o in ops)
    assert sum(1 for o in ops if o[0] == 1 and (ta[o[1]:o[2]], tb[o[3]:o[4]]) == ("ceasefire", "cease-fire")) == 2
    assert data["families"] == [{"c": 0, "rep": 0, "m": [0, 1], "o": None, "l": None}]  # no lineage: not traced
    assert not data["provenance"] and all(d["attr"] is None and d["title"] is None for d in data["docs"])
    assert pair[9] is None
    assert data["diffed"] == 1 and not data["diff_limited"]


# -- escaping ---------------------------------------------------------------------------


def test_markup_in_a_document_is_escaped(tmp_path, seed_texts):
    result, texts = evil_result(seed_texts)
    info = render_report(result, texts, tmp_path / "evil.html", title="<script>alert(2)</script>")
    html = (tmp_path / "evil.html").read_text(encoding="utf-8")
    for raw in (PAYLOAD, IMG, "<script>alert(1)", "alert(2)</script>", "<img", "<b>", "<i>src</i>", "\u2028"):
        assert raw not in html
    assert html.lower().count("<script") == 2 and html.lower().count("</script") == 2
    data = page_data(html)
    evil = next(d for d in data["docs"] if d["id"] == EVIL_ID)
    assert evil["text"] == texts[EVIL_ID] and evil["source"] == EVIL_SOURCE  # escaped, not altered
    assert info.missing_texts == 0


def test_markup_in_titles_and_provenance_is_escaped(tmp_path, seed_texts):
    result, texts, titles = evil_traced(seed_texts)
    render_report(result, texts, tmp_path / "evil.html", titles=titles)
    html = (tmp_path / "evil.html").read_text(encoding="utf-8")
    for raw in (PAYLOAD, IMG, SCRIPT, "<img", "<b>", "<i>"):
        assert raw not in html
    assert html.lower().count("<script") == 2 and html.lower().count("</script") == 2
    data = page_data(html)
    evil = next(d for d in data["docs"] if d["id"] == EVIL_ID)
    assert evil["title"] == EVIL_TITLE and evil["source"] == EVIL_SOURCE and evil["attr"]


def test_offsets_are_utf16_for_astral_text(seed_texts):
    result, texts = evil_result(seed_texts)
    data = report_data(result, texts)
    (pair,) = data["pairs"]
    a, b = (data["docs"][i]["id"] for i in pair[:2])
    from retold.core.align import align

    passages = align(texts[a], texts[b])
    assert len(pair[7]) == len(passages) > 0
    for js, py in zip(pair[7], passages):
        assert utf16_slice(texts[a], js[0], js[1]) == texts[a][py.a_start:py.a_end]
        assert utf16_slice(texts[b], js[2], js[3]) == texts[b][py.b_start:py.b_end]
    ins = [o for o in pair[8] if o[0] == 2 and "Press TV" in utf16_slice(texts[b], o[3], o[4])]
    assert ins, pair[8]


def test_lone_surrogates_and_separators_survive_as_escapes(tmp_path):
    text = "one two three four five six seven \u2028 \u2029 \ud800 & <x>"
    docs = tuple(DocInfo(i, len(text), 9, None, None, i) for i in ("a", "b"))
    res = ScanResult(docs, (Pair("a", "b", 1.0, 1.0, 1.0, "duplicate", 5, ()),), (), (), ScanConfig(), {}, {})
    render_report(res, {"a": text, "b": text}, tmp_path / "r.html")
    raw = (tmp_path / "r.html").read_bytes()
    raw.decode("utf-8")  # valid UTF-8
    assert page_data(raw.decode("utf-8"))["docs"][0]["text"] == text


def test_missing_texts_are_said(tmp_path, seed_result, seed_texts):
    info = render_report(seed_result, {SEED_LONG: seed_texts[SEED_LONG]}, tmp_path / "m.html")
    data = page_data((tmp_path / "m.html").read_text(encoding="utf-8"))
    assert info.missing_texts == data["missing_texts"] == 1 and data["docs"][1]["text"] is None
    assert data["pairs"][0][8] is None and info.diffed == 0


# -- titles and provenance --------------------------------------------------------------


def test_titles_attributions_directions_and_lineage_in_the_data(seed_texts):
    result = traced(seed_texts)
    prov = result.provenance
    texts = {d.id: d.text for d in traced_documents(seed_texts)}
    data = report_data(result, texts, titles=TITLES)
    ids = [d["id"] for d in data["docs"]]
    assert ids == sorted(TITLES) and data["provenance"]
    assert [d["title"] for d in data["docs"]] == [TITLES[i] for i in ids]
    for d in data["docs"]:
        want = sorted(prov.attributions[d["id"]], key=lambda a: (a.start, a.end))
        assert d["attr"] == [[a.start, a.end, a.source, a.cue, a.key] for a in want]
        assert d["attr"], d["id"]  # every version credits someone (SANA at least)
    assert any(a[2] == "Press TV" for a in data["docs"][ids.index(SEED_SHORT)]["attr"])
    for p in data["pairs"]:
        a, b = ids[p[0]], ids[p[1]]
        way = prov.directions[(a, b)]
        assert p[9] == [way.direction, way.confidence, way.evidence]
    # the long version is dated first and the brief is cut from it: it is the origin
    (fam,) = data["families"]
    line = prov.lineages[0]
    assert line.origin == SEED_LONG and ids[fam["o"]] == SEED_LONG
    assert [[ids[x], ids[y], c] for x, y, c in fam["l"]] == [[x, y, c] for x, y, c in line.edges]
    assert {ids[y] for _, y, _ in fam["l"]} == {SEED_SHORT, "brief"}
    assert {p[9][0] for p in data["pairs"]} == {"a->b"}
    assert "dates" in {p[9][2].split(":")[0] for p in data["pairs"]}
    # without titles or provenance the fields are there, empty
    plain = report_data(retold.scan([retold.Document(d.id, d.text) for d in traced_documents(seed_texts)], workers=1),
                        texts)
    assert not plain["provenance"] and all(d["title"] is None and d["attr"] is None for d in plain["docs"])
    assert all(p[9] is None for p in plain["pairs"]) and all(f["o"] is None for f in plain["families"])


def test_attribution_offsets_are_utf16_after_an_astral_character(seed_texts):
    result, texts, titles = evil_traced(seed_texts)
    data = report_data(result, texts, titles=titles)
    evil = next(d for d in data["docs"] if d["id"] == EVIL_ID)
    attrs = sorted(result.provenance.attributions[EVIL_ID], key=lambda a: (a.start, a.end))
    assert len(evil["attr"]) == len(attrs) > 0
    for js, py in zip(evil["attr"], attrs):
        assert js[0] == py.start + 1  # one astral character (two UTF-16 units) before every one
        assert utf16_slice(texts[EVIL_ID], js[0], js[1]) == texts[EVIL_ID][py.start:py.end] == js[2]


def test_diff_limit_and_progress(tmp_path, seed_texts):
    result = traced(seed_texts)
    texts = {d.id: d.text for d in traced_documents(seed_texts)}
    rec = Recorder()
    info = render_report(result, texts, tmp_path / "r.html", diff_limit=1, progress=rec)
    assert info.diffed == 1 and info.pairs == 3
    data = page_data((tmp_path / "r.html").read_text(encoding="utf-8"))
    assert data["diff_limited"] and data["diff_limit"] == 1 and [p[8] is not None for p in data["pairs"]] == [True, False, False]
    assert rec.stages() == {"aligning and diffing pairs": (3, 3), "writing report": (None, 0)}
    assert render_report(result, texts, tmp_path / "r0.html", diff_limit=0).diffed == 0
    with pytest.raises(ValueError, match="diff_limit"):
        report_data(result, texts, diff_limit=-1)


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_result_dir_with_provenance_and_titles(tmp_path, seed_texts, fmt):
    """scan --provenance, write, read back: the same provenance (rounded), titles re-read, progress reported."""
    from retold.io.records import write_records

    docs = traced_documents(seed_texts)
    records = [{"id": d.id, "text": d.text, "title": d.title, "date": d.date, "source": d.source} for d in docs]
    records.append({"id": "alone", "text": "a record in no pair, with <b>markup</b>", "title": "never needed"})
    write_records(records, tmp_path / f"in.{fmt}", fmt)
    result = retold.scan([tmp_path / f"in.{fmt}"], workers=1, provenance=True)
    retold.write_result(result, tmp_path / "out", fmt)
    back = load_result(tmp_path / "out")
    prov, got = result.provenance, back.provenance
    assert got is not None
    # every document row holds its attributions (the writer gives [] to those not traced)
    assert {k: v for k, v in got.attributions.items() if v} == {k: v for k, v in prov.attributions.items() if v}
    assert set(got.directions) == set(prov.directions)
    for key, way in prov.directions.items():
        assert (got.directions[key].direction, got.directions[key].evidence) == (way.direction, way.evidence)
        assert got.directions[key].confidence == pytest.approx(way.confidence, abs=1e-4)
    assert {k: (v.origin, [(a, b) for a, b, _ in v.edges]) for k, v in got.lineages.items()} == \
        {k: (v.origin, [(a, b) for a, b, _ in v.edges]) for k, v in prov.lineages.items()}
    rec = Recorder()
    info = render_result_dir(tmp_path / "out", tmp_path / "r.html", diff_limit=2, progress=rec)
    assert (info.pairs, info.families, info.missing_texts, info.diffed) == (3, 1, 0, 2)
    assert rec.stages() == {"reading texts": (3, 3), "aligning and diffing pairs": (3, 3), "writing report": (None, 0)}
    data = page_data((tmp_path / "r.html").read_text(encoding="utf-8"))
    assert {d["id"]: d["title"] for d in data["docs"]} == TITLES
    assert data["provenance"] and all(p[9] is not None for p in data["pairs"]) and data["families"][0]["l"]
    assert sum(len(d["attr"]) for d in data["docs"]) == sum(len(v) for k, v in prov.attributions.items() if k in TITLES)


def test_untraced_result_dir_has_no_provenance(tmp_path, seed_result):
    for fmt in ("jsonl", "parquet"):
        retold.write_result(seed_result, tmp_path / fmt, fmt)
        assert load_result(tmp_path / fmt).provenance is None


# -- scale ------------------------------------------------------------------------------


def test_ten_thousand_pairs(tmp_path):
    result, texts = synthetic()
    t0 = time.perf_counter()
    info = render_report(result, texts, tmp_path / "big.html", page_size=50)
    took = time.perf_counter() - t0
    print(f"\n10,000 pairs: {info.bytes / 1e6:.1f} MB in {took:.1f}s ({info.diffed} pairs diffed)")
    assert info.pairs == 10_000 and info.families == len(result.clusters)
    assert info.bytes < 30_000_000
    data = page_data((tmp_path / "big.html").read_text(encoding="utf-8"))
    assert len(data["docs"]) == 2_000  # each text once, not once per pair
    assert data["diffed"] == info.diffed == 2000 and data["diff_limited"]
    js = [p[2] for p in data["pairs"]]
    assert js == sorted(js, reverse=True)  # most similar first: those are the ones diffed
    assert all(p[8] is not None for p in data["pairs"][:2000]) and all(p[8] is None for p in data["pairs"][2000:])


# -- reading a scan's output back -------------------------------------------------------


def test_load_result_and_texts_from_a_scan_dir(tmp_path, seed_result, seed_texts, monkeypatch):
    monkeypatch.chdir(SEEDS.parents[1])
    retold.write_result(seed_result, tmp_path / "r")
    back = load_result(tmp_path / "r")
    assert back.documents == seed_result.documents and back.pairs == tuple(
        Pair(p.a, p.b, p.jaccard, p.containment_a, p.containment_b, p.relation, p.shared,
             tuple(Passage(x.a_start, x.a_end, x.b_start, x.b_end, round(x.score, 4)) for x in p.passages),
             coverage_a=p.coverage_a, coverage_b=p.coverage_b)
        for p in seed_result.pairs)
    assert back.clusters == seed_result.clusters
    assert load_texts(tmp_path / "r", {SEED_LONG, SEED_SHORT, "nope"}) == seed_texts
    info = render_result_dir(tmp_path / "r", tmp_path / "r.html")
    assert (info.pairs, info.families, info.missing_texts, info.diffed) == (1, 1, 0, 1)


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_load_texts_from_record_files(tmp_path, seed_texts, fmt):
    from retold.io.records import write_records

    records = [{"id": f"r{k}", "text": t} for k, t in enumerate(seed_texts.values())]
    records.append({"id": "r2", "text": "short <b>unrelated</b> record"})
    write_records(records, tmp_path / f"in.{fmt}", fmt)
    result = retold.scan([tmp_path / f"in.{fmt}"], workers=1)
    retold.write_result(result, tmp_path / "out", fmt)
    got = load_texts(tmp_path / "out", {"r0", "r1", "r2"})
    assert got == {r["id"]: r["text"] for r in records}
    assert load_result(tmp_path / "out").pairs == result.pairs


def test_load_texts_leaves_out_a_changed_file(tmp_path, seed_texts):
    src = tmp_path / "in"
    src.mkdir()
    for name, text in seed_texts.items():
        (src / name).write_text(text, encoding="utf-8")
    result = retold.scan([src], workers=1)
    retold.write_result(result, tmp_path / "out")
    (src / SEED_SHORT).write_text("changed", encoding="utf-8")
    problems = []
    got = load_texts(tmp_path / "out", {SEED_LONG, SEED_SHORT}, on_problem=problems.append)
    assert got == {SEED_LONG: seed_texts[SEED_LONG]}
    assert len(problems) == 1 and "changed" in problems[0].message


def test_not_a_result_dir(tmp_path):
    with pytest.raises(retold.InputError, match="not a scan result"):
        load_result(tmp_path)
