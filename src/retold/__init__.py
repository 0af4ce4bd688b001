"""retold: find where text has been retold.

The library is the product; the ``retold`` command and the web UI are thin layers over
these names::

    import retold
    result = retold.scan(["news/"])          # pairs, families, counts
    retold.write_result(result, "result/")   # the tables of docs/formats.md
    retold.dedup(["news.jsonl"], "deduped.jsonl")
    with retold.Index.open("news.retold", create=True) as index:   # persistent, incremental
        index.add(["today.jsonl"])
        matches = index.query("a suspicious text ...")
"""

__version__ = "0.1.0"

from retold.families import cluster
from retold.config import (
    CandidateConfig,
    ClusterConfig,
    DedupConfig,
    MinHashConfig,
    ReadConfig,
    ScanConfig,
    ShingleConfig,
    VerifyConfig,
)
from retold.engines.dedup import DedupResult, dedup
from retold.families import Removal
from retold.errors import ConfigError, IndexFormatError, InputError, MissingDependency, RetoldError, WorkerError
from retold.index import Index
from retold.models import Cluster, DocInfo, Document, Pair, PairTable, Passage, Problem, ScanResult
from retold.engines import scan
from retold.io.writers import write_result

__all__ = [
    "__version__",
    "scan",
    "dedup",
    "cluster",
    "write_result",
    "Index",
    "ScanConfig",
    "ShingleConfig",
    "MinHashConfig",
    "CandidateConfig",
    "VerifyConfig",
    "ClusterConfig",
    "DedupConfig",
    "ReadConfig",
    "Document",
    "DocInfo",
    "Pair",
    "PairTable",
    "Passage",
    "Cluster",
    "Problem",
    "ScanResult",
    "DedupResult",
    "Removal",
    "RetoldError",
    "InputError",
    "ConfigError",
    "IndexFormatError",
    "MissingDependency",
    "WorkerError",
]
