"""Security Council resolutions and the mandate actions they take."""

from __future__ import annotations

import pyoxigraph as ox

from loaders.base import EntityLoader
from loaders.context import REGISTRY, nn
from loaders.fields import ACTION_EDGE, MANDATE, P
from pockg import vocab as V


def symbol(record) -> str:
    return f"S/RES/{record.data.get('number', record.id)} ({record.data.get('year', '?')})"


def official_page(record) -> str | None:
    """The resolution's page in the UN Official Document System, from its symbol:
    https://undocs.org/en/S/RES/1925(2010)."""
    if record.data.get("year") is None:
        return None
    return f"https://undocs.org/en/S/RES/{record.data.get('number', record.id)}({record.data['year']})"


class ResolutionsLoader(EntityLoader):
    name, kind = "resolutions", "resolution"

    def default_label(self, record):
        return {"en": f"Resolution {record.id} ({record.data.get('year', '?')})",
                "fr": f"Résolution {record.id} ({record.data.get('year', '?')})"}

    def emit_extra(self, ctx, record):
        data = record.data
        ctx.add(record.iri, P("symbol"), ox.Literal(symbol(record)), REGISTRY)
        ctx.add(record.iri, V.SKOS + "altLabel", ox.Literal(symbol(record), language="en"), REGISTRY)
        page = official_page(record)
        if page:
            ctx.add(record.iri, V.FOAF + "page", nn(page), REGISTRY)
        if str(data.get("number")) != record.id:
            ctx.problem(f"number {data.get('number')!r} differs from id {record.id!r}", record, "number")
        date = data.get("date")
        if date is not None and data.get("year") is not None and hasattr(date, "year") \
                and date.year != data["year"]:
            ctx.problem(f"year {data['year']} does not match date {date}", record, "year")
        for i, action in enumerate(data.get("actions") or [], start=1):
            op = str(action.get("operation"))
            iri = nn(V.entity("mandate", f"{record.id}-{op}-{i}"))
            notation = "MA-" + str(action.get("action", "")).upper()
            item = {"id": f"{record.id}-{op}-{i}", **action, "action": notation}
            cite = action.get("cite") or self.default_cite(record)
            if cite is None:
                ctx.problem("actions: claim without a source", record, "actions")
                continue
            if action.get("status") or action.get("note"):
                cite = [c if isinstance(c, dict) else {"source": c} for c in
                        (cite if isinstance(cite, list) else [cite])]
                cite = [{**c, **{k: action[k] for k in ("status", "note") if k in action}}
                        for c in cite]
            self.emit_entity(ctx, record, "mandate", item, MANDATE, iri, cls=P("Mandate"),
                             default_cite=cite)
            ctx.add(iri, V.SKOS + "prefLabel", ox.Literal(
                f"{symbol(record)} {action.get('action')} {op}", language="en"), REGISTRY)
            cites = ctx.citations(cite, record, "actions")
            ctx.claim(iri, P("givenBy"), record.iri, cites)
            ctx.claim(record.iri, P("hasMandate"), iri, cites)
            target = ctx.ref("operation", op, record, "actions")
            if target and notation in ACTION_EDGE:
                ctx.claim(record.iri, ACTION_EDGE[notation], target, cites)
                ctx.claim(record.iri, P("mandates"), target, cites)
