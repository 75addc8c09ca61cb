"""One exception hierarchy for the whole of pockg.

The CLI prints ``error.message`` and exits with ``error.exit_code``; the web
app answers with ``error.http_status``. Every error says what went wrong and
where, so that a user can fix it without reading the code.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class PockgError(Exception):
    """Base of every error pockg raises on purpose."""

    exit_code = 1
    http_status = 500
    prefix = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigurationError(PockgError):
    """A setting, path or option is wrong."""

    exit_code = 2
    prefix = "configuration error"


class StoreError(PockgError):
    """The store cannot be opened, read or written."""

    http_status = 503
    prefix = "store error"


class NoPublicReplica(StoreError):
    """Readers cannot be answered: the public replica is missing, and nothing
    else may stand in for it (the full store holds drafts and accounts)."""

    def __init__(self, location: str):
        super().__init__(
            f"this server cannot answer readers yet: the public copy of the graph (what "
            f"readers, search and /sparql see) is missing at {location}, and a read-only "
            "server never makes one. Run `pockg build` on this store, or start one server "
            "without --read-only, then restart this one")


class QueryError(PockgError):
    """A SPARQL query or one of its parameters is malformed."""

    http_status = 400
    prefix = "query error"


class NotFound(PockgError):
    """A named thing (query, entity, graph) does not exist."""

    http_status = 404
    prefix = "not found"


class ReasoningError(PockgError):
    """The OWL reasoner could not run (no Java, timeout, refused input)."""

    prefix = "reasoning error"


@dataclass(frozen=True)
class Problem:
    """One problem found in the input, located as precisely as known."""

    message: str
    file: str | None = None
    line: int | None = None
    entity: str | None = None
    severity: str = "error"  # error | warning

    def __str__(self) -> str:
        where = self.file or "<graph>"
        if self.line:
            where += f":{self.line}"
        who = f" {self.entity}:" if self.entity else ""
        return f"{where}:{who} {self.message}"


@dataclass
class DataError(PockgError):
    """The curated data (data/, ontology/) has one or more errors."""

    problems: list[Problem] = field(default_factory=list)
    exit_code = 3
    http_status = 422
    prefix = "data error"

    def __post_init__(self) -> None:
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the data; nothing was loaded"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


class ValidationFailed(DataError):
    """The built graph violates the shapes, the ontology or a QC query."""

    prefix = "validation failed"

    def __post_init__(self) -> None:
        count = len(self.problems)
        head = f"{count} violation{'s' if count != 1 else ''}; the store was left as it was"
        PockgError.__init__(self, "\n".join([head, *(f"  {p}" for p in self.problems)]))


class IngestError(PockgError):
    """A file given to ``pockg ingest`` or the upload page cannot be ingested.

    The message names the file and the problem (corrupt, encrypted, empty,
    too large, unsupported type); nothing from the file is stored.
    """

    exit_code = 3
    http_status = 422
    prefix = "ingest error"

    def __init__(self, message: str, file: str | None = None, http_status: int | None = None):
        super().__init__(f"{file}: {message}" if file else message)
        self.file = file
        if http_status:
            self.http_status = http_status


class Forbidden(PockgError):
    """The user may not do this (wrong role, not signed in, bad CSRF token)."""

    http_status = 403
    prefix = "forbidden"


class Conflict(PockgError):
    """A write was based on a revision that is no longer the latest."""

    http_status = 409
    prefix = "conflict"

    def __init__(self, message: str, details: dict | None = None):
        super().__init__(message)
        self.details = details or {}


class RateLimited(PockgError):
    """Too many attempts (for instance failed sign-ins); try again later."""

    http_status = 429
    prefix = "too many requests"

    def __init__(self, message: str, retry_after: int = 60):
        super().__init__(message)
        self.retry_after = retry_after
