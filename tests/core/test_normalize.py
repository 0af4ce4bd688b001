"""Tokenisation: normalised forms for matching, spans into the original text."""

from __future__ import annotations

from hypothesis import given, strategies as st

from retold.core.normalize import normalize_token, tokenize, tokenize_spans

from conftest import SEED_LONG, SEED_SHORT


def test_variants_match():
    assert tokenize("Cease-fire") == tokenize("ceasefire") == tokenize("CEASE\u2011FIRE") == ["ceasefire"]
    assert tokenize("month’s") == tokenize("month's") == ["months"]
    assert tokenize("“de-escalation zones”.") == ["deescalation", "zones"]
    assert tokenize("ﬁre Straße") == ["fire", "strasse"]  # NFKC + casefold
    assert tokenize("snake_case and -dash- ") == ["snake", "case", "and", "dash"]


def test_seed_spans_slice_original(seed_texts):
    for name in (SEED_LONG, SEED_SHORT):
        text = seed_texts[name]
        toks = tokenize_spans(text)
        assert toks.tokens == tokenize(text)
        for t, s, e in zip(toks.tokens, toks.starts, toks.ends):
            assert normalize_token(text[s:e]) == t


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_fast_path_equals_span_path(text):
    spans = tokenize_spans(text)
    assert spans.tokens == tokenize(text)
    assert all(0 <= s < e <= len(text) for s, e in zip(spans.starts, spans.ends))
    assert list(spans.starts) == sorted(spans.starts)
    for t, s, e in zip(spans.tokens, spans.starts, spans.ends):
        assert normalize_token(text[s:e]) == t


@given(st.text(alphabet="abc XYZ-'’.,\n", max_size=120))
def test_ascii_and_unicode_paths_agree(text):
    # the same text with one non-ASCII char appended takes the slow path for the prefix too
    assert tokenize(text + " é")[: len(tokenize(text))] == tokenize(text)
