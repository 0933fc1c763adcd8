"""A request's preconditions as values: what a read answers, what a write loads and pins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar, Unpack

from fastapi import HTTPException, Response
from pydantic import BaseModel

from esorm.etags import IfMatch, IfNoneMatch
from esorm.fastapi._etags import ETAG_HEADER
from esorm.query import ReadOptions
from esorm.repository import Repository
from esorm.uow import UnitOfWork

E = TypeVar("E", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class ReadPreconditions:
    """The `If-None-Match` of a read, answered with 304 Not Modified when it fails."""

    if_none_match: IfNoneMatch | None = None

    def answer(self, response: Response, uow: UnitOfWork, entity: E) -> E:
        """Put the entity's ETag on `response` and return the entity, or answer 304 when the
        client's copy is current (a tag in `If-None-Match`, weakly compared, or `*`)."""
        tag = uow.etag_of(entity)
        if tag is not None:
            response.headers[ETAG_HEADER] = tag
        if self.if_none_match is not None and not self.if_none_match.holds(tag):
            raise HTTPException(304, headers={ETAG_HEADER: tag} if tag else None)
        return entity


@dataclass(frozen=True, slots=True)
class WritePreconditions:
    """The `If-Match` and `If-None-Match` of a write, applied to the entities it loads.

    Entities come back pinned: the commit guards their writes with the version the client
    sent, so a stale one is refused by the server even when another request wrote in
    between; with `install_error_handlers`, that answers 412 with the current ETag.
    """

    if_match: IfMatch | None = None
    if_none_match: IfNoneMatch | None = None

    @property
    def create_only(self) -> bool:
        """`If-None-Match: *`: the write may only create the document."""
        return self.if_none_match is not None and self.if_none_match.wildcard

    async def load(
        self, repository: Repository[E], doc_id: str, **options: Unpack[ReadOptions]
    ) -> E:
        """The entity to change or delete, pinned to what the client expects.

        Raises:
            NotFoundError: no such document (404).
            PreconditionFailedError: it is not at a version the client accepts (412).
        """
        return self.pin(repository, await repository.get(doc_id, **options))

    async def find(
        self, repository: Repository[E], doc_id: str, **options: Unpack[ReadOptions]
    ) -> E | None:
        """For a write that may create (a PUT): the pinned entity, or None when there is no
        such document and the client allows creating it (no `If-Match`).

        Raises:
            HTTPException: 412, `If-Match` names a version of a document that does not exist.
            PreconditionFailedError: it exists at a version the client does not accept, or
                at all under `If-None-Match: *` (412).
        """
        entity = await repository.find(doc_id, **options)
        if entity is not None:
            return self.pin(repository, entity)
        if self.if_match is not None:
            raise HTTPException(
                412,
                detail=f"{repository.mapping.name} {doc_id!r} does not exist, and If-Match "
                f"asks for a current version of it",
            )
        return None

    def add(self, repository: Repository[E], entity: E) -> E:
        """Track a new entity (see `find`); under `If-None-Match: *` its create is the
        client's precondition, so meeting a document created meanwhile answers 412."""
        repository.add(entity)
        if self.if_none_match is not None:
            repository.pin(entity, self.if_none_match)
        return entity

    def pin(self, repository: Repository[E], entity: E) -> E:
        """Pin an entity already in hand to the request's preconditions; returns it."""
        if self.if_match is not None:
            repository.pin(entity, self.if_match)
        if self.if_none_match is not None:
            repository.pin(entity, self.if_none_match)
        return entity
