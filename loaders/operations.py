"""UN peace operations (and the non-UN forces they succeeded or worked beside)."""

from __future__ import annotations

from loaders.base import EntityLoader


class OperationsLoader(EntityLoader):
    name, kind = "operations", "operation"

    def default_label(self, record):
        return {"en": record.data.get("acronym") or record.id}
