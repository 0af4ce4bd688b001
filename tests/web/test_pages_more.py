"""The HTML pages of ``retold serve`` (retold.web.pages) driven over HTTP with the seed
index: search by URL, by form and by uploaded file, the pages of a pair, of a document
whose id is a dot segment, and the errors a visitor can cause."""

from __future__ import annotations

import html
import json

import pytest
from serve_support import (  # noqa: F401 (fixtures)
    BASE,
    LONG,
    ORIGIN,
    SHORT,
    build_index,
    client,
    db,
    seed_records,
)

from retold.web import create_app


def _texts() -> dict[str, str]:
    return {r["id"]: r["text"] for r in seed_records()}


def _titles() -> dict[str, str]:
    return {r["id"]: r["title"] for r in seed_records()}


def test_search_by_url_finds_the_other_seed(client):
    r = client.get("/search", params={"q": _texts()[SHORT]})
    assert r.status_code == 200
    page = html.unescape(r.text)
    assert _titles()[LONG] in page
    assert "/documents/" + LONG in page


def test_search_page_without_a_query_and_with_a_blank_one(client):
    empty = client.get("/search")
    assert empty.status_code == 200 and "paste a text" not in empty.text
    blank = client.get("/search", params={"q": "   \n "})
    assert blank.status_code == 400 and "paste a text or choose a file" in blank.text


def test_search_by_uploaded_file_replaces_the_typed_text(client):
    r = client.post("/search", data={"q": "typed words that match nothing"},
                    files={"file": ("short.txt", _texts()[SHORT].encode("utf-8"))}, headers=ORIGIN)
    assert r.status_code == 200
    assert _titles()[LONG] in html.unescape(r.text)


def test_search_refuses_a_file_that_is_not_utf8_and_a_body_that_is_not_a_form(client):
    bad = client.post("/search", files={"file": ("latin.txt", "caf\u00e9 d\u00e9j\u00e0".encode("latin-1"))},
                      headers=ORIGIN)
    assert bad.status_code == 400 and "the file is not UTF-8 text" in bad.text
    not_form = client.post("/search", content=b'{"q": "x"}', headers={**ORIGIN, "Content-Type": "application/json"})
    assert not_form.status_code == 415
    broken = client.post("/search", content=b"--b\r\nContent-Disposition: form-data\r\n\r\nno end",
                         headers={**ORIGIN, "Content-Type": "multipart/form-data; boundary=b"})
    assert broken.status_code == 400 and "Content-Disposition" in html.unescape(broken.text)  # a clean 400, not a 500


def test_search_by_form_without_text_asks_for_one(client):
    r = client.post("/search", data={"other": "field"}, headers=ORIGIN)
    assert r.status_code == 400 and "paste a text or choose a file" in r.text


def test_the_pair_page_shows_both_seeds(client):
    r = client.get("/pairs", params={"a": LONG, "b": SHORT})
    assert r.status_code == 200
    page = html.unescape(r.text)
    assert _titles()[LONG] in page and _titles()[SHORT] in page


def test_a_family_id_too_large_is_bad_input(client):
    r = client.get(f"/families/{2**63}")
    assert r.status_code == 400 and "a family id is an integer" in r.text


def test_static_files_favicon_and_unknown_names(client):
    css = client.get("/static/app.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert client.get("/static/secret.py").status_code == 404
    assert client.get("/favicon.ico").status_code == 204


def test_a_document_whose_id_is_a_dot_segment_is_linked_through_a_query_string(tmp_path):
    from starlette.testclient import TestClient

    texts = _texts()
    db = build_index(tmp_path / "dots.retold", [{"id": "..", "text": texts[LONG]}, {"id": SHORT, "text": texts[SHORT]}])
    with TestClient(create_app(db), base_url=BASE) as c:
        page = c.get("/search", params={"q": texts[SHORT]})
        assert page.status_code == 200
        assert "/document?id=.." in html.unescape(page.text)
        dots = c.get("/document", params={"id": ".."})
        assert dots.status_code == 200
        assert texts[LONG].split()[5] in html.unescape(dots.text)


def test_a_read_only_server_refuses_to_add(db):
    from starlette.testclient import TestClient

    with TestClient(create_app(db, readonly=True), base_url=BASE) as c:
        r = c.post("/index/add", files={"file": ("new.txt", b"some words")}, headers=ORIGIN)
        assert r.status_code == 403 and "read-only" in r.text
        assert c.get("/api/stats").json()["documents"] == 2


@pytest.mark.parametrize("name, body, message", [
    ("empty.jsonl", b"\n\n", "the file holds no records"),
    ("list.jsonl", json.dumps([1, 2]).encode(), "line 1 is not a JSON object"),
    ("bad.jsonl", b'{"id": "x", "text": "y"}\n{oops', "line 2 is not JSON"),
])
def test_uploaded_jsonl_that_holds_no_usable_records(client, name, body, message):
    r = client.post("/index/add", files={"file": (name, body)}, headers=ORIGIN)
    assert r.status_code == 400 and message in html.unescape(r.text)


def test_adding_without_a_file_asks_for_one(client):
    r = client.post("/index/add", data={"q": "x"}, headers=ORIGIN)
    assert r.status_code == 400 and "choose a .jsonl or .txt file to add" in r.text


def test_an_uploaded_jsonl_keeps_its_fields_and_is_searchable(client, prose):
    from conftest import make_doc

    text = make_doc(prose, 30, 120)
    rec = {"id": "stdlib-prose", "text": text, "title": "Docstrings", "source": "CPython", "ignored": "x"}
    r = client.post("/index/add", files={"file": ("new.jsonl", (json.dumps(rec) + "\n").encode())}, headers=ORIGIN)
    assert r.status_code == 200
    found = client.get("/search", params={"q": text})
    assert "Docstrings" in html.unescape(found.text)
