"""sketch.py: the NumPy batch fast path equals the pure-Python reference, on any text."""

from __future__ import annotations

import re
import unicodedata
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from retold.core import sketch as S
from retold.core import sketch_reference as R
from retold.config import MinHashConfig, ShingleConfig
from retold.core.normalize import JOINERS, TOKEN_RE, tokenize, tokenize_spans

SMALL = ShingleConfig(size=2, min_tokens=2)
MH = MinHashConfig(num_perm=16, bands=4, seed=3)

#: characters that exercise every branch: ASCII words/joiners/punctuation, CRLF, curly
#: quotes, ligatures, sharp s, Turkish dotted/dotless i, combining marks, Hangul syllables
#: and conjoining jamo, fullwidth and superscript digits, other scripts, emoji, surrogates
_TRICKY = (
    "aZ09 -'_.,;\r\n\t\u00a0"
    "\u2018\u2019\u201c\u201d\u02bc\u2032\u2010\u2011\u2012\u00ad"
    "\ufb01\ufb02\u00df\u1e9e\u0130\u0131iI\u00e9e\u0301\u0308\u0327\u00c5\u212b\u2126"
    "\uac00\u1100\u1161\u11a8\u3131"
    "\uff21\uff41\uff10\u00b2\u2460\u0661\u0969"
    "\u03a3\u03c3\u03c2\u0410\u044f\u05d0\u0627\u0e01\u4e2d\u3042\u30a2"
    "\U0001f600\U0001d400\U00010400\ud800"
)
texts_st = st.one_of(
    st.text(alphabet=_TRICKY, max_size=120),
    st.text(max_size=80),
    st.lists(st.sampled_from(["Straße", "ﬁnal", "İstanbul", "cease-fire", "don’t", "naïve", "ʼokina",
                              "e\u0301t\u00e9", "\u1100\u1161\u11a8", "O'Neil", "--", "x", "WORD", "😀"]),
             max_size=30).map(" ".join),
)


def _expected(text: str, shingle: ShingleConfig) -> tuple[np.ndarray, int]:
    ref, n = R.shingle_set_reference(text, shingle)
    return (S.EMPTY if n < shingle.min_tokens else ref), n


def _check_batch(texts: list[str], shingle: ShingleConfig = SMALL, mh: MinHashConfig = MH) -> None:
    batch = S.sketch_texts(texts, shingle, mh)
    assert len(batch) == len(texts)
    assert batch.offsets[0] == 0 and batch.offsets[-1] == len(batch.shingles)
    for i, text in enumerate(texts):
        ref, n = _expected(text, shingle)
        assert batch.tokens[i] == n == len(tokenize(text))
        assert np.array_equal(batch.shingles_of(i), ref), text
        assert np.array_equal(batch.signatures[i], R.minhash_reference(ref.tolist(), mh)), text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(texts_st, min_size=1, max_size=6))
def test_batch_equals_reference(texts: list[str]) -> None:
    _check_batch(texts)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(texts_st, min_size=1, max_size=5), st.integers(0, 2**63 - 1), st.sampled_from([1, 7, 1 << 18]))
def test_unicode_tokens_equal_tokenize_spans(texts: list[str], seed: int, chars: int) -> None:
    """The vectorised tokens (the aligner's path for non-ASCII texts): hashes and spans,
    the texts also taken a few code points at a time (long ones cut at white space)."""
    with patch.object(S, "UNICODE_CHARS", chars):
        hashes, ntok, starts, ends = S.unicode_tokens(texts, seed)
    at = 0
    for text, n in zip(texts, ntok.tolist()):
        ref = tokenize_spans(text)
        assert n == len(ref)
        assert hashes[at: at + n].tolist() == S.token_hashes(ref.tokens, seed).tolist()
        assert starts[at: at + n].tolist() == ref.starts.tolist() and ends[at: at + n].tolist() == ref.ends.tolist()
        at += n
    assert at == len(hashes) == len(starts) == len(ends)


@settings(max_examples=200, deadline=None)
@given(texts_st)
def test_shingle_set_equals_reference(text: str) -> None:
    for cfg in (SMALL, ShingleConfig()):
        got, n = S.shingle_set(text, cfg)
        ref, m = R.shingle_set_reference(text, cfg)
        assert n == m and np.array_equal(got, ref)
        assert got.dtype == np.uint64 and np.all(got[1:] > got[:-1])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=12), max_size=20), st.integers(0, 2**63 - 1))
def test_token_hashes_equal_reference(tokens: list[str], seed: int) -> None:
    got = S.token_hashes(tokens, seed)
    assert got.dtype == np.uint64
    assert got.tolist() == [R.token_hash_reference(t, seed) for t in tokens]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), max_size=300, unique=True), st.sampled_from([1, 7, 16, 128]))
def test_minhash_equals_reference(values: list[int], k: int) -> None:
    cfg = MinHashConfig(num_perm=k, bands=1, seed=5)
    s = np.asarray(sorted(values), dtype=np.uint64)
    got = S.minhash(s, cfg)
    assert got.shape == (k,) and got.dtype == np.uint64
    assert np.array_equal(got, R.minhash_reference(values, cfg))


def test_pinned_values() -> None:
    """The hash definition is part of the index format: these numbers must never change."""
    assert R.token_hash_reference("retold", 0) == 11547835688869949159
    assert R.token_hash_reference("", 0) == 5197578548964807871
    assert R.token_hash_reference("straße", 7) == 15526826871389839414
    text = ("The quick brown fox jumps over the lazy dog, twice: the quick brown fox jumps over "
            "the lazy dog again and again and again.")
    b = S.sketch_texts([text], ShingleConfig(size=3, min_tokens=3), MinHashConfig(num_perm=8, bands=2))
    assert b.shingles.tolist()[:3] == [323562055090002021, 1914287780089848649, 2012344689406209073]
    assert b.signatures.tolist() == [[494033511375591030, 2860569406653669507, 5712421751498727062,
                                      7336330880617458540, 10708266101236015594, 13744902735893468267,
                                      14464894317691513951, 16187303130974257496]]


def test_normalisation_variants_hash_alike() -> None:
    a = S.sketch_texts(["The CEASE-FIRE in the month’s oil fields held"], SMALL, MH)
    b = S.sketch_texts(["the ceasefire in the month's oil fields held"], SMALL, MH)
    assert np.array_equal(a.shingles, b.shingles) and np.array_equal(a.signatures, b.signatures)
    assert S.token_hashes(["ﬁnal"]) .tolist() != S.token_hashes(["final"]).tolist()  # tokens as given
    assert S.shingle_set("ﬁnal straße", ShingleConfig(size=1, min_tokens=1))[0].tolist() == \
        S.shingle_set("FINAL STRASSE", ShingleConfig(size=1, min_tokens=1))[0].tolist()


def test_too_short_empty_and_mixed_batches() -> None:
    long_ascii = "word " * 30
    long_uni = "wört ß " * 15
    texts = ["", "too short", long_ascii, long_uni, "\r\n", long_ascii + long_uni, "x"]
    b = S.sketch_texts(texts, ShingleConfig(), MinHashConfig())
    assert b.tokens.tolist() == [len(tokenize(t)) for t in texts]
    for i in (0, 1, 4, 6):
        assert len(b.shingles_of(i)) == 0
        assert np.all(b.signatures[i] == np.iinfo(np.uint64).max)
    _check_batch(texts, ShingleConfig(), MinHashConfig())
    assert len(S.sketch_texts([], ShingleConfig(), MinHashConfig())) == 0


def test_chunking_and_long_documents_match(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [f"doc {i} " + " ".join(f"w{(i * 7 + j) % 50}" for j in range(40 + i)) for i in range(30)]
    texts += ["Ünïcode wörds " * 20, "a" * 5000 + " b c d e f"]
    whole = S.sketch_texts(texts, SMALL, MH)
    monkeypatch.setattr(S, "_CHUNK_CHARS", 200)
    small = S.sketch_texts(texts, SMALL, MH)
    for f in ("shingles", "offsets", "tokens", "signatures"):
        assert np.array_equal(getattr(whole, f), getattr(small, f))
    _check_batch(texts)


def test_fallback_for_composing_characters() -> None:
    """Conjoining jamo compose under NFKC across characters: those documents take the
    reference path, and the result is still exact."""
    before = S.STATS.fallback_docs
    texts = ["\u1100\u1161\u11a8 " * 10 + "plain words here", "plain ascii words only here"]
    _check_batch(texts)
    assert S.STATS.fallback_docs >= before + 1


def test_character_classes_match_token_regex() -> None:
    """The class of every code point equals what TOKEN_RE makes of it."""
    word = re.compile(r"[^\W_]")
    for c in range(0x110000):
        ch = chr(c)
        expected = S._WORD if word.match(ch) else (S._JOIN if ch in JOINERS else S._SEP)
        got = int(S._ASCII_CLS[c]) if c < 128 else S._CharInfo._compute(c)[0]
        assert got == expected, hex(c)
    for c in range(128):  # the ASCII translate table agrees with TOKEN_RE + normalisation
        ch = chr(c)
        toks = TOKEN_RE.findall(f"a{ch}b")
        assert (toks == ["a" + ch + "b"]) == (S.ASCII_NORMAL[c] != 32 or ch in JOINERS)


def test_decomposition_table_bound() -> None:
    for c in range(S._DECOMPOSABLE_BELOW, 0x110000):
        d = unicodedata.decomposition(chr(c))
        assert not d or d.startswith("<"), hex(c)


def test_stored_composition_seconds_equal_the_computed_ones() -> None:
    """The characters a composition can end with, as the tokeniser loads them for this
    Python's Unicode version (stored when known), are those unicodedata gives."""
    assert S._composition_seconds() == S._computed_composition_seconds()
    assert "\u0301" in S._composition_seconds() and "a" not in S._composition_seconds()


def test_deterministic_across_batching() -> None:
    texts = [("alpha beta gamma delta epsilon " * (i % 5 + 4)) + f"tail{i}" for i in range(50)]
    one = S.sketch_texts(texts, ShingleConfig(), MinHashConfig())
    for i, t in enumerate(texts):
        single = S.sketch_texts([t], ShingleConfig(), MinHashConfig())
        assert np.array_equal(single.shingles, one.shingles_of(i))
        assert np.array_equal(single.signatures[0], one.signatures[i])
        assert np.array_equal(S.minhash(one.shingles_of(i), MinHashConfig()), one.signatures[i])


def test_signature_estimates_jaccard() -> None:
    rng = np.random.default_rng(0)
    base = rng.integers(0, 2**63, size=2000, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    a = np.unique(base[:1500])
    b = np.unique(base[500:])
    true = 1000 / 2000
    cfg = MinHashConfig(num_perm=512, bands=8)
    est = float((S.minhash(a, cfg) == S.minhash(b, cfg)).mean())
    assert abs(est - true) < 0.08
    assert np.array_equal(S.minhash(a, cfg), S.minhash(a.copy(), cfg))
    small = np.unique(base[:10])  # fewer shingles than slots: later rounds fill every slot
    sig = S.minhash(small, cfg)
    assert np.all(sig != np.iinfo(np.uint64).max)
    assert np.all(S.minhash(np.unique(base[:1]), cfg) != np.iinfo(np.uint64).max)


def test_token_hashes_long_input_path(monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = ["alpha", "", "straße", "x" * 40, "ﬁ", "😀ok"]
    monkeypatch.setattr(S, "_PREFIX_MAX", 5)
    assert S.token_hashes(tokens, 9).tolist() == [R.token_hash_reference(t, 9) for t in tokens]
