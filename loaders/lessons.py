"""Lessons written back from curation (``pockg export-data``), one file each.

A file's keys are the lesson's fields as the SHACL shape names them
(``prefLabel``, ``observation``, ``mission``, ``lifecycleState`` …): text
as ``{en: …}``, references as ``kind/id`` (``operation/MONUC``,
``concept/T1``) or full IRIs, times as ISO 8601. Each lesson goes to the
graph of its tier (``graph/public|internal|draft/lesson/<id>``), so drafts
and internal lessons stay hidden from readers after a rebuild too. A lesson
that is also curated in the store is left to curation (see ``pockg.build``).
"""

from __future__ import annotations

import pyoxigraph as ox

from loaders.base import Loader
from loaders.context import RDF_TYPE, Context, Record, nn
from pockg import vocab as V
from pockg.curation import graphs as G
from pockg.curation.fields import by_key, expand, lesson_fields

PUBLIC = V.ID + "concept/PUB-PUBLIC"


class LessonsLoader(Loader):
    name, kind = "lessons", "lesson"

    def emit(self, ctx: Context) -> None:
        fields = by_key(lesson_fields(self.settings.ontology_dir / "shapes"))
        published = getattr(ctx, "published_states", set())
        for record in self.records:
            iri = record.iri
            ctx.locate(iri, record)
            triples = [(RDF_TYPE, nn(V.term("Lesson")))]
            for key, value in record.data.items():
                if key == "id":
                    continue
                spec = fields.get(key)
                if spec is None:
                    ctx.problem(f"{key}: not a field of a lesson (see ontology/shapes, "
                                "shapes:LessonShape)", record, key)
                    continue
                for term in self._terms(ctx, record, spec, key, value):
                    triples.append((nn(spec.path), term))
            state = next((o.value for p, o in triples if p.value == V.term("lifecycleState")), None)
            public = any(p.value == V.term("publicity") and o.value == PUBLIC for p, o in triples)
            g = G.lesson_graph(record.id, G.tier_for(state in published, public), V.GRAPH)
            for p, o in triples:
                ctx.add(iri, p, o, g)

    def _terms(self, ctx: Context, record: Record, spec, key, value) -> list:
        if spec.kind == "text":
            if not isinstance(value, dict):
                ctx.problem(f"{key}: expected text by language, like {{en: …}}", record, key)
                return []
            return [ox.Literal(str(text), language=str(lang)) for lang, text in value.items()]
        items = value if isinstance(value, list) else [value]
        out = []
        for item in items:
            if spec.kind == "datetime":
                out.append(ox.Literal(str(item), datatype=nn(V.XSD + "dateTime")))
                continue
            try:
                out.append(nn(expand(str(item))))
            except ValueError:
                ctx.problem(f"{key}: {item!r} is not an IRI or kind/id reference", record, key)
        return out
