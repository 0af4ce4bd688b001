"""What every ``retold`` command shares: consoles, progress bars, options, error handling.

Everything a user provides (ids, paths, problem messages, which quote records) reaches
the terminal only through :func:`plain`: a :class:`rich.text.Text`, so ``[link=...]`` or
``[/]`` in an id is printed as written, never parsed as markup, with control characters,
bidi overrides and lone surrogates shown as escapes. The consoles never turn ``:name:``
into emoji.
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress as RichBar, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from retold.config import CandidateConfig, MinHashConfig, ReadConfig, ScanConfig, ShingleConfig, VerifyConfig
from retold.errors import InputError, OutputError, RetoldError
from retold.models import Document, Problem, ScanResult

#: the defaults, written once in retold.config
_SCAN = ScanConfig()
_READ = ReadConfig()

err = Console(stderr=True, highlight=False, emoji=False)
out = Console(highlight=False, emoji=False)

#: what must not reach a terminal as is: control characters (ANSI escapes, carriage
#: returns), bidi overrides and isolates (text that reads differently than it is), lone surrogates
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

_BYTE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1000, "kib": 1024, "m": 1024**2, "mb": 1000**2, "mib": 1024**2,
               "g": 1024**3, "gb": 1000**3, "gib": 1024**3}


def _escape_char(match: re.Match[str]) -> str:
    """``\\n``, ``\\x1b``, ``\\u202e``: the escape of one unsafe character."""
    return match.group().encode("unicode_escape", "backslashreplace").decode("ascii")


def plain(value: object, style: str = "") -> Text:
    """``value`` as terminal text that is shown exactly as written (see the module doc)."""
    return Text(_UNSAFE.sub(_escape_char, str(value)), style=style)


def labelled(label: str, style: str, value: object) -> Text:
    """``label`` in ``style``, a space, then the user-provided ``value`` as :func:`plain` text."""
    return Text.assemble((label, style), " ", plain(value))


class ByteSize(click.ParamType):
    """A size in bytes: ``16777216``, ``16MiB``, ``16M`` (binary), ``16MB`` (decimal)."""

    name = "bytes"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        m = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", str(value))
        unit = m.group(2).lower() if m else ""
        if m is None or unit not in _BYTE_UNITS or int(m.group(1)) * _BYTE_UNITS[unit] < 1:
            self.fail(f"{value!r} is not a size in bytes (e.g. 16777216, 64MiB, 500KB)", param, ctx)
        return int(m.group(1)) * _BYTE_UNITS[unit]


class BarProgress:
    """The library's Progress protocol shown as rich progress bars on stderr."""

    def __init__(self, enabled: bool) -> None:
        self.bar = RichBar(
            SpinnerColumn(), TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=err, transient=False, disable=not enabled,
        )
        self.task: Any = None

    def __enter__(self) -> "BarProgress":
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def start(self, stage: str, total: int | None = None) -> None:
        self.task = self.bar.add_task(stage, total=total)

    def advance(self, n: int = 1) -> None:
        self.bar.advance(self.task, n)

    def finish(self) -> None:
        t = self.bar.tasks[-1]
        self.bar.update(self.task, total=t.completed or 1, completed=t.completed or 1)


#: exit codes (README "Exit codes"): 0 success, 1 an error or nothing read (and index check:
#: problems found), 2 a usage error. diff and query answer a question, as diff and grep do:
#: 0 equal / a match, 1 different / no match, and 2 (EXIT_TROUBLE) on an error
EXIT_OK, EXIT_FAIL, EXIT_TROUBLE = 0, 1, 2


def fail_cleanly_with(code: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Turn library errors and OS errors (permission denied, disk full) into one red line
    and exit ``code`` (no traceback)."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except RetoldError as exc:
                err.print(labelled("error:", "red", exc), soft_wrap=True)
                sys.exit(code)
            except OSError as exc:
                where = f"{exc.filename}: " if exc.filename else ""
                err.print(labelled("error:", "red", f"{where}{exc.strerror or exc}"), soft_wrap=True)
                sys.exit(code)

        return wrapper

    return decorate


#: library errors and OS errors as one red line and exit code 1
fail_cleanly = fail_cleanly_with(EXIT_FAIL)


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 pair``, ``2 pairs``, ``0 families`` (``many`` for irregular plurals)."""
    return f"{n:,} {word if n == 1 else many or word + 's'}"


# ---------------------------------------------------------------------------- outputs

def _parent_problem(path: Path) -> str | None:
    """Why files cannot be created at ``path``: an existing ancestor that is not a directory."""
    for parent in path.absolute().parents:
        if parent.exists():
            return None if parent.is_dir() else f"{parent} is a file, not a directory"
    return None


def check_out_file(path: Path, force: bool, what: str) -> None:
    """Refuse, before any work, an output file that cannot or must not be written: a
    directory, a path under a file, or an existing file without ``force``."""
    if path.is_dir():
        raise OutputError(f"{path} is a directory; {what} is a file: give a file name")
    if _parent_problem(path) is not None:  # the words io.atomic uses when it meets this later
        raise OutputError(f"cannot write {path}: Not a directory")
    if path.exists() and not force:
        raise OutputError(f"{path} exists ({what}); pass --force to replace it, or choose another name")


def check_out_dir(path: Path, force: bool) -> None:
    """Refuse, before any work, a result directory that is a file or holds a previous
    result (``summary.json`` or a table), unless ``force``."""
    from retold.io.writers import FORMATS, SUMMARY, TABLES

    if path.exists() and not path.is_dir():
        raise OutputError(f"{path} exists and is not a directory; --out takes a directory for the result tables")
    if _parent_problem(path) is not None:  # the words io.atomic uses when it meets this later
        raise OutputError(f"cannot create directory {path}: Not a directory")
    if not path.is_dir() or force:
        return
    previous = [name for name in [SUMMARY, *(f"{t}.{f}" for f in FORMATS for t in TABLES)] if (path / name).exists()]
    if previous:
        raise OutputError(f"{path} holds a previous result ({', '.join(previous[:3])}"
                          f"{', ...' if len(previous) > 3 else ''}); pass --force to replace it, or choose another "
                          "directory")


# ---------------------------------------------------------------------------- inputs

def resolve_inputs(inputs: tuple[Path, ...], glob: str | None, read: ReadConfig,
                   stdin_problems: list[Problem]) -> list[Path] | list[Document]:
    """The source of a run: the paths (a directory with ``--glob`` becomes ``DIR/GLOB``),
    or, for ``-``, the JSON Lines of stdin read into memory (its problems go to ``stdin_problems``)."""
    if not inputs:
        raise click.UsageError("give at least one input (a file, a directory, or - for JSON Lines on stdin)")
    if any(str(p) == "-" for p in inputs):
        if len(inputs) > 1:
            raise click.UsageError("- (stdin) must be the only input")
        from retold.io.sources import read_stream

        stream = sys.stdin.buffer
        if stream.isatty():
            raise click.UsageError("- reads JSON Lines from stdin, but stdin is a terminal; pipe the records in")
        return read_stream(stream, "<stdin>", read, stdin_problems.append)
    if glob is None:
        return list(inputs)
    return [p / glob if p.is_dir() else p for p in inputs]


def require_documents(source: list[Path] | list[Document], read: ReadConfig,
                      problems: Sequence[Problem] = ()) -> None:
    """Raise :class:`InputError` when ``source`` holds no document, saying why.

    Reads only until the first document (a file's first record when all is well), so a
    run that would read nothing stops before any work or output, with the reason: no
    input file, empty files, or records without the text field (naming the fields they have).
    """
    from retold.io.readers import expand_inputs, read_documents

    found: list[Problem] = list(problems)
    if source and isinstance(source[0], Document):
        return
    if source:
        files = expand_inputs(source, on_problem=found.append)  # type: ignore[arg-type]
        if not files:
            raise InputError(f"nothing to read: {', '.join(map(str, source))} holds no input file "
                             f"({FORMATS_TEXT_CLI})")
        if next(read_documents(files, read, on_problem=found.append), None) is not None:
            return
        where = ", ".join(map(str, source))
    else:
        where = "stdin"
    raise InputError(nothing_read(where, found, read))


#: what the messages list as input formats
FORMATS_TEXT_CLI = ".txt, .md, .jsonl[.gz|.zst], .ndjson, .json, .csv, .tsv or .parquet"
_FIELDS = re.compile(r"\(fields: (.*)\)")


def nothing_read(where: str, problems: Sequence[Problem], read: ReadConfig) -> str:
    """The message of a run that read no document from ``where``: why, from its problems."""
    if not problems:
        return f"nothing to read: {where} holds no record (empty input)"
    by_reason: dict[str, int] = {}
    for p in problems:
        by_reason[p.reason] = by_reason.get(p.reason, 0) + 1
    reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0])))
    hint = ""
    if "no_text" in by_reason or "no_id" in by_reason:
        fields: dict[str, None] = {}
        for p in problems:
            m = _FIELDS.search(p.message) if p.reason in ("no_text", "no_id") else None
            if m and m.group(1) != "none":
                fields.update(dict.fromkeys(f.strip() for f in m.group(1).split(",")))
        missing = "text" if "no_text" in by_reason else "id"
        name = read.text_field if missing == "text" else read.id_field
        hint = (f"; the records have no usable {missing} field {name!r}; their fields: "
                f"{', '.join(fields) or 'none'} (choose with --{missing}-field)")
    return f"nothing read from {where}: {plural(len(problems), 'record')} skipped ({reasons}){hint}"


def merge_problems(result: ScanResult, extra: Sequence[Problem]) -> ScanResult:
    """``result`` with ``extra`` problems (read before the scan, e.g. from stdin) in its table."""
    if not extra:
        return result
    from dataclasses import replace

    return replace(result, problems=tuple(sorted((*result.problems, *extra), key=natural_origin)))


def natural_origin(problem: Problem) -> tuple[str, int, str]:
    """Sort key of a problem: its file, then its line or row as a number (``a.jsonl:2``
    before ``a.jsonl:10``), then its message."""
    m = _LOCATED.match(problem.origin)
    if m:
        return m.group(1), int(m.group(2)), problem.message
    return problem.origin, -1, problem.message


_LOCATED = re.compile(r"^(.*?)[:#](\d+)$")


def field_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The names of the record fields (JSONL/CSV/Parquet inputs)."""
    decorators = [
        click.option("--id-field", default=_READ.id_field, show_default=True, help="Field holding the document id."),
        click.option("--text-field", default=_READ.text_field, show_default=True, help="Field holding the text."),
        click.option("--date-field", default=_READ.date_field, show_default=True, help="Field holding the ISO 8601 date."),
        click.option("--source-field", default=_READ.source_field, show_default=True, help="Field naming the outlet/site."),
    ]
    for d in reversed(decorators):
        fn = d(fn)
    return fn


def read_config(kw: dict[str, Any]) -> ReadConfig:
    """The read config from the field options (and ``--max-doc-bytes`` where the command has it)."""
    return ReadConfig(id_field=kw["id_field"], text_field=kw["text_field"], date_field=kw["date_field"],
                      source_field=kw["source_field"], max_doc_bytes=kw.get("max_doc_bytes") or _READ.max_doc_bytes)


def input_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Options every command that reads documents shares."""
    decorators = [
        click.argument("inputs", nargs=-1, required=False, type=click.Path(path_type=Path)),
        field_options,
        click.option("--workers", type=click.IntRange(1), default=None, help="Worker processes (default: all cores)."),
        click.option("--strict", is_flag=True, help="Stop with an error at the first bad file or record."),
        click.option("--max-doc-bytes", type=ByteSize(), default=_READ.max_doc_bytes, show_default="16MiB",
                     help="A text file, JSON line or CSV row longer than this is skipped and reported "
                          "(too_large) unread; accepts 64MiB, 500KB, ..."),
        click.option("--shingle-size", type=click.IntRange(1, 16), default=_SCAN.shingle.size, show_default=True, help="Words per shingle."),
        click.option("--min-tokens", type=click.IntRange(1), default=_SCAN.shingle.min_tokens, show_default=True, help="Shorter documents are never paired."),
        click.option("--max-df", type=click.IntRange(2), default=_SCAN.candidates.max_df, show_default=True, help="Shingles in more documents are boilerplate."),
        click.option("--min-containment", type=click.FloatRange(0, 1, min_open=True), default=_SCAN.verify.min_containment, show_default=True, help="Share of the smaller document needed for duplicate/contains."),
        click.option("--min-shared", type=click.IntRange(1), default=_SCAN.verify.min_shared, show_default=True, help="Shared non-boilerplate shingles needed for overlap."),
        click.option("--num-perm", type=click.IntRange(1), default=_SCAN.minhash.num_perm, show_default=True, help="MinHash permutations."),
        click.option("--bands", type=click.IntRange(1), default=_SCAN.minhash.bands, show_default=True, help="LSH bands (must divide --num-perm)."),
        click.option("--glob", default=None,
                     help="Read the files of each directory INPUT matching this pattern (e.g. '*.jsonl.gz', "
                          "'part-*.parquet'; any depth unless it holds '/')."),
        click.option("--quiet", "-q", is_flag=True, help="Nothing on stdout on success; warnings and errors only."),
    ]
    for d in reversed(decorators):
        fn = d(fn)
    return fn


def build_configs(kw: dict[str, Any]) -> tuple[ScanConfig, ReadConfig]:
    """The library configs from the shared options."""
    scan_cfg = ScanConfig(
        shingle=ShingleConfig(size=kw["shingle_size"], min_tokens=max(kw["min_tokens"], kw["shingle_size"])),
        minhash=MinHashConfig(num_perm=kw["num_perm"], bands=kw["bands"]),
        candidates=CandidateConfig(max_df=kw["max_df"]),
        verify=VerifyConfig(min_containment=kw["min_containment"], min_shared=kw["min_shared"]),
    )
    return scan_cfg, read_config(kw)


def print_problems(problems: Sequence[Problem], limit: int = 20) -> None:
    """The first ``limit`` problems (by file, then line number) as warnings on stderr, then how many more there are."""
    shown = sorted(problems, key=natural_origin)
    for p in shown[:limit]:
        err.print(labelled("warning:", "yellow", p), soft_wrap=True)
    if len(problems) > limit:
        err.print(f"[yellow]... and {plural(len(problems) - limit, 'more problem')} (see the problems table)[/yellow]")


def print_summary(result: ScanResult, top: int = 10) -> None:
    """The counts of a scan and its largest families (ids as :func:`plain` text)."""
    s = result.summary()
    c = s["counts"]
    statuses = ", ".join(f"{k} {v}" for k, v in c["documents_by_status"].items())
    relations = ", ".join(f"{k} {v}" for k, v in c["pairs_by_relation"].items())
    out.print(
        f"{plural(c['documents'], 'document')}{f' ({statuses})' if statuses else ''}, {c['skipped']} skipped, "
        f"{plural(c['pairs'], 'pair')}{f' ({relations})' if relations else ''}, "
        f"{plural(c['clusters'], 'family', 'families')}, in {s['timings_s'].get('total', 0.0):.2f}s",
        markup=False, soft_wrap=True)
    if result.clusters:
        table = Table(title=f"Largest families (of {len(result.clusters)}; family = the cluster number in the tables)")
        table.add_column("family", justify="right")
        table.add_column("size", justify="right")
        table.add_column("representative")
        table.add_column("members")
        for cl in result.clusters[:top]:
            members = ", ".join(cl.members[:4]) + (" ..." if len(cl.members) > 4 else "")
            table.add_row(str(cl.cluster), str(len(cl.members)), plain(cl.representative), plain(members))
        out.print(table)
