"""esorm: async persistence for Elasticsearch in Domain-Driven-Design style.

Plain pydantic entities, a registry beside them, repositories with an identity map,
a unit of work that flushes every change through `_bulk` and reports conflicts per
entity, and a message bus for the domain events of what it wrote. The names here are
the everyday API; each subpackage exports more.
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
    InvalidETagError,
    MappingError,
    NotFoundError,
    NotRegisteredError,
    PreconditionFailedError,
    QueryError,
    RelationNotLoadedError,
    TransportFailedError,
    UnitOfWorkStateError,
    UnreadableDocumentError,
    VersionMismatchError,
    WriteFailure,
)
from esorm.events import EventChainError, Message, MessageBus
from esorm.indices import IndexManager, IndexTemplate
from esorm.mapping import EntityMapping, Registry, Timestamps
from esorm.outbox import OutboxRelay
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
    "EventChainError",
    "Found",
    "HitStream",
    "IndexManager",
    "IndexMappingConflictError",
    "IndexMissingError",
    "IndexTemplate",
    "InvalidETagError",
    "InvalidEntityError",
    "MappingError",
    "Message",
    "MessageBus",
    "NotFoundError",
    "NotRegisteredError",
    "OutboxRelay",
    "PreconditionFailedError",
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
