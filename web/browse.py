"""Entity pages at their IRIs (with .ttl/.jsonld/.json twins), lists, the home page."""

from __future__ import annotations

import datetime
import io

import pyoxigraph as ox
from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for

from pockg import vocab as V
from pockg.errors import NotFound
from web import model, urls
from web.i18n import current_language
from web.page_cache import cached
from web.state import current

bp = Blueprint("browse", __name__)

RDF_FORMATS = {
    "text/turtle": ("ttl", ox.RdfFormat.TURTLE),
    "application/ld+json": ("jsonld", ox.RdfFormat.JSON_LD),
    "application/rdf+xml": ("rdf", ox.RdfFormat.RDF_XML),
    "application/n-triples": ("nt", ox.RdfFormat.N_TRIPLES),
}
SUFFIX = {"ttl": "text/turtle", "jsonld": "application/ld+json", "rdf": "application/rdf+xml",
          "nt": "application/n-triples", "json": "application/json"}
TWIN_NAMES = {"ttl": "Turtle", "jsonld": "JSON-LD", "nt": "N-Triples", "rdf": "RDF/XML",
              "json": "JSON"}

KINDS = {  # list pages: path -> (class, title); titles are translated in browse.json
    "missions": (V.POCKG + "PeaceOperation", "Peace operations"),
    "strategies": (V.POCKG + "ProtectionStrategy", "Protection strategies"),
    "resolutions": (V.POCKG + "Resolution", "Security Council resolutions"),
    "recommendations": (V.POCKG + "Recommendation", "Recommendations of the 2010 workshop"),
    "documents": (V.POCKG + "Document", "Documents"),
    "concepts": (V.SKOS + "ConceptScheme", "Concept schemes"),
    "questions": (V.POCKG + "ContestedQuestion", "Contested questions"),
    "actors": (V.POCKG + "Actor", "Actors"),
}

COUNT_QUERY = """
SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { VALUES ?c { %s } ?s a ?c } GROUP BY ?c
"""


@bp.app_template_global()
def is_web_url(value: str | None) -> bool:
    """Only http(s) addresses from the data become outside links (never javascript: etc.)."""
    return bool(value) and value.lower().startswith(("http://", "https://"))


@bp.get("/")
@cached
def home():
    store = current().store
    counts = {r["c"].value: int(r["n"].value) for r in store.select(
        COUNT_QUERY % " ".join(f"<{c}>" for c, _ in KINDS.values())).rows}
    timeline = mandate_timeline(store)
    policy = policy_timeline(store)
    if _wants_json():
        return jsonify({"counts": {k: counts.get(c, 0) for k, (c, _) in KINDS.items()},
                        "timeline": timeline, "policy_timeline": policy})
    return render_template("browse/home.html", kinds=KINDS, counts=counts, timeline=timeline,
                           policy=policy, lang=current_language(),
                           this_year=datetime.date.today().year)


MONTHS = {"en": ["January", "February", "March", "April", "May", "June", "July", "August",
                 "September", "October", "November", "December"],
          "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                 "septembre", "octobre", "novembre", "décembre"]}


def readable_date(value: str | None, lang: str) -> str | None:
    """2009 -> 2009; 2009-12 -> December 2009; 2010-05-31 -> 31 May 2010 (as precise as
    the source, no more)."""
    if not value:
        return None
    parts = value[:10].split("-")
    months = MONTHS.get(lang, MONTHS["en"])
    if len(parts) == 2 and parts[1].isdigit():
        return f"{months[int(parts[1]) - 1]} {parts[0]}"
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        return f"{int(parts[2])} {months[int(parts[1]) - 1]} {parts[0]}"
    return parts[0]


def policy_timeline(store) -> list[dict]:
    """The policy documents in date order (library query policy-timeline), each with the
    label of its date's status where that date is only partly verified or in conflict."""
    from pockg.library import DOUBTFUL

    table = current().library.run("policy-timeline", {}, store)
    lang = current_language()
    out: dict[str, dict] = {}          # one entry per document; a joint issue names each issuer
    for row, evidence in zip(table.rows, table.evidence):
        doubtful = [e for e in evidence.get("date", []) if e.get("status") in DOUBTFUL]
        entry = out.setdefault(row["document"], {
            "iri": row["document"], "label": row.get("documentLabel") or row["document"],
            "kind": row.get("kind"), "date": row.get("date"),
            "when": readable_date(row.get("date"), lang), "issuers": [],
            "symbol": row.get("symbol"),
            "doubtful": doubtful[0].get("status_label") if doubtful else None})
        if row.get("issuerLabel") and row["issuerLabel"] not in entry["issuers"]:
            entry["issuers"].append(row["issuerLabel"])
    return list(out.values())


def mandate_timeline(store) -> list[dict]:
    """PoC-mandated operations: first PoC resolution, start and end, for the timeline."""
    rows = store.select("""
        SELECT ?op ?acronym (MIN(?given) AS ?first) (SAMPLE(?start) AS ?s) (SAMPLE(?end) AS ?e) WHERE {
          ?op a pockg:PeaceOperation ; pockg:acronym ?acronym ; pockg:pocMandateBy ?res .
          ?res dcterms:date ?given .
          OPTIONAL { ?op pockg:startDate ?start } OPTIONAL { ?op pockg:endDate ?end }
        } GROUP BY ?op ?acronym ORDER BY ?first ?acronym""").rows
    out = []
    for r in rows:
        first = r["first"].value[:4]
        end = r["e"].value[:4] if "e" in r else None
        out.append({"iri": r["op"].value, "acronym": r["acronym"].value,
                    "first": int(first), "end": int(end) if end else None})
    return out


def _wants_json() -> bool:
    if request.args.get("format") == "json":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


@bp.get("/list/<kind>")
@cached
def listing(kind: str):
    if kind not in KINDS:
        abort(404, description=f"no list named {kind!r}")
    cls, title = KINDS[kind]
    items = model.listing(current().store, cls, current_language())
    if _wants_json():
        return jsonify({"kind": kind, "title": title, "items": items})
    return render_template("browse/list.html", kind=kind, title=title, items=items)


@bp.get("/id/<iri_path:path>")
@cached
def entity(path: str):
    fmt = request.args.get("format") or None
    for suffix in SUFFIX:
        if path.endswith("." + suffix):
            stem = path[: -len(suffix) - 1]
            store = current().store
            # an IRI that itself ends in ".json" wins over the twin of its stem
            if model.exists(store, V.ID + stem) or not model.exists(store, V.ID + path):
                path, fmt = stem, suffix
            break
    return show(V.ID + path, fmt)


@bp.get("/resource")
@cached
def resource():
    uri = urls.iri_argument("uri", "show")
    return show(uri, request.args.get("format") or None)


def negotiate(fmt: str | None) -> str:
    if fmt:
        if fmt not in SUFFIX:
            abort(406, description=f"unknown format {fmt!r} (choose from {', '.join(SUFFIX)})")
        return SUFFIX[fmt]
    offered = ["text/html", "application/json", *RDF_FORMATS]
    return request.accept_mimetypes.best_match(offered, default="text/html")


def show(iri: str, fmt: str | None):
    store = current().store
    mime = negotiate(fmt)
    if not model.exists(store, iri):
        raise NotFound(f"the graph has nothing about <{iri}>")
    return render_entity(store, iri, mime)


def render_entity(store, iri: str, mime: str):
    """The page of ``iri`` (or its twin in ``mime``)."""
    if mime in RDF_FORMATS:
        out = io.BytesIO()
        ox.serialize(model.concise_description(store, iri), out, RDF_FORMATS[mime][1],
                     prefixes=dict(V.PREFIXES) if mime != "application/n-triples" else None)
        response = Response(out.getvalue(), mimetype=mime)
    elif mime == "application/json":
        view = model.describe(store, iri, current_language())
        profile = _profile(store, iri, view)
        response = jsonify({**view, "profile": profile} if profile else view)
    else:
        view = model.describe(store, iri, current_language())
        profile = _profile(store, iri, view)
        twins = {name: urls.entity(iri, name) for name in TWIN_NAMES}
        canonical = request.host_url.rstrip("/") + urls.entity(iri)
        response = Response(render_template("browse/entity.html", e=view, twins=twins,
                                            twin_names=TWIN_NAMES, twin_types=SUFFIX,
                                            canonical=canonical, own=iri.startswith(V.BASE),
                                            profile=profile,
                                            profile_names=_profile_names(store, profile),
                                            compare_links=_compare_links(profile)))
        response.headers["Content-Language"] = current_language()
    response.vary.update(["Accept", "Accept-Language", "Cookie"])
    return response


def _profile(store, iri: str, view: dict) -> dict | None:
    """A strategy's profile (``pockg.profile``): every dimension, covered or a gap."""
    if V.term("ProtectionStrategy") not in {t["iri"] for t in view.get("types", [])}:
        return None
    from pockg.profile import strategy_profile

    return strategy_profile(store, iri, current_language())


def _profile_names(store, profile: dict | None) -> dict:
    if not profile:
        return {}
    from web.library import evidence_names

    return evidence_names(store, current_language(),
                          [c["evidence"] for d in profile["dimensions"] for c in d["cells"]])


PROFILE_COMPARISONS = ("tier-coverage", "vulnerable-groups", "risk-coverage", "framework-gaps")


def _compare_links(profile: dict | None) -> list[tuple[str, str]]:
    """The comparisons of this strategy's mission with the others of its generation."""
    if not profile:
        return []
    missions = list(dict.fromkeys(p["mission"] for p in profile["peers"] if p["mission"]))
    if len(missions) < 2:
        return []
    return [(name, url_for("compare.page", comparison=name, missions=",".join(missions)))
            for name in PROFILE_COMPARISONS]


@bp.get("/health")
def health():
    store = current().store
    ok = store.ask("ASK { ?s ?p ?o }")
    return jsonify({"ok": ok, "status": 200 if ok else 503}), 200 if ok else 503
