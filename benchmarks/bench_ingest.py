"""Benchmark: `pockg ingest` of a 100-page PDF, end to end.

Run by hand:  .venv/bin/python benchmarks/bench_ingest.py [--pages 100] [--runs 5]
Generates a report PDF with fpdf2 (running header, page numbers, headings,
numbered paragraphs, a bullet list, a footnote on every section, paragraphs
running over page breaks) of at least ``--pages`` pages, then times the whole
ingest (read and check in the killable PDF worker, split, RDF, one atomic
write) into a fresh on-disk store in a temporary folder, each run. Prints the
median and worst. Target (issue 5): under 10 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pockg.ingest import ingest, read_document
from pockg.store import open_store

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from ingest.makedocs import report_pdf


def make(path: Path, pages: int) -> tuple[Path, int]:
    """A report of at least ``pages`` pages (about 2.3 pages per 10-paragraph section)."""
    import pypdf

    sections = max(1, pages * 10 // 23)
    while True:
        report_pdf(path, sections=sections, paragraphs=10)
        count = len(pypdf.PdfReader(path).pages)
        if count >= pages:
            return path, count
        sections += max(1, (pages - count) * 10 // 23)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path, count = make(Path(tmp) / "report.pdf", args.pages)
        doc = read_document(path)
        totals, statuses = [], set()
        for run in range(args.runs):
            store = open_store(Path(tmp) / f"store-{run}")
            start = time.perf_counter()
            [result] = ingest(store, [path])
            totals.append(time.perf_counter() - start)
            store.close()
            statuses.add(result.status)
        size = path.stat().st_size
    print(f"pockg ingest of a {count}-page PDF ({size:,} bytes, {len(doc.passages)} passages, "
          f"{sum(p.kind == 'footnote' for p in doc.passages)} footnotes), {args.runs} runs, "
          f"fresh on-disk store each run ({', '.join(sorted(statuses))})")
    median = statistics.median(totals)
    print(f"  total  median {median:6.2f}s  worst {max(totals):6.2f}s  "
          f"{'PASS' if median < 10 else 'FAIL'} (target < 10 s)")


if __name__ == "__main__":
    main()
