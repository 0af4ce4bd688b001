"""Attributions: the seeds' credits, acronym linking, and the rules on the hand-labelled set."""

from __future__ import annotations

import json
from pathlib import Path

from retold.provenance.attributions import extract, link_acronyms, score, sources

from conftest import SEED_LONG, SEED_SHORT

LABELLED = Path(__file__).resolve().parents[1] / "data" / "attributions.jsonl"


def test_the_seeds_credit_what_their_texts_say(seed_texts):
    long, short = seed_texts[SEED_LONG], seed_texts[SEED_SHORT]
    found = link_acronyms([long, short], [extract(long), extract(short)])
    for text, attrs in zip((long, short), found):
        assert all(text[a.start : a.end] == a.source for a in attrs)  # spans slice the original
    keys = [set(sources(attrs)) for attrs in found]
    assert "press tv" in keys[1] and "press tv" not in keys[0]  # 001 credits Press TV, 000 does not
    assert "sana" in keys[0] and "sana" in keys[1]
    sohr = "syrian observatory for human rights"
    assert sohr in keys[0] and sohr in keys[1]
    # 000 also writes it "SOHR": linked to the expansion, in its own text and across the family
    acronyms = [a for a in found[0] if a.source.startswith("SOHR")]
    assert len(acronyms) == 2 and {a.key for a in acronyms} == {sohr}


def test_acronyms_link_across_documents_by_initials():
    a = "The Syrian Observatory for Human Rights said on Monday that the convoy was stopped."
    b = "SOHR reported that a convoy of forty trucks crossed the border on Tuesday night."
    found = link_acronyms([a, b], [extract(a), extract(b)])
    assert [x.key for x in found[1]] == ["syrian observatory for human rights"]
    assert [x.key for x in extract(b)] == ["sohr"]  # alone, nothing to link to


def test_pronouns_and_events_are_not_sources():
    text = "He said the fire was out. Officials announced new sanctions on Monday. Police said two men were held."
    assert [(a.source, a.cue) for a in extract(text)] == [("Police", "said")]


def test_precision_and_recall_on_the_labelled_news_set():
    found_n = labelled_n = hits = 0
    for line in LABELLED.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        found = [(a.start, a.end) for a in extract(rec["text"])]
        gold = [(s["start"], s["end"]) for s in rec["spans"]]
        assert all(rec["text"][s:e] == sp["source"] for (s, e), sp in zip(gold, rec["spans"]))
        found_n, labelled_n, hits = found_n + len(found), labelled_n + len(gold), hits + score(found, gold)[0]
    assert labelled_n >= 150
    assert hits / found_n >= 0.90 and hits / labelled_n >= 0.90, (hits / found_n, hits / labelled_n)
