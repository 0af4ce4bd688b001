"""Opening an index and reading its texts (retold.index.Index): the parameters fixed at
creation, paths that are not an index, ids and numbers that are not in it, and texts kept
by pointer whose pointer is damaged."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from retold import Document, ScanConfig
from retold.config import ShingleConfig
from retold.errors import ConfigError, IndexFormatError, InputError
from retold.index import Index
from retold.index.store import ROW_FIELDS, values_sum


@pytest.fixture
def seeds_db(tmp_path: Path, seed_texts: dict[str, str]) -> Path:
    db = tmp_path / "seeds.retold"
    with Index.open(db, create=True, sample=2) as index:
        index.add([Document(n, t) for n, t in sorted(seed_texts.items())], workers=1)
    return db


def test_the_sample_is_fixed_when_the_index_is_created(seeds_db, tmp_path):
    with Index.open(seeds_db, sample=2) as index:
        assert index.sample == 2 and len(index) == 2
    with pytest.raises(ConfigError, match="posts 1 shingle in 2; this cannot change"):
        Index.open(seeds_db, sample=4)
    with pytest.raises(ConfigError, match="sample must be >= 1, got 0"):
        Index.open(tmp_path / "new.retold", create=True, sample=0)
    assert not (tmp_path / "new.retold").exists()


def test_other_parameters_are_refused_and_the_index_stays_usable(seeds_db):
    with pytest.raises(ConfigError, match="created with other parameters"):
        Index.open(seeds_db, config=ScanConfig(shingle=ShingleConfig(size=7)))
    with pytest.raises(ConfigError, match="stores texts; this cannot change"):
        Index.open(seeds_db, store_text=False)
    with Index.open(seeds_db, readonly=True) as index:  # the refused openings left nothing behind
        assert index.check() == []


def test_paths_that_are_not_an_index(tmp_path):
    with pytest.raises(InputError, match="is not a file"):
        Index.open(tmp_path, create=True)
    empty = tmp_path / "empty.retold"
    empty.touch()
    with pytest.raises(InputError, match="an empty file, not an index,"):
        Index.open(empty, readonly=True)
    with pytest.raises(InputError, match="no index at"):
        Index.open(tmp_path / "missing.retold")


def test_unknown_ids_and_numbers(seeds_db, seed_texts):
    with Index.open(seeds_db, readonly=True) as index:
        first = min(seed_texts)
        assert index.text(first) == seed_texts[first]
        with pytest.raises(InputError, match="no document with id 'nope'"):
            index.text("nope")
        with pytest.raises(IndexFormatError, match="document number 999 is missing; run `retold index check"):
            index.doc_text(999)


def _set(db: Path, doc_id: str, **values: object) -> None:
    """Change columns of a docs row and re-seal its row checksum (a consistent hand edit)."""
    conn = sqlite3.connect(db)
    try:
        for column, value in values.items():
            conn.execute(f"UPDATE docs SET {column} = ? WHERE id = ?", (value, doc_id))
        row = conn.execute(f"SELECT {', '.join(ROW_FIELDS)} FROM docs WHERE id = ?", (doc_id,)).fetchone()
        conn.execute("UPDATE docs SET row_sum = ? WHERE id = ?", (values_sum(row), doc_id))
        conn.commit()
    finally:
        conn.close()


@pytest.fixture
def pointer_db(tmp_path: Path, seed_texts: dict[str, str]) -> tuple[Path, str]:
    src = tmp_path / "articles"
    src.mkdir()
    for name, text in seed_texts.items():
        (src / name).write_text(text, encoding="utf-8")
    db = tmp_path / "pointers.retold"
    with Index.open(db, create=True, store_text=False) as index:
        index.add(src, workers=1)
        doc_id = index.ids()[0]
        assert index.text(doc_id) == seed_texts[doc_id.rsplit("/", 1)[-1]]
    return db, doc_id


def test_a_pointer_that_is_not_json_is_damage(pointer_db):
    db, doc_id = pointer_db
    _set(db, doc_id, pointer="{not json")
    with Index.open(db, readonly=True) as index, pytest.raises(IndexFormatError, match="its text pointer is not JSON"):
        index.text(doc_id)


def test_a_missing_pointer_is_damage(pointer_db):
    db, doc_id = pointer_db
    _set(db, doc_id, pointer=None)
    with Index.open(db, readonly=True) as index, pytest.raises(IndexFormatError, match=r"damaged \(no text pointer\)"):
        index.text(doc_id)


def test_a_stored_text_of_the_wrong_length_or_encoding_is_damage(seeds_db, seed_texts):
    import zlib

    from retold.index.store import blob_sum

    first, second = sorted(seed_texts)
    _set(seeds_db, first, chars=len(seed_texts[first]) + 1)
    bad = zlib.compress(b"\xff\xfe not utf-8")
    conn = sqlite3.connect(seeds_db)
    conn.execute("UPDATE docs SET text = ? WHERE id = ?", (bad, second))
    conn.commit()
    conn.close()
    _set(seeds_db, second, text_sum=blob_sum(bad))
    with Index.open(seeds_db, readonly=True) as index:
        with pytest.raises(IndexFormatError, match="its stored text has the wrong length"):
            index.text(first)
        with pytest.raises(IndexFormatError, match="its stored text cannot be decoded"):
            index.text(second)
