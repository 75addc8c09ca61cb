"""Loaders, registered by name: each turns one kind of source into RDF.

``get_loader(name)`` imports a loader lazily; a new kind of source is a new
small module plus one line here. The build runs the data loaders in
``DATA_ORDER`` (order matters only for readable output: references are
resolved after every loader has indexed its identifiers).
"""

from __future__ import annotations

from importlib import import_module

from pockg.errors import ConfigurationError

LOADERS = {
    "schemes": "loaders.schemes:SchemesLoader",
    "sources": "loaders.sources:SourcesLoader",
    "documents": "loaders.documents:DocumentsLoader",
    "links": "loaders.links:LinksLoader",
    "training": "loaders.training:TrainingLoader",
    "countries": "loaders.simple:CountriesLoader",
    "actors": "loaders.actors:ActorsLoader",
    "operations": "loaders.operations:OperationsLoader",
    "resolutions": "loaders.resolutions:ResolutionsLoader",
    "strategies": "loaders.strategies:StrategiesLoader",
    "recommendations": "loaders.recommendations:RecommendationsLoader",
    "questions": "loaders.questions:QuestionsLoader",
    "reporting": "loaders.simple:ReportingLoader",
    "coordination": "loaders.simple:CoordinationLoader",
    "policy-documents": "loaders.simple:PolicyDocumentsLoader",
    "lifecycle": "loaders.lifecycle:LifecycleLoader",
    "lessons": "loaders.lessons:LessonsLoader",
    "document-roles": "loaders.document_roles:DocumentRolesLoader",
}

DATA_ORDER = tuple(LOADERS)


def get_loader(name: str):
    """The loader class registered as ``name``."""
    try:
        target = LOADERS[name]
    except KeyError:
        raise ConfigurationError(
            f"unknown loader {name!r} (known: {', '.join(sorted(LOADERS))})") from None
    module, _, cls = target.partition(":")
    return getattr(import_module(module), cls)
