"""Checks every file passes before a reader sees it: size, emptiness, type, text.

The reader is chosen from the file name's extension and the bytes must agree
with it: the magic number of a PDF, a DOCX (a zip with ``word/document.xml``)
or another binary format under a different extension is refused (415), and
so is text that does not decode, or carries NUL or many control characters
(binary junk, 422). A file with no extension is read as what its bytes are.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from io import BytesIO
from pathlib import Path

from pockg.errors import IngestError

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

EXTENSIONS = {
    ".txt": "text", ".text": "text",
    ".md": "markdown", ".markdown": "markdown",
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}
MEDIA_TYPES = {
    "text": "text/plain",
    "markdown": "text/markdown",
    "html": "text/html",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
# Formats we recognise only to refuse them with a helpful name.
OTHER_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office (.doc/.xls) file"),
    (b"\x1f\x8b", "a gzip archive"), (b"Rar!", "a RAR archive"), (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x7fELF", "a program (ELF)"), (b"MZ", "a Windows program"), (b"{\\rtf", "an RTF file"),
    (b"BZh", "a bzip2 archive"), (b"\xfd7zXZ\x00", "an xz archive"), (b"OggS", "an Ogg file"),
    (b"RIFF", "a RIFF (audio/video/webp) file"), (b"%!PS", "a PostScript file"),
)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
         (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def read_bytes(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The file's bytes, refused when missing, over ``max_bytes`` or empty."""
    name = str(path)
    if not path.is_file():
        raise IngestError("no such file", file=name)
    size = path.stat().st_size
    if size > max_bytes:
        raise IngestError(f"the file is {size:,} bytes, over the limit of {max_bytes:,} bytes",
                          file=name, http_status=413)
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise IngestError(f"the file is over the limit of {max_bytes:,} bytes", file=name, http_status=413)
    if not data.strip():
        raise IngestError("the file is empty", file=name)
    return data


def sniff(data: bytes) -> str | None:
    """What the bytes are: ``pdf``, ``docx``, ``zip``, another binary format's name, or None."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        try:
            with zipfile.ZipFile(BytesIO(data)) as archive:
                names = set(archive.namelist()[:10000])
        except (zipfile.BadZipFile, ValueError, OSError, EOFError):
            return "a damaged zip archive"
        return "docx" if "word/document.xml" in names else "a zip archive (not a Word document)"
    for magic, what in OTHER_MAGIC:
        if data.startswith(magic):
            return what
    return None


def choose_reader(path: Path, data: bytes) -> str:
    """The reader for this file: its extension, checked against its bytes."""
    name = str(path)
    suffix = path.suffix.lower()
    found = sniff(data)
    if suffix and suffix not in EXTENSIONS:
        raise IngestError(
            f"unsupported type {suffix!r} (supported: {', '.join(sorted(EXTENSIONS))})",
            file=name, http_status=415)
    declared = EXTENSIONS.get(suffix)
    if declared is None:  # no extension: read what the bytes are
        if found in ("pdf", "docx"):
            return found
        if found:
            raise IngestError(f"unsupported type: the file is {found}", file=name, http_status=415)
        head = data[:2048].lstrip().lower()
        return "html" if head.startswith((b"<!doctype html", b"<html")) else "text"
    if declared in ("pdf", "docx"):
        if found != declared:
            what = {"pdf": "a PDF", "docx": "a Word document (.docx)"}[found] if found in ("pdf", "docx") \
                else found or "not one"
            if declared == "pdf" and found is None:
                raise IngestError("not a PDF: the file does not start with %PDF- (corrupt or "
                                  "another format)", file=name)
            raise IngestError(f"the name says {suffix} but the content is {what}",
                              file=name, http_status=415 if found else 422)
        return declared
    if found in ("pdf", "docx"):
        ext = ".pdf" if found == "pdf" else ".docx"
        raise IngestError(f"the name says {suffix} but the content is a "
                          f"{'PDF' if found == 'pdf' else 'Word document'}; rename it to {ext} "
                          "to ingest it as one", file=name, http_status=415)
    if found:
        raise IngestError(f"binary content under a text extension ({suffix}): the file is {found}",
                          file=name, http_status=415)
    return declared


def decode_text(data: bytes, file: str) -> str:
    """Text from bytes (UTF-8/16/32 with BOM, UTF-8, else Windows-1252), refusing binary junk."""
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), None)
    try:
        text = data.decode(encoding or "utf-8")
    except UnicodeDecodeError as exc:
        if encoding:
            raise IngestError(f"the text does not decode as {encoding} (byte {exc.start})",
                              file=file) from None
        if b"\x00" in data:
            raise IngestError(f"binary content, not text (NUL byte at {data.index(0)})", file=file) from None
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise IngestError(f"binary content, not text (byte {exc.start} is not UTF-8 "
                              "nor Windows-1252)", file=file) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise IngestError(f"binary content, not text (NUL character on line {line})", file=file)
    controls = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\t\n\r\f") or 0x7F <= ord(ch) < 0xA0)
    if controls > max(8, len(text) // 200):
        raise IngestError(f"binary content, not text ({controls} control characters)", file=file)
    if not text.strip():
        raise IngestError("the file is empty (only white space)", file=file)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def slug(name: str) -> str:
    """A document id from a file name: ``PoC Report (2010).pdf`` → ``poc-report-2010``."""
    stem = Path(name).name
    for suffix in sorted(EXTENSIONS, key=len, reverse=True):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", stem.lower())
    text = re.sub(r"-{2,}", "-", text).strip("-._")
    return text[:100] or "document"


def check_id(doc_id: str, file: str | None = None) -> str:
    if not ID_PATTERN.match(doc_id or "") or len(doc_id) > 200:
        raise IngestError(f"invalid document id {doc_id!r}: use letters, digits, '.', '-', '_' "
                          "(starting with a letter or digit)", file=file)
    return doc_id
