"""Reading a scan result back (retold.io.results): both table formats, damaged tables,
and texts whose origins moved, changed or cannot be re-read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retold import scan
from retold.errors import InputError
from retold.io.results import load_documents, load_result, load_texts
from retold.io.writers import write_result
from retold.models import Problem


@pytest.fixture
def corpus(tmp_path: Path, seed_texts: dict[str, str]) -> Path:
    src = tmp_path / "articles"
    src.mkdir()
    for name, text in seed_texts.items():
        (src / name).write_text(text, encoding="utf-8")
    return src


def _scan(corpus: Path, out: Path, fmt: str = "jsonl") -> Path:
    write_result(scan(corpus, workers=1), out, fmt)
    return out


def test_a_parquet_result_reads_back_as_the_jsonl_one(tmp_path, corpus):
    pytest.importorskip("pyarrow")
    from_jsonl = load_result(_scan(corpus, tmp_path / "j"))
    from_parquet = load_result(_scan(corpus, tmp_path / "p", "parquet"))
    assert from_jsonl.pairs, "the two seed articles share text"
    assert [(p.a, p.b, p.relation, p.shared) for p in from_parquet.pairs] == \
        [(p.a, p.b, p.relation, p.shared) for p in from_jsonl.pairs]
    assert [d.id for d in from_parquet.documents] == [d.id for d in from_jsonl.documents]


def test_a_line_that_is_not_json_is_an_input_error_naming_the_line(tmp_path, corpus):
    out = _scan(corpus, tmp_path / "r")
    with open(out / "pairs.jsonl", "a", encoding="utf-8") as fh:
        fh.write("\n{not json\n")
    lines = (out / "pairs.jsonl").read_text(encoding="utf-8").count("\n")
    with pytest.raises(InputError, match=rf"pairs\.jsonl:{lines}: not valid JSON"):
        load_result(out)


def test_unreadable_parameters_in_the_summary_fall_back_to_the_defaults(tmp_path, corpus):
    from retold import ScanConfig

    out = _scan(corpus, tmp_path / "r")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    summary["parameters"] = {"shingle": {"no_such_parameter": 3}}
    (out / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    result = load_result(out)
    assert result.config == ScanConfig()
    assert result.pairs


def test_a_directory_without_a_documents_table_is_not_a_result(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="not a scan result directory"):
        load_result(tmp_path / "empty")


def _rewrite_origins(out: Path, change) -> None:
    table = out / "documents.jsonl"
    rows = [json.loads(line) for line in table.read_text(encoding="utf-8").splitlines() if line.strip()]
    for r in rows:
        r["origin"] = change(r["origin"])
    table.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_texts_come_back_from_their_files(tmp_path, corpus, seed_texts):
    out = _scan(corpus, tmp_path / "r")
    assert load_texts(out, seed_texts) == seed_texts


def test_a_moved_input_file_is_reported_and_left_out(tmp_path, corpus, seed_texts):
    out = _scan(corpus, tmp_path / "r")
    moved = min(seed_texts)
    (corpus / moved).rename(tmp_path / "elsewhere.txt")
    problems: list[Problem] = []
    found = load_texts(out, seed_texts, on_problem=problems.append)
    assert set(found) == set(seed_texts) - {moved}
    assert [p.message for p in problems] == [f"{moved}: input file {corpus / moved} not found"]


def test_an_input_file_changed_since_the_scan_is_left_out(tmp_path, corpus, seed_texts):
    out = _scan(corpus, tmp_path / "r")
    changed = sorted(seed_texts)[1]
    (corpus / changed).write_text(seed_texts[changed] + " And one more sentence.", encoding="utf-8")
    problems: list[Problem] = []
    found = load_texts(out, seed_texts, on_problem=problems.append)
    assert changed not in found and len(found) == len(seed_texts) - 1
    assert len(problems) == 1 and "has changed since the scan" in problems[0].message


def test_an_origin_that_names_no_readable_file_kind_is_reported(tmp_path, corpus, seed_texts):
    out = _scan(corpus, tmp_path / "r")
    _rewrite_origins(out, lambda o: o + ".unknown-kind")
    problems: list[Problem] = []
    assert load_texts(out, seed_texts, on_problem=problems.append) == {}
    assert len(problems) == len(seed_texts)
    assert all("cannot be re-read" in p.message for p in problems)


def test_a_record_missing_from_its_file_is_reported(tmp_path, seed_texts):
    data = tmp_path / "articles.jsonl"
    records = [{"id": name, "text": text} for name, text in sorted(seed_texts.items())]
    data.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = _scan(data, tmp_path / "r")
    docs = load_documents(out, seed_texts)
    assert {i: d.text for i, d in docs.items()} == seed_texts
    # the file now holds only its first record: the second one's line is gone
    data.write_text(json.dumps(records[0]) + "\n", encoding="utf-8")
    problems: list[Problem] = []
    found = load_texts(out, seed_texts, on_problem=problems.append)
    assert set(found) == {records[0]["id"]}
    assert [p.message for p in problems] == [f"{records[1]['id']}: not found in {data}"]
