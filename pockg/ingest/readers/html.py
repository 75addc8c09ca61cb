"""HTML: the text of its blocks, never its scripts, styles or links.

Parsed by lxml's HTML parser with the network off; nothing is fetched.
``script``, ``style``, ``template``, ``iframe``, ``object``, ``svg`` … are
dropped with their content, and only text is kept, so event handlers and
``javascript:`` URLs cannot reach the store. ``h1``–``h6`` are headings,
``li`` list items (a top-level ``ol`` not introduced by a colon gives
numbered paragraphs), ``hr`` a break, ``<sup>3</sup>`` a footnote reference,
and an element with ``id="fn3"`` (``ftn3``, ``footnote-3``) footnote 3.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from pockg.errors import IngestError
from pockg.ingest.guard import decode_text
from pockg.ingest.inline import plain
from pockg.ingest.readers import Parsed
from pockg.ingest.structure import Block

SKIP = {"script", "style", "template", "iframe", "object", "embed", "svg", "math", "noscript",
        "head", "canvas", "audio", "video", "select", "button", "form", "frameset", "frame"}
BLOCK = {"p", "div", "section", "article", "main", "aside", "header", "footer", "nav", "blockquote",
         "pre", "ul", "ol", "li", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "dl", "dt", "dd",
         "h1", "h2", "h3", "h4", "h5", "h6", "hr", "figure", "figcaption", "caption", "address",
         "body", "html", "center", "details", "summary", "fieldset", "legend"}
NOTE_ID = re.compile(r"^(?:fn|ftn|footnote|note|endnote)[-_:]?(\d{1,3})$", re.IGNORECASE)
XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


def _tag(el) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def _inline(el) -> str:
    """Text of ``el`` and its inline children; ``<sup>3</sup>`` kept as a marker."""
    parts = [el.text or ""]
    for child in el:
        tag = _tag(child)
        if tag in SKIP or not tag:
            pass
        elif tag == "br":
            parts.append("\n")
        elif tag == "sup" and re.fullmatch(r"\s*\[?\d{1,3}\]?\s*", child.text_content() or ""):
            parts.append(f"<sup>{re.sub(r'[^0-9]', '', child.text_content())}</sup>")
        elif tag not in BLOCK:
            parts.append(_inline(child))
        parts.append(child.tail or "")
    return "".join(parts)


class _Walker:
    def __init__(self):
        self.blocks: list[Block] = []
        self.depth = 0  # nested lists

    def emit(self, kind: str, raw: str, el, **extra) -> None:
        inline = plain(raw)
        match = NOTE_ID.match(el.get("id") or "")
        if kind in ("text", "item") and (match or inline.defines and "footnote" in
                                         " ".join(a.get("class") or "" for a in el.iterancestors())):
            number = match.group(1) if match else inline.defines
            text = re.sub(r"^\s*\[?\d{1,3}\]?[.)]?\s+", "", inline.text) if match else inline.text
            self.blocks.append(Block("footnote", text, number=number, refs=inline.refs,
                                     line=el.sourceline))
            return
        if inline.defines and kind == "text":
            self.blocks.append(Block("footnote", inline.text, number=inline.defines, line=el.sourceline))
            return
        if inline.text:
            self.blocks.append(Block(kind, inline.text, line=el.sourceline, refs=inline.refs, **extra))

    def walk(self, el) -> None:
        tag = _tag(el)
        if tag in SKIP or not tag:
            return
        if tag == "hr":
            self.blocks.append(Block("break", line=el.sourceline))
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.emit("heading", _inline(el), el, level=int(tag[1]))
        elif tag in ("ul", "ol"):
            before = next((b for b in reversed(self.blocks) if b.kind != "break"), None)
            numbered = tag == "ol" and self.depth == 0 and not (before and before.text.endswith(":"))
            start = int(el.get("start")) if (el.get("start") or "").isdigit() else 1
            self.depth += 1
            for index, child in enumerate(c for c in el if _tag(c) == "li"):
                value = child.get("value")
                number = value if (value or "").isdigit() else str(start + index)
                if NOTE_ID.match(child.get("id") or ""):
                    self.container(child, "item")
                elif numbered:
                    self.container(child, "text", number=number)
                else:
                    self.container(child, "item")
            self.depth -= 1
        elif tag == "tr":
            cells = [plain(_inline(c)).text for c in el if _tag(c) in ("td", "th")]
            if any(cells):
                self.blocks.append(Block("text", " | ".join(cells), line=el.sourceline))
        else:
            self.container(el, "text")

    def container(self, el, kind: str, number: str | None = None) -> None:
        """Inline runs of ``el`` become blocks; block children are walked in order."""
        run = [el.text or ""]
        first = True

        def flush():
            nonlocal run, first
            raw = "".join(run)
            if raw.strip():
                extra = {"number": number} if number and first else {}
                self.emit(kind if first else ("item" if kind != "text" or number else "text"), raw,
                          el, **extra)
                first = False
            run = []

        for child in el:
            tag = _tag(child)
            if tag in SKIP or not tag:
                pass
            elif tag in BLOCK:
                flush()
                self.walk(child)
            elif tag == "br":
                run.append("\n")
            elif tag == "sup" and re.fullmatch(r"\s*\[?\d{1,3}\]?\s*", child.text_content() or ""):
                run.append(f"<sup>{re.sub(r'[^0-9]', '', child.text_content())}</sup>")
            else:
                run.append(_inline(child))
            run.append(child.tail or "")
        flush()


def read(data: bytes, file: str) -> Parsed:
    text = XML_DECL.sub("", decode_text(data, file))
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True,
                                  recover=True, huge_tree=False)
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise IngestError(f"not readable as HTML: {exc}", file=file) from None
    title_el = root.find(".//title")
    title = plain(title_el.text_content()).text if title_el is not None else None
    walker = _Walker()
    body = root.find("body")
    walker.walk(body if body is not None else root)
    if not title:
        title = next((b.text for b in walker.blocks if b.kind == "heading"), None)
    return Parsed(walker.blocks, title or None)
