"""The strict gate every RDF upload, data file and SPARQL text passes first.

rdflib is a lenient parser (it lets through 39 of the 94 W3C negative Turtle
tests and IRIs such as ``<http://ex.org/a b>``, which later cannot even be
serialised); pyoxigraph's parsers reject all of them. So everything that comes
from outside is parsed here, with pyoxigraph, before anything else sees it:

``check_rdf(data, fmt)``
    Strict parse of Turtle, N-Triples, N-Quads, TriG, RDF/XML or JSON-LD, with
    a size cap, then a round trip: the accepted quads are dumped to N-Quads and
    parsed again, and the result must be the very same set of quads (blank
    nodes keep their labels in pyoxigraph's dump, so equality is exact, which
    is stricter than "equal up to blank node renaming"). Data that cannot be
    backed up and restored is refused now rather than discovered at backup
    time. Returns the quads; any refusal is a ``DataError`` whose ``Problem``
    names the file, the line and the parser's own message (which gives the
    column).

    * RDF/XML: refused outright if it has a DTD (``<!DOCTYPE``, ``<!ENTITY``,
      any ``<!`` that is not a comment or CDATA), is not UTF-8, or nests
      elements deeper than ``MAX_XML_DEPTH`` (pyoxigraph's RDF/XML parser is
      quadratic in nesting depth: 100 000 levels, 4.8 MB, ran > 20 s).
    * JSON-LD: pyoxigraph refuses remote (and ``file:``) contexts because no
      document loader is set; this module never sets one. Note that JSON-LD
      itself silently drops terms with invalid IRIs, so a JSON-LD document
      that yields no quad at all is refused as suspicious.
    * N3 and anything else: refused.
    * RDF 1.2 terms (triple terms, directional language strings), which
      pyoxigraph 0.5 parses by default, are refused unless ``allow_rdf12``:
      rdflib and the N-Triples exports are RDF 1.1.

``check_import(quads, graph)``
    What an RDF *upload* (``/documents/rdf``) may write, after ``check_rdf``:
    never into a graph ``pockg build`` makes (everything under ``graph/``),
    never a subject in the ``pockg:`` namespace (the ontology) or under
    ``id/transition/`` (the lifecycle's transitions), and no ``owl:imports``.
    The lifecycle rules are read only from the built graphs
    (``pockg.curation.lifecycle``); this keeps uploads from even looking like
    them. A refusal is a ``DataError`` naming the file and the first triple.

``check_sparql(text, update=False)``
    Strict parse of a SPARQL 1.1 query or update with pyoxigraph, *without
    evaluating it*: ``Store.query`` evaluates at once (a ``SERVICE`` fires an
    HTTP request before the first result is read; ``LOAD`` in an update fetches
    its IRI), so the parse runs in a way that makes pyoxigraph stop right after
    parsing: queries are passed two options pyoxigraph refuses together, which
    it checks only after a successful parse; updates run on an empty read-only
    store, which refuses the transaction after the parse. If either trick ever
    stops working, the check fails closed (``GateBroken``) and the tests that
    watch a local canary server fail. Malformed text raises ``QueryError``.

    pyoxigraph's SPARQL parser is recursive: nested groups (``{{{…``, ~2 150
    levels, 5 KB) or a long flat property path (``:a/:a/…``, ~20 000 steps,
    64 KB) overflow an 8 MiB stack and kill the whole process with SIGSEGV.
    So the parse runs in a thread with a ``PARSER_STACK_BYTES`` stack, text
    over ``DEFAULT_MAX_SPARQL_BYTES`` is refused, and so is bracket nesting
    deeper than ``MAX_SPARQL_NESTING`` (counted over the raw text, which can
    only overestimate the parser's nesting).
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path
from xml.parsers import expat

import pyoxigraph as ox

from pockg import vocab as V
from pockg.errors import DataError, Problem, QueryError

DEFAULT_MAX_BYTES = 16 * 1024 * 1024
BUILT_GRAPHS = V.GRAPH              # every graph under graph/ is made (and replaced) by `pockg build`
ONTOLOGY = V.POCKG.rstrip("#")      # the ontology's own IRI; its terms are V.POCKG + name
PROTECTED_NAMESPACES = (V.POCKG, V.entity("transition", ""))
OWL_IMPORTS = V.OWL + "imports"
DEFAULT_MAX_SPARQL_BYTES = 128 * 1024
MAX_XML_DEPTH = 256
MAX_SPARQL_NESTING = 128
# 64 MiB holds a 128 KiB query of the deepest-recursing flat construct (a property
# path sequence, ~145 bytes of stack per byte of text) with a 3x margin, plus
# MAX_SPARQL_NESTING levels of brackets (~4 KB of stack each). Measured on 0.5.13.
PARSER_STACK_BYTES = 64 * 1024 * 1024

ACCEPTED_FORMATS = (ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS,
                    ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML, ox.RdfFormat.JSON_LD)
_LINE_FORMATS = (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS)   # no relative IRIs, no base

_ALIASES = {
    "turtle": ox.RdfFormat.TURTLE, "ttl": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES, "n-triples": ox.RdfFormat.N_TRIPLES,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS, "n-quads": ox.RdfFormat.N_QUADS, "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "rdf/xml": ox.RdfFormat.RDF_XML, "rdfxml": ox.RdfFormat.RDF_XML,
    "rdf-xml": ox.RdfFormat.RDF_XML, "xml": ox.RdfFormat.RDF_XML, "rdf": ox.RdfFormat.RDF_XML,
    "json-ld": ox.RdfFormat.JSON_LD, "jsonld": ox.RdfFormat.JSON_LD,
}

_UTF8_BOM = b"\xef\xbb\xbf"


class GateBroken(RuntimeError):
    """pyoxigraph no longer stops after parsing: the SPARQL check refuses to run."""


# ---------------------------------------------------------------------------
# RDF
# ---------------------------------------------------------------------------

def rdf_format(fmt: str | ox.RdfFormat, source: str | None = None) -> ox.RdfFormat:
    """The accepted ``RdfFormat`` for a name, file extension or media type."""
    found: ox.RdfFormat | None
    if isinstance(fmt, ox.RdfFormat):
        found = fmt
    else:
        key = str(fmt).strip().lower().lstrip(".")
        found = _ALIASES.get(key)
        if found is None and not key.startswith("text/plain"):   # text/plain is not N-Triples
            found = (ox.RdfFormat.from_media_type(key) if "/" in key
                     else ox.RdfFormat.from_extension(key))
    if found not in ACCEPTED_FORMATS:
        names = ", ".join(f.name for f in ACCEPTED_FORMATS)
        raise _refuse(f"unsupported RDF format {str(fmt)!r} (accepted: {names})", source)
    return found


def check_rdf(data: bytes, fmt: str | ox.RdfFormat, base_iri: str | None = None,
              max_bytes: int = DEFAULT_MAX_BYTES, *, source: str | None = None,
              allow_rdf12: bool = False) -> list[ox.Quad]:
    """Parse ``data`` strictly, prove it survives an N-Quads round trip, return its quads.

    ``source`` is the file name used in error messages. Raises ``DataError``.
    """
    rdf = rdf_format(fmt, source)
    label = rdf.name
    if isinstance(data, str):
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise _refuse(f"malformed {label}: {exc.reason} at character {exc.start}",
                          source) from None
    data = bytes(data)
    if len(data) > max_bytes:
        raise _refuse(f"{label} upload is {len(data)} bytes, over the {max_bytes} byte limit",
                      source)
    data = data.removeprefix(_UTF8_BOM)
    if base_iri is not None and rdf not in _LINE_FORMATS:
        try:
            ox.NamedNode(base_iri)
        except ValueError as exc:
            raise _refuse(f"invalid base IRI {base_iri!r}: {exc}", source) from None
    if rdf == ox.RdfFormat.RDF_XML:
        _check_xml(data, source)

    try:
        quads = list(ox.parse(data, format=rdf, lenient=False,
                              base_iri=None if rdf in _LINE_FORMATS else base_iri))
    except SyntaxError as exc:
        raise _refuse(f"malformed {label}: {_message(exc)}", source,
                      line=getattr(exc, "lineno", None)) from None

    if rdf == ox.RdfFormat.JSON_LD and not quads and data.strip() not in (b"", b"{}", b"[]"):
        raise _refuse("the JSON-LD document yields no triple: JSON-LD silently drops "
                      "invalid or relative IRIs and unknown terms, check @id, @context "
                      "and the base IRI", source)
    if not allow_rdf12:
        for quad in quads:
            term = _rdf12_term(quad)
            if term is not None:
                raise _refuse(f"RDF 1.2 term {term} is not accepted (the graph is RDF 1.1): "
                              f"in {quad}", source)
    _round_trip(quads, source)
    return quads


def check_rdf_file(path: str | os.PathLike, fmt: str | ox.RdfFormat | None = None,
                   base_iri: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES, *,
                   source: str | None = None, allow_rdf12: bool = False) -> list[ox.Quad]:
    """``check_rdf`` on a file; the format comes from the extension unless given."""
    path = Path(path)
    name = source or str(path)
    rdf = rdf_format(fmt if fmt is not None else path.suffix, name)
    size = path.stat().st_size
    if size > max_bytes:
        raise _refuse(f"{rdf.name} file is {size} bytes, over the {max_bytes} byte limit", name)
    with path.open("rb") as f:
        data = f.read(max_bytes + 1)
    return check_rdf(data, rdf, base_iri, max_bytes, source=name, allow_rdf12=allow_rdf12)


def check_import(quads: list[ox.Quad], graph: str, *, source: str | None = None) -> None:
    """Refuse an upload into ``graph`` that would write where the built graphs or the
    ontology and lifecycle rules live (see the module docstring). Raises ``DataError``."""
    if graph.startswith(BUILT_GRAPHS):
        raise _refuse(f"<{graph}> is a graph `pockg build` makes: uploads never write there",
                      source)
    for quad in quads:
        named = quad.graph_name
        if isinstance(named, ox.NamedNode) and named.value.startswith(BUILT_GRAPHS):
            raise _refuse(f"the file names the graph <{named.value}>, which `pockg build` "
                          f"makes: uploads never write there (in {quad})", source)
        subject = quad.subject
        if isinstance(subject, ox.NamedNode) and (
                subject.value == ONTOLOGY or subject.value.startswith(PROTECTED_NAMESPACES)):
            raise _refuse(f"<{subject.value}> is defined by the ontology or the lifecycle "
                          f"(data/lifecycle), not by uploads: refused {_triple(quad)}", source)
        if quad.predicate.value == OWL_IMPORTS:
            raise _refuse("owl:imports is refused: imports are never followed; upload the "
                          "imported file itself", source)


def _triple(quad: ox.Quad) -> str:
    return f"{quad.subject} {quad.predicate} {quad.object} ."


def _refuse(message: str, source: str | None, line: int | None = None) -> DataError:
    return DataError([Problem(message, file=source, line=line)])


def _message(exc: BaseException) -> str:
    """The parser's own message, without the " (line N)" Python appends to SyntaxError."""
    if exc.args and isinstance(exc.args[0], str):
        return exc.args[0]
    return str(exc)


def _rdf12_term(quad: ox.Quad):
    for term in (quad.subject, quad.object):
        if isinstance(term, ox.Triple):
            return f"<<( {term} )>>"
        if isinstance(term, ox.Literal) and term.direction is not None:
            return term
    return None


def _round_trip(quads: list[ox.Quad], source: str | None) -> None:
    """Refuse quads whose N-Quads dump does not parse back to the same set."""
    dump = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    try:
        again = list(ox.parse(dump, format=ox.RdfFormat.N_QUADS))
    except SyntaxError as exc:
        line = getattr(exc, "lineno", None)
        lines = dump.splitlines()
        bad = lines[line - 1].decode("utf-8", "replace")[:200] if line and line <= len(lines) else ""
        raise _refuse("accepted by the parser, but its N-Quads dump does not parse back "
                      f"({_message(exc)}; dumped as: {bad})", source) from None
    before, after = set(quads), set(again)
    if before != after:
        lost = next(iter(before - after), None)
        gained = next(iter(after - before), None)
        raise _refuse("accepted by the parser, but its N-Quads dump parses back to a "
                      f"different graph (lost: {lost}; gained: {gained})", source)


_XML_DECLARATION = re.compile(rb"\A\s*<\?xml\b[^>]*?\bencoding\s*=\s*[\"']([^\"']*)[\"']")
_XML_MARKUP_DECLARATION = re.compile(rb"<!(?!--|\[CDATA\[)")


class _XmlRefused(Exception):
    pass


def _check_xml(data: bytes, source: str | None) -> None:
    """No DTD, UTF-8 only, bounded depth, well-formed: checked before pyoxigraph sees it."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _refuse(f"RDF/XML must be UTF-8: {exc.reason} at byte {exc.start}", source,
                      line=line) from None
    if b"\x00" in data:
        raise _refuse("RDF/XML must be UTF-8: it contains NUL bytes (UTF-16?)", source)
    declared = _XML_DECLARATION.match(data)
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii", b"ascii"):
        raise _refuse(f"RDF/XML must be UTF-8, not {declared.group(1).decode('ascii', 'replace')}",
                      source)
    decl = _XML_MARKUP_DECLARATION.search(data)
    if decl:
        line = data.count(b"\n", 0, decl.start()) + 1
        raise _refuse("RDF/XML with a DTD (<!DOCTYPE or <!ENTITY) is refused: "
                      "entities are not allowed in uploads", source, line=line)

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    depth = 0

    def start(name, attrs):
        nonlocal depth
        depth += 1
        if depth > MAX_XML_DEPTH:
            raise _XmlRefused(f"RDF/XML nests elements deeper than {MAX_XML_DEPTH} levels")

    def end(name):
        nonlocal depth
        depth -= 1

    def dtd(*args):
        raise _XmlRefused("RDF/XML with a DTD (<!DOCTYPE or <!ENTITY) is refused: "
                          "entities are not allowed in uploads")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = dtd
    parser.EntityDeclHandler = dtd
    try:
        parser.Parse(data, True)
    except _XmlRefused as exc:
        raise _refuse(str(exc), source, line=parser.CurrentLineNumber) from None
    except expat.ExpatError as exc:
        raise _refuse(f"malformed RDF/XML: {expat.ErrorString(exc.code)} at line {exc.lineno} "
                      f"column {exc.offset + 1}", source, line=exc.lineno) from None


# ---------------------------------------------------------------------------
# SPARQL
# ---------------------------------------------------------------------------

_PARSED_OK_QUERY = "use_default_graph_as_union and default_graph"
_PARSED_OK_UPDATE = "read-write"
_BRACKETS = re.compile(r"[{}()\[\]]")


def check_sparql(query: str, *, update: bool = False, base_iri: str | None = None,
                 prefixes: dict[str, str] | None = None,
                 max_bytes: int = DEFAULT_MAX_SPARQL_BYTES) -> None:
    """Parse a SPARQL 1.1 query (or, with ``update=True``, an update) without running it.

    Returns None if pyoxigraph accepts it; raises ``QueryError`` with the
    parser's message (``error at line:column: …``) otherwise.
    """
    kind = "update" if update else "query"
    if isinstance(query, (bytes, bytearray)):
        try:
            query = bytes(query).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise QueryError(f"malformed SPARQL {kind}: not UTF-8 ({exc.reason} at byte "
                             f"{exc.start})") from None
    if not isinstance(query, str):
        raise QueryError(f"a SPARQL {kind} must be text, not {type(query).__name__}")
    try:
        size = len(query.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise QueryError(f"malformed SPARQL {kind}: {exc.reason} at character {exc.start}") \
            from None
    if size > max_bytes:
        raise QueryError(f"the SPARQL {kind} is {size} bytes, over the {max_bytes} byte limit")
    nesting = max_nesting(query)
    if nesting > MAX_SPARQL_NESTING:
        raise QueryError(f"the SPARQL {kind} nests brackets {nesting} deep, over the limit of "
                         f"{MAX_SPARQL_NESTING}")
    for name, value in ((None, base_iri), *((prefixes or {}).items())):
        if value is None:
            continue
        try:
            ox.NamedNode(value)
        except ValueError as exc:
            what = "base IRI" if name is None else f"IRI of prefix {name!r}"
            raise QueryError(f"invalid {what} {value!r}: {exc}") from None
    parse = _parse_update if update else _parse_query
    try:
        _with_big_stack(lambda: parse(query, base_iri, prefixes))
    except SyntaxError as exc:
        raise QueryError(f"malformed SPARQL {kind}: {_message(exc)}") from None


def check_update(update: str, **options) -> None:
    """``check_sparql(update, update=True, …)``."""
    check_sparql(update, update=True, **options)


def max_nesting(text: str) -> int:
    """Deepest bracket nesting, counting brackets everywhere (strings and IRIs too).

    Counting inside strings, IRIs and comments can only overestimate what the
    parser will recurse into; skipping them would need a lexer that agrees with
    pyoxigraph's on every corner case, or a crafted query could hide its depth.
    """
    depth = deepest = 0
    for match in _BRACKETS.finditer(text):
        if match.group() in "{([":
            depth += 1
            deepest = max(deepest, depth)
        elif depth:
            depth -= 1
    return deepest


def _parse_query(text: str, base_iri: str | None, prefixes: dict[str, str] | None) -> None:
    # use_default_graph_as_union and default_graph together are refused with a
    # ValueError, which pyoxigraph raises after parsing and before evaluating.
    try:
        ox.Store().query(text, base_iri=base_iri, prefixes=prefixes,
                         use_default_graph_as_union=True, default_graph=ox.DefaultGraph())
    except ValueError as exc:
        if _PARSED_OK_QUERY in str(exc):
            return
        raise QueryError(f"malformed SPARQL query: {_message(exc)}") from None
    raise GateBroken("pyoxigraph evaluated a query the gate meant only to parse; "
                     "pockg/rdf_gate.py needs a new parse-only method")


def _parse_update(text: str, base_iri: str | None, prefixes: dict[str, str] | None) -> None:
    # A read-only store parses the update, then refuses to open a write transaction.
    try:
        _read_only_store().update(text, base_iri=base_iri, prefixes=prefixes)
    except ValueError as exc:
        raise QueryError(f"malformed SPARQL update: {_message(exc)}") from None
    except (RuntimeError, OSError) as exc:
        if _PARSED_OK_UPDATE in str(exc):
            return
        raise GateBroken(f"unexpected error from the read-only store: {exc}") from exc
    raise GateBroken("pyoxigraph ran an update on a read-only store; "
                     "pockg/rdf_gate.py needs a new parse-only method")


_store_lock = threading.Lock()
_stores: dict[int, ox.Store] = {}


def _read_only_store() -> ox.Store:
    """One empty read-only store per process, in a temporary folder removed at exit."""
    pid = os.getpid()
    with _store_lock:
        store = _stores.get(pid)
        if store is None:
            folder = tempfile.mkdtemp(prefix="pockg-sparql-gate-")
            atexit.register(shutil.rmtree, folder, True)
            writer = ox.Store(folder)
            del writer                  # closes it: the folder now holds an empty store
            store = _stores[pid] = ox.Store.read_only(folder)
        return store


_stack_lock = threading.Lock()


def _with_big_stack(work):
    """Run ``work()`` in a thread with a PARSER_STACK_BYTES stack; return or raise its outcome."""
    outcome: dict[str, object] = {}

    def target():
        try:
            outcome["value"] = work()
        except BaseException as exc:   # noqa: BLE001 - handed back to the caller
            outcome["error"] = exc

    with _stack_lock:
        previous = threading.stack_size(PARSER_STACK_BYTES)
        try:
            thread = threading.Thread(target=target, name="pockg-sparql-parse", daemon=True)
            thread.start()
        finally:
            threading.stack_size(previous)
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
