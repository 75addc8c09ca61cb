"""``read_document``: one file → a ``Document`` with its passages, or an ``IngestError``."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pockg.errors import IngestError
from pockg.ingest import guard
from pockg.ingest.model import Document
from pockg.ingest.readers import get_reader
from pockg.ingest.structure import split

MAX_PASSAGES = 200_000


def read_document(path: str | Path, doc_id: str | None = None,
                  max_bytes: int = guard.DEFAULT_MAX_BYTES, name: str | None = None) -> Document:
    """Read and split one file; nothing is stored.

    The id defaults to a slug of the file name (``name`` overrides the name
    used for the extension, the id and messages, e.g. an uploaded file's
    original name). Raises ``IngestError`` naming the file for any bad input.
    """
    path = Path(path)
    shown = name or str(path)
    data = guard.read_bytes(path, max_bytes) if name is None else _read_named(path, shown, max_bytes)
    doc_id = guard.check_id(doc_id if doc_id is not None else guard.slug(Path(shown).name), shown)
    kind = guard.choose_reader(Path(shown), data)
    parsed = get_reader(kind)(data, shown)
    passages = split(parsed.blocks)
    if not passages:
        raise IngestError("no text found (a scanned PDF without a text layer, or only markup)",
                          file=shown)
    if len(passages) > MAX_PASSAGES:
        raise IngestError(f"{len(passages):,} passages, over the limit of {MAX_PASSAGES:,}", file=shown)
    title = (parsed.title or Path(shown).stem).strip()[:300] or doc_id
    return Document(doc_id=doc_id, title=title, media_type=guard.MEDIA_TYPES[kind],
                    content_hash=hashlib.sha256(data).hexdigest(), passages=passages, path=path)


def _read_named(path: Path, shown: str, max_bytes: int) -> bytes:
    try:
        return guard.read_bytes(path, max_bytes)
    except IngestError as exc:
        raise IngestError(exc.message.split(": ", 1)[-1], file=shown,
                          http_status=exc.http_status) from None
