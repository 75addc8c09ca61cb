"""Lesson snapshots as N-Triples, and the differences between two of them."""

from __future__ import annotations

import io

import pyoxigraph as ox


def to_ntriples(triples) -> str:
    lines = sorted(f"{t.subject} {t.predicate} {t.object} ." for t in triples)
    return "\n".join(lines) + ("\n" if lines else "")


def from_ntriples(text: str) -> list[ox.Triple]:
    if not text.strip():
        return []
    return [ox.Triple(q.subject, q.predicate, q.object)
            for q in ox.parse(io.BytesIO(text.encode("utf-8")), ox.RdfFormat.N_TRIPLES)]


def diff(before, after) -> tuple[list[ox.Triple], list[ox.Triple]]:
    """(removed, added) turning the triples ``before`` into ``after``."""
    b, a = set(before), set(after)
    key = str
    return sorted(b - a, key=key), sorted(a - b, key=key)


def changed_predicates(before, after) -> list[str]:
    removed, added = diff(before, after)
    return sorted({t.predicate.value for t in removed + added})
