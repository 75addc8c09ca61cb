"""Operation dates mean one thing each: pockg:startDate is the start of operations, never
the adoption of the founding resolution (whose date stays with pockg:establishedBy)."""

from __future__ import annotations


def test_a_start_is_never_just_the_founding_vote(store):
    rows = store.select("""
        SELECT DISTINCT ?acronym WHERE {
          ?op pockg:acronym ?acronym ; pockg:startDate ?start ;
              pockg:establishedBy/dcterms:date ?founded .
          FILTER(STR(?start) = STR(?founded))
        }""").rows
    # UNAMSIL was set up with immediate effect and took over UNOMSIL's tasks that day
    assert {r["acronym"].value for r in rows} == {"UNAMSIL"}


def test_a_successor_starts_the_day_after_its_predecessor_ends_or_the_same_day(store):
    rows = store.select("""
        SELECT DISTINCT ?a ?b ?end ?start WHERE {
          ?op pockg:acronym ?a ; pockg:hasSuccessor ?next ; pockg:endDate ?end .
          ?next pockg:acronym ?b ; pockg:startDate ?start .
          FILTER(datatype(?end) = xsd:date && datatype(?start) = xsd:date)
        }""").rows
    import datetime as dt

    assert rows
    for r in rows:
        gap = (dt.date.fromisoformat(r["start"].value) - dt.date.fromisoformat(r["end"].value)).days
        assert gap in (0, 1), (r["a"].value, r["b"].value, r["end"].value, r["start"].value)

