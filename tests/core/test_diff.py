"""retold.core.diff: the seed pair's changes, moves, rendering, and the tiling property."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from retold.cli.render import render_diff
from retold.core.diff import DiffOp, DiffOptions, diff, diff_to_json, diff_tokens
from retold.errors import ConfigError

from conftest import SEED_LONG, SEED_SHORT, make_doc
from test_align import text_pairs

HYPHENATION = DiffOptions(ignore_hyphenation=True)


def changes(ops: list[DiffOp]) -> list[tuple[str, str, str]]:
    return [(op.op, op.a_text, op.b_text) for op in ops if op.op != "equal"]


def check_tiling(ops: list[DiffOp], a: str, b: str, options: DiffOptions) -> None:
    """Each token of a is in exactly one equal/replace/delete/move a-side; same for b."""
    for text, side, tags in ((a, "a", ("equal", "replace", "delete", "move")),
                             (b, "b", ("equal", "replace", "insert", "move"))):
        covered: list[tuple[int, int]] = []
        for op in ops:
            start, end = getattr(op, f"{side}_start"), getattr(op, f"{side}_end")
            assert getattr(op, f"{side}_text") == text[start:end]
            spans = [t for t in diff_tokens(text, options) if start <= t[0] and t[1] <= end]
            assert bool(spans) == (op.op in tags), op
            covered += spans
        assert sorted(covered) == diff_tokens(text, options)


# -- the seed pair ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeds(seed_texts) -> tuple[str, str]:
    return seed_texts[SEED_LONG], seed_texts[SEED_SHORT]


def test_seed_attribution_is_an_insert(seeds):
    inserts = [op for op in diff(*seeds) if op.op == "insert"]
    assert any("Press TV wrote on Friday" in op.b_text for op in inserts)
    assert all(op.a_start == op.a_end for op in inserts)


def test_seed_hyphenation_is_a_change_unless_ignored(seeds):
    found = changes(diff(*seeds))
    assert found.count(("replace", "ceasefire", "cease-fire")) == 2
    assert ("replace", "oil fields", "oilfields") in found
    relaxed = diff(*seeds, HYPHENATION)
    assert not [c for c in changes(relaxed) if "fire" in c[1] + c[2] or "fields" in c[1] + c[2]]
    equal_b = " ".join(op.b_text for op in relaxed if op.op == "equal")
    assert "oilfields" in equal_b and "cease-fire deal that Ankara" in equal_b


def test_seed_extra_paragraphs_are_deleted(seeds):
    long_, short = seeds
    extra = long_.index("\u2018Turkey smuggling")
    ops = diff(long_, short)
    deleted = [op for op in ops if op.op == "delete" and op.a_end > extra]
    assert deleted and all(op.b_start == op.b_end for op in deleted)
    assert deleted[0].a_start <= extra + 1 and deleted[-1].a_end == len(long_.rstrip(".\n"))
    assert all(op.a_end <= extra for op in ops if op.op != "delete")


def test_seed_moved_phrase(seeds):
    moves = [op for op in diff(*seeds) if op.op == "move"]
    assert [(m.a_text, m.b_text) for m in moves] == [("in northeastern province of Hasakah",) * 2]


@pytest.mark.parametrize("options", [DiffOptions(), HYPHENATION,
                                     DiffOptions(ignore_case=False, ignore_punctuation=False)])
def test_seed_ops_tile_both_texts(seeds, options):
    check_tiling(diff(*seeds, options), *seeds, options)


# -- behaviour ----------------------------------------------------------------------------


def test_moved_sentence_is_one_move_op():
    s1, s2, s3 = "The convoy left at dawn.", "Locals blocked the road near the village.", "Officials said nothing."
    ops = diff(" ".join([s1, s2, s3]), " ".join([s1, s3, s2]))
    # the longer sentence stays in place (the LCS); the shorter one moved in front of it
    assert [op.op for op in ops] == ["equal", "equal", "move"]
    assert (ops[2].a_text, ops[2].b_text) == ("Officials said nothing",) * 2
    assert ops[2].b_end < ops[1].b_start


def test_long_documents_are_cut_at_anchors_and_every_edit_is_found(prose):
    a = make_doc(prose, 0, 3000)  # large enough for the patience anchors
    words = a.split(" ")
    b = " ".join("zzyzx" if k % 50 == 25 else w for k, w in enumerate(words))
    ops = diff(a, b)
    check_tiling(ops, a, b, DiffOptions())
    assert {op.b_text for op in ops if op.op != "equal"} == {"zzyzx"}
    assert sum(op.op == "replace" for op in ops) >= 0.95 * (len(words) // 50)


def test_options_change_what_counts():
    a, b = "The Army's cease-fire held, mostly.", "the army’s ceasefire held mostly"
    assert changes(diff(a, b)) == [("replace", "cease-fire", "ceasefire")]
    assert changes(diff(a, b, HYPHENATION)) == []
    strict = changes(diff(a, b, DiffOptions(ignore_case=False, ignore_punctuation=False)))
    assert ("replace", "The Army's cease-fire", "the army’s ceasefire") in strict
    assert ("delete", ",", "") in strict and ("delete", ".", "") in strict


def test_identical_and_empty_texts():
    assert [op.op for op in diff("same words here", "Same words, here")] == ["equal"]
    assert diff("", "") == []
    assert diff("", "new words") == [DiffOp("insert", 0, 0, 0, 9, "", "new words")]
    assert diff("old words", "") == [DiffOp("delete", 0, 9, 0, 0, "old words", "")]


def test_diff_to_json():
    ops = diff("a b c", "a x c")
    assert diff_to_json(ops)[1] == {"op": "replace", "a_start": 2, "a_end": 3, "b_start": 2, "b_end": 3,
                                    "a_text": "b", "b_text": "x"}


def test_bad_options_are_rejected():
    with pytest.raises(ConfigError):
        DiffOptions(min_move_tokens=1)


# -- rendering ----------------------------------------------------------------------------


def render(a: str, b: str, **kwargs) -> str:
    console = Console(record=True, width=100, color_system=None, soft_wrap=True)
    render_diff(diff(a, b), a, b, console, **kwargs)
    return console.export_text()


def test_render_summarises_and_marks_changes(seeds):
    out = render(*seeds, context_words=4)
    assert "ceasefire -> cease-fire" in out
    assert "+Press TV wrote on Friday" in out
    assert "-Turkey smuggling terrorists" in out
    assert "moved: in northeastern province of Hasakah" in out
    assert "words unchanged" in out


def test_render_prints_markup_literally():
    a = "keep [bold]these[/bold] words and [red]this[/] :smile: too and more words after"
    b = "keep [bold]those[/bold] words and [red]this[/] :smile: too and more words after [i]added[/i] text"
    out = render(a, b)
    assert "[bold these -> those bold]" in out
    assert "[red]this[/] :smile:" in out and "+i]added[/i] text" in out


def test_render_identical():
    assert "(no differences)" in render("same text", "same text")


# -- properties ---------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text_pairs(), st.builds(DiffOptions, st.booleans(), st.booleans(), st.booleans(), st.integers(2, 4)))
def test_ops_tile_both_texts(pair, options):
    a, b = pair
    ops = diff(a, b, options)
    check_tiling(ops, a, b, options)
    assert all(op.op in ("equal", "replace", "insert", "delete", "move") for op in ops)
    assert [op.a_start for op in ops] == sorted(op.a_start for op in ops)
