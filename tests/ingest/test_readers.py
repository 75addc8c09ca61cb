"""Each reader keeps the document's own structure: numbers, headings,
footnotes, operative paragraphs, lists, page-break continuations."""

from __future__ import annotations

import re
import zipfile

import docx
import pytest
from support import FIXTURES

from ingest.makedocs import report_pdf
from pockg.errors import ConfigurationError
from pockg.ingest import read_document
from pockg.ingest.guard import MEDIA_TYPES
from pockg.ingest.readers import READERS, get_reader

INGEST = FIXTURES / "ingest"


def keys(doc):
    return [p.key for p in doc.passages]


def test_every_format_has_a_registered_reader():
    assert set(READERS) == {"text", "markdown", "html", "pdf", "docx"} == set(MEDIA_TYPES)
    for name in READERS:
        assert callable(get_reader(name))
    with pytest.raises(ConfigurationError, match="unknown reader"):
        get_reader("rtf")


# -- plain text ----------------------------------------------------------
def test_resolution_operative_paragraphs_are_numbered_and_typed():
    doc = read_document(INGEST / "resolution-operative.txt")
    operative = [p for p in doc.passages if p.kind == "operative"]
    assert [p.key for p in operative] == ["1", "2", "3", "4"]
    assert operative[0].text.startswith("Decides to extend")
    # sub-paragraphs (a), (b) stay in paragraph 2; a wrapped line stays in 3
    assert "(a) threats to civilians" in operative[1].text and "(b) the implementation" in operative[1].text
    assert operative[2].text.endswith("under imminent threat of physical violence;")
    preamble = [p for p in doc.passages if p.text.startswith(("Recalling", "Expressing"))]
    assert [p.kind for p in preamble] == ["passage", "passage"]


def test_numbered_paragraphs_that_are_not_resolution_verbs_are_plain_paragraphs(tmp_path):
    path = tmp_path / "sg-report.txt"
    path.write_text("I. Introduction\n\n1. The present report is submitted pursuant to resolution 1894.\n\n"
                    "2. It covers the period from January to June.\n", encoding="utf-8")
    doc = read_document(path)
    assert [(p.key, p.kind, p.section) for p in doc.passages] == [
        ("I", "heading", None), ("1", "paragraph", "I"), ("2", "paragraph", "I")]


def test_headings_are_told_from_numbered_paragraphs(tmp_path):
    path = tmp_path / "report.txt"
    path.write_text("8. Recommendations\n\n8.2 Key Drafting Considerations\n\n"
                    "8.2.1 The question of who drafts matters. It depends on the mission.\n\n"
                    "## 8.3 Purpose and Scope\n\n8.3.1 Scope varies.\n", encoding="utf-8")
    doc = read_document(path)
    assert [(p.key, p.kind, p.section) for p in doc.passages] == [
        ("8", "heading", None), ("8.2", "heading", "8"), ("8.2.1", "paragraph", "8.2"),
        ("8.3", "heading", "8"), ("8.3.1", "paragraph", "8.3")]


def test_form_feed_pages_lose_running_headers_and_page_numbers_and_keep_continuations(tmp_path):
    topics = ["early warning", "patrols near camps", "child protection", "host government talks"]
    pages = [f"UN Mission Protection Strategy\n\n{n}.1 Paragraph {n}.1 is about {topic} and runs into the"
             f"\n\nPage {n} of 4" for n, topic in enumerate(topics, start=1)]
    text = "\f".join(page if n == 0 else page.replace("Strategy\n\n", f"Strategy\n\nfollowing text on {topics[n - 1]}.\n\n", 1)
                     for n, page in enumerate(pages))
    path = tmp_path / "paged.txt"
    path.write_text(text, encoding="utf-8")
    doc = read_document(path)
    assert keys(doc) == ["1.1", "2.1", "3.1", "4.1"]
    assert doc.passage("1.1").text == "Paragraph 1.1 is about early warning and runs into the following text on early warning."
    assert doc.passage("1.1").page == 1
    assert all("Protection Strategy" not in p.text and "Page" not in p.text for p in doc.passages)


def test_a_number_seen_twice_gets_a_suffix(tmp_path):
    path = tmp_path / "twice.txt"
    path.write_text("1. Decides one thing;\n\n1. Decides it again;\n", encoding="utf-8")
    assert keys(read_document(path)) == ["1", "1-2"]


def test_text_encodings_are_read(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("1.1 Protection des civils à Bunia.\n".encode("cp1252"))
    assert read_document(path).passage("1.1").text == "Protection des civils à Bunia."
    path.write_bytes("1.1 Protection des civils à Bunia.\n".encode("utf-16"))
    assert read_document(path).passage("1.1").text == "Protection des civils à Bunia."


# -- Markdown --------------------------------------------------------------
def test_markdown_headings_lists_footnotes_and_ordered_operative_paragraphs(tmp_path):
    path = tmp_path / "res.md"
    path.write_text(
        "# Resolution 9902\n\nThe Security Council,\n\n"
        "1. Decides to extend the mandate;\n"
        "2. Requests a report on:\n   - threats to civilians[^1],\n   - child protection;\n\n"
        "The tasks are:\n\n1. first task\n2. second task\n\n"
        "## 8.2 Key Drafting Considerations\n\n8.2.1 Who drafts matters. It goes\n\non here.\n\n"
        "[^1]: Including displaced persons.\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.title == "Resolution 9902" and doc.media_type == "text/markdown"
    assert [p.key for p in doc.passages if p.kind == "operative"] == ["1", "2"]
    two = doc.passage("2")
    assert two.text == "Requests a report on:\n- threats to civilians,\n- child protection;"
    assert two.footnotes == ("fn1",)
    assert doc.passage("fn1").text == "Including displaced persons."
    tasks = next(p for p in doc.passages if p.text.startswith("The tasks are:"))
    assert "- 1. first task" in tasks.text and "- 2. second task" in tasks.text
    assert doc.passage("8.2.1").text == "Who drafts matters. It goes on here."
    assert doc.passage("8.2.1").section == "8.2"


def test_markdown_without_numbers_keys_passages_by_their_place():
    doc = read_document(INGEST / "no-numbers.md")
    assert keys(doc) == ["#1", "#2", "#3", "#4"]
    assert doc.passage("#3").text.endswith("- with a list item\n- and another")


# -- HTML -----------------------------------------------------------------------
def test_html_structure_footnotes_and_lists(tmp_path):
    path = tmp_path / "report.html"
    path.write_text(
        "<html><head><title>SG report</title></head><body>"
        "<h1>IV. Protection of civilians</h1>"
        "<p>23. The mission protected civilians.<sup><a href='#fn1'>1</a></sup></p>"
        "<p>24. It worked on:</p><ul><li>early warning;</li><li>patrols.</li></ul>"
        "<ol><li>Decides to act;</li><li>Requests a report.</li></ol>"
        "<table><tr><td>Tier 1</td><td>political</td></tr></table>"
        "<hr><div class='footnotes'><p id='fn1'>1 See S/2010/164.</p></div></body></html>",
        encoding="utf-8")
    doc = read_document(path)
    assert doc.title == "SG report"
    assert doc.passage("IV").kind == "heading"
    assert doc.passage("23").section == "IV" and doc.passage("23").footnotes == ("fn1",)
    assert doc.passage("24").text == "It worked on:\n- early warning;\n- patrols."
    assert doc.passage("fn1").text == "See S/2010/164."
    assert [doc.passage(k).kind for k in ("1", "2")] == ["operative", "operative"]
    assert any(p.text == "Tier 1 | political" for p in doc.passages)


# -- Word ----------------------------------------------------------------------
def make_docx(path, footnote: bool = False):
    document = docx.Document()
    document.core_properties.title = "Mission strategy"
    document.add_heading("1. Introduction", 1)
    document.add_paragraph("1.1 The mission protects civilians under threat, including:")
    document.add_paragraph("women and children;", style="List Bullet")
    document.add_paragraph("displaced persons.", style="List Bullet")
    document.add_heading("2. Priorities", 1)
    document.add_paragraph("2.1 Early warning comes first.")
    document.add_paragraph("Decides to act.", style="List Number")
    document.save(path)
    if footnote:
        _add_footnote(path)
    return path


def _add_footnote(path):
    """Give paragraph 2.1 footnote 1 (python-docx cannot write footnotes)."""
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = parts["word/document.xml"].decode()
    body = body.replace("2.1 Early warning comes first.</w:t></w:r>",
                        "2.1 Early warning comes first.</w:t></w:r><w:r><w:footnoteReference w:id=\"1\"/></w:r>")
    parts["word/document.xml"] = body.encode()
    parts["word/footnotes.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><w:footnotes xmlns:w="{w}">'
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
        '<w:footnote w:id="1"><w:p><w:r><w:t>As agreed in 2009.</w:t></w:r></w:p></w:footnote>'
        '</w:footnotes>').encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_docx_headings_lists_numbering_and_footnotes(tmp_path):
    doc = read_document(make_docx(tmp_path / "strategy.docx", footnote=True))
    assert doc.title == "Mission strategy"
    assert [(p.key, p.kind) for p in doc.passages][:3] == [("1", "heading"), ("1.1", "paragraph"),
                                                            ("2", "heading")]
    assert doc.passage("1.1").text.endswith("including:\n- women and children;\n- displaced persons.")
    assert doc.passage("2.1").footnotes == ("fn1",)
    assert doc.passage("fn1").text == "As agreed in 2009."
    assert doc.passage("1").kind == "heading" and doc.passage("1.1").section == "1"


# -- PDF -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def pdf_report(tmp_path_factory):
    # eight sections: enough pages for the alike footnotes to look like a running footer
    path = report_pdf(tmp_path_factory.mktemp("pdf") / "report.pdf", sections=8, paragraphs=3,
                      long_paragraph="2.3")
    return read_document(path)


def test_pdf_numbered_paragraphs_headings_and_footnotes(pdf_report):
    expected = []
    for s in range(1, 9):
        expected += [str(s), f"{s}.1", f"{s}.2", f"{s}.3", f"fn{s}"]
    assert sorted(keys(pdf_report)) == sorted(expected)
    assert pdf_report.passage("2").kind == "heading" and pdf_report.passage("2.2").section == "2"
    assert pdf_report.passage("2.2").footnotes == ("fn2",)
    assert pdf_report.passage("fn2").text == "Source for paragraph 2.2, S/2009/002."
    assert pdf_report.media_type == "application/pdf"


def test_pdf_paragraph_over_a_page_break_is_one_passage(pdf_report):
    long = pdf_report.passage("2.3")
    assert long.text.startswith("Paragraph 2.3 is long.") and long.text.endswith("end of 2.3.")
    assert long.page + 1 == pdf_report.passage("3").page
    assert len(long.text) > 2000


def test_pdf_bullet_list_joins_its_paragraph(pdf_report):
    assert pdf_report.passage("1.1").text.endswith(
        "end of 1.1.\n- protection through political process;\n- protection from physical violence; and"
        "\n- establishing a protective environment.")


def test_pdf_running_header_page_numbers_and_footnote_markers_are_dropped(pdf_report):
    for passage in pdf_report.passages:
        assert "Draft Report" not in passage.text
        assert not re.search(r"(^|\n)\d+$", passage.text), passage.key
    # the superscript marker is not glued into the sentence
    assert "Paragraph 2.2 says that the mission" in pdf_report.passage("2.2").text
    assert "2.2 says2" not in pdf_report.passage("2.2").text
