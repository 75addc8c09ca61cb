"""A ``Document`` as quads: the document, one version, its passages.

IRIs (``<id>`` the document id, ``<h12>`` the first 12 hex digits of the
content hash)::

    document   https://w3id.org/pockg/id/document/<id>
    version    https://w3id.org/pockg/id/document/<id>/v/<h12>
    passage    https://w3id.org/pockg/id/document/<id>/v/<h12>/p/<key>

A passage key is written into its IRI with every character outside
``A-Z a-z 0-9 . _ -`` percent-encoded as UTF-8 (RFC 3986): ``8.4.1`` and
``fn3`` stay as they are, ``#12`` becomes ``%2312``. ``pockg:number`` holds
the key itself.

Graphs: the version and its passages in
``https://w3id.org/pockg/user/public/document/<id>/<h12>``; the document's
own triples (type, label, ``pockg:currentVersion``) in
``https://w3id.org/pockg/user/public/document/<id>``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import pyoxigraph as ox

from pockg import vocab as V
from pockg.ingest.model import Document

RDF_TYPE = ox.NamedNode(V.RDF + "type")
LABEL = ox.NamedNode(V.RDFS + "label")
XSD_DATETIME = ox.NamedNode(V.XSD + "dateTime")
PASSAGE_CLASS = {
    "paragraph": "Paragraph", "heading": "Heading", "footnote": "Footnote",
    "operative": "OperativeParagraph", "passage": None,
}
PUBLIC_DOCUMENTS = V.USER + "public/document/"


def _p(local: str) -> ox.NamedNode:
    return ox.NamedNode(V.term(local))


def document_iri(doc_id: str) -> str:
    return V.entity("document", doc_id)


def version_iri(doc_id: str, hash12: str) -> str:
    return f"{document_iri(doc_id)}/v/{hash12}"


def passage_iri(version: str, key: str) -> str:
    return f"{version}/p/{quote(key, safe='')}"


def document_graph(doc_id: str) -> str:
    return PUBLIC_DOCUMENTS + doc_id


def version_graph(doc_id: str, hash12: str) -> str:
    return f"{PUBLIC_DOCUMENTS}{doc_id}/{hash12}"


def document_quads(doc: Document, previous: str | None = None,
                   created: datetime | None = None) -> list[ox.Quad]:
    """Quads for the document (its graph) and this version with its passages (the version's graph)."""
    doc_node = ox.NamedNode(document_iri(doc.doc_id))
    version = ox.NamedNode(version_iri(doc.doc_id, doc.hash12))
    dg = ox.NamedNode(document_graph(doc.doc_id))
    vg = ox.NamedNode(version_graph(doc.doc_id, doc.hash12))
    when = (created or datetime.now(UTC)).replace(microsecond=0)
    quads = [
        ox.Quad(doc_node, RDF_TYPE, _p("Document"), dg),
        ox.Quad(doc_node, LABEL, ox.Literal(doc.title), dg),
        ox.Quad(doc_node, _p("currentVersion"), version, dg),
        ox.Quad(version, RDF_TYPE, _p("DocumentVersion"), vg),
        ox.Quad(version, ox.NamedNode(V.DCT + "isVersionOf"), doc_node, vg),
        ox.Quad(version, _p("contentHash"), ox.Literal(doc.content_hash), vg),
        ox.Quad(version, ox.NamedNode(V.DCT + "format"), ox.Literal(doc.media_type), vg),
        ox.Quad(version, ox.NamedNode(V.DCT + "created"),
                ox.Literal(when.isoformat().replace("+00:00", "Z"), datatype=XSD_DATETIME), vg),
        ox.Quad(version, LABEL, ox.Literal(f"{doc.title} (version {doc.hash12})"), vg),
    ]
    if previous:
        quads.append(ox.Quad(version, ox.NamedNode(V.PROV + "wasRevisionOf"), ox.NamedNode(previous), vg))
    iris = {p.key: ox.NamedNode(passage_iri(version.value, p.key)) for p in doc.passages}
    for passage in doc.passages:
        node = iris[passage.key]
        quads += [
            ox.Quad(node, RDF_TYPE, _p("Passage"), vg),
            ox.Quad(node, ox.NamedNode(V.DCT + "isPartOf"), version, vg),
            ox.Quad(version, _p("hasPassage"), node, vg),
            ox.Quad(node, _p("number"), ox.Literal(passage.key), vg),
            ox.Quad(node, ox.NamedNode(V.DCT + "identifier"), ox.Literal(passage.key), vg),
            ox.Quad(node, _p("order"), ox.Literal(passage.order), vg),
            ox.Quad(node, _p("text"), ox.Literal(passage.text), vg),
            ox.Quad(node, LABEL, ox.Literal(passage.label), vg),
        ]
        cls = PASSAGE_CLASS.get(passage.kind)
        if cls:
            quads.append(ox.Quad(node, RDF_TYPE, _p(cls), vg))
        if passage.kind == "operative":  # stated, so queries need no reasoner
            quads.append(ox.Quad(node, RDF_TYPE, _p("Paragraph"), vg))
        if passage.section and passage.section in iris:
            quads.append(ox.Quad(node, _p("inSection"), iris[passage.section], vg))
        for note in passage.footnotes:
            if note in iris:
                quads.append(ox.Quad(node, _p("hasFootnote"), iris[note], vg))
    return quads
