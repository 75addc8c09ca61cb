"""Group files whose fields map one to one: countries, reporting, coordination,
policy documents."""

from __future__ import annotations

from loaders.base import EntityLoader


class CountriesLoader(EntityLoader):
    name, kind, group = "countries", "country", True


class ReportingLoader(EntityLoader):
    name, kind, group = "reporting", "reporting", True


class CoordinationLoader(EntityLoader):
    name, kind, group = "coordination", "coordination", True


class PolicyDocumentsLoader(EntityLoader):
    name, kind, group = "policy-documents", "policy", True
