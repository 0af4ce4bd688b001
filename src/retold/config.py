"""Parameters of every stage, each a small frozen dataclass with its defaults written once.

The CLI and the library build a :class:`ScanConfig` and hand each stage only its part.
How the defaults were chosen is measured on the bench and written up in docs/method.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from retold.errors import ConfigError


def _check(cond: bool, message: str) -> None:
    if not cond:
        raise ConfigError(message)


@dataclass(frozen=True, slots=True)
class ShingleConfig:
    """How a document becomes a set of hashed word n-grams ("shingles").

    ``size`` words per shingle; ``min_tokens``: documents with fewer normalised tokens
    are "too short": counted and listed, never paired (see docs/method.md).
    """

    size: int = 5
    min_tokens: int = 20
    seed: int = 0

    def __post_init__(self) -> None:
        _check(1 <= self.size <= 16, f"shingle size must be 1..16, got {self.size}")
        _check(self.min_tokens >= self.size, f"min_tokens ({self.min_tokens}) must be >= shingle size ({self.size})")
        _check(0 <= self.seed < 2**63, f"seed must be in [0, 2**63), got {self.seed}")


@dataclass(frozen=True, slots=True)
class MinHashConfig:
    """MinHash signature and LSH banding (used to find large near-duplicate families)."""

    num_perm: int = 128
    bands: int = 32
    seed: int = 1
    #: buckets with more members than this are linked as a star (first member to each
    #: other) instead of all pairs, so one huge family cannot make the run quadratic.
    max_bucket: int = 200

    def __post_init__(self) -> None:
        _check(self.num_perm > 0, f"num_perm must be positive, got {self.num_perm}")
        _check(self.bands > 0 and self.num_perm % self.bands == 0,
               f"bands ({self.bands}) must divide num_perm ({self.num_perm})")
        _check(self.max_bucket >= 2, f"max_bucket must be >= 2, got {self.max_bucket}")

    @property
    def rows(self) -> int:
        return self.num_perm // self.bands


@dataclass(frozen=True, slots=True)
class CandidateConfig:
    """The shingle inverted index (passim-style) that proposes candidate pairs.

    ``max_df``: a shingle found in more documents than this is boilerplate: it neither
    proposes pairs nor counts towards passage reuse (it still counts in the exact scores).
    """

    max_df: int = 50

    def __post_init__(self) -> None:
        _check(self.max_df >= 2, f"max_df must be >= 2, got {self.max_df}")


@dataclass(frozen=True, slots=True)
class VerifyConfig:
    """When a verified pair is reported, and with which relation (see :mod:`retold.core.verify`).

    - a document is covered by the other when >= ``min_containment`` of its own words
      are found there (its word coverage: most of it is reused; one shared sentence or
      quote is not), or >= ``near_copy_containment`` of all its shingles;
    - both covered and shingle counts within ``duplicate_length_ratio``: ``duplicate``;
      one covered: ``contains``/``contained``;
    - otherwise, if they share >= ``min_shared`` non-boilerplate shingles: ``overlap``.
    """

    min_containment: float = 0.8
    near_copy_containment: float = 0.8
    duplicate_length_ratio: float = 0.85
    min_shared: int = 10

    def __post_init__(self) -> None:
        _check(0.0 < self.min_containment <= 1.0, f"min_containment must be in (0, 1], got {self.min_containment}")
        _check(0.0 < self.near_copy_containment <= 1.0,
               f"near_copy_containment must be in (0, 1], got {self.near_copy_containment}")
        _check(0.0 < self.duplicate_length_ratio <= 1.0,
               f"duplicate_length_ratio must be in (0, 1], got {self.duplicate_length_ratio}")
        _check(self.min_shared >= 1, f"min_shared must be >= 1, got {self.min_shared}")


@dataclass(frozen=True, slots=True)
class AlignConfig:
    """Parameters of passage alignment (all lengths in normalised tokens).

    - ``seed_size``: tokens per seed n-gram (3 keeps seeds dense under heavy editing);
    - ``max_seed_occurrences``: an n-gram found more often in either text is no seed;
    - ``max_gap``: the most tokens skipped on one side between two matched fragments
      of one passage;
    - ``max_shift``: the most the two skips may differ (tokens inserted or dropped
      inside a passage); a longer insertion, deletion or move splits the passage;
    - ``min_passage_tokens``: shorter passages (on either side) are not reported;
    - ``min_score``: passages less similar than this are chance matches, not reuse;
    - ``extend``: refine passage boundaries over edited words at both ends;
    - ``seed``: the token hash seed.
    """

    seed_size: int = 3
    max_seed_occurrences: int = 16
    max_gap: int = 20
    max_shift: int = 8
    min_passage_tokens: int = 10
    min_score: float = 0.5
    extend: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        _check(1 <= self.seed_size <= 16, f"seed_size must be 1..16, got {self.seed_size}")
        _check(self.max_seed_occurrences >= 1,
                 f"max_seed_occurrences must be >= 1, got {self.max_seed_occurrences}")
        _check(self.max_gap >= 0, f"max_gap must be >= 0, got {self.max_gap}")
        _check(0 <= self.max_shift <= self.max_gap,
                 f"max_shift must be in 0..max_gap ({self.max_gap}), got {self.max_shift}")
        _check(self.min_passage_tokens >= 1, f"min_passage_tokens must be >= 1, got {self.min_passage_tokens}")
        _check(0.0 <= self.min_score <= 1.0, f"min_score must be in [0, 1], got {self.min_score}")
        _check(0 <= self.seed < 2**63, f"seed must be in [0, 2**63), got {self.seed}")

    @property
    def min_chain_tokens(self) -> int:
        """Matched tokens below which a chain cannot become a passage (prunes noise early)."""
        return max(self.seed_size, self.min_passage_tokens // 2)


#: relations that join two documents into one family (cluster) by default
FAMILY_RELATIONS: tuple[str, ...] = ("duplicate", "contains", "contained")
RELATIONS: tuple[str, ...] = ("duplicate", "contains", "contained", "overlap")


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """Which relations join documents into families."""

    relations: tuple[str, ...] = FAMILY_RELATIONS

    def __post_init__(self) -> None:
        bad = [r for r in self.relations if r not in RELATIONS]
        _check(not bad, f"unknown relation(s) {bad}; choose from {list(RELATIONS)}")


#: which document of a family dedup keeps first (see :mod:`retold.families.dedup`)
KEEP_POLICIES: tuple[str, ...] = ("earliest", "longest", "first")


@dataclass(frozen=True, slots=True)
class DedupConfig:
    """What dedup keeps, and when a document may go.

    Members of a family are considered in ``keep`` order (``earliest``: by date, undated
    last, then longest, then id; ``longest``: most characters, then earliest, then id;
    ``first``: input order). A document is removed only when a kept document directly
    covers it: their verified pair shows >= ``min_coverage`` of the removed document's
    own (non-boilerplate) words in the kept one. Otherwise it is kept too.
    """

    keep: str = "earliest"
    min_coverage: float = 0.8

    def __post_init__(self) -> None:
        _check(self.keep in KEEP_POLICIES, f"unknown keep policy {self.keep!r}; choose from {list(KEEP_POLICIES)}")
        _check(0.0 < self.min_coverage <= 1.0, f"min_coverage must be in (0, 1], got {self.min_coverage}")


@dataclass(frozen=True, slots=True)
class ScanConfig:
    """Everything a scan needs, nested by stage."""

    shingle: ShingleConfig = field(default_factory=ShingleConfig)
    minhash: MinHashConfig = field(default_factory=MinHashConfig)
    candidates: CandidateConfig = field(default_factory=CandidateConfig)
    verify: VerifyConfig = field(default_factory=VerifyConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    align: AlignConfig = field(default_factory=AlignConfig)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ScanConfig":
        """Inverse of :meth:`to_dict` (used by the index to store its parameters)."""
        cl = dict(data.get("cluster", {}))
        if "relations" in cl:
            cl["relations"] = tuple(cl["relations"])
        return cls(
            shingle=ShingleConfig(**data.get("shingle", {})),
            minhash=MinHashConfig(**data.get("minhash", {})),
            candidates=CandidateConfig(**data.get("candidates", {})),
            verify=VerifyConfig(**data.get("verify", {})),
            cluster=ClusterConfig(**cl),
            align=AlignConfig(**data.get("align", {})),
        )


#: the default of :attr:`ReadConfig.max_doc_bytes`: 16 MiB, ~5 times the longest novels
#: (a document costs ~50 bytes of memory per byte of text while it is sketched)
DEFAULT_MAX_DOC_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ReadConfig:
    """How records are read: the names of the fields in JSONL/CSV/Parquet inputs, and
    ``max_doc_bytes``: a text file, JSON line or CSV row longer than this (in bytes as
    stored), or a text longer than this encoded as UTF-8, is skipped and reported
    "too_large" without being read whole, so one huge record cannot exhaust memory."""

    id_field: str = "id"
    text_field: str = "text"
    date_field: str = "date"
    source_field: str = "source"
    url_field: str = "url"
    title_field: str = "title"
    #: CSV delimiter; None means "," for .csv and tab for .tsv
    delimiter: str | None = None
    max_doc_bytes: int = DEFAULT_MAX_DOC_BYTES

    def __post_init__(self) -> None:
        _check(self.max_doc_bytes >= 1, f"max_doc_bytes must be >= 1, got {self.max_doc_bytes}")
