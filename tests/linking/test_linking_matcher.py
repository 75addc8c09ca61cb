"""The matcher: inflection, French labels, abbreviations, overlaps, resolutions, offsets."""

from __future__ import annotations

from pockg.linking.lexicon import CONCEPT, LINKABLE_SCHEMES

C = CONCEPT


def targets(matcher, text):
    return {m.target for m in matcher.mentions(text)}


def test_the_lexicon_holds_every_linkable_scheme_and_only_those(lexicon):
    schemes = {c.scheme for c in lexicon.concepts.values()}
    assert schemes == set(LINKABLE_SCHEMES)
    assert C + "LS-accepted" not in lexicon.concepts          # link-status is not linkable
    assert any(e.lang == "fr" for e in lexicon.entries)


def test_plural_and_lemma_forms_match_the_label(matcher):
    assert C + "VG-REF" in targets(matcher, "A refugee was registered.")        # label: refugees
    assert C + "R2" in targets(matcher, "The threat of physical violence grew.")  # threats of ...
    assert C + "FE7" in targets(matcher, "A new coordination mechanism was set up.")


def test_french_labels_match_with_their_inflections(matcher):
    found = targets(matcher, "Les personnes déplacées internes et les réfugiés du camp.")
    assert {C + "VG-IDP", C + "VG-REF"} <= found
    assert C + "AOR-GBV" in targets(matcher, "La lutte contre les violences basées sur le genre.")


def test_abbreviations_match_case_sensitively_with_a_plural_s(matcher):
    assert C + "VG-IDP" in targets(matcher, "Most IDPs live in camps.")
    assert C + "AOR-GBV" in targets(matcher, "GBV cases were reported.")
    assert C + "VG-IDP" not in targets(matcher, "The idps file.")  # not an abbreviation in lower case


def test_a_nested_mention_resolves_to_the_more_specific_concept(matcher):
    found = targets(matcher, "Cases of gender-based violence rose.")
    assert C + "AOR-GBV" in found and C + "VG-GEN" not in found
    found = targets(matcher, "They are protected by the UN High Commissioner for Refugees.")
    assert C + "VG-REF" not in found   # a word inside an organisation's name is not the group


def test_overlapping_mentions_keep_the_wider_one(matcher):
    # "child protection" (AOR-CP) and "protection activities" (FE4) share a word
    ms = matcher.mentions("They ran child protection activities in the camps.")
    assert [m.exact for m in ms] == ["protection activities"]
    assert {m.target for m in matcher.mentions("They ran child protection in the camps.")} == {C + "AOR-CP"}
    # "absence of the rule of law" (VF-ROL) overlaps "rule of law and justice" (AOR-ROL)
    ms = matcher.mentions("The absence of the rule of law and justice.")
    spans = [(m.start, m.end) for m in ms]
    for i, a in enumerate(spans):       # no two kept mentions overlap unless they are the same span
        for b in spans[i + 1:]:
            assert a == b or a[1] <= b[0] or b[1] <= a[0]
    assert len({m.target for m in ms}) == 1


def test_conjunctions_join_only_labels_that_have_them(matcher):
    assert C + "VG-AFF" in targets(matcher, "their ethnic/religious/political affiliation")
    assert C + "LVL-HQ" not in targets(matcher, "at mission and headquarters levels")


def test_resolutions_are_found_in_every_usual_form(matcher, lexicon):
    r = lexicon.resolutions
    for text in ("Security Council resolution 1894 (2009) asks", "see S/RES/1894 (2009).",
                 "Resolution 1894 requests", "la résolution 1894 du Conseil", "under SCR 1894"):
        assert r[1894] in targets(matcher, text), text
    found = targets(matcher, "reporting on Security Council Resolutions 1612 and 1882 on children")
    assert {r[1612], r[1882]} <= found
    assert not any(t.endswith("/1") for t in targets(matcher, "Resolution 9999 does not exist"))


def test_operations_and_organisations_are_named_entities(matcher):
    found = targets(matcher, "MONUC and the Office for the Coordination of Humanitarian Affairs (OCHA)")
    assert "https://w3id.org/pockg/id/operation/MONUC" in found
    assert "https://w3id.org/pockg/id/actor/OCHA" in found


def test_offsets_point_at_the_exact_text(matcher):
    text = "In the camps, internally displaced persons and IDPs wait.\nRefugees too."
    ms = matcher.mentions(text)
    assert ms
    for m in ms:
        assert text[m.start:m.end] == m.exact
    assert {"internally displaced persons", "IDPs", "Refugees"} <= {m.exact for m in ms}


def test_a_clause_boundary_stops_a_mention(matcher):
    assert C + "VF-SEP" not in targets(matcher, "They fled as a family. Separation followed.")


def test_suggestions_are_scored_in_zero_one_best_first(matcher):
    sug = matcher.suggest("IDPs and internally displaced persons; the age of children.", threshold=0.0)
    scores = [s.score for s in sug]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)
    idp = next(s for s in sug if s.target == C + "VG-IDP")
    age = next(s for s in sug if s.target == C + "VG-AGE")
    assert idp.score > age.score        # two clear mentions beat one generic word
    assert len(idp.mentions) == 2
