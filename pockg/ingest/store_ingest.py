"""``ingest(store, paths)``: read every file, then store each new version atomically.

Every file is read and checked before anything is written, so one bad file
in a batch stores nothing. A file whose content hash is already stored for
its document is reported ``unchanged`` and writes nothing; a new hash for a
known document is a new version, ``prov:wasRevisionOf`` the current one, and
becomes ``pockg:currentVersion``. All new versions of one call are written
in one transaction (``store.replace_graphs``). No click here: the web upload
page calls the same two steps.

The two steps are apart so that a server reads (parses: a PDF may take up to
a minute) with no lock held: ``read_all`` touches no store, and only
``store_documents``, which decides ``unchanged``/``version`` from the store
as it is then, runs under the writer's lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import pyoxigraph as ox

from pockg import vocab as V
from pockg.errors import IngestError
from pockg.ingest import rdf
from pockg.ingest.guard import DEFAULT_MAX_BYTES
from pockg.ingest.model import Document
from pockg.ingest.read import read_document


@dataclass
class IngestResult:
    """What happened to one file: ``status`` is ``new``, ``version`` or ``unchanged``."""

    file: str
    doc_id: str
    status: str
    document: str
    version: str
    previous: str | None
    content_hash: str
    media_type: str
    passages: int
    title: str

    def to_dict(self) -> dict:
        return asdict(self)


def _current(store, doc_id: str) -> str | None:
    """The document's current version, if it was ingested before."""
    doc, graph = ox.NamedNode(rdf.document_iri(doc_id)), ox.NamedNode(rdf.document_graph(doc_id))
    for quad in store.match(doc, rdf._p("currentVersion"), None, graph):
        return quad.object.value
    return None


def _stored(store, doc: Document) -> bool:
    version = ox.NamedNode(rdf.version_iri(doc.doc_id, doc.hash12))
    graph = ox.NamedNode(rdf.version_graph(doc.doc_id, doc.hash12))
    kind = ox.NamedNode(V.RDF + "type")
    return any(True for _ in store.match(version, kind, rdf._p("DocumentVersion"), graph))


def read_all(paths: Iterable[str | Path], doc_id: str | None = None,
             max_bytes: int = DEFAULT_MAX_BYTES, progress: Callable[[str], None] | None = None,
             names: list[str] | None = None) -> list[Document]:
    """Read and check every file; raise on the first bad one (nothing is stored)."""
    paths = [Path(p) for p in paths]
    if not paths:
        raise IngestError("no files to ingest")
    if doc_id is not None and len(paths) > 1:
        raise IngestError(f"--id names one document, but {len(paths)} files were given; "
                          "ingest them one at a time")
    docs: list[Document] = []
    by_id: dict[str, Document] = {}
    for index, path in enumerate(paths):
        name = names[index] if names else None
        doc = read_document(path, doc_id=doc_id, max_bytes=max_bytes, name=name)
        other = by_id.get(doc.doc_id)
        if other is not None and other.content_hash != doc.content_hash:
            raise IngestError(f"{name or path} and {other.path} would both be document "
                              f"{doc.doc_id!r}; ingest them separately or rename one", file=name or str(path))
        by_id[doc.doc_id] = doc
        docs.append(doc)
        if progress:
            progress(f"read {name or path}: {len(doc.passages)} passages ({doc.media_type})")
    return docs


def ingest(store, paths: Iterable[str | Path], doc_id: str | None = None,
           progress: Callable[[str], None] | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
           names: list[str] | None = None) -> list[IngestResult]:
    """Ingest ``paths`` into ``store``; see the module docstring.

    ``names`` gives the files' own names where ``paths`` are temporary copies
    (an upload). Raises ``IngestError`` (nothing stored) for any bad file.
    """
    docs = read_all(paths, doc_id, max_bytes, progress, names)
    return store_documents(store, docs, progress, names)


def store_documents(store, docs: list[Document], progress: Callable[[str], None] | None = None,
                    names: list[str] | None = None) -> list[IngestResult]:
    """Store the documents ``read_all`` read: each is ``new``, a new ``version`` or
    ``unchanged``, judged against the store now (hold the writer's lock)."""
    results: list[IngestResult] = []
    owned: list[str] = []
    quads: list[ox.Quad] = []
    written: set[str] = set()
    for index, doc in enumerate(docs):
        name = names[index] if names else str(doc.path)
        version = rdf.version_iri(doc.doc_id, doc.hash12)
        previous = _current(store, doc.doc_id)
        if _stored(store, doc) or version in written:
            status, previous = "unchanged", None
        else:
            status = "version" if previous else "new"
            owned += [rdf.document_graph(doc.doc_id), rdf.version_graph(doc.doc_id, doc.hash12)]
            quads = [q for q in quads if q.graph_name.value != rdf.document_graph(doc.doc_id)]
            quads += rdf.document_quads(doc, previous=previous)
            written.add(version)
        results.append(IngestResult(
            file=name, doc_id=doc.doc_id, status=status, document=rdf.document_iri(doc.doc_id),
            version=version, previous=previous, content_hash=doc.content_hash,
            media_type=doc.media_type, passages=len(doc.passages), title=doc.title))
    if quads:
        store.replace_graphs(owned, quads)
        if progress:
            progress(f"wrote {len(quads):,} quads in one transaction")
    return results
