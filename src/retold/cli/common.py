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
from typing import Any, Callable

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress as RichBar, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from retold.config import CandidateConfig, MinHashConfig, ReadConfig, ScanConfig, ShingleConfig, VerifyConfig
from retold.errors import RetoldError
from retold.models import Problem, ScanResult

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


def fail_cleanly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into one red line and exit code 1 (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RetoldError as exc:
            err.print(labelled("error:", "red", exc), soft_wrap=True)
            sys.exit(1)

    return wrapper


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
        click.option("--quiet", "-q", is_flag=True, help="No progress bars or tables."),
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


def print_problems(problems: tuple[Problem, ...], limit: int = 20) -> None:
    """The first ``limit`` problems as warnings on stderr, then how many more there are."""
    for p in problems[:limit]:
        err.print(labelled("warning:", "yellow", p), soft_wrap=True)
    if len(problems) > limit:
        err.print(f"[yellow]... and {len(problems) - limit} more problems (see problems table)[/yellow]")


def print_summary(result: ScanResult, top: int = 10) -> None:
    """The counts of a scan and its largest families (ids as :func:`plain` text)."""
    s = result.summary()
    c = s["counts"]
    out.print(
        f"[bold]{c['documents']}[/bold] documents ({', '.join(f'{k} {v}' for k, v in c['documents_by_status'].items())}), "
        f"[bold]{c['skipped']}[/bold] skipped, [bold]{c['pairs']}[/bold] pairs "
        f"({', '.join(f'{k} {v}' for k, v in c['pairs_by_relation'].items()) or 'none'}), "
        f"[bold]{c['clusters']}[/bold] families, in {s['timings_s']['total']:.2f}s"
    )
    if result.clusters:
        table = Table(title=f"Largest families (of {len(result.clusters)})")
        table.add_column("family", justify="right")
        table.add_column("size", justify="right")
        table.add_column("representative")
        table.add_column("members")
        for cl in result.clusters[:top]:
            members = ", ".join(cl.members[:4]) + (" ..." if len(cl.members) > 4 else "")
            table.add_row(str(cl.cluster), str(len(cl.members)), plain(cl.representative), plain(members))
        out.print(table)
