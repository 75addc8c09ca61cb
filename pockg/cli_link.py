"""``pockg link``: suggest concept links for ingested documents, and measure them."""

from __future__ import annotations

import json
import time

import click

from pockg.cli import path_options
from pockg.linking.matcher import DEFAULT_THRESHOLD


def _say(quiet: bool):
    start = time.perf_counter()

    def say(message: str) -> None:
        if not quiet:
            click.echo(f"[{time.perf_counter() - start:5.1f}s] {message}", err=True)

    return say


@click.group()
def link():
    """Link passages of ingested documents to the concepts and entities of the graph.

    \b
    Each link is a Web Annotation on the passage: the concept (or mission,
    resolution, organisation), the exact words and their offsets, a score,
    and a status: suggested by the linker, then accepted or rejected by a
    curator. Re-running the linker keeps every decision; a rejected
    suggestion is not suggested again.

    \b
    Examples:
      pockg ingest report.pdf --id poc-report      # first put a document in the store
      pockg link run poc-report                    # suggest links for it
      pockg link run --all --threshold 0.6         # every ingested document, fewer links
      pockg link evaluate --gold tests/gold/workshop-2010.jsonl
      pockg link evaluate --gold my-gold.jsonl --format json
    """


@link.command("run")
@path_options
@click.argument("doc_ids", nargs=-1, metavar="DOC_ID...")
@click.option("--all", "all_docs", is_flag=True, help="Link every ingested document (its current version).")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=DEFAULT_THRESHOLD,
              show_default=True, help="Lowest score a suggestion needs (0 to 1).")
@click.option("-q", "--quiet", is_flag=True, help="No progress on standard error.")
def run(settings, doc_ids, all_docs, threshold, quiet):
    """Suggest links for ingested documents and store them.

    DOC_ID is the id given at ingest (`pockg ingest FILE --id DOC_ID`), a
    document IRI, or a version IRI (…/document/DOC_ID/v/HASH12). The
    document's current version is linked; its links go to the graph
    https://w3id.org/pockg/user/public/links/DOC_ID/HASH12.

    \b
    Examples:
      pockg link run poc-report
      pockg link run poc-report monusco-strategy --threshold 0.7
      pockg link run --all
    """
    from pockg.errors import ConfigurationError
    from pockg.linking.annotations import matcher_for, store_links
    from pockg.store import open_store

    if bool(doc_ids) == all_docs:
        raise ConfigurationError("name the documents to link (DOC_ID...) or pass --all, not both")
    say = _say(quiet)
    store = open_store(settings.store)
    try:
        if all_docs:
            rows = store.select("SELECT ?doc WHERE { ?doc pockg:currentVersion ?v } ORDER BY ?doc").rows
            doc_ids = [r["doc"].value for r in rows]
            if not doc_ids:
                say("no ingested documents in the store (run `pockg ingest FILE` first)")
        matcher = matcher_for(store)
        say(f"lexicon: {len(matcher.lexicon.entries)} labels of {len(matcher.lexicon.concepts)} "
            f"concepts and {len(matcher.lexicon.entities)} entities")
        total = 0
        for doc in doc_ids:
            graph, count = store_links(store, doc, threshold, matcher)
            total += count
            say(f"{doc}: {count} links in {graph}")
        from pockg.replica import refresh

        refresh(store, say)          # readers (and a read-only server) see the new links
    finally:
        store.close()
    click.echo(f"linked {len(doc_ids)} document{'s' if len(doc_ids) != 1 else ''}: {total} links")


@link.command("evaluate")
@path_options
@click.option("--gold", "gold", required=True, type=click.Path(dir_okay=False),
              help="Gold file (JSON Lines: file, passage, concepts).")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=DEFAULT_THRESHOLD,
              show_default=True, help="Lowest score a suggestion needs to count.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="No progress on standard error.")
def evaluate(settings, gold, threshold, fmt, quiet):
    """Compare the linker's suggestions with a gold file.

    \b
    The gold file has one passage a line:
      {"file": "report.pdf", "passage": "8.4.1", "concepts": ["FE3", "R1"]}
    "file" is relative to the gold file; "passage" is the document's own
    number (8.4.1, 12), fnN for footnote N, or #N for the N-th passage of a
    document without numbers; concepts are notations or IRIs.

    The files are ingested into a temporary in-memory store built from
    data/ (the store at --store / POCKG_STORE is not opened). Only links to
    SKOS concepts count, passage by passage, at the threshold; T2-2015 is not
    T2. Prints "micro: precision P recall R f1 F", the macro scores,
    precision at 1/3/5, NDCG at 5 and a table per concept.

    \b
    Examples:
      pockg link evaluate --gold tests/gold/workshop-2010.jsonl
      pockg link evaluate --gold tests/gold/unseen.jsonl --threshold 0.6 --format json
    """
    from pockg.linking.evaluate import evaluate as run_evaluate

    report = run_evaluate(gold, settings, threshold, progress=_say(quiet))
    if fmt == "json":
        click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(report.to_text())
