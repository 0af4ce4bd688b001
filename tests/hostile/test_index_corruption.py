"""Hostile: a damaged index is never used as if it were sound.

A byte flipped anywhere in an index file (stored texts, shingle sets, signatures,
postings, band keys, document rows, SQLite's own pages) must give, on every reading path
(``query``, the texts it prints, ``scan --db``), either a clean retold error (one line, a
:class:`~retold.errors.RetoldError`, never a raw ``zlib.error`` or ``sqlite3`` traceback)
or exactly the pristine index's results. ``retold index check`` must report every flip
that changed a result, and every kind of damage the "Trust" issue lists.

The fuzzing is deterministic: seeded offsets over the whole file, each flip XORs one byte
with a seeded non-zero mask, and the file is restored from a pristine copy after each.
"""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import edit_words, make_doc

from retold import Document, ScanConfig
from retold.cli import main as cli
from retold.config import CandidateConfig
from retold.errors import IndexFormatError, RetoldError
from retold.index import Index

#: max_df small enough that the footer is boilerplate in this corpus (exercises its paths)
CONFIG = ScanConfig(candidates=CandidateConfig(max_df=4))
FOOTER = ("Copyright the Daily Example. All rights reserved. Subscribe to our newsletter for the latest "
          "stories delivered to your inbox every single morning before breakfast.")
FLIPS = 1000
SEED = 20240607
#: every this many flips the CLI runs too (``retold query``): errors must surface as one clean line
CLI_EVERY = 10


def _docs(prose: list[str], seed_texts: dict[str, str]) -> list[Document]:
    """A few dozen small real documents: prose, edited copies, a footer (boilerplate), two
    news articles, a short and an empty one."""
    docs = []
    for i in range(20):
        text = make_doc(prose, 3 * i, 50)
        docs.append(Document(f"prose-{i:02d}", text + ("\n\n" + FOOTER if i % 2 else ""), source=f"s{i % 3}"))
        if i % 4 == 0:
            docs.append(Document(f"prose-{i:02d}-copy", edit_words(text, 0.1, i), date="2024-05-01"))
    for name in sorted(seed_texts)[:2]:
        docs.append(Document(name, " ".join(seed_texts[name].split()[:120])))
    docs.append(Document("too-short", "Just a few words."))
    docs.append(Document("empty", " ... "))
    return docs


def _queries(docs: list[Document], prose: list[str]) -> list[str]:
    """Queries that match: an edited copy, a splice of two documents with the footer."""
    return [edit_words(docs[0].text, 0.1, 99), docs[5].text[:300] + " " + make_doc(prose, 100, 40) + " " + FOOTER]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, prose: list[str],
             seed_texts: dict[str, str]) -> tuple[Path, list[Document], list[str]]:
    """The pristine index file (fully checkpointed: no WAL beside it), its documents and queries."""
    db = tmp_path_factory.mktemp("pristine") / "pristine.retold"
    docs = _docs(prose, seed_texts)
    with Index.open(db, create=True, config=CONFIG) as index:  # two adds, batches of 7: several segments
        index.add(docs[:14], workers=1, batch_size=7)
        index.add(docs[14:], workers=1, batch_size=7)
        assert index.check() == []
    assert not Path(str(db) + "-wal").exists()
    return db, docs, _queries(docs, prose)


def _restore(pristine: Path, work: Path) -> None:
    """``work`` := a byte copy of ``pristine``, without WAL or shared-memory files."""
    for suffix in ("-wal", "-shm"):
        Path(str(work) + suffix).unlink(missing_ok=True)
    shutil.copyfile(pristine, work)


def _flip(path: Path, offset: int, mask: int) -> None:
    """XOR the byte at ``offset`` with ``mask`` (in place)."""
    with open(path, "r+b") as fh:
        fh.seek(offset)
        byte = fh.read(1)[0]
        fh.seek(offset)
        fh.write(bytes([byte ^ mask]))


@dataclass(frozen=True)
class Failure:
    """A reading path that ended in an exception which is not a retold error."""

    path: str
    error: str


def _attempt(path: str, fn: Any) -> Any:
    """``("ok", value)`` or ``("error", message)`` for a retold error; :class:`Failure` for any other."""
    try:
        return ("ok", fn())
    except RetoldError as exc:
        message = str(exc)
        return ("error", message) if "\n" not in message else Failure(path, f"multi-line message: {message!r}")
    except Exception as exc:  # noqa: BLE001 - exactly what must not happen
        return Failure(path, f"{type(exc).__name__}: {exc}")


def _observe(db: Path, queries: list[str]) -> dict[str, Any]:
    """What each reading path gives: the queries (matches, and the texts the CLI prints),
    and a scan (documents, pairs with passages, clusters, stats). The index is opened once
    (a refusal at open is every path's answer)."""
    paths = [f"query{i}" for i in range(len(queries))] + ["scan"]
    opened = _attempt("open", lambda: Index.open(db, readonly=True))
    if isinstance(opened, Failure) or opened[0] == "error":
        return dict.fromkeys(paths, opened)
    index = opened[1]

    def run_query(q: str) -> Any:
        matches = index.query(q)
        return [m.to_dict() for m in matches], [index.text(m.id) for m in matches]

    def run_scan() -> Any:
        r = index.scan(workers=1)
        return r.documents, r.pairs, r.clusters, dict(r.stats)

    with index:
        out = {f"query{i}": _attempt(f"query{i}", lambda q=q: run_query(q)) for i, q in enumerate(queries)}
        out["scan"] = _attempt("scan", run_scan)
    return out


def _check(db: Path) -> Any:
    """``check``'s problems (a retold error at open counts as one), or a :class:`Failure`."""

    def run() -> list[str]:
        with Index.open(db, readonly=True) as index:
            return index.check()

    got = _attempt("check", run)
    if isinstance(got, Failure):
        return got
    return got[1] if got[0] == "ok" else [got[1]]


def _cli_query(db: Path, query: str) -> Failure | None:
    """``retold query`` on the damaged file: exit 0, or exit 1 with one ``error:`` line."""
    try:
        res = CliRunner().invoke(cli, ["query", "--db", str(db), "--text", query], catch_exceptions=False)
    except Exception as exc:  # noqa: BLE001
        return Failure("cli query", f"{type(exc).__name__}: {exc}")
    if res.exit_code not in (0, 1) or (res.exit_code == 1 and "error:" not in res.output) or "Traceback" in res.output:
        return Failure("cli query", f"exit {res.exit_code}: {res.output[-300:]!r}")
    return None


@pytest.mark.slow
def test_byte_flips_give_a_clean_error_or_the_pristine_results(tmp_path, pristine):
    """1,000 seeded byte flips over the whole file: never a raw exception, never a silently
    different answer from a blob or row (those are checksummed); a flip that changes a
    result at all (postings, which reads cannot verify per row) or that a read refuses is
    reported by ``check``. Counts are printed (``-s``)."""
    db0, _, queries = pristine
    expected = _observe(db0, queries)
    assert all(v[0] == "ok" for v in expected.values()) and expected["query0"][1][0], expected
    size = db0.stat().st_size
    work = tmp_path / "work.retold"
    rng = random.Random(SEED)
    tally: Counter[str] = Counter()
    failures: list[tuple[int, Failure]] = []
    undetected: list[tuple[int, list[str]]] = []
    changed_paths: Counter[str] = Counter()
    for n in range(FLIPS):
        offset, mask = rng.randrange(size), rng.randrange(1, 256)
        _restore(db0, work)
        _flip(work, offset, mask)
        got = _observe(work, queries)
        bad = [v for v in got.values() if isinstance(v, Failure)]
        failures += [(offset, f) for f in bad]
        changed = [k for k, v in got.items() if isinstance(v, tuple) and v[0] == "ok" and v != expected[k]]
        errors = [k for k, v in got.items() if isinstance(v, tuple) and v[0] == "error"]
        if n % CLI_EVERY == 0:
            _restore(db0, work)  # a read-only open may have left a -shm; start from the same bytes
            _flip(work, offset, mask)
            cli_failure = _cli_query(work, queries[(n // CLI_EVERY) % len(queries)])
            if cli_failure is not None:
                failures.append((offset, cli_failure))
        kind = "changed" if changed else "error" if errors else "identical"
        tally[kind] += 1
        if kind != "identical" or n % CLI_EVERY == 0:  # identical ones sampled: informative only
            found = _check(work)
            if isinstance(found, Failure):
                failures.append((offset, found))
            elif found:
                tally[f"{kind}, reported by check"] += 1
            elif kind == "identical":
                tally["identical, not reported by check"] += 1
            elif kind == "changed":
                undetected.append((offset, changed))
        changed_paths.update(changed)
    report = f"{FLIPS} flips of {size} bytes: {dict(tally)}; changed paths {dict(changed_paths)}"
    print(report)
    assert not failures, f"{report}; not clean: {failures[:5]}"
    assert not undetected, f"{report}; changed results that check did not report: {undetected[:5]}"
    assert tally["error, reported by check"] == tally["error"], report  # what a read refuses, check reports
    assert tally["identical"] + tally["error"] + tally["changed"] == FLIPS
    assert tally["error"] > 100 and tally["identical"] > 100, report  # the flips reached both kinds of bytes


# ---------------------------------------------------------------------------- targeted flips


def _offset_of(path: Path, blob: bytes) -> int:
    """The file offset of ``blob``'s first 32 bytes (they are in one page), found once."""
    data = path.read_bytes()
    at = data.find(blob[:32])
    assert at >= 0 and data.find(blob[:32], at + 1) < 0, "blob not found exactly once"
    return at


def _value(db: Path, sql: str, *args: object) -> Any:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchone()[0]
    finally:
        conn.close()


def _damage(db: Path, kind: str, doc_id: str) -> None:
    """Flip one byte of the given kind of stored data of ``doc_id`` (docs metadata: its
    shingle count changed in place, as a flipped bit in that integer would)."""
    if kind == "shingles":
        conn = sqlite3.connect(db)
        conn.execute("UPDATE docs SET shingles = (shingles | 2) - (shingles & 2) WHERE id = ?", (doc_id,))
        conn.commit()
        conn.close()
        return
    if kind in ("text", "sketch", "signature"):
        blob = _value(db, f"SELECT {kind} FROM docs WHERE id = ?", doc_id)
        _flip(db, _offset_of(db, blob) + 20, 0x10)
        return
    table, column = {"grams": ("grams", "h"), "bands": ("bands", "key")}[kind]
    h = _value(db, f"SELECT {column} FROM {table} WHERE doc = (SELECT doc FROM docs WHERE id = ?) "
                   f"ORDER BY {column} LIMIT 1", doc_id)
    raw = int(h).to_bytes(8, "big", signed=True)  # SQLite stores integers big-endian
    data = db.read_bytes()
    at = data.find(raw)
    assert at >= 0 and data.find(raw, at + 1) < 0
    _flip(db, at + 7, 0x01)


def _fresh(tmp_path: Path, pristine: tuple[Path, list[Document], list[str]], name: str) -> Path:
    db = tmp_path / name
    _restore(pristine[0], db)
    return db


def test_flipped_text_blob_is_a_clean_error_naming_the_document_and_check(tmp_path, pristine):
    _, docs, queries = pristine
    target = docs[0].id  # the best match of queries[0]
    db = _fresh(tmp_path, pristine, "text.retold")
    _damage(db, "text", target)
    with Index.open(db, readonly=True) as index:
        with pytest.raises(IndexFormatError, match=rf"document '{target}' is damaged.*retold index check"):
            index.query(queries[0])
        with pytest.raises(IndexFormatError, match=rf"document '{target}' is damaged.*retold index check"):
            index.scan(workers=1)
        with pytest.raises(IndexFormatError, match="retold index check"):
            index.text(target)
    runner = CliRunner()
    res = runner.invoke(cli, ["query", "--db", str(db), "--text", queries[0]], catch_exceptions=False)
    flat = " ".join(res.output.split())
    assert res.exit_code == 1 and "retold index check" in flat and target in flat and "Traceback" not in flat
    res = runner.invoke(cli, ["scan", "--db", str(db), "--out", str(tmp_path / "out"), "-q"], catch_exceptions=False)
    flat = " ".join(res.output.split())
    assert res.exit_code == 1 and "retold index check" in flat and "zlib" not in flat


def test_flipped_sketch_blob_is_detected_not_silently_different(tmp_path, pristine):
    _, docs, queries = pristine
    target = docs[0].id
    db = _fresh(tmp_path, pristine, "sketch.retold")
    _damage(db, "sketch", target)
    with Index.open(db, readonly=True) as index:
        for fn in (lambda: index.query(queries[0], align=False), lambda: index.scan(workers=1, align=False)):
            with pytest.raises(IndexFormatError, match=rf"document '{target}' is damaged \(its shingle set"):
                fn()
        assert any("shingle set does not match its checksum" in p for p in index.check())
    res = CliRunner().invoke(cli, ["query", "--db", str(db), "--text", queries[0]], catch_exceptions=False)
    assert res.exit_code == 1 and "retold index check" in " ".join(res.output.split())


@pytest.mark.parametrize("kind, message", [
    ("text", "stored text does not match its checksum"),
    ("sketch", "shingle set does not match its checksum"),
    ("signature", "signature does not match its checksum"),
    ("grams", "grams:"),
    ("bands", "bands:"),
    ("shingles", "does not match its row checksum"),
])
def test_check_finds_every_kind_of_flip_the_issue_lists(tmp_path, pristine, kind, message):
    """The six flips of the "Trust" issue: each is reported by ``check`` (and by the CLI, exit 1)."""
    _, docs, _ = pristine
    db = _fresh(tmp_path, pristine, f"{kind}.retold")
    _damage(db, kind, docs[2].id)
    with Index.open(db, readonly=True) as index:
        problems = index.check()
    assert any(message in p for p in problems), problems
    if kind not in ("grams", "bands"):
        assert any(repr(docs[2].id) in p for p in problems), problems
    res = CliRunner().invoke(cli, ["index", "check", "--db", str(db), "-q"], catch_exceptions=False)
    assert res.exit_code == 1 and message in " ".join(res.output.split())


def test_sqlite_errors_on_a_damaged_file_are_index_format_errors(tmp_path, pristine):
    """Damage SQLite itself notices (a page's header) surfaces as IndexFormatError, in the
    library and through the CLI, never as sqlite3.DatabaseError."""
    db = _fresh(tmp_path, pristine, "pages.retold")
    page = _value(db, "PRAGMA page_size")
    root = _value(db, "SELECT rootpage FROM sqlite_master WHERE name = 'docs'")
    with open(db, "r+b") as fh:  # the docs table's root page: its b-tree page type becomes invalid
        fh.seek((root - 1) * page)
        fh.write(b"\xff")
    with Index.open(db, readonly=True) as index:
        with pytest.raises(IndexFormatError, match="damaged.*retold index check"):
            index.scan(workers=1)
        with pytest.raises(IndexFormatError, match="damaged"):
            index.doc_text(1)
        assert any(p.startswith("sqlite:") for p in index.check())
    res = CliRunner().invoke(cli, ["scan", "--db", str(db), "--out", str(tmp_path / "o"), "-q"],
                             catch_exceptions=False)
    assert res.exit_code == 1 and "error:" in res.output and "Traceback" not in res.output


def test_a_damaged_meta_table_is_refused(tmp_path, pristine):
    """The parameters (config, sample) decide every result: an edit to them is refused at open."""
    db = _fresh(tmp_path, pristine, "meta.retold")
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = '2' WHERE key = 'sample'")
    conn.commit()
    conn.close()
    with pytest.raises(IndexFormatError, match="meta table is damaged"):
        Index.open(db, readonly=True)
    assert os.path.exists(db)
