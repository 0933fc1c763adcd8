"""esorm: async persistence for Elasticsearch in Domain-Driven-Design style.

Plain pydantic entities, a registry beside them, repositories with an identity map,
and a unit of work that flushes every change through `_bulk` and reports conflicts
per entity. The names here are the everyday API; each subpackage exports more.
"""

from esorm.client import ConnectionSettings, connect, create_client
from esorm.errors import (
    CommitError,
    ConfigurationError,
    ConflictError,
    ConnectionFailedError,
    EsormError,
    IndexMappingConflictError,
    IndexMissingError,
    InvalidEntityError,
    MappingError,
    NotFoundError,
    NotRegisteredError,
    QueryError,
    RelationNotLoadedError,
    TransportFailedError,
    UnitOfWorkStateError,
    UnreadableDocumentError,
    VersionMismatchError,
    WriteFailure,
)
from esorm.indices import IndexManager, IndexTemplate
from esorm.mapping import EntityMapping, Registry, Timestamps
from esorm.repository import Found, HitStream, Repository, RepositoryProtocol, SearchResult
from esorm.uow import (
    CommitResult,
    UnitOfWork,
    UnitOfWorkProtocol,
    retry_on_conflict,
    run_with_retry,
)

__all__ = [
    "CommitError",
    "CommitResult",
    "ConfigurationError",
    "ConflictError",
    "ConnectionFailedError",
    "ConnectionSettings",
    "EntityMapping",
    "EsormError",
    "Found",
    "HitStream",
    "IndexManager",
    "IndexMappingConflictError",
    "IndexMissingError",
    "IndexTemplate",
    "InvalidEntityError",
    "MappingError",
    "NotFoundError",
    "NotRegisteredError",
    "QueryError",
    "Registry",
    "RelationNotLoadedError",
    "Repository",
    "RepositoryProtocol",
    "SearchResult",
    "Timestamps",
    "TransportFailedError",
    "UnitOfWork",
    "UnitOfWorkProtocol",
    "UnitOfWorkStateError",
    "UnreadableDocumentError",
    "VersionMismatchError",
    "WriteFailure",
    "connect",
    "create_client",
    "retry_on_conflict",
    "run_with_retry",
]
