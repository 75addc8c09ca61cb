"""Per-client query-time budgets for the public SPARQL endpoint.

Each client (its address) may spend ``budget_s`` seconds of query time in any
``window_s`` seconds; past that it gets 429 with Retry-After until enough of
its spending has aged out of the window. Kept in memory, per server process.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque


class ClientWindows:
    """Each client's query time in the last ``window_s`` seconds: (when, seconds)
    records, trimmed as they age. A client whose records have all aged out is
    forgotten, so the open web's addresses do not pile up. Not thread-safe: the
    caller holds its own lock."""

    SWEEP_EVERY = 1024           # records added between sweeps of forgotten clients

    def __init__(self, window_s: float):
        self.window_s = float(window_s)
        self._records: dict[str, deque] = {}
        self._added = 0

    def spent(self, client: str, now: float) -> deque | tuple:
        """The client's records still in the window, oldest first."""
        records = self._records.get(client)
        if records is None:
            return ()
        while records and records[0][0] <= now - self.window_s:
            records.popleft()
        if not records:
            del self._records[client]
            return ()
        return records

    def add(self, client: str, now: float, seconds: float) -> None:
        self._records.setdefault(client, deque()).append((now, float(seconds)))
        self._added += 1
        if self._added % self.SWEEP_EVERY == 0:
            for old in [c for c, r in self._records.items() if r[-1][0] <= now - self.window_s]:
                del self._records[old]

    def __len__(self) -> int:
        return len(self._records)


class ClientBudget:
    def __init__(self, budget_s: float, window_s: float, clock=time.monotonic):
        self.budget_s = float(budget_s)
        self.window_s = float(window_s)
        self.clock = clock
        self._spent = ClientWindows(window_s)
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int | None:
        """Seconds to wait when ``client`` is over its budget, else None."""
        if self.budget_s <= 0:
            return None
        with self._lock:
            now = self.clock()
            spent = self._spent.spent(client, now)
            total = sum(s for _, s in spent)
            if total < self.budget_s:
                return None
            # wait until enough spending leaves the window to be under budget again
            for when, seconds in spent:
                total -= seconds
                if total < self.budget_s:
                    return max(1, math.ceil(when + self.window_s - now))
            return max(1, math.ceil(self.window_s))

    def charge(self, client: str, seconds: float) -> None:
        if self.budget_s <= 0:
            return
        with self._lock:
            self._spent.add(client, self.clock(), seconds)
