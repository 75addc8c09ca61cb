"""Fair shares of the SPARQL workers (web/fairness.py): the bookkeeping alone,
with a clock the tests move by hand."""

from __future__ import annotations

from web.fairness import Fairness, Running, Waiter


def fair() -> Fairness:
    return Fairness(short_s=1.0, reserved=1, window_s=60.0)


def heavy(f, client, now, running=()):
    return f.is_heavy(client, now, list(running))


def test_a_client_is_heavy_after_one_long_query_in_the_window():
    f = fair()
    f.record("a", now=0.0, seconds=0.4)
    assert not heavy(f, "a", 1.0)
    f.record("a", now=2.0, seconds=1.2)
    assert heavy(f, "a", 2.0)
    assert not heavy(f, "a", 62.5)                            # it left the window


def test_many_short_queries_stay_light_until_ten_short_limits_in_all():
    f = fair()
    for i in range(60):                                       # a 20 ms query every second
        f.record("a", now=float(i), seconds=0.02)
    assert not heavy(f, "a", 59.5)
    for i in range(60):
        f.record("b", now=i / 2, seconds=0.35)                # 21 s of 0.35 s queries
    assert heavy(f, "b", 30.0)


def test_a_running_query_makes_its_client_heavy_once_it_is_long():
    f = fair()
    f.record("a", now=0.0, seconds=0.01)
    running = [Running("a", since=10.0, heavy=False)]
    assert not heavy(f, "a", 10.5, running)
    assert heavy(f, "a", 11.2, running)


def test_unknown_clients_rank_behind_clients_with_a_record_of_short_queries():
    f = fair()
    f.record("known", now=0.0, seconds=0.02)
    unknown, known = Waiter("unknown", arrived=1.0), Waiter("known", arrived=2.0)
    assert f.rank([unknown, known], 3.0, []) == [known, unknown]


def test_light_waiters_rank_before_heavy_ones_whatever_their_arrival():
    f = fair()
    f.record("heavy", now=0.0, seconds=5.0)
    f.record("light", now=0.0, seconds=0.1)
    heavy, light = Waiter("heavy", arrived=1.0), Waiter("light", arrived=9.0)
    assert f.rank([heavy, light], 10.0, []) == [light, heavy]
    assert heavy.heavy and not light.heavy


def test_a_heavy_client_may_not_take_the_reserved_worker():
    f = fair()
    f.record("h", now=0.0, seconds=5.0)
    f.record("l", now=0.0, seconds=0.1)
    running = [Running("x", since=0.0, heavy=True)]          # one long query on one of 2
    heavy, light = Waiter("h", 1.0), Waiter("l", 1.0)
    f.rank([heavy, light], 2.0, running)
    assert not f.may_start(heavy, running, size=2, now=2.0)
    assert f.may_start(light, running, size=2, now=2.0)
    assert f.may_start(heavy, [], size=2, now=2.0)            # nothing long: it may
    assert f.may_start(heavy, running, size=3, now=2.0)       # 2 of 3 are not reserved


def test_a_single_worker_is_never_reserved_away():
    f = fair()
    f.record("h", now=0.0, seconds=5.0)
    heavy = Waiter("h", 1.0)
    f.rank([heavy], 1.0, [])
    assert f.may_start(heavy, [], size=1, now=1.0)


def test_the_victim_is_the_longest_running_query_of_another_client():
    f = fair()
    older, newer = Running("a", since=0.0, heavy=False), Running("b", since=3.0, heavy=False)
    light = Waiter("d", 5.0)
    f.rank([light], 5.0, [older, newer])
    assert f.victim(light, [older, newer], 5.0) is older
    older.preempted = True                                    # already stopped: not twice
    assert f.victim(light, [older, newer], 5.0) is newer


def test_nothing_is_stopped_while_some_worker_is_on_a_young_query():
    f = fair()
    long_ = Running("a", since=0.0, heavy=True)
    young = Running("b", since=4.6, heavy=True)                # heavy, but only 0.4 s in
    light = Waiter("d", 5.0)
    f.rank([light], 5.0, [long_, young])
    assert f.victim(light, [long_, young], 5.0) is None
    assert f.victim(light, [long_, young], 5.7) is long_


def test_nobody_preempts_their_own_query_or_a_short_one_and_heavy_clients_never_do():
    f = fair()
    mine = Running("a", since=0.0, heavy=False)
    short = Running("b", since=4.5, heavy=False)
    me = Waiter("a", 5.0)
    f.rank([me], 5.0, [])
    assert f.victim(me, [mine, short], 5.0) is None
    f.record("h", now=0.0, seconds=9.0)
    heavy = Waiter("h", 5.0)
    f.rank([heavy], 5.0, [])
    assert f.victim(heavy, [mine], 5.0) is None


def test_next_long_says_when_a_running_query_becomes_a_victim():
    f = fair()
    running = [Running("a", since=4.2, heavy=True), Running("b", since=None, heavy=False)]
    assert abs(f.next_long(running, 4.5) - 0.7) < 1e-9
    assert f.next_long([], 4.5) is None


def test_clients_whose_query_time_left_the_window_are_forgotten():
    from web.budget import ClientWindows

    windows = ClientWindows(window_s=60.0)
    for i in range(ClientWindows.SWEEP_EVERY - 1):
        windows.add(f"10.0.{i // 256}.{i % 256}", now=0.0, seconds=0.01)
    assert len(windows) == ClientWindows.SWEEP_EVERY - 1
    assert windows.spent("10.0.0.1", now=61.0) == ()            # aged out: gone on sight
    windows.add("10.9.9.9", now=61.0, seconds=0.01)              # a sweep: the rest go too
    assert len(windows) == 1
