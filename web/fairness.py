"""Who gets the next SPARQL worker: short queries first, heavy clients share what is left.

The worker pool (``web.query_worker.WorkerPool``) asks this module three
questions, under its own lock, with the clock passed in:

* how heavy is a client? Its weight, which orders the waiters, is its query
  time in the last ``window_s`` seconds (finished queries and the ones still
  running); a client with no short query in the window yet counts half a
  short query more, so that clients with a record of short queries are served
  before unknown ones. It is *heavy* once one of its queries in the window ran
  ``short_s`` or more (or is running that long), or its queries took ten
  times that in all;
* may a waiting request start now? A heavy client, and any query that is
  costly by its own shape (``web.query_cost``: a cross product, a scan, an
  open closure), may only use the workers that are not reserved: at most
  ``size - reserved`` long-running queries at a time, so a worker stays free
  for cheap queries. The shape counts because a client's record says nothing
  about a new client: an attacker rotating addresses is always new;
* whose query gives way? When a light client waits and every worker is on a
  query that has run past ``short_s``, the longest of them (another client's)
  is stopped (its client gets 503 with Retry-After) and the light query takes
  the fresh worker. While some worker is on a younger query, the waiter waits
  for it instead: a short query frees its worker sooner than a restart would.

Pure bookkeeping: no processes, no locks (the pool holds its own).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from web.budget import ClientWindows


@dataclass(eq=False)
class Running:
    """A query being answered by a worker."""

    client: str
    since: float | None          # when it was sent to its worker (None while it starts)
    heavy: bool                  # its client was heavy when it started
    preempted: bool = False      # stopped to make room for a shorter query
    cheap: bool = True           # cheap by its shape (web.query_cost)

    def long(self, now: float, short_s: float) -> bool:
        return (self.heavy or not self.cheap
                or (self.since is not None and now - self.since >= short_s))


@dataclass(eq=False)
class Waiter:
    """A request waiting for a worker."""

    client: str
    arrived: float
    weight: float = 0.0
    heavy: bool = False
    cheap: bool = True           # its query is cheap by its shape
    why: str = ""                # if not, why (for the busy message)

    @property
    def restricted(self) -> bool:
        """Kept off the reserved workers: a heavy client, or a costly query."""
        return self.heavy or not self.cheap


@dataclass
class Fairness:
    short_s: float = 1.0         # a query running longer than this is long
    reserved: int = 1            # workers kept from heavy clients
    window_s: float = 60.0       # how far back a client's query time counts
    history: ClientWindows = field(init=False)   # each client's query times in the window
    HEAVY_TOTAL = 10             # short limits of query time in the window that make heavy

    def __post_init__(self) -> None:
        self.history = ClientWindows(self.window_s)

    # -- standing ------------------------------------------------------------------
    def record(self, client: str, now: float, seconds: float) -> None:
        """``client``'s query ran ``seconds`` (finished, stopped or failed)."""
        self.history.add(client, now, max(0.0, seconds))

    def weight(self, client: str, now: float, running) -> float:
        spent = self.history.spent(client, now)
        total = sum(s for _, s in spent)
        total += sum(now - r.since for r in running if r.client == client and r.since is not None)
        if not any(s < self.short_s for _, s in spent):
            total += self.short_s / 2          # unknown so far: behind known short-query clients
        return total

    def is_heavy(self, client: str, now: float, running) -> bool:
        """Heavy: a query of the client's ran ``short_s`` or more in the window (or is
        running that long now), or its queries took ``HEAVY_TOTAL`` short limits in
        all (many small queries: a page's worth of SPARQL every second stays light)."""
        spent = self.history.spent(client, now)
        if any(s >= self.short_s for _, s in spent):
            return True
        if any(r.client == client and r.since is not None and now - r.since >= self.short_s
               for r in running):
            return True
        return sum(s for _, s in spent) >= self.HEAVY_TOTAL * self.short_s

    # -- decisions -------------------------------------------------------------------
    def heavy_slots(self, size: int) -> int:
        return max(1, size - max(0, self.reserved))

    def long_running(self, running, now: float) -> int:
        return sum(1 for r in running if r.long(now, self.short_s) and not r.preempted)

    def may_start(self, waiter: Waiter, running, size: int, now: float) -> bool:
        """Whether ``waiter``'s class may take a free worker (the pool checks there is one)."""
        return not waiter.restricted or self.long_running(running, now) < self.heavy_slots(size)

    def rank(self, waiters, now: float, running) -> list[Waiter]:
        """The waiters in serving order: cheap queries of light clients first, lighter
        first, then by arrival."""
        for w in waiters:
            w.weight = self.weight(w.client, now, running)
            w.heavy = self.is_heavy(w.client, now, running)
        return sorted(waiters, key=lambda w: (w.restricted, round(w.weight, 1), w.arrived))

    def victim(self, waiter: Waiter, running, now: float) -> Running | None:
        """The query to stop for ``waiter`` (a cheap query of a light client), or None.

        Only when every worker is on a query that has run ``short_s`` or more
        (a short one frees its worker soon: better to wait for it); then the one
        that has run longest, never the waiter's own.
        """
        if waiter.restricted:
            return None
        live = [r for r in running if not r.preempted]
        if any(r.since is None or now - r.since < self.short_s for r in live):
            return None
        candidates = [r for r in live if r.client != waiter.client]
        return max(candidates, key=lambda r: now - r.since, default=None)

    def next_long(self, running, now: float) -> float | None:
        """Seconds until the next running query has run ``short_s`` (when a
        waiter may find a victim), if any is younger."""
        times = [r.since + self.short_s - now for r in running
                 if not r.preempted and r.since is not None and now - r.since < self.short_s]
        return max(0.0, min(times)) if times else None
