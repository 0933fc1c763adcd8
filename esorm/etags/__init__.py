"""Versions as HTTP entity tags: esorm's strong ETags, and `If-Match`/`If-None-Match` values.

An ETag names one version of one document (`_seq_no`, `_primary_term`, concrete index,
id, entity type). Pinning a tracked entity to the version a client sent
(`repository.get(id, expected=if_match)`, `uow.pin`) makes its next write guarded by that
version, so the server itself refuses a stale one.
"""

from esorm.etags._conditions import (
    IfMatch,
    IfNoneMatch,
    Precondition,
    parse_if_match,
    parse_if_none_match,
)
from esorm.etags._tags import EntityTag
from esorm.etags._versions import EntityVersion, kind_of, place_of

__all__ = [
    "EntityTag",
    "EntityVersion",
    "IfMatch",
    "IfNoneMatch",
    "Precondition",
    "kind_of",
    "parse_if_match",
    "parse_if_none_match",
    "place_of",
]
