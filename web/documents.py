"""Documents: upload (ingest, then suggested links), read with linked spans
highlighted by scheme, review suggestions one by one or in bulk, and add a
missing link by selecting text.

Uploads and reviews write through the app's one writer (``Writer.exclusive``),
so an ingest or a re-link reads and rewrites its graphs with no other write
in between. An upload is parsed and linked with no lock held (a PDF may take
a minute); the lock is held only to judge and write the new version, and to
write its links.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyoxigraph as ox
from flask import (Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template,
                   request, url_for)

from pockg import vocab as V
from pockg.coverage import ROLES, declarations, declare, target_iri
from pockg.coverage import refresh as refresh_coverage
from pockg.curation.roles import at_least
from pockg.errors import Forbidden, NotFound
from web.i18n import current_language
from web.state import current

bp = Blueprint("documents", __name__, url_prefix="/documents")
IMPORT_GRAPH = V.USER + "public/import/"
SCHEME_COLOURS = 8      # mark classes s0..s7, by scheme


def _writer():
    writer = current().writer
    if writer is None:
        raise Forbidden("this server is read-only: uploads and link review are off")
    return writer


def documents() -> list[dict]:
    store = current().store
    rows = store.select("""
        SELECT ?doc ?version ?title ?format ?created (COUNT(?p) AS ?passages) WHERE {
          ?doc pockg:currentVersion ?version .
          OPTIONAL { ?version rdfs:label ?title }
          OPTIONAL { ?version dcterms:format ?format }
          OPTIONAL { ?version dcterms:created ?created }
          OPTIONAL { ?version pockg:hasPassage ?p }
        } GROUP BY ?doc ?version ?title ?format ?created ORDER BY DESC(?created)""").rows
    return [{"id": r["doc"].value.rsplit("/", 1)[-1], "iri": r["doc"].value,
             "version": r["version"].value,
             "title": r["title"].value if "title" in r else r["doc"].value.rsplit("/", 1)[-1],
             "format": r["format"].value if "format" in r else "",
             "created": r["created"].value if "created" in r else "",
             "passages": int(r["passages"].value)} for r in rows]


@bp.get("")
def index():
    found = documents()
    if request.args.get("format") == "json":
        return jsonify({"documents": found})
    can_upload = bool(g.user and at_least(g.user.role, "curator") and current().writer)
    return render_template("documents/index.html", docs=found, can_upload=can_upload,
                           choices=about_choices() if can_upload else [],
                           max_mb=current_app.config.get("UPLOAD_MAX_BYTES", 0) // (1024 * 1024))


@bp.post("")
def upload():
    from pockg.ingest.store_ingest import read_all, store_documents

    writer = _writer()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        abort(400, description="choose a file to upload (PDF, HTML, Markdown, DOCX or text)")
    doc_id = request.form.get("id", "").strip() or None
    role, abouts = _declared_in_form()
    for about in abouts:                    # refuse a bad declaration before storing anything
        target_iri(writer.store, about, role)
    name = Path(upload.filename).name
    with tempfile.TemporaryDirectory(prefix="pockg-upload-") as tmp:
        path = Path(tmp) / ("upload" + Path(name).suffix.lower())
        upload.save(path)
        max_bytes = int(current_app.config.get("UPLOAD_MAX_BYTES", 0)) or None
        docs = read_all([path], doc_id, names=[name],           # the parse: no lock held
                        **({"max_bytes": max_bytes} if max_bytes else {}))
    with writer.exclusive() as store:       # new, version or unchanged: judged under the lock
        [result] = store_documents(store, docs, names=[name])
        if abouts:
            declare(store, result.doc_id, abouts, role)
    if result.status != "unchanged":
        _link(writer, result.doc_id, result.version)
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"ok": True, **result.to_dict()}), 201 if result.status != "unchanged" else 200
    flash({"new": "Ingested {title}: {n} passages, links suggested.",
           "version": "Ingested a new version of {title}: {n} passages, links suggested.",
           "unchanged": "{title} is already stored: nothing changed."}[result.status]
          .format(title=result.title, n=result.passages))
    return redirect(url_for("documents.show", doc_id=result.doc_id), 303)


def _declared_in_form() -> tuple[str, list[str]]:
    """The role and the ids the form declares the document to be about (the strategies
    ticked, plus any id path typed under "other")."""
    role = request.form.get("role", "").strip()
    abouts = [a.strip() for a in request.form.getlist("about") if a.strip()]
    abouts += [a.strip() for a in request.form.get("about_other", "").split(",") if a.strip()]
    abouts = list(dict.fromkeys(abouts))
    if abouts and role not in ROLES:
        abort(400, description="say what the document is: its text, a report or an evaluation")
    return role, abouts


def about_choices() -> list[dict]:
    """The strategies a document can be declared about, by mission, with their labels."""
    rows = current().store.select("""
        SELECT ?s ?label ?mission WHERE { ?s a pockg:ProtectionStrategy .
          OPTIONAL { ?s skos:prefLabel ?label FILTER(lang(?label) = "en") }
          OPTIONAL { ?s pockg:mission/pockg:acronym ?mission } } ORDER BY ?mission ?s""").rows
    return [{"id": V.compact(r["s"].value),
             "label": r["label"].value if "label" in r else V.compact(r["s"].value)}
            for r in rows]


@bp.post("/<iri_part:doc_id>/about")
def set_about(doc_id: str):
    """Declare what the document is (the text of a strategy, a report or an evaluation
    about it), or withdraw the declaration: its accepted links then fill, or stop
    filling, the strategy's comparison cells."""
    role, abouts = _declared_in_form()
    with _writer().exclusive() as store:
        counts = declare(store, doc_id, abouts, role if abouts else "report")
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"ok": True, "about": abouts, "role": role if abouts else None,
                        "claims": counts.get(doc_id, 0)})
    flash(f"Saved what this document is; {counts.get(doc_id, 0)} accepted link(s) now count "
          f"as evidence for the strategies it concerns." if abouts else
          "This document is no longer declared to be about a strategy.")
    return redirect(url_for("documents.show", doc_id=doc_id) + "#about", 303)


def _link(writer, doc_id: str, version: str) -> None:
    """Suggest links for a new version: computed with no lock held, written under the
    lock, computed again there only if a review changed its links graph meanwhile."""
    from pockg.linking.annotations import link_document, links_graph

    graph = links_graph(doc_id, version.rsplit("/", 1)[-1])
    before = set(writer.store.quads(graph))
    quads = link_document(writer.store, version)
    with writer.exclusive() as store:
        if set(store.quads(graph)) != before:
            quads = link_document(store, version)
        store.replace_graphs([graph], quads)
        refresh_coverage(store, [doc_id])     # a new version: its own accepted links count


def _version(doc_id: str) -> str:
    doc = ox.NamedNode(V.entity("document", doc_id))
    for q in current().store.match(doc, ox.NamedNode(V.term("currentVersion")), None, None):
        return q.object.value
    raise NotFound(f"no ingested document {doc_id!r}")


def _schemes(bodies: set[str]) -> dict[str, tuple[str, str]]:
    """body IRI → (scheme id, scheme label) for concepts; entities get ("entity", ...)."""
    rows = current().full_store.select("""
        SELECT ?c ?s ?label WHERE { ?c a skos:Concept ; skos:inScheme ?s .
          OPTIONAL { ?s skos:prefLabel ?label FILTER(lang(?label) = "en") } }""").rows
    scheme_of = {}
    for r in rows:
        scheme_of.setdefault(r["c"].value, (r["s"].value.rsplit("/", 1)[-1],
                                             r["label"].value if "label" in r else ""))
    return {body: scheme_of.get(body, ("entity", "named entity")) for body in bodies}


def _labels(iris: set[str]) -> dict[str, str]:
    from web.model import labelled

    found = labelled(current().store, sorted(iris), current_language())
    return {iri: found[iri]["text"] for iri in iris}


def segments(text: str, links: list) -> list[tuple[str, list]]:
    """The passage text cut at every link boundary: (piece, links covering it)."""
    cuts = sorted({0, len(text), *(l.start for l in links), *(l.end for l in links)})
    out = []
    for a, b in zip(cuts, cuts[1:]):
        covering = [l for l in links if l.start <= a and b <= l.end]
        out.append((text[a:b], covering))
    return out


@bp.get("/<iri_part:doc_id>")
def show(doc_id: str):
    from pockg.linking.annotations import (ACCEPTED, REJECTED, SUGGESTED, existing_links,
                                           links_graph, passages_of)

    version = _version(doc_id)
    store = current().store
    hash12 = version.rsplit("/", 1)[-1]
    passages = passages_of(store, version)
    links = [l for l in existing_links(store, links_graph(doc_id, hash12))]
    by_passage: dict[str, list] = {}
    for link in links:
        by_passage.setdefault(link.passage, []).append(link)
    bodies = {l.body for l in links}
    schemes = _schemes(bodies)
    scheme_ids = sorted({s for s, _ in schemes.values()})
    colour = {s: f"s{i % SCHEME_COLOURS}" for i, s in enumerate(scheme_ids)}
    labels = _labels(bodies)
    numbers = {r["p"].value: r["n"].value for r in store.select(
        "SELECT ?v ?p ?n WHERE { ?v pockg:hasPassage ?p . ?p pockg:number ?n }",
        {"v": ox.NamedNode(version)}).rows}
    title = next((d["title"] for d in documents() if d["id"] == doc_id), doc_id)
    declared = declarations(store, V.entity("document", doc_id))
    view = [{"iri": p.id, "kind": p.kind, "number": numbers.get(p.id, ""),
             "segments": segments(p.text, [l for l in by_passage.get(p.id, [])
                                          if l.status != REJECTED and l.end > l.start])}
            for p in passages]
    if request.args.get("format") == "json":
        return jsonify({"document": V.entity("document", doc_id), "version": version,
                        "title": title, "about": [d.to_dict() for d in declared],
                        "passages": [{"iri": p.id, "number": numbers.get(p.id, ""), "text": p.text}
                                     for p in passages],
                        "links": [{"iri": l.iri, "passage": l.passage, "concept": l.body,
                                   "exact": l.exact, "start": l.start, "end": l.end,
                                   "score": l.score, "status": l.status.rsplit("/", 1)[-1]}
                                  for l in links]})
    can_review = bool(g.user and at_least(g.user.role, "curator") and current().writer)
    legend = [(colour[s], s, next((lab for sid, lab in schemes.values() if sid == s), s))
              for s in scheme_ids]
    concepts = _concept_choices() if can_review else []
    about = [{**d.to_dict(), "iri": d.target} for d in declared]
    names = _labels({d.target for d in declared})
    return render_template("documents/show.html", doc_id=doc_id, title=title, version=version,
                           passages=view, links=sorted(links, key=lambda l: (l.passage, l.start)),
                           numbers=numbers, labels=labels, schemes=schemes, colour=colour,
                           legend=legend, can_review=can_review, concepts=concepts,
                           about=about, about_names=names,
                           choices=about_choices() if can_review else [],
                           SUGGESTED=SUGGESTED, ACCEPTED=ACCEPTED, REJECTED=REJECTED)


def _concept_choices() -> list[tuple[str, str]]:
    rows = current().full_store.select("""
        SELECT ?c ?n ?l WHERE { ?c a skos:Concept ; skos:notation ?n .
          OPTIONAL { ?c skos:prefLabel ?l FILTER(lang(?l) = "en") } } ORDER BY ?n""").rows
    return [(r["n"].value, r["l"].value if "l" in r else "") for r in rows]


@bp.post("/<iri_part:doc_id>/review")
def review(doc_id: str):
    """Accept or reject the chosen suggestions (one button, or the checked ones)."""
    from pockg.linking.annotations import set_status

    action = request.values.get("action", "")
    if action not in ("accept", "reject"):
        abort(400, description="the action is accept or reject")
    chosen = request.form.getlist("link")
    one = request.form.get("one")
    if one:
        chosen = [one]
    if not chosen:
        abort(400, description="choose at least one suggested link")
    status = "LS-accepted" if action == "accept" else "LS-rejected"
    prefix = V.entity("document", doc_id) + "/"
    if any(not iri.startswith(prefix) for iri in chosen):
        abort(400, description="a link of another document was sent")
    with _writer().exclusive() as store:
        remove, add = [], []
        for iri in chosen:
            r, a = set_status(store, iri, status, g.user.iri)
            remove += r
            add += a
        store.apply(remove, add)
        refresh_coverage(store, [doc_id])     # accepted links fill the strategy's cells
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"ok": True, "status": status, "links": chosen})
    flash(f"{len(chosen)} link(s) {action}ed.")
    return redirect(url_for("documents.show", doc_id=doc_id) + "#review", 303)


@bp.post("/<iri_part:doc_id>/links")
def add_link(doc_id: str):
    """A link a curator adds by selecting text in a passage."""
    from pockg.curation.fields import expand
    from pockg.linking.annotations import manual_link

    passage = request.form.get("passage", "")
    start = request.form.get("start", type=int)
    end = request.form.get("end", type=int)
    concept = request.form.get("concept", "").strip()
    if not passage.startswith(V.entity("document", doc_id) + "/") or start is None or end is None:
        abort(400, description="select the words in a passage of this document first")
    if not concept:
        abort(400, description="choose the concept to link the selected words to")
    target = expand(concept if "/" in concept or "://" in concept else f"concept/{concept}")
    with _writer().exclusive() as store:
        quads = manual_link(store, passage, start, end, target, g.user.iri)
        store.apply([], quads)
        refresh_coverage(store, [doc_id])
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"ok": True}), 201
    flash("Link added.")
    return redirect(url_for("documents.show", doc_id=doc_id) + "#review", 303)


@bp.post("/rdf")
def upload_rdf():
    """Add an RDF file (Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD) as a graph
    of its own, ``user/public/import/<name>``, after the strict gate
    (``pockg.rdf_gate``): malformed input, DTDs and entities, remote JSON-LD
    contexts and RDF 1.2 terms are refused, and so are ``owl:imports``, graphs
    that ``pockg build`` makes and subjects of the ontology or the lifecycle
    (``check_import``). A second upload under the same name replaces that
    graph, nothing else."""
    import re

    from pockg.rdf_gate import check_import, check_rdf

    upload = request.files.get("file")
    name = request.form.get("name", "").strip()
    if upload is None or not upload.filename:
        abort(400, description="choose an RDF file to import")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,80}", name):
        abort(400, description="name the graph: letters, digits, '.', '-', '_'")
    filename = Path(upload.filename).name
    limit = int(current_app.config.get("UPLOAD_MAX_BYTES", 0)) or 20 * 1024 * 1024
    data = upload.read(limit + 1)
    quads = check_rdf(data, Path(filename).suffix or "ttl", base_iri=IMPORT_GRAPH + name + "/",
                      max_bytes=limit, source=filename)
    graph = ox.NamedNode(IMPORT_GRAPH + name)
    check_import(quads, graph.value, source=filename)
    _writer().replace([graph.value], [ox.Quad(q.subject, q.predicate, q.object, graph)
                                      for q in quads])
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"ok": True, "graph": graph.value, "triples": len(quads)}), 201
    flash(f"Imported {len(quads)} triples from {filename} into {graph.value}.")
    return redirect(url_for("documents.index"), 303)
