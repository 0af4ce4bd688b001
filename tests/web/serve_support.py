"""Helpers and fixtures of the web app's tests (imported by each test module: a second
conftest.py would clash with tests/conftest.py, which other tests import by name): an index of the two seed articles (with titles, dates,
sources), the app over it, a Starlette test client that speaks as this server's own pages,
and a real uvicorn server on a free loopback port."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the serve extra is part of the test extra")

from retold.index import Index  # noqa: E402
from retold.web import create_app  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "examples" / "news"
LONG = "000_d34c51ab5dc29095.txt"
SHORT = "001_20fc0c5beaae6e28.txt"
BASE = "http://127.0.0.1"
ORIGIN = {"Origin": BASE}


def seed_records() -> list[dict[str, str]]:
    texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}
    return [
        {"id": LONG, "text": texts[LONG], "title": "Syrian army advances near oil fields", "date": "2026-03-01",
         "source": "Alwaght"},
        {"id": SHORT, "text": texts[SHORT], "title": "Army retakes oilfields, Press TV says", "date": "2026-03-02",
         "source": "Press TV"},
    ]


def build_index(path: Path, records: list[dict[str, str]] | None = None) -> Path:
    with Index.open(path, create=True) as index:
        index.add(records if records is not None else seed_records(), workers=1)
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return build_index(tmp_path / "news.retold")


@pytest.fixture
def client(db: Path):
    from starlette.testclient import TestClient

    with TestClient(create_app(db), base_url=BASE) as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """uvicorn in a background thread on 127.0.0.1 (a free port), stopped on exit."""

    def __init__(self, db: Path, **kw: object) -> None:
        import uvicorn

        from retold.cli.serve import bind

        self.sock = bind("127.0.0.1", 0)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_app(db, port=self.port, **kw)
        self.server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> "Server":
        self.thread.start()
        while not self.server.started:  # no timing assumption: it starts or the test times out
            if not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            threading.Event().wait(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join()
        self.sock.close()
        self.app.close()


@pytest.fixture
def live(db: Path):
    with Server(db) as server:
        yield server
