"""Outside sources: the bibliography every non-report claim cites."""

from __future__ import annotations

from loaders.base import EntityLoader


class SourcesLoader(EntityLoader):
    name, kind = "sources", "source"

    def default_label(self, record):
        return record.data.get("title")
