"""Atomic outputs (retold.io.atomic) refusing what cannot work: a directory whose parent
is a file, a stale path that is a directory, an unknown mode, one destination twice in a set."""

from __future__ import annotations

import errno

import pytest

from retold.errors import OutputError
from retold.io.atomic import AtomicSet, atomic_write, is_temporary, make_dirs


def test_a_directory_under_a_file_is_an_output_error(tmp_path, seed_texts):
    blocker = tmp_path / "article.txt"
    blocker.write_text(next(iter(seed_texts.values())), encoding="utf-8")
    with pytest.raises(OutputError, match=f"{blocker / 'out'}") as info:
        make_dirs(blocker / "out")
    assert info.value.errno == errno.ENOTDIR
    with pytest.raises(OutputError):
        with atomic_write(blocker / "out" / "pairs.jsonl", "w") as fh:
            fh.write("never written")
    assert blocker.read_text(encoding="utf-8") == next(iter(seed_texts.values()))


def test_an_unknown_mode_is_refused_before_anything_is_created(tmp_path):
    with pytest.raises(ValueError, match="mode must be one of"):
        with atomic_write(tmp_path / "x.txt", "a"):
            pass
    assert list(tmp_path.iterdir()) == []


def test_one_destination_twice_in_a_set_is_refused_and_nothing_is_installed(tmp_path, seed_texts):
    dest = tmp_path / "documents.jsonl"
    with pytest.raises(ValueError, match="already a member of this set"):
        with AtomicSet() as files:
            with files.open(dest, "w", encoding="utf-8") as fh:
                fh.write("first\n")
            with files.open(dest, "w", encoding="utf-8") as fh:
                fh.write("second\n")
    assert list(tmp_path.iterdir()) == []


def test_a_stale_path_that_cannot_be_removed_stops_the_commit(tmp_path, seed_texts):
    stale = tmp_path / "old.jsonl"
    stale.mkdir()  # a directory: unlink fails with EISDIR, not FileNotFoundError
    dest = tmp_path / "new.jsonl"
    with pytest.raises(OutputError, match="old.jsonl"):
        with AtomicSet(stale=[stale, tmp_path / "already-gone.jsonl"]) as files:
            with files.open(dest) as fh:
                fh.write(min(seed_texts).encode())
    assert stale.is_dir() and not dest.exists()
    assert not any(is_temporary(p) for p in tmp_path.iterdir())
