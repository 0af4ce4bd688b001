"""One parity suite: the same cases on every engine, compared with a reference run.

The reference is the local engine on one worker, input in its given order. Every engine
(today: local with two workers and the input reversed; the Spark engine joins
``ENGINES``) must write byte-identical tables. Each case also pins what it is about, so a
change that breaks every engine alike still fails here.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import pytest

import retold
from retold.engines import LocalEngine
from retold.models import Document

from conftest import SEED_LONG, SEED_SHORT, SEEDS, edit_words, make_doc


def _spark() -> Any:
    from retold.engines.spark import SparkEngine

    return SparkEngine(master="local[2]", partitions=3)


#: engine factories under test; each gets the cases' documents in reversed order
ENGINES: dict[str, Callable[[], Any]] = {
    "local-2-workers": lambda: LocalEngine(workers=2),
    "spark-local-2": _spark,  # marked ``spark`` (PySpark: the ``spark`` extra)
}


def _seeds(_prose: list[str]) -> list[Document]:
    return [Document(p.name, p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt"))]


def _reprints(prose: list[str]) -> list[Document]:
    """Families of reprints, a brief, stories sharing one sentence, a shared footer, noise."""
    docs = []
    shared = " ".join(make_doc(prose, 90, 30).split()[:30])
    for s in range(4):
        article = make_doc(prose, 11 * s, 260) + "\n\n" + shared
        docs.append(Document(f"s{s}-orig", article, date=f"2024-01-0{s + 1}"))
        docs += [Document(f"s{s}-copy{k}", edit_words(article, 0.02 * k, 10 * s + k)) for k in range(1, 3)]
        docs.append(Document(f"s{s}-brief", " ".join(article.split()[:90])))
    docs += [Document(f"noise{i}", make_doc(prose, 60 + 3 * i, 150)) for i in range(6)]
    return docs


CASES: dict[str, Callable[[list[str]], list[Document]]] = {"seeds": _seeds, "reprints": _reprints}


def _tables(result: retold.ScanResult, out: Path) -> dict[str, bytes]:
    retold.write_result(result, out)
    summary = json.loads((out / "summary.json").read_text())
    summary.pop("timings_s")
    files = {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name != "summary.json"}
    return files | {"summary.json": json.dumps(summary, sort_keys=True).encode()}


@pytest.fixture(scope="module")
def reference(prose, tmp_path_factory) -> dict[str, tuple[retold.ScanResult, dict[str, bytes]]]:
    out = {}
    for name, make in CASES.items():
        res = retold.scan(_with_origins(make(prose)), engine=LocalEngine(workers=1))
        out[name] = (res, _tables(res, tmp_path_factory.mktemp(f"ref-{name}")))
    return out


def _with_origins(docs: list[Document]) -> list[Document]:
    """Origins that name the record, not its position, so input order cannot show in them."""
    return [replace(d, origin=f"case/{d.id}") for d in docs]


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("engine", [pytest.param(e, marks=pytest.mark.spark) if e.startswith("spark") else e
                                    for e in ENGINES])
def test_engine_writes_the_reference_tables(engine, case, prose, reference, tmp_path):
    docs = list(reversed(_with_origins(CASES[case](prose))))
    res = retold.scan(docs, engine=ENGINES[engine]())
    assert _tables(res, tmp_path) == reference[case][1]


def test_the_cases_are_about_what_they_say(reference):
    seeds, _ = reference["seeds"]
    assert [(p.a, p.b, p.relation) for p in seeds.pairs] == [(SEED_LONG, SEED_SHORT, "contains")]
    assert [c.members for c in seeds.clusters] == [(SEED_LONG, SEED_SHORT)]
    reprints, _ = reference["reprints"]
    # four stories, each one family; the shared sentence makes overlaps, never a merge
    assert sorted(c.members for c in reprints.clusters) == [
        tuple(sorted(f"s{s}-{v}" for v in ("orig", "copy1", "copy2", "brief"))) for s in range(4)]
    assert {p.relation for p in reprints.pairs if p.a[:2] != p.b[:2]} == {"overlap"}
