"""Markdown, parsed by markdown-it-py with raw HTML off.

Headings, paragraphs, list items and rules become blocks. A top-level
ordered-list item (``12. Decides ...``) is numbered paragraph 12 unless the
text before the list ends with a colon (then it is a list of that text).
Raw HTML is never rendered: tags are stripped from the text (``<script>``
with its content), links keep only their words, so ``javascript:`` URLs and
event handlers are gone. ``[^3]: text`` defines footnote 3.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from pockg.ingest.guard import decode_text
from pockg.ingest.inline import plain
from pockg.ingest.readers import Parsed
from pockg.ingest.structure import Block

NOTE_DEF = re.compile(r"^\[\^(\d{1,3})\]:[ \t]*", re.MULTILINE)


def _inline(token) -> str:
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts)


def read(data: bytes, file: str) -> Parsed:
    text = decode_text(data, file)
    # a footnote definition would otherwise be read as a link reference definition
    text = NOTE_DEF.sub(lambda m: f"\n<sup>{m.group(1)}</sup> ", text)
    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
    tokens = md.parse(text)
    blocks: list[Block] = []
    lists: list[tuple[str, bool]] = []   # (kind, numbered) of open lists, outermost first
    items: list[bool] = []               # has the open item had its first paragraph?
    heading_level = 0
    row: list[str] = []
    for index, token in enumerate(tokens):
        line = token.map[0] + 1 if token.map else None
        if token.type == "heading_open":
            heading_level = int(token.tag[1])
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            before = next((b for b in reversed(blocks) if b.kind != "break"), None)
            numbered = (token.type == "ordered_list_open" and not lists
                        and not (before is not None and before.text.rstrip().endswith(":")))
            lists.append((token.type, numbered))
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif token.type == "list_item_open":
            items.append(False)
            if lists and lists[-1][0] == "ordered_list_open" and not lists[-1][1]:
                token.meta["prefix"] = f"{token.info}. "
            items[-1] = token.info if lists and lists[-1][1] else ""
        elif token.type == "list_item_close":
            items.pop()
        elif token.type == "hr":
            blocks.append(Block("break", line=line))
        elif token.type in ("th_open", "td_open"):
            pass
        elif token.type == "tr_close":
            blocks.append(Block("text", " | ".join(row), line=line))
            row = []
        elif token.type in ("fence", "code_block"):
            inline = plain(token.content)
            if inline.text:
                blocks.append(Block("text", inline.text, line=line))
        elif token.type == "inline":
            inline = plain(_inline(token), marks=True)
            parent = tokens[index - 1].type if index else ""
            if parent in ("th_open", "td_open"):
                row.append(inline.text)
                continue
            if not inline.text and not inline.defines:
                continue
            if heading_level:
                blocks.append(Block("heading", inline.text, level=heading_level, line=line, refs=inline.refs))
                heading_level = 0
            elif inline.defines and not items:
                blocks.append(Block("footnote", inline.text, line=line, number=inline.defines,
                                    refs=inline.refs))
            elif items and items[-1] not in (False, None, True) and items[-1] != "" and len(lists) == 1 \
                    and lists[0][1]:
                blocks.append(Block("text", inline.text, line=line, number=items[-1], refs=inline.refs))
                items[-1] = True
            elif items:
                prefix = ""
                opener = next((t for t in reversed(tokens[:index]) if t.type == "list_item_open"), None)
                if opener is not None and items[-1] == "":
                    prefix = opener.meta.get("prefix", "")
                blocks.append(Block("item", prefix + inline.text, line=line, refs=inline.refs))
                items[-1] = True
            else:
                blocks.append(Block("text", inline.text, line=line, refs=inline.refs))
    title = next((b.text for b in blocks if b.kind == "heading"), None)
    return Parsed(blocks, title)
