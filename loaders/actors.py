"""Actors: organisations, mission sections and posts, people, and their roles."""

from __future__ import annotations

from loaders.base import EntityLoader
from loaders.context import nn
from loaders.fields import P, ROLE
from pockg import vocab as V


class ActorsLoader(EntityLoader):
    name, kind, group = "actors", "actor", True

    def emit_extra(self, ctx, record):
        for i, role in enumerate(record.data.get("roles") or [], start=1):
            iri = nn(V.entity("role", f"{record.id}-{i}"))
            data = {"id": f"{record.id}-{i}", "label": role.get("role"), **role}
            self.emit_entity(ctx, record, "role", data, ROLE, iri, cls=P("ActorRole"),
                             default_cite=role.get("cite") or self.default_cite(record))
            cites = ctx.citations(role.get("cite") or self.default_cite(record), record, "roles")
            ctx.claim(record.iri, P("hasRole"), iri, cites)
