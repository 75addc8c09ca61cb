"""The graph is faithful to the workshop report without reprinting it.

These tests read the report from ../shared/sources (it is never in the
repository) and are skipped, saying why, where it is absent.
"""

from __future__ import annotations

import re

from pockg import vocab as V

DOC = V.entity("document", "workshop-2010")


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_every_evidence_quote_is_an_exact_span_of_the_report(store, report_text):
    quotes = store.select(f"""
        SELECT ?quote WHERE {{
          {{ ?p pockg:quote ?quote ; dcterms:isPartOf <{DOC}> }}
          UNION
          {{ ?ev oa:hasSource ?p ; oa:hasSelector/oa:exact ?quote . ?p dcterms:isPartOf <{DOC}> }}
        }}""").values("quote")
    assert len(quotes) > 100
    text = squash(report_text)
    missing = [q for q in quotes if squash(q) not in text]
    assert missing == []
    assert max(len(q) for q in quotes) <= 200


def test_every_numbered_paragraph_of_the_report_is_a_passage(store, report_text):
    numbers = set(re.findall(r"^(\d\.\d+(?:\.\d+)?) ", report_text, flags=re.M))
    assert {"1.1", "2.2", "8.2.1", "8.6.3", "8.9.5", "9.4"} <= numbers
    passages = set(store.select(f"""
        SELECT ?n WHERE {{ ?p dcterms:isPartOf <{DOC}> ; pockg:number ?n }}""").values("n"))
    assert numbers - passages == set()
    assert {"fn1", "fn2", "fn3", "fn4"} <= passages


def test_no_curated_text_reprints_a_sentence_of_the_report(store, report_text):
    """Facts carry over, sentences do not: no literal other than a short
    quote, a title (the report's own headings) or a proper name shares a run of 12 words
    with the report."""
    words = squash(report_text).lower().split()
    runs = {" ".join(words[i:i + 12]) for i in range(len(words) - 11)}
    texts = store.select("""
        SELECT DISTINCT ?text WHERE {
          ?s ?p ?text . FILTER(isLiteral(?text) && STRLEN(STR(?text)) > 60)
          FILTER(?p NOT IN (pockg:quote, oa:exact, dcterms:title, skos:prefLabel, pockg:fullName, rdf:object))
        }""").values("text")
    copied = []
    for text in texts:
        w = squash(text).lower().split()
        if any(" ".join(w[i:i + 12]) in runs for i in range(len(w) - 11)):
            copied.append(text)
    assert copied == []
