"""Queries keep answering while documents are added: between the batches of an add in
progress and while another writer holds the index's write transaction open. Ordered by
events, not by time."""

from __future__ import annotations

import sqlite3
import threading

import httpx
from serve_support import LONG, SHORT, Server, db, seed_records  # noqa: F401 (fixtures)


def _copies(n: int) -> list[dict[str, str]]:
    text = {r["id"]: r["text"] for r in seed_records()}[SHORT]
    return [{"id": f"copy-{k:03d}", "text": f"Copy {k}. " + text} for k in range(n)]


def test_queries_answer_between_the_batches_of_an_add(db):
    with Server(db) as server:
        service = _service(server)
        service.batch_size = 5
        first_batch, go = threading.Event(), threading.Event()
        reports = []

        def on_batch(batch):
            if batch.number == 1:
                first_batch.set()
                go.wait(120)

        adder = threading.Thread(target=lambda: reports.append(service.add(_copies(20), on_batch=on_batch)))
        adder.start()
        try:
            assert first_batch.wait(120), "the add never committed its first batch"
            text = {r["id"]: r["text"] for r in seed_records()}[LONG]
            with httpx.Client(base_url=server.url) as c:
                for _ in range(5):
                    r = c.post("/api/query", json={"text": text, "limit": 50}, headers={"Origin": server.url})
                    assert r.status_code == 200
                    ids = {m["id"] for m in r.json()["matches"]}
                    assert {LONG, SHORT} <= ids and len(ids) == 2 + 5  # the first batch only
                assert c.get("/api/stats").json()["documents"] == 7
                assert c.get("/api/families").json()["families"][0]["size"] == 7
                assert c.get(f"/documents/{SHORT}").status_code == 200
        finally:
            go.set()
            adder.join()
        assert reports[0].added == 20 and reports[0].batches == 4
        with httpx.Client(base_url=server.url) as c:
            assert c.get("/api/stats").json()["documents"] == 22
            assert c.get("/api/families").json()["families"][0]["size"] == 22  # the cache followed the index


def test_queries_answer_while_a_write_transaction_is_open(db):
    with Server(db) as server:
        other = sqlite3.connect(db, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("INSERT INTO batches(kind, committed_at) VALUES ('add', 'now')")
            with httpx.Client(base_url=server.url) as c:
                text = {r["id"]: r["text"] for r in seed_records()}[LONG]
                r = c.post("/api/query", json={"text": text}, headers={"Origin": server.url})
                assert r.status_code == 200 and SHORT in {m["id"] for m in r.json()["matches"]}
                s = c.get("/api/stats").json()
                assert s["batches"] == 1 and s["documents"] == 2  # the uncommitted batch is not seen
        finally:
            other.execute("ROLLBACK")
            other.close()


def _service(server: Server):
    # the Starlette app behind the guard holds the service
    return server.app.app.state.service


