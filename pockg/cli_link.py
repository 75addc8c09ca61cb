"""``pockg link``: suggest concept links for ingested documents, and measure them."""

from __future__ import annotations

import json
import time
from pathlib import Path

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
@click.option("--only", metavar="SCHEME,...",
              help="Suggest concepts of these schemes only, named by the stems of "
                   "ontology/schemes/*.yaml (e.g. tier-2010,vulnerable-group); suggestions "
                   "of other schemes already stored are kept as they are.")
@click.option("--dry-run", is_flag=True,
              help="Print the suggestions as a table (passage, concept, score, words, why) "
                   "and store nothing.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on standard error.")
def run(settings, doc_ids, all_docs, threshold, only, dry_run, quiet):
    """Suggest links for ingested documents and store them.

    DOC_ID is the id given at ingest (`pockg ingest FILE --id DOC_ID`), a
    document IRI, or a version IRI (…/document/DOC_ID/v/HASH12). The
    document's current version is linked; its links go to the graph
    https://w3id.org/pockg/user/public/links/DOC_ID/HASH12.

    Two components propose links: the words (a concept's labels, alternative
    and hidden labels in the text) and the meaning (a sentence close to what
    the concept's texts say); their scores combine into one, and each stored
    link records which component proposed it and why.

    \b
    Examples:
      pockg link run poc-report
      pockg link run poc-report monusco-strategy --threshold 0.7
      pockg link run poc-report --only tier-2010,tier-2015 --dry-run
      pockg link run --all
    """
    from pockg.errors import ConfigurationError
    from pockg.linking.annotations import matcher_for, store_links
    from pockg.store import open_store

    if bool(doc_ids) == all_docs:
        raise ConfigurationError("name the documents to link (DOC_ID...) or pass --all, not both")
    schemes = _schemes(settings, only)
    say = _say(quiet)
    store = open_store(settings.store, read_only=dry_run and settings.store != ":memory:")
    try:
        if all_docs:
            rows = store.select("SELECT ?doc WHERE { ?doc pockg:currentVersion ?v } ORDER BY ?doc").rows
            doc_ids = [r["doc"].value for r in rows]
            if not doc_ids:
                say("no ingested documents in the store (run `pockg ingest FILE` first)")
        matcher = matcher_for(store)
        say(f"lexicon: {len(matcher.lexicon.entries)} labels of {len(matcher.lexicon.concepts)} "
            f"concepts and {len(matcher.lexicon.entities)} entities")
        if dry_run:
            for doc in doc_ids:
                _print_suggestions(store, doc, threshold, matcher, schemes)
            return
        total = 0
        for doc in doc_ids:
            graph, count = store_links(store, doc, threshold, matcher, only=schemes)
            total += count
            say(f"{doc}: {count} links in {graph}")
        from pockg.replica import refresh

        refresh(store, say)          # readers (and a read-only server) see the new links
    finally:
        store.close()
    click.echo(f"linked {len(doc_ids)} document{'s' if len(doc_ids) != 1 else ''}: {total} links")


def _schemes(settings, only: str | None) -> set[str] | None:
    """The scheme ids named by --only, checked against ontology/schemes/*.yaml."""
    from pockg.errors import ConfigurationError

    if not only:
        return None
    known = sorted(p.stem for p in (settings.ontology_dir / "schemes").glob("*.yaml"))
    wanted = {s.strip() for s in only.split(",") if s.strip()}
    unknown = sorted(wanted - set(known))
    if unknown or not wanted:
        raise ConfigurationError(f"--only: no scheme called {', '.join(unknown) or '(none)'}; "
                                 f"the schemes are {', '.join(known)}")
    return wanted


def _print_suggestions(store, doc: str, threshold: float, matcher, schemes) -> None:
    """The suggestions for ``doc`` as a table; nothing is stored."""
    from pockg.linking.annotations import passages_of, reason_of, resolve_version, within
    from pockg.linking.context import document_links

    version = resolve_version(store, doc)
    passages = passages_of(store, version)
    texts = {p.id: p.text for p in passages}
    click.echo(f"{doc} ({version})")
    click.echo(f"{'passage':<10} {'concept':<14} {'score':>5}  {'words':<40} why")
    for passage, links in document_links(matcher, passages, threshold, matcher.space).items():
        for link in links:
            if schemes is not None and not within(matcher, link.target, schemes):
                continue
            concept = matcher.lexicon.concepts.get(link.target)
            name = concept.notation if concept else link.target.rsplit("/", 1)[-1]
            words = link.mentions[0].exact if link.mentions else "(its section's heading)"
            reason = reason_of(link, texts[passage])
            why = "; ".join(
                part for part in (
                    f"words {reason['lexical']:.2f}" if reason["lexical"] is not None else "",
                    f"meaning {reason['semantic']:.2f}, closest to \"{reason['closest']}\""
                    if reason["semantic"] is not None else "") if part)
            click.echo(f"{passage.rsplit('/p/', 1)[-1]:<10} {name:<14} {link.score:>5.2f}  "
                       f"{words[:40]:<40} {why}")


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


@link.command("export")
@path_options
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["annif"]), default="annif", show_default=True,
              help="What to write: annif, a SKOS vocabulary and a full-text document corpus.")
def export(settings, folder, fmt):
    """Write the accepted links where another tool can train on them.

    \b
    With --format annif, FOLDER gets:
      vocab.ttl                 the linkable concepts as SKOS Turtle
      corpus/DOC-PASSAGE.txt    each passage with an accepted link: its text,
                                or its gist where the text is not stored
                                (the workshop report)
      corpus/DOC-PASSAGE.tsv    one "<IRI><TAB>label" line per concept
    Load them with Annif (`annif load-vocab`, `annif train PROJECT FOLDER/corpus`).

    \b
    Example:
      pockg link export --format annif exports/annif
    """
    from pockg.linking.annif import export as run_export
    from pockg.store import open_store

    store = open_store(settings.store, read_only=settings.store != ":memory:")
    try:
        counts = run_export(store, folder)
    finally:
        store.close()
    click.echo(f"wrote {folder}/vocab.ttl ({counts['concepts']} concepts) and "
               f"{counts['documents']} passages with {counts['subjects']} subjects to "
               f"{folder}/corpus/")
