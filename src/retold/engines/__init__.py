"""Engines run the stages of :mod:`retold.engines.base` over the kernels of :mod:`retold.core`.

:func:`scan` is the library's entry point; ``engine`` picks where the work runs (the local
engine, or ``"spark"``: :mod:`retold.engines.spark`, imported only when asked for, giving
the same output).
"""

from __future__ import annotations

from retold.config import ReadConfig, ScanConfig
from retold.engines.base import Engine, run_stages, scan_with
from retold.engines.local import LocalEngine
from retold.errors import ConfigError
from retold.io.sources import Source
from retold.models import ScanResult
from retold.progress import Progress

#: engines by name
ENGINES = ("local", "spark")


def make_engine(name: str = "local", *, workers: int | None = None) -> Engine:
    """The engine called ``name`` (``"spark"`` needs ``pip install 'retold[spark]'``; it uses
    the active SparkSession, else starts one on ``local[workers or 2]``)."""
    if name == "local":
        return LocalEngine(workers)
    if name == "spark":
        from retold.engines.spark.session import require_pyspark

        require_pyspark()  # MissingDependency naming the extra, before anything else is imported
        from retold.engines.spark import SparkEngine

        return SparkEngine(master=f"local[{workers or 2}]")
    raise ConfigError(f"unknown engine {name!r}; choose from {list(ENGINES)}")


def scan(
    source: Source,
    *,
    config: ScanConfig = ScanConfig(),
    read: ReadConfig = ReadConfig(),
    workers: int | None = None,
    strict: bool = False,
    progress: Progress | None = None,
    align: bool = True,
    provenance: bool = False,
    engine: str | Engine = "local",
) -> ScanResult:
    """Find every pair of documents that share text, and the families of reprints.

    ``source``: a path, a list of paths (directories, .txt/.md, JSONL(.gz/.zst), CSV/TSV,
    Parquet), or an iterable of :class:`~retold.models.Document` or dicts with at least
    ``id`` and ``text``. With ``align`` (default) every pair carries its reused passages;
    with ``provenance`` every document its attributions, every pair a direction and every
    family a lineage (:mod:`retold.provenance`).
    Results do not depend on input order, ``workers`` or ``engine``.
    """
    eng = make_engine(engine, workers=workers) if isinstance(engine, str) else engine
    return scan_with(eng, source, config=config, read=read, strict=strict, progress=progress, align=align,
                     provenance=provenance)


__all__ = ["scan", "make_engine", "Engine", "LocalEngine", "run_stages", "ENGINES"]
