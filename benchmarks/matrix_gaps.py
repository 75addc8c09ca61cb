"""How much of a comparison is gaps: gaps / cells per comparison for some missions.

    .venv/bin/python benchmarks/matrix_gaps.py                      # MONUC,UNAMID,UNMIS on the built store
    .venv/bin/python benchmarks/matrix_gaps.py --missions UNAMID --as-of 2010-06-01
    .venv/bin/python benchmarks/matrix_gaps.py --store :memory:     # builds data/ first

Counts the cells of `pockg compare --missions ... --on NAME -f json` at default
parameters, as issue 14 measured them: a cell is a gap when no source states it.
"""

from __future__ import annotations

import argparse

from pockg import api
from pockg.config import load_settings
from pockg.store import open_store

COMPARISONS = ("framework-gaps", "vulnerable-groups", "risk-coverage", "tier-coverage",
               "drafting-lead", "coordination-by-level")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--missions", default="MONUC,UNAMID,UNMIS")
    parser.add_argument("--store", default=None, help="default: POCKG_STORE or var/store")
    parser.add_argument("--as-of", dest="as_of", default=None)
    args = parser.parse_args()
    settings = load_settings(**({"store": args.store} if args.store else {}))
    store = open_store(settings.store, read_only=settings.store != ":memory:")
    if settings.store == ":memory:":
        from pockg.build import build

        build(settings, store, train_linker=False)
    total_gaps = total_cells = 0
    for name in COMPARISONS:
        extra = {"as_of": args.as_of} if args.as_of and name != "coordination-by-level" else {}
        matrix = api.compare(args.missions, name, store=store, settings=settings, **extra)
        cells = [cell for row in matrix.to_json()["rows"] for cell in row["cells"].values()]
        gaps = sum(1 for c in cells if c["gap"])
        total_gaps, total_cells = total_gaps + gaps, total_cells + len(cells)
        print(f"{name:24s} {gaps:4d} / {len(cells):4d}")
    share = 100 * total_gaps / total_cells if total_cells else 0
    print(f"{'total':24s} {total_gaps:4d} / {total_cells:4d}  ({share:.0f} % gaps)")


if __name__ == "__main__":
    main()
