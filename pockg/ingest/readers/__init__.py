"""Readers, registered by name: each turns one kind of file into blocks.

``get_reader(name)`` imports a reader lazily (as ``loaders.get_loader``
does); a reader is a module with ``read(data: bytes, file: str) -> Parsed``.
A new format is a new small module plus one line here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module

from pockg.errors import ConfigurationError
from pockg.ingest.structure import Block

READERS = {
    "text": "pockg.ingest.readers.text",
    "markdown": "pockg.ingest.readers.markdown",
    "html": "pockg.ingest.readers.html",
    "pdf": "pockg.ingest.readers.pdf",
    "docx": "pockg.ingest.readers.docx",
}


@dataclass
class Parsed:
    """What a reader found: the blocks in reading order and a title, if any."""

    blocks: list[Block] = field(default_factory=list)
    title: str | None = None


def get_reader(name: str):
    """The ``read`` function of the reader registered as ``name``."""
    try:
        target = READERS[name]
    except KeyError:
        raise ConfigurationError(
            f"unknown reader {name!r} (known: {', '.join(sorted(READERS))})") from None
    return import_module(target).read
