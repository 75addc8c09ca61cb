"""Document-level rules: collective mentions, one tier scheme per document,
the Council's topics, coordination beyond the mission, shared heads, headings."""

from __future__ import annotations

from pockg.linking.context import PassageInput, document_links
from pockg.linking.lexicon import CONCEPT

C = CONCEPT


def tags(matcher, passages, threshold=0.5):
    return {pid: {l.target.rsplit("/", 1)[1] for l in links}
            for pid, links in document_links(matcher, passages, threshold).items()}


def test_the_three_tiers_name_every_tier_of_the_document_scheme(matcher):
    got = tags(matcher, [
        PassageInput("a", "Protection through political process comes first."),
        PassageInput("b", "Objectives follow the three tiers of the operational concept."),
    ])
    assert {"T1", "T2", "T3"} <= got["b"]
    assert not {"T1-2015", "T2-2015", "T3-2015"} & got["b"]


def test_a_document_speaks_one_tier_scheme(matcher):
    passages = [
        PassageInput("a", "Tier I: protection through dialogue and engagement."),
        PassageInput("b", "Provision of physical protection by the force."),
        PassageInput("c", "Establishing a protective environment takes years."),   # the 2010 wording
    ]
    got = tags(matcher, passages)
    assert got["c"] == {"T3-2015"} and "T1-2015" in got["a"] and "T1" not in got["a"]
    alone = tags(matcher, [passages[2]])
    assert alone["c"] == {"T3"}


def test_resolution_topics_need_the_council_or_a_resolution(matcher):
    got = tags(matcher, [
        PassageInput("a", "The mission's PoC strategy was revised."),
        PassageInput("b", "The Security Council renewed the mandate for the protection of civilians."),
        PassageInput("c", "Resolution 1612 set up the reporting mechanism."),
    ])
    assert not any(t.startswith("RT-") for t in got["a"])
    assert {"RT-POC", "RT-MISSION"} <= got["b"]
    assert "RT-CAAC" in got["c"]         # the resolution's topic in the graph
    # in a resolution (operative paragraphs), every paragraph speaks for the Council
    got = tags(matcher, [PassageInput("1", "Requests the mission to protect civilians under its mandate.",
                                      kind="operative")])
    assert "RT-MISSION" in got["1"]


def test_coordination_with_an_outside_actor_is_external_coordination(matcher):
    got = tags(matcher, [
        PassageInput("a", "The mission will engage with local communities and the host government."),
        PassageInput("b", "Local communities live near the base. The mission coordinates its patrols."),
        PassageInput("c", "La mission se concertera avec la société civile."),
    ])
    assert "LVL-EXTERNAL" in got["a"] and "LVL-EXTERNAL" in got["c"]
    assert "LVL-EXTERNAL" not in got["b"]      # not in the same sentence


def test_listed_words_share_their_head(matcher):
    got = tags(matcher, [PassageInput("a", "The mission lacks financial and human resources.")])
    assert {"CAP-FIN", "CAP-HR"} <= got["a"]
    got = tags(matcher, [PassageInput("a", "The mission lacks financial support and human rights staff.")])
    assert "CAP-FIN" not in got["a"] and "CAP-HR" not in got["a"]
    got = tags(matcher, [PassageInput("a", "La mission manque de ressources financières et humaines.")])
    assert {"CAP-FIN", "CAP-HR"} <= got["a"]            # French order: the head comes first


def test_framework_elements_count_in_headings_not_in_passing_prose(matcher):
    passages = [
        PassageInput("h", "Monitoring and Reporting", kind="heading"),
        PassageInput("p", "Benchmarks should measure progress.", section="h"),
        PassageInput("q", "Staff discussed monitoring and reporting at length."),
        PassageInput("f", "A footnote on benchmarks.", kind="footnote", section="h"),
        PassageInput("l", "Outline:\n- Protection risks\n- Monitoring and reporting"),
    ]
    got = tags(matcher, passages)
    assert "FE8" in got["h"] and "FE8" in got["p"]     # the heading tags its section
    assert "FE8" not in got["q"] and "FE8" not in got["f"]
    assert {"FE3", "FE8"} <= got["l"]                  # list items that are only the label
