"""The ``retold`` command: a thin layer over the library (parse, one call, print)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import click

from retold import __version__
from retold.cli.common import (BarProgress, build_configs, err, fail_cleanly, field_options, input_options, out,
                         print_problems, print_summary, read_config)
from retold.cli.index import index_group, query_cmd, scan_index
from retold.config import KEEP_POLICIES, DedupConfig
from retold.errors import InputError
from retold.models import Problem
from retold.report.html import ReportInfo, render_report, render_result_dir

_DEDUP = DedupConfig()

#: exit codes of a command stopped by Ctrl-C and by SIGTERM (128 + the signal, as shells report)
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_TERMINATED = 128 + signal.SIGTERM


def _terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM: unwind like an error does (pools kill their workers, spill folders go,
    an index rolls back its open batch), then exit with 143."""
    raise SystemExit(EXIT_TERMINATED)


class _Main(click.Group):
    """The top-level group: SIGTERM runs the normal cleanup, Ctrl-C ends in one line.

    Worker processes ignore SIGINT (:func:`retold.engines.local.parallel.die_with_parent`),
    so the interrupt is this process's alone: after the cleanup that unwinding does, it
    prints ``interrupted`` on stderr and exits 130 (click would print ``Aborted!``, exit 1).
    """

    def invoke(self, ctx: click.Context) -> Any:
        main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        finally:
            if main_thread:
                signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
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
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write a self-contained HTML report here.")
@fail_cleanly
def scan(inputs: tuple[Path, ...], out_dir: Path, fmt: str, align: bool, db: Path | None, report_path: Path | None,
         **kw: Any) -> None:
    """Find every pair of documents that share text, and the families of reprints."""
    from retold.engines import scan as run_scan
    from retold.io.writers import write_result

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
    if report_path is not None:
        if db is not None:
            from retold.index import Index

            with Index.open(db, readonly=True) as index:
                needed = {i for p in result.pairs for i in (p.a, p.b)} | {m for c in result.clusters for m in c.members}
                _report_written(render_report(result, {i: index.text(i) for i in sorted(needed)}, report_path))
        else:
            _report_written(render_result_dir(out_dir, report_path, read=read_cfg, on_problem=_warn))
    if not kw["quiet"]:
        print_problems(result.problems)
        print_summary(result)
        out.print(f"wrote {', '.join(str(p) for p in paths.values())}", markup=False)


def _warn(problem: Problem) -> None:
    print_problems((problem,))


def _report_written(info: ReportInfo) -> None:
    err.print(f"report: {info.path} ({info.bytes / 1e6:.1f} MB, {info.pairs} pairs, {info.families} families"
              f"{f', {info.missing_texts} texts not found' if info.missing_texts else ''})", markup=False)


@main.command()
@click.argument("result_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--output", "report_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The HTML file to write.")
@field_options
@click.option("--title", default=None, help="The page title (default: from the directory name).")
@click.option("--page-size", type=click.IntRange(1), default=50, show_default=True, help="Pairs per page.")
@fail_cleanly
def report(result_dir: Path, report_path: Path, title: str | None, page_size: int, **kw: Any) -> None:
    """Write the HTML report of a scan result directory (texts re-read from their origins)."""
    _report_written(render_result_dir(result_dir, report_path, read=read_config(kw), title=title,
                                      page_size=page_size, on_problem=_warn))


@main.command()
@input_options
@click.option("--out", "out_path", type=click.Path(path_type=Path), required=True,
              help="File for the kept documents (.jsonl, .jsonl.gz or .parquet); removed.jsonl goes beside it.")
@click.option("--keep", type=click.Choice(KEEP_POLICIES), default=_DEDUP.keep, show_default=True,
              help="Which version of a family is kept first: the earliest dated, the longest, or the first read.")
@click.option("--min-coverage", type=click.FloatRange(0, 1, min_open=True), default=_DEDUP.min_coverage,
              show_default=True,
              help="A document is removed only if a kept one holds at least this share of its own text.")
@fail_cleanly
def dedup(inputs: tuple[Path, ...], out_path: Path, keep: str, min_coverage: float, **kw: Any) -> None:
    """Remove the documents that a kept version covers; say which one for each."""
    from retold.engines.dedup import dedup as run_dedup, removed_path, output_format

    if not inputs:
        raise click.UsageError("give at least one input")
    scan_cfg, read_cfg = build_configs(kw)
    policy = DedupConfig(keep=keep, min_coverage=min_coverage)
    with BarProgress(not kw["quiet"]) as bar:
        res = run_dedup(list(inputs), out_path, config=scan_cfg, keep=policy, read=read_cfg, workers=kw["workers"],
                        strict=kw["strict"], progress=bar)
    if not kw["quiet"]:
        print_problems(res.scan.problems)
        out.print(f"kept [bold]{len(res.kept)}[/bold] documents, removed [bold]{len(res.removed)}[/bold]; "
                  f"wrote {res.written} records to ", end="")
        out.print(f"{out_path} and {removed_path(out_path, output_format(out_path, list(inputs)))}", markup=False)


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
@fail_cleanly
def diff(a: str, b: str, result_dir: Path | None, ignore_case: bool, ignore_punctuation: bool,
         ignore_hyphenation: bool, context_words: int, as_json: bool) -> None:
    """Show what changed between two texts: substitutions, insertions, deletions, moves."""
    import json

    from retold.cli.render import render_diff
    from retold.core.diff import DiffOptions, diff_to_json
    from retold.core.diff import diff as run_diff

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
    from retold.io.results import load_texts

    found = load_texts(result_dir, {a, b})
    missing = [i for i in (a, b) if i not in found]
    if missing:
        raise InputError(f"{result_dir}: no document with id {', '.join(map(repr, missing))}")
    return found[a], found[b]


main.add_command(index_group)
main.add_command(query_cmd)


if __name__ == "__main__":  # pragma: no cover
    main()
