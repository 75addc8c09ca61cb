"""Ingest documents: PDF, HTML, Markdown, DOCX and plain text → passages → RDF.

``read_document(path)`` reads and splits one file (nothing stored);
``ingest(store, paths)`` reads every file first, then stores each new
version in one transaction. Bad input raises ``pockg.errors.IngestError``.
"""

from __future__ import annotations

from pockg.ingest.guard import DEFAULT_MAX_BYTES
from pockg.ingest.model import Document, Passage
from pockg.ingest.read import read_document

__all__ = ["DEFAULT_MAX_BYTES", "Document", "IngestResult", "Passage", "ingest", "read_document"]


def __getattr__(name):  # ingest pulls in pyoxigraph; load it only when asked for
    if name in ("ingest", "IngestResult"):
        from pockg.ingest import store_ingest

        return getattr(store_ingest, name)
    raise AttributeError(name)
