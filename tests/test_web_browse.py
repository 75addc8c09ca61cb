"""The browse pages: home, lists, entity pages with their sources, content
negotiation and twins, /resource, errors, English and French, escaping,
accessibility basics and security headers."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import parse_qs, quote, urlsplit

import pyoxigraph as ox
import pytest
from markupsafe import escape
from support import Audit

from pockg import vocab as V
from pockg.build import build
from pockg.replica import rebuild
from pockg.store import open_store
from web import create_app

MONUC = V.ID + "operation/MONUC"
MONUSCO = V.ID + "operation/MONUSCO"
PASSAGE = V.ID + "document/workshop-2010/p/8.2.1"
XSS = V.ID + "test/xss"
ENGLISH_ONLY = V.ID + "test/english-only"
SCRIPT = "<script>alert('pwned')</script>"
TEST_GRAPH = ox.NamedNode(V.graph("test-web-browse"))


def _extra_quads() -> list[ox.Quad]:
    """A label with markup in it, and an entity with an English label only."""
    def q(s, p, o):
        return ox.Quad(ox.NamedNode(s), ox.NamedNode(p), o, TEST_GRAPH)
    return [
        q(XSS, V.SKOS + "prefLabel", ox.Literal(SCRIPT, language="en")),
        q(XSS, V.SKOS + "note", ox.Literal('<img src=x onerror="alert(1)"> & more')),
        q(XSS, V.POCKG + "mentions", ox.NamedNode(MONUC)),
        q(ENGLISH_ONLY, V.SKOS + "prefLabel", ox.Literal("English only label", language="en")),
        q(ENGLISH_ONLY, V.RDF + "type", ox.NamedNode(V.POCKG + "Topic")),
    ]


@pytest.fixture(scope="module")
def app(tmp_path_factory, settings):
    path = tmp_path_factory.mktemp("web-browse") / "store"
    store = open_store(path)
    build(settings, store, check=False)
    store.extend(_extra_quads())
    store.close()
    rebuild(str(path))            # the public replica, as `pockg build` makes it
    return create_app({"STORE": str(path)}, profile="testing")


@pytest.fixture
def client(app):
    return app.test_client()   # a fresh client per test: no language cookie carried over


@pytest.fixture(scope="module")
def store(app):
    return app.extensions["pockg"].store


def page(client, url, **kw):
    response = client.get(url, **kw)
    assert response.status_code == 200, (url, response.status_code, response.data[:500])
    return response.get_data(as_text=True)


def entity_path(iri: str) -> str:
    return "/id/" + iri[len(V.ID):]


# -- a small accessibility audit of the served HTML -----------------------
def audit(text: str) -> Audit:
    a = Audit()
    a.feed(text)
    a.close()
    assert a.html_lang in ("en", "fr")
    assert a.headings.count(1) == 1 and a.headings[0] == 1, a.headings
    for before, after in zip(a.headings, a.headings[1:]):
        assert after <= before + 1, f"heading level jumps from h{before} to h{after}"
    assert len(a.ids) == len(set(a.ids)), "duplicate ids"
    assert a.th_without_scope == 0, "a table header without scope"
    assert not a.unlabelled, a.unlabelled
    assert set(a.anchors) <= set(a.ids), set(a.anchors) - set(a.ids)
    assert "main" in a.ids                                   # the skip link's target
    assert all("src" in s for s in a.scripts), "inline script"   # the CSP forbids them
    return a


# -- home and lists --------------------------------------------------------
def test_home_shows_counts_and_timeline(client, store):
    text = page(client, "/")
    audit(text)
    missions = int(store.select(
        "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a pockg:PeaceOperation }").rows[0]["n"].value)
    assert missions >= 20
    assert re.search(rf'<span class="count">{missions}</span>\s*Peace operations', text)
    # MONUC: first PoC mandate by resolution 1291 (2000), ended in 2010
    row = re.search(r'<li class="tl-row">\s*<a class="tl-label" href="/id/operation/MONUC">MONUC</a>'
                    r'.*?<span class="tl-years">([^<]+)</span>', text, re.S)
    assert row and row.group(1) == "2000–2010"
    data = client.get("/?format=json").get_json()
    assert data["counts"]["missions"] == missions
    assert any(t["acronym"] == "MONUSCO" and t["end"] is None for t in data["timeline"])
    firsts = [t["first"] for t in data["timeline"]]
    assert firsts == sorted(firsts)


def test_list_page_links_every_mission(client):
    text = page(client, "/list/missions")
    audit(text)
    assert 'href="/id/operation/MONUC"' in text and 'href="/id/operation/MONUSCO"' in text
    data = client.get("/list/missions?format=json").get_json()
    assert {"iri": MONUC, "label": "MONUC", "lang": "en"} in data["items"]
    assert client.get("/list/nothing").status_code == 404


# -- entity pages ----------------------------------------------------------
def test_monuc_page_shows_full_name_successor_and_sources(client):
    text = page(client, "/id/operation/MONUC")
    audit(text)
    assert "United Nations Organization Mission in the Democratic Republic of the Congo" in text
    assert re.search(r'<a href="/id/operation/MONUSCO"[^>]*>MONUSCO</a>', text)
    view = client.get("/id/operation/MONUC.json").get_json()
    props = {p["iri"]: p for p in view["properties"]}
    mandates = props[V.POCKG + "pocMandateBy"]["values"]
    assert len(mandates) >= 2
    for value in mandates:                     # every PoC-mandate statement has a source
        assert value["evidence"], value
        for ev in value["evidence"]:
            assert ev["source"] and ev["status"]
            assert ev["kind"] in ("passage", "source")
    successor = props[V.POCKG + "hasSuccessor"]["values"]
    assert [v["iri"] for v in successor] == [MONUSCO]
    assert successor[0]["evidence"]
    # the sources are on the page: the outside source's page and its original
    first = mandates[0]["evidence"][0]
    assert f'href="{entity_path(first["source"])}"' in text


def test_sources_from_the_report_name_document_paragraph_and_quote(client, store):
    rows = store.select(f"""
        SELECT ?s WHERE {{ ?c rdf:subject ?s ; prov:wasDerivedFrom <{PASSAGE}> ;
                              pockg:hasEvidence/oa:hasSelector/oa:exact ?q .
                           FILTER(STRSTARTS(STR(?s), "{V.ID}")) }} LIMIT 1""").rows
    subject = rows[0]["s"].value
    view = client.get(entity_path(subject) + ".json").get_json()
    passages = [ev for p in view["properties"] for v in p["values"] for ev in v["evidence"]
                if ev["kind"] == "passage"]
    assert passages
    ev = next(e for e in passages if e["source"] == PASSAGE)
    assert ev["paragraph"] == "8.2.1" and ev["document"] == V.ID + "document/workshop-2010"
    assert ev["document_label"].startswith("Report of the Workshop")
    text = page(client, entity_path(subject))
    assert '<a class="source-link" href="/id/document/workshop-2010/p/8.2.1">¶8.2.1</a>' in text
    assert "<q>" in text


def test_passage_page_lists_what_the_graph_states_citing_it(client):
    text = page(client, "/id/document/workshop-2010/p/8.2.1")
    audit(text)
    assert 'id="cited"' in text
    view = client.get("/id/document/workshop-2010/p/8.2.1.json").get_json()
    cited = view["cited_here"]
    assert cited
    subjects = {c["subject"] for c in cited}
    assert V.ID + "actor/MONUC-CA" in subjects
    assert any(c["quote"] for c in cited)
    assert 'href="/id/actor/MONUC-CA"' in text


def test_claim_plumbing_is_only_on_claim_pages(client, store):
    text = page(client, "/id/operation/MONUC")
    assert "/id/claim/" not in text and "rdf:subject" not in text
    claim = store.select(f"SELECT ?c WHERE {{ ?c rdf:subject <{MONUC}> }} LIMIT 1").rows[0]["c"].value
    text = page(client, entity_path(claim))
    audit(text)
    assert "rdf:subject" in text and 'href="/id/operation/MONUC"' in text
    assert 'id="claim"' in text                      # the statement it records, readably


def test_property_table_puts_names_first(client):
    view = client.get("/id/operation/MONUC.json").get_json()
    identity = [p["iri"] for p in view["groups"]["identity"]]
    assert identity[0] == V.SKOS + "prefLabel"
    assert V.POCKG + "fullName" in identity and V.POCKG + "acronym" in identity
    assert V.POCKG + "hasSuccessor" in [p["iri"] for p in view["groups"]["statements"]]
    text = page(client, "/id/operation/MONUC")
    assert text.index('id="group-identity"') < text.index('id="group-statements"')


def test_incoming_links_have_counts_and_labelled_examples(client):
    view = client.get("/id/operation/MONUC.json").get_json()
    links = {i["iri"]: i for i in view["incoming"]}
    mandate_of = links[V.POCKG + "mandateOf"]
    assert mandate_of["count"] >= 1 and mandate_of["examples"]
    assert all(x["text"] for x in mandate_of["examples"])
    assert not any(i["iri"] in (V.RDF + "subject", V.RDF + "object") for i in view["incoming"])


def test_concept_pages_show_their_place_in_the_hierarchy(client, store):
    text = page(client, "/id/concept/T1")
    audit(text)
    assert 'id="hierarchy"' in text and 'href="/id/scheme/tier-2010"' in text
    assert 'href="/id/concept/T1-2015"' in text            # close match
    scheme = page(client, "/id/scheme/tier-2010")
    audit(scheme)
    assert all(f'href="/id/concept/{n}"' in scheme for n in ("T1", "T2", "T3"))
    row = store.select("SELECT ?n ?b WHERE { ?n skos:broader ?b } LIMIT 1").rows[0]
    narrower, broader = row["n"].value, row["b"].value
    view = client.get(entity_path(narrower) + ".json").get_json()
    assert broader in [x["iri"] for x in view["hierarchy"]["broader"]]
    view = client.get(entity_path(broader) + ".json").get_json()
    assert narrower in [x["iri"] for x in view["hierarchy"]["narrower"]]


# -- content negotiation and twins ----------------------------------------
RDF = {"text/turtle": ox.RdfFormat.TURTLE, "application/ld+json": ox.RdfFormat.JSON_LD,
       "application/rdf+xml": ox.RdfFormat.RDF_XML, "application/n-triples": ox.RdfFormat.N_TRIPLES}


def _triples(data: bytes, fmt) -> set:
    return {(q.subject, q.predicate, q.object) for q in ox.parse(data, fmt)}


@pytest.mark.parametrize("mime", sorted(RDF))
def test_content_negotiation_serves_parseable_rdf(client, mime):
    response = client.get("/id/operation/MONUC", headers={"Accept": mime})
    assert response.status_code == 200 and response.mimetype == mime
    assert "Accept" in response.headers["Vary"]
    triples = _triples(response.data, RDF[mime])
    assert (ox.NamedNode(MONUC), ox.NamedNode(V.POCKG + "acronym"),
            ox.Literal("MONUC")) in triples
    assert (ox.NamedNode(MONUC), ox.NamedNode(V.POCKG + "hasSuccessor"),
            ox.NamedNode(MONUSCO)) in triples
    # the claims behind the statements come along
    assert any(p == ox.NamedNode(V.RDF + "subject") and o == ox.NamedNode(MONUC)
               for _, p, o in triples)


def test_html_is_the_default_and_json_on_request(client):
    assert client.get("/id/operation/MONUC").mimetype == "text/html"
    assert client.get("/id/operation/MONUC", headers={"Accept": "*/*"}).mimetype == "text/html"
    response = client.get("/id/operation/MONUC", headers={"Accept": "application/json"})
    assert response.mimetype == "application/json" and response.get_json()["iri"] == MONUC


def test_twins_of_every_page_parse(client):
    text = page(client, "/id/operation/MONUC")
    for suffix in ("ttl", "jsonld", "json"):
        assert f'href="/id/operation/MONUC.{suffix}"' in text
    ttl = client.get("/id/operation/MONUC.ttl")
    assert ttl.mimetype == "text/turtle"
    assert (ox.NamedNode(MONUC), ox.NamedNode(V.POCKG + "acronym"), ox.Literal("MONUC")) \
        in _triples(ttl.data, ox.RdfFormat.TURTLE)
    jsonld = client.get("/id/operation/MONUC.jsonld")
    assert jsonld.mimetype == "application/ld+json"
    json.loads(jsonld.data)
    assert any(s == ox.NamedNode(MONUC) for s, _, _ in _triples(jsonld.data, ox.RdfFormat.JSON_LD))
    data = json.loads(client.get("/id/operation/MONUC.json").data)
    assert data["iri"] == MONUC and data["label"] == "MONUC"
    # twins of an outside IRI's page too
    assert client.get("/resource?uri=" + quote(MONUC, safe="") + "&format=nt").mimetype \
        == "application/n-triples"


def test_unknown_format_is_refused(client):
    assert client.get("/id/operation/MONUC?format=docx").status_code == 406


# -- /resource -------------------------------------------------------------
def test_resource_for_a_pockg_iri_points_to_the_short_form(client):
    text = page(client, "/resource?uri=" + quote(MONUC, safe=""))
    assert '<link rel="canonical" href="http://localhost/id/operation/MONUC">' in text
    assert "United Nations Organization Mission" in text


def test_resource_for_an_outside_iri_used_as_a_value(client, store):
    row = store.select("""SELECT ?s ?u WHERE { ?s a pockg:Source ; rdfs:seeAlso ?u
                          FILTER(isIRI(?u)) } ORDER BY ?u LIMIT 1""").rows[0]
    source, url = row["s"].value, row["u"].value
    target = "/resource?uri=" + quote(url, safe="")
    text = page(client, target)
    audit(text)
    canonical = html.unescape(re.search(r'<link rel="canonical" href="([^"]+)">', text).group(1))
    assert urlsplit(canonical).path == "/resource"
    assert parse_qs(urlsplit(canonical).query)["uri"] == [url]
    assert f'href="{entity_path(source)}"' in text            # what links to it
    assert f'href="{html.escape(url)}" rel="external' in text      # and the original
    ttl = client.get(target + "&format=ttl")
    assert ttl.status_code == 200 and ttl.mimetype == "text/turtle"


def test_resource_needs_a_valid_iri(client):
    assert client.get("/resource").status_code == 400
    assert client.get("/resource?uri=not%20an%20iri").status_code == 400


# -- errors ----------------------------------------------------------------
def test_not_found_has_one_json_shape(client):
    for url, headers in (("/id/nothing/here.json", {}),
                         ("/id/nothing/here", {"Accept": "application/json"}),
                         ("/resource?uri=" + quote("https://example.org/x", safe="") + "&format=json", {})):
        response = client.get(url, headers=headers)
        assert response.status_code == 404 and response.mimetype == "application/json"
        body = response.get_json()
        assert set(body) == {"ok", "error", "status"}
        assert body["ok"] is False and body["status"] == 404 and body["error"]
    text = client.get("/id/nothing/here").get_data(as_text=True)
    assert "404" in text and "<h1>" in text


# -- English and French ----------------------------------------------------
def test_french_labels_and_interface(client):
    text = page(client, "/id/operation/MONUC?lang=fr")
    audit(text)
    assert '<html lang="fr">' in text
    full_name = escape("Mission de l'Organisation des Nations Unies en République démocratique du Congo")
    assert f'<p class="subtitle"><span lang="fr">{full_name}</span></p>' in text
    assert "Passer au contenu" in text and "Noms et description" in text
    assert ">a pour successeur</a>" in text                     # property labels in French
    assert 'lang="fr"' in text and 'lang="en"' in text          # values say their language
    home = page(client, "/?lang=fr")
    for words in ("Missions", "Stratégies", "Comparer", "Requêtes", "Rechercher", "Opérations de paix"):
        assert words in home
    assert "Peace operations" not in home


def test_english_is_the_default_and_the_choice_is_remembered(client):
    text = page(client, "/id/operation/MONUC")
    assert '<html lang="en">' in text and "Skip to content" in text
    assert '<p class="subtitle"><span lang="en">United Nations Organization Mission' in text
    response = client.get("/?lang=fr")
    assert "lang=fr" in response.headers["Set-Cookie"]
    assert '<html lang="fr">' in page(client, "/list/missions")      # the cookie
    assert '<html lang="fr">' in page(client.application.test_client(), "/",
                                      headers={"Accept-Language": "fr-FR,fr;q=0.9"})


def test_french_falls_back_to_english(client):
    text = page(client, entity_path(ENGLISH_ONLY) + "?lang=fr")
    assert '<h1><span lang="en">English only label</span></h1>' in text
    assert "Passer au contenu" in text
    assert client.get(entity_path(ENGLISH_ONLY) + ".json?lang=fr").get_json()["label_lang"] == "en"


def test_language_switch_keeps_the_other_parameters(client):
    text = page(client, "/list/missions?x=1&y=a%26b&y=c&lang=en")
    link = re.search(r'<a href="([^"]+)" lang="fr" hreflang="fr">', text).group(1)
    parts = urlsplit(html.unescape(link))
    assert parts.path == "/list/missions"
    assert parse_qs(parts.query) == {"x": ["1"], "y": ["a&b", "c"], "lang": ["fr"]}
    assert 'aria-current="true" lang="en"' in text
    text = page(client, "/id/operation/MONUC")
    link = re.search(r'<a href="([^"]+)" lang="fr" hreflang="fr">', text).group(1)
    assert html.unescape(link) == "/id/operation/MONUC?lang=fr"


# -- escaping and security -------------------------------------------------
def test_markup_in_the_data_is_escaped(client):
    for url in (entity_path(XSS), entity_path(XSS) + "?lang=fr", "/id/operation/MONUC",
                "/resource?uri=" + quote(XSS, safe="")):
        text = page(client, url)
        assert SCRIPT not in text and "<img src=x" not in text, url
        audit(text)
    text = page(client, entity_path(XSS))
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; more" in text
    assert client.get(entity_path(XSS) + ".json").get_json()["label"] == SCRIPT


def test_security_headers_on_every_kind_of_response(client):
    for url in ("/", "/id/operation/MONUC", "/id/operation/MONUC.ttl", "/id/nothing.json"):
        headers = client.get(url).headers
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"]


def test_static_css_meets_contrast_for_text(app):
    """The text colours of pockg.css against its backgrounds: WCAG AA (4.5:1)."""
    css = (app.static_folder and open(f"{app.static_folder}/pockg.css", encoding="utf-8").read())
    colours = dict(re.findall(r"--([a-z]+):\s*(#[0-9a-fA-F]{3,6})\b", css))

    def luminance(hex_):
        hex_ = hex_.lstrip("#")
        hex_ = "".join(ch * 2 for ch in hex_) if len(hex_) == 3 else hex_
        c = [int(hex_[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    def ratio(a, b):
        hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
        return (hi + 0.05) / (lo + 0.05)

    for text in ("ink", "muted", "accent", "gap"):
        for background in ("bg", "soft"):
            assert ratio(colours[text], colours[background]) >= 4.5, (text, background)
    focus = re.search(r":focus[^{]*\{[^}]*outline:\s*\d+px solid (#[0-9a-fA-F]{6})", css).group(1)
    assert ratio(focus, colours["bg"]) >= 3 and ratio(focus, colours["soft"]) >= 3


def test_hidden_labels_stay_off_concept_pages(client, store):
    """skos:hiddenLabel is for search and the linker (issue 13 §3), never shown to readers."""
    hidden = store.select("SELECT ?l WHERE { <https://w3id.org/pockg/id/concept/T2> "
                          "skos:hiddenLabel ?l }").rows
    assert hidden
    text = page(client, "/id/concept/T2")
    assert "hiddenLabel" not in text and "Hidden label" not in text
