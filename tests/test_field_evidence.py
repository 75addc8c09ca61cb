"""Evidence that supports its own field: a claim naming an entity (mentions, addressed_to)
has a quote that names it, or a note saying why (QC quote-does-not-name-its-object)."""

from __future__ import annotations

from pockg.build import assemble
from pockg.validate import validate_assembly

CHECK = "quote-does-not-name-its-object-violation"


def findings(settings):
    return [p for p in validate_assembly(assemble(settings), settings) if CHECK in p.message]


def test_the_curated_data_has_no_quote_that_misses_its_entity(settings):
    assert findings(settings) == []


def test_a_mention_backed_by_a_quote_about_something_else_is_flagged(data_copy):
    path = data_copy.data_dir / "recommendations" / "8.3.yaml"
    text = path.read_text(encoding="utf-8")
    assert 'quote: "MONUC, for example, has drafted a three-year protection strategy"' in text
    path.write_text(text.replace(
        'quote: "MONUC, for example, has drafted a three-year protection strategy"',
        'quote: "drafted a three-year protection strategy"', 1), encoding="utf-8")
    [problem] = findings(data_copy)
    assert problem.severity == "error" and problem.file.endswith("8.3.yaml")
    assert "does not name https://w3id.org/pockg/id/operation/MONUC" in problem.message


def test_a_note_explaining_the_context_lets_the_quote_stand(data_copy):
    path = data_copy.data_dir / "recommendations" / "8.3.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        'quote: "MONUC, for example, has drafted a three-year protection strategy"',
        'quote: "drafted a three-year protection strategy",\n'
        '            note: "the sentence before names MONUC"', 1)
    path.write_text(text, encoding="utf-8")
    assert findings(data_copy) == []
