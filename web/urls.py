"""The one place that builds URLs for entities and their machine-readable twins,
and that reads IRIs from URLs.

A route whose path names something in the graph declares it with ``iri_path``
(``/id/<iri_path:path>``) or ``iri_part`` (``/lessons/<iri_part:lesson_id>``):
a path that cannot be part of an IRI (``{{7*7}}``, a control character, a
space) names nothing, so it gets the usual 404 page or JSON before any view
runs, never a 500.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Flask, abort, request, url_for
from werkzeug.exceptions import NotFound
from werkzeug.routing import PathConverter, UnicodeConverter

from pockg import vocab as V

TWINS = {"ttl": "text/turtle", "jsonld": "application/ld+json", "json": "application/json",
         "nt": "application/n-triples", "rdf": "application/rdf+xml"}


def is_local(iri: str) -> bool:
    return iri.startswith(V.ID)


def entity(iri: str, fmt: str | None = None, **query) -> str:
    """The page of any IRI: /id/... for pockg's own, /resource?uri=... otherwise."""
    suffix = f".{fmt}" if fmt else ""
    if is_local(iri):
        path = iri[len(V.ID):]
        url = url_for("browse.entity", path=path + suffix)
        return url + ("?" + urlencode(query) if query else "")
    args = {"uri": iri, **({"format": fmt} if fmt else {}), **query}
    return url_for("browse.resource", **args)


def iri_argument(name: str = "uri", purpose: str = "show") -> str:
    """The IRI given in the query string, checked to be a valid IRI."""
    from pockg.errors import QueryError

    uri = request.args.get(name, "").strip()
    if not uri:
        abort(400, description=f"give the IRI to {purpose}: ?{name}=IRI")
    try:
        ox.NamedNode(uri)
    except ValueError:
        raise QueryError(f"{uri!r} is not a valid IRI") from None
    return uri


def iri_text(text: str) -> str:
    """``text`` if it can be part of an IRI under id/, else a 404 that says why.

    Werkzeug calls converters once it has chosen the rule, and Flask answers an
    HTTP error raised while matching through web/errors.py (a ValidationError
    would give the same 404 with a vaguer message)."""
    try:
        ox.NamedNode(V.ID + text)
    except ValueError:
        shown = repr(text if len(text) <= 120 else text[:120] + "…")
        raise NotFound(f"nothing is named {shown} here: it contains characters that "
                       "an IRI may not contain") from None
    return text


class IriPart(UnicodeConverter):
    """One path segment that becomes part of an IRI (a lesson or document id)."""

    def to_python(self, value: str) -> str:
        return iri_text(value)


class IriPath(PathConverter):
    """The rest of the path, slashes included, that becomes part of an IRI."""

    def to_python(self, value: str) -> str:
        return iri_text(value)


def init_app(app: Flask) -> None:
    """Template helpers, and the converters (before any blueprint is registered)."""
    app.url_map.converters.update(iri_part=IriPart, iri_path=IriPath)
    app.jinja_env.globals.update(entity_url=entity, is_local=is_local)
