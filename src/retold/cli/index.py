"""``retold index ...`` and ``retold query``: the persistent index on the command line.

The lead registers them in :mod:`retold.cli` with ``main.add_command(index_group)`` and
``main.add_command(query_cmd)``; ``retold scan --db PATH`` calls :func:`scan_index`.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any, Callable

import click
from click.core import ParameterSource
from rich.table import Table
from rich.text import Text

from retold.cli.common import (BarProgress, build_configs, err, fail_cleanly, input_options, labelled, out, plain,
                               print_problems)
from retold.errors import InputError
from retold.index import BatchReport, Index
from retold.index.store import DEFAULT_BATCH
from retold.models import ScanResult
from retold.core.normalize import tokenize
from retold.progress import Progress

#: options of ``input_options`` that are not index parameters
_NOT_PARAMETERS = {"inputs", "id_field", "text_field", "date_field", "source_field", "workers", "strict", "quiet",
                   "max_doc_bytes", "db", "batch_size", "store_text", "sample", "verbose"}

_DB = click.option("--db", "db", type=click.Path(path_type=Path, dir_okay=False), required=True,
                   help="The index file (one SQLite file).")


def _sqlite_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """An SQLite error that escapes the library (disk full, locked too long) as a clean error."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except sqlite3.Error as exc:
            raise InputError(f"index database error: {exc}") from None

    return wrapper


def scan_index(db: str | Path, *, align: bool = True, workers: int | None = None,
               progress: Progress | None = None) -> ScanResult:
    """Every pair and family of the documents in the index at ``db`` (for ``retold scan --db``)."""
    with Index.open(db, readonly=True) as index:
        return index.scan(align=align, workers=workers, progress=progress)


@click.group("index", context_settings={"help_option_names": ["-h", "--help"]})
def index_group() -> None:
    """A persistent, incremental index in one SQLite file: add documents batch by batch,
    query it (`retold query`), scan it (`retold scan --db`). See docs/index.md."""


def _print_batch(b: BatchReport) -> None:
    """One line for a committed batch (``--verbose``)."""
    state = "committed" if b.committed else "unchanged, nothing to commit"
    click.echo(f"batch {b.number}: input documents {b.end - b.inputs + 1}-{b.end}: {b.added} added, "
               f"{len(b.replaced)} replaced, {b.unchanged} unchanged; {state}")


@index_group.command("add")
@input_options
@_DB
@click.option("--batch-size", type=click.IntRange(1), default=DEFAULT_BATCH, show_default=True,
              help="Documents per transaction.")
@click.option("--store-text/--no-store-text", default=None,
              help="Keep the texts in the index (default), or only a pointer to the input file and its content "
                   "hash. Chosen when the index is created.")
@click.option("--sample", type=click.IntRange(1), default=None,
              help="Post 1 shingle hash in SAMPLE for queries (default 4). Chosen when the index is created.")
@click.option("--verbose", "-v", is_flag=True, help="Print a line for every batch when it is committed.")
@fail_cleanly
@_sqlite_errors
def add_cmd(inputs: tuple[Path, ...], db: Path, batch_size: int, store_text: bool | None, sample: int | None,
            verbose: bool, **kw: Any) -> None:
    """Add documents to the index at --db, creating it if needed.

    Re-adding a document with the same id and content changes nothing; one with new
    text or metadata replaces the indexed version. Each batch is one transaction: an
    interrupted add keeps the batches committed before it.
    """
    ctx = click.get_current_context()
    scan_cfg, read_cfg = build_configs(kw)
    explicit = any(ctx.get_parameter_source(p.name) != ParameterSource.DEFAULT
                   for p in ctx.command.params if p.name and p.name not in _NOT_PARAMETERS)
    new = not db.exists() or db.stat().st_size == 0
    with Index.open(db, create=True, config=scan_cfg if new or explicit else None, store_text=store_text,
                    sample=sample) as index:
        with BarProgress(not kw["quiet"]) as bar:
            report = index.add(list(inputs), read=read_cfg, batch_size=batch_size, workers=kw["workers"],
                               strict=kw["strict"], progress=bar, on_batch=_print_batch if verbose else None)
    if kw["quiet"]:
        return
    print_problems(tuple(report.problems))
    out.print(Text.assemble(
        f"{'created' if new else 'updated'} ", plain(db), ": ", (str(report.added), "bold"), " added, ",
        (str(len(report.replaced)), "bold"), " replaced, ", (str(report.unchanged), "bold"),
        f" unchanged, {len(report.problems)} problems, {report.batches} batches committed; the index holds ",
        (str(report.documents), "bold"), " documents"), soft_wrap=True)
    if report.replaced:
        shown = ", ".join(report.replaced[:20]) + (f" ... and {len(report.replaced) - 20} more"
                                                   if len(report.replaced) > 20 else "")
        out.print(Text.assemble("replaced (new text or metadata): ", plain(shown)), soft_wrap=True)


@index_group.command("stats")
@_DB
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
@fail_cleanly
@_sqlite_errors
def stats_cmd(db: Path, as_json: bool) -> None:
    """Documents, batches, postings, sizes and parameters of the index."""
    with Index.open(db, readonly=True) as index:
        s = index.stats()
    if as_json:
        click.echo(json.dumps(s, indent=2))
        return
    table = Table(title=plain(db), show_header=False)
    for key, value in s.items():
        if key != "parameters":
            table.add_row(plain(key), plain(value))
    table.add_row("parameters", plain(json.dumps(s["parameters"])))
    out.print(table)


@index_group.command("remove")
@_DB
@click.option("--id", "ids", multiple=True, help="Id of a document to delete (repeatable).")
@click.option("--ids-from", type=click.File("r", encoding="utf-8"), default=None,
              help="File with one id per line ('-': stdin).")
@fail_cleanly
@_sqlite_errors
def remove_cmd(db: Path, ids: tuple[str, ...], ids_from: Any) -> None:
    """Delete documents from the index by id (one transaction)."""
    wanted = list(ids) + ([line.rstrip("\r\n") for line in ids_from if line.strip()] if ids_from else [])
    if not wanted:
        raise click.UsageError("give --id ID or --ids-from FILE")
    with Index.open(db) as index:
        removed = index.remove(wanted)
    unique = len(dict.fromkeys(wanted))
    out.print(f"removed {removed} of {unique} ids" + (f" ({unique - removed} were not indexed)"
                                                       if removed < unique else ""), markup=False, soft_wrap=True)


@index_group.command("check")
@_DB
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@fail_cleanly
@_sqlite_errors
def check_cmd(db: Path, quiet: bool) -> None:
    """Check the index: SQLite's integrity check, then every document's sketches,
    postings and stored text. Exit code 1 when anything is wrong."""
    with Index.open(db, readonly=True) as index, BarProgress(not quiet) as bar:
        problems = index.check(progress=bar)
        n = len(index)
    for p in problems[:50]:
        err.print(labelled("problem:", "red", p), soft_wrap=True)
    if problems:
        err.print(Text.assemble((f"{len(problems)} problems", "red"), " in ", plain(db)), soft_wrap=True)
        sys.exit(1)
    out.print(f"ok: {n} documents", markup=False)


def _query_text(file: str | None, text: str | None) -> str:
    """The query: ``--text``, FILE (UTF-8, BOM dropped) or stdin."""
    if text is not None and file is not None:
        raise click.UsageError("give FILE or --text, not both")
    if text is not None:
        return text
    if file is None or file == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise click.UsageError("give a FILE, --text TEXT, or the text on stdin")
        return sys.stdin.read()
    try:
        return Path(file).read_bytes().decode("utf-8").removeprefix("\ufeff")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {file}: {exc}") from None


def _excerpt(text: str, start: int, end: int, width: int = 70) -> str:
    """``text[start:end]`` on one line, its middle cut to fit ``width``."""
    s = " ".join(text[start:end].split())
    return s if len(s) <= width else s[: width - 20] + " ... " + s[-15:]


@click.command("query", context_settings={"help_option_names": ["-h", "--help"]})
@_DB
@click.argument("file", required=False)
@click.option("--text", default=None, help="The query text (instead of FILE or stdin).")
@click.option("--limit", type=click.IntRange(1), default=10, show_default=True, help="Matches to return.")
@click.option("--align/--no-align", default=True, show_default=True, help="Find the shared passages of each match.")
@click.option("--json", "as_json", is_flag=True, help="Print the matches as JSON.")
@fail_cleanly
@_sqlite_errors
def query_cmd(db: Path, file: str | None, text: str | None, limit: int, align: bool, as_json: bool) -> None:
    """Where has this text appeared before? The indexed documents sharing text with FILE
    (or --text, or stdin), best first, with scores and shared passages (offsets into the
    query and into the document)."""
    query = _query_text(file, text)
    with Index.open(db, readonly=True) as index:
        matches = index.query(query, limit=limit, align=align)
        tokens = len(tokenize(query))
        too_short = tokens < index.config.shingle.min_tokens
        texts = {m.id: index.text(m.id) for m in matches} if align and not as_json else {}
    if as_json:
        click.echo(json.dumps({"query": {"chars": len(query), "tokens": tokens, "too_short": too_short},
                               "matches": [m.to_dict() for m in matches]}, ensure_ascii=False, indent=2))
        return
    if too_short:
        err.print(f"[yellow]warning:[/yellow] the query has {tokens} tokens, fewer than min_tokens "
                  f"({index.config.shingle.min_tokens}): nothing can match")
    if not matches:
        out.print("no match")
        return
    table = Table(title=Text.assemble(f"{len(matches)} matches in ", plain(db)))
    table.add_column("#", justify="right")
    table.add_column("id", overflow="fold")
    table.add_column("relation", no_wrap=True)
    for name in ("jaccard", "query in doc", "doc in query", "shared", "passages"):
        table.add_column(name, justify="right")
    for rank, m in enumerate(matches, 1):
        table.add_row(str(rank), plain(m.id), m.relation, f"{m.jaccard:.3f}", f"{m.containment_query:.3f}",
                      f"{m.containment_doc:.3f}", str(m.shared), "-" if m.passages is None else str(len(m.passages)))
    out.print(table)
    for m in matches:
        for p in (m.passages or ())[:3]:
            out.print(Text.assemble(plain(m.id, "bold"), f" query[{p.a_start}:{p.a_end}] ~ doc[{p.b_start}:{p.b_end}] "
                                    f"(score {p.score:.2f}): ", plain(_excerpt(texts[m.id], p.b_start, p.b_end))),
                      soft_wrap=True)
