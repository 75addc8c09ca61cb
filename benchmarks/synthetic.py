"""Synthetic graphs shaped like the curated one, at a target size, for benchmarks.

Run by hand:
    .venv/bin/python benchmarks/synthetic.py --triples 1000000 --out /tmp/syn-1m.nq
    .venv/bin/python benchmarks/synthetic.py --triples 100000 --out /tmp/syn.nq --stats

The output (N-Quads, written line by line, so 10M statements need no more
memory than 100k) is the curated graph itself, copied from a built store, so
every real entity, concept and scheme is there and library queries with
their default parameters (MONUC, UNAMID, ...) find what they find on the
real graph, followed by as many synthetic "worlds" as it takes to reach
``--triples`` statements (N-Quads lines; a fact cited by two sources is two
lines, as in the store).

A world is a renamed, perturbed copy of the curated instance data, so the
class and predicate proportions are the curated graph's (measured, not
guessed: ``--stats`` prints both side by side) and every structural
invariant of a real build holds in it:

- operations ``id/operation/SYN0001`` ... with ``pockg:acronym "SYN0001"``,
  prefLabel, country, start/end dates, ``pocMandateBy`` / ``givesPoCMandateTo``;
- resolutions ``id/resolution/10001`` ... with ``dcterms:date``,
  ``resolutionNumber``, symbol, and their ``pockg:Mandate`` nodes and
  direct action edges (``extends``, ``mandates`` ...);
- strategies (mission, scope, draftingLead, timeframe, addresses ...), action
  plans, coordination mechanisms, actors and roles, reporting requirements,
  contested questions and positions;
- documents with their ``pockg:Passage`` nodes (``dcterms:isPartOf``,
  ``pockg:number``, ``pockg:gist``) and the recommendations anchored on them;
- curated content as the browser makes it (``add_curation_samples``): lessons
  in every lifecycle state and tier, with their history events and comments
  in review graphs, and an ingested strategy document with its versions,
  passages and concept links (Web Annotations, some accepted); each world
  copies them under renamed IRIs and graphs;
- for each fact, the direct edge in ``graph/source/<id>`` of each citing
  source plus a ``pockg:Claim`` (``rdf:subject/predicate/object``,
  ``prov:wasDerivedFrom``, ``pockg:verificationStatus``, notes) and, where
  the curated claim quotes its source, the ``oa:SpecificResource`` /
  ``oa:TextQuoteSelector`` evidence chain; each source in its own named
  graph, described in ``graph/meta``; inferred types in ``graph/inferred``.

Shared reference data is not copied: the ontology, the 23 SKOS schemes and
their concepts, countries, the dataset description. Worlds point at the real
concepts; for the multi-valued classification predicates (``topic``,
``addresses``, ``approach``, ``tier``, ``riskCategory``, ``about``,
``frameworkElement``) half of the (entity, predicate) pairs of a world get
their concepts permuted within the concept's scheme, so joins on concepts
do not just repeat the curated pattern. Everything is driven by a seeded
``random.Random``: the same curated graph, size and seed give the same file.
No network is needed: without ``--store`` the curated graph is built from
``data/`` into a temporary folder.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from pockg import vocab as V

# Entity kinds copied into each world (``id/<kind>/<key>``); documents carry
# their passages (``id/document/<doc>/p/<n>``). Claims are copied with them.
WORLD_KINDS = ("operation", "resolution", "mandate", "strategy", "action-plan",
               "coordination", "actor", "role", "source", "document",
               "recommendation", "question", "position", "reporting", "lesson")
PERTURBED = frozenset(f"<{V.POCKG}{p}>" for p in ("topic", "addresses", "approach", "tier",
                                        "riskCategory", "about", "frameworkElement"))
FIRST_RESOLUTION = 10001

IDENTIFIER = f"<{V.DCT}identifier>"
ACRONYM = f"<{V.POCKG}acronym>"
RES_NUMBER = f"<{V.POCKG}resolutionNumber>"
ALT_LABEL = f"<{V.SKOS}altLabel>"
RDF_SUBJECT = f"<{V.RDF}subject>"
RDF_PREDICATE = f"<{V.RDF}predicate>"
RDF_OBJECT = f"<{V.RDF}object>"
RDF_TYPE = f"<{V.RDF}type>"
XSD_INTEGER = f"<{V.XSD}integer>"
SOURCE_GRAPH = "<" + V.graph("source/")
USER_GRAPH = "<" + V.USER
ID_PREFIX = "<" + V.ID
CLAIM_RE = re.compile(r"^claim/([0-9a-f]+)(-(?:evidence|quote)-[0-9a-f]+)?$")
RES_REF_RE = re.compile(r"(S/RES/|[Rr][ée]solution )(\d+)")


def _iri(value: str) -> str:
    return f"<{value}>"


def _lexical(literal: str) -> tuple[str, str]:
    """Split an N-Triples literal into its quoted lexical form and its suffix."""
    end = literal.rindex('"')
    return literal[:end + 1], literal[end + 1:]


@dataclass
class Curated:
    """The curated graph as N-Quads term strings, indexed for copying."""

    quads: list[tuple[str, str, str, str]]
    operations: list[str]            # keys (acronyms), sorted
    resolutions: list[str]           # keys (numbers), sorted
    entities: dict[str, tuple[str, str]] = field(default_factory=dict)  # iri -> (kind, key)
    claims: dict[str, tuple[str, str]] = field(default_factory=dict)    # claim iri -> (s, p)
    scheme_of: dict[str, str] = field(default_factory=dict)             # concept iri -> scheme
    concepts: dict[str, list[str]] = field(default_factory=dict)        # scheme -> concepts
    world: list[int] = field(default_factory=list)   # indexes of the quads a world copies

    @property
    def size(self) -> int:
        return len(self.quads)

    @property
    def world_size(self) -> int:
        return len(self.world)


def read_store(location: str | Path) -> list[tuple[str, str, str, str]]:
    """Every quad of a built store as N-Quads term strings, in a stable order."""
    store = ox.Store.read_only(str(location))
    try:
        quads = [(str(q.subject), str(q.predicate), str(q.object), str(q.graph_name))
                 for q in store.quads_for_pattern(None, None, None, None)]
    finally:
        del store
    return sorted(quads)


def build_curated(location: str | Path) -> None:
    """Build the curated graph from data/ into ``location`` (no validation, no network)."""
    from pockg.build import build
    from pockg.config import load_settings
    from pockg.store import open_store

    settings = load_settings(store=str(location))
    store = open_store(settings.store)
    try:
        build(settings, store, check=False)
        add_curation_samples(settings, store)
    finally:
        store.close()


SAMPLE_LESSONS = 12


def add_curation_samples(settings, store) -> None:
    """Lessons in every state and tier, and an ingested, linked document, made
    through the same services the browser uses (curation, ingest, linker)."""
    import pyoxigraph as ox  # noqa: F401 - the services build their own terms

    from pockg.accounts import User
    from pockg.curation.service import Curation, parse_values
    from pockg.ingest import ingest
    from pockg.linking.annotations import existing_links, set_status, store_links
    from pockg.writer import Writer

    writer = Writer(store)
    cur = Curation(store, writer, settings.ontology_dir / "shapes")
    people = {r: User(f"syn-{r}", r, public_id=f"usyn{r}") for r in
              ("contributor", "curator", "reviewer")}
    missions = ["MONUC", "UNAMID", "UNMIS", "MINUSTAH", "UNOCI", "MINURCAT"]
    paragraphs = ["8.2.1", "8.3.1", "8.4.1", "8.5.1", "8.6.1", "8.7.1"]
    for i in range(SAMPLE_LESSONS):
        form = {"prefLabel": [f"Sample lesson {i + 1} on early warning and patrols"],
                "observation": [f"Observation {i + 1}: alerts reached villages late."],
                "discussion": ["Community networks lacked radios."],
                "mission": [f"operation/{missions[i % len(missions)]}"],
                "tier": [f"concept/T{i % 3 + 1}"], "riskCategory": [f"concept/R{i % 3 + 1}"],
                "wasDerivedFrom": [f"document/workshop-2010/p/{paragraphs[i % len(paragraphs)]}"],
                "references": [f"recommendation/R{i % 9 + 1:02d}"],
                "publicity": ["concept/PUB-INTERNAL" if i % 4 == 3 else "concept/PUB-PUBLIC"]}
        values, _ = parse_values(cur.fields, form)
        lesson = cur.create(values, people["contributor"], lesson_id=f"L-SAMPLE-{i + 1:02d}")
        if i % 3 == 0:
            continue                                        # stays an observation (draft)
        form.update(remedialAction=["Equip community alert networks"], actionBody=["actor/OCHA"])
        cur.update(lesson, parse_values(cur.fields, form)[0], 1, people["curator"])
        cur.transition(lesson, "endorse", 2, people["curator"])
        cur.comment(lesson, "Checked against the mission's reports.", people["curator"])
        if i % 3 == 2:
            cur.transition(lesson, "validate", 3, people["reviewer"])
    with tempfile.TemporaryDirectory(prefix="pockg-sample-doc-") as tmp:
        path = Path(tmp) / "strategy.md"
        path.write_text(_sample_strategy(), encoding="utf-8")
        [result] = ingest(store, [path], doc_id="syn-strategy")
        graph, _ = store_links(store, result.version)
        links = existing_links(store, graph)
        remove, add = [], []
        for link in links[::2]:
            r, a = set_status(store, link.iri, "LS-accepted", people["curator"].iri)
            remove += r
            add += a
        store.apply(remove, add)


def _sample_strategy() -> str:
    topics = ["internally displaced persons", "refugees", "children", "sexual violence",
              "early warning", "the host government", "humanitarian actors", "patrols",
              "the rule of law", "housing, land and property", "mine action"]
    lines = ["# Sample mission-wide protection strategy", ""]
    for section in range(1, 6):
        lines += [f"## {section}. Section {section}", ""]
        for n in range(1, 9):
            a, b = topics[(section * 3 + n) % len(topics)], topics[(section + n * 5) % len(topics)]
            lines += [f"{section}.{n} The mission works on {a} together with {b}, "
                      f"with a risk assessment and benchmarks reviewed each year.", ""]
    return "\n".join(lines)


def curated_quads(store: str | Path | None = None) -> list[tuple[str, str, str, str]]:
    """The curated graph: from a built store, or built now into a temporary folder."""
    if store is not None:
        return read_store(store)
    with tempfile.TemporaryDirectory(prefix="pockg-curated-") as tmp:
        build_curated(Path(tmp) / "store")
        return read_store(Path(tmp) / "store")


def index(quads: list[tuple[str, str, str, str]]) -> Curated:
    """Classify the curated terms: what a world copies and how it renames it."""
    entities: dict[str, tuple[str, str]] = {}
    claim_sp: dict[str, dict[str, str]] = {}
    scheme_of: dict[str, str] = {}
    in_scheme = f"<{V.SKOS}inScheme>"

    def classify(term: str) -> None:
        if not term.startswith(ID_PREFIX) or term in entities:
            return
        rest = term[len(ID_PREFIX):-1]
        kind, _, key = rest.partition("/")
        if kind in WORLD_KINDS and key:
            entities[term] = (kind, key)
        elif kind == "claim" and CLAIM_RE.match(rest):
            entities[term] = ("claim", key)

    for s, p, o, g in quads:
        classify(s)
        classify(o)
        if p in (RDF_SUBJECT, RDF_PREDICATE) and s.startswith(ID_PREFIX + "claim/"):
            claim_sp.setdefault(s, {})[p] = o
        elif p == in_scheme:
            scheme_of.setdefault(s, min(o, scheme_of.get(s, o)))
    concepts: dict[str, list[str]] = {}
    for concept, scheme in sorted(scheme_of.items()):
        concepts.setdefault(scheme, []).append(concept)
    ops = sorted(k for kind, k in entities.values() if kind == "operation")
    res = sorted((k for kind, k in entities.values() if kind == "resolution"),
                 key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0, k))
    curated = Curated(quads, ops, res, entities,
                      {c: (sp.get(RDF_SUBJECT, ""), sp.get(RDF_PREDICATE, ""))
                       for c, sp in claim_sp.items()},
                      scheme_of, concepts)

    def copied(term: str) -> bool:
        return term in entities or term.startswith(SOURCE_GRAPH)

    curated.world = [i for i, (s, _p, o, g) in enumerate(quads)
                     if g.startswith(SOURCE_GRAPH) or copied(s) or copied(o)]
    return curated


class World:
    """The renaming and perturbation of one synthetic copy (number ``n`` >= 1)."""

    def __init__(self, curated: Curated, n: int, seed: int):
        self.c = curated
        self.n = n
        self.seed = seed
        nops, nres = len(curated.operations), len(curated.resolutions)
        self.acronym = {old: f"SYN{(n - 1) * nops + i + 1:04d}"
                        for i, old in enumerate(curated.operations)}
        self.number = {old: str(FIRST_RESOLUTION + (n - 1) * nres + i)
                       for i, old in enumerate(curated.resolutions)}
        tokens = sorted(self.acronym, key=len, reverse=True)
        self._token_re = re.compile(
            r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, tokens)) + r")(?![A-Za-z0-9])"
        ) if tokens else None
        self.keys: dict[str, str] = {}     # old iri -> new key
        self.rename: dict[str, str] = {}   # old term -> new term
        for term, (kind, key) in curated.entities.items():
            new_key = self._key(kind, key)
            self.keys[term] = new_key
            self.rename[term] = f"{ID_PREFIX}{kind}/{new_key}>"
        self._perms: dict[tuple[str, str], dict[str, str] | None] = {}

    def text(self, value: str) -> str:
        """Operation acronyms and resolution numbers in a text, renamed."""
        if self._token_re is not None:
            value = self._token_re.sub(lambda m: self.acronym[m.group(1)], value)
        return RES_REF_RE.sub(
            lambda m: m.group(1) + self.number.get(m.group(2), m.group(2)), value)

    def _key(self, kind: str, key: str) -> str:
        if kind == "operation":
            return self.acronym[key]
        if kind == "resolution":
            return self.number.get(key, f"{key}-syn{self.n}")
        if kind == "claim":
            m = CLAIM_RE.match("claim/" + key)
            digest = hashlib.sha1(f"{self.seed}|{self.n}|{m.group(1)}".encode()).hexdigest()[:20]
            return digest + (m.group(2) or "")
        if kind == "document" and "/p/" in key:
            doc, _, n = key.partition("/p/")
            return f"{self._key('document', doc)}/p/{n}"
        if kind == "mandate":
            res, _, rest = key.partition("-")
            op, _, i = rest.rpartition("-")
            if res in self.number and op in self.acronym:
                return f"{self.number[res]}-{self.acronym[op]}-{i}"
        renamed = self.text(key)
        return renamed if renamed != key else f"{key}-syn{self.n}"

    def term(self, term: str) -> str:
        found = self.rename.get(term)
        if found is not None:
            return found
        if term.startswith(USER_GRAPH):            # a curated graph: one per lesson, document...
            new = term[:-1] + f"-syn{self.n}>"
            self.rename[term] = new
            return new
        if term.startswith(SOURCE_GRAPH):
            source = term[len(SOURCE_GRAPH):-1]
            kind = "document" if f"{ID_PREFIX}document/{source}>" in self.c.entities else "source"
            new = f"{SOURCE_GRAPH}{self._key(kind, source)}>"
            self.rename[term] = new
            return new
        if term.startswith('"'):
            lexical, suffix = _lexical(term)
            new = self.text(lexical) + suffix
            self.rename[term] = new
            return new
        return term

    def concept(self, subject: str, predicate: str, concept: str) -> str:
        """The concept a world uses for ``subject predicate concept``."""
        key = (subject, predicate)
        if key not in self._perms:
            rnd = random.Random(f"{self.seed}|{self.n}|{subject}|{predicate}")
            perm = None
            if rnd.random() < 0.5:
                scheme = self.c.scheme_of.get(concept)
                pool = self.c.concepts.get(scheme, [])
                shuffled = pool[:]
                rnd.shuffle(shuffled)
                perm = dict(zip(pool, shuffled))
            self._perms[key] = perm
        perm = self._perms[key]
        return perm.get(concept, concept) if perm else concept

    def lines(self) -> Iterator[str]:
        quads, entities = self.c.quads, self.c.entities
        term = self.term
        for i in self.c.world:
            s, p, o, g = quads[i]
            ns, ng = term(s), term(g)
            kind = entities.get(s, ("",))[0]
            if p == IDENTIFIER and kind and kind != "claim" and "/p/" not in self.keys[s]:
                no = f'"{self.keys[s]}"'
            elif p == RES_NUMBER and kind == "resolution":
                no = f'"{self.keys[s]}"^^{XSD_INTEGER}'
            elif p == ACRONYM and kind == "operation":
                no = f'"{self.keys[s]}"'
            elif p == ALT_LABEL and kind == "operation" and o.startswith('"'):
                lexical, suffix = _lexical(o)
                no = f'"{self.keys[s]}-{lexical[1:]}{suffix}'
            elif p in PERTURBED and o in self.c.scheme_of:
                no = self.concept(s, p, o)
            elif p == RDF_OBJECT and o in self.c.scheme_of and s in self.c.claims:
                cs, cp = self.c.claims[s]
                no = self.concept(cs, cp, o) if cp in PERTURBED else o
            else:
                no = term(o)
            yield f"{ns} {p} {no} {ng} .\n"


def worlds_for(curated: Curated, triples: int) -> int:
    """How many worlds bring the curated graph closest to ``triples`` statements."""
    if triples <= curated.size or curated.world_size == 0:
        return 0
    return max(1, round((triples - curated.size) / curated.world_size))


def nquad_lines(curated: Curated, triples: int, seed: int = 0) -> Iterator[str]:
    """N-Quads lines: the curated graph, then the synthetic worlds."""
    for s, p, o, g in curated.quads:
        yield f"{s} {p} {o} {g} .\n"
    for n in range(1, worlds_for(curated, triples) + 1):
        yield from World(curated, n, seed).lines()


def quads(curated: Curated, triples: int, seed: int = 0, chunk: int = 50_000) -> Iterator[ox.Quad]:
    """The same graph as ``pyoxigraph.Quad`` objects (parsed chunk by chunk)."""
    buffer: list[str] = []
    for line in nquad_lines(curated, triples, seed):
        buffer.append(line)
        if len(buffer) >= chunk:
            yield from ox.parse("".join(buffer), ox.RdfFormat.N_QUADS)
            buffer.clear()
    if buffer:
        yield from ox.parse("".join(buffer), ox.RdfFormat.N_QUADS)


@dataclass
class Profile:
    """Statements per predicate and instances per class, for --stats."""

    total: int = 0
    predicates: Counter = field(default_factory=Counter)
    classes: Counter = field(default_factory=Counter)
    graphs: set = field(default_factory=set)

    def add(self, line: str) -> None:
        s, p, rest = line.split(" ", 2)
        self.total += 1
        self.predicates[p] += 1
        if p == RDF_TYPE:
            self.classes[rest[:rest.index(">") + 1]] += 1
        self.graphs.add(rest[rest.rindex(" <") + 1:rest.rindex(">") + 1])


def write(path: str | Path, curated: Curated, triples: int, seed: int = 0,
          profile: Profile | None = None) -> int:
    """Write the graph to ``path`` as N-Quads; returns the number of lines."""
    count = 0
    with open(path, "w", encoding="utf-8", buffering=1 << 20) as out:
        for line in nquad_lines(curated, triples, seed):
            out.write(line)
            count += 1
            if profile is not None:
                profile.add(line)
    return count


def short(iri: str) -> str:
    iri = iri.strip("<>")
    for prefix, ns in V.PREFIXES.items():
        if iri.startswith(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def print_stats(curated: Curated, synthetic: Profile, top: int = 25) -> None:
    base = Profile()
    for s, p, o, g in curated.quads:
        base.add(f"{s} {p} {o} {g} .\n")
    print(f"\n{'':28} {'curated':>18} {'synthetic':>18}")
    print(f"{'statements':28} {base.total:>18,} {synthetic.total:>18,}")
    print(f"{'named graphs':28} {len(base.graphs):>18,} {len(synthetic.graphs):>18,}")
    for title, a, b in (("predicate", base.predicates, synthetic.predicates),
                        ("class (rdf:type)", base.classes, synthetic.classes)):
        print(f"\n{title:28} {'share curated':>18} {'share synthetic':>18}")
        ta, tb = sum(a.values()), sum(b.values())
        for key, _ in b.most_common(top):
            print(f"{short(key)[:28]:28} {a[key] / ta:>17.2%} {b[key] / tb:>17.2%}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write a synthetic pockg graph (N-Quads): the curated graph plus "
                    "renamed, perturbed copies of its instance data, up to a target size.")
    parser.add_argument("--triples", type=int, default=1_000_000,
                        help="target number of statements (N-Quads lines); default 1000000")
    parser.add_argument("--out", required=True, help="N-Quads file to write")
    parser.add_argument("--store", help="read the curated graph from this built store "
                        "(default: build data/ into a temporary folder)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--stats", action="store_true",
                        help="print the predicate and class proportions, curated vs synthetic")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    curated = index(curated_quads(args.store))
    profile = Profile() if args.stats else None
    count = write(args.out, curated, args.triples, args.seed, profile)
    worlds = worlds_for(curated, args.triples)
    print(f"wrote {count:,} statements to {args.out} in {time.perf_counter() - start:.1f}s: "
          f"curated {curated.size:,} + {worlds} synthetic worlds x {curated.world_size:,} "
          f"({worlds * len(curated.operations)} operations, "
          f"{worlds * len(curated.resolutions)} resolutions)", file=sys.stderr)
    if profile is not None:
        print_stats(curated, profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
