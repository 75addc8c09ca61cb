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
    the concept's texts say). The learned layer (trained by `pockg build` and
    `pockg link train`, kept in <store>.linker/) scores every concept from
    both and from the passages reviewers already accepted: the score is the
    chance a reviewer accepts the link. Each stored link records which
    component proposed it, why, and which model scored it.

    \b
    Examples:
      pockg link run poc-report
      pockg link run poc-report monusco-strategy --threshold 0.7
      pockg link run poc-report --only tier-2010,tier-2015 --dry-run
      pockg link run --all
    """
    from pockg.errors import ConfigurationError
    from pockg.linking.annotations import PASSAGE_RE, matcher_for, resolve_version, store_links
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
        if matcher.model_problem:
            click.secho(f"warning: {matcher.model_problem}", err=True, fg="yellow")
        elif matcher.model is not None:
            say(f"model: {matcher.model.label}")
        if dry_run:
            for doc in doc_ids:
                _print_suggestions(store, doc, threshold, matcher, schemes)
            return
        total = 0
        for doc in doc_ids:
            graph, count = store_links(store, doc, threshold, matcher, only=schemes)
            total += count
            say(f"{doc}: {count} links in {graph}")
        from pockg.coverage import refresh as refresh_coverage
        from pockg.replica import refresh

        # the documents' current versions decide which accepted links count
        refresh_coverage(store, [PASSAGE_RE.match(resolve_version(store, d) + "/p/x")["doc"]
                                 for d in doc_ids])

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
    from pockg.linking.context import LINK_RUN, document_links

    version = resolve_version(store, doc)
    passages = passages_of(store, version)
    texts = {p.id: p.text for p in passages}
    click.echo(f"{doc} ({version})")
    click.echo(f"{'passage':<10} {'concept':<14} {'score':>5}  {'words':<40} why")
    for passage, links in document_links(matcher, passages, threshold, matcher.space,
                                         LINK_RUN, matcher.model).items():
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
                    if reason["semantic"] is not None else "",
                    f"learned layer {reason['learned']:.2f}" if reason["learned"] is not None
                    else "") if part)
            click.echo(f"{passage.rsplit('/p/', 1)[-1]:<10} {name:<14} {link.score:>5.2f}  "
                       f"{words[:40]:<40} {why}")


@link.command("evaluate")
@path_options
@click.option("--gold", "gold", required=True, type=click.Path(dir_okay=False),
              help="Gold file (JSON Lines: file, passage, concepts).")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=DEFAULT_THRESHOLD,
              show_default=True, help="Lowest score a suggestion needs to count.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--model", "model_path", type=click.Path(exists=True, path_type=Path),
              help="Evaluate the learned layer of this model (a <store>.linker folder or its "
                   "model.json). Default: the model a build of data/ makes, trained with the "
                   "evaluated documents left out.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on standard error.")
def evaluate(settings, gold, threshold, fmt, quiet, model_path):
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
    T2.

    Each configuration gets a line "component NAME: ..." (lexical: the
    words alone; semantic: the meaning alone; hybrid: both, combined by a
    fixed rule; learned: both, decided by the learned layer). Then the line
    "model:" says which learned layer was used, and "micro: precision P
    recall R f1 F" scores the configuration `pockg link run` uses, followed
    by the macro scores, precision at 1/3/5, NDCG at 5 and a table per
    concept.

    Without --model, the learned layer is trained as `pockg build` trains it
    (data/training/ and data/links/), except that the evaluated documents are
    left out of its training and of the passages it compares with: a gold
    file on the workshop report is never scored by a model that learned the
    report's own reviewed links.

    \b
    Examples:
      pockg link evaluate --gold tests/gold/workshop-2010.jsonl
      pockg link evaluate --gold tests/gold/unseen.jsonl --threshold 0.6 --format json
      pockg link evaluate --gold my-gold.jsonl --model var/store.linker
    """
    from pockg.linking.evaluate import evaluate as run_evaluate

    report = run_evaluate(gold, settings, threshold, progress=_say(quiet), model_path=model_path)
    if fmt == "json":
        click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(report.to_text())


@link.command("train")
@path_options
@click.option("--no-cross-validation", "no_cv", is_flag=True,
              help="Skip measuring the layer by leaving one document out at a time.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on standard error.")
def train(settings, no_cv, quiet):
    """Train the linker's learned layer on every reviewed link, and keep it.

    The layer learns which suggestions reviewers accept, from:

    \b
      - the curated training passages in data/training/,
      - the report's curated reviewed links in data/links/,
      - every link accepted or rejected in review (or made by hand) since.

    The model goes to <store>.linker/model.json (replacing the one
    `pockg build` made); its provenance (when, on how many decisions, by
    which linker version) goes to the graph .../graph/linker-model.
    `pockg link run` then uses it. Before that, the layer is measured by
    cross-validation over documents: trained without one document, scored
    on it, for each in turn (never on passages it was trained on). The
    unseen gold sets of tests/gold/ are never read.

    \b
    Examples:
      pockg link train
      pockg link train --no-cross-validation
    """
    from pockg.linking import learned
    from pockg.linking.annotations import model_quads
    from pockg.linking.training import cross_validate, train as run_train
    from pockg import vocab as V
    from pockg.store import open_store

    say = _say(quiet)
    store = open_store(settings.store)
    try:
        if not no_cv:
            say("cross-validation: each document left out in turn")
            cv = cross_validate(store, settings, say)
            m = cv["micro"]
            if cv["documents"]:
                click.echo(f"cross-validation over {len(cv['documents'])} documents: precision "
                           f"{m['precision']:.3f} recall {m['recall']:.3f} f1 {m['f1']:.3f} "
                           f"(threshold {cv['threshold']})")
            else:
                click.echo("cross-validation: not measured (it needs decisions in at least "
                           "two documents)")
        model = run_train(store, settings, say)
        if not no_cv:
            model.cross_validation = cv
        where = learned.save(model, store)
        graph = V.graph("linker-model")
        store.replace_graphs([graph], model_quads(model, graph))
        from pockg.replica import refresh

        refresh(store, say)
    finally:
        store.close()
    counts = ", ".join(f"{n} {k}" for k, n in model.decisions.items())
    click.echo(f"trained {model.label} ({counts}); kept in {where}")


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
