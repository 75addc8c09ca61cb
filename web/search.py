"""Search and autocomplete, answered from the search index (pockg.search_index).

/search?q=...&kind=...&mission=...&tier=...  results with facet counts and
highlighted snippets (JSON twin with ?format=json or Accept: application/json);
/suggest?q=...  autocomplete: a JSON array of {label, kind, url, notation?}.

The index is opened (and built, or rebuilt if the store has changed since)
on the first request, then kept in ``current().extras["search"]``.
"""

from __future__ import annotations

import logging
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from markupsafe import escape

from pockg import search_index as si
from pockg.replica import touches_public
from web import urls
from web.errors import wants_json
from web.i18n import current_language
from web.state import State, current

bp = Blueprint("search", __name__)
log = logging.getLogger("pockg.web.search")

PAGE_SIZE = 20
MAX_PAGE = 500
SUGGESTIONS = 10
FACETS = ("kind", "mission", "tier")
FACET_TITLES = {"kind": "Kind", "mission": "Mission", "tier": "Protection tier"}


# -- the index -------------------------------------------------------------------

def index_path(state: State) -> Path:
    """SEARCH_INDEX, else ``<store folder>.search.sqlite`` next to the store."""
    configured = current_app.config.get("SEARCH_INDEX")
    if configured:
        return Path(configured)
    location = getattr(state.full_store, "location", None) or state.settings.store
    return si.default_path(location) or _private_path()


def _private_path() -> Path:
    return Path(tempfile.mkdtemp(prefix="pockg-search-")) / "index.search.sqlite"


def get_index() -> si.SearchIndex:
    """The search index, opened (built if missing or stale) on first use."""
    state = current()
    found = state.extras.get("search")
    if found is not None:
        return found
    lock = state.extras.setdefault("search_lock", threading.Lock())
    with lock:
        found = state.extras.get("search")
        if found is None:
            path = index_path(state)
            try:
                found = si.ensure_index(state.public_store, path, progress=log.info)
            except (OSError, sqlite3.Error) as exc:  # e.g. the store's folder is read-only
                path = _private_path()
                log.warning("cannot write the search index at %s (%s); using %s",
                            index_path(state), exc, path)
                found = si.ensure_index(state.public_store, path, progress=log.info)
            state.extras["search"] = found
            if state.writer is not None:
                state.writer.on_change(_Reindex(state, path))
    return found


class _Reindex:
    """Rebuilds the index (of what readers may see) a moment after the store
    changed, in the background; searches use the old index until it is done.
    Drafts, internal lessons and review records are never indexed."""

    DELAY_S = 0.5

    def __init__(self, state: State, path: Path):
        self.state, self.path = state, path
        self._lock = threading.Lock()
        self._build = threading.Lock()        # one rebuild at a time (they share a .part file)
        self._pending = False

    def __call__(self, change) -> None:
        if not touches_public(change):       # nothing readers see (and so nothing indexed)
            return
        with self._lock:
            if self._pending:
                return
            self._pending = True
        threading.Thread(target=self._run, daemon=True, name="pockg-reindex").start()

    def _run(self) -> None:
        time.sleep(self.DELAY_S)
        with self._lock:
            self._pending = False
        try:
            with self._build:
                si.build_index(self.state.public_store, self.path)
                self.state.extras["search"] = si.SearchIndex(self.path)
        except (OSError, sqlite3.Error) as exc:
            log.warning("could not refresh the search index: %s", exc)


# -- views ------------------------------------------------------------------------

@bp.get("/suggest")
def suggest():
    query = request.args.get("q", "")
    limit = max(1, min(request.args.get("limit", SUGGESTIONS, type=int) or SUGGESTIONS, 25))
    index = get_index()
    lang = current_language()
    kinds = index.kinds()
    return jsonify([suggestion(hit, query, kinds, lang) for hit in index.suggest(query, limit)])


def suggestion(hit: si.Hit, query: str, kinds: dict, lang: str) -> dict:
    label = hit.label_for(lang)
    out = {"label": label, "kind": kind_label(kinds, hit.kind, lang), "url": urls.entity(hit.iri),
           "iri": hit.iri}
    if hit.notation:
        out["notation"] = hit.notation
    matched = hit.matched_name(query)
    if matched and matched not in (label, hit.notation):
        out["matched"] = matched
    return out


def kind_label(kinds: dict, key: str, lang: str) -> str:
    found = kinds.get(key)
    if not found:
        return key
    return found.get(lang) or found.get("en") or key


@bp.get("/search")
def page():
    query = request.args.get("q", "").strip()
    filters = {name: (request.args.get(name) or "").strip()[:500] or None for name in FACETS}
    page_no = max(1, min(request.args.get("page", 1, type=int) or 1, MAX_PAGE))
    lang = current_language()
    view = results_view(query, filters, page_no, lang)
    if wants_json():
        for hit in view["results"]:
            hit.pop("pieces")
        return jsonify(view)
    return render_template("search/page.html", v=view, facet_titles=FACET_TITLES)


def results_view(query: str, filters: dict, page_no: int, lang: str) -> dict:
    """Everything the results page and its JSON twin show."""
    index = get_index()
    results = index.search(query, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE,
                           **filters) if query else si.Results(query, 0, [], {})
    kinds = index.kinds()
    facet_iris = [v for name in ("mission", "tier") for v, _n in results.facets.get(name, [])]
    facet_iris += [si.expand(filters[n]) for n in ("mission", "tier") if filters.get(n)]
    context_iris = [h.context for h in results.hits if h.context]
    names = index.labels(facet_iris + context_iris)

    def name_of(iri: str) -> str:
        label, en, fr = names.get(iri, (None, None, None))
        return (fr if lang == "fr" else en) or en or label or si.compact(iri)

    hits = []
    for h in results.hits:
        hits.append({
            "iri": h.iri, "url": urls.entity(h.iri), "label": h.label_for(lang),
            "kind": h.kind, "kind_label": kind_label(kinds, h.kind, lang),
            "notation": h.notation, "number": h.number, "matched": _matched(h, query, lang),
            "context": {"iri": h.context, "label": name_of(h.context),
                        "url": urls.entity(h.context)} if h.context else None,
            "exact": h.exact,
            "snippet": "".join(text for text, _m in h.snippet),
            "snippet_html": "".join(str(escape(t)) if not m else f"<mark>{escape(t)}</mark>"
                                    for t, m in h.snippet),
            "pieces": h.snippet,
        })
    facets = {}
    for name in FACETS:
        active = filters.get(name)
        active_value = active if name == "kind" or not active else si.compact(si.expand(active))
        items = []
        for value, count in results.facets.get(name, []):
            key = value if name == "kind" else si.compact(value)
            items.append(_facet_item(name, key, count, active_value, query, filters, kinds,
                                     name_of, lang))
        if active_value and all(i["value"] != active_value for i in items):
            items.insert(0, _facet_item(name, active_value, 0, active_value, query, filters,
                                        kinds, name_of, lang))
        facets[name] = items
    pages = -(-results.total // PAGE_SIZE) if results.total else 0
    return {
        "query": query, "total": results.total, "page": page_no, "pages": pages,
        "page_size": PAGE_SIZE, "any_word": results.any_word,
        "filters": {k: v for k, v in filters.items() if v},
        "results": hits, "facets": facets,
        "prev": _url(query, filters, page=page_no - 1) if page_no > 1 else None,
        "next": _url(query, filters, page=page_no + 1) if page_no < pages else None,
        "json": _url(query, filters, page=page_no if page_no > 1 else None, format="json"),
    }


def _matched(hit: si.Hit, query: str, lang: str) -> str | None:
    matched = hit.matched_name(query)
    return matched if matched and matched not in (hit.label_for(lang), hit.notation) else None


def _facet_item(name, value, count, active, query, filters, kinds, name_of, lang) -> dict:
    is_active = value == active
    changed = dict(filters, **{name: None if is_active else value})
    label = kind_label(kinds, value, lang) if name == "kind" else name_of(si.expand(value))
    return {"value": value, "label": label, "count": count, "active": is_active,
            "url": _url(query, changed)}


def _url(query: str, filters: dict, **extra) -> str:
    args = {"q": query, **{k: v for k, v in filters.items() if v}}
    args.update({k: v for k, v in extra.items() if v is not None})
    return url_for("search.page", **args)
