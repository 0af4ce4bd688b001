"""Shared fixtures: the real seed articles and real prose from Python's own docstrings."""

from __future__ import annotations

import inspect
import os
import random
import re
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs every property test with derandomized examples (the same on every run);
# locally hypothesis explores new ones.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "examples" / "news"
SEED_LONG = "000_d34c51ab5dc29095.txt"  # has three extra paragraphs
SEED_SHORT = "001_20fc0c5beaae6e28.txt"  # rewritten: oilfields, cease-fire, Press TV attribution

_MODULES = ("argparse", "asyncio", "collections", "csv", "datetime", "decimal", "email", "fractions",
            "functools", "http.client", "inspect", "json", "logging", "pathlib", "pickle", "random",
            "shutil", "socket", "sqlite3", "statistics", "subprocess", "tarfile", "textwrap", "threading",
            "typing", "unittest", "urllib.request", "uuid", "zipfile")


@pytest.fixture(scope="session")
def seed_texts() -> dict[str, str]:
    return {p.name: p.read_bytes().decode("utf-8") for p in sorted(SEEDS.glob("*.txt"))}


def _prose_paragraphs() -> list[str]:
    """Paragraphs of which no two share a word 5-gram (so unrelated really means unrelated)."""
    import importlib

    from retold.core.sketch import shingle_set

    seen: set[int] = set()
    paras: list[str] = []
    for name in _MODULES:
        mod = importlib.import_module(name)
        for _, obj in sorted(vars(mod).items()):
            doc = inspect.getdoc(obj) if (inspect.isfunction(obj) or inspect.isclass(obj)) else None
            if not doc:
                continue
            for para in re.split(r"\n\s*\n", doc):
                words = para.split()
                text = " ".join(words)
                if len(words) < 25 or ">>>" in text:
                    continue
                shingles = set(shingle_set(text)[0].tolist())
                if not shingles & seen:
                    seen |= shingles
                    paras.append(text)
    return paras


@pytest.fixture(scope="session")
def prose() -> list[str]:
    """Distinct real paragraphs (>= 25 words) from the stdlib's docstrings, in a fixed order."""
    paras = _prose_paragraphs()
    assert len(paras) > 150, len(paras)
    return paras


def make_doc(paragraphs: list[str], start: int, words: int) -> str:
    """A document of about ``words`` words made of consecutive paragraphs from ``start``."""
    out: list[str] = []
    n = 0
    i = start
    while n < words:
        out.append(paragraphs[i % len(paragraphs)])
        n += len(out[-1].split())
        i += 1
    return "\n\n".join(out)


def edit_words(text: str, rate: float, seed: int) -> str:
    """Substitute/insert/delete about ``rate`` of the words (a realistic light rewrite)."""
    rng = random.Random(seed)
    out: list[str] = []
    for w in text.split(" "):
        r = rng.random()
        if r < rate / 3:
            out.append(w.upper() if rng.random() < 0.5 else "tweaked")
        elif r < 2 * rate / 3:
            out.extend([w, "indeed"])
        elif r < rate:
            continue
        else:
            out.append(w)
    return " ".join(out)
