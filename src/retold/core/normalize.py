"""Tokenisation for matching, with every token's span in the ORIGINAL text.

A token is a run of letters/digits, possibly joined by hyphens or apostrophes
(``cease-fire``, ``month’s``). Its *normalised* form, used for matching only, is
NFKC + casefold with the joiners removed, so ``cease-fire``/``ceasefire``/``Cease‑Fire``
and ``month's``/``month’s`` all match. Punctuation between tokens is ignored.

Both entry points use the same regular expression on the original text, so
``tokenize(t) == tokenize_spans(t).tokens`` always holds (tested with hypothesis) and
offsets are always into the unmodified text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

#: characters that join two word parts into one token and are dropped when normalising:
#: ASCII hyphen, Unicode hyphen, non-breaking hyphen, figure dash, soft hyphen,
#: ASCII apostrophe, right single quote, modifier letter apostrophe, prime.
JOINERS = "-\u2010\u2011\u2012\u00ad'\u2019\u02bc\u2032"
_J = re.escape(JOINERS)
TOKEN_RE = re.compile(rf"[^\W_]+(?:[{_J}]+[^\W_]+)*")
_STRIP_JOINERS = str.maketrans("", "", JOINERS)


def normalize_token(token: str) -> str:
    """The matching form of one token: NFKC, casefold, joiners removed."""
    if token.isascii():
        return token.lower().translate(_STRIP_JOINERS)
    return unicodedata.normalize("NFKC", token).casefold().translate(_STRIP_JOINERS)


def tokenize(text: str) -> list[str]:
    """Normalised tokens of ``text`` (fast path: no offsets)."""
    if text.isascii():
        # lower() keeps ASCII lengths and token boundaries, so this equals the slow path.
        toks = TOKEN_RE.findall(text.lower())
        return [t.translate(_STRIP_JOINERS) if ("-" in t or "'" in t) else t for t in toks]
    return [normalize_token(t) for t in TOKEN_RE.findall(text)]


@dataclass(frozen=True, slots=True)
class Tokens:
    """Normalised tokens with their ``[start, end)`` character spans in the original text."""

    tokens: list[str]
    starts: np.ndarray  # int64
    ends: np.ndarray  # int64

    def __len__(self) -> int:
        return len(self.tokens)


def tokenize_spans(text: str) -> Tokens:
    """Normalised tokens plus their spans: ``text[starts[i]:ends[i]]`` is token i as written."""
    toks: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for m in TOKEN_RE.finditer(text):
        toks.append(normalize_token(m.group()))
        starts.append(m.start())
        ends.append(m.end())
    return Tokens(toks, np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64))


# -- ASCII fast path: token spans without a Python loop over tokens ---------------------


def _class_table() -> bytes:
    """bytes.translate table: the class of each ASCII character in TOKEN_RE, as a byte:
    0 separator, 1 word character ``[^\\W_]``, 2 joiner (bytes >= 128 never occur)."""
    table = bytearray(256)
    for c in range(128):
        if TOKEN_RE.fullmatch(chr(c)):
            table[c] = 1
        elif chr(c) in JOINERS:
            table[c] = 2
    return bytes(table)


_CLASS_TABLE = _class_table()


def ascii_spans(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Token spans of an ASCII text (= those of ``TOKEN_RE.finditer``).

    A token runs from a word character to the last word character reachable through
    word characters and joiners only; so with the joiners left out, tokens are exactly
    the runs of word characters.
    """
    buf = b"\0" + text.encode("ascii").translate(_CLASS_TABLE) + b"\0"  # padded: 0 = separator
    cls = np.frombuffer(buf, dtype=np.uint8)
    if b"\2" in buf:
        pos = np.flatnonzero(cls != 2)
        cls = cls[pos]
    else:
        pos = None
    edges = np.flatnonzero(cls[1:] != cls[:-1])  # alternately: last before a token, last of it
    first, last = edges[0::2] + 1, edges[1::2]
    if pos is None:
        return first - 1, last  # - 1: the padding
    return pos[first] - 1, pos[last]
