"""The unit of work: change tracking, one flush through `_bulk`, per-entity outcome, retry."""

from esorm.store import Refresh
from esorm.uow._bulk import BulkSettings
from esorm.uow._flush import Flush, FlushHook
from esorm.uow._outcome import Operation, Outcome, Status
from esorm.uow._protocols import UnitOfWorkProtocol
from esorm.uow._retry import retry_on_conflict, run_with_retry
from esorm.uow._unit import CommitResult, Phase, UnitOfWork
from esorm.uow._writes import PARTIAL_UPDATE_SCRIPT, document_json

__all__ = [
    "PARTIAL_UPDATE_SCRIPT",
    "BulkSettings",
    "CommitResult",
    "Flush",
    "FlushHook",
    "Operation",
    "Outcome",
    "Phase",
    "Refresh",
    "Status",
    "UnitOfWork",
    "UnitOfWorkProtocol",
    "document_json",
    "retry_on_conflict",
    "run_with_retry",
]
