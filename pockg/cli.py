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
      pockg query list       the comparison library
      pockg compare --missions MONUC,UNAMID,UNMIS --on drafting-lead
    """


def public_view(store):
    """What readers may see: search indexes and the public endpoint are built on it."""
    from pockg.curation.graphs import visible

    return store.view(lambda graph: visible(graph, None))


def _progress(quiet: bool):
    start = time.perf_counter()

    def say(message: str) -> None:
        if not quiet:
            click.echo(f"[{time.perf_counter() - start:5.1f}s] {message}", err=True)

    return say


@main.command()
@path_options
@click.option("--no-validate", is_flag=True, help="Skip SHACL and QC checks (faster; not recommended).")
@click.option("-q", "--quiet", is_flag=True, help="Print only the summary (no progress, no warnings).")
def build(settings, no_validate, quiet):
    """Build the graph from data/ and ontology/ into the store.

    Replaces only the graphs built from data/ (under
    https://w3id.org/pockg/graph/), in one transaction: a failed build leaves
    the store as it was, and curated work added later (lessons, ingested
    documents, links) is never touched. Then brings the public replica
    (<store>.public, what readers and /sparql see) and the search index up to
    date. Exits non-zero on any error.
    """
    from pockg import search_index
    from pockg.build import build as run_build
    from pockg.store import open_store

    from pockg import replica

    say = _progress(quiet)
    start = time.perf_counter()
    store = open_store(settings.store)
    try:
        report = run_build(settings, store, progress=say, check=not no_validate)
        index = search_index.default_path(settings.store)
        if index is not None:               # what readers may see: the replica and its index
            public = replica.open_replica(settings.store)
            try:
                replica.sync(store, public, progress=say)
                search_index.build_index(public, index, progress=say)
            finally:
                public.close()
    finally:
        store.close()
    if not quiet:
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
        lines.append(f"\n{len(report.warnings)} warning(s): gaps and advice "
                     "(`pockg validate --no-reasoning` lists them)")
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
@click.option("--include-restricted", is_flag=True,
              help="Also dump what only signed-in staff see: drafts, internal lessons, review "
                   "records, curators' editorial notes.")
def export(settings, fmt, output, include_restricted):
    """Dump the store as RDF: every named graph a reader may see.

    Restricted graphs (drafts, internal lessons, review records, curators'
    editorial notes) stay out unless --include-restricted.
    """
    from pockg.export import export as run_export
    from pockg.store import open_store

    store = open_store(settings.store, read_only=settings.store != ":memory:")
    path = run_export(store if include_restricted else public_view(store), fmt, output)
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


def endpoint_options(func):
    """--endpoint/--timeout: query a remote SPARQL 1.1 endpoint instead."""

    @click.option("--endpoint", metavar="URL", envvar="POCKG_ENDPOINT",
                  help="Run on this SPARQL 1.1 query endpoint instead of the embedded "
                       "store. Env: POCKG_ENDPOINT.")
    @click.option("--timeout", type=float, default=30.0, show_default=True,
                  help="Seconds to wait for a remote endpoint.")
    @functools.wraps(func)
    def wrapper(endpoint, timeout, settings, **kwargs):
        from pockg.api import open_store

        return func(settings=settings, store=open_store(settings, endpoint, timeout), **kwargs)

    return wrapper


def _params(pairs: tuple[str, ...]) -> dict:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--param")
        params[key.strip()] = value.strip()
    return params


TABLE_FORMATS = click.Choice(["table", "csv", "json", "md"])


@main.group()
def query():
    """The comparison library (queries/*.rq) and ad-hoc SPARQL.

    \b
      pockg query list
      pockg query run drafting-lead --param missions=MONUC,UNAMID
      pockg query run poc-mandates-on-date --param date=2010-06-01 --format csv
      pockg query sparql my-query.rq
    """


@query.command("list")
@path_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def query_list(settings, fmt):
    """Every library query: name, summary and parameters (with defaults)."""
    from pockg.api import list_queries

    items = list_queries(settings)
    if fmt == "json":
        click.echo(json.dumps(items, indent=2, default=str))
        return
    for item in items:
        click.echo(f"{item['name']}  [{item['view']}]\n    {item['summary']}")
        for p in item["parameters"]:
            if p["default"] is None:        # optional (as_of): no default
                click.echo(f"    --param {p['name']}=…  ({p['type']}; optional: {p['description']})")
                continue
            default = p["default"] if isinstance(p["default"], str) else ",".join(map(str, p["default"]))
            click.echo(f"    --param {p['name']}=…  ({p['type']}; default {default})")


@query.command("run")
@click.argument("name")
@click.option("-p", "--param", "pairs", multiple=True, metavar="NAME=VALUE",
              help="A parameter; sets are comma lists (missions=MONUC,UNAMID). Repeatable.")
@click.option("-f", "--format", "fmt", type=TABLE_FORMATS, default="table", show_default=True)
@path_options
@endpoint_options
def query_run(settings, store, name, pairs, fmt):
    """Run the library query NAME; every parameter has a default.

    JSON output is an object with columns, rows and the evidence of each
    cell (document, paragraph, quote, or outside source).
    """
    from pockg.library import QueryLibrary

    table = QueryLibrary(settings.queries_dir).run(name, _params(pairs), store)
    click.echo(render_table(table, fmt), nl=False)


@query.command("sparql")
@click.argument("source", type=click.File("r", encoding="utf-8"))
@click.option("-f", "--format", "fmt", type=TABLE_FORMATS, default="table", show_default=True)
@path_options
@endpoint_options
def query_sparql(settings, store, source, fmt):
    """Run an ad-hoc SELECT from FILE (or - for standard input)."""
    from pockg.library import Table, plain

    result = store.select(source.read())
    table = Table("sparql", result.columns, [plain(r) for r in result.rows], result.rows,
                  evidence=[{} for _ in result.rows])
    click.echo(render_table(table, fmt), nl=False)


def render_table(table, fmt: str) -> str:
    import io

    from pockg import csv_safe

    if fmt == "json":
        return json.dumps(table.to_json(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv_safe.DictWriter(out, fieldnames=table.columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(table.rows)
        return out.getvalue()
    shown = [c for c in table.columns if f"{c}Label" not in table.columns] or table.columns
    if fmt == "md":
        lines = ["| " + " | ".join(shown) + " |", "|" + "---|" * len(shown)]
        lines += ["| " + " | ".join(str(r.get(c, "")).replace("|", "\\|") for c in shown) + " |"
                  for r in table.rows]
        return "\n".join(lines) + "\n"
    widths = {c: min(40, max([len(c)] + [len(str(r.get(c, ""))) for r in table.rows])) for c in shown}
    lines = ["  ".join(c.ljust(widths[c]) for c in shown), "  ".join("-" * widths[c] for c in shown)]
    for r in table.rows:
        lines.append("  ".join(str(r.get(c, ""))[:widths[c]].ljust(widths[c]) for c in shown))
    lines.append(f"({len(table.rows)} row{'s' if len(table.rows) != 1 else ''})")
    return "\n".join(lines) + "\n"


@main.command()
@click.option("--missions", required=True, metavar="A,B,...",
              help="Missions by their usual acronyms (UNOCI = ONUCI; MONUC and MONUSCO are two).")
@click.option("--on", "on", required=True, metavar="NAME",
              help="A library comparison with a matrix view, e.g. drafting-lead, tier-coverage.")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "csv", "md", "json", "docx"]),
              default="table", show_default=True)
@click.option("-o", "--output", metavar="FILE", help="Write to FILE (required for docx).")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD",
              help="Only the strategy versions in force that day (comparisons of strategies).")
@path_options
@endpoint_options
def compare(settings, store, missions, on, fmt, output, as_of):
    """Compare missions side by side; every cell carries its evidence.

    Columns where the missions differ are marked; a cell no source supports
    is shown as a gap, never as "no". CSV has one row per mission (or
    strategy) with evidence columns; Markdown and Word put the evidence in
    footnotes.

    With --as-of, a comparison of strategies keeps only the versions in
    force that day: adopted (or completed) by then and not yet revised.

    \b
    Examples:
      pockg compare --missions MONUC,UNAMID,UNMIS --on tier-coverage
      pockg compare --missions UNAMID --on drafting-lead --as-of 2010-06-01 -f md
    """
    from pathlib import Path

    from pockg.compare import to_matrix
    from pockg.library import QueryLibrary

    params = {"missions": missions, **({"as_of": as_of} if as_of else {})}
    matrix = to_matrix(QueryLibrary(settings.queries_dir).run(on, params, store))
    if fmt == "docx":
        if not output:
            raise click.UsageError("--format docx needs --output FILE.docx")
        matrix.to_docx(Path(output))
        click.echo(f"wrote {output}", err=True)
        return
    text = {"csv": matrix.to_csv, "md": matrix.to_markdown,
            "json": lambda: json.dumps(matrix.to_json(), indent=2, ensure_ascii=False) + "\n",
            "table": lambda: matrix.to_text(color=output is None and sys.stdout.isatty())}[fmt]()
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


@main.command()
@path_options
@click.option("--gsp", metavar="URL", help="SPARQL 1.1 Graph Store Protocol address "
              "(Oxigraph server: http://HOST:PORT/store; Fuseki: .../DATASET/data).")
@click.option("--update", metavar="URL", help="SPARQL 1.1 Update address (GraphDB: "
              ".../repositories/REPO/statements).")
@click.option("--user", help="User name for the remote store (HTTP Basic).")
@click.option("--password", envvar="POCKG_PUSH_PASSWORD", help="Password. Env: POCKG_PUSH_PASSWORD.")
@click.option("--timeout", type=float, default=120.0, show_default=True)
@click.option("--include-restricted", is_flag=True,
              help="Also push drafts, internal lessons and review records (only to a store "
                   "that is not public).")
def push(settings, gsp, update, user, password, timeout, include_restricted):
    """Copy the store, named graphs kept, into a remote SPARQL store.

    Each named graph replaces the graph of the same name there. This is how
    a user who outgrows one machine moves to Virtuoso, Fuseki, GraphDB or an
    Oxigraph server; then query it with --endpoint. Only what readers may see
    is pushed (drafts, internal lessons and review records stay here) unless
    --include-restricted says otherwise.
    """
    from pockg.remote import push as run_push
    from pockg.store import open_store

    store = open_store(settings.store, read_only=True)
    source = store if include_restricted else public_view(store)
    counts = run_push(source, gsp=gsp, update=update, user=user, password=password,
                      timeout=timeout, progress=_progress(False))
    click.echo(f"pushed {sum(counts.values())} triples in {len(counts)} named graphs")


@main.command()
@path_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=int, help="Worker threads.")
@click.option("--dev", is_flag=True, help="Development profile (no SECRET_KEY needed, cookies not Secure).")
@click.option("--read-only", is_flag=True,
              help="Open the store read-only: no curation or uploads, and other processes "
                   "(pockg build, more servers) may use the store at the same time.")
def serve(settings, host, port, threads, dev, read_only):
    """Serve the browser and the SPARQL endpoint with a production WSGI server
    (waitress). Builds the graph first if the store is empty.

    Outside --dev, POCKG_SECRET_KEY must be set. Put it behind a TLS reverse
    proxy on the open web (see README, "Deployment").

    \b
    The server is the store's one writer: curation saves go through it, and
    `pockg backup DIR` asks it (over <store>.control) for a consistent
    snapshot while it runs. Accounts: `pockg user add NAME --role admin`.
    """
    import logging
    from pathlib import Path

    from waitress import serve as waitress_serve

    from pockg.store import open_store
    from web import create_app

    if settings.store != ":memory:" and not (Path(settings.store).is_dir()
                                             and any(Path(settings.store).iterdir())):
        from pockg.build import build as run_build

        click.echo(f"the store at {settings.store} is empty: building it first", err=True)
        store = open_store(settings.store)
        try:
            run_build(settings, store, progress=_progress(False))
        finally:
            store.close()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    config = {"STORE": settings.store}
    if read_only:
        config["READ_ONLY"] = True
    serving = None
    if settings.store != ":memory:":
        from pockg.control import ServingLock

        serving = ServingLock(settings.store)      # restore refuses while this is held
    app = create_app(config, profile="development" if dev else None)
    control = _control_socket(app, settings)
    click.echo(f"pockg is serving at http://{host}:{port}/  (SPARQL: http://{host}:{port}/sparql)")
    try:
        # X-Forwarded-* reach the app, which believes them only from POCKG_TRUSTED_PROXIES
        # (web/proxy.py) and drops them from anyone else
        waitress_serve(app, host=host, port=port, threads=threads, ident="pockg",
                       clear_untrusted_proxy_headers=False)
    finally:
        if control is not None:
            control.close()
        if serving is not None:
            serving.release()


def _control_socket(app, settings):
    """Listen on <store>.control so `pockg backup` can ask this server for a snapshot."""
    from pathlib import Path

    from pockg.backup import backup_live
    from pockg.control import ControlServer, socket_path

    state = app.extensions["pockg"]
    if settings.store == ":memory:" or state.writer is None:
        return None

    def backup(request):
        return backup_live(state.writer, state.full_store, state.accounts, Path(request["target"]))

    try:
        return ControlServer(socket_path(settings.store), {"backup": backup})
    except OSError as exc:
        click.echo(f"no control socket ({exc}): `pockg backup` will not reach this server", err=True)
        return None


# -- commands kept in modules of their own (pockg/cli_*.py) ------------------------
def _register_commands() -> None:
    from pockg import cli_curation, cli_ingest, cli_link, cli_load

    for command in (cli_ingest.ingest, cli_ingest.document, cli_link.link, cli_curation.user, cli_curation.backup,
                    cli_curation.restore, cli_curation.export_data, cli_load.load):
        main.add_command(command)


if __name__ == "__main__":  # pragma: no cover - `python -m pockg.cli`: run the importable module
    from pockg.cli import main as _main

    _main()
else:
    _register_commands()
