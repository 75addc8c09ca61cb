"""``pockg export`` and ``pockg stats``: dumps and counts of the store."""

from __future__ import annotations

import sys
from pathlib import Path

from pockg import vocab as V
from pockg.store import EmbeddedStore

EXTENSIONS = {"turtle": "ttl", "trig": "trig", "nquads": "nq", "ntriples": "nt",
              "jsonld": "jsonld", "rdfxml": "rdf"}

VERSION_QUERY = """
SELECT ?version WHERE {
  GRAPH <https://w3id.org/pockg/graph/meta> { ?ds a void:Dataset ; dcat:version ?version }
} LIMIT 1
"""
GRAPHS_QUERY = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
CLASSES_QUERY = """
SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c .
  FILTER(STRSTARTS(STR(?c), STR(pockg:)) || STRSTARTS(STR(?c), STR(skos:))) }
GROUP BY ?c ORDER BY DESC(?n) ?c
"""


def dataset_version(store: EmbeddedStore) -> str | None:
    values = store.select(VERSION_QUERY).values("version")
    return values[0] if values else None


def export(store: EmbeddedStore, fmt: str, target: str | None) -> Path | None:
    """Write the store as ``fmt`` to ``target``: a file, a folder (an existing
    one, or a path ending in ``/``) for a versioned dump, or stdout (None)."""
    if target is None:
        store.dump(sys.stdout.buffer, fmt)
        sys.stdout.flush()
        return None
    output = Path(target)
    if output.is_dir() or target.endswith("/"):
        output.mkdir(parents=True, exist_ok=True)
        output = output / f"pockg-{dataset_version(store) or 'unversioned'}.{EXTENSIONS[fmt]}"
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".part")
    with tmp.open("wb") as f:
        store.dump(f, fmt)
    tmp.replace(output)  # a failed dump never leaves a half-written file
    return output


def stats(store: EmbeddedStore) -> dict:
    """Quads per named graph and instances per pockg/SKOS class."""
    graphs = {row["g"].value: int(row["n"].value) for row in store.select(GRAPHS_QUERY).rows}
    classes = {}
    for row in store.select(CLASSES_QUERY).rows:
        c = row["c"].value.replace(V.POCKG, "pockg:").replace(V.SKOS, "skos:")
        classes[c] = int(row["n"].value)
    return {"quads": len(store), "version": dataset_version(store),
            "graphs": graphs, "classes": classes}
