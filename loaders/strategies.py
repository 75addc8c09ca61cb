"""Mission PoC strategies and the action plans that implement them."""

from __future__ import annotations

from loaders.base import EntityLoader
from loaders.context import nn
from loaders.fields import ACTION_PLAN, P
from pockg import vocab as V


class StrategiesLoader(EntityLoader):
    name, kind = "strategies", "strategy"

    def default_label(self, record):
        return record.data.get("title") or {"en": f"{record.data.get('mission')} PoC strategy"}

    def emit_extra(self, ctx, record):
        for plan in record.data.get("action_plans") or []:
            iri = nn(V.entity("action-plan", str(plan.get("id"))))
            cite = plan.get("cite") or self.default_cite(record)
            self.emit_entity(ctx, record, "action-plan", plan, ACTION_PLAN, iri,
                             cls=P("ActionPlan"), default_cite=cite)
            ctx.claim(record.iri, P("hasActionPlan"), iri, ctx.citations(cite, record, "action_plans"))
