"""Entity pages at their IRIs (with .ttl/.jsonld/.json twins), lists, the home page."""

from __future__ import annotations

import datetime

import io
import threading
from collections import OrderedDict

import pyoxigraph as ox
from flask import (Blueprint, g, Response, session, abort, current_app, jsonify, render_template,
                   request)

from pockg import vocab as V
from pockg.config import MEMORY
from pockg.errors import NotFound
from pockg.replica import touches_public
from web import model, urls
from web.i18n import current_language
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
def home():
    store = current().store
    counts = {r["c"].value: int(r["n"].value) for r in store.select(
        COUNT_QUERY % " ".join(f"<{c}>" for c, _ in KINDS.values())).rows}
    timeline = mandate_timeline(store)
    if _wants_json():
        return jsonify({"counts": {k: counts.get(c, 0) for k, (c, _) in KINDS.items()},
                        "timeline": timeline})
    return render_template("browse/home.html", kinds=KINDS, counts=counts, timeline=timeline,
                           lang=current_language(), this_year=datetime.date.today().year)


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
def listing(kind: str):
    if kind not in KINDS:
        abort(404, description=f"no list named {kind!r}")
    cls, title = KINDS[kind]
    items = model.listing(current().store, cls, current_language())
    if _wants_json():
        return jsonify({"kind": kind, "title": title, "items": items})
    return render_template("browse/list.html", kind=kind, title=title, items=items)


@bp.get("/id/<path:path>")
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
    cache = page_cache()
    if cache is None or not cacheable():
        return render_entity(store, iri, mime)
    key = (request.url_root, request.path, request.query_string, mime, current_language())
    kept = cache.get(key)
    if kept is None:
        response = render_entity(store, iri, mime)
        cache.put(key, (response.get_data(), list(response.headers.items())))
        return response
    body, headers = kept
    return Response(body, headers=headers)


def cacheable() -> bool:
    """Whether this request's page may be kept and served to others: only pages for
    people not signed in (a signed-in page shows its user's name and form token),
    and none that shows a one-time message (flash)."""
    return g.get("user") is None and "_flashes" not in session


def render_entity(store, iri: str, mime: str):
    """The page of ``iri`` (or its twin in ``mime``); ``show`` caches it."""
    if mime in RDF_FORMATS:
        out = io.BytesIO()
        ox.serialize(model.concise_description(store, iri), out, RDF_FORMATS[mime][1],
                     prefixes=dict(V.PREFIXES) if mime != "application/n-triples" else None)
        response = Response(out.getvalue(), mimetype=mime)
    elif mime == "application/json":
        response = jsonify(model.describe(store, iri, current_language()))
    else:
        view = model.describe(store, iri, current_language())
        twins = {name: urls.entity(iri, name) for name in TWIN_NAMES}
        canonical = request.host_url.rstrip("/") + urls.entity(iri)
        response = Response(render_template("browse/entity.html", e=view, twins=twins,
                                            twin_names=TWIN_NAMES, twin_types=SUFFIX,
                                            canonical=canonical, own=iri.startswith(V.BASE)))
        response.headers["Content-Language"] = current_language()
    response.vary.update(["Accept", "Accept-Language", "Cookie"])
    return response


# -- the page cache ------------------------------------------------------------
# A page for people not signed in depends only on what readers may see, the
# request URL (host, path, query string), the negotiated format and the
# language (``cacheable``: signed-in pages carry their user's name and form
# token, and are never kept). What readers see changes only through the app's
# own writer, which empties the cache after each such change (a draft's does
# not); so rendered pages are kept between writes, up to PAGE_CACHE_BYTES
# (config; 0 turns the cache off). Rendering a page costs 40-120 ms of Python
# (queries for statements, sources, labels and links, then the template); a
# kept page costs about 1 ms, which is what lets the server answer hundreds
# of entity pages a second on 2 cores (benchmarks/load_test.py).
PAGE_CACHE_BYTES = 64 * 1024 * 1024
_cache_lock = threading.Lock()


class PageCache:
    """A thread-safe LRU of rendered responses, bounded by the bytes of their bodies."""

    def __init__(self, limit: int):
        self.limit, self.size = limit, 0
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def clear(self, *_) -> None:
        with self._lock:
            self._items.clear()
            self.size = 0

    def forget(self, change) -> None:
        """After a write: every kept page if readers can see the change (a draft
        edit keeps them all)."""
        if touches_public(change):
            self.clear()

    def get(self, key):
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key, value) -> None:
        size = len(value[0])
        if size > self.limit // 8:   # one huge page never empties the cache
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.size -= len(old[0])
            self._items[key] = value
            self.size += size
            while self.size > self.limit:
                _, dropped = self._items.popitem(last=False)
                self.size -= len(dropped[0])


def page_cache() -> PageCache | None:
    """The app's page cache, or None when the store may change (in memory, or given)."""
    state = current()
    found = state.extras.get("page_cache", False)
    if found is not False:
        return found
    with _cache_lock:
        found = state.extras.get("page_cache", False)
        if found is False:
            limit = int(current_app.config.get("PAGE_CACHE_BYTES", PAGE_CACHE_BYTES) or 0)
            own_store = (state.settings.store != MEMORY
                         and current_app.config.get("STORE_OBJECT") is None)
            found = PageCache(limit) if limit > 0 and own_store else None
            if found is not None and state.writer is not None:
                state.writer.on_change(found.forget)
            state.extras["page_cache"] = found
    return found


@bp.get("/health")
def health():
    store = current().store
    ok = store.ask("ASK { ?s ?p ?o }")
    return jsonify({"ok": ok, "status": 200 if ok else 503}), 200 if ok else 503
