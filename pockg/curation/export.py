"""``pockg export-data``: curated lessons written back as data/lessons/*.yaml.

Each lesson becomes one human-editable file keyed by the fields of the
lesson shape (see loaders/lessons.py, which reads them back), so that
build → edit in the browser → export → rebuild gives the same lessons.
Comments and history stay in the store (and its backups).
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import yaml

from pockg import vocab as V
from pockg.curation import graphs as G
from pockg.curation.fields import compact, lesson_fields

HEADER = ("# Written by `pockg export-data` from the lessons curated in the browser.\n"
          "# Edit freely; `pockg build` loads it (a lesson curated in the store wins).\n")


def lesson_records(store) -> dict[str, list[ox.Triple]]:
    """Every lesson in the store (curated, else built), as its triples by id."""
    found: dict[str, list[ox.Triple]] = {}
    for root in (V.USER, V.GRAPH):
        for g in store.named_graphs():
            if not g.startswith(root) or "/lesson/" not in g or G.tier_of(g) == "review":
                continue
            lesson_id = g.rsplit("/", 1)[-1]
            triples = [ox.Triple(q.subject, q.predicate, q.object) for q in store.quads(g)]
            if triples and lesson_id not in found:
                found[lesson_id] = triples
    return found


def to_yaml(lesson_id: str, triples, fields) -> str:
    data: dict = {"id": lesson_id}
    for spec in fields:
        values = [t.object for t in triples if t.predicate.value == spec.path]
        if not values:
            continue
        if spec.kind == "text":
            data[spec.key] = {(v.language or "en"): v.value for v in values}
        elif spec.kind == "datetime":
            data[spec.key] = values[0].value
        else:
            items = sorted(compact(v.value) for v in values)
            data[spec.key] = items[0] if spec.max == 1 else items
    return HEADER + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def export_lessons(store, ontology_dir: Path, output: Path, progress=None) -> int:
    """Write ``output/lessons/<id>.yaml`` for every lesson; returns how many."""
    fields = lesson_fields(Path(ontology_dir) / "shapes")
    folder = Path(output) / "lessons"
    folder.mkdir(parents=True, exist_ok=True)
    records = lesson_records(store)
    for lesson_id, triples in sorted(records.items()):
        path = folder / f"{lesson_id}.yaml"
        tmp = path.with_suffix(".yaml.part")
        tmp.write_text(to_yaml(lesson_id, triples, fields), encoding="utf-8")
        tmp.replace(path)
    if progress:
        progress(f"wrote {len(records)} lesson(s) to {folder}")
    return len(records)
