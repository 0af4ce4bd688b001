"""The HTML report in a real headless Chromium: passages and changes shown, markup never run,
paging through 10,000 pairs, a screenshot.

Needs /usr/bin/chromium (the project's setup installs it); without it these tests FAIL.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import SEED_LONG, SEED_SHORT, SEEDS
from test_report import EVIL_ID, IMG, PAYLOAD, evil_result, synthetic

import retold
from retold.report.html import render_report

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); "
                    "the browser tests need it and must not be skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Watched:
    """A page that records dialogs (none may open), page errors and console errors."""

    def __init__(self, browser) -> None:
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, path: Path, view: str = "overview"):
        self.page.goto(path.as_uri() + "#" + view)
        self.page.wait_for_selector("#app > *")
        return self.page

    def check(self) -> None:
        assert self.dialogs == [], f"a dialog fired: {self.dialogs}"
        assert self.errors == [], self.errors


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
    result, texts = evil_result(seed_texts)
    path = tmp_path / "evil.html"
    render_report(result, texts, path, title="<script>alert(2)</script>")
    for view in ("overview", "pair/0", "doc/1", "family/0", "pairs/1"):
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
    pg.screenshot(path=str(tmp_path / "evil.png"), full_page=True)
    page.check()


def test_ten_thousand_pairs_page(page, tmp_path):
    result, texts = synthetic()
    path = tmp_path / "big.html"
    info = render_report(result, texts, path, page_size=50)
    t0 = time.perf_counter()
    pg = page.open(path, "pairs/1")
    pg.wait_for_selector("#pairs tbody tr")
    opened = time.perf_counter() - t0
    print(f"\n10,000 pairs: {info.bytes / 1e6:.1f} MB file, pair list shown in {opened:.2f}s")
    assert opened < 15
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
