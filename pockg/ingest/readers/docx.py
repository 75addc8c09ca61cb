"""Word (.docx): paragraphs, headings, lists, tables and footnotes, in order.

A .docx is a zip, so the archive is checked before anything is parsed: at
most ``MAX_ENTRIES`` entries and ``MAX_UNPACKED`` bytes unpacked, no entry
that inflates more than ``MAX_RATIO`` times, and no XML part with a DTD or
entity declaration (so no entity is expanded or fetched). python-docx and
lxml parse with entity resolution and the network off.

Styles ``Heading N``/``Title`` are headings; a paragraph Word numbers with
a decimal number at the outer level is that numbered paragraph (its number
counted as Word counts it); other list paragraphs are items. Footnote
references become ``fnN`` links to the footnotes part.
"""

from __future__ import annotations

import re
import zipfile
from io import BytesIO

from lxml import etree

from pockg.errors import IngestError
from pockg.ingest.inline import plain
from pockg.ingest.readers import Parsed
from pockg.ingest.structure import Block

MAX_ENTRIES = 2000
MAX_UNPACKED = 200 * 1024 * 1024
MAX_RATIO = 200
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _q(name: str) -> str:
    return f"{{{W}}}{name}"


def check_archive(data: bytes, file: str) -> zipfile.ZipFile:
    """Open the zip after checking its size, entry count, ratios and XML prologues."""
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise IngestError(f"corrupt Word document (not a readable zip: {exc})", file=file) from None
    if len(infos) > MAX_ENTRIES:
        raise IngestError(f"the Word document has {len(infos):,} parts (limit {MAX_ENTRIES:,}): "
                          "refused as a possible zip bomb", file=file)
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED:
        raise IngestError(f"the Word document unpacks to {total:,} bytes (limit {MAX_UNPACKED:,}): "
                          "refused as a possible zip bomb", file=file, http_status=413)
    for info in infos:
        if info.file_size > 1_000_000 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise IngestError(f"part {info.filename} inflates {info.file_size // max(info.compress_size, 1):,}"
                              " times: refused as a possible zip bomb", file=file)
        if info.filename.endswith((".xml", ".rels")):
            try:
                with archive.open(info) as part:
                    head = part.read(65536)
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as exc:
                raise IngestError(f"corrupt Word document (part {info.filename}: {exc})", file=file) from None
            if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
                raise IngestError(f"part {info.filename} declares a DTD or entities: refused "
                                  "(no entity is ever expanded or fetched)", file=file)
    return archive


def _text(p) -> str:
    parts = []
    for node in p.iter(_q("t"), _q("tab"), _q("br"), _q("cr"), _q("footnoteReference")):
        if node.tag == _q("t"):
            parts.append(node.text or "")
        elif node.tag == _q("footnoteReference"):
            parts.append(f"<sup>{node.get(_q('id'))}</sup>")
        elif node.tag == _q("tab"):
            parts.append(" ")
        else:
            parts.append("\n")
    return "".join(parts)


def _numbering(document) -> dict[tuple[str, str], str]:
    """(numId, ilvl) → numFmt, from the numbering part if there is one."""
    try:
        root = document.part.numbering_part.element
    except (NotImplementedError, KeyError, AttributeError):
        return {}
    abstract = {}
    for a in root.findall(_q("abstractNum")):
        abstract[a.get(_q("abstractNumId"))] = {
            lvl.get(_q("ilvl")): (lvl.find(_q("numFmt")).get(_q("val")) if lvl.find(_q("numFmt")) is not None
                                  else "decimal") for lvl in a.findall(_q("lvl"))}
    formats = {}
    for num in root.findall(_q("num")):
        ref = num.find(_q("abstractNumId"))
        levels = abstract.get(ref.get(_q("val")) if ref is not None else None, {})
        for ilvl, fmt in levels.items():
            formats[(num.get(_q("numId")), ilvl)] = fmt
    return formats


def _footnotes(archive: zipfile.ZipFile) -> list[Block]:
    try:
        raw = archive.read("word/footnotes.xml")
    except KeyError:
        return []
    try:
        root = etree.fromstring(raw, SAFE)
    except etree.XMLSyntaxError as exc:
        raise IngestError(f"corrupt footnotes part: {exc}", file=None) from None
    blocks = []
    for note in root.findall(_q("footnote")):
        number = note.get(_q("id")) or ""
        if note.get(_q("type")) in ("separator", "continuationSeparator", "continuationNotice") \
                or not number.isdigit() or number == "0":
            continue
        text = plain(" ".join(_text(p) for p in note.iter(_q("p")))).text
        if text:
            blocks.append(Block("footnote", text, number=number))
    return blocks


def read(data: bytes, file: str) -> Parsed:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    archive = check_archive(data, file)
    try:
        document = docx.Document(BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, etree.XMLSyntaxError, zipfile.BadZipFile,
            AttributeError, TypeError, IndexError) as exc:
        raise IngestError(f"corrupt Word document ({type(exc).__name__}: {exc})", file=file) from None
    formats = _numbering(document)
    styles = {s.style_id: s.name or "" for s in document.styles}
    counters: dict[str, int] = {}
    blocks: list[Block] = []
    body = document.element.body
    for element in body.iterchildren():
        if element.tag == _q("tbl"):
            for row in element.iter(_q("tr")):
                cells = [plain(" ".join(_text(p) for p in cell.iter(_q("p")))).text
                         for cell in row.iter(_q("tc"))]
                if any(cells):
                    blocks.append(Block("text", " | ".join(cells)))
            continue
        if element.tag != _q("p"):
            continue
        style_el = element.find(f"{_q('pPr')}/{_q('pStyle')}")
        style_id = style_el.get(_q("val")) if style_el is not None else ""
        style = styles.get(style_id, style_id or "")
        inline = plain(_text(element))
        if not inline.text:
            continue
        heading = re.match(r"(?i)heading\s*(\d)$", style or "")
        if heading or (style or "").lower() == "title":
            blocks.append(Block("heading", inline.text, level=int(heading.group(1)) if heading else 1,
                                refs=inline.refs))
            continue
        num = element.find(f"{_q('pPr')}/{_q('numPr')}")
        if num is not None:
            num_id = num.find(_q("numId"))
            ilvl = num.find(_q("ilvl"))
            key = (num_id.get(_q("val")) if num_id is not None else "",
                   ilvl.get(_q("val")) if ilvl is not None else "0")
            fmt = formats.get(key, "bullet")
            if fmt == "decimal" and key[1] == "0":
                counters[key[0]] = counters.get(key[0], 0) + 1
                blocks.append(Block("text", inline.text, number=str(counters[key[0]]), refs=inline.refs))
            else:
                blocks.append(Block("item", inline.text, refs=inline.refs))
            continue
        if (style or "").lower().startswith("list"):
            blocks.append(Block("item", inline.text, refs=inline.refs))
            continue
        blocks.append(Block("text", inline.text, refs=inline.refs, guess_headings=False))
    try:
        notes = _footnotes(archive)
    except IngestError as exc:
        raise IngestError(exc.message, file=file) from None
    if notes:
        blocks += [Block("break"), *notes]
    title = (document.core_properties.title or "").strip() or \
        next((b.text for b in blocks if b.kind == "heading"), None)
    return Parsed(blocks, title or None)
