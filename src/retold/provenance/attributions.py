"""Attributions: the sources a document credits, with character spans into its original text.

Rule-based (no model, nothing downloaded): news credits its sources in a handful of
constructions, and each rule below finds the *name phrase* of the source as written:

- ``SOURCE said/says/told/reported/wrote/announced/...`` (``SANA reported``,
  ``Press TV wrote on Friday``, ``the Syrian Observatory for Human Rights (SOHR) says``);
- ``..., said SOURCE`` (inverted: ``"...," said Prime Minister John Howard``);
- ``according to SOURCE``, ``quoting SOURCE`` (``quoting its local sources``);
- ``SOURCE's spokesman said`` / ``a spokesman for SOURCE said``;
- wire credits and datelines: ``LONDON (Reuters) -``, ``(AP)``, ``— Reuters``.

A source is a run of capitalised words (with ``of``/``for``/``and``/``the``/``al-`` inside
it), or one of a short list of common-noun sources (police, officials, witnesses, a
spokesman, local sources...) with its determiner and adjectives. Pronouns are never
sources. Acronyms are linked to their expansions (:func:`link_acronyms`): a
``Syrian Observatory for Human Rights (SOHR)`` in a document, or the initials of a credited
name anywhere in a family, make ``SOHR`` the same source.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: verbs by which a text credits what follows (or precedes) to a source
VERBS = ("said", "says", "say", "saying", "told", "tells", "reported", "reports", "report", "reporting", "wrote",
         "writes", "announced", "announces", "stated", "states", "confirmed", "confirms", "warned", "warns",
         "warning", "claimed", "claims", "claiming", "added", "adds", "quoted", "quotes", "explained", "insisted",
         "insists", "noted", "notes", "estimated", "estimates", "estimate", "predicted", "predicts", "forecast",
         "forecasts", "forecasting", "revealed", "reveals", "acknowledged", "acknowledges", "denied", "denies",
         "alleged", "alleges", "admitted", "admits", "argued", "argues", "described", "describes", "accused",
         "accuses", "accuse", "blamed", "blames", "blame", "cited", "rejected", "rejects", "informed", "declared",
         "declares", "called", "calls", "praised", "decried", "rebuked", "underscored", "labelled", "labeled",
         "countered", "criticised", "criticized", "condemned", "expressed", "referred")
#: verbs of an appositive or relative clause: "Tony Sherbon, (the chief executive,) says"
_SPEECH = ("said", "says", "told", "tells", "added", "adds", "warned", "warns", "explained", "insisted",
           "insists", "noted", "notes", "admitted", "admits", "argued", "argues", "predicted", "predicts",
           "confirmed", "confirms", "denied", "denies", "claimed", "claims", "alleged", "alleges", "estimates",
           "reported", "wrote", "writes")
#: verbs whose object (not subject) would follow in an inverted clause: "told reporters"
_NOT_INVERTED = ("told", "tells", "accused", "accuses", "accuse", "blamed", "blames", "blame", "described",
                 "describes", "quoted", "quotes", "cited")
#: common nouns that name a source without a capital letter
COMMON_SOURCES = ("police", "officials", "official", "authorities", "spokesman", "spokeswoman", "spokesperson",
                  "spokespeople", "witnesses", "witness", "residents", "sources", "source", "analysts", "analyst",
                  "experts", "expert", "doctors", "medics", "investigators", "prosecutors", "officers",
                  "observers", "activists", "diplomats", "military", "army", "government", "ministry", "agency",
                  "statement", "organisers", "organizers", "researchers", "scientists", "paramedics", "rescuers",
                  "firefighters", "commander", "commanders", "minister", "leader", "leaders", "chief", "head",
                  "president", "premier", "coroner", "court", "judge", "magistrate", "lawyer", "lawyers", "union",
                  "unions", "bureau", "forecaster", "forecasters", "agent", "television", "radio", "newspaper",
                  "media", "press", "survey", "study", "officer", "director", "secretary", "manager", "ambassador",
                  "company", "department", "airlines", "airline", "campaigners", "advocates", "reports",
                  "detectives", "papers", "documents", "spokesmen", "man", "woman", "loyalists", "supporters",
                  "protesters", "demonstrators", "rebels", "militants", "villagers", "relatives", "survivors",
                  "critics", "opponents", "troops", "soldiers", "locals")
WIRES = ("AP", "Reuters", "AFP", "AAP", "UPI", "Xinhua", "Bloomberg", "dpa", "DPA", "ANSA", "EFE", "Kyodo",
         "Yonhap", "Interfax", "TASS", "IANS", "PTI", "ANI")
PRONOUNS = frozenset("he she they it we i you this that these those who which one".split())
_CONNECTORS = r"(?:of|for|and|the|de|del|da|van|von|al|bin|on|in|&)"
#: a capitalised word (not ending in "-" or "." except a title: "Alwaght- ...", "Brisbane. Mr Crean")
_CAP = r"(?:(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Gen|Col|Lt|Sgt|Capt|Gov|Sen|Rep|Rev|Prof|[A-Z])\.|[A-Z](?:[\w’'.&-]*[\w’'&])?)"
#: a capitalised name phrase: "Prime Minister John Howard", "Syrian Observatory for Human Rights"
NAME = rf"{_CAP}(?:\s+(?:{_CONNECTORS}\s+)*{_CAP})*"
_ADJ = r"(?:[a-z]+(?:-[a-z]+)*\s+){0,3}"
_MOD = rf"(?:{NAME}\s+)?"  # "SOHR sources", "Defence Department officials"
_DET = r"(?:(?:the|a|an|its|his|her|their|our|some|several|many|two|three|local|senior|other)\s+)?"
#: a prepositional phrase after a common-noun source: "in charge in the Tora Bora caves region"
_AUX_WORDS = ("also", "has", "had", "have", "is", "are", "was", "were", "been", "later", "then", "earlier", "previously",
              "already", "initially", "today", "yesterday", "now", "repeatedly", "on")
#: a word of a prepositional phrase: a name, or a lowercase word that is not a verb of credit
_PP_WORD = rf"(?:{NAME}|(?!(?:{'|'.join(VERBS + _AUX_WORDS)})\b)[a-z]+)"
_PP = rf"(?:\s+(?:of|for|at|from|with|in)\s+(?:(?:the|a|an)\s+)?(?>{_PP_WORD}(?:\s+{_PP_WORD}){{0,5}}))"
_COMMON = rf"(?i:{_DET}){_MOD}{_ADJ}(?i:{'|'.join(COMMON_SOURCES)})\b{_PP}{{0,2}}"
#: a source starts at the start of a word (the guard makes every other position fail at once)
_SOURCE = rf"(?<![\w’'.&-])(?=[A-Za-z])(?:{NAME}(?:’s|'s)?\s+(?:spokesman|spokeswoman|spokesperson)|{_COMMON}|{NAME})"
_VERB = rf"(?:{'|'.join(VERBS)})"

_AUX = r"(?:(?:also|has|had|have|is|are|was|were|been|later|then|earlier|previously|already|initially|today|yesterday|now|repeatedly|on\s+[A-Z]\w+)\s+)*"
_FORWARD = re.compile(rf"(?P<src>{_SOURCE})(?:\s+\({NAME}\))?\s+(?P<aux>{_AUX})(?P<cue>{_VERB})\b")
#: "..., Tony Sherbon, says" / "Ian Robertson, says": the name right before the comma
_APPOSITIVE = re.compile(rf"(?P<src>{NAME}),\s+(?:(?:the|a|an|from|of|who|aged)\s+[^,;:\"“”()]{{1,140}},\s+|\d{{1,3}},\s+)?"
                         rf"(?:who\s+)?(?P<aux>{_AUX})(?P<cue>{'|'.join(_SPEECH)})\b")
#: "Both the union and Qantas say": the first of two coordinated sources (the second is a _FORWARD
#: match); only a common-noun source, since "and" also joins the words of one name
_COORDINATED = re.compile(rf"(?<![\w’'.&-])(?P<src>{_COMMON})\s+and\s+(?:{_SOURCE})\s+(?P<aux>{_AUX})(?P<cue>{_VERB})\b")
#: "X, who told him", "X was quoted by army radio", "quoted one witness as saying"
_RELATIVE = re.compile(rf"(?P<src>{_SOURCE}),\s+who\s+(?P<aux>{_AUX})(?P<cue>{'|'.join(_SPEECH)})\b")
_QUOTED = re.compile(rf"\b(?:was|were|been|is|being)\s+(?P<cue>quoted|criticised|criticized|condemned|described)\s+by\s+(?P<src>{_SOURCE})"
                     rf"|\b(?P<cue2>quoted)\s+(?P<src2>{_SOURCE})\s+as\s+saying")
_INVERTED = re.compile(rf"[,\"”’]\s*(?P<cue>(?!(?:{'|'.join(_NOT_INVERTED)})\b){_VERB})\s+(?P<src>{_SOURCE})")
_ACCORDING = re.compile(rf"\b(?P<cue>(?i:according to|quoting|citing))\s+(?P<src>{_SOURCE})")
_DATELINE = re.compile(rf"(?m)^[A-Z][A-Z .'-]{{1,40}}(?:,\s*[A-Z][A-Za-z .'-]{{1,30}})?\s*\((?P<src>{NAME})\)\s*[-–—]")
#: an outlet's name prefixed to the text: "Alwaght- Residents of ..."
_PREFIX = re.compile(r"\A(?P<src>[A-Z][\w’'&]+)-\s+(?=[A-Z])")
_WIRE = re.compile(rf"\((?P<src>{'|'.join(WIRES)})\)|[-–—]\s*(?P<src2>{'|'.join(WIRES)})\s*$", re.M)
_VERB_ANCHORED = (_FORWARD, _APPOSITIVE, _RELATIVE, _COORDINATED)
_LEADING = re.compile(r"^(?:the|a|an)\s+", re.I)
_SELF = frozenset(("I", "I've", "I’ve", "I'm", "I’m", "I'd", "I’d", "We", "He", "She", "They", "It"))


@dataclass(frozen=True, slots=True)
class Attribution:
    """A credited source: ``text[start:end]`` is its name as written; ``cue`` how it is credited;
    ``key`` what links mentions of one source (casefolded, acronyms resolved)."""

    start: int
    end: int
    source: str
    cue: str
    key: str


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Span without a leading article or trailing punctuation/possessive."""
    s = text[start:end]
    m = _LEADING.match(s)
    if m and end - start > m.end():
        start += m.end()
        s = text[start:end]
    stripped = s.rstrip(" ,.;:")
    end = start + len(stripped)
    for tail in ("’s", "'s"):
        if text[start:end].endswith(tail) and " spokes" not in text[start:end]:
            end -= len(tail)
    return start, end


_BASED = re.compile(r"^(?:[\w.]+-based|[\w.]+-headquartered)\s+", re.I)


_BE = re.compile(r"\b(?:is|are|was|were|been|be)\s", re.I)
_NOT_AFTER = re.compile(r"\s*(?:have|has|had|for|by|of)\b")  # "reported have", "blamed for", "accused of"


def _credits(text: str, m: re.Match[str], cue: str) -> bool:
    """Whether a verb match credits its subject: not a passive ("was told", "is accused of"),
    not "reported have" (reportedly), and "announced" only with reported content."""
    aux = m.groupdict().get("aux") or ""
    if _BE.search(aux) and not cue.endswith("ing") and cue not in ("quoted",):
        return False
    after = text[m.end("cue") : m.end("cue") + 12]
    if cue.startswith(("announce", "declare")):
        return bool(re.match(r"\s+(?:that|it|he|she|they)\b", after))
    if cue in ("told", "tells") and re.match(r"\s+of\b", after):
        return True  # "Witnesses told of seeing ..."
    if cue.startswith("accuse") and re.match(r"\s+(?:to|of)\b", after):
        return False  # "the man accused of/to ..." is the accused, not a source
    return _NOT_AFTER.match(after) is None or cue in ("according_to", "quoting", "citing", "quoted")


def _key(name: str) -> str:
    """What links two mentions of one source: no article, no "London-based", casefolded."""
    return " ".join(_BASED.sub("", _LEADING.sub("", name)).casefold().replace("’", "'").split())


_VERB_AT = re.compile(rf"\b(?:{'|'.join(VERBS)})\b")
#: how far before its verb a source may start (characters)
_REACH = 320


def _verb_windows(text: str) -> list[tuple[int, int]]:
    """Stretches of ``text`` that end at a verb of credit and start ``_REACH`` before it,
    merged: the subject-verb rules only run there (most of a text is far from any verb)."""
    out: list[tuple[int, int]] = []
    for m in _VERB_AT.finditer(text):
        lo, hi = max(0, m.start() - _REACH), m.end()
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def extract(text: str) -> list[Attribution]:
    """Every attribution in ``text``, in text order (see the module docstring)."""
    found: dict[tuple[int, int], Attribution] = {}
    rules = ((_DATELINE, "dateline"), (_PREFIX, "dateline"), (_WIRE, "wire"), (_ACCORDING, None), (_QUOTED, "quoting"),
             (_APPOSITIVE, None), (_RELATIVE, None), (_COORDINATED, None), (_FORWARD, None), (_INVERTED, None))
    windows = _verb_windows(text)
    for rx, label in rules:
        spans = windows if rx in _VERB_ANCHORED else ((0, len(text)),)
        for m in (m for lo, hi in spans for m in rx.finditer(text, lo, hi)):
            group = "src" if m.group("src") is not None else "src2"
            start, end = _trim(text, m.start(group), m.end(group))
            name = text[start:end]
            if not name or name.casefold() in PRONOUNS or name[0].isdigit() or name.split()[0] in _SELF:
                continue
            cue = label or m.group("cue").lower().replace(" ", "_")
            if label is None and not _credits(text, m, cue):
                continue
            if any(s <= start < e or start <= s < end for s, e in found):
                continue  # an earlier rule already credited this stretch
            found[(start, end)] = Attribution(start, end, name, cue, _key(name))
    return link_acronyms([text], [sorted(found.values(), key=lambda a: a.start)])[0]


_EXPANSION = re.compile(rf"(?P<name>{NAME})\s+\((?P<acr>[A-Z]{{2,8}})\)")


def _initials(name: str) -> str:
    return "".join(w[0] for w in _BASED.sub("", _LEADING.sub("", name)).split() if w[0].isupper())


def link_acronyms(texts: Sequence[str], found: Sequence[Sequence[Attribution]]) -> list[list[Attribution]]:
    """The attributions of several documents (a family) with acronyms keyed to their expansions.

    ``SOHR`` gets the key of ``Syrian Observatory for Human Rights`` when a text writes the
    expansion with the acronym in parentheses, or when the acronym is the initials of a
    credited name in any of the documents.
    """
    expansions: dict[str, str] = {}
    for text in texts:
        for m in _EXPANSION.finditer(text):
            if _initials(m.group("name")).startswith(m.group("acr")[0]):
                expansions.setdefault(m.group("acr"), _key(m.group("name")))
    for attrs in found:
        for a in attrs:
            initials = _initials(a.source)
            if len(initials) >= 2 and not a.source.isupper():
                expansions.setdefault(initials, a.key)
    out = []
    for attrs in found:
        out.append([Attribution(a.start, a.end, a.source, a.cue, expansions.get(_acronym(a.source), a.key))
                    for a in attrs])
    return out


def _acronym(name: str) -> str:
    """``SOHR`` of "SOHR" and of "SOHR sources"; "" when the name is not an acronym."""
    head = name.split()[0] if name.split() else ""
    return head if head.isupper() and 2 <= len(head) <= 8 else ""


def sources(attributions: Iterable[Attribution]) -> dict[str, str]:
    """key -> the longest way the source is written (for listing what a document credits)."""
    out: dict[str, str] = {}
    for a in attributions:
        if len(a.source) > len(out.get(a.key, "")):
            out[a.key] = a.source
    return dict(sorted(out.items()))


def score(found: Sequence[tuple[int, int]], labelled: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """(overlapping matches, exact matches) between found and hand-labelled spans, one to one,
    the pairs with the largest overlap first: how the rules are measured (bench/attributions.py)."""
    cands = sorted(((min(e1, e2) - max(s1, s2), i, j) for i, (s1, e1) in enumerate(found)
                    for j, (s2, e2) in enumerate(labelled) if min(e1, e2) > max(s1, s2)), reverse=True)
    used_f: set[int] = set()
    used_l: set[int] = set()
    hits = exact = 0
    for _, i, j in cands:
        if i not in used_f and j not in used_l:
            used_f.add(i)
            used_l.add(j)
            hits += 1
            exact += found[i] == labelled[j]
    return hits, exact
