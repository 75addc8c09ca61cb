"""A strategy's profile: every dimension a comparison can look at, at once.

For each concept scheme a strategy can cover (tiers, risks, vulnerable groups
and factors, framework elements, areas of responsibility, capacities,
coordination levels) the profile lists every concept of the scheme, with the
evidence that the strategy addresses it or, where no source says so, a gap.
The evidence is the claims' own (``pockg.library.evidence_rows``): a cited
fact sheet or report paragraph, or a document declared about the strategy
whose link a reviewer accepted (``pockg.coverage``).

The strategies of the same generation (made before the 2011 DPKO/DFS
framework, or after it) are named so the reader can compare with them.
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from pockg import vocab as V
from pockg.coverage import COVERAGE_SCHEMES
from pockg.errors import NotFound
from pockg.library import evidence_item, evidence_rows

_STRATEGY_Q = """
SELECT ?s ?label ?mission ?missionLabel ?acronym ?completed WHERE {
  VALUES ?s {}
  ?s a pockg:ProtectionStrategy .
  OPTIONAL { ?s skos:prefLabel ?label FILTER(lang(?label) = "en") }
  OPTIONAL { ?s pockg:mission ?mission .
             OPTIONAL { ?mission pockg:acronym ?acronym }
             OPTIONAL { ?mission skos:prefLabel ?missionLabel FILTER(lang(?missionLabel) = "en") } }
  OPTIONAL { ?s pockg:completedBy ?completed }
}"""

_ALL_STRATEGIES_Q = """
SELECT ?s ?label ?acronym ?completed WHERE {
  ?s a pockg:ProtectionStrategy .
  OPTIONAL { ?s skos:prefLabel ?label FILTER(lang(?label) = "en") }
  OPTIONAL { ?s pockg:mission/pockg:acronym ?acronym }
  OPTIONAL { ?s pockg:completedBy ?completed }
} ORDER BY ?acronym ?s"""

# every concept of every coverage scheme, with the scheme's and the concept's names in
# the reader's language and in English (the fallback), in one query
_SCHEMES_Q = """
SELECT ?scheme ?title ?titleEn ?c ?notation ?label ?labelEn WHERE {
  VALUES ?scheme { %s }
  VALUES ?lang {}
  ?c skos:inScheme ?scheme .
  FILTER NOT EXISTS { ?c owl:deprecated true }
  OPTIONAL { ?scheme skos:prefLabel ?title FILTER(lang(?title) = ?lang) }
  OPTIONAL { ?scheme skos:prefLabel ?titleEn FILTER(lang(?titleEn) = "en") }
  OPTIONAL { ?c skos:notation ?notation }
  OPTIONAL { ?c skos:prefLabel ?label FILTER(lang(?label) = ?lang) }
  OPTIONAL { ?c skos:prefLabel ?labelEn FILTER(lang(?labelEn) = "en") }
}""" % " ".join(f"<{V.ID}scheme/{s}>" for s in COVERAGE_SCHEMES)

_ADDRESSES_Q = """SELECT ?c WHERE { VALUES ?s {} ?s pockg:addresses ?c }"""

FRAMEWORK_YEAR = 2011      # the DPKO/DFS Framework for Drafting Comprehensive PoC Strategies


def year_of(strategy_iri: str, completed: str | None) -> int | None:
    """The year a strategy belongs to: when it was completed, else the year its id names."""
    if completed and re.match(r"\d{4}", completed):
        return int(completed[:4])
    m = re.search(r"-(\d{4})$", strategy_iri)
    return int(m.group(1)) if m else None


def generation_of(year: int | None) -> str | None:
    if year is None:
        return None
    return "before-framework" if year < FRAMEWORK_YEAR else "after-framework"


def strategy_profile(store, iri: str, lang: str = "en") -> dict:
    """The profile of the strategy ``iri`` (see the module docstring), as plain data."""
    rows = store.select(_STRATEGY_Q, {"s": ox.NamedNode(iri)}).rows
    if not rows:
        raise NotFound(f"no protection strategy <{iri}>")
    r = rows[0]
    get = lambda k: r[k].value if k in r else None  # noqa: E731
    generation = generation_of(year_of(iri, get("completed")))
    peers = []
    for p in store.select(_ALL_STRATEGIES_Q).rows:
        other = p["s"].value
        same = generation_of(year_of(other, p["completed"].value if "completed" in p else None))
        if generation and same == generation:
            peers.append({"iri": other, "label": p["label"].value if "label" in p else other,
                          "mission": p["acronym"].value if "acronym" in p else None,
                          "self": other == iri})
    addressed = set(store.select(_ADDRESSES_Q, {"s": ox.NamedNode(iri)}).values("c"))
    s, p = ox.NamedNode(iri), ox.NamedNode(V.term("addresses"))
    evidence: dict[str, list[dict]] = {}
    for e in evidence_rows(store, [(s, p, ox.NamedNode(c)) for c in sorted(addressed)]):
        item = evidence_item(e)
        bucket = evidence.setdefault(e["o"].value, [])
        if item not in bucket:
            bucket.append(item)
    by_scheme: dict[str, dict[str, dict]] = {scheme: {} for scheme in COVERAGE_SCHEMES}
    titles: dict[str, str] = {}
    for c in store.select(_SCHEMES_Q, {"lang": ox.Literal(lang)}).rows:
        scheme = c["scheme"].value.rsplit("/", 1)[-1]
        name = c.get("title") or c.get("titleEn")
        if name is not None:
            titles[scheme] = name.value
        concept = c["c"].value
        label = c.get("label") or c.get("labelEn")
        by_scheme[scheme].setdefault(concept, {
            "concept": concept,
            "notation": c["notation"].value if "notation" in c else None,
            "label": label.value if label is not None else concept.rsplit("/", 1)[-1],
            "covered": concept in addressed,
            "evidence": sorted(evidence.get(concept, []),
                               key=lambda e: (e.get("role") is None, e.get("paragraph") or "")),
        })
    dimensions = []
    for scheme, cells in by_scheme.items():
        ordered = sorted(cells.values(), key=lambda x: (x["notation"] or "", x["label"]))
        dimensions.append({"scheme": scheme, "title": titles.get(scheme, scheme), "cells": ordered,
                           "covered": sum(1 for x in ordered if x["covered"]),
                           "gaps": sum(1 for x in ordered if not x["covered"])})
    return {
        "strategy": iri, "label": get("label") or iri.rsplit("/", 1)[-1],
        "mission": {"iri": get("mission"), "label": get("missionLabel"), "acronym": get("acronym")},
        "generation": generation, "peers": peers, "dimensions": dimensions,
        "covered": sum(d["covered"] for d in dimensions),
        "gaps": sum(d["gaps"] for d in dimensions),
    }
