"""Repositories that load and register aggregates through an identity map."""

from esorm.repository._changes import Change, ChangeKind, pending_changes, validate_entity
from esorm.repository._context import RepositoryContext
from esorm.repository._guard import TaskGuard
from esorm.repository._hydration import hydrate_all
from esorm.repository._identity import Doubt, Entry, IdentityKey, IdentityMap, Pin, State
from esorm.repository._pins import Expected, entry_etag, entry_version
from esorm.repository._protocols import EntityStream, RepositoryProtocol
from esorm.repository._repository import Found, Repository
from esorm.repository._results import SearchResult
from esorm.repository._scopes import ScopeMark
from esorm.repository._stream import HitStream, close_streams

__all__ = [
    "Change",
    "ChangeKind",
    "Doubt",
    "EntityStream",
    "Entry",
    "Expected",
    "Found",
    "HitStream",
    "IdentityKey",
    "IdentityMap",
    "Pin",
    "Repository",
    "RepositoryContext",
    "RepositoryProtocol",
    "ScopeMark",
    "SearchResult",
    "State",
    "TaskGuard",
    "close_streams",
    "entry_etag",
    "entry_version",
    "hydrate_all",
    "pending_changes",
    "validate_entity",
]
