"""Getting PySpark (optional: ``pip install 'retold[spark]'``) and a session."""

from __future__ import annotations

import os
import sys
from typing import Any

from retold.errors import MissingDependency

#: settings of a session this package starts itself (small: tests and one machine)
DEFAULT_CONF = {
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.python.worker.reuse": "true",
    "spark.ui.showConsoleProgress": "false",
}


def require_pyspark() -> Any:
    """The ``pyspark`` module, or :class:`~retold.errors.MissingDependency` saying what to install."""
    try:
        import pyspark
    except ImportError as exc:
        raise MissingDependency("the Spark engine needs PySpark: pip install 'retold[spark]'") from exc
    return pyspark


def get_session(master: str | None = "local[2]", conf: dict[str, str] | None = None) -> Any:
    """The active SparkSession, or a new one on ``master`` and ``conf`` (a ``local`` master also
    gets :data:`DEFAULT_CONF` and runs this interpreter in its workers; ``None``: the master
    and settings given by ``spark-submit``)."""
    require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.appName("retold")
    settings: dict[str, str] = {}
    if master:
        builder = builder.master(master)
        if master.startswith("local"):
            settings |= DEFAULT_CONF
            # executors of a local master run this interpreter (with retold importable)
            settings["spark.pyspark.python"] = sys.executable
            # and see this interpreter's packages even when a venv's symlinked python
            # is started by its resolved path
            settings["spark.executorEnv.PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
    for key, value in (settings | (conf or {})).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    if master and master.startswith("local"):
        session.sparkContext.setLogLevel("ERROR")
    return session
