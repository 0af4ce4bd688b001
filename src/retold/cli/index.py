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

from retold.cli.common import (BarProgress, build_configs, err, fail_cleanly, input_options, labelled, out, plain, plural, print_problems, require_documents,
                               resolve_inputs)
from retold.config import ScanConfig
from retold.models import Problem
from retold.errors import InputError
from retold.index import BatchReport, Index
from retold.index.store import DEFAULT_BATCH
from retold.models import ScanResult
from retold.core.normalize import tokenize
from retold.progress import Progress

#: options of ``input_options`` that are not index parameters
_NOT_PARAMETERS = {"inputs", "id_field", "text_field", "date_field", "source_field", "workers", "strict", "quiet",
                   "max_doc_bytes", "db", "batch_size", "store_text", "sample", "verbose", "glob"}

#: the index parameters a command line can set: option name -> (what it is called, its value in a ScanConfig)
_PARAMETERS: dict[str, tuple[str, Callable[[ScanConfig], Any]]] = {
    "shingle_size": ("shingle size", lambda c: c.shingle.size),
    "min_tokens": ("min tokens", lambda c: c.shingle.min_tokens),
    "num_perm": ("MinHash permutations", lambda c: c.minhash.num_perm),
    "bands": ("LSH bands", lambda c: c.minhash.bands),
    "max_df": ("max df", lambda c: c.candidates.max_df),
    "min_containment": ("min containment", lambda c: c.verify.min_containment),
    "min_shared": ("min shared", lambda c: c.verify.min_shared),
}


def built_with(config: ScanConfig) -> str:
    """``shingle size 5, min tokens 20, ...``: an index's parameters in one line."""
    return ", ".join(f"{name} {get(config)}" for name, get in _PARAMETERS.values())


def _explicit_parameters(ctx: click.Context) -> dict[str, Any]:
    """The index parameters given on the command line (not left at their defaults)."""
    return {name: ctx.params[name] for name in _PARAMETERS
            if name in ctx.params and ctx.get_parameter_source(name) != ParameterSource.DEFAULT}


def check_db(db: Path, must_exist: bool = True) -> None:
    """Refuse, with one line, a --db that is a directory or (for reading) does not exist."""
    if db.is_dir():
        raise InputError(f"{db} is a directory; --db takes the index file (one SQLite file)")
    if must_exist and not db.exists():
        raise InputError(f"{db}: no such index (create it with `retold index add INPUTS --db {db}`)")


def check_index_parameters(db: Path, command: str) -> None:
    """Refuse index parameters on the command line that differ from the ones the index at
    ``db`` was built with (they cannot apply to it), in one line saying what it was built with."""
    check_db(db)
    given = _explicit_parameters(click.get_current_context())
    if not given:
        return
    with Index.open(db, readonly=True) as index:
        config = index.config
    differ = {k: v for k, v in given.items() if _PARAMETERS[k][1](config) != v}
    if differ:
        opts = ", ".join(f"--{k.replace('_', '-')} {v}" for k, v in differ.items())
        raise InputError(f"{db} was created with other parameters: {opts} cannot apply (it was built with "
                         f"{built_with(config)}; an index keeps them); leave {'it' if len(differ) == 1 else 'them'} "
                         f"out, or build a new index (`retold index add ... --db NEW.db {opts}`)"
                         f"{' or scan the inputs themselves' if command == 'scan --db' else ''}")

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
    check_db(db, must_exist=False)
    new = not db.exists() or db.stat().st_size == 0
    if not new:
        check_index_parameters(db, "index add")
    explicit = any(ctx.get_parameter_source(p.name) != ParameterSource.DEFAULT
                   for p in ctx.command.params if p.name and p.name not in _NOT_PARAMETERS)
    early: list[Problem] = []
    source = resolve_inputs(inputs, kw["glob"], read_cfg, early)
    require_documents(source, read_cfg, early)
    with Index.open(db, create=True, config=scan_cfg if new or explicit else None, store_text=store_text,
                    sample=sample) as index:
        with BarProgress(not kw["quiet"]) as bar:
            report = index.add(source, read=read_cfg, batch_size=batch_size, workers=kw["workers"],
                               strict=kw["strict"], progress=bar, on_batch=_print_batch if verbose else None)
    print_problems((*early, *report.problems))
    if kw["quiet"]:
        return
    out.print(Text.assemble(
        f"{'created' if new else 'updated'} ", plain(db), ": ", (str(report.added), "bold"), " added, ",
        (str(len(report.replaced)), "bold"), " replaced, ", (str(report.unchanged), "bold"),
        f" unchanged, {plural(len(early) + len(report.problems), 'problem')}, "
        f"{plural(report.batches, 'batch', 'batches')} committed; the index holds ",
        (plural(report.documents, 'document'), "bold")), soft_wrap=True)
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
    check_db(db)
    with Index.open(db, readonly=True) as index:
        s = index.stats()
        config = index.config
    if as_json:
        click.echo(json.dumps(s, indent=2))
        return
    table = Table(title=plain(db), show_header=False)
    table.add_column(style="bold")
    table.add_column()
    statuses = ", ".join(f"{k} {v:,}" for k, v in (s.get("documents_by_status") or {}).items())
    rows: list[tuple[str, str]] = [
        ("documents", f"{s.get('documents', 0):,}" + (f" ({statuses})" if statuses else "")),
        ("batches", f"{s.get('batches', 0):,}, last committed {s.get('last_commit') or 'never'}"),
        ("postings", f"{s.get('postings', 0):,}"),
        ("LSH band keys", f"{s.get('band_keys', 0):,}"),
        ("segments", f"{s.get('segments', 0):,}"),
        ("texts", "stored in the index" if s.get("store_text") else "not stored (read back from the input files)"),
        ("query sample", f"1 shingle hash in {s.get('sample')}"),
        ("file size", human_bytes(int(s.get("file_bytes", 0)))),
        ("built with", built_with(config)),
        ("created", f"{s.get('created_at')} by retold {s.get('created_by')} (schema {s.get('schema_version')})"),
    ]
    for key, value in rows:
        table.add_row(key, plain(value))
    out.print(table)


def human_bytes(n: int) -> str:
    """``61,440`` bytes as ``60.0 KiB``; under 1 KiB as ``512 B``."""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


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
    check_db(db)
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
    check_db(db)
    with Index.open(db, readonly=True) as index, BarProgress(not quiet) as bar:
        problems = index.check(progress=bar)
        n = len(index)
    for p in problems[:50]:
        err.print(labelled("problem:", "red", p), soft_wrap=True)
    if problems:
        err.print(Text.assemble((f"{len(problems)} problems", "red"), " in ", plain(db)), soft_wrap=True)
        sys.exit(1)
    if not quiet:
        out.print(f"ok: {plural(n, 'document')}", markup=False)


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
    if Path(file).is_dir():
        raise InputError(f"{file} is a directory; give the file holding the query text")
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
    query and into the document).

    Exit code 0 when something matches, 1 when nothing does (as grep) or on an error
    (the error is the line on stderr).
    """
    check_db(db)
    query = _query_text(file, text)
    with Index.open(db, readonly=True) as index:
        matches = index.query(query, limit=limit, align=align)
        tokens = len(tokenize(query))
        too_short = tokens < index.config.shingle.min_tokens
        texts = {m.id: index.text(m.id) for m in matches} if align and not as_json else {}
    if as_json:
        click.echo(json.dumps({"query": {"chars": len(query), "tokens": tokens, "too_short": too_short},
                               "matches": [m.to_dict() for m in matches]}, ensure_ascii=False, indent=2))
        sys.exit(0 if matches else 1)
    if too_short:
        err.print(f"[yellow]warning:[/yellow] the query has {plural(tokens, 'token')}, fewer than min_tokens "
                  f"({index.config.shingle.min_tokens}): nothing can match")
    if not matches:
        err.print("no match")
        sys.exit(1)
    # one line per match, the id last and never wrapped or cut (a rich table would fold or
    # ellipsise it at 80 columns): ids stay one copyable string
    out.print(Text.assemble(f"{plural(len(matches), 'match', 'matches')} in ", plain(db),
                            " (q in doc: the share of the query found in the document; doc in q: the reverse)"),
              soft_wrap=True)
    out.print(f"{'#':>3}  {'relation':<9}  {'jaccard':>7}  {'q in doc':>8}  {'doc in q':>8}  {'shared':>6}  "
              f"{'passages':>8}  id", markup=False, soft_wrap=True, style="bold")
    for rank, m in enumerate(matches, 1):
        passages = "-" if m.passages is None else str(len(m.passages))
        out.print(Text.assemble(f"{rank:>3}  {m.relation:<9}  {m.jaccard:>7.3f}  {m.containment_query:>8.3f}  "
                                f"{m.containment_doc:>8.3f}  {m.shared:>6}  {passages:>8}  ", plain(m.id)),
                  soft_wrap=True)
    for m in matches:
        for p in (m.passages or ())[:3]:
            out.print(Text.assemble(plain(m.id, "bold"), f" query[{p.a_start}:{p.a_end}] ~ doc[{p.b_start}:{p.b_end}] "
                                    f"(score {p.score:.2f}): ", plain(_excerpt(texts[m.id], p.b_start, p.b_end))),
                      soft_wrap=True)
