"""The 2010 workshop report, read from ../shared/sources/ (never from the repo),
comes out with the passage keys of data/documents/workshop-2010.yaml."""

from __future__ import annotations

import re

import pytest
import yaml
from support import REPORT

from pockg.config import REPO_ROOT
from pockg.ingest import read_document

CURATED = REPO_ROOT / "data" / "documents" / "workshop-2010.yaml"
STRUCTURAL = ("paragraph", "heading", "footnote")


@pytest.fixture(scope="module")
def report():
    if not REPORT.is_file():
        pytest.skip(f"the workshop report is not at {REPORT}: its imprint forbids reprinting, "
                    "so it is not in the repository")
    return read_document(REPORT, doc_id="workshop-2010")


@pytest.fixture(scope="module")
def curated():
    return yaml.safe_load(CURATED.read_text(encoding="utf-8"))


def _numbered(curated):
    return [p for p in curated["passages"] if p.get("kind", "paragraph") in STRUCTURAL]


def test_every_numbered_paragraph_heading_and_footnote_has_its_own_key(report, curated):
    expected = [str(p["n"]) for p in _numbered(curated)]
    found = [p.key for p in report.passages if not p.key.startswith("#")]
    assert sorted(found) == sorted(expected)
    # in the same order, footnotes aside (they come where the page puts them)
    assert [k for k in found if not k.startswith("fn")] == [k for k in expected if not k.startswith("fn")]


def test_each_passage_has_the_kind_the_curated_document_gives_it(report, curated):
    for p in _numbered(curated):
        assert report.passage(str(p["n"])).kind == p.get("kind", "paragraph"), p["n"]


def test_sections_and_footnote_anchors_match_the_curated_document(report, curated):
    for p in _numbered(curated):
        passage = report.passage(str(p["n"]))
        assert passage.section == (str(p["section"]) if p.get("section") else None), p["n"]
        assert list(passage.footnotes) == [str(f) for f in p.get("footnotes") or []], p["n"]


def test_every_curated_evidence_quote_lies_inside_its_passage(report, curated):
    norm = lambda s: re.sub(r"\s+", " ", s)
    missing = [(p["n"], q) for p in _numbered(curated) for q in p.get("quotes") or []
               if norm(q) not in norm(report.passage(str(p["n"])).text)]
    assert missing == []


def test_paragraphs_split_by_a_page_break_come_out_whole(report, curated):
    note = curated["notes"]["en"]
    split = re.search(r"\(e\.g\. ([^)]*)\)", note).group(1).split(", ")
    assert len(split) >= 9
    for key in split:
        text = report.passage(key).text
        assert text.endswith((".", ".”")), (key, text[-60:])
        # the continuation after the break is inside, and no footnote text leaked in
        assert not any(report.passage(f"fn{n}").text in text for n in range(1, 5)), key
    # a word hyphenated across the break is mended
    assert "convened the 2010 workshop in Addis Ababa" in report.passage("1.4").text
    assert "strategies only" in report.passage("2.3").text


def test_bullet_lists_stay_with_their_paragraph(report):
    text = report.passage("4.1").text
    assert text.count("\n- ") == 3
    assert "protection through political process" in text
    assert report.passage("8.4.1").text.count("\n- ") == 3


def test_passage_text_is_plain_text(report):
    for passage in report.passages:
        assert not re.search(r"<[a-z/]|\*\*|\]\(", passage.text), passage.key


def test_unnumbered_passages_are_keyed_by_their_place(report):
    for passage in report.passages:
        if passage.key.startswith("#"):
            assert passage.key == f"#{passage.order}"
    assert [p.order for p in report.passages] == list(range(1, len(report.passages) + 1))
