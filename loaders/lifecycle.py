"""The lessons-learned lifecycle: allowed transitions and published states.

``data/lifecycle/transitions.yaml`` says which moves between the states of
the ``lifecycle-state`` scheme are allowed, the least role that may make
each and the fields a lesson needs first. The curation service reads them
back from the graph, so the rules are data, not code.
"""

from __future__ import annotations

import pyoxigraph as ox

from loaders.base import Loader
from loaders.context import RDF_TYPE, Context, Record, nn
from pockg import vocab as V

P = V.term


class LifecycleLoader(Loader):
    name, kind, group = "lifecycle", "transition", True

    def emit(self, ctx: Context) -> None:
        g = V.graph("lifecycle")
        for record in self.records:
            self._emit_transition(ctx, record, g)
        for path in self.files():
            from pockg.yamlio import read_yaml

            data = read_yaml(path, self.display(path))
            record = Record("transition", "file", data, self.display(path))
            published = {str(n) for n in data.get("published") or []}
            ctx.published_states = {V.ID + "concept/" + n for n in published}
            states = [n for n, (_, scheme) in ctx.concepts.items() if scheme == "lifecycle-state"]
            for notation in sorted(published - set(states)):
                ctx.problem(f"published: unknown lifecycle state {notation!r}", record, "published")
            for notation in states:
                iri = nn(V.ID + "concept/" + notation)
                ctx.add(iri, P("isPublishedState"), ox.Literal(notation in published), g)
            initial = ctx.concept(data.get("initial"), record, "initial")
            if initial is not None:
                ctx.add(initial, P("isInitialState"), ox.Literal(True), g)

    def _emit_transition(self, ctx: Context, record: Record, g: str) -> None:
        data = record.data
        t = record.iri
        ctx.locate(t, record)
        ctx.add(t, RDF_TYPE, nn(P("LifecycleTransition")), g)
        ctx.add(t, V.DCT + "identifier", ox.Literal(record.id), g)
        for lang, text in (data.get("label") or {"en": record.id}).items():
            ctx.add(t, V.RDFS + "label", ox.Literal(str(text), language=lang), g)
        for notation in data.get("from") or []:
            state = ctx.concept(notation, record, "from")
            if state is not None:
                ctx.add(t, P("fromState"), state, g)
        target = ctx.concept(data.get("to"), record, "to")
        if target is not None:
            ctx.add(t, P("toState"), target, g)
        ctx.add(t, P("allowedRole"), ox.Literal(str(data["role"])), g)
        for curie in data.get("requires") or []:
            prefix, _, local = str(curie).partition(":")
            if prefix not in V.PREFIXES:
                ctx.problem(f"requires: unknown prefix {prefix!r} in {curie!r}", record, "requires")
                continue
            ctx.add(t, P("requiresField"), nn(V.PREFIXES[prefix] + local), g)
