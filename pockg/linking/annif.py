"""Export the accepted links for Annif: a SKOS vocabulary and a full-text corpus.

``pockg link export --format annif DIR`` writes

* ``DIR/vocab.ttl``: the linkable concepts as SKOS (schemes, notations,
  preferred, alternative and hidden labels, broader concepts), in Turtle;
* ``DIR/corpus/<document>-<passage>.txt``: one file per passage that has an
  accepted link, its text (or, for a curated document whose text is not
  stored, such as the workshop report, our own gist of it, or a heading's
  title); beside it
  ``<document>-<passage>.tsv`` with one ``<IRI>\\tlabel`` line per concept,
  Annif's full-text document corpus format.

A library that runs Annif can then train its own models on pockg's curated
links. Queries are fixed texts; nothing is spliced into them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox

from pockg import vocab as V
from pockg.linking.lexicon import LINKABLE_SCHEMES, SCHEME

ACCEPTED = V.ID + "concept/LS-accepted"

_VOCAB_Q = """
CONSTRUCT {
  ?scheme a skos:ConceptScheme ; skos:prefLabel ?title .
  ?c a skos:Concept ; skos:inScheme ?scheme ; skos:notation ?n ; skos:prefLabel ?pref ;
     skos:altLabel ?alt ; skos:hiddenLabel ?hidden ; skos:broader ?b .
} WHERE {
  VALUES ?scheme {}
  ?scheme a skos:ConceptScheme . OPTIONAL { ?scheme skos:prefLabel ?title }
  ?c skos:inScheme ?scheme ; skos:notation ?n .
  FILTER NOT EXISTS { ?c owl:deprecated true }
  OPTIONAL { ?c skos:prefLabel ?pref } OPTIONAL { ?c skos:altLabel ?alt }
  OPTIONAL { ?c skos:hiddenLabel ?hidden } OPTIONAL { ?c skos:broader ?b }
}
"""

_LINKS_Q = """
SELECT DISTINCT ?passage ?body ?label ?text ?gist ?title WHERE {
  VALUES ?accepted {}
  ?link a pockg:ConceptLink ; pockg:linkStatus ?accepted ; oa:hasBody ?body ;
        oa:hasTarget ?target .
  ?target oa:hasSource ?passage .
  ?body a skos:Concept .
  OPTIONAL { ?body skos:prefLabel ?label FILTER(lang(?label) = "en") }
  OPTIONAL { ?passage pockg:text ?text }
  OPTIONAL { ?passage pockg:gist ?gist FILTER(lang(?gist) = "en") }
  OPTIONAL { ?passage dcterms:title ?title FILTER(lang(?title) = "en") }
}
"""

PASSAGE_RE = re.compile(r"/document/(?P<doc>[^/]+)(?:/v/[0-9a-f]+)?/p/(?P<key>.+)$")


def export(store, folder: Path) -> dict:
    """Write vocab.ttl and corpus/ under ``folder``; counts of what was written."""
    folder = Path(folder)
    corpus = folder / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    schemes = [ox.NamedNode(SCHEME + s) for s in LINKABLE_SCHEMES]
    triples = []
    for scheme in schemes:
        triples += list(store.construct(_VOCAB_Q, {"scheme": scheme}))
    triples = sorted(set(triples), key=str)      # one subject after another, stable
    prefixes = {"skos": V.SKOS, "concept": V.ID + "concept/", "scheme": SCHEME}
    (folder / "vocab.ttl").write_bytes(ox.serialize(triples, format=ox.RdfFormat.TURTLE,
                                                    prefixes=prefixes))
    documents: dict[str, dict] = {}
    for row in store.select(_LINKS_Q, {"accepted": ox.NamedNode(ACCEPTED)}).rows:
        m = PASSAGE_RE.search(row["passage"].value)
        text = next((row[k].value for k in ("text", "gist", "title") if k in row), None)
        if m is None or text is None:
            continue
        name = f"{m['doc']}-{_safe(m['key'])}"
        entry = documents.setdefault(name, {"text": text, "subjects": {}})
        entry["subjects"][row["body"].value] = row["label"].value if "label" in row else ""
    for name, entry in sorted(documents.items()):
        (corpus / f"{name}.txt").write_text(entry["text"].strip() + "\n", encoding="utf-8")
        lines = [f"<{iri}>\t{label}" for iri, label in sorted(entry["subjects"].items())]
        (corpus / f"{name}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"concepts": len({t.subject for t in triples
                              if t.predicate.value == V.SKOS + "notation"}),
            "documents": len(documents),
            "subjects": sum(len(e["subjects"]) for e in documents.values())}


def _safe(key: str) -> str:
    """A passage key as a file name part: ``8.4.1``, ``fn3``, ``#12`` -> ``n12``."""
    return re.sub(r"[^A-Za-z0-9._-]", "n", key)
