"""The matching lexicon, read from the store (run ``pockg build`` first).

Two kinds of target:

- SKOS concepts of the linkable schemes (``LINKABLE_SCHEMES``), with their
  preferred, alternative and hidden labels in English and French, their
  notation, their scheme and their ``skos:broader`` concepts;
- named entities of the graph: peace operations (acronym, full names,
  other labels), organisations and other actors (labels and abbreviations),
  and Security Council resolutions (by number; the matcher recognises the
  usual written forms, see ``matcher.RESOLUTION_RE``).

Every query is a fixed text; nothing is spliced into it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pockg import vocab as V

CONCEPT = V.ID + "concept/"
SCHEME = V.ID + "scheme/"

LINKABLE_SCHEMES = (
    "tier-2010", "tier-2015", "risk-category", "vulnerable-group",
    "vulnerability-factor", "aor", "activity-type", "framework-element",
    "capacity-type", "coordination-level", "approach", "resolution-topic",
)

# What kind of label a lexicon entry comes from; the matcher scores them.
PREF, ALT, HIDDEN, NOTATION = "pref", "alt", "hidden", "notation"

_CONCEPTS_Q = """
SELECT ?c ?scheme ?notation ?kind ?label WHERE {
  ?c a skos:Concept ; skos:inScheme ?scheme ; skos:notation ?notation .
  FILTER NOT EXISTS { ?c owl:deprecated true }
  {
    ?c skos:prefLabel ?label . BIND("pref" AS ?kind)
  } UNION {
    ?c skos:altLabel ?label . BIND("alt" AS ?kind)
  } UNION {
    ?c skos:hiddenLabel ?label . BIND("hidden" AS ?kind)
  }
}
"""

_BROADER_Q = """
SELECT ?c ?b WHERE { ?c a skos:Concept ; skos:broader ?b }
"""

_OPERATIONS_Q = """
SELECT ?e ?kind ?label WHERE {
  ?e a pockg:PeaceOperation .
  {
    ?e pockg:acronym ?label . BIND("acronym" AS ?kind)
  } UNION {
    ?e skos:prefLabel ?label . BIND("pref" AS ?kind)
  } UNION {
    ?e skos:altLabel ?label . BIND("alt" AS ?kind)
  } UNION {
    ?e pockg:fullName ?label . BIND("name" AS ?kind)
  }
}
"""

_ACTORS_Q = """
SELECT ?e ?kind ?label WHERE {
  ?e a pockg:Actor .
  {
    ?e skos:prefLabel ?label . BIND("pref" AS ?kind)
  } UNION {
    ?e skos:altLabel ?label . BIND("alt" AS ?kind)
  }
}
"""

_RESOLUTIONS_Q = """
SELECT ?e ?number WHERE { ?e a pockg:Resolution ; pockg:resolutionNumber ?number }
"""

_TOPICS_Q = """
SELECT ?e ?topic WHERE { ?e a pockg:Resolution ; pockg:topic ?topic }
"""

_CLOSE_Q = """
SELECT ?c ?m WHERE { ?c a skos:Concept ; skos:closeMatch ?m }
"""

_SCHEMES_Q = """
SELECT ?scheme ?title WHERE { ?scheme a skos:ConceptScheme ; skos:prefLabel ?title }
"""


@dataclass(frozen=True)
class Concept:
    """A linkable SKOS concept."""

    iri: str
    notation: str
    scheme: str                    # the scheme's id: "tier-2010"
    label: str                     # English preferred label ("" if none)
    broader: tuple[str, ...] = ()  # IRIs of its broader concepts
    close: tuple[str, ...] = ()    # IRIs of its skos:closeMatch concepts


@dataclass(frozen=True)
class Entry:
    """One label of one target: what the matcher looks for in the text."""

    target: str          # the concept's or entity's IRI
    label: str
    lang: str | None     # "en", "fr" or None (language-neutral: acronyms, names)
    kind: str            # pref | alt | hidden | notation | acronym | name
    scheme: str | None   # scheme id for concepts; "operation" / "actor" for entities


@dataclass
class Lexicon:
    """Everything the matcher needs, independent of the store once built."""

    concepts: dict[str, Concept] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)
    resolutions: dict[int, str] = field(default_factory=dict)   # number -> IRI
    entities: dict[str, str] = field(default_factory=dict)      # IRI -> "operation" | "actor" | "resolution"
    topics: dict[str, tuple[str, ...]] = field(default_factory=dict)  # resolution IRI -> topic concepts
    scheme_titles: dict[str, dict[str, str]] = field(default_factory=dict)  # scheme id -> lang -> title

    def scheme_members(self, scheme: str) -> list[str]:
        return sorted(c.iri for c in self.concepts.values() if c.scheme == scheme)

    def is_concept(self, iri: str) -> bool:
        return iri in self.concepts

    def ancestors(self, iri: str) -> set[str]:
        """Every broader concept of ``iri``, transitively (not ``iri`` itself)."""
        seen: set[str] = set()
        todo = list(self.concepts[iri].broader) if iri in self.concepts else []
        while todo:
            b = todo.pop()
            if b not in seen:
                seen.add(b)
                if b in self.concepts:
                    todo.extend(self.concepts[b].broader)
        return seen


def _lang(term) -> str | None:
    lang = getattr(term, "language", None)
    return lang.split("-")[0].lower() if lang else None


def build_lexicon(store, schemes: tuple[str, ...] = LINKABLE_SCHEMES,
                  entities: bool = True) -> Lexicon:
    """Read the lexicon from ``store`` (an ``EmbeddedStore`` after ``pockg build``)."""
    wanted = {SCHEME + s: s for s in schemes}
    lex = Lexicon()
    rows = store.select(_CONCEPTS_Q).rows
    labels: dict[str, dict[str, str]] = {}
    for row in rows:
        scheme = wanted.get(row["scheme"].value)
        if scheme is None:
            continue
        iri = row["c"].value
        lang = _lang(row["label"])
        if lang not in (None, "en", "fr"):
            continue
        kind = row["kind"].value
        lex.entries.append(Entry(iri, row["label"].value, lang, kind, scheme))
        labels.setdefault(iri, {"notation": row["notation"].value, "scheme": scheme})
        if kind == PREF and lang == "en":
            labels[iri]["label"] = row["label"].value
    broader: dict[str, list[str]] = {}
    for row in store.select(_BROADER_Q).rows:
        broader.setdefault(row["c"].value, []).append(row["b"].value)
    close: dict[str, set[str]] = {}
    for row in store.select(_CLOSE_Q).rows:
        close.setdefault(row["c"].value, set()).add(row["m"].value)
    for iri, info in labels.items():
        lex.concepts[iri] = Concept(iri, info["notation"], info["scheme"], info.get("label", ""),
                                    tuple(sorted(broader.get(iri, ()))),
                                    tuple(sorted(c for c in close.get(iri, ()) if c in labels)))
        lex.entries.append(Entry(iri, info["notation"], None, NOTATION, info["scheme"]))
    if entities:
        for query, kind in ((_OPERATIONS_Q, "operation"), (_ACTORS_Q, "actor")):
            for row in store.select(query).rows:
                iri = row["e"].value
                lex.entities[iri] = kind
                lex.entries.append(Entry(iri, row["label"].value, _lang(row["label"]),
                                         row["kind"].value, kind))
        for row in store.select(_RESOLUTIONS_Q).rows:
            iri = row["e"].value
            lex.resolutions[int(row["number"].value)] = iri
            lex.entities[iri] = "resolution"
        topics: dict[str, set[str]] = {}
        for row in store.select(_TOPICS_Q).rows:
            if row["topic"].value in lex.concepts:
                topics.setdefault(row["e"].value, set()).add(row["topic"].value)
        lex.topics = {k: tuple(sorted(v)) for k, v in topics.items()}
    for row in store.select(_SCHEMES_Q).rows:
        scheme = wanted.get(row["scheme"].value)
        lang = _lang(row["title"])
        if scheme and lang in ("en", "fr"):
            lex.scheme_titles.setdefault(scheme, {})[lang] = row["title"].value
    # A stable order: the same store always gives the same lexicon.
    lex.entries.sort(key=lambda e: (e.target, e.kind, e.lang or "", e.label))
    return lex


def concept_iri(notation_or_iri: str) -> str:
    """``T1`` or a full IRI -> the concept's IRI."""
    if notation_or_iri.startswith(("http://", "https://")):
        return notation_or_iri
    return CONCEPT + notation_or_iri
