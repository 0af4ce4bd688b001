"""The ``retold`` command: a thin layer over the library (parse, one call, print)."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import click

from retold import __version__
from rich.text import Text

from retold.cli.common import (EXIT_TROUBLE, BarProgress, build_configs, check_out_dir, check_out_file, err,
                               fail_cleanly, fail_cleanly_with, field_options, input_options, merge_problems, out,
                               plain, plural, print_problems, print_summary, read_config, require_documents,
                               resolve_inputs)
from retold.cli.index import check_index_parameters, index_group, query_cmd, scan_index
from retold.cli.serve import serve
from retold.config import KEEP_POLICIES, DedupConfig
from retold.errors import InputError
from retold.models import Problem
from retold.report.data import DIFF_LIMIT
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
    from retold.engines.local.parallel import tune_allocator

    tune_allocator()


_FORCE = click.option("--force", is_flag=True, help="Replace outputs that exist (refused otherwise, before any work).")


@main.command()
@input_options
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Directory for the result tables.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "parquet"]), default="jsonl", show_default=True, help="Table format.")
@click.option("--align/--no-align", default=True, show_default=True, help="Find the reused passages of every pair.")
@click.option("--provenance", is_flag=True,
              help="Also trace provenance: attributions in the documents table, direction in the pairs table, "
                   "origin and lineage in the clusters table.")
@click.option("--engine", type=click.Choice(["local", "spark"]), default="local", show_default=True,
              help="Where the stages run: this machine's worker processes, or Apache Spark "
                   "(pip install 'retold[spark]'; the active Spark session, else local[--workers]).")
@click.option("--db", type=click.Path(path_type=Path), default=None,
              help="Scan every document of this index instead of INPUTS (its stored parameters apply).")
@click.option("--report", "report_path", type=click.Path(path_type=Path), default=None,
              help="Also write a self-contained HTML report here.")
@_FORCE
@fail_cleanly
def scan(inputs: tuple[Path, ...], out_dir: Path, fmt: str, align: bool, provenance: bool, engine: str,
         db: Path | None, report_path: Path | None, force: bool, **kw: Any) -> None:
    """Find every pair of documents that share text, and the families of reprints.

    INPUTS: files, directories (a directory of .txt/.md files is a corpus, one of
    .jsonl/.json/.csv/.parquet shards a dataset), or - for JSON Lines on stdin.
    """
    from retold.engines import scan as run_scan
    from retold.io.writers import write_result

    if bool(inputs) == bool(db):
        raise click.UsageError("give INPUTS or --db (one of the two)")
    if db is not None and provenance:
        raise click.UsageError("--provenance needs INPUTS (an index scan does not trace provenance)")
    check_out_dir(out_dir, force)
    if report_path is not None:
        check_out_file(report_path, force, "the report")
    scan_cfg, read_cfg = build_configs(kw)
    early: list[Problem] = []
    if db is not None:
        check_index_parameters(db, "scan --db")
    else:
        source = resolve_inputs(inputs, kw["glob"], read_cfg, early)
        require_documents(source, read_cfg, early)
    with BarProgress(not kw["quiet"]) as bar:
        if db is not None:
            result = scan_index(db, align=align, workers=kw["workers"], progress=bar)
        else:
            result = merge_problems(run_scan(source, config=scan_cfg, read=read_cfg, workers=kw["workers"],
                                             strict=kw["strict"], progress=bar, align=align, provenance=provenance,
                                             engine=engine),
                                    early)
    paths = write_result(result, out_dir, fmt)
    if report_path is not None:
        if db is not None:
            from retold.index import Index

            with Index.open(db, readonly=True) as index:
                needed = result.linked_ids()
                _report_written(render_report(result, {i: index.text(i) for i in sorted(needed)}, report_path))
        else:
            with BarProgress(not kw["quiet"]) as bar:
                info = render_result_dir(out_dir, report_path, read=read_cfg, on_problem=_warn, progress=bar)
            _report_written(info)
    print_problems(result.problems)
    if not kw["quiet"]:
        print_summary(result)
        out.print(f"wrote {', '.join(str(p) for p in paths.values())}", markup=False, soft_wrap=True)


def _warn(problem: Problem) -> None:
    print_problems((problem,))


def _report_written(info: ReportInfo) -> None:
    missing = f", {plural(info.missing_texts, 'text')} not found" if info.missing_texts else ""
    err.print(f"report: {info.path} ({info.bytes / 1e6:.1f} MB, {plural(info.pairs, 'pair')}, "
              f"{plural(info.families, 'family', 'families')}{missing})", markup=False, soft_wrap=True)


@main.command()
@click.argument("result_dir", type=click.Path(path_type=Path))
@click.option("-o", "--output", "report_path", type=click.Path(path_type=Path), required=True,
              help="The HTML file to write.")
@field_options
@click.option("--title", default=None, help="The page title (default: from the directory name).")
@click.option("--page-size", type=click.IntRange(1), default=50, show_default=True, help="Pairs per page.")
@click.option("--diff-limit", type=click.IntRange(0), default=DIFF_LIMIT, show_default=True,
              help="Word changes are computed for this many pairs, the most similar first (0: none).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@_FORCE
@fail_cleanly
def report(result_dir: Path, report_path: Path, title: str | None, page_size: int, diff_limit: int, quiet: bool,
           force: bool, **kw: Any) -> None:
    """Write the HTML report of a scan result directory (texts re-read from their origins)."""
    check_result_dir(result_dir)
    check_out_file(report_path, force, "the report")
    with BarProgress(not quiet) as bar:
        info = render_result_dir(result_dir, report_path, read=read_config(kw), title=title, page_size=page_size,
                                 diff_limit=diff_limit, on_problem=_warn, progress=bar)
    _report_written(info)


def check_result_dir(path: Path) -> None:
    """Refuse, with one line, a RESULT_DIR that is not a scan result."""
    from retold.io.writers import SUMMARY

    if not path.exists():
        raise InputError(f"{path}: no such directory (give the --out directory of a scan)")
    if not path.is_dir():
        raise InputError(f"{path} is not a directory (give the --out directory of a scan)")
    if not (path / SUMMARY).is_file():
        raise InputError(f"{path} holds no scan result ({SUMMARY} missing; give the --out directory of a scan)")


@main.command()
@input_options
@click.option("--out", "out_path", type=click.Path(path_type=Path), required=True,
              help="File for the kept documents (.jsonl, .jsonl.gz or .parquet); removed.jsonl goes beside it.")
@click.option("--keep", type=click.Choice(KEEP_POLICIES), default=_DEDUP.keep, show_default=True,
              help="Which version of a family is kept first: the earliest dated, the longest, or the first read.")
@click.option("--min-coverage", type=click.FloatRange(0, 1, min_open=True), default=_DEDUP.min_coverage,
              show_default=True,
              help="A document is removed only if a kept one holds at least this share of its own text.")
@_FORCE
@fail_cleanly
def dedup(inputs: tuple[Path, ...], out_path: Path, keep: str, min_coverage: float, force: bool, **kw: Any) -> None:
    """Remove the documents that a kept version covers; say which one for each.

    The removals go to removed.jsonl (removed.parquet) beside --out; an existing output
    or removals file is refused unless --force, so a second dedup in the same folder
    never silently replaces the first one's removed.jsonl: give it another folder.
    """
    from retold.engines.dedup import dedup as run_dedup, removed_path, output_format

    scan_cfg, read_cfg = build_configs(kw)
    early: list[Problem] = []
    if not inputs:
        raise click.UsageError("give at least one input")
    source = resolve_inputs(inputs, kw["glob"], read_cfg, early)
    removals = removed_path(out_path, output_format(out_path, source))
    check_out_file(out_path, force, "the kept documents")
    check_out_file(removals, force, f"the removals of a dedup, written beside --out as {removals.name}")
    require_documents(source, read_cfg, early)
    policy = DedupConfig(keep=keep, min_coverage=min_coverage)
    with BarProgress(not kw["quiet"]) as bar:
        res = run_dedup(source, out_path, config=scan_cfg, keep=policy, read=read_cfg, workers=kw["workers"],
                        strict=kw["strict"], progress=bar)
    print_problems((*early, *res.scan.problems))
    if not kw["quiet"]:
        out.print(f"kept {plural(len(res.kept), 'document')}, removed {len(res.removed):,}; wrote "
                  f"{plural(res.written, 'record')} to {out_path} and {removals}", markup=False, soft_wrap=True)


@main.command()
@click.argument("a")
@click.argument("b")
@click.option("--in", "result_dir", type=click.Path(path_type=Path), default=None,
              help="A and B are document ids of this scan result (texts re-read from their origins).")
@click.option("--ignore-case/--no-ignore-case", default=True, show_default=True, help="Case differences are equal.")
@click.option("--ignore-punctuation/--no-ignore-punctuation", default=True, show_default=True,
              help="Punctuation differences are equal.")
@click.option("--ignore-hyphenation", is_flag=True, help="cease-fire = ceasefire, oil fields = oilfields.")
@click.option("--context", "context_words", type=click.IntRange(0), default=6, show_default=True,
              help="Unchanged words shown around each change.")
@click.option("--min-equal", type=click.IntRange(1), default=3, show_default=True,
              help="Fewer unchanged words than this between two changes are shown as part of one change "
                   "(1: show every matched word).")
@click.option("--marks/--colour", "marks", default=None,
              help="Mark changes in text, [-old-]{+new+} as `git diff --word-diff` (default when stdout is not a "
                   "terminal), or in colour (default on a terminal).")
@click.option("--json", "as_json", is_flag=True, help="Print the operations as JSON (with character offsets).")
@fail_cleanly_with(EXIT_TROUBLE)
def diff(a: str, b: str, result_dir: Path | None, ignore_case: bool, ignore_punctuation: bool,
         ignore_hyphenation: bool, context_words: int, min_equal: int, marks: bool | None, as_json: bool) -> None:
    """Show what changed between two texts: substitutions, insertions, deletions, moves,
    and the sources one credits that the other does not.

    Exit code 0 when the texts are equal, 1 when they differ, 2 on an error (as diff).
    """
    import json

    from retold.cli.render import render_diff
    from retold.core.diff import DiffOptions, diff_to_json
    from retold.core.diff import diff as run_diff

    text_a, text_b = _two_texts(a, b, result_dir)
    ops = run_diff(text_a, text_b, DiffOptions(ignore_case, ignore_punctuation, ignore_hyphenation,
                                               min_equal_tokens=min_equal))
    only_a, only_b = credited_difference(text_a, text_b)
    if as_json:
        click.echo(json.dumps({"a": a, "b": b, "ops": diff_to_json(ops),
                               "credited_only_in_a": only_a, "credited_only_in_b": only_b},
                              ensure_ascii=False, indent=1))
    else:
        render_diff(ops, text_a, text_b, out, context_words=context_words,
                    marks=not out.is_terminal if marks is None else marks)
        for side, names in (("A", only_a), ("B", only_b)):
            if names:
                out.print(Text.assemble(f"credited only in {side}: ", plain("; ".join(names))), soft_wrap=True)
    if any(op.op != "equal" for op in ops):
        sys.exit(1)


def credited_difference(text_a: str, text_b: str) -> tuple[list[str], list[str]]:
    """The sources credited (said, according to, a wire, a dateline) only in A, and only in B."""
    from retold.provenance.attributions import extract, link_acronyms, sources

    found_a, found_b = link_acronyms([text_a, text_b], [extract(text_a), extract(text_b)])
    sa, sb = sources(found_a), sources(found_b)
    return [sa[k] for k in sa if k not in sb], [sb[k] for k in sb if k not in sa]


def _two_texts(a: str, b: str, result_dir: Path | None) -> tuple[str, str]:
    """Texts of two files, or of two document ids of a scan result."""
    if result_dir is None:
        texts = []
        for name in (a, b):
            path = Path(name)
            if path.is_dir():
                raise InputError(f"{name} is a directory; diff compares two files (or two ids with --in RESULT_DIR)")
            if not path.is_file():
                raise InputError(f"{name}: no such file (to compare documents of a scan, pass --in RESULT_DIR)")
            try:
                texts.append(path.read_bytes().decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise InputError(f"{name}: not valid UTF-8 ({exc})") from exc
        return texts[0], texts[1]
    from retold.io.results import load_texts

    check_result_dir(result_dir)
    found = load_texts(result_dir, {a, b})
    missing = [i for i in (a, b) if i not in found]
    if missing:
        raise InputError(f"{result_dir}: no document with id {', '.join(map(repr, missing))}")
    return found[a], found[b]


main.add_command(index_group)
main.add_command(query_cmd)
main.add_command(serve)


if __name__ == "__main__":  # pragma: no cover
    main()
