"""What can stop a migration, each saying what state the indices are left in."""

from __future__ import annotations

from esorm.errors import EsormError


class MigrationError(EsormError):
    """A migration could not run or finish; the message says what serves reads and writes."""


class MigrationInProgressError(MigrationError):
    """Another migration of the same index holds it (or left it unfinished): resume or roll
    it back before starting a new one."""


class DocumentRefusedError(MigrationError):
    """A document could not be carried into the new index: the transform raised, the new
    entity refused the result, or the new mapping refused it. Names the document."""

    def __init__(self, doc_id: str, message: str) -> None:
        self.id = doc_id
        super().__init__(message)
