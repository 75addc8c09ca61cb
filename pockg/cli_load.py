"""``pockg load FILE...``: RDF dumps into a new store, fast (``pockg.bulk``)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from pockg.cli import _progress, path_options


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--graph", metavar="IRI", help="The named graph for triples (.nt, .ttl files).")
@click.option("--replace", is_flag=True,
              help="Put the loaded store in place of a store that holds data (kept aside).")
@click.option("--threads", type=click.IntRange(1, 16), default=2, show_default=True,
              help="Pieces of a line-based file loaded at once (one per core helps).")
@click.option("--lenient", is_flag=True,
              help="Skip IRI validation: faster, for dumps you trust (e.g. a pockg export).")
@click.option("--no-derived", is_flag=True,
              help="Do not make the public replica and search index now (the next "
                   "`pockg serve` start makes them).")
@click.option("-q", "--quiet", is_flag=True, help="Print only the summary.")
@path_options
def load(settings, files, graph, replace, threads, lenient, no_derived, quiet):
    """Load RDF dumps (N-Quads, TriG, N-Triples, Turtle; .gz too) into a new store.

    For data too big for `pockg build`: a `pockg export -f nquads` from another
    machine, another engine's dump, a synthetic benchmark graph. Files are
    loaded with Oxigraph's bulk loader and strict parsers into a staging store
    beside the target (<store>.loading), line-based files in pieces on
    --threads cores; only when every file has loaded does it take the
    target's place. A bad file stops the load with FILE:LINE and the problem,
    and the target is left as it was. The public replica (<store>.public,
    what readers and /sparql see) is made the same way, and then the search
    index.

    The target store must be missing or empty; --replace swaps out one that
    holds data and keeps it beside the new one as <store>.replaced-<time>.
    Stop `pockg serve` first.

    \b
    Examples:
      pockg load dump.nq.gz --store var/big
      pockg load a.nq b.trig --store var/big --replace
      pockg load extra.ttl --graph https://example.org/graph/extra --store var/new
    """
    from pockg import replica, search_index
    from pockg.bulk import load_store

    say = _progress(quiet)
    start = time.perf_counter()
    info = load_store(settings.store, files, graph=graph, replace=replace, threads=threads,
                      lenient=lenient, replica=not no_derived, progress=say)
    if info["replaced"]:
        say(f"the store it replaced ({info['replaced_quads']:,} quads) is kept at "
            f"{info['replaced']}")
    index = search_index.default_path(settings.store)
    if not no_derived and index is not None:
        public = replica.open_replica(settings.store)
        try:
            search_index.build_index(public, index, progress=say)
        finally:
            public.close()
    click.echo(f"Loaded {info['quads']:,} quads ({info['graphs']:,} graphs, {info['files']} "
               f"file(s)) into {settings.store} in {info['seconds']:.1f} s = "
               f"{info['rate']:,.0f} quads/s; {time.perf_counter() - start:.1f} s in all")
