"""Input readers: every format, field mapping, each problem kind, canonical order, round trips."""

from __future__ import annotations

import gzip
import json
import logging
import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retold.io import files, readers, records
from retold.config import ReadConfig
from retold.errors import InputError
from retold.models import PROBLEM_REASONS, Document, Problem
from retold.io.readers import InputFile, expand_inputs, read_documents
from retold.io.records import document_to_record, write_records

SEEDS = Path(__file__).resolve().parents[2] / "examples" / "news"


def read_all(inputs, config: ReadConfig = ReadConfig(), **kw) -> tuple[list[Document], list[Problem]]:
    problems: list[Problem] = []
    docs = list(read_documents(inputs, config, on_problem=problems.append, **kw))
    return docs, problems


def jsonl(*records) -> bytes:
    return b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in records)


# ---------------------------------------------------------------------------- text files


def test_seed_articles_read_byte_exact():
    docs, problems = read_all([SEEDS])
    files = sorted(SEEDS.glob("*.txt"))
    assert problems == [] and len(files) >= 2
    assert [d.id for d in docs] == [p.name for p in files]
    for d, p in zip(docs, files):
        assert d.text == p.read_bytes().decode("utf-8")
        assert d.origin == (str(p.relative_to(Path.cwd())) if p.is_relative_to(Path.cwd()) else str(p))


def test_directory_gives_relative_posix_ids_and_keeps_crlf(tmp_path):
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "a.txt").write_bytes(b"line one\r\nline two\r\n")
    (tmp_path / "sub" / "b.md").write_bytes(b"\xef\xbb\xbf# title\rold mac\n")
    (tmp_path / "sub" / "deeper" / "c.TXT").write_bytes(b"")
    (tmp_path / "sub" / "ignored.json").write_bytes(b"{}")
    docs, problems = read_all([tmp_path])
    assert problems == []
    by_id = {d.id: d for d in docs}
    assert list(by_id) == ["a.txt", "sub/b.md", "sub/deeper/c.TXT"]
    assert by_id["a.txt"].text == "line one\r\nline two\r\n"  # CRLF kept
    assert by_id["sub/b.md"].text == "# title\rold mac\n"  # BOM stripped, lone CR kept
    assert by_id["sub/deeper/c.TXT"].text == ""  # empty text is not a problem here
    assert by_id["sub/b.md"].origin == str(tmp_path / "sub" / "b.md")


def test_text_file_given_directly_has_its_name_as_id(tmp_path):
    (tmp_path / "d").mkdir()
    f = tmp_path / "d" / "note.txt"
    f.write_text("hello")
    [inp] = expand_inputs([f])
    assert inp == InputFile(f, tmp_path / "d", "text")
    docs, _ = read_all([f])
    assert [(d.id, d.text, d.origin) for d in docs] == [("note.txt", "hello", str(f))]


def test_file_listed_twice_or_also_inside_a_listed_directory_is_read_once(tmp_path):
    (tmp_path / "x.txt").write_text("x")
    rec = tmp_path / "r.jsonl"
    rec.write_bytes(jsonl({"id": "r", "text": "t"}))
    docs, problems = read_all([tmp_path / "x.txt", tmp_path, rec, str(rec)])
    assert problems == []
    assert [d.id for d in docs] == ["r", "x.txt"]


def test_relative_paths_are_kept_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    Path("in/a.jsonl").write_bytes(jsonl({"id": "a", "text": "t"}))
    [doc] = read_documents([tmp_path / "in" / "a.jsonl"])  # absolute under cwd -> relative
    assert doc.origin == "in/a.jsonl:1"


# ---------------------------------------------------------------------------- record formats


def test_jsonl_fields_meta_and_dates(tmp_path):
    f = tmp_path / "news.jsonl"
    f.write_bytes(jsonl(
        {"id": 7, "text": "seven", "date": "2024-03-01", "source": "wire", "url": "http://x", "title": "T",
         "lang": "en", "tags": ["a", "b"], "n": 1.5},
        {"id": "b", "text": "  ", "date": "2024-03-01T10:20:30Z", "source": ""},
        {"id": "c", "text": "c", "date": "20240301"},
        {"id": "d", "text": "d", "date": "2024-03-01 10:20:30+02:00", "extra": None},
    ))
    docs, problems = read_all([f])
    assert problems == []
    a, b, c, d = docs
    assert a == Document("7", "seven", "2024-03-01", "wire", "http://x", "T", f"{f}:1",
                         {"lang": "en", "tags": ["a", "b"], "n": 1.5})
    assert (b.text, b.date, b.source, b.origin) == ("  ", "2024-03-01T10:20:30+00:00", None, f"{f}:2")
    assert c.date == "2024-03-01"
    assert d.date == "2024-03-01T10:20:30+02:00" and d.meta == {"extra": None}


def test_field_mapping(tmp_path):
    f = tmp_path / "m.jsonl"
    f.write_bytes(jsonl({"doc": "x1", "body": "B", "when": "2020-01-01", "pub": "P", "link": "L", "head": "H",
                         "id": "other", "text": "not the text"}))
    cfg = ReadConfig(id_field="doc", text_field="body", date_field="when", source_field="pub",
                     url_field="link", title_field="head")
    [doc], problems = read_all([f], cfg)
    assert problems == []
    assert (doc.id, doc.text, doc.date, doc.source, doc.url, doc.title) == ("x1", "B", "2020-01-01", "P", "L", "H")
    assert doc.meta == {"id": "other", "text": "not the text"}
    # the writer's record keeps the document's own id/text, not the clashing meta keys
    assert document_to_record(doc) == {"id": "x1", "text": "B", "date": "2020-01-01", "source": "P", "url": "L",
                                       "title": "H"}


@pytest.mark.parametrize("name", ["c.jsonl.gz", "c.jsonl.zst", "c.ndjson", "C.JSONL"])
def test_compressed_and_alternative_jsonl_names(tmp_path, name):
    data = jsonl(*({"id": f"d{i}", "text": f"text é {i}"} for i in range(50)))
    if name.endswith(".gz"):
        data = gzip.compress(data)
    elif name.endswith(".zst"):
        data = zstandard.ZstdCompressor().compress(data)
    (tmp_path / name).write_bytes(data)
    docs, problems = read_all([tmp_path / name])
    assert problems == []
    assert [(d.id, d.text) for d in docs] == [(f"d{i}", f"text é {i}") for i in range(50)]
    assert docs[49].origin == f"{tmp_path / name}:50"


def test_csv_embedded_newlines_quotes_and_start_lines(tmp_path):
    f = tmp_path / "t.csv"
    f.write_bytes(b'\xef\xbb\xbfid,text,date,lang\r\n'
                  b'a,"two\r\nlines, with ""quotes""",2021-05-06,en\r\n'
                  b'\r\n'
                  b'b,plain,,fr\r\n'
                  + b'c,"' + b"x" * 300_000 + b'",,de\r\n')  # longer than csv's default field limit
    docs, problems = read_all([f])
    assert problems == []
    assert [d.id for d in docs] == ["a", "b", "c"]
    assert docs[0].text == 'two\r\nlines, with "quotes"'
    assert docs[0].date == "2021-05-06" and docs[0].meta == {"lang": "en"}
    assert docs[1].date is None  # an empty CSV cell is no date, not a bad one
    assert [d.origin for d in docs] == [f"{f}:2", f"{f}:5", f"{f}:6"]
    assert len(docs[2].text) == 300_000


def test_tsv_and_configured_delimiter(tmp_path):
    (tmp_path / "t.tsv").write_text("id\ttext\nt1\thas, commas; and semis\n", encoding="utf-8")
    (tmp_path / "s.csv").write_text("id;text\ns1;semi, colon\n", encoding="utf-8")
    docs, problems = read_all([tmp_path / "t.tsv"])
    assert problems == [] and [(d.id, d.text) for d in docs] == [("t1", "has, commas; and semis")]
    docs, problems = read_all([tmp_path / "s.csv"], ReadConfig(delimiter=";"))
    assert problems == [] and [(d.id, d.text) for d in docs] == [("s1", "semi, colon")]


def write_parquet(path: Path, n: int, row_group_size: int, **kw) -> None:
    table = pa.table({"id": [f"p{i:02d}" for i in range(n)], "text": [f"row {i} text" for i in range(n)],
                      "date": pa.array([None] * n, pa.string()), "score": list(range(n))})
    pq.write_table(table, path, row_group_size=row_group_size, **kw)


def test_parquet_streams_row_groups_with_iter_batches(tmp_path, monkeypatch):
    f = tmp_path / "p.parquet"
    write_parquet(f, 10, row_group_size=4)
    assert pq.ParquetFile(f).num_row_groups == 3
    calls: list[list[int]] = []
    real = pq.ParquetFile.iter_batches

    def spy(self, *args, **kw):
        calls.append(list(kw.get("row_groups") or []))
        return real(self, *args, **kw)

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy)
    monkeypatch.setattr(pq, "read_table", lambda *a, **k: pytest.fail("whole-file read_table used"))
    monkeypatch.setattr(readers, "PARQUET_BATCH_ROWS", 3)  # batches that straddle row-group boundaries
    docs, problems = read_all([f])
    assert problems == []
    assert calls == [[0], [1], [2]]
    assert [d.id for d in docs] == [f"p{i:02d}" for i in range(10)]
    assert [d.origin for d in docs] == [f"{f}#{i}" for i in range(10)]
    assert docs[9].meta == {"score": 9} and docs[9].date is None


def test_corrupt_parquet_row_group_is_reported_and_the_others_read(tmp_path):
    f = tmp_path / "c.parquet"
    write_parquet(f, 6, row_group_size=3, compression="none", use_dictionary=False)
    col = pq.ParquetFile(f).metadata.row_group(0).column(1)  # text column of the first row group
    data = bytearray(f.read_bytes())
    data[col.data_page_offset:col.data_page_offset + col.total_compressed_size] = b"\xff" * col.total_compressed_size
    f.write_bytes(data)
    docs, problems = read_all([f])
    assert [d.id for d in docs] == ["p03", "p04", "p05"]
    assert [d.origin for d in docs] == [f"{f}#3", f"{f}#4", f"{f}#5"]
    [p] = problems
    assert p.reason == "unreadable" and str(f) in p.message and "row group 0" in p.message


def test_parquet_typed_columns_become_json_compatible_meta(tmp_path):
    import datetime as dt
    import decimal

    f = tmp_path / "typed.parquet"
    pq.write_table(pa.table({
        "id": pa.array([1, 2], pa.int64()), "text": ["a", "b"],
        "date": pa.array([dt.date(2020, 1, 2), None], pa.date32()),
        "seen": pa.array([dt.datetime(2020, 1, 2, 3, 4, 5), None], pa.timestamp("s")),
        "price": pa.array([decimal.Decimal("1.50"), None], pa.decimal128(5, 2)),
        "blob": pa.array([b"raw", None], pa.binary()),
        "nested": [{"k": [1, 2]}, None],
    }), f)
    docs, problems = read_all([f])
    assert problems == []
    assert [(d.id, d.date) for d in docs] == [("1", "2020-01-02"), ("2", None)]
    assert docs[0].meta == {"seen": "2020-01-02T03:04:05", "price": "1.50", "blob": "raw", "nested": {"k": [1, 2]}}
    json.dumps(docs[0].meta)  # JSON-compatible


def test_record_to_document_rejects_ids_that_are_not_strings_or_ints():
    problems: list[Problem] = []
    for bad_id in (1.5, True, ["x"]):
        assert readers.record_to_document({"id": bad_id, "text": "t"}, ReadConfig(), "<o>", problems.append) is None
    assert [p.reason for p in problems] == ["bad_record"] * 3


# ---------------------------------------------------------------------------- problems


def test_problem_reasons_are_the_known_ones():
    assert {"unreadable", "not_utf8", "bad_record", "no_text", "no_id", "duplicate_id", "too_large",
            "bad_date"} <= set(PROBLEM_REASONS)


def test_csv_is_strict_about_quotes(tmp_path):
    """Text after a closing quote, or a quote still open at the end, is reported with its lines."""
    f = tmp_path / "q.csv"
    f.write_bytes(b'id,text\na,"quoted" tail\nb,fine\nc,"open\nd,x\n')
    docs, problems = read_all([f])
    assert [d.id for d in docs] == ["b"]
    assert [(p.origin, p.reason) for p in problems] == [(f"{f}:2", "bad_record"), (f"{f}:4", "bad_record")]
    assert "',' expected after '\"'" in problems[0].message and "(lines" not in problems[0].message
    assert "never closed" in problems[1].message and "(lines 4-5)" in problems[1].message


def test_record_surrogates_name_the_field_and_skip_the_record():
    problems: list[Problem] = []
    for record in ({"id": "a", "text": "t\ud800"}, {"id": "b", "text": "t", "meta": {"k": ["ok", "\udc00"]}},
                   {"id": "c", "text": "t", "x": "\U0001f600 fine"}, {"id": "d", "text": "t", "k\udfff": 1},
                   {"id": "e", "text": "t", 7: "\ud801"}):
        readers.record_to_document(record, ReadConfig(), "o", problems.append)
    assert [(p.reason, p.message.split(" has")[0]) for p in problems] == [
        ("not_utf8", "field 'text'"), ("not_utf8", "field 'meta.k[1]'"), ("not_utf8", "field 'k\\udfff'"),
        ("not_utf8", "field '7'")]


def test_only_regular_files_are_opened(tmp_path):
    (tmp_path / "f.txt").write_text("x")
    with readers.open_regular(tmp_path / "f.txt") as f:
        assert f.read() == b"x"
    with pytest.raises(files.NotRegularFileError, match="is a directory"):
        readers.open_regular(tmp_path)
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "p.txt")
        with pytest.raises(files.NotRegularFileError, match="FIFO"):  # at once: opened non-blocking
            readers.open_regular(tmp_path / "p.txt")


def test_every_record_problem_is_reported_and_the_rest_read(tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_bytes(jsonl(
        {"id": "ok1", "text": "fine"},              # 1
        b'{"id": "x", "text": "broken',             # 2 bad_record (JSON)
        b"[1, 2]",                                  # 3 bad_record (not an object)
        b'{"id": "u", "text": "caf\xe9"}',          # 4 not_utf8
        {"id": "nt"},                               # 5 no_text (missing)
        {"id": "nt2", "text": None},                # 6 no_text (null)
        {"id": "nt3", "text": 3},                   # 7 no_text (not a string)
        {"text": "no id"},                          # 8 no_id (missing)
        {"id": "", "text": "empty id"},             # 9 no_id (empty)
        {"id": "ok1", "text": "again"},             # 10 duplicate_id
        {"id": "bd", "text": "kept", "date": "last Tuesday"},  # 11 bad_date, kept
        b'{"id": "sur", "text": "\\ud800"}',        # 12 not_utf8 (lone surrogate escape)
        b"",                                        # 13 blank: skipped silently
        {"id": "ok2", "text": "the end"},           # 14
    ))
    docs, problems = read_all([f])
    assert [(d.id, d.text, d.date) for d in docs] == [("ok1", "fine", None), ("bd", "kept", None),
                                                      ("ok2", "the end", None)]
    expected = [(2, "bad_record"), (3, "bad_record"), (4, "not_utf8"), (5, "no_text"), (6, "no_text"),
                (7, "no_text"), (8, "no_id"), (9, "no_id"), (10, "duplicate_id"), (11, "bad_date"), (12, "not_utf8")]
    assert [(int(p.origin.rsplit(":", 1)[1]), p.reason) for p in problems] == expected
    for p, (line, _) in zip(problems, expected):
        assert p.origin == f"{f}:{line}"
        assert f"bad.jsonl:{line}" in p.message, p.message  # file and line named in the message
    dup = problems[8]
    assert f"{f}:1" in dup.message and f"{f}:10" in dup.message  # both origins


def test_csv_problems(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_bytes(b"id,text\n"
                  b"a,ok\n"
                  b"b,caf\xe9\n"            # 3 not_utf8
                  b"c,too,many\n"          # 4 bad_record
                  b',"no id"\n'            # 5 no_id
                  b'd,"multi\nline"\n'     # 6
                  b"e,last\n")
    docs, problems = read_all([f])
    assert [(d.id, d.origin) for d in docs] == [("a", f"{f}:2"), ("d", f"{f}:6"), ("e", f"{f}:8")]
    assert [(p.origin, p.reason) for p in problems] == [(f"{f}:3", "not_utf8"), (f"{f}:4", "bad_record"),
                                                         (f"{f}:5", "no_id")]
    assert all("bad.csv:" in p.message for p in problems)


def test_csv_without_the_text_column_says_which_fields_exist(tmp_path):
    f = tmp_path / "cols.csv"
    f.write_text("id,body\na,x\n")
    _, [p] = read_all([f])
    assert p.reason == "no_text" and "'text'" in p.message and "body" in p.message and "cols.csv:2" in p.message


def test_text_file_not_utf8_is_skipped_whole(tmp_path):
    (tmp_path / "good.txt").write_text("good")
    (tmp_path / "latin1.txt").write_bytes(b"first line\ncaf\xe9\n")
    docs, [p] = read_all([tmp_path])
    assert [d.id for d in docs] == ["good.txt"]
    assert p.reason == "not_utf8" and "latin1.txt" in p.message and "line 2" in p.message


@pytest.mark.parametrize("kind", ["gz", "zst", "parquet", "dir"])
def test_unreadable_file_is_reported_and_the_batch_continues(tmp_path, kind):
    good = tmp_path / "good.jsonl"
    good.write_bytes(jsonl({"id": "g", "text": "good"}))
    if kind == "gz":
        bad = tmp_path / "bad.jsonl.gz"
        bad.write_bytes(b"this is not gzip data at all")
    elif kind == "zst":
        bad = tmp_path / "bad.jsonl.zst"
        bad.write_bytes(b"this is not zstd data at all")
    elif kind == "parquet":
        bad = tmp_path / "bad.parquet"
        bad.write_bytes(b"PAR1 this is not parquet")
    else:
        bad = tmp_path / "bad.jsonl"
        bad.mkdir()  # a directory where a file was expected
    inputs = [good, InputFile(bad, None, "jsonl")] if kind == "dir" else [good, bad]
    docs, problems = read_all(inputs)
    assert [d.id for d in docs] == ["g"]
    assert [p.reason for p in problems] == ["unreadable"]
    assert "bad" in problems[0].message and problems[0].origin == str(bad)


def test_truncated_gzip_keeps_what_was_read(tmp_path):
    f = tmp_path / "t.jsonl.gz"
    data = gzip.compress(jsonl(*({"id": str(i), "text": "word " * 50 + str(i)} for i in range(2000))))
    f.write_bytes(data[: len(data) // 2])
    docs, problems = read_all([f])
    assert 0 < len(docs) < 2000 and [d.id for d in docs] == [str(i) for i in range(len(docs))]
    assert problems[-1].reason == "unreadable" and "t.jsonl.gz" in problems[-1].message


def test_permission_errors_simulated_are_unreadable(tmp_path, monkeypatch):
    """The same as above, runnable as root: the OS calls themselves fail."""
    (tmp_path / "ok.txt").write_text("ok")
    (tmp_path / "locked.txt").write_text("secret")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "hidden.txt").write_text("x")
    real_open, real_scandir = os.open, os.scandir

    def os_open(path, flags, *args, **kw):
        if Path(path).name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kw)

    def scandir(path="."):
        if Path(path).name == "sub":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(os, "scandir", scandir)
    docs, problems = read_all([tmp_path])
    assert [d.id for d in docs] == ["ok.txt"]
    assert [(p.reason, Path(p.origin).name) for p in problems] == [("unreadable", "sub"), ("unreadable", "locked.txt")]
    assert all("Permission denied" in p.message for p in problems)


def test_strict_mode_raises_on_the_first_problem(tmp_path):
    f = tmp_path / "s.jsonl"
    f.write_bytes(jsonl({"id": "a", "text": "a"}, {"id": "b", "date": "never", "text": "b"}, {"id": "c"}))
    it = read_documents([f], strict=True)
    assert next(it).id == "a"
    with pytest.raises(InputError, match=r"not ISO 8601.*s\.jsonl:2"):
        next(it)


def test_without_a_callback_problems_are_logged(tmp_path, caplog):
    f = tmp_path / "w.jsonl"
    f.write_bytes(jsonl({"id": "a"}, {"id": "b", "text": "b"}))
    with caplog.at_level(logging.WARNING, logger="retold.io.readers"):
        docs = list(read_documents([f]))
    assert [d.id for d in docs] == ["b"]
    assert "w.jsonl:1" in caplog.text and "text field" in caplog.text


# ---------------------------------------------------------------------------- inputs and order


def test_missing_path_and_unknown_extension_raise(tmp_path):
    with pytest.raises(InputError, match="nope.jsonl"):
        expand_inputs([tmp_path / "nope.jsonl"])
    (tmp_path / "data.xml").write_text("<a/>")
    with pytest.raises(InputError, match="data.xml"):
        read_documents([tmp_path / "data.xml"])  # raised when called, before iterating


def test_canonical_order_does_not_depend_on_the_input_order(tmp_path):
    (tmp_path / "texts" / "z").mkdir(parents=True)
    (tmp_path / "texts" / "b.txt").write_text("b")
    (tmp_path / "texts" / "z" / "a.txt").write_text("a")
    (tmp_path / "one.jsonl").write_bytes(jsonl({"id": "j1", "text": "1"}, {"id": "shared", "text": "first"}))
    (tmp_path / "two.csv").write_text("id,text\nc1,x\nshared,second\n")
    write_parquet(tmp_path / "three.parquet", 3, row_group_size=2)
    inputs = [tmp_path / "two.csv", tmp_path / "texts", tmp_path / "three.parquet", tmp_path / "one.jsonl"]
    forward, pf = read_all(inputs)
    backward, pb = read_all(list(reversed(inputs)))
    assert forward == backward and pf == pb
    assert [f.path.name for f in expand_inputs(inputs)] == ["one.jsonl", "three.parquet", "two.csv", "b.txt", "a.txt"]
    assert [p.reason for p in pf] == ["duplicate_id"]  # the same id is always the one kept
    assert next(d for d in forward if d.id == "shared").text == "first"


def test_input_files_may_be_given_directly(tmp_path):
    (tmp_path / "b.jsonl").write_bytes(jsonl({"id": "b", "text": "b"}))
    (tmp_path / "a.txt").write_text("a")
    files = [InputFile(tmp_path / "b.jsonl", None, "jsonl"), InputFile(tmp_path / "a.txt", tmp_path, "text")]
    docs, _ = read_all(files)
    assert [d.id for d in docs] == ["b", "a.txt"]
    with pytest.raises(InputError):
        InputFile(tmp_path / "a.txt", None, "xml")


# ---------------------------------------------------------------------------- writing


def test_document_to_record_omits_none_fields():
    doc = Document("i", "t", None, "s", None, None, "o", {"k": 1})
    assert document_to_record(doc) == {"id": "i", "text": "t", "source": "s", "k": 1}


def test_write_records_jsonl_gz_is_reproducible_and_readable(tmp_path):
    recs = [{"id": "a", "text": "é\u2028x", "n": 1}, {"id": "b", "text": "b"}]
    assert write_records(recs, tmp_path / "o1.jsonl.gz", "jsonl") == 2
    assert write_records(recs, tmp_path / "o2.jsonl.gz", "jsonl") == 2
    assert (tmp_path / "o1.jsonl.gz").read_bytes() == (tmp_path / "o2.jsonl.gz").read_bytes()
    raw = gzip.decompress((tmp_path / "o1.jsonl.gz").read_bytes()).decode("utf-8")
    assert raw.split("\n")[0] == '{"id": "a", "text": "é\u2028x", "n": 1}'  # ensure_ascii=False
    docs, problems = read_all([tmp_path / "o1.jsonl.gz"])
    assert problems == [] and [document_to_record(d) for d in docs] == recs


def test_write_records_parquet_in_batches_with_types(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(records, "WRITE_BATCH_ROWS", 4)
    recs = [{"id": f"r{i}", "text": f"t{i}", "n": i, "x": i / 2, "ok": i % 2 == 0, "tags": ["a", i]}
            for i in range(10)]
    recs[7]["late"] = "dropped"
    recs[8]["n"] = "not an int"
    out = tmp_path / "o.parquet"
    with caplog.at_level(logging.WARNING, logger="retold.io.records"):
        assert write_records(iter(recs), out, "parquet") == 10
    pf = pq.ParquetFile(out)
    assert pf.num_row_groups == 3
    schema = pf.schema_arrow
    assert [(f.name, str(f.type)) for f in schema] == [("id", "string"), ("text", "string"), ("n", "int64"),
                                                       ("x", "double"), ("ok", "bool"), ("tags", "string")]
    docs, problems = read_all([out])
    assert problems == [] and [d.id for d in docs] == [f"r{i}" for i in range(10)]
    assert docs[3].meta == {"n": 3, "x": 1.5, "ok": False, "tags": '["a", 3]'}
    assert docs[8].meta["n"] is None
    assert "late" in caplog.text and "not an int" in caplog.text


def test_write_records_parquet_with_no_records(tmp_path):
    assert write_records([], tmp_path / "e.parquet", "parquet") == 0
    assert read_all([tmp_path / "e.parquet"]) == ([], [])


_ids = st.text(min_size=1, max_size=20).filter(lambda s: s.strip() != "")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(st.tuples(_ids, st.text(max_size=200)), max_size=20, unique_by=lambda r: r[0]),
       name=st.sampled_from(["r.jsonl", "r.jsonl.gz", "r.jsonl.zst", "r.parquet"]))
def test_write_then_read_round_trips_ids_and_texts(records, name):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        fmt = "parquet" if name.endswith(".parquet") else "jsonl"
        assert write_records(({"id": i, "text": t} for i, t in records), path, fmt) == len(records)
        docs, problems = read_all([path])
    assert problems == []
    assert [(d.id, d.text) for d in docs] == records


_KEYS = st.sampled_from(["id", "text", "date", "source", "title", "url", "extra", "é"])
_VALUES = st.one_of(
    st.text(max_size=12).map(lambda s: json.dumps(s, ensure_ascii=False)),
    st.text(max_size=12).map(json.dumps),
    st.sampled_from(['"\\ud800"', '"a\\udc00b"', '"\\ud83d\\ude00"', "NaN", "-Infinity", "1e400", "1.5", "-0",
                     "null", "true", "false", '"2024-01-02"', '"not a date"', "[1, {\"a\": 2}]", '{"b": "c"}']),
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1]).map(str),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_KEYS, _VALUES), max_size=8), st.sampled_from(["", "\ufeff", " ", "\r"]), st.integers(1, 2))
def test_the_fast_json_path_reads_a_line_as_the_general_one(fields, affix, n) -> None:
    """Every line (duplicate keys, lone surrogates, NaN, integers past 64 bits, nested values,
    a byte-order mark, blank lines) gives the same document and problems through the fast
    parser as through :mod:`json`."""
    body = "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in fields) + "}"
    raw = ((affix + body) if affix == "\ufeff" else (body + affix)).encode("utf-8", "surrogatepass")
    config = ReadConfig()
    fast: list[Problem] = []
    general: list[Problem] = []
    got = readers._jsonl_record(raw, "f.jsonl", n, general.append)
    expected = None if got is None else readers.record_to_document(got[1], config, got[0], general.append)
    assert readers._jsonl_document(raw, "f.jsonl", n, config, fast.append) == expected
    assert fast == general


def test_the_fast_json_path_takes_flat_records_and_leaves_the_rest() -> None:
    assert readers._plain_object(b'{"id": "a", "text": "b\\u00e9", "n": 18446744073709551615, "x": null}') == {
        "id": "a", "text": "b\u00e9", "n": 2**64 - 1, "x": None}
    for line in (b'{"n": 18446744073709551616}', b'{"x": [1]}', b'{"s": "\\ud800"}', b"[1]", b"", b'{"f": NaN}',
                 b"\xef\xbb\xbf{}", b'{"t": "\xff"}'):
        assert readers._plain_object(line) is None, line
