"""Repositories that load and register aggregates through an identity map."""

from esorm.repository._identity import Entry, IdentityKey, IdentityMap, State
from esorm.repository._repository import Found, Repository
from esorm.repository._search import HitStream, SearchResult
from esorm.repository._session import Session

__all__ = [
    "Entry",
    "Found",
    "HitStream",
    "IdentityKey",
    "IdentityMap",
    "Repository",
    "SearchResult",
    "Session",
    "State",
]
