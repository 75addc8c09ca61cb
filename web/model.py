"""The model behind the pages: what the graph says about an IRI, with labels
in the chosen language and the source of every statement. Views and the JSON
twins use the same functions."""

from __future__ import annotations

import re
from collections import defaultdict

import pyoxigraph as ox

from pockg import vocab as V
from pockg.library import evidence_item, evidence_rows

LABEL_PREDICATES = (V.SKOS + "prefLabel", V.RDFS + "label", V.DCT + "title")

# The property table is split in three groups, in this order; anything not
# named here is a plain statement.
IDENTITY = (
    V.SKOS + "prefLabel", V.RDFS + "label", V.DCT + "title", V.POCKG + "fullName",
    V.POCKG + "acronym", V.SKOS + "altLabel", V.SKOS + "notation", V.POCKG + "symbol",
    V.POCKG + "resolutionNumber", V.DCT + "identifier", V.SKOS + "definition",
    V.DCT + "description", V.POCKG + "questionText", V.POCKG + "gist",
    V.POCKG + "subjectSummary",
)
RECORD = (
    V.SKOS + "note", V.RDFS + "comment", V.PROV + "wasDerivedFrom", V.DCT + "source",
    V.RDFS + "seeAlso", V.FOAF + "homepage", V.RDFS + "isDefinedBy", V.DCT + "rights",
    V.DCT + "license", V.DCT + "created", V.DCT + "modified", V.OWL + "versionInfo",
    V.PROV + "wasGeneratedBy", V.PROV + "generatedAtTime", V.PROV + "startedAtTime",
    V.VOID + "triples", V.VOID + "subset", V.DCAT + "version", V.POCKG + "order",
)
# Shown in the hierarchy section of concept and scheme pages, not in the table.
HIERARCHY = (
    V.SKOS + "inScheme", V.SKOS + "topConceptOf", V.SKOS + "hasTopConcept",
    V.SKOS + "broader", V.SKOS + "narrower", V.SKOS + "broaderTransitive",
    V.SKOS + "narrowerTransitive", V.SKOS + "related", V.SKOS + "closeMatch",
    V.SKOS + "exactMatch",
)
# The reification behind every sourced statement: claims, their evidence and
# quote selectors. Their own pages show them raw; other pages do not list them
# as links (the sources column and "cited here" say the same thing readably).
PLUMBING_TYPES = (V.POCKG + "Claim", V.RDF + "Statement", V.OA + "SpecificResource",
                  V.OA + "TextQuoteSelector")
HIDDEN_INCOMING = {V.RDF + "subject", V.RDF + "object", V.OA + "hasSource",
                   V.PROV + "wasDerivedFrom"}   # used by web/viz.py; pages use incoming()
PLAIN_DATATYPES = {V.XSD + "string", V.RDF + "langString"}
EXAMPLES_PER_LINK = 5


# -- labels ----------------------------------------------------------------
def labelled(store, iris, lang: str) -> dict[str, dict]:
    """One label per IRI with its language: {"text", "lang"}.

    The chosen language first, then English, then untagged, then any; among
    equals, skos:prefLabel before rdfs:label before dcterms:title. An IRI
    without a label gets its short form (``lang`` None).
    """
    iris = [i for i in dict.fromkeys(iris) if i]
    found: dict[str, dict[str, tuple[int, str]]] = defaultdict(dict)
    rank = {p: n for n, p in enumerate(LABEL_PREDICATES)}
    for start in range(0, len(iris), 300):
        chunk = iris[start:start + 300]
        # (s, p) pairs, not two VALUES blocks: Oxigraph would join those with a scan
        # of every statement (2.3 s at 10M statements, against 8 ms for the pairs)
        pairs = " ".join(f"({ox.NamedNode(i)} <{p}>)" for i in chunk for p in LABEL_PREDICATES)
        rows = store.select(f"""
            SELECT DISTINCT ?s ?p ?l WHERE {{ VALUES (?s ?p) {{ {pairs} }} ?s ?p ?l
              FILTER(isLiteral(?l)) }}""").rows
        for r in rows:
            lit, tag = r["l"], getattr(r["l"], "language", None) or ""
            option = (rank[r["p"].value], lit.value)
            have = found[r["s"].value].get(tag)
            if have is None or option < have:
                found[r["s"].value][tag] = option
    out = {}
    for iri in iris:
        options = found.get(iri, {})
        for tag in (lang, "en", ""):
            if tag in options:
                out[iri] = {"text": options[tag][1], "lang": tag or None}
                break
        else:
            if options:
                tag = sorted(options)[0]
                out[iri] = {"text": options[tag][1], "lang": tag or None}
            else:
                out[iri] = {"text": short(iri), "lang": None}
    return out


def labels(store, iris, lang: str) -> dict[str, str]:
    """One label per IRI: the chosen language, then English, then any; else a short form."""
    return {iri: x["text"] for iri, x in labelled(store, iris, lang).items()}


def short(iri: str) -> str:
    for prefix, ns in V.PREFIXES.items():
        if iri.startswith(ns) and prefix != "id":
            return f"{prefix}:{iri[len(ns):]}"
    if iri.startswith(V.ID):
        return iri[len(V.ID):]
    return iri


def exists(store, iri: str) -> bool:
    node = ox.NamedNode(iri)  # validated IRI, serialised by pyoxigraph
    return store.ask(f"ASK {{ {{ {node} ?p ?o }} UNION {{ ?x ?y {node} }} }}")


# -- sources ---------------------------------------------------------------
def evidence_for(store, triples: list[tuple]) -> dict[tuple, list[dict]]:
    """Claims supporting each (s, p, o), keyed by their string forms."""
    out: dict[tuple, list[dict]] = defaultdict(list)
    for r in evidence_rows(store, triples):
        item = evidence_item(r)
        key = (str(r["s"]), str(r["p"]), str(r["o"]))
        if item not in out[key]:
            out[key].append(item)
    return out


def _readable_evidence(store, evidence: dict[tuple, list[dict]], lang: str) -> None:
    """Add the document's and the verification status's labels to evidence items."""
    items = [e for bucket in evidence.values() for e in bucket]
    if not items:
        return
    iris = [e["document"] for e in items if e.get("document")]
    iris += [status_iri(e["status"]) for e in items if e.get("status")]
    iris += [e["source"] for e in items if e.get("source") and e["kind"] == "source"
             and not e.get("title")]
    names = labelled(store, iris, lang)
    for e in items:
        doc = names.get(e.get("document") or "")
        e["document_label"] = doc["text"] if doc else None
        status = names.get(status_iri(e["status"])) if e.get("status") else None
        e["status_label"] = status["text"] if status else e.get("status")
        if e["kind"] == "source" and not e.get("title") and e.get("source"):
            e["title"] = names[e["source"]]["text"]
    for bucket in evidence.values():
        bucket.sort(key=lambda e: (e["kind"] != "passage", _natural(e.get("paragraph") or ""),
                                   e.get("title") or "", e.get("quote") or ""))


HIDDEN_LABEL = V.SKOS + "hiddenLabel"


def status_iri(notation: str) -> str:
    """Concept IRIs are id/concept/<notation> (see the ontology header)."""
    return f"{V.ID}concept/{notation}"


# -- the page of one IRI ---------------------------------------------------
def describe(store, iri: str, lang: str = "en") -> dict:
    """Everything a page shows about ``iri``."""
    node = ox.NamedNode(iri)
    out_rows = store.select(f"SELECT DISTINCT ?p ?o WHERE {{ {node} ?p ?o }} ORDER BY ?p ?o").rows
    type_iris = {r["o"].value for r in out_rows
                 if r["p"].value == V.RDF + "type" and isinstance(r["o"], ox.NamedNode)}
    plumbing = bool(type_iris & set(PLUMBING_TYPES))
    concept = V.SKOS + "Concept" in type_iris or V.SKOS + "ConceptScheme" in type_iris
    triples = [(node, r["p"], r["o"]) for r in out_rows if r["p"].value != V.RDF + "type"]
    evidence = evidence_for(store, triples) if triples else {}
    _readable_evidence(store, evidence, lang)
    links = incoming(store, node, lang, include_plumbing=plumbing)
    if concept:  # the hierarchy section says these better
        links = [link for link in links if link["iri"] not in HIERARCHY]
    names = labelled(store, [iri] + [r["p"].value for r in out_rows]
                     + [r["o"].value for r in out_rows if isinstance(r["o"], ox.NamedNode)], lang)
    types, properties = [], defaultdict(list)
    for r in out_rows:
        p, o = r["p"], r["o"]
        value = _value(o, names)
        value["evidence"] = evidence.get((str(node), str(p), str(o)), [])
        if p.value == V.RDF + "type":
            types.append(value)
        else:
            properties[p.value].append(value)
    groups = {"identity": [], "statements": [], "record": []}
    for p, vals in properties.items():
        if concept and p in HIERARCHY or p == HIDDEN_LABEL:   # hidden labels are for search
            continue                                            # and the linker, not readers
        group = ("identity" if p in IDENTITY else "record" if p in RECORD else "statements")
        groups[group].append({"iri": p, "label": names[p]["text"], "label_lang": names[p]["lang"],
                              "values": _prefer(vals, lang)})
    order = {p: n for n, p in enumerate(IDENTITY + RECORD)}
    for props in groups.values():
        props.sort(key=lambda x: (order.get(x["iri"], len(order)), x["label"].lower()))
    label = names[iri]
    return {"iri": iri, "label": label["text"], "label_lang": label["lang"],
            "subtitle": _subtitle(properties, label["text"], lang),
            "types": sorted(types, key=lambda t: t["text"].lower()),
            "is_claim": plumbing,
            "claim": _claim_summary(properties) if plumbing else None,
            "groups": groups,
            "properties": groups["identity"] + groups["statements"] + groups["record"],
            "hierarchy": hierarchy(store, node, type_iris, lang) if concept else None,
            "incoming": links,
            "cited_here": cited_here(store, node, lang),
            "passages": linked_passages(store, iri, lang)}


def linked_passages(store, iri: str, lang: str = "en") -> list[dict]:
    """Passages linked to ``iri`` or to a narrower concept (accepted and suggested
    links; rejected ones are left out), with the quote: passages of ingested
    documents (``document/<id>/v/<hash>/p/<key>``, shown on the document's
    page) and of curated documents (``document/<id>/p/<n>``, whose reviewed
    links come from data/links/; shown on the passage's own page, with its gist).
    """
    from urllib.parse import unquote

    from pockg.linking.annotations import passages_about

    rows = passages_about(store, iri, status=("LS-accepted", "LS-suggested"))
    out = []
    for row in rows:
        parts = row["passage"][len(V.ID):].split("/")
        if parts[0] == "document" and len(parts) >= 6 and parts[2] == "v" and parts[4] == "p":
            curated, number = False, unquote(parts[5])
        elif parts[0] == "document" and len(parts) == 4 and parts[2] == "p":
            curated, number = True, unquote(parts[3])
        else:
            continue
        out.append({**row, "document": parts[1], "number": number, "curated": curated,
                    "document_iri": f"{V.ID}document/{parts[1]}",
                    "accepted": row["status"].endswith("LS-accepted"),
                    "narrower": row["body"] != iri})
    if not out:
        return out
    names = labelled(store, [r["document_iri"] for r in out] + [r["body"] for r in out], lang)
    gists = _gists(store, [r["passage"] for r in out if r["curated"]], lang)
    for r in out:
        r["document_label"] = names[r["document_iri"]]["text"]
        r["document_lang"] = names[r["document_iri"]]["lang"]
        r["body_label"] = names[r["body"]]["text"]
        r["gist"] = gists.get(r["passage"])
    order = {d: n for n, d in enumerate(dict.fromkeys(
        r["document_iri"] for r in sorted(out, key=lambda r: (not r["curated"], r["document_label"]))))}
    out.sort(key=lambda r: (order[r["document_iri"]], _natural(r["number"]), r["start"], r["body"]))
    return out


def _gists(store, passages: list[str], lang: str) -> dict[str, str]:
    """The gist (our one-sentence paraphrase) of curated passages, in ``lang`` or English."""
    if not passages:
        return {}
    values = " ".join(str(ox.NamedNode(p)) for p in dict.fromkeys(passages))
    rows = store.select(f"""
        SELECT ?p ?g WHERE {{ VALUES ?p {{ {values} }} ?p pockg:gist ?g }}""").rows
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for r in rows:
        found[r["p"].value][getattr(r["g"], "language", None) or ""] = r["g"].value
    return {p: next((g[t] for t in (lang, "en", "") if t in g), next(iter(g.values())))
            for p, g in found.items()}


def _value(o, names: dict) -> dict:
    if isinstance(o, ox.NamedNode):
        name = names.get(o.value) or {"text": short(o.value), "lang": None}
        return {"iri": o.value, "text": name["text"], "text_lang": name["lang"],
                "lang": None, "datatype": None}
    if isinstance(o, ox.Literal):
        datatype = o.datatype.value if o.datatype and not o.language else None
        return {"iri": None, "text": o.value, "text_lang": o.language, "lang": o.language,
                "datatype": short(datatype) if datatype and datatype not in PLAIN_DATATYPES else None}
    return {"iri": None, "text": str(o), "text_lang": None, "lang": None, "datatype": None}


def _prefer(values: list[dict], lang: str) -> list[dict]:
    """Language-tagged values in the chosen language first (others are kept)."""
    return sorted(values, key=lambda v: (v["lang"] not in (None, lang), v["lang"] != lang, v["text"]))


def _subtitle(properties: dict, label: str, lang: str) -> dict | None:
    """The full name (or title) under the heading, in the chosen language, if it adds anything."""
    for p in (V.POCKG + "fullName", V.DCT + "title"):
        values = properties.get(p, [])
        for want in (lang, "en", None):
            for v in values:
                if (v["lang"] == want or want is None) and v["text"] != label:
                    return {"text": v["text"], "lang": v["lang"]}
    return None


def _claim_summary(properties: dict) -> dict | None:
    get = lambda p: (properties.get(V.RDF + p) or [None])[0]  # noqa: E731
    s, p, o = get("subject"), get("predicate"), get("object")
    if not (s and p and o):
        return None
    return {"subject": s, "predicate": p, "object": o}


def incoming(store, node, lang: str, include_plumbing: bool = False) -> list[dict]:
    """Links to ``node``: per property, how many resources use it and a few of them.

    Claims, evidence and quote selectors are left out unless the page is one
    of them: their content is shown as statements with sources instead.
    """
    skip = "" if include_plumbing else (
        "FILTER NOT EXISTS { VALUES ?k { %s } ?s a ?k }" % " ".join(f"<{t}>" for t in PLUMBING_TYPES))
    counts = store.select(f"""
        SELECT ?p (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p {node} {skip} }}
        GROUP BY ?p ORDER BY DESC(?n) ?p""").rows
    if not counts:
        return []
    pairs = store.select(f"""
        SELECT DISTINCT ?p ?s WHERE {{ ?s ?p {node} {skip} FILTER(isIRI(?s)) }}
        ORDER BY ?p ?s LIMIT 5000""").rows
    examples: dict[str, list[str]] = defaultdict(list)
    for r in pairs:
        if len(examples[r["p"].value]) < EXAMPLES_PER_LINK:
            examples[r["p"].value].append(r["s"].value)
    names = labelled(store, [r["p"].value for r in counts]
                     + [s for ex in examples.values() for s in ex], lang)
    return [{"iri": r["p"].value, "label": names[r["p"].value]["text"],
             "label_lang": names[r["p"].value]["lang"], "count": int(r["n"].value),
             "example": (examples.get(r["p"].value) or [None])[0],
             "examples": [{"iri": s, "text": names[s]["text"], "text_lang": names[s]["lang"]}
                          for s in examples.get(r["p"].value, [])]}
            for r in counts]


# -- concepts and schemes --------------------------------------------------
CONCEPT_LINKS = """
SELECT DISTINCT ?rel ?x WHERE {
  { %(n)s skos:inScheme ?x BIND("scheme" AS ?rel) }
  UNION { %(n)s skos:topConceptOf ?x BIND("scheme" AS ?rel) }
  UNION { %(n)s skos:topConceptOf ?x BIND("top" AS ?rel) }
  UNION { ?x skos:hasTopConcept %(n)s BIND("top" AS ?rel) }
  UNION { %(n)s skos:broader ?x BIND("broader" AS ?rel) }
  UNION { ?x skos:narrower %(n)s BIND("broader" AS ?rel) }
  UNION { %(n)s skos:narrower ?x BIND("narrower" AS ?rel) }
  UNION { ?x skos:broader %(n)s BIND("narrower" AS ?rel) }
  UNION { { %(n)s skos:related ?x } UNION { ?x skos:related %(n)s } BIND("related" AS ?rel) }
  UNION { { %(n)s skos:closeMatch ?x } UNION { ?x skos:closeMatch %(n)s }
          UNION { %(n)s skos:exactMatch ?x } UNION { ?x skos:exactMatch %(n)s }
          BIND("match" AS ?rel) }
  FILTER(isIRI(?x) && ?x != %(n)s)
}"""

SCHEME_MEMBERS = """
SELECT DISTINCT ?c ?b ?top ?notation WHERE {
  { ?c skos:inScheme %(n)s } UNION { ?c skos:topConceptOf %(n)s } UNION { %(n)s skos:hasTopConcept ?c }
  OPTIONAL { { ?c skos:broader ?b } UNION { ?b skos:narrower ?c } }
  OPTIONAL { ?c skos:notation ?notation }
  BIND(EXISTS { ?c skos:topConceptOf %(n)s } || EXISTS { %(n)s skos:hasTopConcept ?c } AS ?top)
}"""


def hierarchy(store, node, type_iris: set[str], lang: str) -> dict | None:
    """Scheme, broader and narrower concepts of a concept; the concept tree of a scheme."""
    if V.SKOS + "ConceptScheme" in type_iris:
        return scheme_tree(store, node, lang)
    rows = store.select(CONCEPT_LINKS % {"n": node}).rows
    rel: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        if r["x"].value not in rel[r["rel"].value]:
            rel[r["rel"].value].append(r["x"].value)
    names = labelled(store, [x for xs in rel.values() for x in xs], lang)
    item = lambda x: {"iri": x, "text": names[x]["text"], "text_lang": names[x]["lang"]}  # noqa: E731
    return {"kind": "concept",
            **{k: sorted((item(x) for x in rel.get(k, [])), key=lambda i: i["text"].lower())
               for k in ("scheme", "top", "broader", "narrower", "related", "match")}}


def scheme_tree(store, node, lang: str) -> dict:
    rows = store.select(SCHEME_MEMBERS % {"n": node}).rows
    members: dict[str, dict] = {}
    broader: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        c = r["c"].value
        m = members.setdefault(c, {"iri": c, "notation": None, "top": False})
        if "notation" in r:
            m["notation"] = r["notation"].value
        if "top" in r and r["top"].value == "true":
            m["top"] = True
        if "b" in r:
            broader[c].add(r["b"].value)
    names = labelled(store, list(members), lang)
    children: dict[str, list[str]] = defaultdict(list)
    for c, bs in broader.items():
        for b in bs & set(members):
            children[b].append(c)
    roots = [c for c, m in members.items() if m["top"] or not (broader[c] & set(members))]

    def key(c):
        return (_natural(members[c]["notation"] or ""), names[c]["text"].lower())

    def grow(c, seen):
        kids = [k for k in sorted(children.get(c, []), key=key) if k not in seen]
        return {"iri": c, "text": names[c]["text"], "text_lang": names[c]["lang"],
                "notation": members[c]["notation"],
                "children": [grow(k, seen | {k}) for k in kids]}

    return {"kind": "scheme", "count": len(members),
            "top": [grow(c, {c}) for c in sorted(roots, key=key)]}


def _natural(text: str) -> tuple:
    """Sort key that puts T2 before T10 and 8.2 before 8.10."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part.lower())
                 for part in re.split(r"(\d+)", text) if part)


# -- what cites a passage or source ---------------------------------------
def cited_here(store, node, lang: str) -> list[dict]:
    """Statements whose claims cite this passage or source."""
    rows = store.select(f"""
        SELECT DISTINCT ?s ?p ?o ?quote WHERE {{
          ?c prov:wasDerivedFrom {node} ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
          OPTIONAL {{ ?c pockg:hasEvidence ?e . ?e oa:hasSource {node} ;
                        oa:hasSelector/oa:exact ?quote }}
        }} ORDER BY ?s ?p ?o LIMIT 500""").rows
    if not rows:
        return []
    names = labelled(store, [r["s"].value for r in rows] + [r["p"].value for r in rows]
                     + [r["o"].value for r in rows if isinstance(r["o"], ox.NamedNode)], lang)
    out = []
    for r in rows:
        o = _value(r["o"], names)
        out.append({"subject": r["s"].value, "subject_label": names[r["s"].value]["text"],
                    "subject_lang": names[r["s"].value]["lang"],
                    "predicate": r["p"].value, "predicate_label": names[r["p"].value]["text"],
                    "predicate_lang": names[r["p"].value]["lang"],
                    "object": o["iri"], "object_label": o["text"], "object_lang": o["text_lang"],
                    "quote": r["quote"].value if "quote" in r else None})
    return out


# -- machine-readable ------------------------------------------------------
def concise_description(store, iri: str) -> list:
    """Triples about ``iri`` plus the claims (and their evidence) about it, for RDF twins."""
    node = ox.NamedNode(iri)
    return store.construct(f"""
        CONSTRUCT {{ {node} ?p ?o . ?c ?cp ?co . ?e ?ep ?eo . ?sel ?sp ?so }}
        WHERE {{
          {{ {node} ?p ?o }}
          UNION {{ ?c rdf:subject {node} ; ?cp ?co .
                   OPTIONAL {{ ?c pockg:hasEvidence ?e . ?e ?ep ?eo .
                              OPTIONAL {{ ?e oa:hasSelector ?sel . ?sel ?sp ?so }} }} }}
        }}""")


def listing(store, cls: str, lang: str, limit: int = 500) -> list[dict]:
    rows = store.select(f"""
        SELECT DISTINCT ?s WHERE {{ ?s a {ox.NamedNode(cls)} }} LIMIT {int(limit)}""").values("s")
    names = labelled(store, rows, lang)
    return sorted(({"iri": s, "label": names[s]["text"], "lang": names[s]["lang"]} for s in rows),
                  key=lambda x: x["label"].lower())
