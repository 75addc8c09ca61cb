"""Which strategy versions were in force on a day (the ``as_of`` of comparisons).

A strategy is in force on day D when it existed by then (adopted, or else
completed, on or before D), no later version that revises it
(``prov:wasRevisionOf``) existed by D, and its mission had not ended before D. A date known only to the year or
month is compared at that precision: a strategy adopted in 2012 counts as
adopted on any day of 2012. A strategy with no date at all cannot be said to
be in force on any day, so an ``as_of`` comparison leaves it out (and says
so in ``Table.params``).

The filter runs on the query's result, not in SPARQL, so it works the same on
every engine: a comparison names the column holding strategies in its header
(``as_of: strategy``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from pockg.errors import QueryError

_STRATEGIES_Q = """
SELECT ?s ?issued ?completed ?revises ?ended WHERE {
  ?s a pockg:ProtectionStrategy .
  OPTIONAL { ?s pockg:mission ?m . ?m pockg:endDate ?ended }
  OPTIONAL { ?s dcterms:issued ?issued }
  OPTIONAL { ?s pockg:completedBy ?completed }
  OPTIONAL { ?s prov:wasRevisionOf ?revises }
}"""

DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def check_day(value) -> str:
    """``value`` (a date or YYYY-MM-DD) as YYYY-MM-DD, or a QueryError saying why not."""
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value or "").strip()
    if not DAY_RE.match(text):
        raise QueryError(f"as_of: {text!r} is not a day (YYYY-MM-DD)")
    try:
        dt.date.fromisoformat(text)
    except ValueError as exc:
        raise QueryError(f"as_of: {text!r} is not a day of the calendar") from exc
    return text


def on_or_before(date: str, day: str) -> bool:
    """``date`` (YYYY, YYYY-MM or YYYY-MM-DD) is on or before ``day``, at its precision."""
    date = date[:10]
    return date <= day[:len(date)]


def on_or_after(date: str, day: str) -> bool:
    """``date`` is on or after ``day``, at the date's precision."""
    date = date[:10]
    return date >= day[:len(date)]


@dataclass
class Versions:
    since: dict[str, str]            # strategy -> the date it existed by
    revised_by: dict[str, set[str]]  # strategy -> the versions that revise it
    mission_ended: dict[str, str] = field(default_factory=dict)   # strategy -> its mission's end

    def in_force(self, day: str) -> set[str]:
        out = set()
        for s, since in self.since.items():
            if not on_or_before(since, day):
                continue
            if s in self.mission_ended and not on_or_after(self.mission_ended[s], day):
                continue
            later = [r for r in self.revised_by.get(s, ())
                     if r in self.since and on_or_before(self.since[r], day)]
            if not later:
                out.add(s)
        return out


def versions(store) -> Versions:
    since: dict[str, str] = {}
    revised_by: dict[str, set[str]] = {}
    ended: dict[str, str] = {}
    for r in store.select(_STRATEGIES_Q).rows:
        s = r["s"].value
        if "ended" in r:
            ended[s] = r["ended"].value
        date = (r["issued"].value if "issued" in r else
                r["completed"].value if "completed" in r else None)
        if date and (s not in since or date < since[s]):
            since[s] = date
        if "revises" in r:
            revised_by.setdefault(r["revises"].value, set()).add(s)
    return Versions(since, revised_by, ended)


def strategies_in_force(store, day) -> set[str]:
    """The strategies in force on ``day`` (see the module docstring)."""
    return versions(store).in_force(check_day(day))


def keep_in_force(table, column: str, value_columns: list[str], drop_rows: bool,
                  day: str, store) -> None:
    """Filter a library result to the strategies in force on ``day``: rows whose
    ``column`` names another strategy are dropped (``drop_rows``) or lose the
    strategy's values and evidence (their cells become gaps)."""
    keep = strategies_in_force(store, day)
    rows, terms, evidence = [], [], []
    for i, row in enumerate(table.rows):
        ev = table.evidence[i] if i < len(table.evidence) else {}
        strategy = row.get(column)
        if strategy is not None and strategy not in keep:
            if drop_rows:
                continue
            row = {k: v for k, v in row.items() if k not in value_columns}
            terms_row = {k: v for k, v in table.terms[i].items() if k not in value_columns}
            ev = {k: v for k, v in ev.items() if k not in value_columns}
        else:
            terms_row = table.terms[i]
        rows.append(row)
        terms.append(terms_row)
        evidence.append(ev)
    table.rows, table.terms, table.evidence = rows, terms, evidence
    table.params["as_of"] = day
