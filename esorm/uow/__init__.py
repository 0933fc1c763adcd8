"""The unit of work: change tracking, one flush through `_bulk`, per-entity outcome, retry."""

from esorm.uow._bulk import Refresh
from esorm.uow._retry import retry_on_conflict, run_with_retry
from esorm.uow._unit import CommitResult, Phase, UnitOfWork

__all__ = ["CommitResult", "Phase", "Refresh", "UnitOfWork", "retry_on_conflict", "run_with_retry"]
