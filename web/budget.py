"""Per-client query-time budgets for the public SPARQL endpoint.

Each client (its address) may spend ``budget_s`` seconds of query time in any
``window_s`` seconds; past that it gets 429 with Retry-After until enough of
its spending has aged out of the window. Kept in memory, per server process.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque


class ClientBudget:
    def __init__(self, budget_s: float, window_s: float, clock=time.monotonic):
        self.budget_s = float(budget_s)
        self.window_s = float(window_s)
        self.clock = clock
        self._spent: dict[str, deque] = defaultdict(deque)   # client -> (when, seconds)
        self._lock = threading.Lock()

    def _trim(self, client: str, now: float) -> deque:
        spent = self._spent[client]
        while spent and spent[0][0] <= now - self.window_s:
            spent.popleft()
        return spent

    def retry_after(self, client: str) -> int | None:
        """Seconds to wait when ``client`` is over its budget, else None."""
        if self.budget_s <= 0:
            return None
        with self._lock:
            now = self.clock()
            spent = self._trim(client, now)
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
            now = self.clock()
            self._trim(client, now).append((now, float(seconds)))
