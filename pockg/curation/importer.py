"""Bulk import of observations from CSV or XLSX, with a per-row report.

The first row names the columns: the lesson's field keys (``prefLabel``,
``observation``, ``mission`` …) or their English names (``title``,
``missions`` …). Several references in a cell are separated by ``;`` or new
lines. Every row is checked first; if any has an error nothing is imported,
unless ``valid_only`` is asked, and then the valid rows are imported in one
transaction. A cell that the CSV export guarded with a ``'`` (``'=SUM(A1)``,
see ``pockg.csv_safe``) is read back without it, so an export imports back
unchanged.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field

from pockg.csv_safe import restore_cell
from pockg.curation.service import parse_values
from pockg.errors import IngestError

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_XLSX_UNPACKED = 50 * 1024 * 1024


@dataclass
class RowResult:
    line: int
    errors: list[str] = field(default_factory=list)
    id: str | None = None


@dataclass
class ImportReport:
    file: str
    rows: list[RowResult]
    imported: int = 0
    refused: bool = False

    @property
    def summary(self) -> str:
        bad = sum(1 for r in self.rows if r.errors)
        if self.refused:
            return (f"{self.file}: {bad} of {len(self.rows)} rows have errors; nothing was "
                    "imported (fix them, or import the valid rows only)")
        return f"{self.file}: imported {self.imported} of {len(self.rows)} rows" + (
            f"; {bad} rows with errors were left out" if bad else "")

    def as_dict(self) -> dict:
        return {"ok": not self.refused, "file": self.file, "imported": self.imported,
                "summary": self.summary,
                "rows": [{"line": r.line, "errors": r.errors, "id": r.id} for r in self.rows]}


def read_table(data: bytes, filename: str) -> list[tuple[int, dict[str, str]]]:
    """(line number, column → cell) for each data row of a CSV or XLSX file."""
    if len(data) > MAX_BYTES:
        raise IngestError(f"the file is over {MAX_BYTES // 1024 // 1024} MB", filename, 413)
    if not data.strip():
        raise IngestError("the file is empty", filename)
    name = filename.lower()
    if name.endswith(".xlsx"):
        rows = _xlsx_rows(data, filename)
    elif name.endswith(".csv") or name.endswith(".txt"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise IngestError(f"not UTF-8 text (byte {exc.start}); save the CSV as UTF-8",
                              filename) from None
        if "\x00" in text:
            raise IngestError("binary data in a CSV file", filename)
        reader = csv.reader(io.StringIO(text))
        try:
            rows = list(reader)
        except csv.Error as exc:          # e.g. a cell over the csv module's field limit
            raise IngestError(f"line {reader.line_num}: not a readable CSV row ({exc})",
                              filename) from None
    else:
        raise IngestError("unsupported type: import .csv or .xlsx", filename, 415)
    if not rows:
        raise IngestError("no header row", filename)
    header = [restore_cell(str(h or "").strip()) for h in rows[0]]
    out = []
    for number, row in enumerate(rows[1:], start=2):
        if len(out) >= MAX_ROWS:
            raise IngestError(f"more than {MAX_ROWS} rows; split the file", filename, 413)
        cells = {header[i]: restore_cell(str(v).strip()) for i, v in enumerate(row)
                 if i < len(header) and header[i] and v is not None and str(v).strip()}
        if cells:
            out.append((number, cells))
    return out


def _xlsx_rows(data: bytes, filename: str) -> list[list]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if sum(i.file_size for i in z.infolist()) > MAX_XLSX_UNPACKED:
                raise IngestError("the workbook unpacks to too much data (zip bomb?)", filename, 413)
    except zipfile.BadZipFile:
        raise IngestError("not a valid XLSX workbook (corrupt or another format)", filename) from None
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2)]
        book.close()
    except Exception as exc:  # openpyxl raises many kinds on a broken workbook
        raise IngestError(f"cannot read the workbook: {exc}", filename) from None
    return rows


def _columns(fields) -> dict[str, str]:
    names = {}
    for spec in fields:
        if spec.record:
            continue
        names[spec.key.lower()] = spec.key
        for name in spec.names.values():
            names[name.lower()] = spec.key
    return names


def import_file(service, data: bytes, filename: str, actor, valid_only: bool = False,
                lang: str = "en") -> ImportReport:
    table = read_table(data, filename)
    columns = _columns(service.fields)
    results, valid = [], []
    for line, cells in table:
        result = RowResult(line)
        form: dict[str, list[str]] = {}
        for column, cell in cells.items():
            key = columns.get(column.lower())
            if key is None:
                result.errors.append(f"unknown column {column!r}")
                continue
            form[key] = [p.strip() for p in cell.replace(";", "\n").split("\n")] \
                if service.by_key[key].kind == "iri" else [cell]
        values, errors = parse_values(service.fields, form, lang)
        for messages in errors.values():
            result.errors.extend(messages)
        if not errors:
            for messages in service.check_values(values).values():
                result.errors.extend(messages)
        results.append(result)
        if not result.errors:
            valid.append((result, values))
    report = ImportReport(filename, results)
    if any(r.errors for r in results) and not valid_only:
        report.refused = True
        return report
    ids = service.create_many([v for _, v in valid], actor)
    for (result, _), lesson_id in zip(valid, ids):
        result.id = lesson_id
    report.imported = len(ids)
    return report
