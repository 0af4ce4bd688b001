"""The HTML report in a real headless Chromium: passages and changes shown, markup never run,
paging through 10,000 pairs, titles and provenance shown, relation colours distinct, labels
neither clipped nor overlapping, screenshots (copied to $RETOLD_ARTIFACTS when set).

Needs /usr/bin/chromium (the project's setup installs it); without it these tests FAIL.
"""

from __future__ import annotations

import itertools
import os
import random
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from browser_support import Watched as _Watched, launch
from conftest import SEED_LONG, SEED_SHORT, SEEDS
from test_report import (
    EVIL_ID,
    EVIL_SOURCE,
    EVIL_TITLE,
    IMG,
    PAYLOAD,
    SCRIPT,
    TITLES,
    evil_traced,
    synthetic,
    traced,
    traced_documents,
)

import retold
from retold.config import ScanConfig
from retold.models import Cluster, DocInfo, Pair, Passage, ScanResult
from retold.provenance import trace
from retold.report.data import report_data
from retold.report.html import render_report

pytestmark = pytest.mark.browser

@pytest.fixture(scope="module")
def browser():
    yield from launch()


class Watched(_Watched):
    """A watched page of a report file."""

    def open(self, path: Path, view: str = "overview"):
        self.page.goto(path.as_uri() + "#" + view)
        self.page.wait_for_selector("#app > *")
        return self.page



@pytest.fixture()
def page(browser):
    w = Watched(browser)
    yield w
    w.page.close()


@pytest.fixture(scope="module")
def seed(tmp_path_factory, seed_texts):
    result = retold.scan([SEEDS], workers=1)
    path = tmp_path_factory.mktemp("seed") / "seed.html"
    render_report(result, seed_texts, path)
    return path, result


def text_content(locator) -> str:
    return locator.evaluate("n => n.textContent")


def boxes(pg, selector: str) -> list[dict]:
    return pg.eval_on_selector_all(selector, "ns => ns.map(n => { const r = n.getBoundingClientRect();"
                                   " return {x: r.left, y: r.top, r: r.right, b: r.bottom, text: n.textContent}; })")


def assert_apart(bs: list[dict]) -> None:
    """No two boxes intersect (half a pixel of tolerance)."""
    for a, b in itertools.combinations(bs, 2):
        apart = a["r"] <= b["x"] + 0.5 or b["r"] <= a["x"] + 0.5 or a["b"] <= b["y"] + 0.5 or b["b"] <= a["y"] + 0.5
        assert apart, f"labels overlap: {a} and {b}"


def assert_inside(bs: list[dict], box: dict) -> None:
    for a in bs:
        assert box["x"] - 0.5 <= a["x"] and a["r"] <= box["r"] + 0.5 and box["y"] - 0.5 <= a["y"] and a["b"] <= box["b"] + 0.5, \
            f"{a} is not inside {box}"


def artifact(pg, tmp_path: Path, name: str) -> Path:
    """A full-page screenshot under tmp_path, copied to $RETOLD_ARTIFACTS when that is set."""
    shot = tmp_path / name
    pg.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    if os.environ.get("RETOLD_ARTIFACTS"):
        dest = Path(os.environ["RETOLD_ARTIFACTS"])
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copy2(shot, dest / name)
    return shot


def family16(dated: bool) -> tuple[ScanResult, dict[str, str], dict[str, str]]:
    """One family of 16 members with long titles (dated: a timeline; undated: a circle), traced."""
    rng = random.Random(16)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 8))) for _ in range(400)]
    base = " ".join(rng.choice(vocab) for _ in range(200))
    ids = [f"{k:02d}_{rng.getrandbits(64):016x}.txt" for k in range(16)]
    texts = {i: base + " " + " ".join(rng.choice(vocab) for _ in range(k * 3)) for k, i in enumerate(ids)}
    titles = {i: f"Storm batters the northern coast as ferries stop, report {k} from regional desk {k}"
              for k, i in enumerate(ids)}
    docs = tuple(DocInfo(i, len(texts[i]), 200, f"2024-05-{1 + k % 3:02d}T{k:02d}:00:00+00:00" if dated else None,
                         f"outlet{k}.example", f"in.jsonl:{k + 1}", "ok", 196) for k, i in enumerate(ids))
    rep = ids[0]
    pairs = tuple(Pair(rep, i, 0.9, 0.95, 0.95, "contains" if k % 2 else "duplicate", 180,
                       (Passage(0, len(base), 0, len(base), 1.0),)) for k, i in enumerate(ids) if i != rep)
    result = ScanResult(docs, pairs, (Cluster(0, rep, tuple(ids)),), (), ScanConfig(), {}, {})
    return replace(result, provenance=trace(result, texts.__getitem__)), texts, titles


def test_seed_pair_passages_and_changes_are_shown(page, seed, seed_texts, tmp_path):
    path, result = seed
    pg = page.open(path, "pair/0")
    ta, tb = seed_texts[SEED_LONG], seed_texts[SEED_SHORT]
    passages = result.pairs[0].passages
    for side, text, key in (("a", ta, "a"), ("b", tb, "b")):
        spans = pg.locator(f"#text-{side} .pas")
        assert spans.count() == len(passages) > 0
        for k, p in enumerate(passages):
            span = spans.nth(k)
            assert span.is_visible()
            assert text_content(span) == text[getattr(p, f"{key}_start"):getattr(p, f"{key}_end")]
        # the whole text is there, exactly once
        assert text_content(pg.locator(f"#text-{side}")) == text
    # matching colours: passage k has the same class on both sides
    assert pg.locator("#text-a .pas").first.get_attribute("class") == pg.locator("#text-b .pas").first.get_attribute("class")
    ins = pg.locator("#text-b ins.ins", has_text="Press TV wrote on Friday")
    assert ins.count() == 1 and ins.is_visible()
    assert text_content(ins) == "Press TV wrote on Friday"
    assert ins.evaluate("n => getComputedStyle(n).backgroundColor") != "rgba(0, 0, 0, 0)"
    assert pg.locator("#text-a .gap-ins").count() >= 1  # where A lacks it
    reps = pg.locator("#text-b mark.rep", has_text="cease-fire")
    assert reps.count() == 2 and reps.first.is_visible()
    assert pg.locator("#text-a del.del").count() >= 1
    assert pg.locator("#dotplot .dp-passage").count() == len(passages)
    shot = tmp_path / "seed-pair.png"
    pg.screenshot(path=str(shot), full_page=True)
    assert shot.exists() and shot.stat().st_size > 20_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page.check()


def test_seed_overview_and_family(page, seed, tmp_path):
    path, _ = seed
    pg = page.open(path)
    assert pg.locator("#histogram .bar").count() == 20
    assert pg.locator("#families tbody tr").count() == 1
    pg.locator("#families tbody tr").first.click()
    pg.wait_for_selector("#family-graph")
    assert pg.locator("#family-graph .node").count() == 2 and pg.locator("#family-graph .edge").count() == 1
    assert pg.locator("#members tbody tr").count() == 2
    x, y = pg.locator("#family-graph .edge").first.evaluate(  # click a point on the (curved) edge
        "n => { const p = n.getPointAtLength(n.getTotalLength() / 2), m = n.getScreenCTM();"
        " return [p.x * m.a + m.e, p.y * m.d + m.f]; }")
    pg.mouse.click(x, y)
    pg.wait_for_selector("#text-a .pas")
    pg.screenshot(path=str(tmp_path / "seed-overview.png"))
    page.check()


def test_markup_in_a_document_is_shown_never_run(page, tmp_path, seed_texts):
    result, texts, titles = evil_traced(seed_texts)
    path = tmp_path / "evil.html"
    render_report(result, texts, path, title="<script>alert(2)</script>", titles=titles)
    evil = sorted(texts).index(EVIL_ID)
    for view in ("overview", "pair/0", "doc/0", "doc/1", "family/0", "pairs/1", "families/1"):
        pg = page.open(path, view)
        pg.wait_for_timeout(100)
        assert pg.evaluate("document.scripts.length") == 2
        assert pg.locator("img").count() == 0
        assert pg.title() == "<script>alert(2)</script>"
    pg = page.open(path, "pair/0")
    side = "a" if min(texts) == EVIL_ID else "b"
    shown = text_content(pg.locator(f"#text-{side}"))
    assert shown == texts[EVIL_ID] and PAYLOAD in shown and IMG in shown
    assert pg.locator(f"#text-{side}", has_text="<script>alert(1)</script>").is_visible()
    # offsets are right even after an astral emoji (UTF-16 in the page)
    from retold.core.align import align

    a, b = sorted(texts)
    for k, p in enumerate(align(texts[a], texts[b])):
        assert text_content(pg.locator("#text-a .pas").nth(k)) == texts[a][p.a_start:p.a_end]
        assert text_content(pg.locator("#text-b .pas").nth(k)) == texts[b][p.b_start:p.b_end]
    # id, title and source are shown as written, as text
    assert text_content(pg.locator(".side h3").nth(evil)) == ("A: " if evil == 0 else "B: ") + EVIL_TITLE
    meta = pg.locator("table.meta tbody tr").nth(evil)
    assert EVIL_ID in text_content(meta) and EVIL_SOURCE in text_content(meta) and EVIL_TITLE in text_content(meta)
    pg = page.open(path, f"doc/{evil}")
    assert text_content(pg.locator("#doc-title")) == EVIL_TITLE
    marks = pg.locator("#text-doc mark.attr")
    assert marks.count() == len(result.provenance.attributions[EVIL_ID]) > 0
    pg = page.open(path, "family/0")
    assert pg.locator(f'#family-graph .node[data-doc="{evil}"] title').evaluate("n => n.textContent").startswith(EVIL_TITLE)
    assert pg.locator("#lineage-graph .lnode").count() == 2
    assert pg.locator("#members", has_text=SCRIPT).count() == 1 and pg.locator("#members", has_text=IMG).count() == 1
    artifact(pg, tmp_path, "evil.png")
    page.check()


def test_ten_thousand_pairs_page(page, tmp_path):
    result, texts = synthetic()
    path = tmp_path / "big.html"
    render_report(result, texts, path, page_size=50)  # how fast it opens: bench/report_open.py
    pg = page.open(path, "pairs/1")
    pg.wait_for_selector("#pairs tbody tr")
    assert pg.locator("#pairs tbody tr").count() == 50
    assert pg.locator("#page-label").inner_text().startswith("page 1 of 200")
    first = pg.locator("#pairs tbody tr").first.get_attribute("data-pair")
    pg.click("#next-page")
    pg.wait_for_function("document.querySelector('#page-label').textContent.startsWith('page 2 of 200')")
    assert pg.locator("#pairs tbody tr").count() == 50
    assert pg.locator("#pairs tbody tr").first.get_attribute("data-pair") != first
    pg.click("#prev-page")
    pg.wait_for_function("document.querySelector('#page-label').textContent.startsWith('page 1 of 200')")
    # filter by relation, then open a pair without word diff (past the diff limit)
    pg.select_option("#pair-relation", "overlap")
    pg.wait_for_function("!document.querySelector('#page-label').textContent.includes('(10000 pairs)')")
    pg.locator("#pairs tbody tr").first.click()
    pg.wait_for_selector("#text-a .pas")
    page.open(path, "pair/9999")
    assert pg.locator(".warn", has_text="not computed").count() == 1
    assert pg.locator("#text-a .pas").count() == 1
    page.open(path, "overview")
    pg.locator("#histogram .bar").nth(10).click()
    pg.wait_for_selector("#pairs tbody tr")
    assert "jaccard 0.50" in pg.locator(".chip").inner_text()
    page.open(path, "family/0")
    biggest = max(len(c.members) for c in result.clusters)
    assert pg.locator("#family-graph .node").count() == biggest
    assert pg.locator("#family-graph .edge").count() >= biggest - 1
    shot = tmp_path / "big-family.png"
    pg.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    page.check()


# -- titles, provenance, colours and labels -------------------------------------------------


@pytest.fixture(scope="module")
def traced_report(tmp_path_factory, seed_texts):
    result = traced(seed_texts)
    texts = {d.id: d.text for d in traced_documents(seed_texts)}
    path = tmp_path_factory.mktemp("traced") / "traced.html"
    render_report(result, texts, path, titles=TITLES)
    return path, result, texts, report_data(result, texts, titles=TITLES)


def test_titles_are_shown_wherever_a_document_is(page, traced_report):
    path, _result, _texts, data = traced_report
    ids = [d["id"] for d in data["docs"]]
    pg = page.open(path, "pairs/1")
    rows = pg.locator("#pairs tbody tr")
    assert rows.count() == 3
    for k, p in enumerate(data["pairs"]):
        for cell, d in (("doc-a", p[0]), ("doc-b", p[1])):
            shown = text_content(rows.nth(k).locator(f"td.{cell}"))
            assert TITLES[ids[d]] in shown and ids[d] in shown, shown  # title, with the id beside it
    assert "Press TV" in text_content(pg.locator("#pairs")) and "2024-03-02" in text_content(pg.locator("#pairs"))
    pg = page.open(path, "families/1")
    assert TITLES[SEED_LONG] in text_content(pg.locator("#families tbody tr").first)
    pg = page.open(path, "family/0")
    members = text_content(pg.locator("#members"))
    assert all(t in members for t in TITLES.values())
    labels = [text_content(n) for n in pg.locator("#family-graph text.label").all()]
    assert sorted(labels) == sorted(TITLES.values())  # short enough to be shown whole
    pg = page.open(path, f"doc/{ids.index(SEED_SHORT)}")
    assert text_content(pg.locator("#doc-title")) == TITLES[SEED_SHORT]
    meta = text_content(pg.locator("table.meta tbody tr"))
    assert all(x in meta for x in (SEED_SHORT, "Press TV", "2024-03-02", TITLES[SEED_SHORT])), meta
    pg = page.open(path, "pair/0")
    heads = [text_content(h) for h in pg.locator(".side h3").all()]
    assert heads == ["A: " + TITLES[ids[data["pairs"][0][0]]], "B: " + TITLES[ids[data["pairs"][0][1]]]]
    page.check()


def test_attributions_are_highlighted_exactly(page, traced_report, tmp_path):
    path, result, texts, data = traced_report
    ids = [d["id"] for d in data["docs"]]
    for k, doc in enumerate(ids):
        attrs = sorted(result.provenance.attributions[doc], key=lambda a: (a.start, a.end))
        pg = page.open(path, f"doc/{k}")
        marks = pg.locator("#text-doc mark.attr")
        assert marks.count() == len(attrs) > 0
        for j, a in enumerate(attrs):
            assert text_content(marks.nth(j)) == texts[doc][a.start:a.end]
            assert marks.nth(j).get_attribute("title") == f"credits {a.source} ({a.cue})"
        assert marks.first.evaluate("n => getComputedStyle(n).boxShadow") != "none"  # marked, visibly
        assert text_content(pg.locator("#text-doc")) == texts[doc]
        assert pg.locator("#attributions tbody tr").count() == len(attrs)
    # in a pair, inside passages and change marks: pieces with the same index join up to the source
    pg = page.open(path, "pair/0")
    for side, d in (("a", data["pairs"][0][0]), ("b", data["pairs"][0][1])):
        doc = ids[d]
        attrs = sorted(result.provenance.attributions[doc], key=lambda a: (a.start, a.end))
        pieces = pg.eval_on_selector_all(f"#text-{side} mark.attr",
                                         "ns => ns.map(n => [Number(n.dataset.a), n.textContent])")
        joined: dict[int, str] = {}
        for j, t in pieces:
            joined[j] = joined.get(j, "") + t
        assert joined == {j: texts[doc][a.start:a.end] for j, a in enumerate(attrs)}
        assert text_content(pg.locator(f"#text-{side}")) == texts[doc]
    assert pg.locator("#text-b mark.attr", has_text="Press TV").count() == 1
    # the direction and its evidence
    first = data["pairs"][0][9]
    assert first[0] == "a->b"
    shown = text_content(pg.locator("#direction"))
    assert "A came first" in shown and first[2] in shown, shown
    artifact(pg, tmp_path, "traced-pair.png")
    page.check()


def test_lineage_graph_marks_the_origin(page, traced_report, tmp_path):
    path, result, _texts, data = traced_report
    ids = [d["id"] for d in data["docs"]]
    line = result.provenance.lineages[0]
    pg = page.open(path, "family/0")
    origin = pg.locator("#lineage-graph .lnode.origin")
    assert origin.count() == 1 and ids[int(origin.get_attribute("data-doc"))] == line.origin
    assert "origin" in text_content(origin.locator("text")) and TITLES[line.origin] in text_content(origin.locator("text"))
    assert origin.locator("circle").get_attribute("fill") != pg.locator("#lineage-graph .lnode:not(.origin) circle").first.get_attribute("fill")
    edges = pg.eval_on_selector_all("#lineage-graph .ledge", "ns => ns.map(n => [n.dataset.parent, n.dataset.child])")
    assert sorted((ids[int(a)], ids[int(b)]) for a, b in edges) == sorted((a, b) for a, b, _ in line.edges)
    assert pg.locator("#lineage-graph .lnode").count() == 3
    # the origin is on top, its children below it
    ys = {ids[int(n.get_attribute("data-doc"))]: n.locator("circle").bounding_box()["y"] for n in pg.locator("#lineage-graph .lnode").all()}
    assert ys[line.origin] == min(ys.values())
    assert pg.locator("#members .tag-origin").count() == 1
    assert ids[int(pg.locator("#members tr", has=pg.locator(".tag-origin")).get_attribute("data-doc"))] == line.origin
    assert_apart(boxes(pg, "#lineage-graph text.label"))
    pg.locator("#lineage-graph").scroll_into_view_if_needed()
    artifact(pg, tmp_path, "traced-family.png")
    page.check()


def rgb(css: str) -> tuple[int, ...]:
    return tuple(int(x) for x in css[css.index("(") + 1:css.index(")")].split(",")[:3])


def test_relation_colours_are_distinct_and_histogram_labels_fit(page, tmp_path):
    result, texts = synthetic(n_pairs=400, n_docs=200, seed=3)
    path = tmp_path / "small.html"
    render_report(result, texts, path)
    pg = page.open(path)
    legend = pg.eval_on_selector_all("#histogram > rect", "ns => ns.map(n => n.getAttribute('fill'))")
    assert len(legend) == 4 and len(set(legend)) == 4
    badges = pg.evaluate("""() => ['duplicate', 'contains', 'contained', 'overlap'].map(r => {
        const n = document.createElement('span'); n.className = 'rel rel-' + r; document.body.appendChild(n);
        const c = getComputedStyle(n).backgroundColor; n.remove(); return c; })""")
    colours = [rgb(c) for c in badges]
    for a, b in itertools.combinations(colours, 2):  # far apart, not two shades of one colour
        assert sum((x - y) ** 2 for x, y in zip(a, b)) ** 0.5 > 80, (a, b)
    svg = pg.locator("#histogram").bounding_box()
    box = {"x": svg["x"], "y": svg["y"], "r": svg["x"] + svg["width"], "b": svg["y"] + svg["height"]}
    ticks = boxes(pg, "#histogram text")
    assert [t["text"] for t in boxes(pg, "#histogram text.xtick")] == ["0.00", "0.25", "0.50", "0.75", "1.00"]
    assert_inside(ticks, box)  # the last x label ("1.00") included: not clipped
    assert_apart(boxes(pg, "#histogram text.xtick"))
    artifact(pg, tmp_path, "overview.png")
    page.check()


@pytest.mark.parametrize("dated", [True, False], ids=["timeline", "circle"])
def test_family_graph_labels_do_not_overlap_at_16_members(page, tmp_path, dated):
    result, texts, titles = family16(dated)
    path = tmp_path / "f16.html"
    render_report(result, texts, path, titles=titles)
    pg = page.open(path, "family/0")
    assert pg.locator("#family-graph .node").count() == 16
    labels = boxes(pg, "#family-graph text.label")
    assert len(labels) == 16
    svg = pg.locator("#family-graph").bounding_box()
    assert_inside(labels, {"x": svg["x"], "y": svg["y"], "r": svg["x"] + svg["width"], "b": svg["y"] + svg["height"]})
    assert_apart(labels)
    assert_apart(labels + boxes(pg, "#family-graph .node circle"))  # nor cover the nodes
    assert_inside(boxes(pg, "#family-graph .edge"), {"x": svg["x"], "y": svg["y"], "r": svg["x"] + svg["width"],
                                                     "b": svg["y"] + svg["height"]})
    for lab in labels:  # each is its member's title, shortened in the middle if needed
        t = lab["text"]
        head, _, tail = t.partition("\u2026")
        assert any(v == t or (len(head) > 15 and v.startswith(head) and v.endswith(tail)) for v in titles.values()), t
    assert len({lab["text"] for lab in labels}) == 16  # still tell the members apart
    lineage = boxes(pg, "#lineage-graph text.label")
    assert len(lineage) == 16 and pg.locator("#lineage-graph .lnode.origin").count() == 1
    assert_apart(lineage)
    artifact(pg, tmp_path, f"family16-{'timeline' if dated else 'circle'}.png")
    page.check()
