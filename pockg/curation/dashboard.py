"""The curation dashboard: lessons per state, time spent in each state
(from the history events), the backlog by age, and counts by mission and tier."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict


def _when(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


AGE_BUCKETS = ((7, "under a week"), (30, "1 to 4 weeks"), (90, "1 to 3 months"),
               (None, "over 3 months"))


def dashboard(service, viewer, now: dt.datetime | None = None) -> dict:
    now = now or dt.datetime.now(dt.timezone.utc)
    published = service.published_states()
    initial = service.initial_state()
    rows = service.list(viewer)
    by_state, by_mission, by_tier, backlog = Counter(), Counter(), Counter(), Counter()
    spent: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        record = service.get(row["id"], viewer)
        by_state[record.state] += 1
        for m in record.values("mission"):
            by_mission[m.value] += 1
        for t in record.values("tier"):
            by_tier[t.value] += 1
        created = _when(row["created"])
        if record.state not in published and created:
            age = (now - created).days
            label = next(name for limit, name in AGE_BUCKETS if limit is None or age < limit)
            backlog[label] += 1
        # time in each state: from creation (initial state) through each transition
        marks = [(created, initial)] if created else []
        for event in service.history(row["id"], _staff(viewer)):
            if event.to_state:
                marks.append((_when(event.when), event.to_state))
        for (start, state), (end, _next) in zip(marks, marks[1:] + [(now, None)]):
            if start and end:
                spent[state].append(max(0.0, (end - start).total_seconds() / 86400))
    time_in_state = {
        state: {"lessons": len(days), "median_days": round(statistics.median(days), 1),
                "mean_days": round(statistics.fmean(days), 1), "max_days": round(max(days), 1)}
        for state, days in sorted(spent.items())}
    return {"total": len(rows), "by_state": dict(by_state.most_common()),
            "time_in_state": time_in_state,
            "backlog_by_age": {name: backlog[name] for _, name in AGE_BUCKETS if backlog[name]},
            "by_mission": dict(by_mission.most_common()), "by_tier": dict(sorted(by_tier.items()))}


def _staff(viewer):
    from pockg.accounts import User

    return viewer if viewer and viewer.role in ("curator", "reviewer", "admin") else User("system", "admin")
