"""The index file's own checks (retold.index.store): where it may be created, a meta table
without a usable schema version, a row edited without its checksum, a missing stored text."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from retold import Document
from retold.errors import IndexFormatError, InputError
from retold.index import Index
from retold.index.store import META_SUM, meta_sum


@pytest.fixture
def seeds_db(tmp_path: Path, seed_texts: dict[str, str]) -> Path:
    db = tmp_path / "seeds.retold"
    with Index.open(db, create=True) as index:
        index.add([Document(n, t) for n, t in sorted(seed_texts.items())], workers=1)
    return db


def _exec(db: Path, sql: str, *args: object) -> None:
    conn = sqlite3.connect(db)
    try:
        conn.execute(sql, args)
        conn.commit()
    finally:
        conn.close()


def test_an_index_is_not_created_in_a_directory_that_does_not_exist(tmp_path):
    target = tmp_path / "missing" / "new.retold"
    with pytest.raises(InputError, match=f"directory {tmp_path / 'missing'} does not exist"):
        Index.open(target, create=True)
    assert not (tmp_path / "missing").exists()


def test_a_schema_version_that_is_not_a_number_is_refused(seeds_db):
    conn = sqlite3.connect(seeds_db)
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    meta["schema_version"] = "two"
    meta[META_SUM] = meta_sum(meta)  # sealed: only the version itself is wrong
    conn.executemany("UPDATE meta SET value = ? WHERE key = ?", [(v, k) for k, v in meta.items()])
    conn.commit()
    conn.close()
    with pytest.raises(IndexFormatError, match="retold index without a valid schema_version"):
        Index.open(seeds_db, readonly=True)


def test_a_row_edited_without_its_checksum_is_damage(seeds_db, seed_texts):
    doc_id = min(seed_texts)
    _exec(seeds_db, "UPDATE docs SET title = 'edited by hand' WHERE id = ?", doc_id)
    with Index.open(seeds_db, readonly=True) as index:
        with pytest.raises(IndexFormatError, match=rf"document '{doc_id}' is damaged \(its row does not match"):
            index.text(doc_id)
        assert index.text(max(seed_texts)) == seed_texts[max(seed_texts)]  # the other row is sound
        assert any(doc_id in p and "row checksum" in p for p in index.check())


def test_a_stored_text_removed_with_its_checksum_is_reported_as_missing(seeds_db, seed_texts):
    from retold.index.store import ROW_FIELDS, values_sum

    doc_id = min(seed_texts)
    conn = sqlite3.connect(seeds_db)
    conn.execute("UPDATE docs SET text = NULL, text_sum = NULL WHERE id = ?", (doc_id,))
    row = conn.execute(f"SELECT {', '.join(ROW_FIELDS)} FROM docs WHERE id = ?", (doc_id,)).fetchone()
    conn.execute("UPDATE docs SET row_sum = ? WHERE id = ?", (values_sum(row), doc_id))
    conn.commit()
    conn.close()
    with Index.open(seeds_db, readonly=True) as index:
        with pytest.raises(IndexFormatError, match=r"damaged \(no stored text\)"):
            index.text(doc_id)
