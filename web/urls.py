"""The one place that builds URLs for entities and their machine-readable twins."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, url_for

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


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(entity_url=entity, is_local=is_local)
