"""Migrations without downtime: copy into a new index, catch up, switch the alias, keep the
old index until cleanup, and keep every write made meanwhile."""

from esorm.migrations._carry import OnInvalid, Transform
from esorm.migrations._errors import DocumentRefusedError, MigrationError, MigrationInProgressError
from esorm.migrations._migration import CopyMode, Migration, MigrationReport
from esorm.migrations._progress import MigrationProgress, ProgressCallback
from esorm.migrations._state import MigrationState, Phase

__all__ = [
    "CopyMode",
    "DocumentRefusedError",
    "Migration",
    "MigrationError",
    "MigrationInProgressError",
    "MigrationProgress",
    "MigrationReport",
    "MigrationState",
    "OnInvalid",
    "Phase",
    "ProgressCallback",
    "Transform",
]
