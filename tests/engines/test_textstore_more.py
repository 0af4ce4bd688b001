"""Spill directories (retold.engines.local.textstore.SpillDir) when things go wrong: a
base directory that does not exist, and a reaper process that was killed."""

from __future__ import annotations

import os

import pytest

from retold.engines.local import textstore
from retold.engines.local.textstore import SpillDir


def test_a_missing_base_directory_is_an_error_and_leaves_nothing(tmp_path):
    missing = tmp_path / "no" / "such" / "dir"
    with pytest.raises(FileNotFoundError):
        SpillDir(str(missing))
    assert not (tmp_path / "no").exists()
    with SpillDir(str(tmp_path)) as spill:  # the same process still makes spill directories
        assert os.path.dirname(spill.path) == str(tmp_path)
        name, at = spill.append("texts", b"still works")
        assert spill.read(name, at, 11) == b"still works"
    assert list(tmp_path.iterdir()) == []


def test_a_killed_reaper_is_replaced_and_spill_directories_still_go(tmp_path):
    with SpillDir(str(tmp_path)):
        pass  # the reaper of this process is running now
    _, _, old = textstore._REAPER
    old.kill()
    old.wait()
    # writing to the dead reaper fails once: the directory is still made and removed
    with SpillDir(str(tmp_path)) as spill:
        name, at = spill.append("texts", b"after the reaper died")
        assert spill.read(name, at, 5) == b"after"
    assert list(tmp_path.iterdir()) == []
    with SpillDir(str(tmp_path)):
        new = textstore._REAPER[2]
        assert new.pid != old.pid and new.poll() is None, "a new reaper runs"
    assert list(tmp_path.iterdir()) == []
