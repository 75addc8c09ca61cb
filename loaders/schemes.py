"""SKOS concept schemes (ontology/schemes/*.yaml), one named graph each."""

from __future__ import annotations

import pyoxigraph as ox

from loaders.base import EntityLoader
from loaders.context import RDF_TYPE, Context, nn
from loaders.fields import LABEL, P
from pockg import vocab as V

SKOS = V.SKOS


class SchemesLoader(EntityLoader):
    name, kind, base = "schemes", "scheme", "ontology"

    def index(self, ctx: Context) -> None:
        super().index(ctx)
        for record in self.records:
            concepts = record.data.get("concepts") or []
            for i, concept in enumerate(concepts):
                ctx.register_concept(str(concept["notation"]), record.id, record,
                                     concepts.item_lines[i])

    def emit(self, ctx: Context) -> None:
        for record in self.records:
            self.emit_scheme(ctx, record)

    def emit_scheme(self, ctx: Context, record) -> None:
        g = V.graph("scheme/" + record.id)
        data = record.data
        scheme = nn(V.ID + "scheme/" + record.id)
        add = lambda s, p, o: ctx.add(s, p, o, g)  # noqa: E731
        add(scheme, RDF_TYPE, nn(SKOS + "ConceptScheme"))
        add(scheme, V.DCT + "identifier", ox.Literal(record.id))
        for term in ctx.literal_or_ref(LABEL, data.get("title") or record.id, record, "title"):
            add(scheme, SKOS + "prefLabel", term)
            add(scheme, V.DCT + "title", term)
        for term in ctx.literal_or_ref(LABEL, data.get("definition") or "", record, "definition"):
            if term.value:
                add(scheme, SKOS + "definition", term)
        scheme_cites = ctx.citations(data["cite"], record, "cite") if data.get("cite") else []
        cls = data.get("concept_class")
        for concept in data.get("concepts") or []:
            notation = str(concept["notation"])
            c = nn(V.ID + "concept/" + notation)
            ctx.locate(c, record, concept, notation)
            add(c, RDF_TYPE, nn(SKOS + "Concept"))
            if cls:
                add(c, RDF_TYPE, nn(P(cls)))
            add(c, SKOS + "inScheme", scheme)
            add(c, SKOS + "notation", ox.Literal(notation))
            add(c, V.DCT + "identifier", ox.Literal(notation))
            for key, pred in (("label", "prefLabel"), ("definition", "definition"), ("note", "note"),
                              ("scope_note", "scopeNote")):
                if concept.get(key):
                    for term in ctx.literal_or_ref(LABEL, concept[key], record, "concepts"):
                        add(c, SKOS + pred, term)
            # alt: shown to readers; hidden: matched by search and the linker, never shown
            for key, pred in (("alt", "altLabel"), ("hidden", "hiddenLabel")):
                for lang, values in (concept.get(key) or {}).items():
                    for value in values:
                        add(c, SKOS + pred, ox.Literal(str(value), language=lang))
            broader = concept.get("broader")
            for b in (broader if isinstance(broader, list) else [broader] if broader else []):
                target = ctx.concept(b, record, "concepts")
                if target:
                    add(c, SKOS + "broader", target)
                    add(target, SKOS + "narrower", c)
            if not broader:
                add(c, SKOS + "topConceptOf", scheme)
                add(scheme, SKOS + "hasTopConcept", c)
            for key, pred in (("close_match", SKOS + "closeMatch"), ("related", SKOS + "related"),
                              ("tier", P("correspondsToTier")), ("replaced_by", V.DCT + "isReplacedBy")):
                values = concept.get(key)
                for v in (values if isinstance(values, list) else [values] if values else []):
                    target = ctx.concept(v, record, "concepts")
                    if target:
                        add(c, pred, target)
                        if key == "close_match":
                            add(target, pred, c)
            if concept.get("deprecated"):
                add(c, V.OWL + "deprecated", ox.Literal(True))
            cites = ctx.citations(concept["cite"], record, "concepts") if concept.get("cite") \
                else scheme_cites
            for cit in cites:
                add(c, V.PROV + "wasDerivedFrom",
                    ctx.passages[(cit.source, cit.at)] if cit.at else ctx.source_iri(cit.source))
        for cit in scheme_cites:
            add(scheme, V.PROV + "wasDerivedFrom",
                ctx.passages[(cit.source, cit.at)] if cit.at else ctx.source_iri(cit.source))
