"""The page cache: rendered pages for people not signed in, kept between the writes
that readers can see.

A page for people not signed in depends only on what readers may see, the
request URL (host, path, query string), the negotiated format and the
language (``cacheable``: signed-in pages carry their user's name and form
token, and are never kept). What readers see changes only through the app's
own writer, which empties the cache after each such change (a draft's does
not); so rendered pages are kept between writes, up to PAGE_CACHE_BYTES
(config; 0 turns the cache off). Rendering a page costs 40-120 ms of Python
(queries for statements, sources, labels and links, then the template); a
kept page costs about 1 ms, which is what lets the server answer hundreds
of entity pages a second on 2 cores (benchmarks/load_test.py).

``cached`` wraps a view: a GET from someone not signed in, with no message
pending, is answered from the cache when it can be; a page it renders is kept
unless it touched the session or carries a form token.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict

from flask import Response, current_app, g, request, session

from pockg.config import MEMORY
from pockg.replica import touches_public
from web.i18n import current_language
from web.state import current

PAGE_CACHE_BYTES = 64 * 1024 * 1024
_cache_lock = threading.Lock()


class PageCache:
    """A thread-safe LRU of rendered responses, bounded by the bytes of their bodies."""

    def __init__(self, limit: int):
        self.limit, self.size = limit, 0
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def clear(self, *_) -> None:
        with self._lock:
            self._items.clear()
            self.size = 0

    def forget(self, change) -> None:
        """After a write: every kept page if readers can see the change (a draft
        edit keeps them all)."""
        if touches_public(change):
            self.clear()

    def get(self, key):
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key, value) -> None:
        size = len(value[0])
        if size > self.limit // 8:   # one huge page never empties the cache
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.size -= len(old[0])
            self._items[key] = value
            self.size += size
            while self.size > self.limit:
                _, dropped = self._items.popitem(last=False)
                self.size -= len(dropped[0])


def page_cache() -> PageCache | None:
    """The app's page cache, or None when the store may change (in memory, or given)."""
    state = current()
    found = state.extras.get("page_cache", False)
    if found is not False:
        return found
    with _cache_lock:
        found = state.extras.get("page_cache", False)
        if found is False:
            limit = int(current_app.config.get("PAGE_CACHE_BYTES", PAGE_CACHE_BYTES) or 0)
            own_store = (state.settings.store != MEMORY
                         and current_app.config.get("STORE_OBJECT") is None)
            found = PageCache(limit) if limit > 0 and own_store else None
            if found is not None and state.writer is not None:
                state.writer.on_change(found.forget)
            state.extras["page_cache"] = found
    return found


def cacheable() -> bool:
    """Whether this request's page may be kept and served to others: only pages for
    people not signed in (a signed-in page shows its user's name and form token),
    and none that shows a one-time message (flash)."""
    return g.get("user") is None and "_flashes" not in session


def cached(view):
    """Serve ``view``'s page from the cache when the request allows it (``cacheable``)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        cache = page_cache()
        if cache is None or request.method != "GET" or not cacheable():
            return view(*args, **kwargs)
        key = (request.url_root, request.path, request.query_string,
               request.headers.get("Accept", ""), current_language())
        kept = cache.get(key)
        if kept is not None:
            body, headers = kept
            return Response(body, headers=headers)
        response = current_app.make_response(view(*args, **kwargs))
        body = response.get_data()
        if (response.status_code == 200 and not session.modified
                and b'name="csrf_token"' not in body):
            cache.put(key, (body, list(response.headers.items())))
        return response

    return wrapper
