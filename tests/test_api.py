"""The public surface is small and pinned."""

import retold


def test_exported_names_are_pinned():
    assert sorted(retold.__all__) == sorted([
        "__version__", "scan", "dedup", "cluster", "write_result", "Index",
        "ScanConfig", "ShingleConfig", "MinHashConfig", "CandidateConfig", "VerifyConfig", "ClusterConfig", "DedupConfig",
        "ReadConfig", "Document", "DocInfo", "Pair", "PairTable", "Passage", "Cluster", "Problem", "ScanResult",
        "DedupResult", "Removal", "RetoldError", "InputError", "ConfigError", "IndexFormatError", "MissingDependency",
        "WorkerError",
    ])
    for name in retold.__all__:
        assert hasattr(retold, name), name


def test_config_validation_names_the_bad_value():
    import pytest

    with pytest.raises(retold.ConfigError, match="bands \\(5\\) must divide num_perm \\(128\\)"):
        retold.MinHashConfig(bands=5)
    with pytest.raises(ValueError, match="max_df must be >= 2, got 1"):
        retold.CandidateConfig(max_df=1)


def test_config_round_trips_through_dict():
    cfg = retold.ScanConfig()
    assert retold.ScanConfig.from_dict(cfg.to_dict()) == cfg
