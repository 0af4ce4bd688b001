"""``Index.check`` names each kind of damage retold's invariants catch (retold.index.check).

Each test damages one thing of a real index (the seed articles and stdlib prose) with
plain SQL, as a bug or a hand edit would, and asserts the problem ``check`` reports for it.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import make_doc

from retold import Document
from retold.index import Index
from test_index_more import pointer_db  # noqa: F401 (a fixture)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, prose: list[str], seed_texts: dict[str, str]) -> Path:
    db = tmp_path_factory.mktemp("check") / "pristine.retold"
    docs = [Document(name, text) for name, text in sorted(seed_texts.items())]
    docs += [Document(f"prose-{i}", make_doc(prose, 4 * i, 80)) for i in range(4)]
    with Index.open(db, create=True) as index:
        index.add(docs, workers=1)
        assert index.check() == []
    assert not Path(str(db) + "-wal").exists()
    return db


@pytest.fixture
def db(tmp_path: Path, pristine: Path) -> Path:
    path = tmp_path / "damaged.retold"
    shutil.copyfile(pristine, path)
    return path


def _sql(db: Path, *statements: tuple[str, tuple[object, ...]]) -> None:
    conn = sqlite3.connect(db)
    try:
        for sql, args in statements:
            conn.execute(sql, args)
        conn.commit()
    finally:
        conn.close()


def _check(db: Path) -> list[str]:
    with Index.open(db, readonly=True) as index:
        return index.check()


PROSE = "prose-1"


def test_overlapping_segments_are_reported(db):
    _sql(db, (("INSERT INTO segments (seg, level, first_batch, last_batch) "
               "SELECT max(seg) + 1, 0, min(first_batch), max(last_batch) FROM segments"), ()))
    problems = _check(db)
    assert any("cover the same batches" in p for p in problems), problems


def test_a_segment_with_a_reversed_batch_range_is_invalid(db):
    _sql(db, ("INSERT INTO segments VALUES (900, 0, 50, 40)", ()))
    problems = _check(db)
    assert "segment 900: level 0 or batch range 50..40 is invalid" in problems


def test_too_many_segments_on_one_level_are_reported(db):
    _sql(db, *[("INSERT INTO segments VALUES (?, 3, ?, ?)", (1000 + i, 1000 + i, 1000 + i)) for i in range(8)])
    problems = _check(db)
    assert "segments: level 3 holds 8 segments (they are merged at 8)" in problems


def test_a_shingle_set_that_is_not_a_blob_is_reported_and_skipped(db):
    _sql(db, ("UPDATE docs SET sketch = 'not a blob' WHERE id = ?", (PROSE,)))
    problems = _check(db)
    assert any(f"document '{PROSE}'" in p and "shingle set does not match its checksum" in p for p in problems)
    # its postings cannot be recomputed, so the grams and bands totals no longer match
    assert any(p.startswith("grams:") for p in problems) and any(p.startswith("bands:") for p in problems)


def test_an_unsorted_shingle_set_is_reported(db):
    conn = sqlite3.connect(db)
    blob = conn.execute("SELECT sketch FROM docs WHERE id = ?", (PROSE,)).fetchone()[0]
    conn.close()
    words = [blob[i:i + 8] for i in range(0, len(blob), 8)]
    _sql(db, ("UPDATE docs SET sketch = ? WHERE id = ?", (b"".join(reversed(words)), PROSE)))
    problems = _check(db)
    assert any(f"'{PROSE}'" in p and "shingle set is not sorted and unique" in p for p in problems), problems


def test_a_shingle_set_of_the_wrong_length_is_reported(db):
    _sql(db, ("UPDATE docs SET shingles = shingles + 1 WHERE id = ?", (PROSE,)))
    problems = _check(db)
    assert any(f"'{PROSE}'" in p and "shingle set has" in p and "row says" in p for p in problems), problems


def test_a_short_signature_is_reported(db):
    _sql(db, ("UPDATE docs SET signature = substr(signature, 1, 16) WHERE id = ?", (PROSE,)))
    problems = _check(db)
    assert any(f"'{PROSE}'" in p and "signature has 16 bytes, expected" in p for p in problems), problems


def test_a_status_that_contradicts_the_counts_is_reported(db):
    _sql(db, ("UPDATE docs SET status = 'short' WHERE id = ?", (PROSE,)))
    problems = _check(db)
    assert any(f"'{PROSE}'" in p and "status 'short' does not match" in p for p in problems), problems


def test_a_wrong_postings_count_is_reported(db):
    _sql(db, ("UPDATE docs SET postings = postings + 5 WHERE id = ?", (PROSE,)))
    problems = _check(db)
    assert any(f"'{PROSE}'" in p and "postings recorded" in p for p in problems), problems


def test_a_document_in_an_unknown_batch_is_reported(db):
    _sql(db, ("UPDATE docs SET batch = 777 WHERE id = ?", (PROSE,)))
    problems = _check(db)
    assert any(f"'{PROSE}'" in p and "batch 777 is not in the batches table" in p for p in problems), problems
    assert any(f"'{PROSE}'" in p and "no postings segment covers its batch 777" in p for p in problems), problems


def test_a_stored_text_that_is_not_zlib_is_reported(db):
    _sql(db, ("UPDATE docs SET text = x'00112233' WHERE id = ?", (PROSE,)))
    problems = _check(db)
    assert any(f"'{PROSE}'" in p and "stored text is missing or does not match its content hash" in p
               for p in problems), problems


def test_a_value_of_the_wrong_type_in_the_postings_ends_the_check_with_one_problem(db):
    _sql(db, ("INSERT INTO grams VALUES (0, 'not a number', 1)", ()))
    problems = _check(db)
    assert any(p.startswith("a table holds a value retold cannot read (ValueError") for p in problems), problems


def test_meta_changed_after_opening_is_reported(db):
    with Index.open(db, readonly=True) as index:
        assert index.check() == []
        _sql(db, ("UPDATE meta SET value = 'other' WHERE key = 'format'", ()))
        problems = index.check()
    assert "meta: format or schema_version is wrong" in problems
    assert "meta: the meta table does not match its checksum" in problems


def test_an_index_without_texts_needs_a_pointer(pointer_db):
    db, doc_id = pointer_db
    assert _check(db) == []
    _sql(db, ("UPDATE docs SET pointer = NULL WHERE id = ?", (doc_id,)))
    problems = _check(db)
    assert any(f"{doc_id!r}" in p and "no stored text and no pointer" in p for p in problems), problems
