"""Plain text, including the light marks PDF-to-text converters leave.

Blank lines separate blocks; a line starting ``#`` is a heading, ``-``/``*``/
``•`` or ``(a)`` a list item, a numbered line (``8.4.1 ``, ``12. ``) starts a
new block; ``---``/``***``/``___`` and form feeds are page breaks. After a
break, ``<sup>3</sup> text``, ``[^3]: text`` or ``3 text`` is footnote 3.
With form feeds, running headers, footers and page numbers are dropped.
"""

from __future__ import annotations

import re

from pockg.ingest.guard import decode_text
from pockg.ingest.inline import plain
from pockg.ingest.readers import Parsed
from pockg.ingest.structure import DOTTED, INTEGER, Block, running_lines

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
ITEM = re.compile(r"^\s*(?:[-*•–▪●◦+]|\((?:[a-z]{1,2}|[ivx]{1,5}|\d{1,2})\))\s+(?=\S)", re.IGNORECASE)
RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,}|={3,})\s*$")
PLAIN_NOTE = re.compile(r"^(\d{1,3})\s+(?=\S)")
BREAK = "\f"


def _lines(text: str) -> list[tuple[int, int, str]]:
    """(page, line number, line) with running lines dropped when there are pages."""
    pages = [page.split("\n") for page in text.split(BREAK)]
    drops = running_lines(pages) if len(pages) > 2 else [set() for _ in pages]
    out, number = [], 0
    for index, (lines, drop) in enumerate(zip(pages, drops)):
        for i, line in enumerate(lines):
            number += 1
            if i not in drop:
                out.append((index + 1, number, line))
        if index < len(pages) - 1:
            out.append((index + 1, number, BREAK))
    return out


def read(data: bytes, file: str) -> Parsed:
    text = decode_text(data, file)
    pages = text.count(BREAK) > 0
    blocks: list[Block] = []
    group: list[str] = []
    kind, start, page = "text", 0, 1
    notes_zone = False

    def flush() -> None:
        nonlocal group, kind, notes_zone
        if group:
            inline = plain("\n".join(group), marks=True)
            block_kind, number, body = kind, None, inline.text
            if block_kind == "text" and inline.defines:
                block_kind, number = "footnote", inline.defines
            elif block_kind == "text" and notes_zone and PLAIN_NOTE.match(body) \
                    and not (DOTTED.match(body) or INTEGER.match(body)):
                block_kind, number = "footnote", PLAIN_NOTE.match(body).group(1)
                body = body[PLAIN_NOTE.match(body).end():]
            if block_kind == "text" and notes_zone and not body[:1].isdigit():
                notes_zone = False
            if body:
                blocks.append(Block(block_kind, body, level=len(group[0]) - len(group[0].lstrip("#"))
                                    if block_kind == "heading" else 0, page=page if pages else None,
                                    line=start, number=number, refs=inline.refs, guess_headings=True))
        group, kind = [], "text"

    for page_no, number, line in _lines(text):
        page = page_no
        if line == BREAK or RULE.match(line):
            flush()
            blocks.append(Block("break", page=page_no))
            notes_zone = True
            continue
        if not line.strip():
            flush()
            continue
        heading = HEADING.match(line)
        if heading:
            flush()
            group, kind, start = [line], "heading", number
            inline = plain(heading.group(2), marks=True)
            blocks.append(Block("heading", inline.text, level=len(heading.group(1)),
                                page=page_no if pages else None, line=number, refs=inline.refs))
            group = []
            continue
        item = ITEM.match(line)
        if item or DOTTED.match(line.strip()) or INTEGER.match(line.strip()) \
                or plain(line).defines:
            flush()
            kind = "item" if item else "text"
            group, start = [line[item.end():] if item and line.lstrip()[:1] in "-*•–▪●◦+" else
                            line.strip()], number
            continue
        if not group:
            start = number
        group.append(line)
    flush()
    title = next((b.text for b in blocks if b.kind == "heading"), None) or \
        next((b.text for b in blocks if b.kind == "text"), None)
    return Parsed(blocks, title[:200] if title else None)
