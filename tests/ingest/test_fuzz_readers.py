"""Property-based tests: every reader, given any bytes, gives a Document or a
clear IngestError naming the file, never a crash."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from pockg.errors import IngestError
from pockg.ingest import read_document
from pockg.ingest.model import KINDS

FAST = hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SLOW = hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

PIECES = st.sampled_from([
    "1.1 ", "8.4.1 ", "12. ", "Decides ", "# ", "## 8.2 ", "- ", "* ", "(a) ", "<sup>1</sup>", "[^1]", "[^1]: ",
    "¹", "---", "\f", "\n", "\n\n", "<script>", "</script>", "<p>", "<li>", "<ol>", "<h1>", "<hr>",
    "javascript:", "[x](javascript:a)", "**", "<", ">", "&amp;", "&#0;", "onerror=", "é", "the ", "Text.",
    "work-", "shop", "I. ", "\t", "\r\n", "\x00", "\ufeff"]) | st.text(max_size=6)
NEAR_TEXT = st.lists(PIECES, max_size=60).map("".join)


def check(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    try:
        doc = read_document(path)
    except IngestError as exc:
        assert exc.file == str(path) and str(path) in exc.message
        assert exc.http_status in (413, 415, 422)
        return
    assert doc.passages
    keys = [p.key for p in doc.passages]
    assert len(set(keys)) == len(keys)
    for order, passage in enumerate(doc.passages, start=1):
        assert passage.kind in KINDS and passage.order == order and passage.text
        assert "<script" not in passage.text.lower() and "javascript:" not in passage.text.lower()
        assert passage.section is None or passage.section in keys


@FAST
@given(data=st.binary(max_size=300) | NEAR_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")))
@pytest.mark.parametrize("name", ["f.txt", "f.md", "f.html", "noext"])
def test_any_text_like_file_gives_a_document_or_an_ingest_error(tmp_path, name, data):
    check(tmp_path, name, data)


PDF_PIECES = st.sampled_from([
    b"%PDF-1.4\n", b"1 0 obj\n", b"<< /Type /Catalog /Pages 2 0 R >>", b"endobj\n", b"stream\n", b"endstream\n",
    b"<< /Length 10 /Filter /FlateDecode >>", b"xref\n0 1\n", b"trailer\n<< /Root 1 0 R /Prev 0 >>",
    b"startxref\n0\n%%EOF", b"BT /F1 12 Tf (1.1 Text) Tj ET", b"2 0 R", b"/Count 999999999"]) | st.binary(max_size=8)


@SLOW
@given(data=st.lists(PDF_PIECES, max_size=25).map(b"".join))
def test_any_pdf_gives_a_document_or_an_ingest_error(tmp_path, data):
    check(tmp_path, "f.pdf", b"%PDF-1.4\n" + data)


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in dict(entries).items():
            z.writestr(name, data)
    return buf.getvalue()


DOCX_PARTS = st.lists(st.tuples(
    st.sampled_from(["word/document.xml", "[Content_Types].xml", "_rels/.rels", "word/footnotes.xml",
                     "word/_rels/document.xml.rels", "word/numbering.xml"]),
    st.sampled_from([b"", b"<x/>", b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>",
                     (b"<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'>"
                      b"<w:body><w:p><w:r><w:t>1.1 Text.</w:t></w:r></w:p></w:body></w:document>")])
    | st.binary(max_size=40)),
    min_size=1, max_size=6)


@SLOW
@given(entries=DOCX_PARTS)
def test_any_docx_gives_a_document_or_an_ingest_error(tmp_path, entries):
    check(tmp_path, "f.docx", _zip([("word/document.xml", b"<x/>"), *entries]))  # later entries win
