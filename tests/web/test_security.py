"""The guard: security headers, Host check, same-origin check for writes, body cap, escaping,
no filesystem path from the client. Without a browser (see test_browser.py for one)."""

from __future__ import annotations

import pytest
from serve_support import BASE, LONG, ORIGIN, client, db  # noqa: F401 (fixtures)

from retold.web.app import CSP

EVIL = "<script>alert(1)</script><img src=x onerror=alert(1)>"


def test_security_headers_on_every_kind_of_response(client):
    for r in (client.get("/"), client.get("/api/stats"), client.get("/static/app.js"), client.get("/nope"),
              client.post("/api/query", json={"text": "x"}), client.get("/", headers={"Host": "evil.example"})):
        assert r.headers["content-security-policy"] == CSP
        assert "script-src 'self'" in CSP and "frame-ancestors 'none'" in CSP and "unsafe-inline" not in CSP
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"


def test_pages_have_no_inline_script(client):
    for url in ("/", "/index", "/families", "/families/0", f"/documents/{LONG}"):
        html = client.get(url).text
        assert "<script>" not in html and " on" + "load=" not in html
        for tag in html.split("<script")[1:]:
            assert tag.startswith(' src="/static/app.js"></script>')


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.evil.example", "127.0.0.1:1",
                                  "", "127.0.0.1@evil", "[::1", "localhost:abc"])
def test_foreign_host_is_refused(db, host):
    from starlette.testclient import TestClient

    from retold.web import create_app

    with TestClient(create_app(db, port=8123), base_url=BASE) as c:
        assert c.get("/", headers={"Host": "127.0.0.1:8123"}).status_code == 200
        assert c.get("/", headers={"Host": "localhost:8123"}).status_code == 200
        r = c.get("/api/stats", headers={"Host": host})
        assert r.status_code == 421 and "Host" in r.json()["error"]


def test_allowed_extra_host(db):
    from starlette.testclient import TestClient

    from retold.web import create_app

    with TestClient(create_app(db, host="0.0.0.0", allow_hosts=["box.lan"]), base_url="http://box.lan") as c:
        assert c.get("/api/stats").status_code == 200
        assert c.get("/api/stats", headers={"Host": "other.lan"}).status_code == 421


@pytest.mark.parametrize("headers", [
    {},  # neither Origin nor Referer
    {"Origin": "http://evil.example"},
    {"Origin": "http://127.0.0.1:9"},
    {"Origin": "null"},
    {"Origin": "https://127.0.0.1.evil.example"},
    {"Referer": "http://evil.example/page"},
    {"Referer": "/relative"},
    {"Origin": "http://evil.example", "Referer": "http://127.0.0.1/"},
])
def test_cross_origin_writes_are_403(client, headers):
    for method, url, kw in (("POST", "/api/documents", {"json": {"documents": [{"id": "x", "text": "y z"}]}}),
                            ("DELETE", f"/api/documents/{LONG}", {}),
                            ("POST", "/api/query", {"json": {"text": "x"}}),
                            ("POST", "/index/add", {"files": {"file": ("a.txt", b"some text")}}),
                            ("POST", "/search", {"data": {"q": "x"}})):
        r = client.request(method, url, headers=headers, **kw)
        assert r.status_code == 403, (method, url, r.text)
    assert client.get("/api/stats").json()["documents"] == 2


def test_same_origin_by_referer(client):
    r = client.post("/api/query", json={"text": "x"}, headers={"Referer": f"{BASE}/search"})
    assert r.status_code == 200


def test_body_cap_by_content_length_and_by_stream(db):
    from starlette.testclient import TestClient

    from retold.web import create_app

    with TestClient(create_app(db, max_body=2048), base_url=BASE) as c:
        big = b'{"text": "' + b"a " * 2000 + b'"}'
        r = c.post("/api/query", content=big, headers={**ORIGIN, "Content-Type": "application/json"})
        assert r.status_code == 413 and "2048" in r.json()["error"]

        def chunks():  # no Content-Length: counted as it streams
            for _ in range(100):
                yield b"a" * 1024

        r = c.post("/api/query", content=chunks(), headers={**ORIGIN, "Content-Type": "application/json"})
        assert r.status_code == 413
        r = c.post("/index/add", files={"file": ("big.txt", b"word " * 1000)}, headers=ORIGIN)
        assert r.status_code == 413
        assert c.post("/api/query", json={"text": "small"}, headers=ORIGIN).status_code == 200
        assert c.get("/api/stats").json()["documents"] == 2


def test_bad_content_length_is_400(client):
    r = client.post("/api/query", content=b"{}", headers={**ORIGIN, "Content-Length": "x",
                                                           "Content-Type": "application/json"})
    assert r.status_code == 400


def test_markup_in_text_id_title_and_file_name_is_escaped(client):
    docs = [{"id": EVIL, "text": f"{EVIL} The minister said on Friday that {EVIL} the talks would go on.",
             "title": EVIL, "source": EVIL, "url": "javascript:alert(1)"}]
    assert client.post("/api/documents", json={"documents": docs}, headers=ORIGIN).status_code == 201
    from retold.web.pages import doc_url

    pages = [client.get(doc_url(EVIL)), client.get("/api/documents/x").request and client.get(doc_url(EVIL)),
             client.post("/search", data={"q": docs[0]["text"]}, headers=ORIGIN),
             client.post("/index/add", files={"file": (EVIL + ".txt", docs[0]["text"].encode())}, headers=ORIGIN),
             client.get("/families"), client.get("/index")]
    for r in pages:
        assert r.status_code == 200, r.text
        assert "<script>alert" not in r.text and "<img src=x" not in r.text
        assert 'href="javascript:' not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0].text


def test_static_files_are_served_by_name_only(client):
    assert client.get("/static/app.css").headers["content-type"].startswith("text/css")
    for path in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/templates/base.html", "/static/app.py",
                 "/static/..%2Fapp.py", "/static/%2Fetc%2Fpasswd"):
        assert client.get(path).status_code == 404, path


def test_upload_of_jsonl_and_bad_files(client):
    body = b'{"id": "u1", "text": "a first uploaded text with enough words", "title": "Up", "extra": 1}\n\n' \
           b'{"id": "u2", "text": "another one"}\n'
    r = client.post("/index/add", files={"file": ("batch.jsonl", body)}, headers=ORIGIN)
    assert r.status_code == 200 and "2 added" in r.text
    assert client.get("/api/documents/u1").json()["title"] == "Up"
    for name, data, message in (("x.jsonl", b"{oops", "line 1 is not JSON"),
                                ("x.jsonl", b"[1]", "not a JSON object"),
                                ("x.jsonl", b'{"id": 3, "text": "t"}', "must be a string"),
                                ("x.txt", b"\xff\xfe", "not UTF-8"),
                                ("x.jsonl", b"\n\n", "no records")):
        r = client.post("/index/add", files={"file": (name, data)}, headers=ORIGIN)
        assert r.status_code == 400 and message in r.text, (name, r.text)
    assert client.post("/index/add", data={"q": "x"}, headers=ORIGIN).status_code == 400
    assert client.post("/index/add", content=b"x", headers={**ORIGIN, "Content-Type": "text/plain"}).status_code == 415
    r = client.post("/index/add", content=b"--b\r\nbroken", headers={**ORIGIN, "Content-Type":
                                                                     "multipart/form-data; boundary=b"})
    assert r.status_code == 400
    assert client.get("/api/stats").json()["documents"] == 4
