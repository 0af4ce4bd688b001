"""The persistent index: incremental == batch, idempotence, replace/remove, query, safety, CLI."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import retold
from retold import Document, ScanConfig
from retold.cli.index import index_group, query_cmd, scan_index
from retold.config import CandidateConfig
from retold.errors import ConfigError, IndexFormatError, InputError
from retold.index import Index
from retold.index.store import META_SUM, SCHEMA_VERSION, meta_sum
from retold.core.normalize import tokenize

from conftest import SEED_LONG, SEED_SHORT, edit_words, make_doc

#: max_df small enough that the footer below is boilerplate in this corpus
CONFIG = ScanConfig(candidates=CandidateConfig(max_df=5))
FOOTER = ("Copyright the Daily Example. All rights reserved. Subscribe to our newsletter for the latest "
          "stories delivered to your inbox every single morning before breakfast.")


@pytest.fixture(scope="module")
def corpus(seed_texts, prose) -> list[Document]:
    """Real articles, edited copies, unrelated prose, a shared passage, a footer, short/empty docs."""
    long, short = seed_texts[SEED_LONG], seed_texts[SEED_SHORT]
    docs = [Document(SEED_LONG, long, date="2024-03-01", source="a"), Document(SEED_SHORT, short, source="b")]
    docs += [Document(f"seed-copy-{i}", edit_words(long, rate, i), date=f"2024-03-0{i + 2}")
             for i, rate in enumerate((0.05, 0.15, 0.3))]
    for i in range(16):
        text = make_doc(prose, 7 * i, 220)
        docs.append(Document(f"prose-{i:02d}", text + ("\n\n" + FOOTER if i < 8 else "")))
        if i % 4 == 0:
            docs.append(Document(f"prose-{i:02d}-copy", edit_words(text, 0.1, i) + "\n\n" + FOOTER))
    passage = " ".join(make_doc(prose, 130, 60).split()[:60])
    docs.append(Document("passage-a", make_doc(prose, 140, 200) + "\n\n" + passage))
    docs.append(Document("passage-b", passage + "\n\n" + make_doc(prose, 150, 200)))
    docs.append(Document("contained-short", "\n\n".join(make_doc(prose, 0, 220).split("\n\n")[1:3])))
    docs.append(Document("too-short", "Just a few words here."))
    docs.append(Document("empty", "  ...  "))
    return docs


def plain(result: retold.ScanResult) -> tuple:
    """What must be equal between an index scan and a batch scan (origins differ)."""
    return (tuple(replace(d, origin="") for d in result.documents), result.pairs, result.clusters, dict(result.stats))


def add_in_batches(db: Path, docs: list[Document], n_batches: int, seed: int) -> None:
    order = docs[:]
    random.Random(seed).shuffle(order)
    size = -(-len(order) // n_batches)
    for k in range(n_batches):
        part = order[k * size : (k + 1) * size]
        with Index.open(db, create=True, config=CONFIG) as index:
            index.add(part, workers=1, batch_size=max(1, len(part) // 3 + k % 2))


@pytest.fixture(scope="module")
def reference(corpus) -> retold.ScanResult:
    return retold.scan(corpus, config=CONFIG, workers=1)


def test_reference_corpus_exercises_every_path(reference):
    rels = {p.relation for p in reference.pairs}
    assert {"duplicate", "contains", "overlap"} <= rels
    assert reference.stats["boilerplate_shingles"] > 0
    assert {d.status for d in reference.documents} == {"ok", "too_short", "empty"}


@pytest.mark.parametrize("n_batches,seed", [(1, 0), (2, 1), (2, 2), (10, 3), (10, 4)])
def test_incremental_equals_batch(tmp_path, corpus, reference, n_batches, seed):
    db = tmp_path / "x.retold"
    add_in_batches(db, corpus, n_batches, seed)
    with Index.open(db, readonly=True) as index:
        assert index.check() == []
        result = index.scan(workers=1)
    assert plain(result) == plain(reference)
    assert result.pairs and all(p.passages is not None for p in result.pairs)


def test_idempotent_readd_changes_nothing(tmp_path, corpus):
    db = tmp_path / "x.retold"
    with Index.open(db, create=True, config=CONFIG) as index:
        first = index.add(corpus, workers=2, batch_size=7)
        assert first.added == len(corpus) and first.batches == -(-len(corpus) // 7)
        before = index.conn.execute("SELECT id, content_hash, doc FROM docs ORDER BY id").fetchall()
        again = index.add(reversed(corpus), workers=1, batch_size=5)
        assert (again.added, again.replaced, again.unchanged, again.batches) == (0, [], len(corpus), 0)
        assert index.conn.execute("SELECT id, content_hash, doc FROM docs ORDER BY id").fetchall() == before
        assert index.stats()["batches"] == first.batches


def test_replace_and_remove_match_a_batch_scan(tmp_path, corpus, prose):
    db = tmp_path / "x.retold"
    with Index.open(db, create=True, config=CONFIG) as index:
        index.add(corpus, workers=1, batch_size=1)  # one segment per batch: merges happen
        stats = index.stats()
        assert stats["batches"] == len(corpus) and stats["segments"] <= 10
        new_text = make_doc(prose, 90, 250)
        changed = [Document("prose-03", new_text), Document("prose-05", corpus[[d.id for d in corpus].index("prose-05")].text,
                                                           date="2020-01-01")]
        report = index.add(changed, workers=1)
        assert report.replaced == ["prose-03", "prose-05"] and report.added == 0
        assert index.text("prose-03") == new_text
        assert index.remove(["passage-a", "seed-copy-1", "no-such-id"]) == 2
        assert index.remove(["passage-a"]) == 0
        assert index.check() == []
        result = index.scan(workers=1)
    final = {d.id: d for d in corpus}
    final.update({d.id: d for d in changed})
    for gone in ("passage-a", "seed-copy-1"):
        del final[gone]
    assert plain(result) == plain(retold.scan(list(final.values()), config=CONFIG, workers=1))


def test_query_finds_the_seed_pair_with_passages(tmp_path, corpus, seed_texts):
    db = tmp_path / "x.retold"
    docs = [d for d in corpus if d.id != SEED_SHORT]
    with Index.open(db, create=True, config=CONFIG) as index:
        index.add(docs, workers=1)
        query = seed_texts[SEED_SHORT]
        matches = index.query(query)
        assert matches[0].id == SEED_LONG or SEED_LONG in [m.id for m in matches[:4]]
        ids = [m.id for m in matches]
        assert set(ids) <= {SEED_LONG, "seed-copy-0", "seed-copy-1", "seed-copy-2"} and SEED_LONG in ids
        m = matches[ids.index(SEED_LONG)]
        assert m.relation == "contained" and m.containment_query > 0.85
        doc = index.text(SEED_LONG)
        assert m.passages
        for p in m.passages:
            a, b = tokenize(query[p.a_start : p.a_end]), tokenize(doc[p.b_start : p.b_end])
            assert len(a) >= 10 and len(set(a) & set(b)) >= 0.8 * len(set(a))
        assert [x.intersection for x in matches] == sorted((x.intersection for x in matches), reverse=True)
        assert matches[0].to_dict()["passages"][0].keys() == {"query_start", "query_end", "doc_start", "doc_end",
                                                              "score"}
        # partial reuse and unrelated text
        passage = next(d for d in corpus if d.id == "passage-b").text[:420]
        assert {m.id: m.relation for m in index.query(passage, align=False)} == {"passage-a": "contained",
                                                                                  "passage-b": "contained"}
        assert index.query("Nothing of this was ever written anywhere before, " * 3 + "truly novel words.") == []
        assert index.query("too short") == []


def test_config_is_fixed_at_creation(tmp_path, corpus):
    db = tmp_path / "x.retold"
    with Index.open(db, create=True, config=CONFIG) as index:
        index.add(corpus[:3], workers=1)
    with pytest.raises(ConfigError, match="other parameters"):
        Index.open(db, config=ScanConfig())
    with pytest.raises(ConfigError, match="stores"):
        Index.open(db, store_text=False)
    with Index.open(db) as index:  # None: as stored
        assert index.config == CONFIG
    with pytest.raises(InputError, match="no index"):
        Index.open(tmp_path / "missing.retold")
    with Index.open(db, readonly=True) as index, pytest.raises(ConfigError, match="read-only"):
        index.add(corpus[3:5])


def _state(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def test_bad_files_are_refused_and_left_untouched(tmp_path, corpus):
    binary = tmp_path / "random.bin"
    binary.write_bytes(random.Random(0).randbytes(10_000))
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is not an index\n" * 50)
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    conn.execute("INSERT INTO meta VALUES ('format', 'something-else')")
    conn.commit()
    conn.close()
    future = tmp_path / "future.retold"
    with Index.open(future, create=True) as index:
        index.add(corpus[:2], workers=1)
    conn = sqlite3.connect(future)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    conn.commit()
    conn.close()
    cases = [(binary, "not an SQLite database"), (text, "not an SQLite database"),
             (other, "not a retold index"), (future, "newer|upgrade retold")]
    for path, message in cases:
        before = _state(path)
        for kwargs in ({}, {"create": True}, {"readonly": True}):
            with pytest.raises(IndexFormatError, match=message):
                Index.open(path, **kwargs)
        assert _state(path) == before, path
        res = CliRunner().invoke(index_group, ["add", str(tmp_path / "notes.txt"), "--db", str(path)])
        assert res.exit_code == 1 and "Traceback" not in res.output and "error:" in res.output
        assert _state(path) == before, path


def test_texts_by_pointer_are_hash_checked(tmp_path, corpus):
    src = tmp_path / "in"
    src.mkdir()
    for d in corpus[:6]:
        (src / f"{d.id}.txt").write_text(d.text, encoding="utf-8")
    records = tmp_path / "more.jsonl"
    records.write_text("".join(json.dumps({"id": d.id, "text": d.text}) + "\n" for d in corpus[6:12]))
    db = tmp_path / "p.retold"
    with Index.open(db, create=True, store_text=False) as index:
        index.add([src, records], workers=1)
        assert index.check() == []
        assert index.text(f"{SEED_LONG}.txt") == corpus[0].text
        assert index.text(corpus[8].id) == corpus[8].text
        assert index.query(corpus[1].text)[0].passages
        with pytest.raises(InputError, match="needs documents read from files"):
            index.add([Document("mem", corpus[20].text)])
    (src / f"{SEED_LONG}.txt").write_text("changed", encoding="utf-8")
    with Index.open(db) as index, pytest.raises(InputError, match="changed since it was indexed"):
        index.text(f"{SEED_LONG}.txt")


_WRITER = """
import sys, time
from retold import Document
from retold.index import Index
from retold.config import ScanConfig, CandidateConfig
import json
docs = [Document(**d) for d in json.load(open(sys.argv[2]))]
with Index.open(sys.argv[1], create=True, config=ScanConfig(candidates=CandidateConfig(max_df=5))) as index:
    index.add(docs, workers=1, batch_size=4, on_batch=lambda b: time.sleep(0.05))
"""


def test_concurrent_reader_while_writer_adds(tmp_path, corpus):
    db = tmp_path / "c.retold"
    docs_file = tmp_path / "docs.json"
    docs_file.write_text(json.dumps([{"id": d.id, "text": d.text} for d in corpus]))
    with Index.open(db, create=True, config=CONFIG):
        pass
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(db), str(docs_file)])
    order = [d.id for d in corpus]
    seen: list[int] = []
    try:
        while True:
            done = writer.poll() is not None
            with Index.open(db, readonly=True, timeout=10) as index:
                ids = index.ids()
                n = len(ids)
                # a committed prefix of whole batches, never a half batch
                assert n % 4 == 0 or n == len(corpus), n
                assert set(ids) == set(order[:n])
                assert not seen or n >= seen[-1]
                seen.append(n)
                if len(seen) % 5 == 1:
                    assert index.check() == []
                index.query(corpus[0].text, align=False)
            if done:
                break
    finally:
        writer.wait(timeout=60)
    assert writer.returncode == 0
    assert seen[-1] == len(corpus) and len(set(seen)) > 2, seen


# ---------------------------------------------------------------------------- CLI


@click.group()
def cli() -> None:
    pass


cli.add_command(index_group)
cli.add_command(query_cmd)


def run(*args: object, ok: bool = True, input: str | None = None):
    res = CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)
    res.flat = " ".join(res.output.split())  # rich may wrap long lines
    if ok:
        assert res.exit_code == 0, res.output
    return res


def test_cli_add_query_stats_remove_check(tmp_path, corpus, seed_texts):
    src = tmp_path / "news"
    src.mkdir()
    for name, text in seed_texts.items():
        (src / name).write_text(text, encoding="utf-8")
    jsonl = tmp_path / "today.jsonl"
    jsonl.write_text("".join(json.dumps({"id": d.id, "text": d.text}) + "\n" for d in corpus[2:20]))
    db = tmp_path / "news.retold"
    res = run("index", "add", src, "--db", db, "--workers", "1", "-v")
    assert "created" in res.flat and "2 added" in res.flat and "batch 1: input documents 1-2" in res.flat
    res = run("index", "add", jsonl, "--db", db, "--workers", "1", "--batch-size", "5")
    assert "18 added" in res.flat and "4 batches committed" in res.flat
    res = run("index", "add", jsonl, src, "--db", db, "--workers", "1")
    assert "0 added" in res.flat and "20 unchanged" in res.flat
    assert "other parameters" in run("index", "add", src, "--db", db, "--max-df", "7", ok=False).flat

    res = run("query", "--db", db, src / SEED_SHORT, "--json")
    data = json.loads(res.output)
    assert data["matches"][0]["id"] == SEED_SHORT and data["matches"][0]["relation"] == "duplicate"
    long = next(m for m in data["matches"] if m["id"] == SEED_LONG)
    p = long["passages"][0]
    assert p["query_end"] > p["query_start"] and p["doc_end"] > p["doc_start"]
    assert json.loads(run("query", "--db", db, "--json", input=seed_texts[SEED_SHORT]).output) == data
    res = run("query", "--db", db, "--text", seed_texts[SEED_SHORT][:600])
    assert SEED_LONG in res.flat and "contained" in res.flat
    nothing = run("query", "--db", db, "--text", "short", ok=False)
    assert nothing.exit_code == 1 and "no match" in nothing.flat  # like grep

    stats = json.loads(run("index", "stats", "--db", db, "--json").output)
    assert stats["documents"] == 20 and stats["schema_version"] == SCHEMA_VERSION
    assert "documents" in run("index", "stats", "--db", db).flat
    assert "removed 1 of 2 ids" in run("index", "remove", "--db", db, "--id", SEED_SHORT, "--id", "nope").flat
    assert "ok: 19 documents" in run("index", "check", "--db", db).flat
    assert run("index", "check", "--db", db, "-q").output == ""  # quiet: nothing on stdout when healthy
    result = scan_index(db, workers=1)
    assert len(result.documents) == 19


def test_cli_check_reports_damage(tmp_path, corpus):
    db = tmp_path / "x.retold"
    with Index.open(db, create=True) as index:
        index.add(corpus[:6], workers=1)
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM grams WHERE h = (SELECT min(h) FROM grams)")
    conn.execute("UPDATE docs SET content_hash = 'x' WHERE id = ?", (corpus[1].id,))
    conn.commit()
    conn.close()
    res = run("index", "check", "--db", db, "-q", ok=False)
    assert res.exit_code == 1 and "grams" in res.flat and "content hash" in res.flat


@pytest.mark.parametrize("args", [["index"], ["index", "add"], ["index", "stats"], ["index", "remove"],
                                  ["index", "check"], ["query"]])
def test_every_command_has_help(args):
    res = run(*args, "--help")
    assert "Usage:" in res.output and len(res.output.split("\n")) > 4


def test_index_of_another_sketch_version_is_refused(tmp_path):
    import sqlite3

    import retold
    from retold.errors import IndexFormatError

    db = tmp_path / "old.retold"
    with retold.Index.open(db, create=True):
        pass
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'sketch_version'")
    conn.commit()
    conn.close()
    with pytest.raises(IndexFormatError, match="meta table is damaged"):
        retold.Index.open(db)  # an edit without its checksum is damage
    reseal_meta(db)
    with pytest.raises(IndexFormatError, match="sketches of version 1"):
        retold.Index.open(db)


def reseal_meta(db: Path) -> None:
    """Recompute the meta table's checksum after a deliberate edit (what a migration would do)."""
    conn = sqlite3.connect(db)
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    conn.execute("UPDATE meta SET value = ? WHERE key = ?", (meta_sum(meta), META_SUM))
    conn.commit()
    conn.close()


def test_index_of_schema_version_1_is_refused_with_a_rebuild_hint(tmp_path, corpus):
    """Version 2 added checksums; a version 1 file is refused (clearly), never read unchecked."""
    db = tmp_path / "v1.retold"
    with Index.open(db, create=True) as index:
        index.add(corpus[:2], workers=1)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    conn.execute("DELETE FROM meta WHERE key = ?", (META_SUM,))
    conn.commit()
    conn.close()
    before = _state(db)
    with pytest.raises(IndexFormatError, match="schema version 1.*no longer reads.*rebuild"):
        Index.open(db, readonly=True)
    res = run("query", "--db", db, "--text", "anything at all", ok=False)
    assert res.exit_code == 1 and "rebuild" in res.flat and "Traceback" not in res.output
    assert _state(db) == before


def test_one_open_index_serves_four_reader_threads_while_a_thread_adds(tmp_path, corpus):
    """A web server's situation: queries from several threads while another thread adds batches."""
    import threading

    first, rest = corpus[:6], corpus[6:]
    probe = corpus[0].text
    errors: list[BaseException] = []
    answered = [0] * 4
    seen_sizes: list[int] = []
    done = threading.Event()
    with Index.open(tmp_path / "t.retold", create=True, config=CONFIG) as index:
        index.add(first, workers=1)

        def writer() -> None:
            try:
                for i in range(0, len(rest), 5):
                    index.add(rest[i : i + 5], workers=1, batch_size=5)
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
            finally:
                done.set()

        def reader(k: int) -> None:
            try:
                while not done.is_set() or answered[k] < 3:
                    matches = index.query(probe, limit=3, align=False)
                    assert matches and matches[0].id == corpus[0].id
                    seen_sizes.append(index.stats()["documents"])
                    answered[k] += 1
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == []
        assert all(n >= 3 for n in answered)
        assert len(index) == len({d.id for d in corpus})
        # readers saw committed states only: between the first batch and everything
        assert min(seen_sizes) >= len(first) and max(seen_sizes) <= len(corpus)
