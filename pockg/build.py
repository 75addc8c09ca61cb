"""``pockg build``: data/ and ontology/ into the store, all or nothing.

``assemble`` reads every source into quads in memory (each source in its own
named graph) and raises ``DataError`` listing every problem found. ``build``
then validates the assembled graph and replaces the build-owned graphs of the
store in one transaction, leaving every other graph (curated lessons,
ingested documents, links) untouched.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyoxigraph as ox

from loaders import DATA_ORDER, get_loader
from loaders.context import RDF_TYPE, Context, nn
from pockg import __version__
from pockg import vocab as V
from pockg.config import MEMORY, Settings
from pockg.errors import DataError, PockgError, Problem, ValidationFailed
from pockg.store import EmbeddedStore

Progress = Callable[[str], None]


@dataclass
class Assembly:
    """Everything one build would write, before it is written."""

    quads: list
    context: Context
    seconds: float = 0.0
    records: dict = field(default_factory=dict)   # loader name -> its checked records

    def locate(self, iri: str) -> tuple[str | None, int | None, str | None]:
        """The data file, line and id that define an entity IRI."""
        return self.context.locations.get(iri, (None, None, None))


@dataclass
class BuildReport:
    graphs: dict[str, int]
    classes: dict[str, int]
    total: int
    seconds: dict[str, float] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)


def _quiet(_: str) -> None:
    pass


def _schema_dir(settings: Settings) -> Path:
    return settings.data_dir / "schemas"


def assemble(settings: Settings, progress: Progress = _quiet) -> Assembly:
    """Read data/ and ontology/ into quads; raise DataError on any problem."""
    start = time.perf_counter()
    root = settings.data_dir.parent
    ctx = Context(root=root)
    loaders = []
    for name in DATA_ORDER:
        cls = get_loader(name)
        base = settings.ontology_dir if cls.base == "ontology" else settings.data_dir
        loader = cls(base / name, root, _schema_dir(settings))
        loader.settings = settings
        loaders.append(loader)
    for loader in loaders:
        loader.read(ctx)
    progress(f"read {sum(len(l.records) for l in loaders)} records from "
             f"{sum(len(l.files()) for l in loaders)} files")
    _raise_errors(ctx.problems)
    for loader in loaders:
        loader.index(ctx)
    _raise_errors(ctx.problems)
    for loader in loaders:
        loader.emit(ctx)
    _load_ontology(ctx, settings.ontology_dir / "pockg.ttl")
    _raise_errors(ctx.problems)
    _describe_dataset(ctx, settings)
    progress(f"assembled {len(ctx.quads)} quads in {len(ctx.counts)} graphs")
    assembly = Assembly(quads=ctx.quads, context=ctx,
                        records={loader.name: loader.records for loader in loaders})
    _infer(assembly, settings)
    assembly.seconds = time.perf_counter() - start
    return assembly


def _raise_errors(problems: list[Problem]) -> None:
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise DataError(errors)


def _load_ontology(ctx: Context, path: Path) -> None:
    display = str(path.relative_to(ctx.root)) if path.is_relative_to(ctx.root) else str(path)
    if not path.is_file():
        ctx.problem("the ontology file is missing", file=display)
        return
    g = V.graph("ontology")
    try:
        with path.open("rb") as f:
            for t in ox.parse(f, ox.RdfFormat.TURTLE, base_iri=V.POCKG):
                ctx.add(t.subject, t.predicate, t.object, g)
    except SyntaxError as exc:
        line = getattr(exc, "lineno", None)
        ctx.problem(f"malformed Turtle: {exc.msg if hasattr(exc, 'msg') else exc}",
                    file=display, line=line)


def _describe_dataset(ctx: Context, settings: Settings) -> None:
    """VoID/DCAT description of the dataset and PROV of every named graph."""
    from pockg.yamlio import read_yaml

    meta = V.graph("meta")
    path = settings.data_dir / "dataset.yaml"
    info = read_yaml(path, "data/dataset.yaml") if path.is_file() else {}
    ds = nn(V.ID + "dataset/" + str(info.get("id", "pockg")))
    add = lambda s, p, o: ctx.add(s, p, o, meta)  # noqa: E731
    lit = ox.Literal
    for cls in (V.VOID + "Dataset", V.DCAT + "Dataset", V.PROV + "Entity"):
        add(ds, RDF_TYPE, nn(cls))
    for key, pred in (("title", V.DCT + "title"), ("description", V.DCT + "description"),
                      ("citation", V.DCT + "bibliographicCitation")):
        value = info.get(key)
        if isinstance(value, dict):
            for lang, text in value.items():
                add(ds, pred, lit(str(text).strip(), language=lang))
        elif value:
            add(ds, pred, lit(str(value).strip(), language="en"))
    if info.get("version"):
        add(ds, V.DCAT + "version", lit(str(info["version"])))
        add(ds, V.OWL + "versionInfo", lit(str(info["version"])))
    if info.get("license"):
        add(ds, V.DCT + "license", nn(str(info["license"])))
    if info.get("homepage"):
        add(ds, V.FOAF + "homepage", nn(str(info["homepage"])))
    for i, creator in enumerate(info.get("creators") or [], start=1):
        agent = nn(f"{ds.value}/creator/{i}")
        add(ds, V.DCT + "creator", agent)
        add(agent, RDF_TYPE, nn(V.FOAF + "Agent"))
        add(agent, V.FOAF + "name", lit(str(creator)))
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    activity = nn(V.ID + "build/" + now.strftime("%Y%m%dT%H%M%SZ"))
    add(activity, RDF_TYPE, nn(V.PROV + "Activity"))
    add(activity, V.PROV + "startedAtTime",
        lit(now.isoformat().replace("+00:00", "Z"), datatype=nn(V.XSD + "dateTime")))
    add(activity, V.RDFS + "label", lit(f"pockg build {__version__}", language="en"))
    add(ds, V.PROV + "wasGeneratedBy", activity)
    add(ds, V.DCT + "modified", lit(now.date().isoformat(), datatype=nn(V.XSD + "date")))
    for graph, count in sorted(ctx.counts.items()):
        if graph == meta:
            continue
        g = nn(graph)
        add(ds, V.VOID + "subset", g)
        add(g, RDF_TYPE, nn(V.POCKG + "SourceGraph"))
        add(g, RDF_TYPE, nn(V.VOID + "Dataset"))
        add(g, V.VOID + "triples", lit(count))
        add(g, V.PROV + "wasGeneratedBy", activity)
        add(g, V.PROV + "generatedAtTime",
            lit(now.isoformat().replace("+00:00", "Z"), datatype=nn(V.XSD + "dateTime")))
        source = ctx.graph_sources.get(graph)
        if source:
            add(g, V.PROV + "wasDerivedFrom", ctx.source_iri(source))
            add(ds, V.DCT + "source", ctx.source_iri(source))


def _infer(assembly: Assembly, settings: Settings) -> None:
    """Materialise the rules in queries/inference/*.rq into graph/inferred."""
    rules = sorted((settings.queries_dir / "inference").glob("*.rq"))
    if not rules:
        return
    store = EmbeddedStore(MEMORY)
    store.extend(assembly.quads)
    g = nn(V.graph("inferred"))
    existing = set()
    added = []
    for rule in rules:  # in file-name order; each rule sees what earlier ones inferred
        new = []
        for t in store.construct(rule.read_text(encoding="utf-8")):
            key = (t.subject, t.predicate, t.object)
            if key not in existing:
                existing.add(key)
                new.append(ox.Quad(t.subject, t.predicate, t.object, g))
        store.extend(new)
        added += new
    assembly.quads.extend(added)
    assembly.context.counts[g.value] = len(added)


def build(settings: Settings, store: EmbeddedStore, progress: Progress = _quiet,
          check: bool = True, train_linker: bool = True) -> BuildReport:
    """Assemble, validate, then replace the build-owned graphs atomically; then
    train the linker's learned layer on the curated decisions (``train_linker``)."""
    times = {}
    assembly = assemble(settings, progress)
    times["assemble"] = assembly.seconds
    _leave_curated_lessons(assembly, store, progress)
    warnings: list[Problem] = []
    if check:
        from pockg.validate import validate_assembly

        t = time.perf_counter()
        problems = validate_assembly(assembly, settings, progress)
        times["validate"] = time.perf_counter() - t
        errors = [p for p in problems if p.severity == "error"]
        warnings = [p for p in problems if p.severity != "error"]
        if errors:
            raise ValidationFailed(errors)
    t = time.perf_counter()
    owned = [g for g in store.named_graphs() if g.startswith(V.GRAPH)]
    store.replace_graphs(owned, assembly.quads)
    times["write"] = time.perf_counter() - t
    progress(f"wrote {len(assembly.quads)} quads to {store.location}")
    _refresh_coverage(store, progress)
    if train_linker:
        t = time.perf_counter()
        train_and_keep(settings, store, progress, assembly.records)
        times["linker"] = time.perf_counter() - t
    return BuildReport(graphs=dict(assembly.context.counts), classes=count_classes(assembly.quads),
                       total=len(assembly.quads), seconds=times, warnings=warnings)


def _refresh_coverage(store: EmbeddedStore, progress: Progress) -> None:
    """Documents declared about strategies lend them their accepted links again: the
    strategies, concepts or declarations may have changed with data/."""
    from pockg.coverage import refresh

    counts = refresh(store)
    if counts:
        progress(f"coverage read from {len(counts)} declared document(s): "
                 f"{sum(counts.values())} claim(s)")


def train_and_keep(settings: Settings, store: EmbeddedStore, progress: Progress = _quiet,
                   records: dict | None = None):
    """Train the learned layer on data/ and the store's review decisions, keep it in
    ``<store>.linker/`` and its provenance in the graph ``graph/linker-model``
    (``records``: data/'s records as the build read them, not read again)."""
    from pockg.linking import learned
    from pockg.linking.annotations import model_quads
    from pockg.linking.training import NotEnoughDecisions, train

    graph = V.graph("linker-model")
    try:
        model = train(store, settings, progress, records=records)
    except NotEnoughDecisions as exc:
        learned.forget(store)
        store.replace_graphs([graph], [])
        progress(str(exc))
        return None
    try:
        previous = learned.model_of(store)
    except PockgError:
        previous = None
    if previous is not None and previous.same_training(model):
        model = previous        # the same decisions give the same model: a rebuild changes nothing
    where = learned.save(model, store)
    store.replace_graphs([graph], model_quads(model, graph))
    progress(f"linker model: {model.label}, kept in {where}")
    return model


def _leave_curated_lessons(assembly: Assembly, store: EmbeddedStore, progress: Progress) -> None:
    """Drop data/lessons lessons that curation already holds in this store:
    the curated copy (under user/) is the newer one; export-data writes it back."""
    curated = {g.rsplit("/", 1)[-1] for g in store.named_graphs()
               if g.startswith(V.USER) and "/lesson/" in g and "/review/" not in g}
    if not curated:
        return

    def is_curated(graph: str) -> bool:
        return (graph.startswith(V.GRAPH) and "/lesson/" in graph
                and graph.rsplit("/", 1)[-1] in curated)

    kept = [q for q in assembly.quads if not is_curated(q.graph_name.value)]
    skipped = {q.graph_name.value for q in assembly.quads if is_curated(q.graph_name.value)}
    for g in skipped:
        assembly.context.counts.pop(g, None)
    if skipped:
        progress(f"left {len(skipped)} lesson(s) to curation: the store holds newer curated copies")
    assembly.quads[:] = kept


def count_classes(quads) -> dict[str, int]:
    """Instances per pockg/SKOS class, inferred types included."""
    seen = set()
    counts: Counter = Counter()
    for q in quads:
        if q.predicate == RDF_TYPE and isinstance(q.object, ox.NamedNode):
            key = (q.subject, q.object)
            if key not in seen and (q.object.value.startswith(V.POCKG)
                                    or q.object.value.startswith(V.SKOS)):
                seen.add(key)
                counts[q.object.value] += 1
    return dict(sorted(counts.items()))
