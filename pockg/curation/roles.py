"""The five roles, in rank order: each may do what the ones before it may."""

from __future__ import annotations

from pockg.errors import ConfigurationError

ROLES = ("reader", "contributor", "curator", "reviewer", "admin")
RANK = {role: i for i, role in enumerate(ROLES)}

DESCRIPTIONS = {
    "reader": "anyone, signed in or not: published public content only",
    "contributor": "submits observations; sees published internal content",
    "curator": "edits lessons and moves them through the lifecycle",
    "reviewer": "validates lessons as learned and promotes best practices",
    "admin": "manages users, backups and everything above",
}


def check_role(role: str) -> str:
    if role not in RANK:
        raise ConfigurationError(f"unknown role {role!r} (choose from {', '.join(ROLES)})")
    return role


def at_least(role: str | None, needed: str) -> bool:
    """True if ``role`` ranks at or above ``needed`` (None is an anonymous reader)."""
    return RANK.get(role or "reader", 0) >= RANK[needed]
