"""Matrices: a library result pivoted into rows × columns, every cell with
its evidence, gaps marked as gaps, differences between rows flagged.

Two shapes, named in a query's ``matrix:`` header:
- attribute matrix ``{row, columns: [...]}``: one row per ``row`` value, one
  column per attribute (the drafting-lead comparison);
- concept matrix ``{row, column, value}``: one column per distinct ``column``
  value (tiers, framework elements), a cell holds ``value`` where bound.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from pockg import csv_safe
from pockg.errors import QueryError
from pockg.library import Table, public_evidence

GAP = "gap"


@dataclass
class Cell:
    values: list[str] = field(default_factory=list)      # labels shown
    evidence: list[dict] = field(default_factory=list)

    @property
    def gap(self) -> bool:
        return not self.values

    def text(self) -> str:
        return "; ".join(self.values) if self.values else GAP


@dataclass
class Matrix:
    name: str
    row_header: str
    columns: list[str]
    rows: list[tuple[str, str]]                          # (key, label)
    cells: dict[tuple[str, str], Cell]
    params: dict

    def cell(self, row: str, column: str) -> Cell:
        return self.cells.get((row, column), Cell())

    def differs(self, column: str) -> bool:
        """True when the rows that are not gaps do not all say the same."""
        seen = {self.cell(key, column).text() for key, _ in self.rows
                if not self.cell(key, column).gap}
        return len(seen) > 1

    # -- outputs ----------------------------------------------------------
    def to_json(self) -> dict:
        return {
            "name": self.name, "params": self.params, "row_header": self.row_header,
            "columns": self.columns,
            "differs": {c: self.differs(c) for c in self.columns},
            "rows": [{"key": key, "label": label,
                      "cells": {c: {"values": self.cell(key, c).values, "gap": self.cell(key, c).gap,
                                    "evidence": [public_evidence(e)
                                                 for e in self.cell(key, c).evidence]}
                                for c in self.columns}}
                     for key, label in self.rows],
        }

    def to_csv(self) -> str:
        """One row per matrix row, one column per attribute, plus evidence columns."""
        out = io.StringIO()
        writer = csv_safe.writer(out)
        header = [self.row_header]
        for c in self.columns:
            header += [c, f"{c} document", f"{c} paragraph", f"{c} quote", f"{c} source",
                       f"{c}_status"]
        writer.writerow(header)
        for key, label in self.rows:
            line = [label]
            for c in self.columns:
                cell = self.cell(key, c)
                ev = cell.evidence
                line += [cell.text(),
                         " | ".join(e["document"] or "" for e in ev if e["kind"] == "passage"),
                         " | ".join(e["paragraph"] or "" for e in ev if e["kind"] == "passage"),
                         " | ".join(e["quote"] or "" for e in ev if e.get("quote")),
                         " | ".join((e.get("title") or e["source"] or "") for e in ev
                                    if e["kind"] == "source"),
                         " | ".join(dict.fromkeys(e.get("status_label") or e["status"]
                                                  for e in ev if e.get("status")))]
            writer.writerow(line)
        return out.getvalue()

    def notes(self) -> tuple[dict[tuple[str, str], list[int]], list[str]]:
        """Footnote numbers per cell and the footnote texts, in reading order."""
        marks: dict[tuple[str, str], list[int]] = {}
        texts: list[str] = []
        for key, _ in self.rows:
            for c in self.columns:
                for e in self.cell(key, c).evidence:
                    text = describe(e)
                    if text not in texts:
                        texts.append(text)
                    marks.setdefault((key, c), []).append(texts.index(text) + 1)
        return marks, texts

    def to_markdown(self) -> str:
        marks, texts = self.notes()
        lines = [f"| {self.row_header} | " + " | ".join(
            f"{c} (differs)" if self.differs(c) else c for c in self.columns) + " |",
            "|" + "---|" * (len(self.columns) + 1)]
        for key, label in self.rows:
            cells = []
            for c in self.columns:
                cell = self.cell(key, c)
                shown = "*gap*" if cell.gap else md_escape(cell.text())
                shown += "".join(f"[^{n}]" for n in sorted(set(marks.get((key, c), []))))
                cells.append(shown)
            lines.append(f"| {md_escape(label)} | " + " | ".join(cells) + " |")
        lines.append("")
        lines.append("*gap*: no source states it. (differs): the rows do not all agree.")
        lines.append("")
        lines += [f"[^{n}]: {md_escape(t)}" for n, t in enumerate(texts, start=1)]
        return "\n".join(lines) + "\n"

    def to_text(self, color: bool = False) -> str:
        """A terminal table: differing columns marked *, gaps shown as 'gap'."""
        header = [self.row_header] + [c + (" *" if self.differs(c) else "") for c in self.columns]
        body = [[label] + [self.cell(key, c).text() for c in self.columns] for key, label in self.rows]
        widths = [min(40, max(len(r[i]) for r in [header] + body)) for i in range(len(header))]

        def fit(text, width):
            return text if len(text) <= width else text[:width - 1] + "…"

        def paint(text, column_index, is_gap):
            if not color:
                return text
            if is_gap:
                return f"\x1b[2m{text}\x1b[0m"
            if column_index and self.differs(self.columns[column_index - 1]):
                return f"\x1b[33m{text}\x1b[0m"
            return text

        lines = ["  ".join(fit(h, w).ljust(w) for h, w in zip(header, widths)),
                 "  ".join("-" * w for w in widths)]
        for (key, _), row in zip(self.rows, body):
            parts = []
            for i, (text, w) in enumerate(zip(row, widths)):
                is_gap = i > 0 and self.cell(key, self.columns[i - 1]).gap
                parts.append(paint(fit(text, w).ljust(w), i, is_gap))
            lines.append("  ".join(parts))
        lines.append("")
        lines.append("* the rows differ in this column;  gap: no source states it")
        return "\n".join(lines) + "\n"

    def to_docx(self, path) -> None:
        """A Word document for a policy brief: the matrix, then numbered notes."""
        try:
            import docx
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise QueryError("DOCX output needs python-docx") from exc
        marks, texts = self.notes()
        doc = docx.Document()
        doc.add_heading(f"pockg comparison: {self.name}", level=1)
        doc.add_paragraph(", ".join(f"{k}: {v if isinstance(v, str) else ', '.join(v)}"
                                    for k, v in self.params.items()))
        table = doc.add_table(rows=1, cols=len(self.columns) + 1)
        table.style = "Table Grid"
        for i, h in enumerate([self.row_header] + self.columns):
            table.rows[0].cells[i].text = h + (" (differs)" if i and self.differs(h) else "")
        for key, label in self.rows:
            row = table.add_row().cells
            row[0].text = label
            for i, c in enumerate(self.columns, start=1):
                cell = self.cell(key, c)
                para = row[i].paragraphs[0]
                para.add_run(cell.text()).italic = cell.gap
                numbers = sorted(set(marks.get((key, c), [])))
                if numbers:
                    run = para.add_run(",".join(map(str, numbers)))
                    run.font.superscript = True
        doc.add_paragraph("gap: no source states it. (differs): the rows do not all agree.")
        doc.add_heading("Notes", level=2)
        for n, text in enumerate(texts, start=1):
            doc.add_paragraph(f"{n}. {text}")
        doc.save(str(path))


def md_escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def describe(e: dict) -> str:
    """One line of evidence for a footnote."""
    status = f" [{e['status']}]" if e.get("status") else ""
    note = f" Note: {e['note']}" if e.get("note") else ""
    if e["kind"] == "passage":
        doc = (e.get("document") or "").rsplit("/", 1)[-1]
        quote = f': "{e["quote"]}"' if e.get("quote") else ""
        return f"{doc} ¶{e['paragraph']}{quote}{status}{read_from(e)}{note}"
    title = e.get("title") or (e.get("source") or "").rsplit("/", 1)[-1]
    url = f" <{e['url']}>" if e.get("url") else ""
    return f"{title}{url}{status}{note}"


ROLE_WORDS = {"text": "the strategy's own text", "report": "a report about it",
              "evaluation": "an evaluation of it"}


def read_from(e: dict) -> str:
    """For evidence read from a document's accepted link: its role and reviewer."""
    if not e.get("role"):
        return ""
    # a person is named in the graph by an opaque id, never by the sign-in name
    by = ("; link accepted in the curated data"
          if (e.get("reviewer") or "").endswith("/pockg-curated-data")
          else "; link accepted by a reviewer")
    return f" ({ROLE_WORDS.get(e['role'], e['role'])}{by})"


def label_of(row: dict, column: str) -> str | None:
    return row.get(column + "Label") or row.get(column)


def to_matrix(table: Table) -> Matrix:
    """Pivot a library result by its ``matrix:`` header."""
    spec = (table.query.meta.get("matrix") if table.query else None) or {}
    if "row" not in spec:
        raise QueryError(f"{table.name} has no matrix view (its header has no matrix: row)")
    row_col = spec["row"]
    rows: list[tuple[str, str]] = []
    cells: dict[tuple[str, str], Cell] = {}
    if "columns" in spec:
        columns = list(spec["columns"])
    else:
        columns = []
    for i, row in enumerate(table.rows):
        key = row.get(row_col)
        if key is None:
            continue
        if key not in {k for k, _ in rows}:
            rows.append((key, label_of(row, row_col) or key))
        evidence = table.evidence[i] if i < len(table.evidence) else {}
        if "columns" in spec:
            pairs = [(c, c) for c in columns]
        else:
            column_name = label_of(row, spec["column"])
            if column_name is None:
                continue
            if column_name not in columns:
                columns.append(column_name)
            pairs = [(column_name, spec["value"])]
        for column, source in pairs:
            cell = cells.setdefault((key, column), Cell())
            value = label_of(row, source)
            if value is not None and value not in cell.values:
                cell.values.append(value)
            for e in evidence.get(source, []):
                if e not in cell.evidence:
                    cell.evidence.append(e)
    return Matrix(table.name, row_col, columns, rows, cells, table.params)
