"""Input files: what a path names (a file, a directory of texts, a dataset of record
shards, a glob), in a canonical order, and which files may be read at all: only regular
files (a FIFO or a link to a device is reported, never read).
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO


from retold.errors import InputError
from retold.models import Problem

log = logging.getLogger(__name__)
Report = Callable[[Problem], None]
#: a lone surrogate: no UTF-8 output can encode it
SURROGATE = re.compile("[\ud800-\udfff]")


#: kinds of input file
KINDS: tuple[str, ...] = ("text", "jsonl", "json", "csv", "tsv", "parquet")


TEXT_SUFFIXES: tuple[str, ...] = (".txt", ".md")


_RECORD_SUFFIXES = ((".jsonl", "jsonl"), (".ndjson", "jsonl"), (".csv", "csv"), (".tsv", "tsv"))


@dataclass(frozen=True, slots=True)
class InputFile:
    """One file to read. ``root`` (text files only) is what their ids are relative to."""

    path: Path
    root: Path | None
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InputError(f"{self.path}: unknown input kind {self.kind!r}; choose from {list(KINDS)}")


def input_kind(path: Path) -> str | None:
    """The kind of a file from its name (compression suffixes allowed on JSONL/CSV/TSV)."""
    name = path.name.lower()
    if name.endswith(TEXT_SUFFIXES):
        return "text"
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(".json"):
        return "json"
    name = name.removesuffix(".gz").removesuffix(".zst")
    return next((kind for ext, kind in _RECORD_SUFFIXES if name.endswith(ext)), None)


def _display(path: Path) -> Path:
    """The path as the user gave it, made relative to the working directory when under it."""
    return path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path


def printable_name(name: str) -> str:
    """``name`` safe to write as UTF-8: bytes of a non-UTF-8 file name become ``\\xNN``,
    other lone surrogates ``\\udNNN``."""
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return name.encode("utf-8", "backslashreplace").decode("utf-8")


def _is_utf8_name(name: str) -> bool:
    """Whether a path (as Python decoded it from the file system) is valid UTF-8."""
    return SURROGATE.search(name) is None


_FILE_TYPES = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
               (stat.S_ISSOCK, "a socket"))


class NotRegularFileError(OSError):
    """An input that is not a regular file (a FIFO would block, a device never end)."""


def check_regular(path: Path, mode: int) -> None:
    """Raise :class:`NotRegularFileError` unless ``mode`` (of ``path``, links followed) is a regular file."""
    if not stat.S_ISREG(mode):
        what = next((name for test, name in _FILE_TYPES if test(mode)), "not a regular file")
        raise NotRegularFileError(f"{printable_name(str(path))} is {what}, not a regular file; only regular files "
                                  "are read")


def open_regular(path: Path) -> IO[bytes]:
    """``path`` opened for binary reading if it is a regular file (symlinks followed).

    Opened non-blocking first, so a FIFO is refused at once instead of waiting for a
    writer; raises :class:`NotRegularFileError` (an ``OSError``) for anything else.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        check_regular(path, os.fstat(fd).st_mode)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def canonical(files: Iterable[InputFile]) -> list[InputFile]:
    """Sort files by (root, path) and keep each real file once, so input order never matters."""
    out: list[InputFile] = []
    seen: set[str] = set()
    for f in sorted(files, key=lambda f: (str(f.root or ""), str(f.path))):
        key = os.path.abspath(f.path)  # not realpath: no system call per file of a big directory
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


#: what a message lists as the input formats
FORMATS_TEXT = ".txt, .md, .jsonl[.gz|.zst], .ndjson, .json, .csv, .tsv or .parquet"


_GLOB_CHARS = re.compile(r"[*?]")


def split_glob(path: Path) -> tuple[Path, str] | None:
    """``(root, pattern)`` of a path holding a glob (``out/*.jsonl``), else None.

    A pattern without ``/`` matches at any depth below the root (as a directory is read
    recursively): ``out/*.jsonl`` also finds ``out/day1/part-0.jsonl``.
    """
    parts = path.parts
    at = next((i for i, part in enumerate(parts) if _GLOB_CHARS.search(part)), None)
    if at is None:
        return None
    root = Path(*parts[:at]) if at else Path(".")
    pattern = "/".join(parts[at:])
    return root, pattern if "/" in pattern else f"**/{pattern}"


def expand_inputs(inputs: Sequence[str | os.PathLike], *, on_problem: Report | None = None) -> list[InputFile]:
    """The files behind ``inputs``, in canonical order.

    A directory is read as a text corpus (its .txt/.md files, id = path relative to the
    directory) when it holds any, else as a dataset (every JSONL, JSON, CSV/TSV and
    Parquet file under it); record files beside text files are not read (a warning says
    so: name them with a glob). A path that does not exist but holds a glob
    (``out/*.parquet``) names the files it matches. Raises :class:`InputError` for a
    missing path, a glob that matches no file, or an unknown extension. A directory that cannot be listed is reported
    as "unreadable" through ``on_problem``.
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    report = reporter(on_problem, strict=False)
    files: list[InputFile] = []
    for given in inputs:
        path = _display(Path(given))
        if not _is_utf8_name(str(path)):
            _report_name(path, report)
            continue
        globbed = split_glob(path) if not path.exists() else None
        if globbed is not None:
            files.extend(_globbed(*globbed, report))
            continue
        if path.is_dir():
            found = _walk(path, report)
            text = [f for f in found if f.kind == "text"]
            if text and len(text) < len(found):
                log.warning("%s: reading its %d .txt/.md files; its %d record files (%s) are not read (choose "
                            "them with a glob: DIR/*.jsonl, --glob '*.jsonl')", path, len(text), len(found) - len(text),
                            _kinds([f for f in found if f.kind != "text"]))
                found = text
            if not found:
                log.warning("%s: directory has no input files (%s)", path, FORMATS_TEXT)
            files.extend(found)
            continue
        if not path.exists():
            raise InputError(f"{path}: no such file or directory")
        kind = input_kind(path)
        if kind is None:
            raise InputError(f"{path}: unknown input format; expected a directory, {FORMATS_TEXT}")
        files.append(InputFile(path, path.parent if kind == "text" else None, kind))
    return canonical(files)


def _kinds(files: Sequence[InputFile]) -> str:
    """``jsonl 3, parquet 1``: how many files of each kind."""
    counts: dict[str, int] = {}
    for f in files:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    return ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))


def _globbed(root: Path, pattern: str, report: Report) -> list[InputFile]:
    """The input files under ``root`` matching ``pattern`` (files of unknown format skipped;
    text ids relative to ``root``)."""
    if not root.is_dir():
        raise InputError(f"{root / pattern.removeprefix('**/')}: no such file or directory ({root} is no directory)")
    found: list[InputFile] = []
    for path in root.glob(pattern):
        kind = input_kind(path)
        if kind is None or path.is_dir() or path.name.startswith((".", "_")):
            continue
        if not _is_utf8_name(str(path)):
            _report_name(path, report)
            continue
        found.append(InputFile(path, root if kind == "text" else None, kind))
    if not found:
        raise InputError(f"{root}: no such file or directory: no input file matches {pattern.removeprefix('**/')!r} "
                         f"under {root} ({FORMATS_TEXT})")
    return found


def _report_name(path: Path, report: Report) -> None:
    """Report a file whose name is not UTF-8 (its id and origin could not be written)."""
    shown = printable_name(str(path))
    report(Problem(shown, "not_utf8", f"{shown}: the file name is not valid UTF-8; file skipped (rename it)"))


def _walk(root: Path, report: Report) -> list[InputFile]:
    """Every input file under ``root``: .txt/.md files and record files (symlinked files
    included, symlinked dirs not followed; hidden files and ``_``-prefixed ones such as
    ``_SUCCESS`` are skipped for record files); a file that is no regular file is
    reported when it is opened."""

    def onerror(exc: OSError) -> None:
        where = printable_name(str(exc.filename)) if exc.filename else printable_name(str(root))
        report(Problem(where, "unreadable", f"cannot list directory {where}: {exc.strerror or exc}"))

    found: list[InputFile] = []
    for dirpath, _, names in os.walk(root, onerror=onerror):
        for name in names:
            kind = input_kind(Path(name))
            if kind is None or (kind != "text" and name.startswith((".", "_"))):
                continue
            path = Path(dirpath) / name
            if _is_utf8_name(str(path)):
                found.append(InputFile(path, root if kind == "text" else None, kind))
            else:
                _report_name(path, report)
    return found


def reporter(on_problem: Report | None, strict: bool) -> Report:
    """Where problems go: raise in strict mode, else the callback, else a logged warning."""

    def report(problem: Problem) -> None:
        if strict:
            raise InputError(str(problem))
        if on_problem is None:
            log.warning("%s", problem)
        else:
            on_problem(problem)

    return report
