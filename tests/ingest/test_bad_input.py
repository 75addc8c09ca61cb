"""Bad input: a clear IngestError naming the file and the problem, within
seconds and bounded memory, and nothing stored."""

from __future__ import annotations

import time
import zipfile

import docx
import pytest
from support import FIXTURES, Listener

from ingest.makedocs import report_pdf
from pockg.errors import IngestError
from pockg.ingest import ingest, read_document
from pockg.ingest.readers import pdf as pdf_reader
from pockg.store import open_store

INGEST = FIXTURES / "ingest"

REFUSED = [
    ("empty.txt", 422, "empty"),
    ("whitespace-only.md", 422, "empty"),
    ("junk-binary.txt", 422, "binary content"),
    ("pdf-renamed.txt", 415, "content is a PDF; rename it to .pdf"),
    ("png-renamed.md", 415, "PNG image"),
    ("unsupported.rtf", 415, "unsupported type '.rtf'"),
    ("not-a-pdf.pdf", 422, "not a PDF"),
    ("encrypted.pdf", 422, "encrypted"),
    ("truncated.pdf", 422, "corrupt or truncated"),
    ("circular.pdf", 422, "cyclic"),
    ("bomb-nested-flate.pdf", 422, "PDF bomb"),
    ("huge-page-count.pdf", 422, "100,000,000 pages"),
    ("zip-bomb.docx", 422, "zip bomb"),
]


@pytest.mark.parametrize("name,status,problem", REFUSED, ids=[r[0] for r in REFUSED])
def test_bad_file_is_refused_with_the_file_named_and_the_problem_said(name, status, problem):
    started = time.perf_counter()
    with pytest.raises(IngestError) as caught:
        read_document(INGEST / name)
    assert time.perf_counter() - started < 10
    error = caught.value
    assert error.file == str(INGEST / name) and str(INGEST / name) in error.message
    assert problem in error.message
    assert error.http_status == status and error.exit_code == 3


@pytest.mark.parametrize("name", [r[0] for r in REFUSED])
def test_bad_file_stores_nothing(name):
    store = open_store(":memory:")
    with pytest.raises(IngestError):
        ingest(store, [INGEST / name])
    assert len(store) == 0


def test_file_over_the_size_limit_is_refused_with_413(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("1.1 Text.\n" * 200, encoding="utf-8")
    with pytest.raises(IngestError, match="over the limit of 1,000 bytes") as caught:
        read_document(path, max_bytes=1000)
    assert caught.value.http_status == 413
    assert read_document(path, max_bytes=10_000).passages


def test_missing_file_and_bad_id_are_refused(tmp_path):
    with pytest.raises(IngestError, match="no such file"):
        read_document(tmp_path / "nothing.txt")
    path = tmp_path / "a.txt"
    path.write_text("1.1 Text.", encoding="utf-8")
    for bad in ("", "-x", "a b", "a/b", "é"):
        with pytest.raises(IngestError, match="invalid document id"):
            read_document(path, doc_id=bad)


def test_pdf_reader_runs_under_an_address_space_limit(tmp_path, monkeypatch):
    path = report_pdf(tmp_path / "fine.pdf", sections=1)
    assert read_document(path).passages
    monkeypatch.setattr(pdf_reader, "MEMORY_BYTES", 30 * 1024 * 1024)  # too little for pypdf itself
    with pytest.raises(IngestError, match="ran out of memory"):
        read_document(path)


def test_pdf_over_its_time_limit_is_killed(tmp_path, monkeypatch):
    path = report_pdf(tmp_path / "slow.pdf", sections=20, paragraphs=10)
    monkeypatch.setattr(pdf_reader, "TIMEOUT_S", 0.05)
    started = time.perf_counter()
    with pytest.raises(IngestError, match="took over 0.05 s and was stopped"):
        read_document(path)
    assert time.perf_counter() - started < 5


def test_password_protected_pdf_made_on_the_fly_is_refused(tmp_path):
    path = report_pdf(tmp_path / "locked.pdf", sections=1, encrypt_password="pw")
    with pytest.raises(IngestError, match="encrypted"):
        read_document(path)


def _docx_with(tmp_path, name, replace):
    path = tmp_path / "base.docx"
    document = docx.Document()
    document.add_paragraph("1.1 Text.")
    document.save(path)
    out = tmp_path / name
    with zipfile.ZipFile(path) as z, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as w:
        for item in z.namelist():
            data = z.read(item)
            if item == "word/document.xml":
                data = replace(data)
            w.writestr(item, data)
    return out


def test_docx_with_an_external_entity_is_refused_and_fetches_nothing(tmp_path):
    listener = Listener()

    def add_entity(data: bytes) -> bytes:
        head, _, rest = data.partition(b"?>")
        return (head + b"?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM \"" + listener.url.encode()
                + b"/x\"><!ENTITY file SYSTEM \"file:///etc/passwd\">]>"
                + rest.replace(b"1.1 Text.", b"1.1 &xxe; &file;"))

    path = _docx_with(tmp_path, "xxe.docx", add_entity)
    with pytest.raises(IngestError, match="declares a DTD or entities"):
        read_document(path)
    assert listener.count == 0


def test_docx_with_too_many_parts_is_refused(tmp_path):
    path = tmp_path / "many.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("word/document.xml", "<x/>")
        for n in range(2100):
            z.writestr(f"word/media/{n}.bin", b"")
    with pytest.raises(IngestError, match="2,101 parts"):
        read_document(path)


def test_corrupt_docx_is_refused(tmp_path):
    path = _docx_with(tmp_path, "broken.docx", lambda data: data[: len(data) // 2])
    with pytest.raises(IngestError, match="corrupt Word document"):
        read_document(path)


def test_markdown_scripts_javascript_links_and_handlers_never_reach_the_text():
    doc = read_document(INGEST / "script-and-handlers.md")
    text = "\n".join(p.text for p in doc.passages).lower() + doc.title.lower()
    for bad in ("<script", "alert(", "javascript:", "onerror", "onclick", "<iframe", "evil.example",
                "document.cookie"):
        assert bad not in text
    assert doc.passage("1.1").text == "A lesson with a link and an image."


def test_html_scripts_styles_handlers_and_urls_never_reach_the_text():
    listener = Listener()
    doc = read_document(INGEST / "script-and-handlers.html")
    text = "\n".join(p.text for p in doc.passages).lower()
    for bad in ("<script", "alert(", "javascript:", "onerror", "onmouseover", "evil.example",
                "background", "injected"):
        assert bad not in text
    assert doc.passage("1.1").text == "A lesson with a link and an image."
    assert listener.count == 0
