"""Real English prose available offline, as a list of sentences, for bench/corpus.py.

Sources (nothing is committed; everything is cached under bench/data/, which is gitignored):

- ``lee``: the Lee news corpus (Australian news stories) shipped as test data inside the
  gensim wheel (``gensim/test/test_data/lee_background.cor`` and ``lee.cor``). The wheel
  is fetched once with ``pip download gensim==<pinned> --no-deps`` (gensim is never
  installed; the files are read straight from the zip).
- ``enwiki``: the shortened English Wikipedia dump in the same wheel
  (``enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2``), with the
  wiki markup stripped by the small cleaner below; lists, tables, headings and
  references are dropped, only running prose is kept.
- ``pydoc``: Python's own documentation, offline: the reference topics of
  ``pydoc_data.topics`` plus the docstrings of the stdlib sources (read with ``ast``,
  nothing is imported, so no module side effects).

Every source is split into sentences; code-like, list-like or very short/long sentences
are dropped and every distinct sentence is kept once (the sources do repeat themselves,
e.g. docstrings inherited in several modules).
"""

from __future__ import annotations

import ast
import bz2
import hashlib
import html
import io
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
import xml.etree.ElementTree as ET
from pathlib import Path

GENSIM_VERSION = "4.4.0"
DATA_DIR = Path(__file__).resolve().parent / "data"
PROSE_VERSION = 1

_LEE_FILES = ("gensim/test/test_data/lee_background.cor", "gensim/test/test_data/lee.cor")
_ENWIKI = "gensim/test/test_data/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"


# --------------------------------------------------------------------------- gensim wheel

def gensim_wheel(data_dir: Path = DATA_DIR) -> Path:
    """The pinned gensim wheel in ``data_dir``, downloaded with pip if it is missing."""
    data_dir.mkdir(parents=True, exist_ok=True)
    found = sorted(data_dir.glob(f"gensim-{GENSIM_VERSION}-*.whl"))
    if not found:
        cmd = [sys.executable, "-m", "pip", "download", f"gensim=={GENSIM_VERSION}",
               "--no-deps", "--only-binary=:all:", "-d", str(data_dir), "-q"]
        subprocess.run(cmd, check=True)
        found = sorted(data_dir.glob(f"gensim-{GENSIM_VERSION}-*.whl"))
        if not found:  # pragma: no cover - pip would have failed
            raise RuntimeError(f"pip did not leave a gensim {GENSIM_VERSION} wheel in {data_dir}")
    return found[0]


# --------------------------------------------------------------------------- sentences

_SENT_SPLIT = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z])")
_ABBREV = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Prof|Gen|Col|Lt|Sgt|Capt|Gov|Sen|Rep|Rev|Inc|Ltd|Co|Corp|"
    r"vs|etc|e\.g|i\.e|cf|al|No|Vol|pp|Fig|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|"
    r"U\.S|U\.K|[A-Z])\.$"
)
_WORD_OK = re.compile(r"^[\"'(]?[A-Za-z][A-Za-z'\-]*[A-Za-z]?[.,;:!?\"')]*$|^[0-9][0-9,.%]*[.,;:]?$|^[-\u2013]$")


def split_sentences(text: str) -> list[str]:
    """Split running text into sentences (simple rules, good enough for news/wiki/docs)."""
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        return []
    parts = _SENT_SPLIT.split(text)
    out: list[str] = []
    buf = ""
    for p in parts:
        buf = f"{buf} {p}" if buf else p
        last = buf.rsplit(" ", 1)[-1]
        if _ABBREV.search(last):
            continue  # "Mr. Smith": not a sentence end
        out.append(buf)
        buf = ""
    if buf:
        out.append(buf)
    return out


def keep_sentence(s: str) -> bool:
    """Plain prose only: 6..45 words, starts with a capital, ends with . ! or ?, and
    (nearly) every word is a plain word or number, which drops code, markup and lists."""
    words = s.split()
    if not 6 <= len(words) <= 45:
        return False
    if not words[0][:1].isupper() or s[-1] not in ".!?":
        return False
    bad = sum(1 for w in words if not _WORD_OK.match(w))
    return bad <= len(words) // 12


# --------------------------------------------------------------------------- sources

def lee_text(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as z:
        return "\n".join(z.read(name).decode("utf-8", "replace") for name in _LEE_FILES)


def _strip_nested(text: str, open_: str, close: str) -> str:
    """Remove balanced ``open_ ... close`` spans (wiki templates/tables nest)."""
    out = []
    depth = 0
    i = 0
    n = len(text)
    lo, lc = len(open_), len(close)
    while i < n:
        if text.startswith(open_, i):
            depth += 1
            i += lo
        elif depth and text.startswith(close, i):
            depth -= 1
            i += lc
        else:
            if not depth:
                out.append(text[i])
            i += 1
    return "".join(out)


_WIKI_SUBS = [
    (re.compile(r"<!--.*?-->", re.S), " "),
    (re.compile(r"<ref[^>]*/>", re.S), " "),
    (re.compile(r"<ref[^>]*>.*?</ref>", re.S), " "),
    (re.compile(r"<(math|gallery|timeline|code|source|pre|syntaxhighlight)[^>]*>.*?</\1>", re.S), " "),
    (re.compile(r"<[^>]+>"), " "),
    (re.compile(r"\[\[(?:File|Image|Category|Media|[a-z\-]{2,12}):[^\[\]]*(?:\[\[[^\]]*\]\][^\[\]]*)*\]\]", re.I), " "),
    (re.compile(r"\[\[[^\]|]*\|([^\]]*)\]\]"), r"\1"),
    (re.compile(r"\[\[([^\]]*)\]\]"), r"\1"),
    (re.compile(r"\[https?://[^\s\]]+ ([^\]]*)\]"), r"\1"),
    (re.compile(r"\[https?://[^\]]*\]"), " "),
    (re.compile(r"'{2,}"), ""),
    (re.compile(r"&nbsp;"), " "),
]


def clean_wiki(markup: str) -> list[str]:
    """Paragraphs of running prose from one article's wiki markup."""
    text = html.unescape(markup)
    for rx, rep in _WIKI_SUBS[:5]:
        text = rx.sub(rep, text)
    text = _strip_nested(text, "{{", "}}")
    text = _strip_nested(text, "{|", "|}")
    for rx, rep in _WIKI_SUBS[5:]:
        text = rx.sub(rep, text)
    paras = []
    for line in text.split("\n"):
        line = line.strip()
        if not line or line[0] in "*#:;=|!{}[" or line.startswith("----"):
            continue
        line = re.sub(r"\(\s*[,;]?\s*\)", "", line)  # "( )" left by removed templates
        line = re.sub(r"\s+([,.;:])", r"\1", line)
        if len(line.split()) >= 12:
            paras.append(line)
    return paras


def enwiki_text(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as z:
        raw = bz2.decompress(z.read(_ENWIKI))
    paras: list[str] = []
    for _event, elem in ET.iterparse(io.BytesIO(raw)):
        if elem.tag.endswith("}text") or elem.tag == "text":
            if elem.text and not elem.text.lstrip().upper().startswith("#REDIRECT"):
                paras.extend(clean_wiki(elem.text))
            elem.clear()
    return "\n".join(paras)


def _stdlib_files() -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    skip = {"test", "tests", "idle_test", "site-packages", "dist-packages", "lib2to3", "turtledemo"}
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in skip and not d.startswith("."))
        files.extend(Path(dirpath) / f for f in sorted(filenames) if f.endswith(".py"))
    return files


def pydoc_text() -> str:
    """pydoc's reference topics plus every docstring of the stdlib sources (via ast)."""
    chunks: list[str] = []
    try:
        from pydoc_data.topics import topics

        chunks.extend(topics[k] for k in sorted(topics))
    except ImportError:  # pragma: no cover - stripped Python builds
        pass
    for path in _stdlib_files():
        try:
            tree = ast.parse(path.read_bytes())
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node, clean=True)
                if doc:
                    chunks.append(doc)
    # docstrings/topics are wrapped text: paragraphs are separated by blank lines
    paras = []
    for chunk in chunks:
        for para in re.split(r"\n\s*\n", chunk):
            lines = [ln.strip() for ln in para.splitlines()]
            if any(ln.startswith((">>>", "...", "$", "|", "+--", "*", "-", "#")) for ln in lines):
                continue
            paras.append(" ".join(ln for ln in lines if ln))
    return "\n".join(paras)


def _sentences(text: str) -> list[str]:
    out = []
    for para in text.split("\n"):
        out.extend(s for s in split_sentences(para) if keep_sentence(s))
    return out


def load_sentences(data_dir: Path = DATA_DIR) -> dict[str, list[str]]:
    """``{source: [sentence, ...]}``, every sentence distinct across all sources.

    Cached as ``data_dir/prose-v<PROSE_VERSION>-<python>.txt`` (one ``source<TAB>sentence``
    per line); the cache depends on the Python version because the stdlib docstrings do.
    """
    pyver = f"py{sys.version_info[0]}{sys.version_info[1]}{sys.version_info[2]}"
    cache = data_dir / f"prose-v{PROSE_VERSION}-g{GENSIM_VERSION}-{pyver}.txt"
    if cache.exists():
        out: dict[str, list[str]] = {}
        for line in cache.read_text(encoding="utf-8").splitlines():
            src, _, sent = line.partition("\t")
            out.setdefault(src, []).append(sent)
        return out
    wheel = gensim_wheel(data_dir)
    seen: set[str] = set()
    out = {}
    for name, text in (("lee", lee_text(wheel)), ("enwiki", enwiki_text(wheel)), ("pydoc", pydoc_text())):
        keep = []
        for s in _sentences(text):
            key = s.lower()
            if key not in seen:
                seen.add(key)
                keep.append(s)
        out[name] = keep
    tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
    tmp.write_text("".join(f"{src}\t{s}\n" for src, ss in out.items() for s in ss), encoding="utf-8")
    tmp.replace(cache)
    return out


def fingerprint(sentences: dict[str, list[str]]) -> str:
    h = hashlib.sha256()
    for src in sorted(sentences):
        h.update(src.encode())
        for s in sentences[src]:
            h.update(b"\n" + s.encode("utf-8"))
    return h.hexdigest()[:16]


if __name__ == "__main__":  # pragma: no cover - inspection helper
    sents = load_sentences()
    for src, ss in sents.items():
        print(f"{src:8s} {len(ss):7d} sentences {sum(len(s.split()) for s in ss):9d} words")
    print("fingerprint", fingerprint(sents))
