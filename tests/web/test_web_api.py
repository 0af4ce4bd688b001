"""The JSON API over the seed index: every endpoint, good and bad input."""

from __future__ import annotations

import json

import pytest
from serve_support import LONG, ORIGIN, SHORT, client, db, seed_records  # noqa: F401 (fixtures)


def test_query_finds_the_other_seed_with_passages(client):
    rec = {r["id"]: r for r in seed_records()}
    r = client.post("/api/query", json={"text": rec[SHORT]["text"], "limit": 5}, headers=ORIGIN)
    assert r.status_code == 200
    matches = r.json()["matches"]
    ids = [m["id"] for m in matches]
    assert set(ids) == {LONG, SHORT}
    long = next(m for m in matches if m["id"] == LONG)
    assert long["title"] == rec[LONG]["title"]
    assert long["passages"], "the long seed shares passages with the short one"
    for p in long["passages"]:
        assert 0 <= p["query_start"] < p["query_end"] <= len(rec[SHORT]["text"])
        assert 0 <= p["doc_start"] < p["doc_end"] <= len(rec[LONG]["text"])
        # an aligned passage ends on the same words on both sides
        q = rec[SHORT]["text"][p["query_start"]:p["query_end"]].split()
        d = rec[LONG]["text"][p["doc_start"]:p["doc_end"]].split()
        assert q[-3:] == d[-3:]


def test_query_without_shared_text_is_empty(client):
    r = client.post("/api/query", json={"text": "nothing like any indexed article at all here"}, headers=ORIGIN)
    assert r.status_code == 200 and r.json() == {"matches": []}


@pytest.mark.parametrize("body, message", [
    (b"not json", "not JSON"),
    (b"[1, 2]", "JSON object"),
    (b'{"text": 3}', "text must be a string"),
    (b'{"limit": 3}', "text must be a string"),
    (b'{"text": "x", "limit": 0}', "limit"),
    (b'{"text": "x", "limit": "ten"}', "limit"),
    (b'{"text": "x", "limit": true}', "limit"),
    (b'{"text": "x", "other": 1}', "unknown field"),
    (b'{"text": "\\ud800"}', "lone surrogate"),
    (b'{"text": NaN}', "not JSON"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b"[" * 100000, "not JSON"),
])
def test_query_bad_input_is_400_with_a_message(client, body, message):
    r = client.post("/api/query", content=body, headers={**ORIGIN, "Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert message in r.json()["error"]


def test_query_wrong_media_type_is_415(client):
    r = client.post("/api/query", content=b"text=x", headers={**ORIGIN, "Content-Type": "text/plain"})
    assert r.status_code == 415 and "application/json" in r.json()["error"]


def test_wrong_method_and_unknown_path(client):
    assert client.get("/api/query").status_code == 405
    r = client.get("/api/nothing")
    assert r.status_code == 404 and "error" in r.json()


def test_get_document(client):
    r = client.get(f"/api/documents/{LONG}")
    assert r.status_code == 200
    d = r.json()
    assert d["id"] == LONG and d["title"] == "Syrian army advances near oil fields" and d["source"] == "Alwaght"
    assert d["text"].startswith("Alwaght")
    assert [m["id"] for m in d["matches"]] == [SHORT]
    assert d["attributions"] and all(d["text"][a["start"]:a["end"]] for a in d["attributions"])


def test_missing_document_is_404(client):
    r = client.get("/api/documents/no-such-id")
    assert r.status_code == 404 and "no-such-id" in r.json()["error"]
    r = client.delete("/api/documents/no-such-id", headers=ORIGIN)
    assert r.status_code == 404


def test_add_then_remove_a_document(client):
    rec = {r["id"]: r for r in seed_records()}
    doc = {"id": "dir/copy one.txt", "text": rec[LONG]["text"], "title": "A third copy", "date": "2026-03-05"}
    r = client.post("/api/documents", json={"documents": [doc]}, headers=ORIGIN)
    assert r.status_code == 201, r.text
    assert r.json()["added"] == 1 and r.json()["documents"] == 3
    # the same again changes nothing
    r = client.post("/api/documents", json={"documents": [doc]}, headers=ORIGIN)
    assert r.status_code == 200 and r.json()["unchanged"] == 1
    got = client.get("/api/documents/dir/copy one.txt").json()
    assert got["title"] == "A third copy" and LONG in [m["id"] for m in got["matches"]]
    fams = client.get("/api/families").json()
    assert fams["families"][0]["size"] == 3
    r = client.delete("/api/documents/dir/copy one.txt", headers=ORIGIN)
    assert r.status_code == 200 and r.json() == {"removed": 1}
    assert client.get("/api/documents/dir/copy one.txt").status_code == 404
    assert client.get("/api/families").json()["families"][0]["size"] == 2
    history = client.get("/api/stats").json()["history"]
    assert [h["kind"] for h in history][:3] == ["remove", "add", "add"]


def test_add_reports_problems_without_failing(client):
    r = client.post("/api/documents", json={"documents": [{"id": "d", "text": "some words", "date": "not a date"}]},
                    headers=ORIGIN)
    assert r.status_code == 201
    assert [p["reason"] for p in r.json()["problems"]] == ["bad_date"]


@pytest.mark.parametrize("body, message", [
    ({}, "documents must be a list"),
    ({"documents": []}, "send 1 to"),
    ({"documents": [1]}, "must be an object"),
    ({"documents": [{"id": "", "text": "x"}]}, "must not be empty"),
    ({"documents": [{"id": "a"}]}, "text must be a string"),
    ({"documents": [{"id": "a", "text": "x", "date": 5}]}, "date must be a string"),
    ({"documents": [{"id": "a", "text": "x", "path": "/etc/passwd"}]}, "unknown field"),
    ({"documents": [{"id": "a" * 1001, "text": "x"}]}, "longer than"),
])
def test_add_bad_input_is_400(client, body, message):
    r = client.post("/api/documents", json=body, headers=ORIGIN)
    assert r.status_code == 400, r.text
    assert message in r.json()["error"]
    assert client.get("/api/stats").json()["documents"] == 2


def test_families_and_family(client):
    fams = client.get("/api/families").json()
    assert fams["total"] == 1
    f = fams["families"][0]
    assert f["size"] == 2 and f["first_date"] == "2026-03-01" and f["last_date"] == "2026-03-02"
    assert f["sources"] == ["Alwaght", "Press TV"] and len(f["titles"]) == 2
    fam = client.get(f"/api/families/{f['id']}").json()
    assert {m["id"] for m in fam["members"]} == {LONG, SHORT}
    assert sum(m["representative"] for m in fam["members"]) == 1
    assert fam["lineage"] == [{"parent": LONG, "child": SHORT, "confidence": 0.99}]
    assert fam["pairs"][0]["direction"] == "a->b"
    assert client.get("/api/families/999").status_code == 404
    assert client.get("/api/families/x").status_code == 404
    assert client.get("/api/families?limit=0").status_code == 400
    assert client.get("/api/families?offset=-1").status_code == 400
    assert client.get("/api/families?offset=5").json()["families"] == []


def test_pair(client):
    rec = {r["id"]: r for r in seed_records()}
    r = client.get("/api/pairs", params={"a": LONG, "b": SHORT})
    assert r.status_code == 200
    p = r.json()
    assert p["relation"] == "contains" and p["passages"] and p["changes"]
    ta, tb = rec[LONG]["text"], rec[SHORT]["text"]
    ops = {c["op"] for c in p["changes"]}
    assert "replace" in ops
    # the mirrored pair shows the same passages from the other side
    q = client.get("/api/pairs", params={"a": SHORT, "b": LONG}).json()
    assert q["relation"] == "contained"
    assert [(x["a_start"], x["b_start"]) for x in q["passages"]] == [(x["b_start"], x["a_start"]) for x in p["passages"]]
    for x in p["passages"]:
        assert ta[x["a_start"]:x["a_end"]] and tb[x["b_start"]:x["b_end"]]
    assert client.get("/api/pairs", params={"a": LONG}).status_code == 400
    assert client.get("/api/pairs", params={"a": LONG, "b": LONG}).status_code == 400
    assert client.get("/api/pairs", params={"a": LONG, "b": "nope"}).status_code == 404


def test_stats(client):
    s = client.get("/api/stats").json()
    assert s["documents"] == 2 and s["batches"] == 1 and s["history"][0]["added"] == 2
    client.get("/api/families")
    s = client.get("/api/stats").json()
    assert s["scan"]["pairs"] == 1 and sum(s["scan"]["jaccard_histogram"]) == 1


def test_openapi_lists_every_endpoint(client):
    doc = client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {"/api/query", "/api/documents", "/api/documents/{id}", "/api/families",
                                 "/api/families/{id}", "/api/pairs", "/api/stats"}
    json.dumps(doc)


def test_readonly_server_refuses_writes(db):
    from starlette.testclient import TestClient

    from retold.web import create_app

    with TestClient(create_app(db, readonly=True), base_url="http://127.0.0.1") as c:
        r = c.post("/api/documents", json={"documents": [{"id": "x", "text": "y"}]}, headers=ORIGIN)
        assert r.status_code == 403 and "read-only" in r.json()["error"]
        assert c.delete(f"/api/documents/{LONG}", headers=ORIGIN).status_code == 403
        assert c.get(f"/api/documents/{LONG}").status_code == 200


def test_the_jaccard_histogram_counts_each_pair_in_its_tenth():
    from retold.config import ScanConfig
    from retold.models import Pair, PairTable, ScanResult
    from retold.web.service import scan_summary

    pairs = [Pair("a", f"b{k}", jac, 0.5, 0.5, "overlap") for k, jac in enumerate((0.0, 0.05, 0.1, 0.35, 0.99, 1.0))]
    for form in (tuple(pairs), PairTable.of(pairs)):
        result = ScanResult((), form, (), (), ScanConfig(), {}, {})
        assert scan_summary(result)["jaccard_histogram"] == [2, 1, 0, 1, 0, 0, 0, 0, 0, 2]
