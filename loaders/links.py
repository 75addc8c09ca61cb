"""Reviewed concept links of a curated document, as W3C Web Annotations.

``data/links/<document>.yaml`` says, passage by passage, which concepts a
document of ``data/documents/`` is about, with the exact words that justify
each link and their offsets in the passage's text. Each link becomes an
annotation in the shape the linker gives its own (``pockg.linking.annotations``):

    <passage>/link/<h> a pockg:ConceptLink, oa:Annotation ; oa:motivatedBy oa:tagging ;
        oa:hasBody <concept> ; oa:hasTarget <...#target> ;
        pockg:score 1.0 ; pockg:linkStatus id:concept/LS-accepted ;
        dcterms:creator id:agent/pockg-curated-data ; prov:wasAttributedTo (the same) ;
        dcterms:created <reviewed> ; prov:wasDerivedFrom <passage> .
    <...#target> oa:hasSource <passage> ; oa:hasSelector <...#quote>, <...#position> .

The passage is the curated one (``id/document/<doc>/p/<n>``), not a passage
of an ingested version, and the reviewer is the curated data set, not the
linker. Each file goes into the graph ``graph/links/<document>``.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pyoxigraph as ox

from loaders.base import Loader
from loaders.context import RDF_TYPE, Context, date_literal, nn, note_text
from pockg import vocab as V

CURATED_AGENT = V.ID + "agent/pockg-curated-data"
STATUS = {"accepted": "LS-accepted", "rejected": "LS-rejected"}
XSD_DECIMAL = nn(V.XSD + "decimal")
XSD_INTEGER = nn(V.XSD + "integer")


def annotation_iri(passage_iri: str, body: str, start: int, end: int) -> str:
    """The linker's naming (``pockg.linking.annotations.annotation_iri``), so the
    same link on the same words always has the same IRI."""
    digest = hashlib.sha256(f"{body}|{start}|{end}".encode()).hexdigest()[:16]
    return f"{passage_iri}/link/{digest}"


def links_graph(document: str) -> str:
    return V.graph("links/" + document)


class LinksLoader(Loader):
    name, kind = "links", "linkset"

    def read(self, ctx: Context) -> None:
        super().read(ctx)
        for record in self.records:  # one file per document: the document names it
            record.id = str(record.data.get("document"))

    def index(self, ctx: Context) -> None:
        for record in self.records:
            if record.id not in ctx.documents:
                ctx.problem(f"document: {record.id!r} is not a document in data/documents/",
                            record, "document")
            ctx.register(record)  # a second file for the same document is a duplicate

    def emit(self, ctx: Context) -> None:
        for record in self.records:
            if record.id in ctx.documents:
                self._emit_file(ctx, record)

    def _emit_file(self, ctx: Context, record) -> None:
        doc, data = record.id, record.data
        g = links_graph(doc)
        ctx.graph_sources[g] = doc   # graph/meta: this graph is derived from the document
        created = date_literal(data["reviewed"])
        agent = nn(CURATED_AGENT)
        ctx.add(agent, RDF_TYPE, nn(V.PROV + "Agent"), g)
        ctx.add(agent, V.RDFS + "label", ox.Literal("pockg curated data", language="en"), g)
        ctx.add(agent, V.RDFS + "label", ox.Literal("données curées de pockg", language="fr"), g)
        ctx.add(agent, V.RDFS + "comment", ox.Literal(
            "Links reviewed by the curators of pockg and kept in data/links/, "
            "loaded by pockg build.", language="en"), g)
        ctx.add(agent, V.RDFS + "seeAlso", nn(V.ID + "dataset/pockg"), g)
        passages = data["passages"]
        seen: set[str] = set()
        for i, entry in enumerate(passages):
            n = str(entry["n"])
            line = passages.item_lines[i]
            if n in seen:
                ctx.problem(f"passages: passage ¶{n} is listed twice", record, line=line)
                continue
            seen.add(n)
            passage = ctx.passage(doc, n, record, "passages")
            if passage is None:
                continue
            concepts: set[str] = set()
            links = entry["links"]
            for j, link in enumerate(links):
                self._emit_link(ctx, record, g, passage, n, link, links.item_lines[j],
                                concepts, agent, created)

    def _emit_link(self, ctx, record, g, passage, n, link, line, concepts, agent, created):
        notation, evidence = str(link["concept"]), str(link["evidence"])
        start, end = link["start"], link["end"]
        where = f"passages: ¶{n} {notation}"
        if notation in concepts:
            ctx.problem(f"{where}: the concept is linked twice in this passage", record, line=line)
            return
        concepts.add(notation)
        if end - start != len(evidence):
            ctx.problem(f"{where}: start {start} and end {end} span {end - start} characters, "
                        f"but the evidence has {len(evidence)}", record, line=line)
            return
        body = ctx.concepts.get(notation)
        status = ctx.concepts.get(STATUS[link["status"]])
        if body is None or status is None:
            ctx.problem(f"{where}: unknown concept notation {notation!r}", record, line=line)
            return
        a = annotation_iri(passage.value, body[0].value, start, end)
        an, target = nn(a), nn(a + "#target")
        quote, pos = nn(a + "#quote"), nn(a + "#position")
        ctx.locations.setdefault(a, (record.file, line, f"{record.id} ¶{n} {notation}"))
        for s, p, o in (
            (an, RDF_TYPE, nn(V.POCKG + "ConceptLink")), (an, RDF_TYPE, nn(V.OA + "Annotation")),
            (an, V.OA + "motivatedBy", nn(V.OA + "tagging")),
            (an, V.OA + "hasBody", body[0]), (an, V.OA + "hasTarget", target),
            (an, V.POCKG + "score", ox.Literal(str(Decimal("1.0")), datatype=XSD_DECIMAL)),
            (an, V.POCKG + "linkStatus", status[0]),
            (an, V.DCT + "creator", agent), (an, V.PROV + "wasAttributedTo", agent),
            (an, V.DCT + "created", created), (an, V.PROV + "wasDerivedFrom", passage),
            (target, RDF_TYPE, nn(V.OA + "SpecificResource")),
            (target, V.OA + "hasSource", passage),
            (target, V.OA + "hasSelector", quote), (target, V.OA + "hasSelector", pos),
            (quote, RDF_TYPE, nn(V.OA + "TextQuoteSelector")),
            (quote, V.OA + "exact", ox.Literal(evidence)),
            (pos, RDF_TYPE, nn(V.OA + "TextPositionSelector")),
            (pos, V.OA + "start", ox.Literal(str(start), datatype=XSD_INTEGER)),
            (pos, V.OA + "end", ox.Literal(str(end), datatype=XSD_INTEGER)),
        ):
            ctx.add(s, p, o, g)
        note = note_text(link.get("note"))
        if note:
            ctx.add(an, V.SKOS + "note", ox.Literal(note.strip(), language="en"), g)
