"""Where curated content lives, and which named graphs each role may see.

A graph's *tier* is the path segment after ``/user/`` or ``/graph/``:

* ``public``  published public lessons, ingested documents, links: everyone;
* ``internal`` published internal lessons: contributors and above;
* ``draft``   lessons not yet published (or rejected): curators and above
  (contributors see their own through the curation pages);
* ``review``  history events and comments: curators and above.

Any other graph (everything ``pockg build`` writes) is public. The public
SPARQL endpoint always queries with the reader's view.
"""

from __future__ import annotations

from pockg import vocab as V
from pockg.curation.roles import at_least

RESTRICTED = {"internal": "contributor", "draft": "curator", "review": "curator"}


def tier_of(graph: str) -> str:
    for root in (V.USER, V.GRAPH):
        if graph.startswith(root):
            segment = graph[len(root):].split("/", 1)[0]
            if segment in RESTRICTED:
                return segment
            return "public"
    return "public"


def visible(graph: str, role: str | None) -> bool:
    """May ``role`` (None: anonymous) see the named graph ``graph``?"""
    needed = RESTRICTED.get(tier_of(graph))
    return needed is None or at_least(role, needed)


def sees_everything(role: str | None) -> bool:
    return all(at_least(role, needed) for needed in RESTRICTED.values())


def lesson_graph(lesson_id: str, tier: str, root: str = V.USER) -> str:
    return f"{root}{tier}/lesson/{lesson_id}"


def review_graph(lesson_id: str) -> str:
    return f"{V.USER}review/lesson/{lesson_id}"


def lesson_graphs(lesson_id: str, root: str = V.USER) -> list[str]:
    """Every graph a lesson may live in (it lives in exactly one)."""
    return [lesson_graph(lesson_id, t, root) for t in ("public", "internal", "draft")]


AGENTS_GRAPH = V.USER + "review/agents"   # who is who: staff only


def tier_for(published: bool, public: bool) -> str:
    if not published:
        return "draft"
    return "public" if public else "internal"
