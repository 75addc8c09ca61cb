"""Documents and their numbered passages (paragraphs, headings, footnotes).

Only the structure, one-line gists in our own words and short evidence quotes
are kept: a document's full text is not reprinted into the graph.
"""

from __future__ import annotations

import pyoxigraph as ox

from loaders.base import EntityLoader
from loaders.context import RDF_TYPE, Context, nn
from loaders.fields import LABEL, P
from pockg import vocab as V

PASSAGE_CLASS = {
    "paragraph": "Paragraph", "heading": "Heading", "footnote": "Footnote",
    "summary": "Passage", "annex": "Passage",
}


def passage_iri(doc: str, n: str) -> ox.NamedNode:
    return nn(f"{V.entity('document', doc)}/p/{n}")


class DocumentsLoader(EntityLoader):
    name, kind = "documents", "document"

    def default_label(self, record):
        return record.data.get("title")

    def default_cite(self, record):
        return record.data.get("cite", record.id)

    def index(self, ctx: Context) -> None:
        super().index(ctx)
        for record in self.records:
            ctx.documents.add(record.id)
            passages = record.data.get("passages") or []
            for i, passage in enumerate(passages):
                key = (record.id, str(passage["n"]))
                if key in ctx.passages:
                    ctx.problem(f"passages: duplicate passage number ¶{passage['n']}", record,
                                line=passages.item_lines[i])
                ctx.passages[key] = passage_iri(*key)

    def emit_extra(self, ctx: Context, record) -> None:
        g = ctx.source_graph(record.id)
        doc = record.iri
        passages = record.data.get("passages") or []
        for order, passage in enumerate(passages, start=1):
            n = str(passage["n"])
            iri = passage_iri(record.id, n)
            ctx.locate(iri, record, passage, f"{record.id} ¶{n}")
            kind = passage.get("kind", "paragraph")
            ctx.add(iri, RDF_TYPE, nn(P(PASSAGE_CLASS[kind])), g)
            ctx.add(iri, RDF_TYPE, nn(P("Passage")), g)
            ctx.add(iri, V.DCT + "isPartOf", doc, g)
            ctx.add(doc, P("hasPassage"), iri, g)
            ctx.add(iri, P("number"), ox.Literal(n), g)
            ctx.add(iri, P("order"), ox.Literal(order), g)
            ctx.add(iri, V.DCT + "identifier", ox.Literal(n), g)
            shown = f"fn{n[2:]}" if n.startswith("fn") else n
            titles = passage.get("title") if kind == "heading" else None
            if isinstance(titles, str):
                titles = {"en": titles}
            for lang, title in (titles or {"en": ""}).items():
                ctx.add(iri, LABEL.predicate, ox.Literal(
                    f"¶{shown}" + (f" {title}" if title else ""), language=lang), g)
            if passage.get("title"):
                for term in ctx.literal_or_ref(LABEL, passage["title"], record, "passages"):
                    ctx.add(iri, V.DCT + "title", term, g)
            if passage.get("gist"):
                for term in ctx.literal_or_ref(LABEL, passage["gist"], record, "passages"):
                    ctx.add(iri, P("gist"), term, g)
            for quote in passage.get("quotes") or []:
                ctx.add(iri, P("quote"), ox.Literal(str(quote)), g)
            if passage.get("section"):
                section = ctx.passage(record.id, str(passage["section"]), record, "passages")
                if section:
                    ctx.add(iri, P("inSection"), section, g)
            for fn in passage.get("footnotes") or []:
                target = ctx.passage(record.id, str(fn), record, "passages")
                if target:
                    ctx.add(iri, P("hasFootnote"), target, g)
