"""Ontology documentation, generated from the store: /ontology, its JSON twin, /ontology.ttl.

Everything on the page is read from graph/ontology and graph/scheme/*: the
ontology header, the classes and properties of pockg, the reused terms it
declares, and the concept schemes with their concepts. The documentation is
worked out once per app (the store does not change while the app runs) in
all languages at once; the page picks the chosen language, falling back to
English.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict

import pyoxigraph as ox
from flask import Blueprint, Response, jsonify, render_template, request, url_for

from pockg import vocab as V
from web.i18n import current_language
from web.page_cache import cached
from web.state import current

bp = Blueprint("ontology", __name__)

ONTOLOGY = V.BASE + "ontology"
GRAPH = V.graph("ontology")
SCHEME_GRAPHS = V.GRAPH + "scheme/"
CONCEPT_NS = V.ID + "concept/"
SCHEME_NS = V.ID + "scheme/"
VANN = "http://purl.org/vocab/vann/"
SCHEMA = "https://schema.org/"
PREFIXES = {**V.PREFIXES, "vann": VANN, "schema": SCHEMA, "concept": CONCEPT_NS,
            "scheme": SCHEME_NS, "wp": V.ID + "document/workshop-2010/p/"}
PREFIXES.pop("id", None)
LICENCES = {"https://creativecommons.org/licenses/by/4.0/": "CC BY 4.0",
            "https://creativecommons.org/publicdomain/zero/1.0/": "CC0 1.0"}

RDF_TYPE = V.RDF + "type"
LABELS = (V.RDFS + "label", V.SKOS + "prefLabel", V.DCT + "title")
KINDS = {  # OWL type -> (section key, kind shown)
    V.OWL + "Class": ("class", "class"),
    V.OWL + "ObjectProperty": ("object_property", "object property"),
    V.OWL + "DatatypeProperty": ("datatype_property", "datatype property"),
    V.OWL + "AnnotationProperty": ("annotation_property", "annotation property"),
    V.OWL + "NamedIndividual": ("individual", "individual"),
}
CHARACTERISTICS = {V.OWL + n: n for n in (
    "FunctionalProperty", "InverseFunctionalProperty", "TransitiveProperty", "SymmetricProperty",
    "AsymmetricProperty", "ReflexiveProperty", "IrreflexiveProperty")}


# -- reading the graphs ----------------------------------------------------
class Index:
    """Triples of one or more graphs, by subject then predicate (blank nodes kept)."""

    def __init__(self, rows):
        self.spo: dict = defaultdict(lambda: defaultdict(list))
        self.pos: dict = defaultdict(lambda: defaultdict(list))
        for r in rows:
            s, p, o = r["s"], r["p"].value, r["o"]
            if o not in self.spo[s][p]:
                self.spo[s][p].append(o)
                self.pos[p][o].append(s)

    def objects(self, s, p) -> list:
        return self.spo.get(s, {}).get(p, [])

    def subjects(self, p, o) -> list:
        return self.pos.get(p, {}).get(o, [])

    def one(self, s, p):
        values = self.objects(s, p)
        return values[0] if values else None

    def texts(self, s, *predicates) -> dict[str, str]:
        """Literal values by language ('' for untagged), first predicate that has any."""
        for p in predicates:
            out: dict[str, str] = {}
            for o in self.objects(s, p):
                if isinstance(o, ox.Literal):
                    out.setdefault(o.language or "", o.value)
            if out:
                return out
        return {}

    def text_lists(self, s, p) -> dict[str, list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        for o in self.objects(s, p):
            if isinstance(o, ox.Literal):
                out[o.language or ""].append(o.value)
        return {k: sorted(v) for k, v in out.items()}

    def rdf_list(self, head) -> list:
        items, seen = [], set()
        while head is not None and head != ox.NamedNode(V.RDF + "nil") and head not in seen:
            seen.add(head)
            first = self.one(head, V.RDF + "first")
            if first is not None:
                items.append(first)
            head = self.one(head, V.RDF + "rest")
        return items


def _graph_rows(store, graph_filter: str) -> list[dict]:
    return store.select(f"""
        SELECT ?g ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {graph_filter} }}""").rows


# -- naming ----------------------------------------------------------------
def curie(iri: str) -> str:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "x"


def anchor(iri: str, kind: str | None = None) -> str | None:
    """The id of a term's entry on /ontology, or None if it has none."""
    if iri.startswith(V.POCKG):
        local = iri[len(V.POCKG):]
        return f"Class-{_safe(local)}" if kind == "class" else f"Property-{_safe(local)}"
    if iri.startswith(SCHEME_NS):
        return f"scheme-{_safe(iri[len(SCHEME_NS):])}"
    if iri.startswith(CONCEPT_NS):
        return f"concept-{_safe(iri[len(CONCEPT_NS):])}"
    if kind:
        name = curie(iri)
        return f"term-{_safe(name.replace(':', '-'))}" if name != iri else None
    return None


def pick(texts: dict | None, lang: str | None = None) -> dict | None:
    """The text in the chosen language, then English, then untagged, then any: {"text", "lang"}."""
    if not texts:
        return None
    lang = lang or current_language()
    for tag in (lang, "en", ""):
        if tag in texts:
            return {"text": texts[tag], "lang": tag or None}
    tag = sorted(texts)[0]
    return {"text": texts[tag], "lang": tag or None}


# -- building the documentation --------------------------------------------
class Builder:
    def __init__(self, onto: Index, schemes: Index):
        self.o, self.s = onto, schemes
        self.kind_of: dict[str, str] = {}   # IRI -> section key, for pockg and reused terms
        for t, (key, _) in KINDS.items():
            for x in onto.subjects(RDF_TYPE, ox.NamedNode(t)):
                if isinstance(x, ox.NamedNode):
                    self.kind_of.setdefault(x.value, key)

    def labels(self, node) -> dict[str, str]:
        return self.o.texts(node, *LABELS) or self.s.texts(node, *LABELS)

    def ref(self, node) -> dict:
        """A link to another term: its IRI, its anchor here, its labels, its short name."""
        if not isinstance(node, ox.NamedNode):
            return {"iri": None, "anchor": None, "label": {}, "curie": str(node)}
        iri = node.value
        kind = self.kind_of.get(iri)
        local = iri.startswith((V.POCKG, SCHEME_NS, CONCEPT_NS))
        return {"iri": iri, "anchor": anchor(iri, kind) if (kind or local) else None,
                "label": self.labels(node), "curie": curie(iri)}

    def refs(self, nodes) -> list[dict]:
        out = [self.ref(n) for n in nodes if isinstance(n, ox.NamedNode)]
        return sorted({r["iri"]: r for r in out}.values(), key=lambda r: r["curie"].lower())

    # class expressions, as tokens the template can show (Manchester syntax)
    def expression(self, node, depth: int = 0) -> list[dict]:
        if isinstance(node, ox.NamedNode):
            return [{"ref": self.ref(node)}]
        if isinstance(node, ox.Literal):
            return [{"literal": node.value}]
        if depth > 6:
            return [{"keyword": "…"}]
        o = self.o
        for p, word in ((V.OWL + "intersectionOf", "and"), (V.OWL + "unionOf", "or")):
            head = o.one(node, p)
            if head is not None:
                parts = [self.expression(x, depth + 1) for x in o.rdf_list(head)]
                out: list[dict] = []
                for i, part in enumerate(parts):
                    if i:
                        out.append({"keyword": word})
                    out += [{"keyword": "("}, *part, {"keyword": ")"}] if len(part) > 1 else part
                return out
        if o.one(node, V.OWL + "complementOf") is not None:
            return [{"keyword": "not"}, *self.expression(o.one(node, V.OWL + "complementOf"), depth + 1)]
        if o.one(node, V.OWL + "oneOf") is not None:
            items = o.rdf_list(o.one(node, V.OWL + "oneOf"))
            out = [{"keyword": "{"}]
            for i, x in enumerate(items):
                out += ([{"keyword": ","}] if i else []) + self.expression(x, depth + 1)
            return out + [{"keyword": "}"}]
        prop = o.one(node, V.OWL + "onProperty")
        if prop is not None:
            head = [{"ref": self.ref(prop)}]
            for p, word in ((V.OWL + "someValuesFrom", "some"), (V.OWL + "allValuesFrom", "only"),
                            (V.OWL + "hasValue", "value")):
                if o.one(node, p) is not None:
                    return head + [{"keyword": word}, *self.expression(o.one(node, p), depth + 1)]
            for p, word in ((V.OWL + "minCardinality", "min"), (V.OWL + "maxCardinality", "max"),
                            (V.OWL + "cardinality", "exactly"),
                            (V.OWL + "minQualifiedCardinality", "min"),
                            (V.OWL + "maxQualifiedCardinality", "max"),
                            (V.OWL + "qualifiedCardinality", "exactly")):
                if o.one(node, p) is not None:
                    out = head + [{"keyword": word}, {"literal": o.one(node, p).value}]
                    target = o.one(node, V.OWL + "onClass")
                    return out + (self.expression(target, depth + 1) if target is not None else [])
        return [{"keyword": "[…]"}]

    def members(self, node) -> list:
        """Named classes of a domain or range: the class itself, or the members of a union."""
        if isinstance(node, ox.NamedNode):
            return [node]
        head = self.o.one(node, V.OWL + "unionOf")
        return [x for x in self.o.rdf_list(head) if isinstance(x, ox.NamedNode)] if head else []

    def header(self) -> dict:
        o, node = self.o, ox.NamedNode(ONTOLOGY)
        creators = []
        for c in o.objects(node, V.DCT + "creator"):
            name = o.texts(c, V.FOAF + "name")
            creators.append(pick(name, "en")["text"] if name else curie(c.value)
                            if isinstance(c, ox.NamedNode) else "?")
        licence = o.one(node, V.DCT + "license")
        version_iri = o.one(node, V.OWL + "versionIRI")
        source = o.one(node, V.DCT + "source")
        created = o.one(node, V.DCT + "created")
        prefix = o.one(node, VANN + "preferredNamespacePrefix")
        namespace = o.one(node, VANN + "preferredNamespaceUri")
        return {"iri": ONTOLOGY, "title": o.texts(node, V.DCT + "title", V.RDFS + "label"),
                "label": o.texts(node, V.RDFS + "label"),
                "description": o.texts(node, V.DCT + "description"),
                "comment": o.texts(node, V.RDFS + "comment"),
                "version": (o.one(node, V.OWL + "versionInfo") or ox.Literal("")).value or None,
                "version_iri": version_iri.value if version_iri is not None else None,
                "licence": licence.value if licence is not None else None,
                "licence_name": LICENCES.get(licence.value) if licence is not None else None,
                "prefix": prefix.value if prefix is not None else None,
                "namespace": namespace.value if namespace is not None else V.POCKG,
                "created": created.value if created is not None else None,
                "creators": creators,
                "source": source.value if isinstance(source, ox.NamedNode) else None}

    def _common(self, node) -> dict:
        o = self.o
        return {"iri": node.value, "name": node.value[len(V.POCKG):], "curie": curie(node.value),
                "label": o.texts(node, V.RDFS + "label", V.SKOS + "prefLabel"),
                "definition": o.texts(node, V.SKOS + "definition"),
                "comment": o.texts(node, V.RDFS + "comment"),
                "sources": [x.value for x in o.objects(node, V.DCT + "source")
                            if isinstance(x, ox.NamedNode)],
                "see_also": self.refs(o.objects(node, V.RDFS + "seeAlso"))}

    def classes(self, properties: list[dict]) -> list[dict]:
        o = self.o
        disjoint: dict = defaultdict(set)
        for group in o.subjects(RDF_TYPE, ox.NamedNode(V.OWL + "AllDisjointClasses")):
            members = o.rdf_list(o.one(group, V.OWL + "members"))
            for m in members:
                disjoint[m].update(x for x in members if x != m)
        for a, bs in o.pos.get(V.OWL + "disjointWith", {}).items():
            for b in bs:
                disjoint[a].add(b)
                disjoint[b].add(a)
        out = []
        for iri in sorted(i for i, k in self.kind_of.items() if k == "class" and i.startswith(V.POCKG)):
            node = ox.NamedNode(iri)
            supers = o.objects(node, V.RDFS + "subClassOf")
            entry = self._common(node)
            entry.update({
                "anchor": anchor(iri, "class"),
                "superclasses": self.refs(x for x in supers if isinstance(x, ox.NamedNode)),
                "restrictions": [self.expression(x) for x in supers if not isinstance(x, ox.NamedNode)],
                "equivalent": [self.expression(x) for x in o.objects(node, V.OWL + "equivalentClass")],
                "subclasses": self.refs(o.subjects(V.RDFS + "subClassOf", node)),
                "disjoint": self.refs(disjoint.get(node, ())),
                "properties": [self._prop_ref(p, iri not in p["_strict"]) for p in properties
                               if iri in p["domain_iris"]],
                "range_of": [self._prop_ref(p) for p in properties if iri in p["range_iris"]],
                "concept_schemes": self.refs(x for x in o.objects(node, V.RDFS + "seeAlso")
                                             if x.value.startswith(SCHEME_NS)),
            })
            out.append(entry)
        return sorted(out, key=lambda c: c["name"].lower())

    @staticmethod
    def _prop_ref(p: dict, documentation_only: bool = False) -> dict:
        """A property in a class's entry; ``documentation_only``: via schema:domainIncludes."""
        return {"iri": p["iri"], "anchor": p["anchor"], "label": p["label"], "curie": p["curie"],
                "kind": p["kind"], "documentation_only": documentation_only}

    def properties(self) -> list[dict]:
        o = self.o
        out = []
        for iri in sorted(i for i, k in self.kind_of.items()
                          if k in ("object_property", "datatype_property", "annotation_property")
                          and i.startswith(V.POCKG)):
            node = ox.NamedNode(iri)
            domains = o.objects(node, V.RDFS + "domain")
            ranges = o.objects(node, V.RDFS + "range")
            domain_includes = o.objects(node, SCHEMA + "domainIncludes")
            range_includes = o.objects(node, SCHEMA + "rangeIncludes")
            inverse = o.objects(node, V.OWL + "inverseOf") + o.subjects(V.OWL + "inverseOf", node)
            types = {t.value for t in o.objects(node, RDF_TYPE)}
            strict = {m.value for d in domains for m in self.members(d)}
            entry = self._common(node)
            entry.update({
                "anchor": anchor(iri, self.kind_of[iri]),
                "kind": self.kind_of[iri],
                "domain": [self.expression(d) for d in domains],
                "range": [self.expression(r) for r in ranges],
                "domain_includes": self.refs(domain_includes),
                "range_includes": self.refs(range_includes),
                "inverse": self.refs(inverse),
                "superproperties": self.refs(o.objects(node, V.RDFS + "subPropertyOf")),
                "subproperties": self.refs(o.subjects(V.RDFS + "subPropertyOf", node)),
                "characteristics": sorted(CHARACTERISTICS[t] for t in types if t in CHARACTERISTICS),
                "domain_iris": sorted(strict | {d.value for d in domain_includes
                                                if isinstance(d, ox.NamedNode)}),
                "range_iris": sorted({m.value for r in ranges for m in self.members(r)}
                                     | {r.value for r in range_includes
                                        if isinstance(r, ox.NamedNode)}),
                "_strict": strict,
            })
            out.append(entry)
        return out

    def reused(self) -> list[dict]:
        out = []
        for iri, key in self.kind_of.items():
            if iri.startswith(V.BASE):   # pockg's own terms and concepts have entries of their own
                continue
            node = ox.NamedNode(iri)
            name = curie(iri)
            out.append({"iri": iri, "curie": name, "kind": key,
                        "anchor": anchor(iri, key),
                        "vocabulary": name.split(":", 1)[0] if name != iri else None,
                        "label": self.labels(node),
                        "definition": self.o.texts(node, V.SKOS + "definition")})
        order = {k: n for n, (k, _) in enumerate(KINDS.values())}
        return sorted(out, key=lambda t: (order.get(t["kind"], 9), t["curie"].lower()))

    def schemes(self, classes: list[dict]) -> list[dict]:
        s = self.s
        class_of = {ref["iri"]: c for c in classes for ref in c["concept_schemes"]}
        out = []
        for node in s.subjects(RDF_TYPE, ox.NamedNode(V.SKOS + "ConceptScheme")):
            if not isinstance(node, ox.NamedNode):
                continue
            members = set(s.subjects(V.SKOS + "inScheme", node)) | set(
                s.subjects(V.SKOS + "topConceptOf", node)) | set(s.objects(node, V.SKOS + "hasTopConcept"))
            concepts = {m.value: self.concept(m, node) for m in members if isinstance(m, ox.NamedNode)}
            identifier = s.one(node, V.DCT + "identifier")
            cls = class_of.get(node.value)
            source = s.one(node, V.PROV + "wasDerivedFrom")
            out.append({"iri": node.value, "anchor": anchor(node.value),
                        "id": identifier.value if identifier is not None else node.value[len(SCHEME_NS):],
                        "title": s.texts(node, V.DCT + "title", V.SKOS + "prefLabel"),
                        "definition": s.texts(node, V.SKOS + "definition"),
                        "concept_class": ({"iri": cls["iri"], "anchor": cls["anchor"],
                                           "label": cls["label"], "curie": cls["curie"]}
                                          if cls else None),
                        "source": source.value if isinstance(source, ox.NamedNode) else None,
                        "concepts": _tree_order(concepts)})
        return sorted(out, key=lambda x: x["id"])

    def concept(self, node, scheme) -> dict:
        s = self.s
        notation = s.one(node, V.SKOS + "notation")
        broader = s.objects(node, V.SKOS + "broader") + s.subjects(V.SKOS + "narrower", node)
        narrower = s.objects(node, V.SKOS + "narrower") + s.subjects(V.SKOS + "broader", node)
        match = (s.objects(node, V.SKOS + "closeMatch") + s.subjects(V.SKOS + "closeMatch", node))
        return {"iri": node.value, "anchor": anchor(node.value),
                "notation": notation.value if notation is not None else node.value[len(CONCEPT_NS):],
                "label": s.texts(node, V.SKOS + "prefLabel"),
                "alt": s.text_lists(node, V.SKOS + "altLabel"),
                "definition": s.texts(node, V.SKOS + "definition"),
                "top": scheme in s.objects(node, V.SKOS + "topConceptOf")
                or node in s.objects(scheme, V.SKOS + "hasTopConcept"),
                "broader": self.refs(broader), "narrower": self.refs(narrower),
                "related": self.refs(s.objects(node, V.SKOS + "related")
                                     + s.subjects(V.SKOS + "related", node)),
                "close_match": self.refs(match),
                "exact_match": self.refs(s.objects(node, V.SKOS + "exactMatch")
                                         + s.subjects(V.SKOS + "exactMatch", node))}


def _natural(text: str) -> tuple:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.lower())
                 for p in re.split(r"(\d+)", text) if p)


def _tree_order(concepts: dict[str, dict]) -> list[dict]:
    """Concepts depth first under their broader concepts, each with its depth."""
    children: dict[str, list[str]] = defaultdict(list)
    has_parent = set()
    for iri, c in concepts.items():
        for b in c["broader"]:
            if b["iri"] in concepts:
                children[b["iri"]].append(iri)
                has_parent.add(iri)
    key = lambda i: _natural(concepts[i]["notation"])  # noqa: E731
    roots = sorted((i for i in concepts if i not in has_parent or concepts[i]["top"]), key=key)
    out, seen = [], set()

    def walk(iri, depth):
        if iri in seen:
            return
        seen.add(iri)
        out.append({**concepts[iri], "depth": depth})
        for child in sorted(children.get(iri, []), key=key):
            walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    for iri in sorted(set(concepts) - seen, key=key):   # cycles: still listed once
        walk(iri, 0)
    return out


def build_documentation(store) -> dict:
    """The whole documentation, every language at once (JSON-serialisable)."""
    onto = Index(_graph_rows(store, f"FILTER(?g = {ox.NamedNode(GRAPH)})"))
    schemes = Index(_graph_rows(store, f'FILTER(STRSTARTS(STR(?g), "{SCHEME_GRAPHS}"))'))
    b = Builder(onto, schemes)
    properties = b.properties()
    classes = b.classes(properties)
    for p in properties:
        p.pop("_strict", None)
    return {"iri": ONTOLOGY, "header": b.header(), "classes": classes,
            "object_properties": [p for p in properties if p["kind"] == "object_property"],
            "datatype_properties": [p for p in properties if p["kind"] == "datatype_property"],
            "annotation_properties": [p for p in properties if p["kind"] == "annotation_property"],
            "reused": b.reused(), "schemes": b.schemes(classes)}


def documentation() -> dict:
    """Worked out on first use and kept: the store is read-only while the app runs."""
    extras = current().extras
    if "ontology_doc" not in extras:
        extras["ontology_doc"] = build_documentation(current().store)
    return extras["ontology_doc"]


def in_label_order(doc: dict, lang: str | None = None) -> dict:
    """The documentation with terms and schemes in the order of their labels in ``lang``."""
    def key(field, fallback):
        return lambda x: ((pick(x[field], lang) or {"text": x[fallback]})["text"].lower(), x[fallback])
    out = dict(doc)
    for section in ("classes", "object_properties", "datatype_properties", "annotation_properties"):
        out[section] = sorted(doc[section], key=key("label", "name"))
    out["schemes"] = sorted(doc["schemes"], key=key("title", "id"))
    return out


# -- views -----------------------------------------------------------------
def _wants_json() -> bool:
    if request.args.get("format") == "json":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


@bp.get("/ontology")
@cached
def index():
    fmt = request.args.get("format")
    if fmt == "ttl" or (not fmt and request.accept_mimetypes.best_match(
            ["text/html", "text/turtle"]) == "text/turtle"):
        return turtle()
    doc = documentation()
    if _wants_json():
        response = jsonify(doc)
    else:
        response = Response(render_template("ontology/index.html", doc=in_label_order(doc),
                                            pick=pick,
                                             canonical=request.host_url.rstrip("/")
                                             + url_for("ontology.index")))
        response.headers["Content-Language"] = current_language()
    response.vary.update(["Accept", "Accept-Language", "Cookie"])
    return response


@bp.get("/ontology.ttl")
def turtle():
    triples = current().store.construct(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {ox.NamedNode(GRAPH)} {{ ?s ?p ?o }} }}")
    out = io.BytesIO()
    ox.serialize(triples, out, ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    response = Response(out.getvalue(), mimetype="text/turtle")
    response.headers["Content-Disposition"] = 'inline; filename="pockg-ontology.ttl"'
    response.vary.add("Accept")
    return response


@bp.app_template_global()
def ontology_doc_url(iri: str, type_iris=()) -> str | None:
    """Where an entity page links to the documentation of the term, if it has an entry."""
    types = set(type_iris)
    if iri.startswith(V.POCKG):
        kind = "class" if V.OWL + "Class" in types else "property"
        return url_for("ontology.index", _anchor=anchor(iri, kind))
    if iri.startswith((SCHEME_NS, CONCEPT_NS)):
        return url_for("ontology.index", _anchor=anchor(iri))
    for t in types:
        if t in KINDS and curie(iri) != iri:
            return url_for("ontology.index", _anchor=anchor(iri, KINDS[t][0]))
    return None
