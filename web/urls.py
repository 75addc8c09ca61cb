"""The one place that builds URLs for entities and their machine-readable twins."""

from __future__ import annotations

from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Flask, abort, request, url_for

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


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(entity_url=entity, is_local=is_local)
