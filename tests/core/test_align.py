"""retold.core.align: the seed pair, embedded passages in real prose, and hypothesis properties."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from retold.core.align import AlignConfig, align, align_tokens
from retold.errors import ConfigError
from retold.models import Passage
from retold.core.normalize import tokenize_spans

from conftest import SEED_LONG, SEED_SHORT, make_doc

#: words with hyphenation, apostrophe, case and compound variants, so texts share
#: n-grams often (real matches) and normalisation matters
WORDS = ("the", "a", "of", "convoy", "US", "us", "army", "Army", "village", "Syria’s", "Syria's",
         "ceasefire", "cease-fire", "oil", "fields", "oilfields", "Press", "TV", "wrote", "on", "Friday",
         "Turkey", "troops", "return", "base", "near", "city", "local", "people", "said", "reported",
         "deal", "with", "Russia", "Idlib", "month’s", "last", "new", "military", "vehicles")
SEPARATORS = (" ", " ", " ", ", ", ". ", "\n", "\n\n", " - ", " (", ") ", "; ")


def _join(words: list[str], seps: list[str]) -> str:
    return "".join(w + s for w, s in zip(words, seps)).strip()


@st.composite
def text_pairs(draw) -> tuple[str, str]:
    """(a, b): b is made of pieces of a, some edited, dropped, moved, or with words inserted."""
    words = draw(st.lists(st.sampled_from(WORDS), min_size=5, max_size=90))
    cuts = sorted(draw(st.lists(st.integers(0, len(words)), max_size=8)))
    pieces = [words[i:j] for i, j in zip([0, *cuts], [*cuts, len(words)])]
    out: list[list[str]] = []
    for piece in pieces:
        action = draw(st.sampled_from(("keep", "keep", "edit", "drop", "insert")))
        if action == "edit":
            piece = [draw(st.sampled_from(WORDS)) if draw(st.booleans()) else w for w in piece]
        elif action == "drop":
            continue
        elif action == "insert":
            piece = draw(st.lists(st.sampled_from(WORDS), max_size=12)) + piece
        out.append(piece)
    out = draw(st.permutations(out))
    b_words = [w for piece in out for w in piece]
    seps = st.lists(st.sampled_from(SEPARATORS), min_size=90 + 70, max_size=90 + 70)
    return _join(words, draw(seps)), _join(b_words, draw(seps))


def coverage(passages: list[Passage], text: str, side: str = "b") -> float:
    """Share of ``text`` inside passages: sum of passage lengths / length of the text."""
    return sum(getattr(p, f"{side}_end") - getattr(p, f"{side}_start") for p in passages) / len(text)


def check_passages(passages: list[Passage], a: str, b: str) -> None:
    """Every passage starts and ends on token boundaries; none overlap; sorted by a."""
    ta, tb = tokenize_spans(a), tokenize_spans(b)
    for p in passages:
        assert p.a_start in set(ta.starts.tolist()) and p.a_end in set(ta.ends.tolist())
        assert p.b_start in set(tb.starts.tolist()) and p.b_end in set(tb.ends.tolist())
        assert 0 <= p.score <= 1
    for side in ("a", "b"):
        spans = sorted((getattr(p, f"{side}_start"), getattr(p, f"{side}_end")) for p in passages)
        assert all(e1 <= s2 for (_, e1), (s2, _) in zip(spans, spans[1:])), spans
    assert passages == sorted(passages, key=lambda p: p.a_start)


# -- the seed pair ------------------------------------------------------------------------


def test_seed_pair_passages_cover_the_shorter_article(seed_texts):
    long_, short = seed_texts[SEED_LONG], seed_texts[SEED_SHORT]
    passages = align(long_, short)
    check_passages(passages, long_, short)
    assert coverage(passages, short) >= 0.95


def test_seed_pair_extra_paragraphs_are_outside_every_passage(seed_texts):
    long_, short = seed_texts[SEED_LONG], seed_texts[SEED_SHORT]
    extra = long_.index("\u2018Turkey smuggling terrorists out of Syria\u2019")
    assert align(long_, short)
    assert all(p.a_end <= extra for p in align(long_, short))
    assert all(p.b_end <= extra for p in align(short, long_))


# -- real prose ---------------------------------------------------------------------------


def _edit(text: str, rate: float, seed: int) -> str:
    """Substitute, drop or double about ``rate`` of the words."""
    rng = random.Random(seed)
    out: list[str] = []
    for w in text.split(" "):
        r = rng.random()
        if r < rate / 3:
            out.append("altered")
        elif r < 2 * rate / 3:
            continue
        elif r < rate:
            out += [w, "inserted"]
        else:
            out.append(w)
    return " ".join(out)


def _token_index(text: str, offset: int) -> int:
    """Index of the token that starts at or after ``offset``."""
    return int((tokenize_spans(text).starts < offset).sum())


@pytest.mark.parametrize("rate", [0.0, 0.1, 0.25])
def test_embedded_passage_is_found_with_its_spans(prose, rate):
    source = " ".join(prose[10:12])
    copy = _edit(source, rate, seed=3)
    a = "\n\n".join([make_doc(prose, 20, 150), source, make_doc(prose, 40, 150)])
    b = "\n\n".join([make_doc(prose, 60, 200), copy, make_doc(prose, 80, 100)])
    passages = align(a, b)
    check_passages(passages, a, b)
    assert len(passages) == 1, passages
    p = passages[0]
    sa, sb = a.index(source), b.index(copy)
    for text, start, end, true_start, true_end in ((a, p.a_start, p.a_end, sa, sa + len(source)),
                                                   (b, p.b_start, p.b_end, sb, sb + len(copy))):
        assert abs(_token_index(text, start) - _token_index(text, true_start)) <= 3
        assert abs(_token_index(text, end) - _token_index(text, true_end)) <= 3
    assert p.score == pytest.approx(1.0) if rate == 0 else 0.6 < p.score < 1.0


def test_moved_paragraph_is_its_own_passage(prose):
    first, moved, last = prose[30], prose[31], " ".join(prose[32:34])
    a = "\n\n".join([first, moved, last])
    b = "\n\n".join([first, last, moved])
    passages = align(a, b)
    check_passages(passages, a, b)
    assert len(passages) == 3
    sa, sb = a.index(moved), b.index(moved)
    assert any(p.a_start == sa and p.b_start == sb and p.a_end - sa >= len(moved) - 2 for p in passages)


def test_inserted_sentence_splits_the_passage(prose):
    a = " ".join(prose[50:52])
    inserted = prose[90]
    b = " ".join([prose[50], inserted, prose[51]])
    passages = align(a, b)
    assert len(passages) == 2
    assert all(b.index(inserted) >= p.b_end or p.b_start >= b.index(inserted) + len(inserted)
               for p in passages)


def test_unrelated_texts_have_no_passages(prose):
    assert align(make_doc(prose, 0, 600), make_doc(prose, 100, 600)) == []


def test_identical_texts_are_one_passage(prose):
    text = make_doc(prose, 5, 200)
    other = text.replace(".", ";").upper()  # same tokens, other punctuation and case
    end_a, end_b = int(tokenize_spans(text).ends[-1]), int(tokenize_spans(other).ends[-1])
    assert align(text, other) == [Passage(0, end_a, 0, end_b, 1.0)]


@pytest.mark.parametrize("a,b", [("", ""), ("", "some words here"), ("just a few words", ""),
                                 ("short", "short")])
def test_empty_and_tiny_texts(a, b):
    assert align(a, b) == []


def test_align_tokens_matches_align(seed_texts):
    long_, short = seed_texts[SEED_LONG], seed_texts[SEED_SHORT]
    config = AlignConfig(extend=False)
    assert align_tokens(tokenize_spans(long_), tokenize_spans(short), config) == align(long_, short, config)


@pytest.mark.parametrize("kwargs", [dict(seed_size=0), dict(max_gap=-1), dict(max_shift=30),
                                    dict(min_score=1.5), dict(min_passage_tokens=0),
                                    dict(max_seed_occurrences=0)])
def test_bad_config_is_rejected(kwargs):
    with pytest.raises(ConfigError):
        AlignConfig(**kwargs)


# -- properties ---------------------------------------------------------------------------


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text_pairs(), st.sampled_from([AlignConfig(), AlignConfig(min_passage_tokens=3, min_score=0.0),
                                      AlignConfig(seed_size=2, max_gap=6, max_shift=2, extend=False)]))
def test_passages_are_well_formed_and_symmetric(pair, config):
    a, b = pair
    passages = align(a, b, config)
    check_passages(passages, a, b)
    assert align(b, a, config) == sorted((p.mirrored() for p in passages), key=lambda p: p.a_start)


# -- fast paths: identical results ----------------------------------------------------------

from retold.core.align_reference import _ascii_pair, _fragments, _seed_pairs  # noqa: E402
from retold.core import _align, align_reference  # noqa: E402
from retold.core.sketch import token_hashes  # noqa: E402

from conftest import edit_words  # noqa: E402

#: passages of the implementation before the fast paths (2026-11-21), which must not change:
#: (a, b, edit rate of b, edit seed, transform of b) -> passages as tuples
_GOLDEN = [
    ("long", "short", None, 0, None, [(57, 2673, 81, 2687, 0.9772)]),
    ("long", "long", 0.05, 1, None, [(0, 3246, 0, 3312, 0.9647)]),
    ("long", "long", 0.2, 2, None, [(0, 3227, 0, 3332, 0.9189)]),
    ("short", "long", 0.35, 3, None, [(81, 2687, 34, 2725, 0.8039)]),
    ("short", "short", 0.1, 4, None, [(0, 2687, 0, 2696, 0.9545)]),
    ("long", "short", 0.1, 5, "non-ascii", [(57, 2673, 81, 2747, 0.9039)]),
    ("long", "short", 0.1, 6, "reversed", [(57, 408, 2358, 2658, 0.9057), (410, 2673, 0, 2274, 0.9224)]),
]


@pytest.mark.parametrize("case", _GOLDEN, ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}-{c[4]}")
def test_passages_are_unchanged(seed_texts, case):
    name = {"long": SEED_LONG, "short": SEED_SHORT}
    a_name, b_name, rate, seed, transform, expected = case
    a, b = seed_texts[name[a_name]], seed_texts[name[b_name]]
    if rate is not None:
        b = edit_words(b, rate, seed)
    if transform == "non-ascii":
        b = b.replace("Syria", "Syr\u00efa")  # a non-ASCII word character: the general path
    elif transform == "reversed":
        b = ". ".join(b.split(". ")[::-1])
    got = [(p.a_start, p.a_end, p.b_start, p.b_end, p.score) for p in align(a, b)]
    assert got == expected
    assert align(a, b) == align_tokens(tokenize_spans(a), tokenize_spans(b))


#: characters of every class: ASCII word characters, joiners, separators, and non-ASCII
#: joiners, separators and word characters (those send the text to the general path), and a
#: combining mark (whose tokens are hashed by the reference path)
_CHARS = "ab Z9-'_ .\n\u2019\u201c\u2014\u00e9\u00df\u0301"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_CHARS, max_size=40), st.text(alphabet=_CHARS[:10] + "\u2019\u201c", max_size=40))
def test_ascii_tokens_equal_tokenize_spans(a, b):
    ta, tb = tokenize_spans(a), tokenize_spans(b)
    if a.isascii() and b.isascii():
        ha, hb, oa, ob = _ascii_pair(a, b, 0)
        assert ha.tolist() == token_hashes(ta.tokens).tolist() and hb.tolist() == token_hashes(tb.tokens).tolist()
        assert oa[0].tolist() == ta.starts.tolist() and oa[1].tolist() == ta.ends.tolist()
        assert ob[0].tolist() == tb.starts.tolist() and ob[1].tolist() == tb.ends.tolist()
    assert align(a, b) == align_tokens(ta, tb)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text_pairs(), st.sampled_from([AlignConfig(), AlignConfig(seed_size=2, max_seed_occurrences=2)]))
def test_seed_and_fragment_fast_paths_match_the_general_ones(pair, config):
    ha = token_hashes(tokenize_spans(pair[0]).tokens)
    hb = token_hashes(tokenize_spans(pair[1]).tokens)
    ia, ib, unique = _seed_pairs(ha, hb, config)
    ja, jb, _ = _seed_pairs(ha, hb, config, pack=False)
    assert sorted(zip(ia.tolist(), ib.tolist())) == sorted(zip(ja.tolist(), jb.tolist()))
    frags = _fragments(ia, ib, unique, config.seed_size)
    assert frags == _fragments(ja, jb, False, config.seed_size)
    assert align(*pair, config) == align_tokens(tokenize_spans(pair[0]), tokenize_spans(pair[1]), config)


# -- the compiled aligner and its plain-Python twin ---------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text_pairs(), st.sampled_from([AlignConfig(), AlignConfig(min_passage_tokens=3, min_score=0.0),
                                      AlignConfig(seed_size=2, max_gap=6, max_shift=2),
                                      AlignConfig(seed_size=2, max_seed_occurrences=2, extend=False)]))
def test_compiled_aligner_equals_the_reference(pair, config):
    assert align(*pair, config) == align_reference.align(*pair, config)


@pytest.mark.parametrize("rate", [0.0, 0.1, 0.3])
def test_reordered_and_repeated_passages_equal_the_reference(seed_texts, rate):
    """Moved sentences and a repeated paragraph give overlapping chains (the selection step)."""
    a = seed_texts[SEED_LONG]
    paragraphs = edit_words(a, rate, 7).split("\n")
    b = "\n".join(paragraphs[::-1] + paragraphs[:2])
    assert len(align(a, b)) > 1
    assert align(a, b) == align_reference.align(a, b)
    assert align(b, a) == align_reference.align(b, a)


_SPLIT_PAIR = """
import sys
from retold.core.align import align

a, b = sys.stdin.read().split("\\0")
print(repr([(p.a_start, p.a_end, p.b_start, p.b_end, p.score) for p in align(a, b)]))
"""


def _chains_and_selection(a: str, b: str, config: AlignConfig) -> tuple[list, list]:
    """The reference's chains of a pair (in canonical order by length) and the ones it selects."""
    ha, hb = token_hashes(tokenize_spans(a).tokens), token_hashes(tokenize_spans(b).tokens)
    x, y = (ha, hb) if len(ha) < len(hb) else (hb, ha)
    chains = align_reference._chains(_fragments(*_seed_pairs(x, y, config), config.seed_size), config)
    return chains, align_reference._select(chains, config)


def test_selection_may_return_more_chains_than_it_was_given(seed_texts):
    """Trimming splits chains, so the selection can accept more chains than the kernel found:
    here an exact copy of the middle of b (accepted first) splits the chain of a heavily
    edited copy of all of b in two. The kernel must make room for them (it once wrote past
    its buffers: a heap corruption that killed a worker at 1M documents). glibc's
    MALLOC_CHECK_=3 aborts on corruption."""
    import os
    import subprocess
    import sys

    words = seed_texts[SEED_LONG].split()
    b = " ".join(words[:80])
    a = edit_words(b, 0.3, 3) + " zzz qqq www " + " ".join(words[8:72])
    chains, selected = _chains_and_selection(a, b, AlignConfig())
    assert len(selected) > len(chains) > 1
    run = subprocess.run([sys.executable, "-c", _SPLIT_PAIR], input=f"{a}\0{b}", capture_output=True, text=True,
                         env={**os.environ, "MALLOC_CHECK_": "3"}, timeout=120)
    assert run.returncode == 0, run.stderr
    expected = [(p.a_start, p.a_end, p.b_start, p.b_end, p.score) for p in align_reference.align(a, b)]
    assert expected and run.stdout.strip() == repr(expected)


@st.composite
def chain_sets(draw) -> list[list[tuple[int, int, int]]]:
    """Monotone chains of (a0, b0, length) segments that may overlap one another on either
    side, but whose segments on one diagonal are disjoint (as the fragments of a pair are)."""
    chains = []
    for _ in range(draw(st.integers(1, 8))):
        a0, b0 = draw(st.integers(0, 120)), draw(st.integers(0, 120))
        chain = []
        for _ in range(draw(st.integers(1, 6))):
            length = draw(st.integers(1, 12))
            chain.append((a0, b0, length))
            a0 += length + draw(st.integers(0, 24))
            b0 += length + draw(st.integers(0, 24))
        chains.append(chain)
    by_diagonal: dict[int, list[tuple[int, int]]] = {}
    for a0, b0, length in (s for c in chains for s in c):
        by_diagonal.setdefault(b0 - a0, []).append((a0, a0 + length))
    for runs in by_diagonal.values():
        runs.sort()
        assume(all(prev[1] <= nxt[0] for prev, nxt in zip(runs, runs[1:])))
    return chains


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(chain_sets(), st.sampled_from([AlignConfig(), AlignConfig(min_passage_tokens=3, max_gap=6, max_shift=2)]))
def test_compiled_selection_equals_the_reference(chains, config):
    expected = align_reference._select([list(c) for c in chains], config)
    got = _align.select_chains(chains, config.max_gap, config.max_shift, config.min_chain_tokens)
    assert got == expected


@settings(max_examples=1000, deadline=None)
@given(st.one_of(st.floats(0.0, 1.0), st.integers(0, 10**5).map(lambda k: k / 10**5),
                 st.floats(allow_nan=False, allow_infinity=False)))
def test_compiled_score_rounding_equals_rounded(x):
    """Scores are rounded in the kernel as :func:`retold.core.rules.rounded` does (ties
    included: k / 10**5 hits the ties of the fifth decimal)."""
    from retold.core.rules import rounded

    assert _align.round_score(x) == rounded(x)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 3), st.integers(0, 2**64 - 1)), max_size=400), st.integers(1, 4),
       st.sampled_from([31, 2**61 - 1, 2**64 - 59]))
def test_seed_keys_are_sorted_with_their_positions(hashes, n, fold):
    """The seed keys (a polynomial of n token hashes mod 2**64) sorted, equal keys by position,
    whatever the repeats (a text repeating a phrase puts many equal keys in one bucket: the
    bucket sort's large-bucket path) and sizes."""
    import numpy as np

    h = np.array(hashes, dtype=np.uint64)
    keys, at = _align.sorted_seed_keys(h, n, fold)
    expected = []
    for i in range(len(hashes) - n + 1):
        key = 0
        for j in range(n):
            key = (key * fold + hashes[i + j]) % 2**64 if j else hashes[i]
        expected.append((key, i))
    expected.sort()
    assert list(zip(keys.tolist(), at.tolist())) == expected


def test_prepared_ascii_text_matches_the_reference_tokeniser():
    """One pass over an ASCII text gives the tokens (spans, hashes) of tokenize_spans, and
    tokens fill the room a text of single letters needs (the most it can hold)."""
    from retold.core.align import prepare

    from retold.core.sketch import ascii_token_hashes

    long_text = " ".join(f"w{i % 997} it's" for i in range(12000))  # over ROOM_EXACT: counted first
    texts = ("a b c d e f", "a", "", "  ", "x" * 7, "It's a U.S.-made, well-known 'thing'... 42 times!", long_text)
    for text in texts:
        tokens = tokenize_spans(text)
        p = prepare(text)
        assert p.starts.tolist() == list(tokens.starts) and p.ends.tolist() == list(tokens.ends)
        assert p.hashes.tolist() == token_hashes(tokens.tokens, 0).tolist()
    hashes, counts = ascii_token_hashes(list(texts), 0)  # the sketches' batch form, long text included
    assert counts.tolist() == [len(tokenize_spans(t).tokens) for t in texts]
    assert hashes.tolist() == [h for t in texts for h in prepare(t).hashes.tolist()]
