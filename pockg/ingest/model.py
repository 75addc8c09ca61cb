"""What a reader makes of a file: a document and its passages, in order."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

KINDS = ("paragraph", "heading", "footnote", "operative", "passage")


@dataclass
class Passage:
    """One passage of a document.

    ``key`` is the document's own number (``8.4.1``, ``12``), ``fnN`` for
    footnote N, or ``#N`` for the N-th passage where the document gives it no
    number; ``order`` counts from 1 in reading order; ``section`` is the key
    of the heading it sits under; ``footnotes`` the keys of the footnotes it
    cites. ``text`` is plain text (no markup).
    """

    key: str
    kind: str
    text: str
    order: int = 0
    section: str | None = None
    page: int | None = None
    footnotes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"¶{self.key}"


@dataclass
class Document:
    """An ingested file: ``content_hash`` is the SHA-256 (hex) of its bytes."""

    doc_id: str
    title: str
    media_type: str
    content_hash: str
    passages: list[Passage] = field(default_factory=list)
    path: Path | None = None

    @property
    def hash12(self) -> str:
        return self.content_hash[:12]

    def passage(self, key: str) -> Passage | None:
        return next((p for p in self.passages if p.key == key), None)

    def keys(self) -> list[str]:
        return [p.key for p in self.passages]
