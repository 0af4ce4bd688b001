"""The ``retold`` command: a thin layer over the library (parse, one call, print)."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any, Callable

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress as RichBar, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__
from .config import CandidateConfig, MinHashConfig, ReadConfig, ScanConfig, ShingleConfig, VerifyConfig
from .errors import InputError, RetoldError
from .models import Problem, ScanResult

#: the defaults, written once in retold.config
_SCAN = ScanConfig()
_READ = ReadConfig()

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)


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


def _fail_cleanly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into one red line and exit code 1 (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RetoldError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
            sys.exit(1)

    return wrapper


def input_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Options every command that reads documents shares."""
    decorators = [
        click.argument("inputs", nargs=-1, required=False, type=click.Path(path_type=Path)),
        click.option("--id-field", default=_READ.id_field, show_default=True, help="Field holding the document id."),
        click.option("--text-field", default=_READ.text_field, show_default=True, help="Field holding the text."),
        click.option("--date-field", default=_READ.date_field, show_default=True, help="Field holding the ISO 8601 date."),
        click.option("--source-field", default=_READ.source_field, show_default=True, help="Field naming the outlet/site."),
        click.option("--workers", type=click.IntRange(1), default=None, help="Worker processes (default: all cores)."),
        click.option("--strict", is_flag=True, help="Stop with an error at the first bad file or record."),
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
    read_cfg = ReadConfig(id_field=kw["id_field"], text_field=kw["text_field"], date_field=kw["date_field"],
                          source_field=kw["source_field"])
    return scan_cfg, read_cfg


def print_problems(problems: tuple[Problem, ...], limit: int = 20) -> None:
    for p in problems[:limit]:
        err.print(f"[yellow]warning:[/yellow] {escape(str(p))}", soft_wrap=True)
    if len(problems) > limit:
        err.print(f"[yellow]... and {len(problems) - limit} more problems (see problems table)[/yellow]")


def print_summary(result: ScanResult, top: int = 10) -> None:
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
            table.add_row(str(cl.cluster), str(len(cl.members)), cl.representative, members)
        out.print(table)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="retold")
def main() -> None:
    """retold: find where text has been retold (near-duplicates, reused passages, families)."""


@main.command()
@input_options
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Directory for the result tables.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "parquet"]), default="jsonl", show_default=True, help="Table format.")
@click.option("--align/--no-align", default=True, show_default=True, help="Find the reused passages of every pair.")
@click.option("--db", type=click.Path(path_type=Path), default=None,
              help="Scan every document of this index instead of INPUTS (its stored parameters apply).")
@_fail_cleanly
def scan(inputs: tuple[Path, ...], out_dir: Path, fmt: str, align: bool, db: Path | None, **kw: Any) -> None:
    """Find every pair of documents that share text, and the families of reprints."""
    from .pipeline import scan as run_scan
    from .writers import write_result

    if bool(inputs) == bool(db):
        raise click.UsageError("give INPUTS or --db (one of the two)")
    scan_cfg, read_cfg = build_configs(kw)
    with BarProgress(not kw["quiet"]) as bar:
        if db is not None:
            result = scan_index(db, align=align, workers=kw["workers"], progress=bar)
        else:
            result = run_scan(list(inputs), config=scan_cfg, read=read_cfg, workers=kw["workers"],
                              strict=kw["strict"], progress=bar, align=align)
    paths = write_result(result, out_dir, fmt)
    if not kw["quiet"]:
        print_problems(result.problems)
        print_summary(result)
        out.print(f"wrote {', '.join(str(p) for p in paths.values())}", markup=False)


@main.command()
@input_options
@click.option("--out", "out_path", type=click.Path(path_type=Path), required=True,
              help="File for the kept documents (.jsonl, .jsonl.gz or .parquet); removed.jsonl goes beside it.")
@_fail_cleanly
def dedup(inputs: tuple[Path, ...], out_path: Path, **kw: Any) -> None:
    """Keep one document per family; write why each other one was removed."""
    from .dedup import dedup as run_dedup

    if not inputs:
        raise click.UsageError("give at least one input")
    scan_cfg, read_cfg = build_configs(kw)
    with BarProgress(not kw["quiet"]) as bar:
        res = run_dedup(list(inputs), out_path, config=scan_cfg, read=read_cfg, workers=kw["workers"], strict=kw["strict"], progress=bar)
    if not kw["quiet"]:
        print_problems(res.scan.problems)
        out.print(f"kept [bold]{len(res.kept)}[/bold] documents, removed [bold]{len(res.removed)}[/bold]; "
                  f"wrote {res.written} records to ", end="")
        out.print(f"{out_path} and {out_path.parent / 'removed.jsonl'}", markup=False)


@main.command()
@click.argument("a")
@click.argument("b")
@click.option("--in", "result_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="A and B are document ids of this scan result (texts re-read from their origins).")
@click.option("--ignore-case/--no-ignore-case", default=True, show_default=True, help="Case differences are equal.")
@click.option("--ignore-punctuation/--no-ignore-punctuation", default=True, show_default=True,
              help="Punctuation differences are equal.")
@click.option("--ignore-hyphenation", is_flag=True, help="cease-fire = ceasefire, oil fields = oilfields.")
@click.option("--context", "context_words", type=click.IntRange(0), default=6, show_default=True,
              help="Unchanged words shown around each change.")
@click.option("--json", "as_json", is_flag=True, help="Print the operations as JSON (with character offsets).")
@_fail_cleanly
def diff(a: str, b: str, result_dir: Path | None, ignore_case: bool, ignore_punctuation: bool,
         ignore_hyphenation: bool, context_words: int, as_json: bool) -> None:
    """Show what changed between two texts: substitutions, insertions, deletions, moves."""
    import json

    from .diff import DiffOptions, diff_to_json, render_diff
    from .diff import diff as run_diff

    text_a, text_b = _two_texts(a, b, result_dir)
    ops = run_diff(text_a, text_b, DiffOptions(ignore_case, ignore_punctuation, ignore_hyphenation))
    if as_json:
        click.echo(json.dumps({"a": a, "b": b, "ops": diff_to_json(ops)}, ensure_ascii=False, indent=1))
    else:
        render_diff(ops, text_a, text_b, out, context_words=context_words)


def _two_texts(a: str, b: str, result_dir: Path | None) -> tuple[str, str]:
    """Texts of two files, or of two document ids of a scan result."""
    if result_dir is None:
        texts = []
        for name in (a, b):
            path = Path(name)
            if not path.is_file():
                raise InputError(f"{name}: no such file (to compare documents of a scan, pass --in RESULT_DIR)")
            try:
                texts.append(path.read_bytes().decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise InputError(f"{name}: not valid UTF-8 ({exc})") from exc
        return texts[0], texts[1]
    from .report import load_texts

    found = load_texts(result_dir, {a, b})
    missing = [i for i in (a, b) if i not in found]
    if missing:
        raise InputError(f"{result_dir}: no document with id {', '.join(map(repr, missing))}")
    return found[a], found[b]


# registered last: cli_index imports the shared options from this module
from .cli_index import index_group, query_cmd, scan_index  # noqa: E402

main.add_command(index_group)
main.add_command(query_cmd)


if __name__ == "__main__":  # pragma: no cover
    main()
