"""The workshop's recommendations, one node each, tagged and cited."""

from __future__ import annotations

from loaders.base import EntityLoader


class PassageCited(EntityLoader):
    """Records with an ``at`` passage are cited to it unless they say otherwise."""

    document: str | None = None

    def emit(self, ctx):
        self.document = ctx.default_document()
        super().emit(ctx)

    def default_cite(self, record):
        cite = record.data.get("cite", record.file_cite)
        if cite is None and self.document and record.data.get("at"):
            cite = f"{self.document} ¶{record.data['at']}"
        return cite


class RecommendationsLoader(PassageCited):
    name, kind, group = "recommendations", "recommendation", True

    def default_label(self, record):
        return {"en": f"Recommendation {record.id} (¶{record.data.get('at')})",
                "fr": f"Recommandation {record.id} (¶{record.data.get('at')})"}
