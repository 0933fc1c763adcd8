"""Index management: create and reconcile entity indices, refresh, delete, index templates."""

from esorm.indices._diff import FieldConflict, MappingDiff, diff_mappings
from esorm.indices._manager import IndexManager
from esorm.indices._report import IndexReport, IndexStatus
from esorm.indices._templates import IndexTemplate

__all__ = [
    "FieldConflict",
    "IndexManager",
    "IndexReport",
    "IndexStatus",
    "IndexTemplate",
    "MappingDiff",
    "diff_mappings",
]
