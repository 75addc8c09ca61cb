"""Contested and open questions, and the positions taken on them."""

from __future__ import annotations

from loaders.context import nn
from loaders.fields import POSITION, P
from loaders.recommendations import PassageCited
from pockg import vocab as V


class QuestionsLoader(PassageCited):
    name, kind, group = "questions", "question", True

    def default_label(self, record):
        return record.data.get("question")

    def emit_extra(self, ctx, record):
        for position in record.data.get("positions") or []:
            key = f"{record.id}-{position.get('id')}"
            iri = nn(V.entity("position", key))
            cite = position.get("cite") or self.default_cite(record)
            self.emit_entity(ctx, record, "position", {**position, "id": key}, POSITION, iri,
                             cls=P("Position"), default_cite=cite)
            ctx.claim(record.iri, P("hasPosition"), iri, ctx.citations(cite, record, "positions"))
