"""The ``pockg`` command line.

Every command maps pockg's errors to a one-paragraph message on standard
error and an exit code (1 general, 2 configuration, 3 data or validation).
"""

from __future__ import annotations

import functools
import json
import sys
import time

import click

from pockg import __version__
from pockg.errors import PockgError

EPILOG = """\b
Paths come from the options, then the environment (POCKG_STORE, POCKG_DATA,
POCKG_ONTOLOGY, POCKG_QUERIES), then the repository's own folders; the store
defaults to ./var/store. Use --store :memory: for a throwaway store.
"""


def _settings(store=None, data=None, ontology=None, queries=None):
    from pockg.config import load_settings

    return load_settings(store=store, data_dir=data, ontology_dir=ontology, queries_dir=queries)


def path_options(func):
    """--store/--data/--ontology/--queries, resolved into ``settings``."""

    @click.option("--store", metavar="PATH", help="Store folder (or :memory:). Env: POCKG_STORE.")
    @click.option("--data", metavar="DIR", help="Curated data folder. Env: POCKG_DATA.")
    @click.option("--ontology", metavar="DIR", help="Ontology folder. Env: POCKG_ONTOLOGY.")
    @click.option("--queries", metavar="DIR", help="Query library folder. Env: POCKG_QUERIES.")
    @functools.wraps(func)
    def wrapper(store, data, ontology, queries, **kwargs):
        return func(settings=_settings(store, data, ontology, queries), **kwargs)

    return wrapper


class Group(click.Group):
    """Turns PockgError into a clear message and an exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except PockgError as exc:
            click.secho(f"{exc.prefix}: {exc.message}", err=True, fg="red")
            sys.exit(exc.exit_code)


@click.group(cls=Group, epilog=EPILOG)
@click.version_option(__version__, prog_name="pockg")
def main():
    """pockg: the knowledge graph of protection-of-civilians (PoC) strategies
    and lessons learned in UN peacekeeping.

    \b
    Start here:
      pockg build            build the graph from data/ into the store
      pockg stats            what the store holds
      pockg validate         check shapes, QC queries and OWL consistency
      pockg export -f trig   dump the graph, named graphs kept
    """


def _progress(quiet: bool):
    start = time.perf_counter()

    def say(message: str) -> None:
        if not quiet:
            click.echo(f"[{time.perf_counter() - start:5.1f}s] {message}", err=True)

    return say


@main.command()
@path_options
@click.option("--no-validate", is_flag=True, help="Skip SHACL and QC checks (faster; not recommended).")
@click.option("-q", "--quiet", is_flag=True, help="Print only the summary.")
def build(settings, no_validate, quiet):
    """Build the graph from data/ and ontology/ into the store.

    Replaces only the graphs built from data/ (under
    https://w3id.org/pockg/graph/), in one transaction: a failed build leaves
    the store as it was, and curated work added later (lessons, ingested
    documents, links) is never touched. Exits non-zero on any error.
    """
    from pockg.build import build as run_build
    from pockg.store import open_store

    say = _progress(quiet)
    start = time.perf_counter()
    store = open_store(settings.store)
    try:
        report = run_build(settings, store, progress=say, check=not no_validate)
    finally:
        store.close()
    for warning in report.warnings:
        click.secho(f"warning: {warning}", err=True, fg="yellow")
    click.echo(_summary(report, settings.store, time.perf_counter() - start))


def _summary(report, location, seconds) -> str:
    from pockg import vocab as V

    lines = [f"Built {report.total} quads into {location} in {seconds:.1f}s "
             f"({', '.join(f'{k} {v:.1f}s' for k, v in report.seconds.items())})",
             "", "Quads per named graph:"]
    for g, n in sorted(report.graphs.items()):
        lines.append(f"  {n:7d}  {g.removeprefix(V.GRAPH)}")
    lines += ["", "Instances per class:"]
    for c, n in sorted(report.classes.items(), key=lambda kv: (-kv[1], kv[0])):
        short = c.replace(V.POCKG, "pockg:").replace(V.SKOS, "skos:")
        lines.append(f"  {n:7d}  {short}")
    if report.warnings:
        lines.append(f"\n{len(report.warnings)} warning(s) (see above)")
    return "\n".join(lines)


@main.command()
@path_options
@click.option("--no-reasoning", is_flag=True, help="Skip the OWL consistency check (HermiT needs Java).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="Print only the findings.")
def validate(settings, no_reasoning, fmt, quiet):
    """Check data/ without writing anything: schemas, references, SHACL
    shapes, QC queries (queries/qc/*-violation.rq) and OWL consistency.

    Each finding names the data file, line and entity. Exits 3 when any
    error is found; warnings alone exit 0.
    """
    from pockg.validate import validate as run_validate

    report = run_validate(settings, reasoning=not no_reasoning, progress=_progress(quiet))
    if fmt == "json":
        click.echo(json.dumps({
            "ok": not report.errors,
            "problems": [p.__dict__ for p in report.problems],
            "seconds": report.seconds,
        }, indent=2))
    else:
        for p in report.problems:
            click.echo(f"{p.severity}: {p}")
        click.echo(f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)"
                   + (f"; HermiT: consistent in {report.reasoning.seconds:.1f}s"
                      if report.reasoning is not None and report.reasoning.consistent else ""))
    if report.errors:
        sys.exit(3)


@main.command()
@path_options
@click.option("-f", "--format", "fmt", default="trig", show_default=True,
              type=click.Choice(["turtle", "trig", "nquads", "ntriples", "jsonld", "rdfxml"]),
              help="trig, nquads and jsonld keep the named graphs; the others merge them.")
@click.option("-o", "--output", metavar="FILE|DIR",
              help="File to write, or a folder for a versioned dump "
                   "(pockg-VERSION.EXT). Standard output when omitted.")
def export(settings, fmt, output):
    """Dump the store (every named graph) as RDF."""
    from pockg.export import export as run_export
    from pockg.store import open_store

    store = open_store(settings.store, read_only=settings.store != ":memory:")
    path = run_export(store, fmt, output)
    if path:
        click.echo(f"wrote {path}", err=True)


@main.command()
@path_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def stats(settings, fmt):
    """What the store holds: quads per named graph and instances per class."""
    from pockg.export import stats as run_stats
    from pockg.store import open_store

    store = open_store(settings.store, read_only=settings.store != ":memory:")
    result = run_stats(store)
    if fmt == "json":
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(f"{result['quads']} quads in {len(result['graphs'])} named graphs "
               f"(dataset version {result.get('version') or 'unknown'})")
    for g, n in result["graphs"].items():
        click.echo(f"  {n:7d}  {g}")
    click.echo("Instances per class:")
    for c, n in result["classes"].items():
        click.echo(f"  {n:7d}  {c}")


if __name__ == "__main__":  # pragma: no cover
    main()
