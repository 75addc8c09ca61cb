"""CSV that spreadsheets open as data, never as formulas: every CSV pockg writes
goes through ``writer`` or ``DictWriter`` here.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
a formula to Excel and LibreOffice (CSV injection, OWASP). Such a cell gets a
leading ``'``, which spreadsheets read as "text follows". Numbers are left as
they are (``-5`` is not a formula, and numeric columns stay numeric).

The change is reversible, so that an export imports back unchanged
(``restore_cell``, used by the lesson import): export adds one ``'`` to a text
that starts with a trigger character, possibly after quotes of its own
(``'=x`` becomes ``''=x``); import removes one ``'`` from a cell that starts
with quotes followed by a trigger character, and leaves every other cell as
it is (``'hello`` and ``'5`` keep their quote).

The SPARQL endpoint's ``text/csv`` results are W3C's format, written as the
standard says, and do not come through here.
"""

from __future__ import annotations

import csv
import re
from typing import Any, Iterable

TRIGGERS = "=+-@\t\r"
_NEEDS_QUOTE = re.compile(r"'*[=+\-@\t\r]")
_ADDED_QUOTE = re.compile(r"'+[=+\-@\t\r]")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet will take it as text: ``'`` before a formula trigger."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = str(value)
    if _NEEDS_QUOTE.match(text) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def restore_cell(text: str) -> str:
    """The value ``safe_cell`` was given: one added ``'`` removed, nothing else."""
    return text[1:] if _ADDED_QUOTE.match(text) else text


class _Writer:
    """``csv.writer`` whose every cell goes through ``safe_cell``."""

    def __init__(self, out, **kwargs):
        self._writer = csv.writer(out, **kwargs)

    @property
    def dialect(self):
        return self._writer.dialect

    def writerow(self, row: Iterable) -> Any:
        return self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out, **kwargs) -> _Writer:
    """Like ``csv.writer(out, **kwargs)``, with formula triggers neutralised."""
    return _Writer(out, **kwargs)


class DictWriter(csv.DictWriter):
    """Like ``csv.DictWriter``, with formula triggers neutralised (header included)."""

    def writerow(self, rowdict: dict) -> Any:
        return super().writerow({key: safe_cell(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts: Iterable[dict]) -> None:
        for rowdict in rowdicts:
            self.writerow(rowdict)
