"""Alignments: resolutions link to their official document page; countries carry their ISO
3166-1 codes."""

from __future__ import annotations


def test_every_resolution_links_to_its_official_document_page(store):
    rows = store.select("""
        SELECT ?r ?symbol ?page WHERE {
          ?r a pockg:Resolution ; pockg:symbol ?symbol .
          OPTIONAL { ?r foaf:page ?page }
        }""").rows
    assert len(rows) > 50
    for r in rows:
        number, year = r["symbol"].value[len("S/RES/"):].rstrip(")").split(" (")
        assert r["page"].value == f"https://undocs.org/en/S/RES/{number}({year})", r["r"]


def test_every_iso_country_carries_its_alpha3_and_numeric_codes(store):
    import json

    iso = {c["alpha_3"]: c["numeric"] for c in json.load(open(
        "/usr/share/iso-codes/json/iso_3166-1.json", encoding="utf-8"))["3166-1"]}
    rows = store.select("""
        SELECT ?c ?a3 ?num WHERE { ?c a pockg:Country .
          OPTIONAL { ?c pockg:isoAlpha3Code ?a3 } OPTIONAL { ?c pockg:isoNumericCode ?num } }""").rows
    assert len(rows) >= 12
    for r in rows:
        key = r["c"].value.rsplit("/", 1)[-1]
        if key == "ABYEI":          # not in ISO 3166-1: neither code, and the data says so
            assert "a3" not in r and "num" not in r
            continue
        assert r["a3"].value == key and r["num"].value == iso[key], key


def test_poc_mandated_operations_are_un_operations_only(store):
    mandated = set(store.select("""SELECT ?a WHERE { ?op a pockg:PoCMandatedOperation ;
                                   pockg:acronym ?a }""").values("a"))
    other = set(store.select("""SELECT ?a WHERE { ?op a pockg:OtherPeaceOperation ;
                                pockg:acronym ?a }""").values("a"))
    assert "EUFOR Tchad/RCA" in other and "EUFOR Tchad/RCA" not in mandated
    assert mandated and not (mandated & other)
    assert {"MONUC", "UNAMID", "UNMIS", "MINURCAT"} <= mandated


def test_a_poc_mandate_on_a_force_outside_the_un_is_refused(data_copy):
    from pockg.build import assemble
    from pockg.validate import validate_assembly

    path = data_copy.data_dir / "operations" / "EUFOR-TCHAD-RCA.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "protection_authorised_by:", "poc_mandate:"), encoding="utf-8")
    problems = validate_assembly(assemble(data_copy), data_copy)
    assert any(p.severity == "error" and "use protection_authorised_by" in p.message
               and "EUFOR" in (p.file or "") for p in problems), problems
