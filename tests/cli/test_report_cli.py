"""retold report: progress while it works, and the number of diffed pairs chosen by the user."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from retold.cli import main

from conftest import SEEDS


def _page_data(html: str) -> dict:
    block = re.search(r'<script type="application/json" id="retold-data">(.*?)</script>', html, re.S)
    assert block is not None
    return json.loads(block.group(1).replace("\\u003c", "<"))


def test_report_shows_its_stages_and_takes_a_diff_limit(tmp_path, monkeypatch):
    monkeypatch.chdir(SEEDS.parents[1])
    runner = CliRunner()
    assert runner.invoke(main, ["scan", str(SEEDS), "--out", str(tmp_path / "r"), "-q", "--workers", "1"]).exit_code == 0
    res = runner.invoke(main, ["report", str(tmp_path / "r"), "-o", str(tmp_path / "a.html"), "--diff-limit", "0"])
    assert res.exit_code == 0, res.output
    assert "reading texts" in res.output and "writing report" in res.output  # progress, stage by stage
    assert _page_data((tmp_path / "a.html").read_text(encoding="utf-8"))["diffed"] == 0
    res = runner.invoke(main, ["report", str(tmp_path / "r"), "-o", str(tmp_path / "b.html"), "-q"])
    assert res.exit_code == 0 and "reading texts" not in res.output
    assert _page_data((tmp_path / "b.html").read_text(encoding="utf-8"))["diffed"] == 1
