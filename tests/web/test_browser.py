"""retold serve in a real headless Chromium (Debian's /usr/bin/chromium through playwright):
search with one seed and see the other highlighted, a family page with both members and
its graph, and markup in a document's text, id and title shown as text (no dialog ever).
Screenshots go under tmp_path. Without /usr/bin/chromium these tests FAIL (not skip).
"""

from __future__ import annotations

import pytest
from browser_support import Watched, launch
from serve_support import LONG, SHORT, Server, db, seed_records  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

EVIL = "<script>alert(1)</script><img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def browser():
    yield from launch()


@pytest.fixture
def server(db):
    with Server(db) as s:
        yield s



def test_search_with_one_seed_highlights_the_other(browser, server, tmp_path):
    text = {r["id"]: r["text"] for r in seed_records()}[SHORT]
    w = Watched(browser)
    page = w.page
    page.goto(server.url + "/")
    page.fill("#q", text)
    page.click("#go")
    page.wait_for_selector("#results")
    cards = page.locator("section.match")
    ids = [cards.nth(k).locator("a.doc-link").inner_text() for k in range(cards.count())]
    assert LONG in ids
    card = cards.nth(ids.index(LONG))
    # passages highlighted on both sides, the document's side linking to its page
    assert card.locator(".query-text .p").count() >= 1
    marked = card.locator(".doc-text a.p")
    assert marked.count() >= 1
    assert "oil" in " ".join(marked.all_inner_texts()).lower()
    colour = marked.first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent")
    card.locator("summary").click()
    assert card.locator("ol.changes li").count() >= 1
    page.screenshot(path=str(tmp_path / "search.png"), full_page=True)
    w.check()


def test_family_page_shows_both_members_and_the_graph(browser, server, tmp_path):
    w = Watched(browser)
    page = w.page
    page.goto(server.url + "/families")
    page.click("#families a[href^='/families/']")
    page.wait_for_selector("#family-graph circle")
    members = page.locator("#members tbody tr")
    assert members.count() == 2
    text = " ".join(members.all_inner_texts())
    assert LONG in text and SHORT in text
    assert page.locator("#members .rep-badge").count() == 1
    assert page.locator("#family-graph circle").count() == 2
    assert page.locator("#family-graph line.pair").count() == 1
    labels = page.locator("#family-graph text.label").all_text_contents()
    assert any("★" in t for t in labels)
    assert page.locator("#family-graph line.axis").count() == 1  # dated: a timeline
    page.screenshot(path=str(tmp_path / "family.png"), full_page=True)
    # the pair page from the family: both sides, passages and changes marked
    page.click("#pairs a")
    page.wait_for_selector("#text-a")
    assert page.locator("#text-a .p").count() >= 1 and page.locator("#text-b .p").count() >= 1
    assert page.locator("#text-a .ch, #text-b .ch").count() >= 1
    page.screenshot(path=str(tmp_path / "pair.png"), full_page=True)
    w.check()


def test_markup_in_text_id_and_title_renders_as_text(browser, server, tmp_path):
    import httpx

    text = {r["id"]: r["text"] for r in seed_records()}[SHORT]
    doc = {"id": EVIL, "title": EVIL, "source": EVIL, "text": f"{EVIL}\n{text}\n{EVIL}"}
    r = httpx.post(server.url + "/api/documents", json={"documents": [doc]}, headers={"Origin": server.url})
    assert r.status_code == 201
    w = Watched(browser)
    page = w.page
    from retold.web.pages import doc_url

    page.goto(server.url + doc_url(EVIL))
    assert page.locator("#doc-id").inner_text() == EVIL
    assert page.locator("#doc-title").inner_text() == EVIL
    assert EVIL in page.locator("#doc-text").inner_text()
    assert page.locator("main script, main img").count() == 0
    page.screenshot(path=str(tmp_path / "evil-document.png"), full_page=True)
    # the search, the families, the family and the pair pages show it too
    page.goto(server.url + "/")
    page.fill("#q", doc["text"])
    page.click("#go")
    page.wait_for_selector("#results")
    assert page.locator("main script, main img").count() == 0
    page.goto(server.url + "/families")
    assert EVIL in page.locator("#families").inner_text()
    page.click("#families a[href^='/families/']")
    page.wait_for_selector("#family-graph circle")
    assert page.locator("#family-graph circle").count() == 3
    assert page.locator("main img, #graph script").count() == 0
    page.screenshot(path=str(tmp_path / "evil-family.png"), full_page=True)
    page.goto(server.url + "/index")
    w.check()




