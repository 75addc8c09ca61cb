"""``pockg ingest FILE...``: documents into the store, split into their passages."""

from __future__ import annotations

import json

import click

from pockg.cli import _progress, path_options
from pockg.ingest.guard import DEFAULT_MAX_BYTES


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--id", "doc_id", metavar="ID",
              help="Document id (letters, digits, '.', '-', '_'); default: the file name. One file only.")
@click.option("--max-bytes", type=click.IntRange(min=1), default=DEFAULT_MAX_BYTES, show_default=True,
              help="Refuse files larger than this.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="How to print the result.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on standard error.")
@path_options
def ingest(settings, files, doc_id, max_bytes, fmt, quiet):
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

    \b
    Examples:
      pockg ingest report.pdf                      # id: report
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

    say = _progress(quiet)
    store = open_store(settings.store)
    try:
        results = run_ingest(store, files, doc_id=doc_id, progress=say, max_bytes=max_bytes)
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
