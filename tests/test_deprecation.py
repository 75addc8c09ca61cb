"""Concepts are deprecated, never deleted: the graph says so and what replaces them."""

from __future__ import annotations

from pockg import vocab as V
from pockg.build import build
from pockg.store import open_store

DEPRECATED = """
  - notation: APP-OLD-NAME
    label: {en: an older name for conditionality}
    definition: {en: Kept so that links made to it still resolve.}
    deprecated: true
    replaced_by: APP-CONDITIONALITY
"""


def test_a_deprecated_concept_stays_with_its_replacement_and_use_of_it_is_flagged(data_copy):
    scheme = data_copy.ontology_dir / "schemes" / "approach.yaml"
    scheme.write_text(scheme.read_text(encoding="utf-8") + DEPRECATED, encoding="utf-8")
    strategy = data_copy.data_dir / "strategies" / "MONUC-2009.yaml"
    strategy.write_text(strategy.read_text(encoding="utf-8").replace(
        "  - value: APP-CONDITIONALITY", "  - value: APP-OLD-NAME", 1), encoding="utf-8")

    store = open_store(data_copy.store)
    report = build(data_copy, store)

    old = V.ID + "concept/APP-OLD-NAME"
    assert store.ask(f"ASK {{ <{old}> owl:deprecated true ; dcterms:isReplacedBy "
                     f"<{V.ID}concept/APP-CONDITIONALITY> ; skos:inScheme ?s }}")
    flagged = [w for w in report.warnings if "deprecated" in w.message]
    assert flagged and flagged[0].entity == "MONUC-2009"
    assert flagged[0].file == "data/strategies/MONUC-2009.yaml"
