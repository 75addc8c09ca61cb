"""``pockg ingest FILE...``: documents into the store, split into their passages."""

from __future__ import annotations

import json

import click

from pockg.cli import _progress, path_options
from pockg.coverage import ROLES, declare, target_iri
from pockg.ingest.guard import DEFAULT_MAX_BYTES


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--id", "doc_id", metavar="ID",
              help="Document id (letters, digits, '.', '-', '_'); default: the file name. One file only.")
@click.option("--max-bytes", type=click.IntRange(min=1), default=DEFAULT_MAX_BYTES, show_default=True,
              help="Refuse files larger than this.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="How to print the result.")
@click.option("--about", "abouts", metavar="ID", multiple=True,
              help="What the document concerns, as an id path: strategy/UNMISS-2012, "
                   "resolution/1925, operation/MONUC. Repeat for several. Needs --role.")
@click.option("--role", type=click.Choice(sorted(ROLES)),
              help="What the document is for what --about names: its text, a report about "
                   "it or an evaluation of it.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on standard error.")
@path_options
def ingest(settings, files, doc_id, max_bytes, fmt, quiet, abouts, role):
    """Ingest documents (PDF, HTML, Markdown, DOCX, plain text) into the store.

    Each file is split into passages that keep its own structure: numbered
    paragraphs (8.4.1), operative paragraphs of a resolution (12.), headings,
    footnotes (fn3); a passage with no number is #N, its place in the file.
    A paragraph keeps its bullet lists and the text it continues after a
    page break.

    Every file is read and checked first; if any is refused (empty, corrupt
    or encrypted PDF, binary junk under a text extension, too large,
    unsupported type) nothing is stored and the exit code is 3. The same
    file ingested again changes nothing; changed content under the same id
    is stored as a new version linked to the previous one.

    With --about and --role the document is declared the text of a
    strategy or mandate, or a report or evaluation about it: once a curator
    accepts its links, they fill that strategy's cells in the comparisons
    (see `pockg document set --help`).

    \b
    Examples:
      pockg ingest report.pdf                      # id: report
      pockg ingest unmiss-poc.pdf --about strategy/UNMISS-2012 --role text
      pockg ingest S-RES-1894.txt --id res-1894    # name the document
      pockg ingest a.md b.docx c.html --format json
      pockg ingest big.pdf --max-bytes 100000000 --store var/store

    \b
    IRIs: https://w3id.org/pockg/id/document/ID, its versions .../v/HASH12,
    passages .../v/HASH12/p/KEY; each version in the named graph
    https://w3id.org/pockg/user/public/document/ID/HASH12.
    """
    from pockg.ingest import ingest as run_ingest
    from pockg.store import open_store

    if abouts and not role:
        raise click.UsageError("--about needs --role (text, report or evaluation)")
    if role and not abouts:
        raise click.UsageError("--role needs --about ID (e.g. --about strategy/UNMISS-2012)")
    say = _progress(quiet)
    store = open_store(settings.store)
    try:
        for about in abouts:             # a wrong id is refused before anything is stored
            target_iri(store, about, role)
        results = run_ingest(store, files, doc_id=doc_id, progress=say, max_bytes=max_bytes)
        for r in results if abouts else []:
            counts = declare(store, r.doc_id, list(abouts), role)
            say(f"{r.doc_id}: declared the {role} of {', '.join(abouts)}; "
                f"{counts.get(r.doc_id, 0)} accepted link(s) count for its coverage")
        from pockg.replica import refresh

        refresh(store, say)          # readers (and a read-only server) see the new documents
    finally:
        store.close()
    if fmt == "json":
        click.echo(json.dumps([r.to_dict() for r in results], indent=2, ensure_ascii=False))
        return
    for r in results:
        what = {"new": "new document", "version": "new version",
                "unchanged": "unchanged (already stored)"}[r.status]
        click.echo(f"{r.file}: {what} {r.doc_id} v/{r.content_hash[:12]}, "
                   f"{r.passages} passages ({r.media_type})")
        if r.previous:
            click.echo(f"  revision of {r.previous}")


@click.group()
def document():
    """Say what an ingested document is, and see what it was declared to be.

    A document declared the text of a strategy (or a report or evaluation
    about it) lends its accepted links to that strategy: each accepted link to
    a tier, risk, vulnerable group or factor, framework element, area of
    responsibility, capacity or coordination level fills the strategy's cell
    in the comparisons, with the passage and the words as evidence.
    Suggestions nobody has accepted never count.

    \b
    Examples:
      pockg document set unmiss-poc --about strategy/UNMISS-2012 --role text
      pockg document set sg-report --about strategy/MONUC-2009 --about strategy/UNAMID-2009 --role report
      pockg document set sg-report --clear
      pockg document show sg-report
    """


@document.command("set")
@click.argument("doc_id")
@click.option("--about", "abouts", metavar="ID", multiple=True,
              help="What it concerns: strategy/ID, resolution/N or operation/ACRONYM. Repeatable.")
@click.option("--role", type=click.Choice(sorted(ROLES)),
              help="text (the strategy or mandate itself), report or evaluation.")
@click.option("--clear", is_flag=True, help="Withdraw the declaration.")
@path_options
def document_set(settings, doc_id, abouts, role, clear):
    """Declare what the ingested document DOC_ID is, replacing what it was declared.

    A document about one strategy lends all its passages to it. A document
    about several (a report comparing missions) lends a strategy only the
    passages that are also linked to that strategy or its mission.
    """
    from pockg.replica import refresh
    from pockg.store import open_store

    if clear and (abouts or role):
        raise click.UsageError("--clear takes no --about or --role")
    if not clear and not (abouts and role):
        raise click.UsageError("give --about ID and --role ROLE (or --clear)")
    store = open_store(settings.store)
    try:
        counts = declare(store, doc_id, [] if clear else list(abouts), role or "report")
        refresh(store, lambda m: click.echo(m, err=True))
    finally:
        store.close()
    if clear:
        click.echo(f"{doc_id}: no longer declared to be about anything")
    else:
        click.echo(f"{doc_id}: the {role} of {', '.join(abouts)}; "
                   f"{counts.get(doc_id, 0)} accepted link(s) count as evidence of coverage")


@document.command("show")
@click.argument("doc_id")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@path_options
def document_show(settings, doc_id, fmt):
    """What DOC_ID is declared to be, and how many claims of coverage it gives."""
    from pockg import vocab as V
    from pockg.coverage import claims_in, coverage_graph, declarations
    from pockg.store import open_store

    store = open_store(settings.store, read_only=True)
    try:
        found = declarations(store, V.entity("document", doc_id))
        claims = claims_in(store.quads(coverage_graph(doc_id)))
    finally:
        store.close()
    if fmt == "json":
        click.echo(json.dumps({"document": doc_id, "about": [d.to_dict() for d in found],
                               "claims": claims}, indent=2))
        return
    if not found:
        click.echo(f"{doc_id}: not declared to be about a strategy, mandate or mission")
    for d in found:
        click.echo(f"{doc_id}: the {d.role} of {V.compact(d.target)} ({d.kind})")
    click.echo(f"claims of coverage from its accepted links: {claims}")
